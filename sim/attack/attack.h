/* attack: the attacker's behaviours as plug-ins. Each attack is one file in sim/attack/
 * holding one `const struct attack`, listed once in attack_list.h; the relay (mitm.c)
 * calls its hooks as the session crosses it and does everything else itself — reading
 * lines, replies and records, relaying them, terminating TLS when asked. A scenario's
 * `[mitm] behaviour =` names come from this table.
 *
 * Adding an attack: write sim/attack/NAME.c defining `const struct attack attack_NAME`,
 * add ATTACK(NAME) to attack_list.h. Nothing else names it. */
#ifndef SIM_ATTACK_H
#define SIM_ATTACK_H

#include <stddef.h>
#include <stdint.h>

#include "sim/smtp/smtp_sink.h"
#include "sim/wire/pki.h"
#include "sim/trace/trace.h"

struct mitm;

enum attack_flags {
	/* Not in the path: a passive tap copies the one client-server connection. The
	 * attacker opens no connection of its own and cannot change a byte. */
	ATTACK_F_TAP = 1u << 0,
	/* Keeps every TLS record that crosses, for at_end (mitm_recording). */
	ATTACK_F_RECORDS = 1u << 1,
	/* Needs the server's private key, stolen later ([mitm] stolen_key). */
	ATTACK_F_STOLEN_KEY = 1u << 2,
	/* May end TLS sessions itself (mitm_intercept, mitm_starttls_upstream): a TLS
	 * session on the path is then not the client's and the server's alone. */
	ATTACK_F_TLS_END = 1u << 3,
	/* Presents the real server's certificate chain (public: anyone who connects gets a
	 * copy) with a key of its own, since it has not the server's. */
	ATTACK_F_SERVER_CHAIN = 1u << 4,
	/* Works on the client's own connection only (hop 1): it needs the client's password
	 * or the submission server's chain, key or accounts. */
	ATTACK_F_HOP1_ONLY = 1u << 5,
};

/* Which leg of the path: towards the client or towards the server. */
enum mitm_leg { MITM_LEG_CLIENT, MITM_LEG_SERVER };

struct attack {
	const char *name;     /* as written in a scenario file: "strip-starttls" */
	const char *does;     /* one line for `list -v` and the interface: what it does */
	const char *intro;    /* the opening note: where the attacker sits, ready for what */
	const char *intro_hop2; /* the same on hop 2, where the peers are the sending server and
				 * the MX; NULL: intro (whose "client" and "server" then mean them) */
	unsigned flags;       /* ATTACK_F_* */
	/* Its own certificate chain and key when the scenario names none (files in the
	 * catalogue's certs/); NULL: the self-signed look-alike. */
	const char *certificate, *key;
	size_t state_size;    /* bytes of zeroed state the relay keeps for it (mitm_state) */

	/* Every hook may be NULL. A hook that returns 1 has dealt with what it was given
	 * (answered it, changed it, held it back); 0 lets the relay pass it on unchanged. */

	/* The session starts (after the opening note). */
	void (*start)(struct mitm *m);
	/* One complete cleartext command line from the client (CRLF included). */
	int (*client_line)(struct mitm *m, const uint8_t *line, size_t n);
	/* One complete reply (all its lines) from the server; code is its number. */
	int (*server_reply)(struct mitm *m, const uint8_t *r, size_t n, int code);
	/* One whole TLS record crossing the attacker (up: client to server). It may change
	 * the record in place and shorten *n; returns the mark for what it did
	 * (ATTACK_NONE when it left it alone). */
	enum trace_attack (*record)(struct mitm *m, int up, uint8_t *rec, size_t *n);
	/* TLS is about to start on the path: the server's 220 to STARTTLS has just been
	 * relayed, or (implicit TLS) the connection opened. */
	void (*tls_starting)(struct mitm *m);
	/* A TLS session the attacker ends itself finished its handshake on that leg. */
	void (*tls_ready)(struct mitm *m, enum mitm_leg leg);
	/* After the session: what the attacker does later with what it has. */
	void (*at_end)(struct mitm *m);
	/* Frees what the state points to (the state itself is the relay's). */
	void (*free_state)(void *state);
};

/* The table, in attack_list.h order. */
size_t attack_count(void);
const struct attack *attack_at(size_t i);
/* The attack with this name, or NULL. */
const struct attack *attack_find(const char *name);
/* Its position in the table (attack_count() when a is NULL or not in it). */
size_t attack_index(const struct attack *a);

