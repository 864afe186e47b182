#include "ca_env.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

void
api_ca_env(const api_call *c, ca_env *env)
{
	ca_env_of_worker(mp_http_req_worker(c->req), env);
	env->db = c->db;
}

/*
 * d's words, NUL-terminated: msg "<field>: <message>" (or the message alone),
 * field with prefix (f NULL when d names none).
 */
struct detail_text {
	char msg[sizeof(((ca_detail *)0)->field) + sizeof(((ca_detail *)0)->message) + 2];
	char field[sizeof(((ca_detail *)0)->field) + 16];
	const char *f;
};

static void
detail_text(const ca_detail *d, const char *prefix, struct detail_text *t)
{
	int flen = (int)strnlen(d->field, sizeof(d->field));
	int mlen = (int)strnlen(d->message, sizeof(d->message));
	size_t plen = prefix != NULL ? strlen(prefix) : 0;
	const char *p = plen > 0 && strncmp(d->field, prefix, plen) != 0 ? prefix : "";

	t->f = NULL;
	if (flen == 0) {
		snprintf(t->msg, sizeof(t->msg), "%.*s", mlen, d->message);
		return;
	}
	snprintf(t->field, sizeof(t->field), "%s%.*s", p, flen, d->field);
	snprintf(t->msg, sizeof(t->msg), "%s: %.*s", t->field, mlen, d->message);
	t->f = t->field;
}

/* Whether d names field. */
static bool
names(const ca_detail *d, const char *field)
{
	return strnlen(d->field, sizeof(d->field)) == strlen(field) &&
	    strncmp(d->field, field, sizeof(d->field)) == 0;
}

void
api_ca_fail(api_call *c, int err, const ca_detail *d, const char *prefix, const char *what)
{
	struct detail_text t;

	if (d == NULL || d->message[0] == '\0') {
		api_fail(c, err, what);
		return;
	}
	detail_text(d, prefix, &t);
	switch (err) {
	case MP_ERR_INVALID:
	case MP_ERR_UNSUPPORTED:
		api_error(c, 400, "invalid", t.msg, t.f);
		return;
	case MP_ERR_POLICY:
		api_error(c, 422, "refused_by_policy", t.msg, t.f);
		return;
	case MP_ERR_CONFLICT:
		api_error(c, 409, "conflict", t.msg, t.f);
		return;
	case MP_ERR_DENIED:
		api_error(c, 403, "forbidden", t.msg, t.f);
		return;
	case MP_ERR_NOT_FOUND:
		api_error(c, 404, "not_found", t.msg, t.f);
		return;
	}
	api_fail(c, err, what);
}

void
api_ca_issue_fail(api_call *c, int err, const ca_detail *d)
{
	if (err == MP_ERR_NOT_FOUND && (names(d, "profile") || names(d, "device"))) {
		api_error(c, 404, "not_found", names(d, "profile") ? "profile not found" :
		    "device not found", d->field);
		return;
	}
	api_ca_fail(c, err, d, NULL, "certificate");
}
