#!/usr/bin/env bash
# Two edge nodes on one host for measuring deploy/keepalived/keepalived.conf: each node is a
# network namespace on a lab bridge running keepalived with the recipe rendered for it and an
# HTTP server on :8080 that stands for fleet's balancer (it answers the node's name). The
# virtual IP is reached from the host through the bridge, as clients on the LAN would.
#
#   scripts/vrrp-lab.sh up                start both nodes; waits until one holds the VIP
#   scripts/vrrp-lab.sh vip               print the virtual address
#   scripts/vrrp-lab.sh holder            print the node that holds the VIP (e1, e2 or none)
#   scripts/vrrp-lab.sh lose NODE         the node is lost: its link goes down, its processes die (SIGKILL)
#   scripts/vrrp-lab.sh stop-serving NODE the node lives but its balancer dies (the check fails)
#   scripts/vrrp-lab.sh down              remove everything up made (also a half-made lab)
#
# Knobs: FLEET_VRRP_LAB (name, default vrrplab), FLEET_VRRP_SUBNET (default 10.233.0). Needs
# root, iproute2, nsenter, iptables, keepalived and curl (Debian packages). Once Docker runs
# the FORWARD policy is DROP, so the bridge gets an ACCEPT rule (the nodes' adverts cross it).
set -euo pipefail
cd "$(dirname "$0")/.."

lab=${FLEET_VRRP_LAB:-vrrplab}
subnet=${FLEET_VRRP_SUBNET:-10.233.0}
bridge=${lab:0:10}br
dir=/run/$lab
vip=$subnet.10
rule=(FORWARD -i "$bridge" -o "$bridge" -m comment --comment "$lab" -j ACCEPT)
recipe=deploy/keepalived/keepalived.conf

die() {
  echo "error: $*" >&2
  exit 1
}
address() { echo "$subnet.$((10 + ${1#e}))"; }
ns() { echo "$lab-$1"; }
in_ns() {
  local node=$1
  shift
  nsenter --net="/var/run/netns/$(ns "$node")" "$@"
}
kill_pidfiles() {
  local file pid
  for file in "$@"; do
    pid=$(cat "$file" 2>/dev/null || true)
    [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true
  done
}

start_node() {
  local node=$1 peer=$2 priority=$3 veth=${lab:0:8}v${1#e}
  ip netns add "$(ns "$node")"
  ip link add "$veth" type veth peer name eth0 netns "$(ns "$node")"
  ip link set "$veth" master "$bridge" up
  ip -n "$(ns "$node")" addr add "$(address "$node")/24" dev eth0
  ip -n "$(ns "$node")" link set lo up
  ip -n "$(ns "$node")" link set eth0 up
  sed -e "s|@IFACE@|eth0|g" -e "s|@SELF@|$(address "$node")|g" -e "s|@PEER@|$(address "$peer")|g" \
    -e "s|@VIP@|$vip/24|g" -e "s|@PRIORITY@|$priority|g" -e "s|@PORT@|8080|g" "$recipe" >"$dir/$node.conf"
  chmod 0644 "$dir/$node.conf"
  setsid nsenter --net="/var/run/netns/$(ns "$node")" node -e '
    require("node:http").createServer((req, res) => res.end(process.argv[1] + "\n")).listen(8080, "0.0.0.0");
  ' "$node" >"$dir/$node-server.log" 2>&1 </dev/null &
  echo $! >"$dir/$node-server.pid"
  setsid nsenter --net="/var/run/netns/$(ns "$node")" keepalived -n -l -D -f "$dir/$node.conf" \
    -p "$dir/$node-keepalived.pid" -r "$dir/$node-vrrp.pid" -c "$dir/$node-checkers.pid" \
    >"$dir/$node-keepalived.log" 2>&1 </dev/null &
}

holder() {
  local node
  for node in e1 e2; do
    # Read whole before matching: grep -q would stop early, and pipefail would call the read failed.
    if [[ $(ip -n "$(ns "$node")" -o addr show dev eth0 2>/dev/null) == *" $vip/"* ]]; then
      echo "$node"
      return 0
    fi
  done
  echo none
}

up() {
  [ "$(id -u)" = 0 ] || die "the lab needs root (network namespaces, a bridge)"
  local tool
  for tool in ip nsenter iptables keepalived curl node; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed (Debian: iproute2, util-linux, iptables, keepalived, curl)"
  done
  [ ! -e "$dir" ] || die "a lab named $lab is up already (or half made): scripts/vrrp-lab.sh down first"
  trap 'down' ERR
  mkdir -p "$dir"
  ip link add "$bridge" type bridge
  ip addr add "$subnet.1/24" dev "$bridge"
  ip link set "$bridge" up
  iptables -I "${rule[@]}"
  start_node e1 e2 110
  start_node e2 e1 100
  # Settled: the same node has held the VIP for a second (at a cold start both nodes may
  # claim it for a moment before the adverts sort it out).
  local last=none same=0
  for _ in $(seq 1 200); do
    if [ "$(holder)" = "$last" ] && [ "$last" != none ]; then same=$((same + 1)); else same=0; fi
    last=$(holder)
    [ "$same" -lt 10 ] || break
    sleep 0.1
  done
  [ "$same" -ge 10 ] || die "no node held the VIP steadily within 20 s (logs: $dir/*-keepalived.log)"
  trap - ERR
  echo "vrrp-lab: up, $(holder) holds $vip" >&2
}

lose() {
  local node=$1
  ip -n "$(ns "$node")" link set eth0 down
  kill_pidfiles "$dir/$node-keepalived.pid" "$dir/$node-vrrp.pid" "$dir/$node-checkers.pid" "$dir/$node-server.pid"
}

down() {
  local node
  for node in e1 e2; do
    kill_pidfiles "$dir/$node-keepalived.pid" "$dir/$node-vrrp.pid" "$dir/$node-checkers.pid" "$dir/$node-server.pid"
    ip netns del "$(ns "$node")" 2>/dev/null || true
    ip link del "${lab:0:8}v${node#e}" 2>/dev/null || true
  done
  ip link del "$bridge" 2>/dev/null || true
  while iptables -D "${rule[@]}" 2>/dev/null; do :; done
  rm -rf "$dir"
}

node_arg() {
  case ${1:-} in
    e1 | e2) ;;
    *) die "name a node: e1 or e2" ;;
  esac
}

case ${1:-} in
  up) up ;;
  vip) echo "$vip" ;;
  holder) holder ;;
  lose) node_arg "${2:-}"; lose "$2" ;;
  stop-serving) node_arg "${2:-}"; kill_pidfiles "$dir/$2-server.pid" ;;
  down) down ;;
  *) die "usage: scripts/vrrp-lab.sh up | vip | holder | lose NODE | stop-serving NODE | down" ;;
esac
