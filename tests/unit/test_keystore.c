/*
 * The key store's software backend against a throwaway PostgreSQL
 * (with-pg.sh): algorithm names, generation and signing for every algorithm,
 * the handle cache, the master key file, integrity of sealed keys, import,
 * no private key in clear in a database dump, destruction.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "check_main.h"
#include "config.h"
#include "err.h"
#include "keystore.h"
#include "keystore_harness.h"
#include "pg_harness.h"

static const mp_actor actor = { "user", "keystore-test", NULL };
static char tmpdir[64];
static char master_path[128];

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/midpki-ks.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(master_path, sizeof(master_path), "%s/master.key", tmpdir);
}

static void
teardown(void)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/other.key", tmpdir);
	unlink(path);
	unlink(master_path);
	rmdir(tmpdir);
}

static mp_keystore *
open_store(const char *path)
{
	mp_keystore_config cfg = { path, NULL, 0, NULL };
	mp_keystore *ks = NULL;
	char err[256];

	ck_assert_msg(mp_keystore_open(&cfg, &ks, err, sizeof(err)) == MP_OK, "%s", err);
	ck_assert(!mp_keystore_has_pkcs11(ks));
	return ks;
}

static mp_db *
fresh_db(const char *name)
{
	return pg_connect_migrated(pg_fresh_database(name));
}

static void
spec_of(const char *name, mp_key_spec *spec)
{
	ck_assert_int_eq(mp_key_spec_parse(name, spec), MP_OK);
}

START_TEST(spec_names)
{
	static const char *good[] = { "ec-p256", "ec-p384", "ed25519", "rsa-2048", "rsa-3072",
		"rsa-4096", "rsa-pss-2048", "rsa-pss-4096", "rsa-2056" };
	static const char *bad[] = { "rsa-1024", "rsa-8192", "ec-p521", "", "rsa-", "rsa-2047",
		"rsa-02048", "rsa-pss-1024", "rsa-4104", "EC-P256", "ec-p256 ", "dsa-2048",
		"rsa-pss-", "rsa--2048" };
	char name[MP_KEY_SPEC_NAME_MAX];
	mp_key_spec s = { MP_KEY_EC_P256, 7 };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_int_eq(mp_key_spec_parse(good[i], &s), MP_OK);
		mp_key_spec_name(&s, name);
		ck_assert_str_eq(name, good[i]);
	}
	spec_of("rsa-pss-3072", &s);
	ck_assert_int_eq(s.alg, MP_KEY_RSA_PSS);
	ck_assert_uint_eq(s.rsa_bits, 3072);
	spec_of("ec-p384", &s);
	ck_assert_int_eq(s.alg, MP_KEY_EC_P384);
	ck_assert_uint_eq(s.rsa_bits, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = (mp_key_spec){ MP_KEY_EC_P256, 7 };
		ck_assert_msg(mp_key_spec_parse(bad[i], &s) == MP_ERR_INVALID, "%s", bad[i]);
		ck_assert_int_eq(s.alg, MP_KEY_EC_P256);
		ck_assert_uint_eq(s.rsa_bits, 7);
	}
	ck_assert_int_eq(mp_key_spec_parse(NULL, &s), MP_ERR_INVALID);
}
END_TEST

START_TEST(spec_of_keys)
{
	EVP_PKEY *k;
	mp_key_spec s;

	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	ck_assert_int_eq(mp_key_spec_of(k, false, &s), MP_ERR_INVALID);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	ck_assert_int_eq(mp_key_spec_of(k, false, &s), MP_ERR_INVALID);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	ck_assert_int_eq(mp_key_spec_of(k, false, &s), MP_OK);
	ck_assert_int_eq(s.alg, MP_KEY_EC_P384);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ck_assert_int_eq(mp_key_spec_of(k, true, &s), MP_OK);
	ck_assert_int_eq(s.alg, MP_KEY_RSA_PSS);
	ck_assert_uint_eq(s.rsa_bits, 2048);
	ck_assert_int_eq(mp_key_spec_of(k, false, &s), MP_OK);
	ck_assert_int_eq(s.alg, MP_KEY_RSA);
	EVP_PKEY_free(k);
}
END_TEST

static void
generate(mp_keystore *ks, mp_db *db, const char *alg, char id[MP_UUID_STR_LEN + 1])
{
	mp_key_spec spec;

	spec_of(alg, &spec);
	ck_assert_int_eq(mp_key_generate(ks, db, &actor, "software", &spec, alg, id), MP_OK);
	ck_assert_uint_eq(strlen(id), MP_UUID_STR_LEN);
}

START_TEST(generate_and_sign)
{
	static const struct {
		const char *alg;
		int sig_nid;
		const char *md;
	} cases[] = {
		{ "ec-p256", NID_ecdsa_with_SHA256, "SHA256" },
		{ "ec-p384", NID_ecdsa_with_SHA384, "SHA384" },
		{ "rsa-2048", NID_sha256WithRSAEncryption, "SHA256" },
		{ "rsa-pss-2048", NID_rsassaPss, "SHA256" },
		{ "ed25519", NID_ED25519, NULL },
	};
	mp_db *db = fresh_db("ks_generate");
	mp_keystore *ks = open_store(master_path);
	char id[MP_UUID_STR_LEN + 1], alg[MP_KEY_SPEC_NAME_MAX];
	const char *params[2];
	mp_key *k = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		generate(ks, db, cases[i].alg, id);
		params[0] = id;
		params[1] = cases[i].alg;
		ck_assert_uint_eq(pg_scalar_u64(db, "SELECT count(*) FROM keys WHERE id = $1"
		    " AND backend = 'software' AND algorithm = $2 AND label = $2"
		    " AND wrapped IS NOT NULL AND pkcs11_id IS NULL AND destroyed_at IS NULL",
		    2, params), 1);
		ck_assert_uint_eq(pg_scalar_u64(db, "SELECT count(*) FROM audit WHERE object_id = $1"
		    " AND action = 'key.create' AND object_type = 'key'"
		    " AND details->>'algorithm' = $2 AND details->>'backend' = 'software'",
		    2, params), 1);
		ck_assert_int_eq(mp_key_load(ks, db, id, &k), MP_OK);
		ck_assert_str_eq(mp_key_id(k), id);
		mp_key_spec_name(mp_key_get_spec(k), alg);
		ck_assert_str_eq(alg, cases[i].alg);
		ck_assert_ptr_nonnull(mp_key_evp(k));
		sign_and_verify(k, cases[i].sig_nid, cases[i].md);
		mp_key_release(k);
	}
	mp_keystore_free(ks);
	mp_db_close(db);
}
END_TEST

START_TEST(generate_refusals)
{
	mp_db *db = fresh_db("ks_refusals");
	mp_keystore *ks = open_store(master_path);
	char id[MP_UUID_STR_LEN + 1] = "unchanged", label[200];
	mp_key_spec spec = { MP_KEY_RSA, 1024 };
	mp_key *k = NULL;

	ck_assert_int_eq(mp_key_generate(ks, db, &actor, "software", &spec, NULL, id),
	    MP_ERR_INVALID);
	spec_of("ec-p256", &spec);
	ck_assert_int_eq(mp_key_generate(ks, db, &actor, "pkcs11", &spec, NULL, id),
	    MP_ERR_UNSUPPORTED);
	ck_assert_int_eq(mp_key_generate(ks, db, &actor, "vault", &spec, NULL, id),
	    MP_ERR_INVALID);
	memset(label, 'a', sizeof(label) - 1);
	label[sizeof(label) - 1] = '\0';
	ck_assert_int_eq(mp_key_generate(ks, db, &actor, "software", &spec, label, id),
	    MP_ERR_INVALID);
	ck_assert_str_eq(id, "unchanged");
	ck_assert_uint_eq(pg_scalar_u64(db, "SELECT count(*) FROM keys", 0, NULL), 0);
	ck_assert_int_eq(mp_key_load(ks, db, "00000000-0000-4000-8000-000000000000", &k),
	    MP_ERR_NOT_FOUND);
	ck_assert_int_eq(mp_key_load(ks, db, "not-a-uuid", &k), MP_ERR_INVALID);
	ck_assert_ptr_null(k);
	mp_keystore_free(ks);
	mp_db_close(db);
}
END_TEST

START_TEST(same_handle)
{
	mp_db *db = fresh_db("ks_handle");
	mp_keystore *ks = open_store(master_path);
	char id[MP_UUID_STR_LEN + 1], upper[MP_UUID_STR_LEN + 1];
	mp_key *a = NULL, *b = NULL, *c = NULL;

	generate(ks, db, "ec-p256", id);
	ck_assert_int_eq(mp_key_load(ks, db, id, &a), MP_OK);
	ck_assert_int_eq(mp_key_load(ks, db, id, &b), MP_OK);
	ck_assert_ptr_eq(a, b);
	for (size_t i = 0; i <= MP_UUID_STR_LEN; i++)
		upper[i] = (char)(id[i] >= 'a' && id[i] <= 'f' ? id[i] - 'a' + 'A' : id[i]);
	ck_assert_int_eq(mp_key_load(ks, db, upper, &c), MP_OK);
	ck_assert_ptr_eq(a, c);
	mp_key_release(a);
	mp_key_release(b);
	mp_key_release(c);
	/* still cached after every caller let go */
	ck_assert_int_eq(mp_key_load(ks, db, id, &c), MP_OK);
	ck_assert_ptr_eq(a, c);
	mp_key_release(c);
	mp_key_release(NULL);
	mp_keystore_free(ks);
	mp_keystore_free(NULL);
	mp_db_close(db);
}
END_TEST

