/* compare: two full-screen views that put things side by side.
 *
 * Two runs: the run on show beside the file's own run (when a what-if changed it) or
 * beside the lesson's twin (the scenario's `pair`), one column each, lined up event by
 * event by trace_diff_runs (facts, not prose), scrolled together, the first difference
 * marked. Four columns: in a run with an attacker in the path, client | the wire as the
 * client sees it (client-attacker) | the wire as the server sees it (attacker-server) |
 * server, each message beside its counterpart on the other link (trace_diff_wire), with
 * what the attacker deleted (−), added (+) or forged and changed (~) marked; with the
 * attacker on hop 2 of a route, the same for the relaying server and the MX.
 *
 * The views own the other run and the alignments (a->cmp_*); they are rebuilt when the
 * run on show changes under them (a what-if key pressed while one is open). */
#include "ui/app.h"

#include <stdlib.h>
#include <string.h>

static void clear_views(struct app *a)
{
	if (a->have_cmp)
		run_result_free(&a->cmp_res);
	a->have_cmp = 0;
	trace_diff_free(&a->cmp_diff);
	trace_wire_free(&a->cmp_wire);
	a->cmp_for = NULL;
	a->cmp_label[0][0] = a->cmp_label[1][0] = '\0';
}

void ui_compare_free(struct app *a)
{
	clear_views(a);
	a->compare = a->fourcol = 0;
}

/* The variant on show differs from its file in an option a what-if key changes. */
static int variant_differs(const struct app *a)
{
	const struct scenario *f = &a->sc, *v = &a->var;
	return v->client.verify != f->client.verify || v->client.tls != f->client.tls ||
	       v->mitm.attack != f->mitm.attack || v->server.buffering != f->server.buffering ||
	       v->client.buffering != f->client.buffering;
}

static const struct trace *left_trace(const struct app *a)
{
	return a->cmp_swap ? &a->cmp_res.trace : &a->res.trace;
}

static const struct trace *right_trace(const struct app *a)
{
	return a->cmp_swap ? &a->res.trace : &a->cmp_res.trace;
}

/* The other run: the file's (the variant on show goes right), else the twin's (it goes
 * right, the run on show left). Returns 0, or -1 with a->msg saying why not. */
static int prepare_runs(struct app *a)
{
	clear_views(a);
	char err[1024];
	if (variant_differs(a) && a->is_trace) {
		snprintf(a->msg, sizeof a->msg, "compare: this is a saved trace, with nothing to re-run");
		a->msg_err = 1;
		return -1;
	}
	if (variant_differs(a)) {
		struct scenario v = scenario_variant(&a->sc);
		struct run_options ro = { 0 };
		ro.has_seed = a->opt->has_seed;
		ro.seed = a->opt->seed;
		struct run_pki pki;
		int failed = run_pki_load(&v, &pki, err, sizeof err);
		if (!failed) {
			failed = run_scenario(&v, &pki, &ro, &a->cmp_res, err, sizeof err);
			run_pki_free(&pki);
		}
		if (failed) {
			snprintf(a->msg, sizeof a->msg, "compare: the file's run failed: %.180s", err);
			a->msg_err = 1;
			return -1;
		}
		a->cmp_swap = 1;
		char wi[200];
		ui_whatif_describe(a, wi, sizeof wi);
		snprintf(a->cmp_label[0], sizeof a->cmp_label[0], "the file: %s", a->sc.name ? a->sc.name : "");
		snprintf(a->cmp_label[1], sizeof a->cmp_label[1], "what if: %.200s", wi);
	} else if (a->sc.pair) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s.ini", a->sc.dir ? a->sc.dir : ".", a->sc.pair);
		struct scenario sc;
		if (ui_run_file(a, path, &sc, &a->cmp_res, err, sizeof err)) {
			snprintf(a->msg, sizeof a->msg, "compare: the twin does not load: %.180s", err);
			a->msg_err = 1;
			return -1;
		}
		char change[200];
		ui_scenario_change(&a->sc, &sc, change, sizeof change);
		a->cmp_swap = 0;
		snprintf(a->cmp_label[0], sizeof a->cmp_label[0], "%s", a->sc.name ? a->sc.name : "");
		snprintf(a->cmp_label[1], sizeof a->cmp_label[1], "twin %.60s: %.240s", sc.name ? sc.name : "",
			 change[0] ? change : "other settings");
		scenario_free(&sc);
	} else {
		snprintf(a->msg, sizeof a->msg,
			 "compare: this lesson has no twin and runs as its file says: press v, t, a or b first");
		a->msg_err = 1;
		return -1;
	}
	a->have_cmp = 1;
	if (trace_diff_runs(left_trace(a), right_trace(a), &a->cmp_diff)) {
		snprintf(a->msg, sizeof a->msg, "compare: out of memory");
		a->msg_err = 1;
		clear_views(a);
		return -1;
	}
	a->cmp_for = a->res.trace.ev;
	return 0;
}

