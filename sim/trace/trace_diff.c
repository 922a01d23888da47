/* trace_diff: lining events up by their facts — two runs side by side, or the two links
 * of one run with an attacker (see trace_diff.h). Both are a weighted longest common
 * subsequence: a pair with the same facts weighs 3, a pair of the same kind with other
 * content 1, so one true match is never traded for two loose ones. */
#include "sim/trace/trace_diff.h"
#include "sim/decode/decode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Above this many table cells (a huge trace) the runs are lined up by position. */
#define DIFF_MAX_CELLS ((size_t)32 * 1024 * 1024)

static int same_bytes(const uint8_t *p, size_t len, size_t stored, const uint8_t *q, size_t qlen, size_t qstored)
{
	if (len != qlen || stored != qstored)
		return 0;
	return !stored || (p && q && !memcmp(p, q, stored));
}

static int same_kind(const struct trace_event *x, const struct trace_event *y)
{
	return x->link == y->link && x->from == y->from && x->to == y->to && x->kind == y->kind &&
	       x->subtype == y->subtype;
}

int trace_diff_same(const struct trace_event *x, const struct trace_event *y)
{
	return same_kind(x, y) && x->attack == y->attack && x->encrypted == y->encrypted &&
	       x->tls_err == y->tls_err && x->alert_level == y->alert_level && x->port == y->port &&
	       x->replay == y->replay &&
	       same_bytes(x->wire, x->wire_len, x->wire_stored, y->wire, y->wire_len, y->wire_stored) &&
	       same_bytes(x->plain, x->plain_len, x->plain_stored, y->plain, y->plain_len, y->plain_stored);
}

/* score(ctx, i, j): 3 the same, 1 changed, 0 no pair. */
typedef int (*score_fn)(const void *ctx, size_t i, size_t j);

/* The weighted LCS of 0..na-1 and 0..nb-1. Fills ma[i] with the j paired with i (or -1)
 * and sa[i] with its score. Returns 0, 1 when the table would be too large (nothing
 * filled), or -1 out of memory. */
static int lcs(size_t na, size_t nb, score_fn score, const void *ctx, int *ma, int *sa)
{
	for (size_t i = 0; i < na; i++)
		ma[i] = -1, sa[i] = 0;
	if (!na || !nb)
		return 0;
	size_t w = nb + 1;
	if ((na + 1) > DIFF_MAX_CELLS / w)
		return 1;
	int *t = calloc((na + 1) * w, sizeof *t);
	if (!t)
		return -1;
	/* t[i][j]: the best weight of a[i..] against b[j..] */
	for (size_t i = na; i-- > 0;) {
		for (size_t j = nb; j-- > 0;) {
			int best = t[(i + 1) * w + j];
			if (t[i * w + j + 1] > best)
				best = t[i * w + j + 1];
			int s = score(ctx, i, j);
			if (s && t[(i + 1) * w + j + 1] + s > best)
				best = t[(i + 1) * w + j + 1] + s;
			t[i * w + j] = best;
		}
	}
	size_t i = 0, j = 0;
	while (i < na && j < nb) {
		int s = score(ctx, i, j);
		if (s && t[i * w + j] == t[(i + 1) * w + j + 1] + s) {
			ma[i] = (int)j;
			sa[i] = s;
			i++, j++;
		} else if (t[i * w + j] == t[(i + 1) * w + j]) {
			i++;
		} else {
			j++;
		}
	}
	free(t);
	return 0;
}

/* ---- two runs ---- */

struct runs_ctx {
	const struct trace *a, *b;
};

static int runs_score(const void *ctx, size_t i, size_t j)
{
	const struct runs_ctx *c = ctx;
	const struct trace_event *x = &c->a->ev[i], *y = &c->b->ev[j];
	if (!same_kind(x, y))
		return 0;
	return trace_diff_same(x, y) ? 3 : 1;
}

static int push_row(struct trace_diff *d, size_t *cap, int a, int b, enum trace_diff_mark m)
{
	if (d->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct trace_diff_row *r = realloc(d->rows, nc * sizeof *r);
		if (!r)
			return -1;
		d->rows = r;
		*cap = nc;
	}
	d->rows[d->n++] = (struct trace_diff_row){ a, b, m };
	return 0;
}

