/* test_facts: facts are data, prose is made from facts and never read back.
 * - For every catalogue scenario: rewrite every event's summary and narration, then make
 *   the ledger, the outcome, the JSON facts, the pcap, the key log and the interface's
 *   status data again: all identical to the untouched run.
 * - The ledger says what a student should be told: the STARTTLS observer's metadata, a
 *   relayed session as one end-to-end session, every recipient.
 * - Every handshake type has its own sentence (ServerHelloDone was once told as ServerHello).
 * - A tampered session with a large body frees everything (the sanitizer build checks). */
#include "tests/testrun.h"

#include <bearssl.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/decode/decode.h"
#include "sim/export/export.h"
#include "sim/trace/ledger.h"
#include "sim/trace/narrate.h"
#include "sim/run/run.h"
#include "sim/run/scenario.h"
#include "sim/smtp/smtp_parse.h"

struct loaded {
	struct scenario sc;
	struct run_result r;
};

static void load(struct loaded *l, const char *name)
{
	char path[512], err[1024];
	snprintf(path, sizeof path, "%s/%s", test_scenarios_dir(), name);
	if (scenario_load(path, test_load_opts(), &l->sc, err, sizeof err))
		fail_msg("%s", err);
}

static void load_and_run(struct loaded *l, const char *name)
{
	load(l, name);
	char err[1024];
	if (test_run_scenario(&l->sc, NULL, &l->r, err, sizeof err))
		fail_msg("%s: %s", name, err);
}

static void done(struct loaded *l)
{
	run_result_free(&l->r);
	scenario_free(&l->sc);
}

/* ---- the prose-rewrite test ---- */

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = NULL;
	size_t cap = 0;
	*n = 0;
	for (;;) {
		if (*n + 65536 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t k = fread(buf + *n, 1, cap - *n, f);
		*n += k;
		if (k == 0)
			break;
	}
	fclose(f);
	return buf;
}

/* The JSON export with every event's prose removed: what is left are the facts. */
static json_t *json_facts(const struct scenario *sc, const struct run_result *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	assert_int_equal(export_json(f, sc, r), 0);
	fclose(f);
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr);
	free(text);
	assert_non_null(root);
	json_t *evs = json_object_get(root, "events");
	size_t i;
	json_t *e;
	json_array_foreach(evs, i, e) {
		json_object_del(e, "summary");
		json_object_del(e, "narration");
	}
	return root;
}

struct views {
	json_t *json;
	char *pcap, *keylog;
	size_t pcap_len, keylog_len;
	struct outcome outcome;
};

static void make_views(const struct scenario *sc, const struct run_result *r, struct views *v, const char *dir)
{
	char pcap[600], keylog[600], err[512];
	snprintf(pcap, sizeof pcap, "%s/x.pcap", dir);
	snprintf(keylog, sizeof keylog, "%s/x.keys", dir);
	v->json = json_facts(sc, r);
	assert_int_equal(export_pcap(pcap, sc, r, err, sizeof err), 0);
	assert_int_equal(export_keylog(keylog, r, err, sizeof err), 0);
	v->pcap = slurp(pcap, &v->pcap_len);
	v->keylog = slurp(keylog, &v->keylog_len);
	v->outcome = r->outcome;
}

static void free_views(struct views *v)
{
	json_decref(v->json);
	free(v->pcap);
	free(v->keylog);
}

/* The interface's status data at every cursor position: TLS per link, what each reader knows. */
static void assert_same_status(const struct trace *t, const struct ledger *a, const struct ledger *b)
{
	struct knowledge *ka = malloc(sizeof *ka), *kb = malloc(sizeof *kb);
	assert_non_null(ka);
	assert_non_null(kb);
	assert_int_equal(a->readers, b->readers);
	for (size_t cur = 0; cur < t->n; cur++) {
		for (int l = 0; l < 3; l++) {
			const struct trace_tls_session *sa, *sb;
			assert_int_equal(trace_link_tls_phase(t, (enum trace_link)l, cur, &sa),
					 trace_link_tls_phase(t, (enum trace_link)l, cur, &sb));
			assert_ptr_equal(sa, sb);
		}
		for (int r = 0; r < READER_COUNT; r++) {
			if (!ledger_has_reader(a, (enum ledger_reader)r))
				continue;
			ledger_knowledge(a, (enum ledger_reader)r, cur, ka);
			ledger_knowledge(b, (enum ledger_reader)r, cur, kb);
			assert_memory_equal(ka, kb, sizeof *ka);
		}
	}
	free(ka);
	free(kb);
}

