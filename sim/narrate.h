/* narrate: the sentence a student reads for an event: what just happened and why it
 * matters for the security of the mail. Derived from the event's layer, fields and
 * protection only, so every view tells the same story. */
#ifndef SIM_NARRATE_H
#define SIM_NARRATE_H

#include <stddef.h>

#include "trace.h"

/* Writes one or two sentences into buf. mitm_present: an attacker sits on the path. */
void narrate_event(const struct trace_event *e, int mitm_present, char *buf, size_t cap);

#endif
