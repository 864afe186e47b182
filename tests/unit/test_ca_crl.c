/*
 * CRL generation against a throwaway PostgreSQL (with-pg.sh): a CA made the
 * test way (a key store key, a self-signed certificate built here, a cas row),
 * certificates inserted and revoked, held and resumed by SQL as the issuer
 * does; full and delta CRLs checked with `openssl crl` and `openssl verify
 * -crl_check [-use_deltas]` on files; the refusals; and the CRL service
 * reacting to a notification.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "check_main.h"
#include "crl.h"
#include "crl_service.h"
#include "err.h"
#include "keystore.h"
#include "num.h"
#include "pg_harness.h"

static const mp_actor actor = { "user", "crl-test", NULL };

/* One database with a tenant, device, profile and CA, and files for openssl. */
struct fx {
	char dir[64];
	char conninfo[600];
	mp_keystore *ks;
	mp_db *db;
	mp_key *key;
	X509 *ca;
	char ca_id[MP_UUID_STR_LEN + 1];
	char tenant[MP_UUID_STR_LEN + 1];
	char device[MP_UUID_STR_LEN + 1];
	char profile[MP_UUID_STR_LEN + 1];
};

static struct fx f;

/* The first value of the one row sql returns, copied into out. */
static void
row_value(const char *sql, int n, const char *const *params, char *out, size_t outsz)
{
	PGresult *res = NULL;

	ck_assert_msg(mp_db_query_row(f.db, sql, n, params, &res) == MP_OK, "%s: %s", sql,
	    mp_db_errmsg(f.db));
	ck_assert_uint_lt(strlen(PQgetvalue(res, 0, 0)), outsz);
	memcpy(out, PQgetvalue(res, 0, 0), strlen(PQgetvalue(res, 0, 0)) + 1);
	PQclear(res);
}

static void
exec_sql(const char *sql, int n, const char *const *params)
{
	ck_assert_msg(mp_db_query(f.db, sql, n, params, NULL) == MP_OK, "%s: %s", sql,
	    mp_db_errmsg(f.db));
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	ck_assert_ptr_nonnull(ext);
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A certificate for pub named cn, signed by the CA key (self-signed when issuer is NULL). */
static X509 *
make_cert(const char *cn, EVP_PKEY *pub, X509 *issuer, const uint8_t *serial, size_t serial_len,
    long not_after_s)
{
	X509 *x = X509_new();
	BIGNUM *bn = BN_bin2bn(serial, (int)serial_len, NULL);

	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(bn);
	ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
	ck_assert_ptr_nonnull(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	BN_free(bn);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x)), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), not_after_s);
	ck_assert_int_eq(X509_set_pubkey(x, pub), 1);
	add_ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash");
	if (issuer == NULL) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
		add_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
	}
	ck_assert_int_eq(mp_key_sign_x509(f.key, x), MP_OK);
	return x;
}

static void
write_pem_cert(const char *name, X509 *x)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f.dir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_int_eq(PEM_write_X509(fp, x), 1);
	fclose(fp);
}

/* Stores a CA certificate's DER as a bytea parameter and inserts the cas row. */
static void
insert_ca(X509 *x, const char *key_id, const char *role, char id[MP_UUID_STR_LEN + 1])
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);
	char *hex = NULL;

	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(mp_db_bytea_param(der, (size_t)len, &hex), MP_OK);
	row_value("INSERT INTO cas (tenant_id, name, key_id, certificate, subject, not_before,"
	    " not_after, role, self_signed) VALUES ($1, $2, $3, $4, 'CN=Test CRL CA', now() - interval '1 hour',"
	    " now() + interval '10 years', $5, true) RETURNING id", 5,
	    (const char *[]){ f.tenant, key_id ? "crl-ca" : "trusted-ca", key_id, hex, role },
	    id, MP_UUID_STR_LEN + 1);
	free(hex);
	OPENSSL_free(der);
}

