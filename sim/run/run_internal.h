/* run_internal: the scheduler's state, private to run.c (tests may look in). The
 * attacker gets a mitm_env instead. Views never see this: they get the trace, the ledger
 * and the outcome. */
#ifndef SIM_RUN_INTERNAL_H
#define SIM_RUN_INTERNAL_H

#include "sim/link/conn.h"
#include "sim/link/sock.h"
#include "sim/attack/mitm.h"
#include "sim/wire/pki.h"
#include "sim/run/run.h"
#include "sim/run/relay_policy.h"
#include "sim/smtp/smtp_client.h"
#include "sim/smtp/smtp_server.h"

struct run_ctx;

/* An SMTP client on one hop: the user's client on hop 1, the sending server relaying on
 * hop 2. Its TLS settings are its own. */
struct client_actor {
	struct run_ctx *run;
	enum trace_actor self;
	struct conn conn;
	struct smtp_client *smtp;
	struct smtp_client_config cfg;
	int tls_started;
	int tls_up;                          /* its handshake completed */
	const struct scenario_tls *tls_opt;
	const struct pki_anchors *anchors;
	enum tls_verify verify;
	const char *server_name;             /* the name it expects (SNI, host-name check) */
	const char *label;                   /* "client", "relay" */
};

/* An SMTP server on one hop: the submission server on hop 1, the recipient's MX on hop 2. */
struct server_actor {
	struct run_ctx *run;
	enum trace_actor self;
	struct conn conn;
	struct smtp_server *smtp;
	struct smtp_server_config cfg;
	int tls_started;
	const struct scenario_tls *tls_opt;
	const struct pki_chain *chain;
	const struct pki_key *key;
	const char *label;                   /* "server", "mx" */
	char refusal[320];                   /* the reply check_message refused a message with */
};


struct run_ctx {
	const struct scenario *sc;
	const struct run_options *opt;
	struct trace *trace;
	uint64_t now;          /* virtual time, microseconds */
	uint64_t seed;
	struct link links[LINK_COUNT];  /* indexed by enum trace_link */
	int mitm_present;      /* an attacker in the path (not a tap), on hop mitm_hop */
	int mitm_hop;
	const struct run_pki *pki;           /* the caller's: the run loads nothing */
	struct client_actor client;
	struct server_actor server;
	/* Hop 2, with a route: the server relays to the MX. */
	struct client_actor relay;
	struct server_actor mx;
	uint8_t *relay_body;                 /* what the relay sends: its Received: line and the message */
	size_t relay_body_len;
	int relayed;                         /* hop 2 ran */
	enum trace_link relay_link;          /* the link the relay dials */
	struct relay_policy policy;          /* MTA-STS / DANE as the relay found them */
	struct mitm *mitm;
	const uint8_t *body;                 /* what the client sends */
	size_t body_len;
	uint8_t *signed_body;                /* the body with its DKIM-Signature (owned), when signed */
	/* Live mode: real TCP peers play the client, the server, or both (NULL: simulated). */
	const struct run_live *live;
	int live_client, live_server;
	struct sock_end client_sock, server_sock;
	/* The run's sticky error: set only by run_fail, the first one wins. */
	enum run_error error;
	char err[256];                       /* "name: detail", when error is set */
};

/* Fails the run: records code and the message (printf-style detail after the code's
 * name) unless the run has already failed. The scheduler stops at the end of the
 * round, and run_scenario returns -1 with the message. */
void run_fail(struct run_ctx *r, enum run_error code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The run has failed (any later work is moot). */
int run_failed(const struct run_ctx *r);

/* The relay's policy (relay_policy.c): the lookups before hop 2 (for msg: its first
 * recipient's domain, its REQUIRETLS tag and TLS-Required header), the check once its TLS is up (returns 0 to stop: the
 * message is deferred), and the decision when hop 2 ended without TLS. */
void relay_policy_lookup(struct run_ctx *r, const struct smtp_server_message *msg);
int relay_policy_after_tls(struct run_ctx *r, struct client_actor *a);
void relay_policy_at_end(struct run_ctx *r, const struct client_actor *a);

/* The TLS settings of an actor as the scenario gives them. */
void run_tls_config(const struct run_ctx *r, struct tls_config *cfg, int is_server,
		    const struct scenario_tls *opt, const char *label);


#endif
