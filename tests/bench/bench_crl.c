/*
 * CRL benchmark: one CA with N (default 100,000) revoked certificates, then
 * ca_crl_generate of the full CRL (database fetch, building, signing with the
 * key store, storing) timed a few times, and one delta. Prints figures; it
 * asserts nothing about speed. Run by tests/bench/crl.sh, which starts a
 * throwaway PostgreSQL and sets MIDPKI_TEST_DATABASE_URL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "crl.h"
#include "db.h"
#include "err.h"
#include "keystore.h"
#include "migrate.h"
#include "num.h"

#define RUNS 3

static const mp_actor actor = { "system", "bench", NULL };

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
fail(const char *what, int r, mp_db *db)
{
	fprintf(stderr, "bench_crl: %s: %s%s%s\n", what, mp_strerror(r), db ? ": " : "",
	    db ? mp_db_errmsg(db) : "");
	return 1;
}

/* The first column of the one row sql returns, copied into out (37 bytes). */
static int
one_value(mp_db *db, const char *sql, int n, const char *const *params, char *out)
{
	PGresult *res = NULL;
	int r = mp_db_query_row(db, sql, n, params, &res);

	if (r == MP_OK) {
		snprintf(out, MP_UUID_STR_LEN + 1, "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	return r;
}

/* A self-signed CA certificate for key, as DER in a bytea parameter. */
static int
ca_cert_param(mp_key *key, char **hex)
{
	X509 *x = X509_new();
	EVP_PKEY *pub = mp_key_public(key);
	X509V3_CTX ctx;
	X509_EXTENSION *ext = NULL;
	unsigned char *der = NULL;
	int len, r = MP_ERR_CRYPTO;

	if (x == NULL || pub == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
		(const unsigned char *)"Bench CA", -1, -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(x)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 3650) || !X509_set_pubkey(x, pub))
		goto out;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash")) == NULL ||
	    !X509_add_ext(x, ext, -1))
		goto out;
	if ((r = mp_key_sign_x509(key, x)) != MP_OK)
		goto out;
	if ((len = i2d_X509(x, &der)) <= 0) {
		r = MP_ERR_CRYPTO;
		goto out;
	}
	r = mp_db_bytea_param(der, (size_t)len, hex);
out:
	OPENSSL_free(der);
	X509_EXTENSION_free(ext);
	EVP_PKEY_free(pub);
	X509_free(x);
	return r;
}

