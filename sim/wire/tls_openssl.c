/* tls_openssl: the OpenSSL 3 engine behind tls.h, for TLS 1.3 (and 1.2 beside it).
 *
 * Sans-I/O like BearSSL: the SSL object reads from and writes to memory BIOs, and this
 * file offers their contents through the same four buffers as BearSSL's engine (records
 * out and in, plaintext out and in), so sim/link/conn.c drives either engine alike.
 *
 * Reproducible: OpenSSL takes every random byte it uses -- randoms, the legacy session
 * id, key shares, ECDSA nonces, RSA-PSS salts, ticket keys -- from RAND_bytes_ex and
 * RAND_priv_bytes_ex, which in OpenSSL 3.0 ask an installed RAND_METHOD first. Ours reads
 * the HMAC-DRBG of the endpoint being driven, seeded as BearSSL's engines are (run seed,
 * actor label); a run is single-threaded and each endpoint's calls are sequential, so the
 * bytes follow from the seed. No wall clock reaches the wire: the certificate clock is the
 * scenario's date, TLS 1.3 tickets are stateful (the ticket is a random session id, not
 * an encrypted session that holds the time), and hello randoms carry no time. */
#define OPENSSL_API_COMPAT 10101 /* RAND_set_rand_method: deprecated in 3.0, still honoured */
#include "sim/wire/tls_engine.h"

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TLS_OSSL_SECRETS 8

struct tls_ossl {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio, *wbio;                /* what we received / what the engine wrote */
	br_hmac_drbg_context drbg;
	int is_server, accepts_any;
	int hs_done;                     /* the handshake completed */
	int failed;                      /* a fatal error: CLOSED once the output is drained */
	int done;                        /* closed cleanly (close_notify both ways) */
	int close_sent;                  /* our close_notify is out */
	int err;                         /* BR_ERR_* once failed */
	int alert_sent, alert_recv;      /* fatal alert descriptions, -1: none */
	uint8_t *out;                    /* records waiting to be taken (sendrec) */
	size_t out_off, out_len, out_cap;
	unsigned char in[16384 + 2048];  /* received bytes, written to rbio on ack */
	unsigned char app_in[16384];     /* plaintext read, waiting to be taken */
	size_t app_in_off, app_in_len;
	unsigned char app_out[16384];    /* plaintext acknowledged, written on flush */
	size_t app_out_len;
	struct tls_secret sec[TLS_OSSL_SECRETS];
	size_t nsec;
	uint8_t server_random[32];
	uint8_t master[48];
	int has_master;
	int verify_err;                  /* what the certificate check said, as BR_ERR_X509_*; 0 */
	int ignore_sentinel;             /* tls_config.ignore_downgrade_sentinel */
	uint8_t first[2048];             /* the server's first record, for that */
	size_t first_len;
	unsigned char chain[12288];      /* the certificates the server presented, DER, leaf first */
	size_t chain_used, cert_off[TLS_CHAIN_MAX], cert_len[TLS_CHAIN_MAX], ncert;
};

/* ---- randomness: the DRBG of the endpoint being driven ---- */

static br_hmac_drbg_context *cur_drbg;
static br_hmac_drbg_context idle_drbg; /* OpenSSL asking outside any endpoint call */
static int idle_ready;

static int rand_bytes(unsigned char *buf, int num)
{
	br_hmac_drbg_context *d = cur_drbg;
	if (!d) {
		if (!idle_ready) {
			br_hmac_drbg_init(&idle_drbg, &br_sha256_vtable, "smtps-sim idle", 14);
			idle_ready = 1;
		}
		d = &idle_drbg;
	}
	if (num > 0)
		br_hmac_drbg_generate(d, buf, (size_t)num);
	return 1;
}

static int rand_status(void)
{
	return 1;
}

static RAND_METHOD sim_rand = { NULL, rand_bytes, NULL, NULL, rand_bytes, rand_status };

static void seed_drbg(br_hmac_drbg_context *d, uint64_t seed, const char *label)
{
	uint8_t out[32];
	tls_seed_bytes(seed, label, out);
	br_hmac_drbg_init(d, &br_sha256_vtable, out, sizeof out);
}

