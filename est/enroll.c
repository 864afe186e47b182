#include "enroll.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "body.h"
#include "ca.h"
#include "csr.h"
#include "enroll_tokens.h"
#include "idevid.h"
#include "preenroll.h"
#include "err.h"
#include "log.h"
#include "pkcs7.h"
#include "reply.h"
#include "secure.h"
#include "worker.h"

/* Seconds a client is told to wait before asking again for a request awaiting approval. */
#define APPROVAL_RETRY_AFTER "600"

/* Spends one use of the token for serial; replies and returns false on failure. */
static bool
spend_token(mp_http_req *req, const char *serial, const char *token, json_t **out)
{
	static const mp_actor device = { "device", NULL, NULL };
	mp_worker *w = mp_http_req_worker(req);
	int r = mp_enroll_token_consume(w->db, &device, token, serial, out);

	switch (r) {
	case MP_OK:
		return true;
	case MP_ERR_UNAUTHENTICATED:
		est_reply_unauthorized(req, "the serial number and enrollment token do not match a"
		    " valid token");
		return false;
	case MP_ERR_EXPIRED:
		est_reply_unauthorized(req, "the enrollment token has expired");
		return false;
	case MP_ERR_DENIED:
		est_reply_text(req, 403, "the device is not active");
		return false;
	}
	est_reply_fail(req, r, "enrollment token");
	return false;
}

void
est_enroll_refused(mp_http_req *req, int err, const ca_detail *d)
{
	char msg[sizeof(d->field) + sizeof(d->message) + 4];

	if (d->field[0] != '\0')
		snprintf(msg, sizeof(msg), "%.*s: %.*s", (int)sizeof(d->field), d->field,
		    (int)sizeof(d->message), d->message);
	else
		snprintf(msg, sizeof(msg), "%.*s", (int)sizeof(d->message), d->message);
	switch (err) {
	case MP_ERR_INVALID:
	case MP_ERR_TOO_LARGE:
	case MP_ERR_POLICY:
	case MP_ERR_UNSUPPORTED:
		est_reply_text(req, 400, msg);
		return;
	case MP_ERR_CONFLICT:
	case MP_ERR_NOT_FOUND:
	case MP_ERR_DENIED:
		est_reply_text(req, 403, msg);
		return;
	}
	est_reply_fail(req, err, "issuance");
}

bool
est_enroll_body(mp_http_req *req, uint8_t **csr, size_t *len)
{
	const char *why = NULL;
	const uint8_t *body;
	size_t n;
	int r;

	body = mp_http_req_body(req, &n);
	r = est_body_decode(mp_http_req_header(req, "Content-Type"),
	    mp_http_req_header(req, "Content-Transfer-Encoding"), "application/pkcs10", body, n,
	    CA_CSR_MAX_BYTES, csr, len, &why);
	if (r != MP_OK)
		est_reply_text(req, r == MP_ERR_UNSUPPORTED ? 415 : r == MP_ERR_TOO_LARGE ? 413 : 400,
		    why);
	return r == MP_OK;
}

bool
est_enroll_issue(mp_http_req *req, const char *tenant, const char *device, const char *profile,
    const uint8_t *csr, size_t csr_len)
{
	mp_worker *w = mp_http_req_worker(req);
	mp_actor actor = { "device", device, tenant };
	ca_issue_req in = { tenant, device, profile, (const char *)csr, csr_len, 0 };
	ca_detail d = { { 0 }, { 0 } };
	uint8_t *der = NULL;
	json_t *out = NULL;
	bool pending = false, done = false;
	size_t len;
	ca_env env;
	int r;

	ca_env_of_worker(w, &env);
	if ((r = ca_issue(&env, &actor, &in, &out, &pending, &d)) != MP_OK) {
		est_enroll_refused(req, r, &d);
		goto out;
	}
	done = true;
	if (pending) {
		mp_http_set_header(req, "Retry-After", APPROVAL_RETRY_AFTER);
		est_reply_text(req, 202, "the request awaits approval by an operator");
		goto out;
	}
	if ((r = est_certs_only(json_string_value(json_object_get(out, "certificate_pem")), &der,
	    &len)) != MP_OK) {
		est_reply_fail(req, r, "issued certificate");
		goto out;
	}
	est_reply_b64(req, "application/pkcs7-mime; smime-type=certs-only", der, len);
out:
	OPENSSL_free(der);
	json_decref(out);
	return done;
}

void
est_simpleenroll(mp_http_req *req, void *arg)
{
	mp_worker *w = mp_http_req_worker(req);
	char *serial = NULL, *token = NULL;
	uint8_t *csr = NULL;
	json_t *tok = NULL;
	size_t csr_len = 0;
	int r;

	(void)arg;
	if (mp_http_req_header(req, "Authorization") == NULL && mp_http_req_peer_cert(req) != NULL) {
		if (!est_preenroll(req, mp_http_req_peer_cert(req)))
			est_idevid_enroll(req, mp_http_req_peer_cert(req));
		goto out;
	}
	if (est_basic_parse(mp_http_req_header(req, "Authorization"), &serial, &token) != MP_OK) {
		est_reply_unauthorized(req, "HTTP Basic credentials are required: the device serial"
		    " number and its enrollment token");
		goto out;
	}
	if (!est_enroll_body(req, &csr, &csr_len) || !spend_token(req, serial, token, &tok))
		goto out;
	if (!est_enroll_issue(req, json_string_value(json_object_get(tok, "tenant_id")),
	    json_string_value(json_object_get(tok, "device_id")),
	    json_string_value(json_object_get(tok, "profile_id")), csr, csr_len)) {
		mp_actor device = { "device", json_string_value(json_object_get(tok, "device_id")),
			json_string_value(json_object_get(tok, "tenant_id")) };

		if ((r = mp_enroll_token_refund(w->db, &device, device.tenant_id,
		    json_string_value(json_object_get(tok, "id")))) != MP_OK)
			mp_warn("EST: the use of enrollment token %s could not be given back: %s",
			    json_string_value(json_object_get(tok, "id")), mp_strerror(r));
	}
out:
	json_decref(tok);
	free(csr);
	free(serial);
	mp_free_secret_str(token);
}
