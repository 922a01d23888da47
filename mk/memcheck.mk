# make memcheck: the catalogue and the other commands of ./smtps-sim under valgrind
# (scripts/memcheck.sh): fails on any memory error or definite or indirect leak.
# Logs go to build/memcheck/.
.PHONY: memcheck

memcheck: $(BIN)
	@sh scripts/memcheck.sh ./$(BIN) scenarios

TEST_EXTRA += memcheck
