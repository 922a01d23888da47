/* tlsmath: see tlsmath.h. */
#include "sim/trace/tlsmath.h"

#include <stdlib.h>
#include <string.h>

#include "sim/decode/decode.h"

static const char *const part_names[TLSMATH_NPARTS] = {
	"client_write_MAC_key", "server_write_MAC_key", "client_write_key",
	"server_write_key",     "client_write_IV",      "server_write_IV",
};

const char *tlsmath_part_name(enum tlsmath_part p)
{
	return (unsigned)p < TLSMATH_NPARTS ? part_names[p] : "?";
}

const uint8_t *tlsmath_part(const struct tlsmath_keys *k, enum tlsmath_part p, size_t *len)
{
	size_t m = k->mac_key_len, c = k->key_len, v = k->iv_len, off;
	switch (p) {
	case TLSMATH_CLIENT_MAC_KEY: off = 0, *len = m; break;
	case TLSMATH_SERVER_MAC_KEY: off = m, *len = m; break;
	case TLSMATH_CLIENT_KEY: off = 2 * m, *len = c; break;
	case TLSMATH_SERVER_KEY: off = 2 * m + c, *len = c; break;
	case TLSMATH_CLIENT_IV: off = 2 * m + 2 * c, *len = v; break;
	case TLSMATH_SERVER_IV: off = 2 * m + 2 * c + v, *len = v; break;
	default: *len = 0; return NULL;
	}
	if (!k->ok || off + *len > k->key_block_len) {
		*len = 0;
		return NULL;
	}
	return k->key_block + off;
}

