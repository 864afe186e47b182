#include "responder.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "der.h"
#include "err.h"
#include "http_cache.h"
#include "log.h"
#include "monotime.h"
#include "num.h"
#include "request.h"
#include "responder_priv.h"
#include "response.h"
#include "worker.h"

/* A stored or cached response is not served when less than this is left before its nextUpdate. */
#define MARGIN_S 60
#define MARGIN_SQL "interval '60 seconds'"
/* An "unknown" answer for a serial we never issued is kept in memory at most this long. */
#define UNKNOWN_CACHE_S 60
#define UNKNOWN_VALIDITY_DEFAULT_S 3600
/* Room for a whole response on the hot path: a core with its signer certificate fits. */
#define SCRATCH_BYTES 16384

/*
 * Each worker thread assembles responses here, so serving from the cache
 * allocates nothing; mp_http_reply copies the bytes out before the next
 * request of the thread can run.
 */
static _Thread_local uint8_t scratch[SCRATCH_BYTES];

static const char *const hash_names[] = { "sha1", "sha256", "sha384", "sha512" };

/* RFC 5280 CRLReason names by value (7 is unused; 8 removeFromCRL never applies here). */
static const char *const reason_names[] = { "unspecified", "keyCompromise", "cACompromise",
	"affiliationChanged", "superseded", "cessationOfOperation", "certificateHold", NULL, NULL,
	"privilegeWithdrawn", "aACompromise" };

/*
 * A certificate's status and, when there is a usable one, its pre-signed
 * response for the CertID's hash algorithm: not within MARGIN_S of its
 * nextUpdate, and signed after the certificate's last status change (with a
 * second of slack, since thisUpdate has whole seconds). No row: a serial
 * this CA never issued.
 */
static const char status_sql[] =
    "SELECT floor(extract(epoch FROM c.revoked_at))::bigint, c.reason, r.core, r.signer_id,"
    " floor(extract(epoch FROM r.this_update))::bigint,"
    " floor(extract(epoch FROM r.next_update))::bigint"
    " FROM certificates c LEFT JOIN ocsp_responses r ON r.ca_id = c.ca_id"
    "  AND r.serial = c.serial AND r.hash = $3 AND r.next_update > now() + " MARGIN_SQL
    "  AND (c.status_changed_at IS NULL"
    "   OR c.status_changed_at < r.this_update + interval '1 second')"
    " WHERE c.ca_id = $1 AND c.serial = $2";

/* What the database says about one certificate. */
struct db_status {
	ocsp_cert_status status;
	int reason;
	int64_t revoked_at;
	uint8_t *core; /* the stored core, or NULL */
	size_t core_len;
	char signer_id[MP_UUID_STR_LEN + 1];
	int64_t this_update, next_update;
};

ocsp_ca_table *
responder_table(ocsp_responder *r)
{
	ocsp_ca_table *t;

	pthread_mutex_lock(&r->table_lock);
	t = ocsp_ca_table_ref(r->table);
	pthread_mutex_unlock(&r->table_lock);
	return t;
}

void
responder_table_set(ocsp_responder *r, ocsp_ca_table *t)
{
	ocsp_ca_table *old;

	pthread_mutex_lock(&r->table_lock);
	old = r->table;
	r->table = t;
	pthread_mutex_unlock(&r->table_lock);
	ocsp_ca_table_unref(old);
}

