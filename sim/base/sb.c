/* sb: see sb.h. */
#include "sim/base/sb.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

size_t sb_put(char *buf, size_t cap, size_t n, const char *fmt, ...)
{
	if (n >= cap)
		return n;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(buf + n, cap - n, fmt, ap);
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
	while (*t)
		sb_putc(s, *t++);
}

void sb_printf(struct sb *s, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
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
