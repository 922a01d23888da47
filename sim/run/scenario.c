/* scenario: see scenario.h. The file format is documented in README.md. */
#include "sim/run/scenario.h"

#include <bearssl.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/decode/decode.h"
#include "sim/wire/pki.h"
#include "sim/wire/tls.h"

/* inih as Debian builds it reads a line into 200 bytes: 198 characters, the newline and
 * the NUL. A longer line is split, and the rest is taken as a new line, which also shifts
 * every later line number; we refuse such lines with a clear message instead. */
#define LINE_LIMIT 198
/* The largest scenario file read (a lesson with a big message body is a few MiB). */
#define FILE_LIMIT ((size_t)128 * 1024 * 1024)
/* The largest certificate, key or trust file a scenario may name. */
#define PEM_LIMIT ((size_t)1024 * 1024)

#define DEFAULT_BODY                                                 \
	"From: Alice <alice@example.test>\n"                         \
	"To: Bob <bob@example.test>\n"                               \
	"Subject: Lunch on Friday?\n"                                \
	"\n"                                                         \
	"Hi Bob,\n"                                                  \
	"shall we meet at noon? The code for the door is 4711.\n"   \
	"Alice\n"

struct parse_ctx {
	struct scenario *s;
	const char *datadir;    /* scenario_load_opts.datadir, or NULL */
	char err[512];          /* first problem, without the "FILE:LINE: " prefix */
	unsigned seen;          /* bit per single-valued key seen, see key_seen() */
	char seen_keys[64][48]; /* "section.key" of keys already given */
	size_t nseen;
	int body_set, lesson_set, inject_set;
	int careless_auth, careless_unauth; /* -1: not given (the port decides) */
	const char *text;       /* the whole file, read once */
	size_t text_len, text_pos;
	int line;               /* lines read so far: the line inih is working on */
	int continuation;       /* the line inih is working on begins with blanks */
	int key_since_header;   /* a key was given since the last section header */
	/* The keys whose value spans lines, grown by doubling (linear in the file's size):
	 * their lengths and capacities, indexed by enum multi_key. */
	size_t mlen[4], mcap[4];
	int section_line;       /* line of the last section header */
	int err_at;             /* line being parsed when err was set */
	int err_line;           /* line to report for err */
	int in_dns;             /* the reader is inside [dns], whose lines it parses itself */
	int dkim_sign_line;     /* where dkim_sign = yes was given */
	int verdict_line;       /* where [expect] spf, dkim or dmarc was first given */
	int hop_line;           /* where [mitm] hop was given */
	int route_line;         /* the first [relay] or [mx] header */
	int route_expect_line;  /* where an [expect] key about the route was first given */
	int requiretls_line;    /* where [client] requiretls was given */
	int trust_line, relay_trust_line, stolen_key_line; /* where those files were named */
};

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int set_str(char **dst, const char *v)
{
	char *c = strdup(v);
	if (!c)
		return -1;
	free(*dst);
	*dst = c;
	return 0;
}

/* The keys whose value spans lines (indented continuation lines append). */
enum multi_key { MULTI_LESSON, MULTI_BODY, MULTI_INJECT, MULTI_STS_POLICY };

/* Appends sep and v to the multi-line value *dst, growing it by doubling so that a long
 * value costs time linear in its length. */
static int append_multi(struct parse_ctx *c, enum multi_key k, char **dst, const char *v, const char *sep)
{
	size_t a = *dst ? c->mlen[k] : 0;
	size_t b = strlen(v), s = a ? strlen(sep) : 0;
	if (!*dst)
		c->mcap[k] = 0;
	if (a + s + b + 1 > c->mcap[k]) {
		size_t cap = c->mcap[k] ? c->mcap[k] : 256;
		while (cap < a + s + b + 1)
			cap *= 2;
		char *n = realloc(*dst, cap);
		if (!n)
			return -1;
		*dst = n;
		c->mcap[k] = cap;
	}
	memcpy(*dst + a, sep, s);
	memcpy(*dst + a + s, v, b + 1);
	c->mlen[k] = a + s + b;
	return 0;
}

static int fail(struct parse_ctx *c, const char *fmt, const char *a, const char *b)
{
	if (!c->err[0]) {
		snprintf(c->err, sizeof c->err, fmt, a, b);
		c->err_at = c->err_line = c->line;
	}
	return 0;
}

static int parse_bool(const char *v, int *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0")) {
		*out = 0;
		return 0;
	}
	return -1;
}