/* The metrics of each counter (families of mp_metrics_counter). */
static const struct {
	const char *name, *help, *label, *value;
} counter_defs[OC_N] = {
	[OC_GOOD] = { "midpki_ocsp_answers_total",
	    "OCSP answers: CertIDs by status, refusals by kind.", "status", "good" },
	[OC_REVOKED] = { "midpki_ocsp_answers_total", NULL, "status", "revoked" },
	[OC_UNKNOWN] = { "midpki_ocsp_answers_total", NULL, "status", "unknown" },
	[OC_MALFORMED] = { "midpki_ocsp_answers_total", NULL, "status", "malformedRequest" },
	[OC_UNAUTHORIZED] = { "midpki_ocsp_answers_total", NULL, "status", "unauthorized" },
	[OC_TRY_LATER] = { "midpki_ocsp_answers_total", NULL, "status", "tryLater" },
	[OC_INTERNAL_ERROR] = { "midpki_ocsp_answers_total", NULL, "status", "internalError" },
	[OC_CACHE_HIT] = { "midpki_ocsp_cache_total",
	    "One-certificate OCSP requests without a nonce by cache outcome.", "result", "hit" },
	[OC_CACHE_MISS] = { "midpki_ocsp_cache_total", NULL, "result", "miss" },
	[OC_SIGNED] = { "midpki_ocsp_signed_total", "OCSP responses signed on request.", NULL,
	    NULL },
	[OC_RELOADS] = { "midpki_ocsp_ca_reloads_total",
	    "Times the OCSP responder read its table of CAs.", NULL, NULL },
	[OC_NOTIFICATIONS] = { "midpki_ocsp_notifications_total",
	    "Notifications the OCSP responder applied to its cache.", NULL, NULL },
};

void
responder_count(ocsp_responder *r, enum ocsp_count c)
{
	atomic_fetch_add_explicit(r->n[c], 1, memory_order_relaxed);
}

static void
count_status(ocsp_responder *r, ocsp_cert_status s)
{
	responder_count(r, s == OCSP_GOOD ? OC_GOOD : s == OCSP_REVOKED ? OC_REVOKED : OC_UNKNOWN);
}

/* Points each counter at its metric, or at local storage when there is no registry or room. */
static void
counters_init(ocsp_responder *r, mp_metrics *m)
{
	for (int i = 0; i < OC_N; i++) {
		const char *help = counter_defs[i].help;

		/* a family's HELP is given with its first member */
		for (int j = i; help == NULL && j >= 0; j--)
			if (strcmp(counter_defs[j].name, counter_defs[i].name) == 0)
				help = counter_defs[j].help;
		atomic_init(&r->local[i], 0);
		r->n[i] = mp_metrics_counter(m, counter_defs[i].name, help, counter_defs[i].label,
		    counter_defs[i].value);
		if (r->n[i] == NULL)
			r->n[i] = &r->local[i];
	}
}

/* An unsigned OCSP refusal (HTTP 200, as RFC 6960 A.1 has every OCSP answer). */
static void
refuse(mp_http_req *req, ocsp_responder *r, int status)
{
	const uint8_t *body;
	size_t len = 0;

	responder_count(r, status == OCSP_STATUS_MALFORMED_REQUEST ? OC_MALFORMED :
	    status == OCSP_STATUS_UNAUTHORIZED                     ? OC_UNAUTHORIZED :
	    status == OCSP_STATUS_TRY_LATER                        ? OC_TRY_LATER :
	                                                             OC_INTERNAL_ERROR);
	body = ocsp_response_error(status, &len);
	mp_http_set_header(req, "Cache-Control", "no-store");
	mp_http_reply(req, 200, "application/ocsp-response", body, len);
}

/* tryLater while the database is away, internalError for anything else. */
static void
refuse_error(mp_http_req *req, ocsp_responder *r, int err)
{
	if (err == MP_ERR_DB_UNAVAILABLE) {
		refuse(req, r, OCSP_STATUS_TRY_LATER);
		return;
	}
	mp_warn("OCSP %s %s: %s", mp_http_req_method(req), mp_http_req_listener(req),
	    mp_strerror(err));
	refuse(req, r, OCSP_STATUS_INTERNAL_ERROR);
}

/*
 * Sends a signed response. A cacheable one (GET, no nonce) carries the RFC
 * 5019 section 6 headers and honours If-None-Match; any other gets no-store
 * (RFC 5019 5: POST responses are not cacheable; a nonce answer is unique).
 */