static void
setup(void)
{
	mp_keystore_config kc = { NULL, NULL, 0, NULL };
	char master[128], err[256], key_id[MP_UUID_STR_LEN + 1];
	mp_key_spec spec;
	EVP_PKEY *pub;

	memset(&f, 0, sizeof(f));
	snprintf(f.dir, sizeof(f.dir), "/tmp/mp-crl-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f.dir));
	snprintf(master, sizeof(master), "%s/master.key", f.dir);
	kc.master_key_file = master;
	ck_assert_msg(mp_keystore_open(&kc, &f.ks, err, sizeof(err)) == MP_OK, "%s", err);
	snprintf(f.conninfo, sizeof(f.conninfo), "%s", pg_fresh_database("crl_test"));
	f.db = pg_connect_migrated(f.conninfo);

	row_value("INSERT INTO tenants (name) VALUES ('acme') RETURNING id", 0, NULL, f.tenant,
	    sizeof(f.tenant));
	row_value("INSERT INTO devices (tenant_id, serial) VALUES ($1, 'WB-1') RETURNING id", 1,
	    (const char *[]){ f.tenant }, f.device, sizeof(f.device));
	row_value("INSERT INTO profiles (tenant_id, name, kind) VALUES ($1, 'dev', 'x509')"
	    " RETURNING id", 1, (const char *[]){ f.tenant }, f.profile, sizeof(f.profile));

	ck_assert_int_eq(mp_key_spec_parse("ec-p256", &spec), MP_OK);
	ck_assert_int_eq(mp_key_generate(f.ks, f.db, &actor, "software", &spec, "crl CA", key_id),
	    MP_OK);
	ck_assert_int_eq(mp_key_load(f.ks, f.db, key_id, &f.key), MP_OK);
	pub = mp_key_public(f.key);
	f.ca = make_cert("Test CRL CA", pub, NULL, (const uint8_t *)"\x01", 1, 10L * 365 * 86400);
	EVP_PKEY_free(pub);
	insert_ca(f.ca, key_id, "ca", f.ca_id);
	write_pem_cert("ca.pem", f.ca);
}

static void
teardown(void)
{
	char cmd[128];

	X509_free(f.ca);
	mp_key_release(f.key);
	mp_db_close(f.db);
	mp_keystore_free(f.ks);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f.dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A leaf certificate of the CA with its certificates and identities rows; written to <name>.pem. */
static void
issue_leaf(const char *name, uint8_t serial_first, long not_after_s, char id[MP_UUID_STR_LEN + 1])
{
	uint8_t serial[16];
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	unsigned char *der = NULL;
	char *der_hex = NULL, *serial_hex = NULL, file[64], after[24];
	X509 *x;
	int len;

	ck_assert_ptr_nonnull(k);
	memset(serial, 0x5a, sizeof(serial));
	serial[0] = serial_first; /* a high bit here must still give a positive serial */
	x = make_cert(name, k, f.ca, serial, sizeof(serial), not_after_s);
	len = i2d_X509(x, &der);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(mp_db_bytea_param(der, (size_t)len, &der_hex), MP_OK);
	ck_assert_int_eq(mp_db_bytea_param(serial, sizeof(serial), &serial_hex), MP_OK);
	snprintf(after, sizeof(after), "%ld", not_after_s);
	row_value("INSERT INTO identities (tenant_id, kind, device_id, profile_id, status,"
	    " not_before, not_after) VALUES ($1, 'x509', $2, $3, 'active', now() - interval '1 hour',"
	    " now() + make_interval(secs => $4::bigint)) RETURNING id", 4,
	    (const char *[]){ f.tenant, f.device, f.profile, after }, id, MP_UUID_STR_LEN + 1);
	exec_sql("INSERT INTO certificates (id, tenant_id, ca_id, serial, der, subject, not_before,"
	    " not_after) VALUES ($1, $2, $3, $4, $5, $6, now() - interval '1 hour',"
	    " now() + make_interval(secs => $7::bigint))", 7,
	    (const char *[]){ id, f.tenant, f.ca_id, serial_hex, der_hex, name, after });
	snprintf(file, sizeof(file), "%s.pem", name);
	write_pem_cert(file, x);
	free(der_hex);
	free(serial_hex);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(k);
}

/*
 * A revocation change as the issuer makes it: under a share lock on the CA
 * row, with the clock stamp and the notification. reason NULL resumes.
 */
static void
set_status(const char *cert_id, const char *reason, const char *invalidity)
{
	const char *status = reason == NULL ? "active" :
	    strcmp(reason, "certificateHold") == 0 ? "suspended" : "revoked";

	ck_assert_int_eq(mp_db_exec(f.db, "BEGIN"), MP_OK);
	exec_sql("SELECT id FROM cas WHERE id = $1 FOR SHARE", 1, (const char *[]){ f.ca_id });
	exec_sql("UPDATE certificates SET revoked_at = CASE WHEN $2::text IS NULL THEN NULL"
	    " ELSE now() END, reason = $2, invalidity_date = $3::timestamptz,"
	    " status_changed_at = clock_timestamp() WHERE id = $1", 3,
	    (const char *[]){ cert_id, reason, invalidity });
	exec_sql("UPDATE identities SET status = $2 WHERE id = $1", 2,
	    (const char *[]){ cert_id, status });
	exec_sql("SELECT pg_notify('midpki_crl', $1)", 1, (const char *[]){ f.ca_id });
	ck_assert_int_eq(mp_db_exec(f.db, "COMMIT"), MP_OK);
}

static json_t *
generate(bool delta, int64_t validity)
{
	ca_env env = { f.db, f.ks, "http://pki.example:8080/", "software", NULL };
	json_t *out = NULL;
	int r = ca_crl_generate(&env, f.ca_id, delta, validity, &out);

	ck_assert_msg(r == MP_OK, "%s: %s", mp_strerror(r), mp_db_errmsg(f.db));
	ck_assert_ptr_nonnull(out);
	return out;
}

/* The stored CRL, written as <name>.der and <name>.pem; returns it parsed. */
static X509_CRL *
fetch_crl(bool delta, const char *name)
{
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	int64_t tu = 0, nu = 0;
	X509_CRL *crl;
	char path[128];
	FILE *fp;

	ck_assert_int_eq(ca_crl_fetch(f.db, f.ca_id, delta, &der, &len, &tu, &nu), MP_OK);
	ck_assert_int_eq(nu - tu, delta ? 3600 : 86400);
	ck_assert_int_le(llabs((long long)(tu - (int64_t)time(NULL))), 5);
	p = der;
	ck_assert_ptr_nonnull(crl = d2i_X509_CRL(NULL, &p, (long)len));
	snprintf(path, sizeof(path), "%s/%s.der", f.dir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(der, 1, len, fp), len);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/%s.pem", f.dir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_int_eq(PEM_write_X509_CRL(fp, crl), 1);
	fclose(fp);
	free(der);
	return crl;
}

/* Runs a shell command in the test directory; returns its output (stdout and stderr). */
__attribute__((format(printf, 1, 2))) static char *
run(const char *fmt, ...)
{
	char cmd[1024], *out = calloc(1, 65536);
	size_t n = 0, got;
	va_list ap;
	FILE *p;

	ck_assert_ptr_nonnull(out);
	snprintf(cmd, sizeof(cmd), "cd %s && ", f.dir);
	va_start(ap, fmt);
	vsnprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), fmt, ap);
	va_end(ap);
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " 2>&1");
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	while ((got = fread(out + n, 1, 65535 - n, p)) > 0)
		n += got;
	pclose(p);
	return out;
}

