/* decode_names: the IANA registries as tables — content types, versions, handshake
 * types, cipher suites, extensions, groups, signature algorithms, alerts — and the texts
 * made from them. */
#include "sim/decode/decode_internal.h"

/* Name, or "unknown (0x1a2b)" written into buf. */
const char *decode_orhex(const char *name, unsigned code, int digits, char *buf, size_t cap)
{
	if (name)
		return name;
	snprintf(buf, cap, "unknown (0x%0*x)", digits, code);
	return buf;
}

int decode_is_grease(unsigned v)
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

const char *decode_version_text(unsigned v, char *buf, size_t cap)
{
	const char *n = decode_tls_version_name(v);
	if (strcmp(n, "unknown") == 0)
		return decode_orhex(NULL, v, 4, buf, cap);
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
 * values, and the TLS 1.3 suites a modern client may offer; in the order of their codes,
 * because each protected record's narration looks a suite up (binary search). */
static const struct code_name suites[] = {
	{0x0000, "TLS_NULL_WITH_NULL_NULL"},
	{0x0001, "TLS_RSA_WITH_NULL_MD5"},
	{0x0002, "TLS_RSA_WITH_NULL_SHA"},
	{0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
	{0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
	{0x0009, "TLS_RSA_WITH_DES_CBC_SHA"},
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
	{0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA"},
	{0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA"},
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
	{0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
	{0x1301, "TLS_AES_128_GCM_SHA256"},
	{0x1302, "TLS_AES_256_GCM_SHA384"},
	{0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
	{0x1304, "TLS_AES_128_CCM_SHA256"},
	{0x1305, "TLS_AES_128_CCM_8_SHA256"},
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
	{0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM"},
	{0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM"},
	{0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8"},
	{0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8"},
	{0xC0A4, "TLS_PSK_WITH_AES_128_CCM"},
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
};

const char *decode_cipher_suite_name(unsigned suite)
{
	return LOOKUP_SORTED(suites, suite);
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
	if (decode_is_grease(type))
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
	const char *n = decode_is_grease(group) ? "grease" : LOOKUP(groups, group);
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
	const char *n = decode_is_grease(sigalg) ? "grease" : LOOKUP(sigalgs, sigalg);
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

const char *decode_alert_or_null(unsigned desc)
{
	return LOOKUP(alerts, desc);
}

const char *decode_alert_description_name(unsigned desc)
{
	const char *n = LOOKUP(alerts, desc);
	return n ? n : "unknown";
}

/* Code-to-text helpers that never return NULL, for field values. */
const char *decode_suite_text(unsigned s, char *buf, size_t cap)
{
	return decode_orhex(decode_cipher_suite_name(s), s, 4, buf, cap);
}
const char *decode_group_text(unsigned g, char *buf, size_t cap)
{
	return decode_orhex(decode_is_grease(g) ? "grease" : LOOKUP(groups, g), g, 4, buf, cap);
}
const char *decode_sigalg_text(unsigned a, char *buf, size_t cap)
{
	return decode_orhex(decode_is_grease(a) ? "grease" : LOOKUP(sigalgs, a), a, 4, buf, cap);
}

