/* record: copies the whole session, hoping to decrypt it one day; months later the
 * server's private key is stolen and the recording replayed. With static RSA key exchange
 * the key decrypts the premaster secret and every session key follows; with ECDHE it
 * opens nothing (forward secrecy). */
#include "sim/attack/attack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bearssl.h>

#include "sim/decode/decode.h"


static const struct mitm_record *find_handshake(const struct mitm_record *recs, size_t nrecs, int up, unsigned type)
{
	for (size_t i = 0; i < nrecs; i++) {
		const struct mitm_record *r = &recs[i];
		if (r->up == up && r->len > 9 && r->rec[0] == 22 && r->rec[5] == type)
			return r;
	}
	return NULL;
}

static int decrypt_gcm(const uint8_t key[16], const uint8_t iv[4], uint64_t seq, const uint8_t *rec,
		       size_t n, uint8_t *out, size_t *outlen)
{
	if (n < 5 + 8 + 16)
		return -1;
	size_t clen = n - 5 - 8 - 16;
	uint8_t nonce[12], aad[13];
	memcpy(nonce, iv, 4);
	memcpy(nonce + 4, rec + 5, 8);
	for (int i = 0; i < 8; i++)
		aad[i] = (uint8_t)(seq >> (56 - 8 * i));
	aad[8] = rec[0];
	aad[9] = rec[1];
	aad[10] = rec[2];
	aad[11] = (uint8_t)(clen >> 8);
	aad[12] = (uint8_t)clen;
	br_aes_ct_ctr_keys aes;
	br_gcm_context gcm;
	br_aes_ct_ctr_init(&aes, key, 16);
	br_gcm_init(&gcm, &aes.vtable, br_ghash_ctmul);
	br_gcm_reset(&gcm, nonce, 12);
	br_gcm_aad_inject(&gcm, aad, 13);
	br_gcm_flip(&gcm);
	memcpy(out, rec + 13, clen);
	br_gcm_run(&gcm, 0, out, clen);
	if (!br_gcm_check_tag(&gcm, rec + n - 16))
		return -1;
	*outlen = clen;
	return 0;
}

