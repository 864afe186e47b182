#include "owner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include <openssl/x509.h>

#include "cose.h"
#include "db.h"
#include "encrypt0.h"
#include "enroll_tokens.h"
#include "err.h"
#include "num.h"
#include "profiles.h"
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

/* The columns of a session row, in this order. */
#define SESSION_COLUMNS                                                                     \
	"tenant_id, guid, voucher, nonce_prove_dv, kex_suite, cipher, kex_param, kex_key_sealed," \
	" step, sek_sealed, nonce_setup_dv, replacement_header, replacement_voucher, devmod"
enum {
	COL_TENANT, COL_GUID, COL_VOUCHER, COL_NONCE_DV, COL_SUITE, COL_CIPHER, COL_XA, COL_KEX_KEY,
	COL_STEP, COL_SEK, COL_NONCE_SETUP, COL_REP_HEADER, COL_REP_VOUCHER, COL_DEVMOD,
};

/* The session of token, locked, when it is in force and expects message step. */
static int
session_lock(mp_db *db, const char *token_hash, unsigned step, PGresult **res, fdo_detail *d)
{
	const char *params[1] = { token_hash };
	char want[8];
	int r;

	r = mp_db_query_row(db, "SELECT " SESSION_COLUMNS " FROM fdo_to2_sessions"
	    " WHERE token_sha256 = $1 AND expires_at > now() FOR UPDATE", 1, params, res);
	if (r == MP_ERR_NOT_FOUND)
		return fdo_refuse(d, MP_ERR_UNAUTHENTICATED, "no TO2 session of this token (or it expired)");
	if (r != MP_OK)
		return r;
	snprintf(want, sizeof(want), "%u", step);
	if (strcmp(mp_db_value(*res, 0, COL_STEP), want) != 0)
		return fdo_refuse(d, MP_ERR_UNAUTHENTICATED,
		    "TO2 message %u out of order: the session expects message %s", step,
		    mp_db_value(*res, 0, COL_STEP));
	return MP_OK;
}

/* A small integer column (the suite, the cipher). */
static int
column_int(const PGresult *res, int col)
{
	uint64_t v = 0;

	return mp_parse_u64(mp_db_value(res, 0, col), INT16_MAX, &v) == MP_OK ? (int)v : 0;
}

/* A bytea column of exactly n bytes into out. */
static int
column_bytes(const PGresult *res, int col, uint8_t *out, size_t n)
{
	uint8_t *p = NULL;
	size_t len = 0;
	int r;

	if ((r = mp_db_bytea_value(res, 0, col, n, &p, &len)) == MP_OK && len != n)
		r = MP_ERR_INTERNAL;
	if (r == MP_OK)
		memcpy(out, p, n);
	free(p);
	return r;
}

/* The voucher of the session (as proved in TO2.ProveOVHdr). */
static int
column_voucher(const PGresult *res, int col, fdo_voucher **out)
{
	uint8_t *p = NULL;
	size_t n = 0;
	int r;

	if ((r = mp_db_bytea_value(res, 0, col, FDO_VOUCHER_MAX, &p, &n)) == MP_OK)
		r = fdo_voucher_decode(p, n, out, NULL);
	free(p);
	return r;
}

/* A sealed column opened: key material, wiped and freed with OPENSSL_clear_free. */
static int
column_unseal(const fdo_env *env, const PGresult *res, int col, uint8_t **out, size_t *len)
{
	uint8_t *sealed = NULL;
	size_t n = 0;
	int r;

	if ((r = mp_db_bytea_value(res, 0, col, 4096, &sealed, &n)) == MP_OK)
		r = mp_keystore_unseal(env->ks, SEAL_CONTEXT, sealed, n, out, len);
	free(sealed);
	return r;
}

