/* decode: see decode.h. All parsing goes through a bounded reader (struct rd) so no
 * length on the wire is ever trusted; every failure names what was being read. */
#include "decode.h"

#include "sb.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "smtp_parse.h"
#include "x509_text.h"

/* ---- small helpers ------------------------------------------------------------------ */

static void say(char *summary, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *summary, size_t cap, const char *fmt, ...)
{
	if (!summary || cap == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(summary, cap, fmt, ap);
	va_end(ap);
}

/* Records the error as a field and as the summary ("ClientHello: truncated at ...");
 * returns -1 so callers can `return fail(...)`. */
static int fail(struct fields *f, char *summary, size_t cap, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int fail(struct fields *f, char *summary, size_t cap, const char *what, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fields_add(f, 0, "error", "%s", msg);
	say(summary, cap, "%s: %s", what, msg);
	return -1;
}

static const char *hexstr(char *buf, size_t cap, const uint8_t *p, size_t n)
{
	struct sb s;
	sb_init(&s, buf, cap);
	sb_hex(&s, p, n, 0);
	return buf;
}

static const char *textstr(char *buf, size_t cap, const void *p, size_t n)
{
	struct sb s;
	sb_init(&s, buf, cap);
	sb_text(&s, p, n);
	return buf;
}

/* Bounded reader over wire bytes. */
struct rd {
	const uint8_t *p;
	size_t n;
};

static size_t rd_left(const struct rd *r)
{
	return r->n;
}

static int rd_bytes(struct rd *r, size_t len, const uint8_t **out)
{
	if (len > r->n)
		return -1;
	*out = r->p;
	r->p += len;
	r->n -= len;
	return 0;
}

static int rd_uint(struct rd *r, size_t len, unsigned *v)
{
	const uint8_t *b;
	if (rd_bytes(r, len, &b))
		return -1;
	*v = 0;
	for (size_t i = 0; i < len; i++)
		*v = *v << 8 | b[i];
	return 0;
}

static int rd_u8(struct rd *r, unsigned *v) { return rd_uint(r, 1, v); }
static int rd_u16(struct rd *r, unsigned *v) { return rd_uint(r, 2, v); }

/* A vector with a lenbytes-byte length prefix, as a sub-reader. */
static int rd_vec(struct rd *r, size_t lenbytes, struct rd *sub)
{
	unsigned len;
	if (rd_uint(r, lenbytes, &len) || rd_bytes(r, len, &sub->p))
		return -1;
	sub->n = len;
	return 0;
}

/* ---- names -------------------------------------------------------------------------- */

struct code_name {
	unsigned code;
	const char *name;
};

static const char *lookup(const struct code_name *t, size_t n, unsigned code)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}
#define LOOKUP(table, code) lookup(table, sizeof table / sizeof *table, code)

/* Name, or "unknown (0x1a2b)" written into buf. */
static const char *orhex(const char *name, unsigned code, int digits, char *buf, size_t cap)
{
	if (name)
		return name;
	snprintf(buf, cap, "unknown (0x%0*x)", digits, code);
	return buf;
}

static int is_grease(unsigned v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

const char *decode_tls_content_type_name(unsigned type)
{
	switch (type) {
	case TLS_CT_CHANGE_CIPHER_SPEC: return "change_cipher_spec";
	case TLS_CT_ALERT: return "alert";
	case TLS_CT_HANDSHAKE: return "handshake";
	case TLS_CT_APPLICATION_DATA: return "application_data";
	case 24: return "heartbeat";
	default: return "unknown";
	}
}

const char *decode_tls_version_name(unsigned version)
{
	switch (version) {
	case 0x0200: return "SSL 2.0";
	case 0x0300: return "SSL 3.0";
	case 0x0301: return "TLS 1.0";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	default: return "unknown";
	}
}

static const char *version_text(unsigned v, char *buf, size_t cap)
{
	const char *n = decode_tls_version_name(v);
	if (strcmp(n, "unknown") == 0)
		return orhex(NULL, v, 4, buf, cap);
	return n;
}

const char *decode_handshake_type_name(unsigned type)
{
	switch (type) {
	case TLS_HS_HELLO_REQUEST: return "HelloRequest";
	case TLS_HS_CLIENT_HELLO: return "ClientHello";
	case TLS_HS_SERVER_HELLO: return "ServerHello";
	case 3: return "HelloVerifyRequest";
	case 4: return "NewSessionTicket";
	case 5: return "EndOfEarlyData";
	case 8: return "EncryptedExtensions";
	case TLS_HS_CERTIFICATE: return "Certificate";
	case TLS_HS_SERVER_KEY_EXCHANGE: return "ServerKeyExchange";
	case TLS_HS_CERTIFICATE_REQUEST: return "CertificateRequest";
	case TLS_HS_SERVER_HELLO_DONE: return "ServerHelloDone";
	case TLS_HS_CERTIFICATE_VERIFY: return "CertificateVerify";
	case TLS_HS_CLIENT_KEY_EXCHANGE: return "ClientKeyExchange";
	case TLS_HS_FINISHED: return "Finished";
	case 21: return "CertificateURL";
	case 22: return "CertificateStatus";
	case 23: return "SupplementalData";
	case 24: return "KeyUpdate";
	case 254: return "MessageHash";
	default: return "unknown";
	}
}

/* Every suite BearSSL 0.6 knows (generated from bearssl_ssl.h), the two signalling
 * values, and the TLS 1.3 suites a modern client may offer. */
static const struct code_name suites[] = {
	{0x0000, "TLS_NULL_WITH_NULL_NULL"},
	{0x0001, "TLS_RSA_WITH_NULL_MD5"},
	{0x0002, "TLS_RSA_WITH_NULL_SHA"},
	{0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
	{0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
	{0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x000D, "TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA"},
	{0x0010, "TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"},
	{0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"},
	{0x001B, "TLS_DH_anon_WITH_3DES_EDE_CBC_SHA"},
	{0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA"},
	{0x0030, "TLS_DH_DSS_WITH_AES_128_CBC_SHA"},
	{0x0031, "TLS_DH_RSA_WITH_AES_128_CBC_SHA"},
	{0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"},
	{0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
	{0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"},
	{0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
	{0x0036, "TLS_DH_DSS_WITH_AES_256_CBC_SHA"},
	{0x0037, "TLS_DH_RSA_WITH_AES_256_CBC_SHA"},
	{0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"},
	{0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
	{0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA"},
	{0x003B, "TLS_RSA_WITH_NULL_SHA256"},
	{0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
	{0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
	{0x003E, "TLS_DH_DSS_WITH_AES_128_CBC_SHA256"},
	{0x003F, "TLS_DH_RSA_WITH_AES_128_CBC_SHA256"},
	{0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"},
	{0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0x0068, "TLS_DH_DSS_WITH_AES_256_CBC_SHA256"},
	{0x0069, "TLS_DH_RSA_WITH_AES_256_CBC_SHA256"},
	{0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"},
	{0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
	{0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"},
	{0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"},
	{0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
	{0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
	{0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0x00A0, "TLS_DH_RSA_WITH_AES_128_GCM_SHA256"},
	{0x00A1, "TLS_DH_RSA_WITH_AES_256_GCM_SHA384"},
	{0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"},
	{0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"},
	{0x00A4, "TLS_DH_DSS_WITH_AES_128_GCM_SHA256"},
	{0x00A5, "TLS_DH_DSS_WITH_AES_256_GCM_SHA384"},
	{0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"},
	{0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"},
	{0x5600, "TLS_FALLBACK_SCSV"},
	{0xC001, "TLS_ECDH_ECDSA_WITH_NULL_SHA"},
	{0xC002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA"},
	{0xC003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA"},
	{0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA"},
	{0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"},
	{0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
	{0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"},
	{0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
	{0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xC00B, "TLS_ECDH_RSA_WITH_NULL_SHA"},
	{0xC00C, "TLS_ECDH_RSA_WITH_RC4_128_SHA"},
	{0xC00D, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA"},
	{0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA"},
	{0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA"},
	{0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
	{0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
	{0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
	{0xC015, "TLS_ECDH_anon_WITH_NULL_SHA"},
	{0xC016, "TLS_ECDH_anon_WITH_RC4_128_SHA"},
	{0xC017, "TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA"},
	{0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"},
	{0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"},
	{0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
	{0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256"},
	{0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
	{0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256"},
	{0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384"},
	{0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
	{0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256"},
	{0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"},
	{0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384"},
	{0xC09C, "TLS_RSA_WITH_AES_128_CCM"},
	{0xC09D, "TLS_RSA_WITH_AES_256_CCM"},
	{0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8"},
	{0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8"},
	{0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
	{0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
	{0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"},
	{0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"},
	{0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCAC, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCAD, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0xCCAE, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256"},
	{0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
	{0x1301, "TLS_AES_128_GCM_SHA256"},
	{0x1302, "TLS_AES_256_GCM_SHA384"},
	{0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
	{0x1304, "TLS_AES_128_CCM_SHA256"},
	{0x1305, "TLS_AES_128_CCM_8_SHA256"},
	{0x0009, "TLS_RSA_WITH_DES_CBC_SHA"},
	{0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA"},
	{0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA"},
	{0xC0A4, "TLS_PSK_WITH_AES_128_CCM"},
	{0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM"},
	{0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM"},
};

const char *decode_cipher_suite_name(unsigned suite)
{
	return LOOKUP(suites, suite);
}

static const struct code_name extensions[] = {
	{0, "server_name"},
	{1, "max_fragment_length"},
	{2, "client_certificate_url"},
	{3, "trusted_ca_keys"},
	{4, "truncated_hmac"},
	{5, "status_request"},
	{6, "user_mapping"},
	{7, "client_authz"},
	{8, "server_authz"},
	{9, "cert_type"},
	{10, "supported_groups"},
	{11, "ec_point_formats"},
	{12, "srp"},
	{13, "signature_algorithms"},
	{14, "use_srtp"},
	{15, "heartbeat"},
	{16, "application_layer_protocol_negotiation"},
	{17, "status_request_v2"},
	{18, "signed_certificate_timestamp"},
	{19, "client_certificate_type"},
	{20, "server_certificate_type"},
	{21, "padding"},
	{22, "encrypt_then_mac"},
	{23, "extended_master_secret"},
	{24, "token_binding"},
	{25, "cached_info"},
	{27, "compress_certificate"},
	{28, "record_size_limit"},
	{35, "session_ticket"},
	{41, "pre_shared_key"},
	{42, "early_data"},
	{43, "supported_versions"},
	{44, "cookie"},
	{45, "psk_key_exchange_modes"},
	{47, "certificate_authorities"},
	{48, "oid_filters"},
	{49, "post_handshake_auth"},
	{50, "signature_algorithms_cert"},
	{51, "key_share"},
	{13172, "next_protocol_negotiation"},
	{0xff01, "renegotiation_info"},
};

const char *decode_extension_name(unsigned type)
{
	if (is_grease(type))
		return "grease";
	return LOOKUP(extensions, type);
}

static const struct code_name groups[] = {
	{1, "sect163k1"}, {2, "sect163r1"}, {3, "sect163r2"}, {4, "sect193r1"},
	{5, "sect193r2"}, {6, "sect233k1"}, {7, "sect233r1"}, {8, "sect239k1"},
	{9, "sect283k1"}, {10, "sect283r1"}, {11, "sect409k1"}, {12, "sect409r1"},
	{13, "sect571k1"}, {14, "sect571r1"}, {15, "secp160k1"}, {16, "secp160r1"},
	{17, "secp160r2"}, {18, "secp192k1"}, {19, "secp192r1"}, {20, "secp224k1"},
	{21, "secp224r1"}, {22, "secp256k1"}, {23, "secp256r1"}, {24, "secp384r1"},
	{25, "secp521r1"}, {26, "brainpoolP256r1"}, {27, "brainpoolP384r1"},
	{28, "brainpoolP512r1"}, {29, "x25519"}, {30, "x448"},
	{31, "brainpoolP256r1tls13"}, {32, "brainpoolP384r1tls13"}, {33, "brainpoolP512r1tls13"},
	{256, "ffdhe2048"}, {257, "ffdhe3072"}, {258, "ffdhe4096"}, {259, "ffdhe6144"},
	{260, "ffdhe8192"}, {0xff01, "arbitrary_explicit_prime_curves"},
	{0xff02, "arbitrary_explicit_char2_curves"},
};

const char *decode_group_name(unsigned group)
{
	const char *n = is_grease(group) ? "grease" : LOOKUP(groups, group);
	return n ? n : "unknown";
}

/* TLS 1.3 SignatureScheme names; they coincide with the TLS 1.2 (hash, signature) pairs
 * for sha1/sha256/sha384/sha512, and the other TLS 1.2 pairs get descriptive names. */
static const struct code_name sigalgs[] = {
	{0x0101, "rsa_md5"}, {0x0102, "dsa_md5"}, {0x0103, "ecdsa_md5"},
	{0x0201, "rsa_pkcs1_sha1"}, {0x0202, "dsa_sha1"}, {0x0203, "ecdsa_sha1"},
	{0x0301, "rsa_sha224"}, {0x0302, "dsa_sha224"}, {0x0303, "ecdsa_sha224"},
	{0x0401, "rsa_pkcs1_sha256"}, {0x0402, "dsa_sha256"}, {0x0403, "ecdsa_secp256r1_sha256"},
	{0x0501, "rsa_pkcs1_sha384"}, {0x0502, "dsa_sha384"}, {0x0503, "ecdsa_secp384r1_sha384"},
	{0x0601, "rsa_pkcs1_sha512"}, {0x0602, "dsa_sha512"}, {0x0603, "ecdsa_secp521r1_sha512"},
	{0x0804, "rsa_pss_rsae_sha256"}, {0x0805, "rsa_pss_rsae_sha384"},
	{0x0806, "rsa_pss_rsae_sha512"}, {0x0807, "ed25519"}, {0x0808, "ed448"},
	{0x0809, "rsa_pss_pss_sha256"}, {0x080a, "rsa_pss_pss_sha384"},
	{0x080b, "rsa_pss_pss_sha512"}, {0x081a, "ecdsa_brainpoolP256r1tls13_sha256"},
	{0x081b, "ecdsa_brainpoolP384r1tls13_sha384"}, {0x081c, "ecdsa_brainpoolP512r1tls13_sha512"},
};

const char *decode_sigalg_name(unsigned sigalg)
{
	const char *n = is_grease(sigalg) ? "grease" : LOOKUP(sigalgs, sigalg);
	return n ? n : "unknown";
}

static const struct code_name alerts[] = {
	{0, "close_notify"}, {10, "unexpected_message"}, {20, "bad_record_mac"},
	{21, "decryption_failed"}, {22, "record_overflow"}, {30, "decompression_failure"},
	{40, "handshake_failure"}, {41, "no_certificate"}, {42, "bad_certificate"},
	{43, "unsupported_certificate"}, {44, "certificate_revoked"}, {45, "certificate_expired"},
	{46, "certificate_unknown"}, {47, "illegal_parameter"}, {48, "unknown_ca"},
	{49, "access_denied"}, {50, "decode_error"}, {51, "decrypt_error"},
	{60, "export_restriction"}, {70, "protocol_version"}, {71, "insufficient_security"},
	{80, "internal_error"}, {86, "inappropriate_fallback"}, {90, "user_canceled"},
	{100, "no_renegotiation"}, {109, "missing_extension"}, {110, "unsupported_extension"},
	{111, "certificate_unobtainable"}, {112, "unrecognized_name"},
	{113, "bad_certificate_status_response"}, {114, "bad_certificate_hash_value"},
	{115, "unknown_psk_identity"}, {116, "certificate_required"},
	{120, "no_application_protocol"},
};

const char *decode_alert_description_name(unsigned desc)
{
	const char *n = LOOKUP(alerts, desc);
	return n ? n : "unknown";
}

/* Code-to-text helpers that never return NULL, for field values. */
static const char *suite_text(unsigned s, char *buf, size_t cap)
{
	return orhex(decode_cipher_suite_name(s), s, 4, buf, cap);
}
static const char *group_text(unsigned g, char *buf, size_t cap)
{
	return orhex(is_grease(g) ? "grease" : LOOKUP(groups, g), g, 4, buf, cap);
}
static const char *sigalg_text(unsigned a, char *buf, size_t cap)
{
	return orhex(is_grease(a) ? "grease" : LOOKUP(sigalgs, a), a, 4, buf, cap);
}

/* ---- TLS records and alerts --------------------------------------------------------- */

int decode_tls_record_header(const uint8_t *p, size_t n, struct tls_record_header *h)
{
	if (n < 5)
		return 1;
	/* An alert sent before any version was agreed (BearSSL's protocol_version answer)
	 * carries version 0x0000; every other record says 3.x. */
	int early_alert = p[0] == 21 && p[1] == 0 && p[2] == 0;
	if (p[0] < 20 || p[0] > 23 || (p[1] != 3 && !early_alert))
		return -1;
	h->type = p[0];
	h->version = (uint16_t)(p[1] << 8 | p[2]);
	h->length = (uint16_t)(p[3] << 8 | p[4]);
	return 0;
}

int decode_tls_record(const uint8_t *rec, size_t n, struct fields *f, char *summary, size_t cap)
{
	struct tls_record_header h;
	char vb[32];
	int r = decode_tls_record_header(rec, n, &h);
	if (r == 1)
		return fail(f, summary, cap, "TLS record", "truncated header (%zu of 5 bytes)", n);
	if (r < 0)
		return fail(f, summary, cap, "TLS record",
			    "not a TLS record (type %u, version 0x%02x%02x)", rec[0], rec[1], rec[2]);
	const char *ct = decode_tls_content_type_name(h.type);
	fields_add(f, 0, "content_type", "%s", ct);
	const char *vs = version_text(h.version, vb, sizeof vb);
	fields_add(f, 0, "version", "%s", vs);
	fields_add(f, 0, "length", "%u", h.length);
	/* RFC 5246 6.2.3: a ciphertext fragment is at most 2^14 + 2048 bytes */
	if (h.length > 16384 + 2048)
		return fail(f, summary, cap, "TLS record", "length %u exceeds 2^14+2048", h.length);
	if (n - 5 < h.length)
		return fail(f, summary, cap, "TLS record", "truncated (%zu of %u bytes)", n - 5, h.length);
	if (n - 5 > h.length)
		return fail(f, summary, cap, "TLS record", "%zu bytes after the record", n - 5 - h.length);
	say(summary, cap, "TLS record: %s, %s, %u bytes", ct, vs, h.length);
	return 0;
}

int decode_alert(const uint8_t *p, size_t n, struct fields *f, char *summary, size_t cap)
{
	if (n < 2)
		return fail(f, summary, cap, "Alert", "truncated (%zu of 2 bytes)", n);
	char lb[32], db[32];
	const char *level = p[0] == 1 ? "warning" : p[0] == 2 ? "fatal" : NULL;
	const char *desc = LOOKUP(alerts, p[1]);
	level = orhex(level, p[0], 2, lb, sizeof lb);
	desc = orhex(desc, p[1], 2, db, sizeof db);
	fields_add(f, 0, "level", "%s", level);
	fields_add(f, 0, "description", "%s", desc);
	if (n > 2)
		return fail(f, summary, cap, "Alert", "%zu bytes after the alert", n - 2);
	say(summary, cap, "Alert: %s %s", level, desc);
	return 0;
}

/* ---- handshake messages ------------------------------------------------------------- */

struct hello_info {
	char sni[256];
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
	if (is_grease(v))
		return "grease";
	return version_text(v, b, cap);
}

/* One extension of a ClientHello (server = 0) or ServerHello (server = 1) as a field at
 * depth 1, named by the extension. Returns -1 when its content is malformed. */
static int hello_extension(struct fields *f, int server, unsigned type, struct rd body,
			   struct hello_info *hi)
{
	char val[1024], nb[48];
	struct sb s;
	struct rd list;
	unsigned v;
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
		list_u16(&s, &list, group_text);
		break;
	case 11: /* ec_point_formats */
		if (rd_vec(&body, 1, &list) || body.n)
			return -1;
		while (rd_u8(&list, &v) == 0) {
			static const char *const pf[] = { "uncompressed", "ansiX962_compressed_prime",
							  "ansiX962_compressed_char2" };
			if (s.len)
				sb_puts(&s, ", ");
			sb_puts(&s, orhex(v < 3 ? pf[v] : NULL, v, 2, nb, sizeof nb));
		}
		break;
	case 13: /* signature_algorithms */
	case 50: /* signature_algorithms_cert */
		if (rd_vec(&body, 2, &list) || body.n || list.n % 2)
			return -1;
		list_u16(&s, &list, sigalg_text);
		break;
	case 16: /* ALPN, RFC 7301 */
		if (rd_vec(&body, 2, &list) || body.n)
			return -1;
		while (list.n) {
			struct rd proto;
			if (rd_vec(&list, 1, &proto))
				return -1;
			if (s.len)
				sb_puts(&s, ", ");
			sb_text(&s, proto.p, proto.n);
		}
		break;
	case 43: /* supported_versions */
		if (server) {
			if (rd_u16(&body, &v) || body.n)
				return -1;
			sb_puts(&s, version_text_any(v, nb, sizeof nb));
		} else {
			if (rd_vec(&body, 1, &list) || body.n || list.n % 2)
				return -1;
			list_u16(&s, &list, version_text_any);
		}
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
	while (exts.n) {
		unsigned t = 0;
		struct rd b = { NULL, 0 };
		if (rd_u16(&exts, &t) || rd_vec(&exts, 2, &b))
			break; /* cannot happen: checked above */
		if (hello_extension(f, server, t, b, hi)) {
			char nb[32];
			const char *name = decode_extension_name(t);
			snprintf(err, errcap, "malformed %s extension", orhex(name, t, 4, nb, sizeof nb));
			return -1;
		}
	}
	return 0;
}

static const char *compression_text(unsigned c, char *b, size_t cap)
{
	return orhex(c == 0 ? "null" : c == 1 ? "DEFLATE" : NULL, c, 2, b, cap);
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
	*vs = version_text(*ver, vb, vcap);
	fields_add(f, 0, "version", "%s", *vs);
	if (rd_bytes(r, 32, &rnd)) {
		*what = "truncated at random";
		return -1;
	}
	fields_add(f, 0, "random", "%s", hexstr(hb, sizeof hb, rnd, 32));
	if (rd_vec(r, 1, &sid)) {
		*what = "truncated at session_id";
		return -1;
	}
	if (sid.n > 32) {
		*what = "session_id longer than 32 bytes";
		return -1;
	}
	fields_add(f, 0, "session_id", "%s", sid.n ? hexstr(hb, sizeof hb, sid.p, sid.n) : "(empty)");
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
	if (rd_vec(r, 2, &list))
		return fail(f, summary, cap, M, "truncated at cipher suites");
	if (list.n == 0 || list.n % 2)
		return fail(f, summary, cap, M, "cipher suite list has %zu bytes, not a positive even number", list.n);
	size_t nsuites = list.n / 2;
	fields_add(f, 0, "cipher_suites", "%zu suite%s", nsuites, nsuites == 1 ? "" : "s");
	while (rd_u16(&list, &v) == 0)
		fields_add(f, 1, "suite", "%s", suite_text(v, b, sizeof b));
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
	if (hello_extensions(r, f, 0, &hi, err, sizeof err))
		return fail(f, summary, cap, M, "%s", err);
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
	if (hello_start(r, f, &ver, &vs, vb, sizeof vb, &what))
		return fail(f, summary, cap, M, "%s", what);
	if (rd_u16(r, &suite))
		return fail(f, summary, cap, M, "truncated at cipher suite");
	char sb_[48];
	const char *st = suite_text(suite, sb_, sizeof sb_);
	fields_add(f, 0, "cipher_suite", "%s", st);
	if (rd_u8(r, &comp))
		return fail(f, summary, cap, M, "truncated at compression method");
	fields_add(f, 0, "compression_method", "%s", compression_text(comp, b, sizeof b));
	if (hello_extensions(r, f, 1, &hi, err, sizeof err))
		return fail(f, summary, cap, M, "%s", err);
	say(summary, cap, "%s: %s, %s", M, vs, st);
	return 0;
}

static int certificate(struct rd *r, struct fields *f, char *summary, size_t cap)
{
	const char *M = "Certificate";
	struct rd list, c;
	if (rd_vec(r, 3, &list))
		return fail(f, summary, cap, M, "truncated at certificate list");
	if (r->n)
		return fail(f, summary, cap, M, "%zu bytes after the certificate list", r->n);
	size_t count = 0;
	for (c = list; c.n; count++) {
		struct rd der;
		if (rd_vec(&c, 3, &der))
			return fail(f, summary, cap, M, "truncated in certificate %zu", count + 1);
	}
	fields_add(f, 0, "certificates", "%zu certificate%s", count, count == 1 ? "" : "s");
	if (count == 0) {
		say(summary, cap, "%s: empty (no certificate)", M);
		return 0;
	}
	char first[300] = "", issuer[300] = "";
	int self_signed = 0;
	for (size_t i = 0; list.n; i++) {
		struct rd der = { NULL, 0 };
		struct x509_text x;
		const char *err;
		if (rd_vec(&list, 3, &der))
			break; /* cannot happen: checked above */
		if (x509_text_parse(der.p, der.n, &x, &err)) {
			fields_add(f, 1, "certificate", "malformed (%zu bytes)", der.n);
			return fail(f, summary, cap, M, "certificate %zu is not a valid X.509 certificate: %s",
				    i + 1, err);
		}
		char shown[300];
		if (x.subject_cn[0])
			snprintf(shown, sizeof shown, "CN=%s", x.subject_cn);
		else
			snprintf(shown, sizeof shown, "%s", x.subject);
		fields_add(f, 1, "certificate", "%s", shown);
		fields_add(f, 2, "subject", "%s", x.subject);
		fields_add(f, 2, "issuer", "%s", x.issuer);
		fields_add(f, 2, "not_before", "%s", x.not_before);
		fields_add(f, 2, "not_after", "%s", x.not_after);
		fields_add(f, 2, "subject_alt_names", "%s", x.san[0] ? x.san : "none");
		fields_add(f, 2, "public_key", "%s", x.public_key);
		fields_add(f, 2, "signature_algorithm", "%s", x.signature_algorithm);
		fields_add(f, 2, "serial_number", "%s", x.serial);
		fields_add(f, 2, "length", "%zu bytes", der.n);
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
	if (tls12 && rd_u16(r, &alg))
		return -1;
	if (rd_vec(r, 2, &sig) || r->n || sig.n == 0)
		return -1;
	if (tls12) {
		const char *an = sigalg_text(alg, b, sizeof b);
		fields_add(f, 0, "signature_algorithm", "%s", an);
		snprintf(desc, dcap, "%s", an);
	} else {
		fields_add(f, 0, "signature_algorithm", "implied by the certificate (TLS 1.0/1.1)");
		snprintf(desc, dcap, "%zu-byte signature", sig.n);
	}
	fields_add(f, 0, "signature_length", "%zu", sig.n);
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
	if (r.p[0] == 3) { /* ECParameters: named_curve (RFC 8422 5.4) */
		rd_u8(&r, &ctype);
		if (rd_u16(&r, &curve) || rd_vec(&r, 1, &a) || a.n == 0)
			return -1;
		const char *cn = group_text(curve, gb, sizeof gb);
		fields_add(tmp, 0, "key_exchange", "ECDHE");
		fields_add(tmp, 0, "curve_type", "named_curve");
		fields_add(tmp, 0, "curve", "%s", cn);
		fields_add(tmp, 0, "public_key_length", "%zu", a.n);
		fields_add(tmp, 0, "public_key", "%s", hexstr(hb, sizeof hb, a.p, a.n));
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
		fields_add(tmp, 0, "params_length", "%zu", r.n);
		say(summary, cap, "%s: ECDHE with explicit curve parameters, %zu bytes", M, r.n);
		return 0;
	}
	/* ServerDHParams: dh_p, dh_g, dh_Ys */
	if (rd_vec(&r, 2, &a) || rd_vec(&r, 2, &b) || rd_vec(&r, 2, &c) || !a.n || !b.n || !c.n)
		return -1;
	fields_add(tmp, 0, "key_exchange", "DHE");
	fields_add(tmp, 0, "dh_prime_bits", "%zu", a.n * 8);
	fields_add(tmp, 0, "public_key_length", "%zu", c.n);
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
	if (rd_vec(&r, 1, &types) || types.n == 0)
		return -1;
	if (tls12 && (rd_vec(&r, 2, &algs) || algs.n % 2))
		return -1;
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
		sb_puts(&s, orhex(LOOKUP(ct, v), v, 2, b, sizeof b));
	}
	fields_add(tmp, 0, "certificate_types", "%s", val);
	if (tls12) {
		sb_init(&s, val, sizeof val);
		list_u16(&s, &algs, sigalg_text);
		fields_add(tmp, 0, "signature_algorithms", "%s", val);
	}
	fields_add(tmp, 0, "certificate_authorities", "%zu", nca);
	while (cas.n) {
		struct rd dn = { NULL, 0 };
		if (rd_vec(&cas, 2, &dn))
			break; /* cannot happen: checked above */
		if (x509_text_name(dn.p, dn.n, val, sizeof val, NULL, 0))
			fields_add(tmp, 1, "authority", "malformed name (%zu bytes)", dn.n);
		else
			fields_add(tmp, 1, "authority", "%s", val);
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
		fields_add(f, 0, "public_key_length", "%zu", r->n - 1);
		fields_add(f, 0, "public_key", "%s", hexstr(hb, sizeof hb, r->p + 1, r->n - 1));
		say(summary, cap, "%s: ECDHE public key, %zu bytes", M, r->n - 1);
		return 0;
	}
	if (r->n >= 3 && (size_t)(r->p[0] << 8 | r->p[1]) == r->n - 2) {
		fields_add(f, 0, "key_exchange", "RSA");
		fields_add(f, 0, "encrypted_premaster_length", "%zu", r->n - 2);
		say(summary, cap, "%s: RSA-encrypted premaster secret, %zu bytes", M, r->n - 2);
		return 0;
	}
	return fail(f, summary, cap, M, "%zu bytes with no matching length prefix", r->n);
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
	fields_add(f, 0, "length", "%zu", len);
	if (len > n - 4)
		return fail(f, summary, cap, M, "truncated (%zu of %zu bytes)", n - 4, len);
	if (len < n - 4)
		return fail(f, summary, cap, M, "%zu bytes after the message", n - 4 - len);
	struct rd r = { msg + 4, len };
	char hb[140];
	switch (type) {
	case TLS_HS_CLIENT_HELLO:
		return client_hello(&r, f, summary, cap);
	case TLS_HS_SERVER_HELLO:
		return server_hello(&r, f, summary, cap);
	case TLS_HS_CERTIFICATE:
		return certificate(&r, f, summary, cap);
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
		say(summary, cap, "%s: verify_data %s", M, hexstr(hb, 32, r.p, len));
		return 0;
	default:
		say(summary, cap, "%s: %zu bytes", M, len);
		return 0;
	}
}

int decode_handshake(const uint8_t *msg, size_t n, struct fields *f, char *summary, size_t cap)
{
	return decode_handshake_v(msg, n, 0x0303, f, summary, cap);
}

/* ---- SMTP lines ------------------------------------------------------------------------ */

static size_t strip_eol(const char *line, size_t n)
{
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	return n;
}

static int ci_prefix(const char *s, size_t n, const char *pre)
{
	size_t k = strlen(pre);
	if (n < k)
		return 0;
	for (size_t i = 0; i < k; i++)
		if (tolower((unsigned char)s[i]) != tolower((unsigned char)pre[i]))
			return 0;
	return 1;
}

static int ci_eq(const char *a, const char *b)
{
	return strlen(a) == strlen(b) && ci_prefix(a, strlen(a), b);
}

#define B64_MAX 768

/* Decodes base64 text; -1 when invalid or too long. "=" alone is the empty response
 * (RFC 4954 4). */
static long b64(const char *t, size_t n, uint8_t *out)
{
	if (n == 1 && t[0] == '=')
		return 0;
	if (n / 4 * 3 > B64_MAX)
		return -1;
	return base64_decode(t, n, out, B64_MAX);
}

/* AUTH PLAIN message, RFC 4616: [authzid] NUL authcid NUL passwd. Adds the fields and
 * writes "user X, password Y" into desc. */
static int auth_plain(const char *t, size_t n, struct fields *f, char *desc, size_t dcap, const char **err)
{
	uint8_t buf[B64_MAX];
	char u[300], p[300], z[300];
	long len = b64(t, n, buf);
	if (len < 0) {
		*err = "AUTH PLAIN response is not valid base64";
		return -1;
	}
	const uint8_t *a = memchr(buf, 0, (size_t)len);
	const uint8_t *b = a ? memchr(a + 1, 0, (size_t)len - (size_t)(a + 1 - buf)) : NULL;
	if (!b) {
		*err = "AUTH PLAIN response is not authzid NUL user NUL password";
		return -1;
	}
	if (a > buf)
		fields_add(f, 0, "auth_authzid", "%s", textstr(z, sizeof z, buf, (size_t)(a - buf)));
	textstr(u, sizeof u, a + 1, (size_t)(b - a - 1));
	textstr(p, sizeof p, b + 1, (size_t)(buf + len - b - 1));
	fields_add(f, 0, "auth_user", "%s", u);
	fields_add(f, 0, "auth_password", "%s", p);
	snprintf(desc, dcap, "user %s, password %s", u, p);
	return 0;
}

static void set_mech(struct decode_smtp_ctx *ctx, const char *mech)
{
	if (ctx)
		snprintf(ctx->auth_mech, sizeof ctx->auth_mech, "%s", mech);
}

/* A client line sent while an AUTH exchange waits for it: base64, or "*" to cancel. */
static int auth_answer(struct decode_smtp_ctx *ctx, const char *line, size_t n, struct fields *f, char *summary,
		       size_t cap)
{
	const char *M = "AUTH response", *err;
	char tb[300], desc[640];
	uint8_t buf[B64_MAX];
	const char *mech = ctx->auth_mech[0] ? ctx->auth_mech : "unknown";
	fields_add(f, 0, "auth_mechanism", "%s", mech);
	fields_add(f, 0, "auth_response", "%s", textstr(tb, sizeof tb, line, n));
	if (n == 1 && line[0] == '*') {
		ctx->auth_pending = 0;
		fields_add(f, 0, "auth_cancelled", "yes");
		say(summary, cap, "AUTH cancelled by the client (*)");
		return 0;
	}
	if (ci_eq(mech, "PLAIN")) {
		ctx->auth_pending = 0;
		if (auth_plain(line, n, f, desc, sizeof desc, &err))
			return fail(f, summary, cap, M, "%s", err);
		say(summary, cap, "AUTH PLAIN (%s)", desc);
		return 0;
	}
	long len = b64(line, n, buf);
	if (len < 0) {
		ctx->auth_pending = 0;
		return fail(f, summary, cap, M, "not valid base64");
	}
	textstr(tb, sizeof tb, buf, (size_t)len);
	if (ci_eq(mech, "LOGIN")) {
		if (ctx->login_step == 0) {
			fields_add(f, 0, "auth_user", "%s", tb);
			ctx->login_step = 1; /* the password comes next, with or without a 334 seen */
			say(summary, cap, "AUTH LOGIN user name: %s", tb);
		} else {
			fields_add(f, 0, "auth_password", "%s", tb);
			ctx->login_step = 2;
			ctx->auth_pending = 0;
			say(summary, cap, "AUTH LOGIN password: %s", tb);
		}
		return 0;
	}
	ctx->auth_pending = 0;
	fields_add(f, 0, "auth_response_decoded", "%s", tb);
	say(summary, cap, "AUTH %s response: %s", mech, tb);
	return 0;
}

/* MAIL and RCPT: the path as smtp_parse reads it, so that a mailbox the server would
 * refuse with 501 never becomes a "mail_from" or "rcpt_to" field. */
static const char *envelope(const struct smtp_command *c, struct fields *f)
{
	char tb[600];
	struct smtp_path p;
	int mail = c->verb == SMTP_VERB_MAIL;
	if ((mail ? smtp_parse_mail_from : smtp_parse_rcpt_to)(c->arg, c->arg_len, &p))
		return p.error;
	fields_add(f, 0, mail ? "mail_from" : "rcpt_to", "%s", textstr(tb, sizeof tb, p.box, strlen(p.box)));
	if (p.params_len)
		fields_add(f, 0, "parameters", "%s", textstr(tb, sizeof tb, p.params, p.params_len));
	return NULL;
}

int decode_smtp_command(struct decode_smtp_ctx *ctx, const char *line, size_t n, struct fields *f,
			char *summary, size_t cap)
{
	const char *M = "SMTP command", *err;
	char tb[600], desc[640];
	n = line ? strip_eol(line, n) : 0;
	if (ctx && ctx->auth_pending)
		return auth_answer(ctx, line ? line : "", n, f, summary, cap);
	struct smtp_command sc;
	if (smtp_parse_command(line, n, &sc)) {
		if (n == 0)
			return fail(f, summary, cap, M, "%s", sc.error);
		return fail(f, summary, cap, M, "%s: \"%s\"", sc.error, textstr(tb, 80, line, n));
	}
	const char *verb = sc.verb_text;
	/* The argument as shown: without the spaces a sloppy client puts after the one
	 * that separates it from the verb (the paths below see them). */
	const char *arg = sc.arg;
	size_t alen = sc.arg_len;
	while (alen && *arg == ' ') {
		arg++;
		alen--;
	}
	fields_add(f, 0, "verb", "%s", verb);
	if (alen)
		fields_add(f, 0, "argument", "%s", textstr(tb, sizeof tb, arg, alen));
	textstr(desc, sizeof desc, line, n);

	if (sc.verb == SMTP_VERB_MAIL || sc.verb == SMTP_VERB_RCPT) {
		if ((err = envelope(&sc, f)))
			return fail(f, summary, cap, verb, "%s: \"%s\"", err, textstr(tb, 80, line, n));
	} else if (sc.verb == SMTP_VERB_EHLO || sc.verb == SMTP_VERB_HELO) {
		if (alen)
			fields_add(f, 0, "domain", "%s", textstr(tb, sizeof tb, arg, alen));
	} else if (sc.verb == SMTP_VERB_AUTH) {
		if (alen == 0)
			return fail(f, summary, cap, verb, "no mechanism");
		const char *sp = memchr(arg, ' ', alen);
		size_t mlen = sp ? (size_t)(sp - arg) : alen;
		char mech[16];
		textstr(mech, sizeof mech, arg, mlen);
		for (char *c = mech; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		fields_add(f, 0, "auth_mechanism", "%s", mech);
		const char *ir = sp ? sp + 1 : NULL;
		size_t irlen = sp ? alen - mlen - 1 : 0;
		set_mech(ctx, mech);
		if (!ir || irlen == 0) {
			if (ctx) {
				ctx->auth_pending = 1;
				ctx->login_step = 0;
			}
		} else if (strcmp(mech, "PLAIN") == 0) {
			if (ctx)
				ctx->auth_pending = 0;
			fields_add(f, 0, "auth_response", "%s", textstr(tb, sizeof tb, ir, irlen));
			if (auth_plain(ir, irlen, f, tb, sizeof tb, &err))
				return fail(f, summary, cap, "AUTH PLAIN", "%s", err);
			say(summary, cap, "AUTH PLAIN (%s)", tb);
			return 0;
		} else {
			uint8_t buf[B64_MAX];
			fields_add(f, 0, "auth_response", "%s", textstr(tb, sizeof tb, ir, irlen));
			long len = b64(ir, irlen, buf);
			if (len < 0)
				return fail(f, summary, cap, "AUTH", "initial response is not valid base64");
			textstr(tb, sizeof tb, buf, (size_t)len);
			if (strcmp(mech, "LOGIN") == 0) {
				/* RFC 4954 allows the user name as initial response; the password follows */
				fields_add(f, 0, "auth_user", "%s", tb);
				if (ctx) {
					ctx->auth_pending = 1;
					ctx->login_step = 1;
				}
				say(summary, cap, "AUTH LOGIN (user %s)", tb);
			} else {
				fields_add(f, 0, "auth_response_decoded", "%s", tb);
				say(summary, cap, "AUTH %s (%s)", mech, tb);
			}
			return 0;
		}
	}
	say(summary, cap, "%s", desc);
	return 0;
}

static const char *reply_class(int digit)
{
	switch (digit) {
	case 2: return "positive completion";
	case 3: return "positive intermediate";
	case 4: return "transient negative completion";
	default: return "permanent negative completion";
	}
}

static const char *reply_meaning(int code)
{
	static const struct code_name m[] = {
		{211, "system status"}, {214, "help message"}, {220, "service ready"},
		{221, "closing the connection"}, {235, "authentication succeeded"},
		{250, "requested action completed"}, {251, "user not local, will forward"},
		{252, "cannot verify user, will attempt delivery"},
		{334, "authentication challenge"}, {354, "start mail input, end with <CRLF>.<CRLF>"},
		{421, "service not available, closing"}, {450, "mailbox unavailable (try again)"},
		{451, "local error in processing"}, {452, "insufficient storage"},
		{454, "TLS not available / temporary authentication failure"},
		{500, "syntax error, command unrecognised"}, {501, "syntax error in parameters"},
		{502, "command not implemented"}, {503, "bad sequence of commands"},
		{504, "parameter not implemented"}, {530, "authentication or STARTTLS required"},
		{534, "authentication mechanism too weak"}, {535, "authentication credentials invalid"},
		{538, "encryption required for this mechanism"}, {550, "mailbox unavailable"},
		{551, "user not local"}, {552, "exceeded storage allocation"},
		{553, "mailbox name not allowed"}, {554, "transaction failed"},
	};
	return LOOKUP(m, (unsigned)code);
}

/* RFC 3463 enhanced status code at the start of the text: class.subject.detail. */
static size_t enhanced_status(const char *t, size_t n)
{
	size_t i = 0;
	if (n < 5 || (t[0] != '2' && t[0] != '4' && t[0] != '5') || t[1] != '.')
		return 0;
	i = 2;
	for (int part = 0; part < 2; part++) {
		size_t d = 0;
		while (i < n && t[i] >= '0' && t[i] <= '9' && d < 4) {
			i++;
			d++;
		}
		if (d == 0 || d > 3)
			return 0;
		if (part == 0) {
			if (i >= n || t[i] != '.')
				return 0;
			i++;
		}
	}
	return i == n || t[i] == ' ' ? i : 0;
}

int decode_smtp_reply(struct decode_smtp_ctx *ctx, const char *line, size_t n, struct fields *f,
		      char *summary, size_t cap)
{
	const char *M = "SMTP reply";
	char tb[600], db[600];
	n = line ? strip_eol(line, n) : 0;
	struct smtp_reply_line r;
	if (smtp_parse_reply_line(line, n, &r))
		return fail(f, summary, cap, M, "%s: \"%s\"", r.error, textstr(tb, 80, line ? line : "", n));
	int code = r.code;
	int cont = !r.last;
	const char *text = r.text;
	size_t tlen = r.text_len;
	fields_add(f, 0, "code", "%d", code);
	fields_add(f, 0, "class", "%s", reply_class(code / 100));
	const char *meaning = reply_meaning(code);
	if (meaning)
		fields_add(f, 0, "meaning", "%s", meaning);
	fields_add(f, 0, "continues", "%s", cont ? "yes" : "no");
	size_t es = enhanced_status(text, tlen);
	if (es)
		fields_add(f, 0, "enhanced_status", "%.*s", (int)es, text);
	fields_add(f, 0, "text", "%s", textstr(tb, sizeof tb, text, tlen));
	textstr(db, sizeof db, line, n);

	if (code == 334) {
		uint8_t buf[B64_MAX];
		size_t cl = tlen;
		while (cl && text[cl - 1] == ' ')
			cl--;
		long len = cl ? b64(text, cl, buf) : 0;
		if (len >= 0) {
			textstr(tb, sizeof tb, buf, (size_t)len);
			fields_add(f, 0, "challenge_decoded", "%s", tb);
			if (ctx) {
				ctx->auth_pending = 1;
				if (ci_prefix(tb, strlen(tb), "user"))
					ctx->login_step = 0;
				else if (ci_prefix(tb, strlen(tb), "pass"))
					ctx->login_step = 1;
			}
			if (cl)
				say(summary, cap, "%s (%s)", db, tb);
			else
				say(summary, cap, "334 (go ahead: send the credentials)");
			return 0;
		}
		if (ctx)
			ctx->auth_pending = 1;
	} else if (ctx && !cont) {
		ctx->auth_pending = 0;
	}
	say(summary, cap, "%s", db);
	return 0;
}

/* ---- the message body ------------------------------------------------------------------ */

enum { H_FROM, H_TO, H_SUBJECT, H_DATE };
static const char *const body_hname[DECODE_BODY_HEADERS] = { "From", "To", "Subject", "Date" };
static const char *const body_hkey[DECODE_BODY_HEADERS] = { "from", "to", "subject", "date" };

/* One body line (without its LF; a CR before it is dropped here). Counts it in *hl / *bl,
 * collects the headers into st. Returns 1 for the end-of-data line "." (only when
 * can_end: the line had its LF and is all there). */
static int body_line(struct decode_body_state *st, const char *l, size_t len, int can_end, size_t *hl, size_t *bl)
{
	if (len && l[len - 1] == '\r')
		len--;
	if (len == 1 && l[0] == '.' && can_end)
		return 1;
	if (len && l[0] == '.') { /* dot-stuffing (RFC 5321 4.5.2) */
		l++;
		len--;
	}
	if (st->past_headers) {
		(*bl)++;
		return 0;
	}
	if (len == 0) {
		st->past_headers = 1;
	} else if ((l[0] == ' ' || l[0] == '\t') && st->header_lines) {
		st->header_lines++;
		(*hl)++;
		if (st->cur > 0) {
			/* go on where the value ends (a cut value stays cut) */
			struct sb v = { st->hval[st->cur - 1], sizeof st->hval[0], strlen(st->hval[st->cur - 1]), 0 };
			v.cut = v.len + 1 >= v.cap;
			sb_text(&v, (const uint8_t *)l, len);
		}
	} else {
		const char *colon = memchr(l, ':', len);
		if (!colon) {
			st->past_headers = 1; /* no header block: all of it is body */
			(*bl)++;
		} else {
			st->header_lines++;
			(*hl)++;
			st->cur = 0;
			size_t nl_ = (size_t)(colon - l);
			for (int k = 0; k < DECODE_BODY_HEADERS; k++) {
				if (strlen(body_hname[k]) == nl_ && ci_prefix(l, nl_, body_hname[k]) && !st->hval[k][0]) {
					size_t v = nl_ + 1;
					while (v < len && (l[v] == ' ' || l[v] == '\t'))
						v++;
					struct sb hs;
					sb_init(&hs, st->hval[k], sizeof st->hval[k]);
					sb_text(&hs, (const uint8_t *)l + v, len - v);
					st->cur = k + 1;
				}
			}
		}
	}
	return 0;
}

/* The fields and summary of a piece: the headers once the header block is over (all
 * of them, in the piece where it ends), the lines that end in it, its size. */
static void body_fields(struct decode_body_state *st, int whole, size_t hl, size_t bl, size_t n, size_t after,
			struct fields *f, char *summary, size_t cap)
{
	const char *from = NULL, *subject = NULL;
	if ((whole || st->past_headers || st->terminated) && !st->reported) {
		st->reported = 1;
		for (int k = 0; k < DECODE_BODY_HEADERS; k++)
			if (st->hval[k][0])
				fields_add(f, 0, body_hkey[k], "%s", st->hval[k]);
		from = st->hval[H_FROM][0] ? st->hval[H_FROM] : NULL;
		subject = st->hval[H_SUBJECT][0] ? st->hval[H_SUBJECT] : NULL;
	}
	fields_add(f, 0, "header_lines", "%zu", hl);
	fields_add(f, 0, "body_lines", "%zu", bl);
	fields_add(f, 0, "body_bytes", "%zu", n);
	fields_add(f, 0, "terminated", "%s", st->terminated ? "yes" : "no");
	if (after)
		fields_add(f, 0, "bytes_after_end", "%zu", after);

	char s[200];
	struct sb sm;
	sb_init(&sm, s, sizeof s);
	sb_puts(&sm, "Message:");
	if (from)
		sb_printf(&sm, " From %s,", from);
	if (subject)
		sb_printf(&sm, " Subject \"%s\",", subject);
	sb_printf(&sm, " %zu lines, %zu bytes%s", hl + bl, n, st->terminated ? "" : " (no end marker)");
	say(summary, cap, "%s", s);
}

int decode_smtp_body(const uint8_t *p, size_t n, struct fields *f, char *summary, size_t cap)
{
	struct decode_body_state st;
	memset(&st, 0, sizeof st);
	size_t hl = 0, bl = 0, pos = 0;
	while (pos < n) {
		const uint8_t *nl = memchr(p + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - p) : n; /* line is p[pos..end) */
		size_t next = nl ? end + 1 : n;
		/* A last line without LF still counts, but is never the end marker. */
		if (body_line(&st, (const char *)p + pos, end - pos, nl != NULL, &hl, &bl)) {
			st.terminated = 1;
			pos = next;
			break;
		}
		pos = next;
	}
	body_fields(&st, 1, hl, bl, n, st.terminated && pos < n ? n - pos : 0, f, summary, cap);
	return 0;
}

void decode_smtp_body_start(struct decode_body_state *st)
{
	memset(st, 0, sizeof *st);
}

int decode_smtp_body_piece(struct decode_body_state *st, const uint8_t *p, size_t n, struct fields *f,
			   char *summary, size_t cap)
{
	if (st->terminated)
		decode_smtp_body_start(st); /* a new message */
	size_t hl = 0, bl = 0, pos = 0;
	while (pos < n && !st->terminated) {
		const uint8_t *nl = memchr(p + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - p) : n;
		size_t take = end - pos, room = sizeof st->line - st->line_len;
		memcpy(st->line + st->line_len, p + pos, take < room ? take : room);
		st->line_len += take < room ? take : room;
		st->line_total += take;
		pos = nl ? end + 1 : n;
		if (!nl)
			break; /* the line goes on in the next piece */
		if (st->skip) {
			/* the rest of a line whose start was not kept: a line, of unknown kind */
			if (st->past_headers)
				bl++;
			st->skip = 0;
		} else if (body_line(st, st->line, st->line_len, st->line_total == st->line_len, &hl, &bl)) {
			st->terminated = 1;
		}
		st->line_len = st->line_total = 0;
	}
	body_fields(st, 0, hl, bl, n, st->terminated && pos < n ? n - pos : 0, f, summary, cap);
	return 0;
}

void decode_smtp_body_gap(struct decode_body_state *st)
{
	st->line_len = st->line_total = 0;
	st->skip = 1;
}
