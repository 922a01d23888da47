/* test_tls_openssl: the OpenSSL engine behind tls.h, driven through the same calls as
 * BearSSL's: TLS 1.3 handshakes, data and close_notify both ways; the secrets both ends
 * report; byte-identical runs from one seed; certificate failures in BearSSL's codes;
 * HelloRetryRequest from a choice of groups; TLS 1.2 with BearSSL at the other end, and
 * the RFC 8446 downgrade sentinel a 1.3-capable server puts in a 1.2 ServerHello. */
#include "tests/testutil.h"

#include <stdio.h>

#include "sim/trace/trace.h"
#include "sim/trace/wiretrace.h"
#include "sim/wire/pki.h"
#include "sim/wire/tls.h"

#define WIRE_MAX (64 * 1024)

struct pki {
	struct pki_chain chain;
	struct pki_key key;
	struct pki_anchors anchors;
};

static const char *certpath(const char *name)
{
	static char buf[4][512];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/certs/%s", test_scenarios_dir(), name);
	return buf[i];
}

static void pki_load(struct pki *p, const char *cert, const char *key)
{
	char err[256];
	if (pki_load_chain(certpath(cert), &p->chain, err, sizeof err) ||
	    pki_load_key(certpath(key), &p->key, err, sizeof err) ||
	    pki_load_anchors(certpath("demo-ca.pem"), &p->anchors, err, sizeof err))
		fail_msg("%s", err);
}

static void pki_drop(struct pki *p)
{
	pki_chain_free(&p->chain);
	pki_key_free(&p->key);
	pki_anchors_free(&p->anchors);
}

struct side {
	struct tls_endpoint *ep;
	uint8_t wire[WIRE_MAX]; /* every byte this side sent, in order */
	size_t wire_len;
	uint8_t got[4096];      /* plaintext it received */
	size_t got_len;
};

struct run {
	struct tls_config cc, sc;
	struct side c, s;
};

/* When set, what each side sends is also traced, as a link's wire_streams trace it, its
 * sender's TLS 1.3 secrets reported first (as the connection layer does). */
struct tracer {
	struct trace t;
	uint64_t now;
	struct decode_smtp_ctx smtp;
	struct wire_stream ws[2];
	const struct side *client;
	size_t taken[2];
};
static struct tracer *tracing;

static void trace_out(const struct side *a, const uint8_t *p, size_t n)
{
	if (!tracing)
		return;
	int up = a == tracing->client;
	const struct tls_secret *sec;
	size_t k = tls_secrets(a->ep, &sec);
	for (; tracing->taken[!up] < k; tracing->taken[!up]++) {
		const struct tls_secret *x = &sec[tracing->taken[!up]];
		assert_true(trace_tls13_secret(&tracing->t, LINK_CLIENT_SERVER, x->client_random, x->kind, x->secret,
					       x->len) >= 0);
	}
	assert_int_equal(wire_records(&tracing->ws[up ? 0 : 1], p, n, 0), 0);
}

static void config(struct run *r, const struct pki *p, enum tls_engine ce, enum tls_engine se, unsigned cmax,
		   unsigned smax, uint64_t seed)
{
	memset(r, 0, sizeof *r);
	r->cc = (struct tls_config){ .is_server = 0, .engine = ce, .version_max = cmax, .anchors = &p->anchors,
				     .verify = TLS_VERIFY_FULL, .server_name = "mail.example.test",
				     .now = 1788220800 /* 2026-09-01 */, .seed = seed, .label = "client" };
	r->sc = (struct tls_config){ .is_server = 1, .engine = se, .version_max = smax, .chain = &p->chain,
				     .key = &p->key, .seed = seed, .label = "server" };
}

static void start(struct run *r)
{
	char err[256];
	r->c.ep = calloc(1, sizeof *r->c.ep);
	r->s.ep = calloc(1, sizeof *r->s.ep);
	assert_non_null(r->c.ep);
	assert_non_null(r->s.ep);
	if (tls_endpoint_init(r->c.ep, &r->cc, err, sizeof err) || tls_endpoint_init(r->s.ep, &r->sc, err, sizeof err))
		fail_msg("%s", err);
}

