#include "http_cache.h"

#include <string.h>

bool
ocsp_etag_matches(const char *header, const char *etag)
{
	const char *p = header;
	size_t n = strlen(etag);

	if (header == NULL)
		return false;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (p[0] == '*' && (p[1] == '\0' || p[1] == ',' || p[1] == ' '))
			return true;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;  /* weak comparison, as RFC 9110 13.1.2 asks for If-None-Match */
		if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' ' ||
		    p[n] == '\t'))
			return true;
		while (*p != '\0' && *p != ',')
			p++;
	}
	return false;
}
