/* auth: see auth.h. Three libraries, each served from the simulated zone:
 * libspf2 through its zone DNS layer (SPF_dns_zone_new, no layer below: a name not in the
 * zone does not exist), libopendkim through a key-lookup callback, libopendmarc through
 * the record text we look up ourselves (opendmarc_policy_store_dmarc). */
#include "sim/auth/auth.h"

#include <arpa/nameser.h>
#include <ctype.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include <opendkim/dkim.h>
#include <opendmarc/dmarc.h>
#include <spf2/spf.h>
#include <spf2/spf_dns_zone.h>

#include "sim/base/sb.h"

static const char *const step_names[AUTH_STEP_COUNT] = {
	"dkim-sign", "body-altered", "spf", "dkim", "dmarc", "stored", "rejected",
};
static const char *const result_names[AUTH_RESULT_COUNT] = {
	"none", "pass", "fail", "softfail", "neutral", "temperror", "permerror",
};

const char *auth_step_name(enum auth_step m)
{
	return (unsigned)m < AUTH_STEP_COUNT ? step_names[m] : "?";
}

const char *auth_result_name(enum auth_result r)
{
	return (unsigned)r < AUTH_RESULT_COUNT ? result_names[r] : "?";
}

const char *auth_policy_name(enum auth_policy p)
{
	switch (p) {
	case AUTH_POLICY_NONE: return "none";
	case AUTH_POLICY_QUARANTINE: return "quarantine";
	case AUTH_POLICY_REJECT: return "reject";
	case AUTH_POLICY_ABSENT: break;
	}
	return "absent";
}

int auth_result_parse(const char *s, enum auth_result *out)
{
	for (int i = 0; i < AUTH_RESULT_COUNT; i++)
		if (!strcmp(s, result_names[i])) {
			*out = (enum auth_result)i;
			return 0;
		}
	return -1;
}

int auth_step_from_name(const char *s)
{
	for (int i = 0; i < AUTH_STEP_COUNT; i++)
		if (s && !strcmp(s, step_names[i]))
			return i;
	return -1;
}

int auth_policy_from_name(const char *s)
{
	for (int p = AUTH_POLICY_ABSENT; p <= AUTH_POLICY_REJECT; p++)
		if (s && !strcmp(s, auth_policy_name((enum auth_policy)p)))
			return p;
	return -1;
}

/* ---- the message's header block ---- */

/* Calls fn on each header field (continuation lines included, without the CRLF that ends
 * it) and returns where the body starts (after the empty line), or len. */
static size_t each_header(const uint8_t *m, size_t len, int (*fn)(void *, const uint8_t *, size_t), void *ctx)
{
	size_t i = 0;
	while (i < len) {
		if (m[i] == '\r' && i + 1 < len && m[i + 1] == '\n')
			return i + 2; /* the empty line */
		if (m[i] == '\n')
			return i + 1;
		size_t start = i;
		for (;;) {
			const uint8_t *nl = memchr(m + i, '\n', len - i);
			i = nl ? (size_t)(nl - m) + 1 : len;
			if (i >= len || (m[i] != ' ' && m[i] != '\t'))
				break;
		}
		size_t end = i;
		if (end > start && m[end - 1] == '\n')
			end--;
		if (end > start && m[end - 1] == '\r')
			end--;
		if (fn && fn(ctx, m + start, end - start))
			return (size_t)-1;
	}
	return len;
}

struct from_find {
	char domain[AUTH_DOMAIN_MAX];
	int seen;
};

/* The From: field's domain: the address in <...>, else the last word with an '@'. */
static int find_from(void *ctx, const uint8_t *h, size_t n)
{
	struct from_find *f = ctx;
	if (f->seen || n < 5 || strncasecmp((const char *)h, "from:", 5))
		return 0;
	f->seen = 1;
	char v[512];
	size_t k = n - 5 < sizeof v - 1 ? n - 5 : sizeof v - 1;
	memcpy(v, h + 5, k);
	v[k] = '\0';
	char *addr = strchr(v, '<');
	char *end;
	if (addr && (end = strchr(addr, '>'))) {
		addr++;
		*end = '\0';
	} else
		addr = v;
	char *at = strrchr(addr, '@');
	if (!at)
		return 0;
	at++;
	size_t o = 0;
	for (; *at && !strchr(" \t\r\n>,;()", *at) && o + 1 < sizeof f->domain; at++)
		f->domain[o++] = (char)tolower((unsigned char)*at);
	f->domain[o] = '\0';
	return 0;
}

