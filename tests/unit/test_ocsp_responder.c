/*
 * The OCSP responder (ocsp/responder*.c) on a real listener with the
 * workers' database connections, against a throwaway PostgreSQL
 * (with-pg.sh). A CA and its delegated signer are made the test way (key
 * store keys, certificates built here, rows inserted as the issuer makes
 * them); requests are built with OpenSSL's API, sent with curl by POST and
 * GET, and the answers decoded and verified with OpenSSL's API (signature,
 * signer chain and id-kp-OCSPSigning, status, reason, times, nonce), with
 * the HTTP status and caching headers checked exactly.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "bundle.h"
#include "bundle_export.h"
#include "check_main.h"
#include "codec.h"
#include "err.h"
#include "http_harness.h"
#include "keystore.h"
#include "listener.h"
#include "num.h"
#include "pg_harness.h"
#include "request.h"
#include "responder.h"
#include "response.h"
#include "worker.h"

#define N_LEAVES 4
#define VALIDITY_S 86400
#define MAX_AGE_S 3600

static const mp_actor actor = { "user", "ocsp-responder-test", NULL };

struct fx {
	char dir[64];
	char conninfo[600];
	mp_keystore *ks;
	mp_db *db;
	mp_key *ca_key, *signer_key;
	X509 *ca, *signer, *leaves[N_LEAVES];
	char ca_id[MP_UUID_STR_LEN + 1];
	char signer_id[MP_UUID_STR_LEN + 1];
	char leaf_ids[N_LEAVES][MP_UUID_STR_LEN + 1];
	char tenant[MP_UUID_STR_LEN + 1];
	char device[MP_UUID_STR_LEN + 1];
	char profile[MP_UUID_STR_LEN + 1];
	X509_STORE *store;
	ocsp_responder *resp;
	struct http_harness h;
	mp_worker_setup setup_w;
	uint64_t cache_bytes;
};

static struct fx f;

static void
row_value(const char *sql, int n, const char *const *params, char *out, size_t outsz)
{
	PGresult *res = NULL;

	ck_assert_msg(mp_db_query_row(f.db, sql, n, params, &res) == MP_OK, "%s: %s", sql,
	    mp_db_errmsg(f.db));
	ck_assert_uint_lt(strlen(PQgetvalue(res, 0, 0)), outsz);
	memcpy(out, PQgetvalue(res, 0, 0), strlen(PQgetvalue(res, 0, 0)) + 1);
	PQclear(res);
}

static void
exec_sql(const char *sql, int n, const char *const *params)
{
	ck_assert_msg(mp_db_query(f.db, sql, n, params, NULL) == MP_OK, "%s: %s", sql,
	    mp_db_errmsg(f.db));
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ck_assert_ptr_nonnull(ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value));
	ck_assert_int_eq(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A certificate for pub signed by key (self-signed CA when issuer is NULL). */
static X509 *
make_cert(const char *cn, EVP_PKEY *pub, X509 *issuer, mp_key *key, const uint8_t *serial,
    size_t serial_len, bool ocsp_signer)
{
	X509 *x = X509_new();
	BIGNUM *bn = BN_bin2bn(serial, (int)serial_len, NULL);

	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(bn);
	ck_assert_int_eq(X509_set_version(x, X509_VERSION_3), 1);
	ck_assert_ptr_nonnull(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)));
	BN_free(bn);
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x)), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400);
	ck_assert_int_eq(X509_set_pubkey(x, pub), 1);
	add_ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash");
	if (issuer == NULL) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
		add_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
		if (ocsp_signer) {
			add_ext(x, issuer, NID_ext_key_usage, "OCSPSigning");
			add_ext(x, issuer, NID_id_pkix_OCSP_noCheck, "ignored");
		}
	}
	ck_assert_int_eq(mp_key_sign_x509(key, x), MP_OK);
	return x;
}

static void
bytea_of_cert(X509 *x, char **hex)
{
	unsigned char *der = NULL;
	int len = i2d_X509(x, &der);

	ck_assert_int_gt(len, 0);
	ck_assert_int_eq(mp_db_bytea_param(der, (size_t)len, hex), MP_OK);
	OPENSSL_free(der);
}

/* The identities and certificates rows of a certificate x of the CA; service NULL for a device's. */
static void
insert_cert(X509 *x, const char *service, const char *key_id, char id[MP_UUID_STR_LEN + 1])
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	BIGNUM *bn = ASN1_INTEGER_to_BN(sn, NULL);
	uint8_t serial[20];
	int n = BN_bn2bin(bn, serial);
	char *der_hex = NULL, *serial_hex = NULL;

	BN_free(bn);
	ck_assert_int_gt(n, 0);
	bytea_of_cert(x, &der_hex);
	ck_assert_int_eq(mp_db_bytea_param(serial, (size_t)n, &serial_hex), MP_OK);
	if (service == NULL)
		row_value("INSERT INTO identities (tenant_id, kind, device_id, profile_id, status,"
		    " not_before, not_after) VALUES ($1, 'x509', $2, $3, 'active',"
		    " now() - interval '1 hour', now() + interval '365 days') RETURNING id", 3,
		    (const char *[]){ f.tenant, f.device, f.profile }, id, MP_UUID_STR_LEN + 1);
	else
		row_value("INSERT INTO identities (tenant_id, kind, service, profile_id, status,"
		    " not_before, not_after) VALUES ($1, 'x509', $2, $3, 'active',"
		    " now() - interval '1 hour', now() + interval '365 days') RETURNING id", 3,
		    (const char *[]){ f.tenant, service, f.profile }, id, MP_UUID_STR_LEN + 1);
	exec_sql("INSERT INTO certificates (id, tenant_id, ca_id, serial, der, subject, not_before,"
	    " not_after, key_id) VALUES ($1, $2, $3, $4, $5, 'CN=x', now() - interval '1 hour',"
	    " now() + interval '365 days', $6)", 6,
	    (const char *[]){ id, f.tenant, f.ca_id, serial_hex, der_hex, key_id });
	free(der_hex);
	free(serial_hex);
}

static void
new_key(const char *label, char id[MP_UUID_STR_LEN + 1], mp_key **out)
{
	mp_key_spec spec;

	ck_assert_int_eq(mp_key_spec_parse("ec-p256", &spec), MP_OK);
	ck_assert_int_eq(mp_key_generate(f.ks, f.db, &actor, "software", &spec, label, id), MP_OK);
	ck_assert_int_eq(mp_key_load(f.ks, f.db, id, out), MP_OK);
}

/* A leaf of the CA with serial 0x5a.. (first octet first), its rows; returns it. */
static X509 *
issue_leaf(const char *name, uint8_t first, char id[MP_UUID_STR_LEN + 1])
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	uint8_t serial[16];
	X509 *x;

	ck_assert_ptr_nonnull(k);
	memset(serial, 0x5a, sizeof(serial));
	serial[0] = first;
	x = make_cert(name, k, f.ca, f.ca_key, serial, sizeof(serial), false);
	insert_cert(x, NULL, NULL, id);
	EVP_PKEY_free(k);
	return x;
}

