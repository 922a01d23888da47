/* smtp_parse: the syntax of SMTP command and reply lines (RFC 5321 4.1), kept apart
 * from the state machines so that the client, the server and the trace decoder
 * (sim/decode/decode_smtp.c) agree on what a well-formed line is: the decoder takes its verbs, paths
 * and reply codes from here. Nothing here allocates or keeps state. */
#include "sim/smtp/smtp_parse.h"

#include <string.h>

static const struct {
	enum smtp_verb verb;
	const char *name;
} verbs[] = {
	{ SMTP_VERB_HELO, "HELO" },
	{ SMTP_VERB_EHLO, "EHLO" },
	{ SMTP_VERB_MAIL, "MAIL" },
	{ SMTP_VERB_RCPT, "RCPT" },
	{ SMTP_VERB_DATA, "DATA" },
	{ SMTP_VERB_RSET, "RSET" },
	{ SMTP_VERB_NOOP, "NOOP" },
	{ SMTP_VERB_QUIT, "QUIT" },
	{ SMTP_VERB_VRFY, "VRFY" },
	{ SMTP_VERB_HELP, "HELP" },
	{ SMTP_VERB_STARTTLS, "STARTTLS" },
	{ SMTP_VERB_AUTH, "AUTH" },
};

static int is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static char to_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* Control characters inside a line would let one line smuggle a second one into the
 * trace or into a peer that splits differently; refuse them outright. */
static int has_line_breaks_or_nul(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (line[i] == '\0' || line[i] == '\r' || line[i] == '\n')
			return 1;
	return 0;
}

int smtp_parse_command(const char *line, size_t len, struct smtp_command *out)
{
	if (!out)
		return -1;
	out->error = NULL;
	if (!line || len == 0) {
		out->error = "empty line";
		return -1;
	}
	if (has_line_breaks_or_nul(line, len)) {
		out->error = "NUL, CR or LF inside the line";
		return -1;
	}
	size_t v = 0;
	while (v < len && is_alpha((unsigned char)line[v]))
		v++;
	/* The verb must end the line or be followed by exactly the one space RFC 5321
	 * 4.1.1 puts between verb and argument. */
	if (v == 0 || v >= sizeof out->verb_text || (v < len && line[v] != ' ')) {
		out->error = "not a command";
		return -1;
	}
	for (size_t i = 0; i < v; i++)
		out->verb_text[i] = to_upper(line[i]);
	out->verb_text[v] = '\0';
	out->verb = SMTP_VERB_UNKNOWN;
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (strcmp(out->verb_text, verbs[i].name) == 0)
			out->verb = verbs[i].verb;
	if (v < len) {
		out->arg = line + v + 1;
		out->arg_len = len - v - 1;
	} else {
		out->arg = line + len; /* points at "", never past the caller's buffer */
		out->arg_len = 0;
	}
	return 0;
}

/* Characters allowed in the mailbox we store: printable ASCII without the brackets
 * and the space, which would make the path ambiguous. Quoted local parts with spaces
 * are legal in RFC 5321 but nothing in the simulator needs them. */
static int is_box_char(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '<' && c != '>';
}

/* The one path grammar behind smtp_parse_path, smtp_parse_mail_from and
 * smtp_parse_rcpt_to. Returns NULL and sets *params_at (the offset of the parameters
 * in arg, len when there are none), or what is wrong; no_prefix when arg does not
 * start with prefix. */
