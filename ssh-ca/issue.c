/*
 * User and host certificates: the request checked against the user's or the
 * device's record and the ssh-user or ssh-host profile, signed by the
 * tenant's CA, committed with its identity and audit entry; and the reads of
 * issued certificates.
 */
#include "sshca.h"
#include "sshca_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert.h"
#include "engine.h"
#include "dbbatch.h"
#include "err.h"
#include "sshprofile.h"
#include "record.h"
#include "secure.h"
#include "sshkey.h"

#define CERT_COLUMNS \
	"s.id, s.tenant_id, s.ca_id, s.ca_key_id, s.serial::text AS serial, s.kind, s.key_id," \
	" to_json(s.principals) AS principals, s.public_key, s.fingerprint, s.certificate," \
	" s.valid_after, s.valid_before, CASE WHEN s.revoked_at IS NOT NULL THEN 'revoked'" \
	" WHEN s.valid_before <= now() THEN 'expired' ELSE i.status END AS status, i.user_id," \
	" i.device_id, i.profile_id, s.created_at"
#define CERT_FROM " FROM ssh_certificates s JOIN identities i ON i.id = s.id"

/*
 * What an issuance needs, in one round trip: the profile of kind $3 by id or
 * name $1 (the tenant's before the platform's), the name of tenant $2, the
 * tenant's active CA of kind $4 that the profile names (default $5) with its
 * newest active key (NULL when there is none yet), and the subject $6 of
 * tenant $2 (a user for kind "user", else a device; NULL when there is no
 * such) with what principals and the key id take from it.
 */
static const char policy_sql[] =
    "SELECT p.id, p.name, p.body, t.name AS tenant_name, c.id AS ca_id, k.key_id AS ca_key_id,"
    " CASE WHEN $4 = 'user' THEN (SELECT json_build_object('id', u.id, 'name', u.name,"
    " 'status', u.status, 'attributes', u.attributes, 'roles', coalesce((SELECT"
    " jsonb_agg(role ORDER BY role) FROM user_roles WHERE user_id = u.id), '[]'))"
    " FROM users u WHERE u.id = $6::uuid AND u.tenant_id = $2)"
    " ELSE (SELECT json_build_object('id', d.id, 'serial', d.serial, 'status', d.status,"
    " 'attributes', d.attributes) FROM devices d WHERE d.id = $6::uuid AND d.tenant_id = $2)"
    " END AS subject"
    " FROM (SELECT id, name, body FROM profiles WHERE kind = $3"
    " AND (id::text = $1 OR name = $1) AND (tenant_id = $2 OR tenant_id ="
    " (SELECT id FROM tenants WHERE name = '" MP_BOOTSTRAP_TENANT "'))"
    " ORDER BY tenant_id = $2 DESC LIMIT 1) p JOIN tenants t ON t.id = $2"
    " LEFT JOIN ssh_cas c ON c.tenant_id = $2 AND c.kind = $4 AND c.status = 'active'"
    " AND c.name = COALESCE(p.body->>'ca', $5)"
    " LEFT JOIN LATERAL (SELECT key_id FROM ssh_ca_keys WHERE ca_id = c.id"
    " AND status = 'active' ORDER BY created_at DESC, key_id LIMIT 1) k ON true";

static const char ca_sql[] =
    "SELECT id FROM ssh_cas WHERE tenant_id = $1 AND name = $2 AND kind = $3"
    " AND status = 'active'";

/* A request of either kind, as the public functions take it. */
struct issue_in {
	sshca_cert_kind kind;
	const char *tenant_id;
	const char *subject_id;       /* the user or the device */
	const char *public_key;
	size_t public_key_len;
	uint64_t ttl_s;
	const char *profile;
	const json_t *principals;
	const char *request_id;
	uint64_t valid_after;         /* 0: now less the backdate */
};

/* The names of a kind: its profile kind, its CA kind, the subject's word. */
struct kind_names {
	const char *profile_kind;     /* "ssh-user" */
	const char *ca_kind;          /* "user" */
	const char *subject;          /* "user" */
	const char *default_profile;
	const char *default_ca;
	const char *key_id_name;      /* the subject's member in the key id: "name", "serial" */
};

static const struct kind_names user_names = { "ssh-user", "user", "user",
	SSHCA_TECHNICIAN_PROFILE, SSHCA_DEFAULT_USER_CA, "name" };