/* The hop whose two attacker links the four columns show: 1 (client-attacker and
 * attacker-server), else 2 (server-attacker and attacker-MX); 0 when neither has both. */
static int wire_hop(const struct trace *t)
{
	if (trace_wire_has_links(t))
		return 1;
	int sa = 0, am = 0;
	for (size_t i = 0; i < t->n; i++) {
		sa |= t->ev[i].link == LINK_SERVER_MITM && t->ev[i].layer != LAYER_NOTE;
		am |= t->ev[i].link == LINK_MITM_MX && t->ev[i].layer != LAYER_NOTE;
	}
	return sa && am ? 2 : 0;
}

/* trace_diff_wire lines up hop 1's two attacker links. For a run with a route, it gets a
 * copy of the trace (the same events at the same places) where the other hop's events
 * are out of its sight, and for hop 2 the server, the attacker and the MX stand in for
 * the client, the attacker and the server. */
static int diff_wire_hop(const struct trace *t, int hop, struct trace_wire *w)
{
	int other = 0;
	for (size_t i = 0; i < t->n && !other; i++)
		other = trace_link_hop(t->ev[i].link) != hop;
	if (hop == 1 && !other)
		return trace_diff_wire(t, w);
	struct trace_event *ev = malloc((t->n ? t->n : 1) * sizeof *ev);
	if (!ev)
		return -1;
	static const enum trace_link as_hop1[LINK_COUNT] = {
		[LINK_SERVER_MX] = LINK_CLIENT_SERVER, [LINK_SERVER_MITM] = LINK_CLIENT_MITM,
		[LINK_MITM_MX] = LINK_MITM_SERVER,
	};
	static const enum trace_actor actor_hop1[ACTOR_COUNT] = {
		[ACTOR_CLIENT] = ACTOR_CLIENT, [ACTOR_MITM] = ACTOR_MITM, [ACTOR_SERVER] = ACTOR_CLIENT,
		[ACTOR_MX] = ACTOR_SERVER,
	};
	for (size_t i = 0; i < t->n; i++) {
		struct trace_event *e = &ev[i];
		*e = t->ev[i];
		if (trace_link_hop(e->link) != hop) {
			/* neither a note nor on an attacker link: left out */
			e->link = LINK_CLIENT_SERVER;
			e->layer = LAYER_CONNECTION;
			e->replay = 0;
		} else if (hop == 2) {
			e->link = as_hop1[e->link];
			if ((unsigned)e->from < ACTOR_COUNT)
				e->from = actor_hop1[e->from];
			if ((unsigned)e->to < ACTOR_COUNT)
				e->to = actor_hop1[e->to];
		}
	}
	struct trace view = *t;
	view.ev = ev;
	int r = trace_diff_wire(&view, w);
	free(ev);
	return r;
}

static int prepare_wire(struct app *a)
{
	clear_views(a);
	int hop = wire_hop(&a->res.trace);
	if (!hop) {
		snprintf(a->msg, sizeof a->msg,
			 "four columns: no attacker in the path of this run (press a to put one there)");
		a->msg_err = 1;
		return -1;
	}
	if (diff_wire_hop(&a->res.trace, hop, &a->cmp_wire)) {
		snprintf(a->msg, sizeof a->msg, "four columns: out of memory");
		a->msg_err = 1;
		return -1;
	}
	a->cmp_for = a->res.trace.ev;
	return 0;
}

