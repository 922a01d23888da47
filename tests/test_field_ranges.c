/* test_field_ranges: the byte range each decoded field carries (fields.h: has_range, off,
 * len) lies inside the event's own bytes — its wire bytes, or its plaintext when it has
 * none (an SMTP line inside TLS) — for every field of every scenario, and holds what the value
 * shows: the ClientHello's random, the SNI host name, each cipher suite, the record
 * header's length, the handshake header, an SMTP verb, a reply code, a mailbox. */
#include "testrun.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>

#include "sim/decode/decode.h"

static void run_file(const char *name, struct scenario *sc, struct run_result *r)
{
	char path[1024], err[1024];
	snprintf(path, sizeof path, "%s/%s", test_scenarios_dir(), name);
	if (scenario_load(path, test_load_opts(), sc, err, sizeof err))
		fail_msg("%s", err);
	struct run_options opt = { 0 };
	if (test_run_scenario(sc, &opt, r, err, sizeof err))
		fail_msg("%s: %s", path, err);
}

/* The bytes a field's range counts in, and how many there are. */
static const uint8_t *own_bytes(const struct trace_event *e, size_t *len, size_t *stored)
{
	if (!e->wire_len) {
		*len = e->plain_len;
		*stored = e->plain_stored;
		return e->plain;
	}
	*len = e->wire_len;
	*stored = e->wire_stored;
	return e->wire;
}

static const struct field *field_named(const struct trace_event *e, const char *name, size_t nth)
{
	for (size_t i = 0; i < e->fields.n; i++)
		if (strcmp(e->fields.v[i].name, name) == 0 && nth-- == 0)
			return &e->fields.v[i];
	return NULL;
}

static const struct trace_event *find(const struct trace *t, enum trace_kind kind, int subtype, int encrypted)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ev[i].kind == kind && (subtype < 0 || t->ev[i].subtype == subtype) &&
		    (encrypted < 0 || t->ev[i].encrypted == encrypted))
			return &t->ev[i];
	return NULL;
}

/* The field's bytes, which must be there. */
static const uint8_t *range_of(const struct trace_event *e, const struct field *f)
{
	size_t len, stored;
	const uint8_t *p = own_bytes(e, &len, &stored);
	assert_non_null(f);
	assert_true(f->has_range);
	assert_non_null(p);
	assert_true(f->off + f->len <= stored);
	return p + f->off;
}

static int ini_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 4 && !strcmp(d->d_name + n - 4, ".ini");
}

/* Every scenario: every range lies inside the bytes it counts in, and many fields have one. */
static void test_ranges_inside(void **state)
{
	(void)state;
	struct dirent **names;
	int n = scandir(test_scenarios_dir(), &names, ini_filter, alphasort);
	assert_true(n > 0);
	size_t with = 0;
	for (int k = 0; k < n; k++) {
		struct scenario sc;
		struct run_result r;
		run_file(names[k]->d_name, &sc, &r);
		for (size_t i = 0; i < r.trace.n; i++) {
			const struct trace_event *e = &r.trace.ev[i];
			size_t len, stored;
			const uint8_t *p = own_bytes(e, &len, &stored);
			for (size_t j = 0; j < e->fields.n; j++) {
				const struct field *f = &e->fields.v[j];
				if (!f->has_range)
					continue;
				with++;
				if (!p || f->off + f->len > len || f->off > len)
					fail_msg("%s: event %u field %s: range %zu+%zu outside its %zu bytes%s",
						 names[k]->d_name, e->seq, f->name, f->off, f->len, len,
						 p ? "" : " (it has none)");
			}
		}
		run_result_free(&r);
		scenario_free(&sc);
		free(names[k]);
	}
	free(names);
	assert_true(with > 1000);
}

