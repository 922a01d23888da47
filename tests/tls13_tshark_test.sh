#!/bin/sh
# tls13_tshark_test: TLS 1.3 as the outside world reads it. For every scenario of the
# catalogue that runs TLS 1.3, tshark is given the capture and the key log we export;
# it must decrypt the handshake and the SMTP inside, and its dissection must agree with
# the trace: the same handshake messages (type by type, in order, each direction, the
# encrypted ones included), the same SMTP commands. Without the key log it must see
# none of the encrypted handshake messages. The key log must hold TLS 1.3's secrets
# (and no TLS 1.2 CLIENT_RANDOM line), and two runs must export the same bytes.
# Run from the top of the tree:  SMTPS_BIN=./smtps-sim sh tests/tls13_tshark_test.sh
BIN=${SMTPS_BIN:-./smtps-sim}
DIR=${SMTPS_SCENARIOS:-scenarios}
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/smtps-tls13.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT INT TERM
mkdir "$T/home"
HOME=$T/home
export HOME

for tool in tshark python3; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "tls13: $tool is not installed; run 'make deps'" >&2
		echo "tls13: 0 passed, 1 failed"
		exit 1
	fi
done

cat > "$T/agree.py" <<'PY'
import json, sys
# argv: trace.json, tshark fields (srcport TAB dstport TAB handshake types), server port
doc = json.load(open(sys.argv[1]))
port = sys.argv[3]
ours = {"up": [], "down": []}
links = set()
for e in doc["events"]:
    if e["kind"] != "tls-handshake":
        continue
    links.add(e["link"])
    ours["up" if e["to"] in ("server", "MX") and e["from"] != "server" else "down"].append(e["subtype"])
theirs = {"up": [], "down": []}
for line in open(sys.argv[2]):
    f = line.rstrip("\n").split("\t")
    if len(f) < 3 or not f[2]:
        continue
    way = "down" if f[0] == port else "up"
    theirs[way] += [int(x) for x in f[2].split(",") if x]
if len(links) != 1:
    print("skip: more than one link carries TLS")
    sys.exit(0)
bad = 0
for way in ("up", "down"):
    if ours[way] != theirs[way]:
        print("%s: trace %s, tshark %s" % (way, ours[way], theirs[way]))
        bad = 1
sys.exit(bad)
PY

# The math view's TLS 1.3 numbers, recomputed with Python's hmac from the key log alone:
# each traffic secret's key and IV (HKDF-Expand-Label, RFC 8446 7.1 and 7.3), the Early
# Secret, and every record's nonce (the IV xor its sequence number, 5.3).
cat > "$T/hkdf.py" <<'PY'
import hashlib, hmac, json, sys
doc = json.load(open(sys.argv[1]))
keys = {}
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) == 3:
        keys[(f[0], f[1])] = bytes.fromhex(f[2])
names = {"client_handshake_traffic_secret": "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
         "server_handshake_traffic_secret": "SERVER_HANDSHAKE_TRAFFIC_SECRET",
         "client_application_traffic_secret_0": "CLIENT_TRAFFIC_SECRET_0",
         "server_application_traffic_secret_0": "SERVER_TRAFFIC_SECRET_0"}
def expand_label(h, secret, label, n):
    info = n.to_bytes(2, "big") + bytes([6 + len(label)]) + b"tls13 " + label.encode() + b"\x00"
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(secret, t + info + bytes([i]), h).digest()
        out += t
        i += 1
    return out[:n]
bad = checked = 0
for s in doc["tls_sessions"]:
    ks = s.get("key_schedule")
    if s["version"] != "TLS 1.3" or not ks:
        continue
    h = hashlib.sha384 if ks["hash"] == "SHA-384" else hashlib.sha256
    hl = h().digest_size
    if hmac.new(bytes(hl), bytes(hl), h).hexdigest() != ks["early_secret"]:
        print("early secret differs"); bad += 1
    klen = 32 if s["suite"] != "TLS_AES_128_GCM_SHA256" else 16
    for name, label in names.items():
        if name not in ks:
            continue
        sec = keys.get((label, s["client_random"]))
        if sec is None or sec.hex() != ks[name]["secret"]:
            print("%s: not the key log's" % name); bad += 1; continue
        if expand_label(h, sec, "key", klen).hex() != ks[name]["key"] or expand_label(h, sec, "iv", 12).hex() != ks[name]["iv"]:
            print("%s: key or iv differ from HKDF-Expand-Label" % name); bad += 1
        checked += 1
for e in doc["events"]:
    m = e.get("record_math")
    if not m or "nonce" not in m or "iv" not in m:
        continue
    iv = int(m["iv"], 16)
    if "%024x" % (iv ^ m["seq_num"]) != m["nonce"]:
        print("event %d: nonce is not iv xor seq" % e["seq"]); bad += 1
    checked += 1
if not checked:
    print("nothing to check"); bad += 1
sys.exit(1 if bad else 0)
PY