static const struct kind_names host_names = { "ssh-host", "host", "device",
	SSHCA_DEVICE_HOST_PROFILE, SSHCA_DEFAULT_HOST_CA, "serial" };

struct issue_try;

struct issue_ctx {
	const sshca_env *env;
	const mp_actor *actor;
	const struct issue_in *in;
	const struct kind_names *names;
	const sshca_pubkey *key;
	mp_detail *d;
	struct issue_try *t;          /* the issuance under way (ca_txn) */
};

/* The state of one issuance; cleared after it. */
struct issue_try {
	json_t *subject;
	json_t *profile_row;
	sshca_profile *profile;
	char **principals;
	size_t n_principals;
	char id[MP_UUID_STR_LEN + 1];
	char *ca_id;
	char *ca_key_id;
	mp_key *ca_key;
	char *tenant_name;
};

static void
try_clear(struct issue_try *t)
{
	json_decref(t->subject);
	json_decref(t->profile_row);
	sshca_profile_free(t->profile);
	sshca_principals_free(t->principals);
	free(t->ca_id);
	free(t->ca_key_id);
	mp_key_release(t->ca_key);
	free(t->tenant_name);
}

/* The user or the device policy_sql found, which must be active. */
static int
check_subject(struct issue_ctx *c, struct issue_try *t)
{
	const char *who = c->names->subject;
	const char *status;

	t->subject = json_incref(json_object_get(t->profile_row, "subject"));
	if (!json_is_object(t->subject))
		return mp_refuse(c->d, MP_ERR_NOT_FOUND, who, "no such %s in the tenant", who);
	status = json_string_value(json_object_get(t->subject, "status"));
	if (status == NULL || strcmp(status, "active") != 0)
		return mp_refuse(c->d, MP_ERR_POLICY, who, "the %s is %s", who,
		    status != NULL ? status : "unknown");
	return MP_OK;
}

/* A string member of o in a new allocation, or NULL (*out NULL) when it is null or absent. */
static int
dup_member(const json_t *o, const char *key, char **out)
{
	const char *v = json_string_value(json_object_get(o, key));

	*out = NULL;
	if (v == NULL)
		return MP_OK;
	return (*out = strdup(v)) == NULL ? MP_ERR_NOMEM : MP_OK;
}

/* The profile, the tenant's name, the subject, and the CA with its signing key when it exists. */
static int
load_policy(struct issue_ctx *c, struct issue_try *t)
{
	const char *ref = c->in->profile != NULL ? c->in->profile : c->names->default_profile;
	const char *params[6] = { ref, c->in->tenant_id, c->names->profile_kind,
		c->names->ca_kind, c->names->default_ca, c->in->subject_id };
	mp_detail ignored;
	int r;

	if ((r = mp_record_get(c->env->db, policy_sql, 6, params, &t->profile_row)) != MP_OK) {
		if (r == MP_ERR_NOT_FOUND)
			mp_detail_set(c->d, "profile", "no %s profile \"%.128s\"",
			    c->names->profile_kind, ref);
		return r;
	}
	/* a stored profile that no longer parses is our fault, not the caller's */
	if (sshca_profile_parse(json_object_get(t->profile_row, "body"), c->in->kind, &t->profile,
	    &ignored) != MP_OK)
		return MP_ERR_INTEGRITY;
	if ((r = dup_member(t->profile_row, "tenant_name", &t->tenant_name)) != MP_OK ||
	    (r = dup_member(t->profile_row, "ca_id", &t->ca_id)) != MP_OK ||
	    (r = dup_member(t->profile_row, "ca_key_id", &t->ca_key_id)) != MP_OK)
		return r;
	if (t->ca_key_id != NULL)
		r = mp_key_load(c->env->ks, c->env->db, t->ca_key_id, &t->ca_key);
	return r;
}

