/* test_wiretrace: the two wire_streams of one link, driven directly (no actors, no TLS
 * engine: protected records are made up, their plaintext announced with
 * wire_expect_plain). What flows toward the server is traced the way the server reads
 * it: a line after a traced 354 is message text, body sent without a 354 is commands,
 * both in cleartext and inside TLS, with "read_by_server_as" where the sender meant
 * otherwise. */
#include "tests/testutil.h"

#include <stdio.h>

#include "sim/decode/decode.h"
#include "sim/smtp/smtp_parse.h"
#include "sim/trace/wiretrace.h"

struct bench {
	struct trace t;
	uint64_t now;
	struct decode_smtp_ctx smtp;
	struct wire_stream up, down; /* client to server, server to client */
};

static void bench_init(struct bench *b)
{
	memset(b, 0, sizeof *b);
	trace_init(&b->t);
	wire_stream_init(&b->up, &b->t, &b->now, LINK_CLIENT_SERVER, ACTOR_CLIENT, ACTOR_SERVER, 1, &b->smtp);
	wire_stream_init(&b->down, &b->t, &b->now, LINK_CLIENT_SERVER, ACTOR_SERVER, ACTOR_CLIENT, 0, &b->smtp);
}

static void bench_free(struct bench *b)
{
	wire_stream_free(&b->up);
	wire_stream_free(&b->down);
	trace_free(&b->t);
}

static void clear(struct wire_stream *s, enum smtp_out_kind kind, const char *text)
{
	assert_int_equal(wire_clear(s, kind, (const uint8_t *)text, strlen(text), 0), 0);
}

/* A made-up record of the given type with n bytes of content. */
static void record(struct wire_stream *s, uint8_t type, size_t n)
{
	uint8_t *r = calloc(1, 5 + n);
	r[0] = type;
	r[1] = 3;
	r[2] = 3;
	r[3] = (uint8_t)(n >> 8);
	r[4] = (uint8_t)n;
	assert_int_equal(wire_records(s, r, 5 + n, 0), 0);
	free(r);
}

/* Both directions switch to protected records. */
static void tls_on(struct bench *b)
{
	record(&b->up, TLS_CT_CHANGE_CIPHER_SPEC, 1);
	record(&b->down, TLS_CT_CHANGE_CIPHER_SPEC, 1);
}

/* Plaintext in one protected record of its own (plus the AEAD overhead). */
static void sealed(struct wire_stream *s, enum smtp_out_kind kind, const char *text)
{
	size_t n = strlen(text);
	assert_int_equal(wire_expect_plain(s, kind, (const uint8_t *)text, n, 0, 0), 0);
	record(s, TLS_CT_APPLICATION_DATA, n + 24);
}

/* The SMTP events (commands and message text) toward the server, from index `from`. */
static size_t smtp_up(const struct trace *t, size_t from, const struct trace_event **out, size_t cap)
{
	size_t k = 0;
	for (size_t i = from; i < t->n && k < cap; i++)
		if (t->ev[i].to == ACTOR_SERVER && (t->ev[i].kind == TK_SMTP_COMMAND || t->ev[i].kind == TK_SMTP_DATA))
			out[k++] = &t->ev[i];
	return k;
}

static const char *read_as(const struct trace_event *e)
{
	return fields_get(&e->fields, "read_by_server_as");
}

static void check_text_after_354(int tls)
{
	struct bench b;
	bench_init(&b);
	void (*send)(struct wire_stream *, enum smtp_out_kind, const char *) = tls ? sealed : clear;
	if (tls)
		tls_on(&b);
	send(&b.up, SMTP_OUT_COMMAND, "DATA\r\n");
	send(&b.down, SMTP_OUT_REPLY, "354 End data with <CR><LF>.<CR><LF>\r\n");
	size_t mark = b.t.n;
	/* The client sends QUIT as a command; the server, after 354, reads message text. */
	send(&b.up, SMTP_OUT_COMMAND, "QUIT\r\n");
	send(&b.up, SMTP_OUT_COMMAND, ".\r\n");
	send(&b.down, SMTP_OUT_REPLY, "250 OK\r\n");
	send(&b.up, SMTP_OUT_COMMAND, "QUIT\r\n");
	const struct trace_event *e[8];
	assert_int_equal(smtp_up(&b.t, mark, e, 8), 3);
	assert_int_equal(e[0]->kind, TK_SMTP_DATA);
	assert_int_equal(e[0]->layer, LAYER_SMTP_DATA);
	assert_string_equal(read_as(e[0]), "message text");
	assert_int_equal(e[0]->encrypted, tls);
	assert_int_equal(e[1]->kind, TK_SMTP_DATA); /* the end-of-data line */
	assert_string_equal(fields_get(&e[1]->fields, "terminated"), "yes");
	assert_int_equal(e[2]->kind, TK_SMTP_COMMAND); /* after ".", commands again */
	assert_int_equal(e[2]->subtype, SMTP_VERB_QUIT);
	assert_null(read_as(e[2]));
	bench_free(&b);
}

