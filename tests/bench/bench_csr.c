#include "bench_csr.h"

#include <string.h>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

char *
bench_csr_pem(const char *serial)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509_REQ *req = X509_REQ_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *pem = NULL;
	long n;

	if (key == NULL || req == NULL || b == NULL)
		goto out;
	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
	    (const unsigned char *)serial, -1, -1, 0);
	if (X509_REQ_set_pubkey(req, key) != 1 || X509_REQ_sign(req, key, EVP_sha256()) <= 0 ||
	    PEM_write_bio_X509_REQ(b, req) != 1)
		goto out;
	n = BIO_get_mem_data(b, &data);
	pem = strndup(data, (size_t)n);
out:
	BIO_free(b);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return pem;
}
