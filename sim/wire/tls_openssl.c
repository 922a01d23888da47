/* tls_openssl: the OpenSSL 3 engine (TLS 1.3). Not built yet: asking for it is an error. */
#include "sim/wire/tls_engine.h"

#include <stdio.h>

int tls_ossl_init(struct tls_endpoint *ep, const struct tls_config *cfg, char *err, size_t errcap)
{
	(void)ep;
	(void)cfg;
	snprintf(err, errcap, "the OpenSSL engine (TLS 1.3) is not in this build yet");
	return -1;
}

void tls_ossl_free(struct tls_ossl *o) { (void)o; }
unsigned tls_ossl_state(struct tls_ossl *o) { (void)o; return TLS_ST_CLOSED; }
unsigned char *tls_ossl_sendrec_buf(struct tls_ossl *o, size_t *len) { (void)o; *len = 0; return NULL; }
void tls_ossl_sendrec_ack(struct tls_ossl *o, size_t len) { (void)o; (void)len; }
unsigned char *tls_ossl_recvrec_buf(struct tls_ossl *o, size_t *len) { (void)o; *len = 0; return NULL; }
void tls_ossl_recvrec_ack(struct tls_ossl *o, size_t len) { (void)o; (void)len; }
unsigned char *tls_ossl_sendapp_buf(struct tls_ossl *o, size_t *len) { (void)o; *len = 0; return NULL; }
void tls_ossl_sendapp_ack(struct tls_ossl *o, size_t len) { (void)o; (void)len; }
unsigned char *tls_ossl_recvapp_buf(struct tls_ossl *o, size_t *len) { (void)o; *len = 0; return NULL; }
void tls_ossl_recvapp_ack(struct tls_ossl *o, size_t len) { (void)o; (void)len; }
void tls_ossl_flush(struct tls_ossl *o) { (void)o; }
void tls_ossl_close(struct tls_ossl *o) { (void)o; }
int tls_ossl_last_error(const struct tls_ossl *o) { (void)o; return 0; }
unsigned tls_ossl_version(const struct tls_ossl *o) { (void)o; return 0; }
unsigned tls_ossl_suite(const struct tls_ossl *o) { (void)o; return 0; }
const uint8_t *tls_ossl_master_secret(const struct tls_ossl *o) { (void)o; return NULL; }
int tls_ossl_accepts_any(const struct tls_ossl *o) { (void)o; return 0; }
size_t tls_ossl_secrets(const struct tls_ossl *o, const struct tls_secret **out) { (void)o; *out = NULL; return 0; }
int tls_ossl_peer_closed(const struct tls_ossl *o) { (void)o; return 0; }
const uint8_t *tls_ossl_server_random(const struct tls_ossl *o) { (void)o; return NULL; }
size_t tls_ossl_peer_chain(const struct tls_ossl *o, br_x509_certificate *out, size_t max) { (void)o; (void)out; (void)max; return 0; }
int tls_ossl_peer_verify_error(const struct tls_ossl *o) { (void)o; return 0; }
