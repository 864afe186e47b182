/* /api/v1/openapi.json: the API's OpenAPI 3.1 document. */
#include "openapi.h"

#include "resources.h"

void
api_openapi(api_call *c)
{
	mp_http_reply(c->req, 200, "application/json", api_openapi_json, api_openapi_json_len);
}
