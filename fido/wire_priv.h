/*
 * What the files of the FDO listener share: the FDO error message, answers,
 * the session token of a request, and the handlers of each protocol.
 */
#ifndef FDO_WIRE_PRIV_H
#define FDO_WIRE_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"
#include "reason.h"

/* FDO error codes (EMErrorCode) */
#define EM_INVALID_OWNERSHIP_VOUCHER 2
#define EM_INVALID_OWNER_SIGN_BODY 3
#define EM_RESOURCE_NOT_FOUND 6
#define EM_MESSAGE_BODY_ERROR 100
#define EM_INVALID_MESSAGE_ERROR 101
#define EM_INTERNAL_SERVER_ERROR 500

/* Answers with the error message (type 255) [code, prev, msg, null, 0] and HTTP status. */
void fdo_reply_error(mp_http_req *req, int status, unsigned code, unsigned prev,
    const char *msg);
/*
 * Answers a message prev that failed with r, d saying why: 400 and
 * MESSAGE_BODY_ERROR for input of the wrong shape or unsupported, 401 and
 * INVALID_MESSAGE_ERROR for a session or proof that fails, 400 and
 * integrity_code for what does not verify, 403 and INVALID_OWNERSHIP_VOUCHER
 * for a voucher refused by policy, 404 and RESOURCE_NOT_FOUND, else 500.
 */
void fdo_reply_refusal(mp_http_req *req, int r, unsigned prev, unsigned integrity_code,
    const fdo_detail *d);
/* Answers 200 with message type and body. */
void fdo_reply_msg(mp_http_req *req, unsigned type, const mp_buf *body);
/* Sets "Authorization: Bearer token" on the answer. */
void fdo_reply_token(mp_http_req *req, const char *token);
/*
 * The token of req's "Authorization: Bearer" header, or NULL after answering
 * 401 and INVALID_MESSAGE_ERROR with message when there is none or it cannot
 * be one of ours.
 */
const char *fdo_token_required(mp_http_req *req, unsigned prev, const char *message);

/* Rendezvous (wire_rv.c): TO0.Hello (20), TO0.OwnerSign (22), TO1.HelloRV (30), TO1.ProveToRV (32). */
void fdo_msg_to0_hello(mp_http_req *req, const uint8_t *body, size_t len);
void fdo_msg_to0_owner_sign(mp_http_req *req, const uint8_t *body, size_t len);
void fdo_msg_to1_hello_rv(mp_http_req *req, const uint8_t *body, size_t len);
void fdo_msg_to1_prove_to_rv(mp_http_req *req, const uint8_t *body, size_t len);

/*
 * Owner onboarding (wire_to2.c): TO2.HelloDevice (60), TO2.GetOVNextEntry
 * (62), TO2.ProveDevice (64), and the encrypted DeviceServiceInfoReady (66),
 * DeviceServiceInfo (68) and Done (70).
 */
void fdo_msg_to2_hello_device(mp_http_req *req, const uint8_t *body, size_t len);
void fdo_msg_to2_get_ov_next_entry(mp_http_req *req, const uint8_t *body, size_t len);
void fdo_msg_to2_prove_device(mp_http_req *req, const uint8_t *body, size_t len);
void fdo_msg_to2_encrypted(mp_http_req *req, unsigned type, const uint8_t *body, size_t len);

#endif
