/* smtp_parse: SMTP command and reply line syntax (RFC 5321 section 4.1, RFC 3207,
 * RFC 4954), shared by the server state machine, the client and the trace decoder.
 * Lines are passed without their CRLF. Nothing here allocates. */
#ifndef SIM_SMTP_PARSE_H
#define SIM_SMTP_PARSE_H

#include <stddef.h>

#define SMTP_COMMAND_LINE_MAX 512 /* RFC 5321 4.5.3.1.4, including CRLF */
#define SMTP_TEXT_LINE_MAX 1000   /* RFC 5321 4.5.3.1.6, including CRLF */
#define SMTP_REPLY_LINE_MAX 512   /* RFC 5321 4.5.3.1.5, including CRLF */

enum smtp_verb {
	SMTP_VERB_UNKNOWN = 0,
	SMTP_VERB_HELO,
	SMTP_VERB_EHLO,
	SMTP_VERB_MAIL,
	SMTP_VERB_RCPT,
	SMTP_VERB_DATA,
	SMTP_VERB_RSET,
	SMTP_VERB_NOOP,
	SMTP_VERB_QUIT,
	SMTP_VERB_VRFY,
	SMTP_VERB_HELP,
	SMTP_VERB_STARTTLS,
	SMTP_VERB_AUTH,
};

struct smtp_command {
	enum smtp_verb verb;
	char verb_text[16];  /* the verb as sent, upper-cased, truncated */
	const char *arg;     /* points into the line: text after the verb and one space, or "" */
	size_t arg_len;
};

/* Splits a command line into verb and argument. Returns 0, or -1 when the line is
 * empty, has a NUL or bare CR/LF, or the verb is not 1..15 letters. An unknown but
 * well-formed verb returns 0 with SMTP_VERB_UNKNOWN. */
int smtp_parse_command(const char *line, size_t len, struct smtp_command *out);

/* Parses "FROM:<path> [params]" (prefix "FROM:") or "TO:<path> [params]" (prefix "TO:"),
 * prefix matched case-insensitively. Writes the mailbox between the angle brackets
 * (possibly empty, the null reverse-path) NUL-terminated into box. Returns 0, or -1 on
 * a syntax error (missing prefix or brackets, mailbox too long for box, bad characters). */
int smtp_parse_path(const char *arg, size_t len, const char *prefix, char *box, size_t cap);

struct smtp_reply_line {
	int code;         /* 200..599 */
	int last;         /* 1 for "250 text", 0 for "250-text" */
	const char *text; /* points into the line, after the separator */
	size_t text_len;
};

/* Parses one reply line: three digits 2xx-5xx, then ' ', '-' or end of line.
 * Returns 0, or -1 when malformed. */
int smtp_parse_reply_line(const char *line, size_t len, struct smtp_reply_line *out);

const char *smtp_verb_name(enum smtp_verb v);

#endif
