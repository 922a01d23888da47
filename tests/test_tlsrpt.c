/* test_tlsrpt: an RFC 8460 report with one success and failures of two types is
 * written, read back with jansson and checked field by field against the names and
 * the order of section 4.4; equal failures add up; the write is atomic (no temporary
 * left, same bytes every time) and a write that cannot happen says so and leaves
 * nothing behind. */
#include "tests/testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/export/tlsrpt.h"

static char *make_tmpdir(void)
{
	char *d = strdup("/tmp/smtps-tlsrpt-test.XXXXXX");
	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

/* the names in dir, sorted, joined by spaces */
static void list_dir(const char *dir, char *out, size_t cap)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	assert_true(n >= 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			if (out[0])
				strncat(out, " ", cap - strlen(out) - 1);
			strncat(out, ents[i]->d_name, cap - strlen(out) - 1);
		}
		free(ents[i]);
	}
	free(ents);
}

static void rm_tree(const char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static const char *const sts_lines[] = {"version: STSv1", "mode: enforce", "mx: mail.example.test",
					"max_age: 86400"};

static void build(struct tlsrpt *r)
{
	assert_int_equal(tlsrpt_init(r, "smtps-sim DEMO sender", "mailto:tlsrpt@sender.example",
				     "2026-05-28T00:00:00Z_example.test", "2026-05-28T00:00:00Z",
				     "2026-05-28T23:59:59Z"), 0);
	int sts = tlsrpt_policy(r, TLSRPT_POLICY_STS, "example.test", sts_lines, 4, "mail.example.test");
	assert_int_equal(sts, 0);
	assert_int_equal(tlsrpt_success(r, sts, 1), 0);
	struct tlsrpt_detail strip = {"192.0.2.1", "mail.example.test", NULL, "198.51.100.25", NULL, NULL};
	assert_int_equal(tlsrpt_failure(r, sts, TLSRPT_STARTTLS_NOT_SUPPORTED, &strip, 1), 0);
	struct tlsrpt_detail name = {"192.0.2.1", "mail.example.test", "mx.attacker.test", "198.51.100.25",
				     NULL, "BR_ERR_X509_BAD_SERVER_NAME"};
	assert_int_equal(tlsrpt_failure(r, sts, TLSRPT_CERTIFICATE_HOST_MISMATCH, &name, 1), 0);
	/* the same failure again is counted, not listed twice */
	assert_int_equal(tlsrpt_failure(r, sts, TLSRPT_CERTIFICATE_HOST_MISMATCH, &name, 1), 0);
	/* an equal policy is the same entry */
	assert_int_equal(tlsrpt_policy(r, TLSRPT_POLICY_STS, "example.test", sts_lines, 4, "mail.example.test"), sts);

	const char *tlsa[] = {"3 1 1 3d320b5f6bbb94741ca55f1ff93c7ed9e763e53ea62526c3a91d7556731ede55"};
	int dane = tlsrpt_policy(r, TLSRPT_POLICY_TLSA, "mail.example.test", tlsa, 1, NULL);
	assert_int_equal(dane, 1);
	assert_int_equal(tlsrpt_success(r, dane, 3), 0);
	int none = tlsrpt_policy(r, TLSRPT_POLICY_NONE_FOUND, "plain.example", NULL, 0, NULL);
	assert_int_equal(none, 2);
	assert_int_equal(tlsrpt_failure(r, none, TLSRPT_STARTTLS_NOT_SUPPORTED, NULL, 2), 0);
}

/* the keys of o, in order, joined by spaces */
static void keys(json_t *o, char *out, size_t cap)
{
	out[0] = '\0';
	for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
		if (out[0])
			strncat(out, " ", cap - strlen(out) - 1);
		strncat(out, json_object_iter_key(it), cap - strlen(out) - 1);
	}
}

static const char *str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_string(v))
		fail_msg("%s is not a string", k);
	return json_string_value(v);
}

static json_int_t num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	if (!json_is_integer(v))
		fail_msg("%s is not an integer", k);
	return json_integer_value(v);
}

