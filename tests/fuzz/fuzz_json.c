/* libFuzzer target: mp_json_parse_body, the entry point for every JSON request body. */
#include <jansson.h>
#include <stdint.h>

#include "err.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc = NULL;
	char err[256];

	if (mp_json_parse_body((const char *)data, size, 32, &doc, err, sizeof(err)) == MP_OK)
		json_decref(doc);
	return 0;
}