static void domain_of(const char *addr, char *out, size_t cap)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	snprintf(out, cap, "%s", at ? at + 1 : "");
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

/* The organizational domain without a public-suffix list: the last two labels. The
 * simulated zones use made-up names under .test and .example, where that is the rule. */
static const char *org_domain(const char *d)
{
	const char *last = strrchr(d, '.');
	if (!last)
		return d;
	for (const char *q = last; q-- > d;)
		if (*q == '.')
			return q + 1;
	return d;
}

/* ---- SPF ---- */

static int spf_zone_add(SPF_dns_server_t *dns, const struct dns_zone *z)
{
	for (size_t i = 0; i < z->n; i++) {
		const struct dns_record *r = &z->rr[i];
		ns_type t = r->type == DNS_A ? ns_t_a : r->type == DNS_MX ? ns_t_mx : ns_t_txt;
		if (SPF_dns_zone_add_str(dns, r->name, t, NETDB_SUCCESS, r->text) != SPF_E_SUCCESS)
			return -1;
	}
	return 0;
}

static enum auth_result spf_result(SPF_result_t r)
{
	switch (r) {
	case SPF_RESULT_PASS: return AUTH_PASS;
	case SPF_RESULT_FAIL: return AUTH_FAIL;
	case SPF_RESULT_SOFTFAIL: return AUTH_SOFTFAIL;
	case SPF_RESULT_NEUTRAL: return AUTH_NEUTRAL;
	case SPF_RESULT_TEMPERROR: return AUTH_TEMPERROR;
	case SPF_RESULT_PERMERROR: return AUTH_PERMERROR;
	case SPF_RESULT_NONE:
	case SPF_RESULT_INVALID:
	default: return AUTH_NONE;
	}
}

static int check_spf(const struct auth_input *in, struct auth_spf *o, char *err, size_t errcap)
{
	memset(o, 0, sizeof *o);
	domain_of(in->mail_from, o->domain, sizeof o->domain);
	if (!o->domain[0]) {
		snprintf(o->domain, sizeof o->domain, "%s", in->helo ? in->helo : "");
		o->from_helo = 1;
	}
	for (size_t i = 0; dns_lookup(in->zone, o->domain, DNS_TXT, i); i++) {
		const struct dns_record *r = dns_lookup(in->zone, o->domain, DNS_TXT, i);
		if (!strncasecmp(r->text, "v=spf1", 6) && (!r->text[6] || r->text[6] == ' ')) {
			snprintf(o->record, sizeof o->record, "%s", r->text);
			o->record_authenticated = r->authenticated;
			break;
		}
	}
	SPF_dns_server_t *dns = SPF_dns_zone_new(NULL, "scenario", 0);
	if (!dns || spf_zone_add(dns, in->zone)) {
		if (dns)
			SPF_dns_free(dns);
		snprintf(err, errcap, "SPF: cannot load the simulated zone into libspf2");
		return -1;
	}
	SPF_server_t *srv = SPF_server_new_dns(dns, 0);
	SPF_request_t *req = srv ? SPF_request_new(srv) : NULL;
	if (!req) {
		if (srv)
			SPF_server_free(srv);
		SPF_dns_free(dns);
		snprintf(err, errcap, "SPF: out of memory");
		return -1;
	}
	SPF_server_set_rec_dom(srv, in->receiver);
	char ip[16];
	snprintf(ip, sizeof ip, "%u.%u.%u.%u", in->ip[0], in->ip[1], in->ip[2], in->ip[3]);
	SPF_request_set_ipv4_str(req, ip);
	if (in->helo)
		SPF_request_set_helo_dom(req, in->helo);
	if (in->mail_from && in->mail_from[0])
		SPF_request_set_env_from(req, in->mail_from);
	SPF_response_t *resp = NULL;
	SPF_request_query_mailfrom(req, &resp);
	if (resp) {
		o->result = spf_result(SPF_response_result(resp));
		const char *c = SPF_response_get_header_comment(resp);
		sb_put(o->reason, sizeof o->reason, 0, "%s", c ? c : "");
		SPF_response_free(resp);
	}
	SPF_request_free(req);
	SPF_server_free(srv);
	SPF_dns_free(dns); /* a layer passed in stays the caller's */
	return 0;
}

