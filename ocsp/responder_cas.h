/*
 * The responder's table of the CAs it answers for: every CA with an active
 * delegated OCSP signer (an identity of service "ocsp:<ca id>" whose
 * certificate, issued by that CA under profile ocsp-signer, is valid now and
 * has its key in the key store). A table is an immutable snapshot, loaded
 * whole and shared by reference count, so request threads read it while a
 * newer one is being loaded.
 */
#ifndef OCSP_RESPONDER_CAS_H
#define OCSP_RESPONDER_CAS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "keystore.h"
#include "request.h"

/* The CertID hash algorithms a CA is found by (ocsp_hash values). */
#define OCSP_NHASHES 4

/* A delegated signer: its certificate, the key-store handle, the responderID key hash. */
typedef struct ocsp_signer {
	atomic_uint refs;
	char id[MP_UUID_STR_LEN + 1]; /* certificates.id */
	mp_key *key;
	uint8_t *der;
	size_t der_len;
	uint8_t key_hash[20]; /* SHA-1 of the signer's public key (responderID byKey) */
} ocsp_signer;

typedef struct ocsp_ca {
	char id[MP_UUID_STR_LEN + 1];
	uint8_t uuid[16]; /* id in binary */
	uint8_t name_hash[OCSP_NHASHES][OCSP_HASH_MAX];
	uint8_t key_hash[OCSP_NHASHES][OCSP_HASH_MAX];
	ocsp_signer **signers; /* every valid signer, newest first: signers[0] signs */
	size_t nsigners;       /* at least 1; 0 in a table made from a bundle */
} ocsp_ca;

typedef struct ocsp_ca_table {
	atomic_uint refs;
	ocsp_ca *cas;
	size_t n;
	/* the bundle the table was made from (cas[i] is its CA i), or NULL: from the database */
	struct ocsp_bundle *bundle;
} ocsp_ca_table;

/* Another reference to s (NULL passes through). */
ocsp_signer *ocsp_signer_ref(ocsp_signer *s);
/* Drops a reference; the last frees the signer. Accepts NULL. */
void ocsp_signer_unref(ocsp_signer *s);

/*
 * Reads the CAs with their valid signers and loads each signer's key with
 * ks. A signer whose key or certificate cannot be loaded is left out (and
 * its CA when it has no other). An empty table when there is none.
 * MP_ERR_DB_UNAVAILABLE / MP_ERR_DB from the database, MP_ERR_NOMEM.
 */
int ocsp_ca_table_load(mp_db *db, mp_keystore *ks, ocsp_ca_table **out);

/*
 * The table of the CAs of bundle b (a reference to it is kept), in the
 * bundle's order, without signers: answers come whole from the bundle.
 * MP_ERR_INVALID for a CA certificate that does not parse, MP_ERR_NOMEM.
 */
int ocsp_ca_table_from_bundle(struct ocsp_bundle *b, ocsp_ca_table **out);

/* A table with no CA; NULL on ENOMEM. */
ocsp_ca_table *ocsp_ca_table_empty(void);

/* Another reference to t. */
ocsp_ca_table *ocsp_ca_table_ref(ocsp_ca_table *t);
/* Drops a reference; the last frees the table. Accepts NULL. */
void ocsp_ca_table_unref(ocsp_ca_table *t);

/* The CA a CertID names as issuer (hash algorithm, name hash and key hash), or NULL. */
const ocsp_ca *ocsp_ca_table_find(const ocsp_ca_table *t, const ocsp_certid *id);

/* The signer of ca with certificate id signer_id (text), or NULL when it is not a valid one. */
ocsp_signer *ocsp_ca_signer(const ocsp_ca *ca, const char *signer_id);

/* Parses a UUID in text form (either case) into 16 bytes. MP_ERR_INVALID otherwise. */
int ocsp_uuid_parse(const char *text, size_t len, uint8_t out[16]);

#endif
