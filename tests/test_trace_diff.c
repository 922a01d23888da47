/* trace_diff on real runs of the catalogue: a lesson against its twin lines up event by
 * event and parts where the lesson says it should; the two links of a run with an
 * attacker line up message by message, with the deleted, added and forged ones marked.
 * Facts only: kinds, subtypes, ends and wire bytes, never a summary. */
#include "tests/testrun.h"

#include <stdio.h>
#include <string.h>

#include "sim/trace/trace_diff.h"
#include "sim/decode/decode.h"
#include "sim/smtp/smtp_parse.h"

struct loaded {
	struct scenario sc;
	struct run_result r;
};

static void load_and_run(const char *name, struct loaded *l)
{
	char path[512], err[1024];
	snprintf(path, sizeof path, "%s/%s.ini", test_scenarios_dir(), name);
	if (scenario_load(path, test_load_opts(), &l->sc, err, sizeof err))
		fail_msg("%s", err);
	if (test_run_scenario(&l->sc, NULL, &l->r, err, sizeof err))
		fail_msg("%s: %s", name, err);
}

static void done(struct loaded *l)
{
	run_result_free(&l->r);
	scenario_free(&l->sc);
}

static int wire_starts(const struct trace_event *e, const char *s)
{
	size_t n = strlen(s);
	const uint8_t *p = e->plain_len ? e->plain : e->wire;
	size_t len = e->plain_len ? e->plain_stored : e->wire_stored;
	return p && len >= n && !memcmp(p, s, n);
}

/* Every event of each run appears once, in order: the diff is a true alignment. */
static void assert_alignment(const struct trace_diff *d, const struct trace *a, const struct trace *b)
{
	int na = 0, nb = 0;
	for (size_t k = 0; k < d->n; k++) {
		const struct trace_diff_row *r = &d->rows[k];
		if (r->a >= 0)
			assert_int_equal(r->a, na++);
		if (r->b >= 0)
			assert_int_equal(r->b, nb++);
		assert_true(r->a >= 0 || r->b >= 0);
		if (r->mark == TRACE_DIFF_SAME)
			assert_true(trace_diff_same(&a->ev[r->a], &b->ev[r->b]));
		if (r->mark == TRACE_DIFF_ONLY_A)
			assert_int_equal(r->b, -1);
		if (r->mark == TRACE_DIFF_ONLY_B)
			assert_int_equal(r->a, -1);
	}
	assert_int_equal(na, (int)a->n);
	assert_int_equal(nb, (int)b->n);
}

static void test_same_run_no_difference(void **state)
{
	(void)state;
	struct loaded x, y;
	load_and_run("command-injection-vulnerable", &x);
	load_and_run("command-injection-vulnerable", &y);
	struct trace_diff d;
	assert_int_equal(trace_diff_runs(&x.r.trace, &y.r.trace, &d), 0);
	assert_alignment(&d, &x.r.trace, &y.r.trace);
	assert_int_equal(d.n, x.r.trace.n);
	assert_int_equal(d.first, d.n);
	assert_true(trace_diff_first_b(&d, &y.r.trace) == (size_t)-1);
	trace_diff_free(&d);
	done(&x);
	done(&y);
}

/* Vulnerable against fixed server: the same up to the server's handshake, then the
 * vulnerable server runs its buffered cleartext (a note of its own, then replies inside
 * TLS to the injected commands) where the fixed one discards it. */
