#include "crl_service.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ca.h"
#include "crl.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "monotime.h"

#define CHECK_DEFAULT_MS 5000
/* At most one delta per CA per this interval, however many changes arrive. */
#define COALESCE_MS 1000
/* CAs remembered for coalescing; beyond it, notifications wait for the schedule. */
#define MAX_TRACKED 4096

/* A CA named by notifications: whether a delta is owed, and when it may be made. */
struct tracked {
	char id[37];
	bool pending;
	uint64_t due_ms;
	uint64_t last_ms;
};

struct ca_crl_service {
	char *conninfo;
	char *public_url;
	uint64_t connect_timeout_ms;
	uint64_t full_ms, delta_ms, check_ms;
	mp_keystore *ks;
	pthread_t thread;
	int wake[2];
	atomic_bool stopping;
	/* owned by the thread */
	mp_db *db;
	bool listening;
	bool db_down_logged;
	uint64_t retry_ms;
	uint64_t next_check_ms;
	struct tracked *cas;
	size_t ncas;
};

/* The query of the schedule: CAs with a key whose full or delta CRL is due. */
static const char due_sql[] =
    "SELECT id, need_full FROM ("
    " SELECT c.id,"
    "  f.ca_id IS NULL OR f.this_update + (f.next_update - f.this_update) / 2 <= now()"
    "   AS need_full,"
    "  d.ca_id IS NULL OR d.base_crl_number IS DISTINCT FROM c.base_crl_number"
    "   OR d.this_update + (d.next_update - d.this_update) / 2 <= now()"
    "   OR EXISTS (SELECT 1 FROM certificates x WHERE x.ca_id = c.id"
    "    AND x.status_changed_at > d.this_update) AS need_delta"
    " FROM cas c LEFT JOIN crls f ON f.ca_id = c.id AND NOT f.delta"
    " LEFT JOIN crls d ON d.ca_id = c.id AND d.delta"
    " WHERE c.key_id IS NOT NULL) due"
    " WHERE need_full OR need_delta ORDER BY id";

/* A lost connection: the next round reconnects (spaced by mp_db) and LISTENs again. */
static void
lost(ca_crl_service *s)
{
	if (!s->db_down_logged)
		mp_warn("CRL service: database unavailable: %s", mp_db_errmsg(s->db));
	s->db_down_logged = true;
	s->listening = false;
}

/* Makes one CRL; logs what went wrong except for CAs that are gone or have no key. */
static int
make(ca_crl_service *s, const char *ca_id, bool delta)
{
	ca_env env = { s->db, s->ks, s->public_url, NULL, NULL };
	uint64_t ms = delta ? s->delta_ms : s->full_ms;
	json_t *out = NULL;
	int r;

	r = ca_crl_generate(&env, ca_id, delta, (int64_t)(ms / 1000), &out);
	if (r == MP_OK)
		mp_debug("CRL service: %s CRL %lld of CA %s, %lld entries", delta ? "delta" : "full",
		    (long long)json_integer_value(json_object_get(out, "crl_number")), ca_id,
		    (long long)json_integer_value(json_object_get(out, "entries")));
	else if (r == MP_ERR_DB_UNAVAILABLE)
		lost(s);
	else if (r != MP_ERR_NOT_FOUND && r != MP_ERR_UNSUPPORTED && r != MP_ERR_CONFLICT)
		mp_warn("CRL service: cannot make the %s CRL of CA %s: %s: %s",
		    delta ? "delta" : "full", ca_id, mp_strerror(r), mp_db_errmsg(s->db));
	json_decref(out);
	return r;
}

/* A delta, with the full CRL it needs first when the CA has none yet. */
static void
make_delta(ca_crl_service *s, const char *ca_id)
{
	if (make(s, ca_id, true) == MP_ERR_CONFLICT && make(s, ca_id, false) == MP_OK)
		make(s, ca_id, true);
}

static bool
is_uuid(const char *p)
{
	size_t i;

	for (i = 0; p[i] != '\0'; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (p[i] != '-')
				return false;
		} else if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) {
			return false;
		}
	}
	return i == 36;
}

/* The slot for id: found, new, or the idle one used longest ago; NULL when all are busy. */
static struct tracked *
slot_for(ca_crl_service *s, const char *id)
{
	struct tracked *idle = NULL;

	for (size_t i = 0; i < s->ncas; i++) {
		if (strcmp(s->cas[i].id, id) == 0)
			return &s->cas[i];
		if (!s->cas[i].pending && (idle == NULL || s->cas[i].last_ms < idle->last_ms))
			idle = &s->cas[i];
	}
	if (s->ncas < MAX_TRACKED)
		idle = &s->cas[s->ncas++];
	else if (idle == NULL)
		return NULL;
	memset(idle, 0, sizeof(*idle));
	memcpy(idle->id, id, sizeof(idle->id));
	return idle;
}

/* A revocation change of CA payload: owe it a delta, no sooner than a second after the last. */
static void
on_notify(const char *channel, const char *payload, void *arg)
{
	ca_crl_service *s = arg;
	struct tracked *t;
	uint64_t now = mp_monotonic_ms();

	if (strcmp(channel, CA_CRL_CHANNEL) != 0 || !is_uuid(payload))
		return;
	if ((t = slot_for(s, payload)) == NULL || t->pending)
		return;
	t->pending = true;
	t->due_ms = t->last_ms != 0 && t->last_ms + COALESCE_MS > now ? t->last_ms + COALESCE_MS :
	    now;
}

/* Makes the deltas that are due; true when it made any. */
static bool
run_pending(ca_crl_service *s)
{
	bool worked = false;

	for (size_t i = 0; i < s->ncas && s->listening && !atomic_load(&s->stopping); i++) {
		struct tracked *t = &s->cas[i];

		if (!t->pending || t->due_ms > mp_monotonic_ms())
			continue;
		t->pending = false;
		t->last_ms = mp_monotonic_ms();
		make_delta(s, t->id);
		worked = true;
	}
	return worked;
}

