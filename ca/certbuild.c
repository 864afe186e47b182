#include "certbuild.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "codec.h"
#include "detail.h"
#include "err.h"
#include "iec62351.h"
#include "keyinfo.h"
#include "names.h"
#include "profile_def.h"
#include "secure.h"
#include "template.h"
#include "timefmt.h"

#define FIELD_MAX 128
/* an attribute or extension name in a field: ours, OpenSSL's or a dotted OID */
#define LABEL_MAX 40
#define SUBJECT_MAX_ATTRS 32
#define SUBJECT_VALUE_MAX 1024
#define SERIAL_MAX 20
#define NC_MAX 64
/* 9999-12-31T23:59:59Z, the last second a certificate can name */
#define TIME_CEILING 253402300799ll

int
ca_serial_new(uint8_t out[CA_SERIAL_LEN])
{
	uint8_t b[CA_SERIAL_LEN];

	if (mp_random_bytes(b, sizeof(b)) != MP_OK)
		return MP_ERR_CRYPTO;
	b[0] = (uint8_t)(0x40 | (b[0] & 0x3f));
	memcpy(out, b, sizeof(b));
	return MP_OK;
}

/* One attribute of a subject string while it is parsed. */
struct dn_part {
	int attr;
	size_t rdn;
	char *value;
};

/* The attribute name at *p up to '=' (case-insensitive), or -1. */
static int
dn_attr(const char **p)
{
	const char *eq = strchr(*p, '=');
	size_t len;

	if (eq == NULL)
		return -1;
	len = (size_t)(eq - *p);
	for (int i = 0; i < CA_ATTR_COUNT; i++) {
		if (strlen(ca_attr_name(i)) == len && strncasecmp(ca_attr_name(i), *p, len) == 0) {
			*p = eq + 1;
			return i;
		}
	}
	return -1;
}

/* The value at *p up to an unescaped ',' or '+' or the end, unescaped into a new string. */
static int
dn_value(const char **p, char **out, const char **why)
{
	char *v = malloc(SUBJECT_VALUE_MAX + 1);
	size_t n = 0;
	const char *s = *p;
	int hi, lo;

	if (v == NULL)
		return MP_ERR_NOMEM;
	*why = NULL;
	if (*s == '#')
		*why = "hex-encoded (#) values are not supported";
	while (*why == NULL && *s != '\0' && *s != ',' && *s != '+') {
		char c = *s++;

		if (c == '"') {
			*why = "an unescaped '\"'";
			break;
		}
		if (c == '\\') {
			if (*s != '\0' && strchr(",+=\\\"<>;# ", *s) != NULL) {
				c = *s++;
			} else if ((hi = mp_hex_digit(s[0])) >= 0 && (lo = mp_hex_digit(s[1])) >= 0) {
				c = (char)(hi << 4 | lo);
				s += 2;
			} else {
				*why = "a bad escape after '\\'";
				break;
			}
		}
		if (c == '\0' || n == SUBJECT_VALUE_MAX) {
			*why = c == '\0' ? "a NUL character" : "a value too long";
			break;
		}
		v[n++] = c;
	}
	if (*why == NULL && n == 0)
		*why = "an empty value";
	if (*why != NULL) {
		free(v);
		return MP_ERR_INVALID;
	}
	v[n] = '\0';
	*p = s;
	*out = v;
	return MP_OK;
}

int
ca_subject_parse(const char *s, X509_NAME **out, ca_detail *d)
{
	struct dn_part parts[SUBJECT_MAX_ATTRS];
	size_t n = 0, rdn = 0;
	X509_NAME *name = NULL;
	const char *p = s, *why = NULL;
	int r = MP_ERR_INVALID;

	if (s == NULL || *s == '\0') {
		ca_detail_set(d, "subject", "empty subject");
		goto out;
	}
	for (;;) {
		while (*p == ' ')
			p++;
		if (n == SUBJECT_MAX_ATTRS) {
			ca_detail_set(d, "subject", "more than %d attributes", SUBJECT_MAX_ATTRS);
			goto out;
		}
		if ((parts[n].attr = dn_attr(&p)) < 0) {
			ca_detail_set(d, "subject", "expected an attribute (DC, C, ST, L, street, O, "
			    "OU, title, CN, serialNumber, UID) and '=' at offset %zu", (size_t)(p - s));
			goto out;
		}
		parts[n].rdn = rdn;
		if ((r = dn_value(&p, &parts[n].value, &why)) != MP_OK) {
			if (r == MP_ERR_INVALID)
				ca_detail_set(d, "subject", "%s in the value of %s",
				    why, ca_attr_name(parts[n].attr));
			goto out;
		}
		n++;
		r = MP_ERR_INVALID;
		if (*p == '\0')
			break;
		if (*p++ == ',')
			rdn++;
	}
	r = MP_ERR_NOMEM;
	if ((name = X509_NAME_new()) == NULL)
		goto out;
	/* RFC 4514 writes the last RDN first */
	for (size_t want = rdn + 1; want-- > 0;) {
		bool first = true;

		for (size_t i = 0; i < n; i++) {
			if (parts[i].rdn != want)
				continue;
			if (!X509_NAME_add_entry_by_NID(name, ca_attr_nid(parts[i].attr), MBSTRING_UTF8,
			    (const unsigned char *)parts[i].value, -1, -1, first ? 0 : -1)) {
				ca_detail_set(d, "subject", "the value of %s is not valid for it "
				    "(length, characters or UTF-8)", ca_attr_name(parts[i].attr));
				r = MP_ERR_INVALID;
				goto out;
			}
			first = false;
		}
	}
	*out = name;
	name = NULL;
	r = MP_OK;
out:
	ERR_clear_error();
	for (size_t i = 0; i < n; i++)
		free(parts[i].value);
	X509_NAME_free(name);
	return r;
}

