/*
 * The SSH CA issuer (ssh-ca/cas.c, ssh-ca/issue.c) against a throwaway
 * PostgreSQL (with-pg.sh): a technician's certificate under the built-in
 * profile with its CA made on first use, its rows and audit entries, read
 * back by `ssh-keygen -L`; every refusal leaving nothing behind; CAs and
 * their published lines; concurrent first issuances agreeing on one CA.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "codec.h"
#include "engine.h"
#include "err.h"
#include "krl.h"
#include "num.h"
#include "pg_harness.h"
#include "ssh_harness.h"
#include "sshca.h"

static const mp_actor actor = { "user", "ssh-issue-test", NULL };
static ssh_store st;
static mp_db *db;
static char tenant[MP_UUID_STR_LEN + 1];

static void
new_user(const char *name, const char *role, const char *attributes, char *id_out)
{
	json_t *attrs = json_loads(attributes, 0, NULL), *u = NULL;

	ck_assert_int_eq(mp_user_create(db, &actor, tenant, name, NULL, attrs, &u), MP_OK);
	snprintf(id_out, MP_UUID_STR_LEN + 1, "%s", json_string_value(json_object_get(u, "id")));
	if (role != NULL)
		ck_assert_int_eq(mp_user_add_role(db, &actor, tenant, id_out, role), MP_OK);
	json_decref(u);
	json_decref(attrs);
}

static void
fixture_up(void)
{
	json_t *t = NULL;

	ssh_store_open(&st, "ssh_issue");
	db = st.db;
	ck_assert_int_eq(mp_tenant_create(db, &actor, MP_BOOTSTRAP_TENANT, NULL), MP_OK);
	ck_assert_int_eq(sshca_bootstrap(db), MP_OK);
	ck_assert_int_eq(sshca_bootstrap(db), MP_OK);
	ck_assert_int_eq(mp_tenant_create(db, &actor, "acme", &t), MP_OK);
	snprintf(tenant, sizeof(tenant), "%s", json_string_value(json_object_get(t, "id")));
	json_decref(t);
}

static void
fixture_down(void)
{
	ssh_store_close(&st);
}

static uint64_t
count(const char *sql, const char *param)
{
	const char *params[1] = { param };

	return pg_scalar_u64(db, sql, param != NULL ? 1 : 0, params);
}

static sshca_env
env_of(mp_db *d)
{
	return (sshca_env){ d, st.ks, "software" };
}

static sshca_user_req
req_for(const char *user_id, size_t sample)
{
	sshca_user_req in;

	memset(&in, 0, sizeof(in));
	in.tenant_id = tenant;
	in.user_id = user_id;
	in.public_key = ssh_samples[sample].line;
	in.public_key_len = strlen(ssh_samples[sample].line);
	return in;
}

START_TEST(technician_certificate)
{
	sshca_env env = env_of(db);
	char alice[MP_UUID_STR_LEN + 1], out[8192], want[512];
	sshca_user_req in;
	json_t *c = NULL, *c2 = NULL, *cas = NULL, *list = NULL, *key;
	const char *id, *serial;
	mp_detail d = { "", "" };
	sshca_cert_filter f = { 0 };

	new_user("alice", "technician", "{\"sites\": [\"site-a\", \"site-b\"]}", alice);
	in = req_for(alice, 0);
	in.request_id = "req-1";
	ck_assert_msg(sshca_issue_user(&env, &actor, &in, &c, &d) == MP_OK, "%s: %s", d.field,
	    d.message);
	id = json_string_value(json_object_get(c, "id"));
	serial = json_string_value(json_object_get(c, "serial"));
	ck_assert_str_eq(json_string_value(json_object_get(c, "tenant_id")), tenant);
	ck_assert_str_eq(json_string_value(json_object_get(c, "user_id")), alice);
	ck_assert_str_eq(json_string_value(json_object_get(c, "kind")), "user");
	ck_assert_str_eq(json_string_value(json_object_get(c, "status")), "active");
	ck_assert_str_eq(json_string_value(json_object_get(c, "fingerprint")),
	    ssh_samples[0].fingerprint);
	ck_assert_uint_eq(json_array_size(json_object_get(c, "principals")), 3);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(c, "principals"), 0)),
	    "tech:site-a");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(c, "principals"), 2)),
	    "user:alice");
	snprintf(want, sizeof(want), "user=alice tenant=acme serial=%s id=%s "
	    "profile=ssh-technician request=req-1", serial, id);
	ck_assert_str_eq(json_string_value(json_object_get(c, "key_id")), want);
	ck_assert_int_eq(strncmp(json_string_value(json_object_get(c, "certificate")),
	    "ssh-ed25519-cert-v01@openssh.com AAAA", 37), 0);
	/* 8 hours, backdated 5 minutes */
	ck_assert_uint_eq(count("SELECT extract(epoch FROM valid_before - valid_after)::bigint"
	    " FROM ssh_certificates WHERE id = $1", id), 8 * 3600 + 300);
	ck_assert_uint_eq(count("SELECT count(*) FROM identities WHERE id = $1 AND kind = 'ssh-user'"
	    " AND status = 'active' AND not_after = (SELECT valid_before FROM ssh_certificates"
	    " WHERE id = $1)", id), 1);
	ck_assert_uint_eq(count("SELECT count(*) FROM audit WHERE action = 'ssh_certificate.issue'"
	    " AND object_id = $1 AND details->>'serial' = (SELECT serial::text FROM"
	    " ssh_certificates WHERE id = $1::uuid)", id), 1);
	ck_assert_uint_eq(count("SELECT count(*) FROM audit WHERE action = 'ssh_ca.create'"
	    " AND tenant_id = $1", tenant), 1);

	/* the CA made on first use */
	ck_assert_int_eq(sshca_ca_list(db, tenant, NULL, 0, &cas), MP_OK);
	ck_assert_uint_eq(json_array_size(cas), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(cas, 0), "name")), "user");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(cas, 0), "kind")), "user");
	key = json_array_get(json_object_get(json_array_get(cas, 0), "keys"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(key, "algorithm")), "ed25519");
	ck_assert_str_eq(json_string_value(json_object_get(c, "ca_key_id")),
	    json_string_value(json_object_get(key, "key_id")));

	ssh_keygen_list(st.dir, json_string_value(json_object_get(c, "certificate")), out,
	    sizeof(out));
	snprintf(want, sizeof(want), "Key ID: \"user=alice tenant=acme serial=%s id=%s "
	    "profile=ssh-technician request=req-1\"\n", serial, id);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	snprintf(want, sizeof(want), "Signing CA: ED25519 %s (using ssh-ed25519)\n",
	    json_string_value(json_object_get(key, "fingerprint")));
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	ck_assert_msg(strstr(out, "Principals: \n                tech:site-a\n"
	    "                tech:site-b\n                user:alice\n") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "Extensions: \n                permit-pty\n") != NULL, "%s", out);

	/* again, with a TTL and a subset: the same CA, another serial */
	in.ttl_s = 3600;
	in.request_id = NULL;
	in.principals = json_pack("[s]", "tech:site-b");
	ck_assert_int_eq(sshca_issue_user(&env, &actor, &in, &c2, &d), MP_OK);
	json_decref((json_t *)in.principals);
	ck_assert_str_ne(json_string_value(json_object_get(c2, "serial")), serial);
	ck_assert_str_eq(json_string_value(json_object_get(c2, "ca_id")),
	    json_string_value(json_object_get(c, "ca_id")));
	ck_assert_uint_eq(json_array_size(json_object_get(c2, "principals")), 1);
	ck_assert_uint_eq(count("SELECT count(*) FROM ssh_cas", NULL), 1);
	ck_assert_uint_eq(count("SELECT extract(epoch FROM valid_before - valid_after)::bigint"
	    " FROM ssh_certificates WHERE id = $1",
	    json_string_value(json_object_get(c2, "id"))), 3600 + 300);

	/* reads */
	json_decref(cas);
	ck_assert_int_eq(sshca_cert_get(db, tenant, id, &cas), MP_OK);
	ck_assert_str_eq(json_string_value(json_object_get(cas, "serial")), serial);
	ck_assert_int_eq(sshca_cert_get(db, "00000000-0000-0000-0000-000000000000", id, &list),
	    MP_ERR_NOT_FOUND);
	f.user_id = alice;
	ck_assert_int_eq(sshca_cert_list(db, tenant, &f, &list), MP_OK);
	ck_assert_uint_eq(json_array_size(list), 2);
	json_decref(list);
	f.status = "expired";
	ck_assert_int_eq(sshca_cert_list(db, tenant, &f, &list), MP_OK);
	ck_assert_uint_eq(json_array_size(list), 0);
	json_decref(list);
	f.status = "active";
	f.limit = 1;
	ck_assert_int_eq(sshca_cert_list(db, NULL, &f, &list), MP_OK);
	ck_assert_uint_eq(json_array_size(list), 1);
	json_decref(list);
	json_decref(cas);
	json_decref(c2);
	json_decref(c);
}
END_TEST

