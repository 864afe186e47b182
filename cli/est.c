/*
 * midpki est: the EST client (RFC 7030) a device runs: fetch the CA
 * certificates (bootstrapping trust by fingerprint), read the CSR
 * attributes, enroll with a one-time token or a manufacturer certificate,
 * have the server make the key (serverkeygen), and re-enroll with the
 * current certificate, from cron or a systemd timer.
 */
#include "commands.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "admin_url.h"
#include "codec.h"
#include "err.h"
#include "est_msg.h"
#include "https_client.h"
#include "midpki_build.h"
#include "num.h"
#include "readfile.h"
#include "secure.h"

/* Exit codes a device script can act on. */
#define EST_EXIT_OK 0
#define EST_EXIT_FAIL 1     /* network, TLS, a server error, a local file */
#define EST_EXIT_USAGE 2
#define EST_EXIT_REFUSED 3  /* the server refused the request (4xx): fix credentials or request */
#define EST_EXIT_PENDING 4  /* still waiting for an operator's approval after --max-wait */

#define DEFAULT_SERVER "https://127.0.0.1:8443"
#define DEFAULT_MAX_WAIT_MS (3600 * 1000ULL)
#define DEFAULT_RETRY_S 60

static const char est_usage[] =
    "usage: midpki est cacerts|csrattrs|enroll|reenroll|serverkeygen [options]\n"
    "\n"
    "  --server URL          the EST server, https://host[:port][/prefix]\n"
    "                        (default " DEFAULT_SERVER ")\n"
    "  --label LABEL         the label segment: /.well-known/est/LABEL/...\n"
    "  --trust FILE          PEM certificates the server's must chain to\n"
    "  --fingerprint HEX     cacerts only, instead of --trust: accept the server once,\n"
    "                        if the chain it sends holds a certificate with this SHA-256\n"
    "                        fingerprint and the server's certificate chains to it\n"
    "  --serial SERIAL --token TOKEN\n"
    "                        enroll with a one-time token (HTTP Basic); the token may\n"
    "                        also come from MIDPKI_EST_TOKEN, which `ps` does not show\n"
    "  --cert FILE --key FILE\n"
    "                        TLS client certificate and key: a manufacturer certificate\n"
    "                        for enroll and serverkeygen, the current one for reenroll\n"
    "  --key-type TYPE       new key: ec-p256 (default), ec-p384, rsa-2048, rsa-3072,\n"
    "                        rsa-4096, ed25519\n"
    "  --use-key FILE        request for this existing key (PEM) instead of a new one\n"
    "  --subject DN          enroll: subject to ask for, e.g. CN=CS-0001 (default none:\n"
    "                        the server takes names from the device record)\n"
    "  --channel-binding     put the TLS channel binding (tls-unique on TLS 1.2,\n"
    "                        tls-exporter on TLS 1.3) in the request's challengePassword\n"
    "  --encrypt-key         serverkeygen: have the server encrypt the new key to --cert\n"
    "                        (RFC 7030 4.4.1.2); it is decrypted here with --key\n"
    "  --tls1.2              do not use TLS 1.3\n"
    "  --out-key FILE        where a new key goes (PEM, mode 0600)\n"
    "  --out-cert FILE       where the certificate goes (PEM)\n"
    "  --out-chain FILE      also fetch the CA certificates into FILE (PEM)\n"
    "  --out FILE            cacerts: where the CA certificates go (PEM; default stdout)\n"
    "  --if-expiring-within DURATION\n"
    "                        reenroll only when --cert expires within DURATION (e.g. 30d)\n"
    "  --max-wait DURATION   how long to follow 202 Retry-After (default 1h)\n"
    "\n"
    "reenroll defaults --out-key and --out-cert to --key and --cert, replaced in place.\n"
    "Exit codes: 0 done (or not due), 1 failure (network, TLS, server error, files),\n"
    "2 usage, 3 refused by the server (the reason is printed), 4 still pending.\n";

struct est_opts {
	const char *op;
	const char *server, *label, *trust, *fingerprint;
	const char *serial, *token;
	const char *cert, *key, *key_type, *use_key, *subject;
	const char *out_key, *out_cert, *out_chain, *out;
	bool channel_binding, tls12, has_expiring, encrypt_key;
	uint64_t expiring_ms, max_wait_ms;
};

