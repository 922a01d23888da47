/* test_pki: the demo PKI loads, its keys match its certificates, and BearSSL's real
 * X.509 validator says about each certificate what the lessons claim it says. */
#include "tests/testutil.h"

#include <stdio.h>
#include <unistd.h>

#include "sim/wire/pki.h"

#define ERRCAP 256
#define T_2026 1780000000u /* 2026-05-28, inside every non-expired certificate */
#define T_2015 1433116800u /* 2015-06-01, inside expired.pem's year */

static const char *certpath(const char *name)
{
	static char buf[4][512];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/certs/%s", test_scenarios_dir(), name);
	return buf[i];
}

static struct pki_chain load_chain(const char *name)
{
	struct pki_chain c;
	char err[ERRCAP] = "";
	int rc = pki_load_chain(certpath(name), &c, err, sizeof err);
	if (rc != 0)
		fail_msg("%s", err);
	return c;
}

static struct pki_key load_key(const char *name)
{
	struct pki_key k;
	char err[ERRCAP] = "";
	int rc = pki_load_key(certpath(name), &k, err, sizeof err);
	if (rc != 0)
		fail_msg("%s", err);
	return k;
}

static const struct {
	const char *stem;
	int type;
} files[] = {
	{"demo-ca", BR_KEYTYPE_EC},
	{"server-ecdsa", BR_KEYTYPE_EC},
	{"server-rsa", BR_KEYTYPE_RSA},
	{"attacker-selfsigned", BR_KEYTYPE_EC},
	{"attacker-selfsigned-rsa", BR_KEYTYPE_RSA},
	{"other-host", BR_KEYTYPE_EC},
	{"expired", BR_KEYTYPE_EC},
};

/* The private key's public half equals the certificate's public key. */
static void assert_key_matches(const struct pki_chain *c, const struct pki_key *k)
{
	br_x509_decoder_context dc;
	br_x509_decoder_init(&dc, 0, NULL);
	br_x509_decoder_push(&dc, c->certs[0].data, c->certs[0].data_len);
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
	assert_non_null(pk);
	assert_int_equal(pk->key_type, k->type);
	if (k->type == BR_KEYTYPE_EC) {
		unsigned char pub[BR_EC_KBUF_PUB_MAX_SIZE];
		size_t n = br_ec_compute_pub(br_ec_get_default(), NULL, pub, &k->ec);
		assert_int_equal(k->ec.curve, BR_EC_secp256r1);
		assert_int_equal(pk->key.ec.curve, BR_EC_secp256r1);
		assert_int_equal(n, pk->key.ec.qlen);
		assert_memory_equal(pub, pk->key.ec.q, n);
	} else {
		unsigned char mod[512];
		br_rsa_compute_modulus modulus = br_rsa_compute_modulus_get_default();
		size_t n = modulus(NULL, &k->rsa);
		assert_int_equal(k->rsa.n_bitlen, 2048);
		assert_true(n <= sizeof mod);
		assert_int_equal(modulus(mod, &k->rsa), n);
		/* The certificate's modulus may carry a leading zero byte. */
		const unsigned char *cm = pk->key.rsa.n;
		size_t cn = pk->key.rsa.nlen;
		while (cn > 0 && *cm == 0) {
			cm++;
			cn--;
		}
		assert_int_equal(n, cn);
		assert_memory_equal(mod, cm, n);
	}
}

static void test_load_every_file(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char pem[128], key[128];
		snprintf(pem, sizeof pem, "%s.pem", files[i].stem);
		snprintf(key, sizeof key, "%s.key", files[i].stem);
		struct pki_chain c = load_chain(pem);
		struct pki_key k = load_key(key);
		assert_int_equal(c.n, 1);
		assert_int_equal(c.key_type, files[i].type);
		assert_int_equal(k.type, files[i].type);
		assert_non_null(k.buf);
		assert_key_matches(&c, &k);
		pki_chain_free(&c);
		pki_key_free(&k);
		assert_null(c.certs);
		assert_null(k.buf);
	}
}

