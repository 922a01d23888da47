/* diagram: the sequence diagram. One lifeline per actor, one row per event (two in
 * presentation mode): an arrow from sender to receiver labelled with the event's summary,
 * coloured by who can read it. A TLS record is a thin line; the handshake messages and
 * SMTP lines found inside it follow as full arrows with their labels indented, so the
 * eye reads the messages and sees the records as their envelopes. Notes sit on the
 * deciding actor's lifeline.
 *
 * Colour says who can read an event (draw.c); three narrow columns before the client's
 * lifeline say the rest: the reader badge (W anyone on the wire, E the endpoints only,
 * A the attacker too), what the attacker did to it (- deleted, + added, ~ forged or
 * replaced, ! tampered, @ the attacker acts, a replay mark for what it decrypted later)
 * and a key moment (a secret first exposed, the attack taking effect, TLS up; a failed
 * check gets a cross). Events the attacker only learns later sit below a "months later"
 * separator. The legends on the box's edges list what this run uses. */
#include "ui/app.h"

#include <stdlib.h>
#include <string.h>

int ui_mitm_present(const struct app *a)
{
	return ledger_has_reader(&a->res.ledger, READER_ATTACKER);
}

struct geom {
	int x0, w;       /* inner area */
	struct ui_route rt;
	int col[ACTOR_COUNT]; /* lifeline column per actor, -1 for one without a place */
	int first_row;   /* screen row of the first event */
	int rows;        /* rows for events */
	int rpe;         /* rows per event */
};

/* The places spread evenly from the client's column to the last one: client, attacker,
 * server as always; with a route, up to four in route order (route.c). */
static void geometry(const struct app *a, struct geom *g)
{
	const struct rect *r = &a->r_diag;
	g->x0 = r->x + 1;
	g->w = r->w - 2;
	ui_route_of(a, &g->rt);
	int first = g->x0 + 5 + 4, last = g->x0 + g->w - 6;
	for (int k = 0; k < ACTOR_COUNT; k++)
		g->col[k] = -1;
	for (int k = 0; k < g->rt.n; k++)
		g->col[g->rt.order[k]] = g->rt.n > 1 ? first + (last - first) * k / (g->rt.n - 1) : first;
	g->first_row = r->y + 2;
	g->rows = r->h - 3;
	g->rpe = a->present ? 2 : 1;
}

/* An actor's column, or -1 when it has none. */
static int column(const struct geom *g, enum trace_actor x)
{
	return (unsigned)x < ACTOR_COUNT ? g->col[x] : -1;
}

static void centre(int y, int col, const char *s, attr_t attr)
{
	int w = ui_text_cols(s);
	ui_text(y, col - w / 2, w, s, attr);
}

