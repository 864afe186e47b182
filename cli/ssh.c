/*
 * midpki ssh: the device side of the SSH CA. host-cert asks the admin
 * listener for the device's SSH host certificate over mutual TLS with its
 * operational certificate (and only when the one it has is missing, for
 * another key, or expires soon); krl-sync keeps sshd's RevokedKeys file
 * current from the OCSP listener. Both replace their file atomically.
 */
#include "commands.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "admin_client.h"
#include "admin_url.h"
#include "err.h"
#include "krl.h"
#include "num.h"
#include "readfile.h"
#include "sshkey.h"

#define SSH_EXIT_OK 0
#define SSH_EXIT_FAIL 1     /* network, TLS, a server error, a local file */
#define SSH_EXIT_USAGE 2
#define SSH_EXIT_REFUSED 3  /* the server refused the request (4xx) */
#define SSH_EXIT_HELP (-1)  /* parse_args printed the usage: exit 0 */

#define DEFAULT_RENEW_WITHIN_MS (7 * 86400 * 1000ULL)
#define DURATION_MAX_MS (366 * 86400 * 1000ULL)
/* The largest KRL krl-sync takes: millions of revoked serials. */
#define KRL_MAX (64u * 1024 * 1024)

static const char ssh_usage[] =
    "usage: midpki ssh host-cert|krl-sync [options]\n"
    "\n"
    "host-cert: the device's SSH host certificate from the admin listener, asked for\n"
    "over mutual TLS with the device's operational certificate; its principals come\n"
    "from the device record.\n"
    "  --server URL          the admin listener, https://host[:port][/prefix]\n"
    "  --cert FILE --key FILE\n"
    "                        the device's operational certificate and key (PEM)\n"
    "  --trust FILE          PEM certificates the server's must chain to\n"
    "  --host-key FILE       the SSH host public key, e.g. /etc/ssh/ssh_host_ed25519_key.pub\n"
    "  --out FILE            where the certificate goes, e.g.\n"
    "                        /etc/ssh/ssh_host_ed25519_key-cert.pub\n"
    "  --renew-within DURATION\n"
    "                        ask only when FILE is missing or unreadable, certifies\n"
    "                        another key, or expires within DURATION (default 7d)\n"
    "  --ttl DURATION        the validity to ask for (default: the profile's)\n"
    "\n"
    "krl-sync: keeps the file of sshd's RevokedKeys current.\n"
    "  --url URL             the KRL, e.g. http://pki:8080/ssh/krl/<ssh ca id> on the\n"
    "                        OCSP listener\n"
    "  --trust FILE          for an https URL: PEM certificates the server's must chain to\n"
    "  --out FILE            the file sshd reads, replaced only when the KRL changed\n"
    "\n"
    "Files are replaced atomically: written beside, flushed to disk, renamed.\n"
    "Exit codes: 0 done (or nothing to do), 1 failure (network, TLS, server error,\n"
    "files), 2 usage, 3 refused by the server (the reason is printed).\n";

struct ssh_opts {
	const char *op;
	const char *server, *cert, *key, *trust, *host_key, *out, *url, *renew_within, *ttl;
	uint64_t renew_within_ms;
};

__attribute__((format(printf, 1, 2))) static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "midpki ssh: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", ssh_usage);
	return SSH_EXIT_USAGE;
}

/* The value slot of option name, or NULL when there is no such option. */
static const char **
option_slot(struct ssh_opts *o, const char *name)
{
	static const char *const names[] = { "--server", "--cert", "--key", "--trust",
		"--host-key", "--out", "--url", "--renew-within", "--ttl" };
	const char **slots[] = { &o->server, &o->cert, &o->key, &o->trust, &o->host_key, &o->out,
		&o->url, &o->renew_within, &o->ttl };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return slots[i];
	return NULL;
}

static int
parse_args(int argc, char **argv, struct ssh_opts *o)
{
	bool host = strcmp(argv[0], "host-cert") == 0;
	uint64_t ttl_ms = 0;

	memset(o, 0, sizeof(*o));
	o->op = argv[0];
	o->renew_within_ms = DEFAULT_RENEW_WITHIN_MS;
	for (int i = 1; i < argc; i += 2) {
		const char **slot = option_slot(o, argv[i]);

		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(ssh_usage, stdout);
			return SSH_EXIT_HELP;
		}
		if (slot == NULL)
			return usage_error("unknown option '%s'", argv[i]);
		if (i + 1 >= argc)
			return usage_error("%s wants a value", argv[i]);
		*slot = argv[i + 1];
	}
	if (o->out == NULL)
		return usage_error("%s: --out FILE is required", o->op);
	if (!host) {
		if (o->url == NULL || o->server != NULL || o->cert != NULL || o->key != NULL ||
		    o->host_key != NULL || o->renew_within != NULL || o->ttl != NULL)
			return usage_error("krl-sync takes --url, --out and --trust");
		return SSH_EXIT_OK;
	}
	if (o->server == NULL || o->cert == NULL || o->key == NULL || o->host_key == NULL ||
	    o->url != NULL)
		return usage_error("host-cert takes --server, --cert, --key, --host-key, --out and "
		    "optionally --trust, --renew-within, --ttl");
	if (o->renew_within != NULL &&
	    mp_parse_duration_ms(o->renew_within, DURATION_MAX_MS, &o->renew_within_ms) != MP_OK)
		return usage_error("--renew-within wants a duration such as 7d, got '%s'",
		    o->renew_within);
	if (o->ttl != NULL && mp_parse_duration_ms(o->ttl, DURATION_MAX_MS, &ttl_ms) != MP_OK)
		return usage_error("--ttl wants a duration such as 30d, got '%s'", o->ttl);
	return SSH_EXIT_OK;
}