static void rewrite_prose(struct trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct trace_event *e = &t->ev[i];
		/* The trace's own copies go with it (trace_free); these outlive it. */
		e->summary = (char *)(i % 2 ? "ClientHello: FIN TLS established: TLS 1.2, X" : "");
		e->narration = (char *)(i % 3 ? "close_notify ServerHello RSA STARTTLS" : NULL);
	}
}

static void prose_rewrite_one(const char *file, const char *dir)
{
	struct loaded l;
	load_and_run(&l, file);
	struct views before, after;
	make_views(&l.sc, &l.r, &before, dir);

	rewrite_prose(&l.r.trace);
	struct ledger lg;
	assert_int_equal(ledger_build(&lg, &l.r.trace), 0);
	assert_int_equal(lg.n, l.r.ledger.n);
	for (size_t i = 0; i < lg.n; i++) {
		const struct ledger_entry *x = &lg.v[i], *y = &l.r.ledger.v[i];
		assert_int_equal(x->event, y->event);
		assert_int_equal(x->reader, y->reader);
		assert_int_equal(x->item, y->item);
		assert_int_equal(x->num, y->num);
		if (x->value || y->value)
			assert_string_equal(x->value, y->value);
	}
	assert_same_status(&l.r.trace, &l.r.ledger, &lg);
	/* the outcome again, from the rewritten trace and its new ledger */
	ledger_free(&l.r.ledger);
	l.r.ledger = lg;
	outcome_from_trace(&l.r.trace, &l.r.ledger, &l.r.outcome);
	make_views(&l.sc, &l.r, &after, dir);

	if (memcmp(&before.outcome, &after.outcome, sizeof before.outcome))
		fail_msg("%s: the outcome changed with the prose:\n%s\n%s", file, before.outcome.summary,
			 after.outcome.summary);
	if (!json_equal(before.json, after.json))
		fail_msg("%s: the JSON facts changed with the prose", file);
	assert_int_equal(before.pcap_len, after.pcap_len);
	assert_memory_equal(before.pcap, after.pcap, before.pcap_len);
	assert_int_equal(before.keylog_len, after.keylog_len);
	assert_memory_equal(before.keylog, after.keylog, before.keylog_len);
	free_views(&before);
	free_views(&after);
	done(&l);
}

static void test_prose_rewrite_changes_nothing(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_facts.XXXXXX";
	assert_non_null(mkdtemp(dir));
	DIR *d = opendir(test_scenarios_dir());
	assert_non_null(d);
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".ini"))
			continue;
		prose_rewrite_one(de->d_name, dir);
		n++;
	}
	closedir(d);
	char p[600];
	snprintf(p, sizeof p, "%s/x.pcap", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/x.keys", dir);
	unlink(p);
	rmdir(dir);
	assert_true(n >= 19);
}

/* ---- what the ledger tells ---- */

static const struct trace_event *find(const struct trace *t, enum trace_kind kind, int subtype)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->ev[i].kind == kind && t->ev[i].subtype == subtype)
			return &t->ev[i];
	return NULL;
}

