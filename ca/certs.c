/* Reading certificates: lists with filters, one certificate with its PEM, chain and parsed fields. */
#include "ca_priv.h"
#include "certs_priv.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "devices.h"
#include "describe.h"
#include "err.h"
#include "record.h"

#define CERT_FROM " FROM certificates c JOIN identities i ON i.id = c.id" \
	" JOIN profiles p ON p.id = i.profile_id"

static const char list_sql[] =
    "SELECT " CA_CERT_COLUMNS CERT_FROM
    " WHERE ($1::uuid IS NULL OR c.tenant_id = $1) AND ($2::uuid IS NULL OR i.device_id = $2)"
    " AND ($3::text IS NULL OR c.serial = decode($3, 'hex'))"
    " AND ($4::text IS NULL OR " CA_CERT_STATUS " = $4)"
    " AND ($5::uuid IS NULL OR i.profile_id = $5) AND ($6::uuid IS NULL OR c.ca_id = $6)"
    " AND ($7::bigint IS NULL OR c.not_after < to_timestamp($7::bigint))"
    " AND ($8::uuid IS NULL OR c.id > $8) ORDER BY c.id LIMIT $9::int";

/* Hex of even length, at most 40 digits: a serial as we print it. */
static bool
serial_hex_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 40 || n % 2 != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strchr("0123456789abcdefABCDEF", s[i]) == NULL)
			return false;
	return true;
}

int
ca_cert_list(mp_db *db, const char *tenant_id, const ca_cert_filter *f, const char *after_id,
    unsigned limit, json_t **out)
{
	char lim[16], before[24];
	const char *params[9];

	if (f->serial != NULL && !serial_hex_ok(f->serial))
		return MP_ERR_INVALID;
	mp_record_limit(limit, lim);
	mp_record_time(f->expiring_before, before);
	params[0] = tenant_id;
	params[1] = f->device_id;
	params[2] = f->serial;
	params[3] = f->status;
	params[4] = f->profile_id;
	params[5] = f->ca_id;
	params[6] = f->expiring_before != 0 ? before : NULL;
	params[7] = after_id;
	params[8] = lim;
	return mp_record_list(db, list_sql, 9, params, out);
}

int
ca_cert_row_get(mp_db *db, const char *tenant_id, const char *id, json_t **out)
{
	const char *params[2] = { id, tenant_id };

	return mp_record_get(db, "SELECT " CA_CERT_COLUMNS CERT_FROM
	    " WHERE c.id = $1 AND ($2::uuid IS NULL OR c.tenant_id = $2)", 2, params, out);
}

int
ca_cert_presented(mp_db *db, X509 *x, json_t **out)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	unsigned char *der = NULL;
	char *issuer = NULL, *der_hex = NULL, *serial_hex = NULL;
	const char *params[3];
	int n, r;

	if ((n = i2d_X509(x, &der)) <= 0 || n > CA_DER_MAX) {
		r = MP_ERR_INVALID;
		goto out;
	}
	if ((r = ca_name_text(X509_get_issuer_name(x), &issuer)) != MP_OK ||
	    (r = mp_db_bytea_param(der, (size_t)n, &der_hex)) != MP_OK ||
	    (r = mp_hex_encode(ASN1_STRING_get0_data(sn), (size_t)ASN1_STRING_length(sn),
	    &serial_hex)) != MP_OK)
		goto out;
	params[0] = issuer;
	params[1] = serial_hex;
	params[2] = der_hex;
	r = mp_record_get(db, "SELECT " CA_CERT_COLUMNS ", (p.body->>'pre_enrollment') IS NOT NULL"
	    " AND (p.body->>'pre_enrollment')::boolean AS pre_enrollment,"
	    " p.body->>'on_renewal' IS NOT DISTINCT FROM 'revoke' AS revoke_on_renewal" CERT_FROM
	    " WHERE c.ca_id IN (SELECT id FROM cas WHERE subject = $1)"
	    " AND c.serial = decode($2, 'hex') AND c.der = $3::bytea", 3, params, out);
out:
	OPENSSL_free(der);
	free(issuer);
	free(der_hex);
	free(serial_hex);
	return r;
}

