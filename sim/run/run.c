/* run: see run.h. The scheduler steps the client, the attacker (when present) and the
 * server in that fixed order, each moving whatever it can, until a whole round moves
 * nothing. No clock, no OS randomness: the trace is a function of (scenario, seed). */
#include "sim/run/run.h"

#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/auth/auth.h"
#include "sim/base/sb.h"
#include "sim/decode/decode.h"
#include "sim/run/run_internal.h"
#include "sim/trace/wiretrace.h"

#define PIPE_CAPACITY (64 * 1024)
#define ROUND_US 1000            /* virtual time per scheduler round */
#define MAX_ROUNDS 10000000      /* default safety net: a run that long is a bug, and reported */

static const char *const run_error_names[RUN_ERROR_COUNT] = {
	[RUN_OK] = "no error",
	[RUN_ENOMEM] = "out of memory",
	[RUN_ROUND_LIMIT] = "the run does not end",
	[RUN_TLS_SETUP] = "TLS set-up failed",
	[RUN_PKI] = "certificates and keys missing",
	[RUN_MAIL_AUTH] = "mail authentication failed",
};

const char *run_error_name(enum run_error e)
{
	return (unsigned)e < RUN_ERROR_COUNT && run_error_names[e] ? run_error_names[e] : "unknown error";
}

void run_fail(struct run_ctx *r, enum run_error code, const char *fmt, ...)
{
	if (r->error != RUN_OK || code == RUN_OK)
		return;
	r->error = code;
	char detail[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	snprintf(r->err, sizeof r->err, "%s: %s", run_error_name(code), detail);
}

int run_failed(const struct run_ctx *r)
{
	return r->error != RUN_OK;
}

/* A conn's sticky error becomes the run's. */
static void check_conn(struct run_ctx *r, const struct conn *c)
{
	if (conn_failed(c))
		run_fail(r, RUN_ENOMEM, "the %s's connection could not trace or queue its bytes",
			 trace_actor_name(c->self));
}

/* A tap's copies: pipe[0] of a link carries what side 0 (the client) writes. */
static void tap_up(void *ctx, const uint8_t *p, size_t n)
{
	mitm_tap(ctx, 1, p, n);
}

static void tap_down(void *ctx, const uint8_t *p, size_t n)
{
	mitm_tap(ctx, 0, p, n);
}

/* The attacker's own mailbox on the server: the i-th message delivered to address. */
static const uint8_t *run_mailbox(void *ctx, const char *address, size_t i, size_t *len)
{
	struct run_ctx *r = ctx;
	size_t k = 0;
	for (size_t j = 0; j < smtp_server_message_count(r->server.smtp); j++) {
		const struct smtp_server_message *msg = smtp_server_message(r->server.smtp, j);
		for (size_t x = 0; x < msg->nrcpt; x++) {
			if (strcasecmp(msg->rcpt[x], address))
				continue;
			if (k++ == i) {
				*len = msg->body_len;
				return msg->body;
			}
			break;
		}
	}
	return NULL;
}

/* The attacker fails the run through its env. */
static void mitm_fail(void *ctx, int oom, const char *msg)
{
	run_fail(ctx, oom ? RUN_ENOMEM : RUN_TLS_SETUP, "%s", msg);
}

void run_tls_config(const struct run_ctx *r, struct tls_config *cfg, int is_server,
		    const struct scenario_tls *opt, const char *label)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->is_server = is_server;
	cfg->version_min = opt->version_min;
	cfg->version_max = opt->version_max;
	if (opt->version_min && !opt->version_max && opt->version_min > BR_TLS12)
		cfg->version_max = opt->version_min;
	if (opt->version_max && !opt->version_min)
		cfg->version_min = opt->version_max < BR_TLS12 ? BR_TLS10 : BR_TLS12;
	if (opt->version_min && !opt->version_max && opt->version_min <= BR_TLS12)
		cfg->version_max = BR_TLS12;
	cfg->engine = opt->engine;
	cfg->groups = opt->groups[0] ? opt->groups : NULL;
	if (opt->nsuites) {
		cfg->suites = opt->suites;
		cfg->nsuites = opt->nsuites;
	}
	cfg->now = r->sc->date;
	cfg->seed = r->seed;
	cfg->label = label;
}

static const char *check_message(void *ctx, const struct smtp_server_message *msg);

/* ---- the client ---- */

static int client_sink_send(void *ctx, enum smtp_out_kind kind, const uint8_t *p, size_t n)
{
	struct client_actor *a = ctx;
	if (conn_send(&a->conn, kind, p, n, 0) == 0)
		return 0;
	check_conn(a->run, &a->conn);
	return -1;
}

static void actor_note(struct run_ctx *r, enum trace_link link, enum trace_actor who, enum smtp_note kind,
		       const char *text)
{
	struct wire_note n = { .now = r->now, .link = link, .who = who, .kind = TK_ACTOR, .subtype = kind,
			       .session = -1 };
	if (wire_note(r->trace, &n, text, NULL) < 0)
		run_fail(r, RUN_ENOMEM, "tracing the %s's note", trace_actor_name(who));
}

static void client_sink_note(void *ctx, enum smtp_note kind, const char *text)
{
	struct client_actor *a = ctx;
	actor_note(a->run, a->conn.link->id, a->self, kind, text);
}

static void client_start_tls(struct client_actor *a)
{
	struct run_ctx *r = a->run;
	struct tls_config cfg;
	run_tls_config(r, &cfg, 0, a->tls_opt, a->label);
	cfg.anchors = a->anchors;
	cfg.verify = a->verify;
	cfg.server_name = a->server_name;
	cfg.ignore_downgrade_sentinel = a->self == ACTOR_CLIENT &&
					(r->sc->client.quirks & SMTP_CLIENT_QUIRK_IGNORE_DOWNGRADE_SENTINEL);
	a->tls_started = 1;
	char err[200];
	if (conn_start_tls(&a->conn, &cfg, err, sizeof err)) {
		run_fail(r, RUN_TLS_SETUP, "%s: %s", cfg.label, err);
		conn_close(&a->conn);
	}
}

static void client_after_input(struct client_actor *a)
{
	if (smtp_client_wants_tls(a->smtp) && !a->tls_started)
		client_start_tls(a);
	if (smtp_client_state(a->smtp) == SMTP_CLIENT_DONE)
		conn_close(&a->conn);
}

static void client_data(void *ctx, struct conn *c, const uint8_t *p, size_t n)
{
	(void)c;
	struct client_actor *a = ctx;
	smtp_client_feed(a->smtp, p, n);
	client_after_input(a);
}

static void client_tls_up(void *ctx, struct conn *c)
{
	(void)c;
	struct client_actor *a = ctx;
	a->tls_up = 1;
	/* A relay under MTA-STS or DANE checks the MX's chain now, before it sends a byte. */
	if (a == &a->run->relay && !relay_policy_after_tls(a->run, a)) {
		conn_close(&a->conn);
		smtp_client_connection_closed(a->smtp);
		return;
	}
	smtp_client_tls_established(a->smtp);
	client_after_input(a);
}

static void client_closed(void *ctx, struct conn *c, int err)
{
	(void)c;
	(void)err;
	struct client_actor *a = ctx;
	smtp_client_connection_closed(a->smtp);
	conn_close(&a->conn);
}

static int client_step(struct client_actor *a)
{
	int progress = conn_pump(&a->conn);
	/* The client stops reading after a reply that made it send; with that send now on
	 * the wire and in the trace, it reads the next buffered reply. */
	if (smtp_client_step(a->smtp)) {
		progress = 1;
		client_after_input(a);
		progress |= conn_pump(&a->conn);
	}
	if (smtp_client_state(a->smtp) == SMTP_CLIENT_SENDING_BODY) {
		/* Back-pressure for big bodies: only as much as the path can take now. */
		size_t budget = conn_tls_on(&a->conn) ? (conn_backlog(&a->conn) ? 0 : 65536) : conn_room(&a->conn);
		if (budget && smtp_client_pump(a->smtp, budget))
			progress = 1;
		progress |= conn_pump(&a->conn);
	}
	return progress;
}

/* ---- the server ---- */

static int server_sink_send(void *ctx, enum smtp_out_kind kind, const uint8_t *p, size_t n)
{
	struct server_actor *a = ctx;
	if (conn_send(&a->conn, kind, p, n, 0) == 0)
		return 0;
	check_conn(a->run, &a->conn);
	return -1;
}

