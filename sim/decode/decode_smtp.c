/* decode_smtp: SMTP lines for the trace. The syntax is smtp_parse's (the grammar the
 * client and server use); this adds the teaching fields: reply classes and meanings,
 * AUTH exchanges with base64 decoded (what an eavesdropper reads), and the message body. */
#include "sim/decode/decode_internal.h"

#include <ctype.h>

#include "sim/base/base64.h"
#include "sim/base/scan.h"
#include "sim/smtp/smtp_parse.h"

/* ---- SMTP lines ------------------------------------------------------------------------ */

static size_t strip_eol(const char *line, size_t n)
{
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	return n;
}

static int ci_prefix(const char *s, size_t n, const char *pre)
{
	size_t k = strlen(pre);
	if (n < k)
		return 0;
	for (size_t i = 0; i < k; i++)
		if (tolower((unsigned char)s[i]) != tolower((unsigned char)pre[i]))
			return 0;
	return 1;
}

static int ci_eq(const char *a, const char *b)
{
	return strlen(a) == strlen(b) && ci_prefix(a, strlen(a), b);
}

/* The last field shows the n characters at p, inside the line that starts at line. */
static void mark(struct fields *f, const char *line, const char *p, size_t n)
{
	if (line && p && p >= line)
		fields_last_range(f, (size_t)(p - line), n);
}

#define B64_MAX 768

/* Decodes base64 text; -1 when invalid or too long. "=" alone is the empty response
 * (RFC 4954 4). */
static long b64(const char *t, size_t n, uint8_t *out)
{
	if (n == 1 && t[0] == '=')
		return 0;
	if (n / 4 * 3 > B64_MAX)
		return -1;
	return base64_decode(t, n, out, B64_MAX);
}

/* AUTH PLAIN message, RFC 4616: [authzid] NUL authcid NUL passwd. Adds the fields and
 * writes "user X, password Y" into desc. */
static int auth_plain(const char *line, const char *t, size_t n, struct fields *f, char *desc, size_t dcap,
		      const char **err)
{
	uint8_t buf[B64_MAX];
	char u[300], p[300], z[300];
	long len = b64(t, n, buf);
	if (len < 0) {
		*err = "AUTH PLAIN response is not valid base64";
		return -1;
	}
	const uint8_t *a = memchr(buf, 0, (size_t)len);
	const uint8_t *b = a ? memchr(a + 1, 0, (size_t)len - (size_t)(a + 1 - buf)) : NULL;
	if (!b) {
		*err = "AUTH PLAIN response is not authzid NUL user NUL password";
		return -1;
	}
	/* each shows the base64 it was decoded from: no byte on the wire is only the user's */
	if (a > buf) {
		fields_add(f, 0, "auth_authzid", "%s", textstr(z, sizeof z, buf, (size_t)(a - buf)));
		mark(f, line, t, n);
	}
	textstr(u, sizeof u, a + 1, (size_t)(b - a - 1));
	textstr(p, sizeof p, b + 1, (size_t)(buf + len - b - 1));
	fields_add(f, 0, "auth_user", "%s", u);
	mark(f, line, t, n);
	fields_add(f, 0, "auth_password", "%s", p);
	mark(f, line, t, n);
	snprintf(desc, dcap, "user %s, password %s", u, p);
	return 0;
}

static void set_mech(struct decode_smtp_ctx *ctx, const char *mech)
{
	if (ctx)
		snprintf(ctx->auth_mech, sizeof ctx->auth_mech, "%s", mech);
}

