/* export_markdown: a handout for a class. The scenario's title and lesson, one table row
 * per trace event (who sent what to whom, at which layer, and who could read it), then
 * the outcome in plain words. Every piece of text from the trace is escaped, so a line
 * like "MAIL FROM:<alice@example.test>" shows as written and a "|" cannot break the table. */
#include "sim/export/export.h"

#include <string.h>
#include <time.h>

/* Writes s with Markdown's special characters backslash-escaped and line ends folded
 * into spaces (a table cell is one line). */
static void md(FILE *f, const char *s)
{
	if (!s)
		return;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\r')
			continue;
		if (c == '\n') {
			fputc(' ', f);
			continue;
		}
		if (c < 0x20 || c == 0x7f) { /* never a raw control character */
			fprintf(f, "\\x%02x", c);
			continue;
		}
		if (strchr("\\`*_[]<>|#!~", c))
			fputc('\\', f);
		fputc(c, f);
	}
}

/* Inside a code span backslashes are literal: only a backtick needs care. */
static void code(FILE *f, const char *s)
{
	fputc('`', f);
	for (; s && *s; s++)
		fputc(*s == '`' ? '\'' : *s == '\n' ? ' ' : *s, f);
	fputc('`', f);
}

static const char *actor(enum trace_actor a)
{
	return trace_actor_name(a);
}

static const char *layer_words(enum trace_layer l)
{
	switch (l) {
	case LAYER_CONNECTION: return "TCP";
	case LAYER_TLS_RECORD: return "TLS record";
	case LAYER_TLS_HANDSHAKE: return "TLS handshake";
	case LAYER_TLS_CCS: return "TLS change cipher spec";
	case LAYER_TLS_ALERT: return "TLS alert";
	case LAYER_SMTP_COMMAND: return "SMTP command";
	case LAYER_SMTP_REPLY: return "SMTP reply";
	case LAYER_SMTP_DATA: return "SMTP message";
	case LAYER_NOTE: return "decision";
	case LAYER_COUNT: break;
	}
	return "?";
}