/* Sets the serial number from serial_len big-endian octets (positive, no leading zero). */
static int
set_serial(X509 *x, const uint8_t *serial, size_t len, ca_detail *d)
{
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	int r = MP_ERR_INVALID;

	if (serial == NULL || len == 0 || len > SERIAL_MAX || serial[0] == 0 || serial[0] >= 0x80) {
		ca_detail_set(d, "serial", "must be 1 to %d octets, positive, without a leading zero",
		    SERIAL_MAX);
		goto out;
	}
	r = MP_ERR_NOMEM;
	if ((bn = BN_bin2bn(serial, (int)len, NULL)) == NULL ||
	    (ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL || !X509_set_serialNumber(x, ai))
		goto out;
	r = MP_OK;
out:
	BN_free(bn);
	ASN1_INTEGER_free(ai);
	return r;
}

static int
set_times(X509 *x, int64_t nb, int64_t na)
{
	ASN1_TIME *t = NULL;
	int r = MP_ERR_NOMEM;

	if ((t = ASN1_TIME_set(NULL, (time_t)nb)) == NULL || !X509_set1_notBefore(x, t))
		goto out;
	if (ASN1_TIME_set(t, (time_t)na) == NULL || !X509_set1_notAfter(x, t))
		goto out;
	r = MP_OK;
out:
	ASN1_TIME_free(t);
	return r;
}

/*
 * Sets the subjectPublicKeyInfo of x to a copy of the request's, as encoded.
 * Unlike X509_set_pubkey, which in OpenSSL 3.0 builds an encoder chain for
 * every call (about 0.5 ms), this copies bytes; x then has no decoded key
 * (X509_get0_pubkey returns NULL until the certificate is read back from DER).
 */
static int
copy_spki(X509 *x, const ca_csr *csr)
{
	ASN1_OBJECT *alg = NULL;
	const ASN1_OBJECT *src_obj = NULL;
	unsigned char *copy = NULL;
	const void *pval = NULL;
	void *param = NULL;
	int ptype = V_ASN1_UNDEF, r = MP_ERR_NOMEM;

	if (csr->spki_bits_len == 0 || csr->spki_bits_len > INT_MAX) {
		r = MP_ERR_INVALID;
		goto out;
	}
	X509_ALGOR_get0(&src_obj, &ptype, &pval, csr->spki_alg);
	if ((alg = OBJ_dup(src_obj)) == NULL ||
	    (copy = OPENSSL_memdup(csr->spki_bits, csr->spki_bits_len)) == NULL)
		goto out;
	switch (ptype) {
	case V_ASN1_UNDEF:
	case V_ASN1_NULL:
		break;
	case V_ASN1_OBJECT:
		if ((param = OBJ_dup(pval)) == NULL)
			goto out;
		break;
	case V_ASN1_SEQUENCE:
		if ((param = ASN1_STRING_dup(pval)) == NULL)
			goto out;
		break;
	default:
		r = MP_ERR_INVALID;
		goto out;
	}
	if (!X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(x), alg, ptype, param, copy,
	    (int)csr->spki_bits_len))
		goto out;
	alg = NULL;
	param = NULL;
	copy = NULL;
	r = MP_OK;
out:
	if (ptype == V_ASN1_OBJECT)
		ASN1_OBJECT_free(param);
	else
		ASN1_STRING_free(param);
	ASN1_OBJECT_free(alg);
	OPENSSL_free(copy);
	return r;
}

/* Appends an extension whose value is der. */
static int
add_ext_der(X509 *x, const ASN1_OBJECT *obj, int crit, const unsigned char *der, int len)
{
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e = NULL;
	int r = MP_ERR_NOMEM;

	if (os == NULL || !ASN1_OCTET_STRING_set(os, der, len) ||
	    (e = X509_EXTENSION_create_by_OBJ(NULL, obj, crit, os)) == NULL ||
	    !X509_add_ext(x, e, -1))
		goto out;
	r = MP_OK;
out:
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
	return r;
}

/* Appends the extension nid holding val, an instance of it. */
static int
add_ext(X509 *x, int nid, int crit, const ASN1_ITEM *it, const void *val)
{
	unsigned char *der = NULL;
	int len, r;

	if ((len = ASN1_item_i2d((const ASN1_VALUE *)val, &der, it)) <= 0)
		return MP_ERR_NOMEM;
	r = add_ext_der(x, OBJ_nid2obj(nid), crit, der, len);
	OPENSSL_free(der);
	return r;
}

static int
add_basic_constraints(X509 *x, bool ca, int path_len, bool crit)
{
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	int r = MP_ERR_NOMEM;

	if (bc == NULL)
		goto out;
	bc->ca = ca ? 0xff : 0;
	if (ca && path_len >= 0) {
		if ((bc->pathlen = ASN1_INTEGER_new()) == NULL ||
		    !ASN1_INTEGER_set(bc->pathlen, path_len))
			goto out;
	}
	r = add_ext(x, NID_basic_constraints, crit, ASN1_ITEM_rptr(BASIC_CONSTRAINTS), bc);
out:
	BASIC_CONSTRAINTS_free(bc);
	return r;
}

static int
add_key_usage(X509 *x, uint32_t bits)
{
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	int r = MP_ERR_NOMEM;

	if (ku == NULL)
		goto out;
	for (unsigned n = 0; n < CA_KU_BITS; n++)
		if ((bits & CA_KU_BIT(n)) && !ASN1_BIT_STRING_set_bit(ku, (int)n, 1))
			goto out;
	r = add_ext(x, NID_key_usage, 1, ASN1_ITEM_rptr(ASN1_BIT_STRING), ku);
out:
	ASN1_BIT_STRING_free(ku);
	return r;
}

/* SHA-1 of the subjectPublicKey of x (RFC 5280 4.2.1.2, method 1). */
static ASN1_OCTET_STRING *
key_id(const X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	ASN1_OCTET_STRING *os;

	if (!X509_pubkey_digest(x, EVP_sha1(), md, &len) || (os = ASN1_OCTET_STRING_new()) == NULL)
		return NULL;
	if (!ASN1_OCTET_STRING_set(os, md, (int)len)) {
		ASN1_OCTET_STRING_free(os);
		return NULL;
	}
	return os;
}

static int
add_ski(X509 *x)
{
	ASN1_OCTET_STRING *ski = key_id(x);
	int r;

	if (ski == NULL)
		return MP_ERR_CRYPTO;
	r = add_ext(x, NID_subject_key_identifier, 0, ASN1_ITEM_rptr(ASN1_OCTET_STRING), ski);
	ASN1_OCTET_STRING_free(ski);
	return r;
}

/* AKI from the issuer's SKI, or from its key when it has none. */
static int
add_aki(X509 *x, const X509 *issuer)
{
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id((X509 *)issuer);
	int r = MP_ERR_NOMEM;

	if (akid == NULL)
		goto out;
	akid->keyid = ski != NULL ? ASN1_OCTET_STRING_dup(ski) : key_id(issuer);
	if (akid->keyid == NULL)
		goto out;
	r = add_ext(x, NID_authority_key_identifier, 0, ASN1_ITEM_rptr(AUTHORITY_KEYID), akid);
out:
	AUTHORITY_KEYID_free(akid);
	return r;
}

