/*
 * libFuzzer target: CSR decoding (ca_csr_decode), then checking and building
 * under iec62351-device. Mutated requests rarely keep a valid signature, so
 * each input that parses as DER is also re-signed with a fixed key and run
 * again: that reaches the subject, SAN and extension checks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "certbuild.h"
#include "csr.h"
#include "err.h"
#include "profile.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Made once: the issuing CA (unsigned, its key is not needed), the profile and a device. */
static X509 *issuer;
static ca_profile *profile;
static json_t *device;
static EVP_PKEY *signer;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t serial[] = { 0x41, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
	const ca_builtin_profile *b;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	json_t *body = NULL;
	ca_ca_input in;
	ca_detail d;
	size_t n;

	(void)argc;
	(void)argv;
	memset(&in, 0, sizeof(in));
	in.subject = "CN=Fuzz Devices CA";
	in.pub = k;
	in.serial = serial;
	in.serial_len = sizeof(serial);
	in.not_before = 1700000000;
	in.not_after = 4000000000ll;
	in.path_len = 0;
	b = ca_builtin_profiles(&n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(b[i].name, "iec62351-device") == 0)
			body = json_loads(b[i].body_json, 0, NULL);
	device = json_pack("{s:s, s:s, s:s}", "id", "6f1c2a8e-58b4-4e8e-9d63-0d5b7f2f1a11",
	    "serial", "CS-000123", "model", "Wallbox-22");
	signer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (k == NULL || signer == NULL || body == NULL || device == NULL ||
	    ca_ca_cert_build(&in, &issuer, &d) != MP_OK ||
	    ca_profile_parse(body, &profile, &d) != MP_OK)
		abort();
	json_decref(body);
	EVP_PKEY_free(k);
	return 0;
}

static void
decode_and_build(const uint8_t *data, size_t size)
{
	static const uint8_t serial[] = { 0x5a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
	ca_csr *req = NULL;
	X509 *x = NULL;
	ca_cert_input in;
	ca_detail d;

	if (ca_csr_decode(data, size, &req, &d) != MP_OK)
		return;
	memset(&in, 0, sizeof(in));
	in.profile = profile;
	in.profile_name = "iec62351-device";
	in.csr = req;
	in.device = device;
	in.tenant_name = "fuzz";
	in.issuer = issuer;
	in.serial = serial;
	in.serial_len = sizeof(serial);
	in.not_before = 1700000000;
	in.crl_url = "http://pki.test/crl/1.crl";
	in.delta_crl_url = "http://pki.test/crl/1-delta.crl";
	in.ocsp_url = "http://pki.test/ocsp";
	in.ca_issuers_url = "http://pki.test/ca/1.crt";
	(void)ca_cert_build(&in, &x, &d);
	X509_free(x);
	ca_csr_free(req);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	unsigned char *der = NULL;
	X509_REQ *req;
	int n;

	decode_and_build(data, size);
	if (size > CA_CSR_MAX_BYTES || (req = d2i_X509_REQ(NULL, &p, (long)size)) == NULL)
		return 0;
	if (X509_REQ_set_pubkey(req, signer) && X509_REQ_sign(req, signer, EVP_sha256()) > 0 &&
	    (n = i2d_X509_REQ(req, &der)) > 0)
		decode_and_build(der, (size_t)n);
	OPENSSL_free(der);
	X509_REQ_free(req);
	return 0;
}
