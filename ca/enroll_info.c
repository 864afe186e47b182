/* What an enrolling client is told about a profile before it sends a request (EST /cacerts, /csrattrs). */
#include "ca_priv.h"
#include "issue_priv.h"

#include <stdlib.h>

#include "certs_priv.h"
#include "err.h"
#include "keyinfo.h"
#include "profile_def.h"
#include "record.h"

/* CA $1 (id or name) as tenant $2 sees it: its own CA of that name before the platform's. */
static const char ca_pick_sql[] =
    "SELECT id FROM cas WHERE (id::text = $1 OR name = $1)"
    " AND ($2::uuid IS NULL OR tenant_id = $2 OR tenant_id = " CA_PLATFORM_TENANT_SQL ")"
    " ORDER BY tenant_id = $2 DESC NULLS LAST LIMIT 1";

int
ca_enroll_info(mp_db *db, const char *tenant_id, const char *profile, json_t **out,
    ca_detail *d)
{
	static const ca_key_kind kinds[] = { CA_KEY_EC_P256, CA_KEY_EC_P384, CA_KEY_RSA,
		CA_KEY_ED25519 };
	ca_issue_profile p = { 0 };
	json_t *row = NULL, *algs = NULL, *o = NULL;
	const char *params[2];
	char *chain = NULL;
	int r;

	if ((r = ca_issue_profile_load(db, tenant_id, profile, &p, d)) != MP_OK)
		goto out;
	params[0] = ca_profile_ca(p.parsed);
	params[1] = tenant_id;
	if ((r = mp_record_get(db, ca_pick_sql, 2, params, &row)) != MP_OK) {
		if (r == MP_ERR_NOT_FOUND)
			ca_refuse(d, r, "profile.ca", "profile %s names CA \"%s\", which does not exist",
			    p.name, params[0]);
		goto out;
	}
	if ((r = ca_chain_collect(db, json_string_value(json_object_get(row, "id")), true,
	    &chain)) != MP_OK)
		goto out;
	if ((algs = json_array()) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if ((p.parsed->key_kinds & (unsigned)kinds[i]) != 0 &&
		    json_array_append_new(algs, json_string(ca_key_kind_name(kinds[i]))) != 0) {
			r = MP_ERR_NOMEM;
			goto out;
		}
	if ((o = json_pack("{s:s, s:s, s:O, s:s, s:O, s:i}", "profile_id", p.id, "profile", p.name,
	    "ca_id", json_object_get(row, "id"), "chain_pem", chain, "key_algorithms", algs,
	    "rsa_min_bits", (int)p.parsed->rsa_min_bits)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	*out = o;
	r = MP_OK;
out:
	ca_issue_profile_clear(&p);
	json_decref(row);
	json_decref(algs);
	free(chain);
	return r;
}
