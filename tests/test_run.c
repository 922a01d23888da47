/* test_run: whole sessions through the scheduler, checked the way a student reads the
 * trace: what an eavesdropper learns in plain SMTP, that implicit TLS leaves nothing
 * readable, the STARTTLS story event by event in the right directions, the same seed
 * giving the same bytes, and the [expect] check. */
#include "testrun.h"

#include <stdio.h>

#include "sim/run/run.h"
#include "sim/run/scenario.h"

static void load(const char *file, struct scenario *s)
{
	char path[512], err[1024] = "";
	snprintf(path, sizeof path, "%s/%s", test_scenarios_dir(), file);
	if (scenario_load(path, test_load_opts(), s, err, sizeof err))
		fail_msg("%s did not load: %s", path, err);
}

static void run_seeded(const struct scenario *s, int has_seed, uint64_t seed, struct run_result *r)
{
	char err[1024] = "";
	struct run_options opt = { .has_seed = has_seed, .seed = seed };
	if (test_run_scenario(s, &opt, r, err, sizeof err))
		fail_msg("%s did not run: %s", s->path, err);
	assert_true(r->trace.n > 0);
}

static void run(const struct scenario *s, struct run_result *r)
{
	run_seeded(s, 0, 0, r);
}

static int starts_with(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

/* Bytes contain needle (not NUL-terminated). */
static int bytes_contain(const uint8_t *p, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; k <= n && i + k <= n; i++)
		if (!memcmp(p + i, needle, k))
			return 1;
	return 0;
}

static const struct trace_event *find_event(const struct trace *t, enum trace_layer layer, const char *prefix)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ev[i].layer == layer && starts_with(t->ev[i].summary, prefix))
			return &t->ev[i];
	return NULL;
}

static int is_smtp(enum trace_layer l)
{
	return l == LAYER_SMTP_COMMAND || l == LAYER_SMTP_REPLY || l == LAYER_SMTP_DATA;
}

/* Nothing the client said in secret is in the bytes anyone on the path can read. */
static void assert_wire_has_no_secrets(const struct trace *t)
{
	static const char *const secrets[] = {
		"alice@example.test", "bob@example.test", "wonderland",
		"AGFsaWNlAHdvbmRlcmxhbmQ=", /* AUTH PLAIN's base64 of \0alice\0wonderland */
		"Lunch on Friday", "4711", "MAIL FROM", "RCPT TO", "AUTH",
	};
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if (!(e->readers & READ_WIRE))
			continue;
		for (size_t k = 0; k < sizeof secrets / sizeof secrets[0]; k++)
			if (bytes_contain(e->wire, e->wire_stored, secrets[k]))
				fail_msg("event %u (%s) shows '%s' on the wire", e->seq, e->summary, secrets[k]);
	}
}

/* ---- plain SMTP ---- */

