/*
 * SSH KRLs over plain HTTP on the OCSP listener, unauthenticated, for
 * devices that keep sshd's RevokedKeys file fresh (`midpki ssh krl-sync`):
 *   GET /ssh/krl/<ssh ca id>    the CA's current KRL (application/octet-stream)
 * the same bytes as GET /api/v1/ssh/cas/{id}/krl on the admin listener, with
 * a strong ETag (If-None-Match gets 304) and Cache-Control no-cache. An
 * unknown CA, a malformed path, and a listener without a database (bundle
 * mode) get 404 with the JSON error body of every listener.
 */
#ifndef OCSP_SSH_KRL_HTTP_H
#define OCSP_SSH_KRL_HTTP_H

#include "http.h"

/* GET /ssh/krl/ plus "*": one SSH CA's KRL. */
void ocsp_ssh_krl_get(mp_http_req *req, void *arg);

#endif
