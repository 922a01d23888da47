/* fuzz_smtp_reply: the server side of SMTP as the client and the trace decoder read it.
 * Lines split at LF (CR dropped) go through smtp_parse_reply_line, whose results are
 * checked against the line, and decode_smtp_reply with one context across lines; a
 * line that is not a reply is fed to decode_smtp_command on the same context, as the
 * client's answer to a 334 would be. */
#include "fuzz_common.h"
#include "sim/decode/decode.h"
#include "sim/smtp/smtp_parse.h"

static void one_line(struct decode_smtp_ctx *ctx, const char *line, size_t n)
{
	struct fields f;
	char summary[DECODE_SUMMARY_MAX];
	struct smtp_reply_line r;
	fields_init(&f);
	if (smtp_parse_reply_line(line, n, &r) == 0) {
		if (r.code < 200 || r.code > 599 || (r.last != 0 && r.last != 1))
			abort();
		if (r.text < line || r.text + r.text_len > line + n)
			abort();
		decode_smtp_reply(ctx, line, n, &f, summary, sizeof summary);
	} else if (n && line[0] >= '0' && line[0] <= '9') {
		decode_smtp_reply(ctx, line, n, &f, summary, sizeof summary);
	} else {
		decode_smtp_command(ctx, line, n, &f, summary, sizeof summary);
	}
	fuzz_check_output(&f, summary, sizeof summary);
	fields_free(&f);
	fields_init(&f);
	size_t cap = 1 + n % sizeof summary;
	decode_smtp_reply(NULL, line, n, &f, summary, cap);
	fuzz_check_output(&f, summary, cap);
	fields_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decode_smtp_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	size_t start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		size_t n = i - start;
		if (n && data[start + n - 1] == '\r')
			n--;
		char *line = fuzz_dup(data + start, n);
		one_line(&ctx, line, n);
		free(line);
		start = i + 1;
	}
	return 0;
}
