#include "voucher.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "cbor.h"
#include "codec.h"
#include "cose.h"
#include "err.h"
#include "hash.h"
#include "rvinfo.h"

struct fdo_entry {
	const uint8_t *whole;   /* the entry's encoding, tag included */
	size_t whole_len;
	fdo_sign1 sign1;
	fdo_hash prev;
	fdo_hash hdr_info;
	fdo_pubkey key;
};

struct fdo_voucher {
	uint8_t *bytes;
	size_t len;
	const uint8_t *pre;      /* protocol version, header, HMAC and chain as received */
	size_t pre_len;
	const uint8_t *hdr;      /* OVHeader: the contents of its byte string */
	size_t hdr_len;
	const uint8_t *hmac_enc; /* OVHeaderHMac as received */
	size_t hmac_enc_len;
	fdo_hash hmac;
	uint8_t guid[FDO_GUID_LEN];
	const uint8_t *rvinfo;
	size_t rvinfo_len;
	char *devinfo;
	fdo_pubkey mfg;
	bool has_chain;
	fdo_hash chain_hash;
	const uint8_t *chain_enc; /* OVDevCertChain as received */
	size_t chain_enc_len;
	X509 *chain[FDO_VOUCHER_MAX_CHAIN];
	fdo_bytes chain_der[FDO_VOUCHER_MAX_CHAIN];
	size_t chain_n;
	struct fdo_entry *entries;
	size_t n_entries;
	bool device_view;         /* assembled by a device: the chain may be left out */
	bool verified;
};

void
fdo_voucher_free(fdo_voucher *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n_entries; i++)
		fdo_pubkey_clear(&v->entries[i].key);
	for (size_t i = 0; i < v->chain_n; i++)
		X509_free(v->chain[i]);
	fdo_pubkey_clear(&v->mfg);
	free(v->entries);
	free(v->devinfo);
	free(v->bytes);
	free(v);
}

/* OVHeader = [101, GUID, RendezvousInfo, DeviceInfo, PublicKey, Hash / null] */
static int
decode_header(fdo_voucher *v, fdo_detail *d)
{
	fdo_cbor c;
	const uint8_t *g;
	const char *di;
	uint64_t ver;
	size_t n, gl;
	int r;

	fdo_cbor_init(&c, v->hdr, v->hdr_len);
	if (fdo_cbor_array_n(&c, 6) != MP_OK)
		return fdo_refuse(d, MP_ERR_INVALID, "voucher header: not an array of 6 items");
	if (fdo_cbor_uint(&c, UINT16_MAX, &ver) != MP_OK || ver != FDO_PROTVER)
		return fdo_refuse(d, MP_ERR_UNSUPPORTED,
		    "voucher header: protocol version is not %d", FDO_PROTVER);
	if (fdo_cbor_bstr(&c, &g, &gl) != MP_OK || gl != FDO_GUID_LEN)
		return fdo_refuse(d, MP_ERR_INVALID, "voucher header: GUID is not 16 bytes");
	memcpy(v->guid, g, FDO_GUID_LEN);
	if ((r = fdo_rvinfo_read(&c, &v->rvinfo, &v->rvinfo_len, d)) != MP_OK)
		return r;
	if (fdo_cbor_tstr(&c, &di, &n) != MP_OK || n > FDO_DEVICE_INFO_MAX ||
	    memchr(di, 0, n) != NULL)
		return fdo_refuse(d, MP_ERR_INVALID,
		    "voucher header: DeviceInfo is not a text of at most %d bytes", FDO_DEVICE_INFO_MAX);
	if ((v->devinfo = strndup(di, n)) == NULL)
		return MP_ERR_NOMEM;
	if ((r = fdo_pubkey_decode(&c, &v->mfg, d)) != MP_OK)
		return r;
	if (fdo_cbor_null(&c))
		v->has_chain = false;
	else if (fdo_hash_decode(&c, false, &v->chain_hash) == MP_OK)
		v->has_chain = true;
	else
		return fdo_refuse(d, MP_ERR_INVALID,
		    "voucher header: the certificate chain hash is not a SHA-256 or SHA-384 Hash");
	if (!fdo_cbor_empty(&c))
		return fdo_refuse(d, MP_ERR_INVALID, "voucher header: bytes after the header");
	return MP_OK;
}

