/* app: ui_main and the main loop. Loads and runs the scenario before touching the
 * terminal (so a bad file is a plain error message), sets up curses, then reads keys
 * and mouse events and redraws until the user quits or a signal asks us to. The
 * terminal is restored on every way out: quit, error, SIGINT/SIGTERM/SIGHUP. */
#include "ui/app.h"

#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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

static const int pace_ms[] = { 3000, 2000, 1200, 800, 500, 300, 150 };
#define NPACE ((int)(sizeof pace_ms / sizeof pace_ms[0]))

/* Loads path and runs it; on success replaces the scenario and trace on show. */
static int open_scenario(struct app *a, const char *path, char *err, size_t cap)
{
	struct scenario sc;
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
	if (a->have_res)
		run_result_free(&a->res);
	if (a->sc.path || a->sc.name)
		scenario_free(&a->sc);
	a->sc = sc;
	a->var = scenario_variant(&a->sc);
	a->res = r;
	a->have_res = 1;
	a->try_tls = a->var.client.tls;
	a->try_mitm = (int)attack_index(a->var.mitm.attack);
	a->cur = a->diag_top = a->hex_top = 0;
	a->detail_event = (size_t)-1;
	a->playing = 0;
	snprintf(a->path, sizeof a->path, "%s", path);
	return 0;
}

static void app_free(struct app *a)
{
	ui_picker_close(a);
	if (a->have_res)
		run_result_free(&a->res);
	if (a->sc.path || a->sc.name)
		scenario_free(&a->sc);
	free(a->collapsed);
	free(a->row_event);
}

static void on_mouse(struct app *a)
{
	MEVENT me;
	if (getmouse(&me) != OK)
		return;
	if (me.bstate & BUTTON4_PRESSED) {
		ui_step(a, -1);
		return;
	}
#ifdef BUTTON5_PRESSED
	if (me.bstate & BUTTON5_PRESSED) {
		ui_step(a, 1);
		return;
	}
#endif
	if (!(me.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_RELEASED)))
		return;
	const struct rect *d = &a->r_detail, *h = &a->r_hex;
	int hit = ui_diagram_hit(a, me.y, me.x);
	if (hit >= 0) {
		a->focus = PANE_DIAGRAM;
		ui_goto(a, (size_t)hit);
	} else if (!a->present && me.y >= d->y && me.y < d->y + d->h && me.x >= d->x && me.x < d->x + d->w) {
		a->focus = PANE_DETAIL;
		ui_detail_click(a, me.y);
	} else if (!a->present && me.y >= h->y && me.y < h->y + h->h && me.x >= h->x && me.x < h->x + h->w)
		a->focus = PANE_HEX;
}

static void prompt_key(struct app *a, int ch)
{
	size_t n = strlen(a->input);
	if (ch == 27) {
		a->prompt = 0;
	} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		a->prompt = 0;
		if (a->input[0])
			snprintf(a->query, sizeof a->query, "%s", a->input);
		ui_search(a, a->query);
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (n)
			a->input[n - 1] = '\0';
	} else if (ch >= 0x20 && ch < 0x7f && n + 1 < sizeof a->input) {
		a->input[n] = (char)ch;
		a->input[n + 1] = '\0';
	}
}

