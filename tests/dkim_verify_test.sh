#!/bin/sh
# dkim_verify_test: an independent check of the DKIM signatures the simulator makes. The
# message the MX stored (the JSON export's `stored` event) is verified with Python's dkim
# module (python3-dkim), its key lookup served from the scenario's own [dns] zone as the
# JSON export gives it: dmarc-pass must verify, spf-pass-dkim-fail-forwarded (body altered after
# signing) must not, and neither must dmarc-pass with one body byte changed here.
# Run from the top of the tree:  sh tests/dkim_verify_test.sh
BIN=${SMTPS_BIN:-./smtps-sim}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
# Debian's python3-dkim lives beside /usr/bin/python3, which a python3 earlier on PATH
# (a virtualenv, pyenv) may not see.
PY=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import dkim' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
	echo "FAIL: no python3 with the dkim module (python3-dkim: sh scripts/deps.sh)"
	exit 1
fi
cat > "$T/verify.py" <<'PY'
import json, sys
import dkim

doc = json.load(open(sys.argv[1]))
mode = sys.argv[2]            # "as-stored" or "tamper"
zone = {}
for rr in doc["scenario"].get("dns", []):
    if rr["type"] == "TXT":
        zone.setdefault(rr["name"] + ".", []).append(rr["data"])
stored = [e for e in doc["events"] if e["kind"] == "mail-auth" and e["auth_step"] == "stored"]
if len(stored) != 1 or "plain" not in stored[0]:
    print("no stored message in the export")
    sys.exit(2)
msg = stored[0]["plain"].encode()
if b"\r\nDKIM-Signature: " not in msg:
    print("the stored message carries no DKIM-Signature")
    sys.exit(2)
if mode == "tamper":
    i = msg.rindex(b"ten")    # "Thursday at ten": a change in the signed body
    msg = msg[:i] + b"Ten" + msg[i + 3:]

def dnsfunc(name, timeout=5):
    name = name.decode() if isinstance(name, bytes) else name
    recs = zone.get(name.lower())
    return recs[0].encode() if recs else None

ok = dkim.verify(msg, dnsfunc=dnsfunc)
print("verified" if ok else "not verified")
sys.exit(0 if ok else 1)
PY
check() { # check WHAT WANT-EXIT COMMAND...
	what=$1 want=$2
	shift 2
	"$@" > "$T/out" 2>&1
	got=$?
	if [ "$got" -eq "$want" ]; then
		pass=$((pass + 1))
	else
		echo "FAIL: $what (exit $got, expected $want): $(cat "$T/out")"
		fail=$((fail + 1))
	fi
}
"$BIN" run scenarios/dmarc-pass.ini --format json -o "$T/pass.json" > /dev/null 2>&1
"$BIN" run scenarios/spf-pass-dkim-fail-forwarded.ini --format json -o "$T/broken.json" > /dev/null 2>&1
check "dmarc-pass: python's dkim verifies the stored message" 0 "$PY" "$T/verify.py" "$T/pass.json" as-stored
check "dmarc-pass with a body byte changed: python's dkim refuses it" 1 \
	"$PY" "$T/verify.py" "$T/pass.json" tamper
check "spf-pass-dkim-fail-forwarded: python's dkim refuses the altered body" 1 \
	"$PY" "$T/verify.py" "$T/broken.json" as-stored
echo "dkim verify: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
