#include "reason.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
fdo_refuse(fdo_detail *d, int err, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL)
		return err;
	va_start(ap, fmt);
	vsnprintf(d->message, sizeof(d->message), fmt, ap);
	va_end(ap);
	return err;
}

int
fdo_refuse_in(fdo_detail *d, int err, const char *fmt, ...)
{
	char inner[FDO_DETAIL_MAX], context[FDO_DETAIL_MAX];
	va_list ap;

	if (d == NULL)
		return err;
	memcpy(inner, d->message, sizeof(inner));
	inner[sizeof(inner) - 1] = '\0';
	va_start(ap, fmt);
	vsnprintf(context, sizeof(context), fmt, ap);
	va_end(ap);
	/* context and inner each fit the message; the two together may be cut */
	snprintf(d->message, sizeof(d->message), "%.*s: %.*s", FDO_DETAIL_MAX / 2, context,
	    FDO_DETAIL_MAX / 2 - 3, inner);
	return err;
}