static void test_plain_eavesdropper(void **state)
{
	(void)state;
	struct scenario s;
	struct run_result r;
	load("plain.ini", &s);
	run(&s, &r);
	const struct outcome *o = &r.outcome;
	assert_int_equal(o->delivered, 1);
	assert_int_equal(o->altered, 0);
	assert_int_equal(o->tls[LINK_CLIENT_SERVER], 0);
	assert_string_equal(o->client_error, "");
	/* the eavesdropper decoded AUTH PLAIN's base64 */
	assert_int_equal(o->observer.what, OBSERVED_CREDENTIALS | OBSERVED_ENVELOPE | OBSERVED_BODY);
	assert_string_equal(o->observer.user, "alice");
	assert_string_equal(o->observer.password, "wonderland");
	assert_string_equal(o->observer.mail_from, "alice@example.test");
	assert_int_equal(o->observer.nrcpt, 1);
	assert_string_equal(o->observer.rcpt[0], "bob@example.test");
	assert_string_equal(o->observer.subject, "Lunch on Friday?");
	assert_non_null(strstr(o->summary, "wonderland"));

	/* and that is really on the wire: AUTH PLAIN in base64, the body in clear */
	const struct trace_event *auth = find_event(&r.trace, LAYER_SMTP_COMMAND, "AUTH PLAIN");
	assert_non_null(auth);
	assert_true(auth->readers & READ_WIRE);
	assert_int_equal(auth->encrypted, 0);
	assert_true(bytes_contain(auth->wire, auth->wire_stored, "AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ="));
	const struct trace_event *body = NULL;
	for (size_t i = 0; i < r.trace.n; i++)
		if (r.trace.ev[i].layer == LAYER_SMTP_DATA)
			body = &r.trace.ev[i];
	assert_non_null(body);
	assert_int_equal(body->from, ACTOR_CLIENT);
	assert_int_equal(body->to, ACTOR_SERVER);
	assert_true(body->readers & READ_WIRE);
	assert_true(bytes_contain(body->wire, body->wire_stored, "Subject: Lunch on Friday?"));
	assert_true(bytes_contain(body->wire, body->wire_stored, "The code for the door is 4711."));
	/* no TLS at all: no records, no keys */
	assert_null(find_event(&r.trace, LAYER_TLS_RECORD, ""));
	assert_int_equal(r.trace.nsessions, 0);

	char report[1024];
	assert_int_equal(run_check_expect(&s, o, report, sizeof report), 1);
	assert_string_equal(report, "");
	run_result_free(&r);
	scenario_free(&s);
}

/* ---- implicit TLS ---- */

static void test_implicit_tls_hides_everything(void **state)
{
	(void)state;
	struct scenario s;
	struct run_result r;
	load("implicit-tls.ini", &s);
	run(&s, &r);
	const struct outcome *o = &r.outcome;
	assert_int_equal(o->delivered, 1);
	assert_int_equal(o->tls[LINK_CLIENT_SERVER], 1);
	assert_string_equal(o->tls_version[LINK_CLIENT_SERVER], "TLS 1.2");
	assert_true(strlen(o->tls_suite[LINK_CLIENT_SERVER]) > 4);
	assert_int_equal(o->observer.what, 0);
	assert_string_equal(o->observer.user, "");
	assert_string_equal(o->observer.password, "");
	assert_int_equal(o->client_err, 0);
	assert_int_equal(o->server_err, 0);

	/* not even the greeting crosses in cleartext */
	size_t smtp_events = 0;
	for (size_t i = 0; i < r.trace.n; i++) {
		const struct trace_event *e = &r.trace.ev[i];
		if (!is_smtp(e->layer))
			continue;
		smtp_events++;
		if (e->readers & READ_WIRE)
			fail_msg("event %u '%s' is SMTP readable on the wire", e->seq, e->summary);
		assert_int_equal(e->encrypted, 1);
		assert_true(e->parent >= 0);
	}
	assert_true(smtp_events >= 10); /* the session did happen, inside TLS */
	/* the first thing after the TCP open is the ClientHello */
	size_t first = 0;
	while (first < r.trace.n && (r.trace.ev[first].layer == LAYER_CONNECTION || r.trace.ev[first].layer == LAYER_NOTE))
		first++;
	assert_true(first + 1 < r.trace.n);
	assert_int_equal(r.trace.ev[first].layer, LAYER_TLS_RECORD);
	assert_true(starts_with(r.trace.ev[first + 1].summary, "ClientHello"));
	assert_wire_has_no_secrets(&r.trace);
	assert_int_equal(r.trace.nsessions, 1);
	assert_int_equal(r.trace.sessions[0].links, 1u << LINK_CLIENT_SERVER);
	assert_int_equal(r.trace.sessions[0].client_end, ACTOR_CLIENT);
	assert_int_equal(r.trace.sessions[0].server_end, ACTOR_SERVER);
	assert_true(r.trace.sessions[0].client_up && r.trace.sessions[0].server_up && r.trace.sessions[0].has_secret);

	char report[1024];
	assert_int_equal(run_check_expect(&s, o, report, sizeof report), 1);
	assert_string_equal(report, "");
	run_result_free(&r);
	scenario_free(&s);
}

