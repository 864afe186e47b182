/*
 * Profile listing, changes and deletion (common/profiles.h) against a
 * throwaway PostgreSQL: platform profiles are shared and marked builtin,
 * tenants are isolated, changes and deletions are audited, a profile in use
 * is not deleted.
 */
#include <string.h>

#include "check_main.h"
#include "engine.h"
#include "err.h"
#include "pg_harness.h"

static mp_db *db;
static const mp_actor admin = { "user", "test-admin", NULL };

static void
setup(void)
{
	db = pg_connect_migrated(pg_url());
}

static void
teardown(void)
{
	mp_db_close(db);
	db = NULL;
}

static long
count(const char *sql, const char *p1, const char *p2)
{
	const char *p[2] = { p1, p2 };

	return (long)pg_scalar_u64(db, sql, p2 != NULL ? 2 : p1 != NULL ? 1 : 0, p);
}

static const char *
str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	ck_assert_msg(s != NULL, "no string %s", key);
	return s;
}

/* The tenant named name, created when missing. */
static json_t *
tenant(const char *name)
{
	json_t *t = NULL;

	if (mp_tenant_find_by_name(db, name, &t) == MP_OK)
		return t;
	ck_assert_int_eq(mp_tenant_create(db, &admin, name, &t), MP_OK);
	return t;
}

static json_t *
profile(const char *tenant_id, const char *name, const char *kind)
{
	json_t *p = NULL;

	ck_assert_int_eq(mp_profile_create(db, &admin, tenant_id, name, kind, NULL, false, &p),
	    MP_OK);
	return p;
}

/* The names in a list, in order, joined by ",". */
static void
names(json_t *list, char *out, size_t outsz)
{
	json_t *it;
	size_t i, off = 0;

	out[0] = '\0';
	json_array_foreach(list, i, it) {
		const char *n = str(it, "name");

		ck_assert_uint_lt(off + strlen(n) + 2, outsz);
		if (off > 0)
			out[off++] = ',';
		memcpy(out + off, n, strlen(n) + 1);
		off += strlen(n);
	}
}

START_TEST(list_and_get_visible)
{
	json_t *plat = tenant(MP_BOOTSTRAP_TENANT), *a = tenant("acme"), *b = tenant("globex");
	json_t *pd = profile(str(plat, "id"), "iec62351-device", "x509");
	json_t *pa = profile(str(a, "id"), "stations", "x509");
	json_t *ps = profile(str(a, "id"), "techs", "ssh-user");
	json_t *pb = profile(str(b, "id"), "meters", "x509");
	json_t *list = NULL, *g = NULL, *it;
	char got[256];
	size_t i;
	unsigned builtin = 0;

	ck_assert_int_eq(mp_profile_list(db, str(a, "id"), NULL, NULL, 100, &list), MP_OK);
	ck_assert_uint_eq(json_array_size(list), 3);
	json_array_foreach(list, i, it) {
		ck_assert_str_ne(str(it, "name"), "meters");
		if (json_is_true(json_object_get(it, "builtin"))) {
			ck_assert_str_eq(str(it, "name"), "iec62351-device");
			builtin++;
		} else {
			ck_assert(json_is_false(json_object_get(it, "builtin")));
		}
	}
	ck_assert_uint_eq(builtin, 1);
	json_decref(list);
	list = NULL;
	ck_assert_int_eq(mp_profile_list(db, str(a, "id"), "ssh-user", NULL, 100, &list), MP_OK);
	names(list, got, sizeof(got));
	ck_assert_str_eq(got, "techs");
	json_decref(list);
	list = NULL;
	ck_assert_int_eq(mp_profile_list(db, NULL, "x509", NULL, 100, &list), MP_OK);
	ck_assert_uint_eq(json_array_size(list), 3);
	json_decref(list);
	list = NULL;
	/* paging: after the first item, one item at a time */
	ck_assert_int_eq(mp_profile_list(db, NULL, NULL, NULL, 1, &list), MP_OK);
	ck_assert_uint_eq(json_array_size(list), 1);
	ck_assert_int_eq(mp_profile_list(db, NULL, NULL,
	    str(json_array_get(list, 0), "id"), 1000, &g), MP_OK);
	ck_assert_uint_eq(json_array_size(g), 3);
	json_decref(g);
	g = NULL;
	json_decref(list);
	list = NULL;

	ck_assert_int_eq(mp_profile_get_visible(db, str(b, "id"), str(pd, "id"), &g), MP_OK);
	ck_assert(json_is_true(json_object_get(g, "builtin")));
	json_decref(g);
	g = NULL;
	ck_assert_int_eq(mp_profile_get_visible(db, str(b, "id"), str(pa, "id"), &g),
	    MP_ERR_NOT_FOUND);
	ck_assert_int_eq(mp_profile_get_visible(db, NULL, str(pb, "id"), &g), MP_OK);
	ck_assert(json_is_false(json_object_get(g, "builtin")));
	json_decref(g);
	json_decref(pd);
	json_decref(pa);
	json_decref(ps);
	json_decref(pb);
	json_decref(plat);
	json_decref(a);
	json_decref(b);
}
END_TEST

