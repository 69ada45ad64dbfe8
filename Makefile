# The two commands a newcomer needs: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
NODE_MODULES_STAMP := node_modules/.package-lock.json

.PHONY: all install build services test typecheck lint unit demo bench contract clean

all: build

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(NODE_MODULES_STAMP)

build: install
	npm run --silent build

services:
	@./scripts/ensure-services.sh

typecheck: install
	npx tsc -p tsconfig.json --noEmit

lint: install
	npx eslint . --max-warnings=0

# Everything CI runs: type-check, lint, then every vitest project against the real services.
test: install services typecheck lint build
	npx vitest run

unit: install
	npx vitest run --project unit

demo: install services build
	node dist/scripts/demo.js

bench: install services build
	node dist/bench/run-all.js

# The stand-in's conformance tests against a real iRODS HTTP API: every failure is a place where
# the stand-in and that server differ (expected = the stand-in, received = the server). Needs
# IRODS_HTTP_API_URL and rods's IRODS_PASSWORD; use a disposable test zone (tempZone, demoResc).
# See test/standins/irods-http-api/README.md. Not part of `make test`.
contract: install
	@test -n "$$IRODS_HTTP_API_URL" || { echo 'make contract needs IRODS_HTTP_API_URL (e.g. http://localhost:9000/irods-http-api/0.7.0) and IRODS_PASSWORD'; exit 2; }
	IRODS_CONTRACT=1 npx vitest run --project integration --no-file-parallelism --reporter=verbose test/integration/standin

clean:
	rm -rf dist coverage .tmp
