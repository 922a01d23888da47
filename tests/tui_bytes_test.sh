#!/bin/sh
# tui_bytes_test: a field selected in the detail pane lights up its bytes in the bytes
# pane, as in Wireshark. At the ClientHello of starttls.ini: nothing is lit while the
# diagram has focus; with the detail pane's `random` selected, exactly its 32 bytes are in
# reverse video (6 on the first row after the header and version, 2 on the fourth) and
# they are the bytes the value shows; `version` lights the 2 bytes before; the last
# extension, far down, is scrolled into view in a short terminal; under NO_COLOR it is
# reverse video too; a MAIL FROM inside TLS lights its mailbox in the plaintext dump.
# Run from the top of the tree:  SMTPS_BIN=./smtps-sim sh tests/tui_bytes_test.sh
NAME=bytes
. "$(dirname "$0")/tui_lib.inc"

esc=$(printf '\033')
REV="${esc}\[([0-9]+;)*7m"       # an SGR that turns reverse video on (tmux: 7m, 1;7m, 0;1;7m)
SGR="(${esc}\[[0-9;]*m)*"        # any run of SGRs (colour pairs come after the reverse)
# the bytes pane's column of the screen (with escapes when $1 is -e): the fourth field
# between box edges on the rows where the detail pane and the bytes pane sit side by side
bytes_col() { $TM capture-pane -p $1 -t tui | awk -F'│' 'NF>=5{print $4}'; }
detail_col() { $TM capture-pane -p -t tui | awk -F'│' 'NF>=5{print $2}'; }
# bytes_row OFF: the dump row at offset OFF (4 hex digits), with escapes
bytes_row() { bytes_col -e | grep -E "^(${esc}\[[0-9;]*m)*$1" | head -1; }
lit() { bytes_col -e | grep -qE "$REV"; }
# the hex bytes of the wire dump's rows, as one string
dump_hex() {
	bytes_col | grep -E '^[0-9a-f]{4} ' | awk '{for (i = 2; i <= NF && $i ~ /^[0-9a-f][0-9a-f]$/; i++) printf "%s", $i}'
}

to_clienthello() {
	keys / C l i e n t H e l l o Enter
	wait_for "ClientHello: TLS 1.2" && wait_for "handshake header: ClientHello"
}

not_lit() { ! lit; }
# wait_lit: polls (up to 5 s) until something in the bytes pane is in reverse video
wait_lit() {
	_w=0
	while [ $_w -lt 50 ]; do
		lit && return 0
		sleep 0.1
		_w=$((_w + 1))
	done
	return 1
}
# selected NAME: the detail pane shows field NAME selected (in reverse video)
selected() {
	_w=0
	while [ $_w -lt 50 ]; do
		$TM capture-pane -p -e -t tui | grep -qE "${REV}$1:" && return 0
		sleep 0.1
		_w=$((_w + 1))
	done
	return 1
}
# random_lit: row 0000 has the 6 bytes after header and version lit, 000c all 12, 0018 all
# 12, 0024 the first 2 and no more: 32 bytes
random_lit() {
	bytes_row 0000 | grep -qE " 03 03 ${REV}([0-9a-f]{2} ){5}[0-9a-f]{2}${esc}" || { echo "    row 0000: $(bytes_row 0000 | cat -v)"; return 1; }
	bytes_row 000c | grep -qE "^(${esc}\[[0-9;]*m)*000c(${esc}\[[0-9;]*m)* ${REV}([0-9a-f]{2} ){11}[0-9a-f]{2}${esc}" || { echo "    row 000c: $(bytes_row 000c | cat -v)"; return 1; }
	bytes_row 0024 | grep -qE "^(${esc}\[[0-9;]*m)*0024(${esc}\[[0-9;]*m)* ${REV}[0-9a-f]{2} [0-9a-f]{2}(${esc}\[[0-9;]*m)+ [0-9a-f]{2} " || { echo "    row 0024: $(bytes_row 0024 | cat -v)"; return 1; }
}
# the random the detail pane shows is the 32 bytes lit: bytes 6..37 of the dump
random_matches() {
	shown=$(detail_col | tr -d ' \n' | sed 's/.*random://; s/session_id.*//')
	dumped=$(dump_hex | cut -c13-76)
	[ "${#shown}" -eq 64 ] && [ "$shown" = "$dumped" ] || { echo "    detail '$shown', dump '$dumped'"; return 1; }
}

if have starttls.ini; then
	check "starttls starts" start 120 40 "$SCEN/starttls.ini"
	check "search lands on the ClientHello" to_clienthello
	check "diagram focused: nothing lit in the bytes pane" not_lit
	keys Tab
	check "Tab: the detail pane's first field is selected" selected handshake_type
	check "handshake_type: a byte is lit" wait_lit
	check "handshake_type: the first byte of the dump" sh -c "$TM capture-pane -p -e -t tui | awk -F'│' 'NF>=5{print \$4}' | grep -qE '0000${SGR} ${REV}${SGR}01${esc}'"
	keys j j
	check "j j: version is selected" selected version
	check "version: the 2 bytes after the handshake header are lit" sh -c "$TM capture-pane -p -e -t tui | awk -F'│' 'NF>=5{print \$4}' | grep -qE '8a${SGR} ${REV}${SGR}03 03${esc}'"
	keys j
	check "j: random is selected" selected random
	check "random: exactly its 32 bytes are lit" random_lit
	check "random: the lit bytes are the value shown" random_matches
	keys Tab
	check "Tab to the bytes pane: still lit" random_lit
	keys Tab
	sleep 0.3
	check "Tab to the diagram: nothing lit" not_lit
	keys q

	# a short terminal: the last extension is far down the dump; selecting it scrolls there
	check "starttls starts at 100x26" start 100 26 "$SCEN/starttls.ini"
	check "search lands on the ClientHello (100x26)" to_clienthello
	keys Tab j j j j j j j j j j j j j j j j j j j j j j j j j j j j j j
	check "the last field, ec_point_formats, is selected" selected ec_point_formats
	check "its byte is lit and scrolled into view" wait_lit
	check "the bytes pane says it scrolled (^)" sh -c "$TM capture-pane -p -t tui | grep -E '^┌.*┐┌─ bytes' | grep -q ' ^ '"
	keys q

	# NO_COLOR: the highlight is reverse video all the same
	check "starttls starts with NO_COLOR" start 120 40 NO_COLOR=1 "$SCEN/starttls.ini"
	check "search lands on the ClientHello (NO_COLOR)" to_clienthello
	keys Tab j j j
	check "NO_COLOR: random is selected" selected random
	check "NO_COLOR: its 32 bytes are in reverse video" random_lit
	keys q

	# inside TLS: MAIL FROM's mailbox, lit in the plaintext beside the ciphertext
	check "starttls starts again" start 120 40 "$SCEN/starttls.ini"
	keys / M A I L Space F R O M Enter
	check "search lands on MAIL FROM" wait_for "plaintext the endpoint saw"
	keys Tab j j
	check "mail_from is selected" selected mail_from
	check "the mailbox's first letter is lit after the bracket" sh -c "$TM capture-pane -p -e -t tui | awk -F'│' 'NF>=5{print \$4}' | grep -qE ':<${REV}${SGR}a'"
	check "the mailbox ends before the closing bracket" sh -c "$TM capture-pane -p -e -t tui | awk -F'│' 'NF>=5{print \$4}' | grep -qE '${REV}${SGR}\\.test${esc}\\[[0-9;]*m(${SGR})>'"
	keys q
fi
finish
