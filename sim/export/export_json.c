/* export_json: the whole run as one JSON document (schema in README.md, "The JSON export"): the
 * scenario and its options, every trace event with its decoded fields, the TLS session
 * secrets and the outcome. Objects are built with jansson and printed in insertion
 * order, so the same scenario and seed always give the same bytes. */
#include "sim/export/export.h"
#include "sim/run/relay_policy.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/decode/decode.h"
#include "sim/trace/tlsmath.h"
#include "sim/wire/tls.h"

#define JSON_FORMAT_VERSION 2   /* 2: typed event facts, sessions with their ends, the ledger */


/* jansson's setters steal the value; a NULL value (out of memory) makes them fail,
 * which we collect in *bad rather than test at every call. */
static void set(json_t *o, const char *k, json_t *v, int *bad)
{
	if (!o || !v || json_object_set_new(o, k, v))
		*bad = 1;
}

static void push(json_t *a, json_t *v, int *bad)
{
	if (!a || !v || json_array_append_new(a, v))
		*bad = 1;
}

/* Text that is not valid UTF-8 (a hostile line, a binary body) would make jansson
 * refuse the string; such bytes become U+FFFD. */
static json_t *text(const uint8_t *p, size_t n)
{
	json_t *j = json_stringn((const char *)p, n);
	if (j)
		return j;
	char *buf = malloc(n * 3 + 1);
	if (!buf)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < 0x80 && p[i] != 0) {
			buf[k++] = (char)p[i];
		} else {
			buf[k++] = (char)0xef;
			buf[k++] = (char)0xbf;
			buf[k++] = (char)0xbd;
		}
	}
	j = json_stringn(buf, k);
	free(buf);
	return j;
}

static json_t *str(const char *s)
{
	return s ? text((const uint8_t *)s, strlen(s)) : json_null();
}

static json_t *hex(const uint8_t *p, size_t n)
{
	char *buf = malloc(n * 2 + 1);
	if (!buf)
		return NULL;
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = digits[p[i] >> 4];
		buf[2 * i + 1] = digits[p[i] & 15];
	}
	buf[2 * n] = 0;
	json_t *j = json_stringn(buf, 2 * n);
	free(buf);
	return j;
}

static int printable(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (!(c == '\r' || c == '\n' || c == '\t' || (c >= 32 && c < 127)))
			return 0;
	}
	return 1;
}

/* The flat depth-tagged field list as a tree: [{name, value, offset?, length?, children?}]. */
static json_t *fields_tree(const struct fields *f, size_t *i, int depth, int tree_depth, int *bad)
{
	json_t *arr = json_array();
	while (*i < f->n && f->v[*i].depth >= depth) {
		const struct field *fl = &f->v[*i];
		if (fl->depth > depth) {
			/* a child without a parent at this depth: adopt it here */
			json_t *sub = fields_tree(f, i, fl->depth, tree_depth, bad);
			size_t k;
			json_t *v;
			json_array_foreach(sub, k, v)
				push(arr, json_incref(v), bad);
			json_decref(sub);
			continue;
		}
		json_t *o = json_object();
		set(o, "name", str(fl->name), bad);
		set(o, "value", str(fl->value ? fl->value : ""), bad);
		if (fl->depth != tree_depth) /* adopted: not one level below the field above it */
			set(o, "depth", json_integer(fl->depth), bad);
		if (fl->has_range) {
			set(o, "offset", json_integer((json_int_t)fl->off), bad);
			set(o, "length", json_integer((json_int_t)fl->len), bad);
		}
		(*i)++;
		if (*i < f->n && f->v[*i].depth > depth)
			set(o, "children", fields_tree(f, i, depth + 1, tree_depth + 1, bad), bad);
		push(arr, o, bad);
	}
	if (!arr)
		*bad = 1;
	return arr;
}

