/*
 * /api/v1/ssh: SSH CAs (list, create, show, key rotation, the lines that publish their
 * keys, their KRLs, revocations by key id or public key), OpenSSH user certificates and host certificates for
 * devices (issue, list, show, revoke; a device for itself over mutual TLS). A caller whose
 * only issuing role is technician gets certificates for itself and sees only
 * its own; operators and administrators issue for the technicians of their
 * tenant. Refusals of the issuer map as the X.509 CA's do (api_ca_fail).
 */
#include "resources.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ca_env.h"
#include "config.h"
#include "devices.h"
#include "err.h"
#include "sshprofile.h"
#include "cert.h"
#include "sshca.h"
#include "sshkey.h"
#include "validate.h"
#include "values.h"

#define NAME_MAX_LEN 64
#define KIND_MAX_LEN 8
#define ALGORITHM_MAX_LEN 16
#define PROFILE_MAX_LEN 128
#define REQUEST_ID_MAX_LEN 64
#define TTL_MIN_S 60

/* Roles that issue for others; a caller with none of them acts for itself only. */
#define ISSUERS (MP_ROLE_PLATFORM_ADMIN | MP_ROLE_TENANT_ADMIN | MP_ROLE_OPERATOR)
#define READERS (ISSUERS | MP_ROLE_AUDITOR)

static const char *const cert_statuses[] = { "active", "expired", "revoked", NULL };

static void
ssh_env(const api_call *c, sshca_env *env)
{
	mp_worker *w = mp_http_req_worker(c->req);

	env->db = c->db;
	env->ks = w->keystore;
	env->key_backend = w->config->keystore_backend;
}

/* Whether the caller may act only for itself (a technician without another role that reads). */
static bool
self_only(const api_call *c)
{
	return (c->who.roles & READERS) == 0;
}

void
api_ssh_ca_list(api_call *c)
{
	api_list_by_id(c, sshca_ca_list, "SSH CAs");
}

void
api_ssh_ca_create(api_call *c)
{
	static const char *const fields[] = { "tenant", "name", "kind", "algorithm", NULL };
	mp_detail d = { { 0 }, { 0 } };
	sshca_ca_new in = { 0 };
	sshca_env env;
	json_t *ca = NULL;
	int r;

	if (!api_only_fields(c, fields) || !api_target_tenant(c, &in.tenant_id) ||
	    !api_string(c, "name", true, NAME_MAX_LEN, &in.name) ||
	    !api_string(c, "kind", true, KIND_MAX_LEN, &in.kind) ||
	    !api_string(c, "algorithm", false, ALGORITHM_MAX_LEN, &in.algorithm))
		return;
	ssh_env(c, &env);
	if ((r = sshca_ca_create(&env, &c->actor, &in, &ca, &d)) != MP_OK) {
		api_ca_fail(c, r, &d, NULL, "SSH CA");
		return;
	}
	api_reply(c, 201, ca);
}

void
api_ssh_ca_get(api_call *c)
{
	api_get_by_id(c, sshca_ca_get, "SSH CA");
}

void
api_ssh_ca_add_key(api_call *c)
{
	static const char *const fields[] = { "algorithm", NULL };
	mp_detail d = { { 0 }, { 0 } };
	const char *algorithm = NULL;
	sshca_env env;
	json_t *ca = NULL;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_only_fields(c, fields) ||
	    !api_string(c, "algorithm", false, ALGORITHM_MAX_LEN, &algorithm))
		return;
	ssh_env(c, &env);
	if ((r = sshca_ca_add_key(&env, &c->actor, api_scope(c), c->params[0], algorithm, NULL,
	    &ca, &d)) != MP_OK) {
		api_ca_fail(c, r, &d, NULL, "SSH CA");
		return;
	}
	api_reply(c, 201, ca);
}

void
api_ssh_ca_retire_key(api_call *c)
{
	static const char *const fields[] = { NULL };
	mp_detail d = { { 0 }, { 0 } };
	sshca_env env;
	json_t *ca = NULL;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_path_uuid(c, c->params[1]) ||
	    !api_only_fields(c, fields))
		return;
	ssh_env(c, &env);
	if ((r = sshca_ca_retire_key(&env, &c->actor, api_scope(c), c->params[0], c->params[1],
	    &ca, &d)) != MP_OK) {
		api_ca_fail(c, r, &d, NULL, "SSH CA");
		return;
	}
	api_reply(c, 200, ca);
}

void
api_ssh_ca_public_key(api_call *c)
{
	mp_buf *text = NULL;
	int r;

	if (!api_path_uuid(c, c->params[0]))
		return;
	if ((text = mp_buf_new(SIZE_MAX)) == NULL) {
		api_fail(c, MP_ERR_NOMEM, "SSH CA");
		return;
	}
	if ((r = sshca_ca_public_keys(c->db, api_scope(c), c->params[0], text)) != MP_OK)
		api_fail(c, r, "SSH CA");
	else
		mp_http_reply(c->req, 200, "text/plain; charset=utf-8", mp_buf_ptr(text),
		    mp_buf_len(text));
	mp_buf_free(text);
}

