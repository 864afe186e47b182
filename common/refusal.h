/*
 * Extra words on a refusal for the caller whose input it was: which field of
 * the input (or of the profile) and why, for the API to put in its error.
 */
#ifndef MP_REFUSAL_H
#define MP_REFUSAL_H

#include <stdarg.h>

/* The longest error detail a call reports (a field name and why). */
#define MP_DETAIL_MAX 256

typedef struct mp_detail {
	char field[64];
	char message[MP_DETAIL_MAX];
} mp_detail;

/* Sets d->field and the formatted d->message (both truncated to fit). d may be NULL. */
void mp_detail_set(mp_detail *d, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* mp_detail_set, then returns err: `return mp_refuse(d, MP_ERR_POLICY, "validity", ...)`. */
int mp_refuse(mp_detail *d, int err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
