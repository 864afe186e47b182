/*
 * Building CRLs (RFC 5280 section 5), without a database and without a key:
 * from the revoked (or, in a delta, un-held) certificates of one CA and the
 * CA's certificate, an unsigned X509_CRL v2 that the key store then signs.
 * It carries the Authority Key Identifier (the issuer's subject key
 * identifier), the CRL Number, for a delta CRL the critical Delta CRL
 * Indicator, and for a full CRL optionally the Freshest CRL extension that
 * points to the delta. Each entry carries a reasonCode (none for
 * unspecified) and an invalidityDate when known. Building is linear in the
 * number of entries.
 */
#ifndef CA_CRL_BUILD_H
#define CA_CRL_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

/* The longest serial number RFC 5280 allows, in octets. */
#define CA_SERIAL_MAX 20

/* One revoked certificate, or in a delta CRL one to remove from the base CRL. */
typedef struct ca_crl_entry {
	/* Big-endian unsigned magnitude, as certificates.serial stores it (1..20 octets). */
	const uint8_t *serial;
	size_t serial_len;
	int64_t revoked_at;       /* Unix seconds: revocationDate */
	const char *reason;       /* RFC 5280 name; NULL or "unspecified": no reasonCode */
	int64_t invalidity_date;  /* Unix seconds; 0: no invalidityDate */
	bool remove;              /* delta CRL only: reasonCode removeFromCRL, reason ignored */
} ca_crl_entry;

typedef struct ca_crl_params {
	const X509 *issuer;        /* the CA certificate: issuer name and key identifier */
	uint64_t crl_number;
	int64_t this_update;       /* Unix seconds */
	int64_t next_update;
	bool delta;
	uint64_t base_crl_number;  /* delta only: the full CRL it completes */
	const char *freshest_url;  /* full CRL only: the delta CRL's URL; NULL for none */
} ca_crl_params;

/*
 * The reasonCode value (CRLReason) of an RFC 5280 reason name, e.g.
 * "keyCompromise" -> 1, "certificateHold" -> 6. MP_ERR_INVALID for any other
 * name, including "removeFromCRL", which only ca_crl_entry.remove sets.
 */
int ca_crl_reason_code(const char *name, int *code);

/*
 * Builds the unsigned CRL described by p listing the n entries (in any
 * order; serials must be distinct). MP_ERR_INVALID for a serial of 0 or more
 * than 20 octets, an unknown reason, a removal in a full CRL, next_update
 * not after this_update, or a Freshest CRL URL on a delta.
 */
int ca_crl_build(const ca_crl_params *p, const ca_crl_entry *entries, size_t n, X509_CRL **out);

#endif
