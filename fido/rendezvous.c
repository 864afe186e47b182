#include "rendezvous.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "codec.h"
#include "cose.h"
#include "err.h"
#include "keys.h"
#include "secure.h"
#include "store.h"
#include "voucher.h"

/* Removes expired sessions and records a new one of protocol (with guid for TO1). */
static int
session_new(mp_db *db, const char *protocol, const char *guid, uint8_t nonce[FDO_NONCE_LEN],
    char token[FDO_TOKEN_MAX])
{
	char *th = NULL, *np = NULL, secs[16];
	const char *params[5];
	int r;

	if ((r = mp_random_bytes(nonce, FDO_NONCE_LEN)) != MP_OK ||
	    (r = fdo_token_new(token, &th)) != MP_OK ||
	    (r = mp_db_bytea_param(nonce, FDO_NONCE_LEN, &np)) != MP_OK)
		goto out;
	if ((r = mp_db_query(db, "DELETE FROM fdo_rv_sessions WHERE expires_at < now()", 0, NULL,
	    NULL)) != MP_OK)
		goto out;
	snprintf(secs, sizeof(secs), "%d", FDO_RV_SESSION_S);
	params[0] = th;
	params[1] = protocol;
	params[2] = np;
	params[3] = guid;
	params[4] = secs;
	r = mp_db_query(db, "INSERT INTO fdo_rv_sessions (token_sha256, protocol, nonce, guid,"
	    " expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))", 5, params,
	    NULL);
out:
	if (r != MP_OK)
		mp_wipe(token, FDO_TOKEN_MAX);
	free(th);
	free(np);
	return r;
}

/*
 * Ends the session of token in protocol: its nonce into nonce and, for TO1,
 * its GUID into guid. MP_ERR_UNAUTHENTICATED when there is none in force.
 */
static int
session_take(mp_db *db, const char *token, const char *protocol, uint8_t nonce[FDO_NONCE_LEN],
    char guid[FDO_GUID_TEXT], fdo_detail *d)
{
	const char *params[2] = { NULL, protocol }, *g;
	PGresult *res = NULL;
	uint8_t *n = NULL;
	size_t nl = 0;
	char *th = NULL;
	int r;

	if ((r = fdo_token_param(token, &th)) != MP_OK)
		return r;
	params[0] = th;
	r = mp_db_query_row(db, "DELETE FROM fdo_rv_sessions WHERE token_sha256 = $1"
	    " AND protocol = $2 RETURNING nonce, guid, expires_at > now()", 2, params, &res);
	if (r == MP_ERR_NOT_FOUND || (r == MP_OK && strcmp(mp_db_value(res, 0, 2), "t") != 0)) {
		r = fdo_refuse(d, MP_ERR_UNAUTHENTICATED, "no %s session of this token (or it expired)",
		    strcmp(protocol, "to0") == 0 ? "TO0" : "TO1");
		goto out;
	}
	if (r != MP_OK || (r = mp_db_bytea_value(res, 0, 0, FDO_NONCE_LEN, &n, &nl)) != MP_OK)
		goto out;
	if (nl != FDO_NONCE_LEN) {
		r = MP_ERR_INTERNAL;
		goto out;
	}
	memcpy(nonce, n, FDO_NONCE_LEN);
	if (guid != NULL && (g = mp_db_value(res, 0, 1)) != NULL)
		snprintf(guid, FDO_GUID_TEXT, "%s", g);
out:
	PQclear(res);
	free(n);
	free(th);
	return r;
}

int
fdo_rv_to0_begin(mp_db *db, uint8_t nonce[FDO_NONCE_LEN], char token[FDO_TOKEN_MAX])
{
	return session_new(db, "to0", NULL, nonce, token);
}

struct to0 {
	const fdo_to0_owner_sign *m;
	uint32_t wait;
	fdo_detail *d;
};

/* Whether the stored voucher cbor (bytea at res 0,0) has the manufacturer key of hash mfg. */
static bool
same_manufacturer(const PGresult *res, const uint8_t mfg[32])
{
	fdo_voucher *held = NULL;
	uint8_t *cbor = NULL, h[32];
	size_t n = 0;
	bool same = false;

	if (mp_db_bytea_value(res, 0, 0, FDO_VOUCHER_MAX, &cbor, &n) == MP_OK &&
	    fdo_voucher_decode(cbor, n, &held, NULL) == MP_OK &&
	    fdo_key_hash(fdo_voucher_manufacturer_key(held)->key, h) == MP_OK)
		same = memcmp(h, mfg, sizeof(h)) == 0;
	fdo_voucher_free(held);
	free(cbor);
	return same;
}

