/*
 * The audit log: every change the engine makes writes one entry in the same
 * transaction (mp_audit_write). Writers only INSERT, so they never wait for
 * each other. Chaining happens afterwards: mp_audit_seal(), run by `midpki
 * serve` every audit_seal_interval_ms (default 1 s) on its own connection,
 * gives committed entries the next sequence numbers and links each to the
 * previous one by SHA-256. An entry is therefore unsealed, and not yet
 * protected by the chain, for at most about one seal interval after its
 * transaction commits (longer only when no instance is running). The chain
 * order is the seal order, which is close to commit order; an entry from a
 * slow transaction simply joins a later round. mp_audit_verify() recomputes
 * the chain. docs/audit.md describes it for operators.
 *
 * Entry hash: SHA-256 over the mp_buf encoding
 *   string "midpki-audit-v1", u64 seq, string prev_hash (32 bytes; zeros for
 *   seq 1), u64 id, string at, opt tenant_id, string actor_kind, opt actor_id,
 *   string action, string object_type, opt object_id, string details
 * where string is mp_buf_put_string (u32 length + bytes), u64 is big-endian,
 * opt is u8 0 for NULL or u8 1 followed by string; at is the database time
 * in UTC as "YYYY-MM-DDTHH:MM:SS.ffffffZ" and details the jsonb text form.
 */
#ifndef MP_AUDIT_H
#define MP_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db.h"

/* Who acts: kind "user", "system" or "device", its id, and its tenant (may be NULL). */
typedef struct mp_actor {
	const char *kind;
	const char *id;
	const char *tenant_id;
} mp_actor;

#define MP_AUDIT_HASH_LEN 32
/* The largest details object, as compact JSON text. */
#define MP_AUDIT_MAX_DETAILS 65536

/* One entry's hashed fields; the optional ones may be NULL. */
typedef struct mp_audit_entry {
	uint64_t seq;
	uint8_t prev_hash[MP_AUDIT_HASH_LEN];
	uint64_t id;
	const char *at;
	const char *tenant_id;
	const char *actor_kind;
	const char *actor_id;
	const char *action;
	const char *object_type;
	const char *object_id;
	const char *details;
} mp_audit_entry;

/* Computes e's chain hash as described above. MP_ERR_INVALID when a required field is NULL. */
int mp_audit_hash(const mp_audit_entry *e, uint8_t out[MP_AUDIT_HASH_LEN]);

/*
 * Records that actor did action on (object_type, object_id) with details (a
 * JSON object or NULL for {}; not consumed), in actor->tenant_id's log. Meant
 * to run inside the transaction that makes the change.
 */
int mp_audit_write(mp_db *db, const mp_actor *actor, const char *action,
    const char *object_type, const char *object_id, json_t *details);

/*
 * For a change made by one data-modifying statement: its last step appends the
 * audit row from what an earlier step returned, as
 * MP_AUDIT_INSERT " SELECT tenant_id, actor_kind, actor_id, action, object_type,
 * object_id, details FROM ...", with details from mp_audit_details_text.
 */
#define MP_AUDIT_INSERT "INSERT INTO audit (tenant_id, actor_kind, actor_id, action," \
	" object_type, object_id, details)"

/*
 * details (an object, or NULL for {}) as the audit row keeps it: compact
 * JSON with sorted keys, in a new string. MP_ERR_INVALID for a non-object,
 * MP_ERR_TOO_LARGE beyond MP_AUDIT_MAX_DETAILS.
 */
int mp_audit_details_text(json_t *details, char **out);

/* mp_audit_write into tenant_id's log (NULL: platform-wide), e.g. a platform admin acting in a tenant. */
int mp_audit_write_in(mp_db *db, const mp_actor *actor, const char *tenant_id,
    const char *action, const char *object_type, const char *object_id, json_t *details);

/*
 * Seals up to max_rows unsealed entries, oldest id first, in one transaction.
 * When another instance is sealing right now, does nothing. Sets *sealed (may
 * be NULL) to the number sealed.
 */
int mp_audit_seal(mp_db *db, unsigned max_rows, unsigned *sealed);

/*
 * Walks the sealed chain by seq in batches, recomputing every hash and checking
 * the seq sequence and prev_hash links. MP_OK with *checked = entries checked,
 * or MP_ERR_INTEGRITY with *checked = entries found good before the first bad
 * one, *bad_seq = its seq and a message in err such as "entry seq 17 (id 23):
 * hash does not match its content". Unsealed entries are not checked; a cut
 * at the end of the chain is only visible against a head recorded elsewhere
 * (see mp_audit_head).
 */
int mp_audit_verify(mp_db *db, uint64_t *checked, uint64_t *bad_seq, char *err, size_t errsz);

/*
 * The last sealed entry's seq and hash (lower-case hex, 65 bytes with NUL);
 * seq 0 and an empty string when nothing is sealed. Recording it outside the
 * database lets a later verify detect entries cut from the end.
 */
int mp_audit_head(mp_db *db, uint64_t *seq, char hash_hex[2 * MP_AUDIT_HASH_LEN + 1]);

#endif
