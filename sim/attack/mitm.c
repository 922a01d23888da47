/* mitm: the relay. In the path it accepts the client's connection on one link and dials
 * the server on another; as a tap it only copies the one client-server connection. It
 * reads what crosses as the receiver would — command lines, replies, message text, TLS
 * records — and passes each on, unless the attack (sim/attack/attack.h) took it first.
 * When the attack ends TLS itself, the relay runs those TLS ends and carries the
 * plaintext across. Everything the attacker makes or changes is marked in the trace. */
#include "sim/attack/mitm.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/base/buf.h"

struct mitm_dir {
	int records;          /* this direction now carries TLS records */
	int in_body;          /* client to server: inside a DATA body */
	uint8_t tail[5];      /* last bytes of the body, to see CRLF.CRLF across reads */
	size_t tail_len;
	uint8_t *buf;         /* a partial line, reply or record */
	size_t len, cap;
};

struct mitm {
	struct mitm_env env;     /* what the run gave it: it touches nothing else */
	const struct attack *attack;
	int tap;                 /* beside the connection, not in it: sends nothing */
	struct conn to_client;   /* on LINK_CLIENT_MITM, side 1 (in the path only) */
	struct conn to_server;   /* on LINK_MITM_SERVER, side 0 */
	struct mitm_dir up;      /* client to server */
	struct mitm_dir down;    /* server to client */
	int saw_354;
	int starttls_pending;    /* the client asked for STARTTLS; waiting for the 220 */
	int own_tls[2];          /* per leg: the attacker ends TLS there itself */
	int blocked;             /* mitm_block: nothing more crosses */
	void *state;             /* the attack's */
	struct mitm_record *recs; /* ATTACK_F_RECORDS: every record, in order */
	size_t nrecs, rcap;
};

void mitm_fail_run(struct mitm *m, int oom, const char *msg)
{
	if (m->env.fail)
		m->env.fail(m->env.ctx, oom, msg);
}

