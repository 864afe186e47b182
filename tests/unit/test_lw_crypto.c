/*
 * lorawan/ crypto against the published vectors collected in
 * ../shared/testdata/lorawan/VECTORS.md (V1..V13 below name its sections).
 */
#include <stdio.h>
#include <string.h>

#include "bi.h"
#include "check_main.h"
#include "codec.h"
#include "crypto.h"
#include "err.h"
#include "keys.h"
#include "phy.h"

/* Decodes hex (spaces allowed) into out, which must take exactly n bytes. */
static void
hex(const char *s, uint8_t *out, size_t n)
{
	size_t got = 0;

	for (; *s != '\0'; s++) {
		if (*s == ' ')
			continue;
		ck_assert_int_ge(mp_hex_digit(s[0]), 0);
		ck_assert_int_ge(mp_hex_digit(s[1]), 0);
		ck_assert_uint_lt(got, n);
		out[got++] = (uint8_t)(mp_hex_digit(s[0]) << 4 | mp_hex_digit(s[1]));
		s++;
	}
	ck_assert_uint_eq(got, n);
}

static void
assert_hex(const uint8_t *got, size_t n, const char *want)
{
	uint8_t w[64];

	ck_assert_uint_le(n, sizeof(w));
	hex(want, w, n);
	ck_assert_mem_eq(got, w, n);
}

/* V1: RFC 4493 §4 */
START_TEST(cmac_rfc4493)
{
	static const struct { size_t len; const char *mac; } v[] = {
		{ 0, "bb1d6929e95937287fa37d129b756746" },
		{ 16, "070a16b46b4d4144f79bdd9dd04a287c" },
		{ 40, "dfa66747de9ae63030ca32611497c827" },
		{ 64, "51f0bebf7e3b9d92fc49741779363cfe" },
	};
	uint8_t key[16], msg[64], mac[16], mic[4];

	hex("2b7e151628aed2a6abf7158809cf4f3c", key, 16);
	hex("6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51"
	    "30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710", msg, 64);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert_int_eq(lw_cmac(key, msg, v[i].len, mac), MP_OK);
		assert_hex(mac, 16, v[i].mac);
		ck_assert_int_eq(lw_mic(key, msg, v[i].len, mic), MP_OK);
		ck_assert_mem_eq(mic, mac, 4);
	}
}
END_TEST

/* V2: RFC 3394 §4 (TTS keywrap_test.go), both directions */
START_TEST(key_wrap_rfc3394)
{
	static const struct { size_t kek_len, key_len; const char *wrapped; } v[] = {
		{ 16, 16, "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5" },
		{ 24, 16, "96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D" },
		{ 32, 16, "64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7" },
		{ 24, 24, "031D33264E15D33268F24EC260743EDCE1C6C7DDEE725A936BA814915C6762D2" },
		{ 32, 24, "A8F9BC1612C68B3FF6E6F4FBE30E71E4769C8B80A32CB8958CD5D17D6B254DA1" },
		{ 32, 32, "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21" },
	};
	uint8_t kek[32], key[32], out[40], back[32];

	hex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", kek, 32);
	hex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F", key, 32);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = v[i].key_len + LW_WRAP_OVERHEAD;

		ck_assert_int_eq(lw_key_wrap(kek, v[i].kek_len, key, v[i].key_len, out), MP_OK);
		assert_hex(out, n, v[i].wrapped);
		ck_assert_int_eq(lw_key_unwrap(kek, v[i].kek_len, out, n, back), MP_OK);
		ck_assert_mem_eq(back, key, v[i].key_len);
	}
}
END_TEST

