/*
 * OCSP bundles: the pre-signed OCSP responses, CRLs and certificates of a set
 * of CAs in one signed file, for a responder in a network with no route to
 * the database (`midpki ocsp export`, `midpki serve --ocsp-bundle`). The
 * format is written down in docs/ocsp.md ("Bundle format"): framed like
 * OpenSSH's PROTOCOL.krl (u32-length strings, big-endian integers), signed
 * once per CA by that CA's current OCSP signer.
 *
 * A loaded bundle is immutable and shared by reference count, so request
 * threads keep answering from one while a newer one is loaded.
 */
#ifndef OCSP_BUNDLE_H
#define OCSP_BUNDLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "buf.h"
#include "keystore.h"
#include "request.h"
#include "response.h"

#define OCSP_BUNDLE_MAGIC "MIDPKI-OCSP-BUNDLE-1\n"
#define OCSP_BUNDLE_MAGIC_LEN 21
/* What each CA's signer signs: this context string, then SHA-256 of everything before the signatures. */
#define OCSP_BUNDLE_SIG_CONTEXT "MIDPKI-OCSP-BUNDLE-SIGNATURE-1"
#define OCSP_BUNDLE_MAX_CAS 256
#define OCSP_BUNDLE_MAX_SIGNERS 16
/* The largest bundle file read. */
#define OCSP_BUNDLE_MAX_BYTES ((size_t)4 << 30)
/* The largest certificate, CRL or response core in a bundle. */
#define OCSP_BUNDLE_MAX_ITEM ((size_t)256 << 20)
/* A serial number's octets (RFC 5280: at most 20), without a leading sign octet. */
#define OCSP_BUNDLE_MAX_SERIAL 20

typedef struct ocsp_bundle ocsp_bundle;

/* One pre-signed response found in a bundle; the pointers live as long as the bundle. */
typedef struct ocsp_bundle_resp {
	ocsp_cert_status status;
	int64_t this_update, next_update; /* Unix seconds */
	const uint8_t *core;              /* the signed core (response.h) */
	size_t core_len;
	const uint8_t *signer;            /* the signer certificate, DER */
	size_t signer_len;
} ocsp_bundle_resp;

/* One CA's CRL in a bundle; the bytes live as long as the bundle. */
typedef struct ocsp_bundle_crl {
	const uint8_t *der;
	size_t len;
	int64_t this_update, next_update; /* Unix seconds; next_update 0 when it has none */
} ocsp_bundle_crl;

/*
 * Parses a bundle (taking over data, which it frees) without checking any
 * signature: every length and count is bounded, duplicate responses and
 * out-of-range signer indexes are refused, and each CA's responses are
 * indexed for lookup. MP_ERR_INVALID (err says what) for anything malformed,
 * MP_ERR_NOMEM.
 */
int ocsp_bundle_parse(mp_buf *data, ocsp_bundle **out, char *err, size_t errsz);

/*
 * Checks what makes a parsed bundle trustworthy, at time now: every CA
 * certificate chains to trust; every signer certificate was issued by its CA
 * and carries id-kp-OCSPSigning; each CA's first signer is valid now and its
 * signature over the bundle verifies; each CRL is signed by its CA.
 * MP_ERR_INTEGRITY (err says what) when any of that fails.
 */
int ocsp_bundle_verify(ocsp_bundle *b, X509_STORE *trust, int64_t now, char *err, size_t errsz);

/*
 * Reads path (at most OCSP_BUNDLE_MAX_BYTES), parses and verifies it.
 * MP_ERR_IO (err says what, errno kept) when it cannot be read, else as
 * ocsp_bundle_parse and ocsp_bundle_verify.
 */
int ocsp_bundle_load(const char *path, X509_STORE *trust, int64_t now, ocsp_bundle **out,
    char *err, size_t errsz);

/* A store of the certificates in the PEM file path. MP_ERR_IO / MP_ERR_INVALID (err says). */
int ocsp_bundle_trust_load(const char *path, X509_STORE **out, char *err, size_t errsz);

ocsp_bundle *ocsp_bundle_ref(ocsp_bundle *b);
/* Drops a reference; the last frees the bundle. Accepts NULL. */
void ocsp_bundle_unref(ocsp_bundle *b);

/* When the bundle was made (Unix seconds), and how many CAs and responses it holds. */
int64_t ocsp_bundle_produced_at(const ocsp_bundle *b);
size_t ocsp_bundle_ca_count(const ocsp_bundle *b);
size_t ocsp_bundle_response_count(const ocsp_bundle *b);

/* CA i's id (UUID text) and certificate (DER, parsed by ocsp_bundle_verify: NULL before). */
const char *ocsp_bundle_ca_id(const ocsp_bundle *b, size_t i);
X509 *ocsp_bundle_ca_cert(const ocsp_bundle *b, size_t i);
/* CA i's certificate DER. */
void ocsp_bundle_ca_der(const ocsp_bundle *b, size_t i, const uint8_t **der, size_t *len);
/* How many signer certificates CA i has (at least one). */
size_t ocsp_bundle_signer_count(const ocsp_bundle *b, size_t i);

/* The index of the CA with id (UUID text), or -1. */
long ocsp_bundle_find_ca(const ocsp_bundle *b, const char *id);

/*
 * The response of CA i for serial (octets, a leading zero sign octet
 * ignored) by CertID hash h. MP_ERR_NOT_FOUND when the bundle has none.
 */
int ocsp_bundle_find(const ocsp_bundle *b, size_t i, ocsp_hash h, const uint8_t *serial,
    size_t serial_len, ocsp_bundle_resp *out);

/* CA i's full (delta false) or delta CRL. MP_ERR_NOT_FOUND when the bundle has none. */
int ocsp_bundle_crl_get(const ocsp_bundle *b, size_t i, bool delta, ocsp_bundle_crl *out);

/*
 * Writing a bundle: open, then for each of the nca CAs one ocsp_bundle_write_ca
 * followed by its responses, then finish, which signs and moves the file into
 * place (a temporary file beside path, renamed, so a responder watching path
 * never reads half a bundle). abort (or free after a failure) removes the
 * temporary file.
 */
typedef struct ocsp_bundle_writer ocsp_bundle_writer;

typedef struct ocsp_bundle_ca_in {
	const char *id;                     /* UUID text */
	const uint8_t *cert;                /* the CA certificate, DER */
	size_t cert_len;
	const uint8_t *const *signers;      /* signer certificates, DER; signers[0] signs */
	const size_t *signer_lens;
	size_t nsigners;                    /* 1..OCSP_BUNDLE_MAX_SIGNERS */
	mp_key *key;                        /* signers[0]'s key, referenced until finish */
	const uint8_t *crl, *delta_crl;     /* DER, or NULL */
	size_t crl_len, delta_crl_len;
} ocsp_bundle_ca_in;

int ocsp_bundle_writer_open(const char *path, int64_t produced_at, size_t nca,
    ocsp_bundle_writer **out);
int ocsp_bundle_write_ca(ocsp_bundle_writer *w, const ocsp_bundle_ca_in *ca);
int ocsp_bundle_write_response(ocsp_bundle_writer *w, ocsp_hash h, const uint8_t *serial,
    size_t serial_len, ocsp_cert_status status, size_t signer, int64_t this_update,
    int64_t next_update, const uint8_t *core, size_t core_len);
/* Signs, flushes, fsyncs and renames into place; frees w whatever happens. */
int ocsp_bundle_writer_finish(ocsp_bundle_writer *w);
/* Removes the temporary file and frees w. Accepts NULL. */
void ocsp_bundle_writer_abort(ocsp_bundle_writer *w);

#endif
