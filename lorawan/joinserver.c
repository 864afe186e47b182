/*
 * POST / on the LoRaWAN listener (Backend Interfaces): JoinReq -> JoinAns,
 * RejoinReq -> RejoinAns, AppSKeyReq -> AppSKeyAns, HomeNSReq -> HomeNSAns.
 */
#include "joinserver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "bi.h"
#include "codec.h"
#include "err.h"
#include "join.h"
#include "log.h"
#include "peers.h"
#include "secure.h"
#include "session.h"
#include "worker.h"

static void lw_js_post(mp_http_req *req, void *arg);

const mp_http_route lw_routes[] = {
	{ "POST", "/", lw_js_post },
};

const size_t lw_routes_count = sizeof(lw_routes) / sizeof(lw_routes[0]);

static void
send_answer(mp_http_req *req, json_t *msg)
{
	if (msg == NULL) {
		mp_http_reply_error(req, 500, "internal", "out of memory", NULL);
		return;
	}
	mp_http_reply_json(req, 200, msg);
}

/* An answer that only carries its Result. */
static void
refuse(mp_http_req *req, const lw_bi_header *h, const char *type, lw_result rc,
    const char *why)
{
	send_answer(req, lw_bi_answer(h, type, rc, why));
}

/* The answer type of a request we do not serve: "XAns" for "XReq". */
static void
answer_type(const lw_bi_header *h, char out[sizeof(h->message_type)])
{
	size_t n = strlen(h->message_type);

	if (n > 3 && strcmp(h->message_type + n - 3, "Req") == 0) {
		memcpy(out, h->message_type, n - 3);
		memcpy(out + n - 3, "Ans", 4);
	} else {
		memcpy(out, "JoinAns", sizeof("JoinAns"));
	}
}

/*
 * Adds the Join-accept and the session keys, wrapped under the peer's KEK, to
 * a JoinAns or RejoinAns.
 */
static int
add_session(json_t *ans, const lw_join_out *out, const lw_peer *p)
{
	char *phy = NULL, *skid = NULL;
	int r;

	if ((r = mp_hex_encode(out->phy, out->phy_len, &phy)) != MP_OK)
		return r;
	if ((r = mp_hex_encode(out->session_key_id, LW_SESSION_KEY_ID_LEN, &skid)) != MP_OK) {
		free(phy);
		return r;
	}
	r = json_object_set_new(ans, "PHYPayload", json_string(phy)) == 0 &&
	    json_object_set_new(ans, "Lifetime", json_integer(0)) == 0 &&
	    json_object_set_new(ans, "SessionKeyID", json_string(skid)) == 0 ? MP_OK : MP_ERR_NOMEM;
	free(phy);
	free(skid);
	if (r != MP_OK)
		return r;
	if (out->opt_neg) {
		if ((r = lw_bi_key_envelope(ans, "FNwkSIntKey", out->k11.f_nwk_s_int_key, p->kek_label,
		    p->kek, p->kek_len)) != MP_OK ||
		    (r = lw_bi_key_envelope(ans, "SNwkSIntKey", out->k11.s_nwk_s_int_key, p->kek_label,
		    p->kek, p->kek_len)) != MP_OK ||
		    (r = lw_bi_key_envelope(ans, "NwkSEncKey", out->k11.nwk_s_enc_key, p->kek_label,
		    p->kek, p->kek_len)) != MP_OK)
			return r;
		return lw_bi_key_envelope(ans, "AppSKey", out->k11.app_s_key, p->kek_label, p->kek,
		    p->kek_len);
	}
	if ((r = lw_bi_key_envelope(ans, "NwkSKey", out->k10.nwk_s_key, p->kek_label, p->kek,
	    p->kek_len)) != MP_OK)
		return r;
	return lw_bi_key_envelope(ans, "AppSKey", out->k10.app_s_key, p->kek_label, p->kek,
	    p->kek_len);
}

/* The bearer token of the request, or NULL. */
static const char *
bearer(mp_http_req *req)
{
	const char *h = mp_http_req_header(req, "Authorization");

	return h != NULL && strncasecmp(h, "Bearer ", 7) == 0 ? h + 7 : NULL;
}

/*
 * The calling peer: by its bearer token, or else by the SHA-256 of the TLS
 * client certificate it presented, which must be within its validity period
 * (the TLS layer accepts any certificate and leaves the decision here: the
 * handshake proved the caller holds its key, and the peer is pinned to it).
 */
