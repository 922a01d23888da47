/* test_keytheft: real BearSSL client and server engines talk over memory with the demo
 * PKI; every record of both directions is recorded; then keytheft_open, given the
 * server's stolen RSA key, must give back exactly what each side sent, for every static
 * RSA suite BearSSL negotiates in every version that suite exists in. And what must not
 * open does not: ECDHE, a wrong key, a truncated recording; tampering does not crash. */
#include "tests/testutil.h"

#include <stdio.h>

#include "sim/attack/keytheft.h"
#include "sim/wire/pki.h"
#include "sim/wire/tls.h"

#define T_2026 1780000000 /* inside every non-expired demo certificate */

static const char *certpath(const char *name)
{
	static char buf[4][512];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/certs/%s", test_scenarios_dir(), name);
	return buf[i];
}

/* ---- a growable byte string ---- */

struct bytes {
	uint8_t *p;
	size_t len, cap;
};

static void bytes_add(struct bytes *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

/* ---- the recorded session ---- */

struct rec_ref {
	int up;
	size_t off, len; /* into wire[up] */
};

struct session {
	struct pki_chain chain;
	struct pki_key key;
	struct pki_anchors anchors;
	struct tls_endpoint *cli, *srv;
	struct bytes wire[2];      /* every byte each direction sent: [1] client to server */
	size_t cut[2], given[2];   /* cut into records so far; handed to the peer so far */
	struct rec_ref *refs;
	size_t nrefs;
	struct bytes got[2];       /* application data each side received: [1] by the server */
	struct keytheft_record *recs; /* filled by session_records */
	size_t nrecs;
};

static void cut_records(struct session *s, int up)
{
	struct bytes *w = &s->wire[up];
	while (w->len - s->cut[up] >= 5) {
		size_t len = 5 + ((size_t)w->p[s->cut[up] + 3] << 8 | w->p[s->cut[up] + 4]);
		if (w->len - s->cut[up] < len)
			break;
		s->refs = realloc(s->refs, (s->nrefs + 1) * sizeof *s->refs);
		assert_non_null(s->refs);
		s->refs[s->nrefs++] = (struct rec_ref){ up, s->cut[up], len };
		s->cut[up] += len;
	}
}

/* Moves bytes both ways until neither engine has anything to say. */
static void pump(struct session *s)
{
	for (int progress = 1; progress;) {
		progress = 0;
		for (int up = 0; up < 2; up++) {
			br_ssl_engine_context *from = up ? s->cli->eng : s->srv->eng;
			br_ssl_engine_context *to = up ? s->srv->eng : s->cli->eng;
			size_t len;
			if (br_ssl_engine_current_state(from) & BR_SSL_SENDREC) {
				unsigned char *b = br_ssl_engine_sendrec_buf(from, &len);
				bytes_add(&s->wire[up], b, len);
				br_ssl_engine_sendrec_ack(from, len);
				cut_records(s, up);
				progress = 1;
			}
			while (s->given[up] < s->wire[up].len && (br_ssl_engine_current_state(to) & BR_SSL_RECVREC)) {
				unsigned char *b = br_ssl_engine_recvrec_buf(to, &len);
				size_t k = s->wire[up].len - s->given[up];
				if (k > len)
					k = len;
				memcpy(b, s->wire[up].p + s->given[up], k);
				br_ssl_engine_recvrec_ack(to, k);
				s->given[up] += k;
				progress = 1;
			}
			if (br_ssl_engine_current_state(to) & BR_SSL_RECVAPP) {
				unsigned char *b = br_ssl_engine_recvapp_buf(to, &len);
				bytes_add(&s->got[up], b, len);
				br_ssl_engine_recvapp_ack(to, len);
				progress = 1;
			}
		}
	}
}

static void say(struct session *s, int up, const char *text)
{
	br_ssl_engine_context *eng = up ? s->cli->eng : s->srv->eng;
	size_t n = strlen(text), len;
	assert_true(br_ssl_engine_current_state(eng) & BR_SSL_SENDAPP);
	unsigned char *b = br_ssl_engine_sendapp_buf(eng, &len);
	assert_true(len >= n);
	memcpy(b, text, n);
	br_ssl_engine_sendapp_ack(eng, n);
	br_ssl_engine_flush(eng, 0);
	pump(s);
}

/* The SMTP dialogue both ways, then close_notify both ways. */
static const char *const dialogue[] = {
	"EHLO client.example.test\r\n",
	"250-mail.example.test\r\n250 AUTH PLAIN\r\n",
	"AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n",
	"235 2.7.0 Authentication successful\r\n",
	"MAIL FROM:<alice@example.test>\r\n",
	"250 2.1.0 Ok\r\n",
	"QUIT\r\n",
	"221 2.0.0 Bye\r\n",
};
#define NDIALOGUE (sizeof dialogue / sizeof dialogue[0])

/* What each direction sent, joined: [1] the client's lines, [0] the server's. */
static void expected(int up, struct bytes *b)
{
	for (size_t i = up ? 0 : 1; i < NDIALOGUE; i += 2)
		bytes_add(b, dialogue[i], strlen(dialogue[i]));
}

static void load(struct session *s, const char *stem)
{
	char err[256] = "", path[64];
	snprintf(path, sizeof path, "%s.pem", stem);
	if (pki_load_chain(certpath(path), &s->chain, err, sizeof err))
		fail_msg("%s", err);
	snprintf(path, sizeof path, "%s.key", stem);
	if (pki_load_key(certpath(path), &s->key, err, sizeof err))
		fail_msg("%s", err);
	if (pki_load_anchors(certpath("demo-ca.pem"), &s->anchors, err, sizeof err))
		fail_msg("%s", err);
}

/* A whole recorded session with one suite and one version. */
static void session_run(struct session *s, const char *stem, uint16_t suite, unsigned version, uint64_t seed)
{
	memset(s, 0, sizeof *s);
	load(s, stem);
	s->cli = calloc(1, sizeof *s->cli);
	s->srv = calloc(1, sizeof *s->srv);
	assert_non_null(s->cli);
	assert_non_null(s->srv);
	char err[256] = "";
	struct tls_config sc = { .is_server = 1, .version_min = version, .version_max = version, .suites = &suite,
				 .nsuites = 1, .chain = &s->chain, .key = &s->key, .seed = seed, .label = "server" };
	struct tls_config cc = { .is_server = 0, .version_min = version, .version_max = version, .suites = &suite,
				 .nsuites = 1, .anchors = &s->anchors, .verify = TLS_VERIFY_FULL,
				 .server_name = "mail.example.test", .now = T_2026, .seed = seed, .label = "client" };
	if (tls_endpoint_init(s->srv, &sc, err, sizeof err) || tls_endpoint_init(s->cli, &cc, err, sizeof err))
		fail_msg("%s", err);
	pump(s);
	if (br_ssl_engine_last_error(s->cli->eng) || br_ssl_engine_last_error(s->srv->eng))
		fail_msg("suite %04x version %04x: handshake failed: client %d, server %d", suite, version,
			 br_ssl_engine_last_error(s->cli->eng), br_ssl_engine_last_error(s->srv->eng));
	assert_int_equal(br_ssl_engine_get_version(s->cli->eng), version);
	for (size_t i = 0; i < NDIALOGUE; i++)
		say(s, i % 2 == 0, dialogue[i]);
	br_ssl_engine_close(s->cli->eng);
	pump(s);
	assert_int_equal(br_ssl_engine_current_state(s->cli->eng), BR_SSL_CLOSED);
	assert_int_equal(br_ssl_engine_last_error(s->cli->eng), 0);
	/* The engines themselves got the dialogue: the recording is of a real exchange. */
	for (int up = 0; up < 2; up++) {
		struct bytes e = { 0 };
		expected(up, &e);
		assert_int_equal(s->got[up].len, e.len);
		assert_memory_equal(s->got[up].p, e.p, e.len);
		free(e.p);
	}
	s->recs = calloc(s->nrefs, sizeof *s->recs);
	assert_non_null(s->recs);
	for (size_t i = 0; i < s->nrefs; i++)
		s->recs[i] = (struct keytheft_record){ s->refs[i].up, s->wire[s->refs[i].up].p + s->refs[i].off,
						      s->refs[i].len };
	s->nrecs = s->nrefs;
}

static void session_free(struct session *s)
{
	free(s->cli);
	free(s->srv);
	for (int i = 0; i < 2; i++) {
		free(s->wire[i].p);
		free(s->got[i].p);
	}
	free(s->refs);
	free(s->recs);
	pki_chain_free(&s->chain);
	pki_key_free(&s->key);
	pki_anchors_free(&s->anchors);
}

/* ---- what keytheft hands back ---- */

struct opened {
	struct bytes app[2];     /* application data, joined per direction */
	size_t n[2];             /* records per direction */
	unsigned first_type[2];  /* the first record's type and plaintext */
	uint8_t first[2][64];
	size_t first_len[2];
	unsigned last_type[2];   /* the last record's */
	uint8_t last[2][8];
	size_t last_len[2];
	size_t nulls[2];         /* records that did not authenticate */
	int stop_after;          /* stop after this many records in all (0: never) */
	size_t total;
};

static int collect(void *ctx, int up, unsigned type, const uint8_t *p, size_t len)
{
	struct opened *o = ctx;
	int d = up ? 1 : 0;
	o->total++;
	if (!p) {
		assert_int_equal(len, 0);
		o->nulls[d]++;
		return o->stop_after && o->total >= (size_t)o->stop_after;
	}
	if (o->n[d]++ == 0) {
		o->first_type[d] = type;
		o->first_len[d] = len < sizeof o->first[d] ? len : sizeof o->first[d];
		memcpy(o->first[d], p, o->first_len[d]);
	}
	o->last_type[d] = type;
	o->last_len[d] = len < sizeof o->last[d] ? len : sizeof o->last[d];
	memcpy(o->last[d], p, o->last_len[d]);
	if (type == 23)
		bytes_add(&o->app[d], p, len);
	return o->stop_after && o->total >= (size_t)o->stop_after;
}

static void opened_free(struct opened *o)
{
	free(o->app[0].p);
	free(o->app[1].p);
}

/* The recording opens: exact plaintexts, Finished first, close_notify last, and the
 * master secret the engines hold. */
static void assert_opens(struct session *s, const struct keytheft_record *recs, size_t n, uint16_t suite,
			 unsigned version)
{
	struct keytheft_session ks;
	struct opened o = { 0 };
	enum keytheft_result r = keytheft_open(recs, n, &s->key.rsa, &ks, collect, &o);
	if (r != KEYTHEFT_OPENED)
		fail_msg("suite %04x version %04x: %s (%s)", suite, version, keytheft_result_name(r),
			 ks.why ? ks.why : "");
	assert_int_equal(ks.suite, suite);
	assert_int_equal(ks.version, version);
	assert_null(ks.why);
	br_ssl_session_parameters cp, sp;
	br_ssl_engine_get_session_parameters(s->cli->eng, &cp);
	br_ssl_engine_get_session_parameters(s->srv->eng, &sp);
	assert_int_equal(cp.cipher_suite, suite);
	assert_memory_equal(ks.master_secret, cp.master_secret, 48);
	assert_memory_equal(ks.master_secret, sp.master_secret, 48);
	for (int d = 0; d < 2; d++) {
		struct bytes e = { 0 };
		expected(d, &e);
		assert_int_equal(o.app[d].len, e.len);
		assert_memory_equal(o.app[d].p, e.p, e.len);
		free(e.p);
		assert_int_equal(o.nulls[d], 0);
		assert_int_equal(ks.failed[d], 0);
		assert_int_equal(ks.opened[d], o.n[d]);
		/* Finished: handshake type 20, 12 bytes of verify_data. */
		assert_int_equal(o.first_type[d], 22);
		assert_int_equal(o.first_len[d], 16);
		assert_int_equal(o.first[d][0], 20);
		assert_int_equal(o.first[d][3], 12);
		/* close_notify: warning (1), close_notify (0). */
		assert_int_equal(o.last_type[d], 21);
		assert_int_equal(o.last_len[d], 2);
		assert_int_equal(o.last[d][0], 1);
		assert_int_equal(o.last[d][1], 0);
	}
	opened_free(&o);
}

/* ---- the static RSA suites, each in every version it exists in ---- */

static const struct {
	uint16_t suite;
	int tls12_only;
} rsa_suites[] = {
	{ BR_TLS_RSA_WITH_3DES_EDE_CBC_SHA, 0 },
	{ BR_TLS_RSA_WITH_AES_128_CBC_SHA, 0 },
	{ BR_TLS_RSA_WITH_AES_256_CBC_SHA, 0 },
	{ BR_TLS_RSA_WITH_AES_128_CBC_SHA256, 1 },
	{ BR_TLS_RSA_WITH_AES_256_CBC_SHA256, 1 },
	{ BR_TLS_RSA_WITH_AES_128_GCM_SHA256, 1 },
	{ BR_TLS_RSA_WITH_AES_256_GCM_SHA384, 1 },
	{ BR_TLS_RSA_WITH_AES_128_CCM, 1 },
	{ BR_TLS_RSA_WITH_AES_256_CCM, 1 },
	{ BR_TLS_RSA_WITH_AES_128_CCM_8, 1 },
	{ BR_TLS_RSA_WITH_AES_256_CCM_8, 1 },
};

static void test_every_rsa_suite_and_version(void **state)
{
	(void)state;
	static const unsigned versions[] = { BR_TLS10, BR_TLS11, BR_TLS12 };
	size_t proven = 0;
	for (size_t i = 0; i < sizeof rsa_suites / sizeof rsa_suites[0]; i++)
		for (size_t v = 0; v < 3; v++) {
			if (rsa_suites[i].tls12_only && versions[v] != BR_TLS12)
				continue;
			struct session s;
			session_run(&s, "server-rsa", rsa_suites[i].suite, versions[v], 1000 + i * 3 + v);
			assert_opens(&s, s.recs, s.nrecs, rsa_suites[i].suite, versions[v]);
			session_free(&s);
			proven++;
		}
	assert_int_equal(proven, 3 * 3 + 8);
}

/* Handshake messages cut across records, and records holding several messages. BearSSL
 * itself sends the server's ServerHello, Certificate and ServerHelloDone in one record
 * (checked here); then every plaintext handshake record is re-cut into k-byte fragments
 * (k = 5, 1), so that messages span records and one record holds the tail of a message and
 * the head of the next. Still opens. */
static void test_handshake_fragmentation(void **state)
{
	(void)state;
	static const size_t frag[] = { 5, 1 };
	for (size_t f = 0; f < sizeof frag / sizeof frag[0]; f++) {
		struct session s;
		session_run(&s, "server-rsa", BR_TLS_RSA_WITH_AES_128_CBC_SHA, BR_TLS10, 77);
		/* The server's first record: ServerHello (2), Certificate (11), ServerHelloDone (14). */
		const struct keytheft_record *sf = &s.recs[1];
		assert_int_equal(sf->up, 0);
		assert_int_equal(sf->rec[0], 22);
		static const uint8_t types[] = { 2, 11, 14 };
		size_t p = 5, m = 0;
		for (; p + 4 <= sf->len && m < 3; m++) {
			assert_int_equal(sf->rec[p], types[m]);
			p += 4 + ((size_t)sf->rec[p + 1] << 16 | (size_t)sf->rec[p + 2] << 8 | sf->rec[p + 3]);
		}
		assert_int_equal(m, 3);
		assert_int_equal(p, sf->len);

		struct bytes store = { 0 };
		struct rec_ref *refs = NULL;
		size_t n = 0;
		int ccs[2] = { 0, 0 };
		for (size_t i = 0; i < s.nrecs; i++) {
			const struct keytheft_record *r = &s.recs[i];
			int d = r->up ? 1 : 0;
			if (r->rec[0] == 20)
				ccs[d] = 1;
			size_t step = ccs[d] || r->rec[0] != 22 ? r->len - 5 : frag[f];
			for (size_t off = 5; off < r->len; off += step) {
				size_t k = r->len - off < step ? r->len - off : step;
				uint8_t h[5] = { r->rec[0], r->rec[1], r->rec[2], (uint8_t)(k >> 8), (uint8_t)k };
				refs = realloc(refs, (n + 1) * sizeof *refs);
				refs[n++] = (struct rec_ref){ r->up, store.len, 5 + k };
				bytes_add(&store, h, 5);
				bytes_add(&store, r->rec + off, k);
			}
		}
		struct keytheft_record *recs = calloc(n, sizeof *recs);
		for (size_t i = 0; i < n; i++)
			recs[i] = (struct keytheft_record){ refs[i].up, store.p + refs[i].off, refs[i].len };
		assert_true(n > s.nrecs + 200);
		assert_opens(&s, recs, n, BR_TLS_RSA_WITH_AES_128_CBC_SHA, BR_TLS10);
		free(recs);
		free(refs);
		free(store.p);
		session_free(&s);
	}
}

/* ---- what must not open ---- */

static void test_ecdhe_is_forward_secret(void **state)
{
	(void)state;
	static const struct {
		const char *stem;
		uint16_t suite;
		unsigned version;
	} c[] = {
		{ "server-rsa", BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, BR_TLS12 },
		{ "server-rsa", BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, BR_TLS10 },
		{ "server-rsa", BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, BR_TLS12 },
		{ "server-ecdsa", BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, BR_TLS12 },
	};
	struct pki_key stolen;
	char err[256] = "";
	if (pki_load_key(certpath("server-rsa.key"), &stolen, err, sizeof err))
		fail_msg("%s", err);
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct session s;
		session_run(&s, c[i].stem, c[i].suite, c[i].version, 9 + i);
		struct keytheft_session ks;
		struct opened o = { 0 };
		assert_int_equal(keytheft_open(s.recs, s.nrecs, &stolen.rsa, &ks, collect, &o),
				 KEYTHEFT_FORWARD_SECRET);
		assert_int_equal(o.total, 0);
		assert_int_equal(ks.suite, c[i].suite);
		assert_int_equal(ks.version, c[i].version);
		assert_non_null(ks.why);
		static const uint8_t zero[48];
		assert_memory_equal(ks.master_secret, zero, 48);
		opened_free(&o);
		session_free(&s);
	}
	pki_key_free(&stolen);
}

