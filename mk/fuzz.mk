# make fuzz: libFuzzer targets (tests/fuzz/fuzz_<name>.c) with AddressSanitizer and
# UndefinedBehaviorSanitizer, built with clang into build-fuzz/.
#   make fuzz                      each target FUZZ_SECONDS (default 10) seconds, one by one
#   make fuzz FUZZ_SECONDS=60      longer
#   make fuzz FUZZ_TARGETS=tls     only some targets (names without fuzz_)
#   make fuzz-ci                   each target replays its committed corpus and then runs
#                                  FUZZ_CI_RUNS (default 20000) more inputs, the slow ones
#                                  (FUZZ_CI_SLOW: whole runs, the stream decoder, the PEM
#                                  loaders, a few hundred inputs a second) FUZZ_CI_SLOW_RUNS
#                                  (default 2000): what CI calls
#   make fuzz-build                only build
# The targets: scenario (the scenario parser), run (scenarios with a valid structure and
# hostile values, run), machines (a real SMTP client and server joined, with fuzzed
# splitting and injection), wiretrace (the stream decoder on record and SMTP streams),
# tls (the TLS decoders), pki (certificate and key files, X.509 text), smtp_command and
# smtp_reply (line decoders), mitm_ehlo (the attacker's EHLO rewrite), mtasts (MTA-STS).
# Each file's head comment lists its invariants. `make coverage` (mk/coverage.mk)
# measures what the corpora reach.
# Seed corpora live in tests/fuzz/<name>/ (regressions/ holds inputs that once crashed);
# what a run discovers goes to build-fuzz/corpus/<name>/, crashes to build-fuzz/artifacts/.
FUZZ_BUILD   := build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 10
FUZZ_CI_RUNS ?= 20000
FUZZ_CI_SLOW ?= run wiretrace pki
FUZZ_CI_SLOW_RUNS ?= 2000
FUZZ_TARGETS ?= $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_FLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
HARNESS_OBJ   = $(filter-out $(BUILD)/sim/export/%.o,$(SIM_OBJ))

.PHONY: fuzz fuzz-ci fuzz-build fuzz-seeds
TEST_EXTRA += fuzz-ci

fuzz-build:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) \
		CFLAGS="$(FUZZ_FLAGS) -fsanitize=fuzzer-no-link" \
		$(patsubst %,$(FUZZ_BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(HARNESS_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WFLAGS) -fsanitize=fuzzer -DFUZZ_DATADIR='"$(CURDIR)/scenarios"' \
		-o $@ $< $(HARNESS_OBJ) $(LDLIBS_SIM) $(LDFLAGS)

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		sh tests/fuzz/run.sh $(FUZZ_BUILD) $$t -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	done

fuzz-ci: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
		runs=$(FUZZ_CI_RUNS); case " $(FUZZ_CI_SLOW) " in *" $$t "*) runs=$(FUZZ_CI_SLOW_RUNS);; esac; \
		sh tests/fuzz/run.sh $(FUZZ_BUILD) $$t -runs=$$runs || exit 1; \
	done

# make fuzz-seeds: (re)writes seed files into tests/fuzz/<name>/ from real runs of the
# catalogue (tests/fuzz/seed_dump.c) and copies the scenario files as scenario and run
# seeds. (machines and pki have hand-made seeds; see their directories.)
fuzz-seeds:
	@$(MAKE) --no-print-directory $(BUILD)/seed_dump
	@for t in $(FUZZ_TARGETS); do mkdir -p tests/fuzz/$$t; done
	./$(BUILD)/seed_dump scenarios tests/fuzz
	cp scenarios/*.ini tests/fuzz/scenario/
	cp scenarios/*.ini tests/fuzz/run/

$(BUILD)/seed_dump: tests/fuzz/seed_dump.c $(HARNESS_OBJ)
	$(CC) $(CFLAGS) $(WFLAGS) -o $@ $< $(HARNESS_OBJ) $(LDLIBS_SIM) $(LDFLAGS)
