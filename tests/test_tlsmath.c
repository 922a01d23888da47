/* test_tlsmath: the math view's numbers on real runs, checked against what the trace
 * itself holds and against BearSSL's primitives called directly here (not through the
 * record classes tlsmath uses): the plaintext the math gives is the trace's, the key
 * block and the master secret follow from the PRF, the server random is the ServerHello's,
 * the GCM and ChaCha20 nonce and additional data open the record with the AEAD alone,
 * the CBC MAC is HMAC over the header shown and the plaintext, and the sequence numbers
 * count from 0 after each direction's ChangeCipherSpec. */
#include "testrun.h"

#include <stdio.h>

#include "sim/decode/decode.h"
#include "sim/run/run.h"
#include "sim/run/scenario.h"
#include "sim/trace/tlsmath.h"

static const char *dir_of(int sessions)
{
	static char buf[512];
	if (!sessions)
		return test_scenarios_dir();
	const char *d = getenv("SMTPS_TESTDATA");
	snprintf(buf, sizeof buf, "%s/sessions", d && *d ? d : "tests/data");
	return buf;
}

static void run_file(const char *file, int sessions, struct scenario *s, struct run_result *r)
{
	char path[600], err[1024] = "";
	snprintf(path, sizeof path, "%s/%s", dir_of(sessions), file);
	if (scenario_load(path, test_load_opts(), s, err, sizeof err))
		fail_msg("%s did not load: %s", path, err);
	struct run_options opt = { 0 };
	if (test_run_scenario(s, &opt, r, err, sizeof err))
		fail_msg("%s did not run: %s", path, err);
}

/* The TLS 1.2 PRF written out from HMAC (RFC 5246 §5), or BearSSL's 1.0 PRF. */
static void p_hash(const br_hash_class *h, const uint8_t *secret, size_t slen, const char *label,
		   const uint8_t *seed, size_t seedlen, uint8_t *out, size_t outlen)
{
	uint8_t ls[128], a[64], t[64];
	size_t ll = strlen(label), hl = (h->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK;
	memcpy(ls, label, ll);
	memcpy(ls + ll, seed, seedlen);
	br_hmac_key_context kc;
	br_hmac_context hc;
	br_hmac_key_init(&kc, h, secret, slen);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, ls, ll + seedlen); /* A(1) */
	br_hmac_out(&hc, a);
	for (size_t done = 0; done < outlen; done += hl) {
		br_hmac_init(&hc, &kc, 0);
		br_hmac_update(&hc, a, hl);
		br_hmac_update(&hc, ls, ll + seedlen);
		br_hmac_out(&hc, t);
		memcpy(out + done, t, outlen - done < hl ? outlen - done : hl);
		br_hmac_init(&hc, &kc, 0);
		br_hmac_update(&hc, a, hl);
		br_hmac_out(&hc, a);
	}
}

static void prf(const struct tlsmath_keys *k, const uint8_t *secret, const char *label, const uint8_t *seed,
		uint8_t *out, size_t outlen)
{
	if (k->version < BR_TLS12) {
		br_tls_prf_seed_chunk c = { seed, 64 };
		br_tls10_prf(out, outlen, secret, 48, label, 1, &c);
	} else {
		p_hash(k->ss->prf384 ? &br_sha384_vtable : &br_sha256_vtable, secret, 48, label, seed, 64, out, outlen);
	}
}

/* The ServerHello's random on any link of session s. */
static const uint8_t *server_hello_random(const struct trace *t, size_t si)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if (e->kind == TK_HANDSHAKE && e->subtype == TLS_HS_SERVER_HELLO && e->wire_stored >= 38 &&
		    (t->sessions[si].links >> e->link & 1) && tlsmath_session_of(t, i) == (int)si)
			return e->wire + 6;
	}
	return NULL;
}

struct tally {
	size_t records, matched, aead_checked, cbc_checked, finished;
};

static void check_aead(const struct tlsmath_keys *k, const struct trace_event *e, const struct tlsmath_record *r)
{
	size_t klen;
	const uint8_t *key = tlsmath_part(k, r->up ? TLSMATH_CLIENT_KEY : TLSMATH_SERVER_KEY, &klen);
	assert_non_null(key);
	uint8_t *ct = malloc(r->ct_len + 1);
	assert_non_null(ct);
	memcpy(ct, e->wire + r->ct_off, r->ct_len);
	/* the AAD's length field is the plaintext's length */
	assert_int_equal((size_t)r->aad[11] << 8 | r->aad[12], r->ct_len);
	assert_int_equal(r->ct_len, r->plain_len);
	if (r->mode == TLSKEYS_GCM) {
		br_aes_ct_ctr_keys aes;
		br_aes_ct_ctr_init(&aes, key, klen);
		br_gcm_context g;
		br_gcm_init(&g, &aes.vtable, br_ghash_ctmul);
		br_gcm_reset(&g, r->nonce, 12);
		br_gcm_aad_inject(&g, r->aad, 13);
		br_gcm_flip(&g);
		br_gcm_run(&g, 0, ct, r->ct_len);
		assert_true(br_gcm_check_tag(&g, e->wire + r->tag_off));
	} else if (r->mode == TLSKEYS_CHAPOL) {
		uint8_t tag[16];
		br_poly1305_ctmul_run(key, r->nonce, ct, r->ct_len, r->aad, 13, tag, br_chacha20_ct_run, 0);
		assert_memory_equal(tag, e->wire + r->tag_off, 16);
	} else {
		free(ct);
		return;
	}
	assert_memory_equal(ct, r->plain, r->plain_len);
	free(ct);
}

