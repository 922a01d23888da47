/* main: the command line. smtps-sim [tui] [FILE] opens the TUI; run replays a scenario
 * headless, or shows a trace saved with --format json; list and check walk a scenario
 * directory. Exit codes: 0 expectations met,
 * 1 not met, 2 usage or input error, and 2 as well when standard output could not be
 * written: a transcript lost on a full disk is not a success. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/export/export.h"
#include "sim/export/export_text.h"
#include "sim/export/import_json.h"
#include "sim/link/net.h"
#include "sim/smtp/smtp_parse.h"
#include "sim/trace/ledger.h"
#include <bearssl.h>
#include "sim/run/run.h"
#include "sim/run/scenario.h"
#include "ui/ui.h"

#ifndef SMTPS_DATADIR
#define SMTPS_DATADIR "/usr/local/share/smtps-sim"
#endif
#ifndef SMTPS_VERSION
#define SMTPS_VERSION "0.0.0"
#endif

#define DEFAULT_SCENARIO "starttls.ini"

static const char usage_text[] =
	"usage: smtps-sim [tui] [--present] [--no-lesson] [--no-color] [--seed N] [FILE]\n"
	"                                                 the TUI on FILE (default: the STARTTLS story),\n"
	"                                                 or on a trace saved with --format json;\n"
	"                                                 'tui' is optional (needed for a FILE named run);\n"
	"                                                 ? in it lists the keys\n"
	"       smtps-sim run FILE [--seed N] [-v] [--format text|markdown|json] [-o OUT]\n"
	"                          [--pcap OUT.pcap] [--keylog OUT.keys] [--tlsrpt OUT.json]\n"
	"                                                 replay headless: transcript, outcome\n"
	"       smtps-sim run TRACE.json [the same options but --seed]\n"
	"                                                 a trace saved with --format json, shown\n"
	"                                                 as a replay shows it (any FILE whose text\n"
	"                                                 starts with '{' is taken as one)\n"
	"       smtps-sim serve FILE [--tui] [--listen HOST:PORT] [--public] [--count N]\n"
	"                            [--max-sessions N] [--idle S] [--timeout S] [run's output options]\n"
	"                                                 the scenario's server (and attacker) for real\n"
	"                                                 mail clients (default 127.0.0.1:2525)\n"
	"       smtps-sim proxy FILE --upstream HOST:PORT [serve's options]\n"
	"                                                 the scenario's attacker between real ends\n"
	"       smtps-sim connect FILE --to HOST:PORT [run's output options]\n"
	"                                                 the scenario's client against a real server\n"
	"       smtps-sim bench-client [--listen HOST:PORT] [--seconds S] [--format F] -- COMMAND...\n"
	"                                                 which attacks a real client falls for\n"
	"       smtps-sim list [-v] [--format markdown] [DIR]\n"
	"                                                 the scenarios with their titles; -v adds the\n"
	"                                                 attacker, RFCs, CVEs, NO STARTTLS class, twin\n"
	"       smtps-sim list --attacks [--format markdown]\n"
	"                                                 the attacker's behaviours\n"
	"       smtps-sim check [DIR]                     replay every scenario, table of expectations\n"
	"       smtps-sim --keys [--format markdown]       the interface's keys, from its key table\n"
	"       smtps-sim --help | --version\n"
	"exit status: 0 expectations met, 1 not met, 2 usage, input or output error;\n"
	"the interface: 0, 2, or 130/143/129 after SIGINT/SIGTERM/SIGHUP\n";

/* Room for a message naming a path of up to PATH_MAX bytes and its reason. */
#define ERR_CAP (PATH_MAX + 1024)

/* A name longer than the system takes (ENAMETOOLONG): one line showing its start and its
 * length, for the whole name would fill the message and cut off the reason. Returns 1
 * after the message, 0 for a name of ordinary length. */
static int path_too_long(const char *p)
{
	size_t n = strlen(p);
	if (n < PATH_MAX)
		return 0;
	char head[41];
	for (size_t i = 0; i < sizeof head - 1; i++) /* one line, whatever the name holds */
		head[i] = (unsigned char)p[i] < 0x20 || p[i] == 0x7f ? '?' : p[i];
	head[sizeof head - 1] = '\0';
	fprintf(stderr, "smtps-sim: %s... (%zu characters): %s\n", head, n, strerror(ENAMETOOLONG));
	return 1;
}

/* One line, as for any bad input; the full usage is one --help away. */
static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "smtps-sim: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (smtps-sim --help for usage)\n");
	return 2;
}

/* The scenario directory: $SMTPS_DATADIR, ./scenarios, beside the executable, or the
 * installed data directory. */
static const char *scenario_dir(void)
{
	static char buf[PATH_MAX];
	const char *env = getenv("SMTPS_DATADIR");
	if (env && *env)
		return env;
	if (access("scenarios/" DEFAULT_SCENARIO, R_OK) == 0)
		return "scenarios";
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 32);
	if (n > 0) {
		buf[n] = '\0';
		char *slash = strrchr(buf, '/');
		if (slash) {
			strcpy(slash, "/scenarios");
			char probe[PATH_MAX + 32];
			snprintf(probe, sizeof probe, "%s/%s", buf, DEFAULT_SCENARIO);
			if (access(probe, R_OK) == 0)
				return buf;
		}
	}
	return SMTPS_DATADIR;
}

/* How every command loads a scenario: paths not found next to the file are looked up in
 * the scenario directory (which holds certs/). Set once in main; the library reads no
 * environment variable itself. */
static struct scenario_load_opts load_opts;

/* Loads sc's certificates and keys, then runs it: the run itself reads no file. */
static int load_and_run(const struct scenario *sc, const struct run_options *opt, struct run_result *res,
			char *err, size_t errcap)
{
	struct run_pki pki;
	if (run_pki_load(sc, &pki, err, errcap))
		return -1;
	int r = run_scenario(sc, &pki, opt, res, err, errcap);
	run_pki_free(&pki);
	return r;
}

/* Why the first write to standard output failed (an errno value), 0 while none has.
 * stdio keeps only a flag, and errno is gone by the time the command ends, so the
 * reason is taken at the failing call. */
static int stdout_errno;

/* Notes a failed write to stdout, given errno as it was right after the writing. */
static void stdout_note(int e)
{
	if (ferror(stdout) && !stdout_errno)
		stdout_errno = e ? e : EIO;
}

/* printf that notes a failed write. */
static void stdout_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void stdout_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	errno = 0;
	int n = vprintf(fmt, ap);
	va_end(ap);
	if (n < 0)
		stdout_note(errno);
}

/* At the end of a command: everything printed must have reached standard output, for
 * a transcript lost on a full disk is not a success. Returns 0, or 2 after one line on
 * stderr. */
static int stdout_status(void)
{
	errno = 0;
	if (fflush(stdout) || ferror(stdout))
		stdout_note(errno);
	if (!stdout_errno)
		return 0;
	fprintf(stderr, "smtps-sim: standard output: %s\n", strerror(stdout_errno));
	return 2;
}

static int parse_seed(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	/* Digits only, as a scenario's seed = is read: strtoull alone would take blanks, a sign
	 * and a negative number (turned around). */
	if (!isdigit((unsigned char)s[0]))
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno)
		return -1;
	*out = v;
	return 0;
}