static void
expect_refused(sshca_user_req *in, int err, const char *field, const char *why)
{
	sshca_env env = env_of(db);
	mp_detail d = { "", "" };
	json_t *c = NULL;
	uint64_t before = count("SELECT count(*) FROM identities", NULL);

	ck_assert_int_eq(sshca_issue_user(&env, &actor, in, &c, &d), err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strcmp(d.field, field) == 0, "field %s, not %s", d.field, field);
	ck_assert_msg(strstr(d.message, why) != NULL, "\"%s\" lacks \"%s\"", d.message, why);
	ck_assert_uint_eq(count("SELECT count(*) FROM identities", NULL), before);
}

START_TEST(refusals)
{
	char alice[MP_UUID_STR_LEN + 1], olga[MP_UUID_STR_LEN + 1], dave[MP_UUID_STR_LEN + 1];
	json_t *body = json_loads("{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"tech:{site}\"],"
	    " \"key_types\": [\"ssh-ed25519\", \"sk-ssh-ed25519@openssh.com\"],"
	    " \"require_sk\": true}", 0, NULL);
	json_t *body2 = json_loads("{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"tech:{site}\"],"
	    " \"ca\": \"ops\"}", 0, NULL);
	json_t *req = json_pack("[s]", "tech:site-z");
	mp_user_patch patch = { NULL, NULL, "disabled", NULL };
	sshca_user_req in;

	new_user("alice", "technician", "{\"sites\": [\"site-a\"]}", alice);
	new_user("olga", "operator", "{\"sites\": [\"site-a\"]}", olga);
	new_user("dave", "technician", "{}", dave);
	ck_assert_int_eq(mp_profile_create(db, &actor, tenant, "fido-only", "ssh-user", body, false,
	    NULL), MP_OK);
	ck_assert_int_eq(mp_profile_create(db, &actor, tenant, "ops-ca", "ssh-user", body2, false,
	    NULL), MP_OK);

	in = req_for(alice, 0);
	in.ttl_s = 13 * 3600;
	expect_refused(&in, MP_ERR_POLICY, "ttl", "at most 43200s under this profile");
	in = req_for(alice, 0);
	in.public_key = ssh_line_rsa2048;
	in.public_key_len = strlen(ssh_line_rsa2048);
	expect_refused(&in, MP_ERR_UNSUPPORTED, "public_key", "at least 3072 bits");
	in.public_key = "ssh-ed25519 AAAA!";
	in.public_key_len = strlen(in.public_key);
	expect_refused(&in, MP_ERR_INVALID, "public_key", "not valid base64");
	in = req_for(alice, 0);
	in.principals = req;
	expect_refused(&in, MP_ERR_POLICY, "principals", "\"tech:site-z\" is not a principal");
	in = req_for(olga, 0);
	expect_refused(&in, MP_ERR_POLICY, "user", "none of the roles");
	in = req_for(dave, 0);
	in.profile = "fido-only";
	expect_refused(&in, MP_ERR_POLICY, "public_key", "requires a FIDO security key");
	in = req_for(dave, 4);
	in.profile = "fido-only";
	expect_refused(&in, MP_ERR_POLICY, "principals", "no principals");
	in = req_for(alice, 1);
	in.profile = "fido-only";
	expect_refused(&in, MP_ERR_POLICY, "public_key", "ecdsa-sha2-nistp256 keys are not allowed");
	in = req_for(alice, 0);
	in.profile = "no-such-profile";
	expect_refused(&in, MP_ERR_NOT_FOUND, "profile", "no ssh-user profile \"no-such-profile\"");
	in.profile = "ops-ca";
	expect_refused(&in, MP_ERR_NOT_FOUND, "ca", "no active user CA \"ops\"");
	in = req_for("00000000-0000-0000-0000-000000000000", 0);
	expect_refused(&in, MP_ERR_NOT_FOUND, "user", "no such user");
	ck_assert_int_eq(mp_user_update(db, &actor, tenant, alice, &patch, NULL), MP_OK);
	in = req_for(alice, 0);
	expect_refused(&in, MP_ERR_POLICY, "user", "the user is disabled");
	/* the FIDO key under the FIDO profile passes */
	{
		sshca_env env = env_of(db);
		char eve[MP_UUID_STR_LEN + 1];
		mp_detail d = { "", "" };
		json_t *c = NULL;

		new_user("eve", "technician", "{\"sites\": [\"site-e\"]}", eve);
		in = req_for(eve, 4);
		in.profile = "fido-only";
		ck_assert_int_eq(sshca_issue_user(&env, &actor, &in, &c, &d), MP_OK);
		ck_assert_int_eq(strncmp(json_string_value(json_object_get(c, "certificate")),
		    "sk-ssh-ed25519-cert-v01@openssh.com ", 36), 0);
		json_decref(c);
	}
	ck_assert_uint_eq(count("SELECT count(*) FROM ssh_certificates", NULL), 1);
	json_decref(req);
	json_decref(body2);
	json_decref(body);
}
END_TEST