static void mfail(struct mitm *m, int oom, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void mfail(struct mitm *m, int oom, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	mitm_fail_run(m, oom, msg);
}

static enum trace_link leg_link(const struct mitm *m, enum mitm_leg leg)
{
	if (m->tap)
		return m->env.client_link->id;
	return leg == MITM_LEG_CLIENT ? m->env.client_link->id : m->env.server_link->id;
}

static struct conn *leg_conn(struct mitm *m, enum mitm_leg leg)
{
	return leg == MITM_LEG_CLIENT ? &m->to_client : &m->to_server;
}

static void trace_note(struct mitm *m, enum trace_link link, enum trace_kind kind, int subtype, int attack,
		       const char *summary, const char *narration)
{
	struct wire_note n = { .now = *m->env.now, .link = link, .who = ACTOR_MITM, .kind = kind,
			       .subtype = subtype, .attack = attack, .session = -1 };
	if (wire_note(m->env.trace, &n, summary, narration) < 0)
		mfail(m, 1, "tracing the attacker's note");
}

void mitm_note(struct mitm *m, enum mitm_leg leg, enum trace_attack action, const char *summary,
	       const char *narration)
{
	trace_note(m, leg_link(m, leg), TK_ATTACK, action, action, summary, narration);
}

void mitm_theft_note(struct mitm *m, int result, const char *summary, const char *narration)
{
	trace_note(m, leg_link(m, MITM_LEG_CLIENT), TK_KEY_THEFT, result, ATTACK_RECORDED, summary, narration);
}

/* Every byte the attacker sends goes through here, so a conn that fails (out of memory)
 * fails the run instead of leaving a gap in the trace. A tap sends nothing. */
static void send_raw(struct mitm *m, enum mitm_leg leg, int as_records, enum smtp_out_kind kind, const uint8_t *p,
		     size_t n, int attack)
{
	if (m->tap)
		return;
	if (conn_send_raw(leg_conn(m, leg), as_records, kind, p, n, attack))
		mfail(m, 1, "the attacker could not trace or queue what it relays");
}

void mitm_send(struct mitm *m, enum mitm_leg leg, enum smtp_out_kind kind, const uint8_t *p, size_t n,
	       enum trace_attack action)
{
	if (m->tap)
		return;
	if (m->own_tls[leg]) {
		if (conn_send(leg_conn(m, leg), kind, p, n, action))
			mfail(m, 1, "the attacker could not trace or queue what it re-encrypts");
		return;
	}
	send_raw(m, leg, 0, kind, p, n, action);
}

void mitm_inject(struct mitm *m, enum mitm_leg leg, enum smtp_out_kind kind, const char *text)
{
	if (m->tap)
		return;
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
	wire_join_next(conn_out_stream(leg_conn(m, leg)));
	mitm_send(m, leg, kind, (const uint8_t *)buf, o, ATTACK_ADDED);
}

void *mitm_state(struct mitm *m) { return m->state; }
const char *mitm_inject_text(const struct mitm *m) { return m->env.inject; }
unsigned mitm_tamper_target(const struct mitm *m) { return m->env.tamper_record; }
int mitm_starttls_pending(const struct mitm *m) { return m->starttls_pending; }
const struct pki_key *mitm_stolen_key(const struct mitm *m) { return m->env.stolen_key; }
void mitm_advance_clock(struct mitm *m, uint64_t us) { *m->env.now += us; }

int mitm_account(const struct mitm *m, const char **user, const char **password, const char **mailbox)
{
	if (!m->env.account_user || !m->env.mailbox_address)
		return -1;
	*user = m->env.account_user;
	*password = m->env.account_password ? m->env.account_password : "";
	*mailbox = m->env.mailbox_address;
	return 0;
}

const uint8_t *mitm_mailbox(struct mitm *m, size_t i, size_t *len)
{
	*len = 0;
	if (!m->env.mailbox || !m->env.mailbox_address)
		return NULL;
	return m->env.mailbox(m->env.ctx, m->env.mailbox_address, i, len);
}

const struct mitm_record *mitm_recording(const struct mitm *m, size_t *n)
{
	*n = m->nrecs;
	return m->recs;
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
	if (!(m->attack->flags & ATTACK_F_RECORDS))
		return;
	if (VEC_RESERVE(m->recs, m->rcap, m->nrecs + 1)) {
		mfail(m, 1, "the attacker's recording");
		return;
	}
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy) {
		mfail(m, 1, "the attacker's recording");
		return;
	}
	memcpy(copy, p, n);
	m->recs[m->nrecs++] = (struct mitm_record){ up, copy, n };
}

/* Whole records, one at a time: what the attack may change, and what it records. */
static void relay_records(struct mitm *m, struct mitm_dir *d, int up)
{
	while (d->len >= 5) {
		size_t n = 5 + ((size_t)d->buf[3] << 8 | d->buf[4]);
		if (d->len < n)
			return;
		size_t rn = n;
		enum trace_attack attack = ATTACK_NONE;
		if (m->attack->record && !m->tap)
			attack = m->attack->record(m, up, d->buf, &rn);
		if (m->blocked)
			return;
		record_store(m, up, d->buf, rn);
		send_raw(m, up ? MITM_LEG_SERVER : MITM_LEG_CLIENT, 1, SMTP_OUT_COMMAND, d->buf, rn, attack);
		dir_consume(d, n);
	}
}

static int is_verb(const uint8_t *line, size_t n, const char *verb)
{
	size_t v = strlen(verb);
	return n >= v && !strncasecmp((const char *)line, verb, v) && (n == v || line[v] == '\r' || line[v] == ' ' || line[v] == '\n');
}

int mitm_answer_in_servers_name(struct mitm *m, const uint8_t *line, size_t n, const char *verb, const char *reply,
				const char *summary, const char *narration)
{
	if (!is_verb(line, n, verb))
		return 0;
	mitm_note(m, MITM_LEG_CLIENT, ATTACK_FORGED, summary, narration);
	char r[512];
	int k = snprintf(r, sizeof r, "%s\r\n", reply);
	mitm_send(m, MITM_LEG_CLIENT, SMTP_OUT_REPLY, (const uint8_t *)r, k > 0 && (size_t)k < sizeof r ? (size_t)k : 0,
		  ATTACK_FORGED);
	return 1;
}