static int
authenticate(mp_http_req *req, mp_worker *w, lw_peer *peer)
{
	uint8_t fp[LW_PEER_CERT_SHA256_LEN];
	const uint8_t *cert_sha256 = NULL;
	X509 *x = mp_http_req_peer_cert(req);
	unsigned int n = 0;

	if (x != NULL && X509_cmp_current_time(X509_get0_notBefore(x)) == -1 &&
	    X509_cmp_current_time(X509_get0_notAfter(x)) == 1 &&
	    X509_digest(x, EVP_sha256(), fp, &n) == 1 && n == sizeof(fp))
		cert_sha256 = fp;
	return lw_peer_authenticate(w->db, w->keystore, bearer(req), cert_sha256, peer);
}

/* A JoinReq (or a RejoinReq) from a network server: the JoinAns (or RejoinAns). */
static void
join_req(mp_http_req *req, mp_worker *w, const lw_bi_header *h, const lw_bi_join_req *jr,
    bool rejoin)
{
	const char *type = rejoin ? "RejoinAns" : "JoinAns";
	lw_join_msg m;
	lw_peer peer;
	lw_join_in in;
	lw_join_out out;
	json_t *ans;
	int r;

	memset(&peer, 0, sizeof(peer));
	memset(&out, 0, sizeof(out));
	if (lw_phy_parse(jr->phy, jr->phy_len, &m) != MP_OK ||
	    (m.join_req_type != LW_JOIN_REQ_TYPE_JOIN) != rejoin) {
		refuse(req, h, type, LW_RESULT_MALFORMED, rejoin ?
		    "PHYPayload is not a Rejoin-request" : "PHYPayload is not a Join-request");
		goto out;
	}
	if (m.dev_eui != jr->dev_eui) {
		refuse(req, h, type, LW_RESULT_MALFORMED,
		    "DevEUI is not the one in the PHYPayload");
		goto out;
	}
	r = authenticate(req, w, &peer);
	if (r == MP_ERR_UNAUTHENTICATED || (r == MP_OK && (!peer.ns || peer.net_id != jr->net_id))) {
		refuse(req, h, type, LW_RESULT_UNKNOWN_SENDER, r == MP_OK ?
		    "SenderID is not the NetID of the network server authenticated" :
		    "unknown sender: a registered network server's bearer token or client"
		    " certificate is required");
		goto out;
	}
	if (r != MP_OK) {
		mp_warn("lorawan: authenticating a peer: %s", mp_strerror(r));
		refuse(req, h, type, LW_RESULT_OTHER, "the Join Server cannot answer now");
		goto out;
	}
	in = (lw_join_in){ &peer, &m, jr->mac11, jr->net_id, jr->dev_addr, jr->dl_settings,
		jr->rx_delay, jr->has_cflist, { 0 } };
	memcpy(in.cflist, jr->cflist, LW_CFLIST_LEN);
	if ((r = lw_join(w->db, w->keystore, &in, &out)) != MP_OK) {
		mp_warn("lorawan: %s of DevEUI %016llx: %s: %s", rejoin ? "rejoin" : "join",
		    (unsigned long long)m.dev_eui, mp_strerror(r), mp_db_errmsg(w->db));
		refuse(req, h, type, LW_RESULT_OTHER, "the Join Server cannot answer now");
		goto out;
	}
	ans = lw_bi_answer(h, type, out.result, out.result == LW_RESULT_SUCCESS ? "" :
	    out.why);
	if (ans != NULL && out.result == LW_RESULT_SUCCESS && add_session(ans, &out, &peer) != MP_OK) {
		json_decref(ans);
		ans = NULL;
	}
	send_answer(req, ans);
out:
	mp_wipe(&out, sizeof(out));
	lw_peer_clear(&peer);
}

/* An AppSKeyReq from an application server: the AppSKeyAns. */
static void
app_s_key_req(mp_http_req *req, mp_worker *w, const lw_bi_header *h,
    const lw_bi_app_s_key_req *ar)
{
	uint8_t key[LW_KEY_LEN];
	lw_result rc = LW_RESULT_OTHER;
	lw_peer peer;
	json_t *ans;
	char eui[17], *skid = NULL;
	int r;

	memset(&peer, 0, sizeof(peer));
	snprintf(eui, sizeof(eui), "%016llx", (unsigned long long)ar->dev_eui);
	r = authenticate(req, w, &peer);
	if (r == MP_ERR_UNAUTHENTICATED ||
	    (r == MP_OK && (peer.ns || strcmp(peer.as_id, ar->as_id) != 0))) {
		refuse(req, h, "AppSKeyAns", LW_RESULT_UNKNOWN_SENDER, r == MP_OK ?
		    "SenderID is not the AS-ID of the application server authenticated" :
		    "unknown sender: a registered application server's bearer token or client"
		    " certificate is required");
		goto out;
	}
	if (r == MP_OK)
		r = lw_session_app_s_key(w->db, w->keystore, &peer, ar->dev_eui, ar->session_key_id,
		    key, &rc);
	if (r != MP_OK) {
		mp_warn("lorawan: AppSKey of DevEUI %s: %s", eui, mp_strerror(r));
		refuse(req, h, "AppSKeyAns", LW_RESULT_OTHER, "the Join Server cannot answer now");
		goto out;
	}
	if (rc != LW_RESULT_SUCCESS) {
		refuse(req, h, "AppSKeyAns", rc, "no session of this DevEUI has this SessionKeyID");
		goto out;
	}
	ans = lw_bi_answer(h, "AppSKeyAns", rc, "");
	if (ans != NULL && (json_object_set_new(ans, "DevEUI", json_string(eui)) != 0 ||
	    lw_bi_key_envelope(ans, "AppSKey", key, peer.kek_label, peer.kek,
	    peer.kek_len) != MP_OK ||
	    mp_hex_encode(ar->session_key_id, LW_SESSION_KEY_ID_LEN, &skid) != MP_OK ||
	    json_object_set_new(ans, "SessionKeyID", json_string(skid)) != 0)) {
		json_decref(ans);
		ans = NULL;
	}
	send_answer(req, ans);
out:
	free(skid);
	mp_wipe(key, sizeof(key));
	lw_peer_clear(&peer);
}