/* The tenant whose device v is: by its manufacturer key, or by the voucher of its GUID held. */
static int
serving_tenant(mp_db *db, const fdo_voucher *v, const char *guid, char tenant[MP_UUID_STR_LEN + 1],
    fdo_detail *d)
{
	const char *params[1];
	PGresult *res = NULL;
	uint8_t mfg[32];
	char *mp = NULL;
	int r;

	if ((r = fdo_key_hash(fdo_voucher_manufacturer_key(v)->key, mfg)) != MP_OK ||
	    (r = mp_db_bytea_param(mfg, sizeof(mfg), &mp)) != MP_OK)
		return r;
	params[0] = mp;
	r = mp_db_query_row(db, "SELECT tenant_id FROM fdo_keys WHERE role = 'manufacturer'"
	    " AND public_key_sha256 = $1 LIMIT 1", 1, params, &res);
	if (r == MP_ERR_NOT_FOUND) {
		PQclear(res);
		res = NULL;
		params[0] = guid;
		r = mp_db_query_row(db, "SELECT voucher, tenant_id FROM fdo_vouchers WHERE guid = $1",
		    1, params, &res);
		if (r == MP_OK && !same_manufacturer(res, mfg))
			r = MP_ERR_NOT_FOUND;
		if (r == MP_OK)
			snprintf(tenant, MP_UUID_STR_LEN + 1, "%s", mp_db_value(res, 0, 1));
	} else if (r == MP_OK) {
		snprintf(tenant, MP_UUID_STR_LEN + 1, "%s", mp_db_value(res, 0, 0));
	}
	if (r == MP_ERR_NOT_FOUND)
		r = fdo_refuse(d, MP_ERR_POLICY, "this rendezvous server serves the devices of its"
		    " tenants only (neither the voucher's manufacturer key nor its GUID is known here)");
	PQclear(res);
	free(mp);
	return r;
}

/* The checks of TO0.OwnerSign that need no database: voucher, To1d hash and signature. */
static int
to0_verify(const fdo_to0_owner_sign *m, fdo_voucher **out, fdo_detail *d)
{
	const fdo_hash *want = &m->to1d_payload.to0d_hash;
	fdo_bytes to0d = { m->to0d, m->to0d_len };
	fdo_voucher *v = NULL;
	fdo_hash got;
	int r;

	if ((r = fdo_voucher_decode(m->voucher, m->voucher_len, &v, d)) != MP_OK ||
	    (r = fdo_voucher_verify(v, NULL, 0, d)) != MP_OK) {
		r = r == MP_ERR_NOMEM ? r : fdo_refuse_in(d, MP_ERR_INTEGRITY, "To0d");
		goto out;
	}
	if (fdo_voucher_entry_count(v) == 0) {
		r = fdo_refuse(d, MP_ERR_POLICY, "To0d: the voucher has not been extended to an owner");
		goto out;
	}
	if (fdo_voucher_device_key(v) == NULL) {
		r = fdo_refuse(d, MP_ERR_POLICY, "To0d: the voucher has no device certificate chain,"
		    " so its device cannot prove itself in TO1");
		goto out;
	}
	if ((r = fdo_hash_compute(want->alg, &to0d, 1, &got)) != MP_OK)
		goto out;
	if (!fdo_hash_equal(&got, want)) {
		r = fdo_refuse(d, MP_ERR_INTEGRITY, "To1d: to1dTo0dHash is not the hash of To0d");
		goto out;
	}
	if ((r = fdo_sign1_verify(&m->to1d_sign1, fdo_voucher_owner_key(v), d)) != MP_OK) {
		r = r == MP_ERR_NOMEM ? r : fdo_refuse(d, MP_ERR_INTEGRITY,
		    "To1d is not signed by the voucher's current owner key");
		goto out;
	}
	*out = v;
	v = NULL;
out:
	fdo_voucher_free(v);
	return r;
}

/*
 * Registers to1d for v (voucher: its encoding) in tenant, in place of any
 * earlier registration, for wait seconds, audited as fdo_rv.register.
 */
