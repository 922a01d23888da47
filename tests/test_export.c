/* test_export: the exports against the run they come from. The JSON must carry the same
 * events in the same order as the trace, and the same outcome; the handout must have its
 * sections; the capture's TCP streams must hold exactly the wire bytes of the trace, with
 * correct checksums; files are written whole or not at all. */
#include "testrun.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/export/export.h"
#include "sim/run/run.h"
#include "sim/run/scenario.h"
#include "sim/smtp/smtp_parse.h"

static char *scenario_path(const char *name)
{
	static char buf[1024];
	snprintf(buf, sizeof buf, "%s/%s", test_scenarios_dir(), name);
	return buf;
}

static void run_file(const char *path, struct scenario *sc, struct run_result *r, size_t max_stored)
{
	char err[1024];
	if (scenario_load(path, test_load_opts(), sc, err, sizeof err))
		fail_msg("%s", err);
	struct run_options opt = { 0 };
	opt.max_stored = max_stored;
	if (test_run_scenario(sc, &opt, r, err, sizeof err))
		fail_msg("%s: %s", path, err);
}

/* Every .ini file of the scenario directory, sorted, so a new scenario is covered without touching this file. */
static int ini_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 4 && !strcmp(d->d_name + n - 4, ".ini");
}

static size_t list_scenarios(char ***out)
{
	struct dirent **names;
	int n = scandir(test_scenarios_dir(), &names, ini_filter, alphasort);
	assert_true(n > 0);
	char **v = calloc((size_t)n, sizeof *v);
	assert_non_null(v);
	for (int i = 0; i < n; i++) {
		v[i] = strdup(scenario_path(names[i]->d_name));
		free(names[i]);
	}
	free(names);
	*out = v;
	return (size_t)n;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char *to_string(int (*fn)(FILE *, const struct scenario *, const struct run_result *),
		       const struct scenario *sc, const struct run_result *r, size_t *len)
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);
	assert_non_null(f);
	assert_int_equal(fn(f, sc, r), 0);
	assert_int_equal(fclose(f), 0);
	if (len)
		*len = n;
	return p;
}

static const char *link_name(enum trace_link l)
{
	return trace_link_name(l);
}

static size_t sessions_with_secret(const struct trace *t)
{
	size_t n = 0;
	for (size_t i = 0; i < t->nsessions; i++) {
		n += t->sessions[i].has_secret;
		for (int k = 0; k < TLS13_SECRET_COUNT; k++) /* TLS 1.3: a line per secret */
			n += t->sessions[i].secrets13 >> k & 1;
	}
	return n;
}

static void check_learned(json_t *j, const struct knowledge *l)
{
	assert_true(json_is_object(j));
	json_t *what = json_object_get(j, "learned");
	assert_int_equal(json_array_size(what),
			 !!(l->what & OBSERVED_CREDENTIALS) + !!(l->what & OBSERVED_ENVELOPE) + !!(l->what & OBSERVED_BODY));
	json_t *cred = json_object_get(j, "credentials");
	if (l->what & OBSERVED_CREDENTIALS) {
		assert_string_equal(json_string_value(json_object_get(cred, "user")), l->user);
		assert_string_equal(json_string_value(json_object_get(cred, "password")), l->password);
	} else {
		assert_true(json_is_null(cred));
	}
	json_t *env = json_object_get(j, "envelope");
	if (l->what & OBSERVED_ENVELOPE) {
		assert_string_equal(json_string_value(json_object_get(env, "mail_from")), l->mail_from);
		json_t *rc = json_object_get(env, "rcpt");
		assert_int_equal(json_array_size(rc), l->nrcpt);
		for (size_t i = 0; i < l->nrcpt; i++)
			assert_string_equal(json_string_value(json_array_get(rc, i)), l->rcpt[i]);
	} else {
		assert_true(json_is_null(env));
	}
	json_t *m = json_object_get(j, "metadata");
	assert_true(json_is_object(m));
	json_t *sni = json_object_get(m, "sni");
	if (l->sni[0])
		assert_string_equal(json_string_value(sni), l->sni);
	else
		assert_true(json_is_null(sni));
	assert_int_equal(json_array_size(json_object_get(m, "capabilities")), l->ncaps);
	assert_int_equal(json_integer_value(json_object_get(m, "encrypted_records")), (json_int_t)l->records);
}

