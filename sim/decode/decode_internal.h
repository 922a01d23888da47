/* decode_internal: what the decoder's files share and nobody else sees: the bounded
 * reader over wire bytes (no length on the wire is ever trusted), the summary and error
 * helpers (every failure names what was being read), code-to-name tables, and the
 * code-to-text helpers of decode_names.c. */
#ifndef SIM_DECODE_INTERNAL_H
#define SIM_DECODE_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/decode/decode.h"
#include "sim/base/sb.h"

static inline void say(char *summary, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline void say(char *summary, size_t cap, const char *fmt, ...)
{
	if (!summary || cap == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	sb_vformat(summary, cap, fmt, ap); /* vsnprintf's text, without stdio for the usual conversions */
	va_end(ap);
}

/* Records the error as a field and as the summary ("ClientHello: truncated at ...");
 * returns -1 so callers can `return fail(...)`. */
static inline int fail(struct fields *f, char *summary, size_t cap, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static inline int fail(struct fields *f, char *summary, size_t cap, const char *what, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	sb_vformat(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fields_add(f, 0, "error", "%s", msg);
	say(summary, cap, "%s: %s", what, msg);
	return -1;
}

static inline const char *hexstr(char *buf, size_t cap, const uint8_t *p, size_t n)
{
	struct sb s;
	sb_init(&s, buf, cap);
	sb_hex(&s, p, n, 0);
	return buf;
}

static inline const char *textstr(char *buf, size_t cap, const void *p, size_t n)
{
	struct sb s;
	sb_init(&s, buf, cap);
	sb_text(&s, p, n);
	return buf;
}

/* Bounded reader over wire bytes. base is the start of the bytes being decoded (the
 * event's own), so that a field can say where its bytes lie; sub-readers share it. */
struct rd {
	const uint8_t *p;
	size_t n;
	const uint8_t *base;
};

/* The last field added shows len bytes at at (inside r's bytes). */
static inline void rd_mark(struct fields *f, const struct rd *r, const uint8_t *at, size_t len)
{
	if (r->base && at && at >= r->base)
		fields_last_range(f, (size_t)(at - r->base), len);
}

/* The last field added shows the bytes read from r since from. */
static inline void rd_mark_since(struct fields *f, const struct rd *r, const uint8_t *from)
{
	if (from && r->p >= from)
		rd_mark(f, r, from, (size_t)(r->p - from));
}

static inline size_t rd_left(const struct rd *r)
{
	return r->n;
}

static inline int rd_bytes(struct rd *r, size_t len, const uint8_t **out)
{
	if (len > r->n)
		return -1;
	*out = r->p;
	r->p += len;
	r->n -= len;
	return 0;
}

static inline int rd_uint(struct rd *r, size_t len, unsigned *v)
{
	const uint8_t *b;
	if (rd_bytes(r, len, &b))
		return -1;
	*v = 0;
	for (size_t i = 0; i < len; i++)
		*v = *v << 8 | b[i];
	return 0;
}

static inline int rd_u8(struct rd *r, unsigned *v) { return rd_uint(r, 1, v); }
static inline int rd_u16(struct rd *r, unsigned *v) { return rd_uint(r, 2, v); }

/* A vector with a lenbytes-byte length prefix, as a sub-reader. */
static inline int rd_vec(struct rd *r, size_t lenbytes, struct rd *sub)
{
	unsigned len;
	if (rd_uint(r, lenbytes, &len) || rd_bytes(r, len, &sub->p))
		return -1;
	sub->n = len;
	sub->base = r->base;
	return 0;
}

/* A code-to-name table. */
struct code_name {
	unsigned code;
	const char *name;
};

static inline const char *lookup(const struct code_name *t, size_t n, unsigned code)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}
#define LOOKUP(table, code) lookup(table, sizeof table / sizeof *table, code)

/* The same in a table sorted by code (test_decode checks that it is). */
static inline const char *lookup_sorted(const struct code_name *t, size_t n, unsigned code)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t[mid].code == code)
			return t[mid].name;
		if (t[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
#define LOOKUP_SORTED(table, code) lookup_sorted(table, sizeof table / sizeof *table, code)

/* decode_names.c: name, or "unknown (0x1a2b)" written into buf; and never-NULL texts. */
const char *decode_orhex(const char *name, unsigned code, int digits, char *buf, size_t cap);
int decode_is_grease(unsigned v);
const char *decode_version_text(unsigned v, char *buf, size_t cap);
const char *decode_suite_text(unsigned s, char *buf, size_t cap);
const char *decode_group_text(unsigned g, char *buf, size_t cap);
const char *decode_sigalg_text(unsigned a, char *buf, size_t cap);
const char *decode_alert_or_null(unsigned desc);   /* NULL when unknown */

#endif
