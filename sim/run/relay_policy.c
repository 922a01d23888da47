/* relay_policy: see relay_policy.h. The lookups read the scenario's zone; nothing here
 * touches a network or a clock. */
#include "sim/run/relay_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim/base/sb.h"
#include "sim/run/run_internal.h"

const char *relay_policy_kind_name(enum relay_policy_kind k)
{
	switch (k) {
	case RELAY_POLICY_NONE: return "no-policy-found";
	case RELAY_POLICY_STS: return "sts";
	case RELAY_POLICY_TLSA: return "tlsa";
	}
	return "?";
}

const char *relay_policy_step_name(enum relay_policy_step s)
{
	switch (s) {
	case POLICY_STS_RECORD: return "mta-sts-record";
	case POLICY_STS_FETCH: return "mta-sts-policy";
	case POLICY_TLSA: return "tlsa-records";
	case POLICY_DECISION: return "decision";
	case POLICY_TLS_OPTIONAL: return "tls-required-no";
	case POLICY_REQUIRETLS: return "requiretls";
	}
	return "?";
}

int relay_policy_kind_from_name(const char *name)
{
	for (int k = RELAY_POLICY_NONE; k <= RELAY_POLICY_TLSA; k++)
		if (name && !strcmp(name, relay_policy_kind_name((enum relay_policy_kind)k)))
			return k;
	return -1;
}

int relay_policy_step_from_name(const char *name)
{
	for (int s = POLICY_STS_RECORD; s <= POLICY_REQUIRETLS; s++)
		if (name && !strcmp(name, relay_policy_step_name((enum relay_policy_step)s)))
			return s;
	return -1;
}

/* A TK_POLICY note by the sending server on the relay's link; f's fields move into it.
 * A lookup step concerns its own kind of policy; the decision, the one in force. */
static void policy_event(struct run_ctx *r, enum relay_policy_step step, int action, struct fields *f,
			 const char *summary, const char *narration)
{
	struct trace_event e;
	memset(&e, 0, sizeof e);
	e.kind = TK_POLICY;
	e.layer = LAYER_NOTE;
	e.parent = -1;
	e.session = -1;
	e.time_us = r->now;
	e.link = r->relay_link;
	e.from = e.to = ACTOR_SERVER;
	e.subtype = (int)step;
	e.policy = (int)(step == POLICY_TLSA ? RELAY_POLICY_TLSA
			 : step == POLICY_DECISION || step == POLICY_REQUIRETLS ? r->policy.kind
			 : step == POLICY_TLS_OPTIONAL ? RELAY_POLICY_NONE : RELAY_POLICY_STS);
	e.verdict = action;
	e.summary = (char *)summary;
	e.narration = (char *)narration;
	e.fields = *f;
	fields_init(f);
	if (trace_append(r->trace, &e) < 0) {
		fields_free(&e.fields);
		run_fail(r, RUN_ENOMEM, "tracing the relay's %s", relay_policy_step_name(step));
	}
}

/* The addresses a TLS report names: the sending server's, and the one it reached (the
 * attacker's when it sits on hop 2). */
static void add_ips(const struct run_ctx *r, struct fields *f)
{
	char ip[16];
	fields_add(f, 0, "sending_mta_ip", "%s", trace_actor_ip_text(ACTOR_SERVER, ip));
	fields_add(f, 0, "receiving_ip", "%s",
		   trace_actor_ip_text(r->mitm_present && r->mitm_hop == 2 ? ACTOR_MITM : ACTOR_MX, ip));
}

/* The policy file's lines as fields (policy_string, as TLS-RPT lists them). */
static void policy_lines(struct fields *f, const char *text)
{
	for (const char *p = text; p && *p;) {
		size_t n = strcspn(p, "\r\n");
		if (n)
			fields_add(f, 0, "policy_string", "%.*s", (int)n, p);
		p += n;
		p += strspn(p, "\r\n");
	}
}