static void test_wrong_key(void **state)
{
	(void)state;
	struct session s;
	session_run(&s, "server-rsa", BR_TLS_RSA_WITH_AES_128_GCM_SHA256, BR_TLS12, 21);
	struct pki_key other;
	char err[256] = "";
	if (pki_load_key(certpath("attacker-selfsigned-rsa.key"), &other, err, sizeof err))
		fail_msg("%s", err);
	assert_int_equal(other.type, BR_KEYTYPE_RSA);
	struct keytheft_session ks;
	struct opened o = { 0 };
	assert_int_equal(keytheft_open(s.recs, s.nrecs, &other.rsa, &ks, collect, &o), KEYTHEFT_WRONG_KEY);
	assert_int_equal(o.total, 0);
	assert_string_equal(ks.why, "the key is not the one in the server's certificate");

	/* The key that does match the certificate, but a ClientKeyExchange that is not an
	 * encryption under it (tampered): the premaster check itself refuses. BearSSL packs
	 * ServerHello, Certificate and ServerHelloDone in one record, so the certificate
	 * check cannot be dropped from a real recording to reach this path another way. */
	struct keytheft_record *recs = calloc(s.nrecs, sizeof *recs);
	uint8_t *copy = NULL;
	for (size_t i = 0; i < s.nrecs; i++) {
		recs[i] = s.recs[i];
		/* The client's ClientKeyExchange: handshake type 16 at the start of a record. */
		if (s.recs[i].up && s.recs[i].rec[0] == 22 && s.recs[i].rec[5] == 16 && !copy) {
			copy = malloc(s.recs[i].len);
			memcpy(copy, s.recs[i].rec, s.recs[i].len);
			copy[5 + 4 + 2 + 100] ^= 0x40;
			recs[i].rec = copy;
		}
	}
	assert_non_null(copy);
	assert_int_equal(keytheft_open(recs, s.nrecs, &s.key.rsa, &ks, collect, &o), KEYTHEFT_WRONG_KEY);
	assert_string_equal(ks.why, "the key does not decrypt the premaster secret");
	assert_int_equal(o.total, 0);
	free(copy);
	free(recs);
	opened_free(&o);
	pki_key_free(&other);
	session_free(&s);
}

