/* test_mtasts: RFC 8461 as tables. The TXT record and the policy file parse when they
 * follow sections 3.1 and 3.2 and fail with a named reason when they do not; MX
 * patterns match as section 4.1's examples say; the cache fetches on first contact,
 * on a new id and after max_age, and keeps a policy when the record disappears; the
 * decision is deliver / deliver-and-report / defer as section 5 says for each mode. */
#include "tests/testutil.h"

#include <bearssl.h>
#include <stdio.h>

#include "sim/smtp/mtasts.h"

#define ERRCAP 200

/* ---- the TXT record ---- */

static const struct {
	const char *txt;
	const char *id;  /* expected id, or NULL for "no valid record" */
	const char *err; /* a substring of the reason when invalid */
} records[] = {
	{"v=STSv1; id=20160831085700Z;", "20160831085700Z", NULL}, /* RFC 8461 3.1's example */
	{"v=STSv1; id=20160831085700Z", "20160831085700Z", NULL},
	{"v=STSv1;id=abc", "abc", NULL},
	{"v=STSv1;\tid=abc ;", "abc", NULL},
	{"v=STSv1; id=abc; ext_1=x-y.z", "abc", NULL},       /* an extension is ignored */
	{"v=STSv1; foo=bar; id=A1", "A1", NULL},              /* id need not come first */
	{"v=STSv1; id=12345678901234567890123456789012", "12345678901234567890123456789012", NULL},
	{"v=STSv1; id=123456789012345678901234567890123", NULL, "not 1 to 32"},
	{"v=STSv1; id=2025-01-01", NULL, "not 1 to 32"},
	{"v=STSv1; id=", NULL, "not 1 to 32"},
	{"v=STSv1; id=a; id=b", NULL, "twice"},
	{"v=STSv1;", NULL, "no fields"},
	{"v=STSv1", NULL, "no fields"},
	{"v=STSv1; foo=bar", NULL, "no id"},
	{"v=STSv2; id=abc", NULL, "does not begin"},
	{"v=STSv10; id=abc", NULL, "expected ';'"},
	{"v=stsv1; id=abc", NULL, "does not begin"},          /* %s: case-sensitive */
	{" v=STSv1; id=abc", NULL, "does not begin"},
	{"", NULL, "does not begin"},
	{"v=STSv1 id=abc", NULL, "expected ';'"},
	{"v=STSv1; id", NULL, "no '='"},
	{"v=STSv1; id=abc; =x", NULL, "malformed"},
	{"v=STSv1; id=abc; x=a=b", NULL, "malformed"},
	{"v=STSv1; id=abc def", NULL, "expected ';'"},
};

static void test_record_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof records / sizeof records[0]; i++) {
		struct mtasts_record r;
		char err[ERRCAP] = "";
		int rc = mtasts_record_parse(records[i].txt, strlen(records[i].txt), &r, err, sizeof err);
		if (records[i].id) {
			if (rc != 0)
				fail_msg("'%s': %s", records[i].txt, err);
			assert_string_equal(r.id, records[i].id);
		} else {
			if (rc == 0)
				fail_msg("'%s' parsed", records[i].txt);
			if (!strstr(err, records[i].err))
				fail_msg("'%s': '%s' lacks '%s'", records[i].txt, err, records[i].err);
			assert_string_equal(r.id, "");
		}
	}
}

/* The parser reads only the n bytes it is given. */
static void test_record_length(void **state)
{
	(void)state;
	struct mtasts_record r;
	char err[ERRCAP];
	const char *t = "v=STSv1; id=abcdef; trailing garbage";
	assert_int_equal(mtasts_record_parse(t, 18, &r, err, sizeof err), 0);
	assert_string_equal(r.id, "abcdef");
	assert_int_equal(mtasts_record_parse(t, 14, &r, err, sizeof err), 0);
	assert_string_equal(r.id, "ab");
	assert_int_equal(mtasts_record_parse("v=STSv1; id=a\0b", 15, &r, err, sizeof err), -1);
}

