/*
 * Request generator of the OCSP benchmark (tests/bench/ocsp.sh): for each
 * serial (hex, one a line) of SERIALS, one DER OCSPRequest with one SHA-1
 * CertID naming the CA of CA_PEM as issuer and no nonce, the way `openssl
 * ocsp` builds it (OpenSSL's own encoder, not ours), written to OUT as a line
 * of base64 with '+', '/' and '=' percent-encoded, ready to follow "/ocsp/" or
 * "/" in a GET path (RFC 5019 / RFC 6960 A.1). Prints the count and the time.
 *   bench_ocsp_reqs CA_PEM SERIALS OUT
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include "codec.h"
#include "err.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes s to f with '+', '/' and '=' percent-encoded; false on a write error. */
static bool
put_path(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		const char *esc = *s == '+' ? "%2B" : *s == '/' ? "%2F" : *s == '=' ? "%3D" : NULL;

		if (esc != NULL ? fputs(esc, f) == EOF : fputc(*s, f) == EOF)
			return false;
	}
	return fputc('\n', f) != EOF;
}

/*
 * The request for the serial of hex (contents of a positive INTEGER, as
 * certificates.serial holds it) as a percent-encoded base64 line on out.
 */
static int
write_request(X509 *ca, const char *hex, FILE *out)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = NULL;
	ASN1_INTEGER *serial = NULL;
	BIGNUM *bn = NULL;
	unsigned char *der = NULL;
	char *b64 = NULL;
	int len, r = MP_ERR_INVALID;

	if (BN_hex2bn(&bn, hex) != (int)strlen(hex) || BN_is_zero(bn) || BN_is_negative(bn))
		goto out;
	r = MP_ERR_CRYPTO;
	if (req == NULL || (serial = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    (id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(ca),
	    X509_get0_pubkey_bitstr(ca), serial)) == NULL ||
	    OCSP_request_add0_id(req, id) == NULL)
		goto out;
	id = NULL;
	if ((len = i2d_OCSP_REQUEST(req, &der)) <= 0)
		goto out;
	if ((r = mp_b64_encode(der, (size_t)len, false, &b64)) != MP_OK)
		goto out;
	r = put_path(out, b64) ? MP_OK : MP_ERR_IO;
out:
	free(b64);
	OPENSSL_free(der);
	OCSP_CERTID_free(id);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	OCSP_REQUEST_free(req);
	return r;
}

int
main(int argc, char **argv)
{
	FILE *cf = NULL, *in = NULL, *out = NULL;
	X509 *ca = NULL;
	char line[128];
	size_t n = 0, len;
	double t;
	int r, rc = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: bench_ocsp_reqs CA_PEM SERIALS OUT (run by tests/bench/ocsp.sh)\n");
		return 2;
	}
	if ((cf = fopen(argv[1], "r")) == NULL || (ca = PEM_read_X509(cf, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "bench_ocsp_reqs: no certificate in %s\n", argv[1]);
		goto out;
	}
	if ((in = fopen(argv[2], "r")) == NULL || (out = fopen(argv[3], "w")) == NULL) {
		fprintf(stderr, "bench_ocsp_reqs: cannot open %s or %s\n", argv[2], argv[3]);
		goto out;
	}
	t = now_s();
	while (fgets(line, sizeof(line), in) != NULL) {
		len = strcspn(line, "\r\n");
		if (line[len] == '\0' && !feof(in)) {
			fprintf(stderr, "bench_ocsp_reqs: a line longer than %zu bytes\n", sizeof(line));
			goto out;
		}
		line[len] = '\0';
		if (len == 0)
			continue;
		if ((r = write_request(ca, line, out)) != MP_OK) {
			fprintf(stderr, "bench_ocsp_reqs: serial '%s': %s\n", line, mp_strerror(r));
			goto out;
		}
		n++;
	}
	if (ferror(in) || fflush(out) != 0) {
		fprintf(stderr, "bench_ocsp_reqs: read or write error\n");
		goto out;
	}
	printf("%zu OCSP requests in %.2f s\n", n, now_s() - t);
	rc = 0;
out:
	if (out != NULL && fclose(out) != 0)
		rc = 1;
	if (in != NULL)
		fclose(in);
	if (cf != NULL)
		fclose(cf);
	X509_free(ca);
	return rc;
}
