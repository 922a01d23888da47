/* dane: DANE for SMTP (RFC 7672, TLSA records of RFC 6698) checked against the
 * certificate chain an MX host presented. A TLSA record says "usage selector mtype
 * data": DANE-EE(3) pins the server's own key or certificate, and then neither the
 * host name nor the dates matter (RFC 7672 3.1.1); DANE-TA(2) pins an issuer in the
 * chain, and the leaf must chain to it with valid signatures, dates and the MX host
 * name (3.1.2). Records only count when their RRset was DNSSEC-authenticated (2.2):
 * an unauthenticated ("insecure" or "bogus") RRset is ignored, as if absent. Pure: the
 * records, the chain (DER, leaf first) and the time come from the caller. */
#ifndef SIM_DANE_H
#define SIM_DANE_H

#include <bearssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dane_usage {
	DANE_USAGE_PKIX_TA = 0, /* unusable for SMTP (RFC 7672 3.1.3) */
	DANE_USAGE_PKIX_EE = 1, /* unusable for SMTP */
	DANE_USAGE_DANE_TA = 2,
	DANE_USAGE_DANE_EE = 3,
};
enum dane_selector { DANE_SEL_CERT = 0, DANE_SEL_SPKI = 1 };
enum dane_mtype { DANE_MTYPE_FULL = 0, DANE_MTYPE_SHA256 = 1, DANE_MTYPE_SHA512 = 2 };

#define DANE_DATA_MAX 64 /* the longest digest (SHA-512); full data may be longer */

struct dane_tlsa {
	uint8_t usage, selector, mtype;
	const unsigned char *data; /* caller-owned */
	size_t len;
};

/* The TLSA RRset at _25._tcp.MXHOST and whether DNSSEC authenticated it. */
struct dane_rrset {
	const struct dane_tlsa *rr;
	size_t n;
	bool authenticated;
};

enum dane_status {
	DANE_NONE,     /* no records, or not authenticated: DANE does not apply */
	DANE_UNUSABLE, /* authenticated records, none usable: TLS is still mandatory,
			* authentication is not (RFC 7672 2.2, 3.1.3) */
	DANE_MATCH,    /* a record matched: the server is authenticated */
	DANE_NO_MATCH, /* usable records and none matched: do not deliver to this MX */
};

struct dane_result {
	enum dane_status status;
	int record;  /* the index of the matching record (or the one that came closest), or -1 */
	int cert;    /* the index in the chain of the certificate it matched, or -1 */
	int br_err;  /* DANE-TA: BearSSL's error validating the chain to the matched issuer, or 0 */
	char why[200];
};

/* Whether one record is usable for SMTP: usage 2 or 3, selector 0 or 1, matching
 * type 0, 1 or 2, and a digest of the right length (32 or 64 bytes). */
bool dane_record_usable(const struct dane_tlsa *r);
/* RFC 7672 2.2: an authenticated, non-empty TLSA RRset makes STARTTLS mandatory
 * (usable records or not); anything else leaves opportunistic TLS. */
bool dane_requires_starttls(const struct dane_rrset *rs);

/* Checks chain[0..n-1] (leaf first) against rs for mx_host at unix time now (used
 * only by DANE-TA's validation). Fills res and returns res->status. The first
 * matching record wins; DANE-EE records are tried before DANE-TA ones. */
enum dane_status dane_verify(const struct dane_rrset *rs, const br_x509_certificate *chain,
			     size_t n, const char *mx_host, uint64_t now, struct dane_result *res);

/* The DER SubjectPublicKeyInfo inside a DER certificate (a bounds-checked walk over
 * Certificate / TBSCertificate). Returns 0 with *spki pointing into der, or -1. */
int dane_cert_spki(const unsigned char *der, size_t len, const unsigned char **spki,
		   size_t *spki_len);
/* The association data a TLSA record with this selector and matching type would
 * carry for a certificate: what a domain publishes. Returns its length, or -1 for a
 * bad selector, matching type or certificate, or a too small out. */
int dane_association(uint8_t selector, uint8_t mtype, const unsigned char *der, size_t len,
		     unsigned char *out, size_t cap);
/* A record in presentation form, "3 1 1 3d320b...", into out (truncated to cap). */
void dane_tlsa_format(const struct dane_tlsa *r, char *out, size_t cap);
/* "DANE-EE", "DANE-TA", "PKIX-TA", "PKIX-EE" or "usage ?". */
const char *dane_usage_name(uint8_t usage);
const char *dane_status_name(enum dane_status s); /* "none", "unusable", "match", "no-match" */

#endif
