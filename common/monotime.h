/* The one monotonic clock every timeout and retry spacing reads. */
#ifndef MP_MONOTIME_H
#define MP_MONOTIME_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC (since an arbitrary start; never jumps). */
uint64_t mp_monotonic_ms(void);

#endif
