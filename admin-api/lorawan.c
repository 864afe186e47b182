/*
 * /api/v1/lorawan: LoRaWAN devices (root keys sealed, never shown), their
 * joins, and the network and application servers that call the Join Server.
 */
#include "resources.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "envelope.h"
#include "err.h"
#include "export.h"
#include "bi.h"
#include "lw_devices.h"
#include "num.h"
#include "peers.h"
#include "secure.h"
#include "validate.h"
#include "values.h"

#define AS_ID_MAX 128
#define KEK_LABEL_MAX 128
/* A peer's client certificate: DER and PEM bounds. */
#define CERT_DER_MAX 16384
#define CERT_PEM_MAX (CERT_DER_MAX / 3 * 4 + CERT_DER_MAX / 48 + 256)
/* The longest hex member: a 256-bit KEK. */
#define HEX_MAX 64

/*
 * A hex member of exactly n bytes (2n digits, either case) decoded into out;
 * *present says whether it was given. Replies 400 and returns false otherwise.
 */
static bool
hex_member(api_call *c, const char *field, bool required, size_t n, uint8_t *out,
    bool *present)
{
	const char *s;
	char msg[96];

	*present = false;
	if (!api_string(c, field, required, HEX_MAX, &s))
		return false;
	if (s == NULL)
		return true;
	if (mp_hex_decode_fixed(s, strlen(s), out, n) != MP_OK) {
		snprintf(msg, sizeof(msg), "'%s' must be %zu hex digits", field, 2 * n);
		api_error(c, 400, "invalid_value", msg, field);
		return false;
	}
	*present = true;
	return true;
}

/* A hex member of n bytes (at most 8) as 2n lower-case hex digits in out ("" when absent). */
static bool
hex_text_member(api_call *c, const char *field, bool required, size_t n, char *out,
    bool *present)
{
	uint8_t b[8];
	char *hex = NULL;

	out[0] = '\0';
	if (n > sizeof(b) || !hex_member(c, field, required, n, b, present))
		return false;
	if (!*present)
		return true;
	if (mp_hex_encode(b, n, &hex) != MP_OK) {
		api_fail(c, MP_ERR_NOMEM, field);
		return false;
	}
	memcpy(out, hex, 2 * n + 1);
	free(hex);
	return true;
}

/* A required EUI-64 member as 16 lower-case hex digits in out. */
static bool
eui_member(api_call *c, const char *field, char out[17])
{
	bool present;

	return hex_text_member(c, field, true, 8, out, &present);
}

/*
 * The home network members: "home_net_id" (6 hex digits; null or absent:
 * none) into net ("" when none) and "home_ns_id" (an NSID, with home_net_id
 * only) into *ns_id (NULL when none); *given says whether either was in the
 * body. Replies 400 and returns false otherwise.
 */
static bool
home_members(api_call *c, char net[7], const char **ns_id, bool *given)
{
	bool present;

	*given = json_object_get(c->body, "home_net_id") != NULL ||
	    json_object_get(c->body, "home_ns_id") != NULL;
	if (!hex_text_member(c, "home_net_id", false, 3, net, &present) ||
	    !api_string(c, "home_ns_id", false, LW_NSID_MAX, ns_id))
		return false;
	if (*ns_id != NULL && !present) {
		api_error(c, 400, "missing_field", "'home_ns_id' goes with 'home_net_id'",
		    "home_net_id");
		return false;
	}
	if (*ns_id != NULL && strspn(*ns_id, LW_BI_ID_CHARS) != strlen(*ns_id)) {
		api_error(c, 400, "invalid_value", "'home_ns_id' must be an NSID: letters, digits,"
		    " '.', '-', '_' and ':'", "home_ns_id");
		return false;
	}
	return true;
}

/* The mac_version member: one of the versions the Join Server speaks. */
static bool
mac_version(api_call *c, const char **out)
{
	static const char *const known[] = { "1.0.2", "1.0.3", "1.0.4", "1.1", NULL };

	if (!api_string(c, "mac_version", true, 8, out))
		return false;
	if (api_in_set(known, *out))
		return true;
	api_error(c, 400, "invalid_value", "'mac_version' must be 1.0.2, 1.0.3, 1.0.4 or 1.1",
	    "mac_version");
	return false;
}

