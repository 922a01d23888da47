/* bench: what the simulator costs on top of BearSSL. One program, one run, one table:
 *   1. raw BearSSL: handshake and close between a bare client and server engine;
 *   2. a full traced STARTTLS session (starttls.ini) with the same suite, and 2 / 1;
 *   3. a 25 MB message over implicit TLS through the simulator against the same bytes
 *      through a bare engine pair (each warmed up twice, in a child of its own), and the
 *      simulator's peak resident memory;
 *   4. a what-if re-run (client verification flipped) of the longest scenario;
 *   5. the whole catalogue replayed headless;
 *   6. the live proxy against a direct loopback connection: bench/proxy.sh, run after
 *      this program by make bench (real sockets and a real client).
 * Medians of CLOCK_MONOTONIC over repetitions. Not a test: it always exits 0 unless it
 * cannot run at all. Run from the repository root (make bench), or give the scenario
 * directory as the first argument. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sim/wire/pki.h"
#include "sim/run/run.h"
#include "sim/run/scenario.h"
#include "sim/wire/tls.h"

#define SUITE BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
#define SUITE_NAME "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
#define BIG_SIZE (25u * 1024 * 1024)
#define BIG_MAX_STORED 4096
#define MAX_SCENARIOS 128

static const char *dir = "scenarios";
static int reps_hs = 200, reps_big = 9, reps_whatif = 100, reps_cat = 10;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what, const char *err)
{
	fprintf(stderr, "bench: %s: %s\n", what, err);
	exit(2);
}

/* ---- the bare engine pair ---- */

struct pki {
	struct pki_chain chain;
	struct pki_key key;
	struct pki_anchors anchors;
	int64_t date;
	char server_name[256];
};

struct pair {
	struct tls_endpoint cli, srv;
};

/* Moves as many record bytes as the receiver takes from one engine to the other. */
static int xfer(br_ssl_engine_context *from, br_ssl_engine_context *to)
{
	size_t n, m;
	unsigned char *p = br_ssl_engine_sendrec_buf(from, &n);
	if (!p)
		return 0;
	unsigned char *q = br_ssl_engine_recvrec_buf(to, &m);
	if (!q)
		return 0;
	size_t k = n < m ? n : m;
	memcpy(q, p, k);
	br_ssl_engine_sendrec_ack(from, k);
	br_ssl_engine_recvrec_ack(to, k);
	return 1;
}

static void pair_init(struct pair *pr, const struct pki *k)
{
	static const uint16_t suites[] = { SUITE };
	char err[256];
	struct tls_config cc = {
		.is_server = 0, .suites = suites, .nsuites = 1, .anchors = &k->anchors,
		.verify = TLS_VERIFY_FULL, .server_name = k->server_name, .now = k->date,
		.seed = 1, .label = "client",
	};
	struct tls_config sc = {
		.is_server = 1, .suites = suites, .nsuites = 1, .chain = &k->chain, .key = &k->key,
		.now = k->date, .seed = 1, .label = "server",
	};
	if (tls_endpoint_init(&pr->srv, &sc, err, sizeof err) || tls_endpoint_init(&pr->cli, &cc, err, sizeof err))
		die("raw engine", err);
}

static void pair_handshake(struct pair *pr)
{
	br_ssl_engine_context *c = pr->cli.eng, *s = pr->srv.eng;
	for (;;) {
		int moved = xfer(c, s) | xfer(s, c);
		unsigned sc = br_ssl_engine_current_state(c), ss = br_ssl_engine_current_state(s);
		if (sc == BR_SSL_CLOSED || ss == BR_SSL_CLOSED) {
			fprintf(stderr, "bench: raw handshake failed: client %d, server %d\n",
				br_ssl_engine_last_error(c), br_ssl_engine_last_error(s));
			exit(2);
		}
		if ((sc & BR_SSL_SENDAPP) && (ss & BR_SSL_SENDAPP) && !moved)
			return;
		if (!moved && !((sc & BR_SSL_SENDAPP) && (ss & BR_SSL_SENDAPP)))
			die("raw handshake", "stalled");
	}
}

