#include "profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detail.h"
#include "err.h"
#include "iec62351.h"
#include "keyinfo.h"
#include "num.h"
#include "profile_def.h"
#include "template.h"

#define PATH_MAX_LEN 64
#define LIST_MAX 64
#define NAME_LEN_MAX 128
#define DESCRIPTION_MAX 256
#define RSA_FLOOR 2048
#define RSA_CEILING 8192
/* The longest validity a profile may name: 100 years. */
#define VALIDITY_CEILING_MS (100ull * 365 * 86400 * 1000)
#define DEFAULT_VALIDITY_S (365ll * 86400)
#define DEFAULT_MAX_VALIDITY_S (825ll * 86400)
#define DEFAULT_SAN_MAX 16
#define SAN_MAX_CEILING 64

static const char *const ku_names[CA_KU_BITS] = { "digitalSignature", "nonRepudiation",
	"keyEncipherment", "dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign",
	"encipherOnly", "decipherOnly" };

static const struct {
	const char *name;
	int nid;
} eku_names[] = {
	{ "serverAuth", NID_server_auth },
	{ "clientAuth", NID_client_auth },
	{ "codeSigning", NID_code_sign },
	{ "emailProtection", NID_email_protect },
	{ "timeStamping", NID_time_stamp },
	{ "OCSPSigning", NID_OCSP_sign },
};

const char *
ca_ku_name(unsigned n)
{
	return n < CA_KU_BITS ? ku_names[n] : "unknown";
}

/* "prefix.key" (or "key" at the top) into out. */
static const char *
join(char out[PATH_MAX_LEN], const char *prefix, const char *key)
{
	if (snprintf(out, PATH_MAX_LEN, "%s%s%s", prefix, *prefix != '\0' ? "." : "", key) >=
	    PATH_MAX_LEN)
		memcpy(out + PATH_MAX_LEN - 4, "...", 4);
	return out;
}

/* "prefix[i]" into out. */
static const char *
index_path(char out[PATH_MAX_LEN], const char *prefix, size_t i)
{
	if (snprintf(out, PATH_MAX_LEN, "%s[%zu]", prefix, i) >= PATH_MAX_LEN)
		memcpy(out + PATH_MAX_LEN - 4, "...", 4);
	return out;
}

/* Refuses any member of o not in known (NULL-terminated). */
static int
only_known(const json_t *o, const char *const *known, const char *prefix, ca_detail *d)
{
	char path[PATH_MAX_LEN];
	const char *key;
	const json_t *v;
	bool found;

	json_object_foreach((json_t *)o, key, v) {
		found = false;
		for (size_t i = 0; known[i] != NULL && !found; i++)
			found = strcmp(key, known[i]) == 0;
		if (!found) {
			ca_detail_set(d, join(path, prefix, key), "unknown field");
			return MP_ERR_INVALID;
		}
	}
	return MP_OK;
}

/* A boolean member, dflt when absent. */
static int
get_bool(const json_t *o, const char *key, bool dflt, bool *out, const char *prefix,
    ca_detail *d)
{
	char path[PATH_MAX_LEN];
	const json_t *v = json_object_get(o, key);

	if (v == NULL) {
		*out = dflt;
		return MP_OK;
	}
	if (!json_is_boolean(v)) {
		ca_detail_set(d, join(path, prefix, key), "must be true or false");
		return MP_ERR_INVALID;
	}
	*out = json_is_true(v);
	return MP_OK;
}

/* An array member of at most max entries (NULL when absent), each a non-empty string. */
static int
get_strings(const json_t *o, const char *key, size_t max, const json_t **out, const char *prefix,
    ca_detail *d)
{
	char path[PATH_MAX_LEN], ipath[PATH_MAX_LEN];
	const json_t *v = json_object_get(o, key), *e;
	size_t i;

	*out = NULL;
	if (v == NULL)
		return MP_OK;
	join(path, prefix, key);
	if (!json_is_array(v) || json_array_size(v) > max) {
		ca_detail_set(d, path, "must be an array of at most %zu strings", max);
		return MP_ERR_INVALID;
	}
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    json_string_length(e) > CA_TEMPLATE_MAX ||
		    strlen(json_string_value(e)) != json_string_length(e)) {
			ca_detail_set(d, index_path(ipath, path, i),
			    "must be a non-empty string without NUL");
			return MP_ERR_INVALID;
		}
	}
	*out = v;
	return MP_OK;
}

