/*
 * Field names in refusals: "csr" (does not decode), "csr.signature" (proof of
 * possession fails, or a digest weaker than SHA-256), "csr.key" (weak or
 * unknown key), "csr.extensions" (the extension request does not decode).
 *
 * The request is walked with the strict DER reader (der.h) instead of
 * d2i_X509_REQ: OpenSSL 3.0 decodes a SubjectPublicKeyInfo through a decoder
 * chain it builds anew for every call, which cost most of an issuance. The
 * key is imported from its parts (EVP_PKEY_fromdata); OpenSSL's d2i decodes
 * only parts that carry no key: the subject, algorithm identifiers, the
 * requested extensions and RSASSA-PSS parameters, each after the DER check.
 */
#include "csr.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>

#include "codec.h"
#include "der.h"
#include "detail.h"
#include "err.h"
#include "keyinfo.h"
#include "keystore.h"

#define PEM_MARK "-----BEGIN"
/* Nesting deeper than any request needs (names and extensions go 7 levels down). */
#define CSR_MAX_DEPTH 32
/* The largest RSASSA-PSS salt that fits an 8192-bit key. */
#define PSS_MAX_SALT 1024

/* 1.2.840.113549.1.9.14 (PKCS#9 extensionRequest), 1.3.6.1.4.1.311.2.1.14 (Microsoft's). */
static const uint8_t oid_ext_req[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e };
static const uint8_t oid_ms_ext_req[] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x01,
	0x0e };

/* 1.2.840.113549.1.9.7 (PKCS#9 challengePassword). */
static const uint8_t oid_challenge[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x07 };
/* The longest challengePassword kept (RFC 2985 allows 255 characters). */
#define CHALLENGE_MAX 255

/* The elements of a request that are decoded after its structure is checked. */
struct parts {
	mp_der_tlv info, subject, spki_alg, sig_alg;
	const uint8_t *key, *sig;
	size_t key_len, sig_len;
	mp_der_tlv ext_req, ms_ext_req, challenge;
	bool has_ext_req, has_ms_ext_req, has_challenge;
};

/* How the signature is checked: digest name and, for RSASSA-PSS, its parameters. */
struct sig_check {
	const char *md;          /* NULL for Ed25519 */
	bool pss;
	int salt_len;
	const char *mgf1_md;
};

/* The DER inside a PEM "CERTIFICATE REQUEST" (or "NEW CERTIFICATE REQUEST") block. */
static int
pem_to_der(const uint8_t *in, size_t len, uint8_t **der, size_t *derlen, ca_detail *d)
{
	int r;

	r = mp_pem_decode((const char *)in, len, "CERTIFICATE REQUEST", CA_CSR_MAX_BYTES, der,
	    derlen);
	if (r == MP_ERR_NOT_FOUND)
		r = mp_pem_decode((const char *)in, len, "NEW CERTIFICATE REQUEST", CA_CSR_MAX_BYTES,
		    der, derlen);
	if (r == MP_ERR_TOO_LARGE)
		ca_detail_set(d, "csr", "larger than %d bytes", CA_CSR_MAX_BYTES);
	else if (r != MP_OK && r != MP_ERR_NOMEM) {
		ca_detail_set(d, "csr", r == MP_ERR_NOT_FOUND ?
		    "no PEM CERTIFICATE REQUEST block" : "malformed PEM CERTIFICATE REQUEST block");
		r = MP_ERR_INVALID;
	}
	return r;
}

/*
 * One attribute { type, values SET }; remembers the extension requests.
 * MP_ERR_INVALID when malformed or an extension request appears twice.
 */