/* A self-signed certificate for k, as DER in *der (OPENSSL_free it). */
static int
self_signed_der(mp_key *k, const char *cn, unsigned char **der)
{
	X509 *x = X509_new();
	EVP_PKEY *pub = mp_key_public(k);
	int n;

	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(pub);
	ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0);
	ck_assert_int_eq(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	ck_assert_int_eq(X509_set_pubkey(x, pub), 1);
	ck_assert_int_eq(mp_key_sign_x509(k, x), MP_OK);
	*der = NULL;
	n = i2d_X509(x, der);
	EVP_PKEY_free(pub);
	X509_free(x);
	return n;
}

START_TEST(cert_kept_with_handle)
{
	mp_db *db = fresh_db("ks_cert");
	mp_keystore *ks = open_store(master_path);
	char id[MP_UUID_STR_LEN + 1];
	unsigned char *one = NULL, *two = NULL;
	mp_key *k = NULL;
	X509 *a, *b, *c;
	int n1, n2;

	generate(ks, db, "ec-p256", id);
	ck_assert_int_eq(mp_key_load(ks, db, id, &k), MP_OK);
	n1 = self_signed_der(k, "one", &one);
	n2 = self_signed_der(k, "two", &two);
	ck_assert_ptr_nonnull(a = mp_key_cert(k, one, (size_t)n1));
	ck_assert_ptr_nonnull(b = mp_key_cert(k, one, (size_t)n1));
	ck_assert_ptr_eq(a, b); /* parsed once */
	ck_assert_ptr_nonnull(c = mp_key_cert(k, two, (size_t)n2));
	ck_assert_ptr_ne(a, c); /* other bytes: parsed anew */
	ck_assert_int_eq(X509_cmp(a, c) != 0, 1);
	ck_assert_ptr_null(mp_key_cert(k, one, (size_t)n1 - 1));
	X509_free(a);
	X509_free(b);
	X509_free(c);
	OPENSSL_free(one);
	OPENSSL_free(two);
	mp_key_release(k);
	mp_keystore_free(ks);
	mp_db_close(db);
}
END_TEST

