/*
 * FDO PublicKey: [pkType, pkEnc, pkBody]. Types SECP256R1 (10), SECP384R1
 * (11), RSA2048RESTR (1), RSAPKCS (5) and RSAPSS (6); encodings X509 (a
 * SubjectPublicKeyInfo), X5CHAIN (certificates, the key of the first),
 * COSEKEY (EC2: -1 curve, -2 x, -3 y) and Crypto (RSA: [modulus, exponent]).
 * The key must be of the type it claims.
 */
#ifndef FDO_PUBKEY_H
#define FDO_PUBKEY_H

#include <stdbool.h>

#include <openssl/evp.h>

#include "buf.h"
#include "cbor.h"
#include "reason.h"

enum fdo_pk_type {
	FDO_PK_RSA2048RESTR = 1,
	FDO_PK_RSAPKCS = 5,
	FDO_PK_RSAPSS = 6,
	FDO_PK_SECP256R1 = 10,
	FDO_PK_SECP384R1 = 11,
};

enum fdo_pk_enc {
	FDO_PKENC_CRYPTO = 0,
	FDO_PKENC_X509 = 1,
	FDO_PKENC_X5CHAIN = 2,
	FDO_PKENC_COSEKEY = 3,
};

/* Longest certificate chain in an X5CHAIN key, and largest certificate or key. */
#define FDO_PK_MAX_CHAIN 8
#define FDO_PK_MAX_DER 8192

typedef struct fdo_pubkey {
	int type;
	int enc;
	EVP_PKEY *key;
} fdo_pubkey;

/*
 * Reads a PublicKey. MP_ERR_UNSUPPORTED for a type or encoding we do not
 * know, MP_ERR_INVALID for anything malformed or a key not of its type; d
 * says which.
 */
int fdo_pubkey_decode(fdo_cbor *c, fdo_pubkey *out, fdo_detail *d);
/* Writes key as a PublicKey of type in the X509 encoding. */
int fdo_pubkey_encode(mp_buf *b, int type, EVP_PKEY *key);
/* Whether key is of type: the curve for EC types, RSA (2048 bits for RSA2048RESTR). */
bool fdo_pubkey_is_type(int type, EVP_PKEY *key);
/* Same type and same key size (the rule for the keys of one voucher). */
bool fdo_pubkey_same_kind(const fdo_pubkey *a, const fdo_pubkey *b);
/* Frees the key; pk may be NULL. */
void fdo_pubkey_clear(fdo_pubkey *pk);

#endif
