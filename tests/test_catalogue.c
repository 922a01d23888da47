/* The attack catalogue: each scenario's outcome, checked as a student would check it
 * (what leaked, what was delivered, who detected what), not only its exit code. */
#include "tests/testrun.h"

#include <stdio.h>
#include <string.h>

#include "sim/run/run.h"
#include "sim/run/scenario.h"
#include "sim/decode/decode.h"
#include "sim/smtp/smtp_parse.h"
#include <bearssl.h>

struct loaded {
	struct scenario sc;
	struct run_result r;
};

static struct loaded *load_and_run(const char *name)
{
	static struct loaded l;
	char path[512], err[1024];
	snprintf(path, sizeof path, "%s/%s.ini", test_scenarios_dir(), name);
	if (scenario_load(path, test_load_opts(), &l.sc, err, sizeof err))
		fail_msg("%s", err);
	if (test_run_scenario(&l.sc, NULL, &l.r, err, sizeof err))
		fail_msg("%s: %s", name, err);
	char report[1024];
	if (!run_check_expect(&l.sc, &l.r.outcome, report, sizeof report))
		fail_msg("%s: expectations not met: %s", name, report);
	return &l;
}

static void done(struct loaded *l)
{
	run_result_free(&l->r);
	scenario_free(&l->sc);
}

#define ANY (-1)

/* Number of events on a link (ANY: every link) of a kind and subtype (ANY: every one)
 * whose decoded field `name` (NULL: no condition) starts with `value`, and whose attack
 * action is `attack` (ANY: whatever it is). Facts only: never the summary. */
static int count(const struct trace *t, int link, enum trace_kind kind, int subtype, const char *name,
		 const char *value, int attack)
{
	int n = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		const char *v = name ? fields_get(&e->fields, name) : NULL;
		if ((link == ANY || (int)e->link == link) && e->kind == kind && (subtype == ANY || e->subtype == subtype) &&
		    (!name || (v && !strncmp(v, value, strlen(value)))) && (attack == ANY || e->attack == attack))
			n++;
	}
	return n;
}

static void test_strip_opportunistic(void **state)
{
	(void)state;
	struct loaded *l = load_and_run("strip-opportunistic");
	const struct outcome *o = &l->r.outcome;
	assert_true(o->delivered);
	assert_false(o->tls[LINK_CLIENT_MITM]);
	assert_string_equal(o->attacker.user, "alice");
	assert_string_equal(o->attacker.password, "wonderland");
	assert_string_equal(o->observer.password, "wonderland");
	/* the server offered STARTTLS; the client never saw it */
	assert_int_equal(count(&l->r.trace, LINK_MITM_SERVER, TK_SMTP_REPLY, 250, "text", "STARTTLS", ANY), 1);
	assert_int_equal(count(&l->r.trace, LINK_CLIENT_MITM, TK_SMTP_REPLY, 250, "text", "STARTTLS", ANY), 0);
	assert_true(count(&l->r.trace, LINK_CLIENT_MITM, TK_SMTP_REPLY, 250, NULL, NULL, ATTACK_DELETED) > 0);
	assert_int_equal(count(&l->r.trace, ANY, TK_SMTP_COMMAND, SMTP_VERB_STARTTLS, NULL, NULL, ANY), 0);
	done(l);
}

static void test_strip_required(void **state)
{
	(void)state;
	struct loaded *l = load_and_run("strip-required");
	const struct outcome *o = &l->r.outcome;
	assert_false(o->delivered);
	assert_int_equal(o->attacker.what, 0);
	assert_int_equal(o->observer.what, 0);
	assert_non_null(strstr(o->client_error, "STARTTLS"));
	assert_int_equal(count(&l->r.trace, ANY, TK_SMTP_COMMAND, SMTP_VERB_AUTH, NULL, NULL, ANY), 0);
	assert_int_equal(count(&l->r.trace, LINK_CLIENT_MITM, TK_SMTP_COMMAND, SMTP_VERB_QUIT, NULL, NULL, ANY), 1);
	done(l);
}

static void test_starttls_454(void **state)
{
	(void)state;
	struct loaded *l = load_and_run("starttls-454");
	const struct outcome *o = &l->r.outcome;
	assert_int_equal(count(&l->r.trace, LINK_CLIENT_MITM, TK_SMTP_REPLY, 454, NULL, NULL, ATTACK_FORGED), 1);
	assert_int_equal(count(&l->r.trace, LINK_MITM_SERVER, TK_SMTP_COMMAND, SMTP_VERB_STARTTLS, NULL, NULL, ANY), 0);
	assert_true(o->delivered);
	assert_string_equal(o->attacker.password, "wonderland");
	done(l);
}

