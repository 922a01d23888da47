/* fuzz_wiretrace: the stream decoder (sim/trace/wiretrace.c) fed whole streams: TLS
 * records (handshake messages split across records, alerts, ChangeCipherSpec, protected
 * records with the plaintext their sender announced), cleartext SMTP lines and body,
 * decrypted replays, cut at fuzzer-chosen points. Up to four wire_streams: the two
 * directions of one link, or of two (client-attacker and attacker-server), into one trace.
 *
 * Input: one byte of setup (two links or one; the trace's max_stored), then operations.
 * An operation is one byte: bits 0-2 what (records, cleartext, announce plaintext,
 * announce an alert, decrypted replay, join the next write, a connection event, a note),
 * bits 3-4 the stream, bits 5-7 an argument: for records the size of the pieces they are
 * cut into, each piece one write (0: whole); for SMTP bytes the kind in bits 5-6 (command,
 * reply, body) and in bit 7 the attacker's mark (cleartext), the 1/n-1 split (announced
 * plaintext) or the mailbox as the replay's source. Records and SMTP bytes take a
 * two-byte length (big-endian), then that many input bytes. `make fuzz-seeds` writes
 * seeds from the catalogue's runs (tests/fuzz/seed_dump.c).
 *
 * Invariants:
 *   - no call fails (nothing runs out of memory here);
 *   - every event is well formed: seq = index + 1, kind, layer, link and ends in range,
 *     a parent that is an earlier record, stored bytes within their lengths, fields with
 *     names and values and depths that step by one, a summary, readers for wire events;
 *     events a write makes carry its segment number, replayed ones the replay mark;
 *   - records are reassembled exactly: the record events of a stream, joined, followed
 *     by the partial record still waiting, are the bytes given to wire_records;
 *   - so are handshake messages: the cleartext handshake events, joined, followed by
 *     the partial message waiting, are the contents of the cleartext handshake records;
 *   - every SMTP command or reply event is one line, ending in its only LF;
 *   - the trace then builds a ledger, each reader's knowledge and, with two links, the
 *     side-by-side view; and a trace compared with itself has no difference. */
#include "fuzz_common.h"
#include "sim/decode/decode.h"
#include "sim/trace/ledger.h"
#include "sim/trace/trace_diff.h"
#include "sim/trace/wiretrace.h"

struct acc {
	uint8_t *p;
	size_t n, cap;
};

static void acc_add(struct acc *a, const uint8_t *p, size_t n)
{
	if (!n)
		return;
	if (a->n + n > a->cap) {
		size_t cap = a->cap ? a->cap : 1024;
		while (cap < a->n + n)
			cap *= 2;
		a->p = realloc(a->p, cap);
		if (!a->p)
			abort();
		a->cap = cap;
	}
	memcpy(a->p + a->n, p, n);
	a->n += n;
}

struct stream {
	struct wire_stream ws;
	struct acc rec_in, rec_out;   /* bytes given to wire_records; record events' bytes */
	struct acc hs_in, hs_out;     /* cleartext handshake record contents; message events */
	size_t rec_len_in, rec_len_out; /* the same, counted, when the trace keeps only a prefix */
};

static const size_t cuts[8] = { (size_t)-1, 1, 2, 3, 5, 16, 100, 4096 };
static const enum smtp_out_kind kinds[4] = { SMTP_OUT_COMMAND, SMTP_OUT_REPLY, SMTP_OUT_BODY, SMTP_OUT_BODY };

