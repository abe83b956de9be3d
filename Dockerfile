# The dkr-ls tool image: Alpine 3.10 with Node from Alpine's packages (the 10.x line),
# running dkr-ls bundled for Node 10. Usage:
#   docker run --rm -v /var/run/docker.sock:/var/run/docker.sock dkr-ls tags --sum
#
# Build stage on a current Node: esbuild and TypeScript need Node >= 18 and don't run on
# Node 10; Node 10 only has to run their output (esbuild --target=node10, see
# scripts/build.mjs). CI proves that bundle on Node 10.24.1 (scripts/node10-check.sh),
# since this image can't be built without a registry.
FROM node:20-alpine AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/build.mjs
COPY src src
RUN node scripts/build.mjs

FROM alpine:3.10
RUN apk add --no-cache nodejs
COPY --from=build /src/dist/dkr-ls.node10.cjs /usr/local/lib/dkr-ls/dkr-ls.cjs
ENTRYPOINT ["node", "/usr/local/lib/dkr-ls/dkr-ls.cjs"]
CMD ["--help"]
