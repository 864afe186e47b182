#include "keystore.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "codec.h"
#include "config.h"
#include "err.h"
#include "keystore_priv.h"
#include "num.h"
#include "secure.h"

/* The largest public key we accept from a keys row (an RSA-4096 SPKI is about 550 bytes). */
#define MAX_SPKI 4096
/* The largest backend reference: a sealed RSA-4096 PKCS#8 is about 2,400 bytes. */
#define MAX_REF 8192
#define MAX_LABEL 128

struct mp_key {
	mp_key *next;              /* the cache list, under ks->lock */
	atomic_uint refs;
	char id[MP_UUID_STR_LEN + 1];
	mp_key_spec spec;
	EVP_PKEY *pub;             /* from the row's SPKI: public only */
	EVP_PKEY *priv;            /* signs: a software key, or a token-backed one */
	pthread_mutex_t cert_lock; /* guards the signing template and the certificate: */
	EVP_MD_CTX *sign_tmpl;     /* sign_ctx(k, 0) made once, copied for each signature */
	uint8_t *cert_der;
	size_t cert_len;
	X509 *cert;
};

int
mp_key_spec_parse(const char *name, mp_key_spec *out)
{
	mp_key_spec s = { 0, 0 };
	const char *num = NULL;
	uint64_t bits;

	if (name == NULL)
		return MP_ERR_INVALID;
	if (strcmp(name, "ec-p256") == 0)
		s.alg = MP_KEY_EC_P256;
	else if (strcmp(name, "ec-p384") == 0)
		s.alg = MP_KEY_EC_P384;
	else if (strcmp(name, "ed25519") == 0)
		s.alg = MP_KEY_ED25519;
	else if (strncmp(name, "rsa-pss-", 8) == 0) {
		s.alg = MP_KEY_RSA_PSS;
		num = name + 8;
	} else if (strncmp(name, "rsa-", 4) == 0) {
		s.alg = MP_KEY_RSA;
		num = name + 4;
	} else
		return MP_ERR_INVALID;
	if (num != NULL) {
		if (num[0] == '0' || mp_parse_u64(num, 4096, &bits) != MP_OK || bits < 2048 ||
		    bits % 8 != 0)
			return MP_ERR_INVALID;
		s.rsa_bits = (unsigned)bits;
	}
	*out = s;
	return MP_OK;
}

void
mp_key_spec_name(const mp_key_spec *spec, char out[MP_KEY_SPEC_NAME_MAX])
{
	switch (spec->alg) {
	case MP_KEY_EC_P256:
		snprintf(out, MP_KEY_SPEC_NAME_MAX, "ec-p256");
		return;
	case MP_KEY_EC_P384:
		snprintf(out, MP_KEY_SPEC_NAME_MAX, "ec-p384");
		return;
	case MP_KEY_ED25519:
		snprintf(out, MP_KEY_SPEC_NAME_MAX, "ed25519");
		return;
	case MP_KEY_RSA:
		snprintf(out, MP_KEY_SPEC_NAME_MAX, "rsa-%u", spec->rsa_bits);
		return;
	case MP_KEY_RSA_PSS:
		snprintf(out, MP_KEY_SPEC_NAME_MAX, "rsa-pss-%u", spec->rsa_bits);
		return;
	}
	snprintf(out, MP_KEY_SPEC_NAME_MAX, "unknown");
}

/* Whether spec is one we sign with: its name parses back to itself. */
static bool
spec_valid(const mp_key_spec *spec)
{
	char name[MP_KEY_SPEC_NAME_MAX];
	mp_key_spec back;

	if (spec == NULL)
		return false;
	mp_key_spec_name(spec, name);
	return mp_key_spec_parse(name, &back) == MP_OK && back.alg == spec->alg &&
	    back.rsa_bits == spec->rsa_bits;
}

