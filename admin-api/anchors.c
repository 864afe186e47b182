/* /api/v1/trust-anchors: federated manufacturer CAs and their registration policy. */
#include "resources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "err.h"
#include "profiles.h"
#include "trust_anchors.h"
#include "validate.h"

#define NAME_MAX_LEN 128
#define PROFILE_MAX_LEN 128
/* Base64 of the largest accepted certificate, with line breaks and PEM armour. */
#define PEM_MAX_LEN (MP_TRUST_ANCHOR_MAX_DER / 3 * 4 + MP_TRUST_ANCHOR_MAX_DER / 48 + 256)
/* The same for the largest CRL (CRLF line ends). */
#define CRL_PEM_MAX_LEN (MP_TRUST_ANCHOR_MAX_CRL / 3 * 4 + MP_TRUST_ANCHOR_MAX_CRL / 32 + 256)

/*
 * Shows an anchor as the API defines it: the policy's auto_register and
 * profile as members of their own, the certificate as PEM only.
 */
static void
present(json_t *a)
{
	json_t *pol = json_object_get(a, "policy"), *ar = json_object_get(pol, "auto_register");

	json_object_set_new(a, "auto_register", json_boolean(json_is_true(ar)));
	json_object_set(a, "profile", json_object_get(pol, "profile") != NULL ?
	    json_object_get(pol, "profile") : json_null());
	json_object_del(a, "policy");
	json_object_del(a, "certificate");
}

/*
 * The DER of the PEM member field, which must hold exactly one PEM object
 * labelled label (line breaks allowed, no other control characters, at
 * most max_pem characters, max_der bytes); replies 400 and returns false
 * otherwise.
 */
static bool
pem_member(api_call *c, const char *field, const char *label, size_t max_pem, size_t max_der,
    uint8_t **der, size_t *derlen)
{
	json_t *v = json_object_get(c->body, field);
	const char *pem = json_string_value(v), *first;
	size_t len = json_string_length(v);
	char msg[160];

	if (v == NULL || json_is_null(v) || (json_is_string(v) && len == 0)) {
		snprintf(msg, sizeof(msg), "'%s' is required", field);
		api_error(c, 400, "missing_field", msg, field);
		return false;
	}
	if (!json_is_string(v)) {
		snprintf(msg, sizeof(msg), "'%s' must be a string", field);
		api_error(c, 400, "wrong_type", msg, field);
		return false;
	}
	if (len > max_pem) {
		snprintf(msg, sizeof(msg), "'%s' is longer than it may be", field);
		api_error(c, 400, "too_long", msg, field);
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)pem[i];

		if ((ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t') || ch == 0x7f) {
			snprintf(msg, sizeof(msg), "'%s' contains a control character", field);
			api_error(c, 400, "invalid_value", msg, field);
			return false;
		}
	}
	first = strstr(pem, "-----BEGIN ");
	if (first == NULL || strstr(first + 1, "-----BEGIN ") != NULL ||
	    mp_pem_decode(pem, strlen(pem), label, max_der, der, derlen) != MP_OK) {
		snprintf(msg, sizeof(msg), "'%s' must hold exactly one PEM %s (-----BEGIN %s-----)",
		    field, label, label);
		api_error(c, 400, "invalid_value", msg, field);
		return false;
	}
	return true;
}

/* Whether profile names an X.509 profile of tenant; replies 422 or fails otherwise. */
static bool
known_profile(api_call *c, const char *tenant, const char *profile)
{
	json_t *p = NULL;
	bool x509;
	int r;

	if ((r = mp_profile_find_by_name(c->db, tenant, profile, &p)) == MP_ERR_NOT_FOUND) {
		api_error(c, 422, "refused_by_policy", "'profile' names no profile of this tenant",
		    "profile");
		return false;
	}
	if (r != MP_OK) {
		api_fail(c, r, "profile");
		return false;
	}
	x509 = strcmp(json_string_value(json_object_get(p, "kind")), "x509") == 0;
	json_decref(p);
	if (!x509)
		api_error(c, 422, "refused_by_policy", "'profile' must be an x509 profile", "profile");
	return x509;
}

