#include "fdo_device.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cbor.h"
#include "err.h"
#include "fdo_http.h"
#include "hash.h"
#include "readfile.h"
#include "secure.h"
#include "voucher.h"

#define MSG_DI_APP_START 10
#define MSG_DI_SET_CREDENTIALS 11
#define MSG_DI_SET_HMAC 12
#define MSG_DI_DONE 13
#define SECRET_LEN 32

int
cli_fdo_cred_read(const uint8_t *p, size_t n, cli_fdo_cred *out)
{
	fdo_cbor c;

	fdo_cbor_init(&c, p, n);
	if (fdo_cbor_array_n(&c, 5) != MP_OK || fdo_cbor_bstr(&c, &out->guid, &out->gl) != MP_OK ||
	    out->gl != FDO_GUID_LEN || fdo_cbor_bstr(&c, &out->secret, &out->sl) != MP_OK ||
	    fdo_cbor_bstr(&c, &out->hdr, &out->hl) != MP_OK ||
	    fdo_cbor_bstr(&c, &out->key, &out->kl) != MP_OK ||
	    fdo_cbor_tstr(&c, &out->token, &out->tl) != MP_OK || !fdo_cbor_empty(&c))
		return MP_ERR_INVALID;
	return MP_OK;
}

/* A request for key with CN=serial, as DER (OPENSSL_free it). */
static int
csr_der(EVP_PKEY *key, const char *serial, unsigned char **der, int *len)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	int r = MP_ERR_CRYPTO;

	*der = NULL;
	if (req != NULL && n != NULL &&
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)serial, -1,
	    -1, 0) == 1 && X509_REQ_set_subject_name(req, n) == 1 &&
	    X509_REQ_set_pubkey(req, key) == 1 && X509_REQ_sign(req, key, EVP_sha256()) > 0 &&
	    (*len = i2d_X509_REQ(req, der)) > 0)
		r = MP_OK;
	X509_REQ_free(req);
	X509_NAME_free(n);
	return r;
}

int
cli_fdo_expect(const cli_fdo_answer *a, const char *want, char *err, size_t errsz)
{
	if (strcmp(a->type, want) == 0)
		return MP_OK;
	if (cli_fdo_error_text(a, err, errsz))
		return MP_ERR_DENIED;
	snprintf(err, errsz, "an answer that is neither FDO message %s nor an FDO error", want);
	return MP_ERR_INVALID;
}

int
cli_fdo_write_private(const char *path, const mp_buf *b, char *err, size_t errsz)
{
	int r = cli_write_file(path, mp_buf_ptr(b), mp_buf_len(b), 0600);

	if (r != MP_OK)
		snprintf(err, errsz, "cannot write %s: %s", path, strerror(errno));
	return r;
}

