/* The one way to parse numbers from text: whole string, base 10, bounded. */
#ifndef MP_NUM_H
#define MP_NUM_H

#include <stdint.h>

/*
 * Parses s (decimal digits only, no sign, no spaces) into *out when its value is
 * at most max. Returns MP_OK, MP_ERR_INVALID (not a number) or MP_ERR_TOO_LARGE.
 */
int mp_parse_u64(const char *s, uint64_t max, uint64_t *out);

/*
 * Parses a duration such as "30", "250ms", "10s", "5m", "8h" or "2d" into
 * milliseconds, at most max_ms. A bare number is seconds.
 */
int mp_parse_duration_ms(const char *s, uint64_t max_ms, uint64_t *out);

#endif
