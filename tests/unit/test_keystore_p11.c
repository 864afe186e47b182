/*
 * The key store's PKCS#11 backend against SoftHSM2 (tests/lib/softhsm.sh
 * makes the token) and a throwaway PostgreSQL (with-pg.sh): keys made in the
 * token sign certificates and data; the token keeps them sensitive and
 * non-extractable; destroyed keys leave the token.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "check_main.h"
#include "codec.h"
#include "err.h"
#include "keystore.h"
#include "keystore_harness.h"
#include "num.h"
#include "pg_harness.h"

#include <p11-kit/pkcs11.h>

static const mp_actor actor = { "user", "keystore-p11-test", NULL };
static char tmpdir[64];
static char master_path[128];

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/midpki-ks11.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(master_path, sizeof(master_path), "%s/master.key", tmpdir);
}

static void
teardown(void)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/badpin", tmpdir);
	unlink(path);
	unlink(master_path);
	rmdir(tmpdir);
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL, "%s is not set: run under tests/lib/softhsm.sh", name);
	return v;
}

static uint64_t
slot(void)
{
	uint64_t s = 0;

	ck_assert_int_eq(mp_parse_u64(env("MIDPKI_TEST_PKCS11_SLOT"), UINT64_MAX, &s), MP_OK);
	return s;
}

static int
try_open(const char *module, uint64_t slotno, const char *pin_file, mp_keystore **ks, char *err,
    size_t errsz)
{
	mp_keystore_config cfg = { master_path, module, slotno, pin_file };

	return mp_keystore_open(&cfg, ks, err, errsz);
}

static mp_keystore *
open_store(void)
{
	mp_keystore *ks = NULL;
	char err[256];

	ck_assert_msg(try_open(env("MIDPKI_TEST_PKCS11_MODULE"), slot(),
	    env("MIDPKI_TEST_PKCS11_PIN_FILE"), &ks, err, sizeof(err)) == MP_OK, "%s", err);
	ck_assert(mp_keystore_has_pkcs11(ks));
	return ks;
}

/* The CKA_ID the keys row records for id. */
static void
row_ckid(mp_db *db, const char *id, uint8_t **ckid, size_t *len)
{
	const char *params[1] = { id };
	PGresult *res = NULL;
	const char *v;

	ck_assert_int_eq(mp_db_query_row(db, "SELECT pkcs11_id FROM keys WHERE id = $1"
	    " AND backend = 'pkcs11' AND wrapped IS NULL", 1, params, &res), MP_OK);
	v = PQgetvalue(res, 0, 0);
	ck_assert_int_eq(strncmp(v, "\\x", 2), 0);
	ck_assert_int_eq(mp_hex_decode(v + 2, strlen(v + 2), 64, ckid, len), MP_OK);
	PQclear(res);
}

/* A session of the test's own on the token, beside the store's (the login is shared). */
struct token {
	CK_FUNCTION_LIST_PTR fn;
	CK_SESSION_HANDLE session;
	void *dl;
};

static void
token_open(struct token *t)
{
	CK_C_INITIALIZE_ARGS init = { NULL, NULL, NULL, NULL, CKF_OS_LOCKING_OK, NULL };
	CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);
	CK_RV rv;

	t->dl = dlopen(env("MIDPKI_TEST_PKCS11_MODULE"), RTLD_NOW | RTLD_LOCAL);
	ck_assert_ptr_nonnull(t->dl);
	*(void **)&get_list = dlsym(t->dl, "C_GetFunctionList");
	ck_assert_ptr_nonnull(get_list);
	ck_assert_int_eq(get_list(&t->fn), CKR_OK);
	/* the store initialized the module already */
	rv = t->fn->C_Initialize(&init);
	ck_assert_uint_eq(rv, CKR_CRYPTOKI_ALREADY_INITIALIZED);
	ck_assert_uint_eq(t->fn->C_OpenSession((CK_SLOT_ID)slot(), CKF_SERIAL_SESSION, NULL,
	    NULL, &t->session), CKR_OK);
}

