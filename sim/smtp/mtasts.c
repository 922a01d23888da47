/* mtasts: RFC 8461's record and policy grammars, MX pattern matching, the sender's
 * policy cache and the deliver / report / defer decision. The parsers read exactly the
 * n bytes they are given (no NUL needed), so they are safe on any input. */
#include "sim/smtp/mtasts.h"

#include <bearssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void seterr(char *err, size_t errcap, const char *fmt, ...)
{
	if (!err || !errcap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errcap, fmt, ap);
	va_end(ap);
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

static bool is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

/* A printable excerpt of untrusted bytes for an error message. */
static const char *show(const char *p, size_t n, char *buf, size_t cap)
{
	size_t j = 0;
	for (size_t i = 0; i < n && j + 4 < cap; i++) {
		unsigned char c = (unsigned char)p[i];
		buf[j++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (n && j + 4 >= cap && j >= 3)
		memcpy(buf + j - 3, "...", 3);
	buf[j] = '\0';
	return buf;
}

/* ---- the TXT record ---- */

/* sts-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") */
static bool ext_name_ok(const char *p, size_t n)
{
	if (n < 1 || n > 32 || !is_alnum((unsigned char)p[0]))
		return false;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (!is_alnum(c) && c != '_' && c != '-' && c != '.')
			return false;
	}
	return true;
}

/* sts-ext-value = 1*(%x21-3A / %x3C / %x3E-7E): no space, ';', '=' or control. */
static bool ext_value_ok(const char *p, size_t n)
{
	if (n < 1)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x21 || c > 0x7e || c == ';' || c == '=')
			return false;
	}
	return true;
}

static int record_parse(const char *txt, size_t n, struct mtasts_record *out,
			char *err, size_t errcap)
{
	static const char ver[] = "v=STSv1";
	char sb[48];
	memset(out, 0, sizeof *out);
	if (n < sizeof ver - 1 || memcmp(txt, ver, sizeof ver - 1) != 0) {
		seterr(err, errcap, "record: does not begin with v=STSv1");
		return -1;
	}
	size_t i = sizeof ver - 1;
	bool have_id = false;
	int nfield = 0;
	for (;;) {
		/* *WSP ";" *WSP field, or a final ";" (trailing blanks tolerated) */
		while (i < n && is_wsp((unsigned char)txt[i]))
			i++;
		if (i == n)
			break;
		if (txt[i] != ';') {
			seterr(err, errcap, "record: expected ';' before '%s'",
			       show(txt + i, n - i, sb, sizeof sb));
			return -1;
		}
		i++;
		while (i < n && is_wsp((unsigned char)txt[i]))
			i++;
		if (i == n)
			break;
		size_t s = i;
		while (i < n && txt[i] != '=' && txt[i] != ';' && !is_wsp((unsigned char)txt[i]))
			i++;
		size_t name_len = i - s;
		if (i == n || txt[i] != '=') {
			seterr(err, errcap, "record: field '%s' has no '='",
			       show(txt + s, name_len, sb, sizeof sb));
			return -1;
		}
		i++;
		size_t v = i;
		while (i < n && txt[i] != ';' && !is_wsp((unsigned char)txt[i]))
			i++;
		size_t vlen = i - v;
		nfield++;
		if (name_len == 2 && memcmp(txt + s, "id", 2) == 0) {
			if (have_id) {
				seterr(err, errcap, "record: id given twice");
				return -1;
			}
			bool ok = vlen >= 1 && vlen <= MTASTS_ID_MAX;
			for (size_t k = 0; ok && k < vlen; k++)
				ok = is_alnum((unsigned char)txt[v + k]);
			if (!ok) {
				seterr(err, errcap, "record: id '%s' is not 1 to 32 letters or digits",
				       show(txt + v, vlen, sb, sizeof sb));
				return -1;
			}
			memcpy(out->id, txt + v, vlen);
			out->id[vlen] = '\0';
			have_id = true;
		} else if (!ext_name_ok(txt + s, name_len) || !ext_value_ok(txt + v, vlen)) {
			seterr(err, errcap, "record: malformed field '%s'",
			       show(txt + s, i - s, sb, sizeof sb));
			return -1;
		}
	}
	if (!have_id) {
		seterr(err, errcap, nfield ? "record: no id field" : "record: no fields after v=STSv1");
		return -1;
	}
	return 0;
}

int mtasts_record_parse(const char *txt, size_t n, struct mtasts_record *out,
			char *err, size_t errcap)
{
	if (record_parse(txt, n, out, err, errcap) == 0)
		return 0;
	memset(out, 0, sizeof *out);
	return -1;
}

