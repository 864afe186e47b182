/*
 * FDO encodings without a server: the CBOR reader's bounds and the writers,
 * Hash/HMac, PublicKey and RendezvousInfo (with the known answers of
 * tests/data/fdo/README.md), and ownership vouchers made by other FDO
 * implementations (tests/data/fdo): the valid ones verify, with the device's
 * HMAC secret where it is known; legacy-buggy, FDO 1.0 and altered ones are
 * refused with the reason. The rendezvous messages (TO0.OwnerSign,
 * TO1.HelloRV, the EAT of TO1.ProveToRV) as our writers make them decode
 * field for field; malformed ones are refused with the reason. The TO2 key
 * exchange: the KDF known answer of tests/data/fdo/README.md, both sides of
 * ECDH256 and ECDH384 deriving the same A128GCM and A256GCM keys, and
 * COSE_Encrypt0 with them (altered, under another key or naming another
 * algorithm, refused); TO2.HelloDevice as we write it decodes field for field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "cbor.h"
#include "codec.h"
#include "cose.h"
#include "encrypt0.h"
#include "err.h"
#include "fido_harness.h"
#include "hash.h"
#include "kex.h"
#include "pubkey.h"
#include "rv_msg.h"
#include "rvinfo.h"
#include "to2_msg.h"
#include "voucher.h"

static uint8_t *
unhex(const char *h, size_t *len)
{
	uint8_t *p = NULL;

	ck_assert_int_eq(mp_hex_decode(h, strlen(h), 4096, &p, len), MP_OK);
	return p;
}

/* The voucher of a PEM file or raw CBOR file, decoded; *rc its result. */
static fdo_voucher *
load(const char *name, int *rc, fdo_detail *d)
{
	fdo_voucher *v = NULL;
	size_t len;
	uint8_t *p = fido_test_file(name, &len);

	memset(d, 0, sizeof(*d));
	if (len > 5 && memcmp(p, "-----", 5) == 0)
		*rc = fdo_voucher_from_pem((const char *)p, len, &v, d);
	else
		*rc = fdo_voucher_decode(p, len, &v, d);
	free(p);
	return v;
}

/* The HMAC secret in go-fdo-dc.bin (the Rust implementation's storage layout). */
static uint8_t *
dc_secret(size_t *n, fdo_hash *pubkey_hash, uint8_t guid[FDO_GUID_LEN])
{
	size_t len, items, m;
	uint8_t *raw = fido_test_file("go-fdo-dc.bin", &len), *secret = malloc(64);
	const uint8_t *g;
	const char *key;
	uint64_t byte;
	fdo_cbor c;
	bool active;

	fdo_cbor_init(&c, raw, len);
	ck_assert_int_eq(fdo_cbor_array_n(&c, 7), MP_OK);
	ck_assert_int_eq(fdo_cbor_bool(&c, &active), MP_OK);
	ck_assert(active);
	ck_assert_int_eq(fdo_cbor_skip(&c, NULL, NULL), MP_OK);
	ck_assert_int_eq(fdo_cbor_skip(&c, NULL, NULL), MP_OK);
	ck_assert_int_eq(fdo_cbor_bstr(&c, &g, &m), MP_OK);
	ck_assert_uint_eq(m, FDO_GUID_LEN);
	memcpy(guid, g, FDO_GUID_LEN);
	ck_assert_int_eq(fdo_cbor_skip(&c, NULL, NULL), MP_OK);
	ck_assert_int_eq(fdo_hash_decode(&c, false, pubkey_hash), MP_OK);
	ck_assert_int_eq(fdo_cbor_map(&c, &items), MP_OK);
	ck_assert_uint_eq(items, 1);
	ck_assert_int_eq(fdo_cbor_tstr(&c, &key, &m), MP_OK);
	ck_assert_int_eq(fdo_cbor_map(&c, &items), MP_OK);
	ck_assert_int_eq(fdo_cbor_tstr(&c, &key, &m), MP_OK);
	ck_assert(m == 11 && memcmp(key, "hmac_secret", 11) == 0);
	ck_assert_int_eq(fdo_cbor_array(&c, &items), MP_OK);
	ck_assert_uint_le(items, 64);
	for (size_t i = 0; i < items; i++) {
		ck_assert_int_eq(fdo_cbor_uint(&c, 255, &byte), MP_OK);
		secret[i] = (uint8_t)byte;
	}
	*n = items;
	free(raw);
	return secret;
}

