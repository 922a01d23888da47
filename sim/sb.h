/* sb: appending formatted text to a caller's fixed buffer, the way every sentence made
 * from facts is built. n is where the text ends so far; the result is the new end, which
 * may pass cap when the text did not fit (later calls then add nothing), so a caller
 * chains calls without checking each one. The buffer stays NUL-terminated. */
#ifndef SIM_SB_H
#define SIM_SB_H

#include <stddef.h>

size_t sb_put(char *buf, size_t cap, size_t n, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
