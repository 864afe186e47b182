/* Network and application servers registered to call the Join Server. */
#include "peers.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "codec.h"
#include "credential.h"
#include "err.h"
#include "record.h"
#include "sealed.h"
#include "secure.h"

#define COLUMNS "id, tenant_id, kind, net_id, as_id, kek_label, auth," \
	" encode(cert_sha256, 'hex') AS cert_sha256, created_at"
#define LABEL_MAX LW_AS_ID_MAX

/* Whether der (len bytes) is exactly one X.509 certificate. */
static bool
certificate(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;
	bool ok;

	if (der == NULL || len == 0 || len > LONG_MAX)
		return false;
	x = d2i_X509(NULL, &p, (long)len);
	ok = x != NULL && p == der + len;
	X509_free(x);
	return ok;
}

static bool
valid(const lw_peer_new *in)
{
	bool ns, token;

	if (in->tenant_id == NULL || in->kind == NULL || in->auth == NULL)
		return false;
	ns = strcmp(in->kind, "ns") == 0;
	token = strcmp(in->auth, "token") == 0;
	if ((!ns && strcmp(in->kind, "as") != 0) || (!token && strcmp(in->auth, "mtls") != 0))
		return false;
	if (token ? in->cert != NULL : !certificate(in->cert, in->cert_len))
		return false;
	if (ns ? (in->net_id == NULL || in->as_id != NULL || strlen(in->net_id) != 6 ||
	    strspn(in->net_id, "0123456789abcdef") != 6) :
	    (in->as_id == NULL || in->net_id != NULL || in->as_id[0] == '\0' ||
	    strlen(in->as_id) > LABEL_MAX))
		return false;
	if ((in->kek == NULL) != (in->kek_label == NULL))
		return false;
	return in->kek == NULL || ((in->kek_len == 16 || in->kek_len == 24 || in->kek_len == 32) &&
	    in->kek_label[0] != '\0' && strlen(in->kek_label) <= LABEL_MAX);
}