static void test_record_select(void **state)
{
	(void)state;
	struct mtasts_record r;
	char err[ERRCAP];
	const char *one[] = {"v=spf1 -all", "v=STSv1; id=x1;", "hello"};
	size_t one_len[] = {11, 15, 5};
	assert_int_equal(mtasts_record_select(one, one_len, 3, &r, err, sizeof err), 0);
	assert_string_equal(r.id, "x1");

	const char *two[] = {"v=STSv1; id=x1;", "v=STSv1; id=x2;"};
	size_t two_len[] = {15, 15};
	assert_int_equal(mtasts_record_select(two, two_len, 2, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "2 records"));

	/* "v=STSv1" without ';' is discarded by the prefix rule before parsing */
	const char *none[] = {"v=STSv1", "other"};
	size_t none_len[] = {7, 5};
	assert_int_equal(mtasts_record_select(none, none_len, 2, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "no record"));
	assert_int_equal(mtasts_record_select(NULL, NULL, 0, &r, err, sizeof err), -1);

	const char *bad[] = {"v=STSv1; id=not-ok"};
	size_t bad_len[] = {18};
	assert_int_equal(mtasts_record_select(bad, bad_len, 1, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "not 1 to 32"));
}

/* ---- the policy file ---- */

static void parse_ok(const char *text, struct mtasts_policy *p)
{
	char err[ERRCAP] = "";
	if (mtasts_policy_parse(text, strlen(text), p, err, sizeof err) != 0)
		fail_msg("policy rejected: %s\n%s", err, text);
}

static void test_policy_example(void **state)
{
	(void)state;
	/* RFC 8461 3.2's example, CRLF line endings */
	struct mtasts_policy p;
	parse_ok("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
		 "mx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n", &p);
	assert_int_equal(p.mode, MTASTS_MODE_ENFORCE);
	assert_int_equal(p.max_age, 604800);
	assert_int_equal(p.n_mx, 3);
	assert_string_equal(p.mx[0], "mail.example.com");
	assert_string_equal(p.mx[1], "*.example.net");
	assert_string_equal(p.mx[2], "backupmx.example.com");

	/* LF endings, no final terminator, other order, blanks after ':' and at the end,
	 * an unknown key ignored */
	parse_ok("mx:mx1.example.org\nmax_age:\t86400  \nfuture_key: some value\nmode: testing\nversion: STSv1", &p);
	assert_int_equal(p.mode, MTASTS_MODE_TESTING);
	assert_int_equal(p.max_age, 86400);
	assert_int_equal(p.n_mx, 1);
	assert_string_equal(p.mx[0], "mx1.example.org");

	/* mode none needs no mx; max_age 0 and the maximum are allowed */
	parse_ok("version: STSv1\nmode: none\nmax_age: 0\n", &p);
	assert_int_equal(p.mode, MTASTS_MODE_NONE);
	assert_int_equal(p.max_age, 0);
	assert_int_equal(p.n_mx, 0);
	parse_ok("version: STSv1\nmode: none\nmax_age: 31557600\n\n", &p);
	assert_int_equal(p.max_age, 31557600);
	assert_string_equal(mtasts_mode_name(MTASTS_MODE_TESTING), "testing");
}

