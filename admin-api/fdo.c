/*
 * /api/v1/fdo: FIDO Device Onboard keys (the tenant's manufacturer and owner
 * keys in the key store) and ownership vouchers: import (verified first),
 * show as JSON, PEM or CBOR, extend to a next owner (docs/fdo.md).
 */
#include "resources.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "codec.h"
#include "err.h"
#include "keys.h"
#include "reason.h"
#include "store.h"
#include "validate.h"
#include "values.h"
#include "voucher.h"

/* PEM of the largest voucher, with line breaks and armour. */
#define VOUCHER_PEM_MAX (FDO_VOUCHER_MAX / 3 * 4 + FDO_VOUCHER_MAX / 48 + 256)
#define KEY_PEM_MAX 8192
#define SERIAL_MAX_LEN 128
#define MODEL_MAX_LEN 128

static const char *const key_roles[] = { "manufacturer", "owner", NULL };
static const char *const key_algorithms[] = { "ec-p256", "ec-p384", NULL };

/* Replies to a refused FDO input or action with d's reason. */
static void
fdo_fail(api_call *c, int err, const fdo_detail *d, const char *field, const char *what)
{
	if (d->message[0] == '\0') {
		api_fail(c, err, what);
		return;
	}
	switch (err) {
	case MP_ERR_INVALID:
	case MP_ERR_UNSUPPORTED:
	case MP_ERR_TOO_LARGE:
		api_error(c, 400, "invalid_value", d->message, field);
		return;
	case MP_ERR_INTEGRITY:
	case MP_ERR_POLICY:
	case MP_ERR_DENIED:
		api_error(c, 422, "refused_by_policy", d->message, field);
		return;
	case MP_ERR_CONFLICT:
		api_error(c, 409, "conflict", d->message, field);
		return;
	default:
		api_fail(c, err, what);
	}
}

void
api_fdo_key_create(api_call *c)
{
	static const char *const fields[] = { "tenant", "role", "algorithm", "private_key_pem",
		NULL };
	const char *tenant, *role, *alg, *pem;
	mp_key_spec spec;
	fdo_env env;
	json_t *out = NULL;
	int r;

	if (!api_only_fields(c, fields) || !api_target_tenant(c, &tenant) ||
	    !api_string(c, "role", true, 32, &role) || !api_string(c, "algorithm", false, 32, &alg) ||
	    !api_pem_member(c, "private_key_pem", false, KEY_PEM_MAX, &pem))
		goto out;
	if (!api_in_set(key_roles, role)) {
		api_error(c, 400, "invalid_value", "'role' must be manufacturer or owner", "role");
		goto out;
	}
	if ((alg == NULL) == (pem == NULL)) {
		api_error(c, 400, "invalid_value",
		    "give either 'algorithm' (ec-p256, ec-p384) or 'private_key_pem'", "algorithm");
		goto out;
	}
	if (alg != NULL && (!api_in_set(key_algorithms, alg) ||
	    mp_key_spec_parse(alg, &spec) != MP_OK)) {
		api_error(c, 400, "invalid_value", "'algorithm' must be ec-p256 or ec-p384",
		    "algorithm");
		goto out;
	}
	fdo_env_of_worker(mp_http_req_worker(c->req), &env);
	env.db = c->db;
	r = fdo_key_create(&env, &c->actor, tenant, role, alg != NULL ? &spec : NULL, pem,
	    pem != NULL ? strlen(pem) : 0, &out);
	if (r == MP_ERR_INVALID && pem != NULL) {
		api_error(c, 400, "invalid_value",
		    "'private_key_pem' must be an unencrypted P-256 or P-384 private key",
		    "private_key_pem");
		goto out;
	}
	if (r != MP_OK) {
		api_fail(c, r, "FDO key");
		goto out;
	}
	api_reply(c, 201, out);
out:
	api_wipe_secret(c, "private_key_pem");
}

void
api_fdo_key_list(api_call *c)
{
	api_list_by_id(c, fdo_key_list, "FDO keys");
}

/* The GUID path parameter: a UUID or 32 hex digits; 400 otherwise. */
static bool
path_guid(api_call *c, const char *g)
{
	size_t n = strlen(g);
	bool hex = n == 32;

	for (size_t i = 0; hex && i < n; i++)
		hex = mp_hex_digit(g[i]) >= 0;
	if (hex || api_is_uuid(g))
		return true;
	api_error(c, 400, "invalid_guid", "the GUID must be a UUID or 32 hex digits", NULL);
	return false;
}

/* The stored voucher (base64 CBOR) of a row as its bytes. */
static int
row_cbor(json_t *row, uint8_t **out, size_t *len)
{
	const char *b64 = json_string_value(json_object_get(row, "voucher"));

	if (b64 == NULL)
		return MP_ERR_INTERNAL;
	return mp_b64_decode(b64, strlen(b64), false, FDO_VOUCHER_MAX, out, len);
}

/* The row as the API shows it: the voucher as PEM. */
static int
present(json_t *row)
{
	uint8_t *cbor = NULL;
	char *pem = NULL;
	size_t n = 0;
	int r;

	if ((r = row_cbor(row, &cbor, &n)) != MP_OK ||
	    (r = mp_pem_encode(FDO_VOUCHER_PEM_LABEL, cbor, n, &pem)) != MP_OK)
		goto out;
	if (json_object_set_new(row, "voucher_pem", json_string(pem)) != 0 ||
	    json_object_del(row, "voucher") != 0)
		r = MP_ERR_NOMEM;
out:
	free(cbor);
	free(pem);
	return r;
}

