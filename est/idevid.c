#include "idevid.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "devices.h"
#include "enroll.h"
#include "err.h"
#include "label.h"
#include "reply.h"
#include "trust_anchors.h"
#include "worker.h"

/* The device serial in x's subject: its serialNumber, else its CN; NULL when neither fits. */
static char *
cert_serial(X509 *x)
{
	static const int nids[] = { NID_serialNumber, NID_commonName };
	const X509_NAME *name = X509_get_subject_name(x);
	unsigned char *utf8 = NULL;
	char *serial = NULL;
	int i, n;

	for (size_t k = 0; k < sizeof(nids) / sizeof(nids[0]) && serial == NULL; k++) {
		if ((i = X509_NAME_get_index_by_NID(name, nids[k], -1)) < 0)
			continue;
		n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
		if (n > 0 && n <= EST_IDEVID_SERIAL_MAX && memchr(utf8, '\0', (size_t)n) == NULL)
			serial = strndup((const char *)utf8, (size_t)n);
		OPENSSL_free(utf8);
		utf8 = NULL;
	}
	return serial;
}

/*
 * The device of serial among the tenants of anchors (each anchor row with the
 * device_id of serial in its tenant): registered in exactly one of them, else
 * registered now in the one tenant whose anchor allows it. *anchor gets the
 * anchor of the device's tenant. Replies and returns NULL on failure.
 */
static json_t *
map_device(mp_http_req *req, json_t *anchors, const char *serial, json_t **anchor)
{
	mp_worker *w = mp_http_req_worker(req);
	json_t *a, *dev = NULL, *found = NULL, *auto_anchor = NULL;
	size_t i, nfound = 0, nauto = 0;
	int r;

	json_array_foreach(anchors, i, a) {
		if (json_is_true(json_object_get(json_object_get(a, "policy"), "auto_register"))) {
			auto_anchor = a;
			nauto++;
		}
		if (!json_is_string(json_object_get(a, "device_id")))
			continue;
		found = a;
		nfound++;
	}
	if (nfound == 1) {
		if ((dev = json_pack("{s:O, s:O}", "id", json_object_get(found, "device_id"),
		    "tenant_id", json_object_get(found, "tenant_id"))) == NULL) {
			est_reply_fail(req, MP_ERR_NOMEM, "device");
			return NULL;
		}
		*anchor = found;
		return dev;
	}
	if (nfound > 1 || (nfound == 0 && nauto > 1)) {
		est_reply_text(req, 403, "the device serial maps to more than one tenant");
		return NULL;
	}
	if (nauto == 0) {
		est_reply_text(req, 403, "the device is not registered and its trust anchor does not"
		    " register devices automatically");
		return NULL;
	}
	{
		const char *tenant = json_string_value(json_object_get(auto_anchor, "tenant_id"));
		mp_actor actor = { "system", "est-idevid", tenant };
		json_t *attrs = json_pack("{s:s, s:O}", "registered_by", "est-idevid", "trust_anchor",
		    json_object_get(auto_anchor, "id"));
		mp_device_new in = { tenant, serial, NULL, NULL, NULL, NULL, attrs };

		r = attrs == NULL ? MP_ERR_NOMEM : mp_device_create(w->db, &actor, &in, &dev);
		json_decref(attrs);
		/* registered by a concurrent first enrollment of the same device */
		if (r == MP_ERR_CONFLICT)
			r = mp_device_find_by_serial(w->db, tenant, serial, &dev);
		if (r != MP_OK) {
			est_reply_fail(req, r, "device registration");
			return NULL;
		}
		*anchor = auto_anchor;
		return dev;
	}
}

/* Keeps the anchors of tenant only; whether any is left. */
static bool
only_tenant(json_t *anchors, const char *tenant)
{
	for (size_t i = json_array_size(anchors); i > 0; i--)
		if (strcmp(json_string_value(json_object_get(json_array_get(anchors, i - 1),
		    "tenant_id")), tenant) != 0)
			json_array_remove(anchors, i - 1);
	return json_array_size(anchors) > 0;
}

void
est_idevid_enroll(mp_http_req *req, X509 *leaf, bool keygen)
{
	mp_worker *w = mp_http_req_worker(req);
	json_t *anchors = NULL, *dev = NULL, *anchor = NULL;
	const char *why = NULL, *profile;
	char *serial = NULL;
	uint8_t *csr = NULL;
	size_t csr_len = 0;
	int r;

	serial = cert_serial(leaf);
	r = mp_trust_anchor_verify(w->db, w->anchors, leaf, mp_http_req_peer_chain(req), serial,
	    &anchors, &why);
	if (r == MP_ERR_UNAUTHENTICATED || r == MP_ERR_TOO_LARGE) {
		est_reply_unauthorized(req, why);
		goto out;
	}
	if (r == MP_ERR_UNSUPPORTED || r == MP_ERR_DENIED) {
		est_reply_text(req, 403, why);
		goto out;
	}
	if (r != MP_OK) {
		est_reply_fail(req, r, "trust anchors");
		goto out;
	}
	if (est_label_of(req) != NULL && !only_tenant(anchors, est_label_of(req)->tenant_id)) {
		est_reply_text(req, 403, "no trust anchor of the tenant of this EST label vouches for"
		    " the client certificate");
		goto out;
	}
	if (serial == NULL) {
		est_reply_text(req, 403, "the client certificate names no device serial (serialNumber"
		    " or CN)");
		goto out;
	}
	if (!est_enroll_body(req, &csr, &csr_len) ||
	    (dev = map_device(req, anchors, serial, &anchor)) == NULL)
		goto out;
	profile = json_string_value(json_object_get(json_object_get(anchor, "policy"), "profile"));
	est_enroll_issue(req, json_string_value(json_object_get(dev, "tenant_id")),
	    json_string_value(json_object_get(dev, "id")),
	    profile != NULL ? profile : w->config->est_profile, csr, csr_len, keygen);
out:
	free(csr);
	free(serial);
	json_decref(dev);
	json_decref(anchors);
}
