/* smtp_client: a mail submission client as a state machine without I/O. It reads the
 * greeting, says EHLO, upgrades with STARTTLS as its policy says, authenticates, sends
 * one message and quits. Its decisions (falling back to cleartext, refusing to go on)
 * are reported through sink.note so the trace can explain them. A correct client stops
 * when TLS it requires or the AUTH it has credentials for is missing; the quirks
 * (smtp_client.h) model real clients that did not, each saying so in its note.
 *
 * Commands go out one at a time and the client waits for each reply, even when the
 * server offers PIPELINING: a lock-step dialogue is easier to follow in the trace.
 * Replies are read line by line; only the last line of a multi-line reply decides. After
 * a reply that made it send something, the client reads no further until the actor
 * calls smtp_client_step: a decision is then always traced after what caused it. */
#include "sim/smtp/smtp_client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/base/base64.h"
#include "sim/base/scan.h"
#include "sim/smtp/linebuf.h"
#include "sim/smtp/smtp_parse.h"

#define CLIENT_MARKS 64 /* body positions remembered from counting the wire form */

struct caps {
	int starttls;
	int auth_plain;
	int auth_login;
	int pipelining;
	int has_size;
	size_t size;
	int requiretls;
};

struct smtp_client {
	char *ehlo_name;
	char *user;
	char *password;
	char *mail_from;
	char **rcpt;
	size_t nrcpt;
	const uint8_t *body;
	size_t body_len;
	enum smtp_client_tls tls;
	enum smtp_client_auth auth;
	enum smtp_buffering buffering;
	size_t body_chunk;
	unsigned quirks;
	unsigned port;
	int requiretls;
	struct smtp_sink sink;

	enum smtp_client_state state;
	int in_tls;
	int delivered;
	int last_code;
	char error[SMTP_REPLY_LINE_MAX + 128];
	int has_error;
	struct caps caps;
	size_t rcpt_i;
	int login_round;       /* AUTH LOGIN: 334 replies answered so far */
	const char *what;      /* what the awaited reply answers, for error texts */
	int helo;              /* helo-fallback: HELO sent in place of the refused EHLO */
	int paused;            /* sent something: read nothing more until smtp_client_step */
	unsigned fallback_port;            /* port-fallback: where it would reconnect, or 0 */
	enum smtp_client_tls fallback_tls;

	/* The reply being read: its code and number of lines so far. */
	int reply_code;
	size_t reply_lines;

	/* Input not yet handled: in[pos..len); in[..inj_end) came in cleartext behind
	 * the 220 to STARTTLS and is replayed after the handshake (KEEP only). */
	struct linebuf in;
	int busy;

	/* The body as it goes on the wire (dot-stuffed, CRLF, ending CRLF.CRLF), made
	 * piece by piece as it is sent: wire_len is counted first (for SIZE=), then
	 * wire_fill continues from body_pos. A huge body is never copied whole, and a
	 * piece with nothing to add goes out from the body itself. */
	uint8_t *wire;             /* the piece being sent, when it had to be made */
	size_t wire_cap;
	size_t wire_len, wire_pos;
	size_t size;               /* the message size declared in SIZE= (RFC 1870) */
	int wire_ready;
	size_t body_pos;           /* next body byte to turn into wire bytes */
	int mark_done;             /* the byte added before the mark at body_pos is out */
	size_t trailer_pos;
	/* Where the body needs a byte added (scan_text_mark: a "." that starts a line gets
	 * another, a bare LF a CR before it), as counted for SIZE=: the first CLIENT_MARKS
	 * of them, so the pieces are made without scanning the body again; past
	 * marks_upto (when the list filled up) wire_fill scans. */
	size_t marks[CLIENT_MARKS];
	size_t nmarks, mark_i, marks_upto;
	size_t scanned;            /* past marks_upto: the last mark found, when scanned_ok */
	int scanned_ok;

};

static void send_failed(struct smtp_client *c);

static void command(struct smtp_client *c, const char *fmt, ...)
{
	char buf[SMTP_COMMAND_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof buf - 2 ? (size_t)n : sizeof buf - 3;
	buf[len++] = '\r';
	buf[len++] = '\n';
	c->paused = 1;
	if (c->sink.send && c->sink.send(c->sink.ctx, SMTP_OUT_COMMAND, (const uint8_t *)buf, len))
		send_failed(c);
}

static void set_error(struct smtp_client *c, const char *fmt, ...)
{
	if (c->has_error)
		return; /* the first cause is the one worth reporting */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof c->error, fmt, ap);
	va_end(ap);
	c->has_error = 1;
}

