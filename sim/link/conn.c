/* conn: see conn.h. */
#include "sim/link/conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/buf.h"
#include "sim/base/sb.h"

#define OUTQ_HIGH 65536   /* stop draining the engine while this much waits for the pipe */

/* Legal TLS-state transitions (row: from, column: to). */
static const unsigned char transition_ok[CONN_STATE_COUNT][CONN_STATE_COUNT] = {
	/* TLS is started once, on a cleartext conn (STARTTLS, implicit TLS, interception) */
	[CONN_PLAIN] = { [CONN_HANDSHAKE] = 1 },
	/* the handshake completes, or the engine fails / the peer goes away */
	[CONN_HANDSHAKE] = { [CONN_TLS_UP] = 1, [CONN_TLS_DEAD] = 1 },
	/* we close (or answer the peer's close_notify), or it all ends at once */
	[CONN_TLS_UP] = { [CONN_CLOSE_NOTIFY] = 1, [CONN_TLS_DEAD] = 1 },
	/* after close_notify only the engine's end remains */
	[CONN_CLOSE_NOTIFY] = { [CONN_TLS_DEAD] = 1 },
	[CONN_TLS_DEAD] = { 0 },
};

/* The one way the state changes. An illegal transition is a bug in this file; it is
 * refused (the state stays) so a run cannot go on in an impossible state. */
static int conn_set_state(struct conn *c, enum conn_state to)
{
	if (!transition_ok[c->state][to])
		return -1;
	c->state = to;
	return 0;
}

/* Frees the plaintext that waited for the engine: once TLS is dead it can never go out. */
static void drop_units(struct conn *c)
{
	c->nunits = 0;
	c->plain_off = c->plain_len = c->unit_off = 0;
}

/* The one way the sticky error is set; returns -1 so that callers can return it. */
static int conn_fail(struct conn *c)
{
	c->err = -1;
	return -1;
}

int conn_failed(const struct conn *c)
{
	return c->err;
}

int conn_tls_on(const struct conn *c)
{
	return c->state != CONN_PLAIN;
}

size_t conn_backlog(const struct conn *c)
{
	return c->nunits;
}

void conn_init(struct conn *c, struct link *l, int side, enum trace_actor self,
	       const uint64_t *now, struct conn_callbacks cb)
{
	memset(c, 0, sizeof *c);
	c->link = l;
	c->side = side;
	c->self = self;
	c->now = now;
	c->cb = cb;
}

static void direct_off(struct conn *c);

void conn_free(struct conn *c)
{
	if (c->link)
		direct_off(c);
	free(c->outq);
	free(c->units);
	free(c->plain);
	free(c->lrec);
	tls_endpoint_free(c->tls);
	free(c->tls);
	memset(c, 0, sizeof *c);
}

struct wire_stream *conn_out_stream(struct conn *c)
{
	return &c->link->ws[c->side];
}

static struct sim_pipe *out_pipe(struct conn *c)
{
	return &c->link->pipe[c->side];
}

static struct sim_pipe *in_pipe(struct conn *c)
{
	return &c->link->pipe[1 - c->side];
}

/* The link's wire_stream for what arrives (traced here only for a live peer). */
static struct wire_stream *in_stream(struct conn *c)
{
	return &c->link->ws[1 - c->side];
}

/* How many bytes of the live peer's current record the engine still needs: up to its
 * header first, then to its end. */
static size_t lrec_want(const struct conn *c)
{
	if (c->lrec_len < 5)
		return 5 - c->lrec_len;
	size_t total = 5 + ((size_t)c->lrec[3] << 8 | c->lrec[4]);
	return total > c->lrec_len ? total - c->lrec_len : 0;
}

/* The TLS 1.3 secrets the engine derived since the last call, into the trace: before
 * the records they protect are traced, so that those can be opened (what the endpoints
 * read). The ClientHello's random names the session. */
