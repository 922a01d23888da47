/* tamper_record: flips one bit of a protected record from the client. The record's
 * authentication tag no longer matches, and the receiver rejects it. */
#include "sim/attack/attack.h"

#include <stdio.h>

struct tamper {
	unsigned seen;    /* protected records from the client so far */
	int done;
};

static enum trace_attack tamper(struct mitm *m, int up, uint8_t *rec, size_t *n)
{
	struct tamper *t = mitm_state(m);
	if (!up || rec[0] != 23)
		return ATTACK_NONE;
	t->seen++;
	if (t->done || t->seen != mitm_tamper_target(m) || *n <= 6)
		return ATTACK_NONE;
	rec[*n - 1] ^= 0x01;
	t->done = 1;
	char s[160];
	snprintf(s, sizeof s, "The attacker flips one bit in the last byte of encrypted record %u from the client", t->seen);
	mitm_note(m, MITM_LEG_SERVER, ATTACK_TAMPERED, s,
		  "The attacker cannot read the record, but it can change bits. With an AEAD suite such as "
		  "AES-GCM the last byte belongs to the record's authentication tag; the receiver recomputes "
		  "the tag over the record, it does not match, and the record is rejected before its "
		  "content is used.");
	return ATTACK_TAMPERED;
}

const struct attack attack_tamper_record = {
	.name = "tamper-record",
	.does = "flips one bit of a protected record from the client",
	.intro = "The attacker sits in the path, ready to change an encrypted record",
	.state_size = sizeof(struct tamper),
	.record = tamper,
};
