/* ui: the ncurses front end. It reads a trace and a cursor and never drives protocol
 * logic: a what-if asks the simulator for a new run with one option changed. */
#ifndef UI_UI_H
#define UI_UI_H

#include <stddef.h>
#include <stdint.h>

struct scenario_load_opts; /* sim/run/scenario.h */
struct run_result;         /* sim/run/run.h */

/* A live source (serve, proxy and connect in the interface): the caller owns the sessions
 * and steps them when asked; the interface only shows what it is handed. */
struct ui_live {
	void *ctx;
	/* Waits up to wait_ms for the sockets or a key on standard input, moves the sessions,
	 * and returns 1 with *res set when the session on show changed (a run the caller keeps
	 * valid until the next call), 0 otherwise. */
	int (*tick)(void *ctx, int wait_ms, const struct run_result **res);
	const char *what;          /* for the status line: "live on 127.0.0.1:2525" */
};

struct ui_options {
	const char *scenario_path;  /* the scenario to open */
	const char *scenario_dir;   /* where the picker (l) looks for *.ini */
	const struct scenario_load_opts *load;  /* how to load a scenario (the data directory); may be NULL */
	int present;                /* --present: presentation mode for a projector */
	int no_lesson;              /* --no-lesson: no lesson card at the start */
	int no_color;               /* --no-color: as NO_COLOR=1 */
	int has_seed;
	uint64_t seed;
	const struct ui_live *live; /* NULL: the scenario's own run */
};

/* Runs the TUI until the user quits (or SIGINT/SIGTERM/SIGHUP). Returns 0, or 2 with a
 * one-line message in err (scenario will not load or run, stdout is not a terminal,
 * curses cannot start), or 128 + the signal's number after SIGINT, SIGTERM or SIGHUP
 * (130, 143, 129) with err empty. A terminal below 80x24 gets a message until it is
 * resized. */
int ui_main(const struct ui_options *opt, char *err, size_t errcap);

/* The key table as text, one line per key and context, for `smtps-sim --keys`:
 * markdown = 0: "CONTEXT<TAB>TMUX-KEY-NAME<TAB>LABEL<TAB>HELP" (for the terminal tests);
 * markdown = 1: the README's table. Each line goes to out (without a newline). */
void ui_keys_print(int markdown, void (*out)(const char *line));

#endif
