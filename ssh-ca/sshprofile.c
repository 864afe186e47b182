#include "sshprofile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "num.h"
#include "users.h"

#define TEMPLATE_MAX 64
#define EXTENSION_MAX 64

static const sshca_builtin_profile builtins[] = {
	{ "ssh-technician", "ssh-user",
	    "{\"description\": \"Field technicians: a shell for a shift on the devices of their "
	    "sites\", \"roles\": [\"technician\"], "
	    "\"ttl\": {\"default\": \"8h\", \"max\": \"12h\"}, \"backdate\": \"5m\", "
	    "\"principals\": [\"tech:{site}\", \"user:{user}\"], "
	    "\"extensions\": [\"permit-pty\"]}" },
	{ "ssh-device-host", "ssh-host",
	    "{\"description\": \"Devices: host certificates named by the device record\", "
	    "\"ttl\": {\"default\": \"30d\", \"max\": \"90d\"}, \"backdate\": \"5m\", "
	    "\"principals\": [\"{serial}\", \"{id}\"]}" },
};

const sshca_builtin_profile *
sshca_builtin_profiles(size_t *n)
{
	*n = sizeof(builtins) / sizeof(builtins[0]);
	return builtins;
}

void
sshca_profile_free(sshca_profile *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_templates; i++)
		free(p->templates[i]);
	for (size_t i = 0; i < p->n_critical; i++)
		free((char *)p->critical[i].value);
	for (size_t i = 0; i < p->n_extensions; i++)
		free((char *)p->extensions[i].name);
	free(p->templates);
	free(p->critical);
	free(p->extensions);
	free(p->ca);
	free(p);
}

/* A string member: NULL when absent; MP_ERR_INVALID when present and not a string of 1..max. */
static int
get_string(const json_t *o, const char *key, size_t max, const char **out, mp_detail *d)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL)
		return MP_OK;
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return mp_refuse(d, MP_ERR_INVALID, key, "must be a string of 1 to %zu characters",
		    max);
	*out = json_string_value(v);
	return MP_OK;
}

/* A duration string ("8h", "30m") of at most max_s seconds, at least 1 s unless zero_ok. */
static int
get_seconds(const json_t *v, const char *field, uint64_t max_s, bool zero_ok, uint64_t *out,
    mp_detail *d)
{
	uint64_t ms = 0;

	if (!json_is_string(v) ||
	    mp_parse_duration_ms(json_string_value(v), max_s * 1000, &ms) != MP_OK ||
	    (ms < 1000 && !(zero_ok && ms == 0)))
		return mp_refuse(d, MP_ERR_INVALID, field,
		    "must be a duration such as \"8h\" or \"30m\", at most %llus",
		    (unsigned long long)max_s);
	*out = ms / 1000;
	return MP_OK;
}

static int
parse_ttl(const json_t *body, sshca_profile *p, mp_detail *d)
{
	const json_t *ttl = json_object_get(body, "ttl"), *v;
	const char *key;
	int r;

	if (!json_is_object(ttl))
		return mp_refuse(d, MP_ERR_INVALID, "ttl", "must be an object with \"max\" and "
		    "optionally \"default\"");
	json_object_foreach((json_t *)ttl, key, v) {
		if (strcmp(key, "default") != 0 && strcmp(key, "max") != 0)
			return mp_refuse(d, MP_ERR_INVALID, "ttl", "unknown member \"%s\"", key);
	}
	if ((v = json_object_get(ttl, "max")) == NULL)
		return mp_refuse(d, MP_ERR_INVALID, "ttl.max", "is required");
	if ((r = get_seconds(v, "ttl.max", SSHCA_PROFILE_TTL_MAX_S, false, &p->ttl_max_s, d)) !=
	    MP_OK)
		return r;
	p->ttl_default_s = p->ttl_max_s;
	if ((v = json_object_get(ttl, "default")) != NULL &&
	    (r = get_seconds(v, "ttl.default", p->ttl_max_s, false, &p->ttl_default_s, d)) != MP_OK)
		return r;
	p->backdate_s = 300;
	if ((v = json_object_get(body, "backdate")) != NULL &&
	    (r = get_seconds(v, "backdate", SSHCA_PROFILE_BACKDATE_MAX_S, true, &p->backdate_s, d)) !=
	    MP_OK)
		return r;
	return MP_OK;
}

