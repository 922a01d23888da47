/* fields: see fields.h. */
#include "sim/base/fields.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/buf.h"
#include "sim/base/sb.h"

/* A block of names and values; the newest is fields.text, each points to the one before. */
struct fields_text {
	struct fields_text *prev;
	size_t used, cap;
	char data[];
};

#define TEXT_FIRST 256

void fields_init(struct fields *f)
{
	f->v = NULL;
	f->n = f->cap = 0;
	f->text = NULL;
	f->packed = 0;
}

void fields_free(struct fields *f)
{
	if (!f->packed) {
		for (struct fields_text *t = f->text, *prev; t; t = prev) {
			prev = t->prev;
			free(t);
		}
		free(f->v);
	}
	fields_init(f);
}

void fields_clear(struct fields *f)
{
	if (f->packed) {
		fields_init(f);
		return;
	}
	struct fields_text *t = f->text;
	if (t) {
		for (struct fields_text *p = t->prev, *prev; p; p = prev) {
			prev = p->prev;
			free(p);
		}
		t->prev = NULL;
		t->used = 0;
	}
	f->n = 0;
}

size_t fields_packed_size(const struct fields *f)
{
	size_t n = f->n * sizeof *f->v;
	for (size_t i = 0; i < f->n; i++)
		n += strlen(f->v[i].value) + strlen(f->v[i].name) + 2;
	return n;
}

void fields_pack(const struct fields *f, void *mem, struct fields *out)
{
	fields_init(out);
	out->packed = 1;
	if (!f->n) /* nothing to pack (mem may be NULL: no offset may be applied to it) */
		return;
	struct field *v = mem;
	char *text = (char *)(v + f->n);
	for (size_t i = 0; i < f->n; i++) {
		v[i] = f->v[i];
		size_t vl = strlen(f->v[i].value) + 1, nl = strlen(f->v[i].name) + 1;
		v[i].value = memcpy(text, f->v[i].value, vl);
		v[i].name = memcpy(text + vl, f->v[i].name, nl);
		text += vl + nl;
	}
	out->v = v;
	out->n = out->cap = f->n;
}

/* n bytes in the newest block, or in a new one twice the size of the last. */
static char *text_take(struct fields *f, size_t n)
{
	struct fields_text *t = f->text;
	if (!t || t->cap - t->used < n) {
		size_t cap = t ? 2 * t->cap : TEXT_FIRST;
		if (cap < n)
			cap = n;
		struct fields_text *nt = malloc(sizeof *nt + cap);
		if (!nt)
			return NULL;
		nt->prev = t;
		nt->used = 0;
		nt->cap = cap;
		f->text = t = nt;
	}
	char *p = t->data + t->used;
	t->used += n;
	return p;
}

/* Room for `more` fields: 8 at first (most events have fewer), then doubling. */
static int fields_reserve(struct fields *f, size_t more)
{
	return vec_reserve_from((void **)&f->v, &f->cap, f->n + more, sizeof *f->v, 8);
}

/* The first 8 bytes of a name, zero-padded: equal keys and a name shorter than 8
 * bytes mean equal names. */
static uint64_t name_key(const char *name, size_t len)
{
	uint64_t k = 0;
	memcpy(&k, name, len < sizeof k ? len : sizeof k);
	return k;
}

/* n in decimal at the end of buf (at least 21 bytes); returns where it starts. */
static char *decimal(char *end, size_t n)
{
	*--end = '\0';
	do
		*--end = (char)('0' + n % 10);
	while (n /= 10);
	return end;
}

int fields_add(struct fields *f, int depth, const char *name, const char *fmt, ...)
{
	if (f->packed || fields_reserve(f, 1))
		return -1;
	/* The formats nearly every decoder uses go without printf. */
	char small[128], *big = NULL;
	const char *v;
	size_t vlen;
	va_list ap;
	va_start(ap, fmt);
	if (fmt[0] == '%' && fmt[1] == 's' && !fmt[2]) {
		v = va_arg(ap, const char *);
		if (!v)
			v = "(null)"; /* what printf writes */
		vlen = strlen(v);
	} else if (fmt[0] == '%' && fmt[1] == 'z' && fmt[2] == 'u' && !fmt[3]) {
		v = decimal(small + sizeof small, va_arg(ap, size_t));
		vlen = (size_t)(small + sizeof small - 1 - v);
	} else if (fmt[0] == '%' && fmt[1] == 'u' && !fmt[2]) {
		v = decimal(small + sizeof small, va_arg(ap, unsigned));
		vlen = (size_t)(small + sizeof small - 1 - v);
	} else {
		va_list again;
		va_copy(again, ap);
		int r = sb_vformat(small, sizeof small, fmt, ap);
		if (r >= 0 && (size_t)r >= sizeof small && vasprintf(&big, fmt, again) < 0)
			big = NULL, r = -1;
		va_end(again);
		if (r < 0) {
			va_end(ap);
			return -1;
		}
		v = big ? big : small;
		vlen = (size_t)r;
	}
	va_end(ap);
	size_t nlen = strlen(name);
	char *block = text_take(f, vlen + nlen + 2);
	if (!block) {
		free(big);
		return -1;
	}
	memcpy(block, v, vlen);
	block[vlen] = '\0';
	memcpy(block + vlen + 1, name, nlen + 1);
	free(big);
	f->v[f->n].depth = depth;
	f->v[f->n].name = block + vlen + 1;
	f->v[f->n].value = block;
	f->v[f->n].has_range = 0;
	f->v[f->n].off = f->v[f->n].len = 0;
	f->v[f->n].key = name_key(name, nlen);
	f->n++;
	return 0;
}

void fields_last_range(struct fields *f, size_t off, size_t len)
{
	if (!f->n)
		return;
	f->v[f->n - 1].has_range = 1;
	f->v[f->n - 1].off = off;
	f->v[f->n - 1].len = len;
}

void fields_drop_ranges(struct fields *f)
{
	for (size_t i = 0; i < f->n; i++)
		f->v[i].has_range = 0;
}

const char *fields_get(const struct fields *f, const char *name)
{
	size_t len = strlen(name);
	uint64_t key = name_key(name, len);
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].key == key && (len < sizeof key || strcmp(f->v[i].name + sizeof key, name + sizeof key) == 0))
			return f->v[i].value;
	return NULL;
}

int fields_move(struct fields *dst, struct fields *src, int depth_offset)
{
	if (dst->packed || src->packed || fields_reserve(dst, src->n))
		return -1;
	for (size_t i = 0; i < src->n; i++) {
		dst->v[dst->n] = src->v[i];
		dst->v[dst->n].depth += depth_offset;
		dst->n++;
	}
	/* The strings stay in their blocks, which join dst's chain. */
	if (src->text) {
		struct fields_text *oldest = src->text;
		while (oldest->prev)
			oldest = oldest->prev;
		oldest->prev = dst->text;
		dst->text = src->text;
	}
	free(src->v);
	fields_init(src);
	return 0;
}
