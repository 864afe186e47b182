#include "readfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"

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
