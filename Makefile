# The two commands a newcomer needs: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
NODE_MODULES_STAMP := node_modules/.package-lock.json

.PHONY: all deps build install uninstall services test typecheck lint unit demo bench contract clean

# Where `make install` puts the irods-omero-agent command (PREFIX=$$HOME/.local needs no root).
PREFIX ?= /usr/local
BINDIR := $(DESTDIR)$(PREFIX)/bin

all: build

$(NODE_MODULES_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

deps: $(NODE_MODULES_STAMP)

build: deps
	npm run --silent build

# The command on the PATH: a link to the built CLI, whose shebang passes the agent's Node flags.
install: build
	install -d "$(BINDIR)"
	ln -sfn "$(CURDIR)/dist/src/cli/main.js" "$(BINDIR)/irods-omero-agent"
	@echo "installed $(BINDIR)/irods-omero-agent -> $(CURDIR)/dist/src/cli/main.js"

uninstall:
	rm -f "$(BINDIR)/irods-omero-agent"

services:
	@./scripts/ensure-services.sh

typecheck: deps
	npx tsc -p tsconfig.json --noEmit

lint: deps
	npx eslint . --max-warnings=0

# Everything CI runs: type-check, lint, then every vitest project against the real services.
test: deps services typecheck lint build
	npx vitest run

unit: deps
	npx vitest run --project unit

demo: deps services build
	node dist/scripts/demo.js $(DEMO_ARGS)

bench: deps services build
	node dist/bench/run-all.js

# The stand-in's conformance tests against a real iRODS HTTP API: every failure is a place where
# the stand-in and that server differ (expected = the stand-in, received = the server). Needs
# IRODS_HTTP_API_URL and rods's IRODS_PASSWORD; use a disposable test zone (tempZone, demoResc).
# See test/standins/irods-http-api/README.md. Not part of `make test`.
contract: deps
	@test -n "$$IRODS_HTTP_API_URL" || { echo 'make contract needs IRODS_HTTP_API_URL (e.g. http://localhost:9000/irods-http-api/0.7.0) and IRODS_PASSWORD'; exit 2; }
	IRODS_CONTRACT=1 npx vitest run --project integration --no-file-parallelism --reporter=verbose test/integration/standin

clean:
	rm -rf dist coverage .tmp
