/* CRL building: every extension and entry field as OpenSSL reads it back, and 100,000 entries. */
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_main.h"
#include "crl_build.h"
#include "err.h"

#define T0 1767225600 /* 2026-01-01T00:00:00Z */

static EVP_PKEY *ca_key;
static X509 *ca_cert;

/* A self-signed P-256 CA certificate with a subject key identifier. */
static void
setup(void)
{
	X509_NAME *name;
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ck_assert_ptr_nonnull(ca_key);
	ca_cert = X509_new();
	ck_assert_ptr_nonnull(ca_cert);
	ck_assert_int_eq(X509_set_version(ca_cert, X509_VERSION_3), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(ca_cert), 1);
	name = X509_get_subject_name(ca_cert);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"Test CRL CA", -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_issuer_name(ca_cert, name), 1);
	X509_gmtime_adj(X509_getm_notBefore(ca_cert), 0);
	X509_gmtime_adj(X509_getm_notAfter(ca_cert), 86400);
	ck_assert_int_eq(X509_set_pubkey(ca_cert, ca_key), 1);
	X509V3_set_ctx(&ctx, ca_cert, ca_cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash");
	ck_assert_ptr_nonnull(ext);
	ck_assert_int_eq(X509_add_ext(ca_cert, ext, -1), 1);
	X509_EXTENSION_free(ext);
	ck_assert_int_gt(X509_sign(ca_cert, ca_key, EVP_sha256()), 0);
}

static void
teardown(void)
{
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
}

/* Signs crl with the test CA key, encodes it once and parses it back as a relying party would. */
static X509_CRL *
sign_and_reparse(X509_CRL *crl)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	X509_CRL *back;
	int len;

	ck_assert_int_gt(X509_CRL_sign(crl, ca_key, EVP_sha256()), 0);
	len = i2d_X509_CRL(crl, &der);
	ck_assert_int_gt(len, 0);
	p = der;
	back = d2i_X509_CRL(NULL, &p, len);
	ck_assert_ptr_nonnull(back);
	ck_assert_ptr_eq(p, der + len);
	OPENSSL_free(der);
	X509_CRL_free(crl);
	ck_assert_int_eq(X509_CRL_verify(back, ca_key), 1);
	return back;
}

static int64_t
time_of(const ASN1_TIME *t)
{
	struct tm tm;

	ck_assert_int_eq(ASN1_TIME_to_tm(t, &tm), 1);
	return (int64_t)timegm(&tm);
}

static uint64_t
int_ext(const X509_CRL *crl, int nid, int *crit)
{
	ASN1_INTEGER *ai = X509_CRL_get_ext_d2i(crl, nid, crit, NULL);
	uint64_t v = 0;

	ck_assert_ptr_nonnull(ai);
	ck_assert_int_eq(ASN1_INTEGER_get_uint64(&v, ai), 1);
	ASN1_INTEGER_free(ai);
	return v;
}

/* The entry whose serial is the one-octet value v. */
static const X509_REVOKED *
entry_with_serial(const X509_CRL *crl, long v)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED((X509_CRL *)crl);

	for (int i = 0; i < sk_X509_REVOKED_num(revs); i++) {
		const X509_REVOKED *rev = sk_X509_REVOKED_value(revs, i);

		if (ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(rev)) == v)
			return rev;
	}
	ck_abort_msg("no entry with serial %ld", v);
	return NULL;
}

/* The entry's reasonCode, or -1 when it has none. */
static int
reason_of(const X509_REVOKED *rev)
{
	int crit = 0, code;
	ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, &crit, NULL);

	if (e == NULL) {
		ck_assert_int_eq(crit, -1);
		return -1;
	}
	ck_assert_int_eq(crit, 0);
	code = (int)ASN1_ENUMERATED_get(e);
	ASN1_ENUMERATED_free(e);
	return code;
}

/* The entry's invalidityDate as Unix seconds, or 0 when absent. */
static int64_t
invalidity_of(const X509_REVOKED *rev)
{
	ASN1_GENERALIZEDTIME *g = X509_REVOKED_get_ext_d2i(rev, NID_invalidity_date, NULL, NULL);
	int64_t t;

	if (g == NULL)
		return 0;
	ck_assert_int_eq(ASN1_STRING_type(g), V_ASN1_GENERALIZEDTIME);
	t = time_of(g);
	ASN1_GENERALIZEDTIME_free(g);
	return t;
}

