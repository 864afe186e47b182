/* How `midpki admin` shows the API's JSON: a table for lists, "field: value" lines for one object. */
#ifndef CLI_ADMIN_OUTPUT_H
#define CLI_ADMIN_OUTPUT_H

#include <stdio.h>

#include <jansson.h>

/* One table column: its title and the member it shows ("a.b" reaches into objects). */
typedef struct admin_column {
	const char *title;
	const char *field;
} admin_column;

/*
 * Prints the objects in items (a JSON array) as a table: a title row, then one
 * row per item, columns padded to their widest cell (at most 60 bytes, longer
 * cells cut). cols ends with a NULL title. Returns MP_OK or MP_ERR_NOMEM.
 */
int admin_print_table(FILE *f, const json_t *items, const admin_column *cols);

/*
 * Prints every member of obj, in order, as "name: value"; a string with line
 * breaks continues on indented lines. Returns MP_OK or MP_ERR_NOMEM.
 */
int admin_print_object(FILE *f, const json_t *obj);

#endif