static void draw_event(struct app *a, const struct geom *g, size_t i, int y)
{
	const struct trace_event *e = &a->res.trace.ev[i];
	const struct glyphs *gl = a->g;
	int current = i == a->cur;
	attr_t at = ui_event_attr(a, e);
	attr_t label_at = at | (current ? A_REVERSE | A_BOLD : 0);
	int arrow_y = y + g->rpe - 1, label_y = y;

	char num[16];
	snprintf(num, sizeof num, "%4u", e->seq);
	ui_text(y, g->x0, 4, num, current ? A_REVERSE | A_BOLD : A_DIM);
	if (current)
		ui_text(y, g->x0 + 4, 1, gl->right, A_BOLD);
	else if (ui_event_matches(a, i)) /* a search match (/, n, N) */
		ui_text(y, g->x0 + 4, 1, "/", A_BOLD);
	/* the reader badge, the attacker's mark, the key moment */
	const char *badge = ui_readers_badge(ui_event_readers(e));
	if (badge[0])
		ui_text(y, g->x0 + 5, 1, badge, at | A_BOLD);
	const char *mark = ui_attack_mark(a, e);
	if (mark)
		ui_text(y, g->x0 + 6, 1, mark, ui_mark_attr(a));
	int mk = ui_moment_kinds(a, i);
	if (mk & UM_FAILED)
		ui_text(y, g->x0 + 7, 1, a->utf8 ? "✗" : "X", ui_mark_attr(a));
	else if (mk)
		ui_text(y, g->x0 + 7, 1, a->utf8 ? "◆" : "*", ui_mark_attr(a));
	int exposed = ui_exposed_readers(a, i) != 0;
	int works = (mk & UM_WORKS) != 0;

	if (e->layer == LAYER_NOTE) {
		int c = column(g, e->from);
		if (c < 0)
			return;
		int left = g->col[g->rt.order[0]] + 2;
		int room_right = g->x0 + g->w - (c + 2);
		ui_text(y, c, 1, gl->dot, at | A_BOLD);
		char note[1024];
		snprintf(note, sizeof note, "%s%s", works ? "attack works: " : "", e->summary);
		int room_left = c - 1 - left, w0 = ui_text_cols(note);
		if (g->rt.pos[e->from] == g->rt.n - 1 ||
		    (g->rt.hop2 && g->rt.pos[e->from] > 0 && w0 > room_right && room_left > room_right)) {
			/* the last actor's notes (the server's, or the MX's) grow leftwards from
			 * its lifeline; with a route, so do those of an actor in the middle
			 * when they fit better there */
			int w = w0;
			if (w > c - 1 - left)
				w = c - 1 - left;
			ui_text(y, c - 1 - w, w, note, label_at);
		} else if (g->rt.pos[e->from] > 0 && room_right < 30) {
			/* one in the middle: from the client's lifeline when the right side is too
			 * narrow to say anything */
			ui_text(y, left, g->x0 + g->w - left - 1, note, label_at);
			ui_text(y, c, 1, gl->dot, at | A_BOLD);
		} else
			ui_text(y, c + 2, room_right, note, label_at);
		return;
	}

	int cf = column(g, e->from), ct = column(g, e->to);
	if (cf < 0 || ct < 0)
		return;
	int lo = cf < ct ? cf : ct, hi = cf < ct ? ct : cf;
	int record = e->layer == LAYER_TLS_RECORD;
	const char *line = record ? gl->thin : e->replay ? (a->utf8 ? "╌" : ":") : a->present ? gl->dbl : gl->h;
	attr_t line_at = at | (a->present && !record ? A_BOLD : 0) | (current ? A_BOLD : 0);
	ui_fill(arrow_y, lo + 1, hi - lo - 1, line, line_at);
	if (ct > cf)
		ui_text(arrow_y, hi - 1, 1, record ? gl->thin_right : gl->right, line_at);
	else
		ui_text(arrow_y, lo + 1, 1, record ? gl->thin_left : gl->left, line_at);

	/* the label: children of a record indented under it */
	int indent = e->parent >= 0 ? 5 : 3;
	int lx = lo + indent, lw = hi - lo - indent - 2;
	if (a->present && label_y != arrow_y) {
		lx = lo + indent - 1;
		lw = hi - lo - indent;
	}
	/* a key outcome on the row, in words, at the arrow's far end */
	const char *tag = exposed ? " exposed " : works ? " attack works " : NULL;
	if (tag && lw > 18) {
		int tw = ui_text_cols(tag);
		int tx = ct > cf ? hi - 2 - tw : lo + 2;
		ui_text(arrow_y, tx, tw, tag, ui_mark_attr(a));
		if (label_y == arrow_y) {
			lw -= tw + 1;
			if (ct < cf)
				lx += tw + 1;
		}
	}
	char label[512];
	snprintf(label, sizeof label, " %s ", e->summary);
	if (lw > 2)
		ui_text(label_y, lx, lw, label, label_at | (a->present ? A_BOLD : 0));
}

/* The first event the attacker learns later (a key theft or a replay), or -1. */
static long later_start(const struct app *a)
{
	for (size_t i = 0; i < a->res.trace.n; i++) {
		const struct trace_event *e = &a->res.trace.ev[i];
		if (e->replay || e->kind == TK_KEY_THEFT)
			return (long)i;
	}
	return -1;
}

static void separator(const struct app *a, const struct geom *g, int y, long at)
{
	const struct trace_event *e = &a->res.trace.ev[at];
	int mailbox = 0;
	for (size_t i = (size_t)at; i < a->res.trace.n; i++)
		if (a->res.trace.ev[i].replay) {
			mailbox = a->res.trace.ev[i].replay == REPLAY_MAILBOX;
			break;
		}
	(void)e;
	const char *t = mailbox ? " later: what the attacker reads in its mailbox "
				: " months later: the attacker's offline decryption of its recording ";
	ui_fill(y, g->x0, g->w, a->utf8 ? "┈" : "~", ui_pair(a, CP_MITM) | A_BOLD);
	int tw = ui_text_cols(t);
	int x = g->x0 + (g->w - tw) / 2;
	if (x < g->x0)
		x = g->x0;
	ui_text(y, x, g->w, t, ui_pair(a, CP_MITM) | A_BOLD | A_REVERSE);
}

/* The legends: the colours (who can read) on the bottom edge, the marks in use on the top
 * edge. Each is made of the items this run uses, the longest wording that fits. */
