#include "detail.h"

#include <stdarg.h>
#include <stdio.h>

void
ca_detail_set(ca_detail *d, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL)
		return;
	snprintf(d->field, sizeof(d->field), "%s", field != NULL ? field : "");
	va_start(ap, fmt);
	vsnprintf(d->message, sizeof(d->message), fmt, ap);
	va_end(ap);
}