int
cli_fdo_di(const char *url, const char *serial, const char *devinfo, const char *credfile,
    char guid[37], char *err, size_t errsz)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	unsigned char *csr = NULL, *kder = NULL;
	int csrlen = 0, klen = 0, r = MP_ERR_NOMEM;
	mp_buf *info = mp_buf_new(8192), *msg = mp_buf_new(8192),
	       *cb = mp_buf_new(FDO_VOUCHER_MAX);
	cli_fdo_answer *a = malloc(sizeof(*a));
	const uint8_t *hdr, *g;
	uint8_t secret[SECRET_LEN];
	char token[sizeof(a->auth)];
	size_t hl, gl;
	fdo_hash mac;
	fdo_cbor c, hc;
	uint64_t ver;

	if (key == NULL || info == NULL || msg == NULL || cb == NULL || a == NULL)
		goto out;
	if ((r = csr_der(key, serial, &csr, &csrlen)) != MP_OK ||
	    (klen = i2d_PrivateKey(key, &kder)) <= 0 ||
	    (r = mp_random_bytes(secret, sizeof(secret))) != MP_OK) {
		snprintf(err, errsz, "cannot make the device's key, request and secret");
		r = r == MP_OK ? MP_ERR_CRYPTO : r;
		goto out;
	}
	/* DI.AppStart = [bstr .cbor [KeyType, KeyEncoding, SerialNumber, DeviceInfo, CertInfo]] */
	if ((r = fdo_put_array(info, 5)) != MP_OK || (r = fdo_put_uint(info, 10)) != MP_OK ||
	    (r = fdo_put_uint(info, 1)) != MP_OK ||
	    (r = fdo_put_tstr(info, serial, strlen(serial))) != MP_OK ||
	    (r = fdo_put_tstr(info, devinfo, strlen(devinfo))) != MP_OK ||
	    (r = fdo_put_bstr(info, csr, (size_t)csrlen)) != MP_OK ||
	    (r = fdo_put_array(msg, 1)) != MP_OK ||
	    (r = fdo_put_bstr(msg, mp_buf_ptr(info), mp_buf_len(info))) != MP_OK)
		goto out;
	if ((r = cli_fdo_post(url, MSG_DI_APP_START, NULL, msg, a, err, errsz)) != MP_OK ||
	    (r = cli_fdo_expect(a, "11", err, errsz)) != MP_OK)
		goto out;
	/* DI.SetCredentials = [bstr .cbor OVHeader] */
	fdo_cbor_init(&c, a->body, a->len);
	r = MP_ERR_INVALID;
	if (fdo_cbor_array_n(&c, 1) != MP_OK || fdo_cbor_bstr(&c, &hdr, &hl) != MP_OK) {
		snprintf(err, errsz, "DI.SetCredentials is not [bstr OVHeader]");
		goto out;
	}
	fdo_cbor_init(&hc, hdr, hl);
	if (fdo_cbor_array_n(&hc, 6) != MP_OK || fdo_cbor_uint(&hc, 1000, &ver) != MP_OK ||
	    ver != FDO_PROTVER || fdo_cbor_bstr(&hc, &g, &gl) != MP_OK || gl != FDO_GUID_LEN) {
		snprintf(err, errsz, "the OVHeader is not [101, GUID, ...]");
		goto out;
	}
	if (strncmp(a->auth, "Bearer ", 7) != 0) {
		snprintf(err, errsz, "DI.SetCredentials came without an Authorization token");
		goto out;
	}
	snprintf(token, sizeof(token), "%s", a->auth);
	/* DI.SetHMAC = [HMac]; the credential first, so that a device that stops here keeps it */
	mp_buf_reset(msg);
	if ((r = fdo_hmac_compute(FDO_HMAC_SHA256, secret, sizeof(secret), hdr, hl, &mac)) != MP_OK ||
	    (r = fdo_put_array(msg, 1)) != MP_OK || (r = fdo_hash_encode(msg, &mac)) != MP_OK ||
	    (r = fdo_put_array(cb, 5)) != MP_OK || (r = fdo_put_bstr(cb, g, gl)) != MP_OK ||
	    (r = fdo_put_bstr(cb, secret, sizeof(secret))) != MP_OK ||
	    (r = fdo_put_bstr(cb, hdr, hl)) != MP_OK ||
	    (r = fdo_put_bstr(cb, kder, (size_t)klen)) != MP_OK ||
	    (r = fdo_put_tstr(cb, token, strlen(token))) != MP_OK)
		goto out;
	for (size_t i = 0, o = 0; i < gl; i++)
		o += (size_t)snprintf(guid + o, 37 - o, "%02x%s", g[i],
		    i == 3 || i == 5 || i == 7 || i == 9 ? "-" : "");
	if ((r = cli_fdo_write_private(credfile, cb, err, errsz)) != MP_OK ||
	    (r = cli_fdo_post(url, MSG_DI_SET_HMAC, token, msg, a, err, errsz)) != MP_OK ||
	    (r = cli_fdo_expect(a, "13", err, errsz)) != MP_OK)
		goto out;
	/* DI.Done = [] */
	if (a->len != 1 || a->body[0] != 0x80) {
		snprintf(err, errsz, "DI.Done is not []");
		r = MP_ERR_INVALID;
	}
out:
	mp_wipe(secret, sizeof(secret));
	mp_wipe(token, sizeof(token));
	OPENSSL_free(csr);
	OPENSSL_clear_free(kder, klen > 0 ? (size_t)klen : 0);
	EVP_PKEY_free(key);
	mp_buf_free(info);
	mp_buf_free(msg);
	mp_buf_free(cb);
	free(a);
	return r;
}
