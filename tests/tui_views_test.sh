#!/bin/sh
# tui_views_test: the views the key table binds beyond the sequence — compare (c), four
# columns (w), the math pane (m) and key moments (] [) — opened with their keys, as a
# student would, and checked on the screen. Run from the top of the tree:
#   SMTPS_BIN=./smtps-sim sh tests/tui_views_test.sh
NAME=views
. "$(dirname "$0")/tui_lib.inc"

# --- compare: the vulnerable run beside its fixed twin, first difference marked ---
if have command-injection-vulnerable.ini; then
	check "command-injection-vulnerable starts" start 120 35 "$SCEN/command-injection-vulnerable.ini"
	keys c
	check "c: compare view opens" wait_for "compare two runs"
	check "c: the twin is named with its change" wait_for "twin command-injection-fixed"
	check "c: the first difference is the server's buffered bytes (row 60)" wait_for "first difference at row 60"
	check "c: the vulnerable side runs the injected lines" wait_for "250 2.1.0 Sender <mallory@evil.test> OK"
	check "c: the fixed side threw them away" wait_for "threw away 58 bytes"
	keys Escape
	check "Esc closes the compare view" wait_gone "compare two runs"
	# --- four columns: the injected lines exist only on the server's wire ---
	keys w
	check "w: four columns open" wait_for "the wire as each side sees it"
	check "w: the injected EHLO is marked added, on the server's wire only" \
		sh -c "$TM capture-pane -p -t tui | grep -q '(not sent by the client).*+.*EHLO mallory.example.test'"
	keys q
	check "q closes the four columns" wait_gone "the wire as each side sees it"
	keys Q
	wait_for "EXITED:"
fi

# --- four columns: a deleted line shows as a ghost on the client's side ---
if have strip-opportunistic.ini; then
	check "strip-opportunistic starts" start 120 35 "$SCEN/strip-opportunistic.ini"
	keys w
	check "w: four columns open (strip)" wait_for "the wire as each side sees it"
	check "w: one line deleted" wait_for "1 deleted"
	check "w: the deleted line is the server's STARTTLS offer" \
		sh -c "$TM capture-pane -p -t tui | grep -q '−.*250-STARTTLS'"
	keys Q
	wait_for "EXITED:"
fi

# --- the math pane and key moments in the STARTTLS story ---
if have starttls.ini; then
	check "starttls starts" start 120 35 "$SCEN/starttls.ini"
	keys / A U T H Enter
	wait_for "match 1 of"
	keys m
	check "m: the math pane replaces the detail pane" wait_for "┌─ math"
	check "m: the master secret's derivation" wait_for "master_secret = PRF(premaster"
	check "m: ECDHE's premaster is said not to be exposed" wait_for "the ECDH shared secret, not exposed"
	keys m
	check "m again: the detail pane is back" wait_gone "┌─ math"
	keys g
	wait_for "step 1 of"
	keys ']'
	check "]: the one key moment of a clean STARTTLS session: TLS up" wait_for "key moment: TLS is up"
	keys ']'
	check "] again: no further key moment" wait_for "no further key moment"
	keys Q
	wait_for "EXITED:"
fi

# --- key moments where something happens: stripping, the password exposed ---
if have strip-opportunistic.ini; then
	check "strip-opportunistic starts (moments)" start 120 35 "$SCEN/strip-opportunistic.ini"
	keys ']'
	check "]: first, the attacker deletes STARTTLS (step 15)" wait_for "key moment: the attacker: deleted"
	check "]: the cursor is on the deleted offer" wait_for "step 15 of"
	keys ']'
	check "]: then the credentials, exposed to the wire and the attacker" \
		wait_for "key moment: the credentials exposed to anyone on the wire"
	check "]: on the AUTH line (step 23)" wait_for "step 23 of"
	keys ']' ']'
	check "]: the message exposed (step 39)" wait_for "step 39 of"
	keys ']'
	check "]: no further key moment after the last" wait_for "no further key moment"
	keys '['
	check "[: back to the envelope (step 27)" wait_for "step 27 of"
	keys Q
	wait_for "EXITED:"
fi
finish
