/* The PKCS#11 backend (not yet available: every call is MP_ERR_UNSUPPORTED). */
#include <stdio.h>

#include "err.h"
#include "keystore_priv.h"

int
mp_ks_p11_open(const mp_keystore_config *cfg, struct mp_p11 **out, char *err, size_t errsz)
{
	(void)out;
	snprintf(err, errsz, "PKCS#11 module %s: PKCS#11 is not supported yet", cfg->pkcs11_module);
	return MP_ERR_UNSUPPORTED;
}

void
mp_ks_p11_close(struct mp_p11 *p)
{
	(void)p;
}

static int
p11_generate(mp_keystore *ks, const char *id, const mp_key_spec *spec, const char *label,
    uint8_t **spki, size_t *spkilen, uint8_t **ref, size_t *reflen)
{
	(void)ks, (void)id, (void)spec, (void)label, (void)spki, (void)spkilen, (void)ref,
	    (void)reflen;
	return MP_ERR_UNSUPPORTED;
}

static int
p11_load(mp_keystore *ks, const char *id, const uint8_t *ref, size_t reflen, EVP_PKEY *pub,
    EVP_PKEY **out)
{
	(void)ks, (void)id, (void)ref, (void)reflen, (void)pub, (void)out;
	return MP_ERR_UNSUPPORTED;
}

static int
p11_destroy(mp_keystore *ks, const uint8_t *ref, size_t reflen)
{
	(void)ks, (void)ref, (void)reflen;
	return MP_ERR_UNSUPPORTED;
}

const struct mp_ks_backend mp_ks_p11 = { "pkcs11", p11_generate, p11_load, p11_destroy };