/* Returns 1 when the user asked to quit. */
static int on_key(struct app *a, int ch)
{
	if (a->help) {
		a->help = 0;
		return 0;
	}
	if (a->prompt) {
		prompt_key(a, ch);
		return 0;
	}
	if (a->picking) {
		if (ui_picker_key(a, ch)) {
			char err[1024], path[4096];
			snprintf(path, sizeof path, "%s", a->pk[a->pk_sel].path);
			ui_picker_close(a);
			if (open_scenario(a, path, err, sizeof err)) {
				snprintf(a->msg, sizeof a->msg, "%.200s", err);
				a->msg_err = 1;
			}
		}
		return 0;
	}
	a->msg[0] = '\0';
	a->msg_err = 0;
	if (ch == KEY_MOUSE) {
		on_mouse(a);
		return 0;
	}
	/* the focused pane gets the movement keys first */
	if (a->focus == PANE_DETAIL && ui_detail_key(a, ch))
		return 0;
	if (a->focus == PANE_HEX && ui_hex_key(a, ch))
		return 0;
	if (ui_whatif_key(a, ch))
		return 0;
	switch (ch) {
	case 'q': case 'Q':
		return 1;
	case '?': case KEY_F(1):
		a->help = 1;
		break;
	case 'j': case KEY_DOWN:
		ui_step(a, 1);
		break;
	case 'k': case KEY_UP:
		ui_step(a, -1);
		break;
	case KEY_NPAGE:
		ui_step(a, 10);
		break;
	case KEY_PPAGE:
		ui_step(a, -10);
		break;
	case 'g': case KEY_HOME:
		ui_goto(a, 0);
		break;
	case 'G': case KEY_END:
		ui_goto(a, a->res.trace.n ? a->res.trace.n - 1 : 0);
		break;
	case 'n':
		ui_next_layer(a, 1);
		break;
	case 'N':
		ui_next_layer(a, 0);
		break;
	case ' ':
		a->playing = !a->playing;
		if (a->playing && a->cur + 1 >= a->res.trace.n)
			ui_goto(a, 0); /* play from the start once the end is reached */
		break;
	case '+': case '=':
		if (a->pace + 1 < NPACE)
			a->pace++;
		snprintf(a->msg, sizeof a->msg, "pace: one step every %.2g s", pace_ms[a->pace] / 1000.0);
		break;
	case '-': case '_':
		if (a->pace > 0)
			a->pace--;
		snprintf(a->msg, sizeof a->msg, "pace: one step every %.2g s", pace_ms[a->pace] / 1000.0);
		break;
	case '\t':
		if (!a->present)
			a->focus = (enum pane)((a->focus + 1) % PANE_COUNT);
		break;
	case KEY_BTAB:
		if (!a->present)
			a->focus = (enum pane)((a->focus + PANE_COUNT - 1) % PANE_COUNT);
		break;
	case '/':
		a->prompt = 1;
		a->input[0] = '\0';
		break;
	case 'l':
		ui_picker_open(a);
		break;
	}
	return 0;
}

int ui_main(const struct ui_options *opt, char *err, size_t errcap)
{
	struct app app;
	memset(&app, 0, sizeof app);
	struct app *a = &app;
	a->opt = opt;
	a->present = opt->present;
	a->pace = 3;
	a->detail_event = (size_t)-1;
	if (open_scenario(a, opt->scenario_path, err, errcap)) {
		app_free(a);
		return 2;
	}
	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		snprintf(err, errcap, "the interface needs a terminal (stdout is not a tty); "
			 "use 'smtps-sim run FILE' for a transcript");
		app_free(a);
		return 2;
	}
	setlocale(LC_ALL, "");

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

	for (;;) {
		if (stop_signal)
			break;
		ui_draw(a);
		/* While playing, the read times out at the pace and the timeout is the step.
		 * Otherwise it still wakes a few times a second to notice a signal. */
		timeout(a->playing ? pace_ms[a->pace] : 250);
		int ch = getch();
		if (ch == ERR) {
			if (a->playing && !ui_too_small() && !a->help && !a->picking && !a->prompt) {
				if (a->cur + 1 < a->res.trace.n)
					ui_step(a, 1);
				else
					a->playing = 0;
			}
			continue;
		}
		if (ch == KEY_RESIZE)
			continue; /* the next draw lays out for the new size */
		if (ui_too_small()) {
			if (ch == 'q' || ch == 'Q')
				break;
			continue;
		}
		if (on_key(a, ch))
			break;
	}
	endwin();
	app_free(a);
	return 0;
}
