/* whatif: the what-if keys. v, t and a each copy the running scenario with one option
 * changed (scenario_variant) and run the simulator again — a whole session takes
 * milliseconds; b switches to the lesson's vulnerable or safe twin (the scenario's
 * `pair`), loaded from its own file, or without a twin toggles the buffering of the one
 * side the lesson is about. After each re-run the cursor goes to the first event where
 * the new run differs from the one before (trace_diff: facts, never prose) and the
 * status bar says which step that is, or that the change had no effect here. The
 * what-if line names, in words, every option that differs from the file. */
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

static const char *server_mode_words(enum smtp_server_mode m)
{
	switch (m) {
	case SMTP_SERVER_PLAIN: return "no TLS at all";
	case SMTP_SERVER_STARTTLS: return "offers STARTTLS";
	case SMTP_SERVER_STARTTLS_REQUIRED: return "requires STARTTLS";
	case SMTP_SERVER_IMPLICIT: return "implicit TLS (port 465 style)";
	}
	return "another mode";
}

static const char *server_buffer_words(enum smtp_buffering b)
{
	return b == SMTP_BUFFER_KEEP ? "server: runs buffered input (vulnerable)" : "server: discards buffered input (fixed)";
}

static const char *client_buffer_words(enum smtp_buffering b)
{
	return b == SMTP_BUFFER_KEEP ? "client: reads buffered replies (vulnerable)"
				     : "client: discards buffered replies (fixed)";
}

static const struct {
	unsigned bit;
	const char *on, *off;
} quirk_words[] = {
	{ SMTP_CLIENT_QUIRK_CONTINUE_AFTER_STARTTLS_FAILURE, "client: goes on in cleartext when STARTTLS fails",
	  "client: stops when STARTTLS fails" },
	{ SMTP_CLIENT_QUIRK_HELO_FALLBACK, "client: falls back to HELO when EHLO is refused",
	  "client: no HELO fallback" },
	{ SMTP_CLIENT_QUIRK_PORT_FALLBACK, "client: falls back to other ports", "client: no port fallback" },
	{ SMTP_CLIENT_QUIRK_SKIP_AUTH_SILENTLY, "client: goes on without AUTH when it is not offered",
	  "client: does not skip AUTH" },
};

static void add(char *buf, size_t cap, const char *s)
{
	size_t n = strlen(buf);
	if (n + 3 < cap)
		snprintf(buf + n, cap - n, "%s%s", n ? "; " : "", s);
}

/* A list of changes where those of one side share its name: "client: discards
 * buffered replies (fixed), does not skip AUTH; server: ...". */
struct phrases {
	char *buf;
	size_t cap;
	char side[16];
};

static void addp(struct phrases *p, const char *s)
{
	const char *colon = strstr(s, ": ");
	size_t sl = colon && (size_t)(colon - s) < sizeof p->side ? (size_t)(colon - s) : 0;
	size_t n = strlen(p->buf);
	if (sl && strlen(p->side) == sl && !strncmp(p->side, s, sl)) {
		if (n + 3 < p->cap)
			snprintf(p->buf + n, p->cap - n, ", %s", colon + 2);
		return;
	}
	snprintf(p->side, sizeof p->side, "%.*s", (int)sl, s);
	add(p->buf, p->cap, s);
}

static void attacker_words(const struct attack *at, char *s, size_t cap)
{
	if (!at)
		snprintf(s, cap, "no attacker");
	else
		snprintf(s, cap, "attacker %s", at->does ? at->does : scenario_mitm_name(at));
}

static int same_str(const char *x, const char *y)
{
	return (!x && !y) || (x && y && !strcmp(x, y));
}

static int same_suites(const struct scenario_tls *x, const struct scenario_tls *y)
{
	return x->nsuites == y->nsuites && !memcmp(x->suites, y->suites, x->nsuites * sizeof x->suites[0]) &&
	       x->version_min == y->version_min && x->version_max == y->version_max && x->engine == y->engine &&
	       !strcmp(x->groups, y->groups);
}