/* The session key of the session. */
static int
session_sek(const fdo_env *env, const PGresult *res, fdo_sek *sek)
{
	uint8_t *key = NULL;
	size_t len = 0;
	int r;

	if ((r = column_unseal(env, res, COL_SEK, &key, &len)) != MP_OK)
		return r;
	if (len == 0 || len > sizeof(sek->key)) {
		r = MP_ERR_INTERNAL;
	} else {
		sek->cipher = column_int(res, COL_CIPHER);
		sek->len = len;
		memcpy(sek->key, key, len);
	}
	OPENSSL_clear_free(key, len);
	return r;
}

/* The EUPHNonce (-259) of TO2.ProveDevice's unprotected header. */
static int
euph_nonce(const fdo_sign1 *s, const uint8_t **nonce)
{
	fdo_cbor c;
	size_t items, n;
	int64_t label;

	*nonce = NULL;
	fdo_cbor_init(&c, s->unprot, s->unprot_len);
	if (fdo_cbor_map(&c, &items) != MP_OK || items > 8)
		return MP_ERR_INVALID;
	for (size_t i = 0; i < items; i++) {
		if (fdo_cbor_int(&c, &label) != MP_OK)
			return MP_ERR_INVALID;
		if (label != FDO_EUPH_NONCE) {
			if (fdo_cbor_skip(&c, NULL, NULL) != MP_OK)
				return MP_ERR_INVALID;
		} else if (*nonce != NULL || fdo_cbor_bstr(&c, nonce, &n) != MP_OK || n != FDO_NONCE_LEN) {
			return MP_ERR_INVALID;
		}
	}
	return *nonce != NULL ? MP_OK : MP_ERR_INVALID;
}

/*
 * Runs fn(db, arg) in one transaction with *answer a new buffer that fn fills
 * (from empty on each try), and appends the answer of the try that committed to out.
 */
static int
answer_txn(mp_db *db, int (*fn)(mp_db *, void *), void *arg, mp_buf **answer, mp_buf *out)
{
	int r;

	if ((*answer = mp_buf_new(FDO_TO2_MAX_MESSAGE)) == NULL)
		return MP_ERR_NOMEM;
	if ((r = mp_db_txn(db, fn, arg)) == MP_OK)
		r = mp_buf_put(out, mp_buf_ptr(*answer), mp_buf_len(*answer));
	mp_buf_free(*answer);
	*answer = NULL;
	return r;
}

struct setup {
	const fdo_env *env;
	const char *token_hash;
	const fdo_sign1 *eat;
	const fdo_eat *claims;
	const uint8_t *xb;
	size_t xb_len;
	const uint8_t *nonce_setup;
	mp_buf *answer;
	fdo_detail *d;
};

/* The device's attestation signature, by the key of the voucher's device certificate. */
static int
check_attestation(const fdo_sign1 *eat, const fdo_voucher *v, fdo_detail *d)
{
	EVP_PKEY *key = fdo_voucher_device_key(v);
	fdo_pubkey pub = { FDO_PK_SECP256R1, FDO_PKENC_X509, key };
	mp_key_spec spec;
	int r;

	if (key == NULL || mp_key_spec_of(key, false, &spec) != MP_OK ||
	    (spec.alg != MP_KEY_EC_P256 && spec.alg != MP_KEY_EC_P384))
		return fdo_refuse(d, MP_ERR_UNAUTHENTICATED,
		    "the voucher has no P-256 or P-384 device certificate to check the device with");
	pub.type = spec.alg == MP_KEY_EC_P384 ? FDO_PK_SECP384R1 : FDO_PK_SECP256R1;
	if ((r = fdo_sign1_verify(eat, &pub, d)) != MP_OK)
		return r == MP_ERR_NOMEM ? r : fdo_refuse(d, MP_ERR_UNAUTHENTICATED,
		    "TO2.ProveDevice is not signed by the device's attestation key");
	return MP_OK;
}