static int
read_attribute(const mp_der_tlv *attr, struct parts *p)
{
	mp_der in;
	mp_der_tlv type, values;

	mp_der_enter(attr, &in);
	if (attr->tag != MP_DER_SEQUENCE || mp_der_expect(&in, MP_DER_OID, &type) != MP_OK ||
	    mp_der_expect(&in, MP_DER_SET, &values) != MP_OK || !mp_der_empty(&in))
		return MP_ERR_INVALID;
	if (mp_der_oid_is(&type, oid_ext_req, sizeof(oid_ext_req))) {
		if (p->has_ext_req)
			return MP_ERR_INVALID;
		p->ext_req = values;
		p->has_ext_req = true;
	} else if (mp_der_oid_is(&type, oid_ms_ext_req, sizeof(oid_ms_ext_req))) {
		if (p->has_ms_ext_req)
			return MP_ERR_INVALID;
		p->ms_ext_req = values;
		p->has_ms_ext_req = true;
	} else if (mp_der_oid_is(&type, oid_challenge, sizeof(oid_challenge))) {
		mp_der set;

		mp_der_enter(&values, &set);
		if (p->has_challenge || mp_der_next(&set, &p->challenge) != MP_OK ||
		    !mp_der_empty(&set) || (p->challenge.tag != MP_DER_PRINTABLE_STRING &&
		    p->challenge.tag != MP_DER_UTF8_STRING) || p->challenge.len > CHALLENGE_MAX ||
		    memchr(p->challenge.value, '\0', p->challenge.len) != NULL)
			return MP_ERR_INVALID;
		p->has_challenge = true;
	}
	return MP_OK;
}

/*
 * CertificationRequest ::= SEQUENCE { CertificationRequestInfo ::= SEQUENCE {
 * version INTEGER, subject Name, SubjectPublicKeyInfo, attributes [0] SET OF
 * Attribute (absent accepted, as OpenSSL does) }, signatureAlgorithm,
 * signature BIT STRING }, all of der and nothing else.
 */
static int
read_request(const uint8_t *der, size_t len, struct parts *p, ca_detail *d)
{
	mp_der top, req, info, spki, attrs;
	mp_der_tlv t, bits;
	uint64_t version;
	bool present;

	memset(p, 0, sizeof(*p));
	mp_der_init(&top, der, len);
	if (mp_der_expect(&top, MP_DER_SEQUENCE, &t) != MP_OK || !mp_der_empty(&top) ||
	    mp_der_check_tree(&t, CSR_MAX_DEPTH) != MP_OK)
		goto malformed;
	mp_der_enter(&t, &req);
	if (mp_der_expect(&req, MP_DER_SEQUENCE, &p->info) != MP_OK ||
	    mp_der_expect(&req, MP_DER_SEQUENCE, &p->sig_alg) != MP_OK ||
	    mp_der_expect(&req, MP_DER_BIT_STRING, &bits) != MP_OK || !mp_der_empty(&req) ||
	    mp_der_bits(&bits, &p->sig, &p->sig_len) != MP_OK)
		goto malformed;
	mp_der_enter(&p->info, &info);
	if (mp_der_expect(&info, MP_DER_INTEGER, &t) != MP_OK)
		goto malformed;
	if (mp_der_uint(&t, UINT64_MAX, &version) != MP_OK || version != 0) {
		ca_detail_set(d, "csr", "unknown PKCS#10 version");
		return MP_ERR_INVALID;
	}
	if (mp_der_expect(&info, MP_DER_SEQUENCE, &p->subject) != MP_OK ||
	    mp_der_expect(&info, MP_DER_SEQUENCE, &t) != MP_OK ||
	    mp_der_optional(&info, MP_DER_CTX(0), &bits, &present) != MP_OK ||
	    !mp_der_empty(&info))
		goto malformed;
	if (present) {
		mp_der_enter(&bits, &attrs);
		while (!mp_der_empty(&attrs)) {
			mp_der_tlv attr;

			if (mp_der_next(&attrs, &attr) != MP_OK || read_attribute(&attr, p) != MP_OK)
				goto malformed;
		}
	}
	mp_der_enter(&t, &spki);
	if (mp_der_expect(&spki, MP_DER_SEQUENCE, &p->spki_alg) != MP_OK ||
	    mp_der_expect(&spki, MP_DER_BIT_STRING, &bits) != MP_OK || !mp_der_empty(&spki))
		goto malformed;
	if (mp_der_bits(&bits, &p->key, &p->key_len) != MP_OK) {
		ca_detail_set(d, "csr.key", "the public key does not decode");
		return MP_ERR_INVALID;
	}
	return MP_OK;
malformed:
	ca_detail_set(d, "csr", "not a DER PKCS#10 certificate request");
	return MP_ERR_INVALID;
}

