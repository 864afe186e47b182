#include "manufacture.h"

#include <stdlib.h>
#include <string.h>

#include "cose.h"
#include "db.h"
#include "devices.h"
#include "err.h"
#include "pubkey.h"
#include "rendezvous.h"
#include "record.h"
#include "rvinfo.h"
#include "secure.h"
#include "session.h"
#include "store.h"
#include "voucher.h"

/* The tenant's first manufacturer key of FDO type (P-256 or P-384). */
static int
manufacturer_key(const fdo_env *env, const char *tenant_id, int type, mp_key **out)
{
	const char *params[2] = { tenant_id,
		type == FDO_PK_SECP384R1 ? "ec-p384" : type == FDO_PK_SECP256R1 ? "ec-p256" : "" };
	PGresult *res = NULL;
	const char *id;
	int r;

	r = mp_db_query_row(env->db, "SELECT f.key_id FROM fdo_keys f JOIN keys k ON k.id = f.key_id"
	    " WHERE f.tenant_id = $1 AND f.role = 'manufacturer' AND k.algorithm = $2"
	    " AND k.destroyed_at IS NULL ORDER BY f.created_at, f.id LIMIT 1", 2, params, &res);
	if (r == MP_OK && (id = mp_db_value(res, 0, 0)) != NULL)
		r = mp_key_load(env->ks, env->db, id, out);
	PQclear(res);
	return r;
}

/* The refusal for a tenant without a manufacturer key of type. */
static int
no_key(fdo_detail *d, int type)
{
	return fdo_refuse(d, MP_ERR_NOT_FOUND, "the manufacturer has no %s key",
	    type == FDO_PK_SECP384R1 ? "SECP384R1" : "SECP256R1");
}

int
fdo_mfg_check_key(const fdo_env *env, const char *tenant_id, int key_type, fdo_detail *d)
{
	mp_key *k = NULL;
	int r = manufacturer_key(env, tenant_id, key_type, &k);

	mp_key_release(k);
	return r == MP_ERR_NOT_FOUND ? no_key(d, key_type) : r;
}

/* [101, GUID, RendezvousInfo, DeviceInfo, PublicKey, Hash of the chain] */
static int
write_header(const fdo_mfg_request *req, mp_key *k, const uint8_t guid[FDO_GUID_LEN],
    mp_buf *hdr)
{
	EVP_PKEY *pub = mp_key_public(k);
	fdo_hash chain;
	int r;

	if (pub == NULL)
		return MP_ERR_NOMEM;
	if ((r = fdo_hash_compute(req->key_type == FDO_PK_SECP384R1 ? FDO_SHA384 : FDO_SHA256,
	    req->certs, req->ncerts, &chain)) == MP_OK &&
	    (r = fdo_put_array(hdr, 6)) == MP_OK && (r = fdo_put_uint(hdr, FDO_PROTVER)) == MP_OK &&
	    (r = fdo_put_bstr(hdr, guid, FDO_GUID_LEN)) == MP_OK &&
	    (r = fdo_rvinfo_write(hdr, req->rv_host, req->rv_port, req->rv_https)) == MP_OK &&
	    (r = fdo_put_tstr(hdr, req->device_info, strlen(req->device_info))) == MP_OK &&
	    (r = fdo_pubkey_encode(hdr, req->key_type, pub)) == MP_OK)
		r = fdo_hash_encode(hdr, &chain);
	EVP_PKEY_free(pub);
	return r;
}

