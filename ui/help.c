/* help: what the interface says about itself. The ? overlay and the bottom hint row are
 * generated from the key table (keys.c), so they list exactly the keys that work; the
 * lesson card shown at the start says what the scenario teaches and what to watch for,
 * from the scenario's own lesson, its attacker and its [expect] section. */
#include "ui/app.h"

#include <stdlib.h>
#include <string.h>

#define HELP_KEYW 18 /* the keys column */

struct help_lines {
	char (*line)[160];
	unsigned char *heading;
	int n, cap;
};

static void help_add(void *ctx, const char *keys, const char *text, int heading)
{
	struct help_lines *h = ctx;
	if (h->n >= h->cap)
		return;
	if (heading || !keys[0])
		snprintf(h->line[h->n], sizeof h->line[0], "%s", text);
	else
		snprintf(h->line[h->n], sizeof h->line[0], "%-*s %s", HELP_KEYW - 1, keys, text);
	h->heading[h->n++] = (unsigned char)heading;
}

void ui_help_draw(const struct app *a)
{
	static char line[128][160];
	static unsigned char heading[128];
	struct help_lines h = { line, heading, 0, 128 };
	ui_keys_help(help_add, &h);
	/* the legend, as this terminal shows it (colours, or attributes under NO_COLOR) */
	help_add(&h, "", "", 0);
	help_add(&h, "", "What the diagram's looks mean", 1);
	if (a->colour) {
		help_add(&h, "", "Colour says who can read an event: yellow anyone on the wire,", 0);
		help_add(&h, "", "green the endpoints only, magenta the attacker too, cyan a decision.", 0);
	} else {
		help_add(&h, "", "Who can read an event: bold anyone on the wire, plain the endpoints", 0);
		help_add(&h, "", "only, underlined the attacker too, dim a decision (badges W/E/A).", 0);
	}
	help_add(&h, "", "Marks: - deleted, + added, ~ forged or replaced, ! tampered, @ the", 0);
	help_add(&h, "", a->utf8 ? "attacker acts, ↺ decrypted later, ◆ key moment, ✗ failed, / search match."
				 : "attacker acts, r decrypted later, * key moment, X failed, / search match.", 0);
	int n = h.n;
	int w = 0;
	for (int i = 0; i < n; i++) {
		int l = ui_text_cols(line[i]);
		if (l > w)
			w = l;
	}
	w += 4;
	if (w > COLS)
		w = COLS;
	int h_rows = n + 3; /* borders and the footer */
	if (h_rows > LINES - 1)
		h_rows = LINES - 1; /* the hint row stays visible below */
	int body = h_rows - 3;
	struct app *m = (struct app *)a; /* the scroll position is clamped here, where the size is known */
	if (m->help_top > n - body)
		m->help_top = n - body > 0 ? n - body : 0;
	struct rect r = { (LINES - 1 - h_rows) / 2, (COLS - w) / 2, h_rows, w };
	for (int y = 0; y < h_rows; y++)
		mvhline(r.y + y, r.x, ' ', w);
	ui_box(&r, "help", 1, a);
	for (int i = 0; i < body && a->help_top + i < n; i++) {
		int k = a->help_top + i;
		ui_text(r.y + 1 + i, r.x + 2, w - 4, line[k], heading[k] ? A_BOLD : A_NORMAL);
	}
	char foot[96];
	if (body < n)
		snprintf(foot, sizeof foot, "lines %d-%d of %d: j/k scroll; q or any other key closes",
			 a->help_top + 1, a->help_top + body, n);
	else
		snprintf(foot, sizeof foot, "q or any other key closes");
	ui_text(r.y + h_rows - 2, r.x + 2, w - 4, foot, A_DIM);
}

/* ---- the lesson card ---- */

struct card {
	char text[4096];
	size_t n;
};

static void card_add(struct card *c, const char *s)
{
	if (c->n < sizeof c->text)
		c->n += (size_t)snprintf(c->text + c->n, sizeof c->text - c->n, "%s", s);
}

