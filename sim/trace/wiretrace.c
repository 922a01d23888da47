/* wiretrace: see wiretrace.h. */
#include "sim/trace/wiretrace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/buf.h"
#include "sim/base/sb.h"
#include "sim/decode/tlskeys.h"
#include "sim/smtp/smtp_parse.h"
#include "sim/trace/narrate.h"

#define MAX_RECORD (5 + 18432)   /* header + the largest TLS 1.2 ciphertext */

void wire_stream_init(struct wire_stream *s, struct trace *t, const uint64_t *now,
		      enum trace_link link, enum trace_actor from, enum trace_actor to, int toward_server,
		      struct decode_smtp_ctx *smtp)
{
	memset(s, 0, sizeof *s);
	s->trace = t;
	s->now = now;
	s->link = link;
	s->from = from;
	s->to = to;
	s->toward_server = toward_server;
	s->smtp = smtp;
	s->ln_rec = -1;
	s->open13_type = -1;
	s->tls_readers = trace_actor_read_bit(from) | trace_actor_read_bit(to);
}

void wire_stream_pair(struct wire_stream *up, struct wire_stream *down)
{
	up->peer = down;
	down->peer = up;
}

void wire_stream_free(struct wire_stream *s)
{
	fields_free(&s->piece_fields);
	free(s->open13);
	free(s->rec);
	free(s->hs);
	free(s->ln);
	for (size_t i = 0; i < s->qn; i++)
		free(s->q[i].p);
	free(s->q);
	free(s->spare);
	memset(s, 0, sizeof *s);
}

static void ev_init(struct trace_event *e, enum trace_kind kind, enum trace_layer layer)
{
	memset(e, 0, sizeof *e);
	fields_init(&e->fields);
	e->kind = kind;
	e->layer = layer;
	e->parent = -1;
	e->session = -1;
}

/* Fills the common part of an event and appends it with its narration: the one given
 * (the trace's copy of a sentence the caller knows is the same), or made now. With keep,
 * e->fields is left for the caller to use again (trace_append_kept); else it is freed. */
static int emit_as(struct wire_stream *s, struct trace_event *e, const char *summary, const char *given, int keep)
{
	e->time_us = *s->now;
	e->link = s->link;
	if (e->layer != LAYER_NOTE) {
		e->from = s->from;
		e->to = s->to;
	}
	e->segment = s->in_write ? s->writes : 0;
	e->replay = s->replay;
	e->summary = (char *)summary;
	char narration[768];
	if (given) {
		e->narration = (char *)given;
	} else {
		narrate_event(s->trace, e, narration, sizeof narration);
		e->narration = narration[0] ? narration : NULL;
	}
	int idx = keep ? trace_append_kept(s->trace, e) : trace_append(s->trace, e);
	e->summary = e->narration = NULL;
	if (!keep)
		fields_free(&e->fields);
	return idx;
}

static int emit(struct wire_stream *s, struct trace_event *e, const char *summary)
{
	return emit_as(s, e, summary, NULL, 0);
}

static int all_readers(void)
{
	return READ_WIRE | READ_CLIENT | READ_MITM | READ_SERVER;
}

/* Scans body bytes for the end-of-data line "." (CRLF or bare LF, as decode_smtp_body
 * reads it). *st: 0 at the start of a line, 1 after a lone ".", 2 after ".\r", 3 inside
 * any other line. Returns the offset just past the line's LF, or 0 when it is not there.
 * The state is a function of the bytes since the last LF, so only the dots need a look:
 * a body piece is scanned at memchr's speed, however many lines it has. */
static size_t end_scan(int *st, const uint8_t *p, size_t n)
{
	size_t i = 0;
	/* A "." or ".\r" left over from the last piece: at most two bytes decide. */
	while (i < n && (*st == 1 || *st == 2)) {
		uint8_t c = p[i++];
		if (c == '\n') {
			*st = 0;
			return i;
		}
		*st = *st == 1 && c == '\r' ? 2 : 3;
	}
	if (i == n)
		return 0;
	int bol = *st == 0; /* p[i] starts a line */
	for (const uint8_t *d = memchr(p + i, '.', n - i); d; d = memchr(d + 1, '.', (size_t)(p + n - d) - 1)) {
		size_t j = (size_t)(d - p);
		if (j == i ? !bol : p[j - 1] != '\n')
			continue;
		if (j + 1 == n) {
			*st = 1;
			return 0;
		}
		if (p[j + 1] == '\n') {
			*st = 0;
			return j + 2;
		}
		if (p[j + 1] != '\r')
			continue;
		if (j + 2 == n) {
			*st = 2;
			return 0;
		}
		if (p[j + 2] == '\n') {
			*st = 0;
			return j + 3;
		}
	}
	*st = p[n - 1] == '\n' ? 0 : 3;
	return 0;
}

/* Does the server side read what flows this way as message text? */
static int reads_text(const struct wire_stream *s)
{
	return s->toward_server && s->smtp->server_in_data > 0;
}

/* Does it read it as commands? Neither when its replies could not be read (records
 * relayed unread): then the trace has only the sender's word. */
