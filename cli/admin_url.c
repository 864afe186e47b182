#include "admin_url.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "num.h"

/* Letters, digits, '-' and '.': what a DNS name may hold. */
static bool
valid_dns_name(const char *s, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* Printable ASCII except space, '?' and '#': a path with no query or fragment. */
static bool
valid_prefix(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || *s == '?' || *s == '#')
			return false;
	}
	return true;
}

void
cli_url_free(cli_url *u)
{
	if (u == NULL)
		return;
	free(u->host);
	free(u->port);
	free(u->prefix);
	free(u);
}

/* An https URL, or when allow_http an http one too. */
static int
parse(const char *s, bool allow_http, cli_url **out)
{
	static const char https[] = "https://", http[] = "http://";
	bool tls = strncmp(s, https, sizeof(https) - 1) == 0;
	cli_url *u = NULL;
	const char *p, *host, *host_end, *port = NULL, *path;
	unsigned char addr[16];
	uint64_t portnum;
	size_t plen;
	int r = MP_ERR_INVALID;

	if (!tls && !(allow_http && strncmp(s, http, sizeof(http) - 1) == 0))
		goto out;
	p = s + (tls ? sizeof(https) : sizeof(http)) - 1;
	path = p + strcspn(p, "/");
	if (memchr(p, '@', (size_t)(path - p)) != NULL)
		goto out;
	if (*p == '[') {
		host = p + 1;
		if ((host_end = memchr(host, ']', (size_t)(path - host))) == NULL)
			goto out;
		if (host_end[1] == ':')
			port = host_end + 2;
		else if (host_end + 1 != path)
			goto out;
	} else {
		host = p;
		host_end = memchr(host, ':', (size_t)(path - host));
		if (host_end != NULL)
			port = host_end + 1;
		else
			host_end = path;
	}
	if (!valid_prefix(path))
		goto out;
	r = MP_ERR_NOMEM;
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->host = strndup(host, (size_t)(host_end - host))) == NULL ||
	    (u->port = port != NULL ? strndup(port, (size_t)(path - port)) :
	    strdup(tls ? "443" : "80")) == NULL)
		goto out;
	u->tls = tls;
	plen = strlen(path);
	while (plen > 0 && path[plen - 1] == '/')
		plen--;
	if ((u->prefix = strndup(path, plen)) == NULL)
		goto out;
	r = MP_ERR_INVALID;
	if (mp_parse_u64(u->port, 65535, &portnum) != MP_OK || portnum == 0)
		goto out;
	if (*p == '[') {
		if (inet_pton(AF_INET6, u->host, addr) != 1)
			goto out;
		u->host_is_ip = true;
	} else if (inet_pton(AF_INET, u->host, addr) == 1) {
		u->host_is_ip = true;
	} else if (!valid_dns_name(u->host, strlen(u->host))) {
		goto out;
	}
	*out = u;
	u = NULL;
	r = MP_OK;
out:
	cli_url_free(u);
	return r;
}

int
cli_url_parse(const char *s, cli_url **out)
{
	return parse(s, false, out);
}

int
cli_url_parse_http(const char *s, cli_url **out)
{
	return parse(s, true, out);
}

int
cli_url_encode(mp_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int r = MP_OK;

	for (; *s != '\0' && r == MP_OK; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			r = mp_buf_put_u8(b, c);
		} else {
			char esc[3] = { '%', hex[c >> 4], hex[c & 15] };

			r = mp_buf_put(b, esc, sizeof(esc));
		}
	}
	return r;
}
