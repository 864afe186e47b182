/* The engine's C API against a throwaway PostgreSQL (with-pg.sh): exact outcomes and audit rows. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check_main.h"
#include "engine.h"
#include "err.h"
#include "pg_harness.h"
#include "secure.h"

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

/* count(*) of a query with up to two text parameters, as a number. */
static long
count(const char *sql, const char *p1, const char *p2)
{
	const char *p[2] = { p1, p2 };

	return (long)pg_scalar_u64(db, sql, p2 != NULL ? 2 : p1 != NULL ? 1 : 0, p);
}

static long
audit_rows(void)
{
	return count("SELECT count(*) FROM audit", NULL, NULL);
}

static long
audit_for(const char *action, const char *object_id)
{
	return count("SELECT count(*) FROM audit WHERE action = $1 AND object_id = $2", action,
	    object_id);
}

static const char *
str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	ck_assert_msg(s != NULL, "no string %s", key);
	return s;
}

static json_t *
tenant(const char *name)
{
	json_t *t = NULL;

	ck_assert_int_eq(mp_tenant_create(db, &admin, name, &t), MP_OK);
	return t;
}

static json_t *
device(const char *tenant_id, const char *serial)
{
	mp_device_new d = { tenant_id, serial, "EVC-22", "Acme", NULL, NULL, NULL };
	json_t *o = NULL;

	ck_assert_int_eq(mp_device_create(db, &admin, &d, &o), MP_OK);
	return o;
}

START_TEST(tenants)
{
	json_t *t = NULL, *g = NULL, *list = NULL;
	long before;

	t = tenant("acme");
	ck_assert_str_eq(str(t, "name"), "acme");
	ck_assert_uint_eq(strlen(str(t, "id")), 36);
	ck_assert_ptr_nonnull(strchr(str(t, "created_at"), 'T'));
	ck_assert_int_eq(str(t, "created_at")[strlen(str(t, "created_at")) - 1], 'Z');
	ck_assert_int_eq(audit_for("tenant.create", str(t, "id")), 1);

	ck_assert_int_eq(mp_tenant_get(db, str(t, "id"), &g), MP_OK);
	ck_assert(json_equal(t, g));
	json_decref(g);
	ck_assert_int_eq(mp_tenant_find_by_name(db, "acme", &g), MP_OK);
	ck_assert_str_eq(str(g, "id"), str(t, "id"));
	json_decref(g);
	g = NULL;
	ck_assert_int_eq(mp_tenant_find_by_name(db, "nobody", &g), MP_ERR_NOT_FOUND);
	ck_assert_ptr_null(g);
	ck_assert_int_eq(mp_tenant_get(db, "00000000-0000-0000-0000-000000000000", &g),
	    MP_ERR_NOT_FOUND);
	ck_assert_int_eq(mp_tenant_get(db, "not-a-uuid", &g), MP_ERR_INVALID);

	before = audit_rows();
	ck_assert_int_eq(mp_tenant_create(db, &admin, "acme", &g), MP_ERR_CONFLICT);
	ck_assert_int_eq(mp_tenant_create(db, &admin, "", &g), MP_ERR_INVALID);
	ck_assert_ptr_null(g);
	ck_assert_int_eq(audit_rows(), before);

	json_decref(tenant("beta"));
	json_decref(tenant("gamma"));
	ck_assert_int_eq(mp_tenant_list(db, NULL, 2, &list), MP_OK);
	ck_assert_uint_eq(json_array_size(list), 2);
	ck_assert_str_eq(str(json_array_get(list, 0), "name"), "acme");
	ck_assert_str_eq(str(json_array_get(list, 1), "name"), "beta");
	json_decref(list);
	ck_assert_int_eq(mp_tenant_list(db, "beta", 0, &list), MP_OK);
	ck_assert_uint_eq(json_array_size(list), 1);
	ck_assert_str_eq(str(json_array_get(list, 0), "name"), "gamma");
	json_decref(list);
	json_decref(t);
}
END_TEST

