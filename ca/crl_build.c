#include "crl_build.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "err.h"

/* CRLReason values (RFC 5280 5.3.1); 7 is unused and 8 is removeFromCRL. */
static const struct {
	const char *name;
	int code;
} reasons[] = {
	{ "unspecified", CRL_REASON_UNSPECIFIED },
	{ "keyCompromise", CRL_REASON_KEY_COMPROMISE },
	{ "cACompromise", CRL_REASON_CA_COMPROMISE },
	{ "affiliationChanged", CRL_REASON_AFFILIATION_CHANGED },
	{ "superseded", CRL_REASON_SUPERSEDED },
	{ "cessationOfOperation", CRL_REASON_CESSATION_OF_OPERATION },
	{ "certificateHold", CRL_REASON_CERTIFICATE_HOLD },
	{ "privilegeWithdrawn", CRL_REASON_PRIVILEGE_WITHDRAWN },
	{ "aACompromise", CRL_REASON_AA_COMPROMISE },
};

/* One past the largest CRLReason value. */
#define REASON_CODES (CRL_REASON_AA_COMPROMISE + 1)

int
ca_crl_reason_code(const char *name, int *code)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		if (strcmp(reasons[i].name, name) == 0) {
			*code = reasons[i].code;
			return MP_OK;
		}
	}
	return MP_ERR_INVALID;
}

/*
 * A reasonCode extension for every code, made once: each entry gets a copy,
 * which is much cheaper than encoding the same value 100,000 times.
 */
static int
make_reason_exts(X509_EXTENSION *exts[REASON_CODES])
{
	ASN1_ENUMERATED *e = NULL;
	int r = MP_ERR_CRYPTO;

	if ((e = ASN1_ENUMERATED_new()) == NULL)
		goto out;
	for (int c = 0; c < REASON_CODES; c++) {
		if (c == 7)
			continue;
		if (!ASN1_ENUMERATED_set(e, c) ||
		    (exts[c] = X509V3_EXT_i2d(NID_crl_reason, 0, e)) == NULL)
			goto out;
	}
	r = MP_OK;
out:
	ASN1_ENUMERATED_free(e);
	return r;
}

/* Sets ai to the positive integer whose magnitude is p (leading zero octets dropped). */
static int
set_serial(ASN1_INTEGER *ai, const uint8_t *p, size_t n)
{
	if (p == NULL || n == 0 || n > CA_SERIAL_MAX)
		return MP_ERR_INVALID;
	while (n > 0 && p[0] == 0) {
		p++;
		n--;
	}
	if (n == 0)
		return MP_ERR_INVALID;
	if (!ASN1_STRING_set(ai, p, (int)n))
		return MP_ERR_CRYPTO;
	return MP_OK;
}

/* One revoked-certificate entry; reason_exts from make_reason_exts. */
static int
make_entry(const ca_crl_entry *e, bool delta, X509_EXTENSION *const reason_exts[REASON_CODES],
    ASN1_INTEGER *serial, ASN1_TIME *tm, X509_REVOKED **out)
{
	X509_REVOKED *rev = NULL;
	ASN1_GENERALIZEDTIME *inv = NULL;
	int code = CRL_REASON_UNSPECIFIED, r;

	if (e->remove) {
		if (!delta) {
			r = MP_ERR_INVALID;
			goto out;
		}
		code = CRL_REASON_REMOVE_FROM_CRL;
	} else if (e->reason != NULL && (r = ca_crl_reason_code(e->reason, &code)) != MP_OK) {
		goto out;
	}
	if ((r = set_serial(serial, e->serial, e->serial_len)) != MP_OK)
		goto out;
	r = MP_ERR_CRYPTO;
	if ((rev = X509_REVOKED_new()) == NULL || !X509_REVOKED_set_serialNumber(rev, serial) ||
	    ASN1_TIME_set(tm, (time_t)e->revoked_at) == NULL ||
	    !X509_REVOKED_set_revocationDate(rev, tm))
		goto out;
	if (code != CRL_REASON_UNSPECIFIED && !X509_REVOKED_add_ext(rev, reason_exts[code], -1))
		goto out;
	/* RFC 5280 5.3.2: invalidityDate is a GeneralizedTime */
	if (e->invalidity_date != 0 &&
	    ((inv = ASN1_GENERALIZEDTIME_set(NULL, (time_t)e->invalidity_date)) == NULL ||
		!X509_REVOKED_add1_ext_i2d(rev, NID_invalidity_date, inv, 0, X509V3_ADD_APPEND)))
		goto out;
	*out = rev;
	rev = NULL;
	r = MP_OK;
out:
	ASN1_GENERALIZEDTIME_free(inv);
	X509_REVOKED_free(rev);
	return r;
}

/* The issuer's subject key identifier, or the SHA-1 of its public key (RFC 5280 4.2.1.2 (1)). */
static int
issuer_key_id(const X509 *issuer, ASN1_OCTET_STRING **out)
{
	ASN1_OCTET_STRING *id;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	id = X509_get_ext_d2i(issuer, NID_subject_key_identifier, NULL, NULL);
	if (id == NULL) {
		if (!X509_pubkey_digest(issuer, EVP_sha1(), md, &mdlen) ||
		    (id = ASN1_OCTET_STRING_new()) == NULL)
			return MP_ERR_CRYPTO;
		if (!ASN1_OCTET_STRING_set(id, md, (int)mdlen)) {
			ASN1_OCTET_STRING_free(id);
			return MP_ERR_CRYPTO;
		}
	}
	*out = id;
	return MP_OK;
}

