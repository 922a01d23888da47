#!/bin/sh
# live_interop: real mail clients against `smtps-sim serve` on loopback: swaks, msmtp, curl,
# openssl s_client and Python's smtplib, in cleartext, with STARTTLS and with implicit TLS.
# Each session must complete (the client exits 0), and its saved trace must show it: the
# client's EHLO, the message, TLS when asked for. Then the NO STARTTLS client test by hand:
# strip-opportunistic with swaks --tls-optional leaks the password; with --tls it does not.
# Bounded: every server and client runs under a timeout; nothing leaves 127.0.0.1.
# Run from the top of the tree:  SMTPS_SCENARIOS=scenarios SMTPS_BIN=./smtps-sim sh tests/live_interop.sh
BIN=${SMTPS_BIN:-./smtps-sim}
SCEN=${SMTPS_SCENARIOS:-scenarios}

pass=0
fail=0
skip=0
T=$(mktemp -d "${TMPDIR:-/tmp}/live_test.XXXXXX") || exit 2
SERVER=
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$T"' EXIT INT TERM

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
. "$(dirname "$0")/live_lib.inc"
have() { command -v "$1" >/dev/null 2>&1; }

printf 'From: alice@example.test\r\nTo: bob@example.test\r\nSubject: live test\r\n\r\nHello over a real socket.\r\n' >"$T/msg"

# serve NAME SCENARIO: a server for one session, its trace to $T/NAME.json; sets PORT.
serve() {
	n=$1
	rm -f "$T/$n.json" "$T/$n.err"
	timeout 60 "$BIN" serve "$SCEN/$2" --listen 127.0.0.1:0 --count 1 --idle 10 --format json -o "$T/$n.json" \
		>/dev/null 2>"$T/$n.err" &
	SERVER=$!
	PORT=$(port_of "$T/$n.err" "$LISTENING")
	[ -n "$PORT" ] || bad "$n: the server did not start: $(cat "$T/$n.err")"
}

# served NAME: waits for the server to finish its session and write the trace.
served() {
	wait $SERVER
	src=$?
	SERVER=
	[ $src -eq 0 ] || bad "$1: serve exited $src: $(cat "$T/$1.err")"
}

# trace_has NAME DESCRIPTION PATTERN: the saved trace, shown as run shows it, has PATTERN.
trace_has() {
	if "$BIN" run "$T/$1.json" >"$T/$1.txt" 2>&1 && grep -q -- "$3" "$T/$1.txt"; then ok; else
		bad "$1: $2 (no '$3' in the trace)"
	fi
}

# session NAME SCENARIO TLS COMMAND...: one client session against serve.
session() {
	n=$1
	scen=$2
	tls=$3
	shift 3
	serve "$n" "$scen"
	[ -n "$PORT" ] || return
	cmd=$(echo "$*" | sed "s/@PORT@/$PORT/g")
	if sh -c "$cmd" >"$T/$n.client" 2>&1; then ok; else
		bad "$n: the client failed: $(tail -3 "$T/$n.client")"
		kill $SERVER 2>/dev/null
	fi
	served "$n"
	trace_has "$n" "the client's EHLO" "C -> S .*smtp-command *[Ee][Hh][Ll][Oo] "
	trace_has "$n" "the message" "smtp-data *Message:"
	trace_has "$n" "delivered" "delivered: *yes"
	if [ "$tls" = tls ]; then
		trace_has "$n" "TLS up" "TLS established"
		trace_has "$n" "the message inside TLS" "^ *[0-9]*  C -> S    smtp-data"
	else
		trace_has "$n" "no TLS" "TLS: *none"
	fi
}

PY=python3
T_SWAKS="timeout 20 swaks --server 127.0.0.1 --port @PORT@ --from alice@example.test --to bob@example.test --auth PLAIN --auth-user alice --auth-password wonderland"
if have swaks && perl -MNet::SSLeay -e 1 2>/dev/null; then
	session swaks-plain plain.ini plain "$T_SWAKS"
	session swaks-starttls starttls.ini tls "$T_SWAKS --tls"
	session swaks-implicit implicit-tls.ini tls "$T_SWAKS --tlsc"
else
	skip=$((skip + 1)); echo "skip: swaks (with Net::SSLeay) is not installed"