/* ---- DKIM ---- */

struct dkim_ctx {
	const struct dns_zone *zone;
	int key_found, key_authenticated;
};

/* libopendkim asks for <selector>._domainkey.<domain> TXT: the zone answers. */
static DKIM_CBSTAT dkim_key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	struct dkim_ctx *c = dkim_get_user_context(dkim);
	char name[600];
	snprintf(name, sizeof name, "%s._domainkey.%s", (const char *)dkim_sig_getselector(sig),
		 (const char *)dkim_sig_getdomain(sig));
	const struct dns_record *r = c ? dns_lookup(c->zone, name, DNS_TXT, 0) : NULL;
	if (!r)
		return DKIM_CBSTAT_NOTFOUND;
	if (strlen(r->text) + 1 > buflen)
		return DKIM_CBSTAT_ERROR;
	c->key_found = 1;
	c->key_authenticated = r->authenticated;
	memcpy(buf, r->text, strlen(r->text) + 1);
	return DKIM_CBSTAT_CONTINUE;
}

static DKIM_LIB *dkim_lib(int64_t now)
{
	DKIM_LIB *lib = dkim_init(NULL, NULL);
	if (!lib)
		return NULL;
	uint64_t t = (uint64_t)now;
	dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &t, sizeof t);
	dkim_set_key_lookup(lib, dkim_key_lookup);
	return lib;
}

static int feed_header(void *ctx, const uint8_t *h, size_t n)
{
	return dkim_header(ctx, (u_char *)h, n) != DKIM_STAT_OK;
}

/* Feeds a whole message to a signing or verifying handle. Returns dkim_eoh's status, or
 * dkim_eom's. */
static DKIM_STAT dkim_feed(DKIM *d, const uint8_t *msg, size_t len)
{
	size_t body = each_header(msg, len, feed_header, d);
	if (body == (size_t)-1)
		return DKIM_STAT_SYNTAX;
	DKIM_STAT st = dkim_eoh(d);
	if (st != DKIM_STAT_OK)
		return st;
	if (body < len && (st = dkim_body(d, (u_char *)msg + body, len - body)) != DKIM_STAT_OK)
		return st;
	return dkim_eom(d, NULL);
}

int auth_dkim_sign(const struct auth_sign *s, const uint8_t *msg, size_t len, char **hdr, char *err, size_t errcap)
{
	*hdr = NULL;
	DKIM_LIB *lib = dkim_lib(s->now);
	if (!lib) {
		snprintf(err, errcap, "DKIM: cannot set up libopendkim");
		return -1;
	}
	DKIM_STAT st;
	/* libopendkim takes PEM only when the text starts with "-----" (else base64 DER): the
	 * demo keys begin with a "# DEMO" line. */
	const char *pem = strstr(s->key_pem, "-----BEGIN");
	DKIM *d = dkim_sign(lib, (const u_char *)"smtps-sim", NULL, (dkim_sigkey_t)(pem ? pem : s->key_pem),
			    (const u_char *)s->selector, (const u_char *)s->domain, DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE,
			    DKIM_SIGN_RSASHA256, -1, &st);
	int rc = -1;
	if (!d) {
		snprintf(err, errcap, "DKIM: cannot sign: %s", dkim_getresultstr(st));
		goto out;
	}
	if ((st = dkim_feed(d, msg, len)) != DKIM_STAT_OK) {
		snprintf(err, errcap, "DKIM: signing failed: %s", dkim_getresultstr(st));
		goto out;
	}
	static const char prefix[] = "DKIM-Signature: ";
	u_char value[4096];
	if ((st = dkim_getsighdr(d, value, sizeof value, sizeof prefix - 1)) != DKIM_STAT_OK) {
		snprintf(err, errcap, "DKIM: no signature header: %s", dkim_getresultstr(st));
		goto out;
	}
	/* libopendkim folds with a bare LF; a message on the wire has CRLF. */
	size_t vl = strlen((char *)value);
	char *h = malloc(sizeof prefix + 2 * vl + 3);
	if (!h) {
		snprintf(err, errcap, "out of memory");
		goto out;
	}
	size_t o = 0;
	memcpy(h, prefix, sizeof prefix - 1);
	o = sizeof prefix - 1;
	for (size_t i = 0; i < vl; i++) {
		if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
			h[o++] = '\r';
		h[o++] = (char)value[i];
	}
	memcpy(h + o, "\r\n", 3);
	*hdr = h;
	rc = 0;
out:
	if (d)
		dkim_free(d);
	dkim_close(lib);
	return rc;
}

