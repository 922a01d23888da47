/* fuzz_run: whole runs. The input is a scenario file; this harness first gives it a valid
 * structure, keeping the values hostile, then loads it (sim/run/scenario.c), loads its
 * PKI (run_pki_load: the demo PKI under scenarios/certs, found through the data
 * directory as in fuzz_scenario) and runs it (run_scenario: scheduler, SMTP machines,
 * BearSSL, the attacker, the trace, the ledger and the outcome), with a bound on the
 * scheduler's rounds. The catalogue is the seed corpus.
 *
 * The structure: a line "[name]" is a section, mapped onto a known one when it is not; a
 * line "key = value" is kept under a known key of its section (an unknown key is mapped
 * onto one, a key given twice in a section is dropped); indented lines continue the keys
 * that take several lines; [dns] lines are kept as they are. Every other line is dropped,
 * control characters become printable ones, and lines are cut at the loader's 198
 * characters. The values stay whatever the fuzzer made of them.
 *
 * Invariants: the loader answers 0, or -1 with one line; a loaded scenario's PKI loads
 * or says why; a run ends within the bound (a run that does not is a finding), returns
 * 0 with a well-formed trace (seq, kinds and ends in range, parents that are earlier
 * records, stored bytes within their lengths, fields and summaries, sessions that
 * exist) and an outcome whose texts are strings and whose counts are within their
 * arrays, or -1 with a one-line reason; the expectations check gives a string; and for
 * one input in four a second run of the same scenario is the same, event for event
 * (a run is a function of scenario, PKI and seed). */
#include <ctype.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "sim/run/outcome.h"
#include "sim/run/run.h"
#include "sim/run/scenario.h"
#include "sim/trace/trace_diff.h"

#define MAX_ROUNDS 200000
#define LINE_MAX_LOADER 198

static char dir[] = "/tmp/fuzz-run-XXXXXX";
static char path[64];
static struct scenario_load_opts load_opts;

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *d = getenv("SMTPS_DATADIR");
	load_opts.datadir = d && *d ? d : FUZZ_DATADIR;
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof path, "%s/s.ini", dir);
	atexit(cleanup);
	return 0;
}

/* ---- the structure ---- */

#define TLS_KEYS "certificate", "key", "trust", "tls_min", "tls_max", "suites"
static const char *const sections[] = { "scenario", "client", "server", "relay", "mx", "mitm", "dns", "expect" };
static const char *const keys_scenario[] = { "title", "lesson", "seed", "date", "references", "no_starttls", "pair", NULL };
static const char *const keys_client[] = { "tls", "verify", "auth", "buffering", "quirks", "ehlo", "server_name",
					   "user", "password", "from", "to", "requiretls", "dkim_sign",
					   "dkim_break_body", "dkim_domain", "dkim_selector", "dkim_key", "body",
					   TLS_KEYS, NULL };
static const char *const keys_server[] = { "mode", "buffering", "port", "hostname", "user", "password",
					   "max_size", "requiretls", "dmarc_reject", "careless_auth_in_cleartext",
					   "careless_accepts_unauthenticated", TLS_KEYS, NULL };
static const char *const keys_relay[] = { "tls", "verify", "mta_sts", "dane", "mta_sts_cached", TLS_KEYS, NULL };
static const char *const keys_mx[] = { "mode", "hostname", "requiretls", "dmarc_reject", "mta_sts_policy", TLS_KEYS,
				       NULL };
static const char *const keys_mitm[] = { "behaviour", "inject", "tamper_record", "hop", "stolen_key", "account",
					 "mailbox", TLS_KEYS, NULL };
static const char *const keys_expect[] = { "delivered", "tls", "server_tls", "altered", "injected", "decrypted_later",
					   "submitted", "relay_tls", "deferred", "bounced", "observer_learns",
					   "hop1_observer_learns", "hop2_observer_learns", "policy_result",
					   "received_with", "attacker_learns", "client_error", "server_error", "alert",
					   "spf", "dkim", "dmarc", NULL };
static const char *const *const keys[] = { keys_scenario, keys_client, keys_server, keys_relay,
					   keys_mx, keys_mitm, NULL, keys_expect };
#define NSECTIONS (sizeof sections / sizeof sections[0])

static int is_multi(const char *k)
{
	return !strcmp(k, "lesson") || !strcmp(k, "body") || !strcmp(k, "inject") || !strcmp(k, "mta_sts_policy");
}

static unsigned hash(const char *p, size_t n)
{
	unsigned h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 16777619u;
	return h;
}

struct out {
	char *p;
	size_t n, cap;
};

static void put(struct out *o, const char *p, size_t n)
{
	if (o->n + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 4096;
		while (cap < o->n + n + 1)
			cap *= 2;
		o->p = realloc(o->p, cap);
		if (!o->p)
			abort();
		o->cap = cap;
	}
	memcpy(o->p + o->n, p, n);
	o->n += n;
	o->p[o->n] = '\0';
}

