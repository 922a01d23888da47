/* decode_handshake: handshake messages (RFC 5246 7.4, RFC 8422; RFC 8446 4 for TLS 1.3):
 * hellos and their extensions, certificates, key exchanges, certificate requests and
 * verifies; TLS 1.3's HelloRetryRequest, EncryptedExtensions, NewSessionTicket and
 * KeyUpdate, and its layout of Certificate. */
#include "sim/decode/decode_internal.h"

#include "sim/decode/x509_text.h"

struct hello_info {
	char sni[256];
	unsigned sv_best;   /* ClientHello: the highest version in supported_versions; 0 */
	unsigned sv_sel;    /* ServerHello: the version supported_versions selects; 0 */
	unsigned group;     /* the (first) key_share group; 0 */
	size_t nshares;
};

/* RFC 8446 4.1.3: a HelloRetryRequest is a ServerHello with this random, SHA-256 of
 * "HelloRetryRequest". */
static const uint8_t hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static void list_u16(struct sb *s, struct rd *list, const char *(*text)(unsigned, char *, size_t))
{
	unsigned v;
	char b[32];
	while (rd_u16(list, &v) == 0) {
		if (s->len)
			sb_puts(s, ", ");
		sb_puts(s, text(v, b, sizeof b));
	}
}

static const char *version_text_any(unsigned v, char *b, size_t cap)
{
	if (decode_is_grease(v))
		return "grease";
	return decode_version_text(v, b, cap);
}

/* One extension of a ClientHello (server = 0), ServerHello (server = 1) or
 * HelloRetryRequest (server = 2) as a field at depth 1, named by the extension. Returns
 * -1 when its content is malformed. */
