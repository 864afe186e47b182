/*
 * Issuance: a CSR (or, for the platform's own services, a public key) checked
 * against its profile and the device record, signed by the profile's CA, and
 * committed with its identity and audit entry before it is returned.
 */
#include "ca_priv.h"
#include "issue_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "certbuild.h"
#include "codec.h"
#include "dbbatch.h"
#include "csr.h"
#include "err.h"
#include "profile.h"
#include "profile_def.h"
#include "keyinfo.h"
#include "record.h"
#include "secure.h"

/* An x509 profile by id or name, the tenant's before the platform's, as profile_* columns. */
#define PROFILE_PICK(tenant, ref) \
	"SELECT id AS profile_id, name AS profile_name, body AS profile_body," \
	" approval_required AS profile_approval FROM profiles WHERE kind = 'x509'" \
	" AND (id::text = " ref " OR name = " ref ")" \
	" AND (tenant_id = " tenant " OR tenant_id = " CA_PLATFORM_TENANT_SQL ")" \
	" ORDER BY tenant_id = " tenant " DESC LIMIT 1"

static const char profile_sql[] = PROFILE_PICK("$2", "$1");

/*
 * The device records the profiles' templates read, each with its tenant's
 * name and the profile (NULL profile_* members when there is none), for a
 * batch of lookups ($1, a JSON array of {device_id, tenant_id, profile}; see
 * mp_db_batch): each row's position and its record as a JSON object, NULL
 * for a device that does not exist.
 */
static const char device_sql[] =
    "SELECT o.n, (SELECT row_to_json(x)::text FROM (SELECT d.id, d.tenant_id, d.serial,"
    " d.model, d.manufacturer, d.dev_eui, d.fdo_guid, d.attributes, d.status,"
    " t.name AS tenant_name, p.* FROM devices d JOIN tenants t ON t.id = d.tenant_id"
    " LEFT JOIN LATERAL (" PROFILE_PICK("d.tenant_id", "(o.e->>'profile')") ") p ON true"
    " WHERE d.id = (o.e->>'device_id')::uuid AND d.tenant_id = (o.e->>'tenant_id')::uuid) x)"
    " FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS o(e, n)";

mp_db_batch *
ca_device_batch_new(void)
{
	return mp_db_batch_new(device_sql, CA_ISSUE_BATCH_ROWS);
}

/* The device record of req (device_sql), through the process's batcher when there is one. */
static int
device_get(const ca_env *env, const ca_issue_req *req, json_t **out)
{
	json_t *key, *o = NULL;
	char *text = NULL;
	int r;

	if ((key = json_pack("{s:s, s:s, s:s}", "device_id", req->device_id, "tenant_id",
	    req->tenant_id, "profile", req->profile)) == NULL)
		return MP_ERR_NOMEM;
	r = env->shared != NULL ?
	    mp_db_batch_run(ca_shared_device_batch(env->shared), env->db, key, &text) :
	    mp_db_batch_one(env->db, device_sql, key, &text);
	json_decref(key);
	if (r != MP_OK)
		return r;
	if (text == NULL)
		return MP_ERR_NOT_FOUND;
	o = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_object(o)) {
		json_decref(o);
		return MP_ERR_INTERNAL;
	}
	*out = o;
	return MP_OK;
}

/*
 * Certificates with their identities (of devices that are still active, or
 * of services, from CAs that are not retired) and audit entries, one batch of
 * rows ($1, a JSON array; see mp_db_batch) in one statement: atomic without a
 * transaction of its own, one round trip and one commit for the batch.
 * Returns each committed row's position and its new id.
 */