/* Moves records from a to b (one at a time, as a live peer's are fed) and plaintext out of
 * b. Returns 1 when anything moved. */
static int move(struct side *a, struct side *b)
{
	int moved = 0;
	size_t n;
	unsigned char *p;
	while ((tls_state(a->ep) & TLS_ST_SENDREC) && (p = tls_sendrec_buf(a->ep, &n)) && n) {
		assert_true(a->wire_len + n <= sizeof a->wire);
		memcpy(a->wire + a->wire_len, p, n);
		trace_out(a, p, n);
		size_t off = a->wire_len;
		a->wire_len += n;
		tls_sendrec_ack(a->ep, n);
		while (off < a->wire_len) {
			if (!(tls_state(b->ep) & TLS_ST_RECVREC))
				return 1;
			size_t room, k = a->wire_len - off;
			unsigned char *in = tls_recvrec_buf(b->ep, &room);
			if (k > room)
				k = room;
			memcpy(in, a->wire + off, k);
			tls_recvrec_ack(b->ep, k);
			off += k;
			while (tls_state(b->ep) & TLS_ST_RECVAPP) {
				unsigned char *q = tls_recvapp_buf(b->ep, &n);
				assert_true(b->got_len + n <= sizeof b->got);
				memcpy(b->got + b->got_len, q, n);
				b->got_len += n;
				tls_recvapp_ack(b->ep, n);
			}
		}
		moved = 1;
	}
	return moved;
}

static void pump(struct run *r)
{
	for (int i = 0; i < 100 && (move(&r->c, &r->s) | move(&r->s, &r->c)); i++)
		;
}

static void put(struct side *a, const char *text)
{
	assert_true(tls_state(a->ep) & TLS_ST_SENDAPP);
	size_t room, n = strlen(text);
	unsigned char *p = tls_sendapp_buf(a->ep, &room);
	assert_true(room >= n);
	memcpy(p, text, n);
	tls_sendapp_ack(a->ep, n);
	tls_flush(a->ep);
}

static void finish(struct run *r)
{
	tls_endpoint_free(r->c.ep);
	tls_endpoint_free(r->s.ep);
	free(r->c.ep);
	free(r->s.ep);
}

static int up(const struct side *s)
{
	return (tls_state(s->ep) & (TLS_ST_SENDAPP | TLS_ST_RECVAPP)) != 0;
}

static void test_tls13_session(void **state)
{
	(void)state;
	struct pki p;
	pki_load(&p, "server-ecdsa.pem", "server-ecdsa.key");
	struct run r;
	config(&r, &p, TLS_ENGINE_DEFAULT, TLS_ENGINE_DEFAULT, TLS13, TLS13, 7);
	start(&r);
	assert_non_null(r.c.ep->ossl);
	pump(&r);
	assert_true(up(&r.c) && up(&r.s));
	assert_int_equal(tls_version(r.c.ep), TLS13);
	assert_int_equal(tls_version(r.s.ep), TLS13);
	assert_int_equal(tls_suite(r.c.ep), 0x1301);
	assert_null(tls_master_secret(r.c.ep));
	/* the first record is the ClientHello: its random names the secrets */
	const uint8_t *random = r.c.wire + 5 + 4 + 2;
	const struct tls_secret *cs, *ss;
	size_t nc = tls_secrets(r.c.ep, &cs), ns = tls_secrets(r.s.ep, &ss);
	assert_int_equal(nc, 5);
	assert_int_equal(ns, 5);
	unsigned seen = 0;
	for (size_t i = 0; i < nc; i++) {
		assert_memory_equal(cs[i].client_random, random, 32);
		assert_int_equal(cs[i].len, 32);
		seen |= 1u << cs[i].kind;
		int match = 0;
		for (size_t j = 0; j < ns; j++)
			match |= ss[j].kind == cs[i].kind && !memcmp(ss[j].secret, cs[i].secret, 32);
		assert_true(match);
	}
	assert_int_equal(seen, 1u << TLS13_CLIENT_HS | 1u << TLS13_SERVER_HS | 1u << TLS13_CLIENT_AP0 |
				       1u << TLS13_SERVER_AP0 | 1u << TLS13_EXPORTER);
	put(&r.c, "EHLO client.example.test\r\n");
	pump(&r);
	put(&r.s, "250 mail.example.test\r\n");
	pump(&r);
	assert_int_equal(r.s.got_len, 26);
	assert_memory_equal(r.s.got, "EHLO client.example.test\r\n", 26);
	assert_int_equal(r.c.got_len, 23);
	/* close_notify: the server answers it by itself, and both end cleanly */
	tls_close(r.c.ep);
	pump(&r);
	assert_true(tls_peer_closed(r.s.ep));
	assert_true(tls_peer_closed(r.c.ep));
	assert_int_equal(tls_state(r.c.ep), TLS_ST_CLOSED);
	assert_int_equal(tls_state(r.s.ep), TLS_ST_CLOSED);
	assert_int_equal(tls_last_error(r.c.ep), 0);
	assert_int_equal(tls_last_error(r.s.ep), 0);
	finish(&r);
	pki_drop(&p);
}