static int hello_extension(struct fields *f, int server, unsigned type, struct rd body,
			   struct hello_info *hi, const uint8_t *ext, size_t ext_len)
{
	char val[1024], nb[48];
	struct sb s;
	struct rd list;
	unsigned v;
	/* the bytes the value shows: a host name, a list; by default the whole extension */
	const uint8_t *vp = ext;
	size_t vn = ext_len, names = 0;
	const char *name = decode_extension_name(type);
	sb_init(&s, val, sizeof val);
	switch (type) {
	case 0: /* server_name, RFC 6066 3 */
		if (body.n == 0) {
			sb_puts(&s, server ? "acknowledged (empty)" : "empty");
			break;
		}
		if (server || rd_vec(&body, 2, &list) || body.n || list.n == 0)
			return -1;
		while (list.n) {
			struct rd host;
			if (rd_u8(&list, &v) || rd_vec(&list, 2, &host))
				return -1;
			if (names++ == 0 && v == 0 && !list.n) {
				vp = host.p;
				vn = host.n;
			} else {
				vp = ext;
				vn = ext_len;
			}
			if (s.len)
				sb_puts(&s, ", ");
			if (v == 0) {
				sb_text(&s, host.p, host.n);
				if (!hi->sni[0])
					textstr(hi->sni, sizeof hi->sni, host.p, host.n);
			} else {
				sb_printf(&s, "name type %u, %zu bytes", v, host.n);
			}
		}
		break;
	case 1: /* max_fragment_length */
		if (rd_u8(&body, &v) || body.n)
			return -1;
		if (v >= 1 && v <= 4)
			sb_printf(&s, "%u bytes", 256u << v);
		else
			sb_printf(&s, "unknown (0x%02x)", v);
		break;
	case 10: /* supported_groups */
		if (rd_vec(&body, 2, &list) || body.n || list.n % 2)
			return -1;
		vp = list.p;
		vn = list.n;
		list_u16(&s, &list, decode_group_text);
		break;
	case 11: /* ec_point_formats */
		if (rd_vec(&body, 1, &list) || body.n)
			return -1;
		vp = list.p;
		vn = list.n;
		while (rd_u8(&list, &v) == 0) {
			static const char *const pf[] = { "uncompressed", "ansiX962_compressed_prime",
							  "ansiX962_compressed_char2" };
			if (s.len)
				sb_puts(&s, ", ");
			sb_puts(&s, decode_orhex(v < 3 ? pf[v] : NULL, v, 2, nb, sizeof nb));
		}
		break;
	case 13: /* signature_algorithms */
	case 50: /* signature_algorithms_cert */
		if (rd_vec(&body, 2, &list) || body.n || list.n % 2)
			return -1;
		vp = list.p;
		vn = list.n;
		list_u16(&s, &list, decode_sigalg_text);
		break;
	case 16: /* ALPN, RFC 7301 */
		if (rd_vec(&body, 2, &list) || body.n)
			return -1;
		vp = list.p;
		vn = list.n;
		while (list.n) {
			struct rd proto;
			if (rd_vec(&list, 1, &proto))
				return -1;
			if (s.len)
				sb_puts(&s, ", ");
			sb_text(&s, proto.p, proto.n);
		}
		break;
	case 43: /* supported_versions, RFC 8446 4.2.1 */
		if (server) {
			vp = body.p;
			vn = body.n;
			if (rd_u16(&body, &v) || body.n)
				return -1;
			sb_puts(&s, version_text_any(v, nb, sizeof nb));
			hi->sv_sel = v;
		} else {
			if (rd_vec(&body, 1, &list) || body.n || list.n % 2)
				return -1;
			vp = list.p;
			vn = list.n;
			for (struct rd l2 = list; rd_u16(&l2, &v) == 0;)
				if (!decode_is_grease(v) && v > hi->sv_best && v <= 0x0304)
					hi->sv_best = v;
			list_u16(&s, &list, version_text_any);
		}
		break;
	case 51: /* key_share, RFC 8446 4.2.8 */
		if (server == 2) { /* HelloRetryRequest: the group the server wants */
			if (rd_u16(&body, &v) || body.n)
				return -1;
			hi->group = v;
			sb_printf(&s, "send a key share for %s", decode_group_text(v, nb, sizeof nb));
			break;
		}
		if (server) {
			struct rd key;
			if (rd_u16(&body, &v) || rd_vec(&body, 2, &key) || body.n)
				return -1;
			hi->group = v;
			hi->nshares = 1;
			sb_printf(&s, "%s, %zu-byte public key", decode_group_text(v, nb, sizeof nb), key.n);
			break;
		}
		if (rd_vec(&body, 2, &list) || body.n)
			return -1;
		vp = list.p;
		vn = list.n;
		if (!list.n)
			sb_puts(&s, "empty (the client waits to be told a group)");
		while (list.n) {
			struct rd key;
			if (rd_u16(&list, &v) || rd_vec(&list, 2, &key))
				return -1;
			if (!hi->nshares++)
				hi->group = v;
			sb_printf(&s, "%s%s (%zu-byte public key)", s.len ? ", " : "", decode_group_text(v, nb, sizeof nb),
				  key.n);
		}
		break;
	case 45: /* psk_key_exchange_modes, RFC 8446 4.2.9 */
		if (rd_vec(&body, 1, &list) || body.n)
			return -1;
		vp = list.p;
		vn = list.n;
		while (rd_u8(&list, &v) == 0)
			sb_printf(&s, "%s%s", s.len ? ", " : "",
				  v == 0 ? "psk_ke (PSK alone)" : v == 1 ? "psk_dhe_ke (PSK with (EC)DHE)"
					 : decode_orhex(NULL, v, 2, nb, sizeof nb));
		break;
	case 44: /* cookie, RFC 8446 4.2.2 */
		sb_printf(&s, "%zu bytes, to be echoed in the second ClientHello", body.n);
		break;
	case 35: /* session_ticket */
		if (body.n == 0)
			sb_puts(&s, server ? "empty (server will send a ticket)" : "empty (asks for a ticket)");
		else
			sb_printf(&s, "%zu-byte ticket", body.n);
		break;
	case 0xff01: /* renegotiation_info, RFC 5746 */
		if (rd_vec(&body, 1, &list) || body.n)
			return -1;
		if (list.n == 0) {
			sb_puts(&s, "empty (initial handshake)");
		} else {
			vp = list.p;
			vn = list.n;
			sb_printf(&s, "renegotiation, %zu bytes of verify_data: ", list.n);
			sb_hex(&s, list.p, list.n, 0);
		}
		break;
	case 22: /* encrypt_then_mac */
	case 23: /* extended_master_secret */
	case 49: /* post_handshake_auth */
		sb_puts(&s, body.n ? "" : "empty (supported)");
		if (body.n)
			sb_printf(&s, "%zu bytes", body.n);
		break;
	default:
		if (!name)
			sb_printf(&s, "unknown (0x%04x), ", type);
		else if (strcmp(name, "grease") == 0)
			sb_printf(&s, "0x%04x, ", type);
		sb_printf(&s, "%zu bytes", body.n);
		break;
	}
	fields_add(f, 1, name ? name : "unknown_extension", "%s", val);
	rd_mark(f, &body, vp, vn);
	return 0;
}

/* The optional extensions block that ends a hello. Writes a reason into err on error. */
static int hello_extensions(struct rd *r, struct fields *f, int server, struct hello_info *hi,
			    char *err, size_t errcap)
{
	if (rd_left(r) == 0) {
		fields_add(f, 0, "extensions", "none");
		return 0;
	}
	struct rd exts, c;
	const uint8_t *at = r->p;
	if (rd_vec(r, 2, &exts)) {
		snprintf(err, errcap, "truncated at extensions");
		return -1;
	}
	if (r->n) {
		snprintf(err, errcap, "%zu bytes after the extensions", r->n);
		return -1;
	}
	size_t count = 0;
	for (c = exts; c.n; count++) {
		unsigned t;
		struct rd b;
		if (rd_u16(&c, &t) || rd_vec(&c, 2, &b)) {
			snprintf(err, errcap, "truncated in extension %zu", count + 1);
			return -1;
		}
	}
	fields_add(f, 0, "extensions", "%zu extension%s", count, count == 1 ? "" : "s");
	rd_mark_since(f, r, at);
	while (exts.n) {
		unsigned t = 0;
		struct rd b = { NULL, 0, NULL };
		const uint8_t *ext = exts.p;
		if (rd_u16(&exts, &t) || rd_vec(&exts, 2, &b))
			break; /* cannot happen: checked above */
		if (hello_extension(f, server, t, b, hi, ext, (size_t)(exts.p - ext))) {
			char nb[32];
			const char *name = decode_extension_name(t);
			snprintf(err, errcap, "malformed %s extension", decode_orhex(name, t, 4, nb, sizeof nb));
			return -1;
		}
	}
	return 0;
}

