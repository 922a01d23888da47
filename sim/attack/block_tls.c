/* block_tls: shuts every door to TLS, the way a hostile network (or a careless captive
 * portal) does: it drops connections to the implicit-TLS port outright, and deletes
 * STARTTLS from the EHLO reply anywhere else. A client that "falls back" from 465 to 587
 * to 25 (the quirk port-fallback) is walked down to cleartext one port at a time. */
#include "sim/attack/attack.h"

/* The client's first TLS record on the implicit-TLS port: the connection is dropped. */
static enum trace_attack drop(struct mitm *m, int up, uint8_t *rec, size_t *n)
{
	(void)rec;
	(void)n;
	if (!up || mitm_port(m) != 465)
		return ATTACK_NONE;
	mitm_note(m, MITM_LEG_CLIENT, ATTACK_DELETED, "The attacker drops the connection to port 465 at the client's first TLS record",
		  "Implicit TLS cannot be stripped, but it can be blocked: to the client, port 465 simply "
		  "does not work. What the client does next is up to it.");
	mitm_block(m);
	return ATTACK_DELETED;
}

/* Everywhere else it strips STARTTLS exactly as strip-starttls does. */
extern const struct attack attack_strip_starttls;

static int strip(struct mitm *m, const uint8_t *r, size_t n, int code)
{
	return attack_strip_starttls.server_reply(m, r, n, code);
}

const struct attack attack_block_tls = {
	.name = "block-tls",
	.does = "drops connections to 465 and deletes STARTTLS elsewhere: every way to TLS fails",
	.intro = "The attacker sits in the path, ready to block implicit TLS and strip STARTTLS",
	.record = drop,
	.server_reply = strip,
};
