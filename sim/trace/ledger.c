/* ledger: see ledger.h. Built in one pass over the trace: for each event, each reader that
 * can see it learns what the event's kind and fields carry. */
#include "sim/trace/ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/base/buf.h"
#include "sim/base/sb.h"
#include "sim/decode/decode.h"
#include "sim/smtp/smtp_parse.h"

/* Per reader and link while building: is the reply being read the answer to EHLO? */
struct build {
	struct ledger *l;
	const struct trace *t;
	int ehlo_reply[READER_COUNT][LINK_COUNT];   /* 0 none, 1 expecting the first line, 2 inside */
	struct knowledge k[READER_COUNT];  /* what each reader knows so far, for de-duplication */
	int failed;
	/* Where the attacker reads: the links of its own (in the path), or the one
	 * client-server link it taps (its notes stand on that link). */
	int tap;
	enum trace_link tap_link;          /* the link it taps */
	enum trace_link thief_link;        /* the link the key thief's recording was made on */
	unsigned aead_suite;               /* record_sizes: the last suite looked up, */
	int aead_known, aead_is;           /* whether there is one, and whether it is an AEAD */
};

void ledger_init(struct ledger *l)
{
	memset(l, 0, sizeof *l);
}

void ledger_free(struct ledger *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].value);
	free(l->v);
	ledger_init(l);
}

const char *ledger_reader_name(enum ledger_reader r)
{
	static const char *const names[READER_COUNT] = {
		[READER_OBSERVER_CS] = "observer of client-server",
		[READER_OBSERVER_CA] = "observer of client-attacker",
		[READER_OBSERVER_AS] = "observer of attacker-server",
		[READER_OBSERVER_SM] = "observer of server-mx",
		[READER_OBSERVER_SA] = "observer of server-attacker",
		[READER_OBSERVER_AM] = "observer of attacker-mx",
		[READER_OBSERVER] = "observer of every link",
		[READER_ATTACKER] = "attacker",
		[READER_THIEF] = "later key thief",
		[READER_HOP1] = "observer of hop 1",
		[READER_HOP2] = "observer of hop 2",
	};
	return (unsigned)r < READER_COUNT ? names[r] : "?";
}

const char *ledger_item_name(enum ledger_item i)
{
	static const char *const names[LI_COUNT] = {
		[LI_USER] = "user", [LI_PASSWORD] = "password", [LI_MAIL_FROM] = "mail_from", [LI_RCPT] = "rcpt",
		[LI_SUBJECT] = "subject", [LI_BODY] = "body", [LI_ENDPOINT] = "endpoint", [LI_SNI] = "sni",
		[LI_CERT_SUBJECT] = "certificate_subject", [LI_CERT_ISSUER] = "certificate_issuer",
		[LI_BANNER] = "banner", [LI_EHLO_NAME] = "ehlo_name", [LI_CAPABILITY] = "capability",
		[LI_TLS_VERSION] = "tls_version", [LI_TLS_SUITE] = "tls_suite", [LI_RECORD] = "record",
		[LI_CREDENTIALS_LENGTH] = "credentials_length", [LI_USER_LENGTH] = "user_length",
		[LI_PASSWORD_LENGTH] = "password_length", [LI_MESSAGE_SIZE] = "message_size",
		[LI_SEEN] = "seen_at_us",
	};
	return (unsigned)i < LI_COUNT ? names[i] : "?";
}

int ledger_has_reader(const struct ledger *l, enum ledger_reader r)
{
	return (unsigned)r < READER_COUNT && (l->readers >> r & 1);
}

static void copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* Applies one entry to a knowledge (the fold). body_link: per-link byte counts for the
 * body and the message size, so a message crossing two links is not counted twice. */