/* What one exchange with the server came to. */
struct est_call {
	cli_https *https;
	const struct est_opts *o;
	cli_http_response *resp;
	char err[1024];
};

__attribute__((format(printf, 1, 2))) static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "midpki est: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", est_usage);
	return EST_EXIT_USAGE;
}

/* The value after a string option, by name; NULL when argv[i] is not one. */
static const char **
string_option(struct est_opts *o, const char *name)
{
	static const char *const names[] = { "--server", "--label", "--trust", "--fingerprint",
		"--serial", "--token", "--cert", "--key", "--key-type", "--use-key", "--subject",
		"--out-key", "--out-cert", "--out-chain", "--out" };
	const char **slots[] = { &o->server, &o->label, &o->trust, &o->fingerprint, &o->serial,
		&o->token, &o->cert, &o->key, &o->key_type, &o->use_key, &o->subject, &o->out_key,
		&o->out_cert, &o->out_chain, &o->out };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return slots[i];
	return NULL;
}

static bool
label_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

/* Parses argv into o; EST_EXIT_OK or the exit code of a usage error. */
static int
parse_args(int argc, char **argv, struct est_opts *o)
{
	*o = (struct est_opts){ .server = DEFAULT_SERVER, .key_type = "ec-p256",
		.max_wait_ms = DEFAULT_MAX_WAIT_MS };
	o->op = argv[0];
	o->token = getenv("MIDPKI_EST_TOKEN");
	for (int i = 1; i < argc; i++) {
		const char **slot = string_option(o, argv[i]);

		if (strcmp(argv[i], "--channel-binding") == 0) {
			o->channel_binding = true;
		} else if (strcmp(argv[i], "--tls1.2") == 0) {
			o->tls12 = true;
		} else if (strcmp(argv[i], "--encrypt-key") == 0) {
			o->encrypt_key = true;
		} else if (i + 1 >= argc) {
			return usage_error("unknown or incomplete option '%s'", argv[i]);
		} else if (slot != NULL) {
			*slot = argv[++i];
		} else if (strcmp(argv[i], "--if-expiring-within") == 0) {
			if (mp_parse_duration_ms(argv[++i], 100ULL * 365 * 86400 * 1000,
			    &o->expiring_ms) != MP_OK)
				return usage_error("bad duration '%s'", argv[i]);
			o->has_expiring = true;
		} else if (strcmp(argv[i], "--max-wait") == 0) {
			if (mp_parse_duration_ms(argv[++i], 7ULL * 86400 * 1000, &o->max_wait_ms) !=
			    MP_OK)
				return usage_error("bad duration '%s'", argv[i]);
		} else {
			return usage_error("unknown option '%s'", argv[i]);
		}
	}
	if (o->label != NULL && !label_ok(o->label))
		return usage_error("a label is 1 to 64 of A-Z a-z 0-9 - _ . ('%s')", o->label);
	if (o->trust != NULL && o->fingerprint != NULL)
		return usage_error("%s", "give --trust or --fingerprint, not both");
	if (o->fingerprint != NULL && strcmp(o->op, "cacerts") != 0)
		return usage_error("%s", "--fingerprint bootstraps trust with cacerts only");
	if ((o->cert == NULL) != (o->key == NULL))
		return usage_error("%s", "--cert and --key go together");
	if (o->token != NULL && o->serial == NULL &&
	    (strcmp(o->op, "enroll") == 0 || strcmp(o->op, "serverkeygen") == 0))
		return usage_error("%s", "a token needs --serial (the HTTP Basic user name)");
	if (o->encrypt_key && (strcmp(o->op, "serverkeygen") != 0 || o->cert == NULL))
		return usage_error("%s", "--encrypt-key goes with serverkeygen and --cert, --key");
	if (strcmp(o->op, "reenroll") == 0) {
		if (o->cert == NULL)
			return usage_error("%s", "reenroll needs --cert and --key (the current ones)");
		if (o->out_cert == NULL)
			o->out_cert = o->cert;
		if (o->out_key == NULL && o->use_key == NULL)
			o->out_key = o->key;
	} else if (o->has_expiring) {
		return usage_error("%s", "--if-expiring-within goes with reenroll");
	}
	if ((strcmp(o->op, "enroll") == 0 || strcmp(o->op, "serverkeygen") == 0) &&
	    o->token == NULL && o->cert == NULL)
		return usage_error("%s: give --serial and --token, or --cert and --key", o->op);
	if (strcmp(o->op, "cacerts") != 0 && strcmp(o->op, "csrattrs") != 0 && o->out_cert == NULL)
		return usage_error("%s", "say where the certificate goes: --out-cert FILE");
	if (strcmp(o->op, "serverkeygen") == 0 && o->out_key == NULL)
		return usage_error("%s", "say where the key goes: --out-key FILE");
	return EST_EXIT_OK;
}

