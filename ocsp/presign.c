#include "presign.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "buf.h"
#include "ca.h"
#include "codec.h"
#include "crl_service.h"
#include "err.h"
#include "log.h"
#include "monotime.h"
#include "num.h"
#include "request.h"
#include "response.h"
#include "secure.h"

#define SIGNER_CHECK_DEFAULT_MS (5 * 60 * 1000)
/* The shortest signer check interval, so that a CA is read at most once a second. */
#define SIGNER_CHECK_MIN_MS 1000
/* When an active CA has no usable signer (it is being renewed), its certificates wait this long. */
#define NO_SIGNER_RETRY_MS 60000
#define RENEW_MIN_S (7 * 86400LL)
#define BATCH_MAX 10000
/* The text of one batch's arrays: about 1 KiB per certificate. */
#define ARRAY_MAX (64u << 20)
/* CAs read between two batches at most; more wait for the next round. */
#define MISSING_MAX 64
/* Due 'infinity': never again. */
#define DUE_NEVER INT64_MIN

/* A CA as the signer needs it: its CertID hashes and its current delegated signer. */
struct ca_entry {
	char id[MP_UUID_STR_LEN + 1];
	uint64_t loaded_ms;
	bool stale;
	int state; /* MP_OK when signer is usable, else why there is none */
	bool retired;
	uint8_t name1[20], key1[20], name256[32], key256[32];
	ca_service_cert signer;
	uint8_t responder[20]; /* SHA-1 of the signer's public key */
};

struct ocsp_presign {
	char *conninfo;
	char *public_url;
	uint64_t connect_timeout_ms;
	mp_keystore *ks;
	int64_t validity_s;
	uint64_t validity_ms, refresh_ms, check_ms;
	int64_t renew_s;
	unsigned batch;
	uint64_t rng;
	struct ca_entry *cas;
	size_t ncas, cap;
	atomic_bool stopping;
	/* the thread, when started, and what only it touches */
	bool threaded;
	pthread_t thread;
	int wake[2];
	mp_db *db;
	bool listening, db_down_logged, failing, woken;
	uint64_t retry_ms, next_check_ms;
};

int64_t
ocsp_presign_renew_before_s(uint64_t response_validity_ms)
{
	int64_t twice = (int64_t)(response_validity_ms / 1000) * 2;

	return twice > RENEW_MIN_S ? twice : RENEW_MIN_S;
}

/* xorshift64*: the jitter of due times, which needs spread, not secrecy. */
static uint64_t
next_random(ocsp_presign *p)
{
	p->rng ^= p->rng >> 12;
	p->rng ^= p->rng << 25;
	p->rng ^= p->rng >> 27;
	return p->rng * 0x2545f4914f6cdd1dULL;
}

static struct ca_entry *
entry_find(ocsp_presign *p, const char *id)
{
	for (size_t i = 0; i < p->ncas; i++)
		if (strcmp(p->cas[i].id, id) == 0)
			return &p->cas[i];
	return NULL;
}

/* True when the entry of CA id must be read (again) before it signs. */
static bool
entry_needs_load(ocsp_presign *p, const char *id)
{
	const struct ca_entry *e = entry_find(p, id);

	return e == NULL || e->stale || mp_monotonic_ms() - e->loaded_ms >= p->check_ms;
}

/* The CA certificate of a CA object (ca_get). */
static X509 *
ca_object_cert(const json_t *ca)
{
	const char *pem = json_string_value(json_object_get(ca, "certificate_pem"));
	BIO *b;
	X509 *x;

	if (pem == NULL || (b = BIO_new_mem_buf(pem, -1)) == NULL)
		return NULL;
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (x == NULL)
		ERR_clear_error();
	return x;
}

/*
 * Reads CA e->id into e: its CertID hashes and its signer (made or renewed
 * by ca_ocsp_signer_get). e->state says whether it can sign.
 */
