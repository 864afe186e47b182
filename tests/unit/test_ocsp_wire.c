/*
 * The OCSP wire format (ocsp/request.c, ocsp/response.c): requests made by
 * OpenSSL's API and by `openssl ocsp -reqout`, parsed field by field, and
 * every refusal; GET path decoding; responses signed with software key-store
 * keys (against a throwaway PostgreSQL, with-pg.sh), assembled, then decoded
 * and verified by OpenSSL's API and by `openssl ocsp -respin`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "check_main.h"
#include "codec.h"
#include "der.h"
#include "err.h"
#include "keystore.h"
#include "pg_harness.h"
#include "request.h"
#include "response.h"

#define N_LEAVES 4

static const mp_actor actor = { "user", "ocsp-wire-test", NULL };
static EVP_PKEY *ca_key;
static X509 *ca;
static X509 *leaves[N_LEAVES];
static char dir[64];

static const uint8_t oid_sha1[] = { 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a };
static const uint8_t oid_nonce[] = { 0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01,
	0x02 };

/* A certificate for pub signed by issuer_key (self-signed when issuer is NULL). */
static X509 *
make_cert(const char *cn, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *issuer_key, long serial,
    const char *const *exts)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;

	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, X509_get_subject_name(issuer != NULL ? issuer : x)),
	    1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	ck_assert_int_eq(X509_set_pubkey(x, pub), 1);
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	for (size_t i = 0; exts != NULL && exts[i] != NULL; i += 2) {
		X509_EXTENSION *e = X509V3_EXT_conf(NULL, &ctx, exts[i], exts[i + 1]);

		ck_assert_ptr_nonnull(e);
		ck_assert_int_eq(X509_add_ext(x, e, -1), 1);
		X509_EXTENSION_free(e);
	}
	ck_assert_int_gt(X509_sign(x, issuer_key, EVP_sha256()), 0);
	return x;
}

static void
write_pem(X509 *x, const char *name)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_eq(PEM_write_X509(f, x), 1);
	fclose(f);
}

/* A CA, four leaves (the last with a 20-octet serial whose top bit is set), their PEM files. */
static void
fixture_up(void)
{
	static const char *const ca_exts[] = { "basicConstraints", "critical,CA:TRUE", "keyUsage",
		"critical,keyCertSign,cRLSign", "subjectKeyIdentifier", "hash", NULL };
	BIGNUM *bn = NULL;
	char name[32];

	snprintf(dir, sizeof(dir), "/tmp/mp-ocspwire-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	ca = make_cert("OCSP Wire Test CA", ca_key, NULL, ca_key, 1, ca_exts);
	write_pem(ca, "ca.pem");
	for (int i = 0; i < N_LEAVES; i++) {
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

		snprintf(name, sizeof(name), "leaf %d", i);
		leaves[i] = make_cert(name, k, ca, ca_key, 0x1001 + i, NULL);
		EVP_PKEY_free(k);
	}
	ck_assert_int_eq(BN_hex2bn(&bn, "F1020304050607080910111213141516171819FF"), 40);
	ck_assert_ptr_nonnull(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(leaves[3])));
	ck_assert_int_gt(X509_sign(leaves[3], ca_key, EVP_sha256()), 0);
	BN_free(bn);
	for (int i = 0; i < N_LEAVES; i++) {
		snprintf(name, sizeof(name), "c%d.pem", i);
		write_pem(leaves[i], name);
	}
}

static void
fixture_down(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	for (int i = 0; i < N_LEAVES; i++)
		X509_free(leaves[i]);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
}

/* OCSP_REQUEST as DER (OPENSSL_free it). */
static uint8_t *
req_der(OCSP_REQUEST *req, size_t *len)
{
	uint8_t *der = NULL;
	int n = i2d_OCSP_REQUEST(req, &der);

	ck_assert_int_gt(n, 0);
	*len = (size_t)n;
	return der;
}

/* An OCSP request for leaves[0..n) with CertIDs of md, a nonce when nonce_len > 0. */
static OCSP_REQUEST *
make_request(const EVP_MD *md, size_t n, const uint8_t *nonce, int nonce_len)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();

	ck_assert_ptr_nonnull(req);
	for (size_t i = 0; i < n; i++) {
		OCSP_CERTID *id = OCSP_cert_to_id(md, leaves[i % N_LEAVES], ca);

		ck_assert_ptr_nonnull(id);
		ck_assert_ptr_nonnull(OCSP_request_add0_id(req, id));
	}
	if (nonce_len != 0)
		ck_assert_int_eq(OCSP_request_add1_nonce(req, (unsigned char *)nonce, nonce_len), 1);
	return req;
}

/* Checks one parsed CertID against OpenSSL's for leaf, with digest md and hash h. */
static void
check_certid(const ocsp_certid *id, X509 *leaf, const EVP_MD *md, ocsp_hash h)
{
	OCSP_CERTID *ref = OCSP_cert_to_id(md, leaf, ca);
	const ASN1_INTEGER *serial = X509_get0_serialNumber(leaf);
	uint8_t *der = NULL, nh[OCSP_HASH_MAX], kh[OCSP_HASH_MAX];
	size_t hl = 0;
	int n;

	ck_assert_ptr_nonnull(ref);
	ck_assert_int_gt(n = i2d_OCSP_CERTID(ref, &der), 0);
	ck_assert_int_eq(id->hash, h);
	ck_assert_uint_eq(id->hash_len, (size_t)EVP_MD_get_size(md));
	ck_assert_uint_eq(id->hash_len, ocsp_hash_len(h));
	ck_assert_int_eq(ocsp_issuer_hashes(ca, h, nh, kh, &hl), MP_OK);
	ck_assert_uint_eq(hl, id->hash_len);
	ck_assert_mem_eq(id->name_hash, nh, hl);
	ck_assert_mem_eq(id->key_hash, kh, hl);
	/* the serial as sent: a sign octet before a value whose top bit is set */
	if (ASN1_STRING_get0_data(serial)[0] & 0x80u) {
		ck_assert_uint_eq(id->serial_len, (size_t)ASN1_STRING_length(serial) + 1);
		ck_assert_uint_eq(id->serial[0], 0);
		ck_assert_mem_eq(id->serial + 1, ASN1_STRING_get0_data(serial),
		    (size_t)ASN1_STRING_length(serial));
	} else {
		ck_assert_uint_eq(id->serial_len, (size_t)ASN1_STRING_length(serial));
		ck_assert_mem_eq(id->serial, ASN1_STRING_get0_data(serial), id->serial_len);
	}
	ck_assert_uint_eq(id->der_len, (size_t)n);
	ck_assert_mem_eq(id->der, der, (size_t)n);
	OPENSSL_free(der);
	OCSP_CERTID_free(ref);
}