/* An array member of min to max entries (of what); *out NULL when absent. */
static int
get_array(const json_t *body, const char *key, size_t min, size_t max, const char *what,
    const json_t **out, mp_detail *d)
{
	const json_t *a = json_object_get(body, key);

	*out = a;
	if (a == NULL || (json_is_array(a) && json_array_size(a) >= min &&
	    json_array_size(a) <= max))
		return MP_OK;
	return mp_refuse(d, MP_ERR_INVALID, key, "must be an array of %zu to %zu %s", min, max,
	    what);
}

/* Whether s may be part of a principal: printable ASCII, no blank, no comma. */
static bool
principal_chars(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s > '~' || *s == ',')
			return false;
	return true;
}

/*
 * What templates may hold: for users {site} (each of attributes.sites) and
 * {user} (the name); for devices {serial}, {id} and {site} (attributes.site).
 */
static const char *const user_placeholders[] = { "{site}", "{user}", NULL };
static const char *const host_placeholders[] = { "{serial}", "{id}", "{site}", NULL };

/* The placeholder of kind in t, or NULL when it has none, another or more than one. */
static const char *
placeholder(const char *t, sshca_cert_kind kind)
{
	const char *const *set = kind == SSHCA_CERT_HOST ? host_placeholders : user_placeholders;
	const char *open = strchr(t, '{'), *close = strchr(t, '}');

	if (open == NULL || close == NULL || close < open || strchr(open + 1, '{') != NULL ||
	    strchr(close + 1, '}') != NULL)
		return NULL;
	for (size_t i = 0; set[i] != NULL; i++)
		if ((size_t)(close - open + 1) == strlen(set[i]) &&
		    strncmp(open, set[i], strlen(set[i])) == 0)
			return set[i];
	return NULL;
}

static int
parse_principals(const json_t *body, sshca_profile *p, mp_detail *d)
{
	const json_t *a, *e;
	char field[48];
	size_t i;
	int r;

	if ((r = get_array(body, "principals", 1, SSHCA_PROFILE_TEMPLATES_MAX, "templates", &a,
	    d)) != MP_OK)
		return r;
	if (a == NULL)
		return mp_refuse(d, MP_ERR_INVALID, "principals", "is required");
	if ((p->templates = calloc(json_array_size(a), sizeof(char *))) == NULL)
		return MP_ERR_NOMEM;
	json_array_foreach(a, i, e) {
		const char *t = json_string_value(e);
		char literal[TEMPLATE_MAX + 1];
		const char *ph;

		snprintf(field, sizeof(field), "principals[%zu]", i);
		if (t == NULL || json_string_length(e) > TEMPLATE_MAX ||
		    strlen(t) != json_string_length(e) || (ph = placeholder(t, p->kind)) == NULL)
			return mp_refuse(d, MP_ERR_INVALID, field, "must be a template of at most %d "
			    "characters with exactly one of %s", TEMPLATE_MAX, p->kind == SSHCA_CERT_HOST ?
			    "{serial}, {id} and {site}" : "{site} and {user}");
		snprintf(literal, sizeof(literal), "%.*s%s", (int)(strstr(t, ph) - t), t,
		    strstr(t, ph) + strlen(ph));
		if (!principal_chars(literal))
			return mp_refuse(d, MP_ERR_INVALID, field, "may hold printable characters "
			    "other than blanks and commas only");
		if ((p->templates[i] = strdup(t)) == NULL)
			return MP_ERR_NOMEM;
		p->n_templates = i + 1;
	}
	return MP_OK;
}