static void check_json(const struct scenario *sc, const struct run_result *r, const char *text, size_t len)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr);
	if (!root)
		fail_msg("%s: JSON does not parse: %s (line %d)", sc->name, jerr.text, jerr.line);
	assert_string_equal(json_string_value(json_object_get(root, "format")), "smtps-sim-trace");
	assert_int_equal(json_integer_value(json_object_get(root, "version")), 2);
	json_t *s = json_object_get(root, "scenario");
	assert_string_equal(json_string_value(json_object_get(s, "name")), sc->name);
	assert_string_equal(json_string_value(json_object_get(s, "title")), sc->title);
	assert_int_equal(json_integer_value(json_object_get(s, "seed")), r->seed);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "server"), "port")), sc->server.port);

	const struct trace *t = &r->trace;
	json_t *evs = json_object_get(root, "events");
	assert_int_equal(json_array_size(evs), t->n);
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		json_t *j = json_array_get(evs, i);
		assert_int_equal(json_integer_value(json_object_get(j, "seq")), e->seq);
		assert_int_equal(json_integer_value(json_object_get(j, "time_us")), e->time_us);
		assert_string_equal(json_string_value(json_object_get(j, "summary")), e->summary);
		assert_string_equal(json_string_value(json_object_get(j, "layer")), trace_layer_name(e->layer));
		assert_string_equal(json_string_value(json_object_get(j, "link")), link_name(e->link));
		assert_string_equal(json_string_value(json_object_get(j, "from")), trace_actor_name(e->from));
		assert_string_equal(json_string_value(json_object_get(j, "to")), trace_actor_name(e->to));
		json_t *parent = json_object_get(j, "parent");
		if (e->parent >= 0)
			assert_int_equal(json_integer_value(parent), t->ev[e->parent].seq);
		else
			assert_true(json_is_null(parent));
		assert_int_equal(json_is_true(json_object_get(j, "encrypted")), !!e->encrypted);
		assert_int_equal(json_is_true(json_object_get(j, "attack")), !!e->attack);
		assert_int_equal(json_integer_value(json_object_get(j, "wire_len")), e->wire_len);
		assert_int_equal(strlen(json_string_value(json_object_get(j, "wire_hex"))), 2 * e->wire_stored);
		if (e->narration)
			assert_string_equal(json_string_value(json_object_get(j, "narration")), e->narration);
		else
			assert_true(json_is_null(json_object_get(j, "narration")));
		/* the field tree holds every field once */
		size_t count = 0;
		json_t *stack[32];
		size_t sp = 0;
		stack[sp++] = json_object_get(j, "fields");
		while (sp) {
			json_t *arr = stack[--sp];
			assert_true(json_is_array(arr));
			size_t k;
			json_t *fl;
			json_array_foreach(arr, k, fl) {
				count++;
				assert_non_null(json_string_value(json_object_get(fl, "name")));
				json_t *ch = json_object_get(fl, "children");
				if (ch && sp < 32)
					stack[sp++] = ch;
			}
		}
		assert_int_equal(count, e->fields.n);
	}
	json_t *keys = json_object_get(root, "tls_sessions");
	assert_int_equal(json_array_size(keys), t->nsessions);
	assert_int_equal(json_array_size(json_object_get(root, "ledger")), r->ledger.n);

	const struct outcome *o = &r->outcome;
	json_t *oj = json_object_get(root, "outcome");
	assert_int_equal(json_is_true(json_object_get(oj, "delivered")), !!o->delivered);
	assert_int_equal(json_is_true(json_object_get(oj, "altered")), !!o->altered);
	assert_int_equal(json_integer_value(json_object_get(oj, "injected")), o->injected);
	assert_int_equal(json_is_true(json_object_get(oj, "decrypted_later")), !!o->decrypted_later);
	assert_string_equal(json_string_value(json_object_get(oj, "summary")), o->summary);
	assert_int_equal(json_array_size(json_object_get(oj, "alerts")), o->nalerts);
	json_t *tls = json_object_get(oj, "tls");
	for (int l = 0; l < LINK_COUNT; l++) {
		json_t *tl = json_object_get(tls, link_name((enum trace_link)l));
		if (o->tls[l]) {
			assert_true(json_is_true(json_object_get(tl, "established")));
			assert_string_equal(json_string_value(json_object_get(tl, "version")), o->tls_version[l]);
			assert_string_equal(json_string_value(json_object_get(tl, "suite")), o->tls_suite[l]);
		} else if (tl) {
			assert_true(json_is_false(json_object_get(tl, "established")));
		}
	}
	check_learned(json_object_get(oj, "observer"), &o->observer);
	if (sc->mitm.attack != NULL)
		check_learned(json_object_get(oj, "attacker"), &o->attacker);
	else
		assert_true(json_is_null(json_object_get(oj, "attacker")));
	json_t *ex = json_object_get(root, "expect");
	assert_int_equal(json_is_true(json_object_get(ex, "met")), run_check_expect(sc, o, NULL, 0));
	json_decref(root);
}

