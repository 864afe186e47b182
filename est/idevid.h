/*
 * Enrollment with a manufacturer certificate (IDevID) as TLS client
 * certificate on /simpleenroll: no shared secret. The certificate must
 * verify under a tenant's trust anchor (mp_trust_anchor_verify); its
 * serialNumber attribute (else its CN) is the device serial, mapped to the
 * device of that serial in the anchor's tenant, or registered there when the
 * anchor's policy has auto_register. The certificate is issued under the
 * anchor's profile, or [est] profile when the anchor names none.
 */
#ifndef EST_IDEVID_H
#define EST_IDEVID_H

#include <stdbool.h>

#include <openssl/x509.h>

#include "http.h"

/* The longest device serial taken from a manufacturer certificate. */
#define EST_IDEVID_SERIAL_MAX 128

/*
 * 401 when no anchor vouches for leaf; 403 when it (or an intermediate) is
 * revoked or its revocation cannot be checked, it names no serial, maps to no
 * device (or to several tenants'), or its device is not active; under a
 * label (label.h) only the anchors of the label's tenant count; then as
 * /simpleenroll.
 */
void est_idevid_enroll(mp_http_req *req, X509 *leaf, bool keygen);

#endif
