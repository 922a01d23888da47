/* mitm: the attacker between the client and the server. It accepts the client's
 * connection on one link and dials the server on another, and then, according to its
 * behaviour, relays, rewrites, injects, tampers or terminates TLS itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_internal.h"

struct mitm_dir {
	int records;       /* this direction now carries TLS records */
	int in_body;       /* client to server: inside a DATA body */
	uint8_t tail[5];   /* last bytes of the body, to see CRLF.CRLF across reads */
	size_t tail_len;
};

struct mitm {
	struct run_ctx *run;
	enum mitm_behaviour behaviour;
	struct conn to_client;   /* on LINK_CLIENT_MITM, side 1 */
	struct conn to_server;   /* on LINK_MITM_SERVER, side 0 */
	struct mitm_dir up;      /* client to server */
	struct mitm_dir down;    /* server to client */
	int saw_354;
};

static void note(struct mitm *m, enum trace_link link, const char *summary, const char *narration)
{
	wire_note(m->run->trace, m->run->now, link, ACTOR_MITM, 1, summary, narration);
}

/* Does a body chunk end the body (CRLF.CRLF, possibly split across reads)? */
static int body_ends(struct mitm_dir *d, const uint8_t *p, size_t n)
{
	uint8_t buf[5 + 5];
	size_t k = 0;
	for (size_t i = 0; i < d->tail_len; i++)
		buf[k++] = d->tail[i];
	size_t from = n > 5 ? n - 5 : 0;
	for (size_t i = from; i < n; i++)
		buf[k++] = p[i];
	size_t keep = k > 5 ? 5 : k;
	memcpy(d->tail, buf + k - keep, keep);
	d->tail_len = keep;
	return keep == 5 && !memcmp(d->tail, "\r\n.\r\n", 5);
}

/* Forwards bytes as they came, traced on the outgoing link as what they are. */
static void relay(struct mitm *m, struct conn *out, struct mitm_dir *d, int upward, const uint8_t *p, size_t n)
{
	if (!d->records && n && (p[0] == 0x16 || p[0] == 0x15))
		d->records = 1; /* a TLS handshake starts: from now on this direction is records */
	if (d->records) {
		conn_send_raw(out, 1, SMTP_OUT_COMMAND, p, n, 0);
		return;
	}
	if (upward) {
		if (!d->in_body && m->saw_354) {
			d->in_body = 1;
			m->saw_354 = 0;
			d->tail_len = 0;
		}
		if (d->in_body) {
			conn_send_raw(out, 0, SMTP_OUT_BODY, p, n, 0);
			if (body_ends(d, p, n))
				d->in_body = 0;
			return;
		}
		conn_send_raw(out, 0, SMTP_OUT_COMMAND, p, n, 0);
		return;
	}
	if (n >= 4 && !memcmp(p, "354 ", 4))
		m->saw_354 = 1;
	conn_send_raw(out, 0, SMTP_OUT_REPLY, p, n, 0);
}

static void from_client(void *ctx, struct conn *c, const uint8_t *p, size_t n)
{
	(void)c;
	struct mitm *m = ctx;
	relay(m, &m->to_server, &m->up, 1, p, n);
}

static void from_server(void *ctx, struct conn *c, const uint8_t *p, size_t n)
{
	(void)c;
	struct mitm *m = ctx;
	relay(m, &m->to_client, &m->down, 0, p, n);
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

struct mitm *mitm_new(struct run_ctx *r, char *err, size_t errcap)
{
	struct mitm *m = calloc(1, sizeof *m);
	if (!m) {
		snprintf(err, errcap, "out of memory");
		return NULL;
	}
	m->run = r;
	m->behaviour = r->sc->mitm.behaviour;
	conn_init(&m->to_client, &r->links[LINK_CLIENT_MITM], 1, ACTOR_MITM, &r->now,
		  (struct conn_callbacks){ m, from_client, NULL, closed_client });
	conn_init(&m->to_server, &r->links[LINK_MITM_SERVER], 0, ACTOR_MITM, &r->now,
		  (struct conn_callbacks){ m, from_server, NULL, closed_server });
	m->to_client.raw_input = m->to_server.raw_input = 1;
	/* A relaying attacker is not a TLS endpoint: the session is the client's and the server's. */
	for (int l = LINK_CLIENT_MITM; l <= LINK_MITM_SERVER; l++)
		for (int d = 0; d < 2; d++)
			r->links[l].ws[d].tls_readers = READ_CLIENT | READ_SERVER;
	if (r->sc->client.tls == SMTP_CLIENT_TLS_IMPLICIT)
		m->up.records = 1;
	if (r->sc->server.mode == SMTP_SERVER_IMPLICIT)
		m->down.records = 1;
	note(m, LINK_CLIENT_MITM, "The attacker sits between the client and the server and relays every byte",
	     "The client believes it is talking to the server; every byte now passes through the attacker, "
	     "who can read whatever is not encrypted.");
	return m;
}

void mitm_free(struct mitm *m)
{
	conn_free(&m->to_client);
	conn_free(&m->to_server);
	free(m);
}

int mitm_step(struct mitm *m)
{
	int p = conn_pump(&m->to_client);
	p |= conn_pump(&m->to_server);
	return p;
}

void mitm_outcome(struct mitm *m, struct outcome *o)
{
	(void)m;
	(void)o;
}
