/* scan: see scan.h. With GCC or Clang the runs are skipped 64 bytes at a time with
 * generic vectors (SSE2 on x86-64, or AVX2 or AVX-512BW when the processor has it, chosen
 * at run time; NEON on ARM; plain words elsewhere); the byte loop decides the exact
 * place, and is the whole scan with other compilers. */
#include "sim/base/scan.h"

#include <string.h>
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#endif

static int is_mark(const uint8_t *t, size_t i)
{
	uint8_t before = i ? t[i - 1] : '\n';
	return (t[i] == '.' && before == '\n') || (t[i] == '\n' && before != '\r');
}

#if defined(__GNUC__)
typedef uint8_t scan_v16 __attribute__((vector_size(16)));

/* Whether any of the 64 bytes at t (t[-1] readable) holds a mark. */
static int block_has_mark(const uint8_t *t)
{
	scan_v16 acc = { 0 };
	for (int k = 0; k < 4; k++) {
		scan_v16 v, before;
		memcpy(&v, t + 16 * k, sizeof v);
		memcpy(&before, t + 16 * k - 1, sizeof before);
		acc |= (scan_v16)(((v == '\n') & (before != '\r')) | ((v == '.') & (before == '\n')));
	}
	uint64_t w[2];
	memcpy(w, &acc, sizeof w);
	return (w[0] | w[1]) != 0;
}

#if defined(__x86_64__)
/* The same with AVX2, where the processor has it (chosen at run time). */
#define SCAN_AVX2 1
typedef uint8_t scan_v32 __attribute__((vector_size(32)));

__attribute__((target("avx2"))) static size_t skip_avx2(const uint8_t *text, size_t i, size_t n)
{
	for (; n - i >= 64; i += 64) {
		scan_v32 v0, b0, v1, b1;
		memcpy(&v0, text + i, sizeof v0);
		memcpy(&b0, text + i - 1, sizeof b0);
		memcpy(&v1, text + i + 32, sizeof v1);
		memcpy(&b1, text + i + 31, sizeof b1);
		scan_v32 m = (scan_v32)(((v0 == '\n') & (b0 != '\r')) | ((v0 == '.') & (b0 == '\n'))) |
			     (scan_v32)(((v1 == '\n') & (b1 != '\r')) | ((v1 == '.') & (b1 == '\n')));
		uint64_t w[4];
		memcpy(w, &m, sizeof w);
		if (w[0] | w[1] | w[2] | w[3])
			break;
	}
	return i;
}

/* With AVX-512BW a compare gives a 64-bit mask: a block is two loads and four
 * compares, the second pair under the first's mask, with no vector-to-mask moves; two
 * blocks a turn, and the last bytes under a load mask. It returns the very mark (or n),
 * so the byte loop only confirms it. Twice as fast as AVX2 on bytes already in the cache
 * (the server scans what it has just decrypted), the same on bytes from memory. */
__attribute__((target("avx512bw"))) static inline uint64_t marks512(const uint8_t *t, __mmask64 load)
{
	const __m512i lf = _mm512_set1_epi8('\n'), cr = _mm512_set1_epi8('\r'), dot = _mm512_set1_epi8('.');
	__m512i v = _mm512_maskz_loadu_epi8(load, t), before = _mm512_maskz_loadu_epi8(load, t - 1);
	return _mm512_mask_cmpneq_epi8_mask(_mm512_cmpeq_epi8_mask(v, lf), before, cr) |
	       _mm512_mask_cmpeq_epi8_mask(_mm512_cmpeq_epi8_mask(v, dot), before, lf);
}

/* How far ahead a long scan asks for the bytes it will need: a whole message body comes
 * from memory, where the processor's own prefetching alone leaves it waiting (measured
 * here: 25 MiB in 0.9 ms without, 0.6 ms with). Never past the end of the text. */
#define SCAN_PREFETCH 8192

__attribute__((target("avx512bw"))) static size_t skip_avx512(const uint8_t *text, size_t i, size_t n)
{
	const __mmask64 all = ~(__mmask64)0;
	size_t ahead_end = n > SCAN_PREFETCH + 128 ? n - SCAN_PREFETCH - 128 : 0;
	for (; n - i >= 128; i += 128) {
		if (i < ahead_end) {
			_mm_prefetch((const char *)text + i + SCAN_PREFETCH, _MM_HINT_T0);
			_mm_prefetch((const char *)text + i + SCAN_PREFETCH + 64, _MM_HINT_T0);
		}
		uint64_t a = marks512(text + i, all), b = marks512(text + i + 64, all);
		if (a)
			return i + (size_t)__builtin_ctzll(a);
		if (b)
			return i + 64 + (size_t)__builtin_ctzll(b);
	}
	for (; n - i >= 64; i += 64) {
		uint64_t a = marks512(text + i, all);
		if (a)
			return i + (size_t)__builtin_ctzll(a);
	}
	if (i < n) {
		uint64_t a = marks512(text + i, ((__mmask64)1 << (n - i)) - 1);
		return a ? i + (size_t)__builtin_ctzll(a) : n;
	}
	return n;
}

/* scan_text_run with AVX-512BW, from i = 1 (text[0] is the caller's): the LF mask that
 * the marks need anyway also gives each line's end, so the line lengths cost a few mask
 * operations per block. A line that lies inside one block is shorter than 64 bytes; only
 * the distance from one block's last LF to a later block's first needs a look, hence
 * max >= 64. */
