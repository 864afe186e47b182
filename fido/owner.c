#include "owner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "cose.h"
#include "db.h"
#include "err.h"
#include "secure.h"
#include "store.h"
#include "voucher.h"

/* The context the ephemeral key of a session is sealed to. */
#define SEAL_CONTEXT "fdo_to2_session"

/* The stored voucher of guid (any tenant), verified, and its tenant. */
static int
held_voucher(mp_db *db, const char *guid, fdo_voucher **out, char tenant[MP_UUID_STR_LEN + 1],
    fdo_detail *d)
{
	const char *params[1] = { guid };
	PGresult *res = NULL;
	uint8_t *cbor = NULL;
	size_t n = 0;
	int r;

	r = mp_db_query_row(db, "SELECT tenant_id, voucher FROM fdo_vouchers WHERE guid = $1", 1,
	    params, &res);
	if (r == MP_ERR_NOT_FOUND)
		r = fdo_refuse(d, r, "this owner holds no voucher of GUID %s", guid);
	if (r != MP_OK || (r = mp_db_bytea_value(res, 0, 1, FDO_VOUCHER_MAX, &cbor, &n)) != MP_OK)
		goto out;
	snprintf(tenant, MP_UUID_STR_LEN + 1, "%s", mp_db_value(res, 0, 0));
	if ((r = fdo_voucher_decode(cbor, n, out, d)) == MP_OK &&
	    (r = fdo_voucher_verify(*out, NULL, 0, d)) != MP_OK) {
		fdo_voucher_free(*out);
		*out = NULL;
	}
	if (r != MP_OK && r != MP_ERR_NOMEM)
		r = fdo_refuse_in(d, MP_ERR_INTEGRITY, "the stored voucher");
out:
	PQclear(res);
	free(cbor);
	return r;
}

/* The signer of TO2.ProveOVHdr: the tenant's FDO key that is v's current owner key. */
static int
owner_signer(const fdo_env *env, const char *tenant, const fdo_voucher *v, const char *guid,
    mp_key **out, fdo_detail *d)
{
	int r;

	if (fdo_voucher_entry_count(v) == 0)
		return fdo_refuse(d, MP_ERR_POLICY,
		    "the voucher of GUID %s has not been extended to an owner", guid);
	r = fdo_key_signer(env, tenant, fdo_voucher_owner_key(v)->key, out);
	if (r == MP_ERR_NOT_FOUND)
		return fdo_refuse(d, MP_ERR_POLICY, "the voucher of GUID %s is extended to an owner key"
		    " that is not ours", guid);
	return r;
}

/*
 * [bstr OVHeader, NumOVEntries, OVHeaderHMac, NonceTO2ProveOV, eBSigInfo,
 * xAKeyExchange, helloDeviceHash, maxOwnerMessageSize]
 */
static int
prove_payload(const fdo_voucher *v, const fdo_to2_hello *m, const mp_buf *xa,
    const fdo_hash *hello_hash, mp_buf *b)
{
	const uint8_t *hdr, *hmac;
	size_t hl, ml;
	int r;

	hdr = fdo_voucher_header(v, &hl);
	hmac = fdo_voucher_header_hmac(v, &ml);
	if ((r = fdo_put_array(b, 8)) != MP_OK || (r = fdo_put_bstr(b, hdr, hl)) != MP_OK ||
	    (r = fdo_put_uint(b, fdo_voucher_entry_count(v))) != MP_OK ||
	    (r = mp_buf_put(b, hmac, ml)) != MP_OK ||
	    (r = fdo_put_bstr(b, m->nonce, FDO_NONCE_LEN)) != MP_OK ||
	    (r = mp_buf_put(b, m->sig_info, m->sig_info_len)) != MP_OK ||
	    (r = fdo_put_bstr(b, mp_buf_ptr(xa), mp_buf_len(xa))) != MP_OK ||
	    (r = fdo_hash_encode(b, hello_hash)) != MP_OK)
		return r;
	return fdo_put_uint(b, FDO_TO2_MAX_MESSAGE);
}

