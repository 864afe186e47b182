/*
 * The X.509 issuer: certification authorities, issuance under a profile,
 * certificate lifecycle (revoke, suspend, resume) and approval of requests.
 * Every change runs in one transaction with its audit entry and, for a
 * certificate, its identity row; a certificate is committed before any
 * function returns it. Objects are jansson objects (common/dbjson.h); reads
 * take a tenant_id that scopes them (NULL: any tenant, for platform
 * administrators); an object of another tenant is MP_ERR_NOT_FOUND.
 * Platform CAs (of the tenant "platform") may issue for every tenant and are
 * visible to all; a tenant's own CAs only to it.
 */
#ifndef CA_CA_H
#define CA_CA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "audit.h"
#include "db.h"
#include "refusal.h"
#include "keystore.h"

/* What every issuer call needs: the caller's connection, the key store, our public URLs. */
typedef struct ca_env {
	mp_db *db;
	mp_keystore *ks;
	/* Base URL of the OCSP/CRL listener as devices reach it, e.g. "http://pki.example:8080". */
	const char *public_url;
	/* Where new CA keys go: "software" or "pkcs11". */
	const char *key_backend;
	/* State shared by the threads of a process (ca_shared_new), or NULL. */
	struct ca_shared *shared;
} ca_env;

/*
 * The issuer context of a frontend's worker thread (common/worker.h): its
 * connection, the key store, the configured public URL and key backend, the
 * shared issuing state.
 */
struct mp_worker;
void ca_env_of_worker(const struct mp_worker *w, ca_env *env);

/*
 * What the issuing threads of one process share: batchers through which
 * concurrent issuances read their devices and commit their certificates
 * together (mp_db_batch), and a cache of the CAs they sign with, each entry
 * kept for CA_SIGNER_CACHE_MS. The cache only saves reading the CA and its
 * chain: whether the CA is still active is checked again when each
 * certificate is committed. Without it (env.shared NULL) every issuance
 * reads alone and commits alone.
 */
typedef struct ca_shared ca_shared;
#define CA_SIGNER_CACHE_MS 5000
/* NULL on ENOMEM. */
ca_shared *ca_shared_new(void);
/* s may be NULL; no issuance may be running. */
void ca_shared_free(ca_shared *s);

/* Extra words on a refusal: which field of the input or profile, and why. */
typedef mp_detail ca_detail;

/* A new CA: a root when parent_id is NULL, else an intermediate signed by parent_id. */
typedef struct ca_new {
	const char *tenant_id;  /* owner; the platform tenant for platform CAs */
	const char *name;       /* unique in the tenant */
	const char *parent_id;  /* NULL: self-signed root */
	const char *algorithm;  /* key spec name (keystore.h), NULL: "ec-p384" root, "ec-p256" else */
	const char *backend;    /* NULL: env->key_backend */
	const char *subject;    /* "CN=...,O=...", RFC 4514 order as written */
	int64_t validity_s;     /* 0: 20 years for a root, 10 for an intermediate (at most its parent's end) */
	int path_len;           /* -1: no constraint */
	json_t *permitted;      /* name constraints: array of "dns:x", "ip:a/n", "email:x", "uri:x"; may be NULL */
	json_t *excluded;       /* same form; may be NULL */
} ca_new;

/*
 * Creates a CA with a fresh key, audited as ca.create. A CA object carries id,
 * tenant_id, name, parent_id, key_id, subject, not_before, not_after, status,
 * role ("ca" or "trusted"), algorithm, crl_number, certificate_pem (not in
 * lists), created_at, updated_at.
 * MP_ERR_INVALID with *detail for a bad subject, algorithm, validity beyond
 * the parent's, or a retired/trusted-only parent.
 */
int ca_create(const ca_env *env, const mp_actor *actor, const ca_new *in, json_t **out,
    ca_detail *detail);

/*
 * Imports an external CA certificate (PEM); with key_pem (may be NULL) a CA
 * we operate, without one a CA we only trust. The key must match the
 * certificate and the certificate must be a CA. Audited as ca.import.
 */