static int
decode_chain(fdo_voucher *v, fdo_cbor *c, fdo_detail *d)
{
	fdo_cbor w;
	const unsigned char *q;
	const uint8_t *p;
	size_t n, len;

	if (fdo_cbor_null(c)) {
		if (v->has_chain && !v->device_view)
			return fdo_refuse(d, MP_ERR_INVALID,
			    "voucher: a certificate chain hash but no certificate chain");
		return MP_OK;
	}
	if (!v->has_chain)
		return fdo_refuse(d, MP_ERR_INVALID,
		    "voucher: a certificate chain but no certificate chain hash");
	w = *c;
	if (fdo_cbor_skip(&w, &v->chain_enc, &v->chain_enc_len) != MP_OK ||
	    fdo_cbor_array(c, &n) != MP_OK || n == 0 || n > FDO_VOUCHER_MAX_CHAIN)
		return fdo_refuse(d, MP_ERR_INVALID,
		    "voucher: the device certificate chain is not an array of 1 to %d certificates",
		    FDO_VOUCHER_MAX_CHAIN);
	for (size_t i = 0; i < n; i++) {
		if (fdo_cbor_bstr(c, &p, &len) != MP_OK || len == 0 || len > FDO_PK_MAX_DER)
			return fdo_refuse(d, MP_ERR_INVALID,
			    "voucher: device certificate %zu is not a byte string", i);
		q = p;
		if ((v->chain[i] = d2i_X509(NULL, &q, (long)len)) == NULL || q != p + len) {
			ERR_clear_error();
			return fdo_refuse(d, MP_ERR_INVALID,
			    "voucher: device certificate %zu is not one DER certificate", i);
		}
		v->chain_n = i + 1;
		v->chain_der[i].p = p;
		v->chain_der[i].n = len;
	}
	return MP_OK;
}

/* OVEntry: COSE_Sign1 of [HashPrevEntry, HashHdrInfo, OVEExtra / null, PublicKey] */
static int
decode_entry(struct fdo_entry *e, fdo_cbor *c, size_t i, fdo_detail *d)
{
	fdo_cbor w = *c, pl;
	int r;

	if (fdo_cbor_skip(&w, &e->whole, &e->whole_len) != MP_OK)
		return fdo_refuse(d, MP_ERR_INVALID, "voucher entry %zu: not CBOR", i);
	if ((r = fdo_sign1_decode(c, &e->sign1, d)) != MP_OK)
		return fdo_refuse_in(d, r, "voucher entry %zu", i);
	fdo_cbor_init(&pl, e->sign1.payload, e->sign1.payload_len);
	if (fdo_cbor_array_n(&pl, 4) != MP_OK || fdo_hash_decode(&pl, false, &e->prev) != MP_OK ||
	    fdo_hash_decode(&pl, false, &e->hdr_info) != MP_OK ||
	    (!fdo_cbor_null(&pl) && fdo_cbor_skip(&pl, NULL, NULL) != MP_OK))
		return fdo_refuse(d, MP_ERR_INVALID,
		    "voucher entry %zu: payload is not [hash, hash, extra, public key]", i);
	if ((r = fdo_pubkey_decode(&pl, &e->key, d)) != MP_OK)
		return fdo_refuse_in(d, r, "voucher entry %zu", i);
	if (!fdo_cbor_empty(&pl))
		return fdo_refuse(d, MP_ERR_INVALID, "voucher entry %zu: bytes after the payload", i);
	return MP_OK;
}