static int reads_commands(const struct wire_stream *s)
{
	return s->toward_server && s->smtp->server_in_data == 0;
}

/* One complete SMTP line (with its CRLF) as an event. parent is the record where the line
 * ends; first_rec the one where it began (they differ when TLS 1.0 splits a write). sent
 * is how the sender meant it; toward the server the line is what the server reads it as. */
static int emit_line(struct wire_stream *s, const uint8_t *line, size_t n, int parent, int first_rec, int prot,
		     int attack, enum smtp_out_kind sent)
{
	struct trace_event e;
	char summary[DECODE_SUMMARY_MAX];
	size_t bare = n;
	while (bare && (line[bare - 1] == '\n' || line[bare - 1] == '\r'))
		bare--;
	if (reads_text(s)) {
		ev_init(&e, TK_SMTP_DATA, LAYER_SMTP_DATA);
		decode_smtp_body(line, n, &e.fields, summary, sizeof summary);
		if (sent != SMTP_OUT_BODY)
			fields_add(&e.fields, 0, "read_by_server_as", "message text");
		if (bare == 1 && line[0] == '.')
			s->smtp->server_in_data = 0;
	} else if (s->toward_server) {
		ev_init(&e, TK_SMTP_COMMAND, LAYER_SMTP_COMMAND);
		struct smtp_command c;
		e.subtype = smtp_parse_command((const char *)line, bare, &c) ? -1 : (int)c.verb;
		decode_smtp_command(s->smtp, (const char *)line, bare, &e.fields, summary, sizeof summary);
		if (sent == SMTP_OUT_BODY)
			fields_add(&e.fields, 0, "read_by_server_as", "a command");
	} else {
		ev_init(&e, TK_SMTP_REPLY, LAYER_SMTP_REPLY);
		struct smtp_reply_line rl;
		e.subtype = smtp_parse_reply_line((const char *)line, bare, &rl) ? -1 : rl.code;
		decode_smtp_reply(s->smtp, (const char *)line, bare, &e.fields, summary, sizeof summary);
		/* A server reading message text does not reply until "."; a 354 says that from
		 * here it does, starting at a line's start. A reply the attacker made up says
		 * nothing of how the server reads: the attacker is not an SMTP server. */
		if (attack != ATTACK_FORGED && attack != ATTACK_ADDED)
			s->smtp->server_in_data = e.subtype == 354;
	}
	e.parent = parent;
	e.attack = attack;
	if (parent >= 0 && first_rec >= 0 && first_rec != parent)
		fields_add(&e.fields, 0, "starts_in_record", "%d", first_rec + 1);
	if (prot) {
		e.encrypted = 1;
		e.readers = s->tls_readers;
		e.plain = (uint8_t *)line;
		e.plain_len = n;
	} else {
		e.readers = all_readers();
		e.wire = (uint8_t *)line;
		e.wire_len = n;
	}
	return emit(s, &e, summary) < 0 ? -1 : 0;
}

/* avail of the n body bytes are at p (fewer when the trace keeps only a prefix). The
 * pieces of one message are decoded as one: a line cut between two pieces counts once. */
static int emit_body_part(struct wire_stream *s, const uint8_t *p, size_t avail, size_t n, int parent, int prot,
			  int attack)
{
	struct trace_event e;
	ev_init(&e, TK_SMTP_DATA, LAYER_SMTP_DATA);
	/* Into the list the last piece used: its memory is still there (no allocation per
	 * piece of a long message). */
	e.fields = s->piece_fields;
	char summary[DECODE_SUMMARY_MAX];
	decode_smtp_body_piece(&s->body, p, avail, &e.fields, summary, sizeof summary);
	if (avail < n)
		decode_smtp_body_gap(&s->body);
	e.parent = parent;
	e.attack = attack;
	if (prot) {
		e.encrypted = 1;
		e.readers = s->tls_readers;
		e.plain = (uint8_t *)p;
		/* The length is the piece's; only when not even the kept prefix is there
		 * does it shrink to what is, so the trace never copies past it. */
		e.plain_len = avail < n && (!s->trace->max_stored || avail < s->trace->max_stored) ? avail : n;
	} else {
		e.readers = all_readers();
		e.wire = (uint8_t *)p;
		e.wire_len = n;
	}
	int idx = emit_as(s, &e, summary, NULL, 1);
	fields_clear(&e.fields);
	s->piece_fields = e.fields;
	return idx < 0 ? -1 : 0;
}

static int emit_body(struct wire_stream *s, const uint8_t *p, size_t n, int parent, int prot, int attack)
{
	return emit_body_part(s, p, n, n, parent, prot, attack);
}

/* Lines accumulate in s->ln: a TLS 1.0 record may carry one byte of a line. A line is one
 * event, under the record where it ends; s->ln_rec remembers where it began. */