/* ---- the STARTTLS story, event by event ---- */

struct cursor {
	const struct trace *t;
	size_t i;
};

/* The next event a student would look at: no notes, no record wrappers, no TCP events. */
static const struct trace_event *next_shown(struct cursor *c)
{
	while (c->i < c->t->n) {
		const struct trace_event *e = &c->t->ev[c->i++];
		if (e->layer != LAYER_NOTE && e->layer != LAYER_TLS_RECORD && e->layer != LAYER_CONNECTION)
			return e;
	}
	return NULL;
}

#define C2S ACTOR_CLIENT, ACTOR_SERVER
#define S2C ACTOR_SERVER, ACTOR_CLIENT

static const struct trace_event *expect_next(struct cursor *c, enum trace_layer layer, enum trace_actor from,
					     enum trace_actor to, const char *prefix, int encrypted)
{
	const struct trace_event *e = next_shown(c);
	if (!e)
		fail_msg("trace ended; expected %s '%s'", trace_layer_name(layer), prefix);
	if (e->layer != layer || e->from != from || e->to != to || !starts_with(e->summary, prefix))
		fail_msg("event %u: expected %s %s->%s '%s...', got %s %s->%s '%s'", e->seq, trace_layer_name(layer),
			 trace_actor_name(from), trace_actor_name(to), prefix, trace_layer_name(e->layer),
			 trace_actor_name(e->from), trace_actor_name(e->to), e->summary);
	if (e->link != LINK_CLIENT_SERVER)
		fail_msg("event %u '%s' on link %d", e->seq, e->summary, (int)e->link);
	if (e->encrypted != encrypted)
		fail_msg("event %u '%s': encrypted = %d, expected %d", e->seq, e->summary, e->encrypted, encrypted);
	/* cleartext: anyone on the path reads it; encrypted: only the endpoints */
	if (encrypted ? (e->readers & READ_WIRE) != 0 : (e->readers & READ_WIRE) == 0)
		fail_msg("event %u '%s': readers %#x", e->seq, e->summary, (unsigned)e->readers);
	if (layer == LAYER_TLS_HANDSHAKE || layer == LAYER_TLS_CCS || encrypted) {
		/* found inside a record that went the same way */
		assert_true(e->parent >= 0 && (size_t)e->parent < c->t->n);
		const struct trace_event *rec = &c->t->ev[e->parent];
		assert_int_equal(rec->layer, LAYER_TLS_RECORD);
		assert_int_equal(rec->from, e->from);
		assert_true(rec->seq < e->seq);
	} else {
		assert_int_equal(e->parent, -1);
	}
	return e;
}

/* A multi-line 250 reply: "250-..." lines then one "250 ...". Returns whether one of
 * them offered STARTTLS. */
static int expect_ehlo_reply(struct cursor *c, int encrypted)
{
	int starttls = 0;
	for (;;) {
		const struct trace_event *e = expect_next(c, LAYER_SMTP_REPLY, S2C, "250", encrypted);
		if (!strcmp(e->summary + 4, "STARTTLS"))
			starttls = 1;
		if (e->summary[3] == ' ')
			return starttls;
		assert_int_equal(e->summary[3], '-');
	}
}

