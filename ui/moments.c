/* moments: the key moments of a run, found from facts — never from a sentence. A secret
 * reaching a reader for the first time (the ledger's exposed_at), the attack taking
 * effect (the first reply or decision inside TLS that comes from bytes the attacker slipped
 * in before it), a check failing (TLS failed, a fatal alert), TLS coming up, and the
 * attacker acting (its own note, the first of a run of lines it deleted, added, forged,
 * replaced or tampered with; a key theft). The diagram marks them; ui_moment_step jumps
 * between them.
 *
 * The list is made once per trace and kept until the trace changes (a what-if re-run). */
#include "ui/app.h"

#include <stdlib.h>
#include <string.h>

#include "sim/smtp/smtp_parse.h"
#include "sim/smtp/smtp_sink.h"

/* The readers whose first sight of a secret is a key moment: the wire observer (with a
 * route, the observer of each hop instead: what hop 2 exposes is a moment of its own), the
 * attacker, the key thief. */
static const enum ledger_reader plain_readers[] = { READER_OBSERVER, READER_ATTACKER, READER_THIEF };
static const enum ledger_reader hop_readers[] = { READER_HOP1, READER_HOP2, READER_ATTACKER, READER_THIEF };

static size_t shown_readers(const struct app *a, const enum ledger_reader **out)
{
	if (ui_has_hops(a)) {
		*out = hop_readers;
		return sizeof hop_readers / sizeof *hop_readers;
	}
	*out = plain_readers;
	return sizeof plain_readers / sizeof *plain_readers;
}

/* The cache: which trace it was made for, and per event its UM_* bits and the readers a
 * secret first reached there. */
static struct {
	const void *ev, *lv, *last_summary;
	size_t n, ln;
	unsigned char *kind;
	unsigned *exposed;   /* bit (1 << reader) */
} mc;

/* The event an SMTP endpoint's KEPT_BUFFERED note leads to: on the server side of its
 * link (the server, or on hop 2 the MX), the reply inside TLS to the injected MAIL FROM
 * (else to the first injected command); on the client side (the client, or the relaying
 * server), the first thing it does after reading the forged reply to its first command
 * inside TLS. -1 when the trace does not get that far. */
static long injection_effect(const struct trace *t, size_t note)
{
	const struct trace_event *n = &t->ev[note];
	if (ui_event_from_answerer(n)) {
		int verbs[32], nv = 0;
		for (size_t j = 0; j < note; j++) {
			const struct trace_event *e = &t->ev[j];
			if (e->link == n->link && e->to == n->from && e->kind == TK_SMTP_COMMAND &&
			    (e->attack == ATTACK_ADDED || e->attack == ATTACK_FORGED) && nv < 32)
				verbs[nv++] = e->subtype;
		}
		long first = -1;
		int r = 0;
		for (size_t j = note + 1; j < t->n && r < nv; j++) {
			const struct trace_event *e = &t->ev[j];
			if (e->link != n->link || e->from != n->from || e->kind != TK_SMTP_REPLY || !e->encrypted)
				continue;
			int more = e->plain && e->plain_stored >= 4 && e->plain[3] == '-';
			if (more)
				continue;
			if (first < 0)
				first = (long)j;
			if (verbs[r] == SMTP_VERB_MAIL)
				return (long)j;
			r++;
		}
		return first;
	}
	/* the client: its first command inside TLS, then what it does next */
	for (size_t j = note + 1; j < t->n; j++) {
		const struct trace_event *e = &t->ev[j];
		if (e->link != n->link || e->from != n->from || e->kind != TK_SMTP_COMMAND || !e->encrypted)
			continue;
		for (size_t k = j + 1; k < t->n; k++) {
			const struct trace_event *f = &t->ev[k];
			if (f->link == n->link && f->from == n->from &&
			    (f->layer == LAYER_NOTE || f->kind == TK_SMTP_COMMAND))
				return (long)k;
		}
		return (long)j;
	}
	return -1;
}

static int is_kept_buffered(const struct trace_event *e)
{
	return e->kind == TK_ACTOR && e->subtype == SMTP_NOTE_KEPT_BUFFERED;
}

static void moments_build(const struct app *a)
{
	const struct trace *t = &a->res.trace;
	const struct ledger *l = &a->res.ledger;
	const void *last = t->n ? (const void *)t->ev[t->n - 1].summary : NULL;
	if (mc.kind && mc.ev == t->ev && mc.n == t->n && mc.lv == l->v && mc.ln == l->n && mc.last_summary == last)
		return;
	free(mc.kind);
	free(mc.exposed);
	mc.kind = calloc(t->n ? t->n : 1, 1);
	mc.exposed = calloc(t->n ? t->n : 1, sizeof *mc.exposed);
	if (!mc.kind || !mc.exposed) {
		free(mc.kind);
		free(mc.exposed);
		mc.kind = NULL;
		mc.exposed = NULL;
		return;
	}
	mc.ev = t->ev;
	mc.n = t->n;
	mc.lv = l->v;
	mc.ln = l->n;
	mc.last_summary = last;
	if (!a->have_res)
		return;

	const enum ledger_reader *rd;
	size_t nr = shown_readers(a, &rd);
	for (size_t r = 0; r < nr; r++) {
		if (!ledger_has_reader(l, rd[r]))
			continue;
		struct knowledge k;
		ledger_knowledge(l, rd[r], (size_t)-1, &k);
		for (int b = 0; b < 3; b++)
			if (k.exposed_at[b] && k.exposed_at[b] <= t->n) {
				mc.exposed[k.exposed_at[b] - 1] |= 1u << rd[r];
				mc.kind[k.exposed_at[b] - 1] |= UM_EXPOSED;
			}
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if (e->kind == TK_TLS_FAILED || (e->kind == TK_ALERT && e->alert_level == 2))
			mc.kind[i] |= UM_FAILED;
		if (e->kind == TK_TLS_UP)
			mc.kind[i] |= UM_TLS_UP;
		if (e->kind == TK_ATTACK || (e->kind == TK_KEY_THEFT && e->subtype != THEFT_NO_HANDSHAKE))
			mc.kind[i] |= UM_ATTACK;
		else if (e->attack && e->attack != ATTACK_RECORDED && e->layer != LAYER_NOTE &&
			 !(i > 0 && t->ev[i - 1].attack == e->attack && t->ev[i - 1].link == e->link))
			mc.kind[i] |= UM_ATTACK; /* the first of a run of lines the attacker changed */
		if (is_kept_buffered(e)) {
			long w = injection_effect(t, i);
			if (w >= 0)
				mc.kind[w] |= UM_WORKS;
		}
	}
}

