/* The audit log against a throwaway PostgreSQL (with-pg.sh): append-only, sealing, verification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "check_main.h"
#include "err.h"
#include "migrate.h"
#include "num.h"

static mp_db *db;
static char conninfo[512];
static const mp_actor actor = { "user", "auditor-test", "11111111-2222-4333-8444-555555555555" };

/* Each test gets its own database, so that tampering in one does not leak into the next. */
static void
open_fresh(const char *name)
{
	char err[256], sql[128];
	const char *u = getenv("MIDPKI_TEST_DATABASE_URL");
	mp_db *admin = NULL;

	ck_assert_ptr_nonnull(u);
	ck_assert_msg(mp_db_connect(u, 5000, &admin, err, sizeof(err)) == MP_OK, "%s", err);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
	ck_assert_int_eq(mp_db_exec(admin, sql), MP_OK);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	ck_assert_int_eq(mp_db_exec(admin, sql), MP_OK);
	mp_db_close(admin);
	snprintf(conninfo, sizeof(conninfo), "%s dbname=%s", u, name);
	ck_assert_msg(mp_db_connect(conninfo, 5000, &db, err, sizeof(err)) == MP_OK, "%s", err);
	ck_assert_msg(mp_db_migrate(db, NULL, err, sizeof(err)) == MP_OK, "%s", err);
}

static void
teardown(void)
{
	mp_db_close(db);
	db = NULL;
}

static void
write_entries(int n)
{
	json_t *details;
	char oid[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(oid, sizeof(oid), "obj-%d", i);
		details = json_pack("{s:i, s:s}", "n", i, "note", "caf\xc3\xa9");
		ck_assert_int_eq(mp_audit_write(db, &actor, "thing.create", "thing",
		    i % 3 == 0 ? NULL : oid, details), MP_OK);
		json_decref(details);
	}
}

static uint64_t
scalar_u64(const char *sql)
{
	PGresult *res = NULL;
	uint64_t v = 0;

	ck_assert_int_eq(mp_db_query_row(db, sql, 0, NULL, &res), MP_OK);
	ck_assert_int_eq(mp_parse_u64(PQgetvalue(res, 0, 0), UINT64_MAX, &v), MP_OK);
	PQclear(res);
	return v;
}

static void
seal_all(unsigned expect)
{
	unsigned sealed = 99;

	ck_assert_int_eq(mp_audit_seal(db, 1000, &sealed), MP_OK);
	ck_assert_uint_eq(sealed, expect);
}

START_TEST(write_validates)
{
	json_t *arr = json_array(), *big = json_object();
	char *blob = calloc(1, MP_AUDIT_MAX_DETAILS + 1);

	open_fresh("a_write");
	memset(blob, 'a', MP_AUDIT_MAX_DETAILS);
	json_object_set_new(big, "blob", json_string(blob));
	ck_assert_int_eq(mp_audit_write(db, &actor, "x.y", "x", NULL, arr), MP_ERR_INVALID);
	ck_assert_int_eq(mp_audit_write(db, &actor, "x.y", "x", NULL, big), MP_ERR_TOO_LARGE);
	ck_assert_int_eq(mp_audit_write(db, NULL, "x.y", "x", NULL, NULL), MP_ERR_INVALID);
	ck_assert_int_eq(mp_audit_write(db, &actor, NULL, "x", NULL, NULL), MP_ERR_INVALID);
	ck_assert_int_eq(mp_audit_write(db, &actor, "x.y", "x", "1", NULL), MP_OK);
	ck_assert_int_eq(mp_audit_write_in(db, &actor, NULL, "x.z", "x", "2", NULL), MP_OK);
	ck_assert_uint_eq(scalar_u64("SELECT count(*) FROM audit WHERE tenant_id ="
	    " '11111111-2222-4333-8444-555555555555' AND action = 'x.y' AND details = '{}'"
	    " AND seq IS NULL"), 1);
	ck_assert_uint_eq(scalar_u64("SELECT count(*) FROM audit WHERE tenant_id IS NULL"), 1);
	free(blob);
	json_decref(arr);
	json_decref(big);
}
END_TEST

