/* test_dane: RFC 7672 against the demo PKI. The expected association data below was
 * computed outside this code, with openssl:
 *   openssl x509 -in F.pem -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum
 *   openssl x509 -in F.pem -outform DER | sha256sum
 * so the SPKI walk and the hashing are checked against an independent tool. DANE-EE
 * pins the server's key and ignores names and dates; the attacker's and the inspection
 * appliance's certificates do not match it. DANE-TA pins the demo CA and still checks
 * the name, the date and the signature; unauthenticated records are ignored. */
#include "tests/testutil.h"

#include <stdio.h>

#include "sim/wire/dane.h"
#include "sim/wire/pki.h"

#define T_2026 1780000000u /* 2026-05-28, inside every non-expired certificate */
#define T_2015 1433116800u /* 2015-06-01, inside expired.pem's year */
#define MX "mail.example.test"

/* openssl, see above */
static const char SERVER_ECDSA_SPKI256[] = "3d320b5f6bbb94741ca55f1ff93c7ed9e763e53ea62526c3a91d7556731ede55";
static const char SERVER_ECDSA_CERT256[] = "6e9953f8fe602723cf6f7b620958c09218c686f24ac85b756f4a719a8271217d";
static const char SERVER_ECDSA_SPKI512[] =
	"0592bf5acea77c76d210db4be21d66d169d00eaae698b4c64983c3b13a5049ac"
	"767459ae6f1f9213baeaf99e0b00532d2a8652a24f827e28be4afd3319a1d15e";
static const char SERVER_RSA_SPKI256[] = "cdcd3faffe7910d87069f1cbaf56ec21bcb7ba0cc3d1a50d8710e04fd625d642";
static const char DEMO_CA_SPKI256[] = "b794c8a1f88f220fff05310925819eb408c791bd1d183476eb24c9f4357fc9a0";
static const char DEMO_CA_CERT256[] = "fee30d54861efd8e96a6fd50ec09b1e004ff9dd470b149c52823be92c24e6e4b";
static const char INSPECTION_CA_SPKI256[] = "e2e84d81772fd68af1cc5fad3ef8095df4a73a1165b5a913352fb02bbdf4ae0e";
static const char ATTACKER_SPKI256[] = "99937dc9662ac9724e92b43ebb59f3b4d122077955b7be3222fe0ae03e1fc917";
static const char INSPECTION_LEAF_SPKI256[] = "ffad655f34c0ce696d4637156e921d9f9cc6608b92548e6e2ee74de4955b35d4";

static struct pki_chain server_ecdsa, server_rsa, demo_ca, attacker, inspection_leaf,
	inspection_ca, other_host, expired;

static void load(const char *stem, struct pki_chain *c)
{
	char path[512], err[256] = "";
	snprintf(path, sizeof path, "%s/certs/%s.pem", test_scenarios_dir(), stem);
	if (pki_load_chain(path, c, err, sizeof err) != 0)
		fail_msg("%s", err);
}

static int setup(void **state)
{
	(void)state;
	load("server-ecdsa", &server_ecdsa);
	load("server-rsa", &server_rsa);
	load("demo-ca", &demo_ca);
	load("attacker-selfsigned", &attacker);
	load("inspection-leaf", &inspection_leaf);
	load("inspection-ca", &inspection_ca);
	load("other-host", &other_host);
	load("expired", &expired);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	struct pki_chain *all[] = {&server_ecdsa, &server_rsa, &demo_ca, &attacker,
				   &inspection_leaf, &inspection_ca, &other_host, &expired};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		pki_chain_free(all[i]);
	return 0;
}

/* hex -> bytes into a static slot (a few records alive at once) */
static const unsigned char *unhex(const char *h, size_t *n)
{
	static unsigned char slot[8][64];
	static int k;
	k = (k + 1) % 8;
	size_t len = strlen(h) / 2;
	assert_true(len <= sizeof slot[k]);
	for (size_t i = 0; i < len; i++) {
		unsigned v;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		slot[k][i] = (unsigned char)v;
	}
	*n = len;
	return slot[k];
}

static struct dane_tlsa rec(uint8_t u, uint8_t s, uint8_t m, const char *hex)
{
	struct dane_tlsa r = {u, s, m, NULL, 0};
	r.data = unhex(hex, &r.len);
	return r;
}