int ca_import(const ca_env *env, const mp_actor *actor, const char *tenant_id, const char *name,
    const char *cert_pem, const char *key_pem, json_t **out, ca_detail *detail);

int ca_get(mp_db *db, const char *tenant_id, const char *id, json_t **out);
/* CAs visible to tenant_id ordered by id, after after_id (may be NULL), at most limit. */
int ca_list(mp_db *db, const char *tenant_id, const char *after_id, unsigned limit,
    json_t **out);
/* The chain of CA id as PEM: the CA first, then each parent up to and including the root. */
int ca_chain_pem(mp_db *db, const char *tenant_id, const char *id, char **pem_out);
/* Retires the CA: no new issuance; status and CRLs are still served. Audited as ca.retire. */
int ca_retire(const ca_env *env, const mp_actor *actor, const char *tenant_id, const char *id,
    json_t **out);

/* An issuance request from an operator (or, later, a device over EST). */
typedef struct ca_issue_req {
	const char *tenant_id;  /* the device's tenant */
	const char *device_id;
	const char *profile;    /* profile name or id, of the tenant or a platform profile */
	const char *csr;        /* PEM or DER */
	size_t csr_len;
	int64_t validity_s;     /* 0: the profile's default */
	/*
	 * The TLS channel binding of the connection the request came on, base64
	 * (tls-unique on TLS 1.2, tls-exporter on TLS 1.3), for profiles that
	 * link proof of possession to it; NULL when there is none (admin API).
	 */
	const char *channel_binding;
} ca_issue_req;

/*
 * Checks the CSR (signature, key, names) against the profile and the device
 * record and issues, or, when the profile needs approval, records a pending
 * request. A certificate object: id, serial (hex), certificate_pem, chain_pem
 * (issuing CA first, root excluded), not_before, not_after, status, ca_id,
 * device_id, profile_id. A pending request: id, status "pending", device_id,
 * profile_id, requested_by. *pending says which one *out is.
 * MP_ERR_INVALID with *detail for a CSR that does not parse or whose
 * signature fails; MP_ERR_POLICY with *detail naming the field for anything
 * the profile or the device record does not allow (field
 * "csr.challengePassword" when the profile's channel binding is not met); MP_ERR_NOT_FOUND (field
 * "device" or "profile") for either that does not exist; MP_ERR_CONFLICT for
 * a device that is not active or a retired CA.
 */
int ca_issue(const ca_env *env, const mp_actor *actor, const ca_issue_req *req, json_t **out,
    bool *pending, ca_detail *detail);

/*
 * ca_issue for clients that repeat a request until it is decided (EST): for
 * a profile that needs approval, when the device has a request for the key
 * the CSR is for already (ca_request_find_key), it answers instead of a new
 * one: still pending, *pending and *out that request; approved, *out that
 * request with its certificate_pem; rejected, MP_ERR_DENIED (field
 * "request").
 */
int ca_issue_repeatable(const ca_env *env, const mp_actor *actor, const ca_issue_req *req,
    json_t **out, bool *pending, ca_detail *detail);

/*
 * What a device is told before it enrolls under profile (id or name, of
 * tenant_id or the platform; tenant_id NULL: the platform's): an object with
 * profile_id, profile (its name), ca_id (the CA it issues from), chain_pem
 * (that CA first, up to and including the root), key_algorithms (the key
 * names the profile accepts, e.g. ["ec-p256", "rsa"]) and rsa_min_bits.
 * MP_ERR_NOT_FOUND with *detail (field "profile" or "profile.ca") when the
 * profile or its CA does not exist.
 */
int ca_enroll_info(mp_db *db, const char *tenant_id, const char *profile, json_t **out,
    ca_detail *detail);

/*
 * ca_issue for a key made here (RFC 7030 serverkeygen): the CSR is checked as
 * for ca_issue (names, signature, channel binding) but the certificate is
 * for a fresh key of the first kind the profile allows of P-256, P-384, RSA
 * (3072 bits, or the profile's minimum when larger), Ed25519. *out gets the
 * certificate object, *pkcs8 the private key as DER PKCS#8 PrivateKeyInfo
 * (the caller wipes and frees it with OPENSSL_clear_free). MP_ERR_POLICY
 * (field "profile") for a profile that needs approval: the key is not kept.
 */
