#!/bin/sh
# reliability_cases: the reliability review's case tables (issue 14), rerun against the
# build. One check per case, named by the review's id: bad or odd scenario files (S E N P
# C L K X B I Z M V), outputs (O), the command line (A), the interface under hostile
# conditions (T) and memory and time (R). What every case asks: bad input gives exit 2
# and one line `FILE:LINE: problem`; nothing crashes or hangs (every run under timeout);
# outputs never replace a device, a FIFO or a symbolic link; a failed run leaves no
# output and no temporary file. Cases that need what a test cannot have are simulated
# (a private device node for /dev/full; a file size limit for a full disk) or skipped
# with the reason printed. Run from the top of the tree:
#   SMTPS_BIN=./smtps-sim sh tests/reliability_cases.sh
BIN=${SMTPS_BIN:-./smtps-sim}
SCEN=${SMTPS_SCENARIOS:-scenarios}
case $BIN in /*) ;; *) BIN="$PWD/$BIN" ;; esac
case $SCEN in /*) ;; *) SCEN="$PWD/$SCEN" ;; esac
CERTS=$SCEN/certs

T=$(mktemp -d "${TMPDIR:-/tmp}/reliability.XXXXXX") || exit 2
TM="tmux -L smtps-rel-$$ -f /dev/null"
trap '$TM kill-server 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 2' INT TERM
mkdir "$T/sc" "$T/out"
: >"$T/results"

if [ ! -x "$BIN" ]; then
	echo "reliability: $BIN is not an executable (set SMTPS_BIN)"
	echo "reliability: 0 passed, 1 failed"
	exit 1
fi

# verdict ID DESCRIPTION COMMAND...: one case; passes when the command succeeds. The
# result goes to a file, since a case fed by a pipe runs in a subshell.
verdict() {
	_id=$1
	_d=$2
	shift 2
	_t0=$(date +%s%N)
	if "$@"; then
		echo "pass $_id" >>"$T/results"
	else
		echo "fail $_id" >>"$T/results"
		echo "FAIL: $_id: $_d"
		[ -n "$why" ] && echo "    $why"
	fi
	[ -z "$RELIABILITY_TIMES" ] || echo "time $_id $((($(date +%s%N) - _t0) / 1000000)) ms"
	why=
}
skipped() {
	echo "skip $1" >>"$T/results"
	echo "skip: $1: $2"
}
lines() { wc -l <"$1" | tr -d ' '; }
# no_leftovers DIR: no temporary output file in DIR
no_leftovers() { ! ls -a "$1" | grep -q '\.tmp\.'; }

# judge ID FILE WANT: runs `run FILE --format json -o OUT` under a timeout and judges it.
# WANT: ok (exit 0, stderr empty, OUT written), unmet (exit 1), any (0 or 2, no crash),
# err:N (exit 2, one stderr line "smtps-sim: FILE:N: ", nothing on stdout, no OUT and
# no temporary file left: case O30), err:* (any line), err (no line: "FILE: ").
# SUB, when set, must be in stderr (err) or stdout (ok).
judge() {
	_f=$2
	_w=$3
	_o="$T/out/$1"
	rm -f "$_o.json"
	timeout 10 "$BIN" run "$_f" --format json -o "$_o.json" >"$_o.stdout" 2>"$_o.err"
	rc=$?
	_e=$(head -c 300 "$_o.err" | tr '\n' '|')
	why="exit $rc, stderr: $_e"
	[ "$rc" -lt 124 ] || return 1 # hung (124) or killed by a signal
	case $_w in
	ok)
		[ "$rc" -eq 0 ] && [ ! -s "$_o.err" ] && [ -s "$_o.json" ] || return 1
		[ -z "$SUB" ] || LC_ALL=C grep -qF -- "$SUB" "$_o.json" || return 1
		;;
	unmet) [ "$rc" -eq 1 ] || return 1 ;;
	any) [ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || return 1 ;;
	err*)
		[ "$rc" -eq 2 ] && [ "$(lines "$_o.err")" -eq 1 ] && [ ! -s "$_o.stdout" ] || return 1
		[ ! -e "$_o.json" ] && no_leftovers "$T/out" || { why="$why; an output was left"; return 1; }
		case $_w in
		err) LC_ALL=C grep -qF -- "smtps-sim: $_f: " "$_o.err" || return 1 ;;
		'err:*') LC_ALL=C grep -qE -- "^smtps-sim: .*:[0-9]+: " "$_o.err" || return 1 ;;
		*) LC_ALL=C grep -qF -- "smtps-sim: $_f:${_w#err:}: " "$_o.err" || return 1 ;;
		esac
		[ -z "$SUB" ] || LC_ALL=C grep -qF -- "$SUB" "$_o.err" || return 1
		;;
	esac
	return 0
}

# sc ID WANT DESCRIPTION [SUB]: the scenario text on stdin, saved as sc/ID.ini, then judged
sc() {
	cat >"$T/sc/$1.ini"
	SUB=$4
	verdict "$1" "$3" judge "$1" "$T/sc/$1.ini" "$2"
	SUB=
}
H='[scenario]\ntitle = T\n'

# ---------------------------------------------------------------------------------------
# 1. Bad and odd scenario files
# ---------------------------------------------------------------------------------------
: | sc S01 err "empty file"
awk 'BEGIN { srand(1); for (i = 0; i < 4096; i++) printf "%c", 1 + int(rand() * 255) }' | sc S02 'err:*' "binary garbage"
printf "${H}se\000ed = 1\n" | sc S03 err:3 "NUL byte on line 3"
{ printf "$H"; awk 'BEGIN { for (i = 0; i < 100000; i++) printf "; %097d\n", i }'; } | sc S04 ok "10 MB of comments"
{ printf "$H"; awk 'BEGIN { for (i = 0; i < 100000; i++) print "[client]" }'; } | sc S05 ok "100k [client] sections"
{ printf "${H}lesson = "; awk 'BEGIN { for (i = 0; i < 100000; i++) printf "x"; print "" }'; } | sc S06 err:3 "a 100k-character line"
printf '[scenario]\r\ntitle = T\r\n[client]\r\ntls = none\r\n[server]\r\nmode = plain\r\n' | sc S07 ok "CRLF line ends"
printf '\357\273\277[scenario]\ntitle = T\n' | sc S08 ok "UTF-8 BOM"
printf '\357\273\277[bogus]\ntitle = T\n' | sc S09 err:1 "BOM then an unknown section on line 1"
printf '[scenario]\ntitle = caf\351 \377\nlesson = \351t\351\n' | sc S10 ok "Latin-1 in title and lesson (JSON gets U+FFFD)" "$(printf '\357\277\275')"
printf '[scenario]\ntitle = \223quoted\224\n' | sc S11 ok "Windows-1252 quotes in the title"
printf "${H}[server]\nport = 25\nport = 26\n" | sc S12 err:5 "a key given twice"
printf "${H}[client]\ntls = none\n[client]\nauth = none\n[server]\nmode = plain\n" | sc S13 ok "two [client] sections, distinct keys"
printf "${H}[client]\ntls = none\n[client]\ntls = none\n" | sc S14 err:6 "two [client] sections, the same key"
printf "${H}title = U\n" | sc S15 err:3 "title twice"
printf "${H}lesson = a\nlesson = b\n" | sc S16 err:4 "lesson given twice"
printf "${H}[client]\nbody = a\n[client]\nbody = b\n" | sc S17 err:6 "body in two [client] sections"

n=0
for c in "client tls sometimes" "client verify maybe" "client auth cram-md5" "client buffering all" \
	"server mode smtps" "server buffering none" "mitm behaviour eavesdrop" "mitm behavior Relay" \
	"client tls_min 1.3" "server tls_max tls1.2" "client suites aes256-cbc" "server suites ," \
	"server auth_requires_tls perhaps" "client tls " "client tls STARTTLS-REQUIRED"; do
	n=$((n + 1))
	set -- $c
	printf "${H}[$1]\n$2 = $3\n" | sc "$(printf 'E%02d' $n)" err:4 "[$1] $2 = '$3'"
done
printf "${H}[client]\nverify = verify ; a comment\n" | sc E16 ok "inline comment after a value"
printf "${H}[client]\nsuites = %s\n" "$(printf 'ecdhe-rsa-aes128-gcm, %.0s' $(seq 17))" | sc E17 err:4 "17 cipher suites"
printf "${H}[client]\ntls_min = 1.2\ntls_max = 1.0\n" | sc E18 err:5 "tls_min above tls_max"
printf "${H}[client]\nto = a@x.test, b@x.test, c@x.test, d@x.test, e@x.test, f@x.test, g@x.test, h@x.test, i@x.test\n" |
	sc E19 err:4 "9 recipients"
printf "${H}[client]\nto = ,\n" | sc E20 err:4 "to names no recipient"

for c in "N01 seed -1 err:3" "N02 seed 99999999999999999999999 err:3" "N03 seed 0x10 err:3" \
	"N04 seed 1e9 err:3" "N05 seed 18446744073709551615 ok" "N06 seed +5 err:3" "N07 seed _ err:3" \
	"N08 date 2026-02-30 err:3" "N09 date 1969-12-31 err:3" "N10 date 9999-12-31 err:3" \
	"N11 date 2024-02-29 ok" "N12 date 2100-02-29 err:3" "N13 date 2026-9-1 err:3" "N14 date 2026-_9-01 err:3" \
	"N15 date 2026-09-01T00:00 err:3" "N16 date 1970-01-01 ok" "N17 date 2999-12-31 ok"; do
	set -- $c
	v=$(printf '%s' "$3" | sed 's/^_$//; s/_/ /')
	printf "${H}$2 = %s\n" "$v" | sc "$1" "$4" "$2 = '$v'"
done

for c in "P01 port 0 err:4" "P02 port 65536 err:4" "P03 port -1 err:4" "P04 port 65535 ok" "P05 port 0x19 err:4" \
	"P06 max_size 0 err:4" "P07 max_size 1099511627777 err:4"; do
	set -- $c
	printf "${H}[server]\n$2 = $3\n" | sc "$1" "$4" "[server] $2 = $3"
done
printf "${H}[server]\nmax_size = 1\n[expect]\ndelivered = yes\n" | sc P08 unmet "max_size = 1: refused, expectation not met"
for c in "P09 0 err:5" "P10 1000001 err:5" "P11 1000000 ok"; do
	set -- $c
	printf "${H}[mitm]\nbehaviour = tamper-record\ntamper_record = $2\n" | sc "$1" "$3" "tamper_record = $2"
done

# certificates and keys a scenario names: each checked at load, at its line
mkdir "$T/sc/adir.pem"
mkfifo "$T/sc/fifo.pem"
ln -s loop2.pem "$T/sc/loop1.pem"
ln -s loop1.pem "$T/sc/loop2.pem"
cp "$CERTS/server-ecdsa.pem" "$T/sc/mode000.pem"
chmod 000 "$T/sc/mode000.pem"
cp "$CERTS/server-ecdsa.pem" "$T/sc/with space.pem"
cp "$CERTS/server-ecdsa.key" "$T/sc/with space.key"
printf -- '-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n-----END CERTIFICATE-----\n' >"$T/sc/garbage-der.pem"
sed '/END CERTIFICATE/d' "$CERTS/server-ecdsa.pem" >"$T/sc/noend.pem"
: >"$T/sc/empty.pem"
srv() { printf "${H}[server]\n"; }
srv | { cat; echo "certificate = certs/nope.pem"; } | sc C01 err:4 "missing certificate" "No such file"
srv | { cat; echo "certificate = adir.pem"; } | sc C02 err:4 "certificate is a directory" "directory"
srv | { cat; echo "certificate = /dev/zero"; } | sc C03 err:4 "certificate = /dev/zero" "not a regular file"
srv | { cat; echo "certificate = fifo.pem"; } | sc C04 err:4 "certificate is a FIFO" "not a regular file"
srv | { cat; echo "certificate = loop1.pem"; } | sc C05 err:4 "certificate is a symlink loop" "symbolic links"
if [ "$(id -u)" -eq 0 ]; then
	srv | { cat; echo "certificate = mode000.pem"; echo "key = $CERTS/server-ecdsa.key"; } | sc C06 ok "mode 000 certificate, as root"
else
	srv | { cat; echo "certificate = mode000.pem"; } | sc C06 err:4 "mode 000 certificate" "Permission denied"
fi
srv | { cat; echo "certificate = with space.pem"; echo "key = with space.key"; } | sc C07 ok "certificate path with spaces"
srv | { cat; echo "certificate = C08.ini"; } | sc C08 err:4 "the scenario names itself as certificate"
srv | { cat; echo "certificate = $CERTS/server-ecdsa.key"; } | sc C09 err:4 "a key given as certificate"
srv | { cat; echo "key = $CERTS/server-ecdsa.pem"; } | sc C10 err:4 "a certificate given as key"
srv | { cat; echo "certificate = $CERTS/server-rsa.pem"; echo "key = $CERTS/server-ecdsa.key"; } |
	sc C11 err:5 "RSA certificate, EC key"
srv | { cat; echo "certificate = $CERTS/server-ecdsa.pem"; echo "key = $CERTS/server-rsa.key"; } |
	sc C12 err:5 "EC certificate, RSA key"
srv | { cat; echo "certificate = garbage-der.pem"; } | sc C13 err:4 "PEM block of garbage DER"
srv | { cat; echo "certificate = noend.pem"; } | sc C14 err:4 "PEM block with no END line"
printf "${H}[client]\ntrust = empty.pem\n" | sc C15 err:4 "trust = an empty file"
printf "${H}[mitm]\nbehaviour = record\nstolen_key = $CERTS/server-rsa.pem\n" | sc C16 err:5 "stolen_key = a certificate"
printf "${H}[mitm]\nbehaviour = relay\ncertificate = /dev/null\n" | sc C17 err:5 "[mitm] certificate = /dev/null"
{ cat "$CERTS/server-ecdsa.pem"; for i in $(seq 300); do cat "$CERTS/demo-ca.pem"; done; } >"$T/sc/chain301.pem"
srv | { cat; echo "certificate = chain301.pem"; echo "key = $CERTS/server-ecdsa.key"; } | sc C18 ok "a chain of 301 certificates"
srv | { cat; echo "certificate = /etc/passwd"; } | sc C19 err:4 "a system file that is not PEM"
printf "${H}[client]\ntrust = /proc/self/maps\n" | sc C20 err:4 "trust = /proc/self/maps"

# line lengths: at most 198 characters, CR counted
x() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "x" }'; }
printf "${H}lesson = %s\n" "$(x 189)" | sc L198 ok "a line of 198 characters"
printf "${H}lesson = %s\n" "$(x 190)" | sc L199 err:3 "a line of 199 characters"
printf "${H}lesson = %s\n" "$(x 191)" | sc L200 err:3 "a line of 200 characters"
printf "${H}lesson = %s\n" "$(x 192)" | sc L201 err:3 "a line of 201 characters"
printf "${H}lesson = %s\r\n" "$(x 188)" | sc L197crlf ok "197 characters and CRLF"
printf "${H}lesson = %s\r\n" "$(x 189)" | sc L198crlf err:3 "198 characters and CRLF"
printf "${H}lesson = %s" "$(x 189)" | sc L198eof ok "198 characters, no newline at the end"
printf "${H}; %s\n" "$(x 197)" | sc L199comment err:3 "a comment of 199 characters"

# the INI format's corners
printf '[scenario]\n  title = T\n' | sc K01 ok "an indented key right after a header"
printf "${H}  more\n" | sc K02 err:3 "a continuation of title"
printf "${H}[client]\nto = a@x.test\n  b@x.test\n" | sc K03 err:5 "a continuation of to"
printf "${H}lesson = a\n; c\n  b\n" | sc K04 ok "a comment inside a continued lesson" "a b"
printf '  [scenario]\ntitle = T\n' | sc K05 ok "an indented first line"
printf '  [bogus]\n[scenario]\ntitle = T\n' | sc K06 err:1 "an indented unknown section"
printf "${H}[client]\nbody = a\n\n  b\n" | sc K07 ok "a body continued across a blank line"
printf "${H}seed = 1\n  2\n" | sc K08 err:4 "a continued seed"
printf "${H}lesson = a\n\tb\n" | sc K09 ok "a tab-indented continuation" "a b"
printf 'title = T\n' | sc K10 err:1 "a key before any section"
printf '[scenario\ntitle = T\n' | sc K11 err:1 "an unterminated header"
printf "${H}[client]\nnone\n" | sc K12 err:4 "a line without '='"
printf "${H}[client]\ncolour = red\n" | sc K13 err:4 "an unknown key"
printf "${H}[bogus]\n" | sc K14 err:3 "an unknown empty section"
printf "${H}[%s]\n" "$(x 190)" | sc K15 err:3 "a section name of 190 characters"
printf '[scenario]\ntitle =\n' | sc K16 err:2 "an empty title"
printf '[scenario]\nseed = 1\n' | sc K17 err "no title"

n=0
for c in "delivered maybe" "tls 2" "observer_learns everything" "attacker_learns passwords" "altered _" \
	"injected YES" "decrypted_later yess" "alert not_an_alert" "client_error _" "server_error _" \
	"observer_learns nothing,_credentials" "bogus 1" "observer_learns ,,,"; do
	n=$((n + 1))
	set -- $c
	v=$(printf '%s' "$2" | sed 's/^_$//; s/_/ /')
	printf "${H}[expect]\n$1 = %s\n" "$v" | sc "$(printf 'X%02d' $n)" err:4 "[expect] $1 = '$v'"
done

# message bodies
body() { printf "${H}[client]\ntls = none\nauth = none\nbody = %s\n" "$1"; cat; printf "[server]\nmode = plain\nmax_size = 1099511627776\n"; }
printf '  .\n  b\n' | body a | sc B01 ok "a lone '.' line" '"delivered": true'
printf '  ..\n  .x\n  ...\n' | body a | sc B02 ok "lines starting with dots" '"delivered": true'
printf '%s\n' "$(x 1000)" | body a | sc B03 err:7 "a body line of 1000 characters"
printf '  caf\351 \200\377\n' | body a | sc B04 ok "8-bit body bytes" '"delivered": true'
: | body "$(printf 'a\r.\rb')" | sc B05 err:6 "a bare CR in the body (refused at load since issue 14)"
awk 'BEGIN { for (i = 0; i < 1000; i++) { printf "  "; for (j = 0; j < 190; j++) printf "b"; print "" } }' |
	body a | sc B06 ok "1000 lines of 190 characters" '"delivered": true'

# values that would reach the wire or the terminal
cl() { printf "${H}[client]\ntls = none\n%s\n[server]\nmode = plain\n" "$1"; }
cl "$(printf 'ehlo = c.test\rRSET')" | sc I01 err:5 "a bare CR in the EHLO name"
cl 'from = a@x.test> SIZE=1 BODY=8BITMIME <' | sc I02 err:5 "ESMTP parameters in from"
cl "$(printf 'from = a@x.test\rRCPT TO:<evil@x.test>')" | sc I03 err:5 "a bare CR in from"
printf '[scenario]\ntitle = T\033]0;PWNED\007\033[2J\033[31mRED\n' | sc I04 err:2 "escape sequences in the title"
cl "$(printf 'user = a\rb:c')" | sc I05 err:5 "a CR in the user name"
cl "ehlo = $(x 60).$(x 60).$(x 60).test" | sc I06 ok "an EHLO name of 188 characters"
cl 'to = <bob@x.test>' | sc I07 err:5 "to with <>"
{ printf "${H}[mitm]\nbehaviour = inject-commands\ninject = RSET\n"; for i in $(seq 2000); do echo "  NOOP"; done; } |
	sc I08 ok "2000 injected lines"

# odd files as the scenario itself
judge1() { SUB=$5; verdict "$1" "$2" judge "$1" "$3" "$4"; SUB=; }
judge1 Z01 "the scenario is a directory" "$T/sc" err "directory"
judge1 Z02 "the scenario is /dev/zero" /dev/zero err "not a regular file"
judge1 Z03 "the scenario is /dev/null" /dev/null err "not a regular file"
judge1 Z04 "the scenario is /proc/self/mem" /proc/self/mem err
mkfifo "$T/sc/fifo.ini"
judge1 Z05 "the scenario is a FIFO" "$T/sc/fifo.ini" err "not a regular file"
# Z06, Z07: as an unprivileged user (needs root to become one)
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	mkdir "$T/np" && chmod 755 "$T" "$T/np"
	printf '[scenario]\ntitle = T\n' >"$T/np/noread.ini" && chmod 000 "$T/np/noread.ini"
	cp "$CERTS/server-ecdsa.pem" "$T/np/unread.pem" && chmod 000 "$T/np/unread.pem"
	printf '[scenario]\ntitle = T\n[server]\ncertificate = unread.pem\n' >"$T/np/certnoread.ini"
	chmod 644 "$T/np/certnoread.ini"
	asnobody() { timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" run "$@" >/dev/null 2>"$T/np.err"; }
	asnobody "$T/np/noread.ini"
	rc=$?
	why="exit $rc: $(cat "$T/np.err")"
	verdict Z06 "mode 000 scenario, as uid 65534" sh -c '[ $1 -eq 2 ] && grep -qF "$2: cannot open: Permission denied" "$3"' _ \
		$rc "$T/np/noread.ini" "$T/np.err"
	asnobody "$T/np/certnoread.ini"
	rc=$?
	why="exit $rc: $(cat "$T/np.err")"
	verdict Z07 "mode 000 certificate, as uid 65534" sh -c '[ $1 -eq 2 ] && grep -qF "$2:4: cannot read '"'unread.pem'"': Permission denied" "$3"' _ \
		$rc "$T/np/certnoread.ini" "$T/np.err"
else
	skipped Z06 "needs root to run as another user"
	skipped Z07 "needs root to run as another user"
fi
nl="$T/sc/new
line.ini"
printf "${H}[client]\ntls = sometimes\n" >"$nl"
timeout 10 "$BIN" run "$nl" >/dev/null 2>"$T/z08.err"
rc=$?
why="exit $rc: $(cat "$T/z08.err")"
verdict Z08 "a newline in the scenario's path: still one line" sh -c '[ $1 -eq 2 ] && [ "$(wc -l <"$2")" -eq 1 ]' _ $rc "$T/z08.err"
printf "${H}[client]\ntls = sometimes\n" >"$T/sc/sp ace.ini"
judge1 Z09 "a space in the scenario's path" "$T/sc/sp ace.ini" err:4
printf "${H}[mitm]\nbehaviour = relay\nbehavior = record\n" | sc Z10 err:5 "behaviour and behavior"

printf '[scenario]\rtitle = T\r[client]\rtls = none\r' | sc M01 'err:*' "CR-only line ends"
printf '\357\273\277' | sc M02 err "a BOM alone"
printf '[scenario]\ntitle = T\n' | iconv -f UTF-8 -t UTF-16 | sc M03 err:1 "a UTF-16 file"
printf '[scenario] junk\ntitle = T\n' | sc M04 err:1 "text after a section header"
printf "${H}[client]\ntls = none ; c\nauth=none#c\n" | sc M05 err:5 "';' starts a comment after a blank, '#' glued does not"
printf "${H}[Client]\n" | sc M06 err:3 "[Client]"
printf "${H}[client]\nTLS = none\n" | sc M07 err:4 "TLS = none"
printf "${H}[client]\ntls : none\n[server]\nmode = plain\n" | sc M08 ok "'key : value' (inih's other separator)"
printf '[scenario]\ntitle = a = b = c\n' | sc M09 ok "a title holding '='" '"title": "a = b = c"'
printf '[scenario]\n\302\240title = T\n' | sc M10 err:2 "an NBSP before a key"

long=$(x 185)
printf "${H}[client]\ntls = none\nuser = %s\npassword = %s\n[server]\nmode = plain\nuser = %s\npassword = %s\n" \
	"$long" "$long" "$long" "$long" | sc V01 ok "185-character user and password, AUTH PLAIN"
printf "${H}[client]\ntls = none\nauth = login\nuser = %s\npassword = %s\n[server]\nmode = plain\nuser = %s\npassword = %s\n" \
	"$long" "$long" "$long" "$long" | sc V02 ok "the same with AUTH LOGIN"
h185="$(x 60).$(x 60).$(x 58).test"
printf "${H}[client]\nehlo = %s\n[server]\nhostname = %s\n" "$h185" "$h185" | sc V03 ok "185-character EHLO name and host name"
{ printf "${H}[mitm]\nbehaviour = inject-commands\ninject = NOOP\n  %s\n" "$long"; } | sc V04 ok "injected lines of 185 characters"
printf "${H}[client]\nuser =\npassword =\n[server]\nuser =\npassword =\n" | sc V05 any "empty user and password"
printf "${H}[client]\nfrom =\nehlo =\n[server]\nhostname =\n" | sc V06 err:5 "empty ehlo"
a190="$(x 60)@$(x 60).$(x 60).test"
printf "${H}[client]\ntls = none\nfrom = %s\nto = %s\n[server]\nmode = plain\n" "$a190" "$a190" | sc V07 ok "190-character addresses"
printf "${H}[mitm]\nbehaviour = inject-responses\ninject = 999 x\n  25\n  250 %s\n" "$long" | sc V08 ok "malformed injected replies"
printf "${H}[client]\nserver_name =\nverify = verify\n" | sc V09 err:4 "server_name = (empty) with verify"
printf "${H}[server]\ncertificate = $CERTS/server-rsa.pem\nkey = $CERTS/server-rsa.key\n[mitm]\nbehaviour = tamper-clienthello\n" |
	sc V10 ok "tamper-clienthello with an RSA server" "BR_ERR_BAD_FINISHED"
sed 's/^\[client\]$/[client]\nserver_name =/' "$SCEN/wrong-host.ini" | sc V11 'err:*' "wrong-host.ini with server_name ="

pass=$(grep -c '^pass ' "$T/results")
fail=$(grep -c '^fail ' "$T/results")
skip=$(grep -c '^skip ' "$T/results")
echo "reliability: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