static void test_command_injection_twins(void **state)
{
	(void)state;
	struct loaded v, f;
	load_and_run("command-injection-vulnerable", &v);
	load_and_run("command-injection-fixed", &f);
	const struct trace *a = &v.r.trace, *b = &f.r.trace;
	struct trace_diff d;
	assert_int_equal(trace_diff_runs(a, b, &d), 0);
	assert_alignment(&d, a, b);
	assert_true(d.first > 0 && d.first < d.n);
	const struct trace_diff_row *r = &d.rows[d.first];
	/* everything before is the same, and ends with the server's Finished */
	int server_up = 0;
	for (size_t k = 0; k < d.first; k++) {
		assert_int_equal(d.rows[k].mark, TRACE_DIFF_SAME);
		const struct trace_event *e = &a->ev[d.rows[k].a];
		if (e->kind == TK_HANDSHAKE && e->subtype == TLS_HS_FINISHED && e->from == ACTOR_SERVER)
			server_up = 1;
		/* nothing was yet said inside TLS on the server's link */
		assert_false(e->link == LINK_MITM_SERVER && e->encrypted &&
			     (e->kind == TK_SMTP_COMMAND || e->kind == TK_SMTP_REPLY));
	}
	assert_true(server_up);
	/* right after it: the row before the first difference is that Finished */
	const struct trace_event *fin = &a->ev[d.rows[d.first - 1].a];
	assert_int_equal(fin->kind, TK_HANDSHAKE);
	assert_int_equal(fin->subtype, TLS_HS_FINISHED);
	assert_int_equal(fin->from, ACTOR_SERVER);
	/* the first difference: the vulnerable server's decision about its buffer */
	assert_true(r->a >= 0);
	const struct trace_event *e = &a->ev[r->a];
	assert_int_equal(e->kind, TK_ACTOR);
	assert_int_equal(e->from, ACTOR_SERVER);
	/* the vulnerable run then answers the injected EHLO inside TLS; the fixed one never does */
	int injected_reply = 0;
	for (size_t k = d.first; k < d.n; k++) {
		if (d.rows[k].mark != TRACE_DIFF_ONLY_A)
			continue;
		const struct trace_event *x = &a->ev[d.rows[k].a];
		if (x->kind == TK_SMTP_REPLY && x->link == LINK_MITM_SERVER && x->encrypted &&
		    wire_starts(x, "250-mail.example.test greets mallory"))
			injected_reply = 1;
	}
	assert_true(injected_reply);
	size_t fb = trace_diff_first_b(&d, b);
	assert_true(fb != (size_t)-1 && fb < b->n);
	assert_int_equal(b->ev[fb].from, ACTOR_SERVER);
	trace_diff_free(&d);
	done(&v);
	done(&f);
}

/* Response injection: the first difference is on the client's side. */
static void test_response_injection_twins(void **state)
{
	(void)state;
	struct loaded v, f;
	load_and_run("response-injection-vulnerable", &v);
	load_and_run("response-injection-fixed", &f);
	struct trace_diff d;
	assert_int_equal(trace_diff_runs(&v.r.trace, &f.r.trace, &d), 0);
	assert_alignment(&d, &v.r.trace, &f.r.trace);
	assert_true(d.first < d.n);
	const struct trace_diff_row *r = &d.rows[d.first];
	const struct trace_event *e = r->a >= 0 ? &v.r.trace.ev[r->a] : &f.r.trace.ev[r->b];
	assert_int_equal(e->from, ACTOR_CLIENT);
	trace_diff_free(&d);
	done(&v);
	done(&f);
}

static size_t count_mark(const struct trace_wire *w, enum trace_wire_mark m)
{
	size_t n = 0;
	for (size_t k = 0; k < w->n; k++)
		n += w->rows[k].mark == m;
	return n;
}

/* Each wire event once, each note once, in order per link. */
static void assert_wire_alignment(const struct trace_wire *w, const struct trace *t)
{
	int lastca = -1, lastas = -1;
	size_t seen = 0;
	for (size_t k = 0; k < w->n; k++) {
		const struct trace_wire_row *r = &w->rows[k];
		if (r->mark == TRACE_WIRE_NOTE) {
			assert_true(r->note >= 0 && r->ca < 0 && r->as < 0);
			seen++;
			continue;
		}
		if (r->ca >= 0) {
			assert_true(r->ca > lastca);
			assert_int_equal(t->ev[r->ca].link, LINK_CLIENT_MITM);
			lastca = r->ca;
			seen++;
		}
		if (r->as >= 0) {
			assert_true(r->as > lastas);
			assert_int_equal(t->ev[r->as].link, LINK_MITM_SERVER);
			lastas = r->as;
			seen++;
		}
	}
	assert_true(seen <= t->n);
}

/* Stripping: the server's 250-STARTTLS reaches the attacker and never the client. It is
 * the one deleted message, between the lines the attacker passed on. */
