/* export_pcap: the trace as a capture Wireshark can open, and the TLS key log that lets
 * it decrypt the sessions. Each link becomes one TCP connection between documentation
 * addresses (RFC 5737), with a three-way handshake, sequence and acknowledgement numbers
 * that add up, and the FINs where the trace has them, so Wireshark's TCP analysis stays
 * quiet and the student sees only the lesson. The stream bytes are exactly the wire bytes
 * the trace recorded: per link and direction, the top-level wire events in order
 * (children of a record are inside it and are not written again). */
#include "sim/export/export.h"

#include <unistd.h>

#include <errno.h>

#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSS 1460
#define WINDOW 65535
/* Bytes a side may send unacknowledged before the peer's ACK is written: well under the
 * window, as a receiver acknowledging every few segments would keep it. */
#define ACK_EVERY (8 * MSS)

enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_PSH = 0x08, TCP_ACK = 0x10 };

struct side {
	uint8_t ip[4];
	uint8_t mac[6];
	uint16_t port;
	uint32_t next;       /* next sequence number this side sends */
	uint32_t acked;      /* highest ack number this side has sent */
	uint16_t ip_id;
	int fin;
	size_t unacked;      /* bytes sent that the peer has not acknowledged yet */
	int owe_ack;         /* the peer sent something this side has not acknowledged */
};

struct tcp_conn {
	int open;
	struct side s[2];    /* 0 = the side that connects (client end), 1 = the listener */
};

struct pcap_out {
	pcap_dumper_t *d;
	int64_t base_s;
	uint64_t last_us;    /* timestamp of the last packet, relative to base */
	int any;
	int failed;          /* out of memory joining a write's events */
	uint8_t frame[14 + 20 + 60 + MSS];
};

