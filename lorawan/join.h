/*
 * The Join Server's decision on a Join-request (LoRaWAN 1.0.2, 1.0.3, 1.0.4
 * and 1.1) or a Rejoin-request (1.1, types 0, 1 and 2), in one database
 * transaction under the device's row lock: the device, its MIC, its DevNonce
 * or RJcount, the next JoinNonce, the session keys, the Join-accept, and the
 * record of the join.
 */
#ifndef LW_JOIN_H
#define LW_JOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "keys.h"
#include "keystore.h"
#include "phy.h"

/* The outcomes the Backend Interfaces name (bi.h turns them into ResultCodes). */
typedef enum {
	LW_RESULT_SUCCESS,
	LW_RESULT_MIC_FAILED,
	LW_RESULT_JOIN_REQ_FAILED,
	LW_RESULT_UNKNOWN_DEV_EUI,
	LW_RESULT_UNKNOWN_SENDER,
	LW_RESULT_ACTIVATION_DISALLOWED,
	LW_RESULT_MALFORMED,
	LW_RESULT_OTHER,
} lw_result;

/* The ResultCode of rc as TS002 1.0 spells it ("Success", "MICFailed", ...). */
const char *lw_result_name(lw_result rc);

#define LW_KEK_LABEL_MAX 128
#define LW_AS_ID_MAX 128
#define LW_SESSION_KEY_ID_LEN 16


/* An authenticated caller (peers.c, lw_peer_authenticate); its KEK in clear: lw_peer_clear it. */
typedef struct lw_peer {
	char id[37];
	char tenant_id[37];
	bool ns;                 /* a network server (else an application server) */
	uint32_t net_id;         /* network servers */
	char as_id[LW_AS_ID_MAX + 1]; /* application servers */
	char kek_label[LW_KEK_LABEL_MAX + 1];
	uint8_t kek[32];
	size_t kek_len;          /* 0: no KEK, keys go in clear */
} lw_peer;

void lw_peer_clear(lw_peer *p);

typedef struct lw_join_in {
	const lw_peer *peer;     /* a network server; the device must be of its tenant */
	const lw_join_msg *req;  /* the parsed Join-request or Rejoin-request */
	bool mac11;              /* the network server speaks LoRaWAN 1.1 to the device */
	uint32_t net_id;         /* of the network server */
	uint32_t dev_addr;
	uint8_t dl_settings;     /* OptNeg is set or cleared here */
	uint8_t rx_delay;
	bool has_cflist;
	uint8_t cflist[LW_CFLIST_LEN];
} lw_join_in;

typedef struct lw_join_out {
	lw_result result;
	const char *why;         /* a static sentence for the Description */
	bool opt_neg;            /* 1.1 keys in k11, else 1.0 keys in k10 */
	lw_keys10 k10;
	lw_keys11 k11;
	uint8_t phy[LW_JOIN_ACCEPT_MAX];
	size_t phy_len;
	uint32_t join_nonce;
	uint8_t session_key_id[LW_SESSION_KEY_ID_LEN]; /* the AppSKey is kept under it */
} lw_join_out;

/*
 * Decides on in->req and records the join or rejoin (a device that is found gets a
 * lorawan_joins row, refused or not; an accepted join keeps its AppSKey,
 * sealed, under a new random SessionKeyID). *out (wipe it: it holds session keys)
 * says the result. MP_OK once decided, else the error that kept it from
 * deciding (MP_ERR_DB_UNAVAILABLE, ...).
 */
int lw_join(mp_db *db, const mp_keystore *ks, const lw_join_in *in, lw_join_out *out);

#endif
