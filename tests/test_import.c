/* test_import: a saved trace opened again. The round trip is the test: for every scenario
 * of the catalogue, run -> JSON -> load -> JSON must give the same bytes, the verbose
 * transcript and the handout of the loaded trace must be the run's, and every fact of the
 * trace (events, sessions, ledger, outcome, scenario settings) must come back as it was.
 * Then broken and hostile documents: each is refused with one line naming the file and the
 * problem, and none crashes the loader or the views. And the names' inverses. */
#include "testrun.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/attack/attack.h"
#include "sim/auth/auth.h"
#include "sim/export/export.h"
#include "sim/export/export_text.h"
#include "sim/export/import_json.h"
#include "sim/run/relay_policy.h"
#include "sim/wire/tls.h"

/* ---- helpers ---- */

static char *scenario_path(const char *name)
{
	static char buf[1024];
	snprintf(buf, sizeof buf, "%s/%s", test_scenarios_dir(), name);
	return buf;
}

static int ini_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 4 && !strcmp(d->d_name + n - 4, ".ini");
}

/* Every .ini file of the scenario directory, sorted: a new scenario is covered as it comes. */
static size_t list_scenarios(char ***out)
{
	struct dirent **names;
	int n = scandir(test_scenarios_dir(), &names, ini_filter, alphasort);
	assert_true(n > 0);
	char **v = calloc((size_t)n, sizeof *v);
	assert_non_null(v);
	for (int i = 0; i < n; i++) {
		v[i] = strdup(scenario_path(names[i]->d_name));
		free(names[i]);
	}
	free(names);
	*out = v;
	return (size_t)n;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void run_file(const char *path, const struct run_options *opt, struct scenario *sc, struct run_result *r)
{
	char err[1024];
	if (scenario_load(path, test_load_opts(), sc, err, sizeof err))
		fail_msg("%s", err);
	if (test_run_scenario(sc, opt, r, err, sizeof err))
		fail_msg("%s: %s", path, err);
}

static char *json_text(const struct scenario *sc, const struct run_result *r, size_t *len)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);
	assert_non_null(f);
	assert_int_equal(export_json(f, sc, r), 0);
	assert_int_equal(fclose(f), 0);
	*len = n;
	return p;
}

static char *text_of(const struct scenario *sc, const struct run_result *r, int markdown)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);
	assert_non_null(f);
	if (markdown)
		assert_int_equal(export_markdown(f, sc, r), 0);
	else
		export_text(f, sc, r, 1);
	assert_int_equal(fclose(f), 0);
	return p;
}

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
	static char buf[512];
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof tmpdir, "%s/test_import.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		assert_non_null(mkdtemp(tmpdir));
	}
	snprintf(buf, sizeof buf, "%s/%s", tmpdir, name);
	return buf;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* The first line where two texts differ, for a message. */
static void diff_line(const char *a, const char *b, char *out, size_t cap)
{
	size_t line = 1, i = 0;
	while (a[i] && a[i] == b[i]) {
		if (a[i] == '\n')
			line++;
		i++;
	}
	size_t s = i;
	while (s && a[s - 1] != '\n')
		s--;
	snprintf(out, cap, "line %zu: '%.100s' vs '%.100s'", line, a + s, b + s);
	for (char *p = out; *p; p++)
		if (*p == '\n')
			*p = '|';
}

/* ---- the facts, one by one ---- */

#define SAME(cond, ...)                                                                                                \
	do {                                                                                                           \
		if (!(cond))                                                                                           \
			fail_msg(__VA_ARGS__);                                                                        \
	} while (0)

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void compare_fields(const char *name, uint32_t seq, const struct fields *a, const struct fields *b)
{
	SAME(a->n == b->n, "%s: event %u: %zu fields, loaded %zu", name, seq, a->n, b->n);
	for (size_t k = 0; k < a->n; k++) {
		const struct field *x = &a->v[k], *y = &b->v[k];
		SAME(x->depth == y->depth && same_str(x->name, y->name) && same_str(x->value, y->value) &&
			     x->has_range == y->has_range && (!x->has_range || (x->off == y->off && x->len == y->len)),
		     "%s: event %u: field %zu (%s) differs", name, seq, k, x->name);
	}
}

