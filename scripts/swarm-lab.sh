#!/usr/bin/env bash
# A Docker Swarm cluster on one Linux host, for trying fleet's Swarm mode and for its tests:
# one dockerd per network namespace, each with its own socket, data root and exec root,
# joined into one Swarm (every node a manager, so losing one keeps the quorum).
#
#   scripts/swarm-lab.sh up [IMAGE...]   start the nodes, form the Swarm, load the images
#                                        (default: fleet-nginx:offline and fleet:twin, where present)
#   scripts/swarm-lab.sh load IMAGE...   load images from the host's engine into every node
#   scripts/swarm-lab.sh env [NODE]      print `export DOCKER_HOST=…` for a node (default n1)
#   scripts/swarm-lab.sh status          the nodes as the Swarm sees them
#   scripts/swarm-lab.sh vrrp PORT [NODE] keepalived on every node (deploy/keepalived's recipe,
#                                        unicast to the other nodes) checking the balancer on
#                                        PORT; NODE (default n1) starts first and holds the VIP
#   scripts/swarm-lab.sh vip | holder    the virtual address; the node holding it (or none)
#   scripts/swarm-lab.sh lose NODE       the node is lost as a host is: its link goes dark (no
#                                        reset or FIN reaches anyone), then its engine, its
#                                        containerd and every container on it die at once
#   scripts/swarm-lab.sh down            stop and remove everything `up` made (also half-made labs)
#
# Each node's socket is also /run/LAB/HOSTNAME.sock (the node's hostname is LAB-nN): a stack
# that mounts a node's own engine names it with Swarm's template, as deploy/swarm/stack.yaml
# does with FLEET_DOCKER_SOCKET='/run/LAB/{{.Node.Hostname}}.sock' (all nodes share one
# file system here, so /var/run/docker.sock would be the host's engine on every node).
#
# Knobs: FLEET_LAB (name, default fleetlab), FLEET_LAB_NODES (default 3), FLEET_LAB_SUBNET
# (the /24 the nodes live on, default 10.231.0). Needs root, iproute2, nsenter, iptables and
# dockerd (Debian's docker.io). Nodes are reached only from this host: 10.231.0.11, .12, ….
#
# Facts it builds on (docs/availability.md): `nsenter --net`, not `ip netns exec`, which
# remounts /sys and hides the cgroup mounts from dockerd; once Docker runs, the FORWARD
# policy is DROP and bridged frames pass through iptables, so the lab bridge gets an ACCEPT
# rule; the kernel may lack IPVS, so services use endpoint_mode dnsrr and host-mode ports;
# there is no registry, so images are loaded into every node and the engines prefer them
# to a pull (DOCKER_SERVICE_PREFER_OFFLINE_IMAGE, as moby's own integration tests run).
set -euo pipefail

lab=${FLEET_LAB:-fleetlab}
count=${FLEET_LAB_NODES:-3}
subnet=${FLEET_LAB_SUBNET:-10.231.0}
bridge=${lab:0:10}br
run=/run/$lab
data=/var/lib/$lab
rule=(FORWARD -i "$bridge" -o "$bridge" -m comment --comment "$lab" -j ACCEPT)
recipe=$(dirname "$0")/../deploy/keepalived/keepalived.conf
vip=$subnet.10

say() { echo "swarm-lab: $*" >&2; }
die() {
  echo "error: $*" >&2
  exit 1
}
nodes() { seq 1 "$count" | sed 's/^/n/'; }
address() { echo "$subnet.$((10 + ${1#n}))"; }
host_of() { echo "unix://$run/$1/docker.sock"; }
on() {
  local node=$1
  shift
  DOCKER_HOST=$(host_of "$node") docker "$@"
}

preflight() {
  [ "$(id -u)" = 0 ] || die "the lab needs root (network namespaces, a bridge, dockerd)"
  local tool
  for tool in ip nsenter iptables dockerd docker; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is needed (Debian: iproute2, util-linux, iptables, docker.io)"
  done
  [[ $count =~ ^[1-9]$ ]] || die "FLEET_LAB_NODES must be 1 to 9, not '$count'"
}

