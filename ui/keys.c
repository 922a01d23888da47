/* keys: the one key table. Each line names the keys, where they work, the word on the
 * bottom hint row, the help text, and the handler. The main loop dispatches every key
 * through it, and the help overlay, the hint row, `smtps-sim --keys` (which the terminal
 * tests press key by key) and the README's key section are generated from it, so a key
 * cannot work without being documented, nor be documented without working.
 * Adding a key is one table line (and its handler, if it needs a new one). */
#include "ui/app.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define KEY_CTRL_L 12
#define KEY_ESC 27
#define UI_KEY_TEXT (-2)     /* any printable character (the search prompt's text) */
#define UI_KEY_ANY (-3)      /* any other key */
#define ARG_KEY INT_MIN      /* fn gets the key that was pressed */

struct key {
	int k[5];                 /* the keys, 0-terminated */
	unsigned ctx;             /* UI_CTX_* bits: where it works */
	const char *hint;         /* its word on the hint row, or NULL */
	const char *help;         /* the help line; for a heading row (no keys), the title */
	void (*fn)(struct app *a, int arg);
	void (*fn0)(struct app *a);
	int arg;                  /* for fn; ARG_KEY: the key pressed */
};

#define K(...) .k = { __VA_ARGS__, 0 }
#define HEAD(title) { .help = title }

/* ---- handlers: small, each calls into the file that owns the state ---- */

static void quit(struct app *a) { a->quit = 1; }
static void help_open(struct app *a) { a->help = 1; a->help_top = 0; }
static void help_close(struct app *a, int ch) { (void)ch; a->help = 0; }
static void help_scroll(struct app *a, int d) { a->help_top += d; if (a->help_top < 0) a->help_top = 0; }
static void lesson_open(struct app *a) { a->lesson = 1; }
static void lesson_close(struct app *a, int ch) { (void)ch; a->lesson = 0; }
static void redraw(struct app *a) { a->redraw = 1; }
static void step(struct app *a, int d)
{
	if (!ui_step(a, d)) {
		snprintf(a->msg, sizeof a->msg, "%s", d < 0 ? "at the first event" : "at the last event");
		a->msg_err = 0;
	}
}
static void layer_handshake(struct app *a, int d) { ui_layer_step(a, LAYER_TLS_HANDSHAKE, d); }
static void layer_smtp(struct app *a, int d) { ui_layer_step(a, LAYER_SMTP_COMMAND, d); }
static void focus_next(struct app *a, int d)
{
	if (a->present) {
		snprintf(a->msg, sizeof a->msg, "presentation mode has one pane (P leaves it)");
		return;
	}
	a->focus = (enum pane)((a->focus + (d < 0 ? PANE_COUNT - 1 : 1)) % PANE_COUNT);
}
static void open_detail(struct app *a)
{
	if (a->present) {
		snprintf(a->msg, sizeof a->msg, "presentation mode has no detail pane (P leaves it)");
		return;
	}
	a->focus = PANE_DETAIL;
}
static void back_to_sequence(struct app *a) { a->focus = PANE_DIAGRAM; }
static void pane_key(struct app *a, int ch)
{
	if (a->focus == PANE_DETAIL && a->math)
		ui_math_key(a, ch);
	else if (a->focus == PANE_DETAIL)
		ui_detail_key(a, ch);
	else if (a->focus == PANE_HEX)
		ui_hex_key(a, ch);
}
static void whatif(struct app *a, int ch) { ui_whatif_key(a, ch); }
static void present_toggle(struct app *a)
{
	a->present = !a->present;
	a->focus = PANE_DIAGRAM;
	snprintf(a->msg, sizeof a->msg, "presentation mode %s", a->present ? "on (P leaves it)" : "off");
	a->msg_err = 0;
}
static void search_open(struct app *a) { a->prompt = 1; a->input[0] = '\0'; }
static void prompt_enter(struct app *a)
{
	a->prompt = 0;
	if (a->input[0])
		snprintf(a->query, sizeof a->query, "%s", a->input);
	ui_search(a, a->query);
}
static void prompt_cancel(struct app *a) { a->prompt = 0; }
static void prompt_erase(struct app *a)
{
	size_t n = strlen(a->input);
	if (n)
		a->input[n - 1] = '\0';
}
static void prompt_text(struct app *a, int ch)
{
	size_t n = strlen(a->input);
	if (n + 1 < sizeof a->input) {
		a->input[n] = (char)ch;
		a->input[n + 1] = '\0';
	}
}
static void picker_open(struct app *a) { a->pk_err[0] = '\0'; ui_picker_open(a); }
static void picker_key(struct app *a, int ch) { a->pk_err[0] = '\0'; ui_picker_key(a, ch); }
static void picker_choose(struct app *a)
{
	if (!a->npk || !a->pk[a->pk_sel].path)
		return;
	char err[1024], path[4096];
	snprintf(path, sizeof path, "%s", a->pk[a->pk_sel].path);
	if (ui_open_scenario(a, path, err, sizeof err)) {
		/* stay in the picker and say why, whole (the status bar would cut it) */
		snprintf(a->pk_err, sizeof a->pk_err, "%.500s", err);
		return;
	}
	ui_picker_close(a);
	a->lesson = !a->opt->no_lesson;
}
static void filter_cycle(struct app *a, int d) { ui_filter_cycle(a, d); }
static void search_step(struct app *a, int d) { ui_search_step(a, d); }
static void play(struct app *a) { ui_play_toggle(a); }
static void pace(struct app *a, int d) { ui_pace(a, d); }

