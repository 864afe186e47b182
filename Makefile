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

# As root the embedded PostgreSQL runs as the 'postgres' user, which must be able
# to reach the state directory; a checkout under a private home (/root is 0700)
# gets its state in /var/lib/midpki instead.
run: build
	@state=$${MIDPKI_STATE_DIR:-$(STATE_DIR)}; \
	if [ -z "$${MIDPKI_STATE_DIR:-}" ] && [ "$$(id -u)" -eq 0 ] && \
	   ! runuser -u postgres -- test -x "$$(pwd)" 2>/dev/null; then \
		state=/var/lib/midpki; \
		echo "make run: $$(pwd) is not reachable by the postgres user; state goes to $$state"; \
	fi; \
	MIDPKI_STATE_DIR=$$state exec $(BUILD_DIR)/cli/midpki serve

# The test suite always runs under AddressSanitizer and UBSan.
$(TEST_BUILD_DIR)/build.ninja:
	meson setup $(TEST_BUILD_DIR) -Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fno-sanitize-recover=all -Dbuildtype=debug

test-build: deps $(TEST_BUILD_DIR)/build.ninja
	meson compile -C $(TEST_BUILD_DIR)

test: test-build
	@meson test -C $(TEST_BUILD_DIR) --print-errorlogs $(MESON_TEST_ARGS); \
	rc=$$?; python3 tests/lib/summary.py $(TEST_BUILD_DIR)/meson-logs/testlog.json; exit $$rc

build-fuzz/build.ninja:
	CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debug -Dc_args=-fsanitize=fuzzer-no-link

# libFuzzer targets (clang); each runs briefly over its seed corpus, keeping what
# it finds in a temporary directory so that the checked-in corpus stays as it is
fuzz: deps build-fuzz/build.ninja
	meson compile -C build-fuzz
	for t in $$(find build-fuzz/tests/fuzz -maxdepth 1 -type f -name 'fuzz_*'); do \
		n=$$(basename $$t | sed 's/^fuzz_//'); \
		d=$$(mktemp -d); \
		$$t $$d tests/fuzz/corpus/$$n -max_total_time=$${FUZZ_SECONDS:-20} || \
			{ rm -rf $$d; exit 1; }; \
		rm -rf $$d; \
	done

clean:
	rm -rf $(BUILD_DIR) $(TEST_BUILD_DIR) build-fuzz
