/* test_pipe: the bounded ring buffer that carries one direction of a link. A full pipe
 * takes a short write (back-pressure), bytes come out in the order they went in even
 * across the wrap-around, and a closed pipe reports end of stream once drained. */
#include "testutil.h"

#include "sim/wire/pipe.h"

static void fill_pattern(uint8_t *p, size_t n, uint8_t start)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(start + i);
}

static void test_zero_capacity_rejected(void **state)
{
	(void)state;
	struct sim_pipe p;
	assert_int_equal(pipe_init(&p, 0), -1);
	assert_null(p.buf);
	assert_int_equal(p.cap, 0);
	pipe_free(&p); /* harmless on a rejected pipe */
}

static void test_new_pipe_is_empty(void **state)
{
	(void)state;
	struct sim_pipe p;
	assert_int_equal(pipe_init(&p, 16), 0);
	assert_int_equal(pipe_len(&p), 0);
	assert_int_equal(pipe_space(&p), 16);
	assert_int_equal(pipe_eof(&p), 0);
	assert_int_equal(p.total, 0);
	uint8_t out[4];
	assert_int_equal(pipe_read(&p, out, sizeof out), 0);
	assert_int_equal(pipe_peek(&p, out, sizeof out), 0);
	assert_int_equal(pipe_skip(&p, 4), 0);
	pipe_free(&p);
}

static void test_write_until_full_is_short(void **state)
{
	(void)state;
	struct sim_pipe p;
	assert_int_equal(pipe_init(&p, 10), 0);
	uint8_t in[16];
	fill_pattern(in, sizeof in, 'a');
	assert_int_equal(pipe_write(&p, in, 6), 6);
	assert_int_equal(pipe_space(&p), 4);
	/* only 4 of the next 6 fit */
	assert_int_equal(pipe_write(&p, in + 6, 6), 4);
	assert_int_equal(pipe_len(&p), 10);
	assert_int_equal(pipe_space(&p), 0);
	/* full: nothing more goes in, and nothing already there is overwritten */
	assert_int_equal(pipe_write(&p, in, 1), 0);
	assert_int_equal(p.total, 10);
	uint8_t out[16];
	assert_int_equal(pipe_read(&p, out, sizeof out), 10);
	assert_memory_equal(out, in, 10);
	assert_int_equal(pipe_len(&p), 0);
	assert_int_equal(pipe_space(&p), 10);
	pipe_free(&p);
}

static void test_order_across_wraparound(void **state)
{
	(void)state;
	struct sim_pipe p;
	const size_t cap = 7;
	assert_int_equal(pipe_init(&p, cap), 0);
	/* Write and read in uneven pieces so head and tail wrap many times. */
	uint8_t in[1000], out[1000];
	fill_pattern(in, sizeof in, 0);
	size_t written = 0, read = 0, step = 0;
	while (read < sizeof in) {
		size_t w = 1 + step % 5, r = 1 + (step * 3) % 4;
		if (written + w > sizeof in)
			w = sizeof in - written;
		size_t got = pipe_write(&p, in + written, w);
		assert_true(got <= w);
		assert_true(pipe_len(&p) <= cap);
		written += got;
		if (read + r > written)
			r = written - read;
		size_t n = pipe_read(&p, out + read, r);
		assert_int_equal(n, r);
		read += n;
		assert_int_equal(pipe_len(&p), written - read);
		assert_int_equal(pipe_space(&p), cap - (written - read));
		step++;
	}
	assert_memory_equal(out, in, sizeof in);
	assert_int_equal(p.total, sizeof in);
	pipe_free(&p);
}