START_TEST(devices)
{
	json_t *t1 = tenant("dev-t1"), *t2 = tenant("dev-t2"), *d = NULL, *d2 = NULL, *g = NULL;
	json_t *attrs = json_pack("{s:s}", "site", "garage-7");
	mp_device_new in = { NULL, "SN-1", NULL, NULL, "00AABBCCDDEEFF01", NULL, attrs };
	const char *t1id = str(t1, "id"), *t2id = str(t2, "id");
	long before;

	in.tenant_id = t1id;
	ck_assert_int_eq(mp_device_create(db, &admin, &in, &d), MP_OK);
	ck_assert_str_eq(str(d, "status"), "active");
	ck_assert_str_eq(str(d, "dev_eui"), "00aabbccddeeff01");
	ck_assert_str_eq(str(json_object_get(d, "attributes"), "site"), "garage-7");
	ck_assert(json_is_null(json_object_get(d, "model")));
	ck_assert_int_eq(audit_for("device.create", str(d, "id")), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE object_id = $1 AND tenant_id = $2",
	    str(d, "id"), t1id), 1);

	/* the same serial in the same tenant: conflict, and no audit row */
	before = audit_rows();
	in.dev_eui = NULL;
	ck_assert_int_eq(mp_device_create(db, &admin, &in, &d2), MP_ERR_CONFLICT);
	ck_assert_str_eq(mp_db_constraint(db), "devices_tenant_id_serial_key");
	ck_assert_ptr_null(d2);
	ck_assert_int_eq(audit_rows(), before);
	/* ... but fine in another tenant */
	in.tenant_id = t2id;
	ck_assert_int_eq(mp_device_create(db, &admin, &in, &d2), MP_OK);
	ck_assert_str_ne(str(d2, "id"), str(d, "id"));
	/* malformed fields and unknown tenants are refused */
	in.serial = "SN-2";
	in.dev_eui = "xyz";
	ck_assert_int_eq(mp_device_create(db, &admin, &in, &g), MP_ERR_INVALID);
	in.dev_eui = NULL;
	in.tenant_id = "00000000-0000-0000-0000-000000000000";
	ck_assert_int_eq(mp_device_create(db, &admin, &in, &g), MP_ERR_INVALID);
	ck_assert_int_eq(audit_rows(), before + 1);

	/* reads are scoped by tenant */
	ck_assert_int_eq(mp_device_get(db, t1id, str(d, "id"), &g), MP_OK);
	ck_assert(json_equal(g, d));
	json_decref(g);
	ck_assert_int_eq(mp_device_get(db, NULL, str(d, "id"), &g), MP_OK);
	json_decref(g);
	g = NULL;
	ck_assert_int_eq(mp_device_get(db, t2id, str(d, "id"), &g), MP_ERR_NOT_FOUND);
	ck_assert_int_eq(mp_device_find_by_serial(db, t2id, "SN-1", &g), MP_OK);
	ck_assert_str_eq(str(g, "id"), str(d2, "id"));
	json_decref(g);

	/* status: suspended and back, decommissioned is final */
	ck_assert_int_eq(mp_device_set_status(db, &admin, t1id, str(d, "id"), "suspended", &g),
	    MP_OK);
	ck_assert_str_eq(str(g, "status"), "suspended");
	json_decref(g);
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE action = 'device.status' AND"
	    " object_id = $1 AND details = '{\"from\": \"active\", \"to\": \"suspended\"}'",
	    str(d, "id"), NULL), 1);
	ck_assert_int_eq(mp_device_set_status(db, &admin, t1id, str(d, "id"), "suspended", NULL),
	    MP_OK);
	ck_assert_int_eq(audit_for("device.status", str(d, "id")), 1);
	ck_assert_int_eq(mp_device_set_status(db, &admin, t1id, str(d, "id"), "broken", NULL),
	    MP_ERR_INVALID);
	ck_assert_int_eq(mp_device_set_status(db, &admin, t2id, str(d, "id"), "active", NULL),
	    MP_ERR_NOT_FOUND);
	ck_assert_int_eq(mp_device_set_status(db, &admin, t1id, str(d, "id"), "decommissioned",
	    NULL), MP_OK);
	ck_assert_int_eq(mp_device_set_status(db, &admin, t1id, str(d, "id"), "active", NULL),
	    MP_ERR_CONFLICT);
	ck_assert_int_eq(audit_for("device.status", str(d, "id")), 2);

	json_decref(attrs);
	json_decref(d);
	json_decref(d2);
	json_decref(t1);
	json_decref(t2);
}
END_TEST

/* The change and its audit entry share one transaction: a refused entry undoes the change. */
START_TEST(change_and_audit_atomic)
{
	static const mp_actor robot = { "robot", "r2", NULL };
	json_t *t = tenant("atomic"), *d = NULL;
	mp_device_new in = { NULL, "SN-ATOMIC", NULL, NULL, NULL, NULL, NULL };
	long before = audit_rows();

	in.tenant_id = str(t, "id");
	ck_assert_int_eq(mp_device_create(db, &robot, &in, &d), MP_ERR_INVALID);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(count("SELECT count(*) FROM devices WHERE serial = $1", "SN-ATOMIC", NULL),
	    0);
	ck_assert_int_eq(audit_rows(), before);
	json_decref(t);
}
END_TEST

START_TEST(users_and_roles)
{
	json_t *t = tenant("users-t"), *u = NULL, *g = NULL, *roles = NULL;
	const char *tid = str(t, "id");
	mp_role role;

	ck_assert_int_eq(mp_user_create(db, &admin, tid, "alice", "alice@example.com", NULL, &u),
	    MP_OK);
	ck_assert_str_eq(str(u, "status"), "active");
	ck_assert_uint_eq(json_array_size(json_object_get(u, "roles")), 0);
	ck_assert_int_eq(audit_for("user.create", str(u, "id")), 1);
	ck_assert_int_eq(mp_user_create(db, &admin, tid, "alice", NULL, NULL, &g), MP_ERR_CONFLICT);

	ck_assert_int_eq(mp_user_add_role(db, &admin, tid, str(u, "id"), "operator"), MP_OK);
	ck_assert_int_eq(mp_user_add_role(db, &admin, tid, str(u, "id"), "auditor"), MP_OK);
	ck_assert_int_eq(mp_user_add_role(db, &admin, tid, str(u, "id"), "operator"),
	    MP_ERR_CONFLICT);
	ck_assert_int_eq(mp_user_add_role(db, &admin, tid, str(u, "id"), "king"), MP_ERR_INVALID);
	ck_assert_int_eq(mp_user_add_role(db, &admin, tid, "00000000-0000-0000-0000-000000000000",
	    "operator"), MP_ERR_NOT_FOUND);
	ck_assert_int_eq(audit_for("user.role.add", str(u, "id")), 2);

	ck_assert_int_eq(mp_user_list_roles(db, tid, str(u, "id"), &roles), MP_OK);
	ck_assert_uint_eq(json_array_size(roles), 2);
	ck_assert_str_eq(json_string_value(json_array_get(roles, 0)), "auditor");
	ck_assert_str_eq(json_string_value(json_array_get(roles, 1)), "operator");
	json_decref(roles);
	ck_assert_int_eq(mp_user_find_by_name(db, tid, "alice", &g), MP_OK);
	ck_assert_uint_eq(json_array_size(json_object_get(g, "roles")), 2);
	json_decref(g);

	ck_assert_int_eq(mp_role_parse("technician", &role), MP_OK);
	ck_assert_int_eq(role, MP_ROLE_TECHNICIAN);
	ck_assert_str_eq(mp_role_name(MP_ROLE_PLATFORM_ADMIN), "platform-admin");
	ck_assert_int_eq(mp_role_parse("Operator", &role), MP_ERR_INVALID);
	json_decref(u);
	json_decref(t);
}
END_TEST

