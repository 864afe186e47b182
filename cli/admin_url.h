/*
 * The clients' server URL (https://host[:port][/prefix], or http:// where a
 * plain-HTTP resource is meant) and percent-encoding.
 */
#ifndef CLI_ADMIN_URL_H
#define CLI_ADMIN_URL_H

#include <stdbool.h>

#include "buf.h"

typedef struct cli_url {
	char *host;      /* a DNS name or an IP address, without brackets */
	char *port;      /* decimal, 1..65535 */
	char *prefix;    /* path before /api/v1, without a trailing slash; "" for none */
	bool host_is_ip;
	bool tls;        /* https (always, from cli_url_parse) or http */
} cli_url;

/*
 * Parses an https URL with no user information, query or fragment. The port
 * defaults to 443. Returns MP_OK with *out set, MP_ERR_INVALID (naming nothing:
 * the caller quotes the URL) or MP_ERR_NOMEM.
 */
int cli_url_parse(const char *s, cli_url **out);
/* As cli_url_parse, and http URLs too (port 80 by default): plain-HTTP resources. */
int cli_url_parse_http(const char *s, cli_url **out);
void cli_url_free(cli_url *u);

/* Appends s to b with every byte outside RFC 3986 "unreserved" percent-encoded. */
int cli_url_encode(mp_buf *b, const char *s);

#endif
