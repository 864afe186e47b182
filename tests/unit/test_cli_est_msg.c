/*
 * The EST client's messages (cli/est_msg.c): requests made for each key type
 * parse back with OpenSSL, verify, and carry subject, SANs and the channel
 * binding as RFC 7030 3.5 puts it; certs-only PKCS#7 and CsrAttrs bodies are
 * read with any base64 wrapping and refused when malformed; /serverkeygen
 * answers are read with LF or CRLF, the key plain or encrypted by the
 * server's est_keywrap_envelop to a certificate that the request named with
 * AsymmetricDecryptKeyIdentifier (est_keywrap_request reads it back).
 */
#include <string.h>

#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "../../cli/est_msg.h"
#include "../../est/keywrap.h"
#include "check_main.h"
#include "codec.h"
#include "err.h"

/* The DER request in base64 text. */
static X509_REQ *
req_of(const char *b64)
{
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509_REQ *req;

	ck_assert_int_eq(mp_b64_decode(b64, strlen(b64), false, 65536, &der, &len), MP_OK);
	p = der;
	ck_assert_ptr_nonnull(req = d2i_X509_REQ(NULL, &p, (long)len));
	free(der);
	return req;
}

START_TEST(csr_for_each_key_type)
{
	static const char *const types[] = { "ec-p256", "ec-p384", "rsa-2048", "ed25519" };

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		EVP_PKEY *k = NULL;
		X509_REQ *req;
		char *b64 = NULL;

		ck_assert_int_eq(est_key_generate(types[i], &k), MP_OK);
		ck_assert_int_eq(est_csr_make(k, NULL, NULL, NULL, 0, NULL, &b64), MP_OK);
		/* lines of 64 characters */
		ck_assert_ptr_nonnull(strchr(b64, '\n'));
		ck_assert_int_eq((int)(strchr(b64, '\n') - b64), strlen(b64) > 65 ? 64 :
		    (int)strlen(b64) - 1);
		req = req_of(b64);
		ck_assert_int_eq(X509_REQ_verify(req, k), 1);
		ck_assert_int_eq(X509_NAME_entry_count(X509_REQ_get_subject_name(req)), 0);
		ck_assert_int_eq(X509_REQ_get_attr_count(req), 0);
		X509_REQ_free(req);
		free(b64);
		EVP_PKEY_free(k);
	}
	ck_assert_int_eq(est_key_generate("ec-p521", &(EVP_PKEY *){ NULL }), MP_ERR_INVALID);
}
END_TEST

