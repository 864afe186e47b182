#include "num.h"

#include <string.h>

#include "err.h"

int
mp_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return MP_ERR_INVALID;
	for (const char *p = s; *p != '\0'; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			return MP_ERR_INVALID;
		d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return MP_ERR_TOO_LARGE;
		v = v * 10 + d;
	}
	if (v > max)
		return MP_ERR_TOO_LARGE;
	*out = v;
	return MP_OK;
}

int
mp_parse_duration_ms(const char *s, uint64_t max_ms, uint64_t *out)
{
	static const struct { const char *suffix; uint64_t ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 }, { "", 1000 },
	};
	char digits[24];
	size_t n = 0, len;
	uint64_t v;
	int r;

	if (s == NULL)
		return MP_ERR_INVALID;
	len = strlen(s);
	while (n < len && s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == 0 || n >= sizeof(digits))
		return n == 0 ? MP_ERR_INVALID : MP_ERR_TOO_LARGE;
	memcpy(digits, s, n);
	digits[n] = '\0';
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s + n, units[i].suffix) != 0)
			continue;
		if ((r = mp_parse_u64(digits, max_ms / units[i].ms, &v)) != MP_OK)
			return r;
		v *= units[i].ms;
		if (v > max_ms)
			return MP_ERR_TOO_LARGE;
		*out = v;
		return MP_OK;
	}
	return MP_ERR_INVALID;
}
