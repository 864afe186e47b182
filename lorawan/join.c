/* The Join Server's decision on a Join-request, and its record, in one transaction. */
#include "join.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "err.h"
#include "lw_devices.h"
#include "num.h"
#include "sealed.h"
#include "secure.h"

#define JOIN_NONCE_MAX 0xffffff

/* The device of a DevEUI in the peer's tenant, locked; the DevNonce's bit for 1.0.2/1.0.3. */
#define DEVICE_SQL "SELECT l.id, l.tenant_id, l.mac_version, l.root_keys," \
	" l.status = 'active' AND d.status = 'active', l.join_nonce, l.dev_nonce_last," \
	" coalesce(get_bit(l.dev_nonces_used, $3::int), 0)" \
	" FROM lorawan_devices l JOIN devices d ON d.id = l.device_id" \
	" WHERE d.dev_eui = $1 AND l.tenant_id = $2 FOR UPDATE OF l"

/* A successful join: the nonce state moves on and the join is recorded, in one statement. */
#define SUCCESS_SQL "WITH u AS (UPDATE lorawan_devices SET join_nonce = $2::int," \
	" dev_nonce_last = CASE WHEN mac_version IN ('1.0.4', '1.1') THEN $3::int END," \
	" dev_nonces_used = CASE WHEN mac_version IN ('1.0.2', '1.0.3') THEN" \
	" set_bit(coalesce(dev_nonces_used, decode(repeat('00', 8192), 'hex')), $3::int, 1) END," \
	" updated_at = now() WHERE id = $1 RETURNING tenant_id, id)" \
	" INSERT INTO lorawan_joins (tenant_id, lorawan_device_id, peer_id, dev_nonce, join_nonce," \
	" result, session_key_id, app_s_key)" \
	" SELECT tenant_id, id, $4, $3::int, $2::int, 'Success', $5::bytea, $6::bytea FROM u"

#define REFUSED_SQL "INSERT INTO lorawan_joins (tenant_id, lorawan_device_id, peer_id," \
	" dev_nonce, result) VALUES ($1, $2, $3, $4::int, $5)"

const char *
lw_result_name(lw_result rc)
{
	switch (rc) {
	case LW_RESULT_SUCCESS:
		return "Success";
	case LW_RESULT_MIC_FAILED:
		return "MICFailed";
	case LW_RESULT_JOIN_REQ_FAILED:
		return "JoinReqFailed";
	case LW_RESULT_UNKNOWN_DEV_EUI:
		return "UnknownDevEUI";
	case LW_RESULT_UNKNOWN_SENDER:
		return "UnknownSender";
	case LW_RESULT_ACTIVATION_DISALLOWED:
		return "ActivationDisallowed";
	case LW_RESULT_MALFORMED:
		return "MalformedRequest";
	case LW_RESULT_OTHER:
		break;
	}
	return "Other";
}

void
lw_peer_clear(lw_peer *p)
{
	if (p != NULL)
		mp_wipe(p, sizeof(*p));
}

struct join_ctx {
	const mp_keystore *ks;
	const lw_join_in *in;
	lw_join_out *out;
};

static void
refuse(lw_join_out *out, lw_result rc, const char *why)
{
	out->result = rc;
	out->why = why;
}

/* The session keys and the Join-accept for an accepted Join-request. */
static int
accept_join(const lw_join_in *in, const uint8_t keys[LW_ROOT_KEYS_LEN], bool dev11,
    uint32_t join_nonce, lw_join_out *out)
{
	const uint8_t *nwk = keys, *app = keys + LW_KEY_LEN;
	const lw_join_msg *m = in->req;
	lw_join_accept ja = { join_nonce, in->net_id, in->dev_addr, in->dl_settings & 0x7f,
		in->rx_delay, in->has_cflist, { 0 } };
	lw_join_accept11 o11 = { LW_JOIN_REQ_TYPE_JOIN, m->join_eui, m->dev_nonce };
	lw_js_keys js;
	int r;

	memcpy(ja.cflist, in->cflist, LW_CFLIST_LEN);
	out->opt_neg = dev11 && in->mac11;
	out->join_nonce = join_nonce;
	if (out->opt_neg) {
		ja.dl_settings |= 0x80;
		if ((r = lw_keys_derive11(nwk, app, join_nonce, m->join_eui, m->dev_nonce,
		    &out->k11)) != MP_OK || (r = lw_keys_js(nwk, m->dev_eui, &js)) != MP_OK)
			goto out;
		r = lw_join_accept_encode(&ja, &o11, js.js_int_key, nwk, out->phy, &out->phy_len);
	} else {
		/* 1.0.x, or a 1.1 device behind a 1.0 network server: 1.0 keys from its root key */
		const uint8_t *root = dev11 ? nwk : app;

		if ((r = lw_keys_derive10(root, join_nonce, in->net_id, m->dev_nonce,
		    &out->k10)) != MP_OK)
			goto out;
		r = lw_join_accept_encode(&ja, NULL, root, root, out->phy, &out->phy_len);
	}
	if (r == MP_OK)
		out->result = LW_RESULT_SUCCESS;
out:
	mp_wipe(&js, sizeof(js));
	return r;
}

