/*
 * libFuzzer target: OpenSSH public key lines (sshca_pubkey_parse_line) and,
 * from the same bytes, wire blobs (sshca_pubkey_parse_blob); what parses is
 * encoded again as a line and must parse to the same blob.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sshkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
roundtrip(const sshca_pubkey *k)
{
	sshca_pubkey *again = NULL;
	const char *why;
	char *line = NULL;

	if (sshca_pubkey_line(sshca_key_type_name(k->type), k->blob, k->blob_len, NULL, &line) !=
	    MP_OK)
		return;
	if (sshca_pubkey_parse_line(line, strlen(line), &again, &why) != MP_OK ||
	    again->blob_len != k->blob_len || memcmp(again->blob, k->blob, k->blob_len) != 0)
		abort();
	sshca_pubkey_free(again);
	free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sshca_pubkey *k = NULL;
	const char *why;

	if (sshca_pubkey_parse_line((const char *)data, size, &k, &why) == MP_OK) {
		roundtrip(k);
		sshca_pubkey_free(k);
		k = NULL;
	}
	if (sshca_pubkey_parse_blob(data, size, &k, &why) == MP_OK) {
		roundtrip(k);
		sshca_pubkey_free(k);
	}
	return 0;
}
