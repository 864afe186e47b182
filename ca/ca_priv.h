/*
 * What the files of ca/ share and nothing outside uses: an issuing CA loaded
 * for one operation, the SQL that shows CA and certificate objects, and the
 * small conversions between DER, PEM and the JSON objects we return.
 */
#ifndef CA_PRIV_H
#define CA_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "ca.h"
#include "credential.h"
#include "dbbatch.h"
#include "detail.h"
#include "timefmt.h"

/* The largest certificate or CA certificate we store or read back. */
#define CA_DER_MAX 65536

/* The tenant whose CAs and profiles serve every tenant. */
#define CA_PLATFORM_TENANT_SQL "(SELECT id FROM tenants WHERE name = 'platform')"

/* A CA loaded for one operation. */
typedef struct ca_signer {
	char id[MP_UUID_STR_LEN + 1];
	char tenant_id[MP_UUID_STR_LEN + 1];
	X509 *cert;
	mp_key *key;     /* NULL for a CA we only trust */
	bool active;     /* not retired */
	char *chain_pem; /* this CA first, then its parents, the self-signed root left out */
} ca_signer;

/*
 * Loads CA ref (an id or a name) as seen from tenant_id: the tenant's own CA
 * of that name first, else the platform's (tenant_id NULL: any). Its key is
 * loaded when it has one. MP_ERR_NOT_FOUND when there is none.
 */
int ca_signer_load(const ca_env *env, const char *tenant_id, const char *ref, ca_signer *out);
/* Frees what ca_signer_load took; accepts a zeroed signer. */
void ca_signer_clear(ca_signer *s);
/* A copy of s that owns its own references (certificate, key, chain). */
int ca_signer_copy(const ca_signer *s, ca_signer *out);

/* Rows per batch of concurrent issuances committed together. */
#define CA_ISSUE_BATCH_ROWS 64
/* The batchers of issue.c's statements for ca_shared: the commit, and the device lookup. */
mp_db_batch *ca_issue_batch_new(void);
mp_db_batch *ca_device_batch_new(void);
mp_db_batch *ca_shared_batch(ca_shared *s);
mp_db_batch *ca_shared_device_batch(ca_shared *s);
/*
 * The cached copy of CA ref as seen from tenant_id (NULL: any), if one was
 * stored less than CA_SIGNER_CACHE_MS ago: MP_OK, else MP_ERR_NOT_FOUND.
 */
int ca_shared_signer_get(ca_shared *s, const char *tenant_id, const char *ref, ca_signer *out);
/* Caches a copy of signer as CA ref seen from tenant_id. */
void ca_shared_signer_put(ca_shared *s, const char *tenant_id, const char *ref,
    const ca_signer *signer);

/* DER of x in a new buffer (OPENSSL_free it). */
int ca_x509_der(X509 *x, uint8_t **der, size_t *len);
/* PEM of a certificate appended to *pem (a malloc'd string, or NULL to start one). */
int ca_pem_append_der(char **pem, const uint8_t *der, size_t len);
/* The name as "CN=x,O=y" in the certificate's order (RFC 4514 escaping), in a new string. */
int ca_name_text(const X509_NAME *name, char **out);


/* Where the OCSP/CRL listener publishes CA id's CRLs and certificate. */
typedef struct ca_urls {
	char crl[512];
	char delta_crl[512];
	char ocsp[512];
	char ca_issuers[512];
} ca_urls;
void ca_urls_of(const ca_env *env, const char *ca_id, ca_urls *out);

/* Replaces a row's base64 DER member by "certificate_pem", for rows leaving the issuer. */
int ca_row_pem(json_t *row, const char *member);

#endif
