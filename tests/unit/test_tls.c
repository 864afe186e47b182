/* TLS listeners: protocol and cipher policy, client certificates. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_main.h"
#include "err.h"
#include "http_harness.h"
#include "tls.h"

static void
h_hello(mp_http_req *req, void *arg)
{
	(void)arg;
	mp_http_reply(req, 200, "text/plain", "hello", 5);
}

/* Replies with the CN of the (unverified) client certificate, or "none". */
static void
h_whoami(mp_http_req *req, void *arg)
{
	X509 *peer = mp_http_req_peer_cert(req);
	char cn[128] = "none";

	(void)arg;
	if (peer != NULL)
		X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
	mp_http_reply(req, 200, "text/plain", cn, strlen(cn));
}

static const mp_http_route routes[] = {
	{ "GET", "/hello", h_hello },
	{ "GET", "/whoami", h_whoami },
};

struct fixture {
	struct http_harness h;
	char dir[64];
	EVP_PKEY *key;
	X509 *cert;
};

/* Adds the extension nid = value (OpenSSL config syntax) to cert, its own issuer. */
static void
add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
	ck_assert_ptr_nonnull(ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value));
	ck_assert_int_eq(X509_add_ext(cert, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/*
 * A P-256 server key and a self-signed certificate for it (one hour, SAN
 * IP:127.0.0.1 and DNS:localhost, serverAuth), whose PEM is written to
 * <dir>/trust.pem for the clients to verify the server with.
 */
static void
server_identity(const char *dir, EVP_PKEY **key, X509 **cert)
{
	char path[128];
	X509 *c;
	EVP_PKEY *k;
	FILE *fp;

	ck_assert_ptr_nonnull(k = EVP_EC_gen("P-256"));
	ck_assert_ptr_nonnull(c = X509_new());
	ck_assert_int_eq(X509_set_version(c, X509_VERSION_3), 1);
	ck_assert_int_eq(ASN1_INTEGER_set(X509_get_serialNumber(c), 1), 1);
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notBefore(c), -300));
	ck_assert_ptr_nonnull(X509_gmtime_adj(X509_getm_notAfter(c), 3600));
	ck_assert_int_eq(X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
	                     (const unsigned char *)"test TLS listener", -1, -1, 0), 1);
	ck_assert_int_eq(X509_set_issuer_name(c, X509_get_subject_name(c)), 1);
	ck_assert_int_eq(X509_set_pubkey(c, k), 1);
	add_ext(c, NID_basic_constraints, "critical,CA:FALSE");
	add_ext(c, NID_key_usage, "critical,digitalSignature");
	add_ext(c, NID_ext_key_usage, "serverAuth");
	add_ext(c, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
	ck_assert_int_gt(X509_sign(c, k, EVP_sha256()), 0);
	snprintf(path, sizeof(path), "%s/trust.pem", dir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_int_eq(PEM_write_X509(fp, c), 1);
	ck_assert_int_eq(fclose(fp), 0);
	*key = k;
	*cert = c;
}

/* A TLS listener with a fresh self-signed certificate, trusted by <f->dir>/trust.pem. */
static void
fx_start(struct fixture *f)
{
	char addr[64], err[256];
	SSL_CTX *ctx;

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/mp-tls-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	server_identity(f->dir, &f->key, &f->cert);
	ck_assert_ptr_nonnull(ctx = mp_tls_server_ctx_new(f->cert, NULL, f->key, err, sizeof(err)));
	hh_init(&f->h, addr, sizeof(addr));
	hh_new_server(&f->h);
	ck_assert_int_eq(mp_http_listen(f->h.srv, "est", addr, ctx, routes, 2, NULL, err,
	                     sizeof(err)), MP_OK);
	SSL_CTX_free(ctx); /* the server holds its own reference */
	hh_run(&f->h);
}

static void
fx_stop(struct fixture *f)
{
	char cmd[128];

	hh_stop(&f->h);
	EVP_PKEY_free(f->key);
	X509_free(f->cert);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A client key and self-signed certificate with this CN. */
static void
client_identity(const char *cn, EVP_PKEY **key, X509 **cert)
{
	X509 *c = X509_new();
	EVP_PKEY *k = EVP_EC_gen("P-256");

	ck_assert_ptr_nonnull(k);
	ASN1_INTEGER_set(X509_get_serialNumber(c), 7);
	X509_gmtime_adj(X509_getm_notBefore(c), 0);
	X509_gmtime_adj(X509_getm_notAfter(c), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c), "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, X509_get_subject_name(c));
	X509_set_pubkey(c, k);
	ck_assert_int_gt(X509_sign(c, k, EVP_sha256()), 0);
	*key = k;
	*cert = c;
}

/*
 * GETs path over TLS limited to [minv, maxv] (and TLS 1.2 ciphers when not
 * NULL), verifying the server against trust. Returns the HTTP status, or -1
 * when the handshake fails. The body goes to body, the protocol to *version.
 */
static int
tls_get(struct fixture *f, int minv, int maxv, const char *ciphers, EVP_PKEY *ckey, X509 *ccert,
    const char *path, char *body, size_t bodysz, int *version)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(f->h.port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char trust[128], req[256], resp[4096];
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;
	int fd, status = -1, n, off = 0;
	const char *p;

	ck_assert_ptr_nonnull(ctx);
	snprintf(trust, sizeof(trust), "%s/trust.pem", f->dir);
	ck_assert_int_eq(SSL_CTX_load_verify_locations(ctx, trust, NULL), 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* let the client offer old protocols so that the server is what refuses them */
	SSL_CTX_set_security_level(ctx, 0);
	ck_assert_int_eq(SSL_CTX_set_min_proto_version(ctx, minv), 1);
	ck_assert_int_eq(SSL_CTX_set_max_proto_version(ctx, maxv), 1);
	if (ciphers != NULL)
		ck_assert_int_eq(SSL_CTX_set_cipher_list(ctx, ciphers), 1);
	if (ccert != NULL) {
		ck_assert_int_eq(SSL_CTX_use_certificate(ctx, ccert), 1);
		ck_assert_int_eq(SSL_CTX_use_PrivateKey(ctx, ckey), 1);
	}
	ssl = SSL_new(ctx);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	SSL_set_fd(ssl, fd);
	SSL_set1_host(ssl, "127.0.0.1");
	if (SSL_connect(ssl) != 1)
		goto out;
	*version = SSL_version(ssl);
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
	ck_assert_int_eq(SSL_write(ssl, req, n), n);
	while ((n = SSL_read(ssl, resp + off, (int)sizeof(resp) - 1 - off)) > 0)
		off += n;
	resp[off] = '\0';
	ck_assert_int_eq(strncmp(resp, "HTTP/1.1 ", 9), 0);
	status = (resp[9] - '0') * 100 + (resp[10] - '0') * 10 + (resp[11] - '0');
	p = strstr(resp, "\r\n\r\n");
	snprintf(body, bodysz, "%s", p != NULL ? p + 4 : "");
out:
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return status;
}

START_TEST(test_curl_verifies)
{
	struct fixture f;
	char cmd[512], out[256] = "";
	FILE *p;
	size_t n;

	fx_start(&f);
	snprintf(cmd, sizeof(cmd),
	    "curl -sS --fail --cacert %s/trust.pem https://127.0.0.1:%u/hello 2>&1", f.dir, f.h.port);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_str_eq(out, "hello");
	/* and curl refuses it without the trust anchor */
	snprintf(cmd, sizeof(cmd), "curl -sS --fail --capath /nonexistent --cacert /dev/null "
	    "https://127.0.0.1:%u/hello >/dev/null 2>&1", f.h.port);
	ck_assert_int_ne(system(cmd), 0);
	fx_stop(&f);
}
END_TEST

START_TEST(test_versions)
{
	struct fixture f;
	char body[256];
	int version = 0;

	fx_start(&f);
	ck_assert_int_eq(tls_get(&f, TLS1_2_VERSION, TLS1_2_VERSION, NULL, NULL, NULL, "/hello",
	                     body, sizeof(body), &version), 200);
	ck_assert_int_eq(version, TLS1_2_VERSION);
	ck_assert_str_eq(body, "hello");
	ck_assert_int_eq(tls_get(&f, TLS1_3_VERSION, TLS1_3_VERSION, NULL, NULL, NULL, "/hello",
	                     body, sizeof(body), &version), 200);
	ck_assert_int_eq(version, TLS1_3_VERSION);
	ck_assert_int_eq(tls_get(&f, TLS1_1_VERSION, TLS1_1_VERSION, "DEFAULT:@SECLEVEL=0", NULL, NULL,
	                     "/hello", body, sizeof(body), &version), -1);
	ck_assert_int_eq(tls_get(&f, TLS1_VERSION, TLS1_VERSION, "DEFAULT:@SECLEVEL=0", NULL, NULL,
	                     "/hello", body, sizeof(body), &version), -1);
	/* TLS 1.2 without ECDHE or without an AEAD is refused */
	ck_assert_int_eq(tls_get(&f, TLS1_2_VERSION, TLS1_2_VERSION, "AES128-GCM-SHA256", NULL, NULL,
	                     "/hello", body, sizeof(body), &version), -1);
	ck_assert_int_eq(tls_get(&f, TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA256", NULL,
	                     NULL, "/hello", body, sizeof(body), &version), -1);
	ck_assert_int_eq(tls_get(&f, TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305",
	                     NULL, NULL, "/hello", body, sizeof(body), &version), 200);
	fx_stop(&f);
}
END_TEST

START_TEST(test_client_cert)
{
	struct fixture f;
	char body[256];
	int version = 0;
	EVP_PKEY *key;
	X509 *cert;

	client_identity("device-0001", &key, &cert);
	fx_start(&f);
	ck_assert_int_eq(tls_get(&f, TLS1_2_VERSION, TLS1_3_VERSION, NULL, key, cert, "/whoami",
	                     body, sizeof(body), &version), 200);
	ck_assert_str_eq(body, "device-0001");
	ck_assert_int_eq(tls_get(&f, TLS1_2_VERSION, TLS1_2_VERSION, NULL, key, cert, "/whoami",
	                     body, sizeof(body), &version), 200);
	ck_assert_str_eq(body, "device-0001");
	ck_assert_int_eq(tls_get(&f, TLS1_2_VERSION, TLS1_3_VERSION, NULL, NULL, NULL, "/whoami",
	                     body, sizeof(body), &version), 200);
	ck_assert_str_eq(body, "none");
	fx_stop(&f);
	EVP_PKEY_free(key);
	X509_free(cert);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("tls");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_curl_verifies);
	tcase_add_test(tc, test_versions);
	tcase_add_test(tc, test_client_cert);
	suite_add_tcase(s, tc);
	return s;
}
