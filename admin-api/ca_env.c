#include "ca_env.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

/* Until the configuration has [ocsp] public_url and [keystore] backend, their documented defaults. */
#define PUBLIC_URL_DEFAULT "http://127.0.0.1:8080"
#define KEY_BACKEND_DEFAULT "software"

void
api_ca_env(const api_call *c, ca_env *env)
{
	mp_worker *w = mp_http_req_worker(c->req);

	memset(env, 0, sizeof(*env));
	env->db = c->db;
	env->ks = w->keystore;
	env->public_url = PUBLIC_URL_DEFAULT;
	env->key_backend = KEY_BACKEND_DEFAULT;
}

/* d's words, NUL-terminated: msg (may be ""), field (NULL when d names none) with prefix. */
struct detail_text {
	char msg[sizeof(((ca_detail *)0)->message)];
	char field[sizeof(((ca_detail *)0)->field) + 16];
	const char *f;
};

static void
detail_text(const ca_detail *d, const char *prefix, struct detail_text *t)
{
	int flen = (int)strnlen(d->field, sizeof(d->field));
	size_t plen = prefix != NULL ? strlen(prefix) : 0;

	snprintf(t->msg, sizeof(t->msg), "%.*s", (int)strnlen(d->message, sizeof(d->message)),
	    d->message);
	t->f = NULL;
	if (flen > 0) {
		snprintf(t->field, sizeof(t->field), "%s%.*s",
		    plen > 0 && strncmp(d->field, prefix, plen) != 0 ? prefix : "", flen, d->field);
		t->f = t->field;
	}
}

void
api_ca_fail(api_call *c, int err, const ca_detail *d, const char *prefix, const char *what)
{
	struct detail_text t;

	if ((err != MP_ERR_INVALID && err != MP_ERR_POLICY) || d == NULL || d->message[0] == '\0') {
		api_fail(c, err, what);
		return;
	}
	detail_text(d, prefix, &t);
	api_error(c, err == MP_ERR_POLICY ? 422 : 400,
	    err == MP_ERR_POLICY ? "refused_by_policy" : "invalid", t.msg, t.f);
}

void
api_ca_issue_fail(api_call *c, int err, const ca_detail *d)
{
	struct detail_text t;

	detail_text(d, NULL, &t);
	switch (err) {
	case MP_ERR_NOT_FOUND:
		api_error(c, 404, "not_found", t.msg[0] != '\0' ? t.msg : "profile not found",
		    t.f != NULL ? t.f : "profile");
		return;
	case MP_ERR_CONFLICT:
		api_error(c, 409, "conflict",
		    t.msg[0] != '\0' ? t.msg : "the device is not active or the issuing CA is retired",
		    t.f);
		return;
	case MP_ERR_INVALID:
		if (t.msg[0] == '\0') {
			api_error(c, 400, "invalid", "the CSR is not a valid PKCS#10 request", "csr_pem");
			return;
		}
		break;
	}
	api_ca_fail(c, err, d, NULL, "certificate");
}
