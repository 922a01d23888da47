/* nav: moving the cursor through the trace — one step, to the next handshake message or
 * SMTP command, or to the next event whose summary matches a search. */
#include "ui/app.h"

#include <string.h>
#include <strings.h>

void ui_goto(struct app *a, size_t i)
{
	if (!a->res.trace.n)
		return;
	if (i >= a->res.trace.n)
		i = a->res.trace.n - 1;
	if (i != a->cur)
		a->hex_top = 0;
	a->cur = i;
}

void ui_step(struct app *a, int delta)
{
	if (delta < 0 && a->cur < (size_t)-delta)
		ui_goto(a, 0);
	else
		ui_goto(a, a->cur + (size_t)delta);
}

void ui_next_layer(struct app *a, int handshake)
{
	enum trace_layer want = handshake ? LAYER_TLS_HANDSHAKE : LAYER_SMTP_COMMAND;
	for (size_t i = a->cur + 1; i < a->res.trace.n; i++) {
		if (a->res.trace.ev[i].layer == want) {
			ui_goto(a, i);
			return;
		}
	}
	snprintf(a->msg, sizeof a->msg, "no further %s", handshake ? "handshake message" : "SMTP command");
	a->msg_err = 0;
}

/* Case-insensitive substring search, starting after the cursor and wrapping round. */
void ui_search(struct app *a, const char *q)
{
	size_t n = a->res.trace.n, hits = 0, which = 0, found = (size_t)-1;
	if (!q[0] || !n)
		return;
	for (size_t k = 1; k <= n; k++) {
		size_t i = (a->cur + k) % n;
		if (strcasestr(a->res.trace.ev[i].summary, q) && found == (size_t)-1)
			found = i;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcasestr(a->res.trace.ev[i].summary, q)) {
			hits++;
			if (i == found)
				which = hits;
		}
	}
	if (found == (size_t)-1) {
		snprintf(a->msg, sizeof a->msg, "no event matches \"%s\"", q);
		a->msg_err = 1;
		return;
	}
	ui_goto(a, found);
	snprintf(a->msg, sizeof a->msg, "\"%s\": match %zu of %zu (/ Enter: next)", q, which, hits);
	a->msg_err = 0;
}
