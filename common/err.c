#include "err.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

const char *
mp_strerror(int err)
{
	switch ((mp_err)err) {
	case MP_OK: return "success";
	case MP_ERR_INTERNAL: return "internal error";
	case MP_ERR_NOMEM: return "out of memory";
	case MP_ERR_INVALID: return "invalid input";
	case MP_ERR_TOO_LARGE: return "input too large";
	case MP_ERR_NOT_FOUND: return "not found";
	case MP_ERR_CONFLICT: return "conflict with existing state";
	case MP_ERR_IO: return "I/O error";
	case MP_ERR_CRYPTO: return "cryptographic operation failed";
	case MP_ERR_DB: return "database error";
	case MP_ERR_DB_UNAVAILABLE: return "database unavailable";
	case MP_ERR_CONFIG: return "configuration error";
	case MP_ERR_DENIED: return "permission denied";
	case MP_ERR_UNAUTHENTICATED: return "authentication required";
	case MP_ERR_POLICY: return "refused by policy";
	case MP_ERR_EXPIRED: return "expired";
	case MP_ERR_INTEGRITY: return "integrity check failed";
	case MP_ERR_UNSUPPORTED: return "not supported";
	}
	return "unknown error";
}

const char *
mp_ossl_errors(char *out, size_t outsz)
{
	unsigned long e;
	const char *file, *data, *func;
	int line, flags;
	size_t off = 0;

	if (outsz == 0)
		return out;
	out[0] = '\0';
	while ((e = ERR_get_error_all(&file, &line, &func, &data, &flags)) != 0) {
		char one[256];
		int n;

		ERR_error_string_n(e, one, sizeof(one));
		if (off >= outsz - 1)
			continue; /* keep draining so the queue is left empty */
		n = snprintf(out + off, outsz - off, "%s%s%s%s", off ? "; " : "", one,
		    (flags & ERR_TXT_STRING) && data && *data ? ": " : "",
		    (flags & ERR_TXT_STRING) && data ? data : "");
		if (n < 0)
			break;
		off += (size_t)n < outsz - off ? (size_t)n : outsz - off - 1;
	}
	if (off == 0)
		snprintf(out, outsz, "no OpenSSL error queued");
	return out;
}