/* The sink refused bytes: the connection below has failed (the run reports why). The
 * machine stops rather than go on as if the peer had them. */
static void send_failed(struct smtp_client *c)
{
	set_error(c, "the connection failed: %s could not be sent", c->what ? c->what : "a command");
	c->state = SMTP_CLIENT_DONE;
}

static void send_quit(struct smtp_client *c)
{
	c->state = SMTP_CLIENT_WAIT_QUIT;
	c->what = "QUIT";
	command(c, "QUIT");
}

/* Stop the session: remember why, tell the student, and end it politely. */
static void give_up(struct smtp_client *c)
{
	smtp_sink_note(&c->sink, SMTP_NOTE_STOP, "The client stops here (%s) and sends QUIT.", c->error);
	if (c->state == SMTP_CLIENT_SENDING_BODY || c->state == SMTP_CLIENT_TLS_WAIT) {
		/* No command may be sent in the middle of the body or before the handshake. */
		c->state = SMTP_CLIENT_DONE;
		return;
	}
	send_quit(c);
}

struct smtp_client *smtp_client_new(const struct smtp_client_config *cfg, struct smtp_sink sink)
{
	if (!cfg)
		return NULL;
	struct smtp_client *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->ehlo_name = strdup(cfg->ehlo_name ? cfg->ehlo_name : "client.example.test");
	c->user = strdup(cfg->user ? cfg->user : "");
	c->password = strdup(cfg->password ? cfg->password : "");
	c->mail_from = strdup(cfg->mail_from ? cfg->mail_from : "");
	c->rcpt = calloc(cfg->nrcpt ? cfg->nrcpt : 1, sizeof *c->rcpt);
	int bad = !c->ehlo_name || !c->user || !c->password || !c->mail_from || !c->rcpt;
	for (size_t i = 0; !bad && i < cfg->nrcpt; i++) {
		c->rcpt[i] = strdup(cfg->rcpt[i] ? cfg->rcpt[i] : "");
		bad = !c->rcpt[i];
		c->nrcpt = i + 1;
	}
	if (bad) {
		smtp_client_free(c);
		return NULL;
	}
	c->body = cfg->body;
	c->body_len = cfg->body ? cfg->body_len : 0;
	c->tls = cfg->tls;
	c->auth = cfg->auth;
	c->buffering = cfg->buffering;
	c->body_chunk = cfg->body_chunk;
	c->quirks = cfg->quirks;
	c->port = cfg->port;
	c->requiretls = cfg->requiretls;
	c->sink = sink;
	c->state = SMTP_CLIENT_WAIT_GREETING;
	c->what = "the greeting";
	/* With implicit TLS the actor finishes the handshake before the greeting. */
	c->in_tls = cfg->tls == SMTP_CLIENT_TLS_IMPLICIT;
	return c;
}

void smtp_client_free(struct smtp_client *c)
{
	if (!c)
		return;
	free(c->ehlo_name);
	free(c->user);
	free(c->password);
	free(c->mail_from);
	for (size_t i = 0; i < c->nrcpt; i++)
		free(c->rcpt[i]);
	free(c->rcpt);
	linebuf_free(&c->in);
	free(c->wire);
	free(c);
}

/* ---- the body on the wire (RFC 5321 4.5.2 and 2.3.8) ---- */

/* CRLF line ends, a dot doubled at the start of a line, a CRLF at the end, then
 * ".CRLF". Bare LF becomes CRLF because users write files with LF. Each of those
 * changes adds one byte before a mark of the text (sim/base/scan.h). */
/* Counts the wire form of the body (CRLF line ends, a dot doubled at the start of a
 * line, a final CRLF, then ".\r\n") and resets the piecewise encoder. */
