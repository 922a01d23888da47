/* substitute_certificate: when TLS starts, the attacker answers the client's handshake
 * itself with a certificate of its own for the server's name, and opens a second TLS
 * session of its own to the real server. Two sessions instead of one: whether it works
 * depends only on whether the client checks the certificate. */
#include "sim/attack/attack.h"

static void intercept(struct mitm *m)
{
	mitm_intercept(m);
	if (mitm_hop(m) == 2)
		mitm_note(m, MITM_LEG_CLIENT, ATTACK_INTERCEPTED,
			  "The attacker answers the sending server's TLS handshake itself, with its own certificate",
			  "Two TLS sessions instead of one: sending server to attacker, attacker to MX. Whether this works "
			  "depends only on what the sending server checks of the certificate.");
	else
		mitm_note(m, MITM_LEG_CLIENT, ATTACK_INTERCEPTED,
			  "The attacker answers the client's TLS handshake itself, with its own certificate",
			  "Two TLS sessions instead of one: client to attacker, attacker to server. Whether this works "
			  "depends only on whether the client checks the certificate.");
}

const struct attack attack_substitute_certificate = {
	.name = "substitute-certificate",
	.does = "ends the client's TLS itself with a certificate of its own (a second TLS session to the server)",
	.intro = "The attacker sits in the path with a certificate of its own for the server's name",
	.intro_hop2 = "The attacker sits on hop 2 with a certificate of its own for the MX's name",
	.flags = ATTACK_F_TLS_END,
	.tls_starting = intercept,
};
