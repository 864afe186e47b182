/*
 * The SSH CA issuer: a tenant's SSH CAs (user or host, keys in the key
 * store, several active keys for rotation), OpenSSH user certificates for
 * its users under an ssh-user profile and host certificates for its devices
 * under an ssh-host profile, each committed with its identity and audit
 * entry in one transaction before it is returned; revocation and KRLs. Refusals fill an
 * mp_detail naming the field and why. docs/ssh.md describes the objects.
 *
 * CA objects: id, tenant_id, name, kind, status, created_at, updated_at, keys
 * (each key_id, algorithm, public_key, fingerprint, status, created_at; the
 * newest active key signs). Certificate objects: id, tenant_id, ca_id,
 * ca_key_id, serial (a decimal string), kind, key_id, principals,
 * public_key, fingerprint, certificate, valid_after, valid_before, status,
 * user_id, device_id, profile_id, created_at.
 */
#ifndef SSHCA_SSHCA_H
#define SSHCA_SSHCA_H

#include <stdint.h>

#include <jansson.h>

#include "audit.h"
#include "buf.h"
#include "db.h"
#include "keystore.h"
#include "refusal.h"

/* What every issuer call needs: the caller's connection, the key store, where new keys go. */
typedef struct sshca_env {
	mp_db *db;
	mp_keystore *ks;
	const char *key_backend;  /* "software" or "pkcs11" */
} sshca_env;

/* How far ahead a user certificate may start (sshca_user_req.valid_after): 30 days. */
#define SSHCA_START_MAX_S (30 * 86400ull)

/* The CAs a tenant's user and host certificates come from unless the profile names another. */
#define SSHCA_DEFAULT_USER_CA "user"
#define SSHCA_DEFAULT_HOST_CA "host"
/* The built-in profiles for technicians and for devices' host keys. */
#define SSHCA_TECHNICIAN_PROFILE "ssh-technician"
#define SSHCA_DEVICE_HOST_PROFILE "ssh-device-host"

typedef struct sshca_ca_new {
	const char *tenant_id;
	const char *name;       /* [a-z0-9][a-z0-9._-]{0,63}, unique in the tenant */
	const char *kind;       /* "user" or "host" */
	const char *algorithm;  /* NULL: "ed25519"; "ec-p256", "ec-p384", "rsa-3072", "rsa-4096" */
	const char *backend;    /* NULL: env->key_backend */
} sshca_ca_new;

/*
 * Creates an SSH CA with a new key, audited as ssh_ca.create (and key.create),
 * in one transaction (nested in the caller's when there is one).
 * MP_ERR_INVALID (field "name", "kind", "algorithm"), MP_ERR_CONFLICT when
 * the name is taken.
 */
int sshca_ca_create(const sshca_env *env, const mp_actor *actor, const sshca_ca_new *in,
    json_t **out, mp_detail *d);
/*
 * Adds a new key of algorithm (NULL: "ed25519") to CA ca_id of tenant_id
 * (NULL: any tenant), in backend (NULL: env->key_backend), audited as
 * ssh_ca.add_key (and key.create). Being the newest active key, it signs
 * from then on; every active key stays published. *out is the CA.
 * MP_ERR_NOT_FOUND for no such CA, MP_ERR_INVALID (field "algorithm").
 */
int sshca_ca_add_key(const sshca_env *env, const mp_actor *actor, const char *tenant_id,
    const char *ca_id, const char *algorithm, const char *backend, json_t **out, mp_detail *d);
/*
 * Retires key key_id of CA ca_id, audited as ssh_ca.retire_key: it is no
 * longer published or used to sign; the KRL keeps listing the revoked
 * certificates it signed. MP_ERR_NOT_FOUND (no such CA; field "key": no such
 * key of it), MP_ERR_CONFLICT (field "key") for a retired key or the CA's
 * last active key. *out is the CA.
 */
int sshca_ca_retire_key(const sshca_env *env, const mp_actor *actor, const char *tenant_id,
    const char *ca_id, const char *key_id, json_t **out, mp_detail *d);
/* CA id of tenant_id (NULL: any tenant). */
int sshca_ca_get(mp_db *db, const char *tenant_id, const char *id, json_t **out);
/* CAs of tenant_id (NULL: every tenant) by id, after after_id (may be NULL), at most limit. */
int sshca_ca_list(mp_db *db, const char *tenant_id, const char *after_id, unsigned limit,
    json_t **out);
/*
 * Appends to out the lines that publish CA id's active keys, one per key,
 * each ending in a newline: "<type> <base64> <comment>" for sshd's
 * TrustedUserCAKeys, and for a host CA "@cert-authority * <type> <base64>
 * <comment>" for known_hosts.
 */
int sshca_ca_public_keys(mp_db *db, const char *tenant_id, const char *id, mp_buf *out);

/* A user certificate request. */
typedef struct sshca_user_req {
	const char *tenant_id;
	const char *user_id;          /* the subject, a user of tenant_id */
	const char *public_key;       /* an OpenSSH public key line */
	size_t public_key_len;
	uint64_t ttl_s;               /* 0: the profile's default */
	const char *profile;          /* id or name; NULL: SSHCA_TECHNICIAN_PROFILE */
	const json_t *principals;     /* NULL: all the user's; else an array, a subset of them */
	const char *request_id;       /* carried in the key id; may be NULL */
	uint64_t valid_after;         /* 0: now less the profile's backdate; else a later start */
} sshca_user_req;