static void on_run_signal(int sig)
{
	export_file_cleanup_signal();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Two outputs naming one file, or one naming the input file: refused (2) before anything
 * is written. outs: -o, --pcap, --keylog, --tlsrpt (NULL when not asked for). */
static int check_outputs(const char *file, const char *const outs[4])
{
	const char *flags[4] = { "-o", "--pcap", "--keylog", "--tlsrpt" };
	struct stat in_st;
	int have_in = stat(file, &in_st) == 0;
	for (int i = 0; i < 4; i++) {
		if (!outs[i])
			continue;
		struct stat st;
		int exists = stat(outs[i], &st) == 0;
		if (exists && !S_ISREG(st.st_mode))
			continue; /* a device or a FIFO is written through, and may be named twice */
		if (exists && have_in && st.st_dev == in_st.st_dev && st.st_ino == in_st.st_ino) {
			char what[600];
			snprintf(what, sizeof what, "%s %s", flags[i], outs[i]);
			return usage_error("%s would overwrite the input itself", what);
		}
		for (int j = 0; j < i; j++) {
			struct stat sj;
			if (outs[j] && (!strcmp(outs[i], outs[j]) ||
					(exists && stat(outs[j], &sj) == 0 && sj.st_dev == st.st_dev && sj.st_ino == st.st_ino))) {
				char both[64];
				snprintf(both, sizeof both, "%s and %s", flags[j], flags[i]);
				return usage_error("%s name the same file", both);
			}
		}
	}
	return 0;
}

/* What a command writes from a run: the transcript (or an export) on standard output or
 * in -o, and the files asked for; all of them one unit. */
struct outputs {
	const char *format, *outpath, *pcap, *keylog, *tlsrpt;
	int verbose;
	int expect;   /* check the scenario's [expect] (not for a live session) */
	int files_only; /* nothing on standard output: only -o, --pcap, --keylog, --tlsrpt */
};

/* Returns the exit status: 0 expectations met, 1 not met, 2 output error. */
static int write_outputs(const char *file, const struct scenario *sc, const struct run_result *res,
			 const struct outputs *o)
{
	char err[1024];
	int status = 0;
	struct export_file ef = { 0 };
	FILE *out = stdout;
	/* The files asked for are one unit: each is written whole, and they are renamed over
	 * their targets together at the end, or none is. */
	export_file_group_begin();
	if (o->outpath) {
		if (export_file_open(&ef, o->outpath, err, sizeof err)) {
			fprintf(stderr, "smtps-sim: %s\n", err);
			status = 2;
			goto done;
		}
		out = ef.f;
	}
	char report[2048];
	int met = o->expect ? run_check_expect(sc, &res->outcome, report, sizeof report) : 1;
	/* The formatted output: to -o, or standard output unless only files were asked for
	 * (a live session shown in the interface, which owns the terminal). */
	if (o->outpath || !o->files_only) {
		int werr = 0;
		errno = 0;
		if (!strcmp(o->format, "json"))
			werr = export_json(out, sc, res);
		else if (!strcmp(o->format, "markdown"))
			werr = export_markdown(out, sc, res);
		else {
			export_text(out, sc, res, o->verbose);
			if (out == stdout && o->expect)
				printf("\nExpectations: %s\n%s", met ? "met" : "NOT met", report);
		}
		int e = errno; /* the reason of a failed write, before anything else can change it */
		if (out == stdout)
			stdout_note(e);
		if (werr && !ferror(out)) {
			/* the only failure that is not a write: the JSON tree could not be built */
			if (o->outpath)
				export_file_abort(&ef);
			fprintf(stderr, "smtps-sim: %s: cannot build the %s export: out of memory\n", file, o->format);
			status = 2;
			goto done;
		}
		if (!o->outpath) {
			if (stdout_status()) {
				status = 2;
				goto done;
			}
		} else if (ferror(out)) {
			export_file_abort(&ef);
			fprintf(stderr, "smtps-sim: %s: cannot write: %s\n", o->outpath, strerror(e ? e : EIO));
			status = 2;
			goto done;
		} else if (export_file_commit(&ef, err, sizeof err)) {
			fprintf(stderr, "smtps-sim: %s\n", err);
			status = 2;
			goto done;
		}
	}
	if (o->pcap && export_pcap(o->pcap, sc, res, err, sizeof err)) {
		fprintf(stderr, "smtps-sim: %s\n", err);
		status = 2;
		goto done;
	}
	if (o->keylog && export_keylog(o->keylog, res, err, sizeof err)) {
		fprintf(stderr, "smtps-sim: %s\n", err);
		status = 2;
		goto done;
	}
	if (o->tlsrpt && export_tlsrpt(o->tlsrpt, sc, res, err, sizeof err)) {
		fprintf(stderr, "smtps-sim: %s\n", err);
		status = 2;
		goto done;
	}
	if (export_file_group_commit(err, sizeof err)) {
		fprintf(stderr, "smtps-sim: %s\n", err);
		status = 2;
		goto done;
	}
	if (!met && (o->outpath || strcmp(o->format, "text")))
		fprintf(stderr, "smtps-sim: %s: expectations not met:\n%s", file, report);
	status = met ? 0 : 1;
done:
	if (status == 2)
		export_file_group_abort();
	return status;
}

static int cmd_run(int argc, char **argv)
{
	const char *file = NULL, *format = "text", *pcap = NULL, *keylog = NULL, *outpath = NULL, *tlsrpt = NULL;
	int verbose = 0;
	struct run_options opt = { 0 };
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
			verbose = 1;
		else if (!strcmp(a, "--seed") || !strcmp(a, "--format") || !strcmp(a, "--pcap") ||
			 !strcmp(a, "--keylog") || !strcmp(a, "--tlsrpt") || !strcmp(a, "-o")) {
			if (i + 1 >= argc)
				return usage_error("%s needs a value", a);
			const char *v = argv[++i];
			if (!strcmp(a, "--seed")) {
				if (parse_seed(v, &opt.seed))
					return usage_error("--seed: '%s' is not a whole number", v);
				opt.has_seed = 1;
			} else if (!strcmp(a, "--format")) {
				if (strcmp(v, "text") && strcmp(v, "markdown") && strcmp(v, "json"))
					return usage_error("--format: '%s' is not text, markdown or json", v);
				format = v;
			} else if (!strcmp(a, "--pcap"))
				pcap = v;
			else if (!strcmp(a, "--keylog"))
				keylog = v;
			else if (!strcmp(a, "--tlsrpt"))
				tlsrpt = v;
			else
				outpath = v;
		} else if (a[0] == '-' && a[1])
			return usage_error("unknown option '%s'", a);
		else if (file)
			return usage_error("one scenario file at a time ('%s')", a);
		else
			file = a;
	}
	if (!file)
		return usage_error("run needs a scenario file%s", "");
	const char *names[5] = { file, outpath, pcap, keylog, tlsrpt };
	for (int i = 0; i < 5; i++)
		if (names[i] && path_too_long(names[i]))
			return 2;
	/* The outputs are checked together before anything is written: two of them naming one
	 * file, or one naming the input, would silently destroy the other. */
	const char *outs[4] = { outpath, pcap, keylog, tlsrpt };
	if (check_outputs(file, outs))
		return 2;
	/* SIGINT or SIGTERM while an export is written: its temporary file goes, then the
	 * signal does what it always does (exit 130 or 143 from the shell's view). */
	signal(SIGINT, on_run_signal);
	signal(SIGTERM, on_run_signal);

	char err[ERR_CAP];
	struct scenario sc;
	struct run_result res;
	if (trace_json_is_trace(file)) {
		/* a saved trace: the run it records, with the scenario and [expect] it carries */
		if (opt.has_seed)
			return usage_error("--seed: %s is a saved trace, which keeps the seed it was run with", file);
		if (trace_json_load(file, &sc, &res, err, sizeof err)) {
			fprintf(stderr, "smtps-sim: %s\n", err);
			return 2;
		}
	} else {
		if (scenario_load(file, &load_opts, &sc, err, sizeof err)) {
			fprintf(stderr, "smtps-sim: %s\n", err);
			return 2;
		}
		if (load_and_run(&sc, &opt, &res, err, sizeof err)) {
			fprintf(stderr, "smtps-sim: %s: %s\n", file, err);
			scenario_free(&sc);
			return 2;
		}
	}
	struct outputs o = { .format = format, .outpath = outpath, .pcap = pcap, .keylog = keylog, .tlsrpt = tlsrpt,
			     .verbose = verbose, .expect = 1 };
	int status = write_outputs(file, &sc, &res, &o);
	run_result_free(&res);
	scenario_free(&sc);
	return status;
}

