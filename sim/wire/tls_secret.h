/* tls_secret: the TLS 1.3 secrets an endpoint derives (RFC 8446 §7.1), named as the NSS
 * key log format names them (the lines tshark reads). Every one is Hash.length bytes: 32
 * for the SHA-256 suites, 48 for TLS_AES_256_GCM_SHA384. Shared by the engines (which
 * report them), the trace (which keeps them) and the decoders (which open records). */
#ifndef SIM_TLS_SECRET_H
#define SIM_TLS_SECRET_H

#include <stddef.h>

enum tls13_secret {
	TLS13_CLIENT_EARLY,      /* CLIENT_EARLY_TRAFFIC_SECRET (0-RTT; not used here) */
	TLS13_CLIENT_HS,         /* CLIENT_HANDSHAKE_TRAFFIC_SECRET */
	TLS13_SERVER_HS,         /* SERVER_HANDSHAKE_TRAFFIC_SECRET */
	TLS13_CLIENT_AP0,        /* CLIENT_TRAFFIC_SECRET_0 */
	TLS13_SERVER_AP0,        /* SERVER_TRAFFIC_SECRET_0 */
	TLS13_EXPORTER,          /* EXPORTER_SECRET */
	TLS13_SECRET_COUNT
};
#define TLS13_SECRET_MAX 48

/* The key log label ("CLIENT_HANDSHAKE_TRAFFIC_SECRET"), and its inverse (-1 when the
 * label is none of these). */
const char *tls13_secret_label(enum tls13_secret k);
int tls13_secret_from_label(const char *label, size_t len);

#endif
