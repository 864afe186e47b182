/* HTTP dates (RFC 9110 5.6.7). */
#include <string.h>

#include "http.h"

/* Two decimal digits of v (0..99) at p. */
static char *
two(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/*
 * Made by hand rather than with gmtime_r and snprintf: it runs for every
 * response, and gmtime_r takes the time zone lock. The proleptic Gregorian
 * calendar, from days since 1970-01-01 (H. Hinnant's civil_from_days).
 */
void
mp_http_date(int64_t t, char out[MP_HTTP_DATE_MAX])
{
	static const char days[7][4] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
		"Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t z, era, doe, yoe, doy, mp, y, secs;
	int d, m;
	char *p = out;

	/* years 0000..9999 only, as the format has four digits */
	if (t < -62167219200 || t > 253402300799)
		t = 0;
	z = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	secs = t - z * 86400;
	memcpy(p, days[((z % 7) + 7) % 7], 3);
	p += 3;
	*p++ = ',';
	*p++ = ' ';
	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (int)(doy - (153 * mp + 2) / 5 + 1);
	m = (int)(mp < 10 ? mp + 3 : mp - 9);
	y = yoe + era * 400 + (m <= 2);
	p = two(p, d);
	*p++ = ' ';
	memcpy(p, months[m - 1], 3);
	p += 3;
	*p++ = ' ';
	p = two(p, (int)(y / 100));
	p = two(p, (int)(y % 100));
	*p++ = ' ';
	p = two(p, (int)(secs / 3600));
	*p++ = ':';
	p = two(p, (int)(secs / 60 % 60));
	*p++ = ':';
	p = two(p, (int)(secs % 60));
	memcpy(p, " GMT", 5);
}
