/* x509_text: a small, strictly bounded DER walker that turns an X.509 certificate into
 * the text a student wants to see (subject, issuer, validity, subject alternative names,
 * public key). BearSSL's br_x509_decoder gives keys but not names or dates as text, and
 * the decoder must survive any bytes an attacker puts in a Certificate message. */
#ifndef SIM_X509_TEXT_H
#define SIM_X509_TEXT_H

#include <stddef.h>
#include <stdint.h>

struct x509_text {
	char subject[256];      /* "CN=mail.example.test, O=Demo" */
	char issuer[256];
	char subject_cn[128];   /* "" when the name has no CN */
	char issuer_cn[128];
	char not_before[32];    /* "2025-01-01 00:00:00 UTC" */
	char not_after[32];
	char san[256];          /* "DNS:mail.example.test, IP:192.0.2.1"; "" when absent */
	char public_key[64];    /* "EC secp256r1 (256 bits)", "RSA 2048 bits" */
	char signature_algorithm[48]; /* "ecdsa-with-SHA256" */
	char serial[80];        /* hex */
	int version;            /* 1..3 */
};

/* Parses one DER certificate. Returns 0, or -1 with *err (static text) saying what is
 * wrong. Never reads outside der[0..n). */
int x509_text_parse(const uint8_t *der, size_t n, struct x509_text *out, const char **err);

/* Formats a DER Name (the SEQUENCE, tag included) as "CN=..., O=...". Returns 0 or -1. */
int x509_text_name(const uint8_t *der, size_t n, char *out, size_t cap, char *cn, size_t cn_cap);

#endif