struct loader {
	mp_keystore *ks;
	const char *conninfo;
	const char *id;
	mp_key *got;
	int signed_ok;
};

/* One thread: its own connection, loads the key, signs with it, keeps the handle. */
static void *
load_and_sign(void *arg)
{
	struct loader *l = arg;
	mp_db *db = NULL;
	uint8_t *sig = NULL;
	size_t siglen = 0;
	char err[256];

	if (mp_db_connect(l->conninfo, 5000, &db, err, sizeof(err)) != MP_OK)
		return NULL;
	if (mp_key_load(l->ks, db, l->id, &l->got) == MP_OK &&
	    mp_key_sign_data(l->got, 0, (const uint8_t *)"x", 1, &sig, &siglen) == MP_OK)
		l->signed_ok = 1;
	OPENSSL_free(sig);
	mp_db_close(db);
	return NULL;
}

START_TEST(threads_share_handle)
{
	const char *conninfo = pg_fresh_database("ks_threads");
	mp_db *db = pg_connect_migrated(conninfo);
	mp_keystore *ks = open_store(master_path);
	char id[MP_UUID_STR_LEN + 1];
	struct loader l[6];
	pthread_t th[6];

	generate(ks, db, "ec-p256", id);
	for (size_t i = 0; i < 6; i++) {
		l[i] = (struct loader){ ks, conninfo, id, NULL, 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, load_and_sign, &l[i]), 0);
	}
	for (size_t i = 0; i < 6; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	for (size_t i = 0; i < 6; i++) {
		ck_assert_int_eq(l[i].signed_ok, 1);
		ck_assert_ptr_eq(l[i].got, l[0].got);
	}
	for (size_t i = 0; i < 6; i++)
		mp_key_release(l[i].got);
	mp_keystore_free(ks);
	mp_db_close(db);
}
END_TEST