/*
 * The optional root key members for a device of this MAC version: "app_key",
 * and for 1.1 "nwk_key" too, given together.
 */
static bool
root_key_members(api_call *c, const char *mac, uint8_t nwk[LW_KEY_LEN],
    uint8_t app[LW_KEY_LEN], bool *has_nwk, bool *has_app)
{
	bool v11 = strcmp(mac, "1.1") == 0;

	if (!hex_member(c, "nwk_key", false, LW_KEY_LEN, nwk, has_nwk) ||
	    !hex_member(c, "app_key", false, LW_KEY_LEN, app, has_app))
		return false;
	if (*has_nwk && !v11) {
		api_error(c, 400, "invalid_value", "'nwk_key' is for LoRaWAN 1.1 devices only;"
		    " a 1.0.x device has one root key, 'app_key'", "nwk_key");
		return false;
	}
	if (*has_nwk != *has_app && v11) {
		api_error(c, 400, "missing_field", "a LoRaWAN 1.1 device takes both 'nwk_key' and"
		    " 'app_key', or neither (both generated)", *has_nwk ? "app_key" : "nwk_key");
		return false;
	}
	return true;
}

void
api_lorawan_device_create(api_call *c)
{
	static const char *const fields[] = { "tenant", "device", "dev_eui", "join_eui",
		"mac_version", "nwk_key", "app_key", "home_net_id", "home_ns_id", NULL };
	uint8_t nwk[LW_KEY_LEN], app[LW_KEY_LEN];
	char dev_eui[17], join_eui[17], home[7];
	bool has_nwk = false, has_app = false, has_home;
	lw_device_new in = { 0 };
	json_t *dev = NULL;
	int r;

	if (!api_only_fields(c, fields) || !api_target_tenant(c, &in.tenant_id) ||
	    !api_uuid_field(c, "device", true, &in.device_id) ||
	    !eui_member(c, "dev_eui", dev_eui) || !eui_member(c, "join_eui", join_eui) ||
	    !mac_version(c, &in.mac_version) ||
	    !root_key_members(c, in.mac_version, nwk, app, &has_nwk, &has_app) ||
	    !home_members(c, home, &in.home_ns_id, &has_home))
		goto out;
	in.home_net_id = home[0] != '\0' ? home : NULL;
	in.dev_eui = dev_eui;
	in.join_eui = join_eui;
	in.nwk_key = has_nwk ? nwk : NULL;
	in.app_key = has_app ? app : NULL;
	r = lw_device_create(c->db, ((mp_worker *)mp_http_req_worker(c->req))->keystore,
	    &c->actor, &in, &dev);
	if (r == MP_ERR_NOT_FOUND) {
		api_error(c, 404, "not_found", "device not found", "device");
		goto out;
	}
	if (r == MP_ERR_CONFLICT) {
		api_error(c, 409, "conflict", "the device already has LoRaWAN keys, is"
		    " decommissioned, has another DevEUI, or the DevEUI is another device's",
		    "dev_eui");
		goto out;
	}
	if (r != MP_OK) {
		api_fail(c, r, "LoRaWAN device");
		goto out;
	}
	api_reply(c, 201, dev);
out:
	mp_wipe(nwk, sizeof(nwk));
	mp_wipe(app, sizeof(app));
	api_wipe_secret(c, "nwk_key");
	api_wipe_secret(c, "app_key");
}

void
api_lorawan_device_list(api_call *c)
{
	api_list_by_id(c, lw_device_list, "LoRaWAN devices");
}

void
api_lorawan_device_get(api_call *c)
{
	api_get_by_id(c, lw_device_get, "LoRaWAN device");
}