/* The request path of operation op. */
static int
put_path(mp_buf *b, const struct est_opts *o, const cli_url *url, const char *op)
{
	return mp_buf_putf(b, "%s/.well-known/est%s%s/%s", url->prefix, o->label != NULL ? "/" : "",
	    o->label != NULL ? o->label : "", op);
}

/*
 * Sends one request for op on k: GET without body, else POST of body as
 * application/pkcs10 with HTTP Basic when there is a token. The response is
 * in call->resp.
 */
static int
exchange(struct est_call *call, cli_https_conn *k, const char *op, const char *body)
{
	const struct est_opts *o = call->o;
	mp_buf *head = mp_buf_new(8192);
	char *cred = NULL, *b64 = NULL;
	size_t cred_len;
	int r = MP_ERR_NOMEM;

	if (head == NULL)
		goto out;
	if ((r = mp_buf_put_str(head, body != NULL ? "POST " : "GET ")) != MP_OK ||
	    (r = put_path(head, o, cli_https_url(call->https), op)) != MP_OK ||
	    (r = mp_buf_putf(head, " HTTP/1.1\r\n")) != MP_OK ||
	    (r = cli_https_put_host(call->https, head)) != MP_OK ||
	    (r = mp_buf_putf(head, "User-Agent: midpki-est/%s\r\nConnection: close\r\n",
		MIDPKI_VERSION)) != MP_OK)
		goto out;
	if (body != NULL && (r = mp_buf_putf(head, "Content-Type: application/pkcs10\r\n"
	    "Content-Transfer-Encoding: base64\r\nContent-Length: %zu\r\n", strlen(body))) != MP_OK)
		goto out;
	if (body != NULL && o->token != NULL) {
		cred_len = strlen(o->serial) + 1 + strlen(o->token);
		if ((cred = malloc(cred_len + 1)) == NULL)
			goto out;
		snprintf(cred, cred_len + 1, "%s:%s", o->serial, o->token);
		if ((r = mp_b64_encode((const uint8_t *)cred, cred_len, false, &b64)) != MP_OK ||
		    (r = mp_buf_putf(head, "Authorization: Basic %s\r\n", b64)) != MP_OK)
			goto out;
	}
	if ((r = mp_buf_put_str(head, "\r\n")) != MP_OK)
		goto out;
	cli_http_response_free(call->resp);
	call->resp = NULL;
	r = cli_https_exchange(k, head, body, body != NULL ? strlen(body) : 0, EST_MAX_RESPONSE,
	    NULL, NULL, &call->resp, call->err, sizeof(call->err));
out:
	if (r == MP_ERR_NOMEM || r == MP_ERR_TOO_LARGE)
		snprintf(call->err, sizeof(call->err), "%s", mp_strerror(r));
	mp_free_secret_str(cred);
	mp_free_secret_str(b64);
	mp_buf_free(head); /* wipes the credentials */
	return r;
}

/* Prints why the server refused, and the exit code for it. */
static int
refused(const struct est_call *call, const char *op)
{
	const cli_http_response *resp = call->resp;
	size_t n = resp->body_len;
	bool text = resp->content_type != NULL && strncmp(resp->content_type, "text/plain", 10) == 0;

	while (n > 0 && (resp->body[n - 1] == '\n' || resp->body[n - 1] == '\r'))
		n--;
	if (n > 400)
		n = 400;
	fprintf(stderr, "midpki est: %s refused: HTTP %d%s%.*s\n", op, resp->status,
	    text && n > 0 ? ": " : "", text ? (int)n : 0, resp->body);
	return resp->status >= 400 && resp->status < 500 ? EST_EXIT_REFUSED : EST_EXIT_FAIL;
}

