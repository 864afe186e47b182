/*
 * ca_csr_decode: formats, every key type, proof of possession, weak keys,
 * strict DER, attributes and the extension request, limits. Requests come
 * from OpenSSL (X509_REQ_sign, `openssl req`) or, for what OpenSSL will not
 * produce, from the small DER builder below, signed with EVP_DigestSign.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "ca_harness.h"
#include "check_main.h"
#include "csr.h"
#include "err.h"

/* Decodes in and checks the outcome; returns the request when want is MP_OK. */
static ca_csr *
decode(const uint8_t *in, size_t len, int want, const char *field)
{
	ca_csr *csr = NULL;
	ca_detail d;
	int r;

	memset(&d, 0, sizeof(d));
	r = ca_csr_decode(in, len, &csr, &d);
	ck_assert_msg(r == want, "got %d (%s: %s), want %d", r, d.field, d.message, want);
	if (want == MP_OK) {
		ck_assert_ptr_nonnull(csr);
	} else {
		ck_assert_ptr_null(csr);
		ck_assert_str_eq(d.field, field);
		ck_assert_int_gt((int)strlen(d.message), 0);
	}
	return csr;
}

static void
expect(const uint8_t *in, size_t len, int want, const char *field)
{
	ca_csr_free(decode(in, len, want, field));
}

/* decode, and the message of the refusal is msg. */
static void
expect_msg(const uint8_t *in, size_t len, int want, const char *field, const char *msg)
{
	ca_csr *csr = NULL;
	ca_detail d;

	memset(&d, 0, sizeof(d));
	ck_assert_int_eq(ca_csr_decode(in, len, &csr, &d), want);
	ck_assert_ptr_null(csr);
	ck_assert_str_eq(d.field, field);
	ck_assert_str_eq(d.message, msg);
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

/* Asserts that csr carries req's subject, key (as decoded and as encoded) and extensions. */
static void
assert_same(const ca_csr *csr, X509_REQ *req, EVP_PKEY *key)
{
	const unsigned char *bits = NULL;
	X509_ALGOR *alg = NULL;
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	int len = 0;

	ck_assert_int_eq(EVP_PKEY_eq(csr->pub, key), 1);
	ck_assert_int_eq(X509_NAME_cmp(csr->subject, X509_REQ_get_subject_name(req)), 0);
	ck_assert(X509_PUBKEY_get0_param(NULL, &bits, &len, &alg, X509_REQ_get_X509_PUBKEY(req)));
	ck_assert_int_eq(X509_ALGOR_cmp(csr->spki_alg, alg), 0);
	ck_assert_uint_eq(csr->spki_bits_len, (size_t)len);
	ck_assert(memcmp(csr->spki_bits, bits, (size_t)len) == 0);
	/* no extension request: NULL, where OpenSSL gives an empty list */
	ck_assert_int_eq(csr->extensions != NULL ? sk_X509_EXTENSION_num(csr->extensions) : 0,
	    sk_X509_EXTENSION_num(exts));
	for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++)
		ck_assert_int_eq(OBJ_cmp(X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, i)),
		    X509_EXTENSION_get_object(sk_X509_EXTENSION_value(csr->extensions, i))), 0);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

/* Signs req with key under RSASSA-PSS with hash md and MGF1 hash mgf1. */
static void
sign_pss(X509_REQ *req, EVP_PKEY *key, const EVP_MD *md, const EVP_MD *mgf1)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	ck_assert_int_eq(EVP_DigestSignInit(mctx, &pctx, md, NULL, key), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
	ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, mgf1), 1);
	ck_assert_int_gt(X509_REQ_sign_ctx(req, mctx), 0);
	EVP_MD_CTX_free(mctx);
}