static void compare_trace(const char *name, const struct trace *a, const struct trace *b)
{
	SAME(a->n == b->n, "%s: %zu events, loaded %zu", name, a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct trace_event *x = &a->ev[i], *y = &b->ev[i];
		uint32_t s = x->seq;
		SAME(x->seq == y->seq && x->time_us == y->time_us && x->link == y->link && x->from == y->from &&
			     x->to == y->to && x->layer == y->layer && x->parent == y->parent,
		     "%s: event %u: where or when differs", name, s);
		SAME(x->encrypted == y->encrypted && x->readers == y->readers && x->attack == y->attack,
		     "%s: event %u: encrypted, readers or attack differ (%d/%d readers %d/%d)", name, s, x->encrypted,
		     y->encrypted, x->readers, y->readers);
		SAME(x->kind == y->kind && x->subtype == y->subtype && x->alert_level == y->alert_level &&
			     x->tls_err == y->tls_err && x->session == y->session && x->port == y->port,
		     "%s: event %u: kind facts differ", name, s);
		SAME(x->verdict == y->verdict && x->policy == y->policy && x->disposition == y->disposition,
		     "%s: event %u (%s): verdict %d/%d, policy %d/%d, disposition %d/%d", name, s, trace_kind_name(x->kind),
		     x->verdict, y->verdict, x->policy, y->policy, x->disposition, y->disposition);
		SAME(x->replay == y->replay && x->segment == y->segment, "%s: event %u: replay or segment differ", name, s);
		SAME(x->wire_len == y->wire_len && x->wire_stored == y->wire_stored &&
			     (!x->wire_stored || !memcmp(x->wire, y->wire, x->wire_stored)),
		     "%s: event %u: wire bytes differ", name, s);
		SAME(x->plain_len == y->plain_len && x->plain_stored == y->plain_stored &&
			     (!x->plain_stored || !memcmp(x->plain, y->plain, x->plain_stored)),
		     "%s: event %u: plaintext differs", name, s);
		SAME(same_str(x->summary, y->summary) && same_str(x->narration, y->narration),
		     "%s: event %u: prose differs", name, s);
		compare_fields(name, s, &x->fields, &y->fields);
	}
	SAME(a->nsessions == b->nsessions, "%s: %zu sessions, loaded %zu", name, a->nsessions, b->nsessions);
	for (size_t i = 0; i < a->nsessions; i++) {
		const struct trace_tls_session *x = &a->sessions[i], *y = &b->sessions[i];
		SAME(x->links == y->links && x->client_up == y->client_up && x->server_up == y->server_up &&
			     (!x->client_up || x->client_end == y->client_end) &&
			     (!x->server_up || x->server_end == y->server_end) && x->version == y->version &&
			     x->suite == y->suite && !memcmp(x->client_random, y->client_random, 32) &&
			     x->has_secret == y->has_secret && (!x->has_secret || !memcmp(x->master_secret, y->master_secret, 48)) &&
			     x->has_server_random == y->has_server_random &&
			     (!x->has_server_random || !memcmp(x->server_random, y->server_random, 32)) &&
			     x->premaster_len == y->premaster_len && !memcmp(x->premaster, y->premaster, x->premaster_len),
		     "%s: session %zu differs", name, i);
	}
}

static void compare_ledger(const char *name, const struct ledger *a, const struct ledger *b)
{
	SAME(a->n == b->n && a->readers == b->readers, "%s: ledger of %zu entries, loaded %zu", name, a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct ledger_entry *x = &a->v[i], *y = &b->v[i];
		SAME(x->event == y->event && x->reader == y->reader && x->item == y->item && x->link == y->link &&
			     x->exact == y->exact && x->num == y->num && same_str(x->value, y->value),
		     "%s: ledger entry %zu differs", name, i);
	}
}

static void compare_tls_opt(const char *name, const char *who, const struct scenario_tls *a, const struct scenario_tls *b)
{
	SAME(a->version_min == b->version_min && a->version_max == b->version_max && a->nsuites == b->nsuites &&
		     !memcmp(a->suites, b->suites, a->nsuites * sizeof a->suites[0]),
	     "%s: %s's TLS options differ", name, who);
}

