#include "keyinfo.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>

#include "detail.h"
#include "err.h"

#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192

static const struct {
	ca_key_kind kind;
	const char *name;
} kinds[] = {
	{ CA_KEY_EC_P256, "ec-p256" },
	{ CA_KEY_EC_P384, "ec-p384" },
	{ CA_KEY_RSA, "rsa" },
	{ CA_KEY_ED25519, "ed25519" },
};

ca_key_kind
ca_key_kind_of(const EVP_PKEY *k, unsigned *bits)
{
	char group[32];
	size_t glen = 0;
	int explicit = 0;
	ca_key_kind kind = CA_KEY_UNKNOWN;

	if (k == NULL)
		return CA_KEY_UNKNOWN;
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
		kind = CA_KEY_RSA;
		break;
	case EVP_PKEY_ED25519:
		kind = CA_KEY_ED25519;
		break;
	case EVP_PKEY_EC:
		/* RFC 5480: a named curve only, never explicit parameters */
		if (EVP_PKEY_get_int_param(k, OSSL_PKEY_PARAM_EC_DECODED_FROM_EXPLICIT_PARAMS,
		    &explicit) == 1 && explicit != 0)
			break;
		if (EVP_PKEY_get_group_name(k, group, sizeof(group), &glen) != 1)
			break;
		if (strcmp(group, "prime256v1") == 0)
			kind = CA_KEY_EC_P256;
		else if (strcmp(group, "secp384r1") == 0)
			kind = CA_KEY_EC_P384;
		break;
	default:
		break;
	}
	if (bits != NULL)
		*bits = (unsigned)EVP_PKEY_get_bits(k);
	return kind;
}

void
ca_key_name(const EVP_PKEY *k, char out[CA_KEY_NAME_MAX])
{
	unsigned bits = 0;
	ca_key_kind kind = ca_key_kind_of(k, &bits);

	if (kind == CA_KEY_RSA)
		snprintf(out, CA_KEY_NAME_MAX, "rsa-%u", bits);
	else
		snprintf(out, CA_KEY_NAME_MAX, "%s",
		    kind == CA_KEY_UNKNOWN ? "unknown" : ca_key_kind_name(kind));
}

const char *
ca_key_kind_name(ca_key_kind kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].kind == kind)
			return kinds[i].name;
	return NULL;
}

ca_key_kind
ca_key_kind_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, name) == 0)
			return kinds[i].kind;
	return CA_KEY_UNKNOWN;
}

/* RSA public exponent: odd, at least 65537, at most 2^256 - 1. */
static bool
rsa_exponent_ok(const EVP_PKEY *k)
{
	BIGNUM *e = NULL;
	bool ok;

	if (EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
		return false;
	ok = BN_is_odd(e) && BN_num_bits(e) >= 17 && BN_num_bits(e) <= 256;
	BN_free(e);
	return ok;
}

int
ca_key_check(const EVP_PKEY *k, const char *field, ca_detail *d)
{
	unsigned bits = 0;
	ca_key_kind kind = ca_key_kind_of(k, &bits);

	switch (kind) {
	case CA_KEY_RSA:
		if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
			ca_detail_set(d, field, "RSA key of %u bits: only %d to %d bits are accepted",
			    bits, RSA_MIN_BITS, RSA_MAX_BITS);
			return MP_ERR_POLICY;
		}
		if (!rsa_exponent_ok(k)) {
			ca_detail_set(d, field,
			    "RSA public exponent must be odd and between 65537 and 2^256-1");
			return MP_ERR_POLICY;
		}
		return MP_OK;
	case CA_KEY_EC_P256:
	case CA_KEY_EC_P384:
	case CA_KEY_ED25519:
		return MP_OK;
	case CA_KEY_UNKNOWN:
		break;
	}
	if (k != NULL && EVP_PKEY_get_base_id(k) == EVP_PKEY_EC)
		ca_detail_set(d, field, "EC key not on the named curve P-256 or P-384");
	else
		ca_detail_set(d, field, "key type not accepted (EC P-256/P-384, RSA, Ed25519)");
	return MP_ERR_POLICY;
}
