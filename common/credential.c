#include "credential.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "codec.h"
#include "err.h"
#include "secure.h"

#define PREFIX_LEN 3
#define ID_HEX_LEN 32
#define RANDOM_LEN 32
#define RANDOM_B64_LEN 43
#define SECRET_LEN (PREFIX_LEN + 1 + ID_HEX_LEN + 1 + RANDOM_B64_LEN)

static int
sha256(const char *s, size_t n, uint8_t out[MP_CRED_HASH_LEN])
{
	unsigned len = 0;

	if (EVP_Digest(s, n, out, &len, EVP_sha256(), NULL) != 1 || len != MP_CRED_HASH_LEN)
		return MP_ERR_CRYPTO;
	return MP_OK;
}

/* 32 hex digits to the canonical 8-4-4-4-12 form. */
static void
uuid_from_hex(const char *hex, char id[MP_UUID_STR_LEN + 1])
{
	size_t i, o = 0;

	for (i = 0; i < ID_HEX_LEN; i++) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			id[o++] = '-';
		id[o++] = hex[i];
	}
	id[o] = '\0';
}

static int
valid_prefix(const char *prefix)
{
	return prefix != NULL && strlen(prefix) == PREFIX_LEN;
}

int
mp_cred_new(const char *prefix, char id[MP_UUID_STR_LEN + 1], char **secret,
    uint8_t hash[MP_CRED_HASH_LEN])
{
	uint8_t raw_id[16], raw[RANDOM_LEN];
	char *idhex = NULL, *b64 = NULL, *s = NULL;
	int r;

	if (!valid_prefix(prefix))
		return MP_ERR_INVALID;
	if ((r = mp_random_bytes(raw_id, sizeof(raw_id))) != MP_OK ||
	    (r = mp_random_bytes(raw, sizeof(raw))) != MP_OK)
		goto out;
	raw_id[6] = (uint8_t)((raw_id[6] & 0x0f) | 0x40); /* version 4 */
	raw_id[8] = (uint8_t)((raw_id[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	if ((r = mp_hex_encode(raw_id, sizeof(raw_id), &idhex)) != MP_OK ||
	    (r = mp_b64_encode(raw, sizeof(raw), true, &b64)) != MP_OK)
		goto out;
	if (strlen(b64) != RANDOM_B64_LEN) {
		r = MP_ERR_INTERNAL;
		goto out;
	}
	if ((s = malloc(SECRET_LEN + 1)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	memcpy(s, prefix, PREFIX_LEN);
	s[PREFIX_LEN] = '_';
	memcpy(s + PREFIX_LEN + 1, idhex, ID_HEX_LEN);
	s[PREFIX_LEN + 1 + ID_HEX_LEN] = '_';
	memcpy(s + PREFIX_LEN + 2 + ID_HEX_LEN, b64, RANDOM_B64_LEN + 1);
	if ((r = sha256(s, SECRET_LEN, hash)) != MP_OK)
		goto out;
	uuid_from_hex(idhex, id);
	*secret = s;
	s = NULL;
	r = MP_OK;
out:
	mp_wipe(raw, sizeof(raw));
	mp_free_secret_str(b64);
	mp_free_secret_str(s);
	free(idhex);
	return r;
}

int
mp_cred_parse(const char *prefix, const char *secret, char id[MP_UUID_STR_LEN + 1],
    uint8_t hash[MP_CRED_HASH_LEN])
{
	size_t i;
	int r;

	if (!valid_prefix(prefix) || secret == NULL)
		return MP_ERR_UNAUTHENTICATED;
	if (strnlen(secret, SECRET_LEN + 1) != SECRET_LEN ||
	    memcmp(secret, prefix, PREFIX_LEN) != 0 || secret[PREFIX_LEN] != '_' ||
	    secret[PREFIX_LEN + 1 + ID_HEX_LEN] != '_')
		return MP_ERR_UNAUTHENTICATED;
	for (i = PREFIX_LEN + 1; i < PREFIX_LEN + 1 + ID_HEX_LEN; i++) {
		char c = secret[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return MP_ERR_UNAUTHENTICATED;
	}
	if ((r = sha256(secret, SECRET_LEN, hash)) != MP_OK)
		return r;
	uuid_from_hex(secret + PREFIX_LEN + 1, id);
	return MP_OK;
}

int
mp_uuid_new(char out[MP_UUID_STR_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[16];
	size_t o = 0;
	int r;

	if ((r = mp_random_bytes(b, sizeof(b))) != MP_OK)
		return r;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	for (size_t i = 0; i < sizeof(b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
	return MP_OK;
}
