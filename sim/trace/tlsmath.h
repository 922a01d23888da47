/* tlsmath: the arithmetic of one TLS 1.0-1.2 session, from the trace's facts, so that a
 * student can redo it by hand. Pure: it reads the trace (a session's randoms and secrets,
 * the records' wire bytes) and computes; it changes nothing.
 *
 * The key schedule (RFC 5246 §8.1, §6.3; RFC 2246 for TLS 1.0):
 *   master_secret = PRF(premaster, "master secret", client_random ‖ server_random)[0..47]
 *   key_block     = PRF(master_secret, "key expansion", server_random ‖ client_random)
 * split into client/server write MAC keys (CBC only), write keys and write IVs (the
 * implicit 4-byte nonce salt for GCM and CCM, the 12-byte IV for ChaCha20-Poly1305, the
 * first CBC IV in TLS 1.0).
 *
 * The premaster: with a static RSA key exchange the TLS server reports the premaster its
 * key decrypted (a fact of the session), and tlsmath checks that it gives the master
 * secret. With ECDHE the premaster is the ECDH shared secret, which BearSSL computes
 * inside the engine and does not expose: the math then starts at the master secret the
 * TLS client reported.
 *
 * One protected record: its sequence number is its position among the protected records
 * of its direction on its link after that direction's ChangeCipherSpec (0 for the
 * Finished). AEAD (RFC 5246 §6.2.3.3, RFC 5288, RFC 7905):
 *   additional_data = seq_num(8) ‖ type(1) ‖ version(2) ‖ length of the plaintext(2)
 *   GCM/CCM nonce   = salt(4, the write IV) ‖ explicit nonce(8, the record's first bytes)
 *   ChaCha20 nonce  = write IV(12) xor (0(4) ‖ seq_num(8)); no explicit nonce
 *   the record: [explicit nonce] ‖ ciphertext ‖ tag
 * CBC (RFC 5246 §6.2.3.2): the record is [explicit IV, TLS 1.1+] ‖ E(plaintext ‖ MAC ‖
 * padding), MAC = HMAC(write MAC key, seq_num ‖ type ‖ version ‖ length ‖ plaintext); in
 * TLS 1.0 the IV is the direction's previous record's last ciphertext block (the first
 * one: the write IV from the key block).
 * The plaintext comes from BearSSL's own record decryption, set at the record's sequence
 * number (and, TLS 1.0 CBC, its chained IV): each record opens on its own. */
#ifndef SIM_TLSMATH_H
#define SIM_TLSMATH_H

#include <stddef.h>
#include <stdint.h>

#include "sim/decode/tlskeys.h"
#include "sim/trace/trace.h"

/* The largest key block: 2 * (48-byte MAC key + 32-byte key + 16-byte IV). */
#define TLSMATH_KEY_BLOCK_MAX 192

enum tlsmath_part {
	TLSMATH_CLIENT_MAC_KEY,
	TLSMATH_SERVER_MAC_KEY,
	TLSMATH_CLIENT_KEY,
	TLSMATH_SERVER_KEY,
	TLSMATH_CLIENT_IV,
	TLSMATH_SERVER_IV,
	TLSMATH_NPARTS
};

enum tlsmath_premaster {
	TLSMATH_PM_EPHEMERAL,  /* ECDHE/DHE: the shared secret is not exposed by BearSSL */
	TLSMATH_PM_KNOWN,      /* the server's key decrypted it, and it gives the master secret */
	TLSMATH_PM_MISMATCH,   /* recorded, but it does not give the master secret (not shown as math) */
	TLSMATH_PM_UNKNOWN,    /* static key exchange, but the run did not see it (an EC key, ...) */
};

