/*
 * /simplereenroll (RFC 7030 4.2.2): a device renews with its current
 * certificate as TLS client certificate. The certificate must be one we
 * issued (byte for byte), within its validity, active (not revoked or
 * suspended), its device still active; the request must carry the same
 * subject and subjectAltName as the certificate. The new certificate is
 * issued under the same profile; the old one stays valid until it expires,
 * or is revoked as superseded when its profile's on_renewal is "revoke".
 */
#ifndef EST_REENROLL_H
#define EST_REENROLL_H

#include "http.h"

/*
 * 401 without a client certificate or with one we did not issue or that is
 * outside its validity; 403 for a certificate that is revoked or suspended
 * or a device that is not active; 415/400 as /simpleenroll, and 400 when the
 * request's subject or subjectAltName differ from the certificate's; else
 * 200 with the new certificate as certs-only PKCS#7.
 */
void est_simplereenroll(mp_http_req *req, void *arg);

#endif
