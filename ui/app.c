/* app: ui_main and the main loop. Loads and runs the scenario before touching the
 * terminal (so a bad file is a plain error message), sets up curses, then reads keys
 * and mouse events, hands them to the key table (keys.c) and redraws until the user
 * quits or a signal asks us to. Playback steps on a clock of its own, so keys pressed
 * while playing do not hold it back. The terminal is restored on every way out: quit,
 * error, SIGINT/SIGTERM/SIGHUP (exit status 128 + the signal), and a crash (SIGSEGV,
 * SIGABRT, SIGBUS, SIGFPE, SIGILL: restored, then the signal is raised again). */
#include "ui/app.h"

#include "sim/export/import_json.h"

#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The one piece of global state: set from a signal handler, read by the loop. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* Restores the terminal however the process leaves (exit from a library, a failed
 * assertion in a debug build...). endwin twice is harmless, but guard anyway. */
static void restore_terminal(void)
{
	if (stdscr && !isendwin())
		endwin();
}

/* A crash: give the terminal back, then die of the same signal (core dump and all). */
static void on_fatal(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const int pace_ms[] = { 3000, 2000, 1200, 800, 500, 300, 150 };
#define NPACE ((int)(sizeof pace_ms / sizeof pace_ms[0]))

/* Puts a loaded scenario and its run on show (the app takes both), from the start. */
static void install(struct app *a, struct scenario *sc, struct run_result *r, int is_trace, const char *path)
{
	if (a->have_res && !a->res_borrowed)
		run_result_free(&a->res);
	a->res_borrowed = 0;
	if (a->sc.path || a->sc.name)
		scenario_free(&a->sc);
	a->sc = *sc;
	a->var = scenario_variant(&a->sc);
	a->res = *r;
	a->have_res = 1;
	a->is_trace = is_trace;
	a->try_tls = a->var.client.tls;
	a->try_mitm = (int)attack_index(a->var.mitm.attack);
	a->cur = a->diag_top = a->hex_top = 0;
	a->detail_event = (size_t)-1;
	a->playing = 0;
	a->filter = UI_FILTER_ALL;
	snprintf(a->path, sizeof a->path, "%s", path);
}

/* Loads path and runs it; on success replaces the scenario and trace on show. */
int ui_open_scenario(struct app *a, const char *path, char *err, size_t cap)
{
	struct scenario sc;
	/* A saved trace (run --format json) is shown as it was recorded. */
	if (trace_json_is_trace(path)) {
		struct run_result tr;
		if (trace_json_load(path, &sc, &tr, err, cap))
			return -1;
		install(a, &sc, &tr, 1, path);
		return 0;
	}
	if (scenario_load(path, a->opt->load, &sc, err, cap))
		return -1;
	struct scenario v = scenario_variant(&sc);
	struct run_options ro = { 0 };
	ro.has_seed = a->opt->has_seed;
	ro.seed = a->opt->seed;
	struct run_result r;
	char rerr[512];
	struct run_pki pki;
	int failed = run_pki_load(&v, &pki, rerr, sizeof rerr);
	if (!failed) {
		failed = run_scenario(&v, &pki, &ro, &r, rerr, sizeof rerr);
		run_pki_free(&pki);
	}
	if (failed) {
		snprintf(err, cap, "%s: %s", path, rerr);
		scenario_free(&sc);
		return -1;
	}
	install(a, &sc, &r, 0, path);
	return 0;
}

static void app_free(struct app *a)
{
	ui_picker_close(a);
	if (a->have_res && !a->res_borrowed)
		run_result_free(&a->res);
	if (a->sc.path || a->sc.name)
		scenario_free(&a->sc);
	free(a->collapsed);
	free(a->row_event);
	ui_compare_free(a);
}

static int inside(const struct rect *r, int y, int x)
{
	return y >= r->y && y < r->y + r->h && x >= r->x && x < r->x + r->w;
}

/* A click selects; the wheel scrolls the pane under the pointer (the sequence steps). */
void ui_mouse(struct app *a)
{
	MEVENT me;
	if (getmouse(&me) != OK)
		return;
	int wheel = 0;
	if (me.bstate & BUTTON4_PRESSED)
		wheel = -1;
#ifdef BUTTON5_PRESSED
	if (me.bstate & BUTTON5_PRESSED)
		wheel = 1;
#endif
	const struct rect *d = &a->r_detail, *h = &a->r_hex;
	if (wheel) {
		int key = wheel < 0 ? KEY_UP : KEY_DOWN;
		if (!a->present && inside(d, me.y, me.x))
			a->math ? ui_math_key(a, key) : ui_detail_key(a, key);
		else if (!a->present && inside(h, me.y, me.x))
			ui_hex_key(a, key);
		else
			ui_step(a, wheel);
		return;
	}
	if (!(me.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_RELEASED)))
		return;
	int hit = ui_diagram_hit(a, me.y, me.x);
	if (hit >= 0) {
		a->focus = PANE_DIAGRAM;
		ui_goto(a, (size_t)hit);
	} else if (!a->present && inside(d, me.y, me.x)) {
		a->focus = PANE_DETAIL;
		ui_detail_click(a, me.y);
	} else if (!a->present && inside(h, me.y, me.x))
		a->focus = PANE_HEX;
}

