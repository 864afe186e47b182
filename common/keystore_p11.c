/*
 * The PKCS#11 backend: keys generated in a token (non-extractable,
 * sensitive), found again by their CKA_ID, and used through an EVP_PKEY whose
 * private operations are C_Sign calls.
 *
 * Such a key needs OpenSSL's legacy EC_KEY_METHOD and RSA_METHOD, deprecated
 * in OpenSSL 3. We use them on purpose: Debian 12 ships no PKCS#11 provider,
 * and a method-backed key works alike with X509_sign_ctx, OCSP_basic_sign_ctx
 * and a TLS server context. So this one file turns the deprecation off.
 */
#undef OPENSSL_NO_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "err.h"
#include "keystore_priv.h"
#include "secure.h"

/* Last: in its compatibility mode this header #defines common words (value, count). */
#include <p11-kit/pkcs11.h>

#define CKID_LEN 16
#define MAX_PIN 256
/* The longest signature a token returns here: RSA-4096. */
#define MAX_SIG 512
/* The longest public attribute we read (an RSA-4096 modulus, an EC point). */
#define MAX_ATTR 1024

struct mp_p11 {
	void *dl;
	CK_FUNCTION_LIST_PTR fn;
	CK_SESSION_HANDLE session;
	bool finalize;          /* we initialized the module, so we finalize it */
	bool session_open;
	pthread_mutex_t lock;   /* one session: every token call holds it */
};

/* What a token-backed EC_KEY or RSA carries: where its private half is. */
struct p11_ref {
	struct mp_p11 *p;
	CK_OBJECT_HANDLE obj;
};

static const char *
ckr_text(CK_RV rv)
{
	switch (rv) {
	case CKR_PIN_INCORRECT:
		return "CKR_PIN_INCORRECT: wrong PIN";
	case CKR_PIN_LOCKED:
		return "CKR_PIN_LOCKED: the PIN is locked";
	case CKR_SLOT_ID_INVALID:
		return "CKR_SLOT_ID_INVALID: no such slot";
	case CKR_TOKEN_NOT_PRESENT:
		return "CKR_TOKEN_NOT_PRESENT: no token in the slot";
	case CKR_TOKEN_NOT_RECOGNIZED:
		return "CKR_TOKEN_NOT_RECOGNIZED: token not initialized";
	case CKR_USER_PIN_NOT_INITIALIZED:
		return "CKR_USER_PIN_NOT_INITIALIZED: the token has no user PIN";
	default:
		return "PKCS#11 error";
	}
}

