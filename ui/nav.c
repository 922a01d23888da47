/* nav: moving the cursor through the trace — one step, to the next or previous handshake
 * message or SMTP command, to the next or previous search match — and the two
 * predicates the diagram shares with it: the view filter (f) and the search (/). Every
 * move goes over the events the filter shows, so the cursor is never on a hidden row. */
#include "ui/app.h"

#include <string.h>
#include <strings.h>

static const char *const filter_names[UI_FILTER_COUNT] = {
	[UI_FILTER_ALL] = "all events",
	[UI_FILTER_SMTP] = "SMTP only",
	[UI_FILTER_HANDSHAKE] = "TLS handshake",
	[UI_FILTER_ATTACK] = "attack and notes",
	[UI_FILTER_NO_RECORDS] = "no TLS records",
};

const char *ui_filter_name(int filter)
{
	return filter >= 0 && filter < UI_FILTER_COUNT ? filter_names[filter] : "?";
}

int ui_event_visible(const struct app *a, size_t i)
{
	if (i >= a->res.trace.n)
		return 0;
	const struct trace_event *e = &a->res.trace.ev[i];
	switch (a->filter) {
	case UI_FILTER_SMTP:
		return e->layer == LAYER_SMTP_COMMAND || e->layer == LAYER_SMTP_REPLY || e->layer == LAYER_SMTP_DATA;
	case UI_FILTER_HANDSHAKE:
		return e->layer == LAYER_TLS_HANDSHAKE || e->layer == LAYER_TLS_CCS || e->layer == LAYER_TLS_ALERT ||
		       e->kind == TK_TLS_UP || e->kind == TK_TLS_FAILED || e->kind == TK_TLS_UNVERIFIED;
	case UI_FILTER_ATTACK:
		return e->attack != 0 || e->layer == LAYER_NOTE;
	case UI_FILTER_NO_RECORDS:
		return e->layer != LAYER_TLS_RECORD;
	default:
		return 1;
	}
}

int ui_event_matches(const struct app *a, size_t i)
{
	return a->query[0] && i < a->res.trace.n && a->res.trace.ev[i].summary &&
	       strcasestr(a->res.trace.ev[i].summary, a->query) != NULL;
}

/* The nearest visible event from i in direction dir (i itself counts); n when none. */
static size_t visible_from(const struct app *a, size_t i, int dir)
{
	size_t n = a->res.trace.n;
	while (i < n) {
		if (ui_event_visible(a, i))
			return i;
		if (dir < 0 && i == 0)
			break;
		i = dir < 0 ? i - 1 : i + 1;
	}
	return n;
}

void ui_goto(struct app *a, size_t i)
{
	size_t n = a->res.trace.n;
	if (!n)
		return;
	if (i >= n)
		i = n - 1;
	size_t v = visible_from(a, i, 1);
	if (v == n)
		v = visible_from(a, i, -1);
	if (v == n)
		return; /* the filter shows nothing: stay */
	if (v != a->cur)
		a->hex_top = 0;
	a->cur = v;
}

void ui_settle(struct app *a)
{
	if (a->res.trace.n && !ui_event_visible(a, a->cur))
		ui_goto(a, a->cur);
}

int ui_step(struct app *a, int delta)
{
	size_t n = a->res.trace.n, at = a->cur;
	int dir = delta < 0 ? -1 : 1, left = delta < 0 ? -delta : delta;
	for (size_t i = a->cur; left > 0;) {
		if (dir < 0 ? i == 0 : i + 1 >= n)
			break;
		i = dir < 0 ? i - 1 : i + 1;
		if (ui_event_visible(a, i)) {
			at = i;
			left--;
		}
	}
	if (at == a->cur)
		return 0;
	ui_goto(a, at);
	return 1;
}

void ui_goto_end(struct app *a, int last)
{
	size_t n = a->res.trace.n;
	if (!n)
		return;
	size_t v = last ? visible_from(a, n - 1, -1) : visible_from(a, 0, 1);
	if (v < n)
		ui_goto(a, v);
}

void ui_layer_step(struct app *a, enum trace_layer want, int dir)
{
	size_t n = a->res.trace.n;
	for (size_t i = a->cur; dir < 0 ? i > 0 : i + 1 < n;) {
		i = dir < 0 ? i - 1 : i + 1;
		if (a->res.trace.ev[i].layer == want && ui_event_visible(a, i)) {
			ui_goto(a, i);
			return;
		}
	}
	snprintf(a->msg, sizeof a->msg, "no %s %s", dir < 0 ? "earlier" : "further",
		 want == LAYER_TLS_HANDSHAKE ? "handshake message" : "SMTP command");
	a->msg_err = 0;
}

void ui_next_layer(struct app *a, int handshake)
{
	ui_layer_step(a, handshake ? LAYER_TLS_HANDSHAKE : LAYER_SMTP_COMMAND, 1);
}

void ui_filter_cycle(struct app *a, int dir)
{
	a->filter = (a->filter + (dir < 0 ? UI_FILTER_COUNT - 1 : 1)) % UI_FILTER_COUNT;
	size_t shown = 0;
	for (size_t i = 0; i < a->res.trace.n; i++)
		shown += (size_t)ui_event_visible(a, i);
	ui_settle(a);
	snprintf(a->msg, sizeof a->msg, "filter: %s (%zu of %zu events; f: next filter)",
		 ui_filter_name(a->filter), shown, a->res.trace.n);
	a->msg_err = shown == 0;
}

/* Reports "match i of n" for the cursor's event among the visible matches. */
static void match_msg(struct app *a)
{
	size_t hits = 0, which = 0;
	for (size_t i = 0; i < a->res.trace.n; i++) {
		if (ui_event_matches(a, i) && ui_event_visible(a, i)) {
			hits++;
			if (i == a->cur)
				which = hits;
		}
	}
	snprintf(a->msg, sizeof a->msg, "\"%s\": match %zu of %zu (n next, N previous)", a->query, which, hits);
	a->msg_err = 0;
}

/* The next (dir > 0) or previous visible match after the cursor, wrapping round. */
void ui_search_step(struct app *a, int dir)
{
	size_t n = a->res.trace.n;
	if (!a->query[0]) {
		snprintf(a->msg, sizeof a->msg, "no search yet: / then the text and Enter");
		a->msg_err = 0;
		return;
	}
	if (!n)
		return;
	for (size_t k = 1; k <= n; k++) {
		size_t i = dir < 0 ? (a->cur + n - k % n) % n : (a->cur + k) % n;
		if (ui_event_matches(a, i) && ui_event_visible(a, i)) {
			ui_goto(a, i);
			match_msg(a);
			return;
		}
	}
	snprintf(a->msg, sizeof a->msg, "no %sevent matches \"%s\"", a->filter ? "shown " : "", a->query);
	a->msg_err = 1;
}

/* Case-insensitive substring search, starting after the cursor and wrapping round. */
void ui_search(struct app *a, const char *q)
{
	if (q != a->query)
		snprintf(a->query, sizeof a->query, "%s", q);
	ui_search_step(a, 1);
}
