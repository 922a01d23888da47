/* status: the bar at the top. Scenario title and step, the TLS state of each link (of the
 * cursor's hop, with a route) at the cursor, and what a wire observer (with a route, the
 * observer of each hop) and the attacker know so far — read from the
 * trace's facts and its ledger up to the cursor, so stepping back un-leaks, and the bar
 * at the last event says what the outcome says. Pieces that do not fit are shortened or left
 * out whole, never cut mid-word: the bar is read from the back of a classroom. */
#include "ui/app.h"
#include "sim/decode/decode.h"

#include <string.h>

static const char *const link_short[LINK_COUNT] = {
	[LINK_CLIENT_SERVER] = "C-S", [LINK_CLIENT_MITM] = "C-A", [LINK_MITM_SERVER] = "A-S",
	[LINK_SERVER_MX] = "S-M", [LINK_SERVER_MITM] = "S-A", [LINK_MITM_MX] = "A-M",
};

static const char *link_abbrev(enum trace_link l)
{
	return (unsigned)l < LINK_COUNT ? link_short[l] : "?";
}

/* What a reader knows at the cursor, from the ledger (the same list the outcome folds). */
int ui_known(const struct app *a, enum ledger_reader r)
{
	struct knowledge k;
	ledger_knowledge(&a->res.ledger, r, a->cur, &k);
	return k.what;
}

/* "credentials, envelope, body" or "nothing" for OBSERVED_* bits. */
void ui_bits_text(int bits, char *buf, size_t cap)
{
	if (!bits) {
		snprintf(buf, cap, "nothing");
		return;
	}
	snprintf(buf, cap, "%s%s%s%s%s", bits & OBSERVED_CREDENTIALS ? "credentials" : "",
		 (bits & OBSERVED_CREDENTIALS) && (bits & ~OBSERVED_CREDENTIALS) ? ", " : "",
		 bits & OBSERVED_ENVELOPE ? "envelope" : "",
		 (bits & OBSERVED_ENVELOPE) && (bits & OBSERVED_BODY) ? ", " : "",
		 bits & OBSERVED_BODY ? "body" : "");
}

/* "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" -> "ECDHE_RSA_AES_128_GCM_SHA256" */
static void short_suite(const char *s, char *out, size_t cap)
{
	if (!strncmp(s, "TLS_", 4))
		s += 4;
	const char *w = strstr(s, "_WITH_");
	if (w)
		snprintf(out, cap, "%.*s_%s", (int)(w - s), s, w + 6);
	else
		snprintf(out, cap, "%s", s);
}

static void tls_state_at(const struct app *a, enum trace_link l, size_t upto, char *buf, size_t cap, int shortform)
{
	const struct trace_tls_session *ses;
	enum trace_tls_phase ph = trace_link_tls_phase(&a->res.trace, l, upto, &ses);
	switch (ph) {
	case TLS_PHASE_NONE: snprintf(buf, cap, "none"); return;
	case TLS_PHASE_HANDSHAKE: snprintf(buf, cap, "handshaking"); return;
	case TLS_PHASE_FAILED: snprintf(buf, cap, "failed"); return;
	case TLS_PHASE_UP: break;
	}
	const char *ver = decode_tls_version_name(ses->version);
	const char *suite = decode_cipher_suite_name(ses->suite);
	if (shortform || !suite) {
		snprintf(buf, cap, "%s", ver ? ver : "TLS");
		return;
	}
	char sh[64];
	short_suite(suite, sh, sizeof sh);
	snprintf(buf, cap, "%s %s", ver ? ver : "TLS", sh);
}

void ui_tls_state(const struct app *a, enum trace_link l, char *buf, size_t cap, int shortform)
{
	tls_state_at(a, l, a->cur, buf, cap, shortform);
}

/* The longest prefix of s that ends at a word boundary and fits in w columns, with an
 * ellipsis when it had to be shortened. */
static void fit_words(const char *s, int w, char *out, size_t cap, const char *ellipsis)
{
	if (ui_text_cols(s) <= w) {
		snprintf(out, cap, "%s", s);
		return;
	}
	size_t best = 0;
	int cols = 0;
	for (size_t i = 0; s[i] && cols < w - 1; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			cols++;
		if (s[i + 1] == ' ' && cols <= w - 1)
			best = i + 1;
	}
	snprintf(out, cap, "%.*s%s", (int)best, s, ellipsis);
}

/* ---- who knows what: one line per reader, from the ledger at the cursor ---- */

