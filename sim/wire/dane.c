/* dane: TLSA matching for SMTP (RFC 7672). The SubjectPublicKeyInfo is found by a
 * small DER walk that checks every length against the bytes left, so a hostile
 * certificate cannot make it read outside der. DANE-TA reuses BearSSL's minimal X.509
 * validator with the matched certificate as the only trust anchor. */
#include "sim/wire/dane.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/wire/pki.h"
#include "sim/wire/tls.h"

/* ---- a minimal DER reader ---- */

/* One TLV at p (n bytes): its tag, and where its value starts and how long it is.
 * Single-byte tags, definite lengths of at most 4 bytes. Returns the tag or -1. */
static int der_tlv(const unsigned char *p, size_t n, size_t *hdr, size_t *vlen)
{
	if (n < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	size_t h = 2, len = p[1];
	if (len & 0x80) {
		size_t k = len & 0x7f;
		if (k == 0 || k > 4 || n < 2 + k)
			return -1;
		len = 0;
		for (size_t i = 0; i < k; i++)
			len = (len << 8) | p[2 + i];
		h += k;
	}
	if (len > n - h)
		return -1;
	*hdr = h;
	*vlen = len;
	return p[0];
}

int dane_cert_spki(const unsigned char *der, size_t len, const unsigned char **spki,
		   size_t *spki_len)
{
	size_t h, v;
	/* Certificate ::= SEQUENCE { tbsCertificate, ... } */
	if (der_tlv(der, len, &h, &v) != 0x30)
		return -1;
	const unsigned char *p = der + h;
	size_t n = v;
	/* TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature,
	 *   issuer, validity, subject, subjectPublicKeyInfo, ... } */
	if (der_tlv(p, n, &h, &v) != 0x30)
		return -1;
	p += h;
	n = v;
	static const int skip[] = {0x02, 0x30, 0x30, 0x30, 0x30}; /* serial .. subject */
	int tag = der_tlv(p, n, &h, &v);
	if (tag == 0xa0) {
		p += h + v;
		n -= h + v;
		tag = der_tlv(p, n, &h, &v);
	}
	for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++) {
		if (tag != skip[i])
			return -1;
		p += h + v;
		n -= h + v;
		tag = der_tlv(p, n, &h, &v);
	}
	if (tag != 0x30)
		return -1;
	*spki = p;
	*spki_len = h + v;
	return 0;
}

/* ---- matching ---- */

int dane_association(uint8_t selector, uint8_t mtype, const unsigned char *der, size_t len,
		     unsigned char *out, size_t cap)
{
	const unsigned char *d = der;
	size_t dn = len;
	if (selector == DANE_SEL_SPKI) {
		if (dane_cert_spki(der, len, &d, &dn) < 0)
			return -1;
	} else if (selector != DANE_SEL_CERT) {
		return -1;
	}
	switch (mtype) {
	case DANE_MTYPE_FULL:
		if (dn > cap || dn > INT32_MAX)
			return -1;
		memcpy(out, d, dn);
		return (int)dn;
	case DANE_MTYPE_SHA256: {
		if (cap < br_sha256_SIZE)
			return -1;
		br_sha256_context c;
		br_sha256_init(&c);
		br_sha256_update(&c, d, dn);
		br_sha256_out(&c, out);
		return br_sha256_SIZE;
	}
	case DANE_MTYPE_SHA512: {
		if (cap < br_sha512_SIZE)
			return -1;
		br_sha512_context c;
		br_sha512_init(&c);
		br_sha512_update(&c, d, dn);
		br_sha512_out(&c, out);
		return br_sha512_SIZE;
	}
	}
	return -1;
}

