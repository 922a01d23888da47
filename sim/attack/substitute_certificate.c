/* substitute_certificate: when TLS starts, the attacker answers the client's handshake
 * itself with a certificate of its own for the server's name, and opens a second TLS
 * session of its own to the real server. Two sessions instead of one: whether it works
 * depends only on whether the client checks the certificate. */
#include "sim/attack/attack.h"

static void intercept(struct mitm *m)
{
	mitm_intercept(m);
	mitm_note(m, MITM_LEG_CLIENT, ATTACK_INTERCEPTED,
		  "The attacker answers the client's TLS handshake itself, with its own certificate",
		  "Two TLS sessions instead of one: client to attacker, attacker to server. Whether this works "
		  "depends only on whether the client checks the certificate.");
}

const struct attack attack_substitute_certificate = {
	.name = "substitute-certificate",
	.does = "ends the client's TLS itself with a certificate of its own (a second TLS session to the server)",
	.intro = "The attacker sits in the path with a certificate of its own for the server's name",
	.flags = ATTACK_F_TLS_END,
	.tls_starting = intercept,
};