/* Reads the PIN file: at most MAX_PIN bytes, one trailing newline (LF or CRLF) dropped. */
static int
read_pin(const char *path, char pin[MAX_PIN + 1], size_t *len, char *err, size_t errsz)
{
	size_t n = 0;
	ssize_t got;
	int fd;

	if (path == NULL || path[0] == '\0') {
		snprintf(err, errsz, "PKCS#11: no PIN file configured ([keystore] pkcs11_pin_file)");
		return MP_ERR_CONFIG;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errsz, "PKCS#11: cannot open PIN file %s: %s", path, strerror(errno));
		return MP_ERR_CONFIG;
	}
	while (n <= MAX_PIN && (got = read(fd, pin + n, MAX_PIN + 1 - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	if (n > 0 && pin[n - 1] == '\n')
		n--;
	if (n > 0 && pin[n - 1] == '\r')
		n--;
	if (n == 0 || n > MAX_PIN - 1) {
		mp_wipe(pin, MAX_PIN + 1);
		snprintf(err, errsz, "PKCS#11: PIN file %s must hold one PIN of 1 to %d bytes", path,
		    MAX_PIN - 1);
		return MP_ERR_CONFIG;
	}
	pin[n] = '\0';
	*len = n;
	return MP_OK;
}

void
mp_ks_p11_close(struct mp_p11 *p)
{
	if (p == NULL)
		return;
	if (p->session_open) {
		p->fn->C_Logout(p->session);
		p->fn->C_CloseSession(p->session);
	}
	if (p->finalize)
		p->fn->C_Finalize(NULL);
	if (p->dl != NULL)
		dlclose(p->dl);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

int
mp_ks_p11_open(const mp_keystore_config *cfg, struct mp_p11 **out, char *err, size_t errsz)
{
	CK_C_INITIALIZE_ARGS init = { NULL, NULL, NULL, NULL, CKF_OS_LOCKING_OK, NULL };
	CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);
	const char *mod = cfg->pkcs11_module;
	char pin[MAX_PIN + 1];
	size_t pinlen = 0;
	struct mp_p11 *p;
	CK_RV rv;
	int r = MP_ERR_CONFIG;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return MP_ERR_NOMEM;
	}
	if (pthread_mutex_init(&p->lock, NULL) != 0) {
		free(p);
		snprintf(err, errsz, "PKCS#11: cannot create a mutex");
		return MP_ERR_INTERNAL;
	}
	if ((p->dl = dlopen(mod, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errsz, "PKCS#11: cannot load module %s: %s", mod, dlerror());
		goto out;
	}
	*(void **)&get_list = dlsym(p->dl, "C_GetFunctionList");
	if (get_list == NULL || get_list(&p->fn) != CKR_OK || p->fn == NULL) {
		snprintf(err, errsz, "PKCS#11: %s is not a PKCS#11 module (no C_GetFunctionList)",
		    mod);
		goto out;
	}
	rv = p->fn->C_Initialize(&init);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		snprintf(err, errsz, "PKCS#11: module %s: C_Initialize failed (0x%lx)", mod, rv);
		goto out;
	}
	p->finalize = rv == CKR_OK;
	rv = p->fn->C_OpenSession((CK_SLOT_ID)cfg->pkcs11_slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &p->session);
	if (rv != CKR_OK) {
		snprintf(err, errsz, "PKCS#11: module %s: cannot open a session on slot %llu: %s"
		    " (0x%lx)", mod, (unsigned long long)cfg->pkcs11_slot, ckr_text(rv), rv);
		goto out;
	}
	p->session_open = true;
	if ((r = read_pin(cfg->pkcs11_pin_file, pin, &pinlen, err, errsz)) != MP_OK)
		goto out;
	rv = p->fn->C_Login(p->session, CKU_USER, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)pinlen);
	mp_wipe(pin, sizeof(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		snprintf(err, errsz, "PKCS#11: module %s: login to slot %llu failed: %s (0x%lx)", mod,
		    (unsigned long long)cfg->pkcs11_slot, ckr_text(rv), rv);
		r = MP_ERR_CONFIG;
		goto out;
	}
	*out = p;
	p = NULL;
	r = MP_OK;
out:
	mp_ks_p11_close(p);
	return r;
}

/* The one object of class cls with CKA_ID id (lock held): MP_ERR_NOT_FOUND or MP_ERR_INTEGRITY (several). */
static int
find_object(struct mp_p11 *p, CK_OBJECT_CLASS cls, const uint8_t *id, size_t idlen,
    CK_OBJECT_HANDLE *out)
{
	CK_ATTRIBUTE tmpl[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)id, (CK_ULONG)idlen },
	};
	CK_OBJECT_HANDLE found[2];
	CK_ULONG n = 0;
	CK_RV rv;

	if (p->fn->C_FindObjectsInit(p->session, tmpl, 2) != CKR_OK)
		return MP_ERR_CRYPTO;
	rv = p->fn->C_FindObjects(p->session, found, 2, &n);
	p->fn->C_FindObjectsFinal(p->session);
	if (rv != CKR_OK)
		return MP_ERR_CRYPTO;
	if (n == 0)
		return MP_ERR_NOT_FOUND;
	if (n > 1)
		return MP_ERR_INTEGRITY;
	*out = found[0];
	return MP_OK;
}

/* One attribute of obj (lock held), in a new buffer of at most MAX_ATTR bytes. */
static int
get_attr(struct mp_p11 *p, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_TYPE type, uint8_t **out,
    size_t *outlen)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	uint8_t *buf;

	if (p->fn->C_GetAttributeValue(p->session, obj, &a, 1) != CKR_OK ||
	    a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen == 0 ||
	    a.ulValueLen > MAX_ATTR)
		return MP_ERR_CRYPTO;
	if ((buf = malloc(a.ulValueLen)) == NULL)
		return MP_ERR_NOMEM;
	a.pValue = buf;
	if (p->fn->C_GetAttributeValue(p->session, obj, &a, 1) != CKR_OK) {
		free(buf);
		return MP_ERR_CRYPTO;
	}
	*out = buf;
	*outlen = a.ulValueLen;
	return MP_OK;
}