static void server_sink_note(void *ctx, enum smtp_note kind, const char *text)
{
	struct server_actor *a = ctx;
	actor_note(a->run, a->conn.link->id, a->self, kind, text);
}

static void server_start_tls(struct server_actor *a)
{
	struct run_ctx *r = a->run;
	struct tls_config cfg;
	run_tls_config(r, &cfg, 1, a->tls_opt, a->label);
	cfg.chain = a->chain;
	cfg.key = a->key;
	a->tls_started = 1;
	char err[200];
	if (conn_start_tls(&a->conn, &cfg, err, sizeof err)) {
		run_fail(r, RUN_TLS_SETUP, "%s: %s", cfg.label, err);
		conn_close(&a->conn);
	}
}

static void server_after_input(struct server_actor *a)
{
	if (smtp_server_wants_tls(a->smtp) && !a->tls_started)
		server_start_tls(a);
	if (smtp_server_state(a->smtp) == SMTP_SERVER_CLOSED)
		conn_close(&a->conn);
}

static void server_data(void *ctx, struct conn *c, const uint8_t *p, size_t n)
{
	(void)c;
	struct server_actor *a = ctx;
	smtp_server_feed(a->smtp, p, n);
	server_after_input(a);
}

static void server_tls_up(void *ctx, struct conn *c)
{
	(void)c;
	struct server_actor *a = ctx;
	/* The suite, for the Received: line the server writes (RFC 8314's tls clause). */
	smtp_server_tls_suite(a->smtp, decode_cipher_suite_name(conn_tls_suite(&a->conn)));
	if (a->cfg.mode == SMTP_SERVER_IMPLICIT)
		smtp_server_start(a->smtp);
	else
		smtp_server_tls_established(a->smtp);
	server_after_input(a);
}

static void server_closed(void *ctx, struct conn *c, int err)
{
	(void)c;
	(void)err;
	struct server_actor *a = ctx;
	smtp_server_connection_closed(a->smtp);
	conn_close(&a->conn);
}

/* ---- set-up and the loop ---- */

static int link_init(struct run_ctx *r, enum trace_link id)
{
	struct link *l = &r->links[id];
	enum trace_actor a, b;
	trace_link_ends(id, &a, &b);
	l->id = id;
	l->opened = 1;
	if (pipe_init(&l->pipe[0], PIPE_CAPACITY) || pipe_init(&l->pipe[1], PIPE_CAPACITY))
		return -1;
	wire_stream_init(&l->ws[0], r->trace, &r->now, id, a, b, 1, &l->smtp);
	wire_stream_init(&l->ws[1], r->trace, &r->now, id, b, a, 0, &l->smtp);
	wire_stream_pair(&l->ws[0], &l->ws[1]);
	return 0;
}

static void link_free(struct link *l)
{
	if (!l->opened)
		return;
	pipe_free(&l->pipe[0]);
	pipe_free(&l->pipe[1]);
	wire_stream_free(&l->ws[0]);
	wire_stream_free(&l->ws[1]);
}

static void link_open_event(struct run_ctx *r, enum trace_link id, unsigned port)
{
	char summary[128], narration[256];
	enum trace_actor a, b;
	trace_link_ends(id, &a, &b);
	snprintf(summary, sizeof summary, "TCP connection: %s to port %u", trace_actor_name(a), port);
	snprintf(narration, sizeof narration,
		 "The %s opens a TCP connection to port %u. Addresses and ports are always visible on the "
		 "wire: TLS hides what is said, not who talks to whom.", trace_actor_name(a), port);
	if (wire_conn(&r->links[id].ws[0], TK_CONN_OPEN, port, summary, narration) < 0)
		run_fail(r, RUN_ENOMEM, "tracing the %s connection", trace_link_name(id));
}

/* A whole text file (a PEM key for libopendkim, which reads it from memory). */
static char *read_text(const char *path, char *err, size_t errcap)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errcap, "%s: cannot open", path);
		return NULL;
	}
	char *t = malloc(65536);
	size_t n = t ? fread(t, 1, 65535, f) : 0;
	fclose(f);
	if (!t || !n || n == 65535) {
		free(t);
		snprintf(err, errcap, "%s: %s", path, t ? "not a PEM key of a sensible size" : "out of memory");
		return NULL;
	}
	t[n] = '\0';
	return t;
}

int run_pki_load(const struct scenario *sc, struct run_pki *p, char *err, size_t errcap)
{
	memset(p, 0, sizeof *p);
	if (sc->client.dkim_sign && !(p->dkim_key_pem = read_text(sc->client.dkim_key, err, errcap)))
		return -1;
	if (pki_load_anchors(sc->client.trust, &p->anchors, err, errcap) ||
	    pki_load_chain(sc->server.tls_opt.cert, &p->server_chain, err, errcap) ||
	    pki_load_key(sc->server.tls_opt.key, &p->server_key, err, errcap) ||
	    (sc->mitm.attack &&
	     (pki_load_chain(sc->mitm.tls_opt.cert, &p->mitm_chain, err, errcap) ||
	      pki_load_key(sc->mitm.tls_opt.key, &p->mitm_key, err, errcap))) ||
	    ((sc->mitm.attack && (sc->mitm.attack->flags & ATTACK_F_STOLEN_KEY)) &&
	     pki_load_key(sc->mitm.stolen_key ? sc->mitm.stolen_key : sc->server.tls_opt.key, &p->stolen_key,
			  err, errcap)) ||
	    (sc->has_route && (pki_load_anchors(sc->relay.trust, &p->relay_anchors, err, errcap) ||
			       pki_load_chain(sc->mx.tls_opt.cert, &p->mx_chain, err, errcap) ||
			       pki_load_key(sc->mx.tls_opt.key, &p->mx_key, err, errcap)))) {
		run_pki_free(p);
		return -1;
	}
	return 0;
}

void run_pki_free(struct run_pki *p)
{
	pki_anchors_free(&p->anchors);
	pki_chain_free(&p->server_chain);
	pki_key_free(&p->server_key);
	pki_chain_free(&p->mitm_chain);
	pki_key_free(&p->mitm_key);
	pki_key_free(&p->stolen_key);
	pki_anchors_free(&p->relay_anchors);
	pki_chain_free(&p->mx_chain);
	pki_key_free(&p->mx_key);
	free(p->dkim_key_pem);
	p->dkim_key_pem = NULL;
}

/* Frees one connection attempt: the actors, the attacker and the links, so that the next
 * attempt (a client's port fallback) starts afresh on the same trace. */
static void hop_close(struct run_ctx *r, int hop)
{
	if (r->mitm && r->mitm_hop == hop) {
		mitm_free(r->mitm);
		r->mitm = NULL;
	}
	struct client_actor *ca = hop == 1 ? &r->client : &r->relay;
	struct server_actor *sa = hop == 1 ? &r->server : &r->mx;
	conn_free(&ca->conn);
	conn_free(&sa->conn);
	smtp_client_free(ca->smtp);
	smtp_server_free(sa->smtp);
	for (int i = 0; i < LINK_COUNT; i++) {
		if (trace_link_hop((enum trace_link)i) != hop)
			continue;
		link_free(&r->links[i]);
		memset(&r->links[i], 0, sizeof r->links[i]);
	}
	memset(ca, 0, sizeof *ca);
	memset(sa, 0, sizeof *sa);
}

static void attempt_close(struct run_ctx *r)
{
	hop_close(r, 1);
}

static void run_ctx_free(struct run_ctx *r)
{
	hop_close(r, 2);
	attempt_close(r);
	free(r->relay_body);
	r->relay_body = NULL;
	free(r->signed_body);
	r->signed_body = NULL;
}

/* NULL when pki holds what sc needs, else what is missing (a caller's mistake: the pki
 * was loaded for another scenario). */
static const char *pki_missing(const struct scenario *sc, const struct run_pki *pki)
{
	if (!pki)
		return "no certificates and keys were loaded (run_pki_load)";
	if (!pki->server_chain.n || !pki->server_key.type)
		return "the server's certificate and key were not loaded";
	if (sc->mitm.attack && (!pki->mitm_chain.n || !pki->mitm_key.type))
		return "the attacker's certificate and key were not loaded";
	if ((sc->mitm.attack && (sc->mitm.attack->flags & ATTACK_F_STOLEN_KEY)) && !pki->stolen_key.type)
		return "the attacker's stolen key was not loaded";
	if (sc->client.dkim_sign && !pki->dkim_key_pem)
		return "the client's DKIM key was not loaded";
	if (sc->has_route && (!pki->mx_chain.n || !pki->mx_key.type))
		return "the MX's certificate and key were not loaded";
	return NULL;
}