START_TEST(cbor_reader)
{
	/* [1, -257, h'0102', "hi", {1: null}, 18([true])] */
	static const uint8_t ok[] = { 0x86, 0x01, 0x39, 0x01, 0x00, 0x42, 0x01, 0x02, 0x62, 'h', 'i',
		0xa1, 0x01, 0xf6, 0xd2, 0x81, 0xf5 };
	/* an array that claims 2^32 items in 6 bytes; an indefinite array; a short string */
	static const uint8_t huge[] = { 0x9a, 0xff, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t indef[] = { 0x9f, 0x01, 0xff };
	static const uint8_t shortstr[] = { 0x45, 0x01, 0x02 };
	static const uint8_t hugemap[] = { 0xa3, 0x01, 0x02, 0x03, 0x04 };
	fdo_cbor c;
	const uint8_t *p, *s;
	const char *t;
	size_t n, sl;
	uint64_t u, tag;
	int64_t i;
	bool b;

	fdo_cbor_init(&c, ok, sizeof(ok));
	ck_assert_int_eq(fdo_cbor_array_n(&c, 5), MP_ERR_INVALID);
	ck_assert_int_eq(fdo_cbor_array_n(&c, 6), MP_OK);
	ck_assert_int_eq(fdo_cbor_uint(&c, 0, &u), MP_ERR_INVALID);
	ck_assert_int_eq(fdo_cbor_uint(&c, 1, &u), MP_OK);
	ck_assert_uint_eq(u, 1);
	ck_assert_int_eq(fdo_cbor_uint(&c, 1000, &u), MP_ERR_INVALID);
	ck_assert_int_eq(fdo_cbor_int(&c, &i), MP_OK);
	ck_assert_int_eq(i, -257);
	ck_assert_int_eq(fdo_cbor_tstr(&c, &t, &n), MP_ERR_INVALID);
	ck_assert_int_eq(fdo_cbor_bstr(&c, &p, &n), MP_OK);
	ck_assert(n == 2 && p[0] == 1 && p[1] == 2);
	ck_assert_int_eq(fdo_cbor_tstr(&c, &t, &n), MP_OK);
	ck_assert(n == 2 && memcmp(t, "hi", 2) == 0);
	ck_assert_int_eq(fdo_cbor_peek(&c), FDO_CBOR_MAP);
	ck_assert_int_eq(fdo_cbor_skip(&c, &s, &sl), MP_OK);
	ck_assert_ptr_eq(s, ok + 11);
	ck_assert_uint_eq(sl, 3);
	ck_assert_int_eq(fdo_cbor_tag(&c, &tag), MP_OK);
	ck_assert_uint_eq(tag, 18);
	ck_assert_int_eq(fdo_cbor_array(&c, &n), MP_OK);
	ck_assert(!fdo_cbor_null(&c));
	ck_assert_int_eq(fdo_cbor_bool(&c, &b), MP_OK);
	ck_assert(b);
	ck_assert(fdo_cbor_empty(&c));
	ck_assert_int_eq(fdo_cbor_peek(&c), -1);
	ck_assert_int_eq(fdo_cbor_skip(&c, NULL, NULL), MP_ERR_INVALID);
	ck_assert(fdo_cbor_is_item(ok, sizeof(ok)));
	ck_assert(!fdo_cbor_is_item(ok, sizeof(ok) - 1));

	fdo_cbor_init(&c, huge, sizeof(huge));
	ck_assert_int_eq(fdo_cbor_array(&c, &n), MP_ERR_INVALID);
	ck_assert_int_eq(fdo_cbor_skip(&c, NULL, NULL), MP_ERR_INVALID);
	ck_assert_ptr_eq(c.p, huge);
	fdo_cbor_init(&c, hugemap, sizeof(hugemap));
	ck_assert_int_eq(fdo_cbor_map(&c, &n), MP_ERR_INVALID);
	ck_assert(!fdo_cbor_is_item(indef, sizeof(indef)));
	ck_assert(!fdo_cbor_is_item(shortstr, sizeof(shortstr)));
	/* every prefix of a good item is refused */
	for (size_t k = 0; k < sizeof(ok); k++)
		ck_assert(!fdo_cbor_is_item(ok, k));
}
END_TEST

START_TEST(cbor_writer)
{
	static const uint8_t want[] = { 0x86, 0x01, 0x39, 0x01, 0x00, 0x42, 0x01, 0x02, 0x62, 'h', 'i',
		0xa1, 0x01, 0xf6, 0xd2, 0x81, 0xf5, 0x1b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00 };
	static const uint8_t two[] = { 1, 2 };
	mp_buf *b = mp_buf_new(sizeof(want));

	ck_assert_int_eq(fdo_put_array(b, 6), MP_OK);
	ck_assert_int_eq(fdo_put_uint(b, 1), MP_OK);
	ck_assert_int_eq(fdo_put_int(b, -257), MP_OK);
	ck_assert_int_eq(fdo_put_bstr(b, two, 2), MP_OK);
	ck_assert_int_eq(fdo_put_tstr(b, "hi", 2), MP_OK);
	ck_assert_int_eq(fdo_put_map(b, 1), MP_OK);
	ck_assert_int_eq(fdo_put_int(b, 1), MP_OK);
	ck_assert_int_eq(fdo_put_null(b), MP_OK);
	ck_assert_int_eq(fdo_put_tag(b, 18), MP_OK);
	ck_assert_int_eq(fdo_put_array(b, 1), MP_OK);
	ck_assert_int_eq(fdo_put_bool(b, true), MP_OK);
	ck_assert_int_eq(fdo_put_uint(b, 1ull << 32), MP_OK);
	ck_assert_uint_eq(mp_buf_len(b), sizeof(want));
	ck_assert_mem_eq(mp_buf_ptr(b), want, sizeof(want));
	ck_assert_int_eq(fdo_put_null(b), MP_ERR_TOO_LARGE);
	mp_buf_free(b);
}
END_TEST

START_TEST(hashes)
{
	/* SHA-256("abc") and HMAC-SHA256 of RFC 4231 test case 2 */
	static const char *sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	static const char *mac = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
	static const uint8_t bad_len[] = { 0x82, 0x2f, 0x41, 0x00 };
	static const uint8_t hmac_as_hash[] = { 0x82, 0x05, 0x40 };
	fdo_bytes parts[2] = { { (const uint8_t *)"a", 1 }, { (const uint8_t *)"bc", 2 } };
	fdo_hash h, h2;
	uint8_t *want;
	size_t n;
	mp_buf *b = mp_buf_new(64);
	fdo_cbor c;

	ck_assert_int_eq(fdo_hash_compute(FDO_SHA256, parts, 2, &h), MP_OK);
	want = unhex(sha, &n);
	ck_assert(h.alg == FDO_SHA256 && h.len == n && memcmp(h.v, want, n) == 0);
	free(want);
	ck_assert_int_eq(fdo_hash_compute(FDO_HMAC_SHA256, parts, 2, &h), MP_ERR_INVALID);
	ck_assert_int_eq(fdo_hmac_compute(FDO_HMAC_SHA256, (const uint8_t *)"Jefe", 4,
	    (const uint8_t *)"what do ya want for nothing?", 28, &h2), MP_OK);
	want = unhex(mac, &n);
	ck_assert(h2.len == n && memcmp(h2.v, want, n) == 0);
	free(want);
	ck_assert(!fdo_hash_equal(&h, &h2));

	ck_assert_int_eq(fdo_hash_encode(b, &h), MP_OK);
	fdo_cbor_init(&c, mp_buf_ptr(b), mp_buf_len(b));
	ck_assert_int_eq(fdo_hash_decode(&c, true, &h2), MP_ERR_INVALID);
	ck_assert_int_eq(fdo_hash_decode(&c, false, &h2), MP_OK);
	ck_assert(fdo_hash_equal(&h, &h2));
	fdo_cbor_init(&c, bad_len, sizeof(bad_len));
	ck_assert_int_eq(fdo_hash_decode(&c, false, &h2), MP_ERR_INVALID);
	fdo_cbor_init(&c, hmac_as_hash, sizeof(hmac_as_hash));
	ck_assert_int_eq(fdo_hash_decode(&c, false, &h2), MP_ERR_INVALID);
	mp_buf_free(b);
}
END_TEST

START_TEST(public_keys)
{
	/* the known answers of the Java reference implementation (README.md) */
	static const char *x509 = "830a01585b3059301306072a8648ce3d020106082a8648ce3d03010703420004"
	                          "2c02709032b3fc1696ab55b1ecf8e44795b92cb21b6a681265e54d525c8533fb"
	                          "74b0c0310166ef11b0f32aef76e135f86acdd65633267de932b31df43e50c625";
	static const char *cosekey = "830a03a3200121430102032243030201";
	static const char *unknown = "83186301585b";
	fdo_pubkey pk = { 0 }, pk2 = { 0 };
	fdo_detail d;
	uint8_t *p;
	size_t n;
	mp_buf *b = mp_buf_new(256);
	fdo_key_kind kind;
	mp_key_spec spec;
	fdo_cbor c;

	p = unhex(x509, &n);
	fdo_cbor_init(&c, p, n);
	ck_assert_int_eq(fdo_pubkey_decode(&c, &pk, &d), MP_OK);
	ck_assert(fdo_cbor_empty(&c));
	ck_assert_int_eq(pk.type, FDO_PK_SECP256R1);
	ck_assert_int_eq(pk.enc, FDO_PKENC_X509);
	ck_assert_int_eq(mp_key_spec_of(pk.key, false, &spec), MP_OK);
	ck_assert_int_eq(fdo_key_kind_of(&spec, &kind), MP_OK);
	ck_assert_int_eq(kind.type, FDO_PK_SECP256R1);
	ck_assert_int_eq(kind.cose_alg, FDO_COSE_ES256);
	ck_assert_uint_eq(kind.ec_half, 32);
	ck_assert_int_eq(fdo_pubkey_encode(b, pk.type, pk.key), MP_OK);
	ck_assert_uint_eq(mp_buf_len(b), n);
	ck_assert_mem_eq(mp_buf_ptr(b), p, n);
	/* the same key claiming to be P-384 */
	p[1] = 0x0b;
	fdo_cbor_init(&c, p, n);
	ck_assert_int_eq(fdo_pubkey_decode(&c, &pk2, &d), MP_ERR_INVALID);
	ck_assert_str_eq(d.message, "public key: the key is not of type 11");
	free(p);

	/* COSEKEY of the vector is well-formed, but 3-byte coordinates are no P-256 point */
	p = unhex(cosekey, &n);
	fdo_cbor_init(&c, p, n);
	ck_assert_int_eq(fdo_pubkey_decode(&c, &pk2, &d), MP_ERR_INVALID);
	ck_assert_str_eq(d.message, "public key: the body of encoding 3 does not hold a key");
	free(p);
	p = unhex(unknown, &n);
	fdo_cbor_init(&c, p, n);
	ck_assert_int_eq(fdo_pubkey_decode(&c, &pk2, &d), MP_ERR_UNSUPPORTED);
	ck_assert_str_eq(d.message, "public key: type 99 is not supported");
	free(p);
	fdo_pubkey_clear(&pk);
	fdo_pubkey_clear(NULL);
	mp_buf_free(b);
}
END_TEST

START_TEST(rendezvous_info)
{
	/* the Java vector: values not in byte strings (FDO 1.0 style) */
	static const char *bare = "81858205781F66646F31302E7765737475732E636C6F75646170702E617A757265"
	                          "2E636F6D82031850820C018202448A5BC35582041850";
	/* the same directive as FDO 1.1 writes it, with a flag (RVDevOnly) */
	static const char *wrapped = "8182820544636162638100";
	char host[FDO_RV_HOST_MAX];
	mp_buf *b = mp_buf_new(256);
	unsigned port;
	bool https;
	fdo_detail d;
	const uint8_t *s;
	uint8_t *p;
	size_t n, sl;
	fdo_cbor c;

	p = unhex(bare, &n);
	fdo_cbor_init(&c, p, n);
	ck_assert_int_eq(fdo_rvinfo_read(&c, &s, &sl, &d), MP_ERR_INVALID);
	ck_assert_str_eq(d.message,
	    "rendezvous info: the value of variable 5 is not a byte string holding CBOR");
	free(p);
	p = unhex(wrapped, &n);
	fdo_cbor_init(&c, p, n);
	ck_assert_int_eq(fdo_rvinfo_read(&c, &s, &sl, &d), MP_OK);
	ck_assert(s == p && sl == n && fdo_cbor_empty(&c));
	/* the device's rendezvous server: RVDns "abc", no port or protocol: http, port 80 */
	ck_assert_int_eq(fdo_rvinfo_device_addr(p, n, host, &port, &https, &d), MP_OK);
	ck_assert_str_eq(host, "abc");
	ck_assert_uint_eq(port, 80);
	ck_assert(!https);
	free(p);
	p = unhex(bare, &n);
	ck_assert_int_eq(fdo_rvinfo_device_addr(p, n, host, &port, &https, &d), MP_ERR_INVALID);
	free(p);
	/* [[[1]]]: RVOwnerOnly, nothing for the device */
	p = unhex("81818101", &n);
	ck_assert_int_eq(fdo_rvinfo_device_addr(p, n, host, &port, &https, &d), MP_ERR_NOT_FOUND);
	ck_assert_str_eq(d.message, "rendezvous info: no directive names a rendezvous server the"
	    " device can reach (RVDns or RVIPAddress, over http or https)");
	free(p);
	/* what DI writes: an address, RVDevPort, RVOwnerPort, RVProtocol */
	ck_assert_int_eq(fdo_rvinfo_write(b, "127.0.0.1", 8040, false), MP_OK);
	ck_assert_int_eq(fdo_rvinfo_device_addr(mp_buf_ptr(b), mp_buf_len(b), host, &port, &https,
	    &d), MP_OK);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_uint_eq(port, 8040);
	ck_assert(!https);
	mp_buf_reset(b);
	ck_assert_int_eq(fdo_rvinfo_write(b, "::1", 8443, true), MP_OK);
	ck_assert_int_eq(fdo_rvinfo_device_addr(mp_buf_ptr(b), mp_buf_len(b), host, &port, &https,
	    &d), MP_OK);
	ck_assert_str_eq(host, "::1");
	ck_assert_uint_eq(port, 8443);
	ck_assert(https);
	mp_buf_reset(b);
	ck_assert_int_eq(fdo_rvinfo_write(b, "rv.example", 8041, false), MP_OK);
	ck_assert_int_eq(fdo_rvinfo_device_addr(mp_buf_ptr(b), mp_buf_len(b), host, &port, &https,
	    &d), MP_OK);
	ck_assert_str_eq(host, "rv.example");
	ck_assert_uint_eq(port, 8041);
	mp_buf_free(b);
}
END_TEST

START_TEST(go_fdo_voucher)
{
	static const char *guid = "66b2146ffec53ca6ad017625990572ce";
	uint8_t dc_guid[FDO_GUID_LEN], *want;
	fdo_hash pk_hash, h;
	fdo_detail d;
	fdo_voucher *v, *v2;
	fdo_bytes part;
	mp_buf *b = mp_buf_new(4096);
	size_t n, slen, len;
	uint8_t *secret = dc_secret(&slen, &pk_hash, dc_guid);
	const uint8_t *bytes;
	char *pem = NULL;
	int rc;

	v = load("go-fdo-ov.pem", &rc, &d);
	ck_assert_msg(rc == MP_OK, "%s", d.message);
	want = unhex(guid, &n);
	ck_assert_mem_eq(fdo_voucher_guid(v), want, FDO_GUID_LEN);
	ck_assert_mem_eq(dc_guid, want, FDO_GUID_LEN);
	free(want);
	ck_assert_str_eq(fdo_voucher_device_info(v), "go.fdo.example");
	ck_assert_uint_eq(fdo_voucher_entry_count(v), 0);
	ck_assert_int_eq(fdo_voucher_manufacturer_key(v)->type, FDO_PK_SECP384R1);
	ck_assert_ptr_eq(fdo_voucher_owner_key(v), fdo_voucher_manufacturer_key(v));

	/* the credential's key hash is SHA-384 of the manufacturer key's encoding */
	ck_assert_int_eq(fdo_pubkey_encode(b, FDO_PK_SECP384R1, fdo_voucher_manufacturer_key(v)->key),
	    MP_OK);
	part.p = mp_buf_ptr(b);
	part.n = mp_buf_len(b);
	ck_assert_int_eq(fdo_hash_compute(pk_hash.alg, &part, 1, &h), MP_OK);
	ck_assert(fdo_hash_equal(&h, &pk_hash));

	ck_assert_int_eq(fdo_voucher_verify(v, NULL, 0, &d), MP_OK);
	ck_assert_int_eq(fdo_voucher_verify(v, secret, slen, &d), MP_OK);
	secret[0] ^= 1;
	ck_assert_int_eq(fdo_voucher_verify(v, secret, slen, &d), MP_ERR_INTEGRITY);
	ck_assert_str_eq(d.message, "voucher: the header HMAC is not the device's");

	/* PEM out and in again gives the same bytes */
	ck_assert_int_eq(fdo_voucher_to_pem(v, &pem), MP_OK);
	ck_assert_ptr_nonnull(strstr(pem, "-----BEGIN OWNERSHIP VOUCHER-----\n"));
	ck_assert_int_eq(fdo_voucher_from_pem(pem, strlen(pem), &v2, &d), MP_OK);
	bytes = fdo_voucher_bytes(v2, &len);
	ck_assert_uint_eq(len, 2378);
	fdo_voucher_bytes(v, &n);
	ck_assert_mem_eq(bytes, fdo_voucher_bytes(v, &n), len);
	ck_assert_int_eq(fdo_voucher_from_pem("no voucher", 10, &v2, &d), MP_ERR_INVALID);
	ck_assert_str_eq(d.message, "no OWNERSHIP VOUCHER PEM block");
	fdo_voucher_free(v2);
	free(pem);
	free(secret);
	mp_buf_free(b);
	fdo_voucher_free(v);
}
END_TEST

START_TEST(fdo_rs_vouchers)
{
	static const struct {
		const char *file;
		size_t entries;
	} valid[] = { { "fdo-rs-v101_voucher2", 2 }, { "fdo-rs-v101_voucher3", 1 } };
	fdo_detail d;
	fdo_voucher *v;
	int rc;

	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		v = load(valid[i].file, &rc, &d);
		ck_assert_msg(rc == MP_OK, "%s: %s", valid[i].file, d.message);
		ck_assert_str_eq(fdo_voucher_device_info(v), "DemoDevice");
		ck_assert_uint_eq(fdo_voucher_entry_count(v), valid[i].entries);
		ck_assert_int_eq(fdo_voucher_manufacturer_key(v)->type, FDO_PK_SECP256R1);
		ck_assert_msg(fdo_voucher_verify(v, NULL, 0, &d) == MP_OK, "%s: %s", valid[i].file,
		    d.message);
		ck_assert_ptr_ne(fdo_voucher_owner_key(v), fdo_voucher_manufacturer_key(v));
		fdo_voucher_free(v);
	}
}
END_TEST