/* A duration ("365d", "8h" or seconds as an integer) in seconds; 0 when absent. */
static int
get_duration(const json_t *o, const char *key, int64_t *out, const char *prefix, ca_detail *d)
{
	char path[PATH_MAX_LEN];
	const json_t *v = json_object_get(o, key);
	uint64_t ms = 0;

	*out = 0;
	if (v == NULL)
		return MP_OK;
	join(path, prefix, key);
	if (json_is_integer(v) && json_integer_value(v) > 0 &&
	    (uint64_t)json_integer_value(v) <= VALIDITY_CEILING_MS / 1000)
		ms = (uint64_t)json_integer_value(v) * 1000;
	else if (!json_is_string(v) ||
	    mp_parse_duration_ms(json_string_value(v), VALIDITY_CEILING_MS, &ms) != MP_OK)
		ms = 0;
	if (ms < 1000) {
		ca_detail_set(d, path,
		    "must be a duration such as \"365d\" or \"8h\", at least 1s and at most 36500d");
		return MP_ERR_INVALID;
	}
	*out = (int64_t)(ms / 1000);
	return MP_OK;
}

static int
parse_keys(ca_profile *p, ca_detail *d)
{
	const json_t *algs, *e, *v;
	char path[PATH_MAX_LEN];
	size_t i;
	int r;

	if ((r = get_strings(p->body, "key_algorithms", 4, &algs, "", d)) != MP_OK)
		return r;
	if (algs == NULL) {
		p->key_kinds = CA_KEY_EC_P256 | CA_KEY_EC_P384 | CA_KEY_RSA;
	} else {
		json_array_foreach(algs, i, e) {
			ca_key_kind k = ca_key_kind_parse(json_string_value(e));

			if (k == CA_KEY_UNKNOWN || (p->key_kinds & (unsigned)k) != 0) {
				ca_detail_set(d, index_path(path, "key_algorithms", i),
				    "must be one of ec-p256, ec-p384, rsa, ed25519, each once");
				return MP_ERR_INVALID;
			}
			p->key_kinds |= (unsigned)k;
		}
		if (p->key_kinds == 0) {
			ca_detail_set(d, "key_algorithms", "must name at least one algorithm");
			return MP_ERR_INVALID;
		}
	}
	p->rsa_min_bits = RSA_FLOOR;
	p->rsa_max_bits = RSA_CEILING;
	if ((v = json_object_get(p->body, "rsa_min_bits")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < RSA_FLOOR ||
		    json_integer_value(v) > RSA_CEILING) {
			ca_detail_set(d, "rsa_min_bits", "must be an integer from %d to %d",
			    RSA_FLOOR, RSA_CEILING);
			return MP_ERR_INVALID;
		}
		p->rsa_min_bits = (unsigned)json_integer_value(v);
	}
	if ((v = json_object_get(p->body, "rsa_max_bits")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < p->rsa_min_bits ||
		    json_integer_value(v) > RSA_CEILING) {
			ca_detail_set(d, "rsa_max_bits", "must be an integer from rsa_min_bits to %d",
			    RSA_CEILING);
			return MP_ERR_INVALID;
		}
		p->rsa_max_bits = (unsigned)json_integer_value(v);
	}
	return MP_OK;
}

static int
parse_validity(ca_profile *p, ca_detail *d)
{
	static const char *const known[] = { "default", "max", NULL };
	const json_t *v = json_object_get(p->body, "validity");
	int r;

	p->validity_default = DEFAULT_VALIDITY_S;
	p->validity_max = DEFAULT_MAX_VALIDITY_S;
	if (v == NULL)
		return MP_OK;
	if (!json_is_object(v)) {
		ca_detail_set(d, "validity", "must be an object with default and max");
		return MP_ERR_INVALID;
	}
	if ((r = only_known(v, known, "validity", d)) != MP_OK ||
	    (r = get_duration(v, "default", &p->validity_default, "validity", d)) != MP_OK ||
	    (r = get_duration(v, "max", &p->validity_max, "validity", d)) != MP_OK)
		return r;
	if (p->validity_default == 0)
		p->validity_default = p->validity_max != 0 && p->validity_max < DEFAULT_VALIDITY_S ?
		    p->validity_max : DEFAULT_VALIDITY_S;
	if (p->validity_max == 0)
		p->validity_max = p->validity_default > DEFAULT_MAX_VALIDITY_S ?
		    p->validity_default : DEFAULT_MAX_VALIDITY_S;
	if (p->validity_default > p->validity_max) {
		ca_detail_set(d, "validity.default", "is longer than validity.max");
		return MP_ERR_INVALID;
	}
	return MP_OK;
}

