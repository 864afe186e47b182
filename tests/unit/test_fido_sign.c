/*
 * FDO signatures made through the key store, against a throwaway PostgreSQL
 * (with-pg.sh): COSE_Sign1 by our keys (ES256, ES384, RS256) verified with
 * OpenSSL, and the go-fdo voucher (tests/data/fdo) extended with its
 * manufacturer key, imported into the store, to one owner and on to another;
 * each result verifies fully, and extension by a key that is not the
 * current owner's, to a key of another type, or of an unverified voucher is
 * refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "check_main.h"
#include "cbor.h"
#include "cose.h"
#include "err.h"
#include "fido_harness.h"
#include "keystore.h"
#include "pg_harness.h"
#include "voucher.h"

static const mp_actor actor = { "user", "fido-test", NULL };
static char tmpdir[64];
static char master_path[128];

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/midpki-fido.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(master_path, sizeof(master_path), "%s/master.key", tmpdir);
}

static void
teardown(void)
{
	unlink(master_path);
	rmdir(tmpdir);
}

static mp_keystore *
open_store(void)
{
	mp_keystore_config cfg = { master_path, NULL, 0, NULL };
	mp_keystore *ks = NULL;
	char err[256];

	ck_assert_msg(mp_keystore_open(&cfg, &ks, err, sizeof(err)) == MP_OK, "%s", err);
	return ks;
}

static mp_key *
generated(mp_keystore *ks, mp_db *db, const char *alg)
{
	char id[MP_UUID_STR_LEN + 1];
	mp_key_spec spec;
	mp_key *k = NULL;

	ck_assert_int_eq(mp_key_spec_parse(alg, &spec), MP_OK);
	ck_assert_int_eq(mp_key_generate(ks, db, &actor, "software", &spec, alg, id), MP_OK);
	ck_assert_int_eq(mp_key_load(ks, db, id, &k), MP_OK);
	return k;
}

START_TEST(sign1_by_key_store)
{
	static const struct {
		const char *alg;
		int cose;
		int type;
	} keys[] = { { "ec-p256", FDO_COSE_ES256, FDO_PK_SECP256R1 },
		{ "ec-p384", FDO_COSE_ES384, FDO_PK_SECP384R1 },
		{ "rsa-2048", FDO_COSE_RS256, FDO_PK_RSAPKCS } };
	static const uint8_t payload[] = { 0x82, 0x01, 0x02 };
	static const uint8_t unprot[] = { 0xa1, 0x01, 0x02 };
	mp_db *db = pg_connect_migrated(pg_fresh_database("fido_sign1"));
	mp_keystore *ks = open_store();
	fdo_detail d;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		mp_key *k = generated(ks, db, keys[i].alg);
		fdo_pubkey pub = { keys[i].type, FDO_PKENC_X509, mp_key_public(k) };
		mp_buf *b = mp_buf_new(1024);
		uint8_t *copy;
		fdo_sign1 s;
		fdo_cbor c;

		ck_assert_int_eq(fdo_sign1_sign(k, payload, sizeof(payload), unprot, sizeof(unprot), b),
		    MP_OK);
		fdo_cbor_init(&c, mp_buf_ptr(b), mp_buf_len(b));
		ck_assert_int_eq(fdo_sign1_decode(&c, &s, &d), MP_OK);
		ck_assert(fdo_cbor_empty(&c));
		ck_assert_int_eq(s.alg, keys[i].cose);
		ck_assert(s.payload_len == sizeof(payload) &&
		    memcmp(s.payload, payload, sizeof(payload)) == 0);
		ck_assert(s.unprot_len == sizeof(unprot) && memcmp(s.unprot, unprot, sizeof(unprot)) == 0);
		ck_assert_int_eq(fdo_sign1_verify(&s, &pub, &d), MP_OK);

		/* the payload altered in place: the signature no longer verifies */
		copy = malloc(mp_buf_len(b));
		memcpy(copy, mp_buf_ptr(b), mp_buf_len(b));
		fdo_cbor_init(&c, copy, mp_buf_len(b));
		ck_assert_int_eq(fdo_sign1_decode(&c, &s, &d), MP_OK);
		((uint8_t *)s.payload)[1] ^= 1;
		ck_assert_int_eq(fdo_sign1_verify(&s, &pub, &d), MP_ERR_INTEGRITY);
		ck_assert_str_eq(d.message, "COSE_Sign1: the signature does not verify");

		/* a key of another type does not suit the algorithm */
		pub.type = keys[i].type == FDO_PK_SECP256R1 ? FDO_PK_SECP384R1 : FDO_PK_SECP256R1;
		ck_assert_int_eq(fdo_sign1_verify(&s, &pub, &d), MP_ERR_INVALID);
		free(copy);
		EVP_PKEY_free(pub.key);
		mp_buf_free(b);
		mp_key_release(k);
	}
	mp_keystore_free(ks);
	mp_db_close(db);
}
END_TEST