START_TEST(key_wrap_refusals)
{
	uint8_t kek[16] = { 0 }, key[40] = { 0 }, out[48], back[40];
	const uint8_t zero[16] = { 0 };

	ck_assert_int_eq(lw_key_wrap(kek, 16, key, 16, out), MP_OK);
	out[5] ^= 1;
	memset(back, 0xaa, sizeof(back));
	ck_assert_int_eq(lw_key_unwrap(kek, 16, out, 24, back), MP_ERR_INTEGRITY);
	ck_assert_mem_eq(back, zero, 16);
	out[5] ^= 1;
	kek[0] = 1;
	ck_assert_int_eq(lw_key_unwrap(kek, 16, out, 24, back), MP_ERR_INTEGRITY);
	ck_assert_int_eq(lw_key_wrap(kek, 15, key, 16, out), MP_ERR_INVALID);
	ck_assert_int_eq(lw_key_wrap(kek, 16, key, 8, out), MP_ERR_INVALID);
	ck_assert_int_eq(lw_key_wrap(kek, 16, key, 20, out), MP_ERR_INVALID);
	ck_assert_int_eq(lw_key_wrap(kek, 16, key, 40, out), MP_ERR_INVALID);
	ck_assert_int_eq(lw_key_unwrap(kek, 16, out, 16, back), MP_ERR_INVALID);
	ck_assert_int_eq(lw_key_unwrap(kek, 16, out, 25, back), MP_ERR_INVALID);
	ck_assert_int_eq(lw_key_unwrap(kek, 16, out, 48, back), MP_ERR_INVALID);
}
END_TEST

/* V3: brocaar TestKeyEnvelope */
START_TEST(key_envelope_brocaar)
{
	uint8_t kek[16], key[16], out[24];

	hex("08070605040302010807060504030201", kek, 16);
	hex("01020304050607080102030405060708", key, 16);
	ck_assert_int_eq(lw_key_wrap(kek, 16, key, 16, out), MP_OK);
	assert_hex(out, 24, "e3d5a47ba25cbe6e5da820846e0cb6a82b750c59d848ec7a");
}
END_TEST

/* Parses hex as a PHYPayload and checks its MIC under key_hex. */
static void
assert_request(const char *phy_hex, size_t len, const char *key_hex, lw_join_msg *m,
    uint8_t *buf)
{
	uint8_t key[16];

	hex(phy_hex, buf, len);
	hex(key_hex, key, 16);
	ck_assert_int_eq(lw_phy_parse(buf, len, m), MP_OK);
	ck_assert_ptr_eq(m->signed_part, buf);
	ck_assert_uint_eq(m->signed_len, len - 4);
	ck_assert_int_eq(lw_phy_check_mic(m, key), MP_OK);
	key[15] ^= 1;
	ck_assert_int_eq(lw_phy_check_mic(m, key), MP_ERR_INTEGRITY);
}

/* V4, V5, V11, V13: Join-requests */
START_TEST(join_request_parse_and_mic)
{
	uint8_t buf[24];
	lw_join_msg m;

	/* V4 */
	assert_request("00 0403020104030201 0504030205040302 2d10 6a990e12", 23,
	    "01010101010101010101010101010101", &m, buf);
	ck_assert_uint_eq(m.join_req_type, LW_JOIN_REQ_TYPE_JOIN);
	ck_assert_uint_eq(m.join_eui, 0x0102030401020304ull);
	ck_assert_uint_eq(m.dev_eui, 0x0203040502030405ull);
	ck_assert_uint_eq(m.dev_nonce, 4141);
	ck_assert_uint_eq(m.net_id, 0);
	/* V5 */
	assert_request("00 0101010101010101 0202020202020202 0303 09b97b32", 23,
	    "0102030405060708090a0b0c0d0e0f10", &m, buf);
	ck_assert_uint_eq(m.dev_nonce, 771);
	/* V11 */
	assert_request("00 0807060504030201 0807060504030201 0201 e6e10c55", 23,
	    "01010101010101010101010101010101", &m, buf);
	ck_assert_uint_eq(m.join_eui, 0x0102030405060708ull);
	ck_assert_uint_eq(m.dev_nonce, 0x0102);
	/* V13: 1.0 (AppKey) and 1.1 (NwkKey) */
	assert_request("0039363463336913AA05693574323831330489C65B1304", 23,
	    "98929b92c49edba9676d646d3b612456", &m, buf);
	ck_assert_uint_eq(m.join_eui, 0xAA13693363343639ull);
	ck_assert_uint_eq(m.dev_eui, 0x3331383274356905ull);
	ck_assert_uint_eq(m.dev_nonce, 0x8904);
	assert_request("00010000000000000001000000000000000ce83685eb17", 23,
	    "01010101010101010101010101010101", &m, buf);
	ck_assert_uint_eq(m.join_eui, 1);
	ck_assert_uint_eq(m.dev_eui, 1);
	ck_assert_uint_eq(m.dev_nonce, 0xe80c);
}
END_TEST