static void check_cbc(const struct tlsmath_keys *k, const struct trace_event *e, const struct tlsmath_record *r)
{
	size_t mlen, klen;
	const uint8_t *mk = tlsmath_part(k, r->up ? TLSMATH_CLIENT_MAC_KEY : TLSMATH_SERVER_MAC_KEY, &mlen);
	const uint8_t *key = tlsmath_part(k, r->up ? TLSMATH_CLIENT_KEY : TLSMATH_SERVER_KEY, &klen);
	assert_non_null(mk);
	assert_int_equal(mlen, r->mac_len);
	/* MAC = HMAC(MAC key, seq ‖ type ‖ version ‖ length ‖ plaintext) */
	br_hmac_key_context kc;
	br_hmac_context hc;
	uint8_t mac[64];
	br_hmac_key_init(&kc, k->ss->mac, mk, mlen);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, r->mac_header, 13);
	br_hmac_update(&hc, r->plain, r->plain_len);
	br_hmac_out(&hc, mac);
	assert_memory_equal(mac, r->mac, mlen);
	/* AES-CBC with the IV shown: plaintext ‖ MAC ‖ padding, each padding byte = pad_len - 1 */
	assert_int_equal(r->plain_len + r->mac_len + r->pad_len, r->ct_len);
	assert_int_equal(k->ss->block, 16);
	uint8_t *pt = malloc(r->ct_len), iv[16];
	assert_non_null(pt);
	memcpy(pt, e->wire + r->ct_off, r->ct_len);
	memcpy(iv, r->iv, 16);
	br_aes_ct_cbcdec_keys aes;
	br_aes_ct_cbcdec_init(&aes, key, klen);
	br_aes_ct_cbcdec_run(&aes, iv, pt, r->ct_len);
	assert_memory_equal(pt, r->plain, r->plain_len);
	for (size_t i = r->ct_len - r->pad_len; i < r->ct_len; i++)
		assert_int_equal(pt[i], r->pad_len - 1);
	free(pt);
}

/* Every protected record of the run: the math opens it, to the trace's plaintext. */
static void check_run(const struct trace *t, struct tally *y, int want_pm, unsigned want_mode)
{
	assert_true(t->nsessions > 0);
	for (size_t si = 0; si < t->nsessions; si++) {
		const struct trace_tls_session *s = &t->sessions[si];
		struct tlsmath_keys k;
		assert_int_equal(tlsmath_keys(s, &k), 0);
		assert_true(k.ok);
		assert_int_equal(k.ss->mode, want_mode);
		assert_int_equal(k.premaster_state, want_pm);
		/* the server random the engines reported is the ServerHello's on the wire */
		const uint8_t *sr = server_hello_random(t, si);
		assert_non_null(sr);
		assert_memory_equal(sr, s->server_random, 32);
		/* seeds: client ‖ server for the master secret, server ‖ client for the key block */
		assert_memory_equal(k.ms_seed, s->client_random, 32);
		assert_memory_equal(k.kb_seed, s->server_random, 32);
		uint8_t kb[TLSMATH_KEY_BLOCK_MAX];
		prf(&k, k.master_secret, "key expansion", k.kb_seed, kb, k.key_block_len);
		assert_memory_equal(kb, k.key_block, k.key_block_len);
		if (want_pm == TLSMATH_PM_KNOWN) {
			uint8_t ms[48];
			assert_int_equal(k.premaster_len, 48);
			assert_int_equal(k.premaster[0], 3); /* ClientHello.client_version */
			prf(&k, k.premaster, "master secret", k.ms_seed, ms, 48);
			assert_memory_equal(ms, s->master_secret, 48);
		} else {
			assert_int_equal(k.premaster_len, 0);
		}
		size_t parts = 0;
		for (int p = 0; p < TLSMATH_NPARTS; p++) {
			size_t n;
			tlsmath_part(&k, (enum tlsmath_part)p, &n);
			parts += n;
		}
		assert_int_equal(parts, k.key_block_len);

		uint64_t next[3][2] = { { 0 } };
		for (size_t i = 0; i < t->n; i++) {
			const struct trace_event *e = &t->ev[i];
			if (!tlsmath_is_protected(t, i) || tlsmath_session_of(t, i) != (int)si)
				continue;
			struct tlsmath_record r;
			int rc = tlsmath_record(t, i, &k, &r);
			if (rc)
				fail_msg("record %zu: %s", i, r.why);
			y->records++;
			/* seq counts each direction's protected records from 0 */
			assert_int_equal(r.seq, next[e->link][r.up]);
			next[e->link][r.up]++;
			if (r.seq == 0) {
				assert_int_equal(r.type, TLS_CT_HANDSHAKE); /* the Finished */
				assert_int_equal(r.plain_len, 16);
				assert_int_equal(r.plain[0], TLS_HS_FINISHED);
				y->finished++;
			}
			assert_int_not_equal(r.matches_trace, 0);
			if (r.matches_trace == 1)
				y->matched++;
			if (r.mode == TLSKEYS_CBC) {
				check_cbc(&k, e, &r);
				y->cbc_checked++;
			} else {
				check_aead(&k, e, &r);
				y->aead_checked++;
			}
			tlsmath_record_free(&r);
		}
	}
}

