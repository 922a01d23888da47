/* trace: see trace.h. */
#include "sim/trace/trace.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "sim/base/buf.h"

/* Everything an event holds besides its struct: its wire and plain bytes, its summary
 * and narration, its fields (packed, read-only: fields_pack). A chain of chunks filled
 * in order: BYTES_FIRST, then BYTES_SECOND (every scenario of the catalogue fits in
 * these), then BYTES_HUGE, doubling up to BYTES_MAX. A trace of a big message keeps
 * megabytes (max_stored bytes of every record and every piece of the message): packed
 * like this they cost no allocation per event, the memory the decoders used is reused
 * for the next event, and the large chunks are offered to the kernel for huge pages, so
 * that fresh memory comes in a few faults instead of one per 4 KiB page. */
#define BYTES_FIRST ((size_t)64 * 1024)
#define BYTES_SECOND ((size_t)256 * 1024)
#define BYTES_HUGE ((size_t)2 * 1024 * 1024)
#define BYTES_MAX ((size_t)8 * 1024 * 1024)

struct trace_bytes {
	struct trace_bytes *prev;
	uint8_t *data;
	size_t used, cap;
};

static void bytes_free(struct trace_bytes *b)
{
	while (b) {
		struct trace_bytes *prev = b->prev;
		free(b->data);
		free(b);
		b = prev;
	}
}

void trace_pool_init(struct trace_pool *p, size_t max_bytes)
{
	p->free = NULL;
	p->bytes = 0;
	p->max = max_bytes;
	p->ev = NULL;
	p->ev_cap = 0;
}

void trace_pool_free(struct trace_pool *p)
{
	bytes_free(p->free);
	free(p->ev);
	trace_pool_init(p, p->max);
}

/* A trace's chunks at its end: the large ones back to the pool while it has room. */
static void bytes_release(struct trace_pool *pool, struct trace_bytes *b)
{
	while (b) {
		struct trace_bytes *prev = b->prev;
		if (pool && b->cap >= BYTES_HUGE && pool->bytes + b->cap <= pool->max) {
			b->prev = pool->free;
			pool->free = b;
			pool->bytes += b->cap;
		} else {
			free(b->data);
			free(b);
		}
		b = prev;
	}
}

/* A pooled chunk of exactly cap bytes, or NULL: a trace grows through the same sizes
 * each time, so the chunks of the last one fit the next. */
static struct trace_bytes *pool_take(struct trace_pool *pool, size_t cap)
{
	for (struct trace_bytes **p = pool ? &pool->free : NULL; p && *p; p = &(*p)->prev) {
		if ((*p)->cap != cap)
			continue;
		struct trace_bytes *b = *p;
		*p = b->prev;
		pool->bytes -= b->cap;
		return b;
	}
	return NULL;
}

/* n bytes of room, aligned to `align` (a power of two, at most 16), in the newest chunk
 * or in a new one. */
static uint8_t *bytes_take(struct trace *t, size_t n, size_t align)
{
	struct trace_bytes *b = t->bytes;
	size_t at = b ? (b->used + align - 1) & ~(align - 1) : 0;
	if (!b || at > b->cap || b->cap - at < n) {
		size_t cap = !b ? BYTES_FIRST
			     : b->cap < BYTES_SECOND ? BYTES_SECOND
			     : b->cap < BYTES_HUGE ? BYTES_HUGE
			     : b->cap < BYTES_MAX ? 2 * b->cap : BYTES_MAX;
		if (cap < n)
			cap = n;
		/* From the pool when it has one of this size: its pages are already there. */
		struct trace_bytes *nb = pool_take(t->pool, cap);
		if (!nb) {
			if (!(nb = malloc(sizeof *nb)))
				return NULL;
			nb->data = NULL;
			if (cap >= BYTES_HUGE && cap % BYTES_HUGE == 0) {
				nb->data = aligned_alloc(BYTES_HUGE, cap);
#ifdef MADV_HUGEPAGE
				if (nb->data)
					madvise(nb->data, cap, MADV_HUGEPAGE); /* only a hint: no error to handle */
#endif
			}
			if (!nb->data)
				nb->data = malloc(cap);
			if (!nb->data) {
				free(nb);
				return NULL;
			}
		}
		nb->prev = b;
		nb->used = 0;
		nb->cap = cap;
		t->bytes = b = nb;
		at = 0;
	}
	b->used = at + n;
	return b->data + at;
}

void trace_init(struct trace *t)
{
	memset(t, 0, sizeof *t);
}

