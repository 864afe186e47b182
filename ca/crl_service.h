/*
 * The CRL service: one thread, with its own database connection, that keeps
 * every CA's CRLs current.
 *
 * - It LISTENs on channel midpki_crl, on which every revocation change
 *   notifies its CA's id, and makes that CA's delta CRL anew within about a
 *   second; a burst of changes to one CA makes at most one delta per second.
 * - Every check interval it looks for CAs (with a key; retired ones too)
 *   whose full CRL is missing or past half its validity (then makes a full
 *   CRL and a delta on it), or whose delta is missing, past half its
 *   validity, based on an older full CRL, or older than a status change it
 *   may have missed while disconnected (then makes a delta).
 *
 * It waits in poll() on the connection's socket and a wake-up pipe, never
 * busy. When the database goes away it reconnects (at most once per
 * MP_DB_RETRY_MS) and LISTENs again. Several processes may run it against one
 * database: generation is ordered by the CA row lock, so they only duplicate
 * work. It logs failures (it is a daemon's own thread; no caller sees them).
 */
#ifndef CA_CRL_SERVICE_H
#define CA_CRL_SERVICE_H

#include <stdint.h>

#include "keystore.h"

/* The notification channel of revocation changes; the payload is a CA id. */
#define CA_CRL_CHANNEL "midpki_crl"

typedef struct ca_crl_service_config {
	const char *conninfo;          /* copied */
	uint64_t connect_timeout_ms;
	mp_keystore *ks;               /* must outlive the service */
	const char *public_url;        /* [ocsp] public_url, copied; "" for no Freshest CRL */
	uint64_t full_validity_ms;     /* [crl] full_validity */
	uint64_t delta_validity_ms;    /* [crl] delta_validity */
	uint64_t check_interval_ms;    /* 0: 5 seconds */
} ca_crl_service_config;

typedef struct ca_crl_service ca_crl_service;

/*
 * Starts the thread; it connects on its own, retrying while the database is
 * unreachable. MP_ERR_INVALID for a validity under one second.
 */
int ca_crl_service_start(const ca_crl_service_config *cfg, ca_crl_service **out);

/* Wakes the thread, waits for it (at most the CRL being made) and frees svc. Accepts NULL. */
void ca_crl_service_stop(ca_crl_service *svc);

#endif
