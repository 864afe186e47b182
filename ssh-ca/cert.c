#include "cert.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/objects.h>

#include "err.h"
#include "secure.h"

static const struct {
	const char *name;
	bool has_value;
} critical_known[] = {
	{ "force-command", true },
	{ "source-address", true },
	{ "verify-required", false },
};

const char *
sshca_sig_alg(const mp_key *ca)
{
	return mp_key_get_spec(ca)->alg == MP_KEY_RSA ? "rsa-sha2-512" :
	    sshca_ca_key_type_name(ca);
}

static int
cmp_option(const void *a, const void *b)
{
	return strcmp(((const sshca_option *)a)->name, ((const sshca_option *)b)->name);
}

/* Checks a list of options, critical or not; *sorted (free it) holds them sorted by name. */
static int
sort_options(const sshca_option *opts, size_t n, bool critical, sshca_option **sorted,
    const char **why)
{
	sshca_option *s = NULL;

	*why = "too many critical options or extensions";
	if (n > SSHCA_OPTIONS_MAX)
		return MP_ERR_INVALID;
	for (size_t i = 0; i < n; i++) {
		bool known = !critical;

		*why = "an option or extension needs a name";
		if (opts[i].name == NULL || opts[i].name[0] == '\0')
			return MP_ERR_INVALID;
		*why = "option value too long";
		if (opts[i].value != NULL && strlen(opts[i].value) > SSHCA_OPTION_VALUE_MAX)
			return MP_ERR_INVALID;
		for (size_t k = 0; critical && k < sizeof(critical_known) / sizeof(critical_known[0]);
		    k++) {
			if (strcmp(opts[i].name, critical_known[k].name) != 0)
				continue;
			known = true;
			*why = "force-command and source-address need a value, verify-required has none";
			if ((opts[i].value != NULL) != critical_known[k].has_value ||
			    (opts[i].value != NULL && opts[i].value[0] == '\0'))
				return MP_ERR_INVALID;
		}
		*why = "unknown critical option (known: force-command, source-address, "
		    "verify-required)";
		if (!known)
			return MP_ERR_INVALID;
	}
	if ((s = calloc(n > 0 ? n : 1, sizeof(*s))) == NULL) {
		*why = "out of memory";
		return MP_ERR_NOMEM;
	}
	if (n > 0)
		memcpy(s, opts, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_option);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(s[i - 1].name, s[i].name) == 0) {
			*why = "an option or extension is named twice";
			free(s);
			return MP_ERR_INVALID;
		}
	}
	*sorted = s;
	return MP_OK;
}

/*
 * Appends the options to inner: string name, string data (empty, or one
 * string holding the value).
 */
static int
pack_options(mp_buf *inner, const sshca_option *opts, size_t n)
{
	int r = MP_OK;

	for (size_t i = 0; i < n && r == MP_OK; i++) {
		const char *v = opts[i].value;

		if ((r = mp_buf_put_string(inner, opts[i].name, strlen(opts[i].name))) != MP_OK)
			break;
		if (v == NULL)
			r = mp_buf_put_u32(inner, 0);
		else if ((r = mp_buf_put_u32(inner, (uint32_t)(4 + strlen(v)))) == MP_OK)
			r = mp_buf_put_string(inner, v, strlen(v));
	}
	return r;
}

/* Appends the principals to inner, one string each. */
static int
pack_principals(mp_buf *inner, const sshca_cert_input *in)
{
	int r = MP_OK;

	for (size_t i = 0; i < in->n_principals && r == MP_OK; i++)
		r = mp_buf_put_string(inner, in->principals[i], strlen(in->principals[i]));
	return r;
}

/* Appends what inner holds to b as one string, and empties inner. */
static int
put_packed(mp_buf *b, mp_buf *inner)
{
	int r = mp_buf_put_string(b, mp_buf_ptr(inner), mp_buf_len(inner));

	mp_buf_reset(inner);
	return r;
}

static int
check_principals(const sshca_cert_input *in, const char **why)
{
	*why = "a certificate needs at least one principal (none would mean anyone)";
	if (in->n_principals == 0)
		return MP_ERR_INVALID;
	*why = "too many principals";
	if (in->n_principals > SSHCA_PRINCIPALS_MAX)
		return MP_ERR_INVALID;
	for (size_t i = 0; i < in->n_principals; i++) {
		size_t n = strlen(in->principals[i]);

		*why = "a principal is empty, too long or contains a comma";
		if (n == 0 || n > SSHCA_PRINCIPAL_MAX || strchr(in->principals[i], ',') != NULL)
			return MP_ERR_INVALID;
		*why = "a principal is named twice";
		for (size_t k = 0; k < i; k++)
			if (strcmp(in->principals[k], in->principals[i]) == 0)
				return MP_ERR_INVALID;
	}
	return MP_OK;
}

/* The inner signature blob of ECDSA: mpint r, mpint s (RFC 5656 §3.1.2), from DER. */
static int
ecdsa_sig_blob(const uint8_t *der, size_t len, mp_buf *out)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = NULL;
	uint8_t bin[66];
	const BIGNUM *bn[2];
	int r = MP_ERR_CRYPTO, n;

	if ((sig = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL || p != der + len)
		goto out;
	ECDSA_SIG_get0(sig, &bn[0], &bn[1]);
	for (int i = 0; i < 2; i++) {
		if ((n = BN_bn2binpad(bn[i], bin, sizeof(bin))) < 0)
			goto out;
		if ((r = sshca_put_mpint(out, bin, (size_t)n)) != MP_OK)
			goto out;
		r = MP_ERR_CRYPTO;
	}
	r = MP_OK;
out:
	ECDSA_SIG_free(sig);
	return r;
}

