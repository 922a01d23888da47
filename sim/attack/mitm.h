/* mitm: the relay — the attacker between the client and the server, or (a tap) beside
 * their one connection. Whoever runs it (the scheduler) gives it a mitm_env — its links,
 * the clock, the trace, its attack (sim/attack/attack.h), configuration and keys, and a
 * way to fail the run — and steps it; the attacker reaches nothing else, so it depends on
 * no scheduler. What it does to the session is the attack's; the relay only moves bytes
 * and calls the attack's hooks. */
#ifndef SIM_MITM_H
#define SIM_MITM_H

#include <stddef.h>
#include <stdint.h>

#include "sim/attack/attack.h"
#include "sim/link/conn.h"
#include "sim/wire/pki.h"
#include "sim/wire/tls.h"
#include "sim/trace/trace.h"

struct mitm_env {
	struct trace *trace;
	uint64_t *now;                         /* the virtual clock (the replay moves it on) */
	struct link *client_link, *server_link;  /* a tap: both the one client-server link */
	const struct attack *attack;
	const char *inject;                    /* lines to inject, \n separated; NULL: the lesson's own */
	unsigned tamper_record;                /* which encrypted record from the client to tamper with */
	int client_implicit, server_implicit;  /* each end speaks TLS from the first byte */
	unsigned port;                         /* the port the client dialled */
	int again;                             /* not the run's first connection (a client's fallback) */
	struct tls_config as_server, as_client; /* its two TLS ends when it intercepts, keys filled in */
	const struct pki_key *stolen_key;      /* record: the server's key, stolen later */
	/* Its own account on the server, as any customer could have ([mitm] account,
	 * mailbox): NULL when it has none. */
	const char *account_user, *account_password, *mailbox_address;
	/* Later, logged in to that account: the i-th message the server delivered to the
	 * address (dot-unstuffed), or NULL. */
	const uint8_t *(*mailbox)(void *ctx, const char *address, size_t i, size_t *len);
	/* Fails the run (the first failure wins there); oom: out of memory, else TLS set-up. */
	void (*fail)(void *ctx, int oom, const char *msg);
	void *ctx;
	/* Live mode: the client's leg (client_live) or the server's leg ends at a real TCP
	 * peer, whose bytes the attacker's conn traces as it reads them. */
	int client_live, server_live;
};

struct mitm;

/* Joins the two links and writes the opening note. Returns NULL with err on failure. */
struct mitm *mitm_new(const struct mitm_env *env, char *err, size_t errcap);
void mitm_free(struct mitm *m);
/* Moves whatever the attacker can move now; 1 when anything happened. */
int mitm_step(struct mitm *m);
/* A tap's copy of bytes written on its link (up: client to server). */
void mitm_tap(struct mitm *m, int up, const uint8_t *p, size_t n);
/* After the session: what the attacker does later with what it recorded. */
void mitm_finish(struct mitm *m);
/* The attacker's own TLS failure (BearSSL's code), 0 when none. */
int mitm_tls_error(const struct mitm *m);

/* The pure helpers of the attacks, tested and fuzzed on their own. */

/* Rewrites a complete EHLO reply (every line with CRLF) without its STARTTLS line,
 * keeping the reply well-formed: when STARTTLS was the last line, the new last line
 * gets "250 " instead of "250-". Writes the result into out (cap >= n is enough).
 * Returns the new length; n when there was nothing to strip; (size_t)-1 when the input
 * is not a multi-line 250 reply. */
size_t mitm_strip_ehlo(const char *reply, size_t n, char *out, size_t cap);

#endif