/* ---- what the relay offers the attacks ---- */

/* The attack's own state (state_size bytes, zeroed at the start). */
void *mitm_state(struct mitm *m);
/* The scenario's [mitm] knobs. */
const char *mitm_inject_text(const struct mitm *m);     /* NULL: the attack's own lines */
unsigned mitm_tamper_target(const struct mitm *m);      /* which protected record (1-based) */
/* The attacker's note: what it did (action) and why, on the link of that leg. */
void mitm_note(struct mitm *m, enum mitm_leg leg, enum trace_attack action, const char *summary,
	       const char *narration);
/* A note of the later key theft (enum trace_theft result). */
void mitm_theft_note(struct mitm *m, int result, const char *summary, const char *narration);
/* Sends bytes to a leg as the attacker's (action marks what they are: ATTACK_NONE for a
 * faithful copy, ATTACK_FORGED for a reply it makes up...). Through the attacker's own
 * TLS on that leg when it has one, else in cleartext exactly as given. */
void mitm_send(struct mitm *m, enum mitm_leg leg, enum smtp_out_kind kind, const uint8_t *p, size_t n,
	       enum trace_attack action);
/* Lines (LF-separated, CRLF added) sent in the same write as the last one to that leg:
 * one TCP segment, marked ATTACK_ADDED. */
void mitm_inject(struct mitm *m, enum mitm_leg leg, enum smtp_out_kind kind, const char *text);
/* For a client_line hook: when line is the command verb (EHLO, STARTTLS...), answers it
 * itself with reply (CRLF added), marked forged, after a note (summary, narration), and
 * never passes it on: returns 1. Returns 0 for any other line. */
int mitm_answer_in_servers_name(struct mitm *m, const uint8_t *line, size_t n, const char *verb, const char *reply,
				const char *summary, const char *narration);
/* The port the client dialled. */
unsigned mitm_port(const struct mitm *m);
/* The hop the attacker sits on: 1 (client to server) or 2 (the relaying server to the
 * MX), for notes that name the peers. */
int mitm_hop(const struct mitm *m);
/* Drops the connection on both legs (a firewall in the path): FIN both ways, nothing more
 * crosses. */
void mitm_block(struct mitm *m);
/* Ends TLS on both legs itself: its own certificate towards the client, a TLS client of
 * its own towards the server. */
void mitm_intercept(struct mitm *m);
/* Starts TLS of its own towards the server only, now (the server's 220 to the
 * attacker's STARTTLS just arrived); the client's leg stays as it is. */
void mitm_starttls_upstream(struct mitm *m);
/* The client asked for STARTTLS and the server's 220 has not come back yet. */
int mitm_starttls_pending(const struct mitm *m);

/* What a recording attack kept (ATTACK_F_RECORDS): every record, in order. */
struct mitm_record {
	int up;               /* client to server */
	uint8_t *rec;
	size_t len;
};
const struct mitm_record *mitm_recording(const struct mitm *m, size_t *n);
/* The server's key the thief obtained later (ATTACK_F_STOLEN_KEY). */
const struct pki_key *mitm_stolen_key(const struct mitm *m);
/* Its own account on the server ([mitm] account, mailbox): 0, or -1 when it has none. */
int mitm_account(const struct mitm *m, const char **user, const char **password, const char **mailbox);
/* Later, logged in to that account: the i-th message delivered to its mailbox, or NULL. */
const uint8_t *mitm_mailbox(struct mitm *m, size_t i, size_t *len);
/* Moves the clock on (the key theft happens "months later"). */
void mitm_advance_clock(struct mitm *m, uint64_t us);
/* Traces SMTP content the attacker learns later (enum trace_replay says where from: a
 * recording, its mailbox), decoded as the server read it; 0 or -1 (out of memory: the
 * run has failed). */
struct mitm_replay;
struct mitm_replay *mitm_replay_open(struct mitm *m, enum trace_replay source);
/* From here the server read what the client sent as message text (it had answered 354). */
void mitm_replay_server_reads_text(struct mitm_replay *r);
int mitm_replay(struct mitm_replay *r, int up, enum smtp_out_kind kind, const uint8_t *p, size_t n);
void mitm_replay_close(struct mitm_replay *r);
/* Fails the run (out of memory, or a set-up error). */
void mitm_fail_run(struct mitm *m, int oom, const char *msg);

#endif