int trace_diff_runs(const struct trace *a, const struct trace *b, struct trace_diff *d)
{
	memset(d, 0, sizeof *d);
	size_t na = a->n, nb = b->n, cap = 0;
	int *ma = malloc((na ? na : 1) * sizeof *ma), *sa = malloc((na ? na : 1) * sizeof *sa);
	if (!ma || !sa) {
		free(ma);
		free(sa);
		return -1;
	}
	struct runs_ctx ctx = { a, b };
	int r = lcs(na, nb, runs_score, &ctx, ma, sa);
	if (r == 1) {
		/* too large to align: by position */
		for (size_t i = 0; i < na && i < nb; i++) {
			int s = runs_score(&ctx, i, i);
			ma[i] = s ? (int)i : -1;
			sa[i] = s;
		}
		r = 0;
	}
	unsigned char *mb = calloc(nb ? nb : 1, 1);
	if (!mb)
		r = -1;
	for (size_t i = 0; !r && i < na; i++)
		if (ma[i] >= 0)
			mb[ma[i]] = 1;
	/* between two pairs: what only a has, then what only b has */
	for (size_t i = 0, j = 0; !r && (i < na || j < nb);) {
		int li = i < na && ma[i] < 0, lj = j < nb && !mb[j];
		if (li)
			r = push_row(d, &cap, (int)i++, -1, TRACE_DIFF_ONLY_A);
		else if (lj)
			r = push_row(d, &cap, -1, (int)j++, TRACE_DIFF_ONLY_B);
		else {
			r = push_row(d, &cap, (int)i, (int)j, sa[i] == 3 ? TRACE_DIFF_SAME : TRACE_DIFF_CHANGED);
			i++, j++;
		}
	}
	free(mb);
	free(ma);
	free(sa);
	if (r) {
		trace_diff_free(d);
		return -1;
	}
	d->first = d->n;
	for (size_t k = 0; k < d->n; k++) {
		if (d->rows[k].mark != TRACE_DIFF_SAME) {
			d->first = k;
			break;
		}
	}
	return 0;
}

size_t trace_diff_first_b(const struct trace_diff *d, const struct trace *b)
{
	if (d->first >= d->n)
		return (size_t)-1;
	for (size_t k = d->first; k < d->n; k++)
		if (d->rows[k].b >= 0)
			return (size_t)d->rows[k].b;
	return b->n ? b->n - 1 : 0;
}

void trace_diff_free(struct trace_diff *d)
{
	free(d->rows);
	memset(d, 0, sizeof *d);
}

/* ---- the two links of one run ---- */

int trace_wire_has_links(const struct trace *t)
{
	int ca = 0, as = 0;
	for (size_t i = 0; i < t->n; i++) {
		ca |= t->ev[i].link == LINK_CLIENT_MITM && t->ev[i].layer != LAYER_NOTE;
		as |= t->ev[i].link == LINK_MITM_SERVER && t->ev[i].layer != LAYER_NOTE;
	}
	return ca && as;
}

struct wire_ctx {
	const struct trace *t;
	const int *ca, *as;   /* event indices on each link */
};

/* Towards the server: on client-attacker sent by the client, on attacker-server sent to
 * the server. */
static int upstream(const struct trace_event *e)
{
	return e->link == LINK_CLIENT_MITM ? e->from == ACTOR_CLIENT : e->to == ACTOR_SERVER;
}

/* What the endpoint read or wrote: the plaintext when there is one, else the wire. */
static int same_content(const struct trace_event *x, const struct trace_event *y)
{
	if (x->plain_len || y->plain_len)
		return same_bytes(x->plain, x->plain_len, x->plain_stored, y->plain, y->plain_len, y->plain_stored);
	return same_bytes(x->wire, x->wire_len, x->wire_stored, y->wire, y->wire_len, y->wire_stored);
}

static int wire_score(const void *ctx, size_t i, size_t j)
{
	const struct wire_ctx *c = ctx;
	const struct trace_event *x = &c->t->ev[c->ca[i]], *y = &c->t->ev[c->as[j]];
	if (upstream(x) != upstream(y) || x->kind != y->kind || x->subtype != y->subtype)
		return 0;
	return same_content(x, y) ? 3 : 1;
}

static int wpush(struct trace_wire *w, size_t *cap, struct trace_wire_row row)
{
	if (w->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct trace_wire_row *r = realloc(w->rows, nc * sizeof *r);
		if (!r)
			return -1;
		w->rows = r;
		*cap = nc;
	}
	w->rows[w->n++] = row;
	return 0;
}

/* A message found on one link only: on the link it was sent on first it never went on
 * (deleted); on the second link it is the attacker's own. */
static enum trace_wire_mark lone_mark(const struct trace_event *e)
{
	int first_hop = e->link == LINK_CLIENT_MITM ? e->from == ACTOR_CLIENT : e->from == ACTOR_SERVER;
	if (e->attack == ATTACK_FORGED || e->attack == ATTACK_REPLACED)
		return TRACE_WIRE_FORGED;
	return first_hop ? TRACE_WIRE_DELETED : TRACE_WIRE_ADDED;
}

