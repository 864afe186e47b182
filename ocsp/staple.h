/*
 * OCSP stapling (RFC 6066 status_request) on our own TLS listeners: a
 * current response for a TLS context's server certificate, taken from the
 * responder by a thread of its own (at start, then again before half of the
 * response's remaining validity has passed, at least every minute), and
 * handed to every handshake whose client asks for status. A handshake that
 * comes while there is no current response goes on without one.
 */
#ifndef OCSP_STAPLE_H
#define OCSP_STAPLE_H

#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "responder.h"

typedef struct ocsp_stapler_config {
	const char *conninfo;          /* copied */
	uint64_t connect_timeout_ms;
	ocsp_responder *responder;     /* must outlive the stapler */
	X509 *cert, *issuer;           /* the server certificate and its issuer (references taken) */
} ocsp_stapler_config;

typedef struct ocsp_stapler ocsp_stapler;

/*
 * Installs the status callback on ctx and starts the thread. ctx must not
 * serve handshakes after ocsp_stapler_stop. MP_ERR_NOMEM, MP_ERR_INTERNAL.
 */
int ocsp_stapler_start(SSL_CTX *ctx, const ocsp_stapler_config *cfg, ocsp_stapler **out);
/* Fetches a response now, as the thread does (for tests). */
int ocsp_stapler_refresh(ocsp_stapler *s);
/* Stops the thread and frees the stapler. Accepts NULL. */
void ocsp_stapler_stop(ocsp_stapler *s);

#endif