START_TEST(extend_go_fdo_voucher)
{
	mp_db *db = pg_connect_migrated(pg_fresh_database("fido_extend"));
	mp_keystore *ks = open_store();
	char id[MP_UUID_STR_LEN + 1], *pem, *text;
	fdo_voucher *v, *v1 = NULL, *v2 = NULL, *other = NULL;
	mp_key *mfg = NULL, *owner1, *owner2;
	EVP_PKEY *pub2, *p256;
	size_t len;
	fdo_detail d;

	pem = (char *)fido_test_file("go-fdo-mfg_key.pem", &len);
	ck_assert_int_eq(mp_key_import_pem(ks, db, &actor, pem, len, "go-fdo manufacturer", id),
	    MP_OK);
	free(pem);
	ck_assert_int_eq(mp_key_load(ks, db, id, &mfg), MP_OK);
	owner1 = generated(ks, db, "ec-p384");
	owner2 = generated(ks, db, "ec-p384");
	pub2 = mp_key_public(owner2);
	p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	text = (char *)fido_test_file("go-fdo-ov.pem", &len);
	ck_assert_int_eq(fdo_voucher_from_pem(text, len, &v, &d), MP_OK);
	free(text);
	{
		EVP_PKEY *pub1 = mp_key_public(owner1);

		ck_assert_int_eq(fdo_voucher_extend(v, mfg, pub1, &v1, &d), MP_ERR_INTEGRITY);
		ck_assert_str_eq(d.message, "voucher: not verified");
		ck_assert_int_eq(fdo_voucher_verify(v, NULL, 0, &d), MP_OK);
		ck_assert_int_eq(fdo_voucher_extend(v, owner1, pub1, &v1, &d), MP_ERR_DENIED);
		ck_assert_str_eq(d.message, "voucher: its current owner key is not this key");
		ck_assert_int_eq(fdo_voucher_extend(v, mfg, p256, &v1, &d), MP_ERR_INVALID);
		ck_assert_str_eq(d.message,
		    "next owner key: not of the manufacturer key's type and size");
		ck_assert_int_eq(fdo_voucher_extend(v, mfg, pub1, &v1, &d), MP_OK);
		EVP_PKEY_free(pub1);
	}
	ck_assert_uint_eq(fdo_voucher_entry_count(v1), 1);
	ck_assert_msg(fdo_voucher_verify(v1, NULL, 0, &d) == MP_OK, "%s", d.message);
	ck_assert_int_eq(fdo_voucher_owner_key(v1)->type, FDO_PK_SECP384R1);

	/* the first owner passes it on; the manufacturer no longer can */
	ck_assert_int_eq(fdo_voucher_extend(v1, mfg, pub2, &other, &d), MP_ERR_DENIED);
	ck_assert_int_eq(fdo_voucher_extend(v1, owner1, pub2, &v2, &d), MP_OK);
	ck_assert_uint_eq(fdo_voucher_entry_count(v2), 2);
	ck_assert_msg(fdo_voucher_verify(v2, NULL, 0, &d) == MP_OK, "%s", d.message);
	ck_assert_int_eq(EVP_PKEY_eq(fdo_voucher_owner_key(v2)->key, pub2), 1);
	ck_assert_mem_eq(fdo_voucher_guid(v2), fdo_voucher_guid(v), FDO_GUID_LEN);

	/* PEM out and in: still verifies */
	ck_assert_int_eq(fdo_voucher_to_pem(v2, &pem), MP_OK);
	ck_assert_int_eq(fdo_voucher_from_pem(pem, strlen(pem), &other, &d), MP_OK);
	ck_assert_int_eq(fdo_voucher_verify(other, NULL, 0, &d), MP_OK);
	free(pem);

	fdo_voucher_free(other);
	fdo_voucher_free(v2);
	fdo_voucher_free(v1);
	fdo_voucher_free(v);
	EVP_PKEY_free(pub2);
	EVP_PKEY_free(p256);
	mp_key_release(mfg);
	mp_key_release(owner1);
	mp_key_release(owner2);
	mp_keystore_free(ks);
	mp_db_close(db);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("fido_sign");
	TCase *tc = tcase_create("key store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, sign1_by_key_store);
	tcase_add_test(tc, extend_go_fdo_voucher);
	suite_add_tcase(s, tc);
	return s;
}