static int prepare_wire(struct smtp_client *c)
{
	if (c->wire_ready)
		return 0;
	const uint8_t *b = c->body;
	size_t n = c->body_len, len = n + 3;
	c->nmarks = c->mark_i = 0;
	c->marks_upto = n;
	c->scanned_ok = 0;
	size_t dots = 0;
	for (size_t i = scan_text_mark(b, 0, n); i < n; i = scan_text_mark(b, i + 1, n)) {
		if (c->nmarks < CLIENT_MARKS)
			c->marks[c->nmarks++] = i;
		else if (c->marks_upto == n)
			c->marks_upto = i; /* listed no further: wire_fill scans from here */
		len++;
		dots += b[i] == '.';
	}
	if (n > 0 && b[n - 1] != '\n')
		len += 2;
	c->wire_len = len;
	/* RFC 1870 section 5: the size counts the CRLF pairs but neither the doubled dots
	 * nor the terminating ".CRLF" -- the message as the server stores it. */
	c->size = len - 3 - dots;
	c->wire_pos = c->body_pos = c->trailer_pos = 0;
	c->mark_done = 0;
	c->wire_ready = 1;
	return 0;
}

/* The first mark at or after body_pos (body_len when none is left). */
static size_t next_mark(struct smtp_client *c)
{
	while (c->mark_i < c->nmarks && c->marks[c->mark_i] < c->body_pos)
		c->mark_i++;
	if (c->mark_i < c->nmarks)
		return c->marks[c->mark_i];
	/* Each stretch is scanned once, however many pieces it is sent in. */
	if (!c->scanned_ok || c->scanned < c->body_pos) {
		size_t from = c->body_pos > c->marks_upto ? c->body_pos : c->marks_upto;
		c->scanned = scan_text_mark(c->body, from, c->body_len);
		c->scanned_ok = 1;
	}
	return c->scanned;
}

/* Writes the next n wire bytes of the body into out (n <= what is left). */
static void wire_fill(struct smtp_client *c, uint8_t *out, size_t n)
{
	const uint8_t *b = c->body;
	size_t bn = c->body_len, o = 0;
	while (o < n && c->body_pos < bn) {
		size_t mark = next_mark(c);
		if (mark == c->body_pos) {
			if (!c->mark_done) {
				out[o++] = b[mark] == '.' ? '.' : '\r';
				c->mark_done = 1;
				continue;
			}
			/* the marked byte itself, then on to the next mark */
			out[o++] = b[c->body_pos++];
			c->mark_done = 0;
			continue;
		}
		size_t run = mark - c->body_pos;
		if (run > n - o)
			run = n - o;
		memcpy(out + o, b + c->body_pos, run);
		o += run;
		c->body_pos += run;
	}
	const char *trailer = bn > 0 && b[bn - 1] != '\n' ? "\r\n.\r\n" : ".\r\n";
	size_t tl = strlen(trailer);
	while (o < n && c->trailer_pos < tl)
		out[o++] = (uint8_t)trailer[c->trailer_pos++];
}

static void send_body(struct smtp_client *c, size_t n)
{
	const uint8_t *piece;
	if (c->body_pos + n <= c->body_len && next_mark(c) >= c->body_pos + n) {
		/* Nothing to add in these n bytes: they go out as the body has them. */
		piece = c->body + c->body_pos;
		c->body_pos += n;
	} else {
		if (n > c->wire_cap) {
			uint8_t *w = realloc(c->wire, n);
			if (!w) {
				set_error(c, "out of memory sending the message body");
				give_up(c);
				return;
			}
			c->wire = w;
			c->wire_cap = n;
		}
		wire_fill(c, c->wire, n);
		piece = c->wire;
	}
	c->wire_pos += n;
	int last = c->wire_pos == c->wire_len;
	/* State before the send: the reply may come back from inside the sink. */
	if (last) {
		c->state = SMTP_CLIENT_WAIT_DATA_END;
		c->what = "the end of DATA";
	}
	c->paused = 1;
	if (c->sink.send && c->sink.send(c->sink.ctx, SMTP_OUT_BODY, piece, n))
		send_failed(c);
	if (last) {
		free(c->wire);
		c->wire = NULL;
		c->wire_cap = c->wire_len = c->wire_pos = 0;
	}
}

/* ---- steps of the dialogue ---- */

static void send_ehlo(struct smtp_client *c)
{
	memset(&c->caps, 0, sizeof c->caps);
	c->state = SMTP_CLIENT_WAIT_EHLO;
	c->what = "EHLO";
	command(c, "EHLO %s", c->ehlo_name);
}

