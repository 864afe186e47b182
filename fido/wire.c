#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "ca.h"
#include "cbor.h"
#include "config.h"
#include "devices.h"
#include "err.h"
#include "hash.h"
#include "log.h"
#include "di_msg.h"
#include "manufacture.h"
#include "pubkey.h"
#include "rendezvous.h"
#include "secure.h"
#include "tenants.h"
#include "voucher.h"
#include "wire_priv.h"
#include "worker.h"

#define MSG_PREFIX "/fdo/101/msg/"
#define MSG_DI_APP_START 10
#define MSG_DI_SET_CREDENTIALS 11
#define MSG_DI_SET_HMAC 12
#define MSG_DI_DONE 13

#define MAX_CHAIN 8

/* The certificates of PEM text, in order, as DER (each freed with OPENSSL_free). */
static int
pem_certs(const char *pem, fdo_bytes *out, size_t max, size_t *n)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x;
	unsigned char *der;
	int len;

	if (bio == NULL)
		return MP_ERR_NOMEM;
	while (*n < max && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		der = NULL;
		len = i2d_X509(x, &der);
		X509_free(x);
		if (len <= 0) {
			BIO_free(bio);
			return MP_ERR_CRYPTO;
		}
		out[*n].p = der;
		out[*n].n = (size_t)len;
		(*n)++;
	}
	ERR_clear_error();
	BIO_free(bio);
	return MP_OK;
}

/* The attestation certificate of the device from its CSR, with the issuing chain. */
static int
issue_certificate(mp_worker *w, const char *tenant, const char *device,
    const fdo_di_app_start *m, fdo_bytes *certs, size_t *ncerts, char *why, size_t whysz)
{
	mp_actor actor = { "device", device, tenant };
	ca_issue_req in = { tenant, device, w->config->fdo_device_profile, (const char *)m->csr,
		m->csr_len, 0, NULL };
	json_t *out = NULL;
	ca_detail d;
	bool pending = false;
	ca_env env;
	int r;

	memset(&d, 0, sizeof(d));
	ca_env_of_worker(w, &env);
	if ((r = ca_issue(&env, &actor, &in, &out, &pending, &d)) != MP_OK) {
		snprintf(why, whysz, "the device certificate was refused: %s%s%s", d.field,
		    d.field[0] != '\0' ? ": " : "", d.message[0] != '\0' ? d.message : mp_strerror(r));
		return r;
	}
	if (pending) {
		snprintf(why, whysz, "the device profile needs approval, which DI cannot wait for");
		r = MP_ERR_POLICY;
	} else if ((r = pem_certs(json_string_value(json_object_get(out, "certificate_pem")), certs,
	    1, ncerts)) != MP_OK || *ncerts != 1 ||
	    (r = pem_certs(json_string_value(json_object_get(out, "chain_pem")), certs, MAX_CHAIN,
	    ncerts)) != MP_OK) {
		snprintf(why, whysz, "the issued certificate could not be read");
		r = r == MP_OK ? MP_ERR_INTERNAL : r;
	}
	json_decref(out);
	return r;
}

/* Replies to a manufacturer step that failed: no key (404), or an internal error. */
static void
reply_mfg_error(mp_http_req *req, int r, const fdo_detail *d)
{
	fdo_reply_error(req, r == MP_ERR_NOT_FOUND ? 404 : 500,
	    r == MP_ERR_NOT_FOUND ? EM_RESOURCE_NOT_FOUND : EM_INTERNAL_SERVER_ERROR,
	    MSG_DI_APP_START, d->message[0] != '\0' ? d->message : "DI could not start");
}

