#include "health.h"

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "metrics.h"
#include "worker.h"

void
admin_healthz(mp_http_req *req, void *arg)
{
	(void)arg;
	mp_http_reply_json(req, 200, json_pack("{s:s}", "status", "alive"));
}

void
admin_readyz(mp_http_req *req, void *arg)
{
	mp_worker *w = mp_http_req_worker(req);

	(void)arg;
	if (mp_db_ping(w->db) != MP_OK) {
		mp_warn("readiness: database unavailable: %s", mp_db_errmsg(w->db));
		mp_http_reply_error(req, 503, "database_unavailable",
		    "the database is not reachable; retry later", NULL);
		return;
	}
	mp_http_reply_json(req, 200, json_pack("{s:s}", "status", "ready"));
}

void
admin_metrics(mp_http_req *req, void *arg)
{
	mp_worker *w = mp_http_req_worker(req);
	mp_buf *b = mp_buf_new(1 << 20);

	(void)arg;
	if (b == NULL || mp_metrics_render(w->metrics, b) != MP_OK) {
		mp_http_reply_error(req, 500, "internal", "metrics could not be rendered", NULL);
	} else {
		mp_http_reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", mp_buf_ptr(b),
		    mp_buf_len(b));
	}
	mp_buf_free(b);
}
