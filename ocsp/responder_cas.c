#include "responder_cas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "bundle.h"
#include "codec.h"
#include "err.h"
#include "response.h"

/* Certificates are far smaller; this only bounds what a corrupt row could make us allocate. */
#define CERT_MAX_BYTES 65536

/*
 * Every valid delegated signer of every CA, the current ones first, newest
 * first within those. A signer is the certificate of an identity of service
 * "ocsp:<ca id>", issued by that CA, valid now, with a key in the key store,
 * and not revoked — or revoked only as superseded by a newer signer: the
 * responses it signed stay good until their nextUpdate (it carries
 * id-pkix-ocsp-nocheck, so clients do not ask about it), and only the first
 * signs anything new.
 */
static const char signers_sql[] =
    "SELECT c.id, c.certificate, x.id, x.der, x.key_id"
    " FROM cas c"
    " JOIN identities i ON i.service = 'ocsp:' || c.id::text"
    " JOIN certificates x ON x.id = i.id AND x.ca_id = c.id"
    " WHERE x.key_id IS NOT NULL AND (x.revoked_at IS NULL OR x.reason = 'superseded')"
    "  AND x.not_before <= now() AND x.not_after > now()"
    " ORDER BY c.id, x.revoked_at IS NOT NULL, x.not_before DESC, x.created_at DESC, x.id";

