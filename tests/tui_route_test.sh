#!/bin/sh
# tui_route_test: a run with a route, on screen. The diagram draws one lifeline per actor
# the run has, in route order (client, server, attacker on hop 2, MX), and still fits 80
# columns; the status block has a line for the observer of each hop, and at the end the
# observer of hop 2 has read the message that hop 1's observer never saw; the key moments
# mark what hop 2 exposes; the four columns show hop 2's two links; and a route without
# an attacker has three lifelines and no attacker anywhere. Run from the top of the tree:
#   SMTPS_BIN=./smtps-sim sh tests/tui_route_test.sh
NAME=route
. "$(dirname "$0")/tui_lib.inc"

# the diagram's header row: the actors' names between the box's edges
header_row() { screen | grep -E '^│ +Client ' | head -1; }
# the status block's line for a reader
reader_line() { screen | grep -E "^ . $1:" | head -1; }
# names in this order on the header row, and nothing else there
names_are() { [ "$(header_row | tr -d '│' | tr -s ' ' | sed 's/^ //; s/ $//')" = "$*" ]; }
# no screen row wider than the terminal, and the diagram box closed on the right
box_closed() { header_row | grep -q '│$'; }

for size in "80 24" "120 40"; do
	set -- $size
	w=$1
	h=$2
	if have relay-strip-hop2.ini; then
		check "relay-strip-hop2 starts at ${w}x$h" start "$w" "$h" "$SCEN/relay-strip-hop2.ini"
		check "${w}x$h: four lifelines in route order: Client, Server, Attacker, MX" names_are Client Server Attacker MX
		check "${w}x$h: the header row fits inside the box" box_closed
		check "${w}x$h: a line for the observer of hop 1" sh -c "$TM capture-pane -p -t tui | grep -qE '^ . Hop 1 observer:'"
		check "${w}x$h: a line for the observer of hop 2" sh -c "$TM capture-pane -p -t tui | grep -qE '^ . Hop 2 observer:'"
		check "${w}x$h: no single wire observer beside them" sh -c "! $TM capture-pane -p -t tui | grep -qE '^ . Observer:'"
		check "${w}x$h: at the start the TLS line is hop 1's" sh -c "$TM capture-pane -p -t tui | sed -n 2p | grep -qE '(C-S|client-server): none'"
		keys G
		check "${w}x$h: G goes to the last event" sh -c "sleep 0.3; $TM capture-pane -p -t tui | grep -qE 'step ([0-9]+) of \\1'"
		check "${w}x$h: at the end the observer of hop 2 has read the message" \
			sh -c "$TM capture-pane -p -t tui | grep -E '^ . Hop 2 observer:' | grep -q 'message \"Lunch\"'"
		check "${w}x$h: ... and the envelope" \
			sh -c "$TM capture-pane -p -t tui | grep -E '^ . Hop 2 observer:' | grep -qE 'envelope [^–]'"
		check "${w}x$h: the observer of hop 1 read no message and no password" \
			sh -c "$TM capture-pane -p -t tui | grep -E '^ . Hop 1 observer:' | grep -q 'password –  envelope –  message –'"
		check "${w}x$h: the attacker on hop 2 read the message too" \
			sh -c "$TM capture-pane -p -t tui | grep -E '^ . Attacker:' | grep -q 'message \"Lunch\"'"
		check "${w}x$h: at the end the TLS line is hop 2's, through the attacker, without TLS" \
			sh -c "$TM capture-pane -p -t tui | sed -n 2p | grep -qE '(S-A|server-attacker): none +(A-M|attacker-mx): none'"
		# the server's FIN to the attacker, near the end: an arrow from the server's
		# lifeline to the attacker's, the client's and the MX's lifelines untouched
		check "${w}x$h: the server's last FIN goes from its lifeline to the attacker's" \
			sh -c "$TM capture-pane -p -t tui | grep -qE '^│ +[0-9]+[^│]* +│ +│── FIN: the serv.*▶│ +│ +│\$'"
		keys Q
		wait_for "EXITED:"
	fi
done

# --- key moments: what hop 2 exposes is one, and it is the attacker's stripping that leads there ---
if have relay-strip-hop2.ini; then
	check "relay-strip-hop2 starts (moments)" start 120 40 "$SCEN/relay-strip-hop2.ini"
	keys ']' ']' ']'
	check "]: the attacker deletes STARTTLS from the MX's offer on hop 2" wait_for "key moment: the attacker: deleted"
	keys ']'
	check "]: the envelope, exposed to anyone on hop 2" wait_for "key moment: the envelope exposed to anyone on hop 2"
	keys ']'
	check "]: the message, exposed to anyone on hop 2 (the DATA on hop 2)" wait_for "key moment: the message exposed to anyone on hop 2"
	check "]: the cursor is on the message the server relays" \
		sh -c "$TM capture-pane -p -t tui | grep -E '^│ +[0-9]+▶' | grep -q 'Message: From'"
	check "the exposure is marked on the Hop 2 line" sh -c "$TM capture-pane -p -t tui | grep -qE '^ ◆ Hop 2 observer:'"
	keys ']'
	check "]: no further key moment" wait_for "no further key moment"
	# --- four columns: hop 2's two links, the deleted offer as a ghost on the server's side ---
	keys w
	check "w: four columns open on hop 2" wait_for "wire server-attacker"
	check "w: the MX's side is named" wait_for "wire attacker-MX"
	check "w: one line deleted" wait_for "1 deleted"
	keys g
	check "w: the deleted line is the MX's STARTTLS offer" \
		wait_for "250 STARTTLS (deleted)"
	keys q
	check "q closes the four columns" wait_gone "the wire as each side sees it"
	keys Q
	wait_for "EXITED:"
fi

# --- a route without an attacker: three lifelines, no attacker anywhere ---
if have relay-two-hops.ini; then
	for size in "80 24" "120 40"; do
		set -- $size
		check "relay-two-hops starts at $1x$2" start "$1" "$2" "$SCEN/relay-two-hops.ini"
		check "$1x$2: three lifelines: Client, Server, MX" names_are Client Server MX
		check "$1x$2: no Attacker on the screen" sh -c "! $TM capture-pane -p -t tui | grep -q Attacker"
		keys G
		wait_for "step 139 of 139"
		check "$1x$2: at the end, still no attacker, and hop 2 used TLS" \
			sh -c "! $TM capture-pane -p -t tui | grep -q Attacker && $TM capture-pane -p -t tui | sed -n 2p | grep -qE '(S-M|server-mx): TLS 1.2'"
		check "$1x$2: the observer of hop 2 read nothing" \
			sh -c "$TM capture-pane -p -t tui | grep -E '^ . Hop 2 observer:' | grep -q 'password –  envelope –  message –'"
		keys Q
		wait_for "EXITED:"
	done
fi
finish