void ui_scenario_change(const struct scenario *f, const struct scenario *v, char *buf, size_t cap)
{
	char s[200];
	buf[0] = '\0';
	struct phrases ph = { buf, cap, "" };
	if (v->server.buffering != f->server.buffering)
		addp(&ph, server_buffer_words(v->server.buffering));
	if (v->client.buffering != f->client.buffering)
		addp(&ph, client_buffer_words(v->client.buffering));
	for (size_t i = 0; i < sizeof quirk_words / sizeof quirk_words[0]; i++)
		if ((v->client.quirks ^ f->client.quirks) & quirk_words[i].bit)
			addp(&ph, v->client.quirks & quirk_words[i].bit ? quirk_words[i].on : quirk_words[i].off);
	if (v->client.verify != f->client.verify)
		addp(&ph, v->client.verify == TLS_VERIFY_NONE ? "client: does not verify certificates"
			: "client: verifies certificates");
	if (v->client.tls != f->client.tls) {
		snprintf(s, sizeof s, "client: %s", tls_policy_words(v->client.tls) + strlen("client "));
		addp(&ph, s);
	}
	if (v->server.mode != f->server.mode) {
		snprintf(s, sizeof s, "server: %s", server_mode_words(v->server.mode));
		addp(&ph, s);
	}
	if (v->server.port != f->server.port) {
		snprintf(s, sizeof s, "port %u", v->server.port);
		addp(&ph, s);
	}
	if (v->server.auth_requires_tls != f->server.auth_requires_tls)
		addp(&ph, v->server.auth_requires_tls ? "server: refuses AUTH before TLS"
			: "server: accepts AUTH in cleartext");
	if (v->server.auth_required != f->server.auth_required)
		addp(&ph, v->server.auth_required ? "server: requires AUTH" : "server: accepts mail without AUTH");
	if (v->mitm.attack != f->mitm.attack) {
		attacker_words(v->mitm.attack, s, sizeof s);
		addp(&ph, s);
	}
	if (!same_suites(&v->server.tls_opt, &f->server.tls_opt) || !same_suites(&v->client.tls_opt, &f->client.tls_opt))
		addp(&ph, "other cipher suites or TLS versions");
	if (!same_str(v->server.tls_opt.cert, f->server.tls_opt.cert) || !same_str(v->client.server_name, f->client.server_name))
		addp(&ph, "another server certificate or name");
	if (!same_str(v->mitm.tls_opt.cert, f->mitm.tls_opt.cert))
		addp(&ph, "attacker: another certificate");
	if (!same_str(v->client.trust, f->client.trust))
		addp(&ph, "client: other trust anchors");
	if (v->date != f->date)
		addp(&ph, "another date");
}

/* The twin b switched to is still on show (the picker may have opened another file). */
static int twin_on_show(const struct app *a)
{
	return a->twin_name[0] && a->sc.name && !strcmp(a->sc.name, a->twin_name);
}

void ui_whatif_describe(const struct app *a, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (!a->have_res)
		return;
	if (twin_on_show(a)) {
		char s[400];
		snprintf(s, sizeof s, "the twin: %s", a->twin_change[0] ? a->twin_change : "other settings");
		add(buf, cap, s);
	}
	const struct scenario *f = &a->sc, *v = &a->var;
	if (v->client.verify != f->client.verify)
		add(buf, cap, v->client.verify == TLS_VERIFY_NONE ? "client does not verify certificates"
			: "client verifies certificates");
	if (v->client.tls != f->client.tls)
		add(buf, cap, tls_policy_words(v->client.tls));
	if (v->mitm.attack != f->mitm.attack) {
		char s[200];
		attacker_words(v->mitm.attack, s, sizeof s);
		add(buf, cap, s);
	}
	if (v->server.buffering != f->server.buffering)
		add(buf, cap, server_buffer_words(v->server.buffering));
	if (v->client.buffering != f->client.buffering)
		add(buf, cap, client_buffer_words(v->client.buffering));
}

/* Two events are "the same" across runs when their facts agree: kind, subtype, who sent
 * it to whom, and what the attacker did to it. */
static int same_event(const struct trace_event *x, const struct trace_event *y)
{
	return x->kind == y->kind && x->subtype == y->subtype && x->from == y->from && x->to == y->to &&
	       x->attack == y->attack && x->encrypted == y->encrypted;
}

