/*
 * The CRL cache (common/crl_cache.c) against CRLs served by a real HTTP server
 * on loopback (the project's own, http_harness), which counts the requests
 * of every path: one fetch for many lookups, also from threads at once; a
 * fetch again after nextUpdate; bad CRLs never kept; failures remembered for
 * the window, then fetched again; the bounds; uploaded CRLs through a loader.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "buf.h"
#include "check_main.h"
#include "crl_cache.h"
#include "err.h"
#include "http_harness.h"
#include "monotime.h"
#include "num.h"

#define PATHS 8

/* What the server serves: DER (NULL: 404) by path, and how often each was asked for. */
static struct served {
	char path[32];
	uint8_t *der;
	size_t len;
	int requests;
} served[PATHS];
static pthread_mutex_t served_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned delay_ms;  /* how long the server takes for each answer */

static struct http_harness h;
static EVP_PKEY *ca_key, *other_key;
static X509 *ca, *other;

static struct served *
slot(const char *path)
{
	for (int i = 0; i < PATHS; i++)
		if (strcmp(served[i].path, path) == 0 || served[i].path[0] == '\0') {
			snprintf(served[i].path, sizeof(served[i].path), "%s", path);
			return &served[i];
		}
	ck_abort_msg("too many paths");
	return NULL;
}

static void
h_crl(mp_http_req *req, void *arg)
{
	struct served *s;
	uint8_t *der = NULL;
	size_t len = 0;

	(void)arg;
	pthread_mutex_lock(&served_lock);
	s = slot(mp_http_req_path(req));
	s->requests++;
	if (s->der != NULL && (der = malloc(s->len)) != NULL) {
		memcpy(der, s->der, s->len);
		len = s->len;
	}
	pthread_mutex_unlock(&served_lock);
	if (delay_ms > 0)
		usleep(delay_ms * 1000);
	if (der != NULL)
		mp_http_reply(req, 200, "application/pkix-crl", der, len);
	else
		mp_http_reply(req, 404, "text/plain", "no", 2);
	free(der);
}

static const mp_http_route routes[] = { { "GET", "/crl/*", h_crl } };

/* Serves der (NULL: 404) at path. */
static void
serve(const char *path, uint8_t *der, int len)
{
	struct served *s;

	pthread_mutex_lock(&served_lock);
	s = slot(path);
	OPENSSL_free(s->der);
	s->der = der;
	s->len = der != NULL ? (size_t)len : 0;
	pthread_mutex_unlock(&served_lock);
}

static int
requests(const char *path)
{
	int n;

	pthread_mutex_lock(&served_lock);
	n = slot(path)->requests;
	pthread_mutex_unlock(&served_lock);
	return n;
}

static char *
url(const char *path)
{
	static char u[8][96];
	static int next;
	char *p = u[next++ % 8];

	snprintf(p, sizeof(u[0]), "http://127.0.0.1:%u%s", h.port, path);
	return p;
}

static X509_NAME *
name(const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	ck_assert_int_eq(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn,
	    -1, -1, 0), 1);
	return n;
}

/* A self-signed CA certificate of key named cn. */
static X509 *
make_ca(EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *n = name(cn);

	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	X509_NAME_free(n);
	return x;
}

/* A certificate of issuer with serial (unsigned: only its issuer and serial count here). */
static X509 *
leaf(X509 *issuer, long serial)
{
	X509 *x = X509_new();

	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_set_issuer_name(x, X509_get_subject_name(issuer));
	return x;
}

/*
 * The DER of a CRL named as issuer's, signed with key, thisUpdate a minute
 * ago, nextUpdate next_s from now, listing serials (given in descending
 * order, so that the CRL is not sorted).
 */