static void test_wrapped_write_and_peek(void **state)
{
	(void)state;
	struct sim_pipe p;
	assert_int_equal(pipe_init(&p, 8), 0);
	const uint8_t a[] = "ABCDEF";
	assert_int_equal(pipe_write(&p, a, 6), 6);
	uint8_t out[8];
	assert_int_equal(pipe_read(&p, out, 5), 5); /* head now at 5, one byte 'F' left */
	assert_memory_equal(out, "ABCDE", 5);
	/* 7 bytes: 2 at the end of the buffer, 5 wrapped to the start */
	const uint8_t b[] = "1234567";
	assert_int_equal(pipe_write(&p, b, 7), 7);
	assert_int_equal(pipe_len(&p), 8);
	assert_int_equal(pipe_space(&p), 0);
	/* peek sees everything, in order, and consumes nothing */
	memset(out, 0, sizeof out);
	assert_int_equal(pipe_peek(&p, out, 8), 8);
	assert_memory_equal(out, "F1234567", 8);
	assert_int_equal(pipe_len(&p), 8);
	memset(out, 0, sizeof out);
	assert_int_equal(pipe_peek(&p, out, 3), 3);
	assert_memory_equal(out, "F12", 3);
	/* skip drops exactly what it says */
	assert_int_equal(pipe_skip(&p, 4), 4);
	assert_int_equal(pipe_len(&p), 4);
	memset(out, 0, sizeof out);
	assert_int_equal(pipe_read(&p, out, 8), 4);
	assert_memory_equal(out, "4567", 4);
	/* skipping more than there is drops what there is */
	assert_int_equal(pipe_write(&p, a, 3), 3);
	assert_int_equal(pipe_skip(&p, 100), 3);
	assert_int_equal(pipe_len(&p), 0);
	assert_int_equal(p.total, 16);
	pipe_free(&p);
}

static void test_close_and_eof(void **state)
{
	(void)state;
	struct sim_pipe p;
	assert_int_equal(pipe_init(&p, 8), 0);
	assert_int_equal(pipe_write(&p, (const uint8_t *)"bye", 3), 3);
	pipe_close(&p);
	/* closed but not drained: the reader has not seen the end yet */
	assert_int_equal(pipe_eof(&p), 0);
	/* no more bytes after close */
	assert_int_equal(pipe_write(&p, (const uint8_t *)"x", 1), 0);
	assert_int_equal(pipe_space(&p), 0);
	assert_int_equal(p.total, 3);
	uint8_t out[8];
	assert_int_equal(pipe_read(&p, out, 2), 2);
	assert_int_equal(pipe_eof(&p), 0);
	assert_int_equal(pipe_read(&p, out + 2, 6), 1);
	assert_memory_equal(out, "bye", 3);
	assert_int_equal(pipe_eof(&p), 1);
	assert_int_equal(pipe_read(&p, out, 8), 0);
	pipe_free(&p);
}

static void test_empty_pipe_closed_is_eof(void **state)
{
	(void)state;
	struct sim_pipe p;
	assert_int_equal(pipe_init(&p, 4), 0);
	assert_int_equal(pipe_eof(&p), 0); /* open and empty: more may come */
	pipe_close(&p);
	assert_int_equal(pipe_eof(&p), 1);
	pipe_free(&p);
}

static void test_total_counts_every_byte_written(void **state)
{
	(void)state;
	struct sim_pipe p;
	assert_int_equal(pipe_init(&p, 5), 0);
	uint8_t in[5] = { 1, 2, 3, 4, 5 }, out[5];
	uint64_t expect = 0;
	for (int i = 0; i < 100; i++) {
		size_t w = pipe_write(&p, in, (size_t)(i % 5) + 1);
		expect += w;
		assert_int_equal(p.total, expect);
		pipe_read(&p, out, 3);
	}
	/* a refused write does not count */
	while (pipe_space(&p))
		expect += pipe_write(&p, in, 1);
	assert_int_equal(pipe_write(&p, in, 5), 0);
	assert_int_equal(p.total, expect);
	assert_true(expect > 100);
	pipe_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zero_capacity_rejected),
		cmocka_unit_test(test_new_pipe_is_empty),
		cmocka_unit_test(test_write_until_full_is_short),
		cmocka_unit_test(test_order_across_wraparound),
		cmocka_unit_test(test_wrapped_write_and_peek),
		cmocka_unit_test(test_close_and_eof),
		cmocka_unit_test(test_empty_pipe_closed_is_eof),
		cmocka_unit_test(test_total_counts_every_byte_written),
	};
	return cmocka_run_group_tests_name("pipe", tests, NULL, NULL);
}
