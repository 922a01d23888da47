/* auth: what TLS does not protect — who wrote a message. The receiving MX's checks on a
 * message it has accepted, and the sending side's DKIM signature:
 *   SPF   (RFC 7208, libspf2): may the connecting IP send for the envelope (MAIL FROM) domain?
 *   DKIM  (RFC 6376, libopendkim): does a signing domain's key verify the signature over
 *         these headers and this body?
 *   DMARC (RFC 7489, libopendmarc): does a passing SPF or DKIM domain align with the
 *         From: domain the reader sees, and what does that domain's policy ask for?
 * Every DNS answer comes from the scenario's simulated zone (sim/dns): nothing leaves the
 * process. The results are facts (enums, domains, flags); the Authentication-Results
 * header (RFC 8601) is made from them. */
#ifndef SIM_AUTH_H
#define SIM_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "sim/dns/dns.h"

/* A step of a message's authentication (the trace's TK_MAIL_AUTH subtype). */
enum auth_step {
	AUTH_SIGNED = 0,     /* the sending side signs the message (DKIM) */
	AUTH_ALTERED = 1,    /* the body changed after signing (a forwarder's footer) */
	AUTH_SPF = 2,        /* the receiver's verdicts */
	AUTH_DKIM = 3,
	AUTH_DMARC = 4,
	AUTH_STORED = 5,     /* the MX stores the message with its Authentication-Results */
	AUTH_REJECTED = 6,   /* the MX refuses the message at the end of DATA, as the DMARC policy asks */
	AUTH_STEP_COUNT
};

/* A verdict, with RFC 8601's names. 0 is "none": nothing to check (no record, no signature). */
enum auth_result {
	AUTH_NONE = 0,
	AUTH_PASS,
	AUTH_FAIL,
	AUTH_SOFTFAIL,       /* SPF only */
	AUTH_NEUTRAL,        /* SPF only */
	AUTH_TEMPERROR,
	AUTH_PERMERROR,
	AUTH_RESULT_COUNT
};

/* DMARC's requested policy (p=, or sp= for a subdomain). */
enum auth_policy {
	AUTH_POLICY_ABSENT = 0,   /* no DMARC record */
	AUTH_POLICY_NONE,
	AUTH_POLICY_QUARANTINE,
	AUTH_POLICY_REJECT,
};

const char *auth_step_name(enum auth_step m);         /* "dkim-sign", "body-altered", "spf", ... */
const char *auth_result_name(enum auth_result r);     /* "pass", "fail", "softfail", ... */
const char *auth_policy_name(enum auth_policy p);     /* "none", "quarantine", "reject", "absent" */
/* Parses a result name; returns 0, or -1 when unknown. */
int auth_result_parse(const char *s, enum auth_result *out);
/* The inverses of auth_step_name and auth_policy_name: the value, or -1 when unknown. */
int auth_step_from_name(const char *s);
int auth_policy_from_name(const char *s);

/* DKIM signing, as the sending side does before the message leaves. */
struct auth_sign {
	const char *key_pem;      /* the private key, PEM text */
	const char *domain;       /* d= */
	const char *selector;     /* s= */
	int64_t now;              /* t=: the simulated clock (a fixed time keeps runs identical) */
};

/* Signs msg (a whole message with CRLF line ends) with relaxed header and simple body
 * canonicalization and rsa-sha256. Returns 0 with *hdr a malloc'd "DKIM-Signature: ..."
 * header field (folded, CRLF-terminated) to put in front of the message, or -1 with err. */
int auth_dkim_sign(const struct auth_sign *s, const uint8_t *msg, size_t len, char **hdr, char *err,
		   size_t errcap);

/* What the receiving MX knows when it checks a message. */
struct auth_input {
	const struct dns_zone *zone;
	uint8_t ip[4];            /* the connecting client's address */
	const char *helo;         /* the EHLO/HELO name */
	const char *mail_from;    /* the envelope sender ("" for the null sender <>) */
	const uint8_t *msg;       /* the message as received (CRLF line ends) */
	size_t len;
	const char *receiver;     /* the MX's host name: the authserv-id */
	int64_t now;              /* the simulated clock */
};

#define AUTH_DOMAIN_MAX 256
#define AUTH_TEXT_MAX 256

struct auth_spf {
	enum auth_result result;
	char domain[AUTH_DOMAIN_MAX];    /* the domain checked: MAIL FROM's, or the HELO name for <> */
	int from_helo;                   /* the domain is the HELO name (null sender) */
	char record[AUTH_TEXT_MAX];      /* the SPF record found, or "" */
	int record_authenticated;        /* the resolver reported that record authenticated */
	char reason[AUTH_TEXT_MAX];      /* libspf2's comment: which mechanism decided */
};

struct auth_dkim {
	enum auth_result result;
	int signed_;                     /* the message carries a DKIM-Signature */
	char domain[AUTH_DOMAIN_MAX];    /* d= */
	char selector[64];               /* s= */
	int key_found;                   /* the selector's key record was in the zone */
	int key_authenticated;           /* ... and the resolver reported it authenticated */
	int body_hash_ok;                /* bh= matched the body (-1: not tested) */
	char reason[AUTH_TEXT_MAX];      /* libopendkim's verdict on the signature */
};

struct auth_dmarc {
	enum auth_result result;
	char from_domain[AUTH_DOMAIN_MAX]; /* the From: header's domain ("" when none) */
	char record[AUTH_TEXT_MAX];      /* the DMARC record found, or "" */
	char record_domain[AUTH_DOMAIN_MAX]; /* where it was found (_dmarc.<this>) */
	enum auth_policy policy;         /* p= (or sp= for a subdomain) */
	char adkim, aspf;                /* 'r' relaxed or 's' strict */
	int spf_aligned, dkim_aligned;   /* a passing result's domain aligns with From: */
	enum auth_policy disposition;    /* what the policy asks for this message (none when it passed) */
	char reason[AUTH_TEXT_MAX];
};

struct auth_report {
	struct auth_spf spf;
	struct auth_dkim dkim;
	struct auth_dmarc dmarc;
	char header[1024];               /* "Authentication-Results: ..." (CRLF-folded, CRLF-terminated) */
};

/* Runs SPF, DKIM and DMARC on in. Returns 0 with *out filled, or -1 with err (a library
 * could not be set up; a message that fails is not an error). */
int auth_check(const struct auth_input *in, struct auth_report *out, char *err, size_t errcap);

#endif
