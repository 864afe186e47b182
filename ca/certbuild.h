/*
 * Building certificates, unsigned: end-entity certificates under a profile
 * (every request checked against it first) and CA certificates. The caller
 * signs the result with mp_key_sign_x509, which sets the signature algorithm.
 * No database, no key store.
 */
#ifndef CA_CERTBUILD_H
#define CA_CERTBUILD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca.h"
#include "csr.h"
#include "profile.h"

#define CA_SERIAL_LEN 17   /* 134 random bits: the first octet 0x40..0x7f, then 16 random octets */
/* A fresh random serial: positive, no leading zero octet. MP_ERR_CRYPTO when the CSPRNG fails. */
int ca_serial_new(uint8_t out[CA_SERIAL_LEN]);
/*
 * Parses "CN=x,O=y,C=DE" (RFC 4514 escaping of , + = \ " and \XX hex pairs;
 * '+' joins attributes into one RDN) into a name. As in RFC 4514 the last
 * RDN written is the first of the name: "CN=x,O=y,C=DE" prints back the
 * same with openssl -nameopt RFC2253. Attributes: the short names of
 * names.h (DC, C, ST, L, street, O, OU, title, CN, serialNumber, UID).
 * MP_ERR_INVALID with d->field "subject".
 */
int ca_subject_parse(const char *s, X509_NAME **out, ca_detail *d);
typedef struct ca_cert_input {
	const ca_profile *profile;
	const char *profile_name;     /* for messages */
	const ca_csr *csr;            /* decoded by ca_csr_decode; NULL for internal issuance: */
	EVP_PKEY *pub;                /*   then the key, */
	const char *subject;          /*   the subject ("CN=..."), */
	const json_t *sans;           /*   and SANs: array of "dns:x", "ip:a", "uri:x", "email:x" */
	const json_t *device;         /* device object: id, serial, model, manufacturer, attributes; may be NULL for internal */
	const char *tenant_name;
	X509 *issuer;                 /* the issuing CA's certificate */
	const uint8_t *serial; size_t serial_len;
	int64_t not_before;           /* Unix seconds */
	int64_t validity_s;           /* 0: the profile default; more than the max is refused */
	const char *crl_url, *delta_crl_url, *ocsp_url, *ca_issuers_url; /* used when the profile asks */
} ca_cert_input;
/* Builds the certificate (unsigned; version 3, every extension from the profile) after
 * checking everything against the profile: key algorithm and size, validity, subject
 * fields (allowed / forced from the device record), SAN types and patterns, CSR asking
 * for extensions the profile does not give (basicConstraints CA:TRUE, keyUsage bits ...).
 * The notAfter never exceeds the issuer's. MP_ERR_POLICY with d->field naming the field
 * ("csr.subject.OU", "csr.san[1]", "csr.key", "validity", "csr.extensions.basicConstraints").
 * From a CSR the key is copied as encoded (X509_set_pubkey costs about 0.5 ms in
 * OpenSSL 3.0), so X509_get0_pubkey on *out is NULL until it is read back from DER;
 * signing, i2d and ca_cert_describe do not need it. */
int ca_cert_build(const ca_cert_input *in, X509 **out, ca_detail *d);
typedef struct ca_ca_input {
	const char *subject; EVP_PKEY *pub;
	X509 *issuer;                 /* NULL: self-signed root (issuer name = subject) */
	const uint8_t *serial; size_t serial_len;
	int64_t not_before, not_after;
	int path_len;                 /* -1: none */
	const json_t *permitted, *excluded;  /* name constraints: "dns:x", "ip:10.0.0.0/8", "email:x", "uri:x" */
	const char *crl_url, *ca_issuers_url; /* for an intermediate: where its issuer publishes (may be NULL) */
} ca_ca_input;
/* A CA certificate: basicConstraints critical CA:TRUE (+pathLen), keyUsage critical
 * keyCertSign+cRLSign(+digitalSignature), SKI, AKI (not on a root), name constraints
 * critical when given. */
int ca_ca_cert_build(const ca_ca_input *in, X509 **out, ca_detail *d);

#endif
