# eyni - top-level entry points. `make run` and `make test` set up everything they need.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD ?= build
TEST_BUILD ?= build-test
FUZZ_BUILD ?= build-fuzz
DATA ?= var/eyni
LISTEN ?= 127.0.0.1:8080
EYNI_TESTDATA ?= $(abspath ../shared/data)
export EYNI_TESTDATA

.PHONY: all setup build run test test-unit test-fuzz test-console console-deps bench clean format

all: build

setup:
	@scripts/setup.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEYNI_TESTS=OFF

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Starts eynid on $(LISTEN) with the embedded SQLite store in $(DATA).
run: build
	@if [ ! -f $(DATA)/eyni.conf ]; then $(BUILD)/eyni init --data $(DATA) --listen $(LISTEN); fi
	exec $(BUILD)/eynid --data $(DATA)

# gcc with ASan+UBSan runs the unit, integration and end-to-end tests; clang builds the
# libFuzzer targets (so both compilers see every file with -Werror) and runs each for a
# bounded time over its corpus.
test: setup test-unit test-fuzz

test-unit: console-deps
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=gcc \
	  -DCMAKE_C_FLAGS_DEBUG="-O2 -g" -DEYNI_SANITIZE=ON -DEYNI_TESTDATA=$(EYNI_TESTDATA)
	cmake --build $(TEST_BUILD) -j $(JOBS)
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS) -LE fuzz

# The browser tests of the operator console: playwright-core exactly as locked, no install
# scripts (Chromium is Debian's, from scripts/setup.sh).
console-deps:
	cd tests/console && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

test-console: setup console-deps
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=gcc \
	  -DCMAKE_C_FLAGS_DEBUG="-O2 -g" -DEYNI_SANITIZE=ON -DEYNI_TESTDATA=$(EYNI_TESTDATA)
	cmake --build $(TEST_BUILD) -j $(JOBS) --target eyni eynid
	cd $(TEST_BUILD) && ctest --output-on-failure -L console

test-fuzz:
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
	  -DCMAKE_C_FLAGS_DEBUG="-O1 -g" -DEYNI_FUZZ=ON -DEYNI_TESTS=ON -DEYNI_TESTDATA=$(EYNI_TESTDATA)
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	cd $(FUZZ_BUILD) && ctest --output-on-failure -j $(JOBS) -L fuzz

# Accuracy and speed figures; each writes one JSON object into $(BUILD)/bench-results.
BENCHES = finger:fvc2002-b-real face:lfw-a-gray-dev voice:fsdd-spoken-digits/speakers \
          wsq:fvc2002-b-real mrtd:icao9303-test/bsi2008-test-passport-MUSTERMANN dna: dedup: \
          video:
bench: build
	mkdir -p $(BUILD)/bench-results
	@for b in $(BENCHES); do name=$${b%%:*}; dir=$${b#*:}; \
	  echo "== eyni bench $$name" >&2; \
	  if [ "$$name" = dna ]; then arg=""; elif [ "$$name" = dedup ]; then arg="$(EYNI_TESTDATA)"; \
	  elif [ "$$name" = video ]; then arg="$(BUILD)/bench-video"; \
	  else arg="$(EYNI_TESTDATA)/$$dir"; fi; \
	  EYNI_TESTDATA=$(EYNI_TESTDATA) $(BUILD)/eyni bench $$name $$arg --json > $(BUILD)/bench-results/$$name.json \
	    || echo "eyni bench $$name failed" >&2; \
	done
	@ls -l $(BUILD)/bench-results

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(TEST_BUILD) $(FUZZ_BUILD)
