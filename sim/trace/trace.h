/* trace: the append-only record of everything that crossed a pipe in one run, and the
 * actors' decisions. Every view — transcript, TUI, JSON, Markdown, pcap — reads only this,
 * the ledger made from it and the outcome. Events are appended while the run goes on (by
 * wiretrace for what crosses a link, by conn, the scheduler and the attacker for
 * decisions) and never change afterwards.
 *
 * Facts are data: every event carries its kind and subtype as numbers, set where the
 * event is made, and TLS sessions are records of their own. The summary and the narration
 * are prose made from those facts for people; nothing in the program reads them back. */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/base/fields.h"
#include "sim/wire/tls_secret.h"

/* The actors. A scenario with a route has a second hop: the server the client submits
 * to (ACTOR_SERVER) relays the message to the recipient's MX (ACTOR_MX), and is then an
 * SMTP client itself. The attacker sits on one hop, the first or the second. */
enum trace_actor {
	ACTOR_CLIENT = 0,
	ACTOR_MITM = 1,
	ACTOR_SERVER = 2,
	ACTOR_MX = 3,
	ACTOR_COUNT
};

/* A link is one TCP connection; its first end dials, its second answers. Each hop has
 * one (the two actors straight) or, with the attacker in the path on that hop, two. */
enum trace_link {
	LINK_CLIENT_SERVER = 0,  /* hop 1 */
	LINK_CLIENT_MITM = 1,
	LINK_MITM_SERVER = 2,
	LINK_SERVER_MX = 3,      /* hop 2: the relay to the recipient's MX */
	LINK_SERVER_MITM = 4,
	LINK_MITM_MX = 5,
	LINK_COUNT
};

enum trace_layer {
	LAYER_CONNECTION,    /* TCP open / close, as the scheduler sees it */
	LAYER_TLS_RECORD,    /* one whole TLS record as it crossed the wire */
	LAYER_TLS_HANDSHAKE, /* one handshake message inside a record */
	LAYER_TLS_CCS,       /* ChangeCipherSpec */
	LAYER_TLS_ALERT,     /* an alert inside a record */
	LAYER_SMTP_COMMAND,  /* one command line, client to server */
	LAYER_SMTP_REPLY,    /* one reply line, server to client */
	LAYER_SMTP_DATA,     /* the message body (a piece of it, for huge bodies) */
	LAYER_NOTE,          /* an actor's decision or error: not on the wire */
	LAYER_COUNT
};

/* What an event is. Each kind says what its subtype holds. */
enum trace_kind {
	TK_CONN_OPEN,     /* a TCP connection opens; port */
	TK_CONN_FIN,      /* one side closes its half of the connection */
	TK_RECORD,        /* subtype: content type (TLS_CT_*), -1 for bytes that are not a record */
	TK_HANDSHAKE,     /* subtype: handshake type (TLS_HS_*); an encrypted one is the Finished */
	TK_CCS,           /* ChangeCipherSpec */
	TK_ALERT,         /* subtype: description, alert_level: 1 warning, 2 fatal; both -1 when unreadable */
	TK_SMTP_COMMAND,  /* subtype: enum smtp_verb, or -1 for a line that is no command */
	TK_SMTP_REPLY,    /* subtype: reply code, or -1 for a line that is no reply */
	TK_SMTP_DATA,     /* a piece of the message */
	TK_TLS_UP,        /* a TLS endpoint finished its handshake; session */
	TK_TLS_FAILED,    /* a TLS endpoint gave up; tls_err */
	TK_TLS_UNVERIFIED,/* a client accepted a certificate without checking it; tls_err is what checking says */
	TK_ACTOR,         /* an SMTP actor's decision; subtype: enum smtp_note */
	TK_ATTACK,        /* the attacker's action; subtype: enum trace_attack */
	TK_KEY_THEFT,     /* later: the server's stolen key tried on a recording; subtype: enum trace_theft */
	TK_MAIL_AUTH,     /* who wrote the message: the sender's DKIM signature, the receiver's SPF, DKIM
			   * and DMARC verdicts; subtype: enum auth_step (sim/auth/auth.h), verdict */
	TK_POLICY,        /* the relaying server's TLS policy for hop 2 (MTA-STS, DANE): subtype enum
			   * relay_policy_step, policy enum relay_policy_kind, verdict enum mtasts_action
			   * on the decision (sim/run/relay_policy.h) */
	TK_RUN,           /* the scheduler's own note (not used by a normal run) */
	TK_COUNT
};