static void pair_close(struct pair *pr)
{
	br_ssl_engine_context *c = pr->cli.eng, *s = pr->srv.eng;
	br_ssl_engine_close(c);
	for (;;) {
		int moved = xfer(c, s) | xfer(s, c);
		if (br_ssl_engine_current_state(c) == BR_SSL_CLOSED && br_ssl_engine_current_state(s) == BR_SSL_CLOSED)
			break;
		if (!moved)
			die("raw close", "stalled");
	}
	if (br_ssl_engine_last_error(c) || br_ssl_engine_last_error(s))
		die("raw close", "an engine reported an error");
}

/* Pushes body through the client engine and drains it at the server. */
static void pair_send(struct pair *pr, const uint8_t *body, size_t len)
{
	br_ssl_engine_context *c = pr->cli.eng, *s = pr->srv.eng;
	size_t sent = 0, got = 0;
	unsigned sum = 0;
	while (got < len) {
		int moved = 0;
		size_t n;
		unsigned char *p;
		if (sent < len && (p = br_ssl_engine_sendapp_buf(c, &n)) != NULL) {
			size_t k = len - sent < n ? len - sent : n;
			memcpy(p, body + sent, k);
			br_ssl_engine_sendapp_ack(c, k);
			br_ssl_engine_flush(c, 0);
			sent += k;
			moved = 1;
		}
		moved |= xfer(c, s);
		if ((p = br_ssl_engine_recvapp_buf(s, &n)) != NULL) {
			sum += p[0]; /* touch the plaintext, as a reader would */
			br_ssl_engine_recvapp_ack(s, n);
			got += n;
			moved = 1;
		}
		if (!moved)
			die("raw transfer", "stalled");
	}
	if (sum == 1u) /* keep sum alive */
		fputc('\0', stderr);
}

static void pki_load_all(struct pki *k, const struct scenario *sc)
{
	char err[512];
	if (pki_load_chain(sc->server.tls_opt.cert, &k->chain, err, sizeof err) ||
	    pki_load_key(sc->server.tls_opt.key, &k->key, err, sizeof err) ||
	    pki_load_anchors(sc->client.trust, &k->anchors, err, sizeof err))
		die("demo PKI", err);
	k->date = sc->date;
	snprintf(k->server_name, sizeof k->server_name, "%s", sc->client.server_name);
}

static void pki_free_all(struct pki *k)
{
	pki_chain_free(&k->chain);
	pki_key_free(&k->key);
	pki_anchors_free(&k->anchors);
}

/* ---- scenarios ---- */

static void load(const char *name, struct scenario *sc)
{
	char path[4096], err[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	struct scenario_load_opts lo = { .datadir = dir };
	if (scenario_load(path, &lo, sc, err, sizeof err))
		die("scenario", err);
}

static void pin_suite(struct scenario *v)
{
	v->client.tls_opt.suites[0] = SUITE;
	v->client.tls_opt.nsuites = 1;
	v->server.tls_opt.suites[0] = SUITE;
	v->server.tls_opt.nsuites = 1;
}

/* One run, timed. With pki NULL the run is cold: its certificates and keys are loaded
 * inside the timing, as the command line and a what-if do. */
static double run_once(const struct scenario *sc, const struct run_pki *pki, const struct run_options *opt,
		       struct run_result *keep)
{
	struct run_result res;
	struct run_pki cold;
	char err[512];
	double t0 = now_s();
	if (!pki) {
		if (run_pki_load(sc, &cold, err, sizeof err))
			die(sc->name, err);
	}
	int failed = run_scenario(sc, pki ? pki : &cold, opt, &res, err, sizeof err);
	if (!pki)
		run_pki_free(&cold);
	if (failed)
		die(sc->name, err);
	double t = now_s() - t0;
	if (keep)
		*keep = res;
	else
		run_result_free(&res);
	return t;
}

static const char *ske_curve(const struct run_result *r)
{
	for (size_t i = 0; i < r->trace.n; i++) {
		const char *c = fields_get(&r->trace.ev[i].fields, "curve");
		if (c)
			return c;
	}
	return "?";
}

static int is_ini(const char *n)
{
	size_t l = strlen(n);
	return l > 4 && !strcmp(n + l - 4, ".ini") && n[0] != '.';
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t list_catalogue(char **names, size_t cap)
{
	DIR *d = opendir(dir);
	if (!d)
		die(dir, strerror(errno));
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < cap)
		if (is_ini(e->d_name))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	return n;
}

/* ---- the 25 MB message ---- */

static uint8_t *make_body(size_t len)
{
	static const char words[] = "the quick brown fox jumps over the lazy dog while the eavesdropper watches ";
	uint8_t *b = malloc(len);
	if (!b)
		die("body", "out of memory");
	size_t off = 0;
	unsigned line = 0;
	while (off < len) {
		char tmp[128];
		int k = snprintf(tmp, sizeof tmp, "%07u %.*s\r\n", line, (int)(line % 40) + 30, words);
		line++;
		size_t m = (size_t)k < len - off ? (size_t)k : len - off;
		memcpy(b + off, tmp, m);
		off += m;
	}
	if (len >= 2) { /* end on a complete line */
		b[len - 2] = '\r';
		b[len - 1] = '\n';
	}
	return b;
}

static long vm_hwm_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "VmHWM:", 6))
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