/* Every call into OpenSSL for an endpoint runs between enter and leave. */
static br_hmac_drbg_context *enter(struct tls_ossl *o)
{
	br_hmac_drbg_context *prev = cur_drbg;
	cur_drbg = &o->drbg;
	return prev;
}

static void leave(br_hmac_drbg_context *prev)
{
	cur_drbg = prev;
	ERR_clear_error(); /* each endpoint's errors are its own */
}

/* ---- callbacks ---- */

static int ex_index = -1;

static struct tls_ossl *of(const SSL *ssl)
{
	return SSL_get_ex_data(ssl, ex_index);
}

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static size_t unhex(const char *p, size_t n, uint8_t *out, size_t cap)
{
	if (n % 2 || n / 2 > cap)
		return 0;
	for (size_t i = 0; i < n / 2; i++) {
		int a = hexval(p[2 * i]), b = hexval(p[2 * i + 1]);
		if (a < 0 || b < 0)
			return 0;
		out[i] = (uint8_t)(a << 4 | b);
	}
	return n / 2;
}

/* "LABEL <client random> <secret>", as the NSS key log has it. */
static void on_keylog(const SSL *ssl, const char *line)
{
	struct tls_ossl *o = of(ssl);
	if (!o || o->nsec == TLS_OSSL_SECRETS)
		return;
	const char *sp1 = strchr(line, ' ');
	const char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp2)
		return;
	int kind = tls13_secret_from_label(line, (size_t)(sp1 - line));
	if (kind < 0)
		return; /* CLIENT_RANDOM (TLS 1.2): the master secret is read from the session */
	struct tls_secret *s = &o->sec[o->nsec];
	memset(s, 0, sizeof *s);
	s->kind = (enum tls13_secret)kind;
	if (unhex(sp1 + 1, (size_t)(sp2 - sp1 - 1), s->client_random, 32) != 32)
		return;
	s->len = unhex(sp2 + 1, strlen(sp2 + 1), s->secret, sizeof s->secret);
	if (s->len)
		o->nsec++;
}

static void on_info(const SSL *ssl, int where, int ret)
{
	struct tls_ossl *o = of(ssl);
	if (!o || !(where & SSL_CB_ALERT))
		return;
	int level = (ret >> 8) & 0xff, desc = ret & 0xff;
	if (level != 2)
		return;
	if (where & SSL_CB_WRITE) {
		if (o->alert_sent < 0)
			o->alert_sent = desc;
	} else if (o->alert_recv < 0) {
		o->alert_recv = desc;
	}
}

/* ---- the certificate check, told in BearSSL's codes ---- */

static int x509_code(long v)
{
	switch (v) {
	case X509_V_OK: return 0;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID: return BR_ERR_X509_EXPIRED;
	case X509_V_ERR_HOSTNAME_MISMATCH: return BR_ERR_X509_BAD_SERVER_NAME;
	case X509_V_ERR_CERT_SIGNATURE_FAILURE: return BR_ERR_X509_BAD_SIGNATURE;
	case X509_V_ERR_INVALID_CA: return BR_ERR_X509_NOT_CA;
	case X509_V_ERR_INVALID_PURPOSE: return BR_ERR_X509_FORBIDDEN_KEY_USAGE;
	case X509_V_ERR_EE_KEY_TOO_SMALL:
	case X509_V_ERR_CA_KEY_TOO_SMALL: return BR_ERR_X509_WEAK_PUBLIC_KEY;
	default: return BR_ERR_X509_NOT_TRUSTED; /* no issuer, self-signed, untrusted ... */
	}
}

static void keep_chain(struct tls_ossl *o)
{
	if (o->is_server || o->ncert)
		return;
	STACK_OF(X509) *sk = SSL_get_peer_cert_chain(o->ssl); /* the client's: leaf included */
	for (int i = 0; sk && i < sk_X509_num(sk) && o->ncert < TLS_CHAIN_MAX; i++) {
		int n = i2d_X509(sk_X509_value(sk, i), NULL);
		if (n <= 0 || (size_t)n > sizeof o->chain - o->chain_used)
			break;
		unsigned char *p = o->chain + o->chain_used;
		i2d_X509(sk_X509_value(sk, i), &p);
		o->cert_off[o->ncert] = o->chain_used;
		o->cert_len[o->ncert++] = (size_t)n;
		o->chain_used += (size_t)n;
	}
	/* Set when the check ran, also when it failed before the chain was kept. */
	o->verify_err = x509_code(SSL_get_verify_result(o->ssl));
}