/* A URI general name for url; MP_ERR_INVALID with d naming field when it is not a URI. */
static int
uri_name(const char *url, const char *field, GENERAL_NAME **out, ca_detail *d)
{
	char *s = NULL;
	const char *why = NULL;
	size_t len;
	int r = MP_ERR_NOMEM;

	if (url == NULL) {
		ca_detail_set(d, field, "the profile needs this URL and none was given");
		return MP_ERR_INVALID;
	}
	len = strlen(url) + 5;
	if ((s = malloc(len)) == NULL)
		goto out;
	snprintf(s, len, "uri:%s", url);
	if ((r = ca_general_name_parse(s, out, &why)) == MP_ERR_INVALID)
		ca_detail_set(d, field, "%s", why);
out:
	free(s);
	return r;
}

/* A CRL distribution point extension (nid: CDP or freshest CRL) with one URL. */
static int
add_cdp(X509 *x, int nid, const char *url, const char *field, ca_detail *d)
{
	CRL_DIST_POINTS *cdp = sk_DIST_POINT_new_null();
	DIST_POINT *dp = DIST_POINT_new();
	GENERAL_NAME *gn = NULL;
	int r = MP_ERR_NOMEM;

	if (cdp == NULL || dp == NULL)
		goto out;
	if ((r = uri_name(url, field, &gn, d)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((dp->distpoint = DIST_POINT_NAME_new()) == NULL ||
	    (dp->distpoint->name.fullname = GENERAL_NAMES_new()) == NULL)
		goto out;
	dp->distpoint->type = 0;
	if (!sk_GENERAL_NAME_push(dp->distpoint->name.fullname, gn))
		goto out;
	gn = NULL;
	if (!sk_DIST_POINT_push(cdp, dp))
		goto out;
	dp = NULL;
	r = add_ext(x, nid, 0, ASN1_ITEM_rptr(CRL_DIST_POINTS), cdp);
out:
	GENERAL_NAME_free(gn);
	DIST_POINT_free(dp);
	sk_DIST_POINT_pop_free(cdp, DIST_POINT_free);
	return r;
}

/* Adds an access description (method nid, location url) to aia. */
static int
aia_push(AUTHORITY_INFO_ACCESS *aia, int method, const char *url, const char *field,
    ca_detail *d)
{
	ACCESS_DESCRIPTION *ad = ACCESS_DESCRIPTION_new();
	GENERAL_NAME *gn = NULL;
	int r = MP_ERR_NOMEM;

	if (ad == NULL)
		goto out;
	if ((r = uri_name(url, field, &gn, d)) != MP_OK)
		goto out;
	ASN1_OBJECT_free(ad->method);
	ad->method = OBJ_nid2obj(method);
	GENERAL_NAME_free(ad->location);
	ad->location = gn;
	r = MP_ERR_NOMEM;
	if (!sk_ACCESS_DESCRIPTION_push(aia, ad))
		goto out;
	ad = NULL;
	r = MP_OK;
out:
	ACCESS_DESCRIPTION_free(ad);
	return r;
}

/* An AIA extension with the OCSP URL (when ocsp) and the caIssuers URL (when issuers). */
static int
add_aia(X509 *x, bool ocsp, const char *ocsp_url, bool issuers, const char *issuers_url,
    ca_detail *d)
{
	AUTHORITY_INFO_ACCESS *aia = sk_ACCESS_DESCRIPTION_new_null();
	int r = MP_ERR_NOMEM;

	if (aia == NULL)
		goto out;
	if (ocsp && (r = aia_push(aia, NID_ad_OCSP, ocsp_url, "ocsp_url", d)) != MP_OK)
		goto out;
	if (issuers &&
	    (r = aia_push(aia, NID_ad_ca_issuers, issuers_url, "ca_issuers_url", d)) != MP_OK)
		goto out;
	r = add_ext(x, NID_info_access, 0, ASN1_ITEM_rptr(AUTHORITY_INFO_ACCESS), aia);
out:
	sk_ACCESS_DESCRIPTION_pop_free(aia, ACCESS_DESCRIPTION_free);
	return r;
}

static int
add_null_ext(X509 *x, int nid)
{
	static const unsigned char null_der[] = { 0x05, 0x00 };

	return add_ext_der(x, OBJ_nid2obj(nid), 0, null_der, (int)sizeof(null_der));
}

/* The state of one end-entity build. */
struct build {
	const ca_cert_input *in;
	const ca_profile *p;
	const char *pname;
	ca_detail *d;
	const char *pre;             /* "csr." or "" */
	EVP_PKEY *pub;
	ca_key_kind kind;
	uint32_t ku;                 /* the profile's keyUsage for this key */
	int64_t nb, na;
	char *forced[CA_ATTR_COUNT];
	X509_NAME *subject;
	GENERAL_NAMES *req_sans;     /* as requested */
	GENERAL_NAMES *sans;         /* as issued */
};

/* "<pre><what>" into out. */
static const char *
fld(const struct build *b, char out[FIELD_MAX], const char *what)
{
	snprintf(out, FIELD_MAX, "%s%s", b->pre, what);
	return out;
}

static int
check_key(struct build *b)
{
	char f[FIELD_MAX], name[CA_KEY_NAME_MAX];
	unsigned bits = 0;
	int r;

	fld(b, f, "key");
	if (b->pub == NULL) {
		ca_detail_set(b->d, f, "no public key");
		return MP_ERR_INVALID;
	}
	if ((r = ca_key_check(b->pub, f, b->d)) != MP_OK)
		return r;
	b->kind = ca_key_kind_of(b->pub, &bits);
	ca_key_name(b->pub, name);
	if ((b->p->key_kinds & (unsigned)b->kind) == 0) {
		ca_detail_set(b->d, f, "%s keys are not allowed by profile %s", name, b->pname);
		return MP_ERR_POLICY;
	}
	if (b->kind == CA_KEY_RSA && (bits < b->p->rsa_min_bits || bits > b->p->rsa_max_bits)) {
		ca_detail_set(b->d, f, "RSA key of %u bits: profile %s allows %u to %u bits", bits,
		    b->pname, b->p->rsa_min_bits, b->p->rsa_max_bits);
		return MP_ERR_POLICY;
	}
	b->ku = b->p->key_usage;
	if (b->kind != CA_KEY_RSA)
		b->ku &= ~(CA_KU_BIT(CA_KU_KEY_ENCIPHERMENT) | CA_KU_BIT(CA_KU_DATA_ENCIPHERMENT));
	if (b->kind == CA_KEY_ED25519)
		b->ku &= ~CA_KU_BIT(CA_KU_KEY_AGREEMENT);
	if (b->p->key_usage != 0 && b->ku == 0) {
		ca_detail_set(b->d, f, "profile %s gives no key usage that a %s key can have",
		    b->pname, name);
		return MP_ERR_POLICY;
	}
	return MP_OK;
}

static int
check_validity(struct build *b)
{
	const ca_profile *p = b->p;
	int64_t v = b->in->validity_s != 0 ? b->in->validity_s : p->validity_default;
	int64_t issuer_na = ca_time_of(X509_get0_notAfter(b->in->issuer));

	if (b->in->not_before < 0 || b->in->not_before > TIME_CEILING - p->validity_max) {
		ca_detail_set(b->d, "not_before", "out of range");
		return MP_ERR_INVALID;
	}
	if (v < 0 || v > p->validity_max) {
		ca_detail_set(b->d, "validity", "%lld seconds asked; profile %s allows at most "
		    "%lld seconds (%lld days)", (long long)v, b->pname, (long long)p->validity_max,
		    (long long)(p->validity_max / 86400));
		return MP_ERR_POLICY;
	}
	b->nb = b->in->not_before;
	b->na = b->nb + v;
	if (issuer_na < 0) {
		ca_detail_set(b->d, "issuer", "the issuing CA's notAfter does not decode");
		return MP_ERR_INVALID;
	}
	if (b->na > issuer_na)
		b->na = issuer_na;
	if (b->na <= b->nb) {
		ca_detail_set(b->d, "validity", "the issuing CA's certificate expires before the "
		    "new certificate would start");
		return MP_ERR_POLICY;
	}
	return MP_OK;
}

/* The name of an attribute for messages: ours, OpenSSL's short name, or the dotted OID. */
static void
attr_label(const ASN1_OBJECT *obj, char out[LABEL_MAX])
{
	int nid = OBJ_obj2nid(obj), a = ca_attr_by_nid(nid);

	if (a >= 0)
		snprintf(out, LABEL_MAX, "%s", ca_attr_name(a));
	else if (nid != NID_undef)
		snprintf(out, LABEL_MAX, "%s", OBJ_nid2sn(nid));
	else if (OBJ_obj2txt(out, LABEL_MAX, obj, 1) <= 0)
		snprintf(out, LABEL_MAX, "unknown");
}

/* The value of entry e as UTF-8 into *out (OPENSSL_free); MP_ERR_INVALID for NUL or bad text. */
static int
entry_utf8(const X509_NAME_ENTRY *e, unsigned char **out)
{
	int len = ASN1_STRING_to_UTF8(out, X509_NAME_ENTRY_get_data(e));

	if (len < 0)
		return MP_ERR_INVALID;
	if (len == 0 || memchr(*out, '\0', (size_t)len) != NULL) {
		OPENSSL_free(*out);
		*out = NULL;
		return MP_ERR_INVALID;
	}
	return MP_OK;
}

static int
add_name_value(X509_NAME *n, int attr, const char *value)
{
	return X509_NAME_add_entry_by_NID(n, ca_attr_nid(attr), MBSTRING_UTF8,
	    (const unsigned char *)value, -1, -1, 0) ? MP_OK : MP_ERR_INVALID;
}

/* Checks each attribute of src against the profile (pass 1). */
static int
check_subject(struct build *b, const X509_NAME *src)
{
	char f[FIELD_MAX], label[LABEL_MAX], what[FIELD_MAX];
	unsigned char *v = NULL;
	int n = X509_NAME_entry_count(src), a, r = MP_OK;

	if (n > SUBJECT_MAX_ATTRS) {
		ca_detail_set(b->d, fld(b, f, "subject"), "more than %d attributes",
		    SUBJECT_MAX_ATTRS);
		return MP_ERR_POLICY;
	}
	for (int i = 0; i < n && r == MP_OK; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(src, i);

		attr_label(X509_NAME_ENTRY_get_object(e), label);
		snprintf(what, sizeof(what), "subject.%s", label);
		fld(b, f, what);
		a = ca_attr_by_nid(OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)));
		if (a < 0 || (b->forced[a] == NULL && !(b->p->subject_allowed & (1u << a)))) {
			ca_detail_set(b->d, f, "not allowed by profile %s", b->pname);
			r = MP_ERR_POLICY;
		} else if (entry_utf8(e, &v) != MP_OK) {
			ca_detail_set(b->d, f, "not a valid string");
			r = MP_ERR_INVALID;
		} else if (b->forced[a] != NULL && strcmp((const char *)v, b->forced[a]) != 0) {
			ca_detail_set(b->d, f, "must be \"%s\" or left out: profile %s sets it",
			    b->forced[a], b->pname);
			r = MP_ERR_POLICY;
		}
		OPENSSL_free(v);
		v = NULL;
	}
	return r;
}

