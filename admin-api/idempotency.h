/*
 * Idempotency-Key for POST requests: the first response to a (user, key) pair
 * is stored and replayed on a retry with the same method, path and body. A
 * retry with a different request gets 422 idempotency_key_reused; one that
 * arrives while the first is still being processed gets 409
 * idempotency_key_in_progress. Responses with status 5xx are not stored, so the
 * client may retry them. Keys are kept 24 hours.
 */
#ifndef ADMIN_IDEMPOTENCY_H
#define ADMIN_IDEMPOTENCY_H

#include <stdbool.h>

#include "api.h"

/*
 * Called before the handler of a POST: returns true when the handler should
 * run (no key, or a new key now recorded in c), false when a response has
 * already been sent (a replay, or an error).
 */
bool api_idem_begin(api_call *c);

/* Records the response about to be sent for the key held in c, if any. */
void api_idem_finish(api_call *c, int status, const char *body);

#endif