/* The tenant's CA the profile names; the default CA of the kind is made on first use. */
static int
find_ca(struct issue_ctx *c, struct issue_try *t)
{
	const char *params[3] = { c->in->tenant_id, t->profile->ca, c->names->ca_kind };
	sshca_ca_new nc = { c->in->tenant_id, c->names->default_ca, c->names->ca_kind, NULL,
		NULL };
	PGresult *res = NULL;
	json_t *ca = NULL;
	int r;

	r = mp_db_query_row(c->env->db, ca_sql, 3, params, &res);
	if (r == MP_ERR_NOT_FOUND && strcmp(t->profile->ca, c->names->default_ca) == 0) {
		/* first use: the tenant's row lock makes concurrent first issuances wait for one CA */
		PQclear(res);
		res = NULL;
		if ((r = mp_db_query_row(c->env->db, "SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE",
		    1, params, &res)) != MP_OK)
			goto out;
		PQclear(res);
		res = NULL;
		if ((r = mp_db_query_row(c->env->db, ca_sql, 3, params, &res)) == MP_ERR_NOT_FOUND) {
			if ((r = sshca_ca_create(c->env, c->actor, &nc, &ca, c->d)) != MP_OK)
				goto out;
			r = (t->ca_id = strdup(json_string_value(json_object_get(ca, "id")))) == NULL ?
			    MP_ERR_NOMEM : MP_OK;
			goto out;
		}
	}
	if (r == MP_ERR_NOT_FOUND)
		mp_detail_set(c->d, "ca", "the tenant has no active %s CA \"%s\"", c->names->ca_kind,
		    t->profile->ca);
	if (r != MP_OK)
		goto out;
	r = (t->ca_id = strdup(mp_db_value(res, 0, 0))) == NULL ? MP_ERR_NOMEM : MP_OK;
out:
	json_decref(ca);
	PQclear(res);
	return r;
}

/*
 * The validity: backdated for clock skew, the TTL asked for or the profile's
 * default; or from a later start the request gives, for the TTL from there.
 */
static int
validity(struct issue_ctx *c, const sshca_profile *p, uint64_t *after, uint64_t *before)
{
	uint64_t ttl = c->in->ttl_s != 0 ? c->in->ttl_s : p->ttl_default_s;
	uint64_t now = (uint64_t)time(NULL), start = c->in->valid_after;

	if (ttl > p->ttl_max_s)
		return mp_refuse(c->d, MP_ERR_POLICY, "ttl", "at most %llus under this profile",
		    (unsigned long long)p->ttl_max_s);
	if (start == 0) {
		*after = now - p->backdate_s;
		*before = now + ttl;
		return MP_OK;
	}
	if (start < now - p->backdate_s || start > now + SSHCA_START_MAX_S)
		return mp_refuse(c->d, MP_ERR_POLICY, "valid_after", "must be from now (less the "
		    "profile's backdate) to %llu days ahead", SSHCA_START_MAX_S / 86400);
	*after = start;
	*before = start + ttl;
	return MP_OK;
}

static int
check_key_type(struct issue_ctx *c, const sshca_profile *p)
{
	sshca_key_type type = c->key->type;

	if ((p->key_types & (1u << type)) == 0)
		return mp_refuse(c->d, MP_ERR_POLICY, "public_key", "%s keys are not allowed by the "
		    "profile", sshca_key_type_name(type));
	if (p->require_sk && !sshca_key_type_is_sk(type))
		return mp_refuse(c->d, MP_ERR_POLICY, "public_key", "the profile requires a FIDO "
		    "security key (sk-ssh-ed25519@openssh.com or sk-ecdsa-sha2-nistp256@openssh.com)");
	return MP_OK;
}

/* A random serial in 1 .. 2^63-1 (a bigint column). */
static int
new_serial(uint64_t *out)
{
	uint64_t s = 0;
	int r;

	do {
		if ((r = mp_random_bytes(&s, sizeof(s))) != MP_OK)
			return r;
		s &= INT64_MAX;
	} while (s == 0);
	*out = s;
	return MP_OK;
}

/* Signs the certificate; *line is its line, *key_id its key id. */
static int
sign(struct issue_ctx *c, struct issue_try *t, uint64_t serial, uint64_t after, uint64_t before,
    char **line, char **key_id)
{
	sshca_cert_input in;
	uint8_t *blob = NULL;
	size_t len = 0;
	const char *why;
	char kid[SSHCA_KEY_ID_MAX + 1];
	int r;

	snprintf(kid, sizeof(kid), "%s=%s tenant=%s serial=%llu id=%s profile=%s%s%.128s",
	    c->names->subject, json_string_value(json_object_get(t->subject,
	    c->names->key_id_name)), t->tenant_name,
	    (unsigned long long)serial, t->id,
	    json_string_value(json_object_get(t->profile_row, "name")),
	    c->in->request_id != NULL ? " request=" : "",
	    c->in->request_id != NULL ? c->in->request_id : "");
	memset(&in, 0, sizeof(in));
	in.kind = c->in->kind;
	in.subject = c->key;
	in.serial = serial;
	in.key_id = kid;
	in.principals = (const char *const *)t->principals;
	in.n_principals = t->n_principals;
	in.valid_after = after;
	in.valid_before = before;
	in.critical = t->profile->critical;
	in.n_critical = t->profile->n_critical;
	in.extensions = t->profile->extensions;
	in.n_extensions = t->profile->n_extensions;
	if ((r = sshca_cert_sign(t->ca_key, &in, &blob, &len, &why)) != MP_OK) {
		mp_detail_set(c->d, "ca", "%s", why);
		return r;
	}
	r = sshca_pubkey_line(sshca_cert_type_name(c->key->type), blob, len, NULL, line);
	free(blob);
	if (r == MP_OK && (*key_id = strdup(kid)) == NULL) {
		free(*line);
		*line = NULL;
		r = MP_ERR_NOMEM;
	}
	return r;
}