START_TEST(cas_and_public_keys)
{
	sshca_env env = env_of(db);
	sshca_ca_new h = { tenant, "hosts", "host", "ec-p256", NULL };
	sshca_ca_new u = { tenant, "ops", "user", "rsa-3072", NULL };
	mp_detail d = { "", "" };
	json_t *ca = NULL, *ca2 = NULL, *got = NULL;
	mp_buf *lines = mp_buf_new(4096);
	char want[256];
	const char *fp;

	ck_assert_int_eq(sshca_ca_create(&env, &actor, &h, &ca, &d), MP_OK);
	ck_assert_str_eq(json_string_value(json_object_get(ca, "kind")), "host");
	ck_assert_str_eq(json_string_value(json_object_get(ca, "status")), "active");
	ck_assert_int_eq(sshca_ca_public_keys(db, tenant, json_string_value(json_object_get(ca,
	    "id")), lines), MP_OK);
	snprintf(want, sizeof(want), "@cert-authority * %s midpki:acme/hosts\n", json_string_value(
	    json_object_get(json_array_get(json_object_get(ca, "keys"), 0), "public_key")));
	ck_assert_str_eq(mp_buf_str(lines), want);
	ck_assert_int_eq(strncmp(mp_buf_str(lines), "@cert-authority * ecdsa-sha2-nistp256 AAAA", 42),
	    0);
	mp_buf_reset(lines);
	ck_assert_int_eq(sshca_ca_create(&env, &actor, &u, &ca2, &d), MP_OK);
	ck_assert_int_eq(sshca_ca_public_keys(db, tenant, json_string_value(json_object_get(ca2,
	    "id")), lines), MP_OK);
	ck_assert_int_eq(strncmp(mp_buf_str(lines), "ssh-rsa AAAA", 12), 0);
	ck_assert_ptr_nonnull(strstr(mp_buf_str(lines), " midpki:acme/ops\n"));
	mp_buf_reset(lines);
	fp = json_string_value(json_object_get(json_array_get(json_object_get(ca2, "keys"), 0),
	    "fingerprint"));
	ck_assert_int_eq(strncmp(fp, "SHA256:", 7), 0);
	ck_assert_int_eq(sshca_ca_get(db, tenant, json_string_value(json_object_get(ca2, "id")),
	    &got), MP_OK);
	ck_assert_str_eq(json_string_value(json_object_get(got, "name")), "ops");
	ck_assert_int_eq(sshca_ca_public_keys(db, "00000000-0000-0000-0000-000000000000",
	    json_string_value(json_object_get(ca2, "id")), lines), MP_ERR_NOT_FOUND);
	mp_buf_free(lines);

	ck_assert_int_eq(sshca_ca_create(&env, &actor, &h, NULL, &d), MP_ERR_CONFLICT);
	ck_assert_str_eq(d.field, "name");
	h.name = "Hosts";
	ck_assert_int_eq(sshca_ca_create(&env, &actor, &h, NULL, &d), MP_ERR_INVALID);
	ck_assert_str_eq(d.field, "name");
	h.name = "hosts2";
	h.kind = "device";
	ck_assert_int_eq(sshca_ca_create(&env, &actor, &h, NULL, &d), MP_ERR_INVALID);
	ck_assert_str_eq(d.field, "kind");
	h.kind = "host";
	h.algorithm = "rsa-2048";
	ck_assert_int_eq(sshca_ca_create(&env, &actor, &h, NULL, &d), MP_ERR_INVALID);
	ck_assert_str_eq(d.field, "algorithm");
	ck_assert_uint_eq(count("SELECT count(*) FROM ssh_cas", NULL), 2);
	ck_assert_uint_eq(count("SELECT count(*) FROM audit WHERE action = 'ssh_ca.create'", NULL),
	    2);
	json_decref(got);
	json_decref(ca2);
	json_decref(ca);
}
END_TEST

/* `ssh-keygen -Q -f krl` of a certificate line: its exit status and output. */
static int
krl_query(const mp_buf *krl, const char *cert_line, char *out, size_t outsz)
{
	char kpath[128], cpath[128], cmd[384];
	size_t n;
	FILE *f;

	snprintf(kpath, sizeof(kpath), "%s/ca.krl", st.dir);
	snprintf(cpath, sizeof(cpath), "%s/q-cert.pub", st.dir);
	ck_assert_ptr_nonnull(f = fopen(kpath, "wb"));
	ck_assert_uint_eq(fwrite(mp_buf_ptr(krl), 1, mp_buf_len(krl), f), mp_buf_len(krl));
	fclose(f);
	ck_assert_ptr_nonnull(f = fopen(cpath, "w"));
	fprintf(f, "%s\n", cert_line);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -Q -f %s %s 2>&1", kpath, cpath);
	ck_assert_ptr_nonnull(f = popen(cmd, "r"));
	n = fread(out, 1, outsz - 1, f);
	out[n] = '\0';
	return pclose(f);
}

/* The key_id of key i (newest first) of CA object ca. */
static const char *
ca_key(const json_t *ca, size_t i)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(ca, "keys"), i),
	    "key_id"));
}

