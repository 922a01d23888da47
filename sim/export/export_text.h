/* export_text: the headless transcript: one line per event (number, arrow, layer,
 * summary), with -v the decoded fields and the narration, then the outcome. */
#ifndef SIM_EXPORT_TEXT_H
#define SIM_EXPORT_TEXT_H

#include <stdio.h>

#include "sim/run/run.h"
#include "sim/run/scenario.h"

/* "C -> S", "C <- A", "  S   " (a note) for an event. buf needs 8 bytes. */
const char *export_arrow(const struct trace_event *e, char *buf);
void export_text(FILE *f, const struct scenario *sc, const struct run_result *r, int verbose);
/* The outcome block alone (also used by the TUI's end screen and the handout). */
void export_outcome_text(FILE *f, const struct outcome *o, int mitm_present);

#endif
