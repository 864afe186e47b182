/*
 * LoRaWAN Backend Interfaces (TS002 1.0 and 1.1) JSON messages as the Join
 * Server receives them from network and application servers: the header
 * every message carries, the JoinReq and RejoinReq, the AppSKeyReq, the
 * HomeNSReq, and the answers. Decoding is strict about what it
 * uses and tolerant where TS002 implementations differ: hex in upper or
 * lower case, with or without "0x"; MACVersion "1.1" or "1.1.0".
 */
#ifndef LW_BI_H
#define LW_BI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "join.h"
#include "phy.h"

#define LW_BI_MAX_BODY 8192    /* a JoinReq is under 1 KiB */
#define LW_BI_ID_MAX LW_AS_ID_MAX /* the longest identifier echoed */

/* The characters of an identifier an answer echoes. */
#define LW_BI_ID_CHARS "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_:"

typedef enum { LW_BI_10, LW_BI_11 } lw_bi_version;

/* What an answer echoes of its request; empty strings for what was absent or unusable. */
typedef struct lw_bi_header {
	lw_bi_version version;
	char message_type[16];
	char sender_id[LW_BI_ID_MAX + 1];
	char receiver_id[LW_BI_ID_MAX + 1];
	char sender_nsid[LW_BI_ID_MAX + 1];   /* BI 1.1 */
	char receiver_nsid[LW_BI_ID_MAX + 1]; /* BI 1.1 */
	bool has_transaction_id;
	uint32_t transaction_id;
} lw_bi_header;

/* A JoinReq's or a RejoinReq's body (the same members; the PHYPayload differs). */
typedef struct lw_bi_join_req {
	uint32_t net_id;       /* SenderID: the network server's NetID */
	uint64_t join_eui;     /* ReceiverID */
	bool mac11;            /* MACVersion 1.1 (else 1.0.x) */
	uint8_t phy[LW_REJOIN1_LEN]; /* a Join-request, or a Rejoin-request of either length */
	size_t phy_len;
	uint64_t dev_eui;
	uint32_t dev_addr;
	uint8_t dl_settings;
	uint8_t rx_delay;      /* 0..15 */
	bool has_cflist;
	uint8_t cflist[LW_CFLIST_LEN];
} lw_bi_join_req;

/* An AppSKeyReq's body. */
typedef struct lw_bi_app_s_key_req {
	char as_id[LW_AS_ID_MAX + 1]; /* SenderID: the application server's AS-ID */
	uint64_t dev_eui;
	uint8_t session_key_id[LW_SESSION_KEY_ID_LEN];
} lw_bi_app_s_key_req;

/* A HomeNSReq's body. */
typedef struct lw_bi_home_ns_req {
	uint32_t net_id;       /* SenderID: the asking network server's NetID */
	uint64_t dev_eui;
} lw_bi_home_ns_req;

typedef enum {
	LW_BI_JOIN_REQ,
	LW_BI_REJOIN_REQ,
	LW_BI_APP_S_KEY_REQ,
	LW_BI_HOME_NS_REQ,
} lw_bi_type;

/* A request the Join Server serves: its type and the body of that type. */
typedef struct lw_bi_req {
	lw_bi_type type;
	lw_bi_join_req join;   /* LW_BI_JOIN_REQ and LW_BI_REJOIN_REQ */
	lw_bi_app_s_key_req app_s_key;
	lw_bi_home_ns_req home_ns;
} lw_bi_req;

/*
 * Decodes a request of at most LW_BI_MAX_BODY bytes: its header into *h (as
 * far as it goes, also on failure, so that the answer can echo it) and, for
 * a JoinReq, a RejoinReq, an AppSKeyReq or a HomeNSReq, its body into *req. MP_ERR_UNSUPPORTED for a
 * well-formed message of another type; MP_ERR_INVALID (with *why, a static
 * sentence naming the field) for anything malformed, MP_ERR_TOO_LARGE for a
 * longer body.
 */
int lw_bi_decode(const uint8_t *body, size_t len, lw_bi_header *h, lw_bi_req *req,
    const char **why);

/* The ResultCode of rc in BI version v (MalformedRequest in 1.0, MalformedMessage in 1.1). */
const char *lw_bi_result_code(lw_result rc, lw_bi_version v);

/*
 * The answer to h of type answer_type (e.g. "JoinAns"): ProtocolVersion,
 * SenderID and ReceiverID (and the NSIDs) swapped, TransactionID, and
 * Result {ResultCode, Description}. NULL when out of memory.
 */
json_t *lw_bi_answer(const lw_bi_header *h, const char *answer_type, lw_result rc,
    const char *description);

/*
 * Adds member name as a KeyEnvelope of key: {"KEKLabel", "AESKey"} with
 * AESKey wrapped (RFC 3394) under kek when kek_len is not 0, else in clear
 * with an empty KEKLabel. MP_OK, MP_ERR_NOMEM or MP_ERR_CRYPTO.
 */
int lw_bi_key_envelope(json_t *msg, const char *name, const uint8_t key[LW_KEY_LEN],
    const char *kek_label, const uint8_t *kek, size_t kek_len);

#endif
