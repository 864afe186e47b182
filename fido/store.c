#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "db.h"
#include "dbjson.h"
#include "devices.h"
#include "err.h"
#include "record.h"

#define LIST_COLUMNS                                                                       \
	"v.guid, v.tenant_id, v.device_id, d.serial, d.model, v.device_info, v.entries, v.origin," \
	" v.created_at, v.updated_at"
#define COLUMNS LIST_COLUMNS ", v.voucher"
#define FROM " FROM fdo_vouchers v JOIN devices d ON d.id = v.device_id"

void
fdo_guid_text(const uint8_t *g, char out[FDO_GUID_TEXT])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < FDO_GUID_LEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[g[i] >> 4];
		out[o++] = hex[g[i] & 0x0f];
	}
	out[o] = '\0';
}

/* The voucher's CBOR and its current owner key hash as bytea parameters. */
static int
voucher_params(const fdo_voucher *v, char **cbor, char **owner)
{
	const uint8_t *b;
	uint8_t h[32];
	size_t n;
	int r;

	b = fdo_voucher_bytes(v, &n);
	if ((r = fdo_key_hash(fdo_voucher_owner_key(v)->key, h)) != MP_OK ||
	    (r = mp_db_bytea_param(b, n, cbor)) != MP_OK)
		return r;
	if ((r = mp_db_bytea_param(h, sizeof(h), owner)) != MP_OK) {
		free(*cbor);
		*cbor = NULL;
	}
	return r;
}

struct import {
	const mp_actor *actor;
	const char *tenant_id;
	const fdo_voucher *v;
	const char *serial;
	const char *model;
	const char *origin;
	const char *cbor;
	const char *owner;
	char guid[FDO_GUID_TEXT];
	fdo_detail *d;
};

/* The device of serial, registered or given the GUID; its id into id. */
static int
tie_device(mp_db *db, const struct import *im, char id[MP_UUID_STR_LEN + 1])
{
	json_t *dev = NULL, *details = NULL;
	const char *have, *params[2];
	int r;

	r = mp_device_find_by_serial(db, im->tenant_id, im->serial, &dev);
	if (r == MP_ERR_NOT_FOUND) {
		mp_device_new n = { im->tenant_id, im->serial,
			im->model != NULL ? im->model : fdo_voucher_device_info(im->v), NULL, NULL,
			im->guid, NULL };

		if ((r = mp_device_create(db, im->actor, &n, &dev)) == MP_ERR_CONFLICT)
			r = fdo_refuse(im->d, r, "another device already has FDO GUID %s", im->guid);
	} else if (r == MP_OK) {
		have = json_string_value(json_object_get(dev, "fdo_guid"));
		params[0] = json_string_value(json_object_get(dev, "id"));
		params[1] = im->guid;
		if (have != NULL && strcmp(have, im->guid) != 0)
			r = fdo_refuse(im->d, MP_ERR_CONFLICT,
			    "device %s already has another FDO GUID (%s)", im->serial, have);
		else if (have == NULL &&
		    (r = mp_db_query(db, "UPDATE devices SET fdo_guid = $2, updated_at = now()"
		    " WHERE id = $1", 2, params, NULL)) == MP_ERR_CONFLICT)
			r = fdo_refuse(im->d, r, "another device already has FDO GUID %s", im->guid);
		else if (have == NULL && r == MP_OK) {
			if ((details = json_pack("{s:s}", "fdo_guid", im->guid)) == NULL)
				r = MP_ERR_NOMEM;
			else
				r = mp_audit_write_in(db, im->actor, im->tenant_id, "device.update",
				    "device", params[0], details);
		}
	}
	if (r == MP_OK)
		snprintf(id, MP_UUID_STR_LEN + 1, "%s", json_string_value(json_object_get(dev, "id")));
	json_decref(details);
	json_decref(dev);
	return r;
}

