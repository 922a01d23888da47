/* fuzz_common: small checks shared by the libFuzzer targets. Every target copies its
 * input into a buffer of exactly that size (no NUL after it), so that any read past
 * the length the decoders were given is an AddressSanitizer report. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/fields.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant: says which one broke, then aborts so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond, what)                                                     \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "invariant broken: %s (%s:%d)\n", what, __FILE__, __LINE__); \
			abort();                                                     \
		}                                                                    \
	} while (0)

static inline char *fuzz_dup(const uint8_t *p, size_t n)
{
	char *b = malloc(n ? n : 1);
	if (!b)
		abort();
	if (n)
		memcpy(b, p, n);
	return b;
}

/* A decoder's output: a NUL-terminated summary within cap, fields with names and
 * values, depths that never jump by more than one level. */
static inline void fuzz_check_output(const struct fields *f, const char *summary, size_t cap)
{
	if (!memchr(summary, '\0', cap))
		abort();
	int prev = -1;
	for (size_t i = 0; i < f->n; i++) {
		const struct field *x = &f->v[i];
		if (!x->name || !x->value || x->depth < 0 || x->depth > prev + 1)
			abort();
		(void)strlen(x->name);
		(void)strlen(x->value);
		prev = x->depth;
	}
}

/* Every byte range a decoder gave lies inside the n bytes it read. */
static inline void fuzz_check_ranges(const struct fields *f, size_t n)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].has_range && (f->v[i].off > n || f->v[i].len > n - f->v[i].off))
			abort();
}

#endif