/* What the attacker did to an event (trace_event.attack) or announces in a note. */
/* Where an event the attacker learns later comes from. */
enum trace_replay {
	REPLAY_NONE = 0,
	REPLAY_RECORDING,  /* decrypted out of a recording after a key theft */
	REPLAY_MAILBOX,    /* read in the attacker's own mailbox, where the server stored it */
};

enum trace_attack {
	ATTACK_NONE = 0,
	ATTACK_PRESENT,    /* it sits on the path (the opening note) */
	ATTACK_DELETED,    /* passed a message on with part of it removed (STARTTLS from EHLO) */
	ATTACK_ADDED,      /* added lines of its own to a stream */
	ATTACK_REPLACED,   /* passed on a changed message (a rewritten ClientHello) */
	ATTACK_FORGED,     /* answered in the peer's name and never passed the request on */
	ATTACK_TAMPERED,   /* flipped bits in a protected record */
	ATTACK_INTERCEPTED,/* terminates TLS itself, with its own certificate */
	ATTACK_RECORDED,   /* keeps a copy of everything for later */
	ATTACK_COUNT
};

/* TK_KEY_THEFT subtypes. */
enum trace_theft {
	THEFT_NO_HANDSHAKE,   /* the recording has no complete handshake */
	THEFT_KEY_STOLEN,     /* the key is stolen and tried */
	THEFT_SEALED_FS,      /* ephemeral key exchange: the key opens nothing (forward secrecy) */
	THEFT_UNSUPPORTED,    /* static RSA, but a suite the simulator cannot replay */
	THEFT_WRONG_KEY,      /* the key does not decrypt the premaster secret */
	THEFT_OPENED,         /* the premaster secret, and so every key of the session, recovered */
};

/* Who can read an event's content. */
enum {
	READ_WIRE = 1 << 0,   /* anyone on the path: cleartext on the wire */
	READ_CLIENT = 1 << 1,
	READ_MITM = 1 << 2,   /* the attacker, as a TLS endpoint or because it is cleartext */
	READ_SERVER = 1 << 3,
	READ_MX = 1 << 4,
};

struct trace_event {
	uint32_t seq;          /* 1-based position in the trace */
	uint64_t time_us;      /* virtual time */
	enum trace_link link;
	enum trace_actor from, to; /* for a note, from = to = the deciding actor */
	enum trace_layer layer;
	int parent;            /* index of the record event this was found in, or -1 */
	int encrypted;         /* 1 when the content travelled inside a protected record */
	int readers;           /* READ_* bits */
	int attack;            /* enum trace_attack: what the attacker did to this event; 0 = nothing */
	enum trace_kind kind;  /* what the event is (see enum trace_kind) */
	int subtype;           /* meaning per kind */
	int alert_level;       /* TK_ALERT */
	int tls_err;           /* TK_TLS_FAILED, TK_TLS_UNVERIFIED: BearSSL's error code */
	int session;           /* TK_TLS_UP: index into trace.sessions; else -1 */
	unsigned port;         /* TK_CONN_OPEN: the port dialled */
	int verdict;           /* TK_MAIL_AUTH: enum auth_result (0 = none) */
	int policy, disposition; /* TK_MAIL_AUTH, DMARC: enum auth_policy published, and asked for here;
				  * TK_POLICY: policy = the kind of TLS policy in force */
	int replay;            /* enum trace_replay: learned later, not live; 0 = live */
	uint32_t segment;      /* the sender's write on this link and direction (1, 2, ...): the
				* events made from one write went out in one TCP segment; 0 for
				* events not written to the wire (notes, connection events, replay) */
	uint8_t *wire;         /* exact bytes on the wire (may be the first wire_stored of wire_len) */
	size_t wire_len, wire_stored;
	uint8_t *plain;        /* for protected content: what the endpoint put in / took out */
	size_t plain_len, plain_stored;
	char *summary;         /* one line: "ClientHello: TLS 1.2, 4 suites, SNI mail.example.test" */
	char *narration;       /* one or two sentences for a student, or NULL */
	struct fields fields;  /* decoded fields */
};

