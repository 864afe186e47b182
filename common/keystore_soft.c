/*
 * The software backend: a key's PKCS#8 DER sealed with AES-256-GCM under the
 * master key, as nonce (12) || ciphertext || tag (16) with the key's id as
 * additional data, so a sealed key copied onto another row does not open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "err.h"
#include "fdio.h"
#include "keystore_priv.h"
#include "secure.h"

#define NONCE_LEN 12
#define TAG_LEN 16

/* Reads an existing master key file, refusing a wrong size or loose permissions. */
static int
master_read(int fd, const char *path, uint8_t master[MP_KS_MASTER_LEN], char *err,
    size_t errsz)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		snprintf(err, errsz, "master key file %s: %s", path, strerror(errno));
		return MP_ERR_IO;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errsz, "master key file %s is not a regular file", path);
		return MP_ERR_CONFIG;
	}
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errsz, "master key file %s has mode %04o: group or others may access"
		    " it; it must be 0600 (chmod 600 %s)", path, (unsigned)(st.st_mode & 07777), path);
		return MP_ERR_CONFIG;
	}
	if (st.st_size != MP_KS_MASTER_LEN) {
		snprintf(err, errsz, "master key file %s holds %lld bytes; a master key is exactly %d"
		    " bytes", path, (long long)st.st_size, MP_KS_MASTER_LEN);
		return MP_ERR_CONFIG;
	}
	if (mp_read_full(fd, master, MP_KS_MASTER_LEN) != MP_OK) {
		mp_wipe(master, MP_KS_MASTER_LEN);
		snprintf(err, errsz, "master key file %s: cannot read it", path);
		return MP_ERR_IO;
	}
	return MP_OK;
}

/* Creates the master key file (0600, O_EXCL) with fresh random bytes. EEXIST is MP_ERR_CONFLICT. */
static int
master_create(const char *path, uint8_t master[MP_KS_MASTER_LEN], char *err, size_t errsz)
{
	uint8_t key[MP_KS_MASTER_LEN];
	int fd, r;

	if ((r = mp_random_bytes(key, sizeof(key))) != MP_OK) {
		snprintf(err, errsz, "master key: the random generator failed");
		return r;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = errno == EEXIST ? MP_ERR_CONFLICT : MP_ERR_IO;
		snprintf(err, errsz, "cannot create master key file %s: %s", path, strerror(errno));
		goto out;
	}
	if (mp_write_full(fd, key, sizeof(key)) != MP_OK || fsync(fd) != 0) {
		snprintf(err, errsz, "cannot write master key file %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		r = MP_ERR_IO;
		goto out;
	}
	if (close(fd) != 0) {
		snprintf(err, errsz, "cannot write master key file %s: %s", path, strerror(errno));
		unlink(path);
		r = MP_ERR_IO;
		goto out;
	}
	memcpy(master, key, sizeof(key));
	r = MP_OK;
out:
	mp_wipe(key, sizeof(key));
	return r;
}

int
mp_ks_soft_master(const char *path, uint8_t master[MP_KS_MASTER_LEN], char *err, size_t errsz)
{
	int fd, r;

	/* two rounds: another process may create the file between our open and our create */
	for (int round = 0; round < 2; round++) {
		if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			r = master_read(fd, path, master, err, errsz);
			close(fd);
			return r;
		}
		if (errno != ENOENT) {
			snprintf(err, errsz, "cannot open master key file %s: %s", path,
			    strerror(errno));
			return MP_ERR_IO;
		}
		if ((r = master_create(path, master, err, errsz)) != MP_ERR_CONFLICT)
			return r;
	}
	return MP_ERR_IO;
}

