/* dns: see dns.h. The zone syntax is documented in README.md ("Writing a scenario"). */
#include "sim/dns/dns.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DNS_NAME_MAX 253
#define DNS_TXT_STRING_MAX 255
#define DNS_TXT_MAX 4096

void dns_zone_init(struct dns_zone *z)
{
	memset(z, 0, sizeof *z);
}

void dns_zone_free(struct dns_zone *z)
{
	for (size_t i = 0; i < z->n; i++) {
		free(z->rr[i].name);
		free(z->rr[i].text);
		free(z->rr[i].data);
	}
	free(z->rr);
	memset(z, 0, sizeof *z);
}

const char *dns_type_name(enum dns_type t)
{
	switch (t) {
	case DNS_A: return "A";
	case DNS_MX: return "MX";
	case DNS_TXT: return "TXT";
	case DNS_TLSA: return "TLSA";
	}
	return "?";
}

/* A host name as the checks look it up: letters, digits, '-', '_' (for _dmarc and
 * _domainkey), labels of 1..63 separated by single dots. Writes it lower case, without a
 * trailing dot, into out (DNS_NAME_MAX + 1 bytes). */
static int parse_name(const char *s, size_t n, char *out)
{
	if (n && s[n - 1] == '.')
		n--;
	if (!n || n > DNS_NAME_MAX)
		return -1;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '.') {
			if (!label)
				return -1;
			label = 0;
		} else if (isalnum(ch) || ch == '-' || ch == '_') {
			if (++label > 63)
				return -1;
		} else
			return -1;
		out[i] = (char)tolower(ch);
	}
	if (!label)
		return -1;
	out[n] = '\0';
	return 0;
}

int dns_name_valid(const char *s)
{
	char out[DNS_NAME_MAX + 2];
	return parse_name(s, strlen(s), out) == 0;
}

/* The next blank-separated word of *p (a quoted string is one word); *p moves past it. 0
 * at the end of the line or at a comment. */
static size_t next_word(const char **p, const char **start)
{
	const char *s = *p;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	*start = s;
	if (!*s || *s == ';' || *s == '#') {
		*p = s;
		return 0;
	}
	if (*s == '"') {
		const char *e = s + 1;
		while (*e && *e != '"' && *e != '\r' && *e != '\n') {
			if (*e == '\\' && e[1] && e[1] != '\r' && e[1] != '\n')
				e++;
			e++;
		}
		if (*e == '"')
			e++;
		*p = e;
		return (size_t)(e - s);
	}
	const char *e = s;
	while (*e && *e != ' ' && *e != '\t' && *e != '\r' && *e != '\n')
		e++;
	*p = e;
	return (size_t)(e - s);
}

static int word_is(const char *w, size_t n, const char *lit)
{
	return strlen(lit) == n && !strncasecmp(w, lit, n);
}

/* Appends the quoted string w (n bytes, quotes included) to the TXT record r. */
static int add_txt_string(struct dns_record *r, const char *w, size_t n, char *err, size_t errcap)
{
	if (n < 2 || w[n - 1] != '"' || (n >= 3 && w[n - 2] == '\\' && (n < 4 || w[n - 3] != '\\'))) {
		snprintf(err, errcap, "unterminated string %.*s (a TXT string is \"quoted\")", (int)(n > 40 ? 40 : n), w);
		return -1;
	}
	char buf[DNS_TXT_STRING_MAX + 1];
	size_t k = 0;
	for (size_t i = 1; i + 1 < n; i++) {
		char ch = w[i];
		if (ch == '\\')
			ch = w[++i];
		if (k == DNS_TXT_STRING_MAX) {
			snprintf(err, errcap, "a TXT string is at most %d bytes: split it into several \"strings\"",
				 DNS_TXT_STRING_MAX);
			return -1;
		}
		buf[k++] = ch;
	}
	size_t old = r->text ? strlen(r->text) : 0;
	if (old + k > DNS_TXT_MAX) {
		snprintf(err, errcap, "TXT record longer than %d bytes", DNS_TXT_MAX);
		return -1;
	}
	char *t = realloc(r->text, old + k + 1);
	if (!t) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	memcpy(t + old, buf, k);
	t[old + k] = '\0';
	r->text = t;
	r->nstrings++;
	return 0;
}