static int ini_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 4 && !strcmp(d->d_name + n - 4, ".ini") && d->d_name[0] != '.';
}

/* Calls fn for every *.ini in dir, in name order. Returns 2 when dir cannot be read. */
static int for_each_scenario(const char *dir, int (*fn)(const char *path, void *ctx), void *ctx)
{
	struct dirent **names;
	int n = scandir(dir, &names, ini_filter, alphasort);
	if (n < 0) {
		fprintf(stderr, "smtps-sim: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	int status = 0;
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
		int r = fn(path, ctx);
		if (r > status)
			status = r;
		free(names[i]);
	}
	free(names);
	if (n == 0) {
		fprintf(stderr, "smtps-sim: %s: no scenario files (*.ini)\n", dir);
		return 2;
	}
	return status;
}

enum list_mode { LIST_NAMES, LIST_VERBOSE, LIST_MARKDOWN };

/* A Markdown table cell: the text with '|' escaped. */
static void md_cell(const char *t)
{
	stdout_printf(" ");
	for (; t && *t; t++)
		stdout_printf(*t == '|' ? "\\|" : "%c", *t);
	stdout_printf(" |");
}

static int list_one(const char *path, void *ctx)
{
	enum list_mode mode = *(enum list_mode *)ctx;
	char err[ERR_CAP];
	struct scenario sc;
	if (scenario_load(path, &load_opts, &sc, err, sizeof err)) {
		fprintf(stderr, "smtps-sim: %s\n", err);
		return 2;
	}
	char attack[80];
	snprintf(attack, sizeof attack, "%s%s", scenario_mitm_name(sc.mitm.attack),
		 sc.mitm.attack && sc.mitm.hop == 2 ? " (hop 2)" : "");
	switch (mode) {
	case LIST_NAMES:
		stdout_printf("%-36s %s\n", sc.name, sc.title);
		break;
	case LIST_VERBOSE:
		stdout_printf("%-36s %s\n", sc.name, sc.title);
		stdout_printf("%-36s attacker: %s\n", "", attack);
		if (sc.references)
			stdout_printf("%-36s RFCs and CVEs: %s\n", "", sc.references);
		if (sc.no_starttls)
			stdout_printf("%-36s NO STARTTLS study: %s\n", "", sc.no_starttls);
		if (sc.pair)
			stdout_printf("%-36s compare with: %s\n", "", sc.pair);
		break;
	case LIST_MARKDOWN:
		stdout_printf("| `%s` |", sc.name);
		md_cell(sc.title);
		md_cell(attack);
		md_cell(sc.references ? sc.references : "");
		md_cell(sc.no_starttls ? sc.no_starttls : "");
		if (sc.pair)
			stdout_printf(" `%s` |\n", sc.pair);
		else
			stdout_printf("  |\n");
		break;
	}
	scenario_free(&sc);
	return 0;
}

struct check_totals {
	int passed, failed;
};

/* A scenario that does not load or run still gets its row, so that the table accounts
 * for every file; the reason goes to stderr in the one form every command uses
 * ("smtps-sim: FILE:LINE: problem"), as list and run print it. */
static int check_one(const char *path, void *ctx)
{
	struct check_totals *t = ctx;
	char err[ERR_CAP], report[2048];
	struct scenario sc;
	if (scenario_load(path, &load_opts, &sc, err, sizeof err)) {
		const char *base = strrchr(path, '/');
		base = base ? base + 1 : path;
		stdout_printf("%-34.*s ERROR  does not load (the reason is on stderr)\n", (int)(strlen(base) - 4), base);
		fprintf(stderr, "smtps-sim: %s\n", err);
		t->failed++;
		return 2;
	}
	struct run_result res;
	if (load_and_run(&sc, NULL, &res, err, sizeof err)) {
		stdout_printf("%-34s ERROR  does not run (the reason is on stderr)\n", sc.name);
		fprintf(stderr, "smtps-sim: %s: %s\n", path, err);
		scenario_free(&sc);
		t->failed++;
		return 2;
	}
	int met = run_check_expect(&sc, &res.outcome, report, sizeof report);
	stdout_printf("%-34s %s  %s\n", sc.name, met ? "pass" : "FAIL", sc.title);
	if (!met) {
		for (char *save = NULL, *line = strtok_r(report, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			stdout_printf("%-34s        %s\n", "", line);
	}
	met ? t->passed++ : t->failed++;
	run_result_free(&res);
	scenario_free(&sc);
	return met ? 0 : 1;
}

static int cmd_list(int argc, char **argv)
{
	enum list_mode mode = LIST_NAMES;
	const char *dir = NULL;
	int attacks = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			mode = LIST_VERBOSE;
		else if (!strcmp(argv[i], "--attacks"))
			attacks = 1;
		else if (!strcmp(argv[i], "--format") && i + 1 < argc && !strcmp(argv[i + 1], "markdown")) {
			mode = LIST_MARKDOWN;
			i++;
		} else if (!strcmp(argv[i], "--format"))
			return usage_error("list --format takes markdown%s", "");
		else if (argv[i][0] == '-')
			return usage_error("list: unknown option %s", argv[i]);
		else if (dir)
			return usage_error("list takes at most one directory%s", "");
		else
			dir = argv[i];
	}
	if (attacks) { /* the attacker's behaviours, from the attack table */
		if (mode == LIST_MARKDOWN)
			stdout_printf("| `[mitm] behaviour` | what the attacker does |\n|---|---|\n");
		for (size_t i = 0; i < attack_count(); i++) {
			const struct attack *a = attack_at(i);
			if (mode == LIST_MARKDOWN) {
				stdout_printf("| `%s` |", a->name);
				md_cell(a->does);
				stdout_printf("\n");
			} else {
				stdout_printf("%-36s %s\n", a->name, a->does);
			}
		}
		return stdout_status() ? 2 : 0;
	}
	if (mode == LIST_MARKDOWN)
		stdout_printf("| scenario | lesson | attacker | RFCs and CVEs | NO STARTTLS study (USENIX Security 2021) | compare with |\n"
			      "|---|---|---|---|---|---|\n");
	int status = for_each_scenario(dir ? dir : scenario_dir(), list_one, &mode);
	return stdout_status() ? 2 : status;
}

static int cmd_check(int argc, char **argv)
{
	if (argc > 1)
		return usage_error("check takes at most one directory%s", "");
	if (argc && argv[0][0] == '-')
		return usage_error("check: unknown option %s", argv[0]);
	struct check_totals t = { 0 };
	int status = for_each_scenario(argc ? argv[0] : scenario_dir(), check_one, &t);
	stdout_printf("\n%d passed, %d failed\n", t.passed, t.failed);
	return stdout_status() ? 2 : status;
}

static void keys_line(const char *line)
{
	stdout_printf("%s\n", line);
}

/* smtps-sim --keys [--format markdown]: the key table, for the tests and the README. */
static int cmd_keys(int argc, char **argv)
{
	int md = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--format") && i + 1 < argc && !strcmp(argv[i + 1], "markdown"))
			md = 1, i++;
		else
			return usage_error("--keys takes only --format markdown ('%s')", argv[i]);
	}
	ui_keys_print(md, keys_line);
	return stdout_status();
}

static int cmd_tui(int argc, char **argv)
{
	struct ui_options opt = { 0 };
	char path[PATH_MAX];
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			stdout_printf("%s", usage_text);
			return stdout_status();
		} else if (!strcmp(argv[i], "--present"))
			opt.present = 1;
		else if (!strcmp(argv[i], "--no-lesson"))
			opt.no_lesson = 1;
		else if (!strcmp(argv[i], "--no-color") || !strcmp(argv[i], "--no-colour"))
			opt.no_color = 1;
		else if (!strcmp(argv[i], "--seed")) {
			if (i + 1 >= argc || parse_seed(argv[i + 1], &opt.seed))
				return usage_error("--seed needs a whole number%s", "");
			opt.has_seed = 1;
			i++;
		} else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("unknown option '%s'", argv[i]);
		else if (opt.scenario_path)
			return usage_error("one scenario file at a time ('%s')", argv[i]);
		else if (path_too_long(argv[i]))
			return 2;
		else
			opt.scenario_path = argv[i];
	}
	opt.scenario_dir = scenario_dir();
	opt.load = &load_opts;
	if (!opt.scenario_path) {
		snprintf(path, sizeof path, "%s/%s", opt.scenario_dir, DEFAULT_SCENARIO);
		opt.scenario_path = path;
	}
	char err[ERR_CAP];
	err[0] = '\0';
	int r = ui_main(&opt, err, sizeof err);
	if (r && err[0]) /* after a signal (128 + its number) there is nothing to say */
		fprintf(stderr, "smtps-sim: %s\n", err);
	return r;
}

