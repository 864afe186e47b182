/*
 * COSE_Sign1 (RFC 9052) as FDO uses it: tag 18, the algorithm in the
 * protected header, an empty external AAD. Signatures of ES256, ES384
 * (ECDSA, r || s), RS256, RS384 and PS256, PS384 verify with OpenSSL; our
 * own keys sign through the key store (ES256, ES384, RS256, PS256 by key).
 */
#ifndef FDO_COSE_H
#define FDO_COSE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cbor.h"
#include "reason.h"
#include "keystore.h"
#include "pubkey.h"

enum fdo_cose_alg {
	FDO_COSE_ES256 = -7,
	FDO_COSE_ES384 = -35,
	FDO_COSE_PS256 = -37,
	FDO_COSE_PS384 = -38,
	FDO_COSE_RS256 = -257,
	FDO_COSE_RS384 = -258,
};

#define FDO_COSE_SIGN1_TAG 18

/*
 * How a key of ours appears in FDO: its PublicKey type, the COSE algorithm
 * the key store signs with, and for ECDSA the size of r and of s (0 for RSA).
 */
typedef struct fdo_key_kind {
	int type;
	int cose_alg;
	size_t ec_half;
} fdo_key_kind;

/* The kind of a key of spec: P-256, P-384, RSA, RSA-PSS; MP_ERR_UNSUPPORTED for others. */
int fdo_key_kind_of(const mp_key_spec *spec, fdo_key_kind *out);

/* One decoded COSE_Sign1; the pointers are into the decoded bytes. */
typedef struct fdo_sign1 {
	int alg;
	const uint8_t *prot;       /* protected header: the contents of its byte string */
	size_t prot_len;
	const uint8_t *unprot;     /* unprotected header: the encoding of its map */
	size_t unprot_len;
	const uint8_t *payload;
	size_t payload_len;
	const uint8_t *sig;
	size_t sig_len;
} fdo_sign1;

/*
 * Reads a tagged COSE_Sign1 with a payload. MP_ERR_INVALID when malformed or
 * without an algorithm, MP_ERR_UNSUPPORTED for an algorithm we do not verify.
 */
int fdo_sign1_decode(fdo_cbor *c, fdo_sign1 *out, fdo_detail *d);
/*
 * Verifies s with pub, whose type must suit the algorithm. MP_ERR_INTEGRITY
 * for a signature that does not verify, MP_ERR_INVALID for a key that does
 * not suit the algorithm.
 */
int fdo_sign1_verify(const fdo_sign1 *s, const fdo_pubkey *pub, fdo_detail *d);
/*
 * Appends a tagged COSE_Sign1 of payload signed by k with the algorithm of
 * its key, an unprotected header of unprot_len bytes (the encoding of a map;
 * NULL for an empty one).
 */
int fdo_sign1_sign(mp_key *k, const uint8_t *payload, size_t len, const uint8_t *unprot,
    size_t unprot_len, mp_buf *out);
/*
 * The same with an EC key held by the caller (a device's attestation key):
 * ES256 for P-256, ES384 for P-384. MP_ERR_UNSUPPORTED for any other key.
 */
int fdo_sign1_sign_ec(EVP_PKEY *key, const uint8_t *payload, size_t len, const uint8_t *unprot,
    size_t unprot_len, mp_buf *out);

#endif