/* The subject: in attribute order, forced values, else the requested ones (pass 2). */
static int
build_subject(struct build *b)
{
	X509_NAME *parsed = NULL;
	const X509_NAME *src;
	unsigned char *v = NULL;
	char f[FIELD_MAX], what[FIELD_MAX];
	int r;

	for (int a = 0; a < CA_ATTR_COUNT; a++) {
		if (b->p->subject_forced[a] != NULL &&
		    (r = ca_template_render(b->p->subject_forced[a], b->in->device,
			b->in->tenant_name, &b->forced[a], b->d)) != MP_OK)
			goto out;
	}
	if (b->in->csr != NULL) {
		src = b->in->csr->subject;
	} else if (b->in->subject != NULL && *b->in->subject != '\0') {
		if ((r = ca_subject_parse(b->in->subject, &parsed, b->d)) != MP_OK)
			goto out;
		src = parsed;
	} else {
		src = NULL;
	}
	if (src != NULL && (r = check_subject(b, src)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((b->subject = X509_NAME_new()) == NULL)
		goto out;
	for (int a = 0; a < CA_ATTR_COUNT; a++) {
		snprintf(what, sizeof(what), "subject.%s", ca_attr_name(a));
		if (b->forced[a] != NULL) {
			if (add_name_value(b->subject, a, b->forced[a]) != MP_OK) {
				ca_detail_set(b->d, what, "\"%s\" (set by profile %s) is not a valid %s "
				    "(length or characters)", b->forced[a], b->pname, ca_attr_name(a));
				r = MP_ERR_POLICY;
				goto out;
			}
			continue;
		}
		for (int i = 0; src != NULL && i < X509_NAME_entry_count(src); i++) {
			const X509_NAME_ENTRY *e = X509_NAME_get_entry(src, i);

			if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) != ca_attr_nid(a))
				continue;
			if (entry_utf8(e, &v) != MP_OK || add_name_value(b->subject, a,
			    (const char *)v) != MP_OK) {
				ca_detail_set(b->d, fld(b, f, what), "not a valid %s (length or characters)",
				    ca_attr_name(a));
				r = MP_ERR_INVALID;
				goto out;
			}
			OPENSSL_free(v);
			v = NULL;
		}
	}
	r = MP_OK;
out:
	OPENSSL_free(v);
	X509_NAME_free(parsed);
	return r;
}