static void test_json_matches_trace(void **state)
{
	(void)state;
	char **files;
	size_t n = list_scenarios(&files);
	for (size_t i = 0; i < n; i++) {
		struct scenario sc;
		struct run_result r;
		run_file(files[i], &sc, &r, 0);
		size_t len;
		char *text = to_string(export_json, &sc, &r, &len);
		check_json(&sc, &r, text, len);
		/* a second run gives the same bytes */
		struct run_result r2;
		char err[256];
		struct run_options opt = { 0 };
		assert_int_equal(test_run_scenario(&sc, &opt, &r2, err, sizeof err), 0);
		size_t len2;
		char *text2 = to_string(export_json, &sc, &r2, &len2);
		assert_int_equal(len, len2);
		assert_memory_equal(text, text2, len);
		free(text);
		free(text2);
		run_result_free(&r2);
		run_result_free(&r);
		scenario_free(&sc);
	}
	free_list(files, n);
}

static void test_markdown_handout(void **state)
{
	(void)state;
	struct scenario sc;
	struct run_result r;
	run_file(scenario_path("starttls.ini"), &sc, &r, 0);
	char *md = to_string(export_markdown, &sc, &r, NULL);
	char title[512];
	snprintf(title, sizeof title, "# %s\n", sc.title);
	assert_true(!strncmp(md, title, strlen(title)));
	assert_non_null(strstr(md, "\n## Lesson\n"));
	assert_non_null(strstr(md, "forgets everything it learned"));
	assert_non_null(strstr(md, "\n| # | from → to | layer | what | who can read it |\n|---:|"));
	assert_non_null(strstr(md, "\n## Outcome\n"));
	assert_non_null(strstr(md, "- Delivered: yes\n"));
	assert_non_null(strstr(md, "observer on the wire learned: no credentials, envelope or message; only metadata: "));
	assert_non_null(strstr(md, "SNI mail.example.test"));
	/* the encrypted EHLO is shown as such, readable only by the endpoints */
	assert_non_null(strstr(md, "*encrypted:* EHLO client.example.test | only the client and server |"));
	/* one table row per event */
	size_t rows = 0;
	for (const char *p = strstr(md, "|---:|"); p && (p = strstr(p, "\n| ")); p++)
		rows++;
	assert_int_equal(rows, r.trace.n);
	free(md);
	run_result_free(&r);
	scenario_free(&sc);
}

/* Counts the cell separators of a table row: pipes not escaped with a backslash. */
static int row_pipes(const char *line)
{
	int n = 0;
	for (const char *p = line; *p && *p != '\n'; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		n += *p == '|';
	}
	return n;
}

