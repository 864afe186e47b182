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
	ca_csr *decoded = th_csr_decode(csr);
	ca_cert_input in;
	ca_detail d;
	X509 *x = NULL;
	int r;

	memset(&d, 0, sizeof(d));
	th_input(&in, ca, p, name, decoded, dev);
	r = ca_cert_build(&in, &x, &d);
	ck_assert_msg(r == want_r, "%s: got %d (%s: %s), want %d", name, r, d.field, d.message,
	    want_r);
	if (r == MP_OK) {
		unsigned char *a = NULL, *b = NULL;
		int alen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &a);
		int blen = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(csr), &b);

		/* the certified key is the request's, byte for byte */
		ck_assert_int_gt(alen, 0);
		ck_assert_int_eq(alen, blen);
		ck_assert(memcmp(a, b, (size_t)alen) == 0);
		OPENSSL_free(a);
		OPENSSL_free(b);
		ck_assert_int_gt(X509_sign(x, ca->key, EVP_sha256()), 0);
		ck_assert_int_eq(X509_verify(x, ca->key), 1);
	} else {
		ck_assert_ptr_null(x);
		ck_assert_str_eq(d.field, field);
	}
	ca_csr_free(decoded);
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


/* A profile parsed from JSON text; aborts the test when it does not parse. */
static ca_profile *
profile_of(const char *text)
{
	json_t *body = json_loads(text, 0, NULL);
	ca_profile *p = NULL;
	ca_detail d;

	ck_assert_ptr_nonnull(body);
	ck_assert_int_eq(ca_profile_parse(body, &p, &d), MP_OK);
	json_decref(body);
	return p;
}

/* ca_cert_build of csr under p (named "custom"); returns r and fills d. */
static int
build_with(th_ca *ca, const ca_profile *p, X509_REQ *csr, const json_t *dev, int64_t validity,
    X509 **x, ca_detail *d)
{
	ca_csr *decoded = th_csr_decode(csr);
	ca_cert_input in;
	int r;

	memset(d, 0, sizeof(*d));
	th_input(&in, ca, p, "custom", decoded, dev);
	in.validity_s = validity;
	*x = NULL;
	r = ca_cert_build(&in, x, d);
	ca_csr_free(decoded);
	return r;
}

struct refusal {
	const char *profile;
	const char *key;
	const char *subject;
	int ext_nid;
	const char *ext_value;
	int64_t validity;
	int want;
	const char *field;
};

START_TEST(refusals)
{
	static const struct refusal cases[] = {
		{ "iec62351-device", "ed25519", "CN=CS-000123", 0, NULL, 0, MP_ERR_POLICY,
		    "csr.key" },
		{ "iec62351-device", "ec-p256", "CN=CS-000123", NID_basic_constraints,
		    "critical,CA:TRUE", 0, MP_ERR_POLICY, "csr.extensions.basicConstraints" },
		{ "iec62351-device", "ec-p256", "CN=CS-000123", NID_subject_alt_name,
		    "DNS:evil.example", 0, MP_ERR_POLICY, "csr.san[0]" },
		{ "iec62351-device", "ec-p256", "CN=CS-000123", 0, NULL, 826ll * 86400,
		    MP_ERR_POLICY, "validity" },
		{ "iec62351-device", "ec-p256", "CN=CS-000123,OU=Ops", 0, NULL, 0, MP_ERR_POLICY,
		    "csr.subject.OU" },
		{ "iec62351-device", "ec-p256", "CN=someone-else", 0, NULL, 0, MP_ERR_POLICY,
		    "csr.subject.CN" },
		{ "iec62351-device", "ec-p256", "CN=CS-000123", NID_key_usage,
		    "critical,digitalSignature,keyCertSign", 0, MP_ERR_POLICY,
		    "csr.extensions.keyUsage" },
		{ "iec62351-device", "ec-p256", "CN=CS-000123", NID_key_usage,
		    "keyEncipherment", 0, MP_ERR_POLICY, "csr.extensions.keyUsage" },
		{ "iec62351-device", "ec-p256", "CN=CS-000123", NID_ext_key_usage,
		    "serverAuth,codeSigning", 0, MP_ERR_POLICY,
		    "csr.extensions.extendedKeyUsage" },
		{ "iec62351-device", "ec-p256", "CN=CS-000123", NID_netscape_comment, "hello", 0,
		    MP_ERR_POLICY, "csr.extensions.nsComment" },
		{ "tls-client", "ec-p256", "CN=c,L=Berlin", 0, NULL, 0, MP_ERR_POLICY,
		    "csr.subject.L" },
		{ "tls-server", "ec-p256", "CN=s", NID_subject_alt_name,
		    "DNS:ok.example,email:a@b.example", 0, MP_ERR_POLICY, "csr.san[1]" },
		{ "tls-server", "ec-p256", "CN=s", NID_subject_alt_name, "DNS:bad_name.example", 0,
		    MP_ERR_INVALID, "csr.san[0]" },
		{ "short-lived-device", "ec-p256", "CN=CS-000123", 0, NULL, 25 * 3600,
		    MP_ERR_POLICY, "validity" },
		{ "ocsp-signer", "ec-p256", "CN=ocsp", NID_subject_alt_name, "DNS:ocsp.example", 0,
		    MP_ERR_POLICY, "csr.san" },
	};
	th_ca ca;
	json_t *dev = th_device();

	th_ca_make(&ca);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct refusal *c = &cases[i];
		EVP_PKEY *k = th_key(c->key);
		X509_REQ *csr = c->ext_nid != 0 ? th_csr(k, c->subject, c->ext_nid, c->ext_value,
		    NID_undef) : th_csr(k, c->subject, NID_undef);
		ca_csr *decoded = th_csr_decode(csr);
		ca_profile *p = th_builtin(c->profile);
		ca_cert_input in;
		ca_detail d;
		X509 *x = NULL;
		int r;

		memset(&d, 0, sizeof(d));
		th_input(&in, &ca, p, c->profile, decoded, dev);
		in.validity_s = c->validity;
		r = ca_cert_build(&in, &x, &d);
		ck_assert_msg(r == c->want && strcmp(d.field, c->field) == 0,
		    "case %zu: got %d field \"%s\" (%s), want %d \"%s\"", i, r, d.field, d.message,
		    c->want, c->field);
		ck_assert_ptr_null(x);
		ck_assert_int_gt((int)strlen(d.message), 0);
		ca_profile_free(p);
		ca_csr_free(decoded);
		X509_REQ_free(csr);
		EVP_PKEY_free(k);
	}
	json_decref(dev);
	th_ca_free(&ca);
}
END_TEST

