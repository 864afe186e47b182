#include "info.h"

#include <openssl/crypto.h>

#include "ca.h"
#include "config.h"
#include "csrattrs.h"
#include "err.h"
#include "pkcs7.h"
#include "reply.h"
#include "worker.h"

/* ca_enroll_info of [est] profile; replies and returns NULL on failure. */
static json_t *
profile_info(mp_http_req *req)
{
	mp_worker *w = mp_http_req_worker(req);
	ca_detail d = { { 0 }, { 0 } };
	json_t *info = NULL;
	int r;

	if ((r = ca_enroll_info(w->db, NULL, w->config->est_profile, &info, &d)) != MP_OK) {
		est_reply_fail(req, r, r == MP_ERR_NOT_FOUND ? d.message : "[est] profile");
		return NULL;
	}
	return info;
}

void
est_cacerts(mp_http_req *req, void *arg)
{
	json_t *info;
	uint8_t *der = NULL;
	size_t len;
	int r;

	(void)arg;
	if ((info = profile_info(req)) == NULL)
		return;
	if ((r = est_certs_only(json_string_value(json_object_get(info, "chain_pem")), &der,
	    &len)) != MP_OK)
		est_reply_fail(req, r, "CA certificates");
	else
		est_reply_b64(req, "application/pkcs7-mime", der, len);
	OPENSSL_free(der);
	json_decref(info);
}

void
est_csrattrs(mp_http_req *req, void *arg)
{
	json_t *info;
	uint8_t *der = NULL;
	size_t len;
	int r;

	(void)arg;
	if ((info = profile_info(req)) == NULL)
		return;
	if ((r = est_csrattrs_der(info, &der, &len)) != MP_OK)
		est_reply_fail(req, r, "CSR attributes");
	else
		est_reply_b64(req, "application/csrattrs", der, len);
	OPENSSL_free(der);
	json_decref(info);
}

void
est_fullcmc(mp_http_req *req, void *arg)
{
	(void)arg;
	est_reply_text(req, 501, "full CMC (RFC 7030 4.3) is not supported; use /simpleenroll");
}
