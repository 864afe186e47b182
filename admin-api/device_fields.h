/*
 * The checks of a device's fields, shared by POST /devices (which replies at
 * the first problem) and the bulk import (which collects a problem per line).
 */
#ifndef ADMIN_DEVICE_FIELDS_H
#define ADMIN_DEVICE_FIELDS_H

#include <stdbool.h>

#include <jansson.h>

#define API_DEVICE_STR_MAX 128
/* The largest attributes object, as compact JSON text. */
#define API_DEVICE_ATTRIBUTES_MAX 4096

/* The fields of a new device, borrowed from the object they were read from. */
struct api_device_in {
	const char *serial;
	const char *model;
	const char *manufacturer;
	json_t *attributes;
};

/* What is wrong with one field: the documented error code, the field and a message. */
struct api_problem {
	const char *code;
	const char *field;
	char message[160];
};

/*
 * Checks obj as a new device whose members must be in allowed (NULL-terminated;
 * members other than serial, model, manufacturer and attributes are left to
 * the caller): true with *in filled, or false with *p describing the first
 * problem (the API's 400 codes).
 */
bool api_device_check(json_t *obj, const char *const *allowed, struct api_device_in *in,
    struct api_problem *p);

/*
 * A string member of obj (*out NULL when absent or null) of at most
 * API_DEVICE_STR_MAX bytes without control characters.
 */
bool api_device_string(json_t *obj, const char *field, bool required, const char **out,
    struct api_problem *p);

/*
 * The "attributes" member of obj (*out borrowed, NULL when absent or null): an
 * object of at most API_DEVICE_ATTRIBUTES_MAX bytes whose "site", when
 * present, is a string as for api_device_string.
 */
bool api_device_attributes(json_t *obj, json_t **out, struct api_problem *p);

#endif