static int
add_aki(X509_CRL *crl, const X509 *issuer)
{
	AUTHORITY_KEYID *akid = NULL;
	int r;

	if ((akid = AUTHORITY_KEYID_new()) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if ((r = issuer_key_id(issuer, &akid->keyid)) != MP_OK)
		goto out;
	r = X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0, X509V3_ADD_APPEND) ?
	    MP_OK : MP_ERR_CRYPTO;
out:
	AUTHORITY_KEYID_free(akid);
	return r;
}

/* The Freshest CRL extension (RFC 5280 5.2.6): one distribution point with url. */
static int
add_freshest(X509_CRL *crl, const char *url)
{
	CRL_DIST_POINTS *dps = NULL;
	DIST_POINT *dp = NULL;
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *uri = NULL;
	int r = MP_ERR_CRYPTO;

	if ((dps = CRL_DIST_POINTS_new()) == NULL || (dp = DIST_POINT_new()) == NULL ||
	    (dp->distpoint = DIST_POINT_NAME_new()) == NULL ||
	    (dp->distpoint->name.fullname = GENERAL_NAMES_new()) == NULL ||
	    (gn = GENERAL_NAME_new()) == NULL || (uri = ASN1_IA5STRING_new()) == NULL ||
	    !ASN1_STRING_set(uri, url, -1))
		goto out;
	dp->distpoint->type = 0; /* fullName */
	GENERAL_NAME_set0_value(gn, GEN_URI, uri);
	uri = NULL;
	if (!sk_GENERAL_NAME_push(dp->distpoint->name.fullname, gn))
		goto out;
	gn = NULL;
	if (!sk_DIST_POINT_push(dps, dp))
		goto out;
	dp = NULL;
	if (!X509_CRL_add1_ext_i2d(crl, NID_freshest_crl, dps, 0, X509V3_ADD_APPEND))
		goto out;
	r = MP_OK;
out:
	ASN1_IA5STRING_free(uri);
	GENERAL_NAME_free(gn);
	DIST_POINT_free(dp);
	CRL_DIST_POINTS_free(dps);
	return r;
}

/* CRL Number, and for a delta the critical Delta CRL Indicator (RFC 5280 5.2.3, 5.2.4). */
static int
add_numbers(X509_CRL *crl, const ca_crl_params *p)
{
	ASN1_INTEGER *num = NULL;
	int r = MP_ERR_CRYPTO;

	if ((num = ASN1_INTEGER_new()) == NULL || !ASN1_INTEGER_set_uint64(num, p->crl_number) ||
	    !X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, X509V3_ADD_APPEND))
		goto out;
	if (p->delta && (!ASN1_INTEGER_set_uint64(num, p->base_crl_number) ||
	    !X509_CRL_add1_ext_i2d(crl, NID_delta_crl, num, 1, X509V3_ADD_APPEND)))
		goto out;
	r = MP_OK;
out:
	ASN1_INTEGER_free(num);
	return r;
}

static int
set_header(X509_CRL *crl, const ca_crl_params *p)
{
	ASN1_TIME *t = NULL;
	int r = MP_ERR_CRYPTO;

	if (!X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(p->issuer)))
		goto out;
	/* ASN1_TIME_set picks UTCTime through 2049 and GeneralizedTime after, as RFC 5280 5.1.2.4 asks */
	if ((t = ASN1_TIME_set(NULL, (time_t)p->this_update)) == NULL ||
	    !X509_CRL_set1_lastUpdate(crl, t) || ASN1_TIME_set(t, (time_t)p->next_update) == NULL ||
	    !X509_CRL_set1_nextUpdate(crl, t))
		goto out;
	r = MP_OK;
out:
	ASN1_TIME_free(t);
	return r;
}

int
ca_crl_build(const ca_crl_params *p, const ca_crl_entry *entries, size_t n, X509_CRL **out)
{
	X509_EXTENSION *reason_exts[REASON_CODES] = { NULL };
	X509_CRL *crl = NULL;
	X509_REVOKED *rev = NULL;
	ASN1_INTEGER *serial = NULL;
	ASN1_TIME *tm = NULL;
	int r = MP_ERR_INVALID;

	if (p->issuer == NULL || p->next_update <= p->this_update || p->this_update <= 0 ||
	    (p->delta && p->freshest_url != NULL) ||
	    (p->freshest_url != NULL && p->freshest_url[0] == '\0'))
		goto out;
	if ((r = make_reason_exts(reason_exts)) != MP_OK)
		goto out;
	r = MP_ERR_CRYPTO;
	if ((crl = X509_CRL_new()) == NULL || (serial = ASN1_INTEGER_new()) == NULL ||
	    (tm = ASN1_TIME_new()) == NULL)
		goto out;
	if ((r = set_header(crl, p)) != MP_OK || (r = add_aki(crl, p->issuer)) != MP_OK ||
	    (r = add_numbers(crl, p)) != MP_OK)
		goto out;
	if (p->freshest_url != NULL && (r = add_freshest(crl, p->freshest_url)) != MP_OK)
		goto out;
	/* appending is O(1); one sort at the end orders the entries by serial */
	for (size_t i = 0; i < n; i++) {
		if ((r = make_entry(&entries[i], p->delta, reason_exts, serial, tm, &rev)) != MP_OK)
			goto out;
		if (!X509_CRL_add0_revoked(crl, rev)) {
			r = MP_ERR_NOMEM;
			goto out;
		}
		rev = NULL;
	}
	if (!X509_CRL_sort(crl)) {
		r = MP_ERR_CRYPTO;
		goto out;
	}
	*out = crl;
	crl = NULL;
	r = MP_OK;
out:
	for (int c = 0; c < REASON_CODES; c++)
		X509_EXTENSION_free(reason_exts[c]);
	X509_REVOKED_free(rev);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(tm);
	X509_CRL_free(crl);
	return r;
}