static int
parse_subject(ca_profile *p, ca_detail *d)
{
	static const char *const known[] = { "allowed", "forced", NULL };
	const json_t *s = json_object_get(p->body, "subject"), *allowed, *forced, *e;
	char path[PATH_MAX_LEN];
	const char *key, *why;
	size_t i;
	int a, r;

	p->subject_allowed = 1u << ca_attr_by_name("CN");
	if (s == NULL)
		return MP_OK;
	if (!json_is_object(s)) {
		ca_detail_set(d, "subject", "must be an object with allowed and forced");
		return MP_ERR_INVALID;
	}
	if ((r = only_known(s, known, "subject", d)) != MP_OK ||
	    (r = get_strings(s, "allowed", CA_ATTR_COUNT, &allowed, "subject", d)) != MP_OK)
		return r;
	if (allowed != NULL) {
		p->subject_allowed = 0;
		json_array_foreach(allowed, i, e) {
			if ((a = ca_attr_by_name(json_string_value(e))) < 0) {
				ca_detail_set(d, index_path(path, "subject.allowed", i),
				    "unknown attribute (DC, C, ST, L, street, O, OU, title, CN, "
				    "serialNumber, UID)");
				return MP_ERR_INVALID;
			}
			p->subject_allowed |= 1u << a;
		}
	}
	forced = json_object_get(s, "forced");
	if (forced == NULL)
		return MP_OK;
	if (!json_is_object(forced)) {
		ca_detail_set(d, "subject.forced", "must be an object of attribute: template");
		return MP_ERR_INVALID;
	}
	json_object_foreach((json_t *)forced, key, e) {
		join(path, "subject.forced", key);
		if ((a = ca_attr_by_name(key)) < 0) {
			ca_detail_set(d, path, "unknown attribute");
			return MP_ERR_INVALID;
		}
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    json_string_length(e) > CA_TEMPLATE_MAX ||
		    strlen(json_string_value(e)) != json_string_length(e)) {
			ca_detail_set(d, path, "must be a non-empty template string");
			return MP_ERR_INVALID;
		}
		if (ca_template_check(json_string_value(e), &why) != MP_OK) {
			ca_detail_set(d, path, "%s", why);
			return MP_ERR_INVALID;
		}
		p->subject_forced[a] = json_string_value(e);
	}
	return MP_OK;
}

static int
parse_san_allowed(ca_profile *p, const json_t *allowed, ca_detail *d)
{
	static const char *const known[] = { "dns", "ip", "uri", "email", NULL };
	static const struct {
		const char *key;
		int type;
	} kinds[] = { { "dns", GEN_DNS }, { "uri", GEN_URI }, { "email", GEN_EMAIL } };
	const json_t *list, *e, *ips;
	char path[PATH_MAX_LEN], ipath[PATH_MAX_LEN];
	const json_t **slot[] = { &p->san_dns, &p->san_uri, &p->san_email };
	size_t i;
	int r;

	if (!json_is_object(allowed)) {
		ca_detail_set(d, "san.allowed", "must be an object of type: [patterns]");
		return MP_ERR_INVALID;
	}
	if ((r = only_known(allowed, known, "san.allowed", d)) != MP_OK)
		return r;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		if ((r = get_strings(allowed, kinds[k].key, LIST_MAX, &list, "san.allowed", d)) !=
		    MP_OK)
			return r;
		join(path, "san.allowed", kinds[k].key);
		json_array_foreach(list, i, e) {
			if (!ca_san_pattern_valid(kinds[k].type, json_string_value(e))) {
				ca_detail_set(d, index_path(ipath, path, i), "not a valid %s pattern",
				    kinds[k].key);
				return MP_ERR_INVALID;
			}
		}
		*slot[k] = list;
	}
	if ((r = get_strings(allowed, "ip", LIST_MAX, &ips, "san.allowed", d)) != MP_OK)
		return r;
	if (ips == NULL || json_array_size(ips) == 0)
		return MP_OK;
	if ((p->san_ip = calloc(json_array_size(ips), sizeof(*p->san_ip))) == NULL)
		return MP_ERR_NOMEM;
	json_array_foreach(ips, i, e) {
		if (ca_cidr_parse(json_string_value(e), &p->san_ip[i]) != MP_OK) {
			ca_detail_set(d, index_path(ipath, "san.allowed.ip", i),
			    "must be an address range such as 10.0.0.0/8 (host bits zero)");
			return MP_ERR_INVALID;
		}
		p->n_san_ip++;
	}
	return MP_OK;
}