static void
send_signed(mp_http_req *req, ocsp_responder *r, const uint8_t *resp, size_t len,
    const ocsp_cache_val *val, bool cacheable)
{
	static const char hex[] = "0123456789abcdef";
	char own[128], lm[MP_HTTP_DATE_MAX], ex[MP_HTTP_DATE_MAX], etag[19];
	const char *cc = r->cache_control;
	int64_t age = val->next_update - (int64_t)time(NULL);

	if (!cacheable) {
		mp_http_set_header(req, "Cache-Control", "no-store");
		mp_http_reply(req, 200, "application/ocsp-response", resp, len);
		return;
	}
	if (age < r->max_age_s) {
		snprintf(own, sizeof(own), CACHE_CONTROL_FORMAT, (long long)(age < 0 ? 0 : age));
		cc = own;
	}
	mp_http_date(val->this_update, lm);
	mp_http_date(val->next_update, ex);
	etag[0] = etag[17] = '"';
	for (int i = 0; i < 16; i++)
		etag[1 + i] = hex[val->tag >> (60 - 4 * i) & 0xf];
	etag[18] = '\0';
	if (mp_http_set_header(req, "Cache-Control", cc) != MP_OK ||
	    mp_http_set_header(req, "Last-Modified", lm) != MP_OK ||
	    mp_http_set_header(req, "Expires", ex) != MP_OK ||
	    mp_http_set_header(req, "ETag", etag) != MP_OK) {
		refuse_error(req, r, MP_ERR_NOMEM);
		return;
	}
	if (ocsp_etag_matches(mp_http_req_header(req, "If-None-Match"), etag))
		mp_http_reply(req, 304, NULL, NULL, 0);
	else
		mp_http_reply(req, 200, "application/ocsp-response", resp, len);
}

/*
 * Assembles core and the signer certificate (into scratch, or a buffer of its
 * own when larger) and sends it.
 */
static void
send_core(mp_http_req *req, ocsp_responder *r, const uint8_t *core, size_t core_len,
    const uint8_t *signer, size_t signer_len, const ocsp_cache_val *val, bool cacheable)
{
	size_t need = ocsp_response_size(core_len, signer_len), len;
	uint8_t *buf = scratch, *big = NULL;

	if (need == 0) {
		refuse_error(req, r, MP_ERR_TOO_LARGE);
		return;
	}
	if (need > sizeof(scratch) && (buf = big = malloc(need)) == NULL) {
		refuse_error(req, r, MP_ERR_NOMEM);
		return;
	}
	len = ocsp_response_assemble(core, core_len, signer, signer_len, buf, need);
	if (len == 0)
		refuse_error(req, r, MP_ERR_INTERNAL);
	else
		send_signed(req, r, buf, len, val, cacheable);
	free(big);
}

/* The cache key of a CertID of ca: the serial without its sign octet. */
static void
key_make(const ocsp_ca *ca, const ocsp_certid *id, ocsp_cache_key *k)
{
	const uint8_t *s = id->serial;
	size_t n = id->serial_len;

	if (n > 1 && s[0] == 0) {
		s++;
		n--;
	}
	memset(k, 0, sizeof(*k));
	memcpy(k->ca, ca->uuid, sizeof(k->ca));
	memcpy(k->serial, s, n);
	k->serial_len = (uint8_t)n;
	k->hash = (uint8_t)id->hash;
}

static int
parse_time(const char *v, int64_t *out)
{
	uint64_t u = 0;
	int r;

	if (v == NULL || (r = mp_parse_u64(v, (uint64_t)INT64_MAX, &u)) != MP_OK)
		return MP_ERR_INTEGRITY;
	*out = (int64_t)u;
	return MP_OK;
}

static int
reason_value(const char *name)
{
	for (size_t i = 0; i < sizeof(reason_names) / sizeof(reason_names[0]); i++)
		if (reason_names[i] != NULL && strcmp(reason_names[i], name) == 0)
			return (int)i;
	return 0;
}

/*
 * Reads the status (and any usable stored response) of the certificate k
 * names into *out (whose core the caller frees).
 */
