#!/bin/sh
# run.sh BUILD_DIR NAME [libFuzzer options...]: runs one fuzz target on its committed
# corpus (tests/fuzz/NAME, read only) and its working corpus (BUILD_DIR/corpus/NAME,
# where new inputs go), prints the interesting lines of the log and the executions
# count, and exits non-zero when the target found a crash, a leak or undefined behaviour
# (the input is then in BUILD_DIR/artifacts/). Called by mk/fuzz.mk.
set -u
build=$1 name=$2
shift 2
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$build/corpus/$name" "$build/artifacts" "$build/logs"
log=$build/logs/$name.log
SMTPS_DATADIR=${SMTPS_DATADIR:-$root/scenarios} \
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	"$build/fuzz/fuzz_$name" -artifact_prefix="$build/artifacts/$name-" -print_final_stats=1 \
	-timeout=10 -rss_limit_mb=2048 "$@" "$build/corpus/$name" "$root/tests/fuzz/$name" >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
if [ "$rc" -ne 0 ]; then
	grep -E 'invariant broken|ERROR|SUMMARY|runtime error|deadly signal|Test unit written|^    #[0-9]' "$log" | head -40
	echo "fuzz $name: FAILED (exit $rc) after ${execs:-?} executions; log: $log"
	exit 1
fi
echo "fuzz $name: ok, ${execs:-?} executions ($*)"