void ui_play_toggle(struct app *a)
{
	a->playing = !a->playing;
	size_t i = a->cur + 1;
	while (i < a->res.trace.n && !ui_event_visible(a, i))
		i++;
	if (a->playing && i >= a->res.trace.n)
		ui_goto_end(a, 0); /* play from the start once the end is reached */
	a->play_due = now_ms() + pace_ms[a->pace];
}

void ui_pace(struct app *a, int delta)
{
	a->pace += delta;
	if (a->pace < 0)
		a->pace = 0;
	if (a->pace >= NPACE)
		a->pace = NPACE - 1;
	snprintf(a->msg, sizeof a->msg, "pace: one step every %.2g s", pace_ms[a->pace] / 1000.0);
	a->msg_err = 0;
}

/* Playback: one step when it is due. Keys do not move the clock (D13); an overlay or a
 * too-small terminal holds it, and it resumes a whole step after. */
static void play_tick(struct app *a)
{
	long long now = now_ms();
	if (ui_too_small() || a->help || a->picking || a->prompt || a->lesson) {
		a->play_due = now + pace_ms[a->pace];
		return;
	}
	if (now < a->play_due)
		return;
	if (!ui_step(a, 1))
		a->playing = 0;
	a->play_due += pace_ms[a->pace];
	if (a->play_due <= now)
		a->play_due = now + pace_ms[a->pace];
}

/* A live session's newest state on show. The cursor follows the newest event while it
 * is on the last one (the user moving it away stops that). */
static void live_show(struct app *a, const struct run_result *r)
{
	/* the first session replaces the scenario's own run: it starts at its newest event */
	int at_end = !a->res_borrowed || a->res.trace.n == 0 || a->cur + 1 >= a->res.trace.n;
	if (a->have_res && !a->res_borrowed)
		run_result_free(&a->res);
	a->res = *r;
	a->have_res = 1;
	a->res_borrowed = 1;
	a->is_trace = 1; /* a recording: nothing to re-run */
	size_t n = a->res.trace.n;
	if (at_end || a->cur >= n)
		a->cur = n ? n - 1 : 0;
	a->detail_event = (size_t)-1;
	if (a->opt->live->what)
		snprintf(a->msg, sizeof a->msg, "%s: %zu events", a->opt->live->what, n);
	a->msg_err = 0;
}

