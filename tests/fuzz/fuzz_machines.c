/* fuzz_machines: a real SMTP client (sim/smtp/smtp_client.c) and a real SMTP server
 * (sim/smtp/smtp_server.c) joined back to back by two byte queues, with fuzzed
 * configuration, fuzzed splitting of the stream and bytes injected both ways. TLS is
 * not run: "TLS up" is the two machines' tls_established calls, made when the fuzzer says
 * (also when nobody asked for it).
 *
 * Input: 5 configuration bytes, a body (length byte, then the bytes), then operations,
 * one byte each (low nibble the operation, high nibble its argument): move 1..all bytes
 * either way, inject input bytes or a canned line into either machine, TLS up on one side
 * or both, pump the body, step the client, drop what is queued, close a side, deliver
 * everything until nothing moves. At the end everything queued is delivered.
 *
 * Invariants:
 *   - every server output is one well-formed reply: CRLF-terminated lines of at most 512
 *     bytes, no CR, LF or NUL inside, a valid code, the same on every line, '-' on all
 *     lines but the last and ' ' (or nothing) on the last;
 *   - every client command line ends in CRLF, has no CR, LF or NUL inside, is at most 512
 *     bytes and parses as a known command (AUTH LOGIN's answers: base64 lines); MAIL's
 *     SIZE= is the size of the message as the server stores it (RFC 1870 section 5);
 *   - the body pieces, joined, are exactly the body dot-stuffed with CRLF line ends and
 *     ".CRLF" (an independent encoder in this file);
 *   - with nothing injected and nothing dropped, the server stores at most one message,
 *     and what it stores is the body byte for byte (CRLF, dot-unstuffed), from and to
 *     as configured; a client that saw 250 after DATA has its message stored;
 *   - a machine set to SMTP_BUFFER_DISCARD never acts on bytes received before TLS: the
 *     server answers nothing from inside tls_established, the client reads no line at
 *     its next step unless new bytes came, neither records an injected line nor says it
 *     kept buffered bytes;
 *   - nothing secret in cleartext: a client that requires TLS (no quirk) sends only
 *     EHLO, HELO, STARTTLS and QUIT, and no body, before TLS; a REQUIRETLS client sends
 *     MAIL only inside TLS; a starttls-required server never answers 235, 334 or 354 or
 *     accepts MAIL before TLS, nor a server with auth_requires_tls 235 or 334;
 *   - no output from a client in TLS_WAIT or DONE, at most the 220 from a server in
 *     TLS_WAIT and one reply once CLOSED; stored messages within max_size,
 *     max_stored_body, 100 recipients and 1000-byte lines; states stay in range. */
#include "fuzz_common.h"
#include "sim/smtp/smtp_client.h"
#include "sim/smtp/smtp_parse.h"
#include "sim/smtp/smtp_server.h"

struct q {
	uint8_t *p;
	size_t n, cap;
};

static void q_add(struct q *q, const uint8_t *p, size_t n)
{
	if (!n)
		return;
	if (q->n + n > q->cap) {
		size_t cap = q->cap ? q->cap : 256;
		while (cap < q->n + n)
			cap *= 2;
		q->p = realloc(q->p, cap);
		if (!q->p)
			abort();
		q->cap = cap;
	}
	memcpy(q->p + q->n, p, n);
	q->n += n;
}

struct world {
	struct smtp_client *c;
	struct smtp_server *s;
	struct smtp_client_config cc;
	struct smtp_server_config sc;
	struct q c2s, s2c;
	int sync;              /* the sinks deliver at once (re-entrant), else they queue */
	int clean;             /* nothing injected, nothing dropped */
	int c2s_closed, s2c_closed;
	const uint8_t *body;
	size_t body_len;
	uint8_t *ref;          /* the body as it must go on the wire */
	size_t ref_len;
	uint8_t *stored;       /* the body as the server must store it */
	size_t stored_len;
	size_t body_sent;      /* body bytes sent so far */
	size_t client_fed;     /* bytes handed to the client so far */
	int in_server_tls_up;
	int server_tls_wait_replies, server_closed_replies;
	int refuse_message;
};