/* Signs in (a digest or an encoded block) with obj and mechanism mech; out holds MAX_SIG bytes. */
static int
token_sign(const struct p11_ref *ref, CK_MECHANISM_TYPE mech, const uint8_t *in, size_t inlen,
    uint8_t out[MAX_SIG], size_t *outlen)
{
	CK_MECHANISM m = { mech, NULL, 0 };
	CK_ULONG n = MAX_SIG;
	struct mp_p11 *p = ref->p;
	int r = MP_ERR_CRYPTO;

	pthread_mutex_lock(&p->lock);
	if (p->fn->C_SignInit(p->session, &m, ref->obj) == CKR_OK &&
	    p->fn->C_Sign(p->session, (CK_BYTE_PTR)in, (CK_ULONG)inlen, out, &n) == CKR_OK) {
		*outlen = n;
		r = MP_OK;
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

static void
ref_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	free(ptr);
}

/* Process-wide: the methods and ex_data slots of token-backed keys, made once. */
static pthread_once_t methods_once = PTHREAD_ONCE_INIT;
static EC_KEY_METHOD *ec_method;
static RSA_METHOD *rsa_method;
static int ec_idx = -1, rsa_idx = -1;

/* ECDSA on the token: CKM_ECDSA over the digest, r || s back into an ECDSA_SIG. */
static ECDSA_SIG *
ec_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv, const BIGNUM *rp,
    EC_KEY *eckey)
{
	const struct p11_ref *ref = EC_KEY_get_ex_data(eckey, ec_idx);
	uint8_t sig[MAX_SIG];
	size_t n = 0, half;
	BIGNUM *r = NULL, *s = NULL;
	ECDSA_SIG *out = NULL;

	(void)kinv;
	(void)rp;
	if (ref == NULL || dlen <= 0 ||
	    token_sign(ref, CKM_ECDSA, dgst, (size_t)dlen, sig, &n) != MP_OK || n == 0 ||
	    n % 2 != 0)
		return NULL;
	half = n / 2;
	if ((r = BN_bin2bn(sig, (int)half, NULL)) == NULL ||
	    (s = BN_bin2bn(sig + half, (int)half, NULL)) == NULL || (out = ECDSA_SIG_new()) == NULL ||
	    ECDSA_SIG_set0(out, r, s) != 1) {
		ECDSA_SIG_free(out);
		BN_free(r);
		BN_free(s);
		return NULL;
	}
	return out;
}

/*
 * The RSA private operation on the token: PKCS#1 v1.5 (an encoded
 * DigestInfo) as CKM_RSA_PKCS, an already padded block (PSS) as
 * CKM_RSA_X_509. Returns the signature length, RSA_size(rsa), or -1.
 */
static int
rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa, int padding)
{
	const struct p11_ref *ref = RSA_get_ex_data(rsa, rsa_idx);
	CK_MECHANISM_TYPE mech;
	uint8_t sig[MAX_SIG];
	size_t n = 0, size = (size_t)RSA_size(rsa);

	if (padding == RSA_PKCS1_PADDING)
		mech = CKM_RSA_PKCS;
	else if (padding == RSA_NO_PADDING)
		mech = CKM_RSA_X_509;
	else
		return -1;
	if (ref == NULL || flen <= 0 || size > MAX_SIG ||
	    token_sign(ref, mech, from, (size_t)flen, sig, &n) != MP_OK || n == 0 || n > size)
		return -1;
	memset(to, 0, size - n);
	memcpy(to + size - n, sig, n);
	return (int)size;
}

