/* ca_csr_decode: formats, proof of possession, weak keys, limits. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "ca_harness.h"
#include "check_main.h"
#include "csr.h"
#include "err.h"

/* Decodes der (or its PEM form when pem) and checks the outcome. */
static void
expect(const uint8_t *in, size_t len, int want, const char *field)
{
	X509_REQ *req = NULL;
	ca_detail d;
	int r;

	memset(&d, 0, sizeof(d));
	r = ca_csr_decode(in, len, &req, &d);
	ck_assert_msg(r == want, "got %d (%s: %s), want %d", r, d.field, d.message, want);
	if (want == MP_OK) {
		ck_assert_ptr_nonnull(req);
	} else {
		ck_assert_ptr_null(req);
		ck_assert_str_eq(d.field, field);
		ck_assert_int_gt((int)strlen(d.message), 0);
	}
	X509_REQ_free(req);
}

static char *
pem_of(X509_REQ *req, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *s;
	long n;

	ck_assert(PEM_write_bio_X509_REQ(b, req));
	n = BIO_get_mem_data(b, &data);
	s = malloc((size_t)n + 1);
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	*len = (size_t)n;
	BIO_free(b);
	return s;
}

START_TEST(accepted_keys_pem_and_der)
{
	static const char *const keys[] = { "ec-p256", "ec-p384", "rsa-2048", "ed25519" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		EVP_PKEY *k = th_key(keys[i]);
		X509_REQ *req = th_csr(k, "CN=dev", NID_undef);
		uint8_t *der;
		size_t n = th_csr_der(req, &der), plen;
		char *pem = pem_of(req, &plen);

		expect(der, n, MP_OK, NULL);
		expect((const uint8_t *)pem, plen, MP_OK, NULL);
		free(pem);
		OPENSSL_free(der);
		X509_REQ_free(req);
		EVP_PKEY_free(k);
	}
}
END_TEST

START_TEST(weak_keys_refused)
{
	static const char *const keys[] = { "rsa-1024", "ec-p521" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		EVP_PKEY *k = th_key(keys[i]);
		X509_REQ *req = th_csr(k, "CN=dev", NID_undef);
		uint8_t *der;
		size_t n = th_csr_der(req, &der);

		expect(der, n, MP_ERR_POLICY, "csr.key");
		OPENSSL_free(der);
		X509_REQ_free(req);
		EVP_PKEY_free(k);
	}
}
END_TEST

START_TEST(rsa_exponent_3_refused)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *e = BN_new();
	EVP_PKEY *k = NULL;
	X509_REQ *req;
	uint8_t *der;
	size_t n;

	ck_assert(BN_set_word(e, 3));
	ck_assert_int_eq(EVP_PKEY_keygen_init(ctx), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e), 1);
	ck_assert_int_eq(EVP_PKEY_keygen(ctx, &k), 1);
	req = th_csr(k, "CN=dev", NID_undef);
	n = th_csr_der(req, &der);
	expect(der, n, MP_ERR_POLICY, "csr.key");
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	BN_free(e);
	EVP_PKEY_CTX_free(ctx);
}
END_TEST

START_TEST(explicit_ec_parameters_refused)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"P-256", 0),
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, (char *)"explicit", 0),
		OSSL_PARAM_END,
	};
	EVP_PKEY *k = NULL;
	X509_REQ *req;
	uint8_t *der;
	size_t n;

	ck_assert_int_eq(EVP_PKEY_keygen_init(ctx), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_params(ctx, params), 1);
	ck_assert_int_eq(EVP_PKEY_keygen(ctx, &k), 1);
	req = th_csr(k, "CN=dev", NID_undef);
	n = th_csr_der(req, &der);
	expect(der, n, MP_ERR_POLICY, "csr.key");
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
}
END_TEST

START_TEST(broken_signature_refused)
{
	EVP_PKEY *k = th_key("ec-p256");
	X509_REQ *req = th_csr(k, "CN=dev", NID_undef);
	uint8_t *der;
	size_t n = th_csr_der(req, &der);

	/* the last octet belongs to the signature's s value */
	der[n - 1] ^= 0x01;
	expect(der, n, MP_ERR_INVALID, "csr.signature");
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(sha1_signature_refused)
{
	EVP_PKEY *k = th_key("ec-p256");
	X509_REQ *req = th_csr(k, "CN=dev", NID_undef);
	uint8_t *der;
	size_t n;

	ck_assert_int_gt(X509_REQ_sign(req, k, EVP_sha1()), 0);
	n = th_csr_der(req, &der);
	expect(der, n, MP_ERR_POLICY, "csr.signature");
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(malformed_and_limits)
{
	EVP_PKEY *k = th_key("ec-p256");
	X509_REQ *req = th_csr(k, "CN=dev", NID_undef);
	uint8_t *der, *big, *trail;
	size_t n = th_csr_der(req, &der), plen;
	char *pem = pem_of(req, &plen);
	const char *cert_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	const char *bad_b64 = "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n"
	    "-----END CERTIFICATE REQUEST-----\n";

	expect((const uint8_t *)"", 0, MP_ERR_INVALID, "csr");
	expect((const uint8_t *)"hello", 5, MP_ERR_INVALID, "csr");
	expect(der, n - 1, MP_ERR_INVALID, "csr");
	trail = malloc(n + 1);
	memcpy(trail, der, n);
	trail[n] = 0;
	expect(trail, n + 1, MP_ERR_INVALID, "csr");
	expect((const uint8_t *)cert_pem, strlen(cert_pem), MP_ERR_INVALID, "csr");
	expect((const uint8_t *)bad_b64, strlen(bad_b64), MP_ERR_INVALID, "csr");
	big = calloc(1, CA_CSR_MAX_BYTES + 1);
	memcpy(big, pem, plen);
	expect(big, CA_CSR_MAX_BYTES + 1, MP_ERR_TOO_LARGE, "csr");
	/* a PEM request followed by NULs up to the limit still decodes */
	expect(big, CA_CSR_MAX_BYTES, MP_OK, NULL);
	free(big);
	free(trail);
	free(pem);
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("ca_csr");
	TCase *tc = tcase_create("csr");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, accepted_keys_pem_and_der);
	tcase_add_test(tc, weak_keys_refused);
	tcase_add_test(tc, rsa_exponent_3_refused);
	tcase_add_test(tc, explicit_ec_parameters_refused);
	tcase_add_test(tc, broken_signature_refused);
	tcase_add_test(tc, sha1_signature_refused);
	tcase_add_test(tc, malformed_and_limits);
	suite_add_tcase(s, tc);
	return s;
}