static void apply(struct knowledge *k, const struct ledger_entry *e, uint64_t body_link[LINK_COUNT], uint64_t size_link[LINK_COUNT],
		  unsigned link)
{
	const char *v = e->value ? e->value : "";
	switch ((enum ledger_item)e->item) {
	case LI_USER:
		copy(k->user, sizeof k->user, v);
		break;
	case LI_PASSWORD:
		copy(k->password, sizeof k->password, v);
		break;
	case LI_MAIL_FROM:
		copy(k->mail_from, sizeof k->mail_from, v);
		break;
	case LI_RCPT:
		if (k->nrcpt < KNOW_MAX_RCPT)
			copy(k->rcpt[k->nrcpt++], sizeof k->rcpt[0], v);
		break;
	case LI_SUBJECT:
		copy(k->subject, sizeof k->subject, v);
		break;
	case LI_BODY:
		if (link < LINK_COUNT) {
			body_link[link] += e->num;
			if (body_link[link] > k->body_bytes)
				k->body_bytes = body_link[link];
		}
		break;
	case LI_ENDPOINT:
		if (k->nendpoints < KNOW_MAX_ENDPOINTS)
			copy(k->endpoint[k->nendpoints++], sizeof k->endpoint[0], v);
		break;
	case LI_SNI: copy(k->sni, sizeof k->sni, v); break;
	case LI_CERT_SUBJECT: copy(k->cert_subject, sizeof k->cert_subject, v); break;
	case LI_CERT_ISSUER: copy(k->cert_issuer, sizeof k->cert_issuer, v); break;
	case LI_BANNER: copy(k->banner, sizeof k->banner, v); break;
	case LI_EHLO_NAME: copy(k->ehlo_name, sizeof k->ehlo_name, v); break;
	case LI_CAPABILITY:
		if (k->ncaps < KNOW_MAX_CAPS)
			copy(k->caps[k->ncaps++], sizeof k->caps[0], v);
		break;
	case LI_TLS_VERSION: copy(k->tls_version, sizeof k->tls_version, v); break;
	case LI_TLS_SUITE: copy(k->tls_suite, sizeof k->tls_suite, v); break;
	case LI_RECORD:
		k->records++;
		k->record_bytes += e->num;
		break;
	case LI_CREDENTIALS_LENGTH:
	case LI_USER_LENGTH:
	case LI_PASSWORD_LENGTH: {
		int64_t *len = e->item == LI_CREDENTIALS_LENGTH ? &k->credentials_length
			       : e->item == LI_USER_LENGTH	? &k->user_length
								: &k->password_length;
		if (*len < 0) {
			int first = k->credentials_length < 0 && k->user_length < 0 && k->password_length < 0;
			*len = (int64_t)e->num;
			k->lengths_exact = first ? e->exact : k->lengths_exact && e->exact;
		}
		break;
	}
	case LI_MESSAGE_SIZE:
		if (link < LINK_COUNT) {
			size_link[link] += e->num;
			if (k->message_size < 0 || (int64_t)size_link[link] > k->message_size)
				k->message_size = (int64_t)size_link[link];
			k->message_exact = e->exact;
		}
		break;
	case LI_SEEN:
		if (!k->saw_anything)
			k->first_us = e->num;
		k->last_us = e->num;
		k->saw_anything = 1;
		break;
	case LI_COUNT:
		break;
	}
}

static void knowledge_init(struct knowledge *k)
{
	memset(k, 0, sizeof *k);
	k->credentials_length = k->user_length = k->password_length = -1;
	k->message_size = -1;
}

static void finish(struct knowledge *k)
{
	if (k->user[0] || k->password[0])
		k->what |= OBSERVED_CREDENTIALS;
	if (k->mail_from[0] || k->nrcpt)
		k->what |= OBSERVED_ENVELOPE;
	if (k->body_bytes)
		k->what |= OBSERVED_BODY;
}

void ledger_knowledge(const struct ledger *l, enum ledger_reader r, size_t upto, struct knowledge *k)
{
	knowledge_init(k);
	uint64_t body_link[LINK_COUNT] = { 0 }, size_link[LINK_COUNT] = { 0 };
	for (size_t i = 0; i < l->n; i++) {
		const struct ledger_entry *e = &l->v[i];
		if (e->event > upto || e->reader != r)
			continue;
		int before = k->what;
		apply(k, e, body_link, size_link, e->link);
		finish(k);
		for (int b = 0; b < 3; b++)
			if ((k->what & (1 << b)) && !(before & (1 << b)))
				k->exposed_at[b] = e->event + 1;
	}
	finish(k);
}

/* ---- text ---- */


