/* sb: see sb.h. */
#include "sim/base/sb.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The conversion at f (just after a '%'): its length, 0 when sb_vformat leaves it to
 * vsnprintf. */
static size_t plain_conversion(const char *f)
{
	switch (f[0]) {
	case 's': case 'c': case 'd': case 'u': case '%':
		return 1;
	case 'z':
		return f[1] == 'u' ? 2 : 0;
	default:
		return 0;
	}
}

/* Appends n bytes to the output (as much as fits), counting them all. */
struct out {
	char *buf;
	size_t cap, len;
};

static void out_put(struct out *o, const char *p, size_t n)
{
	if (o->len + 1 < o->cap) {
		size_t room = o->cap - 1 - o->len;
		memcpy(o->buf + o->len, p, n < room ? n : room);
	}
	o->len += n;
}

static void out_decimal(struct out *o, unsigned long long v, int negative)
{
	char d[24], *e = d + sizeof d, *p = e;
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	if (negative)
		*--p = '-';
	out_put(o, p, (size_t)(e - p));
}

int sb_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
	/* One pass; a conversion it does not know hands the whole format to vsnprintf, with
	 * the arguments as they were at the start. */
	va_list start;
	va_copy(start, ap);
	struct out o = { buf, cap, 0 };
	const char *f = fmt;
	for (;;) {
		const char *pct = strchrnul(f, '%');
		out_put(&o, f, (size_t)(pct - f));
		if (!*pct)
			break;
		if (!plain_conversion(pct + 1)) {
			int r = vsnprintf(buf, cap, fmt, start);
			va_end(start);
			return r;
		}
		switch (pct[1]) {
		case 's': {
			const char *a = va_arg(ap, const char *);
			if (!a)
				a = "(null)";
			out_put(&o, a, strlen(a));
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			out_put(&o, &c, 1);
			break;
		}
		case 'd': {
			int v = va_arg(ap, int);
			out_decimal(&o, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v, v < 0);
			break;
		}
		case 'u':
			out_decimal(&o, va_arg(ap, unsigned), 0);
			break;
		case 'z':
			out_decimal(&o, va_arg(ap, size_t), 0);
			break;
		default: /* %% */
			out_put(&o, "%", 1);
			break;
		}
		f = pct + 1 + plain_conversion(pct + 1);
	}
	va_end(start);
	if (cap)
		buf[o.len < cap ? o.len : cap - 1] = '\0';
	return o.len > (size_t)2147483647 ? -1 : (int)o.len;
}

size_t sb_put(char *buf, size_t cap, size_t n, const char *fmt, ...)
{
	if (n >= cap)
		return n;
	va_list ap;
	va_start(ap, fmt);
	int k = sb_vformat(buf + n, cap - n, fmt, ap);
	va_end(ap);
	return k < 0 ? n : n + (size_t)k;
}

void sb_init(struct sb *s, char *p, size_t cap)
{
	s->p = p;
	s->cap = cap;
	s->len = 0;
	s->cut = 0;
	if (cap)
		p[0] = '\0';
}

void sb_putc(struct sb *s, char c)
{
	if (s->len + 1 < s->cap) {
		s->p[s->len++] = c;
		s->p[s->len] = '\0';
	} else if (!s->cut && s->cap >= 4) {
		s->cut = 1;
		memcpy(s->p + s->cap - 4, "...", 4);
		s->len = s->cap - 1;
	}
}

void sb_puts(struct sb *s, const char *t)
{
	/* What fits goes at once; the first byte that does not is sb_putc's to cut. */
	size_t n = strlen(t), room = s->len + 1 < s->cap ? s->cap - 1 - s->len : 0;
	size_t k = n < room ? n : room;
	if (k) {
		memcpy(s->p + s->len, t, k);
		s->len += k;
		s->p[s->len] = '\0';
	}
	if (k < n)
		sb_putc(s, t[k]);
}

void sb_printf(struct sb *s, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	sb_vformat(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	sb_puts(s, tmp);
}

void sb_text(struct sb *s, const uint8_t *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i] >= 0x20 && t[i] < 0x7f && t[i] != '\\')
			sb_putc(s, (char)t[i]);
		else
			sb_printf(s, "\\x%02x", t[i]);
	}
}

void sb_hex(struct sb *s, const uint8_t *t, size_t n, char sep)
{
	static const char hexd[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		if (sep && i)
			sb_putc(s, sep);
		sb_putc(s, hexd[t[i] >> 4]);
		sb_putc(s, hexd[t[i] & 15]);
	}
}
