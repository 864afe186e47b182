/* The AppSKeys of accepted joins, for application servers. */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "err.h"
#include "peers.h"
#include "sealed.h"

int
lw_session_app_s_key(mp_db *db, const mp_keystore *ks, const lw_peer *peer,
    uint64_t dev_eui, const uint8_t id[LW_SESSION_KEY_ID_LEN], uint8_t key[LW_KEY_LEN],
    lw_result *rc)
{
	char eui[17], *idp = NULL, *hex = NULL;
	const char *params[3] = { eui, peer->tenant_id, NULL };
	PGresult *res = NULL;
	int r;

	snprintf(eui, sizeof(eui), "%016llx", (unsigned long long)dev_eui);
	if ((r = mp_db_bytea_param(id, LW_SESSION_KEY_ID_LEN, &idp)) != MP_OK ||
	    (r = mp_hex_encode(id, LW_SESSION_KEY_ID_LEN, &hex)) != MP_OK)
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
	if (r != MP_OK || (r = lw_unseal_value(ks, res, 0, 0, LW_SEALED_SESSION, hex, key,
	    LW_KEY_LEN, NULL)) != MP_OK)
		goto out;
	*rc = LW_RESULT_SUCCESS;
out:
	free(hex);
	free(idp);
	PQclear(res);
	return r;
}

int
lw_session_home_net_id(mp_db *db, const lw_peer *peer, uint64_t dev_eui, uint32_t *net_id,
    char ns_id[LW_NSID_MAX + 1], lw_result *rc)
{
	char eui[17];
	const char *params[2] = { eui, peer->tenant_id }, *ns;
	PGresult *res = NULL;
	int r;

	snprintf(eui, sizeof(eui), "%016llx", (unsigned long long)dev_eui);
	r = mp_db_query_row(db, "SELECT h.net_id, h.ns_id FROM lorawan_devices l"
	    " JOIN devices d ON d.id = l.device_id,"
	    " LATERAL (SELECT coalesce(l.home_net_id, (SELECT p.net_id FROM lorawan_joins j"
	    " JOIN lorawan_peers p ON p.id = j.peer_id WHERE j.lorawan_device_id = l.id"
	    " AND j.result = 'Success' ORDER BY j.id DESC LIMIT 1)) AS net_id,"
	    " l.home_ns_id AS ns_id) h"
	    " WHERE d.dev_eui = $1 AND l.tenant_id = $2 AND h.net_id IS NOT NULL", 2, params, &res);
	if (r == MP_ERR_NOT_FOUND) {
		*rc = LW_RESULT_UNKNOWN_DEV_EUI;
		r = MP_OK;
		goto out;
	}
	if (r != MP_OK || (r = lw_net_id_parse(mp_db_value(res, 0, 0), net_id)) != MP_OK)
		goto out;
	ns = mp_db_value(res, 0, 1);
	if (ns_id != NULL)
		snprintf(ns_id, LW_NSID_MAX + 1, "%s", ns != NULL ? ns : "");
	*rc = LW_RESULT_SUCCESS;
out:
	PQclear(res);
	return r;
}
