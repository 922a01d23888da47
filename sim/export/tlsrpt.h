/* tlsrpt: SMTP TLS Reporting (RFC 8460). A sending MTA counts, per policy it applied
 * (an MTA-STS policy, a TLSA RRset, or none found), its successful TLS sessions and
 * its failures by result type and by where they happened, and once per period sends
 * the recipient domain one aggregate report as JSON (section 4). Here the caller feeds
 * results in and writes the report to a file, whole or not at all. Nothing reads a
 * clock: the report's dates and id come from the caller, so a run writes the same
 * bytes every time. Keys come out in the order section 4.4 lists them. */
#ifndef SIM_TLSRPT_H
#define SIM_TLSRPT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum tlsrpt_policy_type {
	TLSRPT_POLICY_STS,       /* "sts" */
	TLSRPT_POLICY_TLSA,      /* "tlsa" */
	TLSRPT_POLICY_NONE_FOUND /* "no-policy-found" */
};

/* result-type (section 4.3): negotiation failures, then policy failures */
enum tlsrpt_result {
	TLSRPT_STARTTLS_NOT_SUPPORTED,
	TLSRPT_CERTIFICATE_HOST_MISMATCH,
	TLSRPT_CERTIFICATE_EXPIRED,
	TLSRPT_CERTIFICATE_NOT_TRUSTED,
	TLSRPT_VALIDATION_FAILURE,
	TLSRPT_TLSA_INVALID,
	TLSRPT_DNSSEC_INVALID,
	TLSRPT_DANE_REQUIRED,
	TLSRPT_STS_POLICY_FETCH_ERROR,
	TLSRPT_STS_POLICY_INVALID,
	TLSRPT_STS_WEBPKI_INVALID,
	TLSRPT_RESULT_COUNT
};

/* Where one failure happened; every member may be NULL (then left out of the JSON).
 * Failures with equal result type and equal details are counted together. */
struct tlsrpt_detail {
	const char *sending_mta_ip;
	const char *receiving_mx_hostname;
	const char *receiving_mx_helo;
	const char *receiving_ip;
	const char *additional_information; /* a URI */
	const char *failure_reason_code;    /* free text, e.g. a BearSSL error name */
};

struct tlsrpt_failure; /* in tlsrpt.c */
struct tlsrpt_policy;

struct tlsrpt {
	char *organization_name, *contact_info, *report_id, *start, *end;
	struct tlsrpt_policy *p;
	size_t np;
	int oom; /* sticky: once memory ran out, every later call fails */
};

/* start and end are RFC 3339 date-times ("2016-04-01T00:00:00Z"). Returns 0 or -1. */
int tlsrpt_init(struct tlsrpt *r, const char *organization_name, const char *contact_info,
		const char *report_id, const char *start, const char *end);
void tlsrpt_free(struct tlsrpt *r);

/* The policy a result belongs to: its type, the policy-domain, the policy-string lines
 * (the MTA-STS policy file's lines, or the TLSA records in presentation form; none for
 * no-policy-found) and mx-host (may be NULL). Adding an equal policy again returns
 * the same index. Returns the index, or -1. */
int tlsrpt_policy(struct tlsrpt *r, enum tlsrpt_policy_type type, const char *domain,
		  const char *const *strings, size_t nstrings, const char *mx_host);
/* Counts n successful sessions under policy i. Returns 0 or -1. */
int tlsrpt_success(struct tlsrpt *r, int i, uint64_t n);
/* Counts n failed sessions of one result type under policy i (d may be NULL). */
int tlsrpt_failure(struct tlsrpt *r, int i, enum tlsrpt_result result,
		   const struct tlsrpt_detail *d, uint64_t n);

/* The report as a new JSON object (the caller json_decref's it), or NULL. */
json_t *tlsrpt_json(const struct tlsrpt *r);
/* Writes the report to path, atomically. Returns 0, or -1 with "PATH: problem" in err
 * and nothing left behind. */
int tlsrpt_write(const struct tlsrpt *r, const char *path, char *err, size_t errcap);

/* The file name section 5.3 recommends, "sender!policy-domain!begin!end[!id].json"
 * with UNIX times; id may be NULL. Returns 0, or -1 when it does not fit in cap. */
int tlsrpt_filename(const char *sender, const char *policy_domain, uint64_t begin,
		    uint64_t end, const char *id, char *out, size_t cap);

const char *tlsrpt_result_name(enum tlsrpt_result t);   /* "certificate-expired" */
int tlsrpt_result_from_name(const char *name);          /* the enum, or -1 */
const char *tlsrpt_policy_type_name(enum tlsrpt_policy_type t); /* "sts" */

#endif
