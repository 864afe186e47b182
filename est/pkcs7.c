#include "pkcs7.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>

#include "err.h"

int
est_certs_only(const char *pem, uint8_t **der, size_t *len)
{
	PKCS7 *p7 = NULL;
	BIO *bio = NULL;
	X509 *x = NULL;
	unsigned char *out = NULL;
	int n, count = 0, r = MP_ERR_NOMEM;

	if ((bio = BIO_new_mem_buf(pem, (int)strlen(pem))) == NULL || (p7 = PKCS7_new()) == NULL)
		goto out;
	if (!PKCS7_set_type(p7, NID_pkcs7_signed)) {
		r = MP_ERR_CRYPTO;
		goto out;
	}
	/* no encapsulated content: contentType data with the content absent */
	p7->d.sign->contents->type = OBJ_nid2obj(NID_pkcs7_data);
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (!PKCS7_add_certificate(p7, x)) {
			r = MP_ERR_CRYPTO;
			goto out;
		}
		X509_free(x);
		x = NULL;
		count++;
	}
	ERR_clear_error();
	if (count == 0) {
		r = MP_ERR_INVALID;
		goto out;
	}
	if ((n = i2d_PKCS7(p7, &out)) <= 0) {
		r = MP_ERR_CRYPTO;
		goto out;
	}
	*der = out;
	*len = (size_t)n;
	r = MP_OK;
out:
	X509_free(x);
	PKCS7_free(p7);
	BIO_free(bio);
	return r;
}
