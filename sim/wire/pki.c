/* pki: loads the demo PKI (PEM files under scenarios/certs) into the forms BearSSL
 * takes: certificate chains, private keys (RSA or EC) and trust anchors. BearSSL's
 * decoders are streaming and allocate nothing, and what they return points into their
 * own (temporary) contexts, so everything kept here is copied into owned memory. */
#include "sim/wire/pki.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/base/buf.h"

static void seterr(char *err, size_t errcap, const char *path, const char *fmt, ...)
{
	if (!err || errcap == 0)
		return;
	int n = snprintf(err, errcap, "%s: ", path);
	if (n < 0 || (size_t)n >= errcap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + n, errcap - (size_t)n, fmt, ap);
	va_end(ap);
}

/* A growable byte buffer; BearSSL callbacks cannot fail, so running out of memory is
 * remembered and checked afterwards. */
struct gbuf {
	unsigned char *p;
	size_t len, cap;
	int oom;
};

static void gbuf_append(void *ctx, const void *src, size_t len)
{
	struct gbuf *b = ctx;
	if (b->oom || len == 0)
		return;
	if (buf_append(&b->p, &b->len, &b->cap, src, len))
		b->oom = 1;
}

/* The largest PEM file read: certificates, keys and trust stores are a few KiB. */
#define PEM_FILE_LIMIT ((size_t)1024 * 1024)

/* Reads a PEM file: a regular file (never a FIFO or a device, which could block or
 * never end) of at most PEM_FILE_LIMIT bytes. */
static int read_file(const char *path, struct gbuf *b, char *err, size_t errcap)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		seterr(err, errcap, path, "cannot open: %s", strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st)) {
		int e = errno;
		close(fd);
		seterr(err, errcap, path, "cannot open: %s", strerror(e));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > PEM_FILE_LIMIT) {
		close(fd);
		seterr(err, errcap, path, "cannot open: %s",
		       S_ISDIR(st.st_mode) ? "is a directory" : !S_ISREG(st.st_mode) ? "not a regular file"
										: "larger than 1 MiB");
		return -1;
	}
	unsigned char chunk[4096];
	size_t total = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			seterr(err, errcap, path, "cannot read: %s", strerror(e));
			return -1;
		}
		if (n == 0)
			break;
		total += (size_t)n;
		if (total > PEM_FILE_LIMIT) {
			close(fd);
			seterr(err, errcap, path, "cannot read: larger than 1 MiB");
			return -1;
		}
		gbuf_append(b, chunk, (size_t)n);
		if (b->oom)
			break;
	}
	close(fd);
	if (b->oom) {
		seterr(err, errcap, path, "out of memory");
		return -1;
	}
	return 0;
}

struct pem_block {
	char name[128];
	unsigned char *der;
	size_t len;
};

struct pem_file {
	struct pem_block *b;
	size_t n;
};

static void pem_file_free(struct pem_file *pf)
{
	for (size_t i = 0; i < pf->n; i++)
		free(pf->b[i].der);
	free(pf->b);
	pf->b = NULL;
	pf->n = 0;
}

/* Decodes every PEM block of the file; text outside blocks (our "# DEMO" lines) is
 * skipped by BearSSL's decoder. */