static int
db_lookup(mp_db *db, const ocsp_ca *ca, const ocsp_cache_key *k, struct db_status *out)
{
	const char *values[3] = { ca->id, (const char *)k->serial, hash_names[k->hash] };
	const int lengths[3] = { 0, k->serial_len, 0 }, formats[3] = { 0, 1, 0 };
	struct db_status st = { .status = OCSP_UNKNOWN, .reason = -1 };
	PGresult *res = NULL;
	const char *v;
	int r;

	if ((r = mp_db_query_ex(db, status_sql, 3, values, lengths, formats, &res)) != MP_OK)
		goto out;
	if (PQntuples(res) == 0)
		goto done;
	if ((v = mp_db_value(res, 0, 0)) == NULL) {
		st.status = OCSP_GOOD;
	} else {
		st.status = OCSP_REVOKED;
		if ((r = parse_time(v, &st.revoked_at)) != MP_OK)
			goto out;
		v = mp_db_value(res, 0, 1);
		st.reason = reason_value(v != NULL ? v : "");
	}
	if (mp_db_value(res, 0, 2) == NULL)
		goto done;
	if ((r = parse_time(mp_db_value(res, 0, 4), &st.this_update)) != MP_OK ||
	    (r = parse_time(mp_db_value(res, 0, 5), &st.next_update)) != MP_OK ||
	    (r = mp_db_bytea_value(res, 0, 2, SCRATCH_BYTES, &st.core, &st.core_len)) != MP_OK)
		goto out;
	snprintf(st.signer_id, sizeof(st.signer_id), "%s", mp_db_value(res, 0, 3));
done:
	*out = st;
	st.core = NULL;
	r = MP_OK;
out:
	PQclear(res);
	free(st.core);
	return r;
}

/* Signs one response now with ca's current signer: every single's times are set here. */
static int
sign_now(ocsp_responder *r, const ocsp_ca *ca, ocsp_single *singles, size_t n,
    const ocsp_request *q, int64_t now, uint8_t **core, size_t *core_len)
{
	const ocsp_signer *s = ca->signers[0];

	for (size_t i = 0; i < n; i++) {
		singles[i].this_update = now;
		singles[i].next_update = now + (singles[i].status == OCSP_UNKNOWN ?
		    r->unknown_validity_s : r->validity_s);
	}
	responder_count(r, OC_SIGNED);
	return ocsp_core_sign(s->key, s->key_hash, now, singles, n,
	    q != NULL && q->has_nonce ? q->nonce : NULL, q != NULL ? q->nonce_len : 0, core,
	    core_len);
}

/*
 * The whole response to one CertID without a nonce, assembled into buf (cap
 * bytes): from the cache, else the stored response, else one signed now;
 * either of the last two is cached. *val describes it.
 */
static int
lookup_one(ocsp_responder *r, mp_db *db, const ocsp_ca *ca, const ocsp_certid *id,
    int64_t now, uint8_t *buf, size_t cap, size_t *len, ocsp_cache_val *val)
{
	struct db_status st = { 0 };
	ocsp_single single;
	ocsp_cache_key k;
	ocsp_cache_val v;
	ocsp_signer *signer;
	uint8_t *core = NULL;
	size_t core_len = 0, n;
	uint64_t epoch;
	int rc;

	key_make(ca, id, &k);
	if (ocsp_cache_get(r->cache, &k, now, buf, cap, len, val) == MP_OK) {
		responder_count(r, OC_CACHE_HIT);
		return MP_OK;
	}
	responder_count(r, OC_CACHE_MISS);
	epoch = ocsp_cache_epoch(r->cache);
	if ((rc = db_lookup(db, ca, &k, &st)) != MP_OK)
		return rc;
	v = (ocsp_cache_val){ st.status, st.reason, st.revoked_at, 0, 0, 0, 0, false };
	if (st.core != NULL && (signer = ocsp_ca_signer(ca, st.signer_id)) != NULL) {
		core = st.core;
		core_len = st.core_len;
		st.core = NULL;
		v.this_update = st.this_update;
		v.next_update = st.next_update;
		v.until = st.next_update - MARGIN_S;
	} else {
		single = (ocsp_single){ id, st.status, st.revoked_at, st.reason, 0, 0 };
		if ((rc = sign_now(r, ca, &single, 1, NULL, now, &core, &core_len)) != MP_OK)
			goto out;
		signer = ca->signers[0];
		v.this_update = single.this_update;
		v.next_update = single.next_update;
		v.until = single.next_update - MARGIN_S;
		if (st.status == OCSP_UNKNOWN && v.until > now + UNKNOWN_CACHE_S)
			v.until = now + UNKNOWN_CACHE_S;
		v.fresh = true;
	}
	if ((rc = ocsp_core_tag(core, core_len, &v.tag)) != MP_OK ||
	    (rc = ocsp_cache_put(r->cache, &k, core, core_len, signer, &v, epoch)) != MP_OK)
		goto out;
	if ((n = ocsp_response_assemble(core, core_len, signer->der, signer->der_len, buf,
	    cap)) == 0) {
		rc = MP_ERR_TOO_LARGE;
		goto out;
	}
	*len = n;
	*val = v;
	rc = MP_OK;
out:
	free(st.core);
	free(core);
	return rc;
}

