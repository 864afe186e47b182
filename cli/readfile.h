/* Reading and replacing whole (small) files for the command line tools. */
#ifndef CLI_READFILE_H
#define CLI_READFILE_H

#include <stddef.h>

#include <sys/types.h>

/*
 * Reads the file at path, at most max bytes, into a new NUL-terminated buffer.
 * Returns MP_OK with *out and *len set; MP_ERR_IO (errno says why),
 * MP_ERR_TOO_LARGE or MP_ERR_NOMEM.
 */
int cli_read_file(const char *path, size_t max, char **out, size_t *len);

/*
 * Replaces the file at path with len bytes of data, mode mode, atomically:
 * written beside it (path.tmp), flushed to disk, renamed onto path, and the
 * directory flushed. MP_ERR_IO (errno says why); the file is unchanged then.
 */
int cli_write_file(const char *path, const void *data, size_t len, mode_t mode);

#endif