START_TEST(parse_api_requests)
{
	static const struct {
		const char *md;
		ocsp_hash h;
	} cases[] = {
		{ "SHA1", OCSP_HASH_SHA1 },
		{ "SHA256", OCSP_HASH_SHA256 },
		{ "SHA384", OCSP_HASH_SHA384 },
		{ "SHA512", OCSP_HASH_SHA512 },
	};
	uint8_t nonce[OCSP_NONCE_MAX];

	for (size_t i = 0; i < sizeof(nonce); i++)
		nonce[i] = (uint8_t)(0xa0 + i);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const EVP_MD *md = EVP_get_digestbyname(cases[c].md);

		for (size_t n = 1; n <= N_LEAVES; n++) {
			int nl = n == 1 ? 0 : n == 2 ? 1 : n == 3 ? 16 : OCSP_NONCE_MAX;
			OCSP_REQUEST *req = make_request(md, n, nonce, nl);
			size_t len;
			uint8_t *der = req_der(req, &len);
			ocsp_request r;

			memset(&r, 0xee, sizeof(r));
			ck_assert_int_eq(ocsp_request_parse(der, len, &r), MP_OK);
			ck_assert_uint_eq(r.n, n);
			for (size_t i = 0; i < n; i++)
				check_certid(&r.ids[i], leaves[i], md, cases[c].h);
			ck_assert(r.has_nonce == (nl > 0));
			if (nl > 0) {
				ck_assert_uint_eq(r.nonce_len, (size_t)nl);
				ck_assert_mem_eq(r.nonce, nonce, (size_t)nl);
			}
			OPENSSL_free(der);
			OCSP_REQUEST_free(req);
		}
	}
}
END_TEST

/* The bytes of a file in dir. */
static uint8_t *
read_file(const char *name, size_t *len)
{
	char path[128];
	uint8_t *p;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "rb"));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	ck_assert_int_gt(n = ftell(f), 0);
	rewind(f);
	ck_assert_ptr_nonnull(p = malloc((size_t)n + 1));
	ck_assert_uint_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

START_TEST(parse_cli_requests)
{
	char cmd[512];
	uint8_t *der;
	size_t len;
	ocsp_request r;

	snprintf(cmd, sizeof(cmd), "cd %s && openssl ocsp -issuer ca.pem -cert c0.pem -cert c3.pem"
	    " -no_nonce -reqout r1.der >/dev/null 2>&1 && openssl ocsp -sha256 -issuer ca.pem"
	    " -cert c1.pem -cert c2.pem -cert c3.pem -nonce -reqout r2.der >/dev/null 2>&1", dir);
	ck_assert_int_eq(system(cmd), 0);

	der = read_file("r1.der", &len);
	ck_assert_int_eq(ocsp_request_parse(der, len, &r), MP_OK);
	ck_assert_uint_eq(r.n, 2);
	check_certid(&r.ids[0], leaves[0], EVP_sha1(), OCSP_HASH_SHA1);
	check_certid(&r.ids[1], leaves[3], EVP_sha1(), OCSP_HASH_SHA1);
	ck_assert_uint_eq(r.ids[1].serial_len, 21);
	ck_assert(!r.has_nonce);
	free(der);

	der = read_file("r2.der", &len);
	ck_assert_int_eq(ocsp_request_parse(der, len, &r), MP_OK);
	ck_assert_uint_eq(r.n, 3);
	for (size_t i = 0; i < 3; i++)
		check_certid(&r.ids[i], leaves[i + 1], EVP_sha256(), OCSP_HASH_SHA256);
	ck_assert(r.has_nonce);
	ck_assert_uint_eq(r.nonce_len, 16); /* OpenSSL's default nonce length */
	ck_assert(r.nonce > der && r.nonce + r.nonce_len <= der + len);
	free(der);
}
END_TEST

START_TEST(parse_signed_request)
{
	static const char *const exts[] = { "extendedKeyUsage", "clientAuth", NULL };
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *client = make_cert("client", k, ca, ca_key, 77, exts);
	STACK_OF(X509) *chain = sk_X509_new_null();
	OCSP_REQUEST *req = make_request(EVP_sha1(), 1, (const uint8_t *)"n", 1);
	uint8_t *der;
	size_t len;
	ocsp_request r;

	ck_assert_int_eq(sk_X509_push(chain, ca), 1);
	/* sets requestorName and optionalSignature with two certificates */
	ck_assert_int_eq(OCSP_request_sign(req, client, k, EVP_sha256(), chain, 0), 1);
	der = req_der(req, &len);
	ck_assert_int_eq(ocsp_request_parse(der, len, &r), MP_OK);
	ck_assert_uint_eq(r.n, 1);
	ck_assert(r.has_nonce);
	ck_assert_uint_eq(r.nonce_len, 1);
	ck_assert_uint_eq(r.nonce[0], 'n');
	for (size_t i = 0; i < len; i++)
		ck_assert_int_eq(ocsp_request_parse(der, i, &r), MP_ERR_INVALID);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	sk_X509_free(chain);
	X509_free(client);
	EVP_PKEY_free(k);
}
END_TEST

/* Appends the element tag { c } to out at *o. */
static void
put_tlv(uint8_t *out, size_t *o, unsigned tag, const uint8_t *c, size_t n)
{
	out[(*o)++] = (uint8_t)tag;
	if (n < 0x80) {
		out[(*o)++] = (uint8_t)n;
	} else if (n < 0x100) {
		out[(*o)++] = 0x81;
		out[(*o)++] = (uint8_t)n;
	} else {
		out[(*o)++] = 0x82;
		out[(*o)++] = (uint8_t)(n >> 8);
		out[(*o)++] = (uint8_t)n;
	}
	if (n > 0)
		memmove(out + *o, c, n);
	*o += n;
}

/*
 * OCSPRequest { TBSRequest { pre, SEQUENCE { list }, post } } into out; list
 * holds whole Request elements.
 */
static size_t
manual_request(const uint8_t *pre, size_t pre_len, const uint8_t *list, size_t list_len,
    const uint8_t *post, size_t post_len, uint8_t *out)
{
	uint8_t tbs[6000], top[6000];
	size_t t = 0, o = 0;

	if (pre_len > 0)
		memcpy(tbs, pre, pre_len);
	t = pre_len;
	put_tlv(tbs, &t, 0x30, list, list_len);
	if (post_len > 0)
		memcpy(tbs + t, post, post_len);
	t += post_len;
	put_tlv(top, &o, 0x30, tbs, t);
	t = 0;
	put_tlv(out, &t, 0x30, top, o);
	return t;
}

/* A Request { certid, [0] { exts } } for leaves[0] with SHA-1, ext_len 0 for none. */
static size_t
manual_single(const uint8_t *exts, size_t exts_len, uint8_t *out)
{
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), leaves[0], ca);
	uint8_t *der = NULL, body[600];
	size_t b = 0, o = 0;
	int n;

	ck_assert_int_gt(n = i2d_OCSP_CERTID(id, &der), 0);
	memcpy(body, der, (size_t)n);
	b = (size_t)n;
	if (exts_len > 0)
		put_tlv(body, &b, 0xa0, exts, exts_len);
	put_tlv(out, &o, 0x30, body, b);
	OPENSSL_free(der);
	OCSP_CERTID_free(id);
	return o;
}

/* Extensions { Extension { oid, [critical], OCTET STRING value } } */
static size_t
manual_ext(const uint8_t *oid, size_t oid_len, int critical, const uint8_t *value,
    size_t value_len, uint8_t *out)
{
	uint8_t ext[5000], seq[5000];
	size_t e = 0, s = 0;

	memcpy(ext, oid, oid_len);
	e = oid_len;
	if (critical >= 0) {
		ext[e++] = 0x01;
		ext[e++] = 0x01;
		ext[e++] = (uint8_t)critical;
	}
	put_tlv(ext, &e, 0x04, value, value_len);
	put_tlv(seq, &s, 0x30, ext, e);
	e = 0;
	put_tlv(out, &e, 0x30, seq, s);
	return e;
}

/* A request for leaves[0] whose requestExtensions [2] hold exts. */
static int
parse_with_req_exts(const uint8_t *exts, size_t exts_len, ocsp_request *r)
{
	uint8_t single[600], post[5000], der[6000];
	size_t sl = manual_single(NULL, 0, single), p = 0, n;

	put_tlv(post, &p, 0xa2, exts, exts_len);
	n = manual_request(NULL, 0, single, sl, post, p, der);
	return ocsp_request_parse(der, n, r);
}