static int pem_read(const char *path, struct pem_file *pf, char *err, size_t errcap)
{
	struct gbuf file = {0};
	memset(pf, 0, sizeof *pf);
	if (read_file(path, &file, err, errcap) < 0) {
		free(file.p);
		return -1;
	}

	br_pem_decoder_context pc;
	br_pem_decoder_init(&pc);
	struct gbuf der = {0};
	char name[128] = "";
	int inside = 0, rc = 0;
	/* The decoder acts on a line only once it sees its newline: feed one extra "\n"
	 * so a file whose last line has none still ends its block. */
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		const unsigned char *p = pass ? (const unsigned char *)"\n" : file.p;
		size_t len = pass ? 1 : file.len;
		while (len > 0 && rc == 0) {
			size_t used = br_pem_decoder_push(&pc, p, len);
			p += used;
			len -= used;
			switch (br_pem_decoder_event(&pc)) {
			case BR_PEM_BEGIN_OBJ:
				snprintf(name, sizeof name, "%s", br_pem_decoder_name(&pc));
				free(der.p);
				memset(&der, 0, sizeof der);
				br_pem_decoder_setdest(&pc, gbuf_append, &der);
				inside = 1;
				break;
			case BR_PEM_END_OBJ: {
				inside = 0;
				br_pem_decoder_setdest(&pc, 0, NULL);
				if (der.oom) {
					seterr(err, errcap, path, "out of memory");
					rc = -1;
					break;
				}
				struct pem_block *nb = realloc(pf->b, (pf->n + 1) * sizeof *nb);
				if (!nb) {
					seterr(err, errcap, path, "out of memory");
					rc = -1;
					break;
				}
				pf->b = nb;
				memcpy(nb[pf->n].name, name, sizeof name);
				nb[pf->n].der = der.p;
				nb[pf->n].len = der.len;
				pf->n++;
				memset(&der, 0, sizeof der);
				break;
			}
			case BR_PEM_ERROR:
				seterr(err, errcap, path, "malformed PEM block%s%s",
				       inside ? " " : "", inside ? name : "");
				rc = -1;
				break;
			default:
				break;
			}
		}
	}
	if (rc == 0 && inside) {
		seterr(err, errcap, path, "PEM block %s has no END line", name);
		rc = -1;
	}
	free(der.p);
	free(file.p);
	if (rc < 0)
		pem_file_free(pf);
	return rc;
}

static int is_cert_block(const char *name)
{
	return strcmp(name, "CERTIFICATE") == 0 || strcmp(name, "X509 CERTIFICATE") == 0;
}

/* Reads path and counts its certificates; fails (with nothing to free) when none. */
static int pem_read_certs(const char *path, struct pem_file *pf, size_t *ncert, char *err, size_t errcap)
{
	if (pem_read(path, pf, err, errcap) < 0)
		return -1;
	*ncert = 0;
	for (size_t i = 0; i < pf->n; i++)
		*ncert += is_cert_block(pf->b[i].name);
	if (*ncert == 0) {
		seterr(err, errcap, path, "no CERTIFICATE block");
		pem_file_free(pf);
		return -1;
	}
	return 0;
}

/* ---- chains ---- */

int pki_load_chain(const char *path, struct pki_chain *out, char *err, size_t errcap)
{
	struct pem_file pf;
	size_t ncert;
	memset(out, 0, sizeof *out);
	if (pem_read_certs(path, &pf, &ncert, err, errcap) < 0)
		return -1;
	out->certs = calloc(ncert, sizeof *out->certs);
	if (!out->certs) {
		seterr(err, errcap, path, "out of memory");
		pem_file_free(&pf);
		return -1;
	}
	/* Ownership of each DER buffer moves from the PEM list into the chain. */
	for (size_t i = 0; i < pf.n; i++) {
		if (!is_cert_block(pf.b[i].name))
			continue;
		out->certs[out->n].data = pf.b[i].der;
		out->certs[out->n].data_len = pf.b[i].len;
		out->n++;
		pf.b[i].der = NULL;
	}
	pem_file_free(&pf);

	/* The leaf's key type picks the server profile; the signer's key type matters to
	 * br_ssl_server_init_full_ec (ECDH suites). Decode every certificate so a broken one
	 * is reported here rather than in the middle of a handshake. */
	for (size_t i = 0; i < out->n; i++) {
		br_x509_decoder_context dc;
		br_x509_decoder_init(&dc, 0, NULL);
		br_x509_decoder_push(&dc, out->certs[i].data, out->certs[i].data_len);
		br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
		if (!pk) {
			seterr(err, errcap, path, "certificate %zu cannot be decoded (BearSSL error %d)",
			       i + 1, br_x509_decoder_last_error(&dc));
			pki_chain_free(out);
			return -1;
		}
		if (i == 0) {
			out->key_type = pk->key_type;
			out->issuer_key_type = br_x509_decoder_get_signer_key_type(&dc);
		}
	}
	return 0;
}

void pki_chain_free(struct pki_chain *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->certs[i].data);
	free(c->certs);
	memset(c, 0, sizeof *c);
}

/* ---- private keys ---- */

static int is_key_block(const char *name)
{
	return strcmp(name, "PRIVATE KEY") == 0 || strcmp(name, "EC PRIVATE KEY") == 0 ||
	       strcmp(name, "RSA PRIVATE KEY") == 0;
}

