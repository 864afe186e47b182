/*
 * X.509 certificate profiles: the JSON body of a profile of kind "x509"
 * (docs/profiles.md describes every field), parsed and checked once into a
 * ca_profile that ca_cert_build applies. Immutable after parsing, so one
 * parsed profile may be shared between threads.
 */
#ifndef CA_PROFILE_H
#define CA_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ca.h"

typedef struct ca_profile ca_profile;   /* a parsed, validated x509 profile body */
/* Parses and validates a profile body (a JSON object); MP_ERR_INVALID with d->field
 * naming the JSON path (e.g. "validity.max", "key_algorithms[2]") on any error. */
int ca_profile_parse(const json_t *body, ca_profile **out, ca_detail *d);
void ca_profile_free(ca_profile *p);
const char *ca_profile_ca(const ca_profile *p);        /* issuing CA name; "devices" by default */
int64_t ca_profile_default_validity(const ca_profile *p); /* seconds */
int64_t ca_profile_max_validity(const ca_profile *p);
bool ca_profile_pre_enrollment(const ca_profile *p);   /* only for first EST enrollment */
/*
 * Proof-of-possession linking (RFC 7030 3.5): whether the CSR's
 * challengePassword must carry the TLS channel binding of the connection it
 * came on (required), must match it when it carries one (optional), or is
 * not looked at (none, the default).
 */
typedef enum ca_channel_binding {
	CA_CB_NONE = 0,
	CA_CB_OPTIONAL,
	CA_CB_REQUIRED,
} ca_channel_binding;
ca_channel_binding ca_profile_channel_binding(const ca_profile *p);
/* Whether a certificate renewed over EST is revoked (superseded) once its successor is issued. */
bool ca_profile_revoke_on_renewal(const ca_profile *p);
/* The built-in profiles: name, body as JSON text, approval_required. */
typedef struct ca_builtin_profile { const char *name; const char *body_json; bool approval_required; } ca_builtin_profile;
const ca_builtin_profile *ca_builtin_profiles(size_t *n);

#endif