static void run_bytes(const struct pki *p, uint64_t seed, struct run *r)
{
	config(r, p, TLS_ENGINE_OPENSSL, TLS_ENGINE_OPENSSL, TLS13, TLS13, seed);
	start(r);
	pump(r);
	put(&r->c, "QUIT\r\n");
	pump(r);
	tls_close(r->c.ep);
	pump(r);
}

static void test_same_seed_same_bytes(void **state)
{
	(void)state;
	struct pki p;
	pki_load(&p, "server-rsa.pem", "server-rsa.key"); /* RSA-PSS signatures take a random salt */
	struct run *a = malloc(sizeof *a), *b = malloc(sizeof *b), *c = malloc(sizeof *c);
	assert_true(a && b && c);
	run_bytes(&p, 1, a);
	run_bytes(&p, 1, b);
	run_bytes(&p, 2, c);
	assert_true(up(&a->c) || tls_state(a->c.ep) == TLS_ST_CLOSED);
	assert_true(a->c.wire_len > 200 && a->s.wire_len > 500);
	assert_int_equal(a->c.wire_len, b->c.wire_len);
	assert_int_equal(a->s.wire_len, b->s.wire_len);
	assert_memory_equal(a->c.wire, b->c.wire, a->c.wire_len);
	assert_memory_equal(a->s.wire, b->s.wire, a->s.wire_len);
	assert_true(a->c.wire_len != c->c.wire_len || memcmp(a->c.wire, c->c.wire, a->c.wire_len));
	finish(a);
	finish(b);
	finish(c);
	free(a);
	free(b);
	free(c);
	pki_drop(&p);
}

/* A certificate check that fails: on a verifying client, its code; on a careless one,
 * the handshake completes and the code is what verification would have said. */
static void check_failure(const char *cert, const char *key, int64_t now, int want)
{
	struct pki p;
	pki_load(&p, cert, key);
	struct run r;
	config(&r, &p, TLS_ENGINE_OPENSSL, TLS_ENGINE_OPENSSL, TLS13, TLS13, 3);
	if (now)
		r.cc.now = now;
	start(&r);
	pump(&r);
	assert_int_equal(tls_state(r.c.ep), TLS_ST_CLOSED);
	assert_int_equal(tls_last_error(r.c.ep), want);
	/* the alert the client sent reached the server */
	int se = tls_last_error(r.s.ep);
	assert_true(se >= BR_ERR_RECV_FATAL_ALERT && se < BR_ERR_RECV_FATAL_ALERT + 256);
	finish(&r);

	config(&r, &p, TLS_ENGINE_OPENSSL, TLS_ENGINE_OPENSSL, TLS13, TLS13, 3);
	if (now)
		r.cc.now = now;
	r.cc.verify = TLS_VERIFY_NONE;
	start(&r);
	pump(&r);
	assert_true(up(&r.c));
	assert_true(tls_accepts_any(r.c.ep));
	assert_int_equal(tls_peer_verify_error(r.c.ep), want);
	br_x509_certificate chain[TLS_CHAIN_MAX];
	assert_true(tls_peer_chain(r.c.ep, chain, TLS_CHAIN_MAX) >= 1);
	assert_int_equal(chain[0].data_len, p.chain.certs[0].data_len);
	assert_memory_equal(chain[0].data, p.chain.certs[0].data, chain[0].data_len);
	finish(&r);
	pki_drop(&p);
}