static int check_dkim(const struct auth_input *in, struct auth_dkim *o, char *err, size_t errcap)
{
	memset(o, 0, sizeof *o);
	o->body_hash_ok = -1;
	DKIM_LIB *lib = dkim_lib(in->now);
	if (!lib) {
		snprintf(err, errcap, "DKIM: cannot set up libopendkim");
		return -1;
	}
	DKIM_STAT st;
	DKIM *d = dkim_verify(lib, (const u_char *)"smtps-sim", NULL, &st);
	if (!d) {
		dkim_close(lib);
		snprintf(err, errcap, "DKIM: cannot verify: %s", dkim_getresultstr(st));
		return -1;
	}
	struct dkim_ctx ctx = { .zone = in->zone };
	dkim_set_user_context(d, &ctx);
	st = dkim_feed(d, in->msg, in->len);
	DKIM_SIGINFO *sig = dkim_getsignature(d);
	if (st == DKIM_STAT_NOSIG || !sig) {
		o->result = AUTH_NONE;
		sb_put(o->reason, sizeof o->reason, 0, "the message carries no DKIM-Signature");
	} else {
		o->signed_ = 1;
		snprintf(o->domain, sizeof o->domain, "%s", (const char *)dkim_sig_getdomain(sig));
		snprintf(o->selector, sizeof o->selector, "%s", (const char *)dkim_sig_getselector(sig));
		int bh = dkim_sig_getbh(sig);
		o->body_hash_ok = bh == DKIM_SIGBH_MATCH ? 1 : bh == DKIM_SIGBH_MISMATCH ? 0 : -1;
		o->key_found = ctx.key_found;
		o->key_authenticated = ctx.key_authenticated;
		if (st == DKIM_STAT_OK && DKIM_SIG_CHECK(sig)) {
			o->result = AUTH_PASS;
			sb_put(o->reason, sizeof o->reason, 0, "signature verified with the key at %s._domainkey.%s",
				 o->selector, o->domain);
		} else if (!ctx.key_found) {
			o->result = AUTH_PERMERROR;
			sb_put(o->reason, sizeof o->reason, 0, "no key published at %s._domainkey.%s", o->selector,
				 o->domain);
		} else if (o->body_hash_ok == 0) {
			o->result = AUTH_FAIL;
			sb_put(o->reason, sizeof o->reason, 0, "body hash did not verify");
		} else {
			o->result = AUTH_FAIL;
			int e = dkim_sig_geterror(sig);
			const char *es = e ? dkim_sig_geterrorstr(e) : NULL;
			sb_put(o->reason, sizeof o->reason, 0, "%s", es ? es : dkim_getresultstr(st));
		}
	}
	dkim_free(d);
	dkim_close(lib);
	return 0;
}

/* ---- DMARC ---- */

static enum auth_policy dmarc_policy(int p)
{
	switch (p) {
	case DMARC_RECORD_P_NONE: return AUTH_POLICY_NONE;
	case DMARC_RECORD_P_QUARANTINE: return AUTH_POLICY_QUARANTINE;
	case DMARC_RECORD_P_REJECT: return AUTH_POLICY_REJECT;
	default: return AUTH_POLICY_ABSENT;
	}
}

/* The DMARC record for domain: at _dmarc.<domain>, else at the organizational domain. */
static const struct dns_record *dmarc_record(const struct dns_zone *z, const char *domain, const char **where)
{
	const char *tries[2] = { domain, org_domain(domain) };
	for (int t = 0; t < 2; t++) {
		if (t == 1 && !strcmp(tries[1], domain))
			break;
		char name[AUTH_DOMAIN_MAX + 8];
		snprintf(name, sizeof name, "_dmarc.%s", tries[t]);
		for (size_t i = 0; dns_lookup(z, name, DNS_TXT, i); i++) {
			const struct dns_record *r = dns_lookup(z, name, DNS_TXT, i);
			if (!strncmp(r->text, "v=DMARC1", 8)) {
				*where = tries[t];
				return r;
			}
		}
	}
	return NULL;
}

