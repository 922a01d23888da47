/* mitm: the attacker's pure helpers, kept apart from the actor so they can be tested
 * and fuzzed on their own. The actor itself is driven through run_internal.h. */
#ifndef SIM_MITM_H
#define SIM_MITM_H

#include <stddef.h>

/* Rewrites a complete EHLO reply (every line with CRLF) without its STARTTLS line,
 * keeping the reply well-formed: when STARTTLS was the last line, the new last line
 * gets "250 " instead of "250-". Writes the result into out (cap >= n is enough).
 * Returns the new length; n when there was nothing to strip; (size_t)-1 when the input
 * is not a multi-line 250 reply. */
size_t mitm_strip_ehlo(const char *reply, size_t n, char *out, size_t cap);

#endif