void ledger_describe_secrets(const struct knowledge *k, char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
	if (!k->what) {
		sb_put(buf, cap, 0, "no credentials, envelope or message");
		return;
	}
	const char *sep = "";
	if (k->what & OBSERVED_CREDENTIALS) {
		n = sb_put(buf, cap, n, "credentials (user \"%s\", password \"%s\")", k->user, k->password);
		sep = ", ";
	}
	if (k->what & OBSERVED_ENVELOPE) {
		n = sb_put(buf, cap, n, "%senvelope (<%s> %s", sep, k->mail_from, k->nrcpt ? "to" : "with no recipient");
		for (size_t i = 0; i < k->nrcpt; i++)
			n = sb_put(buf, cap, n, "%s <%s>", i ? "," : "", k->rcpt[i]);
		n = sb_put(buf, cap, n, ")");
		sep = ", ";
	}
	if (k->what & OBSERVED_BODY)
		sb_put(buf, cap, n, "%sbody%s%s%s", sep, k->subject[0] ? " (Subject: " : "", k->subject,
		    k->subject[0] ? ")" : "");
}

void ledger_describe_metadata(const struct knowledge *k, char *buf, size_t cap)
{
	size_t n = 0;
	const char *sep = "";
	buf[0] = '\0';
	for (size_t i = 0; i < k->nendpoints; i++, sep = "; ")
		n = sb_put(buf, cap, n, "%s%s", sep, k->endpoint[i]);
	if (k->banner[0])
		n = sb_put(buf, cap, n, "%sbanner \"%s\"", sep, k->banner), sep = "; ";
	if (k->ehlo_name[0])
		n = sb_put(buf, cap, n, "%sEHLO name %s", sep, k->ehlo_name), sep = "; ";
	if (k->ncaps) {
		n = sb_put(buf, cap, n, "%scapabilities", sep);
		for (size_t i = 0; i < k->ncaps; i++)
			n = sb_put(buf, cap, n, "%s %s", i ? "," : "", k->caps[i]);
		sep = "; ";
	}
	if (k->sni[0])
		n = sb_put(buf, cap, n, "%sSNI %s", sep, k->sni), sep = "; ";
	if (k->cert_subject[0])
		n = sb_put(buf, cap, n, "%scertificate %s, issued by %s", sep, k->cert_subject, k->cert_issuer), sep = "; ";
	if (k->tls_version[0])
		n = sb_put(buf, cap, n, "%s%s %s", sep, k->tls_version, k->tls_suite), sep = "; ";
	if (k->records)
		n = sb_put(buf, cap, n, "%s%llu encrypted records, %llu bytes", sep, (unsigned long long)k->records,
			(unsigned long long)k->record_bytes), sep = "; ";
	const char *how = k->lengths_exact ? "exactly" : "about";
	if (k->credentials_length >= 0)
		n = sb_put(buf, cap, n, "%sfrom a record's size: user name and password together %s %lld characters",
			   sep, how, (long long)k->credentials_length), sep = "; ";
	if (k->user_length >= 0)
		n = sb_put(buf, cap, n, "%sfrom a record's size: the user name %s %lld characters", sep, how,
			   (long long)k->user_length), sep = "; ";
	if (k->password_length >= 0)
		n = sb_put(buf, cap, n, "%sfrom a record's size: the password %s %lld characters", sep, how,
			   (long long)k->password_length), sep = "; ";
	if (k->message_size >= 0)
		n = sb_put(buf, cap, n, "%sfrom the DATA records' sizes: a message of %s %lld bytes", sep,
			k->message_exact ? "exactly" : "about", (long long)k->message_size), sep = "; ";
	if (k->saw_anything)
		sb_put(buf, cap, n, "%stiming of every packet", sep);
}

/* ---- building ---- */

static int add(struct build *b, size_t ev, int reader, enum ledger_item item, const char *value, uint64_t num,
	       int exact)
{
	struct ledger *l = b->l;
	if (VEC_RESERVE(l->v, l->cap, l->n + 1))
		return b->failed = -1;
	char *dup = NULL;
	if (value && !(dup = strdup(value)))
		return b->failed = -1;
	l->v[l->n++] = (struct ledger_entry){ .event = (uint32_t)ev, .reader = (uint8_t)reader, .item = (uint8_t)item,
					      .link = (uint8_t)b->t->ev[ev].link, .exact = exact, .num = num,
					      .value = dup };
	return 0;
}

