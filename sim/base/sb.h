/* sb: appending formatted text to a caller's fixed buffer, the way every sentence made
 * from facts is built. n is where the text ends so far; the result is the new end, which
 * may pass cap when the text did not fit (later calls then add nothing), so a caller
 * chains calls without checking each one. The buffer stays NUL-terminated. */
#ifndef SIM_SB_H
#define SIM_SB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

size_t sb_put(char *buf, size_t cap, size_t n, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* vsnprintf, with the same result (the length it would have written, at most cap - 1
 * bytes and a NUL written), made without stdio for the conversions prose and decoded
 * fields use most: %s, %c, %d, %u, %zu and %% without flags, width or precision. A
 * format with any other conversion goes to vsnprintf. */
int sb_vformat(char *buf, size_t cap, const char *fmt, va_list ap);

/* A bounded builder over a caller's buffer, for decoders: appends what fits, keeps the
 * text NUL-terminated, and when something does not fit ends the text with "..." so a
 * reader knows the value was longer. */
struct sb {
	char *p;
	size_t cap, len;
	int cut;
};

void sb_init(struct sb *s, char *p, size_t cap);
void sb_putc(struct sb *s, char c);
void sb_puts(struct sb *s, const char *t);
void sb_printf(struct sb *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Printable ASCII as is, everything else (and the backslash) as \xNN: values go to a
 * terminal and to JSON whatever the wire or a certificate says. */
void sb_text(struct sb *s, const uint8_t *t, size_t n);
/* Lowercase hex, with sep between bytes when sep is not 0. */
void sb_hex(struct sb *s, const uint8_t *t, size_t n, char sep);

#endif