int ca_issue_keygen(const ca_env *env, const mp_actor *actor, const ca_issue_req *req,
    json_t **out, uint8_t **pkcs8, size_t *pkcs8_len, ca_detail *detail);

/* Certificate list filters; each NULL or 0 member matches any certificate. */
typedef struct ca_cert_filter {
	const char *device_id;
	const char *serial;          /* hex */
	const char *status;          /* active, suspended, revoked, expired */
	const char *profile_id;
	const char *ca_id;
	int64_t expiring_before;     /* Unix seconds */
} ca_cert_filter;

/* Certificates ordered by id, after after_id (may be NULL), at most limit; no PEM in list items. */
int ca_cert_list(mp_db *db, const char *tenant_id, const ca_cert_filter *f,
    const char *after_id, unsigned limit, json_t **out);
/*
 * One certificate: the list fields (id, tenant_id, serial, status, ca_id,
 * device_id, service, profile_id, profile, subject, not_before, not_after,
 * revoked_at, reason, invalidity_date, created_at) plus certificate_pem,
 * chain_pem and "parsed" (ca_cert_describe: issuer, san, key_algorithm,
 * extensions ...).
 */
int ca_cert_get(mp_db *db, const char *tenant_id, const char *id, json_t **out);

/*
 * The certificate a client presented (e.g. as its TLS client certificate),
 * when it is byte for byte one we issued: its row as in ca_cert_list, status
 * "expired" once past notAfter, pre_enrollment (true when its profile is
 * only for a first EST enrollment) and revoke_on_renewal (its profile's
 * on_renewal is "revoke"). MP_ERR_NOT_FOUND for any other certificate.
 */
int ca_cert_presented(mp_db *db, X509 *x, json_t **out);

/*
 * Whether x, a TLS client certificate, is a device's operational certificate
 * that may authenticate it (EST re-enrollment, SSH host certificates): within
 * its validity, byte for byte one we issued (so it chains to one of our CAs),
 * active (not revoked, suspended or expired), a device's and not of a
 * pre-enrollment profile, and the device active. Its row as
 * ca_cert_presented gives it in *out. MP_ERR_UNAUTHENTICATED (outside its
 * validity, not ours) or MP_ERR_DENIED (the rest) with *why a static
 * message; MP_ERR_DB_UNAVAILABLE and the like otherwise.
 */
int ca_cert_operational(mp_db *db, X509 *x, json_t **out, const char **why);

/*
 * Revokes with an RFC 5280 reason name ("unspecified", "keyCompromise", ...,
 * not "certificateHold": that is ca_cert_suspend); invalidity_date (Unix
 * seconds, 0: none) is the time of compromise. Revoking a revoked certificate
 * is MP_ERR_CONFLICT; a held one may be revoked. Audited as certificate.revoke.
 */
int ca_cert_revoke(const ca_env *env, const mp_actor *actor, const char *tenant_id,
    const char *id, const char *reason, int64_t invalidity_date, json_t **out,
    ca_detail *detail);
/*
 * Puts an active certificate on hold (certificateHold); audited as
 * certificate.suspend. MP_ERR_CONFLICT (detail "status") when it is not active.
 */
int ca_cert_suspend(const ca_env *env, const mp_actor *actor, const char *tenant_id,
    const char *id, json_t **out, ca_detail *detail);
/* Takes a held certificate off hold; audited as certificate.resume. MP_ERR_CONFLICT unless held. */
int ca_cert_resume(const ca_env *env, const mp_actor *actor, const char *tenant_id,
    const char *id, json_t **out, ca_detail *detail);

/* Pending and decided requests ordered by id; status NULL for all. */
int ca_request_list(mp_db *db, const char *tenant_id, const char *status, const char *after_id,
    unsigned limit, json_t **out);