static void send_mail(struct smtp_client *c)
{
	/* RFC 8689: a REQUIRETLS message goes only to a server that offers REQUIRETLS, which
	 * it does only inside TLS. */
	if (c->requiretls && (!c->in_tls || !c->caps.requiretls)) {
		set_error(c, "%s, and this message requires it (RFC 8689): QUIT",
			  c->in_tls ? "server does not offer REQUIRETLS" : "no TLS for REQUIRETLS");
		give_up(c);
		return;
	}
	c->state = SMTP_CLIENT_WAIT_MAIL;
	c->what = "MAIL FROM";
	const char *rt = c->requiretls ? " REQUIRETLS" : "";
	/* RFC 1870: announce the size so a server can refuse before the body is sent. */
	if (c->caps.has_size && prepare_wire(c) == 0)
		command(c, "MAIL FROM:<%s> SIZE=%zu%s", c->mail_from, c->size, rt);
	else
		command(c, "MAIL FROM:<%s>%s", c->mail_from, rt);
}

static void send_rcpt_or_data(struct smtp_client *c)
{
	if (c->rcpt_i < c->nrcpt) {
		c->state = SMTP_CLIENT_WAIT_RCPT;
		c->what = "RCPT TO";
		command(c, "RCPT TO:<%s>", c->rcpt[c->rcpt_i++]);
		return;
	}
	c->state = SMTP_CLIENT_WAIT_DATA;
	c->what = "DATA";
	command(c, "DATA");
}

static void start_auth(struct smtp_client *c)
{
	if (c->auth == SMTP_CLIENT_AUTH_NONE) {
		send_mail(c);
		return;
	}
	int plain = c->auth == SMTP_CLIENT_AUTH_PLAIN;
	const char *mech = plain ? "PLAIN" : "LOGIN";
	if (!(plain ? c->caps.auth_plain : c->caps.auth_login)) {
		if (!(c->quirks & SMTP_CLIENT_QUIRK_SKIP_AUTH_SILENTLY)) {
			set_error(c, "server does not offer AUTH %s and this client has credentials to use: QUIT", mech);
			give_up(c);
			return;
		}
		smtp_sink_note(&c->sink, SMTP_NOTE_AUTH_SKIPPED, "Quirk skip-auth-silently: the client is set up to log in with AUTH %s, but the server did not offer it here, and this client goes on without logging in. That is a weakness, an authentication downgrade: an attacker who deletes the AUTH line decides whether the client logs in. A careful client would stop here.",
		     mech);
		send_mail(c);
		return;
	}
	c->state = SMTP_CLIENT_WAIT_AUTH;
	c->what = "AUTH";
	c->login_round = 0;
	if (!plain) {
		command(c, "AUTH LOGIN");
		return;
	}
	/* RFC 4616: authzid (empty) NUL authcid NUL passwd, sent as the initial response. */
	size_t ul = strlen(c->user), pl = strlen(c->password);
	if (ul + pl > 300) {
		set_error(c, "user name and password are too long for one AUTH PLAIN line");
		give_up(c);
		return;
	}
	uint8_t raw[304];
	raw[0] = '\0';
	memcpy(raw + 1, c->user, ul);
	raw[1 + ul] = '\0';
	memcpy(raw + 2 + ul, c->password, pl);
	char b64[420];
	base64_encode(raw, ul + pl + 2, b64, sizeof b64);
	command(c, "AUTH PLAIN %s", b64);
}

/* port-fallback: the next port a client with this quirk tries after TLS failed here,
 * and with what policy. 0: the quirk does not apply (or there is nowhere left to go). */
static int want_fallback(struct smtp_client *c, const char *why)
{
	if (!(c->quirks & SMTP_CLIENT_QUIRK_PORT_FALLBACK) || c->fallback_port)
		return 0;
	if (c->tls == SMTP_CLIENT_TLS_IMPLICIT) {
		c->fallback_port = 587;
		c->fallback_tls = SMTP_CLIENT_TLS_REQUIRED;
	} else if (c->tls == SMTP_CLIENT_TLS_REQUIRED || c->tls == SMTP_CLIENT_TLS_OPPORTUNISTIC) {
		c->fallback_port = 25;
		c->fallback_tls = SMTP_CLIENT_TLS_NONE;
	} else {
		return 0;
	}
	smtp_sink_note(&c->sink, SMTP_NOTE_QUIRK, "Quirk port-fallback: %s, so this client gives up on port %u and next connects to port %u %s. That is the automatic fallback of mail clients that try 465, then 587, then 25: an attacker who breaks TLS on one port walks the client down to cleartext.",
		       why, c->port ? c->port : (c->tls == SMTP_CLIENT_TLS_IMPLICIT ? 465u : 587u), c->fallback_port,
		       c->fallback_tls == SMTP_CLIENT_TLS_NONE ? "without TLS" : "with STARTTLS");
	return 1;
}