/* The scenario's client on hop 1, dialling client_link. */
static void client_setup(struct run_ctx *r, struct client_actor *ca, enum trace_link client_link, unsigned port,
			 enum smtp_client_tls client_tls)
{
	const struct scenario *sc = r->sc;
	const struct run_options *opt = r->opt;
	ca->tls_opt = &sc->client.tls_opt;
	ca->anchors = &r->pki->anchors;
	ca->verify = sc->client.verify;
	ca->server_name = sc->client.server_name;
	ca->label = "client";
	conn_init(&ca->conn, &r->links[client_link], 0, ACTOR_CLIENT, &r->now,
		  (struct conn_callbacks){ ca, client_data, client_tls_up, client_closed });
	ca->cfg = (struct smtp_client_config){
		.ehlo_name = sc->client.ehlo_name,
		.tls = client_tls,
		.auth = sc->client.auth,
		.user = sc->client.user,
		.password = sc->client.password,
		.mail_from = sc->client.mail_from,
		.rcpt = (const char *const *)sc->client.rcpt,
		.nrcpt = sc->client.nrcpt,
		.body = r->body,
		.body_len = r->body_len,
		.buffering = sc->client.buffering,
		.body_chunk = opt->body ? 16384 : 0,
		.quirks = sc->client.quirks,
		.port = port,
		.requiretls = sc->client.requiretls,
	};
	ca->smtp = smtp_client_new(&ca->cfg, (struct smtp_sink){ ca, client_sink_send, client_sink_note });
}

/* The scenario's server on hop 1, answering on server_link. */
static void server_setup(struct run_ctx *r, struct server_actor *sa, enum trace_link server_link,
			 enum smtp_server_mode server_mode, int auth_required)
{
	const struct scenario *sc = r->sc;
	const struct run_options *opt = r->opt;
	sa->tls_opt = &sc->server.tls_opt;
	sa->chain = &r->pki->server_chain;
	sa->key = &r->pki->server_key;
	sa->label = "server";
	/* The server's TCP peer: whoever dials its link (the attacker when in the path). */
	enum trace_actor peer, self_end;
	trace_link_ends(server_link, &peer, &self_end);
	char peer_ip[16];
	trace_actor_ip_text(peer, peer_ip);
	conn_init(&sa->conn, &r->links[server_link], 1, ACTOR_SERVER, &r->now,
		  (struct conn_callbacks){ sa, server_data, server_tls_up, server_closed });
	sa->cfg = (struct smtp_server_config){
		.hostname = sc->server.hostname,
		.mode = server_mode,
		.user = sc->server.user,
		.password = sc->server.password,
		/* The attacker's own account, when the scenario gives it one ([mitm] account). */
		.other_user = sc->mitm.attack ? sc->mitm.account_user : NULL,
		.other_password = sc->mitm.attack ? sc->mitm.account_password : NULL,
		.auth_requires_tls = sc->server.auth_requires_tls,
		.auth_required = auth_required,
		.max_size = sc->server.max_size,
		.buffering = sc->server.buffering,
		.max_stored_body = opt->max_stored,
		/* With a route the server relays the message, with its trace header on top. */
		.received = sc->has_route,
		.requiretls = sc->server.requiretls,
		/* The receiver checks who wrote the message: this server without a route. */
		.check_message = sc->has_dns && !sc->has_route ? check_message : NULL,
		.check_ctx = sa,
		.peer_ip = peer_ip,
		.date = sc->date,
		.now_us = &r->now,
	};
	sa->smtp = smtp_server_new(&sa->cfg, (struct smtp_sink){ sa, server_sink_send, server_sink_note });
}

/* One connection attempt: the links, the client and the server actors for this port and
 * these policies, the attacker when the scenario has one, and the TCP open. Returns 0, or
 * -1 with err (the caller frees what was made). */
static int attempt_open(struct run_ctx *r, unsigned port, enum smtp_client_tls client_tls,
			enum smtp_server_mode server_mode, int auth_required, int attempt, char *err, size_t errcap)
{
	const struct scenario *sc = r->sc;
	int tap = sc->mitm.attack && (sc->mitm.attack->flags & ATTACK_F_TAP);
	int in_path = r->mitm_present && r->mitm_hop == 1;
	/* Links and conns: the client always dials the first link, the server always
	 * answers on the last one. */
	enum trace_link client_link = in_path ? LINK_CLIENT_MITM : LINK_CLIENT_SERVER;
	enum trace_link server_link = in_path ? LINK_MITM_SERVER : LINK_CLIENT_SERVER;
	if (link_init(r, client_link) || (in_path && link_init(r, server_link))) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}

	struct client_actor *ca = &r->client;
	ca->run = r;
	ca->self = ACTOR_CLIENT;
	if (!r->live_client)
		client_setup(r, ca, client_link, port, client_tls);
	else
		sock_end_init(&r->client_sock, r->live->client_fd, &r->links[client_link], 0, &r->now);

	struct server_actor *sa = &r->server;
	sa->run = r;
	sa->self = ACTOR_SERVER;
	if (!r->live_server)
		server_setup(r, sa, server_link, server_mode, auth_required);
	else
		sock_end_init(&r->server_sock, r->live->server_fd, &r->links[server_link], 1, &r->now);
	if ((!r->live_client && !ca->smtp) || (!r->live_server && !sa->smtp)) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	if (sc->mitm.attack && r->mitm_hop == 1) {
		struct mitm_env env = {
			.trace = r->trace, .now = &r->now, .client_link = &r->links[client_link],
			.server_link = &r->links[server_link], .attack = sc->mitm.attack,
			.inject = sc->mitm.inject, .tamper_record = sc->mitm.tamper_record,
			.client_implicit = client_tls == SMTP_CLIENT_TLS_IMPLICIT,
			.server_implicit = server_mode == SMTP_SERVER_IMPLICIT, .stolen_key = &r->pki->stolen_key,
			.again = attempt > 0, .port = port,
			.fail = mitm_fail, .ctx = r,
			.account_user = sc->mitm.account_user, .account_password = sc->mitm.account_password,
			.mailbox_address = sc->mitm.mailbox, .mailbox = run_mailbox,
			.client_live = r->live_client, .server_live = r->live_server,
		};
		run_tls_config(r, &env.as_server, 1, &sc->mitm.tls_opt, "attacker-to-client");
		env.as_server.chain = (sc->mitm.attack->flags & ATTACK_F_SERVER_CHAIN) ? &r->pki->server_chain
											: &r->pki->mitm_chain;
		env.as_server.key = &r->pki->mitm_key;
		run_tls_config(r, &env.as_client, 0, &sc->mitm.tls_opt, "attacker-to-server");
		env.as_client.anchors = &r->pki->anchors;
		env.as_client.verify = TLS_VERIFY_NONE;
		env.as_client.server_name = sc->client.server_name;
		r->mitm = mitm_new(&env, err, errcap);
		if (!r->mitm)
			return -1;
		if (tap) {
			struct link *l = &r->links[LINK_CLIENT_SERVER];
			l->pipe[0].tap = tap_up;
			l->pipe[1].tap = tap_down;
			l->pipe[0].tap_ctx = l->pipe[1].tap_ctx = r->mitm;
		}
	}

	/* The client connects; with an attacker in the path, it is the attacker that
	 * accepts, and the attacker then dials the real server. */
	link_open_event(r, client_link, port);
	if (in_path)
		link_open_event(r, server_link, port);
	/* A real peer's bytes are traced by the end that reads them. */
	if (r->live_client && !in_path)
		sa->conn.peer_live = 1;
	if (r->live_server && !in_path)
		ca->conn.peer_live = 1;
	if (client_tls == SMTP_CLIENT_TLS_IMPLICIT && !r->live_client)
		client_start_tls(ca);
	if (!r->live_server) {
		if (server_mode == SMTP_SERVER_IMPLICIT)
			server_start_tls(sa);
		else
			smtp_server_start(sa->smtp);
	}

	return 0;
}