static const uint8_t oid_unknown[] = { 0x06, 0x03, 0x2a, 0x03, 0x04 };

START_TEST(parse_extensions)
{
	uint8_t exts[5000], value[100], single[600], der[6000];
	size_t e, n, sl;
	ocsp_request r;

	/* non-critical unknown: ignored, with or without an explicit FALSE */
	e = manual_ext(oid_unknown, sizeof(oid_unknown), -1, (const uint8_t *)"\x05\x00", 2, exts);
	ck_assert_int_eq(parse_with_req_exts(exts, e, &r), MP_OK);
	ck_assert(!r.has_nonce);
	e = manual_ext(oid_unknown, sizeof(oid_unknown), 0x00, (const uint8_t *)"x", 1, exts);
	ck_assert_int_eq(parse_with_req_exts(exts, e, &r), MP_OK);
	/* critical unknown, or a BOOLEAN that is not DER */
	e = manual_ext(oid_unknown, sizeof(oid_unknown), 0xff, (const uint8_t *)"x", 1, exts);
	ck_assert_int_eq(parse_with_req_exts(exts, e, &r), MP_ERR_INVALID);
	e = manual_ext(oid_unknown, sizeof(oid_unknown), 0x01, (const uint8_t *)"x", 1, exts);
	ck_assert_int_eq(parse_with_req_exts(exts, e, &r), MP_ERR_INVALID);
	/* empty Extensions */
	ck_assert_int_eq(parse_with_req_exts((const uint8_t *)"\x30\x00", 2, &r), MP_ERR_INVALID);

	/* nonces: RFC 8954 form 1..32, 0 and 33 refused; the raw form */
	value[0] = 0x04;
	for (size_t i = 0; i < 40; i++)
		value[2 + i] = (uint8_t)(0x30 + i);
	value[1] = 32;
	e = manual_ext(oid_nonce, sizeof(oid_nonce), -1, value, 34, exts);
	ck_assert_int_eq(parse_with_req_exts(exts, e, &r), MP_OK);
	ck_assert(r.has_nonce);
	ck_assert_uint_eq(r.nonce_len, 32);
	ck_assert_mem_eq(r.nonce, value + 2, 32);
	value[1] = 33;
	e = manual_ext(oid_nonce, sizeof(oid_nonce), -1, value, 35, exts);
	ck_assert_int_eq(parse_with_req_exts(exts, e, &r), MP_ERR_INVALID);
	value[1] = 0;
	e = manual_ext(oid_nonce, sizeof(oid_nonce), -1, value, 2, exts);
	ck_assert_int_eq(parse_with_req_exts(exts, e, &r), MP_ERR_INVALID);
	e = manual_ext(oid_nonce, sizeof(oid_nonce), -1, value, 0, exts);
	ck_assert_int_eq(parse_with_req_exts(exts, e, &r), MP_ERR_INVALID);
	e = manual_ext(oid_nonce, sizeof(oid_nonce), -1, value + 2, 20, exts);
	ck_assert_int_eq(parse_with_req_exts(exts, e, &r), MP_OK);
	ck_assert(r.has_nonce);
	ck_assert_uint_eq(r.nonce_len, 20);
	ck_assert_mem_eq(r.nonce, value + 2, 20);
	e = manual_ext(oid_nonce, sizeof(oid_nonce), -1, value + 2, 33, exts);
	ck_assert_int_eq(parse_with_req_exts(exts, e, &r), MP_ERR_INVALID);
	/* a critical nonce is understood */
	value[1] = 8;
	e = manual_ext(oid_nonce, sizeof(oid_nonce), 0xff, value, 10, exts);
	ck_assert_int_eq(parse_with_req_exts(exts, e, &r), MP_OK);
	ck_assert_uint_eq(r.nonce_len, 8);

	/* singleRequestExtensions: non-critical ignored, critical refused */
	e = manual_ext(oid_unknown, sizeof(oid_unknown), -1, (const uint8_t *)"x", 1, exts);
	sl = manual_single(exts, e, single);
	n = manual_request(NULL, 0, single, sl, NULL, 0, der);
	ck_assert_int_eq(ocsp_request_parse(der, n, &r), MP_OK);
	ck_assert_uint_eq(r.n, 1);
	e = manual_ext(oid_unknown, sizeof(oid_unknown), 0xff, (const uint8_t *)"x", 1, exts);
	sl = manual_single(exts, e, single);
	n = manual_request(NULL, 0, single, sl, NULL, 0, der);
	ck_assert_int_eq(ocsp_request_parse(der, n, &r), MP_ERR_INVALID);
}
END_TEST

START_TEST(parse_api_extensions)
{
	OCSP_REQUEST *req = make_request(EVP_sha256(), 2, (const uint8_t *)"abc", 3);
	OCSP_ONEREQ *one = OCSP_request_onereq_get0(req, 1);
	ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext;
	ASN1_OBJECT *obj = OBJ_txt2obj("1.2.3.4.5", 1);
	uint8_t *der;
	size_t len;
	ocsp_request r;

	ck_assert_int_eq(ASN1_OCTET_STRING_set(v, (const unsigned char *)"v", 1), 1);
	ck_assert_ptr_nonnull(ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, v));
	ck_assert_int_eq(OCSP_REQUEST_add_ext(req, ext, -1), 1);
	ck_assert_int_eq(OCSP_ONEREQ_add_ext(one, ext, -1), 1);
	der = req_der(req, &len);
	ck_assert_int_eq(ocsp_request_parse(der, len, &r), MP_OK);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(r.nonce_len, 3);
	OPENSSL_free(der);
	/* the same extension critical, on the request and then on one Request */
	X509_EXTENSION_set_critical(ext, 1);
	ck_assert_int_eq(OCSP_REQUEST_add_ext(req, ext, -1), 1);
	der = req_der(req, &len);
	ck_assert_int_eq(ocsp_request_parse(der, len, &r), MP_ERR_INVALID);
	OPENSSL_free(der);
	X509_EXTENSION_free(OCSP_REQUEST_delete_ext(req, 2));
	der = req_der(req, &len);
	ck_assert_int_eq(ocsp_request_parse(der, len, &r), MP_OK);
	OPENSSL_free(der);
	ck_assert_int_eq(OCSP_ONEREQ_add_ext(one, ext, -1), 1);
	der = req_der(req, &len);
	ck_assert_int_eq(ocsp_request_parse(der, len, &r), MP_ERR_INVALID);
	OPENSSL_free(der);
	/* two nonces */
	X509_EXTENSION_free(OCSP_ONEREQ_delete_ext(one, 1));
	ck_assert_int_eq(OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1), 0);
	ck_assert_int_eq(OCSP_REQUEST_add_ext(req, OCSP_REQUEST_get_ext(req, 0), -1), 1);
	der = req_der(req, &len);
	ck_assert_int_eq(ocsp_request_parse(der, len, &r), MP_ERR_INVALID);
	OPENSSL_free(der);
	ASN1_OBJECT_free(obj);
	ASN1_OCTET_STRING_free(v);
	X509_EXTENSION_free(ext);
	OCSP_REQUEST_free(req);
}
END_TEST