/* Called when the capabilities are known (after EHLO, or after a refused STARTTLS). */
static void after_ehlo(struct smtp_client *c)
{
	if (!c->in_tls) {
		switch (c->tls) {
		case SMTP_CLIENT_TLS_OPPORTUNISTIC:
		case SMTP_CLIENT_TLS_REQUIRED:
			if (c->caps.starttls) {
				smtp_sink_note(&c->sink, SMTP_NOTE_STARTTLS_ASK, "The server offers STARTTLS, so the client asks to switch the connection to TLS before saying anything secret.");
				c->state = SMTP_CLIENT_WAIT_STARTTLS;
				c->what = "STARTTLS";
				command(c, "STARTTLS");
				return;
			}
			if (c->tls == SMTP_CLIENT_TLS_REQUIRED) {
				set_error(c, "server does not offer STARTTLS and this client requires TLS: QUIT");
				want_fallback(c, "the server does not offer STARTTLS");
				give_up(c);
				return;
			}
			smtp_sink_note(&c->sink, SMTP_NOTE_CLEARTEXT_ON, "STARTTLS was not offered; an opportunistic client carries on in cleartext, so everything that follows can be read by anyone on the path.");
			break;
		case SMTP_CLIENT_TLS_NONE:
			if (c->caps.starttls)
				smtp_sink_note(&c->sink, SMTP_NOTE_TLS_NEVER, "The server offers STARTTLS, but this client is set never to use TLS, so it carries on in cleartext.");
			break;
		case SMTP_CLIENT_TLS_IMPLICIT:
			break;
		}
	}
	start_auth(c);
}

static void parse_cap(struct smtp_client *c, const char *t, size_t n)
{
	size_t k = 0;
	while (k < n && t[k] != ' ' && t[k] != '=')
		k++;
	if (k == 8 && strncasecmp(t, "STARTTLS", 8) == 0) {
		c->caps.starttls = 1;
	} else if (k == 10 && strncasecmp(t, "REQUIRETLS", 10) == 0) {
		c->caps.requiretls = 1;
	} else if (k == 10 && strncasecmp(t, "PIPELINING", 10) == 0) {
		c->caps.pipelining = 1;
	} else if (k == 4 && strncasecmp(t, "SIZE", 4) == 0) {
		size_t v = 0;
		for (size_t i = k + 1; i < n && t[i] >= '0' && t[i] <= '9'; i++)
			v = v > ((size_t)-1 - 9) / 10 ? (size_t)-1 : v * 10 + (size_t)(t[i] - '0');
		c->caps.has_size = 1;
		c->caps.size = v;
	} else if (k == 4 && strncasecmp(t, "AUTH", 4) == 0) {
		/* "AUTH PLAIN LOGIN", or the old "AUTH=PLAIN LOGIN" form. */
		size_t i = k;
		while (i < n) {
			while (i < n && (t[i] == ' ' || t[i] == '='))
				i++;
			size_t s = i;
			while (i < n && t[i] != ' ')
				i++;
			if (i - s == 5 && strncasecmp(t + s, "PLAIN", 5) == 0)
				c->caps.auth_plain = 1;
			if (i - s == 5 && strncasecmp(t + s, "LOGIN", 5) == 0)
				c->caps.auth_login = 1;
		}
	}
}

static void unexpected(struct smtp_client *c, int code, const char *text)
{
	set_error(c, "server answered %d %s to %s", code, text, c->what);
	give_up(c);
}

static void send_login_secret(struct smtp_client *c, const char *secret)
{
	char b64[SMTP_COMMAND_LINE_MAX];
	size_t n = strlen(secret);
	if (base64_encoded_len(n) + 3 > sizeof b64) {
		set_error(c, "the AUTH LOGIN secret is too long for one line");
		give_up(c);
		return;
	}
	base64_encode((const uint8_t *)secret, n, b64, sizeof b64);
	command(c, "%s", b64);
}