/* The scheduler's rounds, until nothing moves (or the run fails). */
static void run_rounds(struct run_ctx *r, struct client_actor *ca, struct server_actor *sa)
{
	long max_rounds = r->opt->max_rounds > 0 ? r->opt->max_rounds : MAX_ROUNDS;
	long round = 0;
	int progress = 1;
	while (progress && !run_failed(r)) {
		if (round++ == max_rounds) {
			run_fail(r, RUN_ROUND_LIMIT, "the actors were still moving bytes after %ld rounds", max_rounds);
			break;
		}
		progress = client_step(ca);
		if (r->mitm)
			progress |= mitm_step(r->mitm);
		progress |= conn_pump(&sa->conn);
		check_conn(r, &ca->conn);
		check_conn(r, &sa->conn);
		if (progress)
			r->now += ROUND_US;
	}

}

/* ---- hop 2: the server relays the message to the recipient's MX ---- */

/* The first message the server accepted for someone other than the attacker, or NULL. */
static const struct smtp_server_message *message_to_relay(const struct run_ctx *r)
{
	const struct scenario *sc = r->sc;
	for (size_t i = 0; r->server.smtp && i < smtp_server_message_count(r->server.smtp); i++) {
		const struct smtp_server_message *m = smtp_server_message(r->server.smtp, i);
		int mine = 0;
		for (size_t k = 0; sc->mitm.attack && k < m->nrcpt; k++)
			mine |= !strcasecmp(m->rcpt[k], sc->mitm.mailbox);
		if (!mine)
			return m;
	}
	return NULL;
}

/* A new connection on port 25: the sending server, as an SMTP client with its own TLS
 * policy ([relay]), dials the MX ([mx]); the attacker sits between them when it is on
 * hop 2. The message goes out as the server stored it, with its Received: line on top
 * (RFC 5321 section 4.4: each server that relays a message adds one). */
static int relay_open(struct run_ctx *r, const struct smtp_server_message *msg, char *err, size_t errcap)
{
	const struct scenario *sc = r->sc;
	int in_path = r->mitm_present && r->mitm_hop == 2;
	enum trace_link client_link = in_path ? LINK_SERVER_MITM : LINK_SERVER_MX;
	enum trace_link server_link = in_path ? LINK_MITM_MX : LINK_SERVER_MX;
	/* Before dialling: what the recipient domain asks of the relay (MTA-STS, DANE). */
	r->relay_link = client_link;
	relay_policy_lookup(r, msg);
	const struct relay_policy *pol = &r->policy;
	/* REQUIRETLS: TLS required, and the certificate verified (PKIX), unless DANE checks it. */
	int rtls = pol->requiretls;
	size_t hl = msg->received ? strlen(msg->received) : 0;
	r->relay_body = malloc(hl + msg->body_len + 1);
	if (!r->relay_body || link_init(r, client_link) || (in_path && link_init(r, server_link))) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	if (hl)
		memcpy(r->relay_body, msg->received, hl);
	if (msg->body_len)
		memcpy(r->relay_body + hl, msg->body, msg->body_len);
	r->relay_body_len = hl + msg->body_len;
	r->relayed = 1;

	struct client_actor *ca = &r->relay;
	ca->run = r;
	ca->self = ACTOR_SERVER;
	ca->tls_opt = &sc->relay.tls_opt;
	ca->anchors = &r->pki->relay_anchors;
	ca->verify = pol->checks_cert ? TLS_VERIFY_NONE : rtls ? TLS_VERIFY_FULL : sc->relay.verify;
	ca->server_name = sc->mx.hostname;
	ca->label = "relay";
	conn_init(&ca->conn, &r->links[client_link], 0, ACTOR_SERVER, &r->now,
		  (struct conn_callbacks){ ca, client_data, client_tls_up, client_closed });
	ca->conn.checks_itself = pol->checks_cert;
	ca->cfg = (struct smtp_client_config){
		.ehlo_name = sc->server.hostname,
		.tls = pol->requires_tls || rtls ? SMTP_CLIENT_TLS_REQUIRED : sc->relay.tls,
		.requiretls = rtls,
		.auth = SMTP_CLIENT_AUTH_NONE,
		.mail_from = msg->mail_from ? msg->mail_from : "",
		.rcpt = (const char *const *)msg->rcpt,
		.nrcpt = msg->nrcpt,
		.body = r->relay_body,
		.body_len = r->relay_body_len,
		.buffering = SMTP_BUFFER_DISCARD,
		.body_chunk = r->opt->body ? 16384 : 0,
		.port = 25,
	};
	ca->smtp = smtp_client_new(&ca->cfg, (struct smtp_sink){ ca, client_sink_send, client_sink_note });

	struct server_actor *sa = &r->mx;
	sa->run = r;
	sa->self = ACTOR_MX;
	sa->tls_opt = &sc->mx.tls_opt;
	sa->chain = &r->pki->mx_chain;
	sa->key = &r->pki->mx_key;
	sa->label = "mx";
	/* The server's TCP peer: whoever dials its link (the attacker when in the path). */
	enum trace_actor peer, self_end;
	trace_link_ends(server_link, &peer, &self_end);
	char peer_ip[16];
	trace_actor_ip_text(peer, peer_ip);
	conn_init(&sa->conn, &r->links[server_link], 1, ACTOR_MX, &r->now,
		  (struct conn_callbacks){ sa, server_data, server_tls_up, server_closed });
	sa->cfg = (struct smtp_server_config){
		.hostname = sc->mx.hostname,
		.mode = sc->mx.mode,
		.auth_requires_tls = 1,
		.auth_required = 0,   /* an MX takes mail for its own domains from anyone (RFC 5321) */
		.requiretls = sc->mx.requiretls,
		.check_message = sc->has_dns ? check_message : NULL,
		.check_ctx = sa,
		.max_size = sc->server.max_size,
		.buffering = SMTP_BUFFER_DISCARD,
		.max_stored_body = r->opt->max_stored,
		.received = 1,
		.peer_ip = peer_ip,
		.date = sc->date,
		.now_us = &r->now,
	};
	sa->smtp = smtp_server_new(&sa->cfg, (struct smtp_sink){ sa, server_sink_send, server_sink_note });
	if (!ca->smtp || !sa->smtp) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	if (in_path) {
		struct mitm_env env = {
			.trace = r->trace, .now = &r->now, .client_link = &r->links[client_link],
			.server_link = &r->links[server_link], .attack = sc->mitm.attack,
			.inject = sc->mitm.inject, .tamper_record = sc->mitm.tamper_record,
			.stolen_key = &r->pki->stolen_key, .port = 25, .fail = mitm_fail, .ctx = r,
		};
		run_tls_config(r, &env.as_server, 1, &sc->mitm.tls_opt, "attacker-to-relay");
		env.as_server.chain = &r->pki->mitm_chain;
		env.as_server.key = &r->pki->mitm_key;
		run_tls_config(r, &env.as_client, 0, &sc->mitm.tls_opt, "attacker-to-mx");
		env.as_client.anchors = &r->pki->relay_anchors;
		env.as_client.verify = TLS_VERIFY_NONE;
		env.as_client.server_name = sc->mx.hostname;
		r->mitm = mitm_new(&env, err, errcap);
		if (!r->mitm)
			return -1;
	}
	link_open_event(r, client_link, 25);
	if (in_path)
		link_open_event(r, server_link, 25);
	smtp_server_start(sa->smtp);
	return 0;
}

/* ---- who wrote the message: DKIM before it leaves, SPF, DKIM and DMARC where it lands ---- */

/* A TK_MAIL_AUTH note; f's fields move into the trace. */
static void auth_event(struct run_ctx *r, enum trace_link link, enum trace_actor who, enum auth_step step,
		       enum auth_result verdict, struct fields *f, const char *plain, const char *summary,
		       const char *narration)
{
	struct trace_event e;
	memset(&e, 0, sizeof e);
	e.kind = TK_MAIL_AUTH;
	e.layer = LAYER_NOTE;
	e.parent = -1;
	e.session = -1;
	e.time_us = r->now;
	e.link = link;
	e.from = e.to = who;
	e.subtype = (int)step;
	e.verdict = (int)verdict;
	e.plain = (uint8_t *)plain;
	e.plain_len = plain ? strlen(plain) : 0;
	e.summary = (char *)summary;
	e.narration = (char *)narration;
	e.fields = *f;
	fields_init(f);
	if (trace_append(r->trace, &e) < 0) {
		fields_free(&e.fields);
		run_fail(r, RUN_ENOMEM, "tracing the %s step", auth_step_name(step));
	}
}

