#include "crl_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/http.h>

#include "err.h"
#include "monotime.h"

#define KEY_LEN 32
/* How long a lookup waits for another thread's fetch of the same CRL beyond its timeout. */
#define WAIT_SLACK_S 5
/* How many CRLs one lookup drops and frees after it lets go of the mutex (more: freed at once). */
#define DEAD_MAX 8

enum state { FREE, LOADING, READY, FAILED };

struct entry {
	uint8_t key[KEY_LEN];
	enum state state;
	X509_CRL *crl;        /* READY; LOADING when fetched again while it counts */
	size_t bytes;         /* with crl: its DER */
	int64_t next_update;  /* with crl: Unix seconds */
	uint64_t until_ms;    /* READY fetched: kept until; FAILED: remembered until */
	uint64_t used;        /* the tick of its last use */
};

enum counter { HITS, MISSES, FAILURES, N_COUNTERS };

/* The CRLs a lookup dropped under the mutex, to free once it is released. */
struct dead {
	X509_CRL *crl[DEAD_MAX];
	int n;
};

struct mp_crl_cache {
	pthread_mutex_t lock;
	pthread_cond_t done;  /* broadcast when a load ends */
	mp_crl_cache_limits lim;
	struct entry *e;      /* lim.max_entries */
	size_t bytes;
	uint64_t tick;
	atomic_uint_fast64_t *n[N_COUNTERS];
	atomic_uint_fast64_t local[N_COUNTERS];
};

/* Where a CRL comes from: a distribution point, or a trust anchor's upload. */
struct source {
	bool fetched;
	X509 *issuer;
	const char *url;     /* fetched */
	const char *id;      /* uploaded: the anchor's id and the CRL's SHA-256 (hex) */
	const char *sha256;
	mp_crl_loader load;
	void *arg;
};

static const struct {
	const char *name, *help;
} counter_defs[N_COUNTERS] = {
	{ "midpki_crl_cache_hits_total", "CRL lookups answered from the CRL cache." },
	{ "midpki_crl_cache_misses_total", "CRLs fetched or read because the CRL cache lacked them." },
	{ "midpki_crl_fetch_failures_total",
	  "CRL fetches that failed or gave a CRL that did not check out." },
};

mp_crl_cache *
mp_crl_cache_new(const mp_crl_cache_limits *limits, mp_metrics *metrics)
{
	static const mp_crl_cache_limits defaults = { MP_CRL_CACHE_ENTRIES, MP_CRL_CACHE_BYTES,
		MP_CRL_CACHE_KEEP_MS, MP_CRL_CACHE_FAIL_MS };
	pthread_condattr_t attr;
	mp_crl_cache *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->lim = limits != NULL ? *limits : defaults;
	if (c->lim.max_entries == 0 || (c->e = calloc(c->lim.max_entries, sizeof(*c->e))) == NULL) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->done, &attr);
	pthread_condattr_destroy(&attr);
	for (int i = 0; i < N_COUNTERS; i++) {
		atomic_init(&c->local[i], 0);
		c->n[i] = mp_metrics_counter(metrics, counter_defs[i].name, counter_defs[i].help, NULL,
		    NULL);
		if (c->n[i] == NULL)
			c->n[i] = &c->local[i];
	}
	return c;
}

void
mp_crl_cache_free(mp_crl_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->lim.max_entries; i++)
		X509_CRL_free(c->e[i].crl);
	free(c->e);
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static void
count(mp_crl_cache *c, enum counter which)
{
	atomic_fetch_add_explicit(c->n[which], 1, memory_order_relaxed);
}

/*
 * The entry's key: SHA-256 over the kind, then the URL and the issuer's
 * SHA-256, or the anchor's id and the CRL's SHA-256.
 */
static int
make_key(const struct source *s, uint8_t key[KEY_LEN])
{
	unsigned char issuer[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	const char *a = s->fetched ? s->url : s->id;
	int r = MP_ERR_CRYPTO;

	if (md == NULL)
		return MP_ERR_NOMEM;
	if (s->fetched && X509_digest(s->issuer, EVP_sha256(), issuer, &len) != 1)
		goto out;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, s->fetched ? "dp" : "up", 3) != 1 ||
	    EVP_DigestUpdate(md, a, strlen(a) + 1) != 1 ||
	    (s->fetched ? EVP_DigestUpdate(md, issuer, len) :
	    EVP_DigestUpdate(md, s->sha256, strlen(s->sha256))) != 1 ||
	    EVP_DigestFinal_ex(md, key, NULL) != 1)
		goto out;
	r = MP_OK;
