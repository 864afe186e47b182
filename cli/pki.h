/*
 * The PKI side of `midpki serve`: the key store, the platform CA (built-in
 * profiles, root and devices CAs), the certificate of the TLS listeners, an
 * OCSP signer for every active CA with a key (renewed later by the OCSP
 * pre-signing service), and <state dir>/trust.pem, made or loaded at start.
 */
#ifndef CLI_PKI_H
#define CLI_PKI_H

#include <openssl/ssl.h>

#include "ca.h"
#include "config.h"
#include "db.h"
#include "keystore.h"

typedef struct cli_pki {
	mp_keystore *ks;
	ca_shared *shared;     /* what the issuing workers share */
	ca_service_cert tls;   /* the listeners' certificate */
	X509 *tls_issuer;      /* the CA that issued it */
	SSL_CTX *tls_ctx;      /* a server context with it */
} cli_pki;

/* Opens the key store and sets the CA up on db; logs what failed. */
int cli_pki_start(const mp_config *cfg, mp_db *db, cli_pki *out);
/* The issuer context for db, with the workers' shared state. */
ca_env cli_pki_env(const mp_config *cfg, const cli_pki *pki, mp_db *db);
void cli_pki_stop(cli_pki *pki);

#endif