/* A single-valued item: learned once (the first value seen). */
static void learn_once(struct build *b, size_t ev, int r, enum ledger_item item, char *known, size_t cap,
		       const char *value)
{
	if (!value || !value[0] || known[0])
		return;
	copy(known, cap, value);
	add(b, ev, r, item, value, 0, 0);
}

/* A multi-valued item: each distinct value once. */
static void learn_set(struct build *b, size_t ev, int r, enum ledger_item item, char (*set)[256], size_t *n,
		      size_t max, const char *value)
{
	if (!value || !value[0])
		return;
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(set[i], value))
			return;
	if (*n < max)
		copy(set[(*n)++], sizeof set[0], value);
	add(b, ev, r, item, value, 0, 0);
}

static void learn_cap(struct build *b, size_t ev, int r, const char *text)
{
	struct knowledge *k = &b->k[r];
	char word[48];
	size_t n = 0;
	while (text[n] && text[n] != ' ' && n + 1 < sizeof word)
		n++;
	memcpy(word, text, n);
	word[n] = '\0';
	if (!n)
		return;
	for (size_t i = 0; i < k->ncaps; i++)
		if (!strcmp(k->caps[i], word))
			return;
	if (k->ncaps < KNOW_MAX_CAPS)
		copy(k->caps[k->ncaps++], sizeof k->caps[0], word);
	add(b, ev, r, LI_CAPABILITY, word, 0, 0);
}

/* Does the attacker read the wire of this event's link as it crosses? */
static int attacker_link(const struct build *b, const struct trace_event *e)
{
	return b->tap ? e->link == b->tap_link : trace_link_has_attacker(e->link);
}

/* Does reader r see the content of event e? */
static int reads(const struct build *b, const struct trace_event *e, int r)
{
	if (e->layer == LAYER_NOTE)
		return 0;
	/* What the attacker made up is nobody's secret. */
	if (e->attack == ATTACK_ADDED || e->attack == ATTACK_FORGED)
		return 0;
	switch (r) {
	case READER_OBSERVER_CS:
	case READER_OBSERVER_CA:
	case READER_OBSERVER_AS:
	case READER_OBSERVER_SM:
	case READER_OBSERVER_SA:
	case READER_OBSERVER_AM:
		return (int)e->link == r && !e->replay && (e->readers & READ_WIRE);
	case READER_OBSERVER:
		return !e->replay && (e->readers & READ_WIRE);
	case READER_HOP1:
	case READER_HOP2:
		return trace_link_hop(e->link) == r - READER_HOP1 + 1 && !e->replay && (e->readers & READ_WIRE);
	case READER_ATTACKER:
		if (b->tap) /* a copy of the wire, and later what its recording gives up */
			return e->replay || (e->link == b->tap_link && (e->readers & READ_WIRE));
		/* it knows what it relays because it read it first */
		return attacker_link(b, e) && (e->readers & READ_MITM) && (e->replay || e->from != ACTOR_MITM);
	case READER_THIEF:
		return e->replay || (e->link == b->thief_link && (e->readers & READ_WIRE));
	}
	return 0;
}

/* Does reader r see the header and timing of event e (an observer of its link)? */
static int sees_wire(const struct build *b, const struct trace_event *e, int r)
{
	if (e->layer == LAYER_NOTE || e->replay || e->parent >= 0)
		return 0;
	switch (r) {
	case READER_OBSERVER_CS:
	case READER_OBSERVER_CA:
	case READER_OBSERVER_AS:
	case READER_OBSERVER_SM:
	case READER_OBSERVER_SA:
	case READER_OBSERVER_AM:
		return (int)e->link == r;
	case READER_OBSERVER:
		return 1;
	case READER_HOP1:
	case READER_HOP2:
		return trace_link_hop(e->link) == r - READER_HOP1 + 1;
	case READER_ATTACKER:
		return attacker_link(b, e) && e->from != ACTOR_MITM;
	case READER_THIEF:
		return e->link == b->thief_link;
	}
	return 0;
}

