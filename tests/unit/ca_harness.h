/* Keys, CSRs and a CA hierarchy made with the OpenSSL API for the ca/ unit tests. */
#ifndef CA_HARNESS_H
#define CA_HARNESS_H

#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "certbuild.h"
#include "csr.h"
#include "profile.h"

/* A fresh key: "ec-p256", "ec-p384", "ec-p521", "rsa-1024", "rsa-2048", "ed25519". Aborts on failure. */
EVP_PKEY *th_key(const char *spec);
/*
 * A CSR for key with subject (RFC 4514 text, NULL for an empty one) and
 * requested extensions: pairs of (NID, OpenSSL config value), ending with
 * NID_undef, e.g. NID_basic_constraints, "critical,CA:TRUE", NID_undef.
 */
X509_REQ *th_csr(EVP_PKEY *key, const char *subject, ...);
/* DER of a CSR; OPENSSL_free it. */
size_t th_csr_der(X509_REQ *req, uint8_t **der);
/* req as ca_csr_decode gives it (aborts when it is refused); ca_csr_free it. */
ca_csr *th_csr_decode(X509_REQ *req);

/* A two-level hierarchy: a P-384 root and a P-256 issuing CA, both signed. */
typedef struct th_ca {
	EVP_PKEY *root_key, *key;
	X509 *root, *cert;
} th_ca;
void th_ca_make(th_ca *ca);
void th_ca_free(th_ca *ca);

/* The built-in profile name, parsed; aborts when it does not parse. */
ca_profile *th_builtin(const char *name);
/* A device object {id, serial, model, manufacturer, attributes: {site}}. */
json_t *th_device(void);
/* The input for issuing from csr under profile by the issuing CA, with every URL set. */
void th_input(ca_cert_input *in, const th_ca *ca, const ca_profile *p, const char *pname,
    const ca_csr *csr, const json_t *device);

#endif
