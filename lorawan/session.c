/* The AppSKeys of accepted joins, for application servers. */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "codec.h"
#include "err.h"
#include "peers.h"

int
lw_session_context(const uint8_t id[LW_SESSION_KEY_ID_LEN], char out[LW_SESSION_CONTEXT_MAX])
{
	char *hex = NULL;
	int r;

	if ((r = mp_hex_encode(id, LW_SESSION_KEY_ID_LEN, &hex)) != MP_OK)
		return r;
	snprintf(out, LW_SESSION_CONTEXT_MAX, "lorawan_session:%s", hex);
	free(hex);
	return MP_OK;
}

int
lw_session_app_s_key(mp_db *db, const mp_keystore *ks, const lw_peer *peer,
    uint64_t dev_eui, const uint8_t id[LW_SESSION_KEY_ID_LEN], uint8_t key[LW_KEY_LEN],
    lw_result *rc)
{
	char eui[17], context[LW_SESSION_CONTEXT_MAX], *idp = NULL;
	const char *params[3] = { eui, peer->tenant_id, NULL };
	uint8_t *sealed = NULL, *plain = NULL;
	size_t sealed_len = 0, plain_len = 0;
	PGresult *res = NULL;
	int r;

	snprintf(eui, sizeof(eui), "%016llx", (unsigned long long)dev_eui);
	if ((r = mp_db_bytea_param(id, LW_SESSION_KEY_ID_LEN, &idp)) != MP_OK ||
	    (r = lw_session_context(id, context)) != MP_OK)
		goto out;
	params[2] = idp;
	r = mp_db_query_row(db, "SELECT j.app_s_key FROM lorawan_joins j"
	    " JOIN lorawan_devices l ON l.id = j.lorawan_device_id"
	    " JOIN devices d ON d.id = l.device_id"
	    " WHERE d.dev_eui = $1 AND l.tenant_id = $2 AND j.session_key_id = $3::bytea", 3,
	    params, &res);
	if (r == MP_ERR_NOT_FOUND) {
		*rc = LW_RESULT_UNKNOWN_DEV_EUI;
		r = MP_OK;
		goto out;
	}
	if (r != MP_OK ||
	    (r = mp_db_bytea_value(res, 0, 0, MP_KEYSTORE_SEAL_MAX, &sealed, &sealed_len)) != MP_OK ||
	    (r = mp_keystore_unseal(ks, context, sealed, sealed_len, &plain, &plain_len)) != MP_OK)
		goto out;
	if (plain_len != LW_KEY_LEN) {
		r = MP_ERR_INTEGRITY;
		goto out;
	}
	memcpy(key, plain, LW_KEY_LEN);
	*rc = LW_RESULT_SUCCESS;
out:
	OPENSSL_clear_free(plain, plain_len);
	free(sealed);
	free(idp);
	PQclear(res);
	return r;
}

int
lw_session_home_net_id(mp_db *db, const lw_peer *peer, uint64_t dev_eui, uint32_t *net_id,
    lw_result *rc)
{
	char eui[17];
	const char *params[2] = { eui, peer->tenant_id };
	PGresult *res = NULL;
	int r;

	snprintf(eui, sizeof(eui), "%016llx", (unsigned long long)dev_eui);
	r = mp_db_query_row(db, "SELECT p.net_id FROM lorawan_joins j"
	    " JOIN lorawan_devices l ON l.id = j.lorawan_device_id"
	    " JOIN devices d ON d.id = l.device_id JOIN lorawan_peers p ON p.id = j.peer_id"
	    " WHERE d.dev_eui = $1 AND l.tenant_id = $2 AND j.result = 'Success'"
	    " ORDER BY j.id DESC LIMIT 1", 2, params, &res);
	if (r == MP_ERR_NOT_FOUND) {
		*rc = LW_RESULT_UNKNOWN_DEV_EUI;
		r = MP_OK;
		goto out;
	}
	if (r != MP_OK || (r = lw_net_id_parse(mp_db_value(res, 0, 0), net_id)) != MP_OK)
		goto out;
	*rc = LW_RESULT_SUCCESS;
out:
	PQclear(res);
	return r;
}