/* The row showing the event under the main cursor, or the first difference. */
static size_t row_of_cursor(const struct app *a)
{
	if (a->compare) {
		for (size_t k = 0; k < a->cmp_diff.n; k++) {
			const struct trace_diff_row *r = &a->cmp_diff.rows[k];
			if ((size_t)(a->cmp_swap ? r->b : r->a) == a->cur)
				return k;
		}
		return 0;
	}
	for (size_t k = 0; k < a->cmp_wire.n; k++) {
		const struct trace_wire_row *r = &a->cmp_wire.rows[k];
		if ((size_t)r->ca == a->cur || (size_t)r->as == a->cur || (size_t)r->note == a->cur)
			return k;
	}
	return 0;
}

void ui_compare_toggle(struct app *a)
{
	if (a->compare) {
		ui_compare_free(a);
		return;
	}
	a->fourcol = 0;
	if (prepare_runs(a))
		return;
	a->compare = 1;
	a->playing = 0;
	a->cmp_sel = a->cmp_diff.first < a->cmp_diff.n ? a->cmp_diff.first : row_of_cursor(a);
	a->cmp_top = a->cmp_sel > 3 ? a->cmp_sel - 3 : 0;
}

void ui_fourcol_toggle(struct app *a)
{
	if (a->fourcol) {
		ui_compare_free(a);
		return;
	}
	a->compare = 0;
	if (prepare_wire(a))
		return;
	a->fourcol = 1;
	a->playing = 0;
	a->cmp_sel = row_of_cursor(a);
	a->cmp_top = a->cmp_sel > 3 ? a->cmp_sel - 3 : 0;
}

static size_t nrows(const struct app *a)
{
	return a->compare ? a->cmp_diff.n : a->cmp_wire.n;
}

static int row_differs(const struct app *a, size_t k)
{
	if (a->compare)
		return a->cmp_diff.rows[k].mark != TRACE_DIFF_SAME;
	enum trace_wire_mark m = a->cmp_wire.rows[k].mark;
	return m != TRACE_WIRE_RELAYED && m != TRACE_WIRE_NOTE;
}

/* The main cursor follows the selected row when it shows the run on show. */
static void follow(struct app *a)
{
	size_t k = a->cmp_sel;
	if (k >= nrows(a))
		return;
	int ev = -1;
	if (a->compare) {
		const struct trace_diff_row *r = &a->cmp_diff.rows[k];
		ev = a->cmp_swap ? r->b : r->a;
	} else {
		const struct trace_wire_row *r = &a->cmp_wire.rows[k];
		ev = r->note >= 0 ? r->note : r->ca >= 0 ? r->ca : r->as;
	}
	if (ev >= 0)
		ui_goto(a, (size_t)ev);
}

int ui_compare_key(struct app *a, int ch)
{
	if (!a->compare && !a->fourcol)
		return 0;
	size_t n = nrows(a);
	switch (ch) {
	case 'j': case KEY_DOWN:
		if (a->cmp_sel + 1 < n)
			a->cmp_sel++;
		break;
	case 'k': case KEY_UP:
		if (a->cmp_sel)
			a->cmp_sel--;
		break;
	case KEY_NPAGE: case ' ':
		a->cmp_sel = a->cmp_sel + 10 < n ? a->cmp_sel + 10 : n ? n - 1 : 0;
		break;
	case KEY_PPAGE:
		a->cmp_sel = a->cmp_sel > 10 ? a->cmp_sel - 10 : 0;
		break;
	case 'g': case KEY_HOME:
		a->cmp_sel = 0;
		break;
	case 'G': case KEY_END:
		a->cmp_sel = n ? n - 1 : 0;
		break;
	case ']': case 'n': {
		size_t k = a->cmp_sel + 1;
		while (k < n && !(row_differs(a, k) && !row_differs(a, k - 1)))
			k++;
		if (k < n)
			a->cmp_sel = k;
		else
			snprintf(a->msg, sizeof a->msg, "no further difference");
		break;
	}
	case '[': case 'N': {
		size_t k = a->cmp_sel;
		while (k > 0 && !(row_differs(a, k - 1) && (k - 1 == 0 || !row_differs(a, k - 2))))
			k--;
		if (k > 0)
			a->cmp_sel = k - 1;
		else
			snprintf(a->msg, sizeof a->msg, "no earlier difference");
		break;
	}
	case '\n': case '\r': case KEY_ENTER:
		follow(a);
		ui_compare_free(a);
		return 1;
	case 27: case 'q':
		ui_compare_free(a);
		return 1;
	default:
		return 0;
	}
	follow(a);
	return 1;
}

