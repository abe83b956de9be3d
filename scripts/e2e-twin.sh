#!/usr/bin/env bash
# dkr-ls's end-to-end examples (e2e.sh) against dkr-ls:twin, the offline twin of the tool
# image (images/twin/build.sh), run as the README runs the image: `docker run` with the
# engine's socket. Proves the image's Node 24 runtime prints what docker prints, byte for byte.
set -euo pipefail
cd "$(dirname "$0")/.."

bash images/twin/build.sh dkr-ls
host=${DOCKER_HOST:-unix:///var/run/docker.sock}
case $host in
  unix://*) access="-v ${host#unix://}:/var/run/docker.sock" ;;
  # tcp://: the container shares the host's network, so the same address reaches the engine.
  *) access="--network host -e DOCKER_HOST=$host" ;;
esac
start=$(date +%s)
DKR_LS="docker run --rm $access dkr-ls:twin" ./e2e.sh
echo "e2e-twin: dkr-ls:twin ran every example in $(($(date +%s) - start)) s" >&2