out:
	EVP_MD_CTX_free(md);
	return r;
}

/*
 * The checks every CRL passes once (see the header) on der, but for its
 * nextUpdate, which the caller compares with the time: *next_update gets it.
 * MP_ERR_INVALID when it does not check out.
 */
static int
intake(const struct source *s, const uint8_t *der, size_t len, X509_CRL **out,
    int64_t *next_update)
{
	const unsigned char *p = der;
	const ASN1_TIME *nu;
	EVP_PKEY *pub = X509_get0_pubkey(s->issuer);
	X509_CRL *crl = NULL;
	int days = 0, secs = 0, r = MP_ERR_INVALID;

	if (len == 0 || len > (size_t)MP_CRL_FETCH_MAX ||
	    (crl = d2i_X509_CRL(NULL, &p, (long)len)) == NULL || p != der + len || pub == NULL ||
	    X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(s->issuer)) != 0 ||
	    X509_CRL_verify(crl, pub) != 1 || (nu = X509_CRL_get0_nextUpdate(crl)) == NULL ||
	    ASN1_TIME_diff(&days, &secs, NULL, nu) != 1)
		goto out;
	if (s->fetched && X509_cmp_current_time(X509_CRL_get0_lastUpdate(crl)) >= 0)
		goto out;
	/* sorted now, while no other thread sees it (see the header) */
	sk_X509_REVOKED_sort(X509_CRL_get_REVOKED(crl));
	*next_update = (int64_t)time(NULL) + (int64_t)days * 86400 + secs;
	*out = crl;
	crl = NULL;
	r = MP_OK;
out:
	ERR_clear_error();
	X509_CRL_free(crl);
	return r;
}

/* The DER at url, over http:// (MP_CRL_FETCH_TIMEOUT_S, MP_CRL_FETCH_MAX), checked by intake. */
static int
fetch(const struct source *s, X509_CRL **out, int64_t *next_update, size_t *bytes)
{
	BIO *bio;
	char *data = NULL;
	long n = 0;
	int r = MP_ERR_UNSUPPORTED;

	if ((bio = OSSL_HTTP_get(s->url, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, 1,
	    MP_CRL_FETCH_MAX, MP_CRL_FETCH_TIMEOUT_S)) == NULL ||
	    BIO_method_type(bio) != BIO_TYPE_MEM || (n = BIO_get_mem_data(bio, &data)) <= 0 ||
	    intake(s, (const uint8_t *)data, (size_t)n, out, next_update) != MP_OK)
		goto out;
	*bytes = (size_t)n;
	r = MP_OK;
out:
	ERR_clear_error();
	BIO_free(bio);
	return r;
}

/* The uploaded CRL through the caller's loader, checked by intake. */
static int
read_uploaded(const struct source *s, X509_CRL **out, int64_t *next_update, size_t *bytes)
{
	uint8_t *der = NULL;
	size_t len = 0;
	int r;

	if ((r = s->load(s->arg, s->id, s->sha256, &der, &len)) != MP_OK)
		goto out;
	if (intake(s, der, len, out, next_update) != MP_OK) {
		r = MP_ERR_INTEGRITY;
		goto out;
	}
	*bytes = len;
out:
	free(der);
	return r;
}

static int
load_source(const struct source *s, X509_CRL **out, int64_t *next_update, size_t *bytes)
{
	return s->fetched ? fetch(s, out, next_update, bytes) : read_uploaded(s, out, next_update,
	    bytes);
}

/*
 * Takes e's CRL out of it; it goes to d, to be freed by bury (a large CRL
 * takes milliseconds to free).
 */
static void
release(mp_crl_cache *c, struct entry *e, struct dead *d)
{
	if (e->crl != NULL && d->n < DEAD_MAX)
		d->crl[d->n++] = e->crl;
	else
		X509_CRL_free(e->crl);
	c->bytes -= e->bytes;
	e->crl = NULL;
	e->bytes = 0;
}

/* Empties e. */
static void
drop(mp_crl_cache *c, struct entry *e, struct dead *d)
{
	release(c, e, d);
	memset(e, 0, sizeof(*e));
}