static void compare_scenario(const struct scenario *a, const struct scenario *b)
{
	const char *name = a->name;
	SAME(same_str(a->name, b->name) && same_str(a->title, b->title) && same_str(a->lesson, b->lesson) &&
		     same_str(a->references, b->references) && same_str(a->no_starttls, b->no_starttls) &&
		     same_str(a->pair, b->pair) && a->date == b->date,
	     "%s: the scenario's text differs", name);
	const struct scenario_client *c = &a->client, *d = &b->client;
	SAME(c->tls == d->tls && c->verify == d->verify && c->auth == d->auth && c->buffering == d->buffering &&
		     c->quirks == d->quirks && same_str(c->ehlo_name, d->ehlo_name) &&
		     same_str(c->server_name, d->server_name) && same_str(c->user, d->user) &&
		     same_str(c->password, d->password) && same_str(c->mail_from, d->mail_from) && c->nrcpt == d->nrcpt &&
		     c->dkim_sign == d->dkim_sign && same_str(c->dkim_domain, d->dkim_domain) &&
		     same_str(c->dkim_selector, d->dkim_selector) && c->dkim_break_body == d->dkim_break_body &&
		     c->requiretls == d->requiretls,
	     "%s: the client's settings differ", name);
	for (size_t i = 0; i < c->nrcpt; i++)
		SAME(same_str(c->rcpt[i], d->rcpt[i]), "%s: recipient %zu differs", name, i);
	compare_tls_opt(name, "client", &c->tls_opt, &d->tls_opt);
	const struct scenario_server *s = &a->server, *t = &b->server;
	SAME(s->mode == t->mode && s->buffering == t->buffering && s->port == t->port &&
		     same_str(s->hostname, t->hostname) && s->max_size == t->max_size &&
		     s->auth_requires_tls == t->auth_requires_tls && s->auth_required == t->auth_required &&
		     s->requiretls == t->requiretls && s->dmarc_reject == t->dmarc_reject,
	     "%s: the server's settings differ", name);
	compare_tls_opt(name, "server", &s->tls_opt, &t->tls_opt);
	SAME(a->mitm.attack == b->mitm.attack, "%s: the attacker differs", name);
	if (a->mitm.attack)
		SAME(same_str(a->mitm.inject, b->mitm.inject) && a->mitm.tamper_record == b->mitm.tamper_record &&
			     a->mitm.hop == b->mitm.hop && same_str(a->mitm.mailbox, b->mitm.mailbox),
		     "%s: the attacker's settings differ", name);
	SAME(a->has_route == b->has_route, "%s: the route differs", name);
	if (a->has_route) {
		SAME(a->relay.tls == b->relay.tls && a->relay.verify == b->relay.verify &&
			     a->relay.mta_sts == b->relay.mta_sts && a->relay.dane == b->relay.dane &&
			     a->relay.mta_sts_cached == b->relay.mta_sts_cached,
		     "%s: the relay's settings differ", name);
		compare_tls_opt(name, "relay", &a->relay.tls_opt, &b->relay.tls_opt);
		SAME(a->mx.mode == b->mx.mode && same_str(a->mx.hostname, b->mx.hostname) &&
			     same_str(a->mx.mta_sts_policy, b->mx.mta_sts_policy) && a->mx.requiretls == b->mx.requiretls &&
			     a->mx.dmarc_reject == b->mx.dmarc_reject,
		     "%s: the MX's settings differ", name);
		compare_tls_opt(name, "MX", &a->mx.tls_opt, &b->mx.tls_opt);
	}
	SAME(a->has_dns == b->has_dns && a->dns.n == b->dns.n, "%s: the zone differs", name);
	for (size_t i = 0; i < a->dns.n; i++) {
		const struct dns_record *x = &a->dns.rr[i], *y = &b->dns.rr[i];
		SAME(same_str(x->name, y->name) && x->type == y->type && same_str(x->text, y->text) &&
			     !memcmp(x->a, y->a, 4) && x->pref == y->pref && x->usage == y->usage &&
			     x->selector == y->selector && x->mtype == y->mtype && x->len == y->len &&
			     (!x->len || !memcmp(x->data, y->data, x->len)) && x->nstrings == y->nstrings &&
			     x->authenticated == y->authenticated,
		     "%s: DNS record %zu differs", name, i);
	}
	const struct scenario_expect *e = &a->expect, *f = &b->expect;
	SAME(e->has_delivered == f->has_delivered && e->delivered == f->delivered && e->has_tls == f->has_tls &&
		     e->tls == f->tls && e->has_server_tls == f->has_server_tls && e->server_tls == f->server_tls &&
		     e->has_observer == f->has_observer && e->observer == f->observer &&
		     e->has_attacker == f->has_attacker && e->attacker == f->attacker &&
		     e->has_altered == f->has_altered && e->altered == f->altered && e->has_injected == f->has_injected &&
		     e->injected == f->injected && e->has_decrypted_later == f->has_decrypted_later &&
		     e->decrypted_later == f->decrypted_later && same_str(e->client_error, f->client_error) &&
		     same_str(e->server_error, f->server_error) && same_str(e->alert, f->alert) &&
		     e->has_spf == f->has_spf && e->has_dkim == f->has_dkim && e->has_dmarc == f->has_dmarc &&
		     (!e->has_spf || e->spf == f->spf) && (!e->has_dkim || e->dkim == f->dkim) &&
		     (!e->has_dmarc || e->dmarc == f->dmarc) && e->has_submitted == f->has_submitted &&
		     e->submitted == f->submitted && e->has_relay_tls == f->has_relay_tls && e->relay_tls == f->relay_tls &&
		     !memcmp(e->has_hop_observer, f->has_hop_observer, sizeof e->has_hop_observer) &&
		     !memcmp(e->hop_observer, f->hop_observer, sizeof e->hop_observer) &&
		     same_str(e->received_with, f->received_with) && e->has_deferred == f->has_deferred &&
		     e->deferred == f->deferred && e->has_bounced == f->has_bounced && e->bounced == f->bounced &&
		     same_str(e->policy_result, f->policy_result),
	     "%s: the [expect] checks differ", name);
}

/* The outcome byte for byte (both were zeroed before they were filled); on a difference,
 * where it lies. */
static void compare_outcome(const char *name, const struct outcome *a, const struct outcome *b)
{
	const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
	for (size_t i = 0; i < sizeof *a; i++)
		SAME(x[i] == y[i], "%s: the outcome differs at byte %zu (summary at %zu, observer at %zu)", name, i,
		     offsetof(struct outcome, summary), offsetof(struct outcome, observer));
}

/* Runs path, exports it, loads the export back and checks everything comes back. */
static void round_trip(const char *path, const struct run_options *opt)
{
	struct scenario sc, lsc;
	struct run_result r, lr;
	char err[1024], msg[400];
	run_file(path, opt, &sc, &r);
	size_t len, len2;
	char *json = json_text(&sc, &r, &len);
	const char *file = tmp_path("trace.json");
	write_file(file, json, len);
	if (trace_json_load(file, &lsc, &lr, err, sizeof err))
		fail_msg("%s: does not load back: %s", sc.name, err);
	compare_trace(sc.name, &r.trace, &lr.trace);
	compare_ledger(sc.name, &r.ledger, &lr.ledger);
	compare_outcome(sc.name, &r.outcome, &lr.outcome);
	compare_scenario(&sc, &lsc);
	assert_int_equal(r.seed, lr.seed);
	assert_string_equal(lsc.path, file);
	assert_string_equal(lsc.dir, tmpdir);
	/* the same bytes again */
	char *json2 = json_text(&lsc, &lr, &len2);
	if (len != len2 || memcmp(json, json2, len)) {
		diff_line(json, json2, msg, sizeof msg);
		fail_msg("%s: the JSON of the loaded trace differs: %s", sc.name, msg);
	}
	/* the same views */
	for (int md = 0; md < 2; md++) {
		char *t1 = text_of(&sc, &r, md), *t2 = text_of(&lsc, &lr, md);
		if (strcmp(t1, t2)) {
			diff_line(t1, t2, msg, sizeof msg);
			fail_msg("%s: the %s of the loaded trace differs: %s", sc.name, md ? "handout" : "transcript", msg);
		}
		free(t1);
		free(t2);
	}
	/* the same verdict on the expectations */
	char rep1[2048], rep2[2048];
	assert_int_equal(run_check_expect(&sc, &r.outcome, rep1, sizeof rep1),
			 run_check_expect(&lsc, &lr.outcome, rep2, sizeof rep2));
	assert_string_equal(rep1, rep2);
	free(json);
	free(json2);
	run_result_free(&r);
	run_result_free(&lr);
	scenario_free(&sc);
	scenario_free(&lsc);
	unlink(file);
}