static void tls_starting(struct mitm *m)
{
	if (m->attack->tls_starting)
		m->attack->tls_starting(m);
}

/* One complete command line from the client, in cleartext. */
static void client_line(struct mitm *m, const uint8_t *line, size_t n)
{
	if (is_verb(line, n, "STARTTLS"))
		m->starttls_pending = 1;
	if (m->attack->client_line && m->attack->client_line(m, line, n))
		return;
	mitm_send(m, MITM_LEG_SERVER, SMTP_OUT_COMMAND, line, n, ATTACK_NONE);
}

/* One complete reply (all its lines) from the server, in cleartext. The attack sees it
 * while the client's STARTTLS is still pending, so it can tell the 220 that answers it. */
static void server_reply(struct mitm *m, const uint8_t *r, size_t n)
{
	int code = n >= 3 ? (r[0] - '0') * 100 + (r[1] - '0') * 10 + (r[2] - '0') : 0;
	if (code == 354)
		m->saw_354 = 1;
	int handled = m->attack->server_reply && m->attack->server_reply(m, r, n, code);
	int tls_next = m->starttls_pending && code == 220;
	if (m->starttls_pending && code >= 200)
		m->starttls_pending = 0;
	if (!handled)
		mitm_send(m, MITM_LEG_CLIENT, SMTP_OUT_REPLY, r, n, ATTACK_NONE);
	if (tls_next)
		tls_starting(m);
}

/* Cleartext (or plaintext out of the attacker's own TLS on one leg): lines, replies and
 * message text, until the direction turns to TLS records. */
