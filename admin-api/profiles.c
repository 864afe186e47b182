/*
 * /api/v1/profiles: issuance policies. The platform's (built-in) profiles are
 * listed for every tenant, marked "builtin", and only platform admins change
 * them. Bodies of kind x509 are checked by the X.509 issuer's parser, those
 * of kinds ssh-user and ssh-host by the SSH CA's.
 */
#include "resources.h"

#include <stdlib.h>
#include <string.h>

#include "ca_env.h"
#include "err.h"
#include "profile.h"
#include "profiles.h"
#include "sshprofile.h"
#include "validate.h"
#include "values.h"

#define NAME_MAX_LEN 128
#define KIND_MAX_LEN 16
/* A profile body is audited whole; it must fit in one audit entry with room to spare. */
#define BODY_MAX_BYTES 32768

static const char *const kinds[] = { "x509", "ssh-user", "ssh-host", "lorawan", "fdo", NULL };

/* Whether s is one of the profile kinds. */
static bool
is_kind(const char *s)
{
	for (size_t i = 0; kinds[i] != NULL; i++)
		if (strcmp(kinds[i], s) == 0)
			return true;
	return false;
}

/*
 * Checks body (an object) for a profile of kind: its size, and for x509,
 * ssh-user and ssh-host its meaning (400 "invalid" naming "body.<path>").
 * Other kinds are stored as given until their issuers arrive.
 */
static bool
check_body(api_call *c, const char *kind, json_t *body)
{
	ca_detail d = { { 0 }, { 0 } };
	ca_profile *p = NULL;
	char *text;
	size_t len;
	int r;

	if ((text = json_dumps(body, JSON_COMPACT)) == NULL) {
		api_fail(c, MP_ERR_NOMEM, "profile");
		return false;
	}
	len = strlen(text);
	free(text);
	if (len > BODY_MAX_BYTES) {
		api_error(c, 400, "too_long", "'body' is longer than 32768 bytes as JSON", "body");
		return false;
	}
	if (strcmp(kind, "ssh-user") == 0 || strcmp(kind, "ssh-host") == 0) {
		sshca_profile *sp = NULL;

		if ((r = sshca_profile_parse(body, kind[4] == 'h' ? SSHCA_CERT_HOST : SSHCA_CERT_USER,
		    &sp, &d)) != MP_OK) {
			api_ca_fail(c, r, &d, "body.", "profile body");
			return false;
		}
		sshca_profile_free(sp);
		return true;
	}
	if (strcmp(kind, "x509") != 0)
		return true;
	if ((r = ca_profile_parse(body, &p, &d)) != MP_OK) {
		api_ca_fail(c, r == MP_ERR_POLICY ? MP_ERR_INVALID : r, &d, "body.", "profile body");
		return false;
	}
	ca_profile_free(p);
	return true;
}

void
api_profile_list(api_call *c)
{
	const char *kind = mp_http_req_query(c->req, "kind");
	json_t *items = NULL;
	char *after = NULL;
	unsigned limit;
	int r;

	if (kind != NULL && !is_kind(kind)) {
		api_error(c, 400, "invalid_value",
		    "'kind' may be x509, ssh-user, ssh-host, lorawan or fdo", "kind");
		return;
	}
	if (!api_page_by_id(c, &limit, &after))
		return;
	r = mp_profile_list(c->db, api_scope(c), kind, after, limit, &items);
	free(after);
	if (r != MP_OK) {
		api_fail(c, r, "profiles");
		return;
	}
	api_reply(c, 200, api_page_result(items, limit, "id"));
}