/* t as "2026-12-07T13:00:00Z". */
static void
utc_text(uint64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "%llu", (unsigned long long)t);
}

/* Prints why the server refused (its error message when it sent one); the exit code for it. */
static int
refused(const char *op, const cli_http_response *resp)
{
	json_t *doc = json_loadb(resp->body, resp->body_len, 0, NULL);
	const char *msg = json_string_value(json_object_get(json_object_get(doc, "error"),
	    "message"));

	fprintf(stderr, "midpki ssh: %s refused: HTTP %d%s%.400s\n", op, resp->status,
	    msg != NULL ? ": " : "", msg != NULL ? msg : "");
	json_decref(doc);
	return resp->status >= 400 && resp->status < 500 ? SSH_EXIT_REFUSED : SSH_EXIT_FAIL;
}

/* Sends req with a client made for url and tls; *resp is the answer. */
static int
send_request(const char *op, const cli_url *url, const cli_tls_options *tls,
    const admin_request *req, cli_http_response **resp)
{
	admin_client *client = NULL;
	char err[1024];
	int r;

	if ((r = admin_client_new_tls(url, tls, NULL, &client, err, sizeof(err))) == MP_OK)
		r = admin_client_send(client, req, resp, err, sizeof(err));
	if (r != MP_OK)
		fprintf(stderr, "midpki ssh: %s: %s\n", op, err);
	admin_client_free(client);
	return r;
}

/* Whether the certificate in o->out certifies key and lives beyond the renewal window. */
static bool
still_good(const struct ssh_opts *o, const sshca_pubkey *key)
{
	sshca_cert_info info = { 0 };
	const char *why = NULL;
	char *line = NULL, until[32];
	size_t len = 0;
	bool good = false;

	if (cli_read_file(o->out, SSHCA_CERT_LINE_MAX, &line, &len) != MP_OK ||
	    sshca_cert_read_line(line, len, &info, &why) != MP_OK)
		goto out;
	good = info.kind == 2 && info.subject->blob_len == key->blob_len &&
	    memcmp(info.subject->blob, key->blob, key->blob_len) == 0 &&
	    info.valid_before > (uint64_t)time(NULL) + o->renew_within_ms / 1000;
	if (good) {
		utc_text(info.valid_before, until);
		printf("%s is valid until %s: not renewed\n", o->out, until);
	}
out:
	sshca_cert_info_clear(&info);
	free(line);
	return good;
}

/* Writes the certificate of a 201 answer for key to o->out. */
static int
save_certificate(const struct ssh_opts *o, const sshca_pubkey *key,
    const cli_http_response *resp)
{
	json_t *doc = json_loadb(resp->body, resp->body_len, 0, NULL), *p;
	const char *line = json_string_value(json_object_get(doc, "certificate")), *why = NULL;
	sshca_cert_info info = { 0 };
	char *text = NULL, until[32];
	size_t i;
	int rc = SSH_EXIT_FAIL;

	if (line == NULL || sshca_cert_read_line(line, strlen(line), &info, &why) != MP_OK ||
	    info.subject->blob_len != key->blob_len ||
	    memcmp(info.subject->blob, key->blob, key->blob_len) != 0) {
		fprintf(stderr, "midpki ssh: host-cert: the answer holds no certificate for %s\n",
		    o->host_key);
		goto out;
	}
	if (asprintf(&text, "%s\n", line) < 0) {
		text = NULL;
		goto out;
	}
	if (cli_write_file(o->out, text, strlen(text), 0644) != MP_OK) {
		fprintf(stderr, "midpki ssh: cannot write %s: %s\n", o->out, strerror(errno));
		goto out;
	}
	utc_text(info.valid_before, until);
	printf("wrote %s: serial %llu, valid until %s, principals", o->out,
	    (unsigned long long)info.serial, until);
	json_array_foreach(json_object_get(doc, "principals"), i, p)
		printf("%s%s", i > 0 ? "," : " ", json_string_value(p));
	printf("\n");
	rc = SSH_EXIT_OK;
out:
	sshca_cert_info_clear(&info);
	free(text);
	json_decref(doc);
	return rc;
}