static int
entry_load(ocsp_presign *p, mp_db *db, struct ca_entry *e)
{
	ca_env env = { db, p->ks, p->public_url, "software", NULL };
	uint8_t name[OCSP_HASH_MAX], key[OCSP_HASH_MAX];
	json_t *ca = NULL;
	const char *status;
	X509 *cert = NULL;
	size_t len;
	int r;

	ca_service_cert_clear(&e->signer);
	e->loaded_ms = mp_monotonic_ms();
	e->stale = false;
	if ((r = ca_get(db, NULL, e->id, &ca)) != MP_OK)
		goto out;
	if ((cert = ca_object_cert(ca)) == NULL) {
		r = MP_ERR_INTEGRITY;
		goto out;
	}
	status = json_string_value(json_object_get(ca, "status"));
	e->retired = status == NULL || strcmp(status, "active") != 0;
	if ((r = ocsp_issuer_hashes(cert, OCSP_HASH_SHA1, name, key, &len)) != MP_OK)
		goto out;
	memcpy(e->name1, name, sizeof(e->name1));
	memcpy(e->key1, key, sizeof(e->key1));
	if ((r = ocsp_issuer_hashes(cert, OCSP_HASH_SHA256, name, key, &len)) != MP_OK)
		goto out;
	memcpy(e->name256, name, sizeof(e->name256));
	memcpy(e->key256, key, sizeof(e->key256));
	if ((r = ca_ocsp_signer_get(&env, e->id, p->renew_s, &e->signer)) != MP_OK)
		goto out;
	if ((r = ocsp_issuer_hashes(e->signer.cert, OCSP_HASH_SHA1, name, key, &len)) != MP_OK) {
		ca_service_cert_clear(&e->signer);
		goto out;
	}
	memcpy(e->responder, key, sizeof(e->responder));
out:
	e->state = r;
	X509_free(cert);
	json_decref(ca);
	return r;
}

/* The entry of CA id, read now; NULL on ENOMEM. */
static struct ca_entry *
entry_get(ocsp_presign *p, mp_db *db, const char *id)
{
	struct ca_entry *e = entry_find(p, id);

	if (e == NULL) {
		if (p->ncas == p->cap) {
			size_t cap = p->cap != 0 ? p->cap * 2 : 8;
			struct ca_entry *n = realloc(p->cas, cap * sizeof(*n));

			if (n == NULL)
				return NULL;
			p->cas = n;
			p->cap = cap;
		}
		e = &p->cas[p->ncas++];
		memset(e, 0, sizeof(*e));
		snprintf(e->id, sizeof(e->id), "%s", id);
	}
	entry_load(p, db, e);
	return e;
}