int
fdo_mfg_begin(const fdo_env *env, const fdo_mfg_request *req, mp_buf *hdr,
    char token[FDO_TOKEN_MAX], fdo_detail *d)
{
	uint8_t guid[FDO_GUID_LEN];
	char tok[FDO_TOKEN_MAX], *text = NULL, *hp = NULL, *cp = NULL, secs[16];
	const char *params[6];
	mp_buf *chain = NULL;
	mp_key *k = NULL;
	int r;

	if (req->ncerts == 0 || strlen(req->device_info) > FDO_DEVICE_INFO_MAX)
		return MP_ERR_INVALID;
	r = manufacturer_key(env, req->tenant_id, req->key_type, &k);
	if (r == MP_ERR_NOT_FOUND)
		return no_key(d, req->key_type);
	if (r != MP_OK)
		return r;
	if ((r = mp_random_bytes(guid, sizeof(guid))) != MP_OK ||
	    (r = write_header(req, k, guid, hdr)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((chain = mp_buf_new(FDO_VOUCHER_MAX)) == NULL)
		goto out;
	if ((r = fdo_put_array(chain, req->ncerts)) != MP_OK)
		goto out;
	for (size_t i = 0; i < req->ncerts; i++)
		if ((r = fdo_put_bstr(chain, req->certs[i].p, req->certs[i].n)) != MP_OK)
			goto out;
	if ((r = fdo_token_new(tok, &text)) != MP_OK ||
	    (r = mp_db_bytea_param(mp_buf_ptr(hdr), mp_buf_len(hdr), &hp)) != MP_OK ||
	    (r = mp_db_bytea_param(mp_buf_ptr(chain), mp_buf_len(chain), &cp)) != MP_OK)
		goto out;
	/* sessions abandoned before DI.SetHMAC go when the next one starts */
	if ((r = mp_db_query(env->db, "DELETE FROM fdo_di_sessions WHERE expires_at < now()", 0,
	    NULL, NULL)) != MP_OK)
		goto out;
	snprintf(secs, sizeof(secs), "%d", FDO_DI_SESSION_S);
	params[0] = text;
	params[1] = req->tenant_id;
	params[2] = req->device_id;
	params[3] = hp;
	params[4] = cp;
	params[5] = secs;
	if ((r = mp_db_query(env->db, "INSERT INTO fdo_di_sessions (token_sha256, tenant_id,"
	    " device_id, header, cert_chain, expires_at)"
	    " VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))", 6, params,
	    NULL)) != MP_OK)
		goto out;
	memcpy(token, tok, strlen(tok) + 1);
out:
	mp_wipe(tok, sizeof(tok));
	free(text);
	free(hp);
	free(cp);
	mp_buf_free(chain);
	mp_key_release(k);
	return r;
}

struct finish {
	const fdo_env *env;
	const char *token_hash;
	const uint8_t *hmac;
	size_t hmac_len;
	const fdo_mfg_owner *own;
	fdo_detail *d;
};

/* [101, bstr header, HMac, chain, []] */
static int
voucher_of(const uint8_t *hdr, size_t hl, const uint8_t *hmac, size_t ml, const uint8_t *chain,
    size_t cl, fdo_voucher **out, fdo_detail *d)
{
	mp_buf *b = mp_buf_new(FDO_VOUCHER_MAX);
	int r = MP_ERR_NOMEM;

	if (b == NULL)
		return r;
	if ((r = fdo_put_array(b, 5)) == MP_OK && (r = fdo_put_uint(b, FDO_PROTVER)) == MP_OK &&
	    (r = fdo_put_bstr(b, hdr, hl)) == MP_OK && (r = mp_buf_put(b, hmac, ml)) == MP_OK &&
	    (r = mp_buf_put(b, chain, cl)) == MP_OK && (r = fdo_put_array(b, 0)) == MP_OK &&
	    (r = fdo_voucher_decode(mp_buf_ptr(b), mp_buf_len(b), out, d)) == MP_OK &&
	    (r = fdo_voucher_verify(*out, NULL, 0, d)) != MP_OK) {
		fdo_voucher_free(*out);
		*out = NULL;
	}
	mp_buf_free(b);
	return r;
}

/* Extends v, just stored, to the tenant's owner key f->own->key and registers it for TO1. */
static int
to_owner(const struct finish *f, const mp_actor *actor, const char *tenant, const fdo_voucher *v,
    json_t **row)
{
	const char *params[2] = { f->own->key, tenant };
	char guid[FDO_GUID_TEXT];
	fdo_voucher *next = NULL;
	EVP_PKEY *pub = NULL;
	PGresult *res = NULL;
	json_t *extended = NULL;
	mp_key *k = NULL;
	int r;

	r = mp_db_query_row(f->env->db, "SELECT key_id FROM fdo_keys WHERE id::text = $1"
	    " AND tenant_id = $2 AND role = 'owner'", 2, params, &res);
	if (r == MP_ERR_NOT_FOUND) {
		r = fdo_refuse(f->d, MP_ERR_NOT_FOUND,
		    "[fdo] owner_key names no FDO owner key of the manufacturer tenant");
		goto out;
	}
	if (r != MP_OK || (r = mp_key_load(f->env->ks, f->env->db, mp_db_value(res, 0, 0),
	    &k)) != MP_OK)
		goto out;
	if ((pub = mp_key_public(k)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	fdo_guid_text(fdo_voucher_guid(v), guid);
	if ((r = fdo_store_extend(f->env, actor, tenant, guid, pub, &extended, &next,
	    f->d)) != MP_OK ||
	    (r = fdo_rv_register(f->env->db, tenant, next, k, &f->own->addr, f->own->wait)) != MP_OK)
		goto out;
	json_decref(*row);
	*row = extended;
	extended = NULL;
out:
	json_decref(extended);
	fdo_voucher_free(next);
	EVP_PKEY_free(pub);
	mp_key_release(k);
	PQclear(res);
	return r;
}

static int
finish_txn(mp_db *db, void *arg, json_t **row)
{
	const struct finish *f = arg;
	const char *params[1] = { f->token_hash }, *tenant, *device;
	uint8_t *hdr = NULL, *chain = NULL;
	size_t hl = 0, cl = 0;
	fdo_voucher *v = NULL;
	json_t *dev = NULL;
	PGresult *res = NULL;
	int r;

	r = mp_db_query_row(db, "SELECT tenant_id, device_id, header, cert_chain"
	    " FROM fdo_di_sessions WHERE token_sha256 = $1 AND expires_at > now() FOR UPDATE", 1,
	    params, &res);
	if (r == MP_ERR_NOT_FOUND) {
		r = fdo_refuse(f->d, MP_ERR_UNAUTHENTICATED,
		    "no Device Initialize session of this token (or it expired)");
		goto out;
	}
	if (r != MP_OK || (r = mp_db_bytea_value(res, 0, 2, FDO_VOUCHER_MAX, &hdr, &hl)) != MP_OK ||
	    (r = mp_db_bytea_value(res, 0, 3, FDO_VOUCHER_MAX, &chain, &cl)) != MP_OK)
		goto out;
	tenant = mp_db_value(res, 0, 0);
	device = mp_db_value(res, 0, 1);
	if ((r = voucher_of(hdr, hl, f->hmac, f->hmac_len, chain, cl, &v, f->d)) != MP_OK ||
	    (r = mp_device_get(db, tenant, device, &dev)) != MP_OK)
		goto out;
	{
		mp_actor actor = { "device", device, tenant };

		if ((r = fdo_store_import(db, &actor, tenant, v,
		    json_string_value(json_object_get(dev, "serial")), NULL, "manufactured", row,
		    f->d)) != MP_OK ||
		    (f->own != NULL && (r = to_owner(f, &actor, tenant, v, row)) != MP_OK))
			goto out;
	}
	r = mp_db_query(db, "DELETE FROM fdo_di_sessions WHERE token_sha256 = $1", 1, params, NULL);
out:
	if (r != MP_OK) {
		json_decref(*row);
		*row = NULL;
	}
	json_decref(dev);
	fdo_voucher_free(v);
	free(hdr);
	free(chain);
	PQclear(res);
	return r;
}

int
fdo_mfg_finish(const fdo_env *env, const char *token, const uint8_t *hmac, size_t hmac_len,
    const fdo_mfg_owner *own, json_t **out, fdo_detail *d)
{
	struct finish f = { env, NULL, hmac, hmac_len, own, d };
	char *th = NULL;
	int r;

	if ((r = fdo_token_param(token, &th)) != MP_OK)
		return r;
	f.token_hash = th;
	r = mp_record_txn(env->db, finish_txn, &f, out);
	free(th);
	return r;
}