static const char *compression_text(unsigned c, char *b, size_t cap)
{
	return decode_orhex(c == 0 ? "null" : c == 1 ? "DEFLATE" : NULL, c, 2, b, cap);
}

/* version, random, session_id: common to both hellos. */
static int hello_start(struct rd *r, struct fields *f, unsigned *ver, const char **vs, char *vb, size_t vcap,
		       const char **what)
{
	const uint8_t *rnd;
	struct rd sid;
	char hb[80];
	if (rd_u16(r, ver)) {
		*what = "truncated at version";
		return -1;
	}
	*vs = decode_version_text(*ver, vb, vcap);
	fields_add(f, 0, "version", "%s", *vs);
	rd_mark(f, r, r->p - 2, 2);
	if (rd_bytes(r, 32, &rnd)) {
		*what = "truncated at random";
		return -1;
	}
	fields_add(f, 0, "random", "%s", hexstr(hb, sizeof hb, rnd, 32));
	rd_mark(f, r, rnd, 32);
	const uint8_t *at = r->p;
	if (rd_vec(r, 1, &sid)) {
		*what = "truncated at session_id";
		return -1;
	}
	if (sid.n > 32) {
		*what = "session_id longer than 32 bytes";
		return -1;
	}
	fields_add(f, 0, "session_id", "%s", sid.n ? hexstr(hb, sizeof hb, sid.p, sid.n) : "(empty)");
	if (sid.n) /* the id; an empty one, its length byte */
		rd_mark(f, r, sid.p, sid.n);
	else
		rd_mark_since(f, r, at);
	return 0;
}

static int client_hello(struct rd *r, struct fields *f, char *summary, size_t cap)
{
	const char *M = "ClientHello", *what;
	char vb[32], b[48], err[96];
	const char *vs;
	unsigned ver, v;
	struct rd list;
	struct hello_info hi = { "" };
	if (hello_start(r, f, &ver, &vs, vb, sizeof vb, &what))
		return fail(f, summary, cap, M, "%s", what);
	const uint8_t *at = r->p;
	if (rd_vec(r, 2, &list))
		return fail(f, summary, cap, M, "truncated at cipher suites");
	if (list.n == 0 || list.n % 2)
		return fail(f, summary, cap, M, "cipher suite list has %zu bytes, not a positive even number", list.n);
	size_t nsuites = list.n / 2;
	fields_add(f, 0, "cipher_suites", "%zu suite%s", nsuites, nsuites == 1 ? "" : "s");
	rd_mark_since(f, r, at);
	for (const uint8_t *sp = list.p; rd_u16(&list, &v) == 0; sp = list.p) {
		fields_add(f, 1, "suite", "%s", decode_suite_text(v, b, sizeof b));
		rd_mark(f, &list, sp, 2);
	}
	at = r->p;
	if (rd_vec(r, 1, &list))
		return fail(f, summary, cap, M, "truncated at compression methods");
	if (list.n == 0)
		return fail(f, summary, cap, M, "no compression methods");
	char cm[256];
	struct sb s;
	sb_init(&s, cm, sizeof cm);
	while (rd_u8(&list, &v) == 0) {
		if (s.len)
			sb_puts(&s, ", ");
		sb_puts(&s, compression_text(v, b, sizeof b));
	}
	fields_add(f, 0, "compression_methods", "%s", cm);
	rd_mark_since(f, r, at);
	if (hello_extensions(r, f, 0, &hi, err, sizeof err))
		return fail(f, summary, cap, M, "%s", err);
	/* TLS 1.3 offers itself in supported_versions; the version field stays 1.2 (4.1.2). */
	char upto[48] = "";
	if (hi.sv_best > ver) {
		snprintf(upto, sizeof upto, "up to %s", decode_version_text(hi.sv_best, b, sizeof b));
		/* the version field is then legacy_version, kept at TLS 1.2 (RFC 8446 4.1.2) */
		fields_add(f, 0, "offers_up_to", "%s", decode_version_text(hi.sv_best, b, sizeof b));
		vs = upto;
	}
	if (hi.sni[0])
		say(summary, cap, "%s: %s, %zu suites, SNI %s", M, vs, nsuites, hi.sni);
	else
		say(summary, cap, "%s: %s, %zu suites, no SNI", M, vs, nsuites);
	return 0;
}