static void test_text_after_354_clear(void **state)
{
	(void)state;
	check_text_after_354(0);
}

static void test_text_after_354_tls(void **state)
{
	(void)state;
	check_text_after_354(1);
}

static void check_body_without_354(int tls)
{
	struct bench b;
	bench_init(&b);
	void (*send)(struct wire_stream *, enum smtp_out_kind, const char *) = tls ? sealed : clear;
	if (tls)
		tls_on(&b);
	send(&b.up, SMTP_OUT_COMMAND, "DATA\r\n");
	send(&b.down, SMTP_OUT_REPLY, "554 No valid recipients\r\n");
	size_t mark = b.t.n;
	/* A client fooled into sending its body anyway: the server reads commands. */
	send(&b.up, SMTP_OUT_BODY, "Subject: hi\r\n\r\nRSET\r\n.\r\n");
	const struct trace_event *e[8];
	assert_int_equal(smtp_up(&b.t, mark, e, 8), 4);
	for (int k = 0; k < 4; k++) {
		assert_int_equal(e[k]->kind, TK_SMTP_COMMAND);
		assert_int_equal(e[k]->layer, LAYER_SMTP_COMMAND);
		assert_string_equal(read_as(e[k]), "a command");
		assert_int_equal(e[k]->encrypted, tls);
	}
	assert_int_equal(e[2]->subtype, SMTP_VERB_RSET);
	bench_free(&b);
}

static void test_body_without_354_clear(void **state)
{
	(void)state;
	check_body_without_354(0);
}

static void test_body_without_354_tls(void **state)
{
	(void)state;
	check_body_without_354(1);
}

/* Sender and server agree: the body is one message event, no disagreement noted, and
 * the server reads commands after it. */
static void check_agreeing(int tls)
{
	struct bench b;
	bench_init(&b);
	void (*send)(struct wire_stream *, enum smtp_out_kind, const char *) = tls ? sealed : clear;
	if (tls)
		tls_on(&b);
	send(&b.up, SMTP_OUT_COMMAND, "DATA\r\n");
	send(&b.down, SMTP_OUT_REPLY, "354 go ahead\r\n");
	size_t mark = b.t.n;
	send(&b.up, SMTP_OUT_BODY, "Subject: hi\r\n\r\nQUIT\r\n.\r\n");
	send(&b.down, SMTP_OUT_REPLY, "250 OK\r\n");
	send(&b.up, SMTP_OUT_COMMAND, "QUIT\r\n");
	const struct trace_event *e[8];
	assert_int_equal(smtp_up(&b.t, mark, e, 8), 2);
	assert_int_equal(e[0]->kind, TK_SMTP_DATA);
	assert_null(read_as(e[0]));
	assert_string_equal(fields_get(&e[0]->fields, "subject"), "hi");
	assert_int_equal(e[1]->kind, TK_SMTP_COMMAND);
	assert_int_equal(e[1]->subtype, SMTP_VERB_QUIT);
	bench_free(&b);
}

static void test_agreeing_clear(void **state)
{
	(void)state;
	check_agreeing(0);
}

static void test_agreeing_tls(void **state)
{
	(void)state;
	check_agreeing(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_after_354_clear),
		cmocka_unit_test(test_text_after_354_tls),
		cmocka_unit_test(test_body_without_354_clear),
		cmocka_unit_test(test_body_without_354_tls),
		cmocka_unit_test(test_agreeing_clear),
		cmocka_unit_test(test_agreeing_tls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
