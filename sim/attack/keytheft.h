/* keytheft: opens a recorded TLS 1.0/1.1/1.2 session with the server's stolen static-RSA
 * private key. Pure: it reads the recorded records and the key, writes nothing but what it
 * hands to its callback and the session summary; no trace, no files.
 *
 * The attack: with a TLS_RSA_* suite the client sent the 48-byte premaster secret encrypted
 * to the server's long-term RSA key (ClientKeyExchange). Whoever holds that key decrypts
 * it, derives the master secret and the key block with the version's PRF, and replays
 * every protected record through BearSSL's own record decryption classes (CBC + HMAC,
 * GCM, CCM), in order, each direction with its own sequence numbers. With ECDHE or DHE
 * the key only signed the server's ephemeral share and the recording stays sealed. */
#ifndef SIM_KEYTHEFT_H
#define SIM_KEYTHEFT_H

#include <bearssl.h>
#include <stddef.h>
#include <stdint.h>

/* One whole TLS record as recorded, 5-byte header included. */
struct keytheft_record {
	int up;             /* 1: client to server, 0: server to client */
	const uint8_t *rec;
	size_t len;
};

enum keytheft_result {
	KEYTHEFT_OPENED,          /* the key decrypted the premaster; records were replayed */
	KEYTHEFT_NO_HANDSHAKE,    /* no complete full handshake (ClientHello, ServerHello,
	                           * ClientKeyExchange) in the recording, or a resumed session */
	KEYTHEFT_FORWARD_SECRET,  /* ECDHE/DHE: the server's key only signed; nothing opens */
	KEYTHEFT_WRONG_KEY,       /* not the key of this session (see s->why) */
	KEYTHEFT_UNSUPPORTED,     /* a static-key session this module cannot open (s->why says which) */
};

/* The largest key block: 2 * (32-byte MAC key + 32-byte cipher key + 16-byte IV). */
#define KEYTHEFT_KEY_BLOCK_MAX 160

struct keytheft_session {
	unsigned version;                 /* negotiated (ServerHello): BR_TLS10..BR_TLS12, 0 if unknown */
	unsigned suite;                   /* IANA number, 0 if unknown */
	uint8_t client_random[32], server_random[32];
	uint8_t premaster[48];            /* valid once the key decrypted it */
	uint8_t master_secret[48];
	/* Key block layout (RFC 2246 / 4346 / 5246 §6.3): client MAC key, server MAC key,
	 * client key, server key, client IV, server IV; each of the lengths below.
	 * mac_key_len is 0 for AEAD suites; iv_len is the CBC block size in TLS 1.0 (the
	 * implicit first IV) and 1.1 (generated but unused: IVs are explicit per record), 0 for
	 * CBC in TLS 1.2, 4 for GCM and CCM (the implicit nonce salt). */
	size_t mac_key_len, key_len, iv_len;
	uint8_t key_block[KEYTHEFT_KEY_BLOCK_MAX];
	size_t key_block_len;
	size_t opened[2];                 /* records decrypted: [0] server to client, [1] client to server */
	size_t failed[2];                 /* protected records that did not authenticate, skipped */
	int stopped;                      /* the callback asked to stop */
	const char *why;                  /* static text: for anything other than KEYTHEFT_OPENED,
	                                   * or when records failed, what happened */
};

/* Receives each protected record after its direction's ChangeCipherSpec, in recording
 * order: the handshake Finished (type 22), application data (23), alerts (21). A record
 * that does not authenticate comes with p == NULL and len 0 (tampered, or not of this
 * session): it is skipped and the replay goes on, its sequence number consumed as the real
 * receiver would have. In TLS 1.0 CBC the next record's first block of that direction also
 * depends on the skipped record's last ciphertext block (implicit IV chaining), so a
 * tampered tail can take the next record down with it. Return 0 to go on, anything else
 * to stop. */
typedef int (*keytheft_out_fn)(void *ctx, int up, unsigned type, const uint8_t *p, size_t len);

/* Opens the recording with key. s is always filled as far as the recording allows
 * (version, suite, randoms even when the suite is ECDHE). out may be NULL; key may be
 * NULL to classify a recording only (a static RSA one then gives KEYTHEFT_WRONG_KEY).
 * KEYTHEFT_WRONG_KEY: the key is not the server certificate's, or the premaster does
 * not decrypt to a well-formed 48-byte secret, or it does but no protected record
 * authenticates under the keys that follow from it. */
enum keytheft_result keytheft_open(const struct keytheft_record *recs, size_t n, const br_rsa_private_key *key,
				   struct keytheft_session *s, keytheft_out_fn out, void *ctx);

/* A short name for a result: "opened", "no-handshake", "forward-secret", "wrong-key",
 * "unsupported". */
const char *keytheft_result_name(enum keytheft_result r);

#endif
