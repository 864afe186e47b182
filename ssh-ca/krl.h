/*
 * OpenSSH key revocation lists (PROTOCOL.krl), the binary file sshd reads
 * through RevokedKeys and `ssh-keygen -Q` checks keys against: a header, then
 * one certificates section per CA key listing the revoked serials of the
 * certificates it signed, ascending. Unsigned: sshd reads the file from a
 * path its administrator controls.
 */
#ifndef SSHCA_KRL_H
#define SSHCA_KRL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SSHCA_KRL_MAGIC 0x5353484b524c0a00ull /* "SSHKRL\n\0" */
#define SSHCA_KRL_FORMAT_VERSION 1
#define SSHCA_KRL_SECTION_CERTIFICATES 1
#define SSHCA_KRL_CERT_SERIAL_LIST 0x20

/* The revoked serials of the certificates one CA key signed. */
typedef struct sshca_krl_ca {
	const uint8_t *ca_blob;   /* the CA key's public key blob */
	size_t ca_blob_len;
	const uint64_t *serials;  /* sorted ascending, each once */
	size_t n_serials;
} sshca_krl_ca;

/*
 * Appends the KRL to out: version (krl_version, which must grow with every
 * change), generated (seconds since the epoch), comment, and a certificates
 * section for each entry of cas that has serials. MP_ERR_INVALID when the
 * serials of an entry are not ascending.
 */
int sshca_krl_encode(uint64_t version, uint64_t generated, const char *comment,
    const sshca_krl_ca *cas, size_t n, mp_buf *out);

#endif
