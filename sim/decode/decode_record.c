/* decode_record: the TLS record layer (RFC 5246 6.2) and alerts (7.2). */
#include "sim/decode/decode_internal.h"

int decode_tls_record_header(const uint8_t *p, size_t n, struct tls_record_header *h)
{
	if (n < 5)
		return 1;
	/* An alert sent before any version was agreed (BearSSL's protocol_version answer)
	 * carries version 0x0000; every other record says 3.x. */
	int early_alert = p[0] == 21 && p[1] == 0 && p[2] == 0;
	if (p[0] < 20 || p[0] > 23 || (p[1] != 3 && !early_alert))
		return -1;
	h->type = p[0];
	h->version = (uint16_t)(p[1] << 8 | p[2]);
	h->length = (uint16_t)(p[3] << 8 | p[4]);
	return 0;
}

int decode_tls_record(const uint8_t *rec, size_t n, struct fields *f, char *summary, size_t cap)
{
	struct tls_record_header h;
	char vb[32];
	int r = decode_tls_record_header(rec, n, &h);
	if (r == 1)
		return fail(f, summary, cap, "TLS record", "truncated header (%zu of 5 bytes)", n);
	if (r < 0)
		return fail(f, summary, cap, "TLS record",
			    "not a TLS record (type %u, version 0x%02x%02x)", rec[0], rec[1], rec[2]);
	const char *ct = decode_tls_content_type_name(h.type);
	fields_add(f, 0, "content_type", "%s", ct);
	fields_last_range(f, 0, 1);
	const char *vs = decode_version_text(h.version, vb, sizeof vb);
	fields_add(f, 0, "version", "%s", vs);
	fields_last_range(f, 1, 2);
	fields_add(f, 0, "length", "%u", h.length);
	fields_last_range(f, 3, 2);
	/* RFC 5246 6.2.3: a ciphertext fragment is at most 2^14 + 2048 bytes */
	if (h.length > 16384 + 2048)
		return fail(f, summary, cap, "TLS record", "length %u exceeds 2^14+2048", h.length);
	if (n - 5 < h.length)
		return fail(f, summary, cap, "TLS record", "truncated (%zu of %u bytes)", n - 5, h.length);
	if (n - 5 > h.length)
		return fail(f, summary, cap, "TLS record", "%zu bytes after the record", n - 5 - h.length);
	say(summary, cap, "TLS record: %s, %s, %u bytes", ct, vs, h.length);
	return 0;
}

int decode_alert(const uint8_t *p, size_t n, struct fields *f, char *summary, size_t cap)
{
	if (n < 2)
		return fail(f, summary, cap, "Alert", "truncated (%zu of 2 bytes)", n);
	char lb[32], db[32];
	const char *level = p[0] == 1 ? "warning" : p[0] == 2 ? "fatal" : NULL;
	const char *desc = decode_alert_or_null(p[1]);
	level = decode_orhex(level, p[0], 2, lb, sizeof lb);
	desc = decode_orhex(desc, p[1], 2, db, sizeof db);
	fields_add(f, 0, "level", "%s", level);
	fields_last_range(f, 0, 1);
	fields_add(f, 0, "description", "%s", desc);
	fields_last_range(f, 1, 1);
	if (n > 2)
		return fail(f, summary, cap, "Alert", "%zu bytes after the alert", n - 2);
	say(summary, cap, "Alert: %s %s", level, desc);
	return 0;
}