struct big_result {
	double sim_s, raw_s;
	long sim_hwm_kb, raw_hwm_kb;
	int delivered;
	char suite[64];
};

/* In a child: the simulator's runs, so the peak resident size is theirs alone. */
static void big_sim_child(int fd)
{
	struct big_result br = { 0 };
	struct scenario sc;
	load("implicit-tls.ini", &sc);
	struct scenario v = scenario_variant(&sc);
	pin_suite(&v);
	v.server.max_size = 2 * BIG_SIZE; /* the default 10 MB would refuse it */
	uint8_t *body = make_body(BIG_SIZE);
	/* The runs share a trace pool, as a live server's sessions do: the timed run reuses
	 * the warm-up's memory instead of fresh pages. */
	struct trace_pool pool;
	trace_pool_init(&pool, (size_t)64 << 20);
	struct run_options opt = { .max_stored = BIG_MAX_STORED, .body = body, .body_len = BIG_SIZE, .pool = &pool };
	/* The demo PKI is read before the clock starts, as the bare pair's is: this row
	 * measures moving the message, and row "not in 2" says what reading it costs. */
	struct run_pki rpki;
	char perr[512];
	if (run_pki_load(&v, &rpki, perr, sizeof perr))
		die("pki", perr);
	double t[16];
	for (int i = -2; i < reps_big; i++) { /* the first two, untimed, warm the allocator and caches */
		struct run_result res;
		double ti = run_once(&v, &rpki, &opt, &res);
		if (i >= 0)
			t[i] = ti;
		br.delivered = res.outcome.delivered;
		snprintf(br.suite, sizeof br.suite, "%s", res.outcome.tls_suite[LINK_CLIENT_SERVER]);
		run_result_free(&res);
	}
	br.sim_s = median(t, reps_big);
	br.sim_hwm_kb = vm_hwm_kb();
	run_pki_free(&rpki);
	trace_pool_free(&pool);
	free(body);
	scenario_free(&sc);
	if (write(fd, &br, sizeof br) != (ssize_t)sizeof br)
		_exit(1);
	_exit(0);
}

static void big_raw_child(int fd, const struct pki *k)
{
	struct big_result br = { 0 };
	uint8_t *body = make_body(BIG_SIZE);
	struct pair *pr = malloc(sizeof *pr);
	double t[16];
	for (int i = -2; i < reps_big; i++) { /* the first two, untimed, warm the caches as above */
		double t0 = now_s();
		pair_init(pr, k);
		pair_handshake(pr);
		pair_send(pr, body, BIG_SIZE);
		pair_close(pr);
		if (i >= 0)
			t[i] = now_s() - t0;
	}
	br.raw_s = median(t, reps_big);
	br.raw_hwm_kb = vm_hwm_kb();
	free(pr);
	free(body);
	if (write(fd, &br, sizeof br) != (ssize_t)sizeof br)
		_exit(1);
	_exit(0);
}

