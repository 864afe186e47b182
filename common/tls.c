#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "secure.h"

#define TLS12_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define SELFSIGNED_DAYS 90

/* Accepts any client certificate: handlers verify against their own anchors. */
static int
accept_any_cert(int preverify_ok, X509_STORE_CTX *ctx)
{
	(void)preverify_ok;
	(void)ctx;
	return 1;
}

SSL_CTX *
mp_tls_server_ctx_new(X509 *cert, STACK_OF(X509) *chain, EVP_PKEY *key, char *err, size_t errsz)
{
	static const unsigned char sid_ctx[] = "midpki";
	SSL_CTX *ctx = NULL, *ret = NULL;
	char ebuf[512];

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		goto fail;
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION))
		goto fail;
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (!SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) ||
	    !SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384"))
		goto fail;
	if (!SSL_CTX_use_certificate(ctx, cert) || !SSL_CTX_use_PrivateKey(ctx, key) ||
	    !SSL_CTX_check_private_key(ctx))
		goto fail;
	for (int i = 0; chain != NULL && i < sk_X509_num(chain); i++)
		if (!SSL_CTX_add1_chain_cert(ctx, sk_X509_value(chain, i)))
			goto fail;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any_cert);
	/* resumption with client certificates needs a session id context */
	if (!SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1))
		goto fail;
	ret = ctx;
	ctx = NULL;
	goto out;
fail:
	snprintf(err, errsz, "TLS server context: %s", mp_ossl_errors(ebuf, sizeof(ebuf)));
out:
	SSL_CTX_free(ctx);
	return ret;
}

static int
add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A self-signed certificate for key as mp_tls_selfsigned describes; NULL on error. */
static X509 *
make_cert(EVP_PKEY *key)
{
	unsigned char serial[16];
	X509 *cert = NULL, *ret = NULL;
	X509_NAME *name;
	BIGNUM *bn = NULL;

	if (mp_random_bytes(serial, sizeof(serial)) != MP_OK)
		goto out;
	serial[0] &= 0x7f; /* positive */
	serial[0] |= 0x40; /* and a full 16 bytes */
	if ((cert = X509_new()) == NULL || !X509_set_version(cert, X509_VERSION_3))
		goto out;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) == NULL)
		goto out;
	if (X509_gmtime_adj(X509_getm_notBefore(cert), -300) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), SELFSIGNED_DAYS, 0, NULL) == NULL)
		goto out;
	name = X509_get_subject_name(cert);
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"MIDPKI",
	        -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	        (const unsigned char *)"MIDPKI listener (self-signed)", -1, -1, 0) ||
	    !X509_set_issuer_name(cert, name) || !X509_set_pubkey(cert, key))
		goto out;
	if (!add_ext(cert, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(cert, NID_key_usage, "critical,digitalSignature") ||
	    !add_ext(cert, NID_ext_key_usage, "serverAuth") ||
	    !add_ext(cert, NID_subject_key_identifier, "hash") ||
	    !add_ext(cert, NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost"))
		goto out;
	if (X509_sign(cert, key, EVP_sha256()) == 0)
		goto out;
	ret = cert;
	cert = NULL;
out:
	BN_free(bn);
	X509_free(cert);
	return ret;
}

/* Writes the PEM of cert to path with mode 0644 through path.tmp and rename. */
static int
write_pem_atomic(const char *path, X509 *cert, char *err, size_t errsz)
{
	char tmp[4096];
	FILE *f = NULL;
	int fd = -1, r = MP_ERR_IO;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		snprintf(err, errsz, "%s: path too long", path);
		goto out;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0 ||
	    fchmod(fd, 0644) != 0) {
		snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (!PEM_write_X509(f, cert) || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		snprintf(err, errsz, "%s: write failed", tmp);
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) != 0) {
		snprintf(err, errsz, "rename %s: %s", path, strerror(errno));
		goto out;
	}
	r = MP_OK;
out:
	if (f != NULL)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (r != MP_OK)
		unlink(tmp);
	return r;
}

int
mp_tls_selfsigned(const char *state_dir, EVP_PKEY **key, X509 **cert, char *err, size_t errsz)
{
	char dir[4096], path[4200], ebuf[512];
	EVP_PKEY *k = NULL;
	X509 *c = NULL;
	int r = MP_ERR_CRYPTO;

	if ((k = EVP_EC_gen("P-256")) == NULL || (c = make_cert(k)) == NULL) {
		snprintf(err, errsz, "self-signed certificate: %s", mp_ossl_errors(ebuf, sizeof(ebuf)));
		goto out;
	}
	r = MP_ERR_IO;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/tls", state_dir) >= sizeof(dir)) {
		snprintf(err, errsz, "%s: path too long", state_dir);
		goto out;
	}
	if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || chmod(dir, 0700) != 0) {
		snprintf(err, errsz, "%s: %s", dir, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/server.crt", dir);
	if ((r = write_pem_atomic(path, c, err, errsz)) != MP_OK)
		goto out;
	snprintf(path, sizeof(path), "%s/trust.pem", state_dir);
	if ((r = write_pem_atomic(path, c, err, errsz)) != MP_OK)
		goto out;
	*key = k;
	*cert = c;
	k = NULL;
	c = NULL;
	r = MP_OK;
out:
	EVP_PKEY_free(k);
	X509_free(c);
	return r;
}
