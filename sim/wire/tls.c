/* tls: see tls.h. */
#include "sim/wire/tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/wire/tls_engine.h"

const uint16_t tls_default_suites[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	BR_TLS_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_RSA_WITH_AES_128_CBC_SHA,
};
const size_t tls_default_nsuites = sizeof tls_default_suites / sizeof tls_default_suites[0];

static const struct {
	const char *name;
	uint16_t id;
} suite_names[] = {
	{ "ecdhe-ecdsa-aes128-gcm", BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 },
	{ "ecdhe-rsa-aes128-gcm", BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 },
	{ "ecdhe-ecdsa-aes256-gcm", BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 },
	{ "ecdhe-rsa-aes256-gcm", BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 },
	{ "ecdhe-ecdsa-chacha20", BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 },
	{ "ecdhe-rsa-chacha20", BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 },
	{ "ecdhe-ecdsa-aes128-cbc", BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA },
	{ "ecdhe-rsa-aes128-cbc", BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA },
	{ "rsa-aes128-gcm", BR_TLS_RSA_WITH_AES_128_GCM_SHA256 },
	{ "rsa-aes256-gcm", BR_TLS_RSA_WITH_AES_256_GCM_SHA384 },
	{ "rsa-aes128-cbc", BR_TLS_RSA_WITH_AES_128_CBC_SHA },
	{ "rsa-aes256-cbc", BR_TLS_RSA_WITH_AES_256_CBC_SHA },
	{ "rsa-3des", BR_TLS_RSA_WITH_3DES_EDE_CBC_SHA },
	/* TLS 1.3 (engine = openssl): the suite names only the AEAD and the hash */
	{ "tls13-aes128-gcm", 0x1301 },
	{ "tls13-aes256-gcm", 0x1302 },
	{ "tls13-chacha20", 0x1303 },
};

uint16_t tls_suite_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof suite_names / sizeof suite_names[0]; i++)
		if (strcmp(suite_names[i].name, name) == 0)
			return suite_names[i].id;
	return 0;
}

unsigned tls_version_from_name(const char *name)
{
	if (strcmp(name, "1.0") == 0)
		return BR_TLS10;
	if (strcmp(name, "1.1") == 0)
		return BR_TLS11;
	if (strcmp(name, "1.2") == 0)
		return BR_TLS12;
	if (strcmp(name, "1.3") == 0)
		return TLS13;
	return 0;
}

/* ---- the non-verifying certificate checker ---- */

static void nv_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct tls_noverify *nv = (struct tls_noverify *)(void *)ctx;
	nv->first = 1;
	nv->real_err = 0;
	nv->chain_used = nv->ncert = 0;
	nv->chain_overflow = 0;
	nv->real->vtable->start_chain(&nv->real->vtable, server_name);
}

static void nv_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct tls_noverify *nv = (struct tls_noverify *)(void *)ctx;
	if (nv->first)
		br_x509_decoder_init(&nv->dec, NULL, NULL);
	if (!nv->chain_overflow && nv->ncert < TLS_CHAIN_MAX && length <= sizeof nv->chain - nv->chain_used) {
		nv->cert_off[nv->ncert] = nv->chain_used;
		nv->cert_len[nv->ncert] = 0;
	} else {
		nv->chain_overflow = 1;
	}
	nv->real->vtable->start_cert(&nv->real->vtable, length);
}

static void nv_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct tls_noverify *nv = (struct tls_noverify *)(void *)ctx;
	if (nv->first)
		br_x509_decoder_push(&nv->dec, buf, len);
	if (!nv->chain_overflow) {
		if (len > sizeof nv->chain - nv->chain_used) {
			nv->chain_overflow = 1;
		} else {
			memcpy(nv->chain + nv->chain_used, buf, len);
			nv->chain_used += len;
			nv->cert_len[nv->ncert] += len;
		}
	}
	nv->real->vtable->append(&nv->real->vtable, buf, len);
}

static void nv_end_cert(const br_x509_class **ctx)
{
	struct tls_noverify *nv = (struct tls_noverify *)(void *)ctx;
	nv->first = 0;
	if (!nv->chain_overflow)
		nv->ncert++;
	nv->real->vtable->end_cert(&nv->real->vtable);
}

static unsigned nv_end_chain(const br_x509_class **ctx)
{
	struct tls_noverify *nv = (struct tls_noverify *)(void *)ctx;
	nv->real_err = (int)nv->real->vtable->end_chain(&nv->real->vtable);
	/* The careless part: whatever the validator said, the chain is accepted as long as
	 * the leaf certificate could be decoded at all. */
	return br_x509_decoder_last_error(&nv->dec) == 0 ? 0 : BR_ERR_X509_INVALID_VALUE;
}