/* ---- live mode: serve, proxy, connect ---- */

static volatile sig_atomic_t live_stop;

static void on_live_signal(int sig)
{
	(void)sig;
	live_stop = 1;
}

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

enum live_cmd { LIVE_SERVE, LIVE_PROXY, LIVE_CONNECT };

struct live_opts {
	enum live_cmd cmd;
	const char *file, *listen, *upstream;
	int public_ok;
	long count;              /* sessions before leaving; 0: until SIGINT */
	long max_sessions;
	uint64_t idle_us, total_us, max_bytes;
	struct outputs out;
	/* bench-client: each finished session goes to on_result (which takes it) instead of
	 * the outputs, and the loop ends at deadline_us (mono_us), sessions closed. */
	void (*on_result)(void *ctx, struct run_result *res);
	void *ctx;
	uint64_t deadline_us;
	int tui;                 /* --tui: the sessions shown live in the interface */
	struct trace_pool *pool; /* lent to every session's trace (sessions come one after another) */
};

struct live_slot {
	struct run_session *s;
	int cfd, sfd;
	uint64_t start;
	long number;
	char addr[64];
};

/* The k-th session's file: the name given for the first, "NAME-k.EXT" after it. */
static const char *numbered(const char *path, long k, char *buf, size_t cap)
{
	if (!path || k <= 1)
		return path;
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return path; /* a device or a FIFO takes every session in turn */
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash + 1 : path, '.');
	if (!dot || dot == (slash ? slash + 1 : path))
		snprintf(buf, cap, "%s-%ld", path, k);
	else
		snprintf(buf, cap, "%.*s-%ld%s", (int)(dot - path), path, k, dot);
	return buf;
}

static void live_slot_close(struct live_slot *sl)
{
	if (sl->cfd >= 0)
		close(sl->cfd);
	if (sl->sfd >= 0)
		close(sl->sfd);
	memset(sl, 0, sizeof *sl);
	sl->cfd = sl->sfd = -1;
}

/* A session is over: its trace finished and written out. Returns the exit status. */
static int live_end(const struct live_opts *lo, const struct scenario *sc, struct live_slot *sl)
{
	char err[1024];
	struct run_result res;
	int status = 0;
	if (run_live_finish(sl->s, &res, err, sizeof err)) {
		fprintf(stderr, "smtps-sim: %s: session %ld: %s\n", lo->file, sl->number, err);
		status = 2;
	} else {
		char b[4][PATH_MAX];
		struct outputs o = lo->out;
		o.outpath = numbered(o.outpath, sl->number, b[0], sizeof b[0]);
		o.pcap = numbered(o.pcap, sl->number, b[1], sizeof b[1]);
		o.keylog = numbered(o.keylog, sl->number, b[2], sizeof b[2]);
		o.tlsrpt = numbered(o.tlsrpt, sl->number, b[3], sizeof b[3]);
		/* With a taker of the result (the interface, bench-client) only the files asked
		 * for are written. */
		o.files_only = lo->on_result != NULL;
		/* The scenario's [expect] is about its simulated client: a live session has none. */
		struct scenario live_sc = *sc;
		memset(&live_sc.expect, 0, sizeof live_sc.expect);
		status = write_outputs(lo->file, &live_sc, &res, &o);
		if (lo->on_result) {
			lo->on_result(lo->ctx, &res);
		} else {
			fprintf(stderr, "smtps-sim: session %ld%s%s: %zu events%s\n", sl->number, sl->addr[0] ? " from " : "",
				sl->addr, res.trace.n, res.outcome.delivered ? ", a message delivered" : "");
			run_result_free(&res);
		}
	}
	sl->s = NULL;
	live_slot_close(sl);
	return status;
}

/* Starts a session for a client that dialled in (cfd >= 0) or for our client (cfd < 0). */
static int live_begin(const struct live_opts *lo, const struct scenario *sc, const struct run_pki *pki,
		      struct live_slot *sl, int cfd, const char *addr, long number)
{
	char err[1024];
	sl->cfd = cfd;
	sl->sfd = -1;
	sl->number = number;
	snprintf(sl->addr, sizeof sl->addr, "%s", addr ? addr : "");
	if (lo->upstream) {
		sl->sfd = net_connect(lo->upstream, 5000, err, sizeof err);
		if (sl->sfd < 0) {
			fprintf(stderr, "smtps-sim: %s\n", err);
			live_slot_close(sl);
			return -1;
		}
	}
	struct run_live live = { .client_fd = sl->cfd, .server_fd = sl->sfd, .client_addr = sl->addr,
				 .server_addr = lo->upstream, .idle_us = lo->idle_us, .total_us = lo->total_us,
				 .max_bytes = lo->max_bytes, .pool = lo->pool };
	if (run_live_start(sc, pki, &live, &sl->s, err, sizeof err)) {
		fprintf(stderr, "smtps-sim: %s: %s\n", lo->file, err);
		live_slot_close(sl);
		return -1;
	}
	sl->start = mono_us();
	return 0;
}

/* The state of a live command's loop: its sessions, and what it polls. */
struct live_state {
	struct live_slot *slots;
	struct pollfd *pfd;
	int *owner;
	long started;
	int status;
};

static int live_state_init(const struct live_opts *lo, struct live_state *st)
{
	memset(st, 0, sizeof *st);
	st->slots = calloc((size_t)lo->max_sessions, sizeof *st->slots);
	st->pfd = calloc((size_t)lo->max_sessions * 2 + 2, sizeof *st->pfd);
	st->owner = calloc((size_t)lo->max_sessions * 2 + 2, sizeof *st->owner);
	if (!st->slots || !st->pfd || !st->owner) {
		free(st->slots);
		free(st->pfd);
		free(st->owner);
		fprintf(stderr, "smtps-sim: out of memory\n");
		return -1;
	}
	for (long i = 0; i < lo->max_sessions; i++)
		st->slots[i].cfd = st->slots[i].sfd = -1;
	return 0;
}