static int feed_lines(struct wire_stream *s, const uint8_t *p, size_t n, int parent, int prot, int attack,
		      enum smtp_out_kind sent)
{
	if (!n)
		return 0; /* nothing to add; s->ln may not exist yet (memchr on NULL) */
	if (!s->ln_len)
		s->ln_rec = parent;
	if (buf_append(&s->ln, &s->ln_len, &s->ln_cap, p, n))
		return -1;
	for (;;) {
		uint8_t *nl = memchr(s->ln, '\n', s->ln_len);
		if (!nl)
			return 0;
		size_t len = (size_t)(nl - s->ln) + 1;
		if (emit_line(s, s->ln, len, parent, s->ln_rec, prot, attack, sent))
			return -1;
		buf_consume(s->ln, &s->ln_len, len);
		s->ln_rec = parent;
	}
}

/* Body the sender sent whole (not through the record queue): message text while the
 * server reads text, up to the end-of-data line; commands otherwise and after it. */
static int feed_body(struct wire_stream *s, const uint8_t *p, size_t n, int prot, int attack)
{
	if (reads_commands(s))
		return feed_lines(s, p, n, -1, prot, attack, SMTP_OUT_BODY);
	if (!reads_text(s))
		return emit_body(s, p, n, -1, prot, attack);
	if (s->smtp->server_in_data == 1) { /* the first bytes after the 354: a line starts */
		s->end_scan_clear = 0;
		s->smtp->server_in_data = 2;
	}
	size_t end = end_scan(&s->end_scan_clear, p, n);
	if (!end)
		return emit_body(s, p, n, -1, prot, attack);
	if (emit_body(s, p, end, -1, prot, attack))
		return -1;
	s->smtp->server_in_data = 0;
	return end < n ? feed_lines(s, p + end, n - end, -1, prot, attack, SMTP_OUT_BODY) : 0;
}

/* A write begins: its own segment, or the last one's when told to join it. */
static void write_begin(struct wire_stream *s)
{
	if (!s->join_next || !s->writes)
		s->writes++;
	s->join_next = 0;
	s->in_write = 1;
}

void wire_join_next(struct wire_stream *s)
{
	s->join_next = 1;
}

int wire_clear(struct wire_stream *s, enum smtp_out_kind kind, const uint8_t *p, size_t n, int attack)
{
	write_begin(s);
	int r = kind == SMTP_OUT_BODY ? feed_body(s, p, n, 0, attack) : feed_lines(s, p, n, -1, 0, attack, kind);
	s->in_write = 0;
	return r;
}

int wire_decrypted(struct wire_stream *s, enum smtp_out_kind kind, const uint8_t *p, size_t n, int attack)
{
	/* Events learned after the fact carry the replay mark (where from), set before they
	 * are narrated. */
	s->replay = s->replay_source ? s->replay_source : REPLAY_RECORDING;
	int r = kind == SMTP_OUT_BODY ? feed_body(s, p, n, 1, attack) : feed_lines(s, p, n, -1, 1, attack, kind);
	s->replay = 0;
	return r;
}

/* What a peer's bytes are to the receiver now: message text, commands or replies. */
static enum smtp_out_kind peer_kind(const struct wire_stream *s)
{
	return !s->toward_server ? SMTP_OUT_REPLY : reads_text(s) ? SMTP_OUT_BODY : SMTP_OUT_COMMAND;
}

int wire_peer_clear(struct wire_stream *s, const uint8_t *p, size_t n)
{
	write_begin(s);
	int r = 0;
	while (n && !r) {
		enum smtp_out_kind kind = peer_kind(s);
		if (kind != SMTP_OUT_BODY) {
			r = feed_lines(s, p, n, -1, 0, 0, kind);
			break;
		}
		/* Message text up to its end line; what follows is read as commands again. */
		if (s->smtp->server_in_data == 1) {
			s->end_scan_clear = 0;
			s->smtp->server_in_data = 2;
		}
		size_t end = end_scan(&s->end_scan_clear, p, n);
		size_t k = end ? end : n;
		r = emit_body(s, p, k, -1, 0, 0);
		if (end)
			s->smtp->server_in_data = 0;
		p += k;
		n -= k;
	}
	s->in_write = 0;
	return r;
}

int wire_peer_record(struct wire_stream *s, const uint8_t *rec, size_t n, const uint8_t *plain, size_t n_plain,
		     int close_notify)
{
	static const uint8_t cn[2] = { 1, 0 };
	if (close_notify && wire_expect_alert(s, cn))
		return -1;
	if (n_plain) {
		enum smtp_out_kind kind = peer_kind(s);
		if (kind == SMTP_OUT_BODY && s->smtp->server_in_data == 1) {
			/* the first text after the 354: the end line is looked for from a line start */
			s->end_scan_queued = 0;
			s->smtp->server_in_data = 2;
		}
		if (wire_expect_plain(s, kind, plain, n_plain, 0, 0))
			return -1;
		s->q[s->qn - 1].peer = 1;
	}
	return wire_records(s, rec, n, 0);
}