static int
import_txn(mp_db *db, void *arg, json_t **row)
{
	struct import *im = arg;
	char id[MP_UUID_STR_LEN + 1], entries[16];
	const char *params[8];
	json_t *details = NULL;
	int r;

	if ((r = tie_device(db, im, id)) != MP_OK)
		return r;
	snprintf(entries, sizeof(entries), "%zu", fdo_voucher_entry_count(im->v));
	params[0] = im->guid;
	params[1] = im->tenant_id;
	params[2] = id;
	params[3] = im->cbor;
	params[4] = fdo_voucher_device_info(im->v);
	params[5] = entries;
	params[6] = im->owner;
	params[7] = im->origin;
	r = mp_db_query(db, "INSERT INTO fdo_vouchers (guid, tenant_id, device_id, voucher,"
	    " device_info, entries, owner_key_sha256, origin)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", 8, params, NULL);
	if (r == MP_ERR_CONFLICT)
		return fdo_refuse(im->d, r, "a voucher of FDO GUID %s is already held", im->guid);
	if (r != MP_OK)
		return r;
	if ((details = json_pack("{s:s, s:s, s:s, s:i}", "device_id", id, "serial", im->serial,
	    "device_info", fdo_voucher_device_info(im->v), "entries",
	    (int)fdo_voucher_entry_count(im->v))) == NULL)
		return MP_ERR_NOMEM;
	r = mp_audit_write_in(db, im->actor, im->tenant_id,
	    strcmp(im->origin, "manufactured") == 0 ? "fdo_voucher.manufacture" :
	                                              "fdo_voucher.import",
	    "fdo_voucher", im->guid, details);
	json_decref(details);
	if (r != MP_OK)
		return r;
	return mp_record_get(db, "SELECT " COLUMNS FROM " WHERE v.guid = $1", 1, params, row);
}

int
fdo_store_import(mp_db *db, const mp_actor *actor, const char *tenant_id, const fdo_voucher *v,
    const char *serial, const char *model, const char *origin, json_t **out, fdo_detail *d)
{
	struct import im = { actor, tenant_id, v, serial, model, origin, NULL, NULL, "", d };
	char *cbor = NULL, *owner = NULL;
	int r;

	if (tenant_id == NULL || serial == NULL || origin == NULL ||
	    (strcmp(origin, "imported") != 0 && strcmp(origin, "manufactured") != 0))
		return MP_ERR_INVALID;
	fdo_guid_text(fdo_voucher_guid(v), im.guid);
	if ((r = voucher_params(v, &cbor, &owner)) != MP_OK)
		return r;
	im.cbor = cbor;
	im.owner = owner;
	r = mp_record_txn(db, import_txn, &im, out);
	free(cbor);
	free(owner);
	return r;
}

int
fdo_store_get(mp_db *db, const char *tenant_id, const char *guid, json_t **out)
{
	const char *params[2] = { guid, tenant_id };

	return mp_record_get(db, "SELECT " COLUMNS FROM
	    " WHERE v.guid = $1 AND ($2::uuid IS NULL OR v.tenant_id = $2)", 2, params, out);
}

int
fdo_store_list(mp_db *db, const char *tenant_id, const char *serial, const char *after_guid,
    unsigned limit, json_t **out)
{
	char lim[16];
	const char *params[4] = { tenant_id, serial, after_guid, lim };

	mp_record_limit(limit, lim);
	return mp_record_list(db, "SELECT " LIST_COLUMNS FROM
	    " WHERE ($1::uuid IS NULL OR v.tenant_id = $1) AND ($2::text IS NULL OR d.serial = $2)"
	    " AND ($3::uuid IS NULL OR v.guid > $3) ORDER BY v.guid LIMIT $4", 4, params, out);
}

struct extend {
	const fdo_env *env;
	const mp_actor *actor;
	const char *tenant_id;
	const char *guid;
	EVP_PKEY *next;
	fdo_voucher **extended;
	fdo_detail *d;
};

/* The stored voucher of guid in the tenant, locked, decoded and verified. */
static int
load_locked(mp_db *db, const struct extend *e, fdo_voucher **out)
{
	const char *params[2] = { e->guid, e->tenant_id };
	PGresult *res = NULL;
	uint8_t *cbor = NULL;
	size_t n = 0;
	int r;

	if ((r = mp_db_query_row(db, "SELECT voucher FROM fdo_vouchers WHERE guid = $1"
	    " AND tenant_id = $2 FOR UPDATE", 2, params, &res)) != MP_OK ||
	    (r = mp_db_bytea_value(res, 0, 0, FDO_VOUCHER_MAX, &cbor, &n)) != MP_OK)
		goto out;
	if ((r = fdo_voucher_decode(cbor, n, out, e->d)) == MP_OK &&
	    (r = fdo_voucher_verify(*out, NULL, 0, e->d)) != MP_OK) {
		fdo_voucher_free(*out);
		*out = NULL;
	}
	if (r != MP_OK && r != MP_ERR_NOMEM)
		r = fdo_refuse_in(e->d, MP_ERR_INTEGRITY, "the stored voucher");
out:
	PQclear(res);
	free(cbor);
	return r;
}

