/* app: the state the TUI's views share — the scenario as loaded, the variant that ran,
 * its trace and outcome, the cursor, and what each pane shows — and the functions the
 * views export to the main loop (app.c). Only the main loop changes the state. */
#ifndef UI_APP_H
#define UI_APP_H

/* The wide-character API (setlocale + UTF-8 line drawing) needs this before curses.h:
 * the project builds with _GNU_SOURCE, which does not turn it on by itself. */
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>
#include <stddef.h>

#include "sim/run/run.h"
#include "sim/run/scenario.h"
#include "sim/trace/trace_diff.h"
#include "ui/ui.h"

#define UI_MIN_W 80
#define UI_MIN_H 24

enum pane {
	PANE_DIAGRAM,
	PANE_DETAIL,
	PANE_HEX,
	PANE_COUNT
};

struct rect {
	int y, x, h, w;
};

/* Line-drawing pieces: UTF-8 box characters, or ASCII when the locale cannot show them. */
struct glyphs {
	const char *h, *v, *thin, *dbl, *right, *left, *thin_right, *thin_left, *dot;
	const char *tl, *tr, *bl, *br, *open, *closed, *ellipsis;
};

/* Colour pairs, chosen by who can read an event. */
enum {
	CP_CLEAR = 1,  /* cleartext: anyone on the path */
	CP_ENC,        /* encrypted: the endpoints only */
	CP_ATTACK,     /* made or changed by the attacker, or an alert */
	CP_NOTE,       /* an actor's decision */
	CP_RECORD,     /* the record around handshake messages and SMTP lines */
	CP_STATUS,
	CP_RECHDR,     /* hex: the 5-byte TLS record header */
	CP_HSHDR,      /* hex: the 4-byte handshake header */
	CP_ERROR,
	CP_MITM,       /* encrypted, but the attacker reads it too (an endpoint, or decrypted later) */
};

/* Who can read an event: the one thing colour says (draw.c). */
enum ui_readers {
	UR_NOBODY,     /* a note: an actor's decision, not on the wire */
	UR_WIRE,       /* cleartext: anyone on the wire */
	UR_ENDPOINTS,  /* encrypted: the endpoints only */
	UR_ATTACKER,   /* encrypted, but the attacker reads it too */
};

/* Key moments (moments.c), as bits of ui_moment_kinds(). */
enum {
	UM_EXPOSED = 1 << 0,   /* a secret first exposed to a reader (ledger exposed_at) */
	UM_WORKS = 1 << 1,     /* the attack takes effect */
	UM_FAILED = 1 << 2,    /* a check fails: TLS failed, a fatal alert */
	UM_TLS_UP = 1 << 3,    /* a TLS endpoint finished its handshake */
	UM_ATTACK = 1 << 4,    /* the attacker acts: its note, a deleted/forged/replaced/tampered line */
};

struct picker_entry {
	char *path, *name, *title, *lesson;
};

struct app {
	const struct ui_options *opt;
	char path[4096];
	struct scenario sc;        /* as loaded: owns the strings */
	struct scenario var;       /* what ran: scenario_variant(&sc) with what-if changes */
	struct run_result res;
	int have_res;
	int is_trace;             /* the run on show is a saved trace (TRACE.json): nothing to re-run */
	int res_borrowed;         /* res is a live session's, owned by the caller (ui_live) */
	/* what the cycling what-if keys tried last, even if that run failed, so that the
	 * next press moves on instead of retrying the same failing option */
	int try_tls, try_mitm;
	size_t cur;                /* the event under the cursor */
	enum pane focus;
	int present, utf8, colour;
	const struct glyphs *g;

	int playing, pace;         /* pace: index into the table in app.c */
	int help;                  /* the ? overlay is open */
	int prompt;                /* typing a search */
	char input[64], query[64];
	char msg[256];             /* a transient message for the status bar */
	int msg_err;

	/* detail pane: collapsed groups of the current event's fields */
	unsigned char *collapsed;
	size_t ncollapsed, detail_sel, detail_top, detail_event;
	/* hex pane; hl_*: the field range it last scrolled to (it scrolls once per new range) */
	size_t hex_top;
	size_t hl_event, hl_off, hl_len;
	int hl_on;
	/* diagram: first visible event, and which event each screen row shows (mouse) */
	size_t diag_top;
	int *row_event;
	int nrow_event;