/* leaf first, then issuers */
static const br_x509_certificate *chain2(const struct pki_chain *leaf, const struct pki_chain *ca)
{
	static br_x509_certificate c[2];
	c[0] = leaf->certs[0];
	c[1] = ca->certs[0];
	return c;
}

static enum dane_status verify(const struct dane_tlsa *rr, size_t nrr, bool auth,
			       const br_x509_certificate *chain, size_t n, const char *host,
			       uint64_t now, struct dane_result *res)
{
	struct dane_rrset rs = {rr, nrr, auth};
	enum dane_status s = dane_verify(&rs, chain, n, host, now, res);
	assert_int_equal(s, res->status);
	assert_non_null(memchr(res->why, '\0', sizeof res->why));
	return s;
}

static void test_spki_and_association(void **state)
{
	(void)state;
	const unsigned char *spki;
	size_t spki_len, n;
	assert_int_equal(dane_cert_spki(server_ecdsa.certs[0].data, server_ecdsa.certs[0].data_len,
					&spki, &spki_len), 0);
	assert_int_equal(spki_len, 91); /* a P-256 SubjectPublicKeyInfo */
	assert_int_equal(spki[0], 0x30);

	unsigned char out[512];
	const unsigned char *want = unhex(SERVER_ECDSA_SPKI256, &n);
	const br_x509_certificate *c = &server_ecdsa.certs[0];
	assert_int_equal(dane_association(1, 1, c->data, c->data_len, out, sizeof out), 32);
	assert_memory_equal(out, want, 32);
	want = unhex(SERVER_ECDSA_CERT256, &n);
	assert_int_equal(dane_association(0, 1, c->data, c->data_len, out, sizeof out), 32);
	assert_memory_equal(out, want, 32);
	want = unhex(SERVER_ECDSA_SPKI512, &n);
	assert_int_equal(dane_association(1, 2, c->data, c->data_len, out, sizeof out), 64);
	assert_memory_equal(out, want, 64);
	assert_int_equal(dane_association(1, 0, c->data, c->data_len, out, sizeof out), 91);
	assert_memory_equal(out, spki, 91);
	assert_int_equal(dane_association(0, 0, c->data, c->data_len, out, sizeof out), (int)c->data_len);

	/* the RSA certificate and the CA too, so the walk is not tuned to one layout */
	want = unhex(SERVER_RSA_SPKI256, &n);
	assert_int_equal(dane_association(1, 1, server_rsa.certs[0].data, server_rsa.certs[0].data_len, out, sizeof out), 32);
	assert_memory_equal(out, want, 32);
	want = unhex(DEMO_CA_SPKI256, &n);
	assert_int_equal(dane_association(1, 1, demo_ca.certs[0].data, demo_ca.certs[0].data_len, out, sizeof out), 32);
	assert_memory_equal(out, want, 32);

	/* bad parameters and small buffers */
	assert_int_equal(dane_association(2, 1, c->data, c->data_len, out, sizeof out), -1);
	assert_int_equal(dane_association(1, 3, c->data, c->data_len, out, sizeof out), -1);
	assert_int_equal(dane_association(1, 1, c->data, c->data_len, out, 31), -1);
	assert_int_equal(dane_association(0, 0, c->data, c->data_len, out, 10), -1);
}

/* Every truncation and a sweep of single-byte corruptions of a real certificate: the
 * walk either finds an SPKI inside the bytes or says no, never reads outside them. */
static void test_spki_fuzz_safe(void **state)
{
	(void)state;
	const br_x509_certificate *c = &server_rsa.certs[0];
	const unsigned char *spki;
	size_t spki_len;
	for (size_t len = 0; len < c->data_len; len++) {
		unsigned char *copy = malloc(len ? len : 1);
		memcpy(copy, c->data, len);
		if (dane_cert_spki(copy, len, &spki, &spki_len) == 0)
			fail_msg("a certificate cut to %zu bytes still parsed", len);
		free(copy);
	}
	unsigned char *copy = malloc(c->data_len);
	for (size_t i = 0; i < 64 && i < c->data_len; i++) {
		for (unsigned v = 0; v < 256; v += 17) {
			memcpy(copy, c->data, c->data_len);
			copy[i] = (unsigned char)v;
			if (dane_cert_spki(copy, c->data_len, &spki, &spki_len) == 0)
				assert_true(spki >= copy && spki + spki_len <= copy + c->data_len);
		}
	}
	free(copy);
	static const unsigned char huge[] = {0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30, 0x00};
	assert_int_equal(dane_cert_spki(huge, sizeof huge, &spki, &spki_len), -1);
	static const unsigned char longtag[] = {0x3f, 0x01, 0x00};
	assert_int_equal(dane_cert_spki(longtag, sizeof longtag, &spki, &spki_len), -1);
	static const unsigned char indefinite[] = {0x30, 0x80, 0x00, 0x00};
	assert_int_equal(dane_cert_spki(indefinite, sizeof indefinite, &spki, &spki_len), -1);
}

