/* export_tlsrpt: the sending server's TLS report (RFC 8460) for a run with a relay hop,
 * made from the relay's TK_POLICY events alone: the policy it applied, the sessions that
 * succeeded, the failures by result type, and a failed policy fetch. The report covers
 * the scenario's day (UTC); its id names the scenario and the seed, so the same run
 * writes the same bytes. */
#include "sim/export/export.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sim/export/tlsrpt.h"
#include "sim/run/relay_policy.h"

static enum tlsrpt_policy_type policy_type(int kind)
{
	return kind == RELAY_POLICY_STS ? TLSRPT_POLICY_STS
	       : kind == RELAY_POLICY_TLSA ? TLSRPT_POLICY_TLSA : TLSRPT_POLICY_NONE_FOUND;
}

/* Every policy_string field of e, in order (at most max). */
static size_t policy_strings(const struct trace_event *e, const char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < e->fields.n && n < max; i++)
		if (!strcmp(e->fields.v[i].name, "policy_string"))
			out[n++] = e->fields.v[i].value;
	return n;
}

static int day(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)(t - t % 86400);
	struct tm tm;
	return gmtime_r(&tt, &tm) && strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) ? 0 : -1;
}

int export_tlsrpt(const char *path, const struct scenario *sc, const struct run_result *r, char *err,
		  size_t errcap)
{
	const struct trace *t = &r->trace;
	int any = 0;
	for (size_t i = 0; i < t->n; i++)
		any |= t->ev[i].kind == TK_POLICY &&
		       (t->ev[i].subtype == POLICY_DECISION || t->ev[i].subtype == POLICY_REQUIRETLS);
	if (!any) {
		if (sc->has_route)
			snprintf(err, errcap, "%s: %s: the sending server never relayed (it accepted no message): there is "
				 "no TLS report (RFC 8460) to write", path, sc->name);
		else
			snprintf(err, errcap, "%s: %s has no relay hop to report on: a TLS report (RFC 8460) comes from a "
				 "sending server relaying to an MX (give the scenario [relay] and [mx] sections)", path,
				 sc->name);
		return -1;
	}
	char start[32], end[32], id[160], contact[300];
	if (day(sc->date, start, sizeof start) || day(sc->date + 86400, end, sizeof end)) {
		snprintf(err, errcap, "%s: the scenario's date cannot be written as a date", path);
		return -1;
	}
	const char *at = strrchr(sc->client.mail_from, '@');
	snprintf(contact, sizeof contact, "postmaster@%s", at && at[1] ? at + 1 : sc->server.hostname);
	snprintf(id, sizeof id, "%.10s.%s.%llu@%s", start, sc->name, (unsigned long long)r->seed, sc->server.hostname);
	struct tlsrpt rep;
	if (tlsrpt_init(&rep, sc->server.hostname, contact, id, start, end)) {
		snprintf(err, errcap, "%s: out of memory", path);
		return -1;
	}
	int bad = 0;
	for (size_t i = 0; i < t->n && !bad; i++) {
		const struct trace_event *e = &t->ev[i];
		if (e->kind != TK_POLICY)
			continue;
		const char *rt = fields_get(&e->fields, "result_type");
		const char *domain = fields_get(&e->fields, "policy_domain");
		if (e->subtype == POLICY_STS_FETCH && rt) {
			/* The policy could not be fetched or read: reported under sts, without its text. */
			const char *url = fields_get(&e->fields, "url");
			int p = tlsrpt_policy(&rep, TLSRPT_POLICY_STS, domain ? domain : "", NULL, 0, NULL);
			int res = tlsrpt_result_from_name(rt);
			struct tlsrpt_detail d = { .additional_information = url };
			bad = p < 0 || res < 0 || tlsrpt_failure(&rep, p, (enum tlsrpt_result)res, &d, 1);
			continue;
		}
		if ((e->subtype != POLICY_DECISION && e->subtype != POLICY_REQUIRETLS) || !rt || !domain)
			continue;
		const char *strings[16];
		size_t ns = policy_strings(e, strings, 16);
		const char *mx = fields_get(&e->fields, "mx_host");
		int p = tlsrpt_policy(&rep, policy_type(e->policy), domain, strings, ns, mx);
		if (p < 0) {
			bad = 1;
			break;
		}
		if (!strcmp(rt, "success")) {
			bad = tlsrpt_success(&rep, p, 1);
			continue;
		}
		int res = tlsrpt_result_from_name(rt);
		struct tlsrpt_detail d = {
			.sending_mta_ip = fields_get(&e->fields, "sending_mta_ip"),
			.receiving_mx_hostname = mx,
			.receiving_ip = fields_get(&e->fields, "receiving_ip"),
			.failure_reason_code = fields_get(&e->fields, "failure_reason_code"),
		};
		bad = res < 0 || tlsrpt_failure(&rep, p, (enum tlsrpt_result)res, &d, 1);
	}
	if (bad) {
		tlsrpt_free(&rep);
		snprintf(err, errcap, "%s: out of memory, or a result type the report does not know", path);
		return -1;
	}
	int rc = tlsrpt_write(&rep, path, err, errcap);
	tlsrpt_free(&rep);
	return rc;
}