int wire_expect_plain(struct wire_stream *s, enum smtp_out_kind kind, const uint8_t *p, size_t n,
		      int split_first, int attack)
{
	/* No bytes make no record, so nothing is expected (an entry would wait forever). */
	if (n == 0)
		return 0;
	if (VEC_RESERVE(s->q, s->qcap, s->qn + 1))
		return -1;
	/* A body piece needs only what the trace keeps of it (+1 for a 1/n-1 split). */
	size_t keep = n;
	if (kind == SMTP_OUT_BODY && s->trace->max_stored && keep > s->trace->max_stored + 1)
		keep = s->trace->max_stored + 1;
	size_t cap = keep ? keep : 1;
	uint8_t *copy;
	if (s->spare && s->spare_cap >= cap) {
		copy = s->spare;
		cap = s->spare_cap;
		s->spare = NULL;
	} else if (!(copy = malloc(cap))) {
		return -1;
	}
	memcpy(copy, p, keep);
	size_t term = kind == SMTP_OUT_BODY ? end_scan(&s->end_scan_queued, p, n) : 0;
	s->q[s->qn++] = (struct wire_plain){ .kind = kind, .p = copy, .len = n, .cap = cap, .stored = keep,
					     .split_first = split_first, .attack = attack, .term = term };
	return 0;
}

int wire_expect_alert(struct wire_stream *s, const uint8_t alert[2])
{
	if (wire_expect_plain(s, SMTP_OUT_COMMAND, alert, 2, 0, 0))
		return -1;
	s->q[s->qn - 1].is_alert = 1;
	return 0;
}

static void queue_pop(struct wire_stream *s)
{
	/* The buffer is kept for the next piece when it is the largest at hand. */
	if (!s->spare || s->q[0].cap > s->spare_cap) {
		free(s->spare);
		s->spare = s->q[0].p;
		s->spare_cap = s->q[0].cap;
	} else {
		free(s->q[0].p);
	}
	memmove(s->q, s->q + 1, (s->qn - 1) * sizeof *s->q);
	s->qn--;
}

/* How many bytes of the waiting plaintext the next application-data record carries: one
 * record's worth, or one byte when TLS 1.0 CBC splits the write 1/n-1. 0 when nothing
 * waits (a record relayed by someone who put no plaintext in). */
static size_t app_take(struct wire_stream *s)
{
	while (s->qn && s->q[0].is_alert) /* an alert that was never sent */
		queue_pop(s);
	if (!s->qn)
		return 0;
	const struct wire_plain *w = &s->q[0];
	size_t take = w->len - w->off;
	if (w->split_first && w->off == 0 && w->len > 1)
		take = 1;
	else if (take > 16384)
		take = 16384;
	/* TLS 1.3: the opened record says how much it carries. */
	if (s->take13 && take > s->take13)
		take = s->take13;
	return take;
}

/* A protected record's content is shown by its children: the SMTP lines that end in it, or
 * the body piece it is. When its plaintext is not a run of whole lines -- TLS 1.0 CBC sends
 * the first byte of every write in a record of its own (1/n-1), so a line begins in one
 * record and ends in the next -- the record carries its own plaintext as well, and the line
 * is still one event, under the record where it ends. */
/* A queued body piece is shown as message text (not split into command lines). */
static int body_as_text(const struct wire_stream *s, const struct wire_plain *w)
{
	return w->kind == SMTP_OUT_BODY && !reads_commands(s);
}

static void record_plain(struct wire_stream *s, struct trace_event *e)
{
	size_t take = app_take(s);
	if (!take)
		return;
	const struct wire_plain *w = &s->q[0];
	if (w->split_first && w->len > 1 && w->off <= 1)
		fields_add(&e->fields, 0, "split", "%s",
			   w->off == 0 ? "1/n-1: the first byte of a write alone (TLS 1.0 CBC, against BEAST)"
				       : "1/n-1: the rest of the write");
	if (body_as_text(s, w) || w->stored < w->off + take)
		return;
	const uint8_t *p = w->p + w->off;
	if (!s->ln_len && p[take - 1] == '\n')
		return;
	e->plain = (uint8_t *)p;
	e->plain_len = take;
}

static int emit_child(struct wire_stream *s, enum trace_kind kind, int subtype, int parent, int encrypted,
		      const uint8_t *wire, size_t wn, struct fields *f, const char *summary, int attack)
{
	static const enum trace_layer layers[TK_COUNT] = {
		[TK_HANDSHAKE] = LAYER_TLS_HANDSHAKE, [TK_CCS] = LAYER_TLS_CCS, [TK_ALERT] = LAYER_TLS_ALERT,
	};
	struct trace_event e;
	ev_init(&e, kind, layers[kind]);
	e.subtype = subtype;
	e.parent = parent;
	e.encrypted = encrypted;
	e.readers = encrypted ? s->tls_readers : all_readers();
	e.attack = attack;
	e.wire = (uint8_t *)wire;
	e.wire_len = wn;
	e.fields = *f;
	fields_init(f);
	return emit(s, &e, summary) < 0 ? -1 : 0;
}

/* ---- TLS 1.3 ---- */

/* Records of this type are protected on this stream: after ChangeCipherSpec in TLS
 * 1.0-1.2; in TLS 1.3 the application_data ones (everything the keys protect travels so). */
static int is_protected(const struct wire_stream *s, unsigned type)
{
	if (s->tls13)
		return type == TLS_CT_APPLICATION_DATA;
	return s->ccs && type != TLS_CT_CHANGE_CIPHER_SPEC;
}

