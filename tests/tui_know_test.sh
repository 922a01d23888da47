#!/bin/sh
# tui_know_test: who knows what, on screen. The status block's reader lines follow the
# ledger at the cursor (the attacker has the password at the AUTH event of a substituted
# certificate, the observer does not; the injected MAIL FROM never counts as the observer's);
# colour says only who can read (a close_notify is no alarm), marks say what the attacker
# did and where the key moments are, and the legends list them (also without colour); the
# replay sits below a "months later" separator; the injection lessons mark the event where
# the attack works; and at 80x24 nothing is written over a box's border.
# Run from the top of the tree:  SMTPS_BIN=./smtps-sim sh tests/tui_know_test.sh
NAME=know
. "$(dirname "$0")/tui_lib.inc"

# the status block's line for a reader ("Observer:", "Attacker:", "Attacker+thief:")
reader_line() { screen | grep -E "^ . $1" | head -1; }
# the diagram row of the event under the cursor
cursor_row() { screen | grep -E "^│ +[0-9]+▶" | head -1; }
step_of() { screen | sed -n 's/.*step \([0-9]*\) of.*/\1/p' | head -1; }

# --- D1: a non-verifying client hands the attacker the password at the AUTH event ---
if have cert-substitution-verify.ini; then
	check "cert-substitution-verify starts" start 120 40 "$SCEN/cert-substitution-verify.ini"
	keys v
	check "v: the client stops verifying" wait_for "what if: client does not verify"
	keys / A U T H Space P L A I N Space '(' Enter
	check "search lands on the AUTH command" sh -c "sleep 0.3; $TM capture-pane -p -t tui | grep -qE '^│ +[0-9]+▶.*AUTH PLAIN \\('"
	check "at AUTH the attacker's line shows the password" sh -c "$TM capture-pane -p -t tui | grep -E '^ . Attacker' | grep -q 'password \"wonderland\"'"
	check "at AUTH the observer's line does not" sh -c "$TM capture-pane -p -t tui | grep -E '^ . Observer' | grep -q 'password –'"
	check "the AUTH row says exposed" sh -c "$TM capture-pane -p -t tui | grep -E '^│ +[0-9]+▶' | grep -q 'exposed'"
	check "the AUTH row carries the key-moment mark" sh -c "$TM capture-pane -p -t tui | grep -E '^│ +[0-9]+▶' | grep -q '◆'"
	check "the attacker's line is marked as new at that event" sh -c "$TM capture-pane -p -t tui | grep -qE '^ ◆ Attacker'"
	keys k
	sleep 0.3
	check "one step earlier the attacker has no password yet" sh -c "$TM capture-pane -p -t tui | grep -E '^ . Attacker' | grep -q 'password –'"
	check "the legend names magenta: the attacker reads it too" wait_for "A magenta"
	keys q
fi

# --- D2: the injected MAIL FROM is nobody's secret: the observer line never says more than the outcome ---
if have command-injection-vulnerable.ini; then
	"$BIN" run "$SCEN/command-injection-vulnerable.ini" >"$T/ci.out" 2>/dev/null
	check "command injection: the outcome says the observer learned nothing" grep -q "observer on the wire learned no credentials, envelope or message" "$T/ci.out"
	check "command-injection-vulnerable starts" start 120 40 "$SCEN/command-injection-vulnerable.ini"
	total=$(screen | sed -n 's/.*step 1 of \([0-9]*\).*/\1/p' | head -1)
	bad=0
	i=1
	while [ "$i" -le "${total:-0}" ]; do
		line=$(reader_line Observer)
		case $line in
		*"password –  envelope –  message –"*) ;;
		*) bad=$((bad + 1)); echo "    step $i: $line" ;;
		esac
		keys j
		i=$((i + 1))
		[ "$i" -le "${total:-0}" ] && wait_for "step $i of $total" >/dev/null
	done
	check "observer line agrees with the outcome at every one of $total steps ($bad contradict)" [ "$bad" -eq 0 -a "${total:-0}" -gt 50 ]
	check "the leak summary agrees at the end" wait_for "wire observer has seen: nothing"
	keys / S e n d e r Space '<' m a l l o r y Enter
	check "D3: the server's reply inside TLS to the injected MAIL FROM is where the attack works" \
		sh -c "sleep 0.3; $TM capture-pane -p -t tui | grep -E '^│ +[0-9]+▶' | grep -q 'attack works'"
	keys / s t i l l Space h a d Enter
	check "the buffered-bytes note: the bytes pane shows what the server ran" wait_for "buffered cleartext the server ran inside TLS: 58 bytes"
	check "the buffered bytes are the injected MAIL FROM" wait_for "MAIL FROM"
	check "injected lines carry the + mark, and the legend says so" wait_for "+ added"
	keys q
fi

if have response-injection-vulnerable.ini; then
	check "response-injection-vulnerable starts" start 120 40 "$SCEN/response-injection-vulnerable.ini"
	keys / s k i p - a u t h Enter
	check "D3: the client acting on the forged reply is where the attack works" \
		sh -c "sleep 0.3; $TM capture-pane -p -t tui | grep -E '^│ +[0-9]+▶' | grep -q 'attack works'"
	keys q
fi