void trace_free(struct trace *t)
{
	for (size_t i = 0; i < t->n; i++)
		fields_free(&t->ev[i].fields); /* packed: nothing to free unless replaced */
	struct trace_pool *pool = t->pool;
	/* The event array goes back too, when it is the largest at hand and within bounds. */
	if (pool && t->cap > pool->ev_cap && t->cap * sizeof *t->ev <= pool->max) {
		free(pool->ev);
		pool->ev = t->ev;
		pool->ev_cap = t->cap;
	} else {
		free(t->ev);
	}
	free(t->sessions);
	bytes_release(pool, t->bytes);
	trace_init(t);
	t->pool = pool;
}

static uint8_t *copy_bytes(struct trace *t, const uint8_t *p, size_t n, size_t *stored)
{
	if (t->max_stored && n > t->max_stored)
		n = t->max_stored;
	*stored = n;
	if (!p || n == 0)
		return NULL;
	uint8_t *c = bytes_take(t, n, 1);
	if (c)
		memcpy(c, p, n);
	return c;
}

static char *copy_text(struct trace *t, const char *s)
{
	size_t n = strlen(s) + 1;
	char *c = (char *)bytes_take(t, n, 1);
	if (c)
		memcpy(c, s, n);
	return c;
}

/* The summary (which 0) or narration (1) of an event of kind k: the text stored for the
 * last event of that kind when s is the same, else a copy. */
static char *share_text(struct trace *t, enum trace_kind k, int which, const char *s)
{
	if ((unsigned)k >= TK_COUNT)
		return copy_text(t, s);
	const char *last = t->last_text[k][which];
	if (last && (last == s || !strcmp(last, s)))
		return (char *)last;
	char *c = copy_text(t, s);
	if (c)
		t->last_text[k][which] = c;
	return c;
}

int trace_append(struct trace *t, struct trace_event *e)
{
	int idx = trace_append_kept(t, e);
	if (idx >= 0)
		fields_free(&e->fields);
	return idx;
}

int trace_append_kept(struct trace *t, struct trace_event *e)
{
	if (!t->ev && t->pool && t->pool->ev) { /* the last trace's array, already mapped */
		t->ev = t->pool->ev;
		t->cap = t->pool->ev_cap;
		t->pool->ev = NULL;
		t->pool->ev_cap = 0;
	}
	if (VEC_RESERVE(t->ev, t->cap, t->n + 1))
		return -1;
	struct trace_event *d = &t->ev[t->n];
	*d = *e;
	d->seq = (uint32_t)(t->n + 1);
	d->wire = copy_bytes(t, e->wire, e->wire_len, &d->wire_stored);
	d->plain = copy_bytes(t, e->plain, e->plain_len, &d->plain_stored);
	d->summary = share_text(t, e->kind, 0, e->summary ? e->summary : "");
	d->narration = e->narration ? share_text(t, e->kind, 1, e->narration) : NULL;
	/* Packed fields are an earlier event's of this trace: shared as they are. */
	int shared = e->fields.packed;
	size_t fsize = shared ? 0 : fields_packed_size(&e->fields);
	void *fmem = fsize ? bytes_take(t, fsize, sizeof(void *)) : NULL;
	if ((d->wire_stored && !d->wire) || (d->plain_stored && !d->plain) || !d->summary ||
	    (e->narration && !d->narration) || (fsize && !fmem))
		return -1; /* what was taken stays in its chunk until trace_free */
	/* The fields are packed next to the rest (or shared, read-only both). */
	if (shared)
		d->fields = e->fields;
	else
		fields_pack(&e->fields, fmem, &d->fields);
	return (int)t->n++;
}

/* The newest session with this client random whose end(s) in `open` (1: the client,
 * 2: the server, 3: not both) are not up yet, or a new one. Its index, or -1 when out of
 * memory. */
static int session_for(struct trace *t, const uint8_t client_random[32], int open)
{
	for (size_t i = t->nsessions; i-- > 0;) {
		const struct trace_tls_session *s = &t->sessions[i];
		int taken = open == 1 ? s->client_up : open == 2 ? s->server_up : s->client_up && s->server_up;
		if (!memcmp(s->client_random, client_random, 32) && !taken)
			return (int)i;
	}
	if (VEC_RESERVE(t->sessions, t->sessions_cap, t->nsessions + 1))
		return -1;
	size_t i = t->nsessions++;
	memset(&t->sessions[i], 0, sizeof t->sessions[i]);
	memcpy(t->sessions[i].client_random, client_random, 32);
	return (int)i;
}

int trace_session_join(struct trace *t, enum trace_link link, enum trace_actor who, int is_client,
		       unsigned version, unsigned suite, const uint8_t client_random[32],
		       const uint8_t *master_secret, const uint8_t *server_random, const uint8_t *premaster,
		       size_t premaster_len)
{
	/* The newest session with this random and this end still open is the one. */
	int i = session_for(t, client_random, is_client ? 1 : 2);
	if (i < 0)
		return -1;
	struct trace_tls_session *s = &t->sessions[i];
	s->links |= 1u << link;
	s->version = version;
	s->suite = suite;
	if (is_client) {
		s->client_up = 1;
		s->client_end = who;
	} else {
		s->server_up = 1;
		s->server_end = who;
	}
	if (master_secret) {
		memcpy(s->master_secret, master_secret, 48);
		s->has_secret = 1;
	}
	if (server_random) {
		memcpy(s->server_random, server_random, 32);
		s->has_server_random = 1;
	}
	if (premaster && premaster_len && premaster_len <= sizeof s->premaster) {
		memcpy(s->premaster, premaster, premaster_len);
		s->premaster_len = premaster_len;
	}
	return (int)i;
}

