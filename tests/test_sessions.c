/* test_sessions: whole sessions from tests/data/sessions, one table row per scenario
 * variant, each checked on the outcome's facts and the trace's typed events (never on
 * summary text): TLS 1.0 CBC and its 1/n-1 record split, AUTH LOGIN, a relaying attacker,
 * a real alert against [expect] alert, and a large body spread over many records. */
#include "testrun.h"

#include <stdio.h>

#include "sim/base/base64.h"
#include "sim/decode/decode.h"
#include "sim/run/run.h"
#include "sim/run/scenario.h"
#include "sim/smtp/smtp_parse.h"

/* tests/data/sessions; certificates come from the catalogue's certs/ (the data directory
 * given to scenario_load). */
static const char *sessions_dir(void)
{
	const char *d = getenv("SMTPS_TESTDATA");
	static char buf[512];
	snprintf(buf, sizeof buf, "%s/sessions", d && *d ? d : "tests/data");
	return buf;
}

static int setup(void **state)
{
	(void)state;
	return 0;
}

static void load(const char *file, struct scenario *s)
{
	char path[600], err[1024] = "";
	snprintf(path, sizeof path, "%s/%s", sessions_dir(), file);
	if (scenario_load(path, test_load_opts(), s, err, sizeof err))
		fail_msg("%s did not load: %s", path, err);
}

static void run_with(const struct scenario *s, const struct run_options *opt, struct run_result *r)
{
	char err[1024] = "";
	if (test_run_scenario(s, opt, r, err, sizeof err))
		fail_msg("%s did not run: %s", s->path, err);
	assert_true(r->trace.n > 0);
}

/* ---- the table ---- */

enum {
	CHECK_SPLIT = 1 << 0,      /* TLS 1.0 CBC: every write split 1/n-1, commands once */
	CHECK_AUTH_LOGIN = 1 << 1, /* AUTH LOGIN ran and the server accepted (235) */
	CHECK_LEDGER_LOGIN = 1 << 2, /* the observer's user and password come from the two answers */
	CHECK_LOGIN_LENGTHS = 1 << 3, /* over TLS: both lengths from the records after the two 334s */
};

struct session_case {
	const char *file;
	int delivered;
	unsigned tls_links;          /* bit (1 << link) for each link TLS is up on */
	const char *version;         /* outcome.tls_version on those links */
	int relayed;                 /* the session is end to end through a relaying attacker */
	int observer, attacker;      /* OBSERVED_* bits */
	const char *user, *password; /* what the observer read, "" for nothing */
	const char *alert, *wrong_alert; /* [expect] alert: the one sent, and one that was not */
	int checks;
};

#define L(link) (1u << (link))

static const struct session_case cases[] = {
	{ "tls10-cbc.ini", 1, L(LINK_CLIENT_SERVER), "TLS 1.0", 0, 0, 0, "", "", NULL, NULL,
	  CHECK_SPLIT },
	{ "tls10-cbc-starttls.ini", 1, L(LINK_CLIENT_SERVER), "TLS 1.0", 0, 0, 0, "", "", NULL, NULL,
	  CHECK_SPLIT },
	{ "auth-login-plain.ini", 1, 0, NULL, 0, OBSERVED_CREDENTIALS | OBSERVED_ENVELOPE | OBSERVED_BODY, 0,
	  "alice", "wonderland", NULL, NULL, CHECK_AUTH_LOGIN | CHECK_LEDGER_LOGIN },
	{ "auth-login-tls.ini", 1, L(LINK_CLIENT_SERVER), "TLS 1.2", 0, 0, 0, "", "", NULL, NULL,
	  CHECK_AUTH_LOGIN | CHECK_LOGIN_LENGTHS },
	{ "relay-starttls.ini", 1, L(LINK_CLIENT_MITM) | L(LINK_MITM_SERVER), "TLS 1.2", 1, 0, 0, "", "", NULL,
	  NULL, 0 },
	{ "alert-no-common-suite.ini", 0, 0, NULL, 0, 0, 0, "", "", "handshake_failure", "protocol_version", 0 },
	/* the alert's record says version 0x0000: it must still be read as a record */
	{ "alert-protocol-version.ini", 0, 0, NULL, 0, 0, 0, "", "", "protocol_version", "handshake_failure", 0 },
};

static int field_int(const struct trace_event *e, const char *name, int dflt)
{
	const char *v = fields_get(&e->fields, name);
	return v ? atoi(v) : dflt;
}

static int is_appdata_record(const struct trace_event *e)
{
	return e->kind == TK_RECORD && e->subtype == TLS_CT_APPLICATION_DATA && e->encrypted;
}

/* What a record carries, read the way a student reads the trace: its own plaintext when
 * it shows one, else the plaintext of the SMTP events under it. */
