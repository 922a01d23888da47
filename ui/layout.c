/* layout: where each pane goes for the terminal's current size, the narration pane, and
 * the whole-screen redraw. Wide terminals get the diagram on the left and detail and
 * bytes stacked on the right; from 80 columns the diagram is on top and detail and
 * bytes share the bottom. Presentation mode keeps only the diagram and a narration box
 * sized to its text (at most NARR_PRESENT_W columns, centred: lines a room can read).
 * The status bar always has its third row, so nothing moves when a message or a
 * what-if appears, and the bottom row holds the key hints. Everything is recomputed on
 * every draw, so a resize needs nothing more. */
#include "ui/app.h"

#include <stdio.h>
#include <string.h>

#define NARR_PRESENT_W 70

struct widest {
	int w;
};

static void widest_line(void *ctx, int line, const char *p, int n)
{
	(void)line;
	struct widest *m = ctx;
	char buf[512];
	snprintf(buf, sizeof buf, "%.*s", n, p);
	int c = ui_text_cols(buf);
	if (c > m->w)
		m->w = c;
}

int ui_too_small(void)
{
	return COLS < UI_MIN_W || LINES < UI_MIN_H;
}

/* The narration text of the cursor's event; at the last event, the outcome too. */
static void narration_text(const struct app *a, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (!a->res.trace.n)
		return;
	const struct trace_event *e = &a->res.trace.ev[a->cur];
	const char *n = e->narration ? e->narration : e->summary;
	if (a->cur + 1 == a->res.trace.n)
		snprintf(buf, cap, "%s\n\nOutcome: %s", n ? n : "", a->res.outcome.summary);
	else
		snprintf(buf, cap, "%s", n ? n : "");
}

int ui_narration_lines(const struct app *a, int w)
{
	char buf[2048];
	narration_text(a, buf, sizeof buf);
	return ui_wrap(buf, w, NULL, NULL);
}

void ui_narration_draw(struct app *a)
{
	const struct rect *r = &a->r_narr;
	if (r->h < 3)
		return;
	int last = a->res.trace.n && a->cur + 1 == a->res.trace.n;
	ui_box(r, last ? "narration and outcome" : "narration", 0, a);
	char buf[2048];
	narration_text(a, buf, sizeof buf);
	int margin = a->present ? 2 : 1;
	struct rect in = { r->y + 1, r->x + margin, r->h - 2, r->w - 2 * margin };
	ui_wrap_draw(&in, buf, a->present ? A_BOLD : A_NORMAL);
}

void ui_layout(struct app *a)
{
	int H = LINES - 1, W = COLS; /* the last row: key hints */
	a->r_hints = (struct rect){ H, 0, 1, W };
	/* the status block keeps its rows whatever comes and goes in it (search, what-if,
	 * messages), so the panes below never move */
	int sh = ui_status_height(a);
	a->r_status = (struct rect){ 0, 0, sh, W };
	int last = a->res.trace.n && a->cur + 1 == a->res.trace.n;
	int nh;
	if (a->present) {
		int tw = W - 6 < NARR_PRESENT_W ? W - 6 : NARR_PRESENT_W;
		char buf[2048];
		narration_text(a, buf, sizeof buf);
		struct widest m = { 0 };
		int need = ui_wrap(buf, tw, widest_line, &m);
		nh = need + 2;
		if (nh < 3)
			nh = 3;
		if (nh > H / 2)
			nh = H / 2;
		int bw = m.w + 6;
		if (bw < 40)
			bw = 40;
		if (bw > W)
			bw = W;
		a->r_narr = (struct rect){ H - nh, (W - bw) / 2, nh, bw };
	} else {
		int need = ui_narration_lines(a, W - 2);
		int cap = last ? H / 2 : 6;
		nh = need + 2;
		if (nh < 4)
			nh = 4;
		if (nh > cap)
			nh = cap;
		a->r_narr = (struct rect){ H - nh, 0, nh, W };
	}
	int top = sh, mid = H - sh - nh;
	if (a->present) {
		a->r_diag = (struct rect){ top, 0, mid, W };
		a->r_detail = a->r_hex = (struct rect){ 0, 0, 0, 0 };
		return;
	}
	if (W >= 150) {
		int dw = W * 58 / 100;
		int dh = mid * 60 / 100;
		a->r_diag = (struct rect){ top, 0, mid, dw };
		a->r_detail = (struct rect){ top, dw, dh, W - dw };
		a->r_hex = (struct rect){ top + dh, dw, mid - dh, W - dw };
	} else {
		int dgh = mid * 55 / 100;
		if (dgh < 8)
			dgh = 8;
		int bh = mid - dgh;
		if (bh < 4) {
			/* no room for detail and bytes (the outcome at 80x24): leave them out
			 * rather than draw boxes over their own borders */
			a->r_diag = (struct rect){ top, 0, mid, W };
			a->r_detail = a->r_hex = (struct rect){ 0, 0, 0, 0 };
			return;
		}
		a->r_diag = (struct rect){ top, 0, dgh, W };
		a->r_detail = (struct rect){ top + dgh, 0, bh, W / 2 };
		a->r_hex = (struct rect){ top + dgh, W / 2, bh, W - W / 2 };
	}
}

static void draw_too_small(void)
{
	char m[96];
	snprintf(m, sizeof m, "terminal too small: need %dx%d, have %dx%d", UI_MIN_W, UI_MIN_H, COLS, LINES);
	const char *q = "resize the window, or press Q to quit";
	int y = LINES / 2 - 1;
	int x = (COLS - (int)strlen(m)) / 2;
	mvaddnstr(y < 0 ? 0 : y, x < 0 ? 0 : x, m, COLS);
	x = (COLS - (int)strlen(q)) / 2;
	if (LINES > 2)
		mvaddnstr(y + 1, x < 0 ? 0 : x, q, COLS);
}

void ui_draw(struct app *a)
{
	erase();
	if (ui_too_small()) {
		draw_too_small();
		refresh();
		return;
	}
	if (a->compare || a->fourcol) {
		ui_compare_draw(a);
		refresh();
		return;
	}
	ui_layout(a);
	ui_diagram_draw(a);
	if (!a->present && a->r_detail.h >= 3) {
		if (a->math)
			ui_math_draw(a, &a->r_detail);
		else
			ui_detail_draw(a);
		ui_hex_draw(a);
	}
	ui_narration_draw(a);
	ui_status_draw(a);
	if (a->picking)
		ui_picker_draw(a);
	if (a->help)
		ui_help_draw(a);
	if (a->lesson)
		ui_lesson_draw(a);
	ui_hints_draw(a);
	refresh();
}
