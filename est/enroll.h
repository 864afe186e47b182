/*
 * /simpleenroll (RFC 7030 4.2.1): a device authenticated by HTTP Basic with
 * its serial number and a one-time enrollment token sends a PKCS#10 request
 * and gets its certificate, issued under the token's profile with the subject
 * and names the profile takes from the device record. Without an
 * Authorization header, a TLS client certificate is a pre-enrollment
 * certificate when we issued it (preenroll.h), else the device's
 * manufacturer certificate (idevid.h).
 */
#ifndef EST_ENROLL_H
#define EST_ENROLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ca.h"
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
/*
 * /serverkeygen (RFC 7030 4.4): as /simpleenroll, the same credentials, but
 * the certificate is for a key the server makes and returns with it
 * (multipart/mixed: the key as PKCS#8 inside the TLS channel, or encrypted
 * to the client certificate when the CSR asks, keywrap.h). Refused (400)
 * for a profile that needs approval.
 */
void est_serverkeygen(mp_http_req *req, void *arg);

/* Steps every enrollment shares (simpleenroll, simplereenroll). */

/*
 * The request body as a DER PKCS#10 (est_body_decode) into *csr (free it);
 * replies 415, 413 or 400 with the reason and returns false otherwise.
 */
bool est_enroll_body(mp_http_req *req, uint8_t **csr, size_t *len);
/*
 * Issues for device of tenant under profile (ca_issue, the device as actor)
 * and replies; under a label (label.h), under the label's profile instead,
 * and 403 for a device of another tenant than the label's. A request the
 * device made before for the same key under a profile that needs approval
 * answers it (ca_issue_repeatable). Replies: 200 with the certificate, 202 with Retry-After for a request
 * awaiting approval, or the refusal (est_enroll_refused). With keygen, for a
 * key made by the server (ca_issue_keygen), answered with key and
 * certificate (est_reply_keygen). What came of it.
 */
typedef enum est_outcome {
	EST_REFUSED = 0,   /* nothing came of it (replied with the reason) */
	EST_ISSUED,        /* a certificate */
	EST_PENDING,       /* a request awaiting approval */
} est_outcome;
est_outcome est_enroll_issue(mp_http_req *req, const char *tenant, const char *device,
    const char *profile, const uint8_t *csr, size_t csr_len, bool keygen);
/*
 * Answers a request repeated by device of tenant from its request awaiting
 * approval for the key csr is for, when there is one: 202 with Retry-After
 * while it is pending, 200 with the certificate once approved, 403 once
 * rejected. Whether it replied (false: there is none).
 */
bool est_enroll_answer_request(mp_http_req *req, const char *tenant, const char *device,
    const uint8_t *csr, size_t csr_len);
/*
 * Replies to a refusal of the issuer with its reason: 400 for a request that
 * does not decode or that the profile refuses, 403 for a device or CA that
 * is not active or a profile that does not exist, else as est_reply_fail.
 */
void est_enroll_refused(mp_http_req *req, int err, const ca_detail *d);

#endif