static void test_dane_ee(void **state)
{
	(void)state;
	struct dane_result res;
	struct dane_tlsa r311 = rec(3, 1, 1, SERVER_ECDSA_SPKI256);
	const br_x509_certificate *leaf = &server_ecdsa.certs[0];

	assert_int_equal(verify(&r311, 1, true, leaf, 1, MX, T_2026, &res), DANE_MATCH);
	assert_int_equal(res.record, 0);
	assert_int_equal(res.cert, 0);
	assert_non_null(strstr(res.why, "DANE-EE"));

	/* the attacker's self-signed certificate and the inspection appliance's leaf carry
	 * the right name but another key: no match, whatever CA a client trusts */
	assert_int_equal(verify(&r311, 1, true, attacker.certs, 1, MX, T_2026, &res), DANE_NO_MATCH);
	assert_string_equal(res.why, "no TLSA record matches the presented certificate chain or its key");
	assert_int_equal(res.record, -1);
	assert_int_equal(verify(&r311, 1, true, chain2(&inspection_leaf, &inspection_ca), 2, MX, T_2026, &res),
			 DANE_NO_MATCH);
	/* the attacker's own records would of course match the attacker: DNSSEC is what
	 * keeps them out of the answer */
	struct dane_tlsa forged[] = {rec(3, 1, 1, ATTACKER_SPKI256), rec(3, 1, 1, INSPECTION_LEAF_SPKI256)};
	assert_int_equal(verify(forged, 2, true, attacker.certs, 1, MX, T_2026, &res), DANE_MATCH);
	assert_int_equal(verify(forged, 2, false, attacker.certs, 1, MX, T_2026, &res), DANE_NONE);

	/* 3 0 1, 3 1 2, 3 1 0 on the same key */
	struct dane_tlsa r301 = rec(3, 0, 1, SERVER_ECDSA_CERT256);
	assert_int_equal(verify(&r301, 1, true, leaf, 1, MX, T_2026, &res), DANE_MATCH);
	struct dane_tlsa r312 = rec(3, 1, 2, SERVER_ECDSA_SPKI512);
	assert_int_equal(verify(&r312, 1, true, leaf, 1, MX, T_2026, &res), DANE_MATCH);
	struct dane_tlsa r310 = {3, 1, 0, NULL, 0};
	assert_int_equal(dane_cert_spki(leaf->data, leaf->data_len, &r310.data, &r310.len), 0);
	assert_int_equal(verify(&r310, 1, true, leaf, 1, MX, T_2026, &res), DANE_MATCH);
	/* another certificate (the RSA server's) matches none of them */
	assert_int_equal(verify(&r301, 1, true, server_rsa.certs, 1, MX, T_2026, &res), DANE_NO_MATCH);

	/* DANE-EE ignores the name and the dates (RFC 7672 3.1.1) */
	unsigned char d[32];
	struct dane_tlsa other = {3, 1, 1, d, 32};
	assert_int_equal(dane_association(1, 1, other_host.certs[0].data, other_host.certs[0].data_len, d, 32), 32);
	assert_int_equal(verify(&other, 1, true, other_host.certs, 1, MX, T_2026, &res), DANE_MATCH);
	unsigned char d2[32];
	struct dane_tlsa old = {3, 0, 1, d2, 32};
	assert_int_equal(dane_association(0, 1, expired.certs[0].data, expired.certs[0].data_len, d2, 32), 32);
	assert_int_equal(verify(&old, 1, true, expired.certs, 1, MX, T_2026, &res), DANE_MATCH);

	/* only the leaf counts for DANE-EE: pinning the CA's key as EE matches nothing */
	struct dane_tlsa ca_as_ee = rec(3, 1, 1, DEMO_CA_SPKI256);
	assert_int_equal(verify(&ca_as_ee, 1, true, chain2(&server_ecdsa, &demo_ca), 2, MX, T_2026, &res),
			 DANE_NO_MATCH);
}

