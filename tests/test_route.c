/* The journey of a message: the relay hop, its Received: lines, what each hop's observer
 * reads, MTA-STS and DANE deciding on hop 2, and the TLS report made from those facts.
 * Each test checks what a student would check, from the trace's facts and the outcome. */
#include "tests/testrun.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sim/export/export.h"
#include "sim/run/relay_policy.h"
#include "sim/run/run.h"
#include "sim/run/scenario.h"
#include "sim/smtp/smtp_parse.h"

struct loaded {
	struct scenario sc;
	struct run_result r;
};

static void load_run(struct loaded *l, const char *name)
{
	char path[512], err[1024];
	snprintf(path, sizeof path, "%s/%s.ini", test_scenarios_dir(), name);
	if (scenario_load(path, test_load_opts(), &l->sc, err, sizeof err))
		fail_msg("%s", err);
	if (test_run_scenario(&l->sc, NULL, &l->r, err, sizeof err))
		fail_msg("%s: %s", name, err);
	char report[1024];
	if (!run_check_expect(&l->sc, &l->r.outcome, report, sizeof report))
		fail_msg("%s: expectations not met: %s", name, report);
}

static void done(struct loaded *l)
{
	run_result_free(&l->r);
	scenario_free(&l->sc);
}

/* Events of a kind on hop 2's links, and how many of them crossed in cleartext. */
static void hop2_count(const struct trace *t, enum trace_kind kind, int *all, int *clear)
{
	*all = *clear = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if (trace_link_hop(e->link) != 2 || e->kind != kind)
			continue;
		(*all)++;
		*clear += (e->readers & READ_WIRE) != 0;
	}
}

/* The link table: ends, hops and names of the six links. */
static void test_links(void **state)
{
	(void)state;
	enum trace_actor a, b;
	trace_link_ends(LINK_SERVER_MX, &a, &b);
	assert_int_equal(a, ACTOR_SERVER);
	assert_int_equal(b, ACTOR_MX);
	trace_link_ends(LINK_SERVER_MITM, &a, &b);
	assert_int_equal(a, ACTOR_SERVER);
	assert_int_equal(b, ACTOR_MITM);
	for (int l = 0; l < LINK_COUNT; l++)
		assert_int_equal(trace_link_hop((enum trace_link)l), l < LINK_SERVER_MX ? 1 : 2);
	assert_int_equal(trace_link_between(ACTOR_MX, ACTOR_MITM), LINK_MITM_MX);
	assert_int_equal(trace_link_between(ACTOR_CLIENT, ACTOR_MX), -1);
	assert_true(trace_link_has_attacker(LINK_MITM_MX));
	assert_false(trace_link_has_attacker(LINK_SERVER_MX));
	assert_string_equal(trace_link_name(LINK_MITM_MX), "attacker-mx");
}

/* Two hops with TLS: delivered, each server's Received: line as RFC 5321 4.4 writes it,
 * nothing but metadata for either hop's observer. */
static void test_two_hops(void **state)
{
	(void)state;
	struct loaded l;
	load_run(&l, "relay-two-hops");
	const struct outcome *o = &l.r.outcome;
	assert_true(o->route && o->submitted && o->delivered && !o->deferred);
	assert_int_equal(o->nreceived, 2);
	assert_string_equal(o->received_with[0], "ESMTPSA");
	assert_string_equal(o->received_with[1], "ESMTPS");
	/* from EHLO-name ([ip]) by host with PROTO id N for <rcpt> tls SUITE; date */
	assert_string_equal(o->received[0],
			    "Received: from client.example.test ([192.0.2.10]) by mail.example.test with ESMTPSA id 1 "
			    "for <bob@example.net> tls TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256; "
			    "Tue, 01 Sep 2026 12:00:00 +0000");
	assert_non_null(strstr(o->received[1], "from mail.example.test ([203.0.113.25]) by mx.example.net with ESMTPS"));
	assert_int_equal(o->hop_observer[0].what, 0);
	assert_int_equal(o->hop_observer[1].what, 0);
	assert_true(o->tls[LINK_SERVER_MX]);
	assert_int_equal(o->tls_client_end[LINK_SERVER_MX], ACTOR_SERVER);
	assert_int_equal(o->tls_server_end[LINK_SERVER_MX], ACTOR_MX);
	/* The relay sends the server's Received: line on top of the message: the MX's
	 * stored message begins with it. */
	int all, clear;
	hop2_count(&l.r.trace, TK_SMTP_DATA, &all, &clear);
	assert_true(all > 0);
	assert_int_equal(clear, 0);
	int found = 0;
	for (size_t i = 0; i < l.r.trace.n; i++) {
		const struct trace_event *e = &l.r.trace.ev[i];
		if (e->kind == TK_SMTP_DATA && e->link == LINK_SERVER_MX && e->plain)
			found |= e->plain_len > 10 && !memcmp(e->plain, "Received: from client.example.test", 34);
	}
	assert_true(found);
	done(&l);
}

