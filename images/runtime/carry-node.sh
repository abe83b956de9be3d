#!/bin/sh
# Lays out a Node runtime that needs nothing from the root filesystem it lands on, for the
# final stage of images/fleet/Dockerfile and ../../Dockerfile (FROM alpine:3.10: musl and
# busybox, no glibc). Run in a Debian build stage that has `node` on PATH:
#
#   DEST/bin/node   the stage's node, its loader pointed at DEST/lib/ld-linux-*.so.2 and
#                   its library search path at DEST/lib (patchelf)
#   DEST/lib/       exactly the shared libraries `ldd node` resolves, loader included
#   DEST/bin/tini   Debian's static tini, PID 1 of both images (nothing to load)
#
# DT_RPATH, not DT_RUNPATH (--force-rpath): RPATH also applies to the libraries' own
# dependencies and to dlopen() from glibc itself (libgcc_s for thread cancellation), so no
# lookup ever falls through to the base's /lib or /usr/lib.
set -eu

dest=${1:?usage: carry-node.sh DEST}

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends patchelf tini >/dev/null

node=$(command -v node)
mkdir -p "$dest/bin" "$dest/lib"
cp "$node" "$dest/bin/node"
cp /usr/bin/tini-static "$dest/bin/tini"

# `ldd` lines: "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" and, for the loader,
# "/lib64/ld-linux-x86-64.so.2 (0x…)"; linux-vdso has no file. Copied under the name ldd
# gives (the soname), following symlinks to the real file.
ldd "$node" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' >/tmp/carry-libs
while read -r lib; do
  cp -L "$lib" "$dest/lib/${lib##*/}"
done </tmp/carry-libs
rm /tmp/carry-libs

loader=$(patchelf --print-interpreter "$node")
patchelf --set-interpreter "$dest/lib/${loader##*/}" --force-rpath --set-rpath "$dest/lib" "$dest/bin/node"

# Every shared object the patched node has mapped, loader included, must come from DEST/lib
# (ldd can't tell: it resolves through the system's loader, not the one node now names).
outside=$("$dest/bin/node" -e '
  const maps = require("fs").readFileSync("/proc/self/maps", "utf8").split("\n");
  const files = new Set(maps.map((line) => line.split(/\s+/)[5]).filter((f) => f && f.includes(".so")));
  console.log([...files].filter((f) => !f.startsWith(process.argv[1] + "/lib/")).join(" "));
' "$dest")
if [ -n "$outside" ]; then
  echo "carry-node: node still loads from outside $dest/lib: $outside" >&2
  exit 1
fi
echo "carry-node: node $("$dest/bin/node" --version) with $(ls "$dest/lib" | tr '\n' ' ')into $dest" >&2
