/*
 * The Join Server's decision on a Join-request or a Rejoin-request, and its
 * record, in one transaction.
 */
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
#include "session.h"

#define JOIN_NONCE_MAX 0xffffff

/* The device of a DevEUI in the peer's tenant, locked; the DevNonce's bit for 1.0.2/1.0.3. */
#define DEVICE_SQL "SELECT l.id, l.tenant_id, l.mac_version, l.root_keys," \
	" l.status = 'active' AND d.status = 'active', l.join_nonce, l.dev_nonce_last," \
	" coalesce(get_bit(l.dev_nonces_used, $3::int), 0), l.join_eui, l.rj_count1_last" \
	" FROM lorawan_devices l JOIN devices d ON d.id = l.device_id" \
	" WHERE d.dev_eui = $1 AND l.tenant_id = $2 FOR UPDATE OF l"

/*
 * A successful join or rejoin ($7: its RejoinType, NULL for a join): the
 * nonce state moves on and the join is recorded, in one statement. Rejoins
 * are 1.1 only: they leave the DevNonce alone, and type 1 moves RJcount1 on.
 */
#define SUCCESS_SQL "WITH u AS (UPDATE lorawan_devices SET join_nonce = $2::int," \
	" dev_nonce_last = CASE WHEN $7::smallint IS NOT NULL THEN dev_nonce_last" \
	" WHEN mac_version IN ('1.0.4', '1.1') THEN $3::int END," \
	" dev_nonces_used = CASE WHEN mac_version IN ('1.0.2', '1.0.3') THEN" \
	" set_bit(coalesce(dev_nonces_used, decode(repeat('00', 8192), 'hex')), $3::int, 1) END," \
	" rj_count1_last = CASE WHEN $7::smallint = 1 THEN $3::int ELSE rj_count1_last END," \
	" updated_at = now() WHERE id = $1 RETURNING tenant_id, id)" \
	" INSERT INTO lorawan_joins (tenant_id, lorawan_device_id, peer_id, dev_nonce, join_nonce," \
	" result, session_key_id, app_s_key, rejoin_type)" \
	" SELECT tenant_id, id, $4, $3::int, $2::int, 'Success', $5::bytea, $6::bytea," \
	" $7::smallint FROM u"

#define REFUSED_SQL "INSERT INTO lorawan_joins (tenant_id, lorawan_device_id, peer_id," \
	" dev_nonce, result, rejoin_type) VALUES ($1, $2, $3, $4::int, $5, $6::smallint)"

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
	mp_db *db;
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

/*
 * The session keys and the Join-accept for an accepted Join-request or
 * Rejoin-request (1.1 only: OptNeg set, encrypted under JSEncKey), with
 * join_eui the JoinEUI that the keys and the 1.1 MIC take.
 */
