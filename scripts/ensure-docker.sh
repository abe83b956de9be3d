#!/usr/bin/env bash
# Makes sure a Docker engine answers. When none does and this is a root shell on a
# Debian-like machine (CI, a fresh VM), it installs docker.io and starts dockerd in the
# background, writing its pid to $FLEET_DOCKERD_PIDFILE so the caller can stop it.
# On a workstation it never installs anything: it says what is missing and fails.
set -euo pipefail

pidfile=${FLEET_DOCKERD_PIDFILE:-/tmp/fleet-dockerd.pid}

if docker info >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "error: no Docker engine answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}; start one (dockerd) and try again" >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "ensure-docker: installing docker.io from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq docker.io >/dev/null
fi

echo "ensure-docker: starting dockerd (log: /tmp/fleet-dockerd.log)" >&2
# Networks from 172.16.0.0/12 in /24s: 4096 of them, so a long test run never spills
# into other private ranges once the default /16 pools are used up.
setsid dockerd --default-address-pool base=172.16.0.0/12,size=24 >/tmp/fleet-dockerd.log 2>&1 </dev/null &
echo $! >"$pidfile"
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 0.5
done
echo "error: dockerd did not answer within 30 s; see /tmp/fleet-dockerd.log" >&2
exit 1