static const br_x509_pkey *nv_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct tls_noverify *nv = (struct tls_noverify *)(void *)ctx;
	if (usages)
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	return br_x509_decoder_get_pkey(&nv->dec);
}

static const br_x509_class nv_vtable = {
	sizeof(struct tls_noverify),
	nv_start_chain,
	nv_start_cert,
	nv_append,
	nv_end_cert,
	nv_end_chain,
	nv_get_pkey,
};

/* ---- set-up ---- */

/* Reproducible runs: a BearSSL engine seeds itself from the OS on reset unless
 * rng_os_rand_done is already set, and injected entropy alone only adds to the OS
 * seed. So: mark the OS seeding as done, inject a seed derived from (run seed, actor),
 * and only then reset. Every random value of the handshake follows from the seed. */
void tls_seed_bytes(uint64_t seed, const char *label, uint8_t out[32])
{
	br_sha256_context h;
	unsigned char s[8];
	for (int i = 0; i < 8; i++)
		s[i] = (unsigned char)(seed >> (56 - 8 * i));
	br_sha256_init(&h);
	br_sha256_update(&h, "smtps-sim seed", 14);
	br_sha256_update(&h, s, 8);
	br_sha256_update(&h, label, strlen(label));
	br_sha256_out(&h, out);
}

static void seed_engine(br_ssl_engine_context *eng, uint64_t seed, const char *label)
{
	uint8_t out[32];
	tls_seed_bytes(seed, label, out);
	eng->rng_os_rand_done = 1;
	br_ssl_engine_inject_entropy(eng, out, sizeof out);
}

int tls_peer_closed(const struct tls_endpoint *ep)
{
	if (ep->ossl)
		return tls_ossl_peer_closed(ep->ossl);
	return ep->eng->shutdown_recv != 0;
}

/* ---- the premaster tap: the server policy, with the decrypted premaster kept ---- */

static struct tls_keyx_tap *tap_of(const br_ssl_server_policy_class **pctx)
{
	return (struct tls_keyx_tap *)(void *)pctx;
}

static int tap_choose(const br_ssl_server_policy_class **pctx, const br_ssl_server_context *cc,
		      br_ssl_server_choices *choices)
{
	const br_ssl_server_policy_class **in = tap_of(pctx)->inner;
	return (*in)->choose(in, cc, choices);
}

static uint32_t tap_do_keyx(const br_ssl_server_policy_class **pctx, unsigned char *data, size_t *len)
{
	struct tls_keyx_tap *t = tap_of(pctx);
	uint32_t ok = (*t->inner)->do_keyx(t->inner, data, len);
	/* RSA: the 48-byte premaster is now at the start of data. Kept only when well-formed:
	 * BearSSL replaces a bad one with random bytes (RFC 5246 §7.4.7.1), which it does
	 * not tell; the math view checks the premaster against the master secret anyway. */
	t->premaster_len = 0;
	if (ok && *len >= 48) {
		memcpy(t->premaster, data, 48);
		t->premaster_len = 48;
	}
	return ok;
}

static size_t tap_do_sign(const br_ssl_server_policy_class **pctx, unsigned algo_id, unsigned char *data,
			  size_t hv_len, size_t len)
{
	const br_ssl_server_policy_class **in = tap_of(pctx)->inner;
	return (*in)->do_sign(in, algo_id, data, hv_len, len);
}

static const br_ssl_server_policy_class tap_vtable = {
	sizeof(struct tls_keyx_tap), tap_choose, tap_do_keyx, tap_do_sign
};

const uint8_t *tls_server_random(const struct tls_endpoint *ep)
{
	if (ep->ossl)
		return tls_ossl_server_random(ep->ossl);
	/* BearSSL 0.6 has no getter: the engine's security parameters hold it. */
	return ep->eng->server_random;
}

const uint8_t *tls_premaster(const struct tls_endpoint *ep, size_t *len)
{
	if (ep->ossl) {
		*len = 0;
		return NULL;
	}
	*len = ep->tap.premaster_len;
	return ep->tap.premaster_len ? ep->tap.premaster : NULL;
}