static const uint8_t s1[] = { 1 }, s2[] = { 2 }, s3[] = { 3 }, s4[] = { 4 }, s5[] = { 5 };

START_TEST(full_crl_fields)
{
	const ca_crl_entry entries[] = {
		{ s3, 1, T0 - 300, "keyCompromise", T0 - 7200, false },
		{ s1, 1, T0 - 100, "unspecified", 0, false },
		{ s2, 1, T0 - 200, NULL, 0, false },
		{ s4, 1, T0 - 400, "certificateHold", 0, false },
		{ s5, 1, T0 - 500, "aACompromise", 0, false },
	};
	ca_crl_params p = { ca_cert, 7, T0, T0 + 86400, false, 0,
		"http://pki.example:8080/crl/x-delta.crl" };
	X509_CRL *crl = NULL;
	STACK_OF(X509_REVOKED) *revs;
	AUTHORITY_KEYID *akid;
	CRL_DIST_POINTS *dps;
	const GENERAL_NAME *gn;
	const X509_REVOKED *rev;
	int crit = -2;

	ck_assert_int_eq(ca_crl_build(&p, entries, 5, &crl), MP_OK);
	crl = sign_and_reparse(crl);

	ck_assert_int_eq(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	ck_assert_int_eq(X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca_cert)), 0);
	ck_assert_int_eq(time_of(X509_CRL_get0_lastUpdate(crl)), T0);
	ck_assert_int_eq(time_of(X509_CRL_get0_nextUpdate(crl)), T0 + 86400);
	ck_assert_int_eq(ASN1_STRING_type(X509_CRL_get0_lastUpdate(crl)), V_ASN1_UTCTIME);
	ck_assert_int_eq(X509_CRL_get_ext_count(crl), 3);

	ck_assert_uint_eq(int_ext(crl, NID_crl_number, &crit), 7);
	ck_assert_int_eq(crit, 0);
	ck_assert_ptr_null(X509_CRL_get_ext_d2i(crl, NID_delta_crl, &crit, NULL));
	ck_assert_int_eq(crit, -1);

	akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit, NULL);
	ck_assert_ptr_nonnull(akid);
	ck_assert_int_eq(crit, 0);
	ck_assert_ptr_nonnull(akid->keyid);
	ck_assert_int_eq(ASN1_OCTET_STRING_cmp(akid->keyid, X509_get0_subject_key_id(ca_cert)), 0);
	ck_assert_ptr_null(akid->issuer);
	ck_assert_ptr_null(akid->serial);
	AUTHORITY_KEYID_free(akid);

	dps = X509_CRL_get_ext_d2i(crl, NID_freshest_crl, &crit, NULL);
	ck_assert_ptr_nonnull(dps);
	ck_assert_int_eq(crit, 0);
	ck_assert_int_eq(sk_DIST_POINT_num(dps), 1);
	ck_assert_int_eq(sk_DIST_POINT_value(dps, 0)->distpoint->type, 0);
	ck_assert_int_eq(sk_GENERAL_NAME_num(sk_DIST_POINT_value(dps, 0)->distpoint->name.fullname), 1);
	gn = sk_GENERAL_NAME_value(sk_DIST_POINT_value(dps, 0)->distpoint->name.fullname, 0);
	ck_assert_int_eq(gn->type, GEN_URI);
	ck_assert_str_eq((const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
	    "http://pki.example:8080/crl/x-delta.crl");
	CRL_DIST_POINTS_free(dps);

	revs = X509_CRL_get_REVOKED(crl);
	ck_assert_int_eq(sk_X509_REVOKED_num(revs), 5);
	/* sorted by serial */
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(
		    sk_X509_REVOKED_value(revs, i))), i + 1);

	rev = entry_with_serial(crl, 1);
	ck_assert_int_eq(time_of(X509_REVOKED_get0_revocationDate(rev)), T0 - 100);
	ck_assert_int_eq(reason_of(rev), -1);
	ck_assert_int_eq(invalidity_of(rev), 0);
	ck_assert_int_eq(X509_REVOKED_get_ext_count(rev), 0);
	rev = entry_with_serial(crl, 2);
	ck_assert_int_eq(reason_of(rev), -1);
	rev = entry_with_serial(crl, 3);
	ck_assert_int_eq(time_of(X509_REVOKED_get0_revocationDate(rev)), T0 - 300);
	ck_assert_int_eq(reason_of(rev), CRL_REASON_KEY_COMPROMISE);
	ck_assert_int_eq(invalidity_of(rev), T0 - 7200);
	ck_assert_int_eq(X509_REVOKED_get_ext_count(rev), 2);
	rev = entry_with_serial(crl, 4);
	ck_assert_int_eq(reason_of(rev), CRL_REASON_CERTIFICATE_HOLD);
	ck_assert_int_eq(invalidity_of(rev), 0);
	rev = entry_with_serial(crl, 5);
	ck_assert_int_eq(reason_of(rev), CRL_REASON_AA_COMPROMISE);
	X509_CRL_free(crl);
}
END_TEST

