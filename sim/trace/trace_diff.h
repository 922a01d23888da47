/* trace_diff: two ways of lining events up, by their facts (never by their prose).
 *
 * trace_diff_runs: two runs of (nearly) the same scenario — a file and its what-if
 * variant, or a lesson and its vulnerable/safe twin — aligned event by event, with the
 * first place where they part. Two events are the same when link, ends, kind, subtype,
 * attack mark, error and the bytes (on the wire, and the plaintext) agree; they are a
 * changed pair when only link, ends, kind and subtype agree.
 *
 * trace_diff_wire: one run with an attacker in the path, its two links side by side —
 * the wire as the client sees it (client-attacker) and as the server sees it
 * (attacker-server) — each message beside its counterpart on the other link, so that
 * what the attacker deleted, added, forged or changed stands out. */
#ifndef SIM_TRACE_DIFF_H
#define SIM_TRACE_DIFF_H

#include <stddef.h>

#include "sim/trace/trace.h"

enum trace_diff_mark {
	TRACE_DIFF_SAME,     /* the same facts in both runs */
	TRACE_DIFF_CHANGED,  /* the same kind of event, with other content */
	TRACE_DIFF_ONLY_A,   /* only in the first run (b = -1) */
	TRACE_DIFF_ONLY_B,   /* only in the second run (a = -1) */
};

struct trace_diff_row {
	int a, b;            /* event indices, -1 for none */
	enum trace_diff_mark mark;
};

struct trace_diff {
	struct trace_diff_row *rows;
	size_t n;
	size_t first;        /* the first row that is not TRACE_DIFF_SAME, or n: no difference */
};

/* 1 when the two events have the same facts (see above). */
int trace_diff_same(const struct trace_event *x, const struct trace_event *y);

/* Aligns every event of a with every event of b (longest common subsequence, the same
 * events weighing more than changed ones). Returns 0 with d filled (free with
 * trace_diff_free), or -1 when out of memory (d is then empty). */
int trace_diff_runs(const struct trace *a, const struct trace *b, struct trace_diff *d);
/* The event of b where the runs first differ: the first row's b, or the next b after a
 * row only in a; (size_t)-1 when there is no difference, b->n - 1 when b only lacks
 * events at its end. */
size_t trace_diff_first_b(const struct trace_diff *d, const struct trace *b);
void trace_diff_free(struct trace_diff *d);

/* ---- the two links of one run ---- */

enum trace_wire_mark {
	TRACE_WIRE_RELAYED,  /* passed on unchanged: the same content on both links */
	TRACE_WIRE_CHANGED,  /* passed on, changed (replaced, or the attacker's own TLS) */
	TRACE_WIRE_DELETED,  /* sent on the first link, never on the second */
	TRACE_WIRE_ADDED,    /* only on the second link: the attacker's own (injected) */
	TRACE_WIRE_FORGED,   /* only on one link, made up in the peer's name */
	TRACE_WIRE_INSIDE,   /* read out of an encrypted record that was passed on whole (the
			      * record's own row is the relayed pair): one side only, no ghost */
	TRACE_WIRE_NOTE,     /* an actor's decision (note holds it) */
};

struct trace_wire_row {
	int ca, as;          /* the event on client-attacker, on attacker-server, or -1 */
	int note;            /* TRACE_WIRE_NOTE: the note's event index; else -1 */
	enum trace_wire_mark mark;
};

struct trace_wire {
	struct trace_wire_row *rows;
	size_t n;
};

/* 1 when t has events on both attacker links. */
int trace_wire_has_links(const struct trace *t);
/* Aligns t's client-attacker events with its attacker-server events and puts each note
 * in time order between them. A cleartext record that carries decoded messages is left
 * out (its messages stand for it); an encrypted application-data record stays, so that
 * a record the attacker relays whole meets its copy, and the messages an endpoint read
 * out of it are marked inside. Returns 0, or -1 when out of memory (w is then empty). */
int trace_diff_wire(const struct trace *t, struct trace_wire *w);
void trace_wire_free(struct trace_wire *w);

#endif