/* The session key from the device's parameter and our side of the exchange. */
static int
derive_sek(const struct setup *t, const PGresult *res, fdo_sek *sek)
{
	uint8_t *kder = NULL, *xa = NULL;
	size_t kl = 0, xl = 0;
	const unsigned char *q;
	EVP_PKEY *key = NULL;
	int r;

	if ((r = column_unseal(t->env, res, COL_KEX_KEY, &kder, &kl)) != MP_OK ||
	    (r = mp_db_bytea_value(res, 0, COL_XA, FDO_KEX_PARAM_MAX, &xa, &xl)) != MP_OK)
		goto out;
	q = kder;
	if ((key = d2i_AutoPrivateKey(NULL, &q, (long)kl)) == NULL) {
		r = MP_ERR_CRYPTO;
		goto out;
	}
	r = fdo_kex_derive(column_int(res, COL_SUITE), column_int(res, COL_CIPHER), key, xa, xl, t->xb,
	    t->xb_len, true, sek, t->d);
out:
	EVP_PKEY_free(key);
	OPENSSL_clear_free(kder, kl);
	free(xa);
	return r;
}

/* TO2.SetupDevice: COSE_Sign1 of [RendezvousInfo, Guid, NonceTO2SetupDv, Owner2Key]. */
static int
setup_message(const struct setup *t, const char *tenant, const fdo_voucher *v,
    const uint8_t guid[FDO_GUID_LEN], const mp_buf *owner2, mp_buf *out)
{
	const uint8_t *rv;
	mp_buf *payload = mp_buf_new(FDO_VOUCHER_MAX);
	mp_key *signer = NULL;
	size_t rl;
	int r;

	if (payload == NULL)
		return MP_ERR_NOMEM;
	rv = fdo_voucher_rvinfo(v, &rl);
	if ((r = fdo_put_array(payload, 4)) == MP_OK && (r = mp_buf_put(payload, rv, rl)) == MP_OK &&
	    (r = fdo_put_bstr(payload, guid, FDO_GUID_LEN)) == MP_OK &&
	    (r = fdo_put_bstr(payload, t->nonce_setup, FDO_NONCE_LEN)) == MP_OK &&
	    (r = mp_buf_put(payload, mp_buf_ptr(owner2), mp_buf_len(owner2))) == MP_OK &&
	    (r = fdo_key_signer(t->env, tenant, fdo_voucher_owner_key(v)->key, &signer)) == MP_OK)
		r = fdo_sign1_sign(signer, mp_buf_ptr(payload), mp_buf_len(payload), NULL, 0, out);
	mp_key_release(signer);
	mp_buf_free(payload);
	return r;
}

