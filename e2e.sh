#!/usr/bin/env bash
# dkr-ls end to end on the real engine, with no registry: loads images under the brief's
# repository names (docker load of archives written here: ages of weeks to months, sizes
# from 22.1MB to 902MB sharing one chain of zero-filled layers, so the disk holds 902MB),
# runs every example of the brief showing its stdout and stderr, checks each exit code and
# the rows of these images, and removes exactly what it loaded.
#
#   DKR_LS   the command to test (default bin/dkr-ls), split on spaces; for the tool image:
#            "docker run --rm -v /var/run/docker.sock:/var/run/docker.sock dkr-ls:twin"
#
# It refuses to run when any name it would create already exists, and only ever removes
# images carrying the label of this run.
set -euo pipefail
cd "$(dirname "$0")"

read -r -a dkr_ls <<<"${DKR_LS:-bin/dkr-ls}"
run_id="e2e-$$-$(date +%s)"
label="io.fleet.dkr-ls.e2e=$run_id"
work=$(mktemp -d /tmp/dkr-ls-e2e.XXXXXX)
loaded=0

cleanup() {
  local status=$? ids
  if [ "$loaded" = 1 ]; then
    ids=$(docker images -q --no-trunc --filter "label=$label" | sort -u)
    if [ -n "$ids" ]; then
      # -f: an image here carries several of this run's tags; none carries anyone else's.
      docker rmi -f $ids >/dev/null && echo "e2e: removed the $(echo "$ids" | wc -l) images this run loaded" >&2
    fi
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

names=(
  nginx:latest
  nginx:alpine
  mysql/mysql-server:5.7
  datadog/agent:7
  123456789000.dkr.ecr.us-east-1.amazonaws.com/webapp:20200609-1018
  awscli:1
  debian:buster-20200514-slim
)
for name in "${names[@]}"; do
  if docker image inspect "$name" >/dev/null 2>&1; then
    echo "e2e: refusing to run: the image $name already exists and this script would replace and then remove it" >&2
    exit 1
  fi
done

ago() { date -u -d "-$1 days" +%Y-%m-%dT%H:%M:%SZ; }
M=1000000
# Each image's layers are a prefix of the next one's: the sizes add up along one chain.
l1=$((22100 * 1000)) l2=$((47100 * 1000)) l3=$((638 * 100000)) l4=$((184 * M)) l5=$((5 * M)) l6=$((218 * M)) l7=$((121 * M)) l8=$((241 * M))
cat >"$work/images.json" <<JSON
[
  {"tags": ["nginx:alpine"], "created": "$(ago 44)", "layers": [$l1], "labels": {"io.fleet.dkr-ls.e2e": "$run_id"}},
  {"tags": ["debian:buster-20200514-slim"], "created": "$(ago 125)", "layers": [$l1, $l2], "labels": {"io.fleet.dkr-ls.e2e": "$run_id"}},
  {"tags": ["nginx:latest"], "created": "$(ago 15)", "layers": [$l1, $l2, $l3], "labels": {"io.fleet.dkr-ls.e2e": "$run_id"}},
  {"tags": ["awscli:1"], "created": "$(ago 100)", "layers": [$l1, $l2, $l3, $l4], "labels": {"io.fleet.dkr-ls.e2e": "$run_id"}},
  {"tags": ["mysql/mysql-server:5.7"], "created": "$(ago 65)", "layers": [$l1, $l2, $l3, $l4, $l5], "labels": {"io.fleet.dkr-ls.e2e": "$run_id"}},
  {"tags": ["datadog/agent:7"], "created": "$(ago 95)", "layers": [$l1, $l2, $l3, $l4, $l5, $l6], "labels": {"io.fleet.dkr-ls.e2e": "$run_id"}},
  {"tags": [], "created": "$(ago 130)", "layers": [$l1, $l2, $l3, $l4, $l5, $l6, $l7], "labels": {"io.fleet.dkr-ls.e2e": "$run_id"}},
  {"tags": ["123456789000.dkr.ecr.us-east-1.amazonaws.com/webapp:20200609-1018"], "created": "$(ago 97)", "layers": [$l1, $l2, $l3, $l4, $l5, $l6, $l7, $l8], "labels": {"io.fleet.dkr-ls.e2e": "$run_id"}}
]
JSON

echo "e2e: loading 8 images (label $label) ..." >&2
loaded=1
start=$(date +%s)
node test/dkr-ls/fixtures/image-archive.mjs <"$work/images.json" >"$work/ids"
echo "e2e: loaded in $(($(date +%s) - start)) s" >&2
mapfile -t full_ids <"$work/ids"
declare -A id
keys=(nginx_alpine debian nginx_latest awscli mysql datadog none webapp)
for i in "${!keys[@]}"; do id[${keys[$i]}]=${full_ids[$i]:7:12}; done

failures=0
fail() {
  echo "e2e: FAIL: $*" >&2
  failures=$((failures + 1))
}

# Runs one example: shows it and its output, keeps stdout in $work/out, checks the exit code.
example() {
  local want_code=$1 code=0
  shift
  echo
  echo "\$ dkr-ls $*"
  "${dkr_ls[@]}" "$@" >"$work/out" 2>"$work/err" || code=$?
  cat "$work/out"
  cat "$work/err" >&2
  if [ "$want_code" = 0 ] && [ "$code" != 0 ]; then fail "dkr-ls $* exited $code"; fi
  if [ "$want_code" != 0 ] && [ "$code" = 0 ]; then fail "dkr-ls $* should have failed"; fi
  return 0
}

# This run's rows of the last output, cells joined by |, IDs replaced by their keys.
our_rows() {
  local line key
  while IFS= read -r line; do
    for key in "${keys[@]}"; do
      if [[ "$line" == *"   ${id[$key]}   "* ]]; then
        sed -E "s/ {3,}/|/g; s/${id[$key]}/$key/" <<<"$line"
      fi
    done
  done <"$work/out"
}

expect_rows() {
  local what=$1 want=$2 got
  got=$(our_rows)
  [ "$got" = "$want" ] || fail "$what: this run's rows were
$got
expected
$want"
}

# Repositories other people's images add under the prefixes the examples use.
ours=" ${id[*]} "
foreign=$(docker images --format '{{.Repository}} {{.ID}}' | awk -v ours="$ours" '$1 ~ /^(nginx|debian)/ && index(ours, " " $2 " ") == 0' | wc -l)

example 0 repos
got=$(grep -x -E 'nginx|mysql/mysql-server|datadog/agent|123456789000\.dkr\.ecr\.us-east-1\.amazonaws\.com/webapp|awscli|debian' "$work/out" | tr '\n' ' ' || true)
[ "$got" = "nginx mysql/mysql-server datadog/agent 123456789000.dkr.ecr.us-east-1.amazonaws.com/webapp awscli debian " ] || fail "repos: order was $got"
head -n1 "$work/out" | grep -qx REPOSITORY || fail "repos: no REPOSITORY header"
grep -qx '<none>' "$work/out" || fail "repos: no <none>"

ALL="nginx|latest|nginx_latest|2 weeks ago|133MB
nginx|alpine|nginx_alpine|6 weeks ago|22.1MB
mysql/mysql-server|5.7|mysql|2 months ago|322MB
datadog/agent|7|datadog|3 months ago|540MB
123456789000.dkr.ecr.us-east-1.amazonaws.com/webapp|20200609-1018|webapp|3 months ago|902MB
awscli|1|awscli|3 months ago|317MB
debian|buster-20200514-slim|debian|4 months ago|69.2MB
<none>|<none>|none|4 months ago|661MB"

example 0 tags
expect_rows "tags" "$ALL"
# The whole table, other images and alignment included, as docker prints it.
if ! diff <(docker images) "$work/out" >"$work/diff"; then
  "${dkr_ls[@]}" tags >"$work/out"
  diff <(docker images) "$work/out" >"$work/diff" || fail "tags differs from docker images:
$(cat "$work/diff")"
fi

example 1 repos --maxTags 3
[ ! -s "$work/out" ] || fail "repos --maxTags 3 printed on stdout"
head -n1 "$work/err" | grep -qx 'Error: unknown flag: --maxTags' || fail "repos --maxTags 3: first line was $(head -n1 "$work/err")"
grep -q '^Usage:' "$work/err" || fail "repos --maxTags 3: no usage"

example 0 tags --prefix nginx --prefix debian
expect_rows "tags --prefix nginx --prefix debian" "$(grep -E '^(nginx|debian)\|' <<<"$ALL")"

example 0 tags --maxTags 1 --prefix nginx --prefix debian --sum=true
if [ "$foreign" = 0 ]; then
  expect_rows "tags --maxTags 1 ... --sum=true" "nginx|latest|nginx_latest|2 weeks ago|133MB
debian|buster-20200514-slim|debian|4 months ago|69.2MB"
  tail -n1 "$work/out" | sed -E 's/ {3,}/|/g' | grep -qx '|TOTAL|202.2MB' || fail "--sum: last line was $(tail -n1 "$work/out")"
else
  echo "e2e: note: $foreign other nginx/debian images are here; the rows and TOTAL of this example depend on them" >&2
  tail -n1 "$work/out" | grep -q 'TOTAL' || fail "--sum: no TOTAL line"
fi

example 0 tags --minAge 20 --minSize 100MB
expect_rows "tags --minAge 20 --minSize 100MB" "$(grep -E '^(mysql|datadog|1234|awscli|<none>)' <<<"$ALL")"

echo
if [ "$failures" != 0 ]; then
  echo "e2e: $failures check(s) failed (${dkr_ls[*]})" >&2
  exit 1
fi
echo "e2e: every example ran as expected (${dkr_ls[*]})" >&2
