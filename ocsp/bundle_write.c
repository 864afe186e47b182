/* Writing OCSP bundles (bundle.h): streamed to a temporary file, hashed as written, signed at the end. */
#include "bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "err.h"
#include "fdio.h"

/* Bytes gathered before they are hashed and written. */
#define CHUNK ((size_t)1 << 20)

struct ocsp_bundle_writer {
	char *path, *tmp;
	int fd;
	EVP_MD_CTX *md;
	mp_buf *chunk;
	mp_key **keys; /* each CA's signing key, referenced */
	size_t nca, written; /* CAs announced, CAs begun */
	size_t nsigners;     /* of the current CA */
	bool failed;
};

/* Hashes (when hash) and writes what the chunk holds, and empties it. */
static int
flush(ocsp_bundle_writer *w, bool hash)
{
	const uint8_t *p = mp_buf_ptr(w->chunk);
	size_t n = mp_buf_len(w->chunk);
	int r;

	if (hash && n > 0 && !EVP_DigestUpdate(w->md, p, n))
		return MP_ERR_CRYPTO;
	if ((r = mp_write_full(w->fd, p, n)) != MP_OK)
		return r;
	mp_buf_reset(w->chunk);
	return MP_OK;
}

/* Records the outcome of one step: after a failure, every later step fails too. */
static int
step(ocsp_bundle_writer *w, int r)
{
	if (r == MP_OK && mp_buf_len(w->chunk) >= CHUNK)
		r = flush(w, true);
	if (r != MP_OK)
		w->failed = true;
	return r;
}

static void
writer_free(ocsp_bundle_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0) {
		close(w->fd);
		unlink(w->tmp);
	}
	for (size_t i = 0; w->keys != NULL && i < w->nca; i++)
		mp_key_release(w->keys[i]);
	free(w->keys);
	mp_buf_free(w->chunk);
	EVP_MD_CTX_free(w->md);
	free(w->path);
	free(w->tmp);
	free(w);
}

