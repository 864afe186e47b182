/* Sealing LoRaWAN secrets for their rows, and opening them again. */
#include "sealed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "db.h"
#include "err.h"

/* The longest context: a kind above and an id of at most 64 characters. */
#define CONTEXT_MAX 96

static int
context_of(const char *kind, const char *id, char out[CONTEXT_MAX])
{
	int n = snprintf(out, CONTEXT_MAX, "%s:%s", kind, id);

	return n > 0 && n < CONTEXT_MAX ? MP_OK : MP_ERR_INVALID;
}

int
lw_seal_param(const mp_keystore *ks, const char *kind, const char *id,
    const uint8_t *secret, size_t n, char **param)
{
	char context[CONTEXT_MAX];
	uint8_t *sealed = NULL;
	size_t len = 0;
	int r;

	if ((r = context_of(kind, id, context)) == MP_OK &&
	    (r = mp_keystore_seal(ks, context, secret, n, &sealed, &len)) == MP_OK)
		r = mp_db_bytea_param(sealed, len, param);
	free(sealed);
	return r;
}

int
lw_unseal_value(const mp_keystore *ks, const PGresult *res, int row, int col,
    const char *kind, const char *id, uint8_t *out, size_t max, size_t *len)
{
	char context[CONTEXT_MAX];
	uint8_t *sealed = NULL, *plain = NULL;
	size_t sealed_len = 0, plain_len = 0;
	int r;

	if ((r = context_of(kind, id, context)) != MP_OK ||
	    (r = mp_db_bytea_value(res, row, col, MP_KEYSTORE_SEAL_MAX, &sealed,
	    &sealed_len)) != MP_OK ||
	    (r = mp_keystore_unseal(ks, context, sealed, sealed_len, &plain, &plain_len)) != MP_OK)
		goto out;
	if (plain_len > max || (len == NULL && plain_len != max)) {
		r = MP_ERR_INTEGRITY;
		goto out;
	}
	memcpy(out, plain, plain_len);
	if (len != NULL)
		*len = plain_len;
out:
	OPENSSL_clear_free(plain, plain_len);
	free(sealed);
	return r;
}