START_TEST(refused_vouchers)
{
	static const char *legacy[] = { "fdo-rs-v101_voucher1", "fdo-rs-testdevice1.ov" };
	static const char *v100[] = { "fdo-rs-v100_voucher1", "fdo-rs-v100_voucher2" };
	fdo_detail d;
	fdo_voucher *v;
	int rc;

	for (size_t i = 0; i < 2; i++) {
		v = load(legacy[i], &rc, &d);
		ck_assert_msg(rc == MP_OK, "%s: %s", legacy[i], d.message);
		ck_assert_str_eq(fdo_voucher_device_info(v), "testdevice");
		ck_assert_int_eq(fdo_voucher_verify(v, NULL, 0, &d), MP_ERR_INTEGRITY);
		ck_assert_str_eq(d.message,
		    "voucher: the device certificate chain hash was computed over the CBOR array, not "
		    "the concatenated certificates (a bug of older FDO tools)");
		fdo_voucher_free(v);
	}
	for (size_t i = 0; i < 2; i++) {
		v = load(v100[i], &rc, &d);
		ck_assert_ptr_null(v);
		ck_assert_int_eq(rc, MP_ERR_UNSUPPORTED);
		ck_assert_str_eq(d.message, "voucher: an FDO 1.0 voucher (header not in a byte string);"
		    " only FDO 1.1 is supported");
	}
}
END_TEST

