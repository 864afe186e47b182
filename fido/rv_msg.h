/*
 * The messages of FDO rendezvous (TO0 and TO1), decoded from untrusted bytes
 * and encoded:
 *   TO0.OwnerSign   = [bstr .cbor To0d, To1d]
 *   To0d            = [OwnershipVoucher, WaitSeconds, NonceTO0Sign]
 *   To1d            = COSE_Sign1 of [RVTO2Addr, to1dTo0dHash: Hash]
 *   RVTO2Addr       = [+ [RVIP: bstr / null, RVDNS: tstr / null, RVPort, RVProtocol]]
 *   TO1.HelloRV     = [Guid, eASigInfo: [sgType, Info]]
 *   TO1.ProveToRV   = EAToken: COSE_Sign1 of {10: NonceTO1Proof, 256: 0x01 || Guid, ...}
 */
#ifndef FDO_RV_MSG_H
#define FDO_RV_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cose.h"
#include "hash.h"
#include "voucher.h"

#define FDO_NONCE_LEN 16
/* Addresses in one RVTO2Addr, and the longest DNS name. */
#define FDO_RV_MAX_ADDRS 8
#define FDO_DNS_MAX 253

/* RVProtocol (TransportProtocol) values. */
enum fdo_transport {
	FDO_PROT_TCP = 1,
	FDO_PROT_TLS = 2,
	FDO_PROT_HTTP = 3,
	FDO_PROT_COAP = 4,
	FDO_PROT_HTTPS = 5,
	FDO_PROT_COAPS = 6,
};

/* One RVTO2AddrEntry: an IP address (4 or 16 bytes; 0 for none) and/or a DNS name. */
typedef struct fdo_rv_addr {
	uint8_t ip[16];
	size_t ip_len;
	char dns[FDO_DNS_MAX + 1];  /* "" for none */
	unsigned port;
	unsigned protocol;
} fdo_rv_addr;

/* To1d's payload. */
typedef struct fdo_to1d {
	fdo_rv_addr addrs[FDO_RV_MAX_ADDRS];
	size_t naddrs;
	fdo_hash to0d_hash;
} fdo_to1d;

/* TO0.OwnerSign; the pointers are into the decoded bytes. */
typedef struct fdo_to0_owner_sign {
	const uint8_t *to0d;       /* To0d: the contents of its byte string */
	size_t to0d_len;
	const uint8_t *voucher;    /* the voucher's encoding within To0d */
	size_t voucher_len;
	uint32_t wait_seconds;
	const uint8_t *nonce;      /* FDO_NONCE_LEN bytes */
	const uint8_t *to1d;       /* To1d's encoding, tag included */
	size_t to1d_len;
	fdo_sign1 to1d_sign1;
	fdo_to1d to1d_payload;
} fdo_to0_owner_sign;

/* Decodes a To1d (a COSE_Sign1 of To1dBlobPayload) at c into s and p. */
int fdo_to1d_decode(fdo_cbor *c, fdo_sign1 *s, fdo_to1d *p, fdo_detail *d);
/* Writes To1dBlobPayload: [RVTO2Addr of addrs, to0d_hash]. */
int fdo_to1d_payload_write(mp_buf *b, const fdo_rv_addr *addrs, size_t n, const fdo_hash *h);

/* Decodes TO0.OwnerSign. MP_ERR_INVALID or MP_ERR_UNSUPPORTED, d saying what. */
int fdo_to0_owner_sign_decode(const uint8_t *body, size_t len, fdo_to0_owner_sign *m,
    fdo_detail *d);

/* Decodes TO1.HelloRV: the GUID and the device's signature type (sgType). */
int fdo_to1_hello_decode(const uint8_t *body, size_t len, uint8_t guid[FDO_GUID_LEN],
    int64_t *sg_type, fdo_detail *d);

/* An EAT payload: its nonce, the GUID of its UEID and the encoding of its EAT-FDO claim. */
typedef struct fdo_eat {
	const uint8_t *nonce;       /* FDO_NONCE_LEN bytes */
	uint8_t guid[FDO_GUID_LEN];
	const uint8_t *fdo;         /* NULL when there is no EAT-FDO claim */
	size_t fdo_len;
} fdo_eat;

/*
 * Reads an EAT payload (a map): EAT-NONCE (10, FDO_NONCE_LEN bytes), EAT-UEID
 * (256, 0x01 then the GUID) and EAT-FDO (-257, any item), other claims
 * passed over.
 */
int fdo_eat_decode(const uint8_t *p, size_t n, fdo_eat *out, fdo_detail *d);
/* Writes an EAT payload of nonce and guid, and the EAT-FDO claim fdo (an encoding) unless NULL. */
int fdo_eat_write(mp_buf *b, const uint8_t nonce[FDO_NONCE_LEN],
    const uint8_t guid[FDO_GUID_LEN], const uint8_t *fdo, size_t fdo_len);

#endif
