/* Certificate rows as the issuer shows them, shared by the files of ca/. */
#ifndef CA_CERTS_PRIV_H
#define CA_CERTS_PRIV_H

#include <stdbool.h>

#include <jansson.h>

#include "db.h"

/* A certificate's status: its identity's, "expired" once past notAfter while active. */
#define CA_CERT_STATUS "(CASE WHEN i.status = 'active' AND c.not_after <= now()" \
	" THEN 'expired' ELSE i.status END)"

/* Over certificates c, identities i, profiles p. */
#define CA_CERT_COLUMNS "c.id, c.tenant_id, encode(c.serial, 'hex') AS serial, " \
	CA_CERT_STATUS " AS status, c.ca_id, i.device_id, i.service, i.profile_id," \
	" p.name AS profile, c.subject, c.not_before, c.not_after, c.revoked_at, c.reason," \
	" c.invalidity_date, c.created_at"

/* The certificate row (no PEM) of id in tenant_id (NULL: any). */
int ca_cert_row_get(mp_db *db, const char *tenant_id, const char *id, json_t **out);

/*
 * The PEM of the certificates (DER) in column col of every row of res, in row
 * order; a root (column col + 1, self_signed, true) is left out unless with_root.
 */
int ca_chain_rows_pem(const PGresult *res, int col, bool with_root, char **pem_out);

/* The PEM chain of CA ca_id: it first, then its parents; the self-signed root only when with_root. */
int ca_chain_collect(mp_db *db, const char *ca_id, bool with_root, char **pem_out);

#endif
