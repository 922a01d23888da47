/* refuse_starttls_502: answers the client's STARTTLS itself with 502 ("command not
 * implemented"), a permanent refusal, where reject-starttls sends the temporary 454. The
 * NO STARTTLS study tried both: a client must treat either as "no TLS here", and one that
 * requires TLS must stop. */
#include "sim/attack/attack.h"

static int refuse(struct mitm *m, const uint8_t *line, size_t n)
{
	return mitm_answer_in_servers_name(m, line, n, "STARTTLS", "502 5.5.1 Command not implemented",
					   "The attacker answers STARTTLS itself with 502 and never tells the server",
					   "502 says the server does not implement STARTTLS at all, although it just offered it. "
					   "An opportunistic client carries on in cleartext; one that requires TLS stops.");
}

const struct attack attack_refuse_starttls_502 = {
	.name = "refuse-starttls-502",
	.does = "answers STARTTLS itself with 502 (not implemented)",
	.intro = "The attacker sits in the path, ready to answer STARTTLS with 502 in the server's name",
	.client_line = refuse,
};