/* A timestamptz column as RFC 3339 in UTC, as the records' JSON gives it (common/dbjson.c). */
#define RFC3339(col) "replace(replace(" col "::text, ' ', 'T'), '+00', 'Z')"

/*
 * The identity, the certificate row and the audit entry of each row of a
 * batch ($1, a JSON array of the objects store() makes; see mp_db_batch) in
 * one statement, so one round trip and one commit, without a transaction of
 * its own: a row is left out unless its subject and its CA key are still
 * active when it commits (what the reads before it found). Answers each
 * row's position and the certificate as sshca_cert_get gives it, as JSON text.
 */
static const char store_sql[] =
    "WITH r AS (SELECT x.ord, x.v FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY"
    " AS x(v, ord)),"
    " su AS (SELECT u.id FROM users u WHERE u.status = 'active'"
    " AND u.id IN (SELECT (v->>'user_id')::uuid FROM r)),"
    " sd AS (SELECT d.id FROM devices d WHERE d.status = 'active'"
    " AND d.id IN (SELECT (v->>'device_id')::uuid FROM r)),"
    " ck AS (SELECT k.key_id FROM ssh_ca_keys k WHERE k.status = 'active'"
    " AND k.key_id IN (SELECT (v->>'ca_key_id')::uuid FROM r)),"
    " ok AS (SELECT r.ord, r.v FROM r WHERE (v->>'ca_key_id')::uuid IN (SELECT key_id FROM ck)"
    " AND ((v->>'user_id')::uuid IN (SELECT id FROM su)"
    " OR (v->>'device_id')::uuid IN (SELECT id FROM sd))),"
    " i AS (INSERT INTO identities (id, tenant_id, kind, user_id, device_id, profile_id, status,"
    " not_before, not_after, ref) SELECT (v->>'id')::uuid, (v->>'tenant_id')::uuid,"
    " v->>'identity_kind', (v->>'user_id')::uuid, (v->>'device_id')::uuid,"
    " (v->>'profile_id')::uuid, 'active', to_timestamp((v->>'valid_after')::bigint),"
    " to_timestamp((v->>'valid_before')::bigint), v->>'serial' FROM ok"
    " RETURNING id, user_id, device_id, profile_id),"
    " s AS (INSERT INTO ssh_certificates (id, tenant_id, ca_id, ca_key_id, serial, kind, key_id,"
    " principals, public_key, fingerprint, certificate, valid_after, valid_before)"
    " SELECT i.id, (v->>'tenant_id')::uuid, (v->>'ca_id')::uuid, (v->>'ca_key_id')::uuid,"
    " (v->>'serial')::bigint, v->>'kind', v->>'key_id',"
    " ARRAY(SELECT jsonb_array_elements_text(v->'principals')), v->>'public_key',"
    " v->>'fingerprint', v->>'certificate', to_timestamp((v->>'valid_after')::bigint),"
    " to_timestamp((v->>'valid_before')::bigint) FROM ok JOIN i ON i.id = (v->>'id')::uuid"
    " RETURNING *),"
    " a AS (" MP_AUDIT_INSERT " SELECT s.tenant_id, v->>'actor_kind', v->>'actor_id',"
    " 'ssh_certificate.issue', 'ssh_certificate', s.id, v->'details'"
    " FROM ok JOIN s ON s.id = (v->>'id')::uuid)"
    " SELECT ok.ord, json_build_object('id', s.id, 'tenant_id', s.tenant_id, 'ca_id', s.ca_id,"
    " 'ca_key_id', s.ca_key_id, 'serial', s.serial::text, 'kind', s.kind, 'key_id', s.key_id,"
    " 'principals', to_json(s.principals), 'public_key', s.public_key, 'fingerprint',"
    " s.fingerprint, 'certificate', s.certificate, 'valid_after', " RFC3339("s.valid_after")
    ", 'valid_before', " RFC3339("s.valid_before") ", 'status', 'active', 'user_id',"
    " i.user_id, 'device_id', i.device_id, 'profile_id', i.profile_id, 'created_at', "
    RFC3339("s.created_at") ")::text"
    " FROM ok JOIN s ON s.id = (v->>'id')::uuid JOIN i ON i.id = s.id";