static int aead(unsigned suite)
{
	const char *n = decode_cipher_suite_name(suite);
	return n && (strstr(n, "_GCM_") || strstr(n, "CHACHA20") || strstr(n, "_CCM"));
}

/* What the size of a protected record tells an observer who knows the protocol: the
 * credentials' length when it carries them, the message's size in the DATA phase. */
static void record_sizes(struct build *b, size_t i, int r)
{
	const struct trace *t = b->t;
	const struct trace_event *rec = &t->ev[i];
	const struct trace_tls_session *s = trace_link_session(t, rec->link);
	/* A big message makes thousands of records under one session: its suite is looked
	 * up once. */
	if (s && (!b->aead_known || b->aead_suite != s->suite)) {
		b->aead_suite = s->suite;
		b->aead_is = aead(s->suite);
		b->aead_known = 1;
	}
	int exact = s && b->aead_is;
	for (size_t j = i + 1; j < t->n && t->ev[j].parent == (int)i; j++) {
		const struct trace_event *c = &t->ev[j];
		if (c->kind == TK_SMTP_COMMAND) {
			const char *u = fields_get(&c->fields, "auth_user"), *p = fields_get(&c->fields, "auth_password");
			if (u || p) {
				enum ledger_item item = u && p ? LI_CREDENTIALS_LENGTH : u ? LI_USER_LENGTH : LI_PASSWORD_LENGTH;
				add(b, i, r, item, NULL, (u ? strlen(u) : 0) + (p ? strlen(p) : 0), exact);
			}
		} else if (c->kind == TK_SMTP_DATA) {
			add(b, i, r, LI_MESSAGE_SIZE, NULL, c->plain_len, exact);
		}
	}
}

static void endpoint(struct build *b, size_t i, int r)
{
	const struct trace_event *e = &b->t->ev[i];
	uint8_t from[4], to[4];
	trace_actor_ip(e->from, from);
	trace_actor_ip(e->to, to);
	char v[96];
	snprintf(v, sizeof v, "%u.%u.%u.%u -> %u.%u.%u.%u port %u", from[0], from[1], from[2], from[3], to[0], to[1],
		 to[2], to[3], e->port);
	struct knowledge *k = &b->k[r];
	if (k->nendpoints < KNOW_MAX_ENDPOINTS)
		copy(k->endpoint[k->nendpoints++], sizeof k->endpoint[0], v);
	add(b, i, r, LI_ENDPOINT, v, 0, 0);
}