/* ---- drawing ---- */

static char actor_letter(enum trace_actor x)
{
	return x == ACTOR_CLIENT ? 'C' : x == ACTOR_MITM ? 'A' : x == ACTOR_MX ? 'M' : 'S';
}

/* "C → A", "A ← S", or "  S  " for a note: the link's dialling end on the left (the
 * client, or on hop 2 the relaying server), as in the diagram. */
static void arrow(const struct app *a, const struct trace_event *e, char *buf, size_t cap)
{
	if (e->layer == LAYER_NOTE) {
		snprintf(buf, cap, "  %c  ", actor_letter(e->from));
		return;
	}
	int fwd = ui_event_upstream(e);
	enum trace_actor l = fwd ? e->from : e->to, r = fwd ? e->to : e->from;
	snprintf(buf, cap, "%c %s %c", actor_letter(l), fwd ? (a->utf8 ? "→" : ">") : (a->utf8 ? "←" : "<"),
		 actor_letter(r));
}

static const char *attack_mark(const struct app *a, int attack)
{
	switch (attack) {
	case ATTACK_DELETED: return a->utf8 ? "−" : "-";
	case ATTACK_ADDED: return "+";
	case ATTACK_REPLACED: case ATTACK_FORGED: case ATTACK_TAMPERED: return "~";
	case ATTACK_NONE: return " ";
	default: return "!";
	}
}

/* One event in w columns: step, arrow, attack mark, summary. */
static void draw_event(const struct app *a, int y, int x, int w, const struct trace *t, int i, attr_t extra)
{
	if (i < 0 || w < 8)
		return;
	const struct trace_event *e = &t->ev[i];
	char ar[16], line[512];
	arrow(a, e, ar, sizeof ar);
	snprintf(line, sizeof line, "%4d %s %s %s", i + 1, ar, attack_mark(a, e->attack), e->summary ? e->summary : "");
	ui_text(y, x, w, line, ui_event_attr(a, e) | extra);
}

static void header(struct app *a, const char *title, const char *hint)
{
	attr_t bar = ui_pair(a, CP_STATUS);
	attron(bar);
	mvhline(0, 0, ' ', COLS);
	mvhline(1, 0, ' ', COLS);
	attroff(bar);
	ui_text(0, 1, COLS - 2, title, bar | A_BOLD);
	ui_text(1, 1, COLS - 2, a->msg[0] ? a->msg : hint, a->msg_err ? ui_pair(a, CP_ERROR) | A_BOLD : bar);
}

/* Keeps the selected row on screen, h rows tall. */
static void scroll_to_sel(struct app *a, int h)
{
	if (h < 1)
		h = 1;
	if (a->cmp_sel < a->cmp_top)
		a->cmp_top = a->cmp_sel;
	if (a->cmp_sel >= a->cmp_top + (size_t)h)
		a->cmp_top = a->cmp_sel - (size_t)h + 1;
}

static const char *const HINT = "j/k scroll together   ]/[ next/previous difference   Enter: go there   Esc: close";

