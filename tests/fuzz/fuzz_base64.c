/* libFuzzer target: mp_b64_decode, both alphabets; a decoded value re-encodes to itself. */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int url = 0; url < 2; url++) {
		uint8_t *dec = NULL;
		size_t n = 0;
		char *enc = NULL;

		if (mp_b64_decode((const char *)data, size, url, 1 << 16, &dec, &n) != MP_OK)
			continue;
		if (mp_b64_encode(dec, n, url, &enc) == MP_OK) {
			uint8_t *again = NULL;
			size_t m = 0;

			if (mp_b64_decode(enc, strlen(enc), url, 1 << 16, &again, &m) != MP_OK ||
			    m != n || memcmp(again, dec, n) != 0)
				abort();
			free(again);
			free(enc);
		}
		free(dec);
	}
	return 0;
}
