/* inspection_ca: intercepts TLS with a certificate for the server's name issued by a CA the
 * client trusts — a TLS-inspection appliance whose root a company installed on its
 * laptops, or a CA that mis-issued. Verification passes: it is only as good as the trust
 * store. Key pinning or DANE (RFC 7672) would catch it; a CA check cannot. */
#include "sim/attack/attack.h"

static void intercept(struct mitm *m)
{
	mitm_intercept(m);
	mitm_note(m, MITM_LEG_CLIENT, ATTACK_INTERCEPTED,
		  "The attacker answers the client's TLS handshake with a certificate its inspection CA issued for the server's name",
		  "The client checks the chain to a root it trusts, the name and the dates — all pass, because "
		  "the client's trust store holds the attacker's CA. Two TLS sessions, and the attacker reads both.");
}

const struct attack attack_inspection_ca = {
	.name = "inspection-ca",
	.does = "intercepts TLS with a certificate from a CA the client trusts (a TLS-inspection appliance)",
	.intro = "The attacker sits in the path as a TLS-inspection appliance, with a CA of its own",
	.flags = ATTACK_F_TLS_END,
	.certificate = "certs/inspection-leaf.pem",
	.key = "certs/inspection-leaf.key",
	.tls_starting = intercept,
};
