/* test_smtp_parse: the syntax of SMTP command lines, paths and reply lines. */
#include "testutil.h"

#include <stdio.h>

#include "sim/smtp/smtp_parse.h"

static int cmd(const char *line, struct smtp_command *c)
{
	return smtp_parse_command(line, strlen(line), c);
}

static void test_command_verbs(void **state)
{
	(void)state;
	struct smtp_command c;
	assert_int_equal(cmd("EHLO client.example.test", &c), 0);
	assert_int_equal(c.verb, SMTP_VERB_EHLO);
	assert_string_equal(c.verb_text, "EHLO");
	assert_int_equal(c.arg_len, strlen("client.example.test"));
	assert_memory_equal(c.arg, "client.example.test", c.arg_len);

	assert_int_equal(cmd("mail FROM:<a@b>", &c), 0);
	assert_int_equal(c.verb, SMTP_VERB_MAIL);
	assert_string_equal(c.verb_text, "MAIL");
	assert_memory_equal(c.arg, "FROM:<a@b>", c.arg_len);

	assert_int_equal(cmd("StartTls", &c), 0);
	assert_int_equal(c.verb, SMTP_VERB_STARTTLS);
	assert_int_equal(c.arg_len, 0);
	assert_string_equal(c.arg, "");

	assert_int_equal(cmd("QUIT", &c), 0);
	assert_int_equal(c.verb, SMTP_VERB_QUIT);
	assert_int_equal(cmd("auth PLAIN AGFsaWNl", &c), 0);
	assert_int_equal(c.verb, SMTP_VERB_AUTH);
	assert_memory_equal(c.arg, "PLAIN AGFsaWNl", c.arg_len);

	/* Well-formed but unknown. */
	assert_int_equal(cmd("XCLIENT foo", &c), 0);
	assert_int_equal(c.verb, SMTP_VERB_UNKNOWN);
	assert_string_equal(c.verb_text, "XCLIENT");

	/* Only the first space separates: the argument keeps the rest. */
	assert_int_equal(cmd("NOOP  two", &c), 0);
	assert_int_equal(c.arg_len, 4);
	assert_memory_equal(c.arg, " two", 4);

	assert_string_equal(smtp_verb_name(SMTP_VERB_RCPT), "RCPT");
	assert_string_equal(smtp_verb_name(SMTP_VERB_STARTTLS), "STARTTLS");
	assert_string_equal(smtp_verb_name(SMTP_VERB_UNKNOWN), "UNKNOWN");
}

static void test_command_malformed(void **state)
{
	(void)state;
	struct smtp_command c;
	assert_int_equal(smtp_parse_command("", 0, &c), -1);
	assert_int_equal(cmd(" EHLO x", &c), -1);
	assert_int_equal(cmd("EHLO\tx", &c), -1);
	assert_int_equal(cmd("MAIL:FROM", &c), -1);
	assert_int_equal(cmd("123", &c), -1);
	assert_int_equal(cmd("EHLO x\r", &c), -1);
	assert_int_equal(cmd("EHLO x\ny", &c), -1);
	assert_int_equal(smtp_parse_command("EHLO a\0b", 8, &c), -1);
	assert_int_equal(smtp_parse_command("NO\0OP", 5, &c), -1);
	/* 15 letters is the longest verb that fits, 16 is too long. */
	assert_int_equal(cmd("ABCDEFGHIJKLMNO", &c), 0);
	assert_string_equal(c.verb_text, "ABCDEFGHIJKLMNO");
	assert_int_equal(cmd("ABCDEFGHIJKLMNOP", &c), -1);
	/* A very long argument is still syntax; the length limit is the server's job. */
	char line[2000];
	memcpy(line, "NOOP ", 5);
	memset(line + 5, 'x', sizeof line - 6);
	line[sizeof line - 1] = '\0';
	assert_int_equal(cmd(line, &c), 0);
	assert_int_equal(c.arg_len, sizeof line - 6);
}

static int path(const char *arg, const char *prefix, char *box, size_t cap)
{
	return smtp_parse_path(arg, strlen(arg), prefix, box, cap);
}

