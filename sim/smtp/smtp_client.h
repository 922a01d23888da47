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
	 * RFC 3207 says discard; keep models a client open to response injection. */
	enum smtp_buffering buffering;
	size_t body_chunk;        /* most body bytes per sink call; 0 = all at once */
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
void smtp_client_feed(struct smtp_client *c, const uint8_t *p, size_t n);
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
size_t smtp_client_injected_count(const struct smtp_client *c);
const char *smtp_client_injected(const struct smtp_client *c, size_t i);

#endif
