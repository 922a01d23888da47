/* ledger: who knows what, after each event. One list of facts learned — (event, reader,
 * item, value) — made from the trace's typed events and decoded fields, never from its
 * prose. The readers are a passive observer of each link, an observer of every link, the
 * attacker, and a later key thief (whoever recorded the wire and later steals the
 * server's key). The outcome, the interface (at any cursor position), the JSON export
 * and the Markdown handout all fold the same list, so they cannot disagree.
 *
 * Rules, each a lesson of its own:
 * - A reader reads an event's content only if the event says so (READ_WIRE for an
 *   observer, READ_MITM for the attacker); an encrypted record's header (type, version,
 *   length) and its timing are seen by any observer of its link.
 * - What the attacker made up (added lines, forged replies) is nobody's secret: it is
 *   never something a reader "learned".
 * - Sizes leak: the length of the record that carries the credentials gives their
 *   length, the records of the DATA phase the message size. Exact with AEAD suites
 *   (the record is the plaintext plus a fixed overhead), within a block with CBC. */
#ifndef SIM_LEDGER_H
#define SIM_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "sim/trace/trace.h"

/* The secrets a reader may learn (bits of knowledge.what and of [expect] *_learns). */
enum {
	OBSERVED_CREDENTIALS = 1 << 0,
	OBSERVED_ENVELOPE = 1 << 1,
	OBSERVED_BODY = 1 << 2,
};

enum ledger_reader {
	READER_OBSERVER_CS = LINK_CLIENT_SERVER, /* a passive observer of one link */
	READER_OBSERVER_CA = LINK_CLIENT_MITM,
	READER_OBSERVER_AS = LINK_MITM_SERVER,
	READER_OBSERVER_SM = LINK_SERVER_MX,
	READER_OBSERVER_SA = LINK_SERVER_MITM,
	READER_OBSERVER_AM = LINK_MITM_MX,
	READER_OBSERVER,                         /* a passive observer of every link */
	READER_ATTACKER,                         /* the attacker, when there is one */
	READER_THIEF,                            /* records the client's link, steals the key later */
	READER_HOP1,                             /* a passive observer of every link of hop 1 ... */
	READER_HOP2,                             /* ... and of hop 2 (only in a run with a route) */
	READER_COUNT
};

enum ledger_item {
	LI_USER, LI_PASSWORD,          /* credentials */
	LI_MAIL_FROM, LI_RCPT,         /* the envelope: the sender and every recipient */
	LI_SUBJECT, LI_BODY,           /* the message: its Subject, bytes of its text read (num) */
	LI_ENDPOINT,                   /* "192.0.2.10 -> 203.0.113.25 port 587" */
	LI_SNI, LI_CERT_SUBJECT, LI_CERT_ISSUER,
	LI_BANNER, LI_EHLO_NAME, LI_CAPABILITY,
	LI_TLS_VERSION, LI_TLS_SUITE,
	LI_RECORD,                     /* an encrypted record's length (num) */
	LI_CREDENTIALS_LENGTH,         /* from a record's size: user name and password together (AUTH PLAIN) */
	LI_USER_LENGTH,                /* from a record's size: the user name alone (AUTH LOGIN) */
	LI_PASSWORD_LENGTH,            /* from a record's size: the password alone (AUTH LOGIN) */
	LI_MESSAGE_SIZE,               /* from the DATA records' sizes: num bytes */
	LI_SEEN,                       /* a packet seen on the wire at num microseconds (timing) */
	LI_COUNT
};

struct ledger_entry {
	uint32_t event;                /* index of the event that taught it */
	uint8_t reader, item;
	uint8_t link;                  /* the link of that event */
	int exact;                     /* LI_*_LENGTH / SIZE: exact (AEAD) or within a block */
	uint64_t num;
	char *value;                   /* text, or NULL */
};

struct ledger {
	struct ledger_entry *v;
	size_t n, cap;
	unsigned readers;              /* bit (1 << reader) for the readers this run has */
};

#define KNOW_MAX_RCPT 16
#define KNOW_MAX_CAPS 24
#define KNOW_MAX_ENDPOINTS 8

/* OBSERVED_* bits name the secrets; metadata is listed beside them. */
struct knowledge {
	int what;                      /* OBSERVED_CREDENTIALS | _ENVELOPE | _BODY */
	char user[128], password[128];
	char mail_from[256];
	char rcpt[KNOW_MAX_RCPT][256];
	size_t nrcpt;
	char subject[256];
	uint64_t body_bytes;           /* message text read */
	/* metadata */
	char endpoint[KNOW_MAX_ENDPOINTS][96];  /* per connection it sees */
	size_t nendpoints;
	char sni[256], cert_subject[256], cert_issuer[256], banner[256], ehlo_name[256];
	char caps[KNOW_MAX_CAPS][48];
	size_t ncaps;
	char tls_version[16], tls_suite[64];
	uint64_t records, record_bytes; /* encrypted records seen, their total length */
	/* lengths in characters from record sizes, -1 unknown; exact with AEAD suites */
	int64_t credentials_length;    /* user name and password together (one AUTH PLAIN record) */
	int64_t user_length, password_length;   /* each alone (AUTH LOGIN's two answers) */
	int lengths_exact;
	int64_t message_size;          /* -1 unknown */
	int message_exact;
	uint64_t first_us, last_us;    /* timing: when it saw the first and the last event */
	int saw_anything;
	uint32_t exposed_at[3];        /* event index + 1 where credentials / envelope / body first showed; 0 */
};

void ledger_init(struct ledger *l);
void ledger_free(struct ledger *l);
/* Builds the ledger of a finished trace. Returns 0, or -1 when out of memory. */
int ledger_build(struct ledger *l, const struct trace *t);
/* 1 when the run has this reader (an attacker, a key thief, an observer of that link). */
int ledger_has_reader(const struct ledger *l, enum ledger_reader r);
/* What reader r knows once event `upto` (an index) has happened; upto >= t->n means
 * the end of the run. */
void ledger_knowledge(const struct ledger *l, enum ledger_reader r, size_t upto, struct knowledge *k);
/* One-line renderings shared by every text view. Secrets: "credentials (user "alice",
 * password "wonderland"), envelope (<a> to <b>), body (Subject: x)" or "no credentials,
 * envelope or message". Metadata: "endpoints ...; SNI ...; certificate ...; ...", "" if none. */
void ledger_describe_secrets(const struct knowledge *k, char *buf, size_t cap);
void ledger_describe_metadata(const struct knowledge *k, char *buf, size_t cap);
const char *ledger_reader_name(enum ledger_reader r);   /* "observer of client-server", ... */
const char *ledger_item_name(enum ledger_item i);       /* "password", "sni", ... (JSON) */

#endif
