/*
 * FDO over HTTP as a device speaks it (FDO 1.1: POST /fdo/101/msg/{type},
 * application/cbor; the server's session token comes back in Authorization
 * and goes out again with the next message), through the command-line
 * clients' transport (https_client.h): http or https, one connection per
 * message, the answer capped at 64 KiB.
 */
#ifndef CLI_FDO_HTTP_H
#define CLI_FDO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define CLI_FDO_MAX_ANSWER (64 * 1024)

typedef struct cli_fdo_answer {
	int status;                        /* HTTP status */
	char type[8];                      /* Message-Type */
	char auth[128];                    /* Authorization, when the server sent one */
	uint8_t body[CLI_FDO_MAX_ANSWER];
	size_t len;
} cli_fdo_answer;

/*
 * Sends message type with body (and "Authorization: token" unless token is
 * NULL) to url (http://host:port or https://host:port; over https the
 * server's certificate is not checked, as FDO does not rest on TLS) and
 * reads the answer into out.
 * MP_ERR_INVALID for a URL of another form, MP_ERR_IO when there is no
 * answer; err says why.
 */
int cli_fdo_post(const char *url, int type, const char *token, const mp_buf *body,
    cli_fdo_answer *out, char *err, size_t errsz);

/*
 * An FDO error message (type 255) as "error CODE (HTTP STATUS): MESSAGE" in
 * buf; false when the answer is not one.
 */
bool cli_fdo_error_text(const cli_fdo_answer *a, char *buf, size_t n);

#endif