int
mp_key_spec_of(const EVP_PKEY *pub, bool pss, mp_key_spec *out)
{
	mp_key_spec s = { 0, 0 };
	char group[64];
	int bits;

	if (pub == NULL)
		return MP_ERR_INVALID;
	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(pub, group, sizeof(group), NULL) != 1)
			return MP_ERR_INVALID;
		if (strcmp(group, SN_X9_62_prime256v1) == 0)
			s.alg = MP_KEY_EC_P256;
		else if (strcmp(group, SN_secp384r1) == 0)
			s.alg = MP_KEY_EC_P384;
		else
			return MP_ERR_INVALID;
		break;
	case EVP_PKEY_ED25519:
		s.alg = MP_KEY_ED25519;
		break;
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		bits = EVP_PKEY_get_bits(pub);
		if (bits < 2048 || bits > 4096 || bits % 8 != 0)
			return MP_ERR_INVALID;
		s.alg = pss || EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA_PSS ? MP_KEY_RSA_PSS :
		    MP_KEY_RSA;
		s.rsa_bits = (unsigned)bits;
		break;
	default:
		return MP_ERR_INVALID;
	}
	*out = s;
	return MP_OK;
}

int
mp_ks_spki(EVP_PKEY *pkey, uint8_t **out, size_t *outlen)
{
	unsigned char *der = NULL;
	uint8_t *copy;
	int n;

	if ((n = i2d_PUBKEY(pkey, &der)) <= 0)
		return MP_ERR_CRYPTO;
	if ((copy = malloc((size_t)n)) == NULL) {
		OPENSSL_free(der);
		return MP_ERR_NOMEM;
	}
	memcpy(copy, der, (size_t)n);
	OPENSSL_free(der);
	*out = copy;
	*outlen = (size_t)n;
	return MP_OK;
}