static const char *const canned[16] = {
	"250 OK\r\n", "220 ready\r\n", "354 go ahead\r\n", "250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n",
	"334 VXNlcm5hbWU6\r\n", "235 ok\r\n", "454 TLS not available\r\n", "221 bye\r\n",
	"RSET\r\n", "MAIL FROM:<evil@attacker.test>\r\nRCPT TO:<evil@attacker.test>\r\n", "DATA\r\n",
	".\r\n", "STARTTLS\r\n", "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", "EHLO evil.test\r\n", "QUIT\r\n",
};

static const size_t sizes[16] = { 1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 64, 100, 511, 512, 1001, (size_t)-1 };

/* ---- what the wire and the store must hold ---- */

/* The body on the wire (RFC 5321 4.5.2): every line ends in CRLF (a bare LF gets its
 * CR), a line starting with '.' gets another, an unterminated last line gets CRLF, then
 * ".CRLF". And what the server stores: the lines without the stuffed dots, with CRLF. */
static void encode_body(struct world *w)
{
	struct q wire = { 0 }, store = { 0 };
	const uint8_t *b = w->body;
	size_t n = w->body_len, i = 0;
	while (i < n) {
		const uint8_t *nl = memchr(b + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - b) : n;
		size_t len = end - i;
		if (nl && len && b[end - 1] == '\r')
			len--;
		if (b[i] == '.')
			q_add(&wire, (const uint8_t *)".", 1);
		q_add(&wire, b + i, len);
		q_add(&wire, (const uint8_t *)"\r\n", 2);
		/* The server strips one CR before the LF it splits at, and the stuffed dot. */
		q_add(&store, b + i, len);
		q_add(&store, (const uint8_t *)"\r\n", 2);
		i = nl ? end + 1 : n;
	}
	q_add(&wire, (const uint8_t *)".\r\n", 3);
	w->ref = wire.p;
	w->ref_len = wire.n;
	w->stored = store.p;
	w->stored_len = store.n;
}

/* ---- the two sinks ---- */

static void check_reply(struct world *w, const uint8_t *p, size_t n)
{
	FUZZ_CHECK(n >= 5 && p[n - 2] == '\r' && p[n - 1] == '\n', "a reply ends in CRLF");
	size_t pos = 0;
	int code = -1;
	while (pos < n) {
		const uint8_t *lf = memchr(p + pos, '\n', n - pos);
		FUZZ_CHECK(lf, "every reply line ends in LF");
		size_t end = (size_t)(lf - p);
		FUZZ_CHECK(end > pos && p[end - 1] == '\r', "every reply line ends in CRLF");
		size_t len = end - 1 - pos;
		FUZZ_CHECK(len + 2 <= SMTP_REPLY_LINE_MAX, "a reply line is at most 512 bytes");
		FUZZ_CHECK(!memchr(p + pos, '\r', len) && !memchr(p + pos, '\0', len), "no CR or NUL inside a reply line");
		struct smtp_reply_line r;
		FUZZ_CHECK(smtp_parse_reply_line((const char *)p + pos, len, &r) == 0, "a reply line parses");
		FUZZ_CHECK(code < 0 || r.code == code, "every line of a reply has the same code");
		code = r.code;
		pos = end + 1;
		FUZZ_CHECK(r.last == (pos == n), "'-' on all lines but the last, ' ' on the last");
	}
	int tls = smtp_server_in_tls(w->s);
	if (w->sc.mode == SMTP_SERVER_STARTTLS_REQUIRED && !tls) {
		FUZZ_CHECK(code != 235 && code != 334 && code != 354, "no AUTH or DATA before TLS (starttls-required)");
		FUZZ_CHECK(n < 9 || memcmp(p, "250 2.1.0", 9), "no MAIL accepted before TLS (starttls-required)");
	}
	if (w->sc.auth_requires_tls && !tls)
		FUZZ_CHECK(code != 235 && code != 334, "no AUTH before TLS (auth_requires_tls)");
}