START_TEST(api_keys)
{
	json_t *t = tenant("keys-t"), *u = NULL, *k = NULL;
	const char *tid = str(t, "id");
	char *key = NULL, *bad = NULL;
	mp_principal p;

	ck_assert_int_eq(mp_user_create(db, &admin, tid, "bob", NULL, NULL, &u), MP_OK);
	ck_assert_int_eq(mp_user_add_role(db, &admin, tid, str(u, "id"), "tenant-admin"), MP_OK);
	ck_assert_int_eq(mp_apikey_create(db, &admin, tid, str(u, "id"), 0, &key, &k), MP_OK);
	ck_assert_uint_eq(strlen(key), 80);
	ck_assert_int_eq(strncmp(key, "mpk_", 4), 0);
	ck_assert(json_is_null(json_object_get(k, "expires_at")));
	ck_assert_ptr_null(json_object_get(k, "key_hash"));
	ck_assert_str_eq(str(k, "tenant_id"), tid);
	ck_assert_int_eq(audit_for("apikey.create", str(k, "id")), 1);
	/* only the hash is stored */
	ck_assert_int_eq(count("SELECT count(*) FROM api_keys WHERE key_hash = sha256($1::bytea)",
	    key, NULL), 1);

	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(mp_apikey_authenticate(db, key, &p), MP_OK);
	ck_assert_str_eq(p.user_id, str(u, "id"));
	ck_assert_str_eq(p.tenant_id, tid);
	ck_assert_str_eq(p.key_id, str(k, "id"));
	ck_assert_uint_eq(p.roles, MP_ROLE_TENANT_ADMIN);
	ck_assert_int_eq(count("SELECT count(*) FROM api_keys WHERE id = $1 AND"
	    " last_used_at IS NOT NULL", str(k, "id"), NULL), 1);

	/* a wrong secret for the right id, a malformed key, an unknown id */
	bad = strdup(key);
	bad[50] = bad[50] == 'x' ? 'y' : 'x';
	ck_assert_int_eq(mp_apikey_authenticate(db, bad, &p), MP_ERR_UNAUTHENTICATED);
	ck_assert_int_eq(mp_apikey_authenticate(db, "mpk_nonsense", &p), MP_ERR_UNAUTHENTICATED);
	memcpy(bad, key, 81);
	bad[4] = bad[4] == '0' ? '1' : '0';
	ck_assert_int_eq(mp_apikey_authenticate(db, bad, &p), MP_ERR_UNAUTHENTICATED);

	/* expired */
	ck_assert_int_eq(count("WITH x AS (UPDATE api_keys SET expires_at = now() - interval '1 s'"
	    " WHERE id = $1 RETURNING 1) SELECT count(*) FROM x", str(k, "id"), NULL), 1);
	ck_assert_int_eq(mp_apikey_authenticate(db, key, &p), MP_ERR_EXPIRED);
	ck_assert_int_eq(count("WITH x AS (UPDATE api_keys SET expires_at = NULL"
	    " WHERE id = $1 RETURNING 1) SELECT count(*) FROM x", str(k, "id"), NULL), 1);
	ck_assert_int_eq(mp_apikey_authenticate(db, key, &p), MP_OK);

	/* revoked */
	ck_assert_int_eq(mp_apikey_revoke(db, &admin, tid, str(k, "id")), MP_OK);
	ck_assert_int_eq(mp_apikey_authenticate(db, key, &p), MP_ERR_UNAUTHENTICATED);
	ck_assert_int_eq(mp_apikey_revoke(db, &admin, tid, str(k, "id")), MP_ERR_CONFLICT);
	ck_assert_int_eq(audit_for("apikey.revoke", str(k, "id")), 1);
	mp_free_secret_str(key);
	key = NULL;
	json_decref(k);
	k = NULL;

	/* expiry must be in the future; the user must exist in the tenant */
	ck_assert_int_eq(mp_apikey_create(db, &admin, tid, str(u, "id"), 1000, &key, NULL),
	    MP_ERR_INVALID);
	ck_assert_int_eq(mp_apikey_create(db, &admin, "00000000-0000-0000-0000-000000000000",
	    str(u, "id"), 0, &key, NULL), MP_ERR_NOT_FOUND);
	ck_assert_ptr_null(key);
	ck_assert_int_eq(mp_apikey_create(db, &admin, tid, str(u, "id"),
	    (int64_t)time(NULL) + 3600, &key, &k), MP_OK);
	ck_assert(json_is_string(json_object_get(k, "expires_at")));
	ck_assert_int_eq(mp_apikey_authenticate(db, key, &p), MP_OK);
	/* a user who is not active cannot use their keys */
	ck_assert_int_eq(count("WITH x AS (UPDATE users SET status = 'suspended' WHERE id = $1"
	    " RETURNING 1) SELECT count(*) FROM x", str(u, "id"), NULL), 1);
	ck_assert_int_eq(mp_apikey_authenticate(db, key, &p), MP_ERR_UNAUTHENTICATED);

	free(bad);
	mp_free_secret_str(key);
	json_decref(k);
	json_decref(u);
	json_decref(t);
}
END_TEST