static void test_clienthello(void **state)
{
	(void)state;
	struct scenario sc;
	struct run_result r;
	run_file("starttls.ini", &sc, &r);
	const struct trace_event *ch = find(&r.trace, TK_HANDSHAKE, TLS_HS_CLIENT_HELLO, 0);
	assert_non_null(ch);

	/* the handshake header */
	const struct field *f = field_named(ch, "handshake_type", 0);
	const uint8_t *b = range_of(ch, f);
	assert_int_equal(f->off, 0);
	assert_int_equal(f->len, 1);
	assert_int_equal(b[0], TLS_HS_CLIENT_HELLO);
	f = field_named(ch, "length", 0);
	b = range_of(ch, f);
	assert_int_equal(f->len, 3);
	assert_int_equal((size_t)b[0] << 16 | (size_t)b[1] << 8 | b[2], (size_t)atoi(f->value));
	assert_int_equal(ch->wire_len, 4 + (size_t)atoi(f->value));

	/* random: exactly the 32 bytes its value shows, after the version */
	f = field_named(ch, "random", 0);
	b = range_of(ch, f);
	assert_int_equal(f->off, 6);
	assert_int_equal(f->len, 32);
	char hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[i]);
	assert_string_equal(hex, f->value);
	f = field_named(ch, "version", 0);
	b = range_of(ch, f);
	assert_int_equal(f->len, 2);
	assert_int_equal(b[0] << 8 | b[1], 0x0303);

	/* the SNI: the host name itself */
	f = field_named(ch, "server_name", 0);
	b = range_of(ch, f);
	assert_int_equal(f->len, strlen("mail.example.test"));
	assert_memory_equal(b, "mail.example.test", f->len);

	/* each suite: its two bytes, named as the value says; the list holds them all */
	const struct field *list = field_named(ch, "cipher_suites", 0);
	const uint8_t *lb = range_of(ch, list);
	size_t nsuites = 0;
	for (; (f = field_named(ch, "suite", nsuites)); nsuites++) {
		b = range_of(ch, f);
		assert_int_equal(f->len, 2);
		const char *name = decode_cipher_suite_name((unsigned)(b[0] << 8 | b[1]));
		assert_non_null(name);
		assert_string_equal(name, f->value);
		assert_int_equal(f->off, list->off + 2 + 2 * nsuites);
	}
	assert_true(nsuites >= 2);
	assert_int_equal(list->len, 2 + 2 * nsuites);
	assert_int_equal(lb[0] << 8 | lb[1], 2 * nsuites);

	/* supported_groups: the list of 2-byte codes, as many as the value names */
	f = field_named(ch, "supported_groups", 0);
	b = range_of(ch, f);
	size_t commas = 0;
	for (const char *c = f->value; *c; c++)
		commas += *c == ',';
	assert_int_equal(f->len, 2 * (commas + 1));
	assert_string_equal(decode_group_name((unsigned)(b[0] << 8 | b[1])),
			    strtok(strdup(f->value), ",")); /* leaked: a test */

	/* extensions: the block with its length prefix, which ends the message */
	f = field_named(ch, "extensions", 0);
	b = range_of(ch, f);
	assert_int_equal(f->off + f->len, ch->wire_len);
	assert_int_equal((size_t)(b[0] << 8 | b[1]), f->len - 2);

	/* the record around it: its header's length field */
	const struct trace_event *rec = &r.trace.ev[ch->parent];
	assert_int_equal(rec->kind, TK_RECORD);
	f = field_named(rec, "length", 0);
	b = range_of(rec, f);
	assert_int_equal(f->off, 3);
	assert_int_equal(f->len, 2);
	assert_int_equal((size_t)(b[0] << 8 | b[1]), (size_t)atoi(f->value));
	assert_int_equal(rec->wire_len, 5 + (size_t)atoi(f->value));
	f = field_named(rec, "content_type", 0);
	b = range_of(rec, f);
	assert_int_equal(f->len, 1);
	assert_int_equal(b[0], TLS_CT_HANDSHAKE);

	/* ServerHello: the chosen suite; ServerKeyExchange: the key it shows */
	const struct trace_event *sh = find(&r.trace, TK_HANDSHAKE, TLS_HS_SERVER_HELLO, 0);
	assert_non_null(sh);
	f = field_named(sh, "cipher_suite", 0);
	b = range_of(sh, f);
	assert_int_equal(f->len, 2);
	assert_string_equal(decode_cipher_suite_name((unsigned)(b[0] << 8 | b[1])), f->value);
	const struct trace_event *ske = find(&r.trace, TK_HANDSHAKE, TLS_HS_SERVER_KEY_EXCHANGE, 0);
	assert_non_null(ske);
	f = field_named(ske, "public_key", 0);
	b = range_of(ske, f);
	assert_int_equal(f->len, (size_t)atoi(field_named(ske, "public_key_length", 0)->value));
	for (size_t i = 0; i < f->len && 2 * i + 1 < strlen(f->value); i++) {
		char two[3];
		snprintf(two, sizeof two, "%02x", b[i]);
		assert_memory_equal(two, f->value + 2 * i, 2);
	}
	f = field_named(ske, "signature_length", 0);
	b = range_of(ske, f);
	assert_int_equal(f->len, 2 + (size_t)atoi(f->value));
	assert_int_equal(f->off + f->len, ske->wire_len); /* the signature ends the message */
	const struct trace_event *cert = find(&r.trace, TK_HANDSHAKE, TLS_HS_CERTIFICATE, 0);
	assert_non_null(cert);
	f = field_named(cert, "certificate", 0);
	b = range_of(cert, f);
	assert_int_equal(b[0], 0x30); /* a DER SEQUENCE */
	assert_int_equal(f->len, (size_t)atoi(field_named(cert, "length", 1)->value));

	run_result_free(&r);
	scenario_free(&sc);
}