int ca_request_get(mp_db *db, const char *tenant_id, const char *id, json_t **out);
/*
 * The newest of the recent requests of device_id (of tenant_id) for the
 * public key that csr (PEM or DER) asks for, its signature checked so that
 * the caller holds that key: as ca_request_get shows it, plus
 * certificate_pem once it was approved. A client that repeats a request
 * builds a new CSR for the same key (a new signature, a new channel
 * binding), so the key is what matches. MP_ERR_NOT_FOUND when there is none;
 * MP_ERR_INVALID for a csr that does not decode or verify.
 */
int ca_request_find_key(mp_db *db, const char *tenant_id, const char *device_id,
    const uint8_t *csr, size_t csr_len, json_t **out);
/*
 * Approves (issuing the certificate, returned in *out as by ca_issue) or
 * rejects a pending request. MP_ERR_DENIED when actor is the requester;
 * MP_ERR_CONFLICT when it is no longer pending.
 */
int ca_request_approve(const ca_env *env, const mp_actor *actor, const char *tenant_id,
    const char *id, json_t **out, ca_detail *detail);
int ca_request_reject(const ca_env *env, const mp_actor *actor, const char *tenant_id,
    const char *id, json_t **out);

/*
 * Makes sure the platform has what the CA needs, idempotently and under an
 * advisory lock: the built-in profiles (rows of the platform tenant) and the
 * default hierarchy, CA "root" (ec-p384) and its child CA "devices" (ec-p256,
 * path length 0). The platform tenant must exist (mp_engine_bootstrap_admin).
 */
int ca_bootstrap(const ca_env *env);

/* The platform root CA's certificate as PEM: what clients trust. */
int ca_trust_pem(const ca_env *env, char **pem_out);

/* A certificate the platform holds for one of its own services, with its key. */
typedef struct ca_service_cert {
	char id[MP_UUID_STR_LEN + 1]; /* its certificates.id */
	int64_t not_after;            /* Unix seconds */
	X509 *cert;
	char *chain_pem; /* the issuing CA first, root left out */
	mp_key *key;
} ca_service_cert;

/*
 * The current certificate of service (e.g. "tls"): the newest active
 * one valid for at least renew_before_s more seconds and naming exactly sans
 * (when not NULL), else a new one with a fresh software key, issued under
 * profile (a platform profile) with subject and sans (array of "dns:x",
 * "ip:a"); the older ones are then revoked as superseded. Free with
 * ca_service_cert_clear.
 */
int ca_service_cert_get(const ca_env *env, const char *service, const char *profile,
    const char *subject, const json_t *sans, int64_t renew_before_s, ca_service_cert *out);
void ca_service_cert_clear(ca_service_cert *s);

/*
 * The channel on which OCSP responders learn that pre-signed responses
 * changed: a payload of space-separated "<ca id>:<serial hex>" items, or "*"
 * for all of them (sent when a CA gets a new OCSP signer).
 */
#define CA_OCSP_CHANNEL "midpki_ocsp"

/*
 * The delegated OCSP signer of CA ca_id (an identity of service
 * "ocsp:<ca id>" under the platform profile ocsp-signer, issued by that CA,
 * subject "CN=OCSP signer for <the CA's CN>,O=MIDPKI", a fresh software
 * P-256 key): the newest active one valid for at least renew_before_s more
 * seconds (less when the CA itself ends sooner: then one that ends with the
 * CA will do), else a new one, after which the older ones are revoked as
 * superseded and CA_OCSP_CHANNEL is told "*", all in one transaction.
 * A retired CA gets no new signer: its newest active one still valid is
 * returned while there is one, then MP_ERR_NOT_FOUND. MP_ERR_NOT_FOUND for
 * no such CA; MP_ERR_UNSUPPORTED for a CA we only trust (no key).
 */
int ca_ocsp_signer_get(const ca_env *env, const char *ca_id, int64_t renew_before_s,
    ca_service_cert *out);
/*
 * ca_ocsp_signer_get for every active CA we hold the key of, so that each has
 * a signer valid for renew_before_s more; *made (may be NULL) counts the new
 * ones. Goes on past a CA that fails and returns the first error.
 */
int ca_ocsp_signers_ensure(const ca_env *env, int64_t renew_before_s, unsigned *made);

#endif