static int server_hello(struct rd *r, struct fields *f, char *summary, size_t cap)
{
	const char *M = "ServerHello", *what;
	char vb[32], b[48], err[96];
	const char *vs;
	unsigned ver, suite, comp;
	struct hello_info hi = { "" };
	const uint8_t *rnd = r->p + 2;
	int hrr = r->n >= 34 && !memcmp(rnd, hrr_random, 32);
	if (hrr)
		M = "HelloRetryRequest";
	if (hello_start(r, f, &ver, &vs, vb, sizeof vb, &what))
		return fail(f, summary, cap, M, "%s", what);
	if (hrr)
		fields_add(f, 0, "meaning", "HelloRetryRequest: a ServerHello whose random is SHA-256(\"HelloRetryRequest\") "
			   "(RFC 8446 4.1.3); the server asks for a second ClientHello");
	/* RFC 8446 4.1.3: a TLS 1.3 server that agrees on an older version says so here. */
	static const uint8_t downgrd[7] = { 'D', 'O', 'W', 'N', 'G', 'R', 'D' };
	if (!hrr && !memcmp(rnd + 24, downgrd, 7) && (rnd[31] == 0 || rnd[31] == 1)) {
		fields_add(f, 0, "downgrade_sentinel",
			   "\"DOWNGRD\" %02x: this server supports TLS 1.3 but agreed on %s (RFC 8446 4.1.3); a "
			   "TLS 1.3 client must abort with illegal_parameter", rnd[31], rnd[31] ? "TLS 1.2" : "TLS 1.1 or older");
		fields_last_range(f, 6 + 24, 8);
	}
	if (rd_u16(r, &suite))
		return fail(f, summary, cap, M, "truncated at cipher suite");
	char sb_[48];
	const char *st = decode_suite_text(suite, sb_, sizeof sb_);
	fields_add(f, 0, "cipher_suite", "%s", st);
	rd_mark(f, r, r->p - 2, 2);
	if (rd_u8(r, &comp))
		return fail(f, summary, cap, M, "truncated at compression method");
	fields_add(f, 0, "compression_method", "%s", compression_text(comp, b, sizeof b));
	rd_mark(f, r, r->p - 1, 1);
	if (hello_extensions(r, f, hrr ? 2 : 1, &hi, err, sizeof err))
		return fail(f, summary, cap, M, "%s", err);
	if (hi.sv_sel) {
		vs = decode_version_text(hi.sv_sel, vb, sizeof vb);
		/* the version field is then legacy_version (RFC 8446 4.1.3) */
		fields_add(f, 0, "negotiated_version", "%s", vs);
	}
	if (hrr)
		say(summary, cap, "%s: %s, wants a %s key share", M, st, hi.group ? decode_group_text(hi.group, b, sizeof b) : "different");
	else if (fields_get(f, "downgrade_sentinel"))
		say(summary, cap, "%s: %s, %s, downgrade sentinel in the random", M, vs, st);
	else
		say(summary, cap, "%s: %s, %s", M, vs, st);
	return 0;
}

/* TLS 1.3 (tls13) puts a request context first and extensions after each certificate
 * (RFC 8446 4.4.2). */
