/* fuzz_pki: the certificate and key loaders (sim/wire/pki.c) on files a scenario could
 * name, and the X.509 text decoder (sim/decode/x509_text.c) on what they load.
 *
 * The first input byte says how the rest becomes the file: below 64 as it is (PEM text or
 * anything else), from 64 on as DER wrapped by this harness in a PEM block of the kind
 * named by the byte's low bits (CERTIFICATE, PRIVATE KEY, EC PRIVATE KEY, RSA PRIVATE KEY,
 * TRUSTED CERTIFICATE, or a certificate then a key), so the fuzzer reaches the DER
 * decoders straight away. The file is written to a temporary directory, then read by
 * pki_load_chain, pki_load_key or pki_load_anchors, or all three (bits 4-5 of the first
 * byte: BearSSL's PEM decoder is slow, so one loader an input unless asked for all);
 * the DER is also given to x509_text_parse, x509_text_name and pki_anchor_from_der.
 *
 * Invariants: every call returns 0 or -1; -1 comes with a one-line message that names
 * the file; a chain has 1..n certificates with bytes and a known key type; a key is RSA
 * or EC; anchors are CA anchors with a name and a key; x509_text gives NUL-terminated
 * strings within its buffers and a version 1..3, or an error text. */
#include <unistd.h>

#include "fuzz_common.h"
#include "sim/base/base64.h"
#include "sim/decode/x509_text.h"
#include "sim/wire/pki.h"

static char dir[] = "/tmp/fuzz-pki-XXXXXX";
static char path[64];

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof path, "%s/c.pem", dir);
	atexit(cleanup);
	return 0;
}

static void check_err(const char *err, size_t cap)
{
	FUZZ_CHECK(memchr(err, '\0', cap), "an error is a string");
	FUZZ_CHECK(err[0] && !strchr(err, '\n'), "an error is one line");
	FUZZ_CHECK(!strncmp(err, path, strlen(path)), "an error names the file");
}

static int terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void check_x509(const uint8_t *der, size_t n)
{
	uint8_t *b = (uint8_t *)fuzz_dup(der, n);
	struct x509_text x;
	const char *err = NULL;
	memset(&x, 0xAA, sizeof x);
	if (x509_text_parse(b, n, &x, &err) == 0) {
		FUZZ_CHECK(terminated(x.subject, sizeof x.subject) && terminated(x.issuer, sizeof x.issuer) &&
				   terminated(x.subject_cn, sizeof x.subject_cn) &&
				   terminated(x.issuer_cn, sizeof x.issuer_cn) &&
				   terminated(x.not_before, sizeof x.not_before) &&
				   terminated(x.not_after, sizeof x.not_after) && terminated(x.san, sizeof x.san) &&
				   terminated(x.public_key, sizeof x.public_key) &&
				   terminated(x.signature_algorithm, sizeof x.signature_algorithm) &&
				   terminated(x.serial, sizeof x.serial),
			   "x509_text strings end within their buffers");
		FUZZ_CHECK(x.version >= 1 && x.version <= 3, "an X.509 version is 1 to 3");
	} else {
		FUZZ_CHECK(err && strlen(err) < 200, "a parse error says why");
	}
	char name[256], cn[64];
	memset(name, 0xAA, sizeof name);
	memset(cn, 0xAA, sizeof cn);
	if (x509_text_name(b, n, name, sizeof name, cn, sizeof cn) == 0)
		FUZZ_CHECK(terminated(name, sizeof name) && terminated(cn, sizeof cn), "a name is a string");
	/* Small buffers: cut, never overrun. */
	if (x509_text_name(b, n, name, 1 + n % 16, cn, 1 + n % 8) == 0)
		FUZZ_CHECK(terminated(name, 1 + n % 16) && terminated(cn, 1 + n % 8), "a cut name is a string");
	br_x509_trust_anchor ta;
	if (pki_anchor_from_der(b, n, BR_X509_TA_CA, &ta) == 0) {
		FUZZ_CHECK(ta.dn.data && ta.flags == BR_X509_TA_CA, "an anchor has a name");
		FUZZ_CHECK(ta.pkey.key_type == BR_KEYTYPE_RSA || ta.pkey.key_type == BR_KEYTYPE_EC, "an anchor key");
		pki_anchor_free(&ta);
	}
	free(b);
}

