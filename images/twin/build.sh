#!/usr/bin/env bash
# Builds the offline twins of the two product images, for machines without a registry:
# the SAME Dockerfiles (images/fleet/Dockerfile -> fleet:twin, Dockerfile -> dkr-ls:twin),
# given two stand-in bases through their build arguments:
#
#   NODE_BASE  = fleet-twin-node:<node version>   for node:24-bookworm-slim: Debian bookworm
#                (debootstrap --variant=minbase) with the Node 24 on PATH at
#                /usr/local/bin/node, where the node image has it
#   FINAL_BASE = fleet-twin-final:busybox          for alpine:3.10: a root filesystem holding
#                only Debian's busybox-static and its applet links, /etc/passwd and
#                /etc/group: no C library, no loader, so a twin that runs proves that the
#                carried runtime (/opt/node) needs nothing from its base
#
#   images/twin/build.sh [fleet] [dkr-ls]      (both when none is named)
#
# Each base is made once and kept (label fleet.source-digest: what it was made from); each
# twin is rebuilt only when its Dockerfile, the carry script, its bundle or launcher, or a
# base changed. The bundles are refreshed first (node scripts/build.mjs). Needs root for
# debootstrap on the first run.
set -euo pipefail
cd "$(dirname "$0")/../.."
self=images/twin/build.sh

mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
final_base=fleet-twin-final:busybox
log=$(mktemp /tmp/fleet-twin.XXXXXX)
scratch=
cleanup() {
  rm -f "$log"
  [ -z "$scratch" ] || rm -rf "$scratch"
}
trap cleanup EXIT

say() { echo "image:twin: $*" >&2; }
die() {
  echo "error: $*" >&2
  exit 1
}
label_of() { docker image inspect --format '{{ index .Config.Labels "fleet.source-digest" }}' "$1" 2>/dev/null || true; }
digest_of() { sha256sum "$@" | sha256sum | cut -c1-16; }
since() { echo "$(($(date +%s) - $1)) s"; }

node_bin=$(command -v node) || die "node (24) is needed on PATH (scripts/ensure-node.sh): its binary is the twin's Node"
node_version=$(node --version)
case $node_version in v24.*) ;; *) die "the twin's Node is the one on PATH, and it is $node_version, not 24.x (PATH=\"$(scripts/ensure-node.sh):$PATH\")" ;; esac
node_base=fleet-twin-node:$node_version

need_root_tools() {
  [ "$(id -u)" = 0 ] || die "building $1 needs root (debootstrap, dpkg-deb); run as root once, then the base is kept"
  if ! command -v debootstrap >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || die "debootstrap is needed to build $1"
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null \
      || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  fi
}

# The stand-in for node:24-bookworm-slim: what carry-node.sh needs (node, apt-get, ldd).
build_node_base() {
  local digest start rootfs
  digest=$( (sed -n '/^build_node_base()/,/^}/p' "$self"; sha256sum "$node_bin") | sha256sum | cut -c1-16)
  [ "$(label_of "$node_base")" != "$digest" ] || return 0
  need_root_tools "$node_base"
  start=$(date +%s)
  scratch=$(mktemp -d /tmp/fleet-twin-node.XXXXXX)
  rootfs=$scratch/rootfs
  say "debootstrap bookworm for $node_base (about a minute)"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$log" 2>&1 || { cat "$log" >&2; die "debootstrap failed"; }
  install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL fleet.source-digest=$digest" \
    --change 'CMD ["node"]' - "$node_base" >/dev/null
  rm -rf "$scratch"
  scratch=
  say "made $node_base in $(since "$start")"
}

# The stand-in for alpine:3.10: busybox and nothing it could lend node.
build_final_base() {
  local digest start rootfs deb applet
  digest=$(sed -n '/^build_final_base()/,/^}/p' "$self" | sha256sum | cut -c1-16)
  [ "$(label_of "$final_base")" != "$digest" ] || return 0
  [ "$(id -u)" = 0 ] || die "building $final_base needs root (file ownership in the image)"
  start=$(date +%s)
  scratch=$(mktemp -d /tmp/fleet-twin-final.XXXXXX)
  rootfs=$scratch/rootfs
  (cd "$scratch" && { apt-get download busybox-static >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get download busybox-static >/dev/null; }; }) \
    || die "apt-get download busybox-static failed"
  deb=$(ls "$scratch"/busybox-static_*.deb)
  dpkg-deb -x "$deb" "$scratch/pkg"
  mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,root,run,tmp,var/tmp}
  chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
  chmod 0700 "$rootfs/root"
  install -m 0755 "$scratch/pkg/bin/busybox" "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list-full); do
    [ -e "$rootfs/$applet" ] || ln -s /bin/busybox "$rootfs/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  if find "$rootfs" \( -name 'ld-*.so*' -o -name 'libc.so*' -o -name 'libc.musl*' \) | grep -q .; then
    die "$final_base would hold a C library"
  fi
  tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL fleet.source-digest=$digest" \
    --change 'CMD ["/bin/sh"]' - "$final_base" >/dev/null
  rm -rf "$scratch"
  scratch=
  say "made $final_base from $(basename "$deb") in $(since "$start")"
}

# build_twin TAG DOCKERFILE INPUT...: the Dockerfile on the two bases, when an input changed.
build_twin() {
  local tag=$1 dockerfile=$2 digest start
  shift 2
  digest=$( (digest_of "$dockerfile" images/runtime/carry-node.sh .dockerignore "$@"; docker image inspect --format '{{.Id}}' "$node_base" "$final_base") | sha256sum | cut -c1-16)
  if [ "$(label_of "$tag")" = "$digest" ]; then
    say "$tag is up to date ($digest)"
    return 0
  fi
  start=$(date +%s)
  say "building $tag from $dockerfile"
  # The build's own output (and docker's notice about its legacy builder) only on failure.
  if ! docker build -q --force-rm -f "$dockerfile" \
    --build-arg "NODE_BASE=$node_base" --build-arg "FINAL_BASE=$final_base" \
    --label "fleet.source-digest=$digest" -t "$tag" . >"$log" 2>&1; then
    cat "$log" >&2
    die "docker build of $tag failed"
  fi
  say "built $tag ($digest) in $(since "$start"), $(docker image inspect --format '{{.Size}}' "$tag" | awk '{ printf "%.1f MB", $1 / 1e6 }')"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fleet dkr-ls)
for target in "${targets[@]}"; do
  case $target in fleet | dkr-ls) ;; *) die "unknown twin '$target' (fleet or dkr-ls)" ;; esac
done

total=$(date +%s)
node scripts/build.mjs
build_node_base
build_final_base
for target in "${targets[@]}"; do
  case $target in
    fleet) build_twin fleet:twin images/fleet/Dockerfile dist/fleet.cjs dist/fleet-daemon.cjs dist/fleet-worker.cjs bin/* $(find images/nginx -path images/nginx/offline -prune -o -type f -print | sort) ;;
    dkr-ls) build_twin dkr-ls:twin Dockerfile dist/dkr-ls.cjs ;;
  esac
done
say "done in $(since "$total")"