static const struct key table[] = {
	HEAD("Keys in the main view"),
	{ K('?', KEY_F(1)), UI_CTX_MAIN, "help", "this help (generated from the key table)", .fn0 = help_open },
	{ K(' '), UI_CTX_MAIN, "play", "play / pause (from the start once at the end)", .fn0 = play },
	{ K('j', KEY_DOWN), UI_CTX_SEQ, "step", "next event", .fn = step, .arg = 1 },
	{ K('k', KEY_UP), UI_CTX_SEQ, "step", "previous event", .fn = step, .arg = -1 },
	{ K(KEY_NPAGE), UI_CTX_SEQ, NULL, "ten events on", .fn = step, .arg = 10 },
	{ K(KEY_PPAGE), UI_CTX_SEQ, NULL, "ten events back", .fn = step, .arg = -10 },
	{ K('g', KEY_HOME), UI_CTX_MAIN, NULL, "first event", .fn = ui_goto_end, .arg = 0 },
	{ K('G', KEY_END), UI_CTX_MAIN, NULL, "last event (it shows the outcome)", .fn = ui_goto_end, .arg = 1 },
	{ K('h'), UI_CTX_MAIN, NULL, "next TLS handshake message", .fn = layer_handshake, .arg = 1 },
	{ K('H'), UI_CTX_MAIN, NULL, "previous TLS handshake message", .fn = layer_handshake, .arg = -1 },
	{ K('s'), UI_CTX_MAIN, NULL, "next SMTP command", .fn = layer_smtp, .arg = 1 },
	{ K('S'), UI_CTX_MAIN, NULL, "previous SMTP command", .fn = layer_smtp, .arg = -1 },
	{ K('/'), UI_CTX_MAIN, "search", "search the summaries (the matches are marked)", .fn0 = search_open },
	{ K('n'), UI_CTX_MAIN, NULL, "next search match", .fn = search_step, .arg = 1 },
	{ K('N'), UI_CTX_MAIN, NULL, "previous search match", .fn = search_step, .arg = -1 },
	{ K('f'), UI_CTX_MAIN, "filter", "filter: all, SMTP, handshake, attack and notes, no records", .fn = filter_cycle, .arg = 1 },
	{ K('F'), UI_CTX_MAIN, NULL, "the same filters backwards", .fn = filter_cycle, .arg = -1 },
	/* Key moments, compare and math: other views add their lines here. */
	{ K(']'), UI_CTX_MAIN, NULL, "next key moment (a secret exposed, the attack works, a check fails, TLS up)", .fn = ui_moment_step, .arg = 1 },
	{ K('['), UI_CTX_MAIN, NULL, "previous key moment", .fn = ui_moment_step, .arg = -1 },
	{ K('c'), UI_CTX_MAIN, NULL, "compare this run with the file's run, or with the lesson's twin", .fn0 = ui_compare_toggle },
	{ K('w'), UI_CTX_MAIN, NULL, "four columns: client | wire client-attacker | wire attacker-server | server", .fn0 = ui_fourcol_toggle },
	{ K('m'), UI_CTX_MAIN, NULL, "the math pane: key schedule and the record's AEAD inputs", .fn0 = ui_math_toggle },
	{ K('+', '='), UI_CTX_MAIN, NULL, "play faster", .fn = pace, .arg = 1 },
	{ K('-', '_'), UI_CTX_MAIN, NULL, "play slower", .fn = pace, .arg = -1 },
	{ K('\r', '\n', KEY_ENTER), UI_CTX_SEQ, NULL, "open the event's details (focus the detail pane)", .fn0 = open_detail },
	{ K('\t'), UI_CTX_MAIN, NULL, "next pane: sequence, detail, bytes", .fn = focus_next, .arg = 1 },
	{ K(KEY_BTAB), UI_CTX_MAIN, NULL, "previous pane", .fn = focus_next, .arg = -1 },
	{ K(KEY_MOUSE), UI_CTX_MAIN, NULL, "click: select an event or field; wheel: step, or scroll the pane under it", .fn0 = ui_mouse },
	{ K('i'), UI_CTX_MAIN, NULL, "the lesson card again", .fn0 = lesson_open },
	{ K('P'), UI_CTX_MAIN, NULL, "presentation mode on / off (for a projector)", .fn0 = present_toggle },
	{ K('l'), UI_CTX_MAIN, NULL, "open another scenario", .fn0 = picker_open },

	HEAD("What if: the session runs again with one option changed"),
	{ K('v'), UI_CTX_MAIN, "what-if", "client verifies certificates, or not", .fn = whatif, .arg = ARG_KEY },
	{ K('t'), UI_CTX_MAIN, "what-if", "client TLS policy: none, opportunistic, required, implicit", .fn = whatif, .arg = ARG_KEY },
	{ K('a'), UI_CTX_MAIN, "what-if", "attacker: none, relay, strip, reject, substitute cert, ...", .fn = whatif, .arg = ARG_KEY },
	{ K('b'), UI_CTX_MAIN, "what-if", "keep or discard bytes buffered before TLS", .fn = whatif, .arg = ARG_KEY },
	{ K('r'), UI_CTX_MAIN, NULL, "reset to the scenario file's options", .fn = whatif, .arg = ARG_KEY },

	HEAD("Screen and quitting"),
	{ K(KEY_CTRL_L), UI_CTX_ALL, NULL, "redraw the screen", .fn0 = redraw },
	{ K('q'), UI_CTX_SEQ, "quit", "quit (in a pane or an overlay: close it)", .fn0 = quit },
	{ K('Q'), UI_CTX_ALL & ~UI_CTX_PROMPT, NULL, "quit at once, from anywhere", .fn0 = quit },

	HEAD("Detail pane (Tab or Enter to get there)"),
	{ K('j', KEY_DOWN), UI_CTX_DETAIL, "field", "next field", .fn = pane_key, .arg = ARG_KEY },
	{ K('k', KEY_UP), UI_CTX_DETAIL, "field", "previous field", .fn = pane_key, .arg = ARG_KEY },
	{ K(KEY_NPAGE), UI_CTX_DETAIL, NULL, "a page of fields on", .fn = pane_key, .arg = ARG_KEY },
	{ K(KEY_PPAGE), UI_CTX_DETAIL, NULL, "a page of fields back", .fn = pane_key, .arg = ARG_KEY },
	{ K('\r', '\n', KEY_ENTER), UI_CTX_DETAIL, "fold", "fold or unfold the selected group", .fn = pane_key, .arg = ARG_KEY },
	{ K(KEY_LEFT), UI_CTX_DETAIL, NULL, "fold the selected group", .fn = pane_key, .arg = ARG_KEY },
	{ K(KEY_RIGHT), UI_CTX_DETAIL, NULL, "unfold the selected group", .fn = pane_key, .arg = ARG_KEY },

	HEAD("Bytes pane"),
	{ K('j', KEY_DOWN), UI_CTX_BYTES, "scroll", "scroll down", .fn = pane_key, .arg = ARG_KEY },
	{ K('k', KEY_UP), UI_CTX_BYTES, "scroll", "scroll up", .fn = pane_key, .arg = ARG_KEY },
	{ K(KEY_NPAGE), UI_CTX_BYTES, NULL, "a page down", .fn = pane_key, .arg = ARG_KEY },
	{ K(KEY_PPAGE), UI_CTX_BYTES, NULL, "a page up", .fn = pane_key, .arg = ARG_KEY },
	{ K('q', KEY_ESC), UI_CTX_DETAIL | UI_CTX_BYTES, "back", "back to the sequence pane (detail and bytes)", .fn0 = back_to_sequence },

	HEAD("Search prompt (after /)"),
	{ K(UI_KEY_TEXT), UI_CTX_PROMPT, NULL, "type the text to find (any letter, digit or sign)", .fn = prompt_text, .arg = ARG_KEY },
	{ K('\r', '\n', KEY_ENTER), UI_CTX_PROMPT, "search", "search; empty: the next match of the last search", .fn0 = prompt_enter },
	{ K(KEY_BACKSPACE, 127, 8), UI_CTX_PROMPT, "erase", "erase a character", .fn0 = prompt_erase },
	{ K(KEY_ESC), UI_CTX_PROMPT, "cancel", "cancel", .fn0 = prompt_cancel },

	HEAD("Scenario picker (after l)"),
	{ K('j', KEY_DOWN), UI_CTX_PICKER, "move", "next scenario", .fn = picker_key, .arg = ARG_KEY },
	{ K('k', KEY_UP), UI_CTX_PICKER, "move", "previous scenario", .fn = picker_key, .arg = ARG_KEY },
	{ K('g', KEY_HOME), UI_CTX_PICKER, NULL, "first scenario", .fn = picker_key, .arg = ARG_KEY },
	{ K('G', KEY_END), UI_CTX_PICKER, NULL, "last scenario", .fn = picker_key, .arg = ARG_KEY },
	{ K('\r', '\n', KEY_ENTER), UI_CTX_PICKER, "open", "open it (its lesson card first)", .fn0 = picker_choose },
	{ K('q', KEY_ESC, 'l'), UI_CTX_PICKER, "close", "close the picker", .fn = picker_key, .arg = ARG_KEY },

	HEAD("Help and lesson card"),
	{ K('j', KEY_DOWN), UI_CTX_HELP, "scroll", "help: scroll down", .fn = help_scroll, .arg = 1 },
	{ K('k', KEY_UP), UI_CTX_HELP, "scroll", "help: scroll up", .fn = help_scroll, .arg = -1 },
	{ K(KEY_NPAGE, ' '), UI_CTX_HELP, NULL, "help: a page down", .fn = help_scroll, .arg = 10 },
	{ K(KEY_PPAGE), UI_CTX_HELP, NULL, "help: a page up", .fn = help_scroll, .arg = -10 },
	{ K(UI_KEY_ANY), UI_CTX_HELP, "close", "help: q, Esc or any other key closes it", .fn = help_close, .arg = ARG_KEY },
	{ K(UI_KEY_ANY), UI_CTX_LESSON, "begin", "lesson card: q, Esc or any key closes it", .fn = lesson_close, .arg = ARG_KEY },
};
#define NKEYS (sizeof table / sizeof table[0])

