/* math: "show the math". For the TLS session protecting the cursor's link, the key
 * schedule with this run's bytes (premaster, master secret, key block and its named
 * parts), then for the cursor's protected record (or the record the cursor's line was
 * found in) the sequence number, nonce, additional data, ciphertext, tag — or, with CBC,
 * the IV, MAC and padding — and the plaintext they give. Every number comes from
 * sim/trace/tlsmath.h, the same as the JSON export's key_schedule and record_math; hex
 * is grouped by four bytes so that it wraps and can be copied by hand. */
#include "ui/app.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/decode/decode.h"
#include "sim/trace/tlsmath.h"

struct mline {
	char *s;
	int indent;
	attr_t attr;
};

struct mlines {
	struct mline *v;
	size_t n, cap;
};

static void add(struct mlines *m, int indent, attr_t attr, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(struct mlines *m, int indent, attr_t attr, const char *fmt, ...)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct mline *v = realloc(m->v, cap * sizeof *v);
		if (!v)
			return;
		m->v = v;
		m->cap = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	m->v[m->n++] = (struct mline){ s, indent, attr };
}

/* Hex in groups of four bytes: "00000000 95d1670e cec06d9b". malloc'd. */
static char *hexs(const uint8_t *p, size_t n)
{
	char *s = malloc(n * 2 + n / 4 + 2);
	if (!s)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && i % 4 == 0)
			s[k++] = ' ';
		k += (size_t)sprintf(s + k, "%02x", p[i]);
	}
	s[k] = 0;
	return s;
}

/* "label (n bytes)" and the hex below it. */
static void add_hex(struct mlines *m, int indent, const char *label, const uint8_t *p, size_t n)
{
	char *h = hexs(p, n);
	add(m, indent, A_BOLD, "%s (%zu bytes)", label, n);
	add(m, indent + 2, A_NORMAL, "%s", n ? (h ? h : "?") : "(none)");
	free(h);
}

/* The plaintext as text with escapes: what a student recognises. */
static void add_text(struct mlines *m, int indent, const uint8_t *p, size_t n)
{
	size_t cap = n * 4 + 3, k = 0;
	char *s = malloc(cap);
	if (!s)
		return;
	s[k++] = '"';
	for (size_t i = 0; i < n && k + 5 < cap; i++) {
		uint8_t c = p[i];
		if (c == '\r')
			k += (size_t)sprintf(s + k, "\\r");
		else if (c == '\n')
			k += (size_t)sprintf(s + k, "\\n");
		else if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			s[k++] = (char)c;
		else
			k += (size_t)sprintf(s + k, "\\x%02x", c);
	}
	s[k++] = '"';
	s[k] = 0;
	add(m, indent, A_NORMAL, "%s", s);
	free(s);
}

static const char *type_name(unsigned t)
{
	switch (t) {
	case TLS_CT_CHANGE_CIPHER_SPEC: return "change_cipher_spec";
	case TLS_CT_ALERT: return "alert";
	case TLS_CT_HANDSHAKE: return "handshake";
	case TLS_CT_APPLICATION_DATA: return "application_data";
	}
	return "?";
}

static void keys_lines(struct mlines *m, const struct trace *t, int si, const struct tlsmath_keys *k)
{
	const struct trace_tls_session *s = &t->sessions[si];
	const char *suite = decode_cipher_suite_name(s->suite);
	add(m, 0, A_BOLD, "Session %d: %s, %s", si, decode_tls_version_name(s->version), suite ? suite : "unknown suite");
	if (!k->ok) {
		add(m, 2, A_NORMAL, "No math for this session: %s.", k->why);
		return;
	}
	add(m, 0, A_NORMAL, " ");
	add(m, 0, A_BOLD, "1. master_secret = PRF(premaster, \"%s\", client_random + server_random)[0..47]", TLSMATH_MS_LABEL);
	add(m, 2, A_DIM, "PRF: %s", k->prf);
	if (k->premaster_state == TLSMATH_PM_KNOWN)
		add_hex(m, 2, "premaster", k->premaster, k->premaster_len);
	add(m, 2, A_DIM, "%s.", k->premaster_note);
	add_hex(m, 2, "client_random (ClientHello)", k->client_random, 32);
	add_hex(m, 2, "server_random (ServerHello)", k->server_random, 32);
	add_hex(m, 2, k->premaster_state == TLSMATH_PM_KNOWN ? "master_secret (= the PRF of the above)"
							       : "master_secret (as the TLS client reported it)",
		k->master_secret, 48);
	add(m, 0, A_NORMAL, " ");
	add(m, 0, A_BOLD, "2. key_block = PRF(master_secret, \"%s\", server_random + client_random)[0..%zu]",
	    TLSMATH_KB_LABEL, k->key_block_len - 1);
	add_hex(m, 2, "key_block", k->key_block, k->key_block_len);
	add(m, 2, A_DIM, "cut in order (RFC 5246 section 6.3)%s:",
	    k->mac_key_len ? "" : "; AEAD: no MAC keys, the IVs are the nonce salts");
	for (int p = 0; p < TLSMATH_NPARTS; p++) {
		size_t n;
		const uint8_t *b = tlsmath_part(k, (enum tlsmath_part)p, &n);
		if (n)
			add_hex(m, 4, tlsmath_part_name((enum tlsmath_part)p), b, n);
	}
}

