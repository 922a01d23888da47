/* fuzz_mitm_ehlo: the attacker's EHLO rewrite (mitm_strip_ehlo) on arbitrary replies.
 * Invariants:
 *   - it never writes past cap (out is a buffer of exactly cap bytes) and returns
 *     (size_t)-1 or a length <= the input length and <= cap;
 *   - what it returns contains no line the client would take for STARTTLS (the client,
 *     sim/smtp_client.c parse_cap, reads the keyword of every line after the first up
 *     to a space or '=', case-insensitively);
 *   - when the input is a well-formed multi-line 250 reply (CRLF lines, each accepted by
 *     smtp_parse_reply_line with code 250, "250-" on all but the last, "250 " on the
 *     last), it is not refused, and the output is a well-formed 250 reply again. */
#include "fuzz_common.h"
#include "sim/attack/mitm.h"
#include "sim/smtp/smtp_parse.h"

#include <strings.h>

/* Number of lines of a well-formed 250 reply, or 0. */
static size_t valid_250(const char *p, size_t n)
{
	size_t pos = 0, lines = 0;
	if (n == 0)
		return 0;
	while (pos < n) {
		const char *nl = memchr(p + pos, '\n', n - pos);
		if (!nl)
			return 0;
		size_t end = (size_t)(nl - p);
		if (end == pos || p[end - 1] != '\r')
			return 0;
		size_t len = end - 1 - pos;
		struct smtp_reply_line r;
		if (len < 4 || smtp_parse_reply_line(p + pos, len, &r) || r.code != 250)
			return 0;
		if (r.last != (end + 1 == n))
			return 0;
		lines++;
		pos = end + 1;
	}
	return lines;
}

/* Does any line after the first advertise STARTTLS, as the client reads it? */
static int offers_starttls(const char *p, size_t n)
{
	size_t pos = 0, line = 0;
	while (pos < n) {
		const char *nl = memchr(p + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - p) : n;
		size_t len = end - pos;
		while (len && (p[pos + len - 1] == '\r' || p[pos + len - 1] == '\n'))
			len--;
		if (line > 0 && len >= 4) {
			const char *t = p + pos + 4;
			size_t tl = len - 4, k = 0;
			while (k < tl && t[k] != ' ' && t[k] != '=')
				k++;
			if (k == 8 && !strncasecmp(t, "STARTTLS", 8))
				return 1;
		}
		line++;
		pos = end + 1;
	}
	return 0;
}

static size_t strip(const char *in, size_t n, size_t cap, char **outp)
{
	char *out = malloc(cap ? cap : 1);
	if (!out)
		abort();
	size_t r = mitm_strip_ehlo(in, n, cap ? out : out, cap);
	FUZZ_CHECK(r == (size_t)-1 || (r <= n && r <= cap), "output no longer than input and cap");
	*outp = out;
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_dup(data, size);
	char *out;
	size_t r = strip(in, size, size, &out);
	size_t lines = valid_250(in, size);
	if (r != (size_t)-1)
		FUZZ_CHECK(!offers_starttls(out, r), "no line the client reads as STARTTLS is left");
	if (lines >= 2) {
		FUZZ_CHECK(r != (size_t)-1, "a well-formed multi-line 250 reply is accepted");
		FUZZ_CHECK(valid_250(out, r), "the rewritten reply is a well-formed 250 reply");
	}
	free(out);
	if (size) { /* too small an output buffer: refused or fitted, never overrun */
		r = strip(in, size, size - 1, &out);
		free(out);
	}
	free(in);
	return 0;
}