START_TEST(messages_name_the_profile)
{
	th_ca ca;
	EVP_PKEY *k = th_key("ec-p256");
	X509_REQ *csr = th_csr(k, "CN=CS-000123,OU=Ops", NID_undef);
	ca_csr *decoded = th_csr_decode(csr);
	json_t *dev = th_device();
	ca_profile *p = th_builtin("iec62351-device");
	ca_cert_input in;
	ca_detail d;
	X509 *x = NULL;

	th_ca_make(&ca);
	th_input(&in, &ca, p, "iec62351-device", decoded, dev);
	ck_assert_int_eq(ca_cert_build(&in, &x, &d), MP_ERR_POLICY);
	ck_assert_str_eq(d.field, "csr.subject.OU");
	ck_assert_str_eq(d.message, "not allowed by profile iec62351-device");
	ca_csr_free(decoded);
	ca_profile_free(p);
	json_decref(dev);
	X509_REQ_free(csr);
	EVP_PKEY_free(k);
	th_ca_free(&ca);
}
END_TEST

START_TEST(key_types)
{
	static const char *const ok[] = { "ec-p256", "ec-p384", "rsa-2048" };
	th_ca ca;
	json_t *dev = th_device(), *desc;
	X509 *x;
	char want[16];

	th_ca_make(&ca);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		EVP_PKEY *k = th_key(ok[i]);
		X509_REQ *csr = th_csr(k, NULL, NID_undef);

		x = issue(&ca, "iec62351-device", csr, dev, MP_OK, NULL);
		desc = ca_cert_describe(x);
		snprintf(want, sizeof(want), "%s", ok[i]);
		ck_assert_str_eq(json_string_value(json_object_get(desc, "key_algorithm")), want);
		/* keyEncipherment only for RSA keys */
		ck_assert_int_eq((int)json_array_size(json_object_get(desc, "key_usage")),
		    strcmp(ok[i], "rsa-2048") == 0 ? 2 : 1);
		json_decref(desc);
		X509_free(x);
		X509_REQ_free(csr);
		EVP_PKEY_free(k);
	}
	json_decref(dev);
	th_ca_free(&ca);
}
END_TEST