static json_t *readers(int bits, int *bad)
{
	json_t *a = json_array();
	static const struct { int bit; const char *name; } names[] = {
		{ READ_WIRE, "wire" }, { READ_CLIENT, "client" }, { READ_MITM, "attacker" }, { READ_SERVER, "server" },
		{ READ_MX, "MX" },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (bits & names[i].bit)
			push(a, json_string(names[i].name), bad);
	return a;
}

/* A protected record's math (sim/trace/tlsmath.h): what a student needs to open it by hand
 * with the session's key_schedule. keys: the sessions' schedules, or NULL. */
/* A TLS 1.3 record's math (RFC 8446 5.2-5.3, 7.3). */
static json_t *record_math13_json(const struct trace *t, size_t i, int *bad)
{
	struct tlsmath13_record r;
	tlsmath13_record(t, i, NULL, &r);
	json_t *o = json_object();
	set(o, "session", r.session >= 0 ? json_integer(r.session) : json_null(), bad);
	if (!r.ok) {
		set(o, "error", str(r.why), bad);
		tlsmath13_record_free(&r);
		return o;
	}
	set(o, "direction", json_string(r.up ? "client-to-server" : "server-to-client"), bad);
	set(o, "traffic_secret", json_string(tlsmath13_rfc_name(r.keys)), bad);
	set(o, "key_updates", json_integer(r.generation), bad);
	set(o, "seq_num", json_integer((json_int_t)r.seq), bad);
	set(o, "key", hex(r.key, r.key_len), bad);
	set(o, "iv", hex(r.iv, 12), bad);
	set(o, "nonce", hex(r.nonce, 12), bad);
	set(o, "aad", hex(t->ev[i].wire, 5), bad);
	set(o, "tag", hex(t->ev[i].wire + r.tag_off, 16), bad);
	set(o, "ciphertext_offset", json_integer((json_int_t)r.ct_off), bad);
	set(o, "ciphertext_len", json_integer((json_int_t)r.ct_len), bad);
	set(o, "inner_content_type", json_integer(r.inner_type), bad);
	set(o, "plaintext_len", json_integer((json_int_t)r.plain_len), bad);
	set(o, "plaintext_hex", hex(r.plain, r.plain_len), bad);
	tlsmath13_record_free(&r);
	return o;
}

/* A TLS 1.3 session's keys from its traffic secrets (RFC 8446 7.1, 7.3), or null. */
static json_t *key_schedule13_json(const struct trace_tls_session *s, int *bad)
{
	struct tlsmath13_keys k;
	if (tlsmath13_keys(s, &k))
		return json_null();
	json_t *o = json_object();
	set(o, "hash", json_string(k.ss->hash_len == 48 ? "SHA-384" : "SHA-256"), bad);
	set(o, "early_secret", hex(k.early_secret, k.ss->hash_len), bad);
	for (int x = 0; x < TLSMATH13_NTRAFFIC; x++) {
		if (!k.t[x].have)
			continue;
		json_t *d = json_object();
		set(d, "secret", hex(k.t[x].secret, k.ss->hash_len), bad);
		set(d, "key", hex(k.t[x].key, k.ss->key_len), bad);
		set(d, "iv", hex(k.t[x].iv, 12), bad);
		set(o, tlsmath13_rfc_name((enum tlsmath13_traffic)x), d, bad);
	}
	return o;
}

static json_t *record_math_json(const struct trace *t, size_t i, const struct tlsmath_keys *keys, int *bad)
{
	int si = tlsmath_session_of(t, i);
	if (si >= 0 && t->sessions[si].version == 0x0304)
		return record_math13_json(t, i, bad);
	struct tlsmath_record r;
	tlsmath_record(t, i, keys && si >= 0 ? &keys[si] : NULL, &r);
	json_t *o = json_object();
	set(o, "session", si >= 0 ? json_integer(si) : json_null(), bad);
	if (!r.ok) {
		set(o, "error", str(r.why), bad);
		tlsmath_record_free(&r);
		return o;
	}
	set(o, "direction", json_string(r.up ? "client-to-server" : "server-to-client"), bad);
	set(o, "seq_num", json_integer((json_int_t)r.seq), bad);
	set(o, "cipher", json_string(r.mode == TLSKEYS_CBC ? "cbc" : r.mode == TLSKEYS_GCM ? "gcm"
				     : r.mode == TLSKEYS_CCM ? "ccm" : "chacha20-poly1305"), bad);
	if (r.mode == TLSKEYS_CBC) {
		set(o, "iv", hex(r.iv, r.iv_len), bad);
		set(o, "iv_explicit", json_boolean(r.iv_explicit), bad);
		set(o, "mac_header", hex(r.mac_header, sizeof r.mac_header), bad);
		set(o, "mac", hex(r.mac, r.mac_len), bad);
		set(o, "padding_len", json_integer((json_int_t)r.pad_len), bad);
	} else {
		set(o, "salt", hex(r.salt, r.salt_len), bad);
		set(o, "explicit_nonce", hex(r.explicit_len ? t->ev[i].wire + 5 : NULL, r.explicit_len), bad);
		set(o, "nonce", hex(r.nonce, sizeof r.nonce), bad);
		set(o, "aad", hex(r.aad, sizeof r.aad), bad);
		set(o, "tag", hex(t->ev[i].wire + r.tag_off, r.tag_len), bad);
	}
	set(o, "ciphertext_offset", json_integer((json_int_t)r.ct_off), bad);
	set(o, "ciphertext_len", json_integer((json_int_t)r.ct_len), bad);
	set(o, "plaintext_len", json_integer((json_int_t)r.plain_len), bad);
	set(o, "plaintext_hex", hex(r.plain, r.plain_len), bad);
	set(o, "matches_trace", r.matches_trace < 0 ? json_null() : json_boolean(r.matches_trace), bad);
	tlsmath_record_free(&r);
	return o;
}

/* A session's key schedule (RFC 5246 §8.1, §6.3) with this run's bytes, or null. */
static json_t *key_schedule_json(const struct tlsmath_keys *k, int *bad)
{
	if (!k->ok)
		return json_null();
	json_t *o = json_object();
	set(o, "prf", json_string(k->prf), bad);
	set(o, "master_secret_label", json_string(TLSMATH_MS_LABEL), bad);
	set(o, "master_secret_seed", hex(k->ms_seed, sizeof k->ms_seed), bad);
	set(o, "key_expansion_label", json_string(TLSMATH_KB_LABEL), bad);
	set(o, "key_expansion_seed", hex(k->kb_seed, sizeof k->kb_seed), bad);
	set(o, "key_block", hex(k->key_block, k->key_block_len), bad);
	for (int p = 0; p < TLSMATH_NPARTS; p++) {
		size_t n;
		const uint8_t *b = tlsmath_part(k, (enum tlsmath_part)p, &n);
		if (n)
			set(o, tlsmath_part_name((enum tlsmath_part)p), hex(b, n), bad);
	}
	return o;
}

static json_t *event_json(const struct trace *t, const struct trace_event *e, const struct tlsmath_keys *keys,
			  int *bad)
{
	json_t *o = json_object();
	set(o, "seq", json_integer(e->seq), bad);
	set(o, "time_us", json_integer((json_int_t)e->time_us), bad);
	set(o, "link", json_string(trace_link_name(e->link)), bad);
	set(o, "from", json_string(trace_actor_name(e->from)), bad);
	set(o, "to", json_string(trace_actor_name(e->to)), bad);
	set(o, "layer", json_string(trace_layer_name(e->layer)), bad);
	if (e->parent >= 0 && (size_t)e->parent < t->n)
		set(o, "parent", json_integer(t->ev[e->parent].seq), bad);
	else
		set(o, "parent", json_null(), bad);
	set(o, "encrypted", json_boolean(e->encrypted), bad);
	set(o, "readers", readers(e->readers, bad), bad);
	set(o, "attack", json_boolean(e->attack), bad);
	/* the facts, as data */
	set(o, "kind", json_string(trace_kind_name(e->kind)), bad);
	set(o, "subtype", json_integer(e->subtype), bad);
	if (e->attack)
		set(o, "attack_action", json_string(trace_attack_name((enum trace_attack)e->attack)), bad);
	if (e->kind == TK_ALERT)
		set(o, "alert_level", json_integer(e->alert_level), bad);
	if (e->kind == TK_TLS_FAILED || e->kind == TK_TLS_UNVERIFIED) {
		set(o, "tls_error", json_string(tls_error_name(e->tls_err)), bad);
		/* the name alone is one for every alert code (BR_ERR_RECV_FATAL_ALERT + n) */
		set(o, "tls_error_code", json_integer(e->tls_err), bad);
	}
	if (e->session >= 0)
		set(o, "session", json_integer(e->session), bad);
	if (e->kind == TK_CONN_OPEN)
		set(o, "port", json_integer(e->port), bad);
	if (e->replay)
		set(o, "replay", json_true(), bad);
	if (e->replay == REPLAY_MAILBOX)
		set(o, "replay_source", json_string("mailbox"), bad);
	if (e->segment)
		set(o, "segment", json_integer(e->segment), bad);
	if (e->kind == TK_MAIL_AUTH) {
		set(o, "auth_step", json_string(auth_step_name((enum auth_step)e->subtype)), bad);
		/* stored and rejected carry the DMARC verdict; the sender's steps none */
		set(o, "verdict", json_string(auth_result_name((enum auth_result)e->verdict)), bad);
		if (e->subtype == AUTH_DMARC) {
			set(o, "dmarc_policy", json_string(auth_policy_name((enum auth_policy)e->policy)), bad);
			set(o, "dmarc_disposition", json_string(auth_policy_name((enum auth_policy)e->disposition)), bad);
		}
	}
	if (e->kind == TK_POLICY) {
		set(o, "policy_step", json_string(relay_policy_step_name((enum relay_policy_step)e->subtype)), bad);
		set(o, "policy_type", json_string(relay_policy_kind_name((enum relay_policy_kind)e->policy)), bad);
		if (e->subtype == POLICY_DECISION)
			set(o, "action", json_string(mtasts_action_name((enum mtasts_action)e->verdict)), bad);
		if (e->subtype == POLICY_REQUIRETLS)
			set(o, "bounced", json_boolean(e->verdict == 1), bad);
	}
	set(o, "summary", str(e->summary ? e->summary : ""), bad);
	set(o, "narration", str(e->narration), bad);
	set(o, "wire_len", json_integer((json_int_t)e->wire_len), bad);
	set(o, "wire_hex", hex(e->wire, e->wire_stored), bad);
	if (e->wire_stored < e->wire_len)
		set(o, "wire_truncated", json_true(), bad);
	if (e->plain_len) {
		set(o, "plain_len", json_integer((json_int_t)e->plain_len), bad);
		if (printable(e->plain, e->plain_stored))
			set(o, "plain", text(e->plain, e->plain_stored), bad);
		else
			set(o, "plain_hex", hex(e->plain, e->plain_stored), bad);
		if (e->plain_stored < e->plain_len)
			set(o, "plain_truncated", json_true(), bad);
	}
	if (tlsmath_is_protected(t, (size_t)(e - t->ev)))
		set(o, "record_math", record_math_json(t, (size_t)(e - t->ev), keys, bad), bad);
	size_t i = 0;
	set(o, "fields", fields_tree(&e->fields, &i, 0, 0, bad), bad);
	return o;
}

static json_t *tls_opt_json(const struct scenario_tls *t, int *bad)
{
	json_t *o = json_object();
	set(o, "version_min", json_string(t->version_min ? decode_tls_version_name(t->version_min) : "default"), bad);
	set(o, "version_max", json_string(t->version_max ? decode_tls_version_name(t->version_max) : "default"), bad);
	json_t *s = json_array();
	for (size_t i = 0; i < t->nsuites; i++) {
		const char *n = decode_cipher_suite_name(t->suites[i]);
		char buf[16];
		if (!n) {
			snprintf(buf, sizeof buf, "0x%04x", t->suites[i]);
			n = buf;
		}
		push(s, json_string(n), bad);
	}
	set(o, "suites", s, bad);
	/* Written only when the scenario chose them, so that TLS 1.2 scenarios read as before. */
	if (t->engine)
		set(o, "engine", json_string(t->engine == TLS_ENGINE_OPENSSL ? "openssl" : "bearssl"), bad);
	if (t->groups[0])
		set(o, "groups", json_string(t->groups), bad);
	return o;
}

static json_t *date_json(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];
	if (!gmtime_r(&tt, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return json_null();
	return json_string(buf);
}

static json_t *scenario_json(const struct scenario *sc, const struct run_result *r, int *bad)
{
	json_t *o = json_object();
	set(o, "name", str(sc->name), bad);
	set(o, "title", str(sc->title), bad);
	set(o, "lesson", str(sc->lesson), bad);
	set(o, "references", str(sc->references), bad);
	set(o, "no_starttls", str(sc->no_starttls), bad);
	set(o, "pair", str(sc->pair), bad);
	/* seeds are 64-bit unsigned; JSON integers here are signed 64-bit */
	if (r->seed <= (uint64_t)INT64_MAX)
		set(o, "seed", json_integer((json_int_t)r->seed), bad);
	else {
		char buf[24];
		snprintf(buf, sizeof buf, "%llu", (unsigned long long)r->seed);
		set(o, "seed", json_string(buf), bad);
	}
	set(o, "date", date_json(sc->date), bad);
	set(o, "date_unix", json_integer((json_int_t)sc->date), bad);

	const struct scenario_client *c = &sc->client;
	json_t *cl = json_object();
	set(cl, "tls", json_string(scenario_client_tls_name(c->tls)), bad);
	set(cl, "verify", json_string(scenario_verify_name(c->verify)), bad);
	set(cl, "auth", json_string(scenario_auth_name(c->auth)), bad);
	set(cl, "buffering", json_string(scenario_buffering_name(c->buffering)), bad);
	char quirks[256];
	set(cl, "quirks", json_string(scenario_client_quirks_text(c, quirks, sizeof quirks)), bad);
	set(cl, "ehlo_name", str(c->ehlo_name), bad);
	set(cl, "server_name", str(c->server_name), bad);
	set(cl, "user", str(c->user), bad);
	set(cl, "password", str(c->password), bad);
	set(cl, "mail_from", str(c->mail_from), bad);
	json_t *rc = json_array();
	for (size_t i = 0; i < c->nrcpt; i++)
		push(rc, str(c->rcpt[i]), bad);
	set(cl, "rcpt", rc, bad);
	set(cl, "tls_options", tls_opt_json(&c->tls_opt, bad), bad);
	if (c->dkim_sign) {
		json_t *dk = json_object();
		set(dk, "domain", str(c->dkim_domain), bad);
		set(dk, "selector", str(c->dkim_selector), bad);
		set(dk, "break_body", json_boolean(c->dkim_break_body), bad);
		set(cl, "dkim", dk, bad);
	}
	set(cl, "requiretls", json_boolean(c->requiretls), bad);
	set(o, "client", cl, bad);

	const struct scenario_server *s = &sc->server;
	json_t *sv = json_object();
	set(sv, "mode", json_string(scenario_server_mode_name(s->mode)), bad);
	set(sv, "port", json_integer(s->port), bad);
	set(sv, "hostname", str(s->hostname), bad);
	set(sv, "buffering", json_string(scenario_buffering_name(s->buffering)), bad);
	set(sv, "auth_requires_tls", json_boolean(s->auth_requires_tls), bad);
	set(sv, "auth_required", json_boolean(s->auth_required), bad);
	set(sv, "max_size", json_integer((json_int_t)s->max_size), bad);
	set(sv, "requiretls", json_boolean(s->requiretls), bad);
	set(sv, "dmarc_reject", json_boolean(s->dmarc_reject), bad);
	set(sv, "tls_options", tls_opt_json(&s->tls_opt, bad), bad);
	set(o, "server", sv, bad);

	if (!sc->mitm.attack) {
		set(o, "mitm", json_null(), bad);
	} else {
		json_t *m = json_object();
		set(m, "behaviour", json_string(scenario_mitm_name(sc->mitm.attack)), bad);
		set(m, "inject", str(sc->mitm.inject), bad);
		set(m, "tamper_record", json_integer(sc->mitm.tamper_record), bad);
		if (sc->has_route)
			set(m, "hop", json_integer(sc->mitm.hop), bad);
		set(m, "mailbox", str(sc->mitm.mailbox), bad);
		set(o, "mitm", m, bad);
	}
	if (sc->has_route) {
		json_t *rl = json_object();
		set(rl, "tls", json_string(scenario_client_tls_name(sc->relay.tls)), bad);
		set(rl, "verify", json_string(scenario_verify_name(sc->relay.verify)), bad);
		set(rl, "mta_sts", json_boolean(sc->relay.mta_sts), bad);
		set(rl, "mta_sts_cached", json_boolean(sc->relay.mta_sts_cached), bad);
		set(rl, "dane", json_boolean(sc->relay.dane), bad);
		set(rl, "tls_options", tls_opt_json(&sc->relay.tls_opt, bad), bad);
		set(o, "relay", rl, bad);
		json_t *mx = json_object();
		set(mx, "hostname", str(sc->mx.hostname), bad);
		set(mx, "mode", json_string(scenario_server_mode_name(sc->mx.mode)), bad);
		set(mx, "mta_sts_policy", str(sc->mx.mta_sts_policy), bad);
		set(mx, "requiretls", json_boolean(sc->mx.requiretls), bad);
		set(mx, "dmarc_reject", json_boolean(sc->mx.dmarc_reject), bad);
		set(mx, "tls_options", tls_opt_json(&sc->mx.tls_opt, bad), bad);
		set(o, "mx", mx, bad);
	}
	if (sc->has_dns) {
		json_t *z = json_array();
		for (size_t i = 0; i < sc->dns.n; i++) {
			const struct dns_record *rr = &sc->dns.rr[i];
			json_t *j = json_object();
			set(j, "name", str(rr->name), bad);
			set(j, "type", json_string(dns_type_name(rr->type)), bad);
			if (rr->type == DNS_MX)
				set(j, "preference", json_integer(rr->pref), bad);
			if (rr->type == DNS_TLSA) {
				set(j, "usage", json_integer(rr->usage), bad);
				set(j, "selector", json_integer(rr->selector), bad);
				set(j, "matching_type", json_integer(rr->mtype), bad);
			}
			set(j, "data", str(rr->text), bad);
			if (rr->type == DNS_TXT)
				set(j, "strings", json_integer((json_int_t)rr->nstrings), bad);
			set(j, "authenticated", json_boolean(rr->authenticated), bad);
			push(z, j, bad);
		}
		set(o, "dns", z, bad);
	}
	return o;
}

static json_t *strs(const char (*v)[256], size_t n, int *bad)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		push(a, str(v[i]), bad);
	return a;
}

static json_t *opt_str(const char *s_)
{
	return s_ && s_[0] ? str(s_) : json_null();
}

/* A reader's knowledge: the secrets, then the metadata a real observer collects. */
static json_t *learned_json(const struct knowledge *l, const struct trace *t, int *bad)
{
	json_t *o = json_object();
	json_t *what = json_array();
	if (l->what & OBSERVED_CREDENTIALS)
		push(what, json_string("credentials"), bad);
	if (l->what & OBSERVED_ENVELOPE)
		push(what, json_string("envelope"), bad);
	if (l->what & OBSERVED_BODY)
		push(what, json_string("body"), bad);
	set(o, "learned", what, bad);
	if (l->what & OBSERVED_CREDENTIALS) {
		json_t *c = json_object();
		set(c, "user", str(l->user), bad);
		set(c, "password", str(l->password), bad);
		set(o, "credentials", c, bad);
	} else {
		set(o, "credentials", json_null(), bad);
	}
	if (l->what & OBSERVED_ENVELOPE) {
		json_t *env = json_object();
		set(env, "mail_from", str(l->mail_from), bad);
		set(env, "rcpt", strs(l->rcpt, l->nrcpt, bad), bad);
		set(o, "envelope", env, bad);
	} else {
		set(o, "envelope", json_null(), bad);
	}
	set(o, "subject", (l->what & OBSERVED_BODY) && l->subject[0] ? str(l->subject) : json_null(), bad);
	set(o, "body_bytes", (l->what & OBSERVED_BODY) ? json_integer((json_int_t)l->body_bytes) : json_null(), bad);
	for (int k = 0; k < 3; k++) {
		if (l->exposed_at[k] && l->exposed_at[k] <= t->n) {
			static const char *const names[3] = { "credentials_exposed_at", "envelope_exposed_at",
							      "body_exposed_at" };
			set(o, names[k], json_integer(t->ev[l->exposed_at[k] - 1].seq), bad);
		}
	}
	json_t *m = json_object();
	json_t *ep = json_array();
	for (size_t i = 0; i < l->nendpoints; i++)
		push(ep, str(l->endpoint[i]), bad);
	set(m, "endpoints", ep, bad);
	set(m, "sni", opt_str(l->sni), bad);
	set(m, "certificate_subject", opt_str(l->cert_subject), bad);
	set(m, "certificate_issuer", opt_str(l->cert_issuer), bad);
	set(m, "banner", opt_str(l->banner), bad);
	set(m, "ehlo_name", opt_str(l->ehlo_name), bad);
	json_t *caps = json_array();
	for (size_t i = 0; i < l->ncaps; i++)
		push(caps, str(l->caps[i]), bad);
	set(m, "capabilities", caps, bad);
	set(m, "tls_version", opt_str(l->tls_version), bad);
	set(m, "tls_suite", opt_str(l->tls_suite), bad);
	set(m, "encrypted_records", json_integer((json_int_t)l->records), bad);
	set(m, "encrypted_bytes", json_integer((json_int_t)l->record_bytes), bad);
	if (l->credentials_length >= 0 || l->user_length >= 0 || l->password_length >= 0) {
		json_t *c = json_object();
		set(c, "together", l->credentials_length >= 0 ? json_integer(l->credentials_length) : json_null(), bad);
		set(c, "user", l->user_length >= 0 ? json_integer(l->user_length) : json_null(), bad);
		set(c, "password", l->password_length >= 0 ? json_integer(l->password_length) : json_null(), bad);
		set(c, "exact", json_boolean(l->lengths_exact), bad);
		set(m, "credentials_length_from_record_size", c, bad);
	} else {
		set(m, "credentials_length_from_record_size", json_null(), bad);
	}
	if (l->message_size >= 0) {
		json_t *c = json_object();
		set(c, "bytes", json_integer(l->message_size), bad);
		set(c, "exact", json_boolean(l->message_exact), bad);
		set(m, "message_size_from_record_sizes", c, bad);
	} else {
		set(m, "message_size_from_record_sizes", json_null(), bad);
	}
	if (l->saw_anything) {
		set(m, "first_seen_us", json_integer((json_int_t)l->first_us), bad);
		set(m, "last_seen_us", json_integer((json_int_t)l->last_us), bad);
	}
	set(o, "metadata", m, bad);
	return o;
}

static json_t *error_json(const char *text_, int code, int *bad)
{
	if (!text_[0] && !code)
		return json_null();
	json_t *o = json_object();
	set(o, "code", json_integer(code), bad);
	set(o, "name", code ? str(tls_error_name(code)) : json_null(), bad);
	set(o, "text", str(text_), bad);
	return o;
}

static json_t *outcome_json(const struct run_result *r, const struct outcome *oc, int *bad)
{
	int mitm = oc->mitm_present;
	const struct trace *tr = &r->trace;
	json_t *o = json_object();
	set(o, "delivered", json_boolean(oc->delivered), bad);
	if (oc->to_attacker)
		set(o, "to_attacker_mailbox", json_integer(oc->to_attacker), bad);
	set(o, "altered", json_boolean(oc->altered), bad);
	json_t *tls = json_object();
	for (int l = 0; l < LINK_COUNT; l++) {
		int used = (oc->links >> l & 1) || (l != LINK_CLIENT_SERVER && trace_link_hop((enum trace_link)l) == 1 &&
						   mitm && !oc->route);
		if (!used && !oc->tls[l])
			continue;
		json_t *t = json_object();
		set(t, "established", json_boolean(oc->tls[l]), bad);
		set(t, "version", oc->tls[l] ? str(oc->tls_version[l]) : json_null(), bad);
		set(t, "suite", oc->tls[l] ? str(oc->tls_suite[l]) : json_null(), bad);
		set(t, "client_end", oc->tls[l] ? json_string(trace_actor_name(oc->tls_client_end[l])) : json_null(), bad);
		set(t, "server_end", oc->tls[l] ? json_string(trace_actor_name(oc->tls_server_end[l])) : json_null(), bad);
		set(t, "end_to_end", json_boolean(oc->tls[l] && oc->tls_relayed[l]), bad);
		set(tls, trace_link_name((enum trace_link)l), t, bad);
	}
	set(o, "tls", tls, bad);
	json_t *errs = json_object();
	set(errs, "client", error_json(oc->client_error, oc->client_err, bad), bad);
	set(errs, "server", error_json(oc->server_error, oc->server_err, bad), bad);
	set(errs, "attacker", mitm ? error_json(oc->mitm_error, oc->mitm_err, bad) : json_null(), bad);
	set(o, "errors", errs, bad);
	json_t *al = json_array();
	for (size_t i = 0; i < oc->nalerts && i < OUTCOME_MAX_ALERTS; i++) {
		const struct outcome_alert *a = &oc->alerts[i];
		json_t *j = json_object();
		set(j, "link", json_string(trace_link_name(a->link)), bad);
		set(j, "from", json_string(trace_actor_name(a->from)), bad);
		set(j, "name", str(a->name), bad);
		set(j, "fatal", json_boolean(a->fatal), bad);
		push(al, j, bad);
	}
	set(o, "alerts", al, bad);
	set(o, "observer", learned_json(&oc->observer, tr, bad), bad);
	set(o, "attacker", mitm ? learned_json(&oc->attacker, tr, bad) : json_null(), bad);
	set(o, "key_thief", oc->has_thief ? learned_json(&oc->thief, tr, bad) : json_null(), bad);
	json_t *per = json_object();
	for (int l = 0; l < LINK_COUNT; l++) {
		if (!ledger_has_reader(&r->ledger, (enum ledger_reader)l))
			continue;
		struct knowledge *k = malloc(sizeof *k);
		if (!k) {
			*bad = 1;
			continue;
		}
		ledger_knowledge(&r->ledger, (enum ledger_reader)l, tr->n, k);
		set(per, trace_link_name((enum trace_link)l), learned_json(k, tr, bad), bad);
		free(k);
	}
	set(o, "observer_per_link", per, bad);
	set(o, "injected", json_integer(oc->injected), bad);
	set(o, "injected_refused", json_integer(oc->injected_refused), bad);
	set(o, "decrypted_later", json_boolean(oc->decrypted_later), bad);
	if (oc->mail_checked) {
		json_t *m = json_object();
		set(m, "spf", json_string(auth_result_name(oc->spf)), bad);
		set(m, "dkim", json_string(auth_result_name(oc->dkim)), bad);
		set(m, "dmarc", json_string(auth_result_name(oc->dmarc)), bad);
		set(m, "dmarc_policy", json_string(auth_policy_name(oc->dmarc_policy)), bad);
		set(m, "dmarc_disposition", json_string(auth_policy_name(oc->dmarc_disposition)), bad);
		set(m, "authentication_results", str(oc->auth_results), bad);
		set(o, "mail_auth", m, bad);
	}
	if (oc->route) {
		json_t *rt = json_object();
		set(rt, "submitted", json_boolean(oc->submitted), bad);
		set(rt, "relayed", json_boolean(oc->relayed), bad);
		set(rt, "deferred", json_boolean(oc->submitted && oc->relayed && !oc->delivered), bad);
		set(rt, "relay_error", oc->relay_error[0] ? error_json(oc->relay_error, oc->relay_err, bad) : json_null(),
		    bad);
		json_t *rc = json_array();
		for (size_t i = 0; i < oc->nreceived; i++) {
			json_t *j = json_object();
			set(j, "hop", json_integer((json_int_t)i + 1), bad);
			set(j, "with", str(oc->received_with[i]), bad);
			set(j, "line", str(oc->received[i]), bad);
			push(rc, j, bad);
		}
		set(rt, "received", rc, bad);
		set(rt, "hop1_observer", learned_json(&oc->hop_observer[0], tr, bad), bad);
		set(rt, "hop2_observer", learned_json(&oc->hop_observer[1], tr, bad), bad);
		set(o, "route", rt, bad);
	}
	set(o, "summary", str(oc->summary), bad);
	return o;
}

/* OBSERVED_* bits as the names of "learned". */
static json_t *secrets_json(int bits, int *bad)
{
	json_t *a = json_array();
	if (bits & OBSERVED_CREDENTIALS)
		push(a, json_string("credentials"), bad);
	if (bits & OBSERVED_ENVELOPE)
		push(a, json_string("envelope"), bad);
	if (bits & OBSERVED_BODY)
		push(a, json_string("body"), bad);
	return a;
}

/* The [expect] section as the file gives it: its keys only, in the order of struct
 * scenario_expect, so that a loaded trace can check them again. */
static json_t *checks_json(const struct scenario_expect *e, int *bad)
{
	json_t *o = json_object();
	const struct {
		int has, val;
		const char *name;
	} flags[] = {
		{ e->has_delivered, e->delivered, "delivered" },
		{ e->has_tls, e->tls, "tls" },
		{ e->has_server_tls, e->server_tls, "server_tls" },
	};
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (flags[i].has)
			set(o, flags[i].name, json_boolean(flags[i].val), bad);
	if (e->has_observer)
		set(o, "observer_learns", secrets_json(e->observer, bad), bad);
	if (e->has_attacker)
		set(o, "attacker_learns", secrets_json(e->attacker, bad), bad);
	const struct {
		int has, val;
		const char *name;
	} flags2[] = {
		{ e->has_altered, e->altered, "altered" },
		{ e->has_injected, e->injected, "injected" },
		{ e->has_decrypted_later, e->decrypted_later, "decrypted_later" },
	};
	for (size_t i = 0; i < sizeof flags2 / sizeof flags2[0]; i++)
		if (flags2[i].has)
			set(o, flags2[i].name, json_boolean(flags2[i].val), bad);
	if (e->client_error)
		set(o, "client_error", str(e->client_error), bad);
	if (e->server_error)
		set(o, "server_error", str(e->server_error), bad);
	if (e->alert)
		set(o, "alert", str(e->alert), bad);
	if (e->has_spf)
		set(o, "spf", json_string(auth_result_name(e->spf)), bad);
	if (e->has_dkim)
		set(o, "dkim", json_string(auth_result_name(e->dkim)), bad);
	if (e->has_dmarc)
		set(o, "dmarc", json_string(auth_result_name(e->dmarc)), bad);
	if (e->has_submitted)
		set(o, "submitted", json_boolean(e->submitted), bad);
	if (e->has_relay_tls)
		set(o, "relay_tls", json_boolean(e->relay_tls), bad);
	if (e->has_hop_observer[0])
		set(o, "hop1_observer_learns", secrets_json(e->hop_observer[0], bad), bad);
	if (e->has_hop_observer[1])
		set(o, "hop2_observer_learns", secrets_json(e->hop_observer[1], bad), bad);
	if (e->received_with)
		set(o, "received_with", str(e->received_with), bad);
	if (e->has_deferred)
		set(o, "deferred", json_boolean(e->deferred), bad);
	if (e->has_bounced)
		set(o, "bounced", json_boolean(e->bounced), bad);
	if (e->policy_result)
		set(o, "policy_result", str(e->policy_result), bad);
	return o;
}

static json_t *expect_json(const struct scenario *sc, const struct outcome *oc, int *bad)
{
	char report[2048] = "";
	int met = run_check_expect(sc, oc, report, sizeof report);
	json_t *o = json_object();
	set(o, "met", json_boolean(met), bad);
	json_t *un = json_array();
	for (char *p = report; *p;) {
		char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		while (n && (p[0] == ' ' || p[0] == '\t')) {
			p++;
			n--;
		}
		if (n)
			push(un, text((const uint8_t *)p, n), bad);
		p += n;
		if (*p == '\n')
			p++;
	}
	set(o, "unmet", un, bad);
	set(o, "checks", checks_json(&sc->expect, bad), bad);
	return o;
}

int export_json(FILE *f, const struct scenario *sc, const struct run_result *r)
{
	int bad = 0;
	const struct trace *t = &r->trace;
	json_t *root = json_object();
	set(root, "format", json_string("smtps-sim-trace"), &bad);
	set(root, "version", json_integer(JSON_FORMAT_VERSION), &bad);
	set(root, "scenario", scenario_json(sc, r, &bad), &bad);
	struct tlsmath_keys *ks = t->nsessions ? calloc(t->nsessions, sizeof *ks) : NULL;
	if (t->nsessions && !ks)
		bad = 1;
	for (size_t i = 0; ks && i < t->nsessions; i++)
		tlsmath_keys(&t->sessions[i], &ks[i]);
	json_t *evs = json_array();
	for (size_t i = 0; i < t->n; i++)
		push(evs, event_json(t, &t->ev[i], ks, &bad), &bad);
	set(root, "events", evs, &bad);
	json_t *keys = json_array();
	for (size_t i = 0; i < t->nsessions; i++) {
		const struct trace_tls_session *s = &t->sessions[i];
		json_t *k = json_object();
		json_t *links = json_array();
		for (int l = 0; l < LINK_COUNT; l++)
			if (s->links >> l & 1)
				push(links, json_string(trace_link_name((enum trace_link)l)), &bad);
		set(k, "links", links, &bad);
		set(k, "client_end", s->client_up ? json_string(trace_actor_name(s->client_end)) : json_null(), &bad);
		set(k, "server_end", s->server_up ? json_string(trace_actor_name(s->server_end)) : json_null(), &bad);
		set(k, "established", json_boolean(s->client_up && s->server_up), &bad);
		set(k, "end_to_end", json_boolean(trace_session_relayed(s)), &bad);
		set(k, "version", json_string(decode_tls_version_name(s->version)), &bad);
		const char *suite = decode_cipher_suite_name(s->suite);
		set(k, "suite", suite ? json_string(suite) : json_integer(s->suite), &bad);
		set(k, "client_random", hex(s->client_random, sizeof s->client_random), &bad);
		set(k, "master_secret", s->has_secret ? hex(s->master_secret, sizeof s->master_secret) : json_null(), &bad);
		set(k, "server_random", s->has_server_random ? hex(s->server_random, 32) : json_null(), &bad);
		set(k, "premaster", s->premaster_len ? hex(s->premaster, s->premaster_len) : json_null(), &bad);
		if (s->secrets13) { /* TLS 1.3: the traffic secrets, by their key log labels */
			json_t *sec = json_object();
			for (int x = 0; x < TLS13_SECRET_COUNT; x++)
				if (s->secrets13 >> x & 1)
					set(sec, tls13_secret_label((enum tls13_secret)x), hex(s->secret13[x], s->secret13_len),
					    &bad);
			set(k, "secrets13", sec, &bad);
		}
		if (ks) {
			set(k, "premaster_note", json_string(ks[i].premaster_note), &bad);
			set(k, "key_schedule", s->version == 0x0304 ? key_schedule13_json(s, &bad)
								    : key_schedule_json(&ks[i], &bad), &bad);
		}
		push(keys, k, &bad);
	}
	set(root, "tls_sessions", keys, &bad);
	free(ks);
	json_t *led = json_array();
	for (size_t i = 0; i < r->ledger.n; i++) {
		const struct ledger_entry *le = &r->ledger.v[i];
		json_t *j = json_object();
		set(j, "event", json_integer(le->event < t->n ? t->ev[le->event].seq : 0), &bad);
		set(j, "reader", json_string(ledger_reader_name((enum ledger_reader)le->reader)), &bad);
		set(j, "item", json_string(ledger_item_name((enum ledger_item)le->item)), &bad);
		set(j, "value", le->value ? str(le->value) : json_integer((json_int_t)le->num), &bad);
		push(led, j, &bad);
	}
	set(root, "ledger", led, &bad);
	set(root, "outcome", outcome_json(r, &r->outcome, &bad), &bad);
	set(root, "expect", expect_json(sc, &r->outcome, &bad), &bad);
	int rc = -1;
	if (!bad && root && json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 && fputc('\n', f) != EOF)
		rc = 0;
	json_decref(root);
	return rc;
}
