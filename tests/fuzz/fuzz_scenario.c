/* fuzz_scenario: the scenario parser (sim/scenario.c over inih) on arbitrary files.
 * The input is written to a temporary file beside nothing: relative certificate paths
 * then fail to resolve next to it and fall back to the data directory, the repository's
 * scenarios/ (SMTPS_DATADIR when set, else FUZZ_DATADIR, set by mk/fuzz.mk). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/run/scenario.h"

static char dir[] = "/tmp/fuzz-scenario-XXXXXX";
static char path[64];
static struct scenario_load_opts load_opts;

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *d = getenv("SMTPS_DATADIR");
	load_opts.datadir = d && *d ? d : FUZZ_DATADIR;
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof path, "%s/s.ini", dir);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	struct scenario s;
	char err[512];
	memset(err, 0xAA, sizeof err);
	if (scenario_load(path, &load_opts, &s, err, sizeof err) == 0) {
		/* what the views touch on a loaded scenario */
		if (!s.name || !s.title || !s.client.body)
			abort();
		(void)scenario_client_tls_name(s.client.tls);
		(void)scenario_server_mode_name(s.server.mode);
		(void)scenario_verify_name(s.client.verify);
		(void)scenario_mitm_name(s.mitm.attack);
		(void)scenario_auth_name(s.client.auth);
		(void)scenario_buffering_name(s.server.buffering);
		struct scenario v = scenario_variant(&s);
		(void)v;
		scenario_free(&s);
	} else if (!memchr(err, '\0', sizeof err)) {
		abort(); /* an error must come back as a string */
	}
	return 0;
}
