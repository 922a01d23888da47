/* export: files a user takes elsewhere: a Wireshark capture with its TLS key log, the
 * trace as JSON, a Markdown handout. Every file is written whole or not at all. */
#ifndef SIM_EXPORT_H
#define SIM_EXPORT_H

#include <stdio.h>

#include "sim/run/run.h"
#include "sim/run/scenario.h"

/* The whole trace and outcome as JSON (schema in README.md), to f. Returns 0 or -1. */
int export_json(FILE *f, const struct scenario *sc, const struct run_result *r);
/* A handout: title, lesson, a table of the exchange, the outcome. Returns 0 or -1. */
int export_markdown(FILE *f, const struct scenario *sc, const struct run_result *r);
/* Every link as a TCP stream in a pcap file (libpcap's dump API), written atomically.
 * Returns 0, or -1 with "PATH: problem" in err and nothing left behind. */
int export_pcap(const char *path, const struct scenario *sc, const struct run_result *r,
		char *err, size_t errcap);
/* NSS key log (CLIENT_RANDOM lines) for every TLS session, written atomically. */
int export_keylog(const char *path, const struct run_result *r, char *err, size_t errcap);

/* The sending server's TLS report (RFC 8460) for the run's relay hop, from its policy
 * events, written atomically. Returns 0, or -1 with "PATH: problem" in err (a run
 * without a relay hop has nothing to report). */
int export_tlsrpt(const char *path, const struct scenario *sc, const struct run_result *r, char *err,
		  size_t errcap);

/* Writing a file whole or not at all: a temporary file beside the target, renamed
 * over it on commit, removed on abort. */
struct export_file {
	FILE *f;
	char *path;
	char *tmp;                     /* NULL when written through */
	int through;                   /* a device or a FIFO: written in place, never replaced */
};
/* Returns 0, or -1 with "PATH: problem" in err. A device or FIFO (/dev/stdout, a pipe)
 * is written through; a symbolic link's target is replaced, the link kept; a replaced
 * file keeps its mode. */
int export_file_open(struct export_file *ef, const char *path, char *err, size_t errcap);
/* The same for a secret (the key log): a new file is 0600, and no mode is widened. */
int export_file_open_mode(struct export_file *ef, const char *path, int secret, char *err, size_t errcap);
/* Removes the temporary files being written, if any: for a SIGINT/SIGTERM handler
 * (async-signal-safe). */
void export_file_cleanup_signal(void);
/* Several outputs as one unit: between begin and commit, a committed export_file is
 * written and checked but not yet renamed over its target; group_commit renames them
 * all (0, or -1 with "PATH: problem"), group_abort removes them all: all written or none. */
void export_file_group_begin(void);
int export_file_group_commit(char *err, size_t errcap);
void export_file_group_abort(void);
/* Flushes, closes and renames. Returns 0, or -1 with a message (the temporary is removed). */
int export_file_commit(struct export_file *ef, char *err, size_t errcap);
void export_file_abort(struct export_file *ef);

#endif