/* Copies the key out of the decoder context into one owned buffer. */
static int key_copy(const br_skey_decoder_context *kc, struct pki_key *out)
{
	const br_rsa_private_key *rsa = br_skey_decoder_get_rsa(kc);
	const br_ec_private_key *ec = br_skey_decoder_get_ec(kc);
	if (rsa) {
		size_t total = rsa->plen + rsa->qlen + rsa->dplen + rsa->dqlen + rsa->iqlen;
		unsigned char *b = malloc(total ? total : 1), *w = b;
		if (!b)
			return -1;
		out->type = BR_KEYTYPE_RSA;
		out->buf = b;
		out->rsa.n_bitlen = rsa->n_bitlen;
#define TAKE(f) do { memcpy(w, rsa->f, rsa->f##len); out->rsa.f = w; \
		     out->rsa.f##len = rsa->f##len; w += rsa->f##len; } while (0)
		TAKE(p); TAKE(q); TAKE(dp); TAKE(dq); TAKE(iq);
#undef TAKE
		return 0;
	}
	if (ec) {
		unsigned char *b = malloc(ec->xlen ? ec->xlen : 1);
		if (!b)
			return -1;
		memcpy(b, ec->x, ec->xlen);
		out->type = BR_KEYTYPE_EC;
		out->buf = b;
		out->ec.curve = ec->curve;
		out->ec.x = b;
		out->ec.xlen = ec->xlen;
		return 0;
	}
	return -1;
}

int pki_load_key(const char *path, struct pki_key *out, char *err, size_t errcap)
{
	struct pem_file pf;
	memset(out, 0, sizeof *out);
	if (pem_read(path, &pf, err, errcap) < 0)
		return -1;

	const struct pem_block *blk = NULL;
	int encrypted = 0;
	for (size_t i = 0; i < pf.n && !blk; i++) {
		if (is_key_block(pf.b[i].name))
			blk = &pf.b[i];
		else if (strcmp(pf.b[i].name, "ENCRYPTED PRIVATE KEY") == 0)
			encrypted = 1;
	}
	if (!blk) {
		seterr(err, errcap, path, encrypted
		       ? "encrypted private key; BearSSL reads only unencrypted keys"
		       : "no PRIVATE KEY block");
		pem_file_free(&pf);
		return -1;
	}

	/* The decoder context is large (it holds an RSA-4096 key's worth of data). */
	br_skey_decoder_context *kc = malloc(sizeof *kc);
	if (!kc) {
		seterr(err, errcap, path, "out of memory");
		pem_file_free(&pf);
		return -1;
	}
	br_skey_decoder_init(kc);
	br_skey_decoder_push(kc, blk->der, blk->len);
	int kerr = br_skey_decoder_last_error(kc);
	int rc = 0;
	if (kerr != 0) {
		seterr(err, errcap, path, "not a private key BearSSL can read (BearSSL error %d)", kerr);
		rc = -1;
	} else if (key_copy(kc, out) < 0 || !(out->der = malloc(blk->len))) {
		seterr(err, errcap, path, "out of memory");
		rc = -1;
	} else {
		memcpy(out->der, blk->der, blk->len);
		out->der_len = blk->len;
	}
	/* Scrub the copies of the secret that are not ours to keep. */
	memset(kc, 0, sizeof *kc);
	free(kc);
	for (size_t i = 0; i < pf.n; i++)
		if (pf.b[i].der)
			memset(pf.b[i].der, 0, pf.b[i].len);
	pem_file_free(&pf);
	if (rc < 0)
		pki_key_free(out);
	return rc;
}

void pki_key_free(struct pki_key *k)
{
	if (!k)
		return;
	free(k->buf);
	if (k->der)
		memset(k->der, 0, k->der_len);
	free(k->der);
	memset(k, 0, sizeof *k);
}

/* ---- trust anchors ---- */

static void anchor_free(br_x509_trust_anchor *ta)
{
	free(ta->dn.data);
	/* The public key lives in one allocation starting at n (RSA) or q (EC). */
	if (ta->pkey.key_type == BR_KEYTYPE_RSA)
		free(ta->pkey.key.rsa.n);
	else if (ta->pkey.key_type == BR_KEYTYPE_EC)
		free(ta->pkey.key.ec.q);
	memset(ta, 0, sizeof *ta);
}

