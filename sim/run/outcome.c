/* outcome: see outcome.h. */
#include "sim/run/outcome.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/base/sb.h"
#include "sim/run/relay_policy.h"
#include "sim/decode/decode.h"
#include "sim/smtp/smtp_client.h"
#include "sim/smtp/smtp_server.h"
#include "sim/wire/tls.h"

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* The body as the server stores it: CRLF line ends, no dot-stuffing, ending in CRLF. */
static int same_body(const uint8_t *sent, size_t sn, const struct smtp_server_message *m)
{
	if (m->body_total != m->body_len)
		return 1; /* only a prefix is kept (benchmarks): cannot tell, assume unchanged */
	size_t j = 0;
	for (size_t i = 0; i < sn; i++) {
		if (sent[i] == '\n' && (i == 0 || sent[i - 1] != '\r')) {
			if (j + 2 > m->body_len || m->body[j] != '\r' || m->body[j + 1] != '\n')
				return 0;
			j += 2;
			continue;
		}
		if (j >= m->body_len || m->body[j] != sent[i])
			return 0;
		j++;
	}
	if (sn && sent[sn - 1] != '\n')
		j += 2; /* the client added a final CRLF */
	return j == m->body_len;
}

/* A header line as one line: folding (CRLF and the whitespace after it) becomes one space,
 * and the final CRLF goes. */