START_TEST(delta_crl_fields)
{
	const ca_crl_entry entries[] = {
		{ s1, 1, T0 - 10, "superseded", 0, false },
		{ s2, 1, T0 - 20, "certificateHold", 0, true },
	};
	ca_crl_params p = { ca_cert, 12, T0, T0 + 3600, true, 9, NULL };
	X509_CRL *crl = NULL;
	int crit = -2;

	ck_assert_int_eq(ca_crl_build(&p, entries, 2, &crl), MP_OK);
	crl = sign_and_reparse(crl);
	ck_assert_uint_eq(int_ext(crl, NID_crl_number, &crit), 12);
	ck_assert_int_eq(crit, 0);
	ck_assert_uint_eq(int_ext(crl, NID_delta_crl, &crit), 9);
	ck_assert_int_eq(crit, 1);
	ck_assert_ptr_null(X509_CRL_get_ext_d2i(crl, NID_freshest_crl, &crit, NULL));
	ck_assert_int_eq(X509_CRL_get_ext_count(crl), 3);
	ck_assert_int_eq(reason_of(entry_with_serial(crl, 1)), CRL_REASON_SUPERSEDED);
	ck_assert_int_eq(reason_of(entry_with_serial(crl, 2)), CRL_REASON_REMOVE_FROM_CRL);
	ck_assert_int_eq(time_of(X509_REVOKED_get0_revocationDate(entry_with_serial(crl, 2))),
	    T0 - 20);
	X509_CRL_free(crl);
}
END_TEST

START_TEST(empty_crl)
{
	ca_crl_params p = { ca_cert, 1, T0, T0 + 60, false, 0, NULL };
	X509_CRL *crl = NULL;

	ck_assert_int_eq(ca_crl_build(&p, NULL, 0, &crl), MP_OK);
	crl = sign_and_reparse(crl);
	/* no revokedCertificates field at all (RFC 5280 5.1.2.6) */
	ck_assert_ptr_null(X509_CRL_get_REVOKED(crl));
	ck_assert_int_eq(X509_CRL_get_ext_count(crl), 2);
	X509_CRL_free(crl);
}
END_TEST

/* Serials are magnitudes: leading zero octets go, and a high first bit stays positive. */
START_TEST(serial_encoding)
{
	static const uint8_t big[] = { 0x00, 0x00, 0x80, 0x01 };
	static const uint8_t twenty[20] = { 0xff, [19] = 0x01 };
	const ca_crl_entry entries[] = {
		{ big, sizeof(big), T0, NULL, 0, false },
		{ twenty, sizeof(twenty), T0, NULL, 0, false },
	};
	ca_crl_params p = { ca_cert, 1, T0, T0 + 60, false, 0, NULL };
	X509_CRL *crl = NULL;
	const X509_REVOKED *rev;
	BIGNUM *bn;

	ck_assert_int_eq(ca_crl_build(&p, entries, 2, &crl), MP_OK);
	crl = sign_and_reparse(crl);
	rev = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 0);
	ck_assert_int_eq(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(rev)), 0x8001);
	rev = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 1);
	bn = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(rev), NULL);
	ck_assert_ptr_nonnull(bn);
	ck_assert_int_eq(BN_is_negative(bn), 0);
	ck_assert_int_eq(BN_num_bytes(bn), 20);
	BN_free(bn);
	X509_CRL_free(crl);
}
END_TEST

