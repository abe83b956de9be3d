# Run inside a container on the stack's overlay (bash -c "$(cat fetch.sh)" fetch IP...): GET /
# of each member, one line each: `ip list,of,ips` sorted, or `ip (none)`. Each read is bounded:
# a member on a lost node never answers, nor refuses. Used by the Swarm test and bench.
for ip in "$@"; do
  list=$(timeout 3 bash -c 'exec 3<>/dev/tcp/$0/8080 && printf "GET / HTTP/1.0\r\n\r\n" >&3 && sed "1,/^\r$/d" <&3' "$ip" 2>/dev/null | sort -t. -k1,1n -k2,2n -k3,3n -k4,4n | paste -sd, -)
  echo "$ip ${list:-(none)}"
done
