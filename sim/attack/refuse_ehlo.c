/* refuse_ehlo: answers the client's EHLO itself with 502, as a server from before ESMTP
 * would (RFC 5321 section 4.1.4: 500, 501, 502 or 550 for an EHLO it does not accept).
 * Clients commonly fall back to HELO, which has no extensions — so no STARTTLS offer to
 * strip (the NO STARTTLS study's "EHLO refused" case). */
#include "sim/attack/attack.h"

#include <strings.h>

static int refuse(struct mitm *m, const uint8_t *line, size_t n)
{
	if (n < 4 || strncasecmp((const char *)line, "EHLO", 4))
		return 0;
	mitm_note(m, MITM_LEG_CLIENT, ATTACK_FORGED, "The attacker answers EHLO itself with 502 and never tells the server",
		  "To the client the server seems to predate ESMTP, and clients commonly fall back to HELO "
		  "then. HELO has no extension list, so there is no STARTTLS offer to strip: the attacker "
		  "only has to refuse one line.");
	static const char r502[] = "502 5.5.1 Command not implemented\r\n";
	mitm_send(m, MITM_LEG_CLIENT, SMTP_OUT_REPLY, (const uint8_t *)r502, sizeof r502 - 1, ATTACK_FORGED);
	return 1;
}

const struct attack attack_refuse_ehlo = {
	.name = "refuse-ehlo",
	.does = "answers EHLO itself with 502, so the client may fall back to HELO (no extensions, no STARTTLS)",
	.intro = "The attacker sits in the path, ready to refuse EHLO in the server's name",
	.client_line = refuse,
};
