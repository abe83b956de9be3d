#!/usr/bin/env bash
# The README's first command (`make up`): from a fresh clone to a fleet of 3 on :8080.
# It runs `fleet up`, which builds the alpine:3.10 member image when it is missing. Where
# alpine:3.10 cannot be pulled (no registry), it says so plainly, builds the Debian
# stand-in fleet-nginx:offline and runs the fleet on that instead.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-docker.sh
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f dist/fleet.cjs ] || node scripts/build.mjs

log=$(mktemp /tmp/fleet-up.XXXXXX)
trap 'rm -f "$log"' EXIT

# Ctrl-C sends SIGINT to the whole foreground process group, this tee included: it ignores
# INT and TERM, so the daemon's shutdown lines still get through, and ends at EOF when the
# daemon exits. (Should it die anyway, as with `make up | tee up.log` when the outer tee
# goes, the daemon drops its lines and shuts down all the same.)
status=0
bin/fleet up --replicas "${REPLICAS:-3}" "$@" 2> >(trap '' INT TERM; exec tee "$log" >&2) || status=$?
wait
if [ "$status" -ne 0 ] && grep -q 'base image alpine:3.10 cannot be pulled' "$log"; then
  cat >&2 <<'NOTICE'

  ********************************************************************************
  NOTICE: alpine:3.10 cannot be pulled on this machine (no registry reachable), so
  this fleet runs on fleet-nginx:offline, the STAND-IN member image built from
  Debian's packages with the same nginx config. It is not the product image; on a
  machine with a registry, `make up` builds and runs images/nginx (alpine:3.10).
  ********************************************************************************

NOTICE
  npm run image:offline
  exec bin/fleet up --replicas "${REPLICAS:-3}" --image fleet-nginx:offline "$@"
fi
exit "$status"
