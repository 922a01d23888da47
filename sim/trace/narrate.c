/* narrate: see narrate.h. The sentences are the lesson: each says what happened and
 * what it means for who can read or change the mail. */
#include "sim/trace/narrate.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

#include "sim/base/sb.h"
#include "sim/decode/decode.h"
#include "sim/smtp/smtp_parse.h"

enum { TLS10 = 0x0301, TLS11 = 0x0302 };   /* as the record header writes them */

/* ---- what the trace already holds ---- */

/* The last event before e of this kind, on e's link, in e's direction and of the same
 * reading (live or replayed), since the connection opened; NULL when there is none. */
static const struct trace_event *previous(const struct trace *t, const struct trace_event *e, enum trace_kind kind)
{
	if (!t)
		return NULL;
	for (size_t i = t->n; i-- > 0;) {
		const struct trace_event *p = &t->ev[i];
		if (p->link != e->link || p->layer == LAYER_NOTE)
			continue;
		if (p->kind == TK_CONN_OPEN)
			return NULL;
		if (p->kind == kind && p->from == e->from && p->replay == e->replay)
			return p;
	}
	return NULL;
}

static int field_is(const struct trace_event *e, const char *name, const char *value)
{
	const char *v = fields_get(&e->fields, name);
	return v && !strcmp(v, value);
}

/* The version and cipher suite protecting e's link: the session's once an end has
 * reported it, before that (a first Finished) the ServerHello's on this link. */
static int link_cipher(const struct trace *t, const struct trace_event *e, unsigned *version, unsigned *suite)
{
	if (!t)
		return 0;
	const struct trace_tls_session *s = trace_link_session(t, e->link);
	if (s) {
		*version = s->version;
		*suite = s->suite;
		return 1;
	}
	for (size_t i = t->n; i-- > 0;) {
		const struct trace_event *p = &t->ev[i];
		if (p->link != e->link || p->kind != TK_HANDSHAKE || p->subtype != TLS_HS_SERVER_HELLO || p->encrypted)
			continue;
		/* type (1), length (3), version (2), random (32), session_id (1 + n), cipher_suite (2) */
		if (p->wire_stored < 39 || p->wire_stored < 39 + (size_t)p->wire[38] + 2)
			return 0;
		size_t at = 39 + (size_t)p->wire[38];
		*version = (unsigned)p->wire[4] << 8 | p->wire[5];
		*suite = (unsigned)p->wire[at] << 8 | p->wire[at + 1];
		/* TLS 1.3 agrees in supported_versions; the version field stays 1.2 */
		unsigned s13;
		int hrr;
		if (p->wire_stored == p->wire_len &&
		    decode_server_hello_version(p->wire, p->wire_len, &s13, &hrr) == 0x0304)
			*version = 0x0304;
		return 1;
	}
	return 0;
}

/* The ServerHello last sent on e's link before e, or NULL. */
static const struct trace_event *link_server_hello(const struct trace *t, const struct trace_event *e)
{
	if (!t)
		return NULL;
	size_t upto = (size_t)(e - t->ev) < t->n ? (size_t)(e - t->ev) : t->n;
	for (size_t i = upto; i-- > 0;) {
		const struct trace_event *p = &t->ev[i];
		if (p->link == e->link && p->kind == TK_HANDSHAKE && p->subtype == TLS_HS_SERVER_HELLO && !p->encrypted)
			return p;
	}
	return NULL;
}

/* 1 when the handshake under way on e's link agreed on TLS 1.3 (its ServerHello's
 * supported_versions, or a HelloRetryRequest's, says so). */
static int link_tls13(const struct trace *t, const struct trace_event *e)
{
	const struct trace_event *sh = link_server_hello(t, e);
	unsigned suite;
	int hrr;
	return sh && sh->wire_stored == sh->wire_len &&
	       decode_server_hello_version(sh->wire, sh->wire_len, &suite, &hrr) == 0x0304;
}

static int suite_has(unsigned suite, const char *part)
{
	const char *name = decode_cipher_suite_name(suite);
	return name && strstr(name, part);
}

/* With a CBC suite in TLS 1.0 (no explicit IV): the length of a record carrying one byte,
 * which is that byte, the MAC and at least one padding-length byte, rounded up to a block. */
