/* x509_text: see x509_text.h. Every TLV is checked against the bytes that remain in its
 * parent before it is used; nothing here allocates. */
#include "sim/decode/x509_text.h"

#include <stdio.h>
#include <string.h>

#include "sim/base/sb.h"

/* A window of DER bytes still to be read. */
struct der {
	const uint8_t *p;
	size_t n;
};

/* Reads one TLV (single-byte tag, definite length up to 4 length bytes). */
static int der_next(struct der *d, unsigned *tag, struct der *val)
{
	if (d->n < 2)
		return -1;
	unsigned t = d->p[0];
	if ((t & 0x1f) == 0x1f)
		return -1; /* high tag numbers do not occur in certificates */
	size_t len, hl;
	unsigned b = d->p[1];
	if (b < 0x80) {
		len = b;
		hl = 2;
	} else {
		unsigned k = b & 0x7f;
		if (k == 0 || k > 4 || d->n < 2 + (size_t)k)
			return -1; /* indefinite length is BER, not DER */
		len = 0;
		for (unsigned i = 0; i < k; i++)
			len = len << 8 | d->p[2 + i];
		hl = 2 + k;
	}
	if (len > d->n - hl)
		return -1;
	*tag = t;
	val->p = d->p + hl;
	val->n = len;
	d->p += hl + len;
	d->n -= hl + len;
	return 0;
}

static int der_expect(struct der *d, unsigned tag, struct der *val)
{
	unsigned t;
	if (der_next(d, &t, val) || t != tag)
		return -1;
	return 0;
}

static int der_peek(const struct der *d)
{
	return d->n ? d->p[0] : -1;
}

/* Dotted text of an OID's content bytes. */
static void sb_oid(struct sb *s, const uint8_t *o, size_t n)
{
	unsigned long long arc = 0;
	int first = 1;
	char buf[32];
	if (n == 0) {
		sb_puts(s, "(empty OID)");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (arc > 0xffffffffULL) {
			sb_puts(s, "(bad OID)");
			return;
		}
		arc = arc << 7 | (o[i] & 0x7f);
		if (o[i] & 0x80)
			continue;
		if (first) {
			unsigned long long a = arc < 80 ? arc / 40 : 2;
			snprintf(buf, sizeof buf, "%llu.%llu", a, arc - a * 40);
			first = 0;
		} else {
			snprintf(buf, sizeof buf, ".%llu", arc);
		}
		sb_puts(s, buf);
		arc = 0;
	}
	if (o[n - 1] & 0x80)
		sb_puts(s, "(truncated)");
}

struct oid_name {
	const char *name;
	size_t len;
	const uint8_t der[10];
};

#define OID(name, ...) { name, sizeof((const uint8_t[]){ __VA_ARGS__ }), { __VA_ARGS__ } }

static const struct oid_name attr_oids[] = {
	OID("CN", 0x55, 0x04, 0x03),
	OID("SN", 0x55, 0x04, 0x04),
	OID("serialNumber", 0x55, 0x04, 0x05),
	OID("C", 0x55, 0x04, 0x06),
	OID("L", 0x55, 0x04, 0x07),
	OID("ST", 0x55, 0x04, 0x08),
	OID("street", 0x55, 0x04, 0x09),
	OID("O", 0x55, 0x04, 0x0a),
	OID("OU", 0x55, 0x04, 0x0b),
	OID("title", 0x55, 0x04, 0x0c),
	OID("GN", 0x55, 0x04, 0x2a),
	OID("emailAddress", 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01),
	OID("DC", 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19),
	OID("UID", 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01),
};

static const struct oid_name sig_oids[] = {
	OID("md5WithRSAEncryption", 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x04),
	OID("sha1WithRSAEncryption", 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05),
	OID("rsassaPss", 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a),
	OID("sha256WithRSAEncryption", 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b),
	OID("sha384WithRSAEncryption", 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c),
	OID("sha512WithRSAEncryption", 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d),
	OID("sha224WithRSAEncryption", 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0e),
	OID("ecdsa-with-SHA1", 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01),
	OID("ecdsa-with-SHA224", 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x01),
	OID("ecdsa-with-SHA256", 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02),
	OID("ecdsa-with-SHA384", 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03),
	OID("ecdsa-with-SHA512", 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04),
	OID("Ed25519", 0x2b, 0x65, 0x70),
	OID("Ed448", 0x2b, 0x65, 0x71),
};