static void test_wire_strip(void **state)
{
	(void)state;
	struct loaded s;
	load_and_run("strip-opportunistic", &s);
	const struct trace *t = &s.r.trace;
	assert_true(trace_wire_has_links(t));
	struct trace_wire w;
	assert_int_equal(trace_diff_wire(t, &w), 0);
	assert_wire_alignment(&w, t);
	assert_int_equal(count_mark(&w, TRACE_WIRE_DELETED), 1);
	assert_int_equal(count_mark(&w, TRACE_WIRE_ADDED), 0);
	assert_true(count_mark(&w, TRACE_WIRE_RELAYED) > 10);
	size_t k = 0;
	while (w.rows[k].mark != TRACE_WIRE_DELETED)
		k++;
	const struct trace_wire_row *del = &w.rows[k];
	assert_int_equal(del->ca, -1);
	const struct trace_event *e = &t->ev[del->as];
	assert_int_equal(e->kind, TK_SMTP_REPLY);
	assert_int_equal(e->from, ACTOR_SERVER);
	assert_true(wire_starts(e, "250-STARTTLS"));
	/* aligned: the reply lines before and after it are relayed pairs */
	assert_true(k > 0 && k + 1 < w.n);
	assert_int_equal(w.rows[k - 1].mark, TRACE_WIRE_RELAYED);
	assert_true(wire_starts(&t->ev[w.rows[k - 1].ca], "250-ENHANCEDSTATUSCODES"));
	assert_true(wire_starts(&t->ev[w.rows[k - 1].as], "250-ENHANCEDSTATUSCODES"));
	assert_int_equal(w.rows[k + 1].mark, TRACE_WIRE_RELAYED);
	assert_true(wire_starts(&t->ev[w.rows[k + 1].ca], "250 AUTH"));
	/* the client's AUTH is relayed as it is */
	int auth = 0;
	for (size_t i = 0; i < w.n; i++)
		if (w.rows[i].mark == TRACE_WIRE_RELAYED && w.rows[i].ca >= 0 &&
		    t->ev[w.rows[i].ca].kind == TK_SMTP_COMMAND && t->ev[w.rows[i].ca].subtype == SMTP_VERB_AUTH)
			auth = 1;
	assert_true(auth);
	trace_wire_free(&w);
	done(&s);
}

/* Command injection: the attacker's own EHLO reaches the server and never came from
 * the client. */
static void test_wire_injected_commands(void **state)
{
	(void)state;
	struct loaded s;
	load_and_run("command-injection-vulnerable", &s);
	const struct trace *t = &s.r.trace;
	struct trace_wire w;
	assert_int_equal(trace_diff_wire(t, &w), 0);
	assert_wire_alignment(&w, t);
	int added = 0;
	for (size_t k = 0; k < w.n; k++) {
		const struct trace_wire_row *r = &w.rows[k];
		if (r->mark == TRACE_WIRE_ADDED && r->as >= 0 && t->ev[r->as].kind == TK_SMTP_COMMAND &&
		    wire_starts(&t->ev[r->as], "EHLO mallory"))
			added = 1;
	}
	assert_true(added);
	/* the server's replies to them travel in records the attacker relays whole: they
	 * are read out of a relayed record, not deleted */
	int inside = 0;
	for (size_t k = 0; k < w.n; k++) {
		const struct trace_wire_row *r = &w.rows[k];
		if (r->as >= 0 && t->ev[r->as].kind == TK_SMTP_REPLY && wire_starts(&t->ev[r->as], "250-mail.example.test greets mallory")) {
			assert_int_equal(r->mark, TRACE_WIRE_INSIDE);
			assert_int_equal(r->ca, -1);
			inside = 1;
		}
	}
	assert_true(inside);
	trace_wire_free(&w);
	done(&s);
}

/* Without an attacker in the path there are no two links to line up. */
static void test_wire_no_attacker(void **state)
{
	(void)state;
	struct loaded s;
	load_and_run("starttls", &s);
	assert_false(trace_wire_has_links(&s.r.trace));
	done(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_run_no_difference),
		cmocka_unit_test(test_command_injection_twins),
		cmocka_unit_test(test_response_injection_twins),
		cmocka_unit_test(test_wire_strip),
		cmocka_unit_test(test_wire_injected_commands),
		cmocka_unit_test(test_wire_no_attacker),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