/* Appends string(string alg, string signature) over the bytes of b. */
static int
put_signature(mp_buf *b, mp_key *ca)
{
	const char *alg = sshca_sig_alg(ca);
	mp_key_alg kalg = mp_key_get_spec(ca)->alg;
	mp_buf *sig = mp_buf_new(SSHCA_CERT_MAX), *ec = NULL;
	uint8_t *raw = NULL;
	size_t rawlen = 0;
	int r = MP_ERR_NOMEM;

	if (sig == NULL)
		goto out;
	if ((r = mp_key_sign_data(ca, kalg == MP_KEY_RSA ? NID_sha512 : 0, mp_buf_ptr(b),
	    mp_buf_len(b), &raw, &rawlen)) != MP_OK)
		goto out;
	if ((r = mp_buf_put_string(sig, alg, strlen(alg))) != MP_OK)
		goto out;
	if (kalg == MP_KEY_EC_P256 || kalg == MP_KEY_EC_P384) {
		r = MP_ERR_NOMEM;
		if ((ec = mp_buf_new(256)) == NULL)
			goto out;
		if ((r = ecdsa_sig_blob(raw, rawlen, ec)) != MP_OK ||
		    (r = mp_buf_put_string(sig, mp_buf_ptr(ec), mp_buf_len(ec))) != MP_OK)
			goto out;
	} else if ((r = mp_buf_put_string(sig, raw, rawlen)) != MP_OK) {
		goto out;
	}
	r = mp_buf_put_string(b, mp_buf_ptr(sig), mp_buf_len(sig));
out:
	OPENSSL_free(raw);
	mp_buf_free(ec);
	mp_buf_free(sig);
	return r;
}

int
sshca_cert_sign(mp_key *ca, const sshca_cert_input *in, uint8_t **blob, size_t *len,
    const char **why)
{
	const sshca_pubkey *subj = in->subject;
	const char *tname = sshca_cert_type_name(subj->type);
	sshca_option *crit = NULL, *ext = NULL;
	uint8_t nonce[SSHCA_NONCE_LEN];
	mp_buf *b = NULL, *cakey = NULL, *inner = NULL;
	uint8_t *copy = NULL;
	int r = MP_ERR_INVALID;

	*why = "certificate kind must be user or host";
	if (in->kind != SSHCA_CERT_USER && in->kind != SSHCA_CERT_HOST)
		goto out;
	*why = "key id missing, too long or not text";
	if (in->key_id == NULL || in->key_id[0] == '\0' || strlen(in->key_id) > SSHCA_KEY_ID_MAX)
		goto out;
	*why = "valid_after must be before valid_before";
	if (in->valid_after >= in->valid_before)
		goto out;
	if ((r = check_principals(in, why)) != MP_OK ||
	    (r = sort_options(in->critical, in->n_critical, true, &crit, why)) != MP_OK ||
	    (r = sort_options(in->extensions, in->n_extensions, false, &ext, why)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	*why = "out of memory";
	if ((b = mp_buf_new(SSHCA_CERT_MAX)) == NULL || (cakey = mp_buf_new(SSHCA_BLOB_MAX)) == NULL ||
	    (inner = mp_buf_new(SSHCA_CERT_MAX)) == NULL)
		goto out;
	*why = "the CA key cannot sign SSH certificates (RSA-PSS, or RSA below 3072 bits)";
	if ((r = sshca_key_blob(ca, cakey)) != MP_OK)
		goto out;
	*why = "the certificate could not be made";
	if ((r = mp_random_bytes(nonce, sizeof(nonce))) != MP_OK)
		goto out;
	if ((r = mp_buf_put_string(b, tname, strlen(tname))) != MP_OK ||
	    (r = mp_buf_put_string(b, nonce, sizeof(nonce))) != MP_OK ||
	    (r = mp_buf_put(b, subj->blob + subj->fields_off, subj->blob_len - subj->fields_off)) !=
	    MP_OK ||
	    (r = mp_buf_put_u64(b, in->serial)) != MP_OK ||
	    (r = mp_buf_put_u32(b, (uint32_t)in->kind)) != MP_OK ||
	    (r = mp_buf_put_string(b, in->key_id, strlen(in->key_id))) != MP_OK ||
	    (r = pack_principals(inner, in)) != MP_OK || (r = put_packed(b, inner)) != MP_OK ||
	    (r = mp_buf_put_u64(b, in->valid_after)) != MP_OK ||
	    (r = mp_buf_put_u64(b, in->valid_before)) != MP_OK ||
	    (r = pack_options(inner, crit, in->n_critical)) != MP_OK ||
	    (r = put_packed(b, inner)) != MP_OK ||
	    (r = pack_options(inner, ext, in->n_extensions)) != MP_OK ||
	    (r = put_packed(b, inner)) != MP_OK ||
	    (r = mp_buf_put_string(b, "", 0)) != MP_OK ||
	    (r = mp_buf_put_string(b, mp_buf_ptr(cakey), mp_buf_len(cakey))) != MP_OK ||
	    (r = put_signature(b, ca)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((copy = malloc(mp_buf_len(b))) == NULL)
		goto out;
	memcpy(copy, mp_buf_ptr(b), mp_buf_len(b));
	*len = mp_buf_len(b);
	*blob = copy;
	*why = NULL;
	r = MP_OK;
out:
	free(crit);
	free(ext);
	mp_buf_free(inner);
	mp_buf_free(cakey);
	mp_buf_free(b);
	return r;
}