/* A ServerHello (or HelloRetryRequest) that selects TLS 1.3 in supported_versions puts
 * both directions of the link under TLS 1.3's record rules, with its suite. */
static void server_hello13(struct wire_stream *s, const uint8_t *m, size_t n)
{
	unsigned suite;
	int hrr;
	if (decode_server_hello_version(m, n, &suite, &hrr) != 0x0304)
		return;
	for (struct wire_stream *x = s; x; x = x == s ? s->peer : NULL) {
		x->tls13 = 1;
		x->suite13 = suite;
		x->epoch13 = 0;
		x->seq13 = 0;
		x->gen13 = 0;
	}
}

/* The session of this handshake: the one whose client random the link's ClientHello
 * carried. */
static const struct trace_tls_session *session13(const struct wire_stream *s)
{
	const struct wire_stream *up = s->toward_server ? s : s->peer;
	if (!up || !up->has_hello_random)
		return NULL;
	const struct trace *t = s->trace;
	for (size_t i = t->nsessions; i-- > 0;)
		if (!memcmp(t->sessions[i].client_random, up->hello_random, 32))
			return &t->sessions[i];
	return NULL;
}

/* This sender's keys for an epoch (1: handshake, 2: application), from the secret it
 * reported. Without it the rest of the stream stays unopened (epoch -1). */
static void keys13(struct wire_stream *s, int epoch)
{
	const struct tls13_suite *ss = tls13_suite(s->suite13);
	const struct trace_tls_session *se = session13(s);
	enum tls13_secret k = epoch == 1 ? (s->toward_server ? TLS13_CLIENT_HS : TLS13_SERVER_HS)
					 : (s->toward_server ? TLS13_CLIENT_AP0 : TLS13_SERVER_AP0);
	s->epoch13 = -1;
	if (!ss || !se || !(se->secrets13 & (1u << k)) || se->secret13_len != ss->hash_len)
		return;
	memcpy(s->secret13, se->secret13[k], ss->hash_len);
	tls13_traffic_keys(ss, s->secret13, s->key13, s->iv13);
	s->epoch13 = epoch;
	s->gen13 = 0;
	s->seq13 = 0;
}

/* Opens a protected TLS 1.3 record as its reader does, before the record event is made:
 * its fields say what it really carries. */
static int open_record13(struct wire_stream *s, const uint8_t *rec, size_t n, struct fields *f)
{
	s->open13_type = -1;
	s->take13 = 0;
	if (s->epoch13 == 0)
		keys13(s, 1);
	if (s->epoch13 <= 0) {
		fields_add(f, 0, "protection", "TLS 1.3; the sender's keys for it are not in this trace");
		return 0;
	}
	if (n > s->open13_cap) {
		uint8_t *b = realloc(s->open13, n);
		if (!b)
			return -1;
		s->open13 = b;
		s->open13_cap = n;
	}
	const char *keys = s->epoch13 == 1 ? "handshake" : "application";
	uint64_t seq = s->seq13++;
	uint8_t inner;
	size_t len;
	if (tls13_open(tls13_suite(s->suite13), s->key13, s->iv13, seq, rec, n, s->open13, &len, &inner)) {
		fields_add(f, 0, "protection", "does not authenticate under the sender's %s keys (record %llu): "
			   "changed on the way, so the reader rejects it", keys, (unsigned long long)seq);
		return 0;
	}
	s->open13_type = inner;
	s->open13_len = len;
	fields_add(f, 0, "inner_content_type", "%s: what the endpoints read inside; an observer sees only application_data",
		   decode_tls_content_type_name(inner));
	if (s->epoch13 == 2 && s->gen13)
		fields_add(f, 0, "protected_by", "application keys after %u KeyUpdate%s, record %llu of this direction "
			   "(nonce = iv xor %llu)", s->gen13, s->gen13 == 1 ? "" : "s", (unsigned long long)seq,
			   (unsigned long long)seq);
	else
		fields_add(f, 0, "protected_by", "%s traffic keys, record %llu of this direction (nonce = iv xor %llu)", keys,
			   (unsigned long long)seq, (unsigned long long)seq);
	fields_add(f, 0, "content_length", "%zu bytes (+1 byte of real type, +16 of tag)", len);
	if (inner == TLS_CT_APPLICATION_DATA)
		s->take13 = len;
	return 0;
}

/* One message read from an opened record: its bytes are the plaintext, and only the
 * session's endpoints read them. An alert passes its level (0 otherwise, as ev_init leaves it). */
static int emit_inner13(struct wire_stream *s, enum trace_kind kind, enum trace_layer layer, int subtype,
			int alert_level, int parent, const uint8_t *p, size_t n, struct fields *f, const char *summary,
			int attack)
{
	struct trace_event e;
	ev_init(&e, kind, layer);
	e.subtype = subtype;
	e.alert_level = alert_level;
	e.parent = parent;
	e.encrypted = 1;
	e.readers = s->tls_readers;
	e.attack = attack;
	e.plain = (uint8_t *)p;
	e.plain_len = n;
	e.fields = *f;
	fields_init(f);
	return emit(s, &e, summary) < 0 ? -1 : 0;
}