int
mp_keystore_open(const mp_keystore_config *cfg, mp_keystore **out, char *err, size_t errsz)
{
	mp_keystore *ks;
	int r;

	if (cfg == NULL || cfg->master_key_file == NULL || cfg->master_key_file[0] == '\0') {
		snprintf(err, errsz, "key store: no master key file configured");
		return MP_ERR_CONFIG;
	}
	if ((ks = calloc(1, sizeof(*ks))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return MP_ERR_NOMEM;
	}
	if (pthread_mutex_init(&ks->lock, NULL) != 0) {
		free(ks);
		snprintf(err, errsz, "key store: cannot create a mutex");
		return MP_ERR_INTERNAL;
	}
	if ((r = mp_ks_soft_master(cfg->master_key_file, ks->master, err, errsz)) != MP_OK)
		goto fail;
	if (cfg->pkcs11_module != NULL && cfg->pkcs11_module[0] != '\0' &&
	    (r = mp_ks_p11_open(cfg, &ks->p11, err, errsz)) != MP_OK)
		goto fail;
	*out = ks;
	return MP_OK;
fail:
	mp_keystore_free(ks);
	return r;
}

int
mp_keystore_open_config(const mp_config *c, mp_keystore **out, char *err, size_t errsz)
{
	mp_keystore_config kc;
	char *path = NULL;
	int r;

	if (c->keystore_master_key_file[0] != '\0')
		path = strdup(c->keystore_master_key_file);
	else if (asprintf(&path, "%s/master.key", c->state_dir) < 0)
		path = NULL;
	if (path == NULL) {
		snprintf(err, errsz, "out of memory");
		return MP_ERR_NOMEM;
	}
	kc = (mp_keystore_config){ path, c->keystore_pkcs11_module, c->keystore_pkcs11_slot,
		c->keystore_pkcs11_pin_file };
	r = mp_keystore_open(&kc, out, err, errsz);
	free(path);
	return r;
}

static void
key_free(mp_key *k)
{
	EVP_PKEY_free(k->pub);
	EVP_PKEY_free(k->priv);
	X509_free(k->cert);
	free(k->cert_der);
	EVP_MD_CTX_free(k->sign_tmpl);
	pthread_mutex_destroy(&k->cert_lock);
	free(k);
}

/* Drops one reference; the last one frees the handle. */
static void
key_unref(mp_key *k)
{
	if (k != NULL && atomic_fetch_sub(&k->refs, 1) == 1)
		key_free(k);
}

void
mp_keystore_free(mp_keystore *ks)
{
	mp_key *k, *next;

	if (ks == NULL)
		return;
	for (k = ks->cache; k != NULL; k = next) {
		next = k->next;
		key_unref(k);
	}
	mp_ks_p11_close(ks->p11);
	mp_wipe(ks->master, sizeof(ks->master));
	pthread_mutex_destroy(&ks->lock);
	free(ks);
}

bool
mp_keystore_has_pkcs11(const mp_keystore *ks)
{
	return ks != NULL && ks->p11 != NULL;
}

/* The backend called name, or MP_ERR_INVALID / MP_ERR_UNSUPPORTED (not configured). */
static int
backend_named(const mp_keystore *ks, const char *name, const struct mp_ks_backend **out)
{
	if (name != NULL && strcmp(name, mp_ks_soft.name) == 0) {
		*out = &mp_ks_soft;
		return MP_OK;
	}
	if (name != NULL && strcmp(name, mp_ks_p11.name) == 0) {
		if (ks->p11 == NULL)
			return MP_ERR_UNSUPPORTED;
		*out = &mp_ks_p11;
		return MP_OK;
	}
	return MP_ERR_INVALID;
}


struct insert_ctx {
	const mp_actor *actor;
	const char *action;
	const char *id;
	const char *backend;
	const char *alg;
	const uint8_t *spki;
	size_t spkilen;
	const uint8_t *ref;
	size_t reflen;
	const char *label;
};

/* Inserts the keys row and its audit entry. */
static int
insert_txn(mp_db *db, void *arg)
{
	const struct insert_ctx *c = arg;
	bool soft = strcmp(c->backend, mp_ks_soft.name) == 0;
	const char *values[7] = { c->id, c->backend, c->alg, (const char *)c->spki,
		soft ? (const char *)c->ref : NULL, soft ? NULL : (const char *)c->ref, c->label };
	int lengths[7] = { 0, 0, 0, (int)c->spkilen, (int)c->reflen, (int)c->reflen, 0 };
	int formats[7] = { 0, 0, 0, 1, 1, 1, 0 };
	json_t *details = NULL;
	int r;

	r = mp_db_query_ex(db, "INSERT INTO keys (id, backend, algorithm, public_key, wrapped,"
	    " pkcs11_id, label) VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, values, lengths, formats,
	    NULL);
	if (r != MP_OK)
		return r;
	details = json_pack("{s:s, s:s, s:s?}", "backend", c->backend, "algorithm", c->alg,
	    "label", c->label);
	if (details == NULL)
		return MP_ERR_NOMEM;
	r = mp_audit_write(db, c->actor, c->action, "key", c->id, details);
	json_decref(details);
	return r;
}

/* Checks the label and the arguments every creation shares. */
static int
check_create_args(mp_keystore *ks, mp_db *db, const mp_actor *actor, const char *label)
{
	if (ks == NULL || db == NULL || actor == NULL)
		return MP_ERR_INVALID;
	if (label != NULL && strlen(label) > MAX_LABEL)
		return MP_ERR_INVALID;
	return MP_OK;
}

int
mp_key_generate(mp_keystore *ks, mp_db *db, const mp_actor *actor, const char *backend,
    const mp_key_spec *spec, const char *label, char id_out[MP_UUID_STR_LEN + 1])
{
	const struct mp_ks_backend *be = NULL;
	char id[MP_UUID_STR_LEN + 1], alg[MP_KEY_SPEC_NAME_MAX];
	uint8_t *spki = NULL, *ref = NULL;
	size_t spkilen = 0, reflen = 0;
	struct insert_ctx c;
	int r;

	if ((r = check_create_args(ks, db, actor, label)) != MP_OK)
		return r;
	if (!spec_valid(spec))
		return MP_ERR_INVALID;
	if ((r = backend_named(ks, backend, &be)) != MP_OK || (r = mp_uuid_new(id)) != MP_OK)
		return r;
	mp_key_spec_name(spec, alg);
	if ((r = be->generate(ks, id, spec, label, &spki, &spkilen, &ref, &reflen)) != MP_OK)
		goto out;
	c = (struct insert_ctx){ actor, "key.create", id, be->name, alg, spki, spkilen, ref, reflen,
		label };
	if ((r = mp_db_txn(db, insert_txn, &c)) != MP_OK) {
		be->destroy(ks, ref, reflen);
		goto out;
	}
	memcpy(id_out, id, sizeof(id));
out:
	free(spki);
	free(ref);
	return r;
}

/* No passphrase: an encrypted PEM key is refused rather than prompted for. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

int
mp_key_import_pem(mp_keystore *ks, mp_db *db, const mp_actor *actor, const char *pem,
    size_t len, const char *label, char id_out[MP_UUID_STR_LEN + 1])
{
	char id[MP_UUID_STR_LEN + 1], alg[MP_KEY_SPEC_NAME_MAX];
	uint8_t *spki = NULL, *ref = NULL;
	size_t spkilen = 0, reflen = 0;
	EVP_PKEY *pkey = NULL;
	struct insert_ctx c;
	mp_key_spec spec;
	BIO *bio = NULL;
	int r;

	if ((r = check_create_args(ks, db, actor, label)) != MP_OK)
		return r;
	if (pem == NULL || len == 0 || len > INT32_MAX)
		return MP_ERR_INVALID;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if ((pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)) == NULL ||
	    mp_key_spec_of(pkey, false, &spec) != MP_OK) {
		ERR_clear_error();
		r = MP_ERR_INVALID;
		goto out;
	}
	mp_key_spec_name(&spec, alg);
	if ((r = mp_uuid_new(id)) != MP_OK || (r = mp_ks_spki(pkey, &spki, &spkilen)) != MP_OK ||
	    (r = mp_ks_soft_seal(ks, id, pkey, &ref, &reflen)) != MP_OK)
		goto out;
	c = (struct insert_ctx){ actor, "key.import", id, mp_ks_soft.name, alg, spki, spkilen,
		ref, reflen, label };
	if ((r = mp_db_txn(db, insert_txn, &c)) != MP_OK)
		goto out;
	memcpy(id_out, id, sizeof(id));
out:
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	free(spki);
	free(ref);
	return r;
}

/* The cached handle of id with a new reference, or NULL. */
static mp_key *
cache_get(mp_keystore *ks, const char *id)
{
	mp_key *k;

	pthread_mutex_lock(&ks->lock);
	for (k = ks->cache; k != NULL; k = k->next)
		if (strcasecmp(k->id, id) == 0) {
			atomic_fetch_add(&k->refs, 1);
			break;
		}
	pthread_mutex_unlock(&ks->lock);
	return k;
}

/*
 * Adds the new handle k (one reference, the caller's) to the cache, which
 * takes a second; when another thread cached the same key meanwhile, k is
 * freed and that one is returned with a new reference instead.
 */
static mp_key *
cache_put(mp_keystore *ks, mp_key *k)
{
	mp_key *old;

	pthread_mutex_lock(&ks->lock);
	for (old = ks->cache; old != NULL; old = old->next)
		if (strcmp(old->id, k->id) == 0) {
			atomic_fetch_add(&old->refs, 1);
			break;
		}
	if (old == NULL) {
		atomic_fetch_add(&k->refs, 1);
		k->next = ks->cache;
		ks->cache = k;
	}
	pthread_mutex_unlock(&ks->lock);
	if (old != NULL) {
		key_unref(k);
		return old;
	}
	return k;
}

/* Removes id's handle from the cache and drops the cache's reference. */
static void
cache_drop(mp_keystore *ks, const char *id)
{
	mp_key **pp, *k = NULL;

	pthread_mutex_lock(&ks->lock);
	for (pp = &ks->cache; *pp != NULL; pp = &(*pp)->next)
		if (strcasecmp((*pp)->id, id) == 0) {
			k = *pp;
			*pp = k->next;
			break;
		}
	pthread_mutex_unlock(&ks->lock);
	key_unref(k);
}

/* A bytea column value ("\x" and hex) as bytes, at most max of them. */
static int
bytea_value(const char *v, size_t max, uint8_t **out, size_t *outlen)
{
	if (v == NULL || v[0] != '\\' || v[1] != 'x')
		return MP_ERR_INTEGRITY;
	return mp_hex_decode(v + 2, strlen(v + 2), max, out, outlen) == MP_OK ? MP_OK :
	    MP_ERR_INTEGRITY;
}

/* The row's public key, checked against its algorithm. */
static int
row_public(const char *alg, const char *spki_col, EVP_PKEY **pub, mp_key_spec *spec)
{
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t derlen = 0;
	EVP_PKEY *pk = NULL;
	mp_key_spec want, got;
	int r;

	if (mp_key_spec_parse(alg, &want) != MP_OK) {
		r = MP_ERR_INTEGRITY;
		goto out;
	}
	if ((r = bytea_value(spki_col, MAX_SPKI, &der, &derlen)) != MP_OK)
		goto out;
	p = der;
	r = MP_ERR_INTEGRITY;
	if ((pk = d2i_PUBKEY(NULL, &p, (long)derlen)) == NULL || p != der + derlen ||
	    mp_key_spec_of(pk, want.alg == MP_KEY_RSA_PSS, &got) != MP_OK ||
	    got.alg != want.alg || got.rsa_bits != want.rsa_bits) {
		ERR_clear_error();
		goto out;
	}
	*pub = pk;
	pk = NULL;
	*spec = want;
	r = MP_OK;
out:
	EVP_PKEY_free(pk);
	free(der);
	return r;
}

/* Reads and opens key id from its row. */
static int
key_open(mp_keystore *ks, mp_db *db, const char *id, mp_key **out)
{
	const char *params[1] = { id };
	const struct mp_ks_backend *be = NULL;
	PGresult *res = NULL;
	uint8_t *ref = NULL;
	size_t reflen = 0;
	mp_key *k = NULL;
	const char *rowid;
	int r;

	r = mp_db_query_row(db, "SELECT id, backend, algorithm, public_key, wrapped, pkcs11_id"
	    " FROM keys WHERE id = $1 AND destroyed_at IS NULL", 1, params, &res);
	if (r != MP_OK)
		goto out;
	rowid = mp_db_value(res, 0, 0);
	if ((r = backend_named(ks, mp_db_value(res, 0, 1), &be)) != MP_OK)
		goto out;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	atomic_init(&k->refs, 1);
	pthread_mutex_init(&k->cert_lock, NULL);
	if (rowid == NULL || strlen(rowid) != MP_UUID_STR_LEN) {
		r = MP_ERR_INTEGRITY;
		goto out;
	}
	memcpy(k->id, rowid, MP_UUID_STR_LEN + 1);
	if ((r = row_public(mp_db_value(res, 0, 2), mp_db_value(res, 0, 3), &k->pub,
	    &k->spec)) != MP_OK ||
	    (r = bytea_value(mp_db_value(res, 0, be == &mp_ks_soft ? 4 : 5), MAX_REF, &ref,
	    &reflen)) != MP_OK)
		goto out;
	if ((r = be->load(ks, k->id, ref, reflen, k->pub, &k->priv)) != MP_OK)
		goto out;
	*out = k;
	k = NULL;
out:
	if (k != NULL)
		key_free(k);
	free(ref);
	PQclear(res);
	return r;
}

int
mp_key_load(mp_keystore *ks, mp_db *db, const char *id, mp_key **out)
{
	mp_key *k;
	int r;

	if (ks == NULL || db == NULL || id == NULL || strlen(id) != MP_UUID_STR_LEN)
		return MP_ERR_INVALID;
	if ((k = cache_get(ks, id)) == NULL) {
		if ((r = key_open(ks, db, id, &k)) != MP_OK)
			return r;
		k = cache_put(ks, k);
	}
	*out = k;
	return MP_OK;
}

void
mp_key_release(mp_key *k)
{
	key_unref(k);
}

/* A public key of type ("RSA", "EC") from params: MP_ERR_INVALID when OpenSSL refuses them. */
static int
public_from_params(const char *type, const OSSL_PARAM *params, EVP_PKEY **out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	int r = MP_ERR_INVALID;

	if (ctx == NULL)
		return MP_ERR_NOMEM;
	if (EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, (OSSL_PARAM *)params) == 1)
		r = MP_OK;
	EVP_PKEY_CTX_free(ctx);
	return r;
}