static int push_secrets(struct conn *c)
{
	const struct tls_secret *sec;
	size_t n = tls_secrets(c->tls, &sec);
	for (; c->secrets_taken < n; c->secrets_taken++) {
		const struct tls_secret *x = &sec[c->secrets_taken];
		if (trace_tls13_secret(c->link->ws[0].trace, c->link->id, x->client_random, x->kind, x->secret, x->len) < 0)
			return -1;
	}
	return 0;
}

/* The live peer's record is all in the engine, which has read it: traced now, with the
 * plaintext the engine made of it (waiting in its application buffer, not taken yet). */
static int lrec_trace(struct conn *c)
{
	const uint8_t *plain = NULL;
	size_t n = 0;
	if (push_secrets(c))
		return -1;
	if (tls_state(c->tls) & TLS_ST_RECVAPP)
		plain = tls_recvapp_buf(c->tls, &n);
	int close_notify = c->lrec_len >= 5 && c->lrec[0] == 21 && tls_peer_closed(c->tls);
	int r = wire_peer_record(in_stream(c), c->lrec, c->lrec_len, plain, n, close_notify);
	c->lrec_len = 0;
	return r;
}

size_t conn_room(const struct conn *c)
{
	size_t space = pipe_space(&c->link->pipe[c->side]);
	return space > c->outq_len ? space - c->outq_len : 0;
}

static int outq_push(struct conn *c, const uint8_t *p, size_t n)
{
	return buf_append(&c->outq, &c->outq_len, &c->outq_cap, p, n);
}

static int flush(struct conn *c)
{
	if (!c->outq_len)
		return 0;
	size_t k = pipe_write(out_pipe(c), c->outq, c->outq_len);
	buf_consume(c->outq, &c->outq_len, k);
	return k > 0;
}

static int is_cbc(uint16_t suite)
{
	const char *name = decode_cipher_suite_name(suite);
	return name && strstr(name, "_CBC_");
}

/* Hands k bytes of plaintext to the engine at buf (its sendapp buffer, room for k) and
 * flushes them into records, telling the trace first what they are. Returns 0, or -1
 * when that could not be traced (out of memory). */
static int engine_put(struct conn *c, enum smtp_out_kind kind, const uint8_t *src, size_t k, int attack,
		      unsigned char *buf)
{
	memcpy(buf, src, k);
	/* Version and suite are settled once data flows: asked once per conn. */
	if (!c->split_known) {
		c->split = tls_version(c->tls) == BR_TLS10 && is_cbc((uint16_t)tls_suite(c->tls));
		c->split_known = 1;
	}
	int split = c->split;
	if (wire_expect_plain(conn_out_stream(c), kind, src, k, split, attack))
		return -1;
	tls_sendapp_ack(c->tls, k);
	/* Without a flush BearSSL waits for a full record's worth of data. */
	tls_flush(c->tls);
	return 0;
}

/* A piece of a message body straight into the engine, from the caller's bytes, when
 * the next pump would do nothing else first: TLS up and idle (nothing queued, no
 * records waiting to go out, no plaintext or bytes waiting to come in, no close under
 * way) and not inside a pump. Then the records, their trace and every event after them
 * come out exactly as through the queue, without copying the piece into it -- provided
 * nothing reaches this conn before its next pump, which is what conn.h asks of an SMTP
 * actor. The attacker's conns relay between the pumps of the other side, so their
 * pieces always take the queue. Returns 1 when it took the piece. */
static int body_now(struct conn *c, const uint8_t *p, size_t n, int attack)
{
	if (c->self == ACTOR_MITM || c->pumping || c->state != CONN_TLS_UP || c->nunits || c->closing ||
	    c->raw_input || tls_peer_closed(c->tls) || pipe_len(in_pipe(c)))
		return 0;
	unsigned st = tls_state(c->tls);
	if (st == TLS_ST_CLOSED || !(st & TLS_ST_SENDAPP) || (st & (TLS_ST_SENDREC | TLS_ST_RECVAPP)))
		return 0;
	size_t room;
	unsigned char *buf = tls_sendapp_buf(c->tls, &room);
	if (!buf || room < n)
		return 0;
	if (engine_put(c, SMTP_OUT_BODY, p, n, attack, buf))
		conn_fail(c);
	return 1;
}

