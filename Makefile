# The two commands: `make run` and `make test`. Both install what is
# missing first (scripts/install-deps.sh) and build incrementally.
BUILD      ?= build
WASM_BUILD ?= build-wasm
PORT       ?= 3001
JOBS       ?= $(shell nproc)
export NODE_PATH := /usr/share/nodejs
# ccache hits across checkouts in other folders (paths relative to the repo).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: all deps build native wasm demo test unit integration types e2e examples run bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps native wasm demo

native:
	@test -f $(BUILD)/build.ninja || cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
	@cmake --build $(BUILD) -j $(JOBS)

wasm:
	@test -f $(WASM_BUILD)/build.ninja || emcmake cmake -S . -B $(WASM_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(WASM_BUILD) -j $(JOBS)
	@node scripts/build-js-package.mjs

# The demo page as served: web-demo/ with its script bundled for browsers
# (the package it imports included, as any app's bundler would).
demo: wasm
	@rm -rf $(BUILD)/web-demo && mkdir -p $(BUILD)/web-demo
	@cp web-demo/index.html web-demo/style.css $(BUILD)/web-demo/
	@node_modules/.bin/esbuild web-demo/app.js --bundle --format=esm --platform=browser --target=es2020 \
	  --log-level=warning --outfile=$(BUILD)/web-demo/app.js

test: build unit integration types e2e examples

unit:
	@cd $(BUILD) && ctest --output-on-failure

integration:
	@node --test --test-concurrency=1 tests/integration/ tests/wasm/ tests/js/ tests/react/

types:
	@npx --no-install tsc -p tests/types/tsconfig.json && echo "types: usage file type-checks"

e2e:
	@node --test --test-concurrency=1 tests/e2e/

# The example apps (examples/: Vite, webpack, Next.js) installed with the
# package as npm packs it, built for production and checked in Chromium.
examples:
	@node --test --test-concurrency=1 tests/examples/

bench: build
	@$(BUILD)/bin/bench-task-throughput 5000 50 5
	@node bench/sockets.mjs
	@node bench/client_decode.mjs

run: build
	BROLOSTACK_ENV=$${BROLOSTACK_ENV:-development} STATIC_DIR=$${STATIC_DIR:-$(BUILD)/web-demo} \
	  $(BUILD)/bin/brolostack-server --port $(PORT)

clean:
	rm -rf $(BUILD) $(WASM_BUILD) js/dist