static void decrypt_recording(struct mitm *m)
{
	size_t nrecs;
	const struct mitm_record *recs = mitm_recording(m, &nrecs);
	const struct mitm_record *ch = find_handshake(recs, nrecs, 1, 1), *sh = find_handshake(recs, nrecs, 0, 2),
			      *cke = find_handshake(recs, nrecs, 1, 16);
	char s[256];
	if (!ch || !sh || !cke) {
		mitm_theft_note(m, THEFT_NO_HANDSHAKE, "Later: the recording holds no complete TLS handshake to attack", NULL);
		return;
	}
	uint8_t crand[32], srand[32];
	memcpy(crand, ch->rec + 11, 32);
	memcpy(srand, sh->rec + 11, 32);
	size_t sid = sh->rec[43];
	if (44 + sid + 2 > sh->len)
		return;
	unsigned suite = (unsigned)sh->rec[44 + sid] << 8 | sh->rec[45 + sid];
	const char *sname = decode_cipher_suite_name(suite);
	/* Loaded with the scenario (run_pki_load): the run itself reads no file. */
	const struct pki_key *key = mitm_stolen_key(m);
	snprintf(s, sizeof s, "Later: the attacker obtains the server's private key and replays its recording (%s)",
		 sname ? sname : "unknown suite");
	mitm_theft_note(m, THEFT_KEY_STOLEN, s,
	     "Months later the server is broken into and its private key stolen. Does the old recording fall?");
	if (suite != BR_TLS_RSA_WITH_AES_128_GCM_SHA256 || key->type != BR_KEYTYPE_RSA) {
		if (sname && (!strncmp(sname, "TLS_ECDHE_", 10) || !strncmp(sname, "TLS_DHE_", 8)))
			mitm_theft_note(m, THEFT_SEALED_FS,
			     "The recording stays sealed: the session used an ephemeral key exchange",
			     "With ECDHE both sides made fresh key shares for this session and threw them away. The "
			     "server's long-term key only signed its share; it never encrypted anything. This is "
			     "forward secrecy.");
		else
			mitm_theft_note(m, THEFT_UNSUPPORTED,
			     "The simulator cannot replay this suite, so the recording is not opened here",
			     "This session used static key exchange, which has no forward secrecy: whoever holds "
			     "the server's key can recompute its keys. The simulator only replays "
			     "TLS_RSA_WITH_AES_128_GCM_SHA256 recordings, so it does not show the decryption.");
		return;
	}
	/* Static RSA: the ClientKeyExchange is the premaster secret, encrypted to the key. */
	size_t elen = (size_t)cke->rec[9] << 8 | cke->rec[10];
	uint8_t pms[1024];
	if (elen > sizeof pms || 11 + elen > cke->len) {
		return;
	}
	memcpy(pms, cke->rec + 11, elen);
	if (!br_rsa_ssl_decrypt(br_rsa_private_get_default(), &key->rsa, pms, elen)) {
		mitm_theft_note(m, THEFT_WRONG_KEY, "The stolen key does not decrypt the premaster secret", NULL);
		return;
	}
	uint8_t master[48], kb[40];
	br_tls_prf_seed_chunk seed[2] = { { crand, 32 }, { srand, 32 } };
	br_tls12_sha256_prf(master, 48, pms, 48, "master secret", 2, seed);
	br_tls_prf_seed_chunk seed2[2] = { { srand, 32 }, { crand, 32 } };
	br_tls12_sha256_prf(kb, 40, master, 48, "key expansion", 2, seed2);
	mitm_theft_note(m, THEFT_OPENED, "The stolen RSA key decrypts the recorded premaster secret: every key of the session follows",
	     "With static RSA key exchange the client sent the premaster secret encrypted to the server's "
	     "long-term key. Whoever holds that key, now or in ten years, recomputes the session keys.");
	/* Replay the protected records in order, as the attacker now can. */
	struct mitm_replay *rp = mitm_replay_open(m);
	if (!rp)
		return;
	uint64_t seq[2] = { 0, 0 };
	int ccs[2] = { 0, 0 }, in_body = 0, saw_354 = 0;
	uint8_t *plain = malloc(18432);
	if (!plain) {
		mitm_fail_run(m, 1, "replaying the recording");
		goto out;
	}
	for (size_t i = 0; i < nrecs; i++) {
		const struct mitm_record *rc = &recs[i];
		int dir = rc->up ? 0 : 1;
		if (rc->rec[0] == 20) {
			ccs[dir] = 1;
			continue;
		}
		if (!ccs[dir])
			continue;
		const uint8_t *k = rc->up ? kb : kb + 16, *iv = rc->up ? kb + 32 : kb + 36;
		size_t pl;
		if (decrypt_gcm(k, iv, seq[dir]++, rc->rec, rc->len, plain, &pl))
			continue;
		if (rc->rec[0] != 23)
			continue;
		enum smtp_out_kind kind = SMTP_OUT_REPLY;
		if (rc->up) {
			if (saw_354) {
				in_body = 1;
				saw_354 = 0;
			}
			kind = in_body ? SMTP_OUT_BODY : SMTP_OUT_COMMAND;
			if (in_body && pl >= 5 && !memcmp(plain + pl - 5, "\r\n.\r\n", 5))
				in_body = 0;
		} else if (pl >= 3 && !memcmp(plain, "354", 3)) {
			saw_354 = 1;
		}
		if (mitm_replay(rp, rc->up, kind, plain, pl))
			break;
	}
	free(plain);
out:
	mitm_replay_close(rp);
}

static void at_end(struct mitm *m)
{
	mitm_advance_clock(m, 1000000ULL * 86400 * 180); /* "months later" */
	decrypt_recording(m);
}

const struct attack attack_record = {
	.name = "record",
	.does = "taps the connection and records it; later the server's key is stolen and the recording replayed",
	.intro = "The attacker taps the connection and records every byte, hoping to decrypt it one day",
	.flags = ATTACK_F_TAP | ATTACK_F_RECORDS | ATTACK_F_STOLEN_KEY,
	.at_end = at_end,
};
