#include "enroll.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "body.h"
#include "ca.h"
#include "codec.h"
#include "config.h"
#include "csr.h"
#include "enroll_tokens.h"
#include "err.h"
#include "idevid.h"
#include "keywrap.h"
#include "label.h"
#include "log.h"
#include "pkcs7.h"
#include "preenroll.h"
#include "reply.h"
#include "secure.h"
#include "worker.h"

/* 202 for a request awaiting approval, with Retry-After from [est] retry_after. */
static void
reply_pending(mp_http_req *req)
{
	const mp_worker *w = mp_http_req_worker(req);
	char secs[24];

	snprintf(secs, sizeof(secs), "%llu",
	    (unsigned long long)(w->config->est_retry_after_ms / 1000));
	mp_http_set_header(req, "Retry-After", secs);
	est_reply_text(req, 202, "the request awaits approval by an operator");
}

/* Replies to a token that mp_enroll_token_consume refused with r. */
static void
token_refused(mp_http_req *req, int r)
{
	switch (r) {
	case MP_ERR_UNAUTHENTICATED:
		est_reply_unauthorized(req, "the serial number and enrollment token do not match a"
		    " valid token");
		return;
	case MP_ERR_EXPIRED:
		est_reply_unauthorized(req, "the enrollment token has expired");
		return;
	case MP_ERR_DENIED:
		est_reply_text(req, 403, "the device is not active");
		return;
	}
	est_reply_fail(req, r, "enrollment token");
}

bool
est_enroll_answer_request(mp_http_req *req, const char *tenant, const char *device,
    const uint8_t *csr, size_t csr_len)
{
	mp_worker *w = mp_http_req_worker(req);
	json_t *rq = NULL;
	const char *status;
	uint8_t *der = NULL;
	size_t len;
	bool replied = false;
	int r;

	r = ca_request_find_key(w->db, tenant, device, csr, csr_len, &rq);
	if (r == MP_ERR_NOT_FOUND || r == MP_ERR_INVALID)
		goto out;
	replied = true;
	if (r != MP_OK) {
		est_reply_fail(req, r, "certificate request");
		goto out;
	}
	status = json_string_value(json_object_get(rq, "status"));
	if (strcmp(status, "pending") == 0) {
		reply_pending(req);
	} else if (strcmp(status, "approved") != 0) {
		est_reply_text(req, 403, "the request was rejected by an operator");
	} else if ((r = est_certs_only(json_string_value(json_object_get(rq, "certificate_pem")),
	    &der, &len)) != MP_OK) {
		est_reply_fail(req, r, "approved certificate");
	} else {
		est_reply_b64(req, "application/pkcs7-mime; smime-type=certs-only", der, len);
	}
out:
	OPENSSL_free(der);
	json_decref(rq);
	return replied;
}

/*
 * A request repeated with a token its first request used up: answered from
 * the request awaiting approval made for the same key
 * (est_enroll_answer_request). Whether it replied.
 */
