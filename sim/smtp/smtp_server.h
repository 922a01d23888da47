/* smtp_server: the server side of RFC 5321 with STARTTLS (RFC 3207) and AUTH
 * (RFC 4954) as a sans-I/O state machine: bytes in through smtp_server_feed, replies
 * out through the sink. The owning actor runs TLS when smtp_server_wants_tls says so. */
#ifndef SIM_SMTP_SERVER_H
#define SIM_SMTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "sim/smtp/smtp_sink.h"

enum smtp_server_mode {
	SMTP_SERVER_PLAIN,             /* no TLS at all: STARTTLS not offered, answered 502 */
	SMTP_SERVER_STARTTLS,          /* STARTTLS offered, cleartext mail still accepted */
	SMTP_SERVER_STARTTLS_REQUIRED, /* STARTTLS offered; MAIL/AUTH before it get 530 */
	SMTP_SERVER_IMPLICIT,          /* TLS from the first byte (port 465, RFC 8314) */
};

struct smtp_server_message;

struct smtp_server_config {
	const char *hostname;      /* in the greeting and EHLO reply */
	enum smtp_server_mode mode;
	const char *user;          /* the one account: AUTH checks against it; NULL = no AUTH offered */
	const char *password;
	/* A second account, or NULL: another customer of the same provider (a lesson's
	 * attacker has one, as anyone could). */
	const char *other_user, *other_password;
	/* 1: AUTH is not advertised before TLS and is answered 538 5.7.11 there (RFC 4954
	 * section 4: no plaintext password without protection; section 6: servers should
	 * not advertise mechanisms they refuse for lack of encryption). In PLAIN mode the
	 * server can never offer AUTH then. 0: the careless server that takes it in cleartext. */
	int auth_requires_tls;
	/* 1: MAIL before a successful AUTH is answered 530 5.7.0 Authentication required
	 * (RFC 4954 section 6), as a submission server does by default (RFC 6409 section
	 * 4.3). 0: anybody may send mail, as on a relay (port 25) or a careless MSA. */
	int auth_required;
	size_t max_size;           /* SIZE advertised and enforced (552); 0 = 10 MiB */
	enum smtp_buffering buffering;
	size_t max_stored_body;    /* bytes of each message body kept for the outcome; 0 = all */
	/* The trace header (RFC 5321 section 4.4): with received = 1 the server writes a
	 * Received: line for each message it accepts, from the peer's EHLO name and address
	 * (peer_ip), its own hostname, the protocol (RFC 3848), the TLS suite (the "tls"
	 * clause RFC 8314 registered) and the time: date (Unix seconds) plus *now_us. */
	int received;
	/* REQUIRETLS (RFC 8689): offered in EHLO inside TLS, and the MAIL parameter taken
	 * there; a message sent with it is tagged (smtp_server_message.requiretls). */
	int requiretls;
	const char *peer_ip;
	int64_t date;
	const uint64_t *now_us;
	/* Checks a message at its final dot, before the reply (as a mail filter does): NULL
	 * to accept it (250), or the reply line that refuses it ("550 5.7.1 ..."). The
	 * message holds its Received: line by then. NULL: every message is accepted. */
	const char *(*check_message)(void *ctx, const struct smtp_server_message *m);
	void *check_ctx;
};

enum smtp_server_state {
	SMTP_SERVER_GREETING,  /* before smtp_server_start */
	SMTP_SERVER_READY,     /* waiting for a command */
	SMTP_SERVER_TLS_WAIT,  /* 220 to STARTTLS sent; waiting for the handshake */
	SMTP_SERVER_DATA,      /* reading the message body */
	SMTP_SERVER_CLOSED,    /* after 221 or a fatal error */
};

struct smtp_server_message {
	char *mail_from;
	char **rcpt;
	size_t nrcpt;
	uint8_t *body;      /* dot-unstuffed, without the final ".", first max_stored_body bytes */
	size_t body_len;    /* bytes stored */
	size_t body_total;  /* bytes received */
	int in_tls;         /* the whole transaction happened inside TLS */
	char *auth_user;    /* authenticated user at the time, or NULL */
	char *received;     /* the server's own Received: line(s) with CRLF ends, or NULL (config.received) */
	const char *with;   /* its protocol (RFC 3848): "SMTP", "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA" */
	int requiretls;     /* MAIL FROM carried REQUIRETLS: relay it only over verified TLS (RFC 8689) */
};

struct smtp_server; /* opaque; allocate with smtp_server_new */

struct smtp_server *smtp_server_new(const struct smtp_server_config *cfg, struct smtp_sink sink);
void smtp_server_free(struct smtp_server *s);
/* Queues the 220 greeting. In IMPLICIT mode, call after the TLS handshake. */
void smtp_server_start(struct smtp_server *s);
/* Consumes n bytes from the client (cleartext, or plaintext out of TLS). */
void smtp_server_feed(struct smtp_server *s, const uint8_t *p, size_t n);
/* 1 once 220 to STARTTLS has been sent and the actor must run the TLS handshake. */
int smtp_server_wants_tls(const struct smtp_server *s);
/* The handshake finished: forget EHLO, AUTH and the transaction (RFC 3207 4.2);
 * with SMTP_BUFFER_KEEP, now process the bytes that came behind STARTTLS. */
void smtp_server_tls_established(struct smtp_server *s);
/* The TLS suite of the session (its IANA name), for the Received: line's tls clause; call
 * before smtp_server_tls_established (and before smtp_server_start with implicit TLS). */
void smtp_server_tls_suite(struct smtp_server *s, const char *suite_name);
/* The connection ended (peer closed, or TLS failed): no more input. */
void smtp_server_connection_closed(struct smtp_server *s);
enum smtp_server_state smtp_server_state(const struct smtp_server *s);
int smtp_server_in_tls(const struct smtp_server *s);
/* Messages accepted with 250 after DATA, in order. */
size_t smtp_server_message_count(const struct smtp_server *s);
const struct smtp_server_message *smtp_server_message(const struct smtp_server *s, size_t i);
/* The user who authenticated successfully (last one), or NULL. */
const char *smtp_server_auth_user(const struct smtp_server *s);
/* Commands that arrived in cleartext behind STARTTLS and were executed after the
 * handshake (only with SMTP_BUFFER_KEEP): count and the lines. */
size_t smtp_server_injected_count(const struct smtp_server *s);
const char *smtp_server_injected(const struct smtp_server *s, size_t i);
/* Of those, the ones the server refused (answered 4xx or 5xx). */
size_t smtp_server_injected_refused(const struct smtp_server *s);

#endif
