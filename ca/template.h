/*
 * Profile templates: text with placeholders filled from the device record
 * and the tenant: {device.id}, {device.serial}, {device.model},
 * {device.manufacturer}, {device.attributes.NAME} and {tenant.name}.
 * A '{' always opens a placeholder; there is no escape.
 */
#ifndef CA_TEMPLATE_H
#define CA_TEMPLATE_H

#include <jansson.h>

#include "ca.h"

/* The longest rendered value. */
#define CA_TEMPLATE_MAX 1024

/* MP_OK when t is well formed with known placeholders; else MP_ERR_INVALID with *why. */
int ca_template_check(const char *t, const char **why);

/*
 * Fills t from device (an object with id, serial, model, manufacturer,
 * attributes; may be NULL) and tenant_name (may be NULL). A placeholder
 * whose value is missing, empty or not a string (integers are written in
 * decimal) is MP_ERR_POLICY with d->field naming it ("device.model",
 * "device.attributes.site", "tenant.name"). *out is a new string (free()).
 */
int ca_template_render(const char *t, const json_t *device, const char *tenant_name,
    char **out, ca_detail *d);

#endif