/*
 * A HomeNSReq from a network server: the HomeNSAns naming the device's home
 * NetID, and in BI 1.1 its NSID (HNSID) when one is configured.
 */
static void
home_ns_req(mp_http_req *req, mp_worker *w, const lw_bi_header *h,
    const lw_bi_home_ns_req *hr)
{
	lw_result rc = LW_RESULT_OTHER;
	uint32_t net_id = 0;
	lw_peer peer;
	json_t *ans;
	char hex[7], ns_id[LW_NSID_MAX + 1] = "";
	int r;

	memset(&peer, 0, sizeof(peer));
	r = authenticate(req, w, &peer);
	if (r == MP_ERR_UNAUTHENTICATED || (r == MP_OK && (!peer.ns || peer.net_id != hr->net_id))) {
		refuse(req, h, "HomeNSAns", LW_RESULT_UNKNOWN_SENDER, r == MP_OK ?
		    "SenderID is not the NetID of the network server authenticated" :
		    "unknown sender: a registered network server's bearer token or client"
		    " certificate is required");
		goto out;
	}
	if (r == MP_OK)
		r = lw_session_home_net_id(w->db, &peer, hr->dev_eui, &net_id, ns_id, &rc);
	if (r != MP_OK) {
		mp_warn("lorawan: home network of DevEUI %016llx: %s",
		    (unsigned long long)hr->dev_eui, mp_strerror(r));
		refuse(req, h, "HomeNSAns", LW_RESULT_OTHER, "the Join Server cannot answer now");
		goto out;
	}
	if (rc != LW_RESULT_SUCCESS) {
		refuse(req, h, "HomeNSAns", rc, "no device with this DevEUI has a home network:"
		    " none is configured and it has not joined");
		goto out;
	}
	snprintf(hex, sizeof(hex), "%06x", (unsigned)net_id);
	ans = lw_bi_answer(h, "HomeNSAns", rc, "");
	if (ans != NULL && (json_object_set_new(ans, "HNetID", json_string(hex)) != 0 ||
	    (h->version == LW_BI_11 && ns_id[0] != '\0' &&
	    json_object_set_new(ans, "HNSID", json_string(ns_id)) != 0))) {
		json_decref(ans);
		ans = NULL;
	}
	send_answer(req, ans);
out:
	lw_peer_clear(&peer);
}

static void
lw_js_post(mp_http_req *req, void *arg)
{
	char type[sizeof(((lw_bi_header *)0)->message_type)];
	const uint8_t *body;
	const char *why = NULL;
	lw_bi_header h;
	lw_bi_req breq;
	size_t len = 0;
	int r;

	(void)arg;
	body = mp_http_req_body(req, &len);
	if ((r = lw_bi_decode(body, len, &h, &breq, &why)) != MP_OK) {
		answer_type(&h, type);
		refuse(req, &h, type, r == MP_ERR_UNSUPPORTED ? LW_RESULT_OTHER : LW_RESULT_MALFORMED,
		    why);
		return;
	}
	switch (breq.type) {
	case LW_BI_JOIN_REQ:
	case LW_BI_REJOIN_REQ:
		join_req(req, mp_http_req_worker(req), &h, &breq.join, breq.type == LW_BI_REJOIN_REQ);
		break;
	case LW_BI_APP_S_KEY_REQ:
		app_s_key_req(req, mp_http_req_worker(req), &h, &breq.app_s_key);
		break;
	case LW_BI_HOME_NS_REQ:
		home_ns_req(req, mp_http_req_worker(req), &h, &breq.home_ns);
		break;
	}
}