/* Commits the certificate (store_sql); *row is the certificate. */
static int
store(struct issue_ctx *c, struct issue_try *t, uint64_t serial, uint64_t after,
    uint64_t before, const char *line, const char *key_id, json_t **row)
{
	char ser[24], *pub = NULL, *fp = NULL, *text = NULL;
	json_t *plist = NULL, *details = NULL, *rec = NULL;
	bool host = c->in->kind == SSHCA_CERT_HOST;
	const char *subject = json_string_value(json_object_get(t->subject, "id"));
	int r = MP_ERR_NOMEM;

	snprintf(ser, sizeof(ser), "%llu", (unsigned long long)serial);
	if ((plist = json_array()) == NULL)
		goto out;
	for (size_t i = 0; i < t->n_principals; i++)
		if (json_array_append_new(plist, json_string(t->principals[i])) != 0)
			goto out;
	if ((r = sshca_pubkey_line(sshca_key_type_name(c->key->type), c->key->blob,
	    c->key->blob_len, NULL, &pub)) != MP_OK ||
	    (r = sshca_fingerprint(c->key->blob, c->key->blob_len, &fp)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((details = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:s, s:I, s:I}", "serial", ser,
	    "ca_id", t->ca_id, host ? "device_id" : "user_id", subject, "key_id", key_id,
	    "principals", plist, "fingerprint", fp, "profile",
	    json_string_value(json_object_get(t->profile_row, "name")), "valid_after",
	    (json_int_t)after, "valid_before", (json_int_t)before)) == NULL)
		goto out;
	if ((rec = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s,"
	    " s:O, s:s, s:s, s:s, s:s, s:s?, s:O}", "id", t->id, "tenant_id", c->in->tenant_id,
	    "identity_kind", c->names->profile_kind, "user_id", host ? NULL : subject, "device_id",
	    host ? subject : NULL, "profile_id", json_string_value(json_object_get(t->profile_row,
	    "id")), "valid_after", (json_int_t)after, "valid_before", (json_int_t)before, "serial",
	    ser, "ca_id", t->ca_id, "ca_key_id", t->ca_key_id, "kind", c->names->ca_kind, "key_id",
	    key_id, "principals", plist, "public_key", pub, "fingerprint", fp, "certificate", line,
	    "actor_kind", c->actor->kind, "actor_id", c->actor->id, "details", details)) == NULL)
		goto out;
	if ((r = mp_db_batch_one(c->env->db, store_sql, rec, &text)) != MP_OK) {
		if (r == MP_ERR_CONFLICT)
			mp_detail_set(c->d, c->names->subject, "the %s or the CA's key changed while the "
			    "certificate was made; ask again", c->names->subject);
		goto out;
	}
	r = (*row = json_loads(text, 0, NULL)) != NULL ? MP_OK : MP_ERR_INTEGRITY;
out:
	json_decref(rec);
	json_decref(details);
	json_decref(plist);
	free(text);
	free(pub);
	free(fp);
	return r;
}

/* First use: the CA the profile names, made if it is the kind's default, and its signing key. */
static int
ca_txn(mp_db *db, void *arg)
{
	struct issue_ctx *c = arg;
	struct issue_try *t = c->t;
	int r;

	(void)db;
	free(t->ca_id);
	t->ca_id = NULL;
	free(t->ca_key_id);
	t->ca_key_id = NULL;
	if ((r = find_ca(c, t)) != MP_OK)
		return r;
	if ((r = sshca_ca_signing_key(c->env, t->ca_id, &t->ca_key, &t->ca_key_id)) ==
	    MP_ERR_NOT_FOUND)
		mp_detail_set(c->d, "ca", "the SSH CA has no active key");
	return r;
}

/*
 * Reads and checks what the certificate needs (without a transaction: the
 * commit checks again what may have changed), signs it and commits it.
 */