START_TEST(every_key_type_pem_and_der)
{
	static const char *const keys[] = { "ec-p256", "ec-p384", "rsa-2048", "ed25519" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		EVP_PKEY *k = th_key(keys[i]);
		X509_REQ *req = th_csr(k, "CN=dev,O=Acme", NID_subject_alt_name,
		    "DNS:dev.example", NID_undef);
		uint8_t *der;
		size_t n = th_csr_der(req, &der), plen;
		char *pem = pem_of(req, &plen);
		ca_csr *csr = decode(der, n, MP_OK, NULL);

		assert_same(csr, req, k);
		ck_assert_int_eq(sk_X509_EXTENSION_num(csr->extensions), 1);
		ca_csr_free(csr);
		csr = decode((const uint8_t *)pem, plen, MP_OK, NULL);
		assert_same(csr, req, k);
		ca_csr_free(csr);
		free(pem);
		OPENSSL_free(der);
		X509_REQ_free(req);
		EVP_PKEY_free(k);
	}
}
END_TEST

START_TEST(rsa_pss_signatures)
{
	EVP_PKEY *k = th_key("rsa-2048");
	X509_REQ *req = th_csr(k, "CN=dev", NID_undef);
	uint8_t *der;
	size_t n;
	ca_csr *csr;

	sign_pss(req, k, EVP_sha256(), EVP_sha256());
	n = th_csr_der(req, &der);
	csr = decode(der, n, MP_OK, NULL);
	assert_same(csr, req, k);
	ca_csr_free(csr);
	der[n - 1] ^= 0x01;
	expect(der, n, MP_ERR_INVALID, "csr.signature");
	OPENSSL_free(der);

	sign_pss(req, k, EVP_sha384(), EVP_sha512());
	n = th_csr_der(req, &der);
	expect(der, n, MP_OK, NULL);
	OPENSSL_free(der);

	/* SHA-1 as the hash, or only inside MGF1 */
	sign_pss(req, k, EVP_sha1(), EVP_sha256());
	n = th_csr_der(req, &der);
	expect(der, n, MP_ERR_POLICY, "csr.signature");
	OPENSSL_free(der);
	sign_pss(req, k, EVP_sha256(), EVP_sha1());
	n = th_csr_der(req, &der);
	expect(der, n, MP_ERR_POLICY, "csr.signature");
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
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

START_TEST(other_key_types_refused)
{
	EVP_PKEY *keys[] = {
		EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1"),
		EVP_PKEY_Q_keygen(NULL, NULL, "ED448"),
	};
	static const char *const msgs[] = {
		"EC key not on the named curve P-256 or P-384",
		"key type not accepted (EC P-256/P-384, RSA, Ed25519)",
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		X509_REQ *req = X509_REQ_new();
		uint8_t *der;
		size_t n;

		ck_assert_ptr_nonnull(keys[i]);
		ck_assert(X509_REQ_set_pubkey(req, keys[i]));
		ck_assert_int_gt(X509_REQ_sign(req, keys[i], EVP_PKEY_get_base_id(keys[i]) ==
		    EVP_PKEY_ED448 ? NULL : EVP_sha256()), 0);
		n = th_csr_der(req, &der);
		expect_msg(der, n, MP_ERR_POLICY, "csr.key", msgs[i]);
		OPENSSL_free(der);
		X509_REQ_free(req);
		EVP_PKEY_free(keys[i]);
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
	expect_msg(der, n, MP_ERR_POLICY, "csr.key", "EC key not on the named curve P-256 or P-384");
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
}
END_TEST

START_TEST(broken_signature_refused)
{
	EVP_PKEY *k = th_key("ec-p256"), *other = th_key("ec-p256");
	X509_REQ *req = th_csr(k, "CN=dev", NID_undef);
	uint8_t *der;
	size_t n = th_csr_der(req, &der);

	/* the last octet belongs to the signature's s value */
	der[n - 1] ^= 0x01;
	expect(der, n, MP_ERR_INVALID, "csr.signature");
	OPENSSL_free(der);
	/* the request names k but is signed by another key */
	ck_assert_int_gt(X509_REQ_sign(req, other, EVP_sha256()), 0);
	n = th_csr_der(req, &der);
	expect_msg(der, n, MP_ERR_INVALID, "csr.signature",
	    "signature does not verify (no proof of possession)");
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}
END_TEST

START_TEST(sha1_signature_refused)
{
	static const char *const keys[] = { "ec-p256", "rsa-2048" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		EVP_PKEY *k = th_key(keys[i]);
		X509_REQ *req = th_csr(k, "CN=dev", NID_undef);
		uint8_t *der;
		size_t n;

		ck_assert_int_gt(X509_REQ_sign(req, k, EVP_sha1()), 0);
		n = th_csr_der(req, &der);
		expect_msg(der, n, MP_ERR_POLICY, "csr.signature",
		    "signed with a digest weaker than SHA-256");
		OPENSSL_free(der);
		X509_REQ_free(req);
		EVP_PKEY_free(k);
	}
}
END_TEST

START_TEST(malformed_and_limits)
{
	EVP_PKEY *k = th_key("ec-p256");
	X509_REQ *req = th_csr(k, "CN=dev", NID_undef);
	uint8_t *der, *big, *trail, *ber;
	size_t n = th_csr_der(req, &der), plen;
	char *pem = pem_of(req, &plen);
	const char *cert_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	const char *bad_b64 = "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n"
	    "-----END CERTIFICATE REQUEST-----\n";

	expect((const uint8_t *)"", 0, MP_ERR_INVALID, "csr");
	expect((const uint8_t *)"hello", 5, MP_ERR_INVALID, "csr");
	for (size_t i = 1; i < n; i++)
		expect(der, i, MP_ERR_INVALID, "csr");
	trail = malloc(n + 1);
	memcpy(trail, der, n);
	trail[n] = 0;
	expect(trail, n + 1, MP_ERR_INVALID, "csr");
	/* the same request with the outer SEQUENCE in BER's indefinite-length form */
	ck_assert_uint_eq(der[1], 0x81);
	ber = malloc(n + 1);
	ber[0] = 0x30;
	ber[1] = 0x80;
	memcpy(ber + 2, der + 3, n - 3);
	ber[n - 1] = 0;
	ber[n] = 0;
	expect_msg(ber, n + 1, MP_ERR_INVALID, "csr", "not a DER PKCS#10 certificate request");
	expect((const uint8_t *)cert_pem, strlen(cert_pem), MP_ERR_INVALID, "csr");
	expect((const uint8_t *)bad_b64, strlen(bad_b64), MP_ERR_INVALID, "csr");
	big = calloc(1, CA_CSR_MAX_BYTES + 1);
	memcpy(big, pem, plen);
	expect(big, CA_CSR_MAX_BYTES + 1, MP_ERR_TOO_LARGE, "csr");
	/* a PEM request followed by NULs up to the limit still decodes */
	expect(big, CA_CSR_MAX_BYTES, MP_OK, NULL);
	free(big);
	free(ber);
	free(trail);
	free(pem);
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
}
END_TEST

/* A DER builder for requests OpenSSL will not write. */
typedef struct blob {
	uint8_t *p;
	size_t n;
} blob;

static blob
raw(const void *p, size_t n)
{
	blob b = { malloc(n + 1), n };

	memcpy(b.p, p, n);
	return b;
}

/* The concatenation of count blobs, which it frees. */
static blob
cat(int count, ...)
{
	blob out = { malloc(1), 0 };
	va_list ap;

	va_start(ap, count);
	for (int i = 0; i < count; i++) {
		blob b = va_arg(ap, blob);

		out.p = realloc(out.p, out.n + b.n + 1);
		memcpy(out.p + out.n, b.p, b.n);
		out.n += b.n;
		free(b.p);
	}
	va_end(ap);
	return out;
}

/* tag, DER length, contents (freed). */
static blob
tlv(unsigned tag, blob contents)
{
	uint8_t h[4] = { (uint8_t)tag };
	size_t hn = 2;

	ck_assert_uint_lt(contents.n, 65536);
	if (contents.n < 0x80) {
		h[1] = (uint8_t)contents.n;
	} else if (contents.n < 0x100) {
		h[1] = 0x81;
		h[2] = (uint8_t)contents.n;
		hn = 3;
	} else {
		h[1] = 0x82;
		h[2] = (uint8_t)(contents.n >> 8);
		h[3] = (uint8_t)contents.n;
		hn = 4;
	}
	return cat(2, raw(h, hn), contents);
}

#define BYTES(...) raw((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))
#define NONE raw("", 0)

static blob
oid(const char *text)
{
	ASN1_OBJECT *o = OBJ_txt2obj(text, 1);
	unsigned char *der = NULL;
	int n = i2d_ASN1_OBJECT(o, &der);
	blob b;

	ck_assert_int_gt(n, 0);
	b = raw(der, (size_t)n);
	OPENSSL_free(der);
	ASN1_OBJECT_free(o);
	return b;
}

static blob
name_der(const char *subject)
{
	X509_NAME *name = NULL;
	unsigned char *der = NULL;
	ca_detail d;
	int n;
	blob b;

	ck_assert_int_eq(ca_subject_parse(subject, &name, &d), MP_OK);
	n = i2d_X509_NAME(name, &der);
	b = raw(der, (size_t)n);
	OPENSSL_free(der);
	X509_NAME_free(name);
	return b;
}

static blob
spki_der(EVP_PKEY *k)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k, &der);
	blob b;

	ck_assert_int_gt(n, 0);
	b = raw(der, (size_t)n);
	OPENSSL_free(der);
	return b;
}

