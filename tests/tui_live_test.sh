#!/bin/sh
# tui_live_test: `serve --tui` in a terminal (tmux): before a client comes, the status line
# says the interface waits; a real client's session (Python's smtplib) then shows as it
# happens, the cursor on its newest event; q leaves, and the session is written with -o.
# Run from the top of the tree:  SMTPS_SCENARIOS=scenarios SMTPS_BIN=./smtps-sim sh tests/tui_live_test.sh
BIN=${SMTPS_BIN:-./smtps-sim}
SCEN=${SMTPS_SCENARIOS:-scenarios}
pass=0
fail=0
T=$(mktemp -d "${TMPDIR:-/tmp}/tui_live.XXXXXX") || exit 2
TM="tmux -L smtps-live-$$ -f /dev/null"
trap '$TM kill-server 2>/dev/null; rm -rf "$T"' EXIT INT TERM
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
screen() { $TM capture-pane -p -t tui 2>/dev/null; }
# wait_for TEXT: up to 10 s until the screen shows TEXT
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		screen | grep -q -- "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
if ! command -v tmux >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	echo "tui live: tmux and python3 are needed"
	echo "tui live: 0 passed, 1 failed"
	exit 1
fi
# a free port: bind, read, release
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$TM new-session -d -s tui -x 160 -y 45 -c "$PWD" \
	"env TERM=xterm-256color $BIN serve $SCEN/starttls.ini --tui --count 1 --listen 127.0.0.1:$PORT --format json -o $T/live.json --pcap $T/live.pcap; echo EXITED:\$?; sleep 60"
wait_for "waiting for a connection" && ok || bad "the status line does not say it waits: $(screen | head -5)"
cat >"$T/client.py" <<'PYEOF'
import smtplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='tmux-client.example', timeout=10)
s.starttls(context=ctx)
s.login('alice', 'wonderland')
s.sendmail('alice@example.test', ['bob@example.test'], b'Subject: seen live\r\n\r\nhi\r\n')
s.quit()
PYEOF
timeout 20 python3 "$T/client.py" "$PORT" >"$T/client.out" 2>&1 && ok || bad "the client failed: $(tail -2 "$T/client.out")"
wait_for "live (serve on 127.0.0.1:$PORT): [0-9]* events" && ok || bad "the status line does not count the live events"
wait_for "quit" && ok || bad "the client's QUIT is not on screen"
# the cursor follows the newest event: the status line's step is the last one
line=$(screen | grep -o 'step [0-9]* of [0-9]*' | head -1)
set -- $line
[ -n "$line" ] && [ "$2" = "$4" ] && ok || bad "the cursor is not on the newest event ($line)"
$TM send-keys -t tui g
wait_for "Live: a real mail client connected" && ok || bad "the live session's first event is not on screen"
wait_for "ehlo tmux-client.example" && ok || bad "the client's EHLO is not on screen"
$TM send-keys -t tui q
wait_for "EXITED:0" && ok || bad "q did not leave with status 0: $(screen | tail -3)"
"$BIN" run "$T/live.json" 2>&1 | grep -q 'ehlo tmux-client.example' && ok || bad "the session was not written with -o"
[ -s "$T/live.pcap" ] && ok || bad "the session's capture was not written with --pcap"
echo "tui live: $pass passed, $fail failed"
[ $fail -eq 0 ]