unsigned ui_keys_context(const struct app *a)
{
	if (a->lesson)
		return UI_CTX_LESSON;
	if (a->help)
		return UI_CTX_HELP;
	if (a->prompt)
		return UI_CTX_PROMPT;
	if (a->picking)
		return UI_CTX_PICKER;
	if (a->present || a->focus == PANE_DIAGRAM)
		return UI_CTX_SEQ;
	return a->focus == PANE_DETAIL ? UI_CTX_DETAIL : UI_CTX_BYTES;
}

static int entry_has(const struct key *e, int ch)
{
	for (int i = 0; e->k[i]; i++)
		if (e->k[i] == ch)
			return 1;
	return 0;
}

static int bits(unsigned v)
{
	int n = 0;
	for (; v; v &= v - 1)
		n++;
	return n;
}

/* The entry for ch: an exact key first, then the prompt's text, then "any key"; among
 * several, the one with the narrowest context (a pane's j before the sequence's j). */
static const struct key *lookup(unsigned ctx, int ch)
{
	int want[3] = { ch, ch >= 0x20 && ch < 0x7f ? UI_KEY_TEXT : 0, UI_KEY_ANY };
	for (int pass = 0; pass < 3; pass++) {
		const struct key *best = NULL;
		if (!want[pass])
			continue;
		for (size_t i = 0; i < NKEYS; i++) {
			const struct key *e = &table[i];
			if (!(e->ctx & ctx) || !entry_has(e, want[pass]))
				continue;
			if (!best || bits(e->ctx) < bits(best->ctx))
				best = e;
		}
		if (best)
			return best;
	}
	return NULL;
}

