#!/usr/bin/env bash
# Builds fleet-nginx:offline, the stand-in member image for hosts without a registry:
# a Debian bookworm root filesystem with nginx-light (debootstrap, then docker import),
# finished by offline/Dockerfile with the same config and paths as the alpine:3.10 image.
# Skips the build when the image exists and was made from the current config.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
context=$(dirname "$here")
image=${FLEET_OFFLINE_IMAGE:-fleet-nginx:offline}
base=fleet-nginx-base:offline-bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

digest=$(cat "$context/nginx.conf" "$context/fleet-set-members" "$here/Dockerfile" | sha256sum | cut -c1-16)
have=$(docker image inspect --format '{{ index .Config.Labels "fleet.source-digest" }}' "$image" 2>/dev/null || true)
if [ "$have" = "$digest" ]; then
  echo "image:offline: $image is up to date ($digest)" >&2
  exit 0
fi

if ! docker image inspect "$base" >/dev/null 2>&1; then
  if ! command -v debootstrap >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "image:offline: installing debootstrap" >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null \
        || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
    else
      echo "error: debootstrap is needed to build $image (apt-get install debootstrap, as root)" >&2
      exit 1
    fi
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "error: debootstrap needs root to build $base" >&2
    exit 1
  fi
  rootfs=$(mktemp -d /tmp/fleet-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"' EXIT
  echo "image:offline: debootstrap bookworm with nginx-light (about a minute)" >&2
  debootstrap --variant=minbase --include=nginx-light bookworm "$rootfs" "$mirror" >/tmp/fleet-debootstrap.log 2>&1 \
    || { echo "error: debootstrap failed; see /tmp/fleet-debootstrap.log" >&2; exit 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import - "$base" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
fi

echo "image:offline: building $image" >&2
# The build's own output (and docker's notice about its legacy builder) only on failure.
if ! docker build -q -f "$here/Dockerfile" --build-arg "BASE=$base" --label "fleet.source-digest=$digest" -t "$image" "$context" >/tmp/fleet-offline-build.log 2>&1; then
  cat /tmp/fleet-offline-build.log >&2
  echo "error: docker build of $image failed" >&2
  exit 1
fi
echo "image:offline: built $image ($digest)" >&2