START_TEST(ed25519_when_the_profile_allows)
{
	ca_profile *p = profile_of("{\"key_algorithms\": [\"ed25519\"], "
	    "\"key_usage\": [\"digitalSignature\", \"keyAgreement\"], \"crl\": false, "
	    "\"ocsp\": false, \"ca_issuers\": false}");
	th_ca ca;
	EVP_PKEY *k = th_key("ed25519"), *k2 = th_key("ec-p256");
	X509_REQ *csr = th_csr(k, "CN=ed", NID_undef), *csr2 = th_csr(k2, "CN=ec", NID_undef);
	ca_detail d;
	X509 *x;
	json_t *desc;

	th_ca_make(&ca);
	ck_assert_int_eq(build_with(&ca, p, csr, NULL, 0, &x, &d), MP_OK);
	ck_assert_int_gt(X509_sign(x, ca.key, EVP_sha256()), 0);
	ck_assert_int_eq(X509_verify(x, ca.key), 1);
	desc = ca_cert_describe(x);
	ck_assert_str_eq(json_string_value(json_object_get(desc, "key_algorithm")), "ed25519");
	/* keyAgreement is not for Ed25519 keys */
	ck_assert_int_eq(json_array_size(json_object_get(desc, "key_usage")), 1);
	json_decref(desc);
	X509_free(x);
	ck_assert_int_eq(build_with(&ca, p, csr2, NULL, 0, &x, &d), MP_ERR_POLICY);
	ck_assert_str_eq(d.field, "csr.key");
	ck_assert_str_eq(d.message, "ec-p256 keys are not allowed by profile custom");
	X509_REQ_free(csr);
	X509_REQ_free(csr2);
	EVP_PKEY_free(k);
	EVP_PKEY_free(k2);
	ca_profile_free(p);
	th_ca_free(&ca);
}
END_TEST

START_TEST(builtin_others)
{
	static const struct want_ext server[] = {
		{ NID_basic_constraints, 1 }, { NID_key_usage, 1 }, { NID_ext_key_usage, 0 },
		{ NID_subject_key_identifier, 0 }, { NID_authority_key_identifier, 0 },
		{ NID_subject_alt_name, 0 }, { NID_crl_distribution_points, 0 },
		{ NID_freshest_crl, 0 }, { NID_info_access, 0 },
	};
	static const struct want_ext ocsp[] = {
		{ NID_basic_constraints, 1 }, { NID_key_usage, 1 }, { NID_ext_key_usage, 0 },
		{ NID_subject_key_identifier, 0 }, { NID_authority_key_identifier, 0 },
		{ NID_info_access, 0 }, { NID_id_pkix_OCSP_noCheck, 0 },
	};
	static const struct want_ext short_lived[] = {
		{ NID_basic_constraints, 1 }, { NID_key_usage, 1 }, { NID_ext_key_usage, 0 },
		{ NID_subject_key_identifier, 0 }, { NID_authority_key_identifier, 0 },
		{ NID_subject_alt_name, 0 }, { NID_info_access, 0 }, { NID_no_rev_avail, 0 },
	};
	th_ca ca;
	EVP_PKEY *k = th_key("ec-p256");
	X509_REQ *srv = th_csr(k, "CN=host.example,O=ACME", NID_subject_alt_name,
	    "DNS:host.example,IP:10.1.2.3,IP:fd00::1", NID_ext_key_usage, "serverAuth", NID_undef);
	X509_REQ *cli = th_csr(k, "CN=client", NID_subject_alt_name, "email:ops@acme.example",
	    NID_undef);
	X509_REQ *osp = th_csr(k, "CN=OCSP Responder,O=ACME", NID_undef);
	X509_REQ *dev_csr = th_csr(k, NULL, NID_undef);
	json_t *dev = th_device(), *desc, *exts;
	X509 *x;
	const ASN1_TIME *nb, *na;
	int days = 0, secs = 0;

	th_ca_make(&ca);
	x = issue(&ca, "tls-server", srv, NULL, MP_OK, NULL);
	assert_exts(x, server, 9);
	desc = ca_cert_describe(x);
	ck_assert_str_eq(json_string_value(json_object_get(desc, "subject")),
	    "CN=host.example,O=ACME");
	ck_assert_int_eq(json_array_size(json_object_get(desc, "san")), 3);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(desc, "san"), 2)),
	    "ip:fd00::1");
	nb = X509_get0_notBefore(x);
	na = X509_get0_notAfter(x);
	ck_assert_int_eq(ASN1_TIME_diff(&days, &secs, nb, na), 1);
	ck_assert_int_eq(days, 90);
	ck_assert_int_eq(secs, 0);
	json_decref(desc);
	X509_free(x);

	x = issue(&ca, "tls-client", cli, NULL, MP_OK, NULL);
	assert_exts(x, server, 9);
	X509_free(x);

	x = issue(&ca, "ocsp-signer", osp, NULL, MP_OK, NULL);
	assert_exts(x, ocsp, 7);
	desc = ca_cert_describe(x);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(desc,
	    "extended_key_usage"), 0)), "OCSPSigning");
	exts = json_object_get(desc, "extensions");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(exts, 6), "oid")),
	    "1.3.6.1.5.5.7.48.1.5");
	ck_assert(json_is_true(json_object_get(json_array_get(exts, 0), "critical")));
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(exts, 0), "name")),
	    "basicConstraints");
	json_decref(desc);
	X509_free(x);

	x = issue(&ca, "pre-enrollment", dev_csr, dev, MP_OK, NULL);
	assert_exts(x, server, 9);
	ck_assert_int_eq(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
	    X509_get0_notAfter(x)), 1);
	ck_assert_int_eq(days, 7);
	X509_free(x);

	x = issue(&ca, "short-lived-device", dev_csr, dev, MP_OK, NULL);
	assert_exts(x, short_lived, 8);
	ck_assert_int_eq(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
	    X509_get0_notAfter(x)), 1);
	ck_assert_int_eq(days, 0);
	ck_assert_int_eq(secs, 8 * 3600);
	X509_free(x);

	json_decref(dev);
	X509_REQ_free(srv);
	X509_REQ_free(cli);
	X509_REQ_free(osp);
	X509_REQ_free(dev_csr);
	EVP_PKEY_free(k);
	th_ca_free(&ca);
}
END_TEST