void ui_keys_dispatch(struct app *a, int ch)
{
	unsigned ctx = ui_keys_context(a);
	/* The full-screen views (compare, four columns) take their own keys first. */
	if ((ctx & UI_CTX_MAIN) && (a->compare || a->fourcol) && ui_compare_key(a, ch))
		return;
	const struct key *e = lookup(ctx, ch);
	if (!e)
		return;
	if (ctx & UI_CTX_MAIN && ch != KEY_MOUSE) {
		a->msg[0] = '\0';
		a->msg_err = 0;
	}
	if (e->fn0)
		e->fn0(a);
	else if (e->fn)
		e->fn(a, e->arg == ARG_KEY ? ch : e->arg);
}

/* ---- names: for people (help, README) and for tmux (the tests) ---- */

static const struct {
	int k;
	const char *label, *tmux;
} names[] = {
	{ KEY_DOWN, "Down", "Down" }, { KEY_UP, "Up", "Up" }, { KEY_LEFT, "Left", "Left" },
	{ KEY_RIGHT, "Right", "Right" }, { KEY_NPAGE, "PgDn", "NPage" }, { KEY_PPAGE, "PgUp", "PPage" },
	{ KEY_HOME, "Home", "Home" }, { KEY_END, "End", "End" }, { KEY_BTAB, "Shift-Tab", "BTab" },
	{ '\t', "Tab", "Tab" }, { '\r', "Enter", "Enter" }, { ' ', "Space", "Space" },
	{ KEY_ESC, "Esc", "Escape" }, { KEY_CTRL_L, "Ctrl-L", "C-l" }, { KEY_BACKSPACE, "Backspace", "BSpace" },
	{ KEY_MOUSE, "mouse", "none" }, { UI_KEY_TEXT, "text", "none" }, { UI_KEY_ANY, "any key", "none" },
	{ KEY_F(1), "F1", "F1" },
};