static void
make_methods(void)
{
	int (*sign)(int, const unsigned char *, int, unsigned char *, unsigned int *,
	    const BIGNUM *, const BIGNUM *, EC_KEY *) = NULL;
	int (*sign_setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **) = NULL;

	ec_idx = EC_KEY_get_ex_new_index(0, NULL, NULL, NULL, ref_free);
	rsa_idx = RSA_get_ex_new_index(0, NULL, NULL, NULL, ref_free);
	if ((ec_method = EC_KEY_METHOD_new(EC_KEY_OpenSSL())) != NULL) {
		EC_KEY_METHOD_get_sign(EC_KEY_OpenSSL(), &sign, &sign_setup, NULL);
		EC_KEY_METHOD_set_sign(ec_method, sign, sign_setup, ec_sign_sig);
	}
	if ((rsa_method = RSA_meth_dup(RSA_PKCS1_OpenSSL())) != NULL &&
	    (RSA_meth_set1_name(rsa_method, "midpki PKCS#11") != 1 ||
	    RSA_meth_set_priv_enc(rsa_method, rsa_priv_enc) != 1)) {
		RSA_meth_free(rsa_method);
		rsa_method = NULL;
	}
}

/* A new reference to obj, for a key's ex_data. */
static struct p11_ref *
new_ref(struct mp_p11 *p, CK_OBJECT_HANDLE obj)
{
	struct p11_ref *ref = malloc(sizeof(*ref));

	if (ref != NULL)
		*ref = (struct p11_ref){ p, obj };
	return ref;
}