/*
 * Issues a user certificate: the key line parsed (MP_ERR_INVALID /
 * MP_ERR_UNSUPPORTED, field "public_key"), the user active and holding a
 * role of the profile, principals from the user's record (sshca_principals),
 * the TTL within the profile's maximum (MP_ERR_POLICY, field "ttl"), the key
 * type allowed by it, a valid_after given neither before now less the
 * backdate nor more than SSHCA_START_MAX_S ahead (MP_ERR_POLICY, field
 * "valid_after"), the certificate then valid for the TTL from it; signed by the tenant's CA the profile names (the
 * "user" CA is created on first use), stored with an identity of kind
 * ssh-user and audited as ssh_certificate.issue. MP_ERR_NOT_FOUND (field
 * "user", "profile" or "ca") for what does not exist.
 */
int sshca_issue_user(const sshca_env *env, const mp_actor *actor, const sshca_user_req *in,
    json_t **out, mp_detail *d);

/* A host certificate request. */
typedef struct sshca_host_req {
	const char *tenant_id;
	const char *device_id;        /* the subject, a device of tenant_id */
	const char *public_key;       /* the device's OpenSSH host key line */
	size_t public_key_len;
	uint64_t ttl_s;               /* 0: the profile's default */
	const char *profile;          /* id or name; NULL: SSHCA_DEVICE_HOST_PROFILE */
	const char *request_id;       /* carried in the key id; may be NULL */
} sshca_host_req;

/*
 * Issues a host certificate as sshca_issue_user does a user certificate: the
 * device active, principals from its record under an ssh-host profile
 * ({serial}, {id}, {site}), signed by the tenant's host CA the profile names
 * (the "host" CA is made on first use), stored with an identity of kind
 * ssh-host for the device. Refusals name "device" where the user ones name
 * "user".
 */
int sshca_issue_host(const sshca_env *env, const mp_actor *actor, const sshca_host_req *in,
    json_t **out, mp_detail *d);

/* Certificate id of tenant_id (NULL: any tenant). */
int sshca_cert_get(mp_db *db, const char *tenant_id, const char *id, json_t **out);

/* Filters of a certificate list; NULL members do not filter. */
typedef struct sshca_cert_filter {
	const char *user_id;
	const char *device_id;
	const char *ca_id;
	const char *status;      /* "active", "expired", "revoked" */
	const char *after_id;
	unsigned limit;
} sshca_cert_filter;
int sshca_cert_list(mp_db *db, const char *tenant_id, const sshca_cert_filter *f,
    json_t **out);

/*
 * Revokes certificate id of tenant_id (NULL: any tenant) and its identity,
 * audited as ssh_certificate.revoke. MP_ERR_CONFLICT when it is revoked
 * already. The CA's KRL lists it from then on, until it expires.
 */
int sshca_cert_revoke(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *id,
    json_t **out);

/* A revocation by the CA: exactly one of key_id and public_key. */
typedef struct sshca_revocation_req {
	const char *tenant_id;        /* NULL: any tenant */
	const char *ca_id;
	const char *key_id;           /* a certificate key id, 1 to SSHCA_KEY_ID_MAX bytes */
	const char *public_key;       /* an OpenSSH public key line */
	size_t public_key_len;
} sshca_revocation_req;

/*
 * Revokes, for CA ca_id, every certificate with key id key_id, or the public
 * key and every certificate for it: a row of ssh_revocations audited as
 * ssh_revocation.create, and the CA's certificates it matches that are
 * neither revoked nor expired revoked with their identities, each audited as
 * ssh_certificate.revoke (cause "key_id" or "public_key"), in one
 * transaction. *out is the revocation: id, tenant_id, ca_id, key_id,
 * public_key, fingerprint, created_at, certificates (the ids it revoked).
 * MP_ERR_INVALID (field "key_id" or "public_key"), MP_ERR_NOT_FOUND (the CA),
 * MP_ERR_CONFLICT when the CA has that revocation already.
 */
int sshca_ca_revoke(mp_db *db, const mp_actor *actor, const sshca_revocation_req *in,
    json_t **out, mp_detail *d);
/*
 * The revocations of CA ca_id of tenant_id (NULL: any tenant) by id, after
 * after_id (may be NULL), at most limit (without "certificates").
 * MP_ERR_NOT_FOUND when there is no such CA.
 */
int sshca_ca_revocations(mp_db *db, const char *tenant_id, const char *ca_id,
    const char *after_id, unsigned limit, json_t **out);

/*
 * Appends the current KRL of CA ca_id (ssh-ca/krl.h) to out: for each of its
 * keys the serials of the revoked certificates it signed that have not
 * expired and the key ids the CA revoked, and the public keys it revoked; its
 * version is the number of revocations the CA has had.
 */
int sshca_krl(mp_db *db, const char *tenant_id, const char *ca_id, mp_buf *out);

/* Creates the built-in SSH profiles of the platform tenant unless they exist. */
int sshca_bootstrap(mp_db *db);

#endif
