#include "keystore_harness.h"

#include <check.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "err.h"

X509 *
unsigned_cert(EVP_PKEY *pub)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"keystore test", -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), 42), 1);
	ck_assert_int_eq(X509_set_subject_name(x, n), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, n), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	ck_assert_int_eq(X509_set_pubkey(x, pub), 1);
	X509_NAME_free(n);
	return x;
}

int
verify_data(EVP_PKEY *pub, const mp_key_spec *spec, const char *md, const uint8_t *sig,
    size_t siglen, const char *msg)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	ck_assert_int_eq(EVP_DigestVerifyInit_ex(m, &pctx, md, NULL, NULL, pub, NULL), 1);
	if (spec->alg == MP_KEY_RSA_PSS) {
		ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
		ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
	}
	ok = EVP_DigestVerify(m, sig, siglen, (const unsigned char *)msg, strlen(msg));
	EVP_MD_CTX_free(m);
	return ok;
}

void
sign_and_verify(mp_key *k, int sig_nid, const char *md)
{
	const mp_key_spec *spec = mp_key_get_spec(k);
	EVP_PKEY *pub = mp_key_public(k);
	X509 *x = unsigned_cert(pub);
	X509_CRL *crl = X509_CRL_new();
	X509_NAME *n = X509_NAME_new();
	ASN1_TIME *now = ASN1_TIME_new();
	uint8_t *sig = NULL;
	size_t siglen = 0;
	const char *msg = "message to sign";
	int pknid = 0, nid = 0;
	mp_key_spec got;

	ck_assert_ptr_nonnull(pub);
	ck_assert_int_eq(mp_key_spec_of(pub, spec->alg == MP_KEY_RSA_PSS, &got), MP_OK);
	ck_assert_int_eq(got.alg, spec->alg);
	ck_assert_uint_eq(got.rsa_bits, spec->rsa_bits);

	ck_assert_int_eq(mp_key_sign_x509(k, x), MP_OK);
	ck_assert_int_eq(X509_verify(x, pub), 1);
	ck_assert_int_eq(X509_get_signature_nid(x), sig_nid);
	if (spec->alg == MP_KEY_RSA_PSS) {
		ck_assert_int_eq(X509_get_signature_info(x, &nid, &pknid, NULL, NULL), 1);
		ck_assert_int_eq(nid, OBJ_sn2nid(md));
	}

	ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"keystore test", -1, -1, 0), 1);
	ck_assert_int_eq(X509_CRL_set_version(crl, X509_CRL_VERSION_2), 1);
	ck_assert_int_eq(X509_CRL_set_issuer_name(crl, n), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(now, 0));
	ck_assert_int_eq(X509_CRL_set1_lastUpdate(crl, now), 1);
	ck_assert_int_eq(mp_key_sign_crl(k, crl), MP_OK);
	ck_assert_int_eq(X509_CRL_verify(crl, pub), 1);
	ck_assert_int_eq(X509_CRL_get_signature_nid(crl), sig_nid);

	ck_assert_int_eq(mp_key_sign_data(k, 0, (const uint8_t *)msg, strlen(msg), &sig, &siglen),
	    MP_OK);
	ck_assert_int_eq(verify_data(pub, spec, md, sig, siglen, msg), 1);
	ck_assert_int_eq(verify_data(pub, spec, md, sig, siglen, "another message"), 0);
	OPENSSL_free(sig);
	sig = NULL;
	if (spec->alg != MP_KEY_ED25519) {
		ck_assert_int_eq(mp_key_sign_data(k, NID_sha512, (const uint8_t *)msg, strlen(msg),
		    &sig, &siglen), MP_OK);
		ck_assert_int_eq(verify_data(pub, spec, "SHA512", sig, siglen, msg), 1);
		OPENSSL_free(sig);
		sig = NULL;
		ck_assert_int_eq(mp_key_sign_data(k, NID_sha1, (const uint8_t *)msg, strlen(msg),
		    &sig, &siglen), MP_ERR_INVALID);
	} else {
		ck_assert_int_eq(mp_key_sign_data(k, NID_sha512, (const uint8_t *)msg, strlen(msg),
		    &sig, &siglen), MP_ERR_INVALID);
	}
	ck_assert_ptr_null(sig);
	ERR_clear_error();
	ASN1_TIME_free(now);
	X509_NAME_free(n);
	X509_CRL_free(crl);
	X509_free(x);
	EVP_PKEY_free(pub);
}