/* A complete reply: code and the text of its last line. */
static void on_reply(struct smtp_client *c, int code, const char *text)
{
	switch (c->state) {
	case SMTP_CLIENT_WAIT_GREETING:
		if (code != 220) {
			unexpected(c, code, text);
			return;
		}
		send_ehlo(c);
		return;
	case SMTP_CLIENT_WAIT_EHLO:
		if (code >= 500 && code < 600 && !c->helo && (c->quirks & SMTP_CLIENT_QUIRK_HELO_FALLBACK)) {
			smtp_sink_note(&c->sink, SMTP_NOTE_QUIRK, "Quirk helo-fallback: the server refused EHLO (%d), so this client falls back to HELO, as RFC 5321 section 4.1.4 allows. HELO has no extensions: the client will never see STARTTLS or AUTH offered, which is the EHLO-refused variant of STARTTLS stripping (NO STARTTLS, USENIX Security 2021).",
				       code);
			memset(&c->caps, 0, sizeof c->caps);
			c->helo = 1;
			c->what = "HELO";
			command(c, "HELO %s", c->ehlo_name);
			return;
		}
		if (code != 250) {
			unexpected(c, code, text);
			return;
		}
		after_ehlo(c);
		return;
	case SMTP_CLIENT_WAIT_STARTTLS:
		if (code == 220) {
			/* State first: the actor may start the handshake from inside the sink. */
			c->state = SMTP_CLIENT_TLS_WAIT;
			if (c->buffering == SMTP_BUFFER_DISCARD)
				smtp_sink_note(&c->sink, SMTP_NOTE_HANDSHAKE_NEXT, "The server is ready for TLS; the client starts the handshake. Nothing more is read in cleartext.");
			else
				smtp_sink_note(&c->sink, SMTP_NOTE_HANDSHAKE_NEXT, "The server is ready for TLS; the client starts the handshake, but it does not clear what is already in its input buffer (quirk keep-buffered-replies).");
			return;
		}
		if (c->tls == SMTP_CLIENT_TLS_REQUIRED && (c->quirks & SMTP_CLIENT_QUIRK_CONTINUE_AFTER_STARTTLS_FAILURE)) {
			smtp_sink_note(&c->sink, SMTP_NOTE_QUIRK, "Quirk continue-after-starttls-failure: %d came back to STARTTLS. This client is set to require TLS, yet it carries on in cleartext, so everything that follows can be read by anyone on the path. That is the bug of Python's smtplib (CVE-2016-0772): starttls() did not raise an error on a refusal.",
				       code);
			start_auth(c);
			return;
		}
		if (c->tls == SMTP_CLIENT_TLS_REQUIRED) {
			set_error(c, "server refused STARTTLS (%d %s) and this client requires TLS: QUIT", code, text);
			char why[SMTP_REPLY_LINE_MAX + 48];
			snprintf(why, sizeof why, "%d came back to STARTTLS", code);
			want_fallback(c, why);
			give_up(c);
			return;
		}
		smtp_sink_note(&c->sink, SMTP_NOTE_CLEARTEXT_ON, "The client read %d in answer to STARTTLS (it cannot tell who sent it); an opportunistic client carries on in cleartext, so everything that follows can be read by anyone on the path.",
		     code);
		start_auth(c);
		return;
	case SMTP_CLIENT_WAIT_AUTH:
		if (code == 235) {
			send_mail(c);
			return;
		}
		if (code == 334 && c->auth == SMTP_CLIENT_AUTH_LOGIN && c->login_round < 2) {
			/* First challenge asks for the user name, the second for the password. */
			send_login_secret(c, c->login_round++ == 0 ? c->user : c->password);
			return;
		}
		unexpected(c, code, text);
		return;
	case SMTP_CLIENT_WAIT_MAIL:
		if (code != 250) {
			unexpected(c, code, text);
			return;
		}
		send_rcpt_or_data(c);
		return;
	case SMTP_CLIENT_WAIT_RCPT:
		if (code != 250 && code != 251) {
			unexpected(c, code, text);
			return;
		}
		send_rcpt_or_data(c);
		return;
	case SMTP_CLIENT_WAIT_DATA:
		if (code != 354) {
			unexpected(c, code, text);
			return;
		}
		if (prepare_wire(c) != 0) {
			set_error(c, "out of memory preparing the message body");
			give_up(c);
			return;
		}
		c->state = SMTP_CLIENT_SENDING_BODY;
		c->what = "the message body";
		if (c->body_chunk == 0)
			send_body(c, c->wire_len - c->wire_pos);
		return;
	case SMTP_CLIENT_SENDING_BODY:
		/* A reply in the middle of the body: the server broke the protocol. */
		unexpected(c, code, text);
		return;
	case SMTP_CLIENT_WAIT_DATA_END:
		if (code != 250) {
			unexpected(c, code, text);
			return;
		}
		c->delivered = 1;
		send_quit(c);
		return;
	case SMTP_CLIENT_WAIT_QUIT:
		c->state = SMTP_CLIENT_DONE;
		return;
	case SMTP_CLIENT_TLS_WAIT:
	case SMTP_CLIENT_DONE:
		return;
	}
}