int tls_endpoint_init(struct tls_endpoint *ep, const struct tls_config *cfg, char *err, size_t errcap)
{
	memset(ep, 0, sizeof *ep);
	ep->is_server = cfg->is_server;
	if (cfg->engine == TLS_ENGINE_OPENSSL ||
	    (cfg->engine == TLS_ENGINE_DEFAULT && cfg->version_max == TLS13))
		return tls_ossl_init(ep, cfg, err, errcap);
	if (cfg->version_max > BR_TLS12 || cfg->version_min > BR_TLS12) {
		snprintf(err, errcap, "BearSSL has no TLS 1.3 (engine = openssl has)");
		return -1;
	}
	if (cfg->groups) {
		snprintf(err, errcap, "groups are chosen only for engine = openssl");
		return -1;
	}
	const uint16_t *suites = cfg->suites ? cfg->suites : tls_default_suites;
	size_t nsuites = cfg->suites ? cfg->nsuites : tls_default_nsuites;
	unsigned vmin = cfg->version_min ? cfg->version_min : BR_TLS12;
	unsigned vmax = cfg->version_max ? cfg->version_max : BR_TLS12;

	if (cfg->is_server) {
		if (!cfg->chain || !cfg->key || cfg->chain->n == 0) {
			snprintf(err, errcap, "TLS server without a certificate and key");
			return -1;
		}
		br_ssl_server_context *sc = &ep->u.sc;
		if (cfg->key->type == BR_KEYTYPE_RSA) {
			br_ssl_server_init_full_rsa(sc, cfg->chain->certs, cfg->chain->n, &cfg->key->rsa);
			ep->tap.vtable = &tap_vtable;
			ep->tap.inner = sc->policy_vtable;
			br_ssl_server_set_policy(sc, &ep->tap.vtable);
		} else
			br_ssl_server_init_full_ec(sc, cfg->chain->certs, cfg->chain->n,
						   (unsigned)cfg->chain->issuer_key_type, &cfg->key->ec);
		ep->eng = &sc->eng;
	} else {
		br_ssl_client_context *cc = &ep->u.cc;
		const br_x509_trust_anchor *ta = cfg->anchors ? cfg->anchors->ta : NULL;
		size_t nta = cfg->anchors ? cfg->anchors->n : 0;
		br_ssl_client_init_full(cc, &ep->xc, ta, nta);
		int64_t now = cfg->now;
		br_x509_minimal_set_time(&ep->xc, (uint32_t)(now / 86400 + 719528), (uint32_t)(now % 86400));
		if (cfg->verify == TLS_VERIFY_NONE) {
			ep->nv.vtable = &nv_vtable;
			ep->nv.real = &ep->xc;
			br_ssl_engine_set_x509(&cc->eng, &ep->nv.vtable);
		}
		ep->eng = &cc->eng;
	}
	br_ssl_engine_set_versions(ep->eng, vmin, vmax);
	br_ssl_engine_set_suites(ep->eng, suites, nsuites);
	br_ssl_engine_set_buffer(ep->eng, ep->iobuf, sizeof ep->iobuf, 1);
	seed_engine(ep->eng, cfg->seed, cfg->label ? cfg->label : "");

	int ok = cfg->is_server ? br_ssl_server_reset(&ep->u.sc)
				: br_ssl_client_reset(&ep->u.cc, cfg->server_name, 0);
	if (!ok) {
		snprintf(err, errcap, "TLS %s could not start (BearSSL error %d)",
			 cfg->is_server ? "server" : "client", br_ssl_engine_last_error(ep->eng));
		return -1;
	}
	return 0;
}

const char *tls_error_explain(int err)
{
	switch (err) {
	case BR_ERR_OK: return "no error";
	case BR_ERR_BAD_MAC: return "a record failed its integrity check (bad MAC): it was changed in transit";
	case BR_ERR_BAD_FINISHED: return "the Finished message did not match: the two sides saw different handshakes";
	case BR_ERR_BAD_SIGNATURE: return "the server's key exchange signature did not verify";
	case BR_ERR_NO_CLIENT_AUTH: return "the server requires a client certificate";
	case BR_ERR_UNSUPPORTED_VERSION: return "no TLS version both sides accept";
	case BR_ERR_BAD_CIPHER_SUITE: return "the peer chose a cipher suite that was not offered";
	case BR_ERR_UNEXPECTED: return "an unexpected message arrived";
	case BR_ERR_BAD_HANDSHAKE: return "a malformed handshake message arrived";
	case BR_ERR_TOO_LARGE: return "a record was too large";
	case BR_ERR_IO: return "the connection failed";
	case BR_ERR_X509_EXPIRED: return "the certificate is expired or not yet valid";
	case BR_ERR_X509_BAD_SERVER_NAME: return "the certificate is for another host name";
	case BR_ERR_X509_NOT_TRUSTED: return "the certificate does not chain to a trusted root";
	case BR_ERR_X509_BAD_SIGNATURE: return "a certificate signature does not verify";
	}
	if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_RECV_FATAL_ALERT + 256)
		return "the peer sent a fatal alert";
	if (err >= BR_ERR_SEND_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT + 256)
		return "this side sent a fatal alert";
	if (err >= 32 && err < 64)
		return "the certificate could not be validated";
	return "the TLS connection failed";
}