/* OpenSSL's decoding of exactly der (len bytes) as it; NULL when it fails or leaves bytes over. */
static void *
d2i_whole(const uint8_t *der, size_t len, const ASN1_ITEM *it)
{
	const unsigned char *q = der;
	ASN1_VALUE *v;

	if (len > LONG_MAX || (v = ASN1_item_d2i(NULL, &q, (long)len, it)) == NULL)
		return NULL;
	if ((size_t)(q - der) != len) {
		ASN1_item_free(v, it);
		return NULL;
	}
	return v;
}

/* The ASN.1 type of an algorithm's parameters, V_ASN1_UNDEF when absent. */
static int
param_type(const X509_ALGOR *alg)
{
	int ptype = V_ASN1_UNDEF;

	X509_ALGOR_get0(NULL, &ptype, NULL, alg);
	return ptype;
}

/* Parameters absent or NULL, as digests and most signature algorithms have them. */
static bool
params_absent_or_null(const X509_ALGOR *alg)
{
	return param_type(alg) == V_ASN1_UNDEF || param_type(alg) == V_ASN1_NULL;
}

/* A positive INTEGER in minimal encoding (RSA modulus and exponent). */
static bool
positive_int(const mp_der_tlv *t)
{
	return t->tag == MP_DER_INTEGER && t->len > 0 && !(t->value[0] & 0x80u) &&
	    !(t->len > 1 && t->value[0] == 0 && !(t->value[1] & 0x80u)) &&
	    !(t->len == 1 && t->value[0] == 0);
}

/* An RSA public key from RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }. */
static int
rsa_key(const uint8_t *der, size_t len, EVP_PKEY **out)
{
	mp_der top, seq;
	mp_der_tlv t, tn, te;

	mp_der_init(&top, der, len);
	if (mp_der_expect(&top, MP_DER_SEQUENCE, &t) != MP_OK || !mp_der_empty(&top))
		return MP_ERR_INVALID;
	mp_der_enter(&t, &seq);
	if (mp_der_expect(&seq, MP_DER_INTEGER, &tn) != MP_OK ||
	    mp_der_expect(&seq, MP_DER_INTEGER, &te) != MP_OK || !mp_der_empty(&seq) ||
	    !positive_int(&tn) || !positive_int(&te))
		return MP_ERR_INVALID;
	return mp_rsa_public_key(tn.value, tn.len, te.value, te.len, out);
}

/*
 * The key of the SubjectPublicKeyInfo: id-ecPublicKey on the named curve
 * P-256 or P-384, rsaEncryption with NULL parameters, or Ed25519 without
 * parameters. MP_ERR_POLICY for other curves and key types, MP_ERR_INVALID
 * when the key does not decode.
 */
static int
spki_key(const X509_ALGOR *alg, const uint8_t *bits, size_t len, EVP_PKEY **out, ca_detail *d)
{
	const ASN1_OBJECT *obj = NULL;
	const void *pval = NULL;
	int ptype = V_ASN1_UNDEF, curve, r = MP_ERR_INVALID;

	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	switch (OBJ_obj2nid(obj)) {
	case NID_X9_62_id_ecPublicKey:
		if (ptype == V_ASN1_SEQUENCE)
			goto not_named;
		if (ptype != V_ASN1_OBJECT)
			break;
		curve = OBJ_obj2nid(pval);
		if (curve == NID_X9_62_prime256v1)
			r = mp_ec_public_key("P-256", 32, bits, len, out);
		else if (curve == NID_secp384r1)
			r = mp_ec_public_key("P-384", 48, bits, len, out);
		else
			goto not_named;
		break;
	case NID_rsaEncryption:
		if (ptype == V_ASN1_NULL)
			r = rsa_key(bits, len, out);
		break;
	case NID_ED25519:
		if (ptype == V_ASN1_UNDEF && len == 32)
			r = (*out = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, bits,
			    len)) != NULL ? MP_OK : MP_ERR_NOMEM;
		break;
	default:
		return ca_key_check(NULL, "csr.key", d);
	}
	if (r == MP_ERR_INVALID)
		ca_detail_set(d, "csr.key", "the public key does not decode");
	return r;
