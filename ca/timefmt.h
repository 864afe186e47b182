/* Times between ASN1_TIME, Unix seconds and RFC 3339 text. */
#ifndef CA_TIMEFMT_H
#define CA_TIMEFMT_H

#include <stdint.h>

#include <openssl/asn1.h>

/* Unix seconds of t, or -1 when it does not convert. */
int64_t ca_time_of(const ASN1_TIME *t);
/* Unix seconds as RFC 3339 UTC ("2026-01-02T03:04:05Z"). */
void ca_time_text(int64_t t, char out[32]);

#endif
