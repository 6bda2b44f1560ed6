# The two commands of the README:  make demo  and  make test.
# Both install missing Debian packages (scripts/install-deps.sh), configure and build.
BUILD ?= build
BUILD_ASAN ?= build-asan
BUILD_TSAN ?= build-tsan
BUILD_FUZZ ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
PREFIX ?= /usr/local
comma := ,

.PHONY: all deps configure build demo install test test-families gpu-check test-asan test-tsan fuzz bench clean format

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# The main job: the deferred-renderer demo, headless on the default device (lavapipe here),
# writes frame.png and prints per-pass GPU times, barriers and transient memory.
demo: build
	$(BUILD)/vkgraph demo --out frame.png

# The library (shared and static), vkgraph.h, the vkgraph tool, pkg-config and CMake files.
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

# Every test but those still failing on the simulated queue families (label families-pending,
# listed in tests/CMakeLists.txt); `make test-families` runs every simulated-families variant.
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE families-pending

test-families: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L families

# On a machine with a GPU: device tests, every example, the demo and the device benchmarks on
# it, with a summary (scripts/gpu-check.sh, docs/testing.md).
gpu-check: build
	scripts/gpu-check.sh $(BUILD)

# The sanitizer passes leave out the SwiftShader variants (its JIT and threads are not
# instrumented; lavapipe's variants run the same vkgraph code) to keep CI near 20 minutes.
SAN_SKIP ?= families-pending|swiftshader

# One sanitizer pass: configure, build and test in $(1) with -DVKG_SANITIZE=$(2).
define sanitized_tests
	cmake -S . -B $(1) -DCMAKE_BUILD_TYPE=Debug -DVKG_SANITIZE=$(2) -DVKG_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(1) -j $(JOBS)
	cd $(1) && ctest --output-on-failure -j $(JOBS) -LE '$(SAN_SKIP)'
endef

# Tests under AddressSanitizer + UndefinedBehaviorSanitizer (CI runs this too).
test-asan: deps
	$(call sanitized_tests,$(BUILD_ASAN),address$(comma)undefined)

# Tests under ThreadSanitizer (CI runs this too): the completion-queue watcher, tasks, the
# multithreaded recorder. tests/tsan.supp lists only the uninstrumented layer and drivers.
test-tsan: deps
	$(call sanitized_tests,$(BUILD_TSAN),thread)

# Every benchmark, then bench/out/results.json, figures.json, table.md and PNG charts
# (bench/run.sh, bench/report.mjs; BENCHMARKS.md explains them).
# libFuzzer targets (clang, ASan + UBSan), each run for FUZZ_SECONDS (CI runs this too).
fuzz: deps
	cmake -S . -B $(BUILD_FUZZ) -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DVKG_SANITIZE=address,undefined -DVKG_FUZZ=ON -DVKG_TESTS=OFF -DVKG_BENCH=OFF -DVKG_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target fuzz_json fuzz_api
	fuzz/run.sh $(BUILD_FUZZ) $(FUZZ_SECONDS)

bench: build
	@scripts/install-deps.sh --bench
	bench/run.sh $(BUILD)

format:
	clang-format -i include/*.h src/*/*.c src/*/*.h tests/*.c tests/*.h bench/*.c examples/*.c

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_TSAN) $(BUILD_FUZZ)