/* One TLS session as data. Each TLS endpoint reports its half when its handshake
 * completes; the two halves meet on the client random. A session the attacker relays
 * without reading spans both links and has the client and the server as its ends; one the
 * attacker terminates has the attacker as an end. */
struct trace_tls_session {
	unsigned links;                /* bit (1 << enum trace_link) per link it crosses */
	enum trace_actor client_end, server_end;
	int client_up, server_up;      /* each end finished its handshake */
	unsigned version;              /* BR_TLS12 ... */
	unsigned suite;                /* IANA number */
	uint8_t client_random[32];
	uint8_t master_secret[48];
	int has_secret;                /* the TLS client reported the master secret */
	uint8_t server_random[32];     /* ServerHello.random, as the engines hold it */
	int has_server_random;
	/* The premaster secret, when the run saw it: a TLS server with a static RSA key
	 * reports what its key decrypted from the ClientKeyExchange (48 bytes). 0 for ECDHE:
	 * BearSSL computes that shared secret inside the engine and exposes none of it. */
	uint8_t premaster[48];
	size_t premaster_len;
	/* TLS 1.3: the traffic secrets the endpoints derived (RFC 8446 §7.1), reported as
	 * they are derived -- before the handshake ends, so that the records they protect can
	 * be opened as they are traced. Bit k of secrets13 is set when secret13[k] holds
	 * enum tls13_secret k (secret13_len bytes each). Empty for TLS 1.0-1.2. */
	uint8_t secret13[TLS13_SECRET_COUNT][TLS13_SECRET_MAX];
	size_t secret13_len;
	unsigned secrets13;
};

struct trace_bytes; /* trace.c: the chunks the events' bytes live in */

/* Memory one caller lends to the traces it makes one after another (a live server's
 * sessions, a benchmark's repetitions): a trace that ends gives its large chunks back,
 * and the next one takes them instead of fresh pages, which the kernel must zero and map
 * one by one (a 25 MiB message kept at 4 KiB a record holds about 13 MB). What a trace
 * records does not depend on it. It must outlive the traces that use it; not for use
 * from two threads. */
struct trace_pool {
	struct trace_bytes *free;   /* chunks waiting to be taken again */
	size_t bytes, max;          /* what they hold; the most kept (the rest is freed) */
	struct trace_event *ev;     /* the largest event array given back, for the next trace */
	size_t ev_cap;
};

void trace_pool_init(struct trace_pool *p, size_t max_bytes);
void trace_pool_free(struct trace_pool *p);

struct trace {
	struct trace_event *ev;
	size_t n, cap;
	struct trace_tls_session *sessions;
	size_t nsessions, sessions_cap;
	size_t max_stored;     /* most bytes kept per event for wire and plain; 0 = all */
	/* Owned: the events' wire and plain bytes, summaries, narrations and fields, packed
	 * one after the other in a few large chunks (freed with the trace, never one by one). */
	struct trace_bytes *bytes;
	/* The last summary and narration stored for each kind of event: an event that says
	 * the same as the last of its kind (thousands of records of a big message) shares
	 * the stored text instead of taking a copy (events never change once appended). */
	const char *last_text[TK_COUNT][2];
	struct trace_pool *pool;       /* borrowed, or NULL: where large chunks come from and go */
};

void trace_init(struct trace *t);
void trace_free(struct trace *t);
/* Appends a copy of *e: its byte buffers, summary and narration are copied, and its
 * fields packed (fields_pack, read-only from then on), into the trace's own storage;
 * e->fields is left empty. Fields already packed must be an earlier event's of this
 * trace: they are shared, not copied. The copies belong to the trace and go with trace_free (never
 * free them one by one). Sets seq. Returns the new event's index, or -1 when out of
 * memory (e->fields then unchanged). */