static void check_event(const struct trace *t, size_t i, int replay, uint32_t segment)
{
	const struct trace_event *e = &t->ev[i];
	FUZZ_CHECK(e->seq == i + 1, "seq is the position");
	FUZZ_CHECK(e->kind < TK_COUNT && e->layer < LAYER_COUNT && e->link < LINK_COUNT && e->from < ACTOR_COUNT &&
			   e->to < ACTOR_COUNT,
		   "kind, layer, link and ends in range");
	FUZZ_CHECK(e->parent == -1 || (e->parent >= 0 && (size_t)e->parent < i && t->ev[e->parent].kind == TK_RECORD),
		   "a parent is an earlier record");
	FUZZ_CHECK(e->wire_stored <= e->wire_len && (!e->wire_stored || e->wire), "wire bytes within their length");
	FUZZ_CHECK(e->plain_stored <= e->plain_len && (!e->plain_stored || e->plain), "plaintext within its length");
	if (t->max_stored)
		FUZZ_CHECK(e->wire_stored <= t->max_stored && e->plain_stored <= t->max_stored, "at most max_stored kept");
	FUZZ_CHECK(e->summary && strlen(e->summary) < DECODE_SUMMARY_MAX + 16, "a summary");
	FUZZ_CHECK(!e->narration || strlen(e->narration) < 768, "a narration fits");
	fuzz_check_output(&e->fields, e->summary, strlen(e->summary) + 1);
	if (e->layer != LAYER_NOTE && e->layer != LAYER_CONNECTION)
		FUZZ_CHECK(e->readers != 0, "someone reads what crossed the wire");
	FUZZ_CHECK(e->replay == replay, "replayed events, and only they, carry the replay mark");
	FUZZ_CHECK(e->segment == segment, "events of a write carry its segment");
	if (e->kind == TK_SMTP_COMMAND || e->kind == TK_SMTP_REPLY) {
		const uint8_t *p = e->encrypted ? e->plain : e->wire;
		size_t n = e->encrypted ? e->plain_stored : e->wire_stored;
		size_t len = e->encrypted ? e->plain_len : e->wire_len;
		FUZZ_CHECK(len > 0, "a line has bytes");
		if (n == len) {
			const uint8_t *lf = memchr(p, '\n', n);
			FUZZ_CHECK(lf && (size_t)(lf - p) == n - 1, "an SMTP line event is one line, ending in LF");
		}
	}
}

/* The events one call made, checked, and the records and handshake messages it
 * completed added to what came out. */
static void after_call(struct stream *s, const struct trace *t, size_t from, int replay, int in_write)
{
	for (size_t i = from; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		check_event(t, i, replay, in_write && e->layer != LAYER_NOTE ? s->ws.writes : 0);
		if (e->kind == TK_RECORD && e->link == s->ws.link && e->from == s->ws.from) {
			acc_add(&s->rec_out, e->wire, e->wire_stored);
			s->rec_len_out += e->wire_len;
			if (e->subtype == TLS_CT_HANDSHAKE && !e->encrypted && e->wire_stored == e->wire_len &&
			    e->wire_len >= 5)
				acc_add(&s->hs_in, e->wire + 5, e->wire_len - 5);
		}
		if (e->kind == TK_HANDSHAKE && !e->encrypted && e->link == s->ws.link && e->from == s->ws.from)
			acc_add(&s->hs_out, e->wire, e->wire_stored);
	}
	/* Records: what came out, then the partial record, is what went in. */
	FUZZ_CHECK(s->rec_len_out + s->ws.rec_len == s->rec_len_in, "every byte given is in a record or waiting");
	if (!t->max_stored) {
		FUZZ_CHECK(s->rec_out.n + s->ws.rec_len == s->rec_in.n &&
				   (!s->rec_out.n || !memcmp(s->rec_out.p, s->rec_in.p, s->rec_out.n)) &&
				   (!s->ws.rec_len || !memcmp(s->ws.rec, s->rec_in.p + s->rec_out.n, s->ws.rec_len)),
			   "records reassemble to the bytes given");
		FUZZ_CHECK(s->hs_out.n + s->ws.hs_len == s->hs_in.n &&
				   (!s->hs_out.n || !memcmp(s->hs_out.p, s->hs_in.p, s->hs_out.n)) &&
				   (!s->ws.hs_len || !memcmp(s->ws.hs, s->hs_in.p + s->hs_out.n, s->ws.hs_len)),
			   "handshake messages reassemble to the records' contents");
	}
}