static int anchor_from_cert(const unsigned char *der, size_t len, br_x509_trust_anchor *ta,
			    int *bearssl_err)
{
	struct gbuf dn = {0};
	br_x509_decoder_context dc;
	memset(ta, 0, sizeof *ta);
	*bearssl_err = 0;
	br_x509_decoder_init(&dc, gbuf_append, &dn);
	br_x509_decoder_push(&dc, der, len);
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
	if (!pk || dn.oom) {
		*bearssl_err = br_x509_decoder_last_error(&dc);
		free(dn.p);
		return -1;
	}
	if (pk->key_type == BR_KEYTYPE_RSA) {
		const br_rsa_public_key *r = &pk->key.rsa;
		unsigned char *b = malloc(r->nlen + r->elen + 1);
		if (!b) {
			free(dn.p);
			return -1;
		}
		memcpy(b, r->n, r->nlen);
		memcpy(b + r->nlen, r->e, r->elen);
		ta->pkey.key.rsa.n = b;
		ta->pkey.key.rsa.nlen = r->nlen;
		ta->pkey.key.rsa.e = b + r->nlen;
		ta->pkey.key.rsa.elen = r->elen;
	} else if (pk->key_type == BR_KEYTYPE_EC) {
		const br_ec_public_key *e = &pk->key.ec;
		unsigned char *b = malloc(e->qlen + 1);
		if (!b) {
			free(dn.p);
			return -1;
		}
		memcpy(b, e->q, e->qlen);
		ta->pkey.key.ec.curve = e->curve;
		ta->pkey.key.ec.q = b;
		ta->pkey.key.ec.qlen = e->qlen;
	} else {
		free(dn.p);
		return -1;
	}
	ta->pkey.key_type = pk->key_type;
	ta->dn.data = dn.p;
	ta->dn.len = dn.len;
	ta->flags = BR_X509_TA_CA;
	return 0;
}

int pki_anchor_from_der(const unsigned char *der, size_t len, unsigned flags,
			br_x509_trust_anchor *ta)
{
	int berr;
	if (anchor_from_cert(der, len, ta, &berr) < 0)
		return -1;
	ta->flags = flags;
	return 0;
}

void pki_anchor_free(br_x509_trust_anchor *ta)
{
	anchor_free(ta);
}

int pki_load_anchors(const char *path, struct pki_anchors *out, char *err, size_t errcap)
{
	struct pem_file pf;
	size_t ncert;
	memset(out, 0, sizeof *out);
	if (pem_read_certs(path, &pf, &ncert, err, errcap) < 0)
		return -1;
	out->ta = calloc(ncert, sizeof *out->ta);
	out->certs = calloc(ncert, sizeof *out->certs);
	if (!out->ta || !out->certs) {
		free(out->ta);
		free(out->certs);
		out->ta = NULL;
		out->certs = NULL;
		seterr(err, errcap, path, "out of memory");
		pem_file_free(&pf);
		return -1;
	}
	for (size_t i = 0; i < pf.n; i++) {
		if (!is_cert_block(pf.b[i].name))
			continue;
		int berr;
		if (anchor_from_cert(pf.b[i].der, pf.b[i].len, &out->ta[out->n], &berr) < 0) {
			if (berr)
				seterr(err, errcap, path, "certificate %zu cannot be decoded (BearSSL error %d)",
				       out->n + 1, berr);
			else
				seterr(err, errcap, path, "certificate %zu: out of memory or unsupported key",
				       out->n + 1);
			pem_file_free(&pf);
			pki_anchors_free(out);
			return -1;
		}
		out->n++;
		/* The DER moves over: the PEM file is freed without it. */
		out->certs[out->ncerts].data = pf.b[i].der;
		out->certs[out->ncerts++].data_len = pf.b[i].len;
		pf.b[i].der = NULL;
	}
	pem_file_free(&pf);
	return 0;
}

void pki_anchors_free(struct pki_anchors *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		anchor_free(&a->ta[i]);
	free(a->ta);
	for (size_t i = 0; i < a->ncerts; i++)
		free(a->certs[i].data);
	free(a->certs);
	memset(a, 0, sizeof *a);
}