/* The CBOR of a testdata voucher. */
static uint8_t *
voucher_cbor(const char *name, size_t *len)
{
	fdo_voucher *v;
	fdo_detail d;
	const uint8_t *b;
	uint8_t *copy;
	int rc;

	v = load(name, &rc, &d);
	ck_assert_int_eq(rc, MP_OK);
	b = fdo_voucher_bytes(v, len);
	copy = malloc(*len);
	memcpy(copy, b, *len);
	fdo_voucher_free(v);
	return copy;
}

/* Decodes and verifies p..n; the result, and the reason in d. */
static int
check_bytes(const uint8_t *p, size_t n, fdo_detail *d)
{
	fdo_voucher *v = NULL;
	int rc;

	memset(d, 0, sizeof(*d));
	if ((rc = fdo_voucher_decode(p, n, &v, d)) == MP_OK)
		rc = fdo_voucher_verify(v, NULL, 0, d);
	fdo_voucher_free(v);
	return rc;
}

/* Finds needle in hay (it must be there) and flips a bit of the byte at offset past it. */
static void
flip_after(uint8_t *hay, size_t n, const uint8_t *needle, size_t nl, size_t offset)
{
	uint8_t *at = memmem(hay, n, needle, nl);

	ck_assert_ptr_nonnull(at);
	ck_assert_uint_lt((size_t)(at - hay) + offset, n);
	at[offset] ^= 0x01;
}