START_TEST(profiles_and_identities)
{
	json_t *t = tenant("id-t"), *t2 = tenant("id-t2"), *d = NULL, *p = NULL, *p2 = NULL;
	json_t *ssh = NULL, *i = NULL, *g = NULL, *u = NULL, *body, *arr = json_array();
	const char *tid = str(t, "id");
	mp_identity_new in;

	d = device(tid, "SN-ID");
	body = json_pack("{s:s, s:i}", "key_type", "ec-p256", "lifetime_days", 365);
	ck_assert_int_eq(mp_profile_create(db, &admin, tid, "station", "x509", body, false, &p),
	    MP_OK);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(p, "body"),
	    "lifetime_days")), 365);
	ck_assert(json_is_false(json_object_get(p, "approval_required")));
	ck_assert_int_eq(audit_for("profile.create", str(p, "id")), 1);
	ck_assert_int_eq(mp_profile_create(db, &admin, tid, "station", "x509", NULL, false, &g),
	    MP_ERR_CONFLICT);
	ck_assert_int_eq(mp_profile_create(db, &admin, tid, "odd", "pgp", NULL, false, &g),
	    MP_ERR_INVALID);
	ck_assert_int_eq(mp_profile_create(db, &admin, tid, "odd", "x509", arr, false, &g),
	    MP_ERR_INVALID);
	ck_assert_int_eq(mp_profile_create(db, &admin, tid, "shift", "ssh-user", NULL, true, &ssh),
	    MP_OK);
	ck_assert_int_eq(mp_profile_create(db, &admin, str(t2, "id"), "other", "x509", NULL, false,
	    &p2), MP_OK);
	ck_assert_int_eq(mp_profile_get(db, tid, str(p, "id"), &g), MP_OK);
	ck_assert(json_equal(g, p));
	json_decref(g);
	g = NULL;
	ck_assert_int_eq(mp_profile_get(db, str(t2, "id"), str(p, "id"), &g), MP_ERR_NOT_FOUND);

	memset(&in, 0, sizeof(in));
	in.tenant_id = tid;
	in.device_id = str(d, "id");
	in.profile_id = str(p, "id");
	in.not_before = 1700000000;
	in.not_after = 1700000000 + 86400;
	in.ref = "serial:01ab";
	ck_assert_int_eq(mp_identity_create(db, &admin, &in, &i), MP_OK);
	ck_assert_str_eq(str(i, "kind"), "x509");
	ck_assert_str_eq(str(i, "status"), "pending");
	ck_assert_str_eq(str(i, "not_before"), "2023-11-14T22:13:20Z");
	ck_assert(json_is_null(json_object_get(i, "user_id")));
	ck_assert_int_eq(audit_for("identity.create", str(i, "id")), 1);

	/* constraints: kind of the profile, one subject, same tenant, sane validity */
	in.kind = "ssh-host";
	ck_assert_int_eq(mp_identity_create(db, &admin, &in, &g), MP_ERR_INVALID);
	in.kind = NULL;
	ck_assert_int_eq(mp_user_create(db, &admin, tid, "tech", NULL, NULL, &u), MP_OK);
	in.user_id = str(u, "id");
	ck_assert_int_eq(mp_identity_create(db, &admin, &in, &g), MP_ERR_INVALID);
	in.device_id = NULL;
	in.profile_id = str(ssh, "id");
	ck_assert_int_eq(mp_identity_create(db, &admin, &in, &g), MP_OK);
	ck_assert_str_eq(str(g, "kind"), "ssh-user");
	json_decref(g);
	g = NULL;
	in.profile_id = str(p2, "id");
	ck_assert_int_eq(mp_identity_create(db, &admin, &in, &g), MP_ERR_INVALID);
	in.profile_id = str(ssh, "id");
	in.not_after = in.not_before - 1;
	ck_assert_int_eq(mp_identity_create(db, &admin, &in, &g), MP_ERR_INVALID);
	ck_assert_ptr_null(g);

	ck_assert_int_eq(mp_identity_set_status(db, &admin, tid, str(i, "id"), "active", &g), MP_OK);
	ck_assert_str_eq(str(g, "status"), "active");
	json_decref(g);
	ck_assert_int_eq(mp_identity_get(db, tid, str(i, "id"), &g), MP_OK);
	ck_assert_str_eq(str(g, "status"), "active");
	json_decref(g);
	ck_assert_int_eq(mp_identity_set_status(db, &admin, tid, str(i, "id"), "revoked", NULL),
	    MP_OK);
	ck_assert_int_eq(mp_identity_set_status(db, &admin, tid, str(i, "id"), "active", NULL),
	    MP_ERR_CONFLICT);
	ck_assert_int_eq(audit_for("identity.status", str(i, "id")), 2);

	json_decref(arr);
	json_decref(body);
	json_decref(u);
	json_decref(i);
	json_decref(ssh);
	json_decref(p2);
	json_decref(p);
	json_decref(d);
	json_decref(t2);
	json_decref(t);
}
END_TEST

