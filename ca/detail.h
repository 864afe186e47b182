/* Filling a ca_detail: the field a refusal names and why. */
#ifndef CA_DETAIL_H
#define CA_DETAIL_H

#include <stdarg.h>

#include "ca.h"

/* Sets d->field and the formatted d->message (both truncated to fit). d may be NULL. */
void ca_detail_set(ca_detail *d, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ca_detail_set, then returns err: `return ca_refuse(d, MP_ERR_POLICY, "validity", ...)`. */
int ca_refuse(ca_detail *d, int err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
