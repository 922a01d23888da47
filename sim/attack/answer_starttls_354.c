/* answer_starttls_354: answers the client's STARTTLS itself with 354, a reply that makes
 * no sense there (it invites message text). A client must start TLS on 220 only; one that
 * takes any non-error reply as "go ahead", or that treats the odd reply as "no TLS" and
 * carries on, is what the NO STARTTLS study tested for with unexpected codes. */
#include "sim/attack/attack.h"

static int answer(struct mitm *m, const uint8_t *line, size_t n)
{
	return mitm_answer_in_servers_name(m, line, n, "STARTTLS", "354 Start mail input",
					   "The attacker answers STARTTLS itself with 354 and never tells the server",
					   "RFC 3207 allows only 220 (go ahead), 454 (not now) and 501 (syntax) here. A careful "
					   "client that requires TLS stops at anything but 220.");
}

const struct attack attack_answer_starttls_354 = {
	.name = "answer-starttls-354",
	.does = "answers STARTTLS itself with 354, a reply that makes no sense there",
	.intro = "The attacker sits in the path, ready to answer STARTTLS with 354 in the server's name",
	.client_line = answer,
};
