/*
 * The admin REST API under /api/v1: one table of routes, each with the roles
 * that may call it, and one dispatcher that matches the path, authenticates
 * the caller (Authorization: Bearer <api key>, or for the routes of devices
 * their TLS client certificate), checks the role, parses the
 * JSON body and calls the handler. Conventions (docs/admin-api.md): 401 without
 * a valid credential, 403 for a forbidden action, 404 for an object of another
 * tenant exactly as for one that does not exist, errors as
 * {"error":{"code","message","field"}}.
 */
#ifndef ADMIN_API_H
#define ADMIN_API_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "apikeys.h"
#include "audit.h"
#include "http.h"
#include "users.h"
#include "worker.h"

#define API_PREFIX "/api/v1"
#define API_MAX_PARAMS 3
#define API_MAX_DEPTH 16

/* Every role: for routes any authenticated user may call. */
#define API_ROLES_ALL                                                                    \
	(MP_ROLE_PLATFORM_ADMIN | MP_ROLE_TENANT_ADMIN | MP_ROLE_OPERATOR | MP_ROLE_AUDITOR | \
	    MP_ROLE_TECHNICIAN)

/* A route that needs no credential at all: public documents only (the OpenAPI document). */
#define API_ANONYMOUS (1u << 31)
/*
 * A route for devices: the caller authenticates with its operational X.509
 * certificate as TLS client certificate (ca_cert_operational); a caller with
 * an API key instead gets 403.
 */
#define API_DEVICE (1u << 30)

typedef struct api_route api_route;

typedef struct api_call {
	mp_http_req *req;
	const api_route *route;
	mp_db *db;
	mp_principal who;
	mp_actor actor;
	json_t *device_cert;                /* API_DEVICE: the caller's certificate row */
	const char *params[API_MAX_PARAMS]; /* path parameters, in pattern order */
	json_t *body;                       /* the JSON object of a POST or PATCH (not bulk) */
	char *segments;                     /* storage behind params */
	const char *idem_key;               /* Idempotency-Key whose response is recorded */
} api_call;

typedef void (*api_handler)(api_call *c);

struct api_route {
	const char *method;
	const char *pattern; /* below API_PREFIX; "{name}" matches one path segment */
	unsigned roles;      /* mp_role bits allowed to call it, or API_ANONYMOUS */
	api_handler fn;
	const char *secret;  /* a response member shown once: never stored for a replay */
};

extern const api_route api_routes[];
extern const size_t api_routes_count;

/*
 * Whether route r takes a bulk body (CSV or JSON lines, up to [http]
 * max_import_bytes) that its handler reads itself; every other route gets
 * its JSON body parsed into c->body and limited to [http] max_body_bytes.
 */
bool api_route_is_bulk(const api_route *r);

/* The mp_http handler for every method under API_PREFIX. */
void api_dispatch(mp_http_req *req, void *arg);

/* NULL for a platform admin (every tenant), else the caller's tenant: scopes reads. */
const char *api_scope(const api_call *c);
bool api_is_platform_admin(const api_call *c);

/* Replies with an error document; field may be NULL. */
void api_error(api_call *c, int status, const char *code, const char *message, const char *field);

/*
 * Replies with the HTTP status that an engine error means: MP_ERR_NOT_FOUND
 * 404 "<what> not found", MP_ERR_CONFLICT 409, MP_ERR_INVALID 400,
 * MP_ERR_POLICY 422, MP_ERR_DENIED 403, MP_ERR_DB_UNAVAILABLE 503, else 500.
 */
void api_fail(api_call *c, int err, const char *what);

/*
 * Replies with obj (taking ownership) after renaming engine column names to
 * the API's field names (tenant_id becomes tenant), also inside "items".
 */
void api_reply(api_call *c, int status, json_t *obj);


#endif
