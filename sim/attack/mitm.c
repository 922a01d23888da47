/* mitm: the attacker between the client and the server. It accepts the client's
 * connection on one link and dials the server on another, then, according to its
 * behaviour, relays, rewrites, injects, tampers, records, or terminates TLS itself.
 * Everything it makes or changes is marked as an attack in the trace, with a note
 * saying what it did and why. */
#include "sim/attack/mitm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/base/buf.h"

/* ---- the EHLO rewrite (pure) ---- */

size_t mitm_strip_ehlo(const char *reply, size_t n, char *out, size_t cap)
{
	/* Check the shape first: lines "250-..." ending with one "250 ..." line. */
	size_t pos = 0, lines = 0;
	while (pos < n) {
		const char *nl = memchr(reply + pos, '\n', n - pos);
		if (!nl)
			return (size_t)-1;
		size_t end = (size_t)(nl - reply) + 1;
		size_t len = end - pos;
		if (len < 5 || memcmp(reply + pos, "250", 3) || (reply[pos + 3] != '-' && reply[pos + 3] != ' '))
			return (size_t)-1;
		int last = reply[pos + 3] == ' ';
		if (last != (end == n))
			return (size_t)-1; /* "250 " must be the last line, and only it */
		lines++;
		pos = end;
	}
	if (lines < 2 || cap < n)
		return (size_t)-1;
	/* Copy every line but those a client would read as STARTTLS. The first line is the
	 * server's name, not an extension. */
	size_t o = 0, last_kept = 0;
	pos = 0;
	lines = 0;
	while (pos < n) {
		size_t end = (size_t)((const char *)memchr(reply + pos, '\n', n - pos) - reply) + 1;
		const char *t = reply + pos + 4;
		size_t tl = end - pos - 4, k = 0;
		while (tl && (t[tl - 1] == '\n' || t[tl - 1] == '\r'))
			tl--;
		while (k < tl && t[k] != ' ' && t[k] != '=')
			k++;
		if (lines == 0 || k != 8 || strncasecmp(t, "STARTTLS", 8)) {
			last_kept = o;
			memcpy(out + o, reply + pos, end - pos);
			o += end - pos;
		}
		lines++;
		pos = end;
	}
	/* When STARTTLS was the last line, the line kept before it now ends the reply. */
	out[last_kept + 3] = ' ';
	return o;
}

/* ---- the actor ---- */

struct mitm_dir {
	int records;          /* this direction now carries TLS records */
	int in_body;          /* client to server: inside a DATA body */
	uint8_t tail[5];      /* last bytes of the body, to see CRLF.CRLF across reads */
	size_t tail_len;
	uint8_t *buf;         /* a partial line, reply or record */
	size_t len, cap;
	uint64_t protected_records;  /* application-data records relayed */
	int handshakes;       /* handshake records relayed */
};

struct recorded {
	int up;               /* client to server */
	uint8_t *rec;
	size_t len;
};

struct mitm {
	struct mitm_env env;     /* what the run gave it: it touches nothing else */
	enum mitm_behaviour behaviour;
	struct conn to_client;   /* on LINK_CLIENT_MITM, side 1 */
	struct conn to_server;   /* on LINK_MITM_SERVER, side 0 */
	struct mitm_dir up;      /* client to server */
	struct mitm_dir down;    /* server to client */
	int saw_354;
	int starttls_pending;    /* the client asked for STARTTLS; waiting for the 220 */
	int terminating;         /* substitute-certificate: TLS on both legs is ours */
	int tampered;
	struct recorded *recs;   /* record: the whole encrypted session */
	size_t nrecs, rcap;
	int decrypted_later;
};