static void test_strip_vs_implicit(void **state)
{
	(void)state;
	struct loaded *l = load_and_run("strip-vs-implicit");
	const struct outcome *o = &l->r.outcome;
	assert_true(o->delivered);
	assert_int_equal(o->attacker.what, 0);
	for (size_t i = 0; i < l->r.trace.n; i++) {
		const struct trace_event *e = &l->r.trace.ev[i];
		if (e->layer == LAYER_SMTP_COMMAND || e->layer == LAYER_SMTP_REPLY || e->layer == LAYER_SMTP_DATA)
			assert_true(e->encrypted && !(e->readers & (READ_WIRE | READ_MITM)));
		assert_false(e->attack && e->layer != LAYER_NOTE);
	}
	done(l);
}

static void test_cert_substitution(void **state)
{
	(void)state;
	struct loaded *l = load_and_run("cert-substitution-noverify");
	const struct outcome *o = &l->r.outcome;
	assert_true(o->delivered);
	assert_false(o->altered);
	assert_true(o->tls[LINK_CLIENT_MITM] && o->tls[LINK_MITM_SERVER]);
	assert_true(o->attacker.what & OBSERVED_BODY);
	assert_string_equal(o->attacker.subject, "Lunch on Friday?");
	assert_string_equal(o->attacker.password, "wonderland");
	assert_int_equal(o->observer.what, 0);
	assert_int_equal(count(&l->r.trace, LINK_CLIENT_MITM, TK_TLS_UNVERIFIED, ANY, NULL, NULL, ANY), 1);
	done(l);

	l = load_and_run("cert-substitution-verify");
	o = &l->r.outcome;
	assert_false(o->delivered);
	assert_int_equal(o->client_err, BR_ERR_X509_NOT_TRUSTED);
	assert_int_equal(o->attacker.what, 0);
	assert_int_equal(o->nalerts, 0);     /* BearSSL closes without an alert */
	assert_int_equal(count(&l->r.trace, LINK_CLIENT_MITM, TK_TLS_FAILED, ANY, NULL, NULL, ANY), 1);
	assert_int_equal(count(&l->r.trace, ANY, TK_SMTP_COMMAND, SMTP_VERB_AUTH, NULL, NULL, ANY), 0);
	done(l);
}

static void test_validation(void **state)
{
	(void)state;
	struct loaded *l = load_and_run("wrong-host");
	assert_int_equal(l->r.outcome.client_err, BR_ERR_X509_BAD_SERVER_NAME);
	assert_false(l->r.outcome.delivered);
	done(l);
	l = load_and_run("expired-cert");
	assert_int_equal(l->r.outcome.client_err, BR_ERR_X509_EXPIRED);
	assert_false(l->r.outcome.delivered);
	done(l);
}

static int encrypted_reply_mentions(const struct trace *t, const char *needle)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if (e->layer == LAYER_SMTP_REPLY && e->encrypted && e->link == LINK_MITM_SERVER && strstr(e->summary, needle))
			return 1;
	}
	return 0;
}

static void test_command_injection(void **state)
{
	(void)state;
	struct loaded *l = load_and_run("command-injection-vulnerable");
	assert_true(l->r.outcome.injected > 0);
	/* the injected MAIL FROM was accepted inside TLS */
	assert_true(encrypted_reply_mentions(&l->r.trace, "Sender <mallory@evil.test> OK"));
	assert_true(count(&l->r.trace, LINK_MITM_SERVER, TK_SMTP_COMMAND, SMTP_VERB_MAIL, "mail_from", "mallory@evil.test", ATTACK_ADDED) == 1);
	done(l);

	l = load_and_run("command-injection-fixed");
	assert_int_equal(l->r.outcome.injected, 0);
	assert_false(encrypted_reply_mentions(&l->r.trace, "mallory"));
	assert_true(l->r.outcome.delivered);
	done(l);
}

static void test_response_injection(void **state)
{
	(void)state;
	struct loaded *l = load_and_run("response-injection-vulnerable");
	assert_true(l->r.outcome.injected > 0);
	assert_int_equal(count(&l->r.trace, LINK_CLIENT_MITM, TK_SMTP_REPLY, 250, NULL, NULL, ATTACK_ADDED), 2);
	done(l);
	l = load_and_run("response-injection-fixed");
	assert_int_equal(l->r.outcome.injected, 0);
	assert_true(l->r.outcome.delivered);
	done(l);
}