int conn_send(struct conn *c, enum smtp_out_kind kind, const uint8_t *p, size_t n, int attack)
{
	if (c->err)
		return -1;
	if (c->fin_sent || n == 0 || c->state == CONN_CLOSE_NOTIFY || c->state == CONN_TLS_DEAD)
		return 0;
	if (c->state != CONN_PLAIN) {
		if (kind == SMTP_OUT_BODY && body_now(c, p, n, attack))
			return c->err;
		if (VEC_RESERVE(c->units, c->ucap, c->nunits + 1))
			return conn_fail(c);
		/* The queue's bytes move to the front only when that makes room. */
		if (c->plain_off && c->plain_off + c->plain_len + n > c->plain_cap) {
			memmove(c->plain, c->plain + c->plain_off, c->plain_len);
			c->plain_off = 0;
		}
		size_t end = c->plain_off + c->plain_len;
		if (buf_append(&c->plain, &end, &c->plain_cap, p, n))
			return conn_fail(c);
		c->plain_len += n;
		c->units[c->nunits++] = (struct conn_unit){ kind, n, attack };
		return 0;
	}
	if (wire_clear(conn_out_stream(c), kind, p, n, attack) || outq_push(c, p, n))
		return conn_fail(c);
	return 0;
}

int conn_send_raw(struct conn *c, int as_records, enum smtp_out_kind kind, const uint8_t *p, size_t n, int attack)
{
	if (c->err)
		return -1;
	if (c->state == CONN_TLS_DEAD || c->fin_sent || n == 0)
		return 0;
	int r = as_records ? wire_records(conn_out_stream(c), p, n, attack)
			   : wire_clear(conn_out_stream(c), kind, p, n, attack);
	if (r || outq_push(c, p, n))
		return conn_fail(c);
	return 0;
}

int conn_start_tls(struct conn *c, const struct tls_config *cfg, char *err, size_t errcap)
{
	if (!transition_ok[c->state][CONN_HANDSHAKE]) {
		snprintf(err, errcap, "TLS is already on this connection");
		return -1;
	}
	struct tls_endpoint *ep = malloc(sizeof *ep);
	if (!ep) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	if (tls_endpoint_init(ep, cfg, err, errcap)) {
		tls_endpoint_free(ep);
		free(ep);
		return -1;
	}
	c->tls = ep;
	conn_set_state(c, CONN_HANDSHAKE);
	return 0;
}

static struct trace *conn_trace(struct conn *c)
{
	return c->link->ws[0].trace;
}

static void note(struct conn *c, enum trace_kind kind, int err, int session, const char *summary,
		 const char *narration)
{
	struct wire_note n = { .now = *c->now, .link = c->link->id, .who = c->self, .kind = kind,
			       .attack = c->self == ACTOR_MITM ? ATTACK_INTERCEPTED : ATTACK_NONE,
			       .tls_err = err, .session = session };
	if (wire_note(conn_trace(c), &n, summary, narration) < 0)
		conn_fail(c);
}

/* The pipe's direct reader (pipe.h): records written while nothing waits in the pipe go
 * straight into this conn's engine, as far as it takes them now -- exactly what its next
 * pump would do first, since it has nothing else under way: TLS up, no records of its own
 * to send, no plaintext it has not read, no close begun. It traces nothing here (the
 * sender traced the records), so the trace is the same either way, with one copy less
 * per record. A live peer's records are traced as this conn reads them, and the
 * attacker relays between the other side's pumps: those always take the pipe. */
