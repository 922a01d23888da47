/* tls_engine: the second engine's side of tls.h, for tls.c only. Each function is the
 * tls_* one of the same name, for an endpoint whose ep->ossl is set; tls.c dispatches.
 * tls_openssl.c implements them with OpenSSL 3 over memory BIOs. */
#ifndef SIM_TLS_ENGINE_H
#define SIM_TLS_ENGINE_H

#include "sim/wire/tls.h"

/* The 32 bytes every engine of an actor is seeded with: SHA-256 of "smtps-sim seed", the
 * run's seed (8 bytes, big-endian) and the actor's label. */
void tls_seed_bytes(uint64_t seed, const char *label, uint8_t out[32]);

/* Sets up ep->ossl (ep is zeroed, is_server set). Returns 0, or -1 with a message. */
int tls_ossl_init(struct tls_endpoint *ep, const struct tls_config *cfg, char *err, size_t errcap);
void tls_ossl_free(struct tls_ossl *o);

unsigned tls_ossl_state(struct tls_ossl *o);
unsigned char *tls_ossl_sendrec_buf(struct tls_ossl *o, size_t *len);
void tls_ossl_sendrec_ack(struct tls_ossl *o, size_t len);
unsigned char *tls_ossl_recvrec_buf(struct tls_ossl *o, size_t *len);
void tls_ossl_recvrec_ack(struct tls_ossl *o, size_t len);
unsigned char *tls_ossl_sendapp_buf(struct tls_ossl *o, size_t *len);
void tls_ossl_sendapp_ack(struct tls_ossl *o, size_t len);
unsigned char *tls_ossl_recvapp_buf(struct tls_ossl *o, size_t *len);
void tls_ossl_recvapp_ack(struct tls_ossl *o, size_t len);
void tls_ossl_flush(struct tls_ossl *o);
void tls_ossl_close(struct tls_ossl *o);
int tls_ossl_key_update(struct tls_ossl *o, int request_peer);
int tls_ossl_last_error(const struct tls_ossl *o);
unsigned tls_ossl_version(const struct tls_ossl *o);
unsigned tls_ossl_suite(const struct tls_ossl *o);
const uint8_t *tls_ossl_master_secret(const struct tls_ossl *o);
int tls_ossl_accepts_any(const struct tls_ossl *o);
size_t tls_ossl_secrets(const struct tls_ossl *o, const struct tls_secret **out);
int tls_ossl_peer_closed(const struct tls_ossl *o);
const uint8_t *tls_ossl_server_random(const struct tls_ossl *o);
size_t tls_ossl_peer_chain(const struct tls_ossl *o, br_x509_certificate *out, size_t max);
int tls_ossl_peer_verify_error(const struct tls_ossl *o);

#endif
