#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

/* The logger is one of the two globals STYLE.md allows; set before threads start. */
static mp_log_level log_min = MP_LOG_INFO;
static bool log_json;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
mp_log_setup(mp_log_level min, bool json)
{
	log_min = min;
	log_json = json;
}

int
mp_log_level_parse(const char *s, mp_log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (mp_log_level)i;
			return MP_OK;
		}
	}
	return MP_ERR_INVALID;
}

bool
mp_log_enabled(mp_log_level level)
{
	return level >= log_min;
}

/* Appends s to out as the inside of a JSON string, escaping as RFC 8259 requires. */
static size_t
json_escape(char *out, size_t off, size_t cap, const char *s)
{
	for (; *s != '\0' && off + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[off++] = '\\';
			out[off++] = (char)c;
		} else if (c < 0x20) {
			off += (size_t)snprintf(out + off, cap - off, "\\u%04x", c);
		} else {
			out[off++] = (char)c;
		}
	}
	return off;
}

void
mp_log_at(mp_log_level level, const char *file, int line, const char *func, const char *fmt, ...)
{
	char msg[2048], out[4608], ts[40];
	struct timespec now;
	struct tm tm;
	const char *base;
	va_list ap;
	size_t off;
	int n;

	if (level < log_min)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = (int)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - (size_t)n, ".%03ldZ", now.tv_nsec / 1000000);
	base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;

	if (log_json) {
		off = (size_t)snprintf(out, sizeof(out),
		    "{\"time\":\"%s\",\"level\":\"%s\",\"src\":\"%s:%d\",\"func\":\"%s\",\"msg\":\"",
		    ts, level_names[level], base, line, func);
		off = json_escape(out, off, sizeof(out) - 3, msg);
		out[off++] = '"';
		out[off++] = '}';
	} else {
		n = snprintf(out, sizeof(out), "%s %-5s %s:%d %s: %s", ts, level_names[level], base,
		    line, func, msg);
		off = n < 0 ? 0 : ((size_t)n < sizeof(out) - 1 ? (size_t)n : sizeof(out) - 2);
		/* one event, one line: fold control characters a peer may have sent */
		for (size_t i = 0; i < off; i++)
			if ((unsigned char)out[i] < 0x20)
				out[i] = ' ';
	}
	out[off++] = '\n';
	if (write(STDERR_FILENO, out, off) < 0)
		return;
}