const char *tls_error_name(int err)
{
	static const struct {
		int code;
		const char *name;
	} names[] = {
		{ BR_ERR_OK, "BR_ERR_OK" },
		{ BR_ERR_BAD_PARAM, "BR_ERR_BAD_PARAM" },
		{ BR_ERR_BAD_STATE, "BR_ERR_BAD_STATE" },
		{ BR_ERR_UNSUPPORTED_VERSION, "BR_ERR_UNSUPPORTED_VERSION" },
		{ BR_ERR_BAD_VERSION, "BR_ERR_BAD_VERSION" },
		{ BR_ERR_BAD_LENGTH, "BR_ERR_BAD_LENGTH" },
		{ BR_ERR_TOO_LARGE, "BR_ERR_TOO_LARGE" },
		{ BR_ERR_BAD_MAC, "BR_ERR_BAD_MAC" },
		{ BR_ERR_NO_RANDOM, "BR_ERR_NO_RANDOM" },
		{ BR_ERR_UNKNOWN_TYPE, "BR_ERR_UNKNOWN_TYPE" },
		{ BR_ERR_UNEXPECTED, "BR_ERR_UNEXPECTED" },
		{ BR_ERR_BAD_CCS, "BR_ERR_BAD_CCS" },
		{ BR_ERR_BAD_ALERT, "BR_ERR_BAD_ALERT" },
		{ BR_ERR_BAD_HANDSHAKE, "BR_ERR_BAD_HANDSHAKE" },
		{ BR_ERR_OVERSIZED_ID, "BR_ERR_OVERSIZED_ID" },
		{ BR_ERR_BAD_CIPHER_SUITE, "BR_ERR_BAD_CIPHER_SUITE" },
		{ BR_ERR_BAD_COMPRESSION, "BR_ERR_BAD_COMPRESSION" },
		{ BR_ERR_BAD_FRAGLEN, "BR_ERR_BAD_FRAGLEN" },
		{ BR_ERR_BAD_SECRENEG, "BR_ERR_BAD_SECRENEG" },
		{ BR_ERR_EXTRA_EXTENSION, "BR_ERR_EXTRA_EXTENSION" },
		{ BR_ERR_BAD_SNI, "BR_ERR_BAD_SNI" },
		{ BR_ERR_BAD_HELLO_DONE, "BR_ERR_BAD_HELLO_DONE" },
		{ BR_ERR_LIMIT_EXCEEDED, "BR_ERR_LIMIT_EXCEEDED" },
		{ BR_ERR_BAD_FINISHED, "BR_ERR_BAD_FINISHED" },
		{ BR_ERR_RESUME_MISMATCH, "BR_ERR_RESUME_MISMATCH" },
		{ BR_ERR_INVALID_ALGORITHM, "BR_ERR_INVALID_ALGORITHM" },
		{ BR_ERR_BAD_SIGNATURE, "BR_ERR_BAD_SIGNATURE" },
		{ BR_ERR_WRONG_KEY_USAGE, "BR_ERR_WRONG_KEY_USAGE" },
		{ BR_ERR_NO_CLIENT_AUTH, "BR_ERR_NO_CLIENT_AUTH" },
		{ BR_ERR_IO, "BR_ERR_IO" },
		{ BR_ERR_X509_INVALID_VALUE, "BR_ERR_X509_INVALID_VALUE" },
		{ BR_ERR_X509_TRUNCATED, "BR_ERR_X509_TRUNCATED" },
		{ BR_ERR_X509_EMPTY_CHAIN, "BR_ERR_X509_EMPTY_CHAIN" },
		{ BR_ERR_X509_BAD_DN, "BR_ERR_X509_BAD_DN" },
		{ BR_ERR_X509_BAD_TIME, "BR_ERR_X509_BAD_TIME" },
		{ BR_ERR_X509_UNSUPPORTED, "BR_ERR_X509_UNSUPPORTED" },
		{ BR_ERR_X509_WRONG_KEY_TYPE, "BR_ERR_X509_WRONG_KEY_TYPE" },
		{ BR_ERR_X509_BAD_SIGNATURE, "BR_ERR_X509_BAD_SIGNATURE" },
		{ BR_ERR_X509_TIME_UNKNOWN, "BR_ERR_X509_TIME_UNKNOWN" },
		{ BR_ERR_X509_EXPIRED, "BR_ERR_X509_EXPIRED" },
		{ BR_ERR_X509_DN_MISMATCH, "BR_ERR_X509_DN_MISMATCH" },
		{ BR_ERR_X509_BAD_SERVER_NAME, "BR_ERR_X509_BAD_SERVER_NAME" },
		{ BR_ERR_X509_CRITICAL_EXTENSION, "BR_ERR_X509_CRITICAL_EXTENSION" },
		{ BR_ERR_X509_NOT_CA, "BR_ERR_X509_NOT_CA" },
		{ BR_ERR_X509_FORBIDDEN_KEY_USAGE, "BR_ERR_X509_FORBIDDEN_KEY_USAGE" },
		{ BR_ERR_X509_WEAK_PUBLIC_KEY, "BR_ERR_X509_WEAK_PUBLIC_KEY" },
		{ BR_ERR_X509_NOT_TRUSTED, "BR_ERR_X509_NOT_TRUSTED" },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].code == err)
			return names[i].name;
	if (err >= BR_ERR_SEND_FATAL_ALERT)
		return "BR_ERR_SEND_FATAL_ALERT";
	if (err >= BR_ERR_RECV_FATAL_ALERT)
		return "BR_ERR_RECV_FATAL_ALERT";
	return "BR_ERR_UNKNOWN";
}