static size_t take_direct(void *ctx, const uint8_t *p, size_t n)
{
	struct conn *c = ctx;
	size_t taken = 0;
	if (c->err || c->state != CONN_TLS_UP || c->closing || c->pumping || c->peer_live || c->raw_input ||
	    c->self == ACTOR_MITM || tls_peer_closed(c->tls))
		return 0;
	while (taken < n) {
		unsigned st = tls_state(c->tls);
		if (st == TLS_ST_CLOSED || !(st & TLS_ST_RECVREC) || (st & (TLS_ST_SENDREC | TLS_ST_RECVAPP)))
			break;
		size_t room;
		unsigned char *buf = tls_recvrec_buf(c->tls, &room);
		if (!buf || !room)
			break;
		size_t k = n - taken < room ? n - taken : room;
		memcpy(buf, p + taken, k);
		tls_recvrec_ack(c->tls, k);
		taken += k;
	}
	return taken;
}

static void direct_off(struct conn *c)
{
	struct sim_pipe *in = in_pipe(c);
	if (in->direct_ctx == c) {
		in->direct = NULL;
		in->direct_ctx = NULL;
	}
}

static void handshake_done(struct conn *c)
{
	unsigned version = tls_version(c->tls), suite_id = tls_suite(c->tls);
	const uint8_t *master = tls_master_secret(c->tls);
	conn_set_state(c, CONN_TLS_UP);
	if (!c->peer_live && !c->raw_input && c->self != ACTOR_MITM) {
		in_pipe(c)->direct = take_direct;
		in_pipe(c)->direct_ctx = c;
	}
	/* Each end reports its half of the session; the halves meet on the ClientHello's
	 * random, which always crosses the link's first direction. */
	const struct wire_stream *hello = &c->link->ws[0];
	static const uint8_t none[32];
	size_t pmlen = 0;
	const uint8_t *pm = c->tls->is_server ? tls_premaster(c->tls, &pmlen) : NULL;
	int idx = trace_session_join(conn_trace(c), c->link->id, c->self, !c->tls->is_server,
				     version, suite_id, hello->has_hello_random ? hello->hello_random : none,
				     c->tls->is_server ? NULL : master, tls_server_random(c->tls), pm, pmlen);
	if (idx < 0) {
		conn_fail(c);
		return;
	}
	/* A real peer reports nothing: this end reports the peer's half too (the keys are the
	 * same at both ends), and tells the story when the peer was the client. */
	if (c->peer_live &&
	    trace_session_join(conn_trace(c), c->link->id, c->link->ws[1 - c->side].from, c->tls->is_server,
			       version, suite_id, hello->has_hello_random ? hello->hello_random : none, master,
			       tls_server_random(c->tls), pm, pmlen) < 0) {
		conn_fail(c);
		return;
	}
	if (c->tls->is_server && !c->peer_live)
		return;
	/* The TLS client of each session tells the story once. */
	char summary[200];
	const char *suite = decode_cipher_suite_name(suite_id);
	snprintf(summary, sizeof summary, "TLS established: %s, %s", decode_tls_version_name(version),
		 suite ? suite : "unknown suite");
	const struct trace_tls_session *s = &conn_trace(c)->sessions[idx];
	char narration[900];
	size_t n = sb_put(narration, sizeof narration, 0,
			  "Both Finished MACs checked out: the two ends of this session saw the same handshake, so "
			  "nobody changed it on the way.");
	/* Without the certificate check the other end is whoever answered. */
	if (tls_accepts_any(c->tls) && c->self != ACTOR_MITM && !c->checks_itself)
		n = sb_put(narration, sizeof narration, n,
			   " But the %s did not check the certificate, so this only proves agreement with whoever "
			   "is at the other end%s.",
			   c->self == ACTOR_CLIENT ? "client" : "sending server (as most servers relaying mail do)",
			   s->server_up && s->server_end == ACTOR_MITM ? ": here, the attacker" : ", which may be an attacker");
	n = sb_put(narration, sizeof narration, n,
		   " From here on the records are encrypted and authenticated: a wire observer sees only their sizes "
		   "and timing.");
	if (s->version < BR_TLS12)
		sb_put(narration, sizeof narration, n,
		       " Beware: %s is deprecated (RFC 8996), and RFC 8314, as updated by RFC 8997, asks mail "
		       "clients and servers for TLS 1.2 or later.", decode_tls_version_name(s->version));
	note(c, TK_TLS_UP, 0, idx, summary, narration);
	int would_fail = tls_accepts_any(c->tls) ? tls_peer_verify_error(c->tls) : 0;
	if (would_fail && !c->checks_itself) {
		char s2[256];
		snprintf(s2, sizeof s2, "%s accepted the certificate without verifying it (verification would have failed: %s)",
			 trace_actor_name(c->self), tls_error_name(would_fail));
		note(c, TK_TLS_UNVERIFIED, would_fail, idx, s2,
		     "This client does not check certificates, so it cannot tell the real server from anyone "
		     "holding some certificate for any name. The encryption is real, but to whom?");
	}
}