struct tlsmath_keys {
	int ok;                       /* the key block is derived */
	const char *why;              /* static text: when !ok, why not */
	unsigned version, suite;
	const struct tlskeys_suite *ss;  /* NULL when the suite is not covered */
	const char *prf;              /* "TLS 1.2 PRF (P_SHA256, RFC 5246 section 5)" */
	uint8_t client_random[32], server_random[32];
	enum tlsmath_premaster premaster_state;
	const char *premaster_note;   /* one sentence for people on where the premaster stands */
	uint8_t premaster[48];
	size_t premaster_len;         /* 48 with TLSMATH_PM_KNOWN or _MISMATCH, else 0 */
	uint8_t master_secret[48];
	uint8_t ms_seed[64];          /* client_random ‖ server_random, with label "master secret" */
	uint8_t kb_seed[64];          /* server_random ‖ client_random, with label "key expansion" */
	size_t mac_key_len, key_len, iv_len;
	uint8_t key_block[TLSMATH_KEY_BLOCK_MAX];
	size_t key_block_len;
};

#define TLSMATH_MS_LABEL "master secret"
#define TLSMATH_KB_LABEL "key expansion"

/* The session's key schedule. Returns 0 when k->ok (the master secret is known, the
 * version is TLS 1.0-1.2 and the suite is covered), else -1 with k->why; k always holds
 * what is known (version, suite, randoms). */
int tlsmath_keys(const struct trace_tls_session *s, struct tlsmath_keys *k);
/* One named part of the key block, and its length (0: this suite has none). */
const uint8_t *tlsmath_part(const struct tlsmath_keys *k, enum tlsmath_part p, size_t *len);
/* RFC 5246's name: "client_write_MAC_key", ..., "server_write_IV". */
const char *tlsmath_part_name(enum tlsmath_part p);

struct tlsmath_record {
	int ok;                       /* the math is complete and the record decrypted */
	const char *why;              /* static text: when !ok, why not */
	size_t event;                 /* the record event's index */
	int session;                  /* index into the trace's sessions, or -1 */
	int up;                       /* 1: client end to server end of its link */
	uint64_t seq;
	unsigned type, version;       /* from the record header */
	size_t fragment_len;          /* the header's length: everything after the 5 bytes */
	enum tlskeys_mode mode;
	/* AEAD */
	uint8_t salt[12];             /* the write IV: 4 bytes (GCM, CCM) or 12 (ChaCha20) */
	size_t salt_len;
	size_t explicit_len;          /* 8 (GCM, CCM): wire bytes 5..12, or 0 (ChaCha20) */
	uint8_t nonce[12];
	uint8_t aad[13];              /* seq ‖ type ‖ version ‖ plaintext length */
	size_t ct_off, ct_len;        /* the ciphertext in the event's wire bytes */
	size_t tag_off, tag_len;      /* the tag in the event's wire bytes (AEAD) */
	/* CBC */
	uint8_t iv[16];               /* the IV the record was decrypted with */
	size_t iv_len;
	int iv_explicit;              /* 1: the record's first block (1.1+); 0: chained (1.0) */
	uint8_t mac_header[13];       /* seq ‖ type ‖ version ‖ plaintext length: what the MAC
	                               * covers before the plaintext */
	uint8_t mac[48];              /* the MAC found after the plaintext */
	size_t mac_len;
	size_t pad_len;               /* padding bytes, the padding-length byte included */
	/* the result */
	uint8_t *plain;               /* malloc'd: free with tlsmath_record_free */
	size_t plain_len;
	int matches_trace;            /* 1: the trace holds the same plaintext, 0: it holds
	                               * another, -1: it holds none to compare (relayed unread) */
};

/* The session whose records a record event belongs to: the one with the client random of
 * the link's last ClientHello before it. -1 when none. */
int tlsmath_session_of(const struct trace *t, size_t ev);
/* 1 when event ev is a record protected by a session's keys (after its direction's
 * ChangeCipherSpec), else 0. */
int tlsmath_is_protected(const struct trace *t, size_t ev);
/* The math of protected record event ev (a TK_RECORD). Returns 0 when r->ok, else -1
 * with r->why and whatever could be computed. k may be NULL (then it is derived). */
