#include "ca_harness.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "err.h"

static void
die(const char *what)
{
	fprintf(stderr, "ca_harness: %s failed\n", what);
	abort();
}

EVP_PKEY *
th_key(const char *spec)
{
	EVP_PKEY *k = NULL;

	if (strcmp(spec, "ec-p256") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(spec, "ec-p384") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	else if (strcmp(spec, "ec-p521") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	else if (strcmp(spec, "rsa-1024") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	else if (strcmp(spec, "rsa-2048") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(spec, "ed25519") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (k == NULL)
		die(spec);
	return k;
}

static const EVP_MD *
md_for(EVP_PKEY *k)
{
	return EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
}

X509_REQ *
th_csr(EVP_PKEY *key, const char *subject, ...)
{
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_NAME *name = NULL;
	ca_detail d;
	va_list ap;
	int nid;

	if (req == NULL || exts == NULL || !X509_REQ_set_version(req, X509_REQ_VERSION_1))
		die("X509_REQ_new");
	if (subject != NULL) {
		if (ca_subject_parse(subject, &name, &d) != MP_OK)
			die("ca_subject_parse");
		X509_REQ_set_subject_name(req, name);
		X509_NAME_free(name);
	}
	va_start(ap, subject);
	while ((nid = va_arg(ap, int)) != NID_undef) {
		const char *value = va_arg(ap, const char *);
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, nid, value);

		if (e == NULL || !sk_X509_EXTENSION_push(exts, e))
			die("X509V3_EXT_conf_nid");
	}
	va_end(ap);
	if (sk_X509_EXTENSION_num(exts) > 0 && !X509_REQ_add_extensions(req, exts))
		die("X509_REQ_add_extensions");
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	if (!X509_REQ_set_pubkey(req, key) || X509_REQ_sign(req, key, md_for(key)) <= 0)
		die("X509_REQ_sign");
	return req;
}

size_t
th_csr_der(X509_REQ *req, uint8_t **der)
{
	int n;

	*der = NULL;
	if ((n = i2d_X509_REQ(req, der)) <= 0)
		die("i2d_X509_REQ");
	return (size_t)n;
}

ca_csr *
th_csr_decode(X509_REQ *req)
{
	uint8_t *der;
	size_t n = th_csr_der(req, &der);
	ca_csr *csr = NULL;
	ca_detail d;

	if (ca_csr_decode(der, n, &csr, &d) != MP_OK)
		die("ca_csr_decode");
	OPENSSL_free(der);
	return csr;
}

void
th_ca_make(th_ca *ca)
{
	uint8_t serial[CA_SERIAL_LEN];
	ca_ca_input in;
	ca_detail d;
	int64_t now = (int64_t)time(NULL);

	memset(ca, 0, sizeof(*ca));
	ca->root_key = th_key("ec-p384");
	ca->key = th_key("ec-p256");
	memset(&in, 0, sizeof(in));
	if (ca_serial_new(serial) != MP_OK)
		die("ca_serial_new");
	in.subject = "CN=Test Root,O=MIDPKI Test";
	in.pub = ca->root_key;
	in.serial = serial;
	in.serial_len = sizeof(serial);
	in.not_before = now - 3600;
	in.not_after = now + 20ll * 365 * 86400;
	in.path_len = -1;
	if (ca_ca_cert_build(&in, &ca->root, &d) != MP_OK ||
	    X509_sign(ca->root, ca->root_key, EVP_sha384()) <= 0)
		die("root");
	if (ca_serial_new(serial) != MP_OK)
		die("ca_serial_new");
	in.subject = "CN=Test Devices,O=MIDPKI Test";
	in.pub = ca->key;
	in.issuer = ca->root;
	in.not_after = now + 10ll * 365 * 86400;
	in.path_len = 0;
	in.crl_url = "http://pki.test/crl/root.crl";
	in.ca_issuers_url = "http://pki.test/ca/root.crt";
	if (ca_ca_cert_build(&in, &ca->cert, &d) != MP_OK ||
	    X509_sign(ca->cert, ca->root_key, EVP_sha384()) <= 0)
		die("issuing CA");
}

void
th_ca_free(th_ca *ca)
{
	X509_free(ca->root);
	X509_free(ca->cert);
	EVP_PKEY_free(ca->root_key);
	EVP_PKEY_free(ca->key);
}

ca_profile *
th_builtin(const char *name)
{
	size_t n;
	const ca_builtin_profile *b = ca_builtin_profiles(&n);
	ca_profile *p = NULL;
	json_t *body;
	ca_detail d;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(b[i].name, name) != 0)
			continue;
		if ((body = json_loads(b[i].body_json, 0, NULL)) == NULL ||
		    ca_profile_parse(body, &p, &d) != MP_OK)
			die(name);
		json_decref(body);
		return p;
	}
	die(name);
	return NULL;
}

json_t *
th_device(void)
{
	json_t *dev = json_pack("{s:s, s:s, s:s, s:s, s:{s:s}}",
	    "id", "6f1c2a8e-58b4-4e8e-9d63-0d5b7f2f1a11", "serial", "CS-000123",
	    "model", "Wallbox-22", "manufacturer", "ACME", "attributes", "site", "plant-7");

	if (dev == NULL)
		die("json_pack");
	return dev;
}

void
th_input(ca_cert_input *in, const th_ca *ca, const ca_profile *p, const char *pname,
    const ca_csr *csr, const json_t *device)
{
	static const uint8_t serial[] = { 0x5a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10 };

	memset(in, 0, sizeof(*in));
	in->profile = p;
	in->profile_name = pname;
	in->csr = csr;
	in->device = device;
	in->tenant_name = "acme";
	in->issuer = ca->cert;
	in->serial = serial;
	in->serial_len = sizeof(serial);
	in->not_before = (int64_t)time(NULL) - 60;
	in->crl_url = "http://pki.test/crl/devices.crl";
	in->delta_crl_url = "http://pki.test/crl/devices-delta.crl";
	in->ocsp_url = "http://pki.test/ocsp";
	in->ca_issuers_url = "http://pki.test/ca/devices.crt";
}