static void
token_close(struct token *t)
{
	ck_assert_uint_eq(t->fn->C_CloseSession(t->session), CKR_OK);
	dlclose(t->dl);
}

/* How many objects of class cls carry this CKA_ID. */
static CK_ULONG
token_find(struct token *t, CK_OBJECT_CLASS cls, const uint8_t *ckid, size_t len,
    CK_OBJECT_HANDLE *obj)
{
	CK_ATTRIBUTE tmpl[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)ckid, (CK_ULONG)len },
	};
	CK_OBJECT_HANDLE found[4];
	CK_ULONG n = 0;

	ck_assert_uint_eq(t->fn->C_FindObjectsInit(t->session, tmpl, 2), CKR_OK);
	ck_assert_uint_eq(t->fn->C_FindObjects(t->session, found, 4, &n), CKR_OK);
	ck_assert_uint_eq(t->fn->C_FindObjectsFinal(t->session), CKR_OK);
	if (n > 0 && obj != NULL)
		*obj = found[0];
	return n;
}

static CK_BBOOL
token_bool(struct token *t, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL b = 0xee;
	CK_ATTRIBUTE a = { type, &b, sizeof(b) };

	ck_assert_uint_eq(t->fn->C_GetAttributeValue(t->session, obj, &a, 1), CKR_OK);
	return b;
}

/* The private key of key id is in the token, sensitive, not extractable, and will not be read. */
static void
check_private_in_token(mp_db *db, const char *id, const char *label, CK_ATTRIBUTE_TYPE secret)
{
	struct token t;
	CK_OBJECT_HANDLE obj = CK_INVALID_HANDLE;
	uint8_t *ckid = NULL, buf[1024];
	char lab[129] = "";
	CK_ATTRIBUTE a;
	size_t len = 0;

	row_ckid(db, id, &ckid, &len);
	ck_assert_uint_eq(len, 16);
	token_open(&t);
	ck_assert_uint_eq(token_find(&t, CKO_PRIVATE_KEY, ckid, len, &obj), 1);
	ck_assert_uint_eq(token_find(&t, CKO_PUBLIC_KEY, ckid, len, NULL), 1);
	ck_assert_uint_eq(token_bool(&t, obj, CKA_EXTRACTABLE), CK_FALSE);
	ck_assert_uint_eq(token_bool(&t, obj, CKA_SENSITIVE), CK_TRUE);
	ck_assert_uint_eq(token_bool(&t, obj, CKA_PRIVATE), CK_TRUE);
	ck_assert_uint_eq(token_bool(&t, obj, CKA_TOKEN), CK_TRUE);
	ck_assert_uint_eq(token_bool(&t, obj, CKA_SIGN), CK_TRUE);
	ck_assert_uint_eq(token_bool(&t, obj, CKA_NEVER_EXTRACTABLE), CK_TRUE);
	a = (CK_ATTRIBUTE){ CKA_LABEL, lab, sizeof(lab) - 1 };
	ck_assert_uint_eq(t.fn->C_GetAttributeValue(t.session, obj, &a, 1), CKR_OK);
	lab[a.ulValueLen] = '\0';
	ck_assert_str_eq(lab, label);
	a = (CK_ATTRIBUTE){ secret, buf, sizeof(buf) };
	ck_assert_uint_eq(t.fn->C_GetAttributeValue(t.session, obj, &a, 1),
	    CKR_ATTRIBUTE_SENSITIVE);
	ck_assert_uint_eq(a.ulValueLen, CK_UNAVAILABLE_INFORMATION);
	token_close(&t);
	free(ckid);
}

static void
generate(mp_keystore *ks, mp_db *db, const char *alg, char id[MP_UUID_STR_LEN + 1])
{
	mp_key_spec spec;

	ck_assert_int_eq(mp_key_spec_parse(alg, &spec), MP_OK);
	ck_assert_int_eq(mp_key_generate(ks, db, &actor, "pkcs11", &spec, alg, id), MP_OK);
}

