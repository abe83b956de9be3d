# Run inside a container on the stack's overlay (bash -c "$(cat until-new.sh)" until-new KNOWN IP...):
# reads the list of every IP in a loop until each names an address that is not in KNOWN
# (comma-separated: the members before a death, the dead one too), the same one in all; prints
# when it saw that, in ms since the epoch, and that address. Used by bench/swarm.mjs.
known=$1; shift
while :; do
  new=
  for ip in "$@"; do
    got=$({ exec 3<>/dev/tcp/$ip/8080 && printf 'GET / HTTP/1.0\r\n\r\n' >&3 && sed '1,/^\r$/d' <&3; } 2>/dev/null | grep -vxF -f <(tr , '\n' <<<"$known") | head -n 1)
    if [ -z "$got" ] || { [ -n "$new" ] && [ "$got" != "$new" ]; }; then new=; break; fi
    new=$got
  done
  [ -n "$new" ] && { echo "$(date +%s%3N) $new"; exit 0; }
done
