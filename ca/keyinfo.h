/* What kind of public key a certificate carries, and whether it is strong enough. */
#ifndef CA_KEYINFO_H
#define CA_KEYINFO_H

#include <openssl/evp.h>

#include "ca.h"

/* Key kinds; bit values so that a profile can hold a set of them. */
typedef enum ca_key_kind {
	CA_KEY_UNKNOWN = 0,
	CA_KEY_EC_P256 = 1,
	CA_KEY_EC_P384 = 2,
	CA_KEY_RSA = 4,
	CA_KEY_ED25519 = 8,
} ca_key_kind;

/* The longest key name ("rsa-16384") plus its NUL. */
#define CA_KEY_NAME_MAX 16

/* The kind of k and its size in bits (*bits may be NULL). */
ca_key_kind ca_key_kind_of(const EVP_PKEY *k, unsigned *bits);
/* "ec-p256", "ec-p384", "ed25519", "rsa-2048" ..., or "unknown". */
void ca_key_name(const EVP_PKEY *k, char out[CA_KEY_NAME_MAX]);
/* The profile name of a kind ("ec-p256", "rsa" ...), NULL for CA_KEY_UNKNOWN. */
const char *ca_key_kind_name(ca_key_kind kind);
/* The kind a profile names, CA_KEY_UNKNOWN for anything else. */
ca_key_kind ca_key_kind_parse(const char *name);

/*
 * Refuses keys we never certify, whatever the profile: RSA below 2048 or
 * above 8192 bits, an RSA exponent that is even, below 65537 or above
 * 2^256, EC keys other than on the named curves P-256 and P-384 (explicit
 * curve parameters included), and every other type.
 * MP_ERR_POLICY with d naming field.
 */
int ca_key_check(const EVP_PKEY *k, const char *field, ca_detail *d);

#endif
