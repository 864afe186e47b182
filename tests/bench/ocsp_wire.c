/*
 * The OCSP wire layer's per-request costs, on one core: parsing a one-cert
 * request (SHA-1 CertID, no nonce, as `openssl ocsp` sends), assembling a
 * response from a stored core and the signer certificate, and signing a core
 * with a P-256 software key-store key (what a request with a nonce costs).
 * Prints microseconds per operation.
 *   ocsp_wire CONNINFO STATE_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "err.h"
#include "keystore.h"
#include "migrate.h"
#include "request.h"
#include "response.h"

static const mp_actor bench_actor = { "system", "bench", NULL };

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A certificate for pub issued by issuer_key under issuer's name (self-signed when NULL). */
static X509 *
cert(const char *cn, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *issuer_key, long serial)
{
	X509 *x = X509_new();

	if (x == NULL || !X509_set_version(x, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), serial) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(issuer != NULL ? issuer : x)) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL || !X509_set_pubkey(x, pub) ||
	    X509_sign(x, issuer_key, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int
main(int argc, char **argv)
{
	enum { PARSES = 1000000, ASSEMBLIES = 1000000, SIGNS = 2000 };
	char err[512], master[4096], id[MP_UUID_STR_LEN + 1];
	mp_keystore_config kc = { master, NULL, 0, NULL };
	mp_keystore *ks = NULL;
	mp_db *db = NULL;
	mp_key *key = NULL;
	mp_key_spec spec = { MP_KEY_EC_P256, 0 };
	EVP_PKEY *ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), *leaf_key, *pub;
	X509 *ca, *leaf, *signer;
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	uint8_t *req_der = NULL, *signer_der = NULL, *core = NULL, *out, nh[OCSP_HASH_MAX],
		kh[OCSP_HASH_MAX];
	size_t req_len, signer_len, core_len, out_len, hl, sink = 0;
	ocsp_request r;
	ocsp_single s;
	int64_t t = (int64_t)time(NULL);
	double t0, dt;
	int n;

	if (argc != 3) {
		fprintf(stderr, "usage: ocsp_wire CONNINFO STATE_DIR\n");
		return 2;
	}
	snprintf(master, sizeof(master), "%s/master.key", argv[2]);
	if (mp_db_connect(argv[1], 5000, &db, err, sizeof(err)) != MP_OK ||
	    mp_db_migrate(db, NULL, err, sizeof(err)) != MP_OK ||
	    mp_keystore_open(&kc, &ks, err, sizeof(err)) != MP_OK) {
		fprintf(stderr, "set-up: %s\n", err);
		return 1;
	}
	leaf_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (mp_key_generate(ks, db, &bench_actor, "software", &spec, "ocsp bench", id) != MP_OK ||
	    mp_key_load(ks, db, id, &key) != MP_OK || (pub = mp_key_public(key)) == NULL ||
	    (ca = cert("Bench CA", ca_key, NULL, ca_key, 1)) == NULL ||
	    (leaf = cert("leaf", leaf_key, ca, ca_key, 0x1234567890abcdefL)) == NULL ||
	    (signer = cert("OCSP signer", pub, ca, ca_key, 2)) == NULL ||
	    OCSP_request_add0_id(req, OCSP_cert_to_id(EVP_sha1(), leaf, ca)) == NULL ||
	    (n = i2d_OCSP_REQUEST(req, &req_der)) <= 0) {
		fprintf(stderr, "set-up: keys and certificates failed\n");
		return 1;
	}
	req_len = (size_t)n;
	if ((n = i2d_X509(signer, &signer_der)) <= 0 ||
	    ocsp_issuer_hashes(signer, OCSP_HASH_SHA1, nh, kh, &hl) != MP_OK ||
	    ocsp_request_parse(req_der, req_len, &r) != MP_OK) {
		fprintf(stderr, "set-up: the request failed\n");
		return 1;
	}
	signer_len = (size_t)n;

	t0 = now_s();
	for (int i = 0; i < PARSES; i++) {
		if (ocsp_request_parse(req_der, req_len, &r) != MP_OK)
			return 1;
		sink += r.ids[0].serial_len;
	}
	dt = now_s() - t0;
	printf("ocsp_request_parse (1 CertID, %zu bytes): %.3f us\n", req_len, dt * 1e6 / PARSES);

	s = (ocsp_single){ &r.ids[0], OCSP_GOOD, 0, -1, t, t + 86400 };
	t0 = now_s();
	for (int i = 0; i < SIGNS; i++) {
		free(core);
		core = NULL;
		if (ocsp_core_sign(key, kh, t, &s, 1, i % 2 ? (const uint8_t *)"0123456789abcdef" : NULL,
		    16, &core, &core_len) != MP_OK)
			return 1;
	}
	dt = now_s() - t0;
	printf("ocsp_core_sign (P-256, 1 response, half with a nonce): %.3f us\n",
	    dt * 1e6 / SIGNS);
	if (ocsp_core_sign(key, kh, t, &s, 1, NULL, 0, &core, &core_len) != MP_OK)
		return 1;
	/* the key store's share of it: signing about as many bytes (the core less its signature) */
	t0 = now_s();
	for (int i = 0; i < SIGNS; i++) {
		uint8_t *sig = NULL;
		size_t sig_len = 0;

		if (mp_key_sign_data(key, 0, core, core_len - 72, &sig, &sig_len) != MP_OK)
			return 1;
		sink += sig_len;
		OPENSSL_free(sig);
	}
	dt = now_s() - t0;
	printf("  of which mp_key_sign_data: %.3f us\n", dt * 1e6 / SIGNS);

	out_len = ocsp_response_size(core_len, signer_len);
	if ((out = malloc(out_len)) == NULL)
		return 1;
	t0 = now_s();
	for (int i = 0; i < ASSEMBLIES; i++)
		sink += ocsp_response_assemble(core, core_len, signer_der, signer_len, out, out_len);
	dt = now_s() - t0;
	printf("ocsp_response_assemble (core %zu + signer %zu = %zu bytes): %.3f us\n", core_len,
	    signer_len, out_len, dt * 1e6 / ASSEMBLIES);
	if (sink == 0)
		printf("(unreachable)\n");

	free(out);
	free(core);
	OPENSSL_free(signer_der);
	OPENSSL_free(req_der);
	OCSP_REQUEST_free(req);
	X509_free(signer);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(ca_key);
	mp_key_release(key);
	mp_keystore_free(ks);
	mp_db_close(db);
	return 0;
}
