/* testutil: what every cmocka test includes. */
#ifndef TESTS_TESTUTIL_H
#define TESTS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* The scenario directory: SMTPS_SCENARIOS, or "scenarios" when run from the top. */
static inline const char *test_scenarios_dir(void)
{
	const char *d = getenv("SMTPS_SCENARIOS");
	return d && *d ? d : "scenarios";
}

#endif