static void test_starttls_story(void **state)
{
	(void)state;
	struct scenario s;
	struct run_result r;
	load("starttls.ini", &s);
	run(&s, &r);
	struct cursor c = { &r.trace, 0 };

	/* cleartext SMTP up to STARTTLS */
	expect_next(&c, LAYER_SMTP_REPLY, S2C, "220 ", 0);
	expect_next(&c, LAYER_SMTP_COMMAND, C2S, "EHLO ", 0);
	assert_int_equal(expect_ehlo_reply(&c, 0), 1);
	expect_next(&c, LAYER_SMTP_COMMAND, C2S, "STARTTLS", 0);
	expect_next(&c, LAYER_SMTP_REPLY, S2C, "220 ", 0);
	/* the handshake */
	const struct trace_event *ch = expect_next(&c, LAYER_TLS_HANDSHAKE, C2S, "ClientHello", 0);
	expect_next(&c, LAYER_TLS_HANDSHAKE, S2C, "ServerHello", 0);
	expect_next(&c, LAYER_TLS_HANDSHAKE, S2C, "Certificate", 0);
	expect_next(&c, LAYER_TLS_HANDSHAKE, S2C, "ServerKeyExchange", 0);
	expect_next(&c, LAYER_TLS_HANDSHAKE, S2C, "ServerHelloDone", 0);
	expect_next(&c, LAYER_TLS_HANDSHAKE, C2S, "ClientKeyExchange", 0);
	expect_next(&c, LAYER_TLS_CCS, C2S, "ChangeCipherSpec", 0);
	expect_next(&c, LAYER_TLS_HANDSHAKE, C2S, "Finished", 1);
	expect_next(&c, LAYER_TLS_CCS, S2C, "ChangeCipherSpec", 0);
	expect_next(&c, LAYER_TLS_HANDSHAKE, S2C, "Finished", 1);
	/* RFC 3207: EHLO again, inside TLS, and STARTTLS is no longer offered */
	const struct trace_event *ehlo2 = expect_next(&c, LAYER_SMTP_COMMAND, C2S, "EHLO ", 1);
	assert_true(ehlo2->parent >= 0);
	assert_true(bytes_contain(ehlo2->plain, ehlo2->plain_stored, "EHLO client.example.test\r\n"));
	assert_false(bytes_contain(r.trace.ev[ehlo2->parent].wire, r.trace.ev[ehlo2->parent].wire_stored, "EHLO"));
	assert_int_equal(expect_ehlo_reply(&c, 1), 0);
	expect_next(&c, LAYER_SMTP_COMMAND, C2S, "AUTH PLAIN", 1);
	expect_next(&c, LAYER_SMTP_REPLY, S2C, "235 ", 1);
	expect_next(&c, LAYER_SMTP_COMMAND, C2S, "MAIL FROM:<alice@example.test>", 1);
	expect_next(&c, LAYER_SMTP_REPLY, S2C, "250 ", 1);
	expect_next(&c, LAYER_SMTP_COMMAND, C2S, "RCPT TO:<bob@example.test>", 1);
	expect_next(&c, LAYER_SMTP_REPLY, S2C, "250 ", 1);
	expect_next(&c, LAYER_SMTP_COMMAND, C2S, "DATA", 1);
	expect_next(&c, LAYER_SMTP_REPLY, S2C, "354 ", 1);
	const struct trace_event *body = expect_next(&c, LAYER_SMTP_DATA, C2S, "Message", 1);
	assert_true(bytes_contain(body->plain, body->plain_stored, "Subject: Lunch on Friday?"));
	expect_next(&c, LAYER_SMTP_REPLY, S2C, "250 ", 1);
	expect_next(&c, LAYER_SMTP_COMMAND, C2S, "QUIT", 1);
	expect_next(&c, LAYER_SMTP_REPLY, S2C, "221 ", 1);
	/* after that only the closing alerts */
	for (const struct trace_event *e; (e = next_shown(&c));)
		if (e->layer != LAYER_TLS_ALERT)
			fail_msg("event %u '%s' after QUIT", e->seq, e->summary);

	/* the outcome a student reads */
	const struct outcome *o = &r.outcome;
	assert_int_equal(o->delivered, 1);
	assert_int_equal(o->tls[LINK_CLIENT_SERVER], 1);
	assert_int_equal(o->observer.what, 0);
	assert_int_equal(o->nalerts, 0); /* close_notify is not an alert worth reporting */
	assert_wire_has_no_secrets(&r.trace);
	/* the key log matches the ClientHello that crossed the wire */
	assert_int_equal(r.trace.nsessions, 1);
	assert_true(ch->wire_stored >= 38);
	assert_memory_equal(r.trace.sessions[0].client_random, ch->wire + 6, 32);

	char report[1024];
	assert_int_equal(run_check_expect(&s, o, report, sizeof report), 1);
	assert_string_equal(report, "");
	run_result_free(&r);
	scenario_free(&s);
}

