/* draw: the drawing primitives every pane uses — text that is cleaned of control bytes
 * and cut to a width, word wrap, boxes, and the attribute that says who can read an
 * event. UTF-8 or ASCII is decided once, from the locale, in ui_draw_init.
 *
 * Colour means one thing only: who can read an event — anyone on the wire (yellow),
 * the endpoints only (green), the attacker too (magenta), nobody: a decision (cyan).
 * What the attacker did to an event is a mark beside it, never a colour; so is a
 * failure. Without colour, attributes and the reader badge (W/E/A) carry the same. */
#include "ui/app.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>

static const struct glyphs glyphs_utf8 = {
	.h = "─", .v = "│", .thin = "┄", .dbl = "═", .right = "▶", .left = "◀",
	.thin_right = "▷", .thin_left = "◁", .dot = "●",
	.tl = "┌", .tr = "┐", .bl = "└", .br = "┘", .open = "▾", .closed = "▸", .ellipsis = "…",
};

static const struct glyphs glyphs_ascii = {
	.h = "-", .v = "|", .thin = ".", .dbl = "=", .right = ">", .left = "<",
	.thin_right = ">", .thin_left = "<", .dot = "*",
	.tl = "+", .tr = "+", .bl = "+", .br = "+", .open = "-", .closed = "+", .ellipsis = "~",
};

/* Set once by ui_draw_init: whether the terminal's locale can show UTF-8. The text
 * functions below need it and are called from every pane. */
static int utf8_ok;
static const struct glyphs *gl = &glyphs_ascii;

void ui_draw_init(struct app *a)
{
	const char *cs = nl_langinfo(CODESET);
	a->utf8 = cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8"));
	utf8_ok = a->utf8;
	gl = a->utf8 ? &glyphs_utf8 : &glyphs_ascii;
	a->g = gl;
	const char *nc = getenv("NO_COLOR");
	a->colour = has_colors() && !(nc && *nc);
	if (!a->colour)
		return;
	start_color();
	use_default_colors();
	init_pair(CP_CLEAR, COLOR_YELLOW, -1);
	init_pair(CP_ENC, COLOR_GREEN, -1);
	init_pair(CP_ATTACK, COLOR_RED, -1);
	init_pair(CP_NOTE, COLOR_CYAN, -1);
	init_pair(CP_RECORD, COLOR_BLUE, -1);
	init_pair(CP_STATUS, COLOR_BLACK, COLOR_CYAN);
	init_pair(CP_RECHDR, COLOR_BLACK, COLOR_MAGENTA);
	init_pair(CP_HSHDR, COLOR_BLACK, COLOR_YELLOW);
	init_pair(CP_ERROR, COLOR_WHITE, COLOR_RED);
	init_pair(CP_MITM, COLOR_MAGENTA, -1);
}

attr_t ui_pair(const struct app *a, int pair)
{
	if (a->colour)
		return COLOR_PAIR(pair);
	/* Without colour (NO_COLOR or a mono terminal), attributes and the reader badge
	 * tell the readers apart: cleartext bold, the attacker too underlined, notes dim. */
	switch (pair) {
	case CP_CLEAR: return A_BOLD;
	case CP_ATTACK: return A_UNDERLINE | A_BOLD;
	case CP_MITM: return A_UNDERLINE;
	case CP_NOTE: case CP_RECORD: return A_DIM;
	case CP_STATUS: return A_REVERSE;
	case CP_RECHDR: case CP_HSHDR: return A_UNDERLINE;
	case CP_ERROR: return A_REVERSE | A_BOLD;
	default: return A_NORMAL;
	}
}

enum ui_readers ui_event_readers(const struct trace_event *e)
{
	if (e->layer == LAYER_NOTE)
		return UR_NOBODY;
	if (e->replay)
		return UR_ATTACKER; /* decrypted (or read in a mailbox) later by the attacker */
	if (e->readers & READ_WIRE)
		return UR_WIRE;
	if (e->readers & READ_MITM)
		return UR_ATTACKER;
	return UR_ENDPOINTS;
}

const char *ui_readers_badge(enum ui_readers r)
{
	static const char *const b[] = { [UR_NOBODY] = "", [UR_WIRE] = "W", [UR_ENDPOINTS] = "E", [UR_ATTACKER] = "A" };
	return (unsigned)r < 4 ? b[r] : "";
}

attr_t ui_event_attr(const struct app *a, const struct trace_event *e)
{
	static const int pair[] = { [UR_NOBODY] = CP_NOTE, [UR_WIRE] = CP_CLEAR, [UR_ENDPOINTS] = CP_ENC,
				    [UR_ATTACKER] = CP_MITM };
	return ui_pair(a, pair[ui_event_readers(e)]);
}

