# smtps-sim — build, test, bench, fuzz, install.
#   make run     install missing packages, build, open the TUI on the STARTTLS story
#   make test    install missing packages, build, run every test (plain and sanitized)
#   make coverage  line coverage of sim/ from the unit tests and the fuzz corpora
CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
DATADIR ?= $(PREFIX)/share/smtps-sim
VERSION := 0.1.0

PKGS    := inih jansson libpcap
CFLAGS  ?= -O2 -g
WFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wno-missing-field-initializers -I. -DSMTPS_VERSION='"$(VERSION)"'
# The receiver's mail checks: libopendkim has a pkg-config file; libspf2 and libopendmarc do not.
LDLIBS_AUTH := $(shell pkg-config --libs opendkim 2>/dev/null || echo -lopendkim) -lspf2 -lopendmarc
# OpenSSL 3 is the TLS 1.3 engine beside BearSSL (sim/wire/tls_openssl.c).
LDLIBS_TLS13 := $(shell pkg-config --libs libssl libcrypto 2>/dev/null || echo -lssl -lcrypto)
LDLIBS_SIM := -lbearssl $(LDLIBS_TLS13) $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -linih -ljansson -lpcap) $(LDLIBS_AUTH)
LDLIBS_UI  := $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw)
CFLAGS_UI  := $(shell pkg-config --cflags ncursesw 2>/dev/null)

BUILD   ?= build
BIN     ?= smtps-sim
SIM_SRC := $(sort $(wildcard sim/*/*.c))
UI_SRC  := $(sort $(wildcard ui/*.c))
SIM_OBJ := $(SIM_SRC:%.c=$(BUILD)/%.o)
UI_OBJ  := $(UI_SRC:%.c=$(BUILD)/%.o)
TESTS   := $(patsubst tests/%.c,$(BUILD)/tests/%,$(sort $(wildcard tests/test_*.c)))

.PHONY: all deps-runtime run test test-unit test-scenarios test-sanitize deps clean install bench fuzz memcheck coverage

all: $(BIN)

deps:
	@sh scripts/deps.sh

# What building and running needs, without the test tools.
deps-runtime:
	@sh scripts/deps.sh --runtime

run: deps-runtime
	@$(MAKE) --no-print-directory smtps-sim
	./smtps-sim

$(BUILD)/%.o: %.c $(wildcard sim/*/*.h ui/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WFLAGS) $(if $(findstring ui/,$<),$(CFLAGS_UI)) -c -o $@ $<

$(BUILD)/libsim.a: $(SIM_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/main.o: main.c $(wildcard sim/*/*.h ui/*.h)
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) $(WFLAGS) $(CFLAGS_UI) -DSMTPS_DATADIR='"$(DATADIR)"' -c -o $@ $<

$(BIN): $(BUILD)/main.o $(UI_OBJ) $(BUILD)/libsim.a
	$(CC) $(CFLAGS) $(WFLAGS) -o $@ $(BUILD)/main.o $(UI_OBJ) $(BUILD)/libsim.a $(LDLIBS_SIM) $(LDLIBS_UI) $(LDFLAGS)

$(BUILD)/tests/%: tests/%.c $(BUILD)/libsim.a tests/testutil.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WFLAGS) -o $@ $< $(BUILD)/libsim.a $(LDLIBS_SIM) -lcmocka $(LDFLAGS)

# Unit and scenario tests; tests find the scenarios through SMTPS_SCENARIOS.
test-unit: $(TESTS) $(BIN)
	@fail=0; for t in $(TESTS); do \
		SMTPS_SCENARIOS=scenarios SMTPS_BIN=./$(BIN) $$t || fail=1; \
	done; \
	for t in tests/*.sh; do [ -f "$$t" ] || continue; \
		SMTPS_BIN=./$(BIN) sh $$t || fail=1; \
	done; exit $$fail

# The same suite built with AddressSanitizer and UndefinedBehaviorSanitizer.
test-sanitize:
	@$(MAKE) --no-print-directory BUILD=build-san BIN=build-san/smtps-sim \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" test-unit

# mk/*.mk add their checks (memcheck, a short fuzz run) to TEST_EXTRA.
TEST_EXTRA :=
test: deps
	@$(MAKE) --no-print-directory test-unit
	@$(MAKE) --no-print-directory test-sanitize
	@for t in $(TEST_EXTRA); do $(MAKE) --no-print-directory $$t || exit 1; done

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(DATADIR)/certs
	install -m 755 smtps-sim $(DESTDIR)$(PREFIX)/bin/
	install -m 644 scenarios/*.ini $(DESTDIR)$(DATADIR)/
	install -m 644 scenarios/certs/*.pem scenarios/certs/*.key $(DESTDIR)$(DATADIR)/certs/

# bench, fuzz, memcheck and coverage live in mk/
-include mk/*.mk

clean:
	rm -rf build build-san build-fuzz build-bench smtps-sim
