#include "csrattrs.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "err.h"

/* Whether the key_algorithms array of info names alg. */
static bool
allows(const json_t *info, const char *alg)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(info, "key_algorithms"), i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), alg) == 0)
			return true;
	return false;
}

/* Appends the OID nid as one AttrOrOID. */
static int
add_oid(STACK_OF(ASN1_TYPE) *sk, int nid)
{
	ASN1_TYPE *t = ASN1_TYPE_new();

	if (t == NULL || !ASN1_TYPE_set1(t, V_ASN1_OBJECT, OBJ_nid2obj(nid)) ||
	    !sk_ASN1_TYPE_push(sk, t)) {
		ASN1_TYPE_free(t);
		return MP_ERR_NOMEM;
	}
	return MP_OK;
}

/* Appends the attribute id-ecPublicKey { curves allowed } as one AttrOrOID. */
static int
add_ec_attribute(STACK_OF(ASN1_TYPE) *sk, bool p256, bool p384)
{
	X509_ATTRIBUTE *a = NULL;
	ASN1_STRING *s = NULL;
	ASN1_TYPE *t = NULL;
	unsigned char *der = NULL;
	int n, r = MP_ERR_NOMEM;

	if ((a = X509_ATTRIBUTE_create_by_NID(NULL, NID_X9_62_id_ecPublicKey, V_ASN1_OBJECT,
	    OBJ_nid2obj(p256 ? NID_X9_62_prime256v1 : NID_secp384r1), -1)) == NULL)
		goto out;
	if (p256 && p384 && !X509_ATTRIBUTE_set1_data(a, V_ASN1_OBJECT,
	    OBJ_nid2obj(NID_secp384r1), -1))
		goto out;
	if ((n = i2d_X509_ATTRIBUTE(a, &der)) <= 0 || (s = ASN1_STRING_new()) == NULL ||
	    !ASN1_STRING_set(s, der, n) || (t = ASN1_TYPE_new()) == NULL)
		goto out;
	ASN1_TYPE_set(t, V_ASN1_SEQUENCE, s);
	s = NULL;
	if (!sk_ASN1_TYPE_push(sk, t))
		goto out;
	t = NULL;
	r = MP_OK;
out:
	ASN1_TYPE_free(t);
	ASN1_STRING_free(s);
	OPENSSL_free(der);
	X509_ATTRIBUTE_free(a);
	return r;
}

int
est_csrattrs_der(const json_t *info, uint8_t **der, size_t *len)
{
	STACK_OF(ASN1_TYPE) *sk = sk_ASN1_TYPE_new_null();
	bool p256 = allows(info, "ec-p256"), p384 = allows(info, "ec-p384");
	unsigned char *out = NULL;
	int n, r = MP_ERR_NOMEM;

	if (sk == NULL)
		goto out;
	if ((p256 || p384) && ((r = add_ec_attribute(sk, p256, p384)) != MP_OK ||
	    (r = add_oid(sk, NID_ecdsa_with_SHA256)) != MP_OK ||
	    (p384 && (r = add_oid(sk, NID_ecdsa_with_SHA384)) != MP_OK)))
		goto out;
	if (allows(info, "rsa") && ((r = add_oid(sk, NID_rsaEncryption)) != MP_OK ||
	    (r = add_oid(sk, NID_sha256WithRSAEncryption)) != MP_OK))
		goto out;
	if (allows(info, "ed25519") && (r = add_oid(sk, NID_ED25519)) != MP_OK)
		goto out;
	if ((n = i2d_ASN1_SEQUENCE_ANY(sk, &out)) <= 0) {
		r = MP_ERR_CRYPTO;
		goto out;
	}
	*der = out;
	*len = (size_t)n;
	r = MP_OK;
out:
	sk_ASN1_TYPE_pop_free(sk, ASN1_TYPE_free);
	return r;
}