void
api_ssh_ca_krl(api_call *c)
{
	mp_buf *krl = NULL;
	int r;

	if (!api_path_uuid(c, c->params[0]))
		return;
	if ((krl = mp_buf_new(SIZE_MAX)) == NULL) {
		api_fail(c, MP_ERR_NOMEM, "SSH CA");
		return;
	}
	if ((r = sshca_krl(c->db, api_scope(c), c->params[0], krl)) != MP_OK)
		api_fail(c, r, "SSH CA");
	else
		mp_http_reply(c->req, 200, "application/octet-stream", mp_buf_ptr(krl),
		    mp_buf_len(krl));
	mp_buf_free(krl);
}

void
api_ssh_ca_revoke(api_call *c)
{
	static const char *const fields[] = { "key_id", "public_key", NULL };
	mp_detail d = { { 0 }, { 0 } };
	sshca_revocation_req in = { 0 };
	json_t *out = NULL;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_only_fields(c, fields) ||
	    !api_string(c, "key_id", false, SSHCA_KEY_ID_MAX, &in.key_id) ||
	    !api_string(c, "public_key", false, SSHCA_LINE_MAX, &in.public_key))
		return;
	in.tenant_id = api_scope(c);
	in.ca_id = c->params[0];
	in.public_key_len = in.public_key != NULL ? strlen(in.public_key) : 0;
	if ((r = sshca_ca_revoke(c->db, &c->actor, &in, &out, &d)) != MP_OK) {
		api_ca_fail(c, r, &d, NULL, "SSH CA");
		return;
	}
	api_reply(c, 201, out);
}

void
api_ssh_ca_revocation_list(api_call *c)
{
	json_t *items = NULL;
	char *after = NULL;
	unsigned limit = 0;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_page_by_id(c, &limit, &after))
		return;
	r = sshca_ca_revocations(c->db, api_scope(c), c->params[0], after, limit, &items);
	free(after);
	if (r != MP_OK) {
		api_fail(c, r, "SSH CA");
		return;
	}
	api_reply(c, 200, api_page_result(items, limit, "id"));
}

