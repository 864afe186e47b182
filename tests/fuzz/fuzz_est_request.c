/*
 * libFuzzer target: an EST enrollment request as the server reads it. The
 * input is the body (est_body_decode with and without Content-Transfer-
 * Encoding, then the PKCS#10 decoder, ca_csr_decode, and the key protection
 * it asks of /serverkeygen, est_keywrap_request, on what came out) and,
 * as a NUL-terminated string, the Authorization header (est_basic_parse) and
 * the label segment of a path (mp_est_label_name_ok: a name it takes is 1 to
 * 64 characters without a slash).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "body.h"
#include "csr.h"
#include "err.h"
#include "est_labels.h"
#include "keywrap.h"
#include "secure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
body(const uint8_t *data, size_t size, const char *cte)
{
	uint8_t *der = NULL;
	size_t len = 0;
	const char *why = NULL;
	ca_csr *csr = NULL;
	ca_detail d;
	uint8_t id[EST_KEYWRAP_MAX_ID];
	size_t id_len = 0;
	est_keywrap kind;

	if (est_body_decode("application/pkcs10", cte, "application/pkcs10", data, size,
	    CA_CSR_MAX_BYTES, &der, &len, &why) != MP_OK) {
		if (why == NULL)
			abort();
		return;
	}
	if (ca_csr_decode(der, len, &csr, &d) == MP_OK)
		ca_csr_free(csr);
	if (est_keywrap_request(der, len, &kind, id, &id_len, &why) == MP_OK) {
		if (kind == EST_KEYWRAP_ASYMMETRIC && (id_len < 1 || id_len > EST_KEYWRAP_MAX_ID))
			abort();
	} else if (why == NULL) {
		abort();
	}
	free(der);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *header, *user = NULL, *password = NULL;

	body(data, size, NULL);
	body(data, size, "base64");
	if (size > EST_AUTH_MAX + 1 || (header = malloc(size + 1)) == NULL)
		return 0;
	memcpy(header, data, size);
	header[size] = '\0';
	if (est_basic_parse(header, &user, &password) == MP_OK &&
	    (user[0] == '\0' || password[0] == '\0'))
		abort();
	if (mp_est_label_name_ok(header) &&
	    (strlen(header) > MP_EST_LABEL_MAX || strlen(header) == 0 ||
	    strchr(header, '/') != NULL))
		abort();
	free(user);
	mp_free_secret_str(password);
	free(header);
	return 0;
}
