/* The client's body on the wire: made piece by piece (so a huge body is never copied
 * whole), it must equal the straightforward encoding — CRLF line ends, a dot doubled at
 * the start of a line, a final CRLF, then "." — whatever the piece sizes. */
#include "tests/testutil.h"

#include "sim/smtp/smtp_client.h"

struct capture {
	uint8_t buf[4096];
	size_t n;
};

static int on_send(void *ctx, enum smtp_out_kind kind, const uint8_t *p, size_t n)
{
	struct capture *c = ctx;
	if (kind != SMTP_OUT_BODY)
		return 0;
	assert_true(c->n + n <= sizeof c->buf);
	memcpy(c->buf + c->n, p, n);
	c->n += n;
	return 0;
}

static void on_note(void *ctx, enum smtp_note kind, const char *text)
{
	(void)kind;
	(void)ctx;
	(void)text;
}

static size_t reference(const uint8_t *body, size_t n, uint8_t *out)
{
	size_t o = 0;
	int bol = 1;
	for (size_t i = 0; i < n; i++) {
		if (bol && body[i] == '.')
			out[o++] = '.';
		if (body[i] == '\n' && (i == 0 || body[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = body[i];
		bol = body[i] == '\n';
	}
	if (o > 0 && !bol) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	memcpy(out + o, ".\r\n", 3);
	return o + 3;
}

/* Runs a client to the body and collects it, in pieces of at most chunk bytes (0: whole). */
static void send(const uint8_t *body, size_t n, size_t chunk, unsigned *rnd, struct capture *cap)
{
	static const char *const rcpt[] = { "bob@example.test" };
	struct smtp_client_config cfg = {
		.ehlo_name = "client.example.test", .tls = SMTP_CLIENT_TLS_NONE, .auth = SMTP_CLIENT_AUTH_NONE,
		.mail_from = "alice@example.test", .rcpt = rcpt, .nrcpt = 1, .body = body, .body_len = n,
		.body_chunk = chunk,
	};
	cap->n = 0;
	struct smtp_client *c = smtp_client_new(&cfg, (struct smtp_sink){ cap, on_send, on_note });
	assert_non_null(c);
	static const char replies[] = "220 x\r\n250 x\r\n250 ok\r\n250 ok\r\n354 go\r\n";
	smtp_client_feed(c, (const uint8_t *)replies, sizeof replies - 1);
	while (smtp_client_step(c)) /* every command is on the wire at once here */
		;
	while (smtp_client_pump(c, 1 + (*rnd = *rnd * 1103515245u + 12345u) % 5))
		;
	assert_int_equal(smtp_client_state(c), SMTP_CLIENT_WAIT_DATA_END);
	smtp_client_free(c);
}

static void test_pieces_equal_reference(void **state)
{
	(void)state;
	unsigned rnd = 7;
	static const uint8_t alphabet[] = { '\n', '.', '\r', 'a', 'b', ' ' };
	for (int it = 0; it < 3000; it++) {
		uint8_t body[300], ref[1024];
		size_t n = (rnd = rnd * 1103515245u + 12345u) % 300;
		for (size_t i = 0; i < n; i++)
			body[i] = alphabet[((rnd = rnd * 1103515245u + 12345u) >> 16) % 6];
		size_t rn = reference(body, n, ref);
		struct capture whole, pieces;
		send(body, n, 0, &rnd, &whole);
		send(body, n, 1 + (rnd >> 8) % 7, &rnd, &pieces);
		assert_int_equal(whole.n, rn);
		assert_memory_equal(whole.buf, ref, rn);
		assert_int_equal(pieces.n, rn);
		assert_memory_equal(pieces.buf, ref, rn);
	}
}

static void test_edge_bodies(void **state)
{
	(void)state;
	unsigned rnd = 1;
	struct capture cap;
	send((const uint8_t *)"", 0, 1, &rnd, &cap);
	assert_int_equal(cap.n, 3);
	assert_memory_equal(cap.buf, ".\r\n", 3);
	send((const uint8_t *)".\n..\nx", 6, 1, &rnd, &cap);
	assert_int_equal(cap.n, strlen("..\r\n...\r\nx\r\n.\r\n"));
	assert_memory_equal(cap.buf, "..\r\n...\r\nx\r\n.\r\n", cap.n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pieces_equal_reference),
		cmocka_unit_test(test_edge_bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