/* Sequence numbers are positions, virtual time never goes back. */
static void test_trace_well_formed(void **state)
{
	(void)state;
	static const char *const files[] = { "plain.ini", "starttls.ini", "implicit-tls.ini" };
	for (size_t f = 0; f < 3; f++) {
		struct scenario s;
		struct run_result r;
		load(files[f], &s);
		run(&s, &r);
		for (size_t i = 0; i < r.trace.n; i++) {
			const struct trace_event *e = &r.trace.ev[i];
			assert_int_equal(e->seq, i + 1);
			if (i)
				assert_true(e->time_us >= r.trace.ev[i - 1].time_us);
			assert_non_null(e->summary);
			assert_true(e->summary[0] != '\0');
			assert_null(strchr(e->summary, '\n'));
			assert_true(e->parent < (int)i);
			assert_true(e->wire_stored <= e->wire_len);
			assert_true(e->plain_stored <= e->plain_len);
			if (e->layer == LAYER_NOTE)
				assert_int_equal(e->from, e->to);
			else
				assert_int_not_equal(e->from, e->to);
		}
		run_result_free(&r);
		scenario_free(&s);
	}
}

/* ---- determinism ---- */

static void assert_same_trace(const struct run_result *a, const struct run_result *b)
{
	assert_int_equal(a->trace.n, b->trace.n);
	for (size_t i = 0; i < a->trace.n; i++) {
		const struct trace_event *x = &a->trace.ev[i], *y = &b->trace.ev[i];
		assert_int_equal(x->seq, y->seq);
		assert_true(x->time_us == y->time_us);
		assert_int_equal(x->link, y->link);
		assert_int_equal(x->from, y->from);
		assert_int_equal(x->to, y->to);
		assert_int_equal(x->layer, y->layer);
		assert_int_equal(x->parent, y->parent);
		assert_int_equal(x->encrypted, y->encrypted);
		assert_int_equal(x->readers, y->readers);
		assert_int_equal(x->attack, y->attack);
		assert_string_equal(x->summary, y->summary);
		if (x->narration || y->narration)
			assert_string_equal(x->narration ? x->narration : "", y->narration ? y->narration : "");
		assert_int_equal(x->wire_len, y->wire_len);
		assert_int_equal(x->wire_stored, y->wire_stored);
		if (x->wire_stored)
			assert_memory_equal(x->wire, y->wire, x->wire_stored);
		assert_int_equal(x->plain_len, y->plain_len);
		assert_int_equal(x->plain_stored, y->plain_stored);
		if (x->plain_stored)
			assert_memory_equal(x->plain, y->plain, x->plain_stored);
		assert_int_equal(x->fields.n, y->fields.n);
		for (size_t k = 0; k < x->fields.n; k++) {
			assert_int_equal(x->fields.v[k].depth, y->fields.v[k].depth);
			assert_string_equal(x->fields.v[k].name, y->fields.v[k].name);
			assert_string_equal(x->fields.v[k].value, y->fields.v[k].value);
		}
	}
	assert_int_equal(a->trace.nsessions, b->trace.nsessions);
	for (size_t i = 0; i < a->trace.nsessions; i++) {
		assert_int_equal(a->trace.sessions[i].links, b->trace.sessions[i].links);
		assert_memory_equal(a->trace.sessions[i].client_random, b->trace.sessions[i].client_random, 32);
		assert_memory_equal(a->trace.sessions[i].master_secret, b->trace.sessions[i].master_secret, 48);
	}
	assert_string_equal(a->outcome.summary, b->outcome.summary);
}