/* Keys that another key of the same entry already names: Enter's \n, KEY_ENTER, ... */
static int shown(int k)
{
	return k != '\n' && k != KEY_ENTER && k != 127 && k != 8;
}

static const char *key_label(int k, int tmux, char *buf)
{
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].k == k)
			return tmux ? names[i].tmux : names[i].label;
	buf[0] = (char)k;
	buf[1] = '\0';
	return buf;
}

/* "j Down", "? F1" */
static void entry_keys(const struct key *e, char *out, size_t cap, const char *sep)
{
	out[0] = '\0';
	size_t n = 0;
	for (int i = 0; e->k[i]; i++) {
		if (!shown(e->k[i]))
			continue;
		char b[2];
		n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", n ? sep : "", key_label(e->k[i], 0, b));
		if (n >= cap)
			break;
	}
}

int ui_keys_help(void (*fn)(void *ctx, const char *keys, const char *text, int heading), void *ctx)
{
	int lines = 0;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *e = &table[i];
		char keys[64];
		if (!e->k[0]) {
			if (lines)
				fn(ctx, "", "", 0), lines++;
			fn(ctx, "", e->help, 1);
		} else {
			entry_keys(e, keys, sizeof keys, " ");
			fn(ctx, keys, e->help, 0);
		}
		lines++;
	}
	return lines;
}