static void unfold(char *dst, size_t cap, const char *src)
{
	size_t n = 0;
	for (const char *p = src; *p && n + 1 < cap; p++) {
		if (*p == '\r' || *p == '\n')
			continue;
		if (*p == '\t' || *p == ' ') {
			if (n && dst[n - 1] != ' ')
				dst[n++] = ' ';
			continue;
		}
		dst[n++] = *p;
	}
	while (n && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

/* "the credentials (...), the envelope (from <a> to <b>, <c>) and the message body", for
 * the secrets in mask. */
/* What goes before the k-th of count items in a list: nothing, a comma, or "and". */
static const char *list_sep(int *k, int count)
{
	int i = (*k)++;
	return i == 0 ? "" : i == count - 1 ? " and" : ",";
}

static size_t describe_secrets(char *buf, size_t cap, size_t n, const struct knowledge *l, int mask)
{
	int count = !!(mask & OBSERVED_CREDENTIALS) + !!(mask & OBSERVED_ENVELOPE) + !!(mask & OBSERVED_BODY), k = 0;
	if (mask & OBSERVED_CREDENTIALS)
		n = sb_put(buf, cap, n, "%s the credentials (user '%s', password '%s')", list_sep(&k, count), l->user, l->password);
	if (mask & OBSERVED_ENVELOPE) {
		n = sb_put(buf, cap, n, "%s the envelope (", list_sep(&k, count));
		if (l->mail_from[0])
			n = sb_put(buf, cap, n, "from <%s>%s", l->mail_from, l->nrcpt ? " " : "");
		if (l->nrcpt)
			n = sb_put(buf, cap, n, "to");
		for (size_t i = 0; i < l->nrcpt; i++)
			n = sb_put(buf, cap, n, "%s <%s>", i ? "," : "", l->rcpt[i]);
		n = sb_put(buf, cap, n, "%s)", l->nrcpt ? "" : ", no recipient");
	}
	if (mask & OBSERVED_BODY)
		n = sb_put(buf, cap, n, "%s the message body%s%s%s", list_sep(&k, count), l->subject[0] ? " (Subject: " : "", l->subject,
			l->subject[0] ? ")" : "");
	return n;
}

/* What a reader learned, in words. A secret first read out of a recording after the key
 * theft (a replayed event) is said to be learned then. */
static size_t describe_learned(char *buf, size_t cap, size_t n, const char *who, const struct knowledge *l,
			       const struct trace *t)
{
	if (!l->what) {
		n = sb_put(buf, cap, n, "%s learned no credentials, envelope or message", who);
		if (l->sni[0] || l->cert_subject[0] || l->ehlo_name[0])
			n = sb_put(buf, cap, n, ", only metadata%s%s%s%s", l->sni[0] ? " (the server name " : "", l->sni,
				l->sni[0] ? ")" : "", l->records ? " and the size and timing of each record" : "");
		else if (l->records)
			n = sb_put(buf, cap, n, ", only the endpoints and the size and timing of each record");
		return sb_put(buf, cap, n, ". ");
	}
	int later = 0, mailbox = 0;
	for (int b = 0; b < 3; b++)
		if ((l->what >> b & 1) && l->exposed_at[b] && l->exposed_at[b] <= t->n && t->ev[l->exposed_at[b] - 1].replay) {
			later |= 1 << b;
			mailbox |= t->ev[l->exposed_at[b] - 1].replay == REPLAY_MAILBOX;
		}
	const char *when = mailbox ? "in its mailbox" : "after the key theft";
	int live = l->what & ~later;
	if (live) {
		n = sb_put(buf, cap, n, "%s learned", who);
		n = describe_secrets(buf, cap, n, l, live);
		n = sb_put(buf, cap, n, ". ");
	}
	if (later) {
		if (live)
			n = sb_put(buf, cap, n, "%s it also learned", mailbox ? "In its mailbox" : "After the key theft");
		else
			n = sb_put(buf, cap, n, "%s learned", who);
		n = describe_secrets(buf, cap, n, l, later);
		n = sb_put(buf, cap, n, "%s%s. ", live ? "" : " ", live ? "" : when);
	}
	return n;
}

void outcome_from_actors(struct outcome *o, const struct outcome_actors *a)
{
	memset(o, 0, sizeof *o);
	const struct smtp_server *sv = a->server;
	const struct smtp_client *cl = a->client;

	/* A message for the attacker's own mailbox is not the client's mail delivered. */
	size_t nmsg = smtp_server_message_count(sv);
	for (size_t i = 0; i < nmsg; i++) {
		const struct smtp_server_message *m = smtp_server_message(sv, i);
		int mine = 0;
		for (size_t k = 0; a->attacker_mailbox && k < m->nrcpt; k++)
			mine |= !strcasecmp(m->rcpt[k], a->attacker_mailbox);
		if (mine) {
			o->to_attacker++;
			continue;
		}
		o->delivered = 1;
		if (a->body && !same_body(a->body, a->body_len, m)) /* a real client's: nothing to compare */
			o->altered = 1;
	}
	/* A real server (live mode): delivered is what our client was told, a 250 after its
	 * message. */
	if (!sv && cl)
		o->delivered = smtp_client_delivered(cl);
	o->client_err = a->client_tls_err;
	o->server_err = a->server_tls_err;
	if (o->client_err)
		snprintf(o->client_error, sizeof o->client_error, "%s: %s", tls_error_name(o->client_err),
			 tls_error_explain(o->client_err));
	else
		copy(o->client_error, sizeof o->client_error, smtp_client_error(cl));
	if (o->server_err)
		snprintf(o->server_error, sizeof o->server_error, "%s: %s", tls_error_name(o->server_err),
			 tls_error_explain(o->server_err));
	o->injected = (int)(smtp_server_injected_count(sv) + smtp_client_injected_count(cl));
	o->injected_refused = (int)smtp_server_injected_refused(sv);
	if (!a->route)
		return;
	/* Hop 2: the server's acceptance was a submission; delivery is the MX's. */
	o->route = 1;
	o->submitted = o->delivered;
	o->delivered = 0;
	o->relayed = a->relay != NULL;
	const struct smtp_server_message *first = NULL;
	for (size_t i = 0; i < nmsg && !first; i++) {
		const struct smtp_server_message *m = smtp_server_message(sv, i);
		if (!a->attacker_mailbox || !m->nrcpt || strcasecmp(m->rcpt[0], a->attacker_mailbox))
			first = m;
	}
	if (first && first->received && o->nreceived < OUTCOME_MAX_RECEIVED) {
		unfold(o->received[o->nreceived], sizeof o->received[0], first->received);
		copy(o->received_with[o->nreceived++], sizeof o->received_with[0], first->with);
	}
	if (!a->relay)
		return;
	size_t nmx = smtp_server_message_count(a->mx);
	for (size_t i = 0; i < nmx; i++) {
		const struct smtp_server_message *m = smtp_server_message(a->mx, i);
		o->delivered = 1;
		if (!same_body(a->relay_body, a->relay_body_len, m))
			o->altered = 1;
		if (i == 0 && m->received && o->nreceived < OUTCOME_MAX_RECEIVED) {
			unfold(o->received[o->nreceived], sizeof o->received[0], m->received);
			copy(o->received_with[o->nreceived++], sizeof o->received_with[0], m->with);
		}
	}
	int err = a->relay_tls_err ? a->relay_tls_err : a->mx_tls_err;
	o->relay_err = err;
	if (err)
		snprintf(o->relay_error, sizeof o->relay_error, "%s: %s", tls_error_name(err), tls_error_explain(err));
	else
		copy(o->relay_error, sizeof o->relay_error, smtp_client_error(a->relay));
}

void outcome_from_trace(const struct trace *t, const struct ledger *lg, struct outcome *o)
{
	memset(o->tls, 0, sizeof o->tls);
	memset(o->tls_version, 0, sizeof o->tls_version);
	memset(o->tls_suite, 0, sizeof o->tls_suite);
	memset(o->tls_client_end, 0, sizeof o->tls_client_end);
	memset(o->tls_server_end, 0, sizeof o->tls_server_end);
	memset(o->tls_relayed, 0, sizeof o->tls_relayed);
	memset(o->alerts, 0, sizeof o->alerts);
	o->nalerts = 0;
	o->decrypted_later = 0;
	memset(o->summary, 0, sizeof o->summary);
	o->client_link = o->server_link = LINK_CLIENT_SERVER;
	o->relay_link = LINK_SERVER_MX;
	o->links = 0;
	for (size_t i = 0; i < t->n; i++) {
		if ((unsigned)t->ev[i].link < LINK_COUNT)
			o->links |= 1u << t->ev[i].link;
		if (t->ev[i].kind == TK_CONN_OPEN && t->ev[i].from == ACTOR_CLIENT)
			o->client_link = t->ev[i].link;
		if (t->ev[i].kind == TK_CONN_OPEN && t->ev[i].to == ACTOR_SERVER)
			o->server_link = t->ev[i].link;
		if (t->ev[i].kind == TK_CONN_OPEN && t->ev[i].from == ACTOR_SERVER)
			o->relay_link = t->ev[i].link;
	}

	/* TLS per link, from the sessions: a session is established once both its ends
	 * finished the handshake; a relayed one counts on both links it crosses. */
	for (size_t i = 0; i < t->nsessions; i++) {
		const struct trace_tls_session *s = &t->sessions[i];
		if (!s->client_up || !s->server_up)
			continue;
		for (int l = 0; l < LINK_COUNT; l++) {
			if (!(s->links >> l & 1))
				continue;
			const char *suite = decode_cipher_suite_name(s->suite);
			o->tls[l] = 1;
			copy(o->tls_version[l], sizeof o->tls_version[l], decode_tls_version_name(s->version));
			copy(o->tls_suite[l], sizeof o->tls_suite[l], suite ? suite : "unknown suite");
			o->tls_client_end[l] = s->client_end;
			o->tls_server_end[l] = s->server_end;
			o->tls_relayed[l] = trace_session_relayed(s);
		}
	}
	int opened = 0, replayed = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if (e->kind == TK_KEY_THEFT && e->subtype == THEFT_OPENED)
			opened = 1;
		if (e->replay)
			replayed = 1;
		/* Alerts that say something went wrong: every one but close_notify, which ends a
		 * session normally. One the trace cannot read (encrypted, not ours) is left out. */
		if (e->kind != TK_ALERT || e->subtype <= 0 || o->nalerts >= OUTCOME_MAX_ALERTS)
			continue;
		struct outcome_alert *a = &o->alerts[o->nalerts++];
		a->link = e->link;
		a->from = e->from;
		copy(a->name, sizeof a->name, decode_alert_description_name((unsigned)e->subtype));
		a->fatal = e->alert_level == 2;
	}
	o->decrypted_later = opened && replayed;

	/* The receiver's verdicts on the first message it checked. */
	o->mail_checked = o->mail_rejected = 0;
	o->spf = o->dkim = o->dmarc = AUTH_NONE;
	o->dmarc_policy = o->dmarc_disposition = AUTH_POLICY_ABSENT;
	o->auth_results[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if (e->kind != TK_MAIL_AUTH)
			continue;
		if (e->subtype == AUTH_SPF && !o->mail_checked++)
			o->spf = (enum auth_result)e->verdict;
		else if (e->subtype == AUTH_DKIM && o->mail_checked == 1)
			o->dkim = (enum auth_result)e->verdict;
		else if (e->subtype == AUTH_DMARC && o->mail_checked == 1) {
			o->dmarc = (enum auth_result)e->verdict;
			o->dmarc_policy = (enum auth_policy)e->policy;
			o->dmarc_disposition = (enum auth_policy)e->disposition;
		} else if (e->subtype == AUTH_REJECTED && o->mail_checked == 1) {
			o->mail_rejected = 1;
		} else if (e->subtype == AUTH_STORED && o->mail_checked == 1 && !o->auth_results[0]) {
			const char *h = fields_get(&e->fields, "authentication_results");
			copy(o->auth_results, sizeof o->auth_results, h ? h : "");
		}
	}
	o->mail_checked = o->mail_checked > 0;

	/* The relay's TLS policy decision. */
	o->policy_decided = o->deferred = o->bounced = 0;
	o->policy_result[0] = o->policy_mode[0] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if (e->kind == TK_POLICY && e->subtype == POLICY_REQUIRETLS)
			o->bounced = e->verdict == 1;
		if (e->kind != TK_POLICY || e->subtype != POLICY_DECISION)
			continue;
		o->policy_decided = 1;
		o->policy_kind = e->policy;
		o->policy_action = e->verdict;
		o->deferred = e->verdict == MTASTS_DEFER;
		const char *rt = fields_get(&e->fields, "result_type"), *mode = fields_get(&e->fields, "mode");
		copy(o->policy_result, sizeof o->policy_result, rt);
		copy(o->policy_mode, sizeof o->policy_mode, mode);
	}

	ledger_knowledge(lg, READER_OBSERVER, t->n, &o->observer);
	o->mitm_present = ledger_has_reader(lg, READER_ATTACKER);
	if (o->mitm_present)
		ledger_knowledge(lg, READER_ATTACKER, t->n, &o->attacker);
	else
		ledger_knowledge(lg, READER_COUNT, 0, &o->attacker); /* empty */
	for (int h = 0; h < 2; h++)
		ledger_knowledge(lg, ledger_has_reader(lg, READER_HOP1 + h) ? READER_HOP1 + h : READER_COUNT,
				 ledger_has_reader(lg, READER_HOP1 + h) ? t->n : 0, &o->hop_observer[h]);
	o->has_thief = ledger_has_reader(lg, READER_THIEF);
	if (o->has_thief)
		ledger_knowledge(lg, READER_THIEF, t->n, &o->thief);
	else
		ledger_knowledge(lg, READER_COUNT, 0, &o->thief);

	/* The outcome in plain words. */
	char *b = o->summary;
	size_t cap = sizeof o->summary, n = 0;
	enum trace_link cl_link = o->client_link;
	if (o->route && o->bounced) {
		n = sb_put(b, cap, n, "The server accepted the message, which came with REQUIRETLS, but found no verified TLS "
			   "to an MX offering REQUIRETLS: it returned the message to its sender (5.7.30) instead of sending it "
			   "any other way. Not delivered. ");
	} else if (o->route && o->deferred) {
		n = sb_put(b, cap, n, "The server accepted the message, but its %s%s%s%s for the recipient's domain "
			   "forbade sending it to this MX (%s): the message stays in the server's queue (deferred, "
			   "4xx), never sent in cleartext and not delivered. ",
			   o->policy_kind == RELAY_POLICY_TLSA ? "DANE records" : "MTA-STS policy",
			   o->policy_mode[0] ? " (mode " : "", o->policy_mode, o->policy_mode[0] ? ")" : "", o->policy_result);
	} else if (o->route && !o->delivered && o->submitted && o->relayed)
		n = sb_put(b, cap, n, "The server accepted the message but could not relay it to the recipient's MX: "
			   "it stays in the server's queue, not delivered. ");
	else
		n = sb_put(b, cap, n, "The message was %sdelivered%s%s. ", o->delivered ? "" : "not ",
			   o->route && o->delivered ? " to the recipient's MX" : "",
			   o->delivered && o->altered ? ", but altered on the way" : "");
	if (o->to_attacker)
		n = sb_put(b, cap, n, "The server stored %d message%s for the attacker's own mailbox instead. ",
			   o->to_attacker, o->to_attacker == 1 ? "" : "s");
	if (o->tls[cl_link]) {
		n = sb_put(b, cap, n, "The client's connection used %s (%s)", o->tls_version[cl_link], o->tls_suite[cl_link]);
		if (o->tls_relayed[cl_link])
			n = sb_put(b, cap, n, ", end to end with the server: the attacker only relayed the records");
		else if (o->tls_server_end[cl_link] == ACTOR_MITM)
			n = sb_put(b, cap, n, ", but its other end was the attacker, not the server");
		n = sb_put(b, cap, n, ". ");
	} else {
		n = sb_put(b, cap, n, "The client's connection never used TLS. ");
	}
	if (o->client_error[0])
		n = sb_put(b, cap, n, "The client stopped: %s. ", o->client_error);
	if (o->server_error[0])
		n = sb_put(b, cap, n, "The server stopped: %s. ", o->server_error);
	if (o->route && o->relayed) {
		enum trace_link rl = o->relay_link;
		if (o->tls[rl]) {
			n = sb_put(b, cap, n, "The server's connection to the MX used %s (%s)", o->tls_version[rl],
				   o->tls_suite[rl]);
			if (o->tls_relayed[rl])
				n = sb_put(b, cap, n, ", end to end with the MX: the attacker only relayed the records");
			else if (o->tls_server_end[rl] == ACTOR_MITM)
				n = sb_put(b, cap, n, ", but its other end was the attacker, not the MX");
			n = sb_put(b, cap, n, ". ");
		} else {
			n = sb_put(b, cap, n, "The server's connection to the MX never used TLS. ");
		}
		if (o->relay_error[0] && !o->deferred && !o->bounced)
			n = sb_put(b, cap, n, "The relaying server stopped: %s. ", o->relay_error);
		if (o->policy_decided && o->policy_action == MTASTS_DELIVER_REPORT)
			n = sb_put(b, cap, n, "The MTA-STS policy is in testing mode: the server delivered anyway and reports "
				   "the failure (%s) to the domain (TLS-RPT). ", o->policy_result);
	}
	if (o->route && o->submitted)
		n = sb_put(b, cap, n, "The server read the whole message to relay it%s: TLS protects each hop, not "
			   "the message from end to end. ", o->delivered ? ", and the MX read it again to deliver it" : "");
	if (o->route && o->nreceived) {
		n = sb_put(b, cap, n, "The Received: lines, hop by hop:");
		for (size_t i = 0; i < o->nreceived; i++)
			n = sb_put(b, cap, n, "%s with %s", i ? "," : "", o->received_with[i]);
		n = sb_put(b, cap, n, ". ");
	}
	if (o->route && o->relayed) {
		n = describe_learned(b, cap, n, "On hop 1 (client to server), a passive observer", &o->hop_observer[0], t);
		n = describe_learned(b, cap, n, "On hop 2 (server to MX), a passive observer", &o->hop_observer[1], t);
	} else
		n = describe_learned(b, cap, n, "A passive observer on the wire", &o->observer, t);
	if (o->mitm_present)
		n = describe_learned(b, cap, n, "The attacker", &o->attacker, t);
	if (o->injected) {
		/* Whose input buffer kept the injected lines: the actor that said so. */
		int by_server = 0, by_client = 0;
		for (size_t i = 0; i < t->n; i++)
			if (t->ev[i].kind == TK_ACTOR && t->ev[i].subtype == SMTP_NOTE_KEPT_BUFFERED) {
				by_server |= t->ev[i].from == ACTOR_SERVER;
				by_client |= t->ev[i].from == ACTOR_CLIENT;
			}
		if (by_server && !by_client)
			n = sb_put(b, cap, n, "The server executed %d injected line(s) inside TLS, as if the client had "
				   "sent them (%d accepted, %d refused). ", o->injected, o->injected - o->injected_refused,
				   o->injected_refused);
		else if (by_client && !by_server)
			n = sb_put(b, cap, n, "The client read %d injected line(s) inside TLS, as if the server had sent "
				   "them. ", o->injected);
		else
			n = sb_put(b, cap, n, "%d injected line(s) were acted on inside TLS. ", o->injected);
	}
	if (o->mail_checked) {
		n = sb_put(b, cap, n, "The receiver's checks on the %s message: SPF %s, DKIM %s, DMARC %s",
			   o->mail_rejected ? "incoming" : "delivered", auth_result_name(o->spf), auth_result_name(o->dkim),
			   auth_result_name(o->dmarc));
		if (o->dmarc == AUTH_FAIL)
			n = sb_put(b, cap, n, " (the From: domain's policy: %s)", auth_policy_name(o->dmarc_policy));
		if (o->mail_rejected)
			n = sb_put(b, cap, n, "; the MX refused the message as that policy asks, before storing it");
		n = sb_put(b, cap, n, ". ");
	}
	n = strlen(b);
	if (n && b[n - 1] == ' ')
		b[n - 1] = '\0';
}

