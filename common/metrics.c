#include "metrics.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define NAME_MAX_LEN 32
#define NBUCKETS 13

/* Upper bounds of the latency buckets in microseconds (0.001 s .. 10 s). */
static const uint64_t bucket_us[NBUCKETS] = { 1000, 2500, 5000, 10000, 25000, 50000, 100000,
	250000, 500000, 1000000, 2500000, 5000000, 10000000 };
static const char *const bucket_le[NBUCKETS] = { "0.001", "0.0025", "0.005", "0.01", "0.025",
	"0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10" };

struct code_slot {
	atomic_int code; /* 0 = free; published after the count is zeroed */
	atomic_uint_fast64_t count;
};

struct listener_slot {
	char name[NAME_MAX_LEN];
	struct code_slot codes[MP_METRICS_MAX_CODES];
	atomic_uint_fast64_t other;          /* responses whose code found no slot */
	atomic_uint_fast64_t buckets[NBUCKETS + 1]; /* per bucket, not cumulative; last = +Inf */
	atomic_uint_fast64_t sum_us;
	atomic_int_fast64_t connections;
};

struct mp_metrics {
	pthread_mutex_t lock;  /* taken only to add a listener or a code */
	atomic_size_t nlisteners;
	struct listener_slot listeners[MP_METRICS_MAX_LISTENERS];
	atomic_uint_fast64_t db_errors;
};

mp_metrics *
mp_metrics_new(void)
{
	mp_metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		return NULL;
	}
	return m;
}

void
mp_metrics_free(mp_metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static struct listener_slot *
find_listener(mp_metrics *m, const char *name, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(m->listeners[i].name, name) == 0)
			return &m->listeners[i];
	return NULL;
}

/* The slot of listener name, added if new; NULL when the table is full or the name too long. */
static struct listener_slot *
listener(mp_metrics *m, const char *name)
{
	struct listener_slot *l;
	size_t n = atomic_load_explicit(&m->nlisteners, memory_order_acquire);

	if ((l = find_listener(m, name, n)) != NULL)
		return l;
	if (strlen(name) >= NAME_MAX_LEN)
		return NULL;
	pthread_mutex_lock(&m->lock);
	n = atomic_load_explicit(&m->nlisteners, memory_order_acquire);
	if ((l = find_listener(m, name, n)) == NULL && n < MP_METRICS_MAX_LISTENERS) {
		l = &m->listeners[n];
		memcpy(l->name, name, strlen(name) + 1);
		atomic_store_explicit(&m->nlisteners, n + 1, memory_order_release);
	}
	pthread_mutex_unlock(&m->lock);
	return l;
}