static void record_lines(struct mlines *m, const struct trace *t, size_t ev, const struct tlsmath_keys *k)
{
	struct tlsmath_record r;
	tlsmath_record(t, ev, k, &r);
	const struct trace_event *e = &t->ev[ev];
	add(m, 0, A_NORMAL, " ");
	add(m, 0, A_BOLD, "3. Record, event %u: %s, %s to %s", e->seq, type_name(e->subtype), trace_actor_name(e->from),
	    trace_actor_name(e->to));
	if (!r.ok) {
		add(m, 2, A_NORMAL, "It does not open: %s.", r.why);
		tlsmath_record_free(&r);
		return;
	}
	const char *w = r.up ? "client" : "server";
	add(m, 2, A_NORMAL, "seq_num = %llu (the %s's protected records since its ChangeCipherSpec, from 0)",
	    (unsigned long long)r.seq, w);
	char part[32];
	if (r.mode == TLSKEYS_CBC) {
		add(m, 2, A_NORMAL, "record = %s E(plaintext + MAC + padding)", r.iv_explicit ? "IV +" : "");
		add_hex(m, 2, r.iv_explicit ? "IV (explicit: the record's first block)"
					   : "IV (TLS 1.0: the previous record's last ciphertext block)",
			r.iv, r.iv_len);
		add_hex(m, 2, "ciphertext", e->wire + r.ct_off, r.ct_len);
		snprintf(part, sizeof part, "%s_write_key", w);
		add(m, 2, A_DIM, "decrypt with %s in CBC mode, then split:", part);
		add_hex(m, 2, "plaintext", r.plain, r.plain_len);
		add_text(m, 4, r.plain, r.plain_len);
		add_hex(m, 2, "MAC = HMAC(MAC key, seq_num + type + version + length + plaintext)", r.mac, r.mac_len);
		add_hex(m, 4, "MAC header: seq_num(8) type(1) version(2) length(2)", r.mac_header, 13);
		add(m, 2, A_NORMAL, "padding: %zu bytes, each 0x%02zx", r.pad_len, r.pad_len ? r.pad_len - 1 : 0);
	} else {
		const char *alg = r.mode == TLSKEYS_GCM ? "AES-GCM" : r.mode == TLSKEYS_CCM ? "AES-CCM"
											    : "ChaCha20-Poly1305";
		if (r.explicit_len) {
			add(m, 2, A_NORMAL, "nonce = %s_write_IV (salt) + explicit nonce (the record's first 8 bytes)", w);
			add_hex(m, 4, "salt", r.salt, r.salt_len);
			add_hex(m, 4, "explicit nonce", e->wire + 5, r.explicit_len);
		} else {
			add(m, 2, A_NORMAL, "nonce = %s_write_IV xor (0 0 0 0 + seq_num)", w);
			add_hex(m, 4, "write_IV", r.salt, r.salt_len);
		}
		add_hex(m, 4, "nonce", r.nonce, 12);
		add_hex(m, 2, "additional data = seq_num(8) type(1) version(2) length(2)", r.aad, 13);
		add_hex(m, 2, "ciphertext", e->wire + r.ct_off, r.ct_len);
		add_hex(m, 2, "tag", e->wire + r.tag_off, r.tag_len);
		add(m, 2, A_DIM, "plaintext = %s-Decrypt(%s_write_key, nonce, ciphertext, additional data, tag):", alg, w);
		add_hex(m, 2, "plaintext", r.plain, r.plain_len);
		add_text(m, 4, r.plain, r.plain_len);
	}
	if (r.matches_trace == 1)
		add(m, 2, A_DIM, "= the plaintext the endpoint put in (the trace)");
	else if (r.matches_trace == 0)
		add(m, 2, A_BOLD, "differs from the plaintext the trace holds!");
	tlsmath_record_free(&r);
}