static void carried(const struct trace *t, size_t i, uint8_t **buf, size_t *len)
{
	const struct trace_event *rec = &t->ev[i];
	if (rec->plain_len) {
		assert_int_equal(rec->plain_stored, rec->plain_len);
		*buf = realloc(*buf, *len + rec->plain_len);
		memcpy(*buf + *len, rec->plain, rec->plain_len);
		*len += rec->plain_len;
		return;
	}
	for (size_t j = i + 1; j < t->n && t->ev[j].parent == (int)i; j++) {
		const struct trace_event *c = &t->ev[j];
		*buf = realloc(*buf, *len + c->plain_len);
		memcpy(*buf + *len, c->plain, c->plain_len);
		*len += c->plain_len;
	}
}

/* TLS 1.0 CBC: each write is a one-byte record and the rest. The one-byte record shows its
 * byte; every command inside TLS is one event; what the records carry, read in order, is
 * exactly the SMTP the events show, in both directions -- nothing lost, nothing twice. */
static void check_split(const struct trace *t)
{
	int verbs[SMTP_VERB_AUTH + 1] = { 0 };
	size_t one_byte = 0;
	for (int dir = 0; dir < 2; dir++) {
		enum trace_actor from = dir ? ACTOR_SERVER : ACTOR_CLIENT;
		uint8_t *rec_stream = NULL, *ev_stream = NULL;
		size_t rn = 0, en = 0;
		for (size_t i = 0; i < t->n; i++) {
			const struct trace_event *e = &t->ev[i];
			if (e->from != from || e->layer == LAYER_NOTE)
				continue;
			if (is_appdata_record(e)) {
				size_t before = rn;
				carried(t, i, &rec_stream, &rn);
				/* AES-CBC with HMAC-SHA1: up to 11 bytes + 20 of MAC pad to 32. */
				assert_true(rn > before);
				assert_true((e->wire_len == 5 + 32) == (rn - before <= 11));
				one_byte += e->plain_len == 1;
			}
			if (e->encrypted && (e->kind == TK_SMTP_COMMAND || e->kind == TK_SMTP_REPLY ||
					     e->kind == TK_SMTP_DATA)) {
				assert_true(e->parent >= 0);
				assert_true(is_appdata_record(&t->ev[e->parent]));
				ev_stream = realloc(ev_stream, en + e->plain_len);
				memcpy(ev_stream + en, e->plain, e->plain_len);
				en += e->plain_len;
				if (e->kind == TK_SMTP_COMMAND && e->subtype >= 0) {
					assert_true(e->subtype <= SMTP_VERB_AUTH);
					verbs[e->subtype]++;
				}
				/* A line that began in an earlier record names it; that record carried
				 * the line's first byte alone. */
				int first = field_int(e, "starts_in_record", 0);
				if (first) {
					const struct trace_event *fr = &t->ev[first - 1];
					assert_true(is_appdata_record(fr));
					assert_true(first - 1 < e->parent);
					assert_int_equal(fr->plain_len, 1);
					assert_int_equal(fr->plain[0], e->plain[0]);
				}
			}
		}
		assert_true(en > 0);
		assert_int_equal(rn, en);
		assert_memory_equal(rec_stream, ev_stream, en);
		free(rec_stream);
		free(ev_stream);
	}
	assert_true(one_byte >= 10);
	static const enum smtp_verb once[] = { SMTP_VERB_EHLO, SMTP_VERB_AUTH, SMTP_VERB_MAIL, SMTP_VERB_RCPT,
					       SMTP_VERB_DATA, SMTP_VERB_QUIT };
	for (size_t k = 0; k < sizeof once / sizeof once[0]; k++)
		assert_int_equal(verbs[once[k]], 1);
}

static const struct trace_event *find_reply(const struct trace *t, int code)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ev[i].kind == TK_SMTP_REPLY && t->ev[i].subtype == code)
			return &t->ev[i];
	return NULL;
}

/* The bytes an event shows: its plaintext when protected, else the wire. */
static void event_bytes(const struct trace_event *e, const uint8_t **p, size_t *n)
{
	*p = e->encrypted ? e->plain : e->wire;
	*n = e->encrypted ? e->plain_stored : e->wire_stored;
}

/* AUTH LOGIN: the client says AUTH LOGIN, answers two 334 prompts, the server says 235. */
static void check_auth_login(const struct trace *t)
{
	int auth = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if (e->kind != TK_SMTP_COMMAND || e->subtype != SMTP_VERB_AUTH)
			continue;
		const uint8_t *p;
		size_t n;
		event_bytes(e, &p, &n);
		assert_true(n >= 10 && !memcmp(p, "AUTH LOGIN", 10));
		auth++;
	}
	assert_int_equal(auth, 1);
	int prompts = 0;
	for (size_t i = 0; i < t->n; i++)
		prompts += t->ev[i].kind == TK_SMTP_REPLY && t->ev[i].subtype == 334;
	assert_int_equal(prompts, 2);
	assert_non_null(find_reply(t, 235));
}