static void test_starttls_observer_metadata(void **state)
{
	(void)state;
	struct loaded l;
	load_and_run(&l, "starttls.ini");
	const struct knowledge *k = &l.r.outcome.observer;
	/* no secret, but the metadata a real observer collects */
	assert_int_equal(k->what, 0);
	assert_string_equal(k->user, "");
	assert_int_equal(k->nrcpt, 0);
	assert_string_equal(k->sni, "mail.example.test");
	assert_non_null(strstr(k->cert_subject, "CN=mail.example.test"));
	assert_non_null(strstr(k->cert_issuer, "Root CA"));
	assert_string_equal(k->ehlo_name, "client.example.test");
	int starttls = 0;
	for (size_t i = 0; i < k->ncaps; i++)
		starttls |= !strcmp(k->caps[i], "STARTTLS");
	assert_true(starttls);
	assert_non_null(strstr(k->banner, "ESMTP"));
	assert_string_equal(k->tls_version, "TLS 1.2");
	assert_true(k->records > 0);
	/* sizes leak: AUTH PLAIN alice/wonderland is 5 + 10 characters, exact with GCM */
	assert_int_equal(k->credentials_length, 15);
	assert_int_equal(k->user_length, -1);
	assert_true(k->lengths_exact);
	assert_true(k->message_size > 0);
	assert_int_equal(k->nendpoints, 1);
	assert_non_null(strstr(k->endpoint[0], "port 587"));
	/* ServerHelloDone has its own sentence, not ServerHello's */
	const struct trace_event *sh = find(&l.r.trace, TK_HANDSHAKE, TLS_HS_SERVER_HELLO);
	const struct trace_event *shd = find(&l.r.trace, TK_HANDSHAKE, TLS_HS_SERVER_HELLO_DONE);
	assert_non_null(sh);
	assert_non_null(shd);
	assert_string_not_equal(sh->narration, shd->narration);
	/* BearSSL answers the server's close_notify by itself; the trace reads the engine's
	 * shutdown_recv (tls_peer_closed) to know that the client's last alert is that
	 * answer. If a BearSSL upgrade changes the field, this fails. */
	const struct trace_event *alerts[2] = { NULL, NULL };
	for (size_t i = 0; i < l.r.trace.n; i++)
		if (l.r.trace.ev[i].kind == TK_ALERT) {
			alerts[0] = alerts[1];
			alerts[1] = &l.r.trace.ev[i];
		}
	assert_non_null(alerts[0]);
	assert_int_equal(alerts[0]->from, ACTOR_SERVER);
	assert_int_equal(alerts[1]->from, ACTOR_CLIENT);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(alerts[i]->subtype, 0); /* close_notify */
		assert_int_equal(alerts[i]->alert_level, 1);
		assert_true(alerts[i]->encrypted);
	}
	/* the outcome says it in words */
	assert_non_null(strstr(l.r.outcome.summary, "mail.example.test"));
	done(&l);
}

static void test_observer_knowledge_grows_at_the_event(void **state)
{
	(void)state;
	struct loaded l;
	load_and_run(&l, "plain.ini");
	const struct trace *t = &l.r.trace;
	const struct knowledge *end = &l.r.outcome.observer;
	assert_int_equal(end->what, OBSERVED_CREDENTIALS | OBSERVED_ENVELOPE | OBSERVED_BODY);
	/* the credentials appear exactly at the AUTH event, not before */
	uint32_t at = end->exposed_at[0];
	assert_true(at > 0);
	const struct trace_event *e = &t->ev[at - 1];
	assert_int_equal(e->kind, TK_SMTP_COMMAND);
	assert_int_equal(e->subtype, SMTP_VERB_AUTH);
	struct knowledge k;
	ledger_knowledge(&l.r.ledger, READER_OBSERVER, at - 2, &k);
	assert_false(k.what & OBSERVED_CREDENTIALS);
	ledger_knowledge(&l.r.ledger, READER_OBSERVER, at - 1, &k);
	assert_true(k.what & OBSERVED_CREDENTIALS);
	assert_string_equal(k.password, "wonderland");
	done(&l);
}

static void test_every_recipient(void **state)
{
	(void)state;
	struct loaded l;
	load(&l, "plain.ini");
	assert_true(l.sc.client.nrcpt < SCENARIO_MAX_RCPT - 1);
	l.sc.client.rcpt[l.sc.client.nrcpt++] = strdup("carol@example.test");
	l.sc.client.rcpt[l.sc.client.nrcpt++] = strdup("dave@example.test");
	char err[512];
	assert_int_equal(test_run_scenario(&l.sc, NULL, &l.r, err, sizeof err), 0);
	const struct knowledge *k = &l.r.outcome.observer;
	assert_int_equal(k->nrcpt, 3);
	assert_string_equal(k->rcpt[0], "bob@example.test");
	assert_string_equal(k->rcpt[1], "carol@example.test");
	assert_string_equal(k->rcpt[2], "dave@example.test");
	assert_non_null(strstr(l.r.outcome.summary, "<dave@example.test>"));
	done(&l);
}

/* Every scenario whose attacker relays records (does not terminate TLS) and whose client
 * got TLS: one end-to-end session on both links, client to server. */