static const char *yes_no(int v)
{
	return v ? "yes" : "no";
}

/* The sending side signs before the message leaves: the scenario's body with CRLF line
 * ends (ending with one), a DKIM-Signature in front; with dkim_break_body, a footer is
 * added to the body afterwards, as a forwarder or a mailing list would. */
static void mail_sign(struct run_ctx *r, enum trace_link link)
{
	const struct scenario_client *cl = &r->sc->client;
	static const char footer[] = "--\r\nYou receive this message as a member of a mailing list.\r\n";
	size_t cap = 2 * r->body_len + 3 + sizeof footer;
	char *crlf = malloc(cap);
	if (!crlf) {
		run_fail(r, RUN_ENOMEM, "signing the message");
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < r->body_len; i++) {
		if (r->body[i] == '\n' && (i == 0 || r->body[i - 1] != '\r'))
			crlf[n++] = '\r';
		crlf[n++] = (char)r->body[i];
	}
	if (n < 2 || crlf[n - 1] != '\n') {
		crlf[n++] = '\r';
		crlf[n++] = '\n';
	}
	crlf[n] = '\0';
	struct auth_sign sign = { .key_pem = r->pki->dkim_key_pem, .domain = cl->dkim_domain,
				  .selector = cl->dkim_selector, .now = r->sc->date };
	char *hdr = NULL, err[200];
	if (auth_dkim_sign(&sign, (const uint8_t *)crlf, n, &hdr, err, sizeof err)) {
		free(crlf);
		run_fail(r, RUN_MAIL_AUTH, "%s", err);
		return;
	}
	size_t hl = strlen(hdr);
	char *msg = malloc(hl + n + sizeof footer);
	if (!msg) {
		free(hdr);
		free(crlf);
		run_fail(r, RUN_ENOMEM, "signing the message");
		return;
	}
	memcpy(msg, hdr, hl);
	memcpy(msg + hl, crlf, n + 1);
	free(crlf);
	char summary[256], narration[600];
	struct fields f;
	fields_init(&f);
	fields_add(&f, 0, "signing_domain", "%s", cl->dkim_domain);
	fields_add(&f, 0, "selector", "%s", cl->dkim_selector);
	fields_add(&f, 0, "key_record", "%s._domainkey.%s", cl->dkim_selector, cl->dkim_domain);
	fields_add(&f, 0, "algorithm", "rsa-sha256");
	fields_add(&f, 0, "canonicalization", "relaxed/simple");
	char *unfolded = malloc(hl + 1);
	size_t u = 0;
	for (size_t k = 0; unfolded && k < hl; k++)
		if (hdr[k] != '\r' && hdr[k] != '\n')
			unfolded[u++] = hdr[k] == '\t' ? ' ' : hdr[k];
	if (unfolded) {
		unfolded[u] = '\0';
		fields_add(&f, 0, "dkim_signature", "%s", unfolded); /* unfolded: one line */
		free(unfolded);
	}
	snprintf(summary, sizeof summary, "DKIM: the sender signs the message as %s (selector %s)", cl->dkim_domain,
		 cl->dkim_selector);
	snprintf(narration, sizeof narration,
		 "Before the message leaves, the sending side signs it with the private key of %s: a DKIM-Signature "
		 "header that covers the From: line, the other listed headers and a hash of the body. Any receiver "
		 "can check it with the public key %s publishes in DNS at %s._domainkey.%s.",
		 cl->dkim_domain, cl->dkim_domain, cl->dkim_selector, cl->dkim_domain);
	auth_event(r, link, ACTOR_CLIENT, AUTH_SIGNED, AUTH_NONE, &f, hdr, summary, narration);
	free(hdr);
	if (cl->dkim_break_body) {
		memcpy(msg + hl + n, footer, sizeof footer);
		fields_add(&f, 0, "added", "%zu bytes at the end of the body", sizeof footer - 1);
		snprintf(summary, sizeof summary, "Body altered after signing: %zu bytes added", sizeof footer - 1);
		snprintf(narration, sizeof narration,
			 "After the signature was made, the body changes: a footer is added at its end, as a mailing list "
			 "or a forwarder does. Nothing about the author changed, but the body no longer matches the "
			 "hash the signature holds.");
		auth_event(r, link, ACTOR_CLIENT, AUTH_ALTERED, AUTH_NONE, &f, footer, summary, narration);
	}
	r->signed_body = (uint8_t *)msg;
	r->body = r->signed_body;
	r->body_len = strlen(msg);
}

static void spf_sentence(const struct auth_spf *s, const char *ip, char *out, size_t cap)
{
	const char *who = s->from_helo ? "the HELO name" : "the envelope sender's domain (MAIL FROM)";
	size_t n = sb_put(out, cap, 0, "The receiving MX asks DNS whether %s may send mail for %s, %s: ", ip, s->domain, who);
	switch (s->result) {
	case AUTH_PASS: n = sb_put(out, cap, n, "its SPF record says it may (pass). "); break;
	case AUTH_FAIL: n = sb_put(out, cap, n, "its SPF record says it may not (fail). "); break;
	case AUTH_SOFTFAIL: n = sb_put(out, cap, n, "its SPF record says probably not (softfail). "); break;
	case AUTH_NEUTRAL: n = sb_put(out, cap, n, "its SPF record says nothing either way (neutral). "); break;
	case AUTH_NONE: n = sb_put(out, cap, n, "it publishes no SPF record (none). "); break;
	default: n = sb_put(out, cap, n, "the check ended in an error (%s). ", auth_result_name(s->result)); break;
	}
	sb_put(out, cap, n, "SPF speaks for the envelope domain only, which the reader never sees.");
}

static void dkim_sentence(const struct auth_dkim *d, char *out, size_t cap)
{
	if (!d->signed_) {
		sb_put(out, cap, 0, "The message carries no DKIM-Signature: no domain vouches for its content (none).");
		return;
	}
	size_t n = sb_put(out, cap, 0, "The MX fetches the public key at %s._domainkey.%s and checks the signature: ",
			  d->selector, d->domain);
	if (d->result == AUTH_PASS)
		sb_put(out, cap, n, "the signed headers and the body are exactly what %s signed (pass). DKIM speaks "
			   "for the signing domain %s, whatever the From: line says.", d->domain, d->domain);
	else if (d->body_hash_ok == 0)
		sb_put(out, cap, n, "the body's hash no longer matches the one in the signature (fail): the body "
			   "changed after %s signed it, so the signature vouches for nothing.", d->domain);
	else
		sb_put(out, cap, n, "it does not verify (%s): %s.", auth_result_name(d->result), d->reason);
}

static void dmarc_sentence(const struct auth_report *rep, int enforce, char *out, size_t cap)
{
	const struct auth_dmarc *m = &rep->dmarc;
	if (!m->from_domain[0]) {
		sb_put(out, cap, 0, "The message has no From: domain, so DMARC has nothing to check.");
		return;
	}
	size_t n = sb_put(out, cap, 0, "The reader sees a From: address at %s. ", m->from_domain);
	if (!m->record[0]) {
		sb_put(out, cap, n, "%s publishes no DMARC record, so nothing ties that line to SPF or DKIM (none).",
		       m->from_domain);
		return;
	}
	n = sb_put(out, cap, n, "DMARC asks whether SPF or DKIM passed for a domain aligned with it (%s): ",
		   m->adkim == 's' && m->aspf == 's' ? "strict: the same domain" : "relaxed: the same organizational domain");
	if (m->result == AUTH_PASS) {
		sb_put(out, cap, n, "%s passed for %s, so the message passes (pass).",
		       m->dkim_aligned ? "DKIM" : "SPF", m->dkim_aligned ? rep->dkim.domain : rep->spf.domain);
		return;
	}
	n = sb_put(out, cap, n, "neither did (fail). %s's policy asks receivers to %s such mail", m->from_domain,
		   m->disposition == AUTH_POLICY_REJECT ? "reject" : m->disposition == AUTH_POLICY_QUARANTINE
												  ? "quarantine"
												  : "only report");
	sb_put(out, cap, n, "; %s TLS protected the channel to this MX, not the author.",
	       enforce && m->disposition == AUTH_POLICY_REJECT ? "this MX honours it."
							       : "this MX only records the verdict, as many do.");
}