START_TEST(csr_names_and_binding)
{
	static const uint8_t binding[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	EVP_PKEY *k = NULL;
	X509_NAME *name = X509_NAME_new();
	GENERAL_NAMES *sans = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_IA5STRING *uri = ASN1_IA5STRING_new();
	STACK_OF(X509_EXTENSION) *exts;
	X509_ATTRIBUTE *attr;
	ASN1_TYPE *v;
	X509_REQ *req;
	char *b64 = NULL;

	ck_assert_int_eq(est_key_generate("ec-p256", &k), MP_OK);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)"CS-1", -1, -1, 0), 1);
	ck_assert_int_eq(ASN1_STRING_set(uri, "urn:uuid:0b1e7d2c-3f4a-4b5c-8d6e-7f8091a2b3c4", -1),
	    1);
	GENERAL_NAME_set0_value(gn, GEN_URI, uri);
	ck_assert_int_gt(sk_GENERAL_NAME_push(sans, gn), 0);
	ck_assert_int_eq(est_csr_make(k, name, sans, binding, sizeof(binding), NULL, &b64), MP_OK);
	req = req_of(b64);
	ck_assert_int_eq(X509_REQ_verify(req, k), 1);
	ck_assert_int_eq(X509_NAME_cmp(X509_REQ_get_subject_name(req), name), 0);
	ck_assert_ptr_nonnull(exts = X509_REQ_get_extensions(req));
	ck_assert_int_eq(sk_X509_EXTENSION_num(exts), 1);
	ck_assert_int_eq(OBJ_obj2nid(X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, 0))),
	    NID_subject_alt_name);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	ck_assert_int_ge(X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword, -1), 0);
	attr = X509_REQ_get_attr(req, X509_REQ_get_attr_by_NID(req, NID_pkcs9_challengePassword,
	    -1));
	ck_assert_ptr_nonnull(v = X509_ATTRIBUTE_get0_type(attr, 0));
	ck_assert_str_eq((const char *)ASN1_STRING_get0_data(v->value.asn1_string),
	    "AQIDBAUGBwgJCgsM");
	X509_REQ_free(req);
	free(b64);
	GENERAL_NAMES_free(sans);
	X509_NAME_free(name);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(certs_and_csrattrs)
{
	/* SEQUENCE { ecdsa-with-SHA256, SEQUENCE { id-ecPublicKey, SET { P-256, P-384 } } } */
	static const char attrs[] = "MCgGCCqGSM49BAMCMBwGByqGSM49AgExEQYIKoZIzj0DAQcGBSuBBAAi\r\n";
	EVP_PKEY *k = NULL;
	X509 *x = X509_new();
	PKCS7 *p7 = PKCS7_new();
	STACK_OF(X509) *certs = NULL;
	mp_buf *text = mp_buf_new(4096);
	uint8_t *der = NULL;
	char *b64 = NULL, wrapped[4096];
	size_t j = 0;
	int n;

	ck_assert_int_eq(est_key_generate("ec-p256", &k), MP_OK);
	ck_assert_int_eq(X509_set_pubkey(x, k), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
	    (const unsigned char *)"EST test CA", -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
	ck_assert_int_eq(PKCS7_set_type(p7, NID_pkcs7_signed), 1);
	ck_assert_int_eq(PKCS7_content_new(p7, NID_pkcs7_data), 1);
	ck_assert_int_eq(PKCS7_add_certificate(p7, x), 1);
	ck_assert_int_gt(n = i2d_PKCS7(p7, &der), 0);
	ck_assert_int_eq(mp_b64_encode(der, (size_t)n, false, &b64), MP_OK);
	/* wrapped at 76 columns with CRLF, as some servers send it */
	for (size_t i = 0; b64[i] != '\0'; i++) {
		wrapped[j++] = b64[i];
		if (i % 76 == 75) {
			wrapped[j++] = '\r';
			wrapped[j++] = '\n';
		}
	}
	wrapped[j] = '\0';
	ck_assert_int_eq(est_certs_parse(wrapped, j, &certs), MP_OK);
	ck_assert_int_eq(sk_X509_num(certs), 1);
	ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 0), x), 0);
	sk_X509_pop_free(certs, X509_free);
	ck_assert_int_eq(est_certs_parse("bm90IGEgcGtjczc=", 16, &certs), MP_ERR_INVALID);
	ck_assert_int_eq(est_certs_parse("!!!", 3, &certs), MP_ERR_INVALID);
	ck_assert_int_eq(est_certs_parse("", 0, &certs), MP_ERR_INVALID);

	ck_assert_int_eq(est_csrattrs_describe(attrs, strlen(attrs), text), MP_OK);
	ck_assert_str_eq(mp_buf_str(text), "ecdsa-with-SHA256\nid-ecPublicKey: prime256v1, secp384r1\n");
	ck_assert_int_eq(est_csrattrs_describe("MAMCAQE=", 8, text), MP_ERR_INVALID);
	mp_buf_free(text);
	free(b64);
	OPENSSL_free(der);
	PKCS7_free(p7);
	X509_free(x);
	EVP_PKEY_free(k);
}
END_TEST

/* A self-signed certificate for k with a subjectKeyIdentifier. */
static X509 *
cert_for(EVP_PKEY *k)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
	ck_assert_int_eq(X509_set_pubkey(x, k), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), 9), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, X509_get_subject_name(x)), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ck_assert_ptr_nonnull(ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier,
	    "hash"));
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
	ck_assert_int_gt(X509_sign(x, k, EVP_sha256()), 0);
	return x;
}

