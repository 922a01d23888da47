/* test_scenario: loading scenario files. The catalogue's three basic scenarios load with
 * the options the lesson needs and the demo defaults; every broken file is refused with
 * one line that names the file, the line and the problem, as a user would read it. */
#include "testrun.h"

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/run/scenario.h"

/* tests/data: the broken scenario files, one problem each. */
static const char *data_dir(void)
{
	const char *d = getenv("SMTPS_TESTDATA");
	return d && *d ? d : "tests/data";
}

static void path_in(char *buf, size_t cap, const char *dir, const char *file)
{
	int n = snprintf(buf, cap, "%s/%s", dir, file);
	assert_true(n > 0 && (size_t)n < cap);
}

static void load_ok(const char *file, struct scenario *s)
{
	char path[512], err[1024] = "";
	path_in(path, sizeof path, test_scenarios_dir(), file);
	int r = scenario_load(path, test_load_opts(), s, err, sizeof err);
	if (r != 0)
		fail_msg("%s did not load: %s", path, err);
	assert_int_equal(r, 0);
	assert_string_equal(err, "");
}

/* The lesson is one paragraph: continuation lines joined with single spaces. */
static void assert_one_paragraph(const char *lesson)
{
	assert_non_null(lesson);
	assert_true(strlen(lesson) > 40);
	assert_null(strchr(lesson, '\n'));
	assert_null(strstr(lesson, "  "));
	assert_true(lesson[0] != ' ');
}

static void test_plain(void **state)
{
	(void)state;
	struct scenario s;
	load_ok("plain.ini", &s);
	assert_string_equal(s.name, "plain");
	assert_non_null(s.title);
	assert_true(strlen(s.title) > 0);
	assert_non_null(strstr(s.title, "Plain SMTP"));
	assert_one_paragraph(s.lesson);
	/* the second line ends with "an", the third starts with "eavesdropper" */
	assert_non_null(strstr(s.lesson, "not encryption: an eavesdropper decodes it"));
	assert_non_null(strstr(s.lesson, "Without TLS every byte"));
	assert_non_null(strstr(s.lesson, "the whole message."));
	assert_int_equal(s.client.tls, SMTP_CLIENT_TLS_NONE);
	assert_int_equal(s.client.auth, SMTP_CLIENT_AUTH_PLAIN);
	assert_int_equal(s.server.mode, SMTP_SERVER_PLAIN);
	/* Submission with no TLS at all: misconfigured on purpose, AUTH in cleartext. */
	assert_int_equal(s.server.port, 587);
	assert_int_equal(s.server.auth_requires_tls, 0);
	assert_int_equal(s.server.auth_required, 1);
	assert_null(s.mitm.attack);
	assert_int_equal(s.expect.has_delivered, 1);
	assert_int_equal(s.expect.delivered, 1);
	assert_int_equal(s.expect.has_tls, 1);
	assert_int_equal(s.expect.tls, 0);
	assert_int_equal(s.expect.has_observer, 1);
	assert_int_equal(s.expect.observer, OBSERVED_CREDENTIALS | OBSERVED_ENVELOPE | OBSERVED_BODY);
	assert_int_equal(s.expect.has_attacker, 0);
	scenario_free(&s);
}