int
ocsp_bundle_writer_open(const char *path, int64_t produced_at, size_t nca,
    ocsp_bundle_writer **out)
{
	ocsp_bundle_writer *w;
	size_t n = strlen(path) + 16;
	int r = MP_ERR_NOMEM;

	if (nca == 0 || nca > OCSP_BUNDLE_MAX_CAS || produced_at < 0)
		return MP_ERR_INVALID;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return MP_ERR_NOMEM;
	w->fd = -1;
	w->nca = nca;
	if ((w->path = strdup(path)) == NULL || (w->tmp = malloc(n)) == NULL ||
	    (w->keys = calloc(nca, sizeof(*w->keys))) == NULL ||
	    (w->chunk = mp_buf_new(CHUNK + OCSP_BUNDLE_MAX_ITEM + 64)) == NULL ||
	    (w->md = EVP_MD_CTX_new()) == NULL)
		goto out;
	snprintf(w->tmp, n, "%s.tmp", path);
	if (!EVP_DigestInit_ex(w->md, EVP_sha256(), NULL)) {
		r = MP_ERR_CRYPTO;
		goto out;
	}
	if ((w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		r = MP_ERR_IO;
		goto out;
	}
	if ((r = mp_buf_put(w->chunk, OCSP_BUNDLE_MAGIC, OCSP_BUNDLE_MAGIC_LEN)) != MP_OK ||
	    (r = mp_buf_put_u64(w->chunk, (uint64_t)produced_at)) != MP_OK ||
	    (r = mp_buf_put_u32(w->chunk, (uint32_t)nca)) != MP_OK)
		goto out;
	*out = w;
	w = NULL;
	r = MP_OK;
out:
	writer_free(w);
	return r;
}

/* A DER item or, for NULL, an empty string. */
static int
put_item(mp_buf *b, const uint8_t *p, size_t n)
{
	return mp_buf_put_string(b, p, p != NULL ? n : 0);
}

int
ocsp_bundle_write_ca(ocsp_bundle_writer *w, const ocsp_bundle_ca_in *ca)
{
	mp_buf *b = w->chunk;
	int r = MP_ERR_INVALID;

	if (w->failed || w->written == w->nca || ca->nsigners == 0 ||
	    ca->nsigners > OCSP_BUNDLE_MAX_SIGNERS || strlen(ca->id) != MP_UUID_STR_LEN ||
	    ca->key == NULL)
		return step(w, MP_ERR_INVALID);
	if (w->written > 0 && (r = mp_buf_put_u8(b, 0)) != MP_OK)
		return step(w, r);
	if ((r = mp_buf_put_string(b, ca->id, MP_UUID_STR_LEN)) != MP_OK ||
	    (r = mp_buf_put_string(b, ca->cert, ca->cert_len)) != MP_OK ||
	    (r = mp_buf_put_u32(b, (uint32_t)ca->nsigners)) != MP_OK)
		return step(w, r);
	for (size_t i = 0; i < ca->nsigners; i++)
		if ((r = mp_buf_put_string(b, ca->signers[i], ca->signer_lens[i])) != MP_OK)
			return step(w, r);
	if ((r = put_item(b, ca->crl, ca->crl_len)) != MP_OK ||
	    (r = put_item(b, ca->delta_crl, ca->delta_crl_len)) != MP_OK)
		return step(w, r);
	w->keys[w->written++] = mp_key_ref(ca->key);
	w->nsigners = ca->nsigners;
	return step(w, MP_OK);
}

int
ocsp_bundle_write_response(ocsp_bundle_writer *w, ocsp_hash h, const uint8_t *serial,
    size_t serial_len, ocsp_cert_status status, size_t signer, int64_t this_update,
    int64_t next_update, const uint8_t *core, size_t core_len)
{
	mp_buf *b = w->chunk;
	int r;

	if (serial_len > 1 && serial[0] == 0) {
		serial++;
		serial_len--;
	}
	if (w->failed || w->written == 0 || signer >= w->nsigners || serial_len == 0 ||
	    serial_len > OCSP_BUNDLE_MAX_SERIAL || core_len == 0 || core_len > OCSP_BUNDLE_MAX_ITEM ||
	    this_update < 0 || next_update <= this_update)
		return step(w, MP_ERR_INVALID);
	if ((r = mp_buf_put_u8(b, 1)) != MP_OK || (r = mp_buf_put_u8(b, (uint8_t)h)) != MP_OK ||
	    (r = mp_buf_put_string(b, serial, serial_len)) != MP_OK ||
	    (r = mp_buf_put_u8(b, (uint8_t)status)) != MP_OK ||
	    (r = mp_buf_put_u8(b, (uint8_t)signer)) != MP_OK ||
	    (r = mp_buf_put_u64(b, (uint64_t)this_update)) != MP_OK ||
	    (r = mp_buf_put_u64(b, (uint64_t)next_update)) != MP_OK ||
	    (r = mp_buf_put_string(b, core, core_len)) != MP_OK)
		return step(w, r);
	return step(w, MP_OK);
}

/* Appends each CA's signature over the context string and the digest of what came before. */
static int
sign_all(ocsp_bundle_writer *w)
{
	uint8_t msg[sizeof(OCSP_BUNDLE_SIG_CONTEXT) + 32];
	unsigned int dlen = 0;
	int r;

	memcpy(msg, OCSP_BUNDLE_SIG_CONTEXT, sizeof(OCSP_BUNDLE_SIG_CONTEXT));
	if (!EVP_DigestFinal_ex(w->md, msg + sizeof(OCSP_BUNDLE_SIG_CONTEXT), &dlen) || dlen != 32)
		return MP_ERR_CRYPTO;
	for (size_t i = 0; i < w->nca; i++) {
		char spec[MP_KEY_SPEC_NAME_MAX];
		uint8_t *sig = NULL;
		size_t siglen = 0;

		mp_key_spec_name(mp_key_get_spec(w->keys[i]), spec);
		if ((r = mp_key_sign_data(w->keys[i], 0, msg, sizeof(msg), &sig, &siglen)) != MP_OK)
			return r;
		r = mp_buf_put_string(w->chunk, spec, strlen(spec));
		if (r == MP_OK)
			r = mp_buf_put_string(w->chunk, sig, siglen);
		OPENSSL_free(sig);
		if (r != MP_OK)
			return r;
	}
	return MP_OK;
}

int
ocsp_bundle_writer_finish(ocsp_bundle_writer *w)
{
	int r = MP_ERR_INVALID;

	if (w->failed || w->written != w->nca)
		goto out;
	if ((r = mp_buf_put_u8(w->chunk, 0)) != MP_OK || (r = flush(w, true)) != MP_OK ||
	    (r = sign_all(w)) != MP_OK || (r = flush(w, false)) != MP_OK)
		goto out;
	if (fsync(w->fd) != 0 || close(w->fd) != 0) {
		w->fd = -1;
		unlink(w->tmp);
		r = MP_ERR_IO;
		goto out;
	}
	w->fd = -1;
	if (rename(w->tmp, w->path) != 0) {
		unlink(w->tmp);
		r = MP_ERR_IO;
		goto out;
	}
	r = MP_OK;
out:
	writer_free(w);
	return r;
}

void
ocsp_bundle_writer_abort(ocsp_bundle_writer *w)
{
	writer_free(w);
}