/* openssl verify of leaf <name>.pem against the CA and crls: "OK" or "revoked". */
static void
expect_verify(const char *name, const char *crl_args, bool revoked)
{
	char *out = run("openssl verify -crl_check %s -CAfile ca.pem %s.pem", crl_args, name);
	char expect[128];

	if (revoked) {
		ck_assert_msg(strstr(out, "error 23 at 0 depth lookup: certificate revoked\n") != NULL,
		    "%s with %s: %s", name, crl_args, out);
		snprintf(expect, sizeof(expect), "error %s.pem: verification failed\n", name);
		ck_assert_msg(strstr(out, expect) != NULL, "%s: %s", name, out);
	} else {
		snprintf(expect, sizeof(expect), "%s.pem: OK\n", name);
		ck_assert_msg(strcmp(out, expect) == 0, "%s with %s: %s", name, crl_args, out);
	}
	free(out);
}

static uint64_t
int_ext(const X509_CRL *crl, int nid)
{
	ASN1_INTEGER *ai = X509_CRL_get_ext_d2i(crl, nid, NULL, NULL);
	uint64_t v = 0;

	ck_assert_ptr_nonnull(ai);
	ck_assert_int_eq(ASN1_INTEGER_get_uint64(&v, ai), 1);
	ASN1_INTEGER_free(ai);
	return v;
}