int trace_tls13_secret(struct trace *t, enum trace_link link, const uint8_t client_random[32],
		       enum tls13_secret kind, const uint8_t *secret, size_t len)
{
	if ((unsigned)kind >= TLS13_SECRET_COUNT || len > TLS13_SECRET_MAX)
		return -1;
	int i = session_for(t, client_random, 3);
	if (i < 0)
		return -1;
	struct trace_tls_session *s = &t->sessions[i];
	s->links |= 1u << link;
	memcpy(s->secret13[kind], secret, len);
	s->secret13_len = len;
	s->secrets13 |= 1u << kind;
	return (int)i;
}

int trace_session_relayed(const struct trace_tls_session *s)
{
	return ((s->links & (1u << LINK_CLIENT_MITM)) && (s->links & (1u << LINK_MITM_SERVER))) ||
	       ((s->links & (1u << LINK_SERVER_MITM)) && (s->links & (1u << LINK_MITM_MX)));
}

const struct trace_tls_session *trace_link_session(const struct trace *t, enum trace_link l)
{
	/* A TLS 1.3 handshake that never finished at either end left only its secrets. */
	for (size_t i = t->nsessions; i-- > 0;)
		if ((t->sessions[i].links & (1u << l)) && (t->sessions[i].client_up || t->sessions[i].server_up))
			return &t->sessions[i];
	return NULL;
}

const char *trace_actor_name(enum trace_actor a)
{
	switch (a) {
	case ACTOR_CLIENT: return "client";
	case ACTOR_MITM: return "attacker";
	case ACTOR_SERVER: return "server";
	case ACTOR_MX: return "MX";
	case ACTOR_COUNT: break;
	}
	return "?";
}

int trace_actor_read_bit(enum trace_actor a)
{
	switch (a) {
	case ACTOR_CLIENT: return READ_CLIENT;
	case ACTOR_MITM: return READ_MITM;
	case ACTOR_SERVER: return READ_SERVER;
	case ACTOR_MX: return READ_MX;
	case ACTOR_COUNT: break;
	}
	return 0;
}

/* The links as data: its ends, its hop and its name. */
static const struct {
	enum trace_actor a, b;
	int hop;
	const char *name;
} link_table[LINK_COUNT] = {
	[LINK_CLIENT_SERVER] = { ACTOR_CLIENT, ACTOR_SERVER, 1, "client-server" },
	[LINK_CLIENT_MITM] = { ACTOR_CLIENT, ACTOR_MITM, 1, "client-attacker" },
	[LINK_MITM_SERVER] = { ACTOR_MITM, ACTOR_SERVER, 1, "attacker-server" },
	[LINK_SERVER_MX] = { ACTOR_SERVER, ACTOR_MX, 2, "server-mx" },
	[LINK_SERVER_MITM] = { ACTOR_SERVER, ACTOR_MITM, 2, "server-attacker" },
	[LINK_MITM_MX] = { ACTOR_MITM, ACTOR_MX, 2, "attacker-mx" },
};

int trace_link_hop(enum trace_link l)
{
	return (unsigned)l < LINK_COUNT ? link_table[l].hop : 1;
}

int trace_link_has_attacker(enum trace_link l)
{
	return (unsigned)l < LINK_COUNT && (link_table[l].a == ACTOR_MITM || link_table[l].b == ACTOR_MITM);
}

