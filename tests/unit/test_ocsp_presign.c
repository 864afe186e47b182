/*
 * The OCSP pre-signing service (ocsp/presign.c) and the per-CA delegated
 * signers (ca_ocsp_signer_get) against a throwaway PostgreSQL (with-pg.sh):
 * certificates issued through the issuer, passes run synchronously, every
 * stored core assembled with its signer and checked by OpenSSL
 * (OCSP_basic_verify, OCSP_resp_find_status with OCSP_cert_to_id's CertID);
 * revocation, hold and release; spread due times; two passes at once; the
 * notifications; signer rotation, retired and trusted-only CAs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "ca_harness.h"
#include "check_main.h"
#include "devices.h"
#include "engine.h"
#include "err.h"
#include "keystore.h"
#include "num.h"
#include "pg_harness.h"
#include "presign.h"
#include "response.h"
#include "secure.h"
#include "tenants.h"

#define VALIDITY_MS (24 * 3600 * 1000ULL)
#define REFRESH_MS (12 * 3600 * 1000ULL)
#define MAX_CERTS 256

static const mp_actor actor = { "user", "presign-test", NULL };

static struct {
	char dir[64];
	char conninfo[600];
	mp_keystore *ks;
	mp_db *db;
	ca_env env;
	char tenant[MP_UUID_STR_LEN + 1];
	char device[MP_UUID_STR_LEN + 1];
	char devices_ca[MP_UUID_STR_LEN + 1];
	char root_ca[MP_UUID_STR_LEN + 1];
	X509 *devices, *root;
	char *csr;
	size_t n;
	char ids[MAX_CERTS][MP_UUID_STR_LEN + 1];
	X509 *certs[MAX_CERTS];
} f;

static void
exec_sql(mp_db *db, const char *sql, int n, const char *const *params)
{
	ck_assert_msg(mp_db_query(db, sql, n, params, NULL) == MP_OK, "%s: %s", sql,
	    mp_db_errmsg(db));
}

/* The first value of the one row sql returns, copied into out. */
static void
row_value(const char *sql, int n, const char *const *params, char *out, size_t outsz)
{
	PGresult *res = NULL;

	ck_assert_msg(mp_db_query_row(f.db, sql, n, params, &res) == MP_OK, "%s: %s", sql,
	    mp_db_errmsg(f.db));
	ck_assert_ptr_nonnull(PQgetvalue(res, 0, 0));
	ck_assert_uint_lt(strlen(PQgetvalue(res, 0, 0)), outsz);
	snprintf(out, outsz, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
}

/* The certificate in DER column 0 of the one row of sql. */
static X509 *
der_row(const char *sql, const char *param)
{
	const char *params[1] = { param };
	PGresult *res = NULL;
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t len;
	X509 *x;

	ck_assert_int_eq(mp_db_query_row(f.db, sql, 1, params, &res), MP_OK);
	ck_assert_int_eq(mp_db_bytea_value(res, 0, 0, 65536, &der, &len), MP_OK);
	p = der;
	ck_assert_ptr_nonnull(x = d2i_X509(NULL, &p, (long)len));
	free(der);
	PQclear(res);
	return x;
}

static void
setup(void)
{
	char master[128], err[256], *key = NULL;
	mp_keystore_config kc = { master, NULL, 0, NULL };
	json_t *tenant = NULL, *dev = NULL;
	mp_device_new dn = { 0 };
	EVP_PKEY *k;
	X509_REQ *req;
	BIO *b;
	char *data;
	long n;

	memset(&f, 0, sizeof(f));
	snprintf(f.dir, sizeof(f.dir), "/tmp/presign-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f.dir));
	snprintf(master, sizeof(master), "%s/master.key", f.dir);
	ck_assert_msg(mp_keystore_open(&kc, &f.ks, err, sizeof(err)) == MP_OK, "%s", err);
	snprintf(f.conninfo, sizeof(f.conninfo), "%s", pg_fresh_database("presign_test"));
	f.db = pg_connect_migrated(f.conninfo);
	f.env = (ca_env){ f.db, f.ks, "http://pki.test", "software", NULL };
	ck_assert_int_eq(mp_engine_bootstrap_admin(f.db, &key), MP_OK);
	mp_free_secret_str(key);
	ck_assert_int_eq(ca_bootstrap(&f.env), MP_OK);
	ck_assert_int_eq(mp_tenant_find_by_name(f.db, MP_BOOTSTRAP_TENANT, &tenant), MP_OK);
	snprintf(f.tenant, sizeof(f.tenant), "%s", json_string_value(json_object_get(tenant, "id")));
	json_decref(tenant);
	dn.tenant_id = f.tenant;
	dn.serial = "CS-4711";
	ck_assert_int_eq(mp_device_create(f.db, &actor, &dn, &dev), MP_OK);
	snprintf(f.device, sizeof(f.device), "%s", json_string_value(json_object_get(dev, "id")));
	json_decref(dev);
	row_value("SELECT id FROM cas WHERE name = 'devices'", 0, NULL, f.devices_ca,
	    sizeof(f.devices_ca));
	row_value("SELECT id FROM cas WHERE name = 'root'", 0, NULL, f.root_ca, sizeof(f.root_ca));
	f.devices = der_row("SELECT certificate FROM cas WHERE id = $1", f.devices_ca);
	f.root = der_row("SELECT certificate FROM cas WHERE id = $1", f.root_ca);
	k = th_key("ec-p256");
	req = th_csr(k, "CN=CS-4711", NID_undef);
	ck_assert_ptr_nonnull(b = BIO_new(BIO_s_mem()));
	ck_assert_int_eq(PEM_write_bio_X509_REQ(b, req), 1);
	n = BIO_get_mem_data(b, &data);
	ck_assert_ptr_nonnull(f.csr = strndup(data, (size_t)n));
	BIO_free(b);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}

static void
teardown(void)
{
	char cmd[128];

	for (size_t i = 0; i < f.n; i++)
		X509_free(f.certs[i]);
	X509_free(f.devices);
	X509_free(f.root);
	free(f.csr);
	mp_keystore_free(f.ks);
	mp_db_close(f.db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f.dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Issues n more device certificates from the devices CA. */
static void
issue(size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ca_issue_req req = { f.tenant, f.device, "iec62351-device", f.csr, strlen(f.csr), 0,
			NULL };
		ca_detail d = { "", "" };
		json_t *out = NULL;
		bool pending = true;
		BIO *b;

		ck_assert_uint_lt(f.n, MAX_CERTS);
		ck_assert_msg(ca_issue(&f.env, &actor, &req, &out, &pending, &d) == MP_OK, "%s: %s",
		    d.field, d.message);
		ck_assert(!pending);
		snprintf(f.ids[f.n], sizeof(f.ids[0]), "%s",
		    json_string_value(json_object_get(out, "id")));
		ck_assert_ptr_nonnull(b = BIO_new_mem_buf(json_string_value(json_object_get(out,
		    "certificate_pem")), -1));
		ck_assert_ptr_nonnull(f.certs[f.n] = PEM_read_bio_X509(b, NULL, NULL, NULL));
		BIO_free(b);
		json_decref(out);
		f.n++;
	}
}

static ocsp_presign_config
config(void)
{
	return (ocsp_presign_config){ f.conninfo, 5000, f.ks, "http://pki.test", VALIDITY_MS,
		REFRESH_MS, 0, 0, 0 };
}

static ocsp_presign *
presigner(const ocsp_presign_config *c)
{
	ocsp_presign *p = NULL;

	ck_assert_int_eq(ocsp_presign_new(c, &p), MP_OK);
	return p;
}

static size_t
run_once(ocsp_presign *p, mp_db *db)
{
	size_t n = 12345;

	ck_assert_msg(ocsp_presign_run_once(p, db, &n) == MP_OK, "%s", mp_db_errmsg(db));
	return n;
}

static uint64_t
count(const char *sql, const char *param)
{
	const char *params[1] = { param };

	return pg_scalar_u64(f.db, sql, param != NULL ? 1 : 0, params);
}

/* What the stored response of certificate i for hash h says, checked against the CA. */
struct seen {
	int status, reason;
	time_t revoked_at, this_update, next_update;
	char signer_id[MP_UUID_STR_LEN + 1];
};

static uint64_t
number(const char *text)
{
	uint64_t v = 0;

	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(mp_parse_u64(text, UINT64_MAX, &v), MP_OK);
	return v;
}

static time_t
time_of(const ASN1_GENERALIZEDTIME *t)
{
	struct tm tm;

	ck_assert_int_eq(ASN1_TIME_to_tm(t, &tm), 1);
	return timegm(&tm);
}

static void
check_stored(size_t i, const char *hash, struct seen *out)
{
	const char *params[2] = { f.ids[i], hash };
	PGresult *res = NULL;
	uint8_t *core = NULL, *resp_der, *signer_der = NULL;
	const unsigned char *p;
	size_t core_len, signer_len, len;
	OCSP_RESPONSE *resp;
	OCSP_BASICRESP *bs;
	OCSP_CERTID *id;
	X509_STORE *store;
	X509 *signer;
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	uint8_t nh[OCSP_HASH_MAX], kh[OCSP_HASH_MAX];
	const ASN1_OCTET_STRING *keyid = NULL;
	const X509_NAME *byname = NULL;
	size_t hl;

	ck_assert_msg(mp_db_query_row(f.db, "SELECT r.core, r.signer_id, s.der,"
	    " extract(epoch FROM r.this_update)::bigint, extract(epoch FROM r.next_update)::bigint"
	    " FROM ocsp_responses r JOIN certificates c ON c.ca_id = r.ca_id AND c.serial = r.serial"
	    " JOIN certificates s ON s.id = r.signer_id WHERE c.id = $1 AND r.hash = $2", 2, params,
	    &res) == MP_OK, "no %s response for certificate %zu", hash, i);
	ck_assert_int_eq(mp_db_bytea_value(res, 0, 0, 65536, &core, &core_len), MP_OK);
	ck_assert_int_eq(mp_db_bytea_value(res, 0, 2, 65536, &signer_der, &signer_len), MP_OK);
	snprintf(out->signer_id, sizeof(out->signer_id), "%s", mp_db_value(res, 0, 1));
	ck_assert_uint_gt(len = ocsp_response_size(core_len, signer_len), 0);
	ck_assert_ptr_nonnull(resp_der = malloc(len));
	ck_assert_uint_eq(ocsp_response_assemble(core, core_len, signer_der, signer_len, resp_der,
	    len), len);
	p = resp_der;
	ck_assert_ptr_nonnull(resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len));
	ck_assert_int_eq(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	ck_assert_ptr_nonnull(bs = OCSP_response_get1_basic(resp));
	ck_assert_ptr_nonnull(store = X509_STORE_new());
	ck_assert_int_eq(X509_STORE_add_cert(store, f.root), 1);
	ck_assert_int_eq(X509_STORE_add_cert(store, f.devices), 1);
	{
		STACK_OF(X509) *chain = sk_X509_new_null();

		/* the devices CA's chain, as a client that has it would pass it */
		ck_assert_int_eq(sk_X509_push(chain, f.devices), 1);
		ck_assert_msg(OCSP_basic_verify(bs, chain, store, 0) == 1, "verify: %s",
		    ERR_error_string(ERR_get_error(), NULL));
		sk_X509_free(chain);
	}
	/* responder ID by the signer's key hash */
	p = signer_der;
	ck_assert_ptr_nonnull(signer = d2i_X509(NULL, &p, (long)signer_len));
	ck_assert_int_eq(OCSP_resp_get0_id(bs, &keyid, &byname), 1);
	ck_assert_ptr_nonnull(keyid);
	ck_assert_int_eq(ocsp_issuer_hashes(signer, OCSP_HASH_SHA1, nh, kh, &hl), MP_OK);
	ck_assert_mem_eq(ASN1_STRING_get0_data(keyid), kh, 20);
	ck_assert_int_eq(OCSP_resp_count(bs), 1);
	id = OCSP_cert_to_id(strcmp(hash, "sha1") == 0 ? EVP_sha1() : EVP_sha256(), f.certs[i],
	    f.devices);
	ck_assert_ptr_nonnull(id);
	out->reason = -9;
	ck_assert_int_eq(OCSP_resp_find_status(bs, id, &out->status, &out->reason, &rev, &thisupd,
	    &nextupd), 1);
	out->revoked_at = rev != NULL ? time_of(rev) : 0;
	out->this_update = time_of(thisupd);
	out->next_update = time_of(nextupd);
	ck_assert_int_eq(ASN1_TIME_cmp_time_t(OCSP_resp_get0_produced_at(bs), out->this_update), 0);
	ck_assert_int_eq(out->next_update - out->this_update, (time_t)(VALIDITY_MS / 1000));
	ck_assert_uint_eq((uint64_t)out->this_update, number(mp_db_value(res, 0, 3)));
	ck_assert_uint_eq((uint64_t)out->next_update, number(mp_db_value(res, 0, 4)));
	ck_assert_int_eq(OCSP_check_validity(thisupd, nextupd, 300, -1), 1);
	OCSP_CERTID_free(id);
	X509_free(signer);
	X509_STORE_free(store);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	free(resp_der);
	free(signer_der);
	free(core);
	PQclear(res);
}

/* Both stored responses of certificate i say status (and reason); returns the revocation time. */
static time_t
expect_status(size_t i, int status, int reason)
{
	struct seen s1, s256;

	check_stored(i, "sha1", &s1);
	check_stored(i, "sha256", &s256);
	ck_assert_int_eq(s1.status, status);
	ck_assert_int_eq(s256.status, status);
	if (status == V_OCSP_CERTSTATUS_REVOKED) {
		ck_assert_int_eq(s1.reason, reason);
		ck_assert_int_eq(s256.reason, reason);
		ck_assert_int_eq(s1.revoked_at, s256.revoked_at);
	}
	ck_assert_str_eq(s1.signer_id, s256.signer_id);
	return s1.revoked_at;
}

/* The current signer of CA ca_id, with renew margin renew_s. */
static void
signer_of(const char *ca_id, int64_t renew_s, ca_service_cert *out)
{
	memset(out, 0, sizeof(*out));
	ck_assert_msg(ca_ocsp_signer_get(&f.env, ca_id, renew_s, out) == MP_OK, "%s",
	    mp_db_errmsg(f.db));
}

START_TEST(signers_per_ca)
{
	ca_service_cert a, b, r;
	unsigned made = 99;
	char cn[128];
	const char *params[1];

	ck_assert_int_eq(ca_ocsp_signers_ensure(&f.env, 7 * 86400, &made), MP_OK);
	ck_assert_uint_eq(made, 2);
	ck_assert_int_eq(ca_ocsp_signers_ensure(&f.env, 7 * 86400, &made), MP_OK);
	ck_assert_uint_eq(made, 0);
	signer_of(f.devices_ca, 7 * 86400, &a);
	signer_of(f.devices_ca, 7 * 86400, &b);
	signer_of(f.root_ca, 7 * 86400, &r);
	ck_assert_str_eq(a.id, b.id);
	ck_assert_str_ne(a.id, r.id);
	/* issued by its CA, for OCSP signing only, with id-pkix-ocsp-nocheck */
	ck_assert_int_eq(X509_NAME_get_text_by_NID(X509_get_subject_name(a.cert), NID_commonName, cn,
	    sizeof(cn)), (int)strlen("OCSP signer for MIDPKI Devices CA"));
	ck_assert_str_eq(cn, "OCSP signer for MIDPKI Devices CA");
	ck_assert_int_gt(X509_NAME_get_text_by_NID(X509_get_subject_name(a.cert),
	    NID_organizationName, cn, sizeof(cn)), 0);
	ck_assert_str_eq(cn, "MIDPKI");
	ck_assert_int_eq(X509_NAME_cmp(X509_get_issuer_name(a.cert), X509_get_subject_name(f.devices)),
	    0);
	ck_assert_int_eq(X509_NAME_cmp(X509_get_issuer_name(r.cert), X509_get_subject_name(f.root)),
	    0);
	ck_assert_uint_eq(X509_get_extended_key_usage(a.cert), XKU_OCSP_SIGN);
	ck_assert_int_ge(X509_get_ext_by_NID(a.cert, NID_id_pkix_OCSP_noCheck, -1), 0);
	ck_assert_int_eq(X509_check_private_key(a.cert, mp_key_evp(a.key)), 1);
	ck_assert_int_eq(mp_key_get_spec(a.key)->alg, MP_KEY_EC_P256);
	ck_assert_int_gt(a.not_after, (int64_t)time(NULL) + 29 * 86400);
	params[0] = a.id;
	ck_assert_uint_eq(count("SELECT count(*) FROM identities i JOIN certificates c ON c.id = i.id"
	    " WHERE c.id = $1 AND i.service = 'ocsp:' || c.ca_id AND c.ca_id = (SELECT id FROM cas"
	    " WHERE name = 'devices')", params[0]), 1);
	ca_service_cert_clear(&a);
	ca_service_cert_clear(&b);
	ca_service_cert_clear(&r);
}
END_TEST

/* A tenant's CA: its signer is the tenant's, named after the CA, cut to 64 characters. */
START_TEST(tenant_ca_signer)
{
	ca_new in = { NULL, "lab", NULL, "ec-p256", NULL,
		"CN=Lab\\, Plant 7 issuing CA with a rather long common name,O=Acme", 0, -1, NULL,
		NULL };
	ca_detail d = { "", "" };
	json_t *tenant = NULL, *ca = NULL;
	ca_service_cert s;
	char cn[128];
	const char *params[1];
	BIO *b;
	X509 *x;

	ck_assert_int_eq(mp_tenant_create(f.db, &actor, "acme", &tenant), MP_OK);
	in.tenant_id = json_string_value(json_object_get(tenant, "id"));
	ck_assert_msg(ca_create(&f.env, &actor, &in, &ca, &d) == MP_OK, "%s: %s", d.field,
	    d.message);
	signer_of(json_string_value(json_object_get(ca, "id")), 7 * 86400, &s);
	ck_assert_int_eq(X509_NAME_get_text_by_NID(X509_get_subject_name(s.cert), NID_commonName, cn,
	    sizeof(cn)), 64);
	ck_assert_str_eq(cn, "OCSP signer for Lab, Plant 7 issuing CA with a rather long commo");
	params[0] = s.id;
	row_value("SELECT t.name || ' ' || i.service FROM identities i JOIN tenants t"
	    " ON t.id = i.tenant_id WHERE i.id = $1", 1, params, cn, sizeof(cn));
	ck_assert_str_eq(cn + 5 + 5, json_string_value(json_object_get(ca, "id")));
	ck_assert_int_eq(strncmp(cn, "acme ocsp:", 10), 0);
	ck_assert_ptr_nonnull(b = BIO_new_mem_buf(json_string_value(json_object_get(ca,
	    "certificate_pem")), -1));
	ck_assert_ptr_nonnull(x = PEM_read_bio_X509(b, NULL, NULL, NULL));
	ck_assert_int_eq(X509_NAME_cmp(X509_get_issuer_name(s.cert), X509_get_subject_name(x)), 0);
	X509_free(x);
	BIO_free(b);
	ca_service_cert_clear(&s);
	json_decref(ca);
	json_decref(tenant);
}
END_TEST

START_TEST(signs_good_responses)
{
	ocsp_presign_config c = config();
	ocsp_presign *p = presigner(&c);
	ca_service_cert s;

	ck_assert_int_eq(ocsp_presign_renew_signers(p, f.db, NULL), MP_OK);
	issue(3);
	/* the three certificates and the two signers themselves */
	ck_assert_uint_eq(run_once(p, f.db), 5);
	ck_assert_uint_eq(count("SELECT count(*) FROM ocsp_responses", NULL), 10);
	ck_assert_uint_eq(count("SELECT count(*) FROM certificates WHERE ocsp_due_at <= now()", NULL),
	    0);
	signer_of(f.devices_ca, 7 * 86400, &s);
	for (size_t i = 0; i < 3; i++) {
		struct seen seen;

		expect_status(i, V_OCSP_CERTSTATUS_GOOD, -1);
		check_stored(i, "sha256", &seen);
		ck_assert_str_eq(seen.signer_id, s.id);
		ck_assert_int_le(llabs((long long)(seen.this_update - time(NULL))), 5);
	}
	/* nothing is due any more */
	ck_assert_uint_eq(run_once(p, f.db), 0);
	ca_service_cert_clear(&s);
	ocsp_presign_stop(p);
}
END_TEST

START_TEST(revoke_suspend_resume)
{
	ocsp_presign_config c = config();
	ocsp_presign *p = presigner(&c);
	ca_detail d = { "", "" };
	json_t *out = NULL;
	char revoked[32];
	const char *params[1];
	time_t t;

	ck_assert_int_eq(ocsp_presign_renew_signers(p, f.db, NULL), MP_OK);
	issue(2);
	ck_assert_uint_eq(run_once(p, f.db), 4);
	expect_status(0, V_OCSP_CERTSTATUS_GOOD, -1);

	ck_assert_int_eq(ca_cert_revoke(&f.env, &actor, NULL, f.ids[0], "keyCompromise", 0, &out, &d),
	    MP_OK);
	json_decref(out);
	ck_assert_uint_eq(run_once(p, f.db), 1);
	t = expect_status(0, V_OCSP_CERTSTATUS_REVOKED, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
	params[0] = f.ids[0];
	row_value("SELECT floor(extract(epoch FROM revoked_at))::bigint FROM certificates"
	    " WHERE id = $1", 1, params, revoked, sizeof(revoked));
	ck_assert_uint_eq((uint64_t)t, number(revoked));
	expect_status(1, V_OCSP_CERTSTATUS_GOOD, -1);

	ck_assert_int_eq(ca_cert_suspend(&f.env, &actor, NULL, f.ids[1], &out, &d), MP_OK);
	json_decref(out);
	ck_assert_uint_eq(run_once(p, f.db), 1);
	expect_status(1, V_OCSP_CERTSTATUS_REVOKED, OCSP_REVOKED_STATUS_CERTIFICATEHOLD);

	ck_assert_int_eq(ca_cert_resume(&f.env, &actor, NULL, f.ids[1], &out, &d), MP_OK);
	json_decref(out);
	ck_assert_uint_eq(run_once(p, f.db), 1);
	expect_status(1, V_OCSP_CERTSTATUS_GOOD, -1);
	expect_status(0, V_OCSP_CERTSTATUS_REVOKED, OCSP_REVOKED_STATUS_KEYCOMPROMISE);
	ocsp_presign_stop(p);
}
END_TEST

START_TEST(due_times_spread)
{
	ocsp_presign_config c = config();
	ocsp_presign *p = presigner(&c);
	int64_t now = (int64_t)time(NULL);
	char v[32];
	const char *params[1];
	uint64_t lo, hi;

	ck_assert_int_eq(ocsp_presign_renew_signers(p, f.db, NULL), MP_OK);
	issue(60);
	ck_assert_uint_eq(run_once(p, f.db), 62);
	/* due between validity - refresh * 1.5 and validity - refresh from now, all apart */
	lo = count("SELECT floor(extract(epoch FROM min(ocsp_due_at)))::bigint FROM certificates",
	    NULL);
	hi = count("SELECT ceil(extract(epoch FROM max(ocsp_due_at)))::bigint FROM certificates",
	    NULL);
	ck_assert_uint_ge(lo, (uint64_t)now + (VALIDITY_MS - REFRESH_MS - REFRESH_MS / 2) / 1000 - 5);
	ck_assert_uint_le(hi, (uint64_t)now + (VALIDITY_MS - REFRESH_MS) / 1000 + 5);
	ck_assert_uint_gt(hi - lo, 3600);
	ck_assert_uint_ge(count("SELECT count(DISTINCT ocsp_due_at) FROM certificates", NULL), 55);

	/* long expired: not signed again, never due again */
	params[0] = f.ids[0];
	exec_sql(f.db, "UPDATE certificates SET not_after = now() - interval '2 days',"
	    " ocsp_due_at = now() WHERE id = $1", 1, params);
	ck_assert_uint_eq(run_once(p, f.db), 0);
	row_value("SELECT ocsp_due_at FROM certificates WHERE id = $1", 1, params, v, sizeof(v));
	ck_assert_str_eq(v, "infinity");
	/* expired less than a validity ago: still signed */
	params[0] = f.ids[1];
	exec_sql(f.db, "UPDATE certificates SET not_after = now() - interval '1 hour',"
	    " ocsp_due_at = now() WHERE id = $1", 1, params);
	ck_assert_uint_eq(run_once(p, f.db), 1);
	ocsp_presign_stop(p);
}
END_TEST

struct racer {
	ocsp_presign *p;
	mp_db *db;
	size_t n;
	int r;
};

static void *
race(void *arg)
{
	struct racer *x = arg;

	x->r = ocsp_presign_run_once(x->p, x->db, &x->n);
	return NULL;
}

struct notes {
	size_t payloads, items, longest;
	char *all; /* every item, space-separated */
	size_t len, cap;
	bool star;
};

static void
on_note(const char *channel, const char *payload, void *arg)
{
	struct notes *n = arg;
	size_t len = strlen(payload);

	ck_assert_str_eq(channel, CA_OCSP_CHANNEL);
	if (strcmp(payload, "*") == 0) {
		n->star = true;
		return;
	}
	n->payloads++;
	if (len > n->longest)
		n->longest = len;
	n->items++;
	for (size_t i = 0; i < len; i++)
		n->items += payload[i] == ' ';
	if (n->len + len + 2 > n->cap) {
		n->cap = (n->len + len + 2) * 2;
		ck_assert_ptr_nonnull(n->all = realloc(n->all, n->cap));
	}
	memcpy(n->all + n->len, payload, len);
	n->len += len;
	n->all[n->len++] = ' ';
	n->all[n->len] = '\0';
}

/* Reads what the listening connection has received. */
static void
collect(mp_db *listener, struct notes *n)
{
	ck_assert_int_eq(mp_db_query(listener, "SELECT 1", 0, NULL, NULL), MP_OK);
	ck_assert_int_eq(mp_db_notifications(listener, on_note, n), MP_OK);
}

/* The notification item of certificate i. */
static void
item_of(size_t i, char *out, size_t outsz)
{
	const char *params[1] = { f.ids[i] };

	row_value("SELECT ca_id || ':' || encode(serial, 'hex') FROM certificates WHERE id = $1", 1,
	    params, out, outsz);
}

START_TEST(concurrent_passes_and_notifications)
{
	ocsp_presign_config c = config();
	struct racer a = { 0 }, b = { 0 };
	struct notes notes = { 0 };
	mp_db *listener = pg_connect(f.conninfo);
	pthread_t ta, tb;

	c.batch = 10;
	a.p = presigner(&c);
	b.p = presigner(&c);
	a.db = pg_connect(f.conninfo);
	b.db = pg_connect(f.conninfo);
	ck_assert_int_eq(mp_db_exec(listener, "LISTEN " CA_OCSP_CHANNEL), MP_OK);
	ck_assert_int_eq(ocsp_presign_renew_signers(a.p, f.db, NULL), MP_OK);
	issue(200);
	collect(listener, &notes);
	ck_assert(notes.star); /* the new signers */
	ck_assert_uint_eq(notes.items, 0);
	ck_assert_int_eq(pthread_create(&ta, NULL, race, &a), 0);
	ck_assert_int_eq(pthread_create(&tb, NULL, race, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ck_assert_int_eq(a.r, MP_OK);
	ck_assert_int_eq(b.r, MP_OK);
	/* each certificate signed by one of them: 200 and the two signers */
	ck_assert_uint_eq(a.n + b.n, 202);
	ck_assert_uint_eq(count("SELECT count(*) FROM ocsp_responses", NULL), 404);
	ck_assert_uint_eq(count("SELECT count(*) FROM certificates WHERE ocsp_due_at <= now()", NULL),
	    0);
	expect_status(0, V_OCSP_CERTSTATUS_GOOD, -1);
	expect_status(199, V_OCSP_CERTSTATUS_GOOD, -1);

	collect(listener, &notes);
	ck_assert_uint_eq(notes.items, 202);
	ck_assert_uint_le(notes.longest, OCSP_NOTIFY_MAX);
	for (size_t i = 0; i < 200; i++) {
		char item[128], spaced[130];

		item_of(i, item, sizeof(item));
		snprintf(spaced, sizeof(spaced), "%s ", item);
		ck_assert_msg(strstr(notes.all, spaced) != NULL, "no notification of %s", item);
	}
	/* a big batch fills several payloads, each within the limit */
	{
		ocsp_presign_config big = config();
		ocsp_presign *p = presigner(&big);

		free(notes.all);
		memset(&notes, 0, sizeof(notes));
		exec_sql(f.db, "UPDATE certificates SET ocsp_due_at = now()", 0, NULL);
		ck_assert_uint_eq(run_once(p, f.db), 202);
		collect(listener, &notes);
		ck_assert_uint_eq(notes.items, 202);
		/* 72 bytes an item with its space: 109 in the first payload */
		ck_assert_uint_eq(notes.payloads, 2);
		ck_assert_uint_eq(notes.longest, 109 * 72 - 1);
		ocsp_presign_stop(p);
	}
	free(notes.all);
	ocsp_presign_stop(a.p);
	ocsp_presign_stop(b.p);
	mp_db_close(a.db);
	mp_db_close(b.db);
	mp_db_close(listener);
}
END_TEST

START_TEST(signer_rotation)
{
	ocsp_presign_config c = config();
	ocsp_presign *p = presigner(&c), *q;
	ca_service_cert old, now;
	mp_db *listener = pg_connect(f.conninfo);
	struct notes notes = { 0 };
	unsigned made = 0;
	char v[64];
	const char *params[1];
	struct seen seen;

	ck_assert_int_eq(ocsp_presign_renew_signers(p, f.db, &made), MP_OK);
	ck_assert_uint_eq(made, 2);
	issue(1);
	ck_assert_uint_eq(run_once(p, f.db), 3);
	signer_of(f.devices_ca, 7 * 86400, &old);
	check_stored(0, "sha1", &seen);
	ck_assert_str_eq(seen.signer_id, old.id);

	/* a margin longer than a signer lives: every signer is due for renewal */
	ck_assert_int_eq(mp_db_exec(listener, "LISTEN " CA_OCSP_CHANNEL), MP_OK);
	c.signer_renew_before_s = 60 * 86400;
	q = presigner(&c);
	ck_assert_int_eq(ocsp_presign_renew_signers(q, f.db, &made), MP_OK);
	ck_assert_uint_eq(made, 2);
	collect(listener, &notes);
	ck_assert(notes.star);
	signer_of(f.devices_ca, 7 * 86400, &now);
	ck_assert_str_ne(now.id, old.id);
	params[0] = old.id;
	row_value("SELECT i.status || ' ' || c.reason FROM identities i JOIN certificates c"
	    " ON c.id = i.id WHERE i.id = $1", 1, params, v, sizeof(v));
	ck_assert_str_eq(v, "revoked superseded");
	/*
	 * The old responses stay until they fall due. p reads the signers again
	 * (as its thread does on the "*"), keeping the new ones with the default
	 * margin, and signs the old signers (revoked) and the new ones.
	 */
	check_stored(0, "sha1", &seen);
	ck_assert_str_eq(seen.signer_id, old.id);
	ck_assert_int_eq(ocsp_presign_renew_signers(p, f.db, &made), MP_OK);
	ck_assert_uint_eq(made, 0);
	ck_assert_uint_eq(run_once(p, f.db), 4);
	params[0] = f.ids[0];
	exec_sql(f.db, "UPDATE certificates SET ocsp_due_at = now() WHERE id = $1", 1, params);
	ck_assert_uint_eq(run_once(p, f.db), 1);
	check_stored(0, "sha1", &seen);
	ck_assert_str_eq(seen.signer_id, now.id);
	ca_service_cert_clear(&old);
	ca_service_cert_clear(&now);
	free(notes.all);
	ocsp_presign_stop(p);
	ocsp_presign_stop(q);
	mp_db_close(listener);
}
END_TEST

START_TEST(retired_and_trusted_cas)
{
	ocsp_presign_config c = config();
	ocsp_presign *p = presigner(&c);
	ca_service_cert s, t;
	ca_detail d = { "", "" };
	json_t *out = NULL;
	th_ca ext;
	BIO *b;
	char *pem, *data, v[64];
	const char *params[1];
	long n;

	ck_assert_int_eq(ocsp_presign_renew_signers(p, f.db, NULL), MP_OK);
	issue(1);
	ck_assert_uint_eq(run_once(p, f.db), 3);
	signer_of(f.devices_ca, 7 * 86400, &s);

	/* a retired CA keeps its signer, gets no new one, and its status is still signed */
	ck_assert_int_eq(ca_retire(&f.env, &actor, NULL, f.devices_ca, &out), MP_OK);
	json_decref(out);
	signer_of(f.devices_ca, 60 * 86400, &t);
	ck_assert_str_eq(t.id, s.id);
	ca_service_cert_clear(&t);
	ck_assert_int_eq(ocsp_presign_renew_signers(p, f.db, NULL), MP_OK);
	ck_assert_uint_eq(count("SELECT count(*) FROM identities WHERE service = 'ocsp:' || $1",
	    f.devices_ca), 1);
	ck_assert_int_eq(ca_cert_revoke(&f.env, &actor, NULL, f.ids[0], "cessationOfOperation", 0,
	    &out, &d), MP_OK);
	json_decref(out);
	ck_assert_uint_eq(run_once(p, f.db), 1);
	expect_status(0, V_OCSP_CERTSTATUS_REVOKED, OCSP_REVOKED_STATUS_CESSATIONOFOPERATION);
	/* once its signer is about to end, nothing more is signed and nothing falls due */
	params[0] = s.id;
	exec_sql(f.db, "UPDATE certificates SET not_after = now() + interval '1 hour' WHERE id = $1",
	    1, params);
	ck_assert_int_eq(ocsp_presign_renew_signers(p, f.db, NULL), MP_OK);
	params[0] = f.ids[0];
	exec_sql(f.db, "UPDATE certificates SET ocsp_due_at = now() WHERE id = $1", 1, params);
	ck_assert_uint_eq(run_once(p, f.db), 0);
	row_value("SELECT ocsp_due_at FROM certificates WHERE id = $1", 1, params, v, sizeof(v));
	ck_assert_str_eq(v, "infinity");
	ca_service_cert_clear(&s);

	/* a CA we only trust has no signer */
	th_ca_make(&ext);
	ck_assert_ptr_nonnull(b = BIO_new(BIO_s_mem()));
	ck_assert_int_eq(PEM_write_bio_X509(b, ext.root), 1);
	n = BIO_get_mem_data(b, &data);
	ck_assert_ptr_nonnull(pem = strndup(data, (size_t)n));
	BIO_free(b);
	ck_assert_int_eq(ca_import(&f.env, &actor, f.tenant, "external", pem, NULL, &out, &d), MP_OK);
	memset(&t, 0, sizeof(t));
	ck_assert_int_eq(ca_ocsp_signer_get(&f.env, json_string_value(json_object_get(out, "id")),
	    7 * 86400, &t), MP_ERR_UNSUPPORTED);
	ck_assert_ptr_null(t.cert);
	ck_assert_int_eq(ca_ocsp_signer_get(&f.env, "00000000-0000-0000-0000-000000000000",
	    7 * 86400, &t), MP_ERR_NOT_FOUND);
	json_decref(out);
	free(pem);
	th_ca_free(&ext);
	ocsp_presign_stop(p);
}
END_TEST

START_TEST(bad_config)
{
	ocsp_presign_config c = config();
	ocsp_presign *p = NULL;

	c.refresh_before_ms = c.response_validity_ms;
	ck_assert_int_eq(ocsp_presign_new(&c, &p), MP_ERR_INVALID);
	c = config();
	c.response_validity_ms = 999;
	c.refresh_before_ms = 0;
	ck_assert_int_eq(ocsp_presign_new(&c, &p), MP_ERR_INVALID);
	c = config();
	c.ks = NULL;
	ck_assert_int_eq(ocsp_presign_start(&c, &p), MP_ERR_INVALID);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(ocsp_presign_renew_before_s(VALIDITY_MS), 7 * 86400);
	ck_assert_int_eq(ocsp_presign_renew_before_s(5 * VALIDITY_MS), 10 * 86400);
}
END_TEST

START_TEST(service_follows_changes)
{
	ocsp_presign_config c = config();
	ocsp_presign *svc = NULL;
	ca_detail d = { "", "" };
	json_t *out = NULL;
	const char *params[1];
	int waited;

	issue(2);
	ck_assert_int_eq(ocsp_presign_start(&c, &svc), MP_OK);
	/* it makes the signers and signs what is due */
	for (waited = 0; waited < 100 && count("SELECT count(*) FROM ocsp_responses", NULL) < 8;
	    waited++)
		usleep(100 * 1000);
	ck_assert_uint_eq(count("SELECT count(*) FROM ocsp_responses", NULL), 8);
	expect_status(1, V_OCSP_CERTSTATUS_GOOD, -1);
	params[0] = f.ids[1];
	exec_sql(f.db, "CREATE TEMP TABLE old AS SELECT r.hash, r.core FROM ocsp_responses r"
	    " JOIN certificates c ON r.ca_id = c.ca_id AND r.serial = c.serial WHERE c.id = $1", 1,
	    params);
	ck_assert_int_eq(ca_cert_revoke(&f.env, &actor, NULL, f.ids[1], "superseded", 0, &out, &d),
	    MP_OK);
	json_decref(out);
	params[0] = f.ids[1];
	for (waited = 0; waited < 100 && count("SELECT count(*) FROM certificates c JOIN"
	    " ocsp_responses r ON r.ca_id = c.ca_id AND r.serial = c.serial JOIN old o"
	    " ON o.hash = r.hash WHERE c.id = $1 AND r.core <> o.core", params[0]) < 2; waited++)
		usleep(50 * 1000);
	ck_assert_int_lt(waited, 40); /* within 2 seconds */
	ocsp_presign_stop(svc);
	expect_status(1, V_OCSP_CERTSTATUS_REVOKED, OCSP_REVOKED_STATUS_SUPERSEDED);
	ocsp_presign_stop(NULL);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("ocsp_presign");
	TCase *tc = tcase_create("presign");

	tcase_set_timeout(tc, 240);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, signers_per_ca);
	tcase_add_test(tc, tenant_ca_signer);
	tcase_add_test(tc, signs_good_responses);
	tcase_add_test(tc, revoke_suspend_resume);
	tcase_add_test(tc, due_times_spread);
	tcase_add_test(tc, concurrent_passes_and_notifications);
	tcase_add_test(tc, signer_rotation);
	tcase_add_test(tc, retired_and_trusted_cas);
	tcase_add_test(tc, bad_config);
	tcase_add_test(tc, service_follows_changes);
	suite_add_tcase(s, tc);
	return s;
}
