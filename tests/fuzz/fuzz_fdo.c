/*
 * libFuzzer target: FDO CBOR decoding. The input is decoded as an ownership
 * voucher (and verified when it decodes, which hashes and checks signatures
 * over what the decoder found), and the same bytes as each building block of
 * FDO messages: one CBOR item, a COSE_Sign1, a PublicKey, a Hash and a
 * RendezvousInfo, and as the DI.AppStart message a device sends. The seed
 * corpus holds the published vouchers of tests/data/fdo as CBOR and a
 * DI.AppStart.
 */
#include <stdint.h>
#include <stdlib.h>

#include "cbor.h"
#include "cose.h"
#include "di_msg.h"
#include "err.h"
#include "hash.h"
#include "pubkey.h"
#include "rvinfo.h"
#include "voucher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t secret[32];
	fdo_voucher *v = NULL;
	fdo_pubkey pk = { 0 };
	const uint8_t *s;
	fdo_detail d;
	fdo_sign1 s1;
	fdo_di_app_start as;
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
	(void)fdo_di_app_start_decode(data, size, &as);
	return 0;
}