static struct big_result in_child(void (*fn)(int, const struct pki *), const struct pki *k)
{
	int fds[2];
	struct big_result br;
	if (pipe(fds))
		die("pipe", strerror(errno));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		die("fork", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		fn(fds[1], k);
	}
	close(fds[1]);
	ssize_t got = read(fds[0], &br, sizeof br);
	int st;
	waitpid(pid, &st, 0);
	close(fds[0]);
	if (got != (ssize_t)sizeof br || !WIFEXITED(st) || WEXITSTATUS(st))
		die("25 MB child", "failed");
	return br;
}

static void sim_child_adapter(int fd, const struct pki *k)
{
	(void)k;
	big_sim_child(fd);
}

/* ---- the measures ---- */

/* Everything the table shows, filled by one function per group of rows. */
struct results {
	/* 1 and 2 */
	double raw_hs, full, pki_load;
	char curve[64], st_suite[64];
	int st_events, st_ok;
	/* 3 */
	struct big_result braw, bsim;
	double ratio;             /* median of the pairs' raw / sim times */
	/* 4 and 5 */
	char longest[64];
	size_t most, nsc;
	double whatif, catalogue;
	int met_all;
	/* 6, the live proxy against a direct loopback connection, is bench/proxy.sh. */
};

/* 1 and 2, interleaved so that both see the same machine (other work, frequency): the
 * floor, bare engines doing handshake and close; and a full traced STARTTLS session with
 * the same suite. Then what a cold run adds: reading the demo PKI from its PEM files. */
static void measure_handshakes(const struct scenario *st, const struct pki *k, struct results *out)
{
	struct pair *pr = malloc(sizeof *pr);
	double *tv = calloc((size_t)reps_hs + 1, sizeof *tv);
	double *tf = calloc((size_t)reps_hs + 1, sizeof *tf);
	if (!pr || !tv || !tf)
		die("handshakes", "out of memory");
	struct scenario stv = scenario_variant(st);
	pin_suite(&stv);
	/* The demo PKI is loaded once, as the bare pair's is: a what-if or a benchmark
	 * re-runs the same scenario (run_scenario's pki); row "of 2" says what a cold run adds. */
	struct run_pki rpki;
	char perr[512];
	if (run_pki_load(&stv, &rpki, perr, sizeof perr))
		die("pki", perr);
	struct run_result res;
	run_once(&stv, &rpki, NULL, &res);
	snprintf(out->curve, sizeof out->curve, "%s", ske_curve(&res));
	out->st_events = (int)res.trace.n;
	out->st_ok = run_check_expect(st, &res.outcome, NULL, 0);
	snprintf(out->st_suite, sizeof out->st_suite, "%s", res.outcome.tls_suite[LINK_CLIENT_SERVER]);
	run_result_free(&res);
	for (int i = -10; i < reps_hs; i++) { /* the first ten warm caches and the allocator */
		double t0 = now_s();
		pair_init(pr, k);
		pair_handshake(pr);
		pair_close(pr);
		double t1 = now_s();
		double t2 = run_once(&stv, &rpki, NULL, NULL);
		if (i >= 0) {
			tv[i] = t1 - t0;
			tf[i] = t2;
		}
	}
	out->raw_hs = median(tv, reps_hs);
	out->full = median(tf, reps_hs);
	for (int i = 0; i < reps_hs; i++) {
		struct pki k2;
		double t0 = now_s();
		pki_load_all(&k2, st);
		tv[i] = now_s() - t0;
		pki_free_all(&k2);
	}
	out->pki_load = median(tv, reps_hs);
	run_pki_free(&rpki);
	free(tf);
	free(tv);
	free(pr);
}

/* 3. 25 MB over implicit TLS: one timed repetition per child, bare pair and simulator
 * alternating, so each child's peak resident size is that run's alone. Each child first
 * runs the same transfer twice untimed, as rows 1 and 2 warm up: what is timed is the
 * steady state (a what-if re-run, a live server's next session), not the first touch of
 * a new process's memory (the allocator settles on the second run: the first one's large
 * blocks go back to the kernel, and the second grows the heap that later runs reuse);
 * the peak resident size covers all three runs. */
