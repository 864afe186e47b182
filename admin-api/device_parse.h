/* Parsing the body of POST /devices:import (see device_parse.c). */
#ifndef ADMIN_DEVICE_PARSE_H
#define ADMIN_DEVICE_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* More devices than this in one request is refused (memory per request stays bounded). */
#define API_IMPORT_MAX_LINES 200000

struct api_import {
	json_t *rows;     /* the good lines, each with its "line", for the engine */
	json_t *rejected; /* {"line", "code", "message", "field"?} */
	json_t *seen;     /* serial -> first line */
	size_t lines;     /* devices read, good or bad; parsing stops past the maximum */
	char header_error[160]; /* why a CSV header row is unusable */
};

/* Empty result lists; MP_ERR_NOMEM. */
int api_import_init(struct api_import *im);
void api_import_free(struct api_import *im);

/*
 * Reads len bytes of JSON lines or CSV into im. MP_OK (bad lines are in
 * im->rejected), MP_ERR_INVALID for an unusable CSV header (im->header_error
 * says why) or MP_ERR_NOMEM.
 */
int api_import_parse(struct api_import *im, bool csv, const char *p, size_t len);

/* Adds a rejected entry for line; false when out of memory. */
bool api_import_reject(struct api_import *im, size_t line, const char *code, const char *message,
    const char *field);

#endif