void
api_lorawan_device_patch(api_call *c)
{
	static const char *const fields[] = { "status", "home_net_id", "home_ns_id", NULL };
	static const char *const statuses[] = { "active", "inactive", NULL };
	json_t *dev = NULL;
	const char *status, *ns_id;
	char home[7];
	bool has_home;
	int r = MP_OK;

	if (!api_path_uuid(c, c->params[0]) || !api_only_fields(c, fields) ||
	    !home_members(c, home, &ns_id, &has_home) ||
	    !api_string(c, "status", !has_home, 16, &status))
		return;
	if (status != NULL && !api_in_set(statuses, status)) {
		api_error(c, 400, "invalid_value", "'status' must be active or inactive", "status");
		return;
	}
	if (status != NULL)
		r = lw_device_set_status(c->db, &c->actor, api_scope(c), c->params[0], status, &dev);
	if (r == MP_OK && has_home) {
		json_decref(dev);
		dev = NULL;
		r = lw_device_set_home(c->db, &c->actor, api_scope(c), c->params[0],
		    home[0] != '\0' ? home : NULL, ns_id, &dev);
	}
	if (r != MP_OK) {
		json_decref(dev);
		api_fail(c, r, "LoRaWAN device");
		return;
	}
	api_reply(c, 200, dev);
}

void
api_lorawan_device_reset_dev_nonces(api_call *c)
{
	static const char *const fields[] = { NULL };
	json_t *dev = NULL;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_only_fields(c, fields))
		return;
	if ((r = lw_device_reset_dev_nonces(c->db, &c->actor, api_scope(c), c->params[0],
	    &dev)) != MP_OK) {
		api_fail(c, r, "LoRaWAN device");
		return;
	}
	api_reply(c, 200, dev);
}

void
api_lorawan_device_rotate_keys(api_call *c)
{
	static const char *const fields[] = { "nwk_key", "app_key", NULL };
	uint8_t nwk[LW_KEY_LEN], app[LW_KEY_LEN];
	bool has_nwk = false, has_app = false;
	json_t *dev = NULL;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_only_fields(c, fields))
		goto out;
	if ((r = lw_device_get(c->db, api_scope(c), c->params[0], &dev)) != MP_OK) {
		api_fail(c, r, "LoRaWAN device");
		goto out;
	}
	if (!root_key_members(c, json_string_value(json_object_get(dev, "mac_version")), nwk, app,
	    &has_nwk, &has_app))
		goto out;
	json_decref(dev);
	dev = NULL;
	if ((r = lw_device_rotate_keys(c->db, ((mp_worker *)mp_http_req_worker(c->req))->keystore,
	    &c->actor, api_scope(c), c->params[0], has_nwk ? nwk : NULL, has_app ? app : NULL,
	    &dev)) != MP_OK) {
		api_fail(c, r, "LoRaWAN device");
		goto out;
	}
	api_reply(c, 200, dev);
	dev = NULL;
out:
	json_decref(dev);
	mp_wipe(nwk, sizeof(nwk));
	mp_wipe(app, sizeof(app));
	api_wipe_secret(c, "nwk_key");
	api_wipe_secret(c, "app_key");
}

