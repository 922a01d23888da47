/* hex: the bytes of the current event — what crossed the wire beside what the endpoint
 * put in or took out — so a student can see that an encrypted record is noise and that
 * its plaintext is the very SMTP line of the diagram. The 5-byte record header and the
 * 4-byte handshake header are highlighted and spelled out in brackets above the dump.
 * The field selected in the detail pane lights up its bytes in reverse video, as in
 * Wireshark, and the dump scrolls to them when the selection moves. */
#include "ui/app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/decode/decode.h"

struct dump {
	const char *title;
	const uint8_t *p;
	size_t stored, len;
	size_t mark;          /* bytes from the start that form a header */
	int mark_pair;
	int hl;               /* the selected field's bytes: [hl_off, hl_off + hl_len) */
	size_t hl_off, hl_len;
};

static int bytes_per_line(int w)
{
	int n = (w - 6) / 4;
	n -= n % 4;
	return n < 4 ? 4 : n > 16 ? 16 : n;
}

/* Lines a dump takes: its title, then its bytes. */
static int dump_lines(const struct dump *d, int bpl)
{
	if (!d->p)
		return 1;
	return 1 + (int)((d->stored + (size_t)bpl - 1) / (size_t)bpl);
}

static void dump_line(const struct app *a, const struct dump *d, int line, int y, int x, int w, int bpl)
{
	if (line == 0) {
		ui_text(y, x, w, d->title, A_BOLD);
		return;
	}
	size_t off = (size_t)(line - 1) * (size_t)bpl;
	if (!d->p || off >= d->stored)
		return;
	char s[24];
	snprintf(s, sizeof s, "%04zx", off);
	ui_text(y, x, w, s, A_DIM);
	int hx = x + 5, ax = x + 6 + 3 * bpl;
	for (int i = 0; i < bpl && off + (size_t)i < d->stored; i++) {
		size_t k = off + (size_t)i;
		attr_t at = k < d->mark ? ui_pair(a, d->mark_pair) | A_BOLD : A_NORMAL;
		if (d->hl && k >= d->hl_off && k - d->hl_off < d->hl_len)
			at |= A_REVERSE;
		snprintf(s, sizeof s, "%02x", d->p[k]);
		if (hx + 3 * i + 2 <= x + w)
			ui_text(y, hx + 3 * i, 2, s, at);
		/* a highlighted run is one bar: the gap inside it is lit too */
		if ((at & A_REVERSE) && i + 1 < bpl && k + 1 - d->hl_off < d->hl_len && k + 1 < d->stored &&
		    hx + 3 * i + 3 <= x + w)
			ui_text(y, hx + 3 * i + 2, 1, " ", at);
		char c[2] = { d->p[k] >= 0x20 && d->p[k] < 0x7f ? (char)d->p[k] : '.', 0 };
		if (ax + i < x + w)
			ui_text(y, ax + i, 1, c, at);
	}
}

/* "[16 03 03 00 8e] record header: handshake, TLS 1.2, 142 bytes" */
static void header_text(const struct trace_event *e, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (e->layer == LAYER_TLS_RECORD && e->wire_stored >= 5) {
		const uint8_t *w = e->wire;
		snprintf(buf, cap, "[%02x %02x %02x %02x %02x] record header: %s, %s, %u bytes",
			 w[0], w[1], w[2], w[3], w[4], decode_tls_content_type_name(w[0]),
			 decode_tls_version_name((unsigned)w[1] << 8 | w[2]), (unsigned)w[3] << 8 | w[4]);
		return;
	}
	if (e->layer != LAYER_TLS_HANDSHAKE)
		return;
	const uint8_t *h = NULL;
	if (!e->encrypted && e->wire_stored >= 4)
		h = e->wire;
	else if (e->encrypted && e->plain && e->plain_stored >= 4)
		h = e->plain;
	if (h)
		snprintf(buf, cap, "[%02x %02x %02x %02x] handshake header: %s, %u bytes",
			 h[0], h[1], h[2], h[3], decode_handshake_type_name(h[0]),
			 (unsigned)h[1] << 16 | (unsigned)h[2] << 8 | h[3]);
}

/* What the pane shows for event i: the wire bytes (for a message inside a protected
 * record, the record's — the ciphertext that carried it) and the plaintext (for a
 * protected record, what its messages held; for a KEPT_BUFFERED note, the cleartext the
 * endpoint still had buffered). *buf is allocated when bytes had to be gathered. */