/* The rest of a TXT line: strings, then at most the marker. */
static int txt_rest(struct dns_record *r, const char *p, char *err, size_t errcap)
{
	const char *w;
	size_t n;
	while ((n = next_word(&p, &w))) {
		if (word_is(w, n, "authenticated")) {
			r->authenticated = 1;
			if (next_word(&p, &w)) {
				snprintf(err, errcap, "'authenticated' ends the record: nothing may follow it");
				return -1;
			}
			return 0;
		}
		if (r->authenticated) {
			snprintf(err, errcap, "'authenticated' ends the record: nothing may follow it");
			return -1;
		}
		if (w[0] != '"') {
			snprintf(err, errcap, "expected a \"quoted string\" or 'authenticated', not '%.*s'", (int)n, w);
			return -1;
		}
		if (add_txt_string(r, w, n, err, errcap))
			return -1;
	}
	return 0;
}

static int parse_ipv4(const char *w, size_t n, uint8_t a[4])
{
	char tmp[32];
	if (n >= sizeof tmp)
		return -1;
	memcpy(tmp, w, n);
	tmp[n] = '\0';
	unsigned v[4];
	char tail;
	if (sscanf(tmp, "%3u.%3u.%3u.%3u%c", &v[0], &v[1], &v[2], &v[3], &tail) != 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		if (v[i] > 255 || !isdigit((unsigned char)tmp[0]))
			return -1;
		a[i] = (uint8_t)v[i];
	}
	return 0;
}

static int tlsa_rest(struct dns_record *r, const char *w, size_t n, const char **p, const char *name, char *err,
		     size_t errcap);

int dns_zone_parse_line(struct dns_zone *z, const char *line, int continuation, int lineno, char *err,
			size_t errcap)
{
	const char *p = line, *w;
	size_t n = next_word(&p, &w);
	if (!n)
		return 0; /* blank or comment */
	if (continuation) {
		if (!z->open_txt || !z->n) {
			snprintf(err, errcap, "an indented line continues a TXT record, and there is none above it");
			return -1;
		}
		struct dns_record *r = &z->rr[z->n - 1];
		if (r->authenticated) {
			snprintf(err, errcap, "'authenticated' ends the record: nothing may follow it");
			return -1;
		}
		return txt_rest(r, line, err, errcap);
	}
	z->open_txt = 0;
	char name[DNS_NAME_MAX + 1];
	if (parse_name(w, n, name)) {
		snprintf(err, errcap, "bad name '%.*s': expected a host name such as example.test", (int)(n > 80 ? 80 : n),
			 w);
		return -1;
	}
	const char *tw;
	size_t tn = next_word(&p, &tw);
	struct dns_record r = { .line = lineno };
	if (word_is(tw, tn, "A"))
		r.type = DNS_A;
	else if (word_is(tw, tn, "MX"))
		r.type = DNS_MX;
	else if (word_is(tw, tn, "TXT"))
		r.type = DNS_TXT;
	else if (word_is(tw, tn, "TLSA"))
		r.type = DNS_TLSA;
	else {
		snprintf(err, errcap, "bad record type '%.*s': expected A, MX, TXT or TLSA", (int)(tn > 20 ? 20 : tn), tw);
		return -1;
	}
	if (z->n == z->cap) {
		size_t cap = z->cap ? z->cap * 2 : 8;
		struct dns_record *v = realloc(z->rr, cap * sizeof *v);
		if (!v) {
			snprintf(err, errcap, "out of memory");
			return -1;
		}
		z->rr = v;
		z->cap = cap;
	}
	r.name = strdup(name);
	if (!r.name) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	int bad = 0;
	if (r.type == DNS_TXT) {
		bad = txt_rest(&r, p, err, errcap);
		if (!bad && !r.nstrings) {
			snprintf(err, errcap, "TXT record for %s has no \"string\"", name);
			bad = 1;
		}
	} else {
		const char *dw;
		size_t dn = next_word(&p, &dw);
		if (r.type == DNS_TLSA) {
			bad = tlsa_rest(&r, dw, dn, &p, name, err, errcap);
		} else if (r.type == DNS_A) {
			char dotted[16];
			if (!dn || parse_ipv4(dw, dn, r.a)) {
				snprintf(err, errcap, "A record for %s: expected an IPv4 address such as 192.0.2.10", name);
				bad = 1;
			} else {
				snprintf(dotted, sizeof dotted, "%u.%u.%u.%u", r.a[0], r.a[1], r.a[2], r.a[3]);
				r.text = strdup(dotted);
			}
		} else {
			char num[8], host[DNS_NAME_MAX + 1];
			const char *hw;
			size_t hn = 0;
			if (dn && dn < sizeof num && strspn(dw, "0123456789") >= dn) {
				memcpy(num, dw, dn);
				num[dn] = '\0';
				r.pref = (unsigned)strtoul(num, NULL, 10);
				hn = next_word(&p, &hw);
			}
			if (!dn || dn >= sizeof num || strspn(dw, "0123456789") < dn || r.pref > 65535 || !hn ||
			    parse_name(hw, hn, host)) {
				snprintf(err, errcap, "MX record for %s: expected a preference and a host, as in 10 mail.%s",
					 name, name);
				bad = 1;
			} else
				r.text = strdup(host);
		}
		if (!bad && !r.text) {
			snprintf(err, errcap, "out of memory");
			bad = 1;
		}
		if (!bad) {
			dn = next_word(&p, &dw);
			if (word_is(dw, dn, "authenticated")) {
				r.authenticated = 1;
				dn = next_word(&p, &dw);
			}
			if (dn) {
				snprintf(err, errcap, "unexpected '%.*s' after the %s record's data", (int)(dn > 40 ? 40 : dn), dw,
					 dns_type_name(r.type));
				bad = 1;
			}
		}
	}
	if (bad) {
		free(r.name);
		free(r.text);
		free(r.data);
		return -1;
	}
	z->rr[z->n++] = r;
	z->open_txt = r.type == DNS_TXT;
	return 0;
}

