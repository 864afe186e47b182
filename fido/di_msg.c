#include "di_msg.h"

#include <string.h>

#include "err.h"
#include "pubkey.h"

/* A text of 1 to max bytes without NUL, copied into out with its NUL. */
static int
text_copy(fdo_cbor *c, char *out, size_t max)
{
	const char *p;
	size_t n;

	if (fdo_cbor_tstr(c, &p, &n) != MP_OK || n == 0 || n > max || memchr(p, 0, n) != NULL)
		return MP_ERR_INVALID;
	memcpy(out, p, n);
	out[n] = '\0';
	return MP_OK;
}

const char *
fdo_di_app_start_decode(const uint8_t *body, size_t len, fdo_di_app_start *m)
{
	fdo_cbor c, in;
	const uint8_t *p;
	uint64_t enc;
	size_t n;

	fdo_cbor_init(&c, body, len);
	if (fdo_cbor_array_n(&c, 1) != MP_OK || fdo_cbor_bstr(&c, &p, &n) != MP_OK ||
	    !fdo_cbor_empty(&c))
		return "DI.AppStart is not [bstr DeviceMfgInfo]";
	fdo_cbor_init(&in, p, n);
	if (fdo_cbor_array_n(&in, 5) != MP_OK || fdo_cbor_uint(&in, 255, &m->key_type) != MP_OK ||
	    fdo_cbor_uint(&in, 255, &enc) != MP_OK)
		return "DeviceMfgInfo is not [KeyType, KeyEncoding, SerialNumber, DeviceInfo, CertInfo]";
	if (m->key_type != FDO_PK_SECP256R1 && m->key_type != FDO_PK_SECP384R1)
		return "DeviceMfgInfo: the key type must be SECP256R1 (10) or SECP384R1 (11)";
	if (enc != FDO_PKENC_X509 && enc != FDO_PKENC_X5CHAIN)
		return "DeviceMfgInfo: the key encoding must be X509 (1) or X5CHAIN (2)";
	if (text_copy(&in, m->serial, FDO_SERIAL_MAX) != MP_OK)
		return "DeviceMfgInfo: the serial number is not a text of 1 to 128 bytes";
	if (text_copy(&in, m->device_info, FDO_DEVICE_INFO_MAX) != MP_OK)
		return "DeviceMfgInfo: DeviceInfo is not a text of 1 to 512 bytes";
	if (fdo_cbor_bstr(&in, &m->csr, &m->csr_len) != MP_OK || m->csr_len == 0 ||
	    !fdo_cbor_empty(&in))
		return "DeviceMfgInfo: CertInfo is not a certificate request (DER)";
	return NULL;
}