/* The receiving MX checks a message at its final dot, with the scenario's zone as DNS
 * (the smtp_server's check_message): SPF, DKIM and DMARC as events, then either the
 * message stored with its Authentication-Results header (NULL: accept) or, when the MX
 * honours a DMARC reject policy and the message fails it, the refusal to send. */
static const char *check_message(void *ctx, const struct smtp_server_message *msg)
{
	struct server_actor *rcv = ctx;
	struct run_ctx *r = rcv->run;
	const struct scenario *sc = r->sc;
	if (run_failed(r))
		return NULL;
	enum trace_link link = rcv->conn.link->id;
	enum trace_actor peer, self;
	trace_link_ends(link, &peer, &self);
	const char *helo = rcv->self == ACTOR_MX ? sc->server.hostname : sc->client.ehlo_name;
	int enforce = rcv->self == ACTOR_MX ? sc->mx.dmarc_reject : sc->server.dmarc_reject;
	{
		struct auth_input in = { .zone = &sc->dns, .helo = helo,
					 .mail_from = msg->mail_from ? msg->mail_from : "", .msg = msg->body,
					 .len = msg->body_len, .receiver = rcv->cfg.hostname, .now = sc->date + 60 };
		trace_actor_ip(peer, in.ip);
		struct auth_report *rep = calloc(1, sizeof *rep);
		char err[200];
		if (!rep) {
			run_fail(r, RUN_ENOMEM, "checking a message");
			return NULL;
		}
		if (auth_check(&in, rep, err, sizeof err)) {
			free(rep);
			run_fail(r, RUN_MAIL_AUTH, "%s", err);
			return NULL;
		}
		char ip[16], summary[300], narration[800];
		snprintf(ip, sizeof ip, "%u.%u.%u.%u", in.ip[0], in.ip[1], in.ip[2], in.ip[3]);
		struct fields f;
		fields_init(&f);

		const struct auth_spf *sp = &rep->spf;
		fields_add(&f, 0, "result", "%s", auth_result_name(sp->result));
		fields_add(&f, 0, sp->from_helo ? "helo_domain" : "mail_from_domain", "%s", sp->domain);
		fields_add(&f, 0, "client_ip", "%s", ip);
		fields_add(&f, 0, "spf_record", "%s", sp->record[0] ? sp->record : "(none)");
		if (sp->record[0])
			fields_add(&f, 0, "record_authenticated", "%s", yes_no(sp->record_authenticated));
		if (sp->reason[0])
			fields_add(&f, 0, "reason", "%s", sp->reason);
		sb_put(summary, sizeof summary, 0, "SPF %s: %s for %s", auth_result_name(sp->result), ip, sp->domain);
		spf_sentence(sp, ip, narration, sizeof narration);
		auth_event(r, link, rcv->self, AUTH_SPF, sp->result, &f, NULL, summary, narration);

		const struct auth_dkim *dk = &rep->dkim;
		fields_add(&f, 0, "result", "%s", auth_result_name(dk->result));
		fields_add(&f, 0, "signed", "%s", yes_no(dk->signed_));
		if (dk->signed_) {
			fields_add(&f, 0, "signing_domain", "%s", dk->domain);
			fields_add(&f, 0, "selector", "%s", dk->selector);
			fields_add(&f, 0, "key_found", "%s", yes_no(dk->key_found));
			if (dk->key_found)
				fields_add(&f, 0, "key_authenticated", "%s", yes_no(dk->key_authenticated));
			fields_add(&f, 0, "body_hash", "%s", dk->body_hash_ok > 0 ? "matches" : dk->body_hash_ok == 0 ? "differs" : "not tested");
		}
		fields_add(&f, 0, "reason", "%s", dk->reason);
		if (dk->signed_)
			sb_put(summary, sizeof summary, 0, "DKIM %s: signature by %s (selector %s)",
			       auth_result_name(dk->result), dk->domain, dk->selector);
		else
			snprintf(summary, sizeof summary, "DKIM none: the message is not signed");
		dkim_sentence(dk, narration, sizeof narration);
		auth_event(r, link, rcv->self, AUTH_DKIM, dk->result, &f, NULL, summary, narration);

		const struct auth_dmarc *dm = &rep->dmarc;
		fields_add(&f, 0, "result", "%s", auth_result_name(dm->result));
		fields_add(&f, 0, "from_domain", "%s", dm->from_domain[0] ? dm->from_domain : "(none)");
		fields_add(&f, 0, "dmarc_record", "%s", dm->record[0] ? dm->record : "(none)");
		if (dm->record[0]) {
			fields_add(&f, 0, "record_domain", "_dmarc.%s", dm->record_domain);
			fields_add(&f, 0, "policy", "%s", auth_policy_name(dm->policy));
			fields_add(&f, 0, "spf_aligned", "%s", yes_no(dm->spf_aligned));
			fields_add(&f, 0, "dkim_aligned", "%s", yes_no(dm->dkim_aligned));
			fields_add(&f, 0, "disposition", "%s", auth_policy_name(dm->disposition));
		}
		fields_add(&f, 0, "reason", "%s", dm->reason);
		if (dm->record[0])
			sb_put(summary, sizeof summary, 0, "DMARC %s for From: %s (policy %s)", auth_result_name(dm->result),
				 dm->from_domain, auth_policy_name(dm->policy));
		else
			sb_put(summary, sizeof summary, 0, "DMARC %s for From: %s", auth_result_name(dm->result),
				 dm->from_domain[0] ? dm->from_domain : "(none)");
		dmarc_sentence(rep, enforce, narration, sizeof narration);
		size_t at = r->trace->n;
		auth_event(r, link, rcv->self, AUTH_DMARC, dm->result, &f, NULL, summary, narration);
		if (at < r->trace->n) {
			r->trace->ev[at].policy = (int)dm->policy;
			r->trace->ev[at].disposition = (int)dm->disposition;
		}

		if (enforce && dm->result == AUTH_FAIL && dm->disposition == AUTH_POLICY_REJECT) {
			fields_add(&f, 0, "reply", "550 5.7.1 Rejected by the DMARC policy of %s", dm->from_domain);
			sb_put(rcv->refusal, sizeof rcv->refusal, 0, "550 5.7.1 Rejected by the DMARC policy of %s",
				 dm->from_domain);
			sb_put(summary, sizeof summary, 0, "Rejected: %s's DMARC policy says reject, and this MX honours it",
			       dm->from_domain);
			sb_put(narration, sizeof narration, 0,
			       "This MX applies the DMARC policy it just read (RFC 7489 section 6.7): it refuses the message "
			       "before accepting it, with a permanent error, so it is never stored and never reaches the "
			       "reader. The sending server will return it to the envelope sender.");
			auth_event(r, link, rcv->self, AUTH_REJECTED, dm->result, &f, NULL, summary, narration);
			free(rep);
			return rcv->refusal;
		}
		/* The stored message: the header on top of what arrived. */
		size_t hl = strlen(rep->header), rl = msg->received ? strlen(msg->received) : 0;
		char *stored = malloc(hl + rl + msg->body_len + 1);
		if (!stored) {
			free(rep);
			run_fail(r, RUN_ENOMEM, "storing a message");
			return NULL;
		}
		memcpy(stored, rep->header, hl);
		if (rl)
			memcpy(stored + hl, msg->received, rl);
		if (msg->body_len)
			memcpy(stored + hl + rl, msg->body, msg->body_len);
		stored[hl + rl + msg->body_len] = '\0';
		char unfolded[1024];
		size_t u = 0;
		for (size_t k = 0; k + 2 < hl && u + 1 < sizeof unfolded; k++) {
			if (rep->header[k] == '\r' || rep->header[k] == '\n')
				continue;
			unfolded[u++] = rep->header[k] == '\t' ? ' ' : rep->header[k];
		}
		unfolded[u] = '\0';
		fields_add(&f, 0, "authentication_results", "%s", unfolded);
		snprintf(summary, sizeof summary, "Stored with Authentication-Results: spf=%s dkim=%s dmarc=%s",
			 auth_result_name(sp->result), auth_result_name(dk->result), auth_result_name(dm->result));
		snprintf(narration, sizeof narration,
			 "The MX writes its verdicts into an Authentication-Results header (RFC 8601) on top of the "
			 "stored message, where the reader's mail program and filters find them.");
		auth_event(r, link, rcv->self, AUTH_STORED, dm->result, &f, stored, summary, narration);
		free(stored);
		free(rep);
	}
	return NULL;
}

