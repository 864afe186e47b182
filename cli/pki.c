#include "pki.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "err.h"
#include "log.h"
#include "presign.h"
#include "sshca.h"
#include "tls.h"

/* Listener certificates are renewed at start when they have less than this left. */
#define RENEW_BEFORE_S (30 * 86400LL)

ca_env
cli_pki_env(const mp_config *cfg, const cli_pki *pki, mp_db *db)
{
	return (ca_env){ db, pki->ks, cfg->ocsp_public_url, cfg->keystore_backend, pki->shared };
}

/* Writes text to path through a temporary file and rename, mode 0644. */
static int
write_public_file(const char *path, const char *text)
{
	char tmp[4200];
	size_t len = strlen(text);
	int fd, r = MP_ERR_IO;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return MP_ERR_IO;
	if (write(fd, text, len) == (ssize_t)len && fsync(fd) == 0)
		r = MP_OK;
	if (close(fd) != 0)
		r = MP_ERR_IO;
	if (r == MP_OK && rename(tmp, path) != 0)
		r = MP_ERR_IO;
	if (r != MP_OK)
		unlink(tmp);
	return r;
}

/* The chain PEM as a stack of certificates. */
static STACK_OF(X509) *
chain_stack(const char *pem)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x;

	if (sk == NULL || b == NULL)
		goto fail;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			goto fail;
		}
	ERR_clear_error();
	BIO_free(b);
	return sk;
fail:
	BIO_free(b);
	sk_X509_pop_free(sk, X509_free);
	return NULL;
}

/* The listeners' names: each name of a comma-separated list as a SAN (IP addresses as ip:). */
static json_t *
server_sans(const char *names)
{
	json_t *sans = json_array();

	if (sans == NULL)
		return NULL;
	for (const char *p = names; *p != '\0';) {
		char name[256], san[300];
		unsigned char addr[16];
		size_t n;

		p += strspn(p, ", ");
		if ((n = strcspn(p, ", ")) == 0)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		snprintf(san, sizeof(san), "%s:%s", inet_pton(AF_INET, name, addr) == 1 ||
		    inet_pton(AF_INET6, name, addr) == 1 ? "ip" : "dns", name);
		if (json_array_append_new(sans, json_string(san)) != 0) {
			json_decref(sans);
			return NULL;
		}
		p += n;
	}
	return sans;
}

int
cli_pki_start(const mp_config *cfg, mp_db *db, cli_pki *out)
{
	char path[4096], err[1024];
	cli_pki p = { 0 };
	unsigned made = 0;
	STACK_OF(X509) *chain = NULL;
	json_t *sans = NULL;
	char *trust = NULL;
	ca_env env;
	int r;

	if ((r = mp_keystore_open_config(cfg, &p.ks, err, sizeof(err))) != MP_OK) {
		mp_error("key store: %s", err);
		goto out;
	}
	if ((p.shared = ca_shared_new()) == NULL) {
		mp_error("out of memory");
		r = MP_ERR_NOMEM;
		goto out;
	}
	if (strcmp(cfg->keystore_backend, "pkcs11") == 0 && !mp_keystore_has_pkcs11(p.ks)) {
		mp_error("[keystore] backend is pkcs11 but no pkcs11_module is configured");
		r = MP_ERR_CONFIG;
		goto out;
	}
	env = cli_pki_env(cfg, &p, db);
	if ((r = ca_bootstrap(&env)) != MP_OK) {
		if (r == MP_ERR_INTEGRITY)
			mp_error("the CA keys in the database do not open with this master key: every"
			    " instance of one database needs the same master key file"
			    " ([keystore] master_key_file)");
		else
			mp_error("cannot set up the platform CA: %s: %s", mp_strerror(r),
			    mp_db_errmsg(db));
		goto out;
	}
	if ((r = sshca_bootstrap(db)) != MP_OK) {
		mp_error("cannot set up the SSH CA's built-in profiles: %s: %s", mp_strerror(r),
		    mp_db_errmsg(db));
		goto out;
	}
	if ((sans = server_sans(cfg->tls_server_names)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	if ((r = ca_service_cert_get(&env, "tls", "tls-server", "CN=MIDPKI services,O=MIDPKI", sans,
	    RENEW_BEFORE_S, &p.tls)) != MP_OK) {
		mp_error("cannot get the platform's service certificates: %s: %s", mp_strerror(r),
		    mp_db_errmsg(db));
		goto out;
	}
	/* one CA that cannot have a signer must not keep the others from serving */
	if ((r = ca_ocsp_signers_ensure(&env, ocsp_presign_renew_before_s(
	    cfg->ocsp_response_validity_ms), &made)) != MP_OK)
		mp_warn("cannot get every CA an OCSP signer certificate (the OCSP pre-signing service"
		    " tries again): %s: %s", mp_strerror(r), mp_db_errmsg(db));
	if (made > 0)
		mp_info("%u new OCSP signer certificate(s)", made);
	if ((chain = chain_stack(p.tls.chain_pem)) == NULL || sk_X509_num(chain) < 1 ||
	    X509_up_ref(sk_X509_value(chain, 0)) != 1) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	p.tls_issuer = sk_X509_value(chain, 0);
	if ((p.tls_ctx = mp_tls_server_ctx_new(p.tls.cert, chain, mp_key_evp(p.tls.key), err,
	    sizeof(err))) == NULL) {
		mp_error("TLS set-up failed: %s", err);
		r = MP_ERR_CRYPTO;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/trust.pem", cfg->state_dir);
	if ((r = ca_trust_pem(&env, &trust)) != MP_OK || (r = write_public_file(path, trust)) != MP_OK) {
		mp_error("cannot write %s: %s", path, mp_strerror(r));
		goto out;
	}
	*out = p;
	memset(&p, 0, sizeof(p));
	r = MP_OK;
out:
	cli_pki_stop(&p);
	sk_X509_pop_free(chain, X509_free);
	json_decref(sans);
	free(trust);
	return r;
}

void
cli_pki_stop(cli_pki *pki)
{
	SSL_CTX_free(pki->tls_ctx);
	X509_free(pki->tls_issuer);
	ca_service_cert_clear(&pki->tls);
	ca_shared_free(pki->shared);
	mp_keystore_free(pki->ks);
	memset(pki, 0, sizeof(*pki));
}