/* 1 when the terminal behind standard input is gone: hung up, or closed. */
static int terminal_gone(void)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	if (poll(&p, 1, 0) < 0)
		return 0;
	return (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

int ui_main(const struct ui_options *opt, char *err, size_t errcap)
{
	struct app app;
	memset(&app, 0, sizeof app);
	struct app *a = &app;
	a->opt = opt;
	a->present = opt->present;
	a->lesson = !opt->no_lesson;
	a->pace = 3;
	a->detail_event = (size_t)-1;
	if (ui_open_scenario(a, opt->scenario_path, err, errcap)) {
		app_free(a);
		return 2;
	}
	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		snprintf(err, errcap, "the interface needs a terminal (%s is not one); use 'smtps-sim run FILE' for a transcript",
			 !isatty(STDIN_FILENO) ? "standard input" : "standard output");
		app_free(a);
		return 2;
	}
	/* A terminal that cannot move the cursor (TERM=dumb, or unset) would show a blank,
	 * unusable screen: say so instead. */
	const char *term = getenv("TERM");
	if (!term || !*term || !strcmp(term, "dumb")) {
		snprintf(err, errcap, "the interface needs a terminal that can move the cursor (TERM is %s); set TERM "
			 "(for example xterm-256color), or use 'smtps-sim run FILE' for a transcript",
			 term && *term ? "dumb" : "unset");
		app_free(a);
		return 2;
	}
	setlocale(LC_ALL, "");
	if (opt->no_color)
		setenv("NO_COLOR", "1", 1); /* ui_draw_init reads it, as for the variable itself */

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: the blocking read returns, and the loop sees the flag */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	SCREEN *scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		const char *t = getenv("TERM");
		snprintf(err, errcap, "cannot start the interface on terminal type '%s'", t ? t : "(unset)");
		app_free(a);
		return 2;
	}
	atexit(restore_terminal);
	struct sigaction fa;
	memset(&fa, 0, sizeof fa);
	fa.sa_handler = on_fatal;
	sigemptyset(&fa.sa_mask);
	fa.sa_flags = SA_RESETHAND;
	static const int fatal[] = { SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL };
	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		sigaction(fatal[i], &fa, NULL);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
		  | BUTTON5_PRESSED
#endif
		  , NULL);
	mouseinterval(0);
	ui_draw_init(a);

	if (opt->live && opt->live->what)
		snprintf(a->msg, sizeof a->msg, "%s: waiting for a connection (until then, the scenario's own run)",
			 opt->live->what);
	for (;;) {
		if (stop_signal)
			break;
		ui_settle(a); /* a re-run may have put the cursor on an event the filter hides */
		if (a->redraw) {
			clearok(curscr, TRUE);
			a->redraw = 0;
		}
		ui_draw(a);
		/* Wake a few times a second to notice a signal; while playing, also when the
		 * next step is due (not "pace after the last key": keys do not hold it back). */
		int wait = 250;
		if (a->playing) {
			long long left = a->play_due - now_ms();
			wait = left < 0 ? 0 : left < wait ? (int)left : wait;
		}
		if (opt->live) {
			/* the caller waits on its sockets and on standard input */
			const struct run_result *lr = NULL;
			if (opt->live->tick(opt->live->ctx, wait, &lr) && lr)
				live_show(a, lr);
			timeout(0);
		} else
			timeout(wait);
		int ch = getch();
		if (a->playing)
			play_tick(a);
		if (ch == ERR && terminal_gone()) {
			/* The terminal hung up without a signal reaching us (its emulator or tmux
			 * went away): leave as SIGHUP would, rather than spin on a dead tty. */
			stop_signal = SIGHUP;
			break;
		}
		if (ch == ERR || ch == KEY_RESIZE)
			continue; /* the next draw lays out for the new size */
		/* Too small: keys still work (Esc closes the picker, q closes before it
		 * quits), but a click cannot be placed on panes that are not drawn. */
		if (ui_too_small() && ch == KEY_MOUSE)
			continue;
		ui_keys_dispatch(a, ch);
		if (a->quit)
			break;
	}
	int sig = stop_signal;
	endwin();
	app_free(a);
	if (sig) {
		err[0] = '\0';
		return 128 + sig;
	}
	return 0;
}
