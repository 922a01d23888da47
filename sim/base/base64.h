/* base64 (RFC 4648) as AUTH PLAIN/LOGIN use it: the lesson is that it is an encoding,
 * not encryption, so the same functions serve the client, the server and the decoder. */
#ifndef SIM_BASE64_H
#define SIM_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Size of the encoding of n bytes, without the terminating NUL. */
size_t base64_encoded_len(size_t n);
/* Writes the encoding and a NUL into out (cap >= base64_encoded_len(n) + 1).
 * Returns the length written, or 0 when cap is too small. */
size_t base64_encode(const uint8_t *in, size_t n, char *out, size_t cap);
/* Decodes text (padding required, no whitespace) into out. Returns the decoded length,
 * or -1 when text is not valid base64 or out is too small. */
long base64_decode(const char *text, size_t len, uint8_t *out, size_t cap);

#endif
