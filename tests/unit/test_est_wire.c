/*
 * EST wire formats without a server: request bodies in every base64 style
 * RFC 8951 allows, HTTP Basic credentials, the certs-only PKCS#7 and the
 * CsrAttrs answers read back by OpenSSL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "auth.h"
#include "body.h"
#include "buf.h"
#include "check_main.h"
#include "codec.h"
#include "csrattrs.h"
#include "err.h"
#include "pkcs7.h"
#include "secure.h"

/* 200 bytes that are not all one value, and their base64 wrapped at width with eol. */
static uint8_t sample[200];

static char *
wrapped(size_t width, const char *eol)
{
	char *b64 = NULL, *out;
	size_t n, o = 0;

	for (size_t i = 0; i < sizeof(sample); i++)
		sample[i] = (uint8_t)(i * 7 + 3);
	ck_assert_int_eq(mp_b64_encode(sample, sizeof(sample), false, &b64), MP_OK);
	n = strlen(b64);
	out = calloc(1, 2 * n + 16);
	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < n; i++) {
		out[o++] = b64[i];
		if (width != 0 && (i + 1) % width == 0) {
			memcpy(out + o, eol, strlen(eol));
			o += strlen(eol);
		}
	}
	free(b64);
	return out;
}

static int
decode(const char *ct, const char *cte, const char *body, const char **why)
{
	uint8_t *der = NULL;
	size_t n = 0;
	int r;

	*why = NULL;
	/* outputs are set on success only */
	r = est_body_decode(ct, cte, "application/pkcs10", (const uint8_t *)body, strlen(body),
	    4096, &der, &n, why);
	if (r == MP_OK) {
		ck_assert_uint_eq(n, sizeof(sample));
		ck_assert(memcmp(der, sample, n) == 0);
		free(der);
	} else {
		ck_assert_ptr_nonnull(*why);
		ck_assert_ptr_null(der);
		ck_assert_uint_eq(n, 0);
	}
	return r;
}

START_TEST(body_wrapping_styles)
{
	static const struct { size_t width; const char *eol; } styles[] = {
		{ 0, "" }, { 64, "\n" }, { 64, "\r\n" }, { 76, "\n" }, { 76, "\r\n" }, { 1, "\n" },
	};
	const char *why;

	for (size_t i = 0; i < sizeof(styles) / sizeof(styles[0]); i++) {
		char *b = wrapped(styles[i].width, styles[i].eol);

		ck_assert_int_eq(decode("application/pkcs10", NULL, b, &why), MP_OK);
		ck_assert_int_eq(decode("application/pkcs10", "base64", b, &why), MP_OK);
		ck_assert_int_eq(decode("Application/PKCS10; charset=us-ascii", " BASE64 ", b, &why),
		    MP_OK);
		free(b);
	}
}
END_TEST

START_TEST(body_refusals)
{
	char *b = wrapped(64, "\n"), *big;
	const char *why;
	uint8_t *der = NULL;
	size_t n;

	ck_assert_int_eq(decode(NULL, NULL, b, &why), MP_ERR_UNSUPPORTED);
	ck_assert_int_eq(decode("application/pkcs7-mime", NULL, b, &why), MP_ERR_UNSUPPORTED);
	ck_assert_int_eq(decode("application/pkcs10x", NULL, b, &why), MP_ERR_UNSUPPORTED);
	ck_assert_int_eq(decode("application/pkcs10", "binary", b, &why), MP_ERR_INVALID);
	ck_assert_str_eq(why, "Content-Transfer-Encoding must be base64 when present");
	ck_assert_int_eq(decode("application/pkcs10", NULL, "", &why), MP_ERR_INVALID);
	ck_assert_int_eq(decode("application/pkcs10", NULL, "\r\n", &why), MP_ERR_INVALID);
	ck_assert_int_eq(decode("application/pkcs10", NULL, "-----BEGIN CERTIFICATE REQUEST-----",
	    &why), MP_ERR_INVALID);
	ck_assert_str_eq(why, "the request body must be base64 (RFC 8951) and not empty");
	ck_assert_int_eq(decode("application/pkcs10", NULL, "QUJD=", &why), MP_ERR_INVALID);
	/* decoded size over the caller's cap, and a body over EST_MAX_BODY */
	ck_assert_int_eq(est_body_decode("application/pkcs10", NULL, "application/pkcs10",
	    (const uint8_t *)b, strlen(b), 100, &der, &n, &why), MP_ERR_TOO_LARGE);
	big = malloc(EST_MAX_BODY + 5);
	ck_assert_ptr_nonnull(big);
	memset(big, 'A', EST_MAX_BODY + 4);
	big[EST_MAX_BODY + 4] = '\0';
	ck_assert_int_eq(decode("application/pkcs10", NULL, big, &why), MP_ERR_TOO_LARGE);
	free(big);
	free(b);
}
END_TEST

