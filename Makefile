# A thin front to meson. `make run` and `make test` install what is missing first.
BUILD_DIR ?= build
TEST_BUILD_DIR ?= build-sanitize
STATE_DIR ?= ./midpki-state
MESON_TEST_ARGS ?=

.PHONY: all deps build run test test-build fuzz clean

all: build

deps:
	@sh scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	meson setup $(BUILD_DIR)

build: deps $(BUILD_DIR)/build.ninja
	meson compile -C $(BUILD_DIR)

run: build
	MIDPKI_STATE_DIR=$${MIDPKI_STATE_DIR:-$(STATE_DIR)} $(BUILD_DIR)/cli/midpki serve

# The test suite always runs under AddressSanitizer and UBSan.
$(TEST_BUILD_DIR)/build.ninja:
	meson setup $(TEST_BUILD_DIR) -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all -Dbuildtype=debug

test-build: deps $(TEST_BUILD_DIR)/build.ninja
	meson compile -C $(TEST_BUILD_DIR)

test: test-build
	@meson test -C $(TEST_BUILD_DIR) --print-errorlogs $(MESON_TEST_ARGS); \
	rc=$$?; python3 tests/lib/summary.py $(TEST_BUILD_DIR)/meson-logs/testlog.json; exit $$rc

fuzz: deps
	CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false 2>/dev/null || true
	meson compile -C build-fuzz

clean:
	rm -rf $(BUILD_DIR) $(TEST_BUILD_DIR) build-fuzz
