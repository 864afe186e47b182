#include "preenroll.h"

#include <stdlib.h>
#include <string.h>

#include "ca.h"
#include "config.h"
#include "enroll.h"
#include "err.h"
#include "log.h"
#include "reply.h"
#include "worker.h"

/* The certificate row when cert is ours; NULL otherwise, or after replying to a failure (*replied). */
static json_t *
ours(mp_http_req *req, X509 *cert, bool *replied)
{
	mp_worker *w = mp_http_req_worker(req);
	json_t *row = NULL;
	int r;

	*replied = false;
	if ((r = ca_cert_presented(w->db, cert, &row)) == MP_OK)
		return row;
	if (r != MP_ERR_NOT_FOUND && r != MP_ERR_INVALID) {
		est_reply_fail(req, r, "client certificate");
		*replied = true;
	}
	return NULL;
}

bool
est_preenroll(mp_http_req *req, X509 *cert, bool keygen)
{
	mp_worker *w = mp_http_req_worker(req);
	ca_detail d = { { 0 }, { 0 } };
	json_t *row, *held = NULL;
	const char *tenant, *device, *id, *status;
	uint8_t *csr = NULL;
	size_t csr_len = 0;
	ca_env env;
	bool replied;
	int r;

	if ((row = ours(req, cert, &replied)) == NULL)
		return replied;
	tenant = json_string_value(json_object_get(row, "tenant_id"));
	device = json_string_value(json_object_get(row, "device_id"));
	id = json_string_value(json_object_get(row, "id"));
	status = json_string_value(json_object_get(row, "status"));
	if (!json_is_true(json_object_get(row, "pre_enrollment")) || device == NULL) {
		est_reply_text(req, 403, "the client certificate is not a pre-enrollment certificate;"
		    " an operational certificate renews at /simplereenroll");
		goto out;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0 ||
	    X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0) {
		est_reply_unauthorized(req, "the client certificate is not within its validity");
		goto out;
	}
	if (!est_enroll_body(req, &csr, &csr_len))
		goto out;
	if (strcmp(status, "active") != 0) {
		/* used for a request awaiting approval: that request answers its repeats */
		if (strcmp(status, "revoked") != 0 ||
		    !json_is_string(json_object_get(row, "reason")) ||
		    strcmp(json_string_value(json_object_get(row, "reason")), "superseded") != 0 ||
		    !est_enroll_answer_request(req, tenant, device, csr, csr_len))
			est_reply_text(req, 403, "the pre-enrollment certificate was used already or"
			    " revoked");
		goto out;
	}
	{
		mp_actor actor = { "device", device, tenant };

		ca_env_of_worker(w, &env);
		if ((r = ca_cert_suspend(&env, &actor, tenant, id, &held, &d)) != MP_OK) {
			if (r == MP_ERR_CONFLICT)
				est_reply_text(req, 403, "the pre-enrollment certificate was used already or"
				    " revoked");
			else
				est_reply_fail(req, r, "pre-enrollment certificate");
			goto out;
		}
		json_decref(held);
		held = NULL;
		if (est_enroll_issue(req, tenant, device, w->config->est_profile, csr, csr_len,
		    keygen) != EST_REFUSED)
			r = ca_cert_revoke(&env, &actor, tenant, id, "superseded", 0, &held, &d);
		else
			r = ca_cert_resume(&env, &actor, tenant, id, &held, &d);
		if (r != MP_OK)
			mp_warn("EST: pre-enrollment certificate %s stays on hold: %s", id,
			    mp_strerror(r));
	}
out:
	json_decref(held);
	json_decref(row);
	free(csr);
	return true;
}
