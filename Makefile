# The two commands a newcomer needs: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
NODE_MODULES_STAMP := node_modules/.package-lock.json

.PHONY: all install build services test typecheck lint unit demo bench clean

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

clean:
	rm -rf dist coverage .tmp