static const struct oid_name curve_oids[] = {
	OID("secp256r1", 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07),
	OID("secp384r1", 0x2b, 0x81, 0x04, 0x00, 0x22),
	OID("secp521r1", 0x2b, 0x81, 0x04, 0x00, 0x23),
	OID("secp256k1", 0x2b, 0x81, 0x04, 0x00, 0x0a),
	OID("brainpoolP256r1", 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07),
	OID("brainpoolP384r1", 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0b),
	OID("brainpoolP512r1", 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0d),
};
static const unsigned curve_bits[] = { 256, 384, 521, 256, 256, 384, 512 };

static const uint8_t oid_rsa[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 };
static const uint8_t oid_ec[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
static const uint8_t oid_ed25519[] = { 0x2b, 0x65, 0x70 };
static const uint8_t oid_ed448[] = { 0x2b, 0x65, 0x71 };
static const uint8_t oid_san[] = { 0x55, 0x1d, 0x11 };

static int oid_eq(struct der o, const uint8_t *ref, size_t n)
{
	return o.n == n && memcmp(o.p, ref, n) == 0;
}

static int oid_find(const struct oid_name *t, size_t cnt, struct der o)
{
	for (size_t i = 0; i < cnt; i++)
		if (oid_eq(o, t[i].der, t[i].len))
			return (int)i;
	return -1;
}

/* A directory string's value, decoded to ASCII-with-escapes. */
static void sb_dirstring(struct sb *s, unsigned tag, struct der v)
{
	switch (tag) {
	case 0x0c: /* UTF8String */
	case 0x12: /* NumericString */
	case 0x13: /* PrintableString */
	case 0x14: /* TeletexString */
	case 0x16: /* IA5String */
	case 0x1a: /* VisibleString */
		sb_text(s, v.p, v.n);
		break;
	case 0x1e: /* BMPString: UCS-2 big-endian */
		for (size_t i = 0; i + 1 < v.n; i += 2) {
			uint8_t c = v.p[i] == 0 && v.p[i + 1] >= 0x20 && v.p[i + 1] < 0x7f ? v.p[i + 1] : '?';
			sb_text(s, &c, 1);
		}
		break;
	default:
		sb_putc(s, '#');
		sb_hex(s, v.p, v.n, 0);
		break;
	}
}

static int name_walk(struct der name, struct sb *s, struct sb *cn)
{
	int first = 1;
	while (name.n) {
		struct der rdn;
		if (der_expect(&name, 0x31, &rdn))
			return -1;
		int first_in_rdn = 1;
		while (rdn.n) {
			struct der atv, oid, val;
			unsigned vtag;
			if (der_expect(&rdn, 0x30, &atv) || der_expect(&atv, 0x06, &oid) ||
			    der_next(&atv, &vtag, &val) || atv.n)
				return -1;
			sb_puts(s, first ? "" : first_in_rdn ? ", " : "+");
			first = first_in_rdn = 0;
			int k = oid_find(attr_oids, sizeof attr_oids / sizeof *attr_oids, oid);
			if (k >= 0)
				sb_puts(s, attr_oids[k].name);
			else
				sb_oid(s, oid.p, oid.n);
			sb_putc(s, '=');
			sb_dirstring(s, vtag, val);
			if (k == 0 && cn && cn->len == 0)
				sb_dirstring(cn, vtag, val);
		}
	}
	if (first)
		sb_puts(s, "(empty name)");
	return 0;
}

int x509_text_name(const uint8_t *der, size_t n, char *out, size_t cap, char *cn, size_t cn_cap)
{
	struct der d = { der, n }, name;
	struct sb s, c;
	sb_init(&s, out, cap);
	sb_init(&c, cn, cn_cap);
	if (der_expect(&d, 0x30, &name) || d.n)
		return -1;
	return name_walk(name, &s, cn ? &c : NULL);
}

static int is_digits(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

static int format_time(unsigned tag, struct der v, char *out, size_t cap)
{
	const uint8_t *p = v.p;
	char century[3];
	if (tag == 0x17 && v.n == 13 && p[12] == 'Z' && is_digits(p, 12)) {
		century[0] = p[0] >= '5' ? '1' : '2';
		century[1] = p[0] >= '5' ? '9' : '0';
		century[2] = '\0';
	} else if (tag == 0x18 && v.n == 15 && p[14] == 'Z' && is_digits(p, 14)) {
		century[0] = (char)p[0];
		century[1] = (char)p[1];
		century[2] = '\0';
		p += 2;
	} else {
		return -1;
	}
	snprintf(out, cap, "%s%.2s-%.2s-%.2s %.2s:%.2s:%.2s UTC", century, (const char *)p,
		 (const char *)p + 2, (const char *)p + 4, (const char *)p + 6,
		 (const char *)p + 8, (const char *)p + 10);
	return 0;
}

static int spki_text(struct der spki, char *out, size_t cap)
{
	struct der alg, oid, bits;
	struct sb s;
	sb_init(&s, out, cap);
	if (der_expect(&spki, 0x30, &alg) || der_expect(&alg, 0x06, &oid) ||
	    der_expect(&spki, 0x03, &bits) || spki.n || bits.n < 1 || bits.p[0] != 0)
		return -1;
	const uint8_t *key = bits.p + 1;
	size_t klen = bits.n - 1;
	char buf[64];
	if (oid_eq(oid, oid_rsa, sizeof oid_rsa)) {
		struct der k = { key, klen }, seq, mod, exp;
		if (der_expect(&k, 0x30, &seq) || der_expect(&seq, 0x02, &mod) ||
		    der_expect(&seq, 0x02, &exp) || mod.n == 0)
			return -1;
		while (mod.n > 1 && mod.p[0] == 0) {
			mod.p++;
			mod.n--;
		}
		size_t nbits = (mod.n - 1) * 8;
		for (unsigned b = mod.p[0]; b; b >>= 1)
			nbits++;
		unsigned long long e = 0;
		for (size_t i = 0; i < exp.n && i < 8; i++)
			e = e << 8 | exp.p[i];
		if (exp.n <= 8)
			snprintf(buf, sizeof buf, "RSA %zu bits, e=%llu", nbits, e);
		else
			snprintf(buf, sizeof buf, "RSA %zu bits", nbits);
		sb_puts(&s, buf);
	} else if (oid_eq(oid, oid_ec, sizeof oid_ec)) {
		struct der curve;
		if (der_expect(&alg, 0x06, &curve))
			return -1;
		int k = oid_find(curve_oids, sizeof curve_oids / sizeof *curve_oids, curve);
		sb_puts(&s, "EC ");
		if (k >= 0) {
			snprintf(buf, sizeof buf, "%s (%u bits)", curve_oids[k].name, curve_bits[k]);
			sb_puts(&s, buf);
		} else {
			sb_oid(&s, curve.p, curve.n);
		}
		snprintf(buf, sizeof buf, ", %zu-byte point", klen);
		sb_puts(&s, buf);
	} else if (oid_eq(oid, oid_ed25519, sizeof oid_ed25519)) {
		sb_puts(&s, "Ed25519 (256 bits)");
	} else if (oid_eq(oid, oid_ed448, sizeof oid_ed448)) {
		sb_puts(&s, "Ed448 (456 bits)");
	} else {
		sb_puts(&s, "algorithm ");
		sb_oid(&s, oid.p, oid.n);
		snprintf(buf, sizeof buf, ", %zu-byte key", klen);
		sb_puts(&s, buf);
	}
	return 0;
}

static int san_text(struct der ext, struct sb *s)
{
	struct der names;
	if (der_expect(&ext, 0x30, &names) || ext.n)
		return -1;
	int first = 1;
	while (names.n) {
		unsigned tag;
		struct der v;
		if (der_next(&names, &tag, &v))
			return -1;
		if (!first)
			sb_puts(s, ", ");
		first = 0;
		switch (tag) {
		case 0x81:
			sb_puts(s, "email:");
			sb_text(s, v.p, v.n);
			break;
		case 0x82:
			sb_puts(s, "DNS:");
			sb_text(s, v.p, v.n);
			break;
		case 0x86:
			sb_puts(s, "URI:");
			sb_text(s, v.p, v.n);
			break;
		case 0x87:
			sb_puts(s, "IP:");
			if (v.n == 4) {
				char ip[20];
				snprintf(ip, sizeof ip, "%u.%u.%u.%u", v.p[0], v.p[1], v.p[2], v.p[3]);
				sb_puts(s, ip);
			} else if (v.n == 16) {
				for (size_t i = 0; i < 16; i += 2) {
					char g[8];
					snprintf(g, sizeof g, "%s%x", i ? ":" : "", v.p[i] << 8 | v.p[i + 1]);
					sb_puts(s, g);
				}
			} else {
				sb_hex(s, v.p, v.n, 0);
			}
			break;
		case 0xa4:
			sb_puts(s, "DirName:");
			if (name_walk((struct der){ v.p, v.n }, s, NULL))
				sb_puts(s, "(malformed)");
			break;
		default: {
			char t[32];
			snprintf(t, sizeof t, "[%u]%zu bytes", tag & 0x1f, v.n);
			sb_puts(s, t);
			break;
		}
		}
	}
	return 0;
}

#define FAIL(msg)                 \
	do {                      \
		*err = (msg);     \
		return -1;        \
	} while (0)

int x509_text_parse(const uint8_t *der, size_t n, struct x509_text *out, const char **err)
{
	static const char *dummy;
	if (!err)
		err = &dummy;
	*err = NULL;
	memset(out, 0, sizeof *out);
	struct der d = { der, n }, cert, tbs, alg, sig, tmp, oid;
	if (der_expect(&d, 0x30, &cert))
		FAIL("not a DER SEQUENCE");
	if (d.n)
		FAIL("bytes after the certificate");
	if (der_expect(&cert, 0x30, &tbs))
		FAIL("no tbsCertificate");
	if (der_expect(&cert, 0x30, &alg) || der_expect(&alg, 0x06, &oid))
		FAIL("no signature algorithm");
	if (der_expect(&cert, 0x03, &sig) || cert.n)
		FAIL("no signature");

	struct sb s;
	sb_init(&s, out->signature_algorithm, sizeof out->signature_algorithm);
	int k = oid_find(sig_oids, sizeof sig_oids / sizeof *sig_oids, oid);
	if (k >= 0)
		sb_puts(&s, sig_oids[k].name);
	else
		sb_oid(&s, oid.p, oid.n);

	out->version = 1;
	if (der_peek(&tbs) == 0xa0) {
		struct der ver, vi;
		if (der_expect(&tbs, 0xa0, &ver) || der_expect(&ver, 0x02, &vi) || vi.n != 1 || ver.n)
			FAIL("bad version");
		out->version = vi.p[0] + 1;
	}
	if (der_expect(&tbs, 0x02, &tmp))
		FAIL("no serial number");
	sb_init(&s, out->serial, sizeof out->serial);
	sb_hex(&s, tmp.p, tmp.n > 32 ? 32 : tmp.n, ':');
	if (der_expect(&tbs, 0x30, &tmp))
		FAIL("no inner signature algorithm");

	struct der name;
	struct sb c;
	if (der_expect(&tbs, 0x30, &name))
		FAIL("no issuer");
	sb_init(&s, out->issuer, sizeof out->issuer);
	sb_init(&c, out->issuer_cn, sizeof out->issuer_cn);
	if (name_walk(name, &s, &c))
		FAIL("malformed issuer name");

	struct der validity, t;
	unsigned ttag;
	if (der_expect(&tbs, 0x30, &validity))
		FAIL("no validity");
	if (der_next(&validity, &ttag, &t) || format_time(ttag, t, out->not_before, sizeof out->not_before))
		FAIL("bad notBefore time");
	if (der_next(&validity, &ttag, &t) || format_time(ttag, t, out->not_after, sizeof out->not_after) ||
	    validity.n)
		FAIL("bad notAfter time");

	if (der_expect(&tbs, 0x30, &name))
		FAIL("no subject");
	sb_init(&s, out->subject, sizeof out->subject);
	sb_init(&c, out->subject_cn, sizeof out->subject_cn);
	if (name_walk(name, &s, &c))
		FAIL("malformed subject name");

	struct der spki;
	if (der_expect(&tbs, 0x30, &spki) || spki_text(spki, out->public_key, sizeof out->public_key))
		FAIL("malformed public key");

	if (der_peek(&tbs) == 0xa1 && der_expect(&tbs, 0xa1, &tmp))
		FAIL("bad issuerUniqueID");
	if (der_peek(&tbs) == 0xa2 && der_expect(&tbs, 0xa2, &tmp))
		FAIL("bad subjectUniqueID");
	if (der_peek(&tbs) == 0xa3) {
		struct der wrap, exts;
		if (der_expect(&tbs, 0xa3, &wrap) || der_expect(&wrap, 0x30, &exts) || wrap.n)
			FAIL("malformed extensions");
		while (exts.n) {
			struct der ext, eoid, val;
			if (der_expect(&exts, 0x30, &ext) || der_expect(&ext, 0x06, &eoid))
				FAIL("malformed extension");
			if (der_peek(&ext) == 0x01 && der_expect(&ext, 0x01, &tmp))
				FAIL("malformed extension");
			if (der_expect(&ext, 0x04, &val) || ext.n)
				FAIL("malformed extension");
			if (oid_eq(eoid, oid_san, sizeof oid_san)) {
				sb_init(&s, out->san, sizeof out->san);
				if (san_text(val, &s))
					FAIL("malformed subjectAltName");
			}
		}
	}
	if (tbs.n)
		FAIL("unexpected data in tbsCertificate");
	return 0;
}
