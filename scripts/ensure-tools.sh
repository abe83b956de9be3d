#!/usr/bin/env bash
# Makes sure the tools the tests drive are installed: real programs, not mocks. On a root
# Debian-like machine (CI, a fresh VM) it installs what is missing from Debian's packages;
# elsewhere it names what is missing and the tests that need it fail in CI or skip.
#
#   busybox          runs the member's list writer as alpine:3.10's shell would
#   chromium         renders the admin dashboard for its browser test (headless, puppeteer-core)
#   docker-compose   runs compose.yaml (with compose.offline.yaml) end to end (1.29, Python)
#   promtool         lints the admin listener's /metrics; its package brings the Prometheus server
#                    that the metrics test starts to scrape a daemon
#   keepalived, curl the edge nodes' VRRP recipe (deploy/keepalived) and its check, in test/deploy
#   h2load           2000 busy clients in front-door's new-client test (test/fleet/e2e)
set -euo pipefail

# command -> Debian package
declare -A tools=(
  [busybox]=busybox
  [docker-compose]=docker-compose
  [chromium]=chromium
  [promtool]=prometheus
  [keepalived]=keepalived
  [curl]=curl
  [h2load]=nghttp2-client
)

missing=()
for command in "${!tools[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${tools[$command]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-tools: missing ${missing[*]} (Debian packages); the tests that need them will fail in CI and be skipped elsewhere" >&2
  exit 0
fi
echo "ensure-tools: installing ${missing[*]} from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
  || { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
