/*
 * OpenSSH certificates (PROTOCOL.certkeys): the encoding of a user or host
 * certificate for a parsed subject key, signed through the key store by the
 * CA's key: Ed25519, ECDSA (P-256 with SHA-256, P-384 with SHA-384) or RSA of
 * at least 3072 bits with rsa-sha2-512 (never ssh-rsa, which is SHA-1).
 *
 * The encoder decides what the format leaves open: a 32-byte random nonce,
 * critical options and extensions sorted by name, each name at most once,
 * an empty reserved field.
 */
#ifndef SSHCA_CERT_H
#define SSHCA_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "keystore.h"
#include "sshkey.h"

typedef enum sshca_cert_kind {
	SSHCA_CERT_USER = 1,
	SSHCA_CERT_HOST = 2,
} sshca_cert_kind;

#define SSHCA_NONCE_LEN 32
#define SSHCA_PRINCIPALS_MAX 256
#define SSHCA_PRINCIPAL_MAX 255
#define SSHCA_KEY_ID_MAX 1024
#define SSHCA_OPTIONS_MAX 32
#define SSHCA_OPTION_VALUE_MAX 4096
/* The largest certificate we make: an RSA subject and CA of 16384 bits and every limit above. */
#define SSHCA_CERT_MAX (256 * 1024)

/* A critical option or an extension: value NULL for the ones that carry no data. */
typedef struct sshca_option {
	const char *name;
	const char *value;
} sshca_option;

typedef struct sshca_cert_input {
	sshca_cert_kind kind;
	const sshca_pubkey *subject;
	uint64_t serial;
	const char *key_id;
	const char *const *principals;   /* at least one */
	size_t n_principals;
	uint64_t valid_after;            /* seconds since the epoch */
	uint64_t valid_before;
	const sshca_option *critical;    /* force-command, source-address, verify-required */
	size_t n_critical;
	const sshca_option *extensions;  /* any names (permit-pty ...) */
	size_t n_extensions;
} sshca_cert_input;

/*
 * Encodes and signs the certificate: *blob (free it) is its wire encoding.
 * MP_ERR_INVALID with *why for input the format cannot carry or that would
 * weaken it: no principal (sshd reads an empty list as "any"), an empty or
 * duplicate principal or option name, a principal containing a comma,
 * valid_after not before valid_before, a critical option other than the
 * three above, force-command or source-address without a value,
 * verify-required with one. MP_ERR_UNSUPPORTED for a CA key that cannot sign
 * SSH certificates (RSA-PSS, RSA below 3072 bits).
 */
int sshca_cert_sign(mp_key *ca, const sshca_cert_input *in, uint8_t **blob, size_t *len,
    const char **why);

/* The signature algorithm name the CA key signs with ("rsa-sha2-512" for RSA). */
const char *sshca_sig_alg(const mp_key *ca);

#endif
