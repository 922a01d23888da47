/* conn: one actor's end of one link (a TCP connection), with TLS on it or not. It traces
 * what the actor sends, queues it for the pipe with back-pressure, and hands what arrives
 * (cleartext, or plaintext out of TLS) to the actor through callbacks. The client, the
 * server and the attacker all talk through conns; none of them touches a pipe. */
#ifndef SIM_CONN_H
#define SIM_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "sim/wire/pipe.h"
#include "sim/wire/tls.h"
#include "sim/trace/wiretrace.h"

/* One TCP connection: a pipe and a wire_stream per direction (0: first actor to second). */
struct link {
	enum trace_link id;
	struct sim_pipe pipe[2];
	struct wire_stream ws[2];
	struct decode_smtp_ctx smtp;
	int opened;
	int reset[2];          /* live mode: the real peer writing pipe[i] reset the connection (1),
				* or we closed it without waiting for its FIN (2) */
};

struct conn;

struct conn_callbacks {
	void *ctx;
	/* Bytes arrived: cleartext, or plaintext out of TLS. */
	void (*data)(void *ctx, struct conn *c, const uint8_t *p, size_t n);
	/* The TLS handshake completed. */
	void (*tls_up)(void *ctx, struct conn *c);
	/* The connection is over: the peer closed, or TLS failed (err is BearSSL's code). */
	void (*closed)(void *ctx, struct conn *c, int err);
};

/* One conn_send waiting for the engine: its bytes are the next len in the conn's
 * plaintext queue. */
struct conn_unit {
	enum smtp_out_kind kind;
	size_t len;
	int attack;
};

/* The TLS side of a conn, one state at a time; every change goes through conn_set_state,
 * which checks it against the table of legal transitions in conn.c. */
enum conn_state {
	CONN_PLAIN,        /* no TLS on this conn (cleartext, or the attacker relaying raw bytes) */
	CONN_HANDSHAKE,    /* TLS started, handshake not complete */
	CONN_TLS_UP,       /* handshake complete: application data flows */
	CONN_CLOSE_NOTIFY, /* our close_notify is out (ours, or the answer to the peer's): nothing more to send */
	CONN_TLS_DEAD,     /* the engine closed (tls_err says why, 0 for a clean close) or the peer is gone */
	CONN_STATE_COUNT
};

struct conn {
	struct link *link;
	int side;                  /* 0: this actor writes pipe[0] and reads pipe[1] */
	enum trace_actor self;
	const uint64_t *now;
	struct conn_callbacks cb;
	uint8_t *outq; size_t outq_len, outq_cap;  /* traced, waiting for room in the pipe (owned) */
	struct tls_endpoint *tls;  /* heap: holds pointers into itself */
	enum conn_state state;
	int tls_err;               /* BearSSL's error when the engine failed; 0 otherwise */
	int checks_itself;         /* a TLS client that takes the chain as presented and checks it
				    * itself afterwards (a relay with MTA-STS or DANE): no "unverified" note */
	int closing;               /* FIN once everything is flushed (and close_notify sent) */
	int fin_sent;              /* our FIN is out */
	int eof;                   /* the peer's FIN arrived */
	int closed_reported;       /* the closed callback ran */
	int raw_input;             /* deliver arriving bytes raw even with TLS off (relay) */
	uint8_t first_in[4];       /* the first bytes TLS read from the peer, to name a failure */
	size_t first_in_len;
	/* Plaintext waiting for the engine, one unit per conn_send, in order; their bytes
	 * follow each other in plain[plain_off..plain_off + plain_len) (owned, reused: no
	 * allocation per send once it has grown), the first unit's first unit_off already
	 * given to the engine. */
	struct conn_unit *units; size_t nunits, ucap;
	uint8_t *plain; size_t plain_off, plain_len, plain_cap;
	size_t unit_off;
	int pumping;               /* inside tls_pump: a conn_send only queues */
	int split, split_known;    /* BearSSL splits each write 1/n-1 (TLS 1.0, CBC), once known */
	/* Live mode: the peer is a real TCP peer whose bytes nobody else traces, so this conn
	 * traces what it reads: cleartext as it reads it, and TLS records one at a time, each
	 * once its engine has read it (with the plaintext it gave). */
	int peer_live;
	int peer_records;          /* raw input from the peer is TLS records (a relaying attacker) */
	uint8_t *lrec; size_t lrec_len, lrec_cap;  /* the peer's record being given to the engine */
	size_t secrets_taken;                      /* TLS 1.3 secrets of the engine already in the trace */
	/* Sticky, like BearSSL's engine error: 0, or -1 once something could not be traced or
	 * queued (out of memory). The first failure wins; from then on conn_send and
	 * conn_send_raw return -1 and conn_pump does nothing. The run checks it every round
	 * (conn_failed) and ends with an error rather than with a damaged trace. */
	int err;
};

void conn_init(struct conn *c, struct link *l, int side, enum trace_actor self,
	       const uint64_t *now, struct conn_callbacks cb);
void conn_free(struct conn *c);
/* Sends n bytes: through TLS once it is on, in cleartext before. Returns 0, or -1 when
 * the conn has failed (out of memory, now or before; see err). The bytes are copied (or
 * encrypted) before it returns. An SMTP actor (not the attacker) that sends a body piece
 * outside conn_pump of this conn pumps it next, before anything else touches the link:
 * such a piece may go into an idle engine at once rather than wait in the queue. */
int conn_send(struct conn *c, enum smtp_out_kind kind, const uint8_t *p, size_t n, int attack);
/* Sends bytes exactly as given and traces them as TLS records (relaying an encrypted
 * stream) or as cleartext SMTP of the given kind. */
int conn_send_raw(struct conn *c, int as_records, enum smtp_out_kind kind, const uint8_t *p, size_t n, int attack);
/* The conn's sticky error: 0, or -1 once it failed (out of memory). */
int conn_failed(const struct conn *c);
/* Starts TLS on this conn. Returns 0, or -1 with a message in err. */
int conn_start_tls(struct conn *c, const struct tls_config *cfg, char *err, size_t errcap);
/* Moves everything that can move now. Returns 1 when anything happened. */
int conn_pump(struct conn *c);
/* Ends the connection: close_notify first when TLS is up, then FIN once flushed. */
void conn_close(struct conn *c);
/* Room in the outgoing pipe (for back-pressure on large bodies). */
size_t conn_room(const struct conn *c);
/* TLS was started on this conn (whatever became of it). */
int conn_tls_on(const struct conn *c);
/* Plaintext units still waiting for the TLS engine. */
size_t conn_backlog(const struct conn *c);
/* The IANA number of the TLS suite once the handshake is done, else 0. */
unsigned conn_tls_suite(const struct conn *c);
/* The link's wire_stream for this conn's outgoing direction. */
struct wire_stream *conn_out_stream(struct conn *c);

#endif
