#!/bin/sh
# tui_cmp_test: the what-if keys as comparisons. b switches a lesson to its vulnerable or
# safe twin (its own file, not a mix) and names what changed; every re-run puts the
# cursor on the first event where the runs differ and says which step; a, v and t name
# what they change in words, say when a change has no effect, and t skips TLS policies
# that cannot talk to the server at all.
# Run from the top of the tree:  SMTPS_BIN=./smtps-sim sh tests/tui_cmp_test.sh
NAME=cmp
. "$(dirname "$0")/tui_lib.inc"

# step_is N: the status bar's step counter reads "step N of"
step_is() { screen | head -1 | grep -q "step $1 of"; }
# first_diff: the step named by "first difference at step N", or nothing
first_diff() { flat | sed -n 's/.*first difference at step \([0-9]*\).*/\1/p' | head -1; }

# --- command injection: b gives the fixed server, and only that ---
if have command-injection-vulnerable.ini; then
	check "command-injection-vulnerable starts" start 120 40 "$SCEN/command-injection-vulnerable.ini"
	keys G
	check "vulnerable: the outcome says the injected lines ran" wait_for "executed 2 injected line(s) inside TLS" flat
	keys b
	check "b: the fixed twin's title" wait_for "STARTTLS command injection: a fixed server"
	check "b: the what-if line names the server's change" \
		wait_for "what if: the twin: server: discards buffered input (fixed)"
	check "b: the client is not changed (no mixed setup)" sh -c "! $TM capture-pane -p -t tui | head -3 | grep -q 'client:'"
	check "b: the message names the first difference" wait_for "first difference at step"
	n=$(first_diff)
	check "b: first difference right after the handshake (step ${n:-?} = 60)" [ "${n:-0}" = 60 ]
	check "b: the cursor is on that step" step_is "${n:-x}"
	keys G
	check "fixed: the outcome no longer says injected commands took effect" \
		sh -c "sleep 0.3; ! $TM capture-pane -p -t tui | tr -s ' \n' '  ' | grep -qi 'injected line'"
	check "fixed: delivered" wait_for "Outcome: The message was delivered" flat
	keys b
	check "b again: back to the vulnerable server" wait_for "STARTTLS command injection: a vulnerable server"
	check "b again: says so" wait_for "back to command-injection-vulnerable"
	check "b again: no what-if line" sh -c "! $TM capture-pane -p -t tui | head -3 | grep -q 'what if:'"
	keys q
	wait_for "EXITED:"
fi

# --- response injection: b fixes the client ---
if have response-injection-vulnerable.ini; then
	check "response-injection-vulnerable starts" start 120 40 "$SCEN/response-injection-vulnerable.ini"
	keys G
	keys b
	check "b: the fixed client's title" wait_for "STARTTLS response injection: a fixed client"
	check "b: the what-if line names the client's change" \
		wait_for "client: discards buffered replies (fixed)"
	check "b: the server is not changed" sh -c "! $TM capture-pane -p -t tui | head -3 | grep -q 'server:'"
	n=$(first_diff)
	check "b: the message names the first difference (${n:-none})" [ -n "$n" ]
	check "b: the cursor is on that step" step_is "${n:-x}"
	# the transcript of the fixed run says who acts at that step (its second column)
	who=$("$BIN" run "$SCEN/response-injection-fixed.ini" | awk -v n="${n:-x}" '$1 == n { print $2; exit }')
	check "b: the first difference is the client's (step ${n:-?}: ${who:-?})" [ "$who" = C ]
	keys q
	wait_for "EXITED:"
fi

# --- a names the attack in words; v on plain has no effect ---
check "plain starts" start 120 40 "$SCEN/plain.ini"
does=$("$BIN" list --attacks | awk 'NR == 1 { $1 = ""; sub(/^ +/, ""); print }')
keys a
check "a: the attack in words ('$does')" wait_for "what if: attacker $does"
check "a: no raw identifier" sh -c "! $TM capture-pane -p -t tui | head -3 | grep -q 'attacker relay'"
keys r
wait_for "reset to the file's options"
keys v
check "v on plain: says it has no effect" wait_for "(no effect here"
check "v on plain: still names the change" wait_for "what if: client does not verify certificates"
keys q
wait_for "EXITED:"

# --- t skips implicit TLS against a STARTTLS server, and says so ---
check "starttls starts" start 120 40 "$SCEN/starttls.ini"
keys t
check "t: implicit TLS skipped, and why" wait_for "implicit TLS skipped"
check "t: the next sensible policy instead" wait_for "what if: client never uses TLS │"
check "t: first difference named" wait_for "first difference at step"
keys q
wait_for "EXITED:"

# --- b without a twin: one side only ---
if have tamper-record.ini; then
	check "tamper-record starts" start 120 40 "$SCEN/tamper-record.ini"
	keys b
	check "b without a twin: one side, named" wait_for "what if: server: runs buffered input (vulnerable) │"
	check "b without a twin: the client unchanged" sh -c "! $TM capture-pane -p -t tui | head -3 | grep -q 'client:'"
	keys q
	wait_for "EXITED:"
fi

finish