/* An RFC 5280 CRLReason name as its code, -1 for none. */
static int
reason_code(const char *name)
{
	static const char *const names[] = { "unspecified", "keyCompromise", "cACompromise",
		"affiliationChanged", "superseded", "cessationOfOperation", "certificateHold", NULL,
		"removeFromCRL", "privilegeWithdrawn", "aACompromise" };

	for (int i = 0; name != NULL && i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* A PostgreSQL array literal being written: "{a,b,...}". */
struct arr {
	mp_buf *b;
	size_t n;
};

static int
arr_open(struct arr *a)
{
	a->n = 0;
	if ((a->b = mp_buf_new(ARRAY_MAX)) == NULL)
		return MP_ERR_NOMEM;
	return mp_buf_put_u8(a->b, '{');
}

static int
arr_sep(struct arr *a)
{
	return a->n++ > 0 ? mp_buf_put_u8(a->b, ',') : MP_OK;
}

/* Adds s, which needs no quoting (hex, a uuid, a number, NULL). */
static int
arr_add(struct arr *a, const char *s)
{
	int r;

	if ((r = arr_sep(a)) != MP_OK)
		return r;
	return mp_buf_put_str(a->b, s);
}

static int
arr_hex(struct arr *a, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char chunk[256];
	size_t k = 0;
	int r;

	if ((r = arr_sep(a)) != MP_OK)
		return r;
	for (size_t i = 0; i < n; i++) {
		chunk[k++] = digits[p[i] >> 4];
		chunk[k++] = digits[p[i] & 0x0f];
		if (k == sizeof(chunk) || i + 1 == n) {
			if ((r = mp_buf_put(a->b, chunk, k)) != MP_OK)
				return r;
			k = 0;
		}
	}
	return MP_OK;
}

static const char *
arr_close(struct arr *a)
{
	return mp_buf_put_u8(a->b, '}') == MP_OK ? mp_buf_str(a->b) : NULL;
}

/* What one batch collects, committed together. */
struct batch {
	ocsp_presign *p;
	size_t taken, signed_n;
	char missing[MISSING_MAX][MP_UUID_STR_LEN + 1];
	size_t nmissing;
	struct arr ca, serial, signer, core1, core256, this_up, next_up; /* per signed certificate */
	struct arr id, due;                                               /* per taken certificate */
	struct arr payloads;                                              /* notifications */
	mp_buf *payload;                                                  /* the one being filled */
};

static void
batch_clear(struct batch *b)
{
	struct arr *all[] = { &b->ca, &b->serial, &b->signer, &b->core1, &b->core256, &b->this_up,
		&b->next_up, &b->id, &b->due, &b->payloads };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		mp_buf_free(all[i]->b);
		all[i]->b = NULL;
		all[i]->n = 0;
	}
	mp_buf_free(b->payload);
	b->payload = NULL;
	b->taken = b->signed_n = b->nmissing = 0;
}

static int
batch_open(struct batch *b)
{
	struct arr *all[] = { &b->ca, &b->serial, &b->signer, &b->core1, &b->core256, &b->this_up,
		&b->next_up, &b->id, &b->due, &b->payloads };
	int r;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if ((r = arr_open(all[i])) != MP_OK)
			return r;
	if ((b->payload = mp_buf_new(OCSP_NOTIFY_MAX)) == NULL)
		return MP_ERR_NOMEM;
	return MP_OK;
}

/* Moves the payload being filled into the payloads array (quoted: it holds spaces). */
static int
payload_flush(struct batch *b)
{
	int r;

	if (mp_buf_len(b->payload) == 0)
		return MP_OK;
	if ((r = arr_sep(&b->payloads)) != MP_OK ||
	    (r = mp_buf_put_u8(b->payloads.b, '"')) != MP_OK ||
	    (r = mp_buf_put(b->payloads.b, mp_buf_ptr(b->payload), mp_buf_len(b->payload))) !=
	    MP_OK || (r = mp_buf_put_u8(b->payloads.b, '"')) != MP_OK)
		return r;
	mp_buf_reset(b->payload);
	return MP_OK;
}

/* Adds "<ca id>:<serial hex>" to the notifications. */
static int
payload_add(struct batch *b, const char *ca_id, const char *serial_hex)
{
	size_t need = strlen(ca_id) + 1 + strlen(serial_hex);
	int r;

	if (mp_buf_len(b->payload) > 0 && mp_buf_len(b->payload) + 1 + need > OCSP_NOTIFY_MAX &&
	    (r = payload_flush(b)) != MP_OK)
		return r;
	if (mp_buf_len(b->payload) > 0 && (r = mp_buf_put_u8(b->payload, ' ')) != MP_OK)
		return r;
	return mp_buf_putf(b->payload, "%s:%s", ca_id, serial_hex);
}

/* The serial's hex text as INTEGER contents. */
static int
serial_bytes(const char *hex, uint8_t out[OCSP_SERIAL_MAX], size_t *len)
{
	size_t n = strlen(hex);
	int hi, lo;

	if (n == 0 || n % 2 != 0 || n / 2 > OCSP_SERIAL_MAX)
		return MP_ERR_INVALID;
	for (size_t i = 0; i < n / 2; i++) {
		if ((hi = mp_hex_digit(hex[2 * i])) < 0 || (lo = mp_hex_digit(hex[2 * i + 1])) < 0)
			return MP_ERR_INVALID;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return MP_OK;
}

/* The core of the response about one CertID hash. */
static int
sign_one(const struct ca_entry *e, ocsp_hash h, const uint8_t *serial, size_t serial_len,
    ocsp_single *s, int64_t now, uint8_t **core, size_t *core_len)
{
	uint8_t buf[OCSP_CERTID_MAX];
	ocsp_certid id;
	int r;

	if ((r = ocsp_certid_make(h, h == OCSP_HASH_SHA1 ? e->name1 : e->name256,
	    h == OCSP_HASH_SHA1 ? e->key1 : e->key256, serial, serial_len, buf, &id)) != MP_OK)
		return r;
	s->id = &id;
	r = ocsp_core_sign(e->signer.key, e->responder, now, s, 1, NULL, 0, core, core_len);
	s->id = NULL;
	return r;
}

/*
 * Signs the responses of one certificate (row of the due query) into the
 * batch's arrays; sets *due_ms to when it is next due (DUE_NEVER: never).
 */
static int
sign_cert(struct batch *b, const PGresult *res, int row, const struct ca_entry *e, int64_t now,
    int64_t *due_ms)
{
	ocsp_presign *p = b->p;
	const char *ca_id = mp_db_value(res, row, 1), *serial_hex = mp_db_value(res, row, 2);
	const char *revoked = mp_db_value(res, row, 3), *reason = mp_db_value(res, row, 4);
	uint8_t serial[OCSP_SERIAL_MAX], *c1 = NULL, *c256 = NULL;
	size_t serial_len, l1, l256;
	uint64_t not_after, revoked_at = 0, latest, window;
	ocsp_single s = { 0 };
	char num[24];
	int64_t next;
	int r;

	if (mp_parse_u64(mp_db_value(res, row, 5), INT64_MAX, &not_after) != MP_OK ||
	    (revoked != NULL && mp_parse_u64(revoked, INT64_MAX, &revoked_at) != MP_OK) ||
	    serial_bytes(serial_hex, serial, &serial_len) != MP_OK) {
		*due_ms = DUE_NEVER;
		return MP_OK;
	}
	if (e->state != MP_OK) {
		*due_ms = e->state == MP_ERR_UNSUPPORTED || e->state == MP_ERR_NOT_FOUND ? DUE_NEVER :
		    now * 1000 + NO_SIGNER_RETRY_MS;
		return MP_OK;
	}
	/* past notAfter by a whole validity: no one needs its status any more */
	if ((int64_t)not_after <= now - p->validity_s) {
		*due_ms = DUE_NEVER;
		return MP_OK;
	}
	next = now + p->validity_s < e->signer.not_after ? now + p->validity_s : e->signer.not_after;
	if ((next - now) * 1000 <= (int64_t)p->refresh_ms) {
		/* the signer ends too soon: a retired CA's signs no more, an active CA's is renewed */
		*due_ms = e->retired ? DUE_NEVER : now * 1000 + NO_SIGNER_RETRY_MS;
		return MP_OK;
	}
	s.status = revoked != NULL ? OCSP_REVOKED : OCSP_GOOD;
	s.revoked_at = (int64_t)revoked_at;
	s.reason = revoked != NULL ? reason_code(reason) : -1;
	s.this_update = now;
	s.next_update = next;
	if ((r = sign_one(e, OCSP_HASH_SHA1, serial, serial_len, &s, now, &c1, &l1)) != MP_OK ||
	    (r = sign_one(e, OCSP_HASH_SHA256, serial, serial_len, &s, now, &c256, &l256)) != MP_OK) {
		if (r == MP_ERR_INVALID) {
			/* a serial or time no response can carry */
			*due_ms = DUE_NEVER;
			r = MP_OK;
		}
		goto out;
	}
	if ((r = arr_add(&b->ca, ca_id)) != MP_OK || (r = arr_add(&b->serial, serial_hex)) != MP_OK ||
	    (r = arr_add(&b->signer, e->signer.id)) != MP_OK ||
	    (r = arr_hex(&b->core1, c1, l1)) != MP_OK ||
	    (r = arr_hex(&b->core256, c256, l256)) != MP_OK)
		goto out;
	snprintf(num, sizeof(num), "%lld", (long long)now);
	if ((r = arr_add(&b->this_up, num)) != MP_OK)
		goto out;
	snprintf(num, sizeof(num), "%lld", (long long)next);
	if ((r = arr_add(&b->next_up, num)) != MP_OK ||
	    (r = payload_add(b, ca_id, serial_hex)) != MP_OK)
		goto out;
	/*
	 * refresh_before before nextUpdate, less up to half of it at random, but
	 * never earlier than halfway to that point (so never due at once again)
	 */
	latest = (uint64_t)(next - now) * 1000 - p->refresh_ms;
	window = p->refresh_ms / 2 < latest / 2 ? p->refresh_ms / 2 : latest / 2;
	*due_ms = now * 1000 + (int64_t)(latest - next_random(p) % (window + 1));
	b->signed_n++;
	r = MP_OK;
out:
	free(c1);
	free(c256);
	return r;
}

/* The certificates due now, oldest due first, locked; those other signers hold are skipped. */
static const char due_sql[] =
    "SELECT id, ca_id, encode(serial, 'hex'), floor(extract(epoch FROM revoked_at))::bigint,"
    " reason, floor(extract(epoch FROM not_after))::bigint FROM certificates"
    " WHERE ocsp_due_at <= now() ORDER BY ocsp_due_at LIMIT $1::int FOR UPDATE SKIP LOCKED";

/* Both responses of every signed certificate, new or replacing the ones before. */
static const char upsert_sql[] =
    "INSERT INTO ocsp_responses (ca_id, serial, hash, signer_id, core, this_update, next_update)"
    " SELECT u.ca_id, decode(u.serial, 'hex'), h.hash, u.signer_id, decode(h.core, 'hex'),"
    " to_timestamp(u.tu), to_timestamp(u.nu)"
    " FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::bigint[],"
    " $7::bigint[]) AS u(ca_id, serial, signer_id, c1, c256, tu, nu)"
    " CROSS JOIN LATERAL (VALUES ('sha1', u.c1), ('sha256', u.c256)) AS h(hash, core)"
    " ON CONFLICT (ca_id, serial, hash) DO UPDATE SET signer_id = excluded.signer_id,"
    " core = excluded.core, this_update = excluded.this_update,"
    " next_update = excluded.next_update";

/* Each taken certificate's next due time (milliseconds; NULL: never). */
static const char due_update_sql[] =
    "UPDATE certificates c SET ocsp_due_at = coalesce(to_timestamp(u.due / 1000.0), 'infinity')"
    " FROM unnest($1::uuid[], $2::bigint[]) AS u(id, due) WHERE c.id = u.id";

static const char notify_sql[] =
    "SELECT pg_notify('" CA_OCSP_CHANNEL "', p) FROM unnest($1::text[]) AS p";

/*
 * One batch in one transaction. When a due certificate's CA must be read
 * first, takes nothing, names the CAs in b->missing and commits nothing.
 */
static int
batch_txn(mp_db *db, void *arg)
{
	struct batch *b = arg;
	ocsp_presign *p = b->p;
	char limit[16];
	const char *params[1] = { limit };
	int64_t now = (int64_t)time(NULL);
	PGresult *res = NULL;
	int r;

	batch_clear(b);
	if ((r = batch_open(b)) != MP_OK)
		goto out;
	snprintf(limit, sizeof(limit), "%u", p->batch);
	/*
	 * A batch lost in a crash loses its due times with it, so its
	 * certificates are signed again: no need to wait for the disk.
	 */
	if ((r = mp_db_exec(db, "SET LOCAL synchronous_commit = off")) != MP_OK ||
	    (r = mp_db_query(db, due_sql, 1, params, &res)) != MP_OK)
		goto out;
	for (int i = 0; i < PQntuples(res); i++) {
		const char *ca_id = mp_db_value(res, i, 1);
		bool listed = false;

		if (!entry_needs_load(p, ca_id))
			continue;
		for (size_t k = 0; k < b->nmissing && !listed; k++)
			listed = strcmp(b->missing[k], ca_id) == 0;
		if (!listed && b->nmissing < MISSING_MAX)
			snprintf(b->missing[b->nmissing++], MP_UUID_STR_LEN + 1, "%s", ca_id);
	}
	if (b->nmissing > 0) {
		r = MP_OK;
		goto out;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		int64_t due = DUE_NEVER;
		char num[24];

		if ((r = sign_cert(b, res, i, entry_find(p, mp_db_value(res, i, 1)), now, &due)) !=
		    MP_OK)
			goto out;
		if (due == DUE_NEVER)
			snprintf(num, sizeof(num), "NULL");
		else
			snprintf(num, sizeof(num), "%lld", (long long)due);
		if ((r = arr_add(&b->id, mp_db_value(res, i, 0))) != MP_OK ||
		    (r = arr_add(&b->due, num)) != MP_OK)
			goto out;
		b->taken++;
	}
	if (b->taken == 0) {
		r = MP_OK;
		goto out;
	}
	if (b->signed_n > 0) {
		const char *up[7] = { arr_close(&b->ca), arr_close(&b->serial), arr_close(&b->signer),
			arr_close(&b->core1), arr_close(&b->core256), arr_close(&b->this_up),
			arr_close(&b->next_up) };

		for (size_t k = 0; k < 7; k++)
			if (up[k] == NULL) {
				r = MP_ERR_TOO_LARGE;
				goto out;
			}
		if ((r = mp_db_query(db, upsert_sql, 7, up, NULL)) != MP_OK)
			goto out;
	}
	{
		const char *dp[2] = { arr_close(&b->id), arr_close(&b->due) };

		if (dp[0] == NULL || dp[1] == NULL) {
			r = MP_ERR_TOO_LARGE;
			goto out;
		}
		if ((r = mp_db_query(db, due_update_sql, 2, dp, NULL)) != MP_OK)
			goto out;
	}
	if (b->signed_n > 0) {
		const char *np[1];

		if ((r = payload_flush(b)) != MP_OK)
			goto out;
		if ((np[0] = arr_close(&b->payloads)) == NULL) {
			r = MP_ERR_TOO_LARGE;
			goto out;
		}
		if ((r = mp_db_query(db, notify_sql, 1, np, NULL)) != MP_OK)
			goto out;
	}
	r = MP_OK;
out:
	PQclear(res);
	return r;
}

int
ocsp_presign_run_once(ocsp_presign *p, mp_db *db, size_t *signed_out)
{
	struct batch b = { .p = p };
	size_t total = 0;
	int r = MP_OK;

	while (!atomic_load(&p->stopping)) {
		if ((r = mp_db_txn(db, batch_txn, &b)) != MP_OK)
			break;
		if (b.nmissing > 0) {
			for (size_t i = 0; i < b.nmissing; i++)
				if (entry_get(p, db, b.missing[i]) == NULL) {
					r = MP_ERR_NOMEM;
					goto out;
				}
			continue;
		}
		total += b.signed_n;
		if (b.taken < p->batch)
			break;
	}
out:
	batch_clear(&b);
	if (r == MP_OK && signed_out != NULL)
		*signed_out = total;
	return r;
}

int
ocsp_presign_renew_signers(ocsp_presign *p, mp_db *db, unsigned *made)
{
	ca_env env = { db, p->ks, p->public_url, "software", NULL };

	for (size_t i = 0; i < p->ncas; i++)
		p->cas[i].stale = true;
	return ca_ocsp_signers_ensure(&env, p->renew_s, made);
}

static void
presign_free(ocsp_presign *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->ncas; i++)
		ca_service_cert_clear(&p->cas[i].signer);
	free(p->cas);
	if (p->wake[0] >= 0)
		close(p->wake[0]);
	if (p->wake[1] >= 0)
		close(p->wake[1]);
	free(p->conninfo);
	free(p->public_url);
	free(p);
}

int
ocsp_presign_new(const ocsp_presign_config *cfg, ocsp_presign **out)
{
	ocsp_presign *p = NULL;
	int r = MP_ERR_NOMEM;

	if (cfg->ks == NULL || cfg->response_validity_ms < 1000 ||
	    cfg->refresh_before_ms >= cfg->response_validity_ms || cfg->batch > BATCH_MAX)
		return MP_ERR_INVALID;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto out;
	p->wake[0] = p->wake[1] = -1;
	p->connect_timeout_ms = cfg->connect_timeout_ms;
	p->ks = cfg->ks;
	p->validity_ms = cfg->response_validity_ms;
	p->validity_s = (int64_t)(cfg->response_validity_ms / 1000);
	p->refresh_ms = cfg->refresh_before_ms;
	p->check_ms = cfg->signer_check_ms != 0 ? cfg->signer_check_ms : SIGNER_CHECK_DEFAULT_MS;
	if (p->check_ms < SIGNER_CHECK_MIN_MS)
		p->check_ms = SIGNER_CHECK_MIN_MS;
	p->renew_s = cfg->signer_renew_before_s != 0 ? cfg->signer_renew_before_s :
	    ocsp_presign_renew_before_s(cfg->response_validity_ms);
	p->batch = cfg->batch != 0 ? cfg->batch : OCSP_PRESIGN_BATCH;
	atomic_init(&p->stopping, false);
	if ((r = mp_random_bytes(&p->rng, sizeof(p->rng))) != MP_OK)
		goto out;
	p->rng |= 1;
	r = MP_ERR_NOMEM;
	if ((p->conninfo = strdup(cfg->conninfo != NULL ? cfg->conninfo : "")) == NULL ||
	    (p->public_url = strdup(cfg->public_url != NULL ? cfg->public_url : "")) == NULL)
		goto out;
	*out = p;
	p = NULL;
	r = MP_OK;
out:
	presign_free(p);
	return r;
}

/* A lost connection: the next round reconnects (spaced by mp_db) and LISTENs again. */
static void
lost(ocsp_presign *p)
{
	if (!p->db_down_logged)
		mp_warn("OCSP signer: database unavailable: %s", mp_db_errmsg(p->db));
	p->db_down_logged = true;
	p->listening = false;
}

/* A status change: sign at once. A new signer (here or elsewhere): read the CAs again. */
static void
on_notify(const char *channel, const char *payload, void *arg)
{
	ocsp_presign *p = arg;

	if (strcmp(channel, CA_CRL_CHANNEL) == 0) {
		p->woken = true;
	} else if (strcmp(channel, CA_OCSP_CHANNEL) == 0 && strcmp(payload, "*") == 0) {
		for (size_t i = 0; i < p->ncas; i++)
			p->cas[i].stale = true;
	}
}

/* Connects and LISTENs when not yet done; true when notifications can be received. */
static bool
ensure_listening(ocsp_presign *p)
{
	char err[512];

	if (p->listening)
		return true;
	if (p->db == NULL) {
		if (mp_monotonic_ms() < p->retry_ms)
			return false;
		if (mp_db_connect(p->conninfo, p->connect_timeout_ms, &p->db, err, sizeof(err)) !=
		    MP_OK) {
			if (!p->db_down_logged)
				mp_warn("OCSP signer: cannot connect to the database: %s", err);
			p->db_down_logged = true;
			p->retry_ms = mp_monotonic_ms() + MP_DB_RETRY_MS;
			return false;
		}
	}
	if (mp_db_exec(p->db, "LISTEN " CA_CRL_CHANNEL "; LISTEN " CA_OCSP_CHANNEL) != MP_OK) {
		lost(p);
		return false;
	}
	if (p->db_down_logged)
		mp_info("OCSP signer: database reachable again");
	p->db_down_logged = false;
	p->listening = true;
	return true;
}

/* Renews signers when the check interval has passed; logs what failed. */
static void
check_signers(ocsp_presign *p)
{
	unsigned made = 0;
	int r;

	if (mp_monotonic_ms() < p->next_check_ms)
		return;
	p->next_check_ms = mp_monotonic_ms() + p->check_ms;
	if ((r = ocsp_presign_renew_signers(p, p->db, &made)) == MP_ERR_DB_UNAVAILABLE)
		lost(p);
	else if (r != MP_OK)
		mp_warn("OCSP signer: cannot renew the OCSP signers: %s: %s", mp_strerror(r),
		    mp_db_errmsg(p->db));
	if (made > 0)
		mp_info("OCSP signer: %u new OCSP signer certificate(s)", made);
}

/* One round of signing; logs the first of a run of failures and the recovery. */
static void
sign_due(ocsp_presign *p)
{
	size_t n = 0;
	int r;

	p->woken = false;
	if ((r = ocsp_presign_run_once(p, p->db, &n)) == MP_OK) {
		if (p->failing)
			mp_info("OCSP signer: signing again");
		p->failing = false;
		if (n > 0)
			mp_debug("OCSP signer: signed the responses of %zu certificates", n);
		return;
	}
	if (r == MP_ERR_DB_UNAVAILABLE) {
		lost(p);
		return;
	}
	if (!p->failing)
		mp_warn("OCSP signer: cannot sign due responses: %s: %s", mp_strerror(r),
		    mp_db_errmsg(p->db));
	p->failing = true;
}

static void *
run(void *arg)
{
	ocsp_presign *p = arg;
	struct pollfd fds[2];

	while (!atomic_load(&p->stopping)) {
		if (ensure_listening(p) && mp_db_notifications(p->db, on_notify, p) != MP_OK)
			lost(p);
		if (p->listening)
			check_signers(p);
		if (p->listening)
			sign_due(p);
		/* statements may have read notifications into libpq's buffer: look again first */
		if (p->listening && mp_db_notifications(p->db, on_notify, p) != MP_OK)
			lost(p);
		if (p->woken || atomic_load(&p->stopping))
			continue;
		fds[0] = (struct pollfd){ .fd = p->wake[0], .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = p->listening ? mp_db_socket(p->db) : -1,
			.events = POLLIN };
		if (poll(fds, 2, p->listening ? OCSP_PRESIGN_POLL_MS : MP_DB_RETRY_MS) < 0 &&
		    errno != EINTR) {
			mp_error("OCSP signer: poll: %s", strerror(errno));
			break;
		}
	}
	mp_db_close(p->db);
	p->db = NULL;
	return NULL;
}

int
ocsp_presign_start(const ocsp_presign_config *cfg, ocsp_presign **out)
{
	ocsp_presign *p = NULL;
	int r;

	if ((r = ocsp_presign_new(cfg, &p)) != MP_OK)
		return r;
	if (pipe2(p->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		r = MP_ERR_IO;
		goto out;
	}
	if (pthread_create(&p->thread, NULL, run, p) != 0) {
		r = MP_ERR_INTERNAL;
		goto out;
	}
	p->threaded = true;
	*out = p;
	p = NULL;
	r = MP_OK;
out:
	presign_free(p);
	return r;
}

void
ocsp_presign_stop(ocsp_presign *p)
{
	if (p == NULL)
		return;
	if (p->threaded) {
		atomic_store(&p->stopping, true);
		while (write(p->wake[1], "x", 1) < 0 && errno == EINTR)
			;
		pthread_join(p->thread, NULL);
	}
	presign_free(p);
}