static void tlsa_lines(struct fields *f, const struct relay_policy *p)
{
	for (size_t i = 0; i < p->ntlsa; i++) {
		char line[300];
		dane_tlsa_format(&p->tlsa[i], line, sizeof line);
		fields_add(f, 0, "policy_string", "%s", line);
	}
}

/* MTA-STS: the record, then the policy (from the cache, or fetched on first contact). */
static void lookup_sts(struct run_ctx *r)
{
	const struct scenario *sc = r->sc;
	struct relay_policy *p = &r->policy;
	char name[300], summary[300], narration[900];
	sb_put(name, sizeof name, 0, "_mta-sts.%s", p->domain);
	const char *txts[8];
	size_t lens[8], n = 0;
	const struct dns_record *rec;
	for (size_t i = 0; n < 8 && (rec = dns_lookup(&sc->dns, name, DNS_TXT, i)); i++) {
		txts[n] = rec->text;
		lens[n++] = strlen(rec->text);
	}
	if (!n)
		return; /* no MTA-STS: no event, the decision says no-policy-found */
	struct mtasts_record mr;
	char err[200];
	struct fields f;
	fields_init(&f);
	fields_add(&f, 0, "name", "%s", name);
	for (size_t i = 0; i < n; i++)
		fields_add(&f, 0, "txt", "%s", txts[i]);
	if (mtasts_record_select(txts, lens, n, &mr, err, sizeof err)) {
		fields_add(&f, 0, "problem", "%s", err);
		sb_put(summary, sizeof summary, 0, "MTA-STS: the record at %s is not valid: the domain has no policy", name);
		policy_event(r, POLICY_STS_RECORD, -1, &f, summary,
			     "A sending server that finds no valid MTA-STS record acts as if the domain had none (RFC 8461 "
			     "section 3.1): TLS stays opportunistic.");
		return;
	}
	fields_add(&f, 0, "id", "%s", mr.id);
	sb_put(summary, sizeof summary, 0, "MTA-STS: %s publishes a policy (id %s)", p->domain, mr.id);
	sb_put(narration, sizeof narration, 0,
		 "Before relaying, the sending server looks up %s: the record says that %s has an MTA-STS policy "
		 "(RFC 8461), and its id tells whether a cached copy is still current. The record alone proves "
		 "nothing: the policy itself comes over HTTPS from mta-sts.%s, whose certificate is checked.",
		 name, p->domain, p->domain);
	policy_event(r, POLICY_STS_RECORD, -1, &f, summary, narration);

	fields_init(&f);
	fields_add(&f, 0, "policy_domain", "%s", p->domain);
	fields_add(&f, 0, "url", "https://mta-sts.%s/.well-known/mta-sts.txt", p->domain);
	const char *text = sc->mx.mta_sts_policy;
	int first_contact = !sc->relay.mta_sts_cached;
	/* First contact: the policy must be fetched now, over a path the attacker on hop 2
	 * sits on; it blocks the fetch, and without a cached policy there is none. */
	if (first_contact && r->mitm_present && r->mitm_hop == 2) {
		fields_add(&f, 0, "cache", "empty (first contact)");
		fields_add(&f, 0, "fetch", "failed: the connection to mta-sts.%s was blocked", p->domain);
		fields_add(&f, 0, "result_type", "sts-policy-fetch-error");
		sb_put(summary, sizeof summary, 0, "MTA-STS: first contact, and the policy fetch fails: no policy");
		snprintf(narration, sizeof narration,
			 "The sending server has never delivered to %s, so it has no cached policy, and it must fetch one "
			 "now. The attacker on the path blocks the HTTPS fetch. Without a policy, the server falls back "
			 "to opportunistic TLS: this is the first-contact gap RFC 8461 section 10.2 admits (trust on "
			 "first use). A sender that has fetched the policy once keeps it for max_age seconds. (The fetch "
			 "is simulated: no HTTPS connection is run here.)", p->domain);
		policy_event(r, POLICY_STS_FETCH, -1, &f, summary, narration);
		return;
	}
	if (!text) {
		fields_add(&f, 0, "fetch", "failed: no policy file is served");
		fields_add(&f, 0, "result_type", "sts-policy-fetch-error");
		sb_put(summary, sizeof summary, 0, "MTA-STS: the policy file cannot be fetched: no policy");
		policy_event(r, POLICY_STS_FETCH, -1, &f, summary,
			     "The record promises a policy, but none is served at the well-known URL: the sending server "
			     "acts as if there were none. (The fetch is simulated.)");
		return;
	}
	fields_add(&f, 0, "cache", first_contact ? "empty (first contact): fetched now" : "a copy from an earlier delivery");
	policy_lines(&f, text);
	if (mtasts_policy_parse(text, strlen(text), &p->sts, err, sizeof err)) {
		fields_add(&f, 0, "problem", "%s", err);
		fields_add(&f, 0, "result_type", "sts-policy-invalid");
		sb_put(summary, sizeof summary, 0, "MTA-STS: the policy file is not valid (%s): no policy", err);
		policy_event(r, POLICY_STS_FETCH, -1, &f, summary,
			     "A policy that does not parse is no policy (RFC 8461 section 3.2): TLS stays opportunistic.");
		return;
	}
	fields_add(&f, 0, "mode", "%s", mtasts_mode_name(p->sts.mode));
	fields_add(&f, 0, "mx_host", "%s", p->mx_host);
	int match = mtasts_policy_match(&p->sts, p->mx_host);
	fields_add(&f, 0, "mx_listed", "%s", match >= 0 ? "yes" : "no");
	sb_put(summary, sizeof summary, 0, "MTA-STS policy for %s: mode %s, %s", p->domain, mtasts_mode_name(p->sts.mode),
		 first_contact ? "fetched now" : "from the cache");
	size_t k = sb_put(narration, sizeof narration, 0,
			  "%s The policy, in mode %s, lists the MX names %s may use; %s is %slisted. ",
			  first_contact ? "The sending server fetches the policy over HTTPS, checking the certificate of "
					  "mta-sts." : "The sending server still holds the policy it fetched on an earlier "
						       "delivery, so nothing on today's path can hide it.",
			  mtasts_mode_name(p->sts.mode), p->domain, p->mx_host, match >= 0 ? "" : "not ");
	if (first_contact)
		k = sb_put(narration, sizeof narration, k, "(The fetch is simulated: no HTTPS connection is run here.) ");
	if (p->sts.mode == MTASTS_MODE_ENFORCE)
		sb_put(narration, sizeof narration, k,
		       "Under enforce, the server must deliver only over TLS with a certificate valid for the MX name, "
		       "or not at all (RFC 8461 section 5).");
	else if (p->sts.mode == MTASTS_MODE_TESTING)
		sb_put(narration, sizeof narration, k,
		       "Under testing, the server delivers even when the checks fail, and reports the failures (TLS-RPT, "
		       "RFC 8460): a way to find problems before enforcing.");
	else
		sb_put(narration, sizeof narration, k, "Mode none withdraws the policy: TLS stays opportunistic.");
	policy_event(r, POLICY_STS_FETCH, -1, &f, summary, narration);
	if (p->sts.mode == MTASTS_MODE_NONE)
		return;
	p->kind = RELAY_POLICY_STS;
	p->checks_cert = 1;
	p->requires_tls = p->sts.mode == MTASTS_MODE_ENFORCE;
}