static void
start_server(void)
{
	ocsp_responder_config oc = { f.conninfo, 5000, f.ks, NULL, f.cache_bytes, MAX_AGE_S,
		VALIDITY_S, 0, 0, NULL, NULL };
	char addr[64], err[256];

	ck_assert_int_eq(ocsp_responder_start(&oc, &f.resp), MP_OK);
	hh_init(&f.h, addr, sizeof(addr));
	ck_assert_ptr_nonnull(f.h.metrics = mp_metrics_new());
	hh_new_server(&f.h);
	f.setup_w = (mp_worker_setup){ f.conninfo, 5000, f.h.metrics, f.ks, f.h.cfg, NULL,
	    NULL };
	ck_assert_int_eq(mp_http_server_set_worker_hooks(f.h.srv, mp_worker_init, mp_worker_fini,
	    &f.setup_w), MP_OK);
	ck_assert_msg(mp_http_listen(f.h.srv, "ocsp", addr, NULL, ocsp_routes, ocsp_routes_count,
	    f.resp, err, sizeof(err)) == MP_OK, "%s", err);
	hh_run(&f.h);
}

static void
setup_with(uint64_t cache_bytes)
{
	mp_keystore_config kc = { NULL, NULL, 0, NULL };
	char master[128], err[256], key_id[MP_UUID_STR_LEN + 1], signer_key_id[MP_UUID_STR_LEN + 1];
	char *ca_hex = NULL, service[64], name[32];
	EVP_PKEY *pub;

	memset(&f, 0, sizeof(f));
	f.cache_bytes = cache_bytes;
	snprintf(f.dir, sizeof(f.dir), "/tmp/mp-ocspresp-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f.dir));
	snprintf(master, sizeof(master), "%s/master.key", f.dir);
	kc.master_key_file = master;
	ck_assert_msg(mp_keystore_open(&kc, &f.ks, err, sizeof(err)) == MP_OK, "%s", err);
	snprintf(f.conninfo, sizeof(f.conninfo), "%s", pg_fresh_database("ocsp_responder"));
	f.db = pg_connect_migrated(f.conninfo);
	row_value("INSERT INTO tenants (name) VALUES ('acme') RETURNING id", 0, NULL, f.tenant,
	    sizeof(f.tenant));
	row_value("INSERT INTO devices (tenant_id, serial) VALUES ($1, 'WB-1') RETURNING id", 1,
	    (const char *[]){ f.tenant }, f.device, sizeof(f.device));
	row_value("INSERT INTO profiles (tenant_id, name, kind) VALUES ($1, 'dev', 'x509')"
	    " RETURNING id", 1, (const char *[]){ f.tenant }, f.profile, sizeof(f.profile));

	new_key("ocsp test CA", key_id, &f.ca_key);
	pub = mp_key_public(f.ca_key);
	f.ca = make_cert("OCSP Test CA", pub, NULL, f.ca_key, (const uint8_t *)"\x01", 1, false);
	EVP_PKEY_free(pub);
	bytea_of_cert(f.ca, &ca_hex);
	row_value("INSERT INTO cas (tenant_id, name, key_id, certificate, subject, not_before,"
	    " not_after, role, self_signed) VALUES ($1, 'ocsp-ca', $2, $3, 'CN=OCSP Test CA',"
	    " now() - interval '1 hour', now() + interval '10 years', 'ca', true) RETURNING id", 3,
	    (const char *[]){ f.tenant, key_id, ca_hex }, f.ca_id, sizeof(f.ca_id));
	free(ca_hex);

	new_key("ocsp test signer", signer_key_id, &f.signer_key);
	pub = mp_key_public(f.signer_key);
	f.signer = make_cert("OCSP Test Signer", pub, f.ca, f.ca_key, (const uint8_t *)"\x02\x02",
	    2, true);
	EVP_PKEY_free(pub);
	snprintf(service, sizeof(service), "ocsp:%s", f.ca_id);
	insert_cert(f.signer, service, signer_key_id, f.signer_id);

	for (int i = 0; i < N_LEAVES; i++) {
		snprintf(name, sizeof(name), "leaf %d", i);
		/* leaf 3 has the top bit set: its INTEGER carries a sign octet */
		f.leaves[i] = issue_leaf(name, i == 3 ? 0xf1 : (uint8_t)(0x11 + i), f.leaf_ids[i]);
	}
	ck_assert_ptr_nonnull(f.store = X509_STORE_new());
	ck_assert_int_eq(X509_STORE_add_cert(f.store, f.ca), 1);
	start_server();
}

static void
setup(void)
{
	setup_with(1 << 20);
}

/* A cache of 64 KiB: about two responses per shard. */
static void
setup_small(void)
{
	setup_with(64 * 1024);
}

static void
teardown(void)
{
	char cmd[128];

	hh_stop(&f.h);
	ocsp_responder_stop(f.resp);
	X509_STORE_free(f.store);
	for (int i = 0; i < N_LEAVES; i++)
		X509_free(f.leaves[i]);
	X509_free(f.signer);
	X509_free(f.ca);
	mp_key_release(f.signer_key);
	mp_key_release(f.ca_key);
	mp_db_close(f.db);
	mp_keystore_free(f.ks);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f.dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Writes len bytes to <dir>/name. */
static void
write_file(const char *name, const void *p, size_t len)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f.dir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(p, 1, len, fp), len);
	fclose(fp);
}

/*
 * Runs curl with args (printf format) and returns the response headers; the
 * body is in <dir>/resp and, when body is not NULL, in *body (free it).
 */
__attribute__((format(printf, 3, 4))) static char *
curl(uint8_t **body, size_t *body_len, const char *fmt, ...)
{
	char cmd[16384], args[12288], path[128], *out = calloc(1, 16384);
	size_t n = 0, got;
	va_list ap;
	FILE *p;

	ck_assert_ptr_nonnull(out);
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/resp", f.dir);
	unlink(path);
	snprintf(cmd, sizeof(cmd), "curl -sS -D - -o %s %s", path, args);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	while ((got = fread(out + n, 1, 16383 - n, p)) > 0)
		n += got;
	ck_assert_int_eq(pclose(p), 0);
	if (body != NULL) {
		FILE *fp = fopen(path, "rb");

		ck_assert_ptr_nonnull(*body = malloc(65536));
		*body_len = fp != NULL ? fread(*body, 1, 65536, fp) : 0;
		if (fp != NULL)
			fclose(fp);
	}
	return out;
}

static void
expect(const char *headers, const char *line)
{
	ck_assert_msg(strstr(headers, line) != NULL, "'%s' not in:\n%s", line, headers);
}

static void
header(const char *headers, const char *name, char *out, size_t outsz)
{
	const char *p = strstr(headers, name), *e;

	ck_assert_msg(p != NULL, "%s not in %s", name, headers);
	p += strlen(name);
	ck_assert_ptr_nonnull(e = strchr(p, '\r'));
	ck_assert_uint_lt((size_t)(e - p), outsz);
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
}

/* A request for the given CertIDs (ownership taken), with a random nonce when asked. */
static OCSP_REQUEST *
make_request(OCSP_CERTID **ids, size_t n, bool nonce)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();

	ck_assert_ptr_nonnull(req);
	for (size_t i = 0; i < n; i++)
		ck_assert_ptr_nonnull(OCSP_request_add0_id(req, ids[i]));
	if (nonce)
		ck_assert_int_eq(OCSP_request_add1_nonce(req, NULL, 16), 1);
	return req;
}

static OCSP_CERTID *
id_of(int leaf, const EVP_MD *md)
{
	OCSP_CERTID *id = OCSP_cert_to_id(md, f.leaves[leaf], f.ca);

	ck_assert_ptr_nonnull(id);
	return id;
}

static size_t
req_der(OCSP_REQUEST *req, uint8_t **der)
{
	int n;

	*der = NULL;
	n = i2d_OCSP_REQUEST(req, der);
	ck_assert_int_gt(n, 0);
	return (size_t)n;
}

