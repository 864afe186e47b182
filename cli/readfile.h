/* Reading a whole (small) file for the command line tools. */
#ifndef CLI_READFILE_H
#define CLI_READFILE_H

#include <stddef.h>

/*
 * Reads the file at path, at most max bytes, into a new NUL-terminated buffer.
 * Returns MP_OK with *out and *len set; MP_ERR_IO (errno says why),
 * MP_ERR_TOO_LARGE or MP_ERR_NOMEM.
 */
int cli_read_file(const char *path, size_t max, char **out, size_t *len);

#endif
