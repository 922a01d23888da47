#!/bin/sh
# tui_test: the ncurses interface as a student meets it. Runs the real binary inside a
# private tmux server, sends keys, and checks what is on the screen: the STARTTLS
# handshake in order, the ClientHello's fields, outcomes, each what-if key and the change
# the status bar names, help, resizing, the too-small message, colours off with NO_COLOR,
# ASCII without a UTF-8 locale, and a clean terminal after q. Every wait polls the screen
# (up to 5 s) instead of sleeping blindly; a missing scenario file is a failure, not a skip.
# Run from the top of the tree:  SMTPS_BIN=./smtps-sim sh tests/tui_test.sh
NAME=tui
. "$(dirname "$0")/tui_lib.inc"

# --- before the terminal: errors come back as plain messages ---
"$BIN" "$SCEN/starttls.ini" >"$T/notty.out" 2>"$T/notty.err" </dev/null
rc=$?
check "not a tty: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "not a tty: the message says so" grep -q "needs a terminal (standard input is not one)" "$T/notty.err"
"$BIN" "$T/no-such.ini" >"$T/nofile.out" 2>"$T/nofile.err"
rc=$?
check "missing scenario: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "missing scenario: one-line error naming the file" grep -q "no-such.ini" "$T/nofile.err"

# --- the STARTTLS story: every arrow in order, stepping with j ---
check "starttls starts" start 100 30 "$SCEN/starttls.ini"
check "status bar: title and step" wait_for "STARTTLS on the submission port (587)"
check "diagram: lifelines named" sh -c "$TM capture-pane -p -t tui | grep -q 'Client.*Server'"
total=$(screen | sed -n 's/.*step 1 of \([0-9]*\).*/\1/p' | head -1)
check "status bar: number of steps ($total)" [ "${total:-0}" -gt 40 ]
: >"$T/steps"
i=1
while [ "$i" -lt "${total:-0}" ]; do
	keys j
	i=$((i + 1))
	wait_for "step $i of $total" || break
	# the current event's row is the one whose number carries the cursor mark
	screen | grep -E "^. +$i▶" >>"$T/steps"
done
check "stepped to the last event" [ "$i" -eq "${total:-0}" ]
check "the STARTTLS handshake arrows in order" in_order "$T/steps" \
	"220 mail.example.test" "EHLO" "250-PIPELINING" "250 STARTTLS" "STARTTLS" "220 2.0.0 Ready to start TLS" \
	"ClientHello" "ServerHello" "Certificate" "ServerKeyExchange" "ServerHelloDone" \
	"ClientKeyExchange" "ChangeCipherSpec" "Finished" "ChangeCipherSpec" "Finished" \
	"EHLO" "AUTH PLAIN" "MAIL FROM" "RCPT TO" "DATA" "Message:" "QUIT"
check "arrows are drawn with heads" sh -c "grep -q '▶' '$T/steps' && grep -q '◀' '$T/steps'"
check "records are thin lines" grep -q "┄ TLS record: handshake" "$T/steps"
check "outcome at the last event" wait_for "Outcome: The message was delivered" flat
check "TLS state at the end" wait_for "client-server: TLS 1.2"

# --- the detail pane: the ClientHello's fields, and folding ---
keys g
wait_for "step 1 of"
keys h
check "h: next handshake message is the ClientHello" wait_for "handshake_type: ClientHello"
check "status: handshaking during the handshake" wait_for "client-server: handshaking"
check "hex: the handshake header is spelled out" wait_for "handshake header: ClientHello"
keys Tab
check "Tab focuses the detail pane" wait_for "detail: event 16 *"
for _ in 1 2 3 4 5; do keys j; done
check "detail: cipher suites" wait_for "cipher_suites: 10 suites"
for _ in 6 7; do keys j; done
check "detail: a suite (scrolled to)" wait_for "suite: TLS_ECDHE"
for _ in 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22; do keys j; done
check "detail: server_name mail.example.test" wait_for "server_name: mail.example.test"
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25; do keys k; done
wait_for "handshake_type: ClientHello"
keys j j j j j Enter
check "Enter folds cipher_suites" wait_for "▸ cipher_suites"
check "folded suites are hidden" wait_gone "suite: TLS_ECDHE"
keys Enter j
check "Enter unfolds it (j: the first suite below)" wait_for "suite: TLS_ECDHE"
keys Tab Tab
check "Tab cycles back to the sequence" wait_for "sequence *"

