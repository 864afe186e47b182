/* RFC 3339 times of the admin API (admin-api/rfc3339.c): accepted forms, their Unix time, refusals. */
#include <stdint.h>

#include "../../admin-api/rfc3339.h"
#include "check_main.h"

START_TEST(valid)
{
	static const struct {
		const char *s;
		int64_t t;
	} cases[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2024-05-01T10:00:00Z", 1714557600 },
		{ "2024-05-01t10:00:00z", 1714557600 },
		{ "2024-05-01T10:00:00.123456Z", 1714557600 },
		{ "2024-05-01T12:00:00+02:00", 1714557600 },
		{ "2024-05-01T05:30:00-04:30", 1714557600 },
		{ "2024-02-29T00:00:00Z", 1709164800 },
		{ "2000-03-01T00:00:00Z", 951868800 },
		{ "1969-12-31T23:59:59Z", -1 },
		{ "2100-12-31T23:59:59Z", 4133980799 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t t = 42;

		ck_assert_msg(api_rfc3339_parse(cases[i].s, &t), "%s refused", cases[i].s);
		ck_assert_msg(t == cases[i].t, "%s: %lld, want %lld", cases[i].s, (long long)t,
		    (long long)cases[i].t);
		ck_assert(api_rfc3339_parse(cases[i].s, NULL));
	}
}
END_TEST

START_TEST(invalid)
{
	static const char *const bad[] = { "", "2024-05-01", "2024-05-01T10:00:00",
		"2024-05-01 10:00:00Z", "2024-13-01T10:00:00Z", "2023-02-29T00:00:00Z",
		"2024-04-31T00:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T10:60:00Z",
		"2024-05-01T10:00:60Z", "2024-05-01T10:00:00.Z", "2024-05-01T10:00:00.1234567890Z",
		"2024-05-01T10:00:00+2:00", "2024-05-01T10:00:00+24:00", "2024-05-01T10:00:00Zx",
		"0000-01-01T00:00:00Z", "2024-05-01T10:00:00+02:00x", "+024-05-01T10:00:00Z" };
	int64_t t = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(!api_rfc3339_parse(bad[i], &t), "'%s' accepted", bad[i]);
		ck_assert(t == 42);
	}
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("rfc3339");
	TCase *tc = tcase_create("rfc3339");

	tcase_add_test(tc, valid);
	tcase_add_test(tc, invalid);
	suite_add_tcase(s, tc);
	return s;
}
