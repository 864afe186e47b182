/* Constant-time comparison, wiping and randomness for secrets. */
#ifndef MP_SECURE_H
#define MP_SECURE_H

#include <stdbool.h>
#include <stddef.h>

/* True when a and b have equal length and content; time depends only on the lengths. */
bool mp_ct_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Overwrites n bytes at p so that the compiler cannot drop the store. p may be NULL. */
void mp_wipe(void *p, size_t n);

/* Wipes then frees a NUL-terminated string (a secret). s may be NULL. */
void mp_free_secret_str(char *s);

/* Fills out with n bytes from the CSPRNG. Returns MP_OK or MP_ERR_CRYPTO. */
int mp_random_bytes(void *out, size_t n);

#endif
