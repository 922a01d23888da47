#!/bin/sh
# tui_trace_test: a saved trace (run --format json) opened in the interface, as a teacher
# would open a recorded session: its title, its events and its outcome on screen, and the
# what-if keys refusing, with a message, to re-run what was only recorded. Run from the
# top of the tree:  SMTPS_BIN=./smtps-sim sh tests/tui_trace_test.sh
NAME=trace
. "$(dirname "$0")/tui_lib.inc"

if have relay-strip-hop2.ini; then
	"$BIN" run "$SCEN/relay-strip-hop2.ini" --format json -o "$T/hop2.json" >/dev/null 2>&1
	check "the trace is saved" [ -s "$T/hop2.json" ]
	check "the saved trace opens at 120x40" start 120 40 "$T/hop2.json"
	check "its title is shown" wait_for "Stripping on hop 2: the password is safe, the body is not"
	check "its route is drawn: four lifelines" sh -c "$TM capture-pane -p -t tui | grep -qE 'Client +Server +Attacker +MX'"
	keys G
	check "G goes to its last event" sh -c "sleep 0.3; $TM capture-pane -p -t tui | grep -qE 'step ([0-9]+) of \\1'"
	check "at the end hop 2's observer has the message, as in the live run" \
		sh -c "$TM capture-pane -p -t tui | grep -E '^ . Hop 2 observer:' | grep -q 'message \"Lunch\"'"
	keys v
	check "v (a what-if) explains that a saved trace has nothing to re-run" wait_for "saved trace"
	keys Q
	wait_for "EXITED:"
fi
finish
