/* import_json: a saved trace opened again. Reads the JSON document export_json writes
 * (schema in README.md, "The JSON export") back into the structures every view reads:
 * the trace with its events and TLS sessions, the ledger made from them, the outcome and
 * the scenario's settings, so that a recorded session is lesson material like a run.
 *
 * Facts are read; what follows from them is made again as a run makes it: the ledger
 * (ledger_build), the trace-made half of the outcome and its summary
 * (outcome_from_trace). What the document repeats for people or derives (the ledger, the
 * record math, the key schedules, the readers' knowledge, "met") is not read back, so a
 * loaded trace exported again gives the same bytes, and a hand-edited derived value
 * cannot contradict the facts.
 *
 * The document is untrusted input: every name is looked up, every number bounded, every
 * index checked, and the first problem is reported as one line, "FILE: problem". */
#ifndef SIM_IMPORT_JSON_H
#define SIM_IMPORT_JSON_H

#include <stddef.h>

#include "sim/run/run.h"
#include "sim/run/scenario.h"

/* The largest document read (its bytes): a trace of the catalogue is below 1 MiB. */
#define TRACE_JSON_MAX_BYTES ((size_t)256 << 20)
/* The deepest decoded field (0 is the top level). */
#define TRACE_JSON_MAX_FIELD_DEPTH 32

/* Loads the trace saved at path. Returns 0 with *sc and *res filled, or -1 with "PATH:
 * problem" in err and *sc and *res zeroed (freeing them is harmless).
 *
 * Ownership: every string and buffer in *sc and *res belongs to the caller and is freed
 * by scenario_free and run_result_free. The scenario holds what the document holds: its
 * name, title, lesson, catalogue index, seed, date, the actors' settings, the zone and
 * the [expect] checks, with sc->path the trace's path and sc->dir its directory. It has
 * no certificate, key or trust paths and no message body (the trace has the message):
 * it describes a run, and cannot be passed to run_scenario. */
int trace_json_load(const char *path, struct scenario *sc, struct run_result *res, char *err, size_t errcap);
/* The same from len bytes at text; path names the document in messages and becomes
 * sc->path. */
int trace_json_load_buffer(const char *path, const char *text, size_t len, struct scenario *sc,
			   struct run_result *res, char *err, size_t errcap);
/* 1 when the file at path is to be read as a saved trace rather than a scenario: its
 * name ends in ".json", or its first byte after white space is '{'. 0 otherwise (a
 * file that cannot be read is left to the scenario loader to report). */
int trace_json_is_trace(const char *path);

#endif
