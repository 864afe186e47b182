/*
 * The network servers (kind "ns", named by NetID) and application servers
 * ("as", by AS-ID) that may call the Join Server, each with an optional
 * key-encryption key (KEK, sealed under the key store's master key, never
 * returned) and how it authenticates: "token" (a bearer secret shown once,
 * stored as its SHA-256; common/credential.h, prefix "mpj") or "mtls" (the
 * TLS client certificate it presents on the lorawan listener, pinned by its
 * SHA-256). Objects carry id, tenant_id, kind, net_id, as_id, kek_label,
 * auth, cert_sha256 (hex, mtls only), created_at.
 */
#ifndef LW_PEERS_H
#define LW_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "audit.h"
#include "db.h"
#include "join.h"
#include "keystore.h"

#define LW_PEER_TOKEN_PREFIX "mpj"

typedef struct lw_peer_new {
	const char *tenant_id;
	const char *kind;      /* "ns" or "as" */
	const char *net_id;    /* ns: 6 lower-case hex digits; NULL for as */
	const char *as_id;     /* as: 1..128 bytes; NULL for ns */
	const char *kek_label; /* 1..128 bytes with a KEK; NULL without */
	const uint8_t *kek;    /* 16, 24 or 32 bytes; NULL: session keys go in clear */
	size_t kek_len;
	const char *auth;      /* "token" or "mtls" */
	const uint8_t *cert;   /* mtls: the peer's client certificate (DER); NULL for token */
	size_t cert_len;
} lw_peer_new;

/*
 * Registers a peer, audited as lorawan_peer.create (details: kind, net_id or
 * as_id, kek_label, auth, cert_sha256; never the KEK). With auth "token",
 * *token (free with mp_free_secret_str) gets its secret, which is not kept;
 * else NULL. MP_ERR_INVALID for a malformed or missing field (a certificate
 * that does not parse, or one with auth "token"), MP_ERR_CONFLICT for a
 * NetID or AS-ID the tenant already has or a certificate another peer has.
 */
int lw_peer_create(mp_db *db, const mp_keystore *ks, const mp_actor *actor,
    const lw_peer_new *in, char **token, json_t **out);
int lw_peer_get(mp_db *db, const char *tenant_id, const char *id, json_t **out);
/* Up to limit peers ordered by id after after_id (NULL: from the start). */
int lw_peer_list(mp_db *db, const char *tenant_id, const char *after_id, unsigned limit,
    json_t **out);

/* A NetID as stored (6 hex digits) as a value; MP_ERR_INTEGRITY for anything else. */
int lw_net_id_parse(const char *hex, uint32_t *out);

/* The SHA-256 of a certificate's DER, as peers with auth "mtls" are pinned. */
#define LW_PEER_CERT_SHA256_LEN 32

/*
 * The peer that a presented bearer token names (auth "token"), or else,
 * without a token, the peer pinned to the SHA-256 of the TLS client
 * certificate presented (auth "mtls"; cert_sha256 NULL when none was), its
 * KEK unsealed into *out (lw_peer_clear it). MP_ERR_UNAUTHENTICATED for a
 * token that is malformed, unknown or does not match (compared in constant
 * time), a certificate no peer is pinned to, or neither.
 */
int lw_peer_authenticate(mp_db *db, const mp_keystore *ks, const char *token,
    const uint8_t *cert_sha256, lw_peer *out);

#endif
