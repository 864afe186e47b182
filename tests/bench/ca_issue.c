/*
 * Issuance throughput through the issuer API (no HTTP): THREADS threads, each
 * with its own database connection, issue certificates under the
 * iec62351-device profile for SECONDS, going round a fleet of BENCH_DEVICES
 * devices that each have their own P-256 key and CSR; every certificate is
 * committed before it counts. Prints certificates per second.
 *   ca_issue CONNINFO STATE_DIR [SECONDS] [THREADS]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_csr.h"
#include "ca.h"
#include "engine.h"
#include "err.h"
#include "keystore.h"
#include "migrate.h"
#include "num.h"
#include "secure.h"

static const mp_actor bench_actor = { "system", "bench", NULL };

#define BENCH_DEVICES 1000

struct bench {
	const char *conninfo;
	mp_keystore *ks;
	ca_shared *shared;
	const char *tenant_id;
	json_t *devices[BENCH_DEVICES];
	char *csrs[BENCH_DEVICES];
	double stop_at;
	atomic_ulong next;
	atomic_ulong issued;
	atomic_int failed;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
issuer(void *arg)
{
	struct bench *b = arg;
	char err[512];
	mp_db *db = NULL;
	ca_env env;

	if (mp_db_connect(b->conninfo, 5000, &db, err, sizeof(err)) != MP_OK) {
		fprintf(stderr, "connect: %s\n", err);
		atomic_store(&b->failed, 1);
		return NULL;
	}
	env = (ca_env){ db, b->ks, "http://127.0.0.1:8080", "software", b->shared };
	while (now_s() < b->stop_at) {
		size_t i = atomic_fetch_add(&b->next, 1) % BENCH_DEVICES;
		ca_issue_req req = { b->tenant_id,
			json_string_value(json_object_get(b->devices[i], "id")), "iec62351-device",
			b->csrs[i], strlen(b->csrs[i]), 0, NULL };
		ca_detail d = { "", "" };
		json_t *out = NULL;
		bool pending = false;
		int r;

		if ((r = ca_issue(&env, &bench_actor, &req, &out, &pending, &d)) != MP_OK) {
			fprintf(stderr, "issue: %s: %s %s %s\n", mp_strerror(r), d.field, d.message,
			    mp_db_errmsg(db));
			atomic_store(&b->failed, 1);
			break;
		}
		json_decref(out);
		atomic_fetch_add(&b->issued, 1);
	}
	mp_db_close(db);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct bench b = { 0 };
	uint64_t secs = 10, threads = 4;
	char err[512], master[4096], *key = NULL;
	mp_keystore_config kc = { master, NULL, 0, NULL };
	json_t *tenant = NULL;
	mp_db *db = NULL;
	pthread_t th[64];
	double t0, elapsed;
	ca_env env;

	if (argc < 3 || (argc > 3 && mp_parse_u64(argv[3], 3600, &secs) != MP_OK) ||
	    (argc > 4 && (mp_parse_u64(argv[4], 64, &threads) != MP_OK || threads == 0))) {
		fprintf(stderr, "usage: ca_issue CONNINFO STATE_DIR [SECONDS] [THREADS]\n");
		return 2;
	}
	snprintf(master, sizeof(master), "%s/master.key", argv[2]);
	if (mp_db_connect(argv[1], 5000, &db, err, sizeof(err)) != MP_OK ||
	    mp_db_migrate(db, NULL, err, sizeof(err)) != MP_OK ||
	    mp_keystore_open(&kc, &b.ks, err, sizeof(err)) != MP_OK) {
		fprintf(stderr, "set-up: %s\n", err);
		return 1;
	}
	env = (ca_env){ db, b.ks, "http://127.0.0.1:8080", "software", NULL };
	if (mp_engine_bootstrap_admin(db, &key) != MP_OK || ca_bootstrap(&env) != MP_OK ||
	    mp_tenant_find_by_name(db, MP_BOOTSTRAP_TENANT, &tenant) != MP_OK) {
		fprintf(stderr, "set-up: the platform CA failed\n");
		return 1;
	}
	mp_free_secret_str(key);
	b.tenant_id = json_string_value(json_object_get(tenant, "id"));
	for (size_t i = 0; i < BENCH_DEVICES; i++) {
		char serial[32];
		mp_device_new dn = { .tenant_id = b.tenant_id, .serial = serial };

		snprintf(serial, sizeof(serial), "BENCH-%05zu", i);
		if (mp_device_create(db, &bench_actor, &dn, &b.devices[i]) != MP_OK ||
		    (b.csrs[i] = bench_csr_pem(serial)) == NULL) {
			fprintf(stderr, "set-up: device %s\n", serial);
			return 1;
		}
	}
	b.conninfo = argv[1];
	if ((b.shared = ca_shared_new()) == NULL)
		return 1;
	t0 = now_s();
	b.stop_at = t0 + (double)secs;
	for (uint64_t i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, issuer, &b);
	for (uint64_t i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	elapsed = now_s() - t0;
	printf("ca_issue: %lu certificates in %.1f s with %lu threads: %.0f certificates/s committed\n",
	    (unsigned long)atomic_load(&b.issued), elapsed, (unsigned long)threads,
	    (double)atomic_load(&b.issued) / elapsed);
	for (size_t i = 0; i < BENCH_DEVICES; i++) {
		free(b.csrs[i]);
		json_decref(b.devices[i]);
	}
	json_decref(tenant);
	ca_shared_free(b.shared);
	mp_keystore_free(b.ks);
	mp_db_close(db);
	return atomic_load(&b.failed) ? 1 : 0;
}