START_TEST(key_rotation)
{
	sshca_env env = env_of(db);
	char alice[MP_UUID_STR_LEN + 1], old_key[MP_UUID_STR_LEN + 1], ca_id[MP_UUID_STR_LEN + 1];
	json_t *c0 = NULL, *c1 = NULL, *ca = NULL, *rev = NULL;
	mp_buf *lines = mp_buf_new(4096), *krl = mp_buf_new(65536);
	mp_detail d = { "", "" };
	sshca_user_req in;
	char out[1024];

	new_user("alice", "technician", "{\"sites\": [\"site-a\"]}", alice);
	in = req_for(alice, 0);
	ck_assert_int_eq(sshca_issue_user(&env, &actor, &in, &c0, &d), MP_OK);
	snprintf(ca_id, sizeof(ca_id), "%s", json_string_value(json_object_get(c0, "ca_id")));
	snprintf(old_key, sizeof(old_key), "%s", json_string_value(json_object_get(c0, "ca_key_id")));

	/* a new key: both published, newest first; the new one signs */
	ck_assert_int_eq(sshca_ca_add_key(&env, &actor, tenant, ca_id, "ec-p256", NULL, &ca, &d),
	    MP_OK);
	ck_assert_uint_eq(json_array_size(json_object_get(ca, "keys")), 2);
	ck_assert_str_eq(ca_key(ca, 1), old_key);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(ca,
	    "keys"), 0), "algorithm")), "ec-p256");
	ck_assert_int_eq(sshca_ca_public_keys(db, tenant, ca_id, lines), MP_OK);
	ck_assert_int_eq(strncmp(mp_buf_str(lines), "ecdsa-sha2-nistp256 AAAA", 24), 0);
	ck_assert_ptr_nonnull(strstr(mp_buf_str(lines), " midpki:acme/user\nssh-ed25519 AAAA"));
	ck_assert_int_eq(sshca_issue_user(&env, &actor, &in, &c1, &d), MP_OK);
	ck_assert_str_eq(json_string_value(json_object_get(c1, "ca_key_id")), ca_key(ca, 0));
	ck_assert_uint_eq(count("SELECT count(*) FROM audit WHERE action = 'ssh_ca.add_key'"
	    " AND object_id = $1 AND details->>'algorithm' = 'ec-p256'", ca_id), 1);

	/* the old key retired: no longer published; the KRL keeps its section */
	json_decref(ca);
	ca = NULL;
	ck_assert_int_eq(sshca_ca_retire_key(&env, &actor, tenant, ca_id, old_key, &ca, &d), MP_OK);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(ca,
	    "keys"), 1), "status")), "retired");
	mp_buf_reset(lines);
	ck_assert_int_eq(sshca_ca_public_keys(db, tenant, ca_id, lines), MP_OK);
	ck_assert_int_eq(strncmp(mp_buf_str(lines), "ecdsa-sha2-nistp256 AAAA", 24), 0);
	ck_assert_ptr_null(strstr(mp_buf_str(lines), "ssh-ed25519"));
	ck_assert_uint_eq(count("SELECT count(*) FROM audit WHERE action = 'ssh_ca.retire_key'"
	    " AND details->>'key_id' = $1", old_key), 1);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(sshca_cert_revoke(db, &actor, tenant, json_string_value(
		    json_object_get(i ? c1 : c0, "id")), &rev), MP_OK);
		json_decref(rev);
		rev = NULL;
	}
	ck_assert_int_eq(sshca_krl(db, tenant, ca_id, krl), MP_OK);
	for (int i = 0; i < 2; i++) {
		krl_query(krl, json_string_value(json_object_get(i ? c1 : c0, "certificate")), out,
		    sizeof(out));
		ck_assert_msg(strstr(out, ": REVOKED") != NULL, "%d: %s", i, out);
	}

	/* refusals */
	ck_assert_int_eq(sshca_ca_retire_key(&env, &actor, tenant, ca_id, old_key, NULL, &d),
	    MP_ERR_CONFLICT);
	ck_assert_str_eq(d.field, "key");
	ck_assert_int_eq(sshca_ca_retire_key(&env, &actor, tenant, ca_id, ca_key(ca, 0), NULL, &d),
	    MP_ERR_CONFLICT);
	ck_assert_ptr_nonnull(strstr(d.message, "last active key"));
	ck_assert_int_eq(sshca_ca_retire_key(&env, &actor, tenant, ca_id,
	    "00000000-0000-0000-0000-000000000000", NULL, &d), MP_ERR_NOT_FOUND);
	ck_assert_str_eq(d.field, "key");
	ck_assert_int_eq(sshca_ca_retire_key(&env, &actor, "00000000-0000-0000-0000-000000000000",
	    ca_id, ca_key(ca, 0), NULL, &d), MP_ERR_NOT_FOUND);
	ck_assert_int_eq(sshca_ca_add_key(&env, &actor, "00000000-0000-0000-0000-000000000000",
	    ca_id, NULL, NULL, NULL, &d), MP_ERR_NOT_FOUND);
	ck_assert_int_eq(sshca_ca_add_key(&env, &actor, tenant, ca_id, "rsa-2048", NULL, NULL, &d),
	    MP_ERR_INVALID);
	ck_assert_str_eq(d.field, "algorithm");
	ck_assert_uint_eq(count("SELECT count(*) FROM ssh_ca_keys", NULL), 2);
	json_decref(ca);
	json_decref(c1);
	json_decref(c0);
	mp_buf_free(krl);
	mp_buf_free(lines);
}
END_TEST

static uint64_t
get_u64(mp_buf *b)
{
	uint64_t v = 0;

	ck_assert_int_eq(mp_buf_get_u64(b, &v), MP_OK);
	return v;
}

/* A u32-length-prefixed string of b, which must be want (len bytes). */
static void
expect_bytes(mp_buf *b, const void *want, size_t len)
{
	uint32_t n = 0;

	ck_assert_int_eq(mp_buf_get_u32(b, &n), MP_OK);
	ck_assert_uint_eq(n, len);
	ck_assert_mem_eq(mp_buf_ptr(b), want, len);
	ck_assert_int_eq(mp_buf_consume(b, len), MP_OK);
}

