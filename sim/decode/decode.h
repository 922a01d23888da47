/* decode: turns wire bytes into named fields and a one-line summary, for the trace.
 * TLS records (RFC 5246 6.2), handshake messages (RFC 5246 7.4, RFC 8422), alerts,
 * and SMTP lines (commands, replies, AUTH exchanges, with base64 decoded so the lesson
 * can show what an eavesdropper reads). Decoders never trust lengths: malformed input
 * gives a field "error" and a summary saying what was wrong, never a crash. */
#ifndef SIM_DECODE_H
#define SIM_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "sim/base/fields.h"

#define DECODE_SUMMARY_MAX 160

/* TLS content types and handshake types, as on the wire. */
enum {
	TLS_CT_CHANGE_CIPHER_SPEC = 20,
	TLS_CT_ALERT = 21,
	TLS_CT_HANDSHAKE = 22,
	TLS_CT_APPLICATION_DATA = 23,
};
enum {
	TLS_HS_HELLO_REQUEST = 0,
	TLS_HS_CLIENT_HELLO = 1,
	TLS_HS_SERVER_HELLO = 2,
	TLS_HS_CERTIFICATE = 11,
	TLS_HS_SERVER_KEY_EXCHANGE = 12,
	TLS_HS_CERTIFICATE_REQUEST = 13,
	TLS_HS_SERVER_HELLO_DONE = 14,
	TLS_HS_CERTIFICATE_VERIFY = 15,
	TLS_HS_CLIENT_KEY_EXCHANGE = 16,
	TLS_HS_FINISHED = 20,
};

struct tls_record_header {
	uint8_t type;
	uint16_t version;
	uint16_t length;
};

/* Reads the 5-byte header. Returns 0, 1 when fewer than 5 bytes are there, -1 when the
 * type or version cannot be a TLS record (type not 20..23, major version not 3). */
int decode_tls_record_header(const uint8_t *p, size_t n, struct tls_record_header *h);

const char *decode_tls_content_type_name(unsigned type);   /* "handshake" */
const char *decode_tls_version_name(unsigned version);      /* "TLS 1.2"; "unknown" */
const char *decode_handshake_type_name(unsigned type);      /* "ClientHello" */
const char *decode_cipher_suite_name(unsigned suite);       /* IANA name, NULL if unknown */
const char *decode_extension_name(unsigned type);           /* "server_name", NULL if unknown */
const char *decode_group_name(unsigned group);              /* "x25519", "secp256r1"; "unknown" */
const char *decode_sigalg_name(unsigned sigalg);            /* "ecdsa_secp256r1_sha256"; "unknown" */
const char *decode_alert_description_name(unsigned desc);   /* "bad_record_mac"; "unknown" */

/* Record header fields (content_type, version, length) and a summary such as
 * "TLS record: handshake, TLS 1.2, 512 bytes". */
int decode_tls_record(const uint8_t *rec, size_t n, struct fields *f, char *summary, size_t cap);

/* One complete handshake message (4-byte header + body), sent in cleartext.
 * ClientHello: version, random, session_id, cipher_suites (one child per suite, by name),
 * compression, extensions (by name; server_name with the host, supported_groups,
 * signature_algorithms, ec_point_formats...). ServerHello: version, random, session_id,
 * cipher_suite, extensions. Certificate: one child group per certificate with subject,
 * issuer, not_before, not_after, subject_alt_names, public_key. ServerKeyExchange
 * (ECDHE): curve, public key, signature algorithm, signature length; for other kex the
 * raw length. ClientKeyExchange: the ECDH public point, or the RSA-encrypted
 * premaster secret length. Summary names the message: "ClientHello: TLS 1.2, 4 suites,
 * SNI mail.example.test". Returns 0, or -1 when malformed (summary then says so). */
int decode_handshake(const uint8_t *msg, size_t n, struct fields *f, char *summary, size_t cap);
/* What a ServerHello message (header included) agrees on: returns the version -- the one
 * supported_versions selects (TLS 1.3, RFC 8446 4.2.1), else the version field -- and sets
 * *suite; *hrr is 1 for a HelloRetryRequest. 0 when msg is not a whole ServerHello. */
unsigned decode_server_hello_version(const uint8_t *msg, size_t n, unsigned *suite, int *hrr);
/* The same with the negotiated version (0x0301..0x0303; 0 when unknown), which decides
 * the layout of ServerKeyExchange, CertificateRequest and CertificateVerify: TLS 1.2 puts
 * a signature algorithm before the signature, TLS 1.0/1.1 do not. The hinted layout is
 * tried first, then the other (field "layout" says when the other one fitted).
 * decode_handshake is decode_handshake_v with 0x0303. */
