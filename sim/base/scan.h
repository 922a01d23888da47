/* scan: finding the few bytes of mail text that need a look, at memory speed. A message
 * is long runs of ordinary CRLF lines; what the SMTP client and server must act on is
 * rare: a "." at the start of a line (dot-stuffing, the end of data) and an LF without
 * a CR before it (a bare line end, which becomes CRLF). These helpers skip the ordinary
 * runs a vector at a time, so a 25 MB body costs a pass at memory speed rather than a
 * function call per line. Pure functions over the caller's bytes; nothing is kept. */
#ifndef SIM_SCAN_H
#define SIM_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* The first i in [from, n) where text[i] is a mark: a "." that starts a line (i == 0 or
 * text[i-1] == '\n') or an LF without a CR before it (i == 0 or text[i-1] != '\r').
 * Returns n when there is none. text[0] is taken to start a line, and text[from-1] is
 * read when from > 0: pass the text from a line start, not a slice of it. */
size_t scan_text_mark(const uint8_t *text, size_t from, size_t n);

/* text[0..n) starts a line and ends with an LF. Returns the offset of the first line
 * longer than max bytes (LF included), or n when none is. max > 0. */
size_t scan_long_line(const uint8_t *text, size_t n, size_t max);

/* What a server reading message text needs of text[0..n) (which starts a line) in one
 * pass: returns the first mark, as scan_text_mark(text, 0, n); *run is how many bytes
 * the complete lines before it take (up to the last LF before the mark; 0 when none);
 * *too_long is 1 when one of those lines is longer than max bytes (LF included), as
 * scan_long_line(text, *run, max) < *run says. max > 0. */
size_t scan_text_run(const uint8_t *text, size_t n, size_t max, size_t *run, int *too_long);

/* How many LF bytes text[0..n) holds: the lines that end in it. */
size_t scan_count_lf(const uint8_t *text, size_t n);

#endif