/* The requested SANs given as strings (internal issuance). */
static int
parse_sans(struct build *b)
{
	char f[FIELD_MAX];
	const char *why = NULL;
	const json_t *e;
	GENERAL_NAME *gn = NULL;
	size_t i;
	int r;

	if (b->in->sans == NULL)
		return MP_OK;
	if (!json_is_array(b->in->sans)) {
		ca_detail_set(b->d, "sans", "must be an array of strings");
		return MP_ERR_INVALID;
	}
	if ((b->req_sans = GENERAL_NAMES_new()) == NULL)
		return MP_ERR_NOMEM;
	json_array_foreach(b->in->sans, i, e) {
		snprintf(f, sizeof(f), "sans[%zu]", i);
		if (!json_is_string(e)) {
			ca_detail_set(b->d, f, "must be a string such as \"dns:host.example\"");
			return MP_ERR_INVALID;
		}
		if ((r = ca_general_name_parse(json_string_value(e), &gn, &why)) != MP_OK) {
			if (r == MP_ERR_INVALID)
				ca_detail_set(b->d, f, "%s", why);
			return r;
		}
		if (!sk_GENERAL_NAME_push(b->req_sans, gn)) {
			GENERAL_NAME_free(gn);
			return MP_ERR_NOMEM;
		}
	}
	return MP_OK;
}

static bool
in_names(const GENERAL_NAMES *names, const GENERAL_NAME *gn)
{
	for (int i = 0; i < sk_GENERAL_NAME_num(names); i++)
		if (GENERAL_NAME_cmp(sk_GENERAL_NAME_value(names, i), (GENERAL_NAME *)gn) == 0)
			return true;
	return false;
}

/* True when the profile allows gn (checked well-formed) as a requested SAN. */
static bool
san_allowed(const ca_profile *p, const GENERAL_NAME *gn)
{
	const json_t *list = NULL, *e;
	const char *value;
	size_t i;

	switch (gn->type) {
	case GEN_IPADD:
		for (i = 0; i < p->n_san_ip; i++)
			if (ca_cidr_contains(&p->san_ip[i], ASN1_STRING_get0_data(gn->d.iPAddress),
			    (size_t)ASN1_STRING_length(gn->d.iPAddress)))
				return true;
		return false;
	case GEN_DNS:
		list = p->san_dns;
		break;
	case GEN_URI:
		list = p->san_uri;
		break;
	case GEN_EMAIL:
		list = p->san_email;
		break;
	default:
		return false;
	}
	value = (const char *)ASN1_STRING_get0_data(gn->d.ia5);
	json_array_foreach(list, i, e)
		if (ca_san_pattern_match(gn->type, json_string_value(e), value))
			return true;
	return false;
}

static int
build_sans(struct build *b)
{
	char f[FIELD_MAX], what[FIELD_MAX], *t = NULL, *text = NULL;
	const char *why = NULL;
	const json_t *e;
	GENERAL_NAME *gn = NULL;
	size_t i;
	int n, r = MP_ERR_NOMEM;

	if ((b->sans = GENERAL_NAMES_new()) == NULL)
		goto out;
	json_array_foreach(b->p->san_forced, i, e) {
		snprintf(f, sizeof(f), "san.forced[%zu]", i);
		if ((r = ca_template_render(json_string_value(e), b->in->device, b->in->tenant_name,
		    &t, b->d)) != MP_OK)
			goto out;
		if ((r = ca_general_name_parse(t, &gn, &why)) != MP_OK) {
			if (r == MP_ERR_INVALID) {
				ca_detail_set(b->d, f, "profile %s gives \"%s\": %s", b->pname, t, why);
				r = MP_ERR_POLICY;
			}
			goto out;
		}
		free(t);
		t = NULL;
		r = MP_ERR_NOMEM;
		if (in_names(b->sans, gn)) {
			GENERAL_NAME_free(gn);
		} else if (!sk_GENERAL_NAME_push(b->sans, gn)) {
			goto out;
		}
		gn = NULL;
	}
	n = sk_GENERAL_NAME_num(b->req_sans);
	if (n > 0 && (size_t)n > b->p->san_max) {
		ca_detail_set(b->d, fld(b, f, "san"), "%d names asked; profile %s allows at most %zu",
		    n, b->pname, b->p->san_max);
		r = MP_ERR_POLICY;
		goto out;
	}
	for (int k = 0; k < n; k++) {
		const GENERAL_NAME *req = sk_GENERAL_NAME_value(b->req_sans, k);

		snprintf(what, sizeof(what), "san[%d]", k);
		fld(b, f, what);
		if ((r = ca_general_name_check(req, &why)) != MP_OK) {
			if (r == MP_ERR_UNSUPPORTED) {
				text = ca_general_name_text(req);
				ca_detail_set(b->d, f, "%s: this name type is not allowed by profile %s",
				    text != NULL ? text : "?", b->pname);
				r = MP_ERR_POLICY;
			} else {
				ca_detail_set(b->d, f, "%s", why);
			}
			goto out;
		}
		if (in_names(b->sans, req))
			continue;
		if (!san_allowed(b->p, req)) {
			text = ca_general_name_text(req);
			ca_detail_set(b->d, f, "%s is not allowed by profile %s",
			    text != NULL ? text : "?", b->pname);
			r = MP_ERR_POLICY;
			goto out;
		}
		r = MP_ERR_NOMEM;
		if ((gn = GENERAL_NAME_dup(req)) == NULL || !sk_GENERAL_NAME_push(b->sans, gn))
			goto out;
		gn = NULL;
	}
	r = MP_OK;
out:
	free(text);
	free(t);
	GENERAL_NAME_free(gn);
	return r;
}