static void run_case(const char *file, int sessions, int want_pm, unsigned want_mode)
{
	struct scenario s;
	struct run_result r;
	run_file(file, sessions, &s, &r);
	struct tally y = { 0 };
	check_run(&r.trace, &y, want_pm, want_mode);
	assert_true(y.records >= 4);
	assert_true(y.finished >= 2);
	assert_true(y.matched >= 2); /* the trace holds plaintext to compare for most records */
	if (want_mode == TLSKEYS_CBC)
		assert_int_equal(y.cbc_checked, y.records);
	else
		assert_int_equal(y.aead_checked, y.records);
	run_result_free(&r);
	scenario_free(&s);
}

static void test_starttls_ecdhe_gcm(void **st)
{
	(void)st;
	run_case("starttls.ini", 0, TLSMATH_PM_EPHEMERAL, TLSKEYS_GCM);
}

static void test_static_rsa_gcm(void **st)
{
	(void)st;
	run_case("forward-secrecy-rsa.ini", 0, TLSMATH_PM_KNOWN, TLSKEYS_GCM);
}

static void test_tls10_cbc(void **st)
{
	(void)st;
	run_case("tls10-cbc-starttls.ini", 1, TLSMATH_PM_EPHEMERAL, TLSKEYS_CBC);
}

static void test_tls12_rsa_cbc(void **st)
{
	(void)st;
	run_case("tls12-rsa-cbc-starttls.ini", 1, TLSMATH_PM_KNOWN, TLSKEYS_CBC);
}

static void test_chacha20(void **st)
{
	(void)st;
	run_case("tls12-chacha-starttls.ini", 1, TLSMATH_PM_EPHEMERAL, TLSKEYS_CHAPOL);
}

static void test_relayed(void **st)
{
	(void)st;
	run_case("relay-starttls.ini", 1, TLSMATH_PM_EPHEMERAL, TLSKEYS_GCM);
}

/* A record the attacker changed does not open, and says why; the math stays honest. */
static void test_tampered(void **st)
{
	(void)st;
	struct scenario s;
	struct run_result r;
	run_file("tamper-record.ini", 0, &s, &r);
	const struct trace *t = &r.trace;
	size_t failed = 0, opened = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (!tlsmath_is_protected(t, i))
			continue;
		struct tlsmath_record m;
		if (tlsmath_record(t, i, NULL, &m) == 0)
			opened++;
		else {
			assert_non_null(m.why);
			failed++;
		}
		tlsmath_record_free(&m);
	}
	assert_true(opened > 0);
	assert_true(failed > 0);
	run_result_free(&r);
	scenario_free(&s);
}

/* Not a protected record: refused with a reason. */
static void test_not_protected(void **st)
{
	(void)st;
	struct scenario s;
	struct run_result r;
	run_file("starttls.ini", 0, &s, &r);
	struct tlsmath_record m;
	assert_int_equal(tlsmath_record(&r.trace, 0, NULL, &m), -1);
	assert_non_null(m.why);
	tlsmath_record_free(&m);
	run_result_free(&r);
	scenario_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starttls_ecdhe_gcm), cmocka_unit_test(test_static_rsa_gcm),
		cmocka_unit_test(test_tls10_cbc),          cmocka_unit_test(test_tls12_rsa_cbc),
		cmocka_unit_test(test_chacha20),           cmocka_unit_test(test_relayed),
		cmocka_unit_test(test_tampered),           cmocka_unit_test(test_not_protected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
