/*
 * The messages of FDO Device Initialize that the device sends, decoded from
 * untrusted bytes. DI.AppStart = [bstr .cbor DeviceMfgInfo], where our
 * DeviceMfgInfo (the FDO specification leaves it to the implementation) is
 * [KeyType, KeyEncoding, SerialNumber, DeviceInfo, CertInfo (a PKCS#10
 * request, DER)], as go-fdo's begins.
 */
#ifndef FDO_DI_MSG_H
#define FDO_DI_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "voucher.h"

#define FDO_SERIAL_MAX 128

typedef struct fdo_di_app_start {
	uint64_t key_type;                      /* SECP256R1 or SECP384R1 */
	char serial[FDO_SERIAL_MAX + 1];
	char device_info[FDO_DEVICE_INFO_MAX + 1];
	const uint8_t *csr;                     /* into the decoded bytes */
	size_t csr_len;
} fdo_di_app_start;

/* Decodes DI.AppStart into m: NULL, or what is wrong with it (a static text). */
const char *fdo_di_app_start_decode(const uint8_t *body, size_t len, fdo_di_app_start *m);

#endif
