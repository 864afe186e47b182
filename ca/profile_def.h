/* The parsed form of a profile, shared by the files of ca/ that apply it. */
#ifndef CA_PROFILE_DEF_H
#define CA_PROFILE_DEF_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/x509v3.h>

#include "names.h"
#include "profile.h"

/* keyUsage bit numbers (RFC 5280 4.2.1.3) as a mask: 1u << bit. */
#define CA_KU_BIT(n) (1u << (n))
#define CA_KU_DIGITAL_SIGNATURE 0
#define CA_KU_NON_REPUDIATION 1
#define CA_KU_KEY_ENCIPHERMENT 2
#define CA_KU_DATA_ENCIPHERMENT 3
#define CA_KU_KEY_AGREEMENT 4
#define CA_KU_KEY_CERT_SIGN 5
#define CA_KU_CRL_SIGN 6
#define CA_KU_ENCIPHER_ONLY 7
#define CA_KU_DECIPHER_ONLY 8
#define CA_KU_BITS 9

/* The name of keyUsage bit n ("digitalSignature" ...). */
const char *ca_ku_name(unsigned n);

/* Strings and arrays below point into body, which the profile owns. */
struct ca_profile {
	json_t *body;
	const char *ca;
	unsigned key_kinds;            /* set of ca_key_kind */
	unsigned rsa_min_bits, rsa_max_bits;
	int64_t validity_default, validity_max;   /* seconds */
	uint32_t subject_allowed;      /* bit i: attribute i (names.h) may come from the request */
	const char *subject_forced[CA_ATTR_COUNT]; /* templates, NULL when not forced */
	const json_t *san_dns, *san_uri, *san_email; /* pattern arrays, NULL: none allowed */
	ca_cidr *san_ip;
	size_t n_san_ip;
	const json_t *san_forced;      /* array of templates "dns:...", NULL: none */
	size_t san_max;                /* most SAN entries a request may carry */
	uint32_t key_usage;            /* CA_KU_BIT mask; empty: no keyUsage extension */
	STACK_OF(ASN1_OBJECT) *eku;    /* NULL: no extendedKeyUsage extension */
	bool basic_constraints, basic_constraints_critical;
	STACK_OF(ASN1_OBJECT) *policies; /* NULL: no certificatePolicies extension */
	bool crl, ocsp, ca_issuers, no_rev_avail, ocsp_nocheck, pre_enrollment;
	ca_channel_binding channel_binding;
	bool revoke_on_renewal;        /* on_renewal: "revoke" */
	const json_t *iec_roles;       /* NULL: no IECUserRoles extension */
};

#endif
