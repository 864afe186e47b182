#include "session.h"

#include <string.h>

#include "codec.h"
#include "db.h"
#include "err.h"
#include "hash.h"
#include "secure.h"

#define TOKEN_BYTES 32

int
fdo_token_param(const char *token, char **out)
{
	fdo_bytes part = { (const uint8_t *)token, strlen(token) };
	fdo_hash h;
	int r;

	if ((r = fdo_hash_compute(FDO_SHA256, &part, 1, &h)) != MP_OK)
		return r;
	return mp_db_bytea_param(h.v, h.len, out);
}

int
fdo_token_new(char token[FDO_TOKEN_MAX], char **hash_param)
{
	uint8_t secret[TOKEN_BYTES];
	char *tok = NULL;
	int r;

	if ((r = mp_random_bytes(secret, sizeof(secret))) != MP_OK ||
	    (r = mp_b64_encode(secret, sizeof(secret), true, &tok)) != MP_OK)
		goto out;
	if (strlen(tok) >= FDO_TOKEN_MAX) {
		r = MP_ERR_INTERNAL;
		goto out;
	}
	if ((r = fdo_token_param(tok, hash_param)) != MP_OK)
		goto out;
	memcpy(token, tok, strlen(tok) + 1);
out:
	mp_wipe(secret, sizeof(secret));
	mp_free_secret_str(tok);
	return r;
}
