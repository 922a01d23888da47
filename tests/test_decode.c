/* test_decode: the trace decoders on real BearSSL handshake bytes (ClientHello alone,
 * then full in-memory handshakes with the demo PKI), on every truncation and on garbage,
 * and on SMTP commands, replies, AUTH exchanges and message bodies. */
#include "testutil.h"

#include <bearssl.h>
#include <stdio.h>

#include "sim/base/base64.h"
#include "sim/decode/decode.h"
#include "sim/wire/pki.h"
#include "sim/smtp/smtp_parse.h"
#include "sim/decode/x509_text.h"

/* ---- helpers ------------------------------------------------------------------------ */

struct dec {
	struct fields f;
	char sum[DECODE_SUMMARY_MAX];
	int rc;
};

static void dec_reset(struct dec *d)
{
	fields_free(&d->f);
	fields_init(&d->f);
	memset(d->sum, 0, sizeof d->sum);
	d->rc = 99;
}

static int starts_with(const char *s, const char *p)
{
	return s && strncmp(s, p, strlen(p)) == 0;
}

/* The value of any field with this name and value, for repeated fields (suite). */
static int has_field(const struct fields *f, const char *name, const char *value)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].name, name) == 0 && strcmp(f->v[i].value, value) == 0)
			return 1;
	return 0;
}

static void assert_field(const struct fields *f, const char *name, const char *value)
{
	const char *v = fields_get(f, name);
	if (!v || strcmp(v, value) != 0) {
		print_error("field %s: expected \"%s\", got \"%s\"\n", name, value, v ? v : "(missing)");
		fail();
	}
}

static void assert_prefix(const char *s, const char *p)
{
	if (!starts_with(s, p)) {
		print_error("expected a string starting with \"%s\", got \"%s\"\n", p, s ? s : "(null)");
		fail();
	}
}

static void assert_contains(const char *s, const char *p)
{
	if (!s || !strstr(s, p)) {
		print_error("expected \"%s\" inside \"%s\"\n", p, s ? s : "(null)");
		fail();
	}
}

/* A decoder's failure must always come with an error field and vice versa. */
static void assert_consistent(const struct dec *d)
{
	assert_true(d->rc == 0 || d->rc == -1);
	if (d->rc == -1)
		assert_non_null(fields_get(&d->f, "error"));
	else
		assert_null(fields_get(&d->f, "error"));
	assert_true(strlen(d->sum) < DECODE_SUMMARY_MAX);
}

/* ---- real TLS bytes ---------------------------------------------------------------- */

/* The ClientHello record a fresh BearSSL client writes. */
static size_t client_hello_record(uint8_t *out, size_t cap)
{
	static br_ssl_client_context cc;
	static br_x509_minimal_context xc;
	static unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
	br_ssl_client_init_full(&cc, &xc, NULL, 0);
	br_ssl_engine_set_buffer(&cc.eng, iobuf, sizeof iobuf, 1);
	assert_true(br_ssl_client_reset(&cc, "mail.example.test", 0));
	size_t len;
	unsigned char *b = br_ssl_engine_sendrec_buf(&cc.eng, &len);
	assert_non_null(b);
	assert_true(len <= cap);
	memcpy(out, b, len);
	return len;
}

#define LOG_CAP 65536

/* A client and a server engine joined back to back, with what each one sent. */
struct hs {
	br_ssl_client_context cc;
	br_x509_minimal_context xc;
	br_x509_knownkey_context kk;
	br_x509_decoder_context dc;
	br_ssl_server_context sc;
	struct pki_chain chain;
	struct pki_key key;
	unsigned char cbuf[BR_SSL_BUFSIZE_BIDI], sbuf[BR_SSL_BUFSIZE_BIDI];
	uint8_t c2s[LOG_CAP], s2c[LOG_CAP];
	size_t c2s_n, s2c_n;
};

static void xfer(br_ssl_engine_context *from, br_ssl_engine_context *to, uint8_t *log, size_t *logn)
{
	for (;;) {
		size_t len, room;
		unsigned char *b = br_ssl_engine_sendrec_buf(from, &len);
		if (!b)
			return;
		unsigned char *d = br_ssl_engine_recvrec_buf(to, &room);
		if (!d)
			return;
		size_t k = len < room ? len : room;
		memcpy(d, b, k);
		assert_true(*logn + k <= LOG_CAP);
		memcpy(log + *logn, b, k);
		*logn += k;
		br_ssl_engine_sendrec_ack(from, k);
		br_ssl_engine_recvrec_ack(to, k);
	}
}

/* Runs a full handshake with the demo certificate `name` (server-ecdsa, server-rsa). The
 * client trusts exactly the server's key (knownkey), which is all the decoder needs. */
