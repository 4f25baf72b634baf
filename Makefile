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

.PHONY: all deps deps-run server build native wasm demo test unit fuzz-build fuzz-smoke fuzz run-fuzzers integration types e2e examples backends-node backends-python run bench clean

all: build

deps:
	@scripts/install-deps.sh

# What `make run` needs and no more: no browser, sanitizers or test frameworks.
deps-run:
	@scripts/install-deps.sh run

build: deps native wasm demo

CMAKE_NATIVE = cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

native:
	@grep -qs 'BROLOSTACK_BUILD_TESTS:BOOL=ON' $(BUILD)/CMakeCache.txt || $(CMAKE_NATIVE) -DBROLOSTACK_BUILD_TESTS=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# The server alone, for `make run` (tests, benches and examples stay unbuilt
# until `make test` asks for them).
server:
	@test -f $(BUILD)/build.ninja || $(CMAKE_NATIVE) -DBROLOSTACK_BUILD_TESTS=OFF >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target brolostack-server

wasm:
	@# Release: the Node build runs at -O3; the browser build is made for size (wasm-client/).
	@grep -qs 'CMAKE_BUILD_TYPE:STRING=Release' $(WASM_BUILD)/CMakeCache.txt || \
	  emcmake cmake -S . -B $(WASM_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(WASM_BUILD) -j $(JOBS)
	@node scripts/build-js-package.mjs

# The demo page as served: the React app in web-demo/ (an npm workspace
# importing the package as `brolostack`) built by Vite into $(BUILD)/web-demo,
# with content-hashed assets; skipped when nothing it is built from changed.
demo: wasm
	@node scripts/build-web-demo.mjs $(BUILD)/web-demo

test: build unit fuzz-smoke integration types e2e examples backends-node backends-python

unit:
	@cd $(BUILD) && ctest --output-on-failure

# libFuzzer targets (tests/fuzz) on the core, built with clang into
# $(FUZZ_BUILD). `make test` runs each over its committed seed corpus and a
# few seconds beyond; `make fuzz` runs each for FUZZ_SECONDS. Inputs that
# grow coverage collect in $(FUZZ_BUILD)/work/<target>; crashes land there too.
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := client_frame_fuzz server_frame_fuzz args_message_fuzz binary_chunk_fuzz jwt_fuzz queue_restore_fuzz client_session_fuzz inflate_fuzz

fuzz-build: deps
	@test -f $(FUZZ_BUILD)/build.ninja || CC=clang-14 CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -G Ninja \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBROLOSTACK_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)

fuzz-smoke: fuzz-build
	@$(MAKE) --no-print-directory run-fuzzers SECONDS_EACH=5

fuzz: fuzz-build
	@$(MAKE) --no-print-directory run-fuzzers SECONDS_EACH=$(FUZZ_SECONDS)

run-fuzzers:
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/work/$$t; \
	  $(FUZZ_BUILD)/tests/fuzz/$$t -max_total_time=$(SECONDS_EACH) -max_len=4096 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/work/$$t- $(FUZZ_BUILD)/work/$$t tests/fuzz/corpus/$$t \
	    > $(FUZZ_BUILD)/work/$$t.log 2>&1 || { tail -40 $(FUZZ_BUILD)/work/$$t.log; echo "fuzz: $$t found a failure"; exit 1; }; \
	  echo "fuzz: $$t $$(grep -o 'number_of_executed_units: [0-9]*' $(FUZZ_BUILD)/work/$$t.log | grep -o '[0-9]*') runs, no failure"; \
	done

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

# brolostack/server in Node: the backend apps (examples/backends/node-*:
# Express, Fastify, Koa, NestJS from npm) with the package as npm packs it,
# the supervision of their native server, bad input, the seed's snippets.
backends-node:
	@node --test --test-concurrency=1 tests/backends/node-*.test.mjs

# The Python half (integrations/python, standard library only): its unit
# tests, then the generated apps (examples/backends/python-*: FastAPI,
# Flask, Django, Tornado from Debian) with Debian's python3 beside a real
# brolostack-server, talked to by the JS client.
backends-python:
	@/usr/bin/python3 -m unittest discover -s integrations/python/tests
	@node --test --test-concurrency=1 tests/backends/python-*.test.mjs

# Sockets against the anchors (bench/perf.mjs: our server, Socket.IO, ws and
# a C ceiling under one native loader) into bench/results/latest.{json,md}
# and latency.png; QUICK=1 runs that alone, in about a minute.
bench: build
	@scripts/install-deps.sh bench
	@BENCH_BUILD_DIR=$(BUILD) node bench/perf.mjs $(if $(QUICK),--quick,)
ifndef QUICK
	@$(BUILD)/bin/bench-task-throughput 5000 1000 5
	@$(BUILD)/bin/bench-task-throughput 5000 1000 5 3000
	@node bench/store_publish.mjs --seconds 1
	@node bench/abuse.mjs --seconds 2
	@node bench/compression.mjs
	@node bench/client_path.mjs
endif

# The server with the demo page, and the demo agents as a Node worker
# beside it; prints the URL; Ctrl-C stops both (scripts/run-demo.mjs).
run: deps-run server demo
	@BROLOSTACK_ENV=$${BROLOSTACK_ENV:-development} STATIC_DIR=$${STATIC_DIR:-$(BUILD)/web-demo} \
	  node scripts/run-demo.mjs --server $(BUILD)/bin/brolostack-server --port $(PORT)

clean:
	rm -rf $(BUILD) $(WASM_BUILD) $(FUZZ_BUILD) js/dist