	/* math pane (math.c): the session's key schedule and the cursor's record worked out,
	 * shown in place of the detail pane while math is on; math_top: first row shown */
	int math;
	size_t math_top;

	/* picker overlay */
	int picking;
	struct picker_entry *pk;
	size_t npk, pk_sel, pk_top;

	/* detail pane: the field each screen row shows (long values wrap over rows) */
	int detail_y0, detail_nrows;
	size_t detail_rowfield[128];

	/* where the last draw put each pane */
	struct rect r_status, r_diag, r_detail, r_hex, r_narr;

	/* b and compare (whatif.c, compare.c) */
	char twin_home[128];       /* the scenario b first left; "" before any b */
	char twin_name[128];       /* the twin b switched to, while it is on show */
	char twin_change[240];     /* what the twin changes from the one b left, in words */
	int compare, fourcol;      /* a full-screen view is open: two runs, or four columns */
	struct run_result cmp_res; /* compare: the other run, when have_cmp */
	int have_cmp, cmp_swap;    /* cmp_swap: the other run is the left column (the file's) */
	char cmp_label[2][320];    /* compare: what each column shows */
	struct trace_diff cmp_diff;
	struct trace_wire cmp_wire;
	const struct trace_event *cmp_for;  /* a->res.trace.ev the views were made for */
	size_t cmp_sel, cmp_top;   /* the row under the cursor, the first row shown */
	/* keys and views (keys.c, nav.c, help.c, app.c) */
	int quit;                  /* a key asked to leave the program */
	int lesson;                /* the lesson card is open */
	int filter;                /* enum ui_filter: which events the diagram shows */
	int help_top;              /* help overlay: first line shown (it scrolls) */
	int redraw;                /* Ctrl-L: repaint the whole terminal at the next draw */
	long long play_due;        /* playback: when the next step is due (monotonic ms) */
	char pk_err[512];          /* picker: why the chosen file did not open */
	struct rect r_hints;       /* the key-hint row at the bottom */
};

/* Which events the diagram and the navigation keys show (f cycles). */
enum ui_filter {
	UI_FILTER_ALL,
	UI_FILTER_SMTP,            /* SMTP commands, replies and data only */
	UI_FILTER_HANDSHAKE,       /* TLS handshake messages, ChangeCipherSpec, alerts, TLS up/failed */
	UI_FILTER_ATTACK,          /* what the attacker did, and every actor's notes */
	UI_FILTER_NO_RECORDS,      /* everything but the TLS records around the messages */
	UI_FILTER_COUNT
};

/* Where a key works (keys.c): bits, as the key table's ctx field. */
enum ui_ctx {
	UI_CTX_SEQ = 1 << 0,       /* main view, the sequence pane has the focus */
	UI_CTX_DETAIL = 1 << 1,    /* main view, the detail pane has the focus */
	UI_CTX_BYTES = 1 << 2,     /* main view, the bytes pane has the focus */
	UI_CTX_PROMPT = 1 << 3,    /* typing a search after / */
	UI_CTX_PICKER = 1 << 4,    /* the l overlay */
	UI_CTX_HELP = 1 << 5,      /* the ? overlay */
	UI_CTX_LESSON = 1 << 6,    /* the lesson card */
};
#define UI_CTX_MAIN (UI_CTX_SEQ | UI_CTX_DETAIL | UI_CTX_BYTES)
#define UI_CTX_ALL 0x7f

/* draw.c: text and attributes common to every pane */
void ui_draw_init(struct app *a);
int ui_text(int y, int x, int maxw, const char *s, attr_t attr);  /* returns columns used */
int ui_text_cols(const char *s);
void ui_fill(int y, int x, int w, const char *glyph, attr_t attr);
void ui_box(const struct rect *r, const char *title, int focused, const struct app *a);
attr_t ui_event_attr(const struct app *a, const struct trace_event *e);
attr_t ui_pair(const struct app *a, int pair);
enum ui_readers ui_event_readers(const struct trace_event *e);
const char *ui_readers_badge(enum ui_readers r);          /* "W", "E", "A", "" */
const char *ui_attack_mark(const struct app *a, const struct trace_event *e); /* "−", "+", ... or NULL */
attr_t ui_mark_attr(const struct app *a);                  /* marks: reverse, never a colour */
/* Word-wraps s into lines of at most w columns; calls fn for each (may be NULL just to
 * count). Returns the number of lines. */