static struct hs *handshake(const char *name, unsigned version, const uint16_t *suites, size_t nsuites)
{
	struct hs *h = calloc(1, sizeof *h);
	assert_non_null(h);
	char path[512], err[256];
	snprintf(path, sizeof path, "%s/certs/%s.pem", test_scenarios_dir(), name);
	if (pki_load_chain(path, &h->chain, err, sizeof err)) {
		print_error("%s\n", err);
		fail();
	}
	snprintf(path, sizeof path, "%s/certs/%s.key", test_scenarios_dir(), name);
	if (pki_load_key(path, &h->key, err, sizeof err)) {
		print_error("%s\n", err);
		fail();
	}
	br_x509_decoder_init(&h->dc, NULL, NULL);
	br_x509_decoder_push(&h->dc, h->chain.certs[0].data, h->chain.certs[0].data_len);
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&h->dc);
	assert_non_null(pk);
	if (pk->key_type == BR_KEYTYPE_EC)
		br_x509_knownkey_init_ec(&h->kk, &pk->key.ec, BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN);
	else
		br_x509_knownkey_init_rsa(&h->kk, &pk->key.rsa, BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN);

	if (h->key.type == BR_KEYTYPE_EC)
		br_ssl_server_init_full_ec(&h->sc, h->chain.certs, h->chain.n, (unsigned)h->chain.issuer_key_type,
					   &h->key.ec);
	else
		br_ssl_server_init_full_rsa(&h->sc, h->chain.certs, h->chain.n, &h->key.rsa);
	br_ssl_engine_set_buffer(&h->sc.eng, h->sbuf, sizeof h->sbuf, 1);
	assert_true(br_ssl_server_reset(&h->sc));

	br_ssl_client_init_full(&h->cc, &h->xc, NULL, 0);
	br_ssl_engine_set_x509(&h->cc.eng, &h->kk.vtable);
	if (version)
		br_ssl_engine_set_versions(&h->cc.eng, version, version);
	if (suites)
		br_ssl_engine_set_suites(&h->cc.eng, suites, nsuites);
	br_ssl_engine_set_buffer(&h->cc.eng, h->cbuf, sizeof h->cbuf, 1);
	assert_true(br_ssl_client_reset(&h->cc, "mail.example.test", 0));

	for (int i = 0; i < 100; i++) {
		xfer(&h->cc.eng, &h->sc.eng, h->c2s, &h->c2s_n);
		xfer(&h->sc.eng, &h->cc.eng, h->s2c, &h->s2c_n);
		unsigned cs = br_ssl_engine_current_state(&h->cc.eng);
		unsigned ss = br_ssl_engine_current_state(&h->sc.eng);
		if ((cs & BR_SSL_SENDAPP) && (ss & BR_SSL_SENDAPP))
			break;
		if (cs == BR_SSL_CLOSED || ss == BR_SSL_CLOSED)
			break;
	}
	assert_int_equal(br_ssl_engine_last_error(&h->cc.eng), 0);
	assert_int_equal(br_ssl_engine_last_error(&h->sc.eng), 0);
	assert_true(br_ssl_engine_current_state(&h->cc.eng) & BR_SSL_SENDAPP);
	return h;
}

static void hs_free(struct hs *h)
{
	pki_chain_free(&h->chain);
	pki_key_free(&h->key);
	free(h);
}

struct msg {
	const uint8_t *p;
	size_t n;
};

/* Splits a byte stream into records, joins the cleartext handshake payloads (those before
 * ChangeCipherSpec) and splits them into handshake messages. Every record is also run
 * through decode_tls_record. */
static size_t split_handshake(const uint8_t *s, size_t n, uint8_t *joined, struct msg *out, size_t max)
{
	size_t pos = 0, jn = 0, count = 0;
	while (pos + 5 <= n) {
		struct tls_record_header h;
		assert_int_equal(decode_tls_record_header(s + pos, n - pos, &h), 0);
		assert_true(pos + 5 + h.length <= n);
		struct dec d = { 0 };
		fields_init(&d.f);
		d.rc = decode_tls_record(s + pos, 5 + (size_t)h.length, &d.f, d.sum, sizeof d.sum);
		assert_int_equal(d.rc, 0);
		assert_prefix(d.sum, "TLS record: ");
		fields_free(&d.f);
		if (h.type == TLS_CT_CHANGE_CIPHER_SPEC)
			break;
		if (h.type == TLS_CT_HANDSHAKE) {
			memcpy(joined + jn, s + pos + 5, h.length);
			jn += h.length;
		}
		pos += 5 + (size_t)h.length;
	}
	for (size_t m = 0; m + 4 <= jn && count < max;) {
		size_t len = (size_t)joined[m + 1] << 16 | (size_t)joined[m + 2] << 8 | joined[m + 3];
		assert_true(m + 4 + len <= jn);
		out[count].p = joined + m;
		out[count].n = 4 + len;
		count++;
		m += 4 + len;
	}
	return count;
}

