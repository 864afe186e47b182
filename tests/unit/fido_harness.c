#include "fido_harness.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "midpki_build.h"
#include "voucher.h"

uint8_t *
fido_test_file(const char *name, size_t *len)
{
	char path[512];
	uint8_t *p = malloc(FDO_VOUCHER_MAX + 1);
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/fdo/%s", MIDPKI_SOURCE_DIR, name);
	ck_assert_ptr_nonnull(p);
	ck_assert_msg((f = fopen(path, "rb")) != NULL, "%s", path);
	*len = fread(p, 1, FDO_VOUCHER_MAX, f);
	fclose(f);
	p[*len] = 0;
	return p;
}