static int server_send(void *ctx, enum smtp_out_kind kind, const uint8_t *p, size_t n)
{
	struct world *w = ctx;
	FUZZ_CHECK(kind == SMTP_OUT_REPLY, "a server sends replies");
	check_reply(w, p, n);
	FUZZ_CHECK(!(w->in_server_tls_up && w->sc.buffering == SMTP_BUFFER_DISCARD),
		   "a discarding server acts on no byte from before TLS");
	enum smtp_server_state st = smtp_server_state(w->s);
	if (st == SMTP_SERVER_TLS_WAIT) {
		FUZZ_CHECK(n >= 4 && !memcmp(p, "220 ", 4), "in TLS_WAIT the server sends only its 220");
		FUZZ_CHECK(++w->server_tls_wait_replies == 1, "one 220 to STARTTLS, then silence");
	}
	if (st == SMTP_SERVER_CLOSED)
		FUZZ_CHECK(++w->server_closed_replies == 1, "one reply at most once closed");
	if (w->s2c_closed)
		return 0;
	if (w->sync) {
		w->client_fed += n;
		smtp_client_feed(w->c, p, n);
	} else {
		q_add(&w->s2c, p, n);
	}
	return 0;
}

static int is_b64(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') ||
		      p[i] == '+' || p[i] == '/' || p[i] == '='))
			return 0;
	return 1;
}

static void check_command_line(struct world *w, const uint8_t *p, size_t len)
{
	enum smtp_client_state st = smtp_client_state(w->c);
	FUZZ_CHECK(len + 2 <= SMTP_COMMAND_LINE_MAX, "a command line is at most 512 bytes");
	FUZZ_CHECK(!memchr(p, '\r', len) && !memchr(p, '\0', len), "no CR or NUL inside a command line");
	struct smtp_command c;
	if (st == SMTP_CLIENT_WAIT_AUTH && (len < 5 || memcmp(p, "AUTH ", 5))) {
		FUZZ_CHECK(is_b64(p, len), "an AUTH LOGIN answer is base64");
		return;
	}
	FUZZ_CHECK(smtp_parse_command((const char *)p, len, &c) == 0 && c.verb != SMTP_VERB_UNKNOWN,
		   "a command line parses as a known command");
	int tls = smtp_client_in_tls(w->c);
	if (w->cc.tls == SMTP_CLIENT_TLS_REQUIRED && !(w->cc.quirks & SMTP_CLIENT_QUIRK_CONTINUE_AFTER_STARTTLS_FAILURE) &&
	    !tls)
		FUZZ_CHECK(c.verb == SMTP_VERB_EHLO || c.verb == SMTP_VERB_HELO || c.verb == SMTP_VERB_STARTTLS ||
				   c.verb == SMTP_VERB_QUIT,
			   "a client that requires TLS says nothing secret before it");
	if (c.verb == SMTP_VERB_MAIL) {
		if (w->cc.requiretls)
			FUZZ_CHECK(tls && c.arg_len >= 11 && !memcmp(c.arg + c.arg_len - 11, " REQUIRETLS", 11),
				   "a REQUIRETLS client sends MAIL only inside TLS, with REQUIRETLS");
		const char *sz = memmem(c.arg, c.arg_len, " SIZE=", 6);
		if (sz) {
			size_t v = strtoul(sz + 6, NULL, 10);
			/* RFC 1870 section 5: CRLF pairs counted, stuffed dots and the final .CRLF not */
			FUZZ_CHECK(v == w->stored_len, "SIZE= is the size of the message the server stores");
		}
	}
}