static void content(struct build *b, size_t i, int r)
{
	const struct trace_event *e = &b->t->ev[i];
	struct knowledge *k = &b->k[r];
	const struct fields *f = &e->fields;
	const char *v;
	int *ehlo = &b->ehlo_reply[r][e->link];
	switch (e->kind) {
	case TK_HANDSHAKE:
		if (e->subtype == TLS_HS_CLIENT_HELLO)
			learn_once(b, i, r, LI_SNI, k->sni, sizeof k->sni, fields_get(f, "server_name"));
		if (e->subtype == TLS_HS_SERVER_HELLO) {
			/* a later session (after STARTTLS on another link) may differ: keep each */
			/* TLS 1.3 agrees in supported_versions; its version field stays 1.2 */
			const char *ver = fields_get(f, "negotiated_version"), *suite = fields_get(f, "cipher_suite");
			if (!ver)
				ver = fields_get(f, "version");
			if (ver && strcmp(ver, k->tls_version)) {
				copy(k->tls_version, sizeof k->tls_version, ver);
				add(b, i, r, LI_TLS_VERSION, ver, 0, 0);
			}
			if (suite && strcmp(suite, k->tls_suite)) {
				copy(k->tls_suite, sizeof k->tls_suite, suite);
				add(b, i, r, LI_TLS_SUITE, suite, 0, 0);
			}
		}
		if (e->subtype == TLS_HS_CERTIFICATE) {
			learn_once(b, i, r, LI_CERT_SUBJECT, k->cert_subject, sizeof k->cert_subject, fields_get(f, "subject"));
			learn_once(b, i, r, LI_CERT_ISSUER, k->cert_issuer, sizeof k->cert_issuer, fields_get(f, "issuer"));
		}
		break;
	case TK_SMTP_COMMAND:
		if ((v = fields_get(f, "auth_user")))
			learn_once(b, i, r, LI_USER, k->user, sizeof k->user, v);
		if ((v = fields_get(f, "auth_password")))
			learn_once(b, i, r, LI_PASSWORD, k->password, sizeof k->password, v);
		if (e->subtype == SMTP_VERB_MAIL && (v = fields_get(f, "mail_from")))
			learn_once(b, i, r, LI_MAIL_FROM, k->mail_from, sizeof k->mail_from, v);
		if (e->subtype == SMTP_VERB_RCPT && (v = fields_get(f, "rcpt_to")))
			learn_set(b, i, r, LI_RCPT, k->rcpt, &k->nrcpt, KNOW_MAX_RCPT, v);
		if (e->subtype == SMTP_VERB_EHLO || e->subtype == SMTP_VERB_HELO) {
			if (!(v = fields_get(f, "domain")))
				v = fields_get(f, "argument");
			learn_once(b, i, r, LI_EHLO_NAME, k->ehlo_name, sizeof k->ehlo_name, v);
			*ehlo = e->subtype == SMTP_VERB_EHLO;
		} else {
			*ehlo = 0;
		}
		break;
	case TK_SMTP_REPLY:
		v = fields_get(f, "text");
		if (e->subtype == 220 && !k->banner[0])
			learn_once(b, i, r, LI_BANNER, k->banner, sizeof k->banner, v ? v : "");
		if (*ehlo && e->subtype == 250) {
			if (*ehlo == 2 && v)
				learn_cap(b, i, r, v);
			const char *more = fields_get(f, "continues");
			*ehlo = more && !strcmp(more, "yes") ? 2 : 0;
		} else {
			*ehlo = 0;
		}
		break;
	case TK_SMTP_DATA:
		if ((v = fields_get(f, "subject")))
			learn_once(b, i, r, LI_SUBJECT, k->subject, sizeof k->subject, v);
		add(b, i, r, LI_BODY, NULL, e->encrypted ? e->plain_len : e->wire_len, 0);
		break;
	default:
		break;
	}
}

int ledger_build(struct ledger *l, const struct trace *t)
{
	ledger_init(l);
	struct build *b = calloc(1, sizeof *b);
	if (!b)
		return -1;
	b->l = l;
	b->t = t;
	for (int r = 0; r < READER_COUNT; r++)
		knowledge_init(&b->k[r]);
	/* Which readers this run has: an observer per link used, an attacker when one acts,
	 * a thief when a key theft is in the trace. */
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if ((unsigned)e->link < LINK_COUNT)
			l->readers |= 1u << e->link;
		if (trace_link_has_attacker(e->link))
			l->readers |= 1u << READER_ATTACKER;
		if (trace_link_hop(e->link) == 2)
			l->readers |= 1u << READER_HOP1 | 1u << READER_HOP2;
		if (!trace_link_has_attacker(e->link) && e->from == ACTOR_MITM && e->kind == TK_ATTACK) {
			l->readers |= 1u << READER_ATTACKER;
			b->tap = 1;
			b->tap_link = e->link;
		}
		if (e->kind == TK_KEY_THEFT) {
			l->readers |= 1u << READER_THIEF;
			b->thief_link = e->link;
		}
	}
	l->readers |= 1u << READER_OBSERVER;
	for (size_t i = 0; i < t->n && !b->failed; i++) {
		const struct trace_event *e = &t->ev[i];
		for (int r = 0; r < READER_COUNT; r++) {
			if (!(l->readers >> r & 1))
				continue;
			if (sees_wire(b, e, r)) {
				add(b, i, r, LI_SEEN, NULL, e->time_us, 0);
				if (e->kind == TK_CONN_OPEN)
					endpoint(b, i, r);
				if (e->kind == TK_RECORD && e->encrypted && !reads(b, e, r)) {
					add(b, i, r, LI_RECORD, NULL, e->wire_len, 0);
					record_sizes(b, i, r);
				}
			}
			if (reads(b, e, r))
				content(b, i, r);
		}
	}
	int rc = b->failed;
	free(b);
	if (rc)
		ledger_free(l);
	return rc;
}
