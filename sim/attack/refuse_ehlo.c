/* refuse_ehlo: answers the client's EHLO itself with 502, as a server from before ESMTP
 * would (RFC 5321 section 4.1.4: 500, 501, 502 or 550 for an EHLO it does not accept).
 * Clients commonly fall back to HELO, which has no extensions — so no STARTTLS offer to
 * strip (the NO STARTTLS study's "EHLO refused" case). */
#include "sim/attack/attack.h"

static int refuse(struct mitm *m, const uint8_t *line, size_t n)
{
	return mitm_answer_in_servers_name(m, line, n, "EHLO", "502 5.5.1 Command not implemented",
					   "The attacker answers EHLO itself with 502 and never tells the server",
					   "To the client the server seems to predate ESMTP, and clients commonly fall back to HELO "
					   "then. HELO has no extension list, so there is no STARTTLS offer to strip: the attacker "
					   "only has to refuse one line.");
}

const struct attack attack_refuse_ehlo = {
	.name = "refuse-ehlo",
	.does = "answers EHLO itself with 502, so the client may fall back to HELO (no extensions, no STARTTLS)",
	.intro = "The attacker sits in the path, ready to refuse EHLO in the server's name",
	.client_line = refuse,
};
