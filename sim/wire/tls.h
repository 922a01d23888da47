/* tls: the TLS engines. One tls_endpoint is one side of one TLS connection, driven
 * sans-I/O through caller-visible buffers (no sockets): records out and in, plaintext out
 * and in, as BearSSL's engine API has them. Two engines sit behind it: BearSSL (TLS
 * 1.0-1.2, the default) and OpenSSL 3 through memory BIOs (TLS 1.3, and 1.2 beside it;
 * tls_openssl.c). Everything random comes from a seed, so a run is reproducible; the
 * certificate clock is the scenario's date. Nothing outside this file and its engines
 * knows which engine made the bytes. */
#ifndef SIM_TLS_H
#define SIM_TLS_H

#include <bearssl.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/wire/tls_secret.h"
#include "sim/wire/pki.h"

/* How a TLS client checks the server's certificate. */
enum tls_verify {
	TLS_VERIFY_FULL = 0, /* trust anchor + host name + dates */
	TLS_VERIFY_NONE,     /* accepts any certificate (a careless client) */
};

/* TLS 1.3's version number (BearSSL's BR_TLS10..BR_TLS12 stop at 1.2). */
#define TLS13 0x0304

enum tls_engine {
	TLS_ENGINE_DEFAULT = 0, /* BearSSL, or OpenSSL when version_max is TLS 1.3 */
	TLS_ENGINE_BEARSSL,
	TLS_ENGINE_OPENSSL,
};

struct tls_config {
	int is_server;
	enum tls_engine engine;
	unsigned version_min, version_max;   /* 0 = BR_TLS12 for both; TLS13 needs OpenSSL */
	const char *groups;                  /* OpenSSL: key exchange groups in order, ":"-separated
						* ("x25519:secp256r1"); NULL = the engine's default */
	const uint16_t *suites;              /* NULL = tls_default_suites */
	size_t nsuites;
	const struct pki_chain *chain;       /* server: certificate chain */
	const struct pki_key *key;           /* server: private key */
	const struct pki_anchors *anchors;   /* client: trust anchors (may be empty) */
	enum tls_verify verify;              /* client */
	const char *server_name;             /* client: SNI and the name the certificate must carry */
	int64_t now;                         /* client: validation clock, Unix time */
	uint64_t seed;                       /* the run's seed */
	const char *label;                   /* who this is ("client", "server", "attacker-to-server"): seeds differ per actor */
	/* client, OpenSSL: models a TLS 1.3 client that does not look at the RFC 8446 4.1.3
	 * downgrade sentinel in a TLS 1.2 ServerHello (a vulnerable implementation, for the
	 * lesson; off by default). OpenSSL always checks it when its highest version is 1.3,
	 * so such a client lowers that to 1.2 once the ServerHello it receives says 1.2: the
	 * check alone is skipped, and the transcript and the signatures stay the real ones. */
	int ignore_downgrade_sentinel;
};

#define TLS_CHAIN_MAX 4

/* A client certificate checker that accepts whatever the server sends. It runs the real
 * validator beside it so the lesson can say what verification would have found. */
struct tls_noverify {
	const br_x509_class *vtable;
	br_x509_minimal_context *real;
	br_x509_decoder_context dec;
	int first;           /* still in the first (leaf) certificate */
	int real_err;        /* what the real validator said at the end of the chain */
	/* The chain as presented (DER, leaf first), for checks the caller makes itself
	 * (DANE): the first TLS_CHAIN_MAX certificates, while they fit in chain[]. */
	unsigned char chain[12288];
	size_t chain_used;
	size_t cert_off[TLS_CHAIN_MAX], cert_len[TLS_CHAIN_MAX];
	size_t ncert;
	int chain_overflow;  /* a certificate did not fit: the chain is cut before it */
};

/* A server's policy wrapped so that the premaster secret it decrypts with its static RSA
 * key (ClientKeyExchange) is kept: the run holds that key, and the math view starts from
 * the premaster for those suites. With ECDHE the engine computes the shared secret itself
 * and BearSSL exposes nothing of it; the tap then stays empty. */
