/*
 * Inside the key store: the store itself and the function table each backend
 * fills (keystore_soft.c, keystore_p11.c). keystore.c owns the keys rows, the
 * handle cache and signing; a backend only makes, opens and destroys keys.
 */
#ifndef MP_KEYSTORE_PRIV_H
#define MP_KEYSTORE_PRIV_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "keystore.h"

#define MP_KS_MASTER_LEN 32

struct mp_p11;

struct mp_keystore {
	uint8_t master[MP_KS_MASTER_LEN];
	struct mp_p11 *p11;        /* NULL: PKCS#11 off */
	pthread_mutex_t lock;      /* guards cache */
	mp_key *cache;             /* loaded handles, each holding one reference */
};

/*
 * A backend. ref is what the keys row keeps for the key: the sealed PKCS#8
 * (column wrapped) for software, the CKA_ID (column pkcs11_id) for PKCS#11.
 * id is the key's canonical uuid text.
 */
struct mp_ks_backend {
	const char *name;
	/* Makes a key of spec: its SubjectPublicKeyInfo DER and its ref (both malloc'd). */
	int (*generate)(mp_keystore *ks, const char *id, const mp_key_spec *spec,
	    const char *label, uint8_t **spki, size_t *spkilen, uint8_t **ref, size_t *reflen);
	/* Opens the key for signing; pub is the row's public key, which it must match. */
	int (*load)(mp_keystore *ks, const char *id, const uint8_t *ref, size_t reflen,
	    EVP_PKEY *pub, EVP_PKEY **out);
	/* Removes what the backend holds beyond the row (nothing for software). */
	int (*destroy)(mp_keystore *ks, const uint8_t *ref, size_t reflen);
};

extern const struct mp_ks_backend mp_ks_soft;
extern const struct mp_ks_backend mp_ks_p11;

/*
 * Reads the master key from path into master, or creates the file (0600,
 * O_EXCL) from the CSPRNG when it does not exist. A file of the wrong size or
 * readable by group or others is refused with MP_ERR_CONFIG and a message.
 */
int mp_ks_soft_master(const char *path, uint8_t master[MP_KS_MASTER_LEN], char *err,
    size_t errsz);

/* Seals pkey's PKCS#8 DER under the master key with id as additional data. */
int mp_ks_soft_seal(mp_keystore *ks, const char *id, EVP_PKEY *pkey, uint8_t **ref,
    size_t *reflen);

/* Loads the module, logs in to the slot with the PIN from the file. */
int mp_ks_p11_open(const mp_keystore_config *cfg, struct mp_p11 **out, char *err, size_t errsz);
/* Logs out, finalizes and unloads the module. Accepts NULL. */
void mp_ks_p11_close(struct mp_p11 *p);

/* The SubjectPublicKeyInfo DER of pkey (malloc'd). */
int mp_ks_spki(EVP_PKEY *pkey, uint8_t **out, size_t *outlen);

#endif