START_TEST(parse_refusals)
{
	uint8_t nonce[OCSP_NONCE_MAX + 1] = { 0 };
	OCSP_REQUEST *req = make_request(EVP_sha1(), 3, (const uint8_t *)"nonce", 5);
	size_t len, n;
	uint8_t *der = req_der(req, &len), *big, *ber;
	ocsp_request r, before;

	memset(&before, 0x5a, sizeof(before));
	r = before;
	/* truncated at every length, and one byte more */
	for (size_t i = 0; i < len; i++)
		ck_assert_int_eq(ocsp_request_parse(der, i, &r), MP_ERR_INVALID);
	ck_assert_ptr_nonnull(big = malloc(OCSP_REQUEST_MAX_BYTES + 1));
	memcpy(big, der, len);
	big[len] = 0;
	ck_assert_int_eq(ocsp_request_parse(big, len + 1, &r), MP_ERR_INVALID);
	ck_assert_mem_eq(&r, &before, sizeof(r));
	/* over the byte limit, refused before parsing */
	ck_assert_int_eq(ocsp_request_parse(big, OCSP_REQUEST_MAX_BYTES + 1, &r), MP_ERR_TOO_LARGE);
	/* BER indefinite length for the outer SEQUENCE */
	ck_assert_ptr_nonnull(ber = malloc(len + 2));
	ck_assert_uint_eq(der[1], 0x81); /* three certificates: a one-octet long form */
	ber[0] = 0x30;
	ber[1] = 0x80;
	memcpy(ber + 2, der + 3, len - 3);
	ber[len - 1] = 0;
	ber[len] = 0;
	ck_assert_int_eq(ocsp_request_parse(ber, len + 1, &r), MP_ERR_INVALID);
	/* a non-minimal length */
	memcpy(ber, der, len);
	ber[1] = 0x82;
	ber[2] = 0x00;
	memcpy(ber + 3, der + 2, len - 2);
	ck_assert_int_eq(ocsp_request_parse(ber, len + 1, &r), MP_ERR_INVALID);
	free(ber);
	free(big);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	ck_assert_mem_eq(&r, &before, sizeof(r));

	/* 16 certificates, 17 */
	req = make_request(EVP_sha256(), OCSP_MAX_CERTS, NULL, 0);
	der = req_der(req, &len);
	ck_assert_int_eq(ocsp_request_parse(der, len, &r), MP_OK);
	ck_assert_uint_eq(r.n, OCSP_MAX_CERTS);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	req = make_request(EVP_sha256(), OCSP_MAX_CERTS + 1, NULL, 0);
	der = req_der(req, &len);
	ck_assert_int_eq(ocsp_request_parse(der, len, &r), MP_ERR_TOO_LARGE);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);

	/* a 33-byte nonce */
	req = make_request(EVP_sha1(), 1, nonce, OCSP_NONCE_MAX + 1);
	der = req_der(req, &len);
	ck_assert_int_eq(ocsp_request_parse(der, len, &r), MP_ERR_INVALID);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);

	/* unknown hash algorithms: SHA-224, MD5 */
	req = make_request(EVP_sha224(), 2, NULL, 0);
	der = req_der(req, &len);
	ck_assert_int_eq(ocsp_request_parse(der, len, &r), MP_ERR_UNSUPPORTED);
	/* still malformed first when it is also malformed */
	ck_assert_int_eq(ocsp_request_parse(der, len - 1, &r), MP_ERR_INVALID);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	req = make_request(EVP_md5(), 1, NULL, 0);
	der = req_der(req, &len);
	ck_assert_int_eq(ocsp_request_parse(der, len, &r), MP_ERR_UNSUPPORTED);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);

	/* an empty requestList, no request at all */
	r = before;
	{
		uint8_t out[64];

		n = manual_request(NULL, 0, NULL, 0, NULL, 0, out);
		ck_assert_int_eq(ocsp_request_parse(out, n, &r), MP_ERR_INVALID);
		ck_assert_int_eq(ocsp_request_parse((const uint8_t *)"", 0, &r), MP_ERR_INVALID);
		ck_assert_int_eq(ocsp_request_parse(NULL, 0, &r), MP_ERR_INVALID);
	}
	ck_assert_mem_eq(&r, &before, sizeof(r));
}
END_TEST

/* A request with one CertID made of the given parts (SHA-1 OID, params NULL when params). */
static int
parse_certid(bool params, size_t name_len, size_t key_len, const uint8_t *serial,
    size_t serial_len, ocsp_request *r)
{
	uint8_t body[300], certid[300], single[300], der[600], alg[32], hash[70] = { 0 };
	size_t b = 0, c = 0, s = 0, a = 0, n;

	memcpy(alg, oid_sha1, sizeof(oid_sha1));
	a = sizeof(oid_sha1);
	if (params) {
		alg[a++] = 0x05;
		alg[a++] = 0x00;
	}
	put_tlv(body, &b, 0x30, alg, a);
	put_tlv(body, &b, 0x04, hash, name_len);
	put_tlv(body, &b, 0x04, hash, key_len);
	put_tlv(body, &b, 0x02, serial, serial_len);
	put_tlv(certid, &c, 0x30, body, b);
	put_tlv(single, &s, 0x30, certid, c);
	n = manual_request(NULL, 0, single, s, NULL, 0, der);
	return ocsp_request_parse(der, n, r);
}

START_TEST(parse_certid_fields)
{
	uint8_t serial[22];
	ocsp_request r;

	memset(serial, 0x11, sizeof(serial));
	ck_assert_int_eq(parse_certid(true, 20, 20, serial, 20, &r), MP_OK);
	ck_assert_int_eq(parse_certid(false, 20, 20, serial, 20, &r), MP_OK);
	ck_assert_int_eq(r.ids[0].hash, OCSP_HASH_SHA1);
	ck_assert_uint_eq(r.ids[0].serial_len, 20);
	/* hashes of the wrong length */
	ck_assert_int_eq(parse_certid(true, 19, 19, serial, 1, &r), MP_ERR_INVALID);
	ck_assert_int_eq(parse_certid(true, 20, 32, serial, 1, &r), MP_ERR_INVALID);
	ck_assert_int_eq(parse_certid(true, 0, 0, serial, 1, &r), MP_ERR_INVALID);
	/* serials: 21 octets only with the sign octet, positive, minimal */
	ck_assert_int_eq(parse_certid(true, 20, 20, serial, 21, &r), MP_ERR_INVALID);
	serial[0] = 0x00;
	serial[1] = 0x80;
	ck_assert_int_eq(parse_certid(true, 20, 20, serial, 21, &r), MP_OK);
	ck_assert_uint_eq(r.ids[0].serial_len, 21);
	ck_assert_int_eq(parse_certid(true, 20, 20, serial, 22, &r), MP_ERR_INVALID);
	serial[1] = 0x01;
	ck_assert_int_eq(parse_certid(true, 20, 20, serial, 2, &r), MP_ERR_INVALID);
	ck_assert_int_eq(parse_certid(true, 20, 20, serial, 1, &r), MP_ERR_INVALID);
	ck_assert_int_eq(parse_certid(true, 20, 20, serial, 0, &r), MP_ERR_INVALID);
	serial[0] = 0xff;
	ck_assert_int_eq(parse_certid(true, 20, 20, serial, 1, &r), MP_ERR_INVALID);
	serial[0] = 0x01;
	ck_assert_int_eq(parse_certid(true, 20, 20, serial, 1, &r), MP_OK);
	ck_assert_uint_eq(r.ids[0].serial[0], 1);
}
END_TEST

