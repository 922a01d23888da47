#!/bin/sh
# cli_test: the command line as a user meets it: exit codes, the headless transcript,
# reproducible output, one-line errors for broken scenario files, list, check, --help,
# --version, exit 2 with the reason when standard output or -o cannot be written, and a
# saved trace (run TRACE.json) shown as its run shows it, or refused in one line when broken.
# Run from the top of the tree:  SMTPS_SCENARIOS=scenarios SMTPS_BIN=./smtps-sim sh tests/cli_test.sh
BIN=${SMTPS_BIN:-./smtps-sim}
SCEN=${SMTPS_SCENARIOS:-scenarios}
DATA=$(dirname "$0")/data

pass=0
fail=0
T=$(mktemp -d "${TMPDIR:-/tmp}/cli_test.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT INT TERM

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# check DESCRIPTION COMMAND...: passes when the command succeeds
check() {
	d=$1
	shift
	if "$@"; then ok; else bad "$d"; fi
}

# run_bin NAME ARGS...: runs the binary, stdout to $T/NAME.out, stderr to $T/NAME.err, status in $rc
run_bin() {
	n=$1
	shift
	"$BIN" "$@" >"$T/$n.out" 2>"$T/$n.err"
	rc=$?
}
lines() { wc -l <"$1" | tr -d ' '; }

if [ ! -x "$BIN" ]; then
	echo "cli: $BIN is not an executable (set SMTPS_BIN)"
	echo "cli: 0 passed, 1 failed"
	exit 1
fi

# --- run: the STARTTLS story ---
run_bin st run "$SCEN/starttls.ini"
check "run starttls.ini exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "run starttls.ini shows the ClientHello" grep -q "ClientHello" "$T/st.out"
check "run starttls.ini shows STARTTLS" grep -q "STARTTLS" "$T/st.out"
check "run starttls.ini says 'Expectations: met'" grep -q "^Expectations: met" "$T/st.out"
check "run starttls.ini writes nothing on stderr" [ ! -s "$T/st.err" ]

for f in plain implicit-tls; do
	run_bin "$f" run "$SCEN/$f.ini"
	check "run $f.ini exits 0 (got $rc)" [ "$rc" -eq 0 ]
	check "run $f.ini says 'Expectations: met'" grep -q "^Expectations: met" "$T/$f.out"
done
check "plain.ini: the eavesdropper's password is in the outcome" grep -q "wonderland" "$T/plain.out"
check "implicit-tls.ini: the observer learned no secret" grep -q "observer learned: no credentials, envelope or message" "$T/implicit-tls.out"
check "plain.ini: the observer learned the credentials" grep -q "observer learned: credentials" "$T/plain.out"

# --- reproducible: same seed, same bytes; another seed, other bytes ---
run_bin st2 run "$SCEN/starttls.ini"
check "two runs give byte-identical output" cmp -s "$T/st.out" "$T/st2.out"
run_bin s1 run "$SCEN/starttls.ini" --seed 1
check "--seed 1 (the file's seed) gives the same output" cmp -s "$T/st.out" "$T/s1.out"
run_bin v1 run "$SCEN/starttls.ini" -v --seed 7
run_bin v2 run "$SCEN/starttls.ini" --seed 7 -v
check "-v: two runs with the same seed are byte-identical" cmp -s "$T/v1.out" "$T/v2.out"
run_bin s2 run "$SCEN/starttls.ini" --seed 2
check "--seed 2 exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "--seed 2 gives different output" sh -c "! cmp -s '$T/st.out' '$T/s2.out'"
run_bin vs1 run "$SCEN/starttls.ini" -v --seed 1
run_bin vs2 run "$SCEN/starttls.ini" -v --seed 2
r1=$(grep -m1 "random:" "$T/vs1.out")
r2=$(grep -m1 "random:" "$T/vs2.out")
check "-v --seed 2 changes the ClientHello random ('$r1' vs '$r2')" \
	sh -c '[ -n "$1" ] && [ -n "$2" ] && [ "$1" != "$2" ]' _ "$r1" "$r2"
check "--seed 2: the story is the same (same number of lines)" [ "$(lines "$T/st.out")" -eq "$(lines "$T/s2.out")" ]

# --- -v: narration and decoded fields ---
check "-v shows narration lines ('> ')" grep -q "^ *> " "$T/v1.out"
check "-v shows the SNI field" grep -q "server_name: mail.example.test" "$T/v1.out"
check "-v shows the cipher suites" grep -q "cipher_suites:" "$T/v1.out"
check "-v shows wire bytes" grep -q "wire (" "$T/v1.out"
check "-v is longer than the plain transcript" [ "$(lines "$T/v1.out")" -gt "$(lines "$T/st.out")" ]
check "without -v there is no narration" sh -c "! grep -q '^ *> ' '$T/st.out'"

# --- broken scenario files: exit 2 and one line naming file and line ---
nbroken=0
for f in "$DATA"/bad-*.ini; do
	[ -f "$f" ] || continue
	nbroken=$((nbroken + 1))
	b=$(basename "$f" .ini)
	line=$(sed -n 's/^; expect-error-line: *//p' "$f")
	run_bin "$b" run "$f"
	check "$b: exit 2 (got $rc)" [ "$rc" -eq 2 ]
	check "$b: exactly one line on stderr (got $(lines "$T/$b.err"))" [ "$(lines "$T/$b.err")" -eq 1 ]
	if [ "$line" = none ]; then
		check "$b: stderr names the file ($(cat "$T/$b.err"))" grep -qF "$f: " "$T/$b.err"
	else
		check "$b: stderr names file and line $line ($(cat "$T/$b.err"))" grep -qF "$f:$line: " "$T/$b.err"
	fi
	check "$b: nothing on stdout" [ ! -s "$T/$b.out" ]
done
check "found the broken files in $DATA" [ "$nbroken" -ge 10 ]

run_bin missing run "$T/no-such-file.ini"
check "missing file: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "missing file: one line naming the file" [ "$(lines "$T/missing.err")" -eq 1 ]
check "missing file: says cannot open" grep -qF "$T/no-such-file.ini: cannot open" "$T/missing.err"

# --- usage errors ---
run_bin unk run "$SCEN/starttls.ini" --frobnicate
check "unknown option: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "unknown option: named on stderr" grep -q "frobnicate" "$T/unk.err"
check "unknown option: nothing on stdout" [ ! -s "$T/unk.out" ]
check "unknown option: one line on stderr" [ "$(wc -l < "$T/unk.err")" -eq 1 ]
run_bin noarg run
check "run without a file: exit 2 (got $rc)" [ "$rc" -eq 2 ]
run_bin badseed run "$SCEN/starttls.ini" --seed abc
check "--seed abc: exit 2 (got $rc)" [ "$rc" -eq 2 ]
run_bin noseed run "$SCEN/starttls.ini" --seed
check "--seed without a value: exit 2 (got $rc)" [ "$rc" -eq 2 ]
run_bin two run "$SCEN/starttls.ini" "$SCEN/plain.ini"
check "two scenario files: exit 2 (got $rc)" [ "$rc" -eq 2 ]
run_bin fmt run "$SCEN/starttls.ini" --format yaml
check "--format yaml: exit 2 (got $rc)" [ "$rc" -eq 2 ]

# --- expectations that do not hold: exit 1 ---
run_bin unmet run "$DATA/unmet-expect.ini"
check "unmet expectation: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "unmet expectation: says NOT met" grep -q "^Expectations: NOT met" "$T/unmet.out"
check "unmet expectation: says which" grep -q "expected observer_learns = nothing, got credentials envelope body" "$T/unmet.out"

# --- list ---
run_bin list list "$SCEN"
check "list exits 0 (got $rc)" [ "$rc" -eq 0 ]
for f in plain starttls implicit-tls; do
	title=$(sed -n 's/^title *= *//p' "$SCEN/$f.ini")
	check "list shows $f with its title '$title'" grep -qE "^$f +$(printf '%s' "$title" | sed 's/[][\.*^$()+?{}|]/\\&/g')\$" "$T/list.out"
done
run_bin listdef list
check "list without a directory finds the catalogue (got $rc)" grep -q "^starttls " "$T/listdef.out"
run_bin listbad list "$T/nowhere"
check "list of a missing directory: exit 2 (got $rc)" [ "$rc" -eq 2 ]

# --- check: a table row for every file, the reason of a broken one on stderr ---
mkdir "$T/mixed"
cp "$SCEN/plain.ini" "$DATA/bad-date.ini" "$T/mixed/"
bdline=$(sed -n 's/^; expect-error-line: *//p' "$DATA/bad-date.ini")
run_bin mixed check "$T/mixed"
check "check with a broken file: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "check: the good scenario passes in the table" grep -q "^plain  *pass  " "$T/mixed.out"
check "check: the broken file has an ERROR row" grep -q "^bad-date  *ERROR  " "$T/mixed.out"
check "check: the reason is one line on stderr ($(cat "$T/mixed.err"))" [ "$(lines "$T/mixed.err")" -eq 1 ]
check "check: stderr names file and line $bdline" grep -qF "smtps-sim: $T/mixed/bad-date.ini:$bdline: " "$T/mixed.err"
check "check: the reason is not in the table" sh -c "! grep -qF 'bad-date.ini:' '$T/mixed.out'"
check "check: the totals count the broken file" grep -q "^1 passed, 1 failed$" "$T/mixed.out"
run_bin checkall check "$SCEN"
check "check of the catalogue: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "check of the catalogue: nothing on stderr" [ ! -s "$T/checkall.err" ]

# --- standard output that cannot be written: exit 2, one line on stderr saying why ---
# full NAME ARGS...: runs the binary with stdout on /dev/full, stderr to $T/NAME.err
full() {
	n=$1
	shift
	"$BIN" "$@" >/dev/full 2>"$T/$n.err"
	rc=$?
	check "$* >/dev/full: exit 2 (got $rc)" [ "$rc" -eq 2 ]
	check "$* >/dev/full: one line on stderr (got $(lines "$T/$n.err"))" [ "$(lines "$T/$n.err")" -eq 1 ]
	check "$* >/dev/full: says why ($(cat "$T/$n.err"))" \
		grep -qx "smtps-sim: standard output: No space left on device" "$T/$n.err"
}
if [ -w /dev/full ]; then
	full fulltext run "$SCEN/plain.ini"
	full fullverbose run "$SCEN/plain.ini" -v
	full fulljson run "$SCEN/plain.ini" --format json
	full fullmd run "$SCEN/plain.ini" --format markdown
	full fullunmet run "$DATA/unmet-expect.ini"
	full fulllist list "$SCEN"
	full fullcheck check "$SCEN"
	full fullhelp --help
	full fullver --version
else
	bad "/dev/full is missing: the failed-write cases cannot run"
fi
# -o to a file that cannot grow (a file size limit; SIGXFSZ ignored so write fails instead)
for f in text json markdown; do
	sh -c 'trap "" XFSZ; ulimit -f 1; exec "$@"' _ "$BIN" run "$SCEN/plain.ini" -v --format "$f" -o "$T/small.$f" \
		>"$T/small.out" 2>"$T/small.err"
	rc=$?
	check "-o past the file size limit ($f): exit 2 (got $rc)" [ "$rc" -eq 2 ]
	check "-o past the file size limit ($f): one line naming file and reason ($(cat "$T/small.err"))" \
		sh -c '[ "$(wc -l <"$1")" -eq 1 ] && grep -qxF "smtps-sim: $2: cannot write: File too large" "$1"' _ "$T/small.err" "$T/small.$f"
	check "-o past the file size limit ($f): nothing left behind" sh -c "! ls '$T' | grep -q '^small\.$f'"
done

# --- help and version ---
run_bin help --help
check "--help exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "--help shows usage with run and list" grep -q "usage: smtps-sim" "$T/help.out"
check "--help mentions the exit status" grep -q "exit status" "$T/help.out"
check "--help documents the tui subcommand" grep -qF "smtps-sim [tui]" "$T/help.out"
run_bin tui tui "$SCEN/starttls.ini" </dev/null
check "tui FILE without a terminal: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "tui FILE without a terminal: says it needs one" grep -q "needs a terminal" "$T/tui.err"
run_bin ver --version
check "--version exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "--version prints a version ($(cat "$T/ver.out"))" grep -qE "^smtps-sim [0-9]+\.[0-9]+\.[0-9]+" "$T/ver.out"

# --- the sending server's TLS report (RFC 8460), for a scenario with a relay hop ---
run_bin rpt run "$SCEN/mta-sts-enforce.ini" --tlsrpt "$T/rpt.json"
check "--tlsrpt on mta-sts-enforce exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "--tlsrpt lists the failure as starttls-not-supported" grep -q '"result-type": "starttls-not-supported"' "$T/rpt.json"
check "--tlsrpt names the policy type sts" grep -q '"policy-type": "sts"' "$T/rpt.json"
run_bin rpt2 run "$SCEN/mta-sts-enforce.ini" --tlsrpt "$T/rpt2.json"
check "--tlsrpt: two runs write the same bytes" cmp -s "$T/rpt.json" "$T/rpt2.json"
run_bin norpt run "$SCEN/starttls.ini" --tlsrpt "$T/none.json"
check "--tlsrpt without a relay hop exits 2 (got $rc)" [ "$rc" -eq 2 ]
check "--tlsrpt without a relay hop says why" grep -q "no relay hop" "$T/norpt.err"
check "--tlsrpt without a relay hop leaves no file" [ ! -e "$T/none.json" ]

# --- the review's command-line defects (issue 14: D12, D15) ---
for seed in ' -1' '+5' ' 7' '-0'; do
	run_bin seedbad run "$SCEN/plain.ini" --seed "$seed"
	check "--seed '$seed' is refused with exit 2 (got $rc)" [ "$rc" -eq 2 ]
done
run_bin checkopt check -x
check "check -x is an unknown option, exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "check -x says so" grep -q "unknown option -x" "$T/checkopt.err"
"$BIN" "$SCEN/plain.ini" </dev/null >"$T/notty.out" 2>"$T/notty.err"
rc=$?
check "the interface without a terminal exits 2 (got $rc)" [ "$rc" -eq 2 ]
check "... and names standard input when that is what is missing" grep -q "standard input is not one" "$T/notty.err"

if command -v script >/dev/null 2>&1; then
	TERM=dumb timeout 10 script -eqc "$BIN $SCEN/plain.ini" /dev/null </dev/null >"$T/dumb.out" 2>&1
	rc=$?
	check "TERM=dumb: the interface exits 2 at once (got $rc)" [ "$rc" -eq 2 ]
	check "TERM=dumb: ... with a message naming the terminal" grep -q "can move the cursor" "$T/dumb.out"
fi

# --- a saved trace: run TRACE.json shows the recorded run as the scenario's run shows it ---
run_bin save run "$SCEN/starttls.ini" --format json -o "$T/st.json"
check "--format json -o saves a trace (got $rc)" [ "$rc" -eq 0 ]
run_bin tr run "$T/st.json"
check "run TRACE.json exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "run TRACE.json: the transcript of the run" cmp -s "$T/st.out" "$T/tr.out"
check "run TRACE.json writes nothing on stderr" [ ! -s "$T/tr.err" ]
run_bin trv run "$T/st.json" -v
run_bin stv run "$SCEN/starttls.ini" -v
check "run TRACE.json -v: the verbose transcript of the run" cmp -s "$T/stv.out" "$T/trv.out"
run_bin trj run "$T/st.json" --format json
check "run TRACE.json --format json: the same bytes as the saved trace" cmp -s "$T/st.json" "$T/trj.out"
run_bin trm run "$T/st.json" --format markdown -o "$T/tr.md"
run_bin stm run "$SCEN/starttls.ini" --format markdown -o "$T/st.md"
check "run TRACE.json --format markdown -o: the run's handout" cmp -s "$T/st.md" "$T/tr.md"
cp "$T/st.json" "$T/st-trace"
run_bin trn run "$T/st-trace"
check "a file starting with '{' is a trace whatever its name (got $rc)" cmp -s "$T/st.out" "$T/trn.out"
run_bin stp run "$SCEN/relay-two-hops.ini" --format json -o "$T/rl.json" --pcap "$T/rl1.pcap" --keylog "$T/rl1.keys" \
	--tlsrpt "$T/rl1.rpt"
run_bin trp run "$T/rl.json" --pcap "$T/rl2.pcap" --keylog "$T/rl2.keys" --tlsrpt "$T/rl2.rpt"
check "run TRACE.json --pcap --keylog --tlsrpt exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "run TRACE.json --pcap: the run's capture" cmp -s "$T/rl1.pcap" "$T/rl2.pcap"
check "run TRACE.json --keylog: the run's key log" cmp -s "$T/rl1.keys" "$T/rl2.keys"
check "run TRACE.json --tlsrpt: the run's TLS report" cmp -s "$T/rl1.rpt" "$T/rl2.rpt"
# the [expect] checks travel with the trace: unmet in the run, unmet in the trace
"$BIN" run "$DATA/unmet-expect.ini" --format json -o "$T/unmet.json" >/dev/null 2>&1
run_bin trunmet run "$T/unmet.json"
check "a trace whose expectations do not hold: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "a trace whose expectations do not hold: says which" \
	grep -q "expected observer_learns = nothing, got credentials envelope body" "$T/trunmet.out"
run_bin trseed run "$T/st.json" --seed 2
check "run TRACE.json --seed: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "run TRACE.json --seed: one line saying why" sh -c '[ "$(wc -l <"$1")" -eq 1 ] && grep -q "saved trace" "$1"' _ "$T/trseed.err"
# broken traces: exit 2, one line naming the file and the problem, nothing on stdout
head -c 2000 "$T/st.json" >"$T/cut.json"
printf '{"format": "pcapng", "version": 2}\n' >"$T/other.json"
sed 's/"version": 2/"version": 9/' "$T/st.json" >"$T/v9.json"
sed '0,/"kind": "conn-open"/s//"kind": "conn-party"/' "$T/st.json" >"$T/kind.json"
sed '0,/"wire_hex": "3232/s//"wire_hex": "zz32/' "$T/st.json" >"$T/hex.json"
for b in cut:"not JSON" other:"not a smtps-sim trace" v9:"version 9 is not supported" \
	kind:"unknown kind 'conn-party'" hex:"not a hex string" nofile:"cannot open"; do
	bn=${b%%:*}  # not n: run_bin sets n
	want=${b#*:}
	run_bin "tb$bn" run "$T/$bn.json"
	check "broken trace $bn: exit 2 (got $rc)" [ "$rc" -eq 2 ]
	check "broken trace $bn: one line naming the file ($(cat "$T/tb$bn.err"))" \
		sh -c '[ "$(wc -l <"$1")" -eq 1 ] && grep -qF "smtps-sim: $2: " "$1" && grep -qF "$3" "$1"' _ "$T/tb$bn.err" "$T/$bn.json" "$want"
	check "broken trace $bn: nothing on stdout" [ ! -s "$T/tb$bn.out" ]
done
if [ -w /dev/full ]; then
	full fulltrace run "$T/st.json"
fi

# --- outputs that never harm what they point at (issue 14: D1, D2, D10, D11) ---
if [ -c /dev/null ]; then
	run_bin devnull run "$SCEN/plain.ini" -o /dev/null --pcap /dev/null
	check "-o /dev/null --pcap /dev/null: written through, exit 0 (got $rc)" [ "$rc" -eq 0 ]
	check "/dev/null is still a device" [ -c /dev/null ]
fi
if [ -w /dev/full ]; then
	run_bin pfull run "$SCEN/plain.ini" --pcap /dev/full
	check "--pcap /dev/full: the write error is seen, exit 2 (got $rc)" [ "$rc" -eq 2 ]
fi
(umask 022 && "$BIN" run "$SCEN/starttls.ini" --keylog "$T/secret.keys" >/dev/null 2>&1)
check "--keylog: a new key log is 0600 (got $(stat -c %a "$T/secret.keys"))" [ "$(stat -c %a "$T/secret.keys")" = 600 ]
echo old >"$T/mode.txt"
chmod 600 "$T/mode.txt"
(umask 022 && "$BIN" run "$SCEN/plain.ini" -o "$T/mode.txt" >/dev/null 2>&1)
check "-o over a 0600 file keeps 0600 (got $(stat -c %a "$T/mode.txt"))" [ "$(stat -c %a "$T/mode.txt")" = 600 ]
ln -s mode.txt "$T/link.txt"
run_bin link run "$SCEN/starttls.ini" -o "$T/link.txt"
check "-o through a symbolic link keeps the link" [ -L "$T/link.txt" ]
check "... and replaces the file it names" grep -q "STARTTLS" "$T/mode.txt"
run_bin same run "$SCEN/plain.ini" -o "$T/same.out" --pcap "$T/same.out"
check "-o X --pcap X is refused, exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "... with the reason" grep -q "name the same file" "$T/same.err"
cp "$SCEN/plain.ini" "$T/input.ini"
run_bin selfout run "$T/input.ini" -o "$T/input.ini"
check "-o naming the input scenario is refused, exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "... and the scenario is left as it was" cmp -s "$SCEN/plain.ini" "$T/input.ini"

# --- text from a file never reaches the terminal raw (issue 14: D5) ---
"$BIN" run "$SCEN/plain.ini" --format json -o "$T/esc.json" >/dev/null 2>&1
sed -i '0,/"title": "/s//"title": "\\u001b]0;PWNED\\u0007/' "$T/esc.json"
run_bin esc run "$T/esc.json"
check "a saved trace's title with ESC: shown escaped" grep -q '^\\x1b\]0;PWNED\\x07Plain' "$T/esc.out"
check "... and no raw control character in the transcript" sh -c "! LC_ALL=C grep -q \"\$(printf '\\033')\" '$T/esc.out'"
run_bin escmd run "$T/esc.json" --format markdown
check "... nor in the handout" sh -c "! LC_ALL=C grep -q \"\$(printf '\\033')\" '$T/escmd.out'"

# several outputs are one unit: a capture that cannot be written leaves -o's old file as it was
echo "keep me" >"$T/keep.json"
run_bin unit run "$SCEN/plain.ini" --format json -o "$T/keep.json" --pcap "$T/no-such-dir/x.pcap"
check "-o with a failing --pcap: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "... and the -o file is left as it was" grep -qx "keep me" "$T/keep.json"
check "... and no temporary file is left beside it" sh -c "! ls '$T' | grep -q 'keep.json.tmp'"

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