/* ---- the round trips ---- */

static void test_round_trip_catalogue(void **state)
{
	(void)state;
	char **files;
	size_t n = list_scenarios(&files);
	for (size_t i = 0; i < n; i++)
		round_trip(files[i], NULL);
	free_list(files, n);
}

/* A trace kept short (max_stored) loads back short, and says so. */
static void test_round_trip_truncated(void **state)
{
	(void)state;
	struct run_options opt = { .max_stored = 40 };
	round_trip(scenario_path("starttls.ini"), &opt);
	round_trip(scenario_path("relay-two-hops.ini"), &opt);
}

/* Another seed, and one above 2^63 - 1, which the JSON writes as a string. */
static void test_round_trip_seeds(void **state)
{
	(void)state;
	struct run_options opt = { .seed = 7, .has_seed = 1 };
	round_trip(scenario_path("tamper-record.ini"), &opt);
	opt.seed = UINT64_MAX - 1;
	round_trip(scenario_path("starttls.ini"), &opt);
}

/* r, changed by hand, exported and loaded back: the same facts and the same bytes. */
static void reload_same(const struct scenario *sc, struct run_result *r)
{
	struct scenario lsc;
	struct run_result lr;
	char err[1024];
	/* what follows from the changed facts, made again as a run makes it */
	ledger_free(&r->ledger);
	assert_int_equal(ledger_build(&r->ledger, &r->trace), 0);
	outcome_from_trace(&r->trace, &r->ledger, &r->outcome);
	size_t len, len2;
	char *json = json_text(sc, r, &len);
	if (trace_json_load_buffer("mem.json", json, len, &lsc, &lr, err, sizeof err))
		fail_msg("%s", err);
	compare_trace(sc->name, &r->trace, &lr.trace);
	char *json2 = json_text(&lsc, &lr, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(json, json2, len);
	free(json);
	free(json2);
	run_result_free(&lr);
	scenario_free(&lsc);
}

/* Facts no scenario of the catalogue makes today, which the JSON must still carry. */
static void test_round_trip_rare_facts(void **state)
{
	(void)state;
	struct scenario sc;
	struct run_result r;
	/* a field list that skips levels: each field keeps its depth */
	run_file(scenario_path("plain.ini"), NULL, &sc, &r);
	struct fields *f = &r.trace.ev[0].fields;
	fields_free(f);
	assert_int_equal(fields_add(f, 2, "deep", "first"), 0);
	assert_int_equal(fields_add(f, 0, "top", "x"), 0);
	assert_int_equal(fields_add(f, 3, "deeper", "y"), 0);
	assert_int_equal(fields_add(f, 4, "deepest", "z"), 0);
	assert_int_equal(fields_add(f, 1, "child", "w"), 0);
	reload_same(&sc, &r);
	run_result_free(&r);
	scenario_free(&sc);
	/* a handshake ended by an alert: the code, not only BR_ERR_RECV_FATAL_ALERT */
	run_file(scenario_path("expired-cert.ini"), NULL, &sc, &r);
	int found = 0;
	for (size_t i = 0; i < r.trace.n; i++)
		if (r.trace.ev[i].kind == TK_TLS_FAILED) {
			r.trace.ev[i].tls_err = BR_ERR_RECV_FATAL_ALERT + 42;
			found = 1;
		}
	assert_true(found);
	reload_same(&sc, &r);
	run_result_free(&r);
	scenario_free(&sc);
}

/* ---- broken and hostile documents ---- */

/* The starttls run as a jansson tree, to break. */
static json_t *base_doc(const char *scenario)
{
	struct scenario sc;
	struct run_result r;
	run_file(scenario_path(scenario), NULL, &sc, &r);
	size_t len;
	char *json = json_text(&sc, &r, &len);
	json_error_t je;
	json_t *root = json_loadb(json, len, 0, &je);
	assert_non_null(root);
	free(json);
	run_result_free(&r);
	scenario_free(&sc);
	return root;
}

/* The value at a path such as "events/3/wire_hex" or "scenario/client/rcpt/0". */
static json_t *at_path(json_t *root, const char *path, json_t **parent, char *last)
{
	char tmp[256];
	snprintf(tmp, sizeof tmp, "%s", path);
	json_t *cur = root, *up = NULL;
	char *save = NULL;
	for (char *tok = strtok_r(tmp, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		up = cur;
		snprintf(last, 64, "%s", tok);
		cur = json_is_array(cur) ? json_array_get(cur, strtoul(tok, NULL, 10)) : json_object_get(cur, tok);
	}
	*parent = up;
	return cur;
}

/* Sets (value non-NULL) or deletes the member at path. */
static void edit(json_t *root, const char *path, json_t *value)
{
	json_t *parent;
	char last[64];
	at_path(root, path, &parent, last);
	assert_non_null(parent);
	if (json_is_array(parent)) {
		if (value)
			assert_int_equal(json_array_set_new(parent, strtoul(last, NULL, 10), value), 0);
		else
			assert_int_equal(json_array_remove(parent, strtoul(last, NULL, 10)), 0);
	} else if (value) {
		assert_int_equal(json_object_set_new(parent, last, value), 0);
	} else {
		assert_int_equal(json_object_del(parent, last), 0);
	}
}

/* Loads text as FILE and expects a refusal whose one line names the file and contains want. */
static void expect_refused(const char *what, const char *text, size_t len, const char *want)
{
	struct scenario sc;
	struct run_result r;
	char err[1024];
	const char *file = tmp_path("broken.json");
	write_file(file, text, len);
	err[0] = '\0';
	int rc = trace_json_load(file, &sc, &r, err, sizeof err);
	if (rc == 0) {
		run_result_free(&r);
		scenario_free(&sc);
		fail_msg("%s: loaded, expected a refusal containing '%s'", what, want);
	}
	char prefix[600];
	snprintf(prefix, sizeof prefix, "%s: ", file);
	if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, want) || strchr(err, '\n'))
		fail_msg("%s: got '%s', expected one line '%s...%s...'", what, err, prefix, want);
	/* nothing is left to free */
	const struct scenario zs = { 0 };
	assert_memory_equal(&sc, &zs, sizeof sc);
	assert_null(r.trace.ev);
	assert_int_equal(r.trace.n, 0);
	assert_null(r.ledger.v);
	unlink(file);
}