static void relay_clear(struct mitm *m, struct mitm_dir *d, int up)
{
	enum mitm_leg from = up ? MITM_LEG_CLIENT : MITM_LEG_SERVER;
	for (;;) {
		if (d->len && !d->records && !m->own_tls[from] && (d->buf[0] == 0x16 || d->buf[0] == 0x15))
			d->records = 1; /* a TLS handshake starts: from now on this direction is records */
		if (d->records) {
			relay_records(m, d, up);
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
			mitm_send(m, MITM_LEG_SERVER, SMTP_OUT_BODY, d->buf, k, ATTACK_NONE);
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

/* Plaintext from a TLS session the attacker ends on both legs: passed on as it came,
 * re-encrypted for the other leg. */
static void relay_terminated(struct mitm *m, int up, const uint8_t *p, size_t n)
{
	struct mitm_dir *d = &m->up;
	if (!up) {
		if (n >= 4 && !memcmp(p, "354", 3))
			m->saw_354 = 1;
		mitm_send(m, MITM_LEG_CLIENT, SMTP_OUT_REPLY, p, n, ATTACK_NONE);
		return;
	}
	if (!d->in_body && m->saw_354) {
		d->in_body = 1;
		m->saw_354 = 0;
		d->tail_len = 0;
	}
	enum smtp_out_kind kind = d->in_body ? SMTP_OUT_BODY : SMTP_OUT_COMMAND;
	if (d->in_body && body_ends(d, p, n))
		d->in_body = 0;
	mitm_send(m, MITM_LEG_SERVER, kind, p, n, ATTACK_NONE);
}

static void arrived(struct mitm *m, int up, const uint8_t *p, size_t n)
{
	if (m->blocked)
		return;
	enum mitm_leg from = up ? MITM_LEG_CLIENT : MITM_LEG_SERVER;
	if (m->own_tls[MITM_LEG_CLIENT] && m->own_tls[MITM_LEG_SERVER] && leg_conn(m, from)->state != CONN_PLAIN) {
		relay_terminated(m, up, p, n);
		return;
	}
	struct mitm_dir *d = up ? &m->up : &m->down;
	if (dir_append(d, p, n) == 0)
		relay_clear(m, d, up);
	else
		mfail(m, 1, "the attacker's buffer");
}

static void from_client(void *ctx, struct conn *c, const uint8_t *p, size_t n)
{
	(void)c;
	arrived(ctx, 1, p, n);
}

static void from_server(void *ctx, struct conn *c, const uint8_t *p, size_t n)
{
	(void)c;
	arrived(ctx, 0, p, n);
}

void mitm_tap(struct mitm *m, int up, const uint8_t *p, size_t n)
{
	if (m->tap)
		arrived(m, up, p, n);
}

static void up_client(void *ctx, struct conn *c)
{
	(void)c;
	struct mitm *m = ctx;
	if (m->attack->tls_ready)
		m->attack->tls_ready(m, MITM_LEG_CLIENT);
}

static void up_server(void *ctx, struct conn *c)
{
	(void)c;
	struct mitm *m = ctx;
	if (m->attack->tls_ready)
		m->attack->tls_ready(m, MITM_LEG_SERVER);
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

static int own_tls(struct mitm *m, enum mitm_leg leg)
{
	char err[200];
	struct conn *c = leg_conn(m, leg);
	if (conn_start_tls(c, leg == MITM_LEG_CLIENT ? &m->env.as_server : &m->env.as_client, err, sizeof err)) {
		mfail(m, 0, "attacker: %s", err);
		return -1;
	}
	c->raw_input = 0;
	m->own_tls[leg] = 1;
	return 0;
}

unsigned mitm_port(const struct mitm *m) { return m->env.port; }

void mitm_block(struct mitm *m)
{
	if (m->tap)
		return;
	m->blocked = 1;
	conn_close(&m->to_client);
	conn_close(&m->to_server);
}

void mitm_intercept(struct mitm *m)
{
	if (m->tap || own_tls(m, MITM_LEG_CLIENT) || own_tls(m, MITM_LEG_SERVER))
		return;
	m->up.records = m->down.records = 1;
}

void mitm_starttls_upstream(struct mitm *m)
{
	if (m->tap || own_tls(m, MITM_LEG_SERVER))
		return;
	m->down.records = 0;
}

struct mitm *mitm_new(const struct mitm_env *env, char *err, size_t errcap)
{
	struct mitm *m = calloc(1, sizeof *m);
	if (!m || !env->attack) {
		free(m);
		snprintf(err, errcap, env->attack ? "out of memory" : "no attack given");
		return NULL;
	}
	m->env = *env;
	m->attack = env->attack;
	m->tap = !!(m->attack->flags & ATTACK_F_TAP);
	if (m->attack->state_size && !(m->state = calloc(1, m->attack->state_size))) {
		free(m);
		snprintf(err, errcap, "out of memory");
		return NULL;
	}
	if (!m->tap) {
		conn_init(&m->to_client, env->client_link, 1, ACTOR_MITM, env->now,
			  (struct conn_callbacks){ m, from_client, up_client, closed_client });
		conn_init(&m->to_server, env->server_link, 0, ACTOR_MITM, env->now,
			  (struct conn_callbacks){ m, from_server, up_server, closed_server });
		m->to_client.raw_input = m->to_server.raw_input = 1;
		m->to_client.peer_live = env->client_live;
		m->to_server.peer_live = env->server_live;
		if (!(m->attack->flags & ATTACK_F_TLS_END)) {
			/* Not a TLS endpoint: any TLS session on the path is the two ends' (the client
			 * and the server on hop 1, the sending server and the MX on hop 2). */
			enum trace_actor a, b, x;
			trace_link_ends(env->client_link->id, &a, &x);
			trace_link_ends(env->server_link->id, &x, &b);
			for (int d = 0; d < 2; d++)
				env->client_link->ws[d].tls_readers = env->server_link->ws[d].tls_readers =
					trace_actor_read_bit(a) | trace_actor_read_bit(b);
		}
	}
	if (!env->again) /* on a later connection the attacker is already known to be there */
		mitm_note(m, MITM_LEG_CLIENT,
			  (m->attack->flags & (ATTACK_F_TAP | ATTACK_F_RECORDS)) ? ATTACK_RECORDED : ATTACK_PRESENT,
			  trace_link_hop(env->client_link->id) == 2 && m->attack->intro_hop2 ? m->attack->intro_hop2
											      : m->attack->intro,
			  m->tap ? "A passive tap: the attacker copies every byte of the one connection between client "
				   "and server. It cannot change anything, and neither side can notice it."
			  : trace_link_hop(env->client_link->id) == 2
				  ? "On the second hop: the sending server, now an SMTP client itself, believes it talks to the "
				    "recipient's MX, but every byte passes through the attacker, who reads whatever is not "
				    "encrypted and can change whatever is not authenticated."
				  : "The client believes it talks to the server, but every byte passes through the attacker, "
				    "who reads whatever is not encrypted and can change whatever is not authenticated.");
	if (env->client_implicit)
		m->up.records = 1;
	if (env->server_implicit)
		m->down.records = 1;
	if (m->attack->start)
		m->attack->start(m);
	if (env->client_implicit)
		tls_starting(m);
	return m;
}

void mitm_free(struct mitm *m)
{
	if (!m)
		return;
	if (!m->tap) {
		conn_free(&m->to_client);
		conn_free(&m->to_server);
	}
	if (m->attack->free_state)
		m->attack->free_state(m->state);
	free(m->state);
	free(m->up.buf);
	free(m->down.buf);
	for (size_t i = 0; i < m->nrecs; i++)
		free(m->recs[i].rec);
	free(m->recs);
	free(m);
}

int mitm_step(struct mitm *m)
{
	if (m->tap)
		return 0;
	int p = conn_pump(&m->to_client);
	p |= conn_pump(&m->to_server);
	p |= conn_pump(&m->to_client);
	if (conn_failed(&m->to_client) || conn_failed(&m->to_server))
		mfail(m, 1, "the attacker's connection could not trace or queue its bytes");
	return p;
}

/* ---- replaying a recording into the trace ---- */

struct mitm_replay {
	struct mitm *m;
	struct wire_stream ws[2];
	struct decode_smtp_ctx smtp;
};

struct mitm_replay *mitm_replay_open(struct mitm *m, enum trace_replay source)
{
	struct mitm_replay *r = calloc(1, sizeof *r);
	if (!r) {
		mfail(m, 1, "replaying the recording");
		return NULL;
	}
	r->m = m;
	/* A tap's recording is the client-server connection itself; in the path, the
	 * client's leg. */
	enum trace_link link = leg_link(m, MITM_LEG_CLIENT);
	enum trace_actor near, far;
	trace_link_ends(link, &near, &far);
	wire_stream_init(&r->ws[0], m->env.trace, m->env.now, link, near, far, 1, &r->smtp);
	wire_stream_init(&r->ws[1], m->env.trace, m->env.now, link, far, near, 0, &r->smtp);
	wire_stream_pair(&r->ws[0], &r->ws[1]);
	r->ws[0].tls_readers = r->ws[1].tls_readers = READ_MITM;
	r->ws[0].replay_source = r->ws[1].replay_source = (int)source;
	return r;
}

void mitm_replay_server_reads_text(struct mitm_replay *r)
{
	r->smtp.server_in_data = 1;
}

int mitm_replay(struct mitm_replay *r, int up, enum smtp_out_kind kind, const uint8_t *p, size_t n)
{
	if (wire_decrypted(&r->ws[up ? 0 : 1], kind, p, n, 0)) {
		mfail(r->m, 1, "tracing the decrypted recording");
		return -1;
	}
	return 0;
}

void mitm_replay_close(struct mitm_replay *r)
{
	if (!r)
		return;
	wire_stream_free(&r->ws[0]);
	wire_stream_free(&r->ws[1]);
	free(r);
}

void mitm_finish(struct mitm *m)
{
	if (m->attack->at_end)
		m->attack->at_end(m);
}

int mitm_tls_error(const struct mitm *m)
{
	if (m->tap)
		return 0;
	return m->to_client.tls_err ? m->to_client.tls_err : m->to_server.tls_err;
}

int mitm_hop(const struct mitm *m)
{
	return trace_link_hop(m->env.client_link->id);
}