static void
reply_voucher(api_call *c, int status, json_t *row)
{
	int r;

	if ((r = present(row)) != MP_OK) {
		json_decref(row);
		api_fail(c, r, "voucher");
		return;
	}
	api_reply(c, status, row);
}

void
api_fdo_voucher_import(api_call *c)
{
	static const char *const fields[] = { "tenant", "voucher_pem", "serial", "model", NULL };
	const char *tenant, *pem, *serial, *model;
	fdo_detail d = { { 0 } };
	fdo_voucher *v = NULL;
	json_t *row = NULL;
	int r;

	if (!api_only_fields(c, fields) || !api_target_tenant(c, &tenant) ||
	    !api_pem_member(c, "voucher_pem", true, VOUCHER_PEM_MAX, &pem) ||
	    !api_string(c, "serial", true, SERIAL_MAX_LEN, &serial) ||
	    !api_string(c, "model", false, MODEL_MAX_LEN, &model))
		return;
	if ((r = fdo_voucher_from_pem(pem, strlen(pem), &v, &d)) != MP_OK ||
	    (r = fdo_voucher_verify(v, NULL, 0, &d)) != MP_OK) {
		fdo_fail(c, r, &d, "voucher_pem", "voucher");
		goto out;
	}
	if ((r = fdo_store_import(c->db, &c->actor, tenant, v, serial, model, "imported", &row,
	    &d)) != MP_OK) {
		fdo_fail(c, r, &d, "voucher_pem", "voucher");
		goto out;
	}
	reply_voucher(c, 201, row);
out:
	fdo_voucher_free(v);
}

void
api_fdo_voucher_list(api_call *c)
{
	const char *serial = mp_http_req_query(c->req, "serial");
	json_t *items = NULL;
	char *after = NULL;
	unsigned limit;
	int r;

	if (!api_page_by_id(c, &limit, &after))
		return;
	if (serial != NULL && (serial[0] == '\0' || strlen(serial) > SERIAL_MAX_LEN)) {
		api_error(c, 400, "invalid_value", "'serial' must be 1 to 128 characters", "serial");
		free(after);
		return;
	}
	r = fdo_store_list(c->db, api_scope(c), serial, after, limit, &items);
	free(after);
	if (r != MP_OK) {
		api_fail(c, r, "vouchers");
		return;
	}
	api_reply(c, 200, api_page_result(items, limit, "guid"));
}

void
api_fdo_voucher_get(api_call *c)
{
	const char *accept = mp_http_req_header(c->req, "Accept");
	json_t *row = NULL;
	uint8_t *cbor = NULL;
	char *pem = NULL;
	size_t n = 0;
	int r;

	if (!path_guid(c, c->params[0]))
		return;
	if ((r = fdo_store_get(c->db, api_scope(c), c->params[0], &row)) != MP_OK) {
		api_fail(c, r, "voucher");
		return;
	}
	if (accept != NULL && (strcmp(accept, "application/cbor") == 0 ||
	    strcmp(accept, "application/x-pem-file") == 0)) {
		if ((r = row_cbor(row, &cbor, &n)) != MP_OK)
			api_fail(c, r, "voucher");
		else if (strcmp(accept, "application/cbor") == 0)
			mp_http_reply(c->req, 200, "application/cbor", cbor, n);
		else if ((r = mp_pem_encode(FDO_VOUCHER_PEM_LABEL, cbor, n, &pem)) != MP_OK)
			api_fail(c, r, "voucher");
		else
			mp_http_reply(c->req, 200, "application/x-pem-file", pem, strlen(pem));
		json_decref(row);
		free(cbor);
		free(pem);
		return;
	}
	reply_voucher(c, 200, row);
}

void
api_fdo_voucher_extend(api_call *c)
{
	static const char *const fields[] = { "owner_public_key_pem", NULL };
	fdo_detail d = { { 0 } };
	json_t *stored = NULL, *row = NULL;
	EVP_PKEY *next = NULL;
	const char *pem, *tenant;
	fdo_env env;
	BIO *bio = NULL;
	int r;

	if (!path_guid(c, c->params[0]) || !api_only_fields(c, fields) ||
	    !api_pem_member(c, "owner_public_key_pem", true, KEY_PEM_MAX, &pem))
		return;
	if ((bio = BIO_new_mem_buf(pem, (int)strlen(pem))) == NULL ||
	    (next = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)) == NULL) {
		ERR_clear_error();
		api_error(c, 400, "invalid_value",
		    "'owner_public_key_pem' must be a PEM public key (-----BEGIN PUBLIC KEY-----)",
		    "owner_public_key_pem");
		goto out;
	}
	if ((r = fdo_store_get(c->db, api_scope(c), c->params[0], &stored)) != MP_OK) {
		api_fail(c, r, "voucher");
		goto out;
	}
	tenant = json_string_value(json_object_get(stored, "tenant_id"));
	fdo_env_of_worker(mp_http_req_worker(c->req), &env);
	env.db = c->db;
	r = fdo_store_extend(&env, &c->actor, tenant,
	    json_string_value(json_object_get(stored, "guid")), next, &row, NULL, &d);
	if (r != MP_OK) {
		fdo_fail(c, r, &d, "owner_public_key_pem", "voucher");
		goto out;
	}
	reply_voucher(c, 200, row);
out:
	json_decref(stored);
	EVP_PKEY_free(next);
	BIO_free(bio);
}