/* The X-Request-Id header when it is a short token of letters, digits, '.', '_', '-'. */
static const char *
request_id(const api_call *c)
{
	const char *v = mp_http_req_header(c->req, "X-Request-Id");
	size_t n = v != NULL ? strlen(v) : 0;

	if (n == 0 || n > REQUEST_ID_MAX_LEN ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
		return NULL;
	return v;
}

void
api_ssh_user_cert_issue(api_call *c)
{
	static const char *const fields[] = { "user", "public_key", "ttl", "profile", "principals",
		"valid_after", NULL };
	mp_detail d = { { 0 }, { 0 } };
	sshca_user_req in = { 0 };
	json_t *user = NULL, *principals = NULL, *out = NULL;
	int64_t ttl = 0, start = 0;
	sshca_env env;
	bool has, has_start;
	int r;

	if (!api_only_fields(c, fields) || !api_uuid_field(c, "user", false, &in.user_id) ||
	    !api_string(c, "public_key", true, SSHCA_LINE_MAX, &in.public_key) ||
	    !api_duration_member(c, "ttl", TTL_MIN_S, SSHCA_PROFILE_TTL_MAX_S, &has, &ttl) ||
	    !api_string(c, "profile", false, PROFILE_MAX_LEN, &in.profile) ||
	    !api_string_array(c, "principals", SSHCA_PRINCIPALS_MAX, &principals) ||
	    !api_time_member(c, "valid_after", &has_start, &start))
		return;
	if (has_start && (c->who.roles & ISSUERS) == 0) {
		api_error(c, 403, "forbidden", "only an operator or administrator sets valid_after",
		    "valid_after");
		return;
	}
	if (in.user_id == NULL)
		in.user_id = c->who.user_id;
	if ((c->who.roles & ISSUERS) == 0 && strcasecmp(in.user_id, c->who.user_id) != 0) {
		api_error(c, 403, "forbidden", "a technician may ask for its own certificates only",
		    "user");
		return;
	}
	/* the issuer finds the user in the caller's tenant; a platform admin's names its own */
	if ((in.tenant_id = api_scope(c)) == NULL) {
		if (!api_find_member(c, mp_user_get, in.user_id, "user", &user))
			return;
		in.tenant_id = json_string_value(json_object_get(user, "tenant_id"));
		in.user_id = json_string_value(json_object_get(user, "id"));
	}
	in.public_key_len = strlen(in.public_key);
	in.ttl_s = (uint64_t)ttl;
	in.principals = principals;
	in.request_id = request_id(c);
	/* a time before 1970 the issuer refuses as one in the past */
	in.valid_after = has_start ? (start > 0 ? (uint64_t)start : 1) : 0;
	ssh_env(c, &env);
	r = sshca_issue_user(&env, &c->actor, &in, &out, &d);
	json_decref(user);
	if (r != MP_OK) {
		api_ca_fail(c, r, &d, NULL, "SSH certificate");
		return;
	}
	api_reply(c, 201, out);
}

/* The members of a host certificate request beside the device: public_key, ttl, profile. */
static bool
host_members(api_call *c, sshca_host_req *in)
{
	int64_t ttl = 0;
	bool has;

	if (!api_string(c, "public_key", true, SSHCA_LINE_MAX, &in->public_key) ||
	    !api_duration_member(c, "ttl", TTL_MIN_S, SSHCA_PROFILE_TTL_MAX_S, &has, &ttl) ||
	    !api_string(c, "profile", false, PROFILE_MAX_LEN, &in->profile))
		return false;
	in->public_key_len = strlen(in->public_key);
	in->ttl_s = (uint64_t)ttl;
	in->request_id = request_id(c);
	return true;
}

/* Issues the host certificate in and replies with it. */
static void
host_issue(api_call *c, sshca_host_req *in)
{
	mp_detail d = { { 0 }, { 0 } };
	json_t *out = NULL;
	sshca_env env;
	int r;

	ssh_env(c, &env);
	if ((r = sshca_issue_host(&env, &c->actor, in, &out, &d)) != MP_OK) {
		api_ca_fail(c, r, &d, NULL, "SSH certificate");
		return;
	}
	api_reply(c, 201, out);
}

void
api_ssh_host_cert_issue(api_call *c)
{
	static const char *const fields[] = { "device", "public_key", "ttl", "profile", NULL };
	sshca_host_req in = { 0 };
	json_t *dev = NULL;

	if (!api_only_fields(c, fields) || !api_uuid_field(c, "device", true, &in.device_id) ||
	    !host_members(c, &in))
		return;
	if (!api_find_member(c, mp_device_get, in.device_id, "device", &dev))
		return;
	in.tenant_id = json_string_value(json_object_get(dev, "tenant_id"));
	in.device_id = json_string_value(json_object_get(dev, "id"));
	host_issue(c, &in);
	json_decref(dev);
}

void
api_ssh_device_host_cert_issue(api_call *c)
{
	static const char *const fields[] = { "public_key", "ttl", NULL };
	sshca_host_req in = { 0 };

	if (!api_only_fields(c, fields) || !host_members(c, &in))
		return;
	in.tenant_id = json_string_value(json_object_get(c->device_cert, "tenant_id"));
	in.device_id = json_string_value(json_object_get(c->device_cert, "device_id"));
	host_issue(c, &in);
}

void
api_ssh_cert_list(api_call *c)
{
	sshca_cert_filter f = { 0 };
	json_t *items = NULL;
	char *after = NULL;
	int r;

	if (!api_query_uuid(c, "user", &f.user_id) || !api_query_uuid(c, "device", &f.device_id) ||
	    !api_query_uuid(c, "ca", &f.ca_id) || !api_query_text(c, "status", 16, &f.status))
		return;
	if (f.status != NULL && !api_in_set(cert_statuses, f.status)) {
		api_error(c, 400, "invalid_value", "'status' may be active, expired or revoked",
		    "status");
		return;
	}
	if (self_only(c)) {
		if (f.user_id != NULL && strcasecmp(f.user_id, c->who.user_id) != 0) {
			api_error(c, 403, "forbidden", "a technician sees its own certificates only",
			    "user");
			return;
		}
		f.user_id = c->who.user_id;
	}
	if (!api_page_by_id(c, &f.limit, &after))
		return;
	f.after_id = after;
	r = sshca_cert_list(c->db, api_scope(c), &f, &items);
	free(after);
	if (r != MP_OK) {
		api_fail(c, r, "SSH certificates");
		return;
	}
	api_reply(c, 200, api_page_result(items, f.limit, "id"));
}

void
api_ssh_cert_get(api_call *c)
{
	const char *owner;
	json_t *cert = NULL;
	int r;

	if (!api_path_uuid(c, c->params[0]))
		return;
	if ((r = sshca_cert_get(c->db, api_scope(c), c->params[0], &cert)) != MP_OK) {
		api_fail(c, r, "SSH certificate");
		return;
	}
	owner = json_string_value(json_object_get(cert, "user_id"));
	if (self_only(c) && (owner == NULL || strcasecmp(owner, c->who.user_id) != 0)) {
		json_decref(cert);
		api_fail(c, MP_ERR_NOT_FOUND, "SSH certificate");
		return;
	}
	api_reply(c, 200, cert);
}

void
api_ssh_cert_revoke(api_call *c)
{
	static const char *const fields[] = { NULL };
	json_t *cert = NULL;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_only_fields(c, fields))
		return;
	if ((r = sshca_cert_revoke(c->db, &c->actor, api_scope(c), c->params[0], &cert)) != MP_OK) {
		if (r == MP_ERR_CONFLICT)
			api_error(c, 409, "conflict", "the certificate is revoked already", NULL);
		else
			api_fail(c, r, "SSH certificate");
		return;
	}
	api_reply(c, 200, cert);
}