START_TEST(enrollment_tokens)
{
	static const mp_actor dev = { "device", NULL, NULL };
	json_t *t = tenant("tok-t"), *d = device(str(t, "id"), "SN-TOK"), *p = NULL, *o = NULL;
	const char *tid = str(t, "id");
	char *tok = NULL, *tok2 = NULL;
	int64_t later = (int64_t)time(NULL) + 3600;

	ck_assert_int_eq(mp_profile_create(db, &admin, tid, "est", "x509", NULL, false, &p), MP_OK);
	ck_assert_int_eq(mp_enroll_token_create(db, &admin, tid, str(d, "id"), str(p, "id"),
	    later, 1, &tok, &o), MP_OK);
	ck_assert_int_eq(strncmp(tok, "mpe_", 4), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "uses_left")), 1);
	ck_assert_ptr_null(json_object_get(o, "token_hash"));
	ck_assert_int_eq(audit_for("enrollment_token.create", str(o, "id")), 1);
	json_decref(o);
	o = NULL;
	ck_assert_int_eq(mp_enroll_token_create(db, &admin, tid, str(d, "id"), str(p, "id"),
	    1000, 1, &tok2, &o), MP_ERR_INVALID);
	ck_assert_int_eq(mp_enroll_token_create(db, &admin, tid, str(d, "id"), str(p, "id"),
	    later, 0, &tok2, &o), MP_ERR_INVALID);

	/* wrong secret, then the right one once, then used up */
	tok2 = strdup(tok);
	tok2[60] = tok2[60] == 'x' ? 'y' : 'x';
	ck_assert_int_eq(mp_enroll_token_consume(db, &dev, tok2, NULL, &o), MP_ERR_UNAUTHENTICATED);
	ck_assert_int_eq(mp_enroll_token_consume(db, &dev, tok, "SN-OTHER", &o),
	    MP_ERR_UNAUTHENTICATED);
	ck_assert_int_eq(mp_enroll_token_consume(db, &dev, tok, "SN-TOK", &o), MP_OK);
	ck_assert_str_eq(str(o, "device_id"), str(d, "id"));
	ck_assert_str_eq(str(o, "profile_id"), str(p, "id"));
	ck_assert_int_eq(json_integer_value(json_object_get(o, "uses_left")), 0);
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE action = 'enrollment_token.consume'"
	    " AND object_id = $1 AND actor_kind = 'device' AND actor_id = $2", str(o, "id"),
	    str(d, "id")), 1);
	ck_assert_int_eq(mp_enroll_token_consume(db, &dev, tok, NULL, NULL), MP_ERR_UNAUTHENTICATED);
	/* a refund gives the use back once */
	ck_assert_int_eq(mp_enroll_token_refund(db, &dev, tid, str(o, "id")), MP_OK);
	ck_assert_int_eq(audit_for("enrollment_token.refund", str(o, "id")), 1);
	ck_assert_int_eq(mp_enroll_token_refund(db, &dev, str(d, "id"), str(o, "id")),
	    MP_ERR_NOT_FOUND);
	json_decref(o);
	o = NULL;
	ck_assert_int_eq(mp_enroll_token_consume(db, &dev, tok, NULL, &o), MP_OK);
	json_decref(o);
	o = NULL;
	ck_assert_int_eq(mp_enroll_token_consume(db, &dev, tok, NULL, &o), MP_ERR_UNAUTHENTICATED);
	ck_assert_int_eq(mp_enroll_token_consume(db, &dev, "mpk_x", NULL, &o), MP_ERR_UNAUTHENTICATED);
	/* a used-up token still authenticates its device for a check, which spends nothing */
	ck_assert_int_eq(mp_enroll_token_check(db, tok, "SN-TOK", &o), MP_OK);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "uses_left")), 0);
	ck_assert_str_eq(str(o, "device_id"), str(d, "id"));
	json_decref(o);
	o = NULL;
	ck_assert_int_eq(mp_enroll_token_check(db, tok, "SN-OTHER", &o), MP_ERR_UNAUTHENTICATED);
	ck_assert_int_eq(mp_enroll_token_check(db, tok2, "SN-TOK", &o), MP_ERR_UNAUTHENTICATED);
	mp_free_secret_str(tok);
	free(tok2);
	tok = tok2 = NULL;

	/* expired, and a suspended device */
	ck_assert_int_eq(mp_enroll_token_create(db, &admin, tid, str(d, "id"), str(p, "id"),
	    later, 5, &tok, &o), MP_OK);
	ck_assert_int_eq(mp_device_set_status(db, &admin, tid, str(d, "id"), "suspended", NULL),
	    MP_OK);
	ck_assert_int_eq(mp_enroll_token_consume(db, &dev, tok, NULL, NULL), MP_ERR_DENIED);
	ck_assert_int_eq(count("WITH x AS (UPDATE enrollment_tokens SET expires_at = now() -"
	    " interval '1 s' WHERE id = $1 RETURNING 1) SELECT count(*) FROM x", str(o, "id"),
	    NULL), 1);
	ck_assert_int_eq(mp_enroll_token_consume(db, &dev, tok, NULL, NULL), MP_ERR_EXPIRED);
	ck_assert_int_eq(mp_enroll_token_check(db, tok, "SN-TOK", &o), MP_ERR_EXPIRED);
	ck_assert_int_eq(count("SELECT uses_left FROM enrollment_tokens WHERE id = $1",
	    str(o, "id"), NULL), 5);

	mp_free_secret_str(tok);
	json_decref(o);
	json_decref(p);
	json_decref(d);
	json_decref(t);
}
END_TEST

/* Adds an extension given in openssl.cnf syntax, e.g. "critical,CA:TRUE". */
static void
add_ext(X509 *x, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, nid, value);

	ck_assert_ptr_nonnull(ext);
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/*
 * A self-signed certificate with this CN, DER-encoded; with basicConstraints
 * and keyUsage extensions when bc and ku are not NULL.
 */
static uint8_t *
make_cert(const char *cn, const char *bc, const char *ku, int *len)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	uint8_t *der = NULL;

	ck_assert_ptr_nonnull(key);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
	    (const unsigned char *)"Acme", -1, -1, 0), 1);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, name);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	if (bc != NULL)
		add_ext(x, NID_basic_constraints, bc);
	if (ku != NULL)
		add_ext(x, NID_key_usage, ku);
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	*len = i2d_X509(x, &der);
	ck_assert_int_gt(*len, 0);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(key);
	return der;
}