static void protocol_error(struct smtp_client *c, const char *why)
{
	set_error(c, "%s", why);
	c->reply_lines = 0;
	if (c->state == SMTP_CLIENT_WAIT_QUIT) {
		c->state = SMTP_CLIENT_DONE;
		return;
	}
	give_up(c);
}

static void handle_line(struct smtp_client *c, const char *line, size_t len)
{
	struct smtp_reply_line r;
	if (smtp_parse_reply_line(line, len, &r) != 0) {
		protocol_error(c, "server sent a malformed reply line");
		return;
	}
	/* RFC 5321 4.2.1: every line of a multi-line reply carries the same code. */
	if (c->reply_lines > 0 && r.code != c->reply_code) {
		protocol_error(c, "server changed the reply code in the middle of a multi-line reply");
		return;
	}
	c->reply_code = r.code;
	c->reply_lines++;
	/* The first line of the EHLO reply is the greeting; each later one names an extension. */
	if (c->state == SMTP_CLIENT_WAIT_EHLO && r.code == 250 && c->reply_lines > 1)
		parse_cap(c, r.text, r.text_len);
	if (!r.last)
		return;
	c->reply_lines = 0;
	c->last_code = r.code;
	char text[SMTP_REPLY_LINE_MAX];
	memcpy(text, r.text, r.text_len);
	text[r.text_len] = '\0';
	on_reply(c, r.code, text);
}

static int reading(const struct smtp_client *c)
{
	return c->state != SMTP_CLIENT_TLS_WAIT && c->state != SMTP_CLIENT_DONE;
}

static void process(struct smtp_client *c)
{
	c->busy = 1;
	/* Paused after a send: the actor puts it on the wire before the next reply is read. */
	while (c->in.pos < c->in.len && reading(c) && !c->paused) {
		const uint8_t *p = c->in.p + c->in.pos;
		size_t avail = c->in.len - c->in.pos;
		const uint8_t *lf = memchr(p, '\n', avail);
		if (!lf) {
			if (avail >= SMTP_REPLY_LINE_MAX) {
				c->in.pos = c->in.len;
				protocol_error(c, "server sent a reply line longer than 512 bytes");
			}
			break;
		}
		size_t n = (size_t)(lf - p);
		int injected = c->in.pos < c->in.inj_end;
		c->in.pos += n + 1;
		if (n + 1 > SMTP_REPLY_LINE_MAX) {
			protocol_error(c, "server sent a reply line longer than 512 bytes");
			continue;
		}
		/* Bare LF is accepted as a line end, like the server does. */
		size_t content = n && p[n - 1] == '\r' ? n - 1 : n;
		char line[SMTP_REPLY_LINE_MAX];
		memcpy(line, p, content); /* a copy: the sink may feed us again and move c->in.p */
		if (injected)
			linebuf_record_injected(&c->in, line, content);
		handle_line(c, line, content);
	}
	linebuf_compact(&c->in);
	c->busy = 0;
}

/* A whole line is waiting to be read. */
static int line_waiting(const struct smtp_client *c)
{
	size_t avail = c->in.len - c->in.pos;
	return avail && (avail >= SMTP_REPLY_LINE_MAX || memchr(c->in.p + c->in.pos, '\n', avail));
}

int smtp_client_step(struct smtp_client *c)
{
	if (!c || c->busy)
		return 0;
	c->paused = 0;
	if (!reading(c) || !line_waiting(c))
		return 0;
	size_t left = c->in.len - c->in.pos;
	process(c);
	return c->in.len - c->in.pos != left || c->state == SMTP_CLIENT_DONE;
}

