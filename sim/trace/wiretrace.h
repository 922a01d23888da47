/* wiretrace: turns what an actor sends into trace events. One wire_stream per direction
 * of a link: it splits cleartext SMTP into lines, TLS bytes into records and records into
 * handshake messages, alerts and (with the plaintext the sending endpoint put in) SMTP
 * lines, each its own event with decoded fields and narration. */
#ifndef SIM_WIRETRACE_H
#define SIM_WIRETRACE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/decode/decode.h"
#include "sim/smtp/smtp_sink.h"
#include "sim/trace/trace.h"

/* Plaintext the sender put into TLS, waiting for the record(s) that carry it. */
struct wire_plain {
	enum smtp_out_kind kind;
	int is_alert;          /* an alert the sender chose to send (close_notify) */
	uint8_t *p;             /* owned: cap bytes */
	size_t len, off, cap;
	size_t stored;          /* bytes of p kept: a body piece beyond max_stored is not copied */
	int split_first;       /* TLS 1.0 CBC: the first record carries one byte (1/n-1) */
	int attack;
	size_t term;           /* a body piece: offset just past its end-of-data line ".", 0 = none */
	int peer;              /* from a peer the sim does not drive (live mode): read as the
				* receiver reads it, whatever the sender meant */
};

struct wire_stream {
	struct trace *trace;
	const uint64_t *now;              /* the scheduler's virtual clock */
	enum trace_link link;
	enum trace_actor from, to;
	int toward_server;                /* commands flow this way */
	int tls_readers;                  /* READ_* of the TLS session's endpoints on this link */
	struct decode_smtp_ctx *smtp;     /* shared by both directions of the link */
	uint8_t *rec; size_t rec_len, rec_cap;   /* partial TLS record */
	uint8_t *hs; size_t hs_len, hs_cap;      /* partial handshake message */
	uint8_t *ln; size_t ln_len, ln_cap;      /* partial SMTP line */
	int ln_rec;                       /* index of the record where that line began, or -1 */
	int ccs;                          /* ChangeCipherSpec seen: records now protected */
	struct wire_plain *q; size_t qn, qcap;   /* FIFO of plaintext attributions */
	uint8_t *spare; size_t spare_cap;        /* the largest buffer of a popped one, for the next */
	uint8_t hello_random[32];         /* the random of the last ClientHello this way */
	int has_hello_random;
	/* Where the end-of-data line "." stands in the body pieces the sender sends: one
	 * scanner for the pieces as they are queued for TLS (the queue keeps only a prefix of
	 * a large piece), one for cleartext pieces as they are traced. */
	int end_scan_queued, end_scan_clear;
	struct decode_body_state body;    /* the message under way, decoded across its pieces */
	uint32_t writes;                  /* writes traced so far: the current one's segment */
	int join_next;                    /* the next write goes out with the last one */
	int in_write;                     /* events made now belong to write `writes` */
	int replay;                       /* enum trace_replay of the events made now (wire_decrypted); 0: live */
	int replay_source;                /* enum trace_replay of what wire_decrypted makes; 0: a recording */
	/* TLS 1.3 (RFC 8446 §5): once a ServerHello (or HelloRetryRequest) on the link selects
	 * it, application_data records are the protected ones and ChangeCipherSpec is a
	 * compatibility dummy. Each protected record is opened with the traffic secret its
	 * sender reported for this handshake (trace_tls13_secret), as its reader opens it. */
	struct wire_stream *peer;         /* the link's other direction (wire_stream_pair) */
	int tls13;
	unsigned suite13;
	int epoch13;                      /* 0: no keys yet, 1: handshake, 2: application, -1: unknown */
	unsigned gen13;                   /* KeyUpdates in the application epoch */
	uint8_t secret13[TLS13_SECRET_MAX], key13[32], iv13[12];
	uint64_t seq13;
	uint8_t *open13; size_t open13_cap;      /* the opened record's content ... */
	size_t open13_len;
	int open13_type;                  /* ... and its real content type; -1: not opened */
	size_t take13;                    /* application data in the record being traced; 0: unknown */
	/* The last protected application-data record of TLS 1.1 or 1.2 on this stream: its
	 * header, and the fields and summary its event keeps. A record with the same header
	 * decodes to the same, so it takes them from that event (read-only in the trace). */
	uint8_t memo_hdr[5];
	int memo_ok;
	struct fields memo_fields;        /* packed, the trace's */
	const char *memo_summary;         /* the trace's */
	const char *memo_narration;       /* the trace's, for the same attack and replay marks */
	int memo_attack, memo_replay;
	struct fields piece_fields;       /* owned: emptied after each body piece, its memory kept */
};