/* What the attacker did to an event, as a one-column mark. */
const char *ui_attack_mark(const struct app *a, const struct trace_event *e)
{
	int u = a->utf8;
	if (e->replay)
		return u ? "↺" : "r";
	switch ((enum trace_attack)e->attack) {
	case ATTACK_NONE: case ATTACK_COUNT: return NULL;
	case ATTACK_DELETED: return u ? "−" : "-";
	case ATTACK_ADDED: return "+";
	case ATTACK_REPLACED: case ATTACK_FORGED: return "~";
	case ATTACK_TAMPERED: return "!";
	case ATTACK_PRESENT: case ATTACK_INTERCEPTED: case ATTACK_RECORDED: return "@";
	}
	return NULL;
}

attr_t ui_mark_attr(const struct app *a)
{
	(void)a;
	return A_BOLD | A_REVERSE;
}

/* Length in bytes of the character at p (1 for ASCII and for anything malformed). */
static int char_len(const unsigned char *p)
{
	if (!utf8_ok || p[0] < 0xc0)
		return 1;
	int n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
	for (int i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

int ui_text_cols(const char *s)
{
	int cols = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p += char_len(p))
		cols++;
	return cols;
}

int ui_text(int y, int x, int maxw, const char *s, attr_t attr)
{
	if (maxw <= 0 || !s)
		return 0;
	int total = ui_text_cols(s), used = 0;
	int room = total > maxw ? maxw - 1 : maxw;
	attron(attr);
	move(y, x);
	for (const unsigned char *p = (const unsigned char *)s; *p && used < room;) {
		int n = char_len(p);
		if (n > 1)
			addnstr((const char *)p, n);
		else if (*p < 0x20 || *p == 0x7f)
			addch(*p == '\t' ? ' ' : '.');
		else if (*p >= 0x80)
			addch('?'); /* not showable in this locale, or not UTF-8 at all */
		else
			addch(*p);
		p += n;
		used++;
	}
	if (total > maxw) {
		addstr(gl->ellipsis);
		used++;
	}
	attroff(attr);
	return used;
}

void ui_fill(int y, int x, int w, const char *glyph, attr_t attr)
{
	attron(attr);
	for (int i = 0; i < w; i++)
		mvaddstr(y, x + i, glyph);
	attroff(attr);
}

void ui_box(const struct rect *r, const char *title, int focused, const struct app *a)
{
	if (r->h < 2 || r->w < 2)
		return;
	(void)a; /* the focused border is bold, in no colour: green means "encrypted" */
	attr_t at = focused ? A_BOLD : A_DIM;
	ui_fill(r->y, r->x, r->w, gl->h, at);
	ui_fill(r->y + r->h - 1, r->x, r->w, gl->h, at);
	for (int i = 1; i < r->h - 1; i++) {
		ui_fill(r->y + i, r->x, 1, gl->v, at);
		ui_fill(r->y + i, r->x + r->w - 1, 1, gl->v, at);
	}
	ui_fill(r->y, r->x, 1, gl->tl, at);
	ui_fill(r->y, r->x + r->w - 1, 1, gl->tr, at);
	ui_fill(r->y + r->h - 1, r->x, 1, gl->bl, at);
	ui_fill(r->y + r->h - 1, r->x + r->w - 1, 1, gl->br, at);
	if (title) {
		char t[128];
		snprintf(t, sizeof t, " %s%s ", title, focused ? " *" : "");
		ui_text(r->y, r->x + 2, r->w - 4, t, at);
	}
}

int ui_wrap(const char *s, int w, void (*fn)(void *ctx, int line, const char *p, int n), void *ctx)
{
	int line = 0;
	if (w < 4)
		w = 4;
	const char *p = s ? s : "";
	while (*p) {
		if (*p == '\n') {
			if (fn)
				fn(ctx, line, p, 0);
			line++;
			p++;
			continue;
		}
		/* Take as many words as fit; cut a word only when it alone is wider than w. */
		const char *end = p, *brk = NULL;
		int cols = 0;
		while (*end && *end != '\n' && cols < w) {
			if (*end == ' ')
				brk = end;
			end += char_len((const unsigned char *)end);
			cols++;
		}
		if (*end && *end != '\n' && *end != ' ' && brk)
			end = brk;
		if (fn)
			fn(ctx, line, p, (int)(end - p));
		line++;
		p = end;
		while (*p == ' ')
			p++;
		if (*p == '\n')
			p++;
	}
	return line;
}

struct wrap_ctx {
	const struct rect *r;
	attr_t attr;
};

static void wrap_line(void *ctx, int line, const char *p, int n)
{
	struct wrap_ctx *c = ctx;
	if (line >= c->r->h)
		return;
	char buf[1024];
	if (n >= (int)sizeof buf)
		n = sizeof buf - 1;
	memcpy(buf, p, (size_t)n);
	buf[n] = '\0';
	ui_text(c->r->y + line, c->r->x, c->r->w, buf, c->attr);
}

int ui_wrap_draw(const struct rect *r, const char *s, attr_t attr)
{
	struct wrap_ctx c = { r, attr };
	int n = ui_wrap(s, r->w, wrap_line, &c);
	return n < r->h ? n : r->h;
}
