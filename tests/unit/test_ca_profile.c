/* ca_profile_parse, the built-in profiles, name patterns and the IEC role encoding. */
#include <string.h>

#include "ca_harness.h"
#include "check_main.h"
#include "err.h"
#include "iec62351.h"
#include "names.h"
#include "profile.h"

START_TEST(builtins_parse)
{
	static const char *const names[] = { "iec62351-device", "tls-server", "tls-client",
		"ocsp-signer", "pre-enrollment", "short-lived-device" };
	size_t n;
	const ca_builtin_profile *b = ca_builtin_profiles(&n);

	ck_assert_uint_eq(n, 6);
	for (size_t i = 0; i < n; i++) {
		json_error_t err;
		json_t *body = json_loads(b[i].body_json, 0, &err);
		ca_profile *p = NULL;
		ca_detail d;

		ck_assert_msg(body != NULL, "%s: %s", b[i].name, err.text);
		ck_assert_str_eq(b[i].name, names[i]);
		ck_assert(!b[i].approval_required);
		ck_assert_msg(ca_profile_parse(body, &p, &d) == MP_OK, "%s: %s: %s", b[i].name,
		    d.field, d.message);
		ck_assert_str_eq(ca_profile_ca(p), "devices");
		ck_assert(ca_profile_pre_enrollment(p) == (strcmp(b[i].name, "pre-enrollment") == 0));
		ca_profile_free(p);
		json_decref(body);
	}
}
END_TEST

