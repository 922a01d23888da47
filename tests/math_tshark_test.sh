#!/bin/sh
# math_tshark_test: the math view's numbers (the JSON export's key_schedule and
# record_math) checked with tools that share no code with the simulator. For each
# scenario: the randoms come from tshark's dissection of the capture and the master
# secret from the key log; Python's hashlib/hmac recompute the TLS PRF (TLS 1.2
# P_SHA256/P_SHA384, TLS 1.0 P_MD5 xor P_SHA1) and the key block, whose parts must equal
# the JSON's; a static-RSA premaster must give the key log's master secret; and the
# plaintext of every application-data record, as the JSON gives it, must be what tshark
# decrypts with the key log, record by record and direction by direction.
# Run from the top of the tree:  SMTPS_BIN=./smtps-sim sh tests/math_tshark_test.sh
BIN=${SMTPS_BIN:-./smtps-sim}
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/smtps-math.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT INT TERM
mkdir "$T/home"
HOME=$T/home
export HOME

for tool in tshark python3; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "math: $tool is not installed; run 'make deps'" >&2
		echo "math: 0 passed, 1 failed"
		exit 1
	fi
done

cat > "$T/check.py" <<'PY'
import hashlib, hmac, json, sys

jpath, keys, hellos, follow = sys.argv[1:5]
doc = json.load(open(jpath))

def p_hash(h, secret, seed, n):
    out, a = b"", seed
    while len(out) < n:
        a = hmac.new(secret, a, h).digest()
        out += hmac.new(secret, a + seed, h).digest()
    return out[:n]

def prf(version, sha384, secret, label, seed, n):
    seed = label.encode() + seed
    if version != "TLS 1.2":
        half = (len(secret) + 1) // 2
        a = p_hash(hashlib.md5, secret[:half], seed, n)
        b = p_hash(hashlib.sha1, secret[len(secret) - half:], seed, n)
        return bytes(x ^ y for x, y in zip(a, b))
    return p_hash(hashlib.sha384 if sha384 else hashlib.sha256, secret, seed, n)

masters = {}
for line in open(keys):
    f = line.split()
    if len(f) == 3 and f[0] == "CLIENT_RANDOM":
        masters[f[1]] = bytes.fromhex(f[2])

# tshark: "types<TAB>random" per frame holding a hello (types: "2,11,12,14")
rnd = {}
for line in open(hellos):
    f = line.split()
    if len(f) == 2:
        types = f[0].split(",")
        for t in ("1", "2"):
            if t in types:
                rnd.setdefault(t, f[1].split(",")[0])
cr, sr = bytes.fromhex(rnd["1"]), bytes.fromhex(rnd["2"])

errors = []
def check(cond, what):
    if not cond:
        errors.append(what)

s = doc["tls_sessions"][0]
ks = s["key_schedule"]
check(ks is not None, "the session has a key schedule")
ms = masters.get(cr.hex())
check(ms is not None, "the key log holds the capture's client random")
check(s["client_random"] == cr.hex(), "client_random is the ClientHello's (tshark)")
check(s["server_random"] == sr.hex(), "server_random is the ServerHello's (tshark)")
check(ks["master_secret_seed"] == (cr + sr).hex(), "master_secret_seed = client_random || server_random")
check(ks["key_expansion_seed"] == (sr + cr).hex(), "key_expansion_seed = server_random || client_random")
sha384 = "SHA384" in str(s["suite"])
suite = str(s["suite"])
if s["premaster"]:
    pm = bytes.fromhex(s["premaster"])
    check(prf(s["version"], sha384, pm, "master secret", cr + sr, 48) == ms,
          "PRF(premaster, \"master secret\", randoms) is the key log's master secret")
# the key block's layout from the suite's name (RFC 5246 section 6.3)
aead = "GCM" in suite or "CCM" in suite or "CHACHA20" in suite
mac = 0 if aead else 48 if suite.endswith("SHA384") else 32 if suite.endswith("SHA256") else 20
key = 32 if ("AES_256" in suite or "CHACHA20" in suite) else 16
iv = 12 if "CHACHA20" in suite else 4 if aead else (16 if s["version"] == "TLS 1.0" else 0)
kb = prf(s["version"], sha384, ms, "key expansion", sr + cr, 2 * (mac + key + iv))
check(ks["key_block"] == kb.hex(), "the key block is PRF(master, \"key expansion\", server || client random)")
off = 0
for name, n in (("client_write_MAC_key", mac), ("server_write_MAC_key", mac), ("client_write_key", key),
                ("server_write_key", key), ("client_write_IV", iv), ("server_write_IV", iv)):
    if n:
        check(ks.get(name) == kb[off:off + n].hex(), name + " is its slice of the key block")
    else:
        check(name not in ks, name + " is absent for this suite")
    off += n

# tshark's decrypted application data, one chunk per record, per direction
tsh = {True: [], False: []}
for line in open(follow):
    if not line.strip() or line.startswith("=") or ":" in line:
        continue
    up = not line.startswith("\t")
    tsh[up].append(line.strip())
mine = {True: [], False: []}
for e in doc["events"]:
    m = e.get("record_math")
    if m and e["subtype"] == 23:
        check("error" not in m, "record %d opens" % e["seq"])
        if "error" in m:
            continue
        mine[m["direction"] == "client-to-server"].append(m["plaintext_hex"])
        if m["cipher"] in ("gcm", "ccm"):
            wire = e["wire_hex"]
            check(m["nonce"] == m["salt"] + wire[10:26], "nonce = salt || the record's explicit nonce")
            check(m["tag"] == wire[-32:], "tag = the record's last 16 bytes")
        if "aad" in m:
            a = bytes.fromhex(m["aad"])
            check(int.from_bytes(a[:8], "big") == m["seq_num"] and a[8] == 23 and
                  a[9:11].hex() == e["wire_hex"][2:6] and int.from_bytes(a[11:], "big") == m["plaintext_len"],
                  "aad = seq || type || version || plaintext length")
for up in (True, False):
    d = "client-to-server" if up else "server-to-client"
    check(len(mine[up]) > 0, d + ": records to compare")
    if "".join(mine[up]) != "".join(tsh[up]):
        errors.append(d + ": the JSON's plaintext differs from what tshark decrypts")
    elif mine[up] != tsh[up]:
        errors.append(d + ": same bytes, but not record by record (%d vs %d)" % (len(mine[up]), len(tsh[up])))
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
PY

for ini in scenarios/starttls.ini scenarios/forward-secrecy-rsa.ini tests/data/sessions/tls10-cbc-starttls.ini \
	tests/data/sessions/tls12-rsa-cbc-starttls.ini tests/data/sessions/tls12-chacha-starttls.ini; do
	name=$(basename "$ini" .ini)
	out=$T/$name
	if ! "$BIN" run "$ini" --pcap "$out.pcap" --keylog "$out.keys" --format json -o "$out.json" >/dev/null 2>"$out.err"; then
		bad "$name: the run failed: $(cat "$out.err")"
		continue
	fi
	tshark -r "$out.pcap" -Y "tls.handshake.type == 1 || tls.handshake.type == 2" \
		-T fields -e tls.handshake.type -e tls.handshake.random > "$out.hellos" 2>/dev/null
	tshark -r "$out.pcap" -o "tls.keylog_file:$out.keys" -q -z follow,tls,raw,0 > "$out.follow" 2>/dev/null
	if python3 "$T/check.py" "$out.json" "$out.keys" "$out.hellos" "$out.follow" > "$out.py" 2>&1; then
		ok
	else
		bad "$name: $(tr '\n' ';' < "$out.py")"
	fi
done
echo "math: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
