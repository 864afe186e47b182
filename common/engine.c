#include "engine.h"

#include "err.h"
#include "secure.h"

/* Transaction advisory lock key held while bootstrapping ("midpi" 0x000003). */
#define BOOTSTRAP_LOCK_SQL "SELECT pg_advisory_xact_lock(7883943056649486339)"

struct bootstrap_ctx {
	char *key;
};

/* The "id" of an engine object, borrowed from it. */
static const char *
id_of(json_t *obj)
{
	return json_string_value(json_object_get(obj, "id"));
}

static int
bootstrap_txn(mp_db *db, void *arg)
{
	static const mp_actor system = { "system", "bootstrap", NULL };
	struct bootstrap_ctx *c = arg;
	json_t *tenant = NULL, *user = NULL;
	PGresult *res = NULL;
	int r;

	mp_free_secret_str(c->key);
	c->key = NULL;
	if ((r = mp_db_exec(db, BOOTSTRAP_LOCK_SQL)) != MP_OK ||
	    (r = mp_db_query(db, "SELECT 1 FROM user_roles WHERE role = 'platform-admin' LIMIT 1",
	    0, NULL, &res)) != MP_OK)
		goto out;
	if (PQntuples(res) > 0)
		goto out;
	r = mp_tenant_find_by_name(db, MP_BOOTSTRAP_TENANT, &tenant);
	if (r == MP_ERR_NOT_FOUND)
		r = mp_tenant_create(db, &system, MP_BOOTSTRAP_TENANT, &tenant);
	if (r != MP_OK)
		goto out;
	r = mp_user_find_by_name(db, id_of(tenant), MP_BOOTSTRAP_USER, &user);
	if (r == MP_ERR_NOT_FOUND)
		r = mp_user_create(db, &system, id_of(tenant), MP_BOOTSTRAP_USER, NULL, NULL, &user);
	if (r != MP_OK)
		goto out;
	if ((r = mp_user_add_role(db, &system, id_of(tenant), id_of(user), "platform-admin")) !=
	    MP_OK)
		goto out;
	r = mp_apikey_create(db, &system, id_of(tenant), id_of(user), 0, &c->key, NULL);
out:
	json_decref(tenant);
	json_decref(user);
	PQclear(res);
	return r;
}

int
mp_engine_bootstrap_admin(mp_db *db, char **api_key_out)
{
	struct bootstrap_ctx c = { NULL };
	int r;

	if ((r = mp_db_txn(db, bootstrap_txn, &c)) != MP_OK)
		goto out;
	*api_key_out = c.key;
	c.key = NULL;
out:
	mp_free_secret_str(c.key);
	return r;
}
