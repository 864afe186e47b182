/*
 * CRLs and CA certificates over plain HTTP on the OCSP listener, at the URLs
 * the profiles put in certificates:
 *   GET /crl/<ca id>.crl        the current full CRL   (application/pkix-crl)
 *   GET /crl/<ca id>-delta.crl  the current delta CRL  (application/pkix-crl)
 *   GET /ca/<ca id>.crt         the CA certificate     (application/pkix-cert)
 * all DER. A CRL is cacheable until its nextUpdate (Cache-Control max-age,
 * Expires), with Last-Modified its thisUpdate and a strong ETag; a matching
 * If-None-Match gets 304. An unknown CA, a CA without that CRL yet or a
 * malformed path gets 404 with the JSON error body of every listener.
 */
#ifndef OCSP_CRL_HTTP_H
#define OCSP_CRL_HTTP_H

#include "http.h"

/* GET /crl/ plus "*": one CA's full or delta CRL. */
void ocsp_crl_get(mp_http_req *req, void *arg);
/* GET /ca/ plus "*": one CA's certificate. */
void ocsp_ca_cert_get(mp_http_req *req, void *arg);

#endif