static void measure_big(const struct pki *k, struct results *out)
{
	double traw[16], tsim[16];
	int nrep = reps_big;
	reps_big = 1;
	for (int i = 0; i < nrep; i++) {
		struct big_result a = in_child(big_raw_child, k);
		struct big_result b = in_child(sim_child_adapter, k);
		traw[i] = a.raw_s;
		tsim[i] = b.sim_s;
		if (a.raw_hwm_kb > out->braw.raw_hwm_kb)
			out->braw.raw_hwm_kb = a.raw_hwm_kb;
		if (b.sim_hwm_kb > out->bsim.sim_hwm_kb)
			out->bsim.sim_hwm_kb = b.sim_hwm_kb;
		out->bsim.delivered = b.delivered;
	}
	reps_big = nrep;
	/* The ratio is the median of the pairs' own ratios: a pair ran back to back, on the
	 * same machine in the same state, where medians taken apart may come from different
	 * moments of a shared machine. */
	double ratio[16];
	for (int i = 0; i < nrep; i++) {
		ratio[i] = traw[i] / tsim[i];
		if (getenv("BENCH_PAIRS"))
			fprintf(stderr, "pair %d: raw %.2f ms, sim %.2f ms, ratio %.3f\n", i, traw[i] * 1e3, tsim[i] * 1e3,
				ratio[i]);
	}
	/* (median sorts what it is given: the pairs are read above, before it) */
	out->ratio = median(ratio, nrep);
	out->braw.raw_s = median(traw, nrep);
	out->bsim.sim_s = median(tsim, nrep);
}

/* 4 and 5: the catalogue. A what-if re-run (client verification flipped) of the
 * longest scenario, then the whole catalogue loaded, run and checked. */
static void measure_catalogue(struct results *out)
{
	char *names[MAX_SCENARIOS];
	size_t nsc = list_catalogue(names, MAX_SCENARIOS);
	struct scenario *cat = calloc(nsc ? nsc : 1, sizeof *cat);
	double *tv = calloc((size_t)reps_whatif + 1, sizeof *tv);
	double *tc = calloc((size_t)reps_cat + 1, sizeof *tc);
	if (!cat || !tv || !tc)
		die("catalogue", "out of memory");
	size_t longest = 0, most = 0;
	int met_all = 0;
	for (size_t i = 0; i < nsc; i++) {
		load(names[i], &cat[i]);
		struct run_result r;
		run_once(&cat[i], NULL, NULL, &r);
		met_all += run_check_expect(&cat[i], &r.outcome, NULL, 0);
		if (r.trace.n > most) {
			most = r.trace.n;
			longest = i;
		}
		run_result_free(&r);
	}
	struct scenario wi = scenario_variant(&cat[longest]);
	wi.client.verify = wi.client.verify == TLS_VERIFY_FULL ? TLS_VERIFY_NONE : TLS_VERIFY_FULL;
	for (int i = 0; i < 5; i++)
		run_once(&wi, NULL, NULL, NULL);
	for (int i = 0; i < reps_whatif; i++)
		tv[i] = run_once(&wi, NULL, NULL, NULL);
	out->whatif = median(tv, reps_whatif);

	for (int i = 0; i < reps_cat; i++) {
		double t0 = now_s();
		for (size_t j = 0; j < nsc; j++) {
			struct scenario s;
			load(names[j], &s);
			struct run_result r;
			run_once(&s, NULL, NULL, &r);
			run_check_expect(&s, &r.outcome, NULL, 0);
			run_result_free(&r);
			scenario_free(&s);
		}
		tc[i] = now_s() - t0;
	}
	out->catalogue = median(tc, reps_cat);
	snprintf(out->longest, sizeof out->longest, "%s", cat[longest].name);
	out->most = most;
	out->nsc = nsc;
	out->met_all = met_all;
	for (size_t i = 0; i < nsc; i++) {
		scenario_free(&cat[i]);
		free(names[i]);
	}
	free(cat);
	free(tc);
	free(tv);
}

/* ---- the table ---- */

static void row(const char *what, const char *value, const char *target, const char *met)
{
	printf("| %-60s | %-22s | %-17s | %-4s |\n", what, value, target, met);
}