static void
expect_contains(const char *text, const char *needle)
{
	ck_assert_msg(strstr(text, needle) != NULL, "'%s' not in:\n%s", needle, text);
}

START_TEST(full_and_delta_with_openssl)
{
	char a[MP_UUID_STR_LEN + 1], b[MP_UUID_STR_LEN + 1], c[MP_UUID_STR_LEN + 1];
	char d[MP_UUID_STR_LEN + 1], e[MP_UUID_STR_LEN + 1], n[24];
	json_t *out;
	X509_CRL *crl;
	char *text;

	issue_leaf("leafA", 0x9a, 86400, a);
	issue_leaf("leafB", 0x1b, 86400, b);
	issue_leaf("leafC", 0x2c, 86400, c);
	issue_leaf("leafD", 0x3d, 86400, d);
	issue_leaf("leafE", 0x4e, -60, e); /* already expired: dropped from CRLs */
	set_status(a, "keyCompromise", "2026-01-02 03:04:05+00");
	set_status(b, "certificateHold", NULL);
	set_status(e, "superseded", NULL);

	out = generate(false, 86400);
	ck_assert_int_eq(json_integer_value(json_object_get(out, "crl_number")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(out, "entries")), 2);
	ck_assert(json_is_false(json_object_get(out, "delta")));
	ck_assert(json_is_null(json_object_get(out, "base_crl_number")));
	ck_assert_str_eq(json_string_value(json_object_get(out, "ca_id")), f.ca_id);
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(out, "this_update"))), 20);
	json_decref(out);
	crl = fetch_crl(false, "full1");
	ck_assert_uint_eq(int_ext(crl, NID_crl_number), 1);
	X509_CRL_free(crl);
	row_value("SELECT crl_number || ' ' || base_crl_number FROM cas WHERE id = $1", 1,
	    (const char *[]){ f.ca_id }, n, sizeof(n));
	ck_assert_str_eq(n, "1 1");

	text = run("openssl crl -inform DER -in %s.der -noout -text", "full1");
	expect_contains(text, "Version 2 (0x1)");
	expect_contains(text, "Issuer: CN = Test CRL CA");
	expect_contains(text, "X509v3 Authority Key Identifier:");
	expect_contains(text, "X509v3 CRL Number: \n                1\n");
	expect_contains(text, "X509v3 Freshest CRL: \n                Full Name:\n"
	    "                  URI:http://pki.example:8080/crl/");
	expect_contains(text, "-delta.crl\n");
	expect_contains(text, "Serial Number: 9A5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A\n");
	expect_contains(text, "X509v3 CRL Reason Code: \n                Key Compromise\n");
	expect_contains(text, "Invalidity Date: \n                Jan  2 03:04:05 2026 GMT\n");
	expect_contains(text, "Serial Number: 1B5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A\n");
	expect_contains(text, "Certificate Hold\n");
	ck_assert_ptr_null(strstr(text, "4E5A5A5A"));
	ck_assert_ptr_null(strstr(text, "Delta CRL Indicator"));
	free(text);

	expect_verify("leafA", "-CRLfile full1.pem", true);
	expect_verify("leafB", "-CRLfile full1.pem", true);
	expect_verify("leafC", "-CRLfile full1.pem", false);
	expect_verify("leafD", "-CRLfile full1.pem", false);

	/* the delta lists exactly the changes after the base: B resumed, C revoked */
	set_status(b, NULL, NULL);
	set_status(c, "superseded", NULL);
	out = generate(true, 3600);
	ck_assert_int_eq(json_integer_value(json_object_get(out, "crl_number")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(out, "base_crl_number")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(out, "entries")), 2);
	ck_assert(json_is_true(json_object_get(out, "delta")));
	json_decref(out);
	crl = fetch_crl(true, "delta2");
	ck_assert_uint_eq(int_ext(crl, NID_crl_number), 2);
	ck_assert_uint_eq(int_ext(crl, NID_delta_crl), 1);
	X509_CRL_free(crl);

	text = run("openssl crl -inform DER -in %s.der -noout -text", "delta2");
	expect_contains(text, "X509v3 CRL Number: \n                2\n");
	expect_contains(text, "X509v3 Delta CRL Indicator: critical\n                1\n");
	expect_contains(text, "Serial Number: 1B5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A\n");
	expect_contains(text, "Remove From CRL\n");
	expect_contains(text, "Serial Number: 2C5A5A5A5A5A5A5A5A5A5A5A5A5A5A5A\n");
	expect_contains(text, "Superseded\n");
	ck_assert_ptr_null(strstr(text, "Freshest CRL"));
	/* A stays revoked: the delta does not take it off */
	ck_assert_ptr_null(strstr(text, "9A5A5A5A"));
	free(text);

	/* the full CRL alone still says B is held and knows nothing of C */
	expect_verify("leafB", "-CRLfile full1.pem", true);
	expect_verify("leafC", "-CRLfile full1.pem", false);
	/*
	 * with the delta: B resumed, C revoked, D good. (A is checked on the delta's text
	 * above: OpenSSL may take a delta a second newer than the full CRL as the base
	 * itself, and then knows nothing of A.)
	 */
	expect_verify("leafB", "-use_deltas -CRLfile full1.pem -CRLfile delta2.pem", false);
	expect_verify("leafC", "-use_deltas -CRLfile full1.pem -CRLfile delta2.pem", true);
	expect_verify("leafD", "-use_deltas -CRLfile full1.pem -CRLfile delta2.pem", false);

	/* a new full CRL takes the next number and becomes the base of the next delta */
	out = generate(false, 86400);
	ck_assert_int_eq(json_integer_value(json_object_get(out, "crl_number")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(out, "entries")), 2);
	json_decref(out);
	out = generate(true, 3600);
	ck_assert_int_eq(json_integer_value(json_object_get(out, "crl_number")), 4);
	ck_assert_int_eq(json_integer_value(json_object_get(out, "base_crl_number")), 3);
	json_decref(out);
	crl = fetch_crl(true, "delta4");
	ck_assert_uint_eq(int_ext(crl, NID_delta_crl), 3);
	X509_CRL_free(crl);
	crl = fetch_crl(false, "full3");
	ck_assert_uint_eq(int_ext(crl, NID_crl_number), 3);
	X509_CRL_free(crl);
	expect_verify("leafB", "-CRLfile full3.pem", false);
	expect_verify("leafC", "-CRLfile full3.pem", true);
	expect_verify("leafA", "-use_deltas -CRLfile full3.pem -CRLfile delta4.pem", true);
	expect_verify("leafD", "-use_deltas -CRLfile full3.pem -CRLfile delta4.pem", false);
	row_value("SELECT crl_number || ' ' || base_crl_number FROM cas WHERE id = $1", 1,
	    (const char *[]){ f.ca_id }, n, sizeof(n));
	ck_assert_str_eq(n, "4 3");
	/* generating is not a user change: no audit entry beyond the key's creation */
	ck_assert_uint_eq(pg_scalar_u64(f.db, "SELECT count(*) FROM audit WHERE action NOT LIKE 'key.%'",
	    0, NULL), 0);
}
END_TEST