void ui_keys_hints(const struct app *a, void (*fn)(void *ctx, const char *keys, const char *name), void *ctx)
{
	unsigned c = ui_keys_context(a);
	char keys[64] = "";
	const char *name = NULL;
	/* the keys of the pane or overlay first (j/k field, q back), then the main view's */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < NKEYS; i++) {
			const struct key *e = &table[i];
			if (!e->hint || !(e->ctx & c) || (pass == 0) != !(e->ctx & UI_CTX_SEQ))
				continue;
			/* a narrower entry for its key takes over in this context (a pane's j) */
			if (lookup(c, e->k[0]) != e)
				continue;
			char b[2];
			const char *k = e->k[0] == UI_KEY_ANY ? "any key" : key_label(e->k[0], 0, b);
			if (name && !strcmp(name, e->hint)) {
				size_t n = strlen(keys);
				snprintf(keys + n, sizeof keys - n, "/%s", k);
				continue;
			}
			if (name)
				fn(ctx, keys, name);
			snprintf(keys, sizeof keys, "%s", k);
			name = e->hint;
		}
	}
	if (name)
		fn(ctx, keys, name);
}

static const char *ctx_name(unsigned c)
{
	if ((c & UI_CTX_ALL) == UI_CTX_ALL || (c & UI_CTX_ALL) == (UI_CTX_ALL & ~UI_CTX_PROMPT))
		return "everywhere";
	if ((c & UI_CTX_MAIN) == UI_CTX_MAIN)
		return "main";
	if (c & UI_CTX_SEQ)
		return "sequence";
	if ((c & (UI_CTX_DETAIL | UI_CTX_BYTES)) == (UI_CTX_DETAIL | UI_CTX_BYTES))
		return "panes";
	if (c & UI_CTX_DETAIL)
		return "detail";
	if (c & UI_CTX_BYTES)
		return "bytes";
	if (c & UI_CTX_PROMPT)
		return "prompt";
	if (c & UI_CTX_PICKER)
		return "picker";
	if (c & UI_CTX_HELP)
		return "help";
	return "lesson";
}

void ui_keys_print(int markdown, void (*out)(const char *line))
{
	char line[512];
	if (markdown) {
		out("| keys | where | what they do |");
		out("|---|---|---|");
	}
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *e = &table[i];
		if (!e->k[0])
			continue;
		if (markdown) {
			char keys[64];
			entry_keys(e, keys, sizeof keys, "` `");
			snprintf(line, sizeof line, "| `%s` | %s | %s |", keys, ctx_name(e->ctx), e->help);
			out(line);
			continue;
		}
		for (int j = 0; e->k[j]; j++) {
			if (!shown(e->k[j]))
				continue;
			char b1[2], b2[2];
			snprintf(line, sizeof line, "%s\t%s\t%s\t%s", ctx_name(e->ctx), key_label(e->k[j], 1, b1),
				 key_label(e->k[j], 0, b2), e->help);
			out(line);
		}
	}
}