/* The first check: stripping on hop 2 shows the body and no credentials to hop
 * 2's observer, and the Received: lines say ESMTPSA then ESMTP. */
static void test_strip_hop2(void **state)
{
	(void)state;
	struct loaded l;
	load_run(&l, "relay-strip-hop2");
	const struct outcome *o = &l.r.outcome;
	assert_true(o->delivered);
	assert_int_equal(o->hop_observer[1].what, OBSERVED_ENVELOPE | OBSERVED_BODY);
	assert_int_equal(o->hop_observer[0].what, 0);
	assert_false(o->hop_observer[1].what & OBSERVED_CREDENTIALS);
	assert_string_equal(o->received_with[0], "ESMTPSA");
	assert_string_equal(o->received_with[1], "ESMTP");
	/* the MX saw the attacker's address as its peer */
	assert_non_null(strstr(o->received[1], "([198.51.100.66])"));
	assert_non_null(strstr(o->summary, "On hop 2 (server to MX), a passive observer learned the envelope"));
	int all, clear;
	hop2_count(&l.r.trace, TK_SMTP_DATA, &all, &clear);
	assert_true(all > 0 && clear == all);
	/* the attacker sits on hop 2 only: nothing of hop 1 is on an attacker's link */
	for (size_t i = 0; i < l.r.trace.n; i++)
		if (trace_link_has_attacker(l.r.trace.ev[i].link))
			assert_int_equal(trace_link_hop(l.r.trace.ev[i].link), 2);
	done(&l);
}

/* A policy decision's facts (the last TK_POLICY decision event). */
static const struct trace_event *decision(const struct trace *t)
{
	const struct trace_event *d = NULL;
	for (size_t i = 0; i < t->n; i++)
		if (t->ev[i].kind == TK_POLICY && t->ev[i].subtype == POLICY_DECISION)
			d = &t->ev[i];
	assert_non_null(d);
	return d;
}

/* Enforce: never sent in cleartext, deferred, reported as starttls-not-supported. */
static void test_mta_sts_enforce(void **state)
{
	(void)state;
	struct loaded l;
	load_run(&l, "mta-sts-enforce");
	const struct outcome *o = &l.r.outcome;
	assert_true(o->submitted && !o->delivered && o->deferred);
	int all, clear;
	hop2_count(&l.r.trace, TK_SMTP_DATA, &all, &clear);
	assert_int_equal(all, 0);
	hop2_count(&l.r.trace, TK_SMTP_COMMAND, &all, &clear);
	for (size_t i = 0; i < l.r.trace.n; i++) {
		const struct trace_event *e = &l.r.trace.ev[i];
		if (trace_link_hop(e->link) == 2 && e->kind == TK_SMTP_COMMAND)
			assert_true(e->subtype == SMTP_VERB_EHLO || e->subtype == SMTP_VERB_QUIT);
	}
	const struct trace_event *d = decision(&l.r.trace);
	assert_int_equal(d->policy, RELAY_POLICY_STS);
	assert_int_equal(d->verdict, MTASTS_DEFER);
	assert_string_equal(fields_get(&d->fields, "result_type"), "starttls-not-supported");
	assert_string_equal(fields_get(&d->fields, "mode"), "enforce");
	done(&l);
}

static void test_mta_sts_testing_and_first_contact(void **state)
{
	(void)state;
	struct loaded l;
	load_run(&l, "mta-sts-testing");
	assert_true(l.r.outcome.delivered && !l.r.outcome.deferred);
	assert_int_equal(decision(&l.r.trace)->verdict, MTASTS_DELIVER_REPORT);
	done(&l);
	load_run(&l, "mta-sts-first-contact");
	assert_true(l.r.outcome.delivered);
	const struct trace_event *d = decision(&l.r.trace);
	assert_int_equal(d->policy, RELAY_POLICY_NONE); /* the fetch failed: no policy in force */
	int fetch_error = 0;
	for (size_t i = 0; i < l.r.trace.n; i++) {
		const struct trace_event *e = &l.r.trace.ev[i];
		const char *rt = e->kind == TK_POLICY ? fields_get(&e->fields, "result_type") : NULL;
		fetch_error |= e->subtype == POLICY_STS_FETCH && rt && !strcmp(rt, "sts-policy-fetch-error");
	}
	assert_true(fetch_error);
	assert_int_equal(l.r.outcome.hop_observer[1].what, OBSERVED_ENVELOPE | OBSERVED_BODY);
	done(&l);
}

