/* The FDO test data of tests/data/fdo, shared by the fido tests. */
#ifndef MP_TEST_FIDO_HARNESS_H
#define MP_TEST_FIDO_HARNESS_H

#include <stddef.h>
#include <stdint.h>

/* The file tests/data/fdo/NAME (at most FDO_VOUCHER_MAX bytes), NUL-terminated; free() it. */
uint8_t *fido_test_file(const char *name, size_t *len);

#endif