/* The outer array: version, header, HMAC, chain, entries. */
static int
decode_outer(fdo_voucher *v, fdo_detail *d)
{
	fdo_cbor c, w;
	uint64_t ver;
	size_t n;
	int r;

	fdo_cbor_init(&c, v->bytes, v->len);
	if (fdo_cbor_array(&c, &n) != MP_OK)
		return fdo_refuse(d, MP_ERR_INVALID, "voucher: not a CBOR array");
	if (fdo_cbor_peek(&c) == FDO_CBOR_ARRAY)
		return fdo_refuse(d, MP_ERR_UNSUPPORTED,
		    "voucher: an FDO 1.0 voucher (header not in a byte string); only FDO 1.1 is supported");
	if (n != 5)
		return fdo_refuse(d, MP_ERR_INVALID, "voucher: not an array of 5 items");
	v->pre = c.p;
	if (fdo_cbor_uint(&c, UINT16_MAX, &ver) != MP_OK || ver != FDO_PROTVER)
		return fdo_refuse(d, MP_ERR_UNSUPPORTED, "voucher: protocol version is not %d",
		    FDO_PROTVER);
	if (fdo_cbor_bstr(&c, &v->hdr, &v->hdr_len) != MP_OK)
		return fdo_refuse(d, MP_ERR_INVALID, "voucher: the header is not a byte string");
	if ((r = decode_header(v, d)) != MP_OK)
		return r;
	w = c;
	if (fdo_cbor_skip(&w, &v->hmac_enc, &v->hmac_enc_len) != MP_OK ||
	    fdo_hash_decode(&c, true, &v->hmac) != MP_OK)
		return fdo_refuse(d, MP_ERR_INVALID,
		    "voucher: the header HMAC is not an HMAC-SHA256 or HMAC-SHA384 HMac");
	if ((r = decode_chain(v, &c, d)) != MP_OK)
		return r;
	v->pre_len = (size_t)(c.p - v->pre);
	if (fdo_cbor_array(&c, &n) != MP_OK)
		return fdo_refuse(d, MP_ERR_INVALID, "voucher: the entries are not an array");
	if (n > FDO_VOUCHER_MAX_ENTRIES)
		return fdo_refuse(d, MP_ERR_TOO_LARGE, "voucher: more than %d entries",
		    FDO_VOUCHER_MAX_ENTRIES);
	if (n > 0 && (v->entries = calloc(n, sizeof(*v->entries))) == NULL)
		return MP_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if ((r = decode_entry(&v->entries[i], &c, i, d)) != MP_OK)
			return r;
		v->n_entries = i + 1;
	}
	if (!fdo_cbor_empty(&c))
		return fdo_refuse(d, MP_ERR_INVALID, "voucher: bytes after the voucher");
	return MP_OK;
}

static int
decode(const uint8_t *p, size_t n, bool device_view, fdo_voucher **out, fdo_detail *d)
{
	fdo_voucher *v;
	int r;

	if (n > FDO_VOUCHER_MAX)
		return fdo_refuse(d, MP_ERR_TOO_LARGE, "voucher: larger than %d bytes", FDO_VOUCHER_MAX);
	if ((v = calloc(1, sizeof(*v))) == NULL || (v->bytes = malloc(n > 0 ? n : 1)) == NULL) {
		free(v);
		return MP_ERR_NOMEM;
	}
	if (n > 0)
		memcpy(v->bytes, p, n);
	v->len = n;
	v->device_view = device_view;
	if ((r = decode_outer(v, d)) != MP_OK) {
		fdo_voucher_free(v);
		return r;
	}
	*out = v;
	return MP_OK;
}

int
fdo_voucher_decode(const uint8_t *p, size_t n, fdo_voucher **out, fdo_detail *d)
{
	return decode(p, n, false, out, d);
}

int
fdo_voucher_assemble(const uint8_t *hdr, size_t hdr_len, const uint8_t *hmac, size_t hmac_len,
    const fdo_bytes *entries, size_t n, fdo_voucher **out, fdo_detail *d)
{
	mp_buf *b = mp_buf_new(FDO_VOUCHER_MAX);
	int r = MP_ERR_NOMEM;

	if (b == NULL)
		return r;
	if ((r = fdo_put_array(b, 5)) == MP_OK && (r = fdo_put_uint(b, FDO_PROTVER)) == MP_OK &&
	    (r = fdo_put_bstr(b, hdr, hdr_len)) == MP_OK && (r = mp_buf_put(b, hmac, hmac_len)) == MP_OK &&
	    (r = fdo_put_null(b)) == MP_OK && (r = fdo_put_array(b, n)) == MP_OK) {
		for (size_t i = 0; i < n && r == MP_OK; i++)
			r = mp_buf_put(b, entries[i].p, entries[i].n);
	}
	if (r == MP_OK)
		r = decode(mp_buf_ptr(b), mp_buf_len(b), true, out, d);
	else if (r == MP_ERR_TOO_LARGE)
		r = fdo_refuse(d, r, "voucher: larger than %d bytes", FDO_VOUCHER_MAX);
	mp_buf_free(b);
	return r;
}