/* True when the certificate will carry extension obj anyway (its value then comes from the profile). */
static bool
profile_gives(const struct build *b, const ASN1_OBJECT *obj)
{
	const ca_profile *p = b->p;
	ASN1_OBJECT *iec;
	bool same;

	switch (OBJ_obj2nid(obj)) {
	case NID_subject_key_identifier:
	case NID_authority_key_identifier:
		return true;
	case NID_certificate_policies:
		return p->policies != NULL;
	case NID_crl_distribution_points:
		return p->crl;
	case NID_freshest_crl:
		return p->crl && b->in->delta_crl_url != NULL;
	case NID_info_access:
		return p->ocsp || p->ca_issuers;
	case NID_id_pkix_OCSP_noCheck:
		return p->ocsp_nocheck;
	case NID_no_rev_avail:
		return p->no_rev_avail;
	case NID_undef:
		if (p->iec_roles == NULL || (iec = OBJ_txt2obj(CA_IEC_ROLES_OID, 1)) == NULL)
			return false;
		same = OBJ_cmp(iec, obj) == 0;
		ASN1_OBJECT_free(iec);
		return same;
	default:
		return false;
	}
}

static int
check_requested_ku(struct build *b, const ASN1_BIT_STRING *ku)
{
	for (int bit = 0; bit < ASN1_STRING_length(ku) * 8; bit++) {
		if (!ASN1_BIT_STRING_get_bit(ku, bit))
			continue;
		if (bit >= CA_KU_BITS || !(b->ku & CA_KU_BIT((unsigned)bit))) {
			ca_detail_set(b->d, "csr.extensions.keyUsage",
			    "%s is not given by profile %s for this key", ca_ku_name((unsigned)bit),
			    b->pname);
			return MP_ERR_POLICY;
		}
	}
	return MP_OK;
}

static int
check_requested_eku(struct build *b, const EXTENDED_KEY_USAGE *eku)
{
	char name[LABEL_MAX];

	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);
		bool found = false;

		for (int k = 0; k < sk_ASN1_OBJECT_num(b->p->eku) && !found; k++)
			found = OBJ_cmp(sk_ASN1_OBJECT_value(b->p->eku, k), o) == 0;
		if (!found) {
			attr_label(o, name);
			ca_detail_set(b->d, "csr.extensions.extendedKeyUsage",
			    "%s is not given by profile %s", name, b->pname);
			return MP_ERR_POLICY;
		}
	}
	return MP_OK;
}

/* Checks one requested extension; a subjectAltName is kept in b->req_sans. */
static int
check_requested_ext(struct build *b, X509_EXTENSION *ext)
{
	const ASN1_OBJECT *obj = X509_EXTENSION_get_object(ext);
	char f[FIELD_MAX], name[LABEL_MAX];
	void *v = NULL;
	int nid = OBJ_obj2nid(obj), r = MP_OK;

	attr_label(obj, name);
	snprintf(f, sizeof(f), "csr.extensions.%s", name);
	switch (nid) {
	case NID_subject_alt_name:
	case NID_basic_constraints:
	case NID_key_usage:
	case NID_ext_key_usage:
		if ((v = X509V3_EXT_d2i(ext)) == NULL) {
			ca_detail_set(b->d, f, "does not decode");
			return MP_ERR_INVALID;
		}
		break;
	default:
		if (!profile_gives(b, obj)) {
			ca_detail_set(b->d, f, "not given by profile %s", b->pname);
			return MP_ERR_POLICY;
		}
		return MP_OK;
	}
	switch (nid) {
	case NID_subject_alt_name:
		b->req_sans = v;
		v = NULL;
		break;
	case NID_basic_constraints:
		if (((BASIC_CONSTRAINTS *)v)->ca) {
			ca_detail_set(b->d, f, "CA:TRUE is not allowed by profile %s", b->pname);
			r = MP_ERR_POLICY;
		}
		BASIC_CONSTRAINTS_free(v);
		break;
	case NID_key_usage:
		r = check_requested_ku(b, v);
		ASN1_BIT_STRING_free(v);
		break;
	default:
		r = check_requested_eku(b, v);
		EXTENDED_KEY_USAGE_free(v);
		break;
	}
	return r;
}

static int
check_requested_exts(struct build *b)
{
	const STACK_OF(X509_EXTENSION) *exts = b->in->csr->extensions;
	int r = MP_OK, n = sk_X509_EXTENSION_num(exts);

	for (int i = 0; i < n && r == MP_OK; i++) {
		const ASN1_OBJECT *obj = X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts, i));

		for (int k = 0; k < i; k++) {
			if (OBJ_cmp(obj, X509_EXTENSION_get_object(sk_X509_EXTENSION_value(exts,
			    k))) == 0) {
				ca_detail_set(b->d, "csr.extensions", "an extension is asked twice");
				r = MP_ERR_INVALID;
			}
		}
		if (r == MP_OK)
			r = check_requested_ext(b, sk_X509_EXTENSION_value(exts, i));
	}
	return r;
}

static int
add_policies(X509 *x, const STACK_OF(ASN1_OBJECT) *oids)
{
	CERTIFICATEPOLICIES *cp = sk_POLICYINFO_new_null();
	POLICYINFO *pi = NULL;
	int r = MP_ERR_NOMEM;

	if (cp == NULL)
		goto out;
	for (int i = 0; i < sk_ASN1_OBJECT_num(oids); i++) {
		if ((pi = POLICYINFO_new()) == NULL)
			goto out;
		ASN1_OBJECT_free(pi->policyid);
		if ((pi->policyid = OBJ_dup(sk_ASN1_OBJECT_value(oids, i))) == NULL ||
		    !sk_POLICYINFO_push(cp, pi))
			goto out;
		pi = NULL;
	}
	r = add_ext(x, NID_certificate_policies, 0, ASN1_ITEM_rptr(CERTIFICATEPOLICIES), cp);
out:
	POLICYINFO_free(pi);
	sk_POLICYINFO_pop_free(cp, POLICYINFO_free);
	return r;
}