static int starts(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

int tlsmath_keys(const struct trace_tls_session *s, struct tlsmath_keys *k)
{
	memset(k, 0, sizeof *k);
	k->version = s->version;
	k->suite = s->suite;
	memcpy(k->client_random, s->client_random, 32);
	memcpy(k->server_random, s->server_random, 32);
	memcpy(k->ms_seed, s->client_random, 32);
	memcpy(k->ms_seed + 32, s->server_random, 32);
	memcpy(k->kb_seed, s->server_random, 32);
	memcpy(k->kb_seed + 32, s->client_random, 32);
	k->ss = tlskeys_suite(s->suite);
	k->prf = tlskeys_prf_name(s->version, k->ss);
	const char *name = decode_cipher_suite_name(s->suite);

	k->premaster_state = TLSMATH_PM_UNKNOWN;
	k->premaster_note = "the premaster secret was not seen in this run; the math starts at the master secret";
	if (starts(name, "TLS_ECDHE_") || starts(name, "TLS_DHE_")) {
		k->premaster_state = TLSMATH_PM_EPHEMERAL;
		k->premaster_note = "premaster: the ECDH shared secret, not exposed by BearSSL; the math starts at "
				    "the master secret (RFC 5246 section 8.1)";
	}

	if (s->version == 0x0304) {
		k->premaster_state = TLSMATH_PM_EPHEMERAL;
		k->premaster_note = "TLS 1.3: the (EC)DHE shared secret stays inside the engine; the math starts at the "
				    "traffic secrets the engines reported (RFC 8446 section 7.1)";
		k->why = "TLS 1.3 derives its keys with HKDF (its own key schedule), not with this PRF";
		return -1;
	}
	if (s->version < BR_TLS10 || s->version > BR_TLS12) {
		k->why = "only TLS 1.0, 1.1 and 1.2 use this key schedule";
		return -1;
	}
	if (!k->ss) {
		k->why = "a cipher suite whose record layer this view does not cover";
		return -1;
	}
	if (k->ss->tls12_only && s->version < BR_TLS12) {
		k->why = "a TLS 1.2 suite in an older version";
		return -1;
	}
	if (!s->has_server_random) {
		k->why = "the session's server random is not known";
		return -1;
	}
	if (!s->has_secret) {
		k->why = "no TLS client of this run reported the session's master secret";
		return -1;
	}
	memcpy(k->master_secret, s->master_secret, 48);
	if (s->premaster_len == 48) {
		uint8_t ms[48];
		memcpy(k->premaster, s->premaster, 48);
		k->premaster_len = 48;
		tlskeys_prf(s->version, k->ss, ms, 48, k->premaster, 48, TLSMATH_MS_LABEL, k->client_random,
			    k->server_random);
		if (!memcmp(ms, k->master_secret, 48)) {
			k->premaster_state = TLSMATH_PM_KNOWN;
			k->premaster_note = "premaster: 48 bytes the client chose and encrypted to the server's RSA key "
					    "(ClientKeyExchange); the server's key decrypted them";
		} else {
			k->premaster_state = TLSMATH_PM_MISMATCH;
			k->premaster_note = "the premaster the server decrypted does not give the master secret "
					    "(BearSSL replaced a malformed one)";
		}
	}
	tlskeys_layout(k->ss, s->version, &k->mac_key_len, &k->key_len, &k->iv_len);
	k->key_block_len = 2 * (k->mac_key_len + k->key_len + k->iv_len);
	tlskeys_prf(s->version, k->ss, k->key_block, k->key_block_len, k->master_secret, 48, TLSMATH_KB_LABEL,
		    k->server_random, k->client_random);
	k->ok = 1;
	return 0;
}

/* ---- records ---- */

static int client_end_of(const struct trace_event *e)
{
	enum trace_actor a, b;
	trace_link_ends(e->link, &a, &b);
	return e->from == a;
}

static int is_client_hello(const struct trace_event *e)
{
	return e->kind == TK_HANDSHAKE && e->subtype == TLS_HS_CLIENT_HELLO && e->wire && e->wire_stored >= 38;
}

int tlsmath_session_of(const struct trace *t, size_t ev)
{
	if (ev >= t->n)
		return -1;
	const struct trace_event *e = &t->ev[ev];
	for (size_t j = ev + 1; j-- > 0;) {
		const struct trace_event *h = &t->ev[j];
		if (h->link != e->link || !is_client_hello(h))
			continue;
		for (size_t i = t->nsessions; i-- > 0;)
			if ((t->sessions[i].links >> e->link & 1) && !memcmp(t->sessions[i].client_random, h->wire + 6, 32))
				return (int)i;
		return -1;
	}
	return -1;
}

int tlsmath_is_protected(const struct trace *t, size_t ev)
{
	return ev < t->n && t->ev[ev].kind == TK_RECORD && t->ev[ev].subtype >= 0 && t->ev[ev].encrypted;
}

static int whole_record(const struct trace_event *e)
{
	return e->kind == TK_RECORD && e->subtype >= 0 && e->wire && e->wire_len >= 5 && e->wire_stored == e->wire_len &&
	       ((size_t)e->wire[3] << 8 | e->wire[4]) == e->wire_len - 5;
}

static int same_dir(const struct trace_event *a, const struct trace_event *b)
{
	return a->link == b->link && a->from == b->from;
}

static void be64(uint8_t *d, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		d[i] = (uint8_t)v;
}

/* seq ‖ type ‖ version ‖ length: the AEAD additional data and the MAC's header alike. */
static void seq_header(uint8_t d[13], uint64_t seq, unsigned type, unsigned version, size_t len)
{
	be64(d, seq);
	d[8] = (uint8_t)type;
	d[9] = (uint8_t)(version >> 8);
	d[10] = (uint8_t)version;
	d[11] = (uint8_t)(len >> 8);
	d[12] = (uint8_t)len;
}

static int fail(struct tlsmath_record *r, const char *why)
{
	r->why = why;
	return -1;
}

int tlsmath_record(const struct trace *t, size_t ev, const struct tlsmath_keys *kin, struct tlsmath_record *r)
{
	memset(r, 0, sizeof *r);
	r->event = ev;
	r->session = -1;
	r->matches_trace = -1;
	if (!tlsmath_is_protected(t, ev))
		return fail(r, "not a protected record");
	const struct trace_event *e = &t->ev[ev];
	r->up = client_end_of(e);
	r->session = tlsmath_session_of(t, ev);
	if (r->session < 0)
		return fail(r, "no TLS session of this run matches the link's ClientHello");
	struct tlsmath_keys kbuf;
	const struct tlsmath_keys *k = kin;
	if (!k) {
		tlsmath_keys(&t->sessions[r->session], &kbuf);
		k = &kbuf;
	}
	if (!k->ok)
		return fail(r, k->why);
	if (!whole_record(e))
		return fail(r, "the trace keeps only part of this record's bytes");
	r->type = e->wire[0];
	r->version = (unsigned)e->wire[1] << 8 | e->wire[2];
	r->fragment_len = e->wire_len - 5;
	r->mode = k->ss->mode;

	/* The direction's ChangeCipherSpec, then its protected records up to this one. */
	size_t c = ev;
	while (c-- > 0) {
		const struct trace_event *x = &t->ev[c];
		if (x->link == e->link && is_client_hello(x))
			return fail(r, "no ChangeCipherSpec before this record on its connection");
		if (same_dir(x, e) && x->kind == TK_RECORD && x->subtype == TLS_CT_CHANGE_CIPHER_SPEC)
			break;
	}
	if (c == (size_t)-1)
		return fail(r, "no ChangeCipherSpec before this record");

	/* Its sequence number and, in TLS 1.0 CBC, its IV: the previous record's last block. */
	size_t ivlen;
	const uint8_t *write_iv = tlsmath_part(k, r->up ? TLSMATH_CLIENT_IV : TLSMATH_SERVER_IV, &ivlen);
	const uint8_t *chain = write_iv;
	uint64_t seq = 0;
	for (size_t j = c + 1; j < ev; j++) {
		const struct trace_event *x = &t->ev[j];
		if (!same_dir(x, e) || x->kind != TK_RECORD || x->subtype < 0)
			continue;
		seq++;
		if (k->ss->mode == TLSKEYS_CBC) {
			if (!whole_record(x) || x->wire_len - 5 < k->ss->block)
				return fail(r, "the trace keeps only part of an earlier record's bytes");
			chain = x->wire + x->wire_len - k->ss->block;
		}
	}
	r->seq = seq;

	union tlskeys_rec_in in;
	tlskeys_rec_in_init(&in, k->ss, k->version, k->key_block, r->up);
	tlskeys_rec_in_seek(&in, k->ss, seq, chain);
	const br_sslrec_in_class **vt = &in.vtable;
	size_t len = r->fragment_len;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return fail(r, "out of memory");
	memcpy(buf, e->wire + 5, len);
	uint8_t *p = NULL;
	if ((*vt)->check_length(vt, len))
		p = (*vt)->decrypt(vt, r->type, r->version, buf, &len);
	int rc = -1;
	{
		if (!p) {
			fail(r, "the record does not authenticate under the session's keys: it was changed on "
				"the way");
			goto out;
		}
		r->plain = malloc(len ? len : 1);
		if (!r->plain) {
			fail(r, "out of memory");
			goto out;
		}
		memcpy(r->plain, p, len);
		r->plain_len = len;
		size_t flen = r->fragment_len;
		if (k->ss->mode == TLSKEYS_CBC) {
			size_t bl = k->ss->block;
			r->iv_len = bl;
			r->iv_explicit = k->version >= BR_TLS11;
			memcpy(r->iv, r->iv_explicit ? e->wire + 5 : chain, bl);
			r->ct_off = 5 + (r->iv_explicit ? bl : 0);
			r->ct_len = flen - (r->iv_explicit ? bl : 0);
			r->mac_len = k->ss->mac_len;
			memcpy(r->mac, p + len, r->mac_len);
			r->pad_len = (size_t)(buf + flen - (p + len + r->mac_len));
			seq_header(r->mac_header, seq, r->type, r->version, len);
		} else {
			r->tag_len = k->ss->tag_len;
			r->salt_len = ivlen;
			memcpy(r->salt, write_iv, ivlen);
			if (k->ss->mode == TLSKEYS_CHAPOL) {
				uint8_t s8[8];
				be64(s8, seq);
				memcpy(r->nonce, write_iv, 12);
				for (int i = 0; i < 8; i++)
					r->nonce[4 + i] ^= s8[i];
			} else {
				r->explicit_len = 8;
				memcpy(r->nonce, write_iv, 4);
				memcpy(r->nonce + 4, e->wire + 5, 8);
			}
			r->ct_off = 5 + r->explicit_len;
			r->ct_len = flen - r->explicit_len - r->tag_len;
			r->tag_off = 5 + flen - r->tag_len;
			seq_header(r->aad, seq, r->type, r->version, r->ct_len);
		}
		uint8_t *tp;
		size_t tlen;
		if (tlsmath_trace_plain(t, ev, &tp, &tlen) == 0) {
			r->matches_trace = tlen == len && !memcmp(tp, r->plain, len);
			free(tp);
		}
		r->ok = 1;
		rc = 0;
	}
out:
	free(buf);
	return rc;
}

void tlsmath_record_free(struct tlsmath_record *r)
{
	free(r->plain);
	r->plain = NULL;
	r->plain_len = 0;
}

static int grow(uint8_t **p, size_t *n, const uint8_t *add, size_t k)
{
	uint8_t *b = realloc(*p, *n + k + 1);
	if (!b)
		return -1;
	memcpy(b + *n, add, k);
	*p = b;
	*n += k;
	return 0;
}

int tlsmath_trace_plain(const struct trace *t, size_t ev, uint8_t **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (ev >= t->n)
		return -1;
	const struct trace_event *e = &t->ev[ev];
	int any = 0;
	if (e->plain_len) {
		if (e->plain_stored < e->plain_len || grow(out, len, e->plain, e->plain_len))
			goto none;
		return 0;
	}
	for (size_t j = ev + 1; j < t->n; j++) {
		const struct trace_event *c = &t->ev[j];
		if (c->parent != (int)ev)
			continue;
		/* an SMTP piece keeps what the endpoint put in as plain; an encrypted handshake
		 * message or alert keeps only its ciphertext: nothing to compare */
		if (!c->plain_len || c->plain_stored < c->plain_len || grow(out, len, c->plain, c->plain_len))
			goto none;
		any = 1;
	}
	if (any)
		return 0;
none:
	free(*out);
	*out = NULL;
	*len = 0;
	return -1;
}

/* ---- TLS 1.3 ---- */

static const enum tls13_secret traffic_kind[TLSMATH13_NTRAFFIC] = {
	TLS13_CLIENT_HS, TLS13_SERVER_HS, TLS13_CLIENT_AP0, TLS13_SERVER_AP0,
};

const char *tlsmath13_label(enum tlsmath13_traffic x)
{
	return (unsigned)x < TLSMATH13_NTRAFFIC ? tls13_secret_label(traffic_kind[x]) : "?";
}

const char *tlsmath13_rfc_name(enum tlsmath13_traffic x)
{
	static const char *const n[TLSMATH13_NTRAFFIC] = {
		"client_handshake_traffic_secret", "server_handshake_traffic_secret",
		"client_application_traffic_secret_0", "server_application_traffic_secret_0",
	};
	return (unsigned)x < TLSMATH13_NTRAFFIC ? n[x] : "?";
}

int tlsmath13_keys(const struct trace_tls_session *s, struct tlsmath13_keys *k)
{
	memset(k, 0, sizeof *k);
	k->ss = tls13_suite(s->suite);
	if (s->version != 0x0304) {
		k->why = "not a TLS 1.3 session";
		return -1;
	}
	if (!k->ss) {
		k->why = "a TLS 1.3 suite whose record protection this view does not cover";
		return -1;
	}
	/* Early Secret = HKDF-Extract(salt 0, IKM 0...0) = HMAC(0, 0...0) */
	uint8_t zeros[48] = { 0 };
	br_hmac_key_context kc;
	br_hmac_context hc;
	br_hmac_key_init(&kc, k->ss->hash, zeros, k->ss->hash_len);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, zeros, k->ss->hash_len);
	br_hmac_out(&hc, k->early_secret);
	for (int x = 0; x < TLSMATH13_NTRAFFIC; x++) {
		if (!(s->secrets13 >> traffic_kind[x] & 1) || s->secret13_len != k->ss->hash_len)
			continue;
		k->t[x].have = 1;
		memcpy(k->t[x].secret, s->secret13[traffic_kind[x]], k->ss->hash_len);
		tls13_traffic_keys(k->ss, k->t[x].secret, k->t[x].key, k->t[x].iv);
		k->ok = 1;
	}
	if (!k->ok)
		k->why = "no endpoint of this run reported the session's traffic secrets";
	return k->ok ? 0 : -1;
}

