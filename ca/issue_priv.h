/* Issuance steps shared by ca_issue, request approval and the platform's service certificates. */
#ifndef CA_ISSUE_PRIV_H
#define CA_ISSUE_PRIV_H

#include <stdbool.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "ca.h"
#include "csr.h"
#include "profile.h"

#define CA_REQUEST_COLUMNS "id, tenant_id, device_id, profile_id, status, requested_by," \
	" decided_by, certificate_id, validity_s, created_at, decided_at"

/* An x509 profile row, parsed. */
typedef struct ca_issue_profile {
	char *id;
	char *name;
	bool approval;
	ca_profile *parsed;
} ca_issue_profile;

/*
 * Loads x509 profile ref (id or name) of tenant_id, else of the platform.
 * MP_ERR_NOT_FOUND (field "profile") when there is none.
 */
int ca_issue_profile_load(mp_db *db, const char *tenant_id, const char *ref,
    ca_issue_profile *out, ca_detail *d);
void ca_issue_profile_clear(ca_issue_profile *p);

/* One certificate to issue now: for a device (from a CSR) or a service (from a key). */
typedef struct ca_issue_in {
	const char *tenant_id;
	const char *tenant_name;
	const char *device_id;     /* or */
	const char *service;       /* e.g. "tls", "ocsp:<ca id>" */
	const json_t *device;
	const ca_issue_profile *profile;
	const ca_csr *csr;         /* a device's request, or NULL and: */
	EVP_PKEY *pub;
	const char *subject;
	const json_t *sans;
	const char *key_id;        /* the service key we hold, recorded with the certificate */
	const char *ca_id;         /* the issuing CA; NULL: the profile's */
	int64_t validity_s;
} ca_issue_in;

/*
 * Builds, signs and commits one certificate (its identity, certificate row
 * and audit entry in one transaction) and sets *out to its object; *cert_out
 * (may be NULL) gets the certificate. MP_ERR_CONFLICT when the device is no
 * longer active or the CA cannot issue; MP_ERR_POLICY from the profile check.
 */
int ca_issue_now(const ca_env *env, const mp_actor *actor, const ca_issue_in *in, json_t **out,
    X509 **cert_out, ca_detail *d);

/*
 * ca_issue, with allow_pending false for an approved request (issue even
 * when the profile needs approval); with keygen, for a key made here, which
 * *keygen receives it (ca_issue_keygen).
 */
int ca_issue_for_device(const ca_env *env, const mp_actor *actor, const ca_issue_req *req,
    bool allow_pending, EVP_PKEY **keygen, json_t **out, bool *pending, ca_detail *d);

#endif
