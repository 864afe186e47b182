/*
 * FDO Hash and HMac ([alg, bstr]): SHA-256 (-16), SHA-384 (-43),
 * HMAC-SHA256 (5) and HMAC-SHA384 (6); nothing else is accepted.
 */
#ifndef FDO_HASH_H
#define FDO_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cbor.h"

enum fdo_hash_alg {
	FDO_SHA256 = -16,
	FDO_SHA384 = -43,
	FDO_HMAC_SHA256 = 5,
	FDO_HMAC_SHA384 = 6,
};

#define FDO_HASH_MAX 48

typedef struct fdo_hash {
	int alg;
	size_t len;
	uint8_t v[FDO_HASH_MAX];
} fdo_hash;

/* A piece of the hashed message (several are hashed one after the other). */
typedef struct fdo_bytes {
	const uint8_t *p;
	size_t n;
} fdo_bytes;

/*
 * Reads a Hash (hmac false) or an HMac (hmac true): a known algorithm of that
 * kind with a value of its length. MP_ERR_INVALID otherwise.
 */
int fdo_hash_decode(fdo_cbor *c, bool hmac, fdo_hash *out);
int fdo_hash_encode(mp_buf *b, const fdo_hash *h);

/* The SHA (alg FDO_SHA256 or FDO_SHA384) of the n parts one after the other. */
int fdo_hash_compute(int alg, const fdo_bytes *parts, size_t n, fdo_hash *out);
/* The HMAC (FDO_HMAC_SHA256 or FDO_HMAC_SHA384) of msg under key. */
int fdo_hmac_compute(int alg, const uint8_t *key, size_t keylen, const uint8_t *msg,
    size_t len, fdo_hash *out);
/* Same algorithm and value; constant time in the value. */
bool fdo_hash_equal(const fdo_hash *a, const fdo_hash *b);

#endif