static void legends(struct app *a)
{
	const struct rect *r = &a->r_diag;
	int used[4] = { 0, 0, 0, 0 }, marks = 0, moments = 0;
	for (size_t i = 0; i < a->res.trace.n; i++) {
		const struct trace_event *e = &a->res.trace.ev[i];
		used[ui_event_readers(e)] = 1;
		if (e->replay)
			marks |= 1 << 8;
		else if (e->attack > 0 && e->attack < ATTACK_COUNT)
			marks |= 1 << e->attack;
		moments |= ui_moment_kinds(a, i);
	}
	/* bottom: who can read */
	static const char *const col[4] = { "cyan", "yellow", "green", "magenta" };
	static const char *const attrn[4] = { "dim", "bold", "plain", "underlined" };
	static const char *const words[3][4] = {
		{ "a decision, not on the wire", "anyone on the wire reads it", "only the endpoints read it", "the attacker reads it too" },
		{ "decision", "anyone on the wire", "endpoints only", "attacker too" },
		{ "note", "wire", "endpoints", "attacker" },
	};
	static const int order[4] = { UR_WIRE, UR_ENDPOINTS, UR_ATTACKER, UR_NOBODY };
	int room = r->w - 4;
	for (int lv = 0; lv < 6; lv++) {
		int verbose = lv % 3, named = lv < 3; /* the colour's name kept longest */
		char buf[400];
		size_t n = 0;
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s", a->colour ? " " : " no colour: ");
		for (int k = 0; k < 4; k++) {
			int u = order[k];
			if (!used[u])
				continue;
			const char *b = u == UR_NOBODY ? a->g->dot : ui_readers_badge((enum ui_readers)u);
			n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s%s %s  ", b, named ? " " : "",
					      named ? (a->colour ? col[u] : attrn[u]) : "", words[verbose][u]);
			if (n >= sizeof buf)
				break;
		}
		if (n >= 2 && n < sizeof buf)
			buf[n - 1] = '\0';
		if (ui_text_cols(buf) <= room || lv == 5) {
			/* each item in its own colour */
			int x = r->x + r->w - 2 - ui_text_cols(buf);
			if (x < r->x + 1)
				x = r->x + 1;
			const char *p = buf;
			int lim = r->x + r->w - 1;
			for (int k = -1; k < 4 && x < lim; k++) {
				int u = k < 0 ? -1 : order[k];
				if (k >= 0 && !used[u])
					continue;
				/* one item: up to the double space */
				const char *end = k < 0 ? p + (a->colour ? 1 : 12) : strstr(p, "  ");
				if (!end)
					end = p + strlen(p);
				else if (k >= 0)
					end += 2;
				char item[200];
				snprintf(item, sizeof item, "%.*s", (int)(end - p), p);
				static const int pair[4] = { CP_NOTE, CP_CLEAR, CP_ENC, CP_MITM };
				x += ui_text(r->y + r->h - 1, x, lim - x, item, k < 0 ? A_DIM : ui_pair(a, pair[u]));
				p = end;
			}
			break;
		}
	}
	/* top: the marks this run uses */
	struct { int bit; const char *u8, *ascii, *word; } mk[] = {
		{ 1 << ATTACK_DELETED, "−", "-", "deleted" },
		{ 1 << ATTACK_ADDED, "+", "+", "added" },
		{ (1 << ATTACK_FORGED) | (1 << ATTACK_REPLACED), "~", "~", "forged" },
		{ 1 << ATTACK_TAMPERED, "!", "!", "tampered" },
		{ (1 << ATTACK_PRESENT) | (1 << ATTACK_INTERCEPTED) | (1 << ATTACK_RECORDED), "@", "@", "attacker acts" },
		{ 1 << 8, "↺", "r", "decrypted later" },
	};
	char buf[400];
	size_t n = 0;
	buf[0] = '\0';
	for (size_t k = 0; k < sizeof mk / sizeof *mk; k++)
		if (marks & mk[k].bit)
			n += (size_t)snprintf(buf + n, sizeof buf - n, " %s %s ", a->utf8 ? mk[k].u8 : mk[k].ascii, mk[k].word);
	if ((moments & ~UM_FAILED) && n < sizeof buf)
		n += (size_t)snprintf(buf + n, sizeof buf - n, " %s key moment ", a->utf8 ? "◆" : "*");
	if ((moments & UM_FAILED) && n < sizeof buf)
		n += (size_t)snprintf(buf + n, sizeof buf - n, " %s failed ", a->utf8 ? "✗" : "X");
	int tx = r->x + 15; /* after " sequence * " */
	int tw = ui_text_cols(buf);
	if (n && tw <= r->x + r->w - 2 - tx)
		ui_text(r->y, r->x + r->w - 2 - tw, tw, buf, A_DIM);
	else if (n) {
		/* only the glyphs, when the words do not fit */
		char sh[200];
		size_t m = 0;
		for (size_t k = 0; k < sizeof mk / sizeof *mk && m < sizeof sh; k++)
			if (marks & mk[k].bit)
				m += (size_t)snprintf(sh + m, sizeof sh - m, " %s", a->utf8 ? mk[k].u8 : mk[k].ascii);
		if (moments && m < sizeof sh)
			snprintf(sh + m, sizeof sh - m, " %s ", a->utf8 ? "◆" : "*");
		int sw = ui_text_cols(sh);
		if (sw <= r->x + r->w - 2 - tx)
			ui_text(r->y, r->x + r->w - 2 - sw, sw, sh, A_DIM);
	}
}