/* Checks the device's MIC and nonces and, when all is well, accepts. */
static int
decide(const struct join_ctx *c, const PGresult *res, uint32_t *join_nonce)
{
	const lw_join_in *in = c->in;
	const char *mac = mp_db_value(res, 0, 2), *last = mp_db_value(res, 0, 6);
	bool dev11 = strcmp(mac, "1.1") == 0, counter = dev11 || strcmp(mac, "1.0.4") == 0;
	uint8_t keys[LW_ROOT_KEYS_LEN];
	uint64_t jn = 0, prev = 0;
	int r;

	if (strcmp(mp_db_value(res, 0, 4), "t") != 0) {
		refuse(c->out, LW_RESULT_ACTIVATION_DISALLOWED,
		    "the device is suspended, decommissioned or inactive");
		return MP_OK;
	}
	if (!dev11 && in->mac11) {
		refuse(c->out, LW_RESULT_JOIN_REQ_FAILED,
		    "the device is registered for LoRaWAN 1.0.x, not 1.1");
		return MP_OK;
	}
	if ((r = mp_parse_u64(mp_db_value(res, 0, 5), JOIN_NONCE_MAX, &jn)) != MP_OK ||
	    (last != NULL && (r = mp_parse_u64(last, UINT16_MAX, &prev)) != MP_OK))
		return MP_ERR_INTEGRITY;
	if ((r = lw_unseal_value(c->ks, res, 0, 3, LW_SEALED_ROOT_KEYS, mp_db_value(res, 0, 0),
	    keys, sizeof(keys), NULL)) != MP_OK)
		goto out;
	r = lw_phy_check_mic(in->req, dev11 ? keys : keys + LW_KEY_LEN);
	if (r == MP_ERR_INTEGRITY) {
		refuse(c->out, LW_RESULT_MIC_FAILED, "the Join-request's MIC does not verify");
		r = MP_OK;
	} else if (r != MP_OK) {
		goto out;
	} else if (counter && last != NULL && in->req->dev_nonce <= prev) {
		refuse(c->out, LW_RESULT_JOIN_REQ_FAILED,
		    "DevNonce is not greater than the last one accepted (replay?)");
	} else if (!counter && strcmp(mp_db_value(res, 0, 7), "1") == 0) {
		refuse(c->out, LW_RESULT_JOIN_REQ_FAILED,
		    "DevNonce was used before by this device (replay?)");
	} else if (jn == JOIN_NONCE_MAX) {
		refuse(c->out, LW_RESULT_JOIN_REQ_FAILED,
		    "the device has used every JoinNonce; rotate its keys");
	} else {
		*join_nonce = (uint32_t)jn + 1;
		r = accept_join(in, keys, dev11, *join_nonce, c->out);
	}
out:
	mp_wipe(keys, sizeof(keys));
	return r;
}

/*
 * A new SessionKeyID for the accepted join in out, and the session's AppSKey
 * sealed under it, both as bytea parameters (free them).
 */
static int
keep_session(const mp_keystore *ks, lw_join_out *out, char **skid, char **sealed)
{
	const uint8_t *app = out->opt_neg ? out->k11.app_s_key : out->k10.app_s_key;
	char *hex = NULL;
	int r;

	if ((r = mp_random_bytes(out->session_key_id, LW_SESSION_KEY_ID_LEN)) != MP_OK ||
	    (r = mp_hex_encode(out->session_key_id, LW_SESSION_KEY_ID_LEN, &hex)) != MP_OK)
		return r;
	if ((r = lw_seal_param(ks, LW_SEALED_SESSION, hex, app, LW_KEY_LEN, sealed)) == MP_OK &&
	    (r = mp_db_bytea_param(out->session_key_id, LW_SESSION_KEY_ID_LEN, skid)) != MP_OK) {
		free(*sealed);
		*sealed = NULL;
	}
	free(hex);
	return r;
}

static int
join_txn(mp_db *db, void *arg)
{
	struct join_ctx *c = arg;
	const lw_join_in *in = c->in;
	char eui[17], nonce[8], jn[12], *skid = NULL, *sealed = NULL;
	const char *params[6];
	PGresult *res = NULL;
	uint32_t join_nonce = 0;
	int r;

	mp_wipe(c->out, sizeof(*c->out));
	refuse(c->out, LW_RESULT_OTHER, "internal error");
	snprintf(eui, sizeof(eui), "%016llx", (unsigned long long)in->req->dev_eui);
	snprintf(nonce, sizeof(nonce), "%u", (unsigned)in->req->dev_nonce);
	params[0] = eui;
	params[1] = in->peer->tenant_id;
	params[2] = nonce;
	if ((r = mp_db_query_row(db, DEVICE_SQL, 3, params, &res)) == MP_ERR_NOT_FOUND) {
		refuse(c->out, LW_RESULT_UNKNOWN_DEV_EUI, "no device with this DevEUI");
		r = MP_OK;
		goto out;
	}
	if (r != MP_OK || (r = decide(c, res, &join_nonce)) != MP_OK)
		goto out;
	if (c->out->result == LW_RESULT_SUCCESS) {
		snprintf(jn, sizeof(jn), "%u", (unsigned)join_nonce);
		if ((r = keep_session(c->ks, c->out, &skid, &sealed)) != MP_OK)
			goto out;
		params[0] = mp_db_value(res, 0, 0);
		params[1] = jn;
		params[2] = nonce;
		params[3] = in->peer->id;
		params[4] = skid;
		params[5] = sealed;
		r = mp_db_query(db, SUCCESS_SQL, 6, params, NULL);
	} else {
		params[0] = mp_db_value(res, 0, 1);
		params[1] = mp_db_value(res, 0, 0);
		params[2] = in->peer->id;
		params[3] = nonce;
		params[4] = lw_result_name(c->out->result);
		r = mp_db_query(db, REFUSED_SQL, 5, params, NULL);
	}
out:
	free(skid);
	free(sealed);
	PQclear(res);
	return r;
}

int
lw_join(mp_db *db, const mp_keystore *ks, const lw_join_in *in, lw_join_out *out)
{
	struct join_ctx c = { ks, in, out };
	int r;

	if ((r = mp_db_txn(db, join_txn, &c)) != MP_OK)
		mp_wipe(out, sizeof(*out));
	return r;
}