/* What an opened TLS 1.3 record holds besides application data: handshake messages
 * (EncryptedExtensions to Finished, NewSessionTicket, KeyUpdate) or an alert. */
static int content13(struct wire_stream *s, int parent, int attack)
{
	struct fields f;
	fields_init(&f);
	char summary[DECODE_SUMMARY_MAX];
	const uint8_t *p = s->open13;
	size_t n = s->open13_len;
	if (s->open13_type == TLS_CT_ALERT) {
		decode_alert(p, n, &f, summary, sizeof summary);
		if (s->qn && s->q[0].is_alert)
			queue_pop(s);
		return emit_inner13(s, TK_ALERT, LAYER_TLS_ALERT, n == 2 ? p[1] : -1, n == 2 ? p[0] : -1, parent, p, n,
				    &f, summary, attack);
	}
	if (s->open13_type != TLS_CT_HANDSHAKE) {
		fields_free(&f);
		return 0;
	}
	if (buf_append(&s->hs, &s->hs_len, &s->hs_cap, p, n))
		return -1;
	int finished = 0, update = 0;
	while (s->hs_len >= 4) {
		size_t mlen = 4 + ((size_t)s->hs[1] << 16 | (size_t)s->hs[2] << 8 | s->hs[3]);
		if (s->hs_len < mlen)
			break;
		decode_handshake_v(s->hs, mlen, 0x0304, &f, summary, sizeof summary);
		finished |= s->hs[0] == TLS_HS_FINISHED;
		update |= s->hs[0] == 24;
		if (emit_inner13(s, TK_HANDSHAKE, LAYER_TLS_HANDSHAKE, s->hs[0], 0, parent, s->hs, mlen, &f, summary,
				 attack))
			return -1;
		buf_consume(s->hs, &s->hs_len, mlen);
	}
	/* The sender's next records use its next keys: after its Finished the application
	 * traffic secret, after a KeyUpdate the next generation of it (RFC 8446 7.2). */
	if (finished && s->epoch13 == 1) {
		keys13(s, 2);
	} else if (update && s->epoch13 == 2) {
		const struct tls13_suite *ss = tls13_suite(s->suite13);
		uint8_t next[TLS13_SECRET_MAX];
		tls13_expand_label(ss->hash, s->secret13, ss->hash_len, "traffic upd", NULL, 0, next, ss->hash_len);
		memcpy(s->secret13, next, ss->hash_len);
		tls13_traffic_keys(ss, s->secret13, s->key13, s->iv13);
		s->gen13++;
		s->seq13 = 0;
	}
	return 0;
}

/* The contents of one record, as child events of the record event. */
/* version is the record's: once ServerHello is out, the negotiated one, which decides the
 * layout of some handshake messages. */
