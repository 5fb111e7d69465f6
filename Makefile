# vantage -- see README.md.  A plain Makefile: `make` builds bin/vantage and
# bin/vantage-agent; `make help` lists the other targets.

CC      ?= cc
CLANG   ?= clang
PKGS    := libzmq msgpack libcurl libunbound libevent libmicrohttpd jansson libconfig ldns openssl libpsl
CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
OPT     ?= -O2 -g
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += $(CSTD) $(WARN) $(OPT) $(PKG_CFLAGS) -I. -MMD -MP
LDLIBS  += $(PKG_LIBS) -lm

BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=

COMMON_SRC := $(wildcard common/*.c) $(wildcard proto/*.c)
AGENT_SRC  := $(filter-out agent/main.c,$(wildcard agent/*.c))
COORD_SRC  := $(filter-out coordinator/main.c,$(wildcard coordinator/*.c))
UNIT_SRC   := $(wildcard tests/unit/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
COMMON_OBJ := $(call obj,$(COMMON_SRC))
AGENT_OBJ  := $(call obj,$(AGENT_SRC))
COORD_OBJ  := $(call obj,$(COORD_SRC))
UNIT_OBJ   := $(call obj,$(UNIT_SRC))

.PHONY: all deps test unit integration demo lint format asan valgrind fuzz bench clean install uninstall help

all: bin/vantage bin/vantage-agent

help:
	@echo "make deps         install build, test and lab dependencies (Debian, idempotent)"
	@echo "make              build bin/vantage and bin/vantage-agent"
	@echo "make demo         run a multi-region check against the built-in lab"
	@echo "make test         lint, unit tests, asan, valgrind, fuzz, lab integration tests, demo"
	@echo "make unit|lint|asan|valgrind|integration|fuzz|bench"

deps:
	@deploy/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

bin/vantage: $(BUILD)/coordinator/main.o $(COORD_OBJ) $(COMMON_OBJ)
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bin/vantage-agent: $(BUILD)/agent/main.o $(AGENT_OBJ) $(COMMON_OBJ)
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit-tests: $(UNIT_OBJ) $(AGENT_OBJ) $(COORD_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

# Unit tests (Criterion).  Each test file mirrors one module.
unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests --jobs 2

# The same unit tests under AddressSanitizer and UndefinedBehaviorSanitizer.
asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" build-asan/unit-tests
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
		build-asan/unit-tests --jobs 1

# The same unit tests under valgrind (memcheck): any error or definite leak
# fails.  Criterion forks a child per test, hence --trace-children.
valgrind: $(BUILD)/unit-tests
	valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
		--suppressions=tests/valgrind.supp --trace-children=yes $(BUILD)/unit-tests --jobs 2

# libFuzzer target for the wire decoder (needs clang and libclang-rt-14-dev).
FUZZ_SECONDS ?= 60
fuzz: $(BUILD)/fuzz-proto
	@mkdir -p $(BUILD)/fuzz-corpus
	$(BUILD)/fuzz-proto -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 -malloc_limit_mb=64 \
		$(BUILD)/fuzz-corpus tests/fuzz/corpus

$(BUILD)/fuzz-proto: tests/fuzz/fuzz_proto.c proto/proto.c common/result.c
	@mkdir -p $(BUILD)
	$(CLANG) $(CSTD) -g -O1 -fsanitize=fuzzer,address,undefined -I. $(shell pkg-config --cflags msgpack) \
		-o $@ $^ $(shell pkg-config --libs msgpack)

lint:
	@tests/lint.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

integration: all
	@tests/integration/run.sh

demo: deps all
	@deploy/lab/demo.sh

# Everything CI checks.  Runs deps first, so one command does it on a fresh machine.
test: deps
	$(MAKE) all
	$(MAKE) lint
	$(MAKE) unit
	$(MAKE) asan
	$(MAKE) valgrind
	$(MAKE) FUZZ_SECONDS=20 fuzz
	$(MAKE) integration
	deploy/lab/demo.sh

bench: deps all
	@bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0755 bin/vantage bin/vantage-agent $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/vantage $(DESTDIR)$(PREFIX)/bin/vantage-agent
	cd man && for f in *.1; do rm -f $(DESTDIR)$(PREFIX)/share/man/man1/$$f; done
	cd man && for f in *.5; do rm -f $(DESTDIR)$(PREFIX)/share/man/man5/$$f; done

clean:
	rm -rf build build-asan bin

-include $(shell find build build-asan -name '*.d' 2>/dev/null)
