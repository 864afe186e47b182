#include "tls.h"

#include <stdio.h>

#include "err.h"

#define TLS12_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

/*
 * Accepts any client certificate without building its chain: handlers verify
 * against their own anchors.
 */
static int
accept_any_cert(X509_STORE_CTX *ctx, void *arg)
{
	(void)ctx;
	(void)arg;
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
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, accept_any_cert, NULL);
	/* resumption with client certificates needs a session id context */
	if (!SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1))
		goto fail;
	/*
	 * No TLS 1.3 session tickets (TLS 1.3 connections do not resume): OpenSSL
	 * 3.0 copies the session through DER for every ticket it sends, decoding
	 * the client certificate again, which cost a seventh of the server's CPU
	 * in an EST enrollment.
	 */
	if (!SSL_CTX_set_num_tickets(ctx, 0))
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
