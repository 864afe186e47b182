/* Shared main() for Check unit tests: each test file defines suite_make(). */
#ifndef MP_CHECK_MAIN_H
#define MP_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

Suite *suite_make(void);

int
main(void)
{
	SRunner *sr = srunner_create(suite_make());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
