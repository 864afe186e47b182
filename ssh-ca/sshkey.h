/*
 * OpenSSH public keys (RFC 4253 §6.6, RFC 5656, PROTOCOL.u2f): parsing the
 * one-line form of authorized_keys ("type base64 [comment]") and the wire
 * blob inside it, and encoding the public half of a key-store key as the
 * blob a certificate names as its signature key.
 *
 * Only the subject keys we certify parse: ssh-ed25519, ecdsa-sha2-nistp256,
 * ecdsa-sha2-nistp384, ssh-rsa of 3072 to 16384 bits, and the FIDO keys
 * sk-ssh-ed25519@openssh.com and sk-ecdsa-sha2-nistp256@openssh.com. Each
 * refusal says why in a static message.
 */
#ifndef SSHCA_SSHKEY_H
#define SSHCA_SSHKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "keystore.h"

typedef enum sshca_key_type {
	SSHCA_KEY_ED25519 = 1,
	SSHCA_KEY_ECDSA_P256,
	SSHCA_KEY_ECDSA_P384,
	SSHCA_KEY_RSA,
	SSHCA_KEY_SK_ED25519,
	SSHCA_KEY_SK_ECDSA_P256,
} sshca_key_type;

/* The longest public key line we read: an RSA key of 16384 bits with a long comment. */
#define SSHCA_LINE_MAX 8192
/* The longest wire blob of a public key we read (RSA 16384: about 2,070 bytes). */
#define SSHCA_BLOB_MAX 4096
/* The longest certificate line we read back (sshca_cert_read_line). */
#define SSHCA_CERT_LINE_MAX 65536
/* The longest comment and FIDO application string we keep. */
#define SSHCA_COMMENT_MAX 1024
#define SSHCA_APPLICATION_MAX 256
/* The RSA sizes we certify. */
#define SSHCA_RSA_MIN_BITS 3072
#define SSHCA_RSA_MAX_BITS 16384

typedef struct sshca_pubkey {
	sshca_key_type type;
	uint8_t *blob;      /* the wire encoding: string type, then the key's fields */
	size_t blob_len;
	size_t fields_off;  /* where the fields after the type name start in blob */
	unsigned bits;      /* RSA modulus size; 0 for the others */
	char *comment;      /* "" when the line has none */
	char *application;  /* FIDO keys: the application ("ssh:" ...), else NULL */
} sshca_pubkey;

/* The key type name of the wire format ("ssh-ed25519" ...). */
const char *sshca_key_type_name(sshca_key_type t);
/* The type its wire name names, or 0 for a name we do not certify. */
sshca_key_type sshca_key_type_parse(const char *name);
/* The certificate type name ("ssh-ed25519-cert-v01@openssh.com" ...). */
const char *sshca_cert_type_name(sshca_key_type t);
bool sshca_key_type_is_sk(sshca_key_type t);

/*
 * Parses a public key line of len bytes: the type name, one space or tab,
 * the standard base64 of the blob, then optionally a comment; a trailing
 * newline is allowed. The blob must name the same type and be exactly the
 * key's fields, points on their curve, RSA within the sizes above with an odd
 * exponent of at least 65537. MP_ERR_INVALID, MP_ERR_TOO_LARGE or
 * MP_ERR_UNSUPPORTED (a type we do not certify, RSA too small) with *why set.
 */
int sshca_pubkey_parse_line(const char *line, size_t len, sshca_pubkey **out,
    const char **why);
/* The same checks for a wire blob alone (comment ""). */
int sshca_pubkey_parse_blob(const uint8_t *blob, size_t len, sshca_pubkey **out,
    const char **why);
void sshca_pubkey_free(sshca_pubkey *k);

/*
 * The public key line "type base64" of a blob whose type name is type_name,
 * followed by " comment" when comment is neither NULL nor empty.
 */
int sshca_pubkey_line(const char *type_name, const uint8_t *blob, size_t len,
    const char *comment, char **out);

/* "SHA256:" and the unpadded base64 of the blob's SHA-256, as ssh-keygen -l prints. */
int sshca_fingerprint(const uint8_t *blob, size_t len, char **out);

/*
 * The wire blob of the public half of a key-store key that can sign SSH
 * certificates: Ed25519, ECDSA P-256/P-384, or RSA (PKCS#1 v1.5) of at least
 * 3072 bits. MP_ERR_UNSUPPORTED for the others (RSA-PSS keys, smaller RSA).
 */
int sshca_key_blob(mp_key *k, mp_buf *out);
/* The blob's key type name as in the blob ("ssh-rsa" for RSA CA keys). */
const char *sshca_ca_key_type_name(const mp_key *k);

/* What a device reads back from its certificate to decide when to renew it. */
typedef struct sshca_cert_info {
	sshca_pubkey *subject;   /* the certified key, as a plain key (comment "") */
	uint64_t serial;
	uint32_t kind;           /* 1 user, 2 host */
	uint64_t valid_after;    /* seconds since the epoch */
	uint64_t valid_before;
} sshca_cert_info;

/*
 * Reads a certificate line "<type>-cert-v01@openssh.com <base64> [comment]"
 * of one of the key types above as far as its validity: the subject key
 * (checked as sshca_pubkey_parse_blob checks keys), serial, type, key id and
 * principals (skipped), validity. It does not verify the signature: it tells
 * a certificate's holder what it holds, it does not authenticate anyone.
 * MP_ERR_INVALID, MP_ERR_TOO_LARGE or MP_ERR_UNSUPPORTED with *why set.
 */
int sshca_cert_read_line(const char *line, size_t len, sshca_cert_info *out, const char **why);
/* Frees what out holds; accepts one that was never filled (zeroed). */
void sshca_cert_info_clear(sshca_cert_info *info);

/* An mpint (RFC 4251 §5) of the unsigned big-endian magnitude in p. */
int sshca_put_mpint(mp_buf *b, const uint8_t *p, size_t n);

#endif