/* Whether record r's data is the association data of certificate der. */
static bool record_matches(const struct dane_tlsa *r, const unsigned char *der, size_t len)
{
	const unsigned char *d = der;
	size_t dn = len;
	if (r->selector == DANE_SEL_SPKI && dane_cert_spki(der, len, &d, &dn) < 0)
		return false;
	if (r->mtype == DANE_MTYPE_FULL)
		return r->len == dn && memcmp(r->data, d, dn) == 0;
	unsigned char h[br_sha512_SIZE];
	int hn = dane_association(r->selector, r->mtype, der, len, h, sizeof h);
	return hn > 0 && (size_t)hn == r->len && memcmp(h, r->data, r->len) == 0;
}

bool dane_record_usable(const struct dane_tlsa *r)
{
	if (r->usage != DANE_USAGE_DANE_TA && r->usage != DANE_USAGE_DANE_EE)
		return false;
	if (r->selector > DANE_SEL_SPKI || !r->data)
		return false;
	switch (r->mtype) {
	case DANE_MTYPE_FULL: return r->len > 0;
	case DANE_MTYPE_SHA256: return r->len == br_sha256_SIZE;
	case DANE_MTYPE_SHA512: return r->len == br_sha512_SIZE;
	}
	return false;
}

bool dane_requires_starttls(const struct dane_rrset *rs)
{
	return rs && rs->authenticated && rs->n > 0;
}

/* Validates chain[0..k-1] up to ta_der as the only trust anchor (a CA, or the leaf's
 * own key when k == 0), with the host name and the date. Returns BearSSL's error. */
static int validate_to(const br_x509_certificate *chain, size_t k, const unsigned char *ta_der,
		       size_t ta_len, const char *mx_host, uint64_t now)
{
	br_x509_trust_anchor ta;
	if (pki_anchor_from_der(ta_der, ta_len, k ? BR_X509_TA_CA : 0, &ta) < 0)
		return BR_ERR_X509_BAD_TAG_CLASS; /* any decoding error will do: it names a bad certificate */
	br_x509_minimal_context xc;
	br_x509_minimal_init_full(&xc, &ta, 1);
	br_x509_minimal_set_time(&xc, (uint32_t)(now / 86400 + 719528), (uint32_t)(now % 86400));
	const br_x509_class **v = &xc.vtable;
	(*v)->start_chain(v, mx_host);
	size_t last = k ? k : 1; /* direct trust still pushes the leaf */
	for (size_t i = 0; i < last; i++) {
		(*v)->start_cert(v, (uint32_t)chain[i].data_len);
		(*v)->append(v, chain[i].data, chain[i].data_len);
		(*v)->end_cert(v);
	}
	int e = (int)(*v)->end_chain(v);
	pki_anchor_free(&ta);
	return e;
}

static void setwhy(struct dane_result *res, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->why, sizeof res->why, fmt, ap);
	va_end(ap);
}

