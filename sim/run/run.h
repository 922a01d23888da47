/* run: the scheduler. Builds the actors a scenario names, joins them with pipes, moves
 * bytes between them in a fixed order until nothing moves, records the trace and derives
 * the outcome. A run is a pure function of (scenario, PKI, seed): it reads no file and no
 * environment variable; the caller loads the certificates and keys first (run_pki_load). */
#ifndef SIM_RUN_H
#define SIM_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "sim/trace/ledger.h"
#include "sim/run/outcome.h"
#include "sim/wire/pki.h"
#include "sim/run/scenario.h"
#include "sim/trace/trace.h"

struct run_result {
	struct trace trace;
	struct ledger ledger;            /* who knows what, made from the trace */
	struct outcome outcome;
	uint64_t seed;
};

/* The certificates and keys a scenario names, loaded before the run: all the file
 * reading a run needs. A caller that runs one scenario many times (benchmarks) loads
 * them once and passes the same PKI to every run. */
struct run_pki {
	struct pki_anchors anchors;     /* the client's trust anchors */
	struct pki_chain server_chain;
	struct pki_key server_key;
	struct pki_chain mitm_chain;    /* the attacker's own certificate, when it has one */
	struct pki_key mitm_key;
	struct pki_key stolen_key;      /* record: the key the attacker steals later (mitm.stolen_key,
					 * else the server's own key) */
	char *dkim_key_pem;             /* client.dkim_sign: the DKIM private key, PEM text */
	/* With a route: the relay's trust anchors and the MX's certificate and key. */
	struct pki_anchors relay_anchors;
	struct pki_chain mx_chain;
	struct pki_key mx_key;
};

/* Loads what sc needs: the anchors and the server's chain and key always; the
 * attacker's chain and key when sc has an attacker; the stolen key when the attacker
 * records. Returns 0, or -1 with "FILE: problem" in err (pki is then empty). */
int run_pki_load(const struct scenario *sc, struct run_pki *pki, char *err, size_t errcap);
void run_pki_free(struct run_pki *pki);

/* Why a run failed. A run stops at its first error (the others are consequences) and
 * run_scenario reports it as "name: detail". Not to be confused with the lesson's own
 * failures (a refused certificate, a tampered record): those are the run's result. */
enum run_error {
	RUN_OK = 0,
	RUN_ENOMEM,          /* out of memory while tracing, queueing or recording */
	RUN_ROUND_LIMIT,     /* the actors were still moving bytes after max_rounds rounds */
	RUN_TLS_SETUP,       /* a TLS endpoint could not be set up */
	RUN_PKI,             /* the PKI passed in does not hold what the scenario needs */
	RUN_MAIL_AUTH,       /* the DKIM signature or the receiver's checks could not be set up */
	RUN_ERROR_COUNT
};

/* "out of memory", "no end after the round limit", ... (one table, in run.c). */
const char *run_error_name(enum run_error e);

struct run_options {
	uint64_t seed;          /* overrides the scenario's seed when has_seed */
	int has_seed;
	size_t max_stored;      /* trace_max_stored; 0 = keep everything */
	const uint8_t *body;    /* overrides the client's body (benchmarks) */
	size_t body_len;
	long max_rounds;        /* scheduler rounds before the run fails; 0 = the default (a safety net) */
	struct trace_pool *pool; /* lent to the run's trace (trace.h), or NULL */
};

/* Runs sc with pki, loaded by run_pki_load for sc (or for a scenario with the same
 * files and at least the same actors); opt may be NULL. Returns 0 with *out filled (free
 * with run_result_free), or -1 with a one-line message in err ("out of memory: ...", a
 * run that does not end, a pki that lacks what sc needs); *out is then empty. */
int run_scenario(const struct scenario *sc, const struct run_pki *pki, const struct run_options *opt,
		 struct run_result *out, char *err, size_t errcap);
void run_result_free(struct run_result *r);

/* ---- live mode: real TCP peers (serve, connect, proxy) ----
 * The same actors and the same trace as a simulated run, but one end of hop 1 (or both)
 * is a real peer on a connected, non-blocking socket. The scheduler then runs on real
 * time, a step at a time, between the caller's polls. A live run is not deterministic:
 * it is a recording. Hop 2, when the scenario has a route, is simulated at the end. */
struct run_live {
	int client_fd;          /* >= 0: a real client dialled in and plays the client */
	int server_fd;          /* >= 0: a real server we dialled plays the server */
	const char *client_addr; /* where they are, for the trace ("127.0.0.1:40312") */
	const char *server_addr;
	uint64_t idle_us;       /* closed after this long without a byte moving (0: 60 s) */
	uint64_t total_us;      /* closed after this long in all (0: 10 minutes) */
	uint64_t max_bytes;     /* closed once a peer has sent this many bytes (0: 64 MiB) */
	size_t max_events;      /* closed once the trace holds this many events (0: 20000): what
				 * bounds its memory when a peer sends many small commands */
	struct trace_pool *pool; /* lent to the session's trace (trace.h), or NULL */
};

struct run_session;
struct pollfd;

/* Starts a live run of sc. Returns 0 with *out set, or -1 with a one-line message in err;
 * the sockets stay the caller's (to close after run_live_finish). */
int run_live_start(const struct scenario *sc, const struct run_pki *pki, const struct run_live *live,
		   struct run_session **out, char *err, size_t errcap);
/* The sockets to wait on and for what: fills up to 2 entries of pfd, returns how many. */
int run_live_pollfds(const struct run_session *s, struct pollfd *pfd);
/* Moves everything that can move now; now_us is the real time since the run started.
 * Returns 1 while the run goes on, 0 once it is over (both peers closed, a limit reached,
 * or a failure that run_live_finish reports). */
int run_live_step(struct run_session *s, uint64_t now_us);
/* Ends the run where it stands, for the reason given (a sentence's end: "the server was
 * stopped"), which the trace notes: the connections are closed. */
void run_live_stop(struct run_session *s, const char *why);
/* The trace so far, to show while the run goes on (valid until the next step). */
const struct trace *run_live_trace(const struct run_session *s);
/* Finishes the run: hop 2 when the scenario has a route, the outcome and the ledger, into
 * *out (free with run_result_free). Frees s. Returns 0, or -1 with err (*out empty). */
int run_live_finish(struct run_session *s, struct run_result *out, char *err, size_t errcap);



#endif
