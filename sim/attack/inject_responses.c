/* inject_responses: appends forged replies behind the server's 220 to STARTTLS, in the
 * same write. A client that keeps what it buffered before the handshake reads them later
 * as if the server had sent them through TLS (CVE-2021-38371 in Exim's sending side; many
 * mail clients in the NO STARTTLS study). */
#include "sim/attack/attack.h"

static int inject(struct mitm *m, const uint8_t *r, size_t n, int code)
{
	if (code != 220 || !mitm_starttls_pending(m))
		return 0;
	mitm_send(m, MITM_LEG_CLIENT, SMTP_OUT_REPLY, r, n, ATTACK_NONE);
	const char *inj = mitm_inject_text(m);
	mitm_inject(m, MITM_LEG_CLIENT, SMTP_OUT_REPLY, inj ? inj : "250-mail.example.test at your service\n250 8BITMIME");
	mitm_note(m, MITM_LEG_CLIENT, ATTACK_ADDED, "The attacker appends forged replies behind the server's 220",
		  "These cleartext replies arrive with the 220. A careful client throws away what it "
		  "buffered before the handshake; a vulnerable one reads them later as if the server had "
		  "sent them through TLS.");
	return 1;
}

const struct attack attack_inject_responses = {
	.name = "inject-responses",
	.does = "appends forged replies behind the server's 220 to STARTTLS, in the same write",
	.intro = "The attacker sits in the path, ready to slip forged replies in behind the 220",
	.server_reply = inject,
};