static void who_can_read(FILE *f, const struct trace_event *e)
{
	if (e->layer == LAYER_NOTE) {
		fputs("(not on the wire)", f);
		return;
	}
	if (e->readers & READ_WIRE) {
		fputs("anyone on the path", f);
		return;
	}
	const char *names[4];
	size_t n = 0;
	if (e->readers & READ_CLIENT)
		names[n++] = "client";
	if (e->readers & READ_MITM)
		names[n++] = "attacker";
	if (e->readers & READ_SERVER)
		names[n++] = "server";
	if (e->readers & READ_MX)
		names[n++] = "MX";
	if (!n) {
		fputs("nobody", f);
		return;
	}
	fputs("only the ", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", names[i]);
}

static void learned_line(FILE *f, const char *who, const struct knowledge *l)
{
	char meta[2048];
	ledger_describe_metadata(l, meta, sizeof meta);
	fprintf(f, "- %s learned: ", who);
	if (!l->what) {
		fputs("no credentials, envelope or message", f);
		if (meta[0]) {
			fputs("; only metadata: ", f);
			md(f, meta);
		}
		fputs("\n", f);
		return;
	}
	const char *sep = "";
	if (l->what & OBSERVED_CREDENTIALS) {
		fputs("the credentials (user ", f);
		code(f, l->user);
		fputs(", password ", f);
		code(f, l->password);
		fputs(")", f);
		sep = ", ";
	}
	if (l->what & OBSERVED_ENVELOPE) {
		fprintf(f, "%sthe envelope (from ", sep);
		code(f, l->mail_from);
		fputs(" to ", f);
		for (size_t i = 0; i < l->nrcpt; i++) {
			if (i)
				fputs(", ", f);
			code(f, l->rcpt[i]);
		}
		fputs(")", f);
		sep = ", ";
	}
	if (l->what & OBSERVED_BODY) {
		fprintf(f, "%sthe message", sep);
		if (l->subject[0]) {
			fputs(" (Subject: ", f);
			md(f, l->subject);
			fputs(")", f);
		}
	}
	if (meta[0]) {
		fputs("; and the metadata: ", f);
		md(f, meta);
	}
	fputs("\n", f);
}

int export_markdown(FILE *f, const struct scenario *sc, const struct run_result *r)
{
	const struct outcome *o = &r->outcome;
	int mitm = sc->mitm.attack != NULL;

	fputs("# ", f);
	md(f, sc->title ? sc->title : sc->name);
	fputs("\n\n", f);
	char date[32] = "";
	time_t tt = (time_t)sc->date;
	struct tm tm;
	if (gmtime_r(&tt, &tm))
		strftime(date, sizeof date, "%Y-%m-%d", &tm);
	fputs("Scenario ", f);
	code(f, sc->name);
	fprintf(f, ", seed %llu, simulated date %s, server port %u", (unsigned long long)r->seed, date,
		sc->server.port);
	if (mitm) {
		fputs(", attacker: ", f);
		md(f, scenario_mitm_name(sc->mitm.attack));
	}
	fputs(".\n\n## Lesson\n\n", f);
	md(f, sc->lesson);
	fputs("\n\n## The exchange\n\n", f);
	fputs("Rows marked ↳ were carried inside the TLS record above them; those marked *encrypted* "
	      "travelled inside a protected record, so only the TLS endpoints could read them. "
	      "A decision is an actor's choice: it never crosses the wire.\n\n", f);
	fputs("| # | from → to | layer | what | who can read it |\n", f);
	fputs("|---:|---|---|---|---|\n", f);
	const struct trace *t = &r->trace;
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		fprintf(f, "| %u | ", e->seq);
		if (e->layer == LAYER_NOTE)
			fprintf(f, "%s (decides)", actor(e->from));
		else
			fprintf(f, "%s → %s", actor(e->from), actor(e->to));
		fprintf(f, " | %s | ", layer_words(e->layer));
		if (e->parent >= 0)
			fputs("↳ ", f);
		if (e->attack)
			fputs("**attack:** ", f);
		/* a record's own summary already says "(encrypted)"; mark the content inside */
		if (e->encrypted && e->parent >= 0)
			fputs("*encrypted:* ", f);
		md(f, e->summary);
		fputs(" | ", f);
		who_can_read(f, e);
		fputs(" |\n", f);
	}

	fputs("\n## Outcome\n\n", f);
	md(f, o->summary);
	fputs("\n\n", f);
	fprintf(f, "- Delivered: %s%s\n", o->delivered ? "yes" : "no",
		o->altered ? " (but altered on the way)" : "");
	static const char *const link_words[LINK_COUNT] = {
		"client to server", "client to attacker", "attacker to server",
		"server to MX (hop 2)", "server to attacker (hop 2)", "attacker to MX (hop 2)",
	};
	if (o->route) {
		fprintf(f, "- Submitted to the server: %s%s\n", o->submitted ? "yes" : "no",
			o->submitted && !o->delivered && o->relayed ? " (deferred in its queue: not relayed)" : "");
		for (size_t i = 0; i < o->nreceived; i++) {
			fprintf(f, "- Received: line of hop %zu (with %s): ", i + 1, o->received_with[i]);
			code(f, o->received[i]);
			fputs("\n", f);
		}
		if (o->relay_error[0]) {
			fputs("- The relaying server stopped: ", f);
			md(f, o->relay_error);
			fputs("\n", f);
		}
	}
	int any = 0;
	for (int l = 0; l < LINK_COUNT; l++) {
		if (!o->tls[l])
			continue;
		fprintf(f, "- TLS, %s: ", link_words[l]);
		md(f, o->tls_version[l]);
		fputs(", ", f);
		md(f, o->tls_suite[l]);
		fputs("\n", f);
		any = 1;
	}
	if (!any)
		fputs("- TLS: none, everything crossed the wire in cleartext or the handshake failed\n", f);
	const char *errs[3] = { o->client_error, o->server_error, mitm ? o->mitm_error : "" };
	const char *who[3] = { "client", "server", "attacker" };
	for (int k = 0; k < 3; k++) {
		if (!errs[k][0])
			continue;
		fprintf(f, "- The %s stopped: ", who[k]);
		md(f, errs[k]);
		fputs("\n", f);
	}
	for (size_t i = 0; i < o->nalerts && i < OUTCOME_MAX_ALERTS; i++) {
		fprintf(f, "- Alert from the %s: %s ", actor(o->alerts[i].from), o->alerts[i].fatal ? "fatal" : "warning");
		md(f, o->alerts[i].name);
		fputs("\n", f);
	}
	learned_line(f, "A passive observer on the wire", &o->observer);
	if (o->route && o->relayed) {
		learned_line(f, "An observer of hop 1 (client to server)", &o->hop_observer[0]);
		learned_line(f, "An observer of hop 2 (server to MX)", &o->hop_observer[1]);
	}
	if (mitm)
		learned_line(f, "The attacker", &o->attacker);
	if (o->has_thief)
		learned_line(f, "Whoever recorded the session and stole the server's key later", &o->thief);
	if (o->injected)
		fprintf(f, "- Injected lines acted on inside TLS: %d\n", o->injected);
	if (o->decrypted_later)
		fputs("- The recorded session was decrypted after the server's key was stolen\n", f);
	if (o->mail_checked) {
		fprintf(f, "- The receiver's checks: SPF %s, DKIM %s, DMARC %s", auth_result_name(o->spf),
			auth_result_name(o->dkim), auth_result_name(o->dmarc));
		if (o->dmarc_policy != AUTH_POLICY_ABSENT)
			fprintf(f, " (the From: domain's policy: %s)", auth_policy_name(o->dmarc_policy));
		if (o->mail_rejected) {
			fputs("; the receiver refused the message, as that policy asks\n", f);
		} else {
			fputs("\n- Stored with: `", f);
			fputs(o->auth_results, f); /* in a code span: no escaping, and it holds no backquote */
			fputs("`\n", f);
		}
	}
	return ferror(f) ? -1 : 0;
}
