/* refuse_starttls_502: answers the client's STARTTLS itself with 502 ("command not
 * implemented"), a permanent refusal, where reject-starttls sends the temporary 454. The
 * NO STARTTLS study tried both: a client must treat either as "no TLS here", and one that
 * requires TLS must stop. */
#include "sim/attack/attack.h"

#include <strings.h>

static int refuse(struct mitm *m, const uint8_t *line, size_t n)
{
	if (n < 8 || strncasecmp((const char *)line, "STARTTLS", 8))
		return 0;
	mitm_note(m, MITM_LEG_CLIENT, ATTACK_FORGED, "The attacker answers STARTTLS itself with 502 and never tells the server",
		  "502 says the server does not implement STARTTLS at all, although it just offered it. "
		  "An opportunistic client carries on in cleartext; one that requires TLS stops.");
	static const char r502[] = "502 5.5.1 Command not implemented\r\n";
	mitm_send(m, MITM_LEG_CLIENT, SMTP_OUT_REPLY, (const uint8_t *)r502, sizeof r502 - 1, ATTACK_FORGED);
	return 1;
}

const struct attack attack_refuse_starttls_502 = {
	.name = "refuse-starttls-502",
	.does = "answers STARTTLS itself with 502 (not implemented)",
	.intro = "The attacker sits in the path, ready to answer STARTTLS with 502 in the server's name",
	.client_line = refuse,
};