void
api_lorawan_device_export(api_call *c)
{
	static const char *const fields[] = { "tenant", "devices", "kek_label",
		"recipient_certificate_pem", NULL };
	const char *tenant, *pem = NULL, *what = NULL, **ids = NULL;
	lw_export_to to = { NULL, NULL, 0 };
	json_t *arr = NULL, *items = NULL, *v;
	uint8_t *cert = NULL;
	char *cms = NULL;
	size_t i, n;
	int r;

	if (!api_only_fields(c, fields) || !api_target_tenant(c, &tenant) ||
	    !api_string_array(c, "devices", LW_EXPORT_MAX, &arr) ||
	    !api_pem_member(c, "recipient_certificate_pem", false, CERT_PEM_MAX, &pem) ||
	    !api_string(c, "kek_label", pem == NULL, KEK_LABEL_MAX, &to.kek_label))
		return;
	if (pem != NULL && to.kek_label != NULL) {
		api_error(c, 400, "invalid_value", "give 'kek_label' or 'recipient_certificate_pem',"
		    " not both", "recipient_certificate_pem");
		return;
	}
	if (pem != NULL && (mp_pem_decode(pem, strlen(pem), "CERTIFICATE", LW_ENVELOPE_CERT_MAX,
	    &cert, &to.recipient_len) != MP_OK ||
	    strstr(strstr(pem, "-----BEGIN ") + 1, "-----BEGIN ") != NULL)) {
		api_error(c, 400, "invalid_value", "'recipient_certificate_pem' must hold exactly one"
		    " PEM certificate (-----BEGIN CERTIFICATE-----)", "recipient_certificate_pem");
		goto out;
	}
	to.recipient = cert;
	if ((n = json_array_size(arr)) == 0) {
		api_error(c, 400, "missing_field", "'devices' must list 1 to 1000 LoRaWAN device ids",
		    "devices");
		goto out;
	}
	if ((ids = calloc(n, sizeof(*ids))) == NULL) {
		api_fail(c, MP_ERR_NOMEM, "export");
		goto out;
	}
	json_array_foreach(arr, i, v) {
		ids[i] = json_string_value(v);
		for (size_t j = 0; j < i && api_is_uuid(ids[i]); j++)
			if (strcasecmp(ids[j], ids[i]) == 0)
				ids[i] = "";
		if (!api_is_uuid(ids[i])) {
			api_error(c, 400, "invalid_value", "'devices' must list distinct LoRaWAN"
			    " device ids", "devices");
			goto out;
		}
	}
	r = lw_devices_export(c->db, ((mp_worker *)mp_http_req_worker(c->req))->keystore,
	    &c->actor, tenant, ids, n, &to, &items, &cms, &what);
	if (what != NULL && strcmp(what, "recipient") == 0) {
		api_error(c, 400, "invalid_value", r == MP_ERR_INVALID ? "'recipient_certificate_pem'"
		    " is not an X.509 certificate" : "the recipient certificate's key must be RSA of"
		    " 2048 bits or more, or EC", "recipient_certificate_pem");
		goto out;
	}
	if (r == MP_ERR_NOT_FOUND || r == MP_ERR_CONFLICT) {
		api_error(c, r == MP_ERR_CONFLICT ? 409 : 404, r == MP_ERR_CONFLICT ? "conflict" :
		    "not_found", r == MP_ERR_CONFLICT ? "several peers of the tenant have this KEK"
		    " label" : what != NULL && strcmp(what, "kek_label") == 0 ?
		    "no peer of the tenant has a KEK with this label" :
		    "a listed id is not a LoRaWAN device of the tenant", what);
		goto out;
	}
	if (r != MP_OK) {
		api_fail(c, r, "export");
		goto out;
	}
	api_reply(c, 200, json_pack("{s:o, s:s?}", "items", items, "cms_pem", cms));
out:
	free(cms);
	free(cert);
	free(ids);
}

void
api_lorawan_device_joins(api_call *c)
{
	json_t *items = NULL;
	char *before = NULL;
	uint64_t v;
	unsigned limit;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_page(c, &limit, &before))
		return;
	if (before != NULL && mp_parse_u64(before, INT64_MAX, &v) != MP_OK) {
		free(before);
		api_error(c, 400, "invalid_cursor", "'cursor' is not a cursor this API returned",
		    "cursor");
		return;
	}
	r = lw_device_joins(c->db, api_scope(c), c->params[0], before, limit, &items);
	free(before);
	if (r != MP_OK) {
		api_fail(c, r, "LoRaWAN device");
		return;
	}
	api_reply(c, 200, api_page_result(items, limit, "id"));
}

