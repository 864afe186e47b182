/*
 * OCSP responses (RFC 6960 4.2, RFC 5019, RFC 8954). A BasicOCSPResponse is
 * SEQUENCE { tbsResponseData, signatureAlgorithm, signature, certs [0]
 * OPTIONAL }; certs lies outside the signature, so a response is kept as its
 * signed "core" (the first three elements, without the SEQUENCE header) and
 * wrapped with the signer's certificate when it is served, which costs DER
 * headers and two copies.
 */
#ifndef OCSP_RESPONSE_H
#define OCSP_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "keystore.h"
#include "request.h"

/* OCSPResponseStatus values of the unsigned answers. */
#define OCSP_STATUS_MALFORMED_REQUEST 1
#define OCSP_STATUS_INTERNAL_ERROR 2
#define OCSP_STATUS_TRY_LATER 3
#define OCSP_STATUS_UNAUTHORIZED 6

typedef enum { OCSP_GOOD, OCSP_REVOKED, OCSP_UNKNOWN } ocsp_cert_status;

typedef struct ocsp_single {
	const ocsp_certid *id;   /* echoed as received (id->der) */
	ocsp_cert_status status;
	int64_t revoked_at;      /* OCSP_REVOKED: Unix seconds */
	int reason;              /* OCSP_REVOKED: CRLReason 0..10 but 7, or -1 for none; 6 = certificateHold */
	int64_t this_update;     /* Unix seconds */
	int64_t next_update;     /* Unix seconds, not before this_update; 0: omitted */
} ocsp_single;

/*
 * Signs tbsResponseData (v1, responderID byKey, producedAt, the n responses
 * in order, and the nonce extension in the RFC 8954 form when nonce is not
 * NULL) with key and returns the core in *core (malloc'd, free it). The
 * signature algorithm follows the key's spec: ecdsa-with-SHA256 (P-256),
 * ecdsa-with-SHA384 (P-384), sha256WithRSAEncryption (rsa-N), RSASSA-PSS with
 * SHA-256, MGF1-SHA-256 and a 32-octet salt (rsa-pss-N), Ed25519.
 * responder_key_hash is the SHA-1 of the signer certificate's public key
 * (the key_hash of ocsp_issuer_hashes(signer, OCSP_HASH_SHA1, ...)).
 * MP_ERR_INVALID for n outside 1..OCSP_MAX_CERTS, a nonce of a length outside
 * 1..OCSP_NONCE_MAX, a time before 1970 or after 9999, an unknown reason;
 * the key store's error when signing fails.
 */
int ocsp_core_sign(mp_key *key, const uint8_t responder_key_hash[20], int64_t produced_at,
    const ocsp_single *s, size_t n, const uint8_t *nonce, size_t nonce_len, uint8_t **core,
    size_t *core_len);

/*
 * The length of OCSPResponse{successful, basic{core, certs [signer]}}, or 0
 * when the lengths are absurd (over 16 MiB). signer_len 0 leaves certs out.
 */
size_t ocsp_response_size(size_t core_len, size_t signer_len);

/*
 * Writes OCSPResponse{successful, basic{core, certs [signer]}} into out (cap
 * bytes) and returns its length, or 0 when it does not fit (see
 * ocsp_response_size). signer_der is one DER certificate, or NULL with
 * signer_len 0 for none. Allocates nothing; safe on any thread.
 */
size_t ocsp_response_assemble(const uint8_t *core, size_t core_len, const uint8_t *signer_der,
    size_t signer_len, uint8_t *out, size_t cap);

/*
 * The fixed unsigned OCSPResponse of one of the OCSP_STATUS_* values (static
 * bytes), with its length in *len; NULL for any other status.
 */
const uint8_t *ocsp_response_error(int response_status, size_t *len);

/*
 * The issuerNameHash and issuerKeyHash that CertIDs naming ca as issuer carry
 * (RFC 6960 4.1.1): hash h of ca's subject DER and of its public key BIT
 * STRING contents. *len is the digest length. MP_ERR_INVALID for an unknown
 * h, MP_ERR_CRYPTO when OpenSSL fails.
 */
int ocsp_issuer_hashes(X509 *ca, ocsp_hash h, uint8_t name_hash[OCSP_HASH_MAX],
    uint8_t key_hash[OCSP_HASH_MAX], size_t *len);

#endif