static void live_state_free(struct live_state *st)
{
	free(st->slots);
	free(st->pfd);
	free(st->owner);
}

/* One turn of the loop: waits up to wait_ms on the sockets (and on extra_fd, standard
 * input for the interface, when >= 0), accepts (serve, proxy), steps every session and
 * writes out each one that ended. Returns 0 once there is nothing left to do. */
static int live_state_step(const struct live_opts *lo, const struct scenario *sc, const struct run_pki *pki,
			   int lfd, struct live_state *st, int wait_ms, int extra_fd)
{
	struct live_slot *slots = st->slots;
	long active = 0;
	for (long i = 0; i < lo->max_sessions; i++)
		active += slots[i].s != NULL;
	int late = lo->deadline_us && mono_us() >= lo->deadline_us;
	int accepting = lfd >= 0 && !live_stop && !late && (lo->count == 0 || st->started < lo->count);
	if (late)
		for (long i = 0; i < lo->max_sessions; i++)
			if (slots[i].s)
				run_live_stop(slots[i].s, "the client test's time for this case ran out");
	if (live_stop)
		for (long i = 0; i < lo->max_sessions; i++)
			if (slots[i].s)
				run_live_stop(slots[i].s, "the server was stopped (SIGINT or SIGTERM)");
	if (!accepting && !active)
		return 0;
	int n = 0;
	if (accepting) {
		st->pfd[n] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		st->owner[n++] = -1;
	}
	for (long i = 0; i < lo->max_sessions; i++) {
		if (!slots[i].s)
			continue;
		int k = run_live_pollfds(slots[i].s, st->pfd + n);
		for (int j = 0; j < k; j++)
			st->owner[n + j] = (int)i;
		n += k;
	}
	if (extra_fd >= 0) {
		st->pfd[n] = (struct pollfd){ .fd = extra_fd, .events = POLLIN };
		st->owner[n++] = -2;
	}
	if (poll(st->pfd, (nfds_t)n, wait_ms) < 0 && errno != EINTR) {
		fprintf(stderr, "smtps-sim: poll: %s\n", strerror(errno));
		st->status = 2;
		live_stop = 1;
	}
	if (accepting && n && st->owner[0] == -1 && (st->pfd[0].revents & POLLIN)) {
		for (int burst = 0; burst < 64 && (lo->count == 0 || st->started < lo->count); burst++) {
			char addr[64], err[256];
			int fd = net_accept(lfd, addr, sizeof addr, err, sizeof err);
			if (fd < 0) {
				if (fd == -2)
					fprintf(stderr, "smtps-sim: %s\n", err);
				break;
			}
			/* Full: the session that has been there longest makes room (a slow
			 * peer cannot hold the server by opening many connections). */
			long free_slot = -1, oldest = -1;
			for (long i = 0; i < lo->max_sessions; i++) {
				if (!slots[i].s && free_slot < 0)
					free_slot = i;
				if (slots[i].s && (oldest < 0 || slots[i].start < slots[oldest].start))
					oldest = i;
			}
			if (free_slot < 0) {
				char why[120];
				snprintf(why, sizeof why,
					 "a new connection needed its place (at most %ld sessions at once; the oldest goes)",
					 lo->max_sessions);
				run_live_stop(slots[oldest].s, why);
				run_live_step(slots[oldest].s, mono_us() - slots[oldest].start);
				if (live_end(lo, sc, &slots[oldest]) == 2)
					st->status = 2;
				free_slot = oldest;
			}
			if (live_begin(lo, sc, pki, &slots[free_slot], fd, addr, st->started + 1) == 0)
				st->started++;
			else
				close(fd);
		}
	}
	for (long i = 0; i < lo->max_sessions; i++) {
		if (!slots[i].s)
			continue;
		if (!run_live_step(slots[i].s, mono_us() - slots[i].start) && live_end(lo, sc, &slots[i]) == 2)
			st->status = 2;
	}
	return 1;
}

/* The loop of a live command: accepts (serve, proxy) up to max_sessions at once, steps
 * every session, and writes each one out when it ends. */
static int live_loop(const struct live_opts *lo, const struct scenario *sc, const struct run_pki *pki, int lfd)
{
	struct live_state st;
	if (live_state_init(lo, &st))
		return 2;
	if (lo->cmd == LIVE_CONNECT) {
		if (live_begin(lo, sc, pki, &st.slots[0], -1, NULL, 1) == 0)
			st.started = 1;
		else
			st.status = 2;
	}
	while (live_state_step(lo, sc, pki, lfd, &st, 100, -1))
		;
	int status = st.status;
	live_state_free(&st);
	return status;
}

/* ---- live in the interface ---- */

struct live_ui {
	const struct live_opts *lo;
	const struct scenario *sc;
	const struct run_pki *pki;
	int lfd;
	struct live_state st;
	int over;
	struct run_result snap;   /* the session under way: its trace borrowed, its ledger ours */
	int have_snap;
	size_t snap_n;
	long snap_number;
	struct run_result last;   /* the last session that ended (ours) */
	int have_last, last_new;
};

static void live_ui_take(void *ctx, struct run_result *res)
{
	struct live_ui *u = ctx;
	/* the one on show stays valid until the next tick returns: freed only then */
	if (u->have_last)
		run_result_free(&u->last);
	u->last = *res;
	u->have_last = 1;
	u->last_new = 1;
}

static int live_ui_tick(void *ctx, int wait_ms, const struct run_result **res)
{
	struct live_ui *u = ctx;
	if (!u->over && !live_state_step(u->lo, u->sc, u->pki, u->lfd, &u->st, wait_ms, STDIN_FILENO))
		u->over = 1;
	if (u->over) {
		/* nothing more will come: wait for a key like the ordinary interface */
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		poll(&p, 1, wait_ms);
	}
	/* the newest session under way, else the last one that ended */
	long best = -1;
	for (long i = 0; i < u->lo->max_sessions; i++)
		if (u->st.slots[i].s && (best < 0 || u->st.slots[i].number > u->st.slots[best].number))
			best = i;
	if (best >= 0) {
		const struct trace *t = run_live_trace(u->st.slots[best].s);
		if (u->have_snap && u->snap_number == u->st.slots[best].number && u->snap_n == t->n && !u->last_new)
			return 0;
		struct run_result r;
		memset(&r, 0, sizeof r);
		r.trace = *t;
		if (ledger_build(&r.ledger, &r.trace))
			return 0;
		outcome_from_trace(&r.trace, &r.ledger, &r.outcome);
		if (u->have_snap)
			ledger_free(&u->snap.ledger);
		u->snap = r;
		u->have_snap = 1;
		u->snap_n = t->n;
		u->snap_number = u->st.slots[best].number;
		u->last_new = 0;
		*res = &u->snap;
		return 1;
	}
	if (u->last_new) {
		u->last_new = 0;
		*res = &u->last;
		return 1;
	}
	return 0;
}

/* The live command in the interface: it shows the newest session as it happens; when
 * the user quits, the sessions still open are closed and written out. */
