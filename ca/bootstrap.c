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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>

#include "buf.h"
#include "engine.h"
#include "err.h"
#include "num.h"
#include "profile.h"
#include "record.h"
#include "tenants.h"

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
	for (size_t i = 0; i < n; i++)
		if ((r = mp_profile_ensure(db, &system_actor, platform, b[i].name, "x509",
		    b[i].body_json, b[i].approval_required)) != MP_OK)
			return r;
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
	uint64_t not_after;
	int r;

	mp_record_time(renew_before_s, renew);
	if ((r = mp_db_query_row(env->db, "SELECT c.der, c.key_id, c.ca_id, c.id,"
	    " floor(extract(epoch FROM c.not_after))::bigint FROM certificates c"
	    " JOIN identities i ON i.id = c.id WHERE i.service = $1 AND i.status = 'active'"
	    " AND c.key_id IS NOT NULL AND c.not_after > now() + make_interval(secs => $2::bigint)"
	    " ORDER BY c.not_after DESC, c.created_at DESC LIMIT 1", 2, params, &res)) != MP_OK)
		goto out;
	if ((r = mp_db_bytea_value(res, 0, 0, CA_DER_MAX, &der, &len)) != MP_OK)
		goto out;
	p = der;
	if ((s.cert = d2i_X509(NULL, &p, (long)len)) == NULL ||
	    mp_parse_u64(mp_db_value(res, 0, 4), INT64_MAX, &not_after) != MP_OK) {
		r = MP_ERR_INTEGRITY;
		goto out;
	}
	s.not_after = (int64_t)not_after;
	if (sans != NULL) {
		json_t *desc = ca_cert_describe(s.cert);
		bool same = desc != NULL && json_equal(json_object_get(desc, "san"), sans);

		json_decref(desc);
		if (!same) {
			r = MP_ERR_NOT_FOUND;
			goto out;
		}
	}
	snprintf(s.id, sizeof(s.id), "%s", mp_db_value(res, 0, 3));
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
	const ca_signer *ca; /* the issuing CA and the identity's tenant; NULL: the profile's CA */
	bool notify_ocsp;    /* tell OCSP responders when a new certificate was made */
	bool made;           /* set when it was */
	ca_service_cert got; /* the result, kept here until the transaction commits */
};

/*
 * The platform tenant (always: the profile is the platform's) and the tenant
 * of the new identity: the issuing CA's when one is given, else the platform.
 */
static int
service_tenants(mp_db *db, const struct service_ctx *c, json_t **platform, json_t **owner)
{
	json_t *p = NULL, *o = NULL;
	int r;

	if ((r = mp_tenant_find_by_name(db, MP_BOOTSTRAP_TENANT, &p)) != MP_OK)
		goto out;
	if (c->ca != NULL && strcmp(c->ca->tenant_id, json_string_value(json_object_get(p, "id")))
	    != 0 && (r = mp_tenant_get(db, c->ca->tenant_id, &o)) != MP_OK)
		goto out;
	if (o == NULL)
		o = json_incref(p);
	*platform = p;
	*owner = o;
	p = o = NULL;
	r = MP_OK;
out:
	json_decref(p);
	json_decref(o);
	return r;
}

