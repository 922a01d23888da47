/* trace: see trace.h. */
#include "trace.h"

#include <stdlib.h>
#include <string.h>

void trace_init(struct trace *t)
{
	memset(t, 0, sizeof *t);
}

void trace_free(struct trace *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct trace_event *e = &t->ev[i];
		free(e->wire);
		free(e->plain);
		free(e->summary);
		free(e->narration);
		fields_free(&e->fields);
	}
	free(t->ev);
	free(t->keys);
	trace_init(t);
}

static uint8_t *copy_bytes(const uint8_t *p, size_t n, size_t max, size_t *stored)
{
	if (max && n > max)
		n = max;
	*stored = n;
	if (!p || n == 0)
		return NULL;
	uint8_t *c = malloc(n);
	if (c)
		memcpy(c, p, n);
	return c;
}

int trace_append(struct trace *t, struct trace_event *e)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct trace_event *v = realloc(t->ev, cap * sizeof *v);
		if (!v)
			return -1;
		t->ev = v;
		t->cap = cap;
	}
	struct trace_event *d = &t->ev[t->n];
	*d = *e;
	d->seq = (uint32_t)(t->n + 1);
	d->wire = copy_bytes(e->wire, e->wire_len, t->max_stored, &d->wire_stored);
	d->plain = copy_bytes(e->plain, e->plain_len, t->max_stored, &d->plain_stored);
	d->summary = strdup(e->summary ? e->summary : "");
	d->narration = e->narration ? strdup(e->narration) : NULL;
	if ((d->wire_stored && !d->wire) || (d->plain_stored && !d->plain) || !d->summary ||
	    (e->narration && !d->narration)) {
		free(d->wire);
		free(d->plain);
		free(d->summary);
		free(d->narration);
		return -1;
	}
	/* fields move: the caller's list is left empty */
	d->fields = e->fields;
	fields_init(&e->fields);
	return (int)t->n++;
}

int trace_add_keys(struct trace *t, const struct trace_tls_keys *k)
{
	struct trace_tls_keys *v = realloc(t->keys, (t->nkeys + 1) * sizeof *v);
	if (!v)
		return -1;
	t->keys = v;
	t->keys[t->nkeys++] = *k;
	return 0;
}

const char *trace_actor_name(enum trace_actor a)
{
	switch (a) {
	case ACTOR_CLIENT: return "client";
	case ACTOR_MITM: return "attacker";
	case ACTOR_SERVER: return "server";
	}
	return "?";
}

const char *trace_layer_name(enum trace_layer l)
{
	static const char *const names[LAYER_COUNT] = {
		[LAYER_CONNECTION] = "tcp",
		[LAYER_TLS_RECORD] = "tls-record",
		[LAYER_TLS_HANDSHAKE] = "tls-handshake",
		[LAYER_TLS_CCS] = "tls-ccs",
		[LAYER_TLS_ALERT] = "tls-alert",
		[LAYER_SMTP_COMMAND] = "smtp-command",
		[LAYER_SMTP_REPLY] = "smtp-reply",
		[LAYER_SMTP_DATA] = "smtp-data",
		[LAYER_NOTE] = "note",
	};
	return (unsigned)l < LAYER_COUNT ? names[l] : "?";
}

void trace_link_ends(enum trace_link l, enum trace_actor *a, enum trace_actor *b)
{
	switch (l) {
	case LINK_CLIENT_SERVER: *a = ACTOR_CLIENT; *b = ACTOR_SERVER; return;
	case LINK_CLIENT_MITM: *a = ACTOR_CLIENT; *b = ACTOR_MITM; return;
	case LINK_MITM_SERVER: *a = ACTOR_MITM; *b = ACTOR_SERVER; return;
	}
	*a = ACTOR_CLIENT;
	*b = ACTOR_SERVER;
}