int
mp_ks_soft_seal(mp_keystore *ks, const char *id, EVP_PKEY *pkey, uint8_t **ref, size_t *reflen)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	unsigned char *der = NULL;
	EVP_CIPHER_CTX *cctx = NULL;
	uint8_t *sealed = NULL;
	int derlen = 0, n = 0, fin = 0, r = MP_ERR_CRYPTO;

	if ((p8 = EVP_PKEY2PKCS8(pkey)) == NULL ||
	    (derlen = i2d_PKCS8_PRIV_KEY_INFO(p8, &der)) <= 0) {
		derlen = 0;
		goto out;
	}
	if ((sealed = malloc(NONCE_LEN + (size_t)derlen + TAG_LEN)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if ((r = mp_random_bytes(sealed, NONCE_LEN)) != MP_OK)
		goto out;
	r = MP_ERR_CRYPTO;
	if ((cctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex2(cctx, EVP_aes_256_gcm(), ks->master, sealed, NULL) != 1 ||
	    EVP_EncryptUpdate(cctx, NULL, &n, (const unsigned char *)id, (int)strlen(id)) != 1 ||
	    EVP_EncryptUpdate(cctx, sealed + NONCE_LEN, &n, der, derlen) != 1 ||
	    EVP_EncryptFinal_ex(cctx, sealed + NONCE_LEN + n, &fin) != 1 || n + fin != derlen ||
	    EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_AEAD_GET_TAG, TAG_LEN,
	    sealed + NONCE_LEN + derlen) != 1)
		goto out;
	*ref = sealed;
	*reflen = NONCE_LEN + (size_t)derlen + TAG_LEN;
	sealed = NULL;
	r = MP_OK;
out:
	EVP_CIPHER_CTX_free(cctx);
	free(sealed);
	OPENSSL_clear_free(der, (size_t)derlen);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return r;
}

/* Opens a sealed key: its PKCS#8 DER (wipe it), or MP_ERR_INTEGRITY when the seal does not verify. */
static int
unseal(mp_keystore *ks, const char *id, const uint8_t *ref, size_t reflen, uint8_t **der,
    size_t *derlen)
{
	EVP_CIPHER_CTX *cctx = NULL;
	uint8_t *pt = NULL;
	size_t ctlen;
	int n = 0, fin = 0, r = MP_ERR_INTEGRITY;

	if (reflen <= NONCE_LEN + TAG_LEN || reflen > INT32_MAX)
		return MP_ERR_INTEGRITY;
	ctlen = reflen - NONCE_LEN - TAG_LEN;
	if ((pt = OPENSSL_malloc(ctlen)) == NULL)
		return MP_ERR_NOMEM;
	if ((cctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex2(cctx, EVP_aes_256_gcm(), ks->master, ref, NULL) != 1 ||
	    EVP_DecryptUpdate(cctx, NULL, &n, (const unsigned char *)id, (int)strlen(id)) != 1 ||
	    EVP_DecryptUpdate(cctx, pt, &n, ref + NONCE_LEN, (int)ctlen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(cctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN,
	    (void *)(ref + NONCE_LEN + ctlen)) != 1 ||
	    EVP_DecryptFinal_ex(cctx, pt + n, &fin) != 1 || (size_t)(n + fin) != ctlen) {
		ERR_clear_error();
		goto out;
	}
	*der = pt;
	*derlen = ctlen;
	pt = NULL;
	r = MP_OK;
out:
	EVP_CIPHER_CTX_free(cctx);
	OPENSSL_clear_free(pt, ctlen);
	return r;
}

static int
soft_load(mp_keystore *ks, const char *id, const uint8_t *ref, size_t reflen, EVP_PKEY *pub,
    EVP_PKEY **out)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	const unsigned char *p;
	EVP_PKEY *pkey = NULL;
	uint8_t *der = NULL;
	size_t derlen = 0;
	int r;

	if ((r = unseal(ks, id, ref, reflen, &der, &derlen)) != MP_OK)
		goto out;
	p = der;
	r = MP_ERR_INTEGRITY;
	if ((p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)derlen)) == NULL ||
	    p != der + derlen || (pkey = EVP_PKCS82PKEY(p8)) == NULL ||
	    EVP_PKEY_eq(pkey, pub) != 1) {
		ERR_clear_error();
		goto out;
	}
	*out = pkey;
	pkey = NULL;
	r = MP_OK;
out:
	EVP_PKEY_free(pkey);
	PKCS8_PRIV_KEY_INFO_free(p8);
	OPENSSL_clear_free(der, derlen);
	return r;
}

/* A fresh key pair of spec from OpenSSL's default provider. */
static int
keygen(const mp_key_spec *spec, EVP_PKEY **out)
{
	EVP_PKEY *pkey = NULL;

	switch (spec->alg) {
	case MP_KEY_EC_P256:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case MP_KEY_EC_P384:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
		break;
	case MP_KEY_RSA:
	case MP_KEY_RSA_PSS:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)spec->rsa_bits);
		break;
	case MP_KEY_ED25519:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	}
	if (pkey == NULL)
		return MP_ERR_CRYPTO;
	*out = pkey;
	return MP_OK;
}

static int
soft_generate(mp_keystore *ks, const char *id, const mp_key_spec *spec, const char *label,
    uint8_t **spki, size_t *spkilen, uint8_t **ref, size_t *reflen)
{
	EVP_PKEY *pkey = NULL;
	uint8_t *s = NULL;
	size_t slen = 0;
	int r;

	(void)label;
	if ((r = keygen(spec, &pkey)) != MP_OK || (r = mp_ks_spki(pkey, &s, &slen)) != MP_OK ||
	    (r = mp_ks_soft_seal(ks, id, pkey, ref, reflen)) != MP_OK)
		goto out;
	*spki = s;
	*spkilen = slen;
	s = NULL;
out:
	free(s);
	EVP_PKEY_free(pkey);
	return r;
}

/* The row's sealed bytes are the key: clearing them (keystore.c) is all there is to do. */
static int
soft_destroy(mp_keystore *ks, const uint8_t *ref, size_t reflen)
{
	(void)ks;
	(void)ref;
	(void)reflen;
	return MP_OK;
}

const struct mp_ks_backend mp_ks_soft = {
	"software",
	soft_generate,
	soft_load,
	soft_destroy,
};
