#!/bin/sh
# Generates the demo PKI under scenarios/certs (run once; the outputs are committed).
# Every key here is a DEMO key, published on purpose so that lessons can decrypt captures:
# never use any of it for anything real.
#
# All certificates are issued with `openssl ca` so that every validity period is an
# explicit date (OpenSSL 3.0's `req -x509` and `x509 -req` can only start "now"):
#   demo root CA           2010-01-01 .. 2109-12-31   (covers every leaf below)
#   valid leaves, attacker 2025-01-01 .. 2124-12-31
#   expired.pem            2015-01-01 .. 2016-01-01
# Keys are PKCS#8 ("PRIVATE KEY"), which br_skey_decoder reads for both RSA and EC.
# Output is not byte-reproducible (fresh keys and ECDSA nonces) but its shape is fixed.
#
#   inspection CA          2010-01-01 .. 2109-12-31   (a TLS-inspection appliance's root)
#   inspection-leaf        2025-01-01 .. 2124-12-31   (mail.example.test, issued by it)
#
# usage: sh scripts/make-demo-pki.sh [OUTDIR]     (default: scenarios/certs)
#        ONLY=inspection sh scripts/make-demo-pki.sh [OUTDIR]
#             adds only the inspection CA, its leaf and the trust file that includes it,
#             leaving every other file (and so every recorded lesson) as it is.
#        ONLY=mx sh scripts/make-demo-pki.sh [OUTDIR]
#             adds only the recipient's MX certificate (mx-ecdsa, mx.example.net, issued by
#             the demo root) for the lessons with a second hop, and a second certificate for
#             the same name with another key, also issued by the demo root (mx-misissued:
#             what an attacker holds when a public CA was fooled or compromised, the case
#             DANE guards against); nothing else changes.
#        ONLY=dkim sh scripts/make-demo-pki.sh [OUTDIR]
#             adds only the DKIM signing key (dkim-demo.key, RSA 2048) and its public
#             half as a DKIM key record's p= value (dkim-demo.p), to paste into a
#             scenario's [dns] section; nothing else changes.
set -eu

OUT=${1:-scenarios/certs}
ONLY=${ONLY:-}
mkdir -p "$OUT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ORG="smtps-sim DEMO"
HOST=mail.example.test
OTHER=other.example.test
VALID_FROM=20250101000000Z
VALID_TO=21241231235959Z
# The config reads $SAN and $KU; each signing sets its own. An EC key only signs
# (ECDHE_ECDSA); an RSA key also decrypts the premaster secret (static RSA key exchange).
export SAN=unused KU=digitalSignature

ec_key()  { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-pkeyopt ec_param_enc:named_curve -out "$1" 2>/dev/null; }
rsa_key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }

# One throwaway CA database per issuer (the demo CA, and each self-signer).
ca_db() {  # ca_db NAME FIRST_SERIAL
	d="$TMP/$1"
	mkdir -p "$d/new"
	: > "$d/index.txt"
	echo "$2" > "$d/serial"
	cat > "$d/ca.cnf" <<EOF
[ ca ]
default_ca = demo
[ demo ]
dir            = $d
database       = $d/index.txt
new_certs_dir  = $d/new
serial         = $d/serial
default_md     = sha256
policy         = anything
unique_subject = no
preserve       = yes
email_in_dn    = no
[ anything ]
organizationName = optional
commonName       = supplied
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
[ v3_server ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, \${ENV::KU}
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
subjectAltName         = DNS:\${ENV::SAN}
[ v3_selfsigned ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, \${ENV::KU}
extendedKeyUsage       = serverAuth
subjectKeyIdentifier   = hash
subjectAltName         = DNS:\${ENV::SAN}
EOF
}

csr() {  # csr KEY SUBJECT OUT
	openssl req -new -config "$TMP/ca/ca.cnf" -key "$1" -subj "$2" -out "$3"
}

# sign DB CSR OUT EXT FROM TO SAN [selfsign KEY]
sign() {
	db=$1 in=$2 out=$3 ext=$4 from=$5 to=$6
	case $in in *rsa*) KU="digitalSignature, keyEncipherment" ;; *) KU=digitalSignature ;; esac
	export KU
	if [ "${8:-}" ]; then
		SAN=$7 openssl ca -batch -notext -config "$TMP/$db/ca.cnf" -selfsign -keyfile "$8" \
			-in "$in" -out "$out" -extensions "$ext" -startdate "$from" -enddate "$to" 2>/dev/null
	else
		SAN=$7 openssl ca -batch -notext -config "$TMP/$db/ca.cnf" -cert "$OUT/${ISSUER:-demo-ca}.pem" \
			-keyfile "$OUT/${ISSUER:-demo-ca}.key" -in "$in" -out "$out" -extensions "$ext" \
			-startdate "$from" -enddate "$to" 2>/dev/null
	fi
}

ca_db ca 1000
ca_db attacker 2000
ca_db attacker-rsa 3000
ca_db inspection 4000
ca_db mx 5000
MX=mx.example.net