int ui_moment_kinds(const struct app *a, size_t i)
{
	moments_build(a);
	return mc.kind && i < mc.n ? mc.kind[i] : 0;
}

int ui_is_moment(const struct app *a, size_t i)
{
	return ui_moment_kinds(a, i) != 0;
}

int ui_exposed_readers(const struct app *a, size_t i)
{
	moments_build(a);
	return mc.exposed && i < mc.n ? mc.exposed[i] : 0;
}

static const char *reader_word(enum ledger_reader r)
{
	switch (r) {
	case READER_OBSERVER: return "anyone on the wire";
	case READER_ATTACKER: return "the attacker";
	case READER_THIEF: return "the key thief";
	case READER_HOP1: return "anyone on hop 1";
	case READER_HOP2: return "anyone on hop 2";
	default: return ledger_reader_name(r);
	}
}

void ui_moment_describe(const struct app *a, size_t i, char *buf, size_t cap)
{
	int k = ui_moment_kinds(a, i);
	size_t n = 0;
	buf[0] = '\0';
	if (!k || cap == 0)
		return;
	const struct trace_event *e = &a->res.trace.ev[i];
#define PUT(...) do { int w_ = snprintf(buf + n, cap - n, __VA_ARGS__); if (w_ > 0) n = n + (size_t)w_ < cap ? n + (size_t)w_ : cap - 1; } while (0)
	PUT("key moment: ");
	const char *sep = "";
	if (k & UM_EXPOSED) {
		static const char *const what[3] = { "the credentials", "the envelope", "the message" };
		const enum ledger_reader *rd;
		size_t nr = shown_readers(a, &rd);
		for (size_t r = 0; r < nr; r++) {
			if (!((unsigned)ui_exposed_readers(a, i) >> rd[r] & 1))
				continue;
			struct knowledge kn;
			ledger_knowledge(&a->res.ledger, rd[r], (size_t)-1, &kn);
			const char *s2 = "";
			PUT("%s", sep);
			for (int b = 0; b < 3; b++)
				if (kn.exposed_at[b] == i + 1) {
					PUT("%s%s", s2, what[b]);
					s2 = " and ";
				}
			PUT(" exposed to %s", reader_word(rd[r]));
			sep = "; ";
		}
	}
	if (k & UM_WORKS) {
		PUT("%sthe injected %s takes effect inside TLS", sep,
		    ui_event_from_answerer(e) ? "command" : "reply");
		sep = "; ";
	}
	if (k & UM_FAILED) {
		PUT("%s%s", sep, e->kind == TK_ALERT ? "a fatal alert" : "a TLS check fails");
		sep = "; ";
	}
	if (k & UM_TLS_UP) {
		PUT("%sTLS is up for the %s", sep, trace_actor_name(e->from));
		sep = "; ";
	}
	if (k & UM_ATTACK) {
		const char *act = e->kind == TK_KEY_THEFT ? "key theft"
				  : e->attack ? trace_attack_name((enum trace_attack)e->attack) : "acts";
		PUT("%sthe attacker: %s", sep, act);
	}
#undef PUT
}

void ui_moment_step(struct app *a, int dir)
{
	size_t n = a->res.trace.n;
	if (n) {
		if (dir > 0) {
			for (size_t i = a->cur + 1; i < n; i++)
				if (ui_is_moment(a, i)) {
					ui_goto(a, i);
					ui_moment_describe(a, i, a->msg, sizeof a->msg);
					a->msg_err = 0;
					return;
				}
		} else {
			for (size_t i = a->cur; i-- > 0;)
				if (ui_is_moment(a, i)) {
					ui_goto(a, i);
					ui_moment_describe(a, i, a->msg, sizeof a->msg);
					a->msg_err = 0;
					return;
				}
		}
	}
	snprintf(a->msg, sizeof a->msg, "%s", dir > 0 ? "no further key moment" : "no earlier key moment");
	a->msg_err = 0;
}

size_t ui_buffered_bytes(const struct app *a, size_t i, unsigned char *out, size_t cap)
{
	const struct trace *t = &a->res.trace;
	if (i >= t->n || !is_kept_buffered(&t->ev[i]))
		return 0;
	const struct trace_event *n = &t->ev[i];
	size_t len = 0;
	for (size_t j = 0; j < i; j++) {
		const struct trace_event *e = &t->ev[j];
		if (e->link != n->link || e->to != n->from || !e->wire_stored ||
		    (e->attack != ATTACK_ADDED && e->attack != ATTACK_FORGED) ||
		    (e->kind != TK_SMTP_COMMAND && e->kind != TK_SMTP_REPLY))
			continue;
		size_t k = e->wire_stored < cap - len ? e->wire_stored : cap - len;
		memcpy(out + len, e->wire, k);
		len += k;
	}
	return len;
}
