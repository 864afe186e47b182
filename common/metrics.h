/*
 * Process metrics in the Prometheus text exposition format 0.0.4.
 *
 * Updates are lock-free atomics and may come from any thread. Label sets are
 * bounded: at most MP_METRICS_MAX_LISTENERS listeners and, per listener,
 * MP_METRICS_MAX_CODES distinct status codes; observations beyond that are
 * counted under code "other". Adding a new listener or code takes a lock once.
 */
#ifndef MP_METRICS_H
#define MP_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "buf.h"

#define MP_METRICS_MAX_LISTENERS 16
#define MP_METRICS_MAX_CODES 32
#define MP_METRICS_MAX_COUNTERS 64

typedef struct mp_metrics mp_metrics;

/* A new, empty registry; NULL on ENOMEM. */
mp_metrics *mp_metrics_new(void);
/* m may be NULL. */
void mp_metrics_free(mp_metrics *m);

/*
 * Counts one HTTP response of listener with this status and adds the duration
 * to the listener's latency histogram. Unknown listener names are registered
 * (up to the fixed maximum; the rest are dropped).
 */
void mp_metrics_observe(mp_metrics *m, const char *listener, int status, uint64_t duration_us);

/*
 * The open-connections gauge of listener (registered if new), for the HTTP
 * server to increment and decrement. NULL when the listener table is full.
 */
atomic_int_fast64_t *mp_metrics_connections(mp_metrics *m, const char *listener);

/* The database error counter; the database layer increments it. */
atomic_uint_fast64_t *mp_metrics_db_errors(mp_metrics *m);

/*
 * A module's counter: name{label="value"} (just name when label is NULL),
 * rendered after the HTTP metrics with help as the family's HELP line. The
 * same arguments give the same counter. name, help, label and value must be
 * static strings (they are kept, not copied). NULL when m is NULL or
 * MP_METRICS_MAX_COUNTERS counters are taken: the caller counts elsewhere.
 */
atomic_uint_fast64_t *mp_metrics_counter(mp_metrics *m, const char *name, const char *help,
    const char *label, const char *value);

/* Appends every metric to out. MP_OK or MP_ERR_TOO_LARGE (out is full). */
int mp_metrics_render(mp_metrics *m, mp_buf *out);

#endif
