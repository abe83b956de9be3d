# The dkr-ls tool image: Node 24 on alpine:3.10, the same runtime arrangement as the fleet
# daemon's image (images/fleet/Dockerfile). From the repository root, after `make build`
# (the image takes the bundle the checkout built, dist/dkr-ls.cjs):
#   docker build -t dkr-ls .                                   (or: make image)
#   docker run --rm -v /var/run/docker.sock:/var/run/docker.sock dkr-ls tags --sum
#
# The bases are arguments so that CI can build this same file without a registry
# (images/twin/build.sh: dkr-ls:twin, run through e2e.sh).
ARG NODE_BASE=node:24-bookworm-slim
ARG FINAL_BASE=alpine:3.10

# Stage "runtime": Node 24 and the exact libraries it loads, its loader and library path
# pointed at /opt/node/lib, plus a static tini (images/runtime/carry-node.sh). alpine:3.10's
# own nodejs is the 10.x line (end of life) and Node's official builds need glibc, so Node
# comes from here; this Debian stage is not the final base, alpine:3.10 is.
FROM ${NODE_BASE} AS runtime
COPY images/runtime/carry-node.sh /usr/local/bin/carry-node
RUN carry-node /opt/node

FROM ${FINAL_BASE}
COPY --from=runtime /opt/node /opt/node
COPY dist/dkr-ls.cjs /usr/local/lib/dkr-ls/dkr-ls.cjs
ENV PATH=/opt/node/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN { [ -e /etc/nsswitch.conf ] || printf 'hosts: files dns\n' >/etc/nsswitch.conf; } \
 && node /usr/local/lib/dkr-ls/dkr-ls.cjs --help >/dev/null
LABEL org.opencontainers.image.title="dkr-ls" \
      org.opencontainers.image.description="dkr-ls: lists the engine's images as docker images does"
# PID 1 is tini so that Ctrl-C (SIGINT, passed on by `docker run`) stops a listing: node as
# PID 1 would ignore it.
ENTRYPOINT ["/opt/node/bin/tini", "-s", "--", "node", "/usr/local/lib/dkr-ls/dkr-ls.cjs"]
CMD ["--help"]
