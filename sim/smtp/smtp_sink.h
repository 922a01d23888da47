/* smtp_sink: how the sans-I/O SMTP state machines hand over what they produce.
 * The actor that owns a machine decides whether the bytes go out in cleartext or
 * through TLS; the machine never touches a pipe. */
#ifndef SIM_SMTP_SINK_H
#define SIM_SMTP_SINK_H

#include <stddef.h>
#include <stdint.h>

enum smtp_out_kind {
	SMTP_OUT_COMMAND, /* one or more complete command lines, each with CRLF */
	SMTP_OUT_REPLY,   /* one complete reply, possibly multi-line, with CRLFs */
	SMTP_OUT_BODY,    /* a piece of the dot-stuffed DATA body; the last piece ends with CRLF.CRLF */
};

/* What a machine (client or server) does with bytes that arrived in cleartext behind
 * STARTTLS, before the handshake. Discard is what RFC 3207 is read to require since the
 * CVE-2011-0411 advisory; keep models that bug (the server) and its response-injection
 * twin (the client; the quirk keep-buffered-replies). */
enum smtp_buffering {
	SMTP_BUFFER_DISCARD = 0,
	SMTP_BUFFER_KEEP,
};

/* What kind of decision a note reports, so that views and the outcome never need to read
 * its sentence. */
enum smtp_note {
	SMTP_NOTE_INFO = 0,          /* nothing more to it than the sentence */
	SMTP_NOTE_STOP,              /* the client gives up and sends QUIT */
	SMTP_NOTE_STARTTLS_ASK,      /* the client asks for STARTTLS */
	SMTP_NOTE_CLEARTEXT_ON,      /* the client goes on in cleartext: STARTTLS missing or refused */
	SMTP_NOTE_TLS_NEVER,         /* the client is set never to use TLS */
	SMTP_NOTE_HANDSHAKE_NEXT,    /* STARTTLS agreed: the next bytes are a TLS handshake */
	SMTP_NOTE_AUTH_SKIPPED,      /* the client's mechanism is not offered */
	SMTP_NOTE_AUTH_REJECTED,     /* wrong credentials */
	SMTP_NOTE_AUTH_NEEDS_TLS,    /* the server refuses AUTH in cleartext */
	SMTP_NOTE_DISCARDED,         /* cleartext buffered before the handshake thrown away (RFC 3207) */
	SMTP_NOTE_KEPT_BUFFERED,     /* cleartext buffered before the handshake used as if it came through TLS */
	SMTP_NOTE_REHELO,            /* TLS up: the client forgets what it learnt and sends EHLO again */
	SMTP_NOTE_MESSAGE_REFUSED,   /* too big, or a line too long */
	SMTP_NOTE_ABORTED,           /* the connection ended in the middle of a transaction */
	SMTP_NOTE_FAILURE,           /* the machine itself failed (out of memory) */
	SMTP_NOTE_AUTH_REQUIRED,     /* the server refuses mail from a client that has not authenticated */
	SMTP_NOTE_QUIRK,             /* a client quirk (a modelled real-world bug) decided what happens next */
};

struct smtp_sink {
	void *ctx;
	/* Takes n bytes for the peer. Returns 0, or -1 when they cannot go out (the actor's
	 * connection failed, e.g. out of memory); the machine then stops. */
	int (*send)(void *ctx, enum smtp_out_kind kind, const uint8_t *p, size_t n);
	/* An actor's decision worth a line in the trace, e.g. "client refuses to continue
	 * without TLS". Sentence for a student, no trailing newline. */
	void (*note)(void *ctx, enum smtp_note kind, const char *text);
};

/* Formats a note (one sentence for a student) and hands it to sink->note, if any. */
void smtp_sink_note(const struct smtp_sink *sink, enum smtp_note kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
