/* ui: the ncurses front end. It reads a trace and a cursor and never drives protocol
 * logic: a what-if asks the simulator for a new run with one option changed. */
#ifndef UI_UI_H
#define UI_UI_H

#include <stddef.h>
#include <stdint.h>

struct scenario_load_opts; /* sim/run/scenario.h */

struct ui_options {
	const char *scenario_path;  /* the scenario to open */
	const char *scenario_dir;   /* where the picker (l) looks for *.ini */
	const struct scenario_load_opts *load;  /* how to load a scenario (the data directory); may be NULL */
	int present;                /* --present: presentation mode for a projector */
	int has_seed;
	uint64_t seed;
};

/* Runs the TUI until the user quits (or SIGINT/SIGTERM/SIGHUP). Returns 0, or 2 with a
 * one-line message in err (scenario will not load or run, stdout is not a terminal,
 * curses cannot start). A terminal below 80x24 gets a message until it is resized. */
int ui_main(const struct ui_options *opt, char *err, size_t errcap);

#endif
