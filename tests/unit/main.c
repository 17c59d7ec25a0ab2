// The unit test runner: every suite listed in the generated suites.h.
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define S(m) Suite *suite_##m(void);
#include "suites.h"
#undef S

int
main(void)
{
	SRunner *sr = srunner_create(NULL);
	int failed;
	char mark[32];

	/* Every process the suites start inherits this mark, so the "nothing
	 * left" checks count this run's leftovers, not another run's. */
	snprintf(mark, sizeof mark, "%ld", (long)getpid());
	setenv("RACELAB_UNIT_RUN", mark, 1);

#define S(m) srunner_add_suite(sr, suite_##m());
#include "suites.h"
#undef S
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