START_TEST(body_encode_lines)
{
	char *out = NULL;
	uint8_t *back = NULL;
	size_t n, m;

	free(wrapped(0, ""));
	ck_assert_int_eq(est_body_encode(sample, sizeof(sample), 64, &out, &n), MP_OK);
	ck_assert_uint_eq(n, strlen(out));
	/* 200 bytes: 268 characters, lines of 64 + LF, the last one 12 + LF */
	ck_assert_uint_eq(n, 268 + 5);
	ck_assert_ptr_eq(memchr(out, '\n', n), out + 64);
	ck_assert_int_eq(out[n - 1], '\n');
	ck_assert_ptr_null(memchr(out, '\r', n));
	ck_assert_int_eq(mp_b64_decode(out, n, false, 4096, &back, &m), MP_OK);
	ck_assert_uint_eq(m, sizeof(sample));
	ck_assert(memcmp(back, sample, m) == 0);
	free(back);
	free((void *)out);

	/* width 0: one unbroken line, no line end */
	ck_assert_int_eq(est_body_encode(sample, sizeof(sample), 0, &out, &n), MP_OK);
	ck_assert_uint_eq(n, 268);
	ck_assert_uint_eq(strlen(out), 268);
	ck_assert_ptr_null(memchr(out, '\n', n));
	free((void *)out);
	/* width 76 */
	ck_assert_int_eq(est_body_encode(sample, sizeof(sample), 76, &out, &n), MP_OK);
	ck_assert_uint_eq(n, 268 + 4);
	ck_assert_ptr_eq(memchr(out, '\n', n), out + 76);
	free((void *)out);
}
END_TEST

/* "Basic " + base64 of s */
static char *
basic(const char *scheme, const char *s, size_t n)
{
	char *b64 = NULL, *h;
	size_t len;

	ck_assert_int_eq(mp_b64_encode((const uint8_t *)s, n, false, &b64), MP_OK);
	len = strlen(scheme) + strlen(b64) + 2;
	h = malloc(len);
	ck_assert_ptr_nonnull(h);
	snprintf(h, len, "%s %s", scheme, b64);
	free(b64);
	return h;
}

static int
parse(const char *scheme, const char *s, size_t n, const char *user, const char *pass)
{
	char *h = basic(scheme, s, n), *u = NULL, *p = NULL;
	int r = est_basic_parse(h, &u, &p);

	if (r == MP_OK) {
		ck_assert_str_eq(u, user);
		ck_assert_str_eq(p, pass);
	}
	free(u);
	mp_free_secret_str(p);
	free(h);
	return r;
}

START_TEST(basic_credentials)
{
	char *u = NULL, *p = NULL, longuser[EST_USER_MAX + 8];

	ck_assert_int_eq(parse("Basic", "CS-0001:mpe_x:y", 15, "CS-0001", "mpe_x:y"), MP_OK);
	ck_assert_int_eq(parse("basic", "a:b", 3, "a", "b"), MP_OK);
	ck_assert_int_eq(parse("Bearer", "a:b", 3, NULL, NULL), MP_ERR_UNAUTHENTICATED);
	ck_assert_int_eq(parse("Basic", "ab", 2, NULL, NULL), MP_ERR_UNAUTHENTICATED);
	ck_assert_int_eq(parse("Basic", ":b", 2, NULL, NULL), MP_ERR_UNAUTHENTICATED);
	ck_assert_int_eq(parse("Basic", "a:", 2, NULL, NULL), MP_ERR_UNAUTHENTICATED);
	ck_assert_int_eq(parse("Basic", "a\0b:c", 5, NULL, NULL), MP_ERR_UNAUTHENTICATED);
	ck_assert_int_eq(parse("Basic", "a:b\r\nc", 6, NULL, NULL), MP_ERR_UNAUTHENTICATED);
	memset(longuser, 'u', sizeof(longuser));
	longuser[EST_USER_MAX + 1] = ':';
	longuser[EST_USER_MAX + 2] = 'p';
	ck_assert_int_eq(parse("Basic", longuser, EST_USER_MAX + 3, NULL, NULL),
	    MP_ERR_UNAUTHENTICATED);
	ck_assert_int_eq(est_basic_parse(NULL, &u, &p), MP_ERR_UNAUTHENTICATED);
	ck_assert_int_eq(est_basic_parse("Basic", &u, &p), MP_ERR_UNAUTHENTICATED);
	ck_assert_int_eq(est_basic_parse("Basic !!!", &u, &p), MP_ERR_UNAUTHENTICATED);
	ck_assert_ptr_null(u);
	ck_assert_ptr_null(p);
}
END_TEST