static const char store_sql[] =
    "WITH r AS MATERIALIZED (SELECT o.n, gen_random_uuid() AS id, x.*"
    " FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS o(e, n),"
    " jsonb_to_record(o.e) AS x(tenant_id uuid, device_id uuid, service text, profile_id uuid,"
    " not_before bigint, not_after bigint, serial text, ca_id uuid, der text, subject text,"
    " key_id uuid, actor_kind text, actor_id text, details text)),"
    " d AS (SELECT id, tenant_id FROM devices WHERE id = ANY (ARRAY(SELECT device_id FROM r))"
    " AND status = 'active' FOR SHARE),"
    " ok AS (SELECT r.* FROM r WHERE (r.device_id IS NULL OR EXISTS (SELECT 1 FROM d"
    " WHERE d.id = r.device_id AND d.tenant_id = r.tenant_id))"
    " AND EXISTS (SELECT 1 FROM cas WHERE cas.id = r.ca_id AND cas.status = 'active')),"
    " i AS (INSERT INTO identities (id, tenant_id, kind, device_id, service, profile_id, status,"
    " not_before, not_after, ref)"
    " SELECT id, tenant_id, 'x509', device_id, service, profile_id, 'active',"
    " to_timestamp(not_before), to_timestamp(not_after), serial FROM ok),"
    " c AS (INSERT INTO certificates (id, tenant_id, ca_id, serial, der, subject, not_before,"
    " not_after, key_id)"
    " SELECT id, tenant_id, ca_id, decode(serial, 'hex'), decode(der, 'hex'), subject,"
    " to_timestamp(not_before), to_timestamp(not_after), key_id FROM ok),"
    " a AS (" MP_AUDIT_INSERT " SELECT tenant_id, actor_kind, actor_id, 'certificate.issue',"
    " 'certificate', id, details::jsonb FROM ok)"
    " SELECT n, id FROM ok";

mp_db_batch *
ca_issue_batch_new(void)
{
	return mp_db_batch_new(store_sql, CA_ISSUE_BATCH_ROWS);
}

void
ca_issue_profile_clear(ca_issue_profile *p)
{
	ca_profile_free(p->parsed);
	free(p->id);
	free(p->name);
	memset(p, 0, sizeof(*p));
}

/*
 * Takes the profile_* members of row (PROFILE_PICK) into *out, parsed, and
 * removes them from row. MP_ERR_NOT_FOUND (field "profile") when they are null.
 */