int
main(int argc, char **argv)
{
	const char *url = getenv("MIDPKI_TEST_DATABASE_URL");
	char dir[] = "/tmp/midpki-bench-crl.XXXXXX", master[64], err[256], nbuf[24];
	char key_id[MP_UUID_STR_LEN + 1], tenant[MP_UUID_STR_LEN + 1];
	char device[MP_UUID_STR_LEN + 1], profile[MP_UUID_STR_LEN + 1], ca[MP_UUID_STR_LEN + 1];
	mp_keystore_config kc = { master, NULL, 0, NULL };
	mp_keystore *ks = NULL;
	mp_db *db = NULL;
	mp_key *key = NULL;
	mp_key_spec spec;
	json_t *out = NULL;
	char *cert = NULL;
	uint64_t n = 100000;
	double t, best = 1e9;
	ca_env env;
	int r, rc = 1;

	if (argc > 1 && mp_parse_u64(argv[1], 10000000, &n) != MP_OK) {
		fprintf(stderr, "usage: bench_crl [ENTRIES] (run by tests/bench/crl.sh)\n");
		return 2;
	}
	if (url == NULL || mkdtemp(dir) == NULL) {
		fprintf(stderr, "bench_crl: needs MIDPKI_TEST_DATABASE_URL (run tests/bench/crl.sh)\n");
		return 2;
	}
	snprintf(master, sizeof(master), "%s/master.key", dir);
	snprintf(nbuf, sizeof(nbuf), "%llu", (unsigned long long)n);
	if (mp_keystore_open(&kc, &ks, err, sizeof(err)) != MP_OK) {
		fprintf(stderr, "bench_crl: key store: %s\n", err);
		goto out;
	}
	if ((r = mp_db_connect(url, 5000, &db, err, sizeof(err))) != MP_OK) {
		fprintf(stderr, "bench_crl: %s\n", err);
		goto out;
	}
	if ((r = mp_db_migrate(db, NULL, err, sizeof(err))) != MP_OK) {
		fprintf(stderr, "bench_crl: migrate: %s\n", err);
		goto out;
	}
	mp_key_spec_parse("ec-p256", &spec);
	if ((r = mp_key_generate(ks, db, &actor, "software", &spec, "bench CA", key_id)) != MP_OK ||
	    (r = mp_key_load(ks, db, key_id, &key)) != MP_OK ||
	    (r = ca_cert_param(key, &cert)) != MP_OK) {
		rc = fail("CA key", r, db);
		goto out;
	}
	if ((r = one_value(db, "INSERT INTO tenants (name) VALUES ('bench') RETURNING id", 0, NULL,
	    tenant)) != MP_OK ||
	    (r = one_value(db, "INSERT INTO devices (tenant_id, serial) VALUES ($1, 'B-1')"
	    " RETURNING id", 1, (const char *[]){ tenant }, device)) != MP_OK ||
	    (r = one_value(db, "INSERT INTO profiles (tenant_id, name, kind) VALUES ($1, 'b', 'x509')"
	    " RETURNING id", 1, (const char *[]){ tenant }, profile)) != MP_OK ||
	    (r = one_value(db, "INSERT INTO cas (tenant_id, name, key_id, certificate, subject,"
	    " not_before, not_after, self_signed) VALUES ($1, 'bench', $2, $3, 'CN=Bench CA', now(),"
	    " now() + interval '10 years', true) RETURNING id", 3,
	    (const char *[]){ tenant, key_id, cert }, ca)) != MP_OK) {
		rc = fail("set-up rows", r, db);
		goto out;
	}
	t = now_s();
	r = mp_db_query(db,
	    "WITH ids AS (INSERT INTO identities (tenant_id, kind, device_id, profile_id, status)"
	    " SELECT $1, 'x509', $2, $3, 'revoked' FROM generate_series(1, $5::int) RETURNING id)"
	    " INSERT INTO certificates (id, tenant_id, ca_id, serial, der, subject, not_before,"
	    " not_after, revoked_at, reason, invalidity_date, status_changed_at)"
	    " SELECT id, $1, $4, decode(md5(id::text), 'hex'), '\\x30', 'CN=bench', now(),"
	    " now() + interval '1 year', now() - interval '1 hour',"
	    " (ARRAY['keyCompromise', 'superseded', 'unspecified', 'certificateHold'])"
	    "[1 + (random() * 3)::int], CASE WHEN random() < 0.1 THEN now() - interval '1 day' END,"
	    " clock_timestamp() FROM ids", 5,
	    (const char *[]){ tenant, device, profile, ca, nbuf }, NULL);
	if (r != MP_OK || (r = mp_db_exec(db, "ANALYZE certificates")) != MP_OK) {
		rc = fail("inserting revoked certificates", r, db);
		goto out;
	}
	printf("inserted %llu revoked certificates in %.2f s\n", (unsigned long long)n,
	    now_s() - t);
	env = (ca_env){ db, ks, "http://127.0.0.1:8080", "software", NULL };
	for (int i = 0; i < RUNS; i++) {
		t = now_s();
		if ((r = ca_crl_generate(&env, ca, false, 86400, &out)) != MP_OK) {
			rc = fail("full CRL", r, db);
			goto out;
		}
		t = now_s() - t;
		best = t < best ? t : best;
		printf("full CRL %lld: %lld entries in %.3f s\n",
		    (long long)json_integer_value(json_object_get(out, "crl_number")),
		    (long long)json_integer_value(json_object_get(out, "entries")), t);
		json_decref(out);
		out = NULL;
	}
	if ((r = mp_db_query(db, "UPDATE certificates SET status_changed_at = clock_timestamp(),"
	    " reason = 'keyCompromise' WHERE id IN (SELECT id FROM certificates LIMIT 100)", 0, NULL,
	    NULL)) != MP_OK) {
		rc = fail("changes for the delta", r, db);
		goto out;
	}
	t = now_s();
	if ((r = ca_crl_generate(&env, ca, true, 3600, &out)) != MP_OK) {
		rc = fail("delta CRL", r, db);
		goto out;
	}
	printf("delta CRL: %lld entries in %.3f s\n",
	    (long long)json_integer_value(json_object_get(out, "entries")), now_s() - t);
	printf("CRL of %llu entries (fetch, build, sign, store): best %.3f s of %d\n",
	    (unsigned long long)n, best, RUNS);
	rc = 0;
out:
	json_decref(out);
	free(cert);
	mp_key_release(key);
	mp_db_close(db);
	mp_keystore_free(ks);
	unlink(master);
	rmdir(dir);
	return rc;
}