static void test_same_seed_same_trace(void **state)
{
	(void)state;
	static const char *const files[] = { "starttls.ini", "implicit-tls.ini", "plain.ini" };
	for (size_t f = 0; f < 3; f++) {
		struct scenario s;
		struct run_result a, b, c;
		load(files[f], &s);
		run(&s, &a);
		run(&s, &b);
		assert_same_trace(&a, &b);
		/* an explicit seed equal to the file's is the same run */
		run_seeded(&s, 1, s.seed, &c);
		assert_true(c.seed == s.seed);
		assert_same_trace(&a, &c);
		run_result_free(&a);
		run_result_free(&b);
		run_result_free(&c);
		scenario_free(&s);
	}
}

static void test_other_seed_other_bytes(void **state)
{
	(void)state;
	struct scenario s;
	struct run_result a, b;
	load("starttls.ini", &s);
	assert_true(s.seed != 2);
	run(&s, &a);
	run_seeded(&s, 1, 2, &b);
	assert_true(a.seed == s.seed);
	assert_true(b.seed == 2);
	const struct trace_event *cha = find_event(&a.trace, LAYER_TLS_HANDSHAKE, "ClientHello");
	const struct trace_event *chb = find_event(&b.trace, LAYER_TLS_HANDSHAKE, "ClientHello");
	assert_non_null(cha);
	assert_non_null(chb);
	const char *ra = fields_get(&cha->fields, "random"), *rb = fields_get(&chb->fields, "random");
	assert_non_null(ra);
	assert_non_null(rb);
	assert_int_equal(strlen(ra), 64); /* 32 bytes in hex */
	assert_string_not_equal(ra, rb);
	assert_int_equal(cha->wire_stored, chb->wire_stored);
	assert_memory_not_equal(cha->wire, chb->wire, cha->wire_stored);
	/* the keys differ, the story does not */
	assert_memory_not_equal(a.trace.sessions[0].master_secret, b.trace.sessions[0].master_secret, 48);
	assert_int_equal(b.outcome.delivered, 1);
	assert_int_equal(run_check_expect(&s, &b.outcome, NULL, 0), 1);
	run_result_free(&a);
	run_result_free(&b);
	scenario_free(&s);
}

/* ---- decoders on real bytes ---- */

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void test_clienthello_decoded(void **state)
{
	(void)state;
	struct scenario s;
	struct run_result r;
	load("starttls.ini", &s);
	run(&s, &r);
	const struct trace_event *ch = find_event(&r.trace, LAYER_TLS_HANDSHAKE, "ClientHello");
	assert_non_null(ch);
	assert_non_null(strstr(ch->summary, "SNI mail.example.test"));
	const char *v = fields_get(&ch->fields, "server_name");
	assert_non_null(v);
	assert_string_equal(v, "mail.example.test");
	assert_true(bytes_contain(ch->wire, ch->wire_stored, "mail.example.test"));
	assert_non_null(fields_get(&ch->fields, "cipher_suites"));
	assert_string_equal(fields_get(&ch->fields, "handshake_type"), "ClientHello");
	assert_string_equal(fields_get(&ch->fields, "version"), "TLS 1.2");
	/* the suites are listed one by one under cipher_suites */
	size_t suites = 0, at = 0;
	for (size_t k = 0; k < ch->fields.n; k++)
		if (!strcmp(ch->fields.v[k].name, "cipher_suites"))
			at = k;
	for (size_t k = at + 1; k < ch->fields.n && ch->fields.v[k].depth > ch->fields.v[at].depth; k++)
		if (starts_with(ch->fields.v[k].value, "TLS_"))
			suites++;
	assert_true(suites >= 2);
	char want[16];
	snprintf(want, sizeof want, "%zu suites", suites);
	assert_string_equal(fields_get(&ch->fields, "cipher_suites"), want);
	/* the random field is the bytes at offset 6 of the handshake message */
	assert_int_equal(ch->wire[0], 1); /* handshake type client_hello */
	char rnd[65];
	hex(ch->wire + 6, 32, rnd);
	assert_string_equal(fields_get(&ch->fields, "random"), rnd);
	/* the ServerHello names the suite the outcome reports */
	const struct trace_event *sh = find_event(&r.trace, LAYER_TLS_HANDSHAKE, "ServerHello:");
	assert_non_null(sh);
	v = fields_get(&sh->fields, "cipher_suite");
	assert_non_null(v);
	assert_string_equal(v, r.outcome.tls_suite[LINK_CLIENT_SERVER]);
	run_result_free(&r);
	scenario_free(&s);
}