/* A value as text: control characters (but tab) become printable, the line is cut. */
static void put_value(struct out *o, const char *p, size_t n, size_t room)
{
	for (size_t i = 0; i < n && i < room; i++) {
		unsigned char c = (unsigned char)p[i];
		char x = c == '\t' ? '\t' : c < 0x20 ? (char)(c + 0x40) : c == 0x7f ? '?' : (char)c;
		put(o, &x, 1);
	}
	put(o, "\n", 1);
}

static void trim(const char **p, size_t *n)
{
	while (*n && isspace((unsigned char)**p))
		(*p)++, (*n)--;
	while (*n && isspace((unsigned char)(*p)[*n - 1]))
		(*n)--;
}

static void structure(const uint8_t *data, size_t size, struct out *o)
{
	const char *p = (const char *)data, *end = p + size;
	int sec = -1, multi = 0;
	uint64_t seen[NSECTIONS] = { 0 }; /* the keys given so far, a bit each */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *l = p;
		p = nl ? nl + 1 : end;
		if (n && l[n - 1] == '\r')
			n--;
		if (!n || l[0] == ';' || l[0] == '#')
			continue;
		if (l[0] == ' ' || l[0] == '\t') {
			if (multi || (sec >= 0 && !keys[sec])) { /* a continuation, or a folded [dns] record */
				put(o, "  ", 2);
				const char *v = l;
				size_t vn = n;
				trim(&v, &vn);
				put_value(o, v, vn, LINE_MAX_LOADER - 2);
			}
			continue;
		}
		multi = 0;
		if (l[0] == '[') {
			const char *rb = memchr(l, ']', n);
			size_t nn = rb ? (size_t)(rb - l - 1) : n - 1;
			sec = -1;
			for (size_t i = 0; i < NSECTIONS; i++)
				if (strlen(sections[i]) == nn && !memcmp(l + 1, sections[i], nn))
					sec = (int)i;
			if (sec < 0)
				sec = (int)(hash(l + 1, nn) % NSECTIONS);
			put(o, "[", 1);
			put(o, sections[sec], strlen(sections[sec]));
			put(o, "]\n", 2);
			continue;
		}
		if (sec < 0)
			continue;
		if (!keys[sec]) { /* [dns]: its own syntax, kept */
			put_value(o, l, n, LINE_MAX_LOADER);
			continue;
		}
		const char *eq = memchr(l, '=', n);
		if (!eq)
			continue;
		const char *k = l, *v = eq + 1;
		size_t kn = (size_t)(eq - l), vn = n - kn - 1;
		trim(&k, &kn);
		trim(&v, &vn);
		const char *const *ks = keys[sec];
		size_t nk = 0, ki = (size_t)-1;
		for (; ks[nk]; nk++)
			if (strlen(ks[nk]) == kn && !memcmp(k, ks[nk], kn))
				ki = nk;
		if (ki == (size_t)-1)
			ki = hash(k, kn) % nk;
		if (seen[sec] >> ki & 1)
			continue;
		seen[sec] |= (uint64_t)1 << ki;
		put(o, ks[ki], strlen(ks[ki]));
		put(o, " = ", 3);
		put_value(o, v, vn, LINE_MAX_LOADER - 3 - strlen(ks[ki]));
		multi = is_multi(ks[ki]);
	}
}

/* ---- what a run must give ---- */

static void check_trace(const struct trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		FUZZ_CHECK(e->seq == i + 1, "seq is the position");
		FUZZ_CHECK(e->kind < TK_COUNT && e->layer < LAYER_COUNT && e->link < LINK_COUNT &&
				   e->from < ACTOR_COUNT && e->to < ACTOR_COUNT,
			   "kind, layer, link and ends in range");
		FUZZ_CHECK(e->parent == -1 ||
				   (e->parent >= 0 && (size_t)e->parent < i && t->ev[e->parent].kind == TK_RECORD),
			   "a parent is an earlier record");
		FUZZ_CHECK(e->wire_stored <= e->wire_len && (!e->wire_stored || e->wire), "wire bytes within their length");
		FUZZ_CHECK(e->plain_stored <= e->plain_len && (!e->plain_stored || e->plain),
			   "plaintext within its length");
		FUZZ_CHECK(e->summary, "a summary");
		fuzz_check_output(&e->fields, e->summary, strlen(e->summary) + 1);
		if (e->kind == TK_TLS_UP)
			FUZZ_CHECK(e->session >= 0 && (size_t)e->session < t->nsessions, "a TLS_UP names its session");
		if (i)
			FUZZ_CHECK(e->time_us >= t->ev[i - 1].time_us || e->replay || e->layer == LAYER_NOTE ||
					   t->ev[i - 1].layer == LAYER_NOTE || t->ev[i - 1].replay,
				   "the clock does not go back");
	}
	for (size_t i = 0; i < t->nsessions; i++)
		FUZZ_CHECK(t->sessions[i].links && t->sessions[i].premaster_len <= 48, "sessions cross a link");
}