START_TEST(revocation_and_krl)
{
	sshca_env env = env_of(db);
	char alice[MP_UUID_STR_LEN + 1], out[1024];
	json_t *c[3] = { NULL, NULL, NULL }, *rev = NULL, *ca = NULL;
	mp_buf *krl = mp_buf_new(65536), *copy = mp_buf_new(65536);
	uint64_t serials[2], now = (uint64_t)time(NULL);
	uint8_t *blob = NULL, serial_list[16], type = 0;
	const char *line;
	size_t bloblen = 0;
	mp_detail d = { "", "" };
	sshca_user_req in;

	new_user("alice", "technician", "{\"sites\": [\"site-a\"]}", alice);
	in = req_for(alice, 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(sshca_issue_user(&env, &actor, &in, &c[i], &d), MP_OK);
	for (int i = 0; i < 2; i++) {
		const char *id = json_string_value(json_object_get(c[i], "id"));

		ck_assert_int_eq(sshca_cert_revoke(db, &actor, tenant, id, &rev), MP_OK);
		ck_assert_str_eq(json_string_value(json_object_get(rev, "status")), "revoked");
		json_decref(rev);
		rev = NULL;
		ck_assert_int_eq(sshca_cert_revoke(db, &actor, tenant, id, &rev), MP_ERR_CONFLICT);
		ck_assert_int_eq(sshca_cert_revoke(db, &actor, "00000000-0000-0000-0000-000000000000",
		    id, &rev), MP_ERR_NOT_FOUND);
		ck_assert_uint_eq(count("SELECT count(*) FROM identities WHERE id = $1"
		    " AND status = 'revoked'", id), 1);
		ck_assert_uint_eq(count("SELECT count(*) FROM audit WHERE action ="
		    " 'ssh_certificate.revoke' AND object_id = $1", id), 1);
		ck_assert_int_eq(mp_parse_u64(json_string_value(json_object_get(c[i], "serial")),
		    UINT64_MAX, &serials[i]), MP_OK);
	}
	ck_assert_int_eq(sshca_cert_revoke(db, &actor, tenant, "00000000-0000-0000-0000-000000000000",
	    &rev), MP_ERR_NOT_FOUND);
	if (serials[0] > serials[1]) {
		uint64_t t = serials[0];

		serials[0] = serials[1];
		serials[1] = t;
	}

	/* the KRL field by field */
	ck_assert_int_eq(sshca_krl(db, tenant, json_string_value(json_object_get(c[0], "ca_id")),
	    krl), MP_OK);
	ck_assert_int_eq(sshca_ca_get(db, tenant, json_string_value(json_object_get(c[0], "ca_id")),
	    &ca), MP_OK);
	line = json_string_value(json_object_get(json_array_get(json_object_get(ca, "keys"), 0),
	    "public_key"));
	ck_assert_int_eq(mp_b64_decode(strchr(line, ' ') + 1, strlen(strchr(line, ' ') + 1), false,
	    4096, &blob, &bloblen), MP_OK);
	ck_assert_int_eq(mp_buf_put(copy, mp_buf_ptr(krl), mp_buf_len(krl)), MP_OK);
	ck_assert(get_u64(copy) == 0x5353484b524c0a00ull);
	ck_assert_int_eq(mp_buf_get_u32(copy, &(uint32_t){ 0 }), MP_OK);
	ck_assert(get_u64(copy) == 2);         /* two revocations */
	ck_assert(get_u64(copy) + 5 >= now);   /* generated */
	ck_assert(get_u64(copy) == 0);         /* flags */
	expect_bytes(copy, "", 0);             /* reserved */
	expect_bytes(copy, "user", 4);         /* comment: the CA's name */
	ck_assert_int_eq(mp_buf_get_u8(copy, &type), MP_OK);
	ck_assert_uint_eq(type, 1);            /* certificates */
	ck_assert_int_eq(mp_buf_consume(copy, 4), MP_OK);
	expect_bytes(copy, blob, bloblen);     /* the CA key */
	expect_bytes(copy, "", 0);
	ck_assert_int_eq(mp_buf_get_u8(copy, &type), MP_OK);
	ck_assert_uint_eq(type, 0x20);         /* serial list */
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 8; k++)
			serial_list[8 * i + k] = (uint8_t)(serials[i] >> (56 - 8 * k));
	expect_bytes(copy, serial_list, sizeof(serial_list));
	ck_assert_uint_eq(mp_buf_len(copy), 0);

	/* what ssh-keygen makes of it */
	for (int i = 0; i < 3; i++) {
		int st_code = krl_query(krl, json_string_value(json_object_get(c[i], "certificate")),
		    out, sizeof(out));

		ck_assert_msg(strstr(out, i < 2 ? ": REVOKED" : ": ok") != NULL, "%d: %s", i, out);
		ck_assert_int_eq(st_code != 0, i < 2);
	}
	ck_assert_int_eq(sshca_krl(db, "00000000-0000-0000-0000-000000000000",
	    json_string_value(json_object_get(c[0], "ca_id")), krl), MP_ERR_NOT_FOUND);
	free(blob);
	json_decref(ca);
	for (int i = 0; i < 3; i++)
		json_decref(c[i]);
	mp_buf_free(copy);
	mp_buf_free(krl);
}
END_TEST

START_TEST(later_start)
{
	sshca_env env = env_of(db);
	char alice[MP_UUID_STR_LEN + 1];
	uint64_t now = (uint64_t)time(NULL);
	mp_detail d = { "", "" };
	json_t *c = NULL;
	sshca_user_req in;

	new_user("alice", "technician", "{\"sites\": [\"site-a\"]}", alice);
	in = req_for(alice, 0);
	in.valid_after = now + 3600;
	in.ttl_s = 7200;
	ck_assert_int_eq(sshca_issue_user(&env, &actor, &in, &c, &d), MP_OK);
	ck_assert(count("SELECT extract(epoch FROM valid_after)::bigint FROM ssh_certificates"
	    " WHERE id = $1", json_string_value(json_object_get(c, "id"))) == now + 3600);
	ck_assert(count("SELECT extract(epoch FROM valid_before)::bigint FROM ssh_certificates"
	    " WHERE id = $1", json_string_value(json_object_get(c, "id"))) == now + 3600 + 7200);
	json_decref(c);
	in.valid_after = now - 3600;
	ck_assert_int_eq(sshca_issue_user(&env, &actor, &in, &c, &d), MP_ERR_POLICY);
	ck_assert_str_eq(d.field, "valid_after");
	in.valid_after = now + 31 * 86400;
	ck_assert_int_eq(sshca_issue_user(&env, &actor, &in, &c, &d), MP_ERR_POLICY);
	ck_assert_str_eq(d.field, "valid_after");
	ck_assert_uint_eq(count("SELECT count(*) FROM ssh_certificates", NULL), 1);
}
END_TEST

START_TEST(krl_refuses_unsorted)
{
	static const uint64_t serials[] = { 5, 3 };
	static const uint8_t blob[] = { 0, 0, 0, 1, 'x' };
	sshca_krl_ca ca = { blob, sizeof(blob), serials, 2, NULL, 0 };
	sshca_krl_in in = { 1, 1, "c", &ca, 1, NULL, 0 };
	mp_buf *b = mp_buf_new(4096);

	ck_assert_int_eq(sshca_krl_encode(&in, b), MP_ERR_INVALID);
	mp_buf_reset(b);
	ca.n_serials = 0;
	ck_assert_int_eq(sshca_krl_encode(&in, b), MP_OK);
	ck_assert_uint_eq(mp_buf_len(b), 8 + 4 + 8 + 8 + 8 + 4 + 4 + 1); /* header only */
	mp_buf_free(b);
}
END_TEST

/* The public key blob of a key line "type base64 ...". */
static uint8_t *
line_blob(const char *line, size_t *len)
{
	const char *b64 = strchr(line, ' ') + 1;
	uint8_t *blob = NULL;

	ck_assert_int_eq(mp_b64_decode(b64, strcspn(b64, " "), false, 4096, &blob, len), MP_OK);
	return blob;
}

