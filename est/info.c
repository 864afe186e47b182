#include "info.h"

#include <openssl/crypto.h>

#include "ca.h"
#include "config.h"
#include "csrattrs.h"
#include "err.h"
#include "label.h"
#include "pkcs7.h"
#include "reply.h"
#include "worker.h"

/*
 * Answers with encode(ca_enroll_info of the label's profile, or [est]
 * profile) as base64 of content_type.
 */
static void
answer(mp_http_req *req, int (*encode)(const json_t *info, uint8_t **der, size_t *len),
    const char *content_type, const char *what)
{
	mp_worker *w = mp_http_req_worker(req);
	const est_label *label = est_label_of(req);
	ca_detail d = { { 0 }, { 0 } };
	json_t *info = NULL;
	uint8_t *der = NULL;
	size_t len;
	int r;

	if ((r = ca_enroll_info(w->db, label != NULL ? label->tenant_id : NULL,
	    label != NULL ? label->profile_id : w->config->est_profile, &info, &d)) != MP_OK)
		est_reply_fail(req, r, r == MP_ERR_NOT_FOUND ? d.message : "[est] profile");
	else if ((r = encode(info, &der, &len)) != MP_OK)
		est_reply_fail(req, r, what);
	else
		est_reply_b64(req, content_type, der, len);
	OPENSSL_free(der);
	json_decref(info);
}

/* The certs-only PKCS#7 of info's chain. */
static int
chain_der(const json_t *info, uint8_t **der, size_t *len)
{
	return est_certs_only(json_string_value(json_object_get(info, "chain_pem")), der, len);
}

void
est_cacerts(mp_http_req *req, void *arg)
{
	(void)arg;
	answer(req, chain_der, "application/pkcs7-mime", "CA certificates");
}

void
est_csrattrs(mp_http_req *req, void *arg)
{
	(void)arg;
	answer(req, est_csrattrs_der, "application/csrattrs", "CSR attributes");
}

void
est_fullcmc(mp_http_req *req, void *arg)
{
	(void)arg;
	est_reply_text(req, 501, "full CMC (RFC 7030 4.3) is not supported; use /simpleenroll");
}
