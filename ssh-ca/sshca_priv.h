/* Between the parts of the SSH CA issuer: its CAs and issuance. */
#ifndef SSHCA_PRIV_H
#define SSHCA_PRIV_H

#include "keystore.h"
#include "sshca.h"

/* The newest active key of CA ca_id, loaded, and its key store id (free it). */
int sshca_ca_signing_key(const sshca_env *env, const char *ca_id, mp_key **out, char **key_id);

#endif