static int live_tui(struct live_opts *lo, const struct scenario *sc, const struct run_pki *pki, int lfd,
		    const char *name)
{
	struct live_ui u;
	memset(&u, 0, sizeof u);
	u.lo = lo;
	u.sc = sc;
	u.pki = pki;
	u.lfd = lfd;
	lo->on_result = live_ui_take;
	lo->ctx = &u;
	if (live_state_init(lo, &u.st))
		return 2;
	if (lo->cmd == LIVE_CONNECT && live_begin(lo, sc, pki, &u.st.slots[0], -1, NULL, 1) == 0)
		u.st.started = 1;
	char what[160];
	if (lfd >= 0) {
		char shown[80];
		snprintf(shown, sizeof shown, "%.*s:%u", (int)(strrchr(lo->listen, ':') - lo->listen), lo->listen,
			 net_local_port(lfd));
		snprintf(what, sizeof what, "live (%s on %s)", name, shown);
	} else
		snprintf(what, sizeof what, "live (%s to %s)", name, lo->upstream);
	struct ui_live live = { .ctx = &u, .tick = live_ui_tick, .what = what };
	struct ui_options opt = { .scenario_path = lo->file, .scenario_dir = scenario_dir(), .load = &load_opts,
				  .no_lesson = 1, .live = &live };
	char err[1024];
	int st = ui_main(&opt, err, sizeof err);
	if (st == 2 && err[0])
		fprintf(stderr, "smtps-sim: %s\n", err);
	/* what is still open closes now, and is written out */
	live_stop = 1;
	for (int i = 0; i < 100 && live_state_step(lo, sc, pki, lfd, &u.st, 10, -1); i++)
		;
	if (u.have_snap)
		ledger_free(&u.snap.ledger);
	if (u.have_last)
		run_result_free(&u.last);
	int status = u.st.status ? u.st.status : st;
	live_state_free(&u.st);
	return status;
}

static int parse_count(const char *v, long min, long max, long *out)
{
	char *end;
	if (!isdigit((unsigned char)v[0]))
		return -1;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (*end || errno || x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

static int cmd_live(enum live_cmd cmd, int argc, char **argv)
{
	static const char *const names[] = { "serve", "proxy", "connect" };
	const char *name = names[cmd];
	struct live_opts lo = { .cmd = cmd, .max_sessions = 32, .out = { .format = "text" } };
	lo.listen = "127.0.0.1:2525";
	long idle = 60, total = 600;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
			lo.out.verbose = 1;
		else if (!strcmp(a, "--public"))
			lo.public_ok = 1;
		else if (!strcmp(a, "--headless"))
			lo.tui = 0; /* the transcript is printed as each session ends (the default) */
		else if (!strcmp(a, "--tui"))
			lo.tui = 1;
		else if (!strcmp(a, "--listen") || !strcmp(a, "--upstream") || !strcmp(a, "--to") ||
			 !strcmp(a, "--count") || !strcmp(a, "--max-sessions") || !strcmp(a, "--idle") ||
			 !strcmp(a, "--timeout") || !strcmp(a, "--format") || !strcmp(a, "-o") ||
			 !strcmp(a, "--pcap") || !strcmp(a, "--keylog")) {
			if (i + 1 >= argc)
				return usage_error("%s needs a value", a);
			const char *v = argv[++i];
			if (!strcmp(a, "--listen"))
				lo.listen = v;
			else if (!strcmp(a, "--upstream") || !strcmp(a, "--to"))
				lo.upstream = v;
			else if (!strcmp(a, "--count")) {
				if (parse_count(v, 1, 1000000, &lo.count))
					return usage_error("--count: '%s' is not a number of sessions (1 or more)", v);
			} else if (!strcmp(a, "--max-sessions")) {
				if (parse_count(v, 1, 4096, &lo.max_sessions))
					return usage_error("--max-sessions: '%s' is not between 1 and 4096", v);
			} else if (!strcmp(a, "--idle")) {
				if (parse_count(v, 1, 86400, &idle))
					return usage_error("--idle: '%s' is not a number of seconds (1 to 86400)", v);
			} else if (!strcmp(a, "--timeout")) {
				if (parse_count(v, 1, 86400, &total))
					return usage_error("--timeout: '%s' is not a number of seconds (1 to 86400)", v);
			} else if (!strcmp(a, "--format")) {
				if (strcmp(v, "text") && strcmp(v, "markdown") && strcmp(v, "json"))
					return usage_error("--format: '%s' is not text, markdown or json", v);
				lo.out.format = v;
			} else if (!strcmp(a, "-o"))
				lo.out.outpath = v;
			else if (!strcmp(a, "--pcap"))
				lo.out.pcap = v;
			else
				lo.out.keylog = v;
		} else if (a[0] == '-' && a[1])
			return usage_error("unknown option '%s'", a);
		else if (lo.file)
			return usage_error("one scenario file at a time ('%s')", a);
		else
			lo.file = a;
	}
	if (!lo.file) {
		char what[64];
		snprintf(what, sizeof what, "%s needs a scenario file", name);
		return usage_error("%s", what);
	}
	if (cmd == LIVE_PROXY && !lo.upstream)
		return usage_error("proxy needs --upstream HOST:PORT%s", "");
	if (cmd == LIVE_CONNECT && !lo.upstream)
		return usage_error("connect needs --to HOST:PORT%s", "");
	if (cmd == LIVE_SERVE && lo.upstream)
		return usage_error("serve plays the server itself: --upstream and --to are for proxy and connect%s", "");
	if (lo.upstream && net_is_loopback(lo.upstream) < 0)
		return usage_error("'%s' is not HOST:PORT with a numeric address", lo.upstream);
	if (lo.upstream && !net_is_loopback(lo.upstream) && !lo.public_ok)
		return usage_error("%s is not a loopback address; talking to it needs --public", lo.upstream);
	if (cmd == LIVE_CONNECT)
		lo.count = 1;
	lo.idle_us = (uint64_t)idle * 1000000u;
	lo.total_us = (uint64_t)total * 1000000u;
	const char *outs[4] = { lo.out.outpath, lo.out.pcap, lo.out.keylog, NULL };
	if (check_outputs(lo.file, outs))
		return 2;

	char err[1024];
	struct scenario sc;
	if (scenario_load(lo.file, &load_opts, &sc, err, sizeof err)) {
		fprintf(stderr, "smtps-sim: %s\n", err);
		return 2;
	}
	if (cmd == LIVE_PROXY && (!sc.mitm.attack || sc.mitm.hop != 1 || (sc.mitm.attack->flags & ATTACK_F_TAP))) {
		fprintf(stderr, "smtps-sim: %s: proxy needs a scenario with an attacker in the path on hop 1 ([mitm])\n",
			lo.file);
		scenario_free(&sc);
		return 2;
	}
	struct run_pki pki;
	if (run_pki_load(&sc, &pki, err, sizeof err)) {
		fprintf(stderr, "smtps-sim: %s\n", err);
		scenario_free(&sc);
		return 2;
	}
	int lfd = -1;
	if (cmd != LIVE_CONNECT) {
		lfd = net_listen(lo.listen, lo.public_ok, err, sizeof err);
		if (lfd < 0) {
			fprintf(stderr, "smtps-sim: %s\n", err);
			run_pki_free(&pki);
			scenario_free(&sc);
			return 2;
		}
		char shown[80];
		snprintf(shown, sizeof shown, "%.*s:%u", (int)(strrchr(lo.listen, ':') - lo.listen), lo.listen,
			 net_local_port(lfd));
		if (!net_is_loopback(lo.listen))
			fprintf(stderr, "smtps-sim: warning: listening on %s, beyond this machine; the keys are demo keys\n",
				shown);
		fprintf(stderr, "smtps-sim: %s: listening on %s (%s%s%s)\n", name, shown, sc.name,
			sc.mitm.attack ? ", attacker: " : "", sc.mitm.attack ? scenario_mitm_name(sc.mitm.attack) : "");
	}
	live_stop = 0;
	signal(SIGINT, on_live_signal);
	signal(SIGTERM, on_live_signal);
	signal(SIGPIPE, SIG_IGN);
	/* A session's trace takes its large chunks from the last one's (up to 64 MiB kept):
	 * a busy server does not map and zero fresh pages for every message. */
	struct trace_pool pool;
	trace_pool_init(&pool, (size_t)64 << 20);
	lo.pool = lo.tui ? NULL : &pool;
	int status = lo.tui ? live_tui(&lo, &sc, &pki, lfd, name) : live_loop(&lo, &sc, &pki, lfd);
	trace_pool_free(&pool);
	if (lfd >= 0)
		close(lfd);
	run_pki_free(&pki);
	scenario_free(&sc);
	return status;
}

/* ---- bench-client: which attacks does a real client fall for? ---- */

/* The cases: a catalogue scenario each, with the attacker (or the broken server) of one
 * attack from the NO STARTTLS study's client test, and what falling for it means. */
enum bench_risk { RISK_CLEAR, RISK_FORGED, RISK_CERT, RISK_OLD_TLS };
static const struct bench_case {
	const char *file, *name;
	enum bench_risk risk;
} bench_cases[] = {
	{ "strip-opportunistic.ini", "STARTTLS stripped from EHLO", RISK_CLEAR },
	{ "starttls-454.ini", "STARTTLS answered 454", RISK_CLEAR },
	{ "starttls-502-required.ini", "STARTTLS answered 502", RISK_CLEAR },
	{ "ehlo-refused-required.ini", "EHLO refused", RISK_CLEAR },
	{ "response-injection-vulnerable.ini", "forged replies behind the 220", RISK_FORGED },
	{ "cert-substitution-verify.ini", "attacker's certificate", RISK_CERT },
	{ "wrong-host.ini", "certificate for another host", RISK_CERT },
	{ "expired-cert.ini", "expired certificate", RISK_CERT },
	{ "tls10-legacy.ini", "TLS 1.0 only", RISK_OLD_TLS },
};
#define NBENCH (sizeof bench_cases / sizeof bench_cases[0])

/* What one session shows of the client, read from its trace and ledger. */
struct bench_verdict {
	int connected;      /* the client sent anything */
	int tls;            /* its connection used TLS */
	int tls_version;    /* BR_TLS10.. when it did */
	int clear;          /* it sent MAIL, RCPT, DATA or AUTH outside TLS */
	int password;       /* the attacker (or an observer) learned its credentials */
	int forged;         /* after the handshake it sent a command before any reply came
			     * through TLS: it took the cleartext replies buffered before TLS */
	int after_tls;      /* it sent commands inside TLS */
	int fell;           /* it fell for this case's attack */
	int done;
};

struct bench_ctx {
	struct run_result res;
	int have;
};

static void bench_take(void *ctx, struct run_result *res)
{
	struct bench_ctx *b = ctx;
	if (b->have)
		run_result_free(&b->res);
	b->res = *res;
	b->have = 1;
}

static void bench_judge(const struct bench_case *c, const struct run_result *r, struct bench_verdict *v)
{
	const struct trace *t = &r->trace;
	memset(v, 0, sizeof *v);
	v->done = 1;
	enum trace_link cl = r->outcome.client_link;
	int ehlo_in_tls = 0, replied_in_tls = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct trace_event *e = &t->ev[i];
		if (e->link != cl)
			continue;
		if (e->from == ACTOR_CLIENT && (e->kind == TK_SMTP_COMMAND || e->kind == TK_RECORD || e->kind == TK_SMTP_DATA))
			v->connected = 1;
		if (e->kind == TK_SMTP_COMMAND && e->from == ACTOR_CLIENT) {
			int verb = e->subtype;
			if (!e->encrypted && (verb == SMTP_VERB_MAIL || verb == SMTP_VERB_RCPT || verb == SMTP_VERB_DATA ||
					      verb == SMTP_VERB_AUTH))
				v->clear = 1;
			if (e->encrypted) {
				v->after_tls = 1;
				if (ehlo_in_tls && !replied_in_tls)
					v->forged = 1;
				if (verb == SMTP_VERB_EHLO)
					ehlo_in_tls = 1;
			}
		}
		if (e->kind == TK_SMTP_REPLY && e->from != ACTOR_CLIENT && e->encrypted && ehlo_in_tls)
			replied_in_tls = 1;
	}
	v->tls = r->outcome.tls[cl];
	for (size_t i = 0; i < t->nsessions; i++)
		if (t->sessions[i].links & (1u << cl))
			v->tls_version = (int)t->sessions[i].version;
	v->password = ((r->outcome.attacker.what | r->outcome.observer.what) & OBSERVED_CREDENTIALS) != 0;
	switch (c->risk) {
	case RISK_CLEAR: v->fell = v->clear || v->password; break;
	case RISK_FORGED: v->fell = v->forged; break;
	case RISK_CERT: v->fell = v->tls && v->after_tls; break;
	case RISK_OLD_TLS: v->fell = v->tls && v->after_tls && v->tls_version == BR_TLS10; break;
	}
}

