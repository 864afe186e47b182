#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ca.h"
#include "err.h"
#include "idempotency.h"
#include "json.h"
#include "log.h"
#include "secure.h"

#define MAX_KEY_LEN 256

const char *
api_scope(const api_call *c)
{
	return api_is_platform_admin(c) ? NULL : c->who.tenant_id;
}

bool
api_is_platform_admin(const api_call *c)
{
	return (c->who.roles & MP_ROLE_PLATFORM_ADMIN) != 0;
}

void
api_error(api_call *c, int status, const char *code, const char *message, const char *field)
{
	char *doc = NULL;
	size_t len;

	if (c->idem_key == NULL || mp_json_error_doc(code, message, field, &doc, &len) != MP_OK) {
		api_idem_finish(c, 500, NULL);
		mp_http_reply_error(c->req, status, code, message, field);
		return;
	}
	api_idem_finish(c, status, doc);
	mp_http_reply(c->req, status, "application/json", doc, len);
	free(doc);
}

void
api_fail(api_call *c, int err, const char *what)
{
	char msg[160];

	switch (err) {
	case MP_ERR_NOT_FOUND:
		snprintf(msg, sizeof(msg), "%s not found", what);
		api_error(c, 404, "not_found", msg, NULL);
		return;
	case MP_ERR_CONFLICT:
		snprintf(msg, sizeof(msg), "%s conflicts with an existing one", what);
		api_error(c, 409, "conflict", msg, NULL);
		return;
	case MP_ERR_INVALID:
		snprintf(msg, sizeof(msg), "%s: a value is invalid", what);
		api_error(c, 400, "invalid", msg, NULL);
		return;
	case MP_ERR_POLICY:
		snprintf(msg, sizeof(msg), "%s refused by policy", what);
		api_error(c, 422, "refused_by_policy", msg, NULL);
		return;
	case MP_ERR_DENIED:
		api_error(c, 403, "forbidden", "this action is not allowed for your roles", NULL);
		return;
	case MP_ERR_DB_UNAVAILABLE:
		api_error(c, 503, "database_unavailable", "the database is not reachable; retry later",
		    NULL);
		return;
	}
	mp_error("%s: %s: %s", what, mp_strerror(err), mp_db_errmsg(c->db));
	api_error(c, 500, "internal", "internal error", NULL);
}

/* Renames the engine's column names to the API's field names, in place. */
static void
present(json_t *obj)
{
	json_t *v;

	if (!json_is_object(obj))
		return;
	if ((v = json_object_get(obj, "tenant_id")) != NULL) {
		json_object_set(obj, "tenant", v);
		json_object_del(obj, "tenant_id");
	}
}

void
api_reply(api_call *c, int status, json_t *obj)
{
	json_t *items = json_object_get(obj, "items"), *it;
	size_t i;

	char *doc;

	present(obj);
	json_array_foreach(items, i, it)
		present(it);
	if (c->idem_key == NULL) {
		mp_http_reply_json(c->req, status, obj);
		return;
	}
	if (c->route->secret != NULL) {
		/* a replay gets the object without the secret, which is shown once */
		json_t *kept = json_copy(obj);

		doc = kept != NULL && json_object_set_new(kept, c->route->secret, json_null()) == 0 ?
		    json_dumps(kept, JSON_COMPACT) : NULL;
		json_decref(kept);
	} else {
		doc = json_dumps(obj, JSON_COMPACT);
	}
	api_idem_finish(c, doc != NULL ? status : 500, doc);
	free(doc);
	mp_http_reply_json(c->req, status, obj);
}

#define MAX_SEGMENTS 8

/*
 * Splits path ("/a/b/c", below the prefix) in place into its segments; 0 for
 * an empty segment or more than MAX_SEGMENTS (such a path matches no route).
 */
static size_t
split(char *path, char **segs)
{
	size_t n = 0;

	while (*path == '/') {
		*path++ = '\0';
		if (n == MAX_SEGMENTS || *path == '\0' || *path == '/')
			return 0;
		segs[n++] = path;
		path += strcspn(path, "/");
	}
	return *path == '\0' ? n : 0;
}

/* Whether pattern matches the segments; params (may be NULL) get the "{...}" ones. */
static bool
match(const char *pattern, char *const *segs, size_t n, const char **params)
{
	size_t np = 0;

	for (size_t i = 0; i < n; i++) {
		size_t len;

		if (*pattern++ != '/')
			return false;
		len = strcspn(pattern, "/");
		if (pattern[0] == '{') {
			if (np == API_MAX_PARAMS)
				return false;
			if (params != NULL)
				params[np] = segs[i];
			np++;
		} else if (strlen(segs[i]) != len || strncmp(pattern, segs[i], len) != 0) {
			return false;
		}
		pattern += len;
	}
	return *pattern == '\0';
}

/* Finds the route; replies 404 or 405 (with Allow) and returns NULL when there is none. */
static const api_route *
find_route(api_call *c, const char *method, const char *path)
{
	char allow[128] = "", *segs[MAX_SEGMENTS];
	size_t off = 0, n;

	if ((c->segments = strdup(path)) == NULL) {
		api_fail(c, MP_ERR_NOMEM, "request");
		return NULL;
	}
	n = split(c->segments, segs);
	for (size_t i = 0; n > 0 && i < api_routes_count; i++) {
		const api_route *r = &api_routes[i];

		if (!match(r->pattern, segs, n, NULL))
			continue;
		if (strcmp(r->method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)) {
			match(r->pattern, segs, n, c->params);
			return r;
		}
		if (strstr(allow, r->method) == NULL && off + strlen(r->method) + 3 < sizeof(allow))
			off += (size_t)snprintf(allow + off, sizeof(allow) - off, "%s%s",
			    off ? ", " : "", r->method);
	}
	if (off > 0) {
		mp_http_set_header(c->req, "Allow", allow);
		api_error(c, 405, "method_not_allowed", "this method is not allowed on this path",
		    NULL);
	} else {
		api_error(c, 404, "not_found", "no such path", NULL);
	}
	return NULL;
}