not_named:
	ca_detail_set(d, "csr.key", "EC key not on the named curve P-256 or P-384");
	return MP_ERR_POLICY;
}

/* Digests we accept for a signature: SHA-256 and stronger. */
static bool
strong_md(int nid)
{
	switch (nid) {
	case NID_sha256:
	case NID_sha384:
	case NID_sha512:
	case NID_sha3_256:
	case NID_sha3_384:
	case NID_sha3_512:
		return true;
	default:
		return false;
	}
}

/*
 * RSASSA-PSS-params (RFC 4055): hash and MGF1 hash of SHA-256 or stronger
 * (the SHA-1 defaults are refused), salt length, trailer field 1.
 */
static int
pss_params(const X509_ALGOR *alg, struct sig_check *c, ca_detail *d)
{
	RSA_PSS_PARAMS *pss = NULL;
	X509_ALGOR *mgf1_md = NULL;
	const ASN1_OBJECT *obj = NULL;
	const void *pval = NULL;
	int ptype = V_ASN1_UNDEF, r = MP_ERR_INVALID;
	int64_t salt = 20;

	X509_ALGOR_get0(NULL, &ptype, &pval, alg);
	if (ptype != V_ASN1_SEQUENCE || (pss = d2i_whole(ASN1_STRING_get0_data(pval),
	    (size_t)ASN1_STRING_length(pval), ASN1_ITEM_rptr(RSA_PSS_PARAMS))) == NULL)
		goto malformed;
	if (pss->maskGenAlgorithm != NULL) {
		X509_ALGOR_get0(&obj, &ptype, &pval, pss->maskGenAlgorithm);
		if (OBJ_obj2nid(obj) != NID_mgf1 || ptype != V_ASN1_SEQUENCE ||
		    (mgf1_md = d2i_whole(ASN1_STRING_get0_data(pval),
		    (size_t)ASN1_STRING_length(pval), ASN1_ITEM_rptr(X509_ALGOR))) == NULL ||
		    !params_absent_or_null(mgf1_md))
			goto malformed;
	}
	if ((pss->hashAlgorithm != NULL && !params_absent_or_null(pss->hashAlgorithm)) ||
	    (pss->saltLength != NULL && (ASN1_INTEGER_get_int64(&salt, pss->saltLength) != 1 ||
	    salt < 0 || salt > PSS_MAX_SALT)) ||
	    (pss->trailerField != NULL && ASN1_INTEGER_get(pss->trailerField) != 1))
		goto malformed;
	/* absent hash and mask generation algorithms mean SHA-1 */
	if (pss->hashAlgorithm == NULL || mgf1_md == NULL ||
	    !strong_md(OBJ_obj2nid(pss->hashAlgorithm->algorithm)) ||
	    !strong_md(OBJ_obj2nid(mgf1_md->algorithm))) {
		ca_detail_set(d, "csr.signature", "signed with a digest weaker than SHA-256");
		r = MP_ERR_POLICY;
		goto out;
	}
	c->pss = true;
	c->md = OBJ_nid2sn(OBJ_obj2nid(pss->hashAlgorithm->algorithm));
	c->mgf1_md = OBJ_nid2sn(OBJ_obj2nid(mgf1_md->algorithm));
	c->salt_len = (int)salt;
	r = MP_OK;
	goto out;
malformed:
	ca_detail_set(d, "csr.signature", "malformed RSASSA-PSS parameters");
out:
	X509_ALGOR_free(mgf1_md);
	RSA_PSS_PARAMS_free(pss);
	return r;
}