static void test_report_roundtrip(void **state)
{
	(void)state;
	struct tlsrpt r;
	build(&r);
	char *dir = make_tmpdir();
	char path[512], err[600] = "";
	snprintf(path, sizeof path, "%s/report.json", dir);
	if (tlsrpt_write(&r, path, err, sizeof err) != 0)
		fail_msg("%s", err);

	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	if (!root)
		fail_msg("%s: %s", path, je.text);
	char k[512];
	keys(root, k, sizeof k);
	assert_string_equal(k, "organization-name date-range contact-info report-id policies");
	assert_string_equal(str(root, "organization-name"), "smtps-sim DEMO sender");
	assert_string_equal(str(root, "contact-info"), "mailto:tlsrpt@sender.example");
	assert_string_equal(str(root, "report-id"), "2026-05-28T00:00:00Z_example.test");
	json_t *range = json_object_get(root, "date-range");
	keys(range, k, sizeof k);
	assert_string_equal(k, "start-datetime end-datetime");
	assert_string_equal(str(range, "start-datetime"), "2026-05-28T00:00:00Z");
	assert_string_equal(str(range, "end-datetime"), "2026-05-28T23:59:59Z");

	json_t *pols = json_object_get(root, "policies");
	assert_true(json_is_array(pols));
	assert_int_equal(json_array_size(pols), 3);

	/* the MTA-STS policy: one success, three failures of two types */
	json_t *e = json_array_get(pols, 0);
	keys(e, k, sizeof k);
	assert_string_equal(k, "policy summary failure-details");
	json_t *pol = json_object_get(e, "policy");
	keys(pol, k, sizeof k);
	assert_string_equal(k, "policy-type policy-string policy-domain mx-host");
	assert_string_equal(str(pol, "policy-type"), "sts");
	assert_string_equal(str(pol, "policy-domain"), "example.test");
	assert_string_equal(str(pol, "mx-host"), "mail.example.test");
	json_t *ps = json_object_get(pol, "policy-string");
	assert_int_equal(json_array_size(ps), 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(json_string_value(json_array_get(ps, i)), sts_lines[i]);
	json_t *sum = json_object_get(e, "summary");
	keys(sum, k, sizeof k);
	assert_string_equal(k, "total-successful-session-count total-failure-session-count");
	assert_int_equal(num(sum, "total-successful-session-count"), 1);
	assert_int_equal(num(sum, "total-failure-session-count"), 3);
	json_t *fd = json_object_get(e, "failure-details");
	assert_int_equal(json_array_size(fd), 2);
	json_t *f0 = json_array_get(fd, 0), *f1 = json_array_get(fd, 1);
	keys(f0, k, sizeof k);
	assert_string_equal(k, "result-type sending-mta-ip receiving-mx-hostname receiving-ip failed-session-count");
	assert_string_equal(str(f0, "result-type"), "starttls-not-supported");
	assert_string_equal(str(f0, "sending-mta-ip"), "192.0.2.1");
	assert_string_equal(str(f0, "receiving-mx-hostname"), "mail.example.test");
	assert_string_equal(str(f0, "receiving-ip"), "198.51.100.25");
	assert_int_equal(num(f0, "failed-session-count"), 1);
	keys(f1, k, sizeof k);
	assert_string_equal(k, "result-type sending-mta-ip receiving-mx-hostname receiving-mx-helo receiving-ip "
			       "failed-session-count failure-reason-code");
	assert_string_equal(str(f1, "result-type"), "certificate-host-mismatch");
	assert_string_equal(str(f1, "receiving-mx-helo"), "mx.attacker.test");
	assert_string_equal(str(f1, "failure-reason-code"), "BR_ERR_X509_BAD_SERVER_NAME");
	assert_int_equal(num(f1, "failed-session-count"), 2);

	/* the TLSA policy: no mx-host, no failures */
	e = json_array_get(pols, 1);
	pol = json_object_get(e, "policy");
	assert_string_equal(str(pol, "policy-type"), "tlsa");
	assert_null(json_object_get(pol, "mx-host"));
	assert_string_equal(json_string_value(json_array_get(json_object_get(pol, "policy-string"), 0)),
			    "3 1 1 3d320b5f6bbb94741ca55f1ff93c7ed9e763e53ea62526c3a91d7556731ede55");
	assert_int_equal(num(json_object_get(e, "summary"), "total-successful-session-count"), 3);
	assert_int_equal(num(json_object_get(e, "summary"), "total-failure-session-count"), 0);
	assert_int_equal(json_array_size(json_object_get(e, "failure-details")), 0);

	/* no policy found: no policy-string, a failure without details */
	e = json_array_get(pols, 2);
	pol = json_object_get(e, "policy");
	keys(pol, k, sizeof k);
	assert_string_equal(k, "policy-type policy-domain");
	assert_string_equal(str(pol, "policy-type"), "no-policy-found");
	f0 = json_array_get(json_object_get(e, "failure-details"), 0);
	keys(f0, k, sizeof k);
	assert_string_equal(k, "result-type failed-session-count");
	assert_int_equal(num(f0, "failed-session-count"), 2);
	json_decref(root);

	/* atomic: only the report in the directory; a second write gives the same bytes */
	list_dir(dir, k, sizeof k);
	assert_string_equal(k, "report.json");
	char path2[512];
	snprintf(path2, sizeof path2, "%s/again.json", dir);
	assert_int_equal(tlsrpt_write(&r, path2, err, sizeof err), 0);
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", path, path2);
	assert_int_equal(system(cmd), 0);
	list_dir(dir, k, sizeof k);
	assert_string_equal(k, "again.json report.json");

	tlsrpt_free(&r);
	rm_tree(dir);
	free(dir);
}

static void test_write_errors(void **state)
{
	(void)state;
	struct tlsrpt r;
	build(&r);
	char *dir = make_tmpdir();
	char path[512], err[600] = "", k[256];

	/* a directory that does not exist */
	snprintf(path, sizeof path, "%s/missing/report.json", dir);
	assert_int_equal(tlsrpt_write(&r, path, err, sizeof err), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file or directory"));

	/* the target is a non-empty directory: the rename fails at commit, and the
	 * temporary is gone */
	snprintf(path, sizeof path, "%s/taken", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	char inner[600];
	snprintf(inner, sizeof inner, "%s/x", path);
	FILE *f = fopen(inner, "w");
	assert_non_null(f);
	fclose(f);
	err[0] = '\0';
	assert_int_equal(tlsrpt_write(&r, path, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot write"));
	list_dir(dir, k, sizeof k);
	assert_string_equal(k, "taken");

	/* a full device: the write itself fails (only where a temporary can be made
	 * beside /dev/full, which is never the case for an ordinary user) */
	if (access("/dev", W_OK) != 0) {
		err[0] = '\0';
		assert_int_equal(tlsrpt_write(&r, "/dev/full", err, sizeof err), -1);
		assert_non_null(strstr(err, "/dev/full: cannot write"));
	}

	/* text that is not UTF-8 cannot go into JSON: an error, no file */
	struct tlsrpt bad;
	assert_int_equal(tlsrpt_init(&bad, "org\xff", "c", "id", "s", "e"), 0);
	snprintf(path, sizeof path, "%s/bad.json", dir);
	assert_int_equal(tlsrpt_write(&bad, path, err, sizeof err), -1);
	assert_non_null(strstr(err, "could not be built"));
	list_dir(dir, k, sizeof k);
	assert_string_equal(k, "taken");
	tlsrpt_free(&bad);

	/* bad indices and result types are refused */
	assert_int_equal(tlsrpt_success(&r, 7, 1), -1);
	assert_int_equal(tlsrpt_success(&r, -1, 1), -1);
	assert_int_equal(tlsrpt_failure(&r, 0, TLSRPT_RESULT_COUNT, NULL, 1), -1);
	assert_int_equal(tlsrpt_policy(&r, TLSRPT_POLICY_STS, NULL, NULL, 0, NULL), -1);

	tlsrpt_free(&r);
	rm_tree(dir);
	free(dir);
}

static void test_names(void **state)
{
	(void)state;
	/* RFC 8460 4.3's result types, in its order */
	static const char *const rfc[] = {
		"starttls-not-supported", "certificate-host-mismatch", "certificate-expired",
		"certificate-not-trusted", "validation-failure", "tlsa-invalid", "dnssec-invalid",
		"dane-required", "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid",
	};
	assert_int_equal(sizeof rfc / sizeof rfc[0], TLSRPT_RESULT_COUNT);
	for (int i = 0; i < TLSRPT_RESULT_COUNT; i++) {
		assert_string_equal(tlsrpt_result_name((enum tlsrpt_result)i), rfc[i]);
		assert_int_equal(tlsrpt_result_from_name(rfc[i]), i);
	}
	assert_int_equal(tlsrpt_result_from_name("certificate-revoked"), -1);
	assert_int_equal(tlsrpt_result_from_name(NULL), -1);
	assert_string_equal(tlsrpt_policy_type_name(TLSRPT_POLICY_NONE_FOUND), "no-policy-found");

	char name[128];
	assert_int_equal(tlsrpt_filename("sender.example", "example.test", 1779926400, 1780012799, "001",
					 name, sizeof name), 0);
	assert_string_equal(name, "sender.example!example.test!1779926400!1780012799!001.json");
	assert_int_equal(tlsrpt_filename("s", "d", 1, 2, NULL, name, sizeof name), 0);
	assert_string_equal(name, "s!d!1!2.json");
	assert_int_equal(tlsrpt_filename("s", "d", 1, 2, NULL, name, 8), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report_roundtrip),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