static int
setup_txn(mp_db *db, void *arg)
{
	struct setup *t = arg;
	const fdo_pubkey *owner;
	uint8_t nonce_dv[FDO_NONCE_LEN], guid[FDO_GUID_LEN], *sealed = NULL;
	char sguid[FDO_GUID_TEXT], *hp = NULL, *sp = NULL, *np = NULL;
	mp_buf *owner2 = NULL, *hdr = NULL, *signed_msg = NULL;
	const char *params[4];
	fdo_voucher *v = NULL;
	PGresult *res = NULL;
	size_t sealed_len = 0;
	fdo_sek sek;
	int r;

	mp_buf_reset(t->answer);
	if ((r = session_lock(db, t->token_hash, 64, &res, t->d)) != MP_OK ||
	    (r = column_bytes(res, COL_NONCE_DV, nonce_dv, sizeof(nonce_dv))) != MP_OK ||
	    (r = column_voucher(res, COL_VOUCHER, &v)) != MP_OK)
		goto out;
	fdo_guid_text(t->claims->guid, sguid);
	if (!mp_ct_equal(nonce_dv, sizeof(nonce_dv), t->claims->nonce, FDO_NONCE_LEN) ||
	    strcmp(sguid, mp_db_value(res, 0, COL_GUID)) != 0) {
		r = fdo_refuse(t->d, MP_ERR_UNAUTHENTICATED, "TO2.ProveDevice: the EAT's nonce or GUID"
		    " is not the session's");
		goto out;
	}
	if ((r = check_attestation(t->eat, v, t->d)) != MP_OK || (r = derive_sek(t, res, &sek)) != MP_OK)
		goto out;
	owner = fdo_voucher_owner_key(v);
	r = MP_ERR_NOMEM;
	if ((owner2 = mp_buf_new(FDO_PK_MAX_DER + 32)) == NULL || (hdr = mp_buf_new(FDO_VOUCHER_MAX)) ==
	    NULL || (signed_msg = mp_buf_new(FDO_VOUCHER_MAX)) == NULL)
		goto out;
	if ((r = mp_random_bytes(guid, sizeof(guid))) != MP_OK ||
	    (r = fdo_pubkey_encode(owner2, owner->type, owner->key)) != MP_OK ||
	    (r = fdo_voucher_replacement_header(v, guid, mp_buf_ptr(owner2), mp_buf_len(owner2),
	    hdr)) != MP_OK ||
	    (r = setup_message(t, mp_db_value(res, 0, COL_TENANT), v, guid, owner2, signed_msg)) !=
	    MP_OK ||
	    (r = fdo_encrypt0(&sek, mp_buf_ptr(signed_msg), mp_buf_len(signed_msg), t->answer)) !=
	    MP_OK ||
	    (r = mp_keystore_seal(t->env->ks, SEAL_CONTEXT, sek.key, sek.len, &sealed,
	    &sealed_len)) != MP_OK ||
	    (r = mp_db_bytea_param(sealed, sealed_len, &sp)) != MP_OK ||
	    (r = mp_db_bytea_param(t->nonce_setup, FDO_NONCE_LEN, &np)) != MP_OK ||
	    (r = mp_db_bytea_param(mp_buf_ptr(hdr), mp_buf_len(hdr), &hp)) != MP_OK)
		goto out;
	params[0] = t->token_hash;
	params[1] = sp;
	params[2] = np;
	params[3] = hp;
	r = mp_db_query(db, "UPDATE fdo_to2_sessions SET step = 66, sek_sealed = $2,"
	    " nonce_setup_dv = $3, replacement_header = $4 WHERE token_sha256 = $1", 4, params, NULL);
out:
	mp_wipe(&sek, sizeof(sek));
	free(sealed);
	free(sp);
	free(np);
	free(hp);
	mp_buf_free(owner2);
	mp_buf_free(hdr);
	mp_buf_free(signed_msg);
	fdo_voucher_free(v);
	PQclear(res);
	return r;
}

int
fdo_to2_setup_device(const fdo_env *env, const char *token, const uint8_t *body, size_t len,
    mp_buf *out, fdo_detail *d)
{
	struct setup t = { env, NULL, NULL, NULL, NULL, 0, NULL, NULL, d };
	const uint8_t *xb;
	char *th = NULL;
	fdo_sign1 s;
	fdo_eat e;
	fdo_cbor c;
	size_t xl;
	int r;

	/* TO2.ProveDevice = EAToken: {EAT-NONCE, EAT-UEID, EAT-FDO: [xBKeyExchange]}, {EUPHNonce} */
	fdo_cbor_init(&c, body, len);
	if ((r = fdo_sign1_decode(&c, &s, d)) != MP_OK)
		return fdo_refuse_in(d, r, "TO2.ProveDevice");
	if (!fdo_cbor_empty(&c))
		return fdo_refuse(d, MP_ERR_INVALID, "TO2.ProveDevice: bytes after the EAToken");
	if ((r = fdo_eat_decode(s.payload, s.payload_len, &e, d)) != MP_OK)
		return fdo_refuse_in(d, r, "TO2.ProveDevice");
	if (e.fdo != NULL)
		fdo_cbor_init(&c, e.fdo, e.fdo_len);
	if (e.fdo == NULL || fdo_cbor_array_n(&c, 1) != MP_OK || fdo_cbor_bstr(&c, &xb, &xl) != MP_OK ||
	    xl > FDO_KEX_PARAM_MAX)
		return fdo_refuse(d, MP_ERR_INVALID, "TO2.ProveDevice: EAT-FDO is not [xBKeyExchange]");
	if (euph_nonce(&s, &t.nonce_setup) != MP_OK)
		return fdo_refuse(d, MP_ERR_INVALID,
		    "TO2.ProveDevice: no EUPHNonce (16 bytes) in the unprotected header");
	if ((r = fdo_token_param(token, &th)) != MP_OK)
		return r;
	t.token_hash = th;
	t.eat = &s;
	t.claims = &e;
	t.xb = xb;
	t.xb_len = xl;
	r = answer_txn(env->db, setup_txn, &t, &t.answer, out);
	free(th);
	return r;
}