static void test_paths(void **state)
{
	(void)state;
	char box[64];
	assert_int_equal(path("FROM:<alice@example.test>", "FROM:", box, sizeof box), 0);
	assert_string_equal(box, "alice@example.test");
	assert_int_equal(path("from:<alice@example.test>", "FROM:", box, sizeof box), 0);
	assert_string_equal(box, "alice@example.test");
	assert_int_equal(path("TO:<bob@example.test>", "TO:", box, sizeof box), 0);
	assert_string_equal(box, "bob@example.test");
	/* The null reverse-path used by bounces. */
	strcpy(box, "junk");
	assert_int_equal(path("FROM:<>", "FROM:", box, sizeof box), 0);
	assert_string_equal(box, "");
	/* ESMTP parameters after the path. */
	assert_int_equal(path("FROM:<a@b> SIZE=1000 BODY=8BITMIME", "FROM:", box, sizeof box), 0);
	assert_string_equal(box, "a@b");
	/* A space after the colon is tolerated. */
	assert_int_equal(path("FROM: <a@b>", "FROM:", box, sizeof box), 0);
	assert_string_equal(box, "a@b");

	assert_int_equal(path("FROM:a@b", "FROM:", box, sizeof box), -1);
	assert_int_equal(path("FROM:<a@b", "FROM:", box, sizeof box), -1);
	assert_int_equal(path("FROM:a@b>", "FROM:", box, sizeof box), -1);
	assert_int_equal(path("TO:<a@b>", "FROM:", box, sizeof box), -1);
	assert_int_equal(path("FROM<a@b>", "FROM:", box, sizeof box), -1);
	assert_int_equal(path("FROM:<a b@c>", "FROM:", box, sizeof box), -1);
	assert_int_equal(path("FROM:<a<b@c>", "FROM:", box, sizeof box), -1);
	assert_int_equal(path("FROM:<a@b>SIZE=1", "FROM:", box, sizeof box), -1);
	assert_int_equal(path("", "FROM:", box, sizeof box), -1);
	assert_int_equal(smtp_parse_path("FROM:<a\0b>", 10, "FROM:", box, sizeof box), -1);
	/* The mailbox must fit with its NUL. */
	assert_int_equal(path("TO:<abcd>", "TO:", box, 5), 0);
	assert_string_equal(box, "abcd");
	assert_int_equal(path("TO:<abcde>", "TO:", box, 5), -1);
}

static int rl(const char *line, struct smtp_reply_line *r)
{
	return smtp_parse_reply_line(line, strlen(line), r);
}

static void test_reply_lines(void **state)
{
	(void)state;
	struct smtp_reply_line r;
	assert_int_equal(rl("250-mail.example.test greets x", &r), 0);
	assert_int_equal(r.code, 250);
	assert_int_equal(r.last, 0);
	assert_int_equal(r.text_len, strlen("mail.example.test greets x"));
	assert_memory_equal(r.text, "mail.example.test greets x", r.text_len);

	assert_int_equal(rl("250 STARTTLS", &r), 0);
	assert_int_equal(r.last, 1);
	assert_memory_equal(r.text, "STARTTLS", r.text_len);

	assert_int_equal(rl("334 ", &r), 0);
	assert_int_equal(r.code, 334);
	assert_int_equal(r.text_len, 0);
	assert_int_equal(rl("221", &r), 0);
	assert_int_equal(r.code, 221);
	assert_int_equal(r.last, 1);
	assert_int_equal(rl("554 5.7.1 no", &r), 0);
	assert_int_equal(r.code, 554);

	assert_int_equal(rl("", &r), -1);
	assert_int_equal(rl("25", &r), -1);
	assert_int_equal(rl("150 too low", &r), -1);
	assert_int_equal(rl("650 too high", &r), -1);
	assert_int_equal(rl("260 second digit", &r), -1);
	assert_int_equal(rl("2x0 letters", &r), -1);
	assert_int_equal(rl("250_underscore", &r), -1);
	assert_int_equal(rl("2500 four digits", &r), -1);
	assert_int_equal(rl("250 a\rb", &r), -1);
	assert_int_equal(smtp_parse_reply_line("250 a\0b", 7, &r), -1);
}

/* MAIL and RCPT arguments as the trace decoder reads them: mailbox, parameters, or why
 * not. box and params are NULL when the argument is refused. */