static int certificate(struct rd *r, int tls13, struct fields *f, char *summary, size_t cap)
{
	const char *M = "Certificate";
	struct rd list, c, ctx;
	if (tls13) {
		const uint8_t *cat = r->p;
		if (rd_vec(r, 1, &ctx))
			return fail(f, summary, cap, M, "truncated at certificate_request_context");
		fields_add(f, 0, "certificate_request_context", "%s", ctx.n ? "present" : "empty (not an answer to a request)");
		rd_mark_since(f, r, cat);
	}
	const uint8_t *at = r->p;
	if (rd_vec(r, 3, &list))
		return fail(f, summary, cap, M, "truncated at certificate list");
	if (r->n)
		return fail(f, summary, cap, M, "%zu bytes after the certificate list", r->n);
	size_t count = 0;
	for (c = list; c.n; count++) {
		struct rd der, ext;
		if (rd_vec(&c, 3, &der) || (tls13 && rd_vec(&c, 2, &ext)))
			return fail(f, summary, cap, M, "truncated in certificate %zu", count + 1);
	}
	fields_add(f, 0, "certificates", "%zu certificate%s", count, count == 1 ? "" : "s");
	rd_mark(f, r, at, (size_t)(list.p + list.n - at));
	if (count == 0) {
		say(summary, cap, "%s: empty (no certificate)", M);
		return 0;
	}
	char first[300] = "", issuer[300] = "";
	int self_signed = 0;
	for (size_t i = 0; list.n; i++) {
		struct rd der = { NULL, 0, NULL };
		struct x509_text x;
		const char *err;
		const uint8_t *lenp = list.p;
		struct rd ext = { NULL, 0, NULL };
		if (rd_vec(&list, 3, &der) || (tls13 && rd_vec(&list, 2, &ext)))
			break; /* cannot happen: checked above */
		if (x509_text_parse(der.p, der.n, &x, &err)) {
			fields_add(f, 1, "certificate", "malformed (%zu bytes)", der.n);
			rd_mark(f, &list, der.p, der.n);
			return fail(f, summary, cap, M, "certificate %zu is not a valid X.509 certificate: %s",
				    i + 1, err);
		}
		char shown[300];
		if (x.subject_cn[0])
			snprintf(shown, sizeof shown, "CN=%s", x.subject_cn);
		else
			snprintf(shown, sizeof shown, "%s", x.subject);
		fields_add(f, 1, "certificate", "%s", shown); /* the DER; its parts say no more */
		rd_mark(f, &list, der.p, der.n);
		fields_add(f, 2, "subject", "%s", x.subject);
		fields_add(f, 2, "issuer", "%s", x.issuer);
		fields_add(f, 2, "not_before", "%s", x.not_before);
		fields_add(f, 2, "not_after", "%s", x.not_after);
		fields_add(f, 2, "subject_alt_names", "%s", x.san[0] ? x.san : "none");
		fields_add(f, 2, "public_key", "%s", x.public_key);
		fields_add(f, 2, "signature_algorithm", "%s", x.signature_algorithm);
		fields_add(f, 2, "serial_number", "%s", x.serial);
		fields_add(f, 2, "length", "%zu bytes", der.n);
		rd_mark(f, &list, lenp, 3);
		if (tls13) {
			fields_add(f, 2, "extensions", "%zu bytes%s", ext.n, ext.n ? "" : " (none)");
			rd_mark(f, &list, ext.p - 2, ext.n + 2);
		}
		if (i == 0) {
			snprintf(first, sizeof first, "%s", shown);
			if (x.issuer_cn[0])
				snprintf(issuer, sizeof issuer, "CN=%s", x.issuer_cn);
			else
				snprintf(issuer, sizeof issuer, "%s", x.issuer);
			self_signed = strcmp(x.subject, x.issuer) == 0;
		}
	}
	char more[40] = "";
	if (count > 1)
		snprintf(more, sizeof more, " (+%zu more)", count - 1);
	if (self_signed)
		say(summary, cap, "%s: %s, self-signed%s", M, first, more);
	else
		say(summary, cap, "%s: %s, issued by %s%s", M, first, issuer, more);
	return 0;
}

/* The signature that ends a ServerKeyExchange or makes a CertificateVerify: TLS 1.2 puts
 * a 2-byte SignatureAndHashAlgorithm first (RFC 5246 4.7), TLS 1.0/1.1 do not. */
static int read_signature(struct rd *r, int tls12, struct fields *f, char *desc, size_t dcap)
{
	unsigned alg = 0;
	struct rd sig;
	char b[48];
	const uint8_t *at = r->p;
	if (tls12 && rd_u16(r, &alg))
		return -1;
	const uint8_t *sat = r->p;
	if (rd_vec(r, 2, &sig) || r->n || sig.n == 0)
		return -1;
	if (tls12) {
		const char *an = decode_sigalg_text(alg, b, sizeof b);
		fields_add(f, 0, "signature_algorithm", "%s", an);
		rd_mark(f, r, at, 2);
		snprintf(desc, dcap, "%s", an);
	} else {
		fields_add(f, 0, "signature_algorithm", "implied by the certificate (TLS 1.0/1.1)");
		snprintf(desc, dcap, "%zu-byte signature", sig.n);
	}
	fields_add(f, 0, "signature_length", "%zu", sig.n);
	rd_mark_since(f, r, sat); /* the length and the signature it counts */
	return 0;
}

