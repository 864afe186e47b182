/* ca_cert_build, ca_ca_cert_build, ca_subject_parse, ca_serial_new and ca_cert_describe. */
#include <string.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "ca_harness.h"
#include "certbuild.h"
#include "check_main.h"
#include "csr.h"
#include "describe.h"
#include "err.h"
#include "iec62351.h"
#include "profile.h"

#define IEC_NID (-2)

struct want_ext {
	int nid;    /* IEC_NID for the IEC roles extension */
	int crit;
};

/* Asserts that x carries exactly the extensions of want, in this order. */
static void
assert_exts(X509 *x, const struct want_ext *want, int n)
{
	ck_assert_int_eq(X509_get_ext_count(x), n);
	for (int i = 0; i < n; i++) {
		X509_EXTENSION *e = X509_get_ext(x, i);
		const ASN1_OBJECT *o = X509_EXTENSION_get_object(e);
		char oid[64];

		if (want[i].nid == IEC_NID) {
			OBJ_obj2txt(oid, sizeof(oid), o, 1);
			ck_assert_str_eq(oid, CA_IEC_ROLES_OID);
		} else {
			ck_assert_msg(OBJ_obj2nid(o) == want[i].nid, "extension %d is %s, want %s", i,
			    OBJ_nid2sn(OBJ_obj2nid(o)), OBJ_nid2sn(want[i].nid));
		}
		ck_assert_int_eq(X509_EXTENSION_get_critical(e), want[i].crit);
	}
}

/* Builds under profile name from csr, signs with the issuing CA and verifies. */
static X509 *
issue(th_ca *ca, const char *name, X509_REQ *csr, const json_t *dev, int want_r, const char *field)
{
	ca_profile *p = th_builtin(name);
	ca_cert_input in;
	ca_detail d;
	X509 *x = NULL;
	int r;

	memset(&d, 0, sizeof(d));
	th_input(&in, ca, p, name, csr, dev);
	r = ca_cert_build(&in, &x, &d);
	ck_assert_msg(r == want_r, "%s: got %d (%s: %s), want %d", name, r, d.field, d.message,
	    want_r);
	if (r == MP_OK) {
		ck_assert_int_gt(X509_sign(x, ca->key, EVP_sha256()), 0);
		ck_assert_int_eq(X509_verify(x, ca->key), 1);
	} else {
		ck_assert_ptr_null(x);
		ck_assert_str_eq(d.field, field);
	}
	ca_profile_free(p);
	return x;
}

START_TEST(builtin_iec62351_device)
{
	static const struct want_ext want[] = {
		{ NID_basic_constraints, 1 }, { NID_key_usage, 1 }, { NID_ext_key_usage, 0 },
		{ NID_subject_key_identifier, 0 }, { NID_authority_key_identifier, 0 },
		{ NID_subject_alt_name, 0 }, { NID_crl_distribution_points, 0 },
		{ NID_freshest_crl, 0 }, { NID_info_access, 0 },
	};
	th_ca ca;
	EVP_PKEY *k = th_key("ec-p256");
	X509_REQ *csr = th_csr(k, "CN=CS-000123", NID_undef);
	json_t *dev = th_device(), *desc;
	X509 *x;

	th_ca_make(&ca);
	x = issue(&ca, "iec62351-device", csr, dev, MP_OK, NULL);
	assert_exts(x, want, 9);
	desc = ca_cert_describe(x);
	ck_assert_str_eq(json_string_value(json_object_get(desc, "subject")),
	    "serialNumber=CS-000123,CN=CS-000123");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(desc, "san"), 0)),
	    "uri:urn:uuid:6f1c2a8e-58b4-4e8e-9d63-0d5b7f2f1a11");
	ck_assert_str_eq(json_string_value(json_object_get(desc, "key_algorithm")), "ec-p256");
	ck_assert_int_eq(json_array_size(json_object_get(desc, "key_usage")), 1);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(desc, "key_usage"), 0)),
	    "digitalSignature");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(desc,
	    "extended_key_usage"), 1)), "clientAuth");
	json_decref(desc);
	X509_free(x);
	json_decref(dev);
	X509_REQ_free(csr);
	EVP_PKEY_free(k);
	th_ca_free(&ca);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("ca_certbuild");
	TCase *tc = tcase_create("certbuild");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, builtin_iec62351_device);
	suite_add_tcase(s, tc);
	return s;
}
