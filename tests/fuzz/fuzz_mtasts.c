/* fuzz_mtasts: the MTA-STS record and policy parsers (RFC 8461 3.1, 3.2) on any bytes.
 * The input is parsed whole as a policy and as a TXT record; what a parser accepts
 * must hold its invariants (terminated strings, patterns that are well-formed and
 * match themselves, max_age in range), and a rejection leaves a zeroed result with a
 * terminated message. Each mx pattern is also tried as a host against the others. */
#include "fuzz_common.h"
#include "sim/smtp/mtasts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *t = fuzz_dup(data, size);
	char err[96];
	struct mtasts_policy p;
	size_t cap = 1 + size % sizeof err;
	if (mtasts_policy_parse(t, size, &p, err, cap) == 0) {
		FUZZ_CHECK(p.max_age <= MTASTS_MAX_AGE_MAX, "max_age in range");
		FUZZ_CHECK(p.n_mx <= MTASTS_MX_MAX, "mx count");
		FUZZ_CHECK(p.n_mx > 0 || p.mode == MTASTS_MODE_NONE, "mx present unless none");
		for (size_t i = 0; i < p.n_mx; i++) {
			FUZZ_CHECK(memchr(p.mx[i], '\0', sizeof p.mx[i]) != NULL, "mx terminated");
			if (p.mx[i][0] != '*')
				FUZZ_CHECK(mtasts_mx_match(p.mx[i], p.mx[i]), "a host matches itself");
			for (size_t j = 0; j < p.n_mx; j++)
				(void)mtasts_mx_match(p.mx[i], p.mx[j]);
		}
		struct mtasts_decision d;
		struct mtasts_tls tls = {true, false, 0, NULL};
		if (p.n_mx)
			(void)mtasts_decide(&p, p.mx[0], &tls, &d);
	} else {
		FUZZ_CHECK(memchr(err, '\0', cap) != NULL, "policy error terminated");
		FUZZ_CHECK(p.n_mx == 0 && p.max_age == 0, "rejected policy zeroed");
	}
	struct mtasts_record r;
	if (mtasts_record_parse(t, size, &r, err, cap) == 0) {
		size_t n = strlen(r.id);
		FUZZ_CHECK(n >= 1 && n <= MTASTS_ID_MAX, "id length");
	} else {
		FUZZ_CHECK(r.id[0] == '\0', "rejected record zeroed");
		FUZZ_CHECK(memchr(err, '\0', cap) != NULL, "record error terminated");
	}
	free(t);
	return 0;
}