/* One layout attempt of a ServerKeyExchange into tmp; 0 when it consumed the body exactly. */
static int ske_try(struct rd r, int tls12, struct fields *tmp, char *summary, size_t cap)
{
	const char *M = "ServerKeyExchange";
	unsigned ctype, curve;
	char desc[64], hb[140], gb[40];
	struct rd a, b, c;
	if (rd_left(&r) == 0)
		return -1;
	const uint8_t *at = r.p;
	if (r.p[0] == 3) { /* ECParameters: named_curve (RFC 8422 5.4) */
		rd_u8(&r, &ctype);
		if (rd_u16(&r, &curve) || rd_vec(&r, 1, &a) || a.n == 0)
			return -1;
		const char *cn = decode_group_text(curve, gb, sizeof gb);
		fields_add(tmp, 0, "key_exchange", "ECDHE");
		rd_mark_since(tmp, &r, at); /* the ServerECDHParams */
		fields_add(tmp, 0, "curve_type", "named_curve");
		rd_mark(tmp, &r, at, 1);
		fields_add(tmp, 0, "curve", "%s", cn);
		rd_mark(tmp, &r, at + 1, 2);
		fields_add(tmp, 0, "public_key_length", "%zu", a.n);
		rd_mark(tmp, &r, at + 3, 1);
		fields_add(tmp, 0, "public_key", "%s", hexstr(hb, sizeof hb, a.p, a.n));
		rd_mark(tmp, &r, a.p, a.n);
		if (rd_left(&r) == 0) {
			fields_add(tmp, 0, "signature_algorithm", "none (anonymous)");
			say(summary, cap, "%s: ECDHE %s, unsigned (anonymous)", M, cn);
			return 0;
		}
		if (read_signature(&r, tls12, tmp, desc, sizeof desc))
			return -1;
		say(summary, cap, "%s: ECDHE %s, signed (%s)", M, cn, desc);
		return 0;
	}
	if (r.p[0] == 1 || r.p[0] == 2) { /* explicit curves: deprecated, shown by size */
		fields_add(tmp, 0, "key_exchange", "ECDHE");
		fields_add(tmp, 0, "curve_type", "%s", r.p[0] == 1 ? "explicit_prime" : "explicit_char2");
		rd_mark(tmp, &r, r.p, 1);
		fields_add(tmp, 0, "params_length", "%zu", r.n);
		rd_mark(tmp, &r, r.p, r.n);
		say(summary, cap, "%s: ECDHE with explicit curve parameters, %zu bytes", M, r.n);
		return 0;
	}
	/* ServerDHParams: dh_p, dh_g, dh_Ys */
	if (rd_vec(&r, 2, &a) || rd_vec(&r, 2, &b) || rd_vec(&r, 2, &c) || !a.n || !b.n || !c.n)
		return -1;
	fields_add(tmp, 0, "key_exchange", "DHE");
	rd_mark_since(tmp, &r, at); /* the ServerDHParams */
	fields_add(tmp, 0, "dh_prime_bits", "%zu", a.n * 8);
	rd_mark(tmp, &r, a.p, a.n);
	fields_add(tmp, 0, "public_key_length", "%zu", c.n);
	rd_mark(tmp, &r, c.p, c.n); /* no field of its own: the length points at the key */
	if (read_signature(&r, tls12, tmp, desc, sizeof desc))
		return -1;
	say(summary, cap, "%s: DHE %zu-bit group, signed (%s)", M, a.n * 8, desc);
	return 0;
}

/* Messages whose layout depends on the version: try the hinted layout, then the other
 * one, and say which was used when it was not the hinted one. */
typedef int (*layout_fn)(struct rd r, int tls12, struct fields *tmp, char *summary, size_t cap);

static int by_layout(layout_fn fn, const char *M, struct rd *r, unsigned version, struct fields *f,
		     char *summary, size_t cap)
{
	int prefer12 = version == 0 || version >= 0x0303;
	for (int attempt = 0; attempt < 2; attempt++) {
		int tls12 = attempt == 0 ? prefer12 : !prefer12;
		struct fields tmp;
		fields_init(&tmp);
		if (fn(*r, tls12, &tmp, summary, cap) == 0) {
			if (attempt == 1)
				fields_add(&tmp, 0, "layout", "%s", tls12 ? "TLS 1.2" : "TLS 1.0/1.1");
			fields_move(f, &tmp, 0);
			return 0;
		}
		fields_free(&tmp);
	}
	return fail(f, summary, cap, M, "malformed or truncated (%zu bytes fit no known layout)", r->n);
}

static int cv_try(struct rd r, int tls12, struct fields *tmp, char *summary, size_t cap)
{
	char desc[64];
	if (read_signature(&r, tls12, tmp, desc, sizeof desc))
		return -1;
	say(summary, cap, "CertificateVerify: signed (%s)", desc);
	return 0;
}

static int cr_try(struct rd r, int tls12, struct fields *tmp, char *summary, size_t cap)
{
	struct rd types, algs, cas, c;
	char val[512], b[48];
	struct sb s;
	unsigned v;
	const uint8_t *at_types = r.p;
	if (rd_vec(&r, 1, &types) || types.n == 0)
		return -1;
	const uint8_t *at_algs = r.p;
	if (tls12 && (rd_vec(&r, 2, &algs) || algs.n % 2))
		return -1;
	const uint8_t *at_cas = r.p;
	if (rd_vec(&r, 2, &cas) || r.n)
		return -1;
	size_t nca = 0;
	for (c = cas; c.n; nca++) {
		struct rd dn;
		if (rd_vec(&c, 2, &dn))
			return -1;
	}
	sb_init(&s, val, sizeof val);
	while (rd_u8(&types, &v) == 0) {
		static const struct code_name ct[] = {
			{1, "rsa_sign"}, {2, "dss_sign"}, {3, "rsa_fixed_dh"}, {4, "dss_fixed_dh"},
			{64, "ecdsa_sign"}, {65, "rsa_fixed_ecdh"}, {66, "ecdsa_fixed_ecdh"},
		};
		if (s.len)
			sb_puts(&s, ", ");
		sb_puts(&s, decode_orhex(LOOKUP(ct, v), v, 2, b, sizeof b));
	}
	fields_add(tmp, 0, "certificate_types", "%s", val);
	rd_mark(tmp, &r, at_types, (size_t)(at_algs - at_types));
	if (tls12) {
		sb_init(&s, val, sizeof val);
		list_u16(&s, &algs, decode_sigalg_text);
		fields_add(tmp, 0, "signature_algorithms", "%s", val);
		rd_mark(tmp, &r, at_algs, (size_t)(at_cas - at_algs));
	}
	fields_add(tmp, 0, "certificate_authorities", "%zu", nca);
	rd_mark_since(tmp, &r, at_cas);
	while (cas.n) {
		struct rd dn = { NULL, 0, NULL };
		if (rd_vec(&cas, 2, &dn))
			break; /* cannot happen: checked above */
		if (x509_text_name(dn.p, dn.n, val, sizeof val, NULL, 0))
			fields_add(tmp, 1, "authority", "malformed name (%zu bytes)", dn.n);
		else
			fields_add(tmp, 1, "authority", "%s", val);
		rd_mark(tmp, &cas, dn.p, dn.n);
	}
	say(summary, cap, "CertificateRequest: the server asks for a client certificate (%zu CA name%s)", nca,
	    nca == 1 ? "" : "s");
	return 0;
}