static void setup(const struct app *a, size_t i, struct dump *w, struct dump *p, char *wt, char *pt, size_t cap,
		  unsigned char **buf)
{
	const struct trace *t = &a->res.trace;
	const struct trace_event *e = &t->ev[i];
	*buf = NULL;
	*w = (struct dump){ wt, NULL, 0, 0, 0, CP_RECHDR };
	*p = (struct dump){ pt, NULL, 0, 0, 0, 0 };
	if (e->layer == LAYER_NOTE) {
		unsigned char *b = malloc(65536);
		size_t n = b ? ui_buffered_bytes(a, i, b, 65536) : 0;
		if (n) {
			snprintf(wt, cap, "buffered cleartext the %s ran inside TLS: %zu bytes",
				 trace_actor_name(e->from), n);
			*w = (struct dump){ wt, b, n, n, 0, CP_RECHDR };
			*buf = b;
		} else {
			free(b);
			snprintf(wt, cap, "a note: nothing on the wire");
		}
		pt[0] = '\0';
		p->title = NULL;
		return;
	}
	const struct trace_event *wire_ev = e;
	if (!e->wire_stored && e->parent >= 0 && (size_t)e->parent < t->n && t->ev[e->parent].wire_stored)
		wire_ev = &t->ev[e->parent];
	if (wire_ev != e)
		snprintf(wt, cap, "ciphertext: record %u around it, %zu bytes%s", wire_ev->seq, wire_ev->wire_len,
			 wire_ev->wire_stored < wire_ev->wire_len ? " (first ones kept)" : "");
	else if (e->replay)
		snprintf(wt, cap, "from the recording, decrypted later");
	else
		snprintf(wt, cap, "on the wire: %zu bytes%s", e->wire_len,
			 e->wire_stored < e->wire_len ? " (first ones kept)" : "");
	*w = (struct dump){ wt, wire_ev->wire, wire_ev->wire_stored, wire_ev->wire_len, 0, CP_RECHDR };
	if (wire_ev->layer == LAYER_TLS_RECORD)
		w->mark = 5;
	else if (e->layer == LAYER_TLS_HANDSHAKE && !e->encrypted) {
		w->mark = 4;
		w->mark_pair = CP_HSHDR;
	}
	if (!wire_ev->wire_stored)
		w->p = NULL;
	if (e->plain && e->plain_stored) {
		snprintf(pt, cap, "%s: %zu bytes", e->replay ? "plaintext the attacker decrypted" : "plaintext the endpoint saw",
			 e->plain_len);
		*p = (struct dump){ pt, e->plain, e->plain_stored, e->plain_len, 0, CP_HSHDR };
		if (e->layer == LAYER_TLS_HANDSHAKE && e->encrypted)
			p->mark = 4;
		return;
	}
	if (e->layer == LAYER_TLS_RECORD && e->encrypted) {
		/* the plaintext of the messages found inside this record */
		size_t n = 0, first = 0, last = 0;
		for (size_t j = i + 1; j < t->n; j++)
			if (t->ev[j].parent == (int)i && t->ev[j].plain)
				n += t->ev[j].plain_stored;
		unsigned char *b = n ? malloc(n) : NULL;
		if (b) {
			size_t k = 0;
			for (size_t j = i + 1; j < t->n; j++)
				if (t->ev[j].parent == (int)i && t->ev[j].plain) {
					memcpy(b + k, t->ev[j].plain, t->ev[j].plain_stored);
					k += t->ev[j].plain_stored;
					if (!first)
						first = j + 1;
					last = j + 1;
				}
			if (first == last)
				snprintf(pt, cap, "plaintext inside it (event %zu): %zu bytes", first, n);
			else
				snprintf(pt, cap, "plaintext inside it (events %zu-%zu): %zu bytes", first, last, n);
			*p = (struct dump){ pt, b, n, n, 0, CP_HSHDR };
			*buf = b;
			return;
		}
	}
	snprintf(pt, cap, "%s", e->encrypted ? "plaintext: not kept for this event"
		 : wire_ev == e && e->wire_stored ? "plaintext: the same bytes (cleartext)" : "");
	if (!pt[0])
		p->title = NULL;
}

/* Lights up the selected field's bytes in the dump that holds the event's own bytes (its
 * wire bytes, or the plaintext of a line that has none of its own), and scrolls them into
 * view when the range is new. */
