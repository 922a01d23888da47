/* test_smtp_dialogue: the SMTP client and server state machines talking to each other
 * (or to a scripted peer) without pipes or TLS. The test moves the bytes; the TLS
 * upgrade is simulated by calling *_tls_established on both sides once both want it. */
#include "testutil.h"

#include <stdio.h>

#include "sim/base/base64.h"
#include "sim/smtp/smtp_client.h"
#include "sim/smtp/smtp_server.h"

/* A growing byte buffer, always NUL-terminated so strstr works on it. */
struct buf {
	char *p;
	size_t n, cap;
};

static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		b->p = realloc(b->p, cap);
		assert_non_null(b->p);
		b->cap = cap;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static const char *buf_str(const struct buf *b)
{
	return b->p ? b->p : "";
}

/* One side's output: what is waiting for the peer, everything it ever sent, its notes. */
struct side {
	struct buf out;
	struct buf log;
	struct buf notes;
	size_t sends;
};

static int side_send(void *ctx, enum smtp_out_kind kind, const uint8_t *p, size_t n)
{
	(void)kind;
	struct side *s = ctx;
	buf_add(&s->out, p, n);
	buf_add(&s->log, p, n);
	s->sends++;
	return 0;
}

static void side_note(void *ctx, enum smtp_note kind, const char *text)
{
	(void)kind;
	struct side *s = ctx;
	buf_add(&s->notes, text, strlen(text));
	buf_add(&s->notes, "\n", 1);
}

static void side_free(struct side *s)
{
	free(s->out.p);
	free(s->log.p);
	free(s->notes.p);
	memset(s, 0, sizeof *s);
}

static struct smtp_sink sink_for(struct side *s)
{
	return (struct smtp_sink){ .ctx = s, .send = side_send, .note = side_note };
}

static size_t count(const char *hay, const char *needle)
{
	size_t k = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		k++;
	return k;
}

/* ---- a client and a server wired together ---- */

static const char *const two_rcpts[] = { "bob@example.test", "carol@example.test" };
static const char body_text[] = "Subject: hi\n\nHello Bob,\n.hidden starts with a dot\n.\nlast line";
static const char body_expected[] =
	"Subject: hi\r\n\r\nHello Bob,\r\n.hidden starts with a dot\r\n.\r\nlast line\r\n";

struct pair {
	struct side cs, ss; /* what the client sent, what the server sent */
	struct smtp_client *c;
	struct smtp_server *s;
	int upgrades;
};

/* The careless server of the old days, which most tests below are about; the realistic
 * submission defaults (auth_requires_tls, auth_required) are tested on their own. */
static struct smtp_server_config server_cfg(enum smtp_server_mode mode)
{
	return (struct smtp_server_config){
		.hostname = "mail.example.test",
		.mode = mode,
		.user = "alice",
		.password = "wonderland",
		.max_size = 10000,
	};
}

static struct smtp_client_config client_cfg(enum smtp_client_tls tls)
{
	return (struct smtp_client_config){
		.ehlo_name = "client.example.test",
		.tls = tls,
		.auth = SMTP_CLIENT_AUTH_NONE,
		.user = "alice",
		.password = "wonderland",
		.mail_from = "alice@example.test",
		.rcpt = two_rcpts,
		.nrcpt = 2,
		.body = (const uint8_t *)body_text,
		.body_len = sizeof body_text - 1,
	};
}

static void pair_open(struct pair *x, const struct smtp_client_config *cc, const struct smtp_server_config *sc)
{
	memset(x, 0, sizeof *x);
	x->c = smtp_client_new(cc, sink_for(&x->cs));
	x->s = smtp_server_new(sc, sink_for(&x->ss));
	assert_non_null(x->c);
	assert_non_null(x->s);
}

static void pair_close(struct pair *x)
{
	smtp_client_free(x->c);
	smtp_server_free(x->s);
	side_free(&x->cs);
	side_free(&x->ss);
}

/* Moves bytes until nobody has anything to say. */
static void pair_run(struct pair *x)
{
	smtp_server_start(x->s);
	for (int round = 0; round < 10000; round++) {
		int moved = 0;
		if (x->cs.out.n) {
			struct buf b = x->cs.out;
			memset(&x->cs.out, 0, sizeof x->cs.out);
			smtp_server_feed(x->s, (const uint8_t *)b.p, b.n);
			free(b.p);
			moved = 1;
		}
		if (x->ss.out.n) {
			struct buf b = x->ss.out;
			memset(&x->ss.out, 0, sizeof x->ss.out);
			smtp_client_feed(x->c, (const uint8_t *)b.p, b.n);
			free(b.p);
			moved = 1;
		}
		/* What the client sent is "on the wire" (in cs.out): it may read on. */
		if (smtp_client_step(x->c))
			moved = 1;
		if (smtp_client_state(x->c) == SMTP_CLIENT_SENDING_BODY && smtp_client_pump(x->c, 1000))
			moved = 1;
		if (smtp_client_wants_tls(x->c) && smtp_server_wants_tls(x->s)) {
			smtp_server_tls_established(x->s);
			smtp_client_tls_established(x->c);
			x->upgrades++;
			moved = 1;
		}
		if (!moved)
			break;
	}
	if (smtp_server_state(x->s) == SMTP_SERVER_CLOSED)
		smtp_client_connection_closed(x->c);
}

/* Feeds replies and lets the client read them all, as an actor that puts every command
 * on the wire at once would. */
static void client_feed_str(struct smtp_client *c, const char *s)
{
	smtp_client_feed(c, (const uint8_t *)s, strlen(s));
	while (smtp_client_step(c))
		;
}

static void assert_delivered_body(const struct smtp_server *s)
{
	assert_int_equal(smtp_server_message_count(s), 1);
	const struct smtp_server_message *m = smtp_server_message(s, 0);
	assert_string_equal(m->mail_from, "alice@example.test");
	assert_int_equal(m->nrcpt, 2);
	assert_string_equal(m->rcpt[0], "bob@example.test");
	assert_string_equal(m->rcpt[1], "carol@example.test");
	assert_int_equal(m->body_len, strlen(body_expected));
	assert_int_equal(m->body_total, strlen(body_expected));
	assert_memory_equal(m->body, body_expected, m->body_len);
}

