/* tlsrpt: the RFC 8460 aggregate report. Results accumulate in plain arrays (policies,
 * and under each its failure details with counts); tlsrpt_json builds the document
 * with jansson in the section 4.4 order, and tlsrpt_write puts it on disk through
 * export_file so a reader never sees half a report. */
#include "sim/export/tlsrpt.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/export/export.h"

enum { D_SENDING_IP, D_MX, D_HELO, D_RECEIVING_IP, D_INFO, D_REASON, D_N };

struct tlsrpt_failure {
	enum tlsrpt_result result;
	char *d[D_N];
	uint64_t count;
};

struct tlsrpt_policy {
	enum tlsrpt_policy_type type;
	char *domain, *mx_host;
	char **strings;
	size_t nstrings;
	uint64_t ok, failed;
	struct tlsrpt_failure *f;
	size_t nf;
};

static const char *const result_names[TLSRPT_RESULT_COUNT] = {
	[TLSRPT_STARTTLS_NOT_SUPPORTED] = "starttls-not-supported",
	[TLSRPT_CERTIFICATE_HOST_MISMATCH] = "certificate-host-mismatch",
	[TLSRPT_CERTIFICATE_EXPIRED] = "certificate-expired",
	[TLSRPT_CERTIFICATE_NOT_TRUSTED] = "certificate-not-trusted",
	[TLSRPT_VALIDATION_FAILURE] = "validation-failure",
	[TLSRPT_TLSA_INVALID] = "tlsa-invalid",
	[TLSRPT_DNSSEC_INVALID] = "dnssec-invalid",
	[TLSRPT_DANE_REQUIRED] = "dane-required",
	[TLSRPT_STS_POLICY_FETCH_ERROR] = "sts-policy-fetch-error",
	[TLSRPT_STS_POLICY_INVALID] = "sts-policy-invalid",
	[TLSRPT_STS_WEBPKI_INVALID] = "sts-webpki-invalid",
};

static const char *const detail_keys[D_N] = {
	"sending-mta-ip", "receiving-mx-hostname", "receiving-mx-helo", "receiving-ip",
	"additional-information", "failure-reason-code",
};

const char *tlsrpt_result_name(enum tlsrpt_result t)
{
	return (unsigned)t < TLSRPT_RESULT_COUNT ? result_names[t] : "?";
}

int tlsrpt_result_from_name(const char *name)
{
	for (int i = 0; name && i < TLSRPT_RESULT_COUNT; i++)
		if (strcmp(name, result_names[i]) == 0)
			return i;
	return -1;
}

const char *tlsrpt_policy_type_name(enum tlsrpt_policy_type t)
{
	switch (t) {
	case TLSRPT_POLICY_STS: return "sts";
	case TLSRPT_POLICY_TLSA: return "tlsa";
	case TLSRPT_POLICY_NONE_FOUND: return "no-policy-found";
	}
	return "?";
}

/* strdup that keeps NULL and marks the report on failure */
static char *dup(struct tlsrpt *r, const char *s)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		r->oom = 1;
	return d;
}

static bool streq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

int tlsrpt_init(struct tlsrpt *r, const char *organization_name, const char *contact_info,
		const char *report_id, const char *start, const char *end)
{
	memset(r, 0, sizeof *r);
	r->organization_name = dup(r, organization_name);
	r->contact_info = dup(r, contact_info);
	r->report_id = dup(r, report_id);
	r->start = dup(r, start);
	r->end = dup(r, end);
	return r->oom ? -1 : 0;
}

void tlsrpt_free(struct tlsrpt *r)
{
	for (size_t i = 0; i < r->np; i++) {
		struct tlsrpt_policy *p = &r->p[i];
		free(p->domain);
		free(p->mx_host);
		for (size_t k = 0; k < p->nstrings; k++)
			free(p->strings[k]);
		free(p->strings);
		for (size_t k = 0; k < p->nf; k++)
			for (int j = 0; j < D_N; j++)
				free(p->f[k].d[j]);
		free(p->f);
	}
	free(r->p);
	free(r->organization_name);
	free(r->contact_info);
	free(r->report_id);
	free(r->start);
	free(r->end);
	memset(r, 0, sizeof *r);
}