static void test_starttls(void **state)
{
	(void)state;
	struct scenario s;
	load_ok("starttls.ini", &s);
	assert_string_equal(s.name, "starttls");
	assert_true(strlen(s.title) > 0);
	assert_non_null(strstr(s.title, "STARTTLS"));
	assert_one_paragraph(s.lesson);
	assert_non_null(strstr(s.lesson, "The session starts in cleartext"));
	assert_non_null(strstr(s.lesson, "client forgets everything it learned"));
	assert_non_null(strstr(s.lesson, "are encrypted."));
	assert_int_equal(s.client.tls, SMTP_CLIENT_TLS_REQUIRED);
	assert_int_equal(s.client.verify, TLS_VERIFY_FULL);
	assert_int_equal(s.server.mode, SMTP_SERVER_STARTTLS);
	assert_int_equal(s.server.port, 587);
	assert_int_equal(s.server.auth_requires_tls, 1);
	assert_int_equal(s.server.auth_required, 1);
	assert_int_equal(s.expect.delivered, 1);
	assert_int_equal(s.expect.has_tls, 1);
	assert_int_equal(s.expect.tls, 1);
	assert_int_equal(s.expect.has_observer, 1);
	assert_int_equal(s.expect.observer, 0);
	assert_string_equal(scenario_client_tls_name(s.client.tls), "starttls-required");
	assert_string_equal(scenario_server_mode_name(s.server.mode), "starttls");
	assert_string_equal(scenario_verify_name(s.client.verify), "verify");
	scenario_free(&s);
}

static void test_implicit_tls(void **state)
{
	(void)state;
	struct scenario s;
	load_ok("implicit-tls.ini", &s);
	assert_string_equal(s.name, "implicit-tls");
	assert_true(strlen(s.title) > 0);
	assert_non_null(strstr(s.title, "Implicit TLS"));
	assert_one_paragraph(s.lesson);
	assert_non_null(strstr(s.lesson, "there is no cleartext SMTP at all"));
	assert_non_null(strstr(s.lesson, "sizes of the records."));
	assert_int_equal(s.client.tls, SMTP_CLIENT_TLS_IMPLICIT);
	assert_int_equal(s.server.mode, SMTP_SERVER_IMPLICIT);
	assert_int_equal(s.server.port, 465);
	assert_int_equal(s.expect.tls, 1);
	assert_int_equal(s.expect.observer, 0);
	scenario_free(&s);
}

/* What a scenario gets without saying: the catalogue's demo account and the demo PKI. */
static void test_defaults(void **state)
{
	(void)state;
	struct scenario s;
	load_ok("plain.ini", &s);
	assert_string_equal(s.client.user, "alice");
	assert_string_equal(s.client.password, "wonderland");
	assert_string_equal(s.server.user, "alice");
	assert_string_equal(s.server.password, "wonderland");
	assert_string_equal(s.client.mail_from, "alice@example.test");
	assert_int_equal(s.client.nrcpt, 1);
	assert_string_equal(s.client.rcpt[0], "bob@example.test");
	assert_string_equal(s.client.server_name, "mail.example.test");
	assert_string_equal(s.server.hostname, "mail.example.test");
	assert_non_null(s.client.body);
	assert_non_null(strstr(s.client.body, "Subject: "));
	assert_int_equal(s.client.verify, TLS_VERIFY_FULL);
	assert_int_equal(s.seed, 1);
	assert_int_equal(s.date, 1788264000); /* 2026-09-01 12:00 UTC */
	/* the demo PKI resolved to files that exist */
	assert_non_null(s.client.trust);
	assert_int_equal(access(s.client.trust, R_OK), 0);
	assert_non_null(s.server.tls_opt.cert);
	assert_int_equal(access(s.server.tls_opt.cert, R_OK), 0);
	assert_non_null(s.server.tls_opt.key);
	assert_int_equal(access(s.server.tls_opt.key, R_OK), 0);
	scenario_free(&s);
}

/* ---- broken files ---- */

struct broken {
	const char *file;
	int line;            /* 0: the message names no line */
	const char *want[3]; /* fragments the message must contain */
};

