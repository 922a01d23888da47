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

struct smtp_sink {
	void *ctx;
	void (*send)(void *ctx, enum smtp_out_kind kind, const uint8_t *p, size_t n);
	/* An actor's decision worth a line in the trace, e.g. "client refuses to continue
	 * without TLS". Sentence for a student, no trailing newline. */
	void (*note)(void *ctx, const char *text);
};

/* Formats a note (one sentence for a student) and hands it to sink->note, if any. */
void smtp_sink_note(const struct smtp_sink *sink, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