/* Writes text to path through a temporary file renamed onto it. */
static int
write_file(const char *path, const char *text, mode_t mode)
{
	int r;

	if ((r = cli_write_file(path, text, strlen(text), mode)) != MP_OK)
		fprintf(stderr, "midpki est: cannot write %s: %s\n", path, strerror(errno));
	return r;
}

/* certs as PEM text in a new string. */
static char *
certs_pem(STACK_OF(X509) *certs, int from, int to)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data = NULL, *s = NULL;
	long n;

	if (b == NULL)
		return NULL;
	for (int i = from; i < to; i++)
		if (!PEM_write_bio_X509(b, sk_X509_value(certs, i)))
			goto out;
	n = BIO_get_mem_data(b, &data);
	s = strndup(n > 0 ? data : "", n > 0 ? (size_t)n : 0);
out:
	BIO_free(b);
	return s;
}

/* The CA certificates from /cacerts (over a new connection) into *out. */
static int
fetch_cacerts(struct est_call *call, STACK_OF(X509) **out, cli_https_conn **keep)
{
	cli_https_conn *k = NULL;
	int rc = EST_EXIT_FAIL;

	if (cli_https_connect(call->https, &k, call->err, sizeof(call->err)) != MP_OK ||
	    exchange(call, k, "cacerts", NULL) != MP_OK) {
		fprintf(stderr, "midpki est: cacerts: %s\n", call->err);
		goto out;
	}
	if (call->resp->status != 200) {
		rc = refused(call, "cacerts");
		goto out;
	}
	if (est_certs_parse(call->resp->body, call->resp->body_len, out) != MP_OK) {
		fprintf(stderr, "midpki est: cacerts: the answer is not a certs-only PKCS#7\n");
		goto out;
	}
	rc = EST_EXIT_OK;
	if (keep != NULL) {
		*keep = k;
		k = NULL;
	}
out:
	cli_https_close(k);
	return rc;
}

/* Parses "aa:bb:..." or "aabb..." (either case) into 32 bytes. */
static bool
fingerprint_parse(const char *s, uint8_t out[32])
{
	size_t n = 0;

	for (const char *p = s; *p != '\0'; p++) {
		int hi, lo;

		if (*p == ':')
			continue;
		if (n == 32 || (hi = mp_hex_digit(p[0])) < 0 || (lo = mp_hex_digit(p[1])) < 0)
			return false;
		out[n++] = (uint8_t)(hi << 4 | lo);
		p++;
	}
	return n == 32;
}

/*
 * Bootstrap (RFC 7030 4.1.1): the chain from /cacerts must hold the
 * certificate of the fingerprint, and the TLS server's certificate must chain
 * to it and name the host we asked for.
 */