static int client_key_exchange(struct rd *r, struct fields *f, char *summary, size_t cap)
{
	const char *M = "ClientKeyExchange";
	char hb[140];
	/* ECDH: a 1-byte length equal to what follows (RFC 8422 5.7); RSA (TLS 1.0+): a 2-byte
	 * length equal to what follows (RFC 5246 7.4.7.1). Both cannot hold at once. */
	if (r->n >= 2 && r->p[0] == r->n - 1) {
		fields_add(f, 0, "key_exchange", "ECDHE");
		rd_mark(f, r, r->p, r->n);
		fields_add(f, 0, "public_key_length", "%zu", r->n - 1);
		rd_mark(f, r, r->p, 1);
		fields_add(f, 0, "public_key", "%s", hexstr(hb, sizeof hb, r->p + 1, r->n - 1));
		rd_mark(f, r, r->p + 1, r->n - 1);
		say(summary, cap, "%s: ECDHE public key, %zu bytes", M, r->n - 1);
		return 0;
	}
	if (r->n >= 3 && (size_t)(r->p[0] << 8 | r->p[1]) == r->n - 2) {
		fields_add(f, 0, "key_exchange", "RSA");
		rd_mark(f, r, r->p, r->n);
		fields_add(f, 0, "encrypted_premaster_length", "%zu", r->n - 2);
		rd_mark(f, r, r->p, r->n); /* the length and what it counts */
		say(summary, cap, "%s: RSA-encrypted premaster secret, %zu bytes", M, r->n - 2);
		return 0;
	}
	return fail(f, summary, cap, M, "%zu bytes with no matching length prefix", r->n);
}

static int encrypted_extensions(struct rd *r, struct fields *f, char *summary, size_t cap)
{
	const char *M = "EncryptedExtensions";
	char err[96];
	struct hello_info hi = { "" };
	if (hello_extensions(r, f, 1, &hi, err, sizeof err))
		return fail(f, summary, cap, M, "%s", err);
	const char *n = fields_get(f, "extensions");
	say(summary, cap, "%s: %s", M, n ? n : "none");
	return 0;
}

static int new_session_ticket(struct rd *r, int tls13, struct fields *f, char *summary, size_t cap)
{
	const char *M = "NewSessionTicket";
	unsigned lifetime, age_add = 0;
	struct rd nonce = { NULL, 0, NULL }, ticket, exts;
	char hb[80];
	if (rd_uint(r, 4, &lifetime))
		return fail(f, summary, cap, M, "truncated at ticket_lifetime");
	fields_add(f, 0, "ticket_lifetime", "%u seconds", lifetime);
	rd_mark(f, r, r->p - 4, 4);
	if (tls13) {
		if (rd_uint(r, 4, &age_add))
			return fail(f, summary, cap, M, "truncated at ticket_age_add");
		fields_add(f, 0, "ticket_age_add", "0x%08x (hides the ticket's age from observers)", age_add);
		rd_mark(f, r, r->p - 4, 4);
		if (rd_vec(r, 1, &nonce))
			return fail(f, summary, cap, M, "truncated at ticket_nonce");
		fields_add(f, 0, "ticket_nonce", "%s", nonce.n ? hexstr(hb, sizeof hb, nonce.p, nonce.n) : "(empty)");
		rd_mark(f, r, nonce.p - 1, nonce.n + 1);
	}
	if (rd_vec(r, 2, &ticket))
		return fail(f, summary, cap, M, "truncated at ticket");
	fields_add(f, 0, "ticket", "%zu bytes (opaque to the client)", ticket.n);
	rd_mark(f, r, ticket.p - 2, ticket.n + 2);
	if (tls13) {
		if (rd_vec(r, 2, &exts) || r->n)
			return fail(f, summary, cap, M, "malformed extensions");
		fields_add(f, 0, "extensions", "%zu bytes", exts.n);
		rd_mark(f, r, exts.p - 2, exts.n + 2);
	}
	say(summary, cap, "%s: a %zu-byte ticket for resuming, valid %u s", M, ticket.n, lifetime);
	return 0;
}

