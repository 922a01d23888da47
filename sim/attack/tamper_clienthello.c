/* tamper_clienthello: rewrites the client's first ClientHello. A TLS 1.3 offer loses
 * TLS 1.3 from its supported_versions (a version downgrade, which the RFC 8446 §4.1.3
 * sentinel in the ServerHello.random exposes); a TLS 1.2 offer keeps only suites without
 * forward secrecy. The hello is not protected, so the change goes through — but both
 * sides MAC the handshake they saw into their Finished messages, keyed with secrets the
 * attacker cannot compute. */
#include "sim/attack/attack.h"

#include <stdio.h>
#include <string.h>

#include "sim/decode/decode.h"

struct hello {
	int handshakes;   /* handshake records from the client so far */
};

/* The record's lengths after the ClientHello shrank to *n bytes: record, handshake. */
static void fix_lengths(uint8_t *rec, size_t n)
{
	size_t hl = n - 9, rl = n - 5;
	rec[6] = (uint8_t)(hl >> 16);
	rec[7] = (uint8_t)(hl >> 8);
	rec[8] = (uint8_t)hl;
	rec[3] = (uint8_t)(rl >> 8);
	rec[4] = (uint8_t)rl;
}

/* Rewrites a ClientHello record to offer fewer cipher suites. Returns 1 when changed. */
static int weaken_clienthello(uint8_t *rec, size_t *n, char *what, size_t wcap)
{
	if (*n < 5 + 4 + 2 + 32 + 1 || rec[0] != 22 || rec[5] != 1)
		return 0;
	size_t p = 5 + 4 + 2 + 32;
	size_t sid = rec[p];
	p += 1 + sid;
	if (p + 2 > *n)
		return 0;
	size_t slen = (size_t)rec[p] << 8 | rec[p + 1];
	size_t s0 = p + 2;
	if (s0 + slen > *n || slen < 4)
		return 0;
	/* Keep only suites without forward secrecy (TLS_RSA_*): a server that supports
	 * them is pushed to static RSA key exchange. Without any, drop the first offer. */
	uint8_t keep[512];
	size_t kn = 0;
	for (size_t i = 0; i + 1 < slen && kn + 2 <= sizeof keep; i += 2) {
		unsigned id = (unsigned)rec[s0 + i] << 8 | rec[s0 + i + 1];
		const char *name = decode_cipher_suite_name(id);
		if (name && !strncmp(name, "TLS_RSA_", 8)) {
			keep[kn++] = rec[s0 + i];
			keep[kn++] = rec[s0 + i + 1];
		}
	}
	if (kn == 0 || kn == slen) {
		memcpy(keep, rec + s0 + 2, slen - 2);
		kn = slen - 2;
		snprintf(what, wcap, "removed the client's first-choice cipher suite");
	} else {
		snprintf(what, wcap, "removed every cipher suite with forward secrecy (%zu of %zu left)", kn / 2, slen / 2);
	}
	size_t removed = slen - kn;
	memcpy(rec + s0, keep, kn);
	memmove(rec + s0 + kn, rec + s0 + slen, *n - (s0 + slen));
	*n -= removed;
	rec[p] = (uint8_t)(kn >> 8);
	rec[p + 1] = (uint8_t)kn;
	fix_lengths(rec, *n);
	return 1;
}

/* Removes TLS 1.3 (0x0304) from the ClientHello's supported_versions extension (RFC 8446
 * §4.2.1), leaving the older versions offered. Returns 1 when changed: the hello
 * offered TLS 1.3 beside something older. */