static void
bury(struct dead *d)
{
	for (int i = 0; i < d->n; i++)
		X509_CRL_free(d->crl[i]);
	d->n = 0;
}

static struct entry *
find(mp_crl_cache *c, const uint8_t key[KEY_LEN])
{
	for (size_t i = 0; i < c->lim.max_entries; i++)
		if (c->e[i].state != FREE && memcmp(c->e[i].key, key, KEY_LEN) == 0)
			return &c->e[i];
	return NULL;
}

/* The least recently used entry that is not loading, other than keep; NULL when none. */
static struct entry *
oldest(mp_crl_cache *c, const struct entry *keep)
{
	struct entry *o = NULL;

	for (size_t i = 0; i < c->lim.max_entries; i++) {
		struct entry *e = &c->e[i];

		if (e != keep && (e->state == READY || e->state == FAILED) &&
		    (o == NULL || e->used < o->used))
			o = e;
	}
	return o;
}

/* A slot marked LOADING for key: a free one, else the oldest's; NULL when every one is loading. */
static struct entry *
take_slot(mp_crl_cache *c, const uint8_t key[KEY_LEN], struct dead *d)
{
	struct entry *e = NULL;

	for (size_t i = 0; e == NULL && i < c->lim.max_entries; i++)
		if (c->e[i].state == FREE)
			e = &c->e[i];
	if (e == NULL && (e = oldest(c, NULL)) != NULL)
		drop(c, e, d);
	if (e != NULL) {
		memcpy(e->key, key, KEY_LEN);
		e->state = LOADING;
		e->used = ++c->tick;
	}
	return e;
}

/*
 * Keeps crl in the loading entry e, then drops the oldest until the bytes
 * fit (e too when it alone does not).
 */
static void
keep(mp_crl_cache *c, struct entry *e, X509_CRL *crl, int64_t next_update, size_t bytes,
    struct dead *d)
{
	struct entry *o;

	if (X509_CRL_up_ref(crl) != 1) {
		drop(c, e, d);
		return;
	}
	e->state = READY;
	e->crl = crl;
	e->bytes = bytes;
	e->next_update = next_update;
	e->until_ms = mp_monotonic_ms() + c->lim.keep_ms;
	c->bytes += bytes;
	while (c->bytes > c->lim.max_bytes && (o = oldest(c, e)) != NULL)
		drop(c, o, d);
	if (c->bytes > c->lim.max_bytes)
		drop(c, e, d);
}

/* What a lookup of a CRL that is past its nextUpdate, or cannot be had, returns. */
static int
unusable(const struct source *s, bool expired)
{
	return !s->fetched && expired ? MP_ERR_EXPIRED : MP_ERR_UNSUPPORTED;
}

/* Waits for another thread's load until deadline (monotonic ms); false when it passed. */
static bool
wait_load(mp_crl_cache *c, uint64_t deadline)
{
	struct timespec ts = { (time_t)(deadline / 1000), (long)(deadline % 1000) * 1000000L };

	return pthread_cond_timedwait(&c->done, &c->lock, &ts) != ETIMEDOUT ||
	    mp_monotonic_ms() < deadline;
}

/*
 * Under the mutex: true when the cache answers the lookup of key (*r, and
 * *out on MP_OK, set); false when the caller is to load the CRL into *slot
 * (LOADING; NULL when no slot is free: loaded, not kept). A fetched CRL kept
 * keep_ms is fetched again while it still counts: its entry stays LOADING
 * with it, and other lookups use it meanwhile.
 */
static bool
cached(mp_crl_cache *c, const struct source *s, const uint8_t key[KEY_LEN], struct dead *d,
    struct entry **slot, X509_CRL **out, int *r)
{
	uint64_t deadline = mp_monotonic_ms() + (MP_CRL_FETCH_TIMEOUT_S + WAIT_SLACK_S) * 1000ULL;
	struct entry *e;

	while ((e = find(c, key)) != NULL) {
		bool current = e->crl != NULL && e->next_update > (int64_t)time(NULL);

		if (e->state == LOADING && !current) {
			if (!wait_load(c, deadline)) {
				*r = unusable(s, false);
				return true;
			}
			continue;
		}
		if (s->fetched && e->state == READY && current && mp_monotonic_ms() >= e->until_ms) {
			e->state = LOADING;
			*slot = e;
			return false;
		}
		/* a fetched CRL past its nextUpdate, a failure long enough ago */
		if ((s->fetched && e->state == READY && !current) ||
		    (e->state == FAILED && mp_monotonic_ms() >= e->until_ms)) {
			drop(c, e, d);
			continue;
		}
		e->used = ++c->tick;
		*r = e->state == FAILED ? unusable(s, false) : !current ? unusable(s, true) :
		    X509_CRL_up_ref(e->crl) == 1 ? MP_OK : MP_ERR_CRYPTO;
		if (*r == MP_OK)
			*out = e->crl;
		count(c, HITS);
		return true;
	}
	*slot = take_slot(c, key, d);
	return false;
}