static int
service_txn(mp_db *db, void *arg)
{
	struct service_ctx *c = arg;
	char key_id[MP_UUID_STR_LEN + 1];
	mp_key_spec spec = { MP_KEY_EC_P256, 0 };
	ca_issue_profile prof = { 0 };
	ca_detail d = { "", "" };
	ca_service_cert s = { 0 };
	json_t *platform = NULL, *owner = NULL, *row = NULL;
	EVP_PKEY *pub = NULL;
	X509 *cert = NULL;
	int r;

	/* a retried transaction starts again */
	ca_service_cert_clear(&c->got);
	c->made = false;
	/* the common case, a current certificate, without the lock */
	if ((r = find_service_cert(c->env, c->service, c->sans, c->renew_before_s, &c->got)) !=
	    MP_ERR_NOT_FOUND)
		goto out;
	if ((r = mp_db_query(db, CA_BOOTSTRAP_LOCK_SQL, 0, NULL, NULL)) != MP_OK)
		goto out;
	if ((r = find_service_cert(c->env, c->service, c->sans, c->renew_before_s, &c->got)) !=
	    MP_ERR_NOT_FOUND)
		goto out;
	if ((r = service_tenants(db, c, &platform, &owner)) != MP_OK ||
	    (r = ca_issue_profile_load(db, json_string_value(json_object_get(platform, "id")),
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
			.tenant_id = json_string_value(json_object_get(owner, "id")),
			.tenant_name = json_string_value(json_object_get(owner, "name")),
			.service = c->service,
			.profile = &prof,
			.pub = pub,
			.subject = c->subject,
			.sans = c->sans,
			.key_id = key_id,
			.ca_id = c->ca != NULL ? c->ca->id : NULL,
		};

		if ((r = ca_issue_now(c->env, &system_actor, &in, &row, &cert, &d)) != MP_OK)
			goto out;
	}
	snprintf(s.id, sizeof(s.id), "%s", json_string_value(json_object_get(row, "id")));
	if ((r = supersede(c->env, c->service, s.id)) != MP_OK)
		goto out;
	if (c->notify_ocsp && (r = mp_db_query(db, "SELECT pg_notify('" CA_OCSP_CHANNEL "', '*')",
	    0, NULL, NULL)) != MP_OK)
		goto out;
	if ((s.not_after = ca_time_of(X509_get0_notAfter(cert))) < 0) {
		r = MP_ERR_INTERNAL;
		goto out;
	}
	if ((s.chain_pem = strdup(json_string_value(json_object_get(row, "chain_pem")))) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	s.cert = cert;
	cert = NULL;
	c->got = s;
	memset(&s, 0, sizeof(s));
	c->made = true;
out:
	ca_service_cert_clear(&s);
	ca_issue_profile_clear(&prof);
	EVP_PKEY_free(pub);
	X509_free(cert);
	json_decref(platform);
	json_decref(owner);
	json_decref(row);
	return r;
}

int
ca_service_cert_get(const ca_env *env, const char *service, const char *profile,
    const char *subject, const json_t *sans, int64_t renew_before_s, ca_service_cert *out)
{
	struct service_ctx c = { env, service, profile, subject, sans, renew_before_s, NULL, false,
		false, { .key = NULL } };
	int r;

	if ((r = mp_db_txn(env->db, service_txn, &c)) == MP_OK) {
		*out = c.got;
		memset(&c.got, 0, sizeof(c.got));
	}
	ca_service_cert_clear(&c.got);
	return r;
}

/* The longest common name (RFC 5280 ub-common-name) and our prefix before the CA's. */
#define CN_MAX_CHARS 64
#define SIGNER_CN_PREFIX "OCSP signer for "

/*
 * "CN=OCSP signer for <CN of ca>,O=MIDPKI" in a new string, the CA's common
 * name (its id when it has none) escaped for ca_subject_parse and cut to fit
 * 64 characters.
 */
static int
signer_subject(const ca_signer *ca, char **out)
{
	const X509_NAME *name = X509_get_subject_name(ca->cert);
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	unsigned char *cn = NULL;
	const char *src = ca->id;
	size_t chars = 0, room = CN_MAX_CHARS - (sizeof(SIGNER_CN_PREFIX) - 1);
	mp_buf *b = NULL;
	int n = -1, r = MP_ERR_NOMEM;

	if (i >= 0 && (n = ASN1_STRING_to_UTF8(&cn,
	    X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)))) > 0 &&
	    memchr(cn, '\0', (size_t)n) == NULL)
		src = (const char *)cn;
	if ((b = mp_buf_new(1024)) == NULL ||
	    mp_buf_put_str(b, "CN=" SIGNER_CN_PREFIX) != MP_OK)
		goto out;
	for (const char *p = src; *p != '\0'; p++) {
		/* a UTF-8 continuation byte belongs to the character before it */
		if (((unsigned char)*p & 0xc0) != 0x80 && chars++ == room)
			break;
		if (strchr(",+=\\\"<>;#", *p) != NULL && mp_buf_put_u8(b, '\\') != MP_OK)
			goto out;
		if (mp_buf_put_u8(b, (uint8_t)*p) != MP_OK)
			goto out;
	}
	if (mp_buf_put_str(b, ",O=MIDPKI") != MP_OK || (*out = strdup(mp_buf_str(b))) == NULL)
		goto out;
	r = MP_OK;
out:
	OPENSSL_free(cn);
	mp_buf_free(b);
	return r;
}

