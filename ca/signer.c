#include "ca_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>

#include "certs_priv.h"
#include "codec.h"
#include "err.h"

/* The CA (its row first) and every parent up the chain, one row each. */
static const char signer_sql[] =
    "WITH RECURSIVE pick AS ("
    " SELECT id, tenant_id, parent_id, key_id, status, certificate, self_signed FROM cas"
    " WHERE (id::text = $1 OR name = $1)"
    " AND ($2::uuid IS NULL OR tenant_id = $2 OR tenant_id = " CA_PLATFORM_TENANT_SQL ")"
    " ORDER BY tenant_id = $2 DESC NULLS LAST LIMIT 1),"
    " chain AS (SELECT id, tenant_id, parent_id, key_id, status, certificate, self_signed,"
    " 0 AS depth FROM pick UNION ALL SELECT c.id, c.tenant_id, c.parent_id, c.key_id,"
    " c.status, c.certificate, c.self_signed, chain.depth + 1 FROM cas c"
    " JOIN chain ON c.id = chain.parent_id WHERE chain.depth < 8)"
    " SELECT id, tenant_id, key_id, status, certificate, self_signed FROM chain ORDER BY depth";

/* The CA certificate of row 0: kept parsed with the CA's key handle when it has one. */
static int
row_cert(const PGresult *res, mp_key *key, X509 **out)
{
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t len;
	X509 *x;
	int r;

	if ((r = mp_db_bytea_value(res, 0, 4, CA_DER_MAX, &der, &len)) != MP_OK)
		return r;
	p = der;
	x = key != NULL ? mp_key_cert(key, der, len) : d2i_X509(NULL, &p, (long)len);
	free(der);
	if (x == NULL)
		return MP_ERR_INTEGRITY;
	*out = x;
	return MP_OK;
}

int
ca_signer_load(const ca_env *env, const char *tenant_id, const char *ref, ca_signer *out)
{
	const char *params[2] = { ref, tenant_id };
	PGresult *res = NULL;
	ca_signer s = { 0 };
	int r;

	if ((r = mp_db_query(env->db, signer_sql, 2, params, &res)) != MP_OK)
		goto out;
	if (PQntuples(res) == 0) {
		r = MP_ERR_NOT_FOUND;
		goto out;
	}
	snprintf(s.id, sizeof(s.id), "%s", mp_db_value(res, 0, 0));
	snprintf(s.tenant_id, sizeof(s.tenant_id), "%s", mp_db_value(res, 0, 1));
	s.active = strcmp(mp_db_value(res, 0, 3), "active") == 0;
	if (mp_db_value(res, 0, 2) != NULL &&
	    (r = mp_key_load(env->ks, env->db, mp_db_value(res, 0, 2), &s.key)) != MP_OK)
		goto out;
	if ((r = row_cert(res, s.key, &s.cert)) != MP_OK ||
	    (r = ca_chain_rows_pem(res, 4, false, &s.chain_pem)) != MP_OK)
		goto out;
	*out = s;
	memset(&s, 0, sizeof(s));
	r = MP_OK;
out:
	ca_signer_clear(&s);
	PQclear(res);
	return r;
}

void
ca_signer_clear(ca_signer *s)
{
	X509_free(s->cert);
	mp_key_release(s->key);
	free(s->chain_pem);
	memset(s, 0, sizeof(*s));
}

int
ca_signer_copy(const ca_signer *s, ca_signer *out)
{
	ca_signer c = *s;

	c.chain_pem = NULL;
	if (s->chain_pem != NULL && (c.chain_pem = strdup(s->chain_pem)) == NULL)
		return MP_ERR_NOMEM;
	if (X509_up_ref(s->cert) != 1) {
		free(c.chain_pem);
		return MP_ERR_NOMEM;
	}
	if (s->key != NULL)
		mp_key_ref(s->key);
	*out = c;
	return MP_OK;
}

int
ca_x509_der(X509 *x, uint8_t **der, size_t *len)
{
	unsigned char *p = NULL;
	int n;

	if ((n = i2d_X509(x, &p)) <= 0)
		return MP_ERR_CRYPTO;
	*der = p;
	*len = (size_t)n;
	return MP_OK;
}

int
ca_pem_append_der(char **pem, const uint8_t *der, size_t len)
{
	char *one = NULL, *all;
	size_t have = *pem != NULL ? strlen(*pem) : 0, n;
	int r;

	if ((r = mp_pem_encode("CERTIFICATE", der, len, &one)) != MP_OK)
		return r;
	n = strlen(one);
	if ((all = realloc(*pem, have + n + 1)) == NULL) {
		free(one);
		return MP_ERR_NOMEM;
	}
	memcpy(all + have, one, n + 1);
	free(one);
	*pem = all;
	return MP_OK;
}

/* The subject of a name as "CN=x,O=y" in the certificate's order. */
int
ca_name_text(const X509_NAME *name, char **out)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *s;
	long n;
	int r = MP_ERR_NOMEM;

	if (b == NULL)
		return r;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~XN_FLAG_DN_REV) < 0) {
		r = MP_ERR_CRYPTO;
		goto out;
	}
	n = BIO_get_mem_data(b, &data);
	if ((s = strndup(data, (size_t)n)) == NULL)
		goto out;
	*out = s;
	r = MP_OK;
out:
	BIO_free(b);
	return r;
}

void
ca_urls_of(const ca_env *env, const char *ca_id, ca_urls *out)
{
	const char *base = env->public_url != NULL ? env->public_url : "";
	size_t n = strlen(base);

	/* one trailing slash in the configured URL is tolerated */
	if (n > 0 && base[n - 1] == '/')
		n--;
	snprintf(out->crl, sizeof(out->crl), "%.*s/crl/%s.crl", (int)n, base, ca_id);
	snprintf(out->delta_crl, sizeof(out->delta_crl), "%.*s/crl/%s-delta.crl", (int)n, base,
	    ca_id);
	snprintf(out->ocsp, sizeof(out->ocsp), "%.*s/ocsp", (int)n, base);
	snprintf(out->ca_issuers, sizeof(out->ca_issuers), "%.*s/ca/%s.crt", (int)n, base, ca_id);
}

int
ca_row_pem(json_t *row, const char *member)
{
	const char *b64 = json_string_value(json_object_get(row, member));
	uint8_t *der = NULL;
	char *pem = NULL;
	size_t len;
	int r;

	if (b64 == NULL)
		return MP_OK;
	if ((r = mp_b64_decode(b64, strlen(b64), false, CA_DER_MAX, &der, &len)) != MP_OK ||
	    (r = mp_pem_encode("CERTIFICATE", der, len, &pem)) != MP_OK)
		goto out;
	if (json_object_set_new(row, "certificate_pem", json_string(pem)) != 0 ||
	    json_object_del(row, member) != 0) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	r = MP_OK;
out:
	free(der);
	free(pem);
	return r;
}
