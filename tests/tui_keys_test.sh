#!/bin/sh
# tui_keys_test: the interface's keys, tested from the key table itself. `smtps-sim --keys`
# prints the table (ui/keys.c); the help must list every line of it, every main-view key
# in it must change the screen, and every printable key not in it must leave the screen
# alone — so a key cannot work without being documented, nor be documented and dead. Then
# the behaviours around the keys: q closes the view it is in before it quits, Q quits
# from anywhere, the exit status after a signal (130, 143, 129) and after a crash, the
# lesson card, the hint row, the filter, n/N over search matches, a layout that does
# not jump, playback that keys do not hold back, presentation mode at run time, and the
# README's key section, which is the table's own Markdown.
# Run from the top of the tree:  SMTPS_BIN=./smtps-sim sh tests/tui_keys_test.sh
NAME=keys
. "$(dirname "$0")/tui_lib.inc"

"$BIN" --keys >"$T/keys" 2>"$T/keys.err"
check "--keys prints the table" [ -s "$T/keys" ]
check "--keys: every line has four tab-separated fields" \
	sh -c "awk -F'\t' 'NF != 4 { bad = 1 } END { exit bad }' '$T/keys'"

# --- command line ---
"$BIN" --present --help >"$T/ph.out" 2>&1
rc=$?
check "--present --help: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "--present --help: prints the usage" grep -q "^usage: smtps-sim" "$T/ph.out"
check "usage names --no-lesson and --no-color" sh -c "grep -q -- --no-lesson '$T/ph.out' && grep -q -- --no-color '$T/ph.out'"

# --- the README's key section is the table's Markdown ---
if [ -f README.md ]; then
	sed -n '/^<!-- interface-keys: /,/^<!-- end interface-keys -->/p' README.md | sed '1d;$d' >"$T/readme-keys"
	"$BIN" --keys --format markdown >"$T/md-keys"
	check "README key section matches 'smtps-sim --keys --format markdown' (regenerate it)" \
		cmp -s "$T/readme-keys" "$T/md-keys"
fi

# --- the help lists every key of the table ---
check "help case starts" start 200 60 "$SCEN/starttls.ini"
keys '?'
wait_for "any other key closes"
: >"$T/help"
for _ in 1 2 3 4 5 6; do
	screen >>"$T/help"
	keys NPage
	sleep 0.2
done
keys q
check "q closes the help" wait_gone "any other key closes"
check "q on the help did not quit" sh -c "! $TM capture-pane -p -t tui | grep -q EXITED"
missing=0
while IFS="$(printf '\t')" read -r ctx tm label text; do
	if ! grep -qF -- "$text" "$T/help"; then
		echo "    not in the help: [$ctx] $label: $text"
		missing=$((missing + 1))
	fi
done <"$T/keys"
check "the help lists every line of the key table ($missing missing)" [ "$missing" -eq 0 ]
keys Q
check "Q quits" wait_for "EXITED:0"

# --- every main-view key of the table changes the screen ---
# A fresh session at step 21 for each key; the screen before is compared with after.
press() { # press TMUX-NAME: a one-character name is sent literally
	if [ "${#1}" -eq 1 ]; then keys -l "$1"; else keys "$1"; fi
}
changed() { # changed FILE: polls up to 3 s until the screen differs from FILE
	_w=0
	while [ $_w -lt 30 ]; do
		screen >"$T/now"
		cmp -s "$1" "$T/now" || return 0
		sleep 0.1
		_w=$((_w + 1))
	done
	return 1
}
awk -F'\t' '($1 == "main" || $1 == "sequence" || $1 == "everywhere") && $2 != "none" { print $2 }' \
	"$T/keys" | sort -u >"$T/mainkeys"
