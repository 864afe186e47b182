/* The parsed fields of a certificate, as the API shows them. */
#ifndef CA_DESCRIBE_H
#define CA_DESCRIBE_H

#include <jansson.h>
#include <openssl/x509.h>

/* The parsed fields the API shows for a certificate: subject, issuer, serial (hex),
 * not_before, not_after (RFC 3339), san (array of "dns:x"...), key_algorithm
 * ("ec-p256"...), key_usage, extended_key_usage, basic_constraints, extensions
 * (array of {oid, name, critical}). Also iec62351_roles when the certificate has
 * them. key_usage and extended_key_usage are arrays of names (dotted OIDs for
 * unknown purposes), empty without the extension; basic_constraints is
 * {"ca": bool, "path_len": n} (path_len only when set) or null. NULL when out
 * of memory. */
json_t *ca_cert_describe(X509 *x);

#endif