/* DANE: the TLSA records of the MX host; only an authenticated RRset counts. */
static void lookup_tlsa(struct run_ctx *r)
{
	const struct scenario *sc = r->sc;
	struct relay_policy *p = &r->policy;
	char name[300], summary[300], narration[900];
	sb_put(name, sizeof name, 0, "_25._tcp.%s", p->mx_host);
	const struct dns_record *rec;
	int all_auth = 1;
	size_t n = 0;
	for (size_t i = 0; (rec = dns_lookup(&sc->dns, name, DNS_TLSA, i)); i++) {
		if (n < RELAY_POLICY_MAX_TLSA)
			p->tlsa[n++] = (struct dane_tlsa){ rec->usage, rec->selector, rec->mtype, rec->data, rec->len };
		all_auth &= rec->authenticated != 0;
	}
	if (!n)
		return;
	p->ntlsa = n;
	struct fields f;
	fields_init(&f);
	fields_add(&f, 0, "name", "%s", name);
	tlsa_lines(&f, p);
	fields_add(&f, 0, "authenticated", "%s", all_auth ? "yes" : "no");
	if (!all_auth) {
		sb_put(summary, sizeof summary, 0, "DANE: %zu TLSA record(s) for %s, not authenticated: ignored", n, p->mx_host);
		snprintf(narration, sizeof narration,
			 "The resolver could not authenticate the answer (the zone is not signed with DNSSEC, or the "
			 "signatures do not check), so the records might be the attacker's, forged or altered, and an "
			 "attacker could as easily have removed them. RFC 7672 section 2.2 says to ignore them: DANE does "
			 "not apply, and TLS stays opportunistic. ('Authenticated' here is the validating resolver's "
			 "answer, the AD bit; the simulator does not model DNSSEC signatures themselves.)");
		p->ntlsa = 0;
		policy_event(r, POLICY_TLSA, -1, &f, summary, narration);
		return;
	}
	struct dane_rrset rs = { p->tlsa, n, 1 };
	size_t usable = 0;
	for (size_t i = 0; i < n; i++)
		usable += dane_record_usable(&p->tlsa[i]);
	fields_add(&f, 0, "usable", "%zu", usable);
	sb_put(summary, sizeof summary, 0, "DANE: %zu authenticated TLSA record(s) for %s: STARTTLS is mandatory", n,
		 p->mx_host);
	snprintf(narration, sizeof narration,
		 "The MX's TLSA records come back authenticated by DNSSEC (as the validating resolver reports). RFC "
		 "7672 section 2.2: the sending server must now use STARTTLS and, with usable records, accept only a "
		 "certificate that matches one of them, whoever signed it; a public CA's signature alone is not "
		 "enough, and a missing STARTTLS is an attack, not a fallback. ('Authenticated' is the resolver's "
		 "answer; the simulator does not model DNSSEC signatures themselves.)");
	policy_event(r, POLICY_TLSA, -1, &f, summary, narration);
	if (dane_requires_starttls(&rs)) {
		p->kind = RELAY_POLICY_TLSA;
		p->requires_tls = 1;
		p->checks_cert = usable > 0;
	}
}

