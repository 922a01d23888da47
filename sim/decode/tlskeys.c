/* tlskeys: see tlskeys.h. */
#include "sim/decode/tlskeys.h"

#include <string.h>

#define S1 &br_sha1_vtable
#define S256 &br_sha256_vtable
#define S384 &br_sha384_vtable

static const struct tlskeys_suite suites[] = {
	/* static RSA */
	{ BR_TLS_RSA_WITH_3DES_EDE_CBC_SHA, TLSKEYS_CBC, S1, 20, 24, 8, 0, 0, 0 },
	{ BR_TLS_RSA_WITH_AES_128_CBC_SHA, TLSKEYS_CBC, S1, 20, 16, 16, 0, 0, 0 },
	{ BR_TLS_RSA_WITH_AES_256_CBC_SHA, TLSKEYS_CBC, S1, 20, 32, 16, 0, 0, 0 },
	{ BR_TLS_RSA_WITH_AES_128_CBC_SHA256, TLSKEYS_CBC, S256, 32, 16, 16, 0, 1, 0 },
	{ BR_TLS_RSA_WITH_AES_256_CBC_SHA256, TLSKEYS_CBC, S256, 32, 32, 16, 0, 1, 0 },
	{ BR_TLS_RSA_WITH_AES_128_GCM_SHA256, TLSKEYS_GCM, NULL, 0, 16, 0, 16, 1, 0 },
	{ BR_TLS_RSA_WITH_AES_256_GCM_SHA384, TLSKEYS_GCM, NULL, 0, 32, 0, 16, 1, 1 },
	{ BR_TLS_RSA_WITH_AES_128_CCM, TLSKEYS_CCM, NULL, 0, 16, 0, 16, 1, 0 },
	{ BR_TLS_RSA_WITH_AES_256_CCM, TLSKEYS_CCM, NULL, 0, 32, 0, 16, 1, 0 },
	{ BR_TLS_RSA_WITH_AES_128_CCM_8, TLSKEYS_CCM, NULL, 0, 16, 0, 8, 1, 0 },
	{ BR_TLS_RSA_WITH_AES_256_CCM_8, TLSKEYS_CCM, NULL, 0, 32, 0, 8, 1, 0 },
	/* ECDHE and static ECDH: the record layer does not care who agreed on the secret */
	{ BR_TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA, TLSKEYS_CBC, S1, 20, 24, 8, 0, 0, 0 },
	{ BR_TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, TLSKEYS_CBC, S1, 20, 24, 8, 0, 0, 0 },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, TLSKEYS_CBC, S1, 20, 16, 16, 0, 0, 0 },
	{ BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TLSKEYS_CBC, S1, 20, 16, 16, 0, 0, 0 },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, TLSKEYS_CBC, S1, 20, 32, 16, 0, 0, 0 },
	{ BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, TLSKEYS_CBC, S1, 20, 32, 16, 0, 0, 0 },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, TLSKEYS_CBC, S256, 32, 16, 16, 0, 1, 0 },
	{ BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, TLSKEYS_CBC, S256, 32, 16, 16, 0, 1, 0 },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, TLSKEYS_CBC, S384, 48, 32, 16, 0, 1, 1 },
	{ BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, TLSKEYS_CBC, S384, 48, 32, 16, 0, 1, 1 },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLSKEYS_GCM, NULL, 0, 16, 0, 16, 1, 0 },
	{ BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLSKEYS_GCM, NULL, 0, 16, 0, 16, 1, 0 },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLSKEYS_GCM, NULL, 0, 32, 0, 16, 1, 1 },
	{ BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLSKEYS_GCM, NULL, 0, 32, 0, 16, 1, 1 },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_CCM, TLSKEYS_CCM, NULL, 0, 16, 0, 16, 1, 0 },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_CCM, TLSKEYS_CCM, NULL, 0, 32, 0, 16, 1, 0 },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, TLSKEYS_CCM, NULL, 0, 16, 0, 8, 1, 0 },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8, TLSKEYS_CCM, NULL, 0, 32, 0, 8, 1, 0 },
	{ BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, TLSKEYS_CHAPOL, NULL, 0, 32, 0, 16, 1, 0 },
	{ BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TLSKEYS_CHAPOL, NULL, 0, 32, 0, 16, 1, 0 },
	{ BR_TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA, TLSKEYS_CBC, S1, 20, 16, 16, 0, 0, 0 },
	{ BR_TLS_ECDH_RSA_WITH_AES_128_CBC_SHA, TLSKEYS_CBC, S1, 20, 16, 16, 0, 0, 0 },
	{ BR_TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA, TLSKEYS_CBC, S1, 20, 32, 16, 0, 0, 0 },
	{ BR_TLS_ECDH_RSA_WITH_AES_256_CBC_SHA, TLSKEYS_CBC, S1, 20, 32, 16, 0, 0, 0 },
	{ BR_TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256, TLSKEYS_GCM, NULL, 0, 16, 0, 16, 1, 0 },
	{ BR_TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256, TLSKEYS_GCM, NULL, 0, 16, 0, 16, 1, 0 },
	{ BR_TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384, TLSKEYS_GCM, NULL, 0, 32, 0, 16, 1, 1 },
	{ BR_TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384, TLSKEYS_GCM, NULL, 0, 32, 0, 16, 1, 1 },
};