/* A client line sent while an AUTH exchange waits for it: base64, or "*" to cancel. */
static int auth_answer(struct decode_smtp_ctx *ctx, const char *line, size_t n, struct fields *f, char *summary,
		       size_t cap)
{
	const char *M = "AUTH response", *err;
	char tb[300], desc[640];
	uint8_t buf[B64_MAX];
	const char *mech = ctx->auth_mech[0] ? ctx->auth_mech : "unknown";
	fields_add(f, 0, "auth_mechanism", "%s", mech);
	fields_add(f, 0, "auth_response", "%s", textstr(tb, sizeof tb, line, n));
	mark(f, line, line, n);
	if (n == 1 && line[0] == '*') {
		ctx->auth_pending = 0;
		fields_add(f, 0, "auth_cancelled", "yes");
		mark(f, line, line, n);
		say(summary, cap, "AUTH cancelled by the client (*)");
		return 0;
	}
	if (ci_eq(mech, "PLAIN")) {
		ctx->auth_pending = 0;
		if (auth_plain(line, line, n, f, desc, sizeof desc, &err))
			return fail(f, summary, cap, M, "%s", err);
		say(summary, cap, "AUTH PLAIN (%s)", desc);
		return 0;
	}
	long len = b64(line, n, buf);
	if (len < 0) {
		ctx->auth_pending = 0;
		return fail(f, summary, cap, M, "not valid base64");
	}
	textstr(tb, sizeof tb, buf, (size_t)len);
	if (ci_eq(mech, "LOGIN")) {
		if (ctx->login_step == 0) {
			fields_add(f, 0, "auth_user", "%s", tb);
			mark(f, line, line, n);
			ctx->login_step = 1; /* the password comes next, with or without a 334 seen */
			say(summary, cap, "AUTH LOGIN user name: %s", tb);
		} else {
			fields_add(f, 0, "auth_password", "%s", tb);
			mark(f, line, line, n);
			ctx->login_step = 2;
			ctx->auth_pending = 0;
			say(summary, cap, "AUTH LOGIN password: %s", tb);
		}
		return 0;
	}
	ctx->auth_pending = 0;
	fields_add(f, 0, "auth_response_decoded", "%s", tb);
	mark(f, line, line, n);
	say(summary, cap, "AUTH %s response: %s", mech, tb);
	return 0;
}

/* MAIL and RCPT: the path as smtp_parse reads it, so that a mailbox the server would
 * refuse with 501 never becomes a "mail_from" or "rcpt_to" field. */
static const char *envelope(const char *line, const struct smtp_command *c, struct fields *f)
{
	char tb[600];
	struct smtp_path p;
	int mail = c->verb == SMTP_VERB_MAIL;
	if ((mail ? smtp_parse_mail_from : smtp_parse_rcpt_to)(c->arg, c->arg_len, &p))
		return p.error;
	fields_add(f, 0, mail ? "mail_from" : "rcpt_to", "%s", textstr(tb, sizeof tb, p.box, strlen(p.box)));
	/* the mailbox between the brackets, when it is there as written */
	const char *lt = memchr(c->arg, '<', c->arg_len);
	size_t bl = strlen(p.box);
	if (lt && (size_t)(lt + 1 - c->arg) + bl <= c->arg_len && memcmp(lt + 1, p.box, bl) == 0)
		mark(f, line, lt + 1, bl);
	if (p.params_len) {
		fields_add(f, 0, "parameters", "%s", textstr(tb, sizeof tb, p.params, p.params_len));
		mark(f, line, p.params, p.params_len);
	}
	return NULL;
}

