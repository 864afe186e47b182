/*
 * libFuzzer target: OpenSSH certificate lines as a device reads its own back
 * (sshca_cert_read_line); what reads has a subject that parses as a plain key
 * to the same blob, and a validity.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sshkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sshca_cert_info info = { 0 };
	sshca_pubkey *again = NULL;
	const char *why;

	if (sshca_cert_read_line((const char *)data, size, &info, &why) != MP_OK)
		return 0;
	if (info.subject == NULL ||
	    sshca_pubkey_parse_blob(info.subject->blob, info.subject->blob_len, &again, &why) !=
	    MP_OK || again->blob_len != info.subject->blob_len ||
	    memcmp(again->blob, info.subject->blob, again->blob_len) != 0)
		abort();
	sshca_pubkey_free(again);
	sshca_cert_info_clear(&info);
	return 0;
}
