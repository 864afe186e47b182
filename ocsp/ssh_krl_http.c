#include "ssh_krl_http.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "codec.h"
#include "err.h"
#include "http_cache.h"
#include "log.h"
#include "sshca.h"
#include "worker.h"

/* The length of a UUID in text form. */
#define ID_LEN 36

/* A strong entity tag: the hex of the body's SHA-256, quoted, in a new string. */
static int
etag_of(const mp_buf *body, char **out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *hex = NULL;
	int r;

	if (!EVP_Digest(mp_buf_ptr(body), mp_buf_len(body), md, &mdlen, EVP_sha256(), NULL))
		return MP_ERR_CRYPTO;
	if ((r = mp_hex_encode(md, mdlen, &hex)) != MP_OK)
		return r;
	if (asprintf(out, "\"%s\"", hex) < 0)
		r = MP_ERR_NOMEM;
	free(hex);
	return r;
}

void
ocsp_ssh_krl_get(mp_http_req *req, void *arg)
{
	const char *id = mp_http_req_path(req) + strlen("/ssh/krl/");
	mp_worker *w = mp_http_req_worker(req);
	mp_buf *krl = NULL;
	char *etag = NULL;
	size_t n = strlen(id);
	int r;

	(void)arg;
	if (w == NULL || w->db == NULL) {
		mp_http_reply_error(req, 404, "not_found",
		    "SSH KRLs are served only by a listener with a database", NULL);
		return;
	}
	if (n != ID_LEN || strspn(id, "0123456789abcdefABCDEF-") != n) {
		mp_http_reply_error(req, 404, "not_found", "SSH KRLs are at /ssh/krl/<ssh ca id>",
		    NULL);
		return;
	}
	if ((krl = mp_buf_new(SIZE_MAX)) == NULL) {
		r = MP_ERR_NOMEM;
		goto fail;
	}
	if ((r = sshca_krl(w->db, NULL, id, krl)) != MP_OK || (r = etag_of(krl, &etag)) != MP_OK)
		goto fail;
	if (mp_http_set_header(req, "ETag", etag) != MP_OK ||
	    mp_http_set_header(req, "Cache-Control", "no-cache") != MP_OK) {
		r = MP_ERR_INTERNAL;
		goto fail;
	}
	if (ocsp_etag_matches(mp_http_req_header(req, "If-None-Match"), etag))
		mp_http_reply(req, 304, NULL, NULL, 0);
	else
		mp_http_reply(req, 200, "application/octet-stream", mp_buf_ptr(krl), mp_buf_len(krl));
	goto out;
fail:
	if (r == MP_ERR_NOT_FOUND || r == MP_ERR_INVALID) {
		mp_http_reply_error(req, 404, "not_found", "no such SSH CA", NULL);
	} else if (r == MP_ERR_DB_UNAVAILABLE) {
		mp_http_reply_error(req, 503, "database_unavailable",
		    "the database is not reachable; retry later", NULL);
	} else {
		mp_warn("GET %s: %s", mp_http_req_path(req), mp_strerror(r));
		mp_http_reply_error(req, 500, "internal", "the request could not be served", NULL);
	}
out:
	free(etag);
	mp_buf_free(krl);
}
