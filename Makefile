# Makefile - the two commands of the README, and the steps they are made of.
#   make demo   installs dependencies, builds flowc and runs the shop example
#   make test   installs dependencies, builds, and runs every test (units, lit,
#               goldens, formatting, layering) and the fuzzers under ASan
PRESET ?= dev
BUILD := build/$(PRESET)
FLOWC := $(BUILD)/compiler/flowc
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60

.PHONY: all deps configure build demo test test-slow check fuzz-build fuzz format format-check update-goldens clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake --preset $(PRESET) > /dev/null

build: configure
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@echo "== flowc check examples/shop/shop.flow"
	$(FLOWC) check examples/shop/shop.flow
	@echo "== flowc graph --format mermaid examples/shop/shop.flow"
	$(FLOWC) graph --format mermaid examples/shop/shop.flow

check: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -LE slow

# The long suites: 200 kill -9 cycles, 10,000 property cases per operator.
test-slow: build
	ctest --test-dir $(BUILD) --output-on-failure -L slow

test: check fuzz

fuzz-build: deps
	@cmake --preset asan > /dev/null
	cmake --build build/asan -j $(JOBS) --target flow_fuzzers

fuzz: fuzz-build
	tests/fuzz/run_fuzzers.sh build/asan $(FUZZ_SECONDS)

format:
	git ls-files 'compiler/*.cpp' 'compiler/*.h' 'runtime/*.cpp' 'runtime/*.h' 'tests/unit/*.cpp' \
	    'tests/fuzz/*.cpp' 'stdlib/*.cpp' 'stdlib/*.h' 'bench/*.cpp' | xargs clang-format -i

format-check:
	tests/tools/check_format.sh .

update-goldens: build
	BUILD=$(BUILD) tests/tools/update_goldens.sh

clean:
	rm -rf build