static size_t cbc10_one_byte_record(unsigned suite)
{
	const char *name = decode_cipher_suite_name(suite);
	size_t nl = name ? strlen(name) : 0;
	size_t mac = nl > 7 && !strcmp(name + nl - 7, "_SHA384") ? 48 : nl > 7 && !strcmp(name + nl - 7, "_SHA256") ? 32 : 20;
	size_t block = suite_has(suite, "3DES") ? 8 : 16;
	return (1 + mac + 1 + block - 1) / block * block;
}

/* ---- SMTP ---- */

static const char *who_reads(const struct trace_event *e)
{
	if (!e->encrypted)
		return "It crosses the wire in cleartext: anyone on the path can read it.";
	if (e->replay == REPLAY_MAILBOX)
		return "It crossed inside TLS, but the server stored it as message text in the attacker's own "
		       "mailbox, and the attacker reads it there.";
	if (e->replay)
		return "It was encrypted. The attacker reads it now by recomputing the session keys from the "
		       "recorded handshake and the stolen RSA key.";
	if (e->readers & READ_MITM)
		return "It is encrypted, but the attacker is an endpoint of this TLS session and reads it.";
	return "It is encrypted: only the client and the server can read it.";
}

static void smtp_command(const struct trace_event *e, char *buf, size_t cap)
{
	const char *verb = fields_get(&e->fields, "verb");
	const char *reads = who_reads(e);
	if (fields_get(&e->fields, "auth_password") || fields_get(&e->fields, "auth_user")) {
		snprintf(buf, cap, "The client authenticates. Base64 is an encoding, not encryption: "
			 "anyone who reads this line can decode the %s. %s",
			 fields_get(&e->fields, "auth_password") ? "password" : "user name", reads);
		return;
	}
	switch (e->subtype) {
	case SMTP_VERB_EHLO:
	case SMTP_VERB_HELO:
		snprintf(buf, cap, "The client introduces itself and asks which extensions the server supports. %s", reads);
		break;
	case SMTP_VERB_STARTTLS:
		snprintf(buf, cap, "The client asks to upgrade this connection to TLS (RFC 3207). "
			 "Until the handshake completes, everything is still cleartext and can be changed by an attacker.");
		break;
	case SMTP_VERB_AUTH: snprintf(buf, cap, "The client starts authentication. %s", reads); break;
	case SMTP_VERB_MAIL:
		snprintf(buf, cap, "The envelope sender (reverse-path): where bounces go. It can differ from the From: "
			 "header the recipient sees; SPF checks this domain, and DMARC checks that From: aligns with it "
			 "or with the DKIM signer. %s", reads);
		break;
	case SMTP_VERB_RCPT:
		snprintf(buf, cap, "The envelope recipient: where the server delivers. It can differ from the To: "
			 "header the recipient sees (that is how Bcc works). %s", reads);
		break;
	case SMTP_VERB_DATA: snprintf(buf, cap, "The client asks to send the message itself. %s", reads); break;
	case SMTP_VERB_QUIT: snprintf(buf, cap, "The client ends the session politely."); break;
	case -1:
		snprintf(buf, cap, "The client sends a line the decoder does not recognise. %s", reads);
		break;
	default:
		if (verb)
			snprintf(buf, cap, "The client sends %s. %s", verb, reads);
		else
			snprintf(buf, cap, "The client sends a line the decoder does not recognise. %s", reads);
	}
}

/* The service extensions a server may advertise in its EHLO reply, and what each lets
 * the client do. */
static const struct {
	const char *keyword, *rfc, *meaning;
} extensions[] = {
	{ "PIPELINING", "RFC 2920", "the client may send several commands without waiting for each reply" },
	{ "SIZE", "RFC 1870", "the server states its message size limit, and the client may declare a size in MAIL FROM" },
	{ "8BITMIME", "RFC 6152", "the message text may contain 8-bit bytes" },
	{ "ENHANCEDSTATUSCODES", "RFC 2034", "its replies carry detailed codes such as 2.1.0 (RFC 3463)" },
	{ "AUTH", "RFC 4954", "the client may log in, with one of the mechanisms listed" },
	{ "SMTPUTF8", "RFC 6531", "addresses and headers may be written in UTF-8" },
	{ "CHUNKING", "RFC 3030", "the message may be sent in chunks with BDAT instead of DATA" },
	{ "DSN", "RFC 3461", "the client may ask for delivery status notifications" },
	{ "REQUIRETLS", "RFC 8689", "the client may require TLS on every later hop of this message" },
};

