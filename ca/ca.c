/* Certification authorities: create (root or intermediate), import, read, retire. */
#include "ca_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "certbuild.h"
#include "certs_priv.h"
#include "err.h"
#include "record.h"

#define CA_COLUMNS "id, tenant_id, name, parent_id, key_id, subject, not_before, not_after," \
	" status, role, crl_number, certificate, created_at, updated_at," \
	" (SELECT algorithm FROM keys k WHERE k.id = cas.key_id) AS algorithm"

#define YEAR_S (365 * 86400LL)

static const char insert_sql[] =
    "INSERT INTO cas (tenant_id, name, parent_id, key_id, certificate, subject, not_before,"
    " not_after, role, self_signed) VALUES ($1, $2, $3, $4, $5::bytea, $6,"
    " to_timestamp($7::bigint), to_timestamp($8::bigint), $9, $10) RETURNING " CA_COLUMNS;

/* The row as the API shows it: certificate_pem instead of the base64 DER. */
static int
finish_row(json_t *row)
{
	return ca_row_pem(row, "certificate");
}

struct store_ctx {
	const mp_actor *actor;
	const char *action;
	const char *tenant_id;
	const char *name;
	const char *parent_id;
	const char *key_id;
	X509 *cert;
};

/* Inserts the CA row for cert and audits it (details: name, subject, parent, key). */
static int
store_ca(mp_db *db, const struct store_ctx *s, json_t **out)
{
	uint8_t *der = NULL;
	char *hex = NULL, *subject = NULL, nb[24], na[24];
	json_t *details = NULL;
	size_t len;
	int r;

	if ((r = ca_x509_der(s->cert, &der, &len)) != MP_OK ||
	    (r = mp_db_bytea_param(der, len, &hex)) != MP_OK ||
	    (r = ca_name_text(X509_get_subject_name(s->cert), &subject)) != MP_OK)
		goto out;
	{
		int64_t t;

		if ((t = ca_time_of(X509_get0_notBefore(s->cert))) < 0) {
			r = MP_ERR_INVALID;
			goto out;
		}
		mp_record_time(t, nb);
		if ((t = ca_time_of(X509_get0_notAfter(s->cert))) < 0) {
			r = MP_ERR_INVALID;
			goto out;
		}
		mp_record_time(t, na);
	}
	if ((details = json_pack("{s:s, s:s, s:s?, s:s?}", "name", s->name, "subject", subject,
	    "parent_id", s->parent_id, "key_id", s->key_id)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	{
		const char *params[10] = { s->tenant_id, s->name, s->parent_id, s->key_id, hex, subject,
			nb, na, s->key_id != NULL ? "ca" : "trusted",
			X509_check_issued(s->cert, s->cert) == X509_V_OK ? "t" : "f" };

		if ((r = mp_record_insert(db, s->actor, s->action, "ca", insert_sql, 10, params,
		    details, out)) != MP_OK)
			goto out;
	}
	r = finish_row(*out);
out:
	OPENSSL_free(der);
	free(hex);
	free(subject);
	json_decref(details);
	return r;
}

struct create_ctx {
	const ca_env *env;
	const mp_actor *actor;
	const ca_new *in;
	const char *backend;
	mp_key_spec spec;
	ca_signer *parent;
	ca_detail *detail;
};

static int
create_txn(mp_db *db, void *arg, json_t **row)
{
	struct create_ctx *c = arg;
	const ca_new *in = c->in;
	char key_id[MP_UUID_STR_LEN + 1];
	uint8_t serial[CA_SERIAL_LEN];
	mp_key *key = NULL;
	EVP_PKEY *pub = NULL;
	X509 *x = NULL;
	ca_urls urls;
	int64_t now = (int64_t)time(NULL), not_after;
	int64_t validity = in->validity_s > 0 ? in->validity_s :
	    (c->parent != NULL ? 10 : 20) * YEAR_S;
	int r;

	not_after = now + validity;
	if (c->parent != NULL) {
		int64_t parent_end;

		if ((parent_end = ca_time_of(X509_get0_notAfter(c->parent->cert))) < 0) {
			r = MP_ERR_INTEGRITY;
			goto out;
		}
		if (not_after > parent_end && in->validity_s == 0)
			not_after = parent_end; /* the default shortens to fit; an asked one does not */
		if (not_after > parent_end) {
			r = ca_refuse(c->detail, MP_ERR_INVALID, "validity",
			    "ends after the parent CA's certificate");
			goto out;
		}
	}
	if ((r = mp_key_generate(c->env->ks, db, c->actor, c->backend, &c->spec, in->name,
	    key_id)) != MP_OK) {
		if (r == MP_ERR_UNSUPPORTED)
			ca_refuse(c->detail, r, "backend", "the %s key store cannot make this key",
			    c->backend);
		goto out;
	}
	if ((r = mp_key_load(c->env->ks, db, key_id, &key)) != MP_OK ||
	    (r = ca_serial_new(serial)) != MP_OK)
		goto out;
	if ((pub = mp_key_public(key)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if (c->parent != NULL)
		ca_urls_of(c->env, c->parent->id, &urls);
	{
		ca_ca_input ci = {
			.subject = in->subject,
			.pub = pub,
			.issuer = c->parent != NULL ? c->parent->cert : NULL,
			.serial = serial,
			.serial_len = sizeof(serial),
			.not_before = now,
			.not_after = not_after,
			.path_len = in->path_len,
			.permitted = in->permitted,
			.excluded = in->excluded,
			.crl_url = c->parent != NULL ? urls.crl : NULL,
			.ca_issuers_url = c->parent != NULL ? urls.ca_issuers : NULL,
		};

		if ((r = ca_ca_cert_build(&ci, &x, c->detail)) != MP_OK)
			goto out;
	}
	if ((r = mp_key_sign_x509(c->parent != NULL ? c->parent->key : key, x)) != MP_OK)
		goto out;
	{
		struct store_ctx s = { c->actor, "ca.create", in->tenant_id, in->name,
			c->parent != NULL ? c->parent->id : NULL, key_id, x };

		r = store_ca(db, &s, row);
	}
out:
	X509_free(x);
	EVP_PKEY_free(pub);
	mp_key_release(key);
	return r;
}

int
ca_create(const ca_env *env, const mp_actor *actor, const ca_new *in, json_t **out,
    ca_detail *detail)
{
	struct create_ctx c = { env, actor, in, NULL, { 0, 0 }, NULL, detail };
	ca_signer parent = { 0 };
	const char *alg = in->algorithm != NULL ? in->algorithm :
	    (in->parent_id != NULL ? "ec-p256" : "ec-p384");
	int r;

	if (in->tenant_id == NULL || in->name == NULL || in->name[0] == '\0')
		return ca_refuse(detail, MP_ERR_INVALID, "name", "is required");
	if (in->subject == NULL)
		return ca_refuse(detail, MP_ERR_INVALID, "subject", "is required");
	if (in->validity_s < 0)
		return ca_refuse(detail, MP_ERR_INVALID, "validity", "must be positive");
	if (mp_key_spec_parse(alg, &c.spec) != MP_OK)
		return ca_refuse(detail, MP_ERR_INVALID, "algorithm", "unknown algorithm \"%s\"", alg);
	c.backend = in->backend != NULL ? in->backend : env->key_backend;
	if (c.backend == NULL)
		c.backend = "software";
	if (in->parent_id != NULL) {
		if ((r = ca_signer_load(env, in->tenant_id, in->parent_id, &parent)) != MP_OK) {
			if (r == MP_ERR_NOT_FOUND)
				r = ca_refuse(detail, MP_ERR_INVALID, "parent", "no such CA");
			goto out;
		}
		if (parent.key == NULL || !parent.active) {
			r = ca_refuse(detail, MP_ERR_INVALID, "parent", "CA %s cannot issue (%s)",
			    parent.id, parent.key == NULL ? "trusted only" : "retired");
			goto out;
		}
		c.parent = &parent;
	}
	r = mp_record_txn(env->db, create_txn, &c, out);
out:
	ca_signer_clear(&parent);
	return r;
}

/* Reads one PEM certificate of at most CA_DER_MAX bytes. */
static int
read_cert_pem(const char *pem, X509 **out)
{
	BIO *b;
	X509 *x;

	if (pem == NULL || strlen(pem) > 2 * CA_DER_MAX)
		return MP_ERR_INVALID;
	if ((b = BIO_new_mem_buf(pem, -1)) == NULL)
		return MP_ERR_NOMEM;
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (x == NULL)
		return MP_ERR_INVALID;
	*out = x;
	return MP_OK;
}

/* The CA of ours (visible to tenant_id) that signed x, if any: its id in parent. */
static int
find_parent(mp_db *db, const char *tenant_id, X509 *x, char parent[MP_UUID_STR_LEN + 1])
{
	char *issuer = NULL;
	const char *params[2];
	PGresult *res = NULL;
	int r;

	parent[0] = '\0';
	if (X509_check_issued(x, x) == X509_V_OK)
		return MP_OK;
	if ((r = ca_name_text(X509_get_issuer_name(x), &issuer)) != MP_OK)
		return r;
	params[0] = issuer;
	params[1] = tenant_id;
	if ((r = mp_db_query(db, "SELECT id, certificate FROM cas WHERE subject = $1"
	    " AND (tenant_id = $2 OR tenant_id = " CA_PLATFORM_TENANT_SQL ")", 2, params,
	    &res)) != MP_OK)
		goto out;
	for (int i = 0; i < PQntuples(res); i++) {
		uint8_t *der = NULL;
		const unsigned char *p;
		size_t len;
		X509 *cand;

		if (mp_db_bytea_value(res, i, 1, CA_DER_MAX, &der, &len) != MP_OK)
			continue;
		p = der;
		cand = d2i_X509(NULL, &p, (long)len);
		free(der);
		if (cand != NULL && X509_verify(x, X509_get0_pubkey(cand)) == 1) {
			snprintf(parent, MP_UUID_STR_LEN + 1, "%s", mp_db_value(res, i, 0));
			X509_free(cand);
			break;
		}
		X509_free(cand);
	}
	ERR_clear_error();
	r = MP_OK;
out:
	free(issuer);
	PQclear(res);
	return r;
}

struct import_ctx {
	const ca_env *env;
	const mp_actor *actor;
	const char *tenant_id;
	const char *name;
	const char *key_pem;
	X509 *cert;
	ca_detail *detail;
};

static int
import_txn(mp_db *db, void *arg, json_t **row)
{
	struct import_ctx *c = arg;
	char key_id[MP_UUID_STR_LEN + 1], parent[MP_UUID_STR_LEN + 1];
	mp_key *key = NULL;
	EVP_PKEY *pub = NULL;
	int r;

	if ((r = find_parent(db, c->tenant_id, c->cert, parent)) != MP_OK)
		goto out;
	if (c->key_pem != NULL) {
		if ((r = mp_key_import_pem(c->env->ks, db, c->actor, c->key_pem, strlen(c->key_pem),
		    c->name, key_id)) != MP_OK) {
			if (r == MP_ERR_INVALID)
				ca_refuse(c->detail, r, "private_key_pem",
				    "not a private key we can sign with");
			goto out;
		}
		if ((r = mp_key_load(c->env->ks, db, key_id, &key)) != MP_OK)
			goto out;
		if ((pub = mp_key_public(key)) == NULL) {
			r = MP_ERR_NOMEM;
			goto out;
		}
		if (EVP_PKEY_eq(pub, X509_get0_pubkey(c->cert)) != 1) {
			r = ca_refuse(c->detail, MP_ERR_INVALID, "private_key_pem",
			    "does not match the certificate");
			goto out;
		}
	}
	{
		struct store_ctx s = { c->actor, "ca.import", c->tenant_id, c->name,
			parent[0] != '\0' ? parent : NULL, c->key_pem != NULL ? key_id : NULL, c->cert };

		r = store_ca(db, &s, row);
	}
out:
	EVP_PKEY_free(pub);
	mp_key_release(key);
	return r;
}

int
ca_import(const ca_env *env, const mp_actor *actor, const char *tenant_id, const char *name,
    const char *cert_pem, const char *key_pem, json_t **out, ca_detail *detail)
{
	struct import_ctx c = { env, actor, tenant_id, name, key_pem, NULL, detail };
	int r;

	if (tenant_id == NULL || name == NULL || name[0] == '\0')
		return ca_refuse(detail, MP_ERR_INVALID, "name", "is required");
	if (read_cert_pem(cert_pem, &c.cert) != MP_OK) {
		ERR_clear_error();
		return ca_refuse(detail, MP_ERR_INVALID, "certificate_pem",
		    "not a PEM certificate");
	}
	if (X509_check_ca(c.cert) < 1) {
		r = ca_refuse(detail, MP_ERR_POLICY, "certificate_pem", "not a CA certificate");
		goto out;
	}
	r = mp_record_txn(env->db, import_txn, &c, out);
out:
	X509_free(c.cert);
	return r;
}

int
ca_get(mp_db *db, const char *tenant_id, const char *id, json_t **out)
{
	const char *params[2] = { id, tenant_id };
	json_t *row = NULL;
	int r;

	if ((r = mp_record_get(db, "SELECT " CA_COLUMNS " FROM cas WHERE id = $1"
	    " AND ($2::uuid IS NULL OR tenant_id = $2 OR tenant_id = " CA_PLATFORM_TENANT_SQL ")",
	    2, params, &row)) != MP_OK)
		return r;
	if ((r = finish_row(row)) != MP_OK) {
		json_decref(row);
		return r;
	}
	*out = row;
	return MP_OK;
}

int
ca_list(mp_db *db, const char *tenant_id, const char *after_id, unsigned limit, json_t **out)
{
	char lim[16];
	const char *params[3] = { tenant_id, after_id, lim };
	json_t *rows = NULL, *row;
	size_t i;
	int r;

	mp_record_limit(limit, lim);
	if ((r = mp_record_list(db, "SELECT " CA_COLUMNS " FROM cas"
	    " WHERE ($1::uuid IS NULL OR tenant_id = $1 OR tenant_id = " CA_PLATFORM_TENANT_SQL ")"
	    " AND ($2::uuid IS NULL OR id > $2) ORDER BY id LIMIT $3::int", 3, params,
	    &rows)) != MP_OK)
		return r;
	json_array_foreach(rows, i, row)
		json_object_del(row, "certificate");
	*out = rows;
	return MP_OK;
}

int
ca_chain_pem(mp_db *db, const char *tenant_id, const char *id, char **pem_out)
{
	json_t *ca = NULL;
	int r;

	if ((r = ca_get(db, tenant_id, id, &ca)) != MP_OK)
		return r;
	json_decref(ca);
	return ca_chain_collect(db, id, true, pem_out);
}

static const char *const ca_final[] = { "retired", NULL };

static const struct mp_status_spec ca_status = {
	"SELECT tenant_id, status FROM cas"
	" WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2) FOR UPDATE",
	"UPDATE cas SET status = $2, updated_at = now() WHERE id = $1 RETURNING " CA_COLUMNS,
	ca_final,
	"ca.retire",
	"ca",
};

int
ca_retire(const ca_env *env, const mp_actor *actor, const char *tenant_id, const char *id,
    json_t **out)
{
	json_t *row = NULL;
	int r;

	if ((r = mp_record_set_status(env->db, actor, &ca_status, tenant_id, id, "retired",
	    &row)) != MP_OK)
		return r;
	if ((r = finish_row(row)) != MP_OK) {
		json_decref(row);
		return r;
	}
	*out = row;
	return MP_OK;
}