/* ---- driving ---- */

static void drain(struct tls_ossl *o)
{
	for (;;) {
		size_t pend = BIO_ctrl_pending(o->wbio);
		if (!pend)
			return;
		if (o->out_off && o->out_off == o->out_len)
			o->out_off = o->out_len = 0;
		if (o->out_len + pend > o->out_cap) {
			size_t cap = o->out_cap ? o->out_cap : 4096;
			while (cap < o->out_len + pend)
				cap *= 2;
			uint8_t *n = realloc(o->out, cap);
			if (!n) {
				o->failed = 1;
				o->err = BR_ERR_IO;
				return;
			}
			o->out = n;
			o->out_cap = cap;
		}
		int k = BIO_read(o->wbio, o->out + o->out_len, (int)pend);
		if (k <= 0)
			return;
		o->out_len += (size_t)k;
	}
}

static void fail(struct tls_ossl *o)
{
	if (o->failed)
		return;
	o->failed = 1;
	keep_chain(o);
	/* What OpenSSL itself found, where BearSSL has a code for it: more than the alert says. */
	int reason = ERR_GET_LIB(ERR_peek_last_error()) == ERR_LIB_SSL ? ERR_GET_REASON(ERR_peek_last_error()) : 0;
	int own = reason == SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC ? BR_ERR_BAD_MAC
		  : reason == SSL_R_DIGEST_CHECK_FAILED ? BR_ERR_BAD_FINISHED
		  : reason == SSL_R_BAD_SIGNATURE ? BR_ERR_BAD_SIGNATURE
		  : reason == SSL_R_NO_SHARED_CIPHER ? BR_ERR_BAD_CIPHER_SUITE : 0;
	if (!o->is_server && !o->accepts_any && o->verify_err)
		o->err = o->verify_err;
	else if (own && o->alert_recv < 0)
		o->err = own;
	else if (o->alert_recv >= 0)
		o->err = BR_ERR_RECV_FATAL_ALERT + o->alert_recv;
	else if (o->alert_sent >= 0)
		o->err = BR_ERR_SEND_FATAL_ALERT + o->alert_sent;
	else
		o->err = BR_ERR_IO;
}

/* The peer's close_notify arrived: answer it, as BearSSL does by itself. */
static void peer_closed(struct tls_ossl *o)
{
	if (!(SSL_get_shutdown(o->ssl) & SSL_SENT_SHUTDOWN))
		SSL_shutdown(o->ssl);
	o->close_sent = 1;
	o->done = 1;
}

static void drive(struct tls_ossl *o)
{
	if (o->failed || o->done)
		return;
	br_hmac_drbg_context *prev = enter(o);
	if (!o->hs_done) {
		int r = SSL_do_handshake(o->ssl);
		if (r == 1) {
			o->hs_done = 1;
			keep_chain(o);
			SSL_get_server_random(o->ssl, o->server_random, sizeof o->server_random);
			if (SSL_version(o->ssl) <= TLS1_2_VERSION &&
			    SSL_SESSION_get_master_key(SSL_get_session(o->ssl), o->master, sizeof o->master) == 48)
				o->has_master = 1;
		} else {
			int e = SSL_get_error(o->ssl, r);
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				fail(o);
		}
	}
	if (o->hs_done && !o->failed && o->app_out_len) {
		size_t w = 0;
		if (SSL_write_ex(o->ssl, o->app_out, o->app_out_len, &w) == 1) {
			o->app_out_len = 0;
		} else {
			int e = SSL_get_error(o->ssl, 0);
			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				fail(o);
		}
	}
	/* Plaintext is read while none waits: one record's worth at a time. */
	while (o->hs_done && !o->failed && !o->done && o->app_in_len == 0) {
		size_t got = 0;
		int r = SSL_read_ex(o->ssl, o->app_in, sizeof o->app_in, &got);
		if (r == 1) {
			o->app_in_off = 0;
			o->app_in_len = got;
			break;
		}
		int e = SSL_get_error(o->ssl, r);
		if (e == SSL_ERROR_ZERO_RETURN)
			peer_closed(o);
		else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			fail(o);
		break;
	}
	drain(o);
	leave(prev);
}