START_TEST(update)
{
	json_t *plat = tenant(MP_BOOTSTRAP_TENANT), *a = tenant("upd");
	json_t *pd = profile(str(plat, "id"), "tls-server", "x509");
	json_t *pa = profile(str(a, "id"), "site-gw", "x509");
	json_t *body = json_pack("{s:{s:s}}", "validity", "max", "30d"), *g = NULL;
	mp_profile_patch p = { .body = body };

	ck_assert_int_eq(mp_profile_update(db, &admin, str(a, "id"), str(pa, "id"), &p, &g), MP_OK);
	ck_assert(json_equal(json_object_get(g, "body"), body));
	ck_assert(json_is_false(json_object_get(g, "approval_required")));
	ck_assert(json_is_false(json_object_get(g, "builtin")));
	json_decref(g);
	g = NULL;
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE action = 'profile.update'"
	    " AND object_id = $1 AND tenant_id = $2"
	    " AND details = '{\"body\": {\"validity\": {\"max\": \"30d\"}}}'",
	    str(pa, "id"), str(a, "id")), 1);

	p = (mp_profile_patch){ .set_approval = true, .approval_required = true };
	ck_assert_int_eq(mp_profile_update(db, &admin, str(a, "id"), str(pa, "id"), &p, &g), MP_OK);
	ck_assert(json_is_true(json_object_get(g, "approval_required")));
	ck_assert(json_equal(json_object_get(g, "body"), body));
	json_decref(g);
	g = NULL;

	/* a tenant does not change a platform profile; a platform admin does */
	ck_assert_int_eq(mp_profile_update(db, &admin, str(a, "id"), str(pd, "id"), &p, &g),
	    MP_ERR_NOT_FOUND);
	ck_assert_int_eq(mp_profile_update(db, &admin, NULL, str(pd, "id"), &p, &g), MP_OK);
	ck_assert(json_is_true(json_object_get(g, "builtin")));
	json_decref(g);
	g = NULL;
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE action = 'profile.update'"
	    " AND object_id = $1", str(pd, "id"), NULL), 1);

	json_decref(body);
	json_decref(pd);
	json_decref(pa);
	json_decref(plat);
	json_decref(a);
}
END_TEST

START_TEST(delete)
{
	json_t *a = tenant("del"), *b = tenant("del2"), *dev = NULL, *id = NULL;
	json_t *used = profile(str(a, "id"), "used", "x509");
	json_t *unused = profile(str(a, "id"), "unused", "x509");
	mp_device_new d = { str(a, "id"), "SN-1", NULL, NULL, NULL, NULL, NULL };
	mp_identity_new in = { 0 };

	ck_assert_int_eq(mp_device_create(db, &admin, &d, &dev), MP_OK);
	in.tenant_id = str(a, "id");
	in.device_id = str(dev, "id");
	in.profile_id = str(used, "id");
	ck_assert_int_eq(mp_identity_create(db, &admin, &in, &id), MP_OK);

	ck_assert_int_eq(mp_profile_delete(db, &admin, str(a, "id"), str(used, "id")),
	    MP_ERR_CONFLICT);
	ck_assert_int_eq(mp_profile_delete(db, &admin, str(b, "id"), str(unused, "id")),
	    MP_ERR_NOT_FOUND);
	ck_assert_int_eq(mp_profile_delete(db, &admin, str(a, "id"), str(unused, "id")), MP_OK);
	ck_assert_int_eq(mp_profile_delete(db, &admin, str(a, "id"), str(unused, "id")),
	    MP_ERR_NOT_FOUND);
	ck_assert_int_eq(count("SELECT count(*) FROM profiles WHERE id = $1", str(unused, "id"),
	    NULL), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE action = 'profile.delete'"
	    " AND object_id = $1 AND tenant_id = $2", str(unused, "id"), str(a, "id")), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE action = 'profile.delete'",
	    NULL, NULL), 1);

	json_decref(id);
	json_decref(dev);
	json_decref(used);
	json_decref(unused);
	json_decref(a);
	json_decref(b);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("profiles");
	TCase *tc = tcase_create("profiles");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, list_and_get_visible);
	tcase_add_test(tc, update);
	tcase_add_test(tc, delete);
	suite_add_tcase(s, tc);
	return s;
}