/* Authenticates the bearer API key; replies 401/503 and returns false on failure. */
static bool
authenticate(api_call *c)
{
	const char *h = mp_http_req_header(c->req, "Authorization");
	char *key = NULL;
	size_t n;
	int r;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		mp_http_set_header(c->req, "WWW-Authenticate", "Bearer realm=\"midpki\"");
		api_error(c, 401, "unauthenticated",
		    "an API key is required: Authorization: Bearer <key>", NULL);
		return false;
	}
	h += 7;
	while (*h == ' ')
		h++;
	n = strlen(h);
	if (n == 0 || n > MAX_KEY_LEN || (key = strndup(h, n)) == NULL) {
		mp_http_set_header(c->req, "WWW-Authenticate", "Bearer realm=\"midpki\"");
		api_error(c, 401, "unauthenticated", "the API key is not valid", NULL);
		return false;
	}
	r = mp_apikey_authenticate(c->db, key, &c->who);
	mp_free_secret_str(key);
	if (r == MP_OK) {
		c->actor = (mp_actor){ "user", c->who.user_id, c->who.tenant_id };
		return true;
	}
	if (r == MP_ERR_DB_UNAVAILABLE) {
		api_fail(c, r, "authentication");
		return false;
	}
	mp_http_set_header(c->req, "WWW-Authenticate", "Bearer realm=\"midpki\"");
	if (r == MP_ERR_EXPIRED)
		api_error(c, 401, "credential_expired", "the API key has expired", NULL);
	else
		api_error(c, 401, "unauthenticated", "the API key is not valid", NULL);
	return false;
}

/*
 * Authenticates a device by its TLS client certificate (ca_cert_operational);
 * replies 401/403/503 and returns false on failure.
 */
static bool
authenticate_device(api_call *c)
{
	const char *why = NULL;
	int r;

	r = ca_cert_operational(c->db, mp_http_req_peer_cert(c->req), &c->device_cert, &why);
	if (r == MP_OK) {
		snprintf(c->who.tenant_id, sizeof(c->who.tenant_id), "%s",
		    json_string_value(json_object_get(c->device_cert, "tenant_id")));
		c->actor = (mp_actor){ "device",
			json_string_value(json_object_get(c->device_cert, "device_id")),
			c->who.tenant_id };
		return true;
	}
	if (r == MP_ERR_UNAUTHENTICATED)
		api_error(c, 401, "unauthenticated", why, NULL);
	else if (r == MP_ERR_DENIED)
		api_error(c, 403, "forbidden", why, NULL);
	else
		api_fail(c, r, "client certificate");
	return false;
}

/* Parses the body of a POST or PATCH into c->body; replies 415/400 on failure. */
static bool
read_body(api_call *c)
{
	const uint8_t *body;
	size_t len;
	char err[256];

	body = mp_http_req_body(c->req, &len);
	if (!mp_http_media_type_is(mp_http_req_header(c->req, "Content-Type"), "application/json")) {
		api_error(c, 415, "unsupported_media_type",
		    "the request body must be JSON (Content-Type: application/json)", NULL);
		return false;
	}
	if (mp_json_parse_body((const char *)body, len, API_MAX_DEPTH, &c->body, err,
		sizeof(err)) != MP_OK) {
		api_error(c, 400, "malformed_json", err, NULL);
		return false;
	}
	if (!json_is_object(c->body)) {
		api_error(c, 400, "malformed_json", "the request body must be a JSON object", NULL);
		return false;
	}
	return true;
}

void
api_dispatch(mp_http_req *req, void *arg)
{
	const char *method = mp_http_req_method(req), *path = mp_http_req_path(req);
	mp_worker *w = mp_http_req_worker(req);
	const api_route *r;
	api_call c;
	size_t len;

	(void)arg;
	memset(&c, 0, sizeof(c));
	c.req = req;
	c.db = w->db;
	if ((r = find_route(&c, method, path + strlen(API_PREFIX))) == NULL)
		goto out;
	c.route = r;
	mp_http_req_body(req, &len);
	if (!api_route_is_bulk(r) && len > mp_http_req_max_body(req)) {
		api_error(&c, 413, "body_too_large", "the request body exceeds the size limit", NULL);
		goto out;
	}
	if (r->roles & API_ANONYMOUS) {
		r->fn(&c);
		goto out;
	}
	if ((r->roles & API_DEVICE) && mp_http_req_peer_cert(req) != NULL) {
		if (authenticate_device(&c) && (strcmp(method, "POST") != 0 || read_body(&c)))
			r->fn(&c);
		goto out;
	}
	if (!authenticate(&c))
		goto out;
	if ((c.who.roles & r->roles) == 0) {
		api_error(&c, 403, "forbidden", "this action is not allowed for your roles", NULL);
		goto out;
	}
	if ((strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0) &&
	    !api_route_is_bulk(r) && !read_body(&c))
		goto out;
	if (strcmp(method, "POST") == 0 && !api_idem_begin(&c))
		goto out;
	r->fn(&c);
out:
	json_decref(c.body);
	json_decref(c.device_cert);
	free(c.segments);
}