START_TEST(altered_vouchers)
{
	static const uint8_t demo[] = "DemoDevice";
	static const uint8_t es256[] = { 0x43, 0xa1, 0x01, 0x26 };
	uint8_t *p, *q;
	size_t n;
	fdo_detail d;

	p = voucher_cbor("fdo-rs-v101_voucher2", &n);
	ck_assert_int_eq(check_bytes(p, n, &d), MP_OK);
	q = malloc(n);

	/* DeviceInfo changed: the first entry's hash of the header no longer matches */
	memcpy(q, p, n);
	flip_after(q, n, demo, 10, 0);
	ck_assert_int_eq(check_bytes(q, n, &d), MP_ERR_INTEGRITY);
	ck_assert_str_eq(d.message, "voucher entry 0: its hash of the header and HMAC does not match");

	/* the last byte is in the second entry's signature */
	memcpy(q, p, n);
	q[n - 1] ^= 0x01;
	ck_assert_int_eq(check_bytes(q, n, &d), MP_ERR_INTEGRITY);
	ck_assert_str_eq(d.message, "voucher entry 1: not signed by the previous owner key: "
	    "COSE_Sign1: the signature does not verify");

	/* a byte of the first entry's payload: its signature fails */
	memcpy(q, p, n);
	flip_after(q, n, es256, sizeof(es256), 12);
	ck_assert_int_eq(check_bytes(q, n, &d), MP_ERR_INTEGRITY);
	ck_assert_str_eq(d.message, "voucher entry 0: not signed by the manufacturer key: "
	    "COSE_Sign1: the signature does not verify");

	/* a byte of the first device certificate's signature: the chain hash fails */
	memcpy(q, p, n);
	flip_after(q, n, (const uint8_t *)"\x30\x82\x01\x1d\x30\x81\xc4", 7, 280);
	ck_assert_int_eq(check_bytes(q, n, &d), MP_ERR_INTEGRITY);
	ck_assert_str_eq(d.message,
	    "voucher: the device certificate chain hash does not match the chain");

	/* every truncation is refused, never read past */
	for (size_t k = 0; k < n; k++)
		ck_assert_int_ne(check_bytes(p, k, &d), MP_OK);
	free(q);
	free(p);
}
END_TEST

/*
 * The go-fdo voucher with its two device certificates swapped and the header's
 * chain hash computed again: the hash matches, the signatures along the chain do not.
 */
START_TEST(chain_signatures)
{
	const uint8_t *hdr, *cert[2], *span[5];
	size_t n, hl, cl[2], sl[5];
	uint8_t *p = voucher_cbor("go-fdo-ov.pem", &n);
	mp_buf *h = mp_buf_new(4096), *b = mp_buf_new(FDO_VOUCHER_MAX);
	fdo_bytes parts[2];
	fdo_hash old, hash;
	fdo_detail d;
	fdo_cbor c, hc;
	uint64_t ver;

	fdo_cbor_init(&c, p, n);
	ck_assert_int_eq(fdo_cbor_array_n(&c, 5), MP_OK);
	ck_assert_int_eq(fdo_cbor_uint(&c, 101, &ver), MP_OK);
	ck_assert_int_eq(fdo_cbor_bstr(&c, &hdr, &hl), MP_OK);
	/* the HMAC */
	ck_assert_int_eq(fdo_cbor_skip(&c, &span[0], &sl[0]), MP_OK);
	ck_assert_int_eq(fdo_cbor_array_n(&c, 2), MP_OK);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(fdo_cbor_bstr(&c, &cert[i], &cl[i]), MP_OK);

	/* the header with a hash over the certificates in the other order */
	fdo_cbor_init(&hc, hdr, hl);
	ck_assert_int_eq(fdo_cbor_array_n(&hc, 6), MP_OK);
	ck_assert_int_eq(fdo_cbor_uint(&hc, 101, &ver), MP_OK);
	/* GUID, RendezvousInfo, DeviceInfo, PublicKey */
	for (int i = 1; i <= 4; i++)
		ck_assert_int_eq(fdo_cbor_skip(&hc, &span[i], &sl[i]), MP_OK);
	ck_assert_int_eq(fdo_hash_decode(&hc, false, &old), MP_OK);
	parts[0].p = cert[1];
	parts[0].n = cl[1];
	parts[1].p = cert[0];
	parts[1].n = cl[0];
	ck_assert_int_eq(fdo_hash_compute(old.alg, parts, 2, &hash), MP_OK);
	ck_assert_int_eq(fdo_put_array(h, 6), MP_OK);
	ck_assert_int_eq(fdo_put_uint(h, 101), MP_OK);
	/* GUID to PublicKey as they were */
	ck_assert_int_eq(mp_buf_put(h, span[1], (size_t)(span[4] + sl[4] - span[1])), MP_OK);
	ck_assert_int_eq(fdo_hash_encode(h, &hash), MP_OK);

	ck_assert_int_eq(fdo_put_array(b, 5), MP_OK);
	ck_assert_int_eq(fdo_put_uint(b, 101), MP_OK);
	ck_assert_int_eq(fdo_put_bstr(b, mp_buf_ptr(h), mp_buf_len(h)), MP_OK);
	ck_assert_int_eq(mp_buf_put(b, span[0], sl[0]), MP_OK);
	ck_assert_int_eq(fdo_put_array(b, 2), MP_OK);
	ck_assert_int_eq(fdo_put_bstr(b, cert[1], cl[1]), MP_OK);
	ck_assert_int_eq(fdo_put_bstr(b, cert[0], cl[0]), MP_OK);
	ck_assert_int_eq(fdo_put_array(b, 0), MP_OK);
	ck_assert_int_eq(check_bytes(mp_buf_ptr(b), mp_buf_len(b), &d), MP_ERR_INTEGRITY);
	ck_assert_str_eq(d.message, "voucher: device certificate 0 is not signed by certificate 1");
	mp_buf_free(h);
	mp_buf_free(b);
	free(p);
}
END_TEST

