/* route: who takes part in the run and where each stands, read from the trace. Without a
 * route the diagram has its three places, client, attacker, server, the attacker's
 * lifeline drawn only when there is one. With a route (events on hop 2) the places follow
 * the message: client, the attacker when it sits on hop 1, the server, the attacker when
 * it sits on hop 2, the MX — only the actors the run has. On every link the dialling end
 * (the SMTP client side) stands to the left of the answering end, so "towards the right"
 * is "from the side that sends commands". */
#include "ui/app.h"

#include <string.h>

void ui_hop_ends(int hop, enum trace_actor *dialer, enum trace_actor *answerer)
{
	*dialer = hop == 2 ? ACTOR_SERVER : ACTOR_CLIENT;
	*answerer = hop == 2 ? ACTOR_MX : ACTOR_SERVER;
}

int ui_event_upstream(const struct trace_event *e)
{
	enum trace_actor d, ans;
	trace_link_ends(e->link, &d, &ans);
	return e->from == d && e->to != d;
}

int ui_event_from_answerer(const struct trace_event *e)
{
	enum trace_actor d, ans;
	trace_link_ends(e->link, &d, &ans);
	return e->from == ans;
}

static void place(struct ui_route *r, enum trace_actor x, int lifeline)
{
	r->pos[x] = r->n;
	r->order[r->n++] = x;
	r->lifeline[x] = lifeline;
}

void ui_route_of(const struct app *a, struct ui_route *r)
{
	memset(r, 0, sizeof *r);
	for (int k = 0; k < ACTOR_COUNT; k++)
		r->pos[k] = -1;
	int seen[ACTOR_COUNT] = { 0 };
	int atk_hop = 0;
	const struct trace *t = &a->res.trace;
	for (size_t i = 0; a->have_res && i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if ((unsigned)e->link < LINK_COUNT) {
			enum trace_actor x, y;
			r->links |= 1u << e->link;
			trace_link_ends(e->link, &x, &y);
			seen[x] = seen[y] = 1;
			if (!atk_hop && trace_link_has_attacker(e->link))
				atk_hop = trace_link_hop(e->link);
		}
		if ((unsigned)e->from < ACTOR_COUNT)
			seen[e->from] = 1;
		if ((unsigned)e->to < ACTOR_COUNT)
			seen[e->to] = 1;
	}
	const unsigned hop2 = 1u << LINK_SERVER_MX | 1u << LINK_SERVER_MITM | 1u << LINK_MITM_MX;
	r->hop2 = (r->links & hop2) || seen[ACTOR_MX];
	int mitm = ui_mitm_present(a);
	if (!r->hop2) {
		/* as always: the attacker's place in the middle, its lifeline drawn when it is there */
		r->mitm_hop = mitm;
		place(r, ACTOR_CLIENT, 1);
		place(r, ACTOR_MITM, mitm);
		place(r, ACTOR_SERVER, 1);
		return;
	}
	mitm |= seen[ACTOR_MITM];
	if (mitm)
		r->mitm_hop = atk_hop ? atk_hop : a->var.mitm.hop == 2 ? 2 : 1;
	place(r, ACTOR_CLIENT, 1);
	if (mitm && r->mitm_hop == 1)
		place(r, ACTOR_MITM, 1);
	place(r, ACTOR_SERVER, 1);
	if (mitm && r->mitm_hop == 2)
		place(r, ACTOR_MITM, 1);
	if (seen[ACTOR_MX])
		place(r, ACTOR_MX, 1);
}

int ui_has_hops(const struct app *a)
{
	return a->have_res && ledger_has_reader(&a->res.ledger, READER_HOP1) &&
	       ledger_has_reader(&a->res.ledger, READER_HOP2);
}