/*
 * How to check a signature by pub under alg: the digest (SHA-256 or
 * stronger; Ed25519 has none, RSASSA-PSS names it in its parameters) and an
 * algorithm made for pub's key type. MP_ERR_POLICY for a weaker digest.
 */
static int
sig_check_of(const X509_ALGOR *alg, const EVP_PKEY *pub, struct sig_check *c, ca_detail *d)
{
	const ASN1_OBJECT *obj = NULL;
	int md = NID_undef, pk = NID_undef, want;

	memset(c, 0, sizeof(*c));
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (!OBJ_find_sigid_algs(OBJ_obj2nid(obj), &md, &pk)) {
		ca_detail_set(d, "csr.signature", "unknown signature algorithm");
		return MP_ERR_INVALID;
	}
	if (pk == NID_ED25519 || pk == NID_rsassaPss) {
		if (md != NID_undef)
			goto weak;
	} else if (!strong_md(md)) {
		goto weak;
	}
	switch (pk) {
	case NID_X9_62_id_ecPublicKey:
		want = EVP_PKEY_EC;
		break;
	case NID_rsaEncryption:
	case NID_rsassaPss:
		want = EVP_PKEY_RSA;
		break;
	case NID_ED25519:
		want = EVP_PKEY_ED25519;
		break;
	default:
		want = EVP_PKEY_NONE;
		break;
	}
	if (EVP_PKEY_get_base_id(pub) != want) {
		ca_detail_set(d, "csr.signature", "the signature algorithm does not fit the key");
		return MP_ERR_INVALID;
	}
	if (pk == NID_rsassaPss)
		return pss_params(alg, c, d);
	/* RFC 8410: no parameters for Ed25519; RFC 5754 / 4055: absent or NULL for the rest */
	if (pk == NID_ED25519 ? param_type(alg) != V_ASN1_UNDEF : !params_absent_or_null(alg)) {
		ca_detail_set(d, "csr.signature", "unexpected signature algorithm parameters");
		return MP_ERR_INVALID;
	}
	c->md = pk == NID_ED25519 ? NULL : OBJ_nid2sn(md);
	return MP_OK;
weak:
	ca_detail_set(d, "csr.signature", "signed with a digest weaker than SHA-256");
	return MP_ERR_POLICY;
}

/* Whether sig is pub's signature under c over tbs. */
static int
verify(EVP_PKEY *pub, const struct sig_check *c, const uint8_t *tbs, size_t tbs_len,
    const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int r = MP_ERR_NOMEM;

	if (mctx == NULL)
		goto out;
	r = MP_ERR_INVALID;
	if (EVP_DigestVerifyInit_ex(mctx, &pctx, c->md, NULL, NULL, pub, NULL) != 1)
		goto out;
	if (c->pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, c->mgf1_md, NULL) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, c->salt_len) != 1))
		goto out;
	if (EVP_DigestVerify(mctx, sig, sig_len, tbs, tbs_len) != 1)
		goto out;
	r = MP_OK;
out:
	EVP_MD_CTX_free(mctx);
	return r;
}

/* The extensions of the extension request: one value, a SEQUENCE OF Extension. */
static int
requested_exts(const mp_der_tlv *values, STACK_OF(X509_EXTENSION) **out, ca_detail *d)
{
	mp_der in;
	mp_der_tlv t;

	mp_der_enter(values, &in);
	if (mp_der_expect(&in, MP_DER_SEQUENCE, &t) != MP_OK || !mp_der_empty(&in) ||
	    (*out = d2i_whole(t.whole, t.whole_len, ASN1_ITEM_rptr(X509_EXTENSIONS))) == NULL) {
		ca_detail_set(d, "csr.extensions", "the extension request does not decode");
		return MP_ERR_INVALID;
	}
	return MP_OK;
}

