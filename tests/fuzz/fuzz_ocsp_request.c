/*
 * libFuzzer target: OCSP requests as a POST body (ocsp_request_parse) and as
 * a GET path (ocsp_request_from_path, then the parser). Every accepted
 * request must keep its promises: a bounded number of CertIDs whose fields
 * lie inside the input and re-encode (ocsp_certid_make), a nonce of
 * 1..OCSP_NONCE_MAX bytes inside the input.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	if (p < data || n > size || p > data + size - n)
		abort();
}

static void
parse(const uint8_t *data, size_t size)
{
	uint8_t buf[OCSP_CERTID_MAX];
	ocsp_request r;
	ocsp_certid again;

	if (ocsp_request_parse(data, size, &r) != MP_OK)
		return;
	if (size > OCSP_REQUEST_MAX_BYTES || r.n == 0 || r.n > OCSP_MAX_CERTS)
		abort();
	for (size_t i = 0; i < r.n; i++) {
		const ocsp_certid *id = &r.ids[i];

		if (id->hash_len != ocsp_hash_len(id->hash))
			abort();
		inside(id->der, id->der_len, data, size);
		inside(id->name_hash, id->hash_len, id->der, id->der_len);
		inside(id->key_hash, id->hash_len, id->der, id->der_len);
		inside(id->serial, id->serial_len, id->der, id->der_len);
		if (ocsp_certid_make(id->hash, id->name_hash, id->key_hash, id->serial, id->serial_len,
		    buf, &again) != MP_OK || again.der_len > id->der_len + 3 ||
		    memcmp(again.serial, id->serial, id->serial_len) != 0)
			abort();
	}
	if (r.has_nonce) {
		if (r.nonce_len == 0 || r.nonce_len > OCSP_NONCE_MAX)
			abort();
		inside(r.nonce, r.nonce_len, data, size);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *der = NULL;
	char *path;
	size_t len = 0;

	parse(data, size);
	if ((path = malloc(size + 1)) == NULL)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	if (ocsp_request_from_path(path, &der, &len) == MP_OK) {
		if (len == 0 || len > OCSP_REQUEST_MAX_BYTES)
			abort();
		parse(der, len);
		free(der);
	}
	free(path);
	return 0;
}