static bool
answer_repeat(mp_http_req *req, const char *serial, const char *token, const uint8_t *csr,
    size_t csr_len)
{
	mp_worker *w = mp_http_req_worker(req);
	json_t *tok = NULL;
	bool replied = false;

	if (mp_enroll_token_check(w->db, token, serial, &tok) == MP_OK)
		replied = est_enroll_answer_request(req,
		    json_string_value(json_object_get(tok, "tenant_id")),
		    json_string_value(json_object_get(tok, "device_id")), csr, csr_len);
	json_decref(tok);
	return replied;
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

est_outcome
est_enroll_issue(mp_http_req *req, const char *tenant, const char *device, const char *profile,
    const uint8_t *csr, size_t csr_len, bool keygen)
{
	mp_worker *w = mp_http_req_worker(req);
	const est_label *label = est_label_of(req);
	mp_actor actor = { "device", device, tenant };
	ca_issue_req in = { tenant, device, label != NULL ? label->profile_id : profile,
		(const char *)csr, csr_len, 0, NULL };
	ca_detail d = { { 0 }, { 0 } };
	uint8_t *der = NULL, *pkcs8 = NULL, binding[MP_HTTP_CHANNEL_BINDING_MAX];
	char *binding_b64 = NULL;
	json_t *out = NULL;
	est_outcome outcome = EST_REFUSED;
	bool pending = false;
	size_t len, pkcs8_len = 0;
	X509 *recipient = NULL;
	ca_env env;
	int r;

	if (label != NULL && strcmp(label->tenant_id, tenant) != 0) {
		est_reply_text(req, 403, "the device is not of the tenant of this EST label");
		goto out;
	}
	if (keygen && !est_keywrap_recipient(req, csr, csr_len, &recipient))
		goto out;
	ca_env_of_worker(w, &env);
	if (mp_http_req_channel_binding(req, binding, &len, NULL) == MP_OK) {
		if ((r = mp_b64_encode(binding, len, false, &binding_b64)) != MP_OK) {
			est_reply_fail(req, r, "channel binding");
			goto out;
		}
		in.channel_binding = binding_b64;
	}
	r = keygen ? ca_issue_keygen(&env, &actor, &in, &out, &pkcs8, &pkcs8_len, &d) :
	    ca_issue_repeatable(&env, &actor, &in, &out, &pending, &d);
	if (r != MP_OK) {
		est_enroll_refused(req, r, &d);
		goto out;
	}
	if (pending) {
		outcome = EST_PENDING;
		reply_pending(req);
		goto out;
	}
	outcome = EST_ISSUED;
	if ((r = est_certs_only(json_string_value(json_object_get(out, "certificate_pem")), &der,
	    &len)) != MP_OK) {
		est_reply_fail(req, r, "issued certificate");
		goto out;
	}
	if (keygen)
		est_reply_keygen(req, pkcs8, pkcs8_len, recipient, der, len);
	else
		est_reply_b64(req, "application/pkcs7-mime; smime-type=certs-only", der, len);
out:
	OPENSSL_clear_free(pkcs8, pkcs8_len);
	OPENSSL_free(der);
	free(binding_b64);
	json_decref(out);
	return outcome;
}

/* /simpleenroll, or /serverkeygen with keygen. */
static void
enroll(mp_http_req *req, bool keygen)
{
	static const mp_actor device = { "device", NULL, NULL };
	mp_worker *w = mp_http_req_worker(req);
	char *serial = NULL, *token = NULL;
	uint8_t *csr = NULL;
	json_t *tok = NULL;
	size_t csr_len = 0;
	int r;

	if (mp_http_req_header(req, "Authorization") == NULL && mp_http_req_peer_cert(req) != NULL) {
		if (!est_preenroll(req, mp_http_req_peer_cert(req), keygen))
			est_idevid_enroll(req, mp_http_req_peer_cert(req), keygen);
		goto out;
	}
	if (est_basic_parse(mp_http_req_header(req, "Authorization"), &serial, &token) != MP_OK) {
		est_reply_unauthorized(req, "HTTP Basic credentials are required: the device serial"
		    " number and its enrollment token");
		goto out;
	}
	if (!est_enroll_body(req, &csr, &csr_len))
		goto out;
	if ((r = mp_enroll_token_consume(w->db, &device, token, serial, &tok)) != MP_OK) {
		if (r != MP_ERR_UNAUTHENTICATED || !answer_repeat(req, serial, token, csr, csr_len))
			token_refused(req, r);
		goto out;
	}
	if (est_enroll_issue(req, json_string_value(json_object_get(tok, "tenant_id")),
	    json_string_value(json_object_get(tok, "device_id")),
	    json_string_value(json_object_get(tok, "profile_id")), csr, csr_len, keygen) ==
	    EST_REFUSED) {
		mp_actor who = { "device", json_string_value(json_object_get(tok, "device_id")),
			json_string_value(json_object_get(tok, "tenant_id")) };

		if ((r = mp_enroll_token_refund(w->db, &who, who.tenant_id,
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

void
est_simpleenroll(mp_http_req *req, void *arg)
{
	(void)arg;
	enroll(req, false);
}

void
est_serverkeygen(mp_http_req *req, void *arg)
{
	(void)arg;
	enroll(req, true);
}
