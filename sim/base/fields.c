/* fields: see fields.h. */
#include "sim/base/fields.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/buf.h"

void fields_init(struct fields *f)
{
	f->v = NULL;
	f->n = f->cap = 0;
}

void fields_free(struct fields *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	fields_init(f);
}

static int fields_reserve(struct fields *f, size_t more)
{
	return VEC_RESERVE(f->v, f->cap, f->n + more);
}

int fields_add(struct fields *f, int depth, const char *name, const char *fmt, ...)
{
	if (fields_reserve(f, 1))
		return -1;
	va_list ap;
	va_start(ap, fmt);
	char *value = NULL;
	int r = vasprintf(&value, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	char *n = strdup(name);
	if (!n) {
		free(value);
		return -1;
	}
	f->v[f->n].depth = depth;
	f->v[f->n].name = n;
	f->v[f->n].value = value;
	f->v[f->n].has_range = 0;
	f->v[f->n].off = f->v[f->n].len = 0;
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
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->v[i].name, name) == 0)
			return f->v[i].value;
	return NULL;
}

int fields_move(struct fields *dst, struct fields *src, int depth_offset)
{
	if (fields_reserve(dst, src->n))
		return -1;
	for (size_t i = 0; i < src->n; i++) {
		dst->v[dst->n] = src->v[i];
		dst->v[dst->n].depth += depth_offset;
		dst->n++;
	}
	free(src->v);
	fields_init(src);
	return 0;
}