/* One CertID without a nonce (lookup_one), sent. */
static void
answer_one(mp_http_req *req, ocsp_responder *r, const ocsp_ca *ca, const ocsp_certid *id,
    bool get)
{
	mp_worker *w = mp_http_req_worker(req);
	ocsp_cache_val val;
	size_t len = 0;
	int rc;

	if ((rc = lookup_one(r, w->db, ca, id, (int64_t)time(NULL), scratch, sizeof(scratch), &len,
	    &val)) != MP_OK) {
		refuse_error(req, r, rc);
		return;
	}
	count_status(r, val.status);
	send_signed(req, r, scratch, len, &val, get);
}

int
ocsp_responder_answer_cert(ocsp_responder *r, mp_db *db, X509 *cert, X509 *issuer,
    uint8_t **der, size_t *len, int64_t *next_update)
{
	uint8_t name_hash[OCSP_HASH_MAX], key_hash[OCSP_HASH_MAX], idbuf[OCSP_CERTID_MAX];
	uint8_t *serial = NULL, *out = NULL;
	const unsigned char *p;
	ocsp_ca_table *t = NULL;
	const ocsp_ca *ca;
	ocsp_cache_val val;
	ocsp_certid id;
	mp_der_tlv tlv;
	mp_der d;
	size_t hlen = 0, n = 0;
	int slen, rc;

	if ((slen = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &serial)) <= 0)
		return MP_ERR_CRYPTO;
	p = serial;
	mp_der_init(&d, p, (size_t)slen);
	if ((rc = mp_der_expect(&d, MP_DER_INTEGER, &tlv)) != MP_OK ||
	    (rc = ocsp_issuer_hashes(issuer, OCSP_HASH_SHA1, name_hash, key_hash, &hlen)) != MP_OK ||
	    (rc = ocsp_certid_make(OCSP_HASH_SHA1, name_hash, key_hash, tlv.value, tlv.len, idbuf,
	    &id)) != MP_OK)
		goto out;
	t = responder_table(r);
	if ((ca = ocsp_ca_table_find(t, &id)) == NULL) {
		rc = MP_ERR_NOT_FOUND;
		goto out;
	}
	if ((out = OPENSSL_malloc(SCRATCH_BYTES)) == NULL) {
		rc = MP_ERR_NOMEM;
		goto out;
	}
	if ((rc = lookup_one(r, db, ca, &id, (int64_t)time(NULL), out, SCRATCH_BYTES, &n,
	    &val)) != MP_OK)
		goto out;
	*der = out;
	*len = n;
	*next_update = val.next_update;
	out = NULL;
out:
	ocsp_ca_table_unref(t);
	OPENSSL_free(serial);
	OPENSSL_free(out);
	return rc;
}

/*
 * Several CertIDs or a nonce: one response signed now by the signer of the
 * first CertID's CA that we serve. CertIDs of any other CA are answered
 * unknown (a response has one signer, and a delegated signer speaks for its
 * own CA only); none served at all is unauthorized.
 */