void
api_lorawan_peer_create(api_call *c)
{
	static const char *const fields[] = { "tenant", "kind", "net_id", "as_id", "kek_label",
		"kek", "auth", "client_certificate_pem", NULL };
	uint8_t kek[32], net[3], *cert = NULL;
	const char *pem = NULL;
	char *net_id = NULL, *token = NULL;
	bool has_net = false, has_kek = false, ns;
	lw_peer_new in = { 0 };
	json_t *peer = NULL, *v = json_object_get(c->body, "kek");
	size_t kek_len = 0;
	int r;

	if (!api_only_fields(c, fields) || !api_target_tenant(c, &in.tenant_id) ||
	    !api_string(c, "kind", true, 2, &in.kind))
		goto out;
	ns = strcmp(in.kind, "ns") == 0;
	if (!ns && strcmp(in.kind, "as") != 0) {
		api_error(c, 400, "invalid_value", "'kind' must be ns or as", "kind");
		goto out;
	}
	if (!hex_member(c, "net_id", ns, sizeof(net), net, &has_net) ||
	    !api_string(c, "as_id", !ns, AS_ID_MAX, &in.as_id) ||
	    !api_string(c, "kek_label", false, KEK_LABEL_MAX, &in.kek_label) ||
	    !api_string(c, "auth", true, 5, &in.auth))
		goto out;
	if ((ns && in.as_id != NULL) || (!ns && has_net)) {
		api_error(c, 400, "invalid_value", ns ? "a network server has a 'net_id', not an"
		    " 'as_id'" : "an application server has an 'as_id', not a 'net_id'",
		    ns ? "as_id" : "net_id");
		goto out;
	}
	if (strcmp(in.auth, "token") != 0 && strcmp(in.auth, "mtls") != 0) {
		api_error(c, 400, "invalid_value", "'auth' must be token or mtls", "auth");
		goto out;
	}
	if (!api_pem_member(c, "client_certificate_pem", strcmp(in.auth, "mtls") == 0,
	    CERT_PEM_MAX, &pem))
		goto out;
	if (pem != NULL && strcmp(in.auth, "token") == 0) {
		api_error(c, 400, "invalid_value", "a peer with auth token has no"
		    " 'client_certificate_pem'", "client_certificate_pem");
		goto out;
	}
	if (pem != NULL && (mp_pem_decode(pem, strlen(pem), "CERTIFICATE", CERT_DER_MAX, &cert,
	    &in.cert_len) != MP_OK || strstr(strstr(pem, "-----BEGIN ") + 1, "-----BEGIN ") != NULL)) {
		api_error(c, 400, "invalid_value", "'client_certificate_pem' must hold exactly one PEM"
		    " certificate (-----BEGIN CERTIFICATE-----)", "client_certificate_pem");
		goto out;
	}
	in.cert = cert;
	if (v != NULL && !json_is_null(v)) {
		kek_len = json_is_string(v) ? json_string_length(v) / 2 : sizeof(kek);
		if (kek_len != 16 && kek_len != 24 && kek_len != 32) {
			api_error(c, 400, "invalid_value", "'kek' must be 32, 48 or 64 hex digits (an"
			    " AES-128, -192 or -256 key)", "kek");
			goto out;
		}
		if (!hex_member(c, "kek", true, kek_len, kek, &has_kek))
			goto out;
		in.kek = kek;
		in.kek_len = kek_len;
	}
	if ((in.kek != NULL) != (in.kek_label != NULL)) {
		api_error(c, 400, "missing_field", "'kek' and 'kek_label' go together",
		    in.kek != NULL ? "kek_label" : "kek");
		goto out;
	}
	if (ns && mp_hex_encode(net, sizeof(net), &net_id) != MP_OK) {
		api_fail(c, MP_ERR_NOMEM, "LoRaWAN peer");
		goto out;
	}
	in.net_id = net_id;
	r = lw_peer_create(c->db, ((mp_worker *)mp_http_req_worker(c->req))->keystore, &c->actor,
	    &in, &token, &peer);
	if (r == MP_ERR_CONFLICT && strcmp(mp_db_constraint(c->db),
	    "lorawan_peers_cert_sha256_key") == 0) {
		api_error(c, 409, "conflict", "another peer is authenticated by this certificate",
		    "client_certificate_pem");
		goto out;
	}
	if (r == MP_ERR_CONFLICT) {
		api_error(c, 409, "conflict", ns ? "the tenant already has a network server with"
		    " this NetID" : "the tenant already has an application server with this AS-ID",
		    ns ? "net_id" : "as_id");
		goto out;
	}
	if (r == MP_ERR_INVALID && cert != NULL) {
		api_error(c, 400, "invalid_value", "'client_certificate_pem' is not an X.509"
		    " certificate", "client_certificate_pem");
		goto out;
	}
	if (r != MP_OK) {
		api_fail(c, r, "LoRaWAN peer");
		goto out;
	}
	if (json_object_set_new(peer, "token", token != NULL ? json_string(token) :
	    json_null()) != 0) {
		json_decref(peer);
		api_fail(c, MP_ERR_NOMEM, "LoRaWAN peer");
		goto out;
	}
	api_reply(c, 201, peer);
out:
	mp_wipe(kek, sizeof(kek));
	mp_free_secret_str(token);
	free(net_id);
	free(cert);
	api_wipe_secret(c, "kek");
}

void
api_lorawan_peer_list(api_call *c)
{
	api_list_by_id(c, lw_peer_list, "LoRaWAN peers");
}

void
api_lorawan_peer_get(api_call *c)
{
	api_get_by_id(c, lw_peer_get, "LoRaWAN peer");
}