struct tls_keyx_tap {
	const br_ssl_server_policy_class *vtable;
	const br_ssl_server_policy_class **inner;
	uint8_t premaster[48];
	size_t premaster_len;  /* 48 once the server's key decrypted a premaster, else 0 */
};

struct tls_ossl; /* tls_openssl.c */

/* A TLS 1.3 secret as the engine derived it, for the trace (and the key log). */
struct tls_secret {
	enum tls13_secret kind;
	uint8_t client_random[32];
	uint8_t secret[TLS13_SECRET_MAX];
	size_t len;
};

struct tls_endpoint {
	int is_server;
	struct tls_ossl *ossl;               /* the OpenSSL engine, or NULL: BearSSL's below */
	struct tls_keyx_tap tap;             /* server with an RSA key */
	union {
		br_ssl_client_context cc;
		br_ssl_server_context sc;
	} u;
	br_ssl_engine_context *eng;          /* &u.cc.eng or &u.sc.eng */
	br_x509_minimal_context xc;
	struct tls_noverify nv;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

/* Initialises ep in place (it holds pointers into itself: never move or copy it) and
 * resets the engine, so a client's ClientHello is ready in sendrec. Returns 0, or -1 with
 * a message in err. */
int tls_endpoint_init(struct tls_endpoint *ep, const struct tls_config *cfg, char *err, size_t errcap);

/* Frees what the engine holds beside ep (OpenSSL's objects); ep itself is the caller's. */
void tls_endpoint_free(struct tls_endpoint *ep);

/* ---- driving the engine (the same contract as BearSSL's br_ssl_engine_*) ----
 * tls_state gives TLS_ST_* bits: records to send (SENDREC), room for records received
 * (RECVREC), room for plaintext to send (SENDAPP, only once the handshake is done),
 * plaintext received (RECVAPP); CLOSED alone when the engine is finished, with
 * tls_last_error saying why (0: closed cleanly). Each *_buf gives a pointer and a length
 * into the engine's buffers, valid until the matching *_ack or any other call. */
#define TLS_ST_CLOSED BR_SSL_CLOSED
#define TLS_ST_SENDREC BR_SSL_SENDREC
#define TLS_ST_RECVREC BR_SSL_RECVREC
#define TLS_ST_SENDAPP BR_SSL_SENDAPP
#define TLS_ST_RECVAPP BR_SSL_RECVAPP
unsigned tls_state(struct tls_endpoint *ep);
unsigned char *tls_sendrec_buf(struct tls_endpoint *ep, size_t *len);
void tls_sendrec_ack(struct tls_endpoint *ep, size_t len);
unsigned char *tls_recvrec_buf(struct tls_endpoint *ep, size_t *len);
void tls_recvrec_ack(struct tls_endpoint *ep, size_t len);
unsigned char *tls_sendapp_buf(struct tls_endpoint *ep, size_t *len);
void tls_sendapp_ack(struct tls_endpoint *ep, size_t len);
unsigned char *tls_recvapp_buf(struct tls_endpoint *ep, size_t *len);
void tls_recvapp_ack(struct tls_endpoint *ep, size_t len);
/* Makes records of the plaintext acknowledged so far (without it BearSSL waits for a full
 * record's worth). */
void tls_flush(struct tls_endpoint *ep);
/* Sends close_notify. */
void tls_close(struct tls_endpoint *ep);
/* TLS 1.3: sends a KeyUpdate (RFC 8446 4.6.3), asking the peer to update its keys too
 * when request_peer. Returns 0, or -1 (not TLS 1.3, or BearSSL). */
int tls_key_update(struct tls_endpoint *ep, int request_peer);
/* Why the engine closed: 0, or a BR_ERR_* code (OpenSSL's errors are told in BearSSL's
 * codes: alerts as BR_ERR_SEND_FATAL_ALERT / BR_ERR_RECV_FATAL_ALERT + description,
 * certificate failures as BR_ERR_X509_*). */
int tls_last_error(const struct tls_endpoint *ep);
/* The negotiated version (BR_TLS10..BR_TLS12, TLS13) and suite (IANA number); 0 before
 * the ServerHello. */
unsigned tls_version(const struct tls_endpoint *ep);
unsigned tls_suite(const struct tls_endpoint *ep);
/* The 48-byte master secret of a TLS 1.0-1.2 session once the handshake is done; NULL
 * for TLS 1.3 (which has traffic secrets instead: tls_secrets). */
const uint8_t *tls_master_secret(const struct tls_endpoint *ep);
/* The engine's name, for sentences about what it does: "BearSSL" or "OpenSSL". */
const char *tls_engine_name(const struct tls_endpoint *ep);
/* 1 when the engine tells the peer of any failure of its own with a fatal alert before it
 * closes (OpenSSL); 0 when only the failures it names as alerts send one (BearSSL). */
int tls_alerts_every_failure(const struct tls_endpoint *ep);
/* 1 for a client that accepts any certificate (verify = none). */
int tls_accepts_any(const struct tls_endpoint *ep);
/* The TLS 1.3 secrets this endpoint derived so far, in the order it derived them (the
 * array only grows; a caller remembers how many it has taken). 0 for BearSSL. */
size_t tls_secrets(const struct tls_endpoint *ep, const struct tls_secret **out);

/* 1 once the peer's close_notify has been received. BearSSL answers it by itself, and the
 * trace must know that the next alert this endpoint sends is that answer. BearSSL 0.6 has
 * no getter: this reads the engine's shutdown_recv (checked against Debian's 0.6; the
 * STARTTLS story test asserts the answer is decoded as close_notify, so a change shows). */
int tls_peer_closed(const struct tls_endpoint *ep);

/* The handshake's ServerHello.random (both ends know it once the handshake ran). */
const uint8_t *tls_server_random(const struct tls_endpoint *ep);
/* The premaster secret this server decrypted with its static RSA key, or NULL (a client,
 * an EC key, an ECDHE suite, or a premaster whose version bytes BearSSL rejected and
 * replaced). *len is set to its length. */
const uint8_t *tls_premaster(const struct tls_endpoint *ep, size_t *len);

/* The certificates the server presented, as the non-verifying checker kept them (a
 * client with verify = none): fills out[0..max-1] (pointing into ep) and returns how
 * many, 0 when it kept none (or ep is NULL: no TLS was started). */
size_t tls_peer_chain(const struct tls_endpoint *ep, br_x509_certificate *out, size_t max);
/* What full verification (anchors, dates, host name) said of that chain: 0 or a
 * BR_ERR_X509_* code; 0 also for a client that verified (it would have failed). */
int tls_peer_verify_error(const struct tls_endpoint *ep);

/* The cipher suites offered or accepted by default, in preference order. */
extern const uint16_t tls_default_suites[];
extern const size_t tls_default_nsuites;

/* Parses a suite name as scenario files write it ("ecdhe-ecdsa-aes128-gcm",
 * "rsa-aes128-gcm", "ecdhe-rsa-chacha20"...). Returns the IANA number or 0. */
uint16_t tls_suite_from_name(const char *name);
/* Parses "1.0", "1.1", "1.2", "1.3". Returns BR_TLS1x, TLS13 or 0. */
unsigned tls_version_from_name(const char *name);
/* The BearSSL error constant's name for a code: "BR_ERR_X509_NOT_TRUSTED". */
const char *tls_error_name(int err);
/* Its inverse: the code of a name tls_error_name gives, or -1 (unknown, or
 * "BR_ERR_UNKNOWN", which stands for any code without a name). An alert's name gives
 * the base code, BR_ERR_RECV_FATAL_ALERT or BR_ERR_SEND_FATAL_ALERT, without the alert. */
int tls_error_from_name(const char *name);
/* A short explanation of a BearSSL error code for a student, e.g. for 62 "the
 * certificate does not chain to a trusted root". */
const char *tls_error_explain(int err);

#endif