/* The ServiceInfo of the owner's module "midpki" (docs/fdo.md). */
#define SVI_MODULE "midpki"
#define SVI_MAX_ENTRIES 64

struct encrypted {
	const fdo_env *env;
	const fdo_onboarding *ob;
	const char *token_hash;
	unsigned type;
	const uint8_t *body;
	size_t len;
	mp_buf *answer;
	fdo_detail *d;
};

/* One [key, bstr .cbor value] of ServiceInfo with a text value. */
static int
put_svi_text(mp_buf *b, const char *key, const char *value)
{
	mp_buf *v = mp_buf_new(strlen(value) + 16);
	int r = MP_ERR_NOMEM;

	if (v != NULL && (r = fdo_put_tstr(v, value, strlen(value))) == MP_OK &&
	    (r = fdo_put_array(b, 2)) == MP_OK && (r = fdo_put_tstr(b, key, strlen(key))) == MP_OK)
		r = fdo_put_bstr(b, mp_buf_ptr(v), mp_buf_len(v));
	mp_buf_free(v);
	return r;
}

/* TO2.DeviceServiceInfoReady = [ReplacementHMac, maxOwnerServiceInfoSz / null]: 67 */
static int
service_info_ready(mp_db *db, struct encrypted *t, const PGresult *res, const mp_buf *pt,
    mp_buf *reply)
{
	const uint8_t *hmac, *vb;
	fdo_voucher *v = NULL, *rep = NULL;
	const char *params[2];
	uint8_t *hb = NULL;
	char *vp = NULL;
	size_t ml, hl = 0, vl;
	fdo_hash h;
	fdo_cbor c, w;
	int r;

	fdo_cbor_init(&c, mp_buf_ptr(pt), mp_buf_len(pt));
	if (fdo_cbor_array_n(&c, 2) != MP_OK)
		return fdo_refuse(t->d, MP_ERR_INVALID, "TO2.DeviceServiceInfoReady is not"
		    " [ReplacementHMac, maxOwnerServiceInfoSz]");
	w = c;
	if (fdo_cbor_null(&c) || fdo_cbor_skip(&w, &hmac, &ml) != MP_OK ||
	    fdo_hash_decode(&c, true, &h) != MP_OK)
		return fdo_refuse(t->d, MP_ERR_INVALID, "TO2.DeviceServiceInfoReady: no ReplacementHMac"
		    " (the owner always replaces the credential)");
	if ((r = column_voucher(res, COL_VOUCHER, &v)) != MP_OK ||
	    (r = mp_db_bytea_value(res, 0, COL_REP_HEADER, FDO_VOUCHER_MAX, &hb, &hl)) != MP_OK)
		goto out;
	if ((r = fdo_voucher_replace(v, hb, hl, hmac, ml, &rep, t->d)) != MP_OK)
		goto out;
	vb = fdo_voucher_bytes(rep, &vl);
	if ((r = mp_db_bytea_param(vb, vl, &vp)) != MP_OK)
		goto out;
	params[0] = t->token_hash;
	params[1] = vp;
	if ((r = mp_db_query(db, "UPDATE fdo_to2_sessions SET step = 68, replacement_voucher = $2"
	    " WHERE token_sha256 = $1", 2, params, NULL)) != MP_OK)
		goto out;
	/* TO2.OwnerServiceInfoReady = [maxDeviceServiceInfoSz] */
	if ((r = fdo_put_array(reply, 1)) == MP_OK)
		r = fdo_put_uint(reply, FDO_TO2_MAX_MESSAGE);
out:
	fdo_voucher_free(v);
	fdo_voucher_free(rep);
	free(hb);
	free(vp);
	return r;
}

