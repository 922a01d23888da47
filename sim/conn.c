/* conn: see conn.h. */
#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUTQ_HIGH 65536   /* stop draining the engine while this much waits for the pipe */

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

void conn_free(struct conn *c)
{
	free(c->outq);
	for (size_t i = 0; i < c->nunits; i++)
		free(c->units[i].p);
	free(c->units);
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

size_t conn_room(const struct conn *c)
{
	size_t space = pipe_space(&c->link->pipe[c->side]);
	return space > c->outq_len ? space - c->outq_len : 0;
}

static int outq_push(struct conn *c, const uint8_t *p, size_t n)
{
	if (c->outq_len + n > c->outq_cap) {
		size_t cap = c->outq_cap ? c->outq_cap : 4096;
		while (cap < c->outq_len + n)
			cap *= 2;
		uint8_t *q = realloc(c->outq, cap);
		if (!q)
			return -1;
		c->outq = q;
		c->outq_cap = cap;
	}
	memcpy(c->outq + c->outq_len, p, n);
	c->outq_len += n;
	return 0;
}

static int flush(struct conn *c)
{
	if (!c->outq_len)
		return 0;
	size_t k = pipe_write(out_pipe(c), c->outq, c->outq_len);
	memmove(c->outq, c->outq + k, c->outq_len - k);
	c->outq_len -= k;
	return k > 0;
}

int conn_send(struct conn *c, enum smtp_out_kind kind, const uint8_t *p, size_t n, int attack)
{
	if (c->dead || c->fin_sent || c->close_sent || n == 0)
		return 0;
	if (c->tls_on) {
		if (c->nunits == c->ucap) {
			size_t cap = c->ucap ? c->ucap * 2 : 8;
			struct conn_unit *u = realloc(c->units, cap * sizeof *u);
			if (!u)
				return -1;
			c->units = u;
			c->ucap = cap;
		}
		uint8_t *copy = malloc(n);
		if (!copy)
			return -1;
		memcpy(copy, p, n);
		c->units[c->nunits++] = (struct conn_unit){ kind, copy, n, 0, attack };
		return 0;
	}
	if (wire_clear(conn_out_stream(c), kind, p, n, attack))
		return -1;
	return outq_push(c, p, n);
}

int conn_send_raw(struct conn *c, int as_records, enum smtp_out_kind kind, const uint8_t *p, size_t n, int attack)
{
	if (c->dead || c->fin_sent || n == 0)
		return 0;
	int r = as_records ? wire_records(conn_out_stream(c), p, n, attack)
			   : wire_clear(conn_out_stream(c), kind, p, n, attack);
	if (r)
		return -1;
	return outq_push(c, p, n);
}

int conn_start_tls(struct conn *c, const struct tls_config *cfg, char *err, size_t errcap)
{
	c->tls = malloc(sizeof *c->tls);
	if (!c->tls) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	if (tls_endpoint_init(c->tls, cfg, err, errcap)) {
		free(c->tls);
		c->tls = NULL;
		return -1;
	}
	c->tls_on = 1;
	return 0;
}

static int is_cbc(uint16_t suite)
{
	const char *name = decode_cipher_suite_name(suite);
	return name && strstr(name, "_CBC_");
}

static void note(struct conn *c, const char *summary, const char *narration)
{
	wire_note(c->link->ws[0].trace, *c->now, c->link->id, c->self, c->self == ACTOR_MITM, summary, narration);
}

static void handshake_done(struct conn *c)
{
	br_ssl_engine_context *eng = c->tls->eng;
	br_ssl_session_parameters sp;
	br_ssl_engine_get_session_parameters(eng, &sp);
	c->hs_done = 1;
	if (c->tls->is_server)
		return;
	/* The TLS client of each session reports it once: keys for Wireshark and a note. */
	struct trace_tls_keys k;
	k.link = c->link->id;
	memcpy(k.client_random, eng->client_random, 32);
	memcpy(k.master_secret, sp.master_secret, 48);
	trace_add_keys(c->link->ws[0].trace, &k);
	char summary[200];
	const char *suite = decode_cipher_suite_name(sp.cipher_suite);
	snprintf(summary, sizeof summary, "TLS established: %s, %s",
		 decode_tls_version_name(br_ssl_engine_get_version(eng)), suite ? suite : "unknown suite");
	note(c, summary,
	     "Both Finished messages checked out, so neither side's view of the handshake was changed. "
	     "From here on the records are encrypted and authenticated: a wire observer sees only their sizes and timing.");
	if (c->tls->nv.vtable && c->tls->nv.real_err) {
		char s2[256];
		snprintf(s2, sizeof s2, "%s accepted the certificate without verifying it (verification would have failed: %s)",
			 trace_actor_name(c->self), tls_error_name(c->tls->nv.real_err));
		note(c, s2,
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
	else
		snprintf(narration, sizeof narration,
			 "The %s detected a problem and stops. BearSSL closes the connection without sending an alert "
			 "for this kind of failure, so the peer only sees the connection end.",
			 trace_actor_name(c->self));
	note(c, summary, narration);
}

static void report_closed(struct conn *c)
{
	if (c->closed_reported)
		return;
	c->closed_reported = 1;
	if (c->cb.closed)
		c->cb.closed(c->cb.ctx, c, c->tls_err);
}

static int tls_pump(struct conn *c)
{
	br_ssl_engine_context *eng = c->tls->eng;
	struct sim_pipe *in = in_pipe(c);
	int progress = 0;
	for (;;) {
		unsigned st = br_ssl_engine_current_state(eng);
		if (st == BR_SSL_CLOSED) {
			if (!c->dead) {
				c->dead = 1;
				c->closing = 1;
				c->tls_err = br_ssl_engine_last_error(eng);
				if (c->tls_err)
					tls_failed(c, c->tls_err);
				report_closed(c);
				progress = 1;
			}
			return progress;
		}
		if (eng->shutdown_recv && !c->close_sent) {
			/* The peer's close_notify arrived and the engine answers it by itself; the
			 * trace needs to know that the next alert record is that answer. */
			static const uint8_t reply[2] = { 1, 0 };
			wire_expect_alert(conn_out_stream(c), reply);
			c->close_sent = 1;
		}
		if ((st & BR_SSL_SENDREC) && c->outq_len < OUTQ_HIGH) {
			size_t len;
			unsigned char *buf = br_ssl_engine_sendrec_buf(eng, &len);
			wire_records(conn_out_stream(c), buf, len, 0);
			outq_push(c, buf, len);
			br_ssl_engine_sendrec_ack(eng, len);
			progress = 1;
			continue;
		}
		if (!c->hs_done && (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP))) {
			handshake_done(c);
			if (c->cb.tls_up)
				c->cb.tls_up(c->cb.ctx, c);
			progress = 1;
			continue;
		}
		if (st & BR_SSL_RECVAPP) {
			size_t len;
			unsigned char *buf = br_ssl_engine_recvapp_buf(eng, &len);
			if (c->cb.data)
				c->cb.data(c->cb.ctx, c, buf, len);
			br_ssl_engine_recvapp_ack(eng, len);
			progress = 1;
			continue;
		}
		if ((st & BR_SSL_RECVREC) && pipe_len(in)) {
			size_t len;
			unsigned char *buf = br_ssl_engine_recvrec_buf(eng, &len);
			size_t k = pipe_read(in, buf, len);
			br_ssl_engine_recvrec_ack(eng, k);
			progress = 1;
			continue;
		}
		if ((st & BR_SSL_SENDAPP) && c->nunits) {
			struct conn_unit *u = &c->units[0];
			size_t len;
			unsigned char *buf = br_ssl_engine_sendapp_buf(eng, &len);
			size_t k = u->len - u->off;
			if (k > len)
				k = len;
			memcpy(buf, u->p + u->off, k);
			int split = br_ssl_engine_get_version(eng) == BR_TLS10 &&
				    is_cbc(eng->session.cipher_suite);
			wire_expect_plain(conn_out_stream(c), u->kind, u->p + u->off, k, split, u->attack);
			br_ssl_engine_sendapp_ack(eng, k);
			/* Without a flush BearSSL waits for a full record's worth of data. */
			br_ssl_engine_flush(eng, 0);
			u->off += k;
			if (u->off == u->len) {
				free(u->p);
				memmove(c->units, c->units + 1, (c->nunits - 1) * sizeof *c->units);
				c->nunits--;
			}
			progress = 1;
			continue;
		}
		if (c->closing && !c->close_sent && !c->nunits && c->hs_done) {
			static const uint8_t close_notify[2] = { 1, 0 };
			wire_expect_alert(conn_out_stream(c), close_notify);
			br_ssl_engine_close(eng);
			c->close_sent = 1;
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
	if (!c->tls_on || c->raw_input) {
		uint8_t buf[16384];
		while (pipe_len(in) && (!c->tls_on || c->raw_input) && !c->dead) {
			size_t k = pipe_read(in, buf, sizeof buf);
			if (c->cb.data)
				c->cb.data(c->cb.ctx, c, buf, k);
			progress = 1;
		}
	}
	if (c->tls_on && !c->raw_input && !c->dead)
		progress |= tls_pump(c);
	progress |= flush(c);
	if (!c->eof && pipe_eof(in)) {
		c->eof = 1;
		c->closing = 1;
		if (c->tls_on && !c->dead) {
			c->dead = 1;  /* the peer is gone: nothing more can be sent through TLS */
			c->nunits = 0;
		}
		report_closed(c);
		progress = 1;
	}
	int tls_quiet = !c->tls_on || c->dead || !c->hs_done ||
			(c->close_sent && !(br_ssl_engine_current_state(c->tls->eng) & BR_SSL_SENDREC));
	if (c->closing && !c->fin_sent && !c->outq_len && tls_quiet) {
		/* A TLS endpoint that sent close_notify waits for the peer's before FIN. */
		if (c->tls_on && !c->dead && c->close_sent)
			return progress;
		pipe_close(out_pipe(c));
		c->fin_sent = 1;
		char summary[96];
		snprintf(summary, sizeof summary, "FIN: the %s closes its side of the connection", trace_actor_name(c->self));
		wire_conn(conn_out_stream(c), summary, NULL);
		progress = 1;
	}
	return progress;
}

void conn_close(struct conn *c)
{
	c->closing = 1;
}
