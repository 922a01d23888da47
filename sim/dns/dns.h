/* dns: the simulated DNS a scenario describes in its [dns] section. A zone is a list of
 * records (A, MX, TXT) read from zone-file-like lines; lookups are by name and type, in
 * the order written. Deterministic and offline: the receiver's mail checks (SPF, DKIM,
 * DMARC) ask this zone and nothing else.
 *
 * Each record also carries what a validating resolver would report for it: whether the
 * answer was authenticated (DNSSEC, the AD bit) — a fact of the zone, written per record. */
#ifndef SIM_DNS_H
#define SIM_DNS_H

#include <stddef.h>
#include <stdint.h>

enum dns_type {
	DNS_A = 1,     /* the RR type numbers of RFC 1035 */
	DNS_MX = 15,
	DNS_TXT = 16,
	DNS_TLSA = 52, /* RFC 6698 */
};

struct dns_record {
	char *name;           /* lower case, without a trailing dot */
	enum dns_type type;
	char *text;           /* TXT: its strings joined; A: dotted quad; MX: the exchange host */
	uint8_t a[4];         /* A */
	unsigned pref;        /* MX preference */
	uint8_t usage, selector, mtype;  /* TLSA: the three numbers; text holds the data in hex */
	uint8_t *data;        /* TLSA: the certificate association data (len bytes) */
	size_t len;
	size_t nstrings;      /* TXT: how many character-strings (each at most 255 bytes) */
	int authenticated;    /* a validating resolver reports the answer authenticated */
	int line;             /* where the record starts in the file (0 when not from a file) */
};

struct dns_zone {
	struct dns_record *rr;
	size_t n, cap;
	int open_txt;         /* the last record is a TXT that an indented line may continue */
};

void dns_zone_init(struct dns_zone *z);
void dns_zone_free(struct dns_zone *z);

/* Reads one line of a [dns] section:
 *     NAME TYPE DATA [authenticated]
 * TYPE is A (DATA: a dotted IPv4 address), MX (DATA: preference and host), TXT (DATA:
 * one or more "quoted strings", with \" and \\ inside) or TLSA (DATA: usage, selector,
 * matching type and the association data in hex, as in "3 1 1 3d32..."). A line that begins with blanks
 * (continuation = 1) continues the TXT record above it with more strings (and may end
 * with the marker). ';' or '#' outside quotes starts a comment; a blank line is nothing.
 * Returns 0, or -1 with the problem in err (without any FILE:LINE prefix). */
int dns_zone_parse_line(struct dns_zone *z, const char *line, int continuation, int lineno, char *err,
			size_t errcap);

/* The i-th record (from 0) with this name (any case, a trailing dot ignored) and type, or
 * NULL when there are no more. */
const struct dns_record *dns_lookup(const struct dns_zone *z, const char *name, enum dns_type type, size_t i);

/* 1 when s is a host name the zone could hold (labels of letters, digits, '-', '_'). */
int dns_name_valid(const char *s);

/* "A", "MX", "TXT", "TLSA". */
const char *dns_type_name(enum dns_type t);

#endif
