/* How `midpki admin` prints answers: tables, "field: value" lines, hostile values. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../cli/admin_output.h"
#include "check_main.h"
#include "err.h"

/* Runs one printer over the JSON text and returns what it wrote. */
static char *
render(const char *json, const admin_column *cols)
{
	json_t *doc = json_loads(json, 0, NULL);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(doc);
	ck_assert_ptr_nonnull(f);
	if (cols != NULL)
		ck_assert_int_eq(admin_print_table(f, doc, cols), MP_OK);
	else
		ck_assert_int_eq(admin_print_object(f, doc), MP_OK);
	fclose(f);
	json_decref(doc);
	return out;
}

START_TEST(table)
{
	static const admin_column cols[] = { { "ID", "id" }, { "SITE", "attributes.site" },
		{ "ROLES", "roles" }, { "N", "n" }, { NULL, NULL } };
	char *s = render("[{\"id\":\"a\",\"attributes\":{\"site\":\"berlin\"},\"roles\":[\"x\",\"y\"],"
			 "\"n\":3},{\"id\":\"bbbb\",\"attributes\":null,\"roles\":[],\"n\":null}]",
	    cols);

	ck_assert_str_eq(s, "ID    SITE    ROLES  N\n"
			    "a     berlin  x,y    3\n"
			    "bbbb  -              -\n");
	free(s);
	s = render("[]", cols);
	ck_assert_str_eq(s, "ID  SITE  ROLES  N\n");
	free(s);
}
END_TEST

START_TEST(hostile_and_long)
{
	static const admin_column cols[] = { { "V", "v" }, { NULL, NULL } };
	char *s = render("[{\"v\":\"a\\u001b[31mb\\nc\"}]", cols);

	ck_assert_str_eq(s, "V\na?[31mb?c\n");
	free(s);
	s = render("[{\"v\":\"0123456789012345678901234567890123456789012345678901234567890123\"}]",
	    cols);
	ck_assert_str_eq(s, "V\n012345678901234567890123456789012345678901234567890123456...\n");
	free(s);
}
END_TEST

START_TEST(object)
{
	char *s = render("{\"id\":\"x\",\"pem\":\"-----BEGIN-----\\nAAAA\\n-----END-----\\n\","
			 "\"ok\":true,\"roles\":[\"a\"],\"attributes\":{\"k\":1},\"e\":\"\\u0007\"}",
	    NULL);

	ck_assert_str_eq(s, "id: x\n"
			    "pem: -----BEGIN-----\n  AAAA\n  -----END-----\n"
			    "ok: true\n"
			    "roles: a\n"
			    "attributes: {\"k\":1}\n"
			    "e: ?\n");
	free(s);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("cli_admin_output");
	TCase *tc = tcase_create("output");

	tcase_add_test(tc, table);
	tcase_add_test(tc, hostile_and_long);
	tcase_add_test(tc, object);
	suite_add_tcase(s, tc);
	return s;
}