static void draw_runs(struct app *a)
{
	const struct trace_diff *d = &a->cmp_diff;
	char title[512];
	if (d->first < d->n) {
		const struct trace_diff_row *f = &d->rows[d->first];
		int step = a->cmp_swap ? f->b : f->a;
		if (step < 0)
			step = a->cmp_swap ? f->a : f->b;
		snprintf(title, sizeof title, "compare two runs: %zu rows, first difference at row %zu (step %d)", d->n,
			 d->first + 1, step + 1);
	} else {
		snprintf(title, sizeof title, "compare two runs: the same, event for event");
	}
	header(a, title, HINT);
	int top = 3, h = LINES - top;
	int gut = 3, cw = (COLS - gut) / 2;
	int lx = 0, mx = cw, rx = cw + gut;
	attr_t lab = A_BOLD | A_UNDERLINE;
	ui_text(2, lx, cw - 1, a->cmp_label[0], lab);
	ui_text(2, rx, COLS - rx, a->cmp_label[1], lab);
	scroll_to_sel(a, h);
	const struct trace *L = left_trace(a), *R = right_trace(a);
	const char *gap = a->utf8 ? "·" : ".";
	for (int row = 0; row < h; row++) {
		size_t k = a->cmp_top + (size_t)row;
		if (k >= d->n)
			break;
		const struct trace_diff_row *r = &d->rows[k];
		int y = top + row;
		attr_t sel = k == a->cmp_sel ? A_REVERSE : 0;
		attr_t diff = r->mark != TRACE_DIFF_SAME ? A_BOLD : A_DIM;
		if (sel)
			mvhline(y, 0, ' ', COLS), mvchgat(y, 0, COLS, A_REVERSE, 0, NULL);
		const char *m = " ";
		switch (r->mark) {
		case TRACE_DIFF_SAME: m = " "; break;
		case TRACE_DIFF_CHANGED: m = a->utf8 ? "≠" : "~"; break;
		case TRACE_DIFF_ONLY_A: m = a->utf8 ? "−" : "-"; break;
		case TRACE_DIFF_ONLY_B: m = "+"; break;
		}
		if (k == d->first)
			ui_text(y, mx, 1, a->utf8 ? "▶" : ">", ui_pair(a, CP_ATTACK) | A_BOLD | sel);
		ui_text(y, mx + 1, 1, m, A_BOLD | sel);
		if (r->a >= 0)
			draw_event(a, y, lx, cw - 1, L, r->a, (r->mark == TRACE_DIFF_SAME ? A_DIM : 0) | sel);
		else
			ui_text(y, lx + 5, 1, gap, A_DIM | sel);
		if (r->b >= 0)
			draw_event(a, y, rx, COLS - rx, R, r->b, (r->mark == TRACE_DIFF_SAME ? A_DIM : 0) | sel);
		else
			ui_text(y, rx + 5, 1, gap, A_DIM | sel);
		(void)diff;
	}
}

static const char *wire_mark(const struct app *a, enum trace_wire_mark m)
{
	switch (m) {
	case TRACE_WIRE_CHANGED: case TRACE_WIRE_FORGED: return "~";
	case TRACE_WIRE_DELETED: return a->utf8 ? "−" : "-";
	case TRACE_WIRE_ADDED: return "+";
	default: return " ";
	}
}

/* One wire message in a link column: its direction and summary. */
static void draw_wire(const struct app *a, int y, int x, int w, int i, attr_t extra)
{
	const struct trace_event *e = &a->res.trace.ev[i];
	int up = ui_event_upstream(e);  /* towards the server (on hop 2, the MX) */
	char line[512];
	snprintf(line, sizeof line, "%4d %s %s", i + 1, up ? (a->utf8 ? "→" : ">") : (a->utf8 ? "←" : "<"),
		 e->summary ? e->summary : "");
	ui_text(y, x, w, line, ui_event_attr(a, e) | extra);
}

/* The message's ghost where it never arrived (deleted) or never came from (added). */
static void draw_ghost(const struct app *a, int y, int x, int w, int i, enum trace_wire_mark m, attr_t extra)
{
	const struct trace_event *e = &a->res.trace.ev[i];
	char line[512];
	if (m == TRACE_WIRE_DELETED)
		snprintf(line, sizeof line, "     %s %s (deleted)", a->utf8 ? "−" : "-", e->summary ? e->summary : "");
	else {
		/* it claims to come from the far end of the hop: the side it travels from */
		enum trace_actor d, ans;
		ui_hop_ends(trace_link_hop(e->link), &d, &ans);
		snprintf(line, sizeof line, "     %s (not sent by the %s)", a->utf8 ? "·" : ".",
			 trace_actor_name(ui_event_upstream(e) ? d : ans));
	}
	ui_text(y, x, w, line, A_DIM | extra);
}