static const char *const blocks[8] = {
	"CERTIFICATE", "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY",
	"TRUSTED CERTIFICATE", "CERTIFICATE", "X509 CERTIFICATE", "PUBLIC KEY",
};

static void write_block(FILE *f, const char *name, const uint8_t *der, size_t n)
{
	size_t cap = base64_encoded_len(n) + 1;
	char *b64 = malloc(cap);
	if (!b64)
		abort();
	base64_encode(der, n, b64, cap);
	fprintf(f, "-----BEGIN %s-----\n", name);
	size_t len = strlen(b64);
	for (size_t i = 0; i < len; i += 64)
		fprintf(f, "%.*s\n", (int)(len - i < 64 ? len - i : 64), b64 + i);
	fprintf(f, "-----END %s-----\n", name);
	free(b64);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t how = data[0];
	int which = how >> 4 & 3; /* 0 chain, 1 key, 2 anchors, 3 all */
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (how < 64) {
		if (n && fwrite(p, 1, n, f) != n)
			abort();
	} else {
		write_block(f, blocks[how & 7], p, n);
		if (how & 8) /* a certificate, then its key, as some files hold both */
			write_block(f, "PRIVATE KEY", p, n);
	}
	fclose(f);

	char err[256];
	memset(err, 0xAA, sizeof err);
	struct pki_chain chain;
	if (which != 0 && which != 3) {
		/* not this loader */
	} else if (pki_load_chain(path, &chain, err, sizeof err) == 0) {
		FUZZ_CHECK(chain.n >= 1 && chain.certs, "a chain has certificates");
		for (size_t i = 0; i < chain.n; i++) {
			FUZZ_CHECK(chain.certs[i].data && chain.certs[i].data_len > 0, "a certificate has bytes");
			check_x509(chain.certs[i].data, chain.certs[i].data_len);
		}
		FUZZ_CHECK(chain.key_type == BR_KEYTYPE_RSA || chain.key_type == BR_KEYTYPE_EC, "a leaf key type");
		pki_chain_free(&chain);
	} else {
		check_err(err, sizeof err);
	}

	memset(err, 0xAA, sizeof err);
	struct pki_key key;
	if (which != 1 && which != 3) {
		/* not this loader */
	} else if (pki_load_key(path, &key, err, sizeof err) == 0) {
		FUZZ_CHECK(key.type == BR_KEYTYPE_RSA || key.type == BR_KEYTYPE_EC, "a key is RSA or EC");
		if (key.type == BR_KEYTYPE_EC)
			FUZZ_CHECK(key.ec.x && key.ec.xlen > 0, "an EC key has its scalar");
		else
			FUZZ_CHECK(key.rsa.p && key.rsa.plen && key.rsa.q && key.rsa.qlen && key.rsa.n_bitlen,
				   "an RSA key has its primes");
		pki_key_free(&key);
	} else {
		check_err(err, sizeof err);
	}

	memset(err, 0xAA, sizeof err);
	struct pki_anchors an;
	if (which != 2 && which != 3) {
		/* not this loader */
	} else if (pki_load_anchors(path, &an, err, sizeof err) == 0) {
		FUZZ_CHECK(an.n >= 1 && an.ta, "anchors");
		for (size_t i = 0; i < an.n; i++)
			FUZZ_CHECK(an.ta[i].dn.data && (an.ta[i].flags & BR_X509_TA_CA), "each anchor is a CA with a name");
		pki_anchors_free(&an);
	} else {
		check_err(err, sizeof err);
	}

	/* The DER decoders straight on the bytes, whatever the loaders made of them. */
	if (how >= 64)
		check_x509(p, n);
	return 0;
}