/* ---- expectations ---- */

static void test_expectations(void **state)
{
	(void)state;
	static const char *const files[] = { "plain.ini", "starttls.ini", "implicit-tls.ini" };
	for (size_t f = 0; f < 3; f++) {
		struct scenario s;
		struct run_result r;
		char report[1024] = "x";
		load(files[f], &s);
		run(&s, &r);
		assert_int_equal(run_check_expect(&s, &r.outcome, report, sizeof report), 1);
		assert_string_equal(report, "");

		/* flipped: the message was delivered, the lesson now says it was not */
		struct scenario v = scenario_variant(&s);
		assert_int_equal(v.expect.has_delivered, 1);
		v.expect.delivered = 0;
		assert_int_equal(run_check_expect(&v, &r.outcome, report, sizeof report), 0);
		assert_string_equal(report, "expected delivered = no, got yes\n");
		assert_int_equal(run_check_expect(&v, &r.outcome, NULL, 0), 0);

		/* flipped TLS and observer: two lines, one per unmet expectation */
		v = scenario_variant(&s);
		v.expect.tls = !v.expect.tls;
		v.expect.observer = v.expect.observer ? 0 : OBSERVED_CREDENTIALS;
		assert_int_equal(run_check_expect(&v, &r.outcome, report, sizeof report), 0);
		char want[256];
		snprintf(want, sizeof want, "expected tls = %s, got %s\n", v.expect.tls ? "yes" : "no",
			 v.expect.tls ? "no" : "yes");
		assert_true(starts_with(report, want));
		assert_non_null(strstr(report, v.expect.observer ? "expected observer_learns = credentials, got nothing\n"
								: "expected observer_learns = nothing, got credentials envelope body\n"));
		size_t lines = 0;
		for (const char *p = report; *p; p++)
			lines += *p == '\n';
		assert_int_equal(lines, 2);

		/* an expectation that is not set is not checked */
		v = scenario_variant(&s);
		v.expect.has_delivered = 0;
		v.expect.delivered = 0;
		assert_int_equal(run_check_expect(&v, &r.outcome, report, sizeof report), 1);
		run_result_free(&r);
		scenario_free(&s);
	}
}

static void test_unmet_expectation_file(void **state)
{
	(void)state;
	const char *d = getenv("SMTPS_TESTDATA");
	char path[512], err[1024] = "", report[1024];
	snprintf(path, sizeof path, "%s/unmet-expect.ini", d && *d ? d : "tests/data");
	struct scenario s;
	struct run_result r;
	if (scenario_load(path, test_load_opts(), &s, err, sizeof err))
		fail_msg("%s", err);
	run(&s, &r);
	assert_int_equal(r.outcome.delivered, 1);
	assert_int_equal(run_check_expect(&s, &r.outcome, report, sizeof report), 0);
	assert_string_equal(report, "expected observer_learns = nothing, got credentials envelope body\n");
	run_result_free(&r);
	scenario_free(&s);
}

/* A certificate that will not load is refused when the PKI loads, before any run, with
 * a message, not a crash. */
static void test_bad_certificate_file(void **state)
{
	(void)state;
	struct scenario s;
	struct run_pki pki;
	char err[1024] = "";
	load("starttls.ini", &s);
	struct scenario v = scenario_variant(&s);
	v.server.tls_opt.cert = (char *)"/nonexistent/server.pem";
	assert_int_equal(run_pki_load(&v, &pki, err, sizeof err), -1);
	assert_true(strlen(err) > 10);
	assert_null(strchr(err, '\n'));
	assert_non_null(strstr(err, "/nonexistent/server.pem"));
	/* a key file that is not a key */
	v = scenario_variant(&s);
	v.server.tls_opt.key = s.server.tls_opt.cert; /* a certificate, not a key */
	err[0] = '\0';
	assert_int_equal(run_pki_load(&v, &pki, err, sizeof err), -1);
	assert_true(strlen(err) > 10);
	assert_null(strchr(err, '\n'));
	scenario_free(&s);
}