int ui_wrap(const char *s, int w, void (*fn)(void *ctx, int line, const char *p, int n), void *ctx);
/* Draws s word-wrapped in r; returns the lines drawn. */
int ui_wrap_draw(const struct rect *r, const char *s, attr_t attr);

/* layout.c */
void ui_layout(struct app *a);
void ui_draw(struct app *a);
int ui_too_small(void);

/* status.c */
void ui_status_draw(struct app *a);
/* The TLS state of link l after the events 0..cur: "none", "handshaking", "TLS 1.2 ...", "failed". */
void ui_tls_state(const struct app *a, enum trace_link l, char *buf, size_t cap, int shortform);
int ui_known(const struct app *a, enum ledger_reader r);  /* OBSERVED_* bits r knows at the cursor (ledger) */
void ui_bits_text(int bits, char *buf, size_t cap);      /* "credentials, envelope" or "nothing" */
int ui_status_height(const struct app *a);              /* rows the status block needs */

/* diagram.c */
void ui_diagram_draw(struct app *a);
int ui_diagram_hit(const struct app *a, int y, int x);  /* event index, or -1 */
int ui_mitm_present(const struct app *a);

/* route.c: the actors the run has, in route order (client, attacker on hop 1, server,
 * attacker on hop 2, MX), from the trace */
struct ui_route {
	int n;                                /* places, left to right */
	enum trace_actor order[ACTOR_COUNT];  /* the actor at each place */
	int pos[ACTOR_COUNT];                 /* each actor's place, -1 when it has none */
	int lifeline[ACTOR_COUNT];            /* its lifeline and name are drawn */
	int hop2;                             /* the run has events on hop 2 */
	int mitm_hop;                         /* the attacker's hop, 1 or 2; 0 without one */
	unsigned links;                       /* bit (1 << link) per link an event is on */
};
void ui_route_of(const struct app *a, struct ui_route *r);
/* The two ends of a hop: who dials (client, or the relaying server) and who answers. */
void ui_hop_ends(int hop, enum trace_actor *dialer, enum trace_actor *answerer);
/* The event goes from its link's dialling end (the SMTP client side) to the answering one. */
int ui_event_upstream(const struct trace_event *e);
/* The event comes from its link's answering end (a reply, or the server side's decision). */
int ui_event_from_answerer(const struct trace_event *e);
/* The run has an observer of each hop (it went on to hop 2). */
int ui_has_hops(const struct app *a);

/* moments.c: key moments, from facts (the ledger, kinds, attack actions) */
int ui_moment_kinds(const struct app *a, size_t i);     /* UM_* bits of event i, 0 if none */
int ui_is_moment(const struct app *a, size_t i);
int ui_exposed_readers(const struct app *a, size_t i);  /* bit (1 << reader) for each reader a secret reaches first at i */
void ui_moment_step(struct app *a, int dir);            /* next (+1) / previous (-1) key moment */
void ui_moment_describe(const struct app *a, size_t i, char *buf, size_t cap);
/* The cleartext bytes an endpoint still had buffered when its KEPT_BUFFERED note was
 * made (the attacker's lines, from their wire bytes); 0 when i is no such note. */
size_t ui_buffered_bytes(const struct app *a, size_t i, unsigned char *out, size_t cap);

/* detail.c */
void ui_detail_draw(struct app *a);
int ui_detail_key(struct app *a, int ch);
void ui_detail_click(struct app *a, int y);
/* The bytes of the field selected in the detail pane, in the current event's own bytes
 * (its wire bytes, or its plaintext when it has none: an SMTP line inside TLS): *off, *len. A field
 * without a range of its own gives its nearest enclosing field's. 0 when there is none,
 * or when neither the detail pane nor the bytes pane has focus. */
int ui_detail_range(struct app *a, size_t *off, size_t *len);

/* math.c: "show the math" for the session of the cursor's link and the cursor's record
 * (or the record its line is in) */