static const struct broken broken_files[] = {
	{ "bad-unknown-key.ini", 10, { "unknown key", "colour", "[client]" } },
	{ "bad-enum.ini", 7, { "sometimes", "tls", "none, starttls-opportunistic, starttls-required, implicit" } },
	{ "bad-seed.ini", 5, { "12abc", "seed", "whole number" } },
	{ "bad-date.ini", 6, { "2026-02-30", "date", "YYYY-MM-DD" } },
	{ "bad-section.ini", 8, { "unknown section", "[attacker]", "scenario, client, server, relay, mx, mitm, dns or expect" } },
	{ "bad-duplicate.ini", 9, { "'port'", "twice", "[server]" } },
	{ "bad-syntax.ini", 7, { "syntax error", "key = value", NULL } },
	{ "bad-long-line.ini", 5, { "line longer than", "characters", NULL } },
	{ "bad-cert-path.ini", 8, { "certs/no-such-cert.pem", "No such file", NULL } },
	{ "bad-no-title.ini", 0, { "no title", NULL, NULL } },
	{ "bad-dns-type.ini", 8, { "[dns]", "CNAME", "expected A, MX, TXT or TLSA" } },
	{ "bad-dns-txt.ini", 7, { "[dns]", "unterminated string", NULL } },
	{ "bad-dns-continuation.ini", 8, { "[dns]", "continues a TXT record", NULL } },
	{ "bad-dns-verdict.ini", 9, { "softfail", "dkim", "pass, fail, none" } },
	{ "bad-dns-expect.ini", 7, { "dmarc", "need a [dns] section", NULL } },
};

/* Loads path, which must fail with one line "path:line: ..." (or "path: ..." when
 * line is 0) containing every fragment, and leave nothing behind in *s. */
static void assert_refused(const char *path, int line, const char *const *want, size_t nwant)
{
	struct scenario s;
	memset(&s, 0x5a, sizeof s);
	char err[1024] = "";
	int r = scenario_load(path, test_load_opts(), &s, err, sizeof err);
	if (r != -1)
		fail_msg("%s: loaded (r = %d) but should be refused", path, r);
	assert_null(strchr(err, '\n'));
	char prefix[600];
	if (line)
		snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
	else
		snprintf(prefix, sizeof prefix, "%s: ", path);
	if (strncmp(err, prefix, strlen(prefix)))
		fail_msg("%s: expected the message to start with '%s', got '%s'", path, prefix, err);
	assert_true(strlen(err) > strlen(prefix) + 5); /* and to say what is wrong */
	for (size_t i = 0; i < nwant; i++)
		if (want[i] && !strstr(err, want[i]))
			fail_msg("%s: expected '%s' in '%s'", path, want[i], err);
	/* "On failure *s holds nothing to free" */
	assert_null(s.title);
	assert_null(s.path);
	assert_null(s.client.user);
	assert_int_equal(s.client.nrcpt, 0);
	scenario_free(&s);
}

static void test_broken_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof broken_files / sizeof broken_files[0]; i++) {
		const struct broken *b = &broken_files[i];
		char path[512];
		path_in(path, sizeof path, data_dir(), b->file);
		assert_int_equal(access(path, R_OK), 0);
		assert_refused(path, b->line, b->want, 3);
	}
}

static void test_missing_file(void **state)
{
	(void)state;
	char path[512];
	path_in(path, sizeof path, data_dir(), "no-such-scenario.ini");
	const char *want[] = { "cannot open" };
	assert_refused(path, 0, want, 1);
}

/* ---- small files written on the spot, for the edges ---- */

static char tmpdir[64];