#define HEAD "version: STSv1\nmode: enforce\n"
static const struct {
	const char *text;
	const char *err;
} bad_policies[] = {
	{"", "no version"},
	{"mode: enforce\nmx: a.example\nmax_age: 1\n", "no version"},
	{"version: STSv1\nmx: a.example\nmax_age: 1\n", "no mode"},
	{HEAD "mx: a.example\n", "no max_age"},
	{HEAD "max_age: 86400\n", "needs at least one mx"},
	{"version: STSv1\nmode: testing\nmax_age: 86400\n", "needs at least one mx"},
	{"version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", "line 1: version 'STSv2'"},
	{"version: stsv1\nmode: enforce\nmx: a.example\nmax_age: 1\n", "is not STSv1"},
	{"version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n", "line 2: mode 'strict' is not"},
	{"version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n", "is not enforce"},
	{HEAD "mode: testing\nmx: a.example\nmax_age: 1\n", "line 3: mode given twice"},
	{HEAD "version: STSv1\nmx: a.example\nmax_age: 1\n", "version given twice"},
	{HEAD "mx: a.example\nmax_age: 1\nmax_age: 2\n", "max_age given twice"},
	{HEAD "mx: a.example\nmax_age: -1\n", "not 1 to 10 digits"},
	{HEAD "mx: a.example\nmax_age: 1d\n", "not 1 to 10 digits"},
	{HEAD "mx: a.example\nmax_age:\n", "not 1 to 10 digits"},
	{HEAD "mx: a.example\nmax_age: 12345678901\n", "not 1 to 10 digits"},
	{HEAD "mx: a.example\nmax_age: 31557601\n", "above 31557600"},
	{HEAD "mx: a.example\nmax_age: 9999999999\n", "above 31557600"},
	{HEAD "mx: *\nmax_age: 1\n", "line 3: mx '*'"},
	{HEAD "mx: *.\nmax_age: 1\n", "not a host name"},
	{HEAD "mx: a.*.example\nmax_age: 1\n", "not a host name"},
	{HEAD "mx: **.example\nmax_age: 1\n", "not a host name"},
	{HEAD "mx: a..example\nmax_age: 1\n", "not a host name"},
	{HEAD "mx: -a.example\nmax_age: 1\n", "not a host name"},
	{HEAD "mx: a-.example\nmax_age: 1\n", "not a host name"},
	{HEAD "mx: a_b.example\nmax_age: 1\n", "not a host name"},
	{HEAD "mx: a.example b.example\nmax_age: 1\n", "not a host name"},
	{HEAD "mx:\nmax_age: 1\n", "not a host name"},
	{HEAD "mx: a.example\nmax_age: 1\njunk line\n", "line 5: 'junk line' is not 'key: value'"},
	{HEAD "mx: a.example\nmax_age: 1\n: value\n", "is not 'key: value'"},
	{HEAD "mx: a.example\nmax_age: 1\nbad key: v\n", "is not 'key: value'"},
	{HEAD "mx: a.example\nmax_age: 1\next:\n", "is not 'key: value'"},
	{HEAD " mx: a.example\nmax_age: 1\n", "is not 'key: value'"},   /* leading blank */
	{HEAD "MX: a.example\nmax_age: 1\n", "needs at least one mx"}, /* keys are case-sensitive: MX is an extension */
	{HEAD "mx: a.example\rmax_age: 1\n", "control character 0x0d"}, /* a lone CR is no line end */
};

static void test_policy_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad_policies / sizeof bad_policies[0]; i++) {
		struct mtasts_policy p;
		char err[ERRCAP] = "";
		const char *t = bad_policies[i].text;
		if (mtasts_policy_parse(t, strlen(t), &p, err, sizeof err) == 0)
			fail_msg("accepted:\n%s", t);
		if (!strstr(err, bad_policies[i].err))
			fail_msg("'%s' lacks '%s' for\n%s", err, bad_policies[i].err, t);
		assert_int_equal(p.n_mx, 0);
	}
	/* A NUL inside the given length is a control character, not an end. */
	static const char nul[] = "version: STSv1\nmode: none\0\nmax_age: 1\n";
	struct mtasts_policy p;
	char err[ERRCAP];
	assert_int_equal(mtasts_policy_parse(nul, sizeof nul - 1, &p, err, sizeof err), -1);
	assert_non_null(strstr(err, "line 2: control character 0x00"));
	/* More patterns than the simulator keeps is an error, not a silent cut. */
	char big[2048] = HEAD "max_age: 1\n";
	for (int i = 0; i <= MTASTS_MX_MAX; i++)
		snprintf(big + strlen(big), sizeof big - strlen(big), "mx: m%d.example\n", i);
	assert_int_equal(mtasts_policy_parse(big, strlen(big), &p, err, sizeof err), -1);
	assert_non_null(strstr(err, "more than 16"));
	/* A tiny error buffer still gets a terminated message, and NULL is fine. */
	char tiny[8];
	assert_int_equal(mtasts_policy_parse("x", 1, &p, tiny, sizeof tiny), -1);
	assert_int_equal(strlen(tiny), 7);
	assert_int_equal(mtasts_policy_parse("x", 1, &p, NULL, 0), -1);
}