void ui_math_draw(struct app *a, const struct rect *r);
void ui_math_toggle(struct app *a);
int ui_math_key(struct app *a, int ch);  /* scrolling when the pane has focus; 1 if used */

/* hex.c */
void ui_hex_draw(struct app *a);
int ui_hex_key(struct app *a, int ch);

/* narration (layout.c) */
void ui_narration_draw(struct app *a);
int ui_narration_lines(const struct app *a, int w);

/* help.c */
void ui_help_draw(const struct app *a);

/* picker.c */
int ui_picker_open(struct app *a);
void ui_picker_close(struct app *a);
void ui_picker_draw(struct app *a);
/* Returns 1 when the picker chose a file (its path in a->pk[a->pk_sel].path). */
int ui_picker_key(struct app *a, int ch);

/* nav.c */
void ui_goto(struct app *a, size_t i);
int ui_step(struct app *a, int delta);        /* over visible events; 1 when it moved */
void ui_next_layer(struct app *a, int handshake);
void ui_search(struct app *a, const char *q);

/* keys.c: the one key table. It dispatches the keys and is the only place they are
 * written down: the help overlay, the hint row, `smtps-sim --keys` and the README's key
 * section are all generated from it. */
unsigned ui_keys_context(const struct app *a);      /* UI_CTX_* bits active now */
void ui_keys_dispatch(struct app *a, int ch);
/* Calls fn for each line of the help (heading = 1 for a section title). Returns the count. */
int ui_keys_help(void (*fn)(void *ctx, const char *keys, const char *text, int heading), void *ctx);
/* The hint row for the context active now: "?help  Space play  j/k step ..." as
 * (key, name) pairs; calls fn for each, in order. */
void ui_keys_hints(const struct app *a, void (*fn)(void *ctx, const char *keys, const char *name), void *ctx);

/* help.c: overlays drawn from the key table and the scenario */
void ui_lesson_draw(struct app *a);
void ui_hints_draw(struct app *a);

/* app.c */
int ui_open_scenario(struct app *a, const char *path, char *err, size_t cap);
void ui_mouse(struct app *a);
void ui_play_toggle(struct app *a);
void ui_pace(struct app *a, int delta);

/* nav.c: the filter and the search as predicates, for navigation and the diagram */
int ui_event_visible(const struct app *a, size_t i);   /* passes the filter (f) */
int ui_event_matches(const struct app *a, size_t i);   /* matches the last search (/) */
const char *ui_filter_name(int filter);
void ui_filter_cycle(struct app *a, int dir);
void ui_settle(struct app *a);                         /* cursor off a hidden event */
void ui_layer_step(struct app *a, enum trace_layer want, int dir);
void ui_search_step(struct app *a, int dir);            /* n / N */
void ui_goto_end(struct app *a, int last);              /* g / G over visible events */

/* whatif.c */
int ui_whatif_key(struct app *a, int ch);
void ui_whatif_describe(const struct app *a, char *buf, size_t cap);
/* Runs v; on success replaces the trace and puts the cursor on the first event where the
 * new run differs from the old one ("first difference at step N" in a->msg, or "(no
 * effect here)" and the same logical step when nothing differs). Returns 0, or -1 with
 * the error in a->msg and the old trace kept. */
int ui_rerun(struct app *a, const struct scenario *v);
/* Loads and runs path without touching a; 0, or -1 with the message in err. */
int ui_run_file(const struct app *a, const char *path, struct scenario *sc, struct run_result *r, char *err,
		size_t cap);
/* What differs between two scenarios, in words ("server: discards buffered input
 * (fixed)"), facts only; "" when nothing the interface knows of differs. */
void ui_scenario_change(const struct scenario *from, const struct scenario *to, char *buf, size_t cap);

/* compare.c: full-screen views; ui_draw shows them instead of the panes while open */
void ui_compare_toggle(struct app *a);   /* this run beside the file's run or the twin's */
void ui_fourcol_toggle(struct app *a);   /* client | wire as the client sees it | as the server sees it | server */
void ui_compare_draw(struct app *a);     /* draws whichever is open */
int ui_compare_key(struct app *a, int ch);  /* keys inside them; 1 when used */
void ui_compare_free(struct app *a);     /* closes both and frees the other run */

#endif