/* The observer's user name and password are taught by the two answers to 334, and each is
 * the base64 of what the observer says it learned. */
static void check_ledger_login(const struct run_result *r, const char *user, const char *password)
{
	const char *want[2] = { user, password };
	const enum ledger_item items[2] = { LI_USER, LI_PASSWORD };
	for (int k = 0; k < 2; k++) {
		const struct ledger_entry *found = NULL;
		for (size_t i = 0; i < r->ledger.n; i++)
			if (r->ledger.v[i].reader == READER_OBSERVER && r->ledger.v[i].item == items[k])
				found = &r->ledger.v[i];
		assert_non_null(found);
		assert_string_equal(found->value, want[k]);
		const struct trace_event *e = &r->trace.ev[found->event];
		assert_int_equal(e->kind, TK_SMTP_COMMAND);
		const uint8_t *p;
		size_t n;
		event_bytes(e, &p, &n);
		char b64[256];
		size_t bn = base64_encode((const uint8_t *)want[k], strlen(want[k]), b64, sizeof b64);
		assert_int_equal(n, bn + 2);
		assert_memory_equal(p, b64, bn);
		/* The answer follows a 334 prompt from the server. */
		int prompt = 0;
		for (size_t i = found->event; i-- > 0;)
			if (r->trace.ev[i].kind == TK_SMTP_REPLY) {
				prompt = r->trace.ev[i].subtype;
				break;
			}
		assert_int_equal(prompt, 334);
	}
}

/* AUTH LOGIN inside TLS: the observer reads neither answer, but each travels in the
 * record after a 334 prompt, and an AEAD record's size gives its length exactly: the
 * user name's from the first, the password's from the second, and what it knows in the
 * end holds both. */
static void check_login_lengths(const struct run_result *r, const char *user, const char *password)
{
	const struct trace *t = &r->trace;
	const enum ledger_item what[2] = { LI_USER_LENGTH, LI_PASSWORD_LENGTH };
	size_t want[2] = { strlen(user), strlen(password) };
	size_t rec[2] = { 0, 0 };
	for (int k = 0; k < 2; k++) {
		int found = 0;
		for (size_t i = 0; i < r->ledger.n; i++) {
			const struct ledger_entry *le = &r->ledger.v[i];
			if (le->reader != READER_OBSERVER || le->item != what[k])
				continue;
			found++;
			assert_int_equal(le->num, want[k]);
			assert_true(le->exact);
			const struct trace_event *e = &t->ev[le->event];
			assert_true(is_appdata_record(e));
			assert_int_equal(e->from, ACTOR_CLIENT);
			rec[k] = le->event;
			/* The last reply before it is a 334 prompt. */
			int prompt = 0;
			for (size_t j = le->event; j-- > 0;)
				if (t->ev[j].kind == TK_SMTP_REPLY) {
					prompt = t->ev[j].subtype;
					break;
				}
			assert_int_equal(prompt, 334);
		}
		assert_int_equal(found, 1);
	}
	assert_true(rec[0] < rec[1]);
	struct knowledge kn;
	ledger_knowledge(&r->ledger, READER_OBSERVER, t->n, &kn);
	assert_int_equal(kn.user_length, (int64_t)want[0]);
	assert_int_equal(kn.password_length, (int64_t)want[1]);
	assert_int_equal(kn.credentials_length, -1);
	assert_true(kn.lengths_exact);
}

