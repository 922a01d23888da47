/* test_buf: the one growable buffer and the one string builder of sim/. */
#include "tests/testutil.h"

#include "sim/base/buf.h"
#include "sim/base/sb.h"

static void test_append_and_consume(void **state)
{
	(void)state;
	uint8_t *p = NULL;
	size_t len = 0, cap = 0;
	/* many small appends and one large one keep every byte in order */
	for (int i = 0; i < 1000; i++) {
		uint8_t b = (uint8_t)i;
		assert_int_equal(buf_append(&p, &len, &cap, &b, 1), 0);
	}
	static uint8_t big[100000];
	memset(big, 0xab, sizeof big);
	assert_int_equal(buf_append(&p, &len, &cap, big, sizeof big), 0);
	assert_int_equal(len, 1000 + sizeof big);
	assert_true(cap >= len);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(p[i], (uint8_t)i);
	assert_int_equal(p[len - 1], 0xab);
	/* nothing to append is no change */
	assert_int_equal(buf_append(&p, &len, &cap, NULL, 0), 0);
	assert_int_equal(len, 1000 + sizeof big);
	buf_consume(p, &len, 10);
	assert_int_equal(p[0], 10);
	assert_int_equal(len, 990 + sizeof big);
	buf_consume(p, &len, len + 5); /* more than there is: empty, never below zero */
	assert_int_equal(len, 0);
	free(p);
}

static void test_vec_reserve(void **state)
{
	(void)state;
	struct pair { int a, b; } *v = NULL;
	size_t cap = 0;
	for (size_t n = 0; n < 5000; n++) {
		assert_int_equal(VEC_RESERVE(v, cap, n + 1), 0);
		v[n] = (struct pair){ (int)n, -(int)n };
	}
	assert_true(cap >= 5000);
	assert_int_equal(v[4999].b, -4999);
	/* a size that cannot be had is refused, and the array is left as it was */
	size_t before = cap;
	assert_int_equal(VEC_RESERVE(v, cap, (size_t)-1 / 4), -1);
	assert_int_equal(cap, before);
	assert_int_equal(v[1234].a, 1234);
	free(v);
}

static void test_sb_put(void **state)
{
	(void)state;
	char buf[16];
	size_t n = 0;
	n = sb_put(buf, sizeof buf, n, "%s", "hello");
	n = sb_put(buf, sizeof buf, n, ", %d", 42);
	assert_string_equal(buf, "hello, 42");
	assert_int_equal(n, 9);
	/* past the end: cut, still terminated, and later calls add nothing */
	n = sb_put(buf, sizeof buf, n, " and a much longer tail");
	assert_true(n >= sizeof buf);
	assert_int_equal(strlen(buf), sizeof buf - 1);
	size_t m = sb_put(buf, sizeof buf, n, "more");
	assert_int_equal(m, n);
	assert_int_equal(strlen(buf), sizeof buf - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_consume),
		cmocka_unit_test(test_vec_reserve),
		cmocka_unit_test(test_sb_put),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
