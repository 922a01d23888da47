/* replay_certificate: answers the client's TLS handshake itself with the real server's
 * certificate chain — certificates are public, anyone who connects gets a copy — but
 * without the server's private key. The chain checks out (right CA, right name, right
 * dates); the handshake fails where the client checks proof of possession: the signature
 * on the key share (ECDHE), or the Finished MAC after a premaster secret the attacker
 * could not decrypt (static RSA). */
#include "sim/attack/attack.h"

static void intercept(struct mitm *m)
{
	mitm_intercept(m);
	mitm_note(m, MITM_LEG_CLIENT, ATTACK_INTERCEPTED,
		  "The attacker answers the client's TLS handshake with the real server's certificate, and a key of its own",
		  "A certificate is a CA's signed statement that a public key belongs to a name; it proves "
		  "nothing about who sends it. The proof is the signature the server makes with the matching "
		  "private key over its key share — and the attacker has not got that key.");
}

const struct attack attack_replay_certificate = {
	.name = "replay-certificate",
	.does = "presents the real server's certificate without its private key",
	.intro = "The attacker sits in the path with a copy of the real server's certificate, but not its key",
	.flags = ATTACK_F_TLS_END | ATTACK_F_SERVER_CHAIN | ATTACK_F_HOP1_ONLY,
	.tls_starting = intercept,
};