/* base64 of len bytes of der with line ends eol every 64 characters, appended to b. */
static void
put_b64(mp_buf *b, const uint8_t *der, size_t len, const char *eol)
{
	char *b64 = NULL;

	ck_assert_int_eq(mp_b64_encode(der, len, false, &b64), MP_OK);
	for (size_t i = 0, n = strlen(b64); i < n; i += 64) {
		ck_assert_int_eq(mp_buf_put(b, b64 + i, n - i < 64 ? n - i : 64), MP_OK);
		ck_assert_int_eq(mp_buf_put_str(b, eol), MP_OK);
	}
	free(b64);
}

/* A /serverkeygen answer: the key part (type ktype) and the certificate, with eol. */
static mp_buf *
answer(const char *ktype, const uint8_t *key, size_t key_len, const uint8_t *p7, size_t p7_len,
    const char *eol)
{
	mp_buf *b = mp_buf_new(65536);

	ck_assert_int_eq(mp_buf_putf(b, "preamble%s--xyz%sContent-Type: %s%s%s", eol, eol, ktype,
	    eol, eol), MP_OK);
	put_b64(b, key, key_len, eol);
	ck_assert_int_eq(mp_buf_putf(b, "--xyz%sContent-Type: application/pkcs7-mime;"
	    " smime-type=certs-only%sContent-Transfer-Encoding: base64%s%s", eol, eol, eol, eol),
	    MP_OK);
	put_b64(b, p7, p7_len, eol);
	ck_assert_int_eq(mp_buf_putf(b, "--xyz--%s", eol), MP_OK);
	return b;
}

