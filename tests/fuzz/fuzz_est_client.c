/*
 * libFuzzer target: what an EST server sends the client `midpki est`, as
 * base64 bodies (RFC 8951): a certs-only PKCS#7 (est_certs_parse) and CsrAttrs
 * (est_csrattrs_describe). An accepted PKCS#7 holds at least one certificate;
 * a described CsrAttrs is text of lines. Then, with its first line as the
 * Content-Type and the rest as the body, a /serverkeygen answer
 * (est_keygen_parse, and est_key_plain on the key it holds): an accepted one
 * has a key and at least one certificate.
 */
#include <stdlib.h>
#include <string.h>

#include "../../cli/est_msg.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
keygen(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	est_keygen_answer a = { NULL, 0, false, NULL };
	EVP_PKEY *k = NULL;
	char *type;

	if (nl == NULL || (type = strndup((const char *)data, (size_t)(nl - data))) == NULL)
		return;
	if (est_keygen_parse(type, (const char *)nl + 1, size - (size_t)(nl + 1 - data), &a) ==
	    MP_OK) {
		if (a.key == NULL || a.key_len == 0 || sk_X509_num(a.certs) < 1)
			abort();
		if (!a.encrypted && est_key_plain(a.key, a.key_len, &k) == MP_OK)
			EVP_PKEY_free(k);
		est_keygen_answer_free(&a);
	}
	free(type);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	STACK_OF(X509) *certs = NULL;
	mp_buf *text = mp_buf_new(EST_MAX_RESPONSE * 4);

	if (est_certs_parse((const char *)data, size, &certs) == MP_OK) {
		if (sk_X509_num(certs) < 1)
			abort();
		sk_X509_pop_free(certs, X509_free);
	}
	if (text != NULL && est_csrattrs_describe((const char *)data, size, text) == MP_OK &&
	    mp_buf_len(text) > 0 && mp_buf_str(text)[mp_buf_len(text) - 1] != '\n')
		abort();
	mp_buf_free(text);
	keygen(data, size);
	return 0;
}
