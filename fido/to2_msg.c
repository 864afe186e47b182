#include "to2_msg.h"

#include <string.h>

#include "err.h"

int
fdo_to2_hello_decode(const uint8_t *body, size_t len, fdo_to2_hello *m, fdo_detail *d)
{
	const uint8_t *g, *info;
	const char *kex;
	size_t gl, nl, kl, il;
	fdo_cbor c, w;

	memset(m, 0, sizeof(*m));
	fdo_cbor_init(&c, body, len);
	if (fdo_cbor_array_n(&c, 6) != MP_OK || fdo_cbor_uint(&c, UINT32_MAX, &m->max_msg) != MP_OK ||
	    fdo_cbor_bstr(&c, &g, &gl) != MP_OK || gl != FDO_GUID_LEN ||
	    fdo_cbor_bstr(&c, &m->nonce, &nl) != MP_OK || nl != FDO_NONCE_LEN ||
	    fdo_cbor_tstr(&c, &kex, &kl) != MP_OK || kl == 0 || kl >= FDO_KEX_NAME_MAX ||
	    memchr(kex, 0, kl) != NULL || fdo_cbor_int(&c, &m->cipher) != MP_OK)
		return fdo_refuse(d, MP_ERR_INVALID, "TO2.HelloDevice is not [maxDeviceMessageSize, Guid,"
		    " NonceTO2ProveOV, kexSuiteName, cipherSuiteName, eASigInfo]");
	w = c;
	if (fdo_cbor_skip(&w, &m->sig_info, &m->sig_info_len) != MP_OK ||
	    fdo_cbor_array_n(&c, 2) != MP_OK || fdo_cbor_int(&c, &m->sg_type) != MP_OK ||
	    fdo_cbor_bstr(&c, &info, &il) != MP_OK || !fdo_cbor_empty(&c))
		return fdo_refuse(d, MP_ERR_INVALID, "TO2.HelloDevice: eASigInfo is not [sgType, Info]");
	memcpy(m->guid, g, FDO_GUID_LEN);
	memcpy(m->kex, kex, kl);
	m->kex[kl] = '\0';
	return MP_OK;
}

int
fdo_to2_hello_write(mp_buf *b, const uint8_t guid[FDO_GUID_LEN], const uint8_t nonce[FDO_NONCE_LEN],
    const char *kex, int64_t cipher, int64_t sg_type)
{
	int r;

	if ((r = fdo_put_array(b, 6)) != MP_OK || (r = fdo_put_uint(b, UINT16_MAX)) != MP_OK ||
	    (r = fdo_put_bstr(b, guid, FDO_GUID_LEN)) != MP_OK ||
	    (r = fdo_put_bstr(b, nonce, FDO_NONCE_LEN)) != MP_OK ||
	    (r = fdo_put_tstr(b, kex, strlen(kex))) != MP_OK || (r = fdo_put_int(b, cipher)) != MP_OK ||
	    (r = fdo_put_array(b, 2)) != MP_OK || (r = fdo_put_int(b, sg_type)) != MP_OK)
		return r;
	return fdo_put_bstr(b, NULL, 0);
}

/* The unprotected header: CUPHNonce and CUPHOwnerPubKey, other labels passed over. */
static int
unprotected(fdo_prove_ovhdr *m, fdo_detail *d)
{
	fdo_cbor c;
	size_t items, nl;
	int64_t label;
	int r;

	fdo_cbor_init(&c, m->sign1.unprot, m->sign1.unprot_len);
	if (fdo_cbor_map(&c, &items) != MP_OK || items > 8)
		return fdo_refuse(d, MP_ERR_INVALID, "TO2.ProveOVHdr: the unprotected header is not a map");
	for (size_t i = 0; i < items; i++) {
		if (fdo_cbor_int(&c, &label) != MP_OK)
			return fdo_refuse(d, MP_ERR_INVALID, "TO2.ProveOVHdr: a header label is not an integer");
		if (label == FDO_CUPH_NONCE && m->nonce_dv == NULL) {
			if (fdo_cbor_bstr(&c, &m->nonce_dv, &nl) != MP_OK || nl != FDO_NONCE_LEN)
				return fdo_refuse(d, MP_ERR_INVALID, "TO2.ProveOVHdr: CUPHNonce is not 16 bytes");
		} else if (label == FDO_CUPH_OWNER_PUBKEY && m->owner.key == NULL) {
			if ((r = fdo_pubkey_decode(&c, &m->owner, d)) != MP_OK)
				return fdo_refuse_in(d, r, "TO2.ProveOVHdr: CUPHOwnerPubKey");
		} else if (fdo_cbor_skip(&c, NULL, NULL) != MP_OK) {
			return fdo_refuse(d, MP_ERR_INVALID, "TO2.ProveOVHdr: header %lld is malformed",
			    (long long)label);
		}
	}
	if (m->nonce_dv == NULL || m->owner.key == NULL)
		return fdo_refuse(d, MP_ERR_INVALID,
		    "TO2.ProveOVHdr: no CUPHNonce or no CUPHOwnerPubKey in the unprotected header");
	return MP_OK;
}

int
fdo_prove_ovhdr_decode(const uint8_t *body, size_t len, fdo_prove_ovhdr *m, fdo_detail *d)
{
	fdo_cbor c, p, w;
	fdo_hash hmac;
	size_t n;
	int r;

	memset(m, 0, sizeof(*m));
	fdo_cbor_init(&c, body, len);
	if ((r = fdo_sign1_decode(&c, &m->sign1, d)) != MP_OK)
		return fdo_refuse_in(d, r, "TO2.ProveOVHdr");
	if (!fdo_cbor_empty(&c))
		return fdo_refuse(d, MP_ERR_INVALID, "TO2.ProveOVHdr: bytes after the COSE_Sign1");
	fdo_cbor_init(&p, m->sign1.payload, m->sign1.payload_len);
	if (fdo_cbor_array_n(&p, 8) != MP_OK || fdo_cbor_bstr(&p, &m->hdr, &m->hdr_len) != MP_OK ||
	    fdo_cbor_uint(&p, FDO_VOUCHER_MAX_ENTRIES, &m->entries) != MP_OK)
		goto bad;
	w = p;
	if (fdo_cbor_skip(&w, &m->hmac, &m->hmac_len) != MP_OK ||
	    fdo_hash_decode(&p, true, &hmac) != MP_OK ||
	    fdo_cbor_bstr(&p, &m->nonce_ov, &n) != MP_OK || n != FDO_NONCE_LEN ||
	    fdo_cbor_skip(&p, NULL, NULL) != MP_OK ||
	    fdo_cbor_bstr(&p, &m->xa, &m->xa_len) != MP_OK || m->xa_len > FDO_KEX_PARAM_MAX ||
	    fdo_hash_decode(&p, false, &m->hello_hash) != MP_OK ||
	    fdo_cbor_uint(&p, UINT32_MAX, &m->max_msg) != MP_OK || !fdo_cbor_empty(&p))
		goto bad;
	if ((r = unprotected(m, d)) != MP_OK) {
		fdo_pubkey_clear(&m->owner);
		return r;
	}
	return MP_OK;
bad:
	return fdo_refuse(d, MP_ERR_INVALID, "TO2.ProveOVHdr: the payload is not [OVHeader,"
	    " NumOVEntries, OVHeaderHMac, NonceTO2ProveOV, eBSigInfo, xAKeyExchange,"
	    " helloDeviceHash, maxOwnerMessageSize]");
}