fi
T_MSMTP="timeout 20 msmtp --host=127.0.0.1 --port=@PORT@ --from=alice@example.test --auth=plain --user=alice --passwordeval='echo wonderland' --tls-certcheck=off"
if have msmtp; then
	session msmtp-plain plain.ini plain "$T_MSMTP --tls=off bob@example.test <'$T/msg'"
	session msmtp-starttls starttls.ini tls "$T_MSMTP --tls=on --tls-starttls=on bob@example.test <'$T/msg'"
	session msmtp-implicit implicit-tls.ini tls "$T_MSMTP --tls=on --tls-starttls=off bob@example.test <'$T/msg'"
else
	skip=$((skip + 1)); echo "skip: msmtp is not installed"
fi
T_CURL="timeout 20 curl -sS --mail-from alice@example.test --mail-rcpt bob@example.test --upload-file '$T/msg' --user alice:wonderland -k"
if have curl; then
	session curl-plain plain.ini plain "$T_CURL smtp://127.0.0.1:@PORT@"
	session curl-starttls starttls.ini tls "$T_CURL --ssl-reqd smtp://127.0.0.1:@PORT@"
	session curl-implicit implicit-tls.ini tls "$T_CURL smtps://127.0.0.1:@PORT@"
else
	skip=$((skip + 1)); echo "skip: curl is not installed"
fi
if have openssl; then
	# s_client writes what it reads from standard input; the sleeps let each reply come.
	session openssl-starttls starttls.ini tls "(printf 'EHLO openssl.example\r\n'; sleep 0.5; printf 'AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n'; sleep 0.3; printf 'MAIL FROM:<alice@example.test>\r\n'; sleep 0.3; printf 'RCPT TO:<bob@example.test>\r\n'; sleep 0.3; printf 'DATA\r\n'; sleep 0.3; cat '$T/msg'; printf '.\r\n'; sleep 0.3; printf 'QUIT\r\n'; sleep 0.5) | timeout 20 openssl s_client -quiet -starttls smtp -connect 127.0.0.1:@PORT@ >/dev/null"
fi
# TLS 1.3 (the OpenSSL engine) against real clients: the peer's protected handshake
# messages and SMTP are opened record by record, as the server reads them.
if have openssl; then
	session openssl-tls13 tls13-starttls.ini tls "(printf 'EHLO openssl.example\r\n'; sleep 0.5; printf 'AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n'; sleep 0.3; printf 'MAIL FROM:<alice@example.test>\r\n'; sleep 0.3; printf 'RCPT TO:<bob@example.test>\r\n'; sleep 0.3; printf 'DATA\r\n'; sleep 0.3; cat '$T/msg'; printf '.\r\n'; sleep 0.3; printf 'QUIT\r\n'; sleep 0.5) | timeout 20 openssl s_client -quiet -tls1_3 -starttls smtp -connect 127.0.0.1:@PORT@ >/dev/null"
	trace_has openssl-tls13 "TLS 1.3 agreed" "ServerHello: TLS 1.3"
	trace_has openssl-tls13 "the client's Finished opened" "C -> S    tls-handshake  Finished: verify_data"
fi
if have curl; then
	session curl-tls13 tls13-implicit.ini tls "$T_CURL --tlsv1.3 smtps://127.0.0.1:@PORT@"
	trace_has curl-tls13 "TLS 1.3 agreed" "TLS established: TLS 1.3"
fi
cat >"$T/client.py" <<'PYEOF'
import smtplib, ssl, sys
mode, port = sys.argv[1], int(sys.argv[2])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
msg = open(sys.argv[3], 'rb').read()
if mode == 'implicit':
    s = smtplib.SMTP_SSL('127.0.0.1', port, context=ctx, local_hostname='python.example', timeout=15)
else:
    s = smtplib.SMTP('127.0.0.1', port, local_hostname='python.example', timeout=15)
    if mode == 'starttls':
        s.starttls(context=ctx)
s.login('alice', 'wonderland')
s.sendmail('alice@example.test', ['bob@example.test'], msg)
s.quit()
PYEOF
if have $PY; then
	session python-plain plain.ini plain "timeout 20 $PY '$T/client.py' plain @PORT@ '$T/msg'"
	session python-starttls starttls.ini tls "timeout 20 $PY '$T/client.py' starttls @PORT@ '$T/msg'"
	session python-implicit implicit-tls.ini tls "timeout 20 $PY '$T/client.py' implicit @PORT@ '$T/msg'"