int decode_smtp_command(struct decode_smtp_ctx *ctx, const char *line, size_t n, struct fields *f,
			char *summary, size_t cap)
{
	const char *M = "SMTP command", *err;
	char tb[600], desc[640];
	n = line ? strip_eol(line, n) : 0;
	if (ctx && ctx->auth_pending)
		return auth_answer(ctx, line ? line : "", n, f, summary, cap);
	struct smtp_command sc;
	if (smtp_parse_command(line, n, &sc)) {
		if (n == 0)
			return fail(f, summary, cap, M, "%s", sc.error);
		return fail(f, summary, cap, M, "%s: \"%s\"", sc.error, textstr(tb, 80, line, n));
	}
	const char *verb = sc.verb_text;
	/* The argument as shown: without the spaces a sloppy client puts after the one
	 * that separates it from the verb (the paths below see them). */
	const char *arg = sc.arg;
	size_t alen = sc.arg_len;
	while (alen && *arg == ' ') {
		arg++;
		alen--;
	}
	fields_add(f, 0, "verb", "%s", verb);
	const char *sp0 = memchr(line, ' ', n);
	mark(f, line, line, sp0 ? (size_t)(sp0 - line) : n);
	if (alen) {
		fields_add(f, 0, "argument", "%s", textstr(tb, sizeof tb, arg, alen));
		mark(f, line, arg, alen);
	}
	textstr(desc, sizeof desc, line, n);

	if (sc.verb == SMTP_VERB_MAIL || sc.verb == SMTP_VERB_RCPT) {
		if ((err = envelope(line, &sc, f)))
			return fail(f, summary, cap, verb, "%s: \"%s\"", err, textstr(tb, 80, line, n));
	} else if (sc.verb == SMTP_VERB_EHLO || sc.verb == SMTP_VERB_HELO) {
		if (alen) {
			fields_add(f, 0, "domain", "%s", textstr(tb, sizeof tb, arg, alen));
			mark(f, line, arg, alen);
		}
	} else if (sc.verb == SMTP_VERB_AUTH) {
		if (alen == 0)
			return fail(f, summary, cap, verb, "no mechanism");
		const char *sp = memchr(arg, ' ', alen);
		size_t mlen = sp ? (size_t)(sp - arg) : alen;
		char mech[16];
		textstr(mech, sizeof mech, arg, mlen);
		for (char *c = mech; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		fields_add(f, 0, "auth_mechanism", "%s", mech);
		mark(f, line, arg, mlen);
		const char *ir = sp ? sp + 1 : NULL;
		size_t irlen = sp ? alen - mlen - 1 : 0;
		set_mech(ctx, mech);
		if (!ir || irlen == 0) {
			if (ctx) {
				ctx->auth_pending = 1;
				ctx->login_step = 0;
			}
		} else if (strcmp(mech, "PLAIN") == 0) {
			if (ctx)
				ctx->auth_pending = 0;
			fields_add(f, 0, "auth_response", "%s", textstr(tb, sizeof tb, ir, irlen));
			mark(f, line, ir, irlen);
			if (auth_plain(line, ir, irlen, f, tb, sizeof tb, &err))
				return fail(f, summary, cap, "AUTH PLAIN", "%s", err);
			say(summary, cap, "AUTH PLAIN (%s)", tb);
			return 0;
		} else {
			uint8_t buf[B64_MAX];
			fields_add(f, 0, "auth_response", "%s", textstr(tb, sizeof tb, ir, irlen));
			mark(f, line, ir, irlen);
			long len = b64(ir, irlen, buf);
			if (len < 0)
				return fail(f, summary, cap, "AUTH", "initial response is not valid base64");
			textstr(tb, sizeof tb, buf, (size_t)len);
			if (strcmp(mech, "LOGIN") == 0) {
				/* RFC 4954 allows the user name as initial response; the password follows */
				fields_add(f, 0, "auth_user", "%s", tb);
				mark(f, line, ir, irlen);
				if (ctx) {
					ctx->auth_pending = 1;
					ctx->login_step = 1;
				}
				say(summary, cap, "AUTH LOGIN (user %s)", tb);
			} else {
				fields_add(f, 0, "auth_response_decoded", "%s", tb);
				mark(f, line, ir, irlen);
				say(summary, cap, "AUTH %s (%s)", mech, tb);
			}
			return 0;
		}
	}
	say(summary, cap, "%s", desc);
	return 0;
}

static const char *reply_class(int digit)
{
	switch (digit) {
	case 2: return "positive completion";
	case 3: return "positive intermediate";
	case 4: return "transient negative completion";
	default: return "permanent negative completion";
	}
}

static const char *reply_meaning(int code)
{
	static const struct code_name m[] = {
		{211, "system status"}, {214, "help message"}, {220, "service ready"},
		{221, "closing the connection"}, {235, "authentication succeeded"},
		{250, "requested action completed"}, {251, "user not local, will forward"},
		{252, "cannot verify user, will attempt delivery"},
		{334, "authentication challenge"}, {354, "start mail input, end with <CRLF>.<CRLF>"},
		{421, "service not available, closing"}, {450, "mailbox unavailable (try again)"},
		{451, "local error in processing"}, {452, "insufficient storage"},
		{454, "TLS not available / temporary authentication failure"},
		{500, "syntax error, command unrecognised"}, {501, "syntax error in parameters"},
		{502, "command not implemented"}, {503, "bad sequence of commands"},
		{504, "parameter not implemented"}, {530, "authentication or STARTTLS required"},
		{534, "authentication mechanism too weak"}, {535, "authentication credentials invalid"},
		{538, "encryption required for this mechanism"}, {550, "mailbox unavailable"},
		{551, "user not local"}, {552, "exceeded storage allocation"},
		{553, "mailbox name not allowed"}, {554, "transaction failed"},
	};
	return LOOKUP(m, (unsigned)code);
}

/* RFC 3463 enhanced status code at the start of the text: class.subject.detail. */
static size_t enhanced_status(const char *t, size_t n)
{
	size_t i = 0;
	if (n < 5 || (t[0] != '2' && t[0] != '4' && t[0] != '5') || t[1] != '.')
		return 0;
	i = 2;
	for (int part = 0; part < 2; part++) {
		size_t d = 0;
		while (i < n && t[i] >= '0' && t[i] <= '9' && d < 4) {
			i++;
			d++;
		}
		if (d == 0 || d > 3)
			return 0;
		if (part == 0) {
			if (i >= n || t[i] != '.')
				return 0;
			i++;
		}
	}
	return i == n || t[i] == ' ' ? i : 0;
}

int decode_smtp_reply(struct decode_smtp_ctx *ctx, const char *line, size_t n, struct fields *f,
		      char *summary, size_t cap)
{
	const char *M = "SMTP reply";
	char tb[600], db[600];
	n = line ? strip_eol(line, n) : 0;
	struct smtp_reply_line r;
	if (smtp_parse_reply_line(line, n, &r))
		return fail(f, summary, cap, M, "%s: \"%s\"", r.error, textstr(tb, 80, line ? line : "", n));
	int code = r.code;
	int cont = !r.last;
	const char *text = r.text;
	size_t tlen = r.text_len;
	fields_add(f, 0, "code", "%d", code);
	mark(f, line, line, 3);
	fields_add(f, 0, "class", "%s", reply_class(code / 100));
	mark(f, line, line, 1);
	const char *meaning = reply_meaning(code);
	if (meaning) {
		fields_add(f, 0, "meaning", "%s", meaning);
		mark(f, line, line, 3);
	}
	fields_add(f, 0, "continues", "%s", cont ? "yes" : "no");
	if (n > 3) /* the separator: '-' or ' ' */
		mark(f, line, line + 3, 1);
	size_t es = enhanced_status(text, tlen);
	if (es) {
		fields_add(f, 0, "enhanced_status", "%.*s", (int)es, text);
		mark(f, line, text, es);
	}
	fields_add(f, 0, "text", "%s", textstr(tb, sizeof tb, text, tlen));
	mark(f, line, text, tlen);
	textstr(db, sizeof db, line, n);

	if (code == 334) {
		uint8_t buf[B64_MAX];
		size_t cl = tlen;
		while (cl && text[cl - 1] == ' ')
			cl--;
		long len = cl ? b64(text, cl, buf) : 0;
		if (len >= 0) {
			textstr(tb, sizeof tb, buf, (size_t)len);
			fields_add(f, 0, "challenge_decoded", "%s", tb);
			mark(f, line, text, cl);
			if (ctx) {
				ctx->auth_pending = 1;
				if (ci_prefix(tb, strlen(tb), "user"))
					ctx->login_step = 0;
				else if (ci_prefix(tb, strlen(tb), "pass"))
					ctx->login_step = 1;
			}
			if (cl)
				say(summary, cap, "%s (%s)", db, tb);
			else
				say(summary, cap, "334 (go ahead: send the credentials)");
			return 0;
		}
		if (ctx)
			ctx->auth_pending = 1;
	} else if (ctx && !cont) {
		ctx->auth_pending = 0;
	}
	say(summary, cap, "%s", db);
	return 0;
}

/* ---- the message body ------------------------------------------------------------------ */

enum { H_FROM, H_TO, H_SUBJECT, H_DATE };
static const char *const body_hname[DECODE_BODY_HEADERS] = { "From", "To", "Subject", "Date" };
static const char *const body_hkey[DECODE_BODY_HEADERS] = { "from", "to", "subject", "date" };

/* One body line (without its LF; a CR before it is dropped here). Counts it in *hl / *bl,
 * collects the headers into st. Returns 1 for the end-of-data line "." (only when
 * can_end: the line had its LF and is all there). */
static int body_line(struct decode_body_state *st, const char *l, size_t len, int can_end, size_t *hl, size_t *bl)
{
	if (len && l[len - 1] == '\r')
		len--;
	if (len == 1 && l[0] == '.' && can_end)
		return 1;
	if (len && l[0] == '.') { /* dot-stuffing (RFC 5321 4.5.2) */
		l++;
		len--;
	}
	if (st->past_headers) {
		(*bl)++;
		return 0;
	}
	if (len == 0) {
		st->past_headers = 1;
	} else if ((l[0] == ' ' || l[0] == '\t') && st->header_lines) {
		st->header_lines++;
		(*hl)++;
		if (st->cur > 0) {
			/* go on where the value ends (a cut value stays cut) */
			struct sb v = { st->hval[st->cur - 1], sizeof st->hval[0], strlen(st->hval[st->cur - 1]), 0 };
			v.cut = v.len + 1 >= v.cap;
			sb_text(&v, (const uint8_t *)l, len);
		}
	} else {
		const char *colon = memchr(l, ':', len);
		if (!colon) {
			st->past_headers = 1; /* no header block: all of it is body */
			(*bl)++;
		} else {
			st->header_lines++;
			(*hl)++;
			st->cur = 0;
			size_t nl_ = (size_t)(colon - l);
			for (int k = 0; k < DECODE_BODY_HEADERS; k++) {
				if (strlen(body_hname[k]) == nl_ && ci_prefix(l, nl_, body_hname[k]) && !st->hval[k][0]) {
					size_t v = nl_ + 1;
					while (v < len && (l[v] == ' ' || l[v] == '\t'))
						v++;
					struct sb hs;
					sb_init(&hs, st->hval[k], sizeof st->hval[k]);
					sb_text(&hs, (const uint8_t *)l + v, len - v);
					st->cur = k + 1;
				}
			}
		}
	}
	return 0;
}

/* The fields and summary of a piece: the headers once the header block is over (all
 * of them, in the piece where it ends), the lines that end in it, its size. */
static void body_fields(struct decode_body_state *st, int whole, size_t hl, size_t bl, size_t n, size_t after,
			struct fields *f, char *summary, size_t cap)
{
	const char *from = NULL, *subject = NULL;
	int headers_here = 0;
	if ((whole || st->past_headers || st->terminated) && !st->reported) {
		st->reported = headers_here = 1;
		for (int k = 0; k < DECODE_BODY_HEADERS; k++)
			if (st->hval[k][0])
				fields_add(f, 0, body_hkey[k], "%s", st->hval[k]);
		from = st->hval[H_FROM][0] ? st->hval[H_FROM] : NULL;
		subject = st->hval[H_SUBJECT][0] ? st->hval[H_SUBJECT] : NULL;
	}
	fields_add(f, 0, "header_lines", "%zu", hl);
	fields_add(f, 0, "body_lines", "%zu", bl);
	/* the bytes as sent, not the message's size: with the dot-stuffing and, in the piece
	 * where it ends, the end line "." (and whatever was pipelined after it) */
	fields_add(f, 0, "bytes_as_sent", "%zu", n);
	fields_last_range(f, 0, n);
	if (st->terminated && headers_here)
		fields_add(f, 1, "counts", "the whole message as sent: headers, blank line, text, dot-stuffing and the end line \".\"");
	fields_add(f, 0, "terminated", "%s", st->terminated ? "yes" : "no");
	if (after) {
		fields_add(f, 0, "bytes_after_end", "%zu", after);
		fields_last_range(f, n - after, after);
	}

	if (!from && !subject) { /* every piece after the headers: short, nothing to cut */
		if (summary && cap)
			sb_put(summary, cap, 0, "Message: %zu lines, %zu bytes%s", hl + bl, n,
			       st->terminated ? "" : " (no end marker)");
		return;
	}
	char s[200];
	struct sb sm;
	sb_init(&sm, s, sizeof s);
	sb_puts(&sm, "Message:");
	if (from)
		sb_printf(&sm, " From %s,", from);
	if (subject)
		sb_printf(&sm, " Subject \"%s\",", subject);
	sb_printf(&sm, " %zu lines, %zu bytes%s", hl + bl, n, st->terminated ? "" : " (no end marker)");
	say(summary, cap, "%s", s);
}

int decode_smtp_body(const uint8_t *p, size_t n, struct fields *f, char *summary, size_t cap)
{
	struct decode_body_state st;
	memset(&st, 0, sizeof st);
	size_t hl = 0, bl = 0, pos = 0;
	while (pos < n) {
		const uint8_t *nl = memchr(p + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - p) : n; /* line is p[pos..end) */
		size_t next = nl ? end + 1 : n;
		/* A last line without LF still counts, but is never the end marker. */
		if (body_line(&st, (const char *)p + pos, end - pos, nl != NULL, &hl, &bl)) {
			st.terminated = 1;
			pos = next;
			break;
		}
		pos = next;
	}
	body_fields(&st, 1, hl, bl, n, st.terminated && pos < n ? n - pos : 0, f, summary, cap);
	return 0;
}

void decode_smtp_body_start(struct decode_body_state *st)
{
	memset(st, 0, sizeof *st);
}

/* Past the headers, at a line start: the lines of p[pos..stop) (stop just past an LF)
 * up to the first that begins with "." are plain body lines, counted at once. Returns
 * where that line begins, or stop; pos when the line at pos is the one (it may be the
 * end of data: body_line looks at it). */
static size_t body_run(const uint8_t *p, size_t pos, size_t stop, size_t *bl)
{
	size_t end = stop;
	for (size_t k = pos; k < stop;) {
		const uint8_t *d = memchr(p + k, '.', stop - k);
		if (!d)
			break;
		size_t j = (size_t)(d - p);
		if (j == pos || p[j - 1] == '\n') {
			end = j;
			break;
		}
		k = j + 1;
	}
	*bl += scan_count_lf(p + pos, end - pos);
	return end;
}

int decode_smtp_body_piece(struct decode_body_state *st, const uint8_t *p, size_t n, struct fields *f,
			   char *summary, size_t cap)
{
	if (st->terminated)
		decode_smtp_body_start(st); /* a new message */
	size_t hl = 0, bl = 0, pos = 0;
	size_t stop = (size_t)-1; /* just past the piece's last LF, once looked for; 0 for none */
	while (pos < n && !st->terminated) {
		if (st->past_headers && !st->skip && !st->line_total) {
			if (stop == (size_t)-1) {
				const uint8_t *last = memrchr(p, '\n', n);
				stop = last ? (size_t)(last - p) + 1 : 0;
			}
			if (pos < stop) {
				size_t end = body_run(p, pos, stop, &bl);
				if (end > pos) {
					pos = end;
					continue;
				}
			}
		}
		const uint8_t *nl = memchr(p + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - p) : n;
		size_t take = end - pos, room = sizeof st->line - st->line_len;
		memcpy(st->line + st->line_len, p + pos, take < room ? take : room);
		st->line_len += take < room ? take : room;
		st->line_total += take;
		pos = nl ? end + 1 : n;
		if (!nl)
			break; /* the line goes on in the next piece */
		if (st->skip) {
			/* the rest of a line whose start was not kept: a line, of unknown kind */
			if (st->past_headers)
				bl++;
			st->skip = 0;
		} else if (body_line(st, st->line, st->line_len, st->line_total == st->line_len, &hl, &bl)) {
			st->terminated = 1;
		}
		st->line_len = st->line_total = 0;
	}
	body_fields(st, 0, hl, bl, n, st->terminated && pos < n ? n - pos : 0, f, summary, cap);
	return 0;
}

void decode_smtp_body_gap(struct decode_body_state *st)
{
	st->line_len = st->line_total = 0;
	st->skip = 1;
}