static int
accept_join(const lw_join_in *in, const uint8_t keys[LW_ROOT_KEYS_LEN], bool dev11,
    uint64_t join_eui, uint32_t join_nonce, lw_join_out *out)
{
	const uint8_t *nwk = keys, *app = keys + LW_KEY_LEN;
	const lw_join_msg *m = in->req;
	bool rejoin = m->join_req_type != LW_JOIN_REQ_TYPE_JOIN;
	lw_join_accept ja = { join_nonce, in->net_id, in->dev_addr, in->dl_settings & 0x7f,
		in->rx_delay, in->has_cflist, { 0 } };
	lw_join_accept11 o11 = { m->join_req_type, join_eui, m->dev_nonce };
	lw_js_keys js;
	int r;

	memcpy(ja.cflist, in->cflist, LW_CFLIST_LEN);
	out->opt_neg = dev11 && in->mac11;
	out->join_nonce = join_nonce;
	if (out->opt_neg) {
		ja.dl_settings |= 0x80;
		if ((r = lw_keys_derive11(nwk, app, join_nonce, join_eui, m->dev_nonce,
		    &out->k11)) != MP_OK || (r = lw_keys_js(nwk, m->dev_eui, &js)) != MP_OK)
			goto out;
		r = lw_join_accept_encode(&ja, &o11, js.js_int_key, rejoin ? js.js_enc_key : nwk,
		    out->phy, &out->phy_len);
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

/* A JoinEUI as stored (16 hex digits) as a value. */
static int
join_eui_parse(const char *hex, uint64_t *out)
{
	uint8_t b[8];
	uint64_t v = 0;

	if (hex == NULL || mp_hex_decode_fixed(hex, strlen(hex), b, sizeof(b)) != MP_OK)
		return MP_ERR_INTEGRITY;
	for (size_t i = 0; i < sizeof(b); i++)
		v = v << 8 | b[i];
	*out = v;
	return MP_OK;
}

/*
 * Authenticates the request: a Join-request by its MIC under the AppKey
 * (1.0.x) or the NwkKey (1.1), a Rejoin type 1 by its MIC under JSIntKey. A
 * Rejoin type 0 or 2 carries a MIC under the session's SNwkSIntKey, which
 * the network server holding the session checks before it forwards the
 * request (LoRaWAN 1.1 §6.2.4.1), so the sender must be that network
 * server: the device's home network, named by the Rejoin-request's NetID.
 * *rc is LW_RESULT_SUCCESS when the request is authentic.
 */
static int
authenticate(const struct join_ctx *c, const uint8_t keys[LW_ROOT_KEYS_LEN], bool dev11,
    lw_result *rc, const char **why)
{
	const lw_join_msg *m = c->in->req;
	lw_result home_rc = LW_RESULT_OTHER;
	uint32_t home = 0;
	lw_js_keys js;
	int r;

	*rc = LW_RESULT_SUCCESS;
	if (m->join_req_type == 0 || m->join_req_type == 2) {
		if ((r = lw_session_home_net_id(c->db, c->in->peer, m->dev_eui, &home, NULL,
		    &home_rc)) != MP_OK)
			return r;
		if (home_rc != LW_RESULT_SUCCESS || home != c->in->net_id || m->net_id != home) {
			*rc = LW_RESULT_JOIN_REQ_FAILED;
			*why = "a Rejoin type 0 or 2 comes from the device's home network server, "
			    "whose NetID it carries";
		}
		return MP_OK;
	}
	if (m->join_req_type == 1) {
		if ((r = lw_keys_js(keys, m->dev_eui, &js)) == MP_OK)
			r = lw_phy_check_mic(m, js.js_int_key);
		mp_wipe(&js, sizeof(js));
	} else {
		r = lw_phy_check_mic(m, dev11 ? keys : keys + LW_KEY_LEN);
	}
	if (r == MP_ERR_INTEGRITY) {
		*rc = LW_RESULT_MIC_FAILED;
		*why = m->join_req_type == 1 ? "the Rejoin-request's MIC does not verify" :
		    "the Join-request's MIC does not verify";
		r = MP_OK;
	}
	return r;
}

/* Checks the device, the request's MIC and nonces and, when all is well, accepts. */
static int
decide(const struct join_ctx *c, const PGresult *res, uint32_t *join_nonce)
{
	const lw_join_in *in = c->in;
	const lw_join_msg *m = in->req;
	const char *mac = mp_db_value(res, 0, 2), *last = mp_db_value(res, 0, 6);
	const char *rj1 = mp_db_value(res, 0, 9), *why = NULL;
	bool dev11 = strcmp(mac, "1.1") == 0, counter = dev11 || strcmp(mac, "1.0.4") == 0;
	bool rejoin = m->join_req_type != LW_JOIN_REQ_TYPE_JOIN;
	uint8_t keys[LW_ROOT_KEYS_LEN];
	uint64_t jn = 0, prev = 0, rj1_last = 0, join_eui = m->join_eui;
	lw_result rc = LW_RESULT_OTHER;
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
	if (rejoin && !in->mac11) {
		refuse(c->out, LW_RESULT_JOIN_REQ_FAILED,
		    "Rejoin-requests are LoRaWAN 1.1: MACVersion must be 1.1");
		return MP_OK;
	}
	if ((r = mp_parse_u64(mp_db_value(res, 0, 5), JOIN_NONCE_MAX, &jn)) != MP_OK ||
	    (last != NULL && (r = mp_parse_u64(last, UINT16_MAX, &prev)) != MP_OK) ||
	    (rj1 != NULL && (r = mp_parse_u64(rj1, UINT16_MAX, &rj1_last)) != MP_OK) ||
	    (rejoin && m->join_req_type != 1 &&
	    (r = join_eui_parse(mp_db_value(res, 0, 8), &join_eui)) != MP_OK))
		return MP_ERR_INTEGRITY;
	if ((r = lw_unseal_value(c->ks, res, 0, 3, LW_SEALED_ROOT_KEYS, mp_db_value(res, 0, 0),
	    keys, sizeof(keys), NULL)) != MP_OK ||
	    (r = authenticate(c, keys, dev11, &rc, &why)) != MP_OK)
		goto out;
	if (rc != LW_RESULT_SUCCESS) {
		refuse(c->out, rc, why);
	} else if (m->join_req_type == 1 && rj1 != NULL && m->dev_nonce <= rj1_last) {
		refuse(c->out, LW_RESULT_JOIN_REQ_FAILED,
		    "RJcount1 is not greater than the last one accepted (replay?)");
	} else if (!rejoin && counter && last != NULL && m->dev_nonce <= prev) {
		refuse(c->out, LW_RESULT_JOIN_REQ_FAILED,
		    "DevNonce is not greater than the last one accepted (replay?)");
	} else if (!rejoin && !counter && strcmp(mp_db_value(res, 0, 7), "1") == 0) {
		refuse(c->out, LW_RESULT_JOIN_REQ_FAILED,
		    "DevNonce was used before by this device (replay?)");
	} else if (jn == JOIN_NONCE_MAX) {
		refuse(c->out, LW_RESULT_JOIN_REQ_FAILED,
		    "the device has used every JoinNonce; rotate its keys");
	} else {
		*join_nonce = (uint32_t)jn + 1;
		r = accept_join(in, keys, dev11, join_eui, *join_nonce, c->out);
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
	char eui[17], nonce[8], jn[12], type[4], *skid = NULL, *sealed = NULL;
	const char *params[7], *rejoin_type = NULL;
	PGresult *res = NULL;
	uint32_t join_nonce = 0;
	int r;

	mp_wipe(c->out, sizeof(*c->out));
	refuse(c->out, LW_RESULT_OTHER, "internal error");
	snprintf(eui, sizeof(eui), "%016llx", (unsigned long long)in->req->dev_eui);
	snprintf(nonce, sizeof(nonce), "%u", (unsigned)in->req->dev_nonce);
	if (in->req->join_req_type != LW_JOIN_REQ_TYPE_JOIN) {
		snprintf(type, sizeof(type), "%u", (unsigned)in->req->join_req_type);
		rejoin_type = type;
	}
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
		params[6] = rejoin_type;
		r = mp_db_query(db, SUCCESS_SQL, 7, params, NULL);
	} else {
		params[0] = mp_db_value(res, 0, 1);
		params[1] = mp_db_value(res, 0, 0);
		params[2] = in->peer->id;
		params[3] = nonce;
		params[4] = lw_result_name(c->out->result);
		params[5] = rejoin_type;
		r = mp_db_query(db, REFUSED_SQL, 6, params, NULL);
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
	struct join_ctx c = { db, ks, in, out };
	int r;

	if ((r = mp_db_txn(db, join_txn, &c)) != MP_OK)
		mp_wipe(out, sizeof(*out));
	return r;
}