/* Emits the notes before event index key (all of them when key is -1). */
static int flush_notes(struct trace_wire *w, size_t *cap, const int *notes, size_t nn, size_t *k, int key)
{
	while (*k < nn && (key < 0 || notes[*k] < key)) {
		if (wpush(w, cap, (struct trace_wire_row){ -1, -1, notes[*k], TRACE_WIRE_NOTE }))
			return -1;
		(*k)++;
	}
	return 0;
}

static int wire_row(struct trace_wire *w, size_t *cap, const int *notes, size_t nn, size_t *k, int ca, int as,
		    enum trace_wire_mark m)
{
	int key = ca < 0 ? as : as < 0 ? ca : ca < as ? ca : as;
	if (flush_notes(w, cap, notes, nn, k, key))
		return -1;
	return wpush(w, cap, (struct trace_wire_row){ ca, as, -1, m });
}

int trace_diff_wire(const struct trace *t, struct trace_wire *w)
{
	memset(w, 0, sizeof *w);
	size_t n = t->n ? t->n : 1;
	int *ca = malloc(n * sizeof *ca), *as = malloc(n * sizeof *as), *notes = malloc(n * sizeof *notes);
	int *ma = malloc(n * sizeof *ma), *sa = malloc(n * sizeof *sa);
	unsigned char *parent = calloc(n, 1), *mb = malloc(n);
	int r = -1;
	if (!ca || !as || !notes || !ma || !sa || !parent || !mb)
		goto out;
	for (size_t i = 0; i < t->n; i++)
		if (t->ev[i].parent >= 0 && (size_t)t->ev[i].parent < t->n)
			parent[t->ev[i].parent] = 1;
	size_t nca = 0, nas = 0, nn = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if (e->layer == LAYER_NOTE || e->replay) {
			notes[nn++] = (int)i;
			continue;
		}
		if (e->kind == TK_RECORD && parent[i] && e->subtype != TLS_CT_APPLICATION_DATA)
			continue; /* its messages stand for it */
		if (e->link == LINK_CLIENT_MITM)
			ca[nca++] = (int)i;
		else if (e->link == LINK_MITM_SERVER)
			as[nas++] = (int)i;
	}
	struct wire_ctx ctx = { t, ca, as };
	r = lcs(nca, nas, wire_score, &ctx, ma, sa);
	if (r == 1) {
		for (size_t i = 0; i < nca; i++)
			ma[i] = -1;
		r = 0;
	}
	if (r)
		goto out;
	size_t cap = 0, k = 0;
	memset(mb, 0, n);
	for (size_t i = 0; i < nca; i++)
		if (ma[i] >= 0)
			mb[ma[i]] = 1;
	/* between two pairs: the lone events of both links, in time order */
	for (size_t i = 0, j = 0; !r && (i < nca || j < nas);) {
		int li = i < nca && ma[i] < 0, lj = j < nas && !mb[j];
		if (li && (!lj || ca[i] < as[j])) {
			r = wire_row(w, &cap, notes, nn, &k, ca[i], -1, lone_mark(&t->ev[ca[i]]));
			i++;
		} else if (lj) {
			r = wire_row(w, &cap, notes, nn, &k, -1, as[j], lone_mark(&t->ev[as[j]]));
			j++;
		} else {
			r = wire_row(w, &cap, notes, nn, &k, ca[i], as[j], sa[i] == 3 ? TRACE_WIRE_RELAYED : TRACE_WIRE_CHANGED);
			i++, j++;
		}
	}
	if (!r)
		r = flush_notes(w, &cap, notes, nn, &k, -1);
	/* a lone message whose record was relayed whole went through, inside that record */
	for (size_t q = 0; !r && q < w->n; q++) {
		struct trace_wire_row *row = &w->rows[q];
		int ev = row->ca >= 0 ? row->ca : row->as;
		if (row->mark == TRACE_WIRE_NOTE || (row->ca >= 0 && row->as >= 0) || t->ev[ev].parent < 0)
			continue;
		for (size_t p2 = 0; p2 < w->n; p2++) {
			const struct trace_wire_row *pr = &w->rows[p2];
			if (pr->mark == TRACE_WIRE_RELAYED && (pr->ca == t->ev[ev].parent || pr->as == t->ev[ev].parent)) {
				row->mark = TRACE_WIRE_INSIDE;
				break;
			}
		}
	}
out:
	free(ca);
	free(as);
	free(notes);
	free(ma);
	free(sa);
	free(parent);
	free(mb);
	if (r)
		trace_wire_free(w);
	return r ? -1 : 0;
}

void trace_wire_free(struct trace_wire *w)
{
	free(w->rows);
	memset(w, 0, sizeof *w);
}
