#include "describe.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "codec.h"
#include "err.h"
#include "iec62351.h"
#include "keyinfo.h"
#include "names.h"
#include "profile_def.h"
#include "timefmt.h"

#define OID_TEXT_MAX 128

/* A name in RFC 4514 form, UTF-8 left unescaped. */
static json_t *
name_json(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;
	json_t *j = NULL;

	if (b == NULL)
		return NULL;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (len = BIO_get_mem_data(b, &data)) >= 0)
		j = json_stringn(data != NULL ? data : "", (size_t)len);
	BIO_free(b);
	return j;
}

static json_t *
time_json(const ASN1_TIME *t)
{
	int64_t secs = ca_time_of(t);
	char buf[32];

	if (secs < 0)
		return json_null();
	ca_time_text(secs, buf);
	return json_string(buf);
}

static json_t *
serial_json(const ASN1_INTEGER *serial)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
	uint8_t buf[64];
	char *hex = NULL;
	json_t *j = NULL;
	int n;

	if (bn == NULL)
		return NULL;
	if (BN_num_bytes(bn) <= (int)sizeof(buf) && (n = BN_bn2bin(bn, buf)) >= 0 &&
	    mp_hex_encode(buf, (size_t)n, &hex) == MP_OK)
		j = json_string(hex);
	free(hex);
	BN_free(bn);
	return j;
}

/* An OID as our name for it: OpenSSL's short name when it has one, else dotted. */
static json_t *
oid_name_json(const ASN1_OBJECT *o)
{
	char buf[OID_TEXT_MAX];
	int nid = OBJ_obj2nid(o);

	if (nid != NID_undef)
		return json_string(OBJ_nid2sn(nid));
	if (OBJ_obj2txt(buf, sizeof(buf), o, 1) <= 0)
		return json_string("unknown");
	if (strcmp(buf, CA_IEC_ROLES_OID) == 0)
		return json_string("iecUserRoles");
	return json_string(buf);
}

static json_t *
san_json(const X509 *x)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	json_t *arr = json_array();
	char *s;

	for (int i = 0; arr != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		if ((s = ca_general_name_text(sk_GENERAL_NAME_value(gens, i))) == NULL ||
		    json_array_append_new(arr, json_string(s)) != 0) {
			json_decref(arr);
			arr = NULL;
		}
		free(s);
	}
	GENERAL_NAMES_free(gens);
	return arr;
}

static json_t *
key_usage_json(const X509 *x)
{
	ASN1_BIT_STRING *ku = X509_get_ext_d2i(x, NID_key_usage, NULL, NULL);
	json_t *arr = json_array();

	for (unsigned n = 0; arr != NULL && ku != NULL && n < CA_KU_BITS; n++) {
		if (ASN1_BIT_STRING_get_bit(ku, (int)n) &&
		    json_array_append_new(arr, json_string(ca_ku_name(n))) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	ASN1_BIT_STRING_free(ku);
	return arr;
}

static json_t *
eku_json(const X509 *x)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	json_t *arr = json_array();

	for (int i = 0; arr != NULL && i < sk_ASN1_OBJECT_num(eku); i++) {
		if (json_array_append_new(arr, oid_name_json(sk_ASN1_OBJECT_value(eku, i))) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	EXTENDED_KEY_USAGE_free(eku);
	return arr;
}

static json_t *
basic_constraints_json(const X509 *x)
{
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	json_t *o;

	if (bc == NULL)
		return json_null();
	o = json_object();
	if (o != NULL && (json_object_set_new(o, "ca", json_boolean(bc->ca != 0)) != 0 ||
	    (bc->pathlen != NULL && json_object_set_new(o, "path_len",
		json_integer((json_int_t)ASN1_INTEGER_get(bc->pathlen))) != 0))) {
		json_decref(o);
		o = NULL;
	}
	BASIC_CONSTRAINTS_free(bc);
	return o;
}

/* Every extension as {oid, name, critical}; *roles gets the IEC roles when present. */
static json_t *
extensions_json(const X509 *x, json_t **roles)
{
	json_t *arr = json_array(), *o;
	char oid[OID_TEXT_MAX];

	*roles = NULL;
	for (int i = 0; arr != NULL && i < X509_get_ext_count(x); i++) {
		X509_EXTENSION *e = X509_get_ext(x, i);
		const ASN1_OBJECT *obj = X509_EXTENSION_get_object(e);
		const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(e);

		if (OBJ_obj2txt(oid, sizeof(oid), obj, 1) <= 0)
			oid[0] = '\0';
		if (strcmp(oid, CA_IEC_ROLES_OID) == 0 && *roles == NULL &&
		    ca_iec_roles_decode(ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v),
			roles) != MP_OK)
			*roles = NULL;
		o = json_pack("{s:s, s:o, s:b}", "oid", oid, "name", oid_name_json(obj), "critical",
		    X509_EXTENSION_get_critical(e) != 0);
		if (json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	return arr;
}

/* The key's name; decodes the key from its encoding when x holds none (ca_cert_build). */
static void
key_name(X509 *x, char out[CA_KEY_NAME_MAX])
{
	EVP_PKEY *k = X509_get0_pubkey(x), *decoded = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	int n;

	if (k == NULL && (n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der)) > 0) {
		p = der;
		k = decoded = d2i_PUBKEY(NULL, &p, n);
	}
	ca_key_name(k, out);
	EVP_PKEY_free(decoded);
	OPENSSL_free(der);
}

json_t *
ca_cert_describe(X509 *x)
{
	char key[CA_KEY_NAME_MAX];
	json_t *o = NULL, *roles = NULL;

	if (x == NULL)
		return NULL;
	key_name(x, key);
	o = json_pack("{s:o?, s:o?, s:o?, s:o?, s:o?, s:o?, s:s, s:o?, s:o?, s:o?, s:o?}",
	    "subject", name_json(X509_get_subject_name(x)),
	    "issuer", name_json(X509_get_issuer_name(x)),
	    "serial", serial_json(X509_get0_serialNumber(x)),
	    "not_before", time_json(X509_get0_notBefore(x)),
	    "not_after", time_json(X509_get0_notAfter(x)),
	    "san", san_json(x),
	    "key_algorithm", key,
	    "key_usage", key_usage_json(x),
	    "extended_key_usage", eku_json(x),
	    "basic_constraints", basic_constraints_json(x),
	    "extensions", extensions_json(x, &roles));
	if (o != NULL && roles != NULL && json_object_set_new(o, "iec62351_roles", roles) != 0) {
		json_decref(o);
		o = NULL;
	} else if (o == NULL) {
		json_decref(roles);
	}
	ERR_clear_error();
	return o;
}
