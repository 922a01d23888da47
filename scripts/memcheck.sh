#!/bin/sh
# memcheck: every scenario of the catalogue, and the other commands, under valgrind.
# Fails on any memory error or a definite or indirect leak (valgrind exits 99 then), or
# a crash. A run whose expectations are not met (exit 1) or an input error (exit 2) is
# reported but is not a memcheck failure: only memory is judged here.
# Usage: scripts/memcheck.sh [BIN [SCENARIO_DIR]]   (make memcheck)
set -u
bin=${1:-./smtps-sim}
dir=${2:-scenarios}
logs=${MEMCHECK_LOGS:-build/memcheck}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/smtps-memcheck.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$logs"
if ! command -v valgrind >/dev/null 2>&1; then
	echo "memcheck: valgrind is not installed" >&2
	exit 2
fi
if [ ! -x "$bin" ]; then
	echo "memcheck: $bin not built (make smtps-sim)" >&2
	exit 2
fi

fail=0 n=0 notmet=""
# check NAME EXPECTED_EXITS -- ARGS...: one command under valgrind.
check() {
	name=$1 expected=$2
	shift 3
	n=$((n + 1))
	log=$logs/$name.log
	valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --log-file="$log" "$bin" "$@" \
		>"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	case " $expected " in
	*" $rc "*) status=ok ;;
	*) status=other ;;
	esac
	if [ "$rc" -eq 99 ] || [ "$rc" -ge 128 ] || [ -s "$log" ]; then
		echo "FAIL  $name (exit $rc): see $log"
		sed 's/^/      /' "$log" | head -30
		fail=1
	elif [ "$status" = other ]; then
		echo "ok    $name (memory clean; exit $rc, expected $expected)"
		notmet="$notmet $name:$rc"
	else
		echo "ok    $name (exit $rc)"
	fi
}

for f in "$dir"/*.ini; do
	[ -f "$f" ] || continue
	base=$(basename "$f" .ini)
	check "run-$base" 0 -- run "$f"
done
# The views and exporters over one eventful scenario, verbose.
some=$dir/starttls.ini
check run-verbose 0 -- run "$some" -v
check run-markdown 0 -- run "$some" --format markdown -o "$tmp/t.md"
check run-json 0 -- run "$some" --format json -o "$tmp/t.json"
check run-pcap 0 -- run "$some" --pcap "$tmp/t.pcap" --keylog "$tmp/t.keys"
check run-seed 0 -- run "$some" --seed 42
check list 0 -- list "$dir"
check check "0 1" -- check "$dir"
# Input errors: each must be refused cleanly (exit 2) without leaking.
printf '[scenario]\ntitle = broken\n[client]\ntls = sometimes\n' >"$tmp/bad-value.ini"
printf 'no section here\n' >"$tmp/bad-syntax.ini"
printf '[scenario]\ntitle = missing certificate\n[server]\ncertificate = certs/nowhere.pem\n' >"$tmp/bad-cert.ini"
printf '[scenario]\nlesson = no title\n' >"$tmp/no-title.ini"
printf 'not a certificate\n' >"$tmp/junk.pem"
printf '[scenario]\ntitle = junk certificate\n[server]\ncertificate = junk.pem\n' >"$tmp/bad-pem.ini"
check broken-value 2 -- run "$tmp/bad-value.ini"
check broken-syntax 2 -- run "$tmp/bad-syntax.ini"
check broken-cert 2 -- run "$tmp/bad-cert.ini"
check broken-no-title 2 -- run "$tmp/no-title.ini"
check broken-pem 2 -- run "$tmp/bad-pem.ini"
check missing-file 2 -- run "$tmp/does-not-exist.ini"
check bad-usage 2 -- run
check check-broken-dir "0 1 2" -- check "$tmp"

echo
if [ "$fail" -ne 0 ]; then
	echo "memcheck: FAILED (valgrind found errors or leaks; logs in $logs/)"
	exit 1
fi
echo "memcheck: $n commands under valgrind, no memory errors, no definite or indirect leaks"
[ -n "$notmet" ] && echo "memcheck: note, unexpected exit codes (not memory failures):$notmet"
exit 0