/* TLS 1.3: the key schedule from the traffic secrets, then the record under the cursor. */
static void keys13_lines(struct mlines *m, const struct trace *t, int si, const struct tlsmath13_keys *k)
{
	const struct trace_tls_session *s = &t->sessions[si];
	const char *suite = decode_cipher_suite_name(s->suite);
	add(m, 0, A_BOLD, "Session %d: TLS 1.3, %s", si, suite ? suite : "unknown suite");
	if (!k->ok) {
		add(m, 2, A_NORMAL, "No math for this session: %s.", k->why);
		return;
	}
	size_t hl = k->ss->hash_len;
	const char *h = hl == 48 ? "SHA-384" : "SHA-256";
	add(m, 0, A_NORMAL, " ");
	add(m, 0, A_BOLD, "1. The key schedule (RFC 8446 section 7.1), HKDF with %s", h);
	add_hex(m, 2, "Early Secret = HKDF-Extract(0, 0) (no PSK)", k->early_secret, hl);
	add(m, 2, A_NORMAL, "Handshake Secret = HKDF-Extract(Derive-Secret(Early Secret, \"derived\", \"\"), (EC)DHE shared secret)");
	add(m, 2, A_DIM, "The (EC)DHE shared secret stays inside the engine: from here on the math starts at the "
			 "traffic secrets the endpoints reported (the key log's lines).");
	add(m, 2, A_NORMAL, "*_handshake_traffic_secret = Derive-Secret(Handshake Secret, \"c hs traffic\" / \"s hs traffic\", "
			    "ClientHello..ServerHello)");
	add(m, 2, A_NORMAL, "Master Secret = HKDF-Extract(Derive-Secret(Handshake Secret, \"derived\", \"\"), 0)");
	add(m, 2, A_NORMAL, "*_application_traffic_secret_0 = Derive-Secret(Master Secret, \"c ap traffic\" / \"s ap traffic\", "
			    "ClientHello..server Finished)");
	add(m, 0, A_NORMAL, " ");
	add(m, 0, A_BOLD, "2. Each direction's keys (section 7.3): key = HKDF-Expand-Label(secret, \"key\", \"\", %zu), "
			  "iv = HKDF-Expand-Label(secret, \"iv\", \"\", 12)", k->ss->key_len);
	for (int x = 0; x < TLSMATH13_NTRAFFIC; x++) {
		if (!k->t[x].have)
			continue;
		add_hex(m, 2, tlsmath13_rfc_name((enum tlsmath13_traffic)x), k->t[x].secret, hl);
		add_hex(m, 4, "key", k->t[x].key, k->ss->key_len);
		add_hex(m, 4, "iv", k->t[x].iv, 12);
	}
}

static void record13_lines(struct mlines *m, const struct trace *t, size_t ev, const struct tlsmath13_keys *k)
{
	struct tlsmath13_record r;
	tlsmath13_record(t, ev, k, &r);
	const struct trace_event *e = &t->ev[ev];
	add(m, 0, A_NORMAL, " ");
	add(m, 0, A_BOLD, "3. Record, event %u: application_data on the wire, %s to %s", e->seq, trace_actor_name(e->from),
	    trace_actor_name(e->to));
	if (!r.ok) {
		add(m, 2, A_NORMAL, "It does not open: %s.", r.why);
		tlsmath13_record_free(&r);
		return;
	}
	const char *w = r.up ? "client" : "server";
	if (r.generation)
		add(m, 2, A_NORMAL, "keys: %s after %u KeyUpdate(s); record %llu under them", tlsmath13_rfc_name(r.keys),
		    r.generation, (unsigned long long)r.seq);
	else
		add(m, 2, A_NORMAL, "keys: %s; record %llu under them (the %s's records since those keys, from 0)",
		    tlsmath13_rfc_name(r.keys), (unsigned long long)r.seq, w);
	add_hex(m, 2, "nonce = iv xor (0 0 0 0 + seq)", r.nonce, 12);
	add_hex(m, 2, "additional data = the record header", e->wire, 5);
	add_hex(m, 2, "ciphertext", e->wire + r.ct_off, r.ct_len);
	add_hex(m, 2, "tag", e->wire + r.tag_off, 16);
	add(m, 2, A_DIM, "plaintext = %s-Decrypt(key, nonce, ciphertext, additional data, tag) = content + real type + "
			 "zero padding:", k->ss->chacha ? "ChaCha20-Poly1305" : "AES-GCM");
	add_hex(m, 2, "content", r.plain, r.plain_len);
	add_text(m, 4, r.plain, r.plain_len);
	add(m, 2, A_NORMAL, "real content type: %u (%s)", r.inner_type, type_name(r.inner_type));
	tlsmath13_record_free(&r);
}