/* An EVP_PKEY holding pub's EC point whose signatures the token makes with obj. */
static int
ec_backed(struct mp_p11 *p, CK_OBJECT_HANDLE obj, EVP_PKEY *pub, EVP_PKEY **out)
{
	uint8_t point[256];
	size_t plen = 0;
	char group[64];
	struct p11_ref *ref = NULL;
	EC_KEY *ec = NULL;
	EC_POINT *pt = NULL;
	EVP_PKEY *pk = NULL;
	int r = MP_ERR_CRYPTO;

	if (EVP_PKEY_get_group_name(pub, group, sizeof(group), NULL) != 1 ||
	    EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point),
	    &plen) != 1)
		goto out;
	if ((ec = EC_KEY_new_by_curve_name(OBJ_sn2nid(group))) == NULL ||
	    (pt = EC_POINT_new(EC_KEY_get0_group(ec))) == NULL ||
	    EC_POINT_oct2point(EC_KEY_get0_group(ec), pt, point, plen, NULL) != 1 ||
	    EC_KEY_set_public_key(ec, pt) != 1 || EC_KEY_set_method(ec, ec_method) != 1)
		goto out;
	if ((ref = new_ref(p, obj)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if (EC_KEY_set_ex_data(ec, ec_idx, ref) != 1)
		goto out;
	ref = NULL;
	if ((pk = EVP_PKEY_new()) == NULL || EVP_PKEY_assign_EC_KEY(pk, ec) != 1)
		goto out;
	ec = NULL;
	*out = pk;
	pk = NULL;
	r = MP_OK;
out:
	free(ref);
	EVP_PKEY_free(pk);
	EC_POINT_free(pt);
	EC_KEY_free(ec);
	return r;
}

/* An EVP_PKEY holding pub's modulus and exponent whose private operations the token does with obj. */
static int
rsa_backed(struct mp_p11 *p, CK_OBJECT_HANDLE obj, EVP_PKEY *pub, EVP_PKEY **out)
{
	BIGNUM *n = NULL, *e = NULL;
	struct p11_ref *ref = NULL;
	EVP_PKEY *pk = NULL;
	RSA *rsa = NULL;
	int r = MP_ERR_CRYPTO;

	if (EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &e) != 1 ||
	    (rsa = RSA_new()) == NULL || RSA_set_method(rsa, rsa_method) != 1 ||
	    RSA_set0_key(rsa, n, e, NULL) != 1)
		goto out;
	n = e = NULL;
	if ((ref = new_ref(p, obj)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if (RSA_set_ex_data(rsa, rsa_idx, ref) != 1)
		goto out;
	ref = NULL;
	if ((pk = EVP_PKEY_new()) == NULL || EVP_PKEY_assign_RSA(pk, rsa) != 1)
		goto out;
	rsa = NULL;
	*out = pk;
	pk = NULL;
	r = MP_OK;
out:
	free(ref);
	EVP_PKEY_free(pk);
	RSA_free(rsa);
	BN_free(n);
	BN_free(e);
	return r;
}

static int
p11_load(mp_keystore *ks, const char *id, const uint8_t *ref, size_t reflen, EVP_PKEY *pub,
    EVP_PKEY **out)
{
	struct mp_p11 *p = ks->p11;
	CK_OBJECT_HANDLE obj = CK_INVALID_HANDLE;
	int r;

	(void)id;
	if (pthread_once(&methods_once, make_methods) != 0 || ec_method == NULL ||
	    rsa_method == NULL || ec_idx < 0 || rsa_idx < 0)
		return MP_ERR_CRYPTO;
	pthread_mutex_lock(&p->lock);
	r = find_object(p, CKO_PRIVATE_KEY, ref, reflen, &obj);
	pthread_mutex_unlock(&p->lock);
	if (r != MP_OK)
		return r;
	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_EC:
		return ec_backed(p, obj, pub, out);
	case EVP_PKEY_RSA:
		return rsa_backed(p, obj, pub, out);
	default:
		return MP_ERR_UNSUPPORTED;
	}
}

/* The public key of an EC key pair made in the token, from CKA_EC_POINT. */
static int
ec_public(struct mp_p11 *p, CK_OBJECT_HANDLE pubobj, const char *group, size_t field,
    EVP_PKEY **out)
{
	ASN1_OCTET_STRING *os = NULL;
	const unsigned char *q;
	const uint8_t *pt;
	uint8_t *attr = NULL;
	size_t alen = 0, plen;
	int r;

	if ((r = get_attr(p, pubobj, CKA_EC_POINT, &attr, &alen)) != MP_OK)
		goto out;
	r = MP_ERR_CRYPTO;
	/* DER OCTET STRING around the point, as the standard says; some tokens give it raw */
	if (alen == 1 + 2 * field) {
		pt = attr;
		plen = alen;
	} else {
		q = attr;
		if ((os = d2i_ASN1_OCTET_STRING(NULL, &q, (long)alen)) == NULL || q != attr + alen)
			goto out;
		pt = ASN1_STRING_get0_data(os);
		plen = (size_t)ASN1_STRING_length(os);
	}
	if (mp_ec_public_key(group, field, pt, plen, out) != MP_OK)
		goto out;
	r = MP_OK;
out:
	ASN1_OCTET_STRING_free(os);
	free(attr);
	return r;
}

/* The public key of an RSA key pair made in the token, from CKA_MODULUS and CKA_PUBLIC_EXPONENT. */
static int
rsa_public(struct mp_p11 *p, CK_OBJECT_HANDLE pubobj, EVP_PKEY **out)
{
	uint8_t *mod = NULL, *exp = NULL;
	size_t modlen = 0, explen = 0;
	int r;

	if ((r = get_attr(p, pubobj, CKA_MODULUS, &mod, &modlen)) != MP_OK ||
	    (r = get_attr(p, pubobj, CKA_PUBLIC_EXPONENT, &exp, &explen)) != MP_OK)
		goto out;
	if (mp_rsa_public_key(mod, modlen, exp, explen, out) != MP_OK)
		r = MP_ERR_CRYPTO;
out:
	free(mod);
	free(exp);
	return r;
}

/* DER of the named curves' OIDs, for CKA_EC_PARAMS. */
static const uint8_t oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };

static int
p11_generate(mp_keystore *ks, const char *id, const mp_key_spec *spec, const char *label,
    uint8_t **spki, size_t *spkilen, uint8_t **ref, size_t *reflen)
{
	struct mp_p11 *p = ks->p11;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = spec->rsa_bits;
	CK_BYTE f4[] = { 0x01, 0x00, 0x01 };
	const char *lab = label != NULL ? label : id;
	CK_ULONG lablen = (CK_ULONG)strlen(lab);
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
	uint8_t ckid[CKID_LEN], *idcopy = NULL;
	const uint8_t *curve = oid_p256;
	size_t curvelen = sizeof(oid_p256), field = 32;
	const char *group = SN_X9_62_prime256v1;
	EVP_PKEY *pub = NULL;
	bool locked = false;
	CK_RV rv;
	int r;

	CK_ATTRIBUTE pubt[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_ID, ckid, sizeof(ckid) },
		{ CKA_LABEL, (void *)lab, lablen },
		{ CKA_EC_PARAMS, NULL, 0 },   /* or CKA_MODULUS_BITS */
		{ CKA_PUBLIC_EXPONENT, f4, sizeof(f4) },
	};
	CK_ULONG npub = 5;
	CK_ATTRIBUTE privt[] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_EXTRACTABLE, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_ID, ckid, sizeof(ckid) },
		{ CKA_LABEL, (void *)lab, lablen },
	};

	switch (spec->alg) {
	case MP_KEY_EC_P384:
		curve = oid_p384;
		curvelen = sizeof(oid_p384);
		field = 48;
		group = SN_secp384r1;
		__attribute__((fallthrough));
	case MP_KEY_EC_P256:
		pubt[4] = (CK_ATTRIBUTE){ CKA_EC_PARAMS, (void *)curve, (CK_ULONG)curvelen };
		break;
	case MP_KEY_RSA:
	case MP_KEY_RSA_PSS:
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		pubt[4] = (CK_ATTRIBUTE){ CKA_MODULUS_BITS, &bits, sizeof(bits) };
		npub = 6;
		break;
	default:
		return MP_ERR_UNSUPPORTED;
	}
	if ((r = mp_random_bytes(ckid, sizeof(ckid))) != MP_OK)
		return r;
	pthread_mutex_lock(&p->lock);
	locked = true;
	rv = p->fn->C_GenerateKeyPair(p->session, &mech, pubt, npub, privt,
	    sizeof(privt) / sizeof(privt[0]), &hpub, &hpriv);
	if (rv != CKR_OK) {
		hpub = hpriv = CK_INVALID_HANDLE;
		r = MP_ERR_CRYPTO;
		goto out;
	}
	r = mech.mechanism == CKM_EC_KEY_PAIR_GEN ? ec_public(p, hpub, group, field, &pub) :
	    rsa_public(p, hpub, &pub);
	if (r != MP_OK)
		goto out;
	pthread_mutex_unlock(&p->lock);
	locked = false;
	if ((idcopy = malloc(sizeof(ckid))) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	memcpy(idcopy, ckid, sizeof(ckid));
	if ((r = mp_ks_spki(pub, spki, spkilen)) != MP_OK)
		goto out;
	*ref = idcopy;
	*reflen = sizeof(ckid);
	idcopy = NULL;
	hpub = hpriv = CK_INVALID_HANDLE;
out:
	if (!locked && (hpub != CK_INVALID_HANDLE || hpriv != CK_INVALID_HANDLE)) {
		pthread_mutex_lock(&p->lock);
		locked = true;
	}
	if (hpub != CK_INVALID_HANDLE)
		p->fn->C_DestroyObject(p->session, hpub);
	if (hpriv != CK_INVALID_HANDLE)
		p->fn->C_DestroyObject(p->session, hpriv);
	if (locked)
		pthread_mutex_unlock(&p->lock);
	free(idcopy);
	EVP_PKEY_free(pub);
	return r;
}

/* Destroys the key pair with this CKA_ID; objects already gone are not an error. */
static int
p11_destroy(mp_keystore *ks, const uint8_t *ref, size_t reflen)
{
	static const CK_OBJECT_CLASS classes[] = { CKO_PRIVATE_KEY, CKO_PUBLIC_KEY };
	struct mp_p11 *p = ks->p11;
	CK_OBJECT_HANDLE obj;
	int r = MP_OK, fr;

	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		fr = find_object(p, classes[i], ref, reflen, &obj);
		if (fr == MP_ERR_NOT_FOUND)
			continue;
		if (fr != MP_OK || p->fn->C_DestroyObject(p->session, obj) != CKR_OK) {
			r = fr != MP_OK ? fr : MP_ERR_CRYPTO;
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

const struct mp_ks_backend mp_ks_p11 = {
	"pkcs11",
	p11_generate,
	p11_load,
	p11_destroy,
};