void wire_stream_init(struct wire_stream *s, struct trace *t, const uint64_t *now,
		      enum trace_link link, enum trace_actor from, enum trace_actor to, int toward_server,
		      struct decode_smtp_ctx *smtp);
void wire_stream_free(struct wire_stream *s);
/* The two directions of one link: what one direction's ServerHello decides (TLS 1.3) and
 * the other's ClientHello random hold for both. */
void wire_stream_pair(struct wire_stream *up, struct wire_stream *down);

/* Cleartext SMTP: COMMAND/REPLY data is split into lines (one event each), BODY is one
 * event. attack marks bytes the attacker made. Returns 0 or -1 (out of memory).
 *
 * What flows toward the server is decoded the way the server reads it, not the way the
 * sender meant it: from a 354 reply traced on the link until the line "." the server
 * reads message text (TK_SMTP_DATA), otherwise commands (TK_SMTP_COMMAND). A line the
 * sender sent as a command but the server reads as message text, or body the server
 * reads as commands, carries the field "read_by_server_as" ("message text" / "a
 * command"). The same holds for TLS plaintext and wire_decrypted. */
int wire_clear(struct wire_stream *s, enum smtp_out_kind kind, const uint8_t *p, size_t n, int attack);
/* TLS bytes as they go on the wire; complete records become events. Every call of
 * wire_clear or wire_records is one write: the events it makes share its trace_event
 * segment number. */
int wire_records(struct wire_stream *s, const uint8_t *p, size_t n, int attack);
/* The next write goes out in the same TCP segment as the last one (lines an attacker
 * adds "in the same write" behind another's): its events take the last one's segment. */
void wire_join_next(struct wire_stream *s);
/* SMTP content recovered from protected records after the fact (an attacker decrypting
 * a recording): events readable by tls_readers only, not tied to a record. */
int wire_decrypted(struct wire_stream *s, enum smtp_out_kind kind, const uint8_t *p, size_t n, int attack);
/* The sender is about to produce the record(s) carrying this plaintext. */
int wire_expect_plain(struct wire_stream *s, enum smtp_out_kind kind, const uint8_t *p, size_t n,
		      int split_first, int attack);
int wire_expect_alert(struct wire_stream *s, const uint8_t alert[2]);
/* Bytes from a peer the sim does not drive (a real TCP peer, live mode), traced by the end
 * that receives them, as it reads them. Cleartext: toward the server, message text from a
 * 354 to the line "." and commands otherwise; replies the other way. */
int wire_peer_clear(struct wire_stream *s, const uint8_t *p, size_t n);
/* One whole record from such a peer, once the receiving TLS endpoint has read it: plain
 * (n_plain bytes, may be 0) is what it decrypted from an application-data record, and
 * close_notify says the record was the peer's close_notify. The record is traced as if
 * its sender had told the trace, so its events are those of a simulated sender's. */
int wire_peer_record(struct wire_stream *s, const uint8_t *rec, size_t n, const uint8_t *plain, size_t n_plain,
		     int close_notify);
/* The facts of a note: an actor's decision, not on the wire. */
struct wire_note {
	uint64_t now;
	enum trace_link link;
	enum trace_actor who;
	enum trace_kind kind;
	int subtype;
	int attack;         /* enum trace_attack, for the attacker's own notes */
	int tls_err;
	int session;        /* -1 when none */
};
/* Appends a note with its facts. Returns the event index or -1. */
int wire_note(struct trace *t, const struct wire_note *n, const char *summary, const char *narration);
/* A connection event: TK_CONN_OPEN (with the port dialled) or TK_CONN_FIN. */
int wire_conn(struct wire_stream *s, enum trace_kind kind, unsigned port, const char *summary,
	      const char *narration);

#endif