const struct tlskeys_suite *tlskeys_suite(unsigned id)
{
	for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
		if (suites[i].id == id)
			return &suites[i];
	return NULL;
}

void tlskeys_layout(const struct tlskeys_suite *ss, unsigned version, size_t *mac, size_t *key, size_t *iv)
{
	*mac = ss->mac_len;
	*key = ss->key_len;
	switch (ss->mode) {
	case TLSKEYS_CBC: *iv = version < BR_TLS12 ? ss->block : 0; break;
	case TLSKEYS_CHAPOL: *iv = 12; break;
	default: *iv = 4; break;
	}
}

void tlskeys_prf(unsigned version, const struct tlskeys_suite *ss, uint8_t *dst, size_t len, const uint8_t *secret,
		 size_t slen, const char *label, const uint8_t seed1[32], const uint8_t seed2[32])
{
	br_tls_prf_seed_chunk seed[2] = { { seed1, 32 }, { seed2, 32 } };
	if (version < BR_TLS12)
		br_tls10_prf(dst, len, secret, slen, label, 2, seed);
	else if (ss && ss->prf384)
		br_tls12_sha384_prf(dst, len, secret, slen, label, 2, seed);
	else
		br_tls12_sha256_prf(dst, len, secret, slen, label, 2, seed);
}

const char *tlskeys_prf_name(unsigned version, const struct tlskeys_suite *ss)
{
	if (version < BR_TLS12)
		return "TLS 1.0 PRF (P_MD5 xor P_SHA1, RFC 2246 section 5)";
	return ss && ss->prf384 ? "TLS 1.2 PRF (P_SHA384, RFC 5246 section 5)"
				: "TLS 1.2 PRF (P_SHA256, RFC 5246 section 5)";
}

void tlskeys_rec_in_init(union tlskeys_rec_in *u, const struct tlskeys_suite *ss, unsigned version,
			 const uint8_t *kb, int up)
{
	size_t m, k, v;
	tlskeys_layout(ss, version, &m, &k, &v);
	const uint8_t *mac = kb + (up ? 0 : m);
	const uint8_t *key = kb + 2 * m + (up ? 0 : k);
	const uint8_t *iv = kb + 2 * m + 2 * k + (up ? 0 : v);
	memset(u, 0, sizeof *u);
	switch (ss->mode) {
	case TLSKEYS_CBC:
		br_sslrec_in_cbc_vtable.init(&u->cbc.vtable,
					     ss->block == 8 ? &br_des_ct_cbcdec_vtable : &br_aes_ct_cbcdec_vtable,
					     key, k, ss->mac, mac, m, m,
					     /* NULL: explicit per-record IVs (TLS 1.1+) */
					     version == BR_TLS10 ? iv : NULL);
		break;
	case TLSKEYS_GCM:
		br_sslrec_in_gcm_vtable.init(&u->gcm.vtable.in, &br_aes_ct_ctr_vtable, key, k, br_ghash_ctmul, iv);
		break;
	case TLSKEYS_CCM:
		br_sslrec_in_ccm_vtable.init(&u->ccm.vtable.in, &br_aes_ct_ctrcbc_vtable, key, k, iv, ss->tag_len);
		break;
	case TLSKEYS_CHAPOL:
		br_sslrec_in_chapol_vtable.init(&u->chapol.vtable.in, br_chacha20_ct_run, br_poly1305_ctmul_run, key,
						iv);
		break;
	}
}

void tlskeys_rec_in_seek(union tlskeys_rec_in *u, const struct tlskeys_suite *ss, uint64_t seq,
			 const uint8_t *cbc_iv)
{
	switch (ss->mode) {
	case TLSKEYS_CBC:
		u->cbc.seq = seq;
		if (cbc_iv && !u->cbc.explicit_IV)
			memcpy(u->cbc.iv, cbc_iv, ss->block);
		break;
	case TLSKEYS_GCM: u->gcm.seq = seq; break;
	case TLSKEYS_CCM: u->ccm.seq = seq; break;
	case TLSKEYS_CHAPOL: u->chapol.seq = seq; break;
	}
}