static int
parse_san(ca_profile *p, ca_detail *d)
{
	static const char *const known[] = { "allowed", "forced", "max", NULL };
	static const char *const prefixes[] = { "dns:", "ip:", "uri:", "email:" };
	const json_t *s = json_object_get(p->body, "san"), *v, *e;
	char path[PATH_MAX_LEN];
	const char *why, *t;
	size_t i;
	bool typed;
	int r;

	p->san_max = DEFAULT_SAN_MAX;
	if (s == NULL)
		return MP_OK;
	if (!json_is_object(s)) {
		ca_detail_set(d, "san", "must be an object with allowed, forced and max");
		return MP_ERR_INVALID;
	}
	if ((r = only_known(s, known, "san", d)) != MP_OK)
		return r;
	if ((v = json_object_get(s, "allowed")) != NULL && (r = parse_san_allowed(p, v, d)) != MP_OK)
		return r;
	if ((r = get_strings(s, "forced", 16, &p->san_forced, "san", d)) != MP_OK)
		return r;
	json_array_foreach(p->san_forced, i, e) {
		t = json_string_value(e);
		typed = false;
		for (size_t k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]); k++)
			typed = typed || strncmp(t, prefixes[k], strlen(prefixes[k])) == 0;
		index_path(path, "san.forced", i);
		if (!typed) {
			ca_detail_set(d, path, "must start with dns:, ip:, uri: or email:");
			return MP_ERR_INVALID;
		}
		if (ca_template_check(t, &why) != MP_OK) {
			ca_detail_set(d, path, "%s", why);
			return MP_ERR_INVALID;
		}
	}
	if ((v = json_object_get(s, "max")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > SAN_MAX_CEILING) {
			ca_detail_set(d, "san.max", "must be an integer from 0 to %d", SAN_MAX_CEILING);
			return MP_ERR_INVALID;
		}
		p->san_max = (size_t)json_integer_value(v);
	}
	return MP_OK;
}

static int
parse_key_usage(ca_profile *p, ca_detail *d)
{
	const json_t *list, *e;
	char path[PATH_MAX_LEN];
	const char *s;
	size_t i;
	unsigned bit;
	int r;

	if ((r = get_strings(p->body, "key_usage", CA_KU_BITS, &list, "", d)) != MP_OK)
		return r;
	if (list == NULL) {
		p->key_usage = CA_KU_BIT(CA_KU_DIGITAL_SIGNATURE);
		return MP_OK;
	}
	json_array_foreach(list, i, e) {
		s = json_string_value(e);
		index_path(path, "key_usage", i);
		if (strcmp(s, "contentCommitment") == 0)
			s = "nonRepudiation";
		for (bit = 0; bit < CA_KU_BITS && strcmp(ku_names[bit], s) != 0; bit++)
			;
		if (bit == CA_KU_KEY_CERT_SIGN || bit == CA_KU_CRL_SIGN) {
			ca_detail_set(d, path, "CA certificates are not issued through profiles");
			return MP_ERR_INVALID;
		}
		if (bit > CA_KU_KEY_AGREEMENT) {
			ca_detail_set(d, path, "must be one of digitalSignature, nonRepudiation, "
			    "keyEncipherment, dataEncipherment, keyAgreement");
			return MP_ERR_INVALID;
		}
		p->key_usage |= CA_KU_BIT(bit);
	}
	return MP_OK;
}

/* A dotted OID (digits and dots only) or NULL. */
static ASN1_OBJECT *
dotted_oid(const char *s)
{
	if (s[0] < '0' || s[0] > '2' || strspn(s, "0123456789.") != strlen(s) ||
	    strstr(s, "..") != NULL || s[strlen(s) - 1] == '.' || strchr(s, '.') == NULL)
		return NULL;
	return OBJ_txt2obj(s, 1);
}