static int make_tmpdir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_scenario.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(char *path, size_t cap, const char *name, const char *text)
{
	path_in(path, cap, tmpdir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void refused_text(const char *name, const char *text, int line, const char *w0, const char *w1)
{
	char path[512];
	write_file(path, sizeof path, name, text);
	const char *want[] = { w0, w1 };
	assert_refused(path, line, want, 2);
}

static int loads_text(const char *name, const char *text, struct scenario *s, char *err, size_t cap)
{
	char path[512];
	write_file(path, sizeof path, name, text);
	return scenario_load(path, test_load_opts(), s, err, cap);
}

#define HEAD "[scenario]\ntitle = t\n"

static void test_unknown_section_points_at_header(void **state)
{
	(void)state;
	/* an empty unknown section is still a mistake (a typo of [client]) */
	refused_text("empty-section.ini", HEAD "[clinet]\n[server]\nmode = plain\n", 3, "unknown section", "[clinet]");
	/* the header's line, not the line of its first key */
	refused_text("section-keys.ini", HEAD "\n[mitmm]\n; a comment\nbehaviour = relay\n", 4, "unknown section", "[mitmm]");
	/* a key before any section */
	refused_text("no-section.ini", "title = t\n[scenario]\n", 1, "title", "section");
}

static void test_first_problem_wins(void **state)
{
	(void)state;
	/* a syntax error on line 3 comes before the unknown key on line 5 */
	refused_text("syntax-first.ini", HEAD "no equals here\n[client]\ncolour = red\n", 3, "syntax error", NULL);
	/* and the other way round */
	refused_text("key-first.ini", HEAD "[client]\ncolour = red\nno equals here\n", 4, "unknown key", "colour");
	/* two bad values: the first is named */
	refused_text("two-values.ini", HEAD "seed = x\ndate = 2026-13-01\n", 3, "seed", NULL);
}

static void test_line_numbers_after_long_lines(void **state)
{
	(void)state;
	/* Lines up to the limit load, and later line numbers stay right; a line one
	 * longer than inih can hold is refused rather than silently split. */
	char text[1024], value[256];
	for (size_t len = 190; len <= 202; len++) {
		size_t vlen = len - strlen("lesson = ");
		memset(value, 'a', vlen);
		value[vlen] = '\0';
		snprintf(text, sizeof text, HEAD "lesson = %s\ncolour = red\n", value);
		char path[512], err[1024] = "";
		write_file(path, sizeof path, "long.ini", text);
		struct scenario s;
		assert_int_equal(scenario_load(path, test_load_opts(), &s, err, sizeof err), -1);
		char at3[600], at4[600];
		snprintf(at3, sizeof at3, "%s:3: line longer than", path);
		snprintf(at4, sizeof at4, "%s:4: unknown key 'colour'", path);
		if (strncmp(err, at3, strlen(at3)) && strncmp(err, at4, strlen(at4)))
			fail_msg("a %zu-character line 3: got '%s'", len, err);
		if (len >= 200)
			assert_non_null(strstr(err, "line longer than"));
	}
	/* a long lesson is written on continuation lines, and those are joined */
	struct scenario s;
	char err[1024] = "";
	memset(value, 'b', 150);
	value[150] = '\0';
	snprintf(text, sizeof text, HEAD "lesson = %s\n  %s\n  %s\n", value, value, value);
	if (loads_text("lesson.ini", text, &s, err, sizeof err))
		fail_msg("%s", err);
	assert_int_equal(strlen(s.lesson), 3 * 150 + 2);
	assert_int_equal(s.lesson[150], ' ');
	assert_int_equal(s.lesson[301], ' ');
	scenario_free(&s);
}

static void test_values(void **state)
{
	(void)state;
	struct scenario s;
	char err[1024] = "";
	/* leap day in a leap year; the largest seed; port and recipients given */
	if (loads_text("values.ini",
		       HEAD "seed = 18446744073709551615\ndate = 2028-02-29\n"
			    "[client]\nuser = carol\nto = bob@example.test, dave@example.test\n"
			    "[server]\nmode = starttls-required\nport = 2525\n",
		       &s, err, sizeof err))
		fail_msg("%s", err);
	assert_true(s.seed == UINT64_MAX);
	assert_int_equal(s.date, 1835438400); /* 2028-02-29 12:00 UTC */
	assert_string_equal(s.client.user, "carol");
	assert_string_equal(s.client.password, "wonderland");
	assert_int_equal(s.client.nrcpt, 2);
	assert_string_equal(s.client.rcpt[1], "dave@example.test");
	assert_int_equal(s.server.mode, SMTP_SERVER_STARTTLS_REQUIRED);
	assert_int_equal(s.server.port, 2525);
	scenario_free(&s);

	refused_text("leap.ini", HEAD "date = 2026-02-29\n", 3, "2026-02-29", "YYYY-MM-DD");
	refused_text("month.ini", HEAD "date = 2026-13-01\n", 3, "2026-13-01", NULL);
	refused_text("seed-neg.ini", HEAD "seed = -1\n", 3, "'-1'", "seed");
	refused_text("seed-big.ini", HEAD "seed = 18446744073709551616\n", 3, "seed", NULL);
	refused_text("port0.ini", HEAD "[server]\nport = 0\n", 4, "port", "1..65535");
	refused_text("port-big.ini", HEAD "[server]\nport = 65536\n", 4, "port", "1..65535");
	refused_text("bool.ini", HEAD "[expect]\ndelivered = maybe\n", 4, "maybe", "yes or no");
	refused_text("mode.ini", HEAD "[server]\nmode = smtps\n", 4, "smtps",
		     "plain, starttls, starttls-required, implicit");
	refused_text("mitm.ini", HEAD "[mitm]\nbehaviour = evil\n", 4, "evil", "strip-starttls");
	refused_text("learns.ini", HEAD "[expect]\nobserver_learns = secrets\n", 4, "secrets", "credentials, envelope, body");
	refused_text("dup-title.ini", HEAD "title = again\n", 3, "'title'", "twice");
	refused_text("trust.ini", HEAD "[client]\ntrust = /nonexistent/ca.pem\n", 4, "/nonexistent/ca.pem", NULL);
}

/* The server's AUTH policy: secure by default, careless only when the file says so, and
 * no AUTH asked for on port 25 (relay). */
static void test_server_auth_policy(void **state)
{
	(void)state;
	static const struct {
		const char *server;  /* the [server] section's keys */
		int requires_tls, required;
	} cases[] = {
		{ "mode = starttls\n", 1, 1 },                   /* 587 by mode */
		{ "mode = implicit\n", 1, 1 },                   /* 465 by mode */
		{ "mode = plain\n", 1, 0 },                      /* 25 by mode: relay */
		{ "mode = starttls\nport = 25\n", 1, 0 },
		{ "mode = plain\nport = 587\n", 1, 1 },
		{ "mode = starttls\nport = 2525\n", 1, 1 },
		{ "careless_auth_in_cleartext = yes\n", 0, 1 },
		{ "careless_accepts_unauthenticated = yes\n", 1, 0 },
		{ "careless_auth_in_cleartext = no\ncareless_accepts_unauthenticated = no\nport = 25\n", 1, 1 },
		{ "mode = plain\nport = 587\ncareless_auth_in_cleartext = yes\n"
		  "careless_accepts_unauthenticated = yes\n", 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[512], err[1024] = "";
		snprintf(text, sizeof text, HEAD "[server]\n%s", cases[i].server);
		struct scenario s;
		if (loads_text("policy.ini", text, &s, err, sizeof err))
			fail_msg("%s", err);
		if (s.server.auth_requires_tls != cases[i].requires_tls || s.server.auth_required != cases[i].required)
			fail_msg("[server] %s: auth_requires_tls %d auth_required %d", cases[i].server,
				 s.server.auth_requires_tls, s.server.auth_required);
		scenario_free(&s);
	}
	refused_text("careless.ini", HEAD "[server]\ncareless_auth_in_cleartext = maybe\n", 4, "maybe", "yes or no");
	refused_text("old-key.ini", HEAD "[server]\nauth_requires_tls = yes\n", 4, "unknown key", "auth_requires_tls");
}

/* [client] quirks: a list of names, none by default; keep-buffered-replies is buffering. */
static void test_client_quirks(void **state)
{
	(void)state;
	struct scenario s;
	char err[1024] = "", text[64];
	load_ok("starttls.ini", &s);
	assert_int_equal(s.client.quirks, 0);
	assert_int_equal(s.client.buffering, SMTP_BUFFER_DISCARD);
	assert_string_equal(scenario_client_quirks_text(&s.client, text, sizeof text), "");
	scenario_free(&s);

	if (loads_text("quirks.ini",
		       HEAD "[client]\nquirks = helo-fallback, skip-auth-silently,continue-after-starttls-failure\n",
		       &s, err, sizeof err))
		fail_msg("%s", err);
	assert_int_equal(s.client.quirks, SMTP_CLIENT_QUIRK_HELO_FALLBACK | SMTP_CLIENT_QUIRK_SKIP_AUTH_SILENTLY |
						  SMTP_CLIENT_QUIRK_CONTINUE_AFTER_STARTTLS_FAILURE);
	assert_int_equal(s.client.buffering, SMTP_BUFFER_DISCARD);
	char all[256];
	assert_string_equal(scenario_client_quirks_text(&s.client, all, sizeof all),
			    "continue-after-starttls-failure, helo-fallback, skip-auth-silently");
	scenario_free(&s);

	/* keep-buffered-replies and buffering = keep are one setting. */
	if (loads_text("keep.ini", HEAD "[client]\nquirks = keep-buffered-replies, port-fallback\n", &s, err, sizeof err))
		fail_msg("%s", err);
	assert_int_equal(s.client.quirks, SMTP_CLIENT_QUIRK_PORT_FALLBACK);
	assert_int_equal(s.client.buffering, SMTP_BUFFER_KEEP);
	assert_string_equal(scenario_client_quirks_text(&s.client, all, sizeof all), "port-fallback, keep-buffered-replies");
	scenario_free(&s);
	load_ok("response-injection-fixed.ini", &s);
	assert_int_equal(s.client.buffering, SMTP_BUFFER_DISCARD);
	scenario_free(&s);
	if (loads_text("keep2.ini", HEAD "[client]\nbuffering = keep\n", &s, err, sizeof err))
		fail_msg("%s", err);
	assert_string_equal(scenario_client_quirks_text(&s.client, all, sizeof all), "keep-buffered-replies");
	scenario_free(&s);

	refused_text("quirk-unknown.ini", HEAD "[client]\nquirks = helo-fallback, trusting\n", 4, "trusting",
		     "continue-after-starttls-failure, helo-fallback, port-fallback, skip-auth-silently, ignores-downgrade-sentinel, keep-buffered-replies");
	refused_text("quirk-both1.ini", HEAD "[client]\nbuffering = discard\nquirks = keep-buffered-replies\n", 5,
		     "keep-buffered-replies", "one setting");
	refused_text("quirk-both2.ini", HEAD "[client]\nquirks = keep-buffered-replies\nbuffering = keep\n", 5,
		     "'buffering'", "one setting");
}

static void test_variant_is_independent(void **state)
{
	(void)state;
	struct scenario s;
	load_ok("starttls.ini", &s);
	struct scenario v = scenario_variant(&s);
	v.client.tls = SMTP_CLIENT_TLS_NONE;
	v.expect.delivered = 0;
	assert_int_equal(s.client.tls, SMTP_CLIENT_TLS_REQUIRED);
	assert_int_equal(s.expect.delivered, 1);
	assert_string_equal(v.title, s.title);
	scenario_free(&s);
}

/* The data directory is a parameter of loading, not the environment: a file outside the
 * catalogue finds the demo PKI through it, and without it does not. */
static void test_datadir_is_a_parameter(void **state)
{
	(void)state;
	char path[512], err[1024] = "";
	write_file(path, sizeof path, "elsewhere.ini", HEAD);
	struct scenario s;
	setenv("SMTPS_DATADIR", test_scenarios_dir(), 1); /* ignored by the library */
	assert_int_equal(scenario_load(path, NULL, &s, err, sizeof err), -1);
	unsetenv("SMTPS_DATADIR");
	assert_non_null(strstr(err, "certs/"));
	assert_int_equal(scenario_load(path, test_load_opts(), &s, err, sizeof err), 0);
	assert_non_null(strstr(s.client.trust, test_scenarios_dir()));
	scenario_free(&s);
}

/* The reliability review's scenario defects (issue 14, D3-D7, D9, D13, D14, D16): each a
 * file that must be refused at its line with the reason. */
static const struct {
	const char *name, *text;
	int line;
	const char *want[2];
} input_cases[] = {
	/* D3: not regular files, named by a key */
	{ "d3-zero.ini", HEAD "[server]\ncertificate = /dev/zero\n", 4, { "/dev/zero", "not a regular file" } },
	{ "d3-dir.ini", HEAD "[client]\ntrust = /tmp\n", 4, { "/tmp", "is a directory" } },
	/* D4: an empty name switches nothing off silently */
	{ "d4-sni.ini", HEAD "[client]\nserver_name =\n", 4, { "'server_name'", "has no value" } },
	{ "d4-ehlo.ini", HEAD "[client]\nehlo =\n", 4, { "'ehlo'", "has no value" } },
	{ "d4-title.ini", "[scenario]\ntitle =\n", 2, { "'title'", "has no value" } },
	/* D5 and D14: control characters never reach a terminal or the wire */
	{ "d5-esc.ini", "[scenario]\ntitle = T\033]0;PWNED\007\n", 2, { "control character 0x1b", "'title'" } },
	{ "d14-cr.ini", HEAD "[client]\nehlo = c.test\rRSET\n", 4, { "control character 0x0d", "'ehlo'" } },
	/* D7: expectations that could never fail, or fail for the wrong reason */
	{ "d7-err.ini", HEAD "[expect]\nclient_error =\n", 4, { "'client_error'", "has no value" } },
	{ "d7-alert.ini", HEAD "[expect]\nalert = not_an_alert\n", 4, { "not_an_alert", "TLS alert name" } },
	{ "d7-nothing.ini", HEAD "[expect]\nobserver_learns = nothing, credentials\n", 4, { "'nothing' cannot", NULL } },
	{ "d7-commas.ini", HEAD "[expect]\nobserver_learns = ,,,\n", 4, { "empty item", NULL } },
	/* D13: versions that cannot agree */
	{ "d13-tls.ini", HEAD "[client]\ntls_min = 1.2\ntls_max = 1.0\n", 5, { "tls_min is above tls_max", NULL } },
	{ "d13-key.ini", HEAD "[server]\ncertificate = certs/server-rsa.pem\nkey = certs/server-ecdsa.key\n", 5,
	  { "the key is EC but the server's certificate", "holds an RSA key" } },
	{ "d13-notkey.ini", HEAD "[server]\nkey = certs/server-ecdsa.pem\n", 4, { "server-ecdsa.pem", "PRIVATE KEY" } },
	/* D13, D15: a stolen key or a trust file that does not load is an error at its line,
	 * not the attacker's failure or a run error without one */
	{ "d13-stolen.ini", HEAD "[mitm]\nbehaviour = record\nstolen_key = certs/server-rsa.pem\n", 5,
	  { "server-rsa.pem", "no PRIVATE KEY block" } },
	{ "d15-trust.ini", HEAD "[client]\ntrust = certs/server-ecdsa.key\n", 4, { "server-ecdsa.key", "no CERTIFICATE block" } },
	{ "d15-maps.ini", HEAD "[client]\ntrust = /proc/self/maps\n", 4, { "/proc/self/maps", "no CERTIFICATE block" } },
	/* D14: values that end up on the wire */
	{ "d14-from.ini", HEAD "[client]\nfrom = a@x.test> SIZE=1 BODY=8BITMIME <\n", 4, { "bad value", "from" } },
	{ "d14-to.ini", HEAD "[client]\nto = <bob@x.test>\n", 4, { "bad recipient '<bob@x.test>'", NULL } },
	{ "d14-host.ini", HEAD "[server]\nhostname = mail example\n", 4, { "hostname", "host name" } },
	/* D16: leniency that hides mistakes */
	{ "d16-junk.ini", "[scenario] junk\ntitle = t\n", 1, { "after the section header", NULL } },
	{ "d16-date.ini", HEAD "date = 2026- 9-01\n", 3, { "2026- 9-01", "YYYY-MM-DD" } },
	{ "d16-lesson.ini", HEAD "lesson = one\nlesson = two\n", 4, { "'lesson' is given twice", NULL } },
	{ "d16-body.ini", HEAD "[client]\nbody = a\n[client]\nbody = b\n", 6, { "'body' is given twice", NULL } },
	{ "d16-indent1.ini", "[scenario]\n  [bogus]\ntitle = t\n", 2, { "unknown section [bogus]", NULL } },
	{ "d16-indent2.ini", "  [bogus]\n[scenario]\ntitle = t\n", 1, { "unknown section [bogus]", NULL } },
	{ "d16-behav.ini", HEAD "[mitm]\nbehaviour = relay\nbehavior = strip-starttls\n", 5, { "given twice", NULL } },
};

static void test_input_defects(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof input_cases / sizeof input_cases[0]; i++)
		refused_text(input_cases[i].name, input_cases[i].text, input_cases[i].line, input_cases[i].want[0],
			     input_cases[i].want[1]);
	/* D3: the scenario itself a FIFO or a directory: an error, never a hang */
	char fifo[512];
	path_in(fifo, sizeof fifo, tmpdir, "fifo.ini");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	const char *w_fifo[] = { "not a regular file" };
	assert_refused(fifo, 0, w_fifo, 1);
	const char *w_dir[] = { "is a directory" };
	assert_refused(tmpdir, 0, w_dir, 1);
	unlink(fifo);
	/* D9: the real reason for a file that exists and cannot be read (not as root: root reads it) */
	if (geteuid() != 0) {
		char pem[512], ini[700];
		write_file(pem, sizeof pem, "unread.pem", "x");
		chmod(pem, 0);
		snprintf(ini, sizeof ini, HEAD "[server]\ncertificate = %s\n", pem);
		refused_text("d9.ini", ini, 4, "Permission denied", NULL);
	}
	/* D15: a byte order mark does not hide the first header; a newline in a path does not
	 * split the message */
	refused_text("bom.ini", "\xef\xbb\xbf[scenario]\ntitle = t\nbogus = 1\n", 3, "unknown key 'bogus'", NULL);
	char nl[512];
	snprintf(nl, sizeof nl, "%s/a\nb.ini", tmpdir);
	struct scenario s2;
	char e2[600];
	assert_int_equal(scenario_load(nl, test_load_opts(), &s2, e2, sizeof e2), -1);
	assert_null(strchr(e2, '\n'));
	/* D6: a long body parses (linear: 20,000 lines here) and keeps every line */
	size_t lines = 20000, cap = 64 + lines * 32;
	char *big = malloc(cap);
	assert_non_null(big);
	size_t n = (size_t)snprintf(big, cap, HEAD "[client]\nbody = first\n");
	for (size_t k = 0; k < lines; k++)
		n += (size_t)snprintf(big + n, cap - n, "  line %06zu of the body\n", k);
	struct scenario sc;
	char err[512];
	assert_int_equal(loads_text("big.ini", big, &sc, err, sizeof err), 0);
	free(big);
	size_t got = 0;
	for (const char *p = sc.client.body; *p; p++)
		got += *p == '\n';
	assert_int_equal(got, lines);
	assert_non_null(strstr(sc.client.body, "line 019999 of the body"));
	scenario_free(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datadir_is_a_parameter),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_starttls),
		cmocka_unit_test(test_implicit_tls),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_broken_files),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_unknown_section_points_at_header),
		cmocka_unit_test(test_first_problem_wins),
		cmocka_unit_test(test_line_numbers_after_long_lines),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_server_auth_policy),
		cmocka_unit_test(test_client_quirks),
		cmocka_unit_test(test_variant_is_independent),
		cmocka_unit_test(test_input_defects),
	};
	return cmocka_run_group_tests_name("scenario", tests, make_tmpdir, remove_tmpdir);
}