static int parse_uint(const char *v, unsigned long long max, unsigned long long *out)
{
	if (!*v || !isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	char *end;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || *end || x > max)
		return -1;
	*out = x;
	return 0;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int parse_date(const char *v, int64_t *out)
{
	unsigned y, m, d;
	char tail;
	/* YYYY-MM-DD exactly: digits and two dashes (sscanf alone would take blanks). */
	for (int i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? v[i] != '-' : !isdigit((unsigned char)v[i]))
			return -1;
	if (sscanf(v, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 || strlen(v) != 10)
		return -1;
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1970 || y > 2999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	*out = days_from_civil(y, m, d) * 86400 + 12 * 3600; /* noon: no edge at midnight */
	return 0;
}

struct name_map {
	const char *name;
	int value;
};

static int seen_before(struct parse_ctx *c, const char *section, const char *name);

static const struct name_map client_tls_names[] = {
	{ "none", SMTP_CLIENT_TLS_NONE },
	{ "starttls-opportunistic", SMTP_CLIENT_TLS_OPPORTUNISTIC },
	{ "starttls-required", SMTP_CLIENT_TLS_REQUIRED },
	{ "implicit", SMTP_CLIENT_TLS_IMPLICIT },
	{ NULL, 0 },
};
static const struct name_map server_mode_names[] = {
	{ "plain", SMTP_SERVER_PLAIN },
	{ "starttls", SMTP_SERVER_STARTTLS },
	{ "starttls-required", SMTP_SERVER_STARTTLS_REQUIRED },
	{ "implicit", SMTP_SERVER_IMPLICIT },
	{ NULL, 0 },
};
static const struct name_map verify_names[] = {
	{ "verify", TLS_VERIFY_FULL },
	{ "none", TLS_VERIFY_NONE },
	{ NULL, 0 },
};
static const struct name_map buffering_names[] = {
	{ "discard", SMTP_BUFFER_DISCARD },
	{ "keep", SMTP_BUFFER_KEEP },
	{ NULL, 0 },
};
static const struct name_map auth_names[] = {
	{ "none", SMTP_CLIENT_AUTH_NONE },
	{ "plain", SMTP_CLIENT_AUTH_PLAIN },
	{ "login", SMTP_CLIENT_AUTH_LOGIN },
	{ NULL, 0 },
};
/* [client] quirks: real clients' failures, off by default (see smtp_client.h). Value 0
 * is keep-buffered-replies, which is buffering = keep: the same setting, stored once. */
static const struct name_map quirk_names[] = {
	{ "continue-after-starttls-failure", SMTP_CLIENT_QUIRK_CONTINUE_AFTER_STARTTLS_FAILURE },
	{ "helo-fallback", SMTP_CLIENT_QUIRK_HELO_FALLBACK },
	{ "port-fallback", SMTP_CLIENT_QUIRK_PORT_FALLBACK },
	{ "skip-auth-silently", SMTP_CLIENT_QUIRK_SKIP_AUTH_SILENTLY },
	{ "ignores-downgrade-sentinel", SMTP_CLIENT_QUIRK_IGNORE_DOWNGRADE_SENTINEL },
	{ "keep-buffered-replies", 0 },
	{ NULL, 0 },
};

static const char *map_name(const struct name_map *m, int v)
{
	for (; m->name; m++)
		if (m->value == v)
			return m->name;
	return "?";
}

/* Looks v up; on failure writes "expected one of a, b, c" into c->err. */
static int map_value(struct parse_ctx *c, const struct name_map *m, const char *key, const char *v, int *out)
{
	for (const struct name_map *p = m; p->name; p++)
		if (!strcmp(p->name, v)) {
			*out = p->value;
			return 0;
		}
	char list[256] = "";
	for (const struct name_map *p = m; p->name; p++) {
		if (list[0])
			strncat(list, ", ", sizeof list - strlen(list) - 1);
		strncat(list, p->name, sizeof list - strlen(list) - 1);
	}
	char what[320];
	snprintf(what, sizeof what, "%s: expected one of %s", key, list);
	fail(c, "bad value '%s' for %s", v, what);
	return -1;
}

/* The attacker's behaviour: "none" or a name from the attack table. */
static int attack_value(struct parse_ctx *c, const char *key, const char *v, const struct attack **out)
{
	*out = NULL;
	if (!strcmp(v, "none"))
		return 0;
	if ((*out = attack_find(v)))
		return 0;
	char list[1024] = "none";
	for (size_t i = 0; i < attack_count(); i++) {
		strncat(list, ", ", sizeof list - strlen(list) - 1);
		strncat(list, attack_at(i)->name, sizeof list - strlen(list) - 1);
	}
	char what[1200];
	snprintf(what, sizeof what, "%s: expected one of %s", key, list);
	fail(c, "bad value '%s' for %s", v, what);
	return -1;
}

const char *scenario_client_tls_name(enum smtp_client_tls t) { return map_name(client_tls_names, (int)t); }
const char *scenario_server_mode_name(enum smtp_server_mode m) { return map_name(server_mode_names, (int)m); }
const char *scenario_verify_name(enum tls_verify v) { return map_name(verify_names, (int)v); }
const char *scenario_buffering_name(enum smtp_buffering b) { return map_name(buffering_names, (int)b); }
const char *scenario_mitm_name(const struct attack *a) { return a ? a->name : "none"; }
const char *scenario_auth_name(enum smtp_client_auth a) { return map_name(auth_names, (int)a); }

const char *scenario_client_quirks_text(const struct scenario_client *c, char *out, size_t cap)
{
	if (!cap)
		return out;
	out[0] = '\0';
	for (const struct name_map *q = quirk_names; q->name; q++) {
		int on = q->value ? (c->quirks & (unsigned)q->value) != 0 : c->buffering == SMTP_BUFFER_KEEP;
		if (!on)
			continue;
		if (out[0])
			strncat(out, ", ", cap - strlen(out) - 1);
		strncat(out, q->name, cap - strlen(out) - 1);
	}
	return out;
}

/* quirks = a, b: each name once, from quirk_names. */
/* An address as a scenario writes it (without <>): local@domain, printable, no blanks,
 * no <>; the SMTP path is built around it (RFC 5321 section 4.1.2). */
static int address_valid(const char *a)
{
	const char *at = strrchr(a, '@');
	if (!at || at == a || !at[1] || strlen(a) > 254)
		return 0;
	for (const char *p = a; *p; p++)
		if (*p <= ' ' || *p == '<' || *p == '>' || *p == '(' || *p == ')' || *p == ',' || *p == ';' ||
		    *p == ':' || *p == '\\' || *p == '"' || *p == '[' || *p == ']' || (unsigned char)*p >= 0x7f)
			return 0;
	return dns_name_valid(at + 1);
}

/* An EHLO argument: a domain, or an address literal in brackets (RFC 5321 section 4.1.3). */
static int ehlo_valid(const char *v)
{
	size_t n = strlen(v);
	if (n > 2 && v[0] == '[' && v[n - 1] == ']')
		return strspn(v + 1, "0123456789abcdefABCDEF.:IPv") == n - 2;
	return dns_name_valid(v);
}

static int parse_quirks(struct parse_ctx *c, const char *key, const char *v, struct scenario_client *cl)
{
	char tmp[512];
	snprintf(tmp, sizeof tmp, "%s", v);
	cl->quirks = 0;
	for (char *save = NULL, *tok = strtok_r(tmp, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (!strcmp(tok, "none"))
			continue;
		int bit = 0;
		if (map_value(c, quirk_names, key, tok, &bit))
			return -1;
		if (bit) {
			cl->quirks |= (unsigned)bit;
			continue;
		}
		if (seen_before(c, "client", "buffering"))
			return fail(c, "quirk %s and 'buffering' in [client] are one setting: give one of them%s",
				    tok, "") - 1;
		cl->buffering = SMTP_BUFFER_KEEP;
	}
	return 0;
}

/* Resolves a path from the file: relative to the scenario's directory, or, when not
 * there, to the data directory the caller gave. Fails when neither exists. */
static int open_regular(const char *path, size_t limit, char *why, size_t cap);

/* A file a key names: relative to the scenario's directory, else (for a relative name
 * not found there) to the data directory. It must be a readable regular file of at most
 * PEM_LIMIT bytes; the reason given is the first candidate's. */
static int resolve_path(struct parse_ctx *c, const char *v, char **dst)
{
	char buf[4096], why[128];
	if (v[0] == '/')
		snprintf(buf, sizeof buf, "%s", v);
	else
		snprintf(buf, sizeof buf, "%s/%s", c->s->dir, v);
	int fd = open_regular(buf, PEM_LIMIT, why, sizeof why);
	if (fd >= 0) {
		close(fd);
		return set_str(dst, buf);
	}
	const char *data = c->datadir;
	if (v[0] != '/' && data && *data && errno == ENOENT) {
		char alt[4096], why2[128];
		snprintf(alt, sizeof alt, "%s/%s", data, v);
		int fd2 = open_regular(alt, PEM_LIMIT, why2, sizeof why2);
		if (fd2 >= 0) {
			close(fd2);
			return set_str(dst, alt);
		}
	}
	return fail(c, "cannot read '%s': %s", v, why) - 1;
}

static int parse_suites(struct parse_ctx *c, const char *v, struct scenario_tls *t)
{
	char tmp[512];
	snprintf(tmp, sizeof tmp, "%s", v);
	t->nsuites = 0;
	for (char *save = NULL, *tok = strtok_r(tmp, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		uint16_t id = tls_suite_from_name(tok);
		if (!id)
			return fail(c, "unknown cipher suite '%s'%s", tok,
				    " (e.g. ecdhe-ecdsa-aes128-gcm, ecdhe-rsa-chacha20, rsa-aes128-gcm)") - 1;
		if (t->nsuites == SCENARIO_MAX_SUITES)
			return fail(c, "too many cipher suites%s%s", "", "") - 1;
		t->suites[t->nsuites++] = id;
	}
	if (!t->nsuites)
		return fail(c, "suites: empty list%s%s", "", "") - 1;
	return 0;
}

/* groups = x25519, secp256r1: the key exchange groups an OpenSSL endpoint offers or
 * accepts, in order (a TLS 1.3 client sends a key share for the first only). */
static int parse_groups(struct parse_ctx *c, const char *v, struct scenario_tls *t)
{
	static const char *const known[] = { "x25519", "x448", "secp256r1", "secp384r1", "secp521r1",
					     "ffdhe2048", "ffdhe3072", "ffdhe4096" };
	char tmp[256];
	size_t n = 0;
	snprintf(tmp, sizeof tmp, "%s", v);
	t->groups[0] = '\0';
	for (char *save = NULL, *tok = strtok_r(tmp, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		size_t i = 0;
		while (i < sizeof known / sizeof known[0] && strcmp(known[i], tok))
			i++;
		if (i == sizeof known / sizeof known[0])
			return fail(c, "unknown group '%s'%s", tok, " (x25519, x448, secp256r1, secp384r1, secp521r1, ffdhe2048...)") - 1;
		size_t k = strlen(tok);
		if (n + k + 2 > sizeof t->groups)
			return fail(c, "too many groups%s%s", "", "") - 1;
		if (n)
			t->groups[n++] = ':';
		memcpy(t->groups + n, tok, k + 1);
		n += k;
	}
	if (!n)
		return fail(c, "groups: empty list%s%s", "", "") - 1;
	return 0;
}

/* Options every TLS-capable actor shares. Returns 1 when key was one of them. */
static int tls_key(struct parse_ctx *c, struct scenario_tls *t, const char *key, const char *v, int *ok)
{
	*ok = 1;
	if (!strcmp(key, "tls_min") || !strcmp(key, "tls_max") || !strcmp(key, "suites") || !strcmp(key, "engine") ||
	    !strcmp(key, "groups"))
		t->tls_line = c->line;
	if (!strcmp(key, "tls_min") || !strcmp(key, "tls_max")) {
		unsigned ver = tls_version_from_name(v);
		if (!ver)
			*ok = fail(c, "bad value '%s' for %s: expected 1.0, 1.1, 1.2 or 1.3", v, key);
		else if (key[5] == 'i')
			t->version_min = ver;
		else
			t->version_max = ver;
		if (ver && t->version_min && t->version_max && t->version_min > t->version_max)
			*ok = fail(c, "tls_min is above tls_max (%s): no version is left to agree on%s", v, "");
		return 1;
	}
	if (!strcmp(key, "suites")) {
		*ok = parse_suites(c, v, t) == 0;
		return 1;
	}
	if (!strcmp(key, "engine")) {
		if (!strcmp(v, "bearssl"))
			t->engine = TLS_ENGINE_BEARSSL;
		else if (!strcmp(v, "openssl"))
			t->engine = TLS_ENGINE_OPENSSL;
		else
			*ok = fail(c, "bad value '%s' for engine: expected bearssl or openssl%s", v, "");
		return 1;
	}
	if (!strcmp(key, "groups")) {
		*ok = parse_groups(c, v, t) == 0;
		return 1;
	}
	if (!strcmp(key, "certificate")) {
		*ok = resolve_path(c, v, &t->cert) == 0;
		t->cert_line = c->line;
		return 1;
	}
	if (!strcmp(key, "key")) {
		*ok = resolve_path(c, v, &t->key) == 0;
		t->key_line = c->line;
		return 1;
	}
	return 0;
}

static int seen_before(struct parse_ctx *c, const char *section, const char *name)
{
	char k[48];
	snprintf(k, sizeof k, "%s.%s", section, name);
	for (size_t i = 0; i < c->nseen; i++)
		if (!strcmp(c->seen_keys[i], k))
			return 1;
	if (c->nseen < 64)
		snprintf(c->seen_keys[c->nseen++], sizeof c->seen_keys[0], "%s", k);
	return 0;
}

static int observed_bits(struct parse_ctx *c, const char *key, const char *v, int *out)
{
	char tmp[256];
	snprintf(tmp, sizeof tmp, "%s", v);
	*out = 0;
	/* Every item named once, none empty; "nothing" alone. */
	int items = 0, nothing = 0;
	for (const char *p = v;;) {
		p += strspn(p, " ");
		size_t n = strcspn(p, ",");
		size_t t = n;
		while (t && p[t - 1] == ' ')
			t--;
		if (!t)
			return fail(c, "bad value '%s' for %s: an empty item in the list", v, key) - 1;
		items++;
		if (!p[n])
			break;
		p += n + 1;
	}
	for (char *save = NULL, *tok = strtok_r(tmp, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (!strcmp(tok, "nothing")) {
			nothing = 1;
			continue;
		}
		if (!strcmp(tok, "endpoints"))
			continue;
		if (!strcmp(tok, "credentials"))
			*out |= OBSERVED_CREDENTIALS;
		else if (!strcmp(tok, "envelope"))
			*out |= OBSERVED_ENVELOPE;
		else if (!strcmp(tok, "body"))
			*out |= OBSERVED_BODY;
		else
			return fail(c, "bad value '%s' for %s: expected nothing, or a list of credentials, envelope, body", tok, key) - 1;
	}
	if (nothing && items > 1)
		return fail(c, "bad value '%s' for %s: 'nothing' cannot be listed with anything else", v, key) - 1;
	return 0;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *c = user;
	struct scenario *s = c->s;
	c->key_since_header = 1;
	if (c->err[0])
		return 1; /* report only the first problem */
	int b = 0, ok = 1, iv = 0;
	unsigned long long u = 0;

	/* Keys that take several lines: indented continuation lines append. */
	int multi = (!strcmp(section, "scenario") && !strcmp(name, "lesson")) ||
		    (!strcmp(section, "client") && !strcmp(name, "body")) ||
		    (!strcmp(section, "mitm") && !strcmp(name, "inject")) ||
		    (!strcmp(section, "mx") && !strcmp(name, "mta_sts_policy"));
	/* Text only: a control character would reach the terminal or the wire raw. */
	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
			char hexc[8];
			snprintf(hexc, sizeof hexc, "0x%02x", *p);
			return fail(c, "control character %s in the value of '%s': only printable text and tabs", hexc,
				    name);
		}
	/* A value is required, except where empty means something: the null sender, no quirks. */
	if (!value[0] && strcmp(name, "from") && strcmp(name, "quirks") && strcmp(name, "password") &&
	    !(multi && c->continuation))
		return fail(c, "'%s' in [%s] has no value", name, section);
	/* "behavior" is the other spelling of one key. */
	const char *key = !strcmp(name, "behavior") ? "behaviour" : name;
	if ((!multi || !c->continuation) && seen_before(c, section, key)) {
		if (!strcmp(section, "client") && !strcmp(name, "buffering"))
			return fail(c, "'%s' and the quirk keep-buffered-replies in [%s] are one setting: give one of them",
				    name, section);
		return fail(c, "'%s' is given twice in [%s]", name, section);
	}

	if (!strcmp(section, "scenario")) {
		if (!strcmp(name, "title"))
			ok = set_str(&s->title, value) == 0;
		else if (!strcmp(name, "lesson"))
			ok = append_multi(c, MULTI_LESSON, &s->lesson, value, " ") == 0;
		else if (!strcmp(name, "seed")) {
			if (parse_uint(value, UINT64_MAX, &u))
				return fail(c, "bad value '%s' for %s: expected a whole number", value, name);
			s->seed = u;
		} else if (!strcmp(name, "date")) {
			if (parse_date(value, &s->date))
				return fail(c, "bad value '%s' for %s: expected YYYY-MM-DD", value, name);
		} else if (!strcmp(name, "references"))
			ok = set_str(&s->references, value) == 0;
		else if (!strcmp(name, "no_starttls"))
			ok = set_str(&s->no_starttls, value) == 0;
		else if (!strcmp(name, "pair")) {
			if (!value[0] || strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(value))
				return fail(c, "bad value '%s' for %s: expected a scenario's name (its file name without .ini)",
					    value, name);
			ok = set_str(&s->pair, value) == 0;
		} else
			return fail(c, "unknown key '%s' in [%s]", name, section);
	} else if (!strcmp(section, "client")) {
		struct scenario_client *cl = &s->client;
		if (tls_key(c, &cl->tls_opt, name, value, &ok))
			;
		else if (!strcmp(name, "tls")) {
			ok = map_value(c, client_tls_names, name, value, &iv) == 0;
			cl->tls = (enum smtp_client_tls)iv;
		} else if (!strcmp(name, "verify")) {
			ok = map_value(c, verify_names, name, value, &iv) == 0;
			cl->verify = (enum tls_verify)iv;
		} else if (!strcmp(name, "auth")) {
			ok = map_value(c, auth_names, name, value, &iv) == 0;
			cl->auth = (enum smtp_client_auth)iv;
		} else if (!strcmp(name, "buffering")) {
			ok = map_value(c, buffering_names, name, value, &iv) == 0;
			cl->buffering = (enum smtp_buffering)iv;
		} else if (!strcmp(name, "quirks")) {
			ok = parse_quirks(c, name, value, cl) == 0;
		} else if (!strcmp(name, "ehlo")) {
			if (!ehlo_valid(value))
				return fail(c, "bad value '%s' for %s: expected a host name such as client.example.test, or an "
					    "address literal such as [192.0.2.10]", value, name);
			ok = set_str(&cl->ehlo_name, value) == 0;
		} else if (!strcmp(name, "server_name")) {
			if (!dns_name_valid(value))
				return fail(c, "bad value '%s' for %s: expected a host name such as mail.example.test", value, name);
			ok = set_str(&cl->server_name, value) == 0;
		}
		else if (!strcmp(name, "trust")) {
			ok = resolve_path(c, value, &cl->trust) == 0;
			c->trust_line = c->line;
		} else if (!strcmp(name, "user"))
			ok = set_str(&cl->user, value) == 0;
		else if (!strcmp(name, "password"))
			ok = set_str(&cl->password, value) == 0;
		else if (!strcmp(name, "from")) {
			if (value[0] && !address_valid(value))
				return fail(c, "bad value '%s' for %s: expected an address such as alice@example.test (without "
					    "<>), or nothing for the null sender", value, name);
			ok = set_str(&cl->mail_from, value) == 0;
		}
		else if (!strcmp(name, "to")) {
			char tmp[1024];
			snprintf(tmp, sizeof tmp, "%s", value);
			for (size_t i = 0; i < cl->nrcpt; i++)
				free(cl->rcpt[i]);
			cl->nrcpt = 0;
			for (char *save = NULL, *tok = strtok_r(tmp, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
				if (!address_valid(tok))
					return fail(c, "bad recipient '%s' in %s: expected addresses such as bob@example.test "
						    "(without <>), separated by commas", tok, name);
				if (cl->nrcpt == SCENARIO_MAX_RCPT)
					return fail(c, "too many recipients in '%s' (at most %s)", name, "8");
				cl->rcpt[cl->nrcpt++] = xstrdup(tok);
			}
			if (!cl->nrcpt)
				return fail(c, "'%s' in [%s] names no recipient", name, section);
		} else if (!strcmp(name, "requiretls")) {
			if (parse_bool(value, &cl->requiretls))
				return fail(c, "bad value '%s' for %s: expected yes or no", value, name);
			c->requiretls_line = c->line;
		} else if (!strcmp(name, "dkim_sign") || !strcmp(name, "dkim_break_body")) {
			if (parse_bool(value, &b))
				return fail(c, "bad value '%s' for %s: expected yes or no", value, name);
			*(!strcmp(name, "dkim_sign") ? &cl->dkim_sign : &cl->dkim_break_body) = b;
			if (!strcmp(name, "dkim_sign"))
				c->dkim_sign_line = c->line;
		} else if (!strcmp(name, "dkim_domain") || !strcmp(name, "dkim_selector")) {
			int bad = !dns_name_valid(value);
			if (bad)
				return fail(c, "bad value '%s' for %s: expected a DNS name such as example.test", value, name);
			ok = set_str(!strcmp(name, "dkim_domain") ? &cl->dkim_domain : &cl->dkim_selector, value) == 0;
		} else if (!strcmp(name, "dkim_key"))
			ok = resolve_path(c, value, &cl->dkim_key) == 0;
		else if (!strcmp(name, "body")) {
			if (!c->body_set) {
				free(cl->body);
				cl->body = NULL;
				c->body_set = 1;
			}
			/* "." alone stands for an empty line: inih skips blank lines */
			ok = append_multi(c, MULTI_BODY, &cl->body, strcmp(value, ".") ? value : "", "\n") == 0;
		} else
			return fail(c, "unknown key '%s' in [%s]", name, section);
	} else if (!strcmp(section, "server")) {
		struct scenario_server *sv = &s->server;
		if (tls_key(c, &sv->tls_opt, name, value, &ok))
			;
		else if (!strcmp(name, "mode")) {
			ok = map_value(c, server_mode_names, name, value, &iv) == 0;
			sv->mode = (enum smtp_server_mode)iv;
		} else if (!strcmp(name, "buffering")) {
			ok = map_value(c, buffering_names, name, value, &iv) == 0;
			sv->buffering = (enum smtp_buffering)iv;
		} else if (!strcmp(name, "port")) {
			if (parse_uint(value, 65535, &u) || u == 0)
				return fail(c, "bad value '%s' for %s: expected 1..65535", value, name);
			sv->port = (unsigned)u;
		} else if (!strcmp(name, "hostname")) {
			if (!dns_name_valid(value))
				return fail(c, "bad value '%s' for %s: expected a host name such as mail.example.test", value, name);
			ok = set_str(&sv->hostname, value) == 0;
		}
		else if (!strcmp(name, "user"))
			ok = set_str(&sv->user, value) == 0;
		else if (!strcmp(name, "password"))
			ok = set_str(&sv->password, value) == 0;
		else if (!strcmp(name, "max_size")) {
			if (parse_uint(value, 1ULL << 40, &u) || u == 0)
				return fail(c, "bad value '%s' for %s: expected a size in bytes", value, name);
			sv->max_size = (size_t)u;
		} else if (!strcmp(name, "requiretls") || !strcmp(name, "dmarc_reject")) {
			if (parse_bool(value, !strcmp(name, "requiretls") ? &sv->requiretls : &sv->dmarc_reject))
				return fail(c, "bad value '%s' for %s: expected yes or no", value, name);
		} else if (!strcmp(name, "careless_auth_in_cleartext") ||
			   !strcmp(name, "careless_accepts_unauthenticated")) {
			if (parse_bool(value, &b))
				return fail(c, "bad value '%s' for %s: expected yes or no", value, name);
			*(!strcmp(name, "careless_auth_in_cleartext") ? &c->careless_auth : &c->careless_unauth) = b;
		} else
			return fail(c, "unknown key '%s' in [%s]", name, section);
	} else if (!strcmp(section, "mitm")) {
		struct scenario_mitm *m = &s->mitm;
		if (tls_key(c, &m->tls_opt, name, value, &ok))
			;
		else if (!strcmp(name, "behaviour") || !strcmp(name, "behavior")) {
			ok = attack_value(c, name, value, &m->attack) == 0;
		} else if (!strcmp(name, "inject")) {
			if (!c->inject_set) {
				free(m->inject);
				m->inject = NULL;
				c->inject_set = 1;
			}
			ok = append_multi(c, MULTI_INJECT, &m->inject, value, "\n") == 0;
		} else if (!strcmp(name, "tamper_record")) {
			if (parse_uint(value, 1000000, &u) || u == 0)
				return fail(c, "bad value '%s' for %s: expected a record number from 1", value, name);
			m->tamper_record = (unsigned)u;
		} else if (!strcmp(name, "hop")) {
			if (parse_uint(value, 2, &u) || u == 0)
				return fail(c, "bad value '%s' for %s: expected 1 (client to server) or 2 (server to MX)", value,
					    name);
			m->hop = (int)u;
			c->hop_line = c->line;
		} else if (!strcmp(name, "stolen_key")) {
			ok = resolve_path(c, value, &m->stolen_key) == 0;
			c->stolen_key_line = c->line;
		} else if (!strcmp(name, "account")) {
			const char *colon = strchr(value, ':');
			if (!colon || colon == value || !colon[1])
				return fail(c, "bad value '%s' for %s: expected user:password", value, name);
			free(m->account_user);
			free(m->account_password);
			m->account_user = strndup(value, (size_t)(colon - value));
			m->account_password = strdup(colon + 1);
			ok = m->account_user && m->account_password;
		} else if (!strcmp(name, "mailbox")) {
			if (!strchr(value, '@') || strpbrk(value, "<> \t"))
				return fail(c, "bad value '%s' for %s: expected an address such as mallory@example.test", value,
					    name);
			ok = set_str(&m->mailbox, value) == 0;
		} else
			return fail(c, "unknown key '%s' in [%s]", name, section);
	} else if (!strcmp(section, "relay")) {
		struct scenario_relay *rl = &s->relay;
		if (tls_key(c, &rl->tls_opt, name, value, &ok))
			;
		else if (!strcmp(name, "tls")) {
			ok = map_value(c, client_tls_names, name, value, &iv) == 0;
			rl->tls = (enum smtp_client_tls)iv;
			if (ok && rl->tls == SMTP_CLIENT_TLS_IMPLICIT)
				return fail(c, "bad value '%s' for %s: a relay dials port 25, where TLS starts with STARTTLS "
					    "(RFC 3207); expected none, starttls-opportunistic or starttls-required", value, name);
		} else if (!strcmp(name, "verify")) {
			ok = map_value(c, verify_names, name, value, &iv) == 0;
			rl->verify = (enum tls_verify)iv;
		} else if (!strcmp(name, "trust")) {
			ok = resolve_path(c, value, &rl->trust) == 0;
			c->relay_trust_line = c->line;
		} else if (!strcmp(name, "mta_sts") || !strcmp(name, "dane") || !strcmp(name, "mta_sts_cached")) {
			if (parse_bool(value, &b))
				return fail(c, "bad value '%s' for %s: expected yes or no", value, name);
			*(!strcmp(name, "mta_sts") ? &rl->mta_sts : !strcmp(name, "dane") ? &rl->dane : &rl->mta_sts_cached) = b;
		} else
			return fail(c, "unknown key '%s' in [%s]", name, section);
	} else if (!strcmp(section, "mx")) {
		struct scenario_mx *mx = &s->mx;
		if (tls_key(c, &mx->tls_opt, name, value, &ok))
			;
		else if (!strcmp(name, "mode")) {
			ok = map_value(c, server_mode_names, name, value, &iv) == 0;
			mx->mode = (enum smtp_server_mode)iv;
			if (ok && mx->mode == SMTP_SERVER_IMPLICIT)
				return fail(c, "bad value '%s' for %s: an MX answers on port 25, where TLS starts with STARTTLS "
					    "(RFC 3207); expected plain, starttls or starttls-required", value, name);
		} else if (!strcmp(name, "hostname")) {
			if (!dns_name_valid(value))
				return fail(c, "bad value '%s' for %s: expected a DNS name such as mx.example.net", value, name);
			ok = set_str(&mx->hostname, value) == 0;
		} else if (!strcmp(name, "requiretls") || !strcmp(name, "dmarc_reject")) {
			if (parse_bool(value, !strcmp(name, "requiretls") ? &mx->requiretls : &mx->dmarc_reject))
				return fail(c, "bad value '%s' for %s: expected yes or no", value, name);
		} else if (!strcmp(name, "mta_sts_policy")) {
			ok = append_multi(c, MULTI_STS_POLICY, &mx->mta_sts_policy, value, "\n") == 0;
		} else
			return fail(c, "unknown key '%s' in [%s]", name, section);
	} else if (!strcmp(section, "expect")) {
		struct scenario_expect *e = &s->expect;
		int *has = NULL, *val = NULL;
		if (!strcmp(name, "delivered")) { has = &e->has_delivered; val = &e->delivered; }
		else if (!strcmp(name, "tls")) { has = &e->has_tls; val = &e->tls; }
		else if (!strcmp(name, "server_tls")) { has = &e->has_server_tls; val = &e->server_tls; }
		else if (!strcmp(name, "altered")) { has = &e->has_altered; val = &e->altered; }
		else if (!strcmp(name, "injected")) { has = &e->has_injected; val = &e->injected; }
		else if (!strcmp(name, "decrypted_later")) { has = &e->has_decrypted_later; val = &e->decrypted_later; }
		else if (!strcmp(name, "submitted")) { has = &e->has_submitted; val = &e->submitted; }
		else if (!strcmp(name, "relay_tls")) { has = &e->has_relay_tls; val = &e->relay_tls; }
		else if (!strcmp(name, "deferred")) { has = &e->has_deferred; val = &e->deferred; }
		else if (!strcmp(name, "bounced")) { has = &e->has_bounced; val = &e->bounced; }
		if (has && (val == &e->submitted || val == &e->relay_tls || val == &e->deferred || val == &e->bounced) &&
		    !c->route_expect_line)
			c->route_expect_line = c->line;
		if (has) {
			if (parse_bool(value, val))
				return fail(c, "bad value '%s' for %s: expected yes or no", value, name);
			*has = 1;
		} else if (!strcmp(name, "observer_learns")) {
			ok = observed_bits(c, name, value, &e->observer) == 0;
			e->has_observer = 1;
		} else if (!strcmp(name, "hop1_observer_learns") || !strcmp(name, "hop2_observer_learns")) {
			int h = name[3] - '1';
			ok = observed_bits(c, name, value, &e->hop_observer[h]) == 0;
			e->has_hop_observer[h] = 1;
			if (!c->route_expect_line)
				c->route_expect_line = c->line;
		} else if (!strcmp(name, "policy_result")) {
			static const char *const known[] = { "success", "starttls-not-supported", "certificate-host-mismatch",
							     "certificate-expired", "certificate-not-trusted",
							     "validation-failure", "tlsa-invalid", "dnssec-invalid",
							     "dane-required", "sts-policy-fetch-error", "sts-policy-invalid",
							     "sts-webpki-invalid" };
			int found = 0;
			for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
				found |= !strcmp(known[i], value);
			if (!found)
				return fail(c, "bad value '%s' for %s: expected success or an RFC 8460 result type such as "
					    "starttls-not-supported or validation-failure", value, name);
			ok = set_str(&e->policy_result, value) == 0;
			if (!c->route_expect_line)
				c->route_expect_line = c->line;
		} else if (!strcmp(name, "received_with")) {
			for (const char *p = value; *p;) {
				size_t n = strcspn(p, ", ");
				if (n && !((n == 4 && !strncmp(p, "SMTP", 4)) || (n == 5 && !strncmp(p, "ESMTP", 5)) ||
					   (n == 6 && (!strncmp(p, "ESMTPS", 6) || !strncmp(p, "ESMTPA", 6))) ||
					   (n == 7 && !strncmp(p, "ESMTPSA", 7))))
					return fail(c, "bad value '%s' for %s: expected protocols such as ESMTPSA, ESMTP "
						    "(SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA), hop 1 first", value, name);
				p += n;
				p += strspn(p, ", ");
			}
			ok = set_str(&e->received_with, value) == 0;
			if (!c->route_expect_line)
				c->route_expect_line = c->line;
		} else if (!strcmp(name, "attacker_learns")) {
			ok = observed_bits(c, name, value, &e->attacker) == 0;
			e->has_attacker = 1;
		} else if (!strcmp(name, "client_error"))
			ok = set_str(&e->client_error, value) == 0;
		else if (!strcmp(name, "server_error"))
			ok = set_str(&e->server_error, value) == 0;
		else if (!strcmp(name, "alert")) {
			int known = 0;
			for (unsigned a = 0; a < 256 && !known; a++)
				known = strcmp(decode_alert_description_name(a), "unknown") && !strcmp(decode_alert_description_name(a), value);
			if (!known)
				return fail(c, "bad value '%s' for %s: expected a TLS alert name such as handshake_failure, "
					    "bad_record_mac or unexpected_message", value, name);
			ok = set_str(&e->alert, value) == 0;
		}
		else if (!strcmp(name, "spf") || !strcmp(name, "dkim") || !strcmp(name, "dmarc")) {
			int spf = !strcmp(name, "spf"), dkim = !strcmp(name, "dkim");
			enum auth_result r;
			/* SPF has five results (RFC 7208 2.6) the lesson may expect; DKIM and DMARC three */
			if (auth_result_parse(value, &r) ||
			    (!spf && r != AUTH_PASS && r != AUTH_FAIL && r != AUTH_NONE && r != AUTH_PERMERROR &&
			     r != AUTH_TEMPERROR))
				return fail(c, "bad value '%s' for %s", value,
					    spf ? "spf: expected pass, fail, softfail, neutral, none, temperror or permerror"
						: dkim ? "dkim: expected pass, fail, none, temperror or permerror"
						       : "dmarc: expected pass, fail, none, temperror or permerror");
			*(spf ? &e->spf : dkim ? &e->dkim : &e->dmarc) = r;
			*(spf ? &e->has_spf : dkim ? &e->has_dkim : &e->has_dmarc) = 1;
			if (!c->verdict_line)
				c->verdict_line = c->line;
		} else
			return fail(c, "unknown key '%s' in [%s]", name, section);
	} else if (!section[0]) {
		return fail(c, "'%s' comes before any [section]%s", name, " (start with [scenario])");
	} else {
		fail(c, "unknown section [%s]%s", section, " (expected scenario, client, server, relay, mx, mitm, dns or expect)");
		if (c->section_line)
			c->err_line = c->section_line; /* point at the header, not its first key */
		return 0;
	}
	if (!ok)
		fail(c, "out of memory%s%s", "", "");
	return ok;
}

static int set_defaults(struct scenario *s)
{
	s->seed = 1;
	s->date = days_from_civil(2026, 9, 1) * 86400 + 12 * 3600;
	struct scenario_client *c = &s->client;
	c->tls = SMTP_CLIENT_TLS_OPPORTUNISTIC;
	c->verify = TLS_VERIFY_FULL;
	c->auth = SMTP_CLIENT_AUTH_PLAIN;
	c->buffering = SMTP_BUFFER_DISCARD;
	c->ehlo_name = xstrdup("client.example.test");
	c->server_name = xstrdup("mail.example.test");
	c->user = xstrdup("alice");
	c->password = xstrdup("wonderland");
	c->mail_from = xstrdup("alice@example.test");
	c->rcpt[0] = xstrdup("bob@example.test");
	c->nrcpt = 1;
	c->body = xstrdup(DEFAULT_BODY);
	struct scenario_server *v = &s->server;
	v->mode = SMTP_SERVER_STARTTLS;
	v->buffering = SMTP_BUFFER_DISCARD;
	v->hostname = xstrdup("mail.example.test");
	v->user = xstrdup("alice");
	v->password = xstrdup("wonderland");
	v->max_size = 10 * 1024 * 1024;
	s->mitm.tamper_record = 1;
	s->mitm.hop = 1;
	s->relay.tls = SMTP_CLIENT_TLS_OPPORTUNISTIC;
	s->relay.verify = TLS_VERIFY_NONE;
	s->relay.mta_sts = s->relay.dane = s->relay.mta_sts_cached = 1;
	s->mx.mode = SMTP_SERVER_STARTTLS;
	if (!(s->mx.hostname = xstrdup("mx.example.net")))
		return -1;
	/* The attacker's own account at the provider, as any customer could have one. */
	s->mitm.account_user = xstrdup("mallory");
	s->mitm.account_password = xstrdup("mallory-demo-password");
	s->mitm.mailbox = xstrdup("mallory@example.test");
	if (!s->mitm.account_user || !s->mitm.account_password || !s->mitm.mailbox)
		return -1;
	if (!c->ehlo_name || !c->server_name || !c->user || !c->password || !c->mail_from ||
	    !c->rcpt[0] || !c->body || !v->hostname || !v->user || !v->password)
		return -1;
	return 0;
}

/* Default certificate paths, resolved like paths written in the file. */
static int default_paths(struct parse_ctx *c)
{
	struct scenario *s = c->s;
	if (!s->client.trust && resolve_path(c, "certs/demo-ca.pem", &s->client.trust))
		return -1;
	if (!s->server.tls_opt.cert && resolve_path(c, "certs/server-ecdsa.pem", &s->server.tls_opt.cert))
		return -1;
	if (!s->server.tls_opt.key && resolve_path(c, "certs/server-ecdsa.key", &s->server.tls_opt.key))
		return -1;
	const struct attack *a = s->mitm.attack;
	const char *cert = a && a->certificate ? a->certificate : "certs/attacker-selfsigned.pem";
	const char *key = a && a->key ? a->key : "certs/attacker-selfsigned.key";
	if (!s->mitm.tls_opt.cert && resolve_path(c, cert, &s->mitm.tls_opt.cert))
		return -1;
	if (!s->mitm.tls_opt.key && resolve_path(c, key, &s->mitm.tls_opt.key))
		return -1;
	if (s->client.dkim_sign && !s->client.dkim_key && resolve_path(c, "certs/dkim-demo.key", &s->client.dkim_key))
		return -1;
	if (s->has_route) {
		if (!s->relay.trust && !(s->relay.trust = xstrdup(s->client.trust)))
			return -1;
		if (!s->mx.tls_opt.cert && resolve_path(c, "certs/mx-ecdsa.pem", &s->mx.tls_opt.cert))
			return -1;
		if (!s->mx.tls_opt.key && resolve_path(c, "certs/mx-ecdsa.key", &s->mx.tls_opt.key))
			return -1;
	}
	return 0;
}

/* What the mail checks need, once the whole file is read: "" when it holds together. */
static void check_mail_auth(struct parse_ctx *c)
{
	struct scenario *s = c->s;
	struct scenario_client *cl = &s->client;
	const struct scenario_expect *e = &s->expect;
	if (!s->has_dns && (e->has_spf || e->has_dkim || e->has_dmarc)) {
		fail(c, "[expect] spf, dkim and dmarc are the receiver's checks: they need a [dns] section%s%s", "", "");
		c->err_line = c->verdict_line;
	} else if (cl->dkim_sign && !s->has_dns) {
		fail(c, "dkim_sign needs a [dns] section (the receiver looks the key up there)%s%s", "", "");
		c->err_line = c->dkim_sign_line;
	} else if (cl->dkim_break_body && !cl->dkim_sign)
		fail(c, "dkim_break_body alters a signed body: it needs dkim_sign = yes%s%s", "", "");
	if (cl->dkim_sign && !cl->dkim_selector)
		cl->dkim_selector = xstrdup("sel");
	if (cl->dkim_sign && !cl->dkim_domain) {
		const char *at = strrchr(cl->mail_from, '@');
		cl->dkim_domain = xstrdup(at && at[1] ? at + 1 : "example.test");
	}
}

/* Each actor's TLS options hold together: TLS 1.3, its suites and chosen groups need the
 * OpenSSL engine (BearSSL stops at TLS 1.2), and TLS 1.3 suites need TLS 1.3. */
static void check_tls_engine(struct parse_ctx *c, const struct scenario_tls *t, const char *section)
{
	if (c->err[0] || !t->tls_line)
		return;
	int has13 = 0;
	for (size_t i = 0; i < t->nsuites; i++)
		has13 |= (t->suites[i] & 0xff00) == 0x1300;
	int v13 = t->version_max == TLS13 || t->version_min == TLS13;
	if (t->engine == TLS_ENGINE_BEARSSL && (v13 || has13 || t->groups[0]))
		fail(c, "[%s] engine = bearssl has no TLS 1.3%s: use engine = openssl", section,
		     t->groups[0] && !v13 && !has13 ? " and no choice of groups" : "");
	else if (has13 && !v13)
		fail(c, "[%s] the tls13-* suites need tls_max = 1.3%s", section, "");
	else if (t->groups[0] && t->engine != TLS_ENGINE_OPENSSL && !v13)
		fail(c, "[%s] groups are chosen only with engine = openssl (or tls_max = 1.3)%s", section, "");
	else if (v13 && t->nsuites && !has13)
		fail(c, "[%s] tls_max = 1.3 with only TLS 1.2 suites: add a tls13-* suite%s", section, "");
	else
		return;
	c->err_line = t->tls_line;
}

static void check_tls_engines(struct parse_ctx *c)
{
	struct scenario *s = c->s;
	check_tls_engine(c, &s->client.tls_opt, "client");
	check_tls_engine(c, &s->server.tls_opt, "server");
	check_tls_engine(c, &s->mitm.tls_opt, "mitm");
	check_tls_engine(c, &s->relay.tls_opt, "relay");
	check_tls_engine(c, &s->mx.tls_opt, "mx");
}

/* A route holds together: hop 2 and the route's expectations need one, and only the
 * attacks that do not need the client's own connection go on hop 2. */
static void check_route(struct parse_ctx *c)
{
	struct scenario *s = c->s;
	const struct attack *a = s->mitm.attack;
	if (s->mitm.hop == 2 && !s->has_route) {
		fail(c, "[mitm] hop = 2 puts the attacker between the server and the recipient's MX: it needs a route "
			"(a [relay] or [mx] section)%s%s", "", "");
		c->err_line = c->hop_line;
	} else if (s->mitm.hop == 2 && a && (a->flags & (ATTACK_F_HOP1_ONLY | ATTACK_F_TAP))) {
		fail(c, "[mitm] the attack %s works on the client's own connection only (hop = 1)%s", a->name, "");
		c->err_line = c->hop_line;
	} else if (!s->has_route && c->route_expect_line) {
		fail(c, "[expect] submitted, deferred, bounced, relay_tls, policy_result, hop1/hop2_observer_learns and "
			"received_with describe a route: "
			"they need a [relay] or [mx] section%s%s", "", "");
		c->err_line = c->route_expect_line;
	} else if (s->client.requiretls && s->client.tls != SMTP_CLIENT_TLS_REQUIRED &&
		   s->client.tls != SMTP_CLIENT_TLS_IMPLICIT) {
		fail(c, "requiretls: REQUIRETLS is sent only inside TLS (RFC 8689): it needs tls = starttls-required "
			"or implicit%s%s", "", "");
		c->err_line = c->requiretls_line;
	} else if (s->has_route && s->server.port != 25 && s->server.port != 587 && s->server.port != 465 &&
		   s->server.port) {
		fail(c, "a route starts at a submission server: [server] port must be 587 or 465 (or 25)%s%s", "", "");
		c->err_line = c->route_line;
	}
}

/* A certificate and its key, loaded once to check them: each must decode, and the key
 * must be of the kind the certificate holds (an RSA certificate with an EC key would
 * only fail later, inside a handshake, and blame the wrong party). */
static void check_pair(struct parse_ctx *c, const struct scenario_tls *t, const char *who)
{
	struct pki_chain ch;
	struct pki_key k;
	char e[400];
	memset(&ch, 0, sizeof ch);
	memset(&k, 0, sizeof k);
	if (pki_load_chain(t->cert, &ch, e, sizeof e)) {
		fail(c, "%s%s", e, "");
		c->err_line = t->cert_line;
		return;
	}
	if (pki_load_key(t->key, &k, e, sizeof e)) {
		fail(c, "%s%s", e, "");
		c->err_line = t->key_line;
	} else if (k.type != ch.key_type) {
		char msg[400];
		snprintf(msg, sizeof msg, "the key is %s but %s's certificate %s holds an %s key",
			 k.type == BR_KEYTYPE_RSA ? "RSA" : "EC", who, t->cert, ch.key_type == BR_KEYTYPE_RSA ? "RSA" : "EC");
		fail(c, "%s: %s", t->key, msg);
		c->err_line = t->key_line ? t->key_line : t->cert_line;
	}
	pki_chain_free(&ch);
	pki_key_free(&k);
}

/* A trust file: at least one certificate, each one decoded. */
static void check_anchors(struct parse_ctx *c, const char *path, int line)
{
	struct pki_anchors a;
	char e[400];
	memset(&a, 0, sizeof a);
	if (pki_load_anchors(path, &a, e, sizeof e)) {
		fail(c, "%s%s", e, "");
		c->err_line = line;
	}
	pki_anchors_free(&a);
}

/* The certificates and keys the scenario names, checked at load with their lines: a
 * trust file or a stolen key that does not load would otherwise stop the run later,
 * or show as the attacker's failure in the lesson instead of an error in the file. */
static void check_pki(struct parse_ctx *c)
{
	struct scenario *s = c->s;
	check_anchors(c, s->client.trust, c->trust_line);
	if (!c->err[0] && s->has_route && strcmp(s->relay.trust, s->client.trust))
		check_anchors(c, s->relay.trust, c->relay_trust_line);
	if (!c->err[0] && s->mitm.stolen_key) {
		struct pki_key k;
		char e[400];
		memset(&k, 0, sizeof k);
		if (pki_load_key(s->mitm.stolen_key, &k, e, sizeof e)) {
			fail(c, "%s%s", e, "");
			c->err_line = c->stolen_key_line;
		}
		pki_key_free(&k);
	}
	if (!c->err[0])
		check_pair(c, &s->server.tls_opt, "the server");
	if (!c->err[0] && s->mitm.attack) {
		/* An attack that presents the server's own chain pairs it with its own key. */
		struct scenario_tls t = s->mitm.tls_opt;
		if (s->mitm.attack->flags & ATTACK_F_SERVER_CHAIN) {
			t.cert = s->server.tls_opt.cert;
			t.cert_line = s->server.tls_opt.cert_line;
		}
		check_pair(c, &t, (s->mitm.attack->flags & ATTACK_F_SERVER_CHAIN) ? "the server (replayed by the attacker)"
										  : "the attacker");
	}
	if (!c->err[0] && s->has_route)
		check_pair(c, &s->mx.tls_opt, "the MX");
}

static int known_section(const char *name, size_t n)
{
	static const char *const names[] = { "scenario", "client", "server", "relay", "mx", "mitm", "dns", "expect" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == n && !strncmp(names[i], name, n))
			return 1;
	return 0;
}

/* inih's line reader, counting lines so that a problem found in the handler is
 * reported at its own line even after an earlier syntax error, and checking section
 * headers: inih calls the handler only for keys, so an unknown section would otherwise
 * be reported at its first key, or not at all when it is empty. */
static char *read_line(char *str, int num, void *stream)
{
	struct parse_ctx *c = stream;
	if (c->text_pos >= c->text_len || num < 2)
		return NULL;
	/* One line from the text read at load (check_text bounded its length). */
	const char *p = c->text + c->text_pos;
	size_t left = c->text_len - c->text_pos, n = 0;
	while (n < left && n + 1 < (size_t)num && p[n] != '\n')
		n++;
	if (n < left && p[n] == '\n' && n + 1 < (size_t)num)
		n++;
	memcpy(str, p, n);
	str[n] = '\0';
	c->text_pos += n;
	char *l = str;
	c->line++;
	c->continuation = l[0] == ' ' || l[0] == '\t';
	/* inih reads an indented "[name]" as a section header too, unless it continues a
	 * key's value: treat it as one here as well, so that it is checked. */
	const char *q = l;
	while (*q == ' ' || *q == '\t')
		q++;
	if (*q == '[' && q > l && !c->key_since_header)
		l += q - l;
	if (l[0] == '[') {
		c->key_since_header = 0;
		c->section_line = c->line;
		const char *end = strchr(l, ']');
		/* Nothing but blanks or a comment may follow a section header. */
		const char *after = end ? end + 1 : NULL;
		while (after && (*after == ' ' || *after == '\t' || *after == '\r'))
			after++;
		if (after && *after && *after != '\n' && *after != ';' && *after != '#')
			fail(c, "unexpected '%s' after the section header (a header is alone on its line)%s",
			     "text", "");
		c->in_dns = end && end - l == 4 && !strncmp(l + 1, "dns", 3);
		if (c->in_dns)
			c->s->has_dns = 1;
		if (end && ((end - l == 6 && !strncmp(l + 1, "relay", 5)) || (end - l == 3 && !strncmp(l + 1, "mx", 2)))) {
			c->s->has_route = 1;
			if (!c->route_line)
				c->route_line = c->line;
		}
		if (end && !known_section(l + 1, (size_t)(end - l - 1))) {
			char name[200];
			snprintf(name, sizeof name, "%.*s", (int)(end - l - 1), l + 1);
			fail(c, "unknown section [%s]%s", name, " (expected scenario, client, server, relay, mx, mitm, dns or expect)");
		}
	} else if (c->in_dns) {
		/* Zone lines are not key = value: parse them here, and hand inih an empty line. */
		char e[300];
		int cont = l[0] == ' ' || l[0] == '\t';
		if (!c->err[0] && dns_zone_parse_line(&c->s->dns, l, cont, c->line, e, sizeof e))
			fail(c, "[dns]: %s%s", e, "");
		l[0] = '\n';
		l[1] = '\0';
	}
	return l;
}

/* Opens path for reading only if it is a regular file of at most limit bytes: never
 * blocks on a FIFO, never reads a device. Returns the fd, or -1 with the reason in why. */
static int open_regular(const char *path, size_t limit, char *why, size_t cap)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(why, cap, "%s", strerror(e));
		errno = e; /* the caller may try another place only for ENOENT */
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st)) {
		snprintf(why, cap, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, cap, "%s", S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
		close(fd);
		errno = 0;
		return -1;
	}
	if ((uint64_t)st.st_size > limit) {
		snprintf(why, cap, "larger than %zu MiB", limit >> 20);
		close(fd);
		errno = 0;
		return -1;
	}
	return fd;
}

/* Reads the whole scenario file: a regular file, bounded in size, text without NUL
 * bytes, no line longer than LINE_LIMIT. Returns the text (NUL-terminated, *len bytes),
 * or NULL with "FILE[:LINE]: problem" in err. */
static char *read_text(const char *path, size_t *len, char *err, size_t errcap)
{
	char why[128];
	int fd = open_regular(path, FILE_LIMIT, why, sizeof why);
	if (fd < 0) {
		snprintf(err, errcap, "%s: cannot open: %s", path, why);
		return NULL;
	}
	struct stat st;
	size_t cap = fstat(fd, &st) == 0 ? (size_t)st.st_size + 1 : 4096, n = 0;
	char *t = malloc(cap);
	for (;;) {
		if (!t) {
			close(fd);
			snprintf(err, errcap, "%s: out of memory", path);
			return NULL;
		}
		if (n + 1 == cap) { /* the file grew while we read: still bounded */
			char *g = cap > FILE_LIMIT ? NULL : realloc(t, cap * 2);
			if (!g) {
				free(t);
				close(fd);
				snprintf(err, errcap, "%s: %s", path, cap > FILE_LIMIT ? "too large" : "out of memory");
				return NULL;
			}
			t = g;
			cap *= 2;
		}
		ssize_t r = read(fd, t + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(t);
			close(fd);
			snprintf(err, errcap, "%s: cannot read: %s", path, strerror(e));
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	t[n] = '\0';
	/* A UTF-8 byte order mark (some editors write one) is not part of the first line. */
	if (n >= 3 && (unsigned char)t[0] == 0xef && (unsigned char)t[1] == 0xbb && (unsigned char)t[2] == 0xbf) {
		memmove(t, t + 3, n - 2);
		n -= 3;
	}
	int line = 1;
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i] == '\n') {
			line++;
			col = 0;
		} else if (t[i] == '\0') {
			free(t);
			snprintf(err, errcap, "%s:%d: NUL byte: not a text file", path, line);
			return NULL;
		} else if (++col > LINE_LIMIT) {
			free(t);
			snprintf(err, errcap, "%s:%d: line longer than %d characters (continue a long value on indented lines)",
				 path, line, LINE_LIMIT);
			return NULL;
		}
	}
	*len = n;
	return t;
}

int scenario_load(const char *path, const struct scenario_load_opts *lo, struct scenario *s, char *err,
		  size_t errcap)
{
	memset(s, 0, sizeof *s);
	size_t text_len = 0;
	char *text = read_text(path, &text_len, err, errcap);
	if (!text) {
		for (char *p = err; errcap && *p; p++) /* one line, whatever the path holds */
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		return -1;
	}
	s->path = xstrdup(path);
	const char *slash = strrchr(path, '/');
	s->dir = slash ? strndup(path, (size_t)(slash - path)) : xstrdup(".");
	const char *base = slash ? slash + 1 : path;
	size_t blen = strlen(base);
	if (blen > 4 && !strcmp(base + blen - 4, ".ini"))
		blen -= 4;
	s->name = strndup(base, blen);
	if (!s->path || !s->dir || !s->name || set_defaults(s)) {
		snprintf(err, errcap, "%s: out of memory", path);
		free(text);
		scenario_free(s);
		return -1;
	}
	struct parse_ctx *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errcap, "%s: out of memory", path);
		free(text);
		scenario_free(s);
		return -1;
	}
	c->s = s;
	c->datadir = lo ? lo->datadir : NULL;
	c->careless_auth = c->careless_unauth = -1;
	c->text = text;
	c->text_len = text_len;
	int r = ini_parse_stream(read_line, c, handler, c);
	free(text);
	if (c->err[0] && (r == 0 || r >= c->err_at)) {
		/* our own problem came first (inih reports the first error's line) */
		snprintf(err, errcap, "%s:%d: %s", path, c->err_line, c->err);
		r = 1;
	} else if (r > 0) {
		snprintf(err, errcap, "%s:%d: syntax error (expected '[section]' or 'key = value')", path, r);
	} else if (r < 0) {
		snprintf(err, errcap, "%s: %s", path, r == -1 ? "cannot open" : "out of memory");
	} else if (!s->title) {
		snprintf(err, errcap, "%s: [scenario] has no title", path);
		r = 1;
	} else if (default_paths(c)) {
		snprintf(err, errcap, "%s: demo PKI: %s", path, c->err);
		r = 1;
	} else if ((check_mail_auth(c), c->err[0]) || (check_route(c), c->err[0]) || (check_tls_engines(c), c->err[0]) || (check_pki(c), c->err[0])) {
		if (c->err_line)
			snprintf(err, errcap, "%s:%d: %s", path, c->err_line, c->err);
		else
			snprintf(err, errcap, "%s: %s", path, c->err);
		r = 1;
	}
	int careless_auth = c->careless_auth, careless_unauth = c->careless_unauth;
	free(c);
	if (r != 0) {
		/* One line, whatever the path holds (a newline in a file name). */
		for (char *p = err; errcap && *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
		scenario_free(s);
		return -1;
	}
	if (!s->server.port)
		s->server.port = s->server.mode == SMTP_SERVER_PLAIN ? 25
				 : s->server.mode == SMTP_SERVER_IMPLICIT ? 465 : 587;
	/* Secure unless the file says careless; port 25 is a relay, which asks for no AUTH. */
	s->server.auth_requires_tls = careless_auth != 1;
	s->server.auth_required = careless_unauth < 0 ? s->server.port != 25 : !careless_unauth;
	if (!s->lesson)
		s->lesson = xstrdup("");
	return 0;
}

static void tls_opt_free(struct scenario_tls *t)
{
	free(t->cert);
	free(t->key);
}

void scenario_free(struct scenario *s)
{
	free(s->references);
	free(s->no_starttls);
	free(s->pair);
	free(s->path);
	free(s->dir);
	free(s->name);
	free(s->title);
	free(s->lesson);
	struct scenario_client *c = &s->client;
	free(c->ehlo_name);
	free(c->server_name);
	free(c->trust);
	free(c->user);
	free(c->password);
	free(c->mail_from);
	for (size_t i = 0; i < c->nrcpt; i++)
		free(c->rcpt[i]);
	free(c->body);
	tls_opt_free(&c->tls_opt);
	free(s->server.hostname);
	free(s->server.user);
	free(s->server.password);
	tls_opt_free(&s->server.tls_opt);
	tls_opt_free(&s->mitm.tls_opt);
	free(s->mitm.inject);
	free(s->mitm.stolen_key);
	free(s->mitm.account_user);
	free(s->mitm.account_password);
	free(s->mitm.mailbox);
	free(s->expect.client_error);
	free(s->expect.server_error);
	free(s->expect.alert);
	free(s->expect.received_with);
	free(s->relay.trust);
	tls_opt_free(&s->relay.tls_opt);
	free(s->mx.hostname);
	free(s->mx.mta_sts_policy);
	free(s->expect.policy_result);
	tls_opt_free(&s->mx.tls_opt);
	free(c->dkim_domain);
	free(c->dkim_selector);
	free(c->dkim_key);
	dns_zone_free(&s->dns);
	memset(s, 0, sizeof *s);
}

struct scenario scenario_variant(const struct scenario *src)
{
	return *src;
}