start_node() {
  local node=$1 ns=$lab-$1 veth=${lab:0:8}v${1#n}
  mkdir -p "$run/$node/exec" "$data/$node"
  ln -sfn "$run/$node/docker.sock" "$run/$ns.sock"
  ip netns add "$ns"
  ip link add "$veth" type veth peer name eth0 netns "$ns"
  ip link set "$veth" master "$bridge" up
  ip -n "$ns" addr add "$(address "$node")/24" dev eth0
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default via "$subnet.1"
  # setsid: the node outlives this script; its own containerd starts under its exec root.
  # Its own UTS namespace too, so that `docker node ls` names the nodes.
  # DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1: a task whose image the node has starts without a
  # pull attempt first (there is no registry; each attempt cost a task seconds in Preparing).
  DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 setsid unshare --uts -- sh -c 'hostname "$0" && exec "$@"' "$ns" nsenter --net="/var/run/netns/$ns" dockerd \
    --host "$(host_of "$node")" \
    --data-root "$data/$node" \
    --exec-root "$run/$node/exec" \
    --pidfile "$run/$node/dockerd.pid" \
    --default-address-pool base=172.30.0.0/16,size=24 \
    >"$run/$node/dockerd.log" 2>&1 </dev/null &
}

wait_node() {
  local node=$1
  for _ in $(seq 1 120); do
    on "$node" info >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  tail -n 20 "$run/$node/dockerd.log" >&2 || true
  die "node $node's dockerd did not answer within 60 s (log: $run/$node/dockerd.log)"
}

load() {
  local image node
  for image in "$@"; do
    docker image inspect "$image" >/dev/null 2>&1 || die "image $image is not on this host's engine"
    for node in $(nodes); do
      docker save "$image" | on "$node" load -q >/dev/null
    done
    say "loaded $image into $(nodes | paste -sd, -)"
  done
}

up() {
  preflight
  [ ! -e "$run" ] || die "a lab named $lab is up already (or half made): scripts/swarm-lab.sh down first"
  local start node token images=("$@")
  start=$(date +%s)
  trap 'say "up failed: removing what it made"; down' ERR
  mkdir -p "$run"
  ip link add "$bridge" type bridge
  ip addr add "$subnet.1/24" dev "$bridge"
  ip link set "$bridge" up
  iptables -I "${rule[@]}"
  for node in $(nodes); do start_node "$node"; done
  for node in $(nodes); do wait_node "$node"; done
  # Overlay subnets from a pool of their own, apart from the lab's /24 and the engines' bridges.
  # A node is marked down after three missed heartbeats: 15 s at Swarm's default 5 s period,
  # about 6 s at 2 s (docs/swarm.md), and a lost node's members leave the lists only then.
  on n1 swarm init --advertise-addr "$(address n1)" --default-addr-pool 10.232.0.0/16 --dispatcher-heartbeat 2s >/dev/null
  token=$(on n1 swarm join-token -q manager)
  for node in $(nodes | tail -n +2); do
    on "$node" swarm join --token "$token" --advertise-addr "$(address "$node")" "$(address n1):2377" >/dev/null
  done
  if [ ${#images[@]} -eq 0 ]; then
    local image
    for image in fleet-nginx:offline fleet:twin; do
      docker image inspect "$image" >/dev/null 2>&1 && images+=("$image")
    done
  fi
  [ ${#images[@]} -eq 0 ] || load "${images[@]}"
  trap - ERR
  say "up: $count managers in $(($(date +%s) - start)) s; $(env_line n1)"
}

env_line() { echo "export DOCKER_HOST=$(host_of "${1:-n1}")"; }

keepalived_pids() { cat "$run/$1/keepalived.pid" "$run/$1/vrrp.pid" "$run/$1/checkers.pid" 2>/dev/null || true; }

holder() {
  local node
  for node in $(nodes); do
    # Read whole before matching: grep -q would stop early, and pipefail would call the read failed.
    if [[ $(ip -n "$lab-$node" -o addr show dev eth0 2>/dev/null) == *" $vip/"* ]]; then
      echo "$node"
      return 0
    fi
  done
  echo none
}

# The edge nodes' one client-facing address: deploy/keepalived/keepalived.conf on every node,
# its check asking the balancer's host-mode port on the node itself. The chosen node starts
# first, with the highest priority, and takes the VIP once its check passes; the others start
# after that as backups (the recipe's nopreempt keeps the VIP wherever it goes from then on).
start_keepalived() {
  local node=$1 port=$2 priority=$3 peers
  peers=$(for peer in $(nodes); do [ "$peer" = "$node" ] || address "$peer"; done | paste -sd'|' -)
  sed -e "s|@IFACE@|eth0|g" -e "s|@SELF@|$(address "$node")|g" -e "s#@PEER@#${peers//|/\n        }#g" \
    -e "s|@VIP@|$vip/24|g" -e "s|@PRIORITY@|$priority|g" -e "s|@PORT@|$port|g" "$recipe" >"$run/$node/keepalived.conf"
  chmod 0644 "$run/$node/keepalived.conf"
  setsid nsenter --net="/var/run/netns/$lab-$node" keepalived -n -l -D -f "$run/$node/keepalived.conf" \
    -p "$run/$node/keepalived.pid" -r "$run/$node/vrrp.pid" -c "$run/$node/checkers.pid" \
    >"$run/$node/keepalived.log" 2>&1 </dev/null &
}

# Waits until `holder` says $1 for a second in a row; fails after $2 tenths of a second.
steady_holder() {
  local want=$1 same=0
  for _ in $(seq 1 "$2"); do
    if [ "$(holder)" = "$want" ]; then same=$((same + 1)); else same=0; fi
    [ "$same" -lt 10 ] || return 0
    sleep 0.1
  done
  return 1
}

vrrp() {
  local port=$1 master=$2 node
  command -v keepalived >/dev/null 2>&1 || die "keepalived is needed (Debian: keepalived)"
  [[ $port =~ ^[0-9]+$ ]] || die "vrrp needs the balancer's port, not '$port'"
  [ -e "$run/$master/dockerd.pid" ] || die "no node $master in lab $lab"
  for node in $(nodes); do
    [ -z "$(keepalived_pids "$node")" ] || die "keepalived runs on $node already"
  done
  start_keepalived "$master" "$port" 120
  steady_holder "$master" 300 || die "$master did not take the VIP within 30 s (is its balancer answering on $port? log: $run/$master/keepalived.log)"
  for node in $(nodes); do
    [ "$node" = "$master" ] || start_keepalived "$node" "$port" $((100 + ${node#n}))
  done
  steady_holder "$master" 300 || die "$master lost the VIP when the backups started (logs: $run/n*/keepalived.log)"
  say "vrrp: $master holds $vip, $(nodes | grep -vx "$master" | paste -sd, -) back it up"
}

# Every node at once: TERM, up to 5 s for the engines to go, then KILL whatever is left,
# the nodes' containerd, shims and keepalived included (named by their exec roots and pid files).
stop_nodes() {
  local node pid pids=()
  for node in $(nodes); do
    # shellcheck disable=SC2046
    kill -9 $(keepalived_pids "$node") 2>/dev/null || true
  done
  for node in $(nodes); do
    pid=$(cat "$run/$node/dockerd.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && pids+=("$pid")
  done
  for _ in $(seq 1 20); do
    [ ${#pids[@]} -gt 0 ] && kill -0 "${pids[@]}" 2>/dev/null || break
    sleep 0.25
  done
  # An engine that did not stop in time (a busy host) leaves its containers running: their
  # inits go with their shims, or they would outlive the lab as orphans of pid 1.
  for node in $(nodes); do kill_node_processes "$node"; done
}

# Every process of a node's engine: each container's init (a shim's child; the rest of the
# container dies with its pid namespace), then the shims, containerd and what else runs
# under the node's exec root.
kill_node_processes() {
  local node=$1 pid
  for pid in $(pgrep -f -- "$run/$node/exec" || true); do
    pkill -9 -P "$pid" 2>/dev/null || true
  done
  pkill -9 -f -- "$run/$node/exec" 2>/dev/null || true
}

# A whole host lost (power, kernel panic): first silence, so its peers learn only by timeouts,
# then every process of the node killed: its keepalived, its containers, shims and containerd
# (kill_node_processes), and dockerd.
lose() {
  local node=$1 veth=${lab:0:8}v${1#n} pid
  [ -e "$run/$node/dockerd.pid" ] || die "no node $node in lab $lab"
  ip link set "$veth" down
  # shellcheck disable=SC2046
  kill -9 $(keepalived_pids "$node") 2>/dev/null || true
  kill_node_processes "$node"
  pid=$(cat "$run/$node/dockerd.pid" 2>/dev/null || true)
  [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true
  say "lost $node: link down, engine and containers killed"
}

down() {
  [ "$(id -u)" = 0 ] || die "the lab needs root to be taken down"
  local node mount
  stop_nodes
  sleep 0.5
  # Mounts the engines left (overlay layers, network namespaces of containers), deepest first.
  for mount in $(awk -v a="$data/" -v b="$run/" 'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$mount" 2>/dev/null || true
  done
  for node in $(nodes); do
    ip netns del "$lab-$node" 2>/dev/null || true
    ip link del "${lab:0:8}v${node#n}" 2>/dev/null || true
  done
  ip link del "$bridge" 2>/dev/null || true
  while iptables -D "${rule[@]}" 2>/dev/null; do :; done
  rm -rf "$run" "$data"
  say "down: $lab removed"
}

status() {
  on n1 node ls
}

case ${1:-} in
  up) shift; up "$@" ;;
  down) down ;;
  load) shift; preflight; [ $# -gt 0 ] || die "load needs at least one image"; load "$@" ;;
  env) env_line "${2:-n1}" ;;
  status) status ;;
  vrrp) [ $# -ge 2 ] || die "vrrp needs the balancer's port"; preflight; vrrp "$2" "${3:-n1}" ;;
  vip) echo "$vip" ;;
  holder) holder ;;
  lose) [ $# -eq 2 ] || die "lose needs one node, such as n3"; preflight; lose "$2" ;;
  *) die "usage: scripts/swarm-lab.sh up [IMAGE...] | load IMAGE... | env [NODE] | status | vrrp PORT [NODE] | vip | holder | lose NODE | down" ;;
esac