static void test_certificate_failures(void **state)
{
	(void)state;
	check_failure("other-host.pem", "other-host.key", 0, BR_ERR_X509_BAD_SERVER_NAME);
	check_failure("attacker-selfsigned.pem", "attacker-selfsigned.key", 0, BR_ERR_X509_NOT_TRUSTED);
	check_failure("expired.pem", "expired.key", 0, BR_ERR_X509_EXPIRED);
	/* the clock is the scenario's: in 2200 the demo certificate has expired too */
	check_failure("server-ecdsa.pem", "server-ecdsa.key", 7258118400, BR_ERR_X509_EXPIRED);
}

static void test_hello_retry(void **state)
{
	(void)state;
	static const uint8_t hrr[8] = { 0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11 };
	struct pki p;
	pki_load(&p, "server-ecdsa.pem", "server-ecdsa.key");
	struct run r;
	config(&r, &p, TLS_ENGINE_OPENSSL, TLS_ENGINE_OPENSSL, TLS13, TLS13, 5);
	r.cc.groups = "x25519:secp256r1";
	r.sc.groups = "secp256r1";
	start(&r);
	pump(&r);
	assert_true(up(&r.c) && up(&r.s));
	/* the server's first message is a ServerHello with the HelloRetryRequest random */
	assert_int_equal(r.s.wire[5], 2);
	assert_memory_equal(r.s.wire + 5 + 4 + 2, hrr, sizeof hrr);
	finish(&r);
	pki_drop(&p);
}

static void test_with_bearssl(void **state)
{
	(void)state;
	static const uint8_t downgrd[8] = { 'D', 'O', 'W', 'N', 'G', 'R', 'D', 1 };
	struct pki p;
	pki_load(&p, "server-ecdsa.pem", "server-ecdsa.key");
	struct run r;
	/* a TLS 1.2 BearSSL client and a 1.3-capable OpenSSL server agree on TLS 1.2, and the
	 * server's random ends with the sentinel */
	config(&r, &p, TLS_ENGINE_BEARSSL, TLS_ENGINE_OPENSSL, 0, TLS13, 9);
	start(&r);
	assert_null(r.c.ep->ossl);
	pump(&r);
	assert_true(up(&r.c) && up(&r.s));
	assert_int_equal(tls_version(r.c.ep), BR_TLS12);
	assert_int_equal(tls_version(r.s.ep), BR_TLS12);
	assert_memory_equal(tls_server_random(r.c.ep) + 24, downgrd, 8);
	assert_memory_equal(tls_master_secret(r.c.ep), tls_master_secret(r.s.ep), 48);
	put(&r.c, "NOOP\r\n");
	pump(&r);
	assert_int_equal(r.s.got_len, 6);
	finish(&r);
	/* an OpenSSL client that offers 1.3 and a BearSSL server: TLS 1.2, no sentinel */
	config(&r, &p, TLS_ENGINE_OPENSSL, TLS_ENGINE_BEARSSL, TLS13, 0, 9);
	r.cc.version_min = BR_TLS12;
	start(&r);
	pump(&r);
	assert_true(up(&r.c) && up(&r.s));
	assert_int_equal(tls_version(r.c.ep), BR_TLS12);
	assert_true(memcmp(tls_server_random(r.c.ep) + 24, downgrd, 7));
	finish(&r);
	pki_drop(&p);
}

