/* whatif: the what-if keys. Each one copies the running scenario with one option
 * changed (scenario_variant), runs the simulator again — a whole session takes
 * milliseconds — and keeps the cursor on the same logical step of the new trace. The
 * status bar then lists every option that differs from the file. */
#include "ui/app.h"

#include <string.h>

static const char *tls_policy_words(enum smtp_client_tls t)
{
	switch (t) {
	case SMTP_CLIENT_TLS_NONE: return "client never uses TLS";
	case SMTP_CLIENT_TLS_OPPORTUNISTIC: return "client uses STARTTLS only when offered (opportunistic)";
	case SMTP_CLIENT_TLS_REQUIRED: return "client requires STARTTLS";
	case SMTP_CLIENT_TLS_IMPLICIT: return "client uses implicit TLS (port 465 style)";
	}
	return "client TLS policy changed";
}

static void add(char *buf, size_t cap, const char *s)
{
	size_t n = strlen(buf);
	if (n + 3 < cap)
		snprintf(buf + n, cap - n, "%s%s", n ? "; " : "", s);
}

void ui_whatif_describe(const struct app *a, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (!a->have_res)
		return;
	const struct scenario *f = &a->sc, *v = &a->var;
	if (v->client.verify != f->client.verify)
		add(buf, cap, v->client.verify == TLS_VERIFY_NONE ? "client does not verify certificates"
			: "client verifies certificates");
	if (v->client.tls != f->client.tls)
		add(buf, cap, tls_policy_words(v->client.tls));
	if (v->mitm.attack != f->mitm.attack) {
		char s[96];
		if (!v->mitm.attack)
			snprintf(s, sizeof s, "no attacker");
		else
			snprintf(s, sizeof s, "attacker %s", scenario_mitm_name(v->mitm.attack));
		add(buf, cap, s);
	}
	int sb = v->server.buffering != f->server.buffering, cb = v->client.buffering != f->client.buffering;
	const char *how[2] = { "discards", "keeps" };
	char s[160];
	if (sb && cb && v->server.buffering == v->client.buffering)
		snprintf(s, sizeof s, "server and client %s bytes buffered before TLS",
			 v->server.buffering == SMTP_BUFFER_KEEP ? "keep" : "discard");
	else if (sb || cb)
		snprintf(s, sizeof s, "%s%s%s%s bytes buffered before TLS",
			 sb ? "server " : "", sb ? how[v->server.buffering == SMTP_BUFFER_KEEP] : "",
			 sb && cb ? ", client " : cb ? "client " : "",
			 cb ? how[v->client.buffering == SMTP_BUFFER_KEEP] : "");
	if (sb || cb)
		add(buf, cap, s);
}

/* Two events are "the same" across runs when their facts agree: kind, subtype, who sent
 * it to whom, and what the attacker did to it. */
static int same_event(const struct trace_event *x, const struct trace_event *y)
{
	return x->kind == y->kind && x->subtype == y->subtype && x->from == y->from && x->to == y->to &&
	       x->attack == y->attack && x->encrypted == y->encrypted;
}

/* The new cursor: the same occurrence of an event with the same facts when the new trace
 * has it, else the same fraction of the way through. */
static size_t map_cursor(const struct trace *old, size_t cur, const struct trace *nw)
{
	if (!nw->n || !old->n)
		return 0;
	if (cur + 1 >= old->n)
		return nw->n - 1;   /* at the end (the outcome): stay at the end */
	const struct trace_event *e = &old->ev[cur];
	size_t occ = 0;
	for (size_t i = 0; i < cur; i++)
		if (same_event(&old->ev[i], e))
			occ++;
	for (size_t i = 0; i < nw->n; i++) {
		if (same_event(&nw->ev[i], e)) {
			if (occ == 0)
				return i;
			occ--;
		}
	}
	if (old->n == 1)
		return 0;
	return (size_t)((double)cur * (double)(nw->n - 1) / (double)(old->n - 1) + 0.5);
}

int ui_rerun(struct app *a, const struct scenario *v)
{
	struct run_options ro = { 0 };
	ro.has_seed = a->opt->has_seed;
	ro.seed = a->opt->seed;
	struct run_result nr;
	char err[512];
	/* The variant may need keys the file's scenario did not (an attacker, a stolen key):
	 * load them for it, before the run. */
	struct run_pki pki;
	int failed = run_pki_load(v, &pki, err, sizeof err);
	if (!failed) {
		failed = run_scenario(v, &pki, &ro, &nr, err, sizeof err);
		run_pki_free(&pki);
	}
	if (failed) {
		snprintf(a->msg, sizeof a->msg, "what if failed: %.180s (still showing the previous run)", err);
		a->msg_err = 1;
		return -1;
	}
	size_t cur = a->have_res ? map_cursor(&a->res.trace, a->cur, &nr.trace) : 0;
	if (a->have_res)
		run_result_free(&a->res);
	a->res = nr;
	a->have_res = 1;
	a->var = *v;
	a->try_tls = v->client.tls;
	a->try_mitm = (int)attack_index(v->mitm.attack);
	a->cur = cur < nr.trace.n ? cur : nr.trace.n ? nr.trace.n - 1 : 0;
	a->detail_event = (size_t)-1;
	a->hex_top = 0;
	return 0;
}

int ui_whatif_key(struct app *a, int ch)
{
	struct scenario v = a->var;
	a->msg[0] = '\0';
	a->msg_err = 0;
	switch (ch) {
	case 'v':
		v.client.verify = v.client.verify == TLS_VERIFY_FULL ? TLS_VERIFY_NONE : TLS_VERIFY_FULL;
		break;
	case 't':
		v.client.tls = (enum smtp_client_tls)((a->try_tls + 1) % (SMTP_CLIENT_TLS_IMPLICIT + 1));
		a->try_tls = v.client.tls;
		break;
	case 'a':
		/* The table, then no attacker (attack_count()), then round again. */
		a->try_mitm = (int)(((size_t)a->try_mitm + 1) % (attack_count() + 1));
		v.mitm.attack = attack_at((size_t)a->try_mitm);
		break;
	case 'b':
		v.server.buffering = v.server.buffering == SMTP_BUFFER_KEEP ? SMTP_BUFFER_DISCARD : SMTP_BUFFER_KEEP;
		v.client.buffering = v.client.buffering == SMTP_BUFFER_KEEP ? SMTP_BUFFER_DISCARD : SMTP_BUFFER_KEEP;
		break;
	case 'r':
		v = scenario_variant(&a->sc);
		if (ui_rerun(a, &v) == 0)
			snprintf(a->msg, sizeof a->msg, "reset to the file's options");
		return 1;
	default:
		return 0;
	}
	ui_rerun(a, &v);
	return 1;
}
