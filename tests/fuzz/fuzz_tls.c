/* fuzz_tls: the TLS decoders on arbitrary bytes, the way the wire tracer uses them.
 * The first input byte picks the negotiated version hint for decode_handshake_v
 * (0, 0x0301..0x0303, or something odd); the rest is a byte stream split into records
 * with decode_tls_record_header, each record decoded with decode_tls_record and its
 * contents with decode_handshake_v (every message inside a handshake record) or
 * decode_alert. The whole rest is also decoded directly as one handshake message and
 * as one record, so a seed of a bare message reaches the message decoders at once. */
#include "fuzz_common.h"
#include "sim/decode/decode.h"

static const unsigned versions[] = { 0, 0x0301, 0x0302, 0x0303, 0x0300, 0x7f1c, 0x0304, 0xffff };

static void check_handshake(const uint8_t *p, size_t n, unsigned version)
{
	struct fields f;
	char summary[DECODE_SUMMARY_MAX];
	uint8_t *b = (uint8_t *)fuzz_dup(p, n);
	fields_init(&f);
	decode_handshake_v(b, n, version, &f, summary, sizeof summary);
	fuzz_check_output(&f, summary, sizeof summary);
	fuzz_check_ranges(&f, n);
	fields_free(&f);
	if (version == 0x0303) {
		fields_init(&f);
		decode_handshake(b, n, &f, summary, sizeof summary);
		fuzz_check_output(&f, summary, sizeof summary);
		fields_free(&f);
	}
	free(b);
}

static void check_alert(const uint8_t *p, size_t n)
{
	struct fields f;
	char summary[DECODE_SUMMARY_MAX];
	uint8_t *b = (uint8_t *)fuzz_dup(p, n);
	fields_init(&f);
	decode_alert(b, n, &f, summary, sizeof summary);
	fuzz_check_output(&f, summary, sizeof summary);
	fuzz_check_ranges(&f, n);
	fields_free(&f);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned version = versions[data[0] & 7];
	const uint8_t *p = data + 1;
	size_t n = size - 1;

	check_handshake(p, n, version);

	struct fields f;
	char summary[DECODE_SUMMARY_MAX];
	uint8_t *whole = (uint8_t *)fuzz_dup(p, n);
	fields_init(&f);
	decode_tls_record(whole, n, &f, summary, 1 + n % sizeof summary);
	fuzz_check_output(&f, summary, 1 + n % sizeof summary);
	fuzz_check_ranges(&f, n);
	fields_free(&f);
	free(whole);

	size_t off = 0;
	while (off < n) {
		struct tls_record_header h;
		uint8_t *hb = (uint8_t *)fuzz_dup(p + off, n - off < 5 ? n - off : 5);
		int r = decode_tls_record_header(hb, n - off < 5 ? n - off : 5, &h);
		free(hb);
		if (r != 0)
			break;
		/* 3.x, or an alert sent before any version was agreed (version 0x0000) */
		if (h.type < 20 || h.type > 23 || (h.version >> 8 != 3 && !(h.type == 21 && h.version == 0)))
			abort();
		size_t rl = 5 + (size_t)h.length;
		if (rl > n - off)
			rl = n - off; /* a truncated record, decoded as what there is */
		uint8_t *rec = (uint8_t *)fuzz_dup(p + off, rl);
		fields_init(&f);
		decode_tls_record(rec, rl, &f, summary, sizeof summary);
		fuzz_check_output(&f, summary, sizeof summary);
		fields_free(&f);
		const uint8_t *body = p + off + 5;
		size_t bl = rl - 5;
		if (h.type == 22) {
			size_t m = 0;
			while (m < bl) {
				size_t ml = bl - m < 4 ? bl - m
					 : 4 + ((size_t)body[m + 1] << 16 | (size_t)body[m + 2] << 8 | body[m + 3]);
				if (ml > bl - m)
					ml = bl - m;
				check_handshake(body + m, ml, version);
				m += ml;
			}
		} else if (h.type == 21) {
			check_alert(body, bl);
		}
		free(rec);
		off += rl;
	}
	check_alert(p, n < 2 ? n : 2);
	return 0;
}