static void expect_doc_refused(const char *what, json_t *root, const char *want)
{
	char *text = json_dumps(root, JSON_PRESERVE_ORDER | JSON_COMPACT);
	assert_non_null(text);
	expect_refused(what, text, strlen(text), want);
	free(text);
}

/* "events/I/KEY" (or "events/I"), for edit. */
static const char *ev(size_t i, const char *key)
{
	static char buf[128];
	snprintf(buf, sizeof buf, "events/%zu%s%s", i, key ? "/" : "", key ? key : "");
	return buf;
}

/* The index of the first event of kind k in the document. */
static size_t first_event(json_t *root, const char *kind)
{
	json_t *evs = json_object_get(root, "events");
	for (size_t i = 0; i < json_array_size(evs); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(evs, i), "kind")), kind))
			return i;
	fail_msg("no %s event", kind);
	return 0;
}

static void test_broken_text(void **state)
{
	(void)state;
	json_t *root = base_doc("starttls.ini");
	char *text = json_dumps(root, JSON_PRESERVE_ORDER | JSON_INDENT(2));
	size_t n = strlen(text);
	static const struct {
		const char *what, *text, *want;
	} docs[] = {
		{ "empty file", "", "not JSON" },
		{ "white space only", "  \n", "not JSON" },
		{ "an array", "[1, 2]", "not a smtps-sim trace" },
		{ "a number", "42", "not JSON" },
		{ "another program's JSON", "{\"format\": \"pcapng\", \"version\": 2}", "not a smtps-sim trace" },
		{ "no format", "{\"version\": 2}", "not a smtps-sim trace" },
		{ "no version", "{\"format\": \"smtps-sim-trace\"}", "missing key 'version'" },
		{ "version 1", "{\"format\": \"smtps-sim-trace\", \"version\": 1}", "version 1 is not supported" },
		{ "version 3", "{\"format\": \"smtps-sim-trace\", \"version\": 3}", "version 3 is not supported" },
		{ "version as text", "{\"format\": \"smtps-sim-trace\", \"version\": \"2\"}", "version: expected a whole number" },
		{ "version 2 and nothing", "{\"format\": \"smtps-sim-trace\", \"version\": 2}", "missing key 'scenario'" },
		{ "duplicate keys", "{\"format\": \"smtps-sim-trace\", \"format\": \"x\", \"version\": 2}", "not JSON" },
		{ "an integer beyond 64 bits", "{\"format\": \"smtps-sim-trace\", \"version\": 99999999999999999999}",
		  "not JSON" },
		{ "a NUL byte in a string", "{\"format\": \"smtps-sim-\\u0000trace\", \"version\": 2}", "not JSON" },
	};
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
		expect_refused(docs[i].what, docs[i].text, strlen(docs[i].text), docs[i].want);
	/* cut anywhere, it is no JSON any more */
	static const double cuts[] = { 0.001, 0.1, 0.5, 0.9, 0.999 };
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
		expect_refused("truncated", text, (size_t)((double)n * cuts[i]), "not JSON");
	expect_refused("truncated by one byte", text, n - 2, "not JSON");
	/* a binary file */
	char bin[64];
	for (size_t i = 0; i < sizeof bin; i++)
		bin[i] = (char)(i * 37 + 1);
	expect_refused("binary", bin, sizeof bin, "not JSON");
	free(text);
	json_decref(root);
}