START_TEST(iec_roles_round_trip)
{
	ca_profile *p = profile_of("{\"subject\": {\"forced\": {\"CN\": \"{device.serial}\"}}, "
	    "\"iec62351_roles\": [{\"role_ids\": [1, -102], \"aor\": \"{device.attributes.site}\", "
	    "\"revision\": 3}, {\"role_ids\": [0], \"aor\": \"all\", \"revision\": 255, "
	    "\"role_definition\": \"custom-roles\"}]}");
	static const struct want_ext want[] = {
		{ NID_basic_constraints, 1 }, { NID_key_usage, 1 },
		{ NID_subject_key_identifier, 0 }, { NID_authority_key_identifier, 0 },
		{ NID_crl_distribution_points, 0 }, { NID_freshest_crl, 0 }, { NID_info_access, 0 },
		{ IEC_NID, 0 },
	};
	th_ca ca;
	EVP_PKEY *k = th_key("ec-p384");
	X509_REQ *csr = th_csr(k, NULL, NID_undef);
	json_t *dev = th_device(), *desc, *roles, *want_roles;
	ca_detail d;
	X509 *x;

	th_ca_make(&ca);
	ck_assert_int_eq(build_with(&ca, p, csr, dev, 0, &x, &d), MP_OK);
	ck_assert_int_gt(X509_sign(x, ca.key, EVP_sha256()), 0);
	ck_assert_int_eq(X509_verify(x, ca.key), 1);
	assert_exts(x, want, 8);
	desc = ca_cert_describe(x);
	roles = json_object_get(desc, "iec62351_roles");
	want_roles = json_loads("[{\"role_ids\": [1, -102], \"aor\": \"plant-7\", \"revision\": 3, "
	    "\"role_definition\": \"IEC62351-8\"}, {\"role_ids\": [0], \"aor\": \"all\", "
	    "\"revision\": 255, \"role_definition\": \"custom-roles\"}]", 0, NULL);
	ck_assert(json_equal(roles, want_roles));
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(desc,
	    "extensions"), 7), "name")), "iecUserRoles");
	json_decref(want_roles);
	json_decref(desc);
	X509_free(x);
	json_decref(dev);
	X509_REQ_free(csr);
	EVP_PKEY_free(k);
	ca_profile_free(p);
	th_ca_free(&ca);
}
END_TEST

