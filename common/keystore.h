/*
 * The key store: the only place that holds private keys of CAs and other
 * signers. Callers get an opaque handle (mp_key) and ask it to sign; they
 * never see private key bytes. Two backends sit behind one function table:
 * software (PKCS#8 sealed with AES-256-GCM under a master key read from a
 * file, never from the database) and PKCS#11 (a token's module, slot and PIN
 * from configuration). Keys are rows of the keys table (migrations/0003_ca.sql).
 *
 * A mp_keystore is process-wide and thread-safe; handles are cached and
 * reference-counted, so loading a key twice returns the same handle.
 * Signatures use SHA-256 (P-256, RSA), SHA-384 (P-384) or none (Ed25519);
 * RSA keys sign with PKCS#1 v1.5 ("rsa-N") or PSS ("rsa-pss-N", salt length
 * equal to the digest length).
 */
#ifndef MP_KEYSTORE_H
#define MP_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "audit.h"
#include "credential.h"
#include "db.h"

typedef enum mp_key_alg {
	MP_KEY_EC_P256 = 1,
	MP_KEY_EC_P384,
	MP_KEY_RSA,      /* PKCS#1 v1.5 signatures */
	MP_KEY_RSA_PSS,  /* RSASSA-PSS signatures */
	MP_KEY_ED25519,
} mp_key_alg;

/* An algorithm with its size: rsa_bits is 2048..4096 for RSA, 0 otherwise. */
typedef struct mp_key_spec {
	mp_key_alg alg;
	unsigned rsa_bits;
} mp_key_spec;

/* The longest algorithm name ("rsa-pss-4096") plus its NUL. */
#define MP_KEY_SPEC_NAME_MAX 16

/*
 * Parses "ec-p256", "ec-p384", "ed25519", "rsa-N" or "rsa-pss-N" (N in
 * 2048..4096, a multiple of 8). MP_ERR_INVALID for anything else.
 */
int mp_key_spec_parse(const char *name, mp_key_spec *out);
/* Writes the canonical name of spec into out. */
void mp_key_spec_name(const mp_key_spec *spec, char out[MP_KEY_SPEC_NAME_MAX]);
/* The spec of a public key, or MP_ERR_INVALID for a type or size we do not sign with. */
int mp_key_spec_of(const EVP_PKEY *pub, bool pss, mp_key_spec *out);

typedef struct mp_keystore_config {
	/* The master key (32 bytes): read, or created 0600 from the CSPRNG when missing. */
	const char *master_key_file;
	/* PKCS#11 module path; NULL or "" leaves the PKCS#11 backend off. */
	const char *pkcs11_module;
	uint64_t pkcs11_slot;
	/* A file holding the user PIN (trailing newline ignored). */
	const char *pkcs11_pin_file;
} mp_keystore_config;

typedef struct mp_keystore mp_keystore;
typedef struct mp_key mp_key;

/* Opens the store: reads (or creates) the master key and, when configured, logs in to the token. */
int mp_keystore_open(const mp_keystore_config *cfg, mp_keystore **out, char *err, size_t errsz);
/*
 * mp_keystore_open with the [keystore] section of c; an empty master_key_file
 * means <state dir>/master.key.
 */
struct mp_config;
int mp_keystore_open_config(const struct mp_config *c, mp_keystore **out, char *err,
    size_t errsz);
/*
 * Wipes the master key, logs out, frees every cached handle. Every handle
 * taken with mp_key_load must have been released before. Accepts NULL.
 */
void mp_keystore_free(mp_keystore *ks);
bool mp_keystore_has_pkcs11(const mp_keystore *ks);

/*
 * Generates a key in backend ("software" or "pkcs11") and records it as a
 * keys row with label (may be NULL), audited as key.create, in one
 * transaction (nested in the caller's when there is one). Sets id_out.
 * MP_ERR_UNSUPPORTED when the backend is not configured or cannot make spec.
 */
