/* smtp_client: a submission client as a sans-I/O state machine. It greets, reads the
 * EHLO capabilities, upgrades with STARTTLS according to its policy, authenticates,
 * sends one message and quits. Bytes in through smtp_client_feed, out through the sink. */
#ifndef SIM_SMTP_CLIENT_H
#define SIM_SMTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "sim/smtp/smtp_sink.h"

enum smtp_client_tls {
	SMTP_CLIENT_TLS_NONE,          /* never uses TLS, ignores STARTTLS */
	SMTP_CLIENT_TLS_OPPORTUNISTIC, /* STARTTLS when offered; cleartext when not, or on 454 */
	SMTP_CLIENT_TLS_REQUIRED,      /* STARTTLS or nothing: quits when not offered or refused */
	SMTP_CLIENT_TLS_IMPLICIT,      /* TLS from the first byte; the actor starts it */
};

enum smtp_client_auth {
	SMTP_CLIENT_AUTH_NONE,
	SMTP_CLIENT_AUTH_PLAIN,
	SMTP_CLIENT_AUTH_LOGIN,
};

/* Quirks: real clients' failures, each off by default, each named for what it models. A
 * quirk that decides something says so in a note (SMTP_NOTE_QUIRK) naming the failure.
 * The fifth quirk, keep-buffered-replies (response injection), is buffering = KEEP below:
 * one fact, one field. */
enum smtp_client_quirk {
	/* Requires TLS, yet goes on in cleartext when STARTTLS is refused (CVE-2016-0772:
	 * Python's smtplib.starttls() did not raise on a refusal). */
	SMTP_CLIENT_QUIRK_CONTINUE_AFTER_STARTTLS_FAILURE = 1u << 0,
	/* EHLO refused (5xx): falls back to HELO (RFC 5321 4.1.4), which has no extensions,
	 * so STARTTLS and AUTH are never offered. */
	SMTP_CLIENT_QUIRK_HELO_FALLBACK = 1u << 1,
	/* Implicit TLS fails: tries 587 with STARTTLS; STARTTLS missing or refused there:
	 * tries 25 in cleartext. The machine decides and reports the next port
	 * (smtp_client_fallback); opening the new connection is the actor's job. */
	SMTP_CLIENT_QUIRK_PORT_FALLBACK = 1u << 2,
	/* Has credentials but goes on without AUTH when its mechanism is not offered. */
	SMTP_CLIENT_QUIRK_SKIP_AUTH_SILENTLY = 1u << 3,
	/* Offers TLS 1.3 but does not check the downgrade sentinel that a 1.3-capable server
	 * puts in a TLS 1.2 ServerHello's random (RFC 8446 4.1.3 says it MUST). The TLS
	 * engine applies it (tls_config.ignore_downgrade_sentinel); the SMTP machine does not. */
	SMTP_CLIENT_QUIRK_IGNORE_DOWNGRADE_SENTINEL = 1u << 4,
};

struct smtp_client_config {
	const char *ehlo_name;
	enum smtp_client_tls tls;
	enum smtp_client_auth auth;
	const char *user;
	const char *password;
	const char *mail_from;
	const char *const *rcpt;  /* rcpt[0..nrcpt-1] */
	size_t nrcpt;
	const uint8_t *body;      /* message as the user wrote it, lines ending in LF or CRLF; not copied */
	size_t body_len;
	/* Bytes that came behind the server's 220 to STARTTLS, before the handshake:
	 * RFC 3207 says discard; keep is the quirk keep-buffered-replies, a client open to
	 * response injection (CVE-2020-14954 in Mutt, CVE-2021-38371 in Exim). */
	enum smtp_buffering buffering;
	size_t body_chunk;        /* most body bytes per sink call; 0 = all at once */
	unsigned quirks;          /* enum smtp_client_quirk bits */
	unsigned port;            /* the port it connects to, for port-fallback; 0 = unknown */
	/* REQUIRETLS (RFC 8689): send MAIL FROM with it, inside TLS, and only to a server
	 * that offers it; a server that does not is not given the message. */
	int requiretls;
};

enum smtp_client_state {
	SMTP_CLIENT_WAIT_GREETING,
	SMTP_CLIENT_WAIT_EHLO,
	SMTP_CLIENT_WAIT_STARTTLS,
	SMTP_CLIENT_TLS_WAIT,      /* 220 to STARTTLS read; the actor runs the handshake */
	SMTP_CLIENT_WAIT_AUTH,     /* includes the 334 rounds of AUTH LOGIN */
	SMTP_CLIENT_WAIT_MAIL,
	SMTP_CLIENT_WAIT_RCPT,
	SMTP_CLIENT_WAIT_DATA,     /* waiting for 354 */
	SMTP_CLIENT_SENDING_BODY,  /* body being pumped out */
	SMTP_CLIENT_WAIT_DATA_END, /* waiting for 250 after the final dot */
	SMTP_CLIENT_WAIT_QUIT,
	SMTP_CLIENT_DONE,          /* 221 read, or the connection ended */
};

struct smtp_client; /* opaque */

struct smtp_client *smtp_client_new(const struct smtp_client_config *cfg, struct smtp_sink sink);
void smtp_client_free(struct smtp_client *c);
/* Takes bytes from the server and reads replies, until the client sends something:
 * from then on it only buffers, so that the actor puts what was sent on the wire (and in
 * the trace) before the client reads the next reply and decides anything from it. */
void smtp_client_feed(struct smtp_client *c, const uint8_t *p, size_t n);
/* The actor has put everything sent so far on the wire: the client reads on, up to its
 * next send. Returns 1 when it read at least one line. */
int smtp_client_step(struct smtp_client *c);
/* Sends up to budget bytes of pending body (SENDING_BODY only); returns bytes sent.
 * Lets the actor apply back-pressure; with body_chunk = 0 the body goes out whole
 * as soon as 354 arrives and this returns 0. */
size_t smtp_client_pump(struct smtp_client *c, size_t budget);
int smtp_client_wants_tls(const struct smtp_client *c);
/* Handshake done: forget the capabilities (RFC 3207 4.2) and send EHLO again; with
 * SMTP_BUFFER_KEEP, first process the bytes that came behind the 220. */
void smtp_client_tls_established(struct smtp_client *c);
void smtp_client_connection_closed(struct smtp_client *c);
enum smtp_client_state smtp_client_state(const struct smtp_client *c);
int smtp_client_in_tls(const struct smtp_client *c);
/* 1 when the server answered 250 to the end of DATA. */
int smtp_client_delivered(const struct smtp_client *c);
/* Why the client stopped early ("server does not offer STARTTLS; TLS is required"),
 * or NULL when it finished normally. */
const char *smtp_client_error(const struct smtp_client *c);
/* The last reply code read (0 before any). */
int smtp_client_last_code(const struct smtp_client *c);
/* Replies that came behind 220 to STARTTLS in cleartext and were taken as if they came
 * through TLS (only with SMTP_BUFFER_KEEP): count and the lines. */
/* port-fallback: the port and TLS policy the client would now reconnect with, or 0
 * when it does not want another connection. */
unsigned smtp_client_fallback(const struct smtp_client *c, enum smtp_client_tls *tls);
size_t smtp_client_injected_count(const struct smtp_client *c);
const char *smtp_client_injected(const struct smtp_client *c, size_t i);

#endif