static void test_relayed_sessions_are_end_to_end(void **state)
{
	(void)state;
	const char *names[] = { "command-injection-fixed.ini", "command-injection-vulnerable.ini",
				"response-injection-fixed.ini", "strip-vs-implicit.ini" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct loaded l;
		load_and_run(&l, names[i]);
		const struct outcome *o = &l.r.outcome;
		if (!o->tls[LINK_CLIENT_MITM])
			fail_msg("%s: no TLS on the client's link", names[i]);
		for (int link = LINK_CLIENT_MITM; link <= LINK_MITM_SERVER; link++) {
			assert_true(o->tls[link]);
			assert_true(o->tls_relayed[link]);
			assert_int_equal(o->tls_client_end[link], ACTOR_CLIENT);
			assert_int_equal(o->tls_server_end[link], ACTOR_SERVER);
		}
		assert_string_equal(o->tls_suite[LINK_CLIENT_MITM], o->tls_suite[LINK_MITM_SERVER]);
		done(&l);
	}
	/* and the terminating attacker is an end of both sessions */
	struct loaded l;
	load_and_run(&l, "cert-substitution-noverify.ini");
	const struct outcome *o = &l.r.outcome;
	assert_false(o->tls_relayed[LINK_CLIENT_MITM]);
	assert_int_equal(o->tls_server_end[LINK_CLIENT_MITM], ACTOR_MITM);
	assert_int_equal(o->tls_client_end[LINK_MITM_SERVER], ACTOR_MITM);
	assert_int_equal(o->tls_server_end[LINK_MITM_SERVER], ACTOR_SERVER);
	done(&l);
}

/* A client set for implicit TLS against a server that greets in cleartext: the failure
 * names the real cause (an SMTP reply where a TLS record was expected), from the bytes. */
static void test_implicit_against_cleartext_names_the_cause(void **state)
{
	(void)state;
	struct loaded l;
	load(&l, "starttls.ini");
	struct scenario v = scenario_variant(&l.sc);
	v.client.tls = SMTP_CLIENT_TLS_IMPLICIT;
	char err[1024];
	if (test_run_scenario(&v, NULL, &l.r, err, sizeof err))
		fail_msg("%s", err);
	int named = 0;
	for (size_t k = 0; k < l.r.trace.n; k++) {
		const struct trace_event *e = &l.r.trace.ev[k];
		if (e->kind == TK_TLS_FAILED && e->from == ACTOR_CLIENT && e->narration &&
		    strstr(e->narration, "\"220 \": an SMTP reply in cleartext"))
			named = 1;
	}
	assert_true(named);
	run_result_free(&l.r);
	scenario_free(&l.sc);
}

/* The key theft opens every static-RSA suite the tool offers, CBC as well as GCM, in
 * every version it runs — never "sealed" for a session static RSA protected. */
