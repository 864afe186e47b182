/* The audit log against a throwaway PostgreSQL (with-pg.sh): append-only, sealing, verification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "check_main.h"
#include "err.h"
#include "pg_harness.h"

static mp_db *db;
static const char *conninfo;
static const mp_actor actor = { "user", "auditor-test", "11111111-2222-4333-8444-555555555555" };

/* Each test gets its own database, so that tampering in one does not leak into the next. */
static void
open_fresh(const char *name)
{
	conninfo = pg_fresh_database(name);
	db = pg_connect_migrated(conninfo);
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
	return pg_scalar_u64(db, sql, 0, NULL);
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
	mp_db *other;
	unsigned sealed = 99;

	open_fresh("a_busy");
	write_entries(2);
	other = pg_connect(conninfo);
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

/* A fresh database named name whose log holds n sealed entries. */
static void
sealed_log(const char *name, int n)
{
	open_fresh(name);
	write_entries(n);
	seal_all((unsigned)n);
}

/*
 * Asserts that verification fails at entry seq bad_seq; returns how many
 * entries checked out before it, and leaves the message in err.
 */
static uint64_t
verify_fails_at(uint64_t bad_seq, char *err, size_t errsz)
{
	uint64_t checked = 0, bad = 0;

	ck_assert_int_eq(mp_audit_verify(db, &checked, &bad, err, errsz), MP_ERR_INTEGRITY);
	ck_assert_uint_eq(bad, bad_seq);
	return checked;
}

START_TEST(verify_detects_change)
{
	uint64_t id;
	char err[256], want[128];

	sealed_log("a_change", 25);
	id = scalar_u64("SELECT id FROM audit WHERE seq = 17");
	tamper("UPDATE audit SET details = '{\"n\": 99}' WHERE seq = 17");
	ck_assert_uint_eq(verify_fails_at(17, err, sizeof(err)), 16);
	snprintf(want, sizeof(want), "entry seq 17 (id %llu): hash does not match its content",
	    (unsigned long long)id);
	ck_assert_str_eq(err, want);
}
END_TEST

/* Rewriting an entry and its own hash breaks the link from the next entry. */
START_TEST(verify_detects_rehash)
{
	char err[256];

	sealed_log("a_rehash", 5);
	tamper("UPDATE audit SET hash = sha256('forged') WHERE seq = 3");
	verify_fails_at(3, err, sizeof(err));
	tamper("UPDATE audit SET hash = sha256('forged'), details = '{}' WHERE seq = 5");
	tamper("UPDATE audit SET hash = (SELECT hash FROM audit WHERE seq = 5) WHERE seq = 3");
	verify_fails_at(3, err, sizeof(err));
}
END_TEST

START_TEST(verify_detects_delete)
{
	uint64_t id;
	char err[256], want[128];

	sealed_log("a_delete", 6);
	id = scalar_u64("SELECT id FROM audit WHERE seq = 5");
	tamper("DELETE FROM audit WHERE seq = 4");
	ck_assert_uint_eq(verify_fails_at(4, err, sizeof(err)), 3);
	snprintf(want, sizeof(want), "entry seq 4 is missing (the next entry is seq 5, id %llu)",
	    (unsigned long long)id);
	ck_assert_str_eq(err, want);
	/* deleting the first one too */
	tamper("DELETE FROM audit WHERE seq = 1");
	ck_assert_uint_eq(verify_fails_at(1, err, sizeof(err)), 0);
}
END_TEST

START_TEST(verify_detects_reorder)
{
	char err[256];

	sealed_log("a_reorder", 4);
	tamper("UPDATE audit SET seq = seq + 1000 WHERE seq IN (2, 3)");
	tamper("UPDATE audit SET seq = CASE seq WHEN 1002 THEN 3 ELSE 2 END WHERE seq > 1000");
	ck_assert_uint_eq(verify_fails_at(2, err, sizeof(err)), 1);
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
	ck_assert_uint_eq(verify_fails_at(2001, err, sizeof(err)), 2000);
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