int tls_error_from_name(const char *name)
{
	if (!name || !strcmp(name, "BR_ERR_UNKNOWN"))
		return -1;
	/* every named code lies below the alerts' */
	for (int err = 0; err < BR_ERR_RECV_FATAL_ALERT; err++)
		if (!strcmp(tls_error_name(err), name))
			return err;
	if (!strcmp(name, "BR_ERR_RECV_FATAL_ALERT"))
		return BR_ERR_RECV_FATAL_ALERT;
	if (!strcmp(name, "BR_ERR_SEND_FATAL_ALERT"))
		return BR_ERR_SEND_FATAL_ALERT;
	return -1;
}

size_t tls_peer_chain(const struct tls_endpoint *ep, br_x509_certificate *out, size_t max)
{
	if (ep && ep->ossl)
		return tls_ossl_peer_chain(ep->ossl, out, max);
	if (!ep || ep->is_server || !ep->nv.vtable)
		return 0;
	size_t n = ep->nv.ncert < max ? ep->nv.ncert : max;
	for (size_t i = 0; i < n; i++) {
		out[i].data = (unsigned char *)(ep->nv.chain + ep->nv.cert_off[i]);
		out[i].data_len = ep->nv.cert_len[i];
	}
	return n;
}

int tls_peer_verify_error(const struct tls_endpoint *ep)
{
	if (ep && ep->ossl)
		return tls_ossl_peer_verify_error(ep->ossl);
	return ep && !ep->is_server && ep->nv.vtable ? ep->nv.real_err : 0;
}

/* ---- driving the engine ---- */

void tls_endpoint_free(struct tls_endpoint *ep)
{
	if (ep && ep->ossl) {
		tls_ossl_free(ep->ossl);
		ep->ossl = NULL;
	}
}

unsigned tls_state(struct tls_endpoint *ep)
{
	return ep->ossl ? tls_ossl_state(ep->ossl) : br_ssl_engine_current_state(ep->eng);
}

unsigned char *tls_sendrec_buf(struct tls_endpoint *ep, size_t *len)
{
	return ep->ossl ? tls_ossl_sendrec_buf(ep->ossl, len) : br_ssl_engine_sendrec_buf(ep->eng, len);
}

void tls_sendrec_ack(struct tls_endpoint *ep, size_t len)
{
	if (ep->ossl)
		tls_ossl_sendrec_ack(ep->ossl, len);
	else
		br_ssl_engine_sendrec_ack(ep->eng, len);
}

unsigned char *tls_recvrec_buf(struct tls_endpoint *ep, size_t *len)
{
	return ep->ossl ? tls_ossl_recvrec_buf(ep->ossl, len) : br_ssl_engine_recvrec_buf(ep->eng, len);
}

