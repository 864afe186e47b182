/* /api/v1/certificates: issue X.509 certificates, list and show them, revoke, suspend, resume. */
#include "resources.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca_env.h"
#include "devices.h"
#include "err.h"
#include "validate.h"
#include "values.h"

#define PROFILE_MAX_LEN 128
#define CSR_MAX_LEN 65536
#define SERIAL_MAX_LEN 40
#define VALIDITY_MIN_S 60
#define VALIDITY_MAX_S (36500ULL * 86400)

static const char *const statuses[] = { "active", "suspended", "revoked", "expired", NULL };

/* RFC 5280 reasons that POST /revoke takes; certificateHold is /suspend. */
static const char *const reasons[] = { "unspecified", "keyCompromise", "cACompromise",
	"affiliationChanged", "superseded", "cessationOfOperation", "privilegeWithdrawn",
	"aACompromise", NULL };

void
api_cert_issue(api_call *c)
{
	static const char *const fields[] = { "device", "profile", "csr_pem", "validity", NULL };
	ca_detail d = { { 0 }, { 0 } };
	ca_issue_req in = { 0 };
	json_t *dev = NULL, *out = NULL;
	bool pending = false, has;
	ca_env env;
	int r;

	if (!api_only_fields(c, fields) || !api_uuid_field(c, "device", true, &in.device_id) ||
	    !api_string(c, "profile", true, PROFILE_MAX_LEN, &in.profile) ||
	    !api_pem_member(c, "csr_pem", true, CSR_MAX_LEN, &in.csr) ||
	    !api_duration_member(c, "validity", VALIDITY_MIN_S, VALIDITY_MAX_S, &has,
		&in.validity_s))
		return;
	if (!api_find_member(c, mp_device_get, in.device_id, "device", &dev))
		return;
	in.tenant_id = json_string_value(json_object_get(dev, "tenant_id"));
	in.csr_len = strlen(in.csr);
	api_ca_env(c, &env);
	r = ca_issue(&env, &c->actor, &in, &out, &pending, &d);
	json_decref(dev);
	if (r != MP_OK) {
		api_ca_issue_fail(c, r, &d);
		return;
	}
	if (pending)
		api_reply(c, 202, json_pack("{s:o}", "request", out));
	else
		api_reply(c, 201, out);
}

/* Whether s is an even number of hex digits, 2 to SERIAL_MAX_LEN. */
static bool
is_serial(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SERIAL_MAX_LEN || n % 2 != 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')))
			return false;
	}
	return true;
}

void
api_cert_list(api_call *c)
{
	ca_cert_filter f = { 0 };
	json_t *items = NULL;
	char *after = NULL;
	int64_t before = 0, within = 0;
	bool has_before, has_within;
	unsigned limit;
	int r;

	if (!api_query_uuid(c, "device", &f.device_id) ||
	    !api_query_text(c, "serial", SERIAL_MAX_LEN, &f.serial) ||
	    !api_query_text(c, "status", 16, &f.status) || !api_query_uuid(c, "profile", &f.profile_id) ||
	    !api_query_uuid(c, "ca", &f.ca_id) ||
	    !api_time_query(c, "expiring_before", &has_before, &before) ||
	    !api_duration_query(c, "expiring_within", 0, VALIDITY_MAX_S, &has_within, &within))
		return;
	if (f.serial != NULL && !is_serial(f.serial)) {
		api_error(c, 400, "invalid_value", "'serial' must be hexadecimal, an even number of digits", "serial");
		return;
	}
	if (f.status != NULL && !api_in_set(statuses, f.status)) {
		api_error(c, 400, "invalid_value",
		    "'status' may be active, suspended, revoked or expired", "status");
		return;
	}
	if (has_before && has_within) {
		api_error(c, 400, "invalid_value",
		    "give 'expiring_before' or 'expiring_within', not both", "expiring_within");
		return;
	}
	f.expiring_before = has_within ? (int64_t)time(NULL) + within : before;
	if ((has_before || has_within) && f.expiring_before == 0)
		f.expiring_before = 1; /* 0 means no filter: the epoch itself expires nothing */
	if (!api_page_by_id(c, &limit, &after))
		return;
	r = ca_cert_list(c->db, api_scope(c), &f, after, limit, &items);
	free(after);
	if (r != MP_OK) {
		api_fail(c, r, "certificates");
		return;
	}
	api_reply(c, 200, api_page_result(items, limit, "id"));
}

void
api_cert_get(api_call *c)
{
	api_get_by_id(c, ca_cert_get, "certificate");
}

void
api_cert_revoke(api_call *c)
{
	static const char *const fields[] = { "reason", "invalidity_date", NULL };
	ca_detail d = { { 0 }, { 0 } };
	const char *reason;
	json_t *cert = NULL;
	int64_t when = 0;
	bool has;
	ca_env env;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_only_fields(c, fields) ||
	    !api_string(c, "reason", true, 32, &reason) ||
	    !api_time_member(c, "invalidity_date", &has, &when))
		return;
	if (strcmp(reason, "certificateHold") == 0) {
		api_error(c, 400, "invalid_value",
		    "certificateHold is not a revocation: POST /certificates/{id}/suspend", "reason");
		return;
	}
	if (!api_in_set(reasons, reason)) {
		api_error(c, 400, "invalid_value",
		    "'reason' must be an RFC 5280 reason: unspecified, keyCompromise, cACompromise, "
		    "affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn or "
		    "aACompromise",
		    "reason");
		return;
	}
	if (has && (when <= 0 || when > (int64_t)time(NULL))) {
		api_error(c, 400, "out_of_range", "'invalidity_date' must be in the past",
		    "invalidity_date");
		return;
	}
	api_ca_env(c, &env);
	r = ca_cert_revoke(&env, &c->actor, api_scope(c), c->params[0], reason, when, &cert, &d);
	if (r != MP_OK) {
		api_ca_fail(c, r, &d, NULL, "certificate");
		return;
	}
	api_reply(c, 200, cert);
}

typedef int (*hold_fn)(const ca_env *env, const mp_actor *actor, const char *tenant_id,
    const char *id, json_t **out, ca_detail *detail);

/* POST /suspend and /resume: an empty body, the change, 409 with why when the state forbids it. */
static void
hold(api_call *c, hold_fn fn)
{
	static const char *const fields[] = { NULL };
	ca_detail d = { { 0 }, { 0 } };
	json_t *cert = NULL;
	ca_env env;
	int r;

	if (!api_path_uuid(c, c->params[0]) || !api_only_fields(c, fields))
		return;
	api_ca_env(c, &env);
	if ((r = fn(&env, &c->actor, api_scope(c), c->params[0], &cert, &d)) != MP_OK) {
		api_ca_fail(c, r, &d, NULL, "certificate");
		return;
	}
	api_reply(c, 200, cert);
}

void
api_cert_suspend(api_call *c)
{
	hold(c, ca_cert_suspend);
}

void
api_cert_resume(api_call *c)
{
	hold(c, ca_cert_resume);
}
