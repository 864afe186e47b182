/*
 * Logging: one line per event on stderr, as text or JSON, written with a
 * single write(2) so that lines from several threads never interleave.
 * Never pass a secret (key, token, password) to these functions.
 */
#ifndef MP_LOG_H
#define MP_LOG_H

#include <stdbool.h>

typedef enum { MP_LOG_DEBUG = 0, MP_LOG_INFO, MP_LOG_WARN, MP_LOG_ERROR } mp_log_level;

/* Sets the minimum level and the format; call once at start-up before threads run. */
void mp_log_setup(mp_log_level min, bool json);
/* Parses "debug", "info", "warn" or "error". Returns MP_OK or MP_ERR_INVALID. */
int mp_log_level_parse(const char *s, mp_log_level *out);
bool mp_log_enabled(mp_log_level level);

void mp_log_at(mp_log_level level, const char *file, int line, const char *func,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define mp_debug(...) mp_log_at(MP_LOG_DEBUG, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define mp_info(...) mp_log_at(MP_LOG_INFO, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define mp_warn(...) mp_log_at(MP_LOG_WARN, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define mp_error(...) mp_log_at(MP_LOG_ERROR, __FILE__, __LINE__, __func__, __VA_ARGS__)

#endif