static void test_markdown_escapes(void **state)
{
	(void)state;
	struct scenario sc;
	struct run_result r;
	run_file(scenario_path("plain.ini"), &sc, &r, 0);
	/* a hostile line: pipes and angle brackets must not break the table */
	struct trace_event e = { 0 };
	fields_init(&e.fields);
	e.link = LINK_CLIENT_SERVER;
	e.from = ACTOR_CLIENT;
	e.to = ACTOR_SERVER;
	e.layer = LAYER_SMTP_COMMAND;
	e.parent = -1;
	e.readers = READ_WIRE;
	e.summary = "MAIL FROM:<a|b@x> | DROP\nTABLE";
	assert_true(trace_append(&r.trace, &e) >= 0);
	char *md = to_string(export_markdown, &sc, &r, NULL);
	const char *row = strstr(md, "MAIL FROM:\\<a\\|b@x\\> \\| DROP TABLE");
	assert_non_null(row);
	while (row > md && row[-1] != '\n')
		row--;
	assert_int_equal(row_pipes(row), 6);
	free(md);
	run_result_free(&r);
	scenario_free(&sc);
}

static char *make_tmpdir(void)
{
	char *d = strdup("/tmp/smtps-export-test.XXXXXX");
	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static void rm_dir(char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *de;
		char p[1024];
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
}

static uint32_t sum16(uint32_t acc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return acc;
}

struct stream {
	uint16_t sport, dport;
	uint32_t isn, next;
	int syn, fin;
	uint8_t *data;
	size_t n;
};

/* Reads the capture back and reassembles every direction of every connection. */
static size_t read_capture(const char *path, struct stream *st, size_t cap)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, errbuf);
	if (!p)
		fail_msg("%s", errbuf);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	size_t ns = 0;
	struct pcap_pkthdr *h;
	const u_char *pk;
	long long last = -1;
	while (pcap_next_ex(p, &h, &pk) == 1) {
		long long ts = (long long)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
		assert_true(ts > last);
		last = ts;
		assert_int_equal(h->caplen, h->len);
		assert_true(h->caplen >= 54);
		assert_int_equal(pk[12] << 8 | pk[13], 0x0800);
		const uint8_t *ip = pk + 14;
		assert_int_equal(ip[0], 0x45);
		assert_int_equal(ip[9], 6);
		size_t iplen = (size_t)(ip[2] << 8 | ip[3]);
		assert_int_equal(iplen + 14, h->caplen);
		assert_int_equal(sum16(0, ip, 20), 0xffff);
		const uint8_t *tcp = ip + 20;
		size_t tcplen = iplen - 20;
		uint8_t pseudo[12];
		memcpy(pseudo, ip + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = 6;
		pseudo[10] = (uint8_t)(tcplen >> 8);
		pseudo[11] = (uint8_t)tcplen;
		assert_int_equal(sum16(sum16(0, pseudo, 12), tcp, tcplen), 0xffff);
		uint16_t sport = (uint16_t)(tcp[0] << 8 | tcp[1]), dport = (uint16_t)(tcp[2] << 8 | tcp[3]);
		uint32_t seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
		size_t hl = (size_t)(tcp[12] >> 4) * 4;
		int flags = tcp[13];
		size_t plen = tcplen - hl;
		assert_true(plen <= 1460);
		struct stream *s = NULL;
		for (size_t i = 0; i < ns; i++)
			if (st[i].sport == sport && st[i].dport == dport)
				s = &st[i];
		if (!s) {
			assert_true(ns < cap);
			s = &st[ns++];
			memset(s, 0, sizeof *s);
			s->sport = sport;
			s->dport = dport;
			assert_true(flags & 0x02); /* every direction starts with a SYN */
			s->isn = seq;
			s->next = seq;
		}
		assert_int_equal(seq, s->next); /* in order, nothing missing, nothing repeated */
		if (flags & 0x02) {
			s->syn++;
			s->next++;
		}
		if (plen) {
			s->data = realloc(s->data, s->n + plen);
			assert_non_null(s->data);
			memcpy(s->data + s->n, tcp + hl, plen);
			s->n += plen;
			s->next += (uint32_t)plen;
		}
		if (flags & 0x01) {
			s->fin++;
			s->next++;
		}
	}
	pcap_close(p);
	return ns;
}