/* Fails the run (through the env; the first failure wins there). */
static void mfail(struct mitm *m, int oom, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void mfail(struct mitm *m, int oom, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (m->env.fail)
		m->env.fail(m->env.ctx, oom, msg);
}

/* The attacker's own note: an attack action (TK_ATTACK) or the key theft (TK_KEY_THEFT). */
static void note(struct mitm *m, enum trace_link link, enum trace_kind kind, int subtype, const char *summary,
		 const char *narration)
{
	struct wire_note n = { .now = *m->env.now, .link = link, .who = ACTOR_MITM, .kind = kind,
			       .subtype = subtype, .attack = kind == TK_ATTACK ? subtype : ATTACK_RECORDED,
			       .session = -1 };
	if (wire_note(m->env.trace, &n, summary, narration) < 0)
		mfail(m, 1, "tracing the attacker's note");
}

/* Every byte the attacker sends goes through these two, so a conn that fails (out of
 * memory) fails the run instead of leaving a gap in the trace. */
static void send_raw(struct mitm *m, struct conn *out, int as_records, enum smtp_out_kind kind, const uint8_t *p,
		     size_t n, int attack)
{
	if (conn_send_raw(out, as_records, kind, p, n, attack))
		mfail(m, 1, "the attacker could not trace or queue what it relays");
}

static void send_plain(struct mitm *m, struct conn *out, enum smtp_out_kind kind, const uint8_t *p, size_t n)
{
	if (conn_send(out, kind, p, n, 0))
		mfail(m, 1, "the attacker could not trace or queue what it re-encrypts");
}

static int dir_append(struct mitm_dir *d, const uint8_t *p, size_t n)
{
	return buf_append(&d->buf, &d->len, &d->cap, p, n);
}

static void dir_consume(struct mitm_dir *d, size_t n)
{
	buf_consume(d->buf, &d->len, n);
}

/* Does a body chunk end the body (CRLF.CRLF, possibly split across reads)? */
static int body_ends(struct mitm_dir *d, const uint8_t *p, size_t n)
{
	uint8_t b[10];
	size_t k = 0;
	for (size_t i = 0; i < d->tail_len; i++)
		b[k++] = d->tail[i];
	for (size_t i = n > 5 ? n - 5 : 0; i < n; i++)
		b[k++] = p[i];
	size_t keep = k > 5 ? 5 : k;
	memcpy(d->tail, b + k - keep, keep);
	d->tail_len = keep;
	return keep == 5 && !memcmp(d->tail, "\r\n.\r\n", 5);
}

static void record_store(struct mitm *m, int up, const uint8_t *p, size_t n)
{
	if (m->behaviour != MITM_RECORD)
		return;
	if (VEC_RESERVE(m->recs, m->rcap, m->nrecs + 1)) {
		mfail(m, 1, "the attacker's recording");
		return;
	}
	uint8_t *copy = malloc(n);
	if (!copy) {
		mfail(m, 1, "the attacker's recording");
		return;
	}
	memcpy(copy, p, n);
	m->recs[m->nrecs++] = (struct recorded){ up, copy, n };
}

/* Rewrites a ClientHello record to offer fewer cipher suites. Returns 1 when changed. */
static int weaken_clienthello(uint8_t *rec, size_t *n, char *what, size_t wcap)
{
	if (*n < 5 + 4 + 2 + 32 + 1 || rec[0] != 22 || rec[5] != 1)
		return 0;
	size_t p = 5 + 4 + 2 + 32;
	size_t sid = rec[p];
	p += 1 + sid;
	if (p + 2 > *n)
		return 0;
	size_t slen = (size_t)rec[p] << 8 | rec[p + 1];
	size_t s0 = p + 2;
	if (s0 + slen > *n || slen < 4)
		return 0;
	/* Keep only suites without forward secrecy (TLS_RSA_*): a server that supports
	 * them is pushed to static RSA key exchange. Without any, drop the first offer. */
	uint8_t keep[512];
	size_t kn = 0;
	for (size_t i = 0; i + 1 < slen && kn + 2 <= sizeof keep; i += 2) {
		unsigned id = (unsigned)rec[s0 + i] << 8 | rec[s0 + i + 1];
		const char *name = decode_cipher_suite_name(id);
		if (name && !strncmp(name, "TLS_RSA_", 8)) {
			keep[kn++] = rec[s0 + i];
			keep[kn++] = rec[s0 + i + 1];
		}
	}
	if (kn == 0 || kn == slen) {
		memcpy(keep, rec + s0 + 2, slen - 2);
		kn = slen - 2;
		snprintf(what, wcap, "removed the client's first-choice cipher suite");
	} else {
		snprintf(what, wcap, "removed every cipher suite with forward secrecy (%zu of %zu left)", kn / 2, slen / 2);
	}
	size_t removed = slen - kn;
	memcpy(rec + s0, keep, kn);
	memmove(rec + s0 + kn, rec + s0 + slen, *n - (s0 + slen));
	*n -= removed;
	rec[p] = (uint8_t)(kn >> 8);
	rec[p + 1] = (uint8_t)kn;
	size_t hl = *n - 9, rl = *n - 5;
	rec[6] = (uint8_t)(hl >> 16);
	rec[7] = (uint8_t)(hl >> 8);
	rec[8] = (uint8_t)hl;
	rec[3] = (uint8_t)(rl >> 8);
	rec[4] = (uint8_t)rl;
	return 1;
}

/* Whole records, one at a time: where tampering and recording happen. */
static void relay_records(struct mitm *m, struct conn *out, struct mitm_dir *d, int up)
{
	while (d->len >= 5) {
		size_t n = 5 + ((size_t)d->buf[3] << 8 | d->buf[4]);
		if (d->len < n)
			return;
		uint8_t *rec = d->buf;
		size_t rn = n;
		enum trace_attack attack = ATTACK_NONE;
		if (rec[0] == 22)
			d->handshakes++;
		if (rec[0] == 23)
			d->protected_records++;
		if (up && m->behaviour == MITM_TAMPER_CLIENTHELLO && rec[0] == 22 && d->handshakes == 1) {
			char what[128];
			if (weaken_clienthello(rec, &rn, what, sizeof what)) {
				attack = ATTACK_REPLACED;
				char s[200];
				snprintf(s, sizeof s, "The attacker rewrites the ClientHello: %s", what);
				note(m, LINK_MITM_SERVER, TK_ATTACK, ATTACK_REPLACED, s,
				     "A downgrade attempt: the ClientHello is not protected, so the attacker can change the "
				     "offer. But both sides will hash the handshake they saw into their Finished messages.");
			}
		}
		if (up && m->behaviour == MITM_TAMPER_RECORD && rec[0] == 23 && !m->tampered &&
		    d->protected_records == m->env.tamper_record && rn > 6) {
			rec[rn - 1] ^= 0x01;
			m->tampered = 1;
			attack = ATTACK_TAMPERED;
			char s[160];
			snprintf(s, sizeof s, "The attacker flips one bit in the last byte of encrypted record %llu from the client",
				 (unsigned long long)d->protected_records);
			note(m, LINK_MITM_SERVER, TK_ATTACK, ATTACK_TAMPERED, s,
			     "The attacker cannot read the record, but it can change bits. With an AEAD suite such as "
			     "AES-GCM the last byte belongs to the record's authentication tag; the receiver recomputes "
			     "the tag over the record, it does not match, and the record is rejected before its "
			     "content is used.");
		}
		record_store(m, up, rec, rn);
		send_raw(m, out, 1, SMTP_OUT_COMMAND, rec, rn, attack);
		dir_consume(d, n);
	}
}

static void start_interception(struct mitm *m);

static void inject_lines(struct mitm *m, struct conn *out, enum smtp_out_kind kind, const char *text)
{
	char buf[2048];
	size_t o = 0;
	for (const char *p = text; *p && o + 3 < sizeof buf; p++) {
		if (*p == '\n') {
			buf[o++] = '\r';
			buf[o++] = '\n';
		} else
			buf[o++] = *p;
	}
	if (o && buf[o - 1] != '\n' && o + 2 < sizeof buf) {
		buf[o++] = '\r';
		buf[o++] = '\n';
	}
	/* They go out in the same write as the line they follow (STARTTLS, the 220): one
	 * TCP segment, which is what lets them slip into the peer's buffer with it. */
	wire_join_next(conn_out_stream(out));
	send_raw(m, out, 0, kind, (const uint8_t *)buf, o, ATTACK_ADDED);
}

static int is_verb(const uint8_t *line, size_t n, const char *verb)
{
	size_t v = strlen(verb);
	return n >= v && !strncasecmp((const char *)line, verb, v) && (n == v || line[v] == '\r' || line[v] == ' ' || line[v] == '\n');
}

/* One complete command line from the client, in cleartext. */
static void client_line(struct mitm *m, const uint8_t *line, size_t n)
{
	if (is_verb(line, n, "STARTTLS")) {
		if (m->behaviour == MITM_REJECT_STARTTLS) {
			note(m, LINK_CLIENT_MITM, TK_ATTACK, ATTACK_FORGED, "The attacker answers STARTTLS itself with 454 and never tells the server",
			     "To the client, the server seems unable to do TLS right now. An opportunistic client "
			     "carries on in cleartext; one that requires TLS stops.");
			static const char r454[] = "454 4.7.0 TLS not available due to temporary reason\r\n";
			send_raw(m, &m->to_client, 0, SMTP_OUT_REPLY, (const uint8_t *)r454, sizeof r454 - 1, ATTACK_FORGED);
			return;
		}
		send_raw(m, &m->to_server, 0, SMTP_OUT_COMMAND, line, n, 0);
		m->starttls_pending = 1;
		if (m->behaviour == MITM_INJECT_COMMANDS) {
			const char *inj = m->env.inject ? m->env.inject
				: "RSET\nMAIL FROM:<mallory@evil.test>\nRCPT TO:<mallory@evil.test>";
			inject_lines(m, &m->to_server, SMTP_OUT_COMMAND, inj);
			note(m, LINK_MITM_SERVER, TK_ATTACK, ATTACK_ADDED, "The attacker appends its own commands behind STARTTLS, in the same write",
			     "These cleartext commands arrive together with STARTTLS. A careful server throws away "
			     "whatever it buffered before the handshake; a vulnerable one runs them as if they had "
			     "come through TLS (CVE-2011-0411).");
		}
		return;
	}
	send_raw(m, &m->to_server, 0, SMTP_OUT_COMMAND, line, n, 0);
}

/* One complete reply (all its lines) from the server, in cleartext. */
static void server_reply(struct mitm *m, const uint8_t *r, size_t n)
{
	int code = n >= 3 ? (r[0] - '0') * 100 + (r[1] - '0') * 10 + (r[2] - '0') : 0;
	if (code == 250 && m->behaviour == MITM_STRIP_STARTTLS) {
		char out[4096];
		size_t k = n <= sizeof out ? mitm_strip_ehlo((const char *)r, n, out, sizeof out) : (size_t)-1;
		if (k != (size_t)-1 && k != n) {
			note(m, LINK_CLIENT_MITM, TK_ATTACK, ATTACK_DELETED, "The attacker deletes STARTTLS from the server's EHLO reply",
			     "The capability list travels in cleartext with no integrity protection, so nothing "
			     "tells the client that a line is missing. It now believes the server cannot do TLS.");
			send_raw(m, &m->to_client, 0, SMTP_OUT_REPLY, (const uint8_t *)out, k, ATTACK_DELETED);
			return;
		}
	}
	if (code == 354)
		m->saw_354 = 1;
	send_raw(m, &m->to_client, 0, SMTP_OUT_REPLY, r, n, 0);
	if (code == 220 && m->starttls_pending) {
		m->starttls_pending = 0;
		if (m->behaviour == MITM_INJECT_RESPONSES) {
			const char *inj = m->env.inject ? m->env.inject
				: "250-mail.example.test at your service\n250 8BITMIME";
			inject_lines(m, &m->to_client, SMTP_OUT_REPLY, inj);
			note(m, LINK_CLIENT_MITM, TK_ATTACK, ATTACK_ADDED, "The attacker appends forged replies behind the server's 220",
			     "These cleartext replies arrive with the 220. A careful client throws away what it "
			     "buffered before the handshake; a vulnerable one reads them later as if the server had "
			     "sent them through TLS.");
		}
		if (m->behaviour == MITM_SUBSTITUTE_CERT)
			start_interception(m);
	}
}

static void relay_clear(struct mitm *m, struct mitm_dir *d, int up)
{
	for (;;) {
		if (d->len && !d->records && (d->buf[0] == 0x16 || d->buf[0] == 0x15))
			d->records = 1; /* a TLS handshake starts: from now on this direction is records */
		if (d->records) {
			relay_records(m, up ? &m->to_server : &m->to_client, d, up);
			return;
		}
		if (!d->len)
			return;
		if (up && !d->in_body && m->saw_354) {
			d->in_body = 1;
			m->saw_354 = 0;
			d->tail_len = 0;
		}
		if (up && d->in_body) {
			/* Forward the body up to and including its final dot. */
			size_t k = 0;
			int ends = 0;
			for (; k < d->len && !ends; k++)
				ends = body_ends(d, d->buf + k, 1);
			send_raw(m, &m->to_server, 0, SMTP_OUT_BODY, d->buf, k, 0);
			dir_consume(d, k);
			if (ends)
				d->in_body = 0;
			continue;
		}
		if (up) {
			uint8_t *nl = memchr(d->buf, '\n', d->len);
			if (!nl)
				return;
			size_t n = (size_t)(nl - d->buf) + 1;
			client_line(m, d->buf, n);
			dir_consume(d, n);
			continue;
		}
		/* Replies: collect lines until the last one ("ddd " or "ddd"). */
		size_t pos = 0, end = 0;
		while (pos < d->len) {
			uint8_t *nl = memchr(d->buf + pos, '\n', d->len - pos);
			if (!nl)
				break;
			size_t le = (size_t)(nl - d->buf) + 1;
			if (le - pos < 5 || d->buf[pos + 3] != '-') {
				end = le;
				break;
			}
			pos = le;
		}
		if (!end)
			return;
		server_reply(m, d->buf, end);
		dir_consume(d, end);
	}
}

static void from_client(void *ctx, struct conn *c, const uint8_t *p, size_t n)
{
	struct mitm *m = ctx;
	if (m->terminating && conn_tls_on(c) && !c->raw_input) {
		/* Plaintext out of the client's TLS session: read it, pass it on re-encrypted. */
		struct mitm_dir *d = &m->up;
		if (!d->in_body && m->saw_354) {
			d->in_body = 1;
			m->saw_354 = 0;
			d->tail_len = 0;
		}
		enum smtp_out_kind kind = d->in_body ? SMTP_OUT_BODY : SMTP_OUT_COMMAND;
		if (d->in_body && body_ends(d, p, n))
			d->in_body = 0;
		send_plain(m, &m->to_server, kind, p, n);
		return;
	}
	if (dir_append(&m->up, p, n) == 0)
		relay_clear(m, &m->up, 1);
	else
		mfail(m, 1, "the attacker's buffer");
}

static void from_server(void *ctx, struct conn *c, const uint8_t *p, size_t n)
{
	struct mitm *m = ctx;
	if (m->terminating && conn_tls_on(c) && !c->raw_input) {
		if (n >= 4 && !memcmp(p, "354", 3))
			m->saw_354 = 1;
		send_plain(m, &m->to_client, SMTP_OUT_REPLY, p, n);
		return;
	}
	if (dir_append(&m->down, p, n) == 0)
		relay_clear(m, &m->down, 0);
	else
		mfail(m, 1, "the attacker's buffer");
}

static void closed_client(void *ctx, struct conn *c, int err)
{
	(void)c;
	(void)err;
	struct mitm *m = ctx;
	conn_close(&m->to_server);
}

static void closed_server(void *ctx, struct conn *c, int err)
{
	(void)c;
	(void)err;
	struct mitm *m = ctx;
	conn_close(&m->to_client);
}

/* substitute-certificate: TLS server towards the client with the attacker's own
 * certificate, TLS client towards the real server. */
static void start_interception(struct mitm *m)
{
	char err[200];
	if (conn_start_tls(&m->to_client, &m->env.as_server, err, sizeof err)) {
		mfail(m, 0, "attacker: %s", err);
		return;
	}
	if (conn_start_tls(&m->to_server, &m->env.as_client, err, sizeof err)) {
		mfail(m, 0, "attacker: %s", err);
		return;
	}
	m->to_client.raw_input = m->to_server.raw_input = 0;
	m->terminating = 1;
	m->up.records = m->down.records = 1;
	note(m, LINK_CLIENT_MITM, TK_ATTACK, ATTACK_INTERCEPTED, "The attacker answers the client's TLS handshake itself, with its own certificate",
	     "Two TLS sessions instead of one: client to attacker, attacker to server. Whether this works "
	     "depends only on whether the client checks the certificate.");
}

struct mitm *mitm_new(const struct mitm_env *env, char *err, size_t errcap)
{
	struct mitm *m = calloc(1, sizeof *m);
	if (!m) {
		snprintf(err, errcap, "out of memory");
		return NULL;
	}
	m->env = *env;
	m->behaviour = env->behaviour;
	conn_init(&m->to_client, env->client_link, 1, ACTOR_MITM, env->now,
		  (struct conn_callbacks){ m, from_client, NULL, closed_client });
	conn_init(&m->to_server, env->server_link, 0, ACTOR_MITM, env->now,
		  (struct conn_callbacks){ m, from_server, NULL, closed_server });
	m->to_client.raw_input = m->to_server.raw_input = 1;
	if (m->behaviour != MITM_SUBSTITUTE_CERT) {
		/* Not a TLS endpoint: any TLS session on the path is the client's and the server's. */
		for (int d = 0; d < 2; d++)
			env->client_link->ws[d].tls_readers = env->server_link->ws[d].tls_readers = READ_CLIENT | READ_SERVER;
	}
	static const char *const intro[MITM_BEHAVIOUR_COUNT] = {
		[MITM_RELAY] = "The attacker sits between client and server and relays every byte, reading what it can",
		[MITM_STRIP_STARTTLS] = "The attacker sits in the path, ready to delete STARTTLS from the server's offer",
		[MITM_REJECT_STARTTLS] = "The attacker sits in the path, ready to refuse STARTTLS in the server's name",
		[MITM_SUBSTITUTE_CERT] = "The attacker sits in the path with a certificate of its own for the server's name",
		[MITM_INJECT_COMMANDS] = "The attacker sits in the path, ready to slip commands in behind STARTTLS",
		[MITM_INJECT_RESPONSES] = "The attacker sits in the path, ready to slip forged replies in behind the 220",
		[MITM_TAMPER_RECORD] = "The attacker sits in the path, ready to change an encrypted record",
		[MITM_TAMPER_CLIENTHELLO] = "The attacker sits in the path, ready to weaken the ClientHello",
		[MITM_RECORD] = "The attacker records the whole session, hoping to decrypt it one day",
	};
	note(m, LINK_CLIENT_MITM, TK_ATTACK, m->behaviour == MITM_RECORD ? ATTACK_RECORDED : ATTACK_PRESENT,
	     intro[m->behaviour] ? intro[m->behaviour] : "An attacker sits in the path",
	     "The client believes it talks to the server, but every byte passes through the attacker, "
	     "who reads whatever is not encrypted and can change whatever is not authenticated.");
	if (env->client_implicit)
		m->up.records = 1;
	if (env->server_implicit)
		m->down.records = 1;
	if (m->behaviour == MITM_SUBSTITUTE_CERT && env->client_implicit)
		start_interception(m);
	return m;
}

void mitm_free(struct mitm *m)
{
	conn_free(&m->to_client);
	conn_free(&m->to_server);
	free(m->up.buf);
	free(m->down.buf);
	for (size_t i = 0; i < m->nrecs; i++)
		free(m->recs[i].rec);
	free(m->recs);
	free(m);
}

int mitm_step(struct mitm *m)
{
	int p = conn_pump(&m->to_client);
	p |= conn_pump(&m->to_server);
	p |= conn_pump(&m->to_client);
	if (conn_failed(&m->to_client) || conn_failed(&m->to_server))
		mfail(m, 1, "the attacker's connection could not trace or queue its bytes");
	return p;
}

/* ---- record: decrypting the recording once the server's key is stolen ---- */

static const struct recorded *find_handshake(const struct mitm *m, int up, unsigned type)
{
	for (size_t i = 0; i < m->nrecs; i++) {
		const struct recorded *r = &m->recs[i];
		if (r->up == up && r->len > 9 && r->rec[0] == 22 && r->rec[5] == type)
			return r;
	}
	return NULL;
}

static int decrypt_gcm(const uint8_t key[16], const uint8_t iv[4], uint64_t seq, const uint8_t *rec,
		       size_t n, uint8_t *out, size_t *outlen)
{
	if (n < 5 + 8 + 16)
		return -1;
	size_t clen = n - 5 - 8 - 16;
	uint8_t nonce[12], aad[13];
	memcpy(nonce, iv, 4);
	memcpy(nonce + 4, rec + 5, 8);
	for (int i = 0; i < 8; i++)
		aad[i] = (uint8_t)(seq >> (56 - 8 * i));
	aad[8] = rec[0];
	aad[9] = rec[1];
	aad[10] = rec[2];
	aad[11] = (uint8_t)(clen >> 8);
	aad[12] = (uint8_t)clen;
	br_aes_ct_ctr_keys aes;
	br_gcm_context gcm;
	br_aes_ct_ctr_init(&aes, key, 16);
	br_gcm_init(&gcm, &aes.vtable, br_ghash_ctmul);
	br_gcm_reset(&gcm, nonce, 12);
	br_gcm_aad_inject(&gcm, aad, 13);
	br_gcm_flip(&gcm);
	memcpy(out, rec + 13, clen);
	br_gcm_run(&gcm, 0, out, clen);
	if (!br_gcm_check_tag(&gcm, rec + n - 16))
		return -1;
	*outlen = clen;
	return 0;
}

static void decrypt_recording(struct mitm *m)
{
	const struct recorded *ch = find_handshake(m, 1, 1), *sh = find_handshake(m, 0, 2),
			      *cke = find_handshake(m, 1, 16);
	char s[256];
	if (!ch || !sh || !cke) {
		note(m, LINK_CLIENT_MITM, TK_KEY_THEFT, THEFT_NO_HANDSHAKE, "Later: the recording holds no complete TLS handshake to attack", NULL);
		return;
	}
	uint8_t crand[32], srand[32];
	memcpy(crand, ch->rec + 11, 32);
	memcpy(srand, sh->rec + 11, 32);
	size_t sid = sh->rec[43];
	if (44 + sid + 2 > sh->len)
		return;
	unsigned suite = (unsigned)sh->rec[44 + sid] << 8 | sh->rec[45 + sid];
	const char *sname = decode_cipher_suite_name(suite);
	/* Loaded with the scenario (run_pki_load): the run itself reads no file. */
	const struct pki_key *key = m->env.stolen_key;
	snprintf(s, sizeof s, "Later: the attacker obtains the server's private key and replays its recording (%s)",
		 sname ? sname : "unknown suite");
	note(m, LINK_CLIENT_MITM, TK_KEY_THEFT, THEFT_KEY_STOLEN, s,
	     "Months later the server is broken into and its private key stolen. Does the old recording fall?");
	if (suite != BR_TLS_RSA_WITH_AES_128_GCM_SHA256 || key->type != BR_KEYTYPE_RSA) {
		if (sname && (!strncmp(sname, "TLS_ECDHE_", 10) || !strncmp(sname, "TLS_DHE_", 8)))
			note(m, LINK_CLIENT_MITM, TK_KEY_THEFT, THEFT_SEALED_FS,
			     "The recording stays sealed: the session used an ephemeral key exchange",
			     "With ECDHE both sides made fresh key shares for this session and threw them away. The "
			     "server's long-term key only signed its share; it never encrypted anything. This is "
			     "forward secrecy.");
		else
			note(m, LINK_CLIENT_MITM, TK_KEY_THEFT, THEFT_UNSUPPORTED,
			     "The simulator cannot replay this suite, so the recording is not opened here",
			     "This session used static key exchange, which has no forward secrecy: whoever holds "
			     "the server's key can recompute its keys. The simulator only replays "
			     "TLS_RSA_WITH_AES_128_GCM_SHA256 recordings, so it does not show the decryption.");
		return;
	}
	/* Static RSA: the ClientKeyExchange is the premaster secret, encrypted to the key. */
	size_t elen = (size_t)cke->rec[9] << 8 | cke->rec[10];
	uint8_t pms[1024];
	if (elen > sizeof pms || 11 + elen > cke->len) {
		return;
	}
	memcpy(pms, cke->rec + 11, elen);
	if (!br_rsa_ssl_decrypt(br_rsa_private_get_default(), &key->rsa, pms, elen)) {
		note(m, LINK_CLIENT_MITM, TK_KEY_THEFT, THEFT_WRONG_KEY, "The stolen key does not decrypt the premaster secret", NULL);
		return;
	}
	uint8_t master[48], kb[40];
	br_tls_prf_seed_chunk seed[2] = { { crand, 32 }, { srand, 32 } };
	br_tls12_sha256_prf(master, 48, pms, 48, "master secret", 2, seed);
	br_tls_prf_seed_chunk seed2[2] = { { srand, 32 }, { crand, 32 } };
	br_tls12_sha256_prf(kb, 40, master, 48, "key expansion", 2, seed2);
	note(m, LINK_CLIENT_MITM, TK_KEY_THEFT, THEFT_OPENED, "The stolen RSA key decrypts the recorded premaster secret: every key of the session follows",
	     "With static RSA key exchange the client sent the premaster secret encrypted to the server's "
	     "long-term key. Whoever holds that key, now or in ten years, recomputes the session keys.");
	/* Replay the protected records in order, as the attacker now can. */
	struct wire_stream ws[2];
	struct decode_smtp_ctx smtp = { 0 };
	wire_stream_init(&ws[0], m->env.trace, m->env.now, LINK_CLIENT_MITM, ACTOR_CLIENT, ACTOR_MITM, 1, &smtp);
	wire_stream_init(&ws[1], m->env.trace, m->env.now, LINK_CLIENT_MITM, ACTOR_MITM, ACTOR_CLIENT, 0, &smtp);
	ws[0].tls_readers = ws[1].tls_readers = READ_MITM;
	uint64_t seq[2] = { 0, 0 };
	int ccs[2] = { 0, 0 }, in_body = 0, saw_354 = 0;
	uint8_t *plain = malloc(18432);
	if (!plain) {
		mfail(m, 1, "replaying the recording");
		goto out;
	}
	for (size_t i = 0; i < m->nrecs; i++) {
		const struct recorded *rc = &m->recs[i];
		int dir = rc->up ? 0 : 1;
		if (rc->rec[0] == 20) {
			ccs[dir] = 1;
			continue;
		}
		if (!ccs[dir])
			continue;
		const uint8_t *k = rc->up ? kb : kb + 16, *iv = rc->up ? kb + 32 : kb + 36;
		size_t pl;
		if (decrypt_gcm(k, iv, seq[dir]++, rc->rec, rc->len, plain, &pl))
			continue;
		if (rc->rec[0] != 23)
			continue;
		m->decrypted_later = 1;
		enum smtp_out_kind kind = SMTP_OUT_REPLY;
		if (rc->up) {
			if (saw_354) {
				in_body = 1;
				saw_354 = 0;
			}
			kind = in_body ? SMTP_OUT_BODY : SMTP_OUT_COMMAND;
			if (in_body && pl >= 5 && !memcmp(plain + pl - 5, "\r\n.\r\n", 5))
				in_body = 0;
		} else if (pl >= 3 && !memcmp(plain, "354", 3)) {
			saw_354 = 1;
		}
		if (wire_decrypted(&ws[dir], kind, plain, pl, 0)) {
			mfail(m, 1, "tracing the decrypted recording");
			break;
		}
	}
	free(plain);
out:
	wire_stream_free(&ws[0]);
	wire_stream_free(&ws[1]);
}

void mitm_finish(struct mitm *m)
{
	if (m->behaviour == MITM_RECORD) {
		*m->env.now += 1000000ULL * 86400 * 180; /* "months later" */
		decrypt_recording(m);
	}
}

int mitm_tls_error(const struct mitm *m)
{
	return m->to_client.tls_err ? m->to_client.tls_err : m->to_server.tls_err;
}
