/* libFuzzer target: cli_http_parse, how `midpki admin` reads the server's answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../cli/http_response.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int eof = 0; eof < 2; eof++) {
		cli_http_response *r = NULL;
		const char *v;
		char buf[64];
		int rc = cli_http_parse((const char *)data, size, eof, 4096, &r);

		if (rc != MP_OK) {
			if (r != NULL || (eof && rc == CLI_HTTP_NEED_MORE))
				abort();
			continue;
		}
		/* a body is never longer than the input nor the cap, and always NUL-terminated */
		if (r->status < 200 || r->status > 599 || r->body_len > size || r->body_len > 4096 ||
		    r->body[r->body_len] != '\0')
			abort();
		/* a field's value is a part of the input */
		if ((v = cli_http_header(r, "Message-Type", buf, sizeof(buf))) != NULL &&
		    strlen(v) > size)
			abort();
		cli_http_response_free(r);
	}
	return 0;
}