/* The capture at path against the trace: every direction of every TCP connection (each
 * TK_CONN_OPEN on a link starts one: a client's port fallback opens more than one on a
 * link) carries exactly the top-level wire bytes of the trace, opens with a SYN and ends
 * with a FIN when the trace has one. */
#define MAX_CONNS 4
struct conn_want {
	unsigned port;
	uint8_t *bytes[2];
	size_t n[2];
	int fin[2];
};

static void check_capture(const struct scenario *sc, const struct run_result *r, const char *path)
{
	struct stream st[24];
	size_t ns = read_capture(path, st, 24);
	const struct trace *t = &r->trace;
	struct conn_want cw[LINK_COUNT][MAX_CONNS];
	int nconn[LINK_COUNT] = { 0 };
	memset(cw, 0, sizeof cw);
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if (e->layer == LAYER_NOTE || e->parent >= 0)
			continue;
		int l = (int)e->link;
		if (e->kind == TK_CONN_OPEN) {
			assert_true(nconn[l] < MAX_CONNS);
			cw[l][nconn[l]++].port = e->port ? e->port : sc->server.port;
			continue;
		}
		if (!nconn[l]) { /* bytes before the open: the first connection, to the scenario's port */
			cw[l][0].port = sc->server.port;
			nconn[l] = 1;
		}
		struct conn_want *c = &cw[l][nconn[l] - 1];
		enum trace_actor a, b;
		trace_link_ends(e->link, &a, &b);
		int dirn = e->from != a;
		if (e->kind == TK_CONN_FIN) {
			c->fin[dirn] = 1;
			continue;
		}
		if (e->layer == LAYER_CONNECTION || !e->wire_len)
			continue;
		c->bytes[dirn] = realloc(c->bytes[dirn], c->n[dirn] + e->wire_len);
		assert_non_null(c->bytes[dirn]);
		memcpy(c->bytes[dirn] + c->n[dirn], e->wire, e->wire_len);
		c->n[dirn] += e->wire_len;
	}
	size_t total = 0;
	for (int l = 0; l < LINK_COUNT; l++) {
		for (int k = 0; k < nconn[l]; k++, total++) {
			struct conn_want *c = &cw[l][k];
			for (int dirn = 0; dirn < 2; dirn++) {
				/* the stream of this direction: to the connection's port or from it, with
				 * exactly these bytes (the streams of two links differ in content) */
				int found = 0;
				for (size_t x = 0; x < ns && !found; x++) {
					int ours = dirn == 0 ? st[x].dport == c->port : st[x].sport == c->port;
					if (!ours || st[x].n != c->n[dirn] || (c->n[dirn] && memcmp(st[x].data, c->bytes[dirn], c->n[dirn])))
						continue;
					found = 1;
					assert_int_equal(st[x].syn, 1);
					assert_int_equal(st[x].fin, c->fin[dirn]);
				}
				if (!found)
					fail_msg("%s: link %d connection %d direction %d: the capture's stream differs from the trace",
						 sc->name, l, k, dirn);
				free(c->bytes[dirn]);
			}
		}
	}
	assert_int_equal(ns, 2 * total);
	for (size_t k = 0; k < ns; k++)
		free(st[k].data);
}

static void check_keylog(const struct run_result *r, const char *keys)
{
	FILE *f = fopen(keys, "r");
	assert_non_null(f);
	char line[512];
	size_t nl = 0;
	while (fgets(line, sizeof line, f)) {
		size_t ll = strcspn(line, " ");
		if (!strncmp(line, "CLIENT_RANDOM ", 14)) {
			assert_int_equal(strlen(line), strlen("CLIENT_RANDOM ") + 64 + 1 + 96 + 1);
		} else {
			/* TLS 1.3: LABEL random secret, the secret as long as the suite's hash */
			assert_true(tls13_secret_from_label(line, ll) >= 0);
			size_t sl = strlen(line) - ll - 1 - 64 - 1 - 1;
			assert_true(sl == 64 || sl == 96);
		}
		assert_int_equal(strspn(line + ll + 1, "0123456789abcdef"), 64);
		assert_int_equal(line[ll + 1 + 64], ' ');
		assert_int_equal(strspn(line + ll + 1 + 65, "0123456789abcdef"), strlen(line) - ll - 1 - 65 - 1);
		nl++;
	}
	fclose(f);
	assert_int_equal(nl, sessions_with_secret(&r->trace));
}

