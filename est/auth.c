#include "auth.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "err.h"
#include "secure.h"

/* Whether the n bytes at p hold no control character (NUL, CR, LF, DEL ...). */
static bool
printable(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

int
est_basic_parse(const char *header, char **user, char **password)
{
	uint8_t *dec = NULL;
	char *u = NULL, *p = NULL;
	const uint8_t *colon;
	size_t n = 0, ulen;
	int r = MP_ERR_UNAUTHENTICATED;

	if (header == NULL || strlen(header) > EST_AUTH_MAX || strncasecmp(header, "Basic ", 6) != 0)
		goto out;
	header += 6;
	while (*header == ' ')
		header++;
	if (mp_b64_decode(header, strlen(header), false, EST_AUTH_MAX, &dec, &n) != MP_OK)
		goto out;
	if ((colon = memchr(dec, ':', n)) == NULL)
		goto out;
	ulen = (size_t)(colon - dec);
	if (ulen == 0 || ulen > EST_USER_MAX || ulen + 1 == n || !printable(dec, n))
		goto out;
	if ((u = strndup((const char *)dec, ulen)) == NULL ||
	    (p = strndup((const char *)colon + 1, n - ulen - 1)) == NULL) {
		r = MP_ERR_NOMEM;
		goto out;
	}
	*user = u;
	*password = p;
	u = p = NULL;
	r = MP_OK;
out:
	if (dec != NULL) {
		mp_wipe(dec, n);
		free(dec);
	}
	free(u);
	mp_free_secret_str(p);
	return r;
}