START_TEST(parse_version_and_name)
{
	static const uint8_t v1[] = { 0xa0, 0x03, 0x02, 0x01, 0x00 },
			     v2[] = { 0xa0, 0x03, 0x02, 0x01, 0x01 },
			     name[] = { 0xa1, 0x06, 0x82, 0x04, 't', 'e', 's', 't' },
			     two_names[] = { 0xa1, 0x08, 0x82, 0x01, 'a', 0x82, 0x01, 'b' },
			     v1_name[] = { 0xa0, 0x03, 0x02, 0x01, 0x00, 0xa1, 0x06, 0x82, 0x04, 't',
				     'e', 's', 't' },
			     junk[] = { 0x05, 0x00 };
	uint8_t single[600], der[1200];
	size_t sl = manual_single(NULL, 0, single), n;
	ocsp_request r;

	n = manual_request(v1, sizeof(v1), single, sl, NULL, 0, der);
	ck_assert_int_eq(ocsp_request_parse(der, n, &r), MP_OK);
	n = manual_request(v2, sizeof(v2), single, sl, NULL, 0, der);
	ck_assert_int_eq(ocsp_request_parse(der, n, &r), MP_ERR_INVALID);
	n = manual_request(name, sizeof(name), single, sl, NULL, 0, der);
	ck_assert_int_eq(ocsp_request_parse(der, n, &r), MP_OK);
	n = manual_request(v1_name, sizeof(v1_name), single, sl, NULL, 0, der);
	ck_assert_int_eq(ocsp_request_parse(der, n, &r), MP_OK);
	n = manual_request(two_names, sizeof(two_names), single, sl, NULL, 0, der);
	ck_assert_int_eq(ocsp_request_parse(der, n, &r), MP_ERR_INVALID);
	/* something after requestExtensions, before the list, or after the Request */
	n = manual_request(NULL, 0, single, sl, junk, sizeof(junk), der);
	ck_assert_int_eq(ocsp_request_parse(der, n, &r), MP_ERR_INVALID);
	n = manual_request(junk, sizeof(junk), single, sl, NULL, 0, der);
	ck_assert_int_eq(ocsp_request_parse(der, n, &r), MP_ERR_INVALID);
	memcpy(single + sl, junk, sizeof(junk));
	n = manual_request(NULL, 0, single, sl + sizeof(junk), NULL, 0, der);
	ck_assert_int_eq(ocsp_request_parse(der, n, &r), MP_ERR_INVALID);
}
END_TEST

START_TEST(certid_make_matches_openssl)
{
	static const struct {
		const char *md;
		ocsp_hash h;
	} cases[] = { { "SHA1", OCSP_HASH_SHA1 }, { "SHA256", OCSP_HASH_SHA256 },
		{ "SHA384", OCSP_HASH_SHA384 }, { "SHA512", OCSP_HASH_SHA512 } };
	uint8_t nh[OCSP_HASH_MAX], kh[OCSP_HASH_MAX], buf[OCSP_CERTID_MAX], *der = NULL, serial[22];
	ocsp_certid id, before;
	size_t hl;
	int n;

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (int l = 0; l < N_LEAVES; l++) {
			const EVP_MD *md = EVP_get_digestbyname(cases[c].md);
			OCSP_CERTID *ref = OCSP_cert_to_id(md, leaves[l], ca);
			const ASN1_INTEGER *s = X509_get0_serialNumber(leaves[l]);
			size_t sl = 0;

			ck_assert_int_gt(n = i2d_OCSP_CERTID(ref, &der), 0);
			ck_assert_int_eq(ocsp_issuer_hashes(ca, cases[c].h, nh, kh, &hl), MP_OK);
			if (ASN1_STRING_get0_data(s)[0] & 0x80u)
				serial[sl++] = 0;
			memcpy(serial + sl, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
			sl += (size_t)ASN1_STRING_length(s);
			ck_assert_int_eq(ocsp_certid_make(cases[c].h, nh, kh, serial, sl, buf, &id),
			    MP_OK);
			ck_assert_uint_eq(id.der_len, (size_t)n);
			ck_assert_mem_eq(id.der, der, (size_t)n);
			ck_assert_ptr_eq(id.der, buf);
			ck_assert_uint_le(id.der_len, OCSP_CERTID_MAX);
			check_certid(&id, leaves[l], md, cases[c].h);
			OPENSSL_free(der);
			der = NULL;
			OCSP_CERTID_free(ref);
		}
	}
	/* the largest one fits */
	memset(serial, 0xff, sizeof(serial));
	serial[0] = 0;
	ck_assert_int_eq(ocsp_certid_make(OCSP_HASH_SHA512, nh, nh, serial, 21, buf, &id), MP_OK);
	ck_assert_uint_eq(id.der_len, 173);
	memset(&before, 0x77, sizeof(before));
	id = before;
	ck_assert_int_eq(ocsp_certid_make(OCSP_HASH_SHA512, nh, nh, serial, 22, buf, &id),
	    MP_ERR_INVALID);
	ck_assert_int_eq(ocsp_certid_make(OCSP_HASH_SHA512, nh, nh, serial, 1, buf, &id),
	    MP_ERR_INVALID);
	ck_assert_int_eq(ocsp_certid_make((ocsp_hash)9, nh, nh, serial + 1, 1, buf, &id),
	    MP_ERR_INVALID);
	ck_assert_mem_eq(&id, &before, sizeof(id));
	ck_assert_uint_eq(ocsp_hash_len((ocsp_hash)4), 0);
	ck_assert_int_eq(ocsp_issuer_hashes(ca, (ocsp_hash)4, nh, kh, &hl), MP_ERR_INVALID);
}
END_TEST

/* ocsp_request_from_path gives want (n bytes). */
static void
path_is(const char *path, const uint8_t *want, size_t n)
{
	uint8_t *der = NULL;
	size_t len = 0;

	ck_assert_msg(ocsp_request_from_path(path, &der, &len) == MP_OK, "%s", path);
	ck_assert_uint_eq(len, n);
	ck_assert_mem_eq(der, want, n);
	free(der);
}

static void
path_fails(const char *path, int err)
{
	uint8_t *der = (uint8_t *)"unchanged";
	size_t len = 7;

	ck_assert_msg(ocsp_request_from_path(path, &der, &len) == err, "%s", path);
	ck_assert_str_eq((const char *)der, "unchanged");
	ck_assert_uint_eq(len, 7);
}