static int strip_tls13(uint8_t *rec, size_t *n, char *what, size_t wcap)
{
	if (*n < 5 + 4 + 2 + 32 + 1 || rec[0] != 22 || rec[5] != 1)
		return 0;
	size_t p = 5 + 4 + 2 + 32;
	p += 1 + (size_t)rec[p];                                   /* session id */
	if (p + 2 > *n)
		return 0;
	p += 2 + ((size_t)rec[p] << 8 | rec[p + 1]);               /* cipher suites */
	if (p + 1 > *n)
		return 0;
	p += 1 + (size_t)rec[p];                                   /* compression methods */
	if (p + 2 > *n)
		return 0;
	size_t ext_len_at = p, end = p + 2 + ((size_t)rec[p] << 8 | rec[p + 1]);
	if (end > *n)
		return 0;
	for (p += 2; p + 4 <= end;) {
		unsigned type = (unsigned)rec[p] << 8 | rec[p + 1];
		size_t len = (size_t)rec[p + 2] << 8 | rec[p + 3];
		if (p + 4 + len > end)
			return 0;
		if (type != 43 || len < 1 || (size_t)rec[p + 4] + 1 != len) {
			p += 4 + len;
			continue;
		}
		/* supported_versions: a one-byte list length, then two bytes per version. */
		size_t list = p + 5, k = 0, older = 0;
		for (size_t i = 0; i + 1 < rec[p + 4]; i += 2) {
			unsigned v = (unsigned)rec[list + i] << 8 | rec[list + i + 1];
			if (v == 0x0304)
				continue;
			older += v >= 0x0300 && v < 0x0304;
			rec[list + k] = rec[list + i];
			rec[list + k + 1] = rec[list + i + 1];
			k += 2;
		}
		size_t removed = rec[p + 4] - k;
		if (!removed || !older)
			return 0;
		memmove(rec + list + k, rec + list + k + removed, *n - (list + k + removed));
		*n -= removed;
		rec[p + 4] = (uint8_t)k;
		rec[p + 2] = (uint8_t)((len - removed) >> 8);
		rec[p + 3] = (uint8_t)(len - removed);
		size_t el = end - ext_len_at - 2 - removed;
		rec[ext_len_at] = (uint8_t)(el >> 8);
		rec[ext_len_at + 1] = (uint8_t)el;
		fix_lengths(rec, *n);
		snprintf(what, wcap, "removed TLS 1.3 from supported_versions");
		return 1;
	}
	return 0;
}

static enum trace_attack rewrite(struct mitm *m, int up, uint8_t *rec, size_t *n)
{
	struct hello *h = mitm_state(m);
	if (!up || rec[0] != 22 || ++h->handshakes != 1)
		return ATTACK_NONE;
	char what[128];
	char s[200];
	if (strip_tls13(rec, n, what, sizeof what)) {
		snprintf(s, sizeof s, "The attacker rewrites the ClientHello: %s", what);
		mitm_note(m, MITM_LEG_SERVER, ATTACK_REPLACED, s,
			  "A version downgrade: the ClientHello is not protected, so the attacker can take TLS 1.3 "
			  "out of the offer, and a server that supports TLS 1.3 answers with TLS 1.2. But such a "
			  "server puts a sentinel in the last 8 bytes of its ServerHello.random, \"DOWNGRD\" and "
			  "01 (RFC 8446 section 4.1.3), and a TLS 1.3 client that finds it there aborts at once, "
			  "before any key is used.");
		return ATTACK_REPLACED;
	}
	if (!weaken_clienthello(rec, n, what, sizeof what))
		return ATTACK_NONE;
	snprintf(s, sizeof s, "The attacker rewrites the ClientHello: %s", what);
	mitm_note(m, MITM_LEG_SERVER, ATTACK_REPLACED, s,
		  "A downgrade attempt: the ClientHello is not protected, so the attacker can change the "
		  "offer. But each side's Finished is a MAC over the handshake as it saw it, keyed with "
		  "the master secret, which the attacker cannot compute.");
	return ATTACK_REPLACED;
}

const struct attack attack_tamper_clienthello = {
	.name = "tamper-clienthello",
	.does = "rewrites the ClientHello: TLS 1.3 out of supported_versions, or (TLS 1.2) only suites without forward secrecy",
	.intro = "The attacker sits in the path, ready to weaken the ClientHello",
	.state_size = sizeof(struct hello),
	.record = rewrite,
};