# A TLS-inspection appliance's root CA and the certificate it mints for the mail server's
# name; a client whose trust store holds this root (trust-with-inspection-ca.pem: the demo
# root and this one, as a company laptop might have) accepts the interception.
inspection() {
	ec_key "$OUT/inspection-ca.key"
	csr "$OUT/inspection-ca.key" "/O=$ORG inspection appliance/CN=smtps-sim DEMO Inspection CA" "$TMP/insp-ca.csr"
	sign inspection "$TMP/insp-ca.csr" "$OUT/inspection-ca.pem" v3_ca 20100101000000Z 21091231235959Z - \
		"$OUT/inspection-ca.key"
	ec_key "$OUT/inspection-leaf.key"
	csr "$OUT/inspection-leaf.key" "/O=$ORG inspection appliance/CN=$HOST" "$TMP/insp-leaf.csr"
	ISSUER=inspection-ca sign inspection "$TMP/insp-leaf.csr" "$OUT/inspection-leaf.pem" v3_server \
		"$VALID_FROM" "$VALID_TO" "$HOST"
	cat "$OUT/demo-ca.pem" "$OUT/inspection-ca.pem" > "$OUT/trust-with-inspection-ca.pem"
}
stamp() {
	for f in "$@"; do
		{ echo "# DEMO key for smtps-sim lessons only; never use it for anything real"
		  grep -v '^# DEMO' "$f"; } > "$TMP/stamp" && cat "$TMP/stamp" > "$f"
		chmod 644 "$f"
	done
}
# The sending domain's DKIM key (RFC 6376 section 3.6.1): RSA 2048, and the p= value of
# its key record, base64 of the DER public key, as one line.
dkim() {
	rsa_key "$OUT/dkim-demo.key"
	openssl pkey -in "$OUT/dkim-demo.key" -pubout -outform DER 2>/dev/null | openssl base64 -A \
		> "$OUT/dkim-demo.p"
	echo >> "$OUT/dkim-demo.p"
}
if [ "$ONLY" = dkim ]; then
	dkim
	stamp "$OUT"/dkim-demo.key
	echo "DKIM key written to $OUT"
	exit 0
fi
# The recipient's MX (hop 2), issued by the demo root from serials of its own, so that
# adding it later leaves every other certificate as it is.
mx() {
	ec_key "$OUT/mx-ecdsa.key"
	csr "$OUT/mx-ecdsa.key" "/O=$ORG/CN=$MX" "$TMP/mx.csr"
	sign mx "$TMP/mx.csr" "$OUT/mx-ecdsa.pem" v3_server "$VALID_FROM" "$VALID_TO" "$MX"
	ec_key "$OUT/mx-misissued.key"
	csr "$OUT/mx-misissued.key" "/O=$ORG/CN=$MX" "$TMP/mx-mis.csr"
	sign mx "$TMP/mx-mis.csr" "$OUT/mx-misissued.pem" v3_server "$VALID_FROM" "$VALID_TO" "$MX"
}
if [ "$ONLY" = mx ]; then
	mx
	stamp "$OUT"/mx-ecdsa.pem "$OUT"/mx-ecdsa.key "$OUT"/mx-misissued.pem "$OUT"/mx-misissued.key
	echo "MX certificates written to $OUT"
	exit 0
fi
if [ "$ONLY" = inspection ]; then
	inspection
	stamp "$OUT"/inspection-ca.pem "$OUT"/inspection-ca.key "$OUT"/inspection-leaf.pem \
		"$OUT"/inspection-leaf.key "$OUT"/trust-with-inspection-ca.pem
	echo "inspection CA written to $OUT"
	exit 0
fi

# The demo root CA (self-signed).
ec_key "$OUT/demo-ca.key"
csr "$OUT/demo-ca.key" "/O=$ORG/CN=smtps-sim DEMO Root CA" "$TMP/ca.csr"
sign ca "$TMP/ca.csr" "$OUT/demo-ca.pem" v3_ca 20100101000000Z 21091231235959Z - "$OUT/demo-ca.key"

# leaf NAME KEYKIND CN SAN FROM TO
leaf() {
	"$2_key" "$OUT/$1.key"
	csr "$OUT/$1.key" "/O=$ORG/CN=$3" "$TMP/$1.csr"
	sign ca "$TMP/$1.csr" "$OUT/$1.pem" v3_server "$5" "$6" "$4"
}
leaf server-ecdsa ec  "$HOST"  "$HOST"  "$VALID_FROM" "$VALID_TO"
leaf server-rsa   rsa "$HOST"  "$HOST"  "$VALID_FROM" "$VALID_TO"
leaf other-host   ec  "$OTHER" "$OTHER" "$VALID_FROM" "$VALID_TO"
leaf expired      ec  "$HOST"  "$HOST"  20150101000000Z 20160101000000Z

# The attacker's self-signed look-alikes: same host name, no demo-CA signature.
selfsigned() {  # selfsigned NAME KEYKIND DB
	"$2_key" "$OUT/$1.key"
	csr "$OUT/$1.key" "/O=$ORG attacker/CN=$HOST" "$TMP/$1.csr"
	sign "$3" "$TMP/$1.csr" "$OUT/$1.pem" v3_selfsigned "$VALID_FROM" "$VALID_TO" "$HOST" "$OUT/$1.key"
}
selfsigned attacker-selfsigned     ec  attacker
selfsigned attacker-selfsigned-rsa rsa attacker-rsa
inspection
mx
dkim

# A comment line on top of every file: OpenSSL and BearSSL's PEM decoder both skip text
# outside -----BEGIN/-----END blocks.
stamp "$OUT"/*.pem "$OUT"/*.key
echo "demo PKI written to $OUT"