int
lw_peer_create(mp_db *db, const mp_keystore *ks, const mp_actor *actor,
    const lw_peer_new *in, char **token, json_t **out)
{
	uint8_t hash[MP_CRED_HASH_LEN], fp[LW_PEER_CERT_SHA256_LEN];
	char id[MP_UUID_STR_LEN + 1], *secret = NULL, *hashp = NULL, *kekp = NULL;
	char *fpp = NULL, *fphex = NULL;
	const char *params[10];
	json_t *details = NULL;
	int r = MP_ERR_INVALID;

	if (actor == NULL || in == NULL || token == NULL || !valid(in))
		return MP_ERR_INVALID;
	if (strcmp(in->auth, "token") == 0) {
		if ((r = mp_cred_new(LW_PEER_TOKEN_PREFIX, id, &secret, hash)) != MP_OK ||
		    (r = mp_db_bytea_param(hash, sizeof(hash), &hashp)) != MP_OK)
			goto out;
	} else if ((r = mp_uuid_new(id)) != MP_OK) {
		goto out;
	} else if (EVP_Digest(in->cert, in->cert_len, fp, NULL, EVP_sha256(), NULL) != 1) {
		r = MP_ERR_CRYPTO;
		goto out;
	} else if ((r = mp_db_bytea_param(fp, sizeof(fp), &fpp)) != MP_OK ||
	    (r = mp_hex_encode(fp, sizeof(fp), &fphex)) != MP_OK) {
		goto out;
	}
	if (in->kek != NULL &&
	    (r = lw_seal_param(ks, LW_SEALED_KEK, id, in->kek, in->kek_len, &kekp)) != MP_OK)
		goto out;
	details = json_pack("{s:s, s:s?, s:s?, s:s?, s:s, s:s?}", "kind", in->kind, "net_id",
	    in->net_id, "as_id", in->as_id, "kek_label", in->kek_label, "auth", in->auth,
	    "cert_sha256", fphex);
	if (details == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	params[0] = id;
	params[1] = in->tenant_id;
	params[2] = in->kind;
	params[3] = in->net_id;
	params[4] = in->as_id;
	params[5] = in->kek_label;
	params[6] = kekp;
	params[7] = in->auth;
	params[8] = hashp;
	params[9] = fpp;
	r = mp_record_insert(db, actor, "lorawan_peer.create", "lorawan_peer",
	    "INSERT INTO lorawan_peers (id, tenant_id, kind, net_id, as_id, kek_label, kek, auth,"
	    " token_hash, cert_sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
	    " RETURNING " COLUMNS, 10, params, details, out);
	if (r != MP_OK)
		goto out;
	*token = secret;
	secret = NULL;
out:
	mp_wipe(hash, sizeof(hash));
	mp_free_secret_str(secret);
	mp_free_secret_str(hashp);
	json_decref(details);
	free(kekp);
	free(fpp);
	free(fphex);
	return r;
}

int
lw_peer_get(mp_db *db, const char *tenant_id, const char *id, json_t **out)
{
	const char *params[2] = { id, tenant_id };

	return mp_record_get(db, "SELECT " COLUMNS " FROM lorawan_peers"
	    " WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)", 2, params, out);
}

int
lw_peer_list(mp_db *db, const char *tenant_id, const char *after_id, unsigned limit,
    json_t **out)
{
	char lim[16];
	const char *params[3] = { tenant_id, after_id, lim };

	mp_record_limit(limit, lim);
	return mp_record_list(db, "SELECT " COLUMNS " FROM lorawan_peers"
	    " WHERE ($1::uuid IS NULL OR tenant_id = $1) AND ($2::uuid IS NULL OR id > $2)"
	    " ORDER BY id LIMIT $3", 3, params, out);
}

int
lw_net_id_parse(const char *hex, uint32_t *out)
{
	uint8_t b[3];

	if (hex == NULL || mp_hex_decode_fixed(hex, strlen(hex), b, sizeof(b)) != MP_OK)
		return MP_ERR_INTEGRITY;
	*out = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
	return MP_OK;
}

/* The peer of row 0 of res (tenant_id, kind, net_id, kek_label, kek, as_id), its KEK unsealed. */
static int
peer_from_row(const mp_keystore *ks, const PGresult *res, const char *id, lw_peer *out)
{
	const char *label = mp_db_value(res, 0, 3);
	lw_peer p;
	int r;

	memset(&p, 0, sizeof(p));
	snprintf(p.id, sizeof(p.id), "%s", id);
	snprintf(p.tenant_id, sizeof(p.tenant_id), "%s", mp_db_value(res, 0, 0));
	p.ns = strcmp(mp_db_value(res, 0, 1), "ns") == 0;
	if (p.ns) {
		if ((r = lw_net_id_parse(mp_db_value(res, 0, 2), &p.net_id)) != MP_OK)
			goto out;
	} else {
		snprintf(p.as_id, sizeof(p.as_id), "%s", mp_db_value(res, 0, 5));
	}
	if (label != NULL) {
		snprintf(p.kek_label, sizeof(p.kek_label), "%s", label);
		if ((r = lw_unseal_value(ks, res, 0, 4, LW_SEALED_KEK, id, p.kek, sizeof(p.kek),
		    &p.kek_len)) != MP_OK)
			goto out;
	}
	*out = p;
	r = MP_OK;
out:
	lw_peer_clear(&p);
	return r;
}

#define PEER_SQL "SELECT tenant_id, kind, net_id, kek_label, kek, as_id, token_hash, id" \
	" FROM lorawan_peers"

/* The peer pinned to a client certificate's SHA-256. */
static int
authenticate_cert(mp_db *db, const mp_keystore *ks, const uint8_t *cert_sha256, lw_peer *out)
{
	char *fpp = NULL;
	const char *params[1];
	PGresult *res = NULL;
	int r;

	if ((r = mp_db_bytea_param(cert_sha256, LW_PEER_CERT_SHA256_LEN, &fpp)) != MP_OK)
		return r;
	params[0] = fpp;
	r = mp_db_query_row(db, PEER_SQL " WHERE cert_sha256 = $1::bytea AND auth = 'mtls'", 1,
	    params, &res);
	if (r == MP_ERR_NOT_FOUND)
		r = MP_ERR_UNAUTHENTICATED;
	if (r == MP_OK)
		r = peer_from_row(ks, res, mp_db_value(res, 0, 7), out);
	free(fpp);
	PQclear(res);
	return r;
}

int
lw_peer_authenticate(mp_db *db, const mp_keystore *ks, const char *token,
    const uint8_t *cert_sha256, lw_peer *out)
{
	uint8_t hash[MP_CRED_HASH_LEN], *stored = NULL;
	char id[MP_UUID_STR_LEN + 1];
	size_t stored_len = 0;
	const char *params[1] = { id };
	PGresult *res = NULL;
	int r;

	if (token == NULL && cert_sha256 != NULL)
		return authenticate_cert(db, ks, cert_sha256, out);
	if (token == NULL || mp_cred_parse(LW_PEER_TOKEN_PREFIX, token, id, hash) != MP_OK)
		return MP_ERR_UNAUTHENTICATED;
	r = mp_db_query_row(db, PEER_SQL " WHERE id = $1 AND auth = 'token'", 1, params, &res);
	if (r == MP_ERR_NOT_FOUND)
		r = MP_ERR_UNAUTHENTICATED;
	if (r != MP_OK || (r = mp_db_bytea_value(res, 0, 6, MP_CRED_HASH_LEN, &stored,
	    &stored_len)) != MP_OK)
		goto out;
	if (!mp_ct_equal(stored, stored_len, hash, sizeof(hash))) {
		r = MP_ERR_UNAUTHENTICATED;
		goto out;
	}
	r = peer_from_row(ks, res, id, out);
out:
	mp_wipe(hash, sizeof(hash));
	free(stored);
	PQclear(res);
	return r;
}