static int
profile_take(json_t *row, const char *ref, ca_issue_profile *out, ca_detail *d)
{
	ca_issue_profile p = { 0 };
	const char *id = json_string_value(json_object_get(row, "profile_id"));
	const char *name = json_string_value(json_object_get(row, "profile_name"));
	int r;

	if (id == NULL || name == NULL)
		return ca_refuse(d, MP_ERR_NOT_FOUND, "profile", "no x509 profile \"%s\"", ref);
	p.approval = json_is_true(json_object_get(row, "profile_approval"));
	if ((p.id = strdup(id)) == NULL || (p.name = strdup(name)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if ((r = ca_profile_parse(json_object_get(row, "profile_body"), &p.parsed, d)) != MP_OK) {
		/* a stored profile that no longer parses is our fault, not the caller's */
		r = MP_ERR_INTEGRITY;
		goto out;
	}
	json_object_del(row, "profile_id");
	json_object_del(row, "profile_name");
	json_object_del(row, "profile_body");
	json_object_del(row, "profile_approval");
	*out = p;
	memset(&p, 0, sizeof(p));
	r = MP_OK;
out:
	ca_issue_profile_clear(&p);
	return r;
}

int
ca_issue_profile_load(mp_db *db, const char *tenant_id, const char *ref, ca_issue_profile *out,
    ca_detail *d)
{
	const char *params[2] = { ref, tenant_id };
	json_t *row = NULL;
	int r;

	if ((r = mp_record_get(db, profile_sql, 2, params, &row)) == MP_OK)
		r = profile_take(row, ref, out, d);
	else if (r == MP_ERR_NOT_FOUND)
		ca_refuse(d, r, "profile", "no x509 profile \"%s\"", ref);
	json_decref(row);
	return r;
}

struct store_ctx {
	const mp_actor *actor;
	const ca_issue_in *in;
	const ca_signer *ca;
	const char *serial_hex;
	const char *der_hex;
	const char *subject;
	int64_t not_before, not_after;
	char id[MP_UUID_STR_LEN + 1];
};

/*
 * Commits the certificate (store_sql), in a batch with other threads' when
 * the environment has a batcher; MP_ERR_CONFLICT when the device is no
 * longer active or the CA was retired meanwhile.
 */
static int
store(const ca_env *env, struct store_ctx *s)
{
	const ca_issue_in *in = s->in;
	json_t *details = NULL, *row = NULL;
	char *text = NULL, *id = NULL, na[24];
	int r;

	mp_record_time(s->not_after, na);
	if ((details = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s}", "serial", s->serial_hex,
	    "ca_id", s->ca->id, "profile", in->profile->name, "subject", s->subject, "device_id",
	    in->device_id, "service", in->service, "not_after", na)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if ((r = mp_audit_details_text(details, &text)) != MP_OK)
		goto out;
	if ((row = json_pack("{s:s, s:s?, s:s?, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s?, s:s, s:s,"
	    " s:s}", "tenant_id", in->tenant_id, "device_id", in->device_id, "service", in->service,
	    "profile_id", in->profile->id, "not_before", (json_int_t)s->not_before, "not_after",
	    (json_int_t)s->not_after, "serial", s->serial_hex, "ca_id", s->ca->id, "der",
	    s->der_hex, "subject", s->subject, "key_id", in->key_id, "actor_kind", s->actor->kind,
	    "actor_id", s->actor->id, "details", text)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	r = env->shared != NULL ? mp_db_batch_run(ca_shared_batch(env->shared), env->db, row, &id) :
	    mp_db_batch_one(env->db, store_sql, row, &id);
	if (r != MP_OK)
		goto out;
	snprintf(s->id, sizeof(s->id), "%s", id != NULL ? id : "");
out:
	json_decref(details);
	json_decref(row);
	free(text);
	free(id);
	return r;
}

/* The object a caller gets for a certificate just committed. */
static int
issued_object(const struct store_ctx *s, const uint8_t *der, size_t len, int64_t nb, int64_t na,
    json_t **out)
{
	char *pem = NULL, nbs[32], nas[32];
	json_t *o;
	int r;

	if ((r = ca_pem_append_der(&pem, der, len)) != MP_OK)
		return r;
	ca_time_text(nb, nbs);
	ca_time_text(na, nas);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s, s:s}",
	    "id", s->id, "tenant_id", s->in->tenant_id, "serial", s->serial_hex,
	    "certificate_pem", pem, "chain_pem", s->ca->chain_pem, "not_before", nbs,
	    "not_after", nas, "status", "active", "ca_id", s->ca->id, "device_id",
	    s->in->device_id, "service", s->in->service, "profile_id", s->in->profile->id,
	    "profile", s->in->profile->name);
	free(pem);
	if (o == NULL)
		return MP_ERR_NOMEM;
	*out = o;
	return MP_OK;
}

/* ca_signer_load through the process's signer cache when there is one. */
static int
issuing_signer(const ca_env *env, const char *tenant_id, const char *ref, ca_signer *out)
{
	int r;

	if (env->shared == NULL)
		return ca_signer_load(env, tenant_id, ref, out);
	if (ca_shared_signer_get(env->shared, tenant_id, ref, out) == MP_OK)
		return MP_OK;
	if ((r = ca_signer_load(env, tenant_id, ref, out)) == MP_OK)
		ca_shared_signer_put(env->shared, tenant_id, ref, out);
	return r;
}

/*
 * The commit refused the certificate: its device is no longer active or its
 * CA was retired since the (possibly cached) signer was read. Reads the CA
 * again, refreshing the cache, to say which.
 */
static void
refuse_commit(const ca_env *env, const ca_issue_in *in, const ca_signer *ca, ca_detail *d)
{
	const char *ref = in->ca_id != NULL ? in->ca_id : ca_profile_ca(in->profile->parsed);
	ca_signer fresh = { 0 };
	bool retired = ca_signer_load(env, in->tenant_id, ref, &fresh) == MP_OK && !fresh.active;

	if (env->shared != NULL && fresh.id[0] != '\0')
		ca_shared_signer_put(env->shared, in->tenant_id, ref, &fresh);
	ca_signer_clear(&fresh);
	if (retired)
		ca_refuse(d, MP_ERR_CONFLICT, "profile.ca", "CA %s cannot issue (retired)", ca->id);
	else if (in->device_id != NULL)
		ca_refuse(d, MP_ERR_CONFLICT, "device", "the device is no longer active");
	else
		ca_refuse(d, MP_ERR_CONFLICT, "profile.ca", "CA %s cannot issue", ca->id);
}

int
ca_issue_now(const ca_env *env, const mp_actor *actor, const ca_issue_in *in, json_t **out,
    X509 **cert_out, ca_detail *d)
{
	ca_signer ca = { 0 };
	uint8_t serial[CA_SERIAL_LEN], *der = NULL;
	char *serial_hex = NULL, *der_hex = NULL, *subject = NULL;
	X509 *x = NULL;
	ca_urls urls;
	size_t len;
	int64_t not_before = (int64_t)time(NULL), not_after;
	int r;

	if ((r = issuing_signer(env, in->tenant_id, in->ca_id != NULL ? in->ca_id :
	    ca_profile_ca(in->profile->parsed), &ca)) != MP_OK) {
		if (r == MP_ERR_NOT_FOUND)
			r = ca_refuse(d, MP_ERR_CONFLICT, "profile.ca", "profile %s names CA \"%s\","
			    " which does not exist", in->profile->name, in->ca_id != NULL ? in->ca_id :
			    ca_profile_ca(in->profile->parsed));
		goto out;
	}
	if (ca.key == NULL || !ca.active) {
		r = ca_refuse(d, MP_ERR_CONFLICT, "profile.ca", "CA %s cannot issue (%s)", ca.id,
		    ca.key == NULL ? "trusted only" : "retired");
		goto out;
	}
	if ((r = ca_serial_new(serial)) != MP_OK)
		goto out;
	ca_urls_of(env, ca.id, &urls);
	{
		ca_cert_input ci = {
			.profile = in->profile->parsed,
			.profile_name = in->profile->name,
			.csr = in->csr,
			.pub = in->pub,
			.subject = in->subject,
			.sans = in->sans,
			.device = in->device,
			.tenant_name = in->tenant_name,
			.issuer = ca.cert,
			.serial = serial,
			.serial_len = sizeof(serial),
			.not_before = not_before,
			.validity_s = in->validity_s,
			.crl_url = urls.crl,
			.delta_crl_url = urls.delta_crl,
			.ocsp_url = urls.ocsp,
			.ca_issuers_url = urls.ca_issuers,
		};

		if ((r = ca_cert_build(&ci, &x, d)) != MP_OK)
			goto out;
	}
	if ((r = mp_key_sign_x509(ca.key, x)) != MP_OK)
		goto out;
	if ((not_before = ca_time_of(X509_get0_notBefore(x))) < 0 ||
	    (not_after = ca_time_of(X509_get0_notAfter(x))) < 0) {
		r = MP_ERR_INTERNAL;
		goto out;
	}
	if ((r = ca_x509_der(x, &der, &len)) != MP_OK ||
	    (r = mp_hex_encode(der, len, &der_hex)) != MP_OK ||
	    (r = mp_hex_encode(serial, sizeof(serial), &serial_hex)) != MP_OK ||
	    (r = ca_name_text(X509_get_subject_name(x), &subject)) != MP_OK)
		goto out;
	{
		struct store_ctx s = { actor, in, &ca, serial_hex, der_hex, subject, not_before,
			not_after, "" };

		if ((r = store(env, &s)) != MP_OK) {
			if (r == MP_ERR_CONFLICT)
				refuse_commit(env, in, &ca, d);
			goto out;
		}
		if ((r = issued_object(&s, der, len, not_before, not_after, out)) != MP_OK)
			goto out;
	}
	if (cert_out != NULL) {
		*cert_out = x;
		x = NULL;
	}
	r = MP_OK;
out:
	ca_signer_clear(&ca);
	X509_free(x);
	OPENSSL_free(der);
	free(der_hex);
	free(serial_hex);
	free(subject);
	return r;
}

/* Records a request for approval: 202 material. */
static int
request_pending(const ca_env *env, const mp_actor *actor, const ca_issue_req *req,
    const ca_issue_profile *p, json_t **out)
{
	char requester[128], *csr_hex = NULL, validity[24];
	const char *params[6];
	int r;

	snprintf(requester, sizeof(requester), "%s:%s", actor->kind, actor->id);
	mp_record_time(req->validity_s, validity);
	if ((r = mp_db_bytea_param((const uint8_t *)req->csr, req->csr_len, &csr_hex)) != MP_OK)
		return r;
	params[0] = req->tenant_id;
	params[1] = req->device_id;
	params[2] = p->id;
	params[3] = csr_hex;
	params[4] = requester;
	params[5] = validity;
	r = mp_record_insert(env->db, actor, "request.create", "certificate_request",
	    "INSERT INTO certificate_requests (tenant_id, device_id, profile_id, csr, requested_by,"
	    " validity_s) VALUES ($1, $2, $3, $4::bytea, $5, $6::bigint) RETURNING " CA_REQUEST_COLUMNS,
	    6, params, NULL, out);
	free(csr_hex);
	return r;
}

/*
 * The device's request for the same key, for ca_issue_repeatable:
 * MP_ERR_NOT_FOUND when there is none.
 */
static int
earlier_request(const ca_env *env, const ca_issue_req *req, json_t **out, bool *pending,
    ca_detail *d)
{
	const char *status;
	json_t *rq = NULL;
	int r;

	if ((r = ca_request_find_key(env->db, req->tenant_id, req->device_id,
	    (const uint8_t *)req->csr, req->csr_len, &rq)) != MP_OK)
		return r;
	status = json_string_value(json_object_get(rq, "status"));
	if (strcmp(status, "rejected") == 0) {
		json_decref(rq);
		return ca_refuse(d, MP_ERR_DENIED, "request", "was rejected by an operator");
	}
	*pending = strcmp(status, "pending") == 0;
	*out = rq;
	return MP_OK;
}

/*
 * Proof-of-possession linking (RFC 7030 3.5): the CSR's challengePassword
 * against the channel binding of the connection, as the profile wants it.
 */
static int
channel_binding_check(const ca_profile *p, const ca_csr *csr, const char *binding,
    ca_detail *d)
{
	ca_channel_binding want = ca_profile_channel_binding(p);
	const char *pw = csr->challenge_password;

	if (want == CA_CB_NONE || (want == CA_CB_OPTIONAL && (pw == NULL || binding == NULL)))
		return MP_OK;
	if (binding == NULL)
		return ca_refuse(d, MP_ERR_POLICY, "csr.challengePassword", "the profile links the"
		    " request to its TLS channel, which this path has none of");
	if (pw == NULL)
		return ca_refuse(d, MP_ERR_POLICY, "csr.challengePassword", "must carry the TLS"
		    " channel binding (tls-unique on TLS 1.2, tls-exporter on TLS 1.3), base64");
	if (!mp_ct_equal(pw, strlen(pw), binding, strlen(binding)))
		return ca_refuse(d, MP_ERR_POLICY, "csr.challengePassword", "does not match the"
		    " TLS channel binding of this connection");
	return MP_OK;
}

/* A fresh key for profile p: P-256, else P-384, else RSA (3072 bits or the profile's least), else Ed25519. */
static EVP_PKEY *
keygen_for(const ca_profile *p)
{
	if ((p->key_kinds & CA_KEY_EC_P256) != 0)
		return EVP_EC_gen("P-256");
	if ((p->key_kinds & CA_KEY_EC_P384) != 0)
		return EVP_EC_gen("P-384");
	if ((p->key_kinds & CA_KEY_RSA) != 0)
		return EVP_RSA_gen(p->rsa_min_bits > 3072 ? p->rsa_min_bits : 3072);
	return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
}

/* Makes csr ask for key instead of its own: what the certificate will certify. */
static int
csr_use_key(ca_csr *csr, EVP_PKEY *key)
{
	X509_PUBKEY *xpk = NULL;
	const unsigned char *bits;
	X509_ALGOR *alg0, *alg = NULL;
	uint8_t *copy = NULL;
	int n, r = MP_ERR_NOMEM;

	if (!X509_PUBKEY_set(&xpk, key) || !X509_PUBKEY_get0_param(NULL, &bits, &n, &alg0, xpk) ||
	    n <= 0 || (alg = X509_ALGOR_dup(alg0)) == NULL ||
	    (copy = OPENSSL_memdup(bits, (size_t)n)) == NULL || !EVP_PKEY_up_ref(key))
		goto out;
	EVP_PKEY_free(csr->pub);
	X509_ALGOR_free(csr->spki_alg);
	OPENSSL_free(csr->spki_bits);
	csr->pub = key;
	csr->spki_alg = alg;
	csr->spki_bits = copy;
	csr->spki_bits_len = (size_t)n;
	alg = NULL;
	copy = NULL;
	r = MP_OK;
out:
	X509_ALGOR_free(alg);
	OPENSSL_free(copy);
	X509_PUBKEY_free(xpk);
	return r;
}

/* ca_issue_for_device, with reuse answering from an earlier request (ca_issue_repeatable). */
static int
issue_device(const ca_env *env, const mp_actor *actor, const ca_issue_req *req,
    bool allow_pending, bool reuse, EVP_PKEY **keygen, json_t **out, bool *pending, ca_detail *d)
{
	EVP_PKEY *key = NULL;
	ca_issue_profile p = { 0 };
	ca_csr *csr = NULL;
	json_t *device = NULL;
	int r;

	if (req->tenant_id == NULL || req->device_id == NULL)
		return ca_refuse(d, MP_ERR_INVALID, "device", "is required");
	if (req->profile == NULL)
		return ca_refuse(d, MP_ERR_INVALID, "profile", "is required");
	if (req->validity_s < 0)
		return ca_refuse(d, MP_ERR_INVALID, "validity", "must be positive");
	if ((r = ca_csr_decode((const uint8_t *)req->csr, req->csr_len, &csr, d)) != MP_OK)
		goto out;
	if ((r = device_get(env, req, &device)) != MP_OK) {
		if (r == MP_ERR_NOT_FOUND)
			ca_refuse(d, r, "device", "no such device");
		goto out;
	}
	if (strcmp(json_string_value(json_object_get(device, "status")), "active") != 0) {
		r = ca_refuse(d, MP_ERR_CONFLICT, "device", "is %s",
		    json_string_value(json_object_get(device, "status")));
		goto out;
	}
	if ((r = profile_take(device, req->profile, &p, d)) != MP_OK)
		goto out;
	/* checked when the request is made; an approval issues what was checked then */
	if (allow_pending && (r = channel_binding_check(p.parsed, csr, req->channel_binding, d)) !=
	    MP_OK)
		goto out;
	if (keygen != NULL) {
		if (p.approval) {
			r = ca_refuse(d, MP_ERR_POLICY, "profile", "profile %s needs approval, and a key"
			    " made here is not kept until then", p.name);
			goto out;
		}
		if ((key = keygen_for(p.parsed)) == NULL) {
			r = MP_ERR_CRYPTO;
			goto out;
		}
		if ((r = csr_use_key(csr, key)) != MP_OK)
			goto out;
	}
	if (p.approval && allow_pending) {
		r = reuse ? earlier_request(env, req, out, pending, d) : MP_ERR_NOT_FOUND;
		if (r == MP_ERR_NOT_FOUND && (r = request_pending(env, actor, req, &p, out)) == MP_OK)
			*pending = true;
		goto out;
	}
	{
		ca_issue_in in = {
			.tenant_id = req->tenant_id,
			.tenant_name = json_string_value(json_object_get(device, "tenant_name")),
			.device_id = req->device_id,
			.device = device,
			.profile = &p,
			.csr = csr,
			.validity_s = req->validity_s,
		};

		if ((r = ca_issue_now(env, actor, &in, out, NULL, d)) != MP_OK)
			goto out;
		*pending = false;
	}
	if (keygen != NULL) {
		*keygen = key;
		key = NULL;
	}
out:
	EVP_PKEY_free(key);
	ca_issue_profile_clear(&p);
	ca_csr_free(csr);
	json_decref(device);
	return r;
}

int
ca_issue_for_device(const ca_env *env, const mp_actor *actor, const ca_issue_req *req,
    bool allow_pending, EVP_PKEY **keygen, json_t **out, bool *pending, ca_detail *d)
{
	return issue_device(env, actor, req, allow_pending, false, keygen, out, pending, d);
}

int
ca_issue_repeatable(const ca_env *env, const mp_actor *actor, const ca_issue_req *req,
    json_t **out, bool *pending, ca_detail *detail)
{
	return issue_device(env, actor, req, true, true, NULL, out, pending, detail);
}

int
ca_issue(const ca_env *env, const mp_actor *actor, const ca_issue_req *req, json_t **out,
    bool *pending, ca_detail *detail)
{
	return ca_issue_for_device(env, actor, req, true, NULL, out, pending, detail);
}

int
ca_issue_keygen(const ca_env *env, const mp_actor *actor, const ca_issue_req *req,
    json_t **out, uint8_t **pkcs8, size_t *pkcs8_len, ca_detail *detail)
{
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *key = NULL;
	json_t *cert = NULL;
	unsigned char *der = NULL;
	bool pending = false;
	int n, r;

	if ((r = ca_issue_for_device(env, actor, req, true, &key, &cert, &pending, detail)) != MP_OK)
		goto out;
	if ((p8 = EVP_PKEY2PKCS8(key)) == NULL || (n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der)) <= 0) {
		r = MP_ERR_CRYPTO;
		goto out;
	}
	*out = cert;
	cert = NULL;
	*pkcs8 = der;
	*pkcs8_len = (size_t)n;
	r = MP_OK;
out:
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_PKEY_free(key);
	json_decref(cert);
	return r;
}