static void test_issuer_key_types(void **state)
{
	(void)state;
	/* Everything the demo CA signs, and the ECDSA self-signed one, is signed with EC;
	 * the RSA self-signed certificate is signed with its own RSA key. */
	const char *ec_signed[] = {"server-ecdsa.pem", "server-rsa.pem", "other-host.pem",
				   "expired.pem", "demo-ca.pem", "attacker-selfsigned.pem"};
	for (size_t i = 0; i < sizeof ec_signed / sizeof ec_signed[0]; i++) {
		struct pki_chain c = load_chain(ec_signed[i]);
		assert_int_equal(c.issuer_key_type, BR_KEYTYPE_EC);
		pki_chain_free(&c);
	}
	struct pki_chain c = load_chain("attacker-selfsigned-rsa.pem");
	assert_int_equal(c.issuer_key_type, BR_KEYTYPE_RSA);
	pki_chain_free(&c);
}

static void test_anchors(void **state)
{
	(void)state;
	struct pki_anchors a;
	char err[ERRCAP] = "";
	assert_int_equal(pki_load_anchors(certpath("demo-ca.pem"), &a, err, sizeof err), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.ta[0].flags, BR_X509_TA_CA);
	assert_int_equal(a.ta[0].pkey.key_type, BR_KEYTYPE_EC);
	assert_int_equal(a.ta[0].pkey.key.ec.curve, BR_EC_secp256r1);
	assert_int_equal(a.ta[0].pkey.key.ec.qlen, 65);
	assert_true(a.ta[0].dn.len > 20);
	/* The DN is the DER subject: it names the demo CA. */
	const char *cn = "smtps-sim DEMO Root CA";
	assert_non_null(memmem(a.ta[0].dn.data, a.ta[0].dn.len, cn, strlen(cn)));
	pki_anchors_free(&a);
	assert_null(a.ta);
	assert_int_equal(a.n, 0);
}

/* Runs BearSSL's minimal X.509 validator over a chain, as the TLS client does. */
static int validate(const char *pem, const char *host, uint32_t unix_time)
{
	struct pki_anchors a;
	char err[ERRCAP] = "";
	if (pki_load_anchors(certpath("demo-ca.pem"), &a, err, sizeof err) != 0)
		fail_msg("%s", err);
	struct pki_chain c = load_chain(pem);

	br_x509_minimal_context xc;
	br_x509_minimal_init_full(&xc, a.ta, a.n);
	br_x509_minimal_set_time(&xc, unix_time / 86400 + 719528, unix_time % 86400);
	const br_x509_class **vt = &xc.vtable;
	(*vt)->start_chain(vt, host);
	for (size_t i = 0; i < c.n; i++) {
		(*vt)->start_cert(vt, (uint32_t)c.certs[i].data_len);
		(*vt)->append(vt, c.certs[i].data, c.certs[i].data_len);
		(*vt)->end_cert(vt);
	}
	int rc = (int)(*vt)->end_chain(vt);
	if (rc == 0) {
		unsigned usages = 0;
		const br_x509_pkey *pk = (*vt)->get_pkey(vt, &usages);
		assert_non_null(pk);
		assert_int_equal(pk->key_type, c.key_type);
	}
	pki_chain_free(&c);
	pki_anchors_free(&a);
	return rc;
}

static void test_validator_accepts_servers(void **state)
{
	(void)state;
	assert_int_equal(validate("server-ecdsa.pem", "mail.example.test", T_2026), 0);
	assert_int_equal(validate("server-rsa.pem", "mail.example.test", T_2026), 0);
	assert_int_equal(validate("other-host.pem", "other.example.test", T_2026), 0);
	/* The expired certificate was fine during its year: only the date is wrong. */
	assert_int_equal(validate("expired.pem", "mail.example.test", T_2015), 0);
}

static void test_validator_rejects(void **state)
{
	(void)state;
	assert_int_equal(validate("attacker-selfsigned.pem", "mail.example.test", T_2026),
			 BR_ERR_X509_NOT_TRUSTED);
	assert_int_equal(validate("attacker-selfsigned-rsa.pem", "mail.example.test", T_2026),
			 BR_ERR_X509_NOT_TRUSTED);
	assert_int_equal(validate("other-host.pem", "mail.example.test", T_2026),
			 BR_ERR_X509_BAD_SERVER_NAME);
	assert_int_equal(validate("server-ecdsa.pem", "other.example.test", T_2026),
			 BR_ERR_X509_BAD_SERVER_NAME);
	assert_int_equal(validate("expired.pem", "mail.example.test", T_2026),
			 BR_ERR_X509_EXPIRED);
	assert_int_equal(BR_ERR_X509_NOT_TRUSTED, 62);
	assert_int_equal(BR_ERR_X509_BAD_SERVER_NAME, 56);
	assert_int_equal(BR_ERR_X509_EXPIRED, 54);
}