/* The IECUserRoles extension, with each aor template filled. */
static int
add_iec_roles(struct build *b, X509 *x)
{
	json_t *roles = json_deep_copy(b->p->iec_roles), *o;
	ASN1_OBJECT *obj = OBJ_txt2obj(CA_IEC_ROLES_OID, 1);
	uint8_t *der = NULL;
	size_t len = 0, i;
	char *aor = NULL, f[FIELD_MAX];
	int r = MP_ERR_NOMEM;

	if (roles == NULL || obj == NULL)
		goto out;
	json_array_foreach(roles, i, o) {
		if ((r = ca_template_render(json_string_value(json_object_get(o, "aor")),
		    b->in->device, b->in->tenant_name, &aor, b->d)) != MP_OK)
			goto out;
		if (strlen(aor) > CA_IEC_AOR_MAX) {
			snprintf(f, sizeof(f), "iec62351_roles[%zu].aor", i);
			ca_detail_set(b->d, f, "\"%s\" is longer than %d characters", aor,
			    CA_IEC_AOR_MAX);
			r = MP_ERR_POLICY;
			goto out;
		}
		r = MP_ERR_NOMEM;
		if (json_object_set_new(o, "aor", json_string(aor)) != 0)
			goto out;
		free(aor);
		aor = NULL;
	}
	if ((r = ca_iec_roles_encode(roles, &der, &len)) != MP_OK)
		goto out;
	r = add_ext_der(x, obj, 0, der, (int)len);
out:
	OPENSSL_free(der);
	free(aor);
	ASN1_OBJECT_free(obj);
	json_decref(roles);
	return r;
}

