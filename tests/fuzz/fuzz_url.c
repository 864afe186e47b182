/* libFuzzer target: mp_url_decode, as the HTTP server decodes paths and query parts. */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int plus = 0; plus < 2; plus++) {
		char *out = NULL;

		if (mp_url_decode((const char *)data, size, plus, &out) != MP_OK)
			continue;
		if (strlen(out) > size) /* decoding never grows the input */
			abort();
		free(out);
	}
	return 0;
}
