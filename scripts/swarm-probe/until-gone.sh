# Run inside a container on the stack's overlay (bash -c "$(cat until-gone.sh)" until-gone GONE IP...):
# reads the list of every IP in a loop until no address of GONE (comma-separated) is in any;
# prints when it saw that, in ms since the epoch. Used by the Swarm test and bench.
gone=$1; shift
while :; do
  clean=1
  for ip in "$@"; do
    if { exec 3<>/dev/tcp/$ip/8080 && printf 'GET / HTTP/1.0\r\n\r\n' >&3 && sed '1,/^\r$/d' <&3; } 2>/dev/null | grep -qxF -f <(tr , '\n' <<<"$gone"); then clean=0; break; fi
  done
  [ $clean = 1 ] && { date +%s%3N; exit 0; }
done
