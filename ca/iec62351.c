#include "iec62351.h"

#include <limits.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/crypto.h>

#include "err.h"

typedef struct iec_role_info_st {
	STACK_OF(ASN1_INTEGER) *user_role;
	ASN1_UTF8STRING *aor;
	ASN1_INTEGER *revision;
	ASN1_UTF8STRING *role_definition;
} IEC_ROLE_INFO;

DEFINE_STACK_OF(IEC_ROLE_INFO)
typedef STACK_OF(IEC_ROLE_INFO) IEC_USER_ROLES;

ASN1_SEQUENCE(IEC_ROLE_INFO) = {
	ASN1_SEQUENCE_OF(IEC_ROLE_INFO, user_role, ASN1_INTEGER),
	ASN1_SIMPLE(IEC_ROLE_INFO, aor, ASN1_UTF8STRING),
	ASN1_SIMPLE(IEC_ROLE_INFO, revision, ASN1_INTEGER),
	ASN1_SIMPLE(IEC_ROLE_INFO, role_definition, ASN1_UTF8STRING),
} static_ASN1_SEQUENCE_END(IEC_ROLE_INFO)

ASN1_ITEM_TEMPLATE(IEC_USER_ROLES) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, IECUserRoles, IEC_ROLE_INFO)
static_ASN1_ITEM_TEMPLATE_END(IEC_USER_ROLES)

static void
roles_free(IEC_USER_ROLES *roles)
{
	ASN1_item_free((ASN1_VALUE *)roles, ASN1_ITEM_rptr(IEC_USER_ROLES));
}

/* One RoleInformation from its JSON object. */
static int
role_from_json(const json_t *o, IEC_ROLE_INFO **out)
{
	IEC_ROLE_INFO *ri = (IEC_ROLE_INFO *)ASN1_item_new(ASN1_ITEM_rptr(IEC_ROLE_INFO));
	const json_t *ids = json_object_get(o, "role_ids"), *v;
	const char *aor = json_string_value(json_object_get(o, "aor"));
	const char *def = json_string_value(json_object_get(o, "role_definition"));
	json_int_t rev = json_integer_value(json_object_get(o, "revision"));
	ASN1_INTEGER *id = NULL;
	size_t i;
	int r = MP_ERR_NOMEM;

	if (ri == NULL)
		goto out;
	r = MP_ERR_INVALID;
	if (!json_is_array(ids) || json_array_size(ids) == 0 || aor == NULL || def == NULL ||
	    *aor == '\0' || strlen(aor) > CA_IEC_AOR_MAX || *def == '\0' ||
	    strlen(def) > CA_IEC_ROLE_DEFINITION_MAX || rev < 0 || rev > CA_IEC_REVISION_MAX)
		goto out;
	r = MP_ERR_NOMEM;
	if (ri->user_role == NULL && (ri->user_role = sk_ASN1_INTEGER_new_null()) == NULL)
		goto out;
	json_array_foreach(ids, i, v) {
		json_int_t n = json_integer_value(v);

		if (!json_is_integer(v) || n < CA_IEC_ROLE_ID_MIN || n > CA_IEC_ROLE_ID_MAX) {
			r = MP_ERR_INVALID;
			goto out;
		}
		if ((id = ASN1_INTEGER_new()) == NULL || !ASN1_INTEGER_set_int64(id, n) ||
		    !sk_ASN1_INTEGER_push(ri->user_role, id))
			goto out;
		id = NULL;
	}
	if (!ASN1_STRING_set(ri->aor, aor, (int)strlen(aor)) ||
	    !ASN1_INTEGER_set_int64(ri->revision, rev) ||
	    !ASN1_STRING_set(ri->role_definition, def, (int)strlen(def)))
		goto out;
	*out = ri;
	ri = NULL;
	r = MP_OK;
out:
	ASN1_INTEGER_free(id);
	ASN1_item_free((ASN1_VALUE *)ri, ASN1_ITEM_rptr(IEC_ROLE_INFO));
	return r;
}