static void tls_failed(struct conn *c, int err)
{
	char summary[256], narration[512];
	snprintf(summary, sizeof summary, "%s: TLS failed: %s (%d): %s", trace_actor_name(c->self),
		 tls_error_name(err), err, tls_error_explain(err));
	if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_RECV_FATAL_ALERT + 256)
		snprintf(narration, sizeof narration, "The peer sent the fatal alert %s, so the %s gives up on this connection.",
			 decode_alert_description_name((unsigned)(err - BR_ERR_RECV_FATAL_ALERT)), trace_actor_name(c->self));
	else if (err >= BR_ERR_SEND_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT + 256)
		snprintf(narration, sizeof narration, "The %s sent the fatal alert %s and closes the connection.",
			 trace_actor_name(c->self), decode_alert_description_name((unsigned)(err - BR_ERR_SEND_FATAL_ALERT)));
	else if (c->first_in_len >= 4 && c->first_in[0] >= '1' && c->first_in[0] <= '5' && c->first_in[1] >= '0' &&
		 c->first_in[1] <= '9' && c->first_in[2] >= '0' && c->first_in[2] <= '9' &&
		 (c->first_in[3] == ' ' || c->first_in[3] == '-'))
		/* The peer's first bytes are an SMTP reply ("220 "), not a TLS record. */
		snprintf(narration, sizeof narration,
			 "The peer's first bytes were \"%.3s%c\": an SMTP reply in cleartext, not a TLS record. This %s "
			 "expected TLS from the first byte (implicit TLS, port 465), but the peer speaks STARTTLS or "
			 "plain SMTP; %s read those bytes as a record header, hence \"%s\".",
			 (const char *)c->first_in, c->first_in[3], trace_actor_name(c->self), tls_engine_name(c->tls),
			 tls_error_name(err));
	else if (tls_alerts_every_failure(c->tls))
		snprintf(narration, sizeof narration,
			 "The %s detected a problem and stops. %s tells the peer with a fatal alert before it closes "
			 "the connection.",
			 trace_actor_name(c->self), tls_engine_name(c->tls));
	else
		snprintf(narration, sizeof narration,
			 "The %s detected a problem and stops. BearSSL closes the connection without sending an alert "
			 "for this kind of failure, so the peer only sees the connection end.",
			 trace_actor_name(c->self));
	note(c, TK_TLS_FAILED, err, -1, summary, narration);
}

static void report_closed(struct conn *c)
{
	if (c->closed_reported)
		return;
	c->closed_reported = 1;
	if (c->cb.closed)
		c->cb.closed(c->cb.ctx, c, c->tls_err);
}

/* TLS is over on this conn: the engine closed (err, 0 when cleanly) or the peer went
 * away. The one place that happens, so the queued plaintext is freed on every path. */
static void tls_dead(struct conn *c, int err)
{
	if (c->state == CONN_TLS_DEAD)
		return;
	conn_set_state(c, CONN_TLS_DEAD);
	direct_off(c);
	c->closing = 1;
	c->tls_err = err;
	drop_units(c);
	if (err)
		tls_failed(c, err);
	report_closed(c);
}