__attribute__((target("avx512bw"))) static size_t run_avx512(const uint8_t *text, size_t n, size_t max, size_t *run,
							   int *too_long)
{
	const __m512i lf = _mm512_set1_epi8('\n'), cr = _mm512_set1_epi8('\r'), dot = _mm512_set1_epi8('.');
	long long prev = -1; /* the last LF before the mark: lines start after it */
	int lng = 0;
	size_t mark = n;
	for (size_t i = 1; i < n; i += 64) {
		__mmask64 load = n - i >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << (n - i)) - 1;
		__m512i v = _mm512_maskz_loadu_epi8(load, text + i), before = _mm512_maskz_loadu_epi8(load, text + i - 1);
		uint64_t lfs = _mm512_cmpeq_epi8_mask(v, lf);
		uint64_t marks = _mm512_mask_cmpneq_epi8_mask(lfs, before, cr) |
				 _mm512_mask_cmpeq_epi8_mask(_mm512_cmpeq_epi8_mask(v, dot), before, lf);
		if (marks) {
			unsigned at = (unsigned)__builtin_ctzll(marks);
			mark = i + at;
			lfs &= at ? ((uint64_t)1 << at) - 1 : 0; /* only the lines that end before it */
		}
		if (lfs) {
			long long first = (long long)(i + (size_t)__builtin_ctzll(lfs));
			if ((unsigned long long)(first - prev) > max)
				lng = 1;
			prev = (long long)(i + 63 - (size_t)__builtin_clzll(lfs));
		}
		if (marks)
			break;
	}
	*run = (size_t)(prev + 1);
	*too_long = lng;
	return mark;
}

/* LF bytes of text[0..n), 64 at a time (the rest is the caller's). */
__attribute__((target("avx512bw,popcnt"))) static size_t count_lf_avx512(const uint8_t *text, size_t n,
									   size_t *done)
{
	const __m512i lf = _mm512_set1_epi8('\n');
	size_t count = 0, i = 0;
	for (; n - i >= 64; i += 64)
		count += (size_t)__builtin_popcountll(_mm512_cmpeq_epi8_mask(_mm512_loadu_si512(text + i), lf));
	*done = i;
	return count;
}
#endif

/* Skips whole 64-byte blocks without a mark, from i (> 0). */
static size_t skip_blocks(const uint8_t *text, size_t i, size_t n)
{
#ifdef SCAN_AVX2
	if (__builtin_cpu_supports("avx512bw"))
		return skip_avx512(text, i, n);
	if (__builtin_cpu_supports("avx2"))
		return skip_avx2(text, i, n);
#endif
	while (n - i >= 64 && !block_has_mark(text + i))
		i += 64;
	return i;
}
#endif

size_t scan_text_mark(const uint8_t *text, size_t from, size_t n)
{
	size_t i = from;
	if (i >= n)
		return n;
	if (i == 0) {
		if (is_mark(text, 0))
			return 0;
		i = 1;
	}
#if defined(__GNUC__)
	i = skip_blocks(text, i, n);
#endif
	for (; i < n; i++)
		if (is_mark(text, i))
			return i;
	return n;
}

size_t scan_text_run(const uint8_t *text, size_t n, size_t max, size_t *run, int *too_long)
{
	*run = 0;
	*too_long = 0;
	if (n == 0 || is_mark(text, 0))
		return 0;
#ifdef SCAN_AVX2
	if (max >= 64 && __builtin_cpu_supports("avx512bw"))
		return run_avx512(text, n, max, run, too_long);
#endif
	size_t mark = scan_text_mark(text, 0, n);
	const uint8_t *lf = mark ? memrchr(text, '\n', mark) : NULL;
	if (lf) {
		*run = (size_t)(lf - text) + 1;
		*too_long = scan_long_line(text, *run, max) < *run;
	}
	return mark;
}

size_t scan_count_lf(const uint8_t *text, size_t n)
{
	size_t count = 0, i = 0;
#ifdef SCAN_AVX2
	if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("popcnt"))
		count = count_lf_avx512(text, n, &i);
#endif
#if defined(__GNUC__)
	/* Each compare gives 0 or -1 per byte: subtracting counts up to 255 per lane before
	 * the lanes are summed. */
	while (n - i >= 16) {
		size_t blocks = (n - i) / 16;
		if (blocks > 255)
			blocks = 255;
		scan_v16 acc = { 0 };
		for (size_t b = 0; b < blocks; b++, i += 16) {
			scan_v16 v;
			memcpy(&v, text + i, sizeof v);
			acc -= (scan_v16)(v == '\n');
		}
		for (int k = 0; k < 16; k++)
			count += acc[k];
	}
#endif
	for (; i < n; i++)
		count += text[i] == '\n';
	return count;
}

size_t scan_long_line(const uint8_t *text, size_t n, size_t max)
{
	/* Every line that lies wholly inside a window of max bytes is short enough, so the
	 * scan jumps from window to window: from s, the last LF within max bytes ends the
	 * lines it can vouch for; no LF at all means the line at s is too long. */
	size_t s = 0;
	while (n - s > max) {
		const uint8_t *lf = memrchr(text + s, '\n', max);
		if (!lf)
			return s;
		s = (size_t)(lf - text) + 1;
	}
	return n;
}
