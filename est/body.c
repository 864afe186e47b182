#include "body.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "err.h"
#include "http.h"

/* Whether the Content-Transfer-Encoding value v is "base64", any case, blanks around it. */
static bool
cte_is_base64(const char *v)
{
	size_t n;

	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return n == 6 && strncasecmp(v, "base64", 6) == 0;
}

int
est_body_decode(const char *content_type, const char *cte, const char *type,
    const uint8_t *body, size_t len, size_t max_der, uint8_t **der, size_t *derlen,
    const char **why)
{
	uint8_t *d = NULL;
	size_t n = 0;
	int r;

	if (!mp_http_media_type_is(content_type, type)) {
		*why = "wrong Content-Type for this operation";
		r = MP_ERR_UNSUPPORTED;
		goto out;
	}
	if (cte != NULL && !cte_is_base64(cte)) {
		*why = "Content-Transfer-Encoding must be base64 when present";
		r = MP_ERR_INVALID;
		goto out;
	}
	if (len > EST_MAX_BODY)
		r = MP_ERR_TOO_LARGE;
	else if ((r = mp_b64_decode((const char *)body, len, false, max_der, &d, &n)) == MP_OK &&
	    n == 0)
		r = MP_ERR_INVALID;
	if (r == MP_ERR_INVALID)
		*why = "the request body must be base64 (RFC 8951) and not empty";
	else if (r == MP_ERR_TOO_LARGE)
		*why = "the request body is too large";
	else if (r != MP_OK)
		*why = "the request body could not be read";
	if (r != MP_OK)
		goto out;
	*der = d;
	*derlen = n;
	d = NULL;
out:
	free(d);
	return r;
}

int
est_body_encode(const uint8_t *der, size_t len, size_t width, char **out, size_t *outlen)
{
	char *b64 = NULL, *w = NULL;
	size_t n, lines, o = 0;
	int r;

	if ((r = mp_b64_encode(der, len, false, &b64)) != MP_OK)
		return r;
	n = strlen(b64);
	if (width == 0) {
		*out = b64;
		*outlen = n;
		return MP_OK;
	}
	lines = (n + width - 1) / width;
	if ((w = malloc(n + lines + 1)) == NULL) {
		free(b64);
		return MP_ERR_NOMEM;
	}
	for (size_t i = 0; i < n; i += width) {
		size_t k = n - i < width ? n - i : width;

		memcpy(w + o, b64 + i, k);
		o += k;
		w[o++] = '\n';
	}
	w[o] = '\0';
	free(b64);
	*out = w;
	*outlen = o;
	return MP_OK;
}