static uint8_t *
make_crl(X509 *issuer, EVP_PKEY *key, long next_s, const long *serials, int n, int *len)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	uint8_t *der = NULL;

	ck_assert_int_eq(X509_CRL_set_version(crl, 1), 1);
	ck_assert_int_eq(X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)), 1);
	X509_gmtime_adj(t, -60);
	ck_assert_int_eq(X509_CRL_set1_lastUpdate(crl, t), 1);
	for (int i = n - 1; i >= 0; i--) {
		X509_REVOKED *rv = X509_REVOKED_new();
		ASN1_INTEGER *s = ASN1_INTEGER_new();

		ASN1_INTEGER_set(s, serials[i]);
		ck_assert_int_eq(X509_REVOKED_set_serialNumber(rv, s), 1);
		ck_assert_int_eq(X509_REVOKED_set_revocationDate(rv, t), 1);
		ck_assert_int_eq(X509_CRL_add0_revoked(crl, rv), 1);
		ASN1_INTEGER_free(s);
	}
	X509_gmtime_adj(t, next_s);
	ck_assert_int_eq(X509_CRL_set1_nextUpdate(crl, t), 1);
	ck_assert_int_gt(X509_CRL_sign(crl, key, EVP_sha256()), 0);
	*len = i2d_X509_CRL(crl, &der);
	ck_assert_int_gt(*len, 0);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	return der;
}

/* Serves a CRL of issuer (signed with key) at path; its DER length. */
static int
serve_crl(const char *path, X509 *issuer, EVP_PKEY *key, long next_s, const long *serials, int n)
{
	int len;
	uint8_t *der = make_crl(issuer, key, next_s, serials, n, &len);

	serve(path, der, len);
	return len;
}

/* Whether the certificate of ca with serial is on crl. */
static int
listed(X509_CRL *crl, long serial)
{
	X509_REVOKED *rev = NULL;
	X509 *x = leaf(ca, serial);
	int r = X509_CRL_get0_by_cert(crl, &rev, x);

	X509_free(x);
	return r;
}

/*
 * A lookup of path through c gives a CRL that lists serial or not
 * (is_listed); path was asked for nrequests times.
 */
static void
expect_lookup(mp_crl_cache *c, const char *path, long serial, int is_listed, int nrequests)
{
	X509_CRL *crl = NULL;

	ck_assert_int_eq(mp_crl_cache_fetch(c, url(path), ca, &crl), MP_OK);
	ck_assert_int_eq(listed(crl, serial), is_listed);
	X509_CRL_free(crl);
	ck_assert_int_eq(requests(path), nrequests);
}

static void
setup(void)
{
	char addr[64], err[256];

	memset(served, 0, sizeof(served));
	delay_ms = 0;
	ck_assert_ptr_nonnull(ca_key = EVP_EC_gen("P-256"));
	ck_assert_ptr_nonnull(other_key = EVP_EC_gen("P-256"));
	ca = make_ca(ca_key, "Test Mfr CA");
	other = make_ca(other_key, "Other CA");
	hh_init(&h, addr, sizeof(addr));
	hh_new_server(&h);
	ck_assert_int_eq(mp_http_listen(h.srv, "crl", addr, NULL, routes, 1, NULL, err, sizeof(err)),
	    MP_OK);
	hh_run(&h);
}

static void
teardown(void)
{
	hh_stop(&h);
	for (int i = 0; i < PATHS; i++)
		OPENSSL_free(served[i].der);
	X509_free(ca);
	X509_free(other);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(other_key);
}

static const mp_crl_cache_limits small = { 8, 1 << 24, 60000, 500 };

/* The value of a counter in the registry's text. */
static unsigned long
metric(mp_metrics *m, const char *name_sp)
{
	mp_buf *b = mp_buf_new(1 << 20);
	const char *p;
	char *text;
	uint64_t v = 0;

	ck_assert_int_eq(mp_metrics_render(m, b), MP_OK);
	p = strstr(mp_buf_str(b), name_sp);
	ck_assert_msg(p != NULL, "no %s", name_sp);
	p += strlen(name_sp);
	ck_assert_ptr_nonnull(text = strndup(p, strcspn(p, "\n")));
	ck_assert_int_eq(mp_parse_u64(text, UINT64_MAX, &v), MP_OK);
	free(text);
	mp_buf_free(b);
	return (unsigned long)v;
}

