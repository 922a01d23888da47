/* test_conn: one actor's end of a link, alone: cleartext and FIN, a real TLS handshake
 * through the TLS states in their order, close_notify both ways before FIN, a peer that
 * vanishes while plaintext still waits for the engine (freed: the sanitizer build would
 * report a leak), and a second STARTTLS on the same conn refused. */
#include "tests/testutil.h"

#include <bearssl.h>
#include <stdio.h>

#include "sim/link/conn.h"
#include "sim/run/run.h"
#include "sim/run/scenario.h"

struct side {
	char got[4096];
	size_t n;
	int up, closed, err;
};

static void on_data(void *ctx, struct conn *c, const uint8_t *p, size_t n)
{
	(void)c;
	struct side *s = ctx;
	if (s->n + n < sizeof s->got) {
		memcpy(s->got + s->n, p, n);
		s->n += n;
	}
}

static void on_up(void *ctx, struct conn *c)
{
	(void)c;
	((struct side *)ctx)->up = 1;
}

static void on_closed(void *ctx, struct conn *c, int err)
{
	(void)c;
	struct side *s = ctx;
	s->closed = 1;
	s->err = err;
}

struct bench {
	struct trace t;
	struct link l;
	uint64_t now;
	struct conn c, s;
	struct side cs, ss;
	struct scenario sc;
	struct run_pki pki;
};

static void setup(struct bench *b)
{
	memset(b, 0, sizeof *b);
	trace_init(&b->t);
	b->l.id = LINK_CLIENT_SERVER;
	assert_int_equal(pipe_init(&b->l.pipe[0], 65536), 0);
	assert_int_equal(pipe_init(&b->l.pipe[1], 65536), 0);
	wire_stream_init(&b->l.ws[0], &b->t, &b->now, LINK_CLIENT_SERVER, ACTOR_CLIENT, ACTOR_SERVER, 1, &b->l.smtp);
	wire_stream_init(&b->l.ws[1], &b->t, &b->now, LINK_CLIENT_SERVER, ACTOR_SERVER, ACTOR_CLIENT, 0, &b->l.smtp);
	conn_init(&b->c, &b->l, 0, ACTOR_CLIENT, &b->now, (struct conn_callbacks){ &b->cs, on_data, on_up, on_closed });
	conn_init(&b->s, &b->l, 1, ACTOR_SERVER, &b->now, (struct conn_callbacks){ &b->ss, on_data, on_up, on_closed });
}

static void teardown(struct bench *b)
{
	conn_free(&b->c);
	conn_free(&b->s);
	pipe_free(&b->l.pipe[0]);
	pipe_free(&b->l.pipe[1]);
	wire_stream_free(&b->l.ws[0]);
	wire_stream_free(&b->l.ws[1]);
	trace_free(&b->t);
	if (b->sc.name) {
		run_pki_free(&b->pki);
		scenario_free(&b->sc);
	}
}

static void pump(struct bench *b)
{
	for (int i = 0; i < 1000; i++) {
		int p = conn_pump(&b->c);
		p |= conn_pump(&b->s);
		b->now += 1000;
		if (!p)
			return;
	}
	fail_msg("the conns never settle");
}

static size_t count(const struct trace *t, enum trace_kind kind)
{
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++)
		n += t->ev[i].kind == kind;
	return n;
}

static void start_tls(struct bench *b)
{
	char path[512], err[1024];
	snprintf(path, sizeof path, "%s/starttls.ini", test_scenarios_dir());
	assert_int_equal(scenario_load(path, NULL, &b->sc, err, sizeof err), 0);
	assert_int_equal(run_pki_load(&b->sc, &b->pki, err, sizeof err), 0);
	struct tls_config cc = { .is_server = 0, .anchors = &b->pki.anchors, .verify = TLS_VERIFY_FULL,
				 .server_name = "mail.example.test", .now = b->sc.date, .seed = 1, .label = "client" };
	struct tls_config sc = { .is_server = 1, .chain = &b->pki.server_chain, .key = &b->pki.server_key,
				 .now = b->sc.date, .seed = 1, .label = "server" };
	assert_int_equal(conn_start_tls(&b->c, &cc, err, sizeof err), 0);
	assert_int_equal(conn_start_tls(&b->s, &sc, err, sizeof err), 0);
	assert_int_equal(b->c.state, CONN_HANDSHAKE);
	/* TLS is started once: a second start is refused and changes nothing */
	assert_int_equal(conn_start_tls(&b->c, &cc, err, sizeof err), -1);
	assert_int_equal(b->c.state, CONN_HANDSHAKE);
	pump(b);
	assert_true(b->cs.up && b->ss.up);
	assert_int_equal(b->c.state, CONN_TLS_UP);
	assert_int_equal(b->s.state, CONN_TLS_UP);
}