/* 1 when the message's header section holds "TLS-Required: No" (RFC 8689 section 3). */
static int tls_required_no(const uint8_t *m, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t e = i;
		while (e < n && m[e] != '\n')
			e++;
		size_t len = e - i;
		if (len && m[e - 1] == '\r')
			len--;
		if (len == 0)
			return 0; /* the end of the header section */
		static const char f[] = "TLS-Required:";
		if (len >= sizeof f - 1 && !strncasecmp((const char *)m + i, f, sizeof f - 1)) {
			size_t v = i + sizeof f - 1;
			while (v < i + len && (m[v] == ' ' || m[v] == '\t'))
				v++;
			size_t vl = i + len - v;
			while (vl && (m[v + vl - 1] == ' ' || m[v + vl - 1] == '\t'))
				vl--;
			return vl == 2 && !strncasecmp((const char *)m + v, "No", 2);
		}
		i = e + 1;
	}
	return 0;
}

void relay_policy_lookup(struct run_ctx *r, const struct smtp_server_message *msg)
{
	const struct scenario *sc = r->sc;
	struct relay_policy *p = &r->policy;
	memset(p, 0, sizeof *p);
	const char *rcpt = msg->nrcpt ? msg->rcpt[0] : NULL;
	const char *at = rcpt ? strrchr(rcpt, '@') : NULL;
	snprintf(p->domain, sizeof p->domain, "%s", at && at[1] ? at + 1 : "");
	snprintf(p->mx_host, sizeof p->mx_host, "%s", sc->mx.hostname);
	p->requiretls = msg->requiretls;
	if (!p->requiretls && tls_required_no(msg->body, msg->body_len)) {
		p->tls_optional = 1;
		struct fields f;
		fields_init(&f);
		fields_add(&f, 0, "header", "TLS-Required: No");
		policy_event(r, POLICY_TLS_OPTIONAL, -1, &f,
			     "TLS-Required: No: the sender asks to deliver even where a TLS policy would refuse",
			     "The message carries the header TLS-Required: No (RFC 8689 section 3): its sender says that "
			     "getting it delivered matters more than protecting it. The sending server therefore ignores "
			     "the recipient domain's MTA-STS and DANE policies (RFC 8689 section 4.2.2): it still uses "
			     "STARTTLS when the MX offers it, but it no longer insists.");
		return;
	}
	if (!sc->has_dns || !p->domain[0])
		return;
	/* DANE first: with an authenticated TLSA RRset it takes precedence over MTA-STS
	 * (RFC 8461 section 2). */
	if (sc->relay.dane)
		lookup_tlsa(r);
	if (sc->relay.mta_sts && p->kind == RELAY_POLICY_NONE)
		lookup_sts(r);
}

