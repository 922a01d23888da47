/* tamper_clienthello: rewrites the client's first ClientHello to offer only suites
 * without forward secrecy. The hello is not protected, so the change goes through — but
 * both sides MAC the handshake they saw into their Finished messages, keyed with a master
 * secret the attacker cannot compute. */
#include "sim/attack/attack.h"

#include <stdio.h>
#include <string.h>

#include "sim/decode/decode.h"

struct hello {
	int handshakes;   /* handshake records from the client so far */
};

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
	size_t hl = *n - 9, rl = *n - 5;
	rec[6] = (uint8_t)(hl >> 16);
	rec[7] = (uint8_t)(hl >> 8);
	rec[8] = (uint8_t)hl;
	rec[3] = (uint8_t)(rl >> 8);
	rec[4] = (uint8_t)rl;
	return 1;
}

static enum trace_attack rewrite(struct mitm *m, int up, uint8_t *rec, size_t *n)
{
	struct hello *h = mitm_state(m);
	if (!up || rec[0] != 22 || ++h->handshakes != 1)
		return ATTACK_NONE;
	char what[128];
	if (!weaken_clienthello(rec, n, what, sizeof what))
		return ATTACK_NONE;
	char s[200];
	snprintf(s, sizeof s, "The attacker rewrites the ClientHello: %s", what);
	mitm_note(m, MITM_LEG_SERVER, ATTACK_REPLACED, s,
		  "A downgrade attempt: the ClientHello is not protected, so the attacker can change the "
		  "offer. But each side's Finished is a MAC over the handshake as it saw it, keyed with "
		  "the master secret, which the attacker cannot compute.");
	return ATTACK_REPLACED;
}

const struct attack attack_tamper_clienthello = {
	.name = "tamper-clienthello",
	.does = "rewrites the ClientHello to offer only suites without forward secrecy",
	.intro = "The attacker sits in the path, ready to weaken the ClientHello",
	.state_size = sizeof(struct hello),
	.record = rewrite,
};