/* V11 and V12: Rejoin-requests of the three types */
START_TEST(rejoin_request_parse_and_mic)
{
	uint8_t buf[24];
	lw_join_msg m;

	assert_request("c0 00 030201 0807060504030201 0201 11da47bd", 19,
	    "01010101010101010101010101010101", &m, buf);
	ck_assert_uint_eq(m.join_req_type, 0);
	ck_assert_uint_eq(m.net_id, 0x010203);
	ck_assert_uint_eq(m.dev_eui, 0x0102030405060708ull);
	ck_assert_uint_eq(m.dev_nonce, 0x0102);
	assert_request("c0 01 0807060504030201 0807060504030201 0201 67f9abe7", 24,
	    "01010101010101010101010101010101", &m, buf);
	ck_assert_uint_eq(m.join_req_type, 1);
	ck_assert_uint_eq(m.join_eui, 0x0102030405060708ull);
	assert_request("c0 02 030201 0807060504030201 0201 2b459cf0", 19,
	    "01010101010101010101010101010101", &m, buf);
	ck_assert_uint_eq(m.join_req_type, 2);
	assert_request("c0 02 030201 0807060504030201 db00 3c8642ae", 19,
	    "00000000000000000000000000000000", &m, buf);
	ck_assert_uint_eq(m.net_id, 0x010203);
	ck_assert_uint_eq(m.dev_nonce, 219);
	assert_request("c0 01 0807060504030201 100f0e0d0c0b0a09 db00 eac31072", 24,
	    "00000000000000000000000000000000", &m, buf);
	ck_assert_uint_eq(m.join_eui, 0x0102030405060708ull);
	ck_assert_uint_eq(m.dev_eui, 0x090a0b0c0d0e0f10ull);
	ck_assert_uint_eq(m.dev_nonce, 219);
}
END_TEST

/* a RejoinReq decodes the V12 Rejoin-requests of either length, and nothing else */
static int
rejoin_req(const char *phy, lw_bi_req *req, const char **why)
{
	char body[512];
	lw_bi_header h;

	snprintf(body, sizeof(body), "{\"ProtocolVersion\":\"1.1\",\"SenderID\":\"010203\","
	    "\"ReceiverID\":\"0102030405060708\",\"TransactionID\":3,\"MessageType\":"
	    "\"RejoinReq\",\"MACVersion\":\"1.1\",\"PHYPayload\":\"%s\",\"DevEUI\":"
	    "\"0102030405060708\",\"DevAddr\":\"01020304\",\"DLSettings\":\"80\",\"RxDelay\":1}",
	    phy);
	return lw_bi_decode((const uint8_t *)body, strlen(body), &h, req, why);
}

START_TEST(rejoin_req_decode)
{
	const char *why = NULL;
	lw_join_msg m;
	lw_bi_req req;

	ck_assert_int_eq(rejoin_req("c0020302010807060504030201db003c8642ae", &req, &why), MP_OK);
	ck_assert_int_eq(req.type, LW_BI_REJOIN_REQ);
	ck_assert_uint_eq(req.join.phy_len, 19);
	ck_assert_int_eq(lw_phy_parse(req.join.phy, req.join.phy_len, &m), MP_OK);
	ck_assert_uint_eq(m.join_req_type, 2);
	ck_assert_uint_eq(m.dev_nonce, 219);
	ck_assert_int_eq(rejoin_req("0xC0010807060504030201100F0E0D0C0B0A09DB00EAC31072", &req, &why),
	    MP_OK);
	ck_assert_uint_eq(req.join.phy_len, 24);
	ck_assert_int_eq(lw_phy_parse(req.join.phy, req.join.phy_len, &m), MP_OK);
	ck_assert_uint_eq(m.join_req_type, 1);
	ck_assert_uint_eq(m.join_eui, 0x0102030405060708ull);
	/* a Join-request's length, and one byte short of a Rejoin-request */
	ck_assert_int_eq(rejoin_req("000807060504030201080706050403020102e6e10c55", &req, &why),
	    MP_ERR_INVALID);
	ck_assert_str_eq(why, "PHYPayload must be a Rejoin-request: 38 or 48 hex digits");
	ck_assert_int_eq(rejoin_req("c0020302010807060504030201db003c8642", &req, &why),
	    MP_ERR_INVALID);
	ck_assert_str_eq(lw_bi_result_code(LW_RESULT_MALFORMED, LW_BI_11), "MalformedMessage");
}
END_TEST