START_TEST(trust_anchors)
{
	json_t *t = tenant("ta-t"), *a = NULL, *g = NULL, *list = NULL, *pol, *dev;
	const char *tid = str(t, "id");
	uint8_t *der, *longer, *leaf, *noku;
	const unsigned char *p;
	mp_anchor_cache *cache;
	X509 *x;
	const char *why = NULL;
	int len, leaflen, nokulen;

	der = make_cert("Acme Manufacturing CA", "critical,CA:TRUE", "critical,keyCertSign,cRLSign",
	    &len);
	leaf = make_cert("station-1", "critical,CA:FALSE", "critical,digitalSignature", &leaflen);
	noku = make_cert("No KU CA", "critical,CA:TRUE", NULL, &nokulen);
	ck_assert_int_eq(mp_trust_anchor_check(der, (size_t)len, &why), MP_OK);
	ck_assert_ptr_null(why);
	ck_assert_int_eq(mp_trust_anchor_check(leaf, (size_t)leaflen, &why), MP_ERR_POLICY);
	ck_assert_str_eq(why, "not a CA certificate: basicConstraints CA:TRUE is missing");
	ck_assert_int_eq(mp_trust_anchor_check(noku, (size_t)nokulen, &why), MP_ERR_POLICY);
	ck_assert_str_eq(why, "not a CA certificate: keyUsage does not include keyCertSign");
	ck_assert_int_eq(mp_trust_anchor_check(der, (size_t)len - 1, &why), MP_ERR_INVALID);
	ck_assert_str_eq(why, "not exactly one X.509 certificate");
	ck_assert_int_eq(mp_trust_anchor_create(db, &admin, tid, "leaf", leaf, (size_t)leaflen, NULL,
	    &g), MP_ERR_POLICY);
	ck_assert_ptr_null(g);

	pol = json_pack("{s:s}", "profile", "station");
	ck_assert_int_eq(mp_trust_anchor_create(db, &admin, tid, "acme-mfg", der, (size_t)len, pol,
	    &a), MP_OK);
	ck_assert_str_eq(str(a, "subject"), "CN=Acme Manufacturing CA,O=Acme");
	ck_assert_str_eq(str(json_object_get(a, "policy"), "profile"), "station");
	ck_assert_str_eq(str(a, "issuer"), "CN=Acme Manufacturing CA,O=Acme");
	ck_assert_uint_eq(strlen(str(a, "sha256")), 64);
	ck_assert(json_is_true(json_object_get(a, "self_signed")));
	ck_assert_uint_eq(json_array_size(json_object_get(a, "chain")), 1);
	ck_assert(json_is_true(json_object_get(json_array_get(json_object_get(a, "chain"), 0),
	    "root")));
	ck_assert_int_eq(strncmp(str(a, "certificate_pem"), "-----BEGIN CERTIFICATE-----\n", 28), 0);
	ck_assert_uint_eq(strlen(str(a, "not_after")), 20);
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE action = 'trust_anchor.create'"
	    " AND object_id = $1 AND details->>'subject' = 'CN=Acme Manufacturing CA,O=Acme'"
	    " AND length(details->>'sha256') = 64", str(a, "id"), NULL), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM trust_anchors WHERE id = $1 AND"
	    " encode(certificate, 'base64') <> ''", str(a, "id"), NULL), 1);
	ck_assert_int_eq(mp_trust_anchor_get(db, tid, str(a, "id"), &g), MP_OK);
	ck_assert(json_equal(g, a));
	json_decref(g);
	g = NULL;

	ck_assert_int_eq(mp_trust_anchor_create(db, &admin, tid, "acme-mfg", der, (size_t)len, NULL,
	    &g), MP_ERR_CONFLICT);
	ck_assert_int_eq(mp_trust_anchor_create(db, &admin, tid, "junk", der, (size_t)len - 1,
	    NULL, &g), MP_ERR_INVALID);
	longer = malloc((size_t)len + 1);
	memcpy(longer, der, (size_t)len);
	longer[len] = 0;
	ck_assert_int_eq(mp_trust_anchor_create(db, &admin, tid, "junk", longer, (size_t)len + 1,
	    NULL, &g), MP_ERR_INVALID);
	ck_assert_ptr_null(g);
	ck_assert_int_eq(mp_trust_anchor_create(db, &admin, tid, "second", der, (size_t)len, NULL,
	    &g), MP_OK);
	json_decref(g);

	ck_assert_int_eq(mp_trust_anchor_list(db, tid, NULL, 0, &list), MP_OK);
	ck_assert_uint_eq(json_array_size(list), 2);
	ck_assert_str_eq(str(json_array_get(list, 0), "name"), "acme-mfg");
	json_decref(list);
	ck_assert_int_eq(mp_trust_anchor_list(db, tid, "acme-mfg", 0, &list), MP_OK);
	ck_assert_uint_eq(json_array_size(list), 1);
	ck_assert_str_eq(str(json_array_get(list, 0), "name"), "second");
	json_decref(list);

	/* the anchor certificate itself verifies (a partial chain), parsed once into the cache */
	cache = mp_anchor_cache_new(NULL);
	ck_assert_ptr_nonnull(cache);
	p = der;
	x = d2i_X509(NULL, &p, len);
	ck_assert_ptr_nonnull(x);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(mp_trust_anchor_verify(db, cache, x, NULL, NULL, &list, &why),
		    MP_OK);
		ck_assert_ptr_null(why);
		ck_assert_uint_eq(json_array_size(list), 1);
		ck_assert_str_eq(str(json_array_get(list, 0), "tenant_id"), tid);
		ck_assert(json_is_null(json_object_get(json_array_get(list, 0), "device_id")));
		json_decref(list);
	}

	/* the device of the serial in the anchor's tenant comes with the anchor, if there is one */
	dev = device(tid, "EVSE-TA-1");
	ck_assert_int_eq(mp_trust_anchor_verify(db, cache, x, NULL, "EVSE-TA-1", &list, &why),
	    MP_OK);
	ck_assert_uint_eq(json_array_size(list), 1);
	ck_assert_str_eq(str(json_array_get(list, 0), "device_id"), str(dev, "id"));
	json_decref(list);
	ck_assert_int_eq(mp_trust_anchor_verify(db, cache, x, NULL, "EVSE-TA-2", &list, &why),
	    MP_OK);
	ck_assert(json_is_null(json_object_get(json_array_get(list, 0), "device_id")));
	json_decref(list);
	json_decref(dev);

	ck_assert_int_eq(mp_trust_anchor_delete(db, &admin, NULL, str(a, "id")), MP_OK);
	ck_assert_int_eq(mp_trust_anchor_delete(db, &admin, tid, str(a, "id")), MP_ERR_NOT_FOUND);
	ck_assert_int_eq(mp_trust_anchor_get(db, tid, str(a, "id"), &g), MP_ERR_NOT_FOUND);
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE action = 'trust_anchor.delete'"
	    " AND object_id = $1 AND tenant_id = $2 AND details->>'name' = 'acme-mfg'", str(a, "id"),
	    tid), 1);
	/* a deleted anchor stops counting at once, cache or not: "second" still vouches */
	ck_assert_int_eq(mp_trust_anchor_verify(db, cache, x, NULL, NULL, &list, &why), MP_OK);
	ck_assert_str_eq(str(json_array_get(list, 0), "name"), "second");
	json_decref(list);
	ck_assert_int_eq(mp_trust_anchor_list(db, tid, NULL, 0, &list), MP_OK);
	ck_assert_int_eq(mp_trust_anchor_delete(db, &admin, tid, str(json_array_get(list, 0), "id")),
	    MP_OK);
	json_decref(list);
	list = NULL;
	ck_assert_int_eq(mp_trust_anchor_verify(db, cache, x, NULL, NULL, &list, &why),
	    MP_ERR_UNAUTHENTICATED);
	ck_assert_str_eq(why, "no trust anchor vouches for the client certificate");
	ck_assert_ptr_null(list);
	mp_anchor_cache_free(cache);
	X509_free(x);

	free(longer);
	OPENSSL_free(der);
	OPENSSL_free(leaf);
	OPENSSL_free(noku);
	json_decref(pol);
	json_decref(a);
	json_decref(t);
}
END_TEST