static void
answer_many(mp_http_req *req, ocsp_responder *r, const ocsp_ca_table *t, const ocsp_request *q,
    bool get)
{
	mp_worker *w = mp_http_req_worker(req);
	int64_t now = (int64_t)time(NULL);
	ocsp_single singles[OCSP_MAX_CERTS];
	const ocsp_ca *signing = NULL;
	ocsp_cache_val val;
	uint8_t *core = NULL;
	size_t core_len = 0;
	int rc;

	for (size_t i = 0; i < q->n && signing == NULL; i++)
		signing = ocsp_ca_table_find(t, &q->ids[i]);
	if (signing == NULL) {
		refuse(req, r, OCSP_STATUS_UNAUTHORIZED);
		return;
	}
	for (size_t i = 0; i < q->n; i++) {
		struct db_status st;
		ocsp_cache_key k;

		singles[i] = (ocsp_single){ &q->ids[i], OCSP_UNKNOWN, 0, -1, 0, 0 };
		if (ocsp_ca_table_find(t, &q->ids[i]) != signing)
			continue;
		key_make(signing, &q->ids[i], &k);
		if (ocsp_cache_get(r->cache, &k, now, NULL, 0, NULL, &val) == MP_OK) {
			singles[i].status = val.status;
			singles[i].revoked_at = val.revoked_at;
			singles[i].reason = val.reason;
			continue;
		}
		if ((rc = db_lookup(w->db, signing, &k, &st)) != MP_OK) {
			refuse_error(req, r, rc);
			return;
		}
		free(st.core);
		singles[i].status = st.status;
		singles[i].revoked_at = st.revoked_at;
		singles[i].reason = st.reason;
	}
	if ((rc = sign_now(r, signing, singles, q->n, q, now, &core, &core_len)) != MP_OK) {
		refuse_error(req, r, rc);
		return;
	}
	for (size_t i = 0; i < q->n; i++)
		count_status(r, singles[i].status);
	val = (ocsp_cache_val){ OCSP_GOOD, -1, 0, now, singles[0].next_update, 0, 0, true };
	if ((rc = ocsp_core_tag(core, core_len, &val.tag)) != MP_OK)
		refuse_error(req, r, rc);
	else
		send_core(req, r, core, core_len, signing->signers[0]->der, signing->signers[0]->der_len,
		    &val, get && !q->has_nonce);
	free(core);
}

/*
 * Bundle mode: the pre-signed response for the one CertID of q from t's
 * bundle, as it was signed (a nonce is not echoed); unauthorized when the
 * bundle has none for it, tryLater once its nextUpdate has passed.
 */
static void
answer_bundle(mp_http_req *req, ocsp_responder *r, const ocsp_ca_table *t,
    const ocsp_request *q, bool get)
{
	const ocsp_ca *ca;
	ocsp_bundle_resp br;
	ocsp_cache_val val;
	int rc;

	if (q->n != 1) {
		refuse(req, r, OCSP_STATUS_MALFORMED_REQUEST);
		return;
	}
	if ((ca = ocsp_ca_table_find(t, &q->ids[0])) == NULL ||
	    ocsp_bundle_find(t->bundle, (size_t)(ca - t->cas), q->ids[0].hash, q->ids[0].serial,
		q->ids[0].serial_len, &br) != MP_OK) {
		refuse(req, r, OCSP_STATUS_UNAUTHORIZED);
		return;
	}
	if (br.next_update <= (int64_t)time(NULL)) {
		refuse(req, r, OCSP_STATUS_TRY_LATER);
		return;
	}
	val = (ocsp_cache_val){ br.status, -1, 0, br.this_update, br.next_update, 0, 0, false };
	if ((rc = ocsp_core_tag(br.core, br.core_len, &val.tag)) != MP_OK) {
		refuse_error(req, r, rc);
		return;
	}
	count_status(r, br.status);
	send_core(req, r, br.core, br.core_len, br.signer, br.signer_len, &val, get);
}

