/* detail: the decoded fields of the current event as a tree. Fields come flattened with
 * a depth (sim/base/fields.h); a field is a group when the next one is deeper. Groups start
 * open — a student should see the SNI without hunting — and Enter folds the selected
 * one when the pane has focus. Folding state belongs to one event and resets when the
 * cursor moves. */
#include "ui/app.h"

#include <stdlib.h>
#include <string.h>

static int is_group(const struct fields *f, size_t i)
{
	return i + 1 < f->n && f->v[i + 1].depth > f->v[i].depth;
}

/* Fills vis with the indexes of the fields not hidden by a folded ancestor. */
static size_t visible(const struct app *a, const struct fields *f, size_t *vis)
{
	size_t n = 0;
	int hide_below = -1;
	for (size_t i = 0; i < f->n; i++) {
		if (hide_below >= 0 && f->v[i].depth > hide_below)
			continue;
		hide_below = -1;
		vis[n++] = i;
		if (i < a->ncollapsed && a->collapsed[i] && is_group(f, i))
			hide_below = f->v[i].depth;
	}
	return n;
}

/* Resets the folding state when the cursor has moved to another event. */
static void sync(struct app *a)
{
	if (!a->res.trace.n)
		return;
	const struct fields *f = &a->res.trace.ev[a->cur].fields;
	if (a->detail_event == a->cur && a->ncollapsed == f->n)
		return;
	free(a->collapsed);
	a->collapsed = calloc(f->n ? f->n : 1, 1);
	a->ncollapsed = a->collapsed ? f->n : 0;
	a->detail_sel = a->detail_top = 0;
	a->detail_event = a->cur;
}

static const char *readers_text(const struct trace_event *e)
{
	if (e->layer == LAYER_NOTE)
		return "a decision, not on the wire";
	if (e->readers & READ_WIRE)
		return "cleartext: anyone on the path can read it";
	if (e->replay == REPLAY_MAILBOX)
		return "crossed inside TLS; read later in the attacker's mailbox";
	if (e->replay)
		return "was encrypted; read later with the stolen key";
	if (e->readers & READ_MITM)
		return "encrypted, but the attacker is a TLS endpoint and reads it";
	return "encrypted: only the endpoints can read it";
}

void ui_detail_draw(struct app *a)
{
	const struct rect *r = &a->r_detail;
	if (r->h < 3 || r->w < 10 || !a->res.trace.n)
		return;
	sync(a);
	const struct trace_event *e = &a->res.trace.ev[a->cur];
	const struct fields *f = &e->fields;
	char title[64];
	snprintf(title, sizeof title, "detail: event %u", e->seq);
	ui_box(r, title, a->focus == PANE_DETAIL, a);
	struct rect in = { r->y + 1, r->x + 1, r->h - 2, r->w - 2 };

	char head[256];
	snprintf(head, sizeof head, "%s, %s%s%s: %s", trace_layer_name(e->layer),
		 trace_actor_name(e->from), e->layer == LAYER_NOTE ? "" : " to ",
		 e->layer == LAYER_NOTE ? "" : trace_actor_name(e->to), readers_text(e));
	ui_text(in.y, in.x, in.w, head, A_DIM);
	/* the summary in full: the diagram may have had to shorten it */
	ui_text(in.y + 1, in.x, in.w, e->summary, ui_event_attr(a, e) | A_BOLD);
	int y0 = in.y + 2, rows = in.h - 2;
	if (rows < 1)
		return;
	if (!f->n) {
		if (e->layer == LAYER_NOTE || ui_text_cols(e->summary) > in.w) {
			struct rect t = { y0, in.x, rows, in.w };
			ui_wrap_draw(&t, e->summary, A_NORMAL);
		}
		return;
	}
	size_t *vis = malloc(f->n * sizeof *vis);
	if (!vis)
		return;
	size_t nv = visible(a, f, vis);
	if (a->detail_sel >= nv)
		a->detail_sel = nv - 1;
	if (a->detail_sel < a->detail_top)
		a->detail_top = a->detail_sel;
	if (a->detail_sel >= a->detail_top + (size_t)rows)
		a->detail_top = a->detail_sel + 1 - (size_t)rows;
	for (int k = 0; k < rows && a->detail_top + (size_t)k < nv; k++) {
		size_t vi = a->detail_top + (size_t)k, i = vis[vi];
		const struct field *fd = &f->v[i];
		int grp = is_group(f, i);
		int x = in.x + 2 * fd->depth;
		int sel = a->focus == PANE_DETAIL && vi == a->detail_sel;
		if (x >= in.x + in.w - 4)
			x = in.x + in.w - 4;
		if (grp)
			ui_text(y0 + k, x, 1, a->collapsed[i] ? a->g->closed : a->g->open, A_BOLD);
		char line[2048];
		snprintf(line, sizeof line, "%s%s%s", fd->name, fd->value[0] ? ": " : "", fd->value);
		ui_text(y0 + k, x + 2, in.x + in.w - x - 2, line, sel ? A_REVERSE : grp ? A_BOLD : A_NORMAL);
	}
	if (a->detail_top > 0)
		ui_text(r->y, r->x + r->w - 6, 3, " ^ ", A_DIM);
	if (a->detail_top + (size_t)rows < nv)
		ui_text(r->y + r->h - 1, r->x + r->w - 6, 3, " v ", A_DIM);
	free(vis);
}

static void toggle(struct app *a, int want) /* want: -1 toggle, 0 open, 1 fold */
{
	const struct fields *f = &a->res.trace.ev[a->cur].fields;
	size_t *vis = malloc((f->n ? f->n : 1) * sizeof *vis);
	if (!vis)
		return;
	size_t nv = visible(a, f, vis);
	if (a->detail_sel < nv && is_group(f, vis[a->detail_sel])) {
		size_t i = vis[a->detail_sel];
		a->collapsed[i] = want < 0 ? !a->collapsed[i] : (unsigned char)want;
	}
	free(vis);
}

int ui_detail_key(struct app *a, int ch)
{
	if (!a->res.trace.n)
		return 0;
	sync(a);
	switch (ch) {
	case 'j': case KEY_DOWN:
		a->detail_sel++; /* clamped when drawn */
		return 1;
	case 'k': case KEY_UP:
		if (a->detail_sel)
			a->detail_sel--;
		return 1;
	case KEY_NPAGE:
		a->detail_sel += (size_t)(a->r_detail.h > 4 ? a->r_detail.h - 3 : 1);
		return 1;
	case KEY_PPAGE: {
		size_t step = (size_t)(a->r_detail.h > 4 ? a->r_detail.h - 3 : 1);
		a->detail_sel = a->detail_sel > step ? a->detail_sel - step : 0;
		return 1;
	}
	case '\n': case '\r': case KEY_ENTER:
		toggle(a, -1);
		return 1;
	case KEY_LEFT:
		toggle(a, 1);
		return 1;
	case KEY_RIGHT:
		toggle(a, 0);
		return 1;
	}
	return 0;
}

void ui_detail_click(struct app *a, int y)
{
	int row = y - (a->r_detail.y + 3);
	if (row < 0)
		return;
	sync(a);
	size_t want = a->detail_top + (size_t)row;
	if (want == a->detail_sel)
		toggle(a, -1);
	a->detail_sel = want;
}