/* An array of OIDs (names from names[] or dotted) into a new stack; NULL when absent. */
static int
parse_oids(const json_t *body, const char *key, bool named, STACK_OF(ASN1_OBJECT) **out,
    ca_detail *d)
{
	const json_t *list, *e;
	char path[PATH_MAX_LEN];
	ASN1_OBJECT *obj = NULL;
	size_t i;
	int r;

	if ((r = get_strings(body, key, 16, &list, "", d)) != MP_OK || list == NULL)
		return r;
	if ((*out = sk_ASN1_OBJECT_new_null()) == NULL)
		return MP_ERR_NOMEM;
	json_array_foreach(list, i, e) {
		const char *s = json_string_value(e);

		obj = NULL;
		for (size_t k = 0; named && k < sizeof(eku_names) / sizeof(eku_names[0]); k++)
			if (strcmp(eku_names[k].name, s) == 0)
				obj = OBJ_nid2obj(eku_names[k].nid);
		if (obj == NULL)
			obj = dotted_oid(s);
		if (obj == NULL) {
			ca_detail_set(d, index_path(path, key, i), named ?
			    "must be serverAuth, clientAuth, codeSigning, emailProtection, "
			    "timeStamping, OCSPSigning or a dotted OID" : "must be a dotted OID");
			return MP_ERR_INVALID;
		}
		for (int k = 0; k < sk_ASN1_OBJECT_num(*out); k++) {
			if (OBJ_cmp(sk_ASN1_OBJECT_value(*out, k), obj) == 0) {
				ASN1_OBJECT_free(obj);
				ca_detail_set(d, index_path(path, key, i), "listed twice");
				return MP_ERR_INVALID;
			}
		}
		if (!sk_ASN1_OBJECT_push(*out, obj)) {
			ASN1_OBJECT_free(obj);
			return MP_ERR_NOMEM;
		}
	}
	return MP_OK;
}

static int
parse_basic_constraints(ca_profile *p, ca_detail *d)
{
	static const char *const known[] = { "ca", "critical", NULL };
	const json_t *v = json_object_get(p->body, "basic_constraints");
	bool ca = false;
	int r;

	p->basic_constraints = true;
	p->basic_constraints_critical = true;
	if (v == NULL || json_is_true(v))
		return MP_OK;
	if (json_is_false(v)) {
		p->basic_constraints = false;
		return MP_OK;
	}
	if (!json_is_object(v)) {
		ca_detail_set(d, "basic_constraints", "must be an object, true or false");
		return MP_ERR_INVALID;
	}
	if ((r = only_known(v, known, "basic_constraints", d)) != MP_OK ||
	    (r = get_bool(v, "ca", false, &ca, "basic_constraints", d)) != MP_OK ||
	    (r = get_bool(v, "critical", true, &p->basic_constraints_critical, "basic_constraints",
		d)) != MP_OK)
		return r;
	if (ca) {
		ca_detail_set(d, "basic_constraints.ca",
		    "CA certificates are not issued through profiles");
		return MP_ERR_INVALID;
	}
	return MP_OK;
}