/* ---- tests: names and records ------------------------------------------------------- */

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(decode_cipher_suite_name(0xC02B), "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
	assert_string_equal(decode_cipher_suite_name(0xCCA8), "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
	assert_string_equal(decode_cipher_suite_name(0x009C), "TLS_RSA_WITH_AES_128_GCM_SHA256");
	assert_string_equal(decode_cipher_suite_name(0x000A), "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
	assert_string_equal(decode_cipher_suite_name(0xC013), "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA");
	assert_string_equal(decode_cipher_suite_name(0x00FF), "TLS_EMPTY_RENEGOTIATION_INFO_SCSV");
	assert_string_equal(decode_cipher_suite_name(0x5600), "TLS_FALLBACK_SCSV");
	assert_null(decode_cipher_suite_name(0x1234));
	/* The suites table is searched by halves: every one of its 118 entries must be found,
	 * which fails when an entry is out of order. Each name is a suite's (or a signal's). */
	unsigned found = 0;
	for (unsigned code = 0; code <= 0xffff; code++) {
		const char *name = decode_cipher_suite_name(code);
		if (name) {
			found++;
			assert_true(!strncmp(name, "TLS_", 4));
		}
	}
	assert_int_equal(found, 118);
	assert_string_equal(decode_extension_name(0), "server_name");
	assert_string_equal(decode_extension_name(0xff01), "renegotiation_info");
	assert_string_equal(decode_extension_name(23), "extended_master_secret");
	assert_null(decode_extension_name(0x1234));
	assert_string_equal(decode_group_name(29), "x25519");
	assert_string_equal(decode_group_name(23), "secp256r1");
	assert_string_equal(decode_group_name(26), "brainpoolP256r1");
	assert_string_equal(decode_sigalg_name(0x0403), "ecdsa_secp256r1_sha256");
	assert_string_equal(decode_sigalg_name(0x0401), "rsa_pkcs1_sha256");
	assert_string_equal(decode_sigalg_name(0x0301), "rsa_sha224");
	assert_string_equal(decode_alert_description_name(20), "bad_record_mac");
	assert_string_equal(decode_alert_description_name(86), "inappropriate_fallback");
	assert_string_equal(decode_alert_description_name(250), "unknown");
	assert_string_equal(decode_tls_version_name(0x0303), "TLS 1.2");
	assert_string_equal(decode_tls_version_name(0x0301), "TLS 1.0");
	assert_string_equal(decode_tls_version_name(0x0399), "unknown");
	assert_string_equal(decode_tls_content_type_name(22), "handshake");
	assert_string_equal(decode_handshake_type_name(12), "ServerKeyExchange");
}

static void test_record_header(void **state)
{
	(void)state;
	struct tls_record_header h;
	const uint8_t ok[] = { 22, 3, 1, 0x01, 0x00 };
	assert_int_equal(decode_tls_record_header(ok, 4, &h), 1);
	assert_int_equal(decode_tls_record_header(ok, 5, &h), 0);
	assert_int_equal(h.type, 22);
	assert_int_equal(h.version, 0x0301);
	assert_int_equal(h.length, 256);
	const uint8_t bad_type[] = { 24, 3, 3, 0, 0 }, bad_ver[] = { 23, 2, 0, 0, 0 };
	assert_int_equal(decode_tls_record_header(bad_type, 5, &h), -1);
	assert_int_equal(decode_tls_record_header(bad_ver, 5, &h), -1);

	struct dec d = { 0 };
	fields_init(&d.f);
	d.rc = decode_tls_record(ok, 5, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, -1);
	assert_consistent(&d);
	assert_prefix(d.sum, "TLS record: truncated");
	fields_free(&d.f);
}

static void test_alerts(void **state)
{
	(void)state;
	struct dec d = { 0 };
	fields_init(&d.f);
	const uint8_t hf[] = { 2, 40 }, cn[] = { 1, 0 }, unk[] = { 2, 200 }, three[] = { 2, 40, 0 };
	dec_reset(&d);
	d.rc = decode_alert(hf, 2, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, 0);
	assert_string_equal(d.sum, "Alert: fatal handshake_failure");
	assert_field(&d.f, "level", "fatal");
	assert_field(&d.f, "description", "handshake_failure");
	dec_reset(&d);
	d.rc = decode_alert(cn, 2, &d.f, d.sum, sizeof d.sum);
	assert_string_equal(d.sum, "Alert: warning close_notify");
	dec_reset(&d);
	d.rc = decode_alert(unk, 2, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, 0);
	assert_field(&d.f, "description", "unknown (0xc8)");
	dec_reset(&d);
	d.rc = decode_alert(hf, 1, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, -1);
	assert_consistent(&d);
	dec_reset(&d);
	d.rc = decode_alert(three, 3, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, -1);
	assert_consistent(&d);
	dec_reset(&d);
	d.rc = decode_alert(hf, 0, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, -1);
	fields_free(&d.f);
}

/* ---- tests: handshake --------------------------------------------------------------- */

static void test_client_hello(void **state)
{
	(void)state;
	uint8_t rec[4096];
	size_t n = client_hello_record(rec, sizeof rec);
	struct dec d = { 0 };
	fields_init(&d.f);

	d.rc = decode_tls_record(rec, n, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, 0);
	assert_prefix(d.sum, "TLS record: handshake, TLS 1.");
	assert_field(&d.f, "content_type", "handshake");

	dec_reset(&d);
	d.rc = decode_handshake(rec + 5, n - 5, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, 0);
	assert_consistent(&d);
	assert_prefix(d.sum, "ClientHello: TLS 1.2, ");
	assert_contains(d.sum, "SNI mail.example.test");
	assert_field(&d.f, "version", "TLS 1.2");
	assert_field(&d.f, "server_name", "mail.example.test");
	assert_field(&d.f, "compression_methods", "null");
	assert_int_equal(strlen(fields_get(&d.f, "random")), 64);
	assert_true(has_field(&d.f, "suite", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"));
	assert_true(has_field(&d.f, "suite", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"));
	assert_contains(fields_get(&d.f, "supported_groups"), "x25519");
	assert_contains(fields_get(&d.f, "supported_groups"), "secp256r1");
	assert_contains(fields_get(&d.f, "signature_algorithms"), "ecdsa_secp256r1_sha256");
	assert_contains(fields_get(&d.f, "ec_point_formats"), "uncompressed");
	assert_non_null(fields_get(&d.f, "cipher_suites"));
	assert_null(fields_get(&d.f, "unknown_extension"));
	/* the summary's suite count matches the children */
	size_t suites = 0;
	for (size_t i = 0; i < d.f.n; i++)
		suites += strcmp(d.f.v[i].name, "suite") == 0;
	char want[64];
	snprintf(want, sizeof want, "%zu suites", suites);
	assert_contains(d.sum, want);
	fields_free(&d.f);
}

static void test_client_hello_truncated(void **state)
{
	(void)state;
	uint8_t rec[4096];
	size_t n = client_hello_record(rec, sizeof rec);
	const uint8_t *msg = rec + 5;
	size_t mn = n - 5;
	struct dec d = { 0 };
	fields_init(&d.f);
	/* every cut of the message is incomplete */
	for (size_t cut = 0; cut < mn; cut++) {
		dec_reset(&d);
		uint8_t *tight = malloc(cut ? cut : 1);
		memcpy(tight, msg, cut);
		d.rc = decode_handshake(tight, cut, &d.f, d.sum, sizeof d.sum);
		free(tight);
		assert_int_equal(d.rc, -1);
		assert_consistent(&d);
	}
	/* every cut with the header patched to match: the body parser meets each truncation */
	int fails = 0;
	for (size_t cut = 4; cut < mn; cut++) {
		dec_reset(&d);
		uint8_t *tight = malloc(cut);
		memcpy(tight, msg, cut);
		tight[1] = (uint8_t)((cut - 4) >> 16);
		tight[2] = (uint8_t)((cut - 4) >> 8);
		tight[3] = (uint8_t)(cut - 4);
		d.rc = decode_handshake(tight, cut, &d.f, d.sum, sizeof d.sum);
		free(tight);
		assert_consistent(&d);
		fails += d.rc == -1;
		if (cut == 4 + 20) /* inside the random */
			assert_string_equal(d.sum, "ClientHello: truncated at random");
	}
	/* only the cut right before the extensions block is a complete ClientHello */
	assert_int_equal(fails, (int)(mn - 4) - 1);
	/* records cut at every length */
	for (size_t cut = 0; cut < n; cut++) {
		dec_reset(&d);
		uint8_t *tight = malloc(cut ? cut : 1);
		memcpy(tight, rec, cut);
		d.rc = decode_tls_record(tight, cut, &d.f, d.sum, sizeof d.sum);
		free(tight);
		assert_int_equal(d.rc, -1);
		assert_consistent(&d);
	}
	fields_free(&d.f);
}

static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

static void test_garbage(void **state)
{
	(void)state;
	struct dec d = { 0 };
	fields_init(&d.f);
	uint32_t seed = 1;
	uint8_t rec[4096];
	size_t n = client_hello_record(rec, sizeof rec);
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = lcg(&seed) % 300;
		uint8_t *buf = malloc(len + 4 + 1);
		for (size_t i = 0; i < len + 4; i++)
			buf[i] = (uint8_t)lcg(&seed);
		/* a plausible header so the body parsers run */
		buf[0] = (uint8_t)(iter % 24);
		buf[1] = 0;
		buf[2] = (uint8_t)(len >> 8);
		buf[3] = (uint8_t)len;
		if (iter % 3 == 0 && len > 2)
			buf[4] = 3; /* ECDHE named curve / TLS major */
		dec_reset(&d);
		d.rc = decode_handshake_v(buf, len + 4, iter % 2 ? 0x0301 : 0x0303, &d.f, d.sum, sizeof d.sum);
		assert_consistent(&d);
		dec_reset(&d);
		d.rc = decode_smtp_command(NULL, (const char *)buf, len, &d.f, d.sum, sizeof d.sum);
		assert_consistent(&d);
		dec_reset(&d);
		d.rc = decode_smtp_reply(NULL, (const char *)buf, len, &d.f, d.sum, sizeof d.sum);
		assert_consistent(&d);
		dec_reset(&d);
		d.rc = decode_smtp_body(buf, len, &d.f, d.sum, sizeof d.sum);
		assert_consistent(&d);
		dec_reset(&d);
		d.rc = decode_tls_record(buf, len, &d.f, d.sum, sizeof d.sum);
		assert_consistent(&d);
		struct x509_text x;
		x509_text_parse(buf, len, &x, NULL);
		free(buf);
	}
	/* a real ClientHello with one byte flipped at every position */
	for (size_t i = 5; i < n; i++) {
		uint8_t *m = malloc(n - 5);
		memcpy(m, rec + 5, n - 5);
		m[i - 5] ^= (uint8_t)(1 + lcg(&seed) % 255);
		dec_reset(&d);
		d.rc = decode_handshake(m, n - 5, &d.f, d.sum, sizeof d.sum);
		assert_consistent(&d);
		free(m);
	}
	fields_free(&d.f);
}

static void test_handshake_ecdsa(void **state)
{
	(void)state;
	struct hs *h = handshake("server-ecdsa", 0, NULL, 0);
	static uint8_t joined[LOG_CAP];
	struct msg m[8];
	size_t cnt = split_handshake(h->s2c, h->s2c_n, joined, m, 8);
	assert_int_equal(cnt, 4);
	struct dec d = { 0 };
	fields_init(&d.f);

	d.rc = decode_handshake(m[0].p, m[0].n, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, 0);
	assert_prefix(d.sum, "ServerHello: TLS 1.2, TLS_ECDHE_ECDSA_WITH_");
	assert_prefix(fields_get(&d.f, "cipher_suite"), "TLS_ECDHE_ECDSA_WITH_");
	assert_field(&d.f, "compression_method", "null");
	assert_field(&d.f, "renegotiation_info", "empty (initial handshake)");

	dec_reset(&d);
	d.rc = decode_handshake(m[1].p, m[1].n, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, 0);
	assert_string_equal(d.sum, "Certificate: CN=mail.example.test, issued by CN=smtps-sim DEMO Root CA");
	assert_field(&d.f, "certificates", "1 certificate");
	assert_field(&d.f, "certificate", "CN=mail.example.test");
	assert_field(&d.f, "subject", "O=smtps-sim DEMO, CN=mail.example.test");
	assert_field(&d.f, "issuer", "O=smtps-sim DEMO, CN=smtps-sim DEMO Root CA");
	assert_field(&d.f, "not_before", "2025-01-01 00:00:00 UTC");
	assert_field(&d.f, "not_after", "2124-12-31 23:59:59 UTC");
	assert_field(&d.f, "subject_alt_names", "DNS:mail.example.test");
	assert_prefix(fields_get(&d.f, "public_key"), "EC secp256r1 (256 bits)");
	assert_prefix(fields_get(&d.f, "signature_algorithm"), "ecdsa-with-SHA");

	/* the certificate message with its DER cut or flipped anywhere must not crash */
	for (size_t i = 10; i < m[1].n; i++) {
		uint8_t *c = malloc(m[1].n);
		memcpy(c, m[1].p, m[1].n);
		c[i] ^= 0x41;
		dec_reset(&d);
		d.rc = decode_handshake(c, m[1].n, &d.f, d.sum, sizeof d.sum);
		assert_consistent(&d);
		free(c);
	}
	const uint8_t *der = m[1].p + 10;
	size_t dlen = m[1].n - 10;
	for (size_t cut = 0; cut < dlen; cut++) {
		struct x509_text x;
		const char *err = NULL;
		uint8_t *c = malloc(cut ? cut : 1);
		memcpy(c, der, cut);
		assert_int_equal(x509_text_parse(c, cut, &x, &err), -1);
		assert_non_null(err);
		free(c);
	}

	dec_reset(&d);
	d.rc = decode_handshake(m[2].p, m[2].n, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, 0);
	assert_prefix(d.sum, "ServerKeyExchange: ECDHE x25519, signed (ecdsa_");
	assert_field(&d.f, "curve", "x25519");
	assert_field(&d.f, "curve_type", "named_curve");
	assert_field(&d.f, "public_key_length", "32");
	assert_prefix(fields_get(&d.f, "signature_algorithm"), "ecdsa_");
	assert_null(fields_get(&d.f, "layout"));

	dec_reset(&d);
	d.rc = decode_handshake(m[3].p, m[3].n, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, 0);
	assert_string_equal(d.sum, "ServerHelloDone");

	cnt = split_handshake(h->c2s, h->c2s_n, joined, m, 8);
	assert_int_equal(cnt, 2);
	dec_reset(&d);
	d.rc = decode_handshake(m[0].p, m[0].n, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, 0);
	assert_prefix(d.sum, "ClientHello: ");
	dec_reset(&d);
	d.rc = decode_handshake(m[1].p, m[1].n, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, 0);
	assert_string_equal(d.sum, "ClientKeyExchange: ECDHE public key, 32 bytes");
	assert_field(&d.f, "key_exchange", "ECDHE");
	assert_field(&d.f, "public_key_length", "32");

	/* a Finished as the endpoints see it, built by hand */
	const uint8_t fin[] = { 20, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0xff };
	dec_reset(&d);
	d.rc = decode_handshake(fin, sizeof fin, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, 0);
	assert_field(&d.f, "verify_data", "0102030405060708090a0bff");
	assert_string_equal(d.sum, "Finished: verify_data 0102030405060708090a0bff");
	const uint8_t hr[] = { 0, 0, 0, 0 }, hr_bad[] = { 0, 0, 0, 1, 7 };
	dec_reset(&d);
	assert_int_equal(decode_handshake(hr, sizeof hr, &d.f, d.sum, sizeof d.sum), 0);
	assert_string_equal(d.sum, "HelloRequest");
	dec_reset(&d);
	assert_int_equal(decode_handshake(hr_bad, sizeof hr_bad, &d.f, d.sum, sizeof d.sum), -1);
	assert_prefix(d.sum, "HelloRequest: should be empty");

	fields_free(&d.f);
	hs_free(h);
}

static void test_handshake_rsa(void **state)
{
	(void)state;
	static const uint16_t suites[] = { BR_TLS_RSA_WITH_AES_128_GCM_SHA256 };
	struct hs *h = handshake("server-rsa", 0, suites, 1);
	static uint8_t joined[LOG_CAP];
	struct msg m[8];
	size_t cnt = split_handshake(h->s2c, h->s2c_n, joined, m, 8);
	assert_int_equal(cnt, 3); /* no ServerKeyExchange with RSA key exchange */
	struct dec d = { 0 };
	fields_init(&d.f);
	d.rc = decode_handshake(m[0].p, m[0].n, &d.f, d.sum, sizeof d.sum);
	assert_string_equal(d.sum, "ServerHello: TLS 1.2, TLS_RSA_WITH_AES_128_GCM_SHA256");
	dec_reset(&d);
	d.rc = decode_handshake(m[1].p, m[1].n, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, 0);
	assert_prefix(fields_get(&d.f, "public_key"), "RSA ");
	assert_contains(fields_get(&d.f, "public_key"), "e=65537");
	assert_prefix(fields_get(&d.f, "signature_algorithm"), "ecdsa-with-SHA"); /* the demo CA is EC */

	cnt = split_handshake(h->c2s, h->c2s_n, joined, m, 8);
	assert_int_equal(cnt, 2);
	dec_reset(&d);
	d.rc = decode_handshake(m[1].p, m[1].n, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, 0);
	assert_field(&d.f, "key_exchange", "RSA");
	char want[80];
	snprintf(want, sizeof want, "ClientKeyExchange: RSA-encrypted premaster secret, %zu bytes", m[1].n - 6);
	assert_string_equal(d.sum, want);
	fields_free(&d.f);
	hs_free(h);
}

static void test_handshake_tls10(void **state)
{
	(void)state;
	struct hs *h = handshake("server-ecdsa", BR_TLS10, NULL, 0);
	static uint8_t joined[LOG_CAP];
	struct msg m[8];
	size_t cnt = split_handshake(h->s2c, h->s2c_n, joined, m, 8);
	assert_int_equal(cnt, 4);
	struct dec d = { 0 };
	fields_init(&d.f);
	d.rc = decode_handshake(m[0].p, m[0].n, &d.f, d.sum, sizeof d.sum);
	assert_prefix(d.sum, "ServerHello: TLS 1.0, ");
	/* with the version hint: the TLS 1.0 layout, no signature algorithm on the wire */
	dec_reset(&d);
	d.rc = decode_handshake_v(m[2].p, m[2].n, 0x0301, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, 0);
	assert_prefix(d.sum, "ServerKeyExchange: ECDHE x25519, signed (");
	assert_contains(d.sum, "-byte signature");
	assert_null(fields_get(&d.f, "layout"));
	/* without it, the TLS 1.2 layout fails and the other one is used and reported */
	dec_reset(&d);
	d.rc = decode_handshake(m[2].p, m[2].n, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, 0);
	assert_field(&d.f, "layout", "TLS 1.0/1.1");
	fields_free(&d.f);
	hs_free(h);
}

/* ---- tests: SMTP -------------------------------------------------------------------- */

static int cmd(struct decode_smtp_ctx *ctx, struct dec *d, const char *line)
{
	dec_reset(d);
	d->rc = decode_smtp_command(ctx, line, strlen(line), &d->f, d->sum, sizeof d->sum);
	assert_consistent(d);
	return d->rc;
}

static int reply(struct decode_smtp_ctx *ctx, struct dec *d, const char *line)
{
	dec_reset(d);
	d->rc = decode_smtp_reply(ctx, line, strlen(line), &d->f, d->sum, sizeof d->sum);
	assert_consistent(d);
	return d->rc;
}

static void test_smtp_commands(void **state)
{
	(void)state;
	struct dec d = { 0 };
	fields_init(&d.f);
	assert_int_equal(cmd(NULL, &d, "EHLO client.example.test"), 0);
	assert_field(&d.f, "verb", "EHLO");
	assert_field(&d.f, "argument", "client.example.test");
	assert_string_equal(d.sum, "EHLO client.example.test");
	assert_int_equal(cmd(NULL, &d, "starttls\r\n"), 0);
	assert_field(&d.f, "verb", "STARTTLS");
	assert_string_equal(d.sum, "starttls");
	assert_int_equal(cmd(NULL, &d, "MAIL FROM:<alice@example.test> SIZE=1234"), 0);
	assert_field(&d.f, "mail_from", "alice@example.test");
	assert_field(&d.f, "parameters", "SIZE=1234");
	assert_int_equal(cmd(NULL, &d, "rcpt to:<bob@example.test>"), 0);
	assert_field(&d.f, "rcpt_to", "bob@example.test");
	assert_int_equal(cmd(NULL, &d, "MAIL FROM:<>"), 0);
	assert_field(&d.f, "mail_from", "");

	/* AUTH PLAIN with an initial response: what the eavesdropper reads */
	const uint8_t plain[] = "\0alice\0wonderland";
	char b64[64], line[128];
	base64_encode(plain, sizeof plain - 1, b64, sizeof b64);
	assert_string_equal(b64, "AGFsaWNlAHdvbmRlcmxhbmQ=");
	snprintf(line, sizeof line, "AUTH PLAIN %s", b64);
	assert_int_equal(cmd(NULL, &d, line), 0);
	assert_field(&d.f, "auth_mechanism", "PLAIN");
	assert_field(&d.f, "auth_user", "alice");
	assert_field(&d.f, "auth_password", "wonderland");
	assert_string_equal(d.sum, "AUTH PLAIN (user alice, password wonderland)");

	/* malformed */
	assert_int_equal(cmd(NULL, &d, ""), -1);
	assert_int_equal(cmd(NULL, &d, "12345"), -1);
	assert_prefix(d.sum, "SMTP command: not a command");
	assert_int_equal(cmd(NULL, &d, "MAIL TO:<x@y>"), -1);
	assert_string_equal(d.sum, "MAIL: no \"FROM:\" before the path: \"MAIL TO:<x@y>\"");
	assert_null(fields_get(&d.f, "mail_from"));
	assert_field(&d.f, "verb", "MAIL");
	assert_int_equal(cmd(NULL, &d, "RCPT TO:bob@example.test"), -1);
	assert_int_equal(cmd(NULL, &d, "AUTH PLAIN !!!!"), -1);
	assert_contains(d.sum, "not valid base64");
	assert_int_equal(cmd(NULL, &d, "AUTH PLAIN YWxpY2U="), -1); /* "alice": no NULs */
	assert_int_equal(cmd(NULL, &d, "AUTH"), -1);
	/* a control byte in a line is shown escaped, never raw */
	assert_int_equal(cmd(NULL, &d, "HELO a\x1b"), 0);
	assert_field(&d.f, "argument", "a\\x1b");
	/* a NUL makes it no command at all (the server answers 500); still escaped */
	const char nul[] = "HELO a\0b\x1b";
	dec_reset(&d);
	d.rc = decode_smtp_command(NULL, nul, sizeof nul - 1, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, -1);
	assert_consistent(&d);
	assert_null(fields_get(&d.f, "verb"));
	assert_prefix(fields_get(&d.f, "error"), "NUL, CR or LF inside the line");
	assert_contains(d.sum, "HELO a\\x00b\\x1b");
	fields_free(&d.f);
}

static void test_smtp_auth_login(void **state)
{
	(void)state;
	struct dec d = { 0 };
	fields_init(&d.f);
	struct decode_smtp_ctx ctx = { 0 };
	assert_int_equal(cmd(&ctx, &d, "AUTH LOGIN"), 0);
	assert_field(&d.f, "auth_mechanism", "LOGIN");
	assert_int_equal(reply(&ctx, &d, "334 VXNlcm5hbWU6"), 0);
	assert_field(&d.f, "challenge_decoded", "Username:");
	assert_string_equal(d.sum, "334 VXNlcm5hbWU6 (Username:)");
	assert_int_equal(cmd(&ctx, &d, "YWxpY2U="), 0);
	assert_field(&d.f, "auth_user", "alice");
	assert_string_equal(d.sum, "AUTH LOGIN user name: alice");
	assert_int_equal(reply(&ctx, &d, "334 UGFzc3dvcmQ6"), 0);
	assert_field(&d.f, "challenge_decoded", "Password:");
	assert_int_equal(cmd(&ctx, &d, "d29uZGVybGFuZA=="), 0);
	assert_field(&d.f, "auth_password", "wonderland");
	assert_string_equal(d.sum, "AUTH LOGIN password: wonderland");
	assert_int_equal(reply(&ctx, &d, "235 2.7.0 Authentication successful"), 0);
	assert_field(&d.f, "enhanced_status", "2.7.0");
	assert_int_equal(ctx.auth_pending, 0);
	assert_int_equal(cmd(&ctx, &d, "QUIT"), 0);
	assert_field(&d.f, "verb", "QUIT");

	/* without replies fed to the context, the answers are still attributed */
	struct decode_smtp_ctx c2 = { 0 };
	assert_int_equal(cmd(&c2, &d, "AUTH LOGIN YWxpY2U="), 0);
	assert_field(&d.f, "auth_user", "alice");
	assert_int_equal(cmd(&c2, &d, "d29uZGVybGFuZA=="), 0);
	assert_field(&d.f, "auth_password", "wonderland");
	assert_int_equal(cmd(&c2, &d, "MAIL FROM:<alice@example.test>"), 0);

	/* AUTH PLAIN without initial response: 334 with an empty challenge */
	struct decode_smtp_ctx c3 = { 0 };
	assert_int_equal(cmd(&c3, &d, "AUTH PLAIN"), 0);
	assert_int_equal(reply(&c3, &d, "334 "), 0);
	assert_int_equal(cmd(&c3, &d, "AGFsaWNlAHdvbmRlcmxhbmQ="), 0);
	assert_string_equal(d.sum, "AUTH PLAIN (user alice, password wonderland)");
	assert_int_equal(c3.auth_pending, 0);

	/* cancel, and garbage while waiting */
	struct decode_smtp_ctx c4 = { 0 };
	assert_int_equal(cmd(&c4, &d, "AUTH LOGIN"), 0);
	assert_int_equal(cmd(&c4, &d, "*"), 0);
	assert_field(&d.f, "auth_cancelled", "yes");
	assert_int_equal(cmd(&c4, &d, "AUTH LOGIN"), 0);
	assert_int_equal(cmd(&c4, &d, "not base64!"), -1);
	assert_int_equal(cmd(&c4, &d, "NOOP"), 0);
	fields_free(&d.f);
}

static void test_smtp_replies(void **state)
{
	(void)state;
	struct dec d = { 0 };
	fields_init(&d.f);
	assert_int_equal(reply(NULL, &d, "250-STARTTLS"), 0);
	assert_field(&d.f, "code", "250");
	assert_field(&d.f, "continues", "yes");
	assert_field(&d.f, "text", "STARTTLS");
	assert_field(&d.f, "class", "positive completion");
	assert_string_equal(d.sum, "250-STARTTLS");
	assert_int_equal(reply(NULL, &d, "250 OK\r\n"), 0);
	assert_field(&d.f, "continues", "no");
	assert_null(fields_get(&d.f, "enhanced_status"));
	assert_int_equal(reply(NULL, &d, "454 4.7.0 TLS not available due to temporary reason"), 0);
	assert_field(&d.f, "class", "transient negative completion");
	assert_field(&d.f, "enhanced_status", "4.7.0");
	assert_int_equal(reply(NULL, &d, "535 5.7.8 Authentication credentials invalid"), 0);
	assert_field(&d.f, "class", "permanent negative completion");
	assert_field(&d.f, "enhanced_status", "5.7.8");
	assert_int_equal(reply(NULL, &d, "354 Start mail input"), 0);
	assert_field(&d.f, "class", "positive intermediate");
	assert_int_equal(reply(NULL, &d, "220"), 0);
	assert_field(&d.f, "text", "");
	assert_int_equal(reply(NULL, &d, "250 2.0 not enhanced"), 0);
	assert_null(fields_get(&d.f, "enhanced_status"));
	assert_int_equal(reply(NULL, &d, "334 !!notbase64"), 0);
	assert_null(fields_get(&d.f, "challenge_decoded"));
	assert_int_equal(reply(NULL, &d, "2x0 nope"), -1);
	assert_prefix(d.sum, "SMTP reply: does not start with a 3-digit code");
	assert_int_equal(reply(NULL, &d, "600 nope"), -1);
	assert_int_equal(reply(NULL, &d, "250x"), -1);
	assert_int_equal(reply(NULL, &d, "25"), -1);
	assert_int_equal(reply(NULL, &d, ""), -1);
	fields_free(&d.f);
}

/* ---- tests: one grammar ------------------------------------------------------------- */

/* What the endpoints decide about a line, asked the way they ask: the server splits
 * the command and parses MAIL / RCPT paths with smtp_parse_path into a SMTP_PATH_MAX
 * buffer (and refuses an empty RCPT path); the client parses replies with
 * smtp_parse_reply_line. Returns 1 when the endpoint accepts the line, and the mailbox
 * or code it takes from it. */
static int endpoint_accepts(const char *line, size_t n, int is_reply, const char **key, char *value,
			    size_t cap)
{
	*key = NULL;
	if (is_reply) {
		struct smtp_reply_line r;
		if (smtp_parse_reply_line(line, n, &r))
			return 0;
		*key = "code";
		snprintf(value, cap, "%d", r.code);
		return 1;
	}
	struct smtp_command c;
	if (smtp_parse_command(line, n, &c))
		return 0;
	if (c.verb != SMTP_VERB_MAIL && c.verb != SMTP_VERB_RCPT)
		return 1;
	int mail = c.verb == SMTP_VERB_MAIL;
	char box[SMTP_PATH_MAX];
	if (smtp_parse_path(c.arg, c.arg_len, mail ? "FROM:" : "TO:", box, sizeof box) ||
	    (!mail && box[0] == '\0'))
		return 0;
	*key = mail ? "mail_from" : "rcpt_to";
	snprintf(value, cap, "%s", box);
	return 1;
}

/* decode_smtp_* yields mail_from / rcpt_to / code exactly when the endpoint accepts the
 * line, with the same value; otherwise an "error" field and a summary quoting the line. */
static void assert_one_grammar(const char *line, size_t n, int is_reply, int accepted)
{
	struct dec d = { 0 };
	fields_init(&d.f);
	const char *key;
	char want[SMTP_PATH_MAX + 8];
	int ok = endpoint_accepts(line, n, is_reply, &key, want, sizeof want);
	if (ok != accepted) {
		print_error("smtp_parse %s \"%.*s\", the table says it %s\n", ok ? "accepts" : "rejects",
			    (int)n, line, accepted ? "should" : "should not");
		fail();
	}
	dec_reset(&d);
	if (is_reply)
		d.rc = decode_smtp_reply(NULL, line, n, &d.f, d.sum, sizeof d.sum);
	else
		d.rc = decode_smtp_command(NULL, line, n, &d.f, d.sum, sizeof d.sum);
	assert_consistent(&d);
	static const char *const trusted[] = { "mail_from", "rcpt_to", "code" };
	for (size_t k = 0; k < sizeof trusted / sizeof trusted[0]; k++) {
		const char *v = fields_get(&d.f, trusted[k]);
		if (ok && key && strcmp(key, trusted[k]) == 0) {
			if (!v || strcmp(v, want) != 0) {
				print_error("\"%.*s\": %s is \"%s\" for the endpoint, \"%s\" in the trace\n",
					    (int)n, line, key, want, v ? v : "(missing)");
				fail();
			}
		} else if (v) {
			print_error("\"%.*s\": the trace has %s \"%s\", the endpoint %s\n", (int)n, line,
				    trusted[k], v, ok ? "takes no such value" : "refuses the line");
			fail();
		}
	}
	if (ok) {
		assert_int_equal(d.rc, 0);
	} else {
		assert_int_equal(d.rc, -1);
		assert_non_null(fields_get(&d.f, "error"));
		int printable = n > 0 && n < 60;
		for (size_t i = 0; i < n; i++)
			printable &= line[i] >= ' ' && line[i] < 0x7f;
		if (printable) /* others are quoted with escapes */
			assert_contains(d.sum, line);
	}
	fields_free(&d.f);
}

static void test_smtp_one_grammar(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		int is_reply, accepted;
	} t[] = {
		/* the disagreements the decoder used to have */
		{ "MAIL FROM:<a b@c>", 0, 0 },
		{ "MAIL FROM:<a@b>SIZE=1", 0, 0 },
		{ "MAIL  FROM:<a@b>", 0, 0 },
		{ "260 ok", 1, 0 },
		{ "299 ok", 1, 0 },
		/* valid lines */
		{ "MAIL FROM:<alice@example.test>", 0, 1 },
		{ "MAIL FROM:<>", 0, 1 },
		{ "RCPT TO:<bob@example.test>", 0, 1 },
		{ "mail from:<alice@example.test>", 0, 1 },
		{ "rcpt to:<bob@example.test>", 0, 1 },
		{ "Mail From:<alice@example.test>", 0, 1 },
		{ "MAIL FROM:<a@b> SIZE=100", 0, 1 },
		{ "MAIL FROM:<a@b>  SIZE=100 BODY=8BITMIME", 0, 1 },
		{ "MAIL FROM: <a@b>", 0, 1 },
		{ "MAIL FROM:<a@b> ", 0, 1 },
		{ "EHLO client.example.test", 0, 1 },
		{ "ehlo client.example.test", 0, 1 },
		{ "STARTTLS", 0, 1 },
		{ "quit", 0, 1 },
		{ "XFOO bar", 0, 1 },
		{ "250-STARTTLS", 1, 1 },
		{ "250 OK", 1, 1 },
		{ "354 go ahead", 1, 1 },
		{ "220", 1, 1 },
		{ "334 ", 1, 1 },
		{ "250 ", 1, 1 },
		{ "554 5.7.1 no", 1, 1 },
		{ "559 x", 1, 1 },
		/* more lines the endpoints refuse */
		{ "RCPT TO:<>", 0, 0 },
		{ "MAIL TO:<a@b>", 0, 0 },
		{ "RCPT FROM:<a@b>", 0, 0 },
		{ "MAIL", 0, 0 },
		{ "MAIL FROM:a@b", 0, 0 },
		{ "MAIL FROM:<a@b", 0, 0 },
		{ "MAIL FROM:<a<b@c>", 0, 0 },
		{ "MAIL FROM:<a\x01@b>", 0, 0 },
		{ "MAIL FROM:<a\xc3\xa9@b>", 0, 0 },
		{ "MAIL FROM:<a@b> SIZE=\x7f", 0, 0 },
		{ "RCPT TO:<a@b>NOTIFY=NEVER", 0, 0 },
		{ "RCPT  TO:<a@b>", 0, 0 },
		{ "RCPT TO:<a b>", 0, 0 },
		{ "MAIL\tFROM:<a@b>", 0, 0 },
		{ " MAIL FROM:<a@b>", 0, 0 },
		{ "MAIL FROM:<a@b>\rRCPT TO:<c@d>", 0, 0 },
		{ "", 0, 0 },
		{ "12345", 0, 0 },
		{ "150 x", 1, 0 },
		{ "600 x", 1, 0 },
		{ "250x", 1, 0 },
		{ "2x0 x", 1, 0 },
		{ "25", 1, 0 },
		{ "", 1, 0 },
		{ "250 a\rb", 1, 0 },
		{ "2500 x", 1, 0 },
		{ "599 x", 1, 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		assert_one_grammar(t[i].line, strlen(t[i].line), t[i].is_reply, t[i].accepted);

	/* a NUL inside the line, which strlen would hide */
	static const char nul_mail[] = "MAIL FROM:<a\0@b>", nul_reply[] = "250 a\0b";
	assert_one_grammar(nul_mail, sizeof nul_mail - 1, 0, 0);
	assert_one_grammar(nul_reply, sizeof nul_reply - 1, 1, 0);

	/* the longest mailbox the server keeps, and one byte more */
	char line[400];
	for (size_t blen = SMTP_PATH_MAX - 2; blen <= SMTP_PATH_MAX; blen++) {
		int m = snprintf(line, sizeof line, "RCPT TO:<%0*d@b>", (int)blen - 2, 0);
		assert_one_grammar(line, (size_t)m, 0, blen < SMTP_PATH_MAX);
	}
}

static void test_smtp_body(void **state)
{
	(void)state;
	struct dec d = { 0 };
	fields_init(&d.f);
	const char body[] = "From: Alice <alice@example.test>\r\n"
			    "To: bob@example.test\r\n"
			    "Subject: Hello\r\n"
			    " Bob\r\n"
			    "\r\n"
			    "Hi Bob,\r\n"
			    "..a line that starts with a dot\r\n"
			    ".\r\n";
	d.rc = decode_smtp_body((const uint8_t *)body, sizeof body - 1, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, 0);
	assert_consistent(&d);
	assert_field(&d.f, "from", "Alice <alice@example.test>");
	assert_field(&d.f, "to", "bob@example.test");
	assert_field(&d.f, "subject", "Hello Bob");
	assert_field(&d.f, "header_lines", "4");
	assert_field(&d.f, "body_lines", "2");
	assert_field(&d.f, "terminated", "yes");
	char bytes[16];
	snprintf(bytes, sizeof bytes, "%zu", sizeof body - 1);
	assert_field(&d.f, "bytes_as_sent", bytes);
	assert_prefix(d.sum, "Message: From Alice <alice@example.test>, Subject \"Hello Bob\", 6 lines");

	/* commands pipelined after the end marker are counted, not swallowed */
	const char piped[] = "Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n";
	dec_reset(&d);
	d.rc = decode_smtp_body((const uint8_t *)piped, sizeof piped - 1, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, 0);
	assert_field(&d.f, "bytes_after_end", "6");

	const char open[] = "no headers here\r\nsecond";
	dec_reset(&d);
	d.rc = decode_smtp_body((const uint8_t *)open, sizeof open - 1, &d.f, d.sum, sizeof d.sum);
	assert_int_equal(d.rc, 0);
	assert_field(&d.f, "terminated", "no");
	assert_field(&d.f, "body_lines", "2");
	assert_null(fields_get(&d.f, "from"));
	assert_contains(d.sum, "(no end marker)");
	fields_free(&d.f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_record_header),
		cmocka_unit_test(test_alerts),
		cmocka_unit_test(test_client_hello),
		cmocka_unit_test(test_client_hello_truncated),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_handshake_ecdsa),
		cmocka_unit_test(test_handshake_rsa),
		cmocka_unit_test(test_handshake_tls10),
		cmocka_unit_test(test_smtp_commands),
		cmocka_unit_test(test_smtp_auth_login),
		cmocka_unit_test(test_smtp_replies),
		cmocka_unit_test(test_smtp_one_grammar),
		cmocka_unit_test(test_smtp_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