/*
 * Under the mutex: the outcome of loading into e (may be NULL): crl (may be
 * NULL) kept; or, when a fetch again failed and the CRL e has still counts,
 * that one kept and handed out (*r MP_OK) until fail_ms passed; or a failed
 * fetch remembered. What the lookup hands out, or NULL.
 */
static X509_CRL *
settle(mp_crl_cache *c, const struct source *s, struct entry *e, X509_CRL *crl,
    int64_t next_update, size_t bytes, int *r, struct dead *d)
{
	if (e != NULL && crl != NULL) {
		release(c, e, d);
		keep(c, e, crl, next_update, bytes, d);
	} else if (e != NULL && e->crl != NULL && e->next_update > (int64_t)time(NULL) &&
	    X509_CRL_up_ref(e->crl) == 1) {
		e->state = READY;
		e->until_ms = mp_monotonic_ms() + c->lim.fail_ms;
		*r = MP_OK;
		return e->crl;
	} else if (e != NULL && s->fetched) {
		release(c, e, d);
		e->state = FAILED;
		e->until_ms = mp_monotonic_ms() + c->lim.fail_ms;
	} else if (e != NULL) {
		drop(c, e, d);
	}
	return crl;
}

static int
get(mp_crl_cache *c, const struct source *s, X509_CRL **out)
{
	uint8_t key[KEY_LEN];
	struct entry *e = NULL;
	struct dead dead = { { NULL }, 0 };
	X509_CRL *crl = NULL, *handed;
	int64_t next_update = 0;
	size_t bytes = 0;
	bool answered;
	int r = MP_OK;

	if (c == NULL) {
		if ((r = load_source(s, &crl, &next_update, &bytes)) != MP_OK)
			return r;
		if (next_update <= (int64_t)time(NULL)) {
			X509_CRL_free(crl);
			return unusable(s, true);
		}
		*out = crl;
		return MP_OK;
	}
	if ((r = make_key(s, key)) != MP_OK)
		return r;
	pthread_mutex_lock(&c->lock);
	answered = cached(c, s, key, &dead, &e, out, &r);
	pthread_mutex_unlock(&c->lock);
	bury(&dead);
	if (answered)
		return r;
	count(c, MISSES);
	r = load_source(s, &crl, &next_update, &bytes);
	if (r == MP_OK && next_update <= (int64_t)time(NULL)) {
		/* an uploaded one is kept (it is what the anchor has), a fetched one is a failure */
		r = unusable(s, true);
		if (s->fetched) {
			X509_CRL_free(crl);
			crl = NULL;
		}
	}
	if (r != MP_OK && s->fetched)
		count(c, FAILURES);
	pthread_mutex_lock(&c->lock);
	handed = settle(c, s, e, crl, next_update, bytes, &r, &dead);
	pthread_cond_broadcast(&c->done);
	pthread_mutex_unlock(&c->lock);
	bury(&dead);
	if (handed != crl)
		X509_CRL_free(crl);
	if (r == MP_OK)
		*out = handed;
	else
		X509_CRL_free(handed);
	return r;
}

int
mp_crl_cache_fetch(mp_crl_cache *c, const char *url, X509 *issuer, X509_CRL **out)
{
	struct source s = { true, issuer, url, NULL, NULL, NULL, NULL };

	if (url == NULL || issuer == NULL)
		return MP_ERR_INVALID;
	return get(c, &s, out);
}

int
mp_crl_cache_uploaded(mp_crl_cache *c, const char *id, const char *sha256, X509 *anchor,
    mp_crl_loader load, void *arg, X509_CRL **out)
{
	struct source s = { false, anchor, NULL, id, sha256, load, arg };

	if (id == NULL || sha256 == NULL || anchor == NULL || load == NULL)
		return MP_ERR_INVALID;
	return get(c, &s, out);
}
