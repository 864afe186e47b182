/* libFuzzer target: the device import parser (JSON lines and CSV); the first byte picks. */
#include <stdint.h>

#include "device_parse.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_import im;

	if (size == 0 || api_import_init(&im) != MP_OK)
		return 0;
	(void)api_import_parse(&im, (data[0] & 1) != 0, (const char *)data + 1, size - 1);
	api_import_free(&im);
	return 0;
}
