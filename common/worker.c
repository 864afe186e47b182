#include "worker.h"

#include <stdlib.h>

#include "err.h"
#include "log.h"
#include "trust_anchors.h"

int
mp_worker_init(void *arg, void **ctx)
{
	const mp_worker_setup *s = arg;
	mp_worker *w;
	char err[1024];
	int r;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return MP_ERR_NOMEM;
	w->metrics = s->metrics;
	w->keystore = s->keystore;
	w->config = s->config;
	w->ca_shared = s->ca_shared;
	if ((w->anchors = mp_anchor_cache_new(s->crls)) == NULL) {
		free(w);
		return MP_ERR_NOMEM;
	}
	if ((r = mp_db_connect(s->conninfo, s->connect_timeout_ms, &w->db, err, sizeof(err))) !=
	    MP_OK) {
		mp_error("worker cannot connect to the database: %s", err);
		mp_anchor_cache_free(w->anchors);
		free(w);
		return r;
	}
	mp_db_set_error_counter(w->db, mp_metrics_db_errors(s->metrics));
	*ctx = w;
	return MP_OK;
}

void
mp_worker_fini(void *ctx)
{
	mp_worker *w = ctx;

	if (w == NULL)
		return;
	mp_db_close(w->db);
	mp_anchor_cache_free(w->anchors);
	free(w);
}