/* After hop 1: hop 2 when the scenario has a route, the attacker's later work, the
 * outcome and the ledger. A failure is the run's (run_failed), but for hop 2 that could
 * not be set up: then -1 with err. */
static int run_tail(struct run_ctx *r, struct run_result *out, char *err, size_t errcap)
{
	const struct scenario *sc = r->sc;
	/* With a route, the server relays what it accepted: hop 2. */
	const struct smtp_server_message *to_relay = sc->has_route && !run_failed(r) ? message_to_relay(r) : NULL;
	if (to_relay) {
		r->now += ROUND_US;
		if (relay_open(r, to_relay, err, errcap))
			return -1;
		run_rounds(r, &r->relay, &r->mx);
		if (!run_failed(r))
			relay_policy_at_end(r, &r->relay);
	}

	if (r->mitm && !run_failed(r))
		mitm_finish(r->mitm);
	if (!run_failed(r)) {
		struct outcome_actors act = {
			.client = r->client.smtp, .server = r->server.smtp,
			.client_tls_err = r->client.conn.tls_err, .server_tls_err = r->server.conn.tls_err,
			.body = r->body, .body_len = r->body_len,
			.attacker_mailbox = sc->mitm.attack ? sc->mitm.mailbox : NULL,
			.route = sc->has_route, .relay = r->relay.smtp, .mx = r->mx.smtp,
			.relay_tls_err = r->relay.conn.tls_err, .mx_tls_err = r->mx.conn.tls_err,
			.relay_body = r->relay_body, .relay_body_len = r->relay_body_len,
		};
		outcome_from_actors(&out->outcome, &act);
		if (r->mitm && (out->outcome.mitm_err = mitm_tls_error(r->mitm)))
			snprintf(out->outcome.mitm_error, sizeof out->outcome.mitm_error, "%s: %s",
				 tls_error_name(out->outcome.mitm_err), tls_error_explain(out->outcome.mitm_err));
		if (ledger_build(&out->ledger, &out->trace))
			run_fail(r, RUN_ENOMEM, "building the knowledge ledger");
		else
			outcome_from_trace(&out->trace, &out->ledger, &out->outcome);
	}
	return 0;
}

/* A run's state for sc, on out's trace; live is NULL for a simulated run. */
static struct run_ctx *ctx_new(const struct scenario *sc, const struct run_pki *pki, const struct run_options *opt,
			       struct run_result *out, const struct run_live *live)
{
	struct run_ctx *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->sc = sc;
	r->opt = opt;
	r->trace = &out->trace;
	r->seed = out->seed;
	r->live = live;
	r->live_client = live && live->client_fd >= 0;
	r->live_server = live && live->server_fd >= 0;
	/* In the path: a link of its own each side. A tap copies the one client-server link. */
	int tap = sc->mitm.attack && (sc->mitm.attack->flags & ATTACK_F_TAP);
	r->mitm_present = sc->mitm.attack != NULL && !tap;
	r->mitm_hop = sc->mitm.attack ? sc->mitm.hop : 0;
	/* A real client's message is its own: there is no body to compare it with. */
	r->body = r->live_client ? NULL : opt->body ? opt->body : (const uint8_t *)sc->client.body;
	r->body_len = r->live_client ? 0 : opt->body ? opt->body_len : strlen(sc->client.body);
	r->pki = pki;
	return r;
}

int run_scenario(const struct scenario *sc, const struct run_pki *pki, const struct run_options *opt,
		 struct run_result *out, char *err, size_t errcap)
{
	static const struct run_options no_options;
	if (!opt)
		opt = &no_options;
	memset(out, 0, sizeof *out);
	const char *missing = pki_missing(sc, pki);
	if (missing) {
		snprintf(err, errcap, "%s: %s", run_error_name(RUN_PKI), missing);
		return -1;
	}
	trace_init(&out->trace);
	out->trace.max_stored = opt->max_stored;
	out->trace.pool = opt->pool;
	out->seed = opt->has_seed ? opt->seed : sc->seed;

	struct run_ctx *r = ctx_new(sc, pki, opt, out, NULL);
	if (!r) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	if (sc->client.dkim_sign && !opt->body)
		mail_sign(r, r->mitm_present && r->mitm_hop == 1 ? LINK_CLIENT_MITM : LINK_CLIENT_SERVER);
	if (run_failed(r)) {
		snprintf(err, errcap, "%s", r->err);
		run_ctx_free(r);
		free(r);
		trace_free(&out->trace);
		return -1;
	}

	if (attempt_open(r, sc->server.port, sc->client.tls, sc->server.mode, sc->server.auth_required, 0, err,
			 errcap)) {
		run_ctx_free(r);
		free(r);
		trace_free(&out->trace);
		return -1;
	}
	run_rounds(r, &r->client, &r->server);
	/* A client with the port-fallback quirk whose TLS failed tries the next port: a new
	 * TCP connection, a fresh client with the weaker policy, and the server that answers
	 * on that port (465 implicit TLS, 587 STARTTLS, 25 STARTTLS as a relay). */
	enum smtp_client_tls next_tls;
	unsigned next;
	for (int attempt = 1; attempt < 3 && !run_failed(r) && (next = smtp_client_fallback(r->client.smtp, &next_tls));
	     attempt++) {
		attempt_close(r);
		r->now += ROUND_US;
		enum smtp_server_mode mode = next == 465 ? SMTP_SERVER_IMPLICIT : SMTP_SERVER_STARTTLS;
		if (attempt_open(r, next, next_tls, mode, sc->server.auth_required && next != 25, attempt, err, errcap)) {
			run_ctx_free(r);
			free(r);
			trace_free(&out->trace);
			return -1;
		}
		run_rounds(r, &r->client, &r->server);
	}

	if (run_tail(r, out, err, errcap)) {
		run_ctx_free(r);
		free(r);
		ledger_free(&out->ledger);
		trace_free(&out->trace);
		return -1;
	}
	int failed = run_failed(r);
	if (failed)
		snprintf(err, errcap, "%s", r->err);
	run_ctx_free(r);
	free(r);
	if (failed) {
		ledger_free(&out->ledger);
		trace_free(&out->trace);
		return -1;
	}
	return 0;
}

void run_result_free(struct run_result *res)
{
	ledger_free(&res->ledger);
	trace_free(&res->trace);
	memset(res, 0, sizeof *res);
}

/* ---- live mode ---- */

#define LIVE_IDLE_US (60ull * 1000000)
#define LIVE_TOTAL_US (600ull * 1000000)
#define LIVE_MAX_BYTES (64ull << 20)
#define LIVE_LINGER_US 1000000ull
#define LIVE_MAX_EVENTS 20000

struct run_session {
	struct run_ctx *r;
	struct run_result res;
	struct run_options opt;
	struct run_live live;
	int limited;           /* a limit closed it (noted once) */
	int over;
};

/* A sentence in the trace about the live session itself (who is real, a limit reached). */
static void live_note(struct run_ctx *r, enum trace_link link, enum trace_actor who, const char *text)
{
	actor_note(r, link, who, SMTP_NOTE_INFO, text);
}