START_TEST(revocation_by_key_id_and_public_key)
{
	sshca_env env = env_of(db);
	char alice[MP_UUID_STR_LEN + 1], out[1024];
	json_t *c[3] = { NULL, NULL, NULL }, *rev = NULL, *ca = NULL, *list = NULL;
	mp_buf *krl = mp_buf_new(65536), *copy = mp_buf_new(65536);
	const char *ca_id, *kid;
	uint8_t *ca_blob, *key_blob, type = 0;
	size_t ca_len = 0, key_len = 0;
	uint32_t n = 0;
	mp_detail d = { "", "" };
	sshca_revocation_req rq;
	sshca_user_req in;

	new_user("alice", "technician", "{\"sites\": [\"site-a\"]}", alice);
	for (int i = 0; i < 3; i++) {
		in = req_for(alice, i == 2 ? 1 : 0);
		ck_assert_int_eq(sshca_issue_user(&env, &actor, &in, &c[i], &d), MP_OK);
	}
	ca_id = json_string_value(json_object_get(c[0], "ca_id"));
	kid = json_string_value(json_object_get(c[0], "key_id"));

	/* by key id: the certificate with that key id, not the other one of the same key */
	memset(&rq, 0, sizeof(rq));
	rq.tenant_id = tenant;
	rq.ca_id = ca_id;
	rq.key_id = kid;
	ck_assert_msg(sshca_ca_revoke(db, &actor, &rq, &rev, &d) == MP_OK, "%s", d.message);
	ck_assert_str_eq(json_string_value(json_object_get(rev, "key_id")), kid);
	ck_assert(json_is_null(json_object_get(rev, "public_key")));
	ck_assert_str_eq(json_string_value(json_object_get(rev, "ca_id")), ca_id);
	ck_assert_uint_eq(json_array_size(json_object_get(rev, "certificates")), 1);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(rev, "certificates"), 0)),
	    json_string_value(json_object_get(c[0], "id")));
	ck_assert_uint_eq(count("SELECT count(*) FROM audit WHERE action = 'ssh_revocation.create'"
	    " AND details->>'key_id' = $1", kid), 1);
	ck_assert_uint_eq(count("SELECT count(*) FROM audit WHERE action ="
	    " 'ssh_certificate.revoke' AND details->>'cause' = 'key_id' AND object_id = $1",
	    json_string_value(json_object_get(c[0], "id"))), 1);
	json_decref(rev);
	rev = NULL;
	ck_assert_int_eq(sshca_ca_revoke(db, &actor, &rq, &rev, &d), MP_ERR_CONFLICT);
	ck_assert_str_eq(d.field, "key_id");

	/* by public key: the certificate of the ECDSA key, and a key never certified */
	rq.key_id = NULL;
	rq.public_key = ssh_samples[1].line;
	rq.public_key_len = strlen(ssh_samples[1].line);
	ck_assert_int_eq(sshca_ca_revoke(db, &actor, &rq, &rev, &d), MP_OK);
	ck_assert_str_eq(json_string_value(json_object_get(rev, "fingerprint")),
	    ssh_samples[1].fingerprint);
	ck_assert_int_eq(strncmp(json_string_value(json_object_get(rev, "public_key")),
	    "ecdsa-sha2-nistp256 AAAA", 24), 0);
	ck_assert_ptr_null(strchr(strchr(json_string_value(json_object_get(rev, "public_key")),
	    ' ') + 1, ' '));   /* without the comment */
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(rev, "certificates"), 0)),
	    json_string_value(json_object_get(c[2], "id")));
	json_decref(rev);
	rev = NULL;
	rq.public_key = ssh_samples[2].line;
	rq.public_key_len = strlen(ssh_samples[2].line);
	ck_assert_int_eq(sshca_ca_revoke(db, &actor, &rq, &rev, &d), MP_OK);
	ck_assert_uint_eq(json_array_size(json_object_get(rev, "certificates")), 0);
	json_decref(rev);
	rev = NULL;
	ck_assert_int_eq(sshca_ca_revoke(db, &actor, &rq, &rev, &d), MP_ERR_CONFLICT);
	ck_assert_str_eq(d.field, "public_key");
	ck_assert_int_eq(sshca_ca_revocations(db, tenant, ca_id, NULL, 10, &list), MP_OK);
	ck_assert_uint_eq(json_array_size(list), 3);
	json_decref(list);
	ck_assert_int_eq(sshca_ca_revocations(db, "00000000-0000-0000-0000-000000000000", ca_id,
	    NULL, 10, &list), MP_ERR_NOT_FOUND);

	/* refusals, leaving nothing behind */
	rq.key_id = "x";
	ck_assert_int_eq(sshca_ca_revoke(db, &actor, &rq, &rev, &d), MP_ERR_INVALID);
	ck_assert_str_eq(d.field, "key_id");
	rq.key_id = NULL;
	rq.public_key = NULL;
	ck_assert_int_eq(sshca_ca_revoke(db, &actor, &rq, &rev, &d), MP_ERR_INVALID);
	rq.key_id = "";
	ck_assert_int_eq(sshca_ca_revoke(db, &actor, &rq, &rev, &d), MP_ERR_INVALID);
	ck_assert_str_eq(d.field, "key_id");
	rq.key_id = NULL;
	rq.public_key = "ssh-ed25519 AAAA";
	rq.public_key_len = 16;
	ck_assert_int_eq(sshca_ca_revoke(db, &actor, &rq, &rev, &d), MP_ERR_INVALID);
	ck_assert_str_eq(d.field, "public_key");
	rq.public_key = ssh_samples[3].line;
	rq.public_key_len = strlen(ssh_samples[3].line);
	rq.tenant_id = "00000000-0000-0000-0000-000000000000";
	ck_assert_int_eq(sshca_ca_revoke(db, &actor, &rq, &rev, &d), MP_ERR_NOT_FOUND);
	ck_assert_uint_eq(count("SELECT count(*) FROM ssh_revocations", NULL), 3);

	/* the KRL: serials, then the key id list in the CA key's section, then the keys */
	ck_assert_int_eq(sshca_krl(db, tenant, ca_id, krl), MP_OK);
	/* the same bytes until something changes: generated is the latest revocation's time */
	sleep(1);
	ck_assert_int_eq(sshca_krl(db, tenant, ca_id, copy), MP_OK);
	ck_assert_uint_eq(mp_buf_len(copy), mp_buf_len(krl));
	ck_assert_mem_eq(mp_buf_ptr(copy), mp_buf_ptr(krl), mp_buf_len(krl));
	ck_assert_int_eq(mp_buf_consume(copy, 20), MP_OK);
	ck_assert(get_u64(copy) == count("SELECT extract(epoch FROM max(created_at))::bigint"
	    " FROM ssh_revocations", NULL));
	mp_buf_reset(copy);
	ck_assert_int_eq(mp_buf_put(copy, mp_buf_ptr(krl), mp_buf_len(krl)), MP_OK);
	ck_assert_int_eq(mp_buf_consume(copy, 12), MP_OK);
	ck_assert(get_u64(copy) == 5);         /* two certificates and three revocations */
	ck_assert_int_eq(mp_buf_consume(copy, 16), MP_OK);
	expect_bytes(copy, "", 0);
	expect_bytes(copy, "user", 4);
	ck_assert_int_eq(mp_buf_get_u8(copy, &type), MP_OK);
	ck_assert_uint_eq(type, 1);
	ck_assert_int_eq(mp_buf_consume(copy, 4), MP_OK);
	ck_assert_int_eq(sshca_ca_get(db, tenant, ca_id, &ca), MP_OK);
	ca_blob = line_blob(json_string_value(json_object_get(json_array_get(json_object_get(ca,
	    "keys"), 0), "public_key")), &ca_len);
	expect_bytes(copy, ca_blob, ca_len);
	expect_bytes(copy, "", 0);
	ck_assert_int_eq(mp_buf_get_u8(copy, &type), MP_OK);
	ck_assert_uint_eq(type, 0x20);
	ck_assert_int_eq(mp_buf_get_u32(copy, &n), MP_OK);
	ck_assert_uint_eq(n, 16);
	ck_assert_int_eq(mp_buf_consume(copy, 16), MP_OK);
	ck_assert_int_eq(mp_buf_get_u8(copy, &type), MP_OK);
	ck_assert_uint_eq(type, 0x23);         /* key ids */
	ck_assert_int_eq(mp_buf_get_u32(copy, &n), MP_OK);
	ck_assert_uint_eq(n, 4 + strlen(kid));
	expect_bytes(copy, kid, strlen(kid));
	ck_assert_int_eq(mp_buf_get_u8(copy, &type), MP_OK);
	ck_assert_uint_eq(type, 2);            /* explicit keys */
	ck_assert_int_eq(mp_buf_consume(copy, 4), MP_OK);
	for (int i = 1; i <= 2; i++) {
		key_blob = line_blob(ssh_samples[i].line, &key_len);
		expect_bytes(copy, key_blob, key_len);
		free(key_blob);
	}
	ck_assert_uint_eq(mp_buf_len(copy), 0);
	for (int i = 0; i < 3; i++) {
		int st_code = krl_query(krl, json_string_value(json_object_get(c[i], "certificate")),
		    out, sizeof(out));

		ck_assert_msg(strstr(out, i != 1 ? ": REVOKED" : ": ok") != NULL, "%d: %s", i, out);
		ck_assert_int_eq(st_code != 0, i != 1);
	}
	krl_query(krl, ssh_samples[2].line, out, sizeof(out));
	ck_assert_msg(strstr(out, ": REVOKED") != NULL, "%s", out);

	/* each section alone, as ssh-keygen reads it: a key id, then a public key */
	{
		const char *ids[1] = { json_string_value(json_object_get(c[1], "key_id")) };
		sshca_krl_ca kc = { ca_blob, ca_len, NULL, 0, ids, 1 };
		sshca_krl_key kk = { NULL, 0 };
		sshca_krl_in kin = { 1, 1, "t", &kc, 1, NULL, 0 };
		const char *line1 = json_string_value(json_object_get(c[1], "certificate"));

		mp_buf_reset(krl);
		ck_assert_int_eq(sshca_krl_encode(&kin, krl), MP_OK);
		krl_query(krl, line1, out, sizeof(out));
		ck_assert_msg(strstr(out, ": REVOKED") != NULL, "key id: %s", out);
		kc.n_key_ids = 0;
		kk.blob = key_blob = line_blob(ssh_samples[0].line, &kk.len);
		kin.keys = &kk;
		kin.n_keys = 1;
		mp_buf_reset(krl);
		ck_assert_int_eq(sshca_krl_encode(&kin, krl), MP_OK);
		krl_query(krl, line1, out, sizeof(out));
		ck_assert_msg(strstr(out, ": REVOKED") != NULL, "public key: %s", out);
		krl_query(krl, json_string_value(json_object_get(c[2], "certificate")), out,
		    sizeof(out));
		ck_assert_msg(strstr(out, ": ok") != NULL, "another key: %s", out);
		free(key_blob);
	}
	free(ca_blob);
	json_decref(ca);
	for (int i = 0; i < 3; i++)
		json_decref(c[i]);
	mp_buf_free(copy);
	mp_buf_free(krl);
}
END_TEST