static int check_dmarc(const struct auth_input *in, const struct auth_report *rep, struct auth_dmarc *o, char *err,
		       size_t errcap)
{
	memset(o, 0, sizeof *o);
	struct from_find ff = { .seen = 0 };
	each_header(in->msg, in->len, find_from, &ff);
	snprintf(o->from_domain, sizeof o->from_domain, "%s", ff.domain);
	if (!o->from_domain[0]) {
		o->result = AUTH_PERMERROR;
		sb_put(o->reason, sizeof o->reason, 0, "the message has no From: domain to check");
		return 0;
	}
	const char *where = NULL;
	const struct dns_record *r = dmarc_record(in->zone, o->from_domain, &where);
	if (!r) {
		o->result = AUTH_NONE;
		sb_put(o->reason, sizeof o->reason, 0, "%s publishes no DMARC record", o->from_domain);
		return 0;
	}
	snprintf(o->record, sizeof o->record, "%s", r->text);
	snprintf(o->record_domain, sizeof o->record_domain, "%s", where);
	static OPENDMARC_LIB_T lib_cfg; /* only read by the library: no network, no suffix list */
	lib_cfg.tld_type = OPENDMARC_TLD_TYPE_NONE;
	opendmarc_policy_library_init(&lib_cfg);
	u_char ip[16];
	snprintf((char *)ip, sizeof ip, "%u.%u.%u.%u", in->ip[0], in->ip[1], in->ip[2], in->ip[3]);
	DMARC_POLICY_T *p = opendmarc_policy_connect_init(ip, DMARC_POLICY_IP_TYPE_IPV4);
	if (!p) {
		snprintf(err, errcap, "DMARC: out of memory");
		return -1;
	}
	opendmarc_policy_store_from_domain(p, (u_char *)o->from_domain);
	int st = opendmarc_policy_store_dmarc(p, (u_char *)o->record, (u_char *)o->from_domain,
					      strcmp(where, o->from_domain) ? (u_char *)where : NULL);
	if (st != DMARC_PARSE_OKAY) {
		o->result = AUTH_PERMERROR;
		sb_put(o->reason, sizeof o->reason, 0, "the DMARC record does not parse: %s",
			 opendmarc_policy_status_to_str(st));
		opendmarc_policy_connect_shutdown(p);
		return 0;
	}
	if (rep->spf.domain[0]) {
		int spf = rep->spf.result == AUTH_PASS ? DMARC_POLICY_SPF_OUTCOME_PASS
			  : rep->spf.result == AUTH_TEMPERROR ? DMARC_POLICY_SPF_OUTCOME_TMPFAIL
			  : rep->spf.result == AUTH_NONE ? DMARC_POLICY_SPF_OUTCOME_NONE
			  : DMARC_POLICY_SPF_OUTCOME_FAIL;
		opendmarc_policy_store_spf(p, (u_char *)rep->spf.domain, spf,
					   rep->spf.from_helo ? DMARC_POLICY_SPF_ORIGIN_HELO : DMARC_POLICY_SPF_ORIGIN_MAILFROM,
					   NULL);
	}
	if (rep->dkim.signed_) {
		int dk = rep->dkim.result == AUTH_PASS ? DMARC_POLICY_DKIM_OUTCOME_PASS
			 : rep->dkim.result == AUTH_TEMPERROR ? DMARC_POLICY_DKIM_OUTCOME_TMPFAIL
			 : DMARC_POLICY_DKIM_OUTCOME_FAIL;
		opendmarc_policy_store_dkim(p, (u_char *)rep->dkim.domain, (u_char *)rep->dkim.selector, dk, NULL);
	}
	int verdict = opendmarc_get_policy_to_enforce(p);
	int dkim_al = 0, spf_al = 0, pol = 0, adkim = 0, aspf = 0;
	opendmarc_policy_fetch_alignment(p, &dkim_al, &spf_al);
	opendmarc_policy_fetch_p(p, &pol);
	opendmarc_policy_fetch_adkim(p, &adkim);
	opendmarc_policy_fetch_aspf(p, &aspf);
	if (opendmarc_get_policy_token_used(p) == DMARC_USED_POLICY_IS_SP)
		opendmarc_policy_fetch_sp(p, &pol);
	opendmarc_policy_connect_shutdown(p);
	o->policy = dmarc_policy(pol);
	o->adkim = adkim == DMARC_RECORD_A_STRICT ? 's' : 'r';
	o->aspf = aspf == DMARC_RECORD_A_STRICT ? 's' : 'r';
	o->dkim_aligned = dkim_al == DMARC_POLICY_DKIM_ALIGNMENT_PASS;
	o->spf_aligned = spf_al == DMARC_POLICY_SPF_ALIGNMENT_PASS;
	if (verdict == DMARC_POLICY_PASS) {
		o->result = AUTH_PASS;
		o->disposition = AUTH_POLICY_NONE;
	} else {
		o->result = AUTH_FAIL;
		o->disposition = verdict == DMARC_POLICY_REJECT ? AUTH_POLICY_REJECT
				 : verdict == DMARC_POLICY_QUARANTINE ? AUTH_POLICY_QUARANTINE : AUTH_POLICY_NONE;
	}
	/* The reason, from the facts just found. */
	size_t n = 0;
	char *b = o->reason;
	size_t cap = sizeof o->reason;
	if (o->spf_aligned)
		n = sb_put(b, cap, n, "SPF passed for %s, aligned with From: %s", rep->spf.domain, o->from_domain);
	else if (rep->spf.result == AUTH_PASS)
		n = sb_put(b, cap, n, "SPF passed for %s, not aligned with From: %s", rep->spf.domain, o->from_domain);
	else
		n = sb_put(b, cap, n, "SPF %s for %s", auth_result_name(rep->spf.result),
			   rep->spf.domain[0] ? rep->spf.domain : "(no domain)");
	if (!rep->dkim.signed_)
		n = sb_put(b, cap, n, "; no DKIM signature");
	else if (o->dkim_aligned)
		n = sb_put(b, cap, n, "; DKIM passed for %s, aligned", rep->dkim.domain);
	else if (rep->dkim.result == AUTH_PASS)
		n = sb_put(b, cap, n, "; DKIM passed for %s, not aligned", rep->dkim.domain);
	else
		n = sb_put(b, cap, n, "; DKIM %s for %s", auth_result_name(rep->dkim.result), rep->dkim.domain);
	sb_put(b, cap, n, "; policy p=%s", auth_policy_name(o->policy));
	return 0;
}

