/* diagram: the sequence diagram. One lifeline per actor, one row per event (two in
 * presentation mode): an arrow from sender to receiver labelled with the event's summary,
 * coloured by who can read it. A TLS record is a thin line; the handshake messages and
 * SMTP lines found inside it follow as full arrows with their labels indented, so the
 * eye reads the messages and sees the records as their envelopes. Notes sit on the
 * deciding actor's lifeline. */
#include "ui/app.h"

#include <stdlib.h>
#include <string.h>

int ui_mitm_present(const struct app *a)
{
	return ledger_has_reader(&a->res.ledger, READER_ATTACKER);
}

struct geom {
	int x0, w;       /* inner area */
	int col[3];      /* lifeline column per actor */
	int first_row;   /* screen row of the first event */
	int rows;        /* rows for events */
	int rpe;         /* rows per event */
};

static void geometry(const struct app *a, struct geom *g)
{
	const struct rect *r = &a->r_diag;
	g->x0 = r->x + 1;
	g->w = r->w - 2;
	g->col[ACTOR_CLIENT] = g->x0 + 5 + 4;
	g->col[ACTOR_SERVER] = g->x0 + g->w - 6;
	g->col[ACTOR_MITM] = (g->col[ACTOR_CLIENT] + g->col[ACTOR_SERVER]) / 2;
	g->first_row = r->y + 2;
	g->rows = r->h - 3;
	g->rpe = a->present ? 2 : 1;
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

	if (e->layer == LAYER_NOTE) {
		int c = g->col[e->from];
		int room_right = g->x0 + g->w - (c + 2);
		ui_text(y, c, 1, gl->dot, at | A_BOLD);
		if (e->from == ACTOR_SERVER) {
			/* the server's notes grow leftwards from its lifeline */
			int left = g->col[ACTOR_CLIENT] + 2;
			int w = ui_text_cols(e->summary);
			if (w > c - 1 - left)
				w = c - 1 - left;
			ui_text(y, c - 1 - w, w, e->summary, label_at);
		} else
			ui_text(y, c + 2, room_right, e->summary, label_at);
		return;
	}

	int cf = g->col[e->from], ct = g->col[e->to];
	int lo = cf < ct ? cf : ct, hi = cf < ct ? ct : cf;
	int record = e->layer == LAYER_TLS_RECORD;
	const char *line = record ? gl->thin : a->present ? gl->dbl : gl->h;
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
	char label[512];
	snprintf(label, sizeof label, " %s ", e->summary);
	if (lw > 2)
		ui_text(label_y, lx, lw, label, label_at | (a->present ? A_BOLD : 0));
}

void ui_diagram_draw(struct app *a)
{
	struct geom g;
	geometry(a, &g);
	const struct rect *r = &a->r_diag;
	ui_box(r, "sequence", a->focus == PANE_DIAGRAM && !a->present, a);
	if (g.rows < 1 || g.w < 20)
		return;
	/* legend on the bottom border, when it fits */
	const char *legend = a->colour
		? " yellow: cleartext  green: encrypted  red: attack/alert  cyan: note "
		: " bold: cleartext  plain: encrypted  underlined: attack/alert  dim: note ";
	if (ui_text_cols(legend) <= r->w - 4)
		ui_text(r->y + r->h - 1, r->x + r->w - 2 - ui_text_cols(legend), r->w - 4, legend, A_DIM);

	int mitm = ui_mitm_present(a);
	centre(r->y + 1, g.col[ACTOR_CLIENT], "Client", A_BOLD);
	centre(r->y + 1, g.col[ACTOR_SERVER], "Server", A_BOLD);
	if (mitm)
		centre(r->y + 1, g.col[ACTOR_MITM], "Attacker", A_BOLD | ui_pair(a, CP_ATTACK));

	/* keep the cursor in view, with a little context above and below */
	size_t nvis = (size_t)(g.rows / g.rpe);
	if (nvis == 0)
		nvis = 1;
	size_t ctx = nvis >= 8 ? 2 : 0;
	if (a->cur < a->diag_top + ctx)
		a->diag_top = a->cur > ctx ? a->cur - ctx : 0;
	if (a->cur + ctx >= a->diag_top + nvis)
		a->diag_top = a->cur + ctx + 1 - nvis;
	if (a->diag_top + nvis > a->res.trace.n)
		a->diag_top = a->res.trace.n > nvis ? a->res.trace.n - nvis : 0;

	if (a->nrow_event < LINES) {
		int *p = realloc(a->row_event, (size_t)LINES * sizeof *p);
		if (!p)
			return;
		a->row_event = p;
		a->nrow_event = LINES;
	}
	for (int i = 0; i < a->nrow_event; i++)
		a->row_event[i] = -1;

	for (int y = 0; y < g.rows; y++) {
		int yy = g.first_row + y;
		ui_text(yy, g.col[ACTOR_CLIENT], 1, a->g->v, A_DIM);
		ui_text(yy, g.col[ACTOR_SERVER], 1, a->g->v, A_DIM);
		if (mitm)
			ui_text(yy, g.col[ACTOR_MITM], 1, a->g->v, A_DIM | ui_pair(a, CP_ATTACK));
	}
	for (size_t k = 0; k < nvis && a->diag_top + k < a->res.trace.n; k++) {
		int y = g.first_row + (int)k * g.rpe;
		draw_event(a, &g, a->diag_top + k, y);
		for (int j = 0; j < g.rpe; j++)
			if (y + j < a->nrow_event)
				a->row_event[y + j] = (int)(a->diag_top + k);
	}
}

int ui_diagram_hit(const struct app *a, int y, int x)
{
	const struct rect *r = &a->r_diag;
	if (x <= r->x || x >= r->x + r->w - 1 || y < 0 || y >= a->nrow_event)
		return -1;
	return a->row_event[y];
}