/* A line after the first of a multi-line 250 reply: one advertised extension (the
 * server's own text names it). */
static void ehlo_extension(const struct trace_event *e, const char *text, char *buf, size_t cap)
{
	const char *reads = who_reads(e);
	size_t kl = strcspn(text, " ");
	if (kl == 8 && !strncasecmp(text, "STARTTLS", 8)) {
		snprintf(buf, cap, "The server advertises STARTTLS (RFC 3207): the client may upgrade to TLS. This offer "
			 "travels in cleartext, so an attacker on the path could delete it%s.",
			 e->encrypted ? " (not now: this list came through TLS)" : "");
		return;
	}
	for (size_t i = 0; i < sizeof extensions / sizeof extensions[0]; i++)
		if (strlen(extensions[i].keyword) == kl && !strncasecmp(text, extensions[i].keyword, kl)) {
			snprintf(buf, cap, "The server advertises %s (%s): %s. %s", extensions[i].keyword, extensions[i].rfc,
				 extensions[i].meaning, reads);
			return;
		}
	snprintf(buf, cap, "The server advertises the extension %.*s. %s", (int)(kl < 40 ? kl : 40), text, reads);
}

/* What a reply code means, for the codes the lessons meet. about_tls tells the two
 * meanings of 454 and 530 apart; with_readers adds who can read the line. */
struct reply_sentence {
	int code, about_tls, with_readers;
	const char *sentence;
};
static const struct reply_sentence reply_sentences[] = {
	{ 220, 0, 1, "The server greets the client." },
	{ 221, 0, 0, "The server says goodbye and closes the session." },
	{ 235, 0, 1, "The server accepts the credentials." },
	{ 250, 0, 1, "The server accepts." },
	{ 334, 0, 1, "The server asks for the next piece of the credentials (base64)." },
	{ 354, 0, 0, "The server is ready for the message: it ends with a line holding a single dot." },
	{ 454, 1, 0, "454: TLS is temporarily unavailable (RFC 3207). An opportunistic client may carry on in "
		     "cleartext; a client that requires TLS must stop." },
	{ 454, 0, 1, "454: a temporary failure (RFC 4954 uses it for authentication); the client may try again later." },
	{ 500, 0, 1, "500: the server could not make sense of the line: an unrecognised command or a syntax error, "
		     "such as a line too long (RFC 5321)." },
	{ 502, 0, 1, "502: command not implemented: the server knows the command but does not offer it (RFC 5321 "
		     "4.2.4). To STARTTLS it means no TLS at all, unlike the temporary 454." },
	{ 503, 0, 1, "503: bad sequence of commands: the command is valid, but not at this point of the dialogue "
		     "(e.g. MAIL before EHLO, RCPT before MAIL)." },
	{ 530, 1, 1, "530: the server refuses to go on before STARTTLS: it requires TLS (RFC 3207)." },
	{ 530, 0, 1, "530: authentication required: the server takes no mail before the client logs in (RFC 4954 6)." },
	{ 535, 0, 0, "The credentials were wrong." },
	{ 538, 0, 0, "The server refuses to take credentials over an unencrypted connection (RFC 4954)." },
};

static void smtp_reply(const struct trace *t, const struct trace_event *e, char *buf, size_t cap)
{
	const char *text = fields_get(&e->fields, "text");
	const char *reads = who_reads(e);
	int c = e->subtype;
	const struct trace_event *before = previous(t, e, TK_SMTP_REPLY);
	int continuation = before && field_is(before, "continues", "yes");
	if (c == 250 && continuation && text) {
		ehlo_extension(e, text, buf, cap);
		return;
	}
	if (c == 250 && field_is(e, "continues", "yes")) {
		snprintf(buf, cap, "The server answers EHLO: this first line gives its name and a greeting, and each "
			 "line after it advertises one extension (RFC 5321 4.1.1.1). %s", reads);
		return;
	}
	/* The greeting is the first reply on a connection; the only other 220 answers STARTTLS. */
	if (c == 220 && before) {
		snprintf(buf, cap, "The server agrees to start TLS: the next bytes must be a TLS handshake. RFC 3207 "
			 "makes both sides forget what they learned before TLS and forbids pipelining past STARTTLS; "
			 "since CVE-2011-0411 this is read to include bytes still waiting in an input buffer.");
		return;
	}
	/* 454 and 530 each have two meanings; the server's own text says which. */
	int tls_text = (c == 454 || c == 530) && text && strcasestr(text, c == 530 ? "STARTTLS" : "TLS");
	for (size_t i = 0; i < sizeof reply_sentences / sizeof reply_sentences[0]; i++) {
		const struct reply_sentence *r = &reply_sentences[i];
		if (r->code != c || r->about_tls != tls_text)
			continue;
		snprintf(buf, cap, "%s%s%s", r->sentence, r->with_readers ? " " : "", r->with_readers ? reads : "");
		return;
	}
	if (c < 0)
		snprintf(buf, cap, "A line that is not a valid SMTP reply: no client may act on it. %s", reads);
	else if (c >= 400)
		snprintf(buf, cap, "The server refuses (%d). %s", c, reads);
	else
		snprintf(buf, cap, "The server answers %d. %s", c, reads);
}

