/*
 * SSH profiles (kinds "ssh-user" and "ssh-host"): the JSON body of a profile
 * row read into what issuance needs, and the principals a user or a device
 * gets under it. The format is written down field by field in docs/ssh.md;
 * the built-in profiles "ssh-technician" and "ssh-device-host" are rows of
 * the platform tenant (sshca_bootstrap).
 */
#ifndef SSHCA_SSHPROFILE_H
#define SSHCA_SSHPROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cert.h"
#include "refusal.h"

#define SSHCA_PROFILE_TEMPLATES_MAX 16
#define SSHCA_PROFILE_TTL_MAX_S (366ull * 86400)
#define SSHCA_PROFILE_BACKDATE_MAX_S 3600

typedef struct sshca_profile {
	sshca_cert_kind kind;     /* user (ssh-user) or host (ssh-host) */
	char *ca;                 /* the tenant's SSH CA that signs; default "user" or "host" */
	unsigned roles;           /* mp_role bits: the user needs one of them; 0: any */
	uint64_t ttl_default_s;
	uint64_t ttl_max_s;
	uint64_t backdate_s;
	char **templates;         /* principal templates, each with one placeholder */
	size_t n_templates;
	sshca_option *critical;   /* names and values owned by the profile */
	size_t n_critical;
	sshca_option *extensions;
	size_t n_extensions;
	unsigned key_types;       /* bit (1 << sshca_key_type) for each allowed type */
	bool require_sk;
} sshca_profile;

/*
 * Reads a profile body of kind (an object; unknown members refused; a host
 * profile has no roles, critical options or extensions). MP_ERR_INVALID
 * with d naming the member ("ttl.max", "principals[1]" ...) and why.
 */
int sshca_profile_parse(const json_t *body, sshca_cert_kind kind, sshca_profile **out,
    mp_detail *d);
void sshca_profile_free(sshca_profile *p);

/*
 * The principals of subject under p: for a user profile a users object
 * (name, attributes, roles), "{user}" its name and "{site}" once for each
 * string of attributes.sites; for a host profile a devices object,
 * "{serial}", "{id}" and "{site}" its attributes.site (a template whose site
 * is absent gives nothing), in lower case as ssh compares host names. In
 * template order, each once. With requested (a
 * JSON array of strings, or NULL for all), only those, each of which must be
 * among them. *out is a NULL-terminated array (free with
 * sshca_principals_free), never empty: MP_ERR_POLICY when no principal
 * results, when the user holds none of p's roles, when a value cannot be a
 * principal, or for a requested principal the subject does not have;
 * MP_ERR_INVALID for a malformed requested list.
 */
int sshca_principals(const sshca_profile *p, const json_t *subject, const json_t *requested,
    char ***out, size_t *n, mp_detail *d);
void sshca_principals_free(char **list);

/* The built-in profiles: name and JSON body. */
typedef struct sshca_builtin_profile {
	const char *name;
	const char *kind;
	const char *body_json;
} sshca_builtin_profile;
const sshca_builtin_profile *sshca_builtin_profiles(size_t *n);

#endif
