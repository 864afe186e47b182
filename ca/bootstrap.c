/*
 * What the platform needs of its own CA on every start: the built-in
 * profiles, the default hierarchy (root and devices CAs) and certificates for
 * its services (TLS listeners, OCSP signers), each made once and reused until
 * it nears its end. Several instances starting at once agree through a
 * transaction advisory lock.
 */
#include "ca_priv.h"
#include "certs_priv.h"
#include "describe.h"
#include "issue_priv.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "engine.h"
#include "err.h"
#include "profile.h"
#include "record.h"

/* Transaction advisory lock key held while bootstrapping the CA ("midpi" 0x000004). */
#define CA_BOOTSTRAP_LOCK_SQL "SELECT pg_advisory_xact_lock(7883943056649486340)"

static const mp_actor system_actor = { "system", "bootstrap", NULL };

static int
ensure_profiles(mp_db *db, const char *platform)
{
	const ca_builtin_profile *b;
	size_t n;
	int r;

	b = ca_builtin_profiles(&n);
	for (size_t i = 0; i < n; i++) {
		json_t *row = NULL, *body;
		json_error_t jerr;

		if ((r = mp_profile_find_by_name(db, platform, b[i].name, &row)) == MP_OK) {
			json_decref(row);
			continue;
		}
		if (r != MP_ERR_NOT_FOUND)
			return r;
		if ((body = json_loads(b[i].body_json, 0, &jerr)) == NULL)
			return MP_ERR_INTERNAL;
		r = mp_profile_create(db, &system_actor, platform, b[i].name, "x509", body,
		    b[i].approval_required, NULL);
		json_decref(body);
		if (r != MP_OK)
			return r;
	}
	return MP_OK;
}

/* Creates CA name of the platform unless it exists. */
static int
ensure_ca(const ca_env *env, const char *platform, const char *name, const char *parent,
    const char *subject, const char *algorithm, int path_len)
{
	ca_signer s = { 0 };
	ca_detail d = { "", "" };
	json_t *row = NULL;
	ca_new in = { platform, name, NULL, algorithm, NULL, subject, 0, path_len, NULL, NULL };
	int r;

	if ((r = ca_signer_load(env, platform, name, &s)) == MP_OK) {
		ca_signer_clear(&s);
		return MP_OK;
	}
	if (r != MP_ERR_NOT_FOUND)
		return r;
	if (parent != NULL) {
		if ((r = ca_signer_load(env, platform, parent, &s)) != MP_OK)
			return r;
		in.parent_id = s.id;
	}
	r = ca_create(env, &system_actor, &in, &row, &d);
	ca_signer_clear(&s);
	json_decref(row);
	return r;
}

struct boot_ctx {
	const ca_env *env;
};

static int
boot_txn(mp_db *db, void *arg)
{
	struct boot_ctx *c = arg;
	json_t *tenant = NULL;
	const char *platform;
	int r;

	if ((r = mp_db_query(db, CA_BOOTSTRAP_LOCK_SQL, 0, NULL, NULL)) != MP_OK)
		return r;
	if ((r = mp_tenant_find_by_name(db, MP_BOOTSTRAP_TENANT, &tenant)) != MP_OK)
		return r;
	platform = json_string_value(json_object_get(tenant, "id"));
	if ((r = ensure_profiles(db, platform)) == MP_OK &&
	    (r = ensure_ca(c->env, platform, "root", NULL, "CN=MIDPKI Root CA,O=MIDPKI",
	    "ec-p384", -1)) == MP_OK)
		r = ensure_ca(c->env, platform, "devices", "root", "CN=MIDPKI Devices CA,O=MIDPKI",
		    "ec-p256", 0);
	json_decref(tenant);
	return r;
}

int
ca_bootstrap(const ca_env *env)
{
	struct boot_ctx c = { env };

	return mp_db_txn(env->db, boot_txn, &c);
}

int
ca_trust_pem(const ca_env *env, char **pem_out)
{
	ca_signer root = { 0 };
	int r;

	if ((r = ca_signer_load(env, NULL, "root", &root)) != MP_OK)
		return r;
	r = ca_chain_collect(env->db, root.id, true, pem_out);
	ca_signer_clear(&root);
	return r;
}

/*
 * The newest active certificate of service with its key, good for at least
 * renew_before_s and naming exactly sans (when not NULL; so a change of names
 * gets a new certificate).
 */
