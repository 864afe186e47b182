/*
 * /simpleenroll (RFC 7030 4.2.1): a device authenticated by HTTP Basic with
 * its serial number and a one-time enrollment token sends a PKCS#10 request
 * and gets its certificate, issued under the token's profile with the subject
 * and names the profile takes from the device record.
 */
#ifndef EST_ENROLL_H
#define EST_ENROLL_H

#include "http.h"

/*
 * 401 (WWW-Authenticate: Basic) for missing or wrong credentials or an
 * expired token, 415 for a body that is not application/pkcs10, 400 with the
 * reason for a body or CSR that is malformed or that the profile refuses,
 * 403 for a device that is not active, 202 with Retry-After when the profile
 * needs approval, else 200 with the certificate as certs-only PKCS#7. The
 * token's use is spent atomically before issuing and given back when no
 * certificate and no pending request came of it.
 */
void est_simpleenroll(mp_http_req *req, void *arg);

#endif