/* A self-signed certificate named cn, as PEM appended to *pem. */
static void
append_cert(char **pem, const char *cn)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;
	size_t old = *pem != NULL ? strlen(*pem) : 0;

	ck_assert(k != NULL && x != NULL && n != NULL && b != NULL);
	ck_assert(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1,
	    -1, 0));
	ck_assert(X509_set_subject_name(x, n) && X509_set_issuer_name(x, n));
	ck_assert(ASN1_INTEGER_set(X509_get_serialNumber(x), 1));
	ck_assert(X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL);
	ck_assert(X509_gmtime_adj(X509_getm_notAfter(x), 3600) != NULL);
	ck_assert(X509_set_pubkey(x, k) && X509_sign(x, k, EVP_sha256()) > 0);
	ck_assert(PEM_write_bio_X509(b, x));
	len = BIO_get_mem_data(b, &data);
	*pem = realloc(*pem, old + (size_t)len + 1);
	ck_assert_ptr_nonnull(*pem);
	memcpy(*pem + old, data, (size_t)len);
	(*pem)[old + (size_t)len] = '\0';
	BIO_free(b);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
}

START_TEST(certs_only)
{
	char *pem = NULL, buf[64];
	uint8_t *der = NULL;
	unsigned char *expected_der = NULL;
	const unsigned char *p;
	size_t len;
	int n;
	PKCS7 *p7, *expected;
	STACK_OF(X509) *certs;

	append_cert(&pem, "Devices");
	append_cert(&pem, "Root");
	ck_assert_int_eq(est_certs_only(pem, &der, &len), MP_OK);
	p = der;
	p7 = d2i_PKCS7(NULL, &p, (long)len);
	ck_assert_ptr_nonnull(p7);
	ck_assert(p == der + len);
	ck_assert(PKCS7_type_is_signed(p7));
	ck_assert_int_eq(OBJ_obj2nid(p7->d.sign->contents->type), NID_pkcs7_data);
	ck_assert_ptr_null(p7->d.sign->contents->d.ptr);
	ck_assert_int_eq(sk_PKCS7_SIGNER_INFO_num(p7->d.sign->signer_info), 0);
	certs = p7->d.sign->cert;
	ck_assert_int_eq(sk_X509_num(certs), 2);
	X509_NAME_get_text_by_NID(X509_get_subject_name(sk_X509_value(certs, 0)), NID_commonName,
	    buf, sizeof(buf));
	ck_assert_str_eq(buf, "Devices");
	X509_NAME_get_text_by_NID(X509_get_subject_name(sk_X509_value(certs, 1)), NID_commonName,
	    buf, sizeof(buf));
	ck_assert_str_eq(buf, "Root");
	/* the bytes OpenSSL's encoder writes for the same certificates */
	expected = PKCS7_new();
	ck_assert_ptr_nonnull(expected);
	ck_assert_int_eq(PKCS7_set_type(expected, NID_pkcs7_signed), 1);
	expected->d.sign->contents->type = OBJ_nid2obj(NID_pkcs7_data);
	for (int i = 0; i < sk_X509_num(certs); i++)
		ck_assert_int_eq(PKCS7_add_certificate(expected, sk_X509_value(certs, i)), 1);
	n = i2d_PKCS7(expected, &expected_der);
	ck_assert_int_eq(n, (int)len);
	ck_assert_mem_eq(expected_der, der, (size_t)n);
	OPENSSL_free(expected_der);
	PKCS7_free(expected);
	PKCS7_free(p7);
	OPENSSL_free(der);
	ck_assert_int_eq(est_certs_only("no certificate here", &der, &len), MP_ERR_INVALID);
	ck_assert_int_eq(est_certs_only("-----BEGIN CERTIFICATE-----\nAAAA\n"
	    "-----END CERTIFICATE-----\n", &der, &len), MP_ERR_INVALID);
	/* at most 16 certificates */
	for (int i = 2; i < 17; i++)
		append_cert(&pem, "More");
	ck_assert_int_eq(est_certs_only(pem, &der, &len), MP_ERR_INVALID);
	free(pem);
}
END_TEST