/* "What to watch for", from facts the scenario holds: its attacker and its [expect]. */
static void watch_for(const struct app *a, struct card *c)
{
	const struct scenario_expect *x = &a->sc.expect;
	char b[600], bits[96];
	const struct attack *at = a->sc.mitm.attack;
	if (at) {
		snprintf(b, sizeof b, "- the attacker (%s) %s\n", at->name, at->does ? at->does : "");
		card_add(c, b);
	}
	if (x->has_tls) {
		snprintf(b, sizeof b, "- whether the client's session gets TLS: here it %s\n",
			 x->tls ? "does" : "does not");
		card_add(c, b);
	}
	if (x->client_error) {
		snprintf(b, sizeof b, "- the client's error: %s\n", x->client_error);
		card_add(c, b);
	}
	if (x->server_error) {
		snprintf(b, sizeof b, "- the server's error: %s\n", x->server_error);
		card_add(c, b);
	}
	if (x->alert) {
		snprintf(b, sizeof b, "- the TLS alert: %s\n", x->alert);
		card_add(c, b);
	}
	if (x->has_injected) {
		snprintf(b, sizeof b, "- whether the injected lines take effect: here they %s\n",
			 x->injected ? "do" : "do not");
		card_add(c, b);
	}
	if (x->has_observer) {
		ui_bits_text(x->observer, bits, sizeof bits);
		snprintf(b, sizeof b, "- what someone watching the wire learns: %s\n", bits);
		card_add(c, b);
	}
	for (int h = 0; h < 2; h++)
		if (x->has_hop_observer[h]) {
			ui_bits_text(x->hop_observer[h], bits, sizeof bits);
			snprintf(b, sizeof b, "- what someone watching hop %d (%s) learns: %s\n", h + 1,
				 h ? "the server to the MX" : "the client to the server", bits);
			card_add(c, b);
		}
	if (x->has_relay_tls) {
		snprintf(b, sizeof b, "- whether the server's relay to the MX gets TLS: here it %s\n",
			 x->relay_tls ? "does" : "does not");
		card_add(c, b);
	}
	if (x->has_attacker) {
		ui_bits_text(x->attacker, bits, sizeof bits);
		snprintf(b, sizeof b, "- what the attacker learns: %s\n", bits);
		card_add(c, b);
	}
	if (x->has_decrypted_later) {
		snprintf(b, sizeof b, "- whether the recording can be decrypted later: %s\n",
			 x->decrypted_later ? "yes" : "no");
		card_add(c, b);
	}
	if (x->has_delivered) {
		snprintf(b, sizeof b, "- at the end, the message is %sdelivered\n", x->delivered ? "" : "not ");
		card_add(c, b);
	}
}

/* A paragraph of the card, word-wrapped; returns the rows used (or needed, when draw is 0). */
static int card_para(const char *s, int y, int x, int w, int maxy, attr_t at, int draw)
{
	struct rect r = { y, x, maxy - y, w };
	if (!draw || r.h <= 0)
		return ui_wrap(s, w, NULL, NULL);
	return ui_wrap_draw(&r, s, at);
}

void ui_lesson_draw(struct app *a)
{
	struct card watch = { .n = 0 };
	watch_for(a, &watch);
	if (watch.n && watch.text[watch.n - 1] == '\n')
		watch.text[--watch.n] = '\0';
	const char *title = a->sc.title ? a->sc.title : a->sc.name ? a->sc.name : "";
	const char *lesson = a->sc.lesson && a->sc.lesson[0] ? a->sc.lesson : "(this scenario has no lesson paragraph)";
	const char *foot = "press any key to begin   ? help   i shows this card again";
	int w = COLS - 4 < 78 ? COLS - 4 : 78;
	int tw = w - 4;
	int need = card_para(title, 0, 0, tw, 0, 0, 0) + 1 + card_para(lesson, 0, 0, tw, 0, 0, 0) +
		   (watch.n ? 2 + card_para(watch.text, 0, 0, tw, 0, 0, 0) : 0) + 2;
	int h = need + 2 > LINES - 2 ? LINES - 2 : need + 2;
	struct rect r = { (LINES - h) / 2, (COLS - w) / 2, h, w };
	for (int y = 0; y < h; y++)
		mvhline(r.y + y, r.x, ' ', w);
	ui_box(&r, "lesson", 1, a);
	int x = r.x + 2, y = r.y + 1, end = r.y + h - 2; /* the last inner row holds the footer */
	y += card_para(title, y, x, tw, end, A_BOLD, 1) + 1;
	if (y < end)
		y += card_para(lesson, y, x, tw, end, A_NORMAL, 1) + 1;
	if (watch.n && y < end) {
		ui_text(y++, x, tw, "What to watch for", A_BOLD);
		if (y < end)
			card_para(watch.text, y, x, tw, end, A_NORMAL, 1);
	}
	ui_text(r.y + h - 2, x, tw, foot, A_DIM);
}

/* ---- the hint row ---- */

struct hint_ctx {
	int y, x, limit;
	attr_t key_at, name_at;
};

static void hint_put(void *ctx, const char *keys, const char *name)
{
	struct hint_ctx *h = ctx;
	int need = ui_text_cols(keys) + 1 + ui_text_cols(name);
	if (h->x + need > h->limit) {
		h->limit = -1; /* whole items only, and none after one that did not fit */
		return;
	}
	h->x += ui_text(h->y, h->x, need, keys, h->key_at);
	h->x += ui_text(h->y, h->x, need, " ", h->name_at);
	h->x += ui_text(h->y, h->x, need, name, h->name_at);
	h->x += 2;
}

void ui_hints_draw(struct app *a)
{
	const struct rect *r = &a->r_hints;
	if (r->h < 1)
		return;
	mvhline(r->y, r->x, ' ', r->w);
	struct hint_ctx h = { r->y, r->x + 1, r->x + r->w - 1, A_REVERSE | A_BOLD, A_NORMAL };
	if (a->filter != UI_FILTER_ALL && !(ui_keys_context(a) & ~UI_CTX_MAIN)) {
		char f[64];
		snprintf(f, sizeof f, "[filter: %s]", ui_filter_name(a->filter));
		h.x += ui_text(r->y, h.x, r->w - 2, f, A_BOLD) + 2;
	}
	ui_keys_hints(a, hint_put, &h);
}
