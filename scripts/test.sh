#!/usr/bin/env bash
# `make test`: every test. It says first what it needs, then makes the images the Docker
# tests run on. Where alpine:3.10 can be pulled, the member image is the product's own
# (images/nginx) and nothing is built from Debian's packages; where it cannot (no registry,
# as on CI), the stand-in member image and both images' offline twins are built from
# Debian's packages (debootstrap), as before.
set -euo pipefail
cd "$(dirname "$0")/.."

cat >&2 <<'NEEDS'
make test needs: Linux; a Docker engine it can use (a docker-group user, or root: as root on a
Debian-like machine with none running, it installs docker.io and starts dockerd); and, only
where alpine:3.10 cannot be pulled, root with apt-get for debootstrap (the stand-in images).
It takes about 20 minutes on 2 shared cores, plus a few minutes the first time images are built.
Without an engine: `make unit` (a few minutes, no Docker, no root).
NEEDS

scripts/ensure-docker.sh
scripts/ensure-tools.sh

if [ -z "${FLEET_STANDINS:-}" ] && timeout 60 docker pull -q alpine:3.10 >/dev/null 2>&1; then
  echo "make test: alpine:3.10 pulled: members run the product image fleet-nginx:latest (images/nginx)" >&2
  docker build -q -t fleet-nginx:latest images/nginx >/dev/null
  export FLEET_TEST_IMAGE=fleet-nginx:latest
  # The offline twins are what prove the images without a registry; with one, `make image
  # image-fleet` build the real ones. Their tests run with `make image-twins compose-test`.
  echo "make test: the offline twins' tests (test/images, test/compose/e2e) are left to make image-twins compose-test" >&2
  exec npm test -- --exclude='test/images/**' --exclude='test/compose/e2e/**'
fi

echo "make test: alpine:3.10 cannot be pulled: building the stand-in member image and the offline twins" >&2
npm run image:offline
npm run image:twins
exec npm test