/* The schedule: every CA whose full or delta CRL is missing, stale or due for renewal. */
static void
run_schedule(ca_crl_service *s)
{
	PGresult *res = NULL;
	int r;

	if ((r = mp_db_query(s->db, due_sql, 0, NULL, &res)) != MP_OK) {
		if (r == MP_ERR_DB_UNAVAILABLE)
			lost(s);
		else
			mp_warn("CRL service: cannot list due CRLs: %s", mp_db_errmsg(s->db));
		return;
	}
	for (int i = 0; i < PQntuples(res) && s->listening && !atomic_load(&s->stopping); i++) {
		const char *id = mp_db_value(res, i, 0), *full = mp_db_value(res, i, 1);

		if (full != NULL && full[0] == 't' && make(s, id, false) != MP_OK)
			continue;
		make_delta(s, id);
	}
	PQclear(res);
}

/* Connects and LISTENs when not yet done; true when notifications can be received. */
static bool
ensure_listening(ca_crl_service *s)
{
	char err[512];

	if (s->listening)
		return true;
	if (s->db == NULL) {
		if (mp_monotonic_ms() < s->retry_ms)
			return false;
		if (mp_db_connect(s->conninfo, s->connect_timeout_ms, &s->db, err, sizeof(err)) !=
		    MP_OK) {
			if (!s->db_down_logged)
				mp_warn("CRL service: cannot connect to the database: %s", err);
			s->db_down_logged = true;
			s->retry_ms = mp_monotonic_ms() + MP_DB_RETRY_MS;
			return false;
		}
	}
	if (mp_db_exec(s->db, "LISTEN " CA_CRL_CHANNEL) != MP_OK) {
		lost(s);
		return false;
	}
	if (s->db_down_logged)
		mp_info("CRL service: database reachable again");
	s->db_down_logged = false;
	s->listening = true;
	/* changes made while we were away are found by the schedule's staleness test */
	s->next_check_ms = 0;
	return true;
}

/* How long poll() may sleep: until the next check or the next owed delta. */
static int
sleep_ms(const ca_crl_service *s)
{
	uint64_t now = mp_monotonic_ms(), until = s->next_check_ms;

	if (!s->listening)
		return MP_DB_RETRY_MS;
	for (size_t i = 0; i < s->ncas; i++)
		if (s->cas[i].pending && s->cas[i].due_ms < until)
			until = s->cas[i].due_ms;
	return until <= now ? 0 : (int)(until - now);
}

static void *
run(void *arg)
{
	ca_crl_service *s = arg;
	struct pollfd fds[2];
	bool worked;

	while (!atomic_load(&s->stopping)) {
		worked = false;
		if (ensure_listening(s) && mp_db_notifications(s->db, on_notify, s) != MP_OK)
			lost(s);
		if (s->listening)
			worked = run_pending(s);
		if (s->listening && mp_monotonic_ms() >= s->next_check_ms) {
			run_schedule(s);
			s->next_check_ms = mp_monotonic_ms() + s->check_ms;
			worked = true;
		}
		/* statements may have read notifications into libpq's buffer: look again first */
		if (worked)
			continue;
		fds[0] = (struct pollfd){ .fd = s->wake[0], .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = s->listening ? mp_db_socket(s->db) : -1,
			.events = POLLIN };
		if (poll(fds, 2, sleep_ms(s)) < 0 && errno != EINTR) {
			mp_error("CRL service: poll: %s", strerror(errno));
			break;
		}
	}
	mp_db_close(s->db);
	s->db = NULL;
	return NULL;
}

static void
service_free(ca_crl_service *s)
{
	if (s == NULL)
		return;
	if (s->wake[0] >= 0)
		close(s->wake[0]);
	if (s->wake[1] >= 0)
		close(s->wake[1]);
	free(s->cas);
	free(s->conninfo);
	free(s->public_url);
	free(s);
}

int
ca_crl_service_start(const ca_crl_service_config *cfg, ca_crl_service **out)
{
	ca_crl_service *s = NULL;
	int r = MP_ERR_NOMEM;

	if (cfg->full_validity_ms < 1000 || cfg->delta_validity_ms < 1000 || cfg->ks == NULL)
		return MP_ERR_INVALID;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto out;
	s->wake[0] = s->wake[1] = -1;
	s->connect_timeout_ms = cfg->connect_timeout_ms;
	s->full_ms = cfg->full_validity_ms;
	s->delta_ms = cfg->delta_validity_ms;
	s->check_ms = cfg->check_interval_ms != 0 ? cfg->check_interval_ms : CHECK_DEFAULT_MS;
	s->ks = cfg->ks;
	atomic_init(&s->stopping, false);
	if ((s->conninfo = strdup(cfg->conninfo != NULL ? cfg->conninfo : "")) == NULL ||
	    (s->public_url = strdup(cfg->public_url != NULL ? cfg->public_url : "")) == NULL ||
	    (s->cas = calloc(MAX_TRACKED, sizeof(*s->cas))) == NULL)
		goto out;
	if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		r = MP_ERR_IO;
		goto out;
	}
	if (pthread_create(&s->thread, NULL, run, s) != 0) {
		r = MP_ERR_INTERNAL;
		goto out;
	}
	*out = s;
	s = NULL;
	r = MP_OK;
out:
	service_free(s);
	return r;
}

void
ca_crl_service_stop(ca_crl_service *s)
{
	if (s == NULL)
		return;
	atomic_store(&s->stopping, true);
	while (write(s->wake[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(s->thread, NULL);
	service_free(s);
}
