/* linebuf: the input side shared by the SMTP client and server machines. Bytes wait in
 * p[pos..len) until a whole line is there; p[..inj_end) came in cleartext behind the
 * 220 to STARTTLS and is replayed after the handshake by a vulnerable (KEEP) machine,
 * which records every such line it acts on, for the lesson. */
#ifndef SIM_LINEBUF_H
#define SIM_LINEBUF_H

#include <stddef.h>
#include <stdint.h>

struct linebuf {
	uint8_t *p;
	size_t len, cap, pos, inj_end;
	char **injected;         /* lines taken from before the handshake, as acted on */
	size_t ninjected, injected_cap;
};

/* Appends n bytes. Returns 0, or -1 when out of memory (nothing appended). */
int linebuf_append(struct linebuf *b, const uint8_t *data, size_t n);
/* Drops the consumed bytes p[..pos), keeping inj_end pointing at the same byte. */
void linebuf_compact(struct linebuf *b);
/* Keeps a copy of a line that came from before the handshake. Out of memory only
 * loses the record, never the session. */
void linebuf_record_injected(struct linebuf *b, const char *line, size_t len);
void linebuf_free(struct linebuf *b);

#endif
