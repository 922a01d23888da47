/* narrate: see narrate.h. The sentences are the lesson: each says what happened and
 * what it means for who can read or change the mail. */
#include "sim/trace/narrate.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

#include "sim/decode/decode.h"
#include "sim/smtp/smtp_parse.h"

static const char *who_reads(const struct trace_event *e)
{
	if (!e->encrypted)
		return "It crosses the wire in cleartext: anyone on the path can read it.";
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
	(void)verb;
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
	case SMTP_VERB_MAIL: snprintf(buf, cap, "The envelope sender: who the message is from. %s", reads); break;
	case SMTP_VERB_RCPT: snprintf(buf, cap, "The envelope recipient: who the message is for. %s", reads); break;
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

static void smtp_reply(const struct trace_event *e, char *buf, size_t cap)
{
	const char *text = fields_get(&e->fields, "text");
	const char *reads = who_reads(e);
	int c = e->subtype;
	if (text && !strncasecmp(text, "STARTTLS", 8) && strlen(text) == 8) {
		snprintf(buf, cap, "The server offers STARTTLS: the client may upgrade to TLS. This offer travels "
			 "in cleartext, so an attacker on the path could delete it%s.",
			 e->encrypted ? " (not now: this list came through TLS)" : "");
		return;
	}
	if (text && !strncasecmp(text, "AUTH", 4)) {
		snprintf(buf, cap, "The server lists the authentication mechanisms it accepts. %s", reads);
		return;
	}
	switch (c) {
	case 220:
		if (text && strcasestr(text, "TLS"))
			snprintf(buf, cap, "The server agrees to start TLS. The next bytes on this connection "
				 "must be a TLS handshake; anything already buffered must be thrown away (RFC 3207).");
		else
			snprintf(buf, cap, "The server greets the client. %s", reads);
		return;
	case 221: snprintf(buf, cap, "The server says goodbye and closes the session."); return;
	case 235: snprintf(buf, cap, "The server accepts the credentials. %s", reads); return;
	case 250: snprintf(buf, cap, "The server accepts. %s", reads); return;
	case 334: snprintf(buf, cap, "The server asks for the next piece of the credentials (base64). %s", reads); return;
	case 354: snprintf(buf, cap, "The server is ready for the message: it ends with a line holding a single dot."); return;
	case 454: snprintf(buf, cap, "TLS is not available right now. An opportunistic client may carry on in cleartext; "
			   "a client that requires TLS must stop."); return;
	case 530: snprintf(buf, cap, "The server refuses to go on before STARTTLS: it requires TLS."); return;
	case 535: snprintf(buf, cap, "The credentials were wrong."); return;
	case 538: snprintf(buf, cap, "The server refuses to take credentials over an unencrypted connection (RFC 4954)."); return;
	}
	if (c < 0)
		snprintf(buf, cap, "A line that is not a valid SMTP reply: no client may act on it. %s", reads);
	else if (c >= 400)
		snprintf(buf, cap, "The server refuses (%d). %s", c, reads);
	else
		snprintf(buf, cap, "The server answers %d. %s", c, reads);
}

static void handshake(const struct trace_event *e, char *buf, size_t cap)
{
	if (e->encrypted) {
		snprintf(buf, cap, "Finished, encrypted with the new keys: a hash of every handshake message "
			 "both sides saw. If an attacker changed any of them, this check fails.");
		return;
	}
	switch (e->subtype) {
	case TLS_HS_HELLO_REQUEST:
		snprintf(buf, cap, "The server asks the client to start a new handshake.");
		break;
	case TLS_HS_CLIENT_HELLO:
		snprintf(buf, cap, "The client proposes TLS versions and cipher suites and sends a random value. "
			 "It is cleartext: an observer sees the server name (SNI) the client asks for.");
		break;
	case TLS_HS_SERVER_HELLO:
		snprintf(buf, cap, "The server picks the version and the cipher suite from the client's offer, "
			 "and sends its own random value.");
		break;
	case TLS_HS_CERTIFICATE:
		snprintf(buf, cap, "The server proves who it is with a certificate chain. The client must check that it "
			 "chains to a trusted root, names the host it wanted, and is within its dates.");
		break;
	case TLS_HS_SERVER_KEY_EXCHANGE:
		snprintf(buf, cap, "The server's ephemeral key share, signed with the certificate's key: the client "
			 "can check that this share really comes from the certificate's owner.");
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
			snprintf(buf, cap, "The client's ephemeral key share. Both sides now compute the same secret, "
				 "which never crossed the wire: this is forward secrecy.");
		break;
	case TLS_HS_FINISHED:
		snprintf(buf, cap, "Finished: a hash of every handshake message this side saw, keyed with the new "
			 "secret. If an attacker changed any of them, this check fails.");
		break;
	default:
		snprintf(buf, cap, "A TLS handshake message.");
	}
}

void narrate_event(const struct trace_event *e, char *buf, size_t cap)
{
	buf[0] = '\0';
	switch (e->kind) {
	case TK_SMTP_COMMAND:
		smtp_command(e, buf, cap);
		break;
	case TK_SMTP_REPLY:
		smtp_reply(e, buf, cap);
		break;
	case TK_SMTP_DATA:
		snprintf(buf, cap, "The message: headers, a blank line, the text. %s", who_reads(e));
		break;
	case TK_HANDSHAKE:
		handshake(e, buf, cap);
		break;
	case TK_CCS:
		snprintf(buf, cap, "From the next record on, this sender encrypts and authenticates everything it sends.");
		break;
	case TK_ALERT:
		if (e->encrypted && e->subtype == 0)
			snprintf(buf, cap, "close_notify: the sender ends the TLS session cleanly, so the peer knows "
				 "nothing was cut off.");
		else
			snprintf(buf, cap, "An alert: the sender reports a problem%s.",
				 e->encrypted ? " (encrypted)" : " in cleartext");
		break;
	case TK_RECORD:
		if (e->encrypted)
			snprintf(buf, cap, "A protected TLS record. An observer sees only its type, version and length.");
		else
			snprintf(buf, cap, "A TLS record in cleartext: the handshake is not protected yet, so anyone "
				 "on the path can read it, and an attacker can change it undetected until the Finished messages.");
		break;
	default:
		break;
	}
}
