/* buf: see buf.h. */
#include "sim/base/buf.h"

#include <stdlib.h>
#include <string.h>

int vec_reserve(void **v, size_t *cap, size_t need, size_t elem)
{
	return vec_reserve_from(v, cap, need, elem, 16);
}

int vec_reserve_from(void **v, size_t *cap, size_t need, size_t elem, size_t first)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : first ? first : 1;
	while (c < need) {
		if (c > ((size_t)-1 / 2) / elem)
			return -1;
		c *= 2;
	}
	void *nv = realloc(*v, c * elem);
	if (!nv)
		return -1;
	*v = nv;
	*cap = c;
	return 0;
}

int buf_append(uint8_t **p, size_t *len, size_t *cap, const void *src, size_t n)
{
	if (n == 0)
		return 0;
	if (*len + n < *len || vec_reserve((void **)p, cap, *len + n, 1))
		return -1;
	memcpy(*p + *len, src, n);
	*len += n;
	return 0;
}

void buf_consume(uint8_t *p, size_t *len, size_t n)
{
	if (n >= *len) {
		*len = 0;
		return;
	}
	memmove(p, p + n, *len - n);
	*len -= n;
}
