/*
 * libFuzzer target: what the CRL cache does with a CRL fetched from a
 * distribution point or read from an upload (common/crl_cache.c) before it
 * trusts it: parse it as exactly one DER CRL, compare its issuer, verify its
 * signature with the issuer's key (made per run, so no input passes: what
 * follows, reading the times and sorting the entries, only ever sees CRLs
 * their issuer signed). Arbitrary bytes come through the uploaded-CRL
 * loader, without a cache kept between runs.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crl_cache.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *data;
	size_t size;
};

/* The issuer the seeds' CRLs name (CN=Fuzz CA), with a key of its own. */
static X509 *
issuer(void)
{
	static X509 *x;
	EVP_PKEY *key;

	if (x != NULL)
		return x;
	if ((key = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
	    (const unsigned char *)"Fuzz CA", -1, -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(x)) || !X509_set_pubkey(x, key) ||
	    X509_sign(x, key, EVP_sha256()) <= 0)
		abort();
	EVP_PKEY_free(key);
	return x;
}

static int
load(void *arg, const char *id, const char *sha256, uint8_t **der, size_t *len)
{
	const struct input *in = arg;

	(void)id;
	(void)sha256;
	if ((*der = malloc(in->size + 1)) == NULL)
		return MP_ERR_NOMEM;
	memcpy(*der, in->data, in->size);
	*len = in->size;
	return MP_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	X509_CRL *crl = NULL;

	if (mp_crl_cache_uploaded(NULL, "fuzz", "00", issuer(), load, &in, &crl) == MP_OK)
		X509_CRL_free(crl);
	return 0;
}
