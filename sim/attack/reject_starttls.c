/* reject_starttls: answers the client's STARTTLS itself with 454 ("TLS not available due
 * to temporary reason") and never tells the server. To the client the server seems
 * unable to do TLS right now; an opportunistic client carries on in cleartext. */
#include "sim/attack/attack.h"

#include <strings.h>

static int reject(struct mitm *m, const uint8_t *line, size_t n)
{
	if (n < 8 || strncasecmp((const char *)line, "STARTTLS", 8))
		return 0;
	mitm_note(m, MITM_LEG_CLIENT, ATTACK_FORGED, "The attacker answers STARTTLS itself with 454 and never tells the server",
		  "To the client, the server seems unable to do TLS right now. An opportunistic client "
		  "carries on in cleartext; one that requires TLS stops.");
	static const char r454[] = "454 4.7.0 TLS not available due to temporary reason\r\n";
	mitm_send(m, MITM_LEG_CLIENT, SMTP_OUT_REPLY, (const uint8_t *)r454, sizeof r454 - 1, ATTACK_FORGED);
	return 1;
}

const struct attack attack_reject_starttls = {
	.name = "reject-starttls",
	.does = "answers STARTTLS itself with 454 (TLS temporarily unavailable)",
	.intro = "The attacker sits in the path, ready to refuse STARTTLS in the server's name",
	.client_line = reject,
};