static int fail13(struct tlsmath13_record *r, const char *why)
{
	r->ok = 0;
	r->why = why;
	return -1;
}

int tlsmath13_record(const struct trace *t, size_t ev, const struct tlsmath13_keys *kin, struct tlsmath13_record *r)
{
	memset(r, 0, sizeof *r);
	if (!tlsmath_is_protected(t, ev))
		return fail13(r, "not a protected record");
	const struct trace_event *e = &t->ev[ev];
	r->up = client_end_of(e);
	r->session = tlsmath_session_of(t, ev);
	if (r->session < 0)
		return fail13(r, "no TLS session of this run matches the link's ClientHello");
	struct tlsmath13_keys kbuf;
	const struct tlsmath13_keys *k = kin;
	if (!k) {
		tlsmath13_keys(&t->sessions[r->session], &kbuf);
		k = &kbuf;
	}
	if (!k->ok)
		return fail13(r, k->why);
	if (!whole_record(e))
		return fail13(r, "the trace keeps only part of this record's bytes");
	/* Its place: count this sender's protected records since the link's ClientHello,
	 * switching to the application keys after its Finished and to the next generation
	 * after each KeyUpdate it sent (facts: the opened messages' types). */
	size_t start = ev;
	while (start > 0 && !(t->ev[start].link == e->link && is_client_hello(&t->ev[start])))
		start--;
	int app = 0;
	unsigned gen = 0;
	uint64_t seq = 0;
	for (size_t j = start; j < ev; j++) {
		const struct trace_event *x = &t->ev[j];
		if (x->kind == TK_RECORD && x->encrypted && same_dir(x, e)) {
			seq++;
			continue;
		}
		if (x->kind != TK_HANDSHAKE || !x->encrypted || x->parent < 0 || !same_dir(&t->ev[x->parent], e))
			continue;
		if (x->subtype == TLS_HS_FINISHED && !app) {
			app = 1;
			seq = 0;
		} else if (x->subtype == 24 && app) {
			gen++;
			seq = 0;
		}
	}
	r->keys = app ? (r->up ? TLSMATH13_CLIENT_AP : TLSMATH13_SERVER_AP) : (r->up ? TLSMATH13_CLIENT_HS : TLSMATH13_SERVER_HS);
	r->generation = gen;
	r->seq = seq;
	if (!k->t[r->keys].have)
		return fail13(r, "the traffic secret of this record was not reported");
	uint8_t secret[48];
	memcpy(secret, k->t[r->keys].secret, k->ss->hash_len);
	for (unsigned g = 0; g < gen; g++)
		tls13_expand_label(k->ss->hash, secret, k->ss->hash_len, "traffic upd", NULL, 0, secret, k->ss->hash_len);
	tls13_traffic_keys(k->ss, secret, r->key, r->iv);
	r->key_len = k->ss->key_len;
	memcpy(r->nonce, r->iv, 12);
	for (int i = 0; i < 8; i++)
		r->nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
	r->ct_off = 5;
	r->ct_len = e->wire_len >= 5 + 16 ? e->wire_len - 5 - 16 : 0;
	r->tag_off = 5 + r->ct_len;
	if (!(r->plain = malloc(e->wire_len)))
		return fail13(r, "out of memory");
	uint8_t inner;
	if (tls13_open(k->ss, r->key, r->iv, seq, e->wire, e->wire_len, r->plain, &r->plain_len, &inner))
		return fail13(r, "it does not authenticate under these keys (changed on the way)");
	r->inner_type = inner;
	r->ok = 1;
	return 0;
}

void tlsmath13_record_free(struct tlsmath13_record *r)
{
	free(r->plain);
	r->plain = NULL;
}