fi

# --- the attacker strips STARTTLS: what does the real client do? ---
if have swaks && perl -MNet::SSLeay -e 1 2>/dev/null; then
	serve strip-optional strip-opportunistic.ini
	sh -c "$(echo "$T_SWAKS --tls-optional" | sed "s/@PORT@/$PORT/g")" >"$T/strip-optional.client" 2>&1
	served strip-optional
	trace_has strip-optional "the attacker removed STARTTLS" "STARTTLS"
	trace_has strip-optional "the password leaks to the attacker" 'attacker learned: credentials (user "alice", password "wonderland")'
	serve strip-required strip-opportunistic.ini
	if sh -c "$(echo "$T_SWAKS --tls" | sed "s/@PORT@/$PORT/g")" >"$T/strip-required.client" 2>&1; then
		bad "strip-required: swaks --tls went on without TLS"
	else ok; fi
	served strip-required
	if "$BIN" run "$T/strip-required.json" >"$T/strip-required.txt" 2>&1 &&
		grep -q 'attacker learned: no credentials, envelope or message' "$T/strip-required.txt" &&
		grep -q 'delivered: *no' "$T/strip-required.txt"; then ok; else
		bad "strip-required: the password or the message went through: $(grep -E 'learned|delivered' "$T/strip-required.txt")"
	fi
fi

# --- connect: our client against a real server; proxy: our attacker between two real ends ---
AIO=/usr/bin/python3
CERTS=$SCEN/certs
# aiosmtpd NAME [cleartext-auth]: a real server for 30 s; sets APORT.
aiosmtpd() {
	rm -f "$T/$1.mail"
	timeout 40 $AIO "$(dirname "$0")/data/aiosmtpd_server.py" "$CERTS/server-ecdsa.pem" "$CERTS/server-ecdsa.key" \
		"$T/$1.mail" 30 $2 >"$T/$1.aio" 2>&1 &
	AIOPID=$!
	APORT=$(port_of "$T/$1.aio" 's/^ready \([0-9][0-9]*\)$/\1/p')
}
if [ -x $AIO ] && $AIO -c 'import aiosmtpd' 2>/dev/null; then
	aiosmtpd connect
	if timeout 30 "$BIN" connect "$SCEN/starttls.ini" --to "127.0.0.1:$APORT" --format json -o "$T/connect.json" \
		2>"$T/connect.err"; then ok; else bad "connect: exit status $? ($(cat "$T/connect.err"))"; fi
	kill $AIOPID 2>/dev/null
	if grep -q 'shall we meet at noon' "$T/connect.mail" 2>/dev/null; then ok; else
		bad "connect: the real server did not receive the message"
	fi
	trace_has connect "the real server's banner" "220 mail.example.test Python SMTP"
	trace_has connect "TLS up, verified by our client" "TLS established"
	trace_has connect "delivered" "delivered: *yes"
	trace_has connect "the real server's 250 after the message" "250 OK delivered"

	# our OpenSSL client (TLS 1.3) against Python's server: its encrypted flight opened
	aiosmtpd connect13
	if timeout 30 "$BIN" connect "$SCEN/tls13-starttls.ini" --to "127.0.0.1:$APORT" --format json -o "$T/connect13.json" \
		2>"$T/connect13.err"; then ok; else bad "connect (TLS 1.3): exit status $? ($(cat "$T/connect13.err"))"; fi
	kill $AIOPID 2>/dev/null
	if grep -q 'shall we meet at noon' "$T/connect13.mail" 2>/dev/null; then ok; else
		bad "connect (TLS 1.3): the real server did not receive the message"
	fi
	trace_has connect13 "TLS 1.3 with the real server" "TLS established: TLS 1.3"
	trace_has connect13 "the real server's certificate, opened" "C <- S    tls-handshake  Certificate: CN=mail.example.test"
	trace_has connect13 "delivered" "delivered: *yes"

	aiosmtpd proxy cleartext-auth
	rm -f "$T/proxy.json"
	timeout 60 "$BIN" proxy "$SCEN/strip-opportunistic.ini" --listen 127.0.0.1:0 --upstream "127.0.0.1:$APORT" \
		--count 1 --idle 10 --format json -o "$T/proxy.json" >/dev/null 2>"$T/proxy.err" &
	SERVER=$!
	PORT=$(port_of "$T/proxy.err" "$LISTENING")
	cat >"$T/opportunistic.py" <<'PYEOF'