START_TEST(validities)
{
	static const struct {
		const char *name;
		int64_t dflt, max;
	} want[] = {
		{ "iec62351-device", 365 * 86400, 825 * 86400 },
		{ "tls-server", 90 * 86400, 397 * 86400 },
		{ "ocsp-signer", 30 * 86400, 90 * 86400 },
		{ "pre-enrollment", 7 * 86400, 7 * 86400 },
		{ "short-lived-device", 8 * 3600, 24 * 3600 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ca_profile *p = th_builtin(want[i].name);

		ck_assert_int_eq(ca_profile_default_validity(p), want[i].dflt);
		ck_assert_int_eq(ca_profile_max_validity(p), want[i].max);
		ca_profile_free(p);
	}
}
END_TEST

static int
parse_text(const char *text, ca_profile **p, ca_detail *d)
{
	json_t *body = json_loads(text, 0, NULL);
	int r;

	ck_assert_msg(body != NULL, "bad test JSON: %s", text);
	memset(d, 0, sizeof(*d));
	*p = NULL;
	r = ca_profile_parse(body, p, d);
	json_decref(body);
	return r;
}

START_TEST(defaults)
{
	ca_profile *p;
	ca_detail d;

	ck_assert_int_eq(parse_text("{}", &p, &d), MP_OK);
	ck_assert_str_eq(ca_profile_ca(p), "devices");
	ck_assert_int_eq(ca_profile_default_validity(p), 365 * 86400);
	ck_assert_int_eq(ca_profile_max_validity(p), 825 * 86400);
	ck_assert(!ca_profile_pre_enrollment(p));
	ck_assert_int_eq(ca_profile_channel_binding(p), CA_CB_NONE);
	ck_assert(!ca_profile_revoke_on_renewal(p));
	ca_profile_free(p);

	ck_assert_int_eq(parse_text("{\"on_renewal\": \"revoke\"}", &p, &d), MP_OK);
	ck_assert(ca_profile_revoke_on_renewal(p));
	ca_profile_free(p);
	ck_assert_int_eq(parse_text("{\"on_renewal\": \"keep\"}", &p, &d), MP_OK);
	ck_assert(!ca_profile_revoke_on_renewal(p));
	ca_profile_free(p);

	ck_assert_int_eq(parse_text("{\"channel_binding\": \"required\"}", &p, &d), MP_OK);
	ck_assert_int_eq(ca_profile_channel_binding(p), CA_CB_REQUIRED);
	ca_profile_free(p);
	ck_assert_int_eq(parse_text("{\"channel_binding\": \"optional\"}", &p, &d), MP_OK);
	ck_assert_int_eq(ca_profile_channel_binding(p), CA_CB_OPTIONAL);
	ca_profile_free(p);
	ck_assert_int_eq(parse_text("{\"channel_binding\": \"none\"}", &p, &d), MP_OK);
	ck_assert_int_eq(ca_profile_channel_binding(p), CA_CB_NONE);
	ca_profile_free(p);

	ck_assert_int_eq(parse_text("{\"validity\": {\"max\": \"8h\"}, \"ca\": \"plant\"}", &p, &d),
	    MP_OK);
	ck_assert_str_eq(ca_profile_ca(p), "plant");
	ck_assert_int_eq(ca_profile_default_validity(p), 8 * 3600);
	ck_assert_int_eq(ca_profile_max_validity(p), 8 * 3600);
	ca_profile_free(p);

	ck_assert_int_eq(parse_text("{\"validity\": {\"default\": \"1000d\"}}", &p, &d), MP_OK);
	ck_assert_int_eq(ca_profile_max_validity(p), 1000 * 86400);
	ca_profile_free(p);

	/* noRevAvail turns the CRL and OCSP defaults off */
	ck_assert_int_eq(parse_text("{\"no_rev_avail\": true}", &p, &d), MP_OK);
	ca_profile_free(p);
}
END_TEST

START_TEST(malformed_profiles)
{
	static const struct {
		const char *body, *field;
	} cases[] = {
		{ "[]", "body" },
		{ "{\"foo\": 1}", "foo" },
		{ "{\"validity\": {\"max\": \"abc\"}}", "validity.max" },
		{ "{\"validity\": {\"min\": \"1d\"}}", "validity.min" },
		{ "{\"validity\": {\"default\": \"900d\", \"max\": \"825d\"}}", "validity.default" },
		{ "{\"validity\": \"365d\"}", "validity" },
		{ "{\"key_algorithms\": [\"ec-p256\", \"ec-p384\", \"dsa\"]}", "key_algorithms[2]" },
		{ "{\"key_algorithms\": [\"rsa\", \"rsa\"]}", "key_algorithms[1]" },
		{ "{\"key_algorithms\": []}", "key_algorithms" },
		{ "{\"rsa_min_bits\": 1024}", "rsa_min_bits" },
		{ "{\"rsa_min_bits\": 3072, \"rsa_max_bits\": 2048}", "rsa_max_bits" },
		{ "{\"ca\": \"\"}", "ca" },
		{ "{\"subject\": {\"allowed\": [\"CN\", \"XX\"]}}", "subject.allowed[1]" },
		{ "{\"subject\": {\"forced\": {\"CN\": \"{device.nope}\"}}}", "subject.forced.CN" },
		{ "{\"subject\": {\"forced\": {\"CN\": \"{device.serial\"}}}", "subject.forced.CN" },
		{ "{\"subject\": {\"forced\": {\"emailAddress\": \"x\"}}}",
		    "subject.forced.emailAddress" },
		{ "{\"subject\": {\"required\": []}}", "subject.required" },
		{ "{\"san\": {\"allowed\": {\"dns\": [\"a.*.example\"]}}}", "san.allowed.dns[0]" },
		{ "{\"san\": {\"allowed\": {\"ip\": [\"10.0.0.1/8\"]}}}", "san.allowed.ip[0]" },
		{ "{\"san\": {\"allowed\": {\"ip\": [\"10.0.0.0/33\"]}}}", "san.allowed.ip[0]" },
		{ "{\"san\": {\"allowed\": {\"uri\": [\"urn:*:x\"]}}}", "san.allowed.uri[0]" },
		{ "{\"san\": {\"allowed\": {\"rid\": [\"1.2.3\"]}}}", "san.allowed.rid" },
		{ "{\"san\": {\"forced\": [\"x:{device.serial}\"]}}", "san.forced[0]" },
		{ "{\"san\": {\"max\": 65}}", "san.max" },
		{ "{\"key_usage\": [\"keyCertSign\"]}", "key_usage[0]" },
		{ "{\"key_usage\": [\"digitalSignature\", \"bogus\"]}", "key_usage[1]" },
		{ "{\"extended_key_usage\": [\"serverAuth\", \"bogus\"]}", "extended_key_usage[1]" },
		{ "{\"extended_key_usage\": [\"serverAuth\", \"1.3.6.1.5.5.7.3.1\"]}",
		    "extended_key_usage[1]" },
		{ "{\"basic_constraints\": {\"ca\": true}}", "basic_constraints.ca" },
		{ "{\"basic_constraints\": {\"path_len\": 1}}", "basic_constraints.path_len" },
		{ "{\"policies\": [\"not-an-oid\"]}", "policies[0]" },
		{ "{\"policies\": [\"1.2.3\", \"1..2\"]}", "policies[1]" },
		{ "{\"no_rev_avail\": true, \"crl\": true}", "no_rev_avail" },
		{ "{\"ocsp_nocheck\": true}", "ocsp_nocheck" },
		{ "{\"crl\": \"yes\"}", "crl" },
		{ "{\"pre_enrollment\": 1}", "pre_enrollment" },
		{ "{\"channel_binding\": true}", "channel_binding" },
		{ "{\"on_renewal\": \"rotate\"}", "on_renewal" },
		{ "{\"channel_binding\": \"tls-unique\"}", "channel_binding" },
		{ "{\"iec62351_roles\": []}", "iec62351_roles" },
		{ "{\"iec62351_roles\": [{\"role_ids\": [1, 70000], \"aor\": \"x\"}]}",
		    "iec62351_roles[0].role_ids[1]" },
		{ "{\"iec62351_roles\": [{\"role_ids\": [1], \"aor\": \"x\", \"extra\": 1}]}",
		    "iec62351_roles[0].extra" },
		{ "{\"iec62351_roles\": [{\"role_ids\": [1]}]}", "iec62351_roles[0].aor" },
		{ "{\"iec62351_roles\": [{\"role_ids\": [1], \"aor\": \"x\", \"revision\": 256}]}",
		    "iec62351_roles[0].revision" },
	};
	ca_profile *p;
	ca_detail d;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = parse_text(cases[i].body, &p, &d);

		ck_assert_msg(r == MP_ERR_INVALID && strcmp(d.field, cases[i].field) == 0,
		    "%s: got %d field \"%s\" (%s), want \"%s\"", cases[i].body, r, d.field,
		    d.message, cases[i].field);
		ck_assert_ptr_null(p);
	}
}
END_TEST