/* When nothing differs: the same occurrence of an event with the same facts when the
 * new trace has it, else the same fraction of the way through. */
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

/* Installs nr as the run on show (the old one is freed) with the cursor on the first
 * difference; says where it is, after note (may be ""), in a->msg. */
static void install_run(struct app *a, struct run_result *nr, const char *note)
{
	size_t cur = 0;
	char where[96] = "";
	if (a->have_res) {
		struct trace_diff d;
		size_t first = (size_t)-1;
		int ok = trace_diff_runs(&a->res.trace, &nr->trace, &d) == 0;
		if (ok) {
			first = trace_diff_first_b(&d, &nr->trace);
			trace_diff_free(&d);
		}
		if (first != (size_t)-1) {
			cur = first;
			snprintf(where, sizeof where, "first difference at step %zu", first + 1);
		} else {
			cur = map_cursor(&a->res.trace, a->cur, &nr->trace);
			if (ok)
				snprintf(where, sizeof where, "(no effect here)");
		}
		run_result_free(&a->res);
	}
	a->res = *nr;
	a->have_res = 1;
	a->cur = cur < nr->trace.n ? cur : nr->trace.n ? nr->trace.n - 1 : 0;
	a->detail_event = (size_t)-1;
	a->hex_top = 0;
	snprintf(a->msg, sizeof a->msg, "%s%s%s", where, note[0] && where[0] ? "; " : "", note);
	a->msg_err = 0;
}

static int run_variant(const struct app *a, const struct scenario *v, struct run_result *nr, char *err, size_t cap)
{
	if (a->is_trace) {
		/* A saved trace has no certificates, keys or body to run again with. */
		snprintf(err, cap, "this is a saved trace: one recorded run, nothing to re-run (open its scenario file "
			 "for what-ifs)");
		return -1;
	}
	struct run_options ro = { 0 };
	ro.has_seed = a->opt->has_seed;
	ro.seed = a->opt->seed;
	/* The variant may need keys the file's scenario did not (an attacker, a stolen key):
	 * load them for it, before the run. */
	struct run_pki pki;
	int failed = run_pki_load(v, &pki, err, cap);
	if (!failed) {
		failed = run_scenario(v, &pki, &ro, nr, err, cap);
		run_pki_free(&pki);
	}
	return failed ? -1 : 0;
}

static int rerun_note(struct app *a, const struct scenario *v, const char *note)
{
	struct run_result nr;
	char err[512];
	if (run_variant(a, v, &nr, err, sizeof err)) {
		snprintf(a->msg, sizeof a->msg, "what if failed: %.180s (still showing the previous run)", err);
		a->msg_err = 1;
		return -1;
	}
	install_run(a, &nr, note);
	a->var = *v;
	a->try_tls = v->client.tls;
	a->try_mitm = (int)attack_index(v->mitm.attack);
	return 0;
}

int ui_rerun(struct app *a, const struct scenario *v)
{
	return rerun_note(a, v, "");
}

int ui_run_file(const struct app *a, const char *path, struct scenario *sc, struct run_result *r, char *err,
		size_t cap)
{
	if (scenario_load(path, a->opt->load, sc, err, cap))
		return -1;
	struct scenario v = scenario_variant(sc);
	char rerr[512];
	if (run_variant(a, &v, r, rerr, sizeof rerr)) {
		snprintf(err, cap, "%s: %s", path, rerr);
		scenario_free(sc);
		return -1;
	}
	return 0;
}

/* b with a twin: the twin's own file, as written (not the variant on show with one
 * option changed), with what it changes named. */