# --- search, s, play ---
keys / R C P T Enter
check "search finds RCPT" wait_for "match 1 of"
check "search moved the cursor to RCPT" sh -c "$TM capture-pane -p -t tui | grep -qE '[0-9]+▶.*RCPT TO'"
keys g
wait_for "step 1 of"
keys s
check "s: next SMTP command is EHLO" sh -c "sleep 0.3; $TM capture-pane -p -t tui | grep -qE '3▶.*EHLO'"
keys Space
check "Space plays" wait_for "playing"
keys Space
check "Space pauses" wait_gone "playing"

# --- help overlay ---
keys '?'
check "? opens the help" wait_for "any other key closes"
keys NPage
check "help lists the what-if keys (a page down)" wait_for "client verifies certificates, or not"
keys x
check "any key closes the help" wait_gone "any other key closes"

# --- what if: verification on the STARTTLS story ---
keys G
keys v
check "v: status bar says what changed" wait_for "what if: client does not verify certificates"
check "v on starttls: still delivered" wait_for "Outcome: The message was delivered" flat
keys r
check "r: reset to the file's options" wait_for "reset to the file's options"
check "r: what-if line gone" wait_gone "what if: client does not verify"

# --- mouse: a click on an arrow selects that event ---
keys g
wait_for "step 1 of"
# SGR mouse report, 1-based column 30, on the sixth event's row (found on the screen)
row=$(screen | grep -nE '^│ +6 ' | head -1 | cut -d: -f1)
$TM send-keys -t tui -l "$(printf '\033[<0;30;%sM\033[<0;30;%sm' "${row:-10}" "${row:-10}")"
check "mouse click selects event 6" wait_for "step 6 of"

