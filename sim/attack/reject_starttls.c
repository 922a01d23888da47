/* reject_starttls: answers the client's STARTTLS itself with 454 ("TLS not available due
 * to temporary reason") and never tells the server. To the client the server seems
 * unable to do TLS right now; an opportunistic client carries on in cleartext. */
#include "sim/attack/attack.h"

static int reject(struct mitm *m, const uint8_t *line, size_t n)
{
	return mitm_answer_in_servers_name(m, line, n, "STARTTLS", "454 4.7.0 TLS not available due to temporary reason",
					   "The attacker answers STARTTLS itself with 454 and never tells the server",
					   "To the client, the server seems unable to do TLS right now. An opportunistic client "
					   "carries on in cleartext; one that requires TLS stops.");
}

const struct attack attack_reject_starttls = {
	.name = "reject-starttls",
	.does = "answers STARTTLS itself with 454 (TLS temporarily unavailable)",
	.intro = "The attacker sits in the path, ready to refuse STARTTLS in the server's name",
	.client_line = reject,
};