static void test_truncated(void **state)
{
	(void)state;
	struct session s;
	session_run(&s, "server-rsa", BR_TLS_RSA_WITH_AES_256_CBC_SHA, BR_TLS11, 33);
	struct keytheft_session ks;
	struct opened o = { 0 };
	assert_int_equal(keytheft_open(s.recs, 0, &s.key.rsa, &ks, collect, &o), KEYTHEFT_NO_HANDSHAKE);
	assert_int_equal(keytheft_open(NULL, 0, &s.key.rsa, &ks, NULL, NULL), KEYTHEFT_NO_HANDSHAKE);
	/* Every cut before the ClientKeyExchange has ended: no handshake to attack. */
	size_t cke = 0;
	while (cke < s.nrecs && !(s.recs[cke].up && s.recs[cke].rec[0] == 22 && s.recs[cke].rec[5] == 16))
		cke++;
	assert_true(cke < s.nrecs);
	for (size_t n = 0; n <= cke; n++) {
		assert_int_equal(keytheft_open(s.recs, n, &s.key.rsa, &ks, collect, &o), KEYTHEFT_NO_HANDSHAKE);
		assert_non_null(ks.why);
	}
	/* The ClientKeyExchange record itself cut short. */
	struct keytheft_record *recs = calloc(cke + 1, sizeof *recs);
	memcpy(recs, s.recs, (cke + 1) * sizeof *recs);
	recs[cke].len -= 10;
	assert_int_equal(keytheft_open(recs, cke + 1, &s.key.rsa, &ks, collect, &o), KEYTHEFT_NO_HANDSHAKE);
	assert_string_equal(ks.why, "the recording holds no ClientKeyExchange");
	assert_int_equal(o.total, 0);
	/* Cut right after it: the handshake is there, nothing protected yet. */
	assert_int_equal(keytheft_open(s.recs, cke + 1, &s.key.rsa, &ks, collect, &o), KEYTHEFT_OPENED);
	assert_int_equal(o.total, 0);
	assert_int_equal(ks.version, BR_TLS11);
	/* Cut in the middle of the application data: what is there opens. */
	assert_int_equal(keytheft_open(s.recs, s.nrecs - 4, &s.key.rsa, &ks, collect, &o), KEYTHEFT_OPENED);
	assert_true(o.n[0] > 0 && o.n[1] > 0);
	free(recs);
	opened_free(&o);
	session_free(&s);
}