static int record_children(struct wire_stream *s, const uint8_t *rec, size_t n, unsigned version, int parent,
			   int attack)
{
	const uint8_t *pl = rec + 5;
	size_t pn = n - 5;
	uint8_t type = rec[0];
	struct fields f;
	fields_init(&f);
	char summary[DECODE_SUMMARY_MAX];
	int protected_ = is_protected(s, type);

	if (type == TLS_CT_CHANGE_CIPHER_SPEC) {
		if (s->tls13) {
			fields_add(&f, 0, "meaning", "none in TLS 1.3: a dummy sent for middleboxes that expect TLS 1.2 "
				   "(RFC 8446 Appendix D.4); protection began with the ServerHello");
			fields_last_range(&f, 0, pn);
			return emit_child(s, TK_CCS, 1, parent, 0, pl, pn, &f, "ChangeCipherSpec (compatibility dummy)",
					  attack);
		}
		fields_add(&f, 0, "meaning", "from the next record on, this sender encrypts and authenticates");
		fields_last_range(&f, 0, pn);
		int r = emit_child(s, TK_CCS, 1, parent, 0, pl, pn, &f, "ChangeCipherSpec", attack);
		s->ccs = 1;
		return r;
	}
	if (type == TLS_CT_APPLICATION_DATA && s->tls13 && s->open13_type >= 0 &&
	    s->open13_type != TLS_CT_APPLICATION_DATA)
		return content13(s, parent, attack);
	if (type == TLS_CT_HANDSHAKE && !protected_) {
		if (buf_append(&s->hs, &s->hs_len, &s->hs_cap, pl, pn))
			return -1;
		while (s->hs_len >= 4) {
			size_t mlen = 4 + ((size_t)s->hs[1] << 16 | (size_t)s->hs[2] << 8 | s->hs[3]);
			if (s->hs_len < mlen)
				break;
			decode_handshake_v(s->hs, mlen, version, &f, summary, sizeof summary);
			if (s->hs[0] == TLS_HS_CLIENT_HELLO && mlen >= 4 + 2 + 32) {
				memcpy(s->hello_random, s->hs + 6, 32);
				s->has_hello_random = 1;
			}
			if (s->hs[0] == TLS_HS_SERVER_HELLO)
				server_hello13(s, s->hs, mlen);
			if (emit_child(s, TK_HANDSHAKE, s->hs[0], parent, 0, s->hs, mlen, &f, summary, attack))
				return -1;
			buf_consume(s->hs, &s->hs_len, mlen);
		}
		return 0;
	}
	if (type == TLS_CT_HANDSHAKE) {
		fields_add(&f, 0, "handshake_type", "Finished (encrypted)");
		fields_add(&f, 0, "encrypted_length", "%zu", pn);
		fields_last_range(&f, 0, pn);
		/* The first message under the new keys is Finished (RFC 5246 7.4.9). */
		return emit_child(s, TK_HANDSHAKE, TLS_HS_FINISHED, parent, 1, pl, pn, &f,
				  "Finished (encrypted)", attack);
	}
	if (type == TLS_CT_ALERT) {
		const uint8_t *al = NULL;
		if (!protected_) {
			al = pn == 2 ? pl : NULL;
			decode_alert(pl, pn, &f, summary, sizeof summary);
		} else if (s->qn && s->q[0].is_alert) {
			al = s->q[0].p;
			decode_alert(s->q[0].p, s->q[0].len, &f, summary, sizeof summary);
			fields_drop_ranges(&f); /* its bytes are a plaintext the event does not hold */
		} else {
			fields_add(&f, 0, "note", "the alert is encrypted; only the endpoints can read it");
			snprintf(summary, sizeof summary, "Alert (encrypted)");
		}
		int desc = al ? al[1] : -1, level = al ? al[0] : -1;
		if (protected_ && al)
			queue_pop(s);
		struct trace_event e;
		ev_init(&e, TK_ALERT, LAYER_TLS_ALERT);
		e.subtype = desc;
		e.alert_level = level;
		e.parent = parent;
		e.encrypted = protected_;
		e.readers = protected_ ? s->tls_readers : all_readers();
		e.attack = attack;
		e.wire = (uint8_t *)pl;
		e.wire_len = pn;
		e.fields = f;
		return emit(s, &e, summary) < 0 ? -1 : 0;
	}
	if (type == TLS_CT_APPLICATION_DATA) {
		size_t take = app_take(s);
		if (!take)
			return 0;
		struct wire_plain *w = &s->q[0];
		int r;
		enum smtp_out_kind kind = w->kind;
		int a = w->attack;
		size_t avail = w->stored > w->off ? w->stored - w->off : 0;
		if (body_as_text(s, w)) {
			/* A peer's record may go on after the end of the message (the next command,
			 * pipelined): the server reads that as a command. */
			size_t body = take;
			if (w->peer && w->term > w->off && w->term < w->off + take)
				body = w->term - w->off;
			r = emit_body_part(s, w->p + (avail ? w->off : 0), avail < body ? avail : body, body,
					   parent, 1, a);
			if (w->term > w->off && w->term <= w->off + take) {
				if (reads_text(s))
					s->smtp->server_in_data = 0;
				if (!s->body.terminated) /* the end went by unseen (not kept) */
					decode_smtp_body_start(&s->body);
			}
			if (!r && body < take)
				r = feed_lines(s, w->p + w->off + body, take - body, parent, 1, a, SMTP_OUT_COMMAND);
		} else if (kind == SMTP_OUT_BODY) {
			/* Body the server reads as commands (it never said 354). */
			r = avail ? feed_lines(s, w->p + w->off, avail < take ? avail : take, parent, 1, a, kind) : 0;
		} else {
			r = feed_lines(s, w->p + w->off, take, parent, 1, a, kind);
		}
		w->off += take;
		if (w->off >= w->len)
			queue_pop(s);
		return r;
	}
	return 0;
}

static int records(struct wire_stream *s, const uint8_t *p, size_t n, int attack);

int wire_records(struct wire_stream *s, const uint8_t *p, size_t n, int attack)
{
	write_begin(s);
	int r = records(s, p, n, attack);
	s->in_write = 0;
	return r;
}

/* The record at the front of the n bytes at rec, traced with its children; or, when the
 * bytes do not start a record, all n of them as bytes that are not one. Sets *used to
 * what it took: 0 when the record is not complete yet. Returns 0 or -1. */