START_TEST(san_patterns)
{
	ca_profile *p = profile_of("{\"subject\": {\"allowed\": [\"CN\"]}, \"san\": {\"allowed\": "
	    "{\"dns\": [\"*.devices.example\", \"gw.example\"], \"ip\": [\"10.0.0.0/8\"], "
	    "\"uri\": [\"urn:dev:*\"], \"email\": [\"*@ops.example\"]}, "
	    "\"forced\": [\"dns:{device.serial}.devices.example\"], \"max\": 5}, "
	    "\"crl\": false, \"ocsp\": false, \"ca_issuers\": false}");
	th_ca ca;
	EVP_PKEY *k = th_key("ec-p256");
	json_t *dev = th_device(), *desc, *want;
	ca_detail d;
	X509 *x;
	struct {
		const char *sans;
		int r;
		const char *field;
	} cases[] = {
		{ "DNS:a.devices.example,DNS:GW.example,IP:10.9.8.7,URI:urn:dev:x,"
		  "email:me@ops.example", MP_OK, NULL },
		{ "DNS:a.b.devices.example,DNS:devices.example", MP_ERR_POLICY, "csr.san[1]" },
		{ "DNS:xdevices.example", MP_ERR_POLICY, "csr.san[0]" },
		{ "IP:11.0.0.1", MP_ERR_POLICY, "csr.san[0]" },
		{ "URI:urn:other:x", MP_ERR_POLICY, "csr.san[0]" },
		{ "email:me@other.example", MP_ERR_POLICY, "csr.san[0]" },
		{ "dirName:dir_sect", MP_ERR_POLICY, "csr.san[0]" },
		{ "DNS:a.devices.example,DNS:b.devices.example,DNS:c.devices.example,"
		  "DNS:d.devices.example,DNS:e.devices.example,DNS:f.devices.example",
		  MP_ERR_POLICY, "csr.san" },
	};

	th_ca_make(&ca);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		X509_REQ *csr;

		if (strncmp(cases[i].sans, "dirName", 7) == 0) {
			GENERAL_NAMES *gens = GENERAL_NAMES_new();
			GENERAL_NAME *gn = GENERAL_NAME_new();
			X509_NAME *n = NULL;
			X509_EXTENSION *e;
			STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();

			ck_assert_int_eq(ca_subject_parse("CN=dir", &n, &d), MP_OK);
			GENERAL_NAME_set0_value(gn, GEN_DIRNAME, n);
			sk_GENERAL_NAME_push(gens, gn);
			e = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);
			sk_X509_EXTENSION_push(exts, e);
			csr = th_csr(k, "CN=x", NID_undef);
			ck_assert(X509_REQ_add_extensions(csr, exts));
			ck_assert_int_gt(X509_REQ_sign(csr, k, EVP_sha256()), 0);
			sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
			GENERAL_NAMES_free(gens);
		} else {
			csr = th_csr(k, "CN=x", NID_subject_alt_name, cases[i].sans, NID_undef);
		}
		ck_assert_int_eq(build_with(&ca, p, csr, dev, 0, &x, &d), cases[i].r);
		if (cases[i].r != MP_OK) {
			ck_assert_msg(strcmp(d.field, cases[i].field) == 0, "case %zu: field %s (%s)", i,
			    d.field, d.message);
		} else {
			desc = ca_cert_describe(x);
			want = json_pack("[s, s, s, s, s, s]", "dns:CS-000123.devices.example",
			    "dns:a.devices.example", "dns:GW.example", "ip:10.9.8.7", "uri:urn:dev:x",
			    "email:me@ops.example");
			ck_assert(json_equal(json_object_get(desc, "san"), want));
			json_decref(want);
			json_decref(desc);
			X509_free(x);
		}
		X509_REQ_free(csr);
	}
	json_decref(dev);
	EVP_PKEY_free(k);
	ca_profile_free(p);
	th_ca_free(&ca);
}
END_TEST

START_TEST(device_record_needed)
{
	ca_profile *p = profile_of("{\"subject\": {\"forced\": {\"CN\": \"{device.model}\", "
	    "\"O\": \"{tenant.name}\"}}}");
	th_ca ca;
	EVP_PKEY *k = th_key("ec-p256");
	X509_REQ *csr = th_csr(k, NULL, NID_undef);
	json_t *dev = th_device(), *desc;
	ca_detail d;
	X509 *x;

	th_ca_make(&ca);
	ck_assert_int_eq(build_with(&ca, p, csr, dev, 0, &x, &d), MP_OK);
	desc = ca_cert_describe(x);
	ck_assert_str_eq(json_string_value(json_object_get(desc, "subject")),
	    "CN=Wallbox-22,O=acme");
	json_decref(desc);
	X509_free(x);
	json_object_del(dev, "model");
	ck_assert_int_eq(build_with(&ca, p, csr, dev, 0, &x, &d), MP_ERR_POLICY);
	ck_assert_str_eq(d.field, "device.model");
	ck_assert_int_eq(build_with(&ca, p, csr, NULL, 0, &x, &d), MP_ERR_POLICY);
	ck_assert_str_eq(d.field, "device.model");
	json_decref(dev);
	X509_REQ_free(csr);
	EVP_PKEY_free(k);
	ca_profile_free(p);
	th_ca_free(&ca);
}
END_TEST