static void decision(struct run_ctx *r, int action, const char *result_type, int tls_err, const char *summary,
		     const char *narration)
{
	struct relay_policy *p = &r->policy;
	struct fields f;
	fields_init(&f);
	fields_add(&f, 0, "policy_type", "%s", relay_policy_kind_name(p->kind));
	fields_add(&f, 0, "policy_domain", "%s", p->domain);
	if (p->kind == RELAY_POLICY_STS) {
		policy_lines(&f, r->sc->mx.mta_sts_policy);
		fields_add(&f, 0, "mode", "%s", mtasts_mode_name(p->sts.mode));
	} else if (p->kind == RELAY_POLICY_TLSA) {
		tlsa_lines(&f, p);
	}
	fields_add(&f, 0, "mx_host", "%s", p->mx_host);
	fields_add(&f, 0, "action", "%s", mtasts_action_name((enum mtasts_action)action));
	fields_add(&f, 0, "result_type", "%s", result_type ? result_type : "success");
	if (tls_err)
		fields_add(&f, 0, "failure_reason_code", "%s", tls_error_name(tls_err));
	add_ips(r, &f);
	p->decided = 1;
	p->deferred = action == MTASTS_DEFER;
	policy_event(r, POLICY_DECISION, action, &f, summary, narration);
}

/* The result type RFC 8460 gives a DANE failure to match. */
static const char *dane_result(const struct dane_result *d)
{
	return d->status == DANE_NO_MATCH ? "validation-failure" : NULL;
}