void smtp_client_feed(struct smtp_client *c, const uint8_t *p, size_t n)
{
	if (!c || !p || n == 0 || c->state == SMTP_CLIENT_DONE)
		return;
	if (linebuf_append(&c->in, p, n)) {
		set_error(c, "out of memory reading the server's replies");
		c->state = SMTP_CLIENT_DONE;
		return;
	}
	if (!c->busy)
		process(c);
}

size_t smtp_client_pump(struct smtp_client *c, size_t budget)
{
	if (!c || c->state != SMTP_CLIENT_SENDING_BODY || c->body_chunk == 0 || budget == 0)
		return 0;
	size_t n = c->wire_len - c->wire_pos;
	if (n > c->body_chunk)
		n = c->body_chunk;
	if (n > budget)
		n = budget;
	send_body(c, n);
	return n;
}

int smtp_client_wants_tls(const struct smtp_client *c)
{
	return c && c->state == SMTP_CLIENT_TLS_WAIT;
}

void smtp_client_tls_established(struct smtp_client *c)
{
	if (!c || c->state != SMTP_CLIENT_TLS_WAIT)
		return;
	c->in_tls = 1;
	c->reply_lines = 0;
	size_t left = c->in.len - c->in.pos;
	if (c->buffering == SMTP_BUFFER_DISCARD) {
		if (left)
			smtp_sink_note(&c->sink, SMTP_NOTE_DISCARDED, "The client threw away %zu bytes that arrived in cleartext after the 220 reply to STARTTLS: RFC 3207 says nothing received before the handshake may be trusted.",
			     left);
		c->in.len = c->in.pos;
		c->in.inj_end = 0;
	} else {
		if (left)
			smtp_sink_note(&c->sink, SMTP_NOTE_KEPT_BUFFERED, "Quirk keep-buffered-replies: the client still had %zu cleartext bytes buffered from before the handshake and will read them as if they were replies sent through TLS. That is STARTTLS response injection, the bug of Mutt (CVE-2020-14954) and of Exim's SMTP client (CVE-2021-38371).",
			     left);
		c->in.inj_end = c->in.len;
	}
	smtp_sink_note(&c->sink, SMTP_NOTE_REHELO, "TLS is up. As RFC 3207 requires, the client forgets the capabilities it learnt in cleartext. It then sends EHLO again (RFC 3207: SHOULD) to learn them afresh over TLS.");
	/* EHLO first, then the buffered bytes: a vulnerable client reads them as the
	 * answers to the commands it sends now, which is the response injection. They are
	 * read at the next smtp_client_step, once the EHLO is on the wire. */
	c->helo = 0;
	send_ehlo(c);
}

void smtp_client_connection_closed(struct smtp_client *c)
{
	if (!c || c->state == SMTP_CLIENT_DONE)
		return;
	if (c->state == SMTP_CLIENT_TLS_WAIT || (c->state == SMTP_CLIENT_WAIT_GREETING && c->tls == SMTP_CLIENT_TLS_IMPLICIT)) {
		set_error(c, "connection closed during the TLS handshake");
		want_fallback(c, "the TLS handshake failed");
	} else if (c->state != SMTP_CLIENT_WAIT_QUIT) {
		set_error(c, "connection closed by peer");
	}
	c->state = SMTP_CLIENT_DONE;
	c->in.len = c->in.pos = c->in.inj_end = 0;
}

enum smtp_client_state smtp_client_state(const struct smtp_client *c)
{
	return c ? c->state : SMTP_CLIENT_DONE;
}

int smtp_client_in_tls(const struct smtp_client *c)
{
	return c && c->in_tls;
}

int smtp_client_delivered(const struct smtp_client *c)
{
	return c && c->delivered;
}

const char *smtp_client_error(const struct smtp_client *c)
{
	return c && c->has_error ? c->error : NULL;
}

int smtp_client_last_code(const struct smtp_client *c)
{
	return c ? c->last_code : 0;
}

unsigned smtp_client_fallback(const struct smtp_client *c, enum smtp_client_tls *tls)
{
	if (!c || !c->fallback_port)
		return 0;
	if (tls)
		*tls = c->fallback_tls;
	return c->fallback_port;
}

size_t smtp_client_injected_count(const struct smtp_client *c)
{
	return c ? c->in.ninjected : 0;
}

const char *smtp_client_injected(const struct smtp_client *c, size_t i)
{
	return c && i < c->in.ninjected ? c->in.injected[i] : NULL;
}