static int
parse_roles(ca_profile *p, ca_detail *d)
{
	static const char *const known[] = { "role_ids", "aor", "revision", "role_definition",
		NULL };
	const json_t *roles = json_object_get(p->body, "iec62351_roles"), *o, *ids, *e, *v;
	char path[PATH_MAX_LEN], fpath[PATH_MAX_LEN];
	const char *why;
	size_t i, j;
	int r;

	if (roles == NULL)
		return MP_OK;
	if (!json_is_array(roles) || json_array_size(roles) == 0 || json_array_size(roles) > 16) {
		ca_detail_set(d, "iec62351_roles", "must be an array of 1 to 16 role objects");
		return MP_ERR_INVALID;
	}
	json_array_foreach(roles, i, o) {
		index_path(path, "iec62351_roles", i);
		if (!json_is_object(o)) {
			ca_detail_set(d, path, "must be an object");
			return MP_ERR_INVALID;
		}
		if ((r = only_known(o, known, path, d)) != MP_OK)
			return r;
		ids = json_object_get(o, "role_ids");
		if (!json_is_array(ids) || json_array_size(ids) == 0 || json_array_size(ids) > 32) {
			ca_detail_set(d, join(fpath, path, "role_ids"),
			    "must be an array of 1 to 32 role numbers");
			return MP_ERR_INVALID;
		}
		json_array_foreach(ids, j, e) {
			if (!json_is_integer(e) || json_integer_value(e) < CA_IEC_ROLE_ID_MIN ||
			    json_integer_value(e) > CA_IEC_ROLE_ID_MAX) {
				char ipath[PATH_MAX_LEN];

				join(fpath, path, "role_ids");
				ca_detail_set(d, index_path(ipath, fpath, j),
				    "must be an integer from %d to %d", CA_IEC_ROLE_ID_MIN,
				    CA_IEC_ROLE_ID_MAX);
				return MP_ERR_INVALID;
			}
		}
		v = json_object_get(o, "aor");
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > CA_TEMPLATE_MAX ||
		    strlen(json_string_value(v)) != json_string_length(v) ||
		    ca_template_check(json_string_value(v), &why) != MP_OK) {
			ca_detail_set(d, join(fpath, path, "aor"),
			    "must be a non-empty string or template (at most %d characters once filled)",
			    CA_IEC_AOR_MAX);
			return MP_ERR_INVALID;
		}
		v = json_object_get(o, "revision");
		if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > CA_IEC_REVISION_MAX)) {
			ca_detail_set(d, join(fpath, path, "revision"),
			    "must be an integer from 0 to %d", CA_IEC_REVISION_MAX);
			return MP_ERR_INVALID;
		}
		v = json_object_get(o, "role_definition");
		if (v != NULL && (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > CA_IEC_ROLE_DEFINITION_MAX ||
		    strlen(json_string_value(v)) != json_string_length(v))) {
			ca_detail_set(d, join(fpath, path, "role_definition"),
			    "must be a string of 1 to %d characters", CA_IEC_ROLE_DEFINITION_MAX);
			return MP_ERR_INVALID;
		}
		/* the defaults are written into our copy so that the encoder sees every field */
		if ((json_object_get(o, "revision") == NULL &&
		    json_object_set_new((json_t *)o, "revision", json_integer(0)) != 0) ||
		    (json_object_get(o, "role_definition") == NULL &&
		    json_object_set_new((json_t *)o, "role_definition", json_string("IEC62351-8")) != 0))
			return MP_ERR_NOMEM;
	}
	p->iec_roles = roles;
	return MP_OK;
}

/* True when st (may be NULL) holds the object of nid. */
static bool
has_nid(const STACK_OF(ASN1_OBJECT) *st, int nid)
{
	for (int i = 0; i < sk_ASN1_OBJECT_num(st); i++)
		if (OBJ_obj2nid(sk_ASN1_OBJECT_value(st, i)) == nid)
			return true;
	return false;
}

