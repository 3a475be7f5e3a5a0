# Makefile - the two commands of the README, and the steps they are made of.
#   make demo   installs dependencies, builds flowc and runs the shop example: its tests,
#               a scripted scenario, the trace of one order and the final tables
#   make test   installs dependencies, builds, and runs every test (units, lit, language
#               tests, goldens, end to end, formatting, layering) and the fuzzers under ASan
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

DEMO_DATA := $(BUILD)/demo-data

demo: build
	@echo "== flowc check examples/shop/shop.flow"
	$(FLOWC) check examples/shop/shop.flow
	@echo "== flowc test examples/shop/shop.flow"
	$(FLOWC) test examples/shop/shop.flow
	@echo "== flowc run: the scripted scenario (examples/shop/scenario.jsonl)"
	@rm -rf $(DEMO_DATA)
	$(FLOWC) run examples/shop/shop.flow --data $(DEMO_DATA) --input examples/shop/scenario.jsonl
	@echo "== flowc trace o1: one order across the four services"
	$(FLOWC) trace examples/shop/shop.flow --data $(DEMO_DATA) o1
	@echo "== flowc dump: the final tables"
	$(FLOWC) dump examples/shop/shop.flow --data $(DEMO_DATA)

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
	BUILD=$(abspath $(BUILD)) tests/tools/update_goldens.sh

clean:
	rm -rf build