/* Whether the ServiceInfo at c ([* [key, bstr]]) holds a devmod key. */
static int
read_service_info(fdo_cbor *c, bool *devmod, fdo_detail *d)
{
	const uint8_t *v;
	const char *k;
	size_t n, kl, vl;

	if (fdo_cbor_array(c, &n) != MP_OK || n > SVI_MAX_ENTRIES)
		return fdo_refuse(d, MP_ERR_INVALID, "ServiceInfo is not an array of at most %d entries",
		    SVI_MAX_ENTRIES);
	for (size_t i = 0; i < n; i++) {
		if (fdo_cbor_array_n(c, 2) != MP_OK || fdo_cbor_tstr(c, &k, &kl) != MP_OK ||
		    fdo_cbor_bstr(c, &v, &vl) != MP_OK || !fdo_cbor_is_item(v, vl))
			return fdo_refuse(d, MP_ERR_INVALID,
			    "ServiceInfo entry %zu is not [key, bstr .cbor value]", i);
		if (kl > 7 && memcmp(k, "devmod:", 7) == 0)
			*devmod = true;
	}
	return MP_OK;
}

/* Our module: midpki:active, est_url, trust_anchor, serial and a fresh enrollment token. */
static int
our_service_info(mp_db *db, struct encrypted *t, const PGresult *res, mp_buf *reply)
{
	const char *tenant = mp_db_value(res, 0, COL_TENANT), *params[1], *device;
	static const uint8_t cbor_true[] = { 0xf5 };
	json_t *profile = NULL;
	PGresult *dev = NULL;
	char *token = NULL;
	int r;

	params[0] = mp_db_value(res, 0, COL_GUID);
	if ((r = mp_db_query_row(db, "SELECT v.device_id, d.serial FROM fdo_vouchers v"
	    " JOIN devices d ON d.id = v.device_id WHERE v.guid = $1", 1, params, &dev)) != MP_OK)
		goto out;
	device = mp_db_value(dev, 0, 0);
	r = mp_profile_find_by_name(db, tenant, t->ob->profile, &profile);
	if (r == MP_ERR_NOT_FOUND)
		r = fdo_refuse(t->d, MP_ERR_INTERNAL, "the owner has no profile %s for the device's"
		    " enrollment", t->ob->profile);
	if (r != MP_OK)
		goto out;
	{
		mp_actor actor = { "device", device, tenant };

		if ((r = mp_enroll_token_create(db, &actor, tenant, device,
		    json_string_value(json_object_get(profile, "id")),
		    (int64_t)time(NULL) + FDO_TO2_TOKEN_S, 1, &token, NULL)) != MP_OK)
			goto out;
	}
	/* TO2.OwnerServiceInfo = [IsMoreServiceInfo, IsDone, ServiceInfo] */
	if ((r = fdo_put_array(reply, 3)) != MP_OK || (r = fdo_put_bool(reply, false)) != MP_OK ||
	    (r = fdo_put_bool(reply, true)) != MP_OK || (r = fdo_put_array(reply, 5)) != MP_OK ||
	    (r = fdo_put_array(reply, 2)) != MP_OK ||
	    (r = fdo_put_tstr(reply, SVI_MODULE ":active", strlen(SVI_MODULE ":active"))) != MP_OK ||
	    (r = fdo_put_bstr(reply, cbor_true, sizeof(cbor_true))) != MP_OK ||
	    (r = put_svi_text(reply, SVI_MODULE ":est_url", t->ob->est_url)) != MP_OK ||
	    (r = put_svi_text(reply, SVI_MODULE ":trust_anchor", t->ob->trust_pem)) != MP_OK ||
	    (r = put_svi_text(reply, SVI_MODULE ":serial", mp_db_value(dev, 0, 1))) != MP_OK ||
	    (r = put_svi_text(reply, SVI_MODULE ":enrollment_token", token)) != MP_OK)
		goto out;
	params[0] = t->token_hash;
	r = mp_db_query(db, "UPDATE fdo_to2_sessions SET step = 70, devmod = true"
	    " WHERE token_sha256 = $1", 1, params, NULL);
out:
	mp_free_secret_str(token);
	json_decref(profile);
	PQclear(dev);
	return r;
}

