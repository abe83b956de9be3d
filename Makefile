# fleet's everyday commands. `make up` runs a fleet, `make test` runs every test.
.PHONY: all deps build test unit lint e2e image image-fleet image-nginx image-offline up down bench clean

all: build

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch node_modules

deps: node_modules

build: deps
	npm run build

# Every test: unit, balancer, and Docker end to end (engine and stand-in image made here if missing).
test: deps
	scripts/ensure-docker.sh
	npm run image:offline
	npm test

unit: deps
	npm run test:unit

lint: deps
	npm run lint

e2e: build
	scripts/ensure-docker.sh
	./e2e.sh

# The dkr-ls tool image (FROM alpine:3.10: needs a registry).
image:
	docker build -t dkr-ls .

# The fleet daemon image (FROM alpine:3.10: needs a registry).
image-fleet:
	docker build -f images/fleet/Dockerfile -t fleet .

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