int run_live_start(const struct scenario *sc, const struct run_pki *pki, const struct run_live *live,
		   struct run_session **out, char *err, size_t errcap)
{
	*out = NULL;
	if (!live || (live->client_fd < 0 && live->server_fd < 0)) {
		snprintf(err, errcap, "a live run needs a real client or a real server");
		return -1;
	}
	const char *missing = pki_missing(sc, pki);
	if (missing) {
		snprintf(err, errcap, "%s: %s", run_error_name(RUN_PKI), missing);
		return -1;
	}
	struct run_session *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	s->live = *live;
	if (!s->live.idle_us)
		s->live.idle_us = LIVE_IDLE_US;
	if (!s->live.total_us)
		s->live.total_us = LIVE_TOTAL_US;
	if (!s->live.max_bytes)
		s->live.max_bytes = LIVE_MAX_BYTES;
	if (!s->live.max_events)
		s->live.max_events = LIVE_MAX_EVENTS;
	trace_init(&s->res.trace);
	s->res.trace.pool = live->pool;
	s->res.seed = sc->seed;
	s->r = ctx_new(sc, pki, &s->opt, &s->res, &s->live);
	if (!s->r) {
		free(s);
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	struct run_ctx *r = s->r;
	/* What the real peer does on the port decides the modes the others see: a real client
	 * on an implicit-TLS server speaks TLS from the first byte; a real server is taken to
	 * be what the client expects. */
	enum smtp_client_tls ctls = sc->client.tls;
	enum smtp_server_mode smode = sc->server.mode;
	if (r->live_client)
		ctls = smode == SMTP_SERVER_IMPLICIT ? SMTP_CLIENT_TLS_IMPLICIT : sc->client.tls;
	if (r->live_server)
		smode = ctls == SMTP_CLIENT_TLS_IMPLICIT ? SMTP_SERVER_IMPLICIT : SMTP_SERVER_STARTTLS;
	if (sc->client.dkim_sign && !r->live_client)
		mail_sign(r, r->mitm_present && r->mitm_hop == 1 ? LINK_CLIENT_MITM : LINK_CLIENT_SERVER);
	enum trace_link first = r->mitm_present && r->mitm_hop == 1 ? LINK_CLIENT_MITM : LINK_CLIENT_SERVER;
	char text[400];
	if (r->live_client) {
		snprintf(text, sizeof text,
			 "Live: a real mail client connected from %s. It plays the client; the trace shows it at the "
			 "client's address, dialling the server's port %u, as in every run of this scenario.",
			 live->client_addr ? live->client_addr : "a TCP socket", sc->server.port);
		live_note(r, first, ACTOR_CLIENT, text);
	}
	if (r->live_server) {
		snprintf(text, sizeof text,
			 "Live: the server is a real mail server at %s. The trace shows it at the server's address "
			 "and port %u, as in every run of this scenario.",
			 live->server_addr ? live->server_addr : "a TCP socket", sc->server.port);
		live_note(r, first, ACTOR_SERVER, text);
	}
	if (!run_failed(r) &&
	    attempt_open(r, sc->server.port, ctls, smode, sc->server.auth_required, 0, err, errcap) == 0 &&
	    !run_failed(r)) {
		*out = s;
		return 0;
	}
	if (run_failed(r))
		snprintf(err, errcap, "%s", r->err);
	run_ctx_free(r);
	free(r);
	trace_free(&s->res.trace);
	free(s);
	return -1;
}

int run_live_pollfds(const struct run_session *s, struct pollfd *pfd)
{
	int n = 0;
	const struct run_ctx *r = s->r;
	if (s->over)
		return 0;
	/* A socket waiting for nothing is left out: a closed one would wake poll at once. */
	if (r->live_client && sock_end_events(&r->client_sock))
		pfd[n++] = (struct pollfd){ .fd = r->client_sock.fd, .events = sock_end_events(&r->client_sock) };
	if (r->live_server && sock_end_events(&r->server_sock))
		pfd[n++] = (struct pollfd){ .fd = r->server_sock.fd, .events = sock_end_events(&r->server_sock) };
	return n;
}

/* A peer that does not read its replies gets no more of them: its bytes wait in its
 * socket (not in our memory) until it takes what we sent. */
static int sock_step(struct run_ctx *r, struct sock_end *e)
{
	int progress = sock_end_pump(e);
	if (progress < 0) {
		run_fail(r, RUN_ENOMEM, "tracing a real peer's end of the connection");
		return 0;
	}
	return progress;
}

/* Closes both ends because a limit was reached, and says so in the trace. */
static void live_limit(struct run_session *s, const char *why)
{
	struct run_ctx *r = s->r;
	s->limited = 1;
	char text[300];
	snprintf(text, sizeof text,
		 "Live: the session is closed: %s. A real server bounds what one peer may cost it, in time, "
		 "in bytes and in connections.", why);
	enum trace_link first = r->mitm_present && r->mitm_hop == 1 ? LINK_CLIENT_MITM : LINK_CLIENT_SERVER;
	live_note(r, first, r->live_client ? ACTOR_SERVER : ACTOR_CLIENT, text);
	if (r->live_client)
		sock_end_abort(&r->client_sock);
	if (r->live_server)
		sock_end_abort(&r->server_sock);
}

/* Every real peer is gone (both ways). */
static int live_peers_done(const struct run_ctx *r)
{
	return (!r->live_client || sock_end_done(&r->client_sock)) && (!r->live_server || sock_end_done(&r->server_sock));
}

/* What one session may cost: closed (once, with a note) when a limit is reached. */
static void live_limits(struct run_session *s)
{
	struct run_ctx *r = s->r;
	if (s->limited || live_peers_done(r))
		return;
	uint64_t last = 0, in = 0;
	if (r->live_client) {
		last = r->client_sock.last_io_us;
		in += r->client_sock.bytes_in;
	}
	if (r->live_server) {
		if (r->server_sock.last_io_us > last)
			last = r->server_sock.last_io_us;
		in += r->server_sock.bytes_in;
	}
	char why[160];
	if (r->now - last >= s->live.idle_us)
		snprintf(why, sizeof why, "no byte moved for %llu s", (unsigned long long)(s->live.idle_us / 1000000));
	else if (r->now >= s->live.total_us)
		snprintf(why, sizeof why, "it lasted %llu s, the most one session may",
			 (unsigned long long)(s->live.total_us / 1000000));
	else if (r->trace->n >= s->live.max_events)
		snprintf(why, sizeof why, "its trace reached %zu events", s->live.max_events);
	else if (in > s->live.max_bytes)
		snprintf(why, sizeof why, "the peer sent more than %llu MiB", (unsigned long long)(s->live.max_bytes >> 20));
	else
		return;
	live_limit(s, why);
}

/* Rounds until nothing moves (bounded: a real peer may keep sending; the caller polls
 * again), the limits checked every round. Returns 1 when anything moved. */
static int live_pump(struct run_session *s)
{
	struct run_ctx *r = s->r;
	int any = 0;
	int progress = 1;
	for (int round = 0; progress && !run_failed(r) && round < 1000; round++) {
		progress = 0;
		if (r->live_client)
			progress |= sock_step(r, &r->client_sock);
		else
			progress |= client_step(&r->client);
		if (r->mitm)
			progress |= mitm_step(r->mitm);
		if (r->live_server)
			progress |= sock_step(r, &r->server_sock);
		else
			progress |= conn_pump(&r->server.conn);
		check_conn(r, &r->client.conn);
		check_conn(r, &r->server.conn);
		live_limits(s);
		any |= progress;
	}
	return any;
}

int run_live_step(struct run_session *s, uint64_t now_us)
{
	struct run_ctx *r = s->r;
	if (s->over)
		return 0;
	if (now_us > r->now)
		r->now = now_us;
	int progress = live_pump(s);
	/* Our side said all it had to say and closed: a peer that does not close in turn
	 * within a second is not waited for (as a real client or server would not). */
	if (r->live_client)
		sock_end_linger(&r->client_sock, LIVE_LINGER_US);
	if (r->live_server)
		sock_end_linger(&r->server_sock, LIVE_LINGER_US);
	live_limits(s);
	/* Over once every real peer is gone and the simulated ends have nothing left to do. */
	if (run_failed(r) || (live_peers_done(r) && !progress))
		s->over = 1;
	return !s->over;
}

void run_live_stop(struct run_session *s, const char *why)
{
	if (!s->over && !s->limited)
		live_limit(s, why);
}

const struct trace *run_live_trace(const struct run_session *s)
{
	return &s->res.trace;
}

int run_live_finish(struct run_session *s, struct run_result *out, char *err, size_t errcap)
{
	struct run_ctx *r = s->r;
	memset(out, 0, sizeof *out);
	/* What is still in flight inside the process settles (no socket is read any more). */
	if (!run_failed(r) && r->live_client)
		sock_end_abort(&r->client_sock);
	if (!run_failed(r) && r->live_server)
		sock_end_abort(&r->server_sock);
	for (int i = 0; i < 100 && !run_failed(r) && live_pump(s); i++)
		;
	int failed = run_tail(r, &s->res, err, errcap) != 0;
	if (!failed && run_failed(r)) {
		snprintf(err, errcap, "%s", r->err);
		failed = 1;
	}
	run_ctx_free(r);
	free(r);
	if (failed) {
		ledger_free(&s->res.ledger);
		trace_free(&s->res.trace);
	} else {
		*out = s->res;
	}
	free(s);
	return failed ? -1 : 0;
}