/* POSTs der as application/ocsp-request to path; headers returned, body in *body. */
static char *
post_der(const char *path, const uint8_t *der, size_t len, uint8_t **body, size_t *body_len)
{
	write_file("req", der, len);
	return curl(body, body_len, "-H 'Content-Type: application/ocsp-request' --data-binary"
	    " @%s/req http://127.0.0.1:%u%s", f.dir, f.h.port, path);
}

static char *
post(OCSP_REQUEST *req, uint8_t **body, size_t *body_len)
{
	uint8_t *der;
	size_t len = req_der(req, &der);
	char *hd = post_der("/", der, len, body, body_len);

	OPENSSL_free(der);
	return hd;
}

/* GET prefix + base64 of the request, with '/', '+' and '=' percent-encoded when asked. */
static char *
get(OCSP_REQUEST *req, const char *prefix, bool encode, const char *extra, uint8_t **body,
    size_t *body_len)
{
	uint8_t *der;
	size_t len = req_der(req, &der), j = 0;
	char *b64 = NULL, path[8192];
	char *hd;

	ck_assert_int_eq(mp_b64_encode(der, len, false, &b64), MP_OK);
	OPENSSL_free(der);
	for (const char *p = b64; *p != '\0' && j + 4 < sizeof(path); p++) {
		if (encode && (*p == '/' || *p == '+' || *p == '=')) {
			j += (size_t)snprintf(path + j, sizeof(path) - j, "%%%02X", (unsigned)*p);
		} else {
			path[j++] = *p;
		}
	}
	path[j] = '\0';
	free(b64);
	hd = curl(body, body_len, "%s 'http://127.0.0.1:%u%s%s'", extra != NULL ? extra : "",
	    f.h.port, prefix, path);
	return hd;
}