static void test_plain_dialogue(void **state)
{
	(void)state;
	for (size_t chunk = 0; chunk <= 7; chunk += 7) {
		struct smtp_client_config cc = client_cfg(SMTP_CLIENT_TLS_NONE);
		cc.body_chunk = chunk;
		struct smtp_server_config sc = server_cfg(SMTP_SERVER_PLAIN);
		struct pair x;
		pair_open(&x, &cc, &sc);
		pair_run(&x);
		assert_int_equal(smtp_client_state(x.c), SMTP_CLIENT_DONE);
		assert_null(smtp_client_error(x.c));
		assert_true(smtp_client_delivered(x.c));
		assert_int_equal(smtp_client_last_code(x.c), 221);
		assert_int_equal(smtp_server_state(x.s), SMTP_SERVER_CLOSED);
		assert_delivered_body(x.s);
		assert_int_equal(smtp_server_message(x.s, 0)->in_tls, 0);
		assert_null(smtp_server_message(x.s, 0)->auth_user);
		/* On the wire the dots are doubled and the body ends with CRLF.CRLF. */
		assert_non_null(strstr(buf_str(&x.cs.log), "\r\n..hidden starts"));
		assert_non_null(strstr(buf_str(&x.cs.log), "\r\n..\r\nlast line\r\n.\r\nQUIT\r\n"));
		assert_non_null(strstr(buf_str(&x.ss.log), "220 mail.example.test ESMTP smtps-sim demo server\r\n"));
		assert_non_null(strstr(buf_str(&x.ss.log), "250-mail.example.test greets client.example.test\r\n"));
		assert_null(strstr(buf_str(&x.ss.log), "STARTTLS"));
		/* SIZE was advertised, so the client announced the size. */
		assert_non_null(strstr(buf_str(&x.cs.log), "MAIL FROM:<alice@example.test> SIZE="));
		assert_int_equal(count(buf_str(&x.cs.log), "EHLO "), 1);
		assert_int_equal(x.upgrades, 0);
		pair_close(&x);
	}
}

static void test_starttls_dialogue(void **state)
{
	(void)state;
	struct smtp_client_config cc = client_cfg(SMTP_CLIENT_TLS_OPPORTUNISTIC);
	cc.auth = SMTP_CLIENT_AUTH_PLAIN;
	struct smtp_server_config sc = server_cfg(SMTP_SERVER_STARTTLS);
	sc.auth_requires_tls = 1;
	struct pair x;
	pair_open(&x, &cc, &sc);
	pair_run(&x);
	assert_null(smtp_client_error(x.c));
	assert_true(smtp_client_delivered(x.c));
	assert_int_equal(x.upgrades, 1);
	assert_true(smtp_client_in_tls(x.c));
	assert_true(smtp_server_in_tls(x.s));
	assert_int_equal(count(buf_str(&x.cs.log), "EHLO client.example.test\r\n"), 2);

	/* Before the upgrade STARTTLS is offered and AUTH is not; after it, the reverse. */
	const char *log = buf_str(&x.ss.log);
	const char *split = strstr(log, "220 2.0.0 Ready to start TLS\r\n");
	assert_non_null(split);
	size_t before = (size_t)(split - log);
	char *first = strndup(log, before);
	assert_non_null(strstr(first, "250 STARTTLS\r\n"));
	assert_null(strstr(first, "AUTH"));
	free(first);
	assert_null(strstr(split, "STARTTLS\r\n"));
	assert_non_null(strstr(split, "250 AUTH PLAIN LOGIN\r\n"));
	assert_non_null(strstr(split, "235 2.7.0"));

	assert_delivered_body(x.s);
	assert_int_equal(smtp_server_message(x.s, 0)->in_tls, 1);
	assert_string_equal(smtp_server_message(x.s, 0)->auth_user, "alice");
	assert_string_equal(smtp_server_auth_user(x.s), "alice");
	pair_close(&x);
}

static void test_required_client_plain_server(void **state)
{
	(void)state;
	struct smtp_client_config cc = client_cfg(SMTP_CLIENT_TLS_REQUIRED);
	cc.auth = SMTP_CLIENT_AUTH_PLAIN;
	struct smtp_server_config sc = server_cfg(SMTP_SERVER_PLAIN);
	struct pair x;
	pair_open(&x, &cc, &sc);
	pair_run(&x);
	assert_int_equal(smtp_client_state(x.c), SMTP_CLIENT_DONE);
	assert_false(smtp_client_delivered(x.c));
	assert_non_null(smtp_client_error(x.c));
	assert_string_equal(smtp_client_error(x.c),
			    "server does not offer STARTTLS and this client requires TLS: QUIT");
	assert_string_equal(buf_str(&x.cs.log), "EHLO client.example.test\r\nQUIT\r\n");
	assert_int_equal(smtp_server_message_count(x.s), 0);
	assert_null(smtp_server_auth_user(x.s));
	pair_close(&x);
}

static void test_opportunistic_fallback(void **state)
{
	(void)state;
	struct smtp_client_config cc = client_cfg(SMTP_CLIENT_TLS_OPPORTUNISTIC);
	struct smtp_server_config sc = server_cfg(SMTP_SERVER_PLAIN);
	struct pair x;
	pair_open(&x, &cc, &sc);
	pair_run(&x);
	assert_true(smtp_client_delivered(x.c));
	assert_non_null(strstr(buf_str(&x.cs.notes), "STARTTLS was not offered; an opportunistic client carries on in cleartext"));
	assert_int_equal(smtp_server_message(x.s, 0)->in_tls, 0);
	pair_close(&x);
}

static void test_starttls_required_server_530(void **state)
{
	(void)state;
	struct smtp_client_config cc = client_cfg(SMTP_CLIENT_TLS_NONE);
	struct smtp_server_config sc = server_cfg(SMTP_SERVER_STARTTLS_REQUIRED);
	struct pair x;
	pair_open(&x, &cc, &sc);
	pair_run(&x);
	assert_false(smtp_client_delivered(x.c));
	assert_string_equal(smtp_client_error(x.c),
			    "server answered 530 5.7.0 Must issue a STARTTLS command first to MAIL FROM");
	assert_non_null(strstr(buf_str(&x.cs.notes), "this client is set never to use TLS"));
	assert_null(strstr(buf_str(&x.cs.log), "RCPT"));
	assert_int_equal(smtp_server_message_count(x.s), 0);
	pair_close(&x);
}