START_TEST(refusals)
{
	static const uint8_t zero[] = { 0, 0 };
	static const uint8_t longer[21] = { 1 };
	ca_crl_entry e = { s1, 1, T0, NULL, 0, false };
	ca_crl_params p = { ca_cert, 1, T0, T0 + 60, false, 0, NULL };
	X509_CRL *crl = NULL;

	e.remove = true;
	ck_assert_int_eq(ca_crl_build(&p, &e, 1, &crl), MP_ERR_INVALID);
	e.remove = false;
	e.reason = "removeFromCRL";
	ck_assert_int_eq(ca_crl_build(&p, &e, 1, &crl), MP_ERR_INVALID);
	e.reason = "keycompromise";
	ck_assert_int_eq(ca_crl_build(&p, &e, 1, &crl), MP_ERR_INVALID);
	e.reason = NULL;
	e.serial = zero;
	e.serial_len = sizeof(zero);
	ck_assert_int_eq(ca_crl_build(&p, &e, 1, &crl), MP_ERR_INVALID);
	e.serial = longer;
	e.serial_len = sizeof(longer);
	ck_assert_int_eq(ca_crl_build(&p, &e, 1, &crl), MP_ERR_INVALID);
	e.serial_len = 0;
	ck_assert_int_eq(ca_crl_build(&p, &e, 1, &crl), MP_ERR_INVALID);
	p.next_update = T0;
	ck_assert_int_eq(ca_crl_build(&p, NULL, 0, &crl), MP_ERR_INVALID);
	p.next_update = T0 + 60;
	p.delta = true;
	p.freshest_url = "http://x/crl/y-delta.crl";
	ck_assert_int_eq(ca_crl_build(&p, NULL, 0, &crl), MP_ERR_INVALID);
	p.delta = false;
	p.freshest_url = "";
	ck_assert_int_eq(ca_crl_build(&p, NULL, 0, &crl), MP_ERR_INVALID);
	ck_assert_ptr_null(crl);
}
END_TEST

START_TEST(reason_codes)
{
	int code = -1;

	ck_assert_int_eq(ca_crl_reason_code("unspecified", &code), MP_OK);
	ck_assert_int_eq(code, 0);
	ck_assert_int_eq(ca_crl_reason_code("cessationOfOperation", &code), MP_OK);
	ck_assert_int_eq(code, 5);
	ck_assert_int_eq(ca_crl_reason_code("privilegeWithdrawn", &code), MP_OK);
	ck_assert_int_eq(code, 9);
	ck_assert_int_eq(ca_crl_reason_code("aACompromise", &code), MP_OK);
	ck_assert_int_eq(code, 10);
	ck_assert_int_eq(ca_crl_reason_code("", &code), MP_ERR_INVALID);
	ck_assert_int_eq(code, 10);
}
END_TEST

static double
seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

START_TEST(hundred_thousand_entries)
{
	enum { N = 100000 };
	static const char *const names[] = { NULL, "keyCompromise", "superseded", "certificateHold" };
	ca_crl_entry *entries = calloc(N, sizeof(*entries));
	uint8_t *serials = calloc(N, 16);
	ca_crl_params p = { ca_cert, 100, T0, T0 + 86400, false, 0, "http://x/crl/y-delta.crl" };
	X509_CRL *crl = NULL;
	struct timespec t0;
	int len;

	ck_assert_ptr_nonnull(entries);
	ck_assert_ptr_nonnull(serials);
	for (size_t i = 0; i < N; i++) {
		uint8_t *s = serials + 16 * i;

		/* descending order, so that the sort has work to do */
		s[0] = 0x40;
		s[12] = (uint8_t)((N - i) >> 24);
		s[13] = (uint8_t)((N - i) >> 16);
		s[14] = (uint8_t)((N - i) >> 8);
		s[15] = (uint8_t)(N - i);
		entries[i] = (ca_crl_entry){ s, 16, T0 - (int64_t)i, names[i % 4],
			i % 10 == 0 ? T0 - 86400 : 0, false };
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(ca_crl_build(&p, entries, N, &crl), MP_OK);
	ck_assert_int_gt(X509_CRL_sign(crl, ca_key, EVP_sha256()), 0);
	len = i2d_X509_CRL(crl, NULL);
	fprintf(stderr, "100000-entry CRL: %d bytes, built, signed and encoded in %.3f s\n", len,
	    seconds_since(&t0));
	ck_assert_int_gt(len, N * 30);
	ck_assert_int_eq(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)), N);
	ck_assert_int_lt(ASN1_INTEGER_cmp(
	    X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 0)),
	    X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), 1))), 0);
	X509_CRL_free(crl);
	free(serials);
	free(entries);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("ca_crl_build");
	TCase *tc = tcase_create("build");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, full_crl_fields);
	tcase_add_test(tc, delta_crl_fields);
	tcase_add_test(tc, empty_crl);
	tcase_add_test(tc, serial_encoding);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, reason_codes);
	tcase_add_test(tc, hundred_thousand_entries);
	suite_add_tcase(s, tc);
	return s;
}