/* The OCSPResponse in der, checked to be successful and verified against the CA. */
static OCSP_BASICRESP *
verified(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs;

	ck_assert_ptr_nonnull(resp);
	ck_assert_int_eq(OCSP_response_status(resp), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	ck_assert_ptr_nonnull(bs = OCSP_response_get1_basic(resp));
	OCSP_RESPONSE_free(resp);
	ck_assert_int_eq(OCSP_basic_verify(bs, NULL, f.store, 0), 1);
	return bs;
}

/* The unsigned answer's OCSPResponseStatus. */
static int
response_status(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	int s;

	ck_assert_ptr_nonnull(resp);
	s = OCSP_response_status(resp);
	OCSP_RESPONSE_free(resp);
	return s;
}

static int64_t
gt_time(const ASN1_GENERALIZEDTIME *t)
{
	struct tm tm;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(ASN1_TIME_to_tm(t, &tm), 1);
	return (int64_t)timegm(&tm);
}

/* Checks id's status, reason, and thisUpdate/nextUpdate distance in bs; returns thisUpdate. */
static int64_t
check_status(OCSP_BASICRESP *bs, OCSP_CERTID *id, int status, int reason, int64_t validity)
{
	ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
	int st = -1, rs = -1; /* OpenSSL sets the reason for a revoked status only */

	ck_assert_int_eq(OCSP_resp_find_status(bs, id, &st, &rs, &rev, &thisupd, &nextupd), 1);
	ck_assert_int_eq(st, status);
	ck_assert_int_eq(rs, reason);
	ck_assert_int_eq(OCSP_check_validity(thisupd, nextupd, 300, -1), 1);
	ck_assert_int_eq(gt_time(nextupd) - gt_time(thisupd), validity);
	if (status == V_OCSP_CERTSTATUS_REVOKED)
		ck_assert_int_le(llabs(gt_time(rev) - (int64_t)time(NULL)), 60);
	return gt_time(thisupd);
}

static ocsp_responder_stats
stats(void)
{
	ocsp_responder_stats s;

	ocsp_responder_stats_get(f.resp, &s);
	return s;
}

/* A revocation change as the issuer makes it, with the notification. reason NULL resumes. */
static void
set_status(const char *cert_id, const char *reason)
{
	ck_assert_int_eq(mp_db_exec(f.db, "BEGIN"), MP_OK);
	exec_sql("UPDATE certificates SET revoked_at = CASE WHEN $2::text IS NULL THEN NULL"
	    " ELSE now() END, reason = $2, status_changed_at = clock_timestamp() WHERE id = $1", 2,
	    (const char *[]){ cert_id, reason });
	exec_sql("SELECT pg_notify('midpki_crl', $1)", 1, (const char *[]){ f.ca_id });
	ck_assert_int_eq(mp_db_exec(f.db, "COMMIT"), MP_OK);
}

START_TEST(good_by_post_and_get)
{
	OCSP_CERTID *ids[1] = { id_of(0, EVP_sha1()) };
	OCSP_REQUEST *req = make_request(ids, 1, false);
	OCSP_BASICRESP *bs;
	uint8_t *b1 = NULL, *b2 = NULL, *b3 = NULL;
	size_t l1 = 0, l2 = 0, l3 = 0;
	char *hd, etag[64], lm[64], ex[64], want[128];
	int64_t this_update;
	ocsp_responder_stats s;

	hd = post(req, &b1, &l1);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	expect(hd, "Content-Type: application/ocsp-response\r\n");
	expect(hd, "Cache-Control: no-store\r\n");
	ck_assert_ptr_null(strstr(hd, "ETag"));
	free(hd);
	bs = verified(b1, l1);
	this_update = check_status(bs, ids[0], V_OCSP_CERTSTATUS_GOOD, -1, VALIDITY_S);
	ck_assert_int_le(llabs(this_update - (int64_t)time(NULL)), 5);
	OCSP_BASICRESP_free(bs);
	s = stats();
	ck_assert_uint_eq(s.cache_misses, 1);
	ck_assert_uint_eq(s.cache_hits, 0);
	ck_assert_uint_eq(s.signed_fresh, 1);
	ck_assert_uint_eq(s.good, 1);
	ck_assert_uint_eq(s.cache_entries, 1);

	/* the same request by GET: the same bytes, from the cache, with RFC 5019 headers */
	hd = get(req, "/", false, NULL, &b2, &l2);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	expect(hd, "Content-Type: application/ocsp-response\r\n");
	snprintf(want, sizeof(want), "Cache-Control: max-age=%d, public, no-transform,"
	    " must-revalidate\r\n", MAX_AGE_S);
	expect(hd, want);
	header(hd, "Last-Modified: ", lm, sizeof(lm));
	header(hd, "Expires: ", ex, sizeof(ex));
	header(hd, "ETag: ", etag, sizeof(etag));
	ck_assert_uint_eq(strlen(etag), 18);
	ck_assert_int_eq(etag[0], '"');
	ck_assert_int_eq(etag[17], '"');
	{
		char d1[80], d2[80];
		time_t t1 = (time_t)this_update, t2 = (time_t)(this_update + VALIDITY_S);
		struct tm tm;

		strftime(d1, sizeof(d1), "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&t1, &tm));
		strftime(d2, sizeof(d2), "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&t2, &tm));
		ck_assert_str_eq(lm, d1);
		ck_assert_str_eq(ex, d2);
	}
	free(hd);
	ck_assert_uint_eq(l2, l1);
	ck_assert_int_eq(memcmp(b1, b2, l1), 0);
	s = stats();
	ck_assert_uint_eq(s.cache_hits, 1);
	ck_assert_uint_eq(s.signed_fresh, 1);

	/* URL-encoded, below /ocsp/: the same answer */
	hd = get(req, "/ocsp/", true, NULL, &b3, &l3);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	free(hd);
	ck_assert_uint_eq(l3, l1);
	ck_assert_int_eq(memcmp(b1, b3, l1), 0);
	free(b3);
	b3 = NULL;

	/* the client's copy is current: 304 without a body */
	snprintf(want, sizeof(want), "-H 'If-None-Match: %s'", etag);
	hd = get(req, "/", false, want, &b3, &l3);
	expect(hd, "HTTP/1.1 304 Not Modified\r\n");
	expect(hd, etag);
	ck_assert_uint_eq(l3, 0);
	free(hd);
	free(b3);
	b3 = NULL;
	hd = get(req, "/", false, "-H 'If-None-Match: \"0123456789abcdef\"'", &b3, &l3);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	ck_assert_uint_eq(l3, l1);
	free(hd);
	free(b3);

	/* POST /ocsp is the same resource */
	{
		uint8_t *der;
		size_t len = req_der(req, &der);

		hd = post_der("/ocsp", der, len, &b3, &l3);
		OPENSSL_free(der);
	}
	expect(hd, "HTTP/1.1 200 OK\r\n");
	ck_assert_uint_eq(l3, l1);
	ck_assert_int_eq(memcmp(b1, b3, l1), 0);
	free(hd);
	free(b3);
	free(b1);
	free(b2);
	OCSP_REQUEST_free(req);
}
END_TEST

START_TEST(sha256_and_sign_octet)
{
	OCSP_CERTID *ids[1] = { id_of(3, EVP_sha256()) };
	OCSP_REQUEST *req = make_request(ids, 1, false);
	OCSP_BASICRESP *bs;
	uint8_t *b = NULL;
	size_t l = 0;
	char *hd;

	hd = get(req, "/", true, NULL, &b, &l);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	free(hd);
	bs = verified(b, l);
	check_status(bs, ids[0], V_OCSP_CERTSTATUS_GOOD, -1, VALIDITY_S);
	OCSP_BASICRESP_free(bs);
	free(b);
	OCSP_REQUEST_free(req);
}
END_TEST

START_TEST(revoked_and_held)
{
	OCSP_CERTID *ids1[1] = { id_of(1, EVP_sha1()) }, *ids2[1] = { id_of(2, EVP_sha256()) };
	OCSP_REQUEST *r1 = make_request(ids1, 1, false), *r2 = make_request(ids2, 1, false);
	OCSP_BASICRESP *bs;
	uint8_t *b = NULL;
	size_t l = 0;
	char *hd;

	set_status(f.leaf_ids[1], "keyCompromise");
	set_status(f.leaf_ids[2], "certificateHold");
	hd = post(r1, &b, &l);
	free(hd);
	bs = verified(b, l);
	check_status(bs, ids1[0], V_OCSP_CERTSTATUS_REVOKED, OCSP_REVOKED_STATUS_KEYCOMPROMISE,
	    VALIDITY_S);
	OCSP_BASICRESP_free(bs);
	free(b);
	hd = post(r2, &b, &l);
	free(hd);
	bs = verified(b, l);
	check_status(bs, ids2[0], V_OCSP_CERTSTATUS_REVOKED, OCSP_REVOKED_STATUS_CERTIFICATEHOLD,
	    VALIDITY_S);
	OCSP_BASICRESP_free(bs);
	free(b);

	/* resumed: the revocation change makes the answer signed on request stale at once */
	set_status(f.leaf_ids[2], NULL);
	for (int i = 0; i < 40; i++) {
		int st = -1;

		hd = post(r2, &b, &l);
		free(hd);
		bs = verified(b, l);
		ck_assert_int_eq(OCSP_resp_find_status(bs, ids2[0], &st, NULL, NULL, NULL, NULL), 1);
		OCSP_BASICRESP_free(bs);
		free(b);
		if (st == V_OCSP_CERTSTATUS_GOOD)
			break;
		ck_assert_int_lt(i, 39);
		usleep(50000);
	}
	ck_assert_uint_ge(stats().revoked, 2);
	OCSP_REQUEST_free(r1);
	OCSP_REQUEST_free(r2);
}
END_TEST

START_TEST(unknown_serial_and_unknown_issuer)
{
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	OCSP_CERTID *ids[1];
	OCSP_REQUEST *req;
	OCSP_BASICRESP *bs;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *other;
	uint8_t *b = NULL;
	size_t l = 0;
	char *hd;

	ck_assert_ptr_nonnull(sn);
	ck_assert_int_eq(ASN1_INTEGER_set(sn, 0x1234), 1);
	ck_assert_ptr_nonnull(ids[0] = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(f.ca),
	    X509_get0_pubkey_bitstr(f.ca), sn));
	req = make_request(ids, 1, false);
	hd = post(req, &b, &l);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	free(hd);
	bs = verified(b, l);
	check_status(bs, ids[0], V_OCSP_CERTSTATUS_UNKNOWN, -1, 3600);
	OCSP_BASICRESP_free(bs);
	free(b);
	ck_assert_uint_eq(stats().unknown, 1);
	OCSP_REQUEST_free(req);
	ASN1_INTEGER_free(sn);

	/* a CA we do not serve: unauthorized, unsigned, HTTP 200 */
	other = make_cert("Other CA", k, NULL, f.signer_key, (const uint8_t *)"\x07", 1, false);
	ck_assert_ptr_nonnull(ids[0] = OCSP_cert_to_id(EVP_sha1(), f.leaves[0], other));
	req = make_request(ids, 1, false);
	hd = post(req, &b, &l);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	expect(hd, "Content-Type: application/ocsp-response\r\n");
	free(hd);
	ck_assert_int_eq(response_status(b, l), OCSP_RESPONSE_STATUS_UNAUTHORIZED);
	free(b);
	ck_assert_uint_eq(stats().unauthorized, 1);
	OCSP_REQUEST_free(req);
	X509_free(other);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(nonce_echoed_never_cached)
{
	OCSP_CERTID *ids[1] = { id_of(0, EVP_sha1()) };
	OCSP_REQUEST *r1 = make_request(ids, 1, true), *r2;
	OCSP_BASICRESP *bs;
	uint8_t *b1 = NULL, *b2 = NULL;
	size_t l1 = 0, l2 = 0;
	char *hd;

	ck_assert_ptr_nonnull(ids[0] = id_of(0, EVP_sha1()));
	r2 = make_request(ids, 1, true);
	hd = post(r1, &b1, &l1);
	expect(hd, "Cache-Control: no-store\r\n");
	free(hd);
	bs = verified(b1, l1);
	ck_assert_int_eq(OCSP_check_nonce(r1, bs), 1);
	check_status(bs, ids[0], V_OCSP_CERTSTATUS_GOOD, -1, VALIDITY_S);
	OCSP_BASICRESP_free(bs);
	/* by GET too, and with no caching headers */
	hd = get(r2, "/", false, NULL, &b2, &l2);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	expect(hd, "Cache-Control: no-store\r\n");
	ck_assert_ptr_null(strstr(hd, "ETag"));
	free(hd);
	bs = verified(b2, l2);
	ck_assert_int_eq(OCSP_check_nonce(r2, bs), 1);
	ck_assert_int_eq(OCSP_check_nonce(r1, bs), 0);
	OCSP_BASICRESP_free(bs);
	ck_assert(l1 != l2 || memcmp(b1, b2, l1) != 0);
	ck_assert_uint_eq(stats().cache_entries, 0);
	ck_assert_uint_eq(stats().signed_fresh, 2);
	free(b1);
	free(b2);
	OCSP_REQUEST_free(r1);
	OCSP_REQUEST_free(r2);
}
END_TEST

START_TEST(several_certids)
{
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	OCSP_CERTID *ids[OCSP_MAX_CERTS + 1], *check[3];
	OCSP_REQUEST *req;
	OCSP_BASICRESP *bs;
	uint8_t *b = NULL;
	size_t l = 0;
	char *hd;

	set_status(f.leaf_ids[1], "superseded");
	ck_assert_int_eq(ASN1_INTEGER_set(sn, 0x4242), 1);
	ids[0] = id_of(0, EVP_sha1());
	ids[1] = id_of(1, EVP_sha256());
	ck_assert_ptr_nonnull(ids[2] = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(f.ca),
	    X509_get0_pubkey_bitstr(f.ca), sn));
	for (int i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(check[i] = OCSP_CERTID_dup(ids[i]));
	req = make_request(ids, 3, false);
	hd = post(req, &b, &l);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	free(hd);
	bs = verified(b, l);
	ck_assert_int_eq(OCSP_resp_count(bs), 3);
	check_status(bs, check[0], V_OCSP_CERTSTATUS_GOOD, -1, VALIDITY_S);
	check_status(bs, check[1], V_OCSP_CERTSTATUS_REVOKED, OCSP_REVOKED_STATUS_SUPERSEDED,
	    VALIDITY_S);
	check_status(bs, check[2], V_OCSP_CERTSTATUS_UNKNOWN, -1, 3600);
	OCSP_BASICRESP_free(bs);
	free(b);
	OCSP_REQUEST_free(req);
	for (int i = 0; i < 3; i++)
		OCSP_CERTID_free(check[i]);

	/* 17 CertIDs: malformedRequest */
	for (int i = 0; i <= OCSP_MAX_CERTS; i++)
		ids[i] = id_of(i % N_LEAVES, EVP_sha1());
	req = make_request(ids, OCSP_MAX_CERTS + 1, false);
	hd = post(req, &b, &l);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	free(hd);
	ck_assert_int_eq(response_status(b, l), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	free(b);
	OCSP_REQUEST_free(req);
	/* 16 are answered */
	for (int i = 0; i < OCSP_MAX_CERTS; i++)
		ids[i] = id_of(i % N_LEAVES, EVP_sha1());
	req = make_request(ids, OCSP_MAX_CERTS, false);
	hd = post(req, &b, &l);
	free(hd);
	bs = verified(b, l);
	ck_assert_int_eq(OCSP_resp_count(bs), OCSP_MAX_CERTS);
	OCSP_BASICRESP_free(bs);
	free(b);
	OCSP_REQUEST_free(req);
	ASN1_INTEGER_free(sn);
}
END_TEST

START_TEST(malformed_and_oversized)
{
	static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01 };
	OCSP_CERTID *ids[1] = { id_of(0, EVP_sha1()) };
	OCSP_REQUEST *req = make_request(ids, 1, false);
	uint8_t *der, *b = NULL, *big;
	size_t len = req_der(req, &der), l = 0;
	char *hd;

	/* truncated DER */
	hd = post_der("/", der, len - 1, &b, &l);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	expect(hd, "Content-Type: application/ocsp-response\r\n");
	free(hd);
	ck_assert_int_eq(response_status(b, l), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	free(b);
	hd = post_der("/", junk, sizeof(junk), &b, &l);
	free(hd);
	ck_assert_int_eq(response_status(b, l), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	free(b);
	/* an empty body */
	hd = curl(&b, &l, "-X POST -H 'Content-Type: application/ocsp-request'"
	    " http://127.0.0.1:%u/", f.h.port);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	free(hd);
	ck_assert_int_eq(response_status(b, l), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	free(b);
	/* GET of what is not base64 of a request */
	hd = curl(&b, &l, "http://127.0.0.1:%u/ocsp/not*base64", f.h.port);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	free(hd);
	ck_assert_int_eq(response_status(b, l), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	free(b);
	hd = curl(&b, &l, "http://127.0.0.1:%u/", f.h.port);
	free(hd);
	ck_assert_int_eq(response_status(b, l), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	free(b);
	ck_assert_uint_eq(stats().malformed, 5);

	/* wrong content type: 415 */
	write_file("req", der, len);
	hd = curl(&b, &l, "-H 'Content-Type: application/octet-stream' --data-binary @%s/req"
	    " http://127.0.0.1:%u/", f.dir, f.h.port);
	expect(hd, "HTTP/1.1 415 Unsupported Media Type\r\n");
	free(hd);
	free(b);
	/* the type with parameters and in another case is fine */
	hd = curl(&b, &l, "-H 'Content-Type: Application/OCSP-Request; x=y' --data-binary @%s/req"
	    " http://127.0.0.1:%u/", f.dir, f.h.port);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	free(hd);
	free(b);

	/* over OCSP_REQUEST_MAX_BYTES: 413 before parsing, by POST and by GET */
	ck_assert_ptr_nonnull(big = calloc(1, OCSP_REQUEST_MAX_BYTES + 1));
	big[0] = 0x30;
	hd = post_der("/", big, OCSP_REQUEST_MAX_BYTES + 1, &b, &l);
	expect(hd, "HTTP/1.1 413 Content Too Large\r\n");
	free(hd);
	free(b);
	{
		char *b64 = NULL;

		ck_assert_int_eq(mp_b64_encode(big, OCSP_REQUEST_MAX_BYTES + 1, true, &b64), MP_OK);
		hd = curl(&b, &l, "http://127.0.0.1:%u/%s", f.h.port, b64);
		expect(hd, "HTTP/1.1 413 Content Too Large\r\n");
		free(hd);
		free(b);
		free(b64);
	}
	free(big);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
}
END_TEST

/* ocsp_responses row for leaf (its CertID of hash h) saying status, signed by the signer at t. */
static void
store_response(int leaf, ocsp_hash h, ocsp_cert_status status, int64_t t)
{
	uint8_t nh[OCSP_HASH_MAX], kh[OCSP_HASH_MAX], buf[OCSP_CERTID_MAX];
	uint8_t signer_nh[OCSP_HASH_MAX], signer_kh[OCSP_HASH_MAX];
	uint8_t serial[21], *core = NULL;
	size_t hl = 0, core_len = 0;
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(f.leaves[leaf]), NULL);
	int n = BN_bn2bin(bn, serial + 1);
	ocsp_certid id;
	ocsp_single s;
	char *core_hex = NULL, *serial_hex = NULL, ts[32], tn[32];

	BN_free(bn);
	serial[0] = 0;
	ck_assert_int_eq(ocsp_issuer_hashes(f.ca, h, nh, kh, &hl), MP_OK);
	ck_assert_int_eq(ocsp_issuer_hashes(f.signer, OCSP_HASH_SHA1, signer_nh, signer_kh, &hl),
	    MP_OK);
	ck_assert_int_eq(ocsp_certid_make(h, nh, kh, (serial[1] & 0x80) ? serial : serial + 1,
	    (size_t)n + ((serial[1] & 0x80) ? 1 : 0), buf, &id), MP_OK);
	s = (ocsp_single){ &id, status, t, status == OCSP_REVOKED ? 4 : -1, t, t + 7200 };
	ck_assert_int_eq(ocsp_core_sign(f.signer_key, signer_kh, t, &s, 1, NULL, 0, &core, &core_len),
	    MP_OK);
	ck_assert_int_eq(mp_db_bytea_param(core, core_len, &core_hex), MP_OK);
	ck_assert_int_eq(mp_db_bytea_param(serial + 1, (size_t)n, &serial_hex), MP_OK);
	snprintf(ts, sizeof(ts), "%lld", (long long)t);
	snprintf(tn, sizeof(tn), "%lld", (long long)t + 7200);
	exec_sql("INSERT INTO ocsp_responses (ca_id, serial, hash, signer_id, core, this_update,"
	    " next_update) VALUES ($1, $2, $3, $4, $5, to_timestamp($6::bigint),"
	    " to_timestamp($7::bigint)) ON CONFLICT (ca_id, serial, hash) DO UPDATE SET"
	    " core = EXCLUDED.core, this_update = EXCLUDED.this_update,"
	    " next_update = EXCLUDED.next_update", 7,
	    (const char *[]){ f.ca_id, serial_hex, h == OCSP_HASH_SHA1 ? "sha1" : "sha256",
		f.signer_id, core_hex, ts, tn });
	free(core);
	free(core_hex);
	free(serial_hex);
}

/* The serial of leaf as the notification names it (lower-case hex, no sign octet). */
static void
serial_hex_of(int leaf, char out[64])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(f.leaves[leaf]), NULL);
	char *hex = BN_bn2hex(bn);

	ck_assert_ptr_nonnull(hex);
	snprintf(out, 64, "%s", hex);
	for (char *p = out; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	OPENSSL_free(hex);
	BN_free(bn);
}

START_TEST(stored_response_and_notification)
{
	OCSP_CERTID *ids[1] = { id_of(3, EVP_sha1()) };
	OCSP_REQUEST *req = make_request(ids, 1, false);
	OCSP_BASICRESP *bs;
	int64_t t0 = (int64_t)time(NULL) - 100;
	uint8_t *b = NULL;
	size_t l = 0;
	char *hd, serial[64], payload[160];
	int st = -1, i;

	store_response(3, OCSP_HASH_SHA1, OCSP_GOOD, t0);
	hd = get(req, "/", false, NULL, &b, &l);
	free(hd);
	bs = verified(b, l);
	ck_assert_int_eq(check_status(bs, ids[0], V_OCSP_CERTSTATUS_GOOD, -1, 7200), t0);
	OCSP_BASICRESP_free(bs);
	free(b);
	ck_assert_uint_eq(stats().signed_fresh, 0);

	/* a new stored answer is not seen before the signer says so */
	store_response(3, OCSP_HASH_SHA1, OCSP_REVOKED, t0 + 10);
	hd = get(req, "/", false, NULL, &b, &l);
	free(hd);
	bs = verified(b, l);
	ck_assert_int_eq(check_status(bs, ids[0], V_OCSP_CERTSTATUS_GOOD, -1, 7200), t0);
	OCSP_BASICRESP_free(bs);
	free(b);
	ck_assert_uint_eq(stats().cache_hits, 1);

	serial_hex_of(3, serial);
	snprintf(payload, sizeof(payload), "00000000-0000-0000-0000-000000000000:01 %s:%s junk",
	    f.ca_id, serial);
	exec_sql("SELECT pg_notify('midpki_ocsp', $1)", 1, (const char *[]){ payload });
	for (i = 0; i < 40; i++) {
		hd = get(req, "/", false, NULL, &b, &l);
		free(hd);
		bs = verified(b, l);
		ck_assert_int_eq(OCSP_resp_find_status(bs, ids[0], &st, NULL, NULL, NULL, NULL), 1);
		OCSP_BASICRESP_free(bs);
		free(b);
		if (st == V_OCSP_CERTSTATUS_REVOKED)
			break;
		usleep(50000);
	}
	ck_assert_int_eq(st, V_OCSP_CERTSTATUS_REVOKED);
	ck_assert_uint_eq(stats().signed_fresh, 0);

	/* "*" drops everything */
	ck_assert_uint_eq(stats().cache_entries, 1);
	exec_sql("SELECT pg_notify('midpki_ocsp', '*')", 0, NULL);
	for (i = 0; i < 40 && stats().cache_entries != 0; i++)
		usleep(50000);
	ck_assert_uint_eq(stats().cache_entries, 0);

	/* a stored answer older than the certificate's last status change is not served */
	set_status(f.leaf_ids[3], "cessationOfOperation");
	hd = post(req, &b, &l);
	free(hd);
	bs = verified(b, l);
	check_status(bs, ids[0], V_OCSP_CERTSTATUS_REVOKED,
	    OCSP_REVOKED_STATUS_CESSATIONOFOPERATION, VALIDITY_S);
	OCSP_BASICRESP_free(bs);
	free(b);
	ck_assert_uint_eq(stats().signed_fresh, 1);
	OCSP_REQUEST_free(req);
}
END_TEST

/* With the database unreachable, cached answers are still served; the rest get tryLater. */
START_TEST(database_down)
{
	OCSP_CERTID *ids0[1] = { id_of(0, EVP_sha1()) }, *ids1[1] = { id_of(1, EVP_sha1()) };
	OCSP_REQUEST *r0 = make_request(ids0, 1, false), *r1 = make_request(ids1, 1, false);
	OCSP_BASICRESP *bs;
	mp_db *admin = pg_connect(pg_url());
	uint8_t *b = NULL;
	size_t l = 0;
	char *hd;

	hd = post(r0, &b, &l);
	free(hd);
	free(b);
	ck_assert_int_eq(mp_db_exec(admin, "ALTER DATABASE ocsp_responder ALLOW_CONNECTIONS false"),
	    MP_OK);
	ck_assert_int_eq(mp_db_exec(admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	    " WHERE datname = 'ocsp_responder'"), MP_OK);
	hd = post(r1, &b, &l);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	expect(hd, "Cache-Control: no-store\r\n");
	free(hd);
	ck_assert_int_eq(response_status(b, l), OCSP_RESPONSE_STATUS_TRYLATER);
	free(b);
	ck_assert_uint_eq(stats().try_later, 1);
	hd = post(r0, &b, &l);
	free(hd);
	bs = verified(b, l);
	check_status(bs, ids0[0], V_OCSP_CERTSTATUS_GOOD, -1, VALIDITY_S);
	OCSP_BASICRESP_free(bs);
	free(b);
	ck_assert_int_eq(mp_db_exec(admin, "ALTER DATABASE ocsp_responder ALLOW_CONNECTIONS true"),
	    MP_OK);
	mp_db_close(admin);
	OCSP_REQUEST_free(r0);
	OCSP_REQUEST_free(r1);
}
END_TEST

START_TEST(cache_bound)
{
	char id[MP_UUID_STR_LEN + 1], name[32];
	X509 *extra[120];
	ocsp_responder_stats s;

	for (int i = 0; i < 120; i++) {
		OCSP_CERTID *ids[1];
		OCSP_REQUEST *req;
		uint8_t *b = NULL;
		size_t l = 0;
		char *hd;

		snprintf(name, sizeof(name), "bulk %d", i);
		extra[i] = issue_leaf(name, (uint8_t)(0x20 + i), id);
		ck_assert_ptr_nonnull(ids[0] = OCSP_cert_to_id(EVP_sha1(), extra[i], f.ca));
		req = make_request(ids, 1, false);
		hd = post(req, &b, &l);
		free(hd);
		free(b);
		OCSP_REQUEST_free(req);
		ocsp_responder_stats_get(f.resp, &s);
		ck_assert_uint_le(s.cache_bytes, 64 * 1024);
	}
	ocsp_responder_stats_get(f.resp, &s);
	ck_assert_uint_eq(s.good, 120);
	ck_assert_uint_gt(s.cache_entries, 20);
	ck_assert_uint_lt(s.cache_entries, 120);
	for (int i = 0; i < 120; i++)
		X509_free(extra[i]);
}
END_TEST

/* Exports the bundle of the test CA to <dir>/name; returns the statistics. */
static ocsp_bundle_export_stats
export_bundle(const char *name)
{
	const char *ids[1] = { f.ca_id };
	ocsp_bundle_export_stats st = { 0 };
	char path[128], err[512];

	snprintf(path, sizeof(path), "%s/%s", f.dir, name);
	ck_assert_msg(ocsp_bundle_export(f.db, f.ks, ids, 1, path, &st, err, sizeof(err)) == MP_OK,
	    "%s", err);
	return st;
}

/* Replaces the database-backed server by one answering from <dir>/name, trusting the CA. */
static void
serve_bundle(const char *name)
{
	X509_STORE *trust = X509_STORE_new();
	char addr[64], err[256], path[128];

	snprintf(path, sizeof(path), "%s/%s", f.dir, name);
	ck_assert_ptr_nonnull(trust);
	ck_assert_int_eq(X509_STORE_add_cert(trust, f.ca), 1);
	hh_stop(&f.h);
	ocsp_responder_stop(f.resp);
	f.resp = NULL;
	{
		ocsp_responder_config oc = { NULL, 0, NULL, NULL, 0, MAX_AGE_S, VALIDITY_S, 0, 0, path,
			trust };

		ck_assert_int_eq(ocsp_responder_start(&oc, &f.resp), MP_OK);
	}
	hh_init(&f.h, addr, sizeof(addr));
	hh_new_server(&f.h);
	ck_assert_msg(mp_http_listen(f.h.srv, "ocsp", addr, NULL, ocsp_routes, ocsp_routes_count,
	    f.resp, err, sizeof(err)) == MP_OK, "%s", err);
	hh_run(&f.h);
}

/* The answer to a GET for leaf by hash md: its OCSPResponseStatus; bs when successful. */
static int
bundle_get(int leaf, const EVP_MD *md, OCSP_BASICRESP **bs)
{
	OCSP_CERTID *ids[1] = { id_of(leaf, md) };
	OCSP_REQUEST *req = make_request(ids, 1, false);
	uint8_t *b = NULL;
	size_t l = 0;
	char *hd = get(req, "/", false, NULL, &b, &l);
	int st = response_status(b, l);

	if (bs != NULL)
		*bs = st == OCSP_RESPONSE_STATUS_SUCCESSFUL ? verified(b, l) : NULL;
	free(hd);
	free(b);
	OCSP_REQUEST_free(req);
	return st;
}

/* Waits up to 5 s for the responder to have loaded n bundles. */
static void
wait_reloads(uint64_t n)
{
	for (int i = 0; i < 100 && stats().reloads < n; i++)
		usleep(50000);
	ck_assert_uint_eq(stats().reloads, n);
}

START_TEST(bundle_export_and_serve)
{
	int64_t t0 = (int64_t)time(NULL) - 30;
	ocsp_bundle_export_stats st;
	OCSP_CERTID *ids[2];
	OCSP_REQUEST *req;
	OCSP_BASICRESP *bs = NULL;
	uint8_t *b = NULL;
	size_t l = 0;
	char *hd, **sel = NULL, err[256];
	size_t nsel = 0;

	store_response(0, OCSP_HASH_SHA1, OCSP_GOOD, t0);
	store_response(0, OCSP_HASH_SHA256, OCSP_GOOD, t0);
	store_response(1, OCSP_HASH_SHA1, OCSP_REVOKED, t0);
	st = export_bundle("b.bundle");
	ck_assert_uint_eq(st.cas, 1);
	ck_assert_uint_eq(st.responses, 3);
	/* leaves 2 and 3 and the signer have no stored response */
	ck_assert_uint_eq(st.missing, 3);

	ck_assert_int_eq(ocsp_bundle_select_cas(f.db, "acme", (const char *[]){ "ocsp-ca" }, 1,
	    &sel, &nsel, err, sizeof(err)), MP_OK);
	ck_assert_uint_eq(nsel, 1);
	ck_assert_str_eq(sel[0], f.ca_id);
	free(sel[0]);
	free(sel);
	ck_assert_int_eq(ocsp_bundle_select_cas(f.db, "acme", (const char *[]){ "nope" }, 1, &sel,
	    &nsel, err, sizeof(err)), MP_ERR_NOT_FOUND);
	ck_assert_str_eq(err, "no CA 'nope' in tenant acme");

	serve_bundle("b.bundle");
	ck_assert_int_eq(bundle_get(0, EVP_sha1(), &bs), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	ids[0] = id_of(0, EVP_sha1());
	ck_assert_int_eq(check_status(bs, ids[0], V_OCSP_CERTSTATUS_GOOD, -1, 7200), t0);
	OCSP_CERTID_free(ids[0]);
	OCSP_BASICRESP_free(bs);
	ck_assert_int_eq(bundle_get(0, EVP_sha256(), &bs), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	OCSP_BASICRESP_free(bs);
	ck_assert_int_eq(bundle_get(1, EVP_sha1(), &bs), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	ids[0] = id_of(1, EVP_sha1());
	check_status(bs, ids[0], V_OCSP_CERTSTATUS_REVOKED, 4, 7200);
	OCSP_CERTID_free(ids[0]);
	OCSP_BASICRESP_free(bs);
	/* no response in the bundle: unauthorized (RFC 5019 2.2.3) */
	ck_assert_int_eq(bundle_get(2, EVP_sha1(), NULL), OCSP_RESPONSE_STATUS_UNAUTHORIZED);
	ck_assert_int_eq(bundle_get(1, EVP_sha256(), NULL), OCSP_RESPONSE_STATUS_UNAUTHORIZED);

	/* a nonce is not echoed: nothing is signed in bundle mode */
	ids[0] = id_of(0, EVP_sha1());
	req = make_request(ids, 1, true);
	hd = post(req, &b, &l);
	expect(hd, "Cache-Control: no-store");
	bs = verified(b, l);
	ck_assert_int_eq(OCSP_check_nonce(req, bs), -1);
	OCSP_BASICRESP_free(bs);
	OCSP_REQUEST_free(req);
	free(hd);
	free(b);
	/* several CertIDs: malformedRequest (RFC 5019 2.1.1) */
	ids[0] = id_of(0, EVP_sha1());
	ids[1] = id_of(1, EVP_sha1());
	req = make_request(ids, 2, false);
	hd = post(req, &b, &l);
	ck_assert_int_eq(response_status(b, l), OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	OCSP_REQUEST_free(req);
	free(hd);
	free(b);

	/* the CA certificate is served; the bundle has no CRL */
	hd = curl(&b, &l, "http://127.0.0.1:%u/ca/%s.crt", f.h.port, f.ca_id);
	expect(hd, "HTTP/1.1 200");
	expect(hd, "Content-Type: application/pkix-cert");
	free(hd);
	free(b);
	hd = curl(NULL, NULL, "http://127.0.0.1:%u/crl/%s.crl", f.h.port, f.ca_id);
	expect(hd, "HTTP/1.1 404");
	free(hd);
	ck_assert_uint_eq(stats().signed_fresh, 0);
}
END_TEST

/* Reads <dir>/name into a new buffer. */
static mp_buf *
read_bundle(const char *name)
{
	char path[128];
	mp_buf *b = mp_buf_new(1 << 20);
	uint8_t chunk[4096];
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f.dir, name);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(fp = fopen(path, "rb"));
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		ck_assert_int_eq(mp_buf_put(b, chunk, n), MP_OK);
	fclose(fp);
	return b;
}

START_TEST(bundle_checked_and_reloaded)
{
	int64_t t0 = (int64_t)time(NULL) - 30;
	X509_STORE *trust = X509_STORE_new(), *other = X509_STORE_new();
	mp_buf *data = NULL, *cut;
	ocsp_bundle *bundle = NULL;
	ocsp_bundle_writer *w = NULL;
	static const uint8_t core[] = { 0x30, 0x00 };
	uint8_t *copy, *ca_der = NULL, *signer_der = NULL;
	size_t len, ca_len, signer_len;
	OCSP_BASICRESP *bs = NULL;
	OCSP_CERTID *id;
	char err[256], path[128];
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *stranger;

	store_response(0, OCSP_HASH_SHA1, OCSP_GOOD, t0);
	export_bundle("b.bundle");
	serve_bundle("b.bundle");
	ck_assert_uint_eq(stats().reloads, 1);

	/* what the loader refuses: a changed byte, a cut file, a CA not chaining to the anchors */
	ck_assert_int_eq(X509_STORE_add_cert(trust, f.ca), 1);
	data = read_bundle("b.bundle");
	len = mp_buf_len(data);
	ck_assert_ptr_nonnull(copy = malloc(len));
	memcpy(copy, mp_buf_ptr(data), len);
	ck_assert_int_eq(ocsp_bundle_parse(data, &bundle, err, sizeof(err)), MP_OK);
	ck_assert_int_eq(ocsp_bundle_verify(bundle, trust, (int64_t)time(NULL), err, sizeof(err)),
	    MP_OK);
	ck_assert_uint_eq(ocsp_bundle_response_count(bundle), 1);
	ocsp_bundle_unref(bundle);

	ck_assert_ptr_nonnull(data = mp_buf_new(1 << 20));
	ck_assert_int_eq(mp_buf_put(data, copy, len), MP_OK);
	ck_assert_int_eq(ocsp_bundle_parse(data, &bundle, err, sizeof(err)), MP_OK);
	stranger = make_cert("Stranger", k, NULL, f.signer_key, (const uint8_t *)"\x07", 1, false);
	ck_assert_int_eq(X509_STORE_add_cert(other, stranger), 1);
	ck_assert_int_eq(ocsp_bundle_verify(bundle, other, (int64_t)time(NULL), err, sizeof(err)),
	    MP_ERR_INTEGRITY);
	ck_assert_msg(strstr(err, "is not trusted") != NULL, "%s", err);
	ocsp_bundle_unref(bundle);

	copy[len - 120] ^= 0x01; /* inside the last response's core */
	ck_assert_ptr_nonnull(data = mp_buf_new(1 << 20));
	ck_assert_int_eq(mp_buf_put(data, copy, len), MP_OK);
	ck_assert_int_eq(ocsp_bundle_parse(data, &bundle, err, sizeof(err)), MP_OK);
	ck_assert_int_eq(ocsp_bundle_verify(bundle, trust, (int64_t)time(NULL), err, sizeof(err)),
	    MP_ERR_INTEGRITY);
	ck_assert_msg(strstr(err, "signature does not verify") != NULL, "%s", err);
	ocsp_bundle_unref(bundle);

	ck_assert_ptr_nonnull(cut = mp_buf_new(1 << 20));
	ck_assert_int_eq(mp_buf_put(cut, copy, len / 2), MP_OK);
	ck_assert_int_eq(ocsp_bundle_parse(cut, &bundle, err, sizeof(err)), MP_ERR_INVALID);

	/* a tampered bundle written over the file changes nothing */
	write_file("b.bundle", copy, len);
	usleep(300000);
	ck_assert_uint_eq(stats().reloads, 1);
	ck_assert_int_eq(bundle_get(0, EVP_sha1(), &bs), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	OCSP_BASICRESP_free(bs);

	/* a newer one (made a second later) is served from the next request on */
	store_response(0, OCSP_HASH_SHA1, OCSP_REVOKED, t0 + 10);
	sleep(1);
	export_bundle("b.bundle");
	wait_reloads(2);
	ck_assert_int_eq(bundle_get(0, EVP_sha1(), &bs), OCSP_RESPONSE_STATUS_SUCCESSFUL);
	id = id_of(0, EVP_sha1());
	check_status(bs, id, V_OCSP_CERTSTATUS_REVOKED, 4, 7200);
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(bs);

	/* a response past its nextUpdate is tryLater, never stale data */
	ca_len = (size_t)i2d_X509(f.ca, &ca_der);
	signer_len = (size_t)i2d_X509(f.signer, &signer_der);
	ck_assert_ptr_nonnull(ca_der);
	ck_assert_ptr_nonnull(signer_der);
	snprintf(path, sizeof(path), "%s/b.bundle", f.dir);
	ck_assert_int_eq(ocsp_bundle_writer_open(path, (int64_t)time(NULL) + 10, 1, &w), MP_OK);
	{
		const uint8_t *signers[1] = { signer_der };
		ocsp_bundle_ca_in in = { f.ca_id, ca_der, ca_len, signers, &signer_len, 1,
			f.signer_key, NULL, NULL, 0, 0 };
		const uint8_t *serial = ASN1_STRING_get0_data(X509_get0_serialNumber(f.leaves[0]));
		size_t serial_len = (size_t)ASN1_STRING_length(X509_get0_serialNumber(f.leaves[0]));

		ck_assert_int_eq(ocsp_bundle_write_ca(w, &in), MP_OK);
		ck_assert_int_eq(ocsp_bundle_write_response(w, OCSP_HASH_SHA1, serial, serial_len,
		    OCSP_GOOD, 0, t0 - 7200, t0, core, sizeof(core)), MP_OK);
	}
	ck_assert_int_eq(ocsp_bundle_writer_finish(w), MP_OK);
	wait_reloads(3);
	ck_assert_int_eq(bundle_get(0, EVP_sha1(), NULL), OCSP_RESPONSE_STATUS_TRYLATER);

	OPENSSL_free(ca_der);
	OPENSSL_free(signer_der);
	free(copy);
	X509_free(stranger);
	EVP_PKEY_free(k);
	X509_STORE_free(trust);
	X509_STORE_free(other);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("ocsp_responder");
	TCase *tc = tcase_create("responder"), *small = tcase_create("small cache");
	TCase *bundle = tcase_create("bundle");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, good_by_post_and_get);
	tcase_add_test(tc, sha256_and_sign_octet);
	tcase_add_test(tc, revoked_and_held);
	tcase_add_test(tc, unknown_serial_and_unknown_issuer);
	tcase_add_test(tc, nonce_echoed_never_cached);
	tcase_add_test(tc, several_certids);
	tcase_add_test(tc, malformed_and_oversized);
	tcase_add_test(tc, stored_response_and_notification);
	tcase_add_test(tc, database_down);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(small, setup_small, teardown);
	tcase_set_timeout(small, 120);
	tcase_add_test(small, cache_bound);
	suite_add_tcase(s, small);
	tcase_add_checked_fixture(bundle, setup, teardown);
	tcase_set_timeout(bundle, 120);
	tcase_add_test(bundle, bundle_export_and_serve);
	tcase_add_test(bundle, bundle_checked_and_reloaded);
	suite_add_tcase(s, bundle);
	return s;
}