START_TEST(dns_and_cidr)
{
	ca_cidr c;
	const uint8_t in4[] = { 10, 200, 1, 1 }, out4[] = { 11, 0, 0, 1 };
	const uint8_t in6[] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

	ck_assert(ca_san_pattern_match(GEN_DNS, "*.devices.example", "a.devices.example"));
	ck_assert(ca_san_pattern_match(GEN_DNS, "*.devices.example", "a.b.DEVICES.example"));
	ck_assert(!ca_san_pattern_match(GEN_DNS, "*.devices.example", "devices.example"));
	ck_assert(!ca_san_pattern_match(GEN_DNS, "*.devices.example", "xdevices.example"));
	ck_assert(ca_san_pattern_match(GEN_DNS, "gw.example", "GW.example"));
	ck_assert(ca_san_pattern_match(GEN_EMAIL, "*@*.example", "a@ops.example"));
	ck_assert(!ca_san_pattern_match(GEN_EMAIL, "a@ops.example", "b@ops.example"));
	ck_assert(ca_san_pattern_match(GEN_URI, "urn:dev:*", "urn:dev:1"));
	ck_assert(!ca_san_pattern_valid(GEN_DNS, "*.*.example"));
	ck_assert(!ca_san_pattern_valid(GEN_DNS, "-a.example"));
	ck_assert(ca_dns_name_valid("a-b.example"));
	ck_assert(!ca_dns_name_valid("a..example"));
	ck_assert(!ca_dns_name_valid("a.example."));
	ck_assert_int_eq(ca_cidr_parse("10.0.0.0/8", &c), MP_OK);
	ck_assert(ca_cidr_contains(&c, in4, 4));
	ck_assert(!ca_cidr_contains(&c, out4, 4));
	ck_assert(!ca_cidr_contains(&c, in6, 16));
	ck_assert_int_eq(ca_cidr_parse("fd00::/8", &c), MP_OK);
	ck_assert(ca_cidr_contains(&c, in6, 16));
	ck_assert_int_eq(ca_cidr_parse("fd00::1/8", &c), MP_ERR_INVALID);
	ck_assert_int_eq(ca_cidr_parse("10.0.0.0/", &c), MP_ERR_INVALID);
	ck_assert_int_eq(ca_cidr_parse("10.0.0.0/-1", &c), MP_ERR_INVALID);
}
END_TEST

START_TEST(iec_roles_der)
{
	/* RoleInformation { userRole {255}, aor "Outstation", revision 255, roleDefinition "IEC62351-8" } */
	static const uint8_t want[] = { 0x30, 0x24, 0x30, 0x22, 0x30, 0x04, 0x02, 0x02, 0x00, 0xff,
		0x0c, 0x0a, 'O', 'u', 't', 's', 't', 'a', 't', 'i', 'o', 'n', 0x02, 0x02, 0x00, 0xff,
		0x0c, 0x0a, 'I', 'E', 'C', '6', '2', '3', '5', '1', '-', '8' };
	json_t *roles = json_loads("[{\"role_ids\": [255], \"aor\": \"Outstation\", "
	    "\"revision\": 255, \"role_definition\": \"IEC62351-8\"}]", 0, NULL), *back = NULL;
	uint8_t *der = NULL;
	size_t len = 0;

	ck_assert_int_eq(ca_iec_roles_encode(roles, &der, &len), MP_OK);
	ck_assert_uint_eq(len, sizeof(want));
	ck_assert(memcmp(der, want, len) == 0);
	ck_assert_int_eq(ca_iec_roles_decode(der, len, &back), MP_OK);
	ck_assert(json_equal(roles, back));
	ck_assert_int_eq(ca_iec_roles_decode(der, len - 1, &back), MP_ERR_INVALID);
	json_decref(back);
	json_decref(roles);
	OPENSSL_free(der);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("ca_profile");
	TCase *tc = tcase_create("profile");

	tcase_add_test(tc, builtins_parse);
	tcase_add_test(tc, validities);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, malformed_profiles);
	tcase_add_test(tc, dns_and_cidr);
	tcase_add_test(tc, iec_roles_der);
	suite_add_tcase(s, tc);
	return s;
}