int tlsmath_record(const struct trace *t, size_t ev, const struct tlsmath_keys *k, struct tlsmath_record *r);
void tlsmath_record_free(struct tlsmath_record *r);

/* The plaintext the trace itself holds for record event ev (the record's own, or its
 * child events' joined), malloc'd into *out, or -1 when it holds none. */
int tlsmath_trace_plain(const struct trace *t, size_t ev, uint8_t **out, size_t *len);

/* ---- TLS 1.3 (RFC 8446 §7) ----
 * The key schedule runs HKDF over the handshake:
 *   Early Secret     = HKDF-Extract(0, 0)                       (no PSK)
 *   Handshake Secret = HKDF-Extract(Derive-Secret(Early Secret, "derived", ""), (EC)DHE)
 *   {client,server}_handshake_traffic_secret = Derive-Secret(Handshake Secret,
 *                                   "c hs traffic" / "s hs traffic", ClientHello..ServerHello)
 *   Master Secret    = HKDF-Extract(Derive-Secret(Handshake Secret, "derived", ""), 0)
 *   {client,server}_application_traffic_secret_0 = Derive-Secret(Master Secret,
 *                                   "c ap traffic" / "s ap traffic", ClientHello..server Finished)
 * The (EC)DHE shared secret stays inside the engine, so the run holds the traffic secrets
 * the engines reported (the key log's lines) and the math starts there: each direction's
 * key and IV = HKDF-Expand-Label(secret, "key" / "iv", "", length) (§7.3), and a record's
 * nonce = IV xor its sequence number under those keys (§5.3); the 5-byte record header is
 * the additional data, and the plaintext ends with the real content type (§5.2). */
enum tlsmath13_traffic { TLSMATH13_CLIENT_HS, TLSMATH13_SERVER_HS, TLSMATH13_CLIENT_AP, TLSMATH13_SERVER_AP,
			 TLSMATH13_NTRAFFIC };

struct tlsmath13_keys {
	int ok;                       /* at least one traffic secret is known */
	const char *why;              /* static text: when !ok, why not */
	const struct tls13_suite *ss;
	uint8_t early_secret[48];     /* HKDF-Extract(0, 0): computable without a PSK */
	struct {
		int have;
		uint8_t secret[48], key[32], iv[12];
	} t[TLSMATH13_NTRAFFIC];
};

/* The key log name of a traffic secret ("CLIENT_HANDSHAKE_TRAFFIC_SECRET") and the RFC's
 * ("client_handshake_traffic_secret"). */
const char *tlsmath13_label(enum tlsmath13_traffic x);
const char *tlsmath13_rfc_name(enum tlsmath13_traffic x);
/* The session's TLS 1.3 keys. Returns 0 when k->ok, else -1 with k->why. */
int tlsmath13_keys(const struct trace_tls_session *s, struct tlsmath13_keys *k);

struct tlsmath13_record {
	int ok;                       /* the record opened */
	const char *why;
	int session, up;
	enum tlsmath13_traffic keys;  /* which traffic secret protects it */
	unsigned generation;          /* KeyUpdates before it (application keys) */
	uint64_t seq;                 /* its number under those keys, from 0 */
	uint8_t key[32], iv[12], nonce[12];
	size_t key_len;
	size_t ct_off, ct_len, tag_off;   /* in the event's wire bytes */
	unsigned inner_type;          /* the real content type */
	uint8_t *plain;               /* malloc'd: the content, without type and padding */
	size_t plain_len;
};
/* The math of TLS 1.3 protected record event ev. Returns 0 when r->ok, else -1 with r->why.
 * k may be NULL. Free with tlsmath13_record_free. */
int tlsmath13_record(const struct trace *t, size_t ev, const struct tlsmath13_keys *k, struct tlsmath13_record *r);
void tlsmath13_record_free(struct tlsmath13_record *r);

#endif
