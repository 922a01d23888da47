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
		return "cleartext: anyone on the wire can read it";
	if (e->replay == REPLAY_MAILBOX)
		return "crossed inside TLS; the attacker reads it later in its mailbox";
	if (e->replay)
		return "was encrypted; the attacker decrypts its recording later with the stolen key";
	if (e->readers & READ_MITM)
		return "encrypted, but the attacker is a TLS endpoint and reads it too";
	return "encrypted: only the endpoints can read it";
}

struct lines_ctx {
	char (*out)[512];
	int max, n;
};

static void collect(void *ctx, int line, const char *p, int n)
{
	struct lines_ctx *c = ctx;
	if (line < c->max) {
		snprintf(c->out[line], 512, "%.*s", n, p);
		c->n = line + 1;
	}
}

/* Draws s wrapped into at most maxl lines of width w from row y; when it needs more, the
 * last line shown ends with an ellipsis (a visible cut, never a silent one). Returns
 * the rows used. */
static int wrapped(const struct app *a, int y, int x, int w, int maxl, const char *s, attr_t at)
{
	if (maxl < 1)
		return 0;
	if (maxl == 1) { /* one line: as much as fits, then the ellipsis */
		ui_text(y, x, w, s, at);
		return 1;
	}
	char lines[16][512];
	struct lines_ctx c = { lines, 16, 0 };
	int total = ui_wrap(s, w, collect, &c);
	int n = total < maxl ? total : maxl;
	if (n > 16)
		n = 16;
	for (int i = 0; i < n; i++) {
		if (i == n - 1 && total > n) {
			char cut[600];
			snprintf(cut, sizeof cut, "%s%s", lines[i], a->g->ellipsis);
			/* make room for the ellipsis */
			int cols = ui_text_cols(cut);
			if (cols > w) {
				snprintf(cut, sizeof cut, "%s", lines[i]);
				char *p = cut + strlen(cut);
				while (p > cut && ui_text_cols(cut) > w - 1)
					*--p = '\0';
				strncat(cut, a->g->ellipsis, sizeof cut - strlen(cut) - 1);
			}
			ui_text(y + i, x, w, cut, at);
		} else
			ui_text(y + i, x, w, lines[i], at);
	}
	return n;
}

/* Rows field i takes at width w (its value wraps under itself). */
static int field_rows(const struct field *fd, int w)
{
	char line[2048];
	snprintf(line, sizeof line, "%s%s%s", fd->name, fd->value[0] ? ": " : "", fd->value);
	int n = ui_wrap(line, w, NULL, NULL);
	return n < 1 ? 1 : n > 6 ? 6 : n;
}