enum dane_status dane_verify(const struct dane_rrset *rs, const br_x509_certificate *chain,
			     size_t n, const char *mx_host, uint64_t now, struct dane_result *res)
{
	memset(res, 0, sizeof *res);
	res->record = res->cert = -1;
	if (!rs || rs->n == 0) {
		res->status = DANE_NONE;
		setwhy(res, "no TLSA records: DANE does not apply");
		return res->status;
	}
	if (!rs->authenticated) {
		res->status = DANE_NONE;
		setwhy(res, "TLSA records not DNSSEC-authenticated: ignored (RFC 7672 2.2)");
		return res->status;
	}
	size_t usable = 0;
	for (size_t i = 0; i < rs->n; i++)
		usable += dane_record_usable(&rs->rr[i]);
	if (usable == 0) {
		res->status = DANE_UNUSABLE;
		setwhy(res, "no usable TLSA record (only PKIX usages or unknown parameters): "
			    "TLS is required but not authenticated");
		return res->status;
	}
	if (n == 0 || !chain) {
		res->status = DANE_NO_MATCH;
		setwhy(res, "the server presented no certificate");
		return res->status;
	}
	/* DANE-EE: the leaf's key or certificate, nothing else checked */
	for (size_t i = 0; i < rs->n; i++) {
		const struct dane_tlsa *r = &rs->rr[i];
		if (!dane_record_usable(r) || r->usage != DANE_USAGE_DANE_EE)
			continue;
		if (record_matches(r, chain[0].data, chain[0].data_len)) {
			res->status = DANE_MATCH;
			res->record = (int)i;
			res->cert = 0;
			setwhy(res, "TLSA record %zu (DANE-EE %u %u) matches the server's %s", i,
			       r->selector, r->mtype, r->selector ? "public key" : "certificate");
			return res->status;
		}
	}
	/* DANE-TA: an issuer in the chain (or, for "2 0 0", the record's certificate),
	 * then PKIX validation of the leaf up to it, name and dates included */
	int first_err = 0, err_rec = -1, err_cert = -1;
	for (size_t i = 0; i < rs->n; i++) {
		const struct dane_tlsa *r = &rs->rr[i];
		if (!dane_record_usable(r) || r->usage != DANE_USAGE_DANE_TA)
			continue;
		for (size_t c = 0; c <= n; c++) {
			const unsigned char *ta;
			size_t ta_len, k;
			if (c < n) {
				if (!record_matches(r, chain[c].data, chain[c].data_len))
					continue;
				ta = chain[c].data;
				ta_len = chain[c].data_len;
				k = c;
			} else {
				/* not in the chain: only a full certificate can stand in */
				if (r->selector != DANE_SEL_CERT || r->mtype != DANE_MTYPE_FULL)
					continue;
				ta = r->data;
				ta_len = r->len;
				k = n;
			}
			int e = validate_to(chain, k, ta, ta_len, mx_host, now);
			if (e == 0) {
				res->status = DANE_MATCH;
				res->record = (int)i;
				res->cert = c < n ? (int)c : -1;
				if (c < n)
					setwhy(res, "TLSA record %zu (DANE-TA %u %u) matches certificate %zu of the "
						    "chain, and the server's certificate chains to it for %s",
					       i, r->selector, r->mtype, c, mx_host);
				else
					setwhy(res, "TLSA record %zu (DANE-TA 0 0) holds the issuer, and the "
						    "server's certificate chains to it for %s", i, mx_host);
				return res->status;
			}
			if (!first_err) {
				first_err = e;
				err_rec = (int)i;
				err_cert = c < n ? (int)c : -1;
			}
		}
	}
	res->status = DANE_NO_MATCH;
	if (first_err) {
		res->record = err_rec;
		res->cert = err_cert;
		res->br_err = first_err;
		setwhy(res, "TLSA record %d (DANE-TA) matches an issuer, but the chain does not validate "
			    "to it: %s (%s)", err_rec, tls_error_explain(first_err), tls_error_name(first_err));
	} else {
		setwhy(res, "no TLSA record matches the presented certificate chain or its key");
	}
	return res->status;
}

/* ---- names ---- */

void dane_tlsa_format(const struct dane_tlsa *r, char *out, size_t cap)
{
	if (!cap)
		return;
	int w = snprintf(out, cap, "%u %u %u ", r->usage, r->selector, r->mtype);
	size_t j = w > 0 ? (size_t)w : 0;
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < r->len && j + 2 < cap; i++) {
		out[j++] = hex[r->data[i] >> 4];
		out[j++] = hex[r->data[i] & 15];
	}
	if (j >= cap)
		j = cap - 1;
	out[j] = '\0';
}

const char *dane_usage_name(uint8_t usage)
{
	switch (usage) {
	case DANE_USAGE_PKIX_TA: return "PKIX-TA";
	case DANE_USAGE_PKIX_EE: return "PKIX-EE";
	case DANE_USAGE_DANE_TA: return "DANE-TA";
	case DANE_USAGE_DANE_EE: return "DANE-EE";
	}
	return "usage ?";
}

const char *dane_status_name(enum dane_status s)
{
	switch (s) {
	case DANE_NONE: return "none";
	case DANE_UNUSABLE: return "unusable";
	case DANE_MATCH: return "match";
	case DANE_NO_MATCH: return "no-match";
	}
	return "?";
}