void ui_diagram_draw(struct app *a)
{
	struct geom g;
	geometry(a, &g);
	const struct rect *r = &a->r_diag;
	ui_box(r, "sequence", a->focus == PANE_DIAGRAM && !a->present, a);
	if (g.rows < 1 || g.w < 20)
		return;
	legends(a);

	/* the names over the lifelines, shortened when the places are close together */
	static const char *const name[ACTOR_COUNT][2] = {
		[ACTOR_CLIENT] = { "Client", "C" }, [ACTOR_MITM] = { "Attacker", "Atk" },
		[ACTOR_SERVER] = { "Server", "S" }, [ACTOR_MX] = { "MX", "MX" },
	};
	int gap = g.rt.n > 1 ? (g.col[g.rt.order[g.rt.n - 1]] - g.col[g.rt.order[0]]) / (g.rt.n - 1) : g.w;
	for (int k = 0; k < g.rt.n; k++) {
		enum trace_actor x = g.rt.order[k];
		if (g.rt.lifeline[x])
			centre(r->y + 1, g.col[x], name[x][gap < 10], A_BOLD);
	}

	/* The events the filter shows (f), by position: the cursor is always one of them. */
	size_t n = a->res.trace.n, nv = 0;
	size_t *vis = malloc((n ? n : 1) * sizeof *vis);
	if (!vis)
		return;
	for (size_t i = 0; i < n; i++)
		if (ui_event_visible(a, i))
			vis[nv++] = i;
	size_t cpos = 0, tpos = 0;
	while (cpos + 1 < nv && vis[cpos] < a->cur)
		cpos++;
	while (tpos + 1 < nv && vis[tpos] < a->diag_top)
		tpos++;

	/* keep the cursor in view, with a little context above and below */
	size_t nvis = (size_t)(g.rows / g.rpe);
	if (nvis == 0)
		nvis = 1;
	size_t ctx = nvis >= 8 ? 2 : 0;
	long later = later_start(a);
	for (int pass = 0; pass < 2; pass++) {
		if (cpos < tpos + ctx)
			tpos = cpos > ctx ? cpos - ctx : 0;
		if (cpos + ctx >= tpos + nvis)
			tpos = cpos + ctx + 1 - nvis;
		if (tpos + nvis > nv)
			tpos = nv > nvis ? nv - nvis : 0;
		/* the "months later" separator takes a row when it is in view (not above the first row) */
		int sep_in_view = 0;
		for (size_t k = 1; later > 0 && k < nvis && tpos + k < nv; k++)
			sep_in_view |= vis[tpos + k] == (size_t)later;
		if (pass == 0 && sep_in_view && nvis > 1)
			nvis--;
		else
			break;
	}
	a->diag_top = nv ? vis[tpos] : 0;

	if (a->nrow_event < LINES) {
		int *p = realloc(a->row_event, (size_t)LINES * sizeof *p);
		if (!p) {
			free(vis);
			return;
		}
		a->row_event = p;
		a->nrow_event = LINES;
	}
	for (int i = 0; i < a->nrow_event; i++)
		a->row_event[i] = -1;

	for (int y = 0; y < g.rows; y++) {
		int yy = g.first_row + y;
		for (int k = 0; k < g.rt.n; k++)
			if (g.rt.lifeline[g.rt.order[k]])
				ui_text(yy, g.col[g.rt.order[k]], 1, a->g->v, A_DIM);
	}
	int sep_rows = 0;
	for (size_t k = 0; k < nvis && tpos + k < nv; k++) {
		size_t idx = vis[tpos + k];
		if (later > 0 && (size_t)later == idx && k > 0) {
			separator(a, &g, g.first_row + (int)k * g.rpe, later);
			sep_rows = 1;
		}
		int y = g.first_row + (int)k * g.rpe + sep_rows;
		draw_event(a, &g, idx, y);
		for (int j = 0; j < g.rpe; j++)
			if (y + j < a->nrow_event)
				a->row_event[y + j] = (int)idx;
	}
	free(vis);
}

int ui_diagram_hit(const struct app *a, int y, int x)
{
	const struct rect *r = &a->r_diag;
	if (x <= r->x || x >= r->x + r->w - 1 || y < 0 || y >= a->nrow_event)
		return -1;
	return a->row_event[y];
}
