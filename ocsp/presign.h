/*
 * The OCSP pre-signing service (RFC 6960 2.5): one thread, with its own
 * database connection, that keeps a signed response ready for every
 * certificate we issued, one per CertID hash (SHA-1 and SHA-256), in
 * ocsp_responses, for the responder to serve without signing.
 *
 * - A certificate is due when certificates.ocsp_due_at has passed: at once
 *   when it is issued or its status changes (a trigger), else before its
 *   responses' nextUpdate. Due certificates are taken OCSP_PRESIGN_BATCH at a
 *   time with FOR UPDATE SKIP LOCKED, so the services of several processes
 *   share the work and sign each certificate once. For each: good, or revoked
 *   with its time and reason (a suspended one: certificateHold), thisUpdate
 *   and producedAt the signing time, nextUpdate response_validity later,
 *   signed by the CA's delegated signer (ca_ocsp_signer_get). The responses,
 *   each certificate's next due time and a notification on CA_OCSP_CHANNEL
 *   ("<ca id>:<serial hex>" items, at most OCSP_NOTIFY_MAX bytes per payload)
 *   are committed together.
 * - The next due time is nextUpdate - refresh_before - a random part of up to
 *   refresh_before / 2 (less when response_validity leaves no room), so that
 *   responses signed together fall due apart. A certificate past its notAfter
 *   by response_validity is never signed again (due 'infinity'), nor is one
 *   of a CA we only trust or that is gone. A retired CA gets no new signer:
 *   its certificates are signed with its last signer while that has more
 *   than refresh_before left, then no more.
 * - It LISTENs on channel midpki_crl, where every status change is told, and
 *   signs at once; otherwise it looks for due certificates every
 *   OCSP_PRESIGN_POLL_MS. On CA_OCSP_CHANNEL, a "*" (a new signer, made by
 *   any process) has it read every CA's signer again before it next signs. Every signer check interval it makes sure every
 *   active CA with a key has a signer valid for the renewal margin
 *   (ocsp_presign_renew_before_s), making new ones as needed; responses of
 *   the old signer stay as they are until they fall due.
 *
 * It waits in poll() on the connection's socket and a wake-up pipe. When the
 * database goes away it reconnects (at most once per MP_DB_RETRY_MS) and
 * LISTENs again. It logs failures (it is a daemon's own thread).
 */
#ifndef OCSP_PRESIGN_H
#define OCSP_PRESIGN_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "keystore.h"

#define OCSP_PRESIGN_BATCH 500     /* certificates per transaction */
#define OCSP_PRESIGN_POLL_MS 250   /* how often due certificates are looked for */
#define OCSP_NOTIFY_MAX 7900       /* bytes of one notification payload */

typedef struct ocsp_presign_config {
	const char *conninfo;          /* copied; for the thread's own connection */
	uint64_t connect_timeout_ms;
	mp_keystore *ks;               /* must outlive the service */
	const char *public_url;        /* [ocsp] public_url, for new signers; copied */
	uint64_t response_validity_ms; /* [ocsp] response_validity, at least one second */
	uint64_t refresh_before_ms;    /* [ocsp] refresh_before, less than response_validity */
	uint64_t signer_check_ms;      /* 0: five minutes */
	int64_t signer_renew_before_s; /* 0: ocsp_presign_renew_before_s(response_validity_ms) */
	unsigned batch;                /* 0: OCSP_PRESIGN_BATCH */
} ocsp_presign_config;

typedef struct ocsp_presign ocsp_presign;

/* The renewal margin of OCSP signers: max(2 × response_validity, 7 days), in seconds. */
int64_t ocsp_presign_renew_before_s(uint64_t response_validity_ms);

/*
 * A service without its thread, for ocsp_presign_run_once and
 * ocsp_presign_renew_signers on the caller's connection. MP_ERR_INVALID for
 * a validity under a second or refresh_before not under it.
 */
int ocsp_presign_new(const ocsp_presign_config *cfg, ocsp_presign **out);

/*
 * Signs every certificate due now, batch by batch on db, until none is left
 * (or the service is stopping); *signed_out (may be NULL) counts the
 * certificates whose responses were signed. db must not be in a
 * transaction. The first error stops it; what was committed stays.
 */
int ocsp_presign_run_once(ocsp_presign *p, mp_db *db, size_t *signed_out);

/*
 * Gives every active CA with a key a signer valid for the renewal margin
 * (ca_ocsp_signers_ensure) and has the signers of the CAs known to p read
 * again before their next use; *made (may be NULL) counts new signers.
 */
int ocsp_presign_renew_signers(ocsp_presign *p, mp_db *db, unsigned *made);

/*
 * ocsp_presign_new, then a thread that connects on its own (retrying while
 * the database is unreachable), makes sure of the signers and signs what is
 * due, until ocsp_presign_stop.
 */
int ocsp_presign_start(const ocsp_presign_config *cfg, ocsp_presign **out);

/*
 * Stops the thread when there is one (waiting at most for the batch being
 * signed) and frees p, from ocsp_presign_start or ocsp_presign_new. Accepts
 * NULL.
 */
void ocsp_presign_stop(ocsp_presign *p);

#endif
