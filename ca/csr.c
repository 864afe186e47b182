/*
 * Field names in refusals: "csr" (does not decode), "csr.signature" (proof of
 * possession fails, or a digest weaker than SHA-256), "csr.key" (weak or
 * unknown key).
 */
#include "csr.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "codec.h"
#include "detail.h"
#include "err.h"
#include "keyinfo.h"

#define PEM_MARK "-----BEGIN"

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

/* Refuses signatures over MD5, SHA-1 and other digests weaker than SHA-256. */
static int
check_digest(const X509_REQ *req, ca_detail *d)
{
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;
	int md = NID_undef, pk = NID_undef;

	X509_REQ_get0_signature(req, NULL, &alg);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (!OBJ_find_sigid_algs(OBJ_obj2nid(obj), &md, &pk)) {
		ca_detail_set(d, "csr.signature", "unknown signature algorithm");
		return MP_ERR_INVALID;
	}
	switch (md) {
	case NID_sha256:
	case NID_sha384:
	case NID_sha512:
	case NID_sha3_256:
	case NID_sha3_384:
	case NID_sha3_512:
		return MP_OK;
	case NID_undef:
		/* Ed25519 (no separate digest) and RSA-PSS (digest in the parameters) */
		if (pk == NID_ED25519 || pk == NID_rsassaPss)
			return MP_OK;
		break;
	default:
		break;
	}
	ca_detail_set(d, "csr.signature", "signed with a digest weaker than SHA-256");
	return MP_ERR_POLICY;
}

int
ca_csr_decode(const uint8_t *in, size_t len, X509_REQ **out, ca_detail *d)
{
	uint8_t *der = NULL;
	size_t derlen = 0;
	const unsigned char *p;
	X509_REQ *req = NULL;
	EVP_PKEY *pub;
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
		p = der;
	} else {
		p = in;
		derlen = len;
	}
	r = MP_ERR_INVALID;
	{
		const unsigned char *start = p;

		req = d2i_X509_REQ(NULL, &p, (long)derlen);
		if (req == NULL || (size_t)(p - start) != derlen) {
			ca_detail_set(d, "csr", "not a DER PKCS#10 certificate request");
			goto out;
		}
	}
	if (X509_REQ_get_version(req) != X509_REQ_VERSION_1) {
		ca_detail_set(d, "csr", "unknown PKCS#10 version");
		goto out;
	}
	if ((pub = X509_REQ_get0_pubkey(req)) == NULL) {
		ca_detail_set(d, "csr.key", "the public key does not decode");
		goto out;
	}
	if ((r = ca_key_check(pub, "csr.key", d)) != MP_OK || (r = check_digest(req, d)) != MP_OK)
		goto out;
	if (X509_REQ_verify(req, pub) != 1) {
		ca_detail_set(d, "csr.signature", "signature does not verify (no proof of possession)");
		r = MP_ERR_INVALID;
		goto out;
	}
	*out = req;
	req = NULL;
	r = MP_OK;
out:
	ERR_clear_error();
	X509_REQ_free(req);
	free(der);
	return r;
}