static int
assemble(struct build *b, X509 **out)
{
	const ca_profile *p = b->p;
	const ca_cert_input *in = b->in;
	X509 *x = X509_new();
	bool empty_subject = X509_NAME_entry_count(b->subject) == 0;
	int r = MP_ERR_NOMEM;

	if (x == NULL || !X509_set_version(x, X509_VERSION_3))
		goto out;
	if ((r = set_serial(x, in->serial, in->serial_len, b->d)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if (!X509_set_issuer_name(x, X509_get_subject_name(in->issuer)) ||
	    !X509_set_subject_name(x, b->subject))
		goto out;
	if (in->csr != NULL)
		r = copy_spki(x, in->csr);
	else
		r = X509_set_pubkey(x, b->pub) ? MP_OK : MP_ERR_NOMEM;
	if (r != MP_OK)
		goto out;
	if ((r = set_times(x, b->nb, b->na)) != MP_OK)
		goto out;
	if (p->basic_constraints &&
	    (r = add_basic_constraints(x, false, -1, p->basic_constraints_critical)) != MP_OK)
		goto out;
	if (b->ku != 0 && (r = add_key_usage(x, b->ku)) != MP_OK)
		goto out;
	if (p->eku != NULL && (r = add_ext(x, NID_ext_key_usage, 0,
	    ASN1_ITEM_rptr(EXTENDED_KEY_USAGE), p->eku)) != MP_OK)
		goto out;
	if ((r = add_ski(x)) != MP_OK || (r = add_aki(x, in->issuer)) != MP_OK)
		goto out;
	if (sk_GENERAL_NAME_num(b->sans) > 0 && (r = add_ext(x, NID_subject_alt_name,
	    empty_subject, ASN1_ITEM_rptr(GENERAL_NAMES), b->sans)) != MP_OK)
		goto out;
	if (p->policies != NULL && (r = add_policies(x, p->policies)) != MP_OK)
		goto out;
	if (p->crl && (r = add_cdp(x, NID_crl_distribution_points, in->crl_url, "crl_url",
	    b->d)) != MP_OK)
		goto out;
	if (p->crl && in->delta_crl_url != NULL && (r = add_cdp(x, NID_freshest_crl,
	    in->delta_crl_url, "delta_crl_url", b->d)) != MP_OK)
		goto out;
	if ((p->ocsp || p->ca_issuers) && (r = add_aia(x, p->ocsp, in->ocsp_url, p->ca_issuers,
	    in->ca_issuers_url, b->d)) != MP_OK)
		goto out;
	if (p->iec_roles != NULL && (r = add_iec_roles(b, x)) != MP_OK)
		goto out;
	if (p->no_rev_avail && (r = add_null_ext(x, NID_no_rev_avail)) != MP_OK)
		goto out;
	if (p->ocsp_nocheck && (r = add_null_ext(x, NID_id_pkix_OCSP_noCheck)) != MP_OK)
		goto out;
	*out = x;
	x = NULL;
	r = MP_OK;
out:
	X509_free(x);
	return r;
}

int
ca_cert_build(const ca_cert_input *in, X509 **out, ca_detail *d)
{
	struct build b;
	char f[FIELD_MAX];
	int r = MP_ERR_INVALID;

	memset(&b, 0, sizeof(b));
	b.in = in;
	b.d = d;
	if (in == NULL || in->profile == NULL || in->issuer == NULL) {
		ca_detail_set(d, "input", "a profile and an issuer are required");
		goto out;
	}
	b.p = in->profile;
	b.pname = in->profile_name != NULL ? in->profile_name : "(unnamed)";
	b.pre = in->csr != NULL ? "csr." : "";
	b.pub = in->csr != NULL ? in->csr->pub : in->pub;
	if ((r = check_key(&b)) != MP_OK || (r = check_validity(&b)) != MP_OK ||
	    (r = build_subject(&b)) != MP_OK)
		goto out;
	if (in->csr != NULL)
		r = check_requested_exts(&b);
	else
		r = parse_sans(&b);
	if (r != MP_OK || (r = build_sans(&b)) != MP_OK)
		goto out;
	if (X509_NAME_entry_count(b.subject) == 0 && sk_GENERAL_NAME_num(b.sans) == 0) {
		ca_detail_set(d, fld(&b, f, "subject"), "empty subject and no subjectAltName");
		r = MP_ERR_POLICY;
		goto out;
	}
	r = assemble(&b, out);
out:
	ERR_clear_error();
	for (int a = 0; a < CA_ATTR_COUNT; a++)
		free(b.forced[a]);
	X509_NAME_free(b.subject);
	GENERAL_NAMES_free(b.req_sans);
	GENERAL_NAMES_free(b.sans);
	return r;
}

/* The subtrees of one name-constraints list (field: "permitted" or "excluded"). */
static int
subtrees(const json_t *list, const char *field, STACK_OF(GENERAL_SUBTREE) **out, ca_detail *d)
{
	char f[FIELD_MAX];
	const char *why = NULL;
	const json_t *e;
	GENERAL_SUBTREE *st = NULL;
	GENERAL_NAME *gn = NULL;
	size_t i;
	int r = MP_ERR_INVALID;

	*out = NULL;
	if (list == NULL || (json_is_array(list) && json_array_size(list) == 0))
		return MP_OK;
	if (!json_is_array(list) || json_array_size(list) > NC_MAX) {
		ca_detail_set(d, field, "must be an array of at most %d strings", NC_MAX);
		return MP_ERR_INVALID;
	}
	if ((*out = sk_GENERAL_SUBTREE_new_null()) == NULL)
		return MP_ERR_NOMEM;
	json_array_foreach(list, i, e) {
		snprintf(f, sizeof(f), "%s[%zu]", field, i);
		if (!json_is_string(e)) {
			ca_detail_set(d, f, "must be a string such as \"dns:example.com\"");
			r = MP_ERR_INVALID;
			goto out;
		}
		if ((r = ca_name_constraint_parse(json_string_value(e), &gn, &why)) != MP_OK) {
			if (r == MP_ERR_INVALID)
				ca_detail_set(d, f, "%s", why);
			goto out;
		}
		r = MP_ERR_NOMEM;
		if ((st = GENERAL_SUBTREE_new()) == NULL)
			goto out;
		GENERAL_NAME_free(st->base);
		st->base = gn;
		gn = NULL;
		if (!sk_GENERAL_SUBTREE_push(*out, st))
			goto out;
		st = NULL;
	}
	r = MP_OK;
out:
	GENERAL_NAME_free(gn);
	GENERAL_SUBTREE_free(st);
	return r;
}

static int
add_name_constraints(X509 *x, const json_t *permitted, const json_t *excluded, ca_detail *d)
{
	NAME_CONSTRAINTS *nc = NAME_CONSTRAINTS_new();
	int r = MP_ERR_NOMEM;

	if (nc == NULL)
		goto out;
	if ((r = subtrees(permitted, "permitted", &nc->permittedSubtrees, d)) != MP_OK ||
	    (r = subtrees(excluded, "excluded", &nc->excludedSubtrees, d)) != MP_OK)
		goto out;
	if (nc->permittedSubtrees != NULL || nc->excludedSubtrees != NULL)
		r = add_ext(x, NID_name_constraints, 1, ASN1_ITEM_rptr(NAME_CONSTRAINTS), nc);
out:
	NAME_CONSTRAINTS_free(nc);
	return r;
}

/* Validity and path length of a CA certificate against its issuer; may lower *path_len. */
static int
check_ca_issuer(const ca_ca_input *in, int *path_len, ca_detail *d)
{
	int64_t issuer_na;
	long pl;

	if (in->not_before < 0 || in->not_after > TIME_CEILING || in->not_after <= in->not_before) {
		ca_detail_set(d, "not_after", "must be after not_before and before the year 10000");
		return MP_ERR_INVALID;
	}
	if (in->path_len < -1 || in->path_len > 32) {
		ca_detail_set(d, "path_len", "must be -1 (none) or 0 to 32");
		return MP_ERR_INVALID;
	}
	*path_len = in->path_len;
	if (in->issuer == NULL)
		return MP_OK;
	if (X509_check_ca(in->issuer) != 1) {
		ca_detail_set(d, "issuer", "the issuing certificate is not a CA");
		return MP_ERR_INVALID;
	}
	if ((issuer_na = ca_time_of(X509_get0_notAfter(in->issuer))) < 0 ||
	    in->not_after > issuer_na) {
		ca_detail_set(d, "not_after", "beyond the issuing CA's notAfter");
		return MP_ERR_INVALID;
	}
	if ((pl = X509_get_pathlen(in->issuer)) == 0) {
		ca_detail_set(d, "path_len", "the issuing CA's path length allows no subordinate CA");
		return MP_ERR_INVALID;
	}
	if (pl > 0 && *path_len < 0)
		*path_len = (int)pl - 1;
	else if (pl > 0 && *path_len > pl - 1) {
		ca_detail_set(d, "path_len", "at most %ld under this issuer", pl - 1);
		return MP_ERR_INVALID;
	}
	return MP_OK;
}

int
ca_ca_cert_build(const ca_ca_input *in, X509 **out, ca_detail *d)
{
	X509_NAME *subject = NULL;
	X509 *x = NULL;
	int path_len = -1, r = MP_ERR_INVALID;

	if (in == NULL || in->pub == NULL) {
		ca_detail_set(d, "key", "a public key is required");
		goto out;
	}
	if ((r = ca_key_check(in->pub, "key", d)) != MP_OK) {
		r = MP_ERR_INVALID;
		goto out;
	}
	if ((r = check_ca_issuer(in, &path_len, d)) != MP_OK ||
	    (r = ca_subject_parse(in->subject, &subject, d)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((x = X509_new()) == NULL || !X509_set_version(x, X509_VERSION_3))
		goto out;
	if ((r = set_serial(x, in->serial, in->serial_len, d)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if (!X509_set_subject_name(x, subject) || !X509_set_pubkey(x, in->pub) ||
	    !X509_set_issuer_name(x, in->issuer != NULL ? X509_get_subject_name(in->issuer) : subject))
		goto out;
	if ((r = set_times(x, in->not_before, in->not_after)) != MP_OK ||
	    (r = add_basic_constraints(x, true, path_len, true)) != MP_OK ||
	    (r = add_key_usage(x, CA_KU_BIT(CA_KU_DIGITAL_SIGNATURE) |
		CA_KU_BIT(CA_KU_KEY_CERT_SIGN) | CA_KU_BIT(CA_KU_CRL_SIGN))) != MP_OK ||
	    (r = add_ski(x)) != MP_OK)
		goto out;
	if (in->issuer != NULL && (r = add_aki(x, in->issuer)) != MP_OK)
		goto out;
	if ((r = add_name_constraints(x, in->permitted, in->excluded, d)) != MP_OK)
		goto out;
	if (in->issuer != NULL && in->crl_url != NULL &&
	    (r = add_cdp(x, NID_crl_distribution_points, in->crl_url, "crl_url", d)) != MP_OK)
		goto out;
	if (in->issuer != NULL && in->ca_issuers_url != NULL &&
	    (r = add_aia(x, false, NULL, true, in->ca_issuers_url, d)) != MP_OK)
		goto out;
	*out = x;
	x = NULL;
	r = MP_OK;
out:
	ERR_clear_error();
	X509_free(x);
	X509_NAME_free(subject);
	return r;
}