/* A tampered application data record does not authenticate: it comes back as NULL and
 * is skipped; the rest of the session still opens (in TLS 1.0 CBC a change in the middle
 * of a record leaves the next record's implicit IV intact). And the callback can stop. */
static void test_tampered(void **state)
{
	(void)state;
	static const struct {
		uint16_t suite;
		unsigned version;
	} c[] = {
		{ BR_TLS_RSA_WITH_AES_128_GCM_SHA256, BR_TLS12 },
		{ BR_TLS_RSA_WITH_AES_128_CBC_SHA, BR_TLS10 },
		{ BR_TLS_RSA_WITH_AES_256_CBC_SHA256, BR_TLS12 },
		{ BR_TLS_RSA_WITH_AES_128_CCM_8, BR_TLS12 },
	};
	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++) {
		struct session s;
		session_run(&s, "server-rsa", c[k].suite, c[k].version, 40 + k);
		/* The client's third application data record ("AUTH PLAIN ..." or its tail). */
		size_t target = 0, seen = 0;
		for (size_t i = 0; i < s.nrecs; i++)
			if (s.recs[i].up && s.recs[i].rec[0] == 23 && ++seen == 3)
				target = i;
		assert_true(target > 0);
		struct keytheft_record *recs = calloc(s.nrecs, sizeof *recs);
		memcpy(recs, s.recs, s.nrecs * sizeof *recs);
		uint8_t *copy = malloc(recs[target].len);
		memcpy(copy, recs[target].rec, recs[target].len);
		copy[5 + (recs[target].len - 5) / 3] ^= 1;
		recs[target].rec = copy;
		struct keytheft_session ks;
		struct opened o = { 0 };
		assert_int_equal(keytheft_open(recs, s.nrecs, &s.key.rsa, &ks, collect, &o), KEYTHEFT_OPENED);
		assert_int_equal(ks.failed[1], 1);
		assert_int_equal(ks.failed[0], 0);
		assert_int_equal(o.nulls[1], 1);
		assert_non_null(ks.why);
		/* Everything else came through: the server's side whole, the client's less one record. */
		struct bytes e = { 0 };
		expected(0, &e);
		assert_int_equal(o.app[0].len, e.len);
		assert_memory_equal(o.app[0].p, e.p, e.len);
		free(e.p);
		e = (struct bytes){ 0 };
		expected(1, &e);
		assert_true(o.app[1].len < e.len);
		assert_memory_equal(o.app[1].p + o.app[1].len - 6, "QUIT\r\n", 6);
		free(e.p);
		assert_int_equal(o.last_type[1], 21);
		opened_free(&o);

		/* Stopping after the third record handed out. */
		struct opened o2 = { .stop_after = 3 };
		assert_int_equal(keytheft_open(s.recs, s.nrecs, &s.key.rsa, &ks, collect, &o2), KEYTHEFT_OPENED);
		assert_int_equal(o2.total, 3);
		assert_true(ks.stopped);
		opened_free(&o2);

		/* Every record flipped at a few places, one at a time: no crash, a sane verdict. */
		for (size_t i = 0; i < s.nrecs; i++) {
			size_t at[] = { 0, 3, 4, 5, s.recs[i].len / 2, s.recs[i].len - 1 };
			for (size_t a = 0; a < sizeof at / sizeof at[0]; a++) {
				memcpy(recs, s.recs, s.nrecs * sizeof *recs);
				uint8_t *t = malloc(s.recs[i].len);
				memcpy(t, s.recs[i].rec, s.recs[i].len);
				t[at[a]] ^= 0x80;
				recs[i].rec = t;
				struct opened o3 = { 0 };
				enum keytheft_result r = keytheft_open(recs, s.nrecs, &s.key.rsa, &ks, collect, &o3);
				assert_true(r == KEYTHEFT_OPENED || r == KEYTHEFT_NO_HANDSHAKE || r == KEYTHEFT_WRONG_KEY ||
					    r == KEYTHEFT_UNSUPPORTED || r == KEYTHEFT_FORWARD_SECRET);
				opened_free(&o3);
				free(t);
			}
		}
		free(copy);
		free(recs);
		session_free(&s);
	}
}

