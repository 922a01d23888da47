/* answer_starttls_354: answers the client's STARTTLS itself with 354, a reply that makes
 * no sense there (it invites message text). A client must start TLS on 220 only; one that
 * takes any non-error reply as "go ahead", or that treats the odd reply as "no TLS" and
 * carries on, is what the NO STARTTLS study tested for with unexpected codes. */
#include "sim/attack/attack.h"

#include <strings.h>

static int answer(struct mitm *m, const uint8_t *line, size_t n)
{
	if (n < 8 || strncasecmp((const char *)line, "STARTTLS", 8))
		return 0;
	mitm_note(m, MITM_LEG_CLIENT, ATTACK_FORGED, "The attacker answers STARTTLS itself with 354 and never tells the server",
		  "RFC 3207 allows only 220 (go ahead), 454 (not now) and 501 (syntax) here. A careful "
		  "client that requires TLS stops at anything but 220.");
	static const char r354[] = "354 Start mail input\r\n";
	mitm_send(m, MITM_LEG_CLIENT, SMTP_OUT_REPLY, (const uint8_t *)r354, sizeof r354 - 1, ATTACK_FORGED);
	return 1;
}

const struct attack attack_answer_starttls_354 = {
	.name = "answer-starttls-354",
	.does = "answers STARTTLS itself with 354, a reply that makes no sense there",
	.intro = "The attacker sits in the path, ready to answer STARTTLS with 354 in the server's name",
	.client_line = answer,
};