static int
parse_critical(const json_t *body, sshca_profile *p, mp_detail *d)
{
	const json_t *o = json_object_get(body, "critical_options"), *v;
	const char *key;
	char field[64];

	if (o == NULL)
		return MP_OK;
	if (!json_is_object(o))
		return mp_refuse(d, MP_ERR_INVALID, "critical_options", "must be an object");
	if ((p->critical = calloc(json_object_size(o) + 1, sizeof(*p->critical))) == NULL)
		return MP_ERR_NOMEM;
	json_object_foreach((json_t *)o, key, v) {
		sshca_option *opt = &p->critical[p->n_critical];

		snprintf(field, sizeof(field), "critical_options.%.40s", key);
		if (strcmp(key, "verify-required") == 0) {
			if (!json_is_true(v))
				return mp_refuse(d, MP_ERR_INVALID, field, "must be true when present");
			opt->name = "verify-required";
		} else if (strcmp(key, "force-command") == 0 || strcmp(key, "source-address") == 0) {
			const char *s = json_string_value(v);

			if (s == NULL || s[0] == '\0' || strlen(s) != json_string_length(v) ||
			    json_string_length(v) > SSHCA_OPTION_VALUE_MAX)
				return mp_refuse(d, MP_ERR_INVALID, field, "must be a non-empty string");
			if (key[0] == 's' && strspn(s, "0123456789abcdefABCDEF.:/,") != strlen(s))
				return mp_refuse(d, MP_ERR_INVALID, field, "must be a comma-separated list "
				    "of addresses and CIDR ranges");
			opt->name = key[0] == 'f' ? "force-command" : "source-address";
			if ((opt->value = strdup(s)) == NULL)
				return MP_ERR_NOMEM;
		} else {
			return mp_refuse(d, MP_ERR_INVALID, field, "unknown critical option (known: "
			    "force-command, source-address, verify-required)");
		}
		p->n_critical++;
	}
	return MP_OK;
}

static int
parse_extensions(const json_t *body, sshca_profile *p, mp_detail *d)
{
	const json_t *a, *e;
	char field[48];
	size_t i;
	int r;

	if ((r = get_array(body, "extensions", 0, SSHCA_OPTIONS_MAX, "names", &a, d)) != MP_OK ||
	    a == NULL)
		return r;
	if ((p->extensions = calloc(json_array_size(a) + 1, sizeof(*p->extensions))) == NULL)
		return MP_ERR_NOMEM;
	json_array_foreach(a, i, e) {
		const char *s = json_string_value(e);

		snprintf(field, sizeof(field), "extensions[%zu]", i);
		if (s == NULL || s[0] == '\0' || json_string_length(e) > EXTENSION_MAX ||
		    !principal_chars(s))
			return mp_refuse(d, MP_ERR_INVALID, field, "must be an extension name such as "
			    "\"permit-pty\"");
		for (size_t k = 0; k < i; k++)
			if (strcmp(p->extensions[k].name, s) == 0)
				return mp_refuse(d, MP_ERR_INVALID, field, "is named twice");
		if ((p->extensions[i].name = strdup(s)) == NULL)
			return MP_ERR_NOMEM;
		p->n_extensions = i + 1;
	}
	return MP_OK;
}

static int
parse_keys(const json_t *body, sshca_profile *p, mp_detail *d)
{
	const json_t *a, *v, *e;
	char field[48];
	size_t i;
	int r;

	p->key_types = 0;
	if ((r = get_array(body, "key_types", 1, SSHCA_KEY_SK_ECDSA_P256, "key types", &a, d)) !=
	    MP_OK)
		return r;
	if (a == NULL)
		for (sshca_key_type t = SSHCA_KEY_ED25519; t <= SSHCA_KEY_SK_ECDSA_P256; t++)
			p->key_types |= 1u << t;
	json_array_foreach(a, i, e) {
		sshca_key_type t = json_is_string(e) ? sshca_key_type_parse(json_string_value(e)) : 0;

		snprintf(field, sizeof(field), "key_types[%zu]", i);
		if (t == 0 || (p->key_types & (1u << t)) != 0)
			return mp_refuse(d, MP_ERR_INVALID, field, "must be one of ssh-ed25519, "
			    "ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ssh-rsa, "
			    "sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com, each once");
		p->key_types |= 1u << t;
	}
	if ((v = json_object_get(body, "require_sk")) != NULL) {
		if (!json_is_boolean(v))
			return mp_refuse(d, MP_ERR_INVALID, "require_sk", "must be true or false");
		p->require_sk = json_is_true(v);
	}
	if (p->require_sk &&
	    (p->key_types & (1u << SSHCA_KEY_SK_ED25519 | 1u << SSHCA_KEY_SK_ECDSA_P256)) == 0)
		return mp_refuse(d, MP_ERR_INVALID, "require_sk", "key_types allows no FIDO key type");
	return MP_OK;
}

static int
parse_roles(const json_t *body, sshca_profile *p, mp_detail *d)
{
	const json_t *a, *e;
	char field[48];
	size_t i;
	int r;

	if ((r = get_array(body, "roles", 1, 5, "role names", &a, d)) != MP_OK || a == NULL)
		return r;
	json_array_foreach(a, i, e) {
		mp_role role;

		snprintf(field, sizeof(field), "roles[%zu]", i);
		if (!json_is_string(e) || mp_role_parse(json_string_value(e), &role) != MP_OK)
			return mp_refuse(d, MP_ERR_INVALID, field, "must be a role name such as "
			    "\"technician\"");
		p->roles |= (unsigned)role;
	}
	return MP_OK;
}

