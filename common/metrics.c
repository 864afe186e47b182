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

struct counter_slot {
	const char *name, *help, *label, *value;
	atomic_uint_fast64_t count;
};

struct mp_metrics {
	pthread_mutex_t lock;  /* taken only to add a listener, a code or a counter */
	atomic_size_t nlisteners;
	struct listener_slot listeners[MP_METRICS_MAX_LISTENERS];
	atomic_uint_fast64_t db_errors;
	atomic_size_t ncounters;
	struct counter_slot counters[MP_METRICS_MAX_COUNTERS];
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

static bool
same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

atomic_uint_fast64_t *
mp_metrics_counter(mp_metrics *m, const char *name, const char *help, const char *label,
    const char *value)
{
	atomic_uint_fast64_t *c = NULL;
	size_t n;

	if (m == NULL)
		return NULL;
	pthread_mutex_lock(&m->lock);
	n = atomic_load_explicit(&m->ncounters, memory_order_acquire);
	for (size_t i = 0; i < n && c == NULL; i++) {
		struct counter_slot *s = &m->counters[i];

		if (strcmp(s->name, name) == 0 && same_str(s->label, label) &&
		    same_str(s->value, value))
			c = &s->count;
	}
	if (c == NULL && n < MP_METRICS_MAX_COUNTERS) {
		m->counters[n] = (struct counter_slot){ name, help, label, value, 0 };
		c = &m->counters[n].count;
		atomic_store_explicit(&m->ncounters, n + 1, memory_order_release);
	}
	pthread_mutex_unlock(&m->lock);
	return c;
}

/* The module counters, a family (HELP and TYPE once) at a time, in registration order. */
static int
render_counters(mp_metrics *m, mp_buf *out)
{
	size_t n = atomic_load_explicit(&m->ncounters, memory_order_acquire);

	for (size_t i = 0; i < n; i++) {
		const struct counter_slot *f = &m->counters[i];
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(m->counters[j].name, f->name) == 0;
		if (seen)
			continue;
		if (mp_buf_putf(out, "# HELP %s %s\n# TYPE %s counter\n", f->name, f->help,
		        f->name) != MP_OK)
			return MP_ERR_TOO_LARGE;
		for (size_t j = i; j < n; j++) {
			const struct counter_slot *c = &m->counters[j];
			unsigned long long v = atomic_load_explicit(&c->count, memory_order_relaxed);
			int r;

			if (strcmp(c->name, f->name) != 0)
				continue;
			if (c->label != NULL)
				r = mp_buf_putf(out, "%s{%s=\"%s\"} %llu\n", c->name, c->label, c->value, v);
			else
				r = mp_buf_putf(out, "%s %llu\n", c->name, v);
			if (r != MP_OK)
				return MP_ERR_TOO_LARGE;
		}
	}
	return MP_OK;
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
	if (render_counters(m, out) != MP_OK)
		goto out;
	r = MP_OK;
out:
	return r;
}