/* A certificate issued by ca (key ca_key): a CA when is_ca, else a device with this serial. */
static X509 *
issued_cert(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key, const char *cn, long serial, bool is_ca)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	ck_assert_int_eq(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, ca != NULL ? X509_get_subject_name(ca) : name);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	add_ext(x, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	add_ext(x, NID_key_usage, is_ca ? "critical,keyCertSign,cRLSign" :
	    "critical,digitalSignature");
	ck_assert_int_gt(X509_sign(x, ca_key, EVP_sha256()), 0);
	X509_NAME_free(name);
	return x;
}

/* The DER of a CRL of ca listing serial, thisUpdate this_s from now. */
static uint8_t *
ca_crl(X509 *ca, EVP_PKEY *ca_key, long this_s, long serial, int *len)
{
	X509_CRL *crl = X509_CRL_new();
	X509_REVOKED *rv = X509_REVOKED_new();
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	ASN1_TIME *t = ASN1_TIME_new();
	uint8_t *der = NULL;

	ck_assert_int_eq(X509_CRL_set_version(crl, 1), 1);
	ck_assert_int_eq(X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)), 1);
	X509_gmtime_adj(t, this_s);
	ck_assert_int_eq(X509_CRL_set1_lastUpdate(crl, t), 1);
	ASN1_INTEGER_set(sn, serial);
	ck_assert_int_eq(X509_REVOKED_set_serialNumber(rv, sn), 1);
	ck_assert_int_eq(X509_REVOKED_set_revocationDate(rv, t), 1);
	ck_assert_int_eq(X509_CRL_add0_revoked(crl, rv), 1);
	X509_gmtime_adj(t, 86400);
	ck_assert_int_eq(X509_CRL_set1_nextUpdate(crl, t), 1);
	ck_assert_int_gt(X509_CRL_sign(crl, ca_key, EVP_sha256()), 0);
	*len = i2d_X509_CRL(crl, &der);
	ck_assert_int_gt(*len, 0);
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	return der;
}

/* mp_trust_anchor_verify of x: its result, *why the reason. */
static int
verify_one(mp_anchor_cache *cache, X509 *x, const char **why)
{
	json_t *list = NULL;
	int r = mp_trust_anchor_verify(db, cache, x, NULL, NULL, &list, why);

	json_decref(list);
	return r;
}

/*
 * The CRL uploaded with an anchor through the CRL cache: read once for many
 * verifications, a replaced one counts at the next, a removed one and a
 * deleted anchor at once.
 */
