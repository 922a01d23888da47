/* scenario: a lesson as a file. Parses a scenario INI (inih) into the actors' options
 * and the expectations the headless replay checks. Errors name file, line and problem. */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "sim/auth/auth.h"
#include "sim/dns/dns.h"
#include "sim/smtp/smtp_client.h"
#include "sim/smtp/smtp_server.h"
#include "sim/trace/ledger.h"
#include "sim/attack/mitm.h"
#include "sim/wire/tls.h"

#define SCENARIO_MAX_RCPT 8
#define SCENARIO_MAX_SUITES 16


/* Options shared by the TLS side of any actor. */
struct scenario_tls {
	unsigned version_min, version_max;   /* BR_TLS10..BR_TLS12, TLS13 */
	enum tls_engine engine;              /* engine = bearssl | openssl; default: by version */
	char groups[96];                     /* groups = x25519, secp256r1: ":"-joined; "" = default */
	int tls_line;                        /* the line of this actor's last TLS option, 0 = none */
	uint16_t suites[SCENARIO_MAX_SUITES];
	size_t nsuites;                      /* 0 = the simulator's default list */
	char *cert;                          /* PEM chain path (server, attacker) */
	char *key;                           /* PEM key path */
	int cert_line, key_line;             /* where the file gave them; 0 for the defaults */
};

struct scenario_client {
	enum smtp_client_tls tls;
	enum tls_verify verify;
	enum smtp_client_auth auth;
	enum smtp_buffering buffering;  /* keep = the quirk keep-buffered-replies */
	unsigned quirks;                /* enum smtp_client_quirk bits, from quirks = a, b */
	char *ehlo_name;
	char *server_name;      /* the name the client expects (SNI, host-name check) */
	char *trust;            /* PEM trust anchors path */
	char *user, *password;
	char *mail_from;
	char *rcpt[SCENARIO_MAX_RCPT];
	size_t nrcpt;
	char *body;             /* with LF line ends, as written in the file */
	struct scenario_tls tls_opt;
	/* The sending side's DKIM signature (RFC 6376), added before the message leaves. */
	int dkim_sign;
	char *dkim_domain;      /* d=; default: the domain of `from` */
	char *dkim_selector;    /* s=; default "sel" */
	char *dkim_key;         /* the private key (PEM path); default certs/dkim-demo.key */
	int dkim_break_body;    /* models a forwarder that altered the body after signing */
	int requiretls;         /* MAIL FROM with REQUIRETLS (RFC 8689): needs tls = starttls-required or implicit */
};

struct scenario_server {
	enum smtp_server_mode mode;
	enum smtp_buffering buffering;
	unsigned port;
	char *hostname;
	char *user, *password;
	size_t max_size;
	/* The server's AUTH policy, resolved at load: secure by default, careless only when
	 * the file says so. auth_requires_tls = !careless_auth_in_cleartext (every port);
	 * auth_required = !careless_accepts_unauthenticated, whose default is "careless" only
	 * on port 25 (relay), where no AUTH is asked for (RFC 5321), and "no" on every other
	 * port (submission, RFC 6409 4.3). */
	int auth_requires_tls;
	int auth_required;
	int requiretls;         /* supports REQUIRETLS (RFC 8689): offered inside TLS */
	int dmarc_reject;       /* as the receiver, refuses a message whose DMARC policy says reject */
	struct scenario_tls tls_opt;
};

/* [relay]: the server the client submits to relays the message on to the recipient's MX
 * (hop 2), as an SMTP client of its own, with its own TLS policy and trust. */
struct scenario_relay {
	enum smtp_client_tls tls;      /* default starttls-opportunistic (RFC 7435), on port 25 */
	enum tls_verify verify;        /* default none: most servers relaying mail do not check */
	char *trust;                   /* PEM trust anchors path; default the client's */
	struct scenario_tls tls_opt;
	int mta_sts;                   /* applies MTA-STS (RFC 8461) when the domain has it; default yes */
	int dane;                      /* applies DANE (RFC 7672) to authenticated TLSA records; default yes */
	int mta_sts_cached;            /* holds the policy from an earlier delivery; no = first contact */
};

/* [mx]: the recipient's MX, the end of hop 2. */
struct scenario_mx {
	enum smtp_server_mode mode;    /* default starttls */
	char *hostname;                /* default mx.example.net: also the name the relay checks */
	struct scenario_tls tls_opt;   /* its certificate and key; default certs/mx-ecdsa.pem/.key */
	int requiretls;                /* supports REQUIRETLS (RFC 8689) */
	int dmarc_reject;              /* refuses a message whose DMARC policy says reject (end of DATA) */
	char *mta_sts_policy;          /* the policy file served at https://mta-sts.DOMAIN/.well-known/
					* mta-sts.txt, lines joined with LF; NULL: none served */
};

