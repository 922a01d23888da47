/* record: a passive tap copies the whole session, hoping to decrypt it one day. Months
 * later the server's private key is stolen and the recording replayed (keytheft.c): with
 * static RSA key exchange — any TLS_RSA_* suite, CBC or GCM, TLS 1.0 to 1.2 — the key
 * decrypts the premaster secret and every session key follows; with ECDHE it opens
 * nothing (forward secrecy). */
#include "sim/attack/attack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/attack/keytheft.h"
#include "sim/base/buf.h"
#include "sim/decode/decode.h"

/* What the replay has of each direction: a line cut by a record boundary (TLS 1.0 CBC
 * sends the first byte of a write alone, the 1/n-1 split) waits for the rest. */
struct replay {
	struct mitm *m;
	struct mitm_replay *out;
	uint8_t *part[2];
	size_t len[2], cap[2];
	int saw_354, in_body;
	int failed;
};

static int emit(struct replay *r, int up, const uint8_t *p, size_t n)
{
	enum smtp_out_kind kind = SMTP_OUT_REPLY;
	if (up) {
		if (r->saw_354) {
			r->in_body = 1;
			r->saw_354 = 0;
		}
		kind = r->in_body ? SMTP_OUT_BODY : SMTP_OUT_COMMAND;
		if (r->in_body && n >= 5 && !memcmp(p + n - 5, "\r\n.\r\n", 5))
			r->in_body = 0;
	} else if (n >= 3 && !memcmp(p, "354", 3)) {
		r->saw_354 = 1;
	}
	return mitm_replay(r->out, up, kind, p, n);
}

static int replayed(void *ctx, int up, unsigned type, const uint8_t *p, size_t n)
{
	struct replay *r = ctx;
	int d = up ? 1 : 0;
	if (!p || type != 23)
		return 0; /* Finished, alerts, a record that did not open: no SMTP in them */
	if (buf_append(&r->part[d], &r->len[d], &r->cap[d], p, n)) {
		mitm_fail_run(r->m, 1, "replaying the recording");
		return r->failed = 1;
	}
	if (r->len[d] && r->part[d][r->len[d] - 1] != '\n')
		return 0;
	int rc = emit(r, up, r->part[d], r->len[d]);
	r->len[d] = 0;
	return r->failed = rc != 0;
}

static void at_end(struct mitm *m)
{
	mitm_advance_clock(m, 1000000ULL * 86400 * 180); /* "months later" */
	size_t n;
	const struct mitm_record *recs = mitm_recording(m, &n);
	struct keytheft_record *kr = calloc(n ? n : 1, sizeof *kr);
	if (!kr) {
		mitm_fail_run(m, 1, "replaying the recording");
		return;
	}
	for (size_t i = 0; i < n; i++)
		kr[i] = (struct keytheft_record){ recs[i].up, recs[i].rec, recs[i].len };
	const struct pki_key *key = mitm_stolen_key(m);
	const br_rsa_private_key *rsa = key->type == BR_KEYTYPE_RSA ? &key->rsa : NULL;
	struct keytheft_session s;
	enum keytheft_result res = keytheft_open(kr, n, rsa, &s, NULL, NULL);
	const char *sname = s.suite ? decode_cipher_suite_name(s.suite) : NULL;
	char sum[256], why[400];
	if (res == KEYTHEFT_NO_HANDSHAKE) {
		mitm_theft_note(m, THEFT_NO_HANDSHAKE, "Later: the recording holds no complete TLS handshake to attack", NULL);
		goto out;
	}
	snprintf(sum, sizeof sum, "Later: the attacker obtains the server's private key and replays its recording (%s)",
		 sname ? sname : "unknown suite");
	mitm_theft_note(m, THEFT_KEY_STOLEN, sum,
			"Months later the server is broken into and its private key stolen. Does the old recording fall?");
	switch (res) {
	case KEYTHEFT_FORWARD_SECRET:
		mitm_theft_note(m, THEFT_SEALED_FS, "The recording stays sealed: the session used an ephemeral key exchange",
				"Both sides made fresh key shares for this session and erased them afterwards. The "
				"server's long-term key only signed its share; it never encrypted anything, so "
				"stealing it now recovers nothing. This is forward secrecy.");
		goto out;
	case KEYTHEFT_WRONG_KEY:
		snprintf(why, sizeof why, "The stolen key is not this server's key (%s), so it opens nothing.",
			 s.why ? s.why : "it does not decrypt the premaster secret");
		mitm_theft_note(m, THEFT_WRONG_KEY, "The stolen key does not decrypt the premaster secret", why);
		goto out;
	case KEYTHEFT_UNSUPPORTED:
		snprintf(why, sizeof why, "This session used a static key exchange, which has no forward secrecy: "
			 "whoever holds the server's key can recompute its keys. The simulator cannot replay it (%s), "
			 "so it does not show the decryption.", s.why ? s.why : "unsupported");
		mitm_theft_note(m, THEFT_UNSUPPORTED, "The simulator cannot replay this suite, so the recording is not opened here",
				why);
		goto out;
	default:
		break;
	}
	snprintf(why, sizeof why, "With static RSA key exchange the client sent the premaster secret encrypted to the "
		 "server's long-term key. Whoever holds that key, now or in ten years, decrypts it and derives "
		 "the master secret and every record key with the %s PRF.",
		 s.version == BR_TLS12 ? "TLS 1.2" : "TLS 1.0/1.1");
	mitm_theft_note(m, THEFT_OPENED,
			"The stolen RSA key decrypts the recorded premaster secret: every key of the session follows", why);
	struct replay r = { .m = m, .out = mitm_replay_open(m, REPLAY_RECORDING) };
	if (r.out) {
		keytheft_open(kr, n, rsa, &s, replayed, &r);
		for (int d = 0; d < 2 && !r.failed; d++)
			if (r.len[d] && emit(&r, d, r.part[d], r.len[d]))
				break;
	}
	mitm_replay_close(r.out);
	free(r.part[0]);
	free(r.part[1]);
out:
	free(kr);
}

const struct attack attack_record = {
	.name = "record",
	.does = "taps the connection and records it; later the server's key is stolen and the recording replayed",
	.intro = "The attacker taps the connection and records every byte, hoping to decrypt it one day",
	.flags = ATTACK_F_TAP | ATTACK_F_RECORDS | ATTACK_F_STOLEN_KEY | ATTACK_F_HOP1_ONLY,
	.at_end = at_end,
};