/* TO2.DeviceServiceInfo = [IsMoreServiceInfo, ServiceInfo]: 69 */
static int
device_service_info(mp_db *db, struct encrypted *t, const PGresult *res, const mp_buf *pt,
    mp_buf *reply)
{
	bool more, devmod = strcmp(mp_db_value(res, 0, COL_DEVMOD), "t") == 0;
	const char *params[1] = { t->token_hash };
	fdo_cbor c;
	int r;

	fdo_cbor_init(&c, mp_buf_ptr(pt), mp_buf_len(pt));
	if (fdo_cbor_array_n(&c, 2) != MP_OK || fdo_cbor_bool(&c, &more) != MP_OK)
		return fdo_refuse(t->d, MP_ERR_INVALID,
		    "TO2.DeviceServiceInfo is not [IsMoreServiceInfo, ServiceInfo]");
	if ((r = read_service_info(&c, &devmod, t->d)) != MP_OK)
		return r;
	if (!fdo_cbor_empty(&c))
		return fdo_refuse(t->d, MP_ERR_INVALID, "TO2.DeviceServiceInfo: bytes after ServiceInfo");
	if (!more && !devmod)
		return fdo_refuse(t->d, MP_ERR_INVALID, "the device sent no devmod ServiceInfo");
	if (!more)
		return our_service_info(db, t, res, reply);
	if (devmod && (r = mp_db_query(db, "UPDATE fdo_to2_sessions SET devmod = true"
	    " WHERE token_sha256 = $1", 1, params, NULL)) != MP_OK)
		return r;
	/* the device has more: [false, false, []] */
	if ((r = fdo_put_array(reply, 3)) != MP_OK || (r = fdo_put_bool(reply, false)) != MP_OK ||
	    (r = fdo_put_bool(reply, false)) != MP_OK)
		return r;
	return fdo_put_array(reply, 0);
}