struct scenario_mitm {
	const struct attack *attack;   /* NULL: no attacker */
	int hop;                       /* the hop it sits on: 1 (default) or 2 (needs a route) */
	struct scenario_tls tls_opt;   /* the attacker's own certificate and key */
	char *inject;                  /* commands or replies to inject, \n separated */
	unsigned tamper_record;        /* which encrypted record to tamper with (1-based) */
	char *stolen_key;              /* record: the server key obtained later */
	char *account_user, *account_password;  /* its own account on the server ("user:password") */
	char *mailbox;                 /* that account's address */
};

/* Expectations: each is checked only when set (has_* = 1). */
struct scenario_expect {
	int has_delivered, delivered;
	int has_tls, tls;                       /* client-side TLS established */
	int has_server_tls, server_tls;         /* the server's connection used TLS (with whoever) */
	int has_observer, observer;             /* OBSERVED_* bits a wire observer learns */
	int has_attacker, attacker;             /* OBSERVED_* bits the attacker learns */
	int has_altered, altered;
	int has_injected, injected;             /* injected commands/replies took effect */
	int has_decrypted_later, decrypted_later;
	char *client_error;                     /* BearSSL error name or SMTP text fragment */
	char *server_error;
	char *alert;                            /* alert description name */
	int has_spf, has_dkim, has_dmarc;       /* the receiver's verdicts on the delivered message */
	enum auth_result spf, dkim, dmarc;
	/* With a route: */
	int has_submitted, submitted;           /* the server the client submits to accepted it */
	int has_relay_tls, relay_tls;           /* hop 2 used TLS (relay to MX, whoever the ends) */
	int has_hop_observer[2], hop_observer[2]; /* OBSERVED_* bits a wire observer of hop 1 / 2 learns */
	char *received_with;                    /* "ESMTPSA, ESMTP": the Received: lines' protocols, hop 1 first */
	int has_deferred, deferred;             /* the relay's policy kept the message in its queue */
	int has_bounced, bounced;               /* a REQUIRETLS message returned to its sender */
	char *policy_result;                    /* the relay's decision as RFC 8460 says it: "success",
						 * "starttls-not-supported", "validation-failure", ... */
};

struct scenario {
	char *path;             /* as given */
	char *dir;              /* directory of the file: relative paths resolve against it */
	char *name;             /* file name without directory and .ini */
	char *title;
	char *lesson;
	/* The catalogue index: where the lesson comes from and what to compare it with. */
	char *references;       /* "RFC 3207 section 4.2; CVE-2011-0411": ';'-separated, or NULL */
	char *no_starttls;      /* the NO STARTTLS study's (USENIX Security 2021) attack class, or NULL */
	char *pair;             /* the scenario to compare with (its vulnerable or safe twin), or NULL */
	uint64_t seed;
	int64_t date;           /* simulated Unix time: the certificate-validation clock */
	struct scenario_client client;
	struct scenario_server server;
	struct scenario_mitm mitm;
	/* A route: with [relay] or [mx], the server relays the message to the recipient's MX. */
	int has_route;
	struct scenario_relay relay;
	struct scenario_mx mx;
	struct scenario_expect expect;
	/* [dns]: the simulated zone. With one, the server is the receiving MX and checks SPF,
	 * DKIM and DMARC on each message it accepts. */
	struct dns_zone dns;
	int has_dns;
};

/* How to load a scenario. The library reads no environment variable: whoever knows
 * where the data lives (the program, from its own options) says so here. */
struct scenario_load_opts {
	/* Where the demo PKI lives (the catalogue's directory, holding certs/): a relative
	 * path that is not found next to the file is looked up here. NULL: next to the
	 * file only. */
	const char *datadir;
};

/* Loads and validates path; lo may be NULL (no data directory). Returns 0, or -1 with
 * "FILE:LINE: problem" (or "FILE: problem") in err. On failure *s holds nothing to free. */
int scenario_load(const char *path, const struct scenario_load_opts *lo, struct scenario *s, char *err,
		  size_t errcap);
void scenario_free(struct scenario *s);
/* A copy for what-if runs: shares the strings of src, so only change enum and number
 * fields in it, and never scenario_free it. */
struct scenario scenario_variant(const struct scenario *src);

const char *scenario_client_tls_name(enum smtp_client_tls t);  /* "starttls-opportunistic" */
const char *scenario_server_mode_name(enum smtp_server_mode m);
const char *scenario_verify_name(enum tls_verify v);           /* "verify" / "none" */
const char *scenario_buffering_name(enum smtp_buffering b);    /* "discard" / "keep" */
const char *scenario_mitm_name(const struct attack *a);         /* "strip-starttls", "none" */
const char *scenario_auth_name(enum smtp_client_auth a);
/* The client's quirks as written in a file ("helo-fallback, keep-buffered-replies"), or
 * "" for none; keep-buffered-replies comes from buffering = keep. Returns out. */
const char *scenario_client_quirks_text(const struct scenario_client *c, char *out, size_t cap);

#endif