START_TEST(phy_parse_refusals)
{
	uint8_t buf[40] = { 0 };
	lw_join_msg m;

	ck_assert_int_eq(lw_phy_parse(buf, 0, &m), MP_ERR_INVALID);
	ck_assert_int_eq(lw_phy_parse(buf, 22, &m), MP_ERR_INVALID);
	ck_assert_int_eq(lw_phy_parse(buf, 24, &m), MP_ERR_INVALID);
	buf[0] = 0x01; /* major version other than R1 */
	ck_assert_int_eq(lw_phy_parse(buf, 23, &m), MP_ERR_INVALID);
	buf[0] = 0x04; /* RFU bits */
	ck_assert_int_eq(lw_phy_parse(buf, 23, &m), MP_ERR_INVALID);
	buf[0] = 0x20; /* Join-accept */
	ck_assert_int_eq(lw_phy_parse(buf, 17, &m), MP_ERR_UNSUPPORTED);
	buf[0] = 0x40; /* unconfirmed data up */
	ck_assert_int_eq(lw_phy_parse(buf, 23, &m), MP_ERR_UNSUPPORTED);
	buf[0] = 0xc0;
	ck_assert_int_eq(lw_phy_parse(buf, 1, &m), MP_ERR_INVALID);
	buf[1] = 3;
	ck_assert_int_eq(lw_phy_parse(buf, 19, &m), MP_ERR_INVALID);
	buf[1] = 0;
	ck_assert_int_eq(lw_phy_parse(buf, 24, &m), MP_ERR_INVALID);
	buf[1] = 1;
	ck_assert_int_eq(lw_phy_parse(buf, 19, &m), MP_ERR_INVALID);
	ck_assert_int_eq(lw_phy_parse(buf, 24, &m), MP_OK);
}
END_TEST

/* Encodes ja (with opt11 when given) under one key and compares the PHYPayload. */
static void
assert_accept(const lw_join_accept *ja, const lw_join_accept11 *opt11, const char *key_hex,
    const char *want_hex, size_t want_len)
{
	uint8_t key[16], out[LW_JOIN_ACCEPT_MAX];
	size_t len = 0;

	hex(key_hex, key, 16);
	ck_assert_int_eq(lw_join_accept_encode(ja, opt11, key, key, out, &len), MP_OK);
	ck_assert_uint_eq(len, want_len);
	assert_hex(out, len, want_hex);
}

