/* docs/openapi.json, built into the binary by tools/embed_file.py. */
#ifndef ADMIN_OPENAPI_H
#define ADMIN_OPENAPI_H

#include <stddef.h>

extern const char api_openapi_json[];
extern const size_t api_openapi_json_len;

#endif
