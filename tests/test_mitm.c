/* The attacker's EHLO rewrite: STARTTLS removed wherever it stands, reply kept valid. */
#include "tests/testutil.h"

#include <stdio.h>

#include "sim/attack/mitm.h"
#include "sim/smtp/smtp_parse.h"

static size_t strip(const char *in, char *out, size_t cap)
{
	return mitm_strip_ehlo(in, strlen(in), out, cap);
}

/* Every line parses, all but the last are "250-", the last is "250 ". */
static void assert_valid_reply(const char *r, size_t n)
{
	size_t pos = 0;
	while (pos < n) {
		const char *nl = memchr(r + pos, '\n', n - pos);
		assert_non_null(nl);
		size_t end = (size_t)(nl - r) + 1;
		struct smtp_reply_line l;
		assert_int_equal(smtp_parse_reply_line(r + pos, end - pos - 2, &l), 0);
		assert_int_equal(l.code, 250);
		assert_int_equal(l.last, end == n);
		pos = end;
	}
}

static void test_starttls_first(void **state)
{
	(void)state;
	char out[512];
	const char *in = "250-mail.example.test\r\n250-STARTTLS\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n";
	size_t n = strip(in, out, sizeof out);
	assert_int_equal(n, strlen(in) - strlen("250-STARTTLS\r\n"));
	out[n] = '\0';
	assert_string_equal(out, "250-mail.example.test\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n");
	assert_valid_reply(out, n);
}

static void test_starttls_middle(void **state)
{
	(void)state;
	char out[512];
	const char *in = "250-mail.example.test\r\n250-PIPELINING\r\n250-starttls\r\n250-8BITMIME\r\n250 SIZE 100\r\n";
	size_t n = strip(in, out, sizeof out);
	out[n] = '\0';
	assert_string_equal(out, "250-mail.example.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100\r\n");
	assert_valid_reply(out, n);
}

static void test_starttls_last(void **state)
{
	(void)state;
	char out[512];
	const char *in = "250-mail.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n";
	size_t n = strip(in, out, sizeof out);
	out[n] = '\0';
	/* the line before STARTTLS must now end the reply */
	assert_string_equal(out, "250-mail.example.test\r\n250 PIPELINING\r\n");
	assert_valid_reply(out, n);
}

static void test_starttls_absent(void **state)
{
	(void)state;
	char out[512];
	const char *in = "250-mail.example.test\r\n250 PIPELINING\r\n";
	assert_int_equal(strip(in, out, sizeof out), strlen(in));
	assert_memory_equal(out, in, strlen(in));
}

static void test_not_an_ehlo_reply(void **state)
{
	(void)state;
	char out[512];
	assert_int_equal(strip("250 OK\r\n", out, sizeof out), (size_t)-1);
	assert_int_equal(strip("220-a\r\n220 b\r\n", out, sizeof out), (size_t)-1);
	assert_int_equal(strip("250-a\r\n250-STARTTLS\r\n", out, sizeof out), (size_t)-1); /* unfinished */
	assert_int_equal(strip("250-a\r\n250 b\r\n250 c\r\n", out, sizeof out), (size_t)-1);
	assert_int_equal(strip("250-a\r\n250 STARTTLS", out, sizeof out), (size_t)-1);      /* no CRLF */
	/* a host name that happens to be STARTTLS is the greeting line, not a capability */
	assert_int_equal(strip("250-STARTTLS\r\n250 SIZE 1\r\n", out, sizeof out), strlen("250-STARTTLS\r\n250 SIZE 1\r\n"));
	assert_int_equal(strip("250-a\r\n250 STARTTLS\r\n", out, 4), (size_t)-1);           /* out too small */
}

/* Found by fuzzing: every line a client would read as STARTTLS must go. */
static void test_starttls_twice_or_with_parameter(void **state)
{
	(void)state;
	char out[512];
	const char *twice = "250-mail.example.test\r\n250-STARTTLS\r\n250-PIPELINING\r\n250 STARTTLS\r\n";
	size_t n = strip(twice, out, sizeof out);
	out[n] = '\0';
	assert_string_equal(out, "250-mail.example.test\r\n250 PIPELINING\r\n");
	assert_valid_reply(out, n);
	const char *param = "250-mail.example.test\r\n250-STARTTLS REQUIRED\r\n250 SIZE 1\r\n";
	n = strip(param, out, sizeof out);
	out[n] = '\0';
	assert_string_equal(out, "250-mail.example.test\r\n250 SIZE 1\r\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starttls_first),
		cmocka_unit_test(test_starttls_middle),
		cmocka_unit_test(test_starttls_last),
		cmocka_unit_test(test_starttls_absent),
		cmocka_unit_test(test_not_an_ehlo_reply),
		cmocka_unit_test(test_starttls_twice_or_with_parameter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