void
api_anchor_create(api_call *c)
{
	static const char *const fields[] = { "tenant", "certificate_pem", "name", "auto_register",
		"profile", NULL };
	const char *tenant, *name, *profile, *why = NULL;
	json_t *ar = json_object_get(c->body, "auto_register"), *policy = NULL, *a = NULL;
	uint8_t *der = NULL;
	size_t derlen = 0;
	int r;

	if (!api_only_fields(c, fields) || !api_target_tenant(c, &tenant) ||
	    !api_string(c, "name", true, NAME_MAX_LEN, &name) ||
	    !api_string(c, "profile", false, PROFILE_MAX_LEN, &profile))
		return;
	if (ar != NULL && !json_is_null(ar) && !json_is_boolean(ar)) {
		api_error(c, 400, "wrong_type", "'auto_register' must be true or false",
		    "auto_register");
		return;
	}
	if (json_is_true(ar) && profile == NULL) {
		api_error(c, 400, "missing_field",
		    "'profile' is required when 'auto_register' is true", "profile");
		return;
	}
	if (!pem_member(c, "certificate_pem", "CERTIFICATE", PEM_MAX_LEN, MP_TRUST_ANCHOR_MAX_DER,
	    &der, &derlen))
		return;
	if ((r = mp_trust_anchor_check(der, derlen, &why)) != MP_OK) {
		if (r == MP_ERR_POLICY)
			api_error(c, 422, "refused_by_policy", why, "certificate_pem");
		else
			api_error(c, 400, "invalid_value", why, "certificate_pem");
		goto out;
	}
	if (profile != NULL && !known_profile(c, tenant, profile))
		goto out;
	if ((policy = json_pack("{s:b, s:s?}", "auto_register", json_is_true(ar), "profile",
	    profile)) == NULL) {
		api_fail(c, MP_ERR_NOMEM, "trust anchor");
		goto out;
	}
	if ((r = mp_trust_anchor_create(c->db, &c->actor, tenant, name, der, derlen, policy,
	    &a)) != MP_OK) {
		api_fail(c, r, "trust anchor");
		goto out;
	}
	present(a);
	api_reply(c, 201, a);
out:
	json_decref(policy);
	free(der);
}

void
api_anchor_list(api_call *c)
{
	json_t *items = NULL, *a;
	char *after = NULL;
	unsigned limit;
	size_t i;
	int r;

	if (!api_page(c, &limit, &after))
		return;
	r = mp_trust_anchor_list(c->db, api_scope(c), after, limit, &items);
	free(after);
	if (r != MP_OK) {
		api_fail(c, r, "trust anchors");
		return;
	}
	json_array_foreach(items, i, a)
		present(a);
	api_reply(c, 200, api_page_result(items, limit, "name"));
}

void
api_anchor_get(api_call *c)
{
	json_t *a = NULL;
	int r;

	if (!api_path_uuid(c, c->params[0]))
		return;
	if ((r = mp_trust_anchor_get(c->db, api_scope(c), c->params[0], &a)) != MP_OK) {
		api_fail(c, r, "trust anchor");
		return;
	}
	present(a);
	api_reply(c, 200, a);
}

void
api_anchor_delete(api_call *c)
{
	int r;

	if (!api_path_uuid(c, c->params[0]))
		return;
	if ((r = mp_trust_anchor_delete(c->db, &c->actor, api_scope(c), c->params[0])) != MP_OK) {
		api_fail(c, r, "trust anchor");
		return;
	}
	mp_http_reply(c->req, 204, NULL, NULL, 0);
}

void
api_anchor_set_crl(api_call *c)
{
	static const char *const fields[] = { "crl_pem", NULL };
	const char *why = NULL;
	json_t *a = NULL;
	uint8_t *der = NULL;
	size_t derlen = 0;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_only_fields(c, fields) ||
	    !pem_member(c, "crl_pem", "X509 CRL", CRL_PEM_MAX_LEN, MP_TRUST_ANCHOR_MAX_CRL, &der,
	    &derlen))
		return;
	r = mp_trust_anchor_set_crl(c->db, &c->actor, api_scope(c), c->params[0], der, derlen, &a,
	    &why);
	if (r == MP_ERR_INVALID && why != NULL)
		api_error(c, 400, "invalid_value", why, "crl_pem");
	else if (r == MP_ERR_POLICY)
		api_error(c, 422, "refused_by_policy", why, "crl_pem");
	else if (r == MP_ERR_CONFLICT)
		api_error(c, 409, "conflict", why, "crl_pem");
	else if (r != MP_OK)
		api_fail(c, r, "trust anchor");
	else {
		present(a);
		api_reply(c, 200, a);
		a = NULL;
	}
	json_decref(a);
	free(der);
}

void
api_anchor_delete_crl(api_call *c)
{
	int r;

	if (!api_path_uuid(c, c->params[0]))
		return;
	if ((r = mp_trust_anchor_delete_crl(c->db, &c->actor, api_scope(c), c->params[0])) !=
	    MP_OK) {
		api_fail(c, r, "trust anchor CRL");
		return;
	}
	mp_http_reply(c->req, 204, NULL, NULL, 0);
}