/* TLSA data: three small numbers, then the association data in hex (RFC 6698 2.2),
 * possibly split by blanks; the first number is in w. */
static int tlsa_rest(struct dns_record *r, const char *w, size_t n, const char **p, const char *name, char *err,
		     size_t errcap)
{
	unsigned v[3];
	for (int k = 0; k < 3; k++) {
		if (k)
			n = next_word(p, &w);
		char num[4];
		if (!n || n >= sizeof num || strspn(w, "0123456789") < n) {
			snprintf(err, errcap, "TLSA record for %s: expected usage, selector, matching type and hex data, "
				 "as in 3 1 1 3d320b...", name);
			return -1;
		}
		memcpy(num, w, n);
		num[n] = '\0';
		v[k] = (unsigned)strtoul(num, NULL, 10);
		if (v[k] > 255) {
			snprintf(err, errcap, "TLSA record for %s: %u is more than 255", name, v[k]);
			return -1;
		}
	}
	r->usage = (uint8_t)v[0];
	r->selector = (uint8_t)v[1];
	r->mtype = (uint8_t)v[2];
	char hex[2 * 1024 + 1];
	size_t h = 0;
	for (;;) {
		const char *save = *p;
		n = next_word(p, &w);
		if (!n || word_is(w, n, "authenticated")) {
			*p = save; /* the caller reads the marker */
			break;
		}
		if (strspn(w, "0123456789abcdefABCDEF") < n || h + n >= sizeof hex) {
			snprintf(err, errcap, "TLSA record for %s: the data must be hex digits (at most 1024 bytes)", name);
			return -1;
		}
		memcpy(hex + h, w, n);
		h += n;
	}
	hex[h] = '\0';
	if (!h || h % 2) {
		snprintf(err, errcap, "TLSA record for %s: the data must be an even number of hex digits", name);
		return -1;
	}
	r->len = h / 2;
	r->data = malloc(r->len);
	r->text = strdup(hex);
	if (!r->data || !r->text) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < r->len; i++) {
		char b[3] = { hex[2 * i], hex[2 * i + 1], 0 };
		r->data[i] = (uint8_t)strtoul(b, NULL, 16);
	}
	return 0;
}

const struct dns_record *dns_lookup(const struct dns_zone *z, const char *name, enum dns_type type, size_t i)
{
	size_t n = strlen(name);
	if (n && name[n - 1] == '.')
		n--;
	for (size_t k = 0; k < z->n; k++) {
		const struct dns_record *r = &z->rr[k];
		if (r->type != type || strlen(r->name) != n || strncasecmp(r->name, name, n))
			continue;
		if (i-- == 0)
			return r;
	}
	return NULL;
}