int
mp_rsa_public_key(const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	int r = MP_ERR_NOMEM;

	if (nlen > INT_MAX || elen > INT_MAX)
		return MP_ERR_INVALID;
	if ((bn = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
	    (be = BN_bin2bn(e, (int)elen, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	r = public_from_params("RSA", params, out);
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return r;
}

int
mp_ec_public_key(const char *group, const uint8_t *point, size_t len, EVP_PKEY **out)
{
	OSSL_PARAM params[3];

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, len);
	params[2] = OSSL_PARAM_construct_end();
	return public_from_params("EC", params, out);
}

mp_key *
mp_key_ref(mp_key *k)
{
	atomic_fetch_add(&k->refs, 1);
	return k;
}

const mp_key_spec *
mp_key_get_spec(const mp_key *k)
{
	return &k->spec;
}

const char *
mp_key_id(const mp_key *k)
{
	return k->id;
}

EVP_PKEY *
mp_key_public(const mp_key *k)
{
	return EVP_PKEY_up_ref(k->pub) == 1 ? k->pub : NULL;
}

EVP_PKEY *
mp_key_evp(mp_key *k)
{
	return k->priv;
}

/*
 * A fresh digest-sign context on k's key: md_nid 0 takes the key's own digest
 * (none for Ed25519); otherwise SHA-256, -384 or -512. RSA-PSS gets PSS
 * padding with a salt as long as the digest; MGF1 uses the signing digest,
 * OpenSSL's default (setting it by name fails on a token-backed key).
 */
static int
sign_ctx_new(mp_key *k, int md_nid, EVP_MD_CTX **out)
{
	const char *md = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	EVP_MD_CTX *mctx = NULL;
	int r = MP_ERR_INVALID;

	if (md_nid != 0 && md_nid != NID_sha256 && md_nid != NID_sha384 && md_nid != NID_sha512)
		return MP_ERR_INVALID;
	switch (k->spec.alg) {
	case MP_KEY_ED25519:
		if (md_nid != 0)
			return MP_ERR_INVALID;
		break;
	case MP_KEY_EC_P384:
		md = OBJ_nid2sn(md_nid != 0 ? md_nid : NID_sha384);
		break;
	default:
		md = OBJ_nid2sn(md_nid != 0 ? md_nid : NID_sha256);
		break;
	}
	if ((mctx = EVP_MD_CTX_new()) == NULL)
		return MP_ERR_NOMEM;
	r = MP_ERR_CRYPTO;
	if (EVP_DigestSignInit_ex(mctx, &pctx, md, NULL, NULL, k->priv, NULL) != 1)
		goto out;
	if (k->spec.alg == MP_KEY_RSA_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
		goto out;
	*out = mctx;
	mctx = NULL;
	r = MP_OK;
out:
	EVP_MD_CTX_free(mctx);
	return r;
}

/*
 * sign_ctx_new, from a copy of the key's template for its own digest:
 * setting a context up (fetching the digest and the signature method) costs
 * about as much as an ECDSA signature, copying one a fraction of that.
 */
static int
sign_ctx(mp_key *k, int md_nid, EVP_MD_CTX **out)
{
	EVP_MD_CTX *mctx;
	int r = MP_OK;

	if (md_nid != 0)
		return sign_ctx_new(k, md_nid, out);
	pthread_mutex_lock(&k->cert_lock);
	if (k->sign_tmpl == NULL)
		r = sign_ctx_new(k, 0, &k->sign_tmpl);
	pthread_mutex_unlock(&k->cert_lock);
	if (r != MP_OK)
		return r;
	if ((mctx = EVP_MD_CTX_new()) == NULL)
		return MP_ERR_NOMEM;
	if (EVP_MD_CTX_copy_ex(mctx, k->sign_tmpl) != 1) {
		EVP_MD_CTX_free(mctx);
		return MP_ERR_CRYPTO;
	}
	*out = mctx;
	return MP_OK;
}

int
mp_key_sign_x509(mp_key *k, X509 *x)
{
	EVP_MD_CTX *mctx = NULL;
	int r;

	if (k == NULL || x == NULL)
		return MP_ERR_INVALID;
	if ((r = sign_ctx(k, 0, &mctx)) != MP_OK)
		return r;
	r = X509_sign_ctx(x, mctx) > 0 ? MP_OK : MP_ERR_CRYPTO;
	EVP_MD_CTX_free(mctx);
	return r;
}

int
mp_key_sign_crl(mp_key *k, X509_CRL *crl)
{
	EVP_MD_CTX *mctx = NULL;
	int r;

	if (k == NULL || crl == NULL)
		return MP_ERR_INVALID;
	if ((r = sign_ctx(k, 0, &mctx)) != MP_OK)
		return r;
	r = X509_CRL_sign_ctx(crl, mctx) > 0 ? MP_OK : MP_ERR_CRYPTO;
	EVP_MD_CTX_free(mctx);
	return r;
}

int
mp_key_sign_ocsp(mp_key *k, OCSP_BASICRESP *bs, X509 *signer)
{
	EVP_MD_CTX *mctx = NULL;
	int r;

	if (k == NULL || bs == NULL || signer == NULL)
		return MP_ERR_INVALID;
	if ((r = sign_ctx(k, 0, &mctx)) != MP_OK)
		return r;
	r = OCSP_basic_sign_ctx(bs, signer, mctx, NULL, 0) == 1 ? MP_OK : MP_ERR_CRYPTO;
	EVP_MD_CTX_free(mctx);
	return r;
}

int
mp_key_sign_data(mp_key *k, int md_nid, const uint8_t *msg, size_t len, uint8_t **sig,
    size_t *siglen)
{
	EVP_MD_CTX *mctx = NULL;
	uint8_t *s = NULL;
	size_t n = 0;
	int r;

	if (k == NULL || (msg == NULL && len > 0) || sig == NULL || siglen == NULL)
		return MP_ERR_INVALID;
	if ((r = sign_ctx(k, md_nid, &mctx)) != MP_OK)
		return r;
	r = MP_ERR_CRYPTO;
	if (EVP_DigestSign(mctx, NULL, &n, msg, len) != 1)
		goto out;
	if ((s = OPENSSL_malloc(n)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestSign(mctx, s, &n, msg, len) != 1)
		goto out;
	*sig = s;
	*siglen = n;
	s = NULL;
	r = MP_OK;
out:
	OPENSSL_free(s);
	EVP_MD_CTX_free(mctx);
	return r;
}

struct destroy_ctx {
	mp_keystore *ks;
	const mp_actor *actor;
	const char *id;
};

/* Marks the row destroyed, removes the token object, audits. */
static int
destroy_txn(mp_db *db, void *arg)
{
	const struct destroy_ctx *c = arg;
	const char *params[1] = { c->id };
	const struct mp_ks_backend *be = NULL;
	PGresult *res = NULL;
	uint8_t *ref = NULL;
	size_t reflen = 0;
	int r;

	r = mp_db_query_row(db, "SELECT backend, pkcs11_id FROM keys WHERE id = $1"
	    " AND destroyed_at IS NULL FOR UPDATE", 1, params, &res);
	if (r != MP_OK)
		goto out;
	if ((r = backend_named(c->ks, mp_db_value(res, 0, 0), &be)) != MP_OK)
		goto out;
	if ((r = mp_db_query(db, "UPDATE keys SET wrapped = NULL, destroyed_at = now()"
	    " WHERE id = $1", 1, params, NULL)) != MP_OK)
		goto out;
	if (be != &mp_ks_soft &&
	    ((r = bytea_value(mp_db_value(res, 0, 1), MAX_REF, &ref, &reflen)) != MP_OK ||
	    (r = be->destroy(c->ks, ref, reflen)) != MP_OK))
		goto out;
	r = mp_audit_write(db, c->actor, "key.destroy", "key", c->id, NULL);
out:
	free(ref);
	PQclear(res);
	return r;
}

int
mp_key_destroy(mp_keystore *ks, mp_db *db, const mp_actor *actor, const char *id)
{
	struct destroy_ctx c = { ks, actor, id };
	int r;

	if (ks == NULL || db == NULL || actor == NULL || id == NULL ||
	    strlen(id) != MP_UUID_STR_LEN)
		return MP_ERR_INVALID;
	if ((r = mp_db_txn(db, destroy_txn, &c)) != MP_OK)
		return r;
	cache_drop(ks, id);
	return MP_OK;
}

X509 *
mp_key_cert(mp_key *k, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	uint8_t *copy = NULL;
	X509 *x = NULL;

	pthread_mutex_lock(&k->cert_lock);
	if (k->cert != NULL && k->cert_len == len && memcmp(k->cert_der, der, len) == 0 &&
	    X509_up_ref(k->cert) == 1) {
		x = k->cert;
		goto out;
	}
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL || p != der + len ||
	    (copy = malloc(len)) == NULL || X509_up_ref(x) != 1) {
		X509_free(x);
		x = NULL;
		goto out;
	}
	memcpy(copy, der, len);
	X509_free(k->cert);
	free(k->cert_der);
	k->cert = x;
	k->cert_der = copy;
	k->cert_len = len;
	copy = NULL;
out:
	pthread_mutex_unlock(&k->cert_lock);
	free(copy);
	return x;
}
