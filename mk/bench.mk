# make bench: the cost of the simulator on top of BearSSL, as a table (bench/bench.c).
# Built with -O2 in its own directory so it never mixes with debug or sanitizer objects.
#   make bench                 full run (a minute or two)
#   make bench BENCH_QUICK=1   a smoke run with few repetitions (numbers not meaningful)
# The harnesses link the simulator's objects without the exporters (sim/export/):
# they need none of them, and so keep building while those change.
BENCH_BUILD := build-bench
HARNESS_OBJ = $(filter-out $(BUILD)/sim/export/%.o,$(SIM_OBJ))

# Row 6, the live proxy against a direct loopback connection, is bench/proxy.sh: real
# sockets and a real client (Python's smtplib), with the program itself.
bench: $(BIN)
	@$(MAKE) -s --no-print-directory BUILD=$(BENCH_BUILD) CFLAGS="-O2 -g" $(BENCH_BUILD)/bench
	@$(if $(BENCH_QUICK),BENCH_QUICK=1) ./$(BENCH_BUILD)/bench scenarios
	@$(if $(BENCH_QUICK),BENCH_QUICK=1) sh bench/proxy.sh ./$(BIN) scenarios

$(BUILD)/bench: bench/bench.c $(HARNESS_OBJ)
	$(CC) $(CFLAGS) $(WFLAGS) -o $@ $< $(HARNESS_OBJ) $(LDLIBS_SIM) $(LDFLAGS)