static int
extend_txn(mp_db *db, void *arg, json_t **row)
{
	const struct extend *e = arg;
	fdo_voucher *v = NULL, *next = NULL;
	char *cbor = NULL, *owner = NULL, entries[16];
	const char *params[4];
	json_t *details = NULL;
	mp_key *k = NULL;
	uint8_t h[32];
	char *hex = NULL;
	int r;

	if (e->extended != NULL) {
		fdo_voucher_free(*e->extended);
		*e->extended = NULL;
	}
	if ((r = load_locked(db, e, &v)) != MP_OK)
		goto out;
	r = fdo_key_signer(e->env, e->tenant_id, fdo_voucher_owner_key(v)->key, &k);
	if (r == MP_ERR_NOT_FOUND) {
		r = fdo_refuse(e->d, MP_ERR_POLICY,
		    "the voucher's current owner key is not an FDO key of this tenant");
		goto out;
	}
	if (r != MP_OK || (r = fdo_voucher_extend(v, k, e->next, &next, e->d)) != MP_OK ||
	    (r = voucher_params(next, &cbor, &owner)) != MP_OK)
		goto out;
	snprintf(entries, sizeof(entries), "%zu", fdo_voucher_entry_count(next));
	params[0] = e->guid;
	params[1] = cbor;
	params[2] = entries;
	params[3] = owner;
	if ((r = mp_db_query(db, "UPDATE fdo_vouchers SET voucher = $2, entries = $3,"
	    " owner_key_sha256 = $4, updated_at = now() WHERE guid = $1", 4, params, NULL)) != MP_OK)
		goto out;
	if ((r = fdo_key_hash(e->next, h)) != MP_OK || (r = mp_hex_encode(h, sizeof(h), &hex)) != MP_OK)
		goto out;
	if ((details = json_pack("{s:i, s:s, s:s}", "entries", (int)fdo_voucher_entry_count(next),
	    "next_owner_key_sha256", hex, "signed_by_key", mp_key_id(k))) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if ((r = mp_audit_write_in(db, e->actor, e->tenant_id, "fdo_voucher.extend",
	    "fdo_voucher", e->guid, details)) != MP_OK)
		goto out;
	if ((r = mp_record_get(db, "SELECT " COLUMNS FROM " WHERE v.guid = $1", 1, params,
	    row)) == MP_OK && e->extended != NULL) {
		*e->extended = next;
		next = NULL;
	}
out:
	json_decref(details);
	free(hex);
	free(cbor);
	free(owner);
	mp_key_release(k);
	fdo_voucher_free(next);
	fdo_voucher_free(v);
	return r;
}

int
fdo_store_extend(const fdo_env *env, const mp_actor *actor, const char *tenant_id,
    const char *guid, EVP_PKEY *next_owner, json_t **out, fdo_voucher **extended, fdo_detail *d)
{
	struct extend e = { env, actor, tenant_id, guid, next_owner, extended, d };

	if (tenant_id == NULL || guid == NULL)
		return MP_ERR_INVALID;
	return mp_record_txn(env->db, extend_txn, &e, out);
}

int
fdo_store_replace(mp_db *db, const mp_actor *actor, const char *tenant_id, const char *old_guid,
    const fdo_voucher *v)
{
	char guid[FDO_GUID_TEXT], *cbor = NULL, *owner = NULL;
	const char *params[6], *device;
	json_t *details = NULL;
	PGresult *res = NULL;
	int r;

	fdo_guid_text(fdo_voucher_guid(v), guid);
	if ((r = voucher_params(v, &cbor, &owner)) != MP_OK)
		return r;
	params[0] = old_guid;
	params[1] = tenant_id;
	params[2] = guid;
	params[3] = cbor;
	params[4] = owner;
	params[5] = fdo_voucher_device_info(v);
	if ((r = mp_db_query_row(db, "UPDATE fdo_vouchers SET guid = $3, voucher = $4, entries = 0,"
	    " owner_key_sha256 = $5, device_info = $6, updated_at = now()"
	    " WHERE guid = $1 AND tenant_id = $2 RETURNING device_id", 6, params, &res)) != MP_OK)
		goto out;
	device = mp_db_value(res, 0, 0);
	params[0] = device;
	if ((r = mp_db_query(db, "UPDATE devices SET fdo_guid = $3, updated_at = now() WHERE id = $1"
	    " AND tenant_id = $2",
	    3, params, NULL)) != MP_OK)
		goto out;
	if ((details = json_pack("{s:s, s:s}", "previous_guid", old_guid, "device_id", device)) ==
	    NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	r = mp_audit_write_in(db, actor, tenant_id, "fdo_voucher.replace", "fdo_voucher", guid,
	    details);
out:
	json_decref(details);
	PQclear(res);
	free(cbor);
	free(owner);
	return r;
}