/* Parses der and answers it. */
static void
answer(mp_http_req *req, ocsp_responder *r, const uint8_t *der, size_t len, bool get)
{
	ocsp_ca_table *t;
	ocsp_request q;
	int rc;

	if ((rc = ocsp_request_parse(der, len, &q)) != MP_OK) {
		/* a hash algorithm we do not know names no issuer we could serve */
		refuse(req, r, rc == MP_ERR_UNSUPPORTED ? OCSP_STATUS_UNAUTHORIZED :
		    OCSP_STATUS_MALFORMED_REQUEST);
		return;
	}
	t = responder_table(r);
	if (t->bundle != NULL) {
		answer_bundle(req, r, t, &q, get);
	} else if (q.n == 1 && !q.has_nonce) {
		const ocsp_ca *ca = ocsp_ca_table_find(t, &q.ids[0]);

		if (ca == NULL)
			refuse(req, r, OCSP_STATUS_UNAUTHORIZED);
		else
			answer_one(req, r, ca, &q.ids[0], get);
	} else {
		answer_many(req, r, t, &q, get);
	}
	ocsp_ca_table_unref(t);
}

void
ocsp_responder_post(mp_http_req *req, void *arg)
{
	ocsp_responder *r = arg;
	const uint8_t *body;
	size_t len = 0;

	if (!mp_http_media_type_is(mp_http_req_header(req, "Content-Type"),
	    "application/ocsp-request")) {
		mp_http_reply_error(req, 415, "unsupported_media_type",
		    "an OCSP request is sent as application/ocsp-request", NULL);
		return;
	}
	body = mp_http_req_body(req, &len);
	if (len > OCSP_REQUEST_MAX_BYTES) {
		mp_http_reply_error(req, 413, "body_too_large",
		    "an OCSP request is at most 4096 bytes", NULL);
		return;
	}
	answer(req, r, body, len, false);
}

void
ocsp_responder_get(mp_http_req *req, void *arg)
{
	ocsp_responder *r = arg;
	const char *path = mp_http_req_path(req);
	uint8_t *der = NULL;
	size_t len = 0;
	int rc;

	if (strncmp(path, "/ocsp/", 6) == 0)
		path += 5;
	rc = ocsp_request_from_path(path, &der, &len);
	if (rc == MP_ERR_TOO_LARGE)
		mp_http_reply_error(req, 413, "request_too_large",
		    "an OCSP request is at most 4096 bytes", NULL);
	else if (rc == MP_ERR_INVALID)
		refuse(req, r, OCSP_STATUS_MALFORMED_REQUEST);
	else if (rc != MP_OK)
		refuse_error(req, r, rc);
	else
		answer(req, r, der, len, true);
	free(der);
}

static void
responder_free(ocsp_responder *r)
{
	if (r == NULL)
		return;
	if (r->wake[0] >= 0)
		close(r->wake[0]);
	if (r->wake[1] >= 0)
		close(r->wake[1]);
	ocsp_ca_table_unref(r->table);
	ocsp_cache_free(r->cache);
	pthread_mutex_destroy(&r->table_lock);
	X509_STORE_free(r->bundle_trust);
	free(r->bundle_path);
	free(r->conninfo);
	free(r);
}

