#!/bin/sh
# tui_tls13_test: TLS 1.3 on screen. In tls13-starttls the server's encrypted flight is
# drawn as the endpoints read it (EncryptedExtensions, Certificate, CertificateVerify,
# Finished, each green: only the endpoints read it), the detail pane shows the opened
# record's real content type, the observer's line never gains the certificate, and the
# math pane shows the TLS 1.3 key schedule (the Early Secret of RFC 8448, the traffic
# secrets with their keys) and opens the record under the cursor by hand.
# Run from the top of the tree:  SMTPS_BIN=./smtps-sim sh tests/tui_tls13_test.sh
NAME=tls13
. "$(dirname "$0")/tui_lib.inc"

if have tls13-starttls.ini; then
	check "tls13-starttls starts" start 200 90 "$SCEN/tls13-starttls.ini"
	keys / C e r t i f i c a t e V e r i f y Enter
	check "search lands on CertificateVerify" wait_for "CertificateVerify: signed"
	check "the server's EncryptedExtensions is drawn" wait_for "EncryptedExtensions"
	check "the certificate is drawn as its reader sees it" wait_for "Certificate: CN=mail.example.test"
	check "its narration: the signature ties the certificate to this handshake" wait_for "ties the certificate to this" flat
	check "the observer has not seen the certificate" sh -c \
		"! $TM capture-pane -p -t tui | grep -E '^ . Observer' | grep -q 'CN=mail'"
	keys k
	check "one up: the record around it, opened" wait_for "inner_content_type"
	keys m
	check "m: the math pane shows the TLS 1.3 key schedule" wait_for "HKDF with SHA-256"
	check "the Early Secret is RFC 8448's" wait_for "33ad0a1c 607ec03b"
	check "the record under the cursor is worked out" wait_for "3. Record, event 25: application_data on the wire"
	keys m / C e r t i f i c a t e : Space C N Enter
	check "the Certificate's narration: an observer does not see it" \
		wait_for "a passive observer does not see which certificate is presented" flat
	keys q
	check "q exits 0" wait_for "EXITED:0"
fi
finish