static int
issue_one(struct issue_ctx *c, json_t **row)
{
	struct issue_try t = { 0 };
	uint64_t serial = 0, after = 0, before = 0;
	char *line = NULL, *key_id = NULL;
	int r;

	c->t = &t;
	if ((r = load_policy(c, &t)) != MP_OK || (r = check_subject(c, &t)) != MP_OK ||
	    (r = check_key_type(c, t.profile)) != MP_OK ||
	    (r = sshca_principals(t.profile, t.subject, c->in->principals, &t.principals,
	    &t.n_principals, c->d)) != MP_OK ||
	    (r = validity(c, t.profile, &after, &before)) != MP_OK)
		goto out;
	/* the first certificate of its CA, or a CA without an active key */
	if (t.ca_key == NULL && (r = mp_db_txn(c->env->db, ca_txn, c)) != MP_OK)
		goto out;
	if ((r = mp_uuid_new(t.id)) != MP_OK || (r = new_serial(&serial)) != MP_OK ||
	    (r = sign(c, &t, serial, after, before, &line, &key_id)) != MP_OK)
		goto out;
	r = store(c, &t, serial, after, before, line, key_id, row);
out:
	c->t = NULL;
	free(line);
	free(key_id);
	try_clear(&t);
	return r;
}

static int
issue(const sshca_env *env, const mp_actor *actor, const struct issue_in *in, json_t **out,
    mp_detail *d)
{
	struct issue_ctx c = { env, actor, in, in->kind == SSHCA_CERT_HOST ? &host_names :
		&user_names, NULL, d, NULL };
	sshca_pubkey *key = NULL;
	const char *why = NULL;
	int r;

	if (in->tenant_id == NULL || in->subject_id == NULL)
		return MP_ERR_INVALID;
	if (in->public_key == NULL)
		return mp_refuse(d, MP_ERR_INVALID, "public_key", "is required");
	if ((r = sshca_pubkey_parse_line(in->public_key, in->public_key_len, &key, &why)) != MP_OK)
		return mp_refuse(d, r == MP_ERR_TOO_LARGE ? MP_ERR_INVALID : r, "public_key", "%s",
		    why);
	c.key = key;
	r = issue_one(&c, out);
	sshca_pubkey_free(key);
	return r;
}

int
sshca_issue_user(const sshca_env *env, const mp_actor *actor, const sshca_user_req *in,
    json_t **out, mp_detail *d)
{
	struct issue_in i = { SSHCA_CERT_USER, in->tenant_id, in->user_id, in->public_key,
		in->public_key_len, in->ttl_s, in->profile, in->principals, in->request_id,
		in->valid_after };

	return issue(env, actor, &i, out, d);
}

int
sshca_issue_host(const sshca_env *env, const mp_actor *actor, const sshca_host_req *in,
    json_t **out, mp_detail *d)
{
	struct issue_in i = { SSHCA_CERT_HOST, in->tenant_id, in->device_id, in->public_key,
		in->public_key_len, in->ttl_s, in->profile, NULL, in->request_id, 0 };

	return issue(env, actor, &i, out, d);
}

int
sshca_cert_get(mp_db *db, const char *tenant_id, const char *id, json_t **out)
{
	const char *params[2] = { id, tenant_id };

	return mp_record_get(db, "SELECT " CERT_COLUMNS CERT_FROM " WHERE s.id::text = $1"
	    " AND ($2::uuid IS NULL OR s.tenant_id = $2)", 2, params, out);
}

int
sshca_cert_list(mp_db *db, const char *tenant_id, const sshca_cert_filter *f, json_t **out)
{
	char lim[16];
	const char *params[7] = { tenant_id, f->user_id, f->device_id, f->ca_id, f->status,
		f->after_id, lim };

	mp_record_limit(f->limit, lim);
	return mp_record_list(db, "SELECT * FROM (SELECT " CERT_COLUMNS CERT_FROM
	    " WHERE ($1::uuid IS NULL OR s.tenant_id = $1) AND ($2::uuid IS NULL OR i.user_id = $2)"
	    " AND ($3::uuid IS NULL OR i.device_id = $3) AND ($4::uuid IS NULL OR s.ca_id = $4)"
	    " AND ($6::uuid IS NULL OR s.id > $6)) x WHERE ($5::text IS NULL OR x.status = $5)"
	    " ORDER BY x.id LIMIT $7::int", 7, params, out);
}