int relay_policy_after_tls(struct run_ctx *r, struct client_actor *a)
{
	struct relay_policy *p = &r->policy;
	if (p->decided)
		return !p->deferred;
	char summary[300], narration[900];
	int verr = tls_peer_verify_error(a->conn.tls);
	if (p->kind == RELAY_POLICY_STS) {
		struct mtasts_tls t = { .starttls = 1, .cert_valid = verr == 0, .br_err = verr,
					.why = verr ? tls_error_explain(verr) : NULL };
		struct mtasts_decision d;
		enum mtasts_action act = mtasts_decide(&p->sts, p->mx_host, &t, &d);
		sb_put(summary, sizeof summary, 0, "MTA-STS (%s): %s%s%s", mtasts_mode_name(p->sts.mode),
			 act == MTASTS_DEFER ? "not delivered here: deferred" : act == MTASTS_DELIVER_REPORT ? "delivered, "
			 "and the failure reported" : "the MX passes: deliver",
			 d.result_type ? ", " : "", d.result_type ? d.result_type : "");
		sb_put(narration, sizeof narration, 0, "%s%s", d.reason,
			 act == MTASTS_DEFER ? " The server closes the connection before sending anything and keeps the "
					       "message in its queue (a temporary failure, 4xx): it tries again later, "
					       "and refetches the policy before it gives up." : "");
		decision(r, act, d.result_type, verr, summary, narration);
		return act != MTASTS_DEFER;
	}
	if (p->kind == RELAY_POLICY_TLSA && p->checks_cert) {
		br_x509_certificate chain[TLS_CHAIN_MAX];
		size_t n = tls_peer_chain(a->conn.tls, chain, TLS_CHAIN_MAX);
		struct dane_rrset rs = { p->tlsa, p->ntlsa, 1 };
		struct dane_result d;
		enum dane_status st = dane_verify(&rs, chain, n, p->mx_host, (uint64_t)r->sc->date, &d);
		int defer = st != DANE_MATCH;
		sb_put(summary, sizeof summary, 0, "DANE: %s", defer ? "no TLSA record matches the certificate: deferred"
								     : "a TLSA record matches the certificate: deliver");
		size_t k = sb_put(narration, sizeof narration, 0, "%s. ", d.why);
		if (defer)
			sb_put(narration, sizeof narration, k,
			       "Whoever signed the certificate, it is not the one the MX's owner published in DNS, so the "
			       "server does not send the message here (RFC 7672 section 2.2). It closes the connection and "
			       "keeps the message queued (4xx).");
		else
			sb_put(narration, sizeof narration, k,
			       "The certificate is the one the MX's owner published: the server is talking to the real "
			       "MX, and sends the message.");
		decision(r, defer ? MTASTS_DEFER : MTASTS_DELIVER, defer ? dane_result(&d) : NULL, 0, summary, narration);
		return !defer;
	}
	return 1;
}

/* RFC 8689: a REQUIRETLS message that could not go over verified TLS to an MX offering
 * REQUIRETLS is returned to its sender, never sent otherwise. */
static void requiretls_outcome(struct run_ctx *r, const struct client_actor *a)
{
	const struct relay_policy *p = &r->policy;
	int delivered = r->mx.smtp && smtp_server_message_count(r->mx.smtp) > 0;
	struct fields f;
	fields_init(&f);
	fields_add(&f, 0, "requiretls", "yes");
	fields_add(&f, 0, "mx_host", "%s", p->mx_host);
	if (delivered) {
		fields_add(&f, 0, "result", "relayed over verified TLS to an MX that offers REQUIRETLS");
		policy_event(r, POLICY_REQUIRETLS, 0, &f, "REQUIRETLS: relayed as the sender required",
			     "The message came with REQUIRETLS: the sending server relayed it only over TLS, to an MX whose "
			     "certificate it verified and that offers REQUIRETLS itself, passing the requirement on "
			     "(RFC 8689 section 4.2.1).");
		return;
	}
	int err = a->conn.tls_err ? a->conn.tls_err : tls_peer_verify_error(a->conn.tls);
	fields_add(&f, 0, "result", "bounced");
	fields_add(&f, 0, "status", "5.7.30");
	/* For the TLS report, when TLS itself failed (not when the MX only lacked REQUIRETLS)
	 * and no policy's decision counts the session already. */
	if (!a->tls_up && p->kind == RELAY_POLICY_NONE) {
		fields_add(&f, 0, "policy_type", "%s", relay_policy_kind_name(p->kind));
		fields_add(&f, 0, "policy_domain", "%s", p->domain);
		fields_add(&f, 0, "result_type", "%s", a->tls_started ? "validation-failure" : "starttls-not-supported");
		add_ips(r, &f);
	}
	if (err)
		fields_add(&f, 0, "failure_reason_code", "%s", tls_error_name(err));
	policy_event(r, POLICY_REQUIRETLS, 1, &f,
		     "REQUIRETLS cannot be met: the message is returned to its sender (5.7.30), not sent",
		     "The sender asked for REQUIRETLS (RFC 8689), and the path to the MX offered no verified TLS with "
		     "REQUIRETLS support. The sending server must not relay the message any other way, and it does not "
		     "wait and retry as it would for a policy failure: it gives up and returns the message to its sender "
		     "with a non-delivery report, status 5.7.30 REQUIRETLS support required (RFC 8689 section 5; the "
		     "report itself is not simulated here).");
}

