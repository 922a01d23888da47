/* import_json: see import_json.h. One pass over the jansson tree, in the order the
 * facts depend on one another: the scenario, the TLS sessions (events point into them),
 * the events, then the ledger and the outcome made from them, and the [expect] checks.
 * Every reader below is given the JSON path of what it reads ("events[12].kind") for its
 * message, and every name goes back through the inverse of the function that wrote it. */
#include "sim/export/import_json.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/attack/attack.h"
#include "sim/decode/decode.h"
#include "sim/run/relay_policy.h"
#include "sim/wire/tls.h"

#define FORMAT_NAME "smtps-sim-trace"
#define FORMAT_VERSION 2
/* The most bytes an event may say it had on the wire or in plaintext (wire_len,
 * plain_len): far above any run, low enough that sums of them cannot overflow. */
#define MAX_EVENT_BYTES ((int64_t)1 << 40)
#define PATH_CAP 160

enum {
	REQUIRED = 0,
	OPTIONAL = 1,   /* an absent key leaves the value as it was */
	NULLABLE = 2,   /* null stands for "none" (NULL, or the caller's default) */
};

struct loader {
	const char *file;
	char *err;
	size_t errcap;
	int failed;
	/* the cipher suites decode_cipher_suite_name knows, gathered on first use */
	int suites_ready;
	size_t nsuites;
	uint16_t suite_id[512];
	const char *suite_name[512];
};

/* ---- messages ---- */

/* Records the first problem as "FILE: AT: what" (or "FILE: what"). Returns -1. */
static int fail(struct loader *l, const char *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct loader *l, const char *at, const char *fmt, ...)
{
	if (l->failed)
		return -1;
	l->failed = 1;
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (at && at[0])
		snprintf(l->err, l->errcap, "%s: %s: %s", l->file, at, msg);
	else
		snprintf(l->err, l->errcap, "%s: %s", l->file, msg);
	return -1;
}

static int oom(struct loader *l, const char *at)
{
	return fail(l, at, "out of memory");
}

/* A value from the document, fit for a one-line message: printable ASCII, at most 48
 * characters. buf needs 56 bytes. */
