#include "responder_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "err.h"

#define NSHARDS 64
/* An estimate of an entry's size, to size the bucket arrays. */
#define ENTRY_ESTIMATE 384
#define MIN_BUCKETS 16
#define MAX_BUCKETS (1u << 20)

struct entry {
	struct entry *hnext;       /* bucket chain */
	struct entry *prev, *next; /* CLOCK ring, oldest first */
	ocsp_signer *signer;
	int64_t this_update, next_update, until, revoked_at;
	uint64_t tag;
	uint64_t hv;
	uint32_t gen;              /* fresh entries: the fresh generation they belong to */
	uint16_t core_len;
	uint8_t ca[16];
	uint8_t serial_len, hash, status, fresh, referenced;
	int8_t reason;
	uint8_t data[];            /* serial, then core */
};

struct shard {
	pthread_mutex_t lock;
	struct entry **buckets;
	size_t mask;
	struct entry *head, *tail; /* the CLOCK ring */
	uint64_t bytes, entries;
};

struct ocsp_cache {
	uint64_t shard_bytes; /* each shard's share of the bound */
	atomic_uint_fast64_t epoch;
	atomic_uint fresh_gen;
	struct shard shards[NSHARDS];
};

/* FNV-1a over the CA and the serial: every hash algorithm of one certificate in one bucket. */
static uint64_t
key_hash(const uint8_t ca[16], const uint8_t *serial, size_t serial_len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < 16; i++)
		h = (h ^ ca[i]) * 0x100000001b3ULL;
	for (size_t i = 0; i < serial_len; i++)
		h = (h ^ serial[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

static size_t
entry_bytes(const struct entry *e)
{
	return sizeof(*e) + e->serial_len + e->core_len;
}

ocsp_cache *
ocsp_cache_new(uint64_t max_bytes)
{
	ocsp_cache *c = calloc(1, sizeof(*c));
	size_t nb = MIN_BUCKETS;
	int i;

	if (c == NULL)
		return NULL;
	c->shard_bytes = max_bytes / NSHARDS;
	while (nb < MAX_BUCKETS && (uint64_t)nb * ENTRY_ESTIMATE < c->shard_bytes)
		nb <<= 1;
	atomic_init(&c->epoch, 0);
	atomic_init(&c->fresh_gen, 0);
	for (i = 0; i < NSHARDS; i++) {
		struct shard *s = &c->shards[i];

		s->mask = nb - 1;
		if (pthread_mutex_init(&s->lock, NULL) != 0)
			break;
		if ((s->buckets = calloc(nb, sizeof(*s->buckets))) == NULL) {
			pthread_mutex_destroy(&s->lock);
			break;
		}
	}
	if (i < NSHARDS) {
		while (i-- > 0) {
			free(c->shards[i].buckets);
			pthread_mutex_destroy(&c->shards[i].lock);
		}
		free(c);
		return NULL;
	}
	return c;
}

static void
entry_free(struct entry *e)
{
	ocsp_signer_unref(e->signer);
	free(e);
}

/* Unlinks e from its bucket (whose chain pointer is at *link) and the ring, and frees it. */
static void
unlink_entry(struct shard *s, struct entry **link, struct entry *e)
{
	*link = e->hnext;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		s->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		s->tail = e->prev;
	s->bytes -= entry_bytes(e);
	s->entries--;
	entry_free(e);
}

/* The chain link that points to e. */
static struct entry **
link_of(struct shard *s, struct entry *e)
{
	struct entry **link = &s->buckets[e->hv >> 6 & s->mask];

	while (*link != e)
		link = &(*link)->hnext;
	return link;
}

static void
shard_clear(struct shard *s)
{
	struct entry *e = s->head, *next;

	for (; e != NULL; e = next) {
		next = e->next;
		entry_free(e);
	}
	memset(s->buckets, 0, (s->mask + 1) * sizeof(*s->buckets));
	s->head = s->tail = NULL;
	s->bytes = s->entries = 0;
}

void
ocsp_cache_free(ocsp_cache *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < NSHARDS; i++) {
		shard_clear(&c->shards[i]);
		free(c->shards[i].buckets);
		pthread_mutex_destroy(&c->shards[i].lock);
	}
	free(c);
}

uint64_t
ocsp_cache_epoch(ocsp_cache *c)
{
	return atomic_load_explicit(&c->epoch, memory_order_acquire);
}

static bool
key_equal(const struct entry *e, uint64_t hv, const uint8_t ca[16], const uint8_t *serial,
    size_t serial_len)
{
	return e->hv == hv && e->serial_len == serial_len && memcmp(e->ca, ca, 16) == 0 &&
	    memcmp(e->data, serial, serial_len) == 0;
}

int
ocsp_cache_get(ocsp_cache *c, const ocsp_cache_key *k, int64_t now, uint8_t *out, size_t cap,
    size_t *len, ocsp_cache_val *val)
{
	uint64_t hv = key_hash(k->ca, k->serial, k->serial_len);
	struct shard *s = &c->shards[hv & (NSHARDS - 1)];
	struct entry **link, *e;
	size_t n = 0;
	int r = MP_ERR_NOT_FOUND;

	pthread_mutex_lock(&s->lock);
	for (link = &s->buckets[hv >> 6 & s->mask]; (e = *link) != NULL; link = &e->hnext)
		if (e->hash == k->hash && key_equal(e, hv, k->ca, k->serial, k->serial_len))
			break;
	if (e == NULL)
		goto out;
	if (now >= e->until || (e->fresh && e->gen != atomic_load_explicit(&c->fresh_gen,
	    memory_order_acquire))) {
		unlink_entry(s, link, e);
		goto out;
	}
	if (out != NULL) {
		n = ocsp_response_assemble(e->data + e->serial_len, e->core_len, e->signer->der,
		    e->signer->der_len, out, cap);
		if (n == 0) {
			r = MP_ERR_TOO_LARGE;
			goto out;
		}
	}
	e->referenced = 1;
	*val = (ocsp_cache_val){ (ocsp_cert_status)e->status, e->reason, e->revoked_at,
		e->this_update, e->next_update, e->until, e->tag, e->fresh != 0 };
	if (len != NULL)
		*len = n;
	r = MP_OK;
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* CLOCK: frees entries from the oldest, sparing once those referenced since, until need fits. */
static void
evict(struct shard *s, uint64_t max, size_t need)
{
	while (s->head != NULL && s->bytes + need > max) {
		struct entry *e = s->head;

		if (e->referenced && e != s->tail) {
			e->referenced = 0;
			s->head = e->next;
			s->head->prev = NULL;
			e->prev = s->tail;
			e->next = NULL;
			s->tail->next = e;
			s->tail = e;
			continue;
		}
		unlink_entry(s, link_of(s, e), e);
	}
}

int
ocsp_cache_put(ocsp_cache *c, const ocsp_cache_key *k, const uint8_t *core, size_t core_len,
    ocsp_signer *signer, const ocsp_cache_val *val, uint64_t epoch)
{
	uint64_t hv = key_hash(k->ca, k->serial, k->serial_len);
	struct shard *s = &c->shards[hv & (NSHARDS - 1)];
	struct entry **link, *e, *n;
	size_t need = sizeof(*n) + k->serial_len + core_len;

	if (need > c->shard_bytes || core_len > UINT16_MAX || k->serial_len == 0 ||
	    k->serial_len > sizeof(k->serial))
		return MP_OK;
	if ((n = malloc(need)) == NULL)
		return MP_ERR_NOMEM;
	memset(n, 0, sizeof(*n));
	n->signer = ocsp_signer_ref(signer);
	n->this_update = val->this_update;
	n->next_update = val->next_update;
	n->until = val->until;
	n->revoked_at = val->revoked_at;
	n->tag = val->tag;
	n->hv = hv;
	n->core_len = (uint16_t)core_len;
	memcpy(n->ca, k->ca, 16);
	n->serial_len = k->serial_len;
	n->hash = k->hash;
	n->status = (uint8_t)val->status;
	n->fresh = val->fresh;
	n->reason = (int8_t)val->reason;
	memcpy(n->data, k->serial, k->serial_len);
	memcpy(n->data + k->serial_len, core, core_len);

	pthread_mutex_lock(&s->lock);
	if (atomic_load_explicit(&c->epoch, memory_order_acquire) != epoch) {
		pthread_mutex_unlock(&s->lock);
		entry_free(n);
		return MP_OK;
	}
	n->gen = atomic_load_explicit(&c->fresh_gen, memory_order_acquire);
	for (link = &s->buckets[hv >> 6 & s->mask]; (e = *link) != NULL; link = &e->hnext)
		if (e->hash == k->hash && key_equal(e, hv, k->ca, k->serial, k->serial_len)) {
			unlink_entry(s, link, e);
			break;
		}
	evict(s, c->shard_bytes, need);
	link = &s->buckets[hv >> 6 & s->mask];
	n->hnext = *link;
	*link = n;
	n->prev = s->tail;
	if (s->tail != NULL)
		s->tail->next = n;
	else
		s->head = n;
	s->tail = n;
	s->bytes += need;
	s->entries++;
	pthread_mutex_unlock(&s->lock);
	return MP_OK;
}

void
ocsp_cache_drop(ocsp_cache *c, const uint8_t ca[16], const uint8_t *serial, size_t serial_len)
{
	uint64_t hv = key_hash(ca, serial, serial_len);
	struct shard *s = &c->shards[hv & (NSHARDS - 1)];
	struct entry **link, *e;

	atomic_fetch_add_explicit(&c->epoch, 1, memory_order_acq_rel);
	pthread_mutex_lock(&s->lock);
	link = &s->buckets[hv >> 6 & s->mask];
	while ((e = *link) != NULL) {
		if (key_equal(e, hv, ca, serial, serial_len))
			unlink_entry(s, link, e);
		else
			link = &e->hnext;
	}
	pthread_mutex_unlock(&s->lock);
}

void
ocsp_cache_drop_all(ocsp_cache *c)
{
	atomic_fetch_add_explicit(&c->epoch, 1, memory_order_acq_rel);
	for (int i = 0; i < NSHARDS; i++) {
		pthread_mutex_lock(&c->shards[i].lock);
		shard_clear(&c->shards[i]);
		pthread_mutex_unlock(&c->shards[i].lock);
	}
}

void
ocsp_cache_fresh_stale(ocsp_cache *c)
{
	atomic_fetch_add_explicit(&c->epoch, 1, memory_order_acq_rel);
	atomic_fetch_add_explicit(&c->fresh_gen, 1, memory_order_acq_rel);
}

void
ocsp_cache_usage(ocsp_cache *c, uint64_t *bytes, uint64_t *entries)
{
	uint64_t b = 0, n = 0;

	for (int i = 0; i < NSHARDS; i++) {
		pthread_mutex_lock(&c->shards[i].lock);
		b += c->shards[i].bytes;
		n += c->shards[i].entries;
		pthread_mutex_unlock(&c->shards[i].lock);
	}
	*bytes = b;
	*entries = n;
}

int
ocsp_core_tag(const uint8_t *core, size_t core_len, uint64_t *tag)
{
	uint8_t md[SHA_DIGEST_LENGTH];
	uint64_t t = 0;

	if (SHA1(core, core_len, md) == NULL)
		return MP_ERR_CRYPTO;
	for (int i = 0; i < 8; i++)
		t = t << 8 | md[i];
	*tag = t;
	return MP_OK;
}
