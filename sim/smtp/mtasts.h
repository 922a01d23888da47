/* mtasts: SMTP MTA Strict Transport Security (RFC 8461) as pure functions. A recipient
 * domain publishes a TXT record at _mta-sts.DOMAIN ("v=STSv1; id=20250101;") and a
 * policy file at https://mta-sts.DOMAIN/.well-known/mta-sts.txt ("version: STSv1",
 * "mode: enforce", "mx: *.example.net", "max_age: 604800"). A sending MTA caches the
 * policy, refetches it when the record's id changes or the cache expires, and before
 * delivering checks that the MX host is listed and that its certificate validated for
 * that name. Nothing here does I/O or reads a clock: record text, policy text and the
 * time ("now", seconds) come from the caller, so a run stays a function of its inputs. */
#ifndef SIM_MTASTS_H
#define SIM_MTASTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MTASTS_ID_MAX 32       /* sts-id = 1*32(ALPHA / DIGIT) */
#define MTASTS_HOST_MAX 253    /* a domain name in text form, without trailing dot */
#define MTASTS_MX_MAX 16       /* mx patterns kept per policy (the simulator's limit) */
#define MTASTS_MAX_AGE_MAX 31557600u /* RFC 8461 3.2: one year */
#define MTASTS_CACHE_MAX 8

/* ---- the TXT record (section 3.1) ---- */

struct mtasts_record {
	char id[MTASTS_ID_MAX + 1];
};

/* Parses one TXT record (its character strings already concatenated), n bytes, no
 * NUL needed. Returns 0, or -1 with a one-line reason in err, e.g. "record: id
 * '2025-01' is not 1 to 32 letters or digits". A -1 means the sender must act as if
 * the domain had no MTA-STS record. Extension fields are checked and ignored. */
int mtasts_record_parse(const char *txt, size_t n, struct mtasts_record *out,
			char *err, size_t errcap);

/* The lookup as section 3.1 describes it: of all TXT records at _mta-sts.DOMAIN,
 * those not beginning with "v=STSv1;" are discarded; exactly one must remain and
 * parse. Returns 0, or -1 with the reason ("2 records begin with v=STSv1;"). */
int mtasts_record_select(const char *const *txts, const size_t *lens, size_t ntxt,
			 struct mtasts_record *out, char *err, size_t errcap);

/* ---- the policy file (section 3.2) ---- */

enum mtasts_mode {
	MTASTS_MODE_NONE,    /* the domain has withdrawn its policy: act as without one */
	MTASTS_MODE_TESTING, /* deliver anyway, report failures (TLS-RPT) */
	MTASTS_MODE_ENFORCE, /* do not deliver to an MX that fails the checks */
};

struct mtasts_policy {
	enum mtasts_mode mode;
	uint32_t max_age;    /* seconds, at most MTASTS_MAX_AGE_MAX */
	size_t n_mx;
	char mx[MTASTS_MX_MAX][MTASTS_HOST_MAX + 1]; /* "mail.example.com", "*.example.net" */
};

/* Parses a policy file of n bytes: "key: value" lines ended by CRLF or LF (the last
 * terminator optional, empty lines skipped), keys case-sensitive as the grammar's %s
 * says. version (STSv1), mode and max_age are required, each once; at least one mx
 * unless mode is none; unknown keys are ignored if well formed. Returns 0, or -1 with
 * "line N: ..." or "policy: ..." in err. Every failure is "sts-policy-invalid" in a
 * TLS report. */
int mtasts_policy_parse(const char *text, size_t n, struct mtasts_policy *out,
			char *err, size_t errcap);

const char *mtasts_mode_name(enum mtasts_mode m); /* "none", "testing", "enforce" */

/* ---- MX matching (section 4.1) ---- */

/* Whether host (an MX name, any case, a trailing dot allowed) matches pattern: equal
 * ignoring case, or pattern "*.example.net" and host one label followed by
 * ".example.net" ("mail.example.net" yes; "example.net" and "a.b.example.net" no). */
