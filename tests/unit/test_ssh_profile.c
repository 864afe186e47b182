/*
 * ssh-user profiles (ssh-ca/sshprofile.c): the built-in profile and a full one
 * read member by member, every refusal with its field, and the principals a
 * user gets: from its sites and name, filtered by request, never empty.
 */
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "err.h"
#include "sshprofile.h"
#include "users.h"

static sshca_profile *
parse_kind(const char *text, sshca_cert_kind kind)
{
	json_t *body = json_loads(text, 0, NULL);
	sshca_profile *p = NULL;
	mp_detail d = { "", "" };

	ck_assert_ptr_nonnull(body);
	ck_assert_msg(sshca_profile_parse(body, kind, &p, &d) == MP_OK, "%s: %s", d.field,
	    d.message);
	json_decref(body);
	return p;
}

static sshca_profile *
parse_ok(const char *text)
{
	return parse_kind(text, SSHCA_CERT_USER);
}

START_TEST(builtin_technician)
{
	const sshca_builtin_profile *b;
	sshca_profile *p;
	size_t n;

	b = sshca_builtin_profiles(&n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(b[0].name, "ssh-technician");
	ck_assert_str_eq(b[0].kind, "ssh-user");
	p = parse_ok(b[0].body_json);
	ck_assert_str_eq(p->ca, "user");
	ck_assert_uint_eq(p->roles, MP_ROLE_TECHNICIAN);
	ck_assert_uint_eq(p->ttl_default_s, 8 * 3600);
	ck_assert_uint_eq(p->ttl_max_s, 12 * 3600);
	ck_assert_uint_eq(p->backdate_s, 300);
	ck_assert_uint_eq(p->n_templates, 2);
	ck_assert_str_eq(p->templates[0], "tech:{site}");
	ck_assert_str_eq(p->templates[1], "user:{user}");
	ck_assert_uint_eq(p->n_critical, 0);
	ck_assert_uint_eq(p->n_extensions, 1);
	ck_assert_str_eq(p->extensions[0].name, "permit-pty");
	ck_assert_ptr_null(p->extensions[0].value);
	ck_assert_uint_eq(p->key_types, 0x7eu); /* bits 1 to 6: every type */
	ck_assert(!p->require_sk);
	sshca_profile_free(p);
	sshca_profile_free(NULL);
}
END_TEST

START_TEST(full_profile)
{
	sshca_profile *p = parse_ok("{\"description\": \"d\", \"ca\": \"ops-ca\","
	    " \"roles\": [\"technician\", \"operator\"], \"ttl\": {\"max\": \"1h\"},"
	    " \"backdate\": \"0s\", \"principals\": [\"{user}\", \"site-{site}-root\"],"
	    " \"critical_options\": {\"force-command\": \"/usr/bin/diag --all\","
	    " \"source-address\": \"10.0.0.0/8,::1\", \"verify-required\": true},"
	    " \"extensions\": [\"permit-pty\", \"permit-port-forwarding\"],"
	    " \"key_types\": [\"sk-ssh-ed25519@openssh.com\"], \"require_sk\": true}");

	ck_assert_str_eq(p->ca, "ops-ca");
	ck_assert_uint_eq(p->roles, MP_ROLE_TECHNICIAN | MP_ROLE_OPERATOR);
	ck_assert_uint_eq(p->ttl_default_s, 3600);
	ck_assert_uint_eq(p->ttl_max_s, 3600);
	ck_assert_uint_eq(p->backdate_s, 0);
	ck_assert_uint_eq(p->n_critical, 3);
	ck_assert_str_eq(p->critical[0].name, "force-command");
	ck_assert_str_eq(p->critical[0].value, "/usr/bin/diag --all");
	ck_assert_str_eq(p->critical[1].name, "source-address");
	ck_assert_str_eq(p->critical[1].value, "10.0.0.0/8,::1");
	ck_assert_str_eq(p->critical[2].name, "verify-required");
	ck_assert_ptr_null(p->critical[2].value);
	ck_assert_uint_eq(p->n_extensions, 2);
	ck_assert_str_eq(p->extensions[1].name, "permit-port-forwarding");
	ck_assert_uint_eq(p->key_types, 1u << SSHCA_KEY_SK_ED25519);
	ck_assert(p->require_sk);
	sshca_profile_free(p);
}
END_TEST

START_TEST(refusals)
{
	static const struct {
		const char *body;
		const char *field;
		const char *why;
	} cases[] = {
		{ "[]", "body", "must be an object" },
		{ "{\"x\": 1}", "x", "unknown member" },
		{ "{\"principals\": [\"{user}\"]}", "ttl", "must be an object" },
		{ "{\"ttl\": {}, \"principals\": [\"{user}\"]}", "ttl.max", "is required" },
		{ "{\"ttl\": {\"max\": \"1h\", \"min\": \"1s\"}, \"principals\": [\"{user}\"]}", "ttl",
		  "unknown member \"min\"" },
		{ "{\"ttl\": {\"max\": \"367d\"}, \"principals\": [\"{user}\"]}", "ttl.max",
		  "at most 31622400s" },
		{ "{\"ttl\": {\"max\": \"1h\", \"default\": \"2h\"}, \"principals\": [\"{user}\"]}",
		  "ttl.default", "at most 3600s" },
		{ "{\"ttl\": {\"max\": \"0s\"}, \"principals\": [\"{user}\"]}", "ttl.max", "duration" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"backdate\": \"2h\", \"principals\": [\"{user}\"]}",
		  "backdate", "at most 3600s" },
		{ "{\"ttl\": {\"max\": \"1h\"}}", "principals", "is required" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": []}", "principals", "array of 1 to 16" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"ops\"]}", "principals[0]",
		  "exactly one of {site} and {user}" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{user}\", \"{site}-{user}\"]}",
		  "principals[1]", "exactly one" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{sitex}\"]}", "principals[0]",
		  "exactly one" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"a b:{site}\"]}", "principals[0]",
		  "other than blanks and commas" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"a,{site}\"]}", "principals[0]",
		  "other than blanks and commas" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{user}\"], \"roles\": [\"root\"]}",
		  "roles[0]", "role name" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{user}\"], \"roles\": []}", "roles",
		  "array of 1 to 5 role names" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{user}\"],"
		  " \"critical_options\": {\"no-pty\": true}}", "critical_options.no-pty",
		  "unknown critical option" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{user}\"],"
		  " \"critical_options\": {\"verify-required\": false}}",
		  "critical_options.verify-required", "must be true" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{user}\"],"
		  " \"critical_options\": {\"force-command\": \"\"}}", "critical_options.force-command",
		  "non-empty string" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{user}\"],"
		  " \"critical_options\": {\"source-address\": \"any host\"}}",
		  "critical_options.source-address", "CIDR" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{user}\"],"
		  " \"extensions\": [\"permit-pty\", \"permit-pty\"]}", "extensions[1]", "named twice" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{user}\"], \"extensions\": [\"\"]}",
		  "extensions[0]", "extension name" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{user}\"],"
		  " \"key_types\": [\"ssh-dss\"]}", "key_types[0]", "must be one of" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{user}\"], \"key_types\": []}",
		  "key_types", "array of 1 to 6 key types" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{user}\"],"
		  " \"key_types\": [\"ssh-ed25519\"], \"require_sk\": true}", "require_sk",
		  "allows no FIDO key type" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{user}\"], \"require_sk\": 1}",
		  "require_sk", "true or false" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{user}\"], \"ca\": \"\"}", "ca",
		  "1 to 64" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *body = json_loads(cases[i].body, 0, NULL);
		sshca_profile *p = NULL;
		mp_detail d = { "", "" };

		ck_assert_ptr_nonnull(body);
		ck_assert_int_eq(sshca_profile_parse(body, SSHCA_CERT_USER, &p, &d), MP_ERR_INVALID);
		ck_assert_ptr_null(p);
		ck_assert_msg(strcmp(d.field, cases[i].field) == 0, "case %zu: field %s", i, d.field);
		ck_assert_msg(strstr(d.message, cases[i].why) != NULL, "case %zu: %s", i, d.message);
		json_decref(body);
	}
}
END_TEST

/* The principals of user (JSON text) under the built-in profile, or the error. */
static int
principals_of(const char *user_json, const char *requested, char ***out, size_t *n,
    mp_detail *d)
{
	const sshca_builtin_profile *b;
	sshca_profile *p;
	json_t *user = json_loads(user_json, 0, NULL), *req = NULL;
	size_t nb;
	int r;

	b = sshca_builtin_profiles(&nb);
	p = parse_ok(b[0].body_json);
	ck_assert_ptr_nonnull(user);
	if (requested != NULL)
		ck_assert_ptr_nonnull(req = json_loads(requested, JSON_DECODE_ANY, NULL));
	*out = NULL;
	r = sshca_principals(p, user, req, out, n, d);
	json_decref(req);
	json_decref(user);
	sshca_profile_free(p);
	return r;
}

#define ALICE "{\"name\": \"alice\", \"roles\": [\"technician\"], " \
	"\"attributes\": {\"sites\": [\"site-a\", \"site-b\", \"site-a\"]}}"

START_TEST(principals_from_record)
{
	mp_detail d = { "", "" };
	char **list;
	size_t n;

	ck_assert_int_eq(principals_of(ALICE, NULL, &list, &n, &d), MP_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(list[0], "tech:site-a");
	ck_assert_str_eq(list[1], "tech:site-b");
	ck_assert_str_eq(list[2], "user:alice");
	ck_assert_ptr_null(list[3]);
	sshca_principals_free(list);
	/* without sites: the per-user principal only */
	ck_assert_int_eq(principals_of("{\"name\": \"bob\", \"roles\": [\"technician\"],"
	    " \"attributes\": {}}", NULL, &list, &n, &d), MP_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(list[0], "user:bob");
	sshca_principals_free(list);
	/* a subset asked for */
	ck_assert_int_eq(principals_of(ALICE, "[\"tech:site-b\"]", &list, &n, &d), MP_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(list[0], "tech:site-b");
	ck_assert_ptr_null(list[1]);
	sshca_principals_free(list);
	sshca_principals_free(NULL);
}
END_TEST

START_TEST(principals_refused)
{
	mp_detail d = { "", "" };
	char **list = NULL;
	size_t n;

	ck_assert_int_eq(principals_of(ALICE, "[\"tech:site-c\"]", &list, &n, &d), MP_ERR_POLICY);
	ck_assert_str_eq(d.field, "principals");
	ck_assert_str_eq(d.message, "\"tech:site-c\" is not a principal of this user under the "
	    "profile");
	ck_assert_ptr_null(list);
	ck_assert_int_eq(principals_of(ALICE, "[]", &list, &n, &d), MP_ERR_INVALID);
	ck_assert_int_eq(principals_of(ALICE, "\"tech:site-a\"", &list, &n, &d), MP_ERR_INVALID);
	ck_assert_int_eq(principals_of(ALICE, "[1]", &list, &n, &d), MP_ERR_INVALID);
	ck_assert_int_eq(principals_of("{\"name\": \"olga\", \"roles\": [\"operator\"],"
	    " \"attributes\": {\"sites\": [\"site-a\"]}}", NULL, &list, &n, &d), MP_ERR_POLICY);
	ck_assert_str_eq(d.field, "user");
	ck_assert_str_eq(d.message, "the user holds none of the roles the profile requires");
	ck_assert_int_eq(principals_of("{\"name\": \"eve\", \"roles\": [\"technician\"],"
	    " \"attributes\": {\"sites\": [\"site a\"]}}", NULL, &list, &n, &d), MP_ERR_POLICY);
	ck_assert_str_eq(d.message, "attributes.sites[0] of the user cannot be a principal");
	ck_assert_int_eq(principals_of("{\"name\": \"eve\", \"roles\": [\"technician\"],"
	    " \"attributes\": {\"sites\": [\"\"]}}", NULL, &list, &n, &d), MP_ERR_POLICY);
	ck_assert_int_eq(principals_of("{\"name\": \"eve\", \"roles\": [\"technician\"],"
	    " \"attributes\": {\"sites\": [7]}}", NULL, &list, &n, &d), MP_ERR_POLICY);
	ck_assert_int_eq(principals_of("{\"name\": \"eve\", \"roles\": [\"technician\"],"
	    " \"attributes\": {\"sites\": \"site-a\"}}", NULL, &list, &n, &d), MP_ERR_POLICY);
	ck_assert_str_eq(d.message, "the user's attributes.sites is not a list");
	ck_assert_int_eq(principals_of("{\"name\": \"a,b\", \"roles\": [\"technician\"],"
	    " \"attributes\": {}}", NULL, &list, &n, &d), MP_ERR_POLICY);
	ck_assert_str_eq(d.message, "the user's name cannot be a principal");
	ck_assert_ptr_null(list);
}
END_TEST

START_TEST(never_empty)
{
	json_t *user = json_loads("{\"name\": \"bob\", \"roles\": [], \"attributes\": {}}", 0, NULL);
	sshca_profile *p = parse_ok("{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"tech:{site}\"]}");
	mp_detail d = { "", "" };
	char **list = NULL;
	size_t n = 0;

	ck_assert_int_eq(sshca_principals(p, user, NULL, &list, &n, &d), MP_ERR_POLICY);
	ck_assert_ptr_null(list);
	ck_assert_str_eq(d.field, "principals");
	ck_assert_msg(strstr(d.message, "a certificate without principals is never issued") !=
	    NULL, "%s", d.message);
	sshca_profile_free(p);
	json_decref(user);
}
END_TEST

#define DEVICE "{\"id\": \"6f1c2a8e-58b4-4e8e-9d63-0d5b7f2f1a11\", \"serial\": \"CS-0001\", " \
	"\"attributes\": {\"site\": \"site-a\"}}"

/* The principals of a device (JSON text) under a host profile (JSON text), or the error. */
static int
host_principals(const char *profile, const char *device, char ***out, size_t *n, mp_detail *d)
{
	sshca_profile *p = parse_kind(profile, SSHCA_CERT_HOST);
	json_t *dev = json_loads(device, 0, NULL);
	int r;

	ck_assert_ptr_nonnull(dev);
	*out = NULL;
	r = sshca_principals(p, dev, NULL, out, n, d);
	json_decref(dev);
	sshca_profile_free(p);
	return r;
}

START_TEST(host_profiles)
{
	static const struct {
		const char *body;
		const char *field;
		const char *why;
	} bad[] = {
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{serial}\"], \"roles\": "
		  "[\"operator\"]}", "roles", "unknown member of an ssh-host profile" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{serial}\"], "
		  "\"critical_options\": {}}", "critical_options", "unknown member" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{serial}\"], "
		  "\"extensions\": []}", "extensions", "unknown member" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{user}\"]}", "principals[0]",
		  "exactly one of {serial}, {id} and {site}" },
		{ "{\"ttl\": {\"max\": \"1h\"}, \"principals\": [\"{serial}.{site}\"]}",
		  "principals[0]", "exactly one" },
	};
	const sshca_builtin_profile *b;
	sshca_profile *p;
	mp_detail d = { "", "" };
	char **list;
	size_t n;

	b = sshca_builtin_profiles(&n);
	ck_assert_str_eq(b[1].name, "ssh-device-host");
	ck_assert_str_eq(b[1].kind, "ssh-host");
	p = parse_kind(b[1].body_json, SSHCA_CERT_HOST);
	ck_assert_int_eq(p->kind, SSHCA_CERT_HOST);
	ck_assert_str_eq(p->ca, "host");
	ck_assert_uint_eq(p->ttl_default_s, 30 * 86400);
	ck_assert_uint_eq(p->ttl_max_s, 90 * 86400);
	ck_assert_uint_eq(p->roles, 0);
	ck_assert_uint_eq(p->n_critical + p->n_extensions, 0);
	sshca_profile_free(p);
	ck_assert_int_eq(host_principals(b[1].body_json, DEVICE, &list, &n, &d), MP_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[0], "cs-0001"); /* ssh compares host names in lower case */
	ck_assert_str_eq(list[1], "6f1c2a8e-58b4-4e8e-9d63-0d5b7f2f1a11");
	sshca_principals_free(list);
	ck_assert_int_eq(host_principals("{\"ttl\": {\"max\": \"1h\"}, \"principals\": "
	    "[\"{serial}.example\", \"{site}.stations.example\"]}", DEVICE, &list, &n, &d), MP_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[0], "cs-0001.example");
	ck_assert_str_eq(list[1], "site-a.stations.example");
	sshca_principals_free(list);
	/* a device without a site: that template gives nothing */
	ck_assert_int_eq(host_principals("{\"ttl\": {\"max\": \"1h\"}, \"principals\": "
	    "[\"{site}.example\"]}", "{\"id\": \"x\", \"serial\": \"CS-0002\"}", &list, &n, &d),
	    MP_ERR_POLICY);
	ck_assert_str_eq(d.field, "principals");
	ck_assert_msg(strstr(d.message, "the device has no principals") != NULL, "%s", d.message);
	ck_assert_int_eq(host_principals(b[1].body_json, "{\"id\": \"x\", \"serial\": \"CS 3\"}",
	    &list, &n, &d), MP_ERR_POLICY);
	ck_assert_str_eq(d.field, "device");
	ck_assert_str_eq(d.message, "the device's serial cannot be a principal");
	ck_assert_ptr_null(list);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *body = json_loads(bad[i].body, 0, NULL);

		p = NULL;
		ck_assert_int_eq(sshca_profile_parse(body, SSHCA_CERT_HOST, &p, &d), MP_ERR_INVALID);
		ck_assert_ptr_null(p);
		ck_assert_msg(strcmp(d.field, bad[i].field) == 0, "case %zu: field %s", i, d.field);
		ck_assert_msg(strstr(d.message, bad[i].why) != NULL, "case %zu: %s", i, d.message);
		json_decref(body);
	}
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("ssh_profile");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, builtin_technician);
	tcase_add_test(tc, full_profile);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, principals_from_record);
	tcase_add_test(tc, principals_refused);
	tcase_add_test(tc, never_empty);
	tcase_add_test(tc, host_profiles);
	suite_add_tcase(s, tc);
	return s;
}
