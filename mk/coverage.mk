# make coverage: line coverage of sim/ from the unit tests and the fuzz corpora, with
# clang's source-based coverage (-fprofile-instr-generate -fcoverage-mapping). Everything
# is built in its own directory, build-cov/, so the normal and sanitizer builds are left
# alone. It runs the unit tests (test-unit, with the coverage binary), then replays every
# fuzz target's committed corpus (tests/fuzz/NAME) and its working corpus
# (build-fuzz/corpus/NAME, when a longer `make fuzz` left one) once, with -runs=0.
# A test that fails under this build (the file-size-limit cases of tests/cli_test.sh also
# stop the profile from being written) is reported, not fatal: this measures, `make test`
# judges; the profiles those cases could not write are left out of the merge. Prints
# llvm-cov's per-file table of sim/ and the total; the merged profile is in
# build-cov/coverage.profdata, an HTML view in build-cov/html/ with COV_HTML=1.
#   make coverage                      unit tests + every fuzz corpus
#   make coverage COV_UNIT=0           only the fuzz corpora
#   make coverage COV_WORK=0           the committed corpora only, not build-fuzz/corpus/
#   make coverage FUZZ_TARGETS=tls     only some fuzz targets
COV_BUILD     := build-cov
COV_FLAGS     := -O1 -g -fprofile-instr-generate -fcoverage-mapping
COV_UNIT      ?= 1
COV_HTML      ?= 0
COV_WORK      ?= 1
LLVM_PROFDATA ?= $(shell command -v llvm-profdata || command -v llvm-profdata-14)
LLVM_COV      ?= $(shell command -v llvm-cov || command -v llvm-cov-14)

.PHONY: coverage coverage-build coverage-clean

clean: coverage-clean
coverage-clean:
	rm -rf $(COV_BUILD)

coverage-build:
	@[ -n "$(LLVM_PROFDATA)" ] && [ -n "$(LLVM_COV)" ] || \
		{ echo "coverage: llvm-profdata and llvm-cov are needed (apt-get install llvm)" >&2; exit 1; }
	@$(MAKE) --no-print-directory BUILD=$(COV_BUILD) BIN=$(COV_BUILD)/smtps-sim CC=$(FUZZ_CC) \
		CFLAGS="$(COV_FLAGS)" LDFLAGS="-fprofile-instr-generate" \
		$(COV_BUILD)/smtps-sim $(TESTS:$(BUILD)/%=$(COV_BUILD)/%) \
		$(patsubst %,$(COV_BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))

coverage: coverage-build
	@rm -rf $(COV_BUILD)/profiles $(COV_BUILD)/coverage.profdata
	@mkdir -p $(COV_BUILD)/profiles
	@if [ "$(COV_UNIT)" = 1 ]; then \
		LLVM_PROFILE_FILE=$(CURDIR)/$(COV_BUILD)/profiles/unit-%p-%m.profraw \
		$(MAKE) --no-print-directory BUILD=$(COV_BUILD) BIN=$(COV_BUILD)/smtps-sim CC=$(FUZZ_CC) \
			CFLAGS="$(COV_FLAGS)" LDFLAGS="-fprofile-instr-generate" test-unit \
			>$(COV_BUILD)/unit.log 2>&1 || \
			echo "coverage: some unit tests failed under the coverage build (log: $(COV_BUILD)/unit.log)"; \
	fi
	@for t in $(FUZZ_TARGETS); do \
		dirs="tests/fuzz/$$t"; [ "$(COV_WORK)" = 1 ] && [ -d $(FUZZ_BUILD)/corpus/$$t ] && dirs="$$dirs $(FUZZ_BUILD)/corpus/$$t"; \
		SMTPS_DATADIR=$(CURDIR)/scenarios LLVM_PROFILE_FILE=$(CURDIR)/$(COV_BUILD)/profiles/fuzz-$$t-%p.profraw \
		./$(COV_BUILD)/fuzz/fuzz_$$t -runs=0 $$dirs \
			>$(COV_BUILD)/fuzz-$$t.log 2>&1 || \
			{ tail -20 $(COV_BUILD)/fuzz-$$t.log; echo "coverage: fuzz_$$t failed on its corpus"; exit 1; }; \
	done
	@$(LLVM_PROFDATA) merge -sparse -failure-mode=all -o $(COV_BUILD)/coverage.profdata $(COV_BUILD)/profiles/*.profraw
	@objs="$(COV_BUILD)/smtps-sim"; \
	for o in $(TESTS:$(BUILD)/%=$(COV_BUILD)/%) $(patsubst %,$(COV_BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS)); do \
		objs="$$objs -object $$o"; done; \
	$(LLVM_COV) report -instr-profile=$(COV_BUILD)/coverage.profdata $$objs sim \
		| awk '/^---/ && !d { d = 1; print; next } d == 1 && /^$$/ { d = 2; close("sort"); } \
			d == 1 { print "sim/" $$0 | "sort"; next } { print }' | tee $(COV_BUILD)/coverage.txt; \
	if [ "$(COV_HTML)" = 1 ]; then \
		$(LLVM_COV) show -format=html -output-dir=$(COV_BUILD)/html \
			-instr-profile=$(COV_BUILD)/coverage.profdata $$objs sim && \
		echo "coverage: HTML in $(COV_BUILD)/html/index.html"; \
	fi
	@awk '/^TOTAL/ { print "coverage: " $$(NF-3) " of the lines of sim/ (" $$(NF-5) " lines)" }' $(COV_BUILD)/coverage.txt