static void test_cleartext_and_fin(void **state)
{
	(void)state;
	struct bench b;
	setup(&b);
	assert_int_equal(conn_send(&b.c, SMTP_OUT_COMMAND, (const uint8_t *)"NOOP\r\n", 6, 0), 0);
	pump(&b);
	assert_int_equal(b.ss.n, 6);
	assert_memory_equal(b.ss.got, "NOOP\r\n", 6);
	assert_int_equal(count(&b.t, TK_SMTP_COMMAND), 1);
	conn_close(&b.c);
	pump(&b);
	/* the server saw the FIN; the client's FIN is an event of its own kind */
	assert_true(b.ss.closed);
	assert_int_equal(b.ss.err, 0);
	assert_true(b.c.fin_sent);
	assert_int_equal(count(&b.t, TK_CONN_FIN), 2); /* the server answers with its own */
	assert_int_equal(b.c.state, CONN_PLAIN);
	teardown(&b);
}

static void test_tls_states_in_order(void **state)
{
	(void)state;
	struct bench b;
	setup(&b);
	start_tls(&b);
	/* one session, both ends, the client random from the ClientHello on the wire */
	assert_int_equal(b.t.nsessions, 1);
	const struct trace_tls_session *s = &b.t.sessions[0];
	assert_true(s->client_up && s->server_up && s->has_secret);
	assert_int_equal(s->client_end, ACTOR_CLIENT);
	assert_int_equal(s->server_end, ACTOR_SERVER);
	assert_int_equal(count(&b.t, TK_TLS_UP), 1);
	assert_int_equal(conn_send(&b.c, SMTP_OUT_COMMAND, (const uint8_t *)"EHLO c\r\n", 8, 0), 0);
	pump(&b);
	assert_int_equal(b.ss.n, 8);
	/* closing: close_notify first, the peer answers, then both FIN */
	conn_close(&b.c);
	pump(&b);
	assert_int_equal(b.c.state, CONN_TLS_DEAD);
	assert_int_equal(b.c.tls_err, 0);
	assert_true(b.c.fin_sent);
	size_t notify = 0;
	for (size_t i = 0; i < b.t.n; i++)
		if (b.t.ev[i].kind == TK_ALERT && b.t.ev[i].subtype == 0)
			notify++;
	assert_int_equal(notify, 2);
	assert_int_equal(count(&b.t, TK_TLS_FAILED), 0);
	teardown(&b);
}

static void test_peer_gone_with_queued_plaintext(void **state)
{
	(void)state;
	struct bench b;
	setup(&b);
	start_tls(&b);
	static uint8_t big[200000];
	memset(big, 'x', sizeof big);
	assert_int_equal(conn_send(&b.c, SMTP_OUT_BODY, big, sizeof big, 0), 0);
	assert_int_equal(conn_send(&b.c, SMTP_OUT_BODY, big, sizeof big, 0), 0);
	assert_true(conn_backlog(&b.c) >= 2);
	/* the server vanishes: its side of the connection closes without a word */
	pipe_close(&b.l.pipe[1]);
	conn_pump(&b.c);
	assert_int_equal(b.c.state, CONN_TLS_DEAD);
	assert_int_equal(conn_backlog(&b.c), 0); /* freed, not forgotten */
	assert_true(b.cs.closed);
	/* nothing more goes out through TLS */
	assert_int_equal(conn_send(&b.c, SMTP_OUT_COMMAND, (const uint8_t *)"QUIT\r\n", 6, 0), 0);
	assert_int_equal(conn_backlog(&b.c), 0);
	teardown(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cleartext_and_fin),
		cmocka_unit_test(test_tls_states_in_order),
		cmocka_unit_test(test_peer_gone_with_queued_plaintext),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