static void test_broken_documents(void **state)
{
	(void)state;
	const char *hs = "starttls.ini";
	size_t conn, rec, hello, up, smtp;
	{
		json_t *r = base_doc(hs);
		conn = first_event(r, "conn-open");
		rec = first_event(r, "tls-record");
		hello = first_event(r, "tls-handshake");
		up = first_event(r, "tls-up");
		smtp = first_event(r, "smtp-reply");
		json_decref(r);
	}
	char p2[128];
	/* each case: the STARTTLS run's document with one member set (or deleted: NULL) */
#define CASE(what, path, value, want)                                                                                  \
	do {                                                                                                           \
		json_t *root = base_doc(hs);                                                                           \
		edit(root, path, value);                                                                               \
		expect_doc_refused(what, root, want);                                                                  \
		json_decref(root);                                                                                     \
	} while (0)
	CASE("missing events", "events", NULL, "missing key 'events'");
	CASE("missing scenario", "scenario", NULL, "missing key 'scenario'");
	CASE("missing outcome", "outcome", NULL, "missing key 'outcome'");
	CASE("missing tls_sessions", "tls_sessions", NULL, "missing key 'tls_sessions'");
	CASE("events not an array", "events", json_string("x"), "events: expected an array");
	CASE("an event is a number", ev(conn, NULL), json_integer(1), "events[0]: expected an object");
	CASE("an event without kind", ev(conn, "kind"), NULL, "events[0]: missing key 'kind'");
	CASE("unknown kind", ev(conn, "kind"), json_string("tls-party"), "events[0].kind: unknown kind 'tls-party'");
	CASE("unknown layer", ev(conn, "layer"), json_string("ip"), "events[0].layer: unknown layer 'ip'");
	CASE("unknown link", ev(conn, "link"), json_string("client-moon"), "unknown link 'client-moon'");
	CASE("unknown actor", ev(conn, "from"), json_string("eve"), "events[0].from: unknown actor 'eve'");
	CASE("a kind as a number", ev(conn, "kind"), json_integer(3), "events[0].kind: expected a string");
	CASE("seq out of order", ev(smtp, "seq"), json_integer(99), "where");
	CASE("seq negative", ev(conn, "seq"), json_integer(-1), "out of range");
	CASE("time as a real", ev(conn, "time_us"), json_real(1.5), "time_us: expected a whole number");
	CASE("negative time", ev(conn, "time_us"), json_integer(-5), "time_us: -5 is out of range");
	CASE("a parent after the event", ev(hello, "parent"), json_integer(1000),
	     "parent: expected null or the seq of an earlier event");
	CASE("an event its own parent", ev(hello, "parent"), json_integer((json_int_t)hello + 1),
	     "expected null or the seq of an earlier event");
	CASE("unknown reader", ev(conn, "readers/0"), json_string("everyone"), "unknown reader 'everyone'");
	CASE("bad hex", ev(rec, "wire_hex"), json_string("16030zz0"), "wire_hex: not a hex string");
	CASE("odd hex", ev(rec, "wire_hex"), json_string("160"), "wire_hex: not a hex string");
	CASE("more bytes than wire_len", ev(rec, "wire_len"), json_integer(1), "more than 1");
	CASE("fewer bytes than wire_len", ev(rec, "wire_len"), json_integer(100000), "wire_truncated is not set");
	CASE("a huge wire_len", ev(rec, "wire_len"), json_integer((json_int_t)1 << 62), "wire_len");
	CASE("a huge port", ev(conn, "port"), json_integer(70000), "port: 70000 is out of range");
	CASE("no port", ev(conn, "port"), NULL, "missing key 'port'");
	CASE("a huge subtype", ev(conn, "subtype"), json_integer((json_int_t)1 << 40), "subtype");
	CASE("a session out of range", ev(up, "session"), json_integer(7), "session: 7 is out of range");
	CASE("an attack without its action", ev(conn, "attack"), json_true(), "missing key 'attack_action'");
	CASE("an action without attack", ev(conn, "attack_action"), json_string("added"), "attack is false");
	CASE("a replay source unknown", ev(smtp, "replay_source"), json_string("pigeon"), "unknown source");
	CASE("a field without name", ev(smtp, "fields/0/name"), NULL, "fields[0]: missing key 'name'");
	CASE("a range past the bytes", ev(smtp, "fields/0/offset"), json_integer(5000), "offset: 5000 is out of range");
	CASE("offset without length", ev(smtp, "fields/0/length"), NULL, "'offset' without 'length'");
	CASE("a depth too deep", ev(smtp, "fields/0/depth"), json_integer(1000), "depth: 1000 is out of range");
	CASE("a random too short", "tls_sessions/0/client_random", json_string("abcd"),
	     "client_random: 2 bytes where 32 were expected");
	CASE("a master secret not hex", "tls_sessions/0/master_secret", json_string("xyz"),
	     "master_secret: not a hex string");
	CASE("an unknown suite", "tls_sessions/0/suite", json_string("TLS_ROT13"),
	     "unknown cipher suite 'TLS_ROT13'");
	CASE("a session on no link", "tls_sessions/0/links", json_array(), "at least one link");
	CASE("an unknown client policy", "scenario/client/tls", json_string("sometimes"),
	     "scenario.client.tls: unknown client TLS policy 'sometimes'");
	CASE("an unknown attacker", "scenario/mitm",
	     json_pack("{s:s, s:n, s:i}", "behaviour", "ninja", "inject", "tamper_record", 1),
	     "scenario.mitm.behaviour: unknown attacker behaviour 'ninja'");
	CASE("an unknown quirk", "scenario/client/quirks", json_string("helo-fallback, sneezes"),
	     "unknown quirk 'sneezes'");
	CASE("an unknown TLS version", "scenario/server/tls_options/version_min", json_string("TLS 9"),
	     "unknown TLS version 'TLS 9'");
	CASE("a twin that is a path", "scenario/pair", json_string("../../etc/passwd"),
	     "scenario.pair: '../../etc/passwd' is not a scenario's name");
	CASE("a date beyond 9999", "scenario/date_unix", json_integer((json_int_t)1 << 50), "date_unix");
	CASE("a seed as words", "scenario/seed", json_string("seven"), "'seven' is not a whole number");
	CASE("a negative seed", "scenario/seed", json_integer(-1), "seed: -1 is out of range");
	CASE("a route in the outcome only", "outcome/route", json_object(), "a route, but the scenario has none");
	CASE("an error text too long", "outcome/errors/client",
	     json_pack("{s:i, s:n, s:s}", "code", 0, "name", "text",
		       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
	     "outcome.errors.client.text: longer than 255 bytes");
	CASE("an unknown check", "expect/checks/moon_phase", json_string("full"),
	     "expect.checks: unknown check 'moon_phase'");
	CASE("an unknown secret", "expect/checks/observer_learns", json_pack("[s]", "recipes"),
	     "unknown secret 'recipes'");
	CASE("an unknown verdict", "expect/checks/spf", json_string("maybe"), "unknown verdict 'maybe'");
	{
		/* too many recipients */
		json_t *root = base_doc(hs);
		json_t *rc = json_object_get(json_object_get(json_object_get(root, "scenario"), "client"), "rcpt");
		for (int i = 0; i < 10; i++)
			json_array_append_new(rc, json_string("x@example.test"));
		expect_doc_refused("too many recipients", root, "more than 8 recipients");
		json_decref(root);
	}
	{
		/* fields nested deeper than the limit */
		json_t *root = base_doc(hs);
		json_t *f = json_object_get(json_array_get(json_object_get(root, "events"), smtp), "fields");
		for (int d = 0; d < TRACE_JSON_MAX_FIELD_DEPTH + 5; d++) {
			json_t *o = json_pack("{s:s, s:s, s:[]}", "name", "n", "value", "v", "children");
			json_array_append_new(f, o);
			f = json_object_get(o, "children");
		}
		expect_doc_refused("fields nested too deep", root, "nested deeper than");
		json_decref(root);
	}
	{
		/* a TLS error name and a code that disagree; an unknown name */
		json_t *root = base_doc("expired-cert.ini");
		size_t i = first_event(root, "tls-failed");
		snprintf(p2, sizeof p2, "events/%zu/tls_error_code", i);
		edit(root, p2, json_integer(1));
		expect_doc_refused("tls error code and name disagree", root, "tls_error_code: 1 is not");
		snprintf(p2, sizeof p2, "events/%zu/tls_error_code", i);
		edit(root, p2, NULL);
		snprintf(p2, sizeof p2, "events/%zu/tls_error", i);
		edit(root, p2, json_string("BR_ERR_GREMLINS"));
		expect_doc_refused("an unknown tls error", root, "unknown BearSSL error 'BR_ERR_GREMLINS'");
		json_decref(root);
	}
	{
		/* a mail-auth step that is not its subtype; a policy step missing its action */
		json_t *root = base_doc("dmarc-reject.ini");
		size_t i = first_event(root, "mail-auth");
		snprintf(p2, sizeof p2, "events/%zu/auth_step", i);
		edit(root, p2, json_string("stored"));
		expect_doc_refused("auth step against subtype", root, "not the subtype");
		json_decref(root);
		root = base_doc("mta-sts-enforce.ini");
		json_t *evs = json_object_get(root, "events");
		for (i = 0; i < json_array_size(evs); i++) {
			json_t *e = json_array_get(evs, i);
			const char *st = json_string_value(json_object_get(e, "policy_step"));
			if (st && !strcmp(st, "decision"))
				break;
		}
		assert_true(i < json_array_size(evs));
		snprintf(p2, sizeof p2, "events/%zu/action", i);
		edit(root, p2, json_string("shrug"));
		expect_doc_refused("an unknown policy action", root, "unknown action 'shrug'");
		edit(root, "scenario/mx", NULL);
		expect_doc_refused("a relay without an MX", root, "'relay' without 'mx'");
		json_decref(root);
	}
	{
		/* a TLSA record without its numbers */
		json_t *root = base_doc("dane-substitution.ini");
		json_t *z = json_object_get(json_object_get(root, "scenario"), "dns");
		size_t i;
		for (i = 0; i < json_array_size(z); i++)
			if (!strcmp(json_string_value(json_object_get(json_array_get(z, i), "type")), "TLSA"))
				break;
		assert_true(i < json_array_size(z));
		json_object_del(json_array_get(z, i), "usage");
		expect_doc_refused("a TLSA record without usage", root, "missing key 'usage'");
		json_decref(root);
	}
#undef CASE
}

/* Every byte of a document changed in turn, and cut at every length: the loader refuses
 * or loads, and what it loads the views can show. Under the sanitizers this is the
 * hostile-input test. */
static void test_mutations(void **state)
{
	(void)state;
	json_t *root = base_doc("tamper-record.ini");
	char *text = json_dumps(root, JSON_PRESERVE_ORDER | JSON_COMPACT);
	json_decref(root);
	size_t n = strlen(text);
	char *m = malloc(n + 1);
	assert_non_null(m);
	uint32_t x = 12345;
	size_t loaded = 0, refused = 0;
	static const char repl[] = "0123456789-\"{}[]:,.eaZ\\ ";
	for (int k = 0; k < 3000; k++) {
		memcpy(m, text, n + 1);
		x = x * 1103515245u + 12345u;
		size_t at = (x >> 4) % n;
		x = x * 1103515245u + 12345u;
		m[at] = repl[(x >> 8) % (sizeof repl - 1)];
		size_t len = k % 5 == 4 ? at : n;
		struct scenario sc;
		struct run_result r;
		char err[1024];
		if (trace_json_load_buffer("m.json", m, len, &sc, &r, err, sizeof err) == 0) {
			loaded++;
			/* the views take what was loaded */
			char *t = text_of(&sc, &r, 0);
			free(t);
			t = text_of(&sc, &r, 1);
			free(t);
			size_t jl;
			free(json_text(&sc, &r, &jl));
			run_result_free(&r);
			scenario_free(&sc);
		} else {
			refused++;
			assert_non_null(strstr(err, "m.json: "));
			assert_null(strchr(err, '\n'));
		}
	}
	assert_true(loaded > 0 && refused > 0);
	free(m);
	free(text);
}

/* ---- files ---- */

static void test_files(void **state)
{
	(void)state;
	struct scenario sc;
	struct run_result r;
	char err[1024];
	assert_int_equal(trace_json_load(tmp_path("nothing-here.json"), &sc, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "nothing-here.json: cannot open: "));
	mkdir(tmp_path("dir.json"), 0700);
	assert_int_equal(trace_json_load(tmp_path("dir.json"), &sc, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "dir.json: cannot open: is a directory"));
	rmdir(tmp_path("dir.json"));
	/* a FIFO is refused at once, never waited on (nobody writes to it here) */
	assert_int_equal(mkfifo(tmp_path("fifo.json"), 0600), 0);
	assert_int_equal(trace_json_load(tmp_path("fifo.json"), &sc, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "fifo.json: cannot open: not a regular file"));
	unlink(tmp_path("fifo.json"));
	assert_int_equal(mkfifo(tmp_path("fifo"), 0600), 0);
	assert_false(trace_json_is_trace(tmp_path("fifo"))); /* left to the scenario loader, which refuses it */
	unlink(tmp_path("fifo"));
	/* a file past the size limit is refused before it is read (a sparse file: no disk used) */
	write_file(tmp_path("huge.json"), "{", 1);
	assert_int_equal(truncate(tmp_path("huge.json"), (off_t)TRACE_JSON_MAX_BYTES + 1), 0);
	assert_int_equal(trace_json_load(tmp_path("huge.json"), &sc, &r, err, sizeof err), -1);
	assert_non_null(strstr(err, "huge.json: larger than 256 MiB"));
	unlink(tmp_path("huge.json"));
	/* what names a trace */
	assert_true(trace_json_is_trace("x/trace.json"));
	assert_true(trace_json_is_trace("TRACE.JSON"));
	assert_false(trace_json_is_trace(scenario_path("starttls.ini")));
	assert_false(trace_json_is_trace(tmp_path("no-such-file")));
	write_file(tmp_path("saved"), "  \n{\"format\"", 13);
	assert_true(trace_json_is_trace(tmp_path("saved")));
	unlink(tmp_path("saved"));
	write_file(tmp_path("empty"), "", 0);
	assert_false(trace_json_is_trace(tmp_path("empty")));
	unlink(tmp_path("empty"));
}

/* ---- the names' inverses ---- */

static void test_names(void **state)
{
	(void)state;
	for (int a = 0; a < ACTOR_COUNT; a++)
		assert_int_equal(trace_actor_from_name(trace_actor_name((enum trace_actor)a)), a);
	for (int l = 0; l < LAYER_COUNT; l++)
		assert_int_equal(trace_layer_from_name(trace_layer_name((enum trace_layer)l)), l);
	for (int l = 0; l < LINK_COUNT; l++)
		assert_int_equal(trace_link_from_name(trace_link_name((enum trace_link)l)), l);
	for (int k = 0; k < TK_COUNT; k++)
		assert_int_equal(trace_kind_from_name(trace_kind_name((enum trace_kind)k)), k);
	for (int a = 0; a < ATTACK_COUNT; a++)
		assert_int_equal(trace_attack_from_name(trace_attack_name((enum trace_attack)a)), a);
	for (int s = 0; s < AUTH_STEP_COUNT; s++)
		assert_int_equal(auth_step_from_name(auth_step_name((enum auth_step)s)), s);
	for (int p = AUTH_POLICY_ABSENT; p <= AUTH_POLICY_REJECT; p++)
		assert_int_equal(auth_policy_from_name(auth_policy_name((enum auth_policy)p)), p);
	for (int k = RELAY_POLICY_NONE; k <= RELAY_POLICY_TLSA; k++)
		assert_int_equal(relay_policy_kind_from_name(relay_policy_kind_name((enum relay_policy_kind)k)), k);
	for (int s = POLICY_STS_RECORD; s <= POLICY_REQUIRETLS; s++)
		assert_int_equal(relay_policy_step_from_name(relay_policy_step_name((enum relay_policy_step)s)), s);
	/* BearSSL's codes: each named one back to itself, an alert to its base code */
	int named = 0;
	for (int code = 0; code < 1024; code++) {
		const char *n = tls_error_name(code);
		int back = tls_error_from_name(n);
		if (!strcmp(n, "BR_ERR_UNKNOWN"))
			assert_int_equal(back, -1);
		else if (code >= BR_ERR_SEND_FATAL_ALERT)
			assert_int_equal(back, BR_ERR_SEND_FATAL_ALERT);
		else if (code >= BR_ERR_RECV_FATAL_ALERT)
			assert_int_equal(back, BR_ERR_RECV_FATAL_ALERT);
		else {
			assert_int_equal(back, code);
			named++;
		}
	}
	assert_true(named > 40);
	assert_int_equal(tls_error_from_name("BR_ERR_X509_NOT_TRUSTED"), BR_ERR_X509_NOT_TRUSTED);
	/* names no function gives */
	const char *const unknown[] = { "", "?", "unknown", "nope", "CLIENT", "Client", "client ", "tls-record2" };
	int (*const from[])(const char *) = {
		trace_actor_from_name, trace_layer_from_name, trace_link_from_name, trace_kind_from_name,
		trace_attack_from_name, auth_step_from_name, auth_policy_from_name, relay_policy_kind_from_name,
		relay_policy_step_from_name, tls_error_from_name,
	};
	for (size_t f = 0; f < sizeof from / sizeof from[0]; f++) {
		assert_int_equal(from[f](NULL), -1);
		for (size_t u = 0; u < sizeof unknown / sizeof unknown[0]; u++)
			assert_int_equal(from[f](unknown[u]), -1);
	}
	assert_int_equal(tls_error_from_name("BR_ERR_UNKNOWN"), -1);
}

static int cleanup(void **state)
{
	(void)state;
	if (tmpdir[0])
		rmdir(tmpdir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_round_trip_catalogue),
		cmocka_unit_test(test_round_trip_truncated),
		cmocka_unit_test(test_round_trip_seeds),
		cmocka_unit_test(test_round_trip_rare_facts),
		cmocka_unit_test(test_broken_text),
		cmocka_unit_test(test_broken_documents),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_files),
	};
	return cmocka_run_group_tests(tests, NULL, cleanup);
}