START_TEST(fetched_once_for_many_lookups)
{
	static const long revoked[] = { 2, 7, 9, 40 };
	mp_metrics *m = mp_metrics_new();
	mp_crl_cache *c = mp_crl_cache_new(&small, m);
	X509_CRL *crl = NULL;

	serve_crl("/crl/a.crl", ca, ca_key, 3600, revoked, 4);
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(mp_crl_cache_fetch(c, url("/crl/a.crl"), ca, &crl), MP_OK);
		/* sorted when it entered: no lookup sorts it (or takes its lock) */
		ck_assert_int_eq(sk_X509_REVOKED_is_sorted(X509_CRL_get_REVOKED(crl)), 1);
		ck_assert_int_eq(listed(crl, 7), 1);
		ck_assert_int_eq(listed(crl, 40), 1);
		ck_assert_int_eq(listed(crl, 8), 0);
		X509_CRL_free(crl);
		crl = NULL;
	}
	ck_assert_int_eq(requests("/crl/a.crl"), 1);
	ck_assert_uint_eq(metric(m, "\nmidpki_crl_cache_hits_total "), 19);
	ck_assert_uint_eq(metric(m, "\nmidpki_crl_cache_misses_total "), 1);
	ck_assert_uint_eq(metric(m, "\nmidpki_crl_fetch_failures_total "), 0);
	/* the CRL counts for the issuer it was verified against only */
	ck_assert_int_eq(mp_crl_cache_fetch(c, url("/crl/a.crl"), other, &crl), MP_ERR_UNSUPPORTED);
	ck_assert_ptr_null(crl);
	ck_assert_int_eq(requests("/crl/a.crl"), 2);
	ck_assert_uint_eq(metric(m, "\nmidpki_crl_fetch_failures_total "), 1);
	/* without a cache every lookup fetches */
	ck_assert_int_eq(mp_crl_cache_fetch(NULL, url("/crl/a.crl"), ca, &crl), MP_OK);
	X509_CRL_free(crl);
	ck_assert_int_eq(requests("/crl/a.crl"), 3);
	mp_crl_cache_free(c);
	mp_metrics_free(m);
}
END_TEST

/* times lookups of url through c; ok counts those that gave a CRL listing serial. */
struct lookups {
	mp_crl_cache *c;
	const char *url;
	int times;
	long serial;
	int ok;
};

static void *
look_up(void *arg)
{
	struct lookups *l = arg;
	X509_CRL *crl = NULL;

	for (int i = 0; i < l->times; i++) {
		if (mp_crl_cache_fetch(l->c, l->url, ca, &crl) == MP_OK && listed(crl, l->serial) == 1)
			l->ok++;
		X509_CRL_free(crl);
		crl = NULL;
	}
	return NULL;
}

