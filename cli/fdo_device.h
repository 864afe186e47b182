/*
 * The FDO device of `midpki fdo device`: Device Initialize (DI, messages 10
 * to 13) against a manufacturer, and the device credential it keeps in a
 * file: CBOR [GUID, HMAC secret, OVHeader, private key (DER), DI token], the
 * HMAC secret and key in clear (the file is written mode 0600; a device with
 * a secure element keeps them there instead).
 */
#ifndef CLI_FDO_DEVICE_H
#define CLI_FDO_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "fdo_http.h"

/* The credential's parts, pointing into its bytes. */
typedef struct cli_fdo_cred {
	const uint8_t *guid, *secret, *hdr, *key;
	size_t gl, sl, hl, kl;
	const char *token;
	size_t tl;
} cli_fdo_cred;

/* Reads a credential file's bytes. MP_ERR_INVALID when they are not one. */
int cli_fdo_cred_read(const uint8_t *p, size_t n, cli_fdo_cred *out);

/*
 * Writes b (a credential, a token) to path, mode 0600, as cli_write_file
 * does. MP_ERR_IO with err saying so.
 */
int cli_fdo_write_private(const char *path, const mp_buf *b, char *err, size_t errsz);

/* MP_OK for an answer of type want; MP_ERR_DENIED with the FDO error in err, MP_ERR_INVALID. */
int cli_fdo_expect(const cli_fdo_answer *a, const char *want, char *err, size_t errsz);

/*
 * DI with the manufacturer at url for the device of serial (DeviceInfo
 * devinfo): a new P-256 key and its request, a new HMAC secret; the
 * credential written to credfile and the GUID (text) into guid.
 * MP_ERR_DENIED when the manufacturer refused (err holds its FDO error),
 * other errors with err saying why.
 */
int cli_fdo_di(const char *url, const char *serial, const char *devinfo, const char *credfile,
    char guid[37], char *err, size_t errsz);

#endif
