/* RFC 3339 times in requests (query parameters and body members). */
#ifndef ADMIN_RFC3339_H
#define ADMIN_RFC3339_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Whether s is an RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS, an optional
 * fraction (at most 9 digits), then Z or an offset +HH:MM / -HH:MM, every
 * field in its range. *unix_s (may be NULL) gets the time in Unix seconds,
 * the fraction dropped.
 */
bool api_rfc3339_parse(const char *s, int64_t *unix_s);

#endif
