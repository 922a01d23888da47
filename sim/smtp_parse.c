/* smtp_parse: the syntax of SMTP command and reply lines (RFC 5321 4.1), kept apart
 * from the state machines so that the client, the server and the trace decoder agree
 * on what a well-formed line is. Nothing here allocates or keeps state. */
#include "smtp_parse.h"

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
	if (!line || !out || len == 0 || has_line_breaks_or_nul(line, len))
		return -1;
	size_t v = 0;
	while (v < len && is_alpha((unsigned char)line[v]))
		v++;
	/* The verb must end the line or be followed by exactly the one space RFC 5321
	 * 4.1.1 puts between verb and argument. */
	if (v == 0 || v >= sizeof out->verb_text || (v < len && line[v] != ' '))
		return -1;
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

int smtp_parse_path(const char *arg, size_t len, const char *prefix, char *box, size_t cap)
{
	if (!arg || !prefix || !box || cap == 0)
		return -1;
	size_t plen = strlen(prefix);
	if (len < plen)
		return -1;
	for (size_t i = 0; i < plen; i++)
		if (to_upper(arg[i]) != to_upper(prefix[i]))
			return -1;
	size_t i = plen;
	/* RFC 5321 allows no space after the colon, but many clients send one and
	 * common servers accept it; being lenient here costs nothing. */
	while (i < len && arg[i] == ' ')
		i++;
	if (i >= len || arg[i] != '<')
		return -1;
	i++;
	size_t start = i;
	while (i < len && arg[i] != '>') {
		if (!is_box_char((unsigned char)arg[i]))
			return -1;
		i++;
	}
	if (i >= len)
		return -1; /* no closing bracket */
	size_t blen = i - start;
	if (blen + 1 > cap)
		return -1;
	i++; /* past '>' */
	/* After the path: nothing, or a space and ESMTP parameters (RFC 5321 4.1.2). */
	if (i < len) {
		if (arg[i] != ' ')
			return -1;
		for (size_t k = i; k < len; k++)
			if ((unsigned char)arg[k] < ' ' || (unsigned char)arg[k] >= 0x7f)
				return -1;
	}
	memcpy(box, arg + start, blen);
	box[blen] = '\0';
	return 0;
}

int smtp_parse_reply_line(const char *line, size_t len, struct smtp_reply_line *out)
{
	if (!line || !out || len < 3 || has_line_breaks_or_nul(line, len))
		return -1;
	/* RFC 5321 4.2: the first digit is 2..5, the second 0..5, the third any digit. */
	if (line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '5' ||
	    line[2] < '0' || line[2] > '9')
		return -1;
	out->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (len == 3) {
		out->last = 1;
		out->text = line + 3;
		out->text_len = 0;
		return 0;
	}
	if (line[3] != ' ' && line[3] != '-')
		return -1;
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