/* TO2.Done = [NonceTO2ProveDv]: the voucher replaced; 71 = [NonceTO2SetupDv] */
static int
done(mp_db *db, struct encrypted *t, const PGresult *res, const mp_buf *pt, mp_buf *reply)
{
	uint8_t want[FDO_NONCE_LEN], setup[FDO_NONCE_LEN];
	const char *tenant = mp_db_value(res, 0, COL_TENANT), *params[1] = { t->token_hash };
	const uint8_t *nonce;
	fdo_voucher *rep = NULL;
	PGresult *dev = NULL;
	size_t n;
	fdo_cbor c;
	int r;

	fdo_cbor_init(&c, mp_buf_ptr(pt), mp_buf_len(pt));
	if (fdo_cbor_array_n(&c, 1) != MP_OK || fdo_cbor_bstr(&c, &nonce, &n) != MP_OK ||
	    n != FDO_NONCE_LEN || !fdo_cbor_empty(&c))
		return fdo_refuse(t->d, MP_ERR_INVALID, "TO2.Done is not [NonceTO2ProveDv]");
	if ((r = column_bytes(res, COL_NONCE_DV, want, sizeof(want))) != MP_OK ||
	    (r = column_bytes(res, COL_NONCE_SETUP, setup, sizeof(setup))) != MP_OK)
		return r;
	if (!mp_ct_equal(want, sizeof(want), nonce, n))
		return fdo_refuse(t->d, MP_ERR_UNAUTHENTICATED,
		    "TO2.Done: not the NonceTO2ProveDv of the session");
	if ((r = column_voucher(res, COL_REP_VOUCHER, &rep)) != MP_OK)
		goto out;
	{
		const char *gp[1] = { mp_db_value(res, 0, COL_GUID) };

		if ((r = mp_db_query_row(db, "SELECT device_id FROM fdo_vouchers WHERE guid = $1", 1, gp,
		    &dev)) != MP_OK)
			goto out;
	}
	{
		mp_actor actor = { "device", mp_db_value(dev, 0, 0), tenant };

		if ((r = fdo_store_replace(db, &actor, tenant, mp_db_value(res, 0, COL_GUID), rep)) !=
		    MP_OK)
			goto out;
	}
	if ((r = mp_db_query(db, "DELETE FROM fdo_to2_sessions WHERE token_sha256 = $1", 1, params,
	    NULL)) != MP_OK)
		goto out;
	/* TO2.Done2 = [NonceTO2SetupDv] */
	if ((r = fdo_put_array(reply, 1)) == MP_OK)
		r = fdo_put_bstr(reply, setup, sizeof(setup));
out:
	fdo_voucher_free(rep);
	PQclear(dev);
	return r;
}

static int
encrypted_txn(mp_db *db, void *arg)
{
	struct encrypted *t = arg;
	mp_buf *pt = NULL, *reply = NULL;
	PGresult *res = NULL;
	fdo_sek sek;
	int r;

	memset(&sek, 0, sizeof(sek));
	mp_buf_reset(t->answer);
	if ((r = session_lock(db, t->token_hash, t->type, &res, t->d)) != MP_OK ||
	    (r = session_sek(t->env, res, &sek)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((pt = mp_buf_new(FDO_TO2_MAX_MESSAGE)) == NULL ||
	    (reply = mp_buf_new(FDO_TO2_MAX_MESSAGE)) == NULL)
		goto out;
	if ((r = fdo_decrypt0(&sek, t->body, t->len, pt, t->d)) != MP_OK)
		goto out;
	switch (t->type) {
	case 66:
		r = service_info_ready(db, t, res, pt, reply);
		break;
	case 68:
		r = device_service_info(db, t, res, pt, reply);
		break;
	default:
		r = done(db, t, res, pt, reply);
		break;
	}
	if (r == MP_OK)
		r = fdo_encrypt0(&sek, mp_buf_ptr(reply), mp_buf_len(reply), t->answer);
out:
	mp_wipe(&sek, sizeof(sek));
	mp_buf_free(pt);
	mp_buf_free(reply);
	PQclear(res);
	return r;
}

int
fdo_to2_encrypted(const fdo_env *env, const fdo_onboarding *ob, const char *token,
    unsigned type, const uint8_t *body, size_t len, mp_buf *out, fdo_detail *d)
{
	struct encrypted t = { env, ob, NULL, type, body, len, NULL, d };
	char *th = NULL;
	int r;

	if (type != 66 && type != 68 && type != 70)
		return MP_ERR_INVALID;
	if ((r = fdo_token_param(token, &th)) != MP_OK)
		return r;
	t.token_hash = th;
	r = answer_txn(env->db, encrypted_txn, &t, &t.answer, out);
	free(th);
	return r;
}
