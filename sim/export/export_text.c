/* export_text: see export_text.h. */
#include "sim/export/export_text.h"

#include <string.h>

/* Text that came from a file (a scenario, a saved trace) or from the wire: a control
 * character is written escaped (\xHH), never raw to a terminal. */
static void put_text(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}


static char actor_letter(enum trace_actor a)
{
	return a == ACTOR_CLIENT ? 'C' : a == ACTOR_MITM ? 'A' : a == ACTOR_MX ? 'M' : 'S';
}

const char *export_arrow(const struct trace_event *e, char *buf)
{
	if (e->layer == LAYER_NOTE) {
		snprintf(buf, 8, "  %c   ", actor_letter(e->from));
		return buf;
	}
	enum trace_actor a, b;
	trace_link_ends(e->link, &a, &b);
	int forward = e->from == a;
	snprintf(buf, 8, "%c %s %c", actor_letter(a), forward ? "->" : "<-", actor_letter(b));
	return buf;
}

static void print_bytes_line(FILE *f, const char *label, const uint8_t *p, size_t n, size_t total)
{
	fprintf(f, "        %s (%zu bytes): ", label, total);
	size_t show = n < 48 ? n : 48;
	for (size_t i = 0; i < show; i++)
		fprintf(f, "%02x", p[i]);
	fprintf(f, "%s\n", show < total ? "..." : "");
}

void export_outcome_text(FILE *f, const struct outcome *o, int mitm_present)
{
	fprintf(f, "Outcome\n");
	fprintf(f, "  delivered:        %s%s\n", o->delivered ? "yes" : "no", o->altered ? " (altered)" : "");
	if (o->route)
		fprintf(f, "  submitted:        %s\n", !o->submitted ? "no" : o->bounced ? "yes (the server accepted it; returned to the sender)"
						  : o->deferred ? "yes (the server accepted it; deferred in its queue)"
						  : "yes (the server accepted it)");
	int any = 0;
	for (int l = 0; l < LINK_COUNT; l++) {
		if (!o->tls[l])
			continue;
		any = 1;
		fprintf(f, "  TLS %-15s %s, %s", trace_link_name((enum trace_link)l), o->tls_version[l], o->tls_suite[l]);
		if (o->tls_relayed[l])
			fprintf(f, " (end to end: %s to %s, relayed)\n", trace_actor_name(o->tls_client_end[l]),
				trace_actor_name(o->tls_server_end[l]));
		else
			fprintf(f, " (%s to %s)\n", trace_actor_name(o->tls_client_end[l]),
				trace_actor_name(o->tls_server_end[l]));
	}
	if (!any)
		fprintf(f, "  TLS:              none\n");
	if (o->client_error[0])
		fprintf(f, "  client error:     %s\n", o->client_error);
	if (o->server_error[0])
		fprintf(f, "  server error:     %s\n", o->server_error);
	if (o->mitm_error[0])
		fprintf(f, "  attacker error:   %s\n", o->mitm_error);
	if (o->relay_error[0])
		fprintf(f, "  relay error:      %s\n", o->relay_error);
	for (size_t i = 0; i < o->nreceived; i++)
		fprintf(f, "  received, hop %zu:  %s\n", i + 1, o->received[i]);
	for (size_t i = 0; i < o->nalerts; i++)
		fprintf(f, "  alert:            %s %s from the %s\n", o->alerts[i].fatal ? "fatal" : "warning",
			o->alerts[i].name, trace_actor_name(o->alerts[i].from));
	const struct knowledge *ls[5] = { &o->observer, &o->hop_observer[0], &o->hop_observer[1], &o->attacker,
					  &o->thief };
	const char *who[5] = { "observer learned", "hop 1 observer learned", "hop 2 observer learned",
			       "attacker learned", "key thief learned" };
	int show[5] = { 1, o->route && o->relayed, o->route && o->relayed, mitm_present, o->has_thief };
	for (int k = 0; k < 5; k++) {
		if (!show[k])
			continue;
		char secrets[4096], meta[2048];
		ledger_describe_secrets(ls[k], secrets, sizeof secrets);
		ledger_describe_metadata(ls[k], meta, sizeof meta);
		fprintf(f, "  %s: %s\n", who[k], secrets);
		if (meta[0])
			fprintf(f, "    metadata: %s\n", meta);
	}
	if (o->injected)
		fprintf(f, "  injected:         %d line(s) acted on inside TLS\n", o->injected);
	if (o->decrypted_later)
		fprintf(f, "  recorded session: decrypted after the key theft\n");
	if (o->mail_checked) {
		fprintf(f, "  mail checks:      SPF %s, DKIM %s, DMARC %s", auth_result_name(o->spf),
			auth_result_name(o->dkim), auth_result_name(o->dmarc));
		if (o->dmarc_policy != AUTH_POLICY_ABSENT)
			fprintf(f, " (policy %s, asks to %s)", auth_policy_name(o->dmarc_policy),
				o->dmarc_disposition == AUTH_POLICY_NONE ? "deliver" : auth_policy_name(o->dmarc_disposition));
		fprintf(f, "\n  stored with:      %s\n", o->auth_results);
	}
	fputs("  in words: ", f);
	put_text(f, o->summary);
	fputc('\n', f);
}

void export_text(FILE *f, const struct scenario *sc, const struct run_result *r, int verbose)
{
	put_text(f, sc->title);
	fputs(" (", f);
	put_text(f, sc->name);
	fprintf(f, ", seed %llu)\n", (unsigned long long)r->seed);
	const struct trace *t = &r->trace;
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		char arrow[8];
		const char *indent = e->parent >= 0 ? "  " : "";
		fprintf(f, "%4u  %s  %s%-14s %s", e->seq, export_arrow(e, arrow), indent, trace_layer_name(e->layer),
			e->attack ? "[attack] " : "");
		put_text(f, e->summary);
		fputc('\n', f);
		if (!verbose)
			continue;
		for (size_t k = 0; k < e->fields.n; k++) {
			const struct field *fl = &e->fields.v[k];
			fprintf(f, "        %*s", 2 * fl->depth, "");
			put_text(f, fl->name);
			fputs(": ", f);
			put_text(f, fl->value);
			fputc('\n', f);
		}
		if (e->wire_len && e->layer != LAYER_CONNECTION)
			print_bytes_line(f, "wire", e->wire, e->wire_stored, e->wire_len);
		if (e->plain_len) {
			/* a note's text is no plaintext of the wire: a signature, a stored message */
			fprintf(f, "        %s: ", e->layer == LAYER_NOTE ? "text" : "plaintext seen by the endpoints");
			for (size_t k = 0; k < e->plain_stored && k < 120; k++) {
				uint8_t c = e->plain[k];
				if (c == '\r')
					fputs("\\r", f);
				else if (c == '\n')
					fputs("\\n", f);
				else
					fputc(c >= 32 && c < 127 ? c : '.', f);
			}
			fprintf(f, "%s\n", e->plain_len > 120 ? "..." : "");
		}
		if (e->narration) {
			fputs("        > ", f);
			put_text(f, e->narration);
			fputc('\n', f);
		}
	}
	fprintf(f, "\n");
	export_outcome_text(f, &r->outcome, sc->mitm.attack != NULL);
}