START_TEST(get_paths)
{
	static const uint8_t bytes[] = { 0xfb, 0xff, 0xff, 0xf8 };
	OCSP_REQUEST *req = make_request(EVP_sha1(), 2, (const uint8_t *)"0123456789", 10);
	size_t len, dlen;
	uint8_t *der = req_der(req, &len), *got = NULL;
	char *b64 = NULL, *path, *long_path;
	ocsp_request r;

	/* "+///+A==": both '+' and '/' in it */
	path_is("+///+A==", bytes, 4);
	path_is("/+///+A==", bytes, 4);
	path_is("+///+A", bytes, 4);
	path_is("-___-A", bytes, 4);
	path_is("-___-A==", bytes, 4);
	path_is("+_/_-A", bytes, 4);
	path_is(" ///+A==", bytes, 4);
	path_fails("", MP_ERR_INVALID);
	path_fails("/", MP_ERR_INVALID);
	path_fails("//+///+A==", MP_ERR_INVALID);
	path_fails("+///+A=", MP_ERR_INVALID);
	path_fails("+///+", MP_ERR_INVALID);
	path_fails("+///+A==+A", MP_ERR_INVALID);
	path_fails("+//*+A==", MP_ERR_INVALID);
	path_fails("+//%2F+A==", MP_ERR_INVALID);
	path_fails("+///\n+A==", MP_ERR_INVALID);
	path_fails("====", MP_ERR_INVALID);
	path_fails(NULL, MP_ERR_INVALID);

	/* a real request, padded and not, URL-safe and not */
	ck_assert_int_eq(mp_b64_encode(der, len, false, &b64), MP_OK);
	ck_assert_ptr_nonnull(path = malloc(strlen(b64) + 2));
	path[0] = '/';
	memcpy(path + 1, b64, strlen(b64) + 1);
	path_is(path, der, len);
	path_is(b64, der, len);
	while (strlen(b64) > 0 && b64[strlen(b64) - 1] == '=')
		b64[strlen(b64) - 1] = '\0';
	path_is(b64, der, len);
	free(b64);
	ck_assert_int_eq(mp_b64_encode(der, len, true, &b64), MP_OK);
	path_is(b64, der, len);
	ck_assert_int_eq(ocsp_request_from_path(path, &got, &dlen), MP_OK);
	ck_assert_int_eq(ocsp_request_parse(got, dlen, &r), MP_OK);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(r.nonce_len, 10);
	free(got);

	/* more than OCSP_REQUEST_MAX_BYTES once decoded */
	ck_assert_ptr_nonnull(long_path = malloc(20000));
	memset(long_path, 'A', 19999);
	long_path[19999] = '\0';
	path_fails(long_path, MP_ERR_TOO_LARGE);
	long_path[(OCSP_REQUEST_MAX_BYTES + 3) / 3 * 4] = '\0';
	path_fails(long_path, MP_ERR_TOO_LARGE);
	long_path[OCSP_REQUEST_MAX_BYTES / 3 * 4] = '\0';
	ck_assert_int_eq(ocsp_request_from_path(long_path, &got, &dlen), MP_OK);
	ck_assert_uint_eq(dlen, OCSP_REQUEST_MAX_BYTES / 3 * 3);
	free(got);
	free(long_path);
	free(b64);
	free(path);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
}
END_TEST

START_TEST(error_responses)
{
	static const int statuses[] = { OCSP_STATUS_MALFORMED_REQUEST, OCSP_STATUS_INTERNAL_ERROR,
		OCSP_STATUS_TRY_LATER, OCSP_STATUS_UNAUTHORIZED };
	size_t len = 0;

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		const uint8_t *p = ocsp_response_error(statuses[i], &len);
		const unsigned char *q = p;
		OCSP_RESPONSE *resp;

		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq(len, 5);
		ck_assert_ptr_nonnull(resp = d2i_OCSP_RESPONSE(NULL, &q, (long)len));
		ck_assert_ptr_eq(q, p + len);
		ck_assert_int_eq(OCSP_response_status(resp), statuses[i]);
		ck_assert_ptr_null(OCSP_response_get1_basic(resp));
		OCSP_RESPONSE_free(resp);
	}
	ck_assert_int_eq(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, OCSP_STATUS_MALFORMED_REQUEST);
	ck_assert_int_eq(OCSP_RESPONSE_STATUS_UNAUTHORIZED, OCSP_STATUS_UNAUTHORIZED);
	ck_assert_ptr_null(ocsp_response_error(0, &len));
	ck_assert_ptr_null(ocsp_response_error(4, &len));
	ck_assert_ptr_null(ocsp_response_error(5, &len));
	ERR_clear_error();
}
END_TEST

/* The fixed fake core an assembler test wraps: any bytes do. */
START_TEST(assemble_sizes)
{
	static const size_t cores[] = { 1, 100, 127, 128, 250, 255, 256, 300, 65535, 65536, 70000 };
	static const size_t signers[] = { 0, 1, 126, 127, 128, 500, 1200, 65530, 70000 };
	uint8_t *core = malloc(70000), *signer = malloc(70000), *out = malloc(150000);

	ck_assert_ptr_nonnull(core);
	ck_assert_ptr_nonnull(signer);
	ck_assert_ptr_nonnull(out);
	memset(core, 0x11, 70000);
	memset(signer, 0x22, 70000);
	for (size_t c = 0; c < sizeof(cores) / sizeof(cores[0]); c++) {
		for (size_t s = 0; s < sizeof(signers) / sizeof(signers[0]); s++) {
			size_t want = ocsp_response_size(cores[c], signers[s]);
			mp_der d, in;
			mp_der_tlv t;

			ck_assert_uint_gt(want, cores[c] + signers[s]);
			ck_assert_uint_eq(ocsp_response_assemble(core, cores[c], signer, signers[s], out,
			    want - 1), 0);
			ck_assert_uint_eq(ocsp_response_assemble(core, cores[c], signer, signers[s], out,
			    want), want);
			/* the DER reader walks it to the core and the certificate */
			mp_der_init(&d, out, want);
			ck_assert_int_eq(mp_der_expect(&d, 0x30, &t), MP_OK);
			ck_assert(mp_der_empty(&d));
			mp_der_enter(&t, &in);
			ck_assert_int_eq(mp_der_expect(&in, 0x0a, &t), MP_OK);
			ck_assert_int_eq(mp_der_expect(&in, 0xa0, &t), MP_OK);
			ck_assert(mp_der_empty(&in));
			mp_der_enter(&t, &d);
			ck_assert_int_eq(mp_der_expect(&d, 0x30, &t), MP_OK);
			mp_der_enter(&t, &in);
			ck_assert_int_eq(mp_der_expect(&in, 0x06, &t), MP_OK);
			ck_assert_int_eq(mp_der_expect(&in, 0x04, &t), MP_OK);
			ck_assert(mp_der_empty(&in));
			mp_der_enter(&t, &d);
			ck_assert_int_eq(mp_der_expect(&d, 0x30, &t), MP_OK);
			ck_assert(mp_der_empty(&d));
			if (signers[s] == 0) {
				ck_assert_uint_eq(t.len, cores[c]);
				ck_assert_mem_eq(t.value, core, cores[c]);
				continue;
			}
			ck_assert_uint_gt(t.len, cores[c]);
			ck_assert_mem_eq(t.value, core, cores[c]);
			mp_der_init(&d, t.value + cores[c], t.len - cores[c]);
			ck_assert_int_eq(mp_der_expect(&d, 0xa0, &t), MP_OK);
			ck_assert(mp_der_empty(&d));
			mp_der_enter(&t, &d);
			ck_assert_int_eq(mp_der_expect(&d, 0x30, &t), MP_OK);
			ck_assert(mp_der_empty(&d));
			ck_assert_uint_eq(t.len, signers[s]);
			ck_assert_mem_eq(t.value, signer, signers[s]);
		}
	}
	ck_assert_uint_eq(ocsp_response_size(0, 10), 0);
	ck_assert_uint_eq(ocsp_response_size((size_t)1 << 25, 10), 0);
	ck_assert_uint_eq(ocsp_response_assemble(core, 10, NULL, 5, out, 1000), 0);
	free(out);
	free(signer);
	free(core);
}
END_TEST

/* The key store side: a fresh database and a store with its master key in dir. */
struct store {
	mp_db *db;
	mp_keystore *ks;
};

static void
store_open(struct store *s, const char *dbname)
{
	char path[128], err[256];
	mp_keystore_config cfg = { path, NULL, 0, NULL };

	snprintf(path, sizeof(path), "%s/master.key", dir);
	s->db = pg_connect_migrated(pg_fresh_database(dbname));
	ck_assert_msg(mp_keystore_open(&cfg, &s->ks, err, sizeof(err)) == MP_OK, "%s", err);
}

static void
store_close(struct store *s)
{
	mp_keystore_free(s->ks);
	mp_db_close(s->db);
}