/* ---- TLS ---- */

static const char finished_mac[] =
	"a 12-byte MAC over this side's transcript of the handshake, keyed with the master secret "
	"(RFC 5246 7.4.9). An attacker who changed a handshake message cannot recompute it without that secret.";

static void client_hello(const struct trace *t, const struct trace_event *e, char *buf, size_t cap)
{
	if (fields_get(&e->fields, "offers_up_to")) {
		snprintf(buf, cap, "The client offers TLS 1.3 in the supported_versions extension; the version field "
			 "stays at TLS 1.2 (legacy_version, RFC 8446 4.1.2) so that older servers and middleboxes are not "
			 "confused. It already sends its key share (key_share), so that a TLS 1.3 server can answer with "
			 "its own at once, and lists its cipher suites and a 32-byte random. It is cleartext: %s",
			 fields_get(&e->fields, "server_name") ? "an observer sees the server name (SNI) the client asks for."
								 : "anyone on the path can read it.");
		return;
	}
	size_t n = (size_t)snprintf(buf, cap, "The client states the highest TLS version it supports and lists its "
				    "cipher suites, its extensions (such as server name, groups, signature algorithms and "
				    "renegotiation_info) and a 32-byte random. ");
	if (n >= cap)
		return;
	const struct trace_event *rec = t && e->parent >= 0 && (size_t)e->parent < t->n ? &t->ev[e->parent] : NULL;
	if (rec && rec->wire_stored >= 3 && e->wire_len >= 6) {
		unsigned rv = (unsigned)rec->wire[1] << 8 | rec->wire[2], cv = (unsigned)e->wire[4] << 8 | e->wire[5];
		if (rv != cv) {
			n += (size_t)snprintf(buf + n, cap - n, "The record header says %s, but that is not the offer: "
					      "client_version, %s, is. ", decode_tls_version_name(rv),
					      decode_tls_version_name(cv));
			if (n >= cap)
				return;
		}
	}
	if (fields_get(&e->fields, "server_name"))
		snprintf(buf + n, cap - n, "It is cleartext: an observer sees the server name (SNI) the client asks for.");
	else
		snprintf(buf + n, cap - n, "It is cleartext: anyone on the path can read it.");
}

/* A TLS 1.3 handshake message, opened from its protected record. */
static void handshake13(const struct trace_event *e, char *buf, size_t cap)
{
	/* the link's second end is the one that was dialled: the TLS server */
	enum trace_actor dialler, dialled;
	trace_link_ends(e->link, &dialler, &dialled);
	int server = e->from == dialled;
	switch (e->subtype) {
	case 8:
		snprintf(buf, cap, "The first message under the server's handshake keys (RFC 8446 4.3.1): the extensions "
			 "that need no cleartext. From here on an observer reads nothing of the handshake; only the two "
			 "endpoints do.");
		break;
	case TLS_HS_CERTIFICATE:
		snprintf(buf, cap, "The certificate chain, encrypted under the handshake keys (RFC 8446 4.4.2): unlike in "
			 "TLS 1.2, a passive observer does not see which certificate is presented. The reader checks "
			 "the chain, the name and the dates; the proof that the sender holds the key comes next, in "
			 "CertificateVerify.");
		break;
	case TLS_HS_CERTIFICATE_VERIFY:
		snprintf(buf, cap, "The %s signs a hash of the whole handshake so far with the private key of its "
			 "certificate (RFC 8446 4.4.3). It proves it holds that key and ties the certificate to this "
			 "handshake: someone holding only a copy of the certificate cannot produce it.",
			 server ? "server" : "client");
		break;
	case TLS_HS_FINISHED:
		snprintf(buf, cap, "Finished (RFC 8446 4.4.4): an HMAC over the whole handshake, keyed from the %s's "
			 "handshake traffic secret, which comes from the (EC)DHE exchange. It confirms that both sides "
			 "saw the same handshake. After it the %s sends under its application traffic keys.",
			 server ? "server" : "client", server ? "server" : "client");
		break;
	case 4:
		snprintf(buf, cap, "A ticket the client may use to resume this session later without a full handshake "
			 "(RFC 8446 4.6.1), sent once the handshake is over, under the application keys. Nothing in this "
			 "run resumes.");
		break;
	case 24:
		snprintf(buf, cap, "KeyUpdate (RFC 8446 4.6.3): from the next record on the sender protects its records "
			 "with the next generation of its traffic secret, derived from the current one.");
		break;
	default:
		snprintf(buf, cap, "A TLS 1.3 handshake message, encrypted: only the endpoints read it.");
	}
}

