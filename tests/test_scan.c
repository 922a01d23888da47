/* test_scan: the fast searches through mail text agree with the byte-by-byte rule they
 * stand for, on random text dense with the bytes that matter and on long plain runs. */
#include "tests/testutil.h"

#include "sim/base/scan.h"

static int slow_is_mark(const uint8_t *t, size_t i)
{
	int bol = i == 0 || t[i - 1] == '\n';
	int cr_before = i > 0 && t[i - 1] == '\r';
	return (t[i] == '.' && bol) || (t[i] == '\n' && !cr_before);
}

static size_t slow_long_line(const uint8_t *t, size_t n, size_t max)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i] != '\n')
			continue;
		if (i + 1 - start > max)
			return start;
		start = i + 1;
	}
	return n;
}

/* The marks in t[0..n), found one after the other. */
static size_t count_marks(const uint8_t *t, size_t n)
{
	size_t count = 0;
	for (size_t i = scan_text_mark(t, 0, n); i < n; i = scan_text_mark(t, i + 1, n))
		count++;
	return count;
}

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* Text of n bytes: mostly plain letters with CRLF lines, with some of the bytes that
 * make marks sprinkled in at the given density (1 in `rare`). */
static void fill(uint8_t *t, size_t n, unsigned rare)
{
	static const char special[] = ".\r\n";
	for (size_t i = 0; i < n; i++) {
		if (rnd() % rare == 0)
			t[i] = (uint8_t)special[rnd() % 3];
		else if (rnd() % 40 == 0 && i + 1 < n) {
			t[i++] = '\r';
			t[i] = '\n';
		} else
			t[i] = (uint8_t)('a' + rnd() % 26);
	}
}

static void test_marks_agree(void **state)
{
	(void)state;
	static uint8_t t[700];
	for (int round = 0; round < 4000; round++) {
		size_t n = rnd() % sizeof t;
		fill(t, n, round % 2 ? 3 : 300);
		size_t count = 0;
		for (size_t from = 0; from <= n; from++) {
			size_t want = from;
			while (want < n && !slow_is_mark(t, want))
				want++;
			assert_int_equal(scan_text_mark(t, from, n), want);
			count += from < n && slow_is_mark(t, from);
		}
		assert_int_equal(count_marks(t, n), count);
	}
	/* past the end: nothing */
	assert_int_equal(scan_text_mark(t, 10, 5), 5);
	assert_int_equal(scan_text_mark(t, 0, 0), 0);
}

static void test_marks_in_long_runs(void **state)
{
	(void)state;
	size_t n = 100000;
	uint8_t *t = malloc(n);
	assert_non_null(t);
	for (size_t i = 0; i < n; i++)
		t[i] = i % 50 == 48 ? '\r' : i % 50 == 49 ? '\n' : 'x';
	assert_int_equal(scan_text_mark(t, 0, n), n);
	assert_int_equal(count_marks(t, n), 0);
	/* a dot at a line start, a dot inside a line, a bare LF: only the first and last count */
	t[50 * 700] = '.';
	t[50 * 900 + 3] = '.';
	t[50 * 1200 + 48] = 'y';
	assert_int_equal(scan_text_mark(t, 0, n), 50 * 700);
	assert_int_equal(scan_text_mark(t, 50 * 700 + 1, n), 50 * 1200 + 49);
	assert_int_equal(count_marks(t, n), 2);
	/* the first byte starts a line */
	t[0] = '.';
	assert_int_equal(scan_text_mark(t, 0, n), 0);
	free(t);
}

static void test_long_lines(void **state)
{
	(void)state;
	static uint8_t t[5000];
	for (int round = 0; round < 3000; round++) {
		size_t n = 1 + rnd() % (sizeof t - 1);
		size_t max = 1 + rnd() % 300;
		/* lines of random lengths around max */
		size_t i = 0;
		while (i < n) {
			size_t len = 1 + rnd() % (max + max / 8 + 2);
			for (size_t k = 0; k + 1 < len && i < n; k++)
				t[i++] = 'a';
			if (i < n)
				t[i++] = '\n';
		}
		t[n - 1] = '\n';
		assert_int_equal(scan_long_line(t, n, max), slow_long_line(t, n, max));
	}
}

/* scan_count_lf against a byte loop, at every length up to 3000 bytes and on a long
 * plain run (more than 255 blocks of 16 bytes, the counter's lane limit). */
/* The one-pass reading of message text agrees with its three parts: the first mark, the
 * complete lines before it, and whether one of them is too long. */
static void test_text_run(void **state)
{
	(void)state;
	static uint8_t t[3000];
	for (int round = 0; round < 6000; round++) {
		size_t n = rnd() % sizeof t;
		size_t max = round % 3 ? 64 + rnd() % 200 : 1 + rnd() % 100;
		if (round % 2) {
			fill(t, n, round % 4 == 1 ? 7 : 500);
		} else { /* lines around max, CRLF, now and then a mark */
			size_t i = 0;
			while (i < n) {
				size_t len = 1 + rnd() % (max + max / 4 + 2);
				for (size_t k = 0; k + 2 < len && i < n; k++)
					t[i++] = rnd() % 97 == 0 ? '.' : 'a';
				if (i < n)
					t[i++] = rnd() % 50 == 0 ? 'x' : '\r';
				if (i < n)
					t[i++] = '\n';
			}
		}
		size_t mark = scan_text_mark(t, 0, n), want_run = 0;
		for (size_t i = mark; i-- > 0;)
			if (t[i] == '\n') {
				want_run = i + 1;
				break;
			}
		size_t run = 99999;
		int too_long = -1;
		assert_int_equal(scan_text_run(t, n, max, &run, &too_long), mark);
		assert_int_equal(run, want_run);
		assert_int_equal(too_long, slow_long_line(t, want_run, max) < want_run);
	}
}

static void test_count_lf(void **state)
{
	(void)state;
	static uint8_t t[3000];
	for (int round = 0; round < 3000; round++) {
		size_t n = rnd() % sizeof t;
		fill(t, n, round % 2 ? 3 : 300);
		size_t lfs = 0;
		for (size_t i = 0; i < n; i++)
			lfs += t[i] == '\n';
		assert_int_equal(scan_count_lf(t, n), lfs);
	}
	size_t n = 100000;
	uint8_t *b = malloc(n);
	assert_non_null(b);
	for (size_t i = 0; i < n; i++)
		b[i] = i % 50 == 48 ? '\r' : i % 50 == 49 ? '\n' : 'x';
	assert_int_equal(scan_count_lf(b, n), n / 50);
	memset(b, '\n', n);
	assert_int_equal(scan_count_lf(b, n), n);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_marks_agree),
		cmocka_unit_test(test_marks_in_long_runs),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_count_lf),
		cmocka_unit_test(test_text_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