static void test_missing_file(void **state)
{
	(void)state;
	const char *path = certpath("no-such-file.pem");
	char want[600], err[ERRCAP];
	snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);

	struct pki_chain c;
	struct pki_key k;
	struct pki_anchors a;
	assert_int_equal(pki_load_chain(path, &c, err, sizeof err), -1);
	assert_string_equal(err, want);
	assert_int_equal(pki_load_key(path, &k, err, sizeof err), -1);
	assert_string_equal(err, want);
	assert_int_equal(pki_load_anchors(path, &a, err, sizeof err), -1);
	assert_string_equal(err, want);
	/* A failed load leaves a struct that is safe to free. */
	pki_chain_free(&c);
	pki_key_free(&k);
	pki_anchors_free(&a);
}

static char *tmpfile_with(const char *text)
{
	static char path[64];
	snprintf(path, sizeof path, "/tmp/test_pki.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	return path;
}

static void expect_err(int rc, const char *err, const char *path, const char *msg)
{
	char want[600];
	snprintf(want, sizeof want, "%s: %s", path, msg);
	assert_int_equal(rc, -1);
	assert_string_equal(err, want);
}

static void test_bad_inputs(void **state)
{
	(void)state;
	char err[ERRCAP];
	struct pki_chain c;
	struct pki_key k;
	struct pki_anchors a;

	/* Not PEM at all. */
	char *p = tmpfile_with("hello, this is not a certificate\n");
	expect_err(pki_load_chain(p, &c, err, sizeof err), err, p, "no CERTIFICATE block");
	expect_err(pki_load_anchors(p, &a, err, sizeof err), err, p, "no CERTIFICATE block");
	expect_err(pki_load_key(p, &k, err, sizeof err), err, p, "no PRIVATE KEY block");
	unlink(p);

	/* A certificate where a key was expected, and the other way round. */
	expect_err(pki_load_key(certpath("server-ecdsa.pem"), &k, err, sizeof err), err,
		   certpath("server-ecdsa.pem"), "no PRIVATE KEY block");
	expect_err(pki_load_chain(certpath("server-ecdsa.key"), &c, err, sizeof err), err,
		   certpath("server-ecdsa.key"), "no CERTIFICATE block");

	/* Well-formed PEM around bytes that are not a key ("hello world!"). */
	p = tmpfile_with("-----BEGIN PRIVATE KEY-----\naGVsbG8gd29ybGQh\n-----END PRIVATE KEY-----\n");
	assert_int_equal(pki_load_key(p, &k, err, sizeof err), -1);
	char want[600];
	snprintf(want, sizeof want, "%s: not a private key BearSSL can read", p);
	assert_true(strncmp(err, want, strlen(want)) == 0);
	unlink(p);

	/* A certificate block holding garbage. */
	p = tmpfile_with("-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQh\n-----END CERTIFICATE-----\n");
	assert_int_equal(pki_load_chain(p, &c, err, sizeof err), -1);
	snprintf(want, sizeof want, "%s: certificate 1 cannot be decoded", p);
	assert_true(strncmp(err, want, strlen(want)) == 0);
	unlink(p);

	/* A block that never ends. */
	p = tmpfile_with("-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQh\n");
	expect_err(pki_load_chain(p, &c, err, sizeof err), err, p,
		   "PEM block CERTIFICATE has no END line");
	unlink(p);

	/* A last line without its newline still ends the block. */
	p = tmpfile_with("-----BEGIN PRIVATE KEY-----\naGVsbG8gd29ybGQh\n-----END PRIVATE KEY-----");
	assert_int_equal(pki_load_key(p, &k, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a private key BearSSL can read"));
	unlink(p);

	/* Freeing a zeroed struct is a no-op. */
	struct pki_chain zc = {0};
	struct pki_key zk = {0};
	struct pki_anchors za = {0};
	pki_chain_free(&zc);
	pki_key_free(&zk);
	pki_anchors_free(&za);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_every_file),
		cmocka_unit_test(test_issuer_key_types),
		cmocka_unit_test(test_anchors),
		cmocka_unit_test(test_validator_accepts_servers),
		cmocka_unit_test(test_validator_rejects),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_bad_inputs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