/* ---- MX matching ---- */

static const struct {
	const char *pattern, *host;
	bool match;
} matches[] = {
	/* RFC 8461 4.1: "*.example.com" matches "mail.example.com" but not "example.com"
	 * nor "foo.bar.example.com" */
	{"*.example.com", "mail.example.com", true},
	{"*.example.com", "example.com", false},
	{"*.example.com", "foo.bar.example.com", false},
	{"*.example.com", ".example.com", false},
	{"*.example.com", "mailexample.com", false},
	{"mail.example.com", "mail.example.com", true},
	{"mail.example.com", "MAIL.Example.COM", true},
	{"*.Example.com", "mx.EXAMPLE.com", true},
	{"mail.example.com", "mail.example.com.", true},    /* trailing dot tolerated */
	{"*.example.com", "mx1.example.com.", true},
	{"mail.example.com", "mail.example.co", false},
	{"mail.example.com", "xmail.example.com", false},
	{"mail.example.com", "mail.example.com.evil", false},
	{"mail.example.com", "", false},
	{"", "mail.example.com", false},
	{"*.com", "example.com", true},
	{"*.com", "com", false},
};

static void test_mx_match(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof matches / sizeof matches[0]; i++)
		if (mtasts_mx_match(matches[i].pattern, matches[i].host) != matches[i].match)
			fail_msg("'%s' vs '%s': expected %s", matches[i].pattern, matches[i].host,
				 matches[i].match ? "match" : "no match");
	struct mtasts_policy p;
	parse_ok("version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmax_age: 1\n", &p);
	assert_int_equal(mtasts_policy_match(&p, "mail.example.com"), 0);
	assert_int_equal(mtasts_policy_match(&p, "mx2.example.net"), 1);
	assert_int_equal(mtasts_policy_match(&p, "example.net"), -1);
	assert_int_equal(mtasts_policy_match(&p, "mx.attacker.test"), -1);
}

/* ---- the cache ---- */