static void test_dane_ta(void **state)
{
	(void)state;
	struct dane_result res;
	struct dane_tlsa r211 = rec(2, 1, 1, DEMO_CA_SPKI256);

	/* the demo CA in the chain, the right name */
	assert_int_equal(verify(&r211, 1, true, chain2(&server_ecdsa, &demo_ca), 2, MX, T_2026, &res), DANE_MATCH);
	assert_int_equal(res.record, 0);
	assert_int_equal(res.cert, 1);
	assert_non_null(strstr(res.why, "DANE-TA"));
	/* an RSA leaf under the same EC CA; 2 0 1 pins the CA certificate itself */
	assert_int_equal(verify(&r211, 1, true, chain2(&server_rsa, &demo_ca), 2, MX, T_2026, &res), DANE_MATCH);
	struct dane_tlsa r201 = rec(2, 0, 1, DEMO_CA_CERT256);
	assert_int_equal(verify(&r201, 1, true, chain2(&server_ecdsa, &demo_ca), 2, MX, T_2026, &res), DANE_MATCH);

	/* the name is checked for DANE-TA (RFC 7672 3.1.2): other-host.pem is for
	 * other.example.test */
	assert_int_equal(verify(&r211, 1, true, chain2(&other_host, &demo_ca), 2, MX, T_2026, &res), DANE_NO_MATCH);
	assert_int_equal(res.br_err, BR_ERR_X509_BAD_SERVER_NAME);
	assert_int_equal(res.record, 0);
	assert_int_equal(res.cert, 1);
	assert_non_null(strstr(res.why, "BR_ERR_X509_BAD_SERVER_NAME"));
	assert_int_equal(verify(&r211, 1, true, chain2(&other_host, &demo_ca), 2, "other.example.test", T_2026, &res),
			 DANE_MATCH);
	/* and the dates */
	assert_int_equal(verify(&r211, 1, true, chain2(&expired, &demo_ca), 2, MX, T_2026, &res), DANE_NO_MATCH);
	assert_int_equal(res.br_err, BR_ERR_X509_EXPIRED);
	assert_int_equal(verify(&r211, 1, true, chain2(&expired, &demo_ca), 2, MX, T_2015, &res), DANE_MATCH);

	/* sending the real CA beside the attacker's certificate proves nothing: the
	 * signature does not verify */
	assert_int_equal(verify(&r211, 1, true, chain2(&attacker, &demo_ca), 2, MX, T_2026, &res), DANE_NO_MATCH);
	assert_int_not_equal(res.br_err, 0);
	/* the inspection appliance's chain does not contain the pinned CA */
	assert_int_equal(verify(&r211, 1, true, chain2(&inspection_leaf, &inspection_ca), 2, MX, T_2026, &res),
			 DANE_NO_MATCH);
	assert_int_equal(res.br_err, 0);
	assert_non_null(strstr(res.why, "no TLSA record matches"));
	/* had the domain pinned the inspection CA, it would be trusted: DANE trusts what
	 * the domain publishes, not a client's store */
	struct dane_tlsa insp = rec(2, 1, 1, INSPECTION_CA_SPKI256);
	assert_int_equal(verify(&insp, 1, true, chain2(&inspection_leaf, &inspection_ca), 2, MX, T_2026, &res),
			 DANE_MATCH);

	/* 2 1 1 needs the CA in the chain; 2 0 0 carries the CA itself and does not */
	assert_int_equal(verify(&r211, 1, true, server_ecdsa.certs, 1, MX, T_2026, &res), DANE_NO_MATCH);
	struct dane_tlsa r200 = {2, 0, 0, demo_ca.certs[0].data, demo_ca.certs[0].data_len};
	assert_int_equal(verify(&r200, 1, true, server_ecdsa.certs, 1, MX, T_2026, &res), DANE_MATCH);
	assert_int_equal(res.cert, -1);
	assert_int_equal(verify(&r200, 1, true, other_host.certs, 1, MX, T_2026, &res), DANE_NO_MATCH);
	assert_int_equal(res.br_err, BR_ERR_X509_BAD_SERVER_NAME);
}

