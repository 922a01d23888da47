/* seed_dump: writes seed corpora for the fuzz targets from real runs of the catalogue.
 * Usage: seed_dump SCENARIO_DIR OUT_DIR (make fuzz-seeds). For every scenario it keeps
 *   smtp_command/: the client's lines of each session, one session per file
 *                  (cleartext or the plaintext inside TLS);
 *   smtp_reply/:   the server's lines of each session, one session per file;
 *   mitm_ehlo/:    every complete multi-line 250 reply (the EHLO answers);
 *   tls/:          every TLS record with cleartext content, and every cleartext
 *                  handshake message, prefixed with the version-hint byte 3 (TLS 1.2);
 *   wiretrace/:    the client's link (both attacker links when there is an attacker)
 *                  as fuzz_wiretrace's operations: connection events, cleartext SMTP,
 *                  every record (a protected one after the plaintext it carries) and
 *                  the replays, each record once whole and once cut into 5-byte writes.
 * Files are named by a hash of their content, so running it twice adds nothing. Not
 * part of any test; committed seeds are what the fuzzers start from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include "sim/run/run.h"
#include "sim/run/scenario.h"

static const char *out_dir;

static void save(const char *target, const uint8_t *pre, size_t pn, const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < pn; i++)
		h = (h ^ pre[i]) * 1099511628211ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s/seed-%016llx", out_dir, target, (unsigned long long)h);
	FILE *f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(pre, 1, pn, f);
	fwrite(p, 1, n, f);
	fclose(f);
}

struct buf {
	uint8_t *p;
	size_t n;
};

static void add(struct buf *b, const uint8_t *p, size_t n)
{
	b->p = realloc(b->p, b->n + n + 1);
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

/* ---- wiretrace/: the operations of tests/fuzz/fuzz_wiretrace.c ---- */

enum { OP_RECORDS, OP_CLEAR, OP_EXPECT, OP_ALERT, OP_DECRYPTED, OP_JOIN, OP_CONN };

static int kind_arg(enum trace_layer l)
{
	return l == LAYER_SMTP_REPLY ? 1 : l == LAYER_SMTP_DATA ? 2 : 0;
}

static void op(struct buf *b, int what, int stream, int arg, const uint8_t *p, size_t n, int with_len)
{
	uint8_t h[3] = { (uint8_t)(what | stream << 3 | arg << 5), (uint8_t)(n >> 8), (uint8_t)n };
	add(b, h, with_len ? 3 : 1);
	if (with_len && n)
		add(b, p, n);
}

/* The stream of an event, or -1 for the links the seed leaves out. */
static int stream_of(const struct trace_event *e, int two)
{
	if (!two)
		return e->link == LINK_CLIENT_SERVER ? (e->from == ACTOR_CLIENT ? 0 : 1) : -1;
	if (e->link == LINK_CLIENT_MITM)
		return e->from == ACTOR_CLIENT ? 0 : 1;
	if (e->link == LINK_MITM_SERVER)
		return e->from == ACTOR_MITM ? 2 : 3;
	return -1;
}