START_TEST(append_only)
{
	unsigned sealed = 0;

	open_fresh("a_append");
	write_entries(3);
	/* unsealed rows cannot be changed either, only sealed */
	ck_assert_int_eq(mp_db_exec(db, "UPDATE audit SET details = '{\"x\": 1}' WHERE id = 1"),
	    MP_ERR_DB);
	ck_assert_str_eq(mp_db_sqlstate(db), "42501");
	ck_assert_int_eq(mp_db_exec(db, "UPDATE audit SET seq = 1, prev_hash = sha256(''),"
	    " hash = sha256(''), action = 'other' WHERE id = 1"), MP_ERR_DB);
	ck_assert_int_eq(mp_audit_seal(db, 2, &sealed), MP_OK);
	ck_assert_uint_eq(sealed, 2);
	ck_assert_int_eq(mp_db_exec(db, "UPDATE audit SET details = '{\"x\": 1}' WHERE seq = 1"),
	    MP_ERR_DB);
	ck_assert_int_eq(mp_db_exec(db, "UPDATE audit SET hash = sha256('x') WHERE seq = 1"),
	    MP_ERR_DB);
	ck_assert_int_eq(mp_db_exec(db, "UPDATE audit SET seq = NULL, prev_hash = NULL,"
	    " hash = NULL WHERE seq = 2"), MP_ERR_DB);
	ck_assert_int_eq(mp_db_exec(db, "DELETE FROM audit WHERE seq = 1"), MP_ERR_DB);
	ck_assert_int_eq(mp_db_exec(db, "DELETE FROM audit WHERE seq IS NULL"), MP_ERR_DB);
	ck_assert_int_eq(mp_db_exec(db, "TRUNCATE audit"), MP_ERR_DB);
	ck_assert_uint_eq(scalar_u64("SELECT count(*) FROM audit"), 3);
	ck_assert_uint_eq(scalar_u64("SELECT count(*) FROM audit WHERE details->>'x' IS NOT NULL"),
	    0);
}
END_TEST

START_TEST(seal_and_verify)
{
	uint64_t checked = 0, bad = 0, head = 0;
	unsigned sealed = 99;
	char err[256], hash[65];

	open_fresh("a_seal");
	ck_assert_int_eq(mp_audit_verify(db, &checked, &bad, err, sizeof(err)), MP_OK);
	ck_assert_uint_eq(checked, 0);
	ck_assert_int_eq(mp_audit_head(db, &head, hash), MP_OK);
	ck_assert_uint_eq(head, 0);
	ck_assert_str_eq(hash, "");
	seal_all(0);
	ck_assert_int_eq(mp_audit_seal(db, 0, &sealed), MP_ERR_INVALID);

	write_entries(7);
	ck_assert_int_eq(mp_audit_seal(db, 3, &sealed), MP_OK);
	ck_assert_uint_eq(sealed, 3);
	ck_assert_int_eq(mp_audit_verify(db, &checked, &bad, err, sizeof(err)), MP_OK);
	ck_assert_uint_eq(checked, 3);
	ck_assert_int_eq(mp_audit_seal(db, 3, &sealed), MP_OK);
	ck_assert_uint_eq(sealed, 3);
	write_entries(1);
	seal_all(2);
	seal_all(0);
	ck_assert_int_eq(mp_audit_verify(db, &checked, &bad, err, sizeof(err)), MP_OK);
	ck_assert_uint_eq(checked, 8);
	/* seq follows id here (one writer), starts at 1, genesis prev_hash is zeros */
	ck_assert_uint_eq(scalar_u64("SELECT count(*) FROM audit WHERE seq = id"), 8);
	ck_assert_uint_eq(scalar_u64("SELECT count(*) FROM audit WHERE seq = 1 AND"
	    " prev_hash = '\\x" "0000000000000000000000000000000000000000000000000000000000000000'"),
	    1);
	ck_assert_uint_eq(scalar_u64("SELECT count(*) FROM audit a JOIN audit b ON b.seq = a.seq + 1"
	    " WHERE b.prev_hash = a.hash"), 7);
	ck_assert_int_eq(mp_audit_head(db, &head, hash), MP_OK);
	ck_assert_uint_eq(head, 8);
	ck_assert_uint_eq(strlen(hash), 64);
	/* unsealed entries are not part of the chain yet */
	write_entries(2);
	ck_assert_int_eq(mp_audit_verify(db, &checked, &bad, err, sizeof(err)), MP_OK);
	ck_assert_uint_eq(checked, 8);
}
END_TEST

/* Another instance holding the seal lock: this one seals nothing and succeeds. */
START_TEST(seal_while_another_seals)
{
	mp_db *other = NULL;
	char err[256];
	unsigned sealed = 99;

	open_fresh("a_busy");
	write_entries(2);
	ck_assert_int_eq(mp_db_connect(conninfo, 5000, &other, err, sizeof(err)), MP_OK);
	ck_assert_int_eq(mp_db_exec(other, "BEGIN; SELECT pg_advisory_xact_lock(7883943056649486338)"),
	    MP_OK);
	ck_assert_int_eq(mp_audit_seal(db, 10, &sealed), MP_OK);
	ck_assert_uint_eq(sealed, 0);
	ck_assert_int_eq(mp_db_exec(other, "COMMIT"), MP_OK);
	seal_all(2);
	mp_db_close(other);
}
END_TEST

static void
tamper(const char *sql)
{
	char full[512];

	snprintf(full, sizeof(full), "SET session_replication_role = replica; %s;"
	    " SET session_replication_role = origin", sql);
	ck_assert_int_eq(mp_db_exec(db, full), MP_OK);
}