START_TEST(internal_issuance)
{
	ca_profile *p = th_builtin("tls-server");
	th_ca ca;
	EVP_PKEY *k = th_key("ec-p256");
	json_t *sans = json_pack("[s, s]", "dns:localhost", "ip:127.0.0.1"), *desc;
	json_t *bad = json_pack("[s, s]", "dns:localhost", "host:x");
	ca_cert_input in;
	ca_detail d;
	X509 *x = NULL;

	th_ca_make(&ca);
	th_input(&in, &ca, p, "tls-server", NULL, NULL);
	in.pub = k;
	in.subject = "CN=midpki listener,O=MIDPKI";
	in.sans = sans;
	ck_assert_int_eq(ca_cert_build(&in, &x, &d), MP_OK);
	ck_assert_int_gt(X509_sign(x, ca.key, EVP_sha256()), 0);
	ck_assert_int_eq(X509_verify(x, ca.key), 1);
	desc = ca_cert_describe(x);
	ck_assert_str_eq(json_string_value(json_object_get(desc, "subject")),
	    "CN=midpki listener,O=MIDPKI");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(desc, "san"), 1)),
	    "ip:127.0.0.1");
	json_decref(desc);
	X509_free(x);
	x = NULL;

	in.sans = bad;
	ck_assert_int_eq(ca_cert_build(&in, &x, &d), MP_ERR_INVALID);
	ck_assert_str_eq(d.field, "sans[1]");
	in.sans = sans;
	in.subject = "CN=x,street=Main 1";
	ck_assert_int_eq(ca_cert_build(&in, &x, &d), MP_ERR_POLICY);
	ck_assert_str_eq(d.field, "subject.street");
	in.subject = "CN=x";
	in.crl_url = NULL;
	ck_assert_int_eq(ca_cert_build(&in, &x, &d), MP_ERR_INVALID);
	ck_assert_str_eq(d.field, "crl_url");
	in.crl_url = "not a url";
	ck_assert_int_eq(ca_cert_build(&in, &x, &d), MP_ERR_INVALID);
	ck_assert_str_eq(d.field, "crl_url");
	in.crl_url = "http://pki.test/crl/devices.crl";
	in.serial_len = 21;
	ck_assert_int_eq(ca_cert_build(&in, &x, &d), MP_ERR_INVALID);
	ck_assert_str_eq(d.field, "serial");
	ck_assert_ptr_null(x);
	json_decref(sans);
	json_decref(bad);
	EVP_PKEY_free(k);
	ca_profile_free(p);
	th_ca_free(&ca);
}
END_TEST

START_TEST(not_after_capped_by_issuer)
{
	th_ca ca;
	EVP_PKEY *k = th_key("ec-p256"), *ik = th_key("ec-p256");
	X509_REQ *req = th_csr(k, NULL, NID_undef);
	ca_csr *csr = th_csr_decode(req);
	json_t *dev = th_device();
	ca_profile *p = th_builtin("iec62351-device");
	uint8_t serial[CA_SERIAL_LEN];
	ca_ca_input ci;
	ca_cert_input in;
	ca_detail d;
	X509 *issuer = NULL, *x = NULL;
	int64_t now = (int64_t)time(NULL);

	th_ca_make(&ca);
	ck_assert_int_eq(ca_serial_new(serial), MP_OK);
	memset(&ci, 0, sizeof(ci));
	ci.subject = "CN=Short CA";
	ci.pub = ik;
	ci.issuer = ca.root;
	ci.serial = serial;
	ci.serial_len = sizeof(serial);
	ci.not_before = now - 60;
	ci.not_after = now + 10 * 86400;
	ci.path_len = -1;
	ck_assert_int_eq(ca_ca_cert_build(&ci, &issuer, &d), MP_OK);
	th_input(&in, &ca, p, "iec62351-device", csr, dev);
	in.issuer = issuer;
	ck_assert_int_eq(ca_cert_build(&in, &x, &d), MP_OK);
	ck_assert_int_eq(ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(issuer)), 0);
	X509_free(x);
	x = NULL;
	in.not_before = now + 11 * 86400;
	ck_assert_int_eq(ca_cert_build(&in, &x, &d), MP_ERR_POLICY);
	ck_assert_str_eq(d.field, "validity");
	X509_free(issuer);
	json_decref(dev);
	ca_csr_free(csr);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	EVP_PKEY_free(ik);
	ca_profile_free(p);
	th_ca_free(&ca);
}
END_TEST

/* Verifies the signed leaf, read back from its DER as a relying party would. */
static int
verify_chain(X509 *root, X509 *inter, X509 *signed_leaf)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *chain = sk_X509_new_null();
	unsigned char *der = NULL;
	const unsigned char *p;
	int n = i2d_X509(signed_leaf, &der), err;
	X509 *leaf;

	ck_assert_int_gt(n, 0);
	p = der;
	leaf = d2i_X509(NULL, &p, n);
	ck_assert_ptr_nonnull(leaf);
	ck_assert(X509_STORE_add_cert(st, root));
	sk_X509_push(chain, inter);
	ck_assert(X509_STORE_CTX_init(ctx, st, leaf, chain));
	err = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	X509_free(leaf);
	OPENSSL_free(der);
	X509_STORE_CTX_free(ctx);
	sk_X509_free(chain);
	X509_STORE_free(st);
	return err;
}

