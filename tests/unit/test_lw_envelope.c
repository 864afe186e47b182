/*
 * lorawan/envelope.c: root keys enveloped in CMS to a certificate's key open
 * with that key (CMS_decrypt, as `openssl cms -decrypt` does) for EC and RSA
 * recipients, and what is not a usable recipient is refused.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
/* pem.h first: cms.h declares PEM_read_bio_CMS only after it */
#include <openssl/pem.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "check_main.h"
#include "envelope.h"
#include "err.h"

/* A self-signed certificate of key, as DER in *der (free it). */
static size_t
self_signed(EVP_PKEY *key, uint8_t **der)
{
	X509 *x = X509_new();
	int n;

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"line", -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	ck_assert_int_eq(X509_set_pubkey(x, key), 1);
	ck_assert_int_gt(X509_sign(x, key, EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL :
	    EVP_sha256()), 0);
	*der = NULL;
	n = i2d_X509(x, der);
	ck_assert_int_gt(n, 0);
	X509_free(x);
	return (size_t)n;
}

/* Seals msg to key's certificate and opens it again with key. */
static void
round_trip(EVP_PKEY *key)
{
	static const char msg[] = "[{\"dev_eui\":\"0102030405060708\",\"app_key\":\"00\"}]";
	uint8_t *der = NULL;
	size_t len = self_signed(key, &der);
	char *pem = NULL;
	BIO *in, *out = BIO_new(BIO_s_mem());
	CMS_ContentInfo *cms;
	char *got;
	long n;

	ck_assert_int_eq(lw_envelope_check_recipient(der, len), MP_OK);
	ck_assert_int_eq(lw_envelope_seal(der, len, (const uint8_t *)msg, strlen(msg), &pem), MP_OK);
	ck_assert_ptr_nonnull(strstr(pem, "-----BEGIN CMS-----"));
	in = BIO_new_mem_buf(pem, -1);
	cms = PEM_read_bio_CMS(in, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(cms);
	ck_assert_int_eq(OBJ_obj2nid(CMS_get0_type(cms)), NID_id_smime_ct_authEnvelopedData);
	ck_assert_int_eq(CMS_decrypt(cms, key, NULL, NULL, out, 0), 1);
	n = BIO_get_mem_data(out, &got);
	ck_assert_int_eq(n, (long)strlen(msg));
	ck_assert_mem_eq(got, msg, strlen(msg));
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	BIO_free(out);
	free(pem);
	OPENSSL_free(der);
}

START_TEST(ec_and_rsa_recipients)
{
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);

	ck_assert_ptr_nonnull(ec);
	ck_assert_ptr_nonnull(rsa);
	round_trip(ec);
	round_trip(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
}
END_TEST

START_TEST(refusals)
{
	EVP_PKEY *weak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	uint8_t *der = NULL, *longer;
	size_t len;
	char *pem = NULL;

	ck_assert_int_eq(lw_envelope_check_recipient((const uint8_t *)"\x30\x03\x02\x01\x01", 5),
	    MP_ERR_INVALID);
	ck_assert_int_eq(lw_envelope_check_recipient(NULL, 0), MP_ERR_INVALID);
	len = self_signed(weak, &der);
	ck_assert_int_eq(lw_envelope_check_recipient(der, len), MP_ERR_UNSUPPORTED);
	ck_assert_int_eq(lw_envelope_seal(der, len, (const uint8_t *)"x", 1, &pem),
	    MP_ERR_UNSUPPORTED);
	ck_assert_ptr_null(pem);
	OPENSSL_free(der);
	len = self_signed(ed, &der);
	ck_assert_int_eq(lw_envelope_check_recipient(der, len), MP_ERR_UNSUPPORTED);
	/* a certificate with a byte after it */
	longer = malloc(len + 1);
	ck_assert_ptr_nonnull(longer);
	memcpy(longer, der, len);
	longer[len] = 0;
	ck_assert_int_eq(lw_envelope_check_recipient(longer, len + 1), MP_ERR_INVALID);
	free(longer);
	OPENSSL_free(der);
	EVP_PKEY_free(weak);
	EVP_PKEY_free(ed);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("lw_envelope");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ec_and_rsa_recipients);
	tcase_add_test(tc, refusals);
	suite_add_tcase(s, tc);
	return s;
}