int trace_append(struct trace *t, struct trace_event *e);
/* The same, but e->fields is left as it was, for the caller to clear and use again
 * (fields_clear) or to free. */
int trace_append_kept(struct trace *t, struct trace_event *e);
/* One endpoint's half of a session: finds the session with the same client random or
 * starts one. is_client says which end `who` is; secret may be NULL (the TLS server does
 * not report it); server_random may be NULL; premaster is NULL or premaster_len bytes
 * (at most 48: what a static-RSA server decrypted). Returns the session's index, or -1
 * when out of memory. */
int trace_session_join(struct trace *t, enum trace_link link, enum trace_actor who, int is_client,
		       unsigned version, unsigned suite, const uint8_t client_random[32],
		       const uint8_t *master_secret, const uint8_t *server_random, const uint8_t *premaster,
		       size_t premaster_len);
/* A TLS 1.3 secret one end derived for the handshake whose ClientHello carried
 * client_random, on link: kept in the newest session with that random that is not up at
 * both ends yet, or in a new one (trace_session_join later finds the same session).
 * Returns the session's index, or -1 when out of memory or len is above
 * TLS13_SECRET_MAX. */
int trace_tls13_secret(struct trace *t, enum trace_link link, const uint8_t client_random[32],
		       enum tls13_secret kind, const uint8_t *secret, size_t len);
/* 1 when the session runs end to end between client and server through an attacker
 * that only relays its records (it crosses two links). */
int trace_session_relayed(const struct trace_tls_session *s);
/* The session that protects the given link, or NULL (the last one set up on it). */
const struct trace_tls_session *trace_link_session(const struct trace *t, enum trace_link l);

const char *trace_actor_name(enum trace_actor a);   /* "client", "attacker", "server", "MX" */
/* The READ_* bit of an actor that reads what it receives or sends over TLS. */
int trace_actor_read_bit(enum trace_actor a);
const char *trace_layer_name(enum trace_layer l);   /* "tcp", "tls-record", "smtp-command", ... */
const char *trace_link_name(enum trace_link l);     /* "client-server", "client-attacker", ... */
const char *trace_kind_name(enum trace_kind k);     /* "conn-open", "tls-up", ... (JSON) */
const char *trace_attack_name(enum trace_attack a); /* "deleted", "added", ... (JSON) */
/* The inverses, for a trace loaded back from JSON: the value, or -1 for a name the
 * matching function above never gives. */
int trace_actor_from_name(const char *name);
int trace_layer_from_name(const char *name);
int trace_link_from_name(const char *name);
int trace_kind_from_name(const char *name);
int trace_attack_from_name(const char *name);
/* Where TLS stands on a link once event `upto` (an index) has happened. */
enum trace_tls_phase {
	TLS_PHASE_NONE,        /* no ClientHello yet */
	TLS_PHASE_HANDSHAKE,   /* a handshake is under way */
	TLS_PHASE_UP,          /* a session is established across the link (*s says which) */
	TLS_PHASE_FAILED,      /* the handshake failed or the connection ended before it completed */
};
enum trace_tls_phase trace_link_tls_phase(const struct trace *t, enum trace_link l, size_t upto,
					  const struct trace_tls_session **s);

/* The actor's IPv4 address in every view (documentation ranges, RFC 5737). */
void trace_actor_ip(enum trace_actor a, uint8_t ip[4]);
/* The same as dotted text ("203.0.113.25"); returns out. */
const char *trace_actor_ip_text(enum trace_actor a, char out[16]);
/* The two actors joined by a link: a dials, b answers. */
void trace_link_ends(enum trace_link l, enum trace_actor *a, enum trace_actor *b);
/* The hop a link belongs to: 1 (client to the server it submits to) or 2 (that server
 * to the recipient's MX). */
int trace_link_hop(enum trace_link l);
/* 1 when the attacker is one of the link's ends. */
int trace_link_has_attacker(enum trace_link l);
/* The link between a and b (either order), or -1. */
int trace_link_between(enum trace_actor a, enum trace_actor b);

#endif