ocsp_signer *
ocsp_signer_ref(ocsp_signer *s)
{
	if (s != NULL)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void
ocsp_signer_unref(ocsp_signer *s)
{
	if (s == NULL || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	mp_key_release(s->key);
	free(s->der);
	free(s);
}

int
ocsp_uuid_parse(const char *text, size_t len, uint8_t out[16])
{
	uint8_t v[16];
	size_t j = 0;

	if (len != MP_UUID_STR_LEN)
		return MP_ERR_INVALID;
	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (text[i] != '-')
				return MP_ERR_INVALID;
			continue;
		}
		if ((hi = mp_hex_digit(text[i])) < 0 || i + 1 >= len ||
		    (lo = mp_hex_digit(text[i + 1])) < 0)
			return MP_ERR_INVALID;
		v[j++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	if (j != 16)
		return MP_ERR_INVALID;
	memcpy(out, v, 16);
	return MP_OK;
}

static void
ca_clear(ocsp_ca *ca)
{
	for (size_t i = 0; i < ca->nsigners; i++)
		ocsp_signer_unref(ca->signers[i]);
	free(ca->signers);
	ca->signers = NULL;
	ca->nsigners = 0;
}

ocsp_ca_table *
ocsp_ca_table_ref(ocsp_ca_table *t)
{
	atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
	return t;
}

void
ocsp_ca_table_unref(ocsp_ca_table *t)
{
	if (t == NULL || atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < t->n; i++)
		ca_clear(&t->cas[i]);
	free(t->cas);
	ocsp_bundle_unref(t->bundle);
	free(t);
}

ocsp_ca_table *
ocsp_ca_table_empty(void)
{
	ocsp_ca_table *t = calloc(1, sizeof(*t));

	if (t != NULL)
		atomic_init(&t->refs, 1);
	return t;
}

/* The signer of one row: its certificate, key hash and key; MP_ERR_INVALID when unusable. */
static int
signer_load(mp_db *db, mp_keystore *ks, const PGresult *res, int row, ocsp_signer **out)
{
	ocsp_signer *s = NULL;
	const unsigned char *p;
	uint8_t name_hash[OCSP_HASH_MAX], key_hash[OCSP_HASH_MAX];
	size_t hlen = 0;
	X509 *x = NULL;
	int r;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	atomic_init(&s->refs, 1);
	snprintf(s->id, sizeof(s->id), "%s", mp_db_value(res, row, 2));
	if ((r = mp_db_bytea_value(res, row, 3, CERT_MAX_BYTES, &s->der, &s->der_len)) != MP_OK)
		goto out;
	p = s->der;
	if ((x = d2i_X509(NULL, &p, (long)s->der_len)) == NULL || p != s->der + s->der_len) {
		r = MP_ERR_INVALID;
		goto out;
	}
	if ((r = ocsp_issuer_hashes(x, OCSP_HASH_SHA1, name_hash, key_hash, &hlen)) != MP_OK)
		goto out;
	memcpy(s->key_hash, key_hash, sizeof(s->key_hash));
	if ((r = mp_key_load(ks, db, mp_db_value(res, row, 4), &s->key)) != MP_OK) {
		if (r != MP_ERR_DB_UNAVAILABLE && r != MP_ERR_NOMEM)
			r = MP_ERR_INVALID;
		goto out;
	}
	*out = s;
	s = NULL;
	r = MP_OK;
out:
	X509_free(x);
	ocsp_signer_unref(s);
	return r;
}

/* The issuer hashes of ca, by every CertID hash algorithm, from its certificate x. */
static int
ca_hashes(X509 *x, ocsp_ca *ca)
{
	size_t hlen = 0;
	int r;

	for (int h = 0; h < OCSP_NHASHES; h++)
		if ((r = ocsp_issuer_hashes(x, (ocsp_hash)h, ca->name_hash[h], ca->key_hash[h],
		    &hlen)) != MP_OK)
			return r;
	return MP_OK;
}

/* Fills ca's id and issuer hashes from its certificate (column 1 of row). */
static int
ca_fill(const PGresult *res, int row, ocsp_ca *ca)
{
	const char *id = mp_db_value(res, row, 0);
	const unsigned char *p;
	uint8_t *der = NULL;
	size_t len = 0;
	X509 *x = NULL;
	int r;

	if ((r = ocsp_uuid_parse(id, strlen(id), ca->uuid)) != MP_OK)
		goto out;
	snprintf(ca->id, sizeof(ca->id), "%s", id);
	if ((r = mp_db_bytea_value(res, row, 1, CERT_MAX_BYTES, &der, &len)) != MP_OK)
		goto out;
	p = der;
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL || p != der + len) {
		r = MP_ERR_INVALID;
		goto out;
	}
	r = ca_hashes(x, ca);
out:
	X509_free(x);
	free(der);
	return r;
}

int
ocsp_ca_table_from_bundle(struct ocsp_bundle *b, ocsp_ca_table **out)
{
	ocsp_ca_table *t = ocsp_ca_table_empty();
	size_t n = ocsp_bundle_ca_count(b);
	int r = MP_ERR_NOMEM;

	if (t == NULL || (t->cas = calloc(n, sizeof(*t->cas))) == NULL)
		goto out;
	t->bundle = ocsp_bundle_ref(b);
	for (size_t i = 0; i < n; i++) {
		ocsp_ca *ca = &t->cas[i];
		const char *id = ocsp_bundle_ca_id(b, i);
		X509 *x = ocsp_bundle_ca_cert(b, i);

		snprintf(ca->id, sizeof(ca->id), "%s", id);
		if (x == NULL || (r = ocsp_uuid_parse(id, strlen(id), ca->uuid)) != MP_OK ||
		    (r = ca_hashes(x, ca)) != MP_OK) {
			r = MP_ERR_INVALID;
			goto out;
		}
		t->n++;
	}
	*out = t;
	t = NULL;
	r = MP_OK;
out:
	ocsp_ca_table_unref(t);
	return r;
}

int
ocsp_ca_table_load(mp_db *db, mp_keystore *ks, ocsp_ca_table **out)
{
	ocsp_ca_table *t = NULL;
	PGresult *res = NULL;
	ocsp_ca *ca = NULL;
	int r, rows;

	if ((t = ocsp_ca_table_empty()) == NULL)
		return MP_ERR_NOMEM;
	if ((r = mp_db_query(db, signers_sql, 0, NULL, &res)) != MP_OK)
		goto out;
	rows = PQntuples(res);
	r = MP_ERR_NOMEM;
	if (rows > 0 && (t->cas = calloc((size_t)rows, sizeof(*t->cas))) == NULL)
		goto out;
	for (int i = 0; i < rows; i++) {
		ocsp_signer *s = NULL, **grown;
		int lr;

		if (ca == NULL || strcmp(ca->id, mp_db_value(res, i, 0)) != 0) {
			/* a CA whose every signer failed to load is left out */
			if (ca != NULL && ca->nsigners > 0)
				t->n++;
			ca = &t->cas[t->n];
			ca_clear(ca);
			memset(ca, 0, sizeof(*ca));
			if ((lr = ca_fill(res, i, ca)) != MP_OK) {
				if (lr == MP_ERR_NOMEM)
					goto out;
				memset(ca, 0, sizeof(*ca));
				ca = NULL;
				continue;
			}
		}
		if ((lr = signer_load(db, ks, res, i, &s)) != MP_OK) {
			if (lr == MP_ERR_NOMEM || lr == MP_ERR_DB_UNAVAILABLE) {
				r = lr;
				goto out;
			}
			continue;
		}
		if ((grown = realloc(ca->signers, (ca->nsigners + 1) * sizeof(*grown))) == NULL) {
			ocsp_signer_unref(s);
			goto out;
		}
		ca->signers = grown;
		ca->signers[ca->nsigners++] = s;
	}
	if (ca != NULL && ca->nsigners > 0)
		t->n++;
	else if (ca != NULL)
		ca_clear(ca);
	*out = t;
	t = NULL;
	r = MP_OK;
out:
	if (t != NULL && ca != NULL && ca == &t->cas[t->n])
		ca_clear(ca);
	PQclear(res);
	ocsp_ca_table_unref(t);
	return r;
}

const ocsp_ca *
ocsp_ca_table_find(const ocsp_ca_table *t, const ocsp_certid *id)
{
	if ((unsigned)id->hash >= OCSP_NHASHES || id->hash_len != ocsp_hash_len(id->hash))
		return NULL;
	for (size_t i = 0; i < t->n; i++) {
		const ocsp_ca *ca = &t->cas[i];

		if (memcmp(ca->key_hash[id->hash], id->key_hash, id->hash_len) == 0 &&
		    memcmp(ca->name_hash[id->hash], id->name_hash, id->hash_len) == 0)
			return ca;
	}
	return NULL;
}

ocsp_signer *
ocsp_ca_signer(const ocsp_ca *ca, const char *signer_id)
{
	for (size_t i = 0; i < ca->nsigners; i++)
		if (strcmp(ca->signers[i]->id, signer_id) == 0)
			return ca->signers[i];
	return NULL;
}