int mtasts_record_select(const char *const *txts, const size_t *lens, size_t ntxt,
			 struct mtasts_record *out, char *err, size_t errcap)
{
	static const char pre[] = "v=STSv1;";
	size_t found = 0, which = 0;
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < ntxt; i++)
		if (lens[i] >= sizeof pre - 1 && memcmp(txts[i], pre, sizeof pre - 1) == 0) {
			if (!found)
				which = i;
			found++;
		}
	if (found != 1) {
		seterr(err, errcap, found ? "%zu records begin with v=STSv1;"
					  : "no record begins with v=STSv1;", found);
		return -1;
	}
	return mtasts_record_parse(txts[which], lens[which], out, err, errcap);
}

/* ---- the policy file ---- */

/* Domain (RFC 5321): labels of letters, digits and hyphens, neither end a hyphen. */
static bool domain_ok(const char *p, size_t n)
{
	if (n < 1 || n > MTASTS_HOST_MAX)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '.') {
			if (label == 0 || p[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!is_alnum(c) && !(c == '-' && label > 0))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && p[n - 1] != '-';
}

static bool key_is(const char *k, size_t kn, const char *name)
{
	return strlen(name) == kn && memcmp(k, name, kn) == 0;
}

const char *mtasts_mode_name(enum mtasts_mode m)
{
	switch (m) {
	case MTASTS_MODE_NONE: return "none";
	case MTASTS_MODE_TESTING: return "testing";
	case MTASTS_MODE_ENFORCE: return "enforce";
	}
	return "?";
}

int mtasts_policy_parse(const char *text, size_t n, struct mtasts_policy *out,
			char *err, size_t errcap)
{
	char sb[48];
	bool have_version = false, have_mode = false, have_age = false;
	memset(out, 0, sizeof *out);
	size_t i = 0;
	unsigned line = 0;
	while (i < n) {
		line++;
		size_t s = i;
		while (i < n && text[i] != '\n')
			i++;
		size_t e = i; /* end of line, before LF */
		if (i < n)
			i++;
		if (e > s && text[e - 1] == '\r')
			e--;
		if (e == s)
			continue; /* an empty line */
		const char *l = text + s;
		size_t ln = e - s;
		for (size_t k = 0; k < ln; k++) {
			unsigned char c = (unsigned char)l[k];
			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				seterr(err, errcap, "line %u: control character 0x%02x", line, c);
				goto bad;
			}
		}
		const char *colon = memchr(l, ':', ln);
		if (!colon) {
			seterr(err, errcap, "line %u: '%s' is not 'key: value'", line, show(l, ln, sb, sizeof sb));
			goto bad;
		}
		size_t kn = (size_t)(colon - l);
		size_t v = kn + 1;
		while (v < ln && is_wsp((unsigned char)l[v]))
			v++;
		size_t ve = ln;
		while (ve > v && is_wsp((unsigned char)l[ve - 1]))
			ve--;
		const char *val = l + v;
		size_t vn = ve - v;
		if (key_is(l, kn, "version")) {
			if (have_version) {
				seterr(err, errcap, "line %u: version given twice", line);
				goto bad;
			}
			if (!(vn == 5 && memcmp(val, "STSv1", 5) == 0)) {
				seterr(err, errcap, "line %u: version '%s' is not STSv1", line, show(val, vn, sb, sizeof sb));
				goto bad;
			}
			have_version = true;
		} else if (key_is(l, kn, "mode")) {
			if (have_mode) {
				seterr(err, errcap, "line %u: mode given twice", line);
				goto bad;
			}
			if (vn == 7 && memcmp(val, "enforce", 7) == 0)
				out->mode = MTASTS_MODE_ENFORCE;
			else if (vn == 7 && memcmp(val, "testing", 7) == 0)
				out->mode = MTASTS_MODE_TESTING;
			else if (vn == 4 && memcmp(val, "none", 4) == 0)
				out->mode = MTASTS_MODE_NONE;
			else {
				seterr(err, errcap, "line %u: mode '%s' is not enforce, testing or none",
				       line, show(val, vn, sb, sizeof sb));
				goto bad;
			}
			have_mode = true;
		} else if (key_is(l, kn, "max_age")) {
			if (have_age) {
				seterr(err, errcap, "line %u: max_age given twice", line);
				goto bad;
			}
			/* 1*10(DIGIT), at most 31557600 */
			uint64_t a = 0;
			bool ok = vn >= 1 && vn <= 10;
			for (size_t k = 0; ok && k < vn; k++) {
				ok = is_digit((unsigned char)val[k]);
				a = a * 10 + (uint64_t)(val[k] - '0');
			}
			if (!ok) {
				seterr(err, errcap, "line %u: max_age '%s' is not 1 to 10 digits",
				       line, show(val, vn, sb, sizeof sb));
				goto bad;
			}
			if (a > MTASTS_MAX_AGE_MAX) {
				seterr(err, errcap, "line %u: max_age %llu is above %u (one year)",
				       line, (unsigned long long)a, MTASTS_MAX_AGE_MAX);
				goto bad;
			}
			out->max_age = (uint32_t)a;
			have_age = true;
		} else if (key_is(l, kn, "mx")) {
			/* ["*."] Domain */
			size_t off = vn >= 2 && val[0] == '*' && val[1] == '.' ? 2 : 0;
			if (!domain_ok(val + off, vn - off) || vn > MTASTS_HOST_MAX) {
				seterr(err, errcap, "line %u: mx '%s' is not a host name or *.domain",
				       line, show(val, vn, sb, sizeof sb));
				goto bad;
			}
			if (out->n_mx == MTASTS_MX_MAX) {
				seterr(err, errcap, "line %u: more than %d mx patterns", line, MTASTS_MX_MAX);
				goto bad;
			}
			memcpy(out->mx[out->n_mx], val, vn);
			out->mx[out->n_mx][vn] = '\0';
			out->n_mx++;
		} else {
			/* sts-policy-extension: a well-formed unknown key is ignored */
			if (!ext_name_ok(l, kn) || vn == 0) {
				seterr(err, errcap, "line %u: '%s' is not 'key: value'", line, show(l, ln, sb, sizeof sb));
				goto bad;
			}
		}
	}
	if (!have_version) {
		seterr(err, errcap, "policy: no version field");
		goto bad;
	}
	if (!have_mode) {
		seterr(err, errcap, "policy: no mode field");
		goto bad;
	}
	if (!have_age) {
		seterr(err, errcap, "policy: no max_age field");
		goto bad;
	}
	if (out->n_mx == 0 && out->mode != MTASTS_MODE_NONE) {
		seterr(err, errcap, "policy: mode %s needs at least one mx", mtasts_mode_name(out->mode));
		goto bad;
	}
	return 0;
bad:
	memset(out, 0, sizeof *out);
	return -1;
}