static void check_outcome(const struct outcome *o)
{
	FUZZ_CHECK(memchr(o->client_error, '\0', sizeof o->client_error) &&
			   memchr(o->server_error, '\0', sizeof o->server_error) &&
			   memchr(o->mitm_error, '\0', sizeof o->mitm_error) &&
			   memchr(o->relay_error, '\0', sizeof o->relay_error) &&
			   memchr(o->auth_results, '\0', sizeof o->auth_results),
		   "the outcome's texts are strings");
	FUZZ_CHECK(o->nalerts <= OUTCOME_MAX_ALERTS && o->nreceived <= OUTCOME_MAX_RECEIVED, "counts within arrays");
	for (size_t i = 0; i < o->nalerts; i++)
		FUZZ_CHECK(memchr(o->alerts[i].name, '\0', sizeof o->alerts[i].name), "alert names are strings");
	for (size_t i = 0; i < o->nreceived; i++)
		FUZZ_CHECK(memchr(o->received[i], '\0', sizeof o->received[i]) &&
				   memchr(o->received_with[i], '\0', sizeof o->received_with[i]),
			   "Received: lines are strings");
	for (int l = 0; l < LINK_COUNT; l++)
		if (o->tls[l])
			FUZZ_CHECK(o->links & 1u << l, "TLS only on a link the run used");
	if (o->route && o->delivered)
		FUZZ_CHECK(o->submitted, "a relayed message was submitted first");
}

static void check_err(const char *err, size_t cap)
{
	FUZZ_CHECK(memchr(err, '\0', cap) && err[0] && !strchr(err, '\n'), "an error is one line");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct out o = { 0 };
	put(&o, "", 0);
	structure(data, size, &o);
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (o.n && fwrite(o.p, 1, o.n, f) != o.n)
		abort();
	fclose(f);
	static int verbose = -1;
	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "---- the scenario\n%s----\n", o.p);
	free(o.p);

	struct scenario sc;
	char err[512];
	memset(err, 0xAA, sizeof err);
	if (scenario_load(path, &load_opts, &sc, err, sizeof err)) {
		check_err(err, sizeof err);
		if (verbose)
			fprintf(stderr, "load: %s\n", err);
		return 0;
	}
	struct run_pki pki;
	memset(err, 0xAA, sizeof err);
	if (run_pki_load(&sc, &pki, err, sizeof err)) {
		check_err(err, sizeof err);
		if (verbose)
			fprintf(stderr, "pki: %s\n", err);
		scenario_free(&sc);
		return 0;
	}
	struct run_options opt = { .max_rounds = MAX_ROUNDS };
	struct run_result r;
	memset(err, 0xAA, sizeof err);
	if (run_scenario(&sc, &pki, &opt, &r, err, sizeof err) == 0) {
		check_trace(&r.trace);
		check_outcome(&r.outcome);
		char report[2048];
		memset(report, 0xAA, sizeof report);
		int met = run_check_expect(&sc, &r.outcome, report, sizeof report);
		FUZZ_CHECK((met == 0 || met == 1) && memchr(report, '\0', sizeof report), "the expectations report");
		if (verbose)
			fprintf(stderr, "run: %zu events, delivered %d, expectations %s\n%s", r.trace.n,
				r.outcome.delivered, met ? "met" : "not met", met ? "" : report);
		if (size % 4 == 0) {
			struct run_result r2;
			FUZZ_CHECK(run_scenario(&sc, &pki, &opt, &r2, err, sizeof err) == 0, "a second run runs too");
			FUZZ_CHECK(r2.trace.n == r.trace.n, "a second run has as many events");
			for (size_t i = 0; i < r.trace.n; i++)
				FUZZ_CHECK(trace_diff_same(&r.trace.ev[i], &r2.trace.ev[i]) &&
						   r.trace.ev[i].time_us == r2.trace.ev[i].time_us,
					   "a second run is the same, event for event");
			FUZZ_CHECK(r2.outcome.delivered == r.outcome.delivered, "a second run comes to the same");
			run_result_free(&r2);
		}
		run_result_free(&r);
	} else {
		check_err(err, sizeof err);
		FUZZ_CHECK(!strstr(err, "rounds"), "a run ends");
		FUZZ_CHECK(!strstr(err, "out of memory"), "a run does not run out of memory");
		if (verbose)
			fprintf(stderr, "run: %s\n", err);
	}
	run_pki_free(&pki);
	scenario_free(&sc);
	return 0;
}