static void test_envelope_paths(void **state)
{
	(void)state;
	static const struct {
		int rcpt;
		const char *arg, *box, *params, *error;
	} t[] = {
		{ 0, "FROM:<alice@example.test>", "alice@example.test", "", NULL },
		{ 0, "from:<a@b> SIZE=100", "a@b", "SIZE=100", NULL },
		{ 0, "FROM:<a@b>   SIZE=100 BODY=8BITMIME", "a@b", "SIZE=100 BODY=8BITMIME", NULL },
		{ 0, "FROM:<a@b> ", "a@b", "", NULL },
		{ 0, "FROM: <a@b>", "a@b", "", NULL },
		{ 0, "FROM:<>", "", "", NULL },
		{ 1, "TO:<bob@example.test>", "bob@example.test", "", NULL },
		{ 1, "to:<bob@example.test> NOTIFY=NEVER", "bob@example.test", "NOTIFY=NEVER", NULL },
		{ 1, "TO:<>", NULL, NULL, "empty forward-path: <> is only for MAIL FROM" },
		{ 0, "TO:<a@b>", NULL, NULL, "no \"FROM:\" before the path" },
		{ 1, "FROM:<a@b>", NULL, NULL, "no \"TO:\" before the path" },
		{ 0, "", NULL, NULL, "no \"FROM:\" before the path" },
		{ 0, " FROM:<a@b>", NULL, NULL, "more than one space after the verb" },
		{ 0, "FROM:a@b", NULL, NULL, "path is not in angle brackets" },
		{ 0, "FROM:<a@b", NULL, NULL, "path has no closing '>'" },
		{ 0, "FROM:<a b@c>", NULL, NULL, "space in the mailbox" },
		{ 0, "FROM:<a<b@c>", NULL, NULL, "'<' inside the path" },
		{ 0, "FROM:<a\x01@c>", NULL, NULL, "control or non-ASCII byte in the mailbox" },
		{ 0, "FROM:<a\xc3\xa9@c>", NULL, NULL, "control or non-ASCII byte in the mailbox" },
		{ 0, "FROM:<a@b>SIZE=1", NULL, NULL, "no space between the path and the parameters" },
		{ 0, "FROM:<a@b> SIZE=\x7f", NULL, NULL, "control or non-ASCII byte in the parameters" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct smtp_path p;
		size_t n = strlen(t[i].arg);
		int rc = (t[i].rcpt ? smtp_parse_rcpt_to : smtp_parse_mail_from)(t[i].arg, n, &p);
		if (t[i].error) {
			assert_int_equal(rc, -1);
			assert_non_null(p.error);
			assert_string_equal(p.error, t[i].error);
			assert_string_equal(p.box, "");
			continue;
		}
		if (rc != 0)
			print_error("\"%s\" refused: %s\n", t[i].arg, p.error);
		assert_int_equal(rc, 0);
		assert_null(p.error);
		assert_string_equal(p.box, t[i].box);
		assert_int_equal(p.params_len, strlen(t[i].params));
		assert_memory_equal(p.params, t[i].params, p.params_len);
		assert_true(p.params >= t[i].arg && p.params + p.params_len == t[i].arg + n);
		/* the same verdict as smtp_parse_path, which the server calls */
		char box[SMTP_PATH_MAX];
		assert_int_equal(smtp_parse_path(t[i].arg, n, t[i].rcpt ? "TO:" : "FROM:", box, sizeof box), 0);
		assert_string_equal(box, p.box);
	}
	/* the buffer is SMTP_PATH_MAX with its NUL */
	char arg[SMTP_PATH_MAX + 16];
	struct smtp_path p;
	int m = snprintf(arg, sizeof arg, "TO:<%0*d>", SMTP_PATH_MAX - 1, 0);
	assert_int_equal(smtp_parse_rcpt_to(arg, (size_t)m, &p), 0);
	assert_int_equal(strlen(p.box), SMTP_PATH_MAX - 1);
	m = snprintf(arg, sizeof arg, "TO:<%0*d>", SMTP_PATH_MAX, 0);
	assert_int_equal(smtp_parse_rcpt_to(arg, (size_t)m, &p), -1);
	assert_string_equal(p.error, "mailbox too long");
}

static void test_errors_say_why(void **state)
{
	(void)state;
	struct smtp_command c;
	assert_int_equal(cmd("EHLO x", &c), 0);
	assert_null(c.error);
	assert_int_equal(smtp_parse_command("", 0, &c), -1);
	assert_string_equal(c.error, "empty line");
	assert_int_equal(cmd("EHLO x\r", &c), -1);
	assert_string_equal(c.error, "NUL, CR or LF inside the line");
	assert_int_equal(cmd("12345", &c), -1);
	assert_string_equal(c.error, "not a command");

	static const struct {
		const char *line, *error;
	} t[] = {
		{ "250 OK", NULL },
		{ "", "does not start with a 3-digit code" },
		{ "25", "does not start with a 3-digit code" },
		{ "2x0 x", "does not start with a 3-digit code" },
		{ "150 x", "not a reply code: the first digit is 2 to 5 (RFC 5321 4.2.1)" },
		{ "650 x", "not a reply code: the first digit is 2 to 5 (RFC 5321 4.2.1)" },
		{ "260 x", "not a reply code: the second digit is 0 to 5 (RFC 5321 4.2.1)" },
		{ "299 x", "not a reply code: the second digit is 0 to 5 (RFC 5321 4.2.1)" },
		{ "250_x", "no space or '-' after the code" },
		{ "250 a\nb", "NUL, CR or LF inside the line" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct smtp_reply_line r;
		int rc = rl(t[i].line, &r);
		if (!t[i].error) {
			assert_int_equal(rc, 0);
			assert_null(r.error);
		} else {
			assert_int_equal(rc, -1);
			assert_string_equal(r.error, t[i].error);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_verbs),
		cmocka_unit_test(test_command_malformed),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_reply_lines),
		cmocka_unit_test(test_envelope_paths),
		cmocka_unit_test(test_errors_say_why),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