int
fdo_voucher_from_pem(const char *text, size_t len, fdo_voucher **out, fdo_detail *d)
{
	uint8_t *der = NULL;
	size_t n = 0;
	int r;

	r = mp_pem_decode(text, len, FDO_VOUCHER_PEM_LABEL, FDO_VOUCHER_MAX, &der, &n);
	if (r == MP_ERR_NOT_FOUND)
		return fdo_refuse(d, MP_ERR_INVALID, "no OWNERSHIP VOUCHER PEM block");
	if (r != MP_OK)
		return fdo_refuse(d, r, "the OWNERSHIP VOUCHER PEM block is not base64 of at most %d bytes",
		    FDO_VOUCHER_MAX);
	r = fdo_voucher_decode(der, n, out, d);
	free(der);
	return r;
}

int
fdo_voucher_to_pem(const fdo_voucher *v, char **out)
{
	return mp_pem_encode(FDO_VOUCHER_PEM_LABEL, v->bytes, v->len, out);
}

/* The chain hash over the concatenated DER certificates, and each certificate signed by the next. */
static int
verify_chain(const fdo_voucher *v, fdo_detail *d)
{
	fdo_bytes whole = { v->chain_enc, v->chain_enc_len };
	fdo_hash h;
	int r;

	if (!v->has_chain || v->chain_n == 0)
		return MP_OK;
	if ((r = fdo_hash_compute(v->chain_hash.alg, v->chain_der, v->chain_n, &h)) != MP_OK)
		return r;
	if (!fdo_hash_equal(&h, &v->chain_hash)) {
		if (fdo_hash_compute(v->chain_hash.alg, &whole, 1, &h) == MP_OK &&
		    fdo_hash_equal(&h, &v->chain_hash))
			return fdo_refuse(d, MP_ERR_INTEGRITY,
			    "voucher: the device certificate chain hash was computed over the CBOR "
			    "array, not the concatenated certificates (a bug of older FDO tools)");
		return fdo_refuse(d, MP_ERR_INTEGRITY,
		    "voucher: the device certificate chain hash does not match the chain");
	}
	for (size_t i = 0; i + 1 < v->chain_n; i++)
		if (X509_verify(v->chain[i], X509_get0_pubkey(v->chain[i + 1])) != 1) {
			ERR_clear_error();
			return fdo_refuse(d, MP_ERR_INTEGRITY,
			    "voucher: device certificate %zu is not signed by certificate %zu", i, i + 1);
		}
	return MP_OK;
}

/* The hash an entry after index i-1 must carry of what precedes it, with alg. */
static int
prev_hash(const fdo_voucher *v, size_t i, int alg, fdo_hash *out)
{
	fdo_bytes parts[2];

	if (i == 0) {
		parts[0].p = v->hdr;
		parts[0].n = v->hdr_len;
		parts[1].p = v->hmac_enc;
		parts[1].n = v->hmac_enc_len;
		return fdo_hash_compute(alg, parts, 2, out);
	}
	parts[0].p = v->entries[i - 1].whole;
	parts[0].n = v->entries[i - 1].whole_len;
	return fdo_hash_compute(alg, parts, 1, out);
}

static int
hdr_info_hash(const fdo_voucher *v, int alg, fdo_hash *out)
{
	fdo_bytes parts[2] = { { v->guid, FDO_GUID_LEN },
		{ (const uint8_t *)v->devinfo, strlen(v->devinfo) } };

	return fdo_hash_compute(alg, parts, 2, out);
}

static int
verify_entry(const fdo_voucher *v, size_t i, fdo_detail *d)
{
	const struct fdo_entry *e = &v->entries[i];
	const fdo_pubkey *signer = i == 0 ? &v->mfg : &v->entries[i - 1].key;
	fdo_hash h;
	int r;

	if ((r = fdo_sign1_verify(&e->sign1, signer, d)) != MP_OK)
		return fdo_refuse_in(d, r == MP_ERR_NOMEM ? r : MP_ERR_INTEGRITY,
		    "voucher entry %zu: not signed by the %s key", i,
		    i == 0 ? "manufacturer" : "previous owner");
	if ((r = prev_hash(v, i, e->prev.alg, &h)) != MP_OK)
		return r;
	if (!fdo_hash_equal(&h, &e->prev))
		return fdo_refuse(d, MP_ERR_INTEGRITY,
		    "voucher entry %zu: its hash of the %s does not match", i,
		    i == 0 ? "header and HMAC" : "previous entry");
	if ((r = hdr_info_hash(v, e->hdr_info.alg, &h)) != MP_OK)
		return r;
	if (!fdo_hash_equal(&h, &e->hdr_info))
		return fdo_refuse(d, MP_ERR_INTEGRITY,
		    "voucher entry %zu: its hash of GUID and DeviceInfo does not match", i);
	if (!fdo_pubkey_same_kind(&e->key, &v->mfg))
		return fdo_refuse(d, MP_ERR_INTEGRITY,
		    "voucher entry %zu: its owner key is not of the manufacturer key's type and size",
		    i);
	return MP_OK;
}

