#include "secure.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "err.h"

bool
mp_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return false;
	if (alen == 0)
		return true;
	return CRYPTO_memcmp(a, b, alen) == 0;
}

void
mp_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}

void
mp_free_secret_str(char *s)
{
	if (s == NULL)
		return;
	mp_wipe(s, strlen(s));
	free(s);
}

int
mp_random_bytes(void *out, size_t n)
{
	if (n > (size_t)2147483647)
		return MP_ERR_INVALID;
	return RAND_bytes(out, (int)n) == 1 ? MP_OK : MP_ERR_CRYPTO;
}