static int client_send(void *ctx, enum smtp_out_kind kind, const uint8_t *p, size_t n)
{
	struct world *w = ctx;
	enum smtp_client_state st = smtp_client_state(w->c);
	FUZZ_CHECK(st != SMTP_CLIENT_TLS_WAIT && st != SMTP_CLIENT_DONE, "no output in TLS_WAIT or DONE");
	if (kind == SMTP_OUT_COMMAND) {
		FUZZ_CHECK(n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n', "commands end in CRLF");
		size_t pos = 0;
		while (pos < n) {
			const uint8_t *lf = memchr(p + pos, '\n', n - pos);
			FUZZ_CHECK(lf, "every command line ends in LF");
			size_t end = (size_t)(lf - p);
			FUZZ_CHECK(end > pos && p[end - 1] == '\r', "every command line ends in CRLF");
			check_command_line(w, p + pos, end - 1 - pos);
			pos = end + 1;
		}
	} else {
		FUZZ_CHECK(kind == SMTP_OUT_BODY, "a client sends commands and body");
		FUZZ_CHECK(st == SMTP_CLIENT_SENDING_BODY || st == SMTP_CLIENT_WAIT_DATA_END, "body only after 354");
		if (w->cc.tls == SMTP_CLIENT_TLS_REQUIRED &&
		    !(w->cc.quirks & SMTP_CLIENT_QUIRK_CONTINUE_AFTER_STARTTLS_FAILURE))
			FUZZ_CHECK(smtp_client_in_tls(w->c), "a client that requires TLS sends no body before it");
		size_t at = w->body_sent; /* only the new piece: the earlier ones were checked */
		w->body_sent += n;
		FUZZ_CHECK(w->body_sent <= w->ref_len && !memcmp(p, w->ref + at, n),
			   "the body pieces are the dot-stuffed body");
		if (st == SMTP_CLIENT_WAIT_DATA_END)
			FUZZ_CHECK(w->body_sent == w->ref_len, "the last piece ends the body with CRLF.CRLF");
	}
	if (w->c2s_closed)
		return 0;
	if (w->sync)
		smtp_server_feed(w->s, p, n);
	else
		q_add(&w->c2s, p, n);
	return 0;
}

static void client_note(void *ctx, enum smtp_note kind, const char *text)
{
	struct world *w = ctx;
	FUZZ_CHECK(text && strlen(text) < 2048 && kind <= SMTP_NOTE_QUIRK, "a note is a sentence of a known kind");
	FUZZ_CHECK(!(kind == SMTP_NOTE_KEPT_BUFFERED && w->cc.buffering == SMTP_BUFFER_DISCARD),
		   "a discarding client keeps nothing from before TLS");
}

static void server_note(void *ctx, enum smtp_note kind, const char *text)
{
	struct world *w = ctx;
	FUZZ_CHECK(text && strlen(text) < 2048 && kind <= SMTP_NOTE_QUIRK, "a note is a sentence of a known kind");
	FUZZ_CHECK(!(kind == SMTP_NOTE_KEPT_BUFFERED && w->sc.buffering == SMTP_BUFFER_DISCARD),
		   "a discarding server keeps nothing from before TLS");
}

static const char *check_message(void *ctx, const struct smtp_server_message *m)
{
	struct world *w = ctx;
	FUZZ_CHECK(m->mail_from && m->nrcpt > 0 && m->with, "a message at its final dot is complete");
	return w->refuse_message ? "550 5.7.1 Refused by policy" : NULL;
}

/* ---- moving bytes ---- */

static void feed_client(struct world *w, const uint8_t *p, size_t n)
{
	w->client_fed += n;
	smtp_client_feed(w->c, p, n);
}

/* Moves up to n queued bytes; copies them out first, as the machine fed may queue more. */
static int move(struct world *w, struct q *q, size_t n, int to_server)
{
	if (n > q->n)
		n = q->n;
	if (!n)
		return 0;
	uint8_t *tmp = (uint8_t *)fuzz_dup(q->p, n);
	memmove(q->p, q->p + n, q->n - n);
	q->n -= n;
	if (to_server)
		smtp_server_feed(w->s, tmp, n);
	else
		feed_client(w, tmp, n);
	free(tmp);
	return 1;
}

static void server_tls_up(struct world *w)
{
	smtp_server_tls_suite(w->s, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
	w->in_server_tls_up = 1;
	smtp_server_tls_established(w->s);
	w->in_server_tls_up = 0;
	w->server_tls_wait_replies = 0;
}

static void client_tls_up(struct world *w)
{
	int wanted = smtp_client_wants_tls(w->c);
	size_t fed = w->client_fed;
	smtp_client_tls_established(w->c);
	/* Nothing new came in during the call: the next step must find no line to read. */
	if (wanted && w->cc.buffering == SMTP_BUFFER_DISCARD && fed == w->client_fed) {
		FUZZ_CHECK(smtp_client_step(w->c) == 0, "a discarding client reads nothing from before TLS");
		FUZZ_CHECK(smtp_client_state(w->c) == SMTP_CLIENT_WAIT_EHLO || smtp_client_state(w->c) == SMTP_CLIENT_DONE,
			   "after TLS the client waits for its EHLO reply");
	}
}

static int settle_once(struct world *w)
{
	int moved = 0;
	moved |= move(w, &w->c2s, w->c2s.n, 1);
	moved |= move(w, &w->s2c, w->s2c.n, 0);
	moved |= smtp_client_step(w->c);
	if (smtp_client_state(w->c) == SMTP_CLIENT_SENDING_BODY)
		moved |= smtp_client_pump(w->c, 4096) > 0;
	if (smtp_server_wants_tls(w->s) && smtp_client_wants_tls(w->c)) {
		server_tls_up(w);
		client_tls_up(w);
		moved = 1;
	}
	return moved;
}

static void settle(struct world *w)
{
	for (int i = 0; i < 200 && settle_once(w); i++)
		;
}

/* ---- the end ---- */

static void check_end(struct world *w)
{
	FUZZ_CHECK(smtp_client_state(w->c) <= SMTP_CLIENT_DONE, "client state in range");
	FUZZ_CHECK(smtp_server_state(w->s) <= SMTP_SERVER_CLOSED, "server state in range");
	if (w->cc.buffering == SMTP_BUFFER_DISCARD)
		FUZZ_CHECK(smtp_client_injected_count(w->c) == 0, "a discarding client reads no injected reply");
	if (w->sc.buffering == SMTP_BUFFER_DISCARD)
		FUZZ_CHECK(smtp_server_injected_count(w->s) == 0, "a discarding server runs no injected command");
	FUZZ_CHECK(smtp_server_injected_refused(w->s) <= smtp_server_injected_count(w->s), "refused of injected");
	for (size_t i = 0; i < smtp_server_injected_count(w->s); i++)
		FUZZ_CHECK(smtp_server_injected(w->s, i) != NULL, "injected lines are kept");
	for (size_t i = 0; i < smtp_client_injected_count(w->c); i++)
		FUZZ_CHECK(smtp_client_injected(w->c, i) != NULL, "injected lines are kept");
	const char *err = smtp_client_error(w->c);
	if (err)
		FUZZ_CHECK(strlen(err) < SMTP_REPLY_LINE_MAX + 128, "the client's error is a string");
	size_t max_size = w->sc.max_size ? w->sc.max_size : (size_t)10 << 20;
	size_t nm = smtp_server_message_count(w->s);
	for (size_t i = 0; i < nm; i++) {
		const struct smtp_server_message *m = smtp_server_message(w->s, i);
		FUZZ_CHECK(m && m->mail_from && m->nrcpt >= 1 && m->nrcpt <= 100 && m->rcpt && m->with,
			   "a stored message has a sender and 1 to 100 recipients");
		for (size_t k = 0; k < m->nrcpt; k++)
			FUZZ_CHECK(m->rcpt[k] && m->rcpt[k][0], "recipients are mailboxes");
		FUZZ_CHECK(m->body_len <= m->body_total && m->body_total <= max_size, "stored within max_size");
		if (w->sc.max_stored_body)
			FUZZ_CHECK(m->body_len <= w->sc.max_stored_body, "stored within max_stored_body");
		FUZZ_CHECK(m->body_len == 0 || m->body, "a stored body has its bytes");
		if (w->sc.mode == SMTP_SERVER_STARTTLS_REQUIRED || m->requiretls)
			FUZZ_CHECK(m->in_tls, "starttls-required and REQUIRETLS messages came through TLS");
		if (w->sc.auth_required)
			FUZZ_CHECK(m->auth_user, "an auth_required server stores only authenticated mail");
		if (w->sc.received)
			FUZZ_CHECK(m->received && strlen(m->received) > 2 &&
					   !strcmp(m->received + strlen(m->received) - 2, "\r\n"),
				   "a Received: line ending in CRLF");
		size_t start = 0;
		for (size_t k = 0; k < m->body_len; k++)
			if (m->body[k] == '\n') {
				FUZZ_CHECK(k + 1 - start <= SMTP_TEXT_LINE_MAX, "stored lines are at most 1000 bytes");
				start = k + 1;
			}
	}
	if (!w->clean)
		return;
	FUZZ_CHECK(nm <= 1, "one message sent, at most one stored");
	if (smtp_client_delivered(w->c))
		FUZZ_CHECK(nm == 1, "a message the client saw accepted is stored");
	if (nm == 1) {
		const struct smtp_server_message *m = smtp_server_message(w->s, 0);
		FUZZ_CHECK(m->body_total == w->stored_len, "the whole body arrived");
		FUZZ_CHECK(!m->body_len || !memcmp(m->body, w->stored, m->body_len), "the body arrived byte for byte");
		if (!w->sc.max_stored_body)
			FUZZ_CHECK(m->body_len == w->stored_len, "the whole body is stored");
		FUZZ_CHECK(!strcmp(m->mail_from, w->cc.mail_from), "the sender arrived");
		FUZZ_CHECK(m->nrcpt == w->cc.nrcpt, "every recipient arrived");
		for (size_t k = 0; k < m->nrcpt; k++)
			FUZZ_CHECK(!strcmp(m->rcpt[k], w->cc.rcpt[k]), "the recipients arrived in order");
	}
}

/* ---- the input ---- */

struct input {
	const uint8_t *p;
	size_t n, pos;
};

static uint8_t take(struct input *in)
{
	return in->pos < in->n ? in->p[in->pos++] : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 5)
		return 0;
	struct input in = { data, size, 0 };
	uint8_t b0 = take(&in), b1 = take(&in), b2 = take(&in), b3 = take(&in), b4 = take(&in);
	static const char *rcpts[2] = { "bob@example.test", "carol@example.test" };
	static char long_name[200], long_user[170];
	memset(long_name, 'a', sizeof long_name - 1);
	memset(long_user, 'u', sizeof long_user - 1);
	static const size_t chunks[4] = { 0, 1, 7, 64 };

	struct world w;
	memset(&w, 0, sizeof w);
	w.clean = 1;
	w.sc = (struct smtp_server_config){
		.hostname = b3 & 1 ? long_name : "mail.example.test",
		.mode = (enum smtp_server_mode)(b0 & 3),
		.user = b0 & 4 ? "alice" : NULL,
		.password = "secret",
		.other_user = b3 & 2 ? "mallory" : NULL,
		.other_password = "mallory-pw",
		.auth_requires_tls = !!(b0 & 8),
		.auth_required = !!(b0 & 16),
		.buffering = b0 & 32 ? SMTP_BUFFER_KEEP : SMTP_BUFFER_DISCARD,
		.max_size = b0 & 64 ? 64 : 0,
		.max_stored_body = b0 & 128 ? 16 : 0,
		.received = !!(b2 & 64),
		.requiretls = !!(b2 & 128),
		.peer_ip = "192.0.2.10",
		.date = 1788264000,
		.check_message = check_message,
		.check_ctx = &w,
	};
	w.refuse_message = !!(b3 & 4);
	int wrong_pw = (b1 & 12) == 12;
	w.cc = (struct smtp_client_config){
		.ehlo_name = b3 & 8 ? long_name : "client.example.test",
		.tls = (enum smtp_client_tls)(b1 & 3),
		.auth = wrong_pw ? SMTP_CLIENT_AUTH_PLAIN : (enum smtp_client_auth)((b1 >> 2) & 3),
		.user = b3 & 16 ? long_user : b3 & 32 ? "mallory" : "alice",
		.password = wrong_pw ? "wrong" : b3 & 16 ? long_user : b3 & 32 ? "mallory-pw" : "secret",
		.mail_from = b3 & 64 ? "" : "alice@example.test",
		.rcpt = rcpts,
		.nrcpt = b1 & 16 ? 2 : 1,
		.buffering = b1 & 32 ? SMTP_BUFFER_KEEP : SMTP_BUFFER_DISCARD,
		.body_chunk = chunks[b2 & 3],
		.quirks = (b2 >> 2) & 15,
		.port = 587,
		.requiretls = !!(b1 & 128),
	};
	w.sync = !!(b1 & 64);

	/* The body: b4 bytes of input, or with b3's top bit that many bytes repeated past
	 * the 1000-byte line and the 64-byte size limits. */
	size_t blen = b4;
	if (blen > in.n - in.pos)
		blen = in.n - in.pos;
	uint8_t *body = NULL;
	if (b3 & 128) {
		body = malloc(1200);
		if (!body)
			abort();
		for (size_t i = 0; i < 1200; i++)
			body[i] = blen ? in.p[in.pos + i % blen] : 'x';
		w.body_len = 1200;
	} else {
		body = (uint8_t *)fuzz_dup(in.p + in.pos, blen);
		w.body_len = blen;
	}
	in.pos += blen;
	w.body = body;
	w.cc.body = body;
	w.cc.body_len = w.body_len;
	encode_body(&w);

	w.s = smtp_server_new(&w.sc, (struct smtp_sink){ &w, server_send, server_note });
	w.c = smtp_client_new(&w.cc, (struct smtp_sink){ &w, client_send, client_note });
	if (!w.s || !w.c)
		abort();
	if (w.sc.mode == SMTP_SERVER_IMPLICIT)
		smtp_server_tls_suite(w.s, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	smtp_server_start(w.s);

	while (in.pos < in.n) {
		uint8_t op = take(&in), arg = op >> 4;
		switch (op & 15) {
		case 0: move(&w, &w.c2s, sizes[arg], 1); break;
		case 1: move(&w, &w.s2c, sizes[arg], 0); break;
		case 2:
		case 3: { /* 1..16 bytes of input into a machine */
			size_t k = 1u + arg;
			if (k > in.n - in.pos)
				k = in.n - in.pos;
			uint8_t *tmp = (uint8_t *)fuzz_dup(in.p + in.pos, k);
			in.pos += k;
			w.clean = 0;
			if ((op & 15) == 2)
				smtp_server_feed(w.s, tmp, k);
			else
				feed_client(&w, tmp, k);
			free(tmp);
			break;
		}
		case 4: { /* a canned line: commands to the server, replies to the client */
			const char *t = canned[arg];
			w.clean = 0;
			if (arg >= 8)
				smtp_server_feed(w.s, (const uint8_t *)t, strlen(t));
			else
				feed_client(&w, (const uint8_t *)t, strlen(t));
			break;
		}
		case 5: server_tls_up(&w); break;
		case 6: client_tls_up(&w); break;
		case 7:
			if (smtp_server_wants_tls(w.s) && smtp_client_wants_tls(w.c)) {
				server_tls_up(&w);
				client_tls_up(&w);
			}
			break;
		case 8: (void)smtp_client_pump(w.c, sizes[arg]); break;
		case 9: (void)smtp_client_step(w.c); break;
		case 10:
			if (w.c2s.n || w.s2c.n)
				w.clean = 0;
			if (arg & 1)
				w.c2s.n = 0;
			else
				w.s2c.n = 0;
			break;
		case 11:
			if (arg & 1) {
				smtp_server_connection_closed(w.s);
				w.s2c_closed = 1;
			} else {
				smtp_client_connection_closed(w.c);
				w.c2s_closed = 1;
			}
			break;
		case 12: settle(&w); break;
		case 13: settle_once(&w); break;
		case 14: move(&w, &w.c2s, sizes[arg], 1), move(&w, &w.s2c, sizes[arg], 0); break;
		default:
			(void)smtp_client_step(w.c);
			move(&w, &w.c2s, (size_t)-1, 1);
			break;
		}
	}
	settle(&w);
	check_end(&w);
	static int verbose = -1;
	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (verbose) /* what an input came to, for writing seeds */
		fprintf(stderr, "client state %d delivered %d tls %d error %s; server state %d tls %d messages %zu; clean %d\n",
			smtp_client_state(w.c), smtp_client_delivered(w.c), smtp_client_in_tls(w.c),
			smtp_client_error(w.c) ? smtp_client_error(w.c) : "-", smtp_server_state(w.s),
			smtp_server_in_tls(w.s), smtp_server_message_count(w.s), w.clean);

	smtp_client_free(w.c);
	smtp_server_free(w.s);
	free(w.c2s.p);
	free(w.s2c.p);
	free(w.ref);
	free(w.stored);
	free(body);
	return 0;
}
