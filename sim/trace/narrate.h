/* narrate: the sentence a student reads for an event: what just happened and why it
 * matters for the security of the mail. Made from facts only — the event's kind and
 * subtype, its decoded fields and wire bytes, who can read it, and what the trace
 * already holds (the events before it on its link, the TLS sessions) — never from a
 * summary or another sentence, so every view tells the same story and a summary can be
 * reworded freely. */
#ifndef SIM_NARRATE_H
#define SIM_NARRATE_H

#include <stddef.h>

#include "sim/trace/trace.h"

/* Writes one or two sentences into buf ("" when the kind has none of its own). t is the
 * trace e is about to join (the events before it are there); it may be NULL, and then
 * the sentences that need what came before fall back to what e alone says. */
void narrate_event(const struct trace *t, const struct trace_event *e, char *buf, size_t cap);

#endif