static int one_record(struct wire_stream *s, const uint8_t *rec, size_t n, int attack, size_t *used)
{
	struct tls_record_header h;
	*used = 0;
	int r = decode_tls_record_header(rec, n, &h);
	if (r == 1)
		return 0;
	size_t total = r == 0 ? 5 + (size_t)h.length : n;
	if (r == 0 && total > MAX_RECORD)
		r = -1, total = n;
	if (r == 0 && n < total)
		return 0;
	struct trace_event e;
	ev_init(&e, TK_RECORD, LAYER_TLS_RECORD);
	e.subtype = r == 0 ? h.type : -1;
	char summary[DECODE_SUMMARY_MAX];
	/* Below TLS 1.3 (whose records are opened and say more) and above TLS 1.0 (whose
	 * records may carry the 1/n-1 split field), a protected data record's fields are its
	 * header's alone: the same header, the same fields and summary as the last one. */
	int memo = r == 0 && !s->tls13 && h.type == TLS_CT_APPLICATION_DATA && h.version > 0x0301 &&
		   is_protected(s, h.type);
	int memo_hit = memo && s->memo_ok && !memcmp(s->memo_hdr, rec, 5) && !(s->qn && s->q[0].split_first);
	if (memo_hit) {
		e.fields = s->memo_fields;
		e.encrypted = 1;
		s->open13_type = -1;
		s->take13 = 0;
		record_plain(s, &e);
		if (!app_take(s) && !s->toward_server)
			s->smtp->server_in_data = -1;
	} else if (r == 0) {
		decode_tls_record(rec, total, &e.fields, summary, sizeof summary);
		e.encrypted = is_protected(s, h.type);
		s->open13_type = -1;
		s->take13 = 0;
		if (e.encrypted && s->tls13 && open_record13(s, rec, total, &e.fields))
			return -1;
		/* TLS 1.3 records that hold handshake messages or alerts carry no SMTP. */
		int app = e.encrypted && h.type == TLS_CT_APPLICATION_DATA &&
			  (!s->tls13 || s->open13_type < 0 || s->open13_type == TLS_CT_APPLICATION_DATA);
		if (app)
			record_plain(s, &e);
		/* Replies relayed unread: how the server reads what comes next is unknown. */
		if (app && !s->toward_server && !app_take(s))
			s->smtp->server_in_data = -1;
	} else {
		/* Not TLS at all (e.g. cleartext where a record was expected): keep it visible. */
		fields_add(&e.fields, 0, "error", "not a TLS record");
		snprintf(summary, sizeof summary, "%zu bytes that are not a TLS record", total);
	}
	e.attack = attack;
	e.readers = e.encrypted ? s->tls_readers : all_readers();
	e.wire = (uint8_t *)rec;
	e.wire_len = total;
	char shown[DECODE_SUMMARY_MAX + 16];
	if (!memo_hit)
		sb_put(shown, sizeof shown, 0, "%s%s", summary, e.encrypted ? " (encrypted)" : "");
	/* Its sentence too, told by the same attack mark on the same stream (narrate.c says
	 * what a protected record's sentence depends on). */
	const char *said = memo_hit && attack == s->memo_attack && s->replay == s->memo_replay ? s->memo_narration : NULL;
	int idx = emit_as(s, &e, memo_hit ? s->memo_summary : shown, said, 0);
	if (idx < 0)
		return -1;
	if (memo) {
		const struct trace_event *d = &s->trace->ev[idx];
		memcpy(s->memo_hdr, rec, 5);
		s->memo_fields = d->fields;
		s->memo_summary = d->summary;
		s->memo_narration = d->narration;
		s->memo_attack = attack;
		s->memo_replay = s->replay;
		s->memo_ok = 1;
	}
	if (r == 0 && record_children(s, rec, total, h.version, idx, attack))
		return -1;
	s->take13 = 0;
	*used = total;
	return 0;
}

/* Whole records are traced where they lie, in the caller's bytes; only a record cut by
 * the end of a write waits in s->rec for the rest. */
static int records(struct wire_stream *s, const uint8_t *p, size_t n, int attack)
{
	size_t used;
	if (s->rec_len) {
		/* Finish the waiting record first (whole records stay where they are). */
		struct tls_record_header h;
		size_t want = n;
		if (decode_tls_record_header(s->rec, s->rec_len, &h) == 0 && 5 + (size_t)h.length <= MAX_RECORD &&
		    5 + (size_t)h.length > s->rec_len && 5 + (size_t)h.length - s->rec_len < n)
			want = 5 + (size_t)h.length - s->rec_len;
		if (buf_append(&s->rec, &s->rec_len, &s->rec_cap, p, want))
			return -1;
		p += want;
		n -= want;
		for (;;) {
			if (one_record(s, s->rec, s->rec_len, attack, &used))
				return -1;
			if (!used)
				break;
			buf_consume(s->rec, &s->rec_len, used);
		}
		if (s->rec_len)
			return buf_append(&s->rec, &s->rec_len, &s->rec_cap, p, n);
	}
	while (n) {
		if (one_record(s, p, n, attack, &used))
			return -1;
		if (!used)
			return buf_append(&s->rec, &s->rec_len, &s->rec_cap, p, n);
		p += used;
		n -= used;
	}
	return 0;
}

int wire_note(struct trace *t, const struct wire_note *n, const char *summary, const char *narration)
{
	struct trace_event e;
	ev_init(&e, n->kind, LAYER_NOTE);
	e.time_us = n->now;
	e.link = n->link;
	e.from = e.to = n->who;
	e.subtype = n->subtype;
	e.attack = n->attack;
	e.tls_err = n->tls_err;
	e.session = n->session;
	e.readers = 0;
	e.summary = (char *)summary;
	e.narration = (char *)narration;
	return trace_append(t, &e);
}

int wire_conn(struct wire_stream *s, enum trace_kind kind, unsigned port, const char *summary, const char *narration)
{
	struct trace_event e;
	ev_init(&e, kind, LAYER_CONNECTION);
	e.time_us = *s->now;
	e.link = s->link;
	e.from = s->from;
	e.to = s->to;
	e.port = port;
	e.readers = all_readers();
	e.summary = (char *)summary;
	e.narration = (char *)narration;
	return trace_append(s->trace, &e) < 0 ? -1 : 0;
}
