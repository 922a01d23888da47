/* trace: the append-only record of everything that crossed a pipe in one run, and the
 * actors' decisions. Every view — transcript, TUI, JSON, Markdown, pcap — reads only this
 * and the outcome. Events are appended by the scheduler (run.c) while the run goes on and
 * never change afterwards. */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "fields.h"

enum trace_actor {
	ACTOR_CLIENT = 0,
	ACTOR_MITM = 1,
	ACTOR_SERVER = 2,
};

/* A link is one TCP connection. Without an attacker there is one (client-server);
 * with one, two (client-attacker and attacker-server). */
enum trace_link {
	LINK_CLIENT_SERVER = 0,
	LINK_CLIENT_MITM = 1,
	LINK_MITM_SERVER = 2,
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

/* Who can read an event's content. */
enum {
	READ_WIRE = 1 << 0,   /* anyone on the path: cleartext on the wire */
	READ_CLIENT = 1 << 1,
	READ_MITM = 1 << 2,   /* the attacker, as a TLS endpoint or because it is cleartext */
	READ_SERVER = 1 << 3,
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
	int attack;            /* 1 when the attacker made or changed this event */
	uint8_t *wire;         /* exact bytes on the wire (may be the first wire_stored of wire_len) */
	size_t wire_len, wire_stored;
	uint8_t *plain;        /* for protected content: what the endpoint put in / took out */
	size_t plain_len, plain_stored;
	char *summary;         /* one line: "ClientHello: TLS 1.2, 4 suites, SNI mail.example.test" */
	char *narration;       /* one or two sentences for a student, or NULL */
	struct fields fields;  /* decoded fields */
};

/* The secrets of one TLS session, for a Wireshark key log (NSS format). */
struct trace_tls_keys {
	enum trace_link link;
	uint8_t client_random[32];
	uint8_t master_secret[48];
};

struct trace {
	struct trace_event *ev;
	size_t n, cap;
	struct trace_tls_keys *keys;
	size_t nkeys;
	size_t max_stored;     /* most bytes kept per event for wire and plain; 0 = all */
};

void trace_init(struct trace *t);
void trace_free(struct trace *t);
/* Appends a copy of *e (its byte buffers and strings are copied; e->fields is moved
 * into the trace and left empty). Sets seq. Returns the new event's index, or -1 when
 * out of memory. */
int trace_append(struct trace *t, struct trace_event *e);
int trace_add_keys(struct trace *t, const struct trace_tls_keys *k);

const char *trace_actor_name(enum trace_actor a);   /* "client", "attacker", "server" */
const char *trace_layer_name(enum trace_layer l);   /* "smtp", "tls-record", ... */
/* The two actors joined by a link. */
void trace_link_ends(enum trace_link l, enum trace_actor *a, enum trace_actor *b);

#endif