START_TEST(host_certificate)
{
	sshca_env env = env_of(db);
	json_t *attrs = json_pack("{s:s}", "site", "site-a"), *dev = NULL, *c = NULL, *cas = NULL;
	mp_device_new nd = { 0 };
	sshca_host_req in = { 0 };
	mp_detail d = { "", "" };
	char out[8192], want[256];
	const char *dev_id;

	nd.tenant_id = tenant;
	nd.serial = "CS-0001";
	nd.attributes = attrs;
	ck_assert_int_eq(mp_device_create(db, &actor, &nd, &dev), MP_OK);
	dev_id = json_string_value(json_object_get(dev, "id"));
	in.tenant_id = tenant;
	in.device_id = dev_id;
	in.public_key = ssh_samples[1].line;
	in.public_key_len = strlen(ssh_samples[1].line);
	ck_assert_msg(sshca_issue_host(&env, &actor, &in, &c, &d) == MP_OK, "%s: %s", d.field,
	    d.message);
	ck_assert_str_eq(json_string_value(json_object_get(c, "kind")), "host");
	ck_assert_str_eq(json_string_value(json_object_get(c, "device_id")), dev_id);
	ck_assert(json_is_null(json_object_get(c, "user_id")));
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(c, "principals"), 0)),
	    "cs-0001");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(c, "principals"), 1)),
	    dev_id);
	ck_assert_uint_eq(count("SELECT extract(epoch FROM valid_before - valid_after)::bigint"
	    " FROM ssh_certificates WHERE id = $1", json_string_value(json_object_get(c, "id"))),
	    30 * 86400 + 300);
	ck_assert_uint_eq(count("SELECT count(*) FROM identities WHERE kind = 'ssh-host'"
	    " AND device_id = $1", dev_id), 1);
	ck_assert_uint_eq(count("SELECT count(*) FROM audit WHERE action = 'ssh_certificate.issue'"
	    " AND details->>'device_id' = $1", dev_id), 1);
	ck_assert_int_eq(sshca_ca_list(db, tenant, NULL, 0, &cas), MP_OK);
	ck_assert_uint_eq(json_array_size(cas), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(cas, 0), "name")), "host");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(cas, 0), "kind")), "host");
	ssh_keygen_list(st.dir, json_string_value(json_object_get(c, "certificate")), out,
	    sizeof(out));
	ck_assert_msg(strstr(out, "Type: ecdsa-sha2-nistp256-cert-v01@openssh.com host certificate")
	    != NULL, "%s", out);
	snprintf(want, sizeof(want), "Key ID: \"device=CS-0001 tenant=acme serial=%s id=%s "
	    "profile=ssh-device-host\"", json_string_value(json_object_get(c, "serial")),
	    json_string_value(json_object_get(c, "id")));
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	ck_assert_msg(strstr(out, "Critical Options: (none)") != NULL, "%s", out);

	in.ttl_s = 91 * 86400;
	json_decref(c);
	c = NULL;
	ck_assert_int_eq(sshca_issue_host(&env, &actor, &in, &c, &d), MP_ERR_POLICY);
	ck_assert_str_eq(d.field, "ttl");
	in.ttl_s = 0;
	ck_assert_int_eq(mp_device_set_status(db, &actor, tenant, dev_id, "suspended", NULL),
	    MP_OK);
	ck_assert_int_eq(sshca_issue_host(&env, &actor, &in, &c, &d), MP_ERR_POLICY);
	ck_assert_str_eq(d.field, "device");
	ck_assert_str_eq(d.message, "the device is suspended");
	in.device_id = "00000000-0000-0000-0000-000000000000";
	ck_assert_int_eq(sshca_issue_host(&env, &actor, &in, &c, &d), MP_ERR_NOT_FOUND);
	ck_assert_str_eq(d.field, "device");
	ck_assert_ptr_null(c);
	json_decref(cas);
	json_decref(dev);
	json_decref(attrs);
}
END_TEST