static int tls_pump(struct conn *c)
{
	struct tls_endpoint *eng = c->tls;
	struct sim_pipe *in = in_pipe(c), *out = out_pipe(c);
	int progress = 0;
	/* Records go straight into the pipe while nothing waits before them (and no tap
	 * wants to see the bytes in the order flush gives them); `direct` counts them as
	 * if they had been queued, so the engine stops where it always did: OUTQ_HIGH
	 * bytes made in this pump. */
	size_t direct = 0;
	for (;;) {
		/* Secrets the engine derived in its last step go to the trace before the records
		 * they protect. */
		if (push_secrets(c)) {
			conn_fail(c);
			return progress;
		}
		unsigned st = tls_state(eng);
		if (st == TLS_ST_CLOSED) {
			if (c->state != CONN_TLS_DEAD) {
				tls_dead(c, tls_last_error(eng));
				progress = 1;
			}
			return progress;
		}
		if (tls_peer_closed(c->tls) && c->state == CONN_TLS_UP) {
			/* The peer's close_notify arrived and the engine answers it by itself; the
			 * trace needs to know that the next alert record is that answer. */
			static const uint8_t reply[2] = { 1, 0 };
			if (wire_expect_alert(conn_out_stream(c), reply)) {
				conn_fail(c);
				return progress;
			}
			conn_set_state(c, CONN_CLOSE_NOTIFY);
		}
		if ((st & TLS_ST_SENDREC) && c->outq_len + direct < OUTQ_HIGH) {
			size_t len, k = 0;
			unsigned char *buf = tls_sendrec_buf(eng, &len);
			if (wire_records(conn_out_stream(c), buf, len, 0)) {
				conn_fail(c);
				return progress;
			}
			if (!c->outq_len && !out->tap)
				k = pipe_write(out, buf, len);
			direct += k;
			if (outq_push(c, buf + k, len - k)) {
				conn_fail(c);
				return progress;
			}
			tls_sendrec_ack(eng, len);
			progress = 1;
			continue;
		}
		if (c->state == CONN_HANDSHAKE && (st & (TLS_ST_SENDAPP | TLS_ST_RECVAPP))) {
			handshake_done(c);
			if (c->err)
				return progress;
			if (c->cb.tls_up)
				c->cb.tls_up(c->cb.ctx, c);
			progress = 1;
			continue;
		}
		if (st & TLS_ST_RECVAPP) {
			size_t len;
			unsigned char *buf = tls_recvapp_buf(eng, &len);
			if (c->cb.data)
				c->cb.data(c->cb.ctx, c, buf, len);
			tls_recvapp_ack(eng, len);
			progress = 1;
			continue;
		}
		if ((st & TLS_ST_RECVREC) && pipe_len(in)) {
			size_t len;
			unsigned char *buf = tls_recvrec_buf(eng, &len);
			/* A live peer's bytes go in one record at a time, so that each is traced
			 * with what the engine read from it. */
			if (c->peer_live && len > lrec_want(c))
				len = lrec_want(c);
			size_t k = pipe_read(in, buf, len);
			if (c->peer_live && buf_append(&c->lrec, &c->lrec_len, &c->lrec_cap, buf, k)) {
				conn_fail(c);
				return progress;
			}
			for (size_t i = 0; i < k && c->first_in_len < sizeof c->first_in; i++)
				c->first_in[c->first_in_len++] = buf[i];
			tls_recvrec_ack(eng, k);
			if (c->peer_live && !lrec_want(c) && lrec_trace(c)) {
				conn_fail(c);
				return progress;
			}
			progress = 1;
			continue;
		}
		if ((st & TLS_ST_SENDAPP) && c->nunits) {
			struct conn_unit *u = &c->units[0];
			const uint8_t *src = c->plain + c->plain_off;
			size_t len;
			unsigned char *buf = tls_sendapp_buf(eng, &len);
			size_t k = u->len - c->unit_off;
			if (k > len)
				k = len;
			if (engine_put(c, u->kind, src, k, u->attack, buf)) {
				conn_fail(c);
				return progress;
			}
			c->unit_off += k;
			c->plain_off += k;
			c->plain_len -= k;
			if (!c->plain_len)
				c->plain_off = 0;
			if (c->unit_off == u->len) {
				memmove(c->units, c->units + 1, (c->nunits - 1) * sizeof *c->units);
				c->nunits--;
				c->unit_off = 0;
			}
			progress = 1;
			continue;
		}
		if (c->closing && c->state == CONN_TLS_UP && !c->nunits) {
			static const uint8_t close_notify[2] = { 1, 0 };
			if (wire_expect_alert(conn_out_stream(c), close_notify)) {
				conn_fail(c);
				return progress;
			}
			tls_close(eng);
			conn_set_state(c, CONN_CLOSE_NOTIFY);
			progress = 1;
			continue;
		}
		return progress;
	}
}