START_TEST(one_fetch_for_threads_at_once)
{
	static const long revoked[] = { 3 };
	mp_crl_cache *c = mp_crl_cache_new(&small, NULL);
	struct lookups l[8];
	pthread_t t[8];

	serve_crl("/crl/b.crl", ca, ca_key, 3600, revoked, 1);
	delay_ms = 300;
	for (int i = 0; i < 8; i++) {
		l[i] = (struct lookups){ c, url("/crl/b.crl"), 50, 3, 0 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, look_up, &l[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(l[i].ok, 50);
	}
	ck_assert_int_eq(requests("/crl/b.crl"), 1);
	mp_crl_cache_free(c);
}
END_TEST

START_TEST(fetched_again_after_next_update)
{
	static const long first[] = { 5 }, second[] = { 5, 6 };
	mp_crl_cache *c = mp_crl_cache_new(&small, NULL);

	serve_crl("/crl/c.crl", ca, ca_key, 2, first, 1);
	expect_lookup(c, "/crl/c.crl", 6, 0, 1);
	/* the next CRL is published, the cached one still counts until its nextUpdate */
	serve_crl("/crl/c.crl", ca, ca_key, 3600, second, 2);
	expect_lookup(c, "/crl/c.crl", 6, 0, 1);
	sleep(3);
	expect_lookup(c, "/crl/c.crl", 6, 1, 2);
	mp_crl_cache_free(c);
}
END_TEST

START_TEST(kept_at_most_keep_ms)
{
	static const long first[] = { 5 }, second[] = { 6 };
	mp_crl_cache_limits lim = small;
	mp_metrics *m = mp_metrics_new();
	mp_crl_cache *c;

	lim.keep_ms = 300;
	c = mp_crl_cache_new(&lim, m);
	serve_crl("/crl/k.crl", ca, ca_key, 3600, first, 1);
	expect_lookup(c, "/crl/k.crl", 6, 0, 1);
	serve_crl("/crl/k.crl", ca, ca_key, 3600, second, 1);
	usleep(400 * 1000);
	expect_lookup(c, "/crl/k.crl", 6, 1, 2);

	/* kept long enough, and the fetch again fails: the CRL it has counts until its nextUpdate */
	serve("/crl/k.crl", NULL, 0);
	usleep(400 * 1000);
	expect_lookup(c, "/crl/k.crl", 6, 1, 3);
	ck_assert_uint_eq(metric(m, "\nmidpki_crl_fetch_failures_total "), 1);
	/* not fetched again within the failure window, then fetched again */
	expect_lookup(c, "/crl/k.crl", 6, 1, 3);
	serve_crl("/crl/k.crl", ca, ca_key, 3600, first, 1);
	usleep(600 * 1000);
	expect_lookup(c, "/crl/k.crl", 6, 0, 4);
	mp_crl_cache_free(c);
	mp_metrics_free(m);
}
END_TEST

START_TEST(others_use_the_kept_crl_while_it_is_fetched_again)
{
	static const long first[] = { 5 }, second[] = { 6 };
	mp_crl_cache_limits lim = small;
	struct lookups l;
	mp_crl_cache *c;
	X509_CRL *crl = NULL;
	pthread_t t;
	uint64_t t0;

	lim.keep_ms = 200;
	c = mp_crl_cache_new(&lim, NULL);
	serve_crl("/crl/r.crl", ca, ca_key, 3600, first, 1);
	expect_lookup(c, "/crl/r.crl", 5, 1, 1);
	usleep(300 * 1000);
	/* a slow server: one thread fetches again, lookups meanwhile answer at once */
	serve_crl("/crl/r.crl", ca, ca_key, 3600, second, 1);
	delay_ms = 1500;
	l = (struct lookups){ c, url("/crl/r.crl"), 1, 6, 0 };
	ck_assert_int_eq(pthread_create(&t, NULL, look_up, &l), 0);
	usleep(300 * 1000);
	t0 = mp_monotonic_ms();
	ck_assert_int_eq(mp_crl_cache_fetch(c, url("/crl/r.crl"), ca, &crl), MP_OK);
	ck_assert_uint_lt(mp_monotonic_ms() - t0, 500);
	ck_assert_int_eq(listed(crl, 5), 1);
	X509_CRL_free(crl);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(l.ok, 1);
	ck_assert_int_eq(requests("/crl/r.crl"), 2);
	expect_lookup(c, "/crl/r.crl", 6, 1, 2);
	mp_crl_cache_free(c);
}
END_TEST

START_TEST(bad_crls_never_kept_failures_remembered)
{
	static const long revoked[] = { 4 };
	mp_crl_cache *c = mp_crl_cache_new(&small, NULL);
	X509_CRL *crl = NULL;
	uint8_t *junk;

	/* named as the CA's, signed with another key */
	serve_crl("/crl/d.crl", ca, other_key, 3600, revoked, 1);
	ck_assert_int_eq(mp_crl_cache_fetch(c, url("/crl/d.crl"), ca, &crl), MP_ERR_UNSUPPORTED);
	ck_assert_ptr_null(crl);
	/* remembered: no fetch within the window */
	ck_assert_int_eq(mp_crl_cache_fetch(c, url("/crl/d.crl"), ca, &crl), MP_ERR_UNSUPPORTED);
	ck_assert_int_eq(requests("/crl/d.crl"), 1);
	/* after it, fetched again: the good one now */
	serve_crl("/crl/d.crl", ca, ca_key, 3600, revoked, 1);
	usleep(600 * 1000);
	expect_lookup(c, "/crl/d.crl", 4, 1, 2);

	/* past its nextUpdate when fetched, 404, trailing bytes, no server: each refused */
	serve_crl("/crl/e.crl", ca, ca_key, -10, revoked, 1);
	ck_assert_int_eq(mp_crl_cache_fetch(c, url("/crl/e.crl"), ca, &crl), MP_ERR_UNSUPPORTED);
	serve("/crl/f.crl", NULL, 0);
	ck_assert_int_eq(mp_crl_cache_fetch(c, url("/crl/f.crl"), ca, &crl), MP_ERR_UNSUPPORTED);
	ck_assert_int_eq(requests("/crl/f.crl"), 1);
	{
		int len;
		uint8_t *der = make_crl(ca, ca_key, 3600, revoked, 1, &len);

		junk = OPENSSL_malloc((size_t)len + 1);
		memcpy(junk, der, (size_t)len);
		junk[len] = 0;
		OPENSSL_free(der);
		serve("/crl/g.crl", junk, len + 1);
	}
	ck_assert_int_eq(mp_crl_cache_fetch(c, url("/crl/g.crl"), ca, &crl), MP_ERR_UNSUPPORTED);
	{
		char dead[64];

		snprintf(dead, sizeof(dead), "http://127.0.0.1:%u/crl/x.crl", hh_free_port());
		ck_assert_int_eq(mp_crl_cache_fetch(c, dead, ca, &crl), MP_ERR_UNSUPPORTED);
	}
	ck_assert_ptr_null(crl);
	mp_crl_cache_free(c);
}
END_TEST

START_TEST(bounds)
{
	static const long revoked[] = { 1, 2, 3 };
	mp_crl_cache_limits lim = small;
	mp_crl_cache *c;
	X509_CRL *crl = NULL;
	const char *paths[] = { "/crl/1.crl", "/crl/2.crl", "/crl/3.crl" };
	int len = 0;

	/* two entries: the least recently used goes */
	lim.max_entries = 2;
	c = mp_crl_cache_new(&lim, NULL);
	for (int i = 0; i < 3; i++)
		len = serve_crl(paths[i], ca, ca_key, 3600, revoked, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(mp_crl_cache_fetch(c, url(paths[i]), ca, &crl), MP_OK);
		X509_CRL_free(crl);
	}
	ck_assert_int_eq(mp_crl_cache_fetch(c, url(paths[2]), ca, &crl), MP_OK);
	X509_CRL_free(crl);
	ck_assert_int_eq(mp_crl_cache_fetch(c, url(paths[0]), ca, &crl), MP_OK);
	X509_CRL_free(crl);
	ck_assert_int_eq(requests(paths[0]), 2);
	ck_assert_int_eq(requests(paths[1]), 1);
	ck_assert_int_eq(requests(paths[2]), 1);
	/* now 3 and 1 are kept, 2 went */
	ck_assert_int_eq(mp_crl_cache_fetch(c, url(paths[2]), ca, &crl), MP_OK);
	X509_CRL_free(crl);
	ck_assert_int_eq(requests(paths[2]), 1);
	mp_crl_cache_free(c);

	/* room for one CRL's bytes: each new one pushes the other out */
	lim = small;
	lim.max_bytes = (size_t)len + 10;
	c = mp_crl_cache_new(&lim, NULL);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 2; i++) {
			ck_assert_int_eq(mp_crl_cache_fetch(c, url(paths[i]), ca, &crl), MP_OK);
			X509_CRL_free(crl);
		}
	ck_assert_int_eq(requests(paths[0]), 4);
	ck_assert_int_eq(requests(paths[1]), 3);
	mp_crl_cache_free(c);

	/* a CRL larger than all the room is used, not kept */
	lim.max_bytes = 10;
	c = mp_crl_cache_new(&lim, NULL);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(mp_crl_cache_fetch(c, url(paths[2]), ca, &crl), MP_OK);
		X509_CRL_free(crl);
	}
	ck_assert_int_eq(requests(paths[2]), 3);
	mp_crl_cache_free(c);
}
END_TEST

