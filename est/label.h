/*
 * Labels (RFC 7030 3.2.2): /.well-known/est/<label>/<operation> serves the
 * operation for the label's tenant and X.509 profile (common/est_labels.h)
 * and answers with the label's base64 line width. Without a label the
 * operations serve [est] profile of the platform with [est] base64_line.
 */
#ifndef EST_LABEL_H
#define EST_LABEL_H

#include <stddef.h>

#include "http.h"

typedef struct est_label {
	const char *name;
	const char *tenant_id;
	const char *profile_id;
	size_t base64_line;     /* 0: one unbroken line */
} est_label;

/* The label the request came under, or NULL for /.well-known/est/<operation>. */
const est_label *est_label_of(const mp_http_req *req);

/*
 * Every request below /.well-known/est/ that no operation's own route took:
 * /<label>/<operation> runs the operation (est_routes) for the label, 404
 * for an unknown label or operation, 405 with Allow for another method.
 */
void est_labelled(mp_http_req *req, void *arg);

#endif
