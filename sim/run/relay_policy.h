/* relay_policy: what the sending server asks before it relays a message on hop 2, and
 * what it decides after. Before dialling the MX it looks up the recipient domain's
 * MTA-STS record and policy (RFC 8461) and the MX's TLSA records (DANE, RFC 7672) in the
 * scenario's zone; a policy in force makes TLS mandatory, and the relay then takes the
 * MX's certificate chain as presented and checks it itself once the handshake is done
 * (the MX name and a valid chain for MTA-STS, a TLSA match for DANE). A failed check
 * under enforce (or any DANE failure) defers the message (RFC 8461 section 5, RFC 7672
 * section 2.2); under testing it is delivered and the failure reported (TLS-RPT).
 *
 * Each step is a TK_POLICY event whose facts are numbers and fields: subtype is the step,
 * policy the kind of policy in force (enum relay_policy_kind), verdict the action (enum
 * mtasts_action) on the decision; fields name the domain, the MX host, the policy's text
 * lines or records and the RFC 8460 result type ("success" or e.g.
 * "starttls-not-supported"). The TLS-RPT report and the outcome are made from them. */
#ifndef SIM_RELAY_POLICY_H
#define SIM_RELAY_POLICY_H

#include <stddef.h>

#include "sim/smtp/mtasts.h"
#include "sim/wire/dane.h"

enum relay_policy_kind {
	RELAY_POLICY_NONE,  /* no policy found: opportunistic TLS ("no-policy-found") */
	RELAY_POLICY_STS,   /* an MTA-STS policy ("sts") */
	RELAY_POLICY_TLSA,  /* an authenticated TLSA RRset ("tlsa") */
};

/* TK_POLICY subtypes. */
enum relay_policy_step {
	POLICY_STS_RECORD,  /* the _mta-sts TXT record looked up */
	POLICY_STS_FETCH,   /* the policy fetched over HTTPS, or taken from the cache */
	POLICY_TLSA,        /* the TLSA records at _25._tcp.MX looked up */
	POLICY_DECISION,    /* deliver, deliver and report, or defer: after TLS, or without it */
	POLICY_TLS_OPTIONAL,/* the message says TLS-Required: No (RFC 8689): policies ignored */
	POLICY_REQUIRETLS,  /* a REQUIRETLS message: verdict 0 relayed as required, 1 bounced */
};

#define RELAY_POLICY_MAX_TLSA 8

/* The policy the relay carries into hop 2 (filled by relay_policy_lookup). */
struct relay_policy {
	enum relay_policy_kind kind;
	char domain[MTASTS_HOST_MAX + 1];    /* the policy domain: the recipient's */
	char mx_host[MTASTS_HOST_MAX + 1];
	struct mtasts_policy sts;
	struct dane_tlsa tlsa[RELAY_POLICY_MAX_TLSA];
	size_t ntlsa;
	int requires_tls;   /* the relay must not send the message in cleartext */
	int checks_cert;    /* the relay checks the presented chain itself after the handshake */
	int decided;        /* the decision event is written */
	int deferred;       /* ... and it was to defer */
	int requiretls;     /* the message came with REQUIRETLS (RFC 8689) */
	int tls_optional;   /* the message says TLS-Required: No */
};

const char *relay_policy_kind_name(enum relay_policy_kind k);  /* "no-policy-found", "sts", "tlsa" */
const char *relay_policy_step_name(enum relay_policy_step s);  /* "mta-sts-record", ... */
/* The inverses: the value, or -1 for an unknown name. */
int relay_policy_kind_from_name(const char *name);
int relay_policy_step_from_name(const char *name);

#endif