static void print_table(const struct results *r)
{
	char v[64], t[64], what[96];
	printf("smtps-sim bench — suite %s, ECDHE curve %s, ECDSA P-256 demo certificate\n", SUITE_NAME, r->curve);
	printf("(simulator negotiated: %s; medians, CLOCK_MONOTONIC; -O2)\n\n", r->st_suite);
	row("measure", "value", "target", "met");
	printf("|%.62s|%.24s|%.19s|%.6s|\n", "--------------------------------------------------------------",
	       "------------------------", "-------------------", "------");

	snprintf(v, sizeof v, "%.3f ms", r->raw_hs * 1e3);
	row("1 raw BearSSL handshake + close (bare engines)", v, "floor", "-");
	snprintf(v, sizeof v, "%.3f ms", r->full * 1e3);
	snprintf(t, sizeof t, "%d events", r->st_events);
	row("2 traced STARTTLS session (starttls.ini)", v, t, r->st_ok ? "ok" : "EXP!");
	snprintf(v, sizeof v, "%.3f", r->full / r->raw_hs);
	row("  ratio 2 / 1", v, "<= 1.10", r->full / r->raw_hs <= 1.10 ? "yes" : "no");
	snprintf(v, sizeof v, "%.3f ms", r->pki_load * 1e3);
	row("  not in 2: loading the demo PKI (3 PEM files)", v, "-", "-");

	double mb = BIG_SIZE / 1e6;
	double raw_tp = mb / r->braw.raw_s, sim_tp = mb / r->bsim.sim_s;
	double rss_target_mb = 2.5 * mb + 16;
	snprintf(v, sizeof v, "%.1f MB/s (%.1f ms)", raw_tp, r->braw.raw_s * 1e3);
	row("3 25 MiB, bare engine pair (hs + data + close)", v, "floor", "-");
	snprintf(v, sizeof v, "%.1f MB/s (%.1f ms)", sim_tp, r->bsim.sim_s * 1e3);
	snprintf(t, sizeof t, "max_stored %d", BIG_MAX_STORED);
	row("  25 MiB through implicit-tls.ini (simulator)", v, t, r->bsim.delivered ? "ok" : "LOST");
	snprintf(v, sizeof v, "%.2f", r->ratio);
	row("  throughput ratio sim / raw (median of pairs)", v, ">= 0.80", r->ratio >= 0.8 ? "yes" : "no");
	snprintf(v, sizeof v, "%.1f MB", r->bsim.sim_hwm_kb * 1024 / 1e6);
	snprintf(t, sizeof t, "<= %.1f MB", rss_target_mb);
	row("  simulator peak RSS (VmHWM, own child)", v, t, r->bsim.sim_hwm_kb * 1024 / 1e6 <= rss_target_mb ? "yes" : "no");
	snprintf(v, sizeof v, "%.1f MB", r->braw.raw_hwm_kb * 1024 / 1e6);
	row("  bare pair peak RSS (for reference)", v, "-", "-");

	snprintf(what, sizeof what, "4 what-if re-run, verify flipped: %.26s", r->longest);
	snprintf(v, sizeof v, "%.3f ms (%zu events)", r->whatif * 1e3, r->most);
	row(what, v, "<= 20 ms", r->whatif <= 0.020 ? "yes" : "no");
	snprintf(what, sizeof what, "5 catalogue replay, %zu scenarios (load+run+check)", r->nsc);
	snprintf(v, sizeof v, "%.2f ms", r->catalogue * 1e3);
	snprintf(t, sizeof t, "%d/%zu expect met", r->met_all, r->nsc);
	row(what, v, t, "-");

	printf("\nreps: handshakes %d, 25 MiB %d, what-if %d, catalogue %d; 25 MiB = %u bytes of CRLF text lines\n",
	       reps_hs, reps_big, reps_whatif, reps_cat, BIG_SIZE);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		dir = argv[1];
	if (getenv("BENCH_QUICK")) { /* a smoke run, numbers not meaningful */
		reps_hs = 5;
		reps_big = 1;
		reps_whatif = 5;
		reps_cat = 1;
	}

	struct scenario st;
	load("starttls.ini", &st);
	struct pki k;
	pki_load_all(&k, &st);
	struct results r = { 0 };
	measure_handshakes(&st, &k, &r);
	measure_big(&k, &r);
	measure_catalogue(&r);
	print_table(&r);

	pki_free_all(&k);
	scenario_free(&st);
	return 0;
}