# --- colour means who can read; a normal close_notify is no alarm ---
if have starttls.ini; then
	check "starttls starts" start 120 40 "$SCEN/starttls.ini"
	check "legend: yellow for anyone on the wire" wait_for "W yellow anyone on the wire"
	check "legend: green for the endpoints only" wait_for "E green only the endpoints"
	check "legend: cyan for a decision" wait_for "cyan a decision"
	check "legend: the key-moment mark" wait_for "◆ key moment"
	keys / c l o s e _ n o t i f y Enter
	sleep 0.3
	$TM capture-pane -e -p -t tui | grep -E "[0-9]+.*▶.*close_notify" | head -1 >"$T/cn.ansi"
	check "close_notify row found" test -s "$T/cn.ansi"
	check "close_notify is not red" sh -c "! grep -qE '\[([0-9]+;)*(31|91)(;[0-9]+)*m' '$T/cn.ansi'"
	check "close_notify carries no failure mark" sh -c "! grep -q '✗' '$T/cn.ansi'"
	check "close_notify is drawn green (encrypted: the endpoints only)" grep -qE '\[([0-9]+;)*32(;[0-9]+)*m' "$T/cn.ansi"
	keys Tab
	sleep 0.3
	check "the focused border is not green" sh -c "! $TM capture-pane -e -p -t tui | grep -E 'detail: event' | grep -qE '\[([0-9]+;)*32(;[0-9]+)*m[^ ]*┌'"
	keys q
fi
if have tamper-record.ini; then
	check "tamper-record starts" start 120 40 "$SCEN/tamper-record.ini"
	keys G
	check "a failed check is marked ✗ and the legend says so" wait_for "✗ failed"
	check "the tampered record carries the ! mark" wait_for "! tampered"
	keys q
fi
if have strip-opportunistic.ini; then
	check "strip-opportunistic starts" start 120 40 "$SCEN/strip-opportunistic.ini"
	check "the deleted STARTTLS: − mark in the legend" wait_for "− deleted"
	keys / S T A R T T L S Enter
	check "a row carries the deletion mark" sh -c "sleep 0.3; $TM capture-pane -p -t tui | grep -qE '^│ +[0-9]+.?.−'"
	keys q
fi

# --- NO_COLOR: the marks and the badges carry the meaning, and the legend says so ---
if have strip-opportunistic.ini; then
	check "NO_COLOR starts" start 120 40 NO_COLOR=1 "$SCEN/strip-opportunistic.ini"
	check "NO_COLOR: the legend says there is no colour" wait_for "no colour:"
	check "NO_COLOR: the legend names the attributes" wait_for "W bold"
	check "NO_COLOR: reader badges on the rows" sh -c "$TM capture-pane -p -t tui | grep -qE '^│ +[0-9]+.?W'"
	check "NO_COLOR: the deletion mark still there" wait_for "− deleted"
	check "NO_COLOR: no colour escapes" sh -c "! $TM capture-pane -e -p -t tui | grep -qE '\[(3[0-7]|4[0-7]|38;5|48;5|9[0-7])(;[0-9]+)*m'"
	keys q
fi

# --- D4: the replay sits below a "months later" separator, drawn apart ---
if have forward-secrecy-rsa.ini; then
	check "forward-secrecy-rsa starts" start 120 40 "$SCEN/forward-secrecy-rsa.ini"
	check "no separator while the live session is in view" sh -c "! $TM capture-pane -p -t tui | grep -q 'months later'"
	keys / L a t e r : Enter
	check "the months-later separator before the key theft" wait_for "months later: the attacker's offline decryption"
	check "replayed rows carry the decrypted-later mark" wait_for "↺ decrypted later"
	keys G
	check "the attacker and the thief share a line, with the password" sh -c "sleep 0.3; $TM capture-pane -p -t tui | grep -E '^ . Attacker\\+thief' | grep -q wonderland"
	check "the observer line keeps nothing" sh -c "$TM capture-pane -p -t tui | grep -E '^ . Observer' | grep -q 'password –  envelope –  message –'"
	keys q
fi

# --- D8: at 80x24 nothing is written over a box's border, first and last event ---
# Below the status block every row is made of boxes: it starts with a corner or a side,
# ends with one, and a bottom edge begins with its line (text there would cover it).
# A row left empty (a pane with no room at all) is allowed: it covers nothing. The last
# row is the key-hint row, not a box.
borders_ok() {
	screen | sed '$d' >"$T/b.txt"
	awk -v st="$1" '
		NR <= st { next }
		/^ *$/ { next }   # a row left empty (a pane too low to draw) covers nothing
		{
			first = substr($0, 1, 1); last = substr($0, length($0), 1)
			if (first !~ /[┌│└]/ || last !~ /[┐│┘]/) { print "row " NR ": " $0; bad = 1 }
			if (first == "└" && substr($0, 2, 1) != "─") { print "row " NR ": " $0; bad = 1 }
		}
		END { exit bad }' "$T/b.txt"
}
nsc=0
for f in "$SCEN"/*.ini; do
	n=$(basename "$f" .ini)
	nsc=$((nsc + 1))
	if ! start 80 24 "$f"; then
		check "$n: starts at 80x24" false
		continue
	fi
	st=$(screen | grep -n '^┌─ sequence' | head -1 | cut -d: -f1)
	st=$((${st:-4} - 1))
	check "$n 80x24 first event: no text on a border" borders_ok "$st"
	keys G
	wait_for "narration and outcome" >/dev/null
	check "$n 80x24 last event: no text on a border" borders_ok "$st"
	keys q
done
check "the border check ran on the whole catalogue ($nsc scenarios)" [ "$nsc" -ge 19 ]
tm_stop

finish