static int
store_blob(mp_db *db, const char *tenant, const fdo_voucher *v, const uint8_t *voucher,
    size_t voucher_len, const uint8_t *to1d, size_t to1d_len, size_t naddrs, uint32_t wait)
{
	char guid[FDO_GUID_TEXT], secs[16], *vp = NULL, *tp = NULL, *op = NULL, *hex = NULL;
	const char *params[6];
	uint8_t owner[32];
	json_t *details = NULL;
	mp_actor actor = { "system", NULL, NULL };
	int r;

	fdo_guid_text(fdo_voucher_guid(v), guid);
	snprintf(secs, sizeof(secs), "%u", wait);
	if ((r = fdo_key_hash(fdo_voucher_owner_key(v)->key, owner)) != MP_OK ||
	    (r = mp_db_bytea_param(voucher, voucher_len, &vp)) != MP_OK ||
	    (r = mp_db_bytea_param(to1d, to1d_len, &tp)) != MP_OK ||
	    (r = mp_db_bytea_param(owner, sizeof(owner), &op)) != MP_OK ||
	    (r = mp_hex_encode(owner, sizeof(owner), &hex)) != MP_OK)
		goto out;
	params[0] = guid;
	params[1] = tenant;
	params[2] = vp;
	params[3] = tp;
	params[4] = op;
	params[5] = secs;
	if ((r = mp_db_query(db, "INSERT INTO fdo_rv_blobs (guid, tenant_id, voucher, to1d,"
	    " owner_key_sha256, expires_at) VALUES ($1, $2, $3, $4, $5,"
	    " now() + make_interval(secs => $6::bigint)) ON CONFLICT (guid) DO UPDATE SET"
	    " tenant_id = $2, voucher = $3, to1d = $4, owner_key_sha256 = $5,"
	    " expires_at = now() + make_interval(secs => $6::bigint), updated_at = now()", 6, params,
	    NULL)) != MP_OK)
		goto out;
	if ((details = json_pack("{s:s, s:i, s:I, s:i}", "owner_key_sha256", hex, "entries",
	    (int)fdo_voucher_entry_count(v), "wait_seconds", (json_int_t)wait, "addresses",
	    (int)naddrs)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	actor.id = hex;
	r = mp_audit_write_in(db, &actor, tenant, "fdo_rv.register", "fdo_voucher", guid, details);
out:
	json_decref(details);
	free(vp);
	free(tp);
	free(op);
	free(hex);
	return r;
}

static int
to0_txn(mp_db *db, void *arg)
{
	struct to0 *t = arg;
	const fdo_to0_owner_sign *m = t->m;
	char guid[FDO_GUID_TEXT], tenant[MP_UUID_STR_LEN + 1];
	fdo_voucher *v = NULL;
	uint32_t wait;
	int r;

	if ((r = to0_verify(m, &v, t->d)) != MP_OK)
		goto out;
	fdo_guid_text(fdo_voucher_guid(v), guid);
	if ((r = serving_tenant(db, v, guid, tenant, t->d)) != MP_OK)
		goto out;
	wait = m->wait_seconds < FDO_RV_MAX_WAIT_S ? m->wait_seconds : FDO_RV_MAX_WAIT_S;
	if ((r = store_blob(db, tenant, v, m->voucher, m->voucher_len, m->to1d, m->to1d_len,
	    m->to1d_payload.naddrs, wait)) != MP_OK)
		goto out;
	t->wait = wait;
out:
	fdo_voucher_free(v);
	return r;
}

int
fdo_rv_to0_accept(mp_db *db, const char *token, const fdo_to0_owner_sign *m, uint32_t *wait,
    fdo_detail *d)
{
	struct to0 t = { m, 0, d };
	uint8_t nonce[FDO_NONCE_LEN];
	int r;

	/* the session ends here, whatever comes of the message */
	if ((r = session_take(db, token, "to0", nonce, NULL, d)) != MP_OK)
		return r;
	if (!mp_ct_equal(nonce, sizeof(nonce), m->nonce, FDO_NONCE_LEN))
		return fdo_refuse(d, MP_ERR_UNAUTHENTICATED,
		    "To0d: NonceTO0Sign is not the nonce of TO0.HelloAck");
	if ((r = mp_db_txn(db, to0_txn, &t)) == MP_OK)
		*wait = t.wait;
	return r;
}

int
fdo_rv_addr_set(fdo_rv_addr *a, const char *host, unsigned port, bool https)
{
	memset(a, 0, sizeof(*a));
	if (host == NULL || host[0] == '\0' || strlen(host) > FDO_DNS_MAX || port == 0 ||
	    port > 65535)
		return MP_ERR_INVALID;
	if (inet_pton(AF_INET, host, a->ip) == 1)
		a->ip_len = 4;
	else if (inet_pton(AF_INET6, host, a->ip) == 1)
		a->ip_len = 16;
	else
		snprintf(a->dns, sizeof(a->dns), "%s", host);
	a->port = port;
	a->protocol = https ? FDO_PROT_HTTPS : FDO_PROT_HTTP;
	return MP_OK;
}

struct own {
	const char *tenant_id;
	const fdo_voucher *v;
	mp_key *owner;
	const fdo_rv_addr *addr;
	uint32_t wait;
};

static int
register_txn(mp_db *db, void *arg)
{
	const struct own *o = arg;
	mp_buf *to0d = mp_buf_new(FDO_VOUCHER_MAX), *payload = mp_buf_new(512),
	    *to1d = mp_buf_new(1024);
	uint8_t nonce[FDO_NONCE_LEN];
	const uint8_t *vp;
	size_t vn;
	fdo_bytes part;
	fdo_hash h;
	int r = MP_ERR_NOMEM;

	if (to0d == NULL || payload == NULL || to1d == NULL)
		goto out;
	vp = fdo_voucher_bytes(o->v, &vn);
	/* To0d = [voucher, WaitSeconds, NonceTO0Sign]; To1d signs [RVTO2Addr, hash of To0d] */
	if ((r = mp_random_bytes(nonce, sizeof(nonce))) != MP_OK ||
	    (r = fdo_put_array(to0d, 3)) != MP_OK || (r = mp_buf_put(to0d, vp, vn)) != MP_OK ||
	    (r = fdo_put_uint(to0d, o->wait)) != MP_OK ||
	    (r = fdo_put_bstr(to0d, nonce, sizeof(nonce))) != MP_OK)
		goto out;
	part.p = mp_buf_ptr(to0d);
	part.n = mp_buf_len(to0d);
	if ((r = fdo_hash_compute(FDO_SHA256, &part, 1, &h)) != MP_OK ||
	    (r = fdo_to1d_payload_write(payload, o->addr, 1, &h)) != MP_OK ||
	    (r = fdo_sign1_sign(o->owner, mp_buf_ptr(payload), mp_buf_len(payload), NULL, 0,
	    to1d)) != MP_OK)
		goto out;
	r = store_blob(db, o->tenant_id, o->v, vp, vn, mp_buf_ptr(to1d), mp_buf_len(to1d), 1,
	    o->wait);
out:
	mp_buf_free(to0d);
	mp_buf_free(payload);
	mp_buf_free(to1d);
	return r;
}

int
fdo_rv_register(mp_db *db, const char *tenant_id, const fdo_voucher *v, mp_key *owner,
    const fdo_rv_addr *addr, uint32_t wait)
{
	struct own o = { tenant_id, v, owner, addr,
		wait < FDO_RV_MAX_WAIT_S ? wait : FDO_RV_MAX_WAIT_S };

	return mp_db_txn(db, register_txn, &o);
}

int
fdo_rv_to1_begin(mp_db *db, const uint8_t guid[FDO_GUID_LEN], int64_t sg_type,
    uint8_t nonce[FDO_NONCE_LEN], char token[FDO_TOKEN_MAX], fdo_detail *d)
{
	char g[FDO_GUID_TEXT];
	const char *params[1] = { g };
	PGresult *res = NULL;
	int r;

	if (sg_type != FDO_COSE_ES256 && sg_type != FDO_COSE_ES384)
		return fdo_refuse(d, MP_ERR_UNSUPPORTED, "eASigInfo: signature type %lld is not"
		    " supported (ES256 -7 and ES384 -35 are)", (long long)sg_type);
	fdo_guid_text(guid, g);
	r = mp_db_query_row(db, "SELECT 1 FROM fdo_rv_blobs WHERE guid = $1 AND expires_at > now()",
	    1, params, &res);
	PQclear(res);
	if (r == MP_ERR_NOT_FOUND)
		return fdo_refuse(d, r, "no owner has registered GUID %s (TO0), or it expired", g);
	if (r != MP_OK)
		return r;
	return session_new(db, "to1", g, nonce, token);
}

struct to1 {
	const char *guid;          /* the session's */
	const fdo_sign1 *eat;
	uint8_t *to1d;           /* the registered To1d, once proved */
	size_t to1d_len;
	fdo_detail *d;
};

/* The device's key as a PublicKey of the type its curve is. */
static int
device_pubkey(EVP_PKEY *key, fdo_pubkey *out)
{
	mp_key_spec spec;

	if (mp_key_spec_of(key, false, &spec) != MP_OK ||
	    (spec.alg != MP_KEY_EC_P256 && spec.alg != MP_KEY_EC_P384))
		return MP_ERR_UNSUPPORTED;
	out->type = spec.alg == MP_KEY_EC_P384 ? FDO_PK_SECP384R1 : FDO_PK_SECP256R1;
	out->enc = FDO_PKENC_X509;
	out->key = key;
	return MP_OK;
}

static int
to1_txn(mp_db *db, void *arg)
{
	struct to1 *t = arg;
	const char *guid = t->guid, *params[1] = { guid };
	uint8_t *vb = NULL, *tb = NULL;
	size_t vl = 0, tl = 0;
	fdo_voucher *v = NULL;
	PGresult *res = NULL;
	fdo_pubkey pub;
	int r;

	r = mp_db_query_row(db, "SELECT voucher, to1d FROM fdo_rv_blobs WHERE guid = $1"
	    " AND expires_at > now()", 1, params, &res);
	if (r == MP_ERR_NOT_FOUND)
		r = fdo_refuse(t->d, r, "the registration of GUID %s expired", guid);
	if (r != MP_OK || (r = mp_db_bytea_value(res, 0, 0, FDO_VOUCHER_MAX, &vb, &vl)) != MP_OK ||
	    (r = mp_db_bytea_value(res, 0, 1, FDO_VOUCHER_MAX, &tb, &tl)) != MP_OK ||
	    (r = fdo_voucher_decode(vb, vl, &v, NULL)) != MP_OK)
		goto out;
	if (device_pubkey(fdo_voucher_device_key(v), &pub) != MP_OK) {
		r = fdo_refuse(t->d, MP_ERR_UNAUTHENTICATED,
		    "the device certificate's key is not a P-256 or P-384 key");
		goto out;
	}
	if ((r = fdo_sign1_verify(t->eat, &pub, t->d)) != MP_OK) {
		r = r == MP_ERR_NOMEM ? r : fdo_refuse(t->d, MP_ERR_UNAUTHENTICATED,
		    "the EAT is not signed by the device's attestation key");
		goto out;
	}
	free(t->to1d);
	t->to1d = tb;
	t->to1d_len = tl;
	tb = NULL;
out:
	fdo_voucher_free(v);
	PQclear(res);
	free(vb);
	free(tb);
	return r;
}

int
fdo_rv_to1_prove(mp_db *db, const char *token, const uint8_t *eat, size_t len, mp_buf *out,
    fdo_detail *d)
{
	char guid[FDO_GUID_TEXT] = "", claimed[FDO_GUID_TEXT];
	uint8_t nonce[FDO_NONCE_LEN];
	struct to1 t = { guid, NULL, NULL, 0, d };
	fdo_eat e;
	fdo_sign1 s;
	fdo_cbor c;
	int r;

	/* the session ends here, whatever comes of the message */
	if ((r = session_take(db, token, "to1", nonce, guid, d)) != MP_OK)
		return r;
	fdo_cbor_init(&c, eat, len);
	if ((r = fdo_sign1_decode(&c, &s, d)) != MP_OK)
		return fdo_refuse_in(d, r, "TO1.ProveToRV");
	if (!fdo_cbor_empty(&c))
		return fdo_refuse(d, MP_ERR_INVALID, "TO1.ProveToRV: bytes after the EAToken");
	if ((r = fdo_eat_decode(s.payload, s.payload_len, &e, d)) != MP_OK)
		return r;
	if (!mp_ct_equal(nonce, sizeof(nonce), e.nonce, FDO_NONCE_LEN))
		return fdo_refuse(d, MP_ERR_UNAUTHENTICATED,
		    "EAT: the nonce is not the nonce of TO1.HelloRVAck");
	fdo_guid_text(e.guid, claimed);
	if (strcmp(claimed, guid) != 0)
		return fdo_refuse(d, MP_ERR_UNAUTHENTICATED, "EAT: the UEID is not the GUID of TO1.HelloRV");
	t.eat = &s;
	if ((r = mp_db_txn(db, to1_txn, &t)) == MP_OK)
		r = mp_buf_put(out, t.to1d, t.to1d_len);
	free(t.to1d);
	return r;
}
