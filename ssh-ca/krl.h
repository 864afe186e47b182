/*
 * OpenSSH key revocation lists (PROTOCOL.krl), the binary file sshd reads
 * through RevokedKeys and `ssh-keygen -Q` checks keys against: a header, then
 * one certificates section per CA key listing the revoked serials of the
 * certificates it signed, ascending. Unsigned: sshd reads the file from a
 * path its administrator controls. Beside the serials, a certificates section
 * may list revoked key ids, and an explicit keys section lists revoked public
 * keys (which revokes every certificate for them too).
 */
#ifndef SSHCA_KRL_H
#define SSHCA_KRL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SSHCA_KRL_MAGIC 0x5353484b524c0a00ull /* "SSHKRL\n\0" */
#define SSHCA_KRL_FORMAT_VERSION 1
#define SSHCA_KRL_SECTION_CERTIFICATES 1
#define SSHCA_KRL_SECTION_EXPLICIT_KEY 2
#define SSHCA_KRL_CERT_SERIAL_LIST 0x20
#define SSHCA_KRL_CERT_KEY_ID 0x23

/* The revoked serials and key ids of the certificates one CA key signed. */
typedef struct sshca_krl_ca {
	const uint8_t *ca_blob;   /* the CA key's public key blob */
	size_t ca_blob_len;
	const uint64_t *serials;  /* sorted ascending, each once */
	size_t n_serials;
	const char *const *key_ids; /* certificate key ids, each once */
	size_t n_key_ids;
} sshca_krl_ca;

/* A revoked public key: its wire blob. */
typedef struct sshca_krl_key {
	const uint8_t *blob;
	size_t len;
} sshca_krl_key;

/* What a KRL holds. */
typedef struct sshca_krl_in {
	uint64_t version;         /* must grow with every change */
	uint64_t generated;       /* seconds since the epoch */
	const char *comment;
	const sshca_krl_ca *cas;
	size_t n_cas;
	const sshca_krl_key *keys;
	size_t n_keys;
} sshca_krl_in;

/*
 * Appends the KRL to out: the header, a certificates section for each entry
 * of cas that has serials or key ids (a serial list, then a key id list), and
 * an explicit keys section when there are keys. MP_ERR_INVALID when the
 * serials of an entry are not ascending.
 */
int sshca_krl_encode(const sshca_krl_in *in, mp_buf *out);

#endif
