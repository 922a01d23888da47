/* smtp_parse: SMTP command and reply line syntax (RFC 5321 section 4.1, RFC 3207,
 * RFC 4954), shared by the server state machine, the client and the trace decoder
 * (decode_smtp_command and decode_smtp_reply take verb, paths and reply codes from
 * here, so the trace never credits a field the endpoint would have refused).
 * Lines are passed without their CRLF. Nothing here allocates.
 *
 * Every parser returns 0 or -1; on -1 the output's `error` field says what is wrong
 * in a short phrase for a person ("space in the mailbox"), a static string. */
#ifndef SIM_SMTP_PARSE_H
#define SIM_SMTP_PARSE_H

#include <stddef.h>

#define SMTP_COMMAND_LINE_MAX 512 /* RFC 5321 4.5.3.1.4, including CRLF */
#define SMTP_TEXT_LINE_MAX 1000   /* RFC 5321 4.5.3.1.6, including CRLF */
#define SMTP_REPLY_LINE_MAX 512   /* RFC 5321 4.5.3.1.5, including CRLF */
#define SMTP_PATH_MAX 256         /* a mailbox buffer with its NUL (RFC 5321 4.5.3.1.3) */

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
	const char *error;   /* NULL, or on -1 what is wrong */
};

/* Splits a command line into verb and argument. Returns 0, or -1 when the line is
 * empty, has a NUL or bare CR/LF, or the verb is not 1..15 letters followed by the end
 * of the line or one space (error "not a command"). An unknown but well-formed verb
 * returns 0 with SMTP_VERB_UNKNOWN. */
int smtp_parse_command(const char *line, size_t len, struct smtp_command *out);

/* Parses "FROM:<path> [params]" (prefix "FROM:") or "TO:<path> [params]" (prefix "TO:"),
 * prefix matched case-insensitively. Writes the mailbox between the angle brackets
 * (possibly empty, the null reverse-path) NUL-terminated into box. Returns 0, or -1 on
 * a syntax error (missing prefix or brackets, mailbox too long for box, bad characters). */
int smtp_parse_path(const char *arg, size_t len, const char *prefix, char *box, size_t cap);

/* The argument of MAIL or RCPT, taken apart. */
struct smtp_path {
	char box[SMTP_PATH_MAX]; /* the mailbox between the brackets; "" is the null path <> */
	const char *params;      /* points into arg: ESMTP parameters after the path and the
				  * spaces that follow it ("SIZE=100"), or "" */
	size_t params_len;
	const char *error;       /* NULL, or on -1 what is wrong */
};

/* MAIL's argument, "FROM:<reverse-path> [params]": smtp_parse_path with prefix "FROM:"
 * and a buffer of SMTP_PATH_MAX, plus where the parameters start. The null reverse-path
 * <> is allowed (RFC 5321 4.5.5). Returns 0, or -1 with out->error set. */
int smtp_parse_mail_from(const char *arg, size_t len, struct smtp_path *out);

/* RCPT's argument, "TO:<forward-path> [params]": the same, except that a forward-path
 * cannot be empty (RFC 5321 4.1.1.3), so "TO:<>" is an error here. This is exactly
 * what the server accepts in RCPT. */
int smtp_parse_rcpt_to(const char *arg, size_t len, struct smtp_path *out);

struct smtp_reply_line {
	int code;         /* 200..599 */
	int last;         /* 1 for "250 text", 0 for "250-text" */
	const char *text; /* points into the line, after the separator */
	size_t text_len;
	const char *error; /* NULL, or on -1 what is wrong */
};

/* Parses one reply line: three digits 2xx-5xx with the second digit 0-5 (RFC 5321
 * 4.2), then ' ', '-' or end of line. Returns 0, or -1 when malformed. */
int smtp_parse_reply_line(const char *line, size_t len, struct smtp_reply_line *out);

const char *smtp_verb_name(enum smtp_verb v);

#endif
