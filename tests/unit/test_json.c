/* JSON body parsing and the error document. */
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "err.h"
#include "json.h"

static int
parse(const char *text, size_t depth, json_t **out, char *err, size_t errsz)
{
	return mp_json_parse_body(text, strlen(text), depth, out, err, errsz);
}

START_TEST(test_parse_ok)
{
	json_t *v = NULL;
	char err[256];

	ck_assert_int_eq(parse("{\"a\":[1,{\"b\":\"]}\"}],\"c\":\"{{{\"}", 3, &v, err, sizeof(err)),
	    MP_OK);
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(v, "a"), 0)), 1);
	ck_assert_str_eq(json_string_value(json_object_get(v, "c")), "{{{");
	json_decref(v);
}
END_TEST

START_TEST(test_parse_errors)
{
	json_t *v = NULL;
	char err[256];

	ck_assert_int_eq(parse("{\"a\":1,\"a\":2}", 8, &v, err, sizeof(err)), MP_ERR_INVALID);
	ck_assert_ptr_null(v);
	ck_assert_ptr_nonnull(strstr(err, "duplicate object key"));
	ck_assert_int_eq(parse("{\n  \"a\": tru\n}", 8, &v, err, sizeof(err)), MP_ERR_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "line 2, column"));
	ck_assert_int_eq(parse("{} {}", 8, &v, err, sizeof(err)), MP_ERR_INVALID);
	ck_assert_int_eq(parse("\"a\\u0000b\"", 8, &v, err, sizeof(err)), MP_ERR_INVALID);
	ck_assert_int_eq(parse("", 8, &v, err, sizeof(err)), MP_ERR_INVALID);
	ck_assert_int_eq(mp_json_parse_body("{\"a\":\"x\0y\"}", 11, 8, &v, err, sizeof(err)),
	    MP_ERR_INVALID);
	ck_assert_ptr_null(v);
}
END_TEST

START_TEST(test_depth)
{
	json_t *v = NULL;
	char err[256];

	ck_assert_int_eq(parse("[[[1]]]", 3, &v, err, sizeof(err)), MP_OK);
	json_decref(v);
	v = NULL;
	ck_assert_int_eq(parse("[[[[1]]]]", 3, &v, err, sizeof(err)), MP_ERR_TOO_LARGE);
	ck_assert_str_eq(err, "JSON nested deeper than 3 levels at line 1, column 4");
	ck_assert_ptr_null(v);
	/* brackets inside strings, including escaped quotes, do not count */
	ck_assert_int_eq(parse("[\"\\\"[[[[[\"]", 1, &v, err, sizeof(err)), MP_OK);
	json_decref(v);
}
END_TEST

START_TEST(test_deep_input_refused_cheaply)
{
	size_t n = 100000;
	char *s = malloc(2 * n + 1);
	json_t *v = NULL;
	char err[256];

	memset(s, '[', n);
	memset(s + n, ']', n);
	s[2 * n] = '\0';
	ck_assert_int_eq(mp_json_parse_body(s, 2 * n, 32, &v, err, sizeof(err)), MP_ERR_TOO_LARGE);
	free(s);
}
END_TEST

START_TEST(test_error_doc)
{
	char *s = NULL;
	size_t len = 0;

	ck_assert_int_eq(mp_json_error_doc("bad_csr", "the CSR \"x\" is invalid", "csr", &s, &len),
	    MP_OK);
	ck_assert_str_eq(s,
	    "{\"error\":{\"code\":\"bad_csr\",\"message\":\"the CSR \\\"x\\\" is invalid\",\"field\":\"csr\"}}");
	ck_assert_uint_eq(len, strlen(s));
	free(s);
	ck_assert_int_eq(mp_json_error_doc("not_found", "no such device", NULL, &s, &len), MP_OK);
	ck_assert_str_eq(s, "{\"error\":{\"code\":\"not_found\",\"message\":\"no such device\"}}");
	free(s);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, test_parse_ok);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_deep_input_refused_cheaply);
	tcase_add_test(tc, test_error_doc);
	suite_add_tcase(s, tc);
	return s;
}