/* The counter of status in l, added if new; NULL when all slots are taken. */
static atomic_uint_fast64_t *
code_counter(mp_metrics *m, struct listener_slot *l, int status)
{
	atomic_uint_fast64_t *c = NULL;
	int v;

	for (size_t i = 0; i < MP_METRICS_MAX_CODES; i++) {
		v = atomic_load_explicit(&l->codes[i].code, memory_order_acquire);
		if (v == status)
			return &l->codes[i].count;
		if (v == 0)
			break;
	}
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < MP_METRICS_MAX_CODES; i++) {
		v = atomic_load_explicit(&l->codes[i].code, memory_order_acquire);
		if (v == status || v == 0) {
			if (v == 0)
				atomic_store_explicit(&l->codes[i].code, status, memory_order_release);
			c = &l->codes[i].count;
			break;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return c;
}

void
mp_metrics_observe(mp_metrics *m, const char *name, int status, uint64_t duration_us)
{
	struct listener_slot *l;
	atomic_uint_fast64_t *c;
	size_t b = 0;

	if (m == NULL || (l = listener(m, name)) == NULL)
		return;
	if (status < 100 || status > 999 || (c = code_counter(m, l, status)) == NULL)
		c = &l->other;
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
	while (b < NBUCKETS && duration_us > bucket_us[b])
		b++;
	atomic_fetch_add_explicit(&l->buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&l->sum_us, duration_us, memory_order_relaxed);
}

atomic_int_fast64_t *
mp_metrics_connections(mp_metrics *m, const char *name)
{
	struct listener_slot *l = listener(m, name);

	return l == NULL ? NULL : &l->connections;
}

atomic_uint_fast64_t *
mp_metrics_db_errors(mp_metrics *m)
{
	return &m->db_errors;
}

int
mp_metrics_render(mp_metrics *m, mp_buf *out)
{
	size_t n = atomic_load_explicit(&m->nlisteners, memory_order_acquire);
	int r = MP_ERR_TOO_LARGE;

	if (mp_buf_put_str(out,
	        "# HELP midpki_http_requests_total HTTP responses by listener and status code.\n"
	        "# TYPE midpki_http_requests_total counter\n") != MP_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct listener_slot *l = &m->listeners[i];
		uint64_t other = atomic_load_explicit(&l->other, memory_order_relaxed);

		for (size_t k = 0; k < MP_METRICS_MAX_CODES; k++) {
			int code = atomic_load_explicit(&l->codes[k].code, memory_order_acquire);

			if (code == 0)
				break;
			if (mp_buf_putf(out, "midpki_http_requests_total{listener=\"%s\",code=\"%d\"} %llu\n",
			        l->name, code,
			        (unsigned long long)atomic_load_explicit(&l->codes[k].count,
			            memory_order_relaxed)) != MP_OK)
				goto out;
		}
		if (other != 0 &&
		    mp_buf_putf(out, "midpki_http_requests_total{listener=\"%s\",code=\"other\"} %llu\n",
		        l->name, (unsigned long long)other) != MP_OK)
			goto out;
	}
	if (mp_buf_put_str(out,
	        "# HELP midpki_http_request_duration_seconds Time from the first byte of a request "
	        "to the end of its response.\n"
	        "# TYPE midpki_http_request_duration_seconds histogram\n") != MP_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct listener_slot *l = &m->listeners[i];
		uint64_t cum = 0, sum_us;

		for (size_t b = 0; b <= NBUCKETS; b++) {
			cum += atomic_load_explicit(&l->buckets[b], memory_order_relaxed);
			if (mp_buf_putf(out,
			        "midpki_http_request_duration_seconds_bucket{listener=\"%s\",le=\"%s\"} %llu\n",
			        l->name, b < NBUCKETS ? bucket_le[b] : "+Inf", (unsigned long long)cum) != MP_OK)
				goto out;
		}
		sum_us = atomic_load_explicit(&l->sum_us, memory_order_relaxed);
		if (mp_buf_putf(out,
		        "midpki_http_request_duration_seconds_sum{listener=\"%s\"} %llu.%06llu\n"
		        "midpki_http_request_duration_seconds_count{listener=\"%s\"} %llu\n",
		        l->name, (unsigned long long)(sum_us / 1000000),
		        (unsigned long long)(sum_us % 1000000), l->name,
		        (unsigned long long)cum) != MP_OK)
			goto out;
	}
	if (mp_buf_put_str(out,
	        "# HELP midpki_http_connections_open Open client connections by listener.\n"
	        "# TYPE midpki_http_connections_open gauge\n") != MP_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (mp_buf_putf(out, "midpki_http_connections_open{listener=\"%s\"} %lld\n",
		        m->listeners[i].name,
		        (long long)atomic_load_explicit(&m->listeners[i].connections,
		            memory_order_relaxed)) != MP_OK)
			goto out;
	if (mp_buf_putf(out,
	        "# HELP midpki_db_errors_total Database statements that failed.\n"
	        "# TYPE midpki_db_errors_total counter\n"
	        "midpki_db_errors_total %llu\n",
	        (unsigned long long)atomic_load_explicit(&m->db_errors, memory_order_relaxed)) != MP_OK)
		goto out;
	r = MP_OK;
out:
	return r;
}