START_TEST(ca_certificates_and_chain)
{
	static const struct want_ext root_exts[] = {
		{ NID_basic_constraints, 1 }, { NID_key_usage, 1 }, { NID_subject_key_identifier, 0 },
	};
	static const struct want_ext inter_exts[] = {
		{ NID_basic_constraints, 1 }, { NID_key_usage, 1 }, { NID_subject_key_identifier, 0 },
		{ NID_authority_key_identifier, 0 }, { NID_name_constraints, 1 },
		{ NID_crl_distribution_points, 0 }, { NID_info_access, 0 },
	};
	th_ca ca;
	EVP_PKEY *ik = th_key("ec-p256"), *k = th_key("ec-p256");
	json_t *permitted = json_pack("[s, s]", "dns:.plant.example", "ip:10.0.0.0/8");
	json_t *excluded = json_pack("[s]", "dns:bad.plant.example");
	json_t *desc;
	ca_profile *p = th_builtin("tls-server");
	uint8_t serial[CA_SERIAL_LEN];
	ca_ca_input ci;
	ca_detail d;
	X509 *inter = NULL, *leaf = NULL;
	X509_REQ *ok_csr = th_csr(k, "CN=a", NID_subject_alt_name, "DNS:a.plant.example",
	    NID_undef);
	X509_REQ *out_csr = th_csr(k, "CN=a", NID_subject_alt_name, "DNS:a.other.example",
	    NID_undef);
	ca_csr *ok = th_csr_decode(ok_csr), *out = th_csr_decode(out_csr);
	ca_cert_input in;

	th_ca_make(&ca);
	assert_exts(ca.root, root_exts, 3);
	ck_assert_int_eq(X509_check_issued(ca.root, ca.root), X509_V_OK);
	desc = ca_cert_describe(ca.root);
	ck_assert(json_is_true(json_object_get(json_object_get(desc, "basic_constraints"), "ca")));
	ck_assert_int_eq(json_array_size(json_object_get(desc, "key_usage")), 3);
	json_decref(desc);

	ck_assert_int_eq(ca_serial_new(serial), MP_OK);
	memset(&ci, 0, sizeof(ci));
	ci.subject = "CN=Plant CA,O=MIDPKI Test";
	ci.pub = ik;
	ci.issuer = ca.root;
	ci.serial = serial;
	ci.serial_len = sizeof(serial);
	ci.not_before = (int64_t)time(NULL) - 60;
	ci.not_after = (int64_t)time(NULL) + 86400 * 365;
	ci.path_len = 0;
	ci.permitted = permitted;
	ci.excluded = excluded;
	ci.crl_url = "http://pki.test/crl/root.crl";
	ci.ca_issuers_url = "http://pki.test/ca/root.crt";
	ck_assert_int_eq(ca_ca_cert_build(&ci, &inter, &d), MP_OK);
	ck_assert_int_gt(X509_sign(inter, ca.root_key, EVP_sha384()), 0);
	assert_exts(inter, inter_exts, 7);
	desc = ca_cert_describe(inter);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(desc,
	    "basic_constraints"), "path_len")), 0);
	json_decref(desc);

	th_input(&in, &ca, p, "tls-server", ok, NULL);
	in.issuer = inter;
	ck_assert_int_eq(ca_cert_build(&in, &leaf, &d), MP_OK);
	ck_assert_int_gt(X509_sign(leaf, ik, EVP_sha256()), 0);
	ck_assert_int_eq(verify_chain(ca.root, inter, leaf), X509_V_OK);
	X509_free(leaf);
	in.csr = out;
	ck_assert_int_eq(ca_cert_build(&in, &leaf, &d), MP_OK);
	ck_assert_int_gt(X509_sign(leaf, ik, EVP_sha256()), 0);
	ck_assert_int_eq(verify_chain(ca.root, inter, leaf), X509_V_ERR_PERMITTED_VIOLATION);
	X509_free(leaf);
	leaf = NULL;

	/* the plant CA has path length 0: no CA below it */
	ci.issuer = inter;
	ci.path_len = -1;
	ci.permitted = ci.excluded = NULL;
	ck_assert_int_eq(ca_ca_cert_build(&ci, &leaf, &d), MP_ERR_INVALID);
	ck_assert_str_eq(d.field, "path_len");
	ci.issuer = ca.root;
	ci.not_after = (int64_t)time(NULL) + 86400 * 365 * 30;
	ck_assert_int_eq(ca_ca_cert_build(&ci, &leaf, &d), MP_ERR_INVALID);
	ck_assert_str_eq(d.field, "not_after");
	ci.not_after = (int64_t)time(NULL) + 86400;
	ci.permitted = json_pack("[s]", "ip:10.0.0.1/8");
	ck_assert_int_eq(ca_ca_cert_build(&ci, &leaf, &d), MP_ERR_INVALID);
	ck_assert_str_eq(d.field, "permitted[0]");
	json_decref((json_t *)ci.permitted);
	ck_assert_ptr_null(leaf);

	X509_free(inter);
	ca_csr_free(ok);
	ca_csr_free(out);
	X509_REQ_free(ok_csr);
	X509_REQ_free(out_csr);
	json_decref(permitted);
	json_decref(excluded);
	ca_profile_free(p);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(k);
	th_ca_free(&ca);
}
END_TEST

