/*
 * OCSP requests (RFC 6960 4.1, RFC 5019, RFC 8954): a strict parser of the
 * DER an untrusted client sends, by POST or in a GET path, and the CertID
 * encoding the responder echoes. Parsing allocates nothing: every pointer of
 * an ocsp_request points into the caller's DER, which must outlive it.
 */
#ifndef OCSP_REQUEST_H
#define OCSP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OCSP_REQUEST_MAX_BYTES 4096 /* refused before parsing above this */
#define OCSP_MAX_CERTS 16           /* CertIDs answered per request */
#define OCSP_NONCE_MAX 32           /* RFC 8954 */
#define OCSP_HASH_MAX 64            /* the longest digest (SHA-512) */
#define OCSP_SERIAL_MAX 21          /* 20 octets of value and a sign octet */
/* The longest CertID ocsp_certid_make writes (SHA-512, a 21-octet serial). */
#define OCSP_CERTID_MAX 176

typedef enum { OCSP_HASH_SHA1, OCSP_HASH_SHA256, OCSP_HASH_SHA384, OCSP_HASH_SHA512 } ocsp_hash;

typedef struct ocsp_certid {
	ocsp_hash hash;
	const uint8_t *name_hash, *key_hash; /* hash_len bytes each */
	size_t hash_len;                     /* the digest length of hash, checked */
	const uint8_t *serial;               /* INTEGER contents as sent (sign octet kept) */
	size_t serial_len;
	const uint8_t *der; /* the whole CertID as sent, echoed in the response */
	size_t der_len;
} ocsp_certid;

typedef struct ocsp_request {
	ocsp_certid ids[OCSP_MAX_CERTS];
	size_t n; /* 1..OCSP_MAX_CERTS */
	bool has_nonce;
	const uint8_t *nonce; /* the nonce itself, 1..OCSP_NONCE_MAX bytes */
	size_t nonce_len;
} ocsp_request;

/* The digest length of h (20, 32, 48, 64), or 0 for a value outside the enum. */
size_t ocsp_hash_len(ocsp_hash h);

/*
 * Parses an OCSPRequest into *out (pointers into der). Accepted: version v1
 * (absent, or given explicitly), a requestorName (ignored), 1..OCSP_MAX_CERTS
 * Requests, non-critical singleRequestExtensions (ignored), the nonce
 * extension and other non-critical requestExtensions (ignored), an
 * optionalSignature (checked for form, not verified), nothing after the
 * request. The nonce is RFC 8954's OCTET STRING inside extnValue; a client
 * that put the raw bytes in extnValue without it is accepted too, and nonce
 * is then those raw bytes (the response echoes them in the RFC 8954 form).
 *
 * MP_ERR_INVALID: malformed (answer malformedRequest): not DER, a critical
 * extension, a nonce longer than OCSP_NONCE_MAX or empty, two nonces, a hash
 * of the wrong length, a serial not a positive INTEGER of at most 20 octets.
 * MP_ERR_TOO_LARGE: more than OCSP_REQUEST_MAX_BYTES or OCSP_MAX_CERTS.
 * MP_ERR_UNSUPPORTED: well formed, but a CertID's hash algorithm is none of
 * SHA-1, SHA-256, SHA-384, SHA-512 (or has parameters other than NULL).
 */
int ocsp_request_parse(const uint8_t *der, size_t len, ocsp_request *out);

/*
 * The DER of a GET request from the path after the responder's base, already
 * percent-decoded: an optional leading '/', then base64 (RFC 5019 §5, RFC
 * 6960 A.1) in the standard or URL-safe alphabet (or a mix), with or without
 * '=' padding; a space is taken for a '+' that a client left unescaped and a
 * server decoded as form data. *der is malloc'd (free it). MP_ERR_INVALID for
 * anything else or an empty request, MP_ERR_TOO_LARGE when it would decode to
 * more than OCSP_REQUEST_MAX_BYTES.
 */
int ocsp_request_from_path(const char *path_after_base, uint8_t **der, size_t *len);

/*
 * A CertID in the form clients send (hash parameters NULL), for responses
 * made before any request (pre-signing): encodes into buf and sets *out,
 * whose pointers all point into buf. serial is INTEGER contents (a positive
 * value, minimal, at most
 * OCSP_SERIAL_MAX octets with the sign octet); hashes are ocsp_hash_len(h)
 * bytes. MP_ERR_INVALID for anything else.
 */
int ocsp_certid_make(ocsp_hash h, const uint8_t *name_hash, const uint8_t *key_hash,
    const uint8_t *serial, size_t serial_len, uint8_t buf[OCSP_CERTID_MAX], ocsp_certid *out);

#endif