START_TEST(verify_detects_change)
{
	uint64_t checked = 0, bad = 0, id;
	char err[256], want[128];

	open_fresh("a_change");
	write_entries(25);
	seal_all(25);
	id = scalar_u64("SELECT id FROM audit WHERE seq = 17");
	tamper("UPDATE audit SET details = '{\"n\": 99}' WHERE seq = 17");
	ck_assert_int_eq(mp_audit_verify(db, &checked, &bad, err, sizeof(err)), MP_ERR_INTEGRITY);
	ck_assert_uint_eq(bad, 17);
	ck_assert_uint_eq(checked, 16);
	snprintf(want, sizeof(want), "entry seq 17 (id %llu): hash does not match its content",
	    (unsigned long long)id);
	ck_assert_str_eq(err, want);
}
END_TEST

/* Rewriting an entry and its own hash breaks the link from the next entry. */
START_TEST(verify_detects_rehash)
{
	uint64_t checked = 0, bad = 0;
	char err[256];

	open_fresh("a_rehash");
	write_entries(5);
	seal_all(5);
	tamper("UPDATE audit SET hash = sha256('forged') WHERE seq = 3");
	ck_assert_int_eq(mp_audit_verify(db, &checked, &bad, err, sizeof(err)), MP_ERR_INTEGRITY);
	ck_assert_uint_eq(bad, 3);
	tamper("UPDATE audit SET hash = sha256('forged'), details = '{}' WHERE seq = 5");
	tamper("UPDATE audit SET hash = (SELECT hash FROM audit WHERE seq = 5) WHERE seq = 3");
	ck_assert_int_eq(mp_audit_verify(db, &checked, &bad, err, sizeof(err)), MP_ERR_INTEGRITY);
	ck_assert_uint_eq(bad, 3);
}
END_TEST

START_TEST(verify_detects_delete)
{
	uint64_t checked = 0, bad = 0, id;
	char err[256], want[128];

	open_fresh("a_delete");
	write_entries(6);
	seal_all(6);
	id = scalar_u64("SELECT id FROM audit WHERE seq = 5");
	tamper("DELETE FROM audit WHERE seq = 4");
	ck_assert_int_eq(mp_audit_verify(db, &checked, &bad, err, sizeof(err)), MP_ERR_INTEGRITY);
	ck_assert_uint_eq(bad, 4);
	ck_assert_uint_eq(checked, 3);
	snprintf(want, sizeof(want), "entry seq 4 is missing (the next entry is seq 5, id %llu)",
	    (unsigned long long)id);
	ck_assert_str_eq(err, want);
	/* deleting the first one too */
	tamper("DELETE FROM audit WHERE seq = 1");
	ck_assert_int_eq(mp_audit_verify(db, &checked, &bad, err, sizeof(err)), MP_ERR_INTEGRITY);
	ck_assert_uint_eq(bad, 1);
	ck_assert_uint_eq(checked, 0);
}
END_TEST

START_TEST(verify_detects_reorder)
{
	uint64_t checked = 0, bad = 0;
	char err[256];

	open_fresh("a_reorder");
	write_entries(4);
	seal_all(4);
	tamper("UPDATE audit SET seq = seq + 1000 WHERE seq IN (2, 3)");
	tamper("UPDATE audit SET seq = CASE seq WHEN 1002 THEN 3 ELSE 2 END WHERE seq > 1000");
	ck_assert_int_eq(mp_audit_verify(db, &checked, &bad, err, sizeof(err)), MP_ERR_INTEGRITY);
	ck_assert_uint_eq(bad, 2);
	ck_assert_uint_eq(checked, 1);
}
END_TEST

/* More entries than one verification batch. */
START_TEST(verify_in_batches)
{
	uint64_t checked = 0, bad = 0;
	char err[256];

	open_fresh("a_batches");
	ck_assert_int_eq(mp_db_exec(db, "INSERT INTO audit (actor_kind, actor_id, action,"
	    " object_type, object_id, details) SELECT 'system', 'gen', 'bulk.create', 'bulk',"
	    " g::text, jsonb_build_object('g', g) FROM generate_series(1, 2500) g"), MP_OK);
	seal_all(1000);
	seal_all(1000);
	seal_all(500);
	ck_assert_int_eq(mp_audit_verify(db, &checked, &bad, err, sizeof(err)), MP_OK);
	ck_assert_uint_eq(checked, 2500);
	tamper("UPDATE audit SET object_id = 'x' WHERE seq = 2001");
	ck_assert_int_eq(mp_audit_verify(db, &checked, &bad, err, sizeof(err)), MP_ERR_INTEGRITY);
	ck_assert_uint_eq(bad, 2001);
	ck_assert_uint_eq(checked, 2000);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("audit");
	TCase *tc = tcase_create("audit");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, write_validates);
	tcase_add_test(tc, append_only);
	tcase_add_test(tc, seal_and_verify);
	tcase_add_test(tc, seal_while_another_seals);
	tcase_add_test(tc, verify_detects_change);
	tcase_add_test(tc, verify_detects_rehash);
	tcase_add_test(tc, verify_detects_delete);
	tcase_add_test(tc, verify_detects_reorder);
	tcase_add_test(tc, verify_in_batches);
	suite_add_tcase(s, tc);
	return s;
}