static void auth_case(enum smtp_client_auth mech, const char *password, int ok)
{
	struct smtp_client_config cc = client_cfg(SMTP_CLIENT_TLS_REQUIRED);
	cc.auth = mech;
	cc.password = password;
	struct smtp_server_config sc = server_cfg(SMTP_SERVER_STARTTLS);
	sc.auth_requires_tls = 1;
	struct pair x;
	pair_open(&x, &cc, &sc);
	pair_run(&x);
	const char *slog = buf_str(&x.ss.log);
	if (mech == SMTP_CLIENT_AUTH_LOGIN) {
		assert_non_null(strstr(slog, "334 VXNlcm5hbWU6\r\n"));
		assert_non_null(strstr(slog, "334 UGFzc3dvcmQ6\r\n"));
		assert_non_null(strstr(buf_str(&x.cs.log), "AUTH LOGIN\r\nYWxpY2U=\r\n"));
	} else {
		/* base64("\0alice\0wonderland") or base64("\0alice\0looking-glass") */
		assert_non_null(strstr(buf_str(&x.cs.log), ok ? "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n"
							       : "AUTH PLAIN AGFsaWNlAGxvb2tpbmctZ2xhc3M=\r\n"));
	}
	if (ok) {
		assert_non_null(strstr(slog, "235 2.7.0 Authentication successful\r\n"));
		assert_null(smtp_client_error(x.c));
		assert_true(smtp_client_delivered(x.c));
		assert_string_equal(smtp_server_auth_user(x.s), "alice");
		assert_string_equal(smtp_server_message(x.s, 0)->auth_user, "alice");
	} else {
		assert_non_null(strstr(slog, "535 5.7.8 Authentication credentials invalid\r\n"));
		assert_string_equal(smtp_client_error(x.c),
				    "server answered 535 5.7.8 Authentication credentials invalid to AUTH");
		assert_false(smtp_client_delivered(x.c));
		assert_null(smtp_server_auth_user(x.s));
		assert_int_equal(smtp_server_message_count(x.s), 0);
		assert_null(strstr(buf_str(&x.cs.log), "MAIL FROM"));
	}
	pair_close(&x);
}

static void test_auth(void **state)
{
	(void)state;
	auth_case(SMTP_CLIENT_AUTH_PLAIN, "wonderland", 1);
	auth_case(SMTP_CLIENT_AUTH_LOGIN, "wonderland", 1);
	auth_case(SMTP_CLIENT_AUTH_PLAIN, "looking-glass", 0);
	auth_case(SMTP_CLIENT_AUTH_LOGIN, "looking-glass", 0);
}

/* ---- the server against a scripted client ---- */

struct lone_server {
	struct side ss;
	struct smtp_server *s;
};

static void ls_open(struct lone_server *l, const struct smtp_server_config *sc)
{
	memset(l, 0, sizeof *l);
	l->s = smtp_server_new(sc, sink_for(&l->ss));
	assert_non_null(l->s);
	smtp_server_start(l->s);
}

static void ls_feed(struct lone_server *l, const char *text)
{
	smtp_server_feed(l->s, (const uint8_t *)text, strlen(text));
}

/* The replies since the last call, for exact comparisons. */
static char *ls_take(struct lone_server *l)
{
	char *r = strdup(buf_str(&l->ss.out));
	free(l->ss.out.p);
	memset(&l->ss.out, 0, sizeof l->ss.out);
	return r;
}

static void ls_expect(struct lone_server *l, const char *want)
{
	char *got = ls_take(l);
	assert_string_equal(got, want);
	free(got);
}

static void ls_close(struct lone_server *l)
{
	smtp_server_free(l->s);
	side_free(&l->ss);
}

static void test_auth_requires_tls_538(void **state)
{
	(void)state;
	struct smtp_server_config sc = server_cfg(SMTP_SERVER_STARTTLS);
	sc.auth_requires_tls = 1;
	struct lone_server l;
	ls_open(&l, &sc);
	free(ls_take(&l));
	ls_feed(&l, "EHLO c\r\n");
	char *ehlo = ls_take(&l);
	assert_null(strstr(ehlo, "AUTH"));
	assert_non_null(strstr(ehlo, "250 STARTTLS\r\n"));
	free(ehlo);
	ls_feed(&l, "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n");
	ls_expect(&l, "538 5.7.11 Encryption required for requested authentication mechanism\r\n");
	assert_null(smtp_server_auth_user(l.s));
	ls_close(&l);

	/* A client with credentials that is not offered AUTH stops: it does not hand its mail
	 * over unauthenticated. */
	struct smtp_client_config cc = client_cfg(SMTP_CLIENT_TLS_NONE);
	cc.auth = SMTP_CLIENT_AUTH_PLAIN;
	struct pair x;
	pair_open(&x, &cc, &sc);
	pair_run(&x);
	assert_false(smtp_client_delivered(x.c));
	assert_string_equal(smtp_client_error(x.c),
			    "server does not offer AUTH PLAIN and this client has credentials to use: QUIT");
	assert_string_equal(buf_str(&x.cs.log), "EHLO client.example.test\r\nQUIT\r\n");
	assert_int_equal(smtp_server_message_count(x.s), 0);
	pair_close(&x);

	/* The quirk skip-auth-silently goes on without it, and says it is a weakness. */
	cc.quirks = SMTP_CLIENT_QUIRK_SKIP_AUTH_SILENTLY;
	pair_open(&x, &cc, &sc);
	pair_run(&x);
	assert_null(strstr(buf_str(&x.cs.log), "AUTH"));
	assert_non_null(strstr(buf_str(&x.cs.notes), "Quirk skip-auth-silently"));
	assert_non_null(strstr(buf_str(&x.cs.notes), "weakness"));
	assert_true(smtp_client_delivered(x.c));
	assert_null(smtp_server_message(x.s, 0)->auth_user);
	pair_close(&x);
}

/* The realistic submission server (587/465): AUTH only inside TLS and not advertised
 * before it, and no mail without AUTH. */