static void report_line(char *report, size_t cap, const char *fmt, const char *want, const char *got)
{
	if (!report)
		return;
	size_t n = strlen(report);
	if (n < cap)
		snprintf(report + n, cap - n, fmt, want, got);
}

static const char *yn(int v)
{
	return v ? "yes" : "no";
}

static void bits_text(int bits, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s%s", bits ? "" : "nothing",
		 bits & OBSERVED_CREDENTIALS ? "credentials " : "", bits & OBSERVED_ENVELOPE ? "envelope " : "",
		 bits & OBSERVED_BODY ? "body" : "");
	size_t n = strlen(buf);
	if (n && buf[n - 1] == ' ')
		buf[n - 1] = '\0';
}

int run_check_expect(const struct scenario *sc, const struct outcome *o, char *report, size_t cap)
{
	const struct scenario_expect *e = &sc->expect;
	int ok = 1;
	if (report && cap)
		report[0] = '\0';
	enum trace_link cl_link = o->client_link;
	struct {
		int has, want, got;
		const char *name;
	} flags[] = {
		{ e->has_delivered, e->delivered, o->delivered, "delivered" },
		{ e->has_tls, e->tls, o->tls[cl_link], "tls" },
		{ e->has_server_tls, e->server_tls, o->tls[o->server_link], "server_tls" },
		{ e->has_altered, e->altered, o->altered, "altered" },
		{ e->has_injected, e->injected, o->injected > 0, "injected" },
		{ e->has_decrypted_later, e->decrypted_later, o->decrypted_later, "decrypted_later" },
		{ e->has_submitted, e->submitted, o->submitted, "submitted" },
		{ e->has_relay_tls, e->relay_tls, o->relayed && o->tls[o->relay_link], "relay_tls" },
		{ e->has_deferred, e->deferred, o->deferred, "deferred" },
		{ e->has_bounced, e->bounced, o->bounced, "bounced" },
	};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		if (flags[i].has && !flags[i].want != !flags[i].got) {
			char f[96];
			snprintf(f, sizeof f, "expected %s = %%s, got %%s\n", flags[i].name);
			report_line(report, cap, f, yn(flags[i].want), yn(flags[i].got));
			ok = 0;
		}
	}
	char w[64], g[64];
	if (e->has_observer && e->observer != o->observer.what) {
		bits_text(e->observer, w, sizeof w);
		bits_text(o->observer.what, g, sizeof g);
		report_line(report, cap, "expected observer_learns = %s, got %s\n", w, g);
		ok = 0;
	}
	if (e->has_attacker && e->attacker != o->attacker.what) {
		bits_text(e->attacker, w, sizeof w);
		bits_text(o->attacker.what, g, sizeof g);
		report_line(report, cap, "expected attacker_learns = %s, got %s\n", w, g);
		ok = 0;
	}
	for (int h = 0; h < 2; h++) {
		if (e->has_hop_observer[h] && e->hop_observer[h] != o->hop_observer[h].what) {
			bits_text(e->hop_observer[h], w, sizeof w);
			bits_text(o->hop_observer[h].what, g, sizeof g);
			report_line(report, cap, h ? "expected hop2_observer_learns = %s, got %s\n"
						   : "expected hop1_observer_learns = %s, got %s\n", w, g);
			ok = 0;
		}
	}
	if (e->received_with) {
		char got[64] = "";
		size_t gn = 0;
		for (size_t i = 0; i < o->nreceived; i++)
			gn = sb_put(got, sizeof got, gn, "%s%s", i ? ", " : "", o->received_with[i]);
		/* compare word by word: "ESMTPSA,ESMTP" and "ESMTPSA, ESMTP" are the same list */
		const char *p = e->received_with, *q = got;
		int same = 1;
		for (;;) {
			p += strspn(p, ", ");
			q += strspn(q, ", ");
			size_t pn = strcspn(p, ", "), qn = strcspn(q, ", ");
			if (pn != qn || strncmp(p, q, pn)) {
				same = 0;
				break;
			}
			if (!pn)
				break;
			p += pn;
			q += qn;
		}
		if (!same) {
			report_line(report, cap, "expected received_with = %s, got %s\n", e->received_with,
				    got[0] ? got : "no Received: line");
			ok = 0;
		}
	}
	if (e->policy_result && strcmp(e->policy_result, o->policy_result)) {
		report_line(report, cap, "expected policy_result = %s, got %s\n", e->policy_result,
			    o->policy_decided ? o->policy_result : "no policy decision");
		ok = 0;
	}
	if (e->client_error && !strstr(o->client_error, e->client_error)) {
		report_line(report, cap, "expected client_error containing '%s', got '%s'\n", e->client_error,
			    o->client_error[0] ? o->client_error : "none");
		ok = 0;
	}
	if (e->server_error && !strstr(o->server_error, e->server_error)) {
		report_line(report, cap, "expected server_error containing '%s', got '%s'\n", e->server_error,
			    o->server_error[0] ? o->server_error : "none");
		ok = 0;
	}
	const struct {
		int has;
		enum auth_result want, got;
		const char *name;
	} verdicts[] = {
		{ e->has_spf, e->spf, o->spf, "spf" },
		{ e->has_dkim, e->dkim, o->dkim, "dkim" },
		{ e->has_dmarc, e->dmarc, o->dmarc, "dmarc" },
	};
	for (size_t i = 0; i < sizeof verdicts / sizeof verdicts[0]; i++) {
		if (!verdicts[i].has || (o->mail_checked && verdicts[i].want == verdicts[i].got))
			continue;
		char f[96];
		snprintf(f, sizeof f, "expected %s = %%s, got %%s\n", verdicts[i].name);
		report_line(report, cap, f, auth_result_name(verdicts[i].want),
			    o->mail_checked ? auth_result_name(verdicts[i].got) : "no message checked");
		ok = 0;
	}
	if (e->alert) {
		int found = 0;
		for (size_t i = 0; i < o->nalerts; i++)
			if (!strcmp(o->alerts[i].name, e->alert))
				found = 1;
		if (!found) {
			report_line(report, cap, "expected alert %s, got %s\n", e->alert,
				    o->nalerts ? o->alerts[0].name : "none");
			ok = 0;
		}
	}
	return ok;
}
