/*
 * CRLs and CA certificates over HTTP (ocsp/crl_http.c) on a real listener with
 * the workers' database connections, against a throwaway PostgreSQL
 * (with-pg.sh), fetched with curl: status, content type, caching headers,
 * ETag and 304, body bytes, and 404 for everything else.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "err.h"
#include "http_harness.h"
#include "listener.h"
#include "num.h"
#include "pg_harness.h"
#include "worker.h"

static struct http_harness h;
static mp_worker_setup setup_w;
static char conninfo[600], ca_id[40], dir[64];
static mp_db *db;

/* "\x" + hex of the 6 bytes of a fake DER body, as bytea text. */
static const char crl_hex[] = "\\x308201020304", delta_hex[] = "\\x3082aabbccdd",
		  cert_hex[] = "\\x3003020101";

static void
start(void)
{
	char addr[64], err[256], tenant[40];
	PGresult *res = NULL;

	snprintf(dir, sizeof(dir), "/tmp/mp-crlhttp-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conninfo, sizeof(conninfo), "%s", pg_fresh_database("crl_http"));
	db = pg_connect_migrated(conninfo);
	ck_assert_int_eq(mp_db_query_row(db, "INSERT INTO tenants (name) VALUES ('t') RETURNING id",
	    0, NULL, &res), MP_OK);
	snprintf(tenant, sizeof(tenant), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	ck_assert_int_eq(mp_db_query_row(db, "INSERT INTO cas (tenant_id, name, certificate, subject,"
	    " not_before, not_after, role, self_signed) VALUES ($1, 'x', $2, 'CN=x', now(),"
	    " now() + interval '1 year', 'trusted', true) RETURNING id", 2, (const char *[]){ tenant, cert_hex }, &res), MP_OK);
	snprintf(ca_id, sizeof(ca_id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	ck_assert_int_eq(mp_db_query(db, "INSERT INTO crls (ca_id, delta, crl_number, this_update,"
	    " next_update, der) VALUES ($1, false, 5, '2026-01-01 00:00:00+00',"
	    " now() + interval '3600 seconds', $2)", 2, (const char *[]){ ca_id, crl_hex }, NULL),
	    MP_OK);

	hh_init(&h, addr, sizeof(addr));
	ck_assert_ptr_nonnull(h.metrics = mp_metrics_new());
	hh_new_server(&h);
	setup_w = (mp_worker_setup){ conninfo, 5000, h.metrics, NULL, h.cfg, NULL, NULL };
	ck_assert_int_eq(mp_http_server_set_worker_hooks(h.srv, mp_worker_init, mp_worker_fini,
	    &setup_w), MP_OK);
	ck_assert_msg(mp_http_listen(h.srv, "ocsp", addr, NULL, ocsp_routes, ocsp_routes_count, NULL,
	    err, sizeof(err)) == MP_OK, "%s", err);
	hh_run(&h);
}

static void
stop(void)
{
	char cmd[128];

	hh_stop(&h);
	mp_db_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* curl with extra arguments on path; returns the response headers; the body goes to <dir>/body. */
__attribute__((format(printf, 1, 2))) static char *
get(const char *fmt, ...)
{
	char cmd[1024], path[512], *out = calloc(1, 16384);
	size_t n = 0, got;
	va_list ap;
	FILE *p;

	ck_assert_ptr_nonnull(out);
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "curl -sS -D - -o %s/body %s", dir, path);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	while ((got = fread(out + n, 1, 16383 - n, p)) > 0)
		n += got;
	ck_assert_int_eq(pclose(p), 0);
	return out;
}

static char *
body(size_t *len)
{
	char path[128], *b = calloc(1, 4096);
	FILE *fp;

	snprintf(path, sizeof(path), "%s/body", dir);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(fp = fopen(path, "rb"));
	*len = fread(b, 1, 4095, fp);
	fclose(fp);
	return b;
}

static void
expect(const char *headers, const char *line)
{
	ck_assert_msg(strstr(headers, line) != NULL, "'%s' not in:\n%s", line, headers);
}

/* The value of header name (up to CR), copied into out. */
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

START_TEST(full_crl_with_caching_headers)
{
	char *hd, *b, etag[64], age[32];
	size_t len;
	uint64_t maxage = 0;

	hd = get("http://127.0.0.1:%u/crl/%s.crl", h.port, ca_id);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	expect(hd, "Content-Type: application/pkix-crl\r\n");
	expect(hd, "Last-Modified: Thu, 01 Jan 2026 00:00:00 GMT\r\n");
	expect(hd, "Content-Length: 6\r\n");
	header(hd, "Cache-Control: public, max-age=", age, sizeof(age));
	ck_assert_ptr_nonnull(strstr(age, ", no-transform"));
	*strchr(age, ',') = '\0';
	ck_assert_int_eq(mp_parse_u64(age, UINT64_MAX, &maxage), MP_OK);
	ck_assert_uint_ge(maxage, 3590);
	ck_assert_uint_le(maxage, 3600);
	header(hd, "Expires: ", age, sizeof(age));
	ck_assert_uint_eq(strlen(age), 29);
	ck_assert_str_eq(age + 25, " GMT");
	header(hd, "ETag: ", etag, sizeof(etag));
	ck_assert_uint_eq(strlen(etag), 34);
	ck_assert_int_eq(etag[0], '"');
	free(hd);
	b = body(&len);
	ck_assert_uint_eq(len, 6);
	ck_assert_int_eq(memcmp(b, "\x30\x82\x01\x02\x03\x04", 6), 0);
	free(b);

	/* the client's copy is current */
	hd = get("-H 'If-None-Match: W/%s' http://127.0.0.1:%u/crl/%s.crl", etag, h.port, ca_id);
	expect(hd, "HTTP/1.1 304 Not Modified\r\n");
	free(hd);
	hd = get("-H 'If-None-Match: \"0000\"' http://127.0.0.1:%u/crl/%s.crl", h.port, ca_id);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	free(hd);
	/* an upper-case id names the same CA */
	for (char *p = ca_id; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	hd = get("-I http://127.0.0.1:%u/crl/%s.crl", h.port, ca_id);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	expect(hd, "Content-Type: application/pkix-crl\r\n");
	free(hd);
}
END_TEST

START_TEST(delta_and_expired)
{
	char *hd, *b;
	size_t len;

	hd = get("http://127.0.0.1:%u/crl/%s-delta.crl", h.port, ca_id);
	expect(hd, "HTTP/1.1 404 Not Found\r\n");
	expect(hd, "Content-Type: application/json\r\n");
	free(hd);
	b = body(&len);
	ck_assert_str_eq(b, "{\"error\":{\"code\":\"not_found\",\"message\":\"no delta CRL for this CA\"}}");
	free(b);
	/* a delta past its nextUpdate may not be cached at all */
	ck_assert_int_eq(mp_db_query(db, "INSERT INTO crls (ca_id, delta, crl_number,"
	    " base_crl_number, this_update, next_update, der) VALUES ($1, true, 6, 5,"
	    " now() - interval '2 hours', now() - interval '1 hour', $2)", 2,
	    (const char *[]){ ca_id, delta_hex }, NULL), MP_OK);
	hd = get("http://127.0.0.1:%u/crl/%s-delta.crl", h.port, ca_id);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	expect(hd, "Cache-Control: public, max-age=0, no-transform\r\n");
	free(hd);
	b = body(&len);
	ck_assert_uint_eq(len, 6);
	ck_assert_int_eq(memcmp(b, "\x30\x82\xaa\xbb\xcc\xdd", 6), 0);
	free(b);
}
END_TEST

START_TEST(ca_certificate)
{
	char *hd, *b;
	size_t len;

	hd = get("http://127.0.0.1:%u/ca/%s.crt", h.port, ca_id);
	expect(hd, "HTTP/1.1 200 OK\r\n");
	expect(hd, "Content-Type: application/pkix-cert\r\n");
	expect(hd, "Cache-Control: public, max-age=3600, no-transform\r\n");
	expect(hd, "ETag: \"");
	free(hd);
	b = body(&len);
	ck_assert_uint_eq(len, 5);
	ck_assert_int_eq(memcmp(b, "\x30\x03\x02\x01\x01", 5), 0);
	free(b);
}
END_TEST

START_TEST(not_found)
{
	const char *paths[] = { "/crl/", "/crl/abc.crl", "/crl/00000000-0000-0000-0000-000000000000.crl",
		"/ca/00000000-0000-0000-0000-000000000000.crt", "/ca/x.crt", "/ca/",
		"/crl/00000000-0000-0000-0000-00000000000g.crl" };
	char *hd;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		hd = get("http://127.0.0.1:%u%s", h.port, paths[i]);
		expect(hd, "HTTP/1.1 404 Not Found\r\n");
		expect(hd, "Content-Type: application/json\r\n");
		free(hd);
	}
	hd = get("http://127.0.0.1:%u/crl/%s.pem", h.port, ca_id);
	expect(hd, "HTTP/1.1 404 Not Found\r\n");
	free(hd);
	hd = get("http://127.0.0.1:%u/crl/%s.crl.crl", h.port, ca_id);
	expect(hd, "HTTP/1.1 404 Not Found\r\n");
	free(hd);
	hd = get("-X POST http://127.0.0.1:%u/crl/%s.crl", h.port, ca_id);
	expect(hd, "HTTP/1.1 405 Method Not Allowed\r\n");
	free(hd);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("ocsp_crl_http");
	TCase *tc = tcase_create("http");

	tcase_add_checked_fixture(tc, start, stop);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, full_crl_with_caching_headers);
	tcase_add_test(tc, delta_and_expired);
	tcase_add_test(tc, ca_certificate);
	tcase_add_test(tc, not_found);
	suite_add_tcase(s, tc);
	return s;
}