struct kreader {
	enum ledger_reader r;
	const char *label;
};

static int same_at_end(const struct app *a, enum ledger_reader x, enum ledger_reader y)
{
	struct knowledge kx, ky;
	ledger_knowledge(&a->res.ledger, x, (size_t)-1, &kx);
	ledger_knowledge(&a->res.ledger, y, (size_t)-1, &ky);
	char sx[1024], sy[1024];
	ledger_describe_secrets(&kx, sx, sizeof sx);
	ledger_describe_secrets(&ky, sy, sizeof sy);
	return !strcmp(sx, sy) && !memcmp(kx.exposed_at, ky.exposed_at, sizeof kx.exposed_at);
}

#define KREADERS_MAX 4

/* The readers the status block shows: the passive observer always (with a route, one of
 * each hop), the attacker and the key thief when the run has them (one line for both when
 * they end up knowing the same). */
static int kreaders(const struct app *a, struct kreader *out)
{
	int n = 0;
	if (ui_has_hops(a)) {
		out[n++] = (struct kreader){ READER_HOP1, "Hop 1 observer" };
		out[n++] = (struct kreader){ READER_HOP2, "Hop 2 observer" };
	} else
		out[n++] = (struct kreader){ READER_OBSERVER, "Observer" };
	if (!a->have_res)
		return n;
	int atk = ledger_has_reader(&a->res.ledger, READER_ATTACKER);
	if (atk)
		out[n++] = (struct kreader){ READER_ATTACKER, "Attacker" };
	if (ledger_has_reader(&a->res.ledger, READER_THIEF)) {
		if (atk && same_at_end(a, READER_ATTACKER, READER_THIEF))
			out[n - 1].label = "Attacker+thief";
		else
			out[n++] = (struct kreader){ READER_THIEF, "Key thief" };
	}
	return n;
}

int ui_status_height(const struct app *a)
{
	struct kreader kr[KREADERS_MAX];
	/* title, TLS per link, the what-if / message / search line (kept even when empty, so
	 * the panes do not jump), then one line per reader */
	return 3 + kreaders(a, kr);
}

/* "alice@example.test" -> "alice" */
static void local_part(const char *s, char *out, size_t cap)
{
	const char *at = strchr(s, '@');
	snprintf(out, cap, "%.*s", at ? (int)(at - s) : (int)strlen(s), s);
}

/* The three secrets as slots, at a level of detail (0 most). */
static void secret_slots(const struct knowledge *k, int level, const char *dash, char out[3][400], int known[3])
{
	known[0] = (k->what & OBSERVED_CREDENTIALS) || k->password[0];
	known[1] = !!(k->what & OBSERVED_ENVELOPE);
	known[2] = !!(k->what & OBSERVED_BODY);
	if (!known[0])
		snprintf(out[0], 400, "password %s", dash);
	else if (level == 0 && k->user[0])
		snprintf(out[0], 400, "password \"%s\" (user %s)", k->password, k->user);
	else
		snprintf(out[0], 400, "password \"%s\"", k->password);
	if (!known[1])
		snprintf(out[1], 400, "envelope %s", dash);
	else {
		char more[32] = "";
		if (k->nrcpt > 1)
			snprintf(more, sizeof more, " +%zu", k->nrcpt - 1);
		if (level == 0)
			snprintf(out[1], 400, "envelope <%.170s> -> <%.170s>%s", k->mail_from, k->nrcpt ? k->rcpt[0] : "", more);
		else if (level == 1)
			snprintf(out[1], 400, "envelope %.170s -> %.170s%s", k->mail_from, k->nrcpt ? k->rcpt[0] : "?", more);
		else {
			char f[128], t[128];
			local_part(k->mail_from, f, sizeof f);
			local_part(k->nrcpt ? k->rcpt[0] : "?", t, sizeof t);
			snprintf(out[1], 400, "envelope %s->%s%s", f, t, more);
		}
	}
	if (!known[2])
		snprintf(out[2], 400, "message %s", dash);
	else if (!k->subject[0])
		snprintf(out[2], 400, "message (%llu bytes)", (unsigned long long)k->body_bytes);
	else if (level == 0)
		snprintf(out[2], 400, "message \"%s\" (%llu bytes)", k->subject, (unsigned long long)k->body_bytes);
	else
		snprintf(out[2], 400, "message \"%s\"", k->subject);
}

