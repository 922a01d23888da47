/* test_mailauth: what TLS does not protect. The simulated DNS zone (parsing, lookups,
 * refusals), and the receiver's verdicts on the catalogue's mail-authentication lessons,
 * read as facts: the events' kind, subtype, verdict and fields, and the outcome. */
#include "testrun.h"

#include <stdio.h>

#include "sim/auth/auth.h"
#include "sim/dns/dns.h"

/* ---- the zone ---- */

static void test_dns_parse_and_lookup(void **state)
{
	(void)state;
	struct dns_zone z;
	dns_zone_init(&z);
	char err[256];
	const char *lines[] = {
		"Example.TEST. MX 10 mail.example.test authenticated",
		"mail.example.test A 203.0.113.25 ; a comment",
		"example.test TXT \"v=spf1 ip4:192.0.2.10\" \" -all\"",
		"example.test TXT \"second; with \\\"quotes\\\"\" authenticated",
		"",
		"# only a comment",
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		if (dns_zone_parse_line(&z, lines[i], 0, (int)i + 1, err, sizeof err))
			fail_msg("line %zu refused: %s", i + 1, err);
	assert_int_equal(z.n, 4);

	const struct dns_record *mx = dns_lookup(&z, "example.test", DNS_MX, 0);
	assert_non_null(mx);
	assert_string_equal(mx->name, "example.test");
	assert_int_equal(mx->pref, 10);
	assert_string_equal(mx->text, "mail.example.test");
	assert_true(mx->authenticated);
	assert_int_equal(mx->line, 1);

	const struct dns_record *a = dns_lookup(&z, "MAIL.example.test.", DNS_A, 0);
	assert_non_null(a);
	assert_memory_equal(a->a, ((uint8_t[]){ 203, 0, 113, 25 }), 4);
	assert_false(a->authenticated);

	const struct dns_record *t0 = dns_lookup(&z, "example.test", DNS_TXT, 0);
	const struct dns_record *t1 = dns_lookup(&z, "example.test", DNS_TXT, 1);
	assert_non_null(t0);
	assert_non_null(t1);
	assert_null(dns_lookup(&z, "example.test", DNS_TXT, 2));
	assert_string_equal(t0->text, "v=spf1 ip4:192.0.2.10 -all"); /* strings joined, no separator */
	assert_int_equal(t0->nstrings, 2);
	assert_string_equal(t1->text, "second; with \"quotes\"");
	assert_true(t1->authenticated);

	assert_null(dns_lookup(&z, "other.test", DNS_TXT, 0));
	assert_null(dns_lookup(&z, "mail.example.test", DNS_TXT, 0));
	dns_zone_free(&z);
}

static void test_dns_continuation(void **state)
{
	(void)state;
	struct dns_zone z;
	dns_zone_init(&z);
	char err[256];
	assert_int_equal(dns_zone_parse_line(&z, "sel._domainkey.bank.example TXT \"v=DKIM1; \"", 0, 1, err, sizeof err), 0);
	assert_int_equal(dns_zone_parse_line(&z, "  \"k=rsa; p=AAAA\"", 1, 2, err, sizeof err), 0);
	assert_int_equal(dns_zone_parse_line(&z, "\t\"BBBB\" authenticated", 1, 3, err, sizeof err), 0);
	const struct dns_record *r = dns_lookup(&z, "sel._domainkey.bank.example", DNS_TXT, 0);
	assert_non_null(r);
	assert_string_equal(r->text, "v=DKIM1; k=rsa; p=AAAABBBB");
	assert_int_equal(r->nstrings, 3);
	assert_true(r->authenticated);
	/* nothing after the marker, not even on the next line */
	assert_int_equal(dns_zone_parse_line(&z, "  \"CCCC\"", 1, 4, err, sizeof err), -1);
	assert_non_null(strstr(err, "authenticated"));
	dns_zone_free(&z);
}

static void test_dns_refusals(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		int continuation;
		const char *want;
	} bad[] = {
		{ "example.test CNAME mail.example.test", 0, "expected A, MX, TXT or TLSA" },
		{ "example.test", 0, "expected A, MX, TXT or TLSA" },
		{ "exa mple.test A 1.2.3.4", 0, "record type" },
		{ "bad..name A 1.2.3.4", 0, "bad name" },
		{ "bad!name A 1.2.3.4", 0, "bad name" },
		{ "mail.example.test A 1.2.3", 0, "IPv4 address" },
		{ "mail.example.test A 1.2.3.256", 0, "IPv4 address" },
		{ "mail.example.test A 1.2.3.4 5.6.7.8", 0, "unexpected '5.6.7.8'" },
		{ "example.test MX mail.example.test", 0, "preference and a host" },
		{ "example.test MX 10", 0, "preference and a host" },
		{ "example.test TXT", 0, "no \"string\"" },
		{ "example.test TXT v=spf1", 0, "quoted string" },
		{ "example.test TXT \"v=spf1 -all", 0, "unterminated" },
		{ "example.test TXT \"a\" authenticated \"b\"", 0, "nothing may follow" },
		{ "  \"orphan\"", 1, "continues a TXT record" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct dns_zone z;
		dns_zone_init(&z);
		char err[256] = "";
		if (dns_zone_parse_line(&z, bad[i].line, bad[i].continuation, 1, err, sizeof err) != -1)
			fail_msg("'%s' accepted", bad[i].line);
		if (!strstr(err, bad[i].want))
			fail_msg("'%s': expected '%s' in '%s'", bad[i].line, bad[i].want, err);
		assert_int_equal(z.n, 0);
		dns_zone_free(&z);
	}
	/* a TXT string is at most 255 bytes */
	char longline[400];
	snprintf(longline, sizeof longline, "example.test TXT \"%0300d\"", 0);
	struct dns_zone z;
	dns_zone_init(&z);
	char err[256];
	assert_int_equal(dns_zone_parse_line(&z, longline, 0, 1, err, sizeof err), -1);
	assert_non_null(strstr(err, "255"));
	dns_zone_free(&z);
}

/* ---- the verdicts on the lessons ---- */

struct loaded {
	struct scenario sc;
	struct run_result r;
};

static struct loaded *load_and_run(const char *name)
{
	struct loaded *l = calloc(1, sizeof *l);
	assert_non_null(l);
	char path[512], err[512];
	snprintf(path, sizeof path, "%s/%s.ini", test_scenarios_dir(), name);
	if (scenario_load(path, test_load_opts(), &l->sc, err, sizeof err))
		fail_msg("%s", err);
	if (test_run_scenario(&l->sc, NULL, &l->r, err, sizeof err))
		fail_msg("%s: %s", name, err);
	return l;
}

static void done(struct loaded *l)
{
	run_result_free(&l->r);
	scenario_free(&l->sc);
	free(l);
}

/* The TK_MAIL_AUTH event of this step (the first), or fails. */
static const struct trace_event *step(const struct loaded *l, enum auth_step s)
{
	for (size_t i = 0; i < l->r.trace.n; i++)
		if (l->r.trace.ev[i].kind == TK_MAIL_AUTH && l->r.trace.ev[i].subtype == (int)s)
			return &l->r.trace.ev[i];
	fail_msg("%s: no %s event", l->sc.name, auth_step_name(s));
	return NULL;
}

static int has_step(const struct loaded *l, enum auth_step s)
{
	for (size_t i = 0; i < l->r.trace.n; i++)
		if (l->r.trace.ev[i].kind == TK_MAIL_AUTH && l->r.trace.ev[i].subtype == (int)s)
			return 1;
	return 0;
}

static void field_is(const struct trace_event *e, const char *name, const char *want)
{
	const char *v = fields_get(&e->fields, name);
	if (!v || strcmp(v, want))
		fail_msg("event %u: field %s = '%s', expected '%s'", e->seq, name, v ? v : "(absent)", want);
}

static void test_spoofed_from(void **state)
{
	(void)state;
	struct loaded *l = load_and_run("spoofed-from");
	const struct outcome *o = &l->r.outcome;
	/* delivered over verified TLS, end to end */
	assert_true(o->delivered);
	assert_true(o->tls[LINK_CLIENT_SERVER]);
	assert_int_equal(o->observer.what, 0);
	/* and yet forged */
	assert_true(o->mail_checked);
	assert_int_equal(o->spf, AUTH_PASS);
	assert_int_equal(o->dkim, AUTH_NONE);
	assert_int_equal(o->dmarc, AUTH_FAIL);
	assert_int_equal(o->dmarc_policy, AUTH_POLICY_REJECT);
	assert_int_equal(o->dmarc_disposition, AUTH_POLICY_REJECT);

	assert_false(has_step(l, AUTH_SIGNED));
	const struct trace_event *spf = step(l, AUTH_SPF);
	assert_int_equal(spf->verdict, AUTH_PASS);
	assert_int_equal(spf->from, ACTOR_SERVER);
	field_is(spf, "mail_from_domain", "evil.test");
	field_is(spf, "client_ip", "192.0.2.10");
	field_is(spf, "record_authenticated", "no");

	const struct trace_event *dk = step(l, AUTH_DKIM);
	assert_int_equal(dk->verdict, AUTH_NONE);
	field_is(dk, "signed", "no");

	const struct trace_event *dm = step(l, AUTH_DMARC);
	assert_int_equal(dm->verdict, AUTH_FAIL);
	assert_int_equal(dm->policy, AUTH_POLICY_REJECT);
	assert_int_equal(dm->disposition, AUTH_POLICY_REJECT);
	field_is(dm, "from_domain", "bank.example");
	field_is(dm, "spf_aligned", "no");
	field_is(dm, "dkim_aligned", "no");
	field_is(dm, "policy", "reject");
	assert_non_null(strstr(fields_get(&dm->fields, "reason"), "not aligned"));

	/* the stored message carries the header, which says so */
	const struct trace_event *st = step(l, AUTH_STORED);
	assert_non_null(st->plain);
	assert_true(st->plain_len > 40);
	assert_memory_equal(st->plain, "Authentication-Results: mail.example.test;", 42);
	assert_non_null(strstr(o->auth_results, "dmarc=fail"));
	assert_non_null(strstr(o->auth_results, "header.from=bank.example"));
	assert_non_null(strstr(o->auth_results, "spf=pass smtp.mailfrom=evil.test"));

	char report[512];
	assert_true(run_check_expect(&l->sc, o, report, sizeof report));
	/* an expectation the run does not meet is reported */
	struct scenario v = scenario_variant(&l->sc);
	v.expect.dmarc = AUTH_PASS;
	assert_false(run_check_expect(&v, o, report, sizeof report));
	assert_non_null(strstr(report, "expected dmarc = pass, got fail"));
	done(l);
}

static void test_dmarc_pass(void **state)
{
	(void)state;
	struct loaded *l = load_and_run("dmarc-pass");
	const struct outcome *o = &l->r.outcome;
	assert_true(o->delivered);
	assert_int_equal(o->spf, AUTH_PASS);
	assert_int_equal(o->dkim, AUTH_PASS);
	assert_int_equal(o->dmarc, AUTH_PASS);
	assert_int_equal(o->dmarc_disposition, AUTH_POLICY_NONE);
	/* the sender signed first, before any connection */
	const struct trace_event *sig = step(l, AUTH_SIGNED);
	assert_int_equal(sig->seq, 1);
	assert_int_equal(sig->from, ACTOR_CLIENT);
	field_is(sig, "signing_domain", "bank.example");
	field_is(sig, "canonicalization", "relaxed/simple");
	assert_false(has_step(l, AUTH_ALTERED));
	const struct trace_event *dk = step(l, AUTH_DKIM);
	field_is(dk, "signing_domain", "bank.example");
	field_is(dk, "selector", "sel");
	field_is(dk, "key_found", "yes");
	field_is(dk, "key_authenticated", "yes");
	field_is(dk, "body_hash", "matches");
	const struct trace_event *dm = step(l, AUTH_DMARC);
	field_is(dm, "spf_aligned", "yes");
	field_is(dm, "dkim_aligned", "yes");
	assert_non_null(strstr(o->auth_results, "dkim=pass header.d=bank.example header.s=sel"));
	done(l);
}

static void test_spf_pass_dkim_fail(void **state)
{
	(void)state;
	struct loaded *l = load_and_run("spf-pass-dkim-fail-forwarded");
	const struct outcome *o = &l->r.outcome;
	assert_true(o->delivered);
	assert_false(o->altered); /* nobody on the path changed it: the change came before this hop */
	assert_int_equal(o->spf, AUTH_PASS);
	assert_int_equal(o->dkim, AUTH_FAIL);
	assert_int_equal(o->dmarc, AUTH_FAIL);
	const struct trace_event *alt = step(l, AUTH_ALTERED);
	assert_true(alt->seq > step(l, AUTH_SIGNED)->seq);
	const struct trace_event *dk = step(l, AUTH_DKIM);
	field_is(dk, "body_hash", "differs");
	field_is(dk, "key_found", "yes");
	const struct trace_event *spf = step(l, AUTH_SPF);
	field_is(spf, "mail_from_domain", "lists.example.net");
	const struct trace_event *dm = step(l, AUTH_DMARC);
	field_is(dm, "spf_aligned", "no");
	field_is(dm, "dkim_aligned", "no");
	done(l);
}

/* A receiver that honours a reject policy refuses at the end of DATA, before its reply:
 * the verdicts come before the 550, and nothing is stored. */
static void test_dmarc_reject(void **state)
{
	(void)state;
	struct loaded *l = load_and_run("dmarc-reject");
	const struct outcome *o = &l->r.outcome;
	assert_false(o->delivered);
	assert_true(o->mail_checked && o->mail_rejected);
	assert_int_equal(o->dmarc, AUTH_FAIL);
	assert_false(has_step(l, AUTH_STORED));
	const struct trace_event *rej = step(l, AUTH_REJECTED);
	int reply_at = -1;
	for (size_t i = 0; i < l->r.trace.n; i++)
		if (l->r.trace.ev[i].kind == TK_SMTP_REPLY && l->r.trace.ev[i].subtype == 550)
			reply_at = (int)l->r.trace.ev[i].seq;
	assert_true(reply_at > 0);
	assert_true(step(l, AUTH_DMARC)->seq < rej->seq && (int)rej->seq < reply_at);
	field_is(rej, "reply", "550 5.7.1 Rejected by the DMARC policy of bank.example");
	done(l);
	/* the same message, to a receiver that only records: accepted, and checked before its 250 */
	l = load_and_run("spoofed-from");
	assert_true(l->r.outcome.delivered && !l->r.outcome.mail_rejected);
	int ok_at = -1;
	for (size_t i = 0; i < l->r.trace.n; i++)
		if (l->r.trace.ev[i].kind == TK_SMTP_REPLY && l->r.trace.ev[i].subtype == 250)
			ok_at = (int)l->r.trace.ev[i].seq;
	assert_true((int)step(l, AUTH_STORED)->seq < ok_at);
	done(l);
}

/* The existing lessons have no zone: no check runs, nothing is added. */
static void test_no_dns_no_checks(void **state)
{
	(void)state;
	struct loaded *l = load_and_run("starttls");
	assert_false(l->sc.has_dns);
	assert_false(l->r.outcome.mail_checked);
	for (size_t i = 0; i < l->r.trace.n; i++)
		assert_int_not_equal(l->r.trace.ev[i].kind, TK_MAIL_AUTH);
	done(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_parse_and_lookup),
		cmocka_unit_test(test_dns_continuation),
		cmocka_unit_test(test_dns_refusals),
		cmocka_unit_test(test_spoofed_from),
		cmocka_unit_test(test_dmarc_pass),
		cmocka_unit_test(test_spf_pass_dkim_fail),
		cmocka_unit_test(test_dmarc_reject),
		cmocka_unit_test(test_no_dns_no_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