static void switch_to_twin(struct app *a)
{
	char path[4096], err[1024];
	snprintf(path, sizeof path, "%s/%s.ini", a->sc.dir ? a->sc.dir : ".", a->sc.pair);
	struct scenario sc;
	struct run_result r;
	if (ui_run_file(a, path, &sc, &r, err, sizeof err)) {
		snprintf(a->msg, sizeof a->msg, "b: the twin does not load: %.200s", err);
		a->msg_err = 1;
		return;
	}
	char change[sizeof a->twin_change];
	ui_scenario_change(&a->sc, &sc, change, sizeof change);
	if (!a->twin_home[0] || !twin_on_show(a))
		snprintf(a->twin_home, sizeof a->twin_home, "%s", a->sc.name ? a->sc.name : "");
	char note[200];
	if (sc.name && !strcmp(sc.name, a->twin_home)) {
		/* back where b started: the file on show is the one opened, nothing to name */
		a->twin_name[0] = a->twin_change[0] = a->twin_home[0] = '\0';
		snprintf(note, sizeof note, "back to %s", sc.name);
	} else {
		snprintf(a->twin_name, sizeof a->twin_name, "%s", sc.name ? sc.name : "");
		snprintf(a->twin_change, sizeof a->twin_change, "%s", change);
	}
	install_run(a, &r, note);
	scenario_free(&a->sc);
	a->sc = sc;
	a->var = scenario_variant(&a->sc);
	a->try_tls = a->var.client.tls;
	a->try_mitm = (int)attack_index(a->var.mitm.attack);
	a->playing = 0;
	snprintf(a->path, sizeof a->path, "%s", path);
}

/* t: the next client TLS policy that can talk to this server at all. An implicit-TLS
 * client speaks TLS to a server that greets in cleartext (and the other way round):
 * the run only shows two programs that do not understand each other, so t skips it and
 * says why. A client that falls back to other ports changes its mode itself: all go. */
static enum smtp_client_tls next_tls(struct app *a, char *why, size_t cap)
{
	int implicit_server = a->var.server.mode == SMTP_SERVER_IMPLICIT;
	int any = (a->var.client.quirks & SMTP_CLIENT_QUIRK_PORT_FALLBACK) != 0;
	why[0] = '\0';
	int t = a->try_tls;
	for (int k = 0; k <= SMTP_CLIENT_TLS_IMPLICIT; k++) {
		t = (t + 1) % (SMTP_CLIENT_TLS_IMPLICIT + 1);
		int implicit = t == SMTP_CLIENT_TLS_IMPLICIT;
		if (any || implicit == implicit_server)
			return (enum smtp_client_tls)t;
		if (!why[0])
			snprintf(why, cap, implicit_server
				 ? "this server speaks TLS from the first byte (port %u): only an implicit-TLS client can talk to it"
				 : "implicit TLS skipped: this server greets in cleartext on port %u",
				 a->var.server.port);
	}
	return a->var.client.tls;
}

/* b without a twin: the buffering of the side the lesson is about (the one the file
 * sets to keep; the server when neither does). */
static void toggle_buffering(struct scenario *v, const struct scenario *file)
{
	int client_side = file->client.buffering == SMTP_BUFFER_KEEP && file->server.buffering != SMTP_BUFFER_KEEP;
	enum smtp_buffering *b = client_side ? &v->client.buffering : &v->server.buffering;
	*b = *b == SMTP_BUFFER_KEEP ? SMTP_BUFFER_DISCARD : SMTP_BUFFER_KEEP;
}

int ui_whatif_key(struct app *a, int ch)
{
	struct scenario v = a->var;
	char note[200] = "";
	a->msg[0] = '\0';
	a->msg_err = 0;
	switch (ch) {
	case 'v':
		v.client.verify = v.client.verify == TLS_VERIFY_FULL ? TLS_VERIFY_NONE : TLS_VERIFY_FULL;
		break;
	case 't': {
		v.client.tls = next_tls(a, note, sizeof note);
		if (v.client.tls == a->var.client.tls) {
			snprintf(a->msg, sizeof a->msg, "%s; no other policy makes sense here", note);
			return 1;
		}
		a->try_tls = v.client.tls;
		break;
	}
	case 'a':
		/* The table, then no attacker (attack_count()), then round again. */
		a->try_mitm = (int)(((size_t)a->try_mitm + 1) % (attack_count() + 1));
		v.mitm.attack = attack_at((size_t)a->try_mitm);
		break;
	case 'b':
		if (a->sc.pair) {
			switch_to_twin(a);
			return 1;
		}
		toggle_buffering(&v, &a->sc);
		break;
	case 'r':
		v = scenario_variant(&a->sc);
		rerun_note(a, &v, "reset to the file's options");
		return 1;
	default:
		return 0;
	}
	rerun_note(a, &v, note);
	return 1;
}