static int
check_bootstrap(const struct est_opts *o, const cli_url *url, STACK_OF(X509) *certs,
    cli_https_conn *k)
{
	STACK_OF(X509) *peer = cli_https_peer_chain(k);
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	uint8_t want[32], md[32];
	unsigned int mdlen = 0;
	X509 *anchor = NULL;
	int rc = EST_EXIT_FAIL;

	if (!fingerprint_parse(o->fingerprint, want)) {
		rc = usage_error("--fingerprint wants 32 hex octets (SHA-256), got '%s'",
		    o->fingerprint);
		goto out;
	}
	for (int i = 0; i < sk_X509_num(certs) && anchor == NULL; i++)
		if (X509_digest(sk_X509_value(certs, i), EVP_sha256(), md, &mdlen) &&
		    mdlen == 32 && mp_ct_equal(md, 32, want, 32))
			anchor = sk_X509_value(certs, i);
	if (anchor == NULL) {
		fprintf(stderr, "midpki est: no certificate from the server has the fingerprint %s;"
		    " nothing was written\n", o->fingerprint);
		goto out;
	}
	if (store == NULL || ctx == NULL || peer == NULL || sk_X509_num(peer) == 0 ||
	    !X509_STORE_add_cert(store, anchor) ||
	    !X509_STORE_CTX_init(ctx, store, sk_X509_value(peer, 0), certs) ||
	    X509_verify_cert(ctx) != 1 ||
	    (url->host_is_ip ? X509_check_ip_asc(sk_X509_value(peer, 0), url->host, 0) :
		X509_check_host(sk_X509_value(peer, 0), url->host, 0, 0, NULL)) != 1) {
		fprintf(stderr, "midpki est: the server's TLS certificate does not chain to the"
		    " certificate of that fingerprint for %s; nothing was written\n", url->host);
		goto out;
	}
	rc = EST_EXIT_OK;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

static int
op_cacerts(struct est_call *call)
{
	const struct est_opts *o = call->o;
	STACK_OF(X509) *certs = NULL;
	cli_https_conn *k = NULL;
	char *pem = NULL;
	int rc;

	if ((rc = fetch_cacerts(call, &certs, &k)) != EST_EXIT_OK)
		goto out;
	if (o->fingerprint != NULL &&
	    (rc = check_bootstrap(o, cli_https_url(call->https), certs, k)) != EST_EXIT_OK)
		goto out;
	rc = EST_EXIT_FAIL;
	if ((pem = certs_pem(certs, 0, sk_X509_num(certs))) == NULL)
		goto out;
	if (o->out == NULL)
		fputs(pem, stdout);
	else if (write_file(o->out, pem, 0644) != MP_OK)
		goto out;
	rc = EST_EXIT_OK;
out:
	free(pem);
	cli_https_close(k);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

static int
op_csrattrs(struct est_call *call)
{
	cli_https_conn *k = NULL;
	mp_buf *text = mp_buf_new(EST_MAX_RESPONSE);
	int rc = EST_EXIT_FAIL;

	if (text == NULL)
		goto out;
	if (cli_https_connect(call->https, &k, call->err, sizeof(call->err)) != MP_OK ||
	    exchange(call, k, "csrattrs", NULL) != MP_OK) {
		fprintf(stderr, "midpki est: csrattrs: %s\n", call->err);
		goto out;
	}
	if (call->resp->status == 204) {
		rc = EST_EXIT_OK; /* no attributes wanted */
		goto out;
	}
	if (call->resp->status != 200) {
		rc = refused(call, "csrattrs");
		goto out;
	}
	if (est_csrattrs_describe(call->resp->body, call->resp->body_len, text) != MP_OK) {
		fprintf(stderr, "midpki est: csrattrs: the answer is not base64 of CsrAttrs\n");
		goto out;
	}
	fputs(mp_buf_str(text), stdout);
	rc = EST_EXIT_OK;
out:
	mp_buf_free(text);
	cli_https_close(k);
	return rc;
}

static void *
pem_key(BIO *b)
{
	return PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
}

static void *
pem_cert(BIO *b)
{
	return PEM_read_bio_X509(b, NULL, NULL, NULL);
}

/* The first PEM object of path that rd reads (pem_key, pem_cert); NULL with a message. */
static void *
read_pem(const char *path, void *(*rd)(BIO *), const char *what)
{
	BIO *b = BIO_new_file(path, "r");
	void *obj = NULL;

	if (b == NULL)
		fprintf(stderr, "midpki est: cannot read %s: %s\n", path, strerror(errno));
	else if ((obj = rd(b)) == NULL)
		fprintf(stderr, "midpki est: %s holds no PEM %s\n", path, what);
	BIO_free(b);
	ERR_clear_error();
	return obj;
}

/* Parses "CN=a,serialNumber=b" (no escapes) into a name. */
static X509_NAME *
subject_parse(const char *s)
{
	X509_NAME *n = X509_NAME_new();
	char *copy = strdup(s), *p = copy;

	while (n != NULL && p != NULL && *p != '\0') {
		char *end = strchr(p, ','), *eq;

		if (end != NULL)
			*end = '\0';
		if ((eq = strchr(p, '=')) == NULL || eq == p ||
		    !X509_NAME_add_entry_by_txt(n, p, MBSTRING_UTF8, (unsigned char *)eq + 1, -1, -1,
			0)) {
			X509_NAME_free(n);
			n = NULL;
		} else {
			*eq = '=';
		}
		p = end != NULL ? end + 1 : NULL;
	}
	free(copy);
	ERR_clear_error();
	return n;
}

/* What the request asks for: subject and SANs (reenroll: the current certificate's). */
struct csr_names {
	X509_NAME *subject;
	GENERAL_NAMES *sans;
};

/*
 * Writes what an enrollment brought: key (when new_key) to --out-key, the
 * first of certs, which must be for key, to --out-cert, and with --out-chain
 * the CA certificates fetched from /cacerts.
 */
static int
write_results(struct est_call *call, EVP_PKEY *key, bool new_key, STACK_OF(X509) *certs,
    const char *op)
{
	const struct est_opts *o = call->o;
	STACK_OF(X509) *chain = NULL;
	char *pem = NULL, *keypem = NULL;
	int rc = EST_EXIT_FAIL;

	if (X509_check_private_key(sk_X509_value(certs, 0), key) != 1) {
		ERR_clear_error();
		fprintf(stderr, "midpki est: %s: the answer is not a certificate for the key\n", op);
		goto out;
	}
	if (o->out_chain != NULL && (rc = fetch_cacerts(call, &chain, NULL)) != EST_EXIT_OK)
		goto out;
	rc = EST_EXIT_FAIL;
	if (new_key) {
		BIO *b = BIO_new(BIO_s_mem());
		char *data = NULL;
		long n;

		if (b == NULL || !PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) ||
		    (n = BIO_get_mem_data(b, &data)) <= 0 || (keypem = strndup(data, (size_t)n)) == NULL) {
			BIO_free(b);
			goto out;
		}
		BIO_free(b);
		if (write_file(o->out_key, keypem, 0600) != MP_OK)
			goto out;
	}
	if ((pem = certs_pem(certs, 0, 1)) == NULL || write_file(o->out_cert, pem, 0644) != MP_OK)
		goto out;
	if (chain != NULL) {
		free(pem);
		if ((pem = certs_pem(chain, 0, sk_X509_num(chain))) == NULL ||
		    write_file(o->out_chain, pem, 0644) != MP_OK)
			goto out;
	}
	fprintf(stderr, "midpki est: %s: certificate written to %s\n", op, o->out_cert);
	rc = EST_EXIT_OK;
out:
	mp_free_secret_str(keypem);
	free(pem);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

/*
 * Enrolls or re-enrolls: connects, builds the request (with the channel
 * binding when asked), posts it, follows 202 Retry-After up to --max-wait,
 * and writes the key and certificate of a 200.
 */
static int
enroll(struct est_call *call, EVP_PKEY *key, bool new_key, const struct csr_names *names,
    const char *op)
{
	const struct est_opts *o = call->o;
	uint64_t waited_ms = 0;
	STACK_OF(X509) *certs = NULL;
	char *csr = NULL;
	int rc = EST_EXIT_FAIL;

	for (;;) {
		cli_https_conn *k = NULL;
		uint8_t binding[64];
		size_t blen = 0;
		const char *btype = NULL;
		long wait_s;

		if (cli_https_connect(call->https, &k, call->err, sizeof(call->err)) != MP_OK) {
			fprintf(stderr, "midpki est: %s: %s\n", op, call->err);
			goto out;
		}
		if (o->channel_binding && cli_https_binding(k, binding, &blen, &btype) != MP_OK) {
			cli_https_close(k);
			fprintf(stderr, "midpki est: %s: no channel binding on this connection\n", op);
			goto out;
		}
		free(csr);
		csr = NULL;
		if (est_csr_make(key, names->subject, names->sans, o->channel_binding ? binding : NULL,
		    blen, NULL, &csr) != MP_OK) {
			cli_https_close(k);
			fprintf(stderr, "midpki est: %s: cannot make the request\n", op);
			goto out;
		}
		if (exchange(call, k, op, csr) != MP_OK) {
			cli_https_close(k);
			fprintf(stderr, "midpki est: %s: %s\n", op, call->err);
			goto out;
		}
		cli_https_close(k);
		if (call->resp->status != 202)
			break;
		wait_s = call->resp->retry_after >= 0 ? call->resp->retry_after : DEFAULT_RETRY_S;
		if (wait_s == 0)
			wait_s = 1;
		if (waited_ms + (uint64_t)wait_s * 1000 > o->max_wait_ms) {
			fprintf(stderr, "midpki est: %s: still pending (waiting for approval) after %llu"
			    " s; run again later\n", op, (unsigned long long)(waited_ms / 1000));
			rc = EST_EXIT_PENDING;
			goto out;
		}
		fprintf(stderr, "midpki est: %s: pending, retrying in %ld s\n", op, wait_s);
		sleep((unsigned)wait_s);
		waited_ms += (uint64_t)wait_s * 1000;
	}
	if (call->resp->status != 200) {
		rc = refused(call, op);
		goto out;
	}
	if (est_certs_parse(call->resp->body, call->resp->body_len, &certs) != MP_OK) {
		fprintf(stderr, "midpki est: %s: the answer is not a certificate\n", op);
		goto out;
	}
	rc = write_results(call, key, new_key, certs, op);
out:
	free(csr);
	sk_X509_pop_free(certs, X509_free);
	return rc;
}

/* The key of the request: --use-key, else a new one of --key-type. */
static EVP_PKEY *
request_key(const struct est_opts *o, bool *new_key)
{
	EVP_PKEY *k = NULL;

	*new_key = o->use_key == NULL;
	if (o->use_key != NULL)
		return read_pem(o->use_key, pem_key, "private key (an encrypted one is not supported)");
	if (est_key_generate(o->key_type, &k) != MP_OK) {
		fprintf(stderr, "midpki est: cannot make a key of type '%s'\n", o->key_type);
		return NULL;
	}
	if (o->out_key == NULL) {
		fprintf(stderr, "midpki est: say where the new key goes: --out-key FILE\n");
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

static int
op_enroll(struct est_call *call, bool re)
{
	const struct est_opts *o = call->o;
	struct csr_names names = { NULL, NULL };
	EVP_PKEY *key = NULL;
	X509 *current = NULL;
	bool new_key = false;
	int rc = EST_EXIT_FAIL;

	if (re) {
		time_t due;

		if ((current = read_pem(o->cert, pem_cert, "certificate")) == NULL)
			goto out;
		due = time(NULL) + (time_t)(o->expiring_ms / 1000);
		if (o->has_expiring && X509_cmp_time(X509_get0_notAfter(current), &due) > 0) {
			fprintf(stderr, "midpki est: reenroll: %s does not expire within the given"
			    " time; not renewed\n", o->cert);
			rc = EST_EXIT_OK;
			goto out;
		}
		/* RFC 7030 4.2.2: the same subject and subjectAltName as the current certificate */
		names.subject = X509_NAME_dup(X509_get_subject_name(current));
		names.sans = X509_get_ext_d2i(current, NID_subject_alt_name, NULL, NULL);
		if (names.subject == NULL)
			goto out;
	} else if (o->subject != NULL && (names.subject = subject_parse(o->subject)) == NULL) {
		rc = usage_error("--subject wants TYPE=value pairs separated by commas, got '%s'",
		    o->subject);
		goto out;
	}
	if ((key = request_key(o, &new_key)) == NULL)
		goto out;
	rc = enroll(call, key, new_key, &names, re ? "simplereenroll" : "simpleenroll");
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	X509_free(current);
	X509_NAME_free(names.subject);
	GENERAL_NAMES_free(names.sans);
	return rc;
}

/*
 * /serverkeygen: a request (signed by a throwaway key; the server certifies
 * a key of its own, with the channel binding when asked), with --encrypt-key
 * asking for the key encrypted to --cert, then the key and certificate of
 * the answer written.
 */
static int
op_serverkeygen(struct est_call *call)
{
	const struct est_opts *o = call->o;
	est_keygen_answer a = { NULL, 0, false, NULL };
	const ASN1_OCTET_STRING *ski = NULL;
	EVP_PKEY *throwaway = NULL, *key = NULL, *mine = NULL;
	X509 *cert = NULL;
	cli_https_conn *k = NULL;
	uint8_t binding[64];
	size_t blen = 0;
	const char *btype = NULL;
	char *csr = NULL;
	int rc = EST_EXIT_FAIL;

	if (o->encrypt_key) {
		if ((cert = read_pem(o->cert, pem_cert, "certificate")) == NULL ||
		    (mine = read_pem(o->key, pem_key, "private key")) == NULL)
			goto out;
		if ((ski = X509_get0_subject_key_id(cert)) == NULL) {
			fprintf(stderr, "midpki est: serverkeygen: %s has no subjectKeyIdentifier to"
			    " name it by; the key cannot be encrypted to it\n", o->cert);
			goto out;
		}
	}
	if (cli_https_connect(call->https, &k, call->err, sizeof(call->err)) != MP_OK) {
		fprintf(stderr, "midpki est: serverkeygen: %s\n", call->err);
		goto out;
	}
	if (o->channel_binding && cli_https_binding(k, binding, &blen, &btype) != MP_OK) {
		fprintf(stderr, "midpki est: serverkeygen: no channel binding on this connection\n");
		goto out;
	}
	if (est_key_generate("ec-p256", &throwaway) != MP_OK ||
	    est_csr_make(throwaway, NULL, NULL, o->channel_binding ? binding : NULL, blen, ski,
	    &csr) != MP_OK) {
		fprintf(stderr, "midpki est: serverkeygen: cannot make the request\n");
		goto out;
	}
	if (exchange(call, k, "serverkeygen", csr) != MP_OK) {
		fprintf(stderr, "midpki est: serverkeygen: %s\n", call->err);
		goto out;
	}
	if (call->resp->status != 200) {
		rc = refused(call, "serverkeygen");
		goto out;
	}
	if (est_keygen_parse(call->resp->content_type, call->resp->body, call->resp->body_len,
	    &a) != MP_OK) {
		fprintf(stderr, "midpki est: serverkeygen: the answer is not multipart/mixed of a key"
		    " and a certificate\n");
		goto out;
	}
	if (a.encrypted != o->encrypt_key) {
		fprintf(stderr, "midpki est: serverkeygen: the key came %s\n", a.encrypted ?
		    "encrypted, which was not asked for" : "unencrypted, though encryption was asked for");
		goto out;
	}
	if ((a.encrypted ? est_key_unwrap(a.key, a.key_len, cert, mine, &key) :
	    est_key_plain(a.key, a.key_len, &key)) != MP_OK) {
		fprintf(stderr, "midpki est: serverkeygen: the key in the answer %s\n", a.encrypted ?
		    "does not open with --key" : "is not PKCS#8");
		goto out;
	}
	rc = write_results(call, key, true, a.certs, "serverkeygen");
out:
	est_keygen_answer_free(&a);
	cli_https_close(k);
	free(csr);
	EVP_PKEY_free(throwaway);
	EVP_PKEY_free(key);
	EVP_PKEY_free(mine);
	X509_free(cert);
	return rc;
}

int
cmd_est(int argc, char **argv)
{
	struct est_opts o;
	struct est_call call = { 0 };
	cli_url *url = NULL;
	int rc;

	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		fputs(est_usage, argc < 1 ? stderr : stdout);
		return argc < 1 ? EST_EXIT_USAGE : EST_EXIT_OK;
	}
	if (strcmp(argv[0], "cacerts") != 0 && strcmp(argv[0], "csrattrs") != 0 &&
	    strcmp(argv[0], "enroll") != 0 && strcmp(argv[0], "reenroll") != 0 &&
	    strcmp(argv[0], "serverkeygen") != 0)
		return usage_error("unknown operation '%s'", argv[0]);
	if ((rc = parse_args(argc, argv, &o)) != EST_EXIT_OK)
		return rc;
	if (cli_url_parse(o.server, &url) != MP_OK)
		return usage_error("--server wants https://host[:port][/prefix], got '%s'", o.server);
	{
		cli_tls_options tls = { o.trust, o.fingerprint != NULL, o.cert, o.key,
			o.tls12 ? TLS1_2_VERSION : 0 };

		if (cli_https_new(url, &tls, &call.https, call.err, sizeof(call.err)) != MP_OK) {
			fprintf(stderr, "midpki est: %s\n", call.err);
			rc = EST_EXIT_FAIL;
			goto out;
		}
	}
	call.o = &o;
	if (strcmp(o.op, "cacerts") == 0)
		rc = op_cacerts(&call);
	else if (strcmp(o.op, "csrattrs") == 0)
		rc = op_csrattrs(&call);
	else if (strcmp(o.op, "serverkeygen") == 0)
		rc = op_serverkeygen(&call);
	else
		rc = op_enroll(&call, strcmp(o.op, "reenroll") == 0);
out:
	cli_http_response_free(call.resp);
	cli_https_free(call.https);
	cli_url_free(url);
	return rc;
}