bool mtasts_mx_match(const char *pattern, const char *host);
/* The index of the first of policy's patterns host matches, or -1. */
int mtasts_policy_match(const struct mtasts_policy *p, const char *host);

/* ---- the sender's cache (sections 3.3, 5.1, 10.2) ---- */

struct mtasts_cache_entry {
	char domain[MTASTS_HOST_MAX + 1];
	char id[MTASTS_ID_MAX + 1];
	uint64_t fetched;            /* when the policy was fetched (seconds) */
	struct mtasts_policy policy;
};

struct mtasts_cache {
	struct mtasts_cache_entry e[MTASTS_CACHE_MAX];
	size_t n;
};

/* What the sender does next for a domain. */
enum mtasts_plan {
	MTASTS_PLAN_NO_POLICY,     /* no valid record and nothing cached: plain opportunistic TLS */
	MTASTS_PLAN_USE_CACHED,    /* the cached policy applies (same id, or no record: an
				    * attacker may have removed it, section 10.2) */
	MTASTS_PLAN_FETCH_FIRST,   /* first contact: a record but no cached policy */
	MTASTS_PLAN_FETCH_CHANGED, /* the record's id differs from the cached policy's */
	MTASTS_PLAN_FETCH_EXPIRED, /* the cached policy outlived its max_age */
};

void mtasts_cache_init(struct mtasts_cache *c);
/* The cached, unexpired policy for domain (any case), or NULL. A policy fetched at t
 * with max_age a is valid while now < t + a. */
const struct mtasts_cache_entry *mtasts_cache_get(const struct mtasts_cache *c,
						  const char *domain, uint64_t now);
/* Decides from the record just looked up (NULL when there was no valid one) and the
 * cache what to do; after a FETCH_* plan the caller fetches and stores, or when the
 * fetch fails uses mtasts_cache_get (a cached policy still applies, section 3.3). */
enum mtasts_plan mtasts_cache_plan(const struct mtasts_cache *c, const char *domain,
				   const struct mtasts_record *rec, uint64_t now);
/* Stores (or replaces) domain's policy fetched at now under the record's id; when the
 * cache is full the entry fetched longest ago goes. Returns 0, or -1 for a domain or
 * id too long. */
int mtasts_cache_store(struct mtasts_cache *c, const char *domain, const char *id,
		       const struct mtasts_policy *p, uint64_t now);
const char *mtasts_plan_name(enum mtasts_plan p); /* "first contact: no cached policy"... */

/* ---- applying the policy (section 5) ---- */

/* What the sender learnt of the TLS session with one MX host. */
struct mtasts_tls {
	bool starttls;    /* STARTTLS was offered and the TLS session came up */
	bool cert_valid;  /* the certificate validated (PKIX, with the MX name) */
	int br_err;       /* when not valid: BearSSL's error (BR_ERR_X509_*), or 0 */
	const char *why;  /* when not valid: words for the report, or NULL */
};

enum mtasts_action {
	MTASTS_DELIVER,        /* no policy, mode none, or every check passed */
	MTASTS_DELIVER_REPORT, /* mode testing and a check failed: deliver, and report */
	MTASTS_DEFER,          /* mode enforce and a check failed: do not deliver to this
				* MX (try the next; refetch the policy before bouncing) */
};

struct mtasts_decision {
	enum mtasts_action action;
	const char *result_type; /* RFC 8460 result-type when a check failed, else NULL:
				  * "starttls-not-supported", "certificate-host-mismatch",
				  * "certificate-expired", "certificate-not-trusted",
				  * "validation-failure" */
	char reason[256];        /* one sentence: what passed or failed, and the mode */
};

/* Applies policy p (NULL: none in force) to delivery to mx_host over session t. The
 * checks of section 5: one mx pattern matches mx_host (4.1), and the session used
 * STARTTLS with a certificate valid for mx_host (4.2). Returns d->action. */
enum mtasts_action mtasts_decide(const struct mtasts_policy *p, const char *mx_host,
				 const struct mtasts_tls *t, struct mtasts_decision *d);
const char *mtasts_action_name(enum mtasts_action a); /* "deliver", "deliver-and-report", "defer" */

#endif