START_TEST(trust_anchor_uploaded_crl_cached)
{
	json_t *t = tenant("ta-crl"), *a = NULL, *g = NULL;
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *dev_key = EVP_EC_gen("P-256");
	mp_metrics *m = mp_metrics_new();
	mp_crl_cache *crls = mp_crl_cache_new(NULL, m);
	mp_anchor_cache *cache = mp_anchor_cache_new(crls);
	atomic_uint_fast64_t *misses, *hits;
	X509 *ca, *d2, *d3;
	uint8_t *der = NULL, *crl1, *crl2;
	const char *why = NULL;
	int len, len1, len2;

	ck_assert_ptr_nonnull(cache);
	misses = mp_metrics_counter(m, "midpki_crl_cache_misses_total", "", NULL, NULL);
	hits = mp_metrics_counter(m, "midpki_crl_cache_hits_total", "", NULL, NULL);
	ca = issued_cert(NULL, ca_key, ca_key, "Uploaded CRL CA", 1, true);
	d2 = issued_cert(ca, ca_key, dev_key, "dev-2", 2, false);
	d3 = issued_cert(ca, ca_key, dev_key, "dev-3", 3, false);
	len = i2d_X509(ca, &der);
	ck_assert_int_eq(mp_trust_anchor_create(db, &admin, str(t, "id"), "crl-mfg", der,
	    (size_t)len, NULL, &a), MP_OK);
	crl1 = ca_crl(ca, ca_key, -120, 2, &len1);
	crl2 = ca_crl(ca, ca_key, -60, 3, &len2);

	ck_assert_int_eq(mp_trust_anchor_set_crl(db, &admin, NULL, str(a, "id"), crl1,
	    (size_t)len1, &g, &why), MP_OK);
	ck_assert(json_is_object(json_object_get(g, "crl")));
	ck_assert_ptr_null(json_object_get(g, "crl_sha256"));
	json_decref(g);
	ck_assert_int_eq(count("SELECT count(*) FROM trust_anchors WHERE id = $1"
	    " AND crl_sha256 = sha256(crl)", str(a, "id"), NULL), 1);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(verify_one(cache, d2, &why), MP_ERR_DENIED);
		ck_assert_str_eq(why, "the client certificate is revoked by the CRL uploaded with its"
		    " trust anchor");
		ck_assert_int_eq(verify_one(cache, d3, &why), MP_OK);
	}
	ck_assert_uint_eq(atomic_load(misses), 1);
	ck_assert_uint_eq(atomic_load(hits), 5);

	/* replaced: the next verification reads the new one */
	ck_assert_int_eq(mp_trust_anchor_set_crl(db, &admin, NULL, str(a, "id"), crl2,
	    (size_t)len2, NULL, &why), MP_OK);
	ck_assert_int_eq(verify_one(cache, d2, &why), MP_OK);
	ck_assert_int_eq(verify_one(cache, d3, &why), MP_ERR_DENIED);
	ck_assert_uint_eq(atomic_load(misses), 2);

	/* removed: no revocation source left for these certificates */
	ck_assert_int_eq(mp_trust_anchor_delete_crl(db, &admin, NULL, str(a, "id")), MP_OK);
	ck_assert_int_eq(count("SELECT count(*) FROM trust_anchors WHERE id = $1"
	    " AND crl_sha256 IS NULL", str(a, "id"), NULL), 1);
	ck_assert_int_eq(verify_one(cache, d3, &why), MP_OK);

	/* a deleted anchor with a CRL in the cache vouches for nothing */
	ck_assert_int_eq(mp_trust_anchor_set_crl(db, &admin, NULL, str(a, "id"), crl2,
	    (size_t)len2, NULL, &why), MP_OK);
	ck_assert_int_eq(verify_one(cache, d2, &why), MP_OK);
	ck_assert_int_eq(mp_trust_anchor_delete(db, &admin, NULL, str(a, "id")), MP_OK);
	ck_assert_int_eq(verify_one(cache, d2, &why), MP_ERR_UNAUTHENTICATED);

	mp_anchor_cache_free(cache);
	mp_crl_cache_free(crls);
	mp_metrics_free(m);
	OPENSSL_free(crl1);
	OPENSSL_free(crl2);
	OPENSSL_free(der);
	X509_free(ca);
	X509_free(d2);
	X509_free(d3);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(dev_key);
	json_decref(a);
	json_decref(t);
}
END_TEST

START_TEST(bootstrap)
{
	char *key = NULL, *again = (char *)"unset";
	mp_principal p;

	ck_assert_int_eq(mp_engine_bootstrap_admin(db, &key), MP_OK);
	ck_assert_ptr_nonnull(key);
	ck_assert_int_eq(mp_apikey_authenticate(db, key, &p), MP_OK);
	ck_assert_uint_eq(p.roles, MP_ROLE_PLATFORM_ADMIN);
	ck_assert_int_eq(count("SELECT count(*) FROM users u JOIN tenants t ON t.id = u.tenant_id"
	    " WHERE u.id = $1 AND u.name = 'admin' AND t.name = 'platform'", p.user_id, NULL), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM api_keys WHERE id = $1 AND expires_at IS NULL",
	    p.key_id, NULL), 1);
	ck_assert_int_eq(count("SELECT count(*) FROM audit WHERE actor_kind = 'system' AND"
	    " actor_id = 'bootstrap'", NULL, NULL), 4);
	ck_assert_int_eq(mp_engine_bootstrap_admin(db, &again), MP_OK);
	ck_assert_ptr_null(again);
	ck_assert_int_eq(count("SELECT count(*) FROM user_roles WHERE role = 'platform-admin'",
	    NULL, NULL), 1);
	mp_free_secret_str(key);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("engine");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, tenants);
	tcase_add_test(tc, devices);
	tcase_add_test(tc, change_and_audit_atomic);
	tcase_add_test(tc, users_and_roles);
	tcase_add_test(tc, api_keys);
	tcase_add_test(tc, profiles_and_identities);
	tcase_add_test(tc, enrollment_tokens);
	tcase_add_test(tc, trust_anchors);
	tcase_add_test(tc, trust_anchor_uploaded_crl_cached);
	tcase_add_test(tc, bootstrap);
	suite_add_tcase(s, tc);
	return s;
}