static void
di_app_start(mp_http_req *req, const uint8_t *body, size_t len)
{
	mp_worker *w = mp_http_req_worker(req);
	const char *bad, *tenant, *device;
	char why[FDO_DETAIL_MAX + 128], token[FDO_TOKEN_MAX];
	json_t *t = NULL, *dev = NULL;
	fdo_bytes certs[MAX_CHAIN];
	fdo_di_app_start m;
	fdo_detail d = { { 0 } };
	size_t ncerts = 0;
	mp_buf *hdr = NULL, *out = NULL;
	fdo_env env;
	int r;

	if ((bad = fdo_di_app_start_decode(body, len, &m)) != NULL) {
		fdo_reply_error(req, 400, EM_MESSAGE_BODY_ERROR, MSG_DI_APP_START, bad);
		return;
	}
	if (w->config->fdo_manufacturer_tenant[0] == '\0') {
		fdo_reply_error(req, 404, EM_RESOURCE_NOT_FOUND, MSG_DI_APP_START,
		    "this server does not manufacture ([fdo] manufacturer_tenant is not set)");
		return;
	}
	if ((r = mp_tenant_find_by_name(w->db, w->config->fdo_manufacturer_tenant, &t)) != MP_OK ||
	    (tenant = json_string_value(json_object_get(t, "id"))) == NULL) {
		mp_error("fdo: manufacturer tenant '%s': %s", w->config->fdo_manufacturer_tenant,
		    mp_strerror(r));
		fdo_reply_error(req, 500, EM_INTERNAL_SERVER_ERROR, MSG_DI_APP_START,
		    "the manufacturer tenant is not available");
		goto out;
	}
	if ((r = mp_device_find_by_serial(w->db, tenant, m.serial, &dev)) != MP_OK) {
		if (r == MP_ERR_NOT_FOUND)
			fdo_reply_error(req, 404, EM_RESOURCE_NOT_FOUND, MSG_DI_APP_START,
			    "no device of this serial number is registered with the manufacturer");
		else
			fdo_reply_error(req, 500, EM_INTERNAL_SERVER_ERROR, MSG_DI_APP_START,
			    "the device record could not be read");
		goto out;
	}
	device = json_string_value(json_object_get(dev, "id"));
	if (!json_is_null(json_object_get(dev, "fdo_guid"))) {
		fdo_reply_error(req, 409, EM_INVALID_MESSAGE_ERROR, MSG_DI_APP_START,
		    "the device has been initialized already (it has an FDO GUID)");
		goto out;
	}
	fdo_env_of_worker(w, &env);
	if ((r = fdo_mfg_check_key(&env, tenant, (int)m.key_type, &d)) != MP_OK) {
		reply_mfg_error(req, r, &d);
		goto out;
	}
	if ((r = issue_certificate(w, tenant, device, &m, certs, &ncerts, why,
	    sizeof(why))) != MP_OK) {
		if (r == MP_ERR_INVALID || r == MP_ERR_POLICY)
			fdo_reply_error(req, 400, EM_MESSAGE_BODY_ERROR, MSG_DI_APP_START, why);
		else if (r == MP_ERR_NOT_FOUND)
			fdo_reply_error(req, 404, EM_RESOURCE_NOT_FOUND, MSG_DI_APP_START, why);
		else if (r == MP_ERR_CONFLICT)
			fdo_reply_error(req, 409, EM_INVALID_MESSAGE_ERROR, MSG_DI_APP_START, why);
		else
			fdo_reply_error(req, 500, EM_INTERNAL_SERVER_ERROR, MSG_DI_APP_START, why);
		goto out;
	}
	if ((hdr = mp_buf_new(FDO_VOUCHER_MAX)) == NULL || (out = mp_buf_new(FDO_VOUCHER_MAX)) == NULL) {
		fdo_reply_error(req, 500, EM_INTERNAL_SERVER_ERROR, MSG_DI_APP_START, "out of memory");
		goto out;
	}
	{
		fdo_mfg_request mr = { tenant, device, m.device_info, (int)m.key_type, certs, ncerts,
			w->config->fdo_rendezvous_host, (unsigned)w->config->fdo_rendezvous_port,
			strcmp(w->config->fdo_rendezvous_protocol, "https") == 0 };

		r = fdo_mfg_begin(&env, &mr, hdr, token, &d);
	}
	if (r != MP_OK) {
		reply_mfg_error(req, r, &d);
		goto out;
	}
	/* DI.SetCredentials = [bstr .cbor OVHeader] */
	if (fdo_put_array(out, 1) != MP_OK ||
	    fdo_put_bstr(out, mp_buf_ptr(hdr), mp_buf_len(hdr)) != MP_OK) {
		fdo_reply_error(req, 500, EM_INTERNAL_SERVER_ERROR, MSG_DI_APP_START, "out of memory");
		goto out;
	}
	fdo_reply_token(req, token);
	fdo_reply_msg(req, MSG_DI_SET_CREDENTIALS, out);
out:
	for (size_t i = 0; i < ncerts; i++)
		OPENSSL_free((void *)certs[i].p);
	mp_wipe(token, sizeof(token));
	mp_buf_free(hdr);
	mp_buf_free(out);
	json_decref(dev);
	json_decref(t);
}