static bool policy_equal(const struct tlsrpt_policy *p, enum tlsrpt_policy_type type,
			 const char *domain, const char *const *strings, size_t n, const char *mx)
{
	if (p->type != type || !streq(p->domain, domain) || !streq(p->mx_host, mx) || p->nstrings != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!streq(p->strings[i], strings[i]))
			return false;
	return true;
}

int tlsrpt_policy(struct tlsrpt *r, enum tlsrpt_policy_type type, const char *domain,
		  const char *const *strings, size_t nstrings, const char *mx_host)
{
	if (r->oom || !domain || (nstrings && !strings))
		return -1;
	for (size_t i = 0; i < r->np; i++)
		if (policy_equal(&r->p[i], type, domain, strings, nstrings, mx_host))
			return (int)i;
	struct tlsrpt_policy *np = realloc(r->p, (r->np + 1) * sizeof *np);
	if (!np) {
		r->oom = 1;
		return -1;
	}
	r->p = np;
	struct tlsrpt_policy *p = &r->p[r->np++];
	memset(p, 0, sizeof *p);
	p->type = type;
	p->domain = dup(r, domain);
	p->mx_host = dup(r, mx_host);
	if (nstrings) {
		p->strings = calloc(nstrings, sizeof *p->strings);
		if (!p->strings)
			r->oom = 1;
		else
			for (size_t i = 0; i < nstrings; i++, p->nstrings++)
				p->strings[i] = dup(r, strings[i] ? strings[i] : "");
	}
	return r->oom ? -1 : (int)(r->np - 1);
}

static struct tlsrpt_policy *get(struct tlsrpt *r, int i)
{
	if (r->oom || i < 0 || (size_t)i >= r->np)
		return NULL;
	return &r->p[i];
}

int tlsrpt_success(struct tlsrpt *r, int i, uint64_t n)
{
	struct tlsrpt_policy *p = get(r, i);
	if (!p)
		return -1;
	p->ok += n;
	return 0;
}

int tlsrpt_failure(struct tlsrpt *r, int i, enum tlsrpt_result result,
		   const struct tlsrpt_detail *d, uint64_t n)
{
	struct tlsrpt_policy *p = get(r, i);
	if (!p || (unsigned)result >= TLSRPT_RESULT_COUNT)
		return -1;
	const char *v[D_N] = {0};
	if (d) {
		v[D_SENDING_IP] = d->sending_mta_ip;
		v[D_MX] = d->receiving_mx_hostname;
		v[D_HELO] = d->receiving_mx_helo;
		v[D_RECEIVING_IP] = d->receiving_ip;
		v[D_INFO] = d->additional_information;
		v[D_REASON] = d->failure_reason_code;
	}
	p->failed += n;
	for (size_t k = 0; k < p->nf; k++) {
		struct tlsrpt_failure *f = &p->f[k];
		bool same = f->result == result;
		for (int j = 0; same && j < D_N; j++)
			same = streq(f->d[j], v[j]);
		if (same) {
			f->count += n;
			return 0;
		}
	}
	struct tlsrpt_failure *nf = realloc(p->f, (p->nf + 1) * sizeof *nf);
	if (!nf) {
		r->oom = 1;
		return -1;
	}
	p->f = nf;
	struct tlsrpt_failure *f = &p->f[p->nf++];
	memset(f, 0, sizeof *f);
	f->result = result;
	f->count = n;
	for (int j = 0; j < D_N; j++)
		f->d[j] = dup(r, v[j]);
	return r->oom ? -1 : 0;
}

/* json_object_set_new that remembers a failure */
static void set(json_t *o, const char *k, json_t *v, bool *bad)
{
	if (!v || json_object_set_new(o, k, v) != 0)
		*bad = true;
}