/* The decoded request of DER der: its parts, key and signature all checked. */
static int
decode_der(const uint8_t *der, size_t len, ca_csr **out, ca_detail *d)
{
	struct parts p;
	struct sig_check check;
	X509_ALGOR *sig_alg = NULL;
	ca_csr *c = NULL;
	int r;

	if ((r = read_request(der, len, &p, d)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((c = OPENSSL_zalloc(sizeof(*c))) == NULL)
		goto out;
	r = MP_ERR_INVALID;
	if ((c->subject = d2i_whole(p.subject.whole, p.subject.whole_len,
	    ASN1_ITEM_rptr(X509_NAME))) == NULL ||
	    (c->spki_alg = d2i_whole(p.spki_alg.whole, p.spki_alg.whole_len,
	    ASN1_ITEM_rptr(X509_ALGOR))) == NULL ||
	    (sig_alg = d2i_whole(p.sig_alg.whole, p.sig_alg.whole_len,
	    ASN1_ITEM_rptr(X509_ALGOR))) == NULL) {
		ca_detail_set(d, "csr", "not a DER PKCS#10 certificate request");
		goto out;
	}
	/* as X509_REQ_get_extensions: the standard attribute first, else Microsoft's */
	if ((p.has_ext_req || p.has_ms_ext_req) && (r = requested_exts(p.has_ext_req ?
	    &p.ext_req : &p.ms_ext_req, &c->extensions, d)) != MP_OK)
		goto out;
	if ((r = spki_key(c->spki_alg, p.key, p.key_len, &c->pub, d)) != MP_OK ||
	    (r = ca_key_check(c->pub, "csr.key", d)) != MP_OK ||
	    (r = sig_check_of(sig_alg, c->pub, &check, d)) != MP_OK)
		goto out;
	if ((r = verify(c->pub, &check, p.info.whole, p.info.whole_len, p.sig, p.sig_len)) !=
	    MP_OK) {
		if (r == MP_ERR_INVALID)
			ca_detail_set(d, "csr.signature",
			    "signature does not verify (no proof of possession)");
		goto out;
	}
	r = MP_ERR_NOMEM;
	if ((c->spki_bits = OPENSSL_memdup(p.key, p.key_len)) == NULL ||
	    (p.has_challenge && (c->challenge_password = OPENSSL_strndup((const char *)
	    p.challenge.value, p.challenge.len)) == NULL))
		goto out;
	c->spki_bits_len = p.key_len;
	*out = c;
	c = NULL;
	r = MP_OK;
out:
	X509_ALGOR_free(sig_alg);
	ca_csr_free(c);
	return r;
}

int
ca_csr_decode(const uint8_t *in, size_t len, ca_csr **out, ca_detail *d)
{
	uint8_t *der = NULL;
	size_t derlen = 0;
	int r = MP_ERR_INVALID;

	if (len > CA_CSR_MAX_BYTES) {
		ca_detail_set(d, "csr", "larger than %d bytes", CA_CSR_MAX_BYTES);
		r = MP_ERR_TOO_LARGE;
		goto out;
	}
	if (len == 0 || in == NULL) {
		ca_detail_set(d, "csr", "empty");
		goto out;
	}
	if (len >= strlen(PEM_MARK) && memmem(in, len, PEM_MARK, strlen(PEM_MARK)) != NULL) {
		if ((r = pem_to_der(in, len, &der, &derlen, d)) != MP_OK)
			goto out;
		r = decode_der(der, derlen, out, d);
	} else {
		r = decode_der(in, len, out, d);
	}
out:
	ERR_clear_error();
	free(der);
	return r;
}

void
ca_csr_free(ca_csr *csr)
{
	if (csr == NULL)
		return;
	X509_NAME_free(csr->subject);
	sk_X509_EXTENSION_pop_free(csr->extensions, X509_EXTENSION_free);
	EVP_PKEY_free(csr->pub);
	X509_ALGOR_free(csr->spki_alg);
	OPENSSL_free(csr->spki_bits);
	OPENSSL_clear_free(csr->challenge_password, csr->challenge_password != NULL ?
	    strlen(csr->challenge_password) : 0);
	OPENSSL_free(csr);
}
