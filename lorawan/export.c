/*
 * Root keys out of the platform, wrapped under a registered KEK or enveloped
 * to a provided certificate's key, audited.
 */
#include "export.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bi.h"
#include "buf.h"
#include "codec.h"
#include "credential.h"
#include "envelope.h"
#include "err.h"
#include "lw_devices.h"
#include "sealed.h"
#include "secure.h"

/* The clear JSON of one device for a CMS export: its fields and two keys in hex. */
#define CLEAR_ITEM_MAX 256

struct export_ctx {
	const mp_keystore *ks;
	const mp_actor *actor;
	const char *tenant_id;
	const char *ids;        /* a uuid[] literal */
	size_t n;
	const lw_export_to *to;
	json_t *items;
	mp_buf *clear;          /* CMS export: the JSON that is enveloped */
	const char *what;
};

/* The KEK of the tenant's one peer labelled c->kek_label, unsealed into kek. */
static int
export_kek(mp_db *db, struct export_ctx *c, char peer_id[MP_UUID_STR_LEN + 1],
    uint8_t kek[32], size_t *kek_len)
{
	const char *params[2] = { c->tenant_id, c->to->kek_label };
	PGresult *res = NULL;
	int r;

	if ((r = mp_db_query(db, "SELECT id, kek FROM lorawan_peers WHERE tenant_id = $1"
	    " AND kek_label = $2", 2, params, &res)) != MP_OK)
		goto out;
	c->what = "kek_label";
	if (PQntuples(res) != 1) {
		r = PQntuples(res) == 0 ? MP_ERR_NOT_FOUND : MP_ERR_CONFLICT;
		goto out;
	}
	snprintf(peer_id, MP_UUID_STR_LEN + 1, "%s", mp_db_value(res, 0, 0));
	r = lw_unseal_value(c->ks, res, 0, 1, LW_SEALED_KEK, peer_id, kek, 32, kek_len);
out:
	PQclear(res);
	return r;
}

/* Appends key as "name":"<hex>" to the clear JSON. */
static int
put_hex_key(mp_buf *b, const char *name, const uint8_t key[LW_KEY_LEN])
{
	int r = mp_buf_putf(b, ",\"%s\":\"", name);

	for (size_t i = 0; i < LW_KEY_LEN && r == MP_OK; i++)
		r = mp_buf_putf(b, "%02x", key[i]);
	return r == MP_OK ? mp_buf_put_str(b, "\"") : r;
}

/*
 * Row i of res (id, dev_eui, mac_version, root_keys, join_eui) as an exported
 * device: its root keys wrapped under kek, or appended in clear to c->clear.
 */
