/*
 * FDO signatures made through the key store, against a throwaway PostgreSQL
 * (with-pg.sh): COSE_Sign1 by our keys (ES256, ES384, RS256) verified with
 * OpenSSL, and the go-fdo voucher (tests/data/fdo) extended with its
 * manufacturer key, imported into the store, to one owner and on to another;
 * each result verifies fully, and extension by a key that is not the
 * current owner's, to a key of another type, or of an unverified voucher is
 * refused. The voucher extended once is registered for TO1 by its owner with
 * no TO0 exchange (fdo_rv_register): the stored To1d is signed by the owner
 * key and names the address given, the wait is capped at 30 days, audited.
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
#include "rendezvous.h"
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

/* Registers v (extended to owner) as its owner's, and checks the To1d stored. */
static void
check_register(mp_db *db, const fdo_voucher *v, mp_key *owner)
{
	PGresult *res = NULL;
	uint8_t *to1d = NULL;
	size_t n = 0;
	fdo_rv_addr addr;
	fdo_detail d;
	fdo_sign1 s;
	fdo_to1d p;
	fdo_cbor c;

	ck_assert_int_eq(fdo_rv_addr_set(&addr, "", 8040, false), MP_ERR_INVALID);
	ck_assert_int_eq(fdo_rv_addr_set(&addr, "owner.example", 0, false), MP_ERR_INVALID);
	ck_assert_int_eq(fdo_rv_addr_set(&addr, "owner.example", 8040, false), MP_OK);
	ck_assert_str_eq(addr.dns, "owner.example");
	ck_assert_uint_eq(addr.ip_len, 0);
	ck_assert_int_eq(fdo_rv_addr_set(&addr, "192.0.2.7", 8443, true), MP_OK);
	ck_assert_uint_eq(addr.ip_len, 4);
	ck_assert_str_eq(addr.dns, "");
	ck_assert_int_eq(mp_db_query_row(db, "INSERT INTO tenants (name) VALUES ('maker')"
	    " RETURNING id", 0, NULL, &res), MP_OK);
	ck_assert_int_eq(fdo_rv_register(db, PQgetvalue(res, 0, 0), v, owner, &addr,
	    40 * 24 * 3600), MP_OK);
	PQclear(res);
	ck_assert_uint_eq(pg_scalar_u64(db, "SELECT count(*) FROM fdo_rv_blobs WHERE expires_at"
	    " BETWEEN now() + interval '29 days 23:59' AND now() + interval '30 days'", 0, NULL), 1);
	ck_assert_uint_eq(pg_scalar_u64(db, "SELECT count(*) FROM audit WHERE action ="
	    " 'fdo_rv.register' AND actor_kind = 'system' AND (details->>'wait_seconds')::int ="
	    " 2592000", 0, NULL), 1);
	ck_assert_int_eq(mp_db_query_row(db, "SELECT to1d FROM fdo_rv_blobs", 0, NULL, &res),
	    MP_OK);
	ck_assert_int_eq(mp_db_bytea_value(res, 0, 0, 65536, &to1d, &n), MP_OK);
	fdo_cbor_init(&c, to1d, n);
	ck_assert_msg(fdo_to1d_decode(&c, &s, &p, &d) == MP_OK, "%s", d.message);
	ck_assert_msg(fdo_sign1_verify(&s, fdo_voucher_owner_key(v), &d) == MP_OK, "%s",
	    d.message);
	ck_assert_int_eq(fdo_sign1_verify(&s, fdo_voucher_manufacturer_key(v), &d),
	    MP_ERR_INTEGRITY);
	ck_assert_uint_eq(p.naddrs, 1);
	ck_assert_mem_eq(p.addrs[0].ip, addr.ip, 4);
	ck_assert_uint_eq(p.addrs[0].port, 8443);
	ck_assert_uint_eq(p.addrs[0].protocol, FDO_PROT_HTTPS);
	ck_assert_int_eq(p.to0d_hash.alg, FDO_SHA256);
	free(to1d);
	PQclear(res);
}

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
	check_register(db, v1, owner1);

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