/* run_scenario reads no file: without a PKI, or with one loaded for a scenario that
 * lacks the attacker, it refuses to run instead of loading what is missing. */
static void test_run_needs_its_pki(void **state)
{
	(void)state;
	struct scenario s, m;
	struct run_result r;
	struct run_pki pki;
	char err[1024] = "";
	load("starttls.ini", &s);
	load("strip-opportunistic.ini", &m);
	assert_int_equal(run_scenario(&s, NULL, NULL, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "run_pki_load"));
	if (run_pki_load(&s, &pki, err, sizeof err))
		fail_msg("%s", err);
	assert_int_equal(run_scenario(&m, &pki, NULL, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "attacker"));
	assert_null(strchr(err, '\n'));
	assert_int_equal(run_scenario(&s, &pki, NULL, &r, err, sizeof err), 0);
	run_result_free(&r);
	run_pki_free(&pki);
	scenario_free(&m);
	scenario_free(&s);
}

/* A run that is still moving bytes at the round limit fails with a message instead of
 * ending quietly with half a session. */
static void test_round_limit(void **state)
{
	(void)state;
	struct scenario s;
	struct run_result r;
	char err[1024] = "";
	load("starttls.ini", &s);
	struct run_options opt = { .max_rounds = 3 };
	assert_int_equal(test_run_scenario(&s, &opt, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "does not end"));
	assert_non_null(strstr(err, "3 rounds"));
	assert_null(strchr(err, '\n'));
	assert_int_equal(r.trace.n, 0); /* nothing half-made is handed back */
	/* with room enough, the same run ends normally */
	opt.max_rounds = 100000;
	err[0] = '\0';
	assert_int_equal(test_run_scenario(&s, &opt, &r, err, sizeof err), 0);
	assert_true(r.outcome.delivered);
	run_result_free(&r);
	scenario_free(&s);
}

/* The stolen key is loaded with the scenario, not at the end of the session: one that
 * will not load fails before the run, and a PKI without it (loaded for a scenario in which
 * the attacker does not record) fails the run at once; neither is a lesson's outcome. */
static void test_stolen_key_missing(void **state)
{
	(void)state;
	struct scenario s;
	struct run_result r;
	struct run_pki pki;
	char err[1024] = "";
	load("forward-secrecy-rsa.ini", &s);
	struct scenario v = scenario_variant(&s);
	v.mitm.stolen_key = (char *)"/nonexistent/stolen.key";
	assert_int_equal(run_pki_load(&v, &pki, err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/stolen.key"));
	assert_null(strchr(err, '\n'));
	v = scenario_variant(&s);
	v.mitm.attack = attack_find("relay");
	if (run_pki_load(&v, &pki, err, sizeof err))
		fail_msg("%s", err);
	assert_int_equal(run_scenario(&s, &pki, NULL, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "stolen key"));
	run_pki_free(&pki);
	scenario_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_eavesdropper),
		cmocka_unit_test(test_implicit_tls_hides_everything),
		cmocka_unit_test(test_starttls_story),
		cmocka_unit_test(test_trace_well_formed),
		cmocka_unit_test(test_same_seed_same_trace),
		cmocka_unit_test(test_other_seed_other_bytes),
		cmocka_unit_test(test_clienthello_decoded),
		cmocka_unit_test(test_expectations),
		cmocka_unit_test(test_unmet_expectation_file),
		cmocka_unit_test(test_bad_certificate_file),
		cmocka_unit_test(test_run_needs_its_pki),
		cmocka_unit_test(test_round_limit),
		cmocka_unit_test(test_stolen_key_missing),
	};
	return cmocka_run_group_tests_name("run", tests, NULL, NULL);
}