int
fdo_voucher_verify(fdo_voucher *v, const uint8_t *hmac_secret, size_t secret_len,
    fdo_detail *d)
{
	fdo_hash h;
	int r;

	v->verified = false;
	if ((r = verify_chain(v, d)) != MP_OK)
		return r;
	if (hmac_secret != NULL) {
		if ((r = fdo_hmac_compute(v->hmac.alg, hmac_secret, secret_len, v->hdr, v->hdr_len,
		    &h)) != MP_OK)
			return r;
		if (!fdo_hash_equal(&h, &v->hmac))
			return fdo_refuse(d, MP_ERR_INTEGRITY,
			    "voucher: the header HMAC is not the device's");
	}
	for (size_t i = 0; i < v->n_entries; i++)
		if ((r = verify_entry(v, i, d)) != MP_OK)
			return r;
	v->verified = true;
	return MP_OK;
}

/* The hash algorithm of new entries: as strong as the manufacturer key. */
static int
entry_hash_alg(const fdo_pubkey *mfg)
{
	return mfg->type == FDO_PK_SECP384R1 || EVP_PKEY_get_bits(mfg->key) > 2048 ? FDO_SHA384 :
	                                                                                FDO_SHA256;
}

int
fdo_voucher_extend(const fdo_voucher *v, mp_key *k, EVP_PKEY *next_owner, fdo_voucher **out,
    fdo_detail *d)
{
	const fdo_pubkey *owner = fdo_voucher_owner_key(v);
	EVP_PKEY *pub = NULL;
	mp_buf *payload = NULL, *b = NULL;
	fdo_hash prev, info;
	int alg = entry_hash_alg(&v->mfg), r = MP_ERR_INVALID;

	if (!v->verified)
		return fdo_refuse(d, MP_ERR_INTEGRITY, "voucher: not verified");
	if (v->n_entries >= FDO_VOUCHER_MAX_ENTRIES)
		return fdo_refuse(d, MP_ERR_TOO_LARGE, "voucher: already %d entries",
		    FDO_VOUCHER_MAX_ENTRIES);
	if ((pub = mp_key_public(k)) == NULL)
		return MP_ERR_NOMEM;
	if (EVP_PKEY_eq(pub, owner->key) != 1) {
		r = fdo_refuse(d, MP_ERR_DENIED, "voucher: its current owner key is not this key");
		goto out;
	}
	if (!fdo_pubkey_is_type(v->mfg.type, next_owner) ||
	    EVP_PKEY_get_bits(next_owner) != EVP_PKEY_get_bits(v->mfg.key)) {
		r = fdo_refuse(d, MP_ERR_INVALID,
		    "next owner key: not of the manufacturer key's type and size");
		goto out;
	}
	r = MP_ERR_NOMEM;
	if ((payload = mp_buf_new(FDO_PK_MAX_DER + 256)) == NULL ||
	    (b = mp_buf_new(FDO_VOUCHER_MAX)) == NULL)
		goto out;
	if ((r = prev_hash(v, v->n_entries, alg, &prev)) != MP_OK ||
	    (r = hdr_info_hash(v, alg, &info)) != MP_OK ||
	    (r = fdo_put_array(payload, 4)) != MP_OK || (r = fdo_hash_encode(payload, &prev)) != MP_OK ||
	    (r = fdo_hash_encode(payload, &info)) != MP_OK || (r = fdo_put_null(payload)) != MP_OK ||
	    (r = fdo_pubkey_encode(payload, v->mfg.type, next_owner)) != MP_OK)
		goto out;
	if ((r = fdo_put_array(b, 5)) != MP_OK || (r = mp_buf_put(b, v->pre, v->pre_len)) != MP_OK ||
	    (r = fdo_put_array(b, v->n_entries + 1)) != MP_OK)
		goto out;
	for (size_t i = 0; i < v->n_entries; i++)
		if ((r = mp_buf_put(b, v->entries[i].whole, v->entries[i].whole_len)) != MP_OK)
			goto out;
	if ((r = fdo_sign1_sign(k, mp_buf_ptr(payload), mp_buf_len(payload), NULL, 0, b)) != MP_OK)
		goto out;
	r = fdo_voucher_decode(mp_buf_ptr(b), mp_buf_len(b), out, d);
out:
	EVP_PKEY_free(pub);
	mp_buf_free(payload);
	mp_buf_free(b);
	return r;
}