/* The ServerHello edited in the recording (the module checks no Finished, so the rest
 * still opens when the edit does not matter): each static-key case it refuses, says why. */
struct sh_edit {
	uint16_t suite;         /* the recording's */
	unsigned version;
	int field;              /* 0: the suite, 1: the version, 2: the renegotiation_info extension's type */
	uint16_t value;
	enum keytheft_result result;
	const char *why;        /* NULL: any */
};

static void test_unsupported(void **state)
{
	(void)state;
	static const struct sh_edit c[] = {
		{ BR_TLS_RSA_WITH_AES_128_CBC_SHA, BR_TLS12, 0, BR_TLS_RSA_WITH_RC4_128_SHA, KEYTHEFT_UNSUPPORTED,
		  "a static RSA suite whose cipher this module does not replay" },
		{ BR_TLS_RSA_WITH_AES_128_CBC_SHA, BR_TLS12, 0, BR_TLS_RSA_WITH_NULL_SHA256, KEYTHEFT_UNSUPPORTED,
		  "a static RSA suite whose cipher this module does not replay" },
		{ BR_TLS_RSA_WITH_AES_128_CBC_SHA, BR_TLS12, 0, BR_TLS_ECDH_RSA_WITH_AES_128_CBC_SHA, KEYTHEFT_UNSUPPORTED,
		  "static ECDH: the server's EC key would open it, this module takes RSA keys" },
		{ BR_TLS_RSA_WITH_AES_128_CBC_SHA, BR_TLS12, 0, 0x0033 /* TLS_DHE_RSA_WITH_AES_128_CBC_SHA */,
		  KEYTHEFT_FORWARD_SECRET, NULL },
		{ BR_TLS_RSA_WITH_AES_128_CBC_SHA, BR_TLS12, 0, 0x1301 /* TLS_AES_128_GCM_SHA256 */,
		  KEYTHEFT_FORWARD_SECRET, "TLS 1.3: no static RSA; the key exchange is ephemeral (EC)DHE" },
		{ BR_TLS_RSA_WITH_AES_128_GCM_SHA256, BR_TLS12, 1, BR_TLS11, KEYTHEFT_UNSUPPORTED,
		  "a TLS 1.2 suite negotiated in an older version" },
		{ BR_TLS_RSA_WITH_AES_128_CBC_SHA, BR_TLS12, 1, 0x0300, KEYTHEFT_UNSUPPORTED,
		  "the version is not TLS 1.0, 1.1 or 1.2" },
		{ BR_TLS_RSA_WITH_AES_128_GCM_SHA256, BR_TLS12, 2, 23, KEYTHEFT_UNSUPPORTED,
		  "extended master secret (RFC 7627): the master secret hashes the handshake" },
		{ BR_TLS_RSA_WITH_AES_128_CBC_SHA, BR_TLS12, 2, 22, KEYTHEFT_UNSUPPORTED,
		  "encrypt-then-MAC (RFC 7366) records" },
		/* encrypt_then_mac means nothing to an AEAD suite */
		{ BR_TLS_RSA_WITH_AES_128_GCM_SHA256, BR_TLS12, 2, 22, KEYTHEFT_OPENED, NULL },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct session s;
		session_run(&s, "server-rsa", c[i].suite, c[i].version, 60 + i);
		const struct keytheft_record *sf = &s.recs[1];
		assert_int_equal(sf->up, 0);
		assert_int_equal(sf->rec[5], 2);
		uint8_t *copy = malloc(sf->len);
		memcpy(copy, sf->rec, sf->len);
		size_t body = 9, sid = copy[body + 34], at = body + 35 + sid; /* the suite */
		if (c[i].field == 0) {
			assert_int_equal(copy[at] << 8 | copy[at + 1], c[i].suite);
		} else if (c[i].field == 1) {
			at = body;
		} else {
			/* Extensions after suite (2) and compression (1), behind their 2-byte length. */
			size_t end = at + 5 + ((size_t)copy[at + 3] << 8 | copy[at + 4]);
			at += 5;
			while (at + 4 <= end && !(copy[at] == 0xff && copy[at + 1] == 0x01))
				at += 4 + ((size_t)copy[at + 2] << 8 | copy[at + 3]);
			assert_true(at + 4 <= end); /* BearSSL answers the client's renegotiation_info */
		}
		copy[at] = (uint8_t)(c[i].value >> 8);
		copy[at + 1] = (uint8_t)c[i].value;
		struct keytheft_record *recs = calloc(s.nrecs, sizeof *recs);
		memcpy(recs, s.recs, s.nrecs * sizeof *recs);
		recs[1].rec = copy;
		struct keytheft_session ks;
		struct opened o = { 0 };
		enum keytheft_result r = keytheft_open(recs, s.nrecs, &s.key.rsa, &ks, collect, &o);
		if (r != c[i].result)
			fail_msg("case %zu: %s (%s)", i, keytheft_result_name(r), ks.why ? ks.why : "");
		if (c[i].why)
			assert_string_equal(ks.why, c[i].why);
		if (r != KEYTHEFT_OPENED) {
			assert_non_null(ks.why);
			assert_int_equal(o.total, 0);
		}
		assert_int_equal(ks.suite, c[i].field == 0 ? c[i].value : c[i].suite);
		opened_free(&o);
		free(recs);
		free(copy);
		session_free(&s);
	}
}