void relay_policy_at_end(struct run_ctx *r, const struct client_actor *a)
{
	struct relay_policy *p = &r->policy;
	if (!r->relayed)
		return;
	if (p->requiretls)
		requiretls_outcome(r, a);
	/* Without a policy in force, REQUIRETLS said all there is to say. */
	if (p->decided || (p->requiretls && p->kind == RELAY_POLICY_NONE))
		return;
	if (a->tls_up) {
		/* TLS came up and nothing was checked: opportunistic delivery, or DANE with no
		 * usable record (TLS mandatory, authentication not). */
		decision(r, MTASTS_DELIVER, NULL, 0,
			 p->kind == RELAY_POLICY_NONE ? "No policy: opportunistic TLS was used"
						      : "DANE: TLS used; no usable TLSA record to check the certificate against",
			 p->kind == RELAY_POLICY_NONE
				 ? "The recipient domain publishes no MTA-STS policy and no authenticated TLSA records: the "
				   "sending server used TLS because the MX offered it, without checking whom it talked to."
				 : "The TLSA records are authenticated but none is usable for SMTP (RFC 7672 section 3.1.3): "
				   "TLS is mandatory, authentication is not.");
		return;
	}
	int failed = a->tls_started;
	const char *rt = failed ? "validation-failure" : "starttls-not-supported";
	int err = a->conn.tls_err;
	if (p->kind == RELAY_POLICY_STS) {
		struct mtasts_tls t = { .starttls = 0, .br_err = err };
		struct mtasts_decision d;
		enum mtasts_action act = mtasts_decide(&p->sts, p->mx_host, &t, &d);
		char summary[300], narration[900];
		sb_put(summary, sizeof summary, 0, "MTA-STS (%s): no TLS with the MX: %s", mtasts_mode_name(p->sts.mode),
			 act == MTASTS_DEFER ? "deferred, not sent in cleartext" : "delivered in cleartext, and reported");
		sb_put(narration, sizeof narration, 0, "%s%s", d.reason,
			 act == MTASTS_DEFER ? " The message stays in the sending server's queue (a temporary failure, "
					       "4xx); it was never sent in cleartext." : "");
		decision(r, act, failed ? rt : d.result_type, err, summary, narration);
		return;
	}
	if (p->kind == RELAY_POLICY_TLSA) {
		decision(r, MTASTS_DEFER, rt, err, "DANE: no TLS with the MX: deferred, not sent in cleartext",
			 "With authenticated TLSA records STARTTLS is mandatory (RFC 7672 section 2.2): an MX that seems "
			 "not to offer it is taken for an attack. The server sends nothing and keeps the message queued "
			 "(a temporary failure, 4xx).");
		return;
	}
	decision(r, MTASTS_DELIVER, rt, err, "No policy: nothing stops the server from going on without TLS",
		 "The recipient domain publishes no MTA-STS policy and no authenticated TLSA records, so nothing tells "
		 "the sending server to insist on TLS: to it, an MX without STARTTLS is an MX without STARTTLS, and it "
		 "goes on in cleartext. A TLS report can still count the failure (no-policy-found).");
}