/* ---- MX matching ---- */

/* Length without one trailing dot. */
static size_t name_len(const char *s)
{
	size_t n = strlen(s);
	return n && s[n - 1] == '.' ? n - 1 : n;
}

static bool name_eq(const char *a, size_t an, const char *b, size_t bn)
{
	if (an != bn)
		return false;
	for (size_t i = 0; i < an; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return false;
	return true;
}

bool mtasts_mx_match(const char *pattern, const char *host)
{
	size_t pn = name_len(pattern), hn = name_len(host);
	if (pn == 0 || hn == 0)
		return false;
	if (pn >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* "*.example.net": exactly one non-empty label before ".example.net" */
		const char *dot = memchr(host, '.', hn);
		if (!dot || dot == host)
			return false;
		size_t rest = hn - (size_t)(dot - host);
		return name_eq(pattern + 1, pn - 1, dot, rest);
	}
	return name_eq(pattern, pn, host, hn);
}

int mtasts_policy_match(const struct mtasts_policy *p, const char *host)
{
	for (size_t i = 0; i < p->n_mx; i++)
		if (mtasts_mx_match(p->mx[i], host))
			return (int)i;
	return -1;
}

/* ---- the cache ---- */

void mtasts_cache_init(struct mtasts_cache *c)
{
	memset(c, 0, sizeof *c);
}

static const struct mtasts_cache_entry *find(const struct mtasts_cache *c, const char *domain)
{
	size_t dn = name_len(domain);
	for (size_t i = 0; i < c->n; i++)
		if (name_eq(c->e[i].domain, strlen(c->e[i].domain), domain, dn))
			return &c->e[i];
	return NULL;
}

static bool expired(const struct mtasts_cache_entry *e, uint64_t now)
{
	return now >= e->fetched + e->policy.max_age;
}

const struct mtasts_cache_entry *mtasts_cache_get(const struct mtasts_cache *c,
						  const char *domain, uint64_t now)
{
	const struct mtasts_cache_entry *e = find(c, domain);
	return e && !expired(e, now) ? e : NULL;
}

enum mtasts_plan mtasts_cache_plan(const struct mtasts_cache *c, const char *domain,
				   const struct mtasts_record *rec, uint64_t now)
{
	const struct mtasts_cache_entry *e = find(c, domain);
	if (e && expired(e, now))
		return rec ? MTASTS_PLAN_FETCH_EXPIRED : MTASTS_PLAN_NO_POLICY;
	if (!e)
		return rec ? MTASTS_PLAN_FETCH_FIRST : MTASTS_PLAN_NO_POLICY;
	if (rec && strcmp(rec->id, e->id) != 0)
		return MTASTS_PLAN_FETCH_CHANGED;
	return MTASTS_PLAN_USE_CACHED;
}

int mtasts_cache_store(struct mtasts_cache *c, const char *domain, const char *id,
		       const struct mtasts_policy *p, uint64_t now)
{
	size_t dn = name_len(domain);
	if (dn == 0 || dn > MTASTS_HOST_MAX || strlen(id) > MTASTS_ID_MAX)
		return -1;
	struct mtasts_cache_entry *e = (struct mtasts_cache_entry *)find(c, domain);
	if (!e) {
		if (c->n < MTASTS_CACHE_MAX) {
			e = &c->e[c->n++];
		} else {
			e = &c->e[0];
			for (size_t i = 1; i < c->n; i++)
				if (c->e[i].fetched < e->fetched)
					e = &c->e[i];
		}
	}
	memset(e, 0, sizeof *e);
	for (size_t i = 0; i < dn; i++)
		e->domain[i] = (char)lower((unsigned char)domain[i]);
	strcpy(e->id, id);
	e->fetched = now;
	e->policy = *p;
	return 0;
}

const char *mtasts_plan_name(enum mtasts_plan p)
{
	switch (p) {
	case MTASTS_PLAN_NO_POLICY: return "no MTA-STS record and no cached policy";
	case MTASTS_PLAN_USE_CACHED: return "the cached policy applies";
	case MTASTS_PLAN_FETCH_FIRST: return "first contact: no cached policy";
	case MTASTS_PLAN_FETCH_CHANGED: return "the record's id changed: fetch the new policy";
	case MTASTS_PLAN_FETCH_EXPIRED: return "the cached policy expired (max_age): fetch it again";
	}
	return "?";
}

/* ---- the decision ---- */

const char *mtasts_action_name(enum mtasts_action a)
{
	switch (a) {
	case MTASTS_DELIVER: return "deliver";
	case MTASTS_DELIVER_REPORT: return "deliver-and-report";
	case MTASTS_DEFER: return "defer";
	}
	return "?";
}

static const char *cert_result_type(int br_err)
{
	switch (br_err) {
	case BR_ERR_X509_BAD_SERVER_NAME: return "certificate-host-mismatch";
	case BR_ERR_X509_EXPIRED: return "certificate-expired";
	case BR_ERR_X509_NOT_TRUSTED: return "certificate-not-trusted";
	}
	return "validation-failure";
}

enum mtasts_action mtasts_decide(const struct mtasts_policy *p, const char *mx_host,
				 const struct mtasts_tls *t, struct mtasts_decision *d)
{
	memset(d, 0, sizeof *d);
	if (!p || p->mode == MTASTS_MODE_NONE) {
		snprintf(d->reason, sizeof d->reason, "%s: deliver as without MTA-STS",
			 p ? "policy mode none" : "no MTA-STS policy");
		d->action = MTASTS_DELIVER;
		return d->action;
	}
	char what[200];
	if (mtasts_policy_match(p, mx_host) < 0) {
		snprintf(what, sizeof what, "MX host %.100s is not listed in the policy", mx_host);
		d->result_type = "validation-failure";
	} else if (!t || !t->starttls) {
		snprintf(what, sizeof what, "MX host %.100s did not offer STARTTLS", mx_host);
		d->result_type = "starttls-not-supported";
	} else if (!t->cert_valid) {
		snprintf(what, sizeof what, "the certificate of %.60s is not valid for it: %.80s", mx_host,
			 t->why ? t->why : "validation failed");
		d->result_type = cert_result_type(t->br_err);
	} else {
		snprintf(d->reason, sizeof d->reason,
			 "MX host %.100s is listed and presented a valid certificate over TLS", mx_host);
		d->action = MTASTS_DELIVER;
		return d->action;
	}
	if (p->mode == MTASTS_MODE_TESTING) {
		d->action = MTASTS_DELIVER_REPORT;
		snprintf(d->reason, sizeof d->reason, "%s; mode testing: deliver and report", what);
	} else {
		d->action = MTASTS_DEFER;
		snprintf(d->reason, sizeof d->reason, "%s; mode enforce: do not deliver to this MX", what);
	}
	return d->action;
}
