/*
 * The responder's own thread: LISTENs on midpki_ocsp and midpki_crl with its
 * own connection, applies what they say to the cache, and reads the CA
 * table again every reload interval and when told "*". It waits in poll()
 * on the connection's socket and a wake-up pipe. After a lost connection it
 * drops the whole cache (notifications may have been missed) once it is
 * LISTENing again.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca.h"
#include "codec.h"
#include "crl_service.h"
#include "err.h"
#include "log.h"
#include "monotime.h"
#include "responder_priv.h"

bool
responder_apply_payload(ocsp_cache *cache, const char *payload)
{
	const char *p = payload;

	if (strcmp(payload, "*") == 0) {
		ocsp_cache_drop_all(cache);
		return true;
	}
	while (*p != '\0') {
		const char *end, *colon;
		uint8_t ca[16], serial[20];
		size_t hexlen, n = 0;
		bool ok;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		end = strchr(p, ' ');
		if (end == NULL)
			end = p + strlen(p);
		colon = memchr(p, ':', (size_t)(end - p));
		hexlen = colon != NULL ? (size_t)(end - colon - 1) : 0;
		ok = colon != NULL && ocsp_uuid_parse(p, (size_t)(colon - p), ca) == MP_OK &&
		    hexlen >= 2 && hexlen % 2 == 0 && hexlen <= 2 * sizeof(serial);
		for (size_t i = 0; ok && i < hexlen; i += 2) {
			int hi = mp_hex_digit(colon[1 + i]), lo = mp_hex_digit(colon[2 + i]);

			ok = hi >= 0 && lo >= 0;
			serial[n++] = (uint8_t)(hi << 4 | lo);
		}
		if (ok)
			ocsp_cache_drop(cache, ca, serial, n);
		p = end;
	}
	return false;
}

static void
on_notify(const char *channel, const char *payload, void *arg)
{
	ocsp_responder *r = arg;

	responder_count(r, OC_NOTIFICATIONS);
	if (strcmp(channel, CA_CRL_CHANNEL) == 0) {
		ocsp_cache_fresh_stale(r->cache);
	} else if (strcmp(channel, CA_OCSP_CHANNEL) == 0 && responder_apply_payload(r->cache, payload)) {
		r->next_reload_ms = 0;
	}
}

static void
lost(ocsp_responder *r)
{
	if (!r->db_down_logged)
		mp_warn("OCSP responder: database unavailable: %s", mp_db_errmsg(r->db));
	r->db_down_logged = true;
	r->listening = false;
}

/* Connects and LISTENs when not yet done; true when notifications can be received. */
static bool
ensure_listening(ocsp_responder *r)
{
	char err[512];

	if (r->listening)
		return true;
	if (r->db == NULL) {
		if (mp_monotonic_ms() < r->retry_ms)
			return false;
		if (mp_db_connect(r->conninfo, r->connect_timeout_ms, &r->db, err, sizeof(err)) !=
		    MP_OK) {
			if (!r->db_down_logged)
				mp_warn("OCSP responder: cannot connect to the database: %s", err);
			r->db_down_logged = true;
			r->retry_ms = mp_monotonic_ms() + MP_DB_RETRY_MS;
			return false;
		}
	}
	if (mp_db_exec(r->db, "LISTEN " CA_OCSP_CHANNEL "; LISTEN " CA_CRL_CHANNEL) != MP_OK) {
		lost(r);
		return false;
	}
	if (r->db_down_logged) {
		mp_info("OCSP responder: database reachable again");
		/* what was notified meanwhile is lost: forget everything */
		ocsp_cache_drop_all(r->cache);
		ocsp_cache_fresh_stale(r->cache);
		r->next_reload_ms = 0;
	}
	r->db_down_logged = false;
	r->listening = true;
	return true;
}

static void
reload(ocsp_responder *r)
{
	ocsp_ca_table *t = NULL;
	int rc;

	if ((rc = ocsp_ca_table_load(r->db, r->ks, &t)) != MP_OK) {
		if (rc == MP_ERR_DB_UNAVAILABLE)
			lost(r);
		else
			mp_warn("OCSP responder: cannot read the CAs: %s: %s", mp_strerror(rc),
			    mp_db_errmsg(r->db));
		r->next_reload_ms = mp_monotonic_ms() + MP_DB_RETRY_MS;
		return;
	}
	responder_table_set(r, t);
	responder_count(r, OC_RELOADS);
	r->next_reload_ms = mp_monotonic_ms() + r->reload_ms;
}

static void *
run(void *arg)
{
	ocsp_responder *r = arg;
	struct pollfd fds[2];
	uint64_t now;
	int wait;

	while (!atomic_load(&r->stopping)) {
		bool worked = false;
		char drain[64];

		if (ensure_listening(r) && mp_db_notifications(r->db, on_notify, r) != MP_OK)
			lost(r);
		if (r->listening && mp_monotonic_ms() >= r->next_reload_ms) {
			reload(r);
			worked = true;
		}
		/* the reload may have read notifications into libpq's buffer: look again first */
		if (worked)
			continue;
		now = mp_monotonic_ms();
		wait = !r->listening ? MP_DB_RETRY_MS :
		    r->next_reload_ms <= now ? 0 : (int)(r->next_reload_ms - now);
		fds[0] = (struct pollfd){ .fd = r->wake[0], .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = r->listening ? mp_db_socket(r->db) : -1,
			.events = POLLIN };
		if (poll(fds, 2, wait) < 0 && errno != EINTR) {
			mp_error("OCSP responder: poll: %s", strerror(errno));
			break;
		}
		while (fds[0].revents != 0 && read(r->wake[0], drain, sizeof(drain)) > 0)
			;
	}
	mp_db_close(r->db);
	r->db = NULL;
	return NULL;
}

int
responder_watch_start(ocsp_responder *r)
{
	if (pthread_create(&r->thread, NULL, r->bundle_path != NULL ? responder_bundle_run : run,
	    r) != 0)
		return MP_ERR_INTERNAL;
	return MP_OK;
}

void
responder_watch_stop(ocsp_responder *r)
{
	atomic_store(&r->stopping, true);
	while (write(r->wake[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(r->thread, NULL);
}