static void
read_master(const char *path, uint8_t out[32])
{
	FILE *f = fopen(path, "rb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(out, 1, 32, f), 32);
	fclose(f);
}

START_TEST(master_key_file)
{
	mp_db *db = fresh_db("ks_master");
	mp_keystore *ks = open_store(master_path), *other;
	uint8_t m1[32], m2[32], zero[32] = { 0 };
	char id[MP_UUID_STR_LEN + 1], path[160];
	struct stat st;
	mp_key *k = NULL;

	ck_assert_int_eq(stat(master_path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_size, 32);
	read_master(master_path, m1);
	ck_assert(memcmp(m1, zero, 32) != 0);
	generate(ks, db, "ec-p384", id);
	mp_keystore_free(ks);

	/* reopened: the same file, unchanged, opens the key */
	ks = open_store(master_path);
	read_master(master_path, m2);
	ck_assert(memcmp(m1, m2, 32) == 0);
	ck_assert_int_eq(mp_key_load(ks, db, id, &k), MP_OK);
	sign_and_verify(k, NID_ecdsa_with_SHA384, "SHA384");
	mp_key_release(k);
	k = NULL;
	mp_keystore_free(ks);

	/* another master key: the sealed key does not open */
	snprintf(path, sizeof(path), "%s/other.key", tmpdir);
	other = open_store(path);
	read_master(path, m2);
	ck_assert(memcmp(m1, m2, 32) != 0);
	ck_assert_int_eq(mp_key_load(other, db, id, &k), MP_ERR_INTEGRITY);
	ck_assert_ptr_null(k);
	mp_keystore_free(other);
	mp_db_close(db);
}
END_TEST

/* Secrets that are not signing keys: sealed under the master key, bound to their context. */
START_TEST(seal_secret)
{
	const uint8_t secret[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17 };
	uint8_t *sealed = NULL, *opened = NULL, big[1] = { 0 };
	size_t len = 0, olen = 0;
	char path[160];
	mp_keystore *ks, *other;

	snprintf(path, sizeof(path), "%s/seal.key", tmpdir);
	ks = open_store(path);
	ck_assert_int_eq(mp_keystore_seal(ks, "lorawan_device:1", secret, sizeof(secret), &sealed,
	    &len), MP_OK);
	ck_assert_uint_eq(len, 12 + sizeof(secret) + 16);
	ck_assert_ptr_null(memmem(sealed, len, secret, 8));
	ck_assert_int_eq(mp_keystore_unseal(ks, "lorawan_device:1", sealed, len, &opened, &olen),
	    MP_OK);
	ck_assert_uint_eq(olen, sizeof(secret));
	ck_assert_mem_eq(opened, secret, sizeof(secret));
	OPENSSL_clear_free(opened, olen);
	opened = NULL;
	/* another context, altered bytes, a cut tag, another master key: none opens */
	ck_assert_int_eq(mp_keystore_unseal(ks, "lorawan_device:2", sealed, len, &opened, &olen),
	    MP_ERR_INTEGRITY);
	sealed[14] ^= 1;
	ck_assert_int_eq(mp_keystore_unseal(ks, "lorawan_device:1", sealed, len, &opened, &olen),
	    MP_ERR_INTEGRITY);
	sealed[14] ^= 1;
	ck_assert_int_eq(mp_keystore_unseal(ks, "lorawan_device:1", sealed, 28, &opened, &olen),
	    MP_ERR_INTEGRITY);
	snprintf(path, sizeof(path), "%s/seal-other.key", tmpdir);
	other = open_store(path);
	ck_assert_int_eq(mp_keystore_unseal(other, "lorawan_device:1", sealed, len, &opened, &olen),
	    MP_ERR_INTEGRITY);
	ck_assert_ptr_null(opened);
	ck_assert_int_eq(mp_keystore_seal(ks, "x", big, 0, &opened, &olen), MP_ERR_INVALID);
	ck_assert_int_eq(mp_keystore_seal(ks, "x", big, MP_KEYSTORE_SEAL_MAX + 1, &opened, &olen),
	    MP_ERR_INVALID);
	free(sealed);
	mp_keystore_free(other);
	mp_keystore_free(ks);
}
END_TEST

/* The [keystore] section: master_key_file from the environment, or <state dir>/master.key. */
START_TEST(open_from_config)
{
	mp_config *c = NULL;
	mp_keystore *ks = NULL;
	char err[256], path[160];
	struct stat st;

	snprintf(path, sizeof(path), "%s/other.key", tmpdir);
	ck_assert_int_eq(setenv("MIDPKI_KEYSTORE_MASTER_KEY_FILE", path, 1), 0);
	ck_assert_int_eq(mp_config_load(NULL, &c, err, sizeof(err)), MP_OK);
	ck_assert_str_eq(c->keystore_master_key_file, path);
	ck_assert_str_eq(c->keystore_backend, "software");
	ck_assert_str_eq(c->keystore_pkcs11_module, "");
	ck_assert_int_eq(mp_keystore_open_config(c, &ks, err, sizeof(err)), MP_OK);
	ck_assert(!mp_keystore_has_pkcs11(ks));
	mp_keystore_free(ks);
	ks = NULL;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(stat(master_path, &st), -1);

	ck_assert_int_eq(mp_config_set(c, "keystore", "master_key_file", "", "test", err,
	    sizeof(err)), MP_OK);
	ck_assert_int_eq(mp_config_set(c, "state", "dir", tmpdir, "test", err, sizeof(err)),
	    MP_OK);
	ck_assert_int_eq(mp_keystore_open_config(c, &ks, err, sizeof(err)), MP_OK);
	mp_keystore_free(ks);
	ck_assert_int_eq(stat(master_path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(mp_config_set(c, "keystore", "backend", "vault", "test", err,
	    sizeof(err)), MP_ERR_CONFIG);
	mp_config_free(c);
	unsetenv("MIDPKI_KEYSTORE_MASTER_KEY_FILE");
}
END_TEST

static int
open_fails(const char *path, char *err, size_t errsz)
{
	mp_keystore_config cfg = { path, NULL, 0, NULL };
	mp_keystore *ks = NULL;
	int r = mp_keystore_open(&cfg, &ks, err, errsz);

	ck_assert_ptr_null(ks);
	return r;
}

START_TEST(master_key_refusals)
{
	char err[512];
	FILE *f;

	f = fopen(master_path, "wb");
	ck_assert_uint_eq(fwrite("0123456789abcdef0123456789abcdef\n", 1, 33, f), 33);
	fclose(f);
	ck_assert_int_eq(chmod(master_path, 0600), 0);
	ck_assert_int_eq(open_fails(master_path, err, sizeof(err)), MP_ERR_CONFIG);
	ck_assert_msg(strstr(err, "holds 33 bytes; a master key is exactly 32 bytes") != NULL,
	    "%s", err);

	ck_assert_int_eq(truncate(master_path, 32), 0);
	ck_assert_int_eq(chmod(master_path, 0640), 0);
	ck_assert_int_eq(open_fails(master_path, err, sizeof(err)), MP_ERR_CONFIG);
	ck_assert_msg(strstr(err, "has mode 0640: group or others may access it") != NULL, "%s",
	    err);
	ck_assert_int_eq(chmod(master_path, 0604), 0);
	ck_assert_int_eq(open_fails(master_path, err, sizeof(err)), MP_ERR_CONFIG);

	ck_assert_int_eq(open_fails("", err, sizeof(err)), MP_ERR_CONFIG);
	ck_assert_int_eq(open_fails("/nonexistent-dir/master.key", err, sizeof(err)), MP_ERR_IO);
}
END_TEST

START_TEST(tampered_row)
{
	mp_db *db = fresh_db("ks_tamper");
	mp_keystore *ks = open_store(master_path);
	char a[MP_UUID_STR_LEN + 1], b[MP_UUID_STR_LEN + 1];
	const char *params[2];
	mp_key *k = NULL;

	generate(ks, db, "ec-p256", a);
	generate(ks, db, "ec-p256", b);
	mp_keystore_free(ks);

	/* one byte of the ciphertext flipped */
	params[0] = a;
	ck_assert_int_eq(mp_db_query(db, "UPDATE keys SET wrapped = set_byte(wrapped, 20,"
	    " get_byte(wrapped, 20) # 1) WHERE id = $1", 1, params, NULL), MP_OK);
	/* b's sealed key and public key copied onto a's row: the id is bound as additional data */
	params[0] = b;
	params[1] = a;
	ck_assert_int_eq(mp_db_query(db, "UPDATE keys SET wrapped = (SELECT wrapped FROM keys"
	    " WHERE id = $1), public_key = (SELECT public_key FROM keys WHERE id = $1)"
	    " WHERE id = $2", 2, params, NULL), MP_OK);
	ks = open_store(master_path);
	ck_assert_int_eq(mp_key_load(ks, db, a, &k), MP_ERR_INTEGRITY);
	ck_assert_int_eq(mp_key_load(ks, db, b, &k), MP_OK);
	mp_key_release(k);
	k = NULL;

	/* the tag truncated */
	params[0] = b;
	ck_assert_int_eq(mp_db_query(db, "UPDATE keys SET wrapped = substr(wrapped, 1, 20)"
	    " WHERE id = $1", 1, params, NULL), MP_OK);
	mp_keystore_free(ks);
	ks = open_store(master_path);
	ck_assert_int_eq(mp_key_load(ks, db, b, &k), MP_ERR_INTEGRITY);
	ck_assert_ptr_null(k);
	mp_keystore_free(ks);
	mp_db_close(db);
}
END_TEST

/* The whole output of a shell command. */
static char *
command_output(const char *cmd, size_t *len)
{
	FILE *p = popen(cmd, "r");
	size_t cap = 1 << 20, n = 0, got;
	char *buf = malloc(cap);

	ck_assert_ptr_nonnull(p);
	while ((got = fread(buf + n, 1, cap - n, p)) > 0) {
		n += got;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
	}
	ck_assert_int_eq(pclose(p), 0);
	*len = n;
	return buf;
}

static char *
hex_of(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);

	for (size_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", p[i]);
	return s;
}

static char *
pem_of(EVP_PKEY *k, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	ck_assert_int_eq(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(b, &data);
	out = malloc((size_t)n);
	memcpy(out, data, (size_t)n);
	*len = (size_t)n;
	BIO_free(b);
	return out;
}

START_TEST(import_pem_not_in_dump)
{
	mp_db *db = fresh_db("ks_import");
	mp_keystore *ks = open_store(master_path);
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *pub, *small;
	char id[MP_UUID_STR_LEN + 1], *pem, *dump, *hex, *pubhex, cmd[256];
	unsigned char *pubder = NULL;
	uint8_t scalar[32];
	BIGNUM *bn = NULL;
	size_t pemlen, dumplen;
	int pubderlen;
	mp_key *k = NULL;

	pem = pem_of(key, &pemlen);
	ck_assert_int_eq(mp_key_import_pem(ks, db, &actor, pem, pemlen, "imported", id), MP_OK);
	ck_assert_int_eq(mp_key_load(ks, db, id, &k), MP_OK);
	ck_assert_int_eq(mp_key_get_spec(k)->alg, MP_KEY_EC_P256);
	pub = mp_key_public(k);
	ck_assert_int_eq(EVP_PKEY_eq(pub, key), 1);
	EVP_PKEY_free(pub);
	sign_and_verify(k, NID_ecdsa_with_SHA256, "SHA256");
	mp_key_release(k);
	ck_assert_uint_eq(pg_scalar_u64(db, "SELECT count(*) FROM audit WHERE action ="
	    " 'key.import' AND object_id = $1", 1, (const char *const[]){ id }), 1);

	ck_assert_int_eq(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &bn), 1);
	ck_assert_int_eq(BN_bn2binpad(bn, scalar, sizeof(scalar)), 32);
	hex = hex_of(scalar, sizeof(scalar));
	pubderlen = i2d_PUBKEY(key, &pubder);
	ck_assert_int_gt(pubderlen, 0);
	pubhex = hex_of(pubder, (size_t)pubderlen);

	snprintf(cmd, sizeof(cmd), "pg_dump --no-owner -d ks_import");
	dump = command_output(cmd, &dumplen);
	/* the dump holds the key's row (its public key), never its private scalar */
	ck_assert_ptr_nonnull(strstr(dump, pubhex));
	ck_assert_ptr_null(memmem(dump, dumplen, scalar, sizeof(scalar)));
	ck_assert_ptr_null(memmem(dump, dumplen, hex, strlen(hex)));
	for (char *p = hex; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	ck_assert_ptr_null(memmem(dump, dumplen, hex, strlen(hex)));

	/* refusals: garbage, a weak key, an encrypted key, a public key */
	ck_assert_int_eq(mp_key_import_pem(ks, db, &actor, "not a key", 9, NULL, id),
	    MP_ERR_INVALID);
	small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	free(pem);
	pem = pem_of(small, &pemlen);
	ck_assert_int_eq(mp_key_import_pem(ks, db, &actor, pem, pemlen, NULL, id),
	    MP_ERR_INVALID);
	{
		BIO *b = BIO_new(BIO_s_mem());
		char *data;
		long n;

		ck_assert_int_eq(PEM_write_bio_PrivateKey(b, key, EVP_aes_256_cbc(), NULL, 0, NULL,
		    (void *)"secret"), 1);
		n = BIO_get_mem_data(b, &data);
		ck_assert_int_eq(mp_key_import_pem(ks, db, &actor, data, (size_t)n, NULL, id),
		    MP_ERR_INVALID);
		BIO_free(b);
	}
	ck_assert_uint_eq(pg_scalar_u64(db, "SELECT count(*) FROM keys", 0, NULL), 1);

	EVP_PKEY_free(small);
	OPENSSL_free(pubder);
	BN_free(bn);
	free(hex);
	free(pubhex);
	free(dump);
	free(pem);
	EVP_PKEY_free(key);
	mp_keystore_free(ks);
	mp_db_close(db);
}
END_TEST

START_TEST(destroy)
{
	mp_db *db = fresh_db("ks_destroy");
	mp_keystore *ks = open_store(master_path);
	char id[MP_UUID_STR_LEN + 1];
	const char *params[1] = { id };
	mp_key *k = NULL;

	generate(ks, db, "ed25519", id);
	ck_assert_int_eq(mp_key_load(ks, db, id, &k), MP_OK);
	mp_key_release(k);
	k = NULL;
	ck_assert_int_eq(mp_key_destroy(ks, db, &actor, id), MP_OK);
	ck_assert_int_eq(mp_key_load(ks, db, id, &k), MP_ERR_NOT_FOUND);
	ck_assert_ptr_null(k);
	ck_assert_int_eq(mp_key_destroy(ks, db, &actor, id), MP_ERR_NOT_FOUND);
	ck_assert_uint_eq(pg_scalar_u64(db, "SELECT count(*) FROM keys WHERE id = $1"
	    " AND wrapped IS NULL AND destroyed_at IS NOT NULL", 1, params), 1);
	ck_assert_uint_eq(pg_scalar_u64(db, "SELECT count(*) FROM audit WHERE object_id = $1"
	    " AND action = 'key.destroy'", 1, params), 1);
	mp_keystore_free(ks);
	mp_db_close(db);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("keystore");
	TCase *tc = tcase_create("keystore");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, spec_names);
	tcase_add_test(tc, spec_of_keys);
	tcase_add_test(tc, generate_and_sign);
	tcase_add_test(tc, generate_refusals);
	tcase_add_test(tc, same_handle);
	tcase_add_test(tc, cert_kept_with_handle);
	tcase_add_test(tc, threads_share_handle);
	tcase_add_test(tc, master_key_file);
	tcase_add_test(tc, master_key_refusals);
	tcase_add_test(tc, open_from_config);
	tcase_add_test(tc, seal_secret);
	tcase_add_test(tc, tampered_row);
	tcase_add_test(tc, import_pem_not_in_dump);
	tcase_add_test(tc, destroy);
	suite_add_tcase(s, tc);
	return s;
}