static int
find_service_cert(const ca_env *env, const char *service, const json_t *sans,
    int64_t renew_before_s, ca_service_cert *out)
{
	char renew[24];
	const char *params[2] = { service, renew };
	PGresult *res = NULL;
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t len;
	ca_service_cert s = { 0 };
	int r;

	mp_record_time(renew_before_s, renew);
	if ((r = mp_db_query_row(env->db, "SELECT c.der, c.key_id, c.ca_id FROM certificates c"
	    " JOIN identities i ON i.id = c.id WHERE i.service = $1 AND i.status = 'active'"
	    " AND c.key_id IS NOT NULL AND c.not_after > now() + make_interval(secs => $2::bigint)"
	    " ORDER BY c.not_after DESC LIMIT 1", 2, params, &res)) != MP_OK)
		goto out;
	if ((r = mp_db_bytea_value(res, 0, 0, CA_DER_MAX, &der, &len)) != MP_OK)
		goto out;
	p = der;
	if ((s.cert = d2i_X509(NULL, &p, (long)len)) == NULL) {
		r = MP_ERR_INTEGRITY;
		goto out;
	}
	if (sans != NULL) {
		json_t *desc = ca_cert_describe(s.cert);
		bool same = desc != NULL && json_equal(json_object_get(desc, "san"), sans);

		json_decref(desc);
		if (!same) {
			r = MP_ERR_NOT_FOUND;
			goto out;
		}
	}
	if ((r = mp_key_load(env->ks, env->db, mp_db_value(res, 0, 1), &s.key)) != MP_OK ||
	    (r = ca_chain_collect(env->db, mp_db_value(res, 0, 2), false, &s.chain_pem)) != MP_OK)
		goto out;
	*out = s;
	memset(&s, 0, sizeof(s));
	r = MP_OK;
out:
	ca_service_cert_clear(&s);
	free(der);
	PQclear(res);
	return r;
}

/* Revokes (superseded) every other active certificate of service than keep_id. */
static int
supersede(const ca_env *env, const char *service, const char *keep_id)
{
	const char *params[2] = { service, keep_id };
	PGresult *res = NULL;
	int r;

	if ((r = mp_db_query(env->db, "SELECT c.id FROM certificates c JOIN identities i"
	    " ON i.id = c.id WHERE i.service = $1 AND i.status IN ('active', 'suspended')"
	    " AND c.id <> $2", 2, params, &res)) != MP_OK)
		return r;
	for (int i = 0; i < PQntuples(res) && r == MP_OK; i++) {
		json_t *row = NULL;

		r = ca_cert_revoke(env, &system_actor, NULL, mp_db_value(res, i, 0), "superseded", 0,
		    &row, NULL);
		json_decref(row);
	}
	PQclear(res);
	return r;
}

struct service_ctx {
	const ca_env *env;
	const char *service;
	const char *profile;
	const char *subject;
	const json_t *sans;
	int64_t renew_before_s;
	ca_service_cert *out;
};

static int
service_txn(mp_db *db, void *arg)
{
	struct service_ctx *c = arg;
	char key_id[MP_UUID_STR_LEN + 1];
	mp_key_spec spec = { MP_KEY_EC_P256, 0 };
	ca_issue_profile prof = { 0 };
	ca_detail d = { "", "" };
	ca_service_cert s = { 0 };
	json_t *tenant = NULL, *row = NULL;
	EVP_PKEY *pub = NULL;
	X509 *cert = NULL;
	int r;

	if ((r = mp_db_query(db, CA_BOOTSTRAP_LOCK_SQL, 0, NULL, NULL)) != MP_OK)
		goto out;
	if ((r = find_service_cert(c->env, c->service, c->sans, c->renew_before_s, c->out)) !=
	    MP_ERR_NOT_FOUND)
		goto out;
	if ((r = mp_tenant_find_by_name(db, MP_BOOTSTRAP_TENANT, &tenant)) != MP_OK ||
	    (r = ca_issue_profile_load(db, json_string_value(json_object_get(tenant, "id")),
	    c->profile, &prof, &d)) != MP_OK ||
	    (r = mp_key_generate(c->env->ks, db, &system_actor, "software", &spec, c->service,
	    key_id)) != MP_OK ||
	    (r = mp_key_load(c->env->ks, db, key_id, &s.key)) != MP_OK)
		goto out;
	if ((pub = mp_key_public(s.key)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	{
		ca_issue_in in = {
			.tenant_id = json_string_value(json_object_get(tenant, "id")),
			.tenant_name = MP_BOOTSTRAP_TENANT,
			.service = c->service,
			.profile = &prof,
			.pub = pub,
			.subject = c->subject,
			.sans = c->sans,
			.key_id = key_id,
		};

		if ((r = ca_issue_now(c->env, &system_actor, &in, &row, &cert, &d)) != MP_OK)
			goto out;
	}
	if ((r = supersede(c->env, c->service, json_string_value(json_object_get(row, "id")))) !=
	    MP_OK)
		goto out;
	if ((s.chain_pem = strdup(json_string_value(json_object_get(row, "chain_pem")))) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	s.cert = cert;
	cert = NULL;
	*c->out = s;
	memset(&s, 0, sizeof(s));
out:
	ca_service_cert_clear(&s);
	ca_issue_profile_clear(&prof);
	EVP_PKEY_free(pub);
	X509_free(cert);
	json_decref(tenant);
	json_decref(row);
	return r;
}

int
ca_service_cert_get(const ca_env *env, const char *service, const char *profile,
    const char *subject, const json_t *sans, int64_t renew_before_s, ca_service_cert *out)
{
	struct service_ctx c = { env, service, profile, subject, sans, renew_before_s, out };

	return mp_db_txn(env->db, service_txn, &c);
}

void
ca_service_cert_clear(ca_service_cert *s)
{
	X509_free(s->cert);
	mp_key_release(s->key);
	free(s->chain_pem);
	memset(s, 0, sizeof(*s));
}
