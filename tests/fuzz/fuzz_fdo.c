/*
 * libFuzzer target: FDO CBOR decoding. The input is decoded as an ownership
 * voucher (and verified when it decodes, which hashes and checks signatures
 * over what the decoder found), and the same bytes as each building block of
 * FDO messages: one CBOR item, a COSE_Sign1, a PublicKey, a Hash and a
 * RendezvousInfo (and the device's rendezvous address in it), and as the messages peers send: DI.AppStart, TO0.OwnerSign
 * (its To1d verified with the key it would have), TO1.HelloRV, an EAT
 * payload and a To1d, TO2.HelloDevice and TO2.ProveOVHdr (its signature
 * verified with the key it names), a COSE_Encrypt0 opened with a fixed session key and
 * an ECDH256 key exchange parameter of a peer. The seed corpus holds the published vouchers of
 * tests/data/fdo as CBOR, a DI.AppStart, a TO0.OwnerSign, a TO1.HelloRV, an
 * EAT and a TO2.HelloDevice.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cbor.h"
#include "cose.h"
#include "di_msg.h"
#include "encrypt0.h"
#include "err.h"
#include "hash.h"
#include "kex.h"
#include "pubkey.h"
#include "rv_msg.h"
#include "rvinfo.h"
#include "to2_msg.h"
#include "voucher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t secret[32];
	static const fdo_sek sek = { FDO_A128GCM, 16, { 1 } };
	static EVP_PKEY *kex_key;
	static mp_buf *kex_param;
	mp_buf *pt = mp_buf_new(size + 1);
	fdo_sek derived;
	fdo_to2_hello hello;
	fdo_eat eat;
	fdo_prove_ovhdr prove;
	fdo_voucher *v = NULL;
	fdo_pubkey pk = { 0 };
	const uint8_t *s;
	fdo_detail d;
	fdo_sign1 s1;
	fdo_di_app_start as;
	fdo_to0_owner_sign os;
	fdo_to1d to1d;
	uint8_t guid[FDO_GUID_LEN];
	char host[FDO_RV_HOST_MAX];
	unsigned port;
	bool https;
	int64_t sg;
	fdo_hash h;
	fdo_cbor c;
	size_t n;

	if (fdo_voucher_decode(data, size, &v, &d) == MP_OK) {
		(void)fdo_voucher_verify(v, NULL, 0, &d);
		(void)fdo_voucher_verify(v, secret, sizeof(secret), &d);
		fdo_voucher_free(v);
	}
	(void)fdo_cbor_is_item(data, size);
	fdo_cbor_init(&c, data, size);
	if (fdo_sign1_decode(&c, &s1, &d) == MP_OK && fdo_cbor_empty(&c)) {
		fdo_cbor_init(&c, s1.payload, s1.payload_len);
		if (fdo_pubkey_decode(&c, &pk, &d) == MP_OK) {
			(void)fdo_sign1_verify(&s1, &pk, &d);
			fdo_pubkey_clear(&pk);
		}
	}
	fdo_cbor_init(&c, data, size);
	if (fdo_pubkey_decode(&c, &pk, &d) == MP_OK)
		fdo_pubkey_clear(&pk);
	fdo_cbor_init(&c, data, size);
	(void)fdo_hash_decode(&c, false, &h);
	fdo_cbor_init(&c, data, size);
	(void)fdo_rvinfo_read(&c, &s, &n, &d);
	(void)fdo_rvinfo_device_addr(data, size, host, &port, &https, &d);
	(void)fdo_di_app_start_decode(data, size, &as);
	if (fdo_to0_owner_sign_decode(data, size, &os, &d) == MP_OK &&
	    fdo_voucher_decode(os.voucher, os.voucher_len, &v, &d) == MP_OK) {
		(void)fdo_sign1_verify(&os.to1d_sign1, fdo_voucher_owner_key(v), &d);
		fdo_voucher_free(v);
	}
	(void)fdo_to1_hello_decode(data, size, guid, &sg, &d);
	(void)fdo_eat_decode(data, size, &eat, &d);
	fdo_cbor_init(&c, data, size);
	(void)fdo_to1d_decode(&c, &s1, &to1d, &d);
	(void)fdo_to2_hello_decode(data, size, &hello, &d);
	if (fdo_prove_ovhdr_decode(data, size, &prove, &d) == MP_OK) {
		(void)fdo_sign1_verify(&prove.sign1, &prove.owner, &d);
		fdo_pubkey_clear(&prove.owner);
	}
	if (pt != NULL)
		(void)fdo_decrypt0(&sek, data, size, pt, &d);
	mp_buf_free(pt);
	if (kex_key == NULL && (kex_param = mp_buf_new(FDO_KEX_PARAM_MAX)) != NULL &&
	    fdo_kex_param(FDO_ECDH256, &kex_key, kex_param) != MP_OK)
		abort();
	(void)fdo_kex_derive(FDO_ECDH256, FDO_A128GCM, kex_key, mp_buf_ptr(kex_param),
	    mp_buf_len(kex_param), data, size, true, &derived, &d);
	return 0;
}