# --- what if: an attacker appears, every option cycles without trouble ---
keys a
check "a: an attacker in the path" wait_for "what if: attacker sits in the path"
check "a: the attacker's lifeline" wait_for "Attacker"
# Each key changes one option of the running variant (ui/whatif.c) and the status bar
# names every option that differs from the file, in words, in the order verification,
# TLS policy, attacker (what it does, as `smtps-sim list --attacks` says), buffering. a
# cycles the attacker's behaviours in the attack table's order (back to none, then the
# first again); t the client's TLS policy from the file's starttls-required, skipping
# implicit TLS (this server greets in cleartext); v toggles. (b leaves the variant for
# the lesson's twin: tests/tui_cmp_test.sh.) Lines are KEY|LIFELINE|WHAT-IF: LIFELINE +
# when the attacker's lifeline is drawn, - when not.
first_does=$("$BIN" list --attacks | awk 'NR == 1 { $1 = ""; sub(/^ +/, ""); print }')
steps=$("$BIN" list --attacks | awk 'NR > 1 { $1 = ""; sub(/^ +/, ""); printf "a|+|attacker %s\n", $0 }')
steps="$steps
a|-|
a|+|attacker $first_does
t|+|client never uses TLS; attacker $first_does
t|+|client uses STARTTLS only when offered (opportunistic); attacker $first_does
t|+|attacker $first_does
v|+|client does not verify certificates; attacker $first_does
v|+|attacker $first_does"
printf '%s\n' "$steps" > "$T/steps"
while IFS= read -r step <&3; do
	k=${step%%|*}
	want=${step#*|*|}
	life=${step#*|}
	life=${life%%|*}
	keys "$k"
	check "$k: the what-if line says '${want:-none}'" whatif_is "$want"
	if [ "$life" = + ]; then
		check "$k ($want): the attacker's lifeline is drawn" wait_for "Attacker"
	else
		check "$k (no attacker): the attacker's lifeline is gone" wait_gone "Attacker"
	fi
done 3< "$T/steps"
keys r
check "what-if keys cycle and reset" wait_for "reset to the file's options"
check "reset: no attacker lifeline" wait_gone "Attacker"

# --- resize, too small, and back ---
$TM resize-window -t tui -x 200 -y 50
check "resize to 200x50: redrawn wide" sh -c "sleep 0.3; $TM capture-pane -p -t tui | awk 'length(\$0) >= 190 { w = 1 } END { exit !w }'"
check "resize to 200x50: diagram still there" wait_for "Client"
check "200x50: arrows present" sh -c "$TM capture-pane -p -t tui | grep -q '─▶'"
check "200x50: status bar whole" sh -c "$TM capture-pane -p -t tui | head -2 | grep -q 'STARTTLS on the submission port (587) .*step'"
$TM resize-window -t tui -x 60 -y 20
check "too small: the message" wait_for "terminal too small: need 80x24, have 60x20"
$TM resize-window -t tui -x 100 -y 30
check "keeps running after the too-small message" wait_for "sequence"

# --- picker ---
keys l
check "l opens the picker" wait_for "open a scenario"
first_file=$(ls "$SCEN"/*.ini | head -1 | xargs basename)
check "picker lists scenarios with titles" wait_for "$first_file"
first=$("$BIN" list "$SCEN" 2>/dev/null | head -1 | awk '{ print $2, $3 }')
keys g Enter
check "Enter closes the picker" wait_gone "open a scenario"
check "picker opens the chosen scenario ($first)" wait_for "$first"

# --- quitting restores the terminal ---
keys q
check "q exits with status 0" wait_for "EXITED:0"
alt=$($TM display-message -p -t tui '#{alternate_on}' 2>/dev/null)
check "no alternate screen left behind (alternate_on=$alt)" [ "$alt" = 0 ]

# --- outcomes: plain and STARTTLS stripping ---
check "plain starts" start 100 30 "$SCEN/plain.ini"
keys G
check "plain: the observer learned the credentials" wait_for "learned the credentials" flat
check "plain: the status bar shows the leak" wait_for "credentials, envelope, body"
keys q
wait_for "EXITED:"
if have strip-opportunistic.ini; then
	check "strip-opportunistic starts" start 100 30 "$SCEN/strip-opportunistic.ini"
	check "strip: the attacker's lifeline" wait_for "Attacker"
	keys G
	check "strip: outcome says the credentials were learned" wait_for "learned the credentials" flat
	keys q
fi

# --- what if: verification turns a failed substitution into an interception ---
if have cert-substitution-verify.ini; then
	check "cert-substitution-verify starts" start 100 30 "$SCEN/cert-substitution-verify.ini"
	keys G
	check "verifying client: not delivered" wait_for "Outcome: The message was not delivered" flat
	keys v
	check "v: status bar says what changed" wait_for "what if: client does not verify certificates"
	check "v: the cursor on the first difference" wait_for "first difference at step"
	keys G
	check "v: the outcome changes" wait_for "Outcome: The message was delivered" flat
	check "v: the attacker now reads the credentials" wait_for "attacker learned the credentials" flat
	keys q
fi

# --- readability at 80x24 ---
check "80x24 starts" start 80 24 "$SCEN/starttls.ini"
keys '?'
check "80x24: the help opens (it scrolls)" wait_for "any other key closes"
check "80x24: help shows its first line" wait_for "Keys"
keys x
wait_gone "any other key closes"
keys G
check "80x24: full title and step in the status bar" wait_for "STARTTLS on the submission port (587)"
check "80x24: step of the end" wait_for "step 72 of 72"
check "80x24: TLS segment whole" sh -c "$TM capture-pane -p -t tui | sed -n 2p | grep -qE '(client-server|C-S): TLS 1\\.2'"
check "80x24: leak segment whole" sh -c "$TM capture-pane -p -t tui | sed -n 2p | grep -qE '(leaked|seen): nothing'"
check "80x24: nothing cut with an ellipsis in the status bar" sh -c "! $TM capture-pane -p -t tui | head -2 | grep -q '…'"
check "80x24: arrows present" sh -c "$TM capture-pane -p -t tui | grep -qE '─▶|◀─'"
keys q
wait_for "EXITED:"
if have strip-opportunistic.ini; then
	check "80x24 strip-opportunistic starts" start 80 24 "$SCEN/strip-opportunistic.ini"
	keys G
	check "80x24, two links: the leak segment whole" wait_for "credentials, envelope, body"
	check "80x24, two links: both links named" sh -c "$TM capture-pane -p -t tui | sed -n 2p | grep -qE '(C-A|client-attacker).*(A-S|attacker-server)'"
	keys q
fi

# --- presentation mode ---
check "--present starts" start 100 30 --present "$SCEN/starttls.ini"
check "--present: double-line arrows" wait_for "═"
check "--present: no detail pane" sh -c "! $TM capture-pane -p -t tui | grep -q 'detail:'"
keys q

# --- NO_COLOR: attributes only, no colour escapes ---
check "NO_COLOR starts" start 100 30 NO_COLOR=1 "$SCEN/starttls.ini"
keys h
wait_for "ClientHello"
check "NO_COLOR: no colours on screen" sh -c "! $TM capture-pane -e -p -t tui | grep -qE '\[(3[0-7]|4[0-7]|38;5|48;5|9[0-7])(;[0-9]+)*m'"
keys q
check "with colours: colour escapes present (control)" start 100 30 "$SCEN/starttls.ini"
keys h
wait_for "ClientHello"
check "colours: colour escapes present" sh -c "$TM capture-pane -e -p -t tui | grep -qE '\[[0-9;]*(3[0-7]|38;5)[0-9;]*m'"
keys q

# --- ASCII fallback without a UTF-8 locale ---
check "C locale starts" start 100 30 LANG=C LC_ALL=C "$SCEN/starttls.ini"
keys j j
check "C locale: ASCII arrows" sh -c "sleep 0.3; $TM capture-pane -p -t tui | grep -qE -- '--.*>|<-'"
check "C locale: no box-drawing characters" sh -c "! $TM capture-pane -p -t tui | grep -q '─'"
keys q

# --- SIGTERM restores the terminal too ---
check "SIGTERM case starts" start 100 30 "$SCEN/starttls.ini"
pid=$($TM list-panes -t tui -F '#{pane_pid}' | head -1)
# the pane runs sh -c '...'; the TUI is its child
child=$(pgrep -P "$pid" -f "$BIN" 2>/dev/null | head -1)
check "SIGTERM: found the program under the pane's shell (pane pid '$pid', pgrep $(command -v pgrep || echo missing))" \
	[ -n "$child" ]
if [ -n "$child" ]; then
	check "SIGTERM: the signal is delivered" kill -TERM "$child"
	check "SIGTERM: the program exits" wait_for "EXITED:"
	alt=$($TM display-message -p -t tui '#{alternate_on}' 2>/dev/null)
	check "SIGTERM: terminal restored (alternate_on=$alt)" [ "$alt" = 0 ]
fi

# --- who knows what: at the last event the status bar says what the outcome says ---
# The expected words come from the headless outcome of the same scenario (the ledger
# folded at the end); the bar folds the same ledger at the cursor.
bits() {
	# "observer learned: credentials (...), envelope (...), body (...)" -> "credentials, envelope, body"
	_l=$(grep -m1 "^  $1 learned:" "$2")
	_b=""
	case $_l in *"learned: credentials ("*) _b="credentials" ;; esac
	case $_l in *"envelope (<"*) _b="${_b:+$_b, }envelope" ;; esac
	case $_l in *"), body"* | *"learned: body"* | *", body"*) _b="${_b:+$_b, }body" ;; esac
	echo "${_b:-nothing}"
}
nscen=0
for f in "$SCEN"/*.ini; do
	n=$(basename "$f" .ini)
	nscen=$((nscen + 1))
	"$BIN" run "$f" >"$T/$n.out" 2>/dev/null
	obs=$(bits observer "$T/$n.out")
	want="wire observer has seen: $obs"
	if grep -q "^  attacker learned:" "$T/$n.out"; then
		atk=$(bits attacker "$T/$n.out")
		if [ "$atk" = "$obs" ]; then
			[ "$obs" = nothing ] && atk=nothing || atk="the same"
		fi
		want="$want; attacker: $atk"
	fi
	if start 240 40 "$f"; then
		keys G
		check "$n: the bar at the last event says '$want'" wait_for "$want"
	else
		check "$n: the interface starts" false
	fi
done
check "the who-knows-what check ran on the whole catalogue ($nscen scenarios)" [ "$nscen" -ge 19 ]
tm_stop

finish