/* [bstr To0d, To1d] with To0d = [voucher, wait, nonce of nlen bytes], To1d signed by key. */
static mp_buf *
owner_sign(EVP_PKEY *key, const fdo_rv_addr *a, size_t na, size_t nlen, fdo_hash *h)
{
	static const uint8_t voucher[] = { 0x85, 0x18, 0x65, 0x40, 0xf6, 0xf6, 0x80 };
	static const uint8_t nonce[32] = { 7 };
	mp_buf *to0d = mp_buf_new(1024), *payload = mp_buf_new(1024), *msg = mp_buf_new(4096);
	fdo_bytes part;

	ck_assert_int_eq(fdo_put_array(to0d, 3), MP_OK);
	ck_assert_int_eq(mp_buf_put(to0d, voucher, sizeof(voucher)), MP_OK);
	ck_assert_int_eq(fdo_put_uint(to0d, 3600), MP_OK);
	ck_assert_int_eq(fdo_put_bstr(to0d, nonce, nlen), MP_OK);
	part.p = mp_buf_ptr(to0d);
	part.n = mp_buf_len(to0d);
	ck_assert_int_eq(fdo_hash_compute(FDO_SHA256, &part, 1, h), MP_OK);
	ck_assert_int_eq(fdo_to1d_payload_write(payload, a, na, h), MP_OK);
	ck_assert_int_eq(fdo_put_array(msg, 2), MP_OK);
	ck_assert_int_eq(fdo_put_bstr(msg, mp_buf_ptr(to0d), mp_buf_len(to0d)), MP_OK);
	ck_assert_int_eq(fdo_sign1_sign_ec(key, mp_buf_ptr(payload), mp_buf_len(payload), NULL, 0,
	    msg), MP_OK);
	mp_buf_free(to0d);
	mp_buf_free(payload);
	return msg;
}

