/*
 * Public key lines of every subject key type for the SSH CA tests, made once
 * with ssh-keygen (the FIDO ones assembled from the Ed25519 and P-256 keys
 * with the application "ssh:", as a token would make them), and their
 * SHA-256 fingerprints as `ssh-keygen -l` prints them.
 */
#ifndef MP_TEST_SSH_HARNESS_H
#define MP_TEST_SSH_HARNESS_H

#include <stddef.h>

#include "db.h"
#include "keystore.h"
#include "sshkey.h"

typedef struct ssh_sample {
	sshca_key_type type;
	const char *line;
	const char *comment;      /* as parsed */
	const char *fingerprint;
	unsigned bits;            /* RSA only */
} ssh_sample;

/* The accepted subject keys, one of each type. */
extern const ssh_sample ssh_samples[];
extern const size_t ssh_n_samples;

/* Keys we refuse: RSA of 2048 bits, ECDSA P-521, DSA. */
extern const char ssh_line_rsa2048[];
extern const char ssh_line_p521[];
extern const char ssh_line_dsa[];

/* A temporary directory, a fresh migrated database and a software key store in it. */
typedef struct ssh_store {
	char dir[64];
	char conninfo[512];
	mp_db *db;
	mp_keystore *ks;
} ssh_store;

void ssh_store_open(ssh_store *s, const char *dbname);
/* Closes both and removes the directory. */
void ssh_store_close(ssh_store *s);

/* What `ssh-keygen -L` prints for the certificate line (written to a file in dir); must exit 0. */
void ssh_keygen_list(const char *dir, const char *line, char *out, size_t outsz);

#endif