const uint8_t *
fdo_voucher_bytes(const fdo_voucher *v, size_t *len)
{
	*len = v->len;
	return v->bytes;
}

const uint8_t *
fdo_voucher_guid(const fdo_voucher *v)
{
	return v->guid;
}

const char *
fdo_voucher_device_info(const fdo_voucher *v)
{
	return v->devinfo;
}

size_t
fdo_voucher_entry_count(const fdo_voucher *v)
{
	return v->n_entries;
}

const fdo_pubkey *
fdo_voucher_manufacturer_key(const fdo_voucher *v)
{
	return &v->mfg;
}

const fdo_pubkey *
fdo_voucher_owner_key(const fdo_voucher *v)
{
	return v->n_entries > 0 ? &v->entries[v->n_entries - 1].key : &v->mfg;
}

EVP_PKEY *
fdo_voucher_device_key(const fdo_voucher *v)
{
	return v->chain_n > 0 ? X509_get0_pubkey(v->chain[0]) : NULL;
}

const uint8_t *
fdo_voucher_header(const fdo_voucher *v, size_t *len)
{
	*len = v->hdr_len;
	return v->hdr;
}

const uint8_t *
fdo_voucher_header_hmac(const fdo_voucher *v, size_t *len)
{
	*len = v->hmac_enc_len;
	return v->hmac_enc;
}

const uint8_t *
fdo_voucher_rvinfo(const fdo_voucher *v, size_t *len)
{
	*len = v->rvinfo_len;
	return v->rvinfo;
}

const uint8_t *
fdo_voucher_entry(const fdo_voucher *v, size_t i, size_t *len)
{
	if (i >= v->n_entries)
		return NULL;
	*len = v->entries[i].whole_len;
	return v->entries[i].whole;
}

int
fdo_voucher_replacement_header(const fdo_voucher *v, const uint8_t guid[FDO_GUID_LEN],
    const uint8_t *owner2, size_t owner2_len, mp_buf *out)
{
	int r;

	/* [101, GUID, RendezvousInfo, DeviceInfo, PublicKey, Hash / null] */
	if ((r = fdo_put_array(out, 6)) != MP_OK || (r = fdo_put_uint(out, FDO_PROTVER)) != MP_OK ||
	    (r = fdo_put_bstr(out, guid, FDO_GUID_LEN)) != MP_OK ||
	    (r = mp_buf_put(out, v->rvinfo, v->rvinfo_len)) != MP_OK ||
	    (r = fdo_put_tstr(out, v->devinfo, strlen(v->devinfo))) != MP_OK ||
	    (r = mp_buf_put(out, owner2, owner2_len)) != MP_OK)
		return r;
	return v->has_chain ? fdo_hash_encode(out, &v->chain_hash) : fdo_put_null(out);
}

int
fdo_voucher_replace(const fdo_voucher *v, const uint8_t *hdr, size_t hdr_len,
    const uint8_t *hmac, size_t hmac_len, fdo_voucher **out, fdo_detail *d)
{
	mp_buf *b = mp_buf_new(FDO_VOUCHER_MAX);
	fdo_voucher *n = NULL;
	int r = MP_ERR_NOMEM;

	if (b == NULL)
		return r;
	if ((r = fdo_put_array(b, 5)) != MP_OK || (r = fdo_put_uint(b, FDO_PROTVER)) != MP_OK ||
	    (r = fdo_put_bstr(b, hdr, hdr_len)) != MP_OK || (r = mp_buf_put(b, hmac, hmac_len)) != MP_OK ||
	    (r = v->chain_n > 0 ? mp_buf_put(b, v->chain_enc, v->chain_enc_len) : fdo_put_null(b)) !=
	    MP_OK || (r = fdo_put_array(b, 0)) != MP_OK)
		goto out;
	if ((r = fdo_voucher_decode(mp_buf_ptr(b), mp_buf_len(b), &n, d)) != MP_OK ||
	    (r = fdo_voucher_verify(n, NULL, 0, d)) != MP_OK)
		goto out;
	*out = n;
	n = NULL;
out:
	fdo_voucher_free(n);
	mp_buf_free(b);
	return r;
}