static void test_tamper(void **state)
{
	(void)state;
	struct loaded *l = load_and_run("tamper-record");
	assert_int_equal(l->r.outcome.server_err, BR_ERR_BAD_MAC);
	assert_false(l->r.outcome.delivered);
	assert_int_equal(count(&l->r.trace, LINK_MITM_SERVER, TK_RECORD, TLS_CT_APPLICATION_DATA, NULL, NULL, ATTACK_TAMPERED), 1);
	done(l);

	l = load_and_run("tamper-clienthello");
	assert_int_equal(l->r.outcome.server_err, BR_ERR_BAD_FINISHED);
	assert_int_equal(count(&l->r.trace, LINK_CLIENT_MITM, TK_HANDSHAKE, TLS_HS_CLIENT_HELLO, "cipher_suites", "10 suites", ATTACK_NONE), 1);
	assert_int_equal(count(&l->r.trace, LINK_MITM_SERVER, TK_HANDSHAKE, TLS_HS_CLIENT_HELLO, "cipher_suites", "2 suites", ATTACK_REPLACED), 1);
	assert_false(l->r.outcome.delivered);
	done(l);
}

static void test_forward_secrecy(void **state)
{
	(void)state;
	struct loaded *l = load_and_run("forward-secrecy-rsa");
	assert_true(l->r.outcome.decrypted_later);
	assert_string_equal(l->r.outcome.attacker.password, "wonderland");
	assert_string_equal(l->r.outcome.attacker.subject, "Lunch on Friday?");
	assert_int_equal(l->r.outcome.observer.what, 0);
	done(l);
	l = load_and_run("forward-secrecy-ecdhe");
	assert_false(l->r.outcome.decrypted_later);
	assert_int_equal(l->r.outcome.attacker.what, 0);
	assert_true(l->r.outcome.delivered);
	done(l);
}

/* The upstream-STARTTLS strip: the server saw TLS (with the attacker) and took AUTH inside
 * it; the client never had TLS, and its password crossed its own leg in cleartext. */
static void test_strip_upstream(void **state)
{
	(void)state;
	struct loaded *l = load_and_run("strip-upstream-starttls");
	const struct outcome *o = &l->r.outcome;
	assert_true(o->delivered);
	assert_false(o->tls[LINK_CLIENT_MITM]);
	assert_true(o->tls[LINK_MITM_SERVER]);
	assert_int_equal(o->tls_client_end[LINK_MITM_SERVER], ACTOR_MITM);
	assert_int_equal(o->tls_server_end[LINK_MITM_SERVER], ACTOR_SERVER);
	assert_string_equal(o->observer.password, "wonderland");
	assert_string_equal(o->attacker.password, "wonderland");
	/* the client's AUTH in cleartext on its leg, re-encrypted towards the server */
	assert_int_equal(count(&l->r.trace, LINK_CLIENT_MITM, TK_SMTP_COMMAND, SMTP_VERB_AUTH, NULL, NULL, ANY), 1);
	assert_int_equal(count(&l->r.trace, LINK_MITM_SERVER, TK_SMTP_COMMAND, SMTP_VERB_STARTTLS, NULL, NULL,
			       ATTACK_ADDED), 1);
	for (size_t i = 0; i < l->r.trace.n; i++) {
		const struct trace_event *e = &l->r.trace.ev[i];
		if (e->link == LINK_MITM_SERVER && e->kind == TK_SMTP_COMMAND && e->subtype == SMTP_VERB_AUTH)
			assert_true(e->encrypted);
		if (e->link == LINK_CLIENT_MITM && e->kind == TK_SMTP_REPLY)
			assert_null(memmem(e->wire, e->wire_stored, "STARTTLS", 8));
	}
	done(l);
}

/* Credential theft by command injection: the victim's AUTH line reaches the attacker
 * through its own mailbox, never through the wire; with a careful server, nothing. */
static void test_steal_credentials(void **state)
{
	(void)state;
	struct loaded *l = load_and_run("command-injection-credentials");
	const struct outcome *o = &l->r.outcome;
	assert_true(o->tls[LINK_CLIENT_MITM]);
	assert_int_equal(o->observer.what, 0);
	assert_string_equal(o->attacker.user, "alice");
	assert_string_equal(o->attacker.password, "wonderland");
	assert_false(o->delivered);
	assert_int_equal(o->to_attacker, 1);
	int at = o->attacker.exposed_at[0];
	assert_true(at > 0);
	assert_int_equal(l->r.trace.ev[at - 1].replay, REPLAY_MAILBOX);
	done(l);
	l = load_and_run("command-injection-credentials-fixed");
	assert_true(l->r.outcome.delivered);
	assert_int_equal(l->r.outcome.to_attacker, 0);
	assert_int_equal(l->r.outcome.attacker.what, 0);
	done(l);
}

