/* Whole reads and writes on file descriptors, retried across EINTR and short counts. */
#ifndef MP_FDIO_H
#define MP_FDIO_H

#include <stddef.h>

/* Reads exactly n bytes from fd. MP_ERR_IO on an error or end of file (errno kept). */
int mp_read_full(int fd, void *p, size_t n);
/* Writes exactly n bytes to fd. MP_ERR_IO on an error (errno kept). */
int mp_write_full(int fd, const void *p, size_t n);

#endif