static const char *yn(int v) { return v ? "yes" : "no"; }

/* The command with {port} and {host} replaced, for execvp. */
static char **bench_argv(char **cmd, int n, const char *host, unsigned port)
{
	char **a = calloc((size_t)n + 1, sizeof *a);
	if (!a)
		return NULL;
	for (int i = 0; i < n; i++) {
		char buf[4096];
		size_t o = 0;
		for (const char *p = cmd[i]; *p && o + 64 < sizeof buf; p++) {
			if (!strncmp(p, "{port}", 6)) {
				o += (size_t)snprintf(buf + o, sizeof buf - o, "%u", port);
				p += 5;
			} else if (!strncmp(p, "{host}", 6)) {
				o += (size_t)snprintf(buf + o, sizeof buf - o, "%s", host);
				p += 5;
			} else
				buf[o++] = *p;
		}
		buf[o] = '\0';
		a[i] = strdup(buf);
	}
	return a;
}

static int cmd_bench_client(int argc, char **argv)
{
	const char *listen_on = "127.0.0.1:2525", *format = "text";
	long seconds = 20;
	int i = 0;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			break;
		if (!strcmp(a, "--listen") || !strcmp(a, "--format") || !strcmp(a, "--seconds")) {
			if (i + 1 >= argc)
				return usage_error("%s needs a value", a);
			const char *v = argv[++i];
			if (!strcmp(a, "--listen"))
				listen_on = v;
			else if (!strcmp(a, "--seconds")) {
				if (parse_count(v, 1, 600, &seconds))
					return usage_error("--seconds: '%s' is not between 1 and 600", v);
			} else {
				if (strcmp(v, "text") && strcmp(v, "markdown") && strcmp(v, "json"))
					return usage_error("--format: '%s' is not text, markdown or json", v);
				format = v;
			}
		} else
			return usage_error("bench-client: '%s' before '--' (the client command comes after it)", a);
	}
	if (i >= argc || i + 1 >= argc)
		return usage_error("bench-client needs a client command after '--'%s", "");
	char **cmd = argv + i + 1;
	int ncmd = argc - i - 1;
	char err[1024];
	int lfd = net_listen(listen_on, 0, err, sizeof err);
	if (lfd < 0) {
		fprintf(stderr, "smtps-sim: %s\n", err);
		return 2;
	}
	unsigned port = net_local_port(lfd);
	char host[64];
	snprintf(host, sizeof host, "%.*s", (int)(strrchr(listen_on, ':') - listen_on), listen_on);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_live_signal);
	signal(SIGTERM, on_live_signal);
	live_stop = 0;
	struct bench_verdict v[NBENCH];
	int status = 0;
	for (size_t k = 0; k < NBENCH && !live_stop; k++) {
		const struct bench_case *c = &bench_cases[k];
		memset(&v[k], 0, sizeof v[k]);
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s/%s", scenario_dir(), c->file);
		struct scenario sc;
		struct run_pki pki;
		if (scenario_load(path, &load_opts, &sc, err, sizeof err)) {
			fprintf(stderr, "smtps-sim: %s\n", err);
			status = 2;
			continue;
		}
		if (run_pki_load(&sc, &pki, err, sizeof err)) {
			fprintf(stderr, "smtps-sim: %s\n", err);
			scenario_free(&sc);
			status = 2;
			continue;
		}
		fprintf(stderr, "smtps-sim: bench-client: case %zu of %zu: %s (%s)\n", k + 1, NBENCH, c->name, sc.name);
		pid_t child = fork();
		if (child == 0) {
			char **a = bench_argv(cmd, ncmd, host, port);
			int dn = open("/dev/null", O_RDWR);
			if (dn >= 0) {
				dup2(dn, 0);
				dup2(dn, 1);
				dup2(dn, 2);
			}
			close(lfd);
			if (a)
				execvp(a[0], a);
			_exit(127);
		}
		struct bench_ctx b = { 0 };
		struct live_opts lo = { .cmd = LIVE_SERVE, .file = path, .count = 1, .max_sessions = 1,
					.idle_us = 5000000, .total_us = (uint64_t)seconds * 1000000u,
					.on_result = bench_take, .ctx = &b,
					.deadline_us = mono_us() + (uint64_t)seconds * 1000000u };
		lo.out.format = "text";
		if (child < 0)
			fprintf(stderr, "smtps-sim: bench-client: cannot start %s: %s\n", cmd[0], strerror(errno));
		else if (live_loop(&lo, &sc, &pki, lfd))
			status = 2;
		if (child > 0) {
			/* the client had its chance: it goes now if it has not */
			int wst = 0;
			uint64_t until = mono_us() + 2000000u;
			while (waitpid(child, &wst, WNOHANG) == 0) {
				if (mono_us() >= until) {
					kill(child, SIGKILL);
					waitpid(child, &wst, 0);
					break;
				}
				usleep(20000);
			}
			if (!b.have && WIFEXITED(wst) && WEXITSTATUS(wst) == 127) {
				/* the shell's convention: the command could not be run at all */
				fprintf(stderr, "smtps-sim: bench-client: cannot run '%s' (exit status 127)\n", cmd[0]);
				run_pki_free(&pki);
				scenario_free(&sc);
				close(lfd);
				return 2;
			}
		}
		if (b.have) {
			bench_judge(c, &b.res, &v[k]);
			run_result_free(&b.res);
		}
		run_pki_free(&pki);
		scenario_free(&sc);
	}
	close(lfd);
	if (!strcmp(format, "json")) {
		stdout_printf("{\n  \"client\": \"");
		for (int j = 0; j < ncmd; j++) {
			if (j)
				stdout_printf(" ");
			for (const char *p = cmd[j]; *p; p++) {
				if (*p == '"' || *p == '\\')
					stdout_printf("\\%c", *p);
				else if ((unsigned char)*p < 0x20)
					stdout_printf("\\u%04x", *p);
				else
					stdout_printf("%c", *p);
			}
		}
		stdout_printf("\",\n  \"cases\": [\n");
		for (size_t k = 0; k < NBENCH; k++)
			stdout_printf("    {\"scenario\": \"%.*s\", \"attack\": \"%s\", \"ran\": %s, \"connected\": %s, "
				      "\"tls\": %s, \"went_on_in_clear\": %s, \"sent_password\": %s, "
				      "\"took_forged_reply\": %s, \"accepted_bad_tls\": %s, \"fell_for_it\": %s}%s\n",
				      (int)strlen(bench_cases[k].file) - 4, bench_cases[k].file, bench_cases[k].name,
				      v[k].done ? "true" : "false", v[k].connected ? "true" : "false",
				      v[k].tls ? "true" : "false", v[k].clear ? "true" : "false",
				      v[k].password ? "true" : "false", v[k].forged ? "true" : "false",
				      (bench_cases[k].risk == RISK_CERT || bench_cases[k].risk == RISK_OLD_TLS) && v[k].fell
					      ? "true" : "false",
				      v[k].fell ? "true" : "false", k + 1 < NBENCH ? "," : "");
		stdout_printf("  ]\n}\n");
	} else {
		int md = !strcmp(format, "markdown");
		if (md)
			stdout_printf("| attack | connected | TLS | in clear | password sent | forged reply taken | bad TLS accepted | verdict |\n"
				      "|---|---|---|---|---|---|---|---|\n");
		else
			stdout_printf("%-32s %-9s %-4s %-8s %-8s %-7s %-8s %s\n", "attack", "connected", "TLS", "in clear",
				      "password", "forged", "bad TLS", "verdict");
		for (size_t k = 0; k < NBENCH; k++) {
			const struct bench_verdict *x = &v[k];
			int tls_case = bench_cases[k].risk == RISK_CERT || bench_cases[k].risk == RISK_OLD_TLS;
			const char *verdict = !x->done ? "not run" : !x->connected ? "no connection"
					      : x->fell ? "FELL FOR IT" : "safe";
			if (md)
				stdout_printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", bench_cases[k].name, yn(x->connected),
					      yn(x->tls), yn(x->clear), yn(x->password), yn(x->forged),
					      tls_case ? yn(x->fell) : "-", verdict);
			else
				stdout_printf("%-32s %-9s %-4s %-8s %-8s %-7s %-8s %s\n", bench_cases[k].name, yn(x->connected),
					      yn(x->tls), yn(x->clear), yn(x->password), yn(x->forged),
					      tls_case ? yn(x->fell) : "-", verdict);
		}
	}
	int st = stdout_status();
	return st ? st : status;
}