/* Every protected record tampered: the premaster decrypts, nothing authenticates; that is
 * not this session's key. And no key at all only classifies. */
static void test_nothing_authenticates(void **state)
{
	(void)state;
	struct session s;
	session_run(&s, "server-rsa", BR_TLS_RSA_WITH_AES_256_GCM_SHA384, BR_TLS12, 90);
	struct keytheft_record *recs = calloc(s.nrecs, sizeof *recs);
	uint8_t **copies = calloc(s.nrecs, sizeof *copies);
	int ccs[2] = { 0, 0 };
	for (size_t i = 0; i < s.nrecs; i++) {
		recs[i] = s.recs[i];
		int d = recs[i].up ? 1 : 0;
		if (ccs[d]) {
			copies[i] = malloc(recs[i].len);
			memcpy(copies[i], recs[i].rec, recs[i].len);
			copies[i][recs[i].len - 1] ^= 1;
			recs[i].rec = copies[i];
		}
		ccs[d] |= recs[i].rec[0] == 20;
	}
	struct keytheft_session ks;
	struct opened o = { 0 };
	assert_int_equal(keytheft_open(recs, s.nrecs, &s.key.rsa, &ks, collect, &o), KEYTHEFT_WRONG_KEY);
	assert_string_equal(ks.why, "the premaster decrypted, yet no record authenticates under the keys that follow");
	assert_int_equal(o.n[0] + o.n[1], 0);
	assert_int_equal(o.nulls[0] + o.nulls[1], ks.failed[0] + ks.failed[1]);
	assert_true(ks.failed[0] > 0 && ks.failed[1] > 0);
	assert_int_equal(keytheft_open(s.recs, s.nrecs, NULL, &ks, collect, &o), KEYTHEFT_WRONG_KEY);
	assert_string_equal(ks.why, "no key was given");
	assert_int_equal(ks.suite, BR_TLS_RSA_WITH_AES_256_GCM_SHA384);
	for (size_t i = 0; i < s.nrecs; i++)
		free(copies[i]);
	free(copies);
	free(recs);
	opened_free(&o);
	session_free(&s);
}