static void draw_fourcol(struct app *a)
{
	const struct trace_wire *wr = &a->cmp_wire;
	size_t del = 0, add = 0, chg = 0;
	for (size_t k = 0; k < wr->n; k++) {
		del += wr->rows[k].mark == TRACE_WIRE_DELETED;
		add += wr->rows[k].mark == TRACE_WIRE_ADDED;
		chg += wr->rows[k].mark == TRACE_WIRE_CHANGED || wr->rows[k].mark == TRACE_WIRE_FORGED;
	}
	char title[256];
	snprintf(title, sizeof title, "the wire as each side sees it: %zu deleted (−), %zu added (+), %zu forged or changed (~)",
		 del, add, chg);
	header(a, title, HINT);
	int top = 3, h = LINES - top;
	int sw = COLS * 16 / 100, gut = 2;
	int lw = (COLS - 2 * sw - gut) / 2;
	int x1 = 0, x2 = sw, xg = sw + lw, x3 = xg + gut, x4 = x3 + lw;
	int w4 = COLS - x4;
	attr_t lab = A_BOLD | A_UNDERLINE;
	/* hop 1: the client and the server at the ends; hop 2: the relaying server and the MX */
	int hop = wire_hop(&a->res.trace) == 2 ? 2 : 1;
	enum trace_actor end_l, end_r;
	ui_hop_ends(hop, &end_l, &end_r);
	ui_text(2, x1, sw - 1, hop == 2 ? "Server" : "Client", lab);
	ui_text(2, x2, lw - 1, hop == 2 ? "wire server-attacker" : "wire client-attacker", lab);
	ui_text(2, x3, lw - 1, hop == 2 ? "wire attacker-MX" : "wire attacker-server", lab);
	ui_text(2, x4, w4, hop == 2 ? "MX" : "Server", lab);
	scroll_to_sel(a, h);
	for (int row = 0; row < h; row++) {
		size_t k = a->cmp_top + (size_t)row;
		if (k >= wr->n)
			break;
		const struct trace_wire_row *r = &wr->rows[k];
		int y = top + row;
		attr_t sel = k == a->cmp_sel ? A_REVERSE : 0;
		if (sel)
			mvhline(y, 0, ' ', COLS), mvchgat(y, 0, COLS, A_REVERSE, 0, NULL);
		if (r->mark == TRACE_WIRE_NOTE) {
			const struct trace_event *e = &a->res.trace.ev[r->note];
			char line[512];
			snprintf(line, sizeof line, "%d %s", r->note + 1, e->summary ? e->summary : "");
			attr_t at = ui_event_attr(a, e) | sel;
			if (e->from == end_l)
				ui_text(y, x1, sw + lw - 1, line, at);
			else if (e->from == end_r)
				ui_text(y, x3, COLS - x3, line, at);
			else
				ui_text(y, x2, 2 * lw + gut - 1, line, at);
			continue;
		}
		ui_text(y, xg, 1, wire_mark(a, r->mark), ui_pair(a, CP_ATTACK) | A_BOLD | sel);
		int inside = r->mark == TRACE_WIRE_INSIDE;  /* a message read out of a relayed record */
		if (r->ca >= 0)
			draw_wire(a, y, x2 + 2 * inside, lw - 1 - 2 * inside, r->ca, sel);
		else if (r->as >= 0 && !inside)
			draw_ghost(a, y, x2, lw - 1, r->as, r->mark, sel);
		if (r->as >= 0)
			draw_wire(a, y, x3 + 2 * inside, lw - 1 - 2 * inside, r->as, sel);
		else if (r->ca >= 0 && !inside)
			draw_ghost(a, y, x3, lw - 1, r->ca, r->mark, sel);
	}
}

void ui_compare_draw(struct app *a)
{
	/* the run on show changed under the view (a what-if key): make it again */
	if (a->cmp_for != a->res.trace.ev) {
		int was_compare = a->compare;
		if (was_compare ? prepare_runs(a) : prepare_wire(a)) {
			a->compare = a->fourcol = 0;
			return;
		}
		a->cmp_sel = was_compare && a->cmp_diff.first < a->cmp_diff.n ? a->cmp_diff.first : row_of_cursor(a);
		a->cmp_top = 0;
	}
	if (a->compare)
		draw_runs(a);
	else if (a->fourcol)
		draw_fourcol(a);
}
