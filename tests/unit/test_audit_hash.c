/* Pure functions of the engine that need no server: the audit hash encoding and credentials. */
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "check_main.h"
#include "codec.h"
#include "credential.h"
#include "err.h"
#include "secure.h"

static void
hash_hex(const mp_audit_entry *e, char out[65])
{
	uint8_t h[MP_AUDIT_HASH_LEN];
	char *hex = NULL;

	ck_assert_int_eq(mp_audit_hash(e, h), MP_OK);
	ck_assert_int_eq(mp_hex_encode(h, sizeof(h), &hex), MP_OK);
	memcpy(out, hex, 65);
	free(hex);
}

/* Expected values computed independently (Python hashlib over the documented encoding). */
START_TEST(hash_known_vectors)
{
	mp_audit_entry e;
	char hex[65];
	size_t i;

	memset(&e, 0, sizeof(e));
	e.seq = 1;
	e.id = 7;
	e.at = "2024-05-01T10:11:12.123456Z";
	e.tenant_id = "0b6f5d1e-3c3a-4f1e-9a59-2f4c2c1b7e10";
	e.actor_kind = "user";
	e.actor_id = "u1";
	e.action = "device.create";
	e.object_type = "device";
	e.object_id = "d1";
	e.details = "{\"a\": 1}";
	hash_hex(&e, hex);
	ck_assert_str_eq(hex, "c6b765002a56210e4377de58fb05377bfb2dd8b9b73c61f38731f2840eee123f");

	memset(&e, 0, sizeof(e));
	e.seq = 2;
	for (i = 0; i < MP_AUDIT_HASH_LEN; i++)
		e.prev_hash[i] = (uint8_t)i;
	e.id = 8;
	e.at = "2024-05-01T10:11:12.000000Z";
	e.actor_kind = "system";
	e.action = "tenant.create";
	e.object_type = "tenant";
	e.details = "{}";
	hash_hex(&e, hex);
	ck_assert_str_eq(hex, "5c8f4f061ee297d645c910b6e0aa390d5fcbc7d074d3c411d5d4de2990768afd");
}
END_TEST

/* NULL and "" must hash differently, and moving bytes between fields must change the hash. */
START_TEST(hash_unambiguous)
{
	mp_audit_entry a, b;
	char ha[65], hb[65];

	memset(&a, 0, sizeof(a));
	a.seq = 1;
	a.id = 1;
	a.at = "t";
	a.actor_kind = "user";
	a.action = "ab";
	a.object_type = "c";
	a.details = "{}";
	b = a;
	b.actor_id = "";
	hash_hex(&a, ha);
	hash_hex(&b, hb);
	ck_assert_str_ne(ha, hb);
	b = a;
	b.action = "a";
	b.object_type = "bc";
	hash_hex(&b, hb);
	ck_assert_str_ne(ha, hb);
	b = a;
	b.seq = 2;
	hash_hex(&b, hb);
	ck_assert_str_ne(ha, hb);
}
END_TEST

START_TEST(hash_requires_fields)
{
	mp_audit_entry e;
	uint8_t h[MP_AUDIT_HASH_LEN];

	memset(&e, 0, sizeof(e));
	e.at = "t";
	e.actor_kind = "user";
	e.action = "x";
	e.object_type = "y";
	ck_assert_int_eq(mp_audit_hash(&e, h), MP_ERR_INVALID); /* details NULL */
}
END_TEST

START_TEST(credential_roundtrip)
{
	uint8_t h1[MP_CRED_HASH_LEN], h2[MP_CRED_HASH_LEN];
	char id1[MP_UUID_STR_LEN + 1], id2[MP_UUID_STR_LEN + 1], *key = NULL;

	ck_assert_int_eq(mp_cred_new("mpk", id1, &key, h1), MP_OK);
	ck_assert_uint_eq(strlen(key), 80);
	ck_assert_int_eq(strncmp(key, "mpk_", 4), 0);
	ck_assert_uint_eq(strlen(id1), 36);
	ck_assert_int_eq(id1[14], '4'); /* uuid version 4 */
	ck_assert_int_eq(mp_cred_parse("mpk", key, id2, h2), MP_OK);
	ck_assert_str_eq(id1, id2);
	ck_assert(mp_ct_equal(h1, sizeof(h1), h2, sizeof(h2)));
	/* the id in the key is the uuid without dashes */
	ck_assert_int_eq(strncmp(key + 4, id1, 8), 0);
	ck_assert_int_eq(key[36], '_');
	/* another secret part: same id, different hash */
	key[79] = key[79] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(mp_cred_parse("mpk", key, id2, h2), MP_OK);
	ck_assert(!mp_ct_equal(h1, sizeof(h1), h2, sizeof(h2)));
	ck_assert_int_eq(mp_cred_parse("mpe", key, id2, h2), MP_ERR_UNAUTHENTICATED);
	mp_free_secret_str(key);
}
END_TEST

START_TEST(credential_malformed)
{
	static const char *bad[] = {
		"",
		"mpk_",
		"mpk_0123456789abcdef0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"mpk_0123456789abcdef0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"mpk_0123456789ABCDEF0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"mpk-0123456789abcdef0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"mpk_0123456789abcdef0123456789abcdefxAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	uint8_t h[MP_CRED_HASH_LEN];
	char id[MP_UUID_STR_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(mp_cred_parse("mpk", bad[i], id, h), MP_ERR_UNAUTHENTICATED);
	ck_assert_int_eq(mp_cred_parse("mpk", NULL, id, h), MP_ERR_UNAUTHENTICATED);
	ck_assert_int_eq(mp_cred_parse("mpk",
	    "mpk_0123456789abcdef0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", id, h),
	    MP_OK);
	ck_assert_str_eq(id, "01234567-89ab-cdef-0123-456789abcdef");
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("audit_hash");
	TCase *tc = tcase_create("pure");

	tcase_add_test(tc, hash_known_vectors);
	tcase_add_test(tc, hash_unambiguous);
	tcase_add_test(tc, hash_requires_fields);
	tcase_add_test(tc, credential_roundtrip);
	tcase_add_test(tc, credential_malformed);
	suite_add_tcase(s, tc);
	return s;
}
