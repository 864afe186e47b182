/*
 * libFuzzer target: what an EST server sends the client `midpki est`, as
 * base64 bodies (RFC 8951): a certs-only PKCS#7 (est_certs_parse) and CsrAttrs
 * (est_csrattrs_describe). An accepted PKCS#7 holds at least one certificate;
 * a described CsrAttrs is text of lines.
 */
#include <stdlib.h>
#include <string.h>

#include "../../cli/est_msg.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	return 0;
}