import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), local_hostname='python.example', timeout=15)
s.ehlo()
if s.has_extn('starttls'):
    s.starttls()
    s.ehlo()
s.login('alice', 'wonderland')
s.sendmail('alice@example.test', ['bob@example.test'], open(sys.argv[2], 'rb').read())
s.quit()
PYEOF
	if timeout 20 $PY "$T/opportunistic.py" "$PORT" "$T/msg" >"$T/proxy.client" 2>&1; then ok; else
		bad "proxy: the client failed: $(tail -2 "$T/proxy.client")"
	fi
	served proxy
	kill $AIOPID 2>/dev/null
	if grep -q 'Hello over a real socket' "$T/proxy.mail" 2>/dev/null; then ok; else
		bad "proxy: the real server did not receive the message"
	fi
	trace_has proxy "the attacker deleted STARTTLS" "250-STARTTLS"
	trace_has proxy "the attacker read the password" 'attacker learned: credentials (user "alice", password "wonderland")'
else
	skip=$((skip + 1)); echo "skip: Python's aiosmtpd (python3-aiosmtpd) is not installed"
fi

# --- bench-client: the client test, on swaks and on a Python script ---
if have swaks && perl -MNet::SSLeay -e 1 2>/dev/null; then
	SW="swaks --server {host} --port {port} --from alice@example.test --to bob@example.test --auth PLAIN --auth-user alice --auth-password wonderland"
	timeout 200 "$BIN" bench-client --listen 127.0.0.1:0 --seconds 10 --format json -- $SW --tls-optional \
		>"$T/bench-optional.json" 2>"$T/bench-optional.err"
	timeout 200 "$BIN" bench-client --listen 127.0.0.1:0 --seconds 10 -- $SW --tls \
		>"$T/bench-required.txt" 2>"$T/bench-required.err"
	if grep -q '"scenario": "strip-opportunistic".*"sent_password": true.*"fell_for_it": true' "$T/bench-optional.json"; then ok; else
		bad "bench-client: swaks --tls-optional should fall for stripping: $(grep strip-opportunistic "$T/bench-optional.json")"
	fi
	if grep -q '^STARTTLS stripped from EHLO .* safe$' "$T/bench-required.txt"; then ok; else
		bad "bench-client: swaks --tls should be safe against stripping: $(cat "$T/bench-required.txt" "$T/bench-required.err")"
	fi
	# swaks does not check certificates unless asked: it takes the attacker's
	if grep -q '^attacker.s certificate .* FELL FOR IT$' "$T/bench-required.txt"; then ok; else
		bad "bench-client: swaks without --tls-verify should accept the attacker's certificate"
	fi
	[ "$(grep -c '"ran": true' "$T/bench-optional.json")" -eq 9 ] && ok || bad "bench-client: not every case ran"
fi
cat >"$T/careful.py" <<'PYEOF'
import smtplib, ssl, sys
# a careful client: TLS required, the demo CA trusted, the name mail.example.test checked
class SMTPName(smtplib.SMTP):
    def starttls(self, context):
        self._host = 'mail.example.test'
        return super().starttls(context=context)
ctx = ssl.create_default_context(cafile=sys.argv[3])
s = SMTPName(sys.argv[1], int(sys.argv[2]), local_hostname='careful.example', timeout=8)
s.starttls(context=ctx)
s.login('alice', 'wonderland')
s.sendmail('alice@example.test', ['bob@example.test'], b'Subject: careful\r\n\r\nhi\r\n')
s.quit()
PYEOF
if have $PY; then
	timeout 200 "$BIN" bench-client --listen 127.0.0.1:0 --seconds 10 --format markdown -- \
		$PY "$T/careful.py" {host} {port} "$SCEN/certs/demo-ca.pem" >"$T/bench-python.md" 2>"$T/bench-python.err"
	if [ "$(grep -c '| safe |$' "$T/bench-python.md")" -eq 9 ]; then ok; else
		bad "bench-client: the careful Python client should be safe in every case: $(cat "$T/bench-python.md")"
	fi
fi

echo "live: $pass passed, $fail failed${skip:+, $skip skipped}"
[ $fail -eq 0 ]
