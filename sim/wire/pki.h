/* pki: loads the demo PKI (PEM files under scenarios/certs) into the forms BearSSL
 * takes: certificate chains, private keys (RSA or EC) and trust anchors. Every error
 * comes back as one line naming the file and the problem. */
#ifndef SIM_PKI_H
#define SIM_PKI_H

#include <bearssl.h>
#include <stddef.h>

struct pki_chain {
	br_x509_certificate *certs; /* DER, leaf first */
	size_t n;
	int key_type;               /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC: the leaf's public key */
	int issuer_key_type;        /* key type of the key that signed the leaf (for br_ssl_server_init_full_ec) */
};

struct pki_key {
	int type;                   /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
	br_rsa_private_key rsa;     /* valid when type == BR_KEYTYPE_RSA; owns its buffers */
	br_ec_private_key ec;       /* valid when type == BR_KEYTYPE_EC */
	unsigned char *buf;         /* storage behind rsa/ec */
	unsigned char *der;         /* the key block as read (PKCS#8, SEC 1 or PKCS#1 DER), for
				     * the OpenSSL engine; owned */
	size_t der_len;
};

struct pki_anchors {
	br_x509_trust_anchor *ta;
	size_t n;
	br_x509_certificate *certs; /* the certificates they were made from (DER; owned), for
				     * the OpenSSL engine, which trusts certificates */
	size_t ncerts;
};

/* Each returns 0, or -1 with a one-line message in err (e.g.
 * "certs/x.pem: no CERTIFICATE block"). */
int pki_load_chain(const char *path, struct pki_chain *out, char *err, size_t errcap);
int pki_load_key(const char *path, struct pki_key *out, char *err, size_t errcap);
/* Every certificate in the file becomes a trust anchor (flag BR_X509_TA_CA). */
int pki_load_anchors(const char *path, struct pki_anchors *out, char *err, size_t errcap);

/* One trust anchor made from one DER certificate: its subject DN and public key, with
 * flags BR_X509_TA_CA or 0 (a key trusted directly, not as an issuer). Returns 0, or -1
 * when BearSSL cannot decode the certificate or memory runs out. Free it with
 * pki_anchor_free. (DANE-TA builds its anchor from a certificate the server sent.) */
int pki_anchor_from_der(const unsigned char *der, size_t len, unsigned flags,
			br_x509_trust_anchor *ta);
void pki_anchor_free(br_x509_trust_anchor *ta);

void pki_chain_free(struct pki_chain *c);
void pki_key_free(struct pki_key *k);
void pki_anchors_free(struct pki_anchors *a);

#endif
