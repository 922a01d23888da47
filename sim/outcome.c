/* outcome: what a run came to, derived from the trace and the actors' final states,
 * and the check of a scenario's [expect] against it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "run_internal.h"

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* What a reader with the given READ_* bit could see in the trace. */
static void learn(const struct trace *t, int reader, struct learned *l)
{
	memset(l, 0, sizeof *l);
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		/* What the attacker wrote itself is not something anyone learned. */
		if (!(e->readers & reader) || e->attack)
			continue;
		const char *v;
		if ((v = fields_get(&e->fields, "auth_user"))) {
			l->what |= OBSERVED_CREDENTIALS;
			copy(l->user, sizeof l->user, v);
		}
		if ((v = fields_get(&e->fields, "auth_password"))) {
			l->what |= OBSERVED_CREDENTIALS;
			copy(l->password, sizeof l->password, v);
		}
		if (e->layer == LAYER_SMTP_COMMAND && (v = fields_get(&e->fields, "mail_from"))) {
			l->what |= OBSERVED_ENVELOPE;
			copy(l->mail_from, sizeof l->mail_from, v);
		}
		if (e->layer == LAYER_SMTP_COMMAND && (v = fields_get(&e->fields, "rcpt_to"))) {
			l->what |= OBSERVED_ENVELOPE;
			if (!l->rcpt[0])
				copy(l->rcpt, sizeof l->rcpt, v);
		}
		if (e->layer == LAYER_SMTP_DATA) {
			l->what |= OBSERVED_BODY;
			if ((v = fields_get(&e->fields, "subject")) && !l->subject[0])
				copy(l->subject, sizeof l->subject, v);
		}
	}
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

static void describe_learned(char *buf, size_t cap, const char *who, const struct learned *l)
{
	size_t n = strlen(buf);
	if (!l->what) {
		snprintf(buf + n, cap - n, "%s learned nothing but the endpoints (addresses, ports, timing and sizes). ", who);
		return;
	}
	n += (size_t)snprintf(buf + n, cap - n, "%s learned", who);
	if (l->what & OBSERVED_CREDENTIALS && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, " the credentials (user '%s', password '%s')", l->user, l->password);
	if (l->what & OBSERVED_ENVELOPE && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, "%s the envelope (from <%s> to <%s>)",
				      l->what & OBSERVED_CREDENTIALS ? "," : "", l->mail_from, l->rcpt);
	if (l->what & OBSERVED_BODY && n < cap)
		n += (size_t)snprintf(buf + n, cap - n, "%s the message body%s%s%s",
				      l->what & (OBSERVED_CREDENTIALS | OBSERVED_ENVELOPE) ? " and" : "",
				      l->subject[0] ? " (Subject: " : "", l->subject, l->subject[0] ? ")" : "");
	if (n < cap)
		snprintf(buf + n, cap - n, ". ");
}

void outcome_derive(struct run_ctx *r, struct outcome *o)
{
	memset(o, 0, sizeof *o);
	const struct trace *t = r->trace;
	struct smtp_server *sv = r->server.smtp;
	struct smtp_client *cl = r->client.smtp;

	size_t nmsg = smtp_server_message_count(sv);
	o->delivered = nmsg > 0;
	for (size_t i = 0; i < nmsg; i++)
		if (!same_body(r->body, r->body_len, smtp_server_message(sv, i)))
			o->altered = 1;

	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if (e->layer == LAYER_NOTE && !strncmp(e->summary, "TLS established: ", 17)) {
			o->tls[e->link] = 1;
			const char *s = e->summary + 17;
			const char *comma = strchr(s, ',');
			if (comma) {
				snprintf(o->tls_version[e->link], sizeof o->tls_version[0], "%.*s", (int)(comma - s), s);
				copy(o->tls_suite[e->link], sizeof o->tls_suite[0], comma + 2);
			}
		}
		if (e->layer == LAYER_TLS_ALERT && o->nalerts < OUTCOME_MAX_ALERTS) {
			const char *d = fields_get(&e->fields, "description");
			if (!d || !strncmp(d, "close_notify", 12))
				continue;
			struct outcome_alert *a = &o->alerts[o->nalerts++];
			a->link = e->link;
			a->from = e->from;
			copy(a->name, sizeof a->name, d);
			char *sp = strchr(a->name, ' ');
			if (sp)
				*sp = '\0';
			const char *lv = fields_get(&e->fields, "level");
			a->fatal = lv && strstr(lv, "fatal");
		}
	}

	o->client_err = r->client.conn.tls_err;
	o->server_err = r->server.conn.tls_err;
	if (o->client_err)
		snprintf(o->client_error, sizeof o->client_error, "%s: %s", tls_error_name(o->client_err),
			 tls_error_explain(o->client_err));
	else
		copy(o->client_error, sizeof o->client_error, smtp_client_error(cl));
	if (o->server_err)
		snprintf(o->server_error, sizeof o->server_error, "%s: %s", tls_error_name(o->server_err),
			 tls_error_explain(o->server_err));

	learn(t, READ_WIRE, &o->observer);
	if (r->mitm_present)
		learn(t, READ_MITM, &o->attacker);
	o->injected = (int)(smtp_server_injected_count(sv) + smtp_client_injected_count(cl));
	if (r->mitm)
		mitm_outcome(r->mitm, o);

	/* The outcome in plain words. */
	char *b = o->summary;
	size_t cap = sizeof o->summary;
	enum trace_link cl_link = r->mitm_present ? LINK_CLIENT_MITM : LINK_CLIENT_SERVER;
	if (o->delivered)
		snprintf(b, cap, "The message was delivered%s. ", o->altered ? ", but altered on the way" : "");
	else
		snprintf(b, cap, "The message was not delivered. ");
	size_t n = strlen(b);
	if (o->tls[cl_link])
		n += (size_t)snprintf(b + n, cap - n, "The client's connection used %s (%s). ",
				      o->tls_version[cl_link], o->tls_suite[cl_link]);
	else
		n += (size_t)snprintf(b + n, cap - n, "The client's connection never used TLS. ");
	if (o->client_error[0] && n < cap)
		n += (size_t)snprintf(b + n, cap - n, "The client stopped: %s. ", o->client_error);
	if (o->server_error[0] && n < cap)
		snprintf(b + n, cap - n, "The server stopped: %s. ", o->server_error);
	describe_learned(b, cap, "A passive observer on the wire", &o->observer);
	if (r->mitm_present)
		describe_learned(b, cap, "The attacker", &o->attacker);
	n = strlen(b);
	if (o->injected && n < cap)
		snprintf(b + n, cap - n, "%d injected line(s) took effect inside TLS. ", o->injected);
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
	enum trace_link cl_link = sc->mitm.behaviour != MITM_NONE ? LINK_CLIENT_MITM : LINK_CLIENT_SERVER;
	struct {
		int has, want, got;
		const char *name;
	} flags[] = {
		{ e->has_delivered, e->delivered, o->delivered, "delivered" },
		{ e->has_tls, e->tls, o->tls[cl_link], "tls" },
		{ e->has_altered, e->altered, o->altered, "altered" },
		{ e->has_injected, e->injected, o->injected > 0, "injected" },
		{ e->has_decrypted_later, e->decrypted_later, o->decrypted_later, "decrypted_later" },
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