/* A loader for the uploaded CRLs: the DER in arg, counting its calls. */
struct upload {
	uint8_t *der;
	int len;
	int calls;
	int err;
	char id[40], sha256[72];
};

static int
load_upload(void *arg, const char *id, const char *sha256, uint8_t **der, size_t *len)
{
	struct upload *u = arg;

	u->calls++;
	snprintf(u->id, sizeof(u->id), "%s", id);
	snprintf(u->sha256, sizeof(u->sha256), "%s", sha256);
	if (u->err != MP_OK)
		return u->err;
	ck_assert_ptr_nonnull(*der = malloc((size_t)u->len));
	memcpy(*der, u->der, (size_t)u->len);
	*len = (size_t)u->len;
	return MP_OK;
}

START_TEST(uploaded)
{
	static const long revoked[] = { 11 };
	mp_crl_cache *c = mp_crl_cache_new(&small, NULL);
	struct upload u = { 0 };
	X509_CRL *crl = NULL;

	u.der = make_crl(ca, ca_key, 3600, revoked, 1, &u.len);
	for (int i = 0; i < 5; i++) {
		ck_assert_int_eq(mp_crl_cache_uploaded(c, "anchor-1", "aa01", ca, load_upload, &u, &crl),
		    MP_OK);
		ck_assert_int_eq(listed(crl, 11), 1);
		ck_assert_int_eq(listed(crl, 12), 0);
		X509_CRL_free(crl);
	}
	ck_assert_int_eq(u.calls, 1);
	ck_assert_str_eq(u.id, "anchor-1");
	ck_assert_str_eq(u.sha256, "aa01");
	/* another digest (a replaced CRL), another anchor: read again */
	ck_assert_int_eq(mp_crl_cache_uploaded(c, "anchor-1", "bb02", ca, load_upload, &u, &crl),
	    MP_OK);
	X509_CRL_free(crl);
	ck_assert_int_eq(mp_crl_cache_uploaded(c, "anchor-2", "aa01", ca, load_upload, &u, &crl),
	    MP_OK);
	X509_CRL_free(crl);
	ck_assert_int_eq(u.calls, 3);
	OPENSSL_free(u.der);

	/* past its nextUpdate: refused, and not read again */
	u.der = make_crl(ca, ca_key, -5, revoked, 1, &u.len);
	crl = NULL;
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(mp_crl_cache_uploaded(c, "anchor-3", "cc03", ca, load_upload, &u,
		    &crl), MP_ERR_EXPIRED);
	ck_assert_ptr_null(crl);
	ck_assert_int_eq(u.calls, 4);
	OPENSSL_free(u.der);

	/* not the anchor's signature: an integrity error, not kept */
	u.der = make_crl(ca, other_key, 3600, revoked, 1, &u.len);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(mp_crl_cache_uploaded(c, "anchor-4", "dd04", ca, load_upload, &u,
		    &crl), MP_ERR_INTEGRITY);
	ck_assert_int_eq(u.calls, 6);
	/* the loader's errors come through */
	u.err = MP_ERR_NOT_FOUND;
	ck_assert_int_eq(mp_crl_cache_uploaded(c, "anchor-5", "ee05", ca, load_upload, &u, &crl),
	    MP_ERR_NOT_FOUND);
	ck_assert_ptr_null(crl);
	OPENSSL_free(u.der);
	mp_crl_cache_free(c);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("crl_cache");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, fetched_once_for_many_lookups);
	tcase_add_test(tc, one_fetch_for_threads_at_once);
	tcase_add_test(tc, fetched_again_after_next_update);
	tcase_add_test(tc, kept_at_most_keep_ms);
	tcase_add_test(tc, others_use_the_kept_crl_while_it_is_fetched_again);
	tcase_add_test(tc, bad_crls_never_kept_failures_remembered);
	tcase_add_test(tc, bounds);
	tcase_add_test(tc, uploaded);
	suite_add_tcase(s, tc);
	return s;
}