static void server_hello(const struct trace *t, const struct trace_event *e, char *buf, size_t cap)
{
	unsigned suite = 0;
	int hrr = 0;
	/* before the trace keeps it, all of an event's bytes are at hand */
	size_t have = e->wire_stored ? e->wire_stored : e->wire_len;
	unsigned v = e->wire && have == e->wire_len ? decode_server_hello_version(e->wire, e->wire_len, &suite, &hrr) : 0;
	(void)t;
	if (hrr)
		snprintf(buf, cap, "HelloRetryRequest (RFC 8446 4.1.4): a ServerHello with a fixed random value. The server "
			 "accepts none of the key shares the client sent and names the group it wants; the client must "
			 "send a second ClientHello with a share for it. It costs one more round trip.");
	else if (v == 0x0304)
		snprintf(buf, cap, "The server picks TLS 1.3 (in supported_versions; the version field says TLS 1.2 for "
			 "compatibility) and the cipher suite, and answers the client's key share with its own. From the "
			 "two shares both sides compute the same (EC)DHE secret and derive handshake keys: everything "
			 "the server sends after this message is encrypted.");
	else if (fields_get(&e->fields, "downgrade_sentinel"))
		snprintf(buf, cap, "The server picks an older version than TLS 1.3, and the last 8 bytes of its random "
			 "say so: \"DOWNGRD\" and a version byte, the sentinel of RFC 8446 4.1.3, meaning \"I support TLS "
			 "1.3, but the ClientHello I received did not offer it\". A client that offered TLS 1.3 and sees "
			 "this must abort the handshake.");
	else
		snprintf(buf, cap, "The server picks the version and the cipher suite from the client's offer, "
			 "and sends its own random value.");
}

static void handshake(const struct trace *t, const struct trace_event *e, char *buf, size_t cap)
{
	if (e->encrypted && e->plain && !e->wire_len) {
		handshake13(e, buf, cap);
		return;
	}
	if (e->encrypted) {
		snprintf(buf, cap, "Finished, the first message under the new keys: %s", finished_mac);
		return;
	}
	switch (e->subtype) {
	case TLS_HS_HELLO_REQUEST:
		snprintf(buf, cap, "The server asks the client to start a new handshake.");
		break;
	case TLS_HS_CLIENT_HELLO:
		client_hello(t, e, buf, cap);
		break;
	case TLS_HS_SERVER_HELLO:
		server_hello(t, e, buf, cap);
		break;
	case TLS_HS_CERTIFICATE:
		snprintf(buf, cap, "The certificate chain: a CA's signed claim that this public key belongs to this name; "
			 "the client checks the chain, the name and the dates. Certificates are public, so this proves "
			 "nothing yet: the proof is the key share signed with the private key (ECDHE) or the premaster "
			 "secret only that key decrypts (RSA), confirmed by Finished.");
		break;
	case TLS_HS_SERVER_KEY_EXCHANGE:
		snprintf(buf, cap, "The server's ephemeral key share, signed together with both hello randoms by the "
			 "private key of the certificate: the client checks that this share comes from the "
			 "certificate's owner, and an attacker cannot change it without breaking the signature.");
		break;
	case TLS_HS_CERTIFICATE_REQUEST:
		snprintf(buf, cap, "The server asks the client for a certificate of its own, and says which "
			 "authorities and signature algorithms it accepts.");
		break;
	case TLS_HS_SERVER_HELLO_DONE:
		snprintf(buf, cap, "The server's first flight is complete (RFC 5246 7.4.5): it now waits for the "
			 "client's key exchange. Everything so far crossed in cleartext.");
		break;
	case TLS_HS_CERTIFICATE_VERIFY:
		snprintf(buf, cap, "The client signs the handshake so far with the key of its own certificate, "
			 "proving that it holds that key.");
		break;
	case TLS_HS_CLIENT_KEY_EXCHANGE:
		if (fields_get(&e->fields, "encrypted_premaster_length"))
			snprintf(buf, cap, "The client encrypts the premaster secret with the server's RSA key. "
				 "Whoever gets that private key later can decrypt a recording of this session.");
		else
			snprintf(buf, cap, "The client's ephemeral key share. Each side combines its own private share with "
				 "the other's public one into the same premaster secret, which never crosses the wire. Both "
				 "private shares serve this session only and are then erased: that, not the key agreement "
				 "itself, gives forward secrecy.");
		break;
	case TLS_HS_FINISHED:
		snprintf(buf, cap, "Finished: %s", finished_mac);
		break;
	default:
		snprintf(buf, cap, "A TLS handshake message.");
	}
}

