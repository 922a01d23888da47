/* narrate: the sentence a student reads for an event: what just happened and why it
 * matters for the security of the mail. Made from the event's facts only — its kind and
 * subtype, its decoded fields and who can read it — never from its summary, so every
 * view tells the same story and a summary can be reworded freely. */
#ifndef SIM_NARRATE_H
#define SIM_NARRATE_H

#include <stddef.h>

#include "sim/trace/trace.h"

/* Writes one or two sentences into buf ("" when the kind has none of its own). */
void narrate_event(const struct trace_event *e, char *buf, size_t cap);

#endif