static void test_submission_server(void **state)
{
	(void)state;
	struct smtp_server_config sc = server_cfg(SMTP_SERVER_STARTTLS);
	sc.auth_requires_tls = 1;
	sc.auth_required = 1;
	struct lone_server l;
	ls_open(&l, &sc);
	free(ls_take(&l));
	ls_feed(&l, "EHLO c\r\n");
	char *ehlo = ls_take(&l);
	assert_null(strstr(ehlo, "AUTH"));
	assert_non_null(strstr(ehlo, "250 STARTTLS\r\n"));
	free(ehlo);
	ls_feed(&l, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n");
	ls_expect(&l, "530 5.7.0 Authentication required\r\n503 5.5.1 Need MAIL command first\r\n");
	assert_non_null(strstr(buf_str(&l.ss.notes), "RFC 6409"));
	ls_feed(&l, "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n");
	ls_expect(&l, "538 5.7.11 Encryption required for requested authentication mechanism\r\n");
	ls_feed(&l, "STARTTLS\r\n");
	ls_expect(&l, "220 2.0.0 Ready to start TLS\r\n");
	smtp_server_tls_established(l.s);
	ls_feed(&l, "EHLO c\r\n");
	ehlo = ls_take(&l);
	assert_non_null(strstr(ehlo, "250 AUTH PLAIN LOGIN\r\n"));
	free(ehlo);
	ls_feed(&l, "MAIL FROM:<a@b>\r\n");
	ls_expect(&l, "530 5.7.0 Authentication required\r\n");
	ls_feed(&l, "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\nMAIL FROM:<a@b>\r\n");
	ls_expect(&l, "235 2.7.0 Authentication successful\r\n250 2.1.0 Sender <a@b> OK\r\n");
	ls_close(&l);

	/* Implicit TLS: AUTH is advertised at once, MAIL still waits for it. */
	sc.mode = SMTP_SERVER_IMPLICIT;
	ls_open(&l, &sc);
	free(ls_take(&l));
	ls_feed(&l, "EHLO c\r\nMAIL FROM:<a@b>\r\n");
	char *r = ls_take(&l);
	assert_non_null(strstr(r, "250 AUTH PLAIN LOGIN\r\n530 5.7.0 Authentication required\r\n"));
	free(r);
	ls_close(&l);

	/* A plain server that requires TLS for AUTH can never offer it. */
	sc.mode = SMTP_SERVER_PLAIN;
	ls_open(&l, &sc);
	free(ls_take(&l));
	ls_feed(&l, "EHLO c\r\n");
	r = ls_take(&l);
	assert_null(strstr(r, "AUTH"));
	assert_null(strstr(r, "STARTTLS"));
	free(r);
	ls_feed(&l, "AUTH LOGIN\r\nSTARTTLS\r\n");
	ls_expect(&l, "538 5.7.11 Encryption required for requested authentication mechanism\r\n"
		      "502 5.5.1 Command not implemented\r\n");
	ls_close(&l);

	/* The whole dialogue with a correct client: STARTTLS, AUTH inside, delivered. */
	struct smtp_client_config cc = client_cfg(SMTP_CLIENT_TLS_REQUIRED);
	cc.auth = SMTP_CLIENT_AUTH_LOGIN;
	sc.mode = SMTP_SERVER_STARTTLS;
	struct pair x;
	pair_open(&x, &cc, &sc);
	pair_run(&x);
	assert_null(smtp_client_error(x.c));
	assert_true(smtp_client_delivered(x.c));
	assert_string_equal(smtp_server_message(x.s, 0)->auth_user, "alice");
	pair_close(&x);

	/* A client without credentials gets 530 at MAIL and stops. */
	cc.auth = SMTP_CLIENT_AUTH_NONE;
	pair_open(&x, &cc, &sc);
	pair_run(&x);
	assert_false(smtp_client_delivered(x.c));
	assert_string_equal(smtp_client_error(x.c), "server answered 530 5.7.0 Authentication required to MAIL FROM");
	assert_int_equal(smtp_server_message_count(x.s), 0);
	pair_close(&x);
}

/* A relay (port 25) takes mail from anybody: auth_required = 0. */
static void test_relay_accepts_unauthenticated(void **state)
{
	(void)state;
	struct smtp_server_config sc = server_cfg(SMTP_SERVER_STARTTLS);
	sc.auth_requires_tls = 1;
	sc.auth_required = 0;
	struct smtp_client_config cc = client_cfg(SMTP_CLIENT_TLS_REQUIRED);
	struct pair x;
	pair_open(&x, &cc, &sc);
	pair_run(&x);
	assert_null(smtp_client_error(x.c));
	assert_true(smtp_client_delivered(x.c));
	assert_null(smtp_server_message(x.s, 0)->auth_user);
	assert_null(strstr(buf_str(&x.ss.log), "530"));
	pair_close(&x);
}

/* A STARTTLS the server does not implement is 502 (RFC 5321), not 454 (temporary). */
static void test_starttls_on_plain_server_502(void **state)
{
	(void)state;
	struct smtp_server_config sc = server_cfg(SMTP_SERVER_PLAIN);
	struct lone_server l;
	ls_open(&l, &sc);
	free(ls_take(&l));
	ls_feed(&l, "EHLO c\r\nSTARTTLS\r\n");
	char *r = ls_take(&l);
	assert_null(strstr(r, "STARTTLS"));
	assert_non_null(strstr(r, "\r\n502 5.5.1 Command not implemented\r\n"));
	assert_null(strstr(r, "454"));
	free(r);
	assert_false(smtp_server_wants_tls(l.s));
	ls_close(&l);
}

/* ---- client quirks, against scripted replies ---- */

static struct smtp_client *quirky(struct side *cs, enum smtp_client_tls tls, unsigned quirks, unsigned port)
{
	memset(cs, 0, sizeof *cs);
	struct smtp_client_config cc = client_cfg(tls);
	cc.quirks = quirks;
	cc.port = port;
	struct smtp_client *c = smtp_client_new(&cc, sink_for(cs));
	assert_non_null(c);
	return c;
}

static void test_quirk_continue_after_starttls_failure(void **state)
{
	(void)state;
	for (int on = 0; on <= 1; on++) {
		struct side cs;
		struct smtp_client *c = quirky(&cs, SMTP_CLIENT_TLS_REQUIRED,
					       on ? SMTP_CLIENT_QUIRK_CONTINUE_AFTER_STARTTLS_FAILURE : 0, 587);
		client_feed_str(c, "220 hi\r\n250-x\r\n250 STARTTLS\r\n454 4.7.0 TLS not available\r\n");
		if (on) {
			assert_null(smtp_client_error(c));
			assert_int_equal(smtp_client_state(c), SMTP_CLIENT_WAIT_MAIL);
			assert_false(smtp_client_in_tls(c));
			assert_non_null(strstr(buf_str(&cs.log), "STARTTLS\r\nMAIL FROM:"));
			assert_non_null(strstr(buf_str(&cs.notes), "Quirk continue-after-starttls-failure"));
			assert_non_null(strstr(buf_str(&cs.notes), "CVE-2016-0772"));
		} else {
			assert_non_null(smtp_client_error(c));
			assert_non_null(strstr(buf_str(&cs.log), "STARTTLS\r\nQUIT\r\n"));
			assert_null(strstr(buf_str(&cs.notes), "Quirk"));
		}
		smtp_client_free(c);
		side_free(&cs);
	}
}

static void test_quirk_helo_fallback(void **state)
{
	(void)state;
	/* Without the quirk, a refused EHLO ends the session. */
	struct side cs;
	struct smtp_client *c = quirky(&cs, SMTP_CLIENT_TLS_OPPORTUNISTIC, 0, 587);
	client_feed_str(c, "220 hi\r\n502 5.5.1 EHLO not implemented\r\n");
	assert_string_equal(smtp_client_error(c), "server answered 502 5.5.1 EHLO not implemented to EHLO");
	assert_string_equal(buf_str(&cs.log), "EHLO client.example.test\r\nQUIT\r\n");
	smtp_client_free(c);
	side_free(&cs);

	/* With it: HELO, no extensions, so an opportunistic client goes on in cleartext... */
	c = quirky(&cs, SMTP_CLIENT_TLS_OPPORTUNISTIC, SMTP_CLIENT_QUIRK_HELO_FALLBACK, 587);
	client_feed_str(c, "220 hi\r\n502 5.5.1 EHLO not implemented\r\n250 mail.example.test\r\n");
	assert_null(smtp_client_error(c));
	assert_string_equal(buf_str(&cs.log), "EHLO client.example.test\r\nHELO client.example.test\r\n"
					      "MAIL FROM:<alice@example.test>\r\n");
	assert_non_null(strstr(buf_str(&cs.notes), "Quirk helo-fallback"));
	assert_non_null(strstr(buf_str(&cs.notes), "STARTTLS was not offered"));
	smtp_client_free(c);
	side_free(&cs);

	/* ...while a client that requires TLS still stops: it never saw STARTTLS. */
	c = quirky(&cs, SMTP_CLIENT_TLS_REQUIRED, SMTP_CLIENT_QUIRK_HELO_FALLBACK, 587);
	client_feed_str(c, "220 hi\r\n500 5.5.2 what\r\n250 mail.example.test\r\n");
	assert_string_equal(smtp_client_error(c), "server does not offer STARTTLS and this client requires TLS: QUIT");
	assert_string_equal(buf_str(&cs.log), "EHLO client.example.test\r\nHELO client.example.test\r\nQUIT\r\n");
	smtp_client_free(c);
	side_free(&cs);
}

static void test_quirk_port_fallback(void **state)
{
	(void)state;
	enum smtp_client_tls next = SMTP_CLIENT_TLS_IMPLICIT;
	/* 587: STARTTLS refused, so the next try is port 25 without TLS. */
	for (int on = 0; on <= 1; on++) {
		struct side cs;
		struct smtp_client *c = quirky(&cs, SMTP_CLIENT_TLS_REQUIRED, on ? SMTP_CLIENT_QUIRK_PORT_FALLBACK : 0, 587);
		client_feed_str(c, "220 hi\r\n250-x\r\n250 STARTTLS\r\n502 5.5.1 no\r\n");
		assert_non_null(strstr(buf_str(&cs.log), "STARTTLS\r\nQUIT\r\n"));
		if (on) {
			assert_int_equal(smtp_client_fallback(c, &next), 25);
			assert_int_equal(next, SMTP_CLIENT_TLS_NONE);
			assert_non_null(strstr(buf_str(&cs.notes), "Quirk port-fallback"));
			assert_non_null(strstr(buf_str(&cs.notes), "connects to port 25 without TLS"));
		} else {
			assert_int_equal(smtp_client_fallback(c, &next), 0);
		}
		smtp_client_free(c);
		side_free(&cs);
	}
	/* 465: the handshake fails, so the next try is 587 with STARTTLS. */
	struct side cs;
	struct smtp_client *c = quirky(&cs, SMTP_CLIENT_TLS_IMPLICIT, SMTP_CLIENT_QUIRK_PORT_FALLBACK, 465);
	smtp_client_connection_closed(c);
	assert_string_equal(smtp_client_error(c), "connection closed during the TLS handshake");
	assert_int_equal(smtp_client_fallback(c, &next), 587);
	assert_int_equal(next, SMTP_CLIENT_TLS_REQUIRED);
	assert_non_null(strstr(buf_str(&cs.notes), "port 465"));
	smtp_client_free(c);
	side_free(&cs);
}

/* E3: a reply buffered behind another is read only once the client's answer to the first
 * is on the wire, so no decision is traced before the command that caused it. */
static void test_client_reads_after_sending(void **state)
{
	(void)state;
	struct side cs = { 0 };
	struct smtp_client_config cc = client_cfg(SMTP_CLIENT_TLS_NONE);
	cc.auth = SMTP_CLIENT_AUTH_PLAIN;
	struct smtp_client *c = smtp_client_new(&cc, sink_for(&cs));
	static const char two[] = "220 hi\r\n250-x\r\n250 AUTH PLAIN\r\n535 5.7.8 no\r\n";
	smtp_client_feed(c, (const uint8_t *)two, sizeof two - 1);
	assert_string_equal(buf_str(&cs.log), "EHLO client.example.test\r\n");
	assert_null(smtp_client_error(c));
	assert_true(smtp_client_step(c));
	assert_string_equal(buf_str(&cs.log), "EHLO client.example.test\r\nAUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n");
	assert_null(smtp_client_error(c));
	assert_string_equal(buf_str(&cs.notes), "");
	assert_true(smtp_client_step(c));
	assert_non_null(strstr(buf_str(&cs.notes), "The client stops here"));
	assert_non_null(strstr(buf_str(&cs.log), "\r\nQUIT\r\n"));
	assert_false(smtp_client_step(c));
	smtp_client_free(c);
	side_free(&cs);
}

static void test_auth_server_details(void **state)
{
	(void)state;
	struct smtp_server_config sc = server_cfg(SMTP_SERVER_PLAIN);
	struct lone_server l;
	ls_open(&l, &sc);
	free(ls_take(&l));
	ls_feed(&l, "AUTH PLAIN\r\n");
	ls_expect(&l, "503 5.5.1 Send EHLO first\r\n");
	ls_feed(&l, "EHLO c\r\n");
	free(ls_take(&l));
	ls_feed(&l, "AUTH CRAM-MD5\r\n");
	ls_expect(&l, "504 5.5.4 Unrecognized authentication type\r\n");
	ls_feed(&l, "AUTH PLAIN\r\n*\r\n");
	ls_expect(&l, "334 \r\n501 5.0.0 Authentication cancelled\r\n");
	ls_feed(&l, "AUTH PLAIN not!base64\r\n");
	ls_expect(&l, "501 5.5.2 Cannot decode response\r\n");
	ls_feed(&l, "AUTH PLAIN\r\nAGFsaWNlAHdvbmRlcmxhbmQ=\r\n");
	ls_expect(&l, "334 \r\n235 2.7.0 Authentication successful\r\n");
	ls_feed(&l, "AUTH LOGIN\r\n");
	ls_expect(&l, "503 5.5.1 Already authenticated\r\n");
	ls_close(&l);
}

static void test_oversize_552(void **state)
{
	(void)state;
	/* Through the client: it announces SIZE= and the server refuses at MAIL. */
	struct smtp_client_config cc = client_cfg(SMTP_CLIENT_TLS_NONE);
	struct smtp_server_config sc = server_cfg(SMTP_SERVER_PLAIN);
	sc.max_size = 20;
	struct pair x;
	pair_open(&x, &cc, &sc);
	pair_run(&x);
	assert_false(smtp_client_delivered(x.c));
	assert_string_equal(smtp_client_error(x.c),
			    "server answered 552 5.3.4 Message size exceeds fixed maximum message size (20) to MAIL FROM");
	assert_int_equal(smtp_server_message_count(x.s), 0);
	pair_close(&x);

	/* Without SIZE=: the server reads to the final dot, then answers 552. */
	struct lone_server l;
	ls_open(&l, &sc);
	free(ls_take(&l));
	ls_feed(&l, "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n");
	free(ls_take(&l));
	ls_feed(&l, "0123456789\r\n0123456789\r\n");
	ls_expect(&l, "");
	ls_feed(&l, "more\r\n.\r\nNOOP\r\n");
	ls_expect(&l, "552 5.3.4 Message size exceeds fixed maximum message size (20)\r\n250 2.0.0 OK\r\n");
	assert_int_equal(smtp_server_message_count(l.s), 0);
	/* The transaction is gone: RCPT needs a new MAIL. */
	ls_feed(&l, "RCPT TO:<c@d>\r\n");
	ls_expect(&l, "503 5.5.1 Need MAIL command first\r\n");
	ls_close(&l);
}

static void test_long_lines(void **state)
{
	(void)state;
	struct smtp_server_config sc = server_cfg(SMTP_SERVER_PLAIN);
	struct lone_server l;
	ls_open(&l, &sc);
	free(ls_take(&l));
	char line[700];
	memcpy(line, "NOOP ", 5);
	memset(line + 5, 'x', 600);
	strcpy(line + 605, "\r\nNOOP\r\n");
	ls_feed(&l, line);
	ls_expect(&l, "500 5.5.2 Line too long (a command line exceeded 512 bytes)\r\n250 2.0.0 OK\r\n");
	/* The same, fed in small pieces so the server must drop the start of the line. */
	for (size_t i = 0; i < strlen(line); i += 50) {
		char piece[51] = { 0 };
		strncpy(piece, line + i, 50);
		ls_feed(&l, piece);
	}
	ls_expect(&l, "500 5.5.2 Line too long (a command line exceeded 512 bytes)\r\n250 2.0.0 OK\r\n");
	/* Exactly 512 bytes with CRLF is still legal. */
	memset(line + 5, 'x', 505);
	strcpy(line + 510, "\r\n");
	ls_feed(&l, line);
	ls_expect(&l, "250 2.0.0 OK\r\n");

	/* A body line over 1000 bytes: read to the dot, then refuse the message. */
	ls_feed(&l, "HELO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n");
	free(ls_take(&l));
	static char big[1200];
	memset(big, 'y', 1100);
	strcpy(big + 1100, "\r\n.\r\n");
	ls_feed(&l, big);
	ls_expect(&l, "500 5.5.2 Line too long (a text line exceeded 1000 bytes)\r\n");
	assert_int_equal(smtp_server_message_count(l.s), 0);
	/* A 1000-byte line (998 + CRLF) is fine. */
	ls_feed(&l, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n");
	free(ls_take(&l));
	memset(big, 'z', 998);
	strcpy(big + 998, "\r\n.\r\n");
	ls_feed(&l, big);
	ls_expect(&l, "250 2.0.0 Message accepted for delivery\r\n");
	assert_int_equal(smtp_server_message_count(l.s), 1);
	assert_int_equal(smtp_server_message(l.s, 0)->body_len, 1000);
	ls_close(&l);
}

static void test_server_sequence_errors(void **state)
{
	(void)state;
	struct smtp_server_config sc = server_cfg(SMTP_SERVER_PLAIN);
	sc.max_stored_body = 4;
	struct lone_server l;
	ls_open(&l, &sc);
	assert_string_equal(buf_str(&l.ss.out), "220 mail.example.test ESMTP smtps-sim demo server\r\n");
	free(ls_take(&l));
	/* Pipelined: every line is answered in order. Bare LF is a line end too. */
	ls_feed(&l, "MAIL FROM:<a@b>\r\nFROB\r\nSTARTTLS\r\nHELO\nHELO c\r\nRCPT TO:<c@d>\r\n"
		    "DATA\r\nMAIL FROM:a@b\r\nMAIL FROM:<a@b>\r\nMAIL FROM:<a@b>\r\nDATA\r\n");
	ls_expect(&l,
		  "503 5.5.1 Send EHLO or HELO first\r\n"
		  "500 5.5.2 Command not recognized: FROB\r\n"
		  "502 5.5.1 Command not implemented\r\n"
		  "501 5.5.4 Syntax: HELO hostname\r\n"
		  "250 mail.example.test\r\n"
		  "503 5.5.1 Need MAIL command first\r\n"
		  "503 5.5.1 Need MAIL command first\r\n"
		  "501 5.5.4 Syntax: MAIL FROM:<address>\r\n"
		  "250 2.1.0 Sender <a@b> OK\r\n"
		  "503 5.5.1 Nested MAIL command\r\n"
		  "503 5.5.1 Need RCPT command first\r\n");
	ls_feed(&l, "VRFY bob\r\nHELP\r\nRSET\r\nRCPT TO:<c@d>\r\n \r\n");
	ls_expect(&l,
		  "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery\r\n"
		  "214 2.0.0 Commands: EHLO HELO STARTTLS AUTH MAIL RCPT DATA RSET NOOP VRFY HELP QUIT\r\n"
		  "250 2.0.0 OK\r\n"
		  "503 5.5.1 Need MAIL command first\r\n"
		  "500 5.5.2 Syntax error, command unrecognized\r\n");
	/* max_stored_body keeps the first bytes but counts them all. */
	ls_feed(&l, "MAIL FROM:<>\r\nRCPT TO:<c@d>\r\nDATA\r\nabcdefgh\r\n.\r\nQUIT\r\nNOOP\r\n");
	ls_expect(&l,
		  "250 2.1.0 Sender <> OK\r\n"
		  "250 2.1.5 Recipient <c@d> OK\r\n"
		  "354 End data with <CR><LF>.<CR><LF>\r\n"
		  "250 2.0.0 Message accepted for delivery\r\n"
		  "221 2.0.0 mail.example.test closing connection\r\n");
	assert_int_equal(smtp_server_state(l.s), SMTP_SERVER_CLOSED);
	const struct smtp_server_message *m = smtp_server_message(l.s, 0);
	assert_non_null(m);
	assert_string_equal(m->mail_from, "");
	assert_int_equal(m->body_len, 4);
	assert_memory_equal(m->body, "abcd", 4);
	assert_int_equal(m->body_total, 10);
	ls_close(&l);
}

/* ---- STARTTLS buffering: command injection (server) ---- */

static void server_injection(enum smtp_buffering mode, const char *inject)
{
	struct smtp_server_config sc = server_cfg(SMTP_SERVER_STARTTLS);
	sc.buffering = mode;
	struct lone_server l;
	ls_open(&l, &sc);
	ls_feed(&l, "EHLO c\r\n");
	free(ls_take(&l));
	ls_feed(&l, inject);
	ls_expect(&l, "220 2.0.0 Ready to start TLS\r\n");
	assert_true(smtp_server_wants_tls(l.s));
	assert_int_equal(smtp_server_state(l.s), SMTP_SERVER_TLS_WAIT);
	smtp_server_tls_established(l.s);
	assert_true(smtp_server_in_tls(l.s));
	assert_false(smtp_server_wants_tls(l.s));
	char *after = ls_take(&l);
	if (mode == SMTP_BUFFER_KEEP) {
		assert_int_equal(smtp_server_injected_count(l.s), 1);
		assert_string_equal(smtp_server_injected(l.s, 0), "MAIL FROM:<evil@example.test>");
		assert_int_equal(smtp_server_injected_refused(l.s), 1);
		/* It ran inside TLS: EHLO was forgotten, so it got 503 through the tunnel. */
		assert_string_equal(after, "503 5.5.1 Send EHLO or HELO first\r\n");
		assert_non_null(strstr(buf_str(&l.ss.notes), "CVE-2011-0411"));
	} else {
		assert_int_equal(smtp_server_injected_count(l.s), 0);
		assert_null(smtp_server_injected(l.s, 0));
		assert_string_equal(after, "");
		assert_non_null(strstr(buf_str(&l.ss.notes), "threw away"));
	}
	free(after);
	/* Either way the real client now starts afresh. */
	ls_feed(&l, "EHLO c\r\nMAIL FROM:<alice@example.test>\r\n");
	after = ls_take(&l);
	assert_null(strstr(after, "STARTTLS"));
	assert_non_null(strstr(after, "250 2.1.0 Sender <alice@example.test> OK\r\n"));
	free(after);
	ls_close(&l);
}

static void test_server_buffering(void **state)
{
	(void)state;
	server_injection(SMTP_BUFFER_KEEP, "STARTTLS\r\nMAIL FROM:<evil@example.test>\r\n");
	server_injection(SMTP_BUFFER_DISCARD, "STARTTLS\r\nMAIL FROM:<evil@example.test>\r\n");
}

/* A whole forged transaction behind STARTTLS gets delivered "inside TLS" when kept. */
static void test_server_injected_transaction(void **state)
{
	(void)state;
	static const char inject[] =
		"STARTTLS\r\nEHLO evil\r\nMAIL FROM:<evil@example.test>\r\nRCPT TO:<bob@example.test>\r\n"
		"DATA\r\nforged\r\n.\r\n";
	for (int keep = 0; keep <= 1; keep++) {
		struct smtp_server_config sc = server_cfg(SMTP_SERVER_STARTTLS);
		sc.buffering = keep ? SMTP_BUFFER_KEEP : SMTP_BUFFER_DISCARD;
		struct lone_server l;
		ls_open(&l, &sc);
		ls_feed(&l, "EHLO c\r\n");
		ls_feed(&l, inject);
		smtp_server_tls_established(l.s);
		if (keep) {
			assert_int_equal(smtp_server_message_count(l.s), 1);
			const struct smtp_server_message *m = smtp_server_message(l.s, 0);
			assert_string_equal(m->mail_from, "evil@example.test");
			assert_int_equal(m->in_tls, 1);
			assert_memory_equal(m->body, "forged\r\n", m->body_len);
			/* Command lines are recorded, body lines are not. */
			assert_int_equal(smtp_server_injected_count(l.s), 4);
			assert_int_equal(smtp_server_injected_refused(l.s), 0);
			assert_string_equal(smtp_server_injected(l.s, 3), "DATA");
		} else {
			assert_int_equal(smtp_server_message_count(l.s), 0);
			assert_int_equal(smtp_server_injected_count(l.s), 0);
		}
		ls_close(&l);
	}
}

/* ---- STARTTLS buffering: response injection (client) ---- */


static void client_injection(enum smtp_buffering mode)
{
	struct side cs = { 0 };
	struct smtp_client_config cc = client_cfg(SMTP_CLIENT_TLS_REQUIRED);
	cc.buffering = mode;
	struct smtp_client *c = smtp_client_new(&cc, sink_for(&cs));
	assert_non_null(c);
	client_feed_str(c, "220 mail.example.test ESMTP\r\n");
	client_feed_str(c, "250-mail.example.test\r\n250 STARTTLS\r\n");
	assert_string_equal(buf_str(&cs.log), "EHLO client.example.test\r\nSTARTTLS\r\n");
	client_feed_str(c, "220 ready\r\n250 forged\r\n");
	assert_int_equal(smtp_client_state(c), SMTP_CLIENT_TLS_WAIT);
	assert_true(smtp_client_wants_tls(c));
	smtp_client_tls_established(c);
	assert_true(smtp_client_in_tls(c));
	/* Nothing buffered is read before the new EHLO is on the wire. */
	assert_int_equal(smtp_client_injected_count(c), 0);
	while (smtp_client_step(c))
		;
	const char *log = buf_str(&cs.log);
	if (mode == SMTP_BUFFER_KEEP) {
		/* The forged line is read as the answer to the second EHLO. */
		assert_int_equal(smtp_client_injected_count(c), 1);
		assert_string_equal(smtp_client_injected(c, 0), "250 forged");
		assert_string_equal(log, "EHLO client.example.test\r\nSTARTTLS\r\nEHLO client.example.test\r\n"
					 "MAIL FROM:<alice@example.test>\r\n");
		assert_int_equal(smtp_client_state(c), SMTP_CLIENT_WAIT_MAIL);
		assert_non_null(strstr(buf_str(&cs.notes), "Quirk keep-buffered-replies"));
		assert_non_null(strstr(buf_str(&cs.notes), "does not clear what is already in its input buffer"));
		assert_null(strstr(buf_str(&cs.notes), "Nothing more is read in cleartext"));
	} else {
		assert_non_null(strstr(buf_str(&cs.notes), "Nothing more is read in cleartext"));
		assert_int_equal(smtp_client_injected_count(c), 0);
		assert_string_equal(log, "EHLO client.example.test\r\nSTARTTLS\r\nEHLO client.example.test\r\n");
		assert_int_equal(smtp_client_state(c), SMTP_CLIENT_WAIT_EHLO);
		assert_non_null(strstr(buf_str(&cs.notes), "threw away 12 bytes"));
		/* The genuine reply through TLS moves it on. */
		client_feed_str(c, "250-mail.example.test\r\n250 SIZE 1000\r\n");
		assert_int_equal(smtp_client_state(c), SMTP_CLIENT_WAIT_MAIL);
		assert_non_null(strstr(buf_str(&cs.log), "MAIL FROM:<alice@example.test> SIZE="));
	}
	smtp_client_free(c);
	side_free(&cs);
}

/* RFC 1870 section 5: SIZE= counts the message with its CRLF pairs, but not the dots
 * doubled for transparency nor the terminating ".CRLF". */
static void test_client_size_declared(void **state)
{
	(void)state;
	static const char body[] = "a\r\n.b\nc";
	struct smtp_client_config cc = client_cfg(SMTP_CLIENT_TLS_NONE);
	cc.body = (const uint8_t *)body;
	cc.body_len = sizeof body - 1;
	struct side cs = { 0 };
	struct smtp_client *c = smtp_client_new(&cc, sink_for(&cs));
	client_feed_str(c, "220 hi\r\n250-mail.example.test\r\n250 SIZE 1000\r\n");
	/* sent: "a\r\n..b\r\nc\r\n.\r\n"; the message: "a\r\n.b\r\nc\r\n", 10 octets */
	assert_non_null(strstr(buf_str(&cs.log), "MAIL FROM:<alice@example.test> SIZE=10\r\n"));
	smtp_client_free(c);
	side_free(&cs);
}

static void test_client_buffering(void **state)
{
	(void)state;
	client_injection(SMTP_BUFFER_KEEP);
	client_injection(SMTP_BUFFER_DISCARD);
}

static void test_client_errors(void **state)
{
	(void)state;
	struct smtp_client_config cc = client_cfg(SMTP_CLIENT_TLS_OPPORTUNISTIC);
	struct side cs = { 0 };

	/* STARTTLS answered 454: an opportunistic client goes on in cleartext. */
	struct smtp_client *c = smtp_client_new(&cc, sink_for(&cs));
	client_feed_str(c, "220 hi\r\n250-x\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n");
	client_feed_str(c, "454 4.7.0 TLS not available\r\n");
	assert_non_null(strstr(buf_str(&cs.notes), "read 454 in answer to STARTTLS"));
	assert_int_equal(smtp_client_state(c), SMTP_CLIENT_WAIT_MAIL);
	assert_false(smtp_client_in_tls(c));
	smtp_client_connection_closed(c);
	assert_int_equal(smtp_client_state(c), SMTP_CLIENT_DONE);
	assert_string_equal(smtp_client_error(c), "connection closed by peer");
	smtp_client_free(c);
	side_free(&cs);

	/* The same with a client that requires TLS. */
	cc.tls = SMTP_CLIENT_TLS_REQUIRED;
	c = smtp_client_new(&cc, sink_for(&cs));
	client_feed_str(c, "220 hi\r\n250-x\r\n250 STARTTLS\r\n454 4.7.0 TLS not available\r\n221 bye\r\n");
	assert_string_equal(smtp_client_error(c),
			    "server refused STARTTLS (454 4.7.0 TLS not available) and this client requires TLS: QUIT");
	assert_int_equal(smtp_client_state(c), SMTP_CLIENT_DONE);
	assert_non_null(strstr(buf_str(&cs.log), "STARTTLS\r\nQUIT\r\n"));
	smtp_client_free(c);
	side_free(&cs);

	/* An over-long reply line, and a code that changes inside a multi-line reply. */
	cc.tls = SMTP_CLIENT_TLS_NONE;
	c = smtp_client_new(&cc, sink_for(&cs));
	char longline[600];
	memset(longline, 'a', sizeof longline - 1);
	memcpy(longline, "220 ", 4);
	longline[sizeof longline - 1] = '\0';
	client_feed_str(c, longline);
	assert_string_equal(smtp_client_error(c), "server sent a reply line longer than 512 bytes");
	assert_int_equal(smtp_client_state(c), SMTP_CLIENT_WAIT_QUIT);
	smtp_client_free(c);
	side_free(&cs);

	c = smtp_client_new(&cc, sink_for(&cs));
	client_feed_str(c, "220 hi\r\n250-x\r\n251 y\r\n");
	assert_string_equal(smtp_client_error(c),
			    "server changed the reply code in the middle of a multi-line reply");
	smtp_client_free(c);
	side_free(&cs);

	/* A 554 greeting. */
	c = smtp_client_new(&cc, sink_for(&cs));
	client_feed_str(c, "554 5.3.2 go away\r\n");
	assert_string_equal(smtp_client_error(c), "server answered 554 5.3.2 go away to the greeting");
	assert_string_equal(buf_str(&cs.log), "QUIT\r\n");
	assert_int_equal(smtp_client_last_code(c), 554);
	smtp_client_free(c);
	side_free(&cs);
}

static void test_client_body_encoding(void **state)
{
	(void)state;
	static const char *const one[] = { "b@x" };
	struct smtp_client_config cc = client_cfg(SMTP_CLIENT_TLS_NONE);
	cc.rcpt = one;
	cc.nrcpt = 1;
	cc.body = (const uint8_t *)".a\r\nb\n..c";
	cc.body_len = 9;
	cc.body_chunk = 4;
	struct side cs = { 0 };
	struct smtp_client *c = smtp_client_new(&cc, sink_for(&cs));
	client_feed_str(c, "220 hi\r\n250 x\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	assert_int_equal(smtp_client_state(c), SMTP_CLIENT_SENDING_BODY);
	size_t before = cs.sends, total = 0, n;
	while ((n = smtp_client_pump(c, 100)) > 0) {
		assert_true(n <= 4);
		total += n;
	}
	static const char wire[] = "..a\r\nb\r\n...c\r\n.\r\n";
	assert_int_equal(total, sizeof wire - 1);
	assert_int_equal(cs.sends - before, (sizeof wire - 1 + 3) / 4);
	assert_non_null(strstr(buf_str(&cs.log), "DATA\r\n..a\r\nb\r\n...c\r\n.\r\n"));
	assert_int_equal(smtp_client_state(c), SMTP_CLIENT_WAIT_DATA_END);
	client_feed_str(c, "250 queued\r\n221 bye\r\n");
	assert_true(smtp_client_delivered(c));
	assert_int_equal(smtp_client_state(c), SMTP_CLIENT_DONE);
	assert_null(smtp_client_error(c));
	smtp_client_free(c);
	side_free(&cs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_dialogue),
		cmocka_unit_test(test_starttls_dialogue),
		cmocka_unit_test(test_required_client_plain_server),
		cmocka_unit_test(test_opportunistic_fallback),
		cmocka_unit_test(test_starttls_required_server_530),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_auth_requires_tls_538),
		cmocka_unit_test(test_submission_server),
		cmocka_unit_test(test_relay_accepts_unauthenticated),
		cmocka_unit_test(test_starttls_on_plain_server_502),
		cmocka_unit_test(test_quirk_continue_after_starttls_failure),
		cmocka_unit_test(test_quirk_helo_fallback),
		cmocka_unit_test(test_quirk_port_fallback),
		cmocka_unit_test(test_client_reads_after_sending),
		cmocka_unit_test(test_auth_server_details),
		cmocka_unit_test(test_oversize_552),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_server_sequence_errors),
		cmocka_unit_test(test_server_buffering),
		cmocka_unit_test(test_server_injected_transaction),
		cmocka_unit_test(test_client_buffering),
		cmocka_unit_test(test_client_size_declared),
		cmocka_unit_test(test_client_errors),
		cmocka_unit_test(test_client_body_encoding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
