/* keytheft: see keytheft.h. */
#include "sim/attack/keytheft.h"

#include <stdlib.h>
#include <string.h>

#include "sim/decode/decode.h"
#include "sim/decode/tlskeys.h"

/* ---- the static-RSA suites this module opens: TLS_RSA_* ones tlskeys describes ---- */

static const struct tlskeys_suite *find_suite(unsigned id)
{
	const char *name = decode_cipher_suite_name(id);
	return name && !strncmp(name, "TLS_RSA_", 8) ? tlskeys_suite(id) : NULL;
}

/* ---- the plaintext handshake, per direction, up to its ChangeCipherSpec ---- */

struct hs_dir {
	uint8_t *buf; /* every handshake record's payload before this direction's CCS, joined */
	size_t len, cap;
	int ccs;      /* a ChangeCipherSpec was recorded */
};

static int hs_append(struct hs_dir *d, const uint8_t *p, size_t n)
{
	if (d->len + n > d->cap) {
		size_t cap = d->cap ? d->cap : 4096;
		while (cap < d->len + n)
			cap *= 2;
		uint8_t *b = realloc(d->buf, cap);
		if (!b)
			return -1;
		d->buf = b;
		d->cap = cap;
	}
	memcpy(d->buf + d->len, p, n);
	d->len += n;
	return 0;
}

/* A record is well-formed when its header's length is the rest of it. */
static int record_ok(const struct keytheft_record *r)
{
	return r->rec && r->len >= 5 && ((size_t)r->rec[3] << 8 | r->rec[4]) == r->len - 5;
}

/* The first complete handshake message of type t in d: its body and length, or NULL. */
static const uint8_t *hs_find(const struct hs_dir *d, unsigned t, size_t *len)
{
	size_t i = 0;
	while (i + 4 <= d->len) {
		size_t n = (size_t)d->buf[i + 1] << 16 | (size_t)d->buf[i + 2] << 8 | d->buf[i + 3];
		if (n > d->len - i - 4)
			return NULL; /* cut off: the recording ends inside it */
		if (d->buf[i] == t) {
			*len = n;
			return d->buf + i + 4;
		}
		i += 4 + n;
	}
	return NULL;
}

/* ServerHello: the fields the attack needs, and the extensions that change the key
 * schedule or the record layer. Returns 0, or -1 if malformed. */
struct server_hello {
	unsigned version, suite;
	const uint8_t *random;
	int ems, etm, tls13;
};

static int parse_server_hello(const uint8_t *p, size_t n, struct server_hello *sh)
{
	memset(sh, 0, sizeof *sh);
	if (n < 2 + 32 + 1)
		return -1;
	sh->version = (unsigned)p[0] << 8 | p[1];
	sh->random = p + 2;
	size_t i = 34, sid = p[i++];
	if (sid > 32 || i + sid + 3 > n)
		return -1;
	i += sid;
	sh->suite = (unsigned)p[i] << 8 | p[i + 1];
	i += 3; /* suite, compression */
	if (i + 2 > n)
		return 0; /* no extensions */
	size_t elen = (size_t)p[i] << 8 | p[i + 1];
	i += 2;
	if (elen > n - i)
		return -1;
	size_t end = i + elen;
	while (i + 4 <= end) {
		unsigned t = (unsigned)p[i] << 8 | p[i + 1];
		size_t l = (size_t)p[i + 2] << 8 | p[i + 3];
		i += 4;
		if (l > end - i)
			return -1;
		if (t == 23)
			sh->ems = 1; /* extended_master_secret, RFC 7627 */
		else if (t == 22)
			sh->etm = 1; /* encrypt_then_mac, RFC 7366 */
		else if (t == 43)
			sh->tls13 = 1; /* supported_versions: a TLS 1.3 ServerHello */
		i += l;
	}
	return 0;
}

/* ---- the key against the server's certificate ---- */

static void strip_zeros(const uint8_t **p, size_t *n)
{
	while (*n > 0 && **p == 0) {
		(*p)++;
		(*n)--;
	}
}

/* 1 if the Certificate message's leaf holds key's public half, 0 if it holds another
 * key, -1 if it cannot tell (no or undecodable certificate). */
static int key_matches_certificate(const uint8_t *cert_msg, size_t n, const br_rsa_private_key *key)
{
	if (n < 6)
		return -1;
	size_t total = (size_t)cert_msg[0] << 16 | (size_t)cert_msg[1] << 8 | cert_msg[2];
	size_t clen = (size_t)cert_msg[3] << 16 | (size_t)cert_msg[4] << 8 | cert_msg[5];
	if (total > n - 3 || clen > total - 3 || clen == 0)
		return -1;
	br_x509_decoder_context dc;
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, cert_msg + 6, clen);
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
	if (!pk)
		return -1;
	if (pk->key_type != BR_KEYTYPE_RSA)
		return 0;
	br_rsa_compute_modulus modulus = br_rsa_compute_modulus_get_default();
	size_t klen = modulus(NULL, key);
	if (klen == 0 || klen > 1024)
		return 0;
	uint8_t nbuf[1024];
	modulus(nbuf, key);
	const uint8_t *a = nbuf, *b = pk->key.rsa.n;
	size_t alen = klen, blen = pk->key.rsa.nlen;
	strip_zeros(&a, &alen);
	strip_zeros(&b, &blen);
	return alen == blen && memcmp(a, b, alen) == 0;
}

