/* linebuf: see linebuf.h. */
#include "linebuf.h"

#include <stdlib.h>
#include <string.h>

int linebuf_append(struct linebuf *b, const uint8_t *data, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *q = realloc(b->p, cap);
		if (!q)
			return -1;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

void linebuf_compact(struct linebuf *b)
{
	if (b->pos == 0)
		return;
	memmove(b->p, b->p + b->pos, b->len - b->pos);
	b->len -= b->pos;
	b->inj_end = b->inj_end > b->pos ? b->inj_end - b->pos : 0;
	b->pos = 0;
}

void linebuf_record_injected(struct linebuf *b, const char *line, size_t len)
{
	if (b->ninjected == b->injected_cap) {
		size_t cap = b->injected_cap ? b->injected_cap * 2 : 4;
		char **v = realloc(b->injected, cap * sizeof *v);
		if (!v)
			return;
		b->injected = v;
		b->injected_cap = cap;
	}
	char *d = malloc(len + 1);
	if (!d)
		return;
	memcpy(d, line, len);
	d[len] = '\0';
	b->injected[b->ninjected++] = d;
}

void linebuf_free(struct linebuf *b)
{
	free(b->p);
	for (size_t i = 0; i < b->ninjected; i++)
		free(b->injected[i]);
	free(b->injected);
	memset(b, 0, sizeof *b);
}