/* ---- TLS 1.3 ---- */

static const struct tls13_suite suites13[] = {
	{ 0x1301, &br_sha256_vtable, 32, 16, 0 }, /* TLS_AES_128_GCM_SHA256 */
	{ 0x1302, &br_sha384_vtable, 48, 32, 0 }, /* TLS_AES_256_GCM_SHA384 */
	{ 0x1303, &br_sha256_vtable, 32, 32, 1 }, /* TLS_CHACHA20_POLY1305_SHA256 */
};

const struct tls13_suite *tls13_suite(unsigned id)
{
	for (size_t i = 0; i < sizeof suites13 / sizeof suites13[0]; i++)
		if (suites13[i].id == id)
			return &suites13[i];
	return NULL;
}

void tls13_expand_label(const br_hash_class *hash, const uint8_t *secret, size_t slen, const char *label,
			const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t len)
{
	uint8_t info[2 + 1 + 255 + 1 + 255];
	size_t ll = 6 + strlen(label), n = 0;
	if (ll > 255)
		ll = 255;
	if (ctx_len > 255)
		ctx_len = 255;
	info[n++] = (uint8_t)(len >> 8);
	info[n++] = (uint8_t)len;
	info[n++] = (uint8_t)ll;
	memcpy(info + n, "tls13 ", 6);
	memcpy(info + n + 6, label, ll - 6);
	n += ll;
	info[n++] = (uint8_t)ctx_len;
	if (ctx_len)
		memcpy(info + n, ctx, ctx_len);
	n += ctx_len;
	/* HKDF-Expand (RFC 5869 §2.3): T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i). */
	br_hmac_key_context kc;
	br_hmac_key_init(&kc, hash, secret, slen);
	size_t hl = (hash->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK, done = 0;
	uint8_t t[64];
	for (unsigned i = 1; done < len; i++) {
		br_hmac_context hc;
		br_hmac_init(&hc, &kc, 0);
		if (i > 1)
			br_hmac_update(&hc, t, hl);
		br_hmac_update(&hc, info, n);
		uint8_t c = (uint8_t)i;
		br_hmac_update(&hc, &c, 1);
		br_hmac_out(&hc, t);
		size_t k = len - done < hl ? len - done : hl;
		memcpy(out + done, t, k);
		done += k;
	}
}

void tls13_traffic_keys(const struct tls13_suite *ss, const uint8_t *secret, uint8_t *key, uint8_t iv[12])
{
	tls13_expand_label(ss->hash, secret, ss->hash_len, "key", NULL, 0, key, ss->key_len);
	tls13_expand_label(ss->hash, secret, ss->hash_len, "iv", NULL, 0, iv, 12);
}

int tls13_open(const struct tls13_suite *ss, const uint8_t *key, const uint8_t iv[12], uint64_t seq,
	       const uint8_t *rec, size_t n, uint8_t *out, size_t *out_len, uint8_t *inner_type)
{
	if (n < 5 + 16 + 1)
		return -1;
	uint8_t nonce[12];
	memcpy(nonce, iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
	size_t clen = n - 5 - 16;
	memcpy(out, rec + 5, clen);
	const uint8_t *tag = rec + 5 + clen;
	int ok;
	if (ss->chacha) {
		uint8_t calc[16];
		br_poly1305_ctmul_run(key, nonce, out, clen, rec, 5, calc, br_chacha20_ct_run, 0);
		ok = !memcmp(calc, tag, 16);
	} else {
		br_aes_ct_ctr_keys bc;
		br_gcm_context gc;
		br_aes_ct_ctr_init(&bc, key, ss->key_len);
		br_gcm_init(&gc, &bc.vtable, br_ghash_ctmul64);
		br_gcm_reset(&gc, nonce, 12);
		br_gcm_aad_inject(&gc, rec, 5);
		br_gcm_flip(&gc);
		br_gcm_run(&gc, 0, out, clen);
		ok = br_gcm_check_tag(&gc, tag) == 1;
	}
	if (!ok)
		return -1;
	/* TLSInnerPlaintext: content ‖ type ‖ zeros (RFC 8446 §5.2) */
	while (clen && out[clen - 1] == 0)
		clen--;
	if (!clen)
		return -1; /* no non-zero type: the peer must treat it as unexpected_message */
	*inner_type = out[clen - 1];
	*out_len = clen - 1;
	return 0;
}