json_t *tlsrpt_json(const struct tlsrpt *r)
{
	if (r->oom)
		return NULL;
	bool bad = false;
	json_t *root = json_object();
	if (!root)
		return NULL;
	set(root, "organization-name", json_string(r->organization_name ? r->organization_name : ""), &bad);
	json_t *range = json_object();
	set(root, "date-range", range, &bad);
	if (range) {
		set(range, "start-datetime", json_string(r->start ? r->start : ""), &bad);
		set(range, "end-datetime", json_string(r->end ? r->end : ""), &bad);
	}
	set(root, "contact-info", json_string(r->contact_info ? r->contact_info : ""), &bad);
	set(root, "report-id", json_string(r->report_id ? r->report_id : ""), &bad);
	json_t *policies = json_array();
	set(root, "policies", policies, &bad);
	for (size_t i = 0; policies && i < r->np && !bad; i++) {
		const struct tlsrpt_policy *p = &r->p[i];
		json_t *entry = json_object(), *pol = json_object(), *sum = json_object(), *fd = json_array();
		if (!entry || json_array_append_new(policies, entry) != 0) {
			json_decref(pol);
			json_decref(sum);
			json_decref(fd);
			bad = true;
			break;
		}
		set(entry, "policy", pol, &bad);
		set(entry, "summary", sum, &bad);
		set(entry, "failure-details", fd, &bad);
		if (bad)
			break;
		set(pol, "policy-type", json_string(tlsrpt_policy_type_name(p->type)), &bad);
		if (p->nstrings) {
			json_t *ps = json_array();
			set(pol, "policy-string", ps, &bad);
			for (size_t k = 0; ps && k < p->nstrings; k++)
				if (json_array_append_new(ps, json_string(p->strings[k])) != 0)
					bad = true;
		}
		set(pol, "policy-domain", json_string(p->domain), &bad);
		if (p->mx_host)
			set(pol, "mx-host", json_string(p->mx_host), &bad);
		set(sum, "total-successful-session-count", json_integer((json_int_t)p->ok), &bad);
		set(sum, "total-failure-session-count", json_integer((json_int_t)p->failed), &bad);
		for (size_t k = 0; k < p->nf && !bad; k++) {
			const struct tlsrpt_failure *f = &p->f[k];
			json_t *o = json_object();
			if (!o || json_array_append_new(fd, o) != 0) {
				bad = true;
				break;
			}
			set(o, "result-type", json_string(tlsrpt_result_name(f->result)), &bad);
			/* section 4.4's order: the addresses and names, the count, then the
			 * free-form extras */
			for (int j = D_SENDING_IP; j <= D_RECEIVING_IP; j++)
				if (f->d[j])
					set(o, detail_keys[j], json_string(f->d[j]), &bad);
			set(o, "failed-session-count", json_integer((json_int_t)f->count), &bad);
			for (int j = D_INFO; j < D_N; j++)
				if (f->d[j])
					set(o, detail_keys[j], json_string(f->d[j]), &bad);
		}
	}
	if (bad) {
		json_decref(root);
		return NULL;
	}
	return root;
}

int tlsrpt_write(const struct tlsrpt *r, const char *path, char *err, size_t errcap)
{
	json_t *root = tlsrpt_json(r);
	if (!root) {
		snprintf(err, errcap, "%s: cannot write: the report could not be built (out of memory or invalid text)", path);
		return -1;
	}
	struct export_file ef;
	if (export_file_open(&ef, path, err, errcap) < 0) {
		json_decref(root);
		return -1;
	}
	int rc = json_dumpf(root, ef.f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (rc != 0 || fputc('\n', ef.f) == EOF) {
		snprintf(err, errcap, "%s: cannot write", path);
		export_file_abort(&ef);
		return -1;
	}
	return export_file_commit(&ef, err, errcap);
}

int tlsrpt_filename(const char *sender, const char *policy_domain, uint64_t begin,
		    uint64_t end, const char *id, char *out, size_t cap)
{
	int w = snprintf(out, cap, "%s!%s!%" PRIu64 "!%" PRIu64 "%s%s.json", sender, policy_domain,
			 begin, end, id ? "!" : "", id ? id : "");
	return w < 0 || (size_t)w >= cap ? -1 : 0;
}