int conn_pump(struct conn *c)
{
	int progress = 0;
	struct sim_pipe *in = in_pipe(c);
	if (c->err)
		return 0;
	if (c->state == CONN_PLAIN || c->raw_input) {
		uint8_t buf[16384];
		while (pipe_len(in) && (c->state == CONN_PLAIN || c->raw_input) && c->state != CONN_TLS_DEAD) {
			size_t k = pipe_read(in, buf, sizeof buf);
			if (c->peer_live) {
				/* A relaying attacker passes the peer's TLS on unread: records from its
				 * first handshake byte (as the attacker itself tells them apart). */
				if (c->raw_input && !c->peer_records && (buf[0] == 0x16 || buf[0] == 0x15))
					c->peer_records = 1;
				if (c->raw_input && c->peer_records ? wire_records(in_stream(c), buf, k, 0)
								    : wire_peer_clear(in_stream(c), buf, k)) {
					conn_fail(c);
					return progress;
				}
			}
			if (c->cb.data)
				c->cb.data(c->cb.ctx, c, buf, k);
			progress = 1;
		}
	}
	if (c->state != CONN_PLAIN && !c->raw_input && c->state != CONN_TLS_DEAD) {
		c->pumping = 1;
		progress |= tls_pump(c);
		c->pumping = 0;
	}
	progress |= flush(c);
	if (!c->eof && pipe_eof(in)) {
		c->eof = 1;
		/* A real peer's FIN (or reset) is traced where its last bytes were read. */
		if (c->peer_live && c->link->reset[1 - c->side] != 2) {
			struct wire_stream *ws = in_stream(c);
			char summary[160];
			int rst = c->link->reset[1 - c->side];
			snprintf(summary, sizeof summary, "%s: the %s (a real TCP peer) %s", rst ? "RST" : "FIN",
				 trace_actor_name(ws->from),
				 rst ? "reset the connection" : "closes its side of the connection");
			if (wire_conn(ws, TK_CONN_FIN, 0, summary, NULL) < 0)
				conn_fail(c);
		}
		c->closing = 1;
		/* The peer is gone: nothing more can be sent through TLS. */
		if (c->state != CONN_PLAIN)
			tls_dead(c, 0);
		report_closed(c);
		progress = 1;
	}
	/* FIN once everything is flushed: at once without TLS or with a handshake that never
	 * finished; with TLS up, only after close_notify and the engine's end (a TLS endpoint
	 * that sent close_notify waits for the peer's). */
	int may_fin = c->state == CONN_PLAIN || c->state == CONN_HANDSHAKE || c->state == CONN_TLS_DEAD;
	if (c->closing && !c->fin_sent && !c->outq_len && may_fin) {
		pipe_close(out_pipe(c));
		c->fin_sent = 1;
		char summary[96];
		snprintf(summary, sizeof summary, "FIN: the %s closes its side of the connection", trace_actor_name(c->self));
		if (wire_conn(conn_out_stream(c), TK_CONN_FIN, 0, summary, NULL) < 0)
			conn_fail(c);
		progress = 1;
	}
	return progress;
}

void conn_close(struct conn *c)
{
	c->closing = 1;
}

unsigned conn_tls_suite(const struct conn *c)
{
	if (!c->tls || c->state != CONN_TLS_UP)
		return 0;
	return tls_suite(c->tls);
}
