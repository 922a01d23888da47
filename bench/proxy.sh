#!/bin/sh
# bench/proxy.sh: the live proxy's row of `make bench`. A real client (Python's smtplib)
# sends one large message over implicit TLS to our server on loopback, once directly and
# once through `smtps-sim proxy` (the attacker relaying every record unchanged, tracing
# both of its links); the row is the throughput through the proxy against the direct
# connection (medians of the runs; the ratio, the median of the pairs' ratios), measured
# in this run on this machine. The server is `smtps-sim serve` both times (two of them,
# one per way), so its own cost is in both.
# usage: sh bench/proxy.sh BIN SCENARIO_DIR   (BENCH_QUICK=1: one run of 5 MiB)
BIN=$1
DIR=$2
case $BIN in /*) ;; *) BIN="$PWD/$BIN" ;; esac
case $DIR in /*) ;; *) DIR="$PWD/$DIR" ;; esac
MB=25
RUNS=5
[ -n "$BENCH_QUICK" ] && MB=5 RUNS=1
row() { printf '| %-60s | %-22s | %-17s | %-4s |\n' "$1" "$2" "$3" "$4"; }
echo
row "measure" "value" "target" "met"
echo "|--------------------------------------------------------------|------------------------|-------------------|------|"
if ! command -v python3 >/dev/null 2>&1; then
	row "6 live proxy vs direct loopback" "skipped: no python3" "-" "-"
	exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/smtps-bench-proxy.XXXXXX") || exit 1
trap 'kill $SRV $PRX 2>/dev/null; rm -rf "$T"' EXIT INT TERM

# the scenario: implicit TLS, an attacker that relays; its size limit raised for the message
sed -e "s|^port = 465|port = 465\nmax_size = 104857600|" -e "s|certs/|$DIR/certs/|g" "$DIR/implicit-tls.ini" >"$T/base.ini"
printf '\n[mitm]\nbehaviour = relay\n' | cat "$T/base.ini" - >"$T/relay.ini"
python3 - "$T/msg" "$MB" <<'PY'
import sys
n = int(sys.argv[2]) * 1024 * 1024
line = b"the quick brown fox jumps over the lazy dog while the eavesdropper watches\r\n"
body = b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: big\r\n\r\n" + line * (n // len(line))
open(sys.argv[1], "wb").write(body)
PY
cat >"$T/send.py" <<'PY'
import smtplib, ssl, sys, time
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
msg = open(sys.argv[2], "rb").read()
t0 = time.monotonic()
s = smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[1]), context=ctx, timeout=120)
s.login("alice", "wonderland")
s.sendmail("alice@example.test", ["bob@example.test"], msg)
s.quit()
print("%.6f" % (time.monotonic() - t0))
PY
port_of() {
	_i=0
	while [ $_i -lt 100 ]; do
		_p=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$1" 2>/dev/null)
		[ -n "$_p" ] && { echo "$_p"; return; }
		sleep 0.1
		_i=$((_i + 1))
	done
}
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
# Two servers, one per way, so that neither waits while the other writes out a session.
timeout 600 "$BIN" serve "$T/base.ini" --listen 127.0.0.1:0 --count $RUNS --idle 60 --format text \
	>/dev/null 2>"$T/srv.err" &
SRV=$!
SP=$(port_of "$T/srv.err")
timeout 600 "$BIN" serve "$T/base.ini" --listen 127.0.0.1:0 --count $RUNS --idle 60 --format text \
	>/dev/null 2>"$T/srv2.err" &
SRV="$SRV $!"
SP2=$(port_of "$T/srv2.err")
timeout 600 "$BIN" proxy "$T/relay.ini" --listen 127.0.0.1:0 --upstream "127.0.0.1:$SP2" --count $RUNS --idle 60 \
	--format text >/dev/null 2>"$T/prx.err" &
PRX=$!
PP=$(port_of "$T/prx.err")
if [ -z "$SP" ] || [ -z "$SP2" ] || [ -z "$PP" ]; then
	row "6 live proxy vs direct loopback" "did not start" "-" "no"
	exit 0
fi
: >"$T/direct"
: >"$T/proxied"
i=0
while [ $i -lt $RUNS ]; do # interleaved, so that both see the same machine
	python3 "$T/send.py" "$SP" "$T/msg" >>"$T/direct" 2>>"$T/err" || break
	python3 "$T/send.py" "$PP" "$T/msg" >>"$T/proxied" 2>>"$T/err" || break
	i=$((i + 1))
done
if [ $i -lt $RUNS ]; then
	row "6 live proxy vs direct loopback" "failed: $(tail -1 "$T/err" | cut -c1-20)" "-" "no"
	exit 0
fi
d=$(median <"$T/direct")
p=$(median <"$T/proxied")
mbs() { awk -v s="$1" -v mb="$MB" 'BEGIN { printf "%.1f MB/s (%.0f ms)", mb * 1.048576 / s, s * 1000 }'; }
row "6 $MB MiB over real sockets, smtplib -> serve (direct)" "$(mbs "$d")" "floor" "-"
row "  the same through proxy (relay, both links traced)" "$(mbs "$p")" "-" "-"
# the ratio: the median of each interleaved pair's own, as row 3 takes it
r=$(paste "$T/direct" "$T/proxied" | awk '{ print $1 / $2 }' | median | awk '{ printf "%.2f", $1 }')
met=$(awk -v r="$r" 'BEGIN { print (r >= 0.8) ? "yes" : "no" }')
row "  proxy ratio direct / proxied (median of pairs)" "$r" ">= 0.80" "$met"