void
api_profile_create(api_call *c)
{
	static const char *const fields[] = { "tenant", "name", "kind", "body",
		"approval_required", NULL };
	const char *tenant, *name, *kind;
	json_t *body = NULL, *p = NULL, *shown = NULL;
	bool approval = false, has;
	int r;

	if (!api_only_fields(c, fields) || !api_target_tenant(c, &tenant) ||
	    !api_string(c, "name", true, NAME_MAX_LEN, &name) ||
	    !api_string(c, "kind", false, KIND_MAX_LEN, &kind) || !api_object(c, "body", &body) ||
	    !api_bool_member(c, "approval_required", &has, &approval))
		return;
	if (kind == NULL)
		kind = "x509";
	if (!is_kind(kind)) {
		api_error(c, 400, "invalid_value",
		    "'kind' may be x509, ssh-user, ssh-host, lorawan or fdo", "kind");
		return;
	}
	if (body == NULL) {
		api_error(c, 400, "missing_field", "'body' is required", "body");
		return;
	}
	if (!check_body(c, kind, body))
		return;
	r = mp_profile_create(c->db, &c->actor, tenant, name, kind, body, approval, &p);
	if (r == MP_ERR_CONFLICT) {
		api_error(c, 409, "conflict", "a profile with this name already exists in the tenant",
		    "name");
		return;
	}
	if (r == MP_ERR_INVALID) /* the named tenant does not exist */
		r = MP_ERR_NOT_FOUND;
	if (r != MP_OK) {
		api_fail(c, r, "tenant");
		return;
	}
	r = mp_profile_get_visible(c->db, NULL, json_string_value(json_object_get(p, "id")),
	    &shown);
	json_decref(p);
	if (r != MP_OK) {
		api_fail(c, r, "profile");
		return;
	}
	api_reply(c, 201, shown);
}

void
api_profile_get(api_call *c)
{
	api_get_by_id(c, mp_profile_get_visible, "profile");
}

/*
 * The profile id as the caller sees it, when the caller may change it: it is
 * visible (else 404) and, when built in, the caller is a platform admin (else
 * 403). NULL after replying.
 */
static json_t *
changeable(api_call *c, const char *id)
{
	json_t *p = NULL;
	int r;

	if ((r = mp_profile_get_visible(c->db, api_scope(c), id, &p)) != MP_OK) {
		api_fail(c, r, "profile");
		return NULL;
	}
	if (json_is_true(json_object_get(p, "builtin")) && !api_is_platform_admin(c)) {
		json_decref(p);
		api_error(c, 403, "forbidden", "only a platform admin may change a built-in profile",
		    NULL);
		return NULL;
	}
	return p;
}

void
api_profile_update(api_call *c)
{
	static const char *const fields[] = { "body", "approval_required", NULL };
	mp_profile_patch patch = { 0 };
	json_t *p = NULL, *out = NULL;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_only_fields(c, fields) ||
	    !api_object(c, "body", &patch.body) ||
	    !api_bool_member(c, "approval_required", &patch.set_approval,
		&patch.approval_required))
		return;
	if (patch.body == NULL && !patch.set_approval) {
		api_error(c, 400, "missing_field", "give 'body', 'approval_required' or both", NULL);
		return;
	}
	if ((p = changeable(c, c->params[0])) == NULL)
		return;
	if (patch.body != NULL &&
	    !check_body(c, json_string_value(json_object_get(p, "kind")), patch.body))
		goto out;
	if ((r = mp_profile_update(c->db, &c->actor, api_scope(c), c->params[0], &patch, &out)) !=
	    MP_OK) {
		api_fail(c, r, "profile");
		goto out;
	}
	api_reply(c, 200, out);
out:
	json_decref(p);
}

void
api_profile_delete(api_call *c)
{
	json_t *p;
	int r;

	if (!api_path_uuid(c, c->params[0]) || (p = changeable(c, c->params[0])) == NULL)
		return;
	json_decref(p);
	r = mp_profile_delete(c->db, &c->actor, api_scope(c), c->params[0]);
	if (r == MP_ERR_CONFLICT) {
		api_error(c, 409, "conflict",
		    "the profile is in use by identities, enrollment tokens or pending requests", NULL);
		return;
	}
	if (r != MP_OK) {
		api_fail(c, r, "profile");
		return;
	}
	mp_http_reply(c->req, 204, NULL, NULL, 0);
}