#define MAX_PAYLOAD (16384 + 2048) /* TLSCiphertext.length at most 2^14 + 2048 */

/* ---- the attack ---- */

static enum keytheft_result verdict(struct keytheft_session *s, enum keytheft_result r, const char *why)
{
	s->why = why;
	return r;
}

static enum keytheft_result attack(const struct keytheft_record *recs, size_t n, const br_rsa_private_key *key,
				   struct keytheft_session *s, keytheft_out_fn out, void *ctx,
				   struct hs_dir hs[2])
{
	/* hs[1]: client to server, hs[0]: server to client. */
	for (size_t i = 0; i < n; i++) {
		const struct keytheft_record *r = &recs[i];
		struct hs_dir *d = &hs[r->up ? 1 : 0];
		if (!record_ok(r) || d->ccs)
			continue;
		if (r->rec[0] == 20)
			d->ccs = 1;
		else if (r->rec[0] == 22 && hs_append(d, r->rec + 5, r->len - 5))
			return verdict(s, KEYTHEFT_NO_HANDSHAKE, "out of memory while reading the handshake");
	}

	size_t chlen, shlen, ckelen, certlen;
	const uint8_t *ch = hs_find(&hs[1], 1, &chlen), *sh = hs_find(&hs[0], 2, &shlen);
	if (!ch || chlen < 34)
		return verdict(s, KEYTHEFT_NO_HANDSHAKE, "the recording holds no ClientHello");
	memcpy(s->client_random, ch + 2, 32);
	struct server_hello h;
	if (!sh || parse_server_hello(sh, shlen, &h))
		return verdict(s, KEYTHEFT_NO_HANDSHAKE, "the recording holds no ServerHello");
	memcpy(s->server_random, h.random, 32);
	s->version = h.version;
	s->suite = h.suite;

	const char *name = decode_cipher_suite_name(h.suite);
	if (h.tls13 || (h.suite >> 8) == 0x13)
		return verdict(s, KEYTHEFT_FORWARD_SECRET, "TLS 1.3: no static RSA; the key exchange is ephemeral (EC)DHE");
	if (name && (!strncmp(name, "TLS_ECDHE_", 10) || !strncmp(name, "TLS_DHE_", 8)))
		return verdict(s, KEYTHEFT_FORWARD_SECRET,
			       "an ephemeral (EC)DHE key exchange: the server's key only signed its share");
	if (h.version < BR_TLS10 || h.version > BR_TLS12)
		return verdict(s, KEYTHEFT_UNSUPPORTED, "the version is not TLS 1.0, 1.1 or 1.2");
	const struct tlskeys_suite *ss = find_suite(h.suite);
	if (!ss)
		return verdict(s, KEYTHEFT_UNSUPPORTED,
			       name && !strncmp(name, "TLS_RSA_", 8)
				       ? "a static RSA suite whose cipher this module does not replay"
			       : name && !strncmp(name, "TLS_ECDH_", 9)
				       ? "static ECDH: the server's EC key would open it, this module takes RSA keys"
				       : "not a static RSA key exchange");
	if (ss->tls12_only && h.version < BR_TLS12)
		return verdict(s, KEYTHEFT_UNSUPPORTED, "a TLS 1.2 suite negotiated in an older version");
	if (h.ems)
		return verdict(s, KEYTHEFT_UNSUPPORTED,
			       "extended master secret (RFC 7627): the master secret hashes the handshake");
	if (h.etm && ss->mode == TLSKEYS_CBC)
		return verdict(s, KEYTHEFT_UNSUPPORTED, "encrypt-then-MAC (RFC 7366) records");

	const uint8_t *cke = hs_find(&hs[1], 16, &ckelen);
	if (!key)
		return verdict(s, KEYTHEFT_WRONG_KEY, "no key was given");
	if (!cke)
		return verdict(s, KEYTHEFT_NO_HANDSHAKE,
			       hs[0].ccs ? "a resumed session: its master secret came from an earlier handshake"
					 : "the recording holds no ClientKeyExchange");

	/* The key must be the one the server's certificate carries. */
	const uint8_t *cert = hs_find(&hs[0], 11, &certlen);
	if (cert && key_matches_certificate(cert, certlen, key) == 0)
		return verdict(s, KEYTHEFT_WRONG_KEY, "the key is not the one in the server's certificate");