static uint64_t mix64(uint64_t x)
{
	/* splitmix64: deterministic "random" initial sequence numbers and ports */
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void actor_addr(enum trace_actor a, uint8_t ip[4], uint8_t mac[6])
{
	trace_actor_ip(a, ip);
	/* locally administered unicast MACs that end in the host's last address byte */
	const uint8_t m[6] = { 0x02, 0x00, 0x5e, 0x00, (uint8_t)a, ip[3] };
	memcpy(mac, m, 6);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t sum16(uint32_t acc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

/* One segment from s[from] to s[!from] of conn c, at event time t_us (relative). */
static void emit(struct pcap_out *o, struct tcp_conn *c, int from, int flags, const uint8_t *data,
		 size_t len, uint64_t t_us)
{
	struct side *me = &c->s[from], *peer = &c->s[!from];
	uint8_t *f = o->frame;
	size_t optlen = (flags & TCP_SYN) ? 4 : 0;
	size_t tcplen = 20 + optlen + len;
	size_t iplen = 20 + tcplen;

	memcpy(f, peer->mac, 6);
	memcpy(f + 6, me->mac, 6);
	put16(f + 12, 0x0800);

	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)iplen);
	put16(ip + 4, me->ip_id++);
	put16(ip + 6, 0x4000);  /* don't fragment */
	ip[8] = 64;
	ip[9] = 6;
	put16(ip + 10, 0);
	memcpy(ip + 12, me->ip, 4);
	memcpy(ip + 16, peer->ip, 4);
	put16(ip + 10, fold(sum16(0, ip, 20)));

	uint8_t *tcp = ip + 20;
	put16(tcp, me->port);
	put16(tcp + 2, peer->port);
	put32(tcp + 4, me->next);
	uint32_t ack = (flags & TCP_ACK) ? peer->next : 0;
	put32(tcp + 8, ack);
	tcp[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	tcp[13] = (uint8_t)flags;
	put16(tcp + 14, WINDOW);
	put16(tcp + 16, 0);
	put16(tcp + 18, 0);
	if (optlen) {
		tcp[20] = 2;  /* MSS */
		tcp[21] = 4;
		put16(tcp + 22, MSS);
	}
	if (len)
		memcpy(tcp + 20 + optlen, data, len);
	uint8_t pseudo[12];
	memcpy(pseudo, me->ip, 4);
	memcpy(pseudo + 4, peer->ip, 4);
	pseudo[8] = 0;
	pseudo[9] = 6;
	put16(pseudo + 10, (uint16_t)tcplen);
	put16(tcp + 16, fold(sum16(sum16(0, pseudo, 12), tcp, tcplen)));

	/* Packets keep the trace's virtual time, nudged so that each is strictly later. */
	uint64_t t = t_us;
	if (o->any && t <= o->last_us)
		t = o->last_us + 1;
	o->last_us = t;
	o->any = 1;
	struct pcap_pkthdr h;
	memset(&h, 0, sizeof h);
	h.ts.tv_sec = (time_t)(o->base_s + (int64_t)(t / 1000000));
	h.ts.tv_usec = (suseconds_t)(t % 1000000);
	h.caplen = h.len = (bpf_u_int32)(14 + iplen);
	pcap_dump((u_char *)o->d, &h, f);

	me->next += (uint32_t)len + ((flags & (TCP_SYN | TCP_FIN)) ? 1 : 0);
	if (flags & TCP_ACK) {
		me->acked = ack;
		me->owe_ack = 0;
		peer->unacked = 0;
	}
	if (len || (flags & (TCP_SYN | TCP_FIN))) {
		me->unacked += len;
		peer->owe_ack = 1;
	}
}

/* The peer of `from` acknowledges everything it has received, if it owes that. */
static void flush_ack(struct pcap_out *o, struct tcp_conn *c, int from, uint64_t t)
{
	int p = !from;
	if (c->s[p].owe_ack)
		emit(o, c, p, TCP_ACK, NULL, 0, t);
}

/* The TCP connection of a link: its n-th (from 0) in the run, to port. A client that falls
 * back to another port opens a new one on the same link, from a new source port. */
static void conn_setup(struct tcp_conn *c, unsigned port, uint64_t seed, enum trace_link l, unsigned n)
{
	enum trace_actor a, b;
	trace_link_ends(l, &a, &b);
	memset(c, 0, sizeof *c);
	uint64_t h = mix64(seed ^ mix64(0x736d747073ULL + (uint64_t)l + ((uint64_t)n << 8)));
	actor_addr(a, c->s[0].ip, c->s[0].mac);
	actor_addr(b, c->s[1].ip, c->s[1].mac);
	c->s[0].port = (uint16_t)(49152 + (h % 16384));  /* the dynamic range */
	c->s[1].port = (uint16_t)(port ? port : 25);
	c->s[0].next = (uint32_t)(h >> 32);
	c->s[1].next = (uint32_t)mix64(h);
	c->s[0].ip_id = (uint16_t)(h >> 16);
	c->s[1].ip_id = (uint16_t)(h >> 8);
}

static void conn_open(struct pcap_out *o, struct tcp_conn *c, uint64_t t)
{
	emit(o, c, 0, TCP_SYN, NULL, 0, t);
	emit(o, c, 1, TCP_SYN | TCP_ACK, NULL, 0, t + 1);
	emit(o, c, 0, TCP_ACK, NULL, 0, t + 2);
	c->open = 1;
}

static int written_on_wire(const struct trace_event *e)
{
	return e->parent < 0 && e->layer != LAYER_NOTE && e->layer != LAYER_CONNECTION && e->wire_len > 0;
}

/* The last event of the write event i belongs to: the top-level events on the wire
 * that follow it with the same link, sender and segment (children in between are
 * skipped; anything else ends the write). */
static size_t same_write(const struct trace *t, size_t i)
{
	const struct trace_event *e = &t->ev[i];
	size_t last = i;
	if (!e->segment)
		return i;
	for (size_t j = i + 1; j < t->n; j++) {
		const struct trace_event *x = &t->ev[j];
		if (x->parent >= 0 && x->layer != LAYER_NOTE)
			continue;
		if (!written_on_wire(x) || x->link != e->link || x->from != e->from || x->segment != e->segment)
			break;
		last = j;
	}
	return last;
}

static void write_all(struct pcap_out *o, const struct scenario *sc, const struct run_result *r)
{
	struct tcp_conn conns[LINK_COUNT];
	unsigned opened[LINK_COUNT] = { 0 };
	for (int l = 0; l < LINK_COUNT; l++)
		conn_setup(&conns[l], sc->server.port, r->seed, (enum trace_link)l, 0);
	const struct trace *t = &r->trace;
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if ((unsigned)e->link >= LINK_COUNT || e->layer == LAYER_NOTE || e->parent >= 0)
			continue;
		struct tcp_conn *c = &conns[e->link];
		enum trace_actor a, b;
		trace_link_ends(e->link, &a, &b);
		int from = e->from == a ? 0 : 1;
		uint64_t tu = e->time_us;
		if (e->layer == LAYER_CONNECTION) {
			int fin = e->kind == TK_CONN_FIN;
			if (e->kind == TK_CONN_OPEN) {
				/* A new connection on this link: the old one's last data is acknowledged. */
				if (opened[e->link]++)
					for (int sd = 0; sd < 2; sd++)
						if (c->s[sd].owe_ack)
							emit(o, c, sd, TCP_ACK, NULL, 0, tu);
				conn_setup(c, e->port, r->seed, e->link, opened[e->link] - 1);
			}
			if (!c->open)
				conn_open(o, c, tu);
			if (fin && !c->s[from].fin) {
				emit(o, c, from, TCP_FIN | TCP_ACK, NULL, 0, tu);
				c->s[from].fin = 1;
			}
			continue;
		}
		if (!written_on_wire(e))
			continue;
		if (!c->open)
			conn_open(o, c, tu);
		if (c->s[from].fin)
			continue;  /* nothing can follow a FIN on that direction */
		/* The top-level events of one write (trace_event.segment) go out together: the
		 * lines of one write, the records of one flight, the lines an attacker adds
		 * behind another's in the same write. */
		size_t last = same_write(t, i);
		const uint8_t *payload = e->wire;
		size_t plen = e->wire_len;
		uint8_t *joined = NULL;
		if (last != i) {
			plen = 0;
			for (size_t j = i; j <= last; j++)
				plen += written_on_wire(&t->ev[j]) ? t->ev[j].wire_len : 0;
			joined = malloc(plen);
			if (!joined) {
				o->failed = 1;
				return;
			}
			plen = 0;
			for (size_t j = i; j <= last; j++)
				if (written_on_wire(&t->ev[j])) {
					memcpy(joined + plen, t->ev[j].wire, t->ev[j].wire_len);
					plen += t->ev[j].wire_len;
				}
			payload = joined;
			i = last;
		}
		for (size_t off = 0; off < plen;) {
			size_t n = plen - off < MSS ? plen - off : MSS;
			if (c->s[from].unacked + n > ACK_EVERY)
				flush_ack(o, c, from, tu);
			emit(o, c, from, TCP_ACK | (off + n == plen ? TCP_PSH : 0), payload + off, n, tu);
			off += n;
		}
		free(joined);
	}
	/* Whatever was sent last is acknowledged, as a real peer would. */
	for (int l = 0; l < LINK_COUNT; l++) {
		struct tcp_conn *c = &conns[l];
		if (!c->open)
			continue;
		for (int s = 0; s < 2; s++)
			if (c->s[s].owe_ack)
				emit(o, c, s, TCP_ACK, NULL, 0, o->last_us + 1);
	}
}

int export_pcap(const char *path, const struct scenario *sc, const struct run_result *r,
		char *err, size_t errcap)
{
	const struct trace *t = &r->trace;
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if (written_on_wire(e) && e->wire_stored < e->wire_len) {
			snprintf(err, errcap,
				 "%s: cannot write a capture: event %u keeps only %zu of its %zu bytes "
				 "(the trace was limited with max_stored); run without that limit",
				 path, e->seq, e->wire_stored, e->wire_len);
			return -1;
		}
	}
	struct export_file ef;
	if (export_file_open(&ef, path, err, errcap))
		return -1;
	pcap_t *p = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_MICRO);
	if (!p) {
		export_file_abort(&ef);
		snprintf(err, errcap, "%s: cannot write: libpcap could not start a capture", path);
		return -1;
	}
	/* The dumper gets a stream of its own on the same file, and closes it; ef.f stays
	 * ours, so that a write error (a full disk) is seen here, not lost in its close. */
	int fd2 = dup(fileno(ef.f));
	FILE *df = fd2 >= 0 ? fdopen(fd2, "wb") : NULL;
	if (!df) {
		if (fd2 >= 0)
			close(fd2);
		snprintf(err, errcap, "%s: cannot write: %s", path, strerror(errno));
		pcap_close(p);
		export_file_abort(&ef);
		return -1;
	}
	pcap_dumper_t *d = pcap_dump_fopen(p, df);
	if (!d) {
		snprintf(err, errcap, "%s: cannot write: %s", path, pcap_geterr(p));
		fclose(df);
		pcap_close(p);
		export_file_abort(&ef);
		return -1;
	}
	struct pcap_out o = { .d = d, .base_s = sc->date };
	write_all(&o, sc, r);
	errno = 0;
	int bad = pcap_dump_flush(d) || fflush(df) || ferror(df) || o.failed;
	int e = errno;
	pcap_dump_close(d); /* closes df */
	pcap_close(p);
	if (bad) {
		export_file_abort(&ef);
		snprintf(err, errcap, "%s: cannot write: %s", path,
			 o.failed ? "out of memory" : strerror(e ? e : EIO));
		return -1;
	}
	return export_file_commit(&ef, err, errcap);
}

static void hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

int export_keylog(const char *path, const struct run_result *r, char *err, size_t errcap)
{
	struct export_file ef;
	if (export_file_open_mode(&ef, path, 1, err, errcap))
		return -1;
	const struct trace *t = &r->trace;
	for (size_t i = 0; i < t->nsessions; i++) {
		const struct trace_tls_session *s = &t->sessions[i];
		/* TLS 1.3: a line per traffic secret, named as the NSS key log names them. */
		for (int k = 0; k < TLS13_SECRET_COUNT; k++) {
			if (!(s->secrets13 >> k & 1))
				continue;
			fprintf(ef.f, "%s ", tls13_secret_label((enum tls13_secret)k));
			hex(ef.f, s->client_random, sizeof s->client_random);
			fputc(' ', ef.f);
			hex(ef.f, s->secret13[k], s->secret13_len);
			fputc('\n', ef.f);
		}
		if (!s->has_secret)
			continue;
		fputs("CLIENT_RANDOM ", ef.f);
		hex(ef.f, s->client_random, sizeof s->client_random);
		fputc(' ', ef.f);
		hex(ef.f, s->master_secret, sizeof s->master_secret);
		fputc('\n', ef.f);
	}
	return export_file_commit(&ef, err, errcap);
}