/* V6, V7, V8, V11, V13: Join-accepts, 1.0 and 1.1 MICs */
START_TEST(join_accept_encode)
{
	lw_join_accept ja = { .join_nonce = 0x570bc7, .net_id = 0x221101, .dev_addr = 0x02031980 };
	lw_join_accept11 o11 = { LW_JOIN_REQ_TYPE_JOIN, 0x0807060504030201ull, 258 };
	uint8_t key[16], plain[24], mic[4];

	assert_accept(&ja, NULL, "00112233445566778899aabbccddeeff",
	    "20493eeb51fba2116f810edb3742975142", 17);
	ja = (lw_join_accept){ .join_nonce = 65793, .net_id = 0x020202, .dev_addr = 0x01020304 };
	assert_accept(&ja, NULL, "0102030405060708090a0b0c0d0e0f10",
	    "2023cf335489aae3183c0be0baa8dee5f3", 17);
	ja.dl_settings = 0x80;
	assert_accept(&ja, &o11, "0102030405060708090a0b0c0d0e0f10",
	    "207abeea06b02920f11c02d0348fcf1815", 17);
	/* V11: the ciphertext of the 1.0 message, and the 1.1 MIC over the same fields */
	ja = (lw_join_accept){ .join_nonce = 0x010203, .net_id = 0x010203, .dev_addr = 0x01020304,
		.rx_delay = 1 };
	assert_accept(&ja, NULL, "01010101010101010101010101010101",
	    "20 c9fbb259e11649096a568a9e3b7117c3", 17);
	hex("01010101010101010101010101010101", key, 16);
	hex("ff 0102030405060708 0102 20 030201 030201 04030201 00 01", plain, 24);
	ck_assert_int_eq(lw_mic(key, plain, 24, mic), MP_OK);
	assert_hex(mic, 4, "48e9be5f");
	/* V13: lora-packet's plaintext MIC, and the all-zero Join-accept */
	hex("98929b92c49edba9676d646d3b612456", key, 16);
	hex("20386337CCBBAAE7CD2C010000", plain, 13);
	ck_assert_int_eq(lw_mic(key, plain, 13, mic), MP_OK);
	assert_hex(mic, 4, "d9d0a6e7");
	ja = (lw_join_accept){ 0 };
	assert_accept(&ja, NULL, "00000000000000000000000000000000",
	    "20e3de108795f776b8037610ef7869b5b3", 17);
}
END_TEST

START_TEST(join_accept_cflist)
{
	lw_join_accept ja = { .join_nonce = 1, .net_id = 2, .dev_addr = 3, .has_cflist = true };
	uint8_t key[16] = { 7 }, out[LW_JOIN_ACCEPT_MAX], plain[33], want[4];
	size_t len = 0;

	for (size_t i = 0; i < LW_CFLIST_LEN; i++)
		ja.cflist[i] = (uint8_t)i;
	ck_assert_int_eq(lw_join_accept_encode(&ja, NULL, key, key, out, &len), MP_OK);
	ck_assert_uint_eq(len, 33);
	/* the device's view: AES encrypt of the ciphertext gives the message and its MIC */
	ck_assert_int_eq(lw_aes_ecb(key, true, out + 1, 32, plain + 1), MP_OK);
	plain[0] = out[0];
	ck_assert_uint_eq(plain[0], 0x20);
	ck_assert_uint_eq(lw_get_le(plain + 1, 3), 1);
	ck_assert_uint_eq(lw_get_le(plain + 4, 3), 2);
	ck_assert_uint_eq(lw_get_le(plain + 7, 4), 3);
	ck_assert_mem_eq(plain + 13, ja.cflist, LW_CFLIST_LEN);
	ck_assert_int_eq(lw_mic(key, plain, 29, want), MP_OK);
	ck_assert_mem_eq(plain + 29, want, 4);
}
END_TEST

