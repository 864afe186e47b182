/*
 * The LoRaWAN secrets kept in the database — root keys, peers' KEKs, session
 * AppSKeys — sealed under the key store's master key (mp_keystore_seal),
 * each bound to "<kind>:<id>" of the row it belongs to, so that sealed bytes
 * copied to another row do not open.
 */
#ifndef LW_SEALED_H
#define LW_SEALED_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "keystore.h"

#define LW_SEALED_ROOT_KEYS "lorawan_device"  /* id: the LoRaWAN device's id */
#define LW_SEALED_KEK "lorawan_peer"          /* id: the peer's id */
#define LW_SEALED_SESSION "lorawan_session"   /* id: the SessionKeyID in hex */

/* n bytes of secret sealed for kind:id, as a bytea parameter in *param (free it). */
int lw_seal_param(const mp_keystore *ks, const char *kind, const char *id,
    const uint8_t *secret, size_t n, char **param);

/*
 * Opens the sealed bytea at (row, col) of res for kind:id into out: exactly
 * max bytes when len is NULL, else at most max with the count in *len.
 * MP_ERR_INTEGRITY when it does not open or has another length.
 */
int lw_unseal_value(const mp_keystore *ks, const PGresult *res, int row, int col,
    const char *kind, const char *id, uint8_t *out, size_t max, size_t *len);

#endif