/* KeyUpdate both ways (the client asks the server to follow): the trace opens every
 * record, those after it under the next generation of keys (RFC 8446 4.6.3, 7.2). */
static void test_key_update_traced(void **state)
{
	(void)state;
	struct pki p;
	pki_load(&p, "server-ecdsa.pem", "server-ecdsa.key");
	struct tracer *tr = calloc(1, sizeof *tr);
	assert_non_null(tr);
	trace_init(&tr->t);
	wire_stream_init(&tr->ws[0], &tr->t, &tr->now, LINK_CLIENT_SERVER, ACTOR_CLIENT, ACTOR_SERVER, 1, &tr->smtp);
	wire_stream_init(&tr->ws[1], &tr->t, &tr->now, LINK_CLIENT_SERVER, ACTOR_SERVER, ACTOR_CLIENT, 0, &tr->smtp);
	wire_stream_pair(&tr->ws[0], &tr->ws[1]);
	struct run r;
	config(&r, &p, TLS_ENGINE_OPENSSL, TLS_ENGINE_OPENSSL, TLS13, TLS13, 11);
	r.cc.suites = (const uint16_t[]){ 0x1303 }; /* ChaCha20-Poly1305 this time */
	r.cc.nsuites = 1;
	tr->client = &r.c;
	tracing = tr;
	start(&r);
	pump(&r);
	assert_true(up(&r.c) && up(&r.s));
	assert_int_equal(tls_suite(r.c.ep), 0x1303);
	assert_int_equal(tls_key_update(r.c.ep, 1), 0);
	pump(&r);
	put(&r.c, "NOOP\r\n");
	pump(&r);
	put(&r.s, "250 2.0.0 OK\r\n");
	pump(&r);
	assert_int_equal(r.s.got_len, 6);
	assert_int_equal(r.c.got_len, 14);
	tracing = NULL;
	int updates[2] = { 0, 0 }, opened = 0, after = 0, sealed = 0;
	for (size_t i = 0; i < tr->t.n; i++) {
		const struct trace_event *e = &tr->t.ev[i];
		if (e->kind == TK_HANDSHAKE && e->subtype == 24 && e->encrypted)
			updates[e->from == ACTOR_SERVER]++;
		if (e->kind != TK_RECORD || !e->encrypted)
			continue;
		sealed++;
		opened += fields_get(&e->fields, "inner_content_type") != NULL;
		const char *by = fields_get(&e->fields, "protected_by");
		after += by && strstr(by, "after 1 KeyUpdate") != NULL;
	}
	assert_int_equal(updates[0], 1);
	assert_int_equal(updates[1], 1);
	assert_true(sealed >= 8);
	assert_int_equal(opened, sealed); /* every protected record opened */
	assert_int_equal(after, 2);       /* NOOP and the reply; each KeyUpdate goes under the old keys */
	finish(&r);
	wire_stream_free(&tr->ws[0]);
	wire_stream_free(&tr->ws[1]);
	trace_free(&tr->t);
	free(tr);
	pki_drop(&p);
}

static void test_bearssl_has_no_tls13(void **state)
{
	(void)state;
	struct tls_endpoint *ep = calloc(1, sizeof *ep);
	struct tls_config cfg = { .is_server = 0, .engine = TLS_ENGINE_BEARSSL, .version_max = TLS13, .seed = 1 };
	char err[256] = "";
	assert_non_null(ep);
	assert_int_equal(tls_endpoint_init(ep, &cfg, err, sizeof err), -1);
	assert_non_null(strstr(err, "TLS 1.3"));
	tls_endpoint_free(ep);
	free(ep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls13_session),
		cmocka_unit_test(test_same_seed_same_bytes),
		cmocka_unit_test(test_certificate_failures),
		cmocka_unit_test(test_hello_retry),
		cmocka_unit_test(test_with_bearssl),
		cmocka_unit_test(test_key_update_traced),
		cmocka_unit_test(test_bearssl_has_no_tls13),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
