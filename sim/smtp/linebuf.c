/* linebuf: see linebuf.h. */
#include "sim/smtp/linebuf.h"

#include <stdlib.h>
#include <string.h>

#include "sim/base/buf.h"

int linebuf_append(struct linebuf *b, const uint8_t *data, size_t n)
{
	return buf_append(&b->p, &b->len, &b->cap, data, n);
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
	if (VEC_RESERVE(b->injected, b->injected_cap, b->ninjected + 1))
		return;
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
