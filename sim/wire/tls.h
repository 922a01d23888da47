/* tls: BearSSL glue. One tls_endpoint is one side of one TLS connection, driven through
 * the engine API with caller buffers (no sockets, no br_sslio). Everything random comes
 * from a seed, so a run is reproducible; the certificate clock is the scenario's date. */
#ifndef SIM_TLS_H
#define SIM_TLS_H

#include <bearssl.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/wire/pki.h"

/* How a TLS client checks the server's certificate. */
enum tls_verify {
	TLS_VERIFY_FULL = 0, /* trust anchor + host name + dates */
	TLS_VERIFY_NONE,     /* accepts any certificate (a careless client) */
};

struct tls_config {
	int is_server;
	unsigned version_min, version_max;   /* 0 = BR_TLS12 for both */
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

struct tls_endpoint {
	int is_server;
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
/* Parses "1.0", "1.1", "1.2". Returns BR_TLS1x or 0. */
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