int
sshca_profile_parse(const json_t *body, sshca_cert_kind kind, sshca_profile **out,
    mp_detail *d)
{
	/* host certificates have no critical options, and devices no roles */
	static const char *const user_members[] = { "description", "ca", "roles", "ttl",
		"backdate", "principals", "critical_options", "extensions", "key_types", "require_sk",
		NULL };
	static const char *const host_members[] = { "description", "ca", "ttl", "backdate",
		"principals", "key_types", NULL };
	const char *const *members = kind == SSHCA_CERT_HOST ? host_members : user_members;
	sshca_profile *p = NULL;
	const char *key, *s;
	const json_t *v;
	int r = MP_ERR_INVALID;

	if (!json_is_object(body))
		return mp_refuse(d, MP_ERR_INVALID, "body", "must be an object");
	json_object_foreach((json_t *)body, key, v) {
		bool known = false;

		for (size_t i = 0; members[i] != NULL; i++)
			known = known || strcmp(members[i], key) == 0;
		if (!known)
			return mp_refuse(d, MP_ERR_INVALID, key, "unknown member of an %s profile",
			    kind == SSHCA_CERT_HOST ? "ssh-host" : "ssh-user");
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return MP_ERR_NOMEM;
	p->kind = kind;
	if ((r = get_string(body, "description", 1024, &s, d)) != MP_OK ||
	    (r = get_string(body, "ca", 64, &s, d)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((p->ca = strdup(s != NULL ? s : kind == SSHCA_CERT_HOST ? "host" : "user")) == NULL)
		goto out;
	if ((r = parse_roles(body, p, d)) != MP_OK || (r = parse_ttl(body, p, d)) != MP_OK ||
	    (r = parse_principals(body, p, d)) != MP_OK || (r = parse_critical(body, p, d)) != MP_OK ||
	    (r = parse_extensions(body, p, d)) != MP_OK || (r = parse_keys(body, p, d)) != MP_OK)
		goto out;
	*out = p;
	p = NULL;
	r = MP_OK;
out:
	sshca_profile_free(p);
	return r;
}

void
sshca_principals_free(char **list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

/*
 * Appends template t with value in place of its placeholder ph (in lower
 * case when lower), unless already there.
 */
static int
add_principal(char **list, size_t *n, const char *t, const char *ph, const char *value,
    bool lower)
{
	const char *at = strstr(t, ph);
	size_t len = (size_t)(at - t) + strlen(value) + strlen(at + strlen(ph));
	char *s;

	if (len > SSHCA_PRINCIPAL_MAX || value[0] == '\0' || !principal_chars(value))
		return MP_ERR_POLICY;
	if ((s = malloc(len + 1)) == NULL)
		return MP_ERR_NOMEM;
	snprintf(s, len + 1, "%.*s%s%s", (int)(at - t), t, value, at + strlen(ph));
	/* ssh compares host names in lower case: so are the names of a host certificate */
	for (char *q = s; lower && *q != '\0'; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(list[i], s) == 0) {
			free(s);
			return MP_OK;
		}
	}
	if (*n >= SSHCA_PRINCIPALS_MAX) {
		free(s);
		return MP_ERR_POLICY;
	}
	list[(*n)++] = s;
	return MP_OK;
}

/* Keeps only the requested principals of list, each of which must be there. */
static int
keep_requested(char **list, size_t *n, const json_t *requested, const char *subject,
    mp_detail *d)
{
	const json_t *e;
	size_t i, kept = 0;

	if (!json_is_array(requested) || json_array_size(requested) == 0 ||
	    json_array_size(requested) > SSHCA_PRINCIPALS_MAX)
		return mp_refuse(d, MP_ERR_INVALID, "principals", "must be a non-empty array of "
		    "principal names");
	json_array_foreach(requested, i, e) {
		const char *s = json_string_value(e);
		bool have = false;

		if (s == NULL)
			return mp_refuse(d, MP_ERR_INVALID, "principals", "must be an array of strings");
		for (size_t k = 0; k < *n && !have; k++)
			have = strcmp(list[k], s) == 0;
		if (!have)
			return mp_refuse(d, MP_ERR_POLICY, "principals", "\"%.64s\" is not a principal "
			    "of this %s under the profile", s, subject);
	}
	for (size_t k = 0; k < *n; k++) {
		bool want = false;

		json_array_foreach(requested, i, e)
			want = want || strcmp(list[k], json_string_value(e)) == 0;
		if (want)
			list[kept++] = list[k];
		else
			free(list[k]);
	}
	for (size_t k = kept; k < *n; k++)
		list[k] = NULL;
	*n = kept;
	return MP_OK;
}

/* Expands template t (placeholder ph) for each of the user's sites. */
static int
add_sites(char **list, size_t *n, const char *t, const char *ph, const json_t *sites,
    mp_detail *d)
{
	const json_t *e;
	size_t i;
	int r = MP_OK;

	if (sites != NULL && !json_is_array(sites))
		return mp_refuse(d, MP_ERR_POLICY, "user", "the user's attributes.sites is not a list");
	json_array_foreach(sites, i, e) {
		if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e) ||
		    (r = add_principal(list, n, t, ph, json_string_value(e), false)) != MP_OK)
			return mp_refuse(d, r == MP_ERR_NOMEM ? r : MP_ERR_POLICY, "user",
			    "attributes.sites[%zu] of the user cannot be a principal", i);
	}
	return MP_OK;
}

/* Whether the user holds one of p's roles (or p asks for none). */
static bool
holds_role(const sshca_profile *p, const json_t *user)
{
	const json_t *e;
	unsigned held = 0;
	size_t i;

	json_array_foreach(json_object_get(user, "roles"), i, e) {
		mp_role role;

		if (json_is_string(e) && mp_role_parse(json_string_value(e), &role) == MP_OK)
			held |= (unsigned)role;
	}
	return p->roles == 0 || (held & p->roles) != 0;
}

int
sshca_principals(const sshca_profile *p, const json_t *subject, const json_t *requested,
    char ***out, size_t *n, mp_detail *d)
{
	const bool host = p->kind == SSHCA_CERT_HOST;
	const char *who = host ? "device" : "user";
	const json_t *attrs = json_object_get(subject, "attributes");
	char **list = NULL;
	size_t count = 0;
	int r = MP_ERR_POLICY;

	if (!host && !holds_role(p, subject))
		return mp_refuse(d, MP_ERR_POLICY, "user", "the user holds none of the roles the "
		    "profile requires");
	if ((list = calloc(SSHCA_PRINCIPALS_MAX + 1, sizeof(char *))) == NULL)
		return MP_ERR_NOMEM;
	for (size_t t = 0; t < p->n_templates; t++) {
		const char *ph = placeholder(p->templates[t], p->kind), *member;
		const json_t *v;

		if (!host && strcmp(ph, "{site}") == 0) {
			if ((r = add_sites(list, &count, p->templates[t], ph, json_object_get(attrs,
			    "sites"), d)) != MP_OK)
				goto out;
			continue;
		}
		/* one value from the record: {user} the name, {serial}, {id}, a device's {site} */
		member = strcmp(ph, "{user}") == 0 ? "name" : strcmp(ph, "{serial}") == 0 ? "serial" :
		    strcmp(ph, "{id}") == 0 ? "id" : "site";
		v = json_object_get(strcmp(member, "site") == 0 ? attrs : subject, member);
		if (v == NULL && strcmp(member, "site") == 0)
			continue;
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
		    (r = add_principal(list, &count, p->templates[t], ph, json_string_value(v),
		    host)) != MP_OK) {
			r = r == MP_ERR_NOMEM ? r : MP_ERR_POLICY;
			mp_detail_set(d, who, "the %s's %s cannot be a principal", who,
			    strcmp(member, "site") == 0 ? "attributes.site" : member);
			goto out;
		}
	}
	r = MP_ERR_POLICY;
	if (count == 0) {
		mp_detail_set(d, "principals", "the %s has no principals under this profile%s: a "
		    "certificate without principals is never issued", who, host ? "" : " (no sites)");
		goto out;
	}
	if (requested != NULL && (r = keep_requested(list, &count, requested, who, d)) != MP_OK)
		goto out;
	*out = list;
	*n = count;
	list = NULL;
	r = MP_OK;
out:
	sshca_principals_free(list);
	return r;
}
