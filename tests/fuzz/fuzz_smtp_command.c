/* fuzz_smtp_command: the client side of SMTP as the server and the trace decoder read
 * it. The input is split into lines at LF (a CR before it is dropped, like the server
 * does); each line goes through smtp_parse_command, smtp_parse_path for MAIL and RCPT
 * (with a mailbox buffer whose size the line's length picks, to exercise the bounds),
 * and decode_smtp_command with one context carried across lines, so AUTH LOGIN
 * exchanges are followed. A line starting "334" is fed to decode_smtp_reply on the same
 * context, as the server's challenge would be. The tail after a line "." also goes to
 * decode_smtp_body. */
#include <stdio.h>

#include "fuzz_common.h"
#include "sim/decode/decode.h"
#include "sim/smtp/smtp_parse.h"

static void one_line(struct decode_smtp_ctx *ctx, const char *line, size_t n)
{
	struct fields f;
	char summary[DECODE_SUMMARY_MAX];
	fields_init(&f);
	if (n >= 3 && !memcmp(line, "334", 3)) {
		decode_smtp_reply(ctx, line, n, &f, summary, sizeof summary);
		fuzz_check_output(&f, summary, sizeof summary);
		fields_free(&f);
		return;
	}
	struct smtp_command cmd;
	if (smtp_parse_command(line, n, &cmd) == 0) {
		if (!memchr(cmd.verb_text, '\0', sizeof cmd.verb_text))
			abort();
		if (cmd.arg < line || cmd.arg + cmd.arg_len > line + n)
			abort();
		if (cmd.verb == SMTP_VERB_MAIL || cmd.verb == SMTP_VERB_RCPT) {
			char box[300];
			size_t cap = 1 + n % sizeof box;
			const char *prefix = cmd.verb == SMTP_VERB_MAIL ? "FROM:" : "TO:";
			memset(box, 'x', sizeof box);
			if (smtp_parse_path(cmd.arg, cmd.arg_len, prefix, box, cap) == 0) {
				size_t bl = strnlen(box, cap);
				if (bl >= cap)
					abort();
				for (size_t i = 0; i < bl; i++)
					if ((unsigned char)box[i] <= ' ' || box[i] == '<' || box[i] == '>')
						abort();
			}
		}
	}
	/* decode without ctx too: the first line of a session */
	decode_smtp_command(ctx, line, n, &f, summary, sizeof summary);
	fuzz_check_output(&f, summary, sizeof summary);
	fields_free(&f);
	fields_init(&f);
	decode_smtp_command(NULL, line, n, &f, summary, 1 + n % sizeof summary);
	fuzz_check_output(&f, summary, 1 + n % sizeof summary);
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
		int dot = n == 1 && line[0] == '.';
		free(line);
		start = i + 1;
		if (dot && start < size) {
			/* a DATA body: everything after the "." line, as one piece */
			char *body = fuzz_dup(data + start, size - start);
			struct fields f;
			char summary[DECODE_SUMMARY_MAX];
			fields_init(&f);
			decode_smtp_body((const uint8_t *)body, size - start, &f, summary, sizeof summary);
			fuzz_check_output(&f, summary, sizeof summary);
			fields_free(&f);
			free(body);
		}
	}
	return 0;
}
