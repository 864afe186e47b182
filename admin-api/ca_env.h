/*
 * Calling the X.509 issuer (ca/ca.h) from a handler: the one place that
 * builds its context from the worker, and the one mapping of its refusals
 * (with their ca_detail) onto API errors.
 */
#ifndef ADMIN_CA_ENV_H
#define ADMIN_CA_ENV_H

#include "api.h"
#include "ca.h"

/* The issuer context of c's worker: its database, the key store, our public URL and key backend. */
void api_ca_env(const api_call *c, ca_env *env);

/*
 * Replies to a failed issuer call with d's field and message (the field
 * prefixed with prefix, e.g. "body.", when given and not already there):
 * MP_ERR_INVALID (and MP_ERR_UNSUPPORTED) 400 "invalid", MP_ERR_POLICY 422
 * "refused_by_policy", MP_ERR_CONFLICT 409, MP_ERR_DENIED 403,
 * MP_ERR_NOT_FOUND 404; without a detail, or for another error, as
 * api_fail(c, err, what).
 */
void api_ca_fail(api_call *c, int err, const ca_detail *d, const char *prefix, const char *what);

/*
 * Replies to a refused issuance (ca_issue, ca_request_approve): a profile or
 * device that does not exist is 404 naming it; everything else as
 * api_ca_fail (e.g. 400 for a CSR that does not decode or verify, 422 naming
 * what the profile refuses, 409 for a device that is not active).
 */
void api_ca_issue_fail(api_call *c, int err, const ca_detail *d);

#endif