/* The lines for the cursor; the caller frees them. */
static void build(const struct app *a, struct mlines *m)
{
	const struct trace *t = &a->res.trace;
	size_t cur = a->cur;
	size_t rec = (size_t)-1;
	if (tlsmath_is_protected(t, cur))
		rec = cur;
	else if (t->ev[cur].parent >= 0 && tlsmath_is_protected(t, (size_t)t->ev[cur].parent))
		rec = (size_t)t->ev[cur].parent;
	int si = tlsmath_session_of(t, rec != (size_t)-1 ? rec : cur);
	if (si < 0) {
		const struct trace_tls_session *s = trace_link_session(t, t->ev[cur].link);
		si = s ? (int)(s - t->sessions) : -1;
	}
	if (si < 0) {
		add(m, 0, A_NORMAL, "No TLS session on this link yet: move the cursor to a link that runs TLS.");
		return;
	}
	if (t->sessions[si].version == 0x0304) {
		struct tlsmath13_keys k13;
		tlsmath13_keys(&t->sessions[si], &k13);
		keys13_lines(m, t, si, &k13);
		if (rec != (size_t)-1 && k13.ok)
			record13_lines(m, t, rec, &k13);
		else if (k13.ok) {
			add(m, 0, A_NORMAL, " ");
			add(m, 0, A_DIM, "3. Put the cursor on a protected record (or a message inside one) to open it by hand.");
		}
		return;
	}
	struct tlsmath_keys k;
	tlsmath_keys(&t->sessions[si], &k);
	keys_lines(m, t, si, &k);
	if (rec != (size_t)-1 && k.ok)
		record_lines(m, t, rec, &k);
	else if (k.ok) {
		add(m, 0, A_NORMAL, " ");
		add(m, 0, A_DIM, "3. Put the cursor on a protected record (or a line inside one) to open it by hand.");
	}
}

/* Draws wrapped line `line` of a logical line when its row is on screen. */
struct drawctx {
	const struct rect *in;
	size_t row0, top;   /* the logical line's first row; the first row shown */
	int x, w;
	attr_t attr;
};

static void draw_piece(void *vctx, int line, const char *p, int n)
{
	struct drawctx *c = vctx;
	size_t row = c->row0 + (size_t)line;
	if (row < c->top || row >= c->top + (size_t)c->in->h)
		return;
	char buf[1024];
	if (n > (int)sizeof buf - 1)
		n = (int)sizeof buf - 1;
	memcpy(buf, p, (size_t)n);
	buf[n] = 0;
	ui_text(c->in->y + (int)(row - c->top), c->x, c->w, buf, c->attr);
}

void ui_math_draw(struct app *a, const struct rect *r)
{
	if (r->h < 3 || r->w < 16 || !a->res.trace.n)
		return;
	ui_box(r, "math", a->focus == PANE_DETAIL, a);
	struct rect in = { r->y + 1, r->x + 1, r->h - 2, r->w - 2 };
	struct mlines m = { 0 };
	build(a, &m);
	size_t total = 0;
	for (size_t i = 0; i < m.n; i++)
		total += (size_t)ui_wrap(m.v[i].s, in.w - m.v[i].indent, NULL, NULL);
	if (total <= (size_t)in.h)
		a->math_top = 0;
	else if (a->math_top > total - (size_t)in.h)
		a->math_top = total - (size_t)in.h;
	size_t row = 0;
	for (size_t i = 0; i < m.n; i++) {
		const struct mline *l = &m.v[i];
		struct drawctx c = { &in, row, a->math_top, in.x + l->indent, in.w - l->indent, l->attr };
		row += (size_t)ui_wrap(l->s, c.w, draw_piece, &c);
		free(l->s);
	}
	free(m.v);
	if (a->math_top > 0)
		ui_text(r->y, r->x + r->w - 6, 3, " ^ ", A_DIM);
	if (a->math_top + (size_t)in.h < total)
		ui_text(r->y + r->h - 1, r->x + r->w - 6, 3, a->utf8 ? " ↓ " : "...", A_DIM); /* more below */
}

void ui_math_toggle(struct app *a)
{
	a->math = !a->math;
	a->math_top = 0;
	snprintf(a->msg, sizeof a->msg, "%s", a->math ? "math: the key schedule and the cursor's record, worked out"
						      : "math pane closed");
}

int ui_math_key(struct app *a, int ch)
{
	if (!a->math)
		return 0;
	switch (ch) {
	case 'J': case KEY_SF:
		a->math_top++;
		return 1;
	case 'K': case KEY_SR:
		if (a->math_top > 0)
			a->math_top--;
		return 1;
	case KEY_NPAGE:
		a->math_top += 10;
		return 1;
	case KEY_PPAGE:
		a->math_top = a->math_top > 10 ? a->math_top - 10 : 0;
		return 1;
	}
	return 0;
}