/* ca_ocsp_signer_get; *made says whether the signer is a new one. */
static int
ocsp_signer_get(const ca_env *env, const char *ca_id, int64_t renew_before_s,
    ca_service_cert *out, bool *made)
{
	ca_signer ca = { 0 };
	char service[8 + MP_UUID_STR_LEN], *subject = NULL;
	int64_t left;
	int r;

	if ((r = ca_signer_load(env, NULL, ca_id, &ca)) != MP_OK)
		goto out;
	if (ca.key == NULL) {
		r = MP_ERR_UNSUPPORTED;
		goto out;
	}
	snprintf(service, sizeof(service), "ocsp:%s", ca.id);
	if (!ca.active) {
		r = find_service_cert(env, service, NULL, 0, out);
		goto out;
	}
	/* a CA that ends sooner cannot give more: a signer that ends with it will do */
	if ((left = ca_time_of(X509_get0_notAfter(ca.cert)) - (int64_t)time(NULL) - 60) <
	    renew_before_s)
		renew_before_s = left > 0 ? left : 0;
	if ((r = signer_subject(&ca, &subject)) != MP_OK)
		goto out;
	{
		struct service_ctx c = { env, service, "ocsp-signer", subject, NULL, renew_before_s,
			&ca, true, false, { .key = NULL } };

		if ((r = mp_db_txn(env->db, service_txn, &c)) == MP_OK) {
			*out = c.got;
			memset(&c.got, 0, sizeof(c.got));
			*made = c.made;
		}
		ca_service_cert_clear(&c.got);
	}
out:
	free(subject);
	ca_signer_clear(&ca);
	return r;
}

int
ca_ocsp_signer_get(const ca_env *env, const char *ca_id, int64_t renew_before_s,
    ca_service_cert *out)
{
	bool made = false;

	return ocsp_signer_get(env, ca_id, renew_before_s, out, &made);
}

int
ca_ocsp_signers_ensure(const ca_env *env, int64_t renew_before_s, unsigned *made)
{
	PGresult *res = NULL;
	unsigned n = 0;
	int r, first = MP_OK;

	if ((r = mp_db_query(env->db, "SELECT id FROM cas WHERE key_id IS NOT NULL"
	    " AND status = 'active' ORDER BY id", 0, NULL, &res)) != MP_OK)
		return r;
	for (int i = 0; i < PQntuples(res); i++) {
		ca_service_cert s = { 0 };
		bool new_one = false;

		if ((r = ocsp_signer_get(env, mp_db_value(res, i, 0), renew_before_s, &s, &new_one)) !=
		    MP_OK && first == MP_OK)
			first = r;
		n += new_one;
		ca_service_cert_clear(&s);
	}
	PQclear(res);
	if (made != NULL)
		*made = n;
	return first;
}

void
ca_service_cert_clear(ca_service_cert *s)
{
	X509_free(s->cert);
	mp_key_release(s->key);
	free(s->chain_pem);
	memset(s, 0, sizeof(*s));
}