	/* ClientKeyExchange (TLS 1.0+): a 2-byte length, then the RSA-encrypted premaster. */
	uint8_t pms[1024];
	size_t elen = ckelen >= 2 ? (size_t)cke[0] << 8 | cke[1] : 0;
	if (ckelen < 2 || elen != ckelen - 2 || elen > sizeof pms)
		return verdict(s, KEYTHEFT_WRONG_KEY, "the ClientKeyExchange does not hold an RSA-encrypted secret");
	memcpy(pms, cke + 2, elen);
	if (!br_rsa_ssl_decrypt(br_rsa_private_get_default(), key, pms, elen))
		return verdict(s, KEYTHEFT_WRONG_KEY, "the key does not decrypt the premaster secret");
	/* The premaster starts with the client's version (ClientHello.client_version). */
	if (pms[0] != 3 || pms[1] > 3)
		return verdict(s, KEYTHEFT_WRONG_KEY, "the decrypted premaster secret does not start with a TLS version");
	memcpy(s->premaster, pms, 48);

	/* The key schedule (RFC 5246 §8.1, §6.3). */
	tlskeys_prf(s->version, ss, s->master_secret, 48, s->premaster, 48, "master secret", s->client_random,
		    s->server_random);
	tlskeys_layout(ss, s->version, &s->mac_key_len, &s->key_len, &s->iv_len);
	s->key_block_len = 2 * (s->mac_key_len + s->key_len + s->iv_len);
	tlskeys_prf(s->version, ss, s->key_block, s->key_block_len, s->master_secret, 48, "key expansion",
		    s->server_random, s->client_random);

	/* Replay: each direction's records after its ChangeCipherSpec, in order. */
	union tlskeys_rec_in in[2];
	tlskeys_rec_in_init(&in[0], ss, s->version, s->key_block, 0);
	tlskeys_rec_in_init(&in[1], ss, s->version, s->key_block, 1);
	int ccs[2] = { 0, 0 };
	uint8_t *buf = malloc(MAX_PAYLOAD);
	if (!buf)
		return verdict(s, KEYTHEFT_NO_HANDSHAKE, "out of memory while replaying");
	for (size_t i = 0; i < n && !s->stopped; i++) {
		const struct keytheft_record *r = &recs[i];
		int dir = r->up ? 1 : 0;
		if (!record_ok(r))
			continue; /* not a record: nothing a receiver would have counted */
		if (!ccs[dir]) {
			ccs[dir] = r->rec[0] == 20;
			continue;
		}
		const br_sslrec_in_class **vt = &in[dir].vtable;
		size_t len = r->len - 5;
		unsigned version = (unsigned)r->rec[1] << 8 | r->rec[2];
		unsigned char *p = NULL;
		if (len <= MAX_PAYLOAD && (*vt)->check_length(vt, len)) {
			memcpy(buf, r->rec + 5, len);
			p = (*vt)->decrypt(vt, r->rec[0], version, buf, &len);
		}
		if (!p) {
			s->failed[dir]++;
			if (out && out(ctx, r->up, r->rec[0], NULL, 0))
				s->stopped = 1;
			continue;
		}
		s->opened[dir]++;
		if (out && out(ctx, r->up, r->rec[0], p, len))
			s->stopped = 1;
	}
	free(buf);
	if (s->opened[0] + s->opened[1] == 0 && s->failed[0] + s->failed[1] > 0)
		return verdict(s, KEYTHEFT_WRONG_KEY,
			       "the premaster decrypted, yet no record authenticates under the keys that follow");
	if (s->failed[0] + s->failed[1] > 0)
		s->why = "some records did not authenticate (tampered, or not of this session) and were skipped";
	return KEYTHEFT_OPENED;
}

enum keytheft_result keytheft_open(const struct keytheft_record *recs, size_t n, const br_rsa_private_key *key,
				   struct keytheft_session *s, keytheft_out_fn out, void *ctx)
{
	memset(s, 0, sizeof *s);
	struct hs_dir hs[2];
	memset(hs, 0, sizeof hs);
	enum keytheft_result r = attack(recs, n, key, s, out, ctx, hs);
	free(hs[0].buf);
	free(hs[1].buf);
	return r;
}

const char *keytheft_result_name(enum keytheft_result r)
{
	switch (r) {
	case KEYTHEFT_OPENED: return "opened";
	case KEYTHEFT_NO_HANDSHAKE: return "no-handshake";
	case KEYTHEFT_FORWARD_SECRET: return "forward-secret";
	case KEYTHEFT_WRONG_KEY: return "wrong-key";
	case KEYTHEFT_UNSUPPORTED: return "unsupported";
	}
	return "?";
}