static void test_pcap_streams(void **state)
{
	(void)state;
	char **files;
	size_t nf = list_scenarios(&files);
	char *dir = make_tmpdir();
	char path[1024], keys[1024];
	snprintf(path, sizeof path, "%s/x.pcap", dir);
	snprintf(keys, sizeof keys, "%s/x.keys", dir);
	for (size_t fi = 0; fi < nf; fi++) {
		struct scenario sc;
		struct run_result r;
		run_file(files[fi], &sc, &r, 0);
		char err[1024];
		if (export_pcap(path, &sc, &r, err, sizeof err))
			fail_msg("%s", err);
		assert_int_equal(export_keylog(keys, &r, err, sizeof err), 0);
		assert_int_equal(dir_entries(dir), 2);
		check_capture(&sc, &r, path);
		check_keylog(&r, keys);
		run_result_free(&r);
		scenario_free(&sc);
	}
	rm_dir(dir);
	free_list(files, nf);
}

/* A body far larger than a segment and a TLS record: MSS-sized segments, still in order. */
static void test_pcap_big_body(void **state)
{
	(void)state;
	const char *names[] = { "plain.ini", "starttls.ini" };
	size_t n = 200000;
	char *body = malloc(n);
	assert_non_null(body);
	for (size_t i = 0; i < n; i++)
		body[i] = i % 72 == 71 ? '\n' : (char)('a' + i % 26);
	char *dir = make_tmpdir();
	char path[1024], err[1024];
	snprintf(path, sizeof path, "%s/big.pcap", dir);
	for (size_t k = 0; k < 2; k++) {
		struct scenario sc;
		struct run_result r;
		if (scenario_load(scenario_path(names[k]), test_load_opts(), &sc, err, sizeof err))
			fail_msg("%s", err);
		struct run_options opt = { 0 };
		opt.body = (const uint8_t *)body;
		opt.body_len = n;
		assert_int_equal(test_run_scenario(&sc, &opt, &r, err, sizeof err), 0);
		assert_true(r.outcome.delivered);
		if (export_pcap(path, &sc, &r, err, sizeof err))
			fail_msg("%s", err);
		check_capture(&sc, &r, path);
		run_result_free(&r);
		scenario_free(&sc);
	}
	free(body);
	rm_dir(dir);
}

/* STARTTLS command injection: the attacker's lines go out "in the same write" as the
 * STARTTLS line it relays. In the trace they share its segment (STARTTLS unmarked, the
 * added lines marked); in the capture they are one TCP payload. */
static void test_pcap_injection_one_segment(void **state)
{
	(void)state;
	struct scenario sc;
	struct run_result r;
	run_file(scenario_path("command-injection-vulnerable.ini"), &sc, &r, 0);
	const struct trace *t = &r.trace;
	/* The write, from the trace: STARTTLS to the server, then the added lines. */
	uint8_t want[1024];
	size_t wn = 0, added = 0;
	uint32_t seg = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if (e->link != LINK_MITM_SERVER || e->kind != TK_SMTP_COMMAND || e->encrypted)
			continue;
		if (!seg && e->subtype == SMTP_VERB_STARTTLS) {
			assert_int_equal(e->attack, ATTACK_NONE);
			assert_true(e->segment > 0);
			seg = e->segment;
		} else if (!seg || e->segment != seg) {
			continue;
		} else {
			assert_int_equal(e->attack, ATTACK_ADDED);
			added++;
		}
		assert_true(wn + e->wire_len <= sizeof want);
		memcpy(want + wn, e->wire, e->wire_len);
		wn += e->wire_len;
	}
	assert_true(seg > 0);
	assert_true(added >= 2);

	char *dir = make_tmpdir();
	char path[1024], err[1024];
	snprintf(path, sizeof path, "%s/inject.pcap", dir);
	if (export_pcap(path, &sc, &r, err, sizeof err))
		fail_msg("%s", err);
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, errbuf);
	if (!p)
		fail_msg("%s", errbuf);
	struct pcap_pkthdr *h;
	const u_char *pk;
	int found = 0, starttls_alone = 0;
	while (pcap_next_ex(p, &h, &pk) == 1) {
		const uint8_t *ip = pk + 14;
		size_t iplen = (size_t)(ip[2] << 8 | ip[3]);
		const uint8_t *tcp = ip + 20;
		size_t thl = (size_t)(tcp[12] >> 4) * 4;
		const uint8_t *pay = tcp + thl;
		size_t pn = iplen - 20 - thl;
		if (pn >= 10 && !memcmp(pay, "STARTTLS\r\n", 10)) {
			if (pn == wn && !memcmp(pay, want, wn))
				found++;
			else if (pn == 10)
				starttls_alone++;
		}
	}
	pcap_close(p);
	/* Once toward the server with the added lines; the client's own STARTTLS to the
	 * attacker is alone in its segment. */
	assert_int_equal(found, 1);
	assert_int_equal(starttls_alone, 1);
	rm_dir(dir);
	run_result_free(&r);
	scenario_free(&sc);
}