int decode_handshake_v(const uint8_t *msg, size_t n, unsigned version, struct fields *f, char *summary,
		       size_t cap)
{
	if (n < 4)
		return fail(f, summary, cap, "Handshake", "truncated header (%zu of 4 bytes)", n);
	unsigned type = msg[0];
	size_t len = (size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3];
	const char *M = decode_handshake_type_name(type);
	char tb[32];
	if (strcmp(M, "unknown") == 0) {
		snprintf(tb, sizeof tb, "Handshake type %u", type);
		M = tb;
	}
	fields_add(f, 0, "handshake_type", "%s", M);
	fields_last_range(f, 0, 1);
	fields_add(f, 0, "length", "%zu", len);
	fields_last_range(f, 1, 3);
	if (len > n - 4)
		return fail(f, summary, cap, M, "truncated (%zu of %zu bytes)", n - 4, len);
	if (len < n - 4)
		return fail(f, summary, cap, M, "%zu bytes after the message", n - 4 - len);
	struct rd r = { msg + 4, len, msg };
	char hb[140];
	switch (type) {
	case TLS_HS_CLIENT_HELLO:
		return client_hello(&r, f, summary, cap);
	case TLS_HS_SERVER_HELLO:
		return server_hello(&r, f, summary, cap);
	case TLS_HS_CERTIFICATE:
		return certificate(&r, version >= 0x0304, f, summary, cap);
	case 8: /* EncryptedExtensions, RFC 8446 4.3.1 */
		return encrypted_extensions(&r, f, summary, cap);
	case 4: /* NewSessionTicket */
		return new_session_ticket(&r, version >= 0x0304, f, summary, cap);
	case 24: /* KeyUpdate, RFC 8446 4.6.3 */
		if (len != 1 || r.p[0] > 1)
			return fail(f, summary, cap, M, "not a one-byte request_update of 0 or 1");
		fields_add(f, 0, "request_update", "%s",
			   r.p[0] ? "update_requested: the peer must update its sending keys too"
				  : "update_not_requested");
		rd_mark(f, &r, r.p, 1);
		say(summary, cap, "%s: new sending keys from here on%s", M, r.p[0] ? ", and the peer is asked to follow" : "");
		return 0;
	case TLS_HS_SERVER_KEY_EXCHANGE:
		return by_layout(ske_try, M, &r, version, f, summary, cap);
	case TLS_HS_CERTIFICATE_VERIFY:
		return by_layout(cv_try, M, &r, version, f, summary, cap);
	case TLS_HS_CERTIFICATE_REQUEST:
		return by_layout(cr_try, M, &r, version, f, summary, cap);
	case TLS_HS_CLIENT_KEY_EXCHANGE:
		return client_key_exchange(&r, f, summary, cap);
	case TLS_HS_HELLO_REQUEST:
	case TLS_HS_SERVER_HELLO_DONE:
		if (len)
			return fail(f, summary, cap, M, "should be empty, has %zu bytes", len);
		say(summary, cap, "%s", M);
		return 0;
	case TLS_HS_FINISHED:
		if (len == 0)
			return fail(f, summary, cap, M, "empty verify_data");
		fields_add(f, 0, "verify_data", "%s", hexstr(hb, sizeof hb, r.p, len));
		rd_mark(f, &r, r.p, len);
		say(summary, cap, "%s: verify_data %s", M, hexstr(hb, 32, r.p, len));
		return 0;
	default:
		say(summary, cap, "%s: %zu bytes", M, len);
		return 0;
	}
}

unsigned decode_server_hello_version(const uint8_t *m, size_t n, unsigned *suite, int *hrr)
{
	size_t p = 4 + 2 + 32;
	*suite = 0;
	*hrr = 0;
	if (n < p + 1 || m[0] != TLS_HS_SERVER_HELLO || n < p + 1 + m[p] + 3)
		return 0;
	unsigned version = (unsigned)m[4] << 8 | m[5];
	*hrr = !memcmp(m + 6, hrr_random, 32);
	p += 1 + m[p];
	*suite = (unsigned)m[p] << 8 | m[p + 1];
	p += 3;
	if (p + 2 > n)
		return version;
	size_t end = p + 2 + ((size_t)m[p] << 8 | m[p + 1]);
	if (end > n)
		return version;
	for (p += 2; p + 4 <= end;) {
		unsigned type = (unsigned)m[p] << 8 | m[p + 1];
		size_t len = (size_t)m[p + 2] << 8 | m[p + 3];
		if (p + 4 + len > end)
			break;
		if (type == 43 && len == 2)
			return (unsigned)m[p + 4] << 8 | m[p + 5];
		p += 4 + len;
	}
	return version;
}

int decode_handshake(const uint8_t *msg, size_t n, struct fields *f, char *summary, size_t cap)
{
	return decode_handshake_v(msg, n, 0x0303, f, summary, cap);
}