/* ---- set-up ---- */

static const char *ossl_name(SSL *ssl, uint16_t id, int *is13)
{
	unsigned char b[2] = { (unsigned char)(id >> 8), (unsigned char)id };
	const SSL_CIPHER *c = SSL_CIPHER_find(ssl, b);
	*is13 = (id >> 8) == 0x13;
	return c ? (*is13 ? SSL_CIPHER_standard_name(c) : SSL_CIPHER_get_name(c)) : NULL;
}

static int set_suites(struct tls_ossl *o, const struct tls_config *cfg, char *err, size_t errcap)
{
	const uint16_t *suites = cfg->suites ? cfg->suites : tls_default_suites;
	size_t n = cfg->suites ? cfg->nsuites : tls_default_nsuites;
	char l12[1024] = "", l13[256] = "";
	size_t n12 = 0, n13 = 0;
	for (size_t i = 0; i < n; i++) {
		int is13;
		const char *name = ossl_name(o->ssl, suites[i], &is13);
		if (!name)
			continue; /* a suite this OpenSSL does not have */
		char *l = is13 ? l13 : l12;
		size_t cap = is13 ? sizeof l13 : sizeof l12, *k = is13 ? &n13 : &n12;
		int w = snprintf(l + *k, cap - *k, "%s%s", *k ? ":" : "", name);
		if (w > 0 && (size_t)w < cap - *k)
			*k += (size_t)w;
	}
	/* TLS 1.3's default order prefers AES-128-GCM, as the BearSSL list does. */
	if (!cfg->suites || !n13)
		snprintf(l13, sizeof l13, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
	if (!n12 && cfg->suites)
		snprintf(l12, sizeof l12, "%s", "DEFAULT");
	if (!SSL_set_ciphersuites(o->ssl, l13) || !SSL_set_cipher_list(o->ssl, n12 ? l12 : "DEFAULT")) {
		snprintf(err, errcap, "OpenSSL takes none of the cipher suites");
		return -1;
	}
	return 0;
}

static int set_server_identity(struct tls_ossl *o, const struct tls_config *cfg, char *err, size_t errcap)
{
	if (!cfg->chain || !cfg->key || !cfg->chain->n || !cfg->key->der) {
		snprintf(err, errcap, "TLS server without a certificate and key");
		return -1;
	}
	for (size_t i = 0; i < cfg->chain->n; i++) {
		const unsigned char *p = cfg->chain->certs[i].data;
		X509 *x = d2i_X509(NULL, &p, (long)cfg->chain->certs[i].data_len);
		int ok = x && (i == 0 ? SSL_use_certificate(o->ssl, x) : SSL_add1_chain_cert(o->ssl, x));
		X509_free(x);
		if (!ok) {
			snprintf(err, errcap, "OpenSSL cannot use certificate %zu of the chain", i + 1);
			return -1;
		}
	}
	const unsigned char *p = cfg->key->der;
	EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &p, (long)cfg->key->der_len);
	int ok = k && SSL_use_PrivateKey(o->ssl, k) && SSL_check_private_key(o->ssl);
	EVP_PKEY_free(k);
	if (!ok) {
		snprintf(err, errcap, "OpenSSL cannot use the private key (or it does not match the certificate)");
		return -1;
	}
	return 0;
}

