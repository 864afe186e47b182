/* ca_shared: the commit batcher and the signer cache of one process. */
#include "ca_priv.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "monotime.h"

/* One cached CA: ref as seen from tenant ("" for any). */
struct cached_signer {
	char *tenant;
	char *ref;
	uint64_t at_ms;
	ca_signer signer;
	struct cached_signer *next;
};

struct ca_shared {
	mp_db_batch *batch;
	mp_db_batch *device_batch;
	pthread_mutex_t lock;
	struct cached_signer *signers;
};

ca_shared *
ca_shared_new(void)
{
	ca_shared *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s);
		return NULL;
	}
	if ((s->batch = ca_issue_batch_new()) == NULL ||
	    (s->device_batch = ca_device_batch_new()) == NULL) {
		ca_shared_free(s);
		return NULL;
	}
	return s;
}

static void
cached_free(struct cached_signer *c)
{
	ca_signer_clear(&c->signer);
	free(c->tenant);
	free(c->ref);
	free(c);
}

void
ca_shared_free(ca_shared *s)
{
	struct cached_signer *c, *next;

	if (s == NULL)
		return;
	for (c = s->signers; c != NULL; c = next) {
		next = c->next;
		cached_free(c);
	}
	mp_db_batch_free(s->batch);
	mp_db_batch_free(s->device_batch);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

mp_db_batch *
ca_shared_batch(ca_shared *s)
{
	return s->batch;
}

mp_db_batch *
ca_shared_device_batch(ca_shared *s)
{
	return s->device_batch;
}

int
ca_shared_signer_get(ca_shared *s, const char *tenant_id, const char *ref, ca_signer *out)
{
	const char *tenant = tenant_id != NULL ? tenant_id : "";
	uint64_t now = mp_monotonic_ms();
	struct cached_signer *c;
	int r = MP_ERR_NOT_FOUND;

	pthread_mutex_lock(&s->lock);
	for (c = s->signers; c != NULL; c = c->next)
		if (strcmp(c->tenant, tenant) == 0 && strcmp(c->ref, ref) == 0)
			break;
	if (c != NULL && now - c->at_ms < CA_SIGNER_CACHE_MS)
		r = ca_signer_copy(&c->signer, out);
	pthread_mutex_unlock(&s->lock);
	return r;
}

void
ca_shared_signer_put(ca_shared *s, const char *tenant_id, const char *ref,
    const ca_signer *signer)
{
	const char *tenant = tenant_id != NULL ? tenant_id : "";
	struct cached_signer *c, **pp;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->at_ms = mp_monotonic_ms();
	if ((c->tenant = strdup(tenant)) == NULL || (c->ref = strdup(ref)) == NULL ||
	    ca_signer_copy(signer, &c->signer) != MP_OK) {
		cached_free(c);
		return;
	}
	pthread_mutex_lock(&s->lock);
	/* the new entry replaces an expired one of the same CA */
	for (pp = &s->signers; *pp != NULL; pp = &(*pp)->next) {
		if (strcmp((*pp)->tenant, tenant) == 0 && strcmp((*pp)->ref, ref) == 0) {
			struct cached_signer *old = *pp;

			*pp = old->next;
			cached_free(old);
			break;
		}
	}
	c->next = s->signers;
	s->signers = c;
	pthread_mutex_unlock(&s->lock);
}