int mp_key_generate(mp_keystore *ks, mp_db *db, const mp_actor *actor, const char *backend,
    const mp_key_spec *spec, const char *label, char id_out[MP_UUID_STR_LEN + 1]);

/*
 * Imports a private key given as PEM (PKCS#8 or traditional, unencrypted)
 * into the software backend, audited as key.import. The decoded key is wiped;
 * the PEM stays the caller's to wipe. MP_ERR_INVALID (with no detail of the
 * key) when it does not parse or is of an algorithm we do not sign with.
 */
int mp_key_import_pem(mp_keystore *ks, mp_db *db, const mp_actor *actor, const char *pem,
    size_t len, const char *label, char id_out[MP_UUID_STR_LEN + 1]);

/* A handle to key id (loaded once, then cached); MP_ERR_NOT_FOUND when absent or destroyed. */
int mp_key_load(mp_keystore *ks, mp_db *db, const char *id, mp_key **out);
/*
 * Drops a reference taken by mp_key_load. Accepts NULL. The store keeps the
 * handle cached (until mp_key_destroy or mp_keystore_free), so the next load
 * does not open the key again.
 */
void mp_key_release(mp_key *k);
/*
 * An RSA public key from its modulus and public exponent (unsigned
 * big-endian). MP_ERR_NOMEM; MP_ERR_INVALID when OpenSSL refuses the values.
 */
int mp_rsa_public_key(const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen,
    EVP_PKEY **out);
/* Another reference to k (release each with mp_key_release); returns k. */
mp_key *mp_key_ref(mp_key *k);
const mp_key_spec *mp_key_get_spec(const mp_key *k);
const char *mp_key_id(const mp_key *k);
/* A new reference to the public half (EVP_PKEY_free it). */
EVP_PKEY *mp_key_public(const mp_key *k);

/* Sets x's signature algorithm and signs it (the caller has set every other field). */
int mp_key_sign_x509(mp_key *k, X509 *x);
int mp_key_sign_crl(mp_key *k, X509_CRL *crl);
/* Signs bs as signer (its certificate is included in the response). */
int mp_key_sign_ocsp(mp_key *k, OCSP_BASICRESP *bs, X509 *signer);
/*
 * Signs msg with the key's own digest (md_nid 0) or with md_nid (e.g.
 * NID_sha512 for rsa-sha2-512). *sig (free with OPENSSL_free) is DER for
 * ECDSA, raw for RSA and Ed25519.
 */
int mp_key_sign_data(mp_key *k, int md_nid, const uint8_t *msg, size_t len, uint8_t **sig,
    size_t *siglen);
/*
 * Verifies sig over msg with pub, as mp_key_sign_data(k, 0, ...) signs with
 * a key of spec: the same digest and padding. MP_ERR_INVALID when pub is not
 * a key of spec's algorithm and size, MP_ERR_INTEGRITY for a signature that
 * does not verify, MP_ERR_NOMEM.
 */
int mp_verify_data(const mp_key_spec *spec, EVP_PKEY *pub, const uint8_t *msg, size_t len,
    const uint8_t *sig, size_t siglen);
/*
 * The signing key as an EVP_PKEY for OpenSSL APIs that take one (a TLS
 * server context), borrowed: valid while the handle is. Never serialize it.
 */
EVP_PKEY *mp_key_evp(mp_key *k);

/*
 * The certificate that goes with the key (an issuing CA's), parsed once: a new
 * reference (X509_free it) to the X509 of der, reusing the one kept with the
 * handle while der is the same bytes. NULL when der is not one certificate.
 */
X509 *mp_key_cert(mp_key *k, const uint8_t *der, size_t len);

/* Destroys the key (the token object, or the sealed bytes), audited as key.destroy. */
int mp_key_destroy(mp_keystore *ks, mp_db *db, const mp_actor *actor, const char *id);

#endif
