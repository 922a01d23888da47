/* status: the bar at the top. Scenario title and step, the TLS state of each link at the
 * cursor, and what a wire observer (and the attacker) know so far — read from the
 * trace's facts and its ledger up to the cursor, so stepping back un-leaks, and the bar
 * at the last event says what the outcome says. Pieces that do not fit are shortened or left
 * out whole, never cut mid-word: the bar is read from the back of a classroom. */
#include "ui/app.h"
#include "sim/decode/decode.h"

#include <string.h>

static const char *const link_short[3] = { "C-S", "C-A", "A-S" };

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

void ui_tls_state(const struct app *a, enum trace_link l, char *buf, size_t cap, int shortform)
{
	const struct trace_tls_session *ses;
	enum trace_tls_phase ph = trace_link_tls_phase(&a->res.trace, l, a->cur, &ses);
	switch (ph) {
	case TLS_PHASE_NONE: snprintf(buf, cap, "none"); return;
	case TLS_PHASE_HANDSHAKE: snprintf(buf, cap, "handshaking"); return;
	case TLS_PHASE_FAILED: snprintf(buf, cap, "failed"); return;
	case TLS_PHASE_UP: break;
	}
	const char *ver = decode_tls_version_name(ses->version);
	const char *suite = decode_cipher_suite_name(ses->suite);
	if (shortform || !suite) {
		snprintf(buf, cap, "%s", ver);
		return;
	}
	char sh[64];
	short_suite(suite, sh, sizeof sh);
	snprintf(buf, cap, "%s %s", ver, sh);
}

/* Puts the first alternative that fits between *x and limit; returns 1 when one did. */
static int put_seg(int y, int *x, int limit, const char *const *alts, int nalts, attr_t attr)
{
	for (int i = 0; i < nalts; i++) {
		int w = ui_text_cols(alts[i]);
		if (*x + w <= limit) {
			ui_text(y, *x, w, alts[i], attr);
			*x += w;
			return 1;
		}
	}
	return 0;
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

void ui_status_draw(struct app *a)
{
	const struct rect *r = &a->r_status;
	attr_t bar = ui_pair(a, CP_STATUS);
	attron(bar);
	for (int i = 0; i < r->h; i++)
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

	/* line 2: TLS per link, then leaks */
	int y = r->y + 1, x = r->x + 1, limit = r->x + r->w - 1;
	int mitm = ui_mitm_present(a);
	enum trace_link links[2] = { LINK_CLIENT_SERVER, LINK_CLIENT_SERVER };
	int nl = 1;
	if (a->res.outcome.client_link != LINK_CLIENT_SERVER) { /* an attacker in the path, not a tap */
		links[0] = LINK_CLIENT_MITM;
		links[1] = LINK_MITM_SERVER;
		nl = 2;
	}
	int leaked = ui_known(a, READER_OBSERVER);
	char leak[128], atk[128];
	ui_bits_text(leaked, leak, sizeof leak);
	char leak_long[320], leak_short[288];
	if (mitm) {
		int got = ui_known(a, READER_ATTACKER);
		if (got == leaked)
			snprintf(atk, sizeof atk, "%s", got ? "the same" : "nothing");
		else
			ui_bits_text(got, atk, sizeof atk);
		leaked |= got;
		snprintf(leak_long, sizeof leak_long, "wire observer has seen: %s; attacker: %s", leak, atk);
		snprintf(leak_short, sizeof leak_short, "leaked: %s; attacker: %s", leak, atk);
	} else {
		snprintf(leak_long, sizeof leak_long, "wire observer has seen: %s", leak);
		snprintf(leak_short, sizeof leak_short, "leaked: %s", leak);
	}
	int leakw = ui_text_cols(leak_short) + 3;
	attr_t leak_attr = bar | (leaked ? A_BOLD : 0);
	/* one form for every link, the longest that fits beside the leak segment */
	char forms[3][2][160];
	for (int i = 0; i < nl; i++) {
		char st_full[96], st_short[32];
		ui_tls_state(a, links[i], st_full, sizeof st_full, 0);
		ui_tls_state(a, links[i], st_short, sizeof st_short, 1);
		snprintf(forms[0][i], sizeof forms[0][i], "%s: %s", trace_link_name(links[i]), st_full);
		snprintf(forms[1][i], sizeof forms[1][i], "%s: %s", link_short[links[i]], st_full);
		snprintf(forms[2][i], sizeof forms[2][i], "%s: %s", link_short[links[i]], st_short);
	}
	int form = 0;
	for (; form < 2; form++) {
		int w = 0;
		for (int i = 0; i < nl; i++)
			w += ui_text_cols(forms[form][i]) + 2;
		if (x + w <= limit - leakw)
			break;
	}
	for (int i = 0; i < nl; i++) {
		const char *alts[1] = { forms[form][i] };
		if (put_seg(y, &x, limit - leakw, alts, 1, bar) && i + 1 < nl) {
			const char *sp[1] = { "  " };
			put_seg(y, &x, limit - leakw, sp, 1, bar);
		}
	}
	const char *sep[1] = { "  |  " }, *sep2[1] = { " | " };
	if (!put_seg(y, &x, limit - leakw + 3, sep, 1, bar))
		put_seg(y, &x, limit, sep2, 1, bar);
	const char *lalts[2] = { leak_long, leak_short };
	put_seg(y, &x, limit, lalts, 2, leak_attr);

	/* line 3, when there is something to say: the search prompt, the what-if, a message */
	if (r->h < 3)
		return;
	y = r->y + 2;
	x = r->x + 1;
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
