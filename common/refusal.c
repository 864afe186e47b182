#include "refusal.h"

#include <stdarg.h>
#include <stdio.h>

static void
detail_vset(mp_detail *d, const char *field, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
detail_vset(mp_detail *d, const char *field, const char *fmt, va_list ap)
{
	if (d == NULL)
		return;
	snprintf(d->field, sizeof(d->field), "%s", field != NULL ? field : "");
	vsnprintf(d->message, sizeof(d->message), fmt, ap);
}

void
mp_detail_set(mp_detail *d, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	detail_vset(d, field, fmt, ap);
	va_end(ap);
}

int
mp_refuse(mp_detail *d, int err, const char *field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	detail_vset(d, field, fmt, ap);
	va_end(ap);
	return err;
}