static void check_case(const struct session_case *c)
{
	struct scenario s;
	load(c->file, &s);
	struct run_options opt = { 0 };
	struct run_result r;
	run_with(&s, &opt, &r);
	const struct outcome *o = &r.outcome;

	assert_int_equal(o->delivered, c->delivered);
	assert_false(o->altered); /* no attacker behaviour changes the body */
	for (int l = LINK_CLIENT_SERVER; l <= LINK_MITM_SERVER; l++) {
		int up = c->tls_links >> l & 1;
		assert_int_equal(!!o->tls[l], up);
		if (!up)
			continue;
		assert_string_equal(o->tls_version[l], c->version);
		assert_int_equal(!!o->tls_relayed[l], c->relayed);
		/* Relayed or not, the session's ends are the client and the server. */
		assert_int_equal(o->tls_client_end[l], ACTOR_CLIENT);
		assert_int_equal(o->tls_server_end[l], ACTOR_SERVER);
	}
	assert_int_equal(o->observer.what, c->observer);
	assert_string_equal(o->observer.user, c->user);
	assert_string_equal(o->observer.password, c->password);
	if (o->mitm_present) {
		assert_int_equal(o->attacker.what, c->attacker);
		assert_string_equal(o->attacker.user, "");
		assert_string_equal(o->attacker.password, "");
	}

	/* [expect] as written holds; with the alert changed it must fail. */
	char report[1024] = "";
	if (!run_check_expect(&s, o, report, sizeof report))
		fail_msg("%s: %s", c->file, report);
	if (c->alert) {
		assert_non_null(s.expect.alert);
		assert_string_equal(s.expect.alert, c->alert);
		int sent = 0;
		for (size_t i = 0; i < o->nalerts; i++)
			sent |= !strcmp(o->alerts[i].name, c->alert) && o->alerts[i].fatal;
		assert_true(sent);
		char *keep = s.expect.alert;
		s.expect.alert = (char *)c->wrong_alert;
		assert_false(run_check_expect(&s, o, NULL, 0));
		s.expect.alert = keep;
	}

	if (c->checks & CHECK_SPLIT)
		check_split(&r.trace);
	if (c->checks & CHECK_AUTH_LOGIN)
		check_auth_login(&r.trace);
	if (c->checks & CHECK_LEDGER_LOGIN)
		check_ledger_login(&r, c->user, c->password);
	if (c->checks & CHECK_LOGIN_LENGTHS)
		check_login_lengths(&r, "alice", "wonderland");
	run_result_free(&r);
	scenario_free(&s);
}

static void test_case(void **state)
{
	check_case(*state);
}

/* ---- a large body over many records ---- */

/* 100 KB of CRLF lines, some starting with a dot; returns its dot-stuffed wire length
 * (each leading dot doubled, then ".\r\n"). */
static size_t make_body(uint8_t **out)
{
	size_t cap = 100 * 1024, n = 0, stuffed = 0;
	uint8_t *b = malloc(cap + 128);
	n += (size_t)sprintf((char *)b, "From: Alice <alice@example.test>\r\nSubject: big\r\n\r\n");
	for (unsigned k = 0; n < cap; k++) {
		int dot = k % 7 == 3;
		n += (size_t)sprintf((char *)b + n, "%sline %u of a long message, long enough to cross records\r\n",
				     dot ? "." : "", k);
		stuffed += dot;
	}
	*out = b;
	return n + stuffed + 3;
}

static void check_big_body(const char *file)
{
	struct scenario s;
	load(file, &s);
	uint8_t *body;
	size_t want = make_body(&body);
	struct run_options opt = { .body = body, .body_len = strlen((char *)body) };
	struct run_result r;
	run_with(&s, &opt, &r);
	assert_true(r.outcome.delivered);
	const struct trace *t = &r.trace;
	/* The message's lines: two header lines, the blank line, then the text. */
	size_t crlf = 0;
	for (const char *c = (const char *)body; (c = strchr(c, '\n')); c++)
		crlf++;
	size_t sum = 0, pieces = 0, header_lines = 0, body_lines = 0, subjects = 0, ends = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if (e->kind == TK_SMTP_DATA) {
			assert_true(e->encrypted);
			sum += e->plain_len;
			pieces++;
			/* decoded as one message: each line counted once, in the piece where it ends */
			header_lines += (size_t)field_int(e, "header_lines", 0);
			body_lines += (size_t)field_int(e, "body_lines", 0);
			const char *subject = fields_get(&e->fields, "subject");
			if (subject) {
				assert_string_equal(subject, "big");
				subjects++;
			}
			ends += !strcmp(fields_get(&e->fields, "terminated"), "yes");
			/* A record that is a body piece shows it through its child alone. */
			assert_true(e->parent >= 0);
			assert_int_equal(t->ev[e->parent].plain_len, 0);
		}
	}
	assert_true(pieces >= 7); /* 100 KB cannot fit in fewer 16 KB records */
	assert_int_equal(sum, want);
	assert_int_equal(header_lines, 2);
	assert_int_equal(body_lines, crlf - 3);
	assert_int_equal(subjects, 1);
	assert_int_equal(ends, 1);
	run_result_free(&r);
	scenario_free(&s);
	free(body);
}

static void test_big_body_tls12(void **state)
{
	(void)state;
	check_big_body("auth-login-tls.ini");
}

static void test_big_body_tls10(void **state)
{
	(void)state;
	check_big_body("tls10-cbc.ini");
}

int main(void)
{
	struct CMUnitTest tests[sizeof cases / sizeof cases[0] + 2];
	size_t n = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		tests[n++] = (struct CMUnitTest){ cases[i].file, test_case, NULL, NULL, (void *)&cases[i] };
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_big_body_tls12);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_big_body_tls10);
	return _cmocka_run_group_tests("sessions", tests, n, setup, NULL);
}