void tls_recvrec_ack(struct tls_endpoint *ep, size_t len)
{
	if (ep->ossl)
		tls_ossl_recvrec_ack(ep->ossl, len);
	else
		br_ssl_engine_recvrec_ack(ep->eng, len);
}

unsigned char *tls_sendapp_buf(struct tls_endpoint *ep, size_t *len)
{
	return ep->ossl ? tls_ossl_sendapp_buf(ep->ossl, len) : br_ssl_engine_sendapp_buf(ep->eng, len);
}

void tls_sendapp_ack(struct tls_endpoint *ep, size_t len)
{
	if (ep->ossl)
		tls_ossl_sendapp_ack(ep->ossl, len);
	else
		br_ssl_engine_sendapp_ack(ep->eng, len);
}

unsigned char *tls_recvapp_buf(struct tls_endpoint *ep, size_t *len)
{
	return ep->ossl ? tls_ossl_recvapp_buf(ep->ossl, len) : br_ssl_engine_recvapp_buf(ep->eng, len);
}

void tls_recvapp_ack(struct tls_endpoint *ep, size_t len)
{
	if (ep->ossl)
		tls_ossl_recvapp_ack(ep->ossl, len);
	else
		br_ssl_engine_recvapp_ack(ep->eng, len);
}

void tls_flush(struct tls_endpoint *ep)
{
	if (ep->ossl)
		tls_ossl_flush(ep->ossl);
	else
		br_ssl_engine_flush(ep->eng, 0);
}

void tls_close(struct tls_endpoint *ep)
{
	if (ep->ossl)
		tls_ossl_close(ep->ossl);
	else
		br_ssl_engine_close(ep->eng);
}

int tls_key_update(struct tls_endpoint *ep, int request_peer)
{
	return ep->ossl ? tls_ossl_key_update(ep->ossl, request_peer) : -1;
}

int tls_last_error(const struct tls_endpoint *ep)
{
	return ep->ossl ? tls_ossl_last_error(ep->ossl) : br_ssl_engine_last_error(ep->eng);
}

unsigned tls_version(const struct tls_endpoint *ep)
{
	return ep->ossl ? tls_ossl_version(ep->ossl) : br_ssl_engine_get_version(ep->eng);
}

unsigned tls_suite(const struct tls_endpoint *ep)
{
	if (ep->ossl)
		return tls_ossl_suite(ep->ossl);
	/* BearSSL 0.6 has no getter for the suite alone: the session parameters hold it. */
	return ep->eng->session.cipher_suite;
}

const uint8_t *tls_master_secret(const struct tls_endpoint *ep)
{
	return ep->ossl ? tls_ossl_master_secret(ep->ossl) : ep->eng->session.master_secret;
}

const char *tls_engine_name(const struct tls_endpoint *ep)
{
	return ep->ossl ? "OpenSSL" : "BearSSL";
}

int tls_alerts_every_failure(const struct tls_endpoint *ep)
{
	return ep->ossl != NULL;
}

int tls_accepts_any(const struct tls_endpoint *ep)
{
	return ep->ossl ? tls_ossl_accepts_any(ep->ossl) : ep->nv.vtable != NULL;
}

size_t tls_secrets(const struct tls_endpoint *ep, const struct tls_secret **out)
{
	if (ep->ossl)
		return tls_ossl_secrets(ep->ossl, out);
	*out = NULL;
	return 0;
}

static const char *const secret_labels[TLS13_SECRET_COUNT] = {
	[TLS13_CLIENT_EARLY] = "CLIENT_EARLY_TRAFFIC_SECRET",
	[TLS13_CLIENT_HS] = "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
	[TLS13_SERVER_HS] = "SERVER_HANDSHAKE_TRAFFIC_SECRET",
	[TLS13_CLIENT_AP0] = "CLIENT_TRAFFIC_SECRET_0",
	[TLS13_SERVER_AP0] = "SERVER_TRAFFIC_SECRET_0",
	[TLS13_EXPORTER] = "EXPORTER_SECRET",
};

const char *tls13_secret_label(enum tls13_secret k)
{
	return (unsigned)k < TLS13_SECRET_COUNT ? secret_labels[k] : NULL;
}

int tls13_secret_from_label(const char *label, size_t len)
{
	for (int k = 0; k < TLS13_SECRET_COUNT; k++)
		if (strlen(secret_labels[k]) == len && !memcmp(secret_labels[k], label, len))
			return k;
	return -1;
}