struct input {
	const uint8_t *p;
	size_t n, pos;
};

static size_t take_len(struct input *in)
{
	size_t l = 0;
	if (in->pos < in->n)
		l = (size_t)in->p[in->pos++] << 8;
	if (in->pos < in->n)
		l |= in->p[in->pos++];
	if (l > in->n - in->pos)
		l = in->n - in->pos;
	return l;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct input in = { data, size, 1 };
	static const size_t max_stored[4] = { 0, 0, 16, 300 };
	int two_links = data[0] & 1;
	struct trace t;
	trace_init(&t);
	t.max_stored = max_stored[(data[0] >> 1) & 3];
	uint64_t now = 0;
	struct decode_smtp_ctx smtp[2];
	memset(smtp, 0, sizeof smtp);
	struct stream st[4];
	memset(st, 0, sizeof st);
	if (two_links) {
		wire_stream_init(&st[0].ws, &t, &now, LINK_CLIENT_MITM, ACTOR_CLIENT, ACTOR_MITM, 1, &smtp[0]);
		wire_stream_init(&st[1].ws, &t, &now, LINK_CLIENT_MITM, ACTOR_MITM, ACTOR_CLIENT, 0, &smtp[0]);
		wire_stream_init(&st[2].ws, &t, &now, LINK_MITM_SERVER, ACTOR_MITM, ACTOR_SERVER, 1, &smtp[1]);
		wire_stream_init(&st[3].ws, &t, &now, LINK_MITM_SERVER, ACTOR_SERVER, ACTOR_MITM, 0, &smtp[1]);
	} else {
		wire_stream_init(&st[0].ws, &t, &now, LINK_CLIENT_SERVER, ACTOR_CLIENT, ACTOR_SERVER, 1, &smtp[0]);
		wire_stream_init(&st[1].ws, &t, &now, LINK_CLIENT_SERVER, ACTOR_SERVER, ACTOR_CLIENT, 0, &smtp[0]);
	}
	int nstreams = two_links ? 4 : 2;

	while (in.pos < in.n) {
		uint8_t op = in.p[in.pos++];
		struct stream *s = &st[(op >> 3 & 3) % nstreams];
		unsigned arg = op >> 5;
		enum smtp_out_kind kind = kinds[arg & 3];
		int mark = arg & 4 ? (kind == SMTP_OUT_REPLY ? ATTACK_FORGED : ATTACK_ADDED) : ATTACK_NONE;
		size_t from = t.n;
		switch (op & 7) {
		case 0: { /* records, cut into pieces of cuts[arg] bytes: each piece one write */
			size_t l = take_len(&in), cut = cuts[arg];
			for (size_t off = 0; off < l;) {
				size_t k = l - off < cut ? l - off : cut;
				uint8_t *b = (uint8_t *)fuzz_dup(in.p + in.pos + off, k);
				acc_add(&s->rec_in, b, k);
				s->rec_len_in += k;
				from = t.n;
				FUZZ_CHECK(wire_records(&s->ws, b, k, 0) == 0, "wire_records");
				free(b);
				after_call(s, &t, from, 0, 1);
				off += k;
				now += 10;
			}
			in.pos += l;
			continue;
		}
		case 1: { /* cleartext SMTP */
			size_t l = take_len(&in);
			uint8_t *b = (uint8_t *)fuzz_dup(in.p + in.pos, l);
			in.pos += l;
			FUZZ_CHECK(wire_clear(&s->ws, kind, b, l, mark) == 0, "wire_clear");
			free(b);
			after_call(s, &t, from, 0, 1);
			break;
		}
		case 2: { /* the plaintext the next protected records carry */
			size_t l = take_len(&in);
			uint8_t *b = (uint8_t *)fuzz_dup(in.p + in.pos, l);
			in.pos += l;
			FUZZ_CHECK(wire_expect_plain(&s->ws, kind, b, l, (arg & 4) != 0, 0) == 0,
				   "wire_expect_plain");
			free(b);
			after_call(s, &t, from, 0, 0);
			break;
		}
		case 3: { /* an alert the sender will send protected */
			uint8_t al[2] = { (uint8_t)(1 + (arg & 1)), 0 };
			if (in.pos < in.n)
				al[1] = in.p[in.pos++];
			FUZZ_CHECK(wire_expect_alert(&s->ws, al) == 0, "wire_expect_alert");
			break;
		}
		case 4: { /* SMTP read out of a recording after the fact */
			size_t l = take_len(&in);
			uint8_t *b = (uint8_t *)fuzz_dup(in.p + in.pos, l);
			in.pos += l;
			s->ws.replay_source = arg & 4 ? REPLAY_MAILBOX : 0;
			FUZZ_CHECK(wire_decrypted(&s->ws, kind, b, l, 0) == 0, "wire_decrypted");
			free(b);
			after_call(s, &t, from, arg & 4 ? REPLAY_MAILBOX : REPLAY_RECORDING, 0);
			break;
		}
		case 5:
			wire_join_next(&s->ws);
			break;
		case 6:
			FUZZ_CHECK(wire_conn(&s->ws, arg & 1 ? TK_CONN_FIN : TK_CONN_OPEN, 587, "connection",
					     arg & 2 ? "a narration" : NULL) == 0,
				   "wire_conn");
			after_call(s, &t, from, 0, 0);
			break;
		default: {
			struct wire_note n = { .now = now, .link = s->ws.link, .who = s->ws.from, .kind = TK_ACTOR,
					       .subtype = (int)arg, .session = -1 };
			FUZZ_CHECK(wire_note(&t, &n, "a note", NULL) >= 0, "wire_note");
			after_call(s, &t, from, 0, 0);
			break;
		}
		}
		now += 100;
	}

	/* What the views do with a finished trace. */
	struct ledger lg;
	ledger_init(&lg);
	FUZZ_CHECK(ledger_build(&lg, &t) == 0, "ledger_build");
	for (int r = 0; r < READER_COUNT; r++) {
		if (!ledger_has_reader(&lg, (enum ledger_reader)r))
			continue;
		struct knowledge *k = malloc(sizeof *k);
		char buf[1024];
		if (!k)
			abort();
		ledger_knowledge(&lg, (enum ledger_reader)r, t.n, k);
		ledger_describe_secrets(k, buf, sizeof buf);
		FUZZ_CHECK(memchr(buf, '\0', sizeof buf), "secrets described");
		ledger_describe_metadata(k, buf, sizeof buf);
		FUZZ_CHECK(memchr(buf, '\0', sizeof buf), "metadata described");
		free(k);
	}
	ledger_free(&lg);
	if (two_links && trace_wire_has_links(&t)) {
		struct trace_wire w;
		FUZZ_CHECK(trace_diff_wire(&t, &w) == 0, "trace_diff_wire");
		for (size_t i = 0; i < w.n; i++)
			FUZZ_CHECK(w.rows[i].ca < (int)t.n && w.rows[i].as < (int)t.n && w.rows[i].note < (int)t.n,
				   "the side-by-side rows name events of the trace");
		trace_wire_free(&w);
	}
	if (t.n <= 40) { /* the alignment is quadratic */
		struct trace_diff d;
		FUZZ_CHECK(trace_diff_runs(&t, &t, &d) == 0, "trace_diff_runs");
		FUZZ_CHECK(d.first == d.n && trace_diff_first_b(&d, &t) == (size_t)-1, "a trace is the same as itself");
		trace_diff_free(&d);
	}

	for (int i = 0; i < nstreams; i++) {
		wire_stream_free(&st[i].ws);
		free(st[i].rec_in.p);
		free(st[i].rec_out.p);
		free(st[i].hs_in.p);
		free(st[i].hs_out.p);
	}
	trace_free(&t);
	return 0;
}