static mp_key *
new_key(struct store *s, const char *alg)
{
	char id[MP_UUID_STR_LEN + 1];
	mp_key_spec spec;
	mp_key *k = NULL;

	ck_assert_int_eq(mp_key_spec_parse(alg, &spec), MP_OK);
	ck_assert_int_eq(mp_key_generate(s->ks, s->db, &actor, "software", &spec, alg, id), MP_OK);
	ck_assert_int_eq(mp_key_load(s->ks, s->db, id, &k), MP_OK);
	return k;
}

/* The delegated OCSP signer certificate for k, issued by the CA. */
static X509 *
signer_cert(mp_key *k)
{
	static const char *const exts[] = { "extendedKeyUsage", "critical,OCSPSigning", "keyUsage",
		"critical,digitalSignature", "noCheck", "ignored", NULL };
	EVP_PKEY *pub = mp_key_public(k);
	X509 *x = make_cert("OCSP signer", pub, ca, ca_key, 500, exts);

	EVP_PKEY_free(pub);
	return x;
}

/* The CertIDs of the request in r for the four leaves, with their statuses. */
static void
make_singles(const ocsp_request *r, int64_t now, ocsp_single s[N_LEAVES])
{
	for (int i = 0; i < N_LEAVES; i++) {
		s[i] = (ocsp_single){ &r->ids[i], OCSP_GOOD, 0, -1, now - 60, now + 3600 };
	}
	s[1].status = OCSP_REVOKED;
	s[1].revoked_at = now - 86400;
	s[1].reason = 1; /* keyCompromise */
	s[2].status = OCSP_REVOKED;
	s[2].revoked_at = now - 7200;
	s[2].reason = 6; /* certificateHold */
	s[2].next_update = 0;
	s[3].status = OCSP_UNKNOWN;
}

/* Checks an assembled response against the singles and the request, the OpenSSL way. */
static void
check_response(const uint8_t *resp_der, size_t len, OCSP_REQUEST *req, const ocsp_single *s,
    int64_t produced_at, int sig_nid, bool nonce, X509 *signer)
{
	const unsigned char *p = resp_der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = NULL;
	X509_STORE *store = X509_STORE_new();
	const ASN1_OCTET_STRING *keyid = NULL;
	const X509_NAME *name = NULL;
	uint8_t nh[OCSP_HASH_MAX], kh[OCSP_HASH_MAX];
	size_t hl;

	ck_assert_ptr_nonnull(resp);
	ck_assert_ptr_eq(p, resp_der + len);
	ck_assert_int_eq(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	ck_assert_ptr_nonnull(bs = OCSP_response_get1_basic(resp));
	ck_assert_int_eq(X509_STORE_add_cert(store, ca), 1);
	ck_assert_msg(OCSP_basic_verify(bs, NULL, store, 0) == 1, "verify: %s",
	    ERR_error_string(ERR_get_error(), NULL));
	ck_assert_int_eq(sk_X509_num(OCSP_resp_get0_certs(bs)), 1);
	ck_assert_int_eq(X509_cmp(sk_X509_value(OCSP_resp_get0_certs(bs), 0), signer), 0);
	ck_assert_int_eq(OBJ_obj2nid(OCSP_resp_get0_tbs_sigalg(bs)->algorithm), sig_nid);
	ck_assert_int_eq(OCSP_resp_get0_id(bs, &keyid, &name), 1);
	ck_assert_ptr_null(name);
	ck_assert_ptr_nonnull(keyid);
	ck_assert_int_eq(ocsp_issuer_hashes(signer, OCSP_HASH_SHA1, nh, kh, &hl), MP_OK);
	ck_assert_int_eq(ASN1_STRING_length(keyid), 20);
	ck_assert_mem_eq(ASN1_STRING_get0_data(keyid), kh, 20);
	ck_assert_int_eq(ASN1_TIME_cmp_time_t(OCSP_resp_get0_produced_at(bs), (time_t)produced_at),
	    0);
	ck_assert_int_eq(OCSP_resp_count(bs), N_LEAVES);
	ck_assert_int_eq(OCSP_check_nonce(req, bs), nonce ? 1 : 2);
	for (int i = 0; i < N_LEAVES; i++) {
		OCSP_CERTID *id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
		ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
		int status = -5, reason = -5;

		ck_assert_int_eq(OCSP_resp_find(bs, id, -1), i);
		ck_assert_int_eq(OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd,
		    &nextupd), 1);
		ck_assert_int_eq(ASN1_TIME_cmp_time_t(thisupd, (time_t)s[i].this_update), 0);
		if (s[i].next_update == 0) {
			ck_assert_ptr_null(nextupd);
		} else {
			ck_assert_int_eq(ASN1_TIME_cmp_time_t(nextupd, (time_t)s[i].next_update), 0);
			ck_assert_int_eq(OCSP_check_validity(thisupd, nextupd, 300, -1), 1);
		}
		switch (s[i].status) {
		case OCSP_GOOD:
			ck_assert_int_eq(status, V_OCSP_CERTSTATUS_GOOD);
			break;
		case OCSP_UNKNOWN:
			ck_assert_int_eq(status, V_OCSP_CERTSTATUS_UNKNOWN);
			break;
		case OCSP_REVOKED:
			ck_assert_int_eq(status, V_OCSP_CERTSTATUS_REVOKED);
			ck_assert_int_eq(reason, s[i].reason);
			ck_assert_int_eq(ASN1_TIME_cmp_time_t(rev, (time_t)s[i].revoked_at), 0);
			break;
		}
	}
	X509_STORE_free(store);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
}

/* Runs `openssl ocsp -respin` on the response with the CA and the leaves, and checks its statuses. */
static void
check_with_openssl_cli(const uint8_t *resp_der, size_t len)
{
	char path[128], cmd[600];
	size_t n;
	uint8_t *out;
	FILE *f;

	snprintf(path, sizeof(path), "%s/resp.der", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(resp_der, 1, len, f), len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd %s && openssl ocsp -respin resp.der -issuer ca.pem"
	    " -cert c0.pem -cert c1.pem -cert c2.pem -cert c3.pem -CAfile ca.pem -resp_text"
	    " -no_nonce >cli.out 2>&1", dir);
	ck_assert_int_eq(system(cmd), 0);
	out = read_file("cli.out", &n);
	out[n] = '\0';
	ck_assert_ptr_nonnull(strstr((char *)out, "Response verify OK"));
	ck_assert_ptr_nonnull(strstr((char *)out, "c0.pem: good"));
	ck_assert_ptr_nonnull(strstr((char *)out, "c1.pem: revoked"));
	ck_assert_ptr_nonnull(strstr((char *)out, "Reason: keyCompromise"));
	ck_assert_ptr_nonnull(strstr((char *)out, "c2.pem: revoked"));
	ck_assert_ptr_nonnull(strstr((char *)out, "Reason: certificateHold"));
	ck_assert_ptr_nonnull(strstr((char *)out, "c3.pem: unknown"));
	ck_assert_ptr_nonnull(strstr((char *)out, "Responder Id: "));
	free(out);
}

