/* libFuzzer target: mp_pem_decode and mp_hex_decode on arbitrary text. */
#include <stdlib.h>

#include "codec.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out = NULL;
	size_t n = 0;

	if (mp_pem_decode((const char *)data, size, "CERTIFICATE", 1 << 16, &out, &n) == MP_OK)
		free(out);
	if (mp_hex_decode((const char *)data, size, 1 << 16, &out, &n) == MP_OK)
		free(out);
	return 0;
}
