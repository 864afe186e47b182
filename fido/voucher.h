/*
 * The FDO 1.1 ownership voucher:
 *   [101, bstr .cbor OVHeader, OVHeaderHMac, OVDevCertChain / null, [* OVEntry]]
 *   OVHeader = [101, GUID, RendezvousInfo, DeviceInfo, PublicKey, Hash / null]
 * Decoding checks the structure of every part (FDO 1.0 vouchers, whose
 * header is not wrapped in a byte string, are refused); verification checks
 * the device certificate chain hash and the chain's signatures, the header
 * HMAC when the device's secret is given, and each entry: its signature by
 * the previous owner's key (the manufacturer's for the first), its hash of
 * the previous entry (of the header and its HMAC for the first), its hash of
 * GUID and DeviceInfo, and its key of the manufacturer key's type and size.
 * In PEM the label is "OWNERSHIP VOUCHER".
 */
#ifndef FDO_VOUCHER_H
#define FDO_VOUCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "buf.h"
#include "hash.h"
#include "reason.h"
#include "keystore.h"
#include "pubkey.h"

#define FDO_PROTVER 101
#define FDO_GUID_LEN 16
/* Limits on a voucher from a peer: its size, entries, chain and DeviceInfo. */
#define FDO_VOUCHER_MAX (64 * 1024)
#define FDO_VOUCHER_MAX_ENTRIES 64
#define FDO_VOUCHER_MAX_CHAIN 8
#define FDO_DEVICE_INFO_MAX 512
#define FDO_VOUCHER_PEM_LABEL "OWNERSHIP VOUCHER"

typedef struct fdo_voucher fdo_voucher;

/*
 * Decodes the CBOR of a voucher (copied). MP_ERR_INVALID, MP_ERR_TOO_LARGE
 * or MP_ERR_UNSUPPORTED (protocol version, key type or algorithm), with d
 * saying what; MP_ERR_NOMEM.
 */
int fdo_voucher_decode(const uint8_t *p, size_t n, fdo_voucher **out, fdo_detail *d);
/*
 * A voucher as a device sees it in TO2: its header, header HMAC (encoding)
 * and entries (encodings) assembled as [101, header, HMAC, null, entries]
 * and decoded; the device certificate chain, which the device does not
 * get, may be missing although the header names its hash.
 */
int fdo_voucher_assemble(const uint8_t *hdr, size_t hdr_len, const uint8_t *hmac,
    size_t hmac_len, const fdo_bytes *entries, size_t n, fdo_voucher **out, fdo_detail *d);
/* Decodes the first "OWNERSHIP VOUCHER" PEM block of text. */
int fdo_voucher_from_pem(const char *text, size_t len, fdo_voucher **out, fdo_detail *d);
/* The voucher as PEM (free with free()). */
int fdo_voucher_to_pem(const fdo_voucher *v, char **out);
void fdo_voucher_free(fdo_voucher *v);

/*
 * Verifies v as described above; hmac_secret (may be NULL) is the device's
 * HMAC secret. MP_ERR_INTEGRITY, with d naming the part, for anything that
 * does not verify.
 */
int fdo_voucher_verify(fdo_voucher *v, const uint8_t *hmac_secret, size_t secret_len,
    fdo_detail *d);

/*
 * A new voucher: v (verified) with one more entry naming next_owner, signed
 * by k, which must be v's current owner key. MP_ERR_DENIED when k is not;
 * MP_ERR_INVALID when next_owner is not of the manufacturer key's type and
 * size; MP_ERR_TOO_LARGE past FDO_VOUCHER_MAX_ENTRIES.
 */
int fdo_voucher_extend(const fdo_voucher *v, mp_key *k, EVP_PKEY *next_owner,
    fdo_voucher **out, fdo_detail *d);

/* The CBOR encoding. */
const uint8_t *fdo_voucher_bytes(const fdo_voucher *v, size_t *len);
const uint8_t *fdo_voucher_guid(const fdo_voucher *v);
/* DeviceInfo as a C string. */
const char *fdo_voucher_device_info(const fdo_voucher *v);
size_t fdo_voucher_entry_count(const fdo_voucher *v);
const fdo_pubkey *fdo_voucher_manufacturer_key(const fdo_voucher *v);
/* The key of the last entry, or the manufacturer key when there is none. */
const fdo_pubkey *fdo_voucher_owner_key(const fdo_voucher *v);
/* OVHeader (the contents of its byte string) and the encoding of its HMAC, as received. */
const uint8_t *fdo_voucher_header(const fdo_voucher *v, size_t *len);
const uint8_t *fdo_voucher_header_hmac(const fdo_voucher *v, size_t *len);
/* RendezvousInfo as received. */
const uint8_t *fdo_voucher_rvinfo(const fdo_voucher *v, size_t *len);
/* The encoding of entry i, or NULL past the last. */
const uint8_t *fdo_voucher_entry(const fdo_voucher *v, size_t i, size_t *len);
/*
 * The header of v's replacement in TO2 (credential replacement): GUID guid,
 * v's RendezvousInfo, DeviceInfo and certificate chain hash, and owner2 (the
 * encoding of a PublicKey) as its key; appended to out. Owner and device
 * both build it, and must get the same bytes.
 */
int fdo_voucher_replacement_header(const fdo_voucher *v, const uint8_t guid[FDO_GUID_LEN],
    const uint8_t *owner2, size_t owner2_len, mp_buf *out);
/*
 * The replacement voucher: [101, hdr, hmac (an encoding), v's certificate
 * chain, []], decoded and verified (but for its HMAC, which the device knows).
 */
int fdo_voucher_replace(const fdo_voucher *v, const uint8_t *hdr, size_t hdr_len,
    const uint8_t *hmac, size_t hmac_len, fdo_voucher **out, fdo_detail *d);
/* The key of the device certificate (the chain's first; the voucher's), or NULL without a chain. */
EVP_PKEY *fdo_voucher_device_key(const fdo_voucher *v);

#endif