/* {CUPHNonce: nonce, CUPHOwnerPubKey: the current owner key} */
static int
prove_unprotected(const fdo_voucher *v, const uint8_t nonce[FDO_NONCE_LEN], mp_buf *b)
{
	const fdo_pubkey *owner = fdo_voucher_owner_key(v);
	int r;

	if ((r = fdo_put_map(b, 2)) != MP_OK || (r = fdo_put_uint(b, FDO_CUPH_NONCE)) != MP_OK ||
	    (r = fdo_put_bstr(b, nonce, FDO_NONCE_LEN)) != MP_OK ||
	    (r = fdo_put_uint(b, FDO_CUPH_OWNER_PUBKEY)) != MP_OK)
		return r;
	return fdo_pubkey_encode(b, owner->type, owner->key);
}

struct session {
	const char *tenant;
	const char *guid;
	const fdo_voucher *v;
	const uint8_t *nonce_dv;
	int suite;
	int cipher;
	const mp_buf *xa;
	const uint8_t *sealed;
	size_t sealed_len;
};

/* Records the session of token. */
static int
session_insert(mp_db *db, const char *token_hash, const struct session *s)
{
	char *vp = NULL, *np = NULL, *xp = NULL, *kp = NULL, suite[8], cipher[8], secs[16];
	const char *params[10];
	const uint8_t *vb;
	size_t vl;
	int r;

	vb = fdo_voucher_bytes(s->v, &vl);
	if ((r = mp_db_bytea_param(vb, vl, &vp)) != MP_OK ||
	    (r = mp_db_bytea_param(s->nonce_dv, FDO_NONCE_LEN, &np)) != MP_OK ||
	    (r = mp_db_bytea_param(mp_buf_ptr(s->xa), mp_buf_len(s->xa), &xp)) != MP_OK ||
	    (r = mp_db_bytea_param(s->sealed, s->sealed_len, &kp)) != MP_OK)
		goto out;
	if ((r = mp_db_query(db, "DELETE FROM fdo_to2_sessions WHERE expires_at < now()", 0, NULL,
	    NULL)) != MP_OK)
		goto out;
	snprintf(suite, sizeof(suite), "%d", s->suite);
	snprintf(cipher, sizeof(cipher), "%d", s->cipher);
	snprintf(secs, sizeof(secs), "%d", FDO_TO2_SESSION_S);
	params[0] = token_hash;
	params[1] = s->tenant;
	params[2] = s->guid;
	params[3] = vp;
	params[4] = np;
	params[5] = suite;
	params[6] = cipher;
	params[7] = xp;
	params[8] = kp;
	params[9] = secs;
	r = mp_db_query(db, "INSERT INTO fdo_to2_sessions (token_sha256, tenant_id, guid, voucher,"
	    " nonce_prove_dv, kex_suite, cipher, kex_param, kex_key_sealed, expires_at)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10))", 10,
	    params, NULL);
out:
	free(vp);
	free(np);
	free(xp);
	free(kp);
	return r;
}

/* The ephemeral key sealed by the key store. */
static int
seal_key(const fdo_env *env, EVP_PKEY *key, uint8_t **out, size_t *outlen)
{
	unsigned char *der = NULL;
	int len, r;

	if ((len = i2d_PrivateKey(key, &der)) <= 0)
		return MP_ERR_CRYPTO;
	r = mp_keystore_seal(env->ks, SEAL_CONTEXT, der, (size_t)len, out, outlen);
	OPENSSL_clear_free(der, (size_t)len);
	return r;
}

