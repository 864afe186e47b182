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
 * Replies to a failed issuer call: MP_ERR_INVALID is 400 "invalid" and
 * MP_ERR_POLICY 422 "refused_by_policy", each with d's field and message
 * (field prefixed with prefix, e.g. "body.", when given and not already
 * there); every other error as api_fail(c, err, what).
 */
void api_ca_fail(api_call *c, int err, const ca_detail *d, const char *prefix, const char *what);

/*
 * Replies to a refused issuance (ca_issue, ca_request_approve): 404 naming
 * the profile (or d's field), 409 for a device that is not active or a
 * retired CA, 400 "invalid" for a CSR that does not parse (field csr_pem
 * unless d names one), 422 with d's field for what the profile refuses.
 */
void api_ca_issue_fail(api_call *c, int err, const ca_detail *d);

#endif
