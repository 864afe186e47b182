/*
 * LoRaWAN PHYPayloads a Join Server handles (LoRaWAN 1.1 §4, §6.2): parsing
 * the Join-request and Rejoin-request a network server forwards, checking
 * their MIC, and building the encrypted Join-accept. Multi-octet fields are
 * little-endian on the air and values here (DevEUI 0x0102030405060708 is
 * sent 08 07 .. 01).
 */
#ifndef LW_PHY_H
#define LW_PHY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

#define LW_JOIN_REQUEST_LEN 23   /* MHDR JoinEUI DevEUI DevNonce MIC */
#define LW_REJOIN02_LEN 19       /* MHDR type NetID DevEUI RJcount0 MIC */
#define LW_REJOIN1_LEN 24        /* MHDR type JoinEUI DevEUI RJcount1 MIC */
#define LW_JOIN_ACCEPT_MAX 33    /* MHDR and 32 encrypted bytes with a CFList */
#define LW_CFLIST_LEN 16

/* The JoinReqType of a Join-request in the 1.1 Join-accept MIC; Rejoin types are 0..2. */
#define LW_JOIN_REQ_TYPE_JOIN 0xff

/* A Join-request or Rejoin-request; pointers point into the parsed bytes. */
typedef struct lw_join_msg {
	uint8_t join_req_type; /* LW_JOIN_REQ_TYPE_JOIN, or the RejoinType 0, 1, 2 */
	uint64_t join_eui;     /* Join-request and Rejoin type 1; 0 otherwise */
	uint64_t dev_eui;
	uint32_t net_id;       /* Rejoin types 0 and 2; 0 otherwise */
	uint16_t dev_nonce;    /* DevNonce, or RJcount0 / RJcount1 */
	const uint8_t *signed_part; /* the bytes the MIC covers: all but the MIC */
	size_t signed_len;
	uint8_t mic[LW_MIC_LEN];
} lw_join_msg;

/* The Join-accept fields before encryption. */
typedef struct lw_join_accept {
	uint32_t join_nonce;   /* 24 bits */
	uint32_t net_id;       /* 24 bits */
	uint32_t dev_addr;
	uint8_t dl_settings;   /* bit 7 is OptNeg */
	uint8_t rx_delay;
	bool has_cflist;
	uint8_t cflist[LW_CFLIST_LEN];
} lw_join_accept;

/* What the 1.1 Join-accept MIC covers before the message (LoRaWAN 1.1 §6.2.3). */
typedef struct lw_join_accept11 {
	uint8_t join_req_type;
	uint64_t join_eui;
	uint16_t dev_nonce;    /* the DevNonce, or the RJcount of the Rejoin */
} lw_join_accept11;

/* n (1..8) low octets of v at p, least significant first, and the inverse. */
void lw_put_le(uint8_t *p, uint64_t v, size_t n);
uint64_t lw_get_le(const uint8_t *p, size_t n);

/*
 * Parses a Join-request (MType 000) or Rejoin-request (MType 110, types 0, 1
 * and 2) of LoRaWAN major version R1 into *out. MP_ERR_INVALID for a wrong
 * length, major version, RejoinType or MHDR RFU bits; MP_ERR_UNSUPPORTED for
 * any other message type. The MIC is not checked.
 */
int lw_phy_parse(const uint8_t *p, size_t len, lw_join_msg *out);

/*
 * Checks m's MIC under key (Join-request: AppKey for 1.0.x, NwkKey for 1.1;
 * Rejoin types 0 and 2: SNwkSIntKey; type 1: JSIntKey). MP_OK when it
 * matches (compared in constant time), MP_ERR_INTEGRITY when not.
 */
int lw_phy_check_mic(const lw_join_msg *m, const uint8_t key[LW_KEY_LEN]);

/*
 * The encrypted Join-accept PHYPayload (17 bytes, 33 with a CFList) into
 * out, its length in *len. With opt11 NULL the MIC is the 1.0 one under
 * mic_key (AppKey, or NwkKey for a 1.1 device with OptNeg unset); with
 * opt11 it is the 1.1 one under mic_key (JSIntKey) over opt11's fields first.
 * enc_key is AppKey/NwkKey for a Join-request, JSEncKey for a Rejoin.
 */
int lw_join_accept_encode(const lw_join_accept *ja, const lw_join_accept11 *opt11,
    const uint8_t mic_key[LW_KEY_LEN], const uint8_t enc_key[LW_KEY_LEN],
    uint8_t out[LW_JOIN_ACCEPT_MAX], size_t *len);

#endif