static void test_key_theft_opens_every_static_rsa_suite(void **state)
{
	(void)state;
	static const struct {
		unsigned suite, version;
	} cases[] = {
		{ BR_TLS_RSA_WITH_AES_128_CBC_SHA, BR_TLS12 },
		{ BR_TLS_RSA_WITH_AES_128_CBC_SHA, BR_TLS10 },
		{ BR_TLS_RSA_WITH_AES_128_CBC_SHA, BR_TLS11 },
		{ BR_TLS_RSA_WITH_AES_128_GCM_SHA256, BR_TLS12 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct loaded l;
		load(&l, "forward-secrecy-rsa.ini");
		struct scenario v = scenario_variant(&l.sc);
		struct scenario_tls *sides[2] = { &v.client.tls_opt, &v.server.tls_opt };
		for (int k = 0; k < 2; k++) {
			sides[k]->suites[0] = (uint16_t)cases[i].suite;
			sides[k]->nsuites = 1;
			sides[k]->version_min = BR_TLS10;
			sides[k]->version_max = cases[i].version;
		}
		char err[1024];
		if (test_run_scenario(&v, NULL, &l.r, err, sizeof err))
			fail_msg("%s", err);
		const struct outcome *o = &l.r.outcome;
		const struct trace_tls_session *ts = trace_link_session(&l.r.trace, LINK_CLIENT_SERVER);
		assert_non_null(ts);
		assert_int_equal(ts->suite, cases[i].suite);
		assert_int_equal(ts->version, cases[i].version);
		if (!o->decrypted_later)
			fail_msg("case %zu: %s not opened after the key theft", i, o->summary);
		assert_int_equal(o->attacker.what, OBSERVED_CREDENTIALS | OBSERVED_ENVELOPE | OBSERVED_BODY);
		assert_string_equal(o->attacker.password, "wonderland");
		int sealed = 0;
		for (size_t k = 0; k < l.r.trace.n; k++)
			sealed |= l.r.trace.ev[k].kind == TK_KEY_THEFT && l.r.trace.ev[k].subtype == THEFT_SEALED_FS;
		assert_false(sealed);
		run_result_free(&l.r);
		scenario_free(&l.sc);
	}
}

/* The recording lessons' attacker is a passive tap: one TCP connection, client to server,
 * with no link of the attacker's own; it learns what that wire shows, and later what the
 * stolen key opens (static RSA) or nothing more (ECDHE). */
static void test_tap_is_one_connection(void **state)
{
	(void)state;
	const char *names[] = { "forward-secrecy-rsa.ini", "forward-secrecy-ecdhe.ini" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct loaded l;
		load_and_run(&l, names[i]);
		const struct trace *t = &l.r.trace;
		int opens = 0;
		for (size_t k = 0; k < t->n; k++) {
			if (t->ev[k].link != LINK_CLIENT_SERVER)
				fail_msg("%s: event %zu is on a link of the attacker's own", names[i], k + 1);
			if (t->ev[k].kind == TK_CONN_OPEN)
				opens++;
			if (t->ev[k].from == ACTOR_MITM && t->ev[k].layer != LAYER_NOTE)
				fail_msg("%s: the tap sent something (event %zu)", names[i], k + 1);
		}
		assert_int_equal(opens, 1);
		const struct outcome *o = &l.r.outcome;
		assert_true(o->mitm_present);
		assert_int_equal(o->client_link, LINK_CLIENT_SERVER);
		assert_true(o->tls[LINK_CLIENT_SERVER]);
		assert_int_equal(o->tls_server_end[LINK_CLIENT_SERVER], ACTOR_SERVER);
		int rsa = i == 0;
		assert_int_equal(o->decrypted_later, rsa);
		assert_int_equal(o->attacker.what, rsa ? (OBSERVED_CREDENTIALS | OBSERVED_ENVELOPE | OBSERVED_BODY) : 0);
		assert_int_equal(o->observer.what, 0);
		done(&l);
	}
}

/* ---- narration from facts ---- */

static void test_every_handshake_type_has_its_sentence(void **state)
{
	(void)state;
	const int types[] = { TLS_HS_HELLO_REQUEST, TLS_HS_CLIENT_HELLO, TLS_HS_SERVER_HELLO, TLS_HS_CERTIFICATE,
			      TLS_HS_SERVER_KEY_EXCHANGE, TLS_HS_CERTIFICATE_REQUEST, TLS_HS_SERVER_HELLO_DONE,
			      TLS_HS_CERTIFICATE_VERIFY, TLS_HS_CLIENT_KEY_EXCHANGE, TLS_HS_FINISHED };
	enum { N = sizeof types / sizeof types[0] };
	char said[N][512];
	for (size_t i = 0; i < N; i++) {
		struct trace_event e;
		memset(&e, 0, sizeof e);
		e.kind = TK_HANDSHAKE;
		e.layer = LAYER_TLS_HANDSHAKE;
		e.subtype = types[i];
		e.summary = "ServerHello"; /* a summary that lies: the sentence must not follow it */
		narrate_event(NULL, &e, said[i], sizeof said[i]);
		assert_true(strlen(said[i]) > 20);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(said[i], said[j]))
				fail_msg("handshake types %d and %d share a sentence: %s", types[i], types[j], said[i]);
	}
}

/* ---- clean-up on every path ---- */

static void test_tampered_large_body_frees_everything(void **state)
{
	(void)state;
	struct loaded l;
	load(&l, "tamper-record.ini");
	size_t n = 300 * 1024;
	uint8_t *body = malloc(n);
	assert_non_null(body);
	for (size_t i = 0; i < n; i++)
		body[i] = (i % 64 == 63) ? '\n' : (uint8_t)('a' + i % 26);
	struct run_options opt = { .body = body, .body_len = n };
	char err[512];
	assert_int_equal(test_run_scenario(&l.sc, &opt, &l.r, err, sizeof err), 0);
	assert_false(l.r.outcome.delivered);
	assert_int_equal(l.r.outcome.server_err, BR_ERR_BAD_MAC);
	done(&l);
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prose_rewrite_changes_nothing),
		cmocka_unit_test(test_starttls_observer_metadata),
		cmocka_unit_test(test_observer_knowledge_grows_at_the_event),
		cmocka_unit_test(test_every_recipient),
		cmocka_unit_test(test_relayed_sessions_are_end_to_end),
		cmocka_unit_test(test_tap_is_one_connection),
		cmocka_unit_test(test_key_theft_opens_every_static_rsa_suite),
		cmocka_unit_test(test_implicit_against_cleartext_names_the_cause),
		cmocka_unit_test(test_every_handshake_type_has_its_sentence),
		cmocka_unit_test(test_tampered_large_body_frees_everything),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