void ui_detail_draw(struct app *a)
{
	const struct rect *r = &a->r_detail;
	a->detail_nrows = 0;
	if (r->h < 2 || r->w < 10 || !a->res.trace.n)
		return;
	sync(a);
	const struct trace_event *e = &a->res.trace.ev[a->cur];
	const struct fields *f = &e->fields;
	char title[64];
	snprintf(title, sizeof title, "detail: event %u", e->seq);
	ui_box(r, title, a->focus == PANE_DETAIL, a); /* two rows: the edges alone, nothing on them */
	if (r->h < 3)
		return;
	struct rect in = { r->y + 1, r->x + 1, r->h - 2, r->w - 2 };
	if (in.h < 1)
		return;

	/* who can read it, then what it is: each wrapped, two lines at most when the pane
	 * has room for fields below, one otherwise (cut with an ellipsis) */
	char head[512];
	const char *badge = ui_readers_badge(ui_event_readers(e));
	snprintf(head, sizeof head, "%s%s%s (%s, %s%s%s)", badge, badge[0] ? " " : "", readers_text(e),
		 trace_layer_name(e->layer), trace_actor_name(e->from), e->layer == LAYER_NOTE ? "" : " to ",
		 e->layer == LAYER_NOTE ? "" : trace_actor_name(e->to));
	int roomy = in.h >= 12;
	int y = in.y, left = in.h;
	int used = wrapped(a, y, in.x, in.w, roomy ? 2 : 1, head, A_DIM);
	y += used;
	left -= used;
	if (left < 1)
		return;
	attr_t sat = ui_event_attr(a, e) | A_BOLD;
	if (!f->n) {
		/* no fields: the summary (a note's whole text) once, wrapped over the pane */
		wrapped(a, y, in.x, in.w, left, e->summary, sat);
		return;
	}
	used = wrapped(a, y, in.x, in.w, roomy ? 2 : 1, e->summary, sat);
	y += used;
	left -= used;
	if (left < 1)
		return;
	size_t *vis = malloc(f->n * sizeof *vis);
	if (!vis)
		return;
	size_t nv = visible(a, f, vis);
	if (a->detail_sel >= nv)
		a->detail_sel = nv - 1;
	if (a->detail_sel < a->detail_top)
		a->detail_top = a->detail_sel;
	/* long values wrap under themselves: all of them when everything fits, else only the
	 * selected one (the others end with an ellipsis) */
	int total_rows = 0;
	for (size_t vi = 0; vi < nv; vi++) {
		const struct field *fd = &f->v[vis[vi]];
		int x = 2 * fd->depth < in.w - 4 ? 2 * fd->depth : in.w - 4;
		total_rows += field_rows(fd, in.w - x - 2);
	}
	int wrap_all = total_rows <= left;
	int has_sel = a->focus == PANE_DETAIL;
	/* keep the selection in view, with the row after it when there is one (an opened
	 * group shows its first member) */
	for (;;) {
		int rows = 0;
		size_t last = a->detail_sel + (a->detail_sel + 1 < nv && left > 2 ? 1 : 0);
		for (size_t vi = a->detail_top; vi <= last && vi < nv; vi++) {
			const struct field *fd = &f->v[vis[vi]];
			int x = 2 * fd->depth < in.w - 4 ? 2 * fd->depth : in.w - 4;
			rows += wrap_all || (has_sel && vi == a->detail_sel) ? field_rows(fd, in.w - x - 2) : 1;
		}
		if (rows <= left || a->detail_top >= a->detail_sel)
			break;
		a->detail_top++;
	}
	/* and no empty rows at the bottom while there is something above */
	while (a->detail_top > 0) {
		int rows = 0;
		for (size_t vi = a->detail_top - 1; vi < nv; vi++) {
			const struct field *fd = &f->v[vis[vi]];
			int x = 2 * fd->depth < in.w - 4 ? 2 * fd->depth : in.w - 4;
			rows += wrap_all || (has_sel && vi == a->detail_sel) ? field_rows(fd, in.w - x - 2) : 1;
		}
		if (rows > left)
			break;
		a->detail_top--;
	}
	a->detail_y0 = y;
	int k = 0;
	size_t vi = a->detail_top;
	for (; k < left && vi < nv; vi++) {
		size_t i = vis[vi];
		const struct field *fd = &f->v[i];
		int grp = is_group(f, i);
		int x = in.x + 2 * fd->depth;
		int sel = a->focus == PANE_DETAIL && vi == a->detail_sel;
		if (x >= in.x + in.w - 4)
			x = in.x + in.w - 4;
		if (grp)
			ui_text(y + k, x, 1, a->collapsed[i] ? a->g->closed : a->g->open, A_BOLD);
		char line[2048];
		snprintf(line, sizeof line, "%s%s%s", fd->name, fd->value[0] ? ": " : "", fd->value);
		int maxl = wrap_all || sel ? (left - k < 6 ? left - k : 6) : 1;
		int n = wrapped(a, y + k, x + 2, in.x + in.w - x - 2, maxl, line,
				sel ? A_REVERSE : grp ? A_BOLD : A_NORMAL);
		for (int j = 0; j < n && k + j < 128; j++)
			a->detail_rowfield[k + j] = vi;
		k += n;
	}
	a->detail_nrows = k < 128 ? k : 128;
	if (a->detail_top > 0)
		ui_text(r->y, r->x + r->w - 6, 3, " ^ ", A_DIM);
	if (vi < nv)
		ui_text(r->y + r->h - 1, r->x + r->w - 6, 3, a->utf8 ? " ↓ " : "...", A_DIM); /* more below */
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

int ui_detail_range(struct app *a, size_t *off, size_t *len)
{
	if (!a->res.trace.n || a->math || (a->focus != PANE_DETAIL && a->focus != PANE_HEX))
		return 0;
	sync(a);
	const struct fields *f = &a->res.trace.ev[a->cur].fields;
	if (!f->n)
		return 0;
	size_t *vis = malloc(f->n * sizeof *vis);
	if (!vis)
		return 0;
	size_t nv = visible(a, f, vis);
	size_t i = vis[a->detail_sel < nv ? a->detail_sel : nv - 1];
	free(vis);
	if (f->v[i].has_range) {
		*off = f->v[i].off;
		*len = f->v[i].len;
		return 1;
	}
	/* up through the enclosing fields until one has bytes (a certificate's subject: the
	 * certificate) */
	int depth = f->v[i].depth;
	while (i > 0 && depth > 0) {
		i--;
		if (f->v[i].depth >= depth)
			continue;
		depth = f->v[i].depth;
		if (f->v[i].has_range) {
			*off = f->v[i].off;
			*len = f->v[i].len;
			return 1;
		}
	}
	return 0;
}

void ui_detail_click(struct app *a, int y)
{
	int row = y - a->detail_y0;
	if (row < 0 || row >= a->detail_nrows)
		return;
	sync(a);
	size_t want = a->detail_rowfield[row];
	if (want == a->detail_sel)
		toggle(a, -1);
	a->detail_sel = want;
}