static const char *shown(const char *s, char *buf)
{
	size_t n = 0;
	for (; s && *s && n < 48; s++)
		buf[n++] = *s >= 32 && *s < 127 ? *s : '?';
	if (s && *s) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* Appends s to the path in buf (PATH_CAP bytes), which holds *n; a long path is cut. */
static void path_append(char *buf, size_t *n, const char *s)
{
	while (*s && *n + 1 < PATH_CAP)
		buf[(*n)++] = *s++;
	buf[*n] = '\0';
}

/* "AT.KEY", or "KEY" at the top. */
static const char *path_key(char *buf, const char *at, const char *key)
{
	size_t n = 0;
	buf[0] = '\0';
	path_append(buf, &n, at);
	if (at[0])
		path_append(buf, &n, ".");
	path_append(buf, &n, key);
	return buf;
}

/* "AT[I]". */
static const char *path_index(char *buf, const char *at, size_t i)
{
	char num[32];
	size_t n = 0;
	snprintf(num, sizeof num, "[%zu]", i);
	buf[0] = '\0';
	path_append(buf, &n, at);
	path_append(buf, &n, num);
	return buf;
}

/* ---- typed members ---- */

/* The member key of object o, or NULL: absent (an error unless OPTIONAL). */
static json_t *member(struct loader *l, json_t *o, const char *at, const char *key, int flags)
{
	json_t *v = json_object_get(o, key);
	if (!v && !(flags & OPTIONAL))
		fail(l, at, "missing key '%s'", key);
	return v;
}

/* A string member; *out points into the tree. Returns 0 (also for an absent OPTIONAL
 * key or a NULLABLE null: *out is then NULL), or -1. */
static int get_str(struct loader *l, json_t *o, const char *at, const char *key, int flags, const char **out)
{
	char p[PATH_CAP];
	*out = NULL;
	json_t *v = member(l, o, at, key, flags);
	if (!v)
		return l->failed ? -1 : 0;
	if ((flags & NULLABLE) && json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return fail(l, path_key(p, at, key), "expected a string%s", flags & NULLABLE ? " or null" : "");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail(l, path_key(p, at, key), "a NUL character inside the text");
	*out = json_string_value(v);
	return 0;
}

/* A copy of a string member in *dst (what *dst held is freed); NULL for null or absent. */
static int dup_str(struct loader *l, json_t *o, const char *at, const char *key, int flags, char **dst)
{
	const char *s;
	if (get_str(l, o, at, key, flags, &s))
		return -1;
	char *c = NULL;
	if (s && !(c = strdup(s)))
		return oom(l, at);
	free(*dst);
	*dst = c;
	return 0;
}

/* A string member of at most cap - 1 bytes, copied into buf. */
static int copy_str(struct loader *l, json_t *o, const char *at, const char *key, int flags, char *buf, size_t cap)
{
	char p[PATH_CAP];
	const char *s;
	if (get_str(l, o, at, key, flags, &s))
		return -1;
	if (s && strlen(s) >= cap)
		return fail(l, path_key(p, at, key), "longer than %zu bytes", cap - 1);
	snprintf(buf, cap, "%s", s ? s : "");
	return 0;
}

static int get_bool(struct loader *l, json_t *o, const char *at, const char *key, int flags, int *out)
{
	char p[PATH_CAP];
	json_t *v = member(l, o, at, key, flags);
	if (!v)
		return l->failed ? -1 : 0;
	if (!json_is_boolean(v))
		return fail(l, path_key(p, at, key), "expected true or false");
	*out = json_is_true(v);
	return 0;
}

static int int_value(struct loader *l, json_t *v, const char *p, int64_t min, int64_t max, int64_t *out)
{
	if (!json_is_integer(v))
		return fail(l, p, "expected a whole number");
	json_int_t x = json_integer_value(v);
	if (x < min || x > max)
		return fail(l, p, "%lld is out of range (%lld to %lld)", (long long)x, (long long)min, (long long)max);
	*out = (int64_t)x;
	return 0;
}

/* An integer member in min..max; an absent OPTIONAL key leaves *out as it was. */
static int get_int(struct loader *l, json_t *o, const char *at, const char *key, int flags, int64_t min, int64_t max,
		   int64_t *out)
{
	char p[PATH_CAP];
	json_t *v = member(l, o, at, key, flags);
	if (!v)
		return l->failed ? -1 : 0;
	return int_value(l, v, path_key(p, at, key), min, max, out);
}

/* get_int into an int. */
static int get_int32(struct loader *l, json_t *o, const char *at, const char *key, int flags, int min, int max, int *out)
{
	int64_t v = *out;
	if (get_int(l, o, at, key, flags, min, max, &v))
		return -1;
	*out = (int)v;
	return 0;
}

static int get_obj(struct loader *l, json_t *o, const char *at, const char *key, int flags, json_t **out)
{
	char p[PATH_CAP];
	*out = NULL;
	json_t *v = member(l, o, at, key, flags);
	if (!v || ((flags & NULLABLE) && json_is_null(v)))
		return l->failed ? -1 : 0;
	if (!json_is_object(v))
		return fail(l, path_key(p, at, key), "expected an object%s", flags & NULLABLE ? " or null" : "");
	*out = v;
	return 0;
}

static int get_arr(struct loader *l, json_t *o, const char *at, const char *key, int flags, json_t **out)
{
	char p[PATH_CAP];
	*out = NULL;
	json_t *v = member(l, o, at, key, flags);
	if (!v)
		return l->failed ? -1 : 0;
	if (!json_is_array(v))
		return fail(l, path_key(p, at, key), "expected an array");
	*out = v;
	return 0;
}

/* A name member, looked up with from (the inverse of the function that wrote it). */
static int get_name(struct loader *l, json_t *o, const char *at, const char *key, int (*from)(const char *),
		    const char *what, int *out)
{
	char p[PATH_CAP], b[56];
	const char *s;
	if (get_str(l, o, at, key, REQUIRED, &s))
		return -1;
	int v = from(s);
	if (v < 0)
		return fail(l, path_key(p, at, key), "unknown %s '%s'", what, shown(s, b));
	*out = v;
	return 0;
}

/* ---- hex ---- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Checks that s is hex for at most max bytes; *n is its byte count. */
static int hex_check(struct loader *l, const char *p, const char *s, size_t max, size_t *n)
{
	size_t len = strlen(s);
	if (len % 2)
		return fail(l, p, "not a hex string (an odd number of digits)");
	for (size_t i = 0; i < len; i++)
		if (hex_digit(s[i]) < 0)
			return fail(l, p, "not a hex string ('%c' at %zu)", s[i] >= 32 && s[i] < 127 ? s[i] : '?', i);
	if (len / 2 > max)
		return fail(l, p, "%zu bytes, more than %zu", len / 2, max);
	*n = len / 2;
	return 0;
}

static void hex_decode(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(hex_digit(s[2 * i]) << 4 | hex_digit(s[2 * i + 1]));
}

/* A hex member as a new buffer (NULL for ""), at most max bytes. */
static int get_hex(struct loader *l, json_t *o, const char *at, const char *key, size_t max, uint8_t **out, size_t *n)
{
	char p[PATH_CAP];
	const char *s;
	*out = NULL;
	*n = 0;
	if (get_str(l, o, at, key, REQUIRED, &s) || hex_check(l, path_key(p, at, key), s, max, n))
		return -1;
	if (!*n)
		return 0;
	if (!(*out = malloc(*n)))
		return oom(l, at);
	hex_decode(s, *out, *n);
	return 0;
}

/* A hex member of exactly n bytes into buf; with NULLABLE, null gives *present 0. */
static int get_hex_fixed(struct loader *l, json_t *o, const char *at, const char *key, int flags, uint8_t *buf,
			 size_t n, int *present)
{
	char p[PATH_CAP];
	const char *s;
	size_t got;
	if (present)
		*present = 0;
	if (get_str(l, o, at, key, flags, &s))
		return -1;
	if (!s)
		return 0;
	if (hex_check(l, path_key(p, at, key), s, n, &got))
		return -1;
	if (got != n)
		return fail(l, p, "%zu bytes where %zu were expected", got, n);
	hex_decode(s, buf, n);
	if (present)
		*present = 1;
	return 0;
}

/* ---- names written by functions outside this module ---- */

/* The value v in 0..count-1 whose name(v) is s ("?" and "unknown" are no names), or -1. */
static int from_table(const char *s, const char *(*name)(int), int count)
{
	for (int v = 0; s && v < count; v++) {
		const char *n = name(v);
		if (n && strcmp(n, "?") && strcmp(n, "unknown") && !strcmp(n, s))
			return v;
	}
	return -1;
}

static const char *client_tls_n(int v) { return scenario_client_tls_name((enum smtp_client_tls)v); }
static const char *server_mode_n(int v) { return scenario_server_mode_name((enum smtp_server_mode)v); }
static const char *verify_n(int v) { return scenario_verify_name((enum tls_verify)v); }
static const char *buffering_n(int v) { return scenario_buffering_name((enum smtp_buffering)v); }
static const char *client_auth_n(int v) { return scenario_auth_name((enum smtp_client_auth)v); }
static const char *mtasts_action_n(int v) { return mtasts_action_name((enum mtasts_action)v); }
static const char *dns_type_n(int v) { return dns_type_name((enum dns_type)v); }
static const char *tls_version_n(int v) { return decode_tls_version_name((unsigned)v); }

static int client_tls_from_name(const char *s) { return from_table(s, client_tls_n, 16); }
static int server_mode_from_name(const char *s) { return from_table(s, server_mode_n, 16); }
static int verify_from_name(const char *s) { return from_table(s, verify_n, 16); }
static int buffering_from_name(const char *s) { return from_table(s, buffering_n, 16); }
static int client_auth_from_name(const char *s) { return from_table(s, client_auth_n, 16); }
static int mtasts_action_from_name(const char *s) { return from_table(s, mtasts_action_n, 16); }
static int dns_type_from_name(const char *s) { return from_table(s, dns_type_n, 256); }
/* "TLS 1.2" → 0x0303 (the versions decode_tls_version_name names lie below 0x0400). */
static int tls_version_from_json(const char *s) { return from_table(s, tls_version_n, 0x0400); }

static int auth_result_from_name(const char *s)
{
	enum auth_result r;
	return s && !auth_result_parse(s, &r) ? (int)r : -1;
}

static int attack_from_behaviour(const char *s)
{
	const struct attack *a = s ? attack_find(s) : NULL;
	return a ? (int)attack_index(a) : -1;
}

/* A cipher suite: an IANA name decode_cipher_suite_name gives, or "0x" and four hex
 * digits (what tls_options writes for a suite without a name). */
static int suite_from_name(struct loader *l, const char *s)
{
	if (!strncmp(s, "0x", 2) && strlen(s) == 6) {
		int v = 0;
		for (int i = 2; i < 6; i++) {
			int d = hex_digit(s[i]);
			if (d < 0)
				return -1;
			v = v << 4 | d;
		}
		return v;
	}
	if (!l->suites_ready) {
		for (unsigned id = 0; id <= 0xffff && l->nsuites < sizeof l->suite_id / sizeof l->suite_id[0]; id++) {
			const char *n = decode_cipher_suite_name(id);
			if (n) {
				l->suite_id[l->nsuites] = (uint16_t)id;
				l->suite_name[l->nsuites++] = n;
			}
		}
		l->suites_ready = 1;
	}
	for (size_t i = 0; i < l->nsuites; i++)
		if (!strcmp(l->suite_name[i], s))
			return l->suite_id[i];
	return -1;
}

/* OBSERVED_* bits from an array of "credentials", "envelope", "body". */
static int secrets_value(struct loader *l, json_t *a, const char *p, int *bits)
{
	char pi[PATH_CAP], b[56];
	if (!json_is_array(a))
		return fail(l, p, "expected an array of credentials, envelope, body");
	*bits = 0;
	for (size_t i = 0; i < json_array_size(a); i++) {
		const char *s = json_string_value(json_array_get(a, i));
		int bit = !s ? 0 : !strcmp(s, "credentials") ? OBSERVED_CREDENTIALS : !strcmp(s, "envelope") ? OBSERVED_ENVELOPE
			: !strcmp(s, "body") ? OBSERVED_BODY : 0;
		if (!bit)
			return fail(l, path_index(pi, p, i), "unknown secret '%s' (expected credentials, envelope or body)",
				    s ? shown(s, b) : "(not a string)");
		*bits |= bit;
	}
	return 0;
}

/* ---- the scenario ---- */

static int load_tls_options(struct loader *l, json_t *o, const char *at, struct scenario_tls *t)
{
	char p[PATH_CAP], pi[PATH_CAP], b[56];
	json_t *to, *suites;
	if (get_obj(l, o, at, "tls_options", REQUIRED, &to))
		return -1;
	path_key(p, at, "tls_options");
	static const char *const keys[2] = { "version_min", "version_max" };
	for (int k = 0; k < 2; k++) {
		int v = 0;
		const char *s;
		if (get_str(l, to, p, keys[k], REQUIRED, &s))
			return -1;
		if (strcmp(s, "default") && (v = tls_version_from_json(s)) < 0) {
			char pk[PATH_CAP];
			return fail(l, path_key(pk, p, keys[k]), "unknown TLS version '%s'", shown(s, b));
		}
		*(k ? &t->version_max : &t->version_min) = (unsigned)v;
	}
	if (get_arr(l, to, p, "suites", REQUIRED, &suites))
		return -1;
	char ps[PATH_CAP];
	path_key(ps, p, "suites");
	if (json_array_size(suites) > SCENARIO_MAX_SUITES)
		return fail(l, ps, "more than %d suites", SCENARIO_MAX_SUITES);
	t->nsuites = 0;
	for (size_t i = 0; i < json_array_size(suites); i++) {
		const char *s = json_string_value(json_array_get(suites, i));
		int id = s ? suite_from_name(l, s) : -1;
		if (id < 0)
			return fail(l, path_index(pi, ps, i), "unknown cipher suite '%s'", s ? shown(s, b) : "(not a string)");
		t->suites[t->nsuites++] = (uint16_t)id;
	}
	const char *engine, *groups;
	if (get_str(l, to, p, "engine", OPTIONAL, &engine) || get_str(l, to, p, "groups", OPTIONAL, &groups))
		return -1;
	char pk[PATH_CAP];
	if (engine && !strcmp(engine, "openssl"))
		t->engine = TLS_ENGINE_OPENSSL;
	else if (engine && !strcmp(engine, "bearssl"))
		t->engine = TLS_ENGINE_BEARSSL;
	else if (engine)
		return fail(l, path_key(pk, p, "engine"), "unknown TLS engine '%s'", shown(engine, b));
	if (groups && strlen(groups) >= sizeof t->groups)
		return fail(l, path_key(pk, p, "groups"), "longer than %zu characters", sizeof t->groups - 1);
	if (groups)
		memcpy(t->groups, groups, strlen(groups) + 1);
	return 0;
}

/* quirks, as scenario_client_quirks_text writes them: each name is the text of one
 * quirk alone; keep-buffered-replies is buffering = keep, already read. */
static int load_quirks(struct loader *l, const char *p, const char *text, struct scenario_client *c)
{
	char tmp[512], b[56];
	if (strlen(text) >= sizeof tmp)
		return fail(l, p, "too long");
	snprintf(tmp, sizeof tmp, "%s", text);
	c->quirks = 0;
	for (char *save = NULL, *tok = strtok_r(tmp, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		struct scenario_client one;
		char name[128];
		memset(&one, 0, sizeof one);
		one.buffering = SMTP_BUFFER_KEEP;
		if (!strcmp(tok, scenario_client_quirks_text(&one, name, sizeof name))) {
			if (c->buffering != SMTP_BUFFER_KEEP)
				return fail(l, p, "%s, but buffering is not keep: they are one setting", tok);
			continue;
		}
		one.buffering = SMTP_BUFFER_DISCARD;
		int found = 0;
		for (unsigned bit = 0; bit < 32 && !found; bit++) {
			one.quirks = 1u << bit;
			if (!strcmp(tok, scenario_client_quirks_text(&one, name, sizeof name))) {
				c->quirks |= one.quirks;
				found = 1;
			}
		}
		if (!found)
			return fail(l, p, "unknown quirk '%s'", shown(tok, b));
	}
	return 0;
}

static int load_client(struct loader *l, json_t *so, struct scenario_client *c)
{
	const char *at = "scenario.client";
	char p[PATH_CAP], pi[PATH_CAP];
	json_t *o, *rcpt, *dk;
	const char *quirks;
	int v = 0;
	if (get_obj(l, so, "scenario", "client", REQUIRED, &o))
		return -1;
	if (get_name(l, o, at, "tls", client_tls_from_name, "client TLS policy", &v))
		return -1;
	c->tls = (enum smtp_client_tls)v;
	if (get_name(l, o, at, "verify", verify_from_name, "verification", &v))
		return -1;
	c->verify = (enum tls_verify)v;
	if (get_name(l, o, at, "auth", client_auth_from_name, "AUTH mechanism", &v))
		return -1;
	c->auth = (enum smtp_client_auth)v;
	if (get_name(l, o, at, "buffering", buffering_from_name, "buffering", &v))
		return -1;
	c->buffering = (enum smtp_buffering)v;
	if (get_str(l, o, at, "quirks", REQUIRED, &quirks) || load_quirks(l, path_key(p, at, "quirks"), quirks, c))
		return -1;
	/* never null in a run (the scenario has defaults), and views print them */
	if (dup_str(l, o, at, "ehlo_name", REQUIRED, &c->ehlo_name) ||
	    dup_str(l, o, at, "server_name", REQUIRED, &c->server_name) ||
	    dup_str(l, o, at, "user", REQUIRED, &c->user) || dup_str(l, o, at, "password", REQUIRED, &c->password) ||
	    dup_str(l, o, at, "mail_from", REQUIRED, &c->mail_from) || get_arr(l, o, at, "rcpt", REQUIRED, &rcpt))
		return -1;
	path_key(p, at, "rcpt");
	if (json_array_size(rcpt) > SCENARIO_MAX_RCPT)
		return fail(l, p, "more than %d recipients", SCENARIO_MAX_RCPT);
	for (size_t i = 0; i < json_array_size(rcpt); i++) {
		const char *s = json_string_value(json_array_get(rcpt, i));
		if (!s || strlen(s) != json_string_length(json_array_get(rcpt, i)))
			return fail(l, path_index(pi, p, i), "expected a string");
		if (!(c->rcpt[c->nrcpt] = strdup(s)))
			return oom(l, p);
		c->nrcpt++;
	}
	if (load_tls_options(l, o, at, &c->tls_opt) || get_obj(l, o, at, "dkim", OPTIONAL, &dk) ||
	    get_bool(l, o, at, "requiretls", OPTIONAL, &c->requiretls))
		return -1;
	if (dk) {
		path_key(p, at, "dkim");
		c->dkim_sign = 1;
		if (dup_str(l, dk, p, "domain", NULLABLE, &c->dkim_domain) ||
		    dup_str(l, dk, p, "selector", NULLABLE, &c->dkim_selector) ||
		    get_bool(l, dk, p, "break_body", REQUIRED, &c->dkim_break_body))
			return -1;
	}
	return 0;
}

static int load_server(struct loader *l, json_t *so, struct scenario_server *s)
{
	const char *at = "scenario.server";
	json_t *o;
	int v = 0;
	int64_t size = 0;
	if (get_obj(l, so, "scenario", "server", REQUIRED, &o) ||
	    get_name(l, o, at, "mode", server_mode_from_name, "server mode", &v))
		return -1;
	s->mode = (enum smtp_server_mode)v;
	if (get_int32(l, o, at, "port", REQUIRED, 0, 65535, &v))
		return -1;
	s->port = (unsigned)v;
	if (dup_str(l, o, at, "hostname", REQUIRED, &s->hostname) ||
	    get_name(l, o, at, "buffering", buffering_from_name, "buffering", &v))
		return -1;
	s->buffering = (enum smtp_buffering)v;
	if (get_bool(l, o, at, "auth_requires_tls", REQUIRED, &s->auth_requires_tls) ||
	    get_bool(l, o, at, "auth_required", REQUIRED, &s->auth_required) ||
	    get_int(l, o, at, "max_size", REQUIRED, 0, (int64_t)1 << 40, &size) ||
	    get_bool(l, o, at, "requiretls", OPTIONAL, &s->requiretls) ||
	    get_bool(l, o, at, "dmarc_reject", OPTIONAL, &s->dmarc_reject))
		return -1;
	s->max_size = (size_t)size;
	return load_tls_options(l, o, at, &s->tls_opt);
}

/* relay and mx: both or neither (the route). */
static int load_route(struct loader *l, json_t *so, struct scenario *sc)
{
	json_t *rl, *mx;
	int v = 0;
	if (get_obj(l, so, "scenario", "relay", OPTIONAL, &rl) || get_obj(l, so, "scenario", "mx", OPTIONAL, &mx))
		return -1;
	if (!rl && !mx)
		return 0;
	if (!rl || !mx)
		return fail(l, "scenario", "'%s' without '%s': a route has both", rl ? "relay" : "mx", rl ? "mx" : "relay");
	sc->has_route = 1;
	const char *at = "scenario.relay";
	if (get_name(l, rl, at, "tls", client_tls_from_name, "client TLS policy", &v))
		return -1;
	sc->relay.tls = (enum smtp_client_tls)v;
	if (get_name(l, rl, at, "verify", verify_from_name, "verification", &v))
		return -1;
	sc->relay.verify = (enum tls_verify)v;
	if (get_bool(l, rl, at, "mta_sts", REQUIRED, &sc->relay.mta_sts) ||
	    get_bool(l, rl, at, "mta_sts_cached", REQUIRED, &sc->relay.mta_sts_cached) ||
	    get_bool(l, rl, at, "dane", REQUIRED, &sc->relay.dane) || load_tls_options(l, rl, at, &sc->relay.tls_opt))
		return -1;
	at = "scenario.mx";
	if (dup_str(l, mx, at, "hostname", REQUIRED, &sc->mx.hostname) ||
	    get_name(l, mx, at, "mode", server_mode_from_name, "server mode", &v))
		return -1;
	sc->mx.mode = (enum smtp_server_mode)v;
	return dup_str(l, mx, at, "mta_sts_policy", NULLABLE, &sc->mx.mta_sts_policy) ||
	       get_bool(l, mx, at, "requiretls", OPTIONAL, &sc->mx.requiretls) ||
	       get_bool(l, mx, at, "dmarc_reject", OPTIONAL, &sc->mx.dmarc_reject) ||
	       load_tls_options(l, mx, at, &sc->mx.tls_opt) ? -1 : 0;
}

static int load_mitm(struct loader *l, json_t *so, struct scenario *sc)
{
	const char *at = "scenario.mitm";
	json_t *o;
	int v = 0;
	if (get_obj(l, so, "scenario", "mitm", NULLABLE, &o))
		return -1;
	sc->mitm.hop = 1;
	sc->mitm.tamper_record = 1;
	if (!o)
		return 0;
	if (get_name(l, o, at, "behaviour", attack_from_behaviour, "attacker behaviour", &v))
		return -1;
	sc->mitm.attack = attack_at((size_t)v);
	if (dup_str(l, o, at, "inject", NULLABLE, &sc->mitm.inject) ||
	    get_int32(l, o, at, "tamper_record", REQUIRED, 0, 1000000, &v))
		return -1;
	sc->mitm.tamper_record = (unsigned)v;
	if (get_int32(l, o, at, "hop", OPTIONAL, 1, 2, &sc->mitm.hop) ||
	    dup_str(l, o, at, "mailbox", OPTIONAL | NULLABLE, &sc->mitm.mailbox))
		return -1;
	if (sc->mitm.hop == 2 && !sc->has_route)
		return fail(l, at, "hop 2 without a route (relay and mx)");
	return 0;
}

/* "192.0.2.10" into a[4]. */
static int dotted_quad(const char *s, uint8_t a[4])
{
	unsigned v[4];
	char tail;
	if (sscanf(s, "%3u.%3u.%3u.%3u%c", &v[0], &v[1], &v[2], &v[3], &tail) != 4 || strspn(s, "0123456789.") != strlen(s))
		return -1;
	for (int i = 0; i < 4; i++) {
		if (v[i] > 255)
			return -1;
		a[i] = (uint8_t)v[i];
	}
	return 0;
}

static int load_dns_record(struct loader *l, json_t *o, const char *at, struct dns_record *r)
{
	char p[PATH_CAP], b[56];
	const char *name, *data;
	int type = 0;
	int64_t v = 0;
	if (!json_is_object(o))
		return fail(l, at, "expected an object");
	if (get_str(l, o, at, "name", REQUIRED, &name) || get_name(l, o, at, "type", dns_type_from_name, "record type", &type) ||
	    get_str(l, o, at, "data", REQUIRED, &data) || get_bool(l, o, at, "authenticated", REQUIRED, &r->authenticated))
		return -1;
	if (!dns_name_valid(name))
		return fail(l, path_key(p, at, "name"), "'%s' is not a host name", shown(name, b));
	r->type = (enum dns_type)type;
	if (!(r->name = strdup(name)) || !(r->text = strdup(data)))
		return oom(l, at);
	path_key(p, at, "data");
	switch (r->type) {
	case DNS_A:
		if (dotted_quad(data, r->a))
			return fail(l, p, "'%s' is not an IPv4 address", shown(data, b));
		break;
	case DNS_MX:
		if (get_int(l, o, at, "preference", REQUIRED, 0, 65535, &v))
			return -1;
		r->pref = (unsigned)v;
		if (!dns_name_valid(data))
			return fail(l, p, "'%s' is not a host name", shown(data, b));
		break;
	case DNS_TXT:
		v = (int64_t)(strlen(data) + 254) / 255;
		if (get_int(l, o, at, "strings", OPTIONAL, 1, (int64_t)strlen(data) + 1, &v))
			return -1;
		r->nstrings = (size_t)(v ? v : 1);
		break;
	case DNS_TLSA: {
		static const char *const keys[3] = { "usage", "selector", "matching_type" };
		uint8_t *nums[3] = { &r->usage, &r->selector, &r->mtype };
		for (int k = 0; k < 3; k++) {
			if (get_int(l, o, at, keys[k], REQUIRED, 0, 255, &v))
				return -1;
			*nums[k] = (uint8_t)v;
		}
		if (hex_check(l, p, data, 1024, &r->len))
			return -1;
		if (!r->len)
			return fail(l, p, "no association data");
		if (!(r->data = malloc(r->len)))
			return oom(l, at);
		hex_decode(data, r->data, r->len);
		break;
	}
	}
	return 0;
}

static int load_dns(struct loader *l, json_t *so, struct scenario *sc)
{
	char at[PATH_CAP];
	json_t *z;
	if (get_arr(l, so, "scenario", "dns", OPTIONAL, &z))
		return -1;
	if (!z)
		return 0;
	sc->has_dns = 1;
	size_t n = json_array_size(z);
	if (n && !(sc->dns.rr = calloc(n, sizeof *sc->dns.rr)))
		return oom(l, "scenario.dns");
	sc->dns.cap = n;
	for (size_t i = 0; i < n; i++) {
		struct dns_record *r = &sc->dns.rr[i];
		if (load_dns_record(l, json_array_get(z, i), path_index(at, "scenario.dns", i), r)) {
			free(r->name);
			free(r->text);
			free(r->data);
			memset(r, 0, sizeof *r);
			return -1;
		}
		sc->dns.n = i + 1;
	}
	return 0;
}

static int load_scenario(struct loader *l, json_t *root, const char *path, struct scenario *sc, uint64_t *seed)
{
	json_t *so, *sv;
	const char *pair;
	char b[56];
	if (get_obj(l, root, "", "scenario", REQUIRED, &so))
		return -1;
	const char *slash = strrchr(path, '/');
	if (!(sc->path = strdup(path)) || !(sc->dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".")))
		return oom(l, "scenario");
	if (dup_str(l, so, "scenario", "name", REQUIRED, &sc->name) ||
	    dup_str(l, so, "scenario", "title", REQUIRED, &sc->title) ||
	    dup_str(l, so, "scenario", "lesson", REQUIRED, &sc->lesson) ||
	    dup_str(l, so, "scenario", "references", OPTIONAL | NULLABLE, &sc->references) ||
	    dup_str(l, so, "scenario", "no_starttls", OPTIONAL | NULLABLE, &sc->no_starttls) ||
	    get_str(l, so, "scenario", "pair", OPTIONAL | NULLABLE, &pair))
		return -1;
	/* the twin is opened as DIR/PAIR.ini: a name, never a path */
	if (pair && (!pair[0] || strspn(pair, "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(pair)))
		return fail(l, "scenario.pair", "'%s' is not a scenario's name", shown(pair, b));
	if (pair && !(sc->pair = strdup(pair)))
		return oom(l, "scenario");
	/* the seed: a JSON integer, or a decimal string above 2^63 - 1 */
	if (!(sv = member(l, so, "scenario", "seed", REQUIRED)))
		return -1;
	if (json_is_string(sv)) {
		const char *s = json_string_value(sv);
		char *end;
		errno = 0;
		unsigned long long x = strtoull(s, &end, 10);
		if (!*s || *s < '0' || *s > '9' || *end || errno)
			return fail(l, "scenario.seed", "'%s' is not a whole number", shown(s, b));
		*seed = x;
	} else {
		int64_t x;
		if (int_value(l, sv, "scenario.seed", 0, INT64_MAX, &x))
			return -1;
		*seed = (uint64_t)x;
	}
	sc->seed = *seed;
	/* Unix time of 9999-12-31: gmtime and the views' dates stay in four digits */
	if (get_int(l, so, "scenario", "date_unix", REQUIRED, 0, 253402300799LL, &sc->date))
		return -1;
	if (load_client(l, so, &sc->client) || load_server(l, so, &sc->server) || load_route(l, so, sc) ||
	    load_mitm(l, so, sc) || load_dns(l, so, sc))
		return -1;
	return 0;
}

/* ---- the TLS sessions ---- */

static int load_session(struct loader *l, json_t *o, const char *at, struct trace_tls_session *s)
{
	char p[PATH_CAP], pi[PATH_CAP], b[56];
	json_t *links, *suite;
	const char *ce, *se, *ver;
	if (!json_is_object(o))
		return fail(l, at, "expected an object");
	if (get_arr(l, o, at, "links", REQUIRED, &links))
		return -1;
	path_key(p, at, "links");
	if (!json_array_size(links))
		return fail(l, p, "a session crosses at least one link");
	for (size_t i = 0; i < json_array_size(links); i++) {
		const char *s_ = json_string_value(json_array_get(links, i));
		int k = trace_link_from_name(s_);
		if (k < 0)
			return fail(l, path_index(pi, p, i), "unknown link '%s'", s_ ? shown(s_, b) : "(not a string)");
		s->links |= 1u << k;
	}
	if (get_str(l, o, at, "client_end", NULLABLE, &ce) || get_str(l, o, at, "server_end", NULLABLE, &se) ||
	    get_str(l, o, at, "version", REQUIRED, &ver))
		return -1;
	const char *ends[2] = { ce, se };
	for (int k = 0; k < 2; k++) {
		if (!ends[k])
			continue;
		int a = trace_actor_from_name(ends[k]);
		if (a < 0)
			return fail(l, path_key(p, at, k ? "server_end" : "client_end"), "unknown actor '%s'", shown(ends[k], b));
		*(k ? &s->server_end : &s->client_end) = (enum trace_actor)a;
		*(k ? &s->server_up : &s->client_up) = 1;
	}
	/* "unknown": a TLS 1.3 handshake that ended before its ServerHello was agreed on
	 * at either end left only secrets */
	int v = strcmp(ver, "unknown") ? tls_version_from_json(ver) : 0;
	if (v < 0)
		return fail(l, path_key(p, at, "version"), "unknown TLS version '%s'", shown(ver, b));
	s->version = (unsigned)v;
	if (!(suite = member(l, o, at, "suite", REQUIRED)))
		return -1;
	path_key(p, at, "suite");
	if (json_is_string(suite)) {
		int id = suite_from_name(l, json_string_value(suite));
		if (id < 0)
			return fail(l, p, "unknown cipher suite '%s'", shown(json_string_value(suite), b));
		s->suite = (unsigned)id;
	} else {
		int64_t id;
		if (int_value(l, suite, p, 0, 65535, &id))
			return -1;
		s->suite = (unsigned)id;
	}
	uint8_t pm[48];
	const char *pms;
	if (get_hex_fixed(l, o, at, "client_random", REQUIRED, s->client_random, 32, NULL) ||
	    get_hex_fixed(l, o, at, "master_secret", NULLABLE, s->master_secret, 48, &s->has_secret) ||
	    get_hex_fixed(l, o, at, "server_random", OPTIONAL | NULLABLE, s->server_random, 32, &s->has_server_random) ||
	    get_str(l, o, at, "premaster", OPTIONAL | NULLABLE, &pms))
		return -1;
	if (pms) {
		if (hex_check(l, path_key(p, at, "premaster"), pms, sizeof pm, &s->premaster_len))
			return -1;
		hex_decode(pms, s->premaster, s->premaster_len);
	}
	json_t *sec = member(l, o, at, "secrets13", OPTIONAL);
	if (l->failed)
		return -1;
	if (sec) {
		char ps[PATH_CAP], pk[PATH_CAP];
		path_key(ps, at, "secrets13");
		if (!json_is_object(sec))
			return fail(l, ps, "expected an object");
		const char *label;
		json_t *sv;
		json_object_foreach(sec, label, sv) {
			int kind = tls13_secret_from_label(label, strlen(label));
			path_key(pk, ps, label);
			if (kind < 0)
				return fail(l, pk, "not a TLS 1.3 key log label");
			const char *hx = json_string_value(sv);
			size_t n = 0;
			if (!hx)
				return fail(l, pk, "expected a string");
			if (hex_check(l, pk, hx, TLS13_SECRET_MAX, &n))
				return -1;
			if ((n != 32 && n != 48) || (s->secrets13 && n != s->secret13_len))
				return fail(l, pk, "a secret of %zu bytes (32 or 48, all alike)", n);
			hex_decode(hx, s->secret13[kind], n);
			s->secret13_len = n;
			s->secrets13 |= 1u << kind;
		}
	}
	return 0;
}

static int load_sessions(struct loader *l, json_t *root, struct trace *t)
{
	char at[PATH_CAP];
	json_t *a;
	if (get_arr(l, root, "", "tls_sessions", REQUIRED, &a))
		return -1;
	size_t n = json_array_size(a);
	if (n && !(t->sessions = calloc(n, sizeof *t->sessions)))
		return oom(l, "tls_sessions");
	t->sessions_cap = n;
	for (size_t i = 0; i < n; i++) {
		if (load_session(l, json_array_get(a, i), path_index(at, "tls_sessions", i), &t->sessions[i]))
			return -1;
		t->nsessions = i + 1;
	}
	return 0;
}

/* ---- the events ---- */

/* The field tree back into the flat list: each field's depth is its depth in the tree,
 * or its own "depth" where the export said the tree could not show it. total: the bytes
 * the ranges count in (wire_len, or plain_len for an event with no wire bytes). */
static int load_fields(struct loader *l, json_t *a, const char *at, int tree_depth, uint64_t total, struct fields *f)
{
	char p[PATH_CAP];
	if (!json_is_array(a))
		return fail(l, at, "expected an array");
	if (tree_depth > TRACE_JSON_MAX_FIELD_DEPTH)
		return fail(l, at, "fields nested deeper than %d levels", TRACE_JSON_MAX_FIELD_DEPTH);
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *o = json_array_get(a, i), *kids, *off_j, *len_j;
		const char *name, *value;
		int depth = tree_depth;
		int64_t off = 0, len = 0;
		path_index(p, at, i);
		if (!json_is_object(o))
			return fail(l, p, "expected an object");
		if (get_str(l, o, p, "name", REQUIRED, &name) || get_str(l, o, p, "value", REQUIRED, &value) ||
		    get_int32(l, o, p, "depth", OPTIONAL, 0, TRACE_JSON_MAX_FIELD_DEPTH, &depth))
			return -1;
		off_j = json_object_get(o, "offset");
		len_j = json_object_get(o, "length");
		if (!off_j != !len_j)
			return fail(l, p, "'%s' without '%s'", off_j ? "offset" : "length", off_j ? "length" : "offset");
		if (off_j && (get_int(l, o, p, "offset", REQUIRED, 0, (int64_t)total, &off) ||
			      get_int(l, o, p, "length", REQUIRED, 0, (int64_t)total - off, &len)))
			return -1;
		if (fields_add(f, depth, name, "%s", value))
			return oom(l, p);
		if (off_j)
			fields_last_range(f, (size_t)off, (size_t)len);
		if (get_arr(l, o, p, "children", OPTIONAL, &kids))
			return -1;
		char pk[PATH_CAP];
		if (kids && load_fields(l, kids, path_key(pk, p, "children"), tree_depth + 1, total, f))
			return -1;
	}
	return 0;
}

static int reader_bit(const char *s)
{
	static const struct {
		int bit;
		const char *name;
	} names[] = {
		{ READ_WIRE, "wire" }, { READ_CLIENT, "client" }, { READ_MITM, "attacker" }, { READ_SERVER, "server" },
		{ READ_MX, "MX" },
	};
	for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(s, names[i].name))
			return names[i].bit;
	return 0;
}

/* The bytes of an event: wire, or plain / plain_hex. */
static int load_bytes(struct loader *l, json_t *o, const char *at, const char *len_key, const char *text_key,
		      const char *hex_key, const char *trunc_key, uint8_t **out, size_t *len, size_t *stored)
{
	char p[PATH_CAP];
	int64_t n = 0;
	int truncated = 0;
	if (get_int(l, o, at, len_key, text_key ? OPTIONAL : REQUIRED, 0, MAX_EVENT_BYTES, &n) ||
	    get_bool(l, o, at, trunc_key, OPTIONAL, &truncated))
		return -1;
	*len = (size_t)n;
	if (text_key && !n)
		return 0;
	const char *s = NULL;
	if (text_key && get_str(l, o, at, text_key, OPTIONAL, &s))
		return -1;
	if (s) {
		if (json_object_get(o, hex_key))
			return fail(l, at, "both '%s' and '%s'", text_key, hex_key);
		*stored = strlen(s);
		if (*stored > *len)
			return fail(l, path_key(p, at, text_key), "%zu bytes, more than %s %zu", *stored, len_key, *len);
		if (*stored && !(*out = malloc(*stored)))
			return oom(l, at);
		memcpy(*out, s, *stored);
	} else if (get_hex(l, o, at, hex_key, *len, out, stored)) {
		return -1;
	}
	if (*stored < *len && !truncated)
		return fail(l, at, "%s holds %zu of the %zu bytes of %s, and %s is not set", s ? text_key : hex_key, *stored,
			    *len, len_key, trunc_key);
	return 0;
}

/* The typed facts of each kind (see export_json's event_json). */
static int load_kind_facts(struct loader *l, json_t *o, const char *at, size_t nsessions, struct trace_event *e)
{
	char p[PATH_CAP], b[56];
	int v = 0;
	if (e->kind == TK_ALERT && get_int32(l, o, at, "alert_level", REQUIRED, -1, 255, &e->alert_level))
		return -1;
	if (e->kind == TK_TLS_FAILED || e->kind == TK_TLS_UNVERIFIED) {
		const char *name;
		int code = -1;
		if (get_str(l, o, at, "tls_error", REQUIRED, &name) ||
		    get_int32(l, o, at, "tls_error_code", OPTIONAL, 0, INT_MAX, &code))
			return -1;
		if (code < 0 && (code = tls_error_from_name(name)) < 0)
			return fail(l, path_key(p, at, "tls_error"), "unknown BearSSL error '%s'", shown(name, b));
		if (strcmp(tls_error_name(code), name))
			return fail(l, path_key(p, at, "tls_error_code"), "%d is not %s", code, shown(name, b));
		e->tls_err = code;
	}
	json_t *sj = json_object_get(o, "session");
	if (sj) {
		int64_t si;
		if (!nsessions)
			return fail(l, path_key(p, at, "session"), "there is no TLS session to point at");
		if (int_value(l, sj, path_key(p, at, "session"), 0, (int64_t)nsessions - 1, &si))
			return -1;
		e->session = (int)si;
	}
	if (e->kind == TK_CONN_OPEN) {
		if (get_int32(l, o, at, "port", REQUIRED, 0, 65535, &v))
			return -1;
		e->port = (unsigned)v;
	}
	if (e->kind == TK_MAIL_AUTH) {
		int step = e->subtype;
		if (get_name(l, o, at, "auth_step", auth_step_from_name, "mail authentication step", &step))
			return -1;
		if (step != e->subtype)
			return fail(l, path_key(p, at, "auth_step"), "%s is step %d, not the subtype %d", auth_step_name(step),
				    step, e->subtype);
		/* the receiver's verdicts always; stored and rejected from this version on */
		int has = step == AUTH_SPF || step == AUTH_DKIM || step == AUTH_DMARC;
		if (has || json_object_get(o, "verdict")) {
			if (get_name(l, o, at, "verdict", auth_result_from_name, "verdict", &e->verdict))
				return -1;
		}
		if (step == AUTH_DMARC &&
		    (get_name(l, o, at, "dmarc_policy", auth_policy_from_name, "DMARC policy", &e->policy) ||
		     get_name(l, o, at, "dmarc_disposition", auth_policy_from_name, "DMARC policy", &e->disposition)))
			return -1;
	}
	if (e->kind == TK_POLICY) {
		int step = e->subtype;
		if (get_name(l, o, at, "policy_step", relay_policy_step_from_name, "policy step", &step))
			return -1;
		if (step != e->subtype)
			return fail(l, path_key(p, at, "policy_step"), "%s is step %d, not the subtype %d",
				    relay_policy_step_name((enum relay_policy_step)step), step, e->subtype);
		if (get_name(l, o, at, "policy_type", relay_policy_kind_from_name, "policy type", &e->policy))
			return -1;
		/* a step without an action (a lookup) has verdict -1, as the relay writes it */
		e->verdict = -1;
		if (step == POLICY_DECISION && get_name(l, o, at, "action", mtasts_action_from_name, "action", &e->verdict))
			return -1;
		if (step == POLICY_REQUIRETLS && get_bool(l, o, at, "bounced", REQUIRED, &e->verdict))
			return -1;
	}
	return 0;
}

static int load_event(struct loader *l, json_t *o, size_t i, const struct trace *t, struct trace_event *e)
{
	char at[PATH_CAP], p[PATH_CAP], pi[PATH_CAP], b[56];
	int v = 0;
	int64_t x = 0;
	json_t *parent, *readers, *fields;
	path_index(at, "events", i);
	if (!json_is_object(o))
		return fail(l, at, "expected an object");
	if (get_int(l, o, at, "seq", REQUIRED, 0, UINT32_MAX, &x))
		return -1;
	if ((uint64_t)x != i + 1)
		return fail(l, path_key(p, at, "seq"), "%lld where %zu was expected (events are in trace order)", (long long)x,
			    i + 1);
	e->seq = (uint32_t)x;
	if (get_int(l, o, at, "time_us", REQUIRED, 0, INT64_MAX, &x))
		return -1;
	e->time_us = (uint64_t)x;
	if (get_name(l, o, at, "link", trace_link_from_name, "link", &v))
		return -1;
	e->link = (enum trace_link)v;
	if (get_name(l, o, at, "from", trace_actor_from_name, "actor", &v))
		return -1;
	e->from = (enum trace_actor)v;
	if (get_name(l, o, at, "to", trace_actor_from_name, "actor", &v))
		return -1;
	e->to = (enum trace_actor)v;
	if (get_name(l, o, at, "layer", trace_layer_from_name, "layer", &v))
		return -1;
	e->layer = (enum trace_layer)v;
	if (!(parent = member(l, o, at, "parent", REQUIRED)))
		return -1;
	if (!json_is_null(parent)) {
		/* the seq of an earlier event: the record this one was found in */
		if (!json_is_integer(parent) || json_integer_value(parent) < 1 || (uint64_t)json_integer_value(parent) > i)
			return fail(l, path_key(p, at, "parent"), "expected null or the seq of an earlier event");
		e->parent = (int)(json_integer_value(parent) - 1);
	}
	if (get_bool(l, o, at, "encrypted", REQUIRED, &e->encrypted) || get_arr(l, o, at, "readers", REQUIRED, &readers))
		return -1;
	path_key(p, at, "readers");
	for (size_t k = 0; k < json_array_size(readers); k++) {
		const char *s = json_string_value(json_array_get(readers, k));
		int bit = reader_bit(s);
		if (!bit)
			return fail(l, path_index(pi, p, k), "unknown reader '%s'", s ? shown(s, b) : "(not a string)");
		e->readers |= bit;
	}
	int attacked = 0;
	if (get_bool(l, o, at, "attack", REQUIRED, &attacked) ||
	    get_name(l, o, at, "kind", trace_kind_from_name, "kind", &v))
		return -1;
	e->kind = (enum trace_kind)v;
	if (get_int32(l, o, at, "subtype", REQUIRED, INT_MIN, INT_MAX, &e->subtype))
		return -1;
	if (attacked) {
		if (get_name(l, o, at, "attack_action", trace_attack_from_name, "attack action", &e->attack))
			return -1;
		if (e->attack == ATTACK_NONE)
			return fail(l, path_key(p, at, "attack_action"), "none, on an event the attacker made or changed");
	} else if (json_object_get(o, "attack_action")) {
		return fail(l, path_key(p, at, "attack_action"), "present, but attack is false");
	}
	if (load_kind_facts(l, o, at, t->nsessions, e))
		return -1;
	int replay = 0;
	const char *source;
	if (get_bool(l, o, at, "replay", OPTIONAL, &replay) || get_str(l, o, at, "replay_source", OPTIONAL, &source))
		return -1;
	e->replay = replay ? REPLAY_RECORDING : REPLAY_NONE;
	if (source) {
		if (strcmp(source, "mailbox"))
			return fail(l, path_key(p, at, "replay_source"), "unknown source '%s'", shown(source, b));
		if (!replay)
			return fail(l, path_key(p, at, "replay_source"), "present, but replay is not");
		e->replay = REPLAY_MAILBOX;
	}
	x = 0;
	if (get_int(l, o, at, "segment", OPTIONAL, 0, UINT32_MAX, &x))
		return -1;
	e->segment = (uint32_t)x;
	const char *summary;
	if (get_str(l, o, at, "summary", REQUIRED, &summary))
		return -1;
	if (!(e->summary = strdup(summary)) || dup_str(l, o, at, "narration", NULLABLE, &e->narration))
		return e->summary ? -1 : oom(l, at);
	if (load_bytes(l, o, at, "wire_len", NULL, "wire_hex", "wire_truncated", &e->wire, &e->wire_len,
		       &e->wire_stored) ||
	    load_bytes(l, o, at, "plain_len", "plain", "plain_hex", "plain_truncated", &e->plain, &e->plain_len,
		       &e->plain_stored) ||
	    get_arr(l, o, at, "fields", REQUIRED, &fields))
		return -1;
	return load_fields(l, fields, path_key(p, at, "fields"), 0, e->wire_len ? e->wire_len : e->plain_len, &e->fields);
}

static void event_free(struct trace_event *e)
{
	free(e->wire);
	free(e->plain);
	free(e->summary);
	free(e->narration);
	fields_free(&e->fields);
}

static int load_events(struct loader *l, json_t *root, struct trace *t)
{
	json_t *a;
	if (get_arr(l, root, "", "events", REQUIRED, &a))
		return -1;
	size_t n = json_array_size(a);
	if (n > UINT32_MAX)
		return fail(l, "events", "more events than a trace holds");
	if (n && !(t->ev = calloc(n, sizeof *t->ev)))
		return oom(l, "events");
	t->cap = n;
	size_t max_stored = 0;
	for (size_t i = 0; i < n; i++) {
		struct trace_event ev, *e = &ev;
		memset(e, 0, sizeof *e);
		e->parent = -1;
		e->session = -1;
		fields_init(&e->fields);
		if (load_event(l, json_array_get(a, i), i, t, e)) {
			event_free(e);
			return -1;
		}
		/* a trace kept short (max_stored) says so: the largest prefix it kept */
		if (e->wire_stored < e->wire_len && e->wire_stored > max_stored)
			max_stored = e->wire_stored;
		if (e->plain_stored < e->plain_len && e->plain_stored > max_stored)
			max_stored = e->plain_stored;
		/* Into the trace's own storage, as a run appends it: the bytes kept, then the
		 * lengths as they were on the wire. */
		size_t wire_len = e->wire_len, plain_len = e->plain_len;
		uint32_t seq = e->seq;
		e->wire_len = e->wire_stored;
		e->plain_len = e->plain_stored;
		int idx = trace_append(t, e);
		e->wire_len = wire_len;
		e->plain_len = plain_len;
		if (idx < 0) {
			event_free(e);
			return oom(l, "events");
		}
		t->ev[idx].wire_len = wire_len;
		t->ev[idx].plain_len = plain_len;
		t->ev[idx].seq = seq;
		event_free(e);
	}
	t->max_stored = max_stored;
	return 0;
}

/* ---- the outcome: the actors' part ---- */

/* null, or {"code", "name", "text"}: the code and the text (the name follows from the code). */
static int load_error(struct loader *l, json_t *o, const char *at, const char *key, int *code, char *text, size_t cap)
{
	char p[PATH_CAP];
	json_t *eo;
	*code = 0;
	text[0] = '\0';
	if (get_obj(l, o, at, key, NULLABLE, &eo))
		return -1;
	if (!eo)
		return 0;
	path_key(p, at, key);
	return get_int32(l, eo, p, "code", REQUIRED, 0, INT_MAX, code) || copy_str(l, eo, p, "text", REQUIRED, text, cap)
		       ? -1
		       : 0;
}

static int load_outcome(struct loader *l, json_t *root, const struct scenario *sc, struct outcome *oc)
{
	const char *at = "outcome";
	char p[PATH_CAP], pi[PATH_CAP];
	json_t *o, *errs, *rt, *rc;
	if (get_obj(l, root, "", "outcome", REQUIRED, &o) || get_bool(l, o, at, "delivered", REQUIRED, &oc->delivered) ||
	    get_int32(l, o, at, "to_attacker_mailbox", OPTIONAL, 0, INT_MAX, &oc->to_attacker) ||
	    get_bool(l, o, at, "altered", REQUIRED, &oc->altered) || get_obj(l, o, at, "errors", REQUIRED, &errs) ||
	    load_error(l, errs, "outcome.errors", "client", &oc->client_err, oc->client_error, sizeof oc->client_error) ||
	    load_error(l, errs, "outcome.errors", "server", &oc->server_err, oc->server_error, sizeof oc->server_error) ||
	    load_error(l, errs, "outcome.errors", "attacker", &oc->mitm_err, oc->mitm_error, sizeof oc->mitm_error) ||
	    get_int32(l, o, at, "injected", REQUIRED, 0, INT_MAX, &oc->injected) ||
	    get_int32(l, o, at, "injected_refused", REQUIRED, 0, INT_MAX, &oc->injected_refused) ||
	    get_obj(l, o, at, "route", OPTIONAL, &rt))
		return -1;
	if (!rt != !sc->has_route)
		return fail(l, at, "%s", rt ? "a route, but the scenario has none" : "missing key 'route' (the scenario has a route)");
	if (!rt)
		return 0;
	at = "outcome.route";
	oc->route = 1;
	if (get_bool(l, rt, at, "submitted", REQUIRED, &oc->submitted) ||
	    get_bool(l, rt, at, "relayed", REQUIRED, &oc->relayed) ||
	    load_error(l, rt, at, "relay_error", &oc->relay_err, oc->relay_error, sizeof oc->relay_error) ||
	    get_arr(l, rt, at, "received", REQUIRED, &rc))
		return -1;
	path_key(p, at, "received");
	if (json_array_size(rc) > OUTCOME_MAX_RECEIVED)
		return fail(l, p, "more than %d Received: lines", OUTCOME_MAX_RECEIVED);
	for (size_t i = 0; i < json_array_size(rc); i++) {
		json_t *r = json_array_get(rc, i);
		path_index(pi, p, i);
		if (!json_is_object(r))
			return fail(l, pi, "expected an object");
		if (copy_str(l, r, pi, "with", REQUIRED, oc->received_with[i], sizeof oc->received_with[i]) ||
		    copy_str(l, r, pi, "line", REQUIRED, oc->received[i], sizeof oc->received[i]))
			return -1;
		oc->nreceived = i + 1;
	}
	return 0;
}

/* ---- the [expect] checks ---- */

static int load_checks(struct loader *l, json_t *root, struct scenario_expect *e)
{
	char p[PATH_CAP], b[56];
	json_t *ex = NULL, *ck = NULL, *v;
	const char *key;
	if (get_obj(l, root, "", "expect", OPTIONAL, &ex) || (ex && get_obj(l, ex, "expect", "checks", OPTIONAL, &ck)))
		return -1;
	if (!ex || !ck)
		return 0;
	const struct {
		const char *name;
		int *has, *val;
	} flags[] = {
		{ "delivered", &e->has_delivered, &e->delivered },
		{ "tls", &e->has_tls, &e->tls },
		{ "server_tls", &e->has_server_tls, &e->server_tls },
		{ "altered", &e->has_altered, &e->altered },
		{ "injected", &e->has_injected, &e->injected },
		{ "decrypted_later", &e->has_decrypted_later, &e->decrypted_later },
		{ "submitted", &e->has_submitted, &e->submitted },
		{ "relay_tls", &e->has_relay_tls, &e->relay_tls },
		{ "deferred", &e->has_deferred, &e->deferred },
		{ "bounced", &e->has_bounced, &e->bounced },
	};
	const struct {
		const char *name;
		int *has, *bits;
	} learns[] = {
		{ "observer_learns", &e->has_observer, &e->observer },
		{ "attacker_learns", &e->has_attacker, &e->attacker },
		{ "hop1_observer_learns", &e->has_hop_observer[0], &e->hop_observer[0] },
		{ "hop2_observer_learns", &e->has_hop_observer[1], &e->hop_observer[1] },
	};
	const struct {
		const char *name;
		char **dst;
	} texts[] = {
		{ "client_error", &e->client_error },
		{ "server_error", &e->server_error },
		{ "alert", &e->alert },
		{ "received_with", &e->received_with },
		{ "policy_result", &e->policy_result },
	};
	const struct {
		const char *name;
		int *has;
		enum auth_result *val;
	} verdicts[] = {
		{ "spf", &e->has_spf, &e->spf },
		{ "dkim", &e->has_dkim, &e->dkim },
		{ "dmarc", &e->has_dmarc, &e->dmarc },
	};
	json_object_foreach(ck, key, v) {
		int done = 0;
		path_key(p, "expect.checks", key);
		for (size_t i = 0; i < sizeof flags / sizeof flags[0] && !done; i++)
			if (!strcmp(key, flags[i].name)) {
				if (get_bool(l, ck, "expect.checks", key, REQUIRED, flags[i].val))
					return -1;
				*flags[i].has = done = 1;
			}
		for (size_t i = 0; i < sizeof learns / sizeof learns[0] && !done; i++)
			if (!strcmp(key, learns[i].name)) {
				if (secrets_value(l, v, p, learns[i].bits))
					return -1;
				*learns[i].has = done = 1;
			}
		for (size_t i = 0; i < sizeof texts / sizeof texts[0] && !done; i++)
			if (!strcmp(key, texts[i].name)) {
				if (dup_str(l, ck, "expect.checks", key, REQUIRED, texts[i].dst))
					return -1;
				done = 1;
			}
		for (size_t i = 0; i < sizeof verdicts / sizeof verdicts[0] && !done; i++)
			if (!strcmp(key, verdicts[i].name)) {
				int r = 0;
				if (get_name(l, ck, "expect.checks", key, auth_result_from_name, "verdict", &r))
					return -1;
				*verdicts[i].val = (enum auth_result)r;
				*verdicts[i].has = done = 1;
			}
		/* a check this program does not know cannot be checked: refuse rather than pass */
		if (!done)
			return fail(l, "expect.checks", "unknown check '%s'", shown(key, b));
	}
	return 0;
}

/* ---- the document ---- */

int trace_json_load_buffer(const char *path, const char *text, size_t len, struct scenario *sc,
			   struct run_result *res, char *err, size_t errcap)
{
	memset(sc, 0, sizeof *sc);
	memset(res, 0, sizeof *res);
	struct loader *l = calloc(1, sizeof *l);
	if (!l) {
		snprintf(err, errcap, "%s: out of memory", path);
		return -1;
	}
	l->file = path;
	l->err = err;
	l->errcap = errcap;
	json_error_t je;
	json_t *root = NULL, *fmt, *ver;
	if (len > TRACE_JSON_MAX_BYTES) {
		fail(l, "", "larger than %zu MiB: not a trace this program reads", TRACE_JSON_MAX_BYTES >> 20);
		goto out;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		/* jansson quotes the input near the problem: keep the message one line */
		for (char *c = je.text; *c; c++)
			if ((unsigned char)*c < 32 || *c == 127)
				*c = '?';
		fail(l, "", "not JSON: %s (line %d, column %d)", je.text, je.line, je.column);
		goto out;
	}
	uint64_t seed = 0;
	if (!json_is_object(root) || !json_is_string(fmt = json_object_get(root, "format")) ||
	    strcmp(json_string_value(fmt), FORMAT_NAME)) {
		fail(l, "", "not a smtps-sim trace (no \"format\": \"" FORMAT_NAME "\")");
	} else if (!(ver = json_object_get(root, "version"))) {
		fail(l, "", "missing key 'version'");
	} else if (!json_is_integer(ver)) {
		fail(l, "version", "expected a whole number");
	} else if (json_integer_value(ver) != FORMAT_VERSION) {
		fail(l, "", "version %lld is not supported (this program reads version %d)",
		     (long long)json_integer_value(ver), FORMAT_VERSION);
	} else if (!load_scenario(l, root, path, sc, &seed) && !load_sessions(l, root, &res->trace) &&
		   !load_events(l, root, &res->trace) && !load_outcome(l, root, sc, &res->outcome) &&
		   !load_checks(l, root, &sc->expect)) {
		res->seed = seed;
		/* what follows from the facts, made as run_scenario makes it */
		if (ledger_build(&res->ledger, &res->trace))
			oom(l, "ledger");
		else
			outcome_from_trace(&res->trace, &res->ledger, &res->outcome);
	}
out:
	json_decref(root);
	int failed = l->failed;
	free(l);
	if (failed) {
		run_result_free(res);
		scenario_free(sc);
		return -1;
	}
	return 0;
}

int trace_json_load(const char *path, struct scenario *sc, struct run_result *res, char *err, size_t errcap)
{
	memset(sc, 0, sizeof *sc);
	memset(res, 0, sizeof *res);
	/* A regular file only, as for a scenario: opening a FIFO would wait for a writer
	 * and a device could be read forever. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
	if (!f) {
		snprintf(err, errcap, "%s: cannot open: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct stat st;
	const char *why = NULL;
	if (fstat(fd, &st))
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file";
	if (why) {
		snprintf(err, errcap, "%s: cannot open: %s", path, why);
		fclose(f);
		return -1;
	}
	if ((uint64_t)st.st_size > TRACE_JSON_MAX_BYTES) {
		fclose(f);
		snprintf(err, errcap, "%s: larger than %zu MiB: not a trace this program reads", path,
			 TRACE_JSON_MAX_BYTES >> 20);
		return -1;
	}
	/* read to the end (the file may have grown), one byte past the limit at most */
	size_t n = 0, cap = 0;
	char *buf = NULL;
	int e = 0;
	for (;;) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			if (ncap > TRACE_JSON_MAX_BYTES + 1)
				ncap = TRACE_JSON_MAX_BYTES + 1;
			char *nb = ncap > cap ? realloc(buf, ncap) : NULL;
			if (!nb) {
				e = ncap > cap ? ENOMEM : 0;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (!got) {
			e = ferror(f) ? (errno ? errno : EIO) : 0;
			break;
		}
	}
	fclose(f);
	int rc = -1;
	if (e)
		snprintf(err, errcap, "%s: cannot read: %s", path, strerror(e));
	else
		rc = trace_json_load_buffer(path, buf ? buf : "", n, sc, res, err, errcap);
	free(buf);
	return rc;
}

int trace_json_is_trace(const char *path)
{
	size_t n = strlen(path);
	if (n > 5 && !strcasecmp(path + n - 5, ".json"))
		return 1;
	/* Only a regular file is looked into: a FIFO is left to the scenario loader, which
	 * refuses it, instead of waiting here for a writer. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	FILE *f = fd >= 0 && !fstat(fd, &st) && S_ISREG(st.st_mode) ? fdopen(fd, "rb") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	int c;
	while ((c = fgetc(f)) == ' ' || c == '\t' || c == '\r' || c == '\n')
		;
	fclose(f);
	return c == '{';
}
