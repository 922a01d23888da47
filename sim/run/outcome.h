/* outcome: what a run came to. Two halves, made apart: the actors' final state, taken
 * when the run ends (outcome_from_actors), and what follows from the trace and its
 * ledger alone (outcome_from_trace) — TLS per link from the sessions, the alerts, what
 * each reader learned, the key theft — so the second half is the same whatever the
 * events' prose says. And the check of a scenario's [expect] against it. */
#ifndef SIM_OUTCOME_H
#define SIM_OUTCOME_H

#include <stddef.h>
#include <stdint.h>

#include "sim/trace/ledger.h"
#include "sim/run/scenario.h"
#include "sim/trace/trace.h"

struct smtp_client;
struct smtp_server;

#define OUTCOME_TEXT_MAX 256
#define OUTCOME_MAX_ALERTS 8
#define OUTCOME_MAX_RECEIVED 4

struct outcome_alert {
	enum trace_link link;
	enum trace_actor from;
	char name[48];                   /* "handshake_failure" */
	int fatal;
};

/* What a run came to. The first part is the actors' final state, taken when the run ends;
 * the rest is made from the trace and its ledger alone (outcome_from_trace), so it is the
 * same whatever the events' prose says. */
struct outcome {
	/* the actors' final state */
	int delivered;                   /* the server accepted the message */
	int altered;                     /* what was delivered differs from what the client sent */
	/* from the trace: TLS per link, from the sessions */
	unsigned links;                  /* bit (1 << enum trace_link) per link the run used */
	int tls[LINK_COUNT];             /* per link: a TLS session is established across it */
	char tls_version[LINK_COUNT][16];  /* per link, when established: "TLS 1.2" */
	char tls_suite[LINK_COUNT][64];    /* per link, when established */
	enum trace_actor tls_client_end[LINK_COUNT], tls_server_end[LINK_COUNT];  /* the session's two ends */
	int tls_relayed[LINK_COUNT];     /* the session runs end to end through a relaying attacker */
	int client_err, server_err, mitm_err;   /* BearSSL error codes, 0 = none */
	char client_error[OUTCOME_TEXT_MAX];    /* why the client stopped, or "" */
	char server_error[OUTCOME_TEXT_MAX];
	char mitm_error[OUTCOME_TEXT_MAX];
	struct outcome_alert alerts[OUTCOME_MAX_ALERTS];
	size_t nalerts;
	struct knowledge observer;       /* a passive observer of every link (from the ledger) */
	struct knowledge attacker;       /* the man in the middle, when present */
	struct knowledge thief;          /* a later key thief, when the run has a key theft */
	int mitm_present, has_thief;
	int to_attacker;                 /* messages the server stored for the attacker's own mailbox */
	enum trace_link client_link;     /* the link the client dialled (through the attacker, or straight) */
	enum trace_link server_link;     /* the link the server answered on */
	int injected;                    /* injected commands or replies that took effect (actor state) */
	int injected_refused;            /* of the injected commands, those the server refused (4xx/5xx) */
	int decrypted_later;             /* the recorded session was opened after the key theft */
	/* from the trace: the receiving MX's verdicts on the first message it accepted
	 * (TK_MAIL_AUTH events), when the scenario has a [dns] section */
	int mail_checked;
	int mail_rejected;               /* the receiver refused it at the end of DATA (a DMARC reject) */
	enum auth_result spf, dkim, dmarc;
	enum auth_policy dmarc_policy;       /* what the From: domain publishes (p=) */
	enum auth_policy dmarc_disposition;  /* what that policy asks for this message */
	char auth_results[512];          /* the Authentication-Results header, unfolded */
	/* With a route (the server relays to the recipient's MX): delivered means the MX
	 * accepted the message; submitted that the server did. */
	int route;
	int submitted;
	int relayed;                     /* the server tried hop 2 (it had a message to relay) */
	enum trace_link relay_link;      /* the link the relaying server dialled */
	int relay_err;                   /* BearSSL code of the relay's TLS failure, 0 = none */
	char relay_error[OUTCOME_TEXT_MAX];  /* why the relay stopped, or "" */
	/* The Received: lines of the delivered message, hop 1 first (the reverse of their
	 * order in the header), unfolded; and each one's protocol (RFC 3848). */
	char received[OUTCOME_MAX_RECEIVED][512];
	char received_with[OUTCOME_MAX_RECEIVED][8];
	size_t nreceived;
	struct knowledge hop_observer[2];  /* a passive observer of every link of hop 1, of hop 2 */
	/* from the trace: the relay's TLS policy decision (TK_POLICY), with a route */
	int policy_decided;
	int policy_kind;                 /* enum relay_policy_kind */
	int policy_action;               /* enum mtasts_action */
	int deferred;                    /* the policy kept the message in the server's queue */
	int bounced;                     /* a REQUIRETLS message returned to its sender (5.7.30) */
	char policy_result[40];          /* RFC 8460 result type, or "success" */
	char policy_mode[16];            /* MTA-STS mode, or "" */
	char summary[1536];              /* the outcome in plain words, several sentences */
};

/* The actors' final state a run hands to outcome_from_actors. */
struct outcome_actors {
	const struct smtp_client *client;
	const struct smtp_server *server;
	int client_tls_err, server_tls_err;   /* BearSSL codes, 0 = none */
	const uint8_t *body;                  /* what the client sent; NULL: a real client (live) */
	size_t body_len;
	const char *attacker_mailbox;         /* the attacker's own address on the server, or NULL */
	/* With a route: the relaying server's client, the MX, and what the relay sent. */
	int route;
	const struct smtp_client *relay;      /* NULL when hop 2 never ran */
	const struct smtp_server *mx;
	int relay_tls_err, mx_tls_err;
	const uint8_t *relay_body;
	size_t relay_body_len;
};

/* Sets o (all of it zeroed first) from the actors' final state. */
void outcome_from_actors(struct outcome *o, const struct outcome_actors *a);
/* Fills the trace-made part of o (TLS, alerts, what each reader learned, the key theft)
 * and the summary, from the trace and its ledger only; the actors' part of o must be set. */
void outcome_from_trace(const struct trace *t, const struct ledger *lg, struct outcome *o);

/* Compares the outcome with sc->expect. Writes one line per unmet expectation into
 * report (may be NULL). Returns 1 when every expectation holds. */
int run_check_expect(const struct scenario *sc, const struct outcome *o, char *report, size_t cap);

#endif