int
ocsp_responder_start(const ocsp_responder_config *cfg, ocsp_responder **out)
{
	ocsp_responder *r = NULL;
	ocsp_ca_table *t = NULL;
	char err[512];
	int rc = MP_ERR_NOMEM;

	if (cfg->validity_s == 0 || cfg->validity_s > INT32_MAX || cfg->max_age_s > INT32_MAX ||
	    cfg->unknown_validity_s > INT32_MAX ||
	    (cfg->bundle_path == NULL ? cfg->ks == NULL : cfg->bundle_trust == NULL)) {
		X509_STORE_free(cfg->bundle_trust);
		return MP_ERR_INVALID;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		X509_STORE_free(cfg->bundle_trust);
		return MP_ERR_NOMEM;
	}
	r->bundle_trust = cfg->bundle_trust;
	r->wake[0] = r->wake[1] = -1;
	if (pthread_mutex_init(&r->table_lock, NULL) != 0) {
		X509_STORE_free(r->bundle_trust);
		free(r);
		return MP_ERR_NOMEM;
	}
	r->connect_timeout_ms = cfg->connect_timeout_ms;
	r->reload_ms = cfg->reload_ms != 0 ? cfg->reload_ms : 60000;
	r->ks = cfg->ks;
	r->max_age_s = (int64_t)cfg->max_age_s;
	snprintf(r->cache_control, sizeof(r->cache_control), CACHE_CONTROL_FORMAT,
	    (long long)r->max_age_s);
	r->validity_s = (int64_t)cfg->validity_s;
	r->unknown_validity_s = cfg->unknown_validity_s != 0 ? (int64_t)cfg->unknown_validity_s :
	    UNKNOWN_VALIDITY_DEFAULT_S;
	atomic_init(&r->stopping, false);
	counters_init(r, cfg->metrics);
	if ((r->conninfo = strdup(cfg->conninfo != NULL ? cfg->conninfo : "")) == NULL ||
	    (r->cache = ocsp_cache_new(cfg->cache_bytes)) == NULL)
		goto out;
	if (cfg->bundle_path != NULL) {
		if ((r->bundle_path = strdup(cfg->bundle_path)) == NULL)
			goto out;
		if ((rc = responder_bundle_reload(r)) != MP_OK)
			goto out;
	} else if (mp_db_connect(r->conninfo, r->connect_timeout_ms, &r->db, err, sizeof(err)) == MP_OK &&
	    ocsp_ca_table_load(r->db, r->ks, &t) == MP_OK) {
		r->table = t;
		responder_count(r, OC_RELOADS);
		r->next_reload_ms = mp_monotonic_ms() + r->reload_ms;
	} else if ((r->table = ocsp_ca_table_empty()) == NULL) {
		goto out;
	}
	if (pipe2(r->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		rc = MP_ERR_IO;
		goto out;
	}
	if ((rc = responder_watch_start(r)) != MP_OK)
		goto out;
	*out = r;
	r = NULL;
	rc = MP_OK;
out:
	if (r != NULL) {
		mp_db_close(r->db);
		responder_free(r);
	}
	return rc;
}

void
ocsp_responder_stop(ocsp_responder *r)
{
	if (r == NULL)
		return;
	responder_watch_stop(r);
	responder_free(r);
}

ocsp_bundle *
ocsp_responder_bundle(ocsp_responder *r)
{
	ocsp_ca_table *t;
	ocsp_bundle *b;

	if (r == NULL || r->bundle_path == NULL)
		return NULL;
	t = responder_table(r);
	b = ocsp_bundle_ref(t->bundle);
	ocsp_ca_table_unref(t);
	return b;
}

void
ocsp_responder_stats_get(ocsp_responder *r, ocsp_responder_stats *out)
{
	ocsp_ca_table *t = responder_table(r);

	memset(out, 0, sizeof(*out));
	out->good = atomic_load(r->n[OC_GOOD]);
	out->revoked = atomic_load(r->n[OC_REVOKED]);
	out->unknown = atomic_load(r->n[OC_UNKNOWN]);
	out->malformed = atomic_load(r->n[OC_MALFORMED]);
	out->unauthorized = atomic_load(r->n[OC_UNAUTHORIZED]);
	out->try_later = atomic_load(r->n[OC_TRY_LATER]);
	out->internal_error = atomic_load(r->n[OC_INTERNAL_ERROR]);
	out->cache_hits = atomic_load(r->n[OC_CACHE_HIT]);
	out->cache_misses = atomic_load(r->n[OC_CACHE_MISS]);
	out->signed_fresh = atomic_load(r->n[OC_SIGNED]);
	out->reloads = atomic_load(r->n[OC_RELOADS]);
	out->notifications = atomic_load(r->n[OC_NOTIFICATIONS]);
	ocsp_cache_usage(r->cache, &out->cache_bytes, &out->cache_entries);
	out->cas = t->n;
	ocsp_ca_table_unref(t);
}