static void alert(const struct trace_event *e, char *buf, size_t cap)
{
	if (e->subtype < 0) {
		snprintf(buf, cap, e->encrypted ? "An encrypted alert: an observer cannot tell a clean close_notify from "
						  "an error."
						: "An alert that cannot be decoded.");
		return;
	}
	const char *name = decode_alert_description_name((unsigned)e->subtype);
	if (e->encrypted && e->subtype == 0)
		snprintf(buf, cap, "close_notify: the sender ends the TLS session cleanly, so the peer knows "
			 "nothing was cut off.");
	else if (e->encrypted)
		snprintf(buf, cap, "The sender reports %s, encrypted: the peer reads it, but an observer cannot tell it "
			 "from a clean close_notify.", name);
	else if (e->alert_level == 2)
		snprintf(buf, cap, "The fatal alert %s, in cleartext: the sender says why it gives up on this "
			 "connection.", name);
	else
		snprintf(buf, cap, "The alert %s, in cleartext.", name);
}

/* Is e the first record of its sender's write (its TCP segment) on its link? */
static int first_of_write(const struct trace *t, const struct trace_event *e)
{
	const struct trace_event *p = previous(t, e, TK_RECORD);
	return e->segment && (!p || p->segment != e->segment);
}

/* What it says depends on the link's session (version, suite), the record's type and
 * length, and for a TLS 1.0 CBC record on where its write began; attack_said adds the
 * attack mark. wiretrace's one_record relies on that: a TLS 1.1/1.2 record with the same
 * header as the last one on its stream, with the same attack and replay marks, is given
 * that record's sentence without asking again. */
static void protected_record(const struct trace *t, const struct trace_event *e, char *buf, size_t cap)
{
	unsigned version = 0, suite = 0;
	int known = link_cipher(t, e, &version, &suite);
	int cbc = known && suite_has(suite, "_CBC_");
	size_t len = e->wire_len >= 5 ? e->wire_len - 5 : 0;
	/* BearSSL's 1/n-1 split: the one-byte record is the first of the write that carries it. */
	if (cbc && version == TLS10 && e->subtype == TLS_CT_APPLICATION_DATA && len == cbc10_one_byte_record(suite) &&
	    first_of_write(t, e)) {
		snprintf(buf, cap, "A protected record carrying a single byte: in TLS 1.0 with a CBC suite BearSSL sends "
			 "the first byte of each application record alone, then the rest (the 1/n-1 split). Each record's IV is the "
			 "previous record's last ciphertext block, which an attacker sees in advance; the split keeps it "
			 "from choosing a whole block under that IV (BEAST).");
		return;
	}
	const char *extra = "";
	if (known && suite_has(suite, "_GCM_"))
		extra = ", and the 8-byte explicit nonce (BearSSL uses the record's sequence number)";
	else if (cbc && version >= TLS11)
		extra = ", and the explicit IV";
	if (known && version == 0x0304) {
		snprintf(buf, cap, "A protected TLS 1.3 record. An observer sees only its header, which always says "
			 "application_data and TLS 1.2, and its length; the real content type travels encrypted inside "
			 "(RFC 8446 5.2). The length still gives away the size of what it carries.");
		return;
	}
	/* sb_put, not snprintf: every protected record of a long message comes this way. */
	sb_put(buf, cap, 0, "A protected TLS record. An observer sees its type, version and length%s; the length gives "
	       "away the size of what it carries%s.", extra, cbc ? ", to within a cipher block" : "");
}