static int set_client_check(struct tls_ossl *o, const struct tls_config *cfg, char *err, size_t errcap)
{
	X509_STORE *st = SSL_CTX_get_cert_store(o->ctx);
	for (size_t i = 0; cfg->anchors && i < cfg->anchors->ncerts; i++) {
		const unsigned char *p = cfg->anchors->certs[i].data;
		X509 *x = d2i_X509(NULL, &p, (long)cfg->anchors->certs[i].data_len);
		int ok = x && X509_STORE_add_cert(st, x);
		X509_free(x);
		if (!ok) {
			snprintf(err, errcap, "OpenSSL cannot use trust anchor %zu", i + 1);
			return -1;
		}
	}
	X509_VERIFY_PARAM *vp = SSL_get0_param(o->ssl);
	X509_VERIFY_PARAM_set_time(vp, (time_t)cfg->now);
	if (cfg->server_name && cfg->server_name[0]) {
		if (!SSL_set_tlsext_host_name(o->ssl, cfg->server_name) || !SSL_set1_host(o->ssl, cfg->server_name)) {
			snprintf(err, errcap, "OpenSSL does not take the server name");
			return -1;
		}
	}
	o->accepts_any = cfg->verify == TLS_VERIFY_NONE;
	/* Without verification the check still runs, so that the lesson can say what it found. */
	SSL_set_verify(o->ssl, o->accepts_any ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	return 0;
}

static int version_of(unsigned v)
{
	return v == BR_TLS10 ? TLS1_VERSION : v == BR_TLS11 ? TLS1_1_VERSION : v == TLS13 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

int tls_ossl_init(struct tls_endpoint *ep, const struct tls_config *cfg, char *err, size_t errcap)
{
	static int rand_set;
	if (!rand_set) {
		RAND_set_rand_method(&sim_rand);
		rand_set = 1;
	}
	if (ex_index < 0 && (ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL)) < 0) {
		snprintf(err, errcap, "OpenSSL could not start");
		return -1;
	}
	struct tls_ossl *o = calloc(1, sizeof *o);
	if (!o) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	ep->ossl = o;
	o->is_server = cfg->is_server;
	o->alert_sent = o->alert_recv = -1;
	o->ignore_sentinel = !cfg->is_server && cfg->ignore_downgrade_sentinel;
	seed_drbg(&o->drbg, cfg->seed, cfg->label ? cfg->label : "");
	br_hmac_drbg_context *prev = enter(o);
	int rc = -1;
	o->ctx = SSL_CTX_new(cfg->is_server ? TLS_server_method() : TLS_client_method());
	if (!o->ctx)
		goto out;
	unsigned vmin = cfg->version_min ? cfg->version_min : BR_TLS12;
	unsigned vmax = cfg->version_max ? cfg->version_max : BR_TLS12;
	if (!SSL_CTX_set_min_proto_version(o->ctx, version_of(vmin)) ||
	    !SSL_CTX_set_max_proto_version(o->ctx, version_of(vmax)))
		goto out;
	/* Stateful tickets in TLS 1.3 (no time inside), none in 1.2; no renegotiation. */
	SSL_CTX_set_options(o->ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_keylog_callback(o->ctx, on_keylog);
	if (!(o->ssl = SSL_new(o->ctx)))
		goto out;
	SSL_set_ex_data(o->ssl, ex_index, o);
	SSL_set_info_callback(o->ssl, on_info);
	o->rbio = BIO_new(BIO_s_mem());
	o->wbio = BIO_new(BIO_s_mem());
	if (!o->rbio || !o->wbio) {
		BIO_free(o->rbio);
		BIO_free(o->wbio);
		o->rbio = o->wbio = NULL;
		goto out;
	}
	BIO_set_mem_eof_return(o->rbio, -1); /* no bytes yet is "want read", not the end */
	SSL_set_bio(o->ssl, o->rbio, o->wbio);
	if (set_suites(o, cfg, err, errcap))
		goto fail;
	if (cfg->groups && !SSL_set1_groups_list(o->ssl, cfg->groups)) {
		snprintf(err, errcap, "OpenSSL does not take the groups \"%s\"", cfg->groups);
		goto fail;
	}
	if (cfg->is_server ? set_server_identity(o, cfg, err, errcap) : set_client_check(o, cfg, err, errcap))
		goto fail;
	if (cfg->is_server)
		SSL_set_accept_state(o->ssl);
	else
		SSL_set_connect_state(o->ssl);
	rc = 0;
out:
	if (rc)
		snprintf(err, errcap, "OpenSSL could not set up the TLS %s", cfg->is_server ? "server" : "client");
fail:
	leave(prev);
	if (rc)
		return -1;
	/* A client's ClientHello is ready at once, as with BearSSL. */
	if (!cfg->is_server)
		drive(o);
	return 0;
}

void tls_ossl_free(struct tls_ossl *o)
{
	if (!o)
		return;
	SSL_free(o->ssl); /* frees the BIOs */
	SSL_CTX_free(o->ctx);
	free(o->out);
	memset(o->sec, 0, sizeof o->sec);
	free(o);
}

/* ---- the engine's buffers ---- */

unsigned tls_ossl_state(struct tls_ossl *o)
{
	unsigned st = 0;
	if (o->out_len > o->out_off)
		st |= TLS_ST_SENDREC;
	if (o->failed || o->done)
		return st ? st : TLS_ST_CLOSED;
	st |= TLS_ST_RECVREC;
	if (o->hs_done && !o->close_sent && o->app_out_len < sizeof o->app_out)
		st |= TLS_ST_SENDAPP;
	if (o->app_in_len)
		st |= TLS_ST_RECVAPP;
	return st;
}

unsigned char *tls_ossl_sendrec_buf(struct tls_ossl *o, size_t *len)
{
	*len = o->out_len - o->out_off;
	return *len ? o->out + o->out_off : NULL;
}

void tls_ossl_sendrec_ack(struct tls_ossl *o, size_t len)
{
	o->out_off += len;
	if (o->out_off >= o->out_len)
		o->out_off = o->out_len = 0;
}

unsigned char *tls_ossl_recvrec_buf(struct tls_ossl *o, size_t *len)
{
	*len = sizeof o->in;
	return o->in;
}

/* The modelled careless client: once the server's first record is in and it is a
 * ServerHello that agrees on TLS 1.2 or older (no supported_versions), the client's highest
 * version becomes 1.2, so that OpenSSL does not compare the random with the sentinel. */
static void sentinel_blind(struct tls_ossl *o, const unsigned char *p, size_t n)
{
	size_t want = sizeof o->first - o->first_len;
	if (o->first_len >= 5) {
		size_t rl = 5 + ((size_t)o->first[3] << 8 | o->first[4]);
		want = rl > o->first_len ? rl - o->first_len : 0;
	}
	if (want > n)
		want = n;
	if (o->first_len + want > sizeof o->first) {
		o->ignore_sentinel = 0; /* a first record this long is no ServerHello of ours */
		return;
	}
	memcpy(o->first + o->first_len, p, want);
	o->first_len += want;
	if (o->first_len < 5)
		return;
	const uint8_t *f = o->first;
	size_t rl = 5 + ((size_t)f[3] << 8 | f[4]);
	if (rl > sizeof o->first) {
		o->ignore_sentinel = 0;
		return;
	}
	if (o->first_len < rl)
		return; /* more of it to come */
	o->ignore_sentinel = 0; /* decided on this record */
	/* record header (5), handshake header (4), version (2), random (32), session id,
	 * suite (2), compression (1), extensions */
	if (rl < 5 + 4 + 2 + 32 + 1 || f[0] != 22 || f[5] != 2 || ((unsigned)f[9] << 8 | f[10]) > 0x0303)
		return;
	size_t q = 5 + 4 + 2 + 32;
	q += 1 + f[q] + 3;
	if (q + 2 > rl)
		return;
	size_t end = q + 2 + ((size_t)f[q] << 8 | f[q + 1]);
	for (q += 2; q + 4 <= end && end <= rl; q += 4 + ((size_t)f[q + 2] << 8 | f[q + 3]))
		if (((unsigned)f[q] << 8 | f[q + 1]) == 43)
			return; /* supported_versions: a TLS 1.3 ServerHello (its version field says 1.2 too) */
	SSL_set_max_proto_version(o->ssl, TLS1_2_VERSION);
}

void tls_ossl_recvrec_ack(struct tls_ossl *o, size_t len)
{
	if (o->ignore_sentinel && !o->hs_done && len)
		sentinel_blind(o, o->in, len);
	if (len && !o->failed && !o->done && BIO_write(o->rbio, o->in, (int)len) != (int)len) {
		o->failed = 1;
		o->err = BR_ERR_IO;
	}
	drive(o);
}

unsigned char *tls_ossl_sendapp_buf(struct tls_ossl *o, size_t *len)
{
	*len = sizeof o->app_out - o->app_out_len;
	return o->app_out + o->app_out_len;
}

void tls_ossl_sendapp_ack(struct tls_ossl *o, size_t len)
{
	o->app_out_len += len;
}

unsigned char *tls_ossl_recvapp_buf(struct tls_ossl *o, size_t *len)
{
	*len = o->app_in_len;
	return *len ? o->app_in + o->app_in_off : NULL;
}

void tls_ossl_recvapp_ack(struct tls_ossl *o, size_t len)
{
	if (len > o->app_in_len)
		len = o->app_in_len;
	o->app_in_off += len;
	o->app_in_len -= len;
	if (!o->app_in_len) {
		o->app_in_off = 0;
		drive(o); /* the next record's plaintext, if one waits */
	}
}

void tls_ossl_flush(struct tls_ossl *o)
{
	drive(o);
}

void tls_ossl_close(struct tls_ossl *o)
{
	if (o->failed || o->done || o->close_sent)
		return;
	br_hmac_drbg_context *prev = enter(o);
	if (o->app_out_len)
		drive(o);
	SSL_shutdown(o->ssl);
	o->close_sent = 1;
	drain(o);
	leave(prev);
}

int tls_ossl_key_update(struct tls_ossl *o, int request_peer)
{
	if (o->failed || o->done || !o->hs_done || SSL_version(o->ssl) != TLS1_3_VERSION)
		return -1;
	br_hmac_drbg_context *prev = enter(o);
	int ok = SSL_key_update(o->ssl, request_peer ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED) &&
		 SSL_do_handshake(o->ssl) == 1; /* sends it now */
	drain(o);
	leave(prev);
	return ok ? 0 : -1;
}

int tls_ossl_last_error(const struct tls_ossl *o)
{
	return o->failed ? o->err : 0;
}

unsigned tls_ossl_version(const struct tls_ossl *o)
{
	if (!o->hs_done && !o->failed)
		return 0;
	int v = SSL_version(o->ssl);
	return v == TLS1_3_VERSION ? TLS13 : v == TLS1_2_VERSION ? BR_TLS12 : v == TLS1_1_VERSION ? BR_TLS11
	       : v == TLS1_VERSION ? BR_TLS10 : 0;
}

unsigned tls_ossl_suite(const struct tls_ossl *o)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(o->ssl);
	return c ? SSL_CIPHER_get_protocol_id(c) : 0;
}

const uint8_t *tls_ossl_master_secret(const struct tls_ossl *o)
{
	return o->has_master ? o->master : NULL;
}

int tls_ossl_accepts_any(const struct tls_ossl *o)
{
	return o->accepts_any;
}

size_t tls_ossl_secrets(const struct tls_ossl *o, const struct tls_secret **out)
{
	*out = o->sec;
	return o->nsec;
}

int tls_ossl_peer_closed(const struct tls_ossl *o)
{
	return (SSL_get_shutdown(o->ssl) & SSL_RECEIVED_SHUTDOWN) != 0;
}

const uint8_t *tls_ossl_server_random(const struct tls_ossl *o)
{
	return o->server_random;
}

size_t tls_ossl_peer_chain(const struct tls_ossl *o, br_x509_certificate *out, size_t max)
{
	if (o->is_server || !o->accepts_any)
		return 0;
	size_t n = o->ncert < max ? o->ncert : max;
	for (size_t i = 0; i < n; i++) {
		out[i].data = (unsigned char *)(o->chain + o->cert_off[i]);
		out[i].data_len = o->cert_len[i];
	}
	return n;
}

int tls_ossl_peer_verify_error(const struct tls_ossl *o)
{
	return !o->is_server && o->accepts_any ? o->verify_err : 0;
}