int trace_link_between(enum trace_actor a, enum trace_actor b)
{
	for (int l = 0; l < LINK_COUNT; l++)
		if ((link_table[l].a == a && link_table[l].b == b) || (link_table[l].a == b && link_table[l].b == a))
			return l;
	return -1;
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

const char *trace_link_name(enum trace_link l)
{
	return (unsigned)l < LINK_COUNT ? link_table[l].name : "?";
}

const char *trace_kind_name(enum trace_kind k)
{
	static const char *const names[TK_COUNT] = {
		[TK_CONN_OPEN] = "conn-open",
		[TK_CONN_FIN] = "conn-fin",
		[TK_RECORD] = "tls-record",
		[TK_HANDSHAKE] = "tls-handshake",
		[TK_CCS] = "tls-ccs",
		[TK_ALERT] = "tls-alert",
		[TK_SMTP_COMMAND] = "smtp-command",
		[TK_SMTP_REPLY] = "smtp-reply",
		[TK_SMTP_DATA] = "smtp-data",
		[TK_TLS_UP] = "tls-up",
		[TK_TLS_FAILED] = "tls-failed",
		[TK_TLS_UNVERIFIED] = "tls-unverified",
		[TK_ACTOR] = "actor-decision",
		[TK_ATTACK] = "attack",
		[TK_KEY_THEFT] = "key-theft",
		[TK_MAIL_AUTH] = "mail-auth",
		[TK_POLICY] = "tls-policy",
		[TK_RUN] = "run",
	};
	return (unsigned)k < TK_COUNT && names[k] ? names[k] : "?";
}

const char *trace_attack_name(enum trace_attack a)
{
	static const char *const names[ATTACK_COUNT] = {
		[ATTACK_NONE] = "none",
		[ATTACK_PRESENT] = "present",
		[ATTACK_DELETED] = "deleted",
		[ATTACK_ADDED] = "added",
		[ATTACK_REPLACED] = "replaced",
		[ATTACK_FORGED] = "forged",
		[ATTACK_TAMPERED] = "tampered",
		[ATTACK_INTERCEPTED] = "intercepted",
		[ATTACK_RECORDED] = "recorded",
	};
	return (unsigned)a < ATTACK_COUNT ? names[a] : "?";
}

int trace_actor_from_name(const char *name)
{
	for (int a = 0; a < ACTOR_COUNT; a++)
		if (name && !strcmp(name, trace_actor_name((enum trace_actor)a)))
			return a;
	return -1;
}

int trace_layer_from_name(const char *name)
{
	for (int l = 0; l < LAYER_COUNT; l++)
		if (name && !strcmp(name, trace_layer_name((enum trace_layer)l)))
			return l;
	return -1;
}

int trace_link_from_name(const char *name)
{
	for (int l = 0; l < LINK_COUNT; l++)
		if (name && !strcmp(name, trace_link_name((enum trace_link)l)))
			return l;
	return -1;
}

int trace_kind_from_name(const char *name)
{
	for (int k = 0; k < TK_COUNT; k++)
		if (name && !strcmp(name, trace_kind_name((enum trace_kind)k)))
			return k;
	return -1;
}

int trace_attack_from_name(const char *name)
{
	for (int a = 0; a < ATTACK_COUNT; a++)
		if (name && !strcmp(name, trace_attack_name((enum trace_attack)a)))
			return a;
	return -1;
}

enum trace_tls_phase trace_link_tls_phase(const struct trace *t, enum trace_link l, size_t upto,
					  const struct trace_tls_session **s)
{
	enum trace_tls_phase ph = TLS_PHASE_NONE;
	const struct trace_tls_session *ses = NULL;
	/* A session is up on this link once its TLS client reported it: that event may sit
	 * on the other link when the attacker only relays the records. */
	for (size_t i = 0; i <= upto && i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if (e->kind == TK_TLS_UP && e->session >= 0 && (size_t)e->session < t->nsessions &&
		    (t->sessions[e->session].links >> l & 1)) {
			ph = TLS_PHASE_UP;
			ses = &t->sessions[e->session];
			continue;
		}
		if (e->link != l)
			continue;
		if (e->kind == TK_HANDSHAKE && e->subtype == 1 /* ClientHello */ && !e->encrypted &&
		    ph != TLS_PHASE_UP)
			ph = TLS_PHASE_HANDSHAKE;
		else if (ph == TLS_PHASE_HANDSHAKE &&
			 (e->kind == TK_TLS_FAILED || (e->kind == TK_ALERT && e->alert_level == 2) ||
			  e->kind == TK_CONN_FIN))
			ph = TLS_PHASE_FAILED;
	}
	if (s)
		*s = ses;
	return ph;
}

void trace_actor_ip(enum trace_actor a, uint8_t ip[4])
{
	static const uint8_t addr[ACTOR_COUNT][4] = {
		[ACTOR_CLIENT] = { 192, 0, 2, 10 },
		[ACTOR_MITM] = { 198, 51, 100, 66 },
		[ACTOR_SERVER] = { 203, 0, 113, 25 },
		[ACTOR_MX] = { 203, 0, 113, 80 },
	};
	memcpy(ip, addr[(unsigned)a < ACTOR_COUNT ? a : 0], 4);
}

const char *trace_actor_ip_text(enum trace_actor a, char out[16])
{
	uint8_t ip[4];
	trace_actor_ip(a, ip);
	snprintf(out, 16, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
	return out;
}

void trace_link_ends(enum trace_link l, enum trace_actor *a, enum trace_actor *b)
{
	if ((unsigned)l >= LINK_COUNT)
		l = LINK_CLIENT_SERVER;
	*a = link_table[l].a;
	*b = link_table[l].b;
}
