/* smtp_server: the receiving side of RFC 5321 with STARTTLS (RFC 3207) and AUTH
 * (RFC 4954), as a state machine that never does I/O. Every complete line in the
 * input is handled in order, which is what makes PIPELINING (RFC 2920) work and also
 * what makes the STARTTLS command-injection bug (CVE-2011-0411) possible: the only
 * difference between the vulnerable and the fixed server is what happens to the bytes
 * that are still buffered when the TLS handshake completes.
 *
 * Line ends: CRLF is the only line end RFC 5321 2.3.8 allows, but bare LF is taken as
 * a line end too (as Postfix and others do) so that hand-written scenarios still work;
 * the stored body always uses CRLF.
 *
 * Text lines longer than 1000 bytes including CRLF (RFC 5321 4.5.3.1.6): the server
 * keeps reading to the final dot and then rejects the whole message with
 * "500 5.5.2 Line too long", the example RFC 5321 4.5.3.1.10 gives for this limit.
 * Rejecting instead of folding the line keeps the message exactly as the client sent it
 * or not at all. When the message is also over the size limit, 552 wins, because it
 * tells the client the more useful fact. */
#include "sim/smtp/smtp_server.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include "sim/base/base64.h"
#include "sim/base/buf.h"
#include "sim/base/scan.h"
#include "sim/smtp/linebuf.h"
#include "sim/smtp/smtp_parse.h"

#define DEFAULT_MAX_SIZE ((size_t)10 * 1024 * 1024)
#define MAX_RCPT 100        /* RFC 5321 4.5.3.1.8: at least 100 must be accepted */
#define MAX_PATH 256        /* RFC 5321 4.5.3.1.3: 256 bytes for a path */
#define MAX_CRED 256        /* longest user name or password we compare */

enum auth_step {
	AUTH_IDLE,
	AUTH_PLAIN_WAIT,   /* 334 sent, waiting for the PLAIN response */
	AUTH_LOGIN_USER,   /* 334 Username: sent */
	AUTH_LOGIN_PASS,   /* 334 Password: sent */
};

struct smtp_server {
	char *hostname;
	char *user;
	char *password;
	char *other_user, *other_password;  /* a second account, or NULL */
	enum smtp_server_mode mode;
	int auth_requires_tls;
	int auth_required;
	size_t max_size;
	enum smtp_buffering buffering;
	size_t max_stored_body;
	struct smtp_sink sink;
	int received;          /* write a Received: line per message */
	int requiretls;        /* RFC 8689 supported */
	char *peer_ip;
	int64_t date;
	const uint64_t *now_us;
	char tls_suite[80];    /* the session's suite, "" without TLS */
	const char *(*check_message)(void *ctx, const struct smtp_server_message *m);
	void *check_ctx;
	char helo_name[256];   /* the peer's EHLO or HELO argument */

	enum smtp_server_state state;
	int in_tls;
	int greeted;        /* HELO or EHLO seen since the last reset */
	int esmtp;          /* it was EHLO: extensions such as AUTH may be used */
	char *auth_user;    /* authenticated in this session (forgotten at STARTTLS) */
	char *last_auth;    /* the last user who ever authenticated, for the outcome */
	enum auth_step auth_step;
	char login_user[MAX_CRED + 1];

	/* The transaction in progress. */
	int in_mail;
	struct smtp_server_message cur;
	size_t body_cap;
	size_t line_len;    /* bytes of the current body line so far */
	int mid_line;       /* the body line was cut because it is over-long */
	int too_big;
	int line_too_long;

	/* Input not yet handled: in[pos..len). inj_end marks the bytes that arrived in
	 * cleartext behind STARTTLS and are replayed after the handshake (KEEP only). */
	struct linebuf in;
	int discarding;     /* inside an over-long command line */
	int busy;           /* inside process(): a nested feed only appends */
	int last_code;      /* the code of the last reply sent (its first line) */
	size_t injected_refused;  /* injected commands answered 4xx or 5xx */

	struct smtp_server_message *msgs;
	size_t nmsgs, msgs_cap;
};

static char *dup_str(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *d = malloc(n + 1);
	if (d)
		memcpy(d, s, n + 1);
	return d;
}

/* One reply line; the caller adds "-" or " " through fmt. */
static int append_line(char *buf, size_t cap, size_t *off, const char *fmt, ...)
{
	if (*off >= cap)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *off, cap - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 2 >= cap - *off)
		return -1;
	*off += (size_t)n;
	buf[(*off)++] = '\r';
	buf[(*off)++] = '\n';
	return 0;
}

static void send_raw(struct smtp_server *s, const char *p, size_t n)
{
	if (n >= 3 && p[0] >= '1' && p[0] <= '5')
		s->last_code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	/* A reply that cannot go out ends the session: the connection below has failed. */
	if (s->sink.send && s->sink.send(s->sink.ctx, SMTP_OUT_REPLY, (const uint8_t *)p, n))
		s->state = SMTP_SERVER_CLOSED;
}