static void test_smtp(void **state)
{
	(void)state;
	struct scenario sc;
	struct run_result r;
	run_file("starttls.ini", &sc, &r);

	/* a cleartext command: the verb as written, in the wire bytes */
	const struct trace_event *c = find(&r.trace, TK_SMTP_COMMAND, -1, 0);
	assert_non_null(c);
	const struct field *f = field_named(c, "verb", 0);
	const uint8_t *b = range_of(c, f);
	assert_int_equal(f->off, 0);
	assert_int_equal(f->len, strlen(f->value));
	for (size_t i = 0; i < f->len; i++)
		assert_int_equal(toupper(b[i]), f->value[i]);
	f = field_named(c, "argument", 0);
	if (f) {
		b = range_of(c, f);
		assert_memory_equal(b, f->value, f->len);
		assert_int_equal(f->len, strlen(f->value));
	}

	/* a reply: its code */
	const struct trace_event *rp = find(&r.trace, TK_SMTP_REPLY, 220, 0);
	assert_non_null(rp);
	f = field_named(rp, "code", 0);
	b = range_of(rp, f);
	assert_int_equal(f->len, 3);
	assert_memory_equal(b, "220", 3);
	f = field_named(rp, "text", 0);
	b = range_of(rp, f);
	assert_memory_equal(b, f->value, f->len);

	/* inside TLS: MAIL FROM's mailbox, counted in the plaintext */
	const struct trace_event *m = find(&r.trace, TK_SMTP_COMMAND, -1, 1);
	assert_non_null(m);
	size_t i = (size_t)(m - r.trace.ev);
	for (; i < r.trace.n; i++)
		if (r.trace.ev[i].kind == TK_SMTP_COMMAND && field_named(&r.trace.ev[i], "mail_from", 0))
			break;
	assert_true(i < r.trace.n);
	m = &r.trace.ev[i];
	assert_true(m->encrypted);
	f = field_named(m, "mail_from", 0);
	b = range_of(m, f);
	assert_int_equal(f->len, strlen(f->value));
	assert_memory_equal(b, f->value, f->len);
	assert_int_equal(b[-1], '<');
	assert_int_equal(b[f->len], '>');

	run_result_free(&r);
	scenario_free(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges_inside),
		cmocka_unit_test(test_clienthello),
		cmocka_unit_test(test_smtp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
