/* One error enum for the whole platform. MP_OK is 0; every error is negative. */
#ifndef MP_ERR_H
#define MP_ERR_H

#include <stddef.h>

typedef enum {
	MP_OK = 0,
	MP_ERR_INTERNAL = -1,       /* a bug or an impossible state */
	MP_ERR_NOMEM = -2,          /* allocation failed */
	MP_ERR_INVALID = -3,        /* caller input malformed or out of range */
	MP_ERR_TOO_LARGE = -4,      /* input exceeds a fixed limit */
	MP_ERR_NOT_FOUND = -5,      /* no such object (or not visible to the caller) */
	MP_ERR_CONFLICT = -6,       /* violates a uniqueness or state constraint */
	MP_ERR_IO = -7,             /* file or socket I/O failed (see errno) */
	MP_ERR_CRYPTO = -8,         /* OpenSSL failed (the error queue says why) */
	MP_ERR_DB = -9,             /* the database refused a statement */
	MP_ERR_DB_UNAVAILABLE = -10,/* no connection to the database */
	MP_ERR_CONFIG = -11,        /* configuration file or value is wrong */
	MP_ERR_DENIED = -12,        /* authenticated, but not allowed */
	MP_ERR_UNAUTHENTICATED = -13,/* no or bad credentials */
	MP_ERR_POLICY = -14,        /* well-formed but refused by policy */
	MP_ERR_EXPIRED = -15,       /* credential or object past its validity */
	MP_ERR_INTEGRITY = -16,     /* stored data failed an integrity check */
	MP_ERR_UNSUPPORTED = -17,   /* valid request for something we do not do */
} mp_err;

/* A static, human-readable description of err; never NULL. */
const char *mp_strerror(int err);

/*
 * Drains the OpenSSL error queue of this thread into out (at most outsz bytes,
 * NUL-terminated, entries separated by "; "). Returns out. An empty queue
 * gives "no OpenSSL error queued".
 */
const char *mp_ossl_errors(char *out, size_t outsz);

#endif