START_TEST(keygen_answers)
{
	static const char *const eols[] = { "\n", "\r\n" };
	EVP_PKEY *k = NULL, *client = NULL, *got = NULL;
	X509 *x, *cx;
	PKCS7 *p7 = PKCS7_new();
	PKCS8_PRIV_KEY_INFO *p8;
	uint8_t *p7der = NULL, *p8der = NULL, *env = NULL, id[EST_KEYWRAP_MAX_ID];
	int p7len, p8len;
	size_t env_len = 0, id_len = 0, der_len = 0;
	est_keygen_answer a = { NULL, 0, false, NULL };
	est_keywrap kind;
	const char *why;
	char *csr = NULL;
	uint8_t *csr_der = NULL;
	mp_buf *b;

	ck_assert_int_eq(est_key_generate("ec-p256", &k), MP_OK);
	ck_assert_int_eq(est_key_generate("ec-p256", &client), MP_OK);
	x = cert_for(k);
	cx = cert_for(client);
	ck_assert_int_eq(PKCS7_set_type(p7, NID_pkcs7_signed), 1);
	ck_assert_int_eq(PKCS7_content_new(p7, NID_pkcs7_data), 1);
	ck_assert_int_eq(PKCS7_add_certificate(p7, x), 1);
	ck_assert_int_gt(p7len = i2d_PKCS7(p7, &p7der), 0);
	ck_assert_ptr_nonnull(p8 = EVP_PKEY2PKCS8(k));
	ck_assert_int_gt(p8len = i2d_PKCS8_PRIV_KEY_INFO(p8, &p8der), 0);
	PKCS8_PRIV_KEY_INFO_free(p8);

	for (size_t i = 0; i < 2; i++) {
		b = answer("application/pkcs8", p8der, (size_t)p8len, p7der, (size_t)p7len, eols[i]);
		ck_assert_int_eq(est_keygen_parse("multipart/mixed; boundary=xyz", mp_buf_str(b),
		    mp_buf_len(b), &a), MP_OK);
		ck_assert(!a.encrypted);
		ck_assert_int_eq(X509_cmp(sk_X509_value(a.certs, 0), x), 0);
		ck_assert_int_eq(est_key_plain(a.key, a.key_len, &got), MP_OK);
		ck_assert_int_eq(EVP_PKEY_eq(got, k), 1);
		EVP_PKEY_free(got);
		est_keygen_answer_free(&a);
		ck_assert_int_eq(est_keygen_parse("multipart/mixed; boundary=\"xyz\"", mp_buf_str(b),
		    mp_buf_len(b), &a), MP_OK);
		est_keygen_answer_free(&a);
		ck_assert_int_eq(est_keygen_parse("multipart/mixed; boundary=xy", mp_buf_str(b),
		    mp_buf_len(b), &a), MP_ERR_INVALID);
		ck_assert_int_eq(est_keygen_parse("application/pkcs8", mp_buf_str(b), mp_buf_len(b),
		    &a), MP_ERR_INVALID);
		/* cut before the closing delimiter */
		ck_assert_int_eq(est_keygen_parse("multipart/mixed; boundary=xyz", mp_buf_str(b),
		    mp_buf_len(b) - 9, &a), MP_ERR_INVALID);
		mp_buf_free(b);
	}
	b = answer("application/pkcs7-mime; smime-type=certs-only", p7der, (size_t)p7len, p7der,
	    (size_t)p7len, "\n");
	ck_assert_int_eq(est_keygen_parse("multipart/mixed; boundary=xyz", mp_buf_str(b),
	    mp_buf_len(b), &a), MP_ERR_INVALID);
	mp_buf_free(b);

	/* the request names the client's certificate; the server encrypts to it */
	ck_assert_int_eq(est_csr_make(k, NULL, NULL, NULL, 0, X509_get0_subject_key_id(cx), &csr),
	    MP_OK);
	ck_assert_int_eq(mp_b64_decode(csr, strlen(csr), false, 65536, &csr_der, &der_len), MP_OK);
	ck_assert_int_eq(est_keywrap_request(csr_der, der_len, &kind, id, &id_len, &why), MP_OK);
	ck_assert_int_eq(kind, EST_KEYWRAP_ASYMMETRIC);
	ck_assert_mem_eq(id, ASN1_STRING_get0_data(X509_get0_subject_key_id(cx)), id_len);
	ck_assert_int_eq(est_keywrap_envelop(p8der, (size_t)p8len, cx, &env, &env_len), MP_OK);
	b = answer("application/pkcs7-mime; smime-type=server-generated-key", env, env_len, p7der,
	    (size_t)p7len, "\r\n");
	ck_assert_int_eq(est_keygen_parse("multipart/mixed; boundary=xyz", mp_buf_str(b),
	    mp_buf_len(b), &a), MP_OK);
	ck_assert(a.encrypted);
	ck_assert_int_eq(est_key_unwrap(a.key, a.key_len, cx, k, &got), MP_ERR_CRYPTO);
	ck_assert_int_eq(est_key_unwrap(a.key, a.key_len, cx, client, &got), MP_OK);
	ck_assert_int_eq(EVP_PKEY_eq(got, k), 1);
	ck_assert_int_eq(est_key_unwrap(p8der, (size_t)p8len, cx, client, &got), MP_ERR_INVALID);
	EVP_PKEY_free(got);
	est_keygen_answer_free(&a);
	mp_buf_free(b);

	OPENSSL_free(env);
	free(csr_der);
	free(csr);
	OPENSSL_free(p8der);
	OPENSSL_free(p7der);
	PKCS7_free(p7);
	X509_free(x);
	X509_free(cx);
	EVP_PKEY_free(k);
	EVP_PKEY_free(client);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("cli_est_msg");
	TCase *tc = tcase_create("est_msg");

	tcase_add_test(tc, csr_for_each_key_type);
	tcase_add_test(tc, csr_names_and_binding);
	tcase_add_test(tc, certs_and_csrattrs);
	tcase_add_test(tc, keygen_answers);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