/* An OCSP response signed by k, as its own responder, verifies with the certificate. */
static void
ocsp_sign(mp_key *k, int sig_nid)
{
	EVP_PKEY *pub = mp_key_public(k);
	X509 *signer = unsigned_cert(pub);
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509_STORE *store = X509_STORE_new();
	const ASN1_OBJECT *oid = NULL;

	ck_assert_int_eq(mp_key_sign_x509(k, signer), MP_OK);
	ck_assert_int_eq(mp_key_sign_ocsp(k, bs, signer), MP_OK);
	X509_ALGOR_get0(&oid, NULL, NULL, OCSP_resp_get0_tbs_sigalg(bs));
	ck_assert_int_eq(OBJ_obj2nid(oid), sig_nid);
	ck_assert_int_eq(sk_X509_push(certs, signer), 1);
	ck_assert_int_eq(OCSP_basic_verify(bs, certs, store, OCSP_NOVERIFY), 1);
	sk_X509_free(certs);
	X509_STORE_free(store);
	OCSP_BASICRESP_free(bs);
	X509_free(signer);
	EVP_PKEY_free(pub);
}

START_TEST(generate_sign_in_token)
{
	static const struct {
		const char *alg;
		int sig_nid;
		const char *md;
		CK_ATTRIBUTE_TYPE secret;
	} cases[] = {
		{ "ec-p256", NID_ecdsa_with_SHA256, "SHA256", CKA_VALUE },
		{ "ec-p384", NID_ecdsa_with_SHA384, "SHA384", CKA_VALUE },
		{ "rsa-2048", NID_sha256WithRSAEncryption, "SHA256", CKA_PRIVATE_EXPONENT },
		{ "rsa-pss-2048", NID_rsassaPss, "SHA256", CKA_PRIVATE_EXPONENT },
	};
	mp_db *db = pg_connect_migrated(pg_fresh_database("ks11_sign"));
	mp_keystore *ks = open_store();
	char ids[4][MP_UUID_STR_LEN + 1];
	const char *params[2];
	mp_key *k = NULL, *again = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		generate(ks, db, cases[i].alg, ids[i]);
		params[0] = ids[i];
		params[1] = cases[i].alg;
		ck_assert_uint_eq(pg_scalar_u64(db, "SELECT count(*) FROM keys WHERE id = $1"
		    " AND backend = 'pkcs11' AND algorithm = $2 AND octet_length(pkcs11_id) = 16"
		    " AND wrapped IS NULL", 2, params), 1);
		ck_assert_uint_eq(pg_scalar_u64(db, "SELECT count(*) FROM audit WHERE object_id = $1"
		    " AND action = 'key.create' AND details->>'backend' = 'pkcs11'", 1, params), 1);
		ck_assert_int_eq(mp_key_load(ks, db, ids[i], &k), MP_OK);
		ck_assert_int_eq(mp_key_load(ks, db, ids[i], &again), MP_OK);
		ck_assert_ptr_eq(k, again);
		mp_key_release(again);
		sign_and_verify(k, cases[i].sig_nid, cases[i].md);
		ocsp_sign(k, cases[i].sig_nid);
		mp_key_release(k);
		check_private_in_token(db, ids[i], cases[i].alg, cases[i].secret);
	}
	mp_keystore_free(ks);

	/* a new store (the module finalized and loaded again) finds the keys in the token */
	ks = open_store();
	ck_assert_int_eq(mp_key_load(ks, db, ids[0], &k), MP_OK);
	sign_and_verify(k, NID_ecdsa_with_SHA256, "SHA256");
	mp_key_release(k);
	mp_keystore_free(ks);
	mp_db_close(db);
}
END_TEST