found=0
for ini in "$DIR"/*.ini; do
	grep -q '^tls_max = 1.3' "$ini" || continue
	found=$((found + 1))
	name=$(basename "$ini" .ini)
	out=$T/$name
	"$BIN" run "$ini" --pcap "$out.pcap" --keylog "$out.keys" --format json -o "$out.json" >/dev/null 2>"$out.err"
	rc=$?
	if [ $rc -gt 1 ] || [ ! -s "$out.pcap" ] || [ ! -s "$out.json" ]; then
		bad "$name: export failed (exit $rc): $(cat "$out.err")"
		continue
	fi
	"$BIN" run "$ini" --pcap "$out.2.pcap" --keylog "$out.2.keys" >/dev/null 2>&1
	if cmp -s "$out.pcap" "$out.2.pcap" && cmp -s "$out.keys" "$out.2.keys"; then ok; else
		bad "$name: two runs export different bytes"; fi
	# A session that got as far as its handshake keys is in the key log, with 1.3's labels.
	if grep -q '"version": "TLS 1.3"' "$out.json"; then
		if grep -q '^SERVER_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]\{64\} [0-9a-f]\{64,96\}$' "$out.keys" &&
		   grep -q '^CLIENT_TRAFFIC_SECRET_0 ' "$out.keys" && ! grep -q '^CLIENT_RANDOM ' "$out.keys"; then
			ok
		else
			bad "$name: the key log lacks TLS 1.3 secrets: $(cut -c1-40 "$out.keys" | tr '\n' '|')"
		fi
	fi
	if grep -q '"version": "TLS 1.3"' "$out.json"; then
		if msg=$(python3 "$T/hkdf.py" "$out.json" "$out.keys"); then ok; else
			bad "$name: the TLS 1.3 key schedule does not recompute: $msg"; fi
	fi
	port=$(grep -m1 '"port":' "$out.json" | tr -dc 0-9)
	tshark -r "$out.pcap" -o "tls.keylog_file:$out.keys" -2 -T fields -e tcp.srcport -e tcp.dstport \
		-e tls.handshake.type > "$out.hs" 2>/dev/null
	if msg=$(python3 "$T/agree.py" "$out.json" "$out.hs" "$port"); then ok; else
		bad "$name: tshark and the trace disagree on the handshake messages: $msg"; fi
	# Without the key log: nothing past the ServerHello (EncryptedExtensions is 8).
	if tshark -r "$out.pcap" -2 -T fields -e tls.handshake.type 2>/dev/null | tr ',' '\n' | grep -qx 8; then
		bad "$name: tshark reads EncryptedExtensions without the key log"
	else
		ok
	fi
	# Nothing malformed, no expert warning, with the keys.
	probs=$(tshark -r "$out.pcap" -o "tls.keylog_file:$out.keys" -o smtp.decryption:TRUE -2 -z expert,warn \
		-Y '_ws.malformed || _ws.expert.severity >= warning' 2>/dev/null | grep -v '^$')
	if [ -n "$probs" ]; then bad "$name: tshark finds problems: $probs"; else ok; fi
done

# The SMTP inside TLS 1.3: tshark reads the same commands as the trace, with the key log only.
cmds() {
	tshark -r "$1" ${2:+-o "tls.keylog_file:$2"} -o smtp.decryption:TRUE -Y smtp.req.command -T fields \
		-e smtp.req.command 2>/dev/null | tr '\n' ' ' | sed 's/ $//'
}
check_cmds() {
	name=$1 want_keys=$2 want_nokeys=$3
	[ -f "$T/$name.pcap" ] || { bad "$name: no capture"; return; }
	got=$(cmds "$T/$name.pcap" "$T/$name.keys")
	if [ "$got" = "$want_keys" ]; then ok; else bad "$name: with the key log tshark lists '$got', want '$want_keys'"; fi
	got=$(cmds "$T/$name.pcap" "")
	if [ "$got" = "$want_nokeys" ]; then ok; else bad "$name: without the key log tshark lists '$got', want '$want_nokeys'"; fi
}
# What TLS 1.3 hides: the same mail over TLS 1.2 shows the observer the server's
# certificate (in cleartext), over TLS 1.3 it does not; the SNI stays visible in both.
learned() { # learned NAME ITEM: the wire observer's value of a ledger item, or nothing
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = [e["value"] for e in d["ledger"] if e["reader"] == "observer of every link" and e["item"] == sys.argv[2]]
print(v[0] if v else "")' "$T/$1.json" "$2"
}
"$BIN" run "$DIR/tls12-vs-tls13.ini" --format json -o "$T/tls12-vs-tls13.json" >/dev/null 2>&1
c12=$(learned tls12-vs-tls13 certificate_subject)
c13=$(learned tls13-starttls certificate_subject)
case $c12 in *mail.example.test*) ok ;; *) bad "over TLS 1.2 the observer should learn the certificate, got '$c12'" ;; esac
if [ -z "$c13" ]; then ok; else bad "over TLS 1.3 the observer learned the certificate '$c13'"; fi
if [ "$(learned tls13-starttls sni)" = mail.example.test ]; then ok; else bad "over TLS 1.3 the SNI should stay visible"; fi
if [ "$(learned tls13-starttls tls_version)" = "TLS 1.3" ]; then ok; else
	bad "the observer should read TLS 1.3 from supported_versions, got '$(learned tls13-starttls tls_version)'"; fi

check_cmds tls13-starttls "EHLO STAR EHLO AUTH MAIL RCPT DATA QUIT" "EHLO STAR"
check_cmds tls13-implicit "EHLO AUTH MAIL RCPT DATA QUIT" ""
[ "$found" -ge 2 ] && ok || bad "no TLS 1.3 scenario found in $DIR"

echo "tls13: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