static void
di_set_hmac(mp_http_req *req, const uint8_t *body, size_t len)
{
	mp_worker *w = mp_http_req_worker(req);
	const char *token;
	const uint8_t *hmac;
	fdo_detail d = { { 0 } };
	fdo_mfg_owner own = { 0 };
	json_t *row = NULL;
	mp_buf *out = NULL;
	size_t hmac_len;
	fdo_hash h;
	fdo_cbor c, w2;
	fdo_env env;
	int r;

	if ((token = fdo_token_required(req, MSG_DI_SET_HMAC,
	    "DI.SetHMAC needs the Authorization token of DI.SetCredentials")) == NULL)
		return;
	/* DI.SetHMAC = [HMac] */
	fdo_cbor_init(&c, body, len);
	if (fdo_cbor_array_n(&c, 1) != MP_OK) {
		fdo_reply_error(req, 400, EM_MESSAGE_BODY_ERROR, MSG_DI_SET_HMAC, "DI.SetHMAC is not [HMac]");
		return;
	}
	w2 = c;
	if (fdo_cbor_skip(&w2, &hmac, &hmac_len) != MP_OK || fdo_hash_decode(&c, true, &h) != MP_OK ||
	    !fdo_cbor_empty(&c)) {
		fdo_reply_error(req, 400, EM_MESSAGE_BODY_ERROR, MSG_DI_SET_HMAC,
		    "DI.SetHMAC: not an HMAC-SHA256 or HMAC-SHA384 HMac");
		return;
	}
	fdo_env_of_worker(w, &env);
	if (w->config->fdo_owner_key[0] != '\0') {
		own.key = w->config->fdo_owner_key;
		own.wait = (uint32_t)(w->config->fdo_owner_wait_ms / 1000);
		if (fdo_rv_addr_set(&own.addr, w->config->fdo_owner_host,
		    (unsigned)w->config->fdo_owner_port, w->config->fdo_tls) != MP_OK) {
			fdo_reply_error(req, 500, EM_INTERNAL_SERVER_ERROR, MSG_DI_SET_HMAC,
			    "[fdo] owner_host is not a DNS name or an IP address");
			return;
		}
	}
	if ((r = fdo_mfg_finish(&env, token, hmac, hmac_len,
	    w->config->fdo_owner_key[0] != '\0' ? &own : NULL, &row, &d)) != MP_OK) {
		if (r != MP_ERR_UNAUTHENTICATED && d.message[0] == '\0')
			mp_error("fdo: DI.SetHMAC: %s", mp_strerror(r));
		fdo_reply_error(req, r == MP_ERR_UNAUTHENTICATED ? 401 : r == MP_ERR_CONFLICT ? 409 : 500,
		    r == MP_ERR_UNAUTHENTICATED ? EM_INVALID_MESSAGE_ERROR : EM_INTERNAL_SERVER_ERROR,
		    MSG_DI_SET_HMAC, d.message[0] != '\0' ? d.message : "the voucher could not be stored");
		return;
	}
	mp_info("fdo: DI done: voucher %s for device %s",
	    json_string_value(json_object_get(row, "guid")),
	    json_string_value(json_object_get(row, "serial")));
	json_decref(row);
	/* DI.Done = [] */
	if ((out = mp_buf_new(1)) == NULL || fdo_put_array(out, 0) != MP_OK) {
		mp_buf_free(out);
		fdo_reply_error(req, 500, EM_INTERNAL_SERVER_ERROR, MSG_DI_SET_HMAC, "out of memory");
		return;
	}
	fdo_reply_msg(req, MSG_DI_DONE, out);
	mp_buf_free(out);
}

static void
fdo_message(mp_http_req *req, void *arg)
{
	const char *path = mp_http_req_path(req), *type = path + strlen(MSG_PREFIX);
	const uint8_t *body;
	size_t len;

	(void)arg;
	if (!mp_http_media_type_is(mp_http_req_header(req, "Content-Type"), "application/cbor")) {
		fdo_reply_error(req, 415, EM_MESSAGE_BODY_ERROR, 0, "the body must be application/cbor");
		return;
	}
	body = mp_http_req_body(req, &len);
	if (strcmp(type, "10") == 0)
		di_app_start(req, body, len);
	else if (strcmp(type, "12") == 0)
		di_set_hmac(req, body, len);
	else if (strcmp(type, "20") == 0)
		fdo_msg_to0_hello(req, body, len);
	else if (strcmp(type, "22") == 0)
		fdo_msg_to0_owner_sign(req, body, len);
	else if (strcmp(type, "30") == 0)
		fdo_msg_to1_hello_rv(req, body, len);
	else if (strcmp(type, "32") == 0)
		fdo_msg_to1_prove_to_rv(req, body, len);
	else if (strcmp(type, "60") == 0)
		fdo_msg_to2_hello_device(req, body, len);
	else if (strcmp(type, "62") == 0)
		fdo_msg_to2_get_ov_next_entry(req, body, len);
	else if (strcmp(type, "64") == 0)
		fdo_msg_to2_prove_device(req, body, len);
	else if (strcmp(type, "66") == 0)
		fdo_msg_to2_encrypted(req, 66, body, len);
	else if (strcmp(type, "68") == 0)
		fdo_msg_to2_encrypted(req, 68, body, len);
	else if (strcmp(type, "70") == 0)
		fdo_msg_to2_encrypted(req, 70, body, len);
	else
		fdo_reply_error(req, 404, EM_INVALID_MESSAGE_ERROR, 0, "this server takes DI"
		    " (10, 12), TO0 (20, 22), TO1 (30, 32) and TO2 (60-70, even) messages only");
}

const mp_http_route fdo_routes[] = {
	{ "POST", MSG_PREFIX "*", fdo_message },
};

const size_t fdo_routes_count = sizeof(fdo_routes) / sizeof(fdo_routes[0]);
