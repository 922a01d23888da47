/* test_buf: the one growable buffer, the one string builder and the decoded fields of
 * sim/. */
#include <stdio.h>

#include "tests/testutil.h"

#include "sim/base/buf.h"
#include "sim/base/fields.h"
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

/* sb_vformat and vsnprintf side by side: the same count, the same bytes, every cap. */
static void same_as_printf(const char *fmt, ...)
{
	char want[64], got[64];
	for (size_t cap = 0; cap <= sizeof want; cap += cap < 12 ? 1 : 13) {
		memset(want, 'Z', sizeof want);
		memset(got, 'Z', sizeof got);
		va_list a, b;
		va_start(a, fmt);
		va_copy(b, a);
		int w = vsnprintf(want, cap, fmt, a);
		int g = sb_vformat(got, cap, fmt, b);
		va_end(b);
		va_end(a);
		assert_int_equal(g, w);
		assert_memory_equal(got, want, sizeof want);
	}
}

static void test_sb_vformat(void **state)
{
	(void)state;
	same_as_printf("plain text, no conversion");
	same_as_printf("");
	same_as_printf("%s", "x");
	same_as_printf("[%s|%s]", "", "a longer string than the smaller caps");
	same_as_printf("%zu lines, %zu bytes%s", (size_t)0, (size_t)18446744073709551615u, " (no end marker)");
	same_as_printf("%d %d %d %d", 0, -1, 2147483647, -2147483647 - 1);
	same_as_printf("%u%%%c%u", 4294967295u, 'q', 7u);
	same_as_printf("100%% %s", "sure");
	/* what it leaves to vsnprintf */
	same_as_printf("0x%04x, %02x %5s|%-3d|%.2s", 0xbeefu, 7u, "ab", 4, "xyz");
	same_as_printf("%ld %lu %llu %x %p", -5L, 6UL, 7ULL, 255u, (void *)0);
}

static void test_fields(void **state)
{
	(void)state;
	struct fields f, g;
	fields_init(&f);
	fields_init(&g);
	/* names that share their first 7, 8 or 9 bytes are told apart */
	assert_int_equal(fields_add(&f, 0, "abcdefgh_long", "%s", "long"), 0);
	assert_int_equal(fields_add(&f, 0, "abcdefgh", "%zu", (size_t)18446744073709551615u), 0);
	assert_int_equal(fields_add(&f, 1, "abcdefg", "%d-%s", -7, "x"), 0);
	assert_int_equal(fields_add(&f, 0, "a", "%s", ""), 0);
	char big[300];
	memset(big, 'v', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(fields_add(&f, 0, "big", "<%s>", big), 0);
	assert_string_equal(fields_get(&f, "abcdefgh_long"), "long");
	assert_string_equal(fields_get(&f, "abcdefgh"), "18446744073709551615");
	assert_string_equal(fields_get(&f, "abcdefg"), "-7-x");
	assert_string_equal(fields_get(&f, "a"), "");
	assert_int_equal(strlen(fields_get(&f, "big")), sizeof big + 1);
	assert_null(fields_get(&f, "abcdefgh_"));
	assert_null(fields_get(&f, "abcdef"));
	assert_null(fields_get(&f, ""));
	/* many fields: the strings stay where they were written */
	const char *first = fields_get(&f, "abcdefgh_long");
	for (int i = 0; i < 500; i++)
		assert_int_equal(fields_add(&g, 0, "n", "%d", i), 0);
	assert_int_equal(fields_move(&f, &g, 2), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(f.n, 505);
	assert_int_equal(f.v[3].depth, 0);
	assert_ptr_equal(fields_get(&f, "abcdefgh_long"), first);
	assert_string_equal(f.v[504].value, "499");
	assert_int_equal(f.v[504].depth, 2);
	/* packed: the same list in one piece of someone else's memory, read-only */
	fields_last_range(&f, 3, 4);
	size_t need = fields_packed_size(&f);
	void *mem = malloc(need);
	assert_non_null(mem);
	struct fields p;
	fields_pack(&f, mem, &p);
	assert_int_equal(p.n, f.n);
	for (size_t i = 0; i < f.n; i++) {
		assert_string_equal(p.v[i].name, f.v[i].name);
		assert_string_equal(p.v[i].value, f.v[i].value);
		assert_int_equal(p.v[i].depth, f.v[i].depth);
		assert_int_equal(p.v[i].has_range, f.v[i].has_range);
	}
	assert_int_equal(p.v[504].off, 3);
	assert_string_equal(fields_get(&p, "abcdefg"), "-7-x");
	assert_int_equal(fields_add(&p, 0, "more", "%s", "no"), -1);
	assert_int_equal(fields_move(&p, &g, 0), -1);
	fields_free(&f);
	fields_free(&p); /* forgets it; the memory is the caller's */
	assert_int_equal(p.n, 0);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_consume),
		cmocka_unit_test(test_vec_reserve),
		cmocka_unit_test(test_sb_put),
		cmocka_unit_test(test_sb_vformat),
		cmocka_unit_test(test_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