static void dump_wire(const struct run_result *r, int cut)
{
	const struct trace *t = &r->trace;
	int two = 0;
	for (size_t i = 0; i < t->n; i++)
		two |= t->ev[i].link == LINK_CLIENT_MITM;
	struct buf b = { 0 };
	uint8_t setup = (uint8_t)two;
	add(&b, &setup, 1);
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		int st = stream_of(e, two);
		if (st < 0 || e->wire_stored != e->wire_len || e->wire_len > 0xffff)
			continue;
		if (e->kind == TK_CONN_OPEN || e->kind == TK_CONN_FIN) {
			op(&b, OP_CONN, st, e->kind == TK_CONN_FIN, NULL, 0, 0);
		} else if (e->replay && e->plain && e->plain_stored == e->plain_len) {
			op(&b, OP_DECRYPTED, st, kind_arg(e->layer) | (e->replay == REPLAY_MAILBOX ? 4 : 0), e->plain,
			   e->plain_len, 1);
		} else if (e->kind == TK_RECORD) {
			/* A protected record: first the plaintext its sender put in. */
			for (size_t k = i + 1; e->encrypted && k < t->n && t->ev[k].parent == (int)i; k++)
				if (t->ev[k].plain && t->ev[k].plain_stored == t->ev[k].plain_len)
					op(&b, OP_EXPECT, st, kind_arg(t->ev[k].layer), t->ev[k].plain, t->ev[k].plain_len, 1);
			op(&b, OP_RECORDS, st, cut, e->wire, e->wire_len, 1);
		} else if (e->parent < 0 && !e->encrypted && e->wire &&
			   (e->layer == LAYER_SMTP_COMMAND || e->layer == LAYER_SMTP_REPLY || e->layer == LAYER_SMTP_DATA)) {
			int mark = e->attack == ATTACK_ADDED || e->attack == ATTACK_FORGED ? 4 : 0;
			op(&b, OP_CLEAR, st, kind_arg(e->layer) | mark, e->wire, e->wire_len, 1);
		}
	}
	if (b.n > 1)
		save("wiretrace", NULL, 0, b.p, b.n);
	free(b.p);
}

static void dump(const struct run_result *r)
{
	struct buf cmd = { 0 }, rep = { 0 }, ehlo = { 0 };
	static const uint8_t v12 = 3;
	for (size_t i = 0; i < r->trace.n; i++) {
		const struct trace_event *e = &r->trace.ev[i];
		const uint8_t *p = e->encrypted ? e->plain : e->wire;
		size_t n = e->encrypted ? e->plain_stored : e->wire_stored;
		if (!p || !n)
			continue;
		switch (e->layer) {
		case LAYER_SMTP_COMMAND:
			add(&cmd, p, n);
			break;
		case LAYER_SMTP_REPLY:
			add(&rep, p, n);
			if (n >= 4 && !memcmp(p, "250", 3)) {
				add(&ehlo, p, n);
				if (p[3] == ' ') {
					if (ehlo.n > n)
						save("mitm_ehlo", NULL, 0, ehlo.p, ehlo.n);
					ehlo.n = 0;
				}
			} else {
				ehlo.n = 0;
			}
			break;
		case LAYER_TLS_RECORD:
			if (!e->encrypted && e->wire && e->wire_stored > 5 && e->wire[0] != 23)
				save("tls", &v12, 1, e->wire, e->wire_stored);
			break;
		case LAYER_TLS_HANDSHAKE:
		case LAYER_TLS_ALERT:
			if (!e->encrypted && e->wire)
				save("tls", &v12, 1, e->wire, e->wire_stored);
			break;
		default:
			break;
		}
	}
	dump_wire(r, 0);
	dump_wire(r, 4); /* cuts[4]: 5-byte writes */
	if (cmd.n)
		save("smtp_command", NULL, 0, cmd.p, cmd.n);
	if (rep.n)
		save("smtp_reply", NULL, 0, rep.p, rep.n);
	free(cmd.p);
	free(rep.p);
	free(ehlo.p);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: seed_dump SCENARIO_DIR OUT_DIR\n");
		return 2;
	}
	out_dir = argv[2];
	DIR *d = opendir(argv[1]);
	if (!d)
		return 2;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".ini"))
			continue;
		char path[4096], err[512];
		snprintf(path, sizeof path, "%s/%s", argv[1], de->d_name);
		struct scenario sc;
		struct scenario_load_opts lo = { .datadir = argv[1] };
		if (scenario_load(path, &lo, &sc, err, sizeof err)) {
			fprintf(stderr, "%s\n", err);
			continue;
		}
		struct run_result r;
		struct run_pki pki;
		if (run_pki_load(&sc, &pki, err, sizeof err) == 0) {
			if (run_scenario(&sc, &pki, NULL, &r, err, sizeof err) == 0) {
				dump(&r);
				run_result_free(&r);
			}
			run_pki_free(&pki);
		}
		scenario_free(&sc);
	}
	closedir(d);
	return 0;
}
