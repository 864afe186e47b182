#include "http_cache.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void
ocsp_http_date(int64_t t, char out[OCSP_HTTP_DATE_MAX])
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
		"Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL) {
		snprintf(out, OCSP_HTTP_DATE_MAX, "Thu, 01 Jan 1970 00:00:00 GMT");
		return;
	}
	snprintf(out, OCSP_HTTP_DATE_MAX, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
	    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

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