START_TEST(subjects_losing_their_status)
{
	sshca_env env = env_of(db);
	char alice[MP_UUID_STR_LEN + 1], bob[MP_UUID_STR_LEN + 1];
	json_t *dev = NULL, *c = NULL;
	mp_device_new nd = { 0 };
	sshca_host_req hin = { 0 };
	mp_user_patch suspend = { NULL, NULL, "suspended", NULL };
	mp_user_patch resume = { NULL, NULL, "active", NULL };
	mp_detail d = { "", "" };
	sshca_user_req in;

	new_user("alice", "technician", "{\"sites\": [\"site-a\"]}", alice);
	new_user("bob", "technician", "{\"sites\": [\"site-a\"]}", bob);
	for (int i = 0; i < 2; i++) {
		in = req_for(i == 0 ? alice : bob, 0);
		ck_assert_int_eq(sshca_issue_user(&env, &actor, &in, &c, &d), MP_OK);
		json_decref(c);
		ck_assert_int_eq(sshca_issue_user(&env, &actor, &in, &c, &d), MP_OK);
		json_decref(c);
	}
	nd.tenant_id = tenant;
	nd.serial = "CS-0009";
	ck_assert_int_eq(mp_device_create(db, &actor, &nd, &dev), MP_OK);
	hin.tenant_id = tenant;
	hin.device_id = json_string_value(json_object_get(dev, "id"));
	hin.public_key = ssh_samples[0].line;
	hin.public_key_len = strlen(ssh_samples[0].line);
	ck_assert_int_eq(sshca_issue_host(&env, &actor, &hin, &c, &d), MP_OK);
	json_decref(c);

	/* a suspended user loses its certificates for good; another user keeps its own */
	ck_assert_int_eq(mp_user_update(db, &actor, tenant, alice, &suspend, NULL), MP_OK);
	ck_assert_uint_eq(count("SELECT count(*) FROM ssh_certificates s JOIN identities i"
	    " ON i.id = s.id WHERE i.user_id = $1 AND s.revoked_at IS NOT NULL"
	    " AND i.status = 'revoked'", alice), 2);
	ck_assert_uint_eq(count("SELECT count(*) FROM audit WHERE action = 'ssh_certificate.revoke'"
	    " AND details->>'cause' = 'user'", NULL), 2);
	ck_assert_int_eq(mp_user_update(db, &actor, tenant, alice, &resume, NULL), MP_OK);
	ck_assert_uint_eq(count("SELECT count(*) FROM ssh_certificates s JOIN identities i"
	    " ON i.id = s.id WHERE i.user_id = $1 AND s.revoked_at IS NULL", alice), 0);
	ck_assert_uint_eq(count("SELECT count(*) FROM ssh_certificates s JOIN identities i"
	    " ON i.id = s.id WHERE i.user_id = $1 AND s.revoked_at IS NULL", bob), 2);
	/* a disabled user too */
	ck_assert_int_eq(mp_user_disable(db, &actor, tenant, bob), MP_OK);
	ck_assert_uint_eq(count("SELECT count(*) FROM ssh_certificates s JOIN identities i"
	    " ON i.id = s.id WHERE i.user_id = $1 AND s.revoked_at IS NULL", bob), 0);
	/* a suspended device */
	ck_assert_int_eq(mp_device_set_status(db, &actor, tenant, hin.device_id, "suspended",
	    NULL), MP_OK);
	ck_assert_uint_eq(count("SELECT count(*) FROM ssh_certificates s JOIN identities i"
	    " ON i.id = s.id WHERE i.device_id = $1 AND s.revoked_at IS NOT NULL",
	    hin.device_id), 1);
	ck_assert_uint_eq(count("SELECT count(*) FROM audit WHERE action = 'ssh_certificate.revoke'",
	    NULL), 5);
	ck_assert_int_eq(mp_identities_revoke_ssh(db, &actor, tenant, alice, hin.device_id),
	    MP_ERR_INVALID);
	json_decref(dev);
}
END_TEST

struct worker {
	const char *user_id;
	int r;
};

static void *
issue_thread(void *arg)
{
	struct worker *w = arg;
	mp_db *mine = pg_connect(st.conninfo);
	sshca_env env = env_of(mine);
	sshca_user_req in = req_for(w->user_id, 0);
	mp_detail d = { "", "" };
	json_t *c = NULL;

	w->r = sshca_issue_user(&env, &actor, &in, &c, &d);
	json_decref(c);
	mp_db_close(mine);
	return NULL;
}

START_TEST(first_use_concurrent)
{
	char users[4][MP_UUID_STR_LEN + 1], name[16];
	struct worker w[4];
	pthread_t th[4];

	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "tech%d", i);
		new_user(name, "technician", "{\"sites\": [\"site-a\"]}", users[i]);
		w[i].user_id = users[i];
	}
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, issue_thread, &w[i]), 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(w[i].r, MP_OK);
	}
	ck_assert_uint_eq(count("SELECT count(*) FROM ssh_cas", NULL), 1);
	ck_assert_uint_eq(count("SELECT count(*) FROM ssh_certificates", NULL), 4);
	ck_assert_uint_eq(count("SELECT count(DISTINCT serial) FROM ssh_certificates", NULL), 4);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("ssh_issue");
	TCase *tc = tcase_create("issuer");

	tcase_add_checked_fixture(tc, fixture_up, fixture_down);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, technician_certificate);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, cas_and_public_keys);
	tcase_add_test(tc, first_use_concurrent);
	tcase_add_test(tc, revocation_and_krl);
	tcase_add_test(tc, krl_refuses_unsorted);
	tcase_add_test(tc, later_start);
	tcase_add_test(tc, revocation_by_key_id_and_public_key);
	tcase_add_test(tc, key_rotation);
	tcase_add_test(tc, host_certificate);
	tcase_add_test(tc, subjects_losing_their_status);
	suite_add_tcase(s, tc);
	return s;
}