START_TEST(rendezvous_messages)
{
	static const uint8_t guid[FDO_GUID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
		15, 16 };
	static const uint8_t nonce[FDO_NONCE_LEN] = { 0xaa };
	/* [Guid, [-7, h'']], and with RS256 (-257) and a short GUID */
	static const uint8_t hello[] = { 0x82, 0x50, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
		15, 16, 0x82, 0x26, 0x40 };
	static const uint8_t hello_rs[] = { 0x82, 0x50, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
		14, 15, 16, 0x82, 0x39, 0x01, 0x00, 0x40 };
	static const uint8_t hello_short[] = { 0x82, 0x41, 1, 0x82, 0x26, 0x40 };
	/* {10: nonce} only; {256: h'02' || guid, 10: nonce} */
	static const uint8_t eat_no_ueid[] = { 0xa1, 0x0a, 0x50, 0xaa, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0 };
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	fdo_rv_addr a[2];
	fdo_to0_owner_sign m;
	fdo_pubkey pub = { FDO_PK_SECP256R1, FDO_PKENC_X509, key };
	/* EAT-FDO: [h'0102'] */
	static const uint8_t eat_fdo[] = { 0x81, 0x42, 0x01, 0x02 };
	fdo_detail d = { { 0 } };
	uint8_t g[FDO_GUID_LEN];
	fdo_eat e;
	int64_t sg;
	fdo_hash h;
	mp_buf *msg, *eat = mp_buf_new(256);

	memset(a, 0, sizeof(a));
	snprintf(a[0].dns, sizeof(a[0].dns), "owner.example");
	a[0].port = 8043;
	a[0].protocol = FDO_PROT_HTTPS;
	a[1].ip_len = 4;
	a[1].ip[0] = 192;
	a[1].port = 80;
	a[1].protocol = FDO_PROT_HTTP;
	msg = owner_sign(key, a, 2, FDO_NONCE_LEN, &h);
	ck_assert_int_eq(fdo_to0_owner_sign_decode(mp_buf_ptr(msg), mp_buf_len(msg), &m, &d), MP_OK);
	ck_assert_uint_eq(m.wait_seconds, 3600);
	ck_assert_uint_eq(m.voucher_len, 7);
	ck_assert_uint_eq(m.nonce[0], 7);
	ck_assert_uint_eq(m.to1d_payload.naddrs, 2);
	ck_assert_str_eq(m.to1d_payload.addrs[0].dns, "owner.example");
	ck_assert_uint_eq(m.to1d_payload.addrs[0].port, 8043);
	ck_assert_uint_eq(m.to1d_payload.addrs[0].protocol, FDO_PROT_HTTPS);
	ck_assert_uint_eq(m.to1d_payload.addrs[1].ip_len, 4);
	ck_assert_uint_eq(m.to1d_payload.addrs[1].ip[0], 192);
	ck_assert(fdo_hash_equal(&m.to1d_payload.to0d_hash, &h));
	ck_assert_ptr_eq(m.to1d + m.to1d_len, mp_buf_ptr(msg) + mp_buf_len(msg));
	ck_assert_int_eq(fdo_sign1_verify(&m.to1d_sign1, &pub, &d), MP_OK);
	ck_assert_int_eq(fdo_to0_owner_sign_decode(mp_buf_ptr(msg), mp_buf_len(msg) - 1, &m, &d),
	    MP_ERR_INVALID);
	mp_buf_free(msg);

	msg = owner_sign(key, a, 1, 15, &h);
	ck_assert_int_eq(fdo_to0_owner_sign_decode(mp_buf_ptr(msg), mp_buf_len(msg), &m, &d),
	    MP_ERR_INVALID);
	ck_assert_str_eq(d.message,
	    "To0d is not [OwnershipVoucher, WaitSeconds, NonceTO0Sign (16 bytes)]");
	mp_buf_free(msg);
	a[0].dns[0] = '\0';
	msg = owner_sign(key, a, 1, FDO_NONCE_LEN, &h);
	ck_assert_int_eq(fdo_to0_owner_sign_decode(mp_buf_ptr(msg), mp_buf_len(msg), &m, &d),
	    MP_ERR_INVALID);
	ck_assert_str_eq(d.message, "To1d: RVTO2AddrEntry: neither RVIP nor RVDNS");
	mp_buf_free(msg);

	ck_assert_int_eq(fdo_to1_hello_decode(hello, sizeof(hello), g, &sg, &d), MP_OK);
	ck_assert_int_eq(memcmp(g, guid, sizeof(g)), 0);
	ck_assert_int_eq(sg, FDO_COSE_ES256);
	ck_assert_int_eq(fdo_to1_hello_decode(hello_rs, sizeof(hello_rs), g, &sg, &d), MP_OK);
	ck_assert_int_eq(sg, FDO_COSE_RS256);
	ck_assert_int_eq(fdo_to1_hello_decode(hello_short, sizeof(hello_short), g, &sg, &d),
	    MP_ERR_INVALID);
	ck_assert_str_eq(d.message, "TO1.HelloRV is not [Guid (16 bytes), eASigInfo]");

	ck_assert_int_eq(fdo_eat_write(eat, nonce, guid, NULL, 0), MP_OK);
	ck_assert_int_eq(fdo_eat_decode(mp_buf_ptr(eat), mp_buf_len(eat), &e, &d), MP_OK);
	ck_assert_int_eq(memcmp(e.nonce, nonce, FDO_NONCE_LEN), 0);
	ck_assert_int_eq(memcmp(e.guid, guid, sizeof(g)), 0);
	ck_assert_ptr_null(e.fdo);
	mp_buf_reset(eat);
	ck_assert_int_eq(fdo_eat_write(eat, nonce, guid, eat_fdo, sizeof(eat_fdo)), MP_OK);
	ck_assert_int_eq(fdo_eat_decode(mp_buf_ptr(eat), mp_buf_len(eat), &e, &d), MP_OK);
	ck_assert_uint_eq(e.fdo_len, sizeof(eat_fdo));
	ck_assert_int_eq(memcmp(e.fdo, eat_fdo, sizeof(eat_fdo)), 0);
	ck_assert_int_eq(fdo_eat_decode(eat_no_ueid, sizeof(eat_no_ueid), &e, &d),
	    MP_ERR_INVALID);
	ck_assert_str_eq(d.message, "EAT: no nonce or no UEID claim");
	mp_buf_reset(eat);
	ck_assert_int_eq(fdo_eat_write(eat, nonce, guid, NULL, 0), MP_OK);
	((uint8_t *)mp_buf_ptr(eat))[mp_buf_len(eat) - FDO_GUID_LEN - 1] = 0x02;
	ck_assert_int_eq(fdo_eat_decode(mp_buf_ptr(eat), mp_buf_len(eat), &e, &d),
	    MP_ERR_INVALID);
	ck_assert_str_eq(d.message, "EAT: the UEID is not 0x01 and a GUID");
	mp_buf_free(eat);
	EVP_PKEY_free(key);
}
END_TEST

START_TEST(kdf_known_answer)
{
	static const char secret[] = "08c9dc0cc5e9dd2558a12ae60cd00670d01a09cca52bae8a671a21e1babdb25b"
	    "c21963c48b4aa77bb8ed338f0c5a15efee069ce10a09be2aacf857b8dcd9df8e";
	static const char want[] = "e5e959c8cbdd5989c819f7ea8c69bcb3f70a442830ba235c5aa0b4047d0cda0b";
	uint8_t out[32];
	size_t sl, wl;
	uint8_t *sp = unhex(secret, &sl), *wp = unhex(want, &wl);

	ck_assert_int_eq(fdo_kdf(FDO_HMAC_SHA256, sp, sl, out, sizeof(out)), MP_OK);
	ck_assert_int_eq(memcmp(out, wp, wl), 0);
	/* L is part of the PRF's input: 16 bytes are not the first half of 32 */
	ck_assert_int_eq(fdo_kdf(FDO_HMAC_SHA256, sp, sl, out, 16), MP_OK);
	ck_assert_int_ne(memcmp(out, wp, 16), 0);
	free(sp);
	free(wp);
}
END_TEST