/* A short list of the metadata a reader has: names, with a value where it is short. */
static void meta_summary(const struct knowledge *k, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
#define ADD(...) do { int w_ = snprintf(buf + n, cap - n, "%s", n ? ", " : "sees "); if (w_ > 0 && n + (size_t)w_ < cap) n += (size_t)w_; \
		w_ = snprintf(buf + n, cap - n, __VA_ARGS__); if (w_ > 0 && n + (size_t)w_ < cap) n += (size_t)w_; } while (0)
	if (k->nendpoints)
		ADD("endpoints");
	if (k->ehlo_name[0] || k->banner[0] || k->ncaps)
		ADD("greetings");
	if (k->sni[0])
		ADD("SNI %s", k->sni);
	if (k->cert_subject[0])
		ADD("certificate");
	if (k->tls_version[0])
		ADD("%s", k->tls_version);
	if (k->records)
		ADD("%llu records", (unsigned long long)k->records);
	if (k->credentials_length >= 0 || k->user_length >= 0 || k->password_length >= 0)
		ADD("credential lengths");
	if (k->message_size >= 0)
		ADD("message size");
	if (k->saw_anything)
		ADD("timing");
	if (!n)
		snprintf(buf, cap, "sees nothing yet");
#undef ADD
}

static void knowledge_line(struct app *a, int y, const struct kreader *kr, int labw)
{
	const struct rect *r = &a->r_status;
	struct knowledge k;
	ledger_knowledge(&a->res.ledger, kr->r, a->cur, &k);
	int x = r->x + 1, limit = r->x + r->w - 1;
	int fresh[3], any_fresh = 0;
	for (int b = 0; b < 3; b++) {
		fresh[b] = k.exposed_at[b] && k.exposed_at[b] == a->cur + 1;
		any_fresh |= fresh[b];
	}
	/* the exposure mark, in a column of its own so the line does not shift */
	if (any_fresh)
		ui_text(y, x, 1, a->utf8 ? "◆" : "*", ui_mark_attr(a));
	x += 2;
	char lab[48];
	snprintf(lab, sizeof lab, "%s:", kr->label);
	ui_text(y, x, labw + 1, lab, A_BOLD);
	x += labw + 2;
	const char *dash = a->utf8 ? "–" : "-";
	char slots[3][400];
	int known[3], level = 0, room = limit - x;
	for (; level < 3; level++) {
		secret_slots(&k, level, dash, slots, known);
		int w = ui_text_cols(slots[0]) + ui_text_cols(slots[1]) + ui_text_cols(slots[2]) + 4;
		if (w <= room || level == 2)
			break;
	}
	for (int b = 0; b < 3 && x < limit; b++) {
		attr_t at = known[b] ? A_BOLD | (fresh[b] ? A_REVERSE : 0) : A_DIM;
		int w = ui_text_cols(slots[b]);
		int give = b < 2 ? (w < limit - x ? w : limit - x) : limit - x;
		x += ui_text(y, x, give, slots[b], at);
		x += 2;
	}
	if (x + 8 < limit) {
		char meta[600], fit[600];
		meta_summary(&k, meta, sizeof meta);
		ui_text(y, x, 2, a->g->v, A_DIM);
		x += 2;
		fit_words(meta, limit - x, fit, sizeof fit, a->g->ellipsis);
		ui_text(y, x, limit - x, fit, A_DIM);
	}
}

/* The links of one hop: through the attacker when it sits in that hop's path, else the
 * hop's own link (hop 1 as the client dialled; hop 2 as the relaying server did). */
static int hop_links(const struct app *a, int hop, enum trace_link links[2])
{
	if (hop == 2) {
		struct ui_route rt;
		ui_route_of(a, &rt);
		if (rt.links & (1u << LINK_SERVER_MITM | 1u << LINK_MITM_MX)) {
			links[0] = LINK_SERVER_MITM;
			links[1] = LINK_MITM_MX;
			return 2;
		}
		links[0] = links[1] = LINK_SERVER_MX;
		return 1;
	}
	links[0] = links[1] = LINK_CLIENT_SERVER;
	if (a->res.outcome.client_link != LINK_CLIENT_SERVER) { /* an attacker in the path, not a tap */
		links[0] = LINK_CLIENT_MITM;
		links[1] = LINK_MITM_SERVER;
		return 2;
	}
	return 1;
}

/* The most columns the TLS states of these links take in form f over the run (at the
 * cursor too when now is set), "handshaking" counted for a link that gets that far. */
