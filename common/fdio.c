#include "fdio.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "err.h"

int
mp_read_full(int fd, void *p, size_t n)
{
	uint8_t *d = p;

	while (n > 0) {
		ssize_t got = read(fd, d, n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return MP_ERR_IO;
		d += got;
		n -= (size_t)got;
	}
	return MP_OK;
}

int
mp_write_full(int fd, const void *p, size_t n)
{
	const uint8_t *s = p;

	while (n > 0) {
		ssize_t put = write(fd, s, n);

		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return MP_ERR_IO;
		s += put;
		n -= (size_t)put;
	}
	return MP_OK;
}