START_TEST(sign_and_verify_responses)
{
	static const struct {
		const char *alg;
		int sig_nid;
	} cases[] = {
		{ "ec-p256", NID_ecdsa_with_SHA256 },
		{ "ec-p384", NID_ecdsa_with_SHA384 },
		{ "rsa-2048", NID_sha256WithRSAEncryption },
		{ "rsa-pss-2048", NID_rsassaPss },
		{ "ed25519", NID_ED25519 },
	};
	static const uint8_t nonce[] = "a nonce of 24 octets....";
	struct store st;
	int64_t now = (int64_t)time(NULL);

	store_open(&st, "ocsp_wire_sign");
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		mp_key *k = new_key(&st, cases[c].alg);
		X509 *signer = signer_cert(k);
		uint8_t nh[OCSP_HASH_MAX], kh[OCSP_HASH_MAX], *sder = NULL, *core = NULL, *out;
		size_t hl, core_len = 0, slen, olen;
		int n;

		ck_assert_int_gt(n = i2d_X509(signer, &sder), 0);
		slen = (size_t)n;
		ck_assert_int_eq(ocsp_issuer_hashes(signer, OCSP_HASH_SHA1, nh, kh, &hl), MP_OK);
		for (int with_nonce = 0; with_nonce < 2; with_nonce++) {
			OCSP_REQUEST *req = make_request(c % 2 ? EVP_sha256() : EVP_sha1(), N_LEAVES,
			    nonce, with_nonce ? (int)sizeof(nonce) - 1 : 0);
			size_t rlen;
			uint8_t *rder = req_der(req, &rlen);
			ocsp_request r;
			ocsp_single s[N_LEAVES];

			ck_assert_int_eq(ocsp_request_parse(rder, rlen, &r), MP_OK);
			make_singles(&r, now, s);
			ck_assert_int_eq(ocsp_core_sign(k, kh, now, s, N_LEAVES,
			    r.has_nonce ? r.nonce : NULL, r.nonce_len, &core, &core_len), MP_OK);
			ck_assert_ptr_nonnull(out = malloc(ocsp_response_size(core_len, slen)));
			olen = ocsp_response_assemble(core, core_len, sder, slen, out,
			    ocsp_response_size(core_len, slen));
			ck_assert_uint_eq(olen, ocsp_response_size(core_len, slen));
			check_response(out, olen, req, s, now, cases[c].sig_nid, with_nonce, signer);
			if (c == 0 && !with_nonce)
				check_with_openssl_cli(out, olen);
			free(out);
			free(core);
			OPENSSL_free(rder);
			OCSP_REQUEST_free(req);
		}
		OPENSSL_free(sder);
		X509_free(signer);
		mp_key_release(k);
	}
	store_close(&st);
}
END_TEST

START_TEST(sign_refusals)
{
	struct store st;
	mp_key *k;
	OCSP_REQUEST *req = make_request(EVP_sha1(), 1, NULL, 0);
	size_t rlen, core_len = 99;
	uint8_t *rder = req_der(req, &rlen), kh[20] = { 0 }, nonce[OCSP_NONCE_MAX + 1] = { 0 };
	uint8_t *core = (uint8_t *)"unchanged";
	ocsp_request r;
	ocsp_single s;
	ocsp_certid empty = { 0 };

	store_open(&st, "ocsp_wire_refusals");
	k = new_key(&st, "ec-p256");
	ck_assert_int_eq(ocsp_request_parse(rder, rlen, &r), MP_OK);
	s = (ocsp_single){ &r.ids[0], OCSP_GOOD, 0, -1, 1700000000, 1700003600 };
	ck_assert_int_eq(ocsp_core_sign(k, kh, 1700000000, &s, 0, NULL, 0, &core, &core_len),
	    MP_ERR_INVALID);
	ck_assert_int_eq(ocsp_core_sign(k, kh, 1700000000, &s, OCSP_MAX_CERTS + 1, NULL, 0, &core,
	    &core_len), MP_ERR_INVALID);
	ck_assert_int_eq(ocsp_core_sign(k, kh, 1700000000, &s, 1, nonce, OCSP_NONCE_MAX + 1, &core,
	    &core_len), MP_ERR_INVALID);
	ck_assert_int_eq(ocsp_core_sign(k, kh, 1700000000, &s, 1, nonce, 0, &core, &core_len),
	    MP_ERR_INVALID);
	ck_assert_int_eq(ocsp_core_sign(k, kh, -1, &s, 1, NULL, 0, &core, &core_len),
	    MP_ERR_INVALID);
	ck_assert_int_eq(ocsp_core_sign(k, kh, 253402300800ll, &s, 1, NULL, 0, &core, &core_len),
	    MP_ERR_INVALID);
	s.next_update = s.this_update - 1;
	ck_assert_int_eq(ocsp_core_sign(k, kh, 1700000000, &s, 1, NULL, 0, &core, &core_len),
	    MP_ERR_INVALID);
	s.next_update = 0;
	s.status = OCSP_REVOKED;
	s.revoked_at = 1600000000;
	s.reason = 7;
	ck_assert_int_eq(ocsp_core_sign(k, kh, 1700000000, &s, 1, NULL, 0, &core, &core_len),
	    MP_ERR_INVALID);
	s.reason = 11;
	ck_assert_int_eq(ocsp_core_sign(k, kh, 1700000000, &s, 1, NULL, 0, &core, &core_len),
	    MP_ERR_INVALID);
	s.reason = -2;
	ck_assert_int_eq(ocsp_core_sign(k, kh, 1700000000, &s, 1, NULL, 0, &core, &core_len),
	    MP_ERR_INVALID);
	s.reason = 0;
	s.status = (ocsp_cert_status)7;
	ck_assert_int_eq(ocsp_core_sign(k, kh, 1700000000, &s, 1, NULL, 0, &core, &core_len),
	    MP_ERR_INVALID);
	s.status = OCSP_GOOD;
	s.id = &empty;
	ck_assert_int_eq(ocsp_core_sign(k, kh, 1700000000, &s, 1, NULL, 0, &core, &core_len),
	    MP_ERR_INVALID);
	ck_assert_str_eq((const char *)core, "unchanged");
	ck_assert_uint_eq(core_len, 99);
	/* the last day GeneralizedTime can say, and the first second */
	s.id = &r.ids[0];
	s.this_update = 0;
	ck_assert_int_eq(ocsp_core_sign(k, kh, 253402300799ll, &s, 1, NULL, 0, &core, &core_len),
	    MP_OK);
	ck_assert_ptr_nonnull(memmem(core, core_len, "99991231235959Z", 15));
	ck_assert_ptr_nonnull(memmem(core, core_len, "19700101000000Z", 15));
	free(core);
	mp_key_release(k);
	store_close(&st);
	OPENSSL_free(rder);
	OCSP_REQUEST_free(req);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("ocsp_wire");
	TCase *tc = tcase_create("requests");
	TCase *tr = tcase_create("responses");

	tcase_add_unchecked_fixture(tc, fixture_up, fixture_down);
	tcase_add_test(tc, parse_api_requests);
	tcase_add_test(tc, parse_cli_requests);
	tcase_add_test(tc, parse_signed_request);
	tcase_add_test(tc, parse_extensions);
	tcase_add_test(tc, parse_api_extensions);
	tcase_add_test(tc, parse_refusals);
	tcase_add_test(tc, parse_certid_fields);
	tcase_add_test(tc, parse_version_and_name);
	tcase_add_test(tc, certid_make_matches_openssl);
	tcase_add_test(tc, get_paths);
	tcase_add_test(tc, error_responses);
	tcase_add_test(tc, assemble_sizes);
	suite_add_tcase(s, tc);
	tcase_add_unchecked_fixture(tr, fixture_up, fixture_down);
	tcase_set_timeout(tr, 120);
	tcase_add_test(tr, sign_and_verify_responses);
	tcase_add_test(tr, sign_refusals);
	suite_add_tcase(s, tr);
	return s;
}