int main(int argc, char **argv)
{
	/* Scenario files outside the catalogue find the demo PKI here. */
	load_opts.datadir = scenario_dir();
	if (argc >= 2) {
		const char *cmd = argv[1];
		if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
			stdout_printf("%s", usage_text);
			return stdout_status();
		}
		if (!strcmp(cmd, "--version")) {
			stdout_printf("smtps-sim %s (BearSSL TLS, demo keys only)\n", SMTPS_VERSION);
			return stdout_status();
		}
		if (!strcmp(cmd, "--keys"))
			return cmd_keys(argc - 2, argv + 2);
		if (!strcmp(cmd, "run"))
			return cmd_run(argc - 2, argv + 2);
		if (!strcmp(cmd, "list"))
			return cmd_list(argc - 2, argv + 2);
		if (!strcmp(cmd, "check"))
			return cmd_check(argc - 2, argv + 2);
		if (!strcmp(cmd, "tui"))
			return cmd_tui(argc - 2, argv + 2);
		if (!strcmp(cmd, "serve"))
			return cmd_live(LIVE_SERVE, argc - 2, argv + 2);
		if (!strcmp(cmd, "proxy"))
			return cmd_live(LIVE_PROXY, argc - 2, argv + 2);
		if (!strcmp(cmd, "connect"))
			return cmd_live(LIVE_CONNECT, argc - 2, argv + 2);
		if (!strcmp(cmd, "bench-client"))
			return cmd_bench_client(argc - 2, argv + 2);
	}
	return cmd_tui(argc - 1, argv + 1);
}