/* Both sides of suite with cipher: the keys agree; a message encrypted by one opens for the other. */
static void
exchange(int suite, int cipher)
{
	static const uint8_t msg[] = "[\"devmod\"]";
	mp_buf *a = mp_buf_new(FDO_KEX_PARAM_MAX), *b = mp_buf_new(FDO_KEX_PARAM_MAX),
	       *ct = mp_buf_new(256), *pt = mp_buf_new(256);
	EVP_PKEY *ka = NULL, *kb = NULL;
	fdo_detail d = { { 0 } };
	fdo_sek owner, device, other;
	uint8_t *p;

	ck_assert_int_eq(fdo_kex_param(suite, &ka, a), MP_OK);
	ck_assert_int_eq(fdo_kex_param(suite, &kb, b), MP_OK);
	ck_assert_uint_eq(mp_buf_len(a), suite == FDO_ECDH384 ? 150 : 86);
	ck_assert_int_eq(fdo_kex_derive(suite, cipher, ka, mp_buf_ptr(a), mp_buf_len(a),
	    mp_buf_ptr(b), mp_buf_len(b), true, &owner, &d), MP_OK);
	ck_assert_int_eq(fdo_kex_derive(suite, cipher, kb, mp_buf_ptr(b), mp_buf_len(b),
	    mp_buf_ptr(a), mp_buf_len(a), false, &device, &d), MP_OK);
	ck_assert_uint_eq(owner.len, cipher == FDO_A256GCM ? 32 : 16);
	ck_assert_int_eq(memcmp(owner.key, device.key, owner.len), 0);
	/* both think they are the owner: the randoms go in the other order */
	ck_assert_int_eq(fdo_kex_derive(suite, cipher, kb, mp_buf_ptr(b), mp_buf_len(b),
	    mp_buf_ptr(a), mp_buf_len(a), true, &other, &d), MP_OK);
	ck_assert_int_ne(memcmp(owner.key, other.key, owner.len), 0);
	ck_assert_int_eq(fdo_kex_derive(suite, cipher, ka, mp_buf_ptr(a), mp_buf_len(a),
	    mp_buf_ptr(b), mp_buf_len(b) - 1, true, &other, &d), MP_ERR_INVALID);

	ck_assert_int_eq(fdo_encrypt0(&owner, msg, sizeof(msg), ct), MP_OK);
	ck_assert_int_eq(fdo_decrypt0(&device, mp_buf_ptr(ct), mp_buf_len(ct), pt, &d), MP_OK);
	ck_assert_uint_eq(mp_buf_len(pt), sizeof(msg));
	ck_assert_int_eq(memcmp(mp_buf_ptr(pt), msg, sizeof(msg)), 0);
	other = device;
	other.key[0] ^= 1;
	ck_assert_int_eq(fdo_decrypt0(&other, mp_buf_ptr(ct), mp_buf_len(ct), pt, &d),
	    MP_ERR_INTEGRITY);
	ck_assert_str_eq(d.message, "COSE_Encrypt0: does not decrypt with the session key");
	other = device;
	other.cipher = cipher == FDO_A256GCM ? FDO_A128GCM : FDO_A256GCM;
	other.len = cipher == FDO_A256GCM ? 16 : 32;
	ck_assert_int_eq(fdo_decrypt0(&other, mp_buf_ptr(ct), mp_buf_len(ct), pt, &d),
	    MP_ERR_INVALID);
	ck_assert_str_eq(d.message, "COSE_Encrypt0: the algorithm is not the session's");
	p = (uint8_t *)mp_buf_ptr(ct);
	p[mp_buf_len(ct) - 1] ^= 1;
	ck_assert_int_eq(fdo_decrypt0(&device, mp_buf_ptr(ct), mp_buf_len(ct), pt, &d),
	    MP_ERR_INTEGRITY);
	ck_assert_int_eq(fdo_decrypt0(&device, mp_buf_ptr(ct), mp_buf_len(ct) - 1, pt, &d),
	    MP_ERR_INVALID);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kb);
	mp_buf_free(a);
	mp_buf_free(b);
	mp_buf_free(ct);
	mp_buf_free(pt);
}

START_TEST(key_exchange)
{
	fdo_detail d = { { 0 } };
	int suite;

	exchange(FDO_ECDH256, FDO_A128GCM);
	exchange(FDO_ECDH256, FDO_A256GCM);
	exchange(FDO_ECDH384, FDO_A128GCM);
	exchange(FDO_ECDH384, FDO_A256GCM);
	ck_assert_int_eq(fdo_kex_suite_of("ECDH384", 7, FDO_A256GCM, &suite, &d), MP_OK);
	ck_assert_int_eq(suite, FDO_ECDH384);
	ck_assert_int_eq(fdo_kex_suite_of("DHKEXid14", 9, FDO_A128GCM, &suite, &d),
	    MP_ERR_UNSUPPORTED);
	ck_assert_str_eq(d.message, "key exchange DHKEXid14 is not supported (ECDH256 and ECDH384 are)");
	ck_assert_int_eq(fdo_kex_suite_of("ECDH256", 7, 32, &suite, &d), MP_ERR_UNSUPPORTED);
	ck_assert_str_eq(d.message, "cipher suite 32 is not supported (A128GCM 1 and A256GCM 3 are)");
}
END_TEST

START_TEST(to2_hello)
{
	static const uint8_t guid[FDO_GUID_LEN] = { 9 };
	static const uint8_t nonce[FDO_NONCE_LEN] = { 5 };
	mp_buf *b = mp_buf_new(256);
	fdo_detail d = { { 0 } };
	fdo_to2_hello m;

	ck_assert_int_eq(fdo_to2_hello_write(b, guid, nonce, "ECDH384", FDO_A256GCM, FDO_COSE_ES384),
	    MP_OK);
	ck_assert_int_eq(fdo_to2_hello_decode(mp_buf_ptr(b), mp_buf_len(b), &m, &d), MP_OK);
	ck_assert_uint_eq(m.max_msg, UINT16_MAX);
	ck_assert_int_eq(memcmp(m.guid, guid, sizeof(guid)), 0);
	ck_assert_int_eq(memcmp(m.nonce, nonce, sizeof(nonce)), 0);
	ck_assert_str_eq(m.kex, "ECDH384");
	ck_assert_int_eq(m.cipher, FDO_A256GCM);
	ck_assert_int_eq(m.sg_type, FDO_COSE_ES384);
	ck_assert_uint_eq(m.sig_info_len, 4);
	mp_buf_reset(b);
	ck_assert_int_eq(fdo_to2_hello_write(b, guid, nonce, "ECDH256-MUCH-TOO-LONG", FDO_A128GCM,
	    FDO_COSE_ES256), MP_OK);
	ck_assert_int_eq(fdo_to2_hello_decode(mp_buf_ptr(b), mp_buf_len(b), &m, &d), MP_ERR_INVALID);
	ck_assert_str_eq(d.message, "TO2.HelloDevice is not [maxDeviceMessageSize, Guid,"
	    " NonceTO2ProveOV, kexSuiteName, cipherSuiteName, eASigInfo]");
	mp_buf_free(b);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("fido");
	TCase *tc = tcase_create("encodings");

	tcase_add_test(tc, cbor_reader);
	tcase_add_test(tc, cbor_writer);
	tcase_add_test(tc, hashes);
	tcase_add_test(tc, public_keys);
	tcase_add_test(tc, rendezvous_info);
	tcase_add_test(tc, go_fdo_voucher);
	tcase_add_test(tc, fdo_rs_vouchers);
	tcase_add_test(tc, refused_vouchers);
	tcase_add_test(tc, altered_vouchers);
	tcase_add_test(tc, chain_signatures);
	tcase_add_test(tc, rendezvous_messages);
	tcase_add_test(tc, kdf_known_answer);
	tcase_add_test(tc, key_exchange);
	tcase_add_test(tc, to2_hello);
	suite_add_tcase(s, tc);
	return s;
}