int
fdo_to2_prove_ov(const fdo_env *env, const uint8_t *hello, size_t hello_len,
    const fdo_to2_hello *m, mp_buf *out, char token[FDO_TOKEN_MAX], fdo_detail *d)
{
	char guid[FDO_GUID_TEXT], tenant[MP_UUID_STR_LEN + 1], tok[FDO_TOKEN_MAX], *th = NULL;
	uint8_t nonce_dv[FDO_NONCE_LEN], *sealed = NULL;
	fdo_bytes part = { hello, hello_len };
	mp_buf *xa = NULL, *payload = NULL, *unprot = NULL;
	EVP_PKEY *kex_key = NULL;
	fdo_voucher *v = NULL;
	mp_key *signer = NULL;
	size_t sealed_len = 0;
	fdo_hash hh;
	int suite, r;

	if ((r = fdo_kex_suite_of(m->kex, strlen(m->kex), m->cipher, &suite, d)) != MP_OK)
		return r;
	if (m->sg_type != FDO_COSE_ES256 && m->sg_type != FDO_COSE_ES384)
		return fdo_refuse(d, MP_ERR_UNSUPPORTED, "eASigInfo: signature type %lld is not"
		    " supported (ES256 -7 and ES384 -35 are)", (long long)m->sg_type);
	fdo_guid_text(m->guid, guid);
	if ((r = held_voucher(env->db, guid, &v, tenant, d)) != MP_OK ||
	    (r = owner_signer(env, tenant, v, guid, &signer, d)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((xa = mp_buf_new(FDO_KEX_PARAM_MAX)) == NULL ||
	    (payload = mp_buf_new(FDO_VOUCHER_MAX)) == NULL || (unprot = mp_buf_new(1024)) == NULL)
		goto out;
	if ((r = fdo_kex_param(suite, &kex_key, xa)) != MP_OK ||
	    (r = mp_random_bytes(nonce_dv, sizeof(nonce_dv))) != MP_OK ||
	    (r = fdo_hash_compute(fdo_voucher_owner_key(v)->type == FDO_PK_SECP384R1 ? FDO_SHA384 :
	    FDO_SHA256, &part, 1, &hh)) != MP_OK ||
	    (r = prove_payload(v, m, xa, &hh, payload)) != MP_OK ||
	    (r = prove_unprotected(v, nonce_dv, unprot)) != MP_OK ||
	    (r = fdo_sign1_sign(signer, mp_buf_ptr(payload), mp_buf_len(payload), mp_buf_ptr(unprot),
	    mp_buf_len(unprot), out)) != MP_OK ||
	    (r = seal_key(env, kex_key, &sealed, &sealed_len)) != MP_OK ||
	    (r = fdo_token_new(tok, &th)) != MP_OK)
		goto out;
	{
		struct session s = { tenant, guid, v, nonce_dv, suite, (int)m->cipher, xa, sealed,
			sealed_len };

		if ((r = session_insert(env->db, th, &s)) != MP_OK)
			goto out;
	}
	memcpy(token, tok, sizeof(tok));
out:
	mp_wipe(tok, sizeof(tok));
	free(th);
	free(sealed);
	EVP_PKEY_free(kex_key);
	mp_key_release(signer);
	fdo_voucher_free(v);
	mp_buf_free(xa);
	mp_buf_free(payload);
	mp_buf_free(unprot);
	return r;
}

int
fdo_to2_next_entry(const fdo_env *env, const char *token, uint64_t num, mp_buf *out,
    fdo_detail *d)
{
	const char *params[1];
	const uint8_t *e;
	PGresult *res = NULL;
	fdo_voucher *v = NULL;
	uint8_t *cbor = NULL;
	char *th = NULL;
	size_t n = 0, el = 0;
	int r;

	if ((r = fdo_token_param(token, &th)) != MP_OK)
		return r;
	params[0] = th;
	r = mp_db_query_row(env->db, "SELECT voucher FROM fdo_to2_sessions WHERE token_sha256 = $1"
	    " AND expires_at > now()", 1, params, &res);
	if (r == MP_ERR_NOT_FOUND)
		r = fdo_refuse(d, MP_ERR_UNAUTHENTICATED, "no TO2 session of this token (or it expired)");
	if (r != MP_OK || (r = mp_db_bytea_value(res, 0, 0, FDO_VOUCHER_MAX, &cbor, &n)) != MP_OK ||
	    (r = fdo_voucher_decode(cbor, n, &v, NULL)) != MP_OK)
		goto out;
	if ((e = fdo_voucher_entry(v, num > SIZE_MAX ? SIZE_MAX : (size_t)num, &el)) == NULL) {
		r = fdo_refuse(d, MP_ERR_INVALID, "OVEntryNum %llu: the voucher has %zu entries",
		    (unsigned long long)num, fdo_voucher_entry_count(v));
		goto out;
	}
	/* TO2.OVNextEntry = [OVEntryNum, OVEntry] */
	if ((r = fdo_put_array(out, 2)) == MP_OK && (r = fdo_put_uint(out, num)) == MP_OK)
		r = mp_buf_put(out, e, el);
out:
	fdo_voucher_free(v);
	PQclear(res);
	free(cbor);
	free(th);
	return r;
}