/* V9 and V13: session keys; V9's 1.1 keys also wrapped under the all-zero KEK */
START_TEST(session_keys)
{
	uint8_t nwk[16], app[16], kek[16] = { 0 }, wrapped[24];
	lw_keys10 k10;
	lw_keys11 k11;
	lw_js_keys js;

	hex("01020304050607080102030405060708", nwk, 16);
	memset(app, 0, 16);
	ck_assert_int_eq(lw_keys_derive10(nwk, 65536, 0x010203, 258, &k10), MP_OK);
	assert_hex(k10.nwk_s_key, 16, "df53c35f3034ccced0ff354c70de04df");
	assert_hex(k10.app_s_key, 16, "927b9c911183cffe4cb2ff4b75545f6d");
	ck_assert_int_eq(lw_keys_derive11(nwk, app, 65536, 0x0807060504030201ull, 258, &k11), MP_OK);
	assert_hex(k11.f_nwk_s_int_key, 16, "537f8aae896c79e015d102d06286354e");
	assert_hex(k11.s_nwk_s_int_key, 16, "589498993092cfdb5fd2e02ac7510bf1");
	assert_hex(k11.nwk_s_enc_key, 16, "9898283c4f66eb6c6fd5165882046c40");
	assert_hex(k11.app_s_key, 16, "01621215d1ca08febf0c602cc2ad90fa");
	ck_assert_int_eq(lw_key_wrap(kek, 16, k11.f_nwk_s_int_key, 16, wrapped), MP_OK);
	assert_hex(wrapped, 24, "5755e6c3241ee7e6646f0ffe87787a002cf9e4b083498f00");
	ck_assert_int_eq(lw_key_wrap(kek, 16, k11.s_nwk_s_int_key, 16, wrapped), MP_OK);
	assert_hex(wrapped, 24, "f6b0b81f3d3029125591c0b0b88d76c93b48aca4041685d3");
	ck_assert_int_eq(lw_key_wrap(kek, 16, k11.nwk_s_enc_key, 16, wrapped), MP_OK);
	assert_hex(wrapped, 24, "4ee1ecdbbd9752ef6de28c41e9bdae2527cef1f2027f9df7");
	ck_assert_int_eq(lw_key_wrap(kek, 16, k11.app_s_key, 16, wrapped), MP_OK);
	assert_hex(wrapped, 24, "f8d7c9fa37b0d1c6354e6db8e19d9d7ab4e5c7581e9f1e20");

	/* V13 (lora-packet) */
	hex("98929b92c49edba9676d646d3b612456", app, 16);
	ck_assert_int_eq(lw_keys_derive10(app, 0x376338, 0xaabbcc, 0xf18e, &k10), MP_OK);
	assert_hex(k10.nwk_s_key, 16, "4e3d6e6afbcc67af2ba3c8e8ec4acf4b");
	assert_hex(k10.app_s_key, 16, "610897aa6f1460623443b527d3ac6a9d");
	hex("00000000000000000000000000000001", nwk, 16);
	hex("01000000000000000000000000000001", app, 16);
	ck_assert_int_eq(lw_keys_derive11(nwk, app, 3, 1, 0xe8c2, &k11), MP_OK);
	assert_hex(k11.f_nwk_s_int_key, 16, "bbd966509be6435f4bcb63acc310466a");
	assert_hex(k11.s_nwk_s_int_key, 16, "dea9e621c747af79a65f82dcaed92a99");
	assert_hex(k11.nwk_s_enc_key, 16, "c8eefda7400395c94ab072e9c353b29d");
	assert_hex(k11.app_s_key, 16, "eb45a0a167b6f1cccb9a678d761c0b03");
	hex("089234b089c2d8490edf8c9f9b8e8f9c", nwk, 16);
	ck_assert_int_eq(lw_keys_js(nwk, 0x0123456789abcdefull, &js), MP_OK);
	assert_hex(js.js_int_key, 16, "bd147194430d6fec1351a327ee40e264");
	assert_hex(js.js_enc_key, 16, "8c61658dc01ee8add0c0becf90d2dc50");
	memset(nwk, 1, 16);
	ck_assert_int_eq(lw_keys_js(nwk, 1, &js), MP_OK);
	assert_hex(js.js_int_key, 16, "6b9cc9b000daebb610f1e39758cf69df");
	assert_hex(js.js_enc_key, 16, "c31fa11abb646ee1c21d5835815528ea");
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("lw_crypto");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, cmac_rfc4493);
	tcase_add_test(tc, key_wrap_rfc3394);
	tcase_add_test(tc, key_wrap_refusals);
	tcase_add_test(tc, key_envelope_brocaar);
	tcase_add_test(tc, join_request_parse_and_mic);
	tcase_add_test(tc, rejoin_request_parse_and_mic);
	tcase_add_test(tc, rejoin_req_decode);
	tcase_add_test(tc, phy_parse_refusals);
	tcase_add_test(tc, join_accept_encode);
	tcase_add_test(tc, join_accept_cflist);
	tcase_add_test(tc, session_keys);
	suite_add_tcase(s, tc);
	return s;
}