static int
op_host_cert(const struct ssh_opts *o)
{
	cli_tls_options tls = { o->trust, false, o->cert, o->key, 0 };
	admin_request req = { 0 };
	cli_http_response *resp = NULL;
	sshca_pubkey *key = NULL;
	json_t *body = NULL;
	char *line = NULL, *json = NULL, *canonical = NULL;
	const char *why = NULL;
	cli_url *url = NULL;
	size_t len = 0;
	int rc = SSH_EXIT_FAIL, r;

	if (cli_url_parse(o->server, &url) != MP_OK)
		return usage_error("--server wants https://host[:port][/prefix], got '%s'", o->server);
	if (cli_read_file(o->host_key, SSHCA_LINE_MAX, &line, &len) != MP_OK) {
		fprintf(stderr, "midpki ssh: cannot read %s: %s\n", o->host_key, strerror(errno));
		goto out;
	}
	if ((r = sshca_pubkey_parse_line(line, len, &key, &why)) != MP_OK) {
		fprintf(stderr, "midpki ssh: %s: %s\n", o->host_key, why);
		goto out;
	}
	if (still_good(o, key)) {
		rc = SSH_EXIT_OK;
		goto out;
	}
	if (sshca_pubkey_line(sshca_key_type_name(key->type), key->blob, key->blob_len, NULL,
	    &canonical) != MP_OK || (body = json_pack("{s:s}", "public_key", canonical)) == NULL ||
	    (o->ttl != NULL && json_object_set_new(body, "ttl", json_string(o->ttl)) != 0) ||
	    (json = json_dumps(body, JSON_COMPACT)) == NULL) {
		fprintf(stderr, "midpki ssh: out of memory\n");
		goto out;
	}
	req = (admin_request){ .method = "POST", .path = "/ssh/device-host-certificates",
		.content_type = "application/json", .body = json, .body_len = strlen(json) };
	if (send_request("host-cert", url, &tls, &req, &resp) != MP_OK)
		goto out;
	rc = resp->status == 201 ? save_certificate(o, key, resp) : refused("host-cert", resp);
out:
	cli_http_response_free(resp);
	sshca_pubkey_free(key);
	json_decref(body);
	free(json);
	free(canonical);
	free(line);
	cli_url_free(url);
	return rc;
}

static int
op_krl_sync(const struct ssh_opts *o)
{
	cli_tls_options tls = { o->trust, false, NULL, NULL, 0 };
	admin_request req = { .method = "GET", .path = "", .base = "" };
	cli_http_response *resp = NULL;
	char *have = NULL;
	size_t have_len = 0;
	uint64_t magic = 0;
	cli_url *url = NULL;
	int rc = SSH_EXIT_FAIL;

	if (cli_url_parse_http(o->url, &url) != MP_OK)
		return usage_error("--url wants http(s)://host[:port]/path, got '%s'", o->url);
	if (send_request("krl-sync", url, &tls, &req, &resp) != MP_OK)
		goto out;
	if (resp->status != 200) {
		rc = refused("krl-sync", resp);
		goto out;
	}
	for (size_t i = 0; i < sizeof(magic) && i < resp->body_len; i++)
		magic = magic << 8 | (uint8_t)resp->body[i];
	if (resp->body_len < sizeof(magic) || resp->body_len > KRL_MAX ||
	    magic != SSHCA_KRL_MAGIC) {
		fprintf(stderr, "midpki ssh: krl-sync: the answer is not a KRL; %s is unchanged\n",
		    o->out);
		goto out;
	}
	if (cli_read_file(o->out, KRL_MAX, &have, &have_len) == MP_OK &&
	    have_len == resp->body_len && memcmp(have, resp->body, have_len) == 0) {
		printf("%s is current\n", o->out);
		rc = SSH_EXIT_OK;
		goto out;
	}
	if (cli_write_file(o->out, resp->body, resp->body_len, 0644) != MP_OK) {
		fprintf(stderr, "midpki ssh: cannot write %s: %s\n", o->out, strerror(errno));
		goto out;
	}
	printf("wrote %s: %zu bytes\n", o->out, resp->body_len);
	rc = SSH_EXIT_OK;
out:
	cli_http_response_free(resp);
	free(have);
	cli_url_free(url);
	return rc;
}

int
cmd_ssh(int argc, char **argv)
{
	struct ssh_opts o;
	int rc;

	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		fputs(ssh_usage, argc < 1 ? stderr : stdout);
		return argc < 1 ? SSH_EXIT_USAGE : SSH_EXIT_OK;
	}
	if (strcmp(argv[0], "host-cert") != 0 && strcmp(argv[0], "krl-sync") != 0)
		return usage_error("unknown operation '%s'", argv[0]);
	if ((rc = parse_args(argc, argv, &o)) != SSH_EXIT_OK)
		return rc == SSH_EXIT_HELP ? SSH_EXIT_OK : rc;
	return strcmp(o.op, "host-cert") == 0 ? op_host_cert(&o) : op_krl_sync(&o);
}