static int
export_one(const struct export_ctx *c, const PGresult *res, int i, const uint8_t *kek,
    size_t kek_len, json_t **item)
{
	const char *mac = mp_db_value(res, i, 2);
	bool v11 = strcmp(mac, "1.1") == 0;
	uint8_t keys[LW_ROOT_KEYS_LEN];
	json_t *it = NULL;
	int r;

	if ((r = lw_unseal_value(c->ks, res, i, 3, LW_SEALED_ROOT_KEYS, mp_db_value(res, i, 0),
	    keys, sizeof(keys), NULL)) != MP_OK)
		goto out;
	if ((it = json_pack("{s:s, s:s, s:s}", "id", mp_db_value(res, i, 0), "dev_eui",
	    mp_db_value(res, i, 1), "mac_version", mac)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if (c->clear != NULL) {
		/* every value is a uuid, hex or a version: nothing to escape */
		if ((r = mp_buf_putf(c->clear, "%s{\"id\":\"%s\",\"dev_eui\":\"%s\",\"join_eui\":"
		    "\"%s\",\"mac_version\":\"%s\"", i > 0 ? "," : "", mp_db_value(res, i, 0),
		    mp_db_value(res, i, 1), mp_db_value(res, i, 4), mac)) != MP_OK ||
		    (v11 && (r = put_hex_key(c->clear, "nwk_key", keys)) != MP_OK) ||
		    (r = put_hex_key(c->clear, "app_key", keys + LW_KEY_LEN)) != MP_OK ||
		    (r = mp_buf_put_str(c->clear, "}")) != MP_OK)
			goto out;
	} else if ((v11 && (r = lw_bi_key_envelope(it, "nwk_key", keys, c->to->kek_label, kek,
	    kek_len)) != MP_OK) || (r = lw_bi_key_envelope(it, "app_key", keys + LW_KEY_LEN,
	    c->to->kek_label, kek, kek_len)) != MP_OK) {
		goto out;
	}
	*item = it;
	it = NULL;
out:
	json_decref(it);
	mp_wipe(keys, sizeof(keys));
	return r;
}

/* The audit details of a CMS export: the SHA-256 of the recipient certificate. */
static json_t *
recipient_details(const lw_export_to *to)
{
	uint8_t fp[32];
	char *hex = NULL;
	json_t *d = NULL;

	if (EVP_Digest(to->recipient, to->recipient_len, fp, NULL, EVP_sha256(), NULL) == 1 &&
	    mp_hex_encode(fp, sizeof(fp), &hex) == MP_OK)
		d = json_pack("{s:s}", "recipient_sha256", hex);
	free(hex);
	return d;
}

static int
export_txn(mp_db *db, void *arg)
{
	struct export_ctx *c = arg;
	const char *params[2] = { c->tenant_id, c->ids };
	char peer_id[MP_UUID_STR_LEN + 1];
	uint8_t kek[32];
	size_t kek_len = 0;
	PGresult *res = NULL;
	json_t *details = NULL, *item = NULL;
	int r;

	json_array_clear(c->items);
	if (c->clear != NULL)
		mp_buf_reset(c->clear);
	if ((c->clear == NULL && (r = export_kek(db, c, peer_id, kek, &kek_len)) != MP_OK) ||
	    (c->clear != NULL && (r = mp_buf_put_str(c->clear, "[")) != MP_OK) ||
	    (r = mp_db_query(db, "SELECT l.id, d.dev_eui, l.mac_version, l.root_keys, l.join_eui"
	    " FROM lorawan_devices l JOIN devices d ON d.id = l.device_id"
	    " WHERE l.tenant_id = $1 AND l.id = ANY($2::uuid[]) ORDER BY l.id", 2, params,
	    &res)) != MP_OK)
		goto out;
	if ((size_t)PQntuples(res) != c->n) {
		c->what = "devices";
		r = MP_ERR_NOT_FOUND;
		goto out;
	}
	details = c->clear != NULL ? recipient_details(c->to) :
	    json_pack("{s:s, s:s}", "kek_label", c->to->kek_label, "peer_id", peer_id);
	if (details == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		if ((r = export_one(c, res, i, kek, kek_len, &item)) != MP_OK ||
		    (r = mp_audit_write_in(db, c->actor, c->tenant_id, "lorawan_device.export",
		    "lorawan_device", mp_db_value(res, i, 0), details)) != MP_OK)
			goto out;
		if (json_array_append_new(c->items, item) != 0) {
			r = MP_ERR_NOMEM;
			goto out;
		}
		item = NULL;
	}
	if (c->clear != NULL)
		r = mp_buf_put_str(c->clear, "]");
out:
	json_decref(item);
	json_decref(details);
	mp_wipe(kek, sizeof(kek));
	PQclear(res);
	return r;
}

int
lw_devices_export(mp_db *db, const mp_keystore *ks, const mp_actor *actor,
    const char *tenant_id, const char *const *ids, size_t n, const lw_export_to *to,
    json_t **out, char **cms, const char **what)
{
	struct export_ctx c = { ks, actor, tenant_id, NULL, n, to, NULL, NULL, NULL };
	mp_buf *lit = NULL;
	char *pem = NULL;
	int r = MP_ERR_INVALID;

	*what = NULL;
	if (actor == NULL || tenant_id == NULL || to == NULL ||
	    (to->kek_label == NULL) == (to->recipient == NULL) || n == 0 || n > LW_EXPORT_MAX)
		return MP_ERR_INVALID;
	if (to->recipient != NULL &&
	    (r = lw_envelope_check_recipient(to->recipient, to->recipient_len)) != MP_OK) {
		*what = "recipient";
		return r;
	}
	r = MP_ERR_NOMEM;
	if ((lit = mp_buf_new(n * (MP_UUID_STR_LEN + 1) + 3)) == NULL ||
	    (c.items = json_array()) == NULL || mp_buf_put_str(lit, "{") != MP_OK ||
	    (to->recipient != NULL && (c.clear = mp_buf_new(n * CLEAR_ITEM_MAX + 3)) == NULL))
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((i > 0 && mp_buf_put_str(lit, ",") != MP_OK) ||
		    mp_buf_put_str(lit, ids[i]) != MP_OK)
			goto out;
	if (mp_buf_put_str(lit, "}") != MP_OK)
		goto out;
	c.ids = mp_buf_str(lit);
	if ((r = mp_db_txn(db, export_txn, &c)) != MP_OK) {
		*what = c.what;
		goto out;
	}
	if (c.clear != NULL && (r = lw_envelope_seal(to->recipient, to->recipient_len,
	    mp_buf_ptr(c.clear), mp_buf_len(c.clear), &pem)) != MP_OK)
		goto out;
	*out = c.items;
	c.items = NULL;
	*cms = pem;
out:
	json_decref(c.items);
	mp_buf_free(c.clear);
	mp_buf_free(lit);
	return r;
}