static void test_pcap_refuses_truncated_trace(void **state)
{
	(void)state;
	struct scenario sc;
	struct run_result r;
	run_file(scenario_path("starttls.ini"), &sc, &r, 64);
	char *dir = make_tmpdir();
	char path[1024], err[1024];
	snprintf(path, sizeof path, "%s/x.pcap", dir);
	assert_int_equal(export_pcap(path, &sc, &r, err, sizeof err), -1);
	assert_true(!strncmp(err, path, strlen(path)));
	assert_non_null(strstr(err, "max_stored"));
	assert_int_equal(dir_entries(dir), 0);
	rm_dir(dir);
	run_result_free(&r);
	scenario_free(&sc);
}

static void test_file_whole_or_nothing(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char path[1024], err[1024];
	snprintf(path, sizeof path, "%s/out.json", dir);

	struct export_file ef;
	assert_int_equal(export_file_open(&ef, path, err, sizeof err), 0);
	fputs("first", ef.f);
	assert_int_equal(dir_entries(dir), 1); /* only the temporary */
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(export_file_commit(&ef, err, sizeof err), 0);
	assert_int_equal(dir_entries(dir), 1);

	/* an aborted rewrite leaves the old file as it was */
	assert_int_equal(export_file_open(&ef, path, err, sizeof err), 0);
	fputs("second, never seen", ef.f);
	export_file_abort(&ef);
	assert_int_equal(dir_entries(dir), 1);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char buf[64] = "";
	assert_non_null(fgets(buf, sizeof buf, f));
	fclose(f);
	assert_string_equal(buf, "first");

	/* a missing directory: a message naming the path and the reason, nothing created */
	char bad[1100];
	snprintf(bad, sizeof bad, "%s/missing/x.pcap", dir);
	assert_int_equal(export_file_open(&ef, bad, err, sizeof err), -1);
	char want[1300];
	snprintf(want, sizeof want, "%s: cannot write: %s", bad, strerror(ENOENT));
	assert_string_equal(err, want);
	struct scenario sc;
	struct run_result r;
	run_file(scenario_path("plain.ini"), &sc, &r, 0);
	assert_int_equal(export_pcap(bad, &sc, &r, err, sizeof err), -1);
	assert_string_equal(err, want);
	assert_int_equal(export_keylog(bad, &r, err, sizeof err), -1);
	assert_int_equal(dir_entries(dir), 1);
	run_result_free(&r);
	scenario_free(&sc);
	rm_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_matches_trace),
		cmocka_unit_test(test_markdown_handout),
		cmocka_unit_test(test_markdown_escapes),
		cmocka_unit_test(test_pcap_streams),
		cmocka_unit_test(test_pcap_big_body),
		cmocka_unit_test(test_pcap_injection_one_segment),
		cmocka_unit_test(test_pcap_refuses_truncated_trace),
		cmocka_unit_test(test_file_whole_or_nothing),
	};
	return cmocka_run_group_tests_name("export", tests, NULL, NULL);
}
