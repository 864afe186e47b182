/* Network and application servers registered to call the Join Server. */
#include "peers.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "credential.h"
#include "err.h"
#include "record.h"
#include "secure.h"

#define COLUMNS "id, tenant_id, kind, net_id, as_id, kek_label, auth, created_at"
#define LABEL_MAX 128
#define SEAL_CONTEXT_MAX (sizeof("lorawan_peer:") + MP_UUID_STR_LEN)

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
	uint8_t hash[MP_CRED_HASH_LEN], *sealed = NULL;
	char id[MP_UUID_STR_LEN + 1], context[SEAL_CONTEXT_MAX], *secret = NULL;
	char *hashp = NULL, *kekp = NULL;
	const char *params[9];
	size_t sealed_len = 0;
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
	}
	if (in->kek != NULL) {
		snprintf(context, sizeof(context), "lorawan_peer:%s", id);
		if ((r = mp_keystore_seal(ks, context, in->kek, in->kek_len, &sealed,
		    &sealed_len)) != MP_OK ||
		    (r = mp_db_bytea_param(sealed, sealed_len, &kekp)) != MP_OK)
			goto out;
	}
	details = json_pack("{s:s, s:s?, s:s?, s:s?, s:s}", "kind", in->kind, "net_id", in->net_id,
	    "as_id", in->as_id, "kek_label", in->kek_label, "auth", in->auth);
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
	r = mp_record_insert(db, actor, "lorawan_peer.create", "lorawan_peer",
	    "INSERT INTO lorawan_peers (id, tenant_id, kind, net_id, as_id, kek_label, kek, auth,"
	    " token_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING " COLUMNS,
	    9, params, details, out);
	if (r != MP_OK)
		goto out;
	*token = secret;
	secret = NULL;
out:
	mp_wipe(hash, sizeof(hash));
	mp_free_secret_str(secret);
	mp_free_secret_str(hashp);
	json_decref(details);
	free(sealed);
	free(kekp);
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
