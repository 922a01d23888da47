/* tlskeys: what a TLS 1.0-1.2 cipher suite means for the key schedule and the record
 * layer, and BearSSL's own PRFs and record decryption set up from a key block. Pure: no
 * trace, no I/O. Shared by the key theft (sim/attack/keytheft.c) and the math view
 * (sim/trace/tlsmath.c), so both derive keys and open records the same way.
 *
 * Key block layout (RFC 2246 / 4346 / 5246 §6.3): client_write_MAC_key,
 * server_write_MAC_key, client_write_key, server_write_key, client_write_IV,
 * server_write_IV, each of the lengths tlskeys_layout gives. */
#ifndef SIM_TLSKEYS_H
#define SIM_TLSKEYS_H

#include <bearssl.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/wire/tls_secret.h"

enum tlskeys_mode { TLSKEYS_CBC, TLSKEYS_GCM, TLSKEYS_CCM, TLSKEYS_CHAPOL };

struct tlskeys_suite {
	uint16_t id;
	enum tlskeys_mode mode;
	const br_hash_class *mac; /* CBC: the HMAC hash */
	size_t mac_len;           /* CBC: HMAC key and output length */
	size_t key_len;
	size_t block;             /* CBC: the cipher's block size; AEAD: 0 */
	size_t tag_len;           /* AEAD: 16 (8 for the *_CCM_8 suites) */
	int tls12_only;           /* SHA-256 MACs, GCM, CCM, ChaCha20: TLS 1.2 suites */
	int prf384;               /* TLS 1.2 PRF with SHA-384 (the *_SHA384 suites) */
};

/* The suite's record-layer description, or NULL for a suite BearSSL's record classes do
 * not cover here (any key exchange: RSA, ECDHE, ECDH). */
const struct tlskeys_suite *tlskeys_suite(unsigned id);

/* The key block's part lengths for this suite in this version: mac is 0 for AEAD; iv is
 * the block size in TLS 1.0 and 1.1 CBC (1.1 generates it but uses explicit IVs), 0 for
 * CBC in TLS 1.2, 4 for GCM and CCM (the implicit nonce salt), 12 for ChaCha20-Poly1305. */
void tlskeys_layout(const struct tlskeys_suite *ss, unsigned version, size_t *mac, size_t *key, size_t *iv);

/* The version's PRF (RFC 2246 §5 for TLS 1.0/1.1: P_MD5 xor P_SHA1; RFC 5246 §5 for 1.2:
 * P_SHA256, or P_SHA384 for the *_SHA384 suites) over secret with label and seed1 ‖ seed2
 * (32 bytes each). */
void tlskeys_prf(unsigned version, const struct tlskeys_suite *ss, uint8_t *dst, size_t len, const uint8_t *secret,
		 size_t slen, const char *label, const uint8_t seed1[32], const uint8_t seed2[32]);
/* Its name for people: "TLS 1.2 PRF (P_SHA256)". */
const char *tlskeys_prf_name(unsigned version, const struct tlskeys_suite *ss);

/* BearSSL's decryption of one direction. */
union tlskeys_rec_in {
	const br_sslrec_in_class *vtable;
	br_sslrec_in_cbc_context cbc;
	br_sslrec_gcm_context gcm;
	br_sslrec_ccm_context ccm;
	br_sslrec_chapol_context chapol;
};

/* Sets up the decryption of one direction (up: client to server) from a key block laid
 * out as tlskeys_layout says. The first record opened is sequence number 0. */
void tlskeys_rec_in_init(union tlskeys_rec_in *u, const struct tlskeys_suite *ss, unsigned version,
			 const uint8_t *key_block, int up);

/* Positions a freshly initialised decryption at record number seq of its direction, and
 * for TLS 1.0 CBC at the chained IV (the previous record's last ciphertext block), so
 * that one record decrypts without replaying those before it. BearSSL 0.6 has no setter:
 * this writes the contexts' seq and iv fields (public in bearssl_ssl.h). */
void tlskeys_rec_in_seek(union tlskeys_rec_in *u, const struct tlskeys_suite *ss, uint64_t seq,
			 const uint8_t *cbc_iv);


/* A TLS 1.3 suite's record protection: its hash (the key schedule's, SHA-256 or
 * SHA-384) and AEAD. NULL for a suite that is not TLS 1.3 or not covered here (the
 * CCM suites). */
struct tls13_suite {
	uint16_t id;
	const br_hash_class *hash;
	size_t hash_len, key_len;
	int chacha;                 /* ChaCha20-Poly1305, else AES-GCM */
};
const struct tls13_suite *tls13_suite(unsigned id);

/* HKDF-Expand-Label (RFC 8446 §7.1): HKDF-Expand(secret, HkdfLabel, len) with HkdfLabel =
 * len (2 bytes) ‖ "tls13 " label (1-byte length) ‖ context (1-byte length). len at most
 * 255 * hash length. */
void tls13_expand_label(const br_hash_class *hash, const uint8_t *secret, size_t slen, const char *label,
			const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t len);

/* One direction's record keys from its traffic secret (RFC 8446 §7.3): key =
 * HKDF-Expand-Label(secret, "key", "", key_len), iv = ...("iv", "", 12). */
void tls13_traffic_keys(const struct tls13_suite *ss, const uint8_t *secret, uint8_t *key, uint8_t iv[12]);

/* Opens one protected TLS 1.3 record (5-byte header included, n bytes in all) with key
 * and iv at sequence number seq (RFC 8446 §5.2-5.3: nonce = iv xor seq, the header is the
 * additional data). On success out gets the content (without the inner type and zero
 * padding), *out_len its length, *inner_type the real content type; returns 0. Returns -1
 * when the record does not authenticate or is malformed. out needs n bytes. */
int tls13_open(const struct tls13_suite *ss, const uint8_t *key, const uint8_t iv[12], uint64_t seq,
	       const uint8_t *rec, size_t n, uint8_t *out, size_t *out_len, uint8_t *inner_type);


#endif