static void reply(struct smtp_server *s, const char *fmt, ...)
{
	char buf[SMTP_REPLY_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof buf - 2 ? (size_t)n : sizeof buf - 3;
	buf[len++] = '\r';
	buf[len++] = '\n';
	send_raw(s, buf, len);
}

static void message_clear(struct smtp_server_message *m)
{
	free(m->mail_from);
	for (size_t i = 0; i < m->nrcpt; i++)
		free(m->rcpt[i]);
	free(m->rcpt);
	free(m->body);
	free(m->auth_user);
	free(m->received);
	memset(m, 0, sizeof *m);
}

static void reset_transaction(struct smtp_server *s)
{
	message_clear(&s->cur);
	s->in_mail = 0;
	s->body_cap = 0;
	s->line_len = 0;
	s->mid_line = 0;
	s->too_big = 0;
	s->line_too_long = 0;
}

/* Out of memory is an error of this process, not of the peer: say so with 421
 * (RFC 5321 3.8) and stop, rather than abort the whole simulation. */
static void fail_oom(struct smtp_server *s)
{
	reply(s, "421 4.3.0 %s Out of memory, closing connection", s->hostname);
	smtp_sink_note(&s->sink, SMTP_NOTE_FAILURE, "The server ran out of memory and closed the connection.");
	s->state = SMTP_SERVER_CLOSED;
}

struct smtp_server *smtp_server_new(const struct smtp_server_config *cfg, struct smtp_sink sink)
{
	if (!cfg)
		return NULL;
	struct smtp_server *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->hostname = dup_str(cfg->hostname ? cfg->hostname : "localhost");
	s->user = dup_str(cfg->user);
	s->password = dup_str(cfg->password ? cfg->password : "");
	s->other_user = dup_str(cfg->other_user);
	s->other_password = dup_str(cfg->other_password ? cfg->other_password : "");
	if (!s->hostname || (cfg->user && !s->user) || !s->password || (cfg->other_user && !s->other_user) ||
	    !s->other_password) {
		smtp_server_free(s);
		return NULL;
	}
	s->mode = cfg->mode;
	s->auth_requires_tls = cfg->auth_requires_tls;
	s->auth_required = cfg->auth_required;
	s->max_size = cfg->max_size ? cfg->max_size : DEFAULT_MAX_SIZE;
	s->buffering = cfg->buffering;
	s->max_stored_body = cfg->max_stored_body;
	s->received = cfg->received;
	s->requiretls = cfg->requiretls;
	s->check_message = cfg->check_message;
	s->check_ctx = cfg->check_ctx;
	s->date = cfg->date;
	s->now_us = cfg->now_us;
	if (cfg->received && !(s->peer_ip = dup_str(cfg->peer_ip ? cfg->peer_ip : "0.0.0.0"))) {
		smtp_server_free(s);
		return NULL;
	}
	s->sink = sink;
	s->state = SMTP_SERVER_GREETING;
	/* With implicit TLS the actor finishes the handshake before the greeting. */
	s->in_tls = cfg->mode == SMTP_SERVER_IMPLICIT;
	return s;
}

void smtp_server_free(struct smtp_server *s)
{
	if (!s)
		return;
	reset_transaction(s);
	for (size_t i = 0; i < s->nmsgs; i++)
		message_clear(&s->msgs[i]);
	free(s->msgs);
	linebuf_free(&s->in);
	free(s->auth_user);
	free(s->last_auth);
	free(s->hostname);
	free(s->user);
	free(s->password);
	free(s->other_user);
	free(s->other_password);
	free(s->peer_ip);
	free(s);
}

void smtp_server_start(struct smtp_server *s)
{
	if (!s || s->state != SMTP_SERVER_GREETING)
		return;
	s->state = SMTP_SERVER_READY;
	reply(s, "220 %s ESMTP smtps-sim demo server", s->hostname);
}

static int starttls_offered(const struct smtp_server *s)
{
	return (s->mode == SMTP_SERVER_STARTTLS || s->mode == SMTP_SERVER_STARTTLS_REQUIRED) &&
	       !s->in_tls;
}

/* AUTH is advertised only where the server would accept it: RFC 4954 section 6 asks
 * servers not to advertise a mechanism they would refuse with 538 for lack of encryption
 * (Postfix's smtpd_tls_auth_only does the same). A client that tries anyway gets 538. */
static int auth_offered(const struct smtp_server *s)
{
	return s->user && (s->in_tls || !s->auth_requires_tls);
}

/* ---- commands ---- */

static void cmd_ehlo(struct smtp_server *s, const struct smtp_command *c)
{
	if (c->arg_len == 0) {
		reply(s, "501 5.5.4 Syntax: EHLO hostname");
		return;
	}
	/* RFC 5321 4.1.4: EHLO also resets any transaction in progress. */
	reset_transaction(s);
	s->greeted = 1;
	s->esmtp = 1;
	snprintf(s->helo_name, sizeof s->helo_name, "%.*s", c->arg_len > 255 ? 255 : (int)c->arg_len, c->arg);
	char buf[SMTP_REPLY_LINE_MAX * 2];
	size_t off = 0;
	int arglen = c->arg_len > 255 ? 255 : (int)c->arg_len;
	int r = append_line(buf, sizeof buf, &off, "250-%s greets %.*s", s->hostname, arglen, c->arg);
	r |= append_line(buf, sizeof buf, &off, "250-PIPELINING");
	r |= append_line(buf, sizeof buf, &off, "250-SIZE %zu", s->max_size);
	r |= append_line(buf, sizeof buf, &off, "250-8BITMIME");
	r |= append_line(buf, sizeof buf, &off, "250-ENHANCEDSTATUSCODES");
	if (starttls_offered(s))
		r |= append_line(buf, sizeof buf, &off, "250-STARTTLS");
	if (auth_offered(s))
		r |= append_line(buf, sizeof buf, &off, "250-AUTH PLAIN LOGIN");
	/* RFC 8689: REQUIRETLS only means something over TLS, so it is offered only there. */
	if (s->requiretls && s->in_tls)
		r |= append_line(buf, sizeof buf, &off, "250-REQUIRETLS");
	if (r) {
		reply(s, "451 4.3.0 Internal error building the EHLO reply");
		return;
	}
	/* The last line says "250 " instead of "250-": patch the separator in place. */
	size_t last = off - 2;
	while (last > 0 && buf[last - 1] != '\n')
		last--;
	buf[last + 3] = ' ';
	send_raw(s, buf, off);
}

static void cmd_helo(struct smtp_server *s, const struct smtp_command *c)
{
	if (c->arg_len == 0) {
		reply(s, "501 5.5.4 Syntax: HELO hostname");
		return;
	}
	reset_transaction(s);
	s->greeted = 1;
	s->esmtp = 0;
	snprintf(s->helo_name, sizeof s->helo_name, "%.*s", c->arg_len > 255 ? 255 : (int)c->arg_len, c->arg);
	reply(s, "250 %s", s->hostname);
}

static void cmd_starttls(struct smtp_server *s, const struct smtp_command *c)
{
	if (c->arg_len != 0) {
		reply(s, "501 5.5.4 Syntax error (no parameters allowed)");
		return;
	}
	if (s->in_tls) {
		/* RFC 3207 4.2: a second STARTTLS inside TLS is out of sequence. */
		reply(s, "503 5.5.1 TLS already active");
		return;
	}
	if (!starttls_offered(s)) {
		/* A server without TLS does not implement the command (RFC 5321 4.2.4); 454 would
		 * say TLS is only temporarily unavailable (RFC 3207 4). */
		reply(s, "502 5.5.1 Command not implemented");
		return;
	}
	/* State first: the actor may start the handshake from inside the sink. */
	s->state = SMTP_SERVER_TLS_WAIT;
	smtp_sink_note(&s->sink, SMTP_NOTE_HANDSHAKE_NEXT, "The server agreed to STARTTLS and now waits for the client's TLS handshake.");
	reply(s, "220 2.0.0 Ready to start TLS");
}

/* Reads SIZE=n from the ESMTP parameters after the path (RFC 1870). Returns 1 and
 * sets *size when present and valid, 0 when absent, -1 when malformed. */
static int size_param(const char *arg, size_t len, size_t *size)
{
	const char *gt = memchr(arg, '>', len);
	if (!gt)
		return 0;
	size_t i = (size_t)(gt - arg) + 1;
	while (i < len) {
		while (i < len && arg[i] == ' ')
			i++;
		size_t start = i;
		while (i < len && arg[i] != ' ')
			i++;
		if (i - start > 5 && strncasecmp(arg + start, "SIZE=", 5) == 0) {
			size_t v = 0;
			if (i - start == 5)
				return -1;
			for (size_t k = start + 5; k < i; k++) {
				if (arg[k] < '0' || arg[k] > '9')
					return -1;
				if (v > ((size_t)-1 - 9) / 10)
					v = (size_t)-1; /* saturate: certainly too big */
				else
					v = v * 10 + (size_t)(arg[k] - '0');
			}
			*size = v;
			return 1;
		}
	}
	return 0;
}

/* 1 when the ESMTP parameters after the path hold the keyword (no value). */
static int has_param(const char *arg, size_t len, const char *kw)
{
	const char *gt = memchr(arg, '>', len);
	if (!gt)
		return 0;
	size_t i = (size_t)(gt - arg) + 1, kl = strlen(kw);
	while (i < len) {
		while (i < len && arg[i] == ' ')
			i++;
		size_t start = i;
		while (i < len && arg[i] != ' ')
			i++;
		if (i - start == kl && strncasecmp(arg + start, kw, kl) == 0)
			return 1;
	}
	return 0;
}

static int tls_required_first(struct smtp_server *s)
{
	if (s->mode == SMTP_SERVER_STARTTLS_REQUIRED && !s->in_tls) {
		reply(s, "530 5.7.0 Must issue a STARTTLS command first");
		return 1;
	}
	return 0;
}

static void cmd_mail(struct smtp_server *s, const struct smtp_command *c)
{
	if (!s->greeted) {
		reply(s, "503 5.5.1 Send EHLO or HELO first");
		return;
	}
	if (tls_required_first(s))
		return;
	if (s->auth_required && !s->auth_user) {
		/* RFC 4954 section 6; RFC 6409 section 4.3: a submission server takes mail only
		 * from users it has authenticated. RCPT and DATA then fail with 503 (no MAIL). */
		reply(s, "530 5.7.0 Authentication required");
		smtp_sink_note(&s->sink, SMTP_NOTE_AUTH_REQUIRED, "The server refused MAIL: it is a submission server and the client has not logged in with AUTH (RFC 4954 section 6, RFC 6409 section 4.3), so it takes no mail from it.");
		return;
	}
	if (s->in_mail) {
		reply(s, "503 5.5.1 Nested MAIL command");
		return;
	}
	char box[MAX_PATH];
	if (smtp_parse_path(c->arg, c->arg_len, "FROM:", box, sizeof box) != 0) {
		reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	size_t size = 0;
	int has = size_param(c->arg, c->arg_len, &size);
	if (has < 0) {
		reply(s, "501 5.5.4 Bad SIZE parameter");
		return;
	}
	if (has > 0 && size > s->max_size) {
		reply(s, "552 5.3.4 Message size exceeds fixed maximum message size (%zu)", s->max_size);
		return;
	}
	int requiretls = has_param(c->arg, c->arg_len, "REQUIRETLS");
	if (requiretls && !s->requiretls) {
		reply(s, "555 5.5.4 MAIL FROM parameter REQUIRETLS not recognized");
		return;
	}
	if (requiretls && !s->in_tls) {
		reply(s, "530 5.7.0 Must issue a STARTTLS command first (REQUIRETLS is taken only over TLS)");
		return;
	}
	reset_transaction(s);
	s->cur.requiretls = requiretls;
	s->cur.mail_from = dup_str(box);
	if (!s->cur.mail_from) {
		fail_oom(s);
		return;
	}
	s->in_mail = 1;
	reply(s, "250 2.1.0 Sender <%s> OK", box);
}

static void cmd_rcpt(struct smtp_server *s, const struct smtp_command *c)
{
	if (!s->in_mail) {
		reply(s, "503 5.5.1 Need MAIL command first");
		return;
	}
	char box[MAX_PATH];
	if (smtp_parse_path(c->arg, c->arg_len, "TO:", box, sizeof box) != 0 || box[0] == '\0') {
		reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	if (s->cur.nrcpt >= MAX_RCPT) {
		reply(s, "452 4.5.3 Too many recipients");
		return;
	}
	char **r = realloc(s->cur.rcpt, (s->cur.nrcpt + 1) * sizeof *r);
	if (!r) {
		fail_oom(s);
		return;
	}
	s->cur.rcpt = r;
	r[s->cur.nrcpt] = dup_str(box);
	if (!r[s->cur.nrcpt]) {
		fail_oom(s);
		return;
	}
	s->cur.nrcpt++;
	reply(s, "250 2.1.5 Recipient <%s> OK", box);
}

static void cmd_data(struct smtp_server *s, const struct smtp_command *c)
{
	if (c->arg_len != 0) {
		reply(s, "501 5.5.4 Syntax: DATA (no parameters allowed)");
		return;
	}
	if (!s->in_mail) {
		reply(s, "503 5.5.1 Need MAIL command first");
		return;
	}
	if (s->cur.nrcpt == 0) {
		reply(s, "503 5.5.1 Need RCPT command first");
		return;
	}
	s->cur.in_tls = s->in_tls;
	s->cur.auth_user = dup_str(s->auth_user);
	if (s->auth_user && !s->cur.auth_user) {
		fail_oom(s);
		return;
	}
	s->line_len = 0;
	s->mid_line = 0;
	s->state = SMTP_SERVER_DATA;
	reply(s, "354 End data with <CR><LF>.<CR><LF>");
}

/* ---- AUTH (RFC 4954, RFC 4616 PLAIN, the de-facto LOGIN) ---- */

static int check_credentials(struct smtp_server *s, const char *user, const char *pass)
{
	int ok = s->user && !strcmp(user, s->user) && !strcmp(pass, s->password);
	ok |= s->other_user && !strcmp(user, s->other_user) && !strcmp(pass, s->other_password);
	if (!ok) {
		reply(s, "535 5.7.8 Authentication credentials invalid");
		smtp_sink_note(&s->sink, SMTP_NOTE_AUTH_REJECTED, "The server rejected the credentials for user \"%s\".", user);
		return -1;
	}
	free(s->auth_user);
	free(s->last_auth);
	s->auth_user = dup_str(user);
	s->last_auth = dup_str(user);
	if (!s->auth_user || !s->last_auth) {
		fail_oom(s);
		return -1;
	}
	reply(s, "235 2.7.0 Authentication successful");
	return 0;
}

/* Decodes one base64 response into a NUL-terminated buffer. Returns the decoded
 * length or -1 (and answers 501) when it is not base64. */
static long decode_response(struct smtp_server *s, const char *p, size_t n, uint8_t *out, size_t cap)
{
	long d = base64_decode(p, n, out, cap - 1);
	if (d < 0) {
		reply(s, "501 5.5.2 Cannot decode response");
		return -1;
	}
	out[d] = '\0';
	return d;
}

/* PLAIN: authzid NUL authcid NUL passwd (RFC 4616 2). */
static void auth_plain_response(struct smtp_server *s, const char *p, size_t n)
{
	uint8_t buf[3 * MAX_CRED + 3];
	long d = decode_response(s, p, n, buf, sizeof buf);
	if (d < 0)
		return;
	const uint8_t *end = buf + d;
	const uint8_t *n1 = memchr(buf, '\0', (size_t)d);
	const uint8_t *n2 = n1 ? memchr(n1 + 1, '\0', (size_t)(end - n1 - 1)) : NULL;
	if (!n1 || !n2) {
		reply(s, "501 5.5.2 Malformed PLAIN response");
		return;
	}
	const char *authzid = (const char *)buf;
	const char *authcid = (const char *)n1 + 1;
	const char *pass = (const char *)n2 + 1;
	if (memchr(pass, '\0', (size_t)(end - (const uint8_t *)pass))) {
		reply(s, "501 5.5.2 Malformed PLAIN response");
		return;
	}
	if (*authzid && strcmp(authzid, authcid) != 0) {
		/* Acting for another user would need an authorisation policy we lack. */
		reply(s, "535 5.7.8 Authentication credentials invalid");
		return;
	}
	check_credentials(s, authcid, pass);
}

static void auth_continue(struct smtp_server *s, const char *line, size_t len)
{
	enum auth_step step = s->auth_step;
	s->auth_step = AUTH_IDLE;
	if (len == 1 && line[0] == '*') {
		reply(s, "501 5.0.0 Authentication cancelled");
		return;
	}
	if (step == AUTH_PLAIN_WAIT) {
		auth_plain_response(s, line, len);
	} else if (step == AUTH_LOGIN_USER) {
		uint8_t buf[MAX_CRED + 1];
		if (decode_response(s, line, len, buf, sizeof buf) < 0)
			return;
		memcpy(s->login_user, buf, sizeof s->login_user);
		s->auth_step = AUTH_LOGIN_PASS;
		reply(s, "334 UGFzc3dvcmQ6"); /* "Password:" */
	} else if (step == AUTH_LOGIN_PASS) {
		uint8_t buf[MAX_CRED + 1];
		if (decode_response(s, line, len, buf, sizeof buf) < 0)
			return;
		check_credentials(s, s->login_user, (const char *)buf);
		memset(s->login_user, 0, sizeof s->login_user);
	}
}

static void cmd_auth(struct smtp_server *s, const struct smtp_command *c)
{
	if (!s->user) {
		reply(s, "502 5.5.1 AUTH not available");
		return;
	}
	if (!s->esmtp) {
		reply(s, "503 5.5.1 Send EHLO first");
		return;
	}
	if (s->auth_user) {
		reply(s, "503 5.5.1 Already authenticated");
		return;
	}
	if (s->in_mail) {
		reply(s, "503 5.5.1 AUTH not permitted during a mail transaction");
		return;
	}
	if (tls_required_first(s))
		return;
	if (s->auth_requires_tls && !s->in_tls) {
		reply(s, "538 5.7.11 Encryption required for requested authentication mechanism");
		smtp_sink_note(&s->sink, SMTP_NOTE_AUTH_NEEDS_TLS, "The server refused AUTH in cleartext: the password would cross the network readable by anyone on the path.");
		return;
	}
	const char *sp = memchr(c->arg, ' ', c->arg_len);
	size_t mlen = sp ? (size_t)(sp - c->arg) : c->arg_len;
	const char *ir = sp ? sp + 1 : NULL;
	size_t irlen = sp ? c->arg_len - mlen - 1 : 0;
	int plain = mlen == 5 && strncasecmp(c->arg, "PLAIN", 5) == 0;
	int login = mlen == 5 && strncasecmp(c->arg, "LOGIN", 5) == 0;
	if (mlen == 0) {
		reply(s, "501 5.5.4 Syntax: AUTH mechanism [initial-response]");
		return;
	}
	if (!plain && !login) {
		reply(s, "504 5.5.4 Unrecognized authentication type");
		return;
	}
	/* RFC 4954 4: "=" is an initial response of zero length. */
	if (ir && irlen == 1 && ir[0] == '=')
		irlen = 0;
	if (plain) {
		if (ir) {
			auth_plain_response(s, ir, irlen);
		} else {
			s->auth_step = AUTH_PLAIN_WAIT;
			reply(s, "334 ");
		}
		return;
	}
	if (ir) {
		s->auth_step = AUTH_LOGIN_USER;
		auth_continue(s, ir, irlen);
		return;
	}
	s->auth_step = AUTH_LOGIN_USER;
	reply(s, "334 VXNlcm5hbWU6"); /* "Username:" */
}

static void handle_command(struct smtp_server *s, const char *line, size_t len)
{
	if (s->auth_step != AUTH_IDLE) {
		auth_continue(s, line, len);
		return;
	}
	struct smtp_command c;
	if (smtp_parse_command(line, len, &c) != 0) {
		reply(s, "500 5.5.2 Syntax error, command unrecognized");
		return;
	}
	switch (c.verb) {
	case SMTP_VERB_EHLO: cmd_ehlo(s, &c); break;
	case SMTP_VERB_HELO: cmd_helo(s, &c); break;
	case SMTP_VERB_STARTTLS: cmd_starttls(s, &c); break;
	case SMTP_VERB_AUTH: cmd_auth(s, &c); break;
	case SMTP_VERB_MAIL: cmd_mail(s, &c); break;
	case SMTP_VERB_RCPT: cmd_rcpt(s, &c); break;
	case SMTP_VERB_DATA: cmd_data(s, &c); break;
	case SMTP_VERB_RSET:
		if (c.arg_len) {
			reply(s, "501 5.5.4 Syntax: RSET (no parameters allowed)");
			break;
		}
		reset_transaction(s);
		reply(s, "250 2.0.0 OK");
		break;
	case SMTP_VERB_NOOP:
		reply(s, "250 2.0.0 OK");
		break;
	case SMTP_VERB_HELP:
		reply(s, "214 2.0.0 Commands: EHLO HELO STARTTLS AUTH MAIL RCPT DATA RSET NOOP VRFY HELP QUIT");
		break;
	case SMTP_VERB_VRFY:
		if (!c.arg_len)
			reply(s, "501 5.5.4 Syntax: VRFY address");
		else
			reply(s, "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery");
		break;
	case SMTP_VERB_QUIT:
		s->state = SMTP_SERVER_CLOSED;
		reply(s, "221 2.0.0 %s closing connection", s->hostname);
		break;
	case SMTP_VERB_UNKNOWN:
	default:
		reply(s, "500 5.5.2 Command not recognized: %s", c.verb_text);
		break;
	}
}

/* ---- DATA ---- */

static int body_append(struct smtp_server *s, const uint8_t *p, size_t n)
{
	s->cur.body_total += n;
	if (s->cur.body_total > s->max_size)
		s->too_big = 1;
	if (s->too_big)
		return 0; /* the message will be refused: stop storing */
	size_t keep = n;
	if (s->max_stored_body) {
		size_t room = s->cur.body_len < s->max_stored_body ? s->max_stored_body - s->cur.body_len : 0;
		if (keep > room)
			keep = room;
	}
	if (keep == 0)
		return 0;
	return buf_append(&s->cur.body, &s->cur.body_len, &s->body_cap, p, keep);
}

/* The Received: line of RFC 5321 section 4.4, folded as servers write it:
 *   Received: from EHLO-NAME ([IP])
 *           by HOSTNAME with PROTOCOL id N
 *           for <RCPT>
 *           tls SUITE; DATE
 * "with" is RFC 3848's (ESMTP, ESMTPS = with STARTTLS or implicit TLS, ESMTPA = with
 * AUTH, ESMTPSA = both); "tls" is the additional clause RFC 8314 registered. The id is
 * the message's number on this server; "for" is written for a single recipient only. */
static int received_line(struct smtp_server *s, struct smtp_server_message *m)
{
	char date[64];
	time_t t = (time_t)(s->date + (int64_t)((s->now_us ? *s->now_us : 0) / 1000000));
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm))
		snprintf(date, sizeof date, "Thu, 01 Jan 1970 00:00:00 +0000");
	char line[1024];
	int n = snprintf(line, sizeof line, "Received: from %s ([%s])\r\n\tby %s with %s id %zu",
			 s->helo_name[0] ? s->helo_name : "unknown", s->peer_ip, s->hostname, m->with, s->nmsgs + 1);
	if (n > 0 && (size_t)n < sizeof line && m->nrcpt == 1)
		n += snprintf(line + n, sizeof line - (size_t)n, "\r\n\tfor <%s>", m->rcpt[0]);
	if (n > 0 && (size_t)n < sizeof line && s->in_tls && s->tls_suite[0])
		n += snprintf(line + n, sizeof line - (size_t)n, "\r\n\ttls %s", s->tls_suite);
	if (n > 0 && (size_t)n < sizeof line)
		n += snprintf(line + n, sizeof line - (size_t)n, "; %s\r\n", date);
	if (n <= 0 || (size_t)n >= sizeof line)
		return 0; /* cannot happen with the lengths above: write none rather than half a line */
	m->received = dup_str(line);
	return m->received ? 0 : -1;
}

void smtp_server_tls_suite(struct smtp_server *s, const char *suite_name)
{
	if (s)
		snprintf(s->tls_suite, sizeof s->tls_suite, "%s", suite_name ? suite_name : "");
}

static void end_of_data(struct smtp_server *s)
{
	s->state = SMTP_SERVER_READY;
	s->mid_line = 0;
	if (s->too_big) {
		reply(s, "552 5.3.4 Message size exceeds fixed maximum message size (%zu)", s->max_size);
		smtp_sink_note(&s->sink, SMTP_NOTE_MESSAGE_REFUSED, "The message was %zu bytes, more than the server's limit of %zu, so the server refused it after the final dot.",
		     s->cur.body_total, s->max_size);
		reset_transaction(s);
		return;
	}
	if (s->line_too_long) {
		reply(s, "500 5.5.2 Line too long (a text line exceeded 1000 bytes)");
		smtp_sink_note(&s->sink, SMTP_NOTE_MESSAGE_REFUSED, "A line of the message was longer than the 1000 bytes RFC 5321 allows, so the server refused the message.");
		reset_transaction(s);
		return;
	}
	if (VEC_RESERVE(s->msgs, s->msgs_cap, s->nmsgs + 1)) {
		fail_oom(s);
		return;
	}
	s->cur.with = !s->esmtp ? "SMTP" : s->in_tls && s->auth_user ? "ESMTPSA" : s->in_tls ? "ESMTPS"
		      : s->auth_user ? "ESMTPA" : "ESMTP";
	if (s->received && received_line(s, &s->cur)) {
		fail_oom(s);
		return;
	}
	const char *refusal = s->check_message ? s->check_message(s->check_ctx, &s->cur) : NULL;
	if (refusal) {
		reply(s, "%s", refusal);
		message_clear(&s->cur);
		reset_transaction(s);
		return;
	}
	s->msgs[s->nmsgs++] = s->cur;
	memset(&s->cur, 0, sizeof s->cur);
	reset_transaction(s);
	reply(s, "250 2.0.0 Message accepted for delivery");
}

/* One piece of a body line: the whole line (ended = 1), or the first part of an
 * over-long one. A dot is only special at the start of a line (RFC 5321 4.5.2). */
static void data_piece(struct smtp_server *s, const uint8_t *p, size_t n, int ended)
{
	if (!s->mid_line && ended && n == 1 && p[0] == '.') {
		end_of_data(s);
		return;
	}
	if (!s->mid_line && n > 0 && p[0] == '.') {
		p++;
		n--;
		s->line_len++; /* the stuffed dot still counted on the wire */
	}
	s->line_len += n;
	int r = body_append(s, p, n);
	if (ended) {
		if (s->line_len + 2 > SMTP_TEXT_LINE_MAX)
			s->line_too_long = 1;
		r |= body_append(s, (const uint8_t *)"\r\n", 2);
		s->line_len = 0;
		s->mid_line = 0;
	} else {
		s->mid_line = 1;
	}
	if (r)
		fail_oom(s);
}

/* Whole lines of plain message text at a line start, taken at once: each ends in CRLF
 * and none starts with "." (no mark, sim/base/scan.h), so there is nothing to unstuff
 * and the bytes are stored as they came; the count, the size limit and the line length
 * come out as line by line. Returns how many bytes of p it took, 0 when the first line
 * needs data_piece (it has a mark, it is not complete, or the message passes the size
 * limit within the run). */
static size_t data_run(struct smtp_server *s, const uint8_t *p, size_t n)
{
	if (s->mid_line || s->line_len)
		return 0;
	size_t run;
	int too_long;
	scan_text_run(p, n, SMTP_TEXT_LINE_MAX, &run, &too_long); /* marks, line ends, lengths: one pass */
	if (!run)
		return 0;
	if (!s->too_big && s->cur.body_total + run > s->max_size)
		return 0; /* the line that passes the limit is found line by line */
	if (too_long)
		s->line_too_long = 1;
	if (body_append(s, p, run))
		fail_oom(s);
	return run;
}

/* ---- input ---- */

static void process(struct smtp_server *s)
{
	s->busy = 1;
	while (s->in.pos < s->in.len && (s->state == SMTP_SERVER_READY || s->state == SMTP_SERVER_DATA)) {
		const uint8_t *p = s->in.p + s->in.pos;
		size_t avail = s->in.len - s->in.pos;
		if (s->state == SMTP_SERVER_DATA) {
			size_t run = data_run(s, p, avail);
			if (run) {
				s->in.pos += run;
				continue;
			}
		}
		const uint8_t *lf = memchr(p, '\n', avail);
		if (s->state == SMTP_SERVER_DATA) {
			size_t limit = SMTP_TEXT_LINE_MAX - 2;
			if (!lf) {
				/* Wait for the line end unless the line is already too long to
				 * be legal; then pass on what we have so the buffer stays small. */
				if (avail <= limit + 1)
					break;
				data_piece(s, p, limit, 0);
				s->in.pos += limit;
				continue;
			}
			size_t n = (size_t)(lf - p);
			size_t content = n && p[n - 1] == '\r' ? n - 1 : n;
			s->in.pos += n + 1;
			data_piece(s, p, content, 1);
			continue;
		}
		if (s->discarding) {
			if (!lf) {
				s->in.pos = s->in.len;
				break;
			}
			s->in.pos += (size_t)(lf - p) + 1;
			s->discarding = 0;
			reply(s, "500 5.5.2 Line too long (a command line exceeded 512 bytes)");
			continue;
		}
		if (!lf) {
			if (avail >= SMTP_COMMAND_LINE_MAX) {
				s->discarding = 1;
				s->in.pos = s->in.len;
			}
			break;
		}
		size_t n = (size_t)(lf - p);
		int injected = s->in.pos < s->in.inj_end;
		s->in.pos += n + 1;
		if (n + 1 > SMTP_COMMAND_LINE_MAX) {
			reply(s, "500 5.5.2 Line too long (a command line exceeded 512 bytes)");
			continue;
		}
		size_t content = n && p[n - 1] == '\r' ? n - 1 : n;
		/* A copy, because a reply may go through a sink that feeds us again and
		 * moves s->in.p while the command is still being handled. */
		char line[SMTP_COMMAND_LINE_MAX];
		memcpy(line, p, content);
		if (injected)
			linebuf_record_injected(&s->in, line, content);
		s->last_code = 0;
		handle_command(s, line, content);
		if (injected && s->last_code >= 400)
			s->injected_refused++;
	}
	/* Drop what was consumed so the buffer only holds the unfinished tail. */
	linebuf_compact(&s->in);
	s->busy = 0;
}

/* Message text read where it lies, without going through the input buffer: whole lines
 * go to the body straight from p, as process would take them. A line begun in an
 * earlier feed is finished through the buffer first; the end line ".", a line cut by the
 * end of p and whatever follows are left to the buffer and process. Returns how many
 * bytes of p it took. */
static size_t data_in_place(struct smtp_server *s, const uint8_t *p, size_t n)
{
	size_t used = 0;
	if (s->in.pos < s->in.len) {
		const uint8_t *lf = memchr(p, '\n', n);
		if (!lf || memchr(s->in.p + s->in.pos, '\n', s->in.len - s->in.pos))
			return 0;
		used = (size_t)(lf - p) + 1;
		if (linebuf_append(&s->in, p, used)) {
			fail_oom(s);
			return n;
		}
		process(s);
		if (s->state != SMTP_SERVER_DATA || s->in.pos < s->in.len)
			return used;
	}
	s->busy = 1;
	while (used < n && s->state == SMTP_SERVER_DATA) {
		const uint8_t *q = p + used;
		size_t avail = n - used, run = data_run(s, q, avail);
		if (run) {
			used += run;
			continue;
		}
		const uint8_t *lf = memchr(q, '\n', avail);
		if (!lf)
			break;
		size_t k = (size_t)(lf - q);
		size_t content = k && q[k - 1] == '\r' ? k - 1 : k;
		if (!s->mid_line && content == 1 && q[0] == '.')
			break; /* the end of data: replies follow, through process */
		used += k + 1;
		data_piece(s, q, content, 1);
	}
	s->busy = 0;
	return used;
}

void smtp_server_feed(struct smtp_server *s, const uint8_t *p, size_t n)
{
	if (!s || !p || n == 0 || s->state == SMTP_SERVER_CLOSED)
		return;
	if (!s->busy && s->state == SMTP_SERVER_DATA) {
		size_t k = data_in_place(s, p, n);
		p += k;
		n -= k;
		if (n == 0 || s->state == SMTP_SERVER_CLOSED)
			return;
	}
	if (linebuf_append(&s->in, p, n)) {
		fail_oom(s);
		return;
	}
	if (!s->busy)
		process(s);
}

int smtp_server_wants_tls(const struct smtp_server *s)
{
	return s && s->state == SMTP_SERVER_TLS_WAIT;
}

void smtp_server_tls_established(struct smtp_server *s)
{
	if (!s || s->state != SMTP_SERVER_TLS_WAIT)
		return;
	s->in_tls = 1;
	s->state = SMTP_SERVER_READY;
	/* RFC 3207 4.2: everything learnt in cleartext is void, the client must EHLO again.
	 * Bytes still unread are not "learnt" in the RFC's words; reading them as void too is
	 * the rule the CVE-2011-0411 advisory made explicit. */
	s->greeted = 0;
	s->esmtp = 0;
	free(s->auth_user);
	s->auth_user = NULL;
	s->auth_step = AUTH_IDLE;
	reset_transaction(s);
	size_t left = s->in.len - s->in.pos;
	if (s->buffering == SMTP_BUFFER_DISCARD) {
		if (left)
			smtp_sink_note(&s->sink, SMTP_NOTE_DISCARDED, "The server threw away %zu bytes that arrived in cleartext behind STARTTLS: an attacker could have put them there. RFC 3207 requires the server to forget what it learned before TLS and forbids pipelining past STARTTLS; since the CVE-2011-0411 advisory (Venema, 2011) that is read to include unprocessed bytes in the input buffer.",
			     left);
		s->in.len = s->in.pos;
		s->in.inj_end = 0;
		return;
	}
	if (left)
		smtp_sink_note(&s->sink, SMTP_NOTE_KEPT_BUFFERED, "The server still had %zu cleartext bytes buffered from before the handshake and now runs them as if they had come through TLS (the CVE-2011-0411 bug). RFC 3207 requires forgetting what was learned before TLS and forbids pipelining past STARTTLS; since Venema's 2011 advisory that is read to include these unprocessed bytes.",
		     left);
	s->in.inj_end = s->in.len;
	if (!s->busy)
		process(s);
}

void smtp_server_connection_closed(struct smtp_server *s)
{
	if (!s || s->state == SMTP_SERVER_CLOSED)
		return;
	if (s->state == SMTP_SERVER_DATA || s->in_mail)
		smtp_sink_note(&s->sink, SMTP_NOTE_ABORTED, "The connection ended in the middle of a mail transaction, so the server discards the unfinished message.");
	reset_transaction(s);
	s->state = SMTP_SERVER_CLOSED;
	s->in.len = s->in.pos = s->in.inj_end = 0;
}

enum smtp_server_state smtp_server_state(const struct smtp_server *s)
{
	return s ? s->state : SMTP_SERVER_CLOSED;
}

int smtp_server_in_tls(const struct smtp_server *s)
{
	return s && s->in_tls;
}

size_t smtp_server_message_count(const struct smtp_server *s)
{
	return s ? s->nmsgs : 0;
}

const struct smtp_server_message *smtp_server_message(const struct smtp_server *s, size_t i)
{
	return s && i < s->nmsgs ? &s->msgs[i] : NULL;
}

const char *smtp_server_auth_user(const struct smtp_server *s)
{
	return s ? s->last_auth : NULL;
}

size_t smtp_server_injected_count(const struct smtp_server *s)
{
	return s ? s->in.ninjected : 0;
}

size_t smtp_server_injected_refused(const struct smtp_server *s)
{
	return s ? s->injected_refused : 0;
}

const char *smtp_server_injected(const struct smtp_server *s, size_t i)
{
	return s && i < s->in.ninjected ? s->in.injected[i] : NULL;
}