/* The CsrAttrs for key_algorithms algs, as OID names (attributes as "attr:<type>=<values>"). */
static char *
csrattrs_text(const char *algs)
{
	mp_buf *out = mp_buf_new(4096);
	char *text;
	json_t *info = json_pack("{s:o}", "key_algorithms", json_loads(algs, 0, NULL));
	STACK_OF(ASN1_TYPE) *sk;
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t len;

	ck_assert_int_eq(est_csrattrs_der(info, &der, &len), MP_OK);
	p = der;
	sk = d2i_ASN1_SEQUENCE_ANY(NULL, &p, (long)len);
	ck_assert_ptr_nonnull(sk);
	ck_assert_ptr_nonnull(out);
	for (int i = 0; i < sk_ASN1_TYPE_num(sk); i++) {
		ASN1_TYPE *t = sk_ASN1_TYPE_value(sk, i);

		if (t->type == V_ASN1_OBJECT) {
			ck_assert_int_eq(mp_buf_putf(out, "%s%s", i > 0 ? " " : "",
			    OBJ_nid2sn(OBJ_obj2nid(t->value.object))), MP_OK);
		} else {
			const unsigned char *q = ASN1_STRING_get0_data(t->value.sequence);
			X509_ATTRIBUTE *a = d2i_X509_ATTRIBUTE(NULL, &q,
			    ASN1_STRING_length(t->value.sequence));

			ck_assert_ptr_nonnull(a);
			ck_assert_int_eq(mp_buf_putf(out, "%sattr:%s", i > 0 ? " " : "",
			    OBJ_nid2sn(OBJ_obj2nid(X509_ATTRIBUTE_get0_object(a)))), MP_OK);
			for (int j = 0; j < X509_ATTRIBUTE_count(a); j++) {
				ASN1_TYPE *v = X509_ATTRIBUTE_get0_type(a, j);

				ck_assert_int_eq(mp_buf_putf(out, "%s%s", j == 0 ? "=" : ",",
				    OBJ_nid2sn(OBJ_obj2nid(v->value.object))), MP_OK);
			}
			X509_ATTRIBUTE_free(a);
		}
	}
	sk_ASN1_TYPE_pop_free(sk, ASN1_TYPE_free);
	OPENSSL_free(der);
	json_decref(info);
	text = strdup(mp_buf_str(out));
	mp_buf_free(out);
	return text;
}

START_TEST(csr_attributes)
{
	/* the curves in DER order of the SET OF */
	static const char *const cases[][2] = {
		{ "[\"ec-p256\", \"ec-p384\", \"rsa\"]", "attr:id-ecPublicKey=secp384r1,prime256v1"
		    " ecdsa-with-SHA256 ecdsa-with-SHA384 rsaEncryption RSA-SHA256" },
		{ "[\"ec-p384\"]", "attr:id-ecPublicKey=secp384r1 ecdsa-with-SHA256 ecdsa-with-SHA384" },
		{ "[\"ed25519\"]", "ED25519" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = csrattrs_text(cases[i][0]);

		ck_assert_str_eq(text, cases[i][1]);
		free(text);
	}
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("est_wire");
	TCase *tc = tcase_create("est_wire");

	tcase_add_test(tc, body_wrapping_styles);
	tcase_add_test(tc, body_refusals);
	tcase_add_test(tc, body_encode_lines);
	tcase_add_test(tc, basic_credentials);
	tcase_add_test(tc, certs_only);
	tcase_add_test(tc, csr_attributes);
	suite_add_tcase(s, tc);
	return s;
}