nk=$(wc -l <"$T/mainkeys")
check "the table has main-view keys ($nk)" [ "$nk" -ge 30 ]
# TERM as tmux's own (Home and End arrive as tmux sends them), when the system knows it
kterm=TERM=xterm-256color
infocmp tmux-256color >/dev/null 2>&1 && kterm=TERM=tmux-256color
while read -r k; do
	start 100 30 "$kterm" "$SCEN/starttls.ini" || { check "$k: the interface starts" false; continue; }
	keys NPage NPage
	wait_for "step 21 of"
	if [ "$k" = C-l ]; then
		# Ctrl-L: scribble on the terminal behind the program's back; the redraw removes it
		tty=$($TM display-message -p -t tui '#{pane_tty}')
		printf '\033[5;5HSCRIBBLE-SCRIBBLE' >"$tty"
		wait_for SCRIBBLE-SCRIBBLE
	fi
	screen >"$T/before"
	press "$k"
	if [ "$k" = C-l ]; then
		check "C-l: redraws (the scribble is gone)" wait_gone SCRIBBLE-SCRIBBLE
	else
		check "key '$k' changes the screen" changed "$T/before"
	fi
done <"$T/mainkeys"

# --- every printable key outside the table leaves the screen alone ---
check "unbound-keys case starts" start 100 30 "$SCEN/starttls.ini"
keys NPage NPage
wait_for "step 21 of"
sleep 0.3
screen >"$T/before"
unbound=""
for c in a b c d e f g h i j k l m n o p q r s t u v w x y z \
	A B C D E F G H I J K L M N O P Q R S T U V W X Y Z 0 1 2 3 4 5 6 7 8 9 \
	'!' '"' '#' '$' '%' '&' "'" '(' ')' '*' '+' ',' '-' '.' '/' ':' ';' '<' '=' '>' '?' '@' \
	'[' '\' ']' '^' '_' '`' '{' '|' '}' '~'; do
	awk -F'\t' -v c="$c" '($1 == "main" || $1 == "sequence" || $1 == "everywhere") && $2 == c { f = 1 } END { exit !f }' \
		"$T/keys" || unbound="$unbound$c"
done
check "some printable keys are unbound (${#unbound})" [ "${#unbound}" -ge 20 ]
quiet=0
i=0
while [ $i -lt ${#unbound} ]; do
	batch=$(printf '%s' "$unbound" | cut -c$((i + 1))-$((i + 6)))
	keys -l "$batch"
	sleep 0.3
	screen >"$T/now"
	if ! cmp -s "$T/before" "$T/now"; then
		echo "    one of '$batch' changed the screen but is not in the key table"
		quiet=1
		screen >"$T/before"
	fi
	i=$((i + 6))
done
for k in F2 F5 IC DC; do
	keys "$k"
	sleep 0.3
	screen >"$T/now"
	cmp -s "$T/before" "$T/now" || { echo "    $k changed the screen but is not in the key table"; quiet=1; screen >"$T/before"; }
done
check "keys outside the table do nothing" [ "$quiet" -eq 0 ]

# --- q closes the view it is in, then quits ---
check "q case starts" start 100 30 "$SCEN/starttls.ini"
keys l
wait_for "open a scenario"
keys q
check "q closes the picker" wait_gone "open a scenario"
keys Tab
check "Tab: detail focused" wait_for "detail: event 1 *"
keys q
check "q in the detail pane: back to the sequence" wait_for "sequence *"
keys Enter
check "Enter on the sequence opens the detail" wait_for "detail: event 1 *"
keys Escape
check "Esc in the detail pane: back to the sequence" wait_for "sequence *"
check "still running after q in views" sh -c "! $TM capture-pane -p -t tui | grep -q EXITED"
keys q
check "q in the main view quits with 0" wait_for "EXITED:0"

# --- the lesson card ---
# card_has TEXT: the screen, every box-drawing piece removed (the card is drawn over the
# panes, whose edges show beside it), holds TEXT even where the card wrapped it
card_has() {
	screen | sed 's/[│┌┐└┘─]/ /g' | tr -s ' \n' '  ' | grep -qF -- "$1"
}
if have strip-opportunistic.ini; then
	WITH_LESSON=1
	check "lesson card case starts" start 80 24 "$SCEN/strip-opportunistic.ini"
	WITH_LESSON=
	check "the card shows the scenario's lesson" wait_for "deletes the 250-STARTTLS line from the EHLO" flat
	check "the card says what to watch for" wait_for "What to watch for"
	does=$("$BIN" list --attacks | awk '$1 == "strip-starttls" { $1 = ""; sub(/^ +/, ""); print }')
	check "the card names the attack and what it does ($does)" card_has "(strip-starttls) $does"
	check "the card gives the expected leak" wait_for "what the attacker learns: credentials, envelope, body" flat
	keys q
	check "q closes the card" wait_gone "What to watch for"
	check "q on the card did not quit" sh -c "! $TM capture-pane -p -t tui | grep -q EXITED"
	keys i
	check "i shows the card again" wait_for "What to watch for"
	keys x
	check "any key closes it" wait_gone "What to watch for"
	check "the key that closed it was not also a step" wait_for "step 1 of"
	keys q
fi
WITH_LESSON=1
check "no-lesson control starts" start 80 24 --no-lesson "$SCEN/starttls.ini"
WITH_LESSON=
check "--no-lesson: no card" sh -c "sleep 0.3; ! $TM capture-pane -p -t tui | grep -q 'What to watch for'"
keys q

# --- the hint row at 80x24 ---
check "hint row case starts" start 80 24 "$SCEN/starttls.ini"
check "hint row: on the last line, with help, play and quit" \
	sh -c "$TM capture-pane -p -t tui | tail -1 | grep -q '? help.*Space play.*q quit'"
keys Tab
check "hint row follows the pane (detail: fold, back)" \
	sh -c "sleep 0.3; $TM capture-pane -p -t tui | tail -1 | grep -q 'Enter fold.*q.*back'"
keys q q
wait_for "EXITED:"

# --- f: the filter, and navigation that skips what it hides ---
check "filter case starts" start 100 30 "$SCEN/starttls.ini"
keys f
check "f: SMTP only" wait_for "filter: SMTP only"
check "the hint row shows the filter" sh -c "$TM capture-pane -p -t tui | tail -1 | grep -q 'filter: SMTP only'"
keys / R e a d y Enter
check "search under the filter finds the 220 Ready" wait_for "step 13 of"
keys j
check "j under the filter skips the TLS handshake (13 -> 35, the EHLO)" wait_for "step 35 of"
keys f f f
check "f cycles to: no TLS records" wait_for "filter: no TLS records"
keys g
: >"$T/heads"
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do
	keys j
	sleep 0.05
	screen | grep -E '^│ +[0-9]+▶' | head -1 >>"$T/heads"   # the cursor's row in the diagram
done
check "stepping with records hidden never lands on a record" sh -c "! grep -q 'TLS record:' '$T/heads'"
check "(control) stepping did land on handshake messages" grep -qE 'ClientHello|ServerHello|Finished' "$T/heads"
if grep -q ui_event_visible ui/diagram.c 2>/dev/null; then
	keys h
	check "the diagram hides the records" wait_gone "TLS record: handshake"
else
	echo "NOTE: ui/diagram.c does not draw through ui_event_visible yet: the diagram's part of the filter is not checked"
fi
keys f
check "f back to all events" wait_for "filter: all events"
keys q

# --- n / N: next and previous search match ---
check "search case starts" start 100 30 "$SCEN/starttls.ini"
keys n
check "n before any search says how to search" wait_for "no search yet"
keys / E H L O Enter
check "/EHLO: the first match" wait_for "match 1 of 3"
check "/EHLO: at event 3" wait_for "step 3 of"
keys n
check "n: the next match" wait_for "match 2 of 3"
keys n
check "n: the third" wait_for "match 3 of 3"
check "n: at event 35" wait_for "step 35 of"
keys N
check "N: back to the second" wait_for "match 2 of 3"
keys N N
check "N wraps round to the last" wait_for "match 3 of 3"
keys q

# --- the layout does not jump when a message or a what-if appears (D17) ---
check "layout case starts" start 100 30 "$SCEN/starttls.ini"
row() { screen | grep -n '┌─ sequence' | cut -d: -f1; }
r0=$(row)
keys +
wait_for "pace:"
r1=$(row)
check "a message does not move the panes (sequence top at $r0, then $r1)" [ -n "$r0" ] && [ "$r0" = "$r1" ]
keys v
wait_for "what if:"
r2=$(row)
check "a what-if line does not move the panes ($r0, then $r2)" [ "$r0" = "$r2" ]
keys q

# --- playback is not held back by keys (D13) ---
check "playback case starts" start 100 30 "$SCEN/starttls.ini"
keys Space
wait_for "playing"
for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do
	keys x
	sleep 0.25
done
step=$(screen | sed -n 's/.*playing  step \([0-9]*\) of.*/\1/p' | head -1)
check "3 s of keys at 0.8 s a step: playback still moved (step ${step:-?})" [ "${step:-1}" -ge 3 ]
keys q

# --- P: presentation mode at run time ---
check "P case starts" start 120 35 "$SCEN/starttls.ini"
keys P
check "P: presentation mode on" wait_for "presentation mode on"
check "P: double-line arrows" wait_for "═"
check "P: no detail pane" wait_gone "detail: event"
check "P: the narration box is at most 70 columns of text, centred" \
	sh -c "$TM capture-pane -p -t tui | grep '─ narration' | awk '{ i = index(\$0, \"┌\"); if (i < 10) exit 1 }'"
keys P
check "P again: the detail pane is back" wait_for "detail: event"
keys q

# --- --no-color as NO_COLOR ---
check "--no-color starts" start 100 30 --no-color "$SCEN/starttls.ini"
keys h
wait_for "ClientHello"
check "--no-color: no colours on screen" sh -c "! $TM capture-pane -e -p -t tui | grep -qE '\[(3[0-7]|4[0-7]|38;5|48;5|9[0-7])(;[0-9]+)*m'"
keys '?' NPage NPage NPage NPage NPage NPage NPage NPage
check "--no-color: the help explains attributes, not colours" wait_for "bold anyone on the wire"
keys q q

# --- too small: keys still reach the overlays ---
check "too-small case starts" start 100 30 "$SCEN/starttls.ini"
keys l
wait_for "open a scenario"
$TM resize-window -t tui -x 40 -y 10
wait_for "terminal too small"
keys Escape
sleep 0.3
$TM resize-window -t tui -x 100 -y 30
check "Esc while too small closed the picker" sh -c "sleep 0.4; ! $TM capture-pane -p -t tui | grep -q 'open a scenario'"
check "and the program still runs" sh -c "! $TM capture-pane -p -t tui | grep -q EXITED"
keys q

# --- the picker: a file that does not open says why, whole, and the picker stays ---
mkdir -p "$T/cat"
cp -r "$SCEN"/. "$T/cat/"
sed 's/^tls = .*/tls = bogus/' "$SCEN/starttls.ini" >"$T/cat/zz-a-long-name-of-a-broken-scenario.ini"
check "picker case starts" start 120 40 SMTPS_DATADIR="$T/cat" "$T/cat/starttls.ini"
keys l
wait_for "open a scenario"
keys G
check "picker: a long name keeps its title beside it" \
	wait_for "zz-a-long-name-of-a-broken-scenario.ini  (does not load)"
keys Enter
check "picker: Enter on a broken file keeps the picker open" wait_for "cannot open it:"
check "picker: the whole reason, to its last word" \
	wait_for "expected one of none, starttls-opportunistic, starttls-required, implicit" flat
keys Escape
check "Esc closes the picker" wait_gone "open a scenario"
check "the scenario on show is unchanged" wait_for "STARTTLS on the submission port"
keys q

# --- exit status after signals, and the terminal after a crash ---
sig_case() { # sig_case SIGNAL STATUS
	start 100 30 "$SCEN/starttls.ini" || { check "$1: the interface starts" false; return; }
	pid=$($TM list-panes -t tui -F '#{pane_pid}' | head -1)
	child=$(pgrep -P "$pid" -f "$BIN" 2>/dev/null | head -1)
	check "$1: found the program under the pane's shell" [ -n "$child" ]
	[ -n "$child" ] || return
	kill -"$1" "$child"
	check "$1: exit status $2" wait_for "EXITED:$2"
	alt=$($TM display-message -p -t tui '#{alternate_on}' 2>/dev/null)
	check "$1: the terminal is restored (alternate_on=$alt)" [ "$alt" = 0 ]
}
sig_case INT 130
sig_case TERM 143
sig_case HUP 129
sig_case SEGV 139
sig_case ABRT 134
tm_stop

finish