int
ca_iec_roles_encode(const json_t *roles, uint8_t **der, size_t *len)
{
	IEC_USER_ROLES *st = sk_IEC_ROLE_INFO_new_null();
	IEC_ROLE_INFO *ri = NULL;
	const json_t *o;
	unsigned char *buf = NULL;
	size_t i;
	int n, r = MP_ERR_NOMEM;

	if (st == NULL)
		goto out;
	if (!json_is_array(roles) || json_array_size(roles) == 0) {
		r = MP_ERR_INVALID;
		goto out;
	}
	json_array_foreach(roles, i, o) {
		if ((r = role_from_json(o, &ri)) != MP_OK)
			goto out;
		r = MP_ERR_NOMEM;
		if (!sk_IEC_ROLE_INFO_push(st, ri))
			goto out;
		ri = NULL;
	}
	if ((n = ASN1_item_i2d((ASN1_VALUE *)st, &buf, ASN1_ITEM_rptr(IEC_USER_ROLES))) <= 0)
		goto out;
	*der = buf;
	*len = (size_t)n;
	r = MP_OK;
out:
	ASN1_item_free((ASN1_VALUE *)ri, ASN1_ITEM_rptr(IEC_ROLE_INFO));
	roles_free(st);
	return r;
}

/* A UTF8String as a new JSON string, NULL when it holds a NUL or is not UTF-8. */
static json_t *
utf8_json(const ASN1_UTF8STRING *s)
{
	return json_stringn((const char *)ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
}

int
ca_iec_roles_decode(const uint8_t *der, size_t len, json_t **out)
{
	const unsigned char *p = der;
	IEC_USER_ROLES *st = NULL;
	json_t *arr = NULL, *o = NULL, *ids;
	int64_t v;
	int r = MP_ERR_INVALID;

	if (len > LONG_MAX)
		goto out;
	st = (IEC_USER_ROLES *)ASN1_item_d2i(NULL, &p, (long)len, ASN1_ITEM_rptr(IEC_USER_ROLES));
	if (st == NULL || p != der + len || sk_IEC_ROLE_INFO_num(st) == 0)
		goto out;
	r = MP_ERR_NOMEM;
	if ((arr = json_array()) == NULL)
		goto out;
	for (int i = 0; i < sk_IEC_ROLE_INFO_num(st); i++) {
		const IEC_ROLE_INFO *ri = sk_IEC_ROLE_INFO_value(st, i);

		o = json_object();
		ids = json_array();
		if (o == NULL || ids == NULL || json_object_set_new(o, "role_ids", ids) != 0)
			goto out;
		for (int j = 0; j < sk_ASN1_INTEGER_num(ri->user_role); j++) {
			if (!ASN1_INTEGER_get_int64(&v, sk_ASN1_INTEGER_value(ri->user_role, j))) {
				r = MP_ERR_INVALID;
				goto out;
			}
			if (json_array_append_new(ids, json_integer((json_int_t)v)) != 0)
				goto out;
		}
		if (!ASN1_INTEGER_get_int64(&v, ri->revision)) {
			r = MP_ERR_INVALID;
			goto out;
		}
		if (json_object_set_new(o, "aor", utf8_json(ri->aor)) != 0 ||
		    json_object_set_new(o, "revision", json_integer((json_int_t)v)) != 0 ||
		    json_object_set_new(o, "role_definition", utf8_json(ri->role_definition)) != 0) {
			r = MP_ERR_INVALID;
			goto out;
		}
		r = json_array_append_new(arr, o) != 0 ? MP_ERR_NOMEM : MP_OK;
		o = NULL;
		if (r != MP_OK)
			goto out;
		r = MP_ERR_NOMEM;
	}
	*out = arr;
	arr = NULL;
	r = MP_OK;
out:
	json_decref(o);
	json_decref(arr);
	roles_free(st);
	return r;
}
