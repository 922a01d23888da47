/* pipe: see pipe.h. */
#include "sim/wire/pipe.h"

#include <stdlib.h>
#include <string.h>

int pipe_init(struct sim_pipe *p, size_t cap)
{
	memset(p, 0, sizeof *p);
	if (cap == 0)
		return -1;
	p->buf = malloc(cap);
	if (!p->buf)
		return -1;
	p->cap = cap;
	return 0;
}

void pipe_free(struct sim_pipe *p)
{
	free(p->buf);
	memset(p, 0, sizeof *p);
}

size_t pipe_write(struct sim_pipe *p, const uint8_t *data, size_t n)
{
	if (p->closed)
		return 0;
	/* Nothing waits before these bytes: the reader may take them as they are. */
	size_t taken = !p->len && p->direct && n ? p->direct(p->direct_ctx, data, n) : 0;
	size_t space = p->cap - p->len, rest = n - taken;
	if (rest > space)
		rest = space;
	size_t tail = (p->head + p->len) % p->cap;
	size_t first = p->cap - tail < rest ? p->cap - tail : rest;
	memcpy(p->buf + tail, data + taken, first);
	memcpy(p->buf, data + taken + first, rest - first);
	p->len += rest;
	n = taken + rest;
	p->total += n;
	if (p->tap && n)
		p->tap(p->tap_ctx, data, n);
	return n;
}

size_t pipe_peek(const struct sim_pipe *p, uint8_t *out, size_t n)
{
	if (n > p->len)
		n = p->len;
	size_t first = p->cap - p->head < n ? p->cap - p->head : n;
	memcpy(out, p->buf + p->head, first);
	memcpy(out + first, p->buf, n - first);
	return n;
}

size_t pipe_skip(struct sim_pipe *p, size_t n)
{
	if (n > p->len)
		n = p->len;
	p->head = (p->head + n) % p->cap;
	p->len -= n;
	if (p->len == 0)
		p->head = 0;
	return n;
}

size_t pipe_read(struct sim_pipe *p, uint8_t *out, size_t n)
{
	return pipe_skip(p, pipe_peek(p, out, n));
}

size_t pipe_len(const struct sim_pipe *p)
{
	return p->len;
}

size_t pipe_space(const struct sim_pipe *p)
{
	return p->closed ? 0 : p->cap - p->len;
}

void pipe_close(struct sim_pipe *p)
{
	p->closed = 1;
}

int pipe_eof(const struct sim_pipe *p)
{
	return p->closed && p->len == 0;
}