START_TEST(unsupported_and_destroy)
{
	mp_db *db = pg_connect_migrated(pg_fresh_database("ks11_destroy"));
	mp_keystore *ks = open_store(), *soft;
	mp_keystore_config softcfg = { master_path, NULL, 0, NULL };
	char id[MP_UUID_STR_LEN + 1] = "unchanged", err[256];
	const char *params[1] = { id };
	uint8_t *ckid = NULL;
	mp_key_spec spec;
	struct token t;
	size_t len = 0;
	mp_key *k = NULL;

	ck_assert_int_eq(mp_key_spec_parse("ed25519", &spec), MP_OK);
	ck_assert_int_eq(mp_key_generate(ks, db, &actor, "pkcs11", &spec, NULL, id),
	    MP_ERR_UNSUPPORTED);
	ck_assert_str_eq(id, "unchanged");
	ck_assert_uint_eq(pg_scalar_u64(db, "SELECT count(*) FROM keys", 0, NULL), 0);

	generate(ks, db, "ec-p256", id);
	row_ckid(db, id, &ckid, &len);

	/* a store without PKCS#11 cannot open it */
	ck_assert_int_eq(mp_keystore_open(&softcfg, &soft, err, sizeof(err)), MP_OK);
	ck_assert_int_eq(mp_key_load(soft, db, id, &k), MP_ERR_UNSUPPORTED);
	mp_keystore_free(soft);

	ck_assert_int_eq(mp_key_load(ks, db, id, &k), MP_OK);
	mp_key_release(k);
	k = NULL;
	ck_assert_int_eq(mp_key_destroy(ks, db, &actor, id), MP_OK);
	ck_assert_int_eq(mp_key_load(ks, db, id, &k), MP_ERR_NOT_FOUND);
	ck_assert_ptr_null(k);
	ck_assert_int_eq(mp_key_destroy(ks, db, &actor, id), MP_ERR_NOT_FOUND);
	ck_assert_uint_eq(pg_scalar_u64(db, "SELECT count(*) FROM keys WHERE id = $1"
	    " AND destroyed_at IS NOT NULL AND pkcs11_id IS NOT NULL", 1, params), 1);
	token_open(&t);
	ck_assert_uint_eq(token_find(&t, CKO_PRIVATE_KEY, ckid, len, NULL), 0);
	ck_assert_uint_eq(token_find(&t, CKO_PUBLIC_KEY, ckid, len, NULL), 0);
	token_close(&t);
	free(ckid);
	mp_keystore_free(ks);
	mp_db_close(db);
}
END_TEST

START_TEST(open_refusals)
{
	mp_keystore *ks = NULL;
	char err[512], pinpath[160];
	FILE *f;

	snprintf(pinpath, sizeof(pinpath), "%s/badpin", tmpdir);
	f = fopen(pinpath, "w");
	ck_assert_ptr_nonnull(f);
	fputs("9999\n", f);
	fclose(f);
	ck_assert_int_eq(try_open(env("MIDPKI_TEST_PKCS11_MODULE"), slot(), pinpath, &ks, err,
	    sizeof(err)), MP_ERR_CONFIG);
	ck_assert_msg(strstr(err, "CKR_PIN_INCORRECT") != NULL, "%s", err);
	ck_assert_int_eq(try_open(env("MIDPKI_TEST_PKCS11_MODULE"), 4242, pinpath, &ks, err,
	    sizeof(err)), MP_ERR_CONFIG);
	ck_assert_msg(strstr(err, "cannot open a session on slot 4242") != NULL, "%s", err);
	ck_assert_int_eq(try_open("/nonexistent/libnothing.so", slot(), pinpath, &ks, err,
	    sizeof(err)), MP_ERR_CONFIG);
	ck_assert_msg(strstr(err, "cannot load module /nonexistent/libnothing.so") != NULL, "%s",
	    err);
	ck_assert_int_eq(try_open(env("MIDPKI_TEST_PKCS11_MODULE"), slot(), "", &ks, err,
	    sizeof(err)), MP_ERR_CONFIG);
	ck_assert_msg(strstr(err, "no PIN file configured") != NULL, "%s", err);
	ck_assert_ptr_null(ks);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("keystore_p11");
	TCase *tc = tcase_create("keystore_p11");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, generate_sign_in_token);
	tcase_add_test(tc, unsupported_and_destroy);
	tcase_add_test(tc, open_refusals);
	suite_add_tcase(s, tc);
	return s;
}