/* DANE: strip and substitution deferred; an unsigned zone's records ignored. */
static void test_dane(void **state)
{
	(void)state;
	struct loaded l;
	load_run(&l, "dane-strip");
	assert_true(l.r.outcome.deferred);
	assert_int_equal(decision(&l.r.trace)->policy, RELAY_POLICY_TLSA);
	done(&l);
	load_run(&l, "dane-substitution");
	assert_true(l.r.outcome.deferred && !l.r.outcome.delivered);
	/* The attacker's certificate passes PKIX (the demo CA signed it for the MX's name):
	 * no "unverified" note, and the relay's TLS came up; the TLSA match is what fails. */
	assert_true(l.r.outcome.tls[LINK_SERVER_MITM]);
	const struct trace_event *d = decision(&l.r.trace);
	assert_string_equal(fields_get(&d->fields, "result_type"), "validation-failure");
	assert_null(fields_get(&d->fields, "failure_reason_code"));
	int data = 0, clear;
	hop2_count(&l.r.trace, TK_SMTP_DATA, &data, &clear);
	assert_int_equal(data, 0);
	done(&l);
	load_run(&l, "dane-unsigned-zone");
	assert_true(l.r.outcome.delivered && !l.r.outcome.deferred);
	assert_int_equal(decision(&l.r.trace)->policy, RELAY_POLICY_NONE);
	done(&l);
}

/* REQUIRETLS: offered and sent only inside TLS, and a hop that cannot meet it bounces the
 * message; TLS-Required: No makes the relay ignore an enforce policy. */
static void test_requiretls(void **state)
{
	(void)state;
	struct loaded l;
	load_run(&l, "requiretls-bounce");
	const struct outcome *o = &l.r.outcome;
	assert_true(o->submitted && o->bounced && !o->delivered && !o->deferred);
	int mail_rt = 0, cap_rt_clear = 0, data2 = 0, clear;
	for (size_t i = 0; i < l.r.trace.n; i++) {
		const struct trace_event *e = &l.r.trace.ev[i];
		const char *line = (const char *)(e->encrypted ? e->plain : e->wire);
		size_t n = e->encrypted ? e->plain_len : e->wire_len;
		if (e->kind == TK_SMTP_COMMAND && e->subtype == SMTP_VERB_MAIL && e->link == LINK_CLIENT_SERVER)
			mail_rt += n > 10 && memmem(line, n, " REQUIRETLS", 11) != NULL && e->encrypted;
		if (e->kind == TK_SMTP_REPLY && !e->encrypted && n > 10 && memmem(line, n, "REQUIRETLS", 10))
			cap_rt_clear++;
	}
	assert_int_equal(mail_rt, 1);
	assert_int_equal(cap_rt_clear, 0); /* never offered in cleartext */
	hop2_count(&l.r.trace, TK_SMTP_DATA, &data2, &clear);
	assert_int_equal(data2, 0);
	const struct trace_event *b = NULL;
	for (size_t i = 0; i < l.r.trace.n; i++)
		if (l.r.trace.ev[i].kind == TK_POLICY && l.r.trace.ev[i].subtype == POLICY_REQUIRETLS)
			b = &l.r.trace.ev[i];
	assert_non_null(b);
	assert_int_equal(b->verdict, 1);
	assert_string_equal(fields_get(&b->fields, "status"), "5.7.30");
	done(&l);

	load_run(&l, "tls-required-no");
	assert_true(l.r.outcome.delivered && !l.r.outcome.deferred);
	int optional = 0;
	for (size_t i = 0; i < l.r.trace.n; i++)
		optional += l.r.trace.ev[i].kind == TK_POLICY && l.r.trace.ev[i].subtype == POLICY_TLS_OPTIONAL;
	assert_int_equal(optional, 1);
	assert_int_equal(l.r.outcome.hop_observer[1].what, OBSERVED_ENVELOPE | OBSERVED_BODY);
	done(&l);
}

