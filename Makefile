# vantage -- see README.md.  A plain Makefile: `make` builds bin/vantage and
# bin/vantage-agent; `make help` lists the other targets.

CC      ?= cc
CLANG   ?= clang
PKGS    := libzmq msgpack libcurl libunbound libevent libmicrohttpd jansson libconfig ldns openssl libpsl libidn2 sqlite3
CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
OPT     ?= -O2 -g
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += $(CSTD) $(WARN) $(OPT) $(PKG_CFLAGS) -I. -MMD -MP
LDLIBS  += $(PKG_LIBS) -lm -pthread

BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
# systemd units, sysusers.d and tmpfiles.d snippets (deploy/systemd/).  The
# units' ExecStart= is rewritten to $(PREFIX)/bin on install.
UNITDIR     ?= /lib/systemd/system
SYSUSERSDIR ?= /usr/lib/sysusers.d
TMPFILESDIR ?= /usr/lib/tmpfiles.d
UNITS       := vantage.service vantage-agent.service
# Shared data: the cloud-init user-data template `vantage enroll --cloud-init`
# fills (compiled into coordinator/cli.c as VANTAGE_DATADIR).
DATADIR     := $(PREFIX)/share/vantage

COMMON_SRC := $(wildcard common/*.c) $(wildcard proto/*.c)
AGENT_SRC  := $(filter-out agent/main.c,$(wildcard agent/*.c))
COORD_SRC  := $(filter-out coordinator/main.c,$(wildcard coordinator/*.c))
UNIT_SRC   := $(wildcard tests/unit/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
COMMON_OBJ := $(call obj,$(COMMON_SRC))
AGENT_OBJ  := $(call obj,$(AGENT_SRC))
COORD_OBJ  := $(call obj,$(COORD_SRC))
UNIT_OBJ   := $(call obj,$(UNIT_SRC))

.PHONY: FORCE all deps test unit integration demo lint format asan valgrind fuzz bench clean install uninstall help systemd-check
.PHONY: deb deb-check package-check asan-integration tools docs docs-check print-pkgs

all: bin/vantage bin/vantage-agent

# Test tools the lab uses (not installed): the webhook receiver.
tools: $(BUILD)/hooksink
$(BUILD)/hooksink: tests/tools/hooksink.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(shell pkg-config --libs libmicrohttpd)

help:
	@echo "make deps         install build, test and lab dependencies (Debian, idempotent)"
	@echo "make              build bin/vantage and bin/vantage-agent"
	@echo "make demo         run a multi-region check against the built-in lab"
	@echo "make test         lint, unit tests, asan, valgrind, fuzz, lab integration tests, demo"
	@echo "make unit|lint|systemd-check|asan|valgrind|integration|fuzz|bench"

deps:
	@deploy/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# Only cli.c uses the data directory.  The stamp changes (and cli.o is rebuilt)
# only when DATADIR does, e.g. from `make` to `make PREFIX=/usr`.
$(BUILD)/coordinator/cli.o: CFLAGS += -DVANTAGE_DATADIR='"$(DATADIR)"'
$(BUILD)/coordinator/cli.o: $(BUILD)/datadir.stamp
$(BUILD)/datadir.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(DATADIR)' | cmp -s - $@ || echo '$(DATADIR)' >$@
FORCE:

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

# docs/findings.md is generated from the catalogue in common/finding*.c;
# docs-check (part of `make test`) fails when the two drift apart.
docs: bin/vantage
	bin/vantage findings --markdown >docs/findings.md

docs-check: bin/vantage
	@bin/vantage findings --markdown | diff -u docs/findings.md - >/dev/null || \
		{ bin/vantage findings --markdown | diff -u docs/findings.md - | head -40; \
		  echo "docs-check: docs/findings.md is not what 'vantage findings --markdown' prints; run 'make docs'"; exit 1; }
	@echo "docs-check: docs/findings.md matches the catalogue"

# The systemd units (verify, exposure scores) over a scratch `make install`,
# and the man pages rendered with warnings on (tests/systemd.sh).
systemd-check: all
	@tests/systemd.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

integration: all tools
	@tests/integration/run.sh

# The lab scenarios again with the daemons and CLI built under ASan/UBSan
# (objects from `make asan`); any sanitizer report fails.
asan-integration:
	@tests/asan-integration.sh

# The pkg-config packages the binaries link (tests/asan-integration.sh links
# its own sanitized binaries with the same list).
print-pkgs:
	@echo $(PKGS)

demo: deps all
	@deploy/lab/demo.sh

# Everything CI checks.  Runs deps first, so one command does it on a fresh machine.
test: deps
	$(MAKE) all
	$(MAKE) lint
	$(MAKE) docs-check
	$(MAKE) systemd-check
	$(MAKE) package-check
	$(MAKE) unit
	$(MAKE) asan
	$(MAKE) valgrind
	$(MAKE) FUZZ_SECONDS=20 fuzz
	$(MAKE) integration
	$(MAKE) asan-integration
	deploy/lab/demo.sh

bench: deps all
	@bench/run.sh

# Debian package: build-deb/vantage_VERSION_ARCH.deb.  dpkg-buildpackage runs
# on a copy of the tree (the files git knows, or everything but the build
# directories), so its clean step leaves this tree's bin/ and build/ alone.
DEB_DIR ?= build-deb
deb:
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then git ls-files -co --exclude-standard; \
	else find . \( -path ./.git -o -path './build*' -o -path ./bin \) -prune -o -type f -print; fi | \
		while IFS= read -r f; do [ -f "$$f" ] && printf '%s\n' "$$f"; done | \
		tar -cf - -T - | tar -xf - -C $(DEB_DIR)/src
	cd $(DEB_DIR)/src && dpkg-buildpackage -b -us -uc -j2 >../build.log 2>&1 || { tail -n 60 ../build.log; exit 1; }
	@ls $(DEB_DIR)/*.deb

# Builds the package and checks it in a scratch root (tests/deb.sh).
deb-check:
	@tests/deb.sh

# Packaging checks run by `make test`: the .deb, the cloud-init user data.
package-check: deb-check
	@tests/cloud-init.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/doc/vantage/examples \
		$(DESTDIR)$(DATADIR)/cloud-init $(DESTDIR)$(DATADIR)/hooks \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	install -m 0755 bin/vantage bin/vantage-agent $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 deploy/config/coordinator.conf.example deploy/config/agent.conf.example \
		$(DESTDIR)$(PREFIX)/share/doc/vantage/examples/
	install -m 0644 deploy/cloud-init/agent.yaml $(DESTDIR)$(DATADIR)/cloud-init/agent.yaml
	# the ACME client hooks (docs/hooks.md) and the functions they source
	for h in deploy/hooks/vantage-*; do \
		case $$h in *.sh) m=0644 ;; *) m=0755 ;; esac; \
		install -m $$m $$h $(DESTDIR)$(DATADIR)/hooks/ || exit 1; \
	done
	for u in $(UNITS); do \
		sed 's|^ExecStart=/usr/bin/|ExecStart=$(PREFIX)/bin/|' deploy/systemd/$$u >$(DESTDIR)$(UNITDIR)/$$u.tmp && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.tmp && mv $(DESTDIR)$(UNITDIR)/$$u.tmp $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 deploy/systemd/vantage.sysusers $(DESTDIR)$(SYSUSERSDIR)/vantage.conf
	install -m 0644 deploy/systemd/vantage.tmpfiles $(DESTDIR)$(TMPFILESDIR)/vantage.conf

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/vantage $(DESTDIR)$(PREFIX)/bin/vantage-agent
	cd man && for f in *.1; do rm -f $(DESTDIR)$(PREFIX)/share/man/man1/$$f; done
	cd man && for f in *.5; do rm -f $(DESTDIR)$(PREFIX)/share/man/man5/$$f; done
	cd man && for f in *.8; do rm -f $(DESTDIR)$(PREFIX)/share/man/man8/$$f; done
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/vantage/examples
	rm -f $(DESTDIR)$(DATADIR)/cloud-init/agent.yaml
	rm -rf $(DESTDIR)$(DATADIR)/hooks
	rmdir $(DESTDIR)$(DATADIR)/cloud-init $(DESTDIR)$(DATADIR) 2>/dev/null || true
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$u; done
	rm -f $(DESTDIR)$(SYSUSERSDIR)/vantage.conf $(DESTDIR)$(TMPFILESDIR)/vantage.conf

clean:
	rm -rf build build-asan bin

-include $(shell find build build-asan -name '*.d' 2>/dev/null)