/* A replayed certificate passes every check of the chain; the handshake fails where the
 * key is used: the ECDHE signature, or (static RSA) the Finished after a premaster secret
 * the attacker could not decrypt. A CA the client trusts gets through. */
static void test_certificates_and_keys(void **state)
{
	(void)state;
	struct loaded *l = load_and_run("replay-certificate");
	assert_int_equal(l->r.outcome.client_err, BR_ERR_BAD_SIGNATURE);
	assert_false(l->r.outcome.delivered);
	assert_int_equal(l->r.outcome.attacker.what, 0);
	done(l);
	l = load_and_run("replay-certificate-rsa");
	assert_int_equal(l->r.outcome.mitm_err, BR_ERR_BAD_MAC);
	assert_false(l->r.outcome.tls[LINK_CLIENT_MITM]);
	assert_int_equal(l->r.outcome.attacker.what, 0);
	done(l);
	l = load_and_run("inspection-ca");
	const struct outcome *o = &l->r.outcome;
	assert_int_equal(o->client_err, 0);
	assert_true(o->tls[LINK_CLIENT_MITM]);
	assert_int_equal(o->tls_server_end[LINK_CLIENT_MITM], ACTOR_MITM);
	assert_string_equal(o->attacker.password, "wonderland");
	assert_true(o->delivered);
	done(l);
}

/* Refused EHLO and odd STARTTLS replies: a client with the named bug leaks, its twin
 * stops. Port 25, no AUTH: what leaks is the envelope and the message. */
static void test_refusals(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		int leaks;
	} cases[] = {
		{ "ehlo-refused-helo-fallback", 1 }, { "ehlo-refused-required", 0 }, { "starttls-502-ignored", 1 },
		{ "starttls-502-required", 0 },      { "starttls-354-required", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct loaded *l = load_and_run(cases[i].name);
		const struct outcome *o = &l->r.outcome;
		assert_int_equal(o->delivered, cases[i].leaks);
		assert_int_equal(o->attacker.what, cases[i].leaks ? (OBSERVED_ENVELOPE | OBSERVED_BODY) : 0);
		assert_false(o->tls[LINK_CLIENT_MITM]);
		assert_int_equal(count(&l->r.trace, LINK_CLIENT_MITM, TK_SMTP_REPLY, ANY, NULL, NULL, ATTACK_FORGED), 1);
		done(l);
	}
	struct loaded *l = load_and_run("ehlo-refused-helo-fallback");
	assert_int_equal(count(&l->r.trace, LINK_MITM_SERVER, TK_SMTP_COMMAND, SMTP_VERB_HELO, NULL, NULL, ANY), 1);
	assert_int_equal(count(&l->r.trace, LINK_MITM_SERVER, TK_SMTP_COMMAND, SMTP_VERB_EHLO, NULL, NULL, ANY), 0);
	done(l);
}

/* Port fallback: the quirky client opens three connections (465, 587, 25), the last in
 * cleartext, and leaks; its twin without the quirk opens one and stops. */
static void test_port_fallback(void **state)
{
	(void)state;
	static const unsigned ports[] = { 465, 587, 25 };
	struct loaded *l = load_and_run("port-fallback");
	const struct trace *t = &l->r.trace;
	size_t k = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->ev[i].kind == TK_CONN_OPEN && t->ev[i].from == ACTOR_CLIENT) {
			assert_true(k < 3);
			assert_int_equal(t->ev[i].port, ports[k++]);
		}
	assert_int_equal(k, 3);
	assert_true(l->r.outcome.delivered);
	assert_false(l->r.outcome.tls[LINK_CLIENT_MITM]);
	assert_string_equal(l->r.outcome.attacker.password, "wonderland");
	assert_int_equal(count(t, LINK_CLIENT_MITM, TK_ACTOR, SMTP_NOTE_QUIRK, NULL, NULL, ANY), 2);
	done(l);
	l = load_and_run("port-fallback-refused");
	assert_int_equal(count(&l->r.trace, LINK_CLIENT_MITM, TK_CONN_OPEN, ANY, NULL, NULL, ANY), 1);
	assert_int_equal(l->r.outcome.attacker.what, 0);
	assert_false(l->r.outcome.delivered);
	done(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strip_opportunistic),
		cmocka_unit_test(test_strip_required),
		cmocka_unit_test(test_starttls_454),
		cmocka_unit_test(test_strip_vs_implicit),
		cmocka_unit_test(test_cert_substitution),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_command_injection),
		cmocka_unit_test(test_response_injection),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_forward_secrecy),
		cmocka_unit_test(test_strip_upstream),
		cmocka_unit_test(test_steal_credentials),
		cmocka_unit_test(test_certificates_and_keys),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_port_fallback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
