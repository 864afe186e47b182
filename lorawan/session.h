/*
 * Sessions the Join Server keeps: the AppSKey of every accepted join, sealed
 * under the key store's master key and found by the random SessionKeyID its
 * JoinAns named (Backend Interfaces AppSKeyReq), and the network server that
 * holds a device's session (HomeNSReq).
 */
#ifndef LW_SESSION_H
#define LW_SESSION_H

#include <stdint.h>

#include "db.h"
#include "join.h"
#include "keystore.h"
#include "lw_devices.h"

/*
 * The AppSKey of the session id of the device dev_eui in the peer's tenant
 * into key (wipe it), with *rc LW_RESULT_SUCCESS; *rc LW_RESULT_UNKNOWN_DEV_EUI
 * when the tenant has no such device or the device no such session. MP_OK
 * once decided, else the error that kept it from deciding.
 */
int lw_session_app_s_key(mp_db *db, const mp_keystore *ks, const lw_peer *peer,
    uint64_t dev_eui, const uint8_t id[LW_SESSION_KEY_ID_LEN], uint8_t key[LW_KEY_LEN],
    lw_result *rc);

/*
 * The home network of device dev_eui in the peer's tenant (HomeNSReq): the
 * NetID of the network server that holds its session — the one configured
 * for the device (lw_device_set_home), else the one through which it last
 * joined — in *net_id, and when ns_id is not NULL the NSID configured with it
 * in ns_id ("" when none), with *rc LW_RESULT_SUCCESS; *rc
 * LW_RESULT_UNKNOWN_DEV_EUI when the tenant has no such device or it has
 * neither. MP_OK once decided, else the error that kept it from deciding.
 */
int lw_session_home_net_id(mp_db *db, const lw_peer *peer, uint64_t dev_eui, uint32_t *net_id,
    char ns_id[LW_NSID_MAX + 1], lw_result *rc);

#endif
