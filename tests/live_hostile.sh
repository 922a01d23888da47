#!/bin/sh
# live_hostile: `serve` under hostile peers on loopback: 1000 slow connections, a 10 MB
# line, a peer that never reads. A real session must still complete beside each, the server
# must stay within its memory bound, and SIGINT must end it cleanly with its traces written.
# Bounded in time (every step under a timeout). Run from the top of the tree.
BIN=${SMTPS_BIN:-./smtps-sim}
SCEN=${SMTPS_SCENARIOS:-scenarios}
PY=python3
pass=0
fail=0
T=$(mktemp -d "${TMPDIR:-/tmp}/live_hostile.XXXXXX") || exit 2
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; [ -n "$KEEP" ] || rm -rf "$T"' EXIT INT TERM
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
. "$(dirname "$0")/live_lib.inc"

# a sanitizer build holds more memory per byte: the bound is for the plain build
BOUND_KB=${LIVE_RSS_BOUND_KB:-131072}
case $BIN in *san*) BOUND_KB=$((BOUND_KB * 4)) ;; esac
ulimit -n 4096 2>/dev/null

# A sanitizer build's leak check at exit can spin for ever after a signal where ptrace is
# not allowed (LeakSanitizer stops the world with it): this server ends by SIGINT, so its
# leaks are left to the other tests (which end the same code without a signal).
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
timeout -k 10 300 "$BIN" serve "$SCEN/starttls.ini" --listen 127.0.0.1:0 --max-sessions 32 --idle 5 --timeout 60 \
	-o "$T/session.txt" >/dev/null 2>"$T/serve.err" &
SERVER=$!
PORT=$(port_of "$T/serve.err" "$LISTENING")
[ -n "$PORT" ] || bad "the server did not start: $(cat "$T/serve.err")"

if [ -n "$PORT" ]; then
	timeout 240 $PY "$(dirname "$0")/data/hostile_peers.py" "$PORT" 1000 >"$T/peers.out" 2>&1
	while read -r word rest; do
		case $word in ok) ok ;; FAIL) bad "$rest" ;; esac
	done <"$T/peers.out"
	grep -q '^ok a real session completes beside the deaf peer' "$T/peers.out" || bad "the peers did not finish: $(tail -3 "$T/peers.out")"
	# the server itself, under timeout
	spid=$(pgrep -P $SERVER | head -1)
	hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/${spid:-0}/status 2>/dev/null)
	echo "live hostile: the server's peak memory $hwm kB"
	if [ -n "$hwm" ] && [ "$hwm" -le "$BOUND_KB" ]; then ok; else
		bad "the server's peak memory: ${hwm:-?} kB (bound $BOUND_KB kB)"
	fi
	kill -INT $SERVER
	wait $SERVER
	st=$?
	SERVER=
	[ $st -eq 0 ] && ok || bad "serve after SIGINT: exit $st ($(tail -2 "$T/serve.err"))"
	# every session was written: the first one's file and the numbered ones after it
	n=$(ls "$T" | grep -c '^session')
	[ "$n" -ge 1000 ] && ok || bad "$n session transcripts written (1000 and more expected)"
	grep -q 'no byte moved for 5 s' "$T"/session* && ok || bad "no session was closed as idle"
	grep -q 'its trace reached 20000 events' "$T"/session* && ok || bad "the deaf peer's session was not bounded in events"
	grep -q 'a new connection needed its place' "$T"/session* && ok || bad "no session made room for a new one"
	ls "$T" | grep -q '\.tmp\|~' && bad "a temporary file was left behind" || ok
fi

# An idle proxy costs nothing: after a proxied session, while it lingers for the peers'
# FINs and waits for the next connection, it must not spin (it once polled for input it
# would not read, at 100% of a core for a second after every session). Measured in CPU
# ticks of the proxy process over 1.5 s (100 a second: a spin shows about 150).
timeout -k 5 60 "$BIN" serve "$SCEN/implicit-tls.ini" --listen 127.0.0.1:0 --count 2 --idle 20 --format text \
	>/dev/null 2>"$T/up.err" &
UP=$!
UPORT=$(port_of "$T/up.err" "$LISTENING")
printf '\n[mitm]\nbehaviour = relay\n' | cat "$SCEN/implicit-tls.ini" - | sed "s|certs/|$SCEN/certs/|g" >"$T/relay.ini"
timeout -k 5 60 "$BIN" proxy "$T/relay.ini" --listen 127.0.0.1:0 --upstream "127.0.0.1:${UPORT:-1}" --count 2 \
	--idle 20 --format text >/dev/null 2>"$T/prx.err" &
PRX=$!
PPORT=$(port_of "$T/prx.err" "$LISTENING")
cat >"$T/one.py" <<'PY'
import smtplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[1]), context=ctx, timeout=20)
s.login("alice", "wonderland")
s.sendmail("alice@example.test", ["bob@example.test"], b"Subject: idle\r\n\r\nhello\r\n")
s.quit()
PY
if [ -n "$UPORT" ] && [ -n "$PPORT" ] && timeout 30 $PY "$T/one.py" "$PPORT" >"$T/one.out" 2>&1; then
	ppid_=$(pgrep -P $PRX | head -1)
	ticks() { awk '{ print $14 + $15 }' "/proc/${ppid_:-$PRX}/stat" 2>/dev/null || echo 0; }
	t0=$(ticks)
	sleep 1.5
	t1=$(ticks)
	echo "live hostile: the idle proxy used $((t1 - t0)) CPU ticks in 1.5 s after a session"
	[ $((t1 - t0)) -le 30 ] && ok || bad "the proxy spins after a session: $((t1 - t0)) CPU ticks in 1.5 s"
	timeout 30 $PY "$T/one.py" "$PPORT" >>"$T/one.out" 2>&1 || bad "the second proxied session failed: $(tail -2 "$T/one.out")"
else
	bad "the proxied session failed: $(cat "$T/up.err" "$T/prx.err" "$T/one.out" 2>/dev/null | tail -3)"
fi
wait $PRX 2>/dev/null
wait $UP 2>/dev/null
echo "live hostile: $pass passed, $fail failed"
[ $fail -eq 0 ]
