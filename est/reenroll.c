#include "reenroll.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "csr.h"
#include "enroll.h"
#include "err.h"
#include "log.h"
#include "reply.h"
#include "worker.h"

/* The DER of x's subjectAltName extension value into *der (NULL when absent); false on error. */
static bool
san_der(const STACK_OF(X509_EXTENSION) *exts, unsigned char **der, int *len)
{
	int i = X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1);
	const ASN1_OCTET_STRING *v;

	*der = NULL;
	*len = 0;
	if (i < 0)
		return true;
	if (X509v3_get_ext_by_NID(exts, NID_subject_alt_name, i) >= 0)
		return false;
	v = X509_EXTENSION_get_data(X509v3_get_ext(exts, i));
	*len = ASN1_STRING_length(v);
	*der = OPENSSL_memdup(ASN1_STRING_get0_data(v), (size_t)*len);
	return *der != NULL;
}

/*
 * Whether the request names exactly what x names (RFC 7030 4.2.2): the same
 * subject and the same subjectAltName extension, or neither has one. *why
 * says which differs.
 */
static bool
same_names(const ca_csr *csr, X509 *x, const char **why)
{
	unsigned char *a = NULL, *b = NULL;
	int alen, blen;
	bool same = false;

	if (X509_NAME_cmp(csr->subject, X509_get_subject_name(x)) != 0) {
		*why = "the request's subject must be the subject of the certificate being renewed";
		goto out;
	}
	*why = "the request's subjectAltName must be that of the certificate being renewed";
	if (!san_der(csr->extensions, &a, &alen) || !san_der(X509_get0_extensions(x), &b, &blen))
		goto out;
	same = alen == blen && (alen == 0 || memcmp(a, b, (size_t)alen) == 0);
out:
	OPENSSL_free(a);
	OPENSSL_free(b);
	return same;
}

/* The certificate the client authenticated with, as we issued it; replies and returns NULL otherwise. */
static json_t *
current_cert(mp_http_req *req, X509 *x)
{
	mp_worker *w = mp_http_req_worker(req);
	json_t *cert = NULL;
	const char *why = NULL;
	int r;

	if (x == NULL) {
		est_reply_unauthorized(req, "re-enrollment needs the current certificate as TLS client"
		    " certificate");
		return NULL;
	}
	if ((r = ca_cert_operational(w->db, x, &cert, &why)) == MP_OK)
		return cert;
	if (r == MP_ERR_UNAUTHENTICATED)
		est_reply_unauthorized(req, why);
	else if (r == MP_ERR_DENIED)
		est_reply_text(req, 403, why);
	else
		est_reply_fail(req, r, "client certificate");
	return NULL;
}

/* Revokes the renewed certificate as superseded (its profile's on_renewal "revoke"). */
static void
supersede(mp_http_req *req, const json_t *cert)
{
	mp_worker *w = mp_http_req_worker(req);
	const char *tenant = json_string_value(json_object_get(cert, "tenant_id"));
	const char *id = json_string_value(json_object_get(cert, "id"));
	mp_actor actor = { "device", json_string_value(json_object_get(cert, "device_id")), tenant };
	ca_detail d = { { 0 }, { 0 } };
	json_t *out = NULL;
	ca_env env;
	int r;

	ca_env_of_worker(w, &env);
	if ((r = ca_cert_revoke(&env, &actor, tenant, id, "superseded", 0, &out, &d)) != MP_OK)
		mp_warn("EST: renewed certificate %s was not revoked: %s", id, mp_strerror(r));
	json_decref(out);
}

void
est_simplereenroll(mp_http_req *req, void *arg)
{
	X509 *x = mp_http_req_peer_cert(req);
	const char *why = NULL;
	uint8_t *der = NULL;
	ca_csr *csr = NULL;
	ca_detail d = { { 0 }, { 0 } };
	json_t *cert;
	size_t der_len = 0;
	int r;

	(void)arg;
	if ((cert = current_cert(req, x)) == NULL)
		return;
	if (!est_enroll_body(req, &der, &der_len))
		goto out;
	if ((r = ca_csr_decode(der, der_len, &csr, &d)) != MP_OK) {
		est_enroll_refused(req, r, &d);
		goto out;
	}
	if (!same_names(csr, x, &why)) {
		est_reply_text(req, 400, why);
		goto out;
	}
	if (est_enroll_issue(req, json_string_value(json_object_get(cert, "tenant_id")),
	    json_string_value(json_object_get(cert, "device_id")),
	    json_string_value(json_object_get(cert, "profile_id")), der, der_len, false) ==
	    EST_ISSUED && json_is_true(json_object_get(cert, "revoke_on_renewal")))
		supersede(req, cert);
out:
	ca_csr_free(csr);
	free(der);
	json_decref(cert);
}