static const char *path(const char *arg, size_t len, const char *prefix, const char *no_prefix, char *box,
			size_t cap, size_t *params_at)
{
	if (!arg || !prefix || !box || cap == 0)
		return "no argument";
	if (len && arg[0] == ' ')
		return "more than one space after the verb";
	size_t plen = strlen(prefix);
	if (len < plen)
		return no_prefix;
	for (size_t i = 0; i < plen; i++)
		if (to_upper(arg[i]) != to_upper(prefix[i]))
			return no_prefix;
	size_t i = plen;
	/* RFC 5321 allows no space after the colon, but many clients send one and
	 * common servers accept it; being lenient here costs nothing. */
	while (i < len && arg[i] == ' ')
		i++;
	if (i >= len || arg[i] != '<')
		return "path is not in angle brackets";
	i++;
	size_t start = i;
	while (i < len && arg[i] != '>') {
		unsigned char c = (unsigned char)arg[i];
		if (c == ' ')
			return "space in the mailbox";
		if (c == '<')
			return "'<' inside the path";
		if (!is_box_char(c))
			return "control or non-ASCII byte in the mailbox";
		i++;
	}
	if (i >= len)
		return "path has no closing '>'";
	size_t blen = i - start;
	if (blen + 1 > cap)
		return "mailbox too long";
	i++; /* past '>' */
	/* After the path: nothing, or a space and ESMTP parameters (RFC 5321 4.1.2). */
	if (i < len) {
		if (arg[i] != ' ')
			return "no space between the path and the parameters";
		for (size_t k = i; k < len; k++)
			if ((unsigned char)arg[k] < ' ' || (unsigned char)arg[k] >= 0x7f)
				return "control or non-ASCII byte in the parameters";
		while (i < len && arg[i] == ' ')
			i++;
	}
	memcpy(box, arg + start, blen);
	box[blen] = '\0';
	*params_at = i;
	return NULL;
}

int smtp_parse_path(const char *arg, size_t len, const char *prefix, char *box, size_t cap)
{
	size_t at;
	return path(arg, len, prefix, "missing prefix", box, cap, &at) ? -1 : 0;
}

static int envelope_path(const char *arg, size_t len, int rcpt, struct smtp_path *out)
{
	if (!out)
		return -1;
	size_t at = 0;
	out->box[0] = '\0';
	out->params = "";
	out->params_len = 0;
	out->error = rcpt ? path(arg, len, "TO:", "no \"TO:\" before the path", out->box, sizeof out->box, &at)
			  : path(arg, len, "FROM:", "no \"FROM:\" before the path", out->box, sizeof out->box, &at);
	/* RFC 5321 4.1.1.3: only the reverse-path may be null. */
	if (!out->error && rcpt && out->box[0] == '\0')
		out->error = "empty forward-path: <> is only for MAIL FROM";
	if (out->error) {
		out->box[0] = '\0';
		return -1;
	}
	out->params = arg + at;
	out->params_len = len - at;
	return 0;
}

int smtp_parse_mail_from(const char *arg, size_t len, struct smtp_path *out)
{
	return envelope_path(arg, len, 0, out);
}

int smtp_parse_rcpt_to(const char *arg, size_t len, struct smtp_path *out)
{
	return envelope_path(arg, len, 1, out);
}

int smtp_parse_reply_line(const char *line, size_t len, struct smtp_reply_line *out)
{
	if (!out)
		return -1;
	out->error = NULL;
	if (!line || len < 3) {
		out->error = "does not start with a 3-digit code";
		return -1;
	}
	if (has_line_breaks_or_nul(line, len)) {
		out->error = "NUL, CR or LF inside the line";
		return -1;
	}
	for (int k = 0; k < 3; k++)
		if (line[k] < '0' || line[k] > '9') {
			out->error = "does not start with a 3-digit code";
			return -1;
		}
	/* RFC 5321 4.2: the first digit is 2..5, the second 0..5, the third any digit. */
	if (line[0] < '2' || line[0] > '5') {
		out->error = "not a reply code: the first digit is 2 to 5 (RFC 5321 4.2.1)";
		return -1;
	}
	if (line[1] > '5') {
		out->error = "not a reply code: the second digit is 0 to 5 (RFC 5321 4.2.1)";
		return -1;
	}
	if (len > 3 && line[3] != ' ' && line[3] != '-') {
		out->error = "no space or '-' after the code";
		return -1;
	}
	out->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (len == 3) {
		out->last = 1;
		out->text = line + 3;
		out->text_len = 0;
		return 0;
	}
	out->last = line[3] == ' ';
	out->text = line + 4;
	out->text_len = len - 4;
	return 0;
}

const char *smtp_verb_name(enum smtp_verb v)
{
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return "UNKNOWN";
}