int
ca_cert_operational(mp_db *db, X509 *x, json_t **out, const char **why)
{
	json_t *cert = NULL, *device = NULL;
	const char *status;
	int r;

	if (X509_cmp_current_time(X509_get0_notBefore(x)) >= 0 ||
	    X509_cmp_current_time(X509_get0_notAfter(x)) <= 0) {
		*why = "the client certificate is not within its validity";
		return MP_ERR_UNAUTHENTICATED;
	}
	if ((r = ca_cert_presented(db, x, &cert)) != MP_OK) {
		*why = "the client certificate was not issued by this server";
		return r == MP_ERR_NOT_FOUND || r == MP_ERR_INVALID ? MP_ERR_UNAUTHENTICATED : r;
	}
	r = MP_ERR_DENIED;
	status = json_string_value(json_object_get(cert, "status"));
	if (strcmp(status, "active") != 0) {
		*why = strcmp(status, "expired") == 0 ? "the client certificate has expired" :
		    strcmp(status, "suspended") == 0 ? "the client certificate is suspended" :
		    "the client certificate is revoked";
		goto out;
	}
	if (json_string_value(json_object_get(cert, "device_id")) == NULL ||
	    json_is_true(json_object_get(cert, "pre_enrollment"))) {
		*why = "the client certificate is not a device's operational certificate";
		goto out;
	}
	if ((r = mp_device_get(db, json_string_value(json_object_get(cert, "tenant_id")),
	    json_string_value(json_object_get(cert, "device_id")), &device)) != MP_OK)
		goto out;
	r = MP_ERR_DENIED;
	if (strcmp(json_string_value(json_object_get(device, "status")), "active") != 0) {
		*why = "the device is not active";
		goto out;
	}
	*out = cert;
	cert = NULL;
	r = MP_OK;
out:
	json_decref(device);
	json_decref(cert);
	return r;
}

int
ca_cert_get(mp_db *db, const char *tenant_id, const char *id, json_t **out)
{
	const char *params[2] = { id, tenant_id };
	PGresult *res = NULL;
	json_t *row = NULL, *parsed = NULL;
	uint8_t *der = NULL;
	const unsigned char *p;
	char *pem = NULL, *chain = NULL;
	X509 *x = NULL;
	size_t len;
	int r;

	if ((r = ca_cert_row_get(db, tenant_id, id, &row)) != MP_OK)
		goto out;
	if ((r = mp_db_query_row(db, "SELECT der FROM certificates WHERE id = $1", 1, params,
	    &res)) != MP_OK ||
	    (r = mp_db_bytea_value(res, 0, 0, CA_DER_MAX, &der, &len)) != MP_OK)
		goto out;
	p = der;
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL) {
		r = MP_ERR_INTEGRITY;
		goto out;
	}
	if ((r = ca_pem_append_der(&pem, der, len)) != MP_OK ||
	    (r = ca_chain_collect(db, json_string_value(json_object_get(row, "ca_id")), false,
	    &chain)) != MP_OK)
		goto out;
	if ((parsed = ca_cert_describe(x)) == NULL ||
	    json_object_set_new(row, "certificate_pem", json_string(pem)) != 0 ||
	    json_object_set_new(row, "chain_pem", json_string(chain)) != 0 ||
	    json_object_set(row, "parsed", parsed) != 0) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	*out = row;
	row = NULL;
	r = MP_OK;
out:
	json_decref(row);
	json_decref(parsed);
	PQclear(res);
	free(der);
	free(pem);
	free(chain);
	X509_free(x);
	return r;
}

int
ca_chain_rows_pem(const PGresult *res, int col, bool with_root, char **pem_out)
{
	char *pem = strdup("");
	int r = MP_ERR_NOMEM;

	if (pem == NULL)
		return r;
	for (int i = 0; i < PQntuples(res); i++) {
		uint8_t *der = NULL;
		size_t len;

		if (!with_root && strcmp(mp_db_value(res, i, col + 1), "t") == 0)
			continue;
		if ((r = mp_db_bytea_value(res, i, col, CA_DER_MAX, &der, &len)) != MP_OK)
			goto out;
		r = ca_pem_append_der(&pem, der, len);
		free(der);
		if (r != MP_OK)
			goto out;
	}
	*pem_out = pem;
	pem = NULL;
	r = MP_OK;
out:
	free(pem);
	return r;
}

int
ca_chain_collect(mp_db *db, const char *ca_id, bool with_root, char **pem_out)
{
	const char *params[1] = { ca_id };
	PGresult *res = NULL;
	int r;

	if ((r = mp_db_query(db, "WITH RECURSIVE chain AS ("
	    " SELECT parent_id, certificate, self_signed, 0 AS depth FROM cas WHERE id = $1"
	    " UNION ALL SELECT c.parent_id, c.certificate, c.self_signed, chain.depth + 1"
	    " FROM cas c JOIN chain ON c.id = chain.parent_id WHERE chain.depth < 8)"
	    " SELECT certificate, self_signed FROM chain ORDER BY depth", 1, params, &res)) != MP_OK)
		goto out;
	r = PQntuples(res) == 0 ? MP_ERR_NOT_FOUND : ca_chain_rows_pem(res, 0, with_root, pem_out);
out:
	PQclear(res);
	return r;
}