static void highlight(struct app *a, const struct trace_event *e, struct dump *w, struct dump *p, int side,
		      int lw, int bpl, int rows)
{
	size_t off, len;
	struct dump *d = NULL;
	if (ui_detail_range(a, &off, &len) && len) {
		if (e->wire_len)
			d = w->p && w->p == e->wire ? w : NULL;
		else
			d = p->p && p->p == e->plain ? p : NULL;
	}
	if (!d || off >= d->stored) {
		a->hl_on = 0;
		return;
	}
	d->hl = 1;
	d->hl_off = off;
	d->hl_len = len;
	if (a->hl_on && a->hl_event == a->cur && a->hl_off == off && a->hl_len == len)
		return; /* shown already: the student may scroll away */
	a->hl_on = 1;
	a->hl_event = a->cur;
	a->hl_off = off;
	a->hl_len = len;
	size_t last = off + len - 1 < d->stored ? off + len - 1 : d->stored - 1;
	size_t first_line = 1 + off / (size_t)bpl, last_line = 1 + last / (size_t)bpl;
	if (d == p && !side) {
		first_line += (size_t)lw + 1;
		last_line += (size_t)lw + 1;
	}
	if (rows < 1)
		return;
	if (first_line < a->hex_top)
		a->hex_top = first_line;
	else if (last_line >= a->hex_top + (size_t)rows)
		a->hex_top = last_line - first_line < (size_t)rows ? last_line - (size_t)rows + 1 : first_line;
}

void ui_hex_draw(struct app *a)
{
	const struct rect *r = &a->r_hex;
	if (r->h < 2 || r->w < 20 || !a->res.trace.n)
		return;
	ui_box(r, "bytes", a->focus == PANE_HEX, a);
	if (r->h < 3)
		return;
	const struct trace_event *e = &a->res.trace.ev[a->cur];
	struct rect in = { r->y + 1, r->x + 1, r->h - 2, r->w - 2 };
	struct dump w, p;
	char wt[160], pt[160], hdr[160];
	unsigned char *buf;
	setup(a, a->cur, &w, &p, wt, pt, sizeof wt, &buf);
	if (e->parent >= 0 && w.mark == 5 && (size_t)e->parent < a->res.trace.n)
		header_text(&a->res.trace.ev[e->parent], hdr, sizeof hdr);
	else
		header_text(e, hdr, sizeof hdr);
	int y = in.y, rows = in.h;
	if (hdr[0]) {
		ui_text(y++, in.x, in.w, hdr, ui_pair(a, w.mark == 5 ? CP_RECHDR : CP_HSHDR));
		rows--;
	}
	int side = in.w >= 78 && p.p; /* wide enough to put the two dumps beside each other */
	int cw = side ? (in.w - 2) / 2 : in.w;
	int bpl = bytes_per_line(cw);
	int lw = dump_lines(&w, bpl), lp = p.title ? dump_lines(&p, bpl) : 0;
	int total = side ? (lw > lp ? lw : lp) : lw + (lp ? 1 + lp : 0);
	highlight(a, e, &w, &p, side, lw, bpl, rows);
	if (rows > 0 && a->hex_top + (size_t)rows > (size_t)total)
		a->hex_top = total > rows ? (size_t)(total - rows) : 0;
	for (int k = 0; k < rows; k++) {
		int line = (int)a->hex_top + k;
		if (line >= total)
			break;
		if (side) {
			dump_line(a, &w, line, y + k, in.x, cw, bpl);
			dump_line(a, &p, line, y + k, in.x + cw + 2, cw, bpl);
		} else if (line < lw)
			dump_line(a, &w, line, y + k, in.x, cw, bpl);
		else if (line > lw)
			dump_line(a, &p, line - lw - 1, y + k, in.x, cw, bpl);
	}
	if (a->hex_top > 0)
		ui_text(r->y, r->x + r->w - 6, 3, " ^ ", A_DIM);
	if (a->hex_top + (size_t)rows < (size_t)total)
		ui_text(r->y + r->h - 1, r->x + r->w - 6, 3, a->utf8 ? " ↓ " : "...", A_DIM); /* more below */
	free(buf);
}

int ui_hex_key(struct app *a, int ch)
{
	switch (ch) {
	case 'j': case KEY_DOWN:
		a->hex_top++; /* clamped when drawn */
		return 1;
	case 'k': case KEY_UP:
		if (a->hex_top)
			a->hex_top--;
		return 1;
	case KEY_NPAGE:
		a->hex_top += 8;
		return 1;
	case KEY_PPAGE:
		a->hex_top = a->hex_top > 8 ? a->hex_top - 8 : 0;
		return 1;
	}
	return 0;
}