static void test_cache(void **state)
{
	(void)state;
	struct mtasts_cache c;
	struct mtasts_policy p;
	struct mtasts_record r1 = {"id1"}, r2 = {"id2"};
	mtasts_cache_init(&c);
	parse_ok("version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 100\n", &p);

	/* no record, nothing cached: no MTA-STS at all */
	assert_int_equal(mtasts_cache_plan(&c, "example.test", NULL, 1000), MTASTS_PLAN_NO_POLICY);
	/* first contact */
	assert_int_equal(mtasts_cache_plan(&c, "example.test", &r1, 1000), MTASTS_PLAN_FETCH_FIRST);
	assert_string_equal(mtasts_plan_name(MTASTS_PLAN_FETCH_FIRST), "first contact: no cached policy");
	assert_null(mtasts_cache_get(&c, "example.test", 1000));
	assert_int_equal(mtasts_cache_store(&c, "Example.TEST.", r1.id, &p, 1000), 0);

	/* same id: the cached policy, whatever the case of the domain */
	assert_int_equal(mtasts_cache_plan(&c, "example.test", &r1, 1050), MTASTS_PLAN_USE_CACHED);
	assert_int_equal(mtasts_cache_plan(&c, "EXAMPLE.test", &r1, 1099), MTASTS_PLAN_USE_CACHED);
	const struct mtasts_cache_entry *e = mtasts_cache_get(&c, "example.test", 1099);
	assert_non_null(e);
	assert_string_equal(e->domain, "example.test");
	assert_string_equal(e->id, "id1");
	assert_int_equal(e->policy.mode, MTASTS_MODE_ENFORCE);
	/* the record vanished (an attacker may have blocked it): keep the policy */
	assert_int_equal(mtasts_cache_plan(&c, "example.test", NULL, 1050), MTASTS_PLAN_USE_CACHED);
	/* a new id: refetch; if the fetch fails, the cached policy still applies */
	assert_int_equal(mtasts_cache_plan(&c, "example.test", &r2, 1050), MTASTS_PLAN_FETCH_CHANGED);
	assert_non_null(mtasts_cache_get(&c, "example.test", 1050));

	/* expiry at fetched + max_age */
	assert_int_equal(mtasts_cache_plan(&c, "example.test", &r1, 1100), MTASTS_PLAN_FETCH_EXPIRED);
	assert_null(mtasts_cache_get(&c, "example.test", 1100));
	assert_int_equal(mtasts_cache_plan(&c, "example.test", NULL, 1100), MTASTS_PLAN_NO_POLICY);

	/* a store refreshes the entry in place */
	p.mode = MTASTS_MODE_TESTING;
	assert_int_equal(mtasts_cache_store(&c, "example.test", r2.id, &p, 2000), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(mtasts_cache_plan(&c, "example.test", &r2, 2000), MTASTS_PLAN_USE_CACHED);
	assert_int_equal(mtasts_cache_get(&c, "example.test", 2000)->policy.mode, MTASTS_MODE_TESTING);
	/* another domain is another entry */
	assert_int_equal(mtasts_cache_plan(&c, "other.test", &r2, 2000), MTASTS_PLAN_FETCH_FIRST);

	/* max_age 0: never usable from the cache */
	p.max_age = 0;
	assert_int_equal(mtasts_cache_store(&c, "zero.test", "z", &p, 3000), 0);
	assert_null(mtasts_cache_get(&c, "zero.test", 3000));

	/* a full cache drops the entry fetched longest ago */
	p.max_age = 1000000;
	for (int i = 0; i < MTASTS_CACHE_MAX + 2; i++) {
		char d[32];
		snprintf(d, sizeof d, "d%d.test", i);
		assert_int_equal(mtasts_cache_store(&c, d, "i", &p, 4000 + (uint64_t)i), 0);
	}
	assert_int_equal(c.n, MTASTS_CACHE_MAX);
	assert_null(mtasts_cache_get(&c, "d0.test", 5000));
	assert_non_null(mtasts_cache_get(&c, "d9.test", 5000));

	/* bad inputs */
	assert_int_equal(mtasts_cache_store(&c, "", "i", &p, 1), -1);
	assert_int_equal(mtasts_cache_store(&c, "x.test", "123456789012345678901234567890123", &p, 1), -1);
}

/* ---- the decision (section 5) ---- */

static const struct mtasts_tls tls_ok = {true, true, 0, NULL};
static const struct mtasts_tls tls_none = {false, false, 0, NULL};
static const struct mtasts_tls tls_name = {true, false, BR_ERR_X509_BAD_SERVER_NAME, "the certificate is for another host name"};
static const struct mtasts_tls tls_expired = {true, false, BR_ERR_X509_EXPIRED, "expired"};
static const struct mtasts_tls tls_untrusted = {true, false, BR_ERR_X509_NOT_TRUSTED, "untrusted"};
static const struct mtasts_tls tls_other = {true, false, BR_ERR_X509_BAD_SIGNATURE, NULL};

enum { P_NULL, P_NONE, P_TESTING, P_ENFORCE };

static const struct {
	int policy;
	const char *mx;
	const struct mtasts_tls *tls;
	enum mtasts_action action;
	const char *result_type;
	const char *reason;
} decisions[] = {
	{P_NULL, "mx.example.test", &tls_none, MTASTS_DELIVER, NULL, "no MTA-STS policy"},
	{P_NULL, "evil.test", &tls_untrusted, MTASTS_DELIVER, NULL, "no MTA-STS policy"},
	{P_NONE, "evil.test", &tls_none, MTASTS_DELIVER, NULL, "policy mode none"},
	{P_TESTING, "mx.example.test", &tls_ok, MTASTS_DELIVER, NULL, "is listed"},
	{P_ENFORCE, "MX.example.test.", &tls_ok, MTASTS_DELIVER, NULL, "is listed"},
	{P_ENFORCE, "b.backup.test", &tls_ok, MTASTS_DELIVER, NULL, "is listed"},
	{P_TESTING, "evil.test", &tls_ok, MTASTS_DELIVER_REPORT, "validation-failure", "not listed"},
	{P_ENFORCE, "evil.test", &tls_ok, MTASTS_DEFER, "validation-failure", "not listed in the policy; mode enforce"},
	{P_TESTING, "mx.example.test", &tls_none, MTASTS_DELIVER_REPORT, "starttls-not-supported", "did not offer STARTTLS; mode testing: deliver and report"},
	{P_ENFORCE, "mx.example.test", &tls_none, MTASTS_DEFER, "starttls-not-supported", "did not offer STARTTLS"},
	{P_ENFORCE, "mx.example.test", NULL, MTASTS_DEFER, "starttls-not-supported", "STARTTLS"},
	{P_ENFORCE, "mx.example.test", &tls_name, MTASTS_DEFER, "certificate-host-mismatch", "another host name"},
	{P_TESTING, "mx.example.test", &tls_name, MTASTS_DELIVER_REPORT, "certificate-host-mismatch", "another host name"},
	{P_ENFORCE, "mx.example.test", &tls_expired, MTASTS_DEFER, "certificate-expired", "expired"},
	{P_ENFORCE, "mx.example.test", &tls_untrusted, MTASTS_DEFER, "certificate-not-trusted", "untrusted"},
	{P_ENFORCE, "mx.example.test", &tls_other, MTASTS_DEFER, "validation-failure", "validation failed"},
};

static void test_decide(void **state)
{
	(void)state;
	struct mtasts_policy none, testing, enforce;
	parse_ok("version: STSv1\nmode: none\nmax_age: 1\n", &none);
	parse_ok("version: STSv1\nmode: testing\nmx: mx.example.test\nmx: *.backup.test\nmax_age: 1\n", &testing);
	enforce = testing;
	enforce.mode = MTASTS_MODE_ENFORCE;
	const struct mtasts_policy *pol[] = {NULL, &none, &testing, &enforce};
	for (size_t i = 0; i < sizeof decisions / sizeof decisions[0]; i++) {
		struct mtasts_decision d;
		enum mtasts_action a = mtasts_decide(pol[decisions[i].policy], decisions[i].mx, decisions[i].tls, &d);
		if (a != decisions[i].action || d.action != a)
			fail_msg("row %zu: %s, expected %s (%s)", i, mtasts_action_name(a),
				 mtasts_action_name(decisions[i].action), d.reason);
		if (decisions[i].result_type)
			assert_string_equal(d.result_type, decisions[i].result_type);
		else
			assert_null(d.result_type);
		if (!strstr(d.reason, decisions[i].reason))
			fail_msg("row %zu: '%s' lacks '%s'", i, d.reason, decisions[i].reason);
	}
	assert_string_equal(mtasts_action_name(MTASTS_DELIVER_REPORT), "deliver-and-report");
	/* a very long host name still gives a terminated reason */
	char longname[400];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	struct mtasts_decision d;
	assert_int_equal(mtasts_decide(&enforce, longname, &tls_name, &d), MTASTS_DEFER);
	assert_true(strlen(d.reason) < sizeof d.reason);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_table),
		cmocka_unit_test(test_record_length),
		cmocka_unit_test(test_record_select),
		cmocka_unit_test(test_policy_example),
		cmocka_unit_test(test_policy_errors),
		cmocka_unit_test(test_mx_match),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_decide),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