int decode_handshake_v(const uint8_t *msg, size_t n, unsigned version, struct fields *f,
		       char *summary, size_t cap);

/* A 2-byte alert: level, description by name. */
int decode_alert(const uint8_t *p, size_t n, struct fields *f, char *summary, size_t cap);

/* Per-direction SMTP context a decoder needs for lines that depend on earlier ones
 * (an AUTH LOGIN answer is base64 of whatever the last 334 asked). Zero-initialise. */
struct decode_smtp_ctx {
	int auth_pending;        /* client: AUTH LOGIN / PLAIN without initial response started */
	char auth_mech[16];
	int login_step;          /* 0 = expects user name, 1 = password */
	/* wiretrace's, per link: the server side reads message text, from a 354 reply traced
	 * on the link until the line "." traced toward the server (1 right after the 354,
	 * 2 once body bytes sent whole have been read); -1 when the server's replies went by
	 * in records nobody on the link decoded, until it is next seen replying. */
	int server_in_data;
};

/* One client command line without CRLF. The syntax is smtp_parse's, the one the server
 * uses: a line it would not take as a command gives only "error". Fields: verb,
 * argument; MAIL/RCPT: mailbox (field "mail_from" / "rcpt_to") and "parameters", only
 * when smtp_parse_mail_from / smtp_parse_rcpt_to accept the path — otherwise "error"
 * says what is wrong and the summary quotes the line; AUTH PLAIN with initial response:
 * "auth_mechanism", "auth_user" and "auth_password" decoded from base64; AUTH LOGIN
 * answers (given ctx): "auth_user" / "auth_password". ctx may be NULL. */
int decode_smtp_command(struct decode_smtp_ctx *ctx, const char *line, size_t n,
			struct fields *f, char *summary, size_t cap);
/* One reply line without CRLF: code, class meaning ("positive completion"), text,
 * "continues" for '-'; 334 texts decoded from base64 ("Username:"). If ctx is given,
 * a 334 reply updates it for the next client line. A line smtp_parse_reply_line
 * rejects (what the client would call malformed, e.g. "260 ...") has no "code", only
 * "error", and leaves ctx alone. */
int decode_smtp_reply(struct decode_smtp_ctx *ctx, const char *line, size_t n,
		      struct fields *f, char *summary, size_t cap);
/* The DATA body (dot-stuffed, up to and including CRLF.CRLF): headers From, To,
 * Subject when present, "body_lines", "bytes_as_sent" (the bytes as they crossed the
 * wire: headers, text, dot-stuffing and the end line). */
int decode_smtp_body(const uint8_t *p, size_t n, struct fields *f, char *summary, size_t cap);

/* A body that arrives in pieces (one per TLS record): the state carried from one piece to
 * the next, so a line cut by a piece boundary is decoded once, whole, in the piece where
 * it ends, and the header block is read as one. */
#define DECODE_BODY_HEADERS 4   /* From, To, Subject, Date */
struct decode_body_state {
	int past_headers;        /* the blank line (or a line that is no header) went by */
	int cur;                 /* 1 + the header a folded line continues; 0 none */
	int terminated;          /* the end-of-data line went by: the next piece starts anew */
	int reported;            /* the headers were given with a piece */
	int skip;                /* a gap: the line under way began in bytes never seen */
	size_t header_lines;     /* so far, to tell a folded line from a first line */
	char hval[DECODE_BODY_HEADERS][256];
	char line[1024];         /* the line under way (its first bytes) */
	size_t line_len, line_total;
};
/* Starts a new message (a zeroed state is one too). */
void decode_smtp_body_start(struct decode_body_state *st);
/* One piece, with the fields decode_smtp_body gives for it: "header_lines" and
 * "body_lines" count the lines that end in this piece (a line without LF waits for the
 * next piece), the headers (from, to, subject, date) come once, with the piece where the
 * header block ends, "bytes_as_sent" is the piece's size, "terminated" says whether the end
 * of data is in it. A piece after the end starts a new message. For a whole body that
 * ends with LF, the same fields and summary as decode_smtp_body. */
int decode_smtp_body_piece(struct decode_body_state *st, const uint8_t *p, size_t n, struct fields *f,
			   char *summary, size_t cap);
/* Bytes of the body were not seen (the trace kept only a prefix of a piece): the line
 * under way is dropped; the one that ends next counts as one line. */
void decode_smtp_body_gap(struct decode_body_state *st);

#endif
