/*
 * HTTP caching helpers of the OCSP listener (CRLs and OCSP answers alike):
 * dates in the IMF-fixdate form and If-None-Match matching (RFC 9110).
 */
#ifndef OCSP_HTTP_CACHE_H
#define OCSP_HTTP_CACHE_H

#include <stdbool.h>
#include <stdint.h>

/* Room for an HTTP date with any field values the compiler cannot rule out. */
#define OCSP_HTTP_DATE_MAX 80

/* t (Unix seconds) as an IMF-fixdate (RFC 9110 5.6.7), independent of the locale. */
void ocsp_http_date(int64_t t, char out[OCSP_HTTP_DATE_MAX]);

/*
 * True when the If-None-Match header value lists etag (a quoted strong tag)
 * or is "*"; weak tags compare by their opaque part (RFC 9110 13.1.2).
 * header may be NULL (no header: false).
 */
bool ocsp_etag_matches(const char *header, const char *etag);

#endif