/* Garbage: records too short, lengths that lie, nothing crashes. */
static void test_garbage(void **state)
{
	(void)state;
	struct pki_key key;
	char err[256] = "";
	if (pki_load_key(certpath("server-rsa.key"), &key, err, sizeof err))
		fail_msg("%s", err);
	uint8_t junk[64];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)(i * 37 + 1);
	struct keytheft_record recs[] = {
		{ 1, junk, 0 }, { 0, junk, 4 }, { 1, junk, 64 }, { 1, NULL, 10 },
		{ 1, (const uint8_t *)"\x16\x03\x01\x00\x04\x01\xff\xff\xff", 9 },
		{ 0, (const uint8_t *)"\x16\x03\x03\x00\x04\x02\x00\x00\x00", 9 },
	};
	struct keytheft_session ks;
	assert_int_equal(keytheft_open(recs, sizeof recs / sizeof recs[0], &key.rsa, &ks, NULL, NULL),
			 KEYTHEFT_NO_HANDSHAKE);
	assert_string_equal(keytheft_result_name(KEYTHEFT_FORWARD_SECRET), "forward-secret");
	pki_key_free(&key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_rsa_suite_and_version),
		cmocka_unit_test(test_handshake_fragmentation),
		cmocka_unit_test(test_ecdhe_is_forward_secret),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_nothing_authenticates),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
