#include "readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fdio.h"

int
cli_read_file(const char *path, size_t max, char **out, size_t *len)
{
	FILE *f = NULL;
	char *data = NULL, *bigger;
	size_t n = 0, cap = 0, got;
	int r = MP_ERR_IO, e;

	if ((f = fopen(path, "rbe")) == NULL)
		goto out;
	for (;;) {
		if (cap - n < 2) {
			size_t want = cap == 0 ? 65536 : cap * 2;

			if (want > max + 2)
				want = max + 2;
			if (want <= cap) {
				r = MP_ERR_TOO_LARGE;
				goto out;
			}
			if ((bigger = realloc(data, want)) == NULL) {
				r = MP_ERR_NOMEM;
				goto out;
			}
			data = bigger;
			cap = want;
		}
		got = fread(data + n, 1, cap - n - 1, f);
		n += got;
		if (n > max) {
			r = MP_ERR_TOO_LARGE;
			goto out;
		}
		if (got == 0) {
			if (ferror(f))
				goto out;
			break;
		}
	}
	data[n] = '\0';
	*out = data;
	*len = n;
	data = NULL;
	r = MP_OK;
out:
	e = r == MP_ERR_TOO_LARGE ? EFBIG : errno;
	free(data);
	if (f != NULL)
		fclose(f);
	errno = e; /* for the caller's message */
	return r;
}

/* Flushes the directory holding path, so that a rename in it survives a crash. */
static int
sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd = -1, r = MP_ERR_IO;

	if (copy == NULL)
		return MP_ERR_NOMEM;
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0 && fsync(fd) == 0)
		r = MP_OK;
	if (fd >= 0)
		close(fd);
	free(copy);
	return r;
}

int
cli_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = NULL;
	int fd = -1, r = MP_ERR_NOMEM, e;

	if (asprintf(&tmp, "%s.tmp", path) < 0) {
		tmp = NULL;
		goto out;
	}
	r = MP_ERR_IO;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) < 0)
		goto out;
	if (mp_write_full(fd, data, len) != MP_OK || fchmod(fd, mode) != 0 || fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto out;
	r = sync_dir(path);
out:
	e = errno;
	if (fd >= 0)
		close(fd);
	if (r != MP_OK && tmp != NULL)
		unlink(tmp);
	free(tmp);
	errno = e; /* for the caller's message */
	return r;
}
