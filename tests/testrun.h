/* testrun: loading and running a scenario the way the program does, for tests: the data
 * directory is the test scenario directory, and the certificates and keys are loaded
 * before the run (run_scenario itself reads no file). */
#ifndef TESTS_TESTRUN_H
#define TESTS_TESTRUN_H

#include "testutil.h"

#include "sim/run/run.h"
#include "sim/run/scenario.h"

/* Scenario files outside the catalogue find the demo PKI here. */
static inline const struct scenario_load_opts *test_load_opts(void)
{
	static struct scenario_load_opts lo;
	lo.datadir = test_scenarios_dir();
	return &lo;
}

/* run_pki_load, then run_scenario; the same return and message as run_scenario. */
static inline int test_run_scenario(const struct scenario *sc, const struct run_options *opt,
				    struct run_result *out, char *err, size_t errcap)
{
	struct run_pki pki;
	if (run_pki_load(sc, &pki, err, errcap)) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	int r = run_scenario(sc, &pki, opt, out, err, errcap);
	run_pki_free(&pki);
	return r;
}

#endif