/* extensionRequest-style value: SEQUENCE OF Extension, from (nid, value) pairs ending with 0. */
static blob
exts_der(int nid, const char *value)
{
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	unsigned char *der = NULL;
	int n;
	blob b;

	sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, NULL, nid, value));
	n = i2d_X509_EXTENSIONS(exts, &der);
	b = raw(der, (size_t)n);
	OPENSSL_free(der);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return b;
}

/* CertificationRequestInfo { version, CN=dev, k's SPKI, then rest (the attributes) }. */
static blob
info_of(unsigned version, EVP_PKEY *k, blob rest)
{
	return tlv(0x30, cat(4, BYTES(0x02, 0x01, (uint8_t)version), name_der("CN=dev"),
	    spki_der(k), rest));
}

/* The request: info signed by signer with ECDSA-SHA256 (EC keys) or sha256WithRSA, under alg. */
static blob
signed_with(EVP_PKEY *signer, blob info, blob alg)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	uint8_t sig[1024];
	size_t siglen = sizeof(sig) - 1;

	sig[0] = 0;
	ck_assert_int_eq(EVP_DigestSignInit(mctx, NULL, EVP_sha256(), NULL, signer), 1);
	ck_assert_int_eq(EVP_DigestSign(mctx, sig + 1, &siglen, info.p, info.n), 1);
	EVP_MD_CTX_free(mctx);
	return tlv(0x30, cat(3, info, alg, tlv(0x03, raw(sig, siglen + 1))));
}

