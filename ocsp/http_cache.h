/*
 * HTTP caching helper of the OCSP listener (CRLs and OCSP answers alike):
 * If-None-Match matching (RFC 9110).
 */
#ifndef OCSP_HTTP_CACHE_H
#define OCSP_HTTP_CACHE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * True when the If-None-Match header value lists etag (a quoted strong tag)
 * or is "*"; weak tags compare by their opaque part (RFC 9110 13.1.2).
 * header may be NULL (no header: false).
 */
bool ocsp_etag_matches(const char *header, const char *etag);

#endif