static int
parse_top(ca_profile *p, ca_detail *d)
{
	static const char *const known[] = { "description", "ca", "key_algorithms",
		"rsa_min_bits", "rsa_max_bits", "validity", "subject", "san", "key_usage",
		"extended_key_usage", "basic_constraints", "policies", "crl", "ocsp",
		"ca_issuers", "iec62351_roles", "no_rev_avail", "ocsp_nocheck", "pre_enrollment",
		"channel_binding", "on_renewal", NULL };
	const json_t *v;
	bool rev_default;
	int r;

	if ((r = only_known(p->body, known, "", d)) != MP_OK)
		return r;
	v = json_object_get(p->body, "description");
	if (v != NULL && (!json_is_string(v) || json_string_length(v) > DESCRIPTION_MAX)) {
		ca_detail_set(d, "description", "must be a string of at most %d characters",
		    DESCRIPTION_MAX);
		return MP_ERR_INVALID;
	}
	p->ca = "devices";
	if ((v = json_object_get(p->body, "ca")) != NULL) {
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) > NAME_LEN_MAX ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			ca_detail_set(d, "ca", "must be a CA name of 1 to %d characters", NAME_LEN_MAX);
			return MP_ERR_INVALID;
		}
		p->ca = json_string_value(v);
	}
	if ((r = get_bool(p->body, "no_rev_avail", false, &p->no_rev_avail, "", d)) != MP_OK)
		return r;
	rev_default = !p->no_rev_avail;
	if ((r = get_bool(p->body, "crl", rev_default, &p->crl, "", d)) != MP_OK ||
	    (r = get_bool(p->body, "ocsp", rev_default, &p->ocsp, "", d)) != MP_OK ||
	    (r = get_bool(p->body, "ca_issuers", true, &p->ca_issuers, "", d)) != MP_OK ||
	    (r = get_bool(p->body, "ocsp_nocheck", false, &p->ocsp_nocheck, "", d)) != MP_OK ||
	    (r = get_bool(p->body, "pre_enrollment", false, &p->pre_enrollment, "", d)) != MP_OK)
		return r;
	if ((v = json_object_get(p->body, "channel_binding")) != NULL) {
		const char *cb = json_string_value(v);

		if (cb != NULL && strcmp(cb, "optional") == 0)
			p->channel_binding = CA_CB_OPTIONAL;
		else if (cb != NULL && strcmp(cb, "required") == 0)
			p->channel_binding = CA_CB_REQUIRED;
		else if (cb == NULL || strcmp(cb, "none") != 0) {
			ca_detail_set(d, "channel_binding", "must be \"none\", \"optional\" or"
			    " \"required\"");
			return MP_ERR_INVALID;
		}
	}
	if ((v = json_object_get(p->body, "on_renewal")) != NULL) {
		const char *o = json_string_value(v);

		if (o == NULL || (strcmp(o, "keep") != 0 && strcmp(o, "revoke") != 0)) {
			ca_detail_set(d, "on_renewal", "must be \"keep\" or \"revoke\"");
			return MP_ERR_INVALID;
		}
		p->revoke_on_renewal = strcmp(o, "revoke") == 0;
	}
	if (p->no_rev_avail && (p->crl || p->ocsp)) {
		ca_detail_set(d, "no_rev_avail",
		    "a certificate without revocation information cannot also point to a CRL or OCSP");
		return MP_ERR_INVALID;
	}
	return MP_OK;
}

int
ca_profile_parse(const json_t *body, ca_profile **out, ca_detail *d)
{
	ca_profile *p = NULL;
	int r = MP_ERR_INVALID;

	if (!json_is_object(body)) {
		ca_detail_set(d, "body", "a profile body must be a JSON object");
		goto out;
	}
	r = MP_ERR_NOMEM;
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->body = json_deep_copy(body)) == NULL)
		goto out;
	if ((r = parse_top(p, d)) != MP_OK || (r = parse_keys(p, d)) != MP_OK ||
	    (r = parse_validity(p, d)) != MP_OK || (r = parse_subject(p, d)) != MP_OK ||
	    (r = parse_san(p, d)) != MP_OK || (r = parse_key_usage(p, d)) != MP_OK ||
	    (r = parse_oids(p->body, "extended_key_usage", true, &p->eku, d)) != MP_OK ||
	    (r = parse_basic_constraints(p, d)) != MP_OK ||
	    (r = parse_oids(p->body, "policies", false, &p->policies, d)) != MP_OK ||
	    (r = parse_roles(p, d)) != MP_OK)
		goto out;
	if (p->ocsp_nocheck && !has_nid(p->eku, NID_OCSP_sign)) {
		ca_detail_set(d, "ocsp_nocheck", "only for OCSP signers: extended_key_usage "
		    "must include OCSPSigning");
		r = MP_ERR_INVALID;
		goto out;
	}
	*out = p;
	p = NULL;
	r = MP_OK;
out:
	ca_profile_free(p);
	return r;
}

void
ca_profile_free(ca_profile *p)
{
	if (p == NULL)
		return;
	sk_ASN1_OBJECT_pop_free(p->eku, ASN1_OBJECT_free);
	sk_ASN1_OBJECT_pop_free(p->policies, ASN1_OBJECT_free);
	free(p->san_ip);
	json_decref(p->body);
	free(p);
}

const char *
ca_profile_ca(const ca_profile *p)
{
	return p->ca;
}

int64_t
ca_profile_default_validity(const ca_profile *p)
{
	return p->validity_default;
}

int64_t
ca_profile_max_validity(const ca_profile *p)
{
	return p->validity_max;
}

bool
ca_profile_revoke_on_renewal(const ca_profile *p)
{
	return p->revoke_on_renewal;
}

ca_channel_binding
ca_profile_channel_binding(const ca_profile *p)
{
	return p->channel_binding;
}

bool
ca_profile_pre_enrollment(const ca_profile *p)
{
	return p->pre_enrollment;
}