static void record(const struct trace *t, const struct trace_event *e, char *buf, size_t cap)
{
	if (e->encrypted) {
		protected_record(t, e, buf, cap);
		return;
	}
	int v13 = link_tls13(t, e);
	switch (e->subtype) {
	case TLS_CT_HANDSHAKE:
		snprintf(buf, cap, "A handshake record in cleartext: anyone on the path can read it. An attacker can "
			 "change the messages inside, but the Finished MACs will catch it (and%s%s).", v13 ? " " : "",
			 v13 ? "the server's CertificateVerify signature" : ", for ServerKeyExchange, the server's signature");
		break;
	case TLS_CT_CHANGE_CIPHER_SPEC:
		if (v13) {
			snprintf(buf, cap, "A ChangeCipherSpec record in cleartext, which TLS 1.3 ignores: it is sent only so "
				 "that middleboxes that expect TLS 1.2 let the connection through (RFC 8446 Appendix D.4).");
			break;
		}
		snprintf(buf, cap, "A ChangeCipherSpec record in cleartext. It is not a handshake message, so the Finished "
			 "MACs do not cover it (RFC 5246 7.4.9): an attacker can forge or delete it. OpenSSL's early-CCS "
			 "bug (CVE-2014-0224) let a forged one switch on keys the attacker could compute.");
		break;
	case TLS_CT_ALERT:
		snprintf(buf, cap, "An alert record in cleartext. Alerts are not handshake messages, so the Finished MACs "
			 "do not cover them (RFC 5246 7.4.9): an attacker can forge or delete this one.");
		break;
	case -1:
		snprintf(buf, cap, "Bytes that do not form a TLS record, sent where TLS was expected. Anyone on the path "
			 "can read them.");
		break;
	default:
		snprintf(buf, cap, "A TLS record in cleartext: anyone on the path can read it.");
	}
}

/* The event's own sentence, by its kind. */
static void narrate_kind(const struct trace *t, const struct trace_event *e, char *buf, size_t cap)
{
	switch (e->kind) {
	case TK_SMTP_COMMAND:
		smtp_command(e, buf, cap);
		break;
	case TK_SMTP_REPLY:
		smtp_reply(t, e, buf, cap);
		break;
	case TK_SMTP_DATA:
		sb_put(buf, cap, 0, "The message: headers, a blank line, the text. %s", who_reads(e));
		break;
	case TK_HANDSHAKE:
		handshake(t, e, buf, cap);
		break;
	case TK_CCS:
		if (link_tls13(t, e))
			snprintf(buf, cap, "A compatibility dummy: in TLS 1.3 ChangeCipherSpec switches nothing on (RFC 8446 "
				 "Appendix D.4). Each side's records are protected once its handshake keys are in place, "
				 "which the ServerHello's key share brings.");
		else
			snprintf(buf, cap, "From the next record on, this sender encrypts and authenticates everything it sends.");
		break;
	case TK_ALERT:
		alert(e, buf, cap);
		break;
	case TK_RECORD:
		record(t, e, buf, cap);
		break;
	default:
		break;
	}
}

/* What the attacker did to this very event, when the event's own sentence would
 * otherwise credit the client or the server with it. */
static const char *attack_said(const struct trace_event *e)
{
	switch (e->attack) {
	case ATTACK_ADDED:
	case ATTACK_FORGED:
		if (e->kind == TK_SMTP_REPLY)
			return "The attacker made this line up: the server never sent it.";
		if (e->kind == TK_SMTP_COMMAND)
			return "The attacker made this line up: the client never sent it.";
		return NULL;
	case ATTACK_REPLACED:
		return "The attacker changed this on the way.";
	case ATTACK_TAMPERED:
		return e->kind == TK_RECORD ? "The attacker flipped a bit of this record on the way." : NULL;
	default:
		return NULL;
	}
}

void narrate_event(const struct trace *t, const struct trace_event *e, char *buf, size_t cap)
{
	buf[0] = '\0';
	narrate_kind(t, e, buf, cap);
	const char *a = buf[0] ? attack_said(e) : NULL;
	if (a)
		sb_put(buf, cap, strlen(buf), " %s", a);
}