static blob
ecdsa_sha256(void)
{
	return tlv(0x30, oid("1.2.840.10045.4.3.2"));
}

/* An attribute { type, SET { values } }. */
static blob
attr(const char *type, blob values)
{
	return tlv(0x30, cat(2, oid(type), tlv(0x31, values)));
}

#define EXT_REQ "1.2.840.113549.1.9.14"
#define MS_EXT_REQ "1.3.6.1.4.1.311.2.1.14"

START_TEST(built_requests)
{
	EVP_PKEY *k = th_key("ec-p256");
	blob b;
	ca_csr *csr;

	/* the builder's plain request, and one without the attributes field */
	b = signed_with(k, info_of(0, k, tlv(0xa0, NONE)), ecdsa_sha256());
	csr = decode(b.p, b.n, MP_OK, NULL);
	ck_assert_ptr_null(csr->extensions);
	ck_assert_int_eq(EVP_PKEY_eq(csr->pub, k), 1);
	ca_csr_free(csr);
	free(b.p);
	b = signed_with(k, info_of(0, k, NONE), ecdsa_sha256());
	expect(b.p, b.n, MP_OK, NULL);
	free(b.p);

	b = signed_with(k, info_of(1, k, tlv(0xa0, NONE)), ecdsa_sha256());
	expect_msg(b.p, b.n, MP_ERR_INVALID, "csr", "unknown PKCS#10 version");
	free(b.p);

	/* ECDSA parameters must be absent (or NULL); another algorithm than the key's */
	b = signed_with(k, info_of(0, k, tlv(0xa0, NONE)),
	    tlv(0x30, cat(2, oid("1.2.840.10045.4.3.2"), BYTES(0x02, 0x01, 0x00))));
	expect(b.p, b.n, MP_ERR_INVALID, "csr.signature");
	free(b.p);
	b = signed_with(k, info_of(0, k, tlv(0xa0, NONE)),
	    tlv(0x30, cat(2, oid("1.2.840.10045.4.3.2"), BYTES(0x05, 0x00))));
	expect(b.p, b.n, MP_OK, NULL);
	free(b.p);
	b = signed_with(k, info_of(0, k, tlv(0xa0, NONE)),
	    tlv(0x30, cat(2, oid("1.2.840.113549.1.1.11"), BYTES(0x05, 0x00))));
	expect_msg(b.p, b.n, MP_ERR_INVALID, "csr.signature",
	    "the signature algorithm does not fit the key");
	free(b.p);
	b = signed_with(k, info_of(0, k, tlv(0xa0, NONE)), tlv(0x30, oid("1.2.3.4")));
	expect_msg(b.p, b.n, MP_ERR_INVALID, "csr.signature", "unknown signature algorithm");
	free(b.p);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(attributes)
{
	EVP_PKEY *k = th_key("ec-p256");
	blob b;
	ca_csr *csr;

	/* challengePassword is kept; unknown attributes (an empty one) are ignored */
	b = signed_with(k, info_of(0, k, tlv(0xa0, cat(2,
	    attr("1.2.840.113549.1.9.7", tlv(0x0c, raw("secret", 6))),
	    attr("1.3.6.1.4.1.311.13.2.3", NONE)))), ecdsa_sha256());
	csr = decode(b.p, b.n, MP_OK, NULL);
	ck_assert_ptr_null(csr->extensions);
	ck_assert_str_eq(csr->challenge_password, "secret");
	ca_csr_free(csr);
	free(b.p);
	b = signed_with(k, info_of(0, k, tlv(0xa0, attr("1.2.840.113549.1.9.7",
	    tlv(0x13, raw("AbC+/=", 6))))), ecdsa_sha256());
	csr = decode(b.p, b.n, MP_OK, NULL);
	ck_assert_str_eq(csr->challenge_password, "AbC+/=");
	ca_csr_free(csr);
	free(b.p);
	b = signed_with(k, info_of(0, k, tlv(0xa0, NONE)), ecdsa_sha256());
	csr = decode(b.p, b.n, MP_OK, NULL);
	ck_assert_ptr_null(csr->challenge_password);
	ca_csr_free(csr);
	free(b.p);

	/* challengePassword twice, with two values, as an IA5String, or with a NUL */
	b = signed_with(k, info_of(0, k, tlv(0xa0, cat(2,
	    attr("1.2.840.113549.1.9.7", tlv(0x0c, raw("a", 1))),
	    attr("1.2.840.113549.1.9.7", tlv(0x0c, raw("b", 1)))))), ecdsa_sha256());
	expect(b.p, b.n, MP_ERR_INVALID, "csr");
	free(b.p);
	b = signed_with(k, info_of(0, k, tlv(0xa0, attr("1.2.840.113549.1.9.7",
	    cat(2, tlv(0x0c, raw("a", 1)), tlv(0x0c, raw("b", 1)))))), ecdsa_sha256());
	expect(b.p, b.n, MP_ERR_INVALID, "csr");
	free(b.p);
	b = signed_with(k, info_of(0, k, tlv(0xa0, attr("1.2.840.113549.1.9.7",
	    tlv(0x16, raw("a", 1))))), ecdsa_sha256());
	expect(b.p, b.n, MP_ERR_INVALID, "csr");
	free(b.p);
	b = signed_with(k, info_of(0, k, tlv(0xa0, attr("1.2.840.113549.1.9.7",
	    tlv(0x0c, raw("a\0b", 3))))), ecdsa_sha256());
	expect(b.p, b.n, MP_ERR_INVALID, "csr");
	free(b.p);

	/* Microsoft's extension request when there is no standard one */
	b = signed_with(k, info_of(0, k, tlv(0xa0, attr(MS_EXT_REQ,
	    exts_der(NID_basic_constraints, "critical,CA:TRUE")))), ecdsa_sha256());
	csr = decode(b.p, b.n, MP_OK, NULL);
	ck_assert_int_eq(sk_X509_EXTENSION_num(csr->extensions), 1);
	ck_assert_int_eq(OBJ_obj2nid(X509_EXTENSION_get_object(sk_X509_EXTENSION_value(
	    csr->extensions, 0))), NID_basic_constraints);
	ca_csr_free(csr);
	free(b.p);

	/* the standard one wins over Microsoft's, whatever the order */
	b = signed_with(k, info_of(0, k, tlv(0xa0, cat(2,
	    attr(MS_EXT_REQ, exts_der(NID_basic_constraints, "critical,CA:TRUE")),
	    attr(EXT_REQ, exts_der(NID_subject_alt_name, "DNS:dev.example"))))), ecdsa_sha256());
	csr = decode(b.p, b.n, MP_OK, NULL);
	ck_assert_int_eq(sk_X509_EXTENSION_num(csr->extensions), 1);
	ck_assert_int_eq(OBJ_obj2nid(X509_EXTENSION_get_object(sk_X509_EXTENSION_value(
	    csr->extensions, 0))), NID_subject_alt_name);
	ca_csr_free(csr);
	free(b.p);

	/* an extension request twice, or with two values, none, or one that is not extensions */
	b = signed_with(k, info_of(0, k, tlv(0xa0, cat(2,
	    attr(EXT_REQ, exts_der(NID_subject_alt_name, "DNS:a.example")),
	    attr(EXT_REQ, exts_der(NID_subject_alt_name, "DNS:b.example"))))), ecdsa_sha256());
	expect(b.p, b.n, MP_ERR_INVALID, "csr");
	free(b.p);
	b = signed_with(k, info_of(0, k, tlv(0xa0, attr(EXT_REQ, cat(2,
	    exts_der(NID_subject_alt_name, "DNS:a.example"),
	    exts_der(NID_subject_alt_name, "DNS:b.example"))))), ecdsa_sha256());
	expect(b.p, b.n, MP_ERR_INVALID, "csr.extensions");
	free(b.p);
	b = signed_with(k, info_of(0, k, tlv(0xa0, attr(EXT_REQ, NONE))), ecdsa_sha256());
	expect(b.p, b.n, MP_ERR_INVALID, "csr.extensions");
	free(b.p);
	b = signed_with(k, info_of(0, k, tlv(0xa0, attr(EXT_REQ,
	    tlv(0x30, BYTES(0x02, 0x01, 0x01))))), ecdsa_sha256());
	expect_msg(b.p, b.n, MP_ERR_INVALID, "csr.extensions",
	    "the extension request does not decode");
	free(b.p);

	/* malformed attributes: no SET of values; a constructed (BER) string inside one */
	b = signed_with(k, info_of(0, k, tlv(0xa0, tlv(0x30, oid("1.2.840.113549.1.9.7")))),
	    ecdsa_sha256());
	expect(b.p, b.n, MP_ERR_INVALID, "csr");
	free(b.p);
	b = signed_with(k, info_of(0, k, tlv(0xa0, attr("1.2.840.113549.1.9.7",
	    tlv(0x24, tlv(0x04, raw("ab", 2)))))), ecdsa_sha256());
	expect(b.p, b.n, MP_ERR_INVALID, "csr");
	free(b.p);
	EVP_PKEY_free(k);
}
END_TEST

/* k's request with its SubjectPublicKeyInfo replaced by spki, signed by k. */
static blob
with_spki(EVP_PKEY *k, blob spki)
{
	blob info = tlv(0x30, cat(4, BYTES(0x02, 0x01, 0x00), name_der("CN=dev"), spki,
	    tlv(0xa0, NONE)));

	return signed_with(k, info, ecdsa_sha256());
}

START_TEST(public_keys)
{
	EVP_PKEY *k = th_key("ec-p256");
	unsigned char *pt = NULL;
	size_t ptlen = EVP_PKEY_get1_encoded_public_key(k, &pt);
	blob b;

	ck_assert_uint_eq(ptlen, 65);
	/* the point with a changed y is not on the curve */
	pt[64] ^= 0x01;
	b = with_spki(k, tlv(0x30, cat(2, tlv(0x30, cat(2, oid("1.2.840.10045.2.1"),
	    oid("1.2.840.10045.3.1.7"))), tlv(0x03, cat(2, BYTES(0x00), raw(pt, ptlen))))));
	expect_msg(b.p, b.n, MP_ERR_INVALID, "csr.key", "the public key does not decode");
	free(b.p);
	/* the key's point compressed: the same key */
	pt[64] ^= 0x01;
	{
		uint8_t comp[33];
		ca_csr *csr;

		comp[0] = (uint8_t)(0x02 | (pt[64] & 1));
		memcpy(comp + 1, pt + 1, 32);
		b = with_spki(k, tlv(0x30, cat(2, tlv(0x30, cat(2, oid("1.2.840.10045.2.1"),
		    oid("1.2.840.10045.3.1.7"))), tlv(0x03, cat(2, BYTES(0x00),
		    raw(comp, sizeof(comp)))))));
		csr = decode(b.p, b.n, MP_OK, NULL);
		ck_assert_int_eq(EVP_PKEY_eq(csr->pub, k), 1);
		ck_assert_uint_eq(csr->spki_bits_len, sizeof(comp));
		ca_csr_free(csr);
		free(b.p);
	}
	/* the point at infinity */
	b = with_spki(k, tlv(0x30, cat(2, tlv(0x30, cat(2, oid("1.2.840.10045.2.1"),
	    oid("1.2.840.10045.3.1.7"))), tlv(0x03, BYTES(0x00, 0x00)))));
	expect(b.p, b.n, MP_ERR_INVALID, "csr.key");
	free(b.p);
	/* the key's point on P-384's name */
	b = with_spki(k, tlv(0x30, cat(2, tlv(0x30, cat(2, oid("1.2.840.10045.2.1"),
	    oid("1.3.132.0.34"))), tlv(0x03, cat(2, BYTES(0x00), raw(pt, ptlen))))));
	expect(b.p, b.n, MP_ERR_INVALID, "csr.key");
	free(b.p);
	/* P-521 by name */
	b = with_spki(k, tlv(0x30, cat(2, tlv(0x30, cat(2, oid("1.2.840.10045.2.1"),
	    oid("1.3.132.0.35"))), tlv(0x03, cat(2, BYTES(0x00), raw(pt, ptlen))))));
	expect(b.p, b.n, MP_ERR_POLICY, "csr.key");
	free(b.p);
	/* a key BIT STRING with unused bits */
	b = with_spki(k, tlv(0x30, cat(2, tlv(0x30, cat(2, oid("1.2.840.10045.2.1"),
	    oid("1.2.840.10045.3.1.7"))), tlv(0x03, cat(2, BYTES(0x01), raw(pt, ptlen))))));
	expect(b.p, b.n, MP_ERR_INVALID, "csr.key");
	free(b.p);
	/* an RSA key without its NULL parameters; a negative modulus */
	b = with_spki(k, tlv(0x30, cat(2, tlv(0x30, oid("1.2.840.113549.1.1.1")),
	    tlv(0x03, cat(2, BYTES(0x00), tlv(0x30, BYTES(0x02, 0x01, 0x03, 0x02, 0x01,
	    0x03)))))));
	expect(b.p, b.n, MP_ERR_INVALID, "csr.key");
	free(b.p);
	b = with_spki(k, tlv(0x30, cat(2, tlv(0x30, cat(2, oid("1.2.840.113549.1.1.1"),
	    BYTES(0x05, 0x00))), tlv(0x03, cat(2, BYTES(0x00), tlv(0x30, BYTES(0x02, 0x01, 0x83,
	    0x02, 0x03, 0x01, 0x00, 0x01)))))));
	expect(b.p, b.n, MP_ERR_INVALID, "csr.key");
	free(b.p);
	/* Ed25519 with parameters, or a short key */
	b = with_spki(k, tlv(0x30, cat(2, tlv(0x30, cat(2, oid("1.3.101.112"),
	    BYTES(0x05, 0x00))), tlv(0x03, cat(2, BYTES(0x00), raw(pt, 32))))));
	expect(b.p, b.n, MP_ERR_INVALID, "csr.key");
	free(b.p);
	b = with_spki(k, tlv(0x30, cat(2, tlv(0x30, oid("1.3.101.112")),
	    tlv(0x03, cat(2, BYTES(0x00), raw(pt, 31))))));
	expect(b.p, b.n, MP_ERR_INVALID, "csr.key");
	free(b.p);
	/* X25519 and DSA are not signature keys we take */
	b = with_spki(k, tlv(0x30, cat(2, tlv(0x30, oid("1.3.101.110")),
	    tlv(0x03, cat(2, BYTES(0x00), raw(pt, 32))))));
	expect_msg(b.p, b.n, MP_ERR_POLICY, "csr.key",
	    "key type not accepted (EC P-256/P-384, RSA, Ed25519)");
	free(b.p);
	OPENSSL_free(pt);
	EVP_PKEY_free(k);
}
END_TEST

/* A request written by `openssl req -new`, PEM, with a subjectAltName request. */
START_TEST(openssl_req_new)
{
	char dir[] = "/tmp/csrtestXXXXXX", cmd[512], path[64];
	FILE *f;
	uint8_t buf[8192];
	size_t n;
	ca_csr *csr;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -keyout %s/key.pem -subj /CN=dev.example/O=Acme "
	    "-addext subjectAltName=DNS:dev.example -out %s/req.pem 2>/dev/null", dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/req.pem", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "rb"));
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	csr = decode(buf, n, MP_OK, NULL);
	ck_assert_int_eq(sk_X509_EXTENSION_num(csr->extensions), 1);
	ck_assert_int_eq(X509_NAME_entry_count(csr->subject), 2);
	ca_csr_free(csr);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("ca_csr");
	TCase *tc = tcase_create("csr");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_key_type_pem_and_der);
	tcase_add_test(tc, rsa_pss_signatures);
	tcase_add_test(tc, weak_keys_refused);
	tcase_add_test(tc, other_key_types_refused);
	tcase_add_test(tc, rsa_exponent_3_refused);
	tcase_add_test(tc, explicit_ec_parameters_refused);
	tcase_add_test(tc, broken_signature_refused);
	tcase_add_test(tc, sha1_signature_refused);
	tcase_add_test(tc, malformed_and_limits);
	tcase_add_test(tc, built_requests);
	tcase_add_test(tc, attributes);
	tcase_add_test(tc, public_keys);
	tcase_add_test(tc, openssl_req_new);
	suite_add_tcase(s, tc);
	return s;
}