START_TEST(refusals_and_reads)
{
	ca_env env = { f.db, f.ks, "", "software", NULL };
	char trusted[MP_UUID_STR_LEN + 1];
	uint8_t *der = NULL;
	unsigned char *ca_der = NULL;
	size_t len = 0;
	int64_t tu = 0, nu = 0;
	json_t *out = NULL;
	X509_CRL *crl;
	int ca_len;

	/* a delta needs a base */
	ck_assert_int_eq(ca_crl_generate(&env, f.ca_id, true, 3600, &out), MP_ERR_CONFLICT);
	ck_assert_int_eq(ca_crl_fetch(f.db, f.ca_id, false, &der, &len, &tu, &nu), MP_ERR_NOT_FOUND);
	ck_assert_int_eq(ca_crl_generate(&env, "00000000-0000-0000-0000-000000000000", false, 60,
	    &out), MP_ERR_NOT_FOUND);
	ck_assert_int_eq(ca_crl_generate(&env, "not-a-uuid", false, 60, &out), MP_ERR_NOT_FOUND);
	ck_assert_int_eq(ca_crl_generate(&env, f.ca_id, false, 0, &out), MP_ERR_INVALID);
	ck_assert_ptr_null(out);
	/* a CA we only trust has no key and gets no CRL */
	insert_ca(f.ca, NULL, "trusted", trusted);
	ck_assert_int_eq(ca_crl_generate(&env, trusted, false, 60, &out), MP_ERR_UNSUPPORTED);
	ck_assert_ptr_null(out);
	ck_assert_uint_eq(pg_scalar_u64(f.db, "SELECT count(*) FROM crls", 0, NULL), 0);
	ck_assert_uint_eq(pg_scalar_u64(f.db, "SELECT crl_number FROM cas WHERE id = $1", 1,
	    (const char *[]){ f.ca_id }), 0);

	/* a retired CA still gets CRLs; without a public URL there is no Freshest CRL */
	exec_sql("UPDATE cas SET status = 'retired' WHERE id = $1", 1, (const char *[]){ f.ca_id });
	ck_assert_int_eq(ca_crl_generate(&env, f.ca_id, false, 86400, &out), MP_OK);
	json_decref(out);
	crl = fetch_crl(false, "full");
	ck_assert_ptr_null(X509_CRL_get_ext_d2i(crl, NID_freshest_crl, NULL, NULL));
	ck_assert_ptr_null(X509_CRL_get_REVOKED(crl));
	X509_CRL_free(crl);

	ck_assert_int_eq(ca_crl_fetch(f.db, f.ca_id, true, &der, &len, &tu, &nu), MP_ERR_NOT_FOUND);
	ck_assert_int_eq(ca_crl_fetch(f.db, "x", false, &der, &len, &tu, &nu), MP_ERR_NOT_FOUND);
	ck_assert_ptr_null(der);

	ck_assert_int_eq(ca_cert_der_fetch(f.db, f.ca_id, &der, &len), MP_OK);
	ca_len = i2d_X509(f.ca, &ca_der);
	ck_assert_uint_eq(len, (size_t)ca_len);
	ck_assert_int_eq(memcmp(der, ca_der, len), 0);
	free(der);
	der = NULL;
	OPENSSL_free(ca_der);
	ck_assert_int_eq(ca_cert_der_fetch(f.db, "00000000-0000-0000-0000-000000000000", &der,
	    &len), MP_ERR_NOT_FOUND);
	ck_assert_int_eq(ca_cert_der_fetch(f.db, "../../etc", &der, &len), MP_ERR_NOT_FOUND);
	ck_assert_ptr_null(der);
}
END_TEST

