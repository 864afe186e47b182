/*
 * Enrollment with a temporary pre-enrollment certificate on /simpleenroll:
 * an installer obtained, through the admin API, a short-lived certificate
 * for the device under a profile marked pre_enrollment (the built-in
 * "pre-enrollment"); the device presents it once as TLS client certificate
 * and gets its operational certificate under [est] profile. The
 * certificate is consumed by that use: put on hold while the new one is
 * issued (so that of concurrent uses exactly one goes on), then revoked as
 * superseded, or taken off hold again when no certificate came of it.
 */
#ifndef EST_PREENROLL_H
#define EST_PREENROLL_H

#include <stdbool.h>

#include <openssl/x509.h>

#include "http.h"

/*
 * Enrolls with cert when it is a certificate we issued: 401 outside its
 * validity, 403 when it was used already, revoked, is not a pre-enrollment
 * certificate (an operational one renews at /simplereenroll) or its device
 * is not active; then as /simpleenroll. Returns false, without replying,
 * when cert is not one of ours.
 */
bool est_preenroll(mp_http_req *req, X509 *cert, bool keygen);

#endif