static int links_width(const struct app *a, const enum trace_link *links, int nl, int f, size_t end, int now)
{
	int w = 0;
	for (int i = 0; i < nl; i++) {
		char cur[96], fin[96];
		const char *name = f == 0 ? trace_link_name(links[i]) : link_abbrev(links[i]);
		tls_state_at(a, links[i], end, fin, sizeof fin, f == 2);
		int m = (int)strlen(name) + 2 + ui_text_cols(fin);
		if (now) {
			tls_state_at(a, links[i], a->cur, cur, sizeof cur, f == 2);
			int wn = (int)strlen(name) + 2 + ui_text_cols(cur);
			if (wn > m)
				m = wn;
		}
		if (strcmp(fin, "none") && m < (int)strlen(name) + 2 + 11)
			m = (int)strlen(name) + 2 + 11; /* "handshaking" on the way */
		w += m + (i + 1 < nl ? 2 : 0);
	}
	return w;
}

/* The leak summary at event `at`, in its wordings from the longest: what the wire
 * observer and the attacker have seen (with a route, then each hop's observer, first).
 * Returns how many; *leaked: the OBSERVED_* bits. */
static int leak_text(const struct app *a, size_t at, char out[3][320], int *leaked)
{
	int mitm = ui_mitm_present(a), n = 0;
	struct knowledge ko, ka;
	ledger_knowledge(&a->res.ledger, READER_OBSERVER, at, &ko);
	char obs[128], atk[128] = "";
	ui_bits_text(ko.what, obs, sizeof obs);
	*leaked = ko.what;
	if (mitm) {
		ledger_knowledge(&a->res.ledger, READER_ATTACKER, at, &ka);
		if (ka.what == ko.what)
			snprintf(atk, sizeof atk, "%s", ka.what ? "the same" : "nothing");
		else
			ui_bits_text(ka.what, atk, sizeof atk);
		*leaked |= ka.what;
	}
	if (ui_has_hops(a)) {
		struct knowledge k1, k2;
		ledger_knowledge(&a->res.ledger, READER_HOP1, at, &k1);
		ledger_knowledge(&a->res.ledger, READER_HOP2, at, &k2);
		char h1[32], h2[32]; /* "credentials, envelope, body" at most */
		ui_bits_text(k1.what, h1, sizeof h1);
		ui_bits_text(k2.what, h2, sizeof h2);
		snprintf(out[n++], 320, "wire observer has seen: %.27s%s%.27s; hop 1: %s; hop 2: %s", obs,
			 mitm ? "; attacker: " : "", atk, h1, h2);
	}
	if (mitm) {
		snprintf(out[n++], 320, "wire observer has seen: %s; attacker: %s", obs, atk);
		snprintf(out[n++], 320, "leaked: %s; attacker: %s", obs, atk);
	} else {
		snprintf(out[n++], 320, "wire observer has seen: %s", obs);
		snprintf(out[n++], 320, "leaked: %s", obs);
	}
	return n;
}

/* The TLS states and the one-line leak summary of line 2: the links of the cursor's hop
 * (with a route, hop 2's once the relay has begun). The forms are chosen from the whole
 * run (the longest each will be, on either hop), so the wording does not change as the
 * cursor moves. */