START_TEST(subject_parse)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "CN=x,O=y,C=DE", "CN=x,O=y,C=DE" },
		{ "CN=a\\,b, O=x\\+y", "CN=a\\,b,O=x\\+y" },
		{ "CN=x+serialNumber=42,O=y", "serialNumber=42+CN=x,O=y" },
		{ "cn=J\\C3\\BCrgen", "CN=J\xc3\xbcrgen" },
		{ "DC=example,DC=com", "DC=example,DC=com" },
	};
	static const char *const bad[] = { "", "XX=1", "CN=", "CN", "CN=a\\", "CN=a\"b",
		"C=DEU", "CN=#0101", "CN=a\\zz" };
	X509_NAME *n = NULL;
	ca_detail d;
	char buf[256];
	BIO *b;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_int_eq(ca_subject_parse(ok[i].in, &n, &d), MP_OK);
		b = BIO_new(BIO_s_mem());
		X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
		memset(buf, 0, sizeof(buf));
		BIO_read(b, buf, sizeof(buf) - 1);
		ck_assert_str_eq(buf, ok[i].out);
		BIO_free(b);
		X509_NAME_free(n);
		n = NULL;
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ca_subject_parse(bad[i], &n, &d) == MP_ERR_INVALID, "%s", bad[i]);
		ck_assert_str_eq(d.field, "subject");
		ck_assert_ptr_null(n);
	}
}
END_TEST

START_TEST(serials)
{
	uint8_t a[CA_SERIAL_LEN], b[CA_SERIAL_LEN];

	for (int i = 0; i < 200; i++) {
		ck_assert_int_eq(ca_serial_new(a), MP_OK);
		ck_assert_uint_ge(a[0], 0x40);
		ck_assert_uint_le(a[0], 0x7f);
	}
	ck_assert_int_eq(ca_serial_new(b), MP_OK);
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
}
END_TEST

START_TEST(describe_fields)
{
	th_ca ca;
	EVP_PKEY *k = th_key("ec-p256");
	X509_REQ *csr = th_csr(k, NULL, NID_undef);
	json_t *dev = th_device(), *desc;
	X509 *x;
	char want_nb[32];
	struct tm tm;
	time_t nb = time(NULL) - 60;

	th_ca_make(&ca);
	x = issue(&ca, "iec62351-device", csr, dev, MP_OK, NULL);
	desc = ca_cert_describe(x);
	ck_assert_str_eq(json_string_value(json_object_get(desc, "serial")),
	    "5a0102030405060708090a0b0c0d0e0f10");
	ck_assert_str_eq(json_string_value(json_object_get(desc, "issuer")),
	    "CN=Test Devices,O=MIDPKI Test");
	gmtime_r(&nb, &tm);
	strftime(want_nb, sizeof(want_nb), "%Y-%m-%dT%H:%M", &tm);
	ck_assert(strncmp(json_string_value(json_object_get(desc, "not_before")), want_nb,
	    strlen(want_nb)) == 0);
	ck_assert_int_eq((int)strlen(json_string_value(json_object_get(desc, "not_after"))), 20);
	ck_assert(json_is_false(json_object_get(json_object_get(desc, "basic_constraints"),
	    "ca")));
	ck_assert_ptr_null(json_object_get(json_object_get(desc, "basic_constraints"),
	    "path_len"));
	ck_assert_int_eq(json_array_size(json_object_get(desc, "extensions")), 9);
	ck_assert_ptr_null(json_object_get(desc, "iec62351_roles"));
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
	tcase_add_test(tc, builtin_others);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, messages_name_the_profile);
	tcase_add_test(tc, key_types);
	tcase_add_test(tc, ed25519_when_the_profile_allows);
	tcase_add_test(tc, iec_roles_round_trip);
	tcase_add_test(tc, san_patterns);
	tcase_add_test(tc, device_record_needed);
	tcase_add_test(tc, internal_issuance);
	tcase_add_test(tc, not_after_capped_by_issuer);
	tcase_add_test(tc, ca_certificates_and_chain);
	tcase_add_test(tc, subject_parse);
	tcase_add_test(tc, serials);
	tcase_add_test(tc, describe_fields);
	suite_add_tcase(s, tc);
	return s;
}