/* The TLS report, read back as JSON: the RFC 8460 result type and the policy. */
static void test_tlsrpt_export(void **state)
{
	(void)state;
	struct loaded l;
	load_run(&l, "dane-substitution");
	char path[] = "/tmp/route_tlsrpt_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char err[512];
	assert_int_equal(export_tlsrpt(path, &l.sc, &l.r, err, sizeof err), 0);
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	assert_non_null(j);
	json_t *p = json_array_get(json_object_get(j, "policies"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(p, "policy"), "policy-type")), "tlsa");
	json_t *fd0 = json_array_get(json_object_get(p, "failure-details"), 0);
	assert_string_equal(json_string_value(json_object_get(fd0, "result-type")), "validation-failure");
	assert_string_equal(json_string_value(json_object_get(fd0, "receiving-mx-hostname")), "mx.example.net");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "summary"),
							   "total-failure-session-count")), 1);
	json_decref(j);
	unlink(path);
	done(&l);
	/* No relay hop: nothing to report, and no file. */
	load_run(&l, "starttls");
	assert_int_equal(export_tlsrpt(path, &l.sc, &l.r, err, sizeof err), -1);
	assert_non_null(strstr(err, "no relay hop"));
	assert_int_equal(access(path, F_OK), -1);
	done(&l);
}

/* A route that does not hold together is refused at load, at its line. */
static void test_route_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "[scenario]\ntitle = t\n[mitm]\nbehaviour = strip-starttls\nhop = 2\n", ":5: [mitm] hop = 2" },
		{ "[scenario]\ntitle = t\n[mx]\n[mitm]\nbehaviour = steal-credentials\nhop = 2\n",
		  "steal-credentials works on the client's own connection only" },
		{ "[scenario]\ntitle = t\n[mitm]\nbehaviour = relay\nhop = 3\n", "expected 1 (client to server) or 2" },
		{ "[scenario]\ntitle = t\n[expect]\nsubmitted = yes\n", ":4: [expect] submitted" },
		{ "[scenario]\ntitle = t\n[mx]\n[expect]\nreceived_with = ESMTPSA, SMTPS\n", "received_with" },
		{ "[scenario]\ntitle = t\n[mx]\n[expect]\npolicy_result = stripped\n", "RFC 8460 result type" },
		{ "[scenario]\ntitle = t\n[mx]\nmode = implicit\n", "an MX answers on port 25" },
		{ "[scenario]\ntitle = t\n[relay]\ntls = implicit\n", "a relay dials port 25" },
		{ "[scenario]\ntitle = t\n[client]\ntls = starttls-opportunistic\nrequiretls = yes\n",
		  ":5: requiretls: REQUIRETLS is sent only inside TLS" },
		{ "[scenario]\ntitle = t\n[dns]\nx.example.net TLSA 3 1 1 abc\n", "even number of hex digits" },
		{ "[scenario]\ntitle = t\n[dns]\nx.example.net TLSA 3 1\n", "TLSA record for x.example.net" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char path[] = "/tmp/route_bad_XXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, cases[i].text, strlen(cases[i].text)), (ssize_t)strlen(cases[i].text));
		close(fd);
		struct scenario sc;
		char err[1024];
		int rc = scenario_load(path, test_load_opts(), &sc, err, sizeof err);
		unlink(path);
		if (rc == 0) {
			scenario_free(&sc);
			fail_msg("case %zu loaded, expected '%s'", i, cases[i].want);
		}
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: expected '%s' in '%s'", i, cases[i].want, err);
	}
}

/* TLSA records in the zone: the numbers and the data, and the authenticated bit. */
static void test_tlsa_zone(void **state)
{
	(void)state;
	struct dns_zone z;
	dns_zone_init(&z);
	char err[200];
	assert_int_equal(dns_zone_parse_line(&z, "_25._tcp.mx.example.net TLSA 3 1 1 0a0B ff authenticated", 0, 1,
					     err, sizeof err), 0);
	const struct dns_record *r = dns_lookup(&z, "_25._tcp.MX.example.net.", DNS_TLSA, 0);
	assert_non_null(r);
	assert_int_equal(r->usage, 3);
	assert_int_equal(r->selector, 1);
	assert_int_equal(r->mtype, 1);
	assert_int_equal(r->len, 3);
	assert_int_equal(r->data[0], 0x0a);
	assert_int_equal(r->data[1], 0x0b);
	assert_int_equal(r->data[2], 0xff);
	assert_true(r->authenticated);
	assert_int_equal(dns_zone_parse_line(&z, "x.example.net TLSA 3 1 256 00", 0, 2, err, sizeof err), -1);
	dns_zone_free(&z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_two_hops),
		cmocka_unit_test(test_strip_hop2),
		cmocka_unit_test(test_mta_sts_enforce),
		cmocka_unit_test(test_mta_sts_testing_and_first_contact),
		cmocka_unit_test(test_dane),
		cmocka_unit_test(test_requiretls),
		cmocka_unit_test(test_tlsrpt_export),
		cmocka_unit_test(test_route_errors),
		cmocka_unit_test(test_tlsa_zone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