/* ---- the header ---- */

static void results_header(const struct auth_input *in, struct auth_report *r)
{
	char *b = r->header;
	size_t cap = sizeof r->header, n = 0;
	n = sb_put(b, cap, n, "Authentication-Results: %s;\r\n\tspf=%s", in->receiver, auth_result_name(r->spf.result));
	if (r->spf.domain[0])
		n = sb_put(b, cap, n, " smtp.%s=%s", r->spf.from_helo ? "helo" : "mailfrom", r->spf.domain);
	n = sb_put(b, cap, n, ";\r\n\tdkim=%s", auth_result_name(r->dkim.result));
	if (r->dkim.signed_ && r->dkim.result != AUTH_PASS)
		n = sb_put(b, cap, n, " (%s)", r->dkim.reason);
	if (r->dkim.signed_)
		n = sb_put(b, cap, n, " header.d=%s header.s=%s", r->dkim.domain, r->dkim.selector);
	n = sb_put(b, cap, n, ";\r\n\tdmarc=%s", auth_result_name(r->dmarc.result));
	if (r->dmarc.record[0])
		n = sb_put(b, cap, n, " (p=%s dis=%s)", auth_policy_name(r->dmarc.policy),
			   auth_policy_name(r->dmarc.disposition));
	if (r->dmarc.from_domain[0])
		n = sb_put(b, cap, n, " header.from=%s", r->dmarc.from_domain);
	sb_put(b, cap, n, "\r\n");
}

int auth_check(const struct auth_input *in, struct auth_report *out, char *err, size_t errcap)
{
	memset(out, 0, sizeof *out);
	if (check_spf(in, &out->spf, err, errcap) || check_dkim(in, &out->dkim, err, errcap) ||
	    check_dmarc(in, out, &out->dmarc, err, errcap))
		return -1;
	results_header(in, out);
	return 0;
}
