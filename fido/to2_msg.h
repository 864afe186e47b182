/*
 * The messages of FDO TO2 (owner onboarding) that prove the owner, decoded
 * from untrusted bytes and encoded:
 *   TO2.HelloDevice (60)  = [maxDeviceMessageSize, Guid, NonceTO2ProveOV,
 *                            kexSuiteName, cipherSuiteName, eASigInfo]
 *   TO2.ProveOVHdr (61)   = COSE_Sign1 of [bstr .cbor OVHeader, NumOVEntries,
 *                            OVHeaderHMac, NonceTO2ProveOV, eBSigInfo, xAKeyExchange,
 *                            helloDeviceHash, maxOwnerMessageSize], unprotected
 *                            {256 CUPHNonce: NonceTO2ProveDv, 257 CUPHOwnerPubKey: PublicKey}
 *   TO2.GetOVNextEntry (62) = [OVEntryNum]
 *   TO2.OVNextEntry (63)  = [OVEntryNum, OVEntry]
 */
#ifndef FDO_TO2_MSG_H
#define FDO_TO2_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "cose.h"
#include "hash.h"
#include "kex.h"
#include "pubkey.h"
#include "rv_msg.h"

#define FDO_CUPH_NONCE 256
#define FDO_CUPH_OWNER_PUBKEY 257
#define FDO_EUPH_NONCE (-259)
#define FDO_KEX_NAME_MAX 16

typedef struct fdo_to2_hello {
	uint64_t max_msg;
	uint8_t guid[FDO_GUID_LEN];
	const uint8_t *nonce;                /* NonceTO2ProveOV */
	char kex[FDO_KEX_NAME_MAX];          /* kexSuiteName */
	int64_t cipher;
	int64_t sg_type;                     /* of eASigInfo */
	const uint8_t *sig_info;             /* eASigInfo's encoding */
	size_t sig_info_len;
} fdo_to2_hello;

/* Decodes TO2.HelloDevice. MP_ERR_INVALID, d saying what. */
int fdo_to2_hello_decode(const uint8_t *body, size_t len, fdo_to2_hello *m, fdo_detail *d);
int fdo_to2_hello_write(mp_buf *b, const uint8_t guid[FDO_GUID_LEN],
    const uint8_t nonce[FDO_NONCE_LEN], const char *kex, int64_t cipher, int64_t sg_type);

typedef struct fdo_prove_ovhdr {
	fdo_sign1 sign1;
	const uint8_t *hdr;                  /* OVHeader: the contents of its byte string */
	size_t hdr_len;
	uint64_t entries;
	const uint8_t *hmac;                 /* OVHeaderHMac's encoding */
	size_t hmac_len;
	const uint8_t *nonce_ov;             /* NonceTO2ProveOV */
	const uint8_t *xa;                   /* xAKeyExchange */
	size_t xa_len;
	fdo_hash hello_hash;
	uint64_t max_msg;
	const uint8_t *nonce_dv;             /* NonceTO2ProveDv, from the unprotected header */
	fdo_pubkey owner;                    /* CUPHOwnerPubKey; fdo_pubkey_clear it */
} fdo_prove_ovhdr;

/* Decodes TO2.ProveOVHdr (not its signature). MP_ERR_INVALID, d saying what. */
int fdo_prove_ovhdr_decode(const uint8_t *body, size_t len, fdo_prove_ovhdr *m, fdo_detail *d);

#endif
