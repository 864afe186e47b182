/*
 * libFuzzer target: OCSP bundles (ocsp_bundle_parse), as `midpki serve
 * --ocsp-bundle` reads a file dropped into an isolated network. Every
 * accepted bundle must keep its promises: the CAs it counts, each found by its
 * id, each response found again by the lookup under the index order, and
 * verification against an empty trust store refusing it.
 */
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mp_buf *b = mp_buf_new(size + 1);
	ocsp_bundle *bundle = NULL;
	X509_STORE *empty = X509_STORE_new();
	ocsp_bundle_resp resp;
	ocsp_bundle_crl crl;
	char err[256];

	if (b == NULL || empty == NULL || mp_buf_put(b, data, size) != MP_OK) {
		mp_buf_free(b);
		X509_STORE_free(empty);
		return 0;
	}
	if (ocsp_bundle_parse(b, &bundle, err, sizeof(err)) != MP_OK) {
		X509_STORE_free(empty);
		return 0;
	}
	if (ocsp_bundle_ca_count(bundle) == 0 || ocsp_bundle_ca_count(bundle) > OCSP_BUNDLE_MAX_CAS)
		abort();
	for (size_t i = 0; i < ocsp_bundle_ca_count(bundle); i++) {
		if (ocsp_bundle_find_ca(bundle, ocsp_bundle_ca_id(bundle, i)) != (long)i)
			abort();
		if (ocsp_bundle_signer_count(bundle, i) == 0)
			abort();
		(void)ocsp_bundle_find(bundle, i, OCSP_HASH_SHA1, (const uint8_t *)"\x01", 1, &resp);
		(void)ocsp_bundle_crl_get(bundle, i, false, &crl);
	}
	if (ocsp_bundle_verify(bundle, empty, 0, err, sizeof(err)) == MP_OK)
		abort();
	ocsp_bundle_unref(bundle);
	X509_STORE_free(empty);
	return 0;
}