static void test_rrset_rules(void **state)
{
	(void)state;
	struct dane_result res;
	const br_x509_certificate *leaf = &server_ecdsa.certs[0];
	struct dane_tlsa good = rec(3, 1, 1, SERVER_ECDSA_SPKI256);

	/* unauthenticated (insecure or bogus) records are ignored, even when they match */
	struct dane_rrset rs = {&good, 1, false};
	assert_false(dane_requires_starttls(&rs));
	assert_int_equal(verify(&good, 1, false, leaf, 1, MX, T_2026, &res), DANE_NONE);
	assert_non_null(strstr(res.why, "not DNSSEC-authenticated"));
	rs.authenticated = true;
	assert_true(dane_requires_starttls(&rs));
	rs.n = 0;
	assert_false(dane_requires_starttls(&rs));
	assert_false(dane_requires_starttls(NULL));
	assert_int_equal(verify(NULL, 0, true, leaf, 1, MX, T_2026, &res), DANE_NONE);

	/* usable or not */
	struct dane_tlsa pkix = rec(1, 1, 1, SERVER_ECDSA_SPKI256);
	struct dane_tlsa pkix_ta = rec(0, 1, 1, DEMO_CA_SPKI256);
	struct dane_tlsa short_digest = rec(3, 1, 1, "3d320b5f");
	struct dane_tlsa long_sha512 = rec(3, 1, 2, SERVER_ECDSA_SPKI256);
	struct dane_tlsa bad_sel = rec(3, 2, 1, SERVER_ECDSA_SPKI256);
	struct dane_tlsa bad_mt = rec(3, 1, 3, SERVER_ECDSA_SPKI256);
	struct dane_tlsa empty_full = {3, 1, 0, NULL, 0};
	const struct dane_tlsa *unusable[] = {&pkix, &pkix_ta, &short_digest, &long_sha512, &bad_sel, &bad_mt, &empty_full};
	for (size_t i = 0; i < sizeof unusable / sizeof unusable[0]; i++)
		assert_false(dane_record_usable(unusable[i]));
	assert_true(dane_record_usable(&good));

	/* only unusable records: TLS mandatory, no authentication (PKIX-EE would have matched) */
	struct dane_tlsa set1[] = {pkix, short_digest};
	rs = (struct dane_rrset){set1, 2, true};
	assert_true(dane_requires_starttls(&rs));
	assert_int_equal(verify(set1, 2, true, leaf, 1, MX, T_2026, &res), DANE_UNUSABLE);
	/* an unusable record beside a usable one is skipped; the index is the matching one */
	struct dane_tlsa set2[] = {pkix, rec(3, 1, 1, ATTACKER_SPKI256), good};
	assert_int_equal(verify(set2, 3, true, leaf, 1, MX, T_2026, &res), DANE_MATCH);
	assert_int_equal(res.record, 2);
	/* no certificate at all */
	assert_int_equal(verify(&good, 1, true, NULL, 0, MX, T_2026, &res), DANE_NO_MATCH);
	assert_non_null(strstr(res.why, "no certificate"));
	/* a garbled leaf never matches and never crashes */
	static const unsigned char junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	br_x509_certificate bad = {(unsigned char *)junk, sizeof junk};
	struct dane_tlsa ta = rec(2, 1, 1, DEMO_CA_SPKI256);
	struct dane_tlsa set3[] = {good, ta};
	assert_int_equal(verify(set3, 2, true, &bad, 1, MX, T_2026, &res), DANE_NO_MATCH);

	assert_string_equal(dane_status_name(DANE_UNUSABLE), "unusable");
	assert_string_equal(dane_usage_name(2), "DANE-TA");
	assert_string_equal(dane_usage_name(3), "DANE-EE");
}

static void test_format(void **state)
{
	(void)state;
	struct dane_tlsa r = rec(3, 1, 1, SERVER_ECDSA_SPKI256);
	char buf[100];
	dane_tlsa_format(&r, buf, sizeof buf);
	char want[100];
	snprintf(want, sizeof want, "3 1 1 %s", SERVER_ECDSA_SPKI256);
	assert_string_equal(buf, want);
	char small[10];
	dane_tlsa_format(&r, small, sizeof small);
	assert_string_equal(small, "3 1 1 3d"); /* whole bytes only */
	char tiny[3];
	dane_tlsa_format(&r, tiny, sizeof tiny);
	assert_string_equal(tiny, "3 ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spki_and_association),
		cmocka_unit_test(test_spki_fuzz_safe),
		cmocka_unit_test(test_dane_ee),
		cmocka_unit_test(test_dane_ta),
		cmocka_unit_test(test_rrset_rules),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