/* The largest crl_number of the CA's delta CRL, or 0 when there is none. */
static uint64_t
delta_number(void)
{
	return pg_scalar_u64(f.db, "SELECT coalesce(max(crl_number), 0) FROM crls"
	    " WHERE ca_id = $1 AND delta", 1, (const char *[]){ f.ca_id });
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(service_follows_changes)
{
	ca_crl_service_config cfg = { f.conninfo, 5000, f.ks, "http://pki.example:8080", 86400000,
		3600000, 200 };
	ca_crl_service *svc = NULL;
	char a[MP_UUID_STR_LEN + 1], b[MP_UUID_STR_LEN + 1];
	uint64_t before;
	int revoked = 0;
	double t0;
	X509_CRL *crl;

	issue_leaf("leafA", 0x11, 86400, a);
	ck_assert_int_eq(ca_crl_service_start(&cfg, &svc), MP_OK);
	/* the schedule makes the first full CRL and a delta on it */
	for (t0 = now_s(); delta_number() == 0 && now_s() - t0 < 10;)
		usleep(50000);
	ck_assert_uint_eq(delta_number(), 2);
	ck_assert_uint_eq(pg_scalar_u64(f.db, "SELECT crl_number FROM crls WHERE ca_id = $1"
	    " AND NOT delta", 1, (const char *[]){ f.ca_id }), 1);

	/* a revocation notifies; the delta follows within about a second */
	before = delta_number();
	t0 = now_s();
	set_status(a, "keyCompromise", NULL);
	while (delta_number() == before && now_s() - t0 < 5)
		usleep(20000);
	ck_assert_msg(now_s() - t0 < 2.5, "delta came after %.2f s", now_s() - t0);
	crl = fetch_crl(true, "delta");
	ck_assert_int_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), 1);
	X509_CRL_free(crl);

	/* the service's session dies; it reconnects, LISTENs again and catches up */
	issue_leaf("leafB", 0x22, 86400, b);
	ck_assert_uint_eq(pg_scalar_u64(f.db, "SELECT count(pg_terminate_backend(pid))"
	    " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
	    0, NULL), 1);
	set_status(b, "cessationOfOperation", NULL);
	for (t0 = now_s(); now_s() - t0 < 10; usleep(50000)) {
		crl = fetch_crl(true, "delta");
		revoked = sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl));
		X509_CRL_free(crl);
		if (revoked == 2)
			break;
	}
	ck_assert_int_eq(revoked, 2);
	before = delta_number();
	set_status(a, "keyCompromise", NULL);
	for (t0 = now_s(); delta_number() == before && now_s() - t0 < 5;)
		usleep(20000);
	ck_assert_msg(now_s() - t0 < 2.5, "delta after reconnection came after %.2f s", now_s() - t0);

	t0 = now_s();
	ca_crl_service_stop(svc);
	ck_assert_msg(now_s() - t0 < 1.0, "stop took %.2f s", now_s() - t0);
	ca_crl_service_stop(NULL);
}
END_TEST

START_TEST(service_refuses_bad_config)
{
	ca_crl_service_config cfg = { f.conninfo, 5000, f.ks, "", 0, 3600000, 0 };
	ca_crl_service *svc = NULL;

	ck_assert_int_eq(ca_crl_service_start(&cfg, &svc), MP_ERR_INVALID);
	cfg.full_validity_ms = 86400000;
	cfg.ks = NULL;
	ck_assert_int_eq(ca_crl_service_start(&cfg, &svc), MP_ERR_INVALID);
	ck_assert_ptr_null(svc);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("ca_crl");
	TCase *tc = tcase_create("crl");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, full_and_delta_with_openssl);
	tcase_add_test(tc, refusals_and_reads);
	tcase_add_test(tc, service_follows_changes);
	tcase_add_test(tc, service_refuses_bad_config);
	suite_add_tcase(s, tc);
	return s;
}
