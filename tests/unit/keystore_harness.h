/* Signing checks shared by the key store tests (software and PKCS#11). */
#ifndef MP_TEST_KEYSTORE_HARNESS_H
#define MP_TEST_KEYSTORE_HARNESS_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "keystore.h"

/* A certificate with every field but the signature set, for pub. */
X509 *unsigned_cert(EVP_PKEY *pub);

/*
 * Verifies a data signature the way a peer would for this spec (md NULL for
 * Ed25519; PSS with a salt as long as the digest): 1 good, 0 bad.
 */
int verify_data(EVP_PKEY *pub, const mp_key_spec *spec, const char *md, const uint8_t *sig,
    size_t siglen, const char *msg);

/*
 * Signs a certificate, a CRL and data with k and checks each with the public
 * key; sig_nid is the certificate's expected signature algorithm, md the
 * key's digest name (NULL for Ed25519).
 */
void sign_and_verify(mp_key *k, int sig_nid, const char *md);

#endif