static void tls_line(struct app *a, int y)
{
	const struct rect *r = &a->r_status;
	attr_t bar = ui_pair(a, CP_STATUS);
	int x = r->x + 1, limit = r->x + r->w - 1;
	int hops = ui_has_hops(a);
	int hop = hops && a->res.trace.n && trace_link_hop(a->res.trace.ev[a->cur].link) == 2 ? 2 : 1;
	enum trace_link links[2], other[2];
	int nl = hop_links(a, hop, links);
	int no = hops ? hop_links(a, 3 - hop, other) : 0;
	size_t end = a->res.trace.n ? a->res.trace.n - 1 : 0;
	char leak[2][3][320]; /* [cursor, end][wordings, longest first] */
	int leaked = 0, leaked_end;
	leak_text(a, a->cur, leak[0], &leaked);
	int nf = leak_text(a, end, leak[1], &leaked_end);
	/* TLS texts per form (full names, short names, short names and version only); the
	 * width each takes is the most it takes over the run, for a choice that holds */
	char forms[3][2][160];
	int formw[3] = { 0, 0, 0 };
	for (int f = 0; f < 3; f++) {
		for (int i = 0; i < nl; i++) {
			char now[96];
			tls_state_at(a, links[i], a->cur, now, sizeof now, f == 2);
			const char *name = f == 0 ? trace_link_name(links[i]) : link_abbrev(links[i]);
			snprintf(forms[f][i], sizeof forms[f][i], "%s: %s", name, now);
		}
		formw[f] = links_width(a, links, nl, f, end, 1);
		int wo = no ? links_width(a, other, no, f, end, 0) : 0;
		if (wo > formw[f])
			formw[f] = wo;
	}
	/* the leak summary in the longest wording whose end-of-run text fits beside the
	 * narrowest TLS states; none when even the short one does not (the lines below say
	 * it in full) */
	int lf = -1;
	for (int k = 0; k < nf && lf < 0; k++)
		if (x + formw[2] + (k + 1 < nf ? 5 : 3) + ui_text_cols(leak[1][k]) <= limit)
			lf = k;
	int leakw = lf < 0 ? 0 : ui_text_cols(leak[1][lf]) + (x + formw[2] + 5 + ui_text_cols(leak[1][lf]) <= limit ? 5 : 3);
	int form = 0;
	while (form < 2 && x + formw[form] + leakw > limit)
		form++;
	for (int i = 0; i < nl; i++) {
		x += ui_text(y, x, limit - x, forms[form][i], bar);
		if (i + 1 < nl)
			x += 2;
	}
	if (lf < 0)
		return;
	x += ui_text(y, x, limit - x, leakw - ui_text_cols(leak[1][lf]) == 5 ? "  |  " : " | ", bar);
	ui_text(y, x, limit - x, leak[0][lf], bar | (leaked ? A_BOLD : 0));
}

void ui_status_draw(struct app *a)
{
	const struct rect *r = &a->r_status;
	attr_t bar = ui_pair(a, CP_STATUS);
	attron(bar);
	for (int i = 0; i < r->h && i < 3; i++)
		mvhline(r->y + i, r->x, ' ', r->w);
	attroff(bar);

	/* line 1: step on the right, title in what is left */
	char step[96];
	snprintf(step, sizeof step, "%sstep %zu of %zu ", a->playing ? "playing  " : "",
		 a->res.trace.n ? a->cur + 1 : 0, a->res.trace.n);
	int sw = ui_text_cols(step);
	ui_text(r->y, r->x + r->w - sw, sw, step, bar | A_BOLD);
	char title[512];
	fit_words(a->sc.title ? a->sc.title : a->sc.name, r->w - sw - 3, title, sizeof title, a->g->ellipsis);
	ui_text(r->y, r->x + 1, r->w - sw - 2, title, bar | A_BOLD);

	/* line 2: TLS per link, then the leak summary */
	if (r->h > 1 && a->have_res)
		tls_line(a, r->y + 1);

	/* lines 4...: who knows what at the cursor */
	if (a->have_res && a->res.trace.n) {
		struct kreader kr[KREADERS_MAX];
		int n = kreaders(a, kr), labw = 0;
		for (int i = 0; i < n; i++)
			if (ui_text_cols(kr[i].label) > labw)
				labw = ui_text_cols(kr[i].label);
		for (int i = 0; i < n && 3 + i < r->h; i++)
			knowledge_line(a, r->y + 3 + i, &kr[i], labw);
	}

	/* line 3, when there is something to say: the search prompt, the what-if, a message */
	if (r->h < 3)
		return;
	int y = r->y + 2, x = r->x + 1, limit = r->x + r->w - 1;
	if (a->prompt) {
		char p[96];
		snprintf(p, sizeof p, "search: %s_", a->input);
		ui_text(y, x, r->w - 2, p, bar | A_BOLD);
		return;
	}
	char wi[512];
	ui_whatif_describe(a, wi, sizeof wi);
	if (wi[0]) {
		char line[600], fit[600];
		snprintf(line, sizeof line, "what if: %s", wi);
		fit_words(line, r->w - 2, fit, sizeof fit, a->g->ellipsis);
		x += ui_text(y, x, r->w - 2, fit, bar | A_BOLD);
		x += 3;
		if (a->msg[0] && x + 4 < limit)
			ui_text(y, x - 2, 1, a->g->v, bar);
	}
	if (a->msg[0] && x < limit) {
		char fit[300];
		fit_words(a->msg, limit - x, fit, sizeof fit, a->g->ellipsis);
		ui_text(y, x, limit - x, fit, a->msg_err ? ui_pair(a, CP_ERROR) | A_BOLD : bar);
	}
}
