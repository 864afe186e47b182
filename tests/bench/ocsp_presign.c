/*
 * OCSP pre-signing throughput: N certificates issued through the issuer (two
 * threads, group commit), then one pre-signing pass (ocsp_presign_run_once,
 * one thread, one connection) over all of them, timed: two responses (SHA-1
 * and SHA-256 CertIDs) signed with the devices CA's P-256 OCSP signer per
 * certificate, stored and notified. Also times ocsp_core_sign alone with the
 * same key, for what the database costs on top.
 *   ocsp_presign CONNINFO STATE_DIR [N] [BATCH]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_csr.h"
#include "ca.h"
#include "devices.h"
#include "engine.h"
#include "err.h"
#include "keystore.h"
#include "migrate.h"
#include "num.h"
#include "presign.h"
#include "request.h"
#include "response.h"
#include "secure.h"
#include "tenants.h"

#define ISSUERS 2

static const mp_actor bench_actor = { "system", "bench", NULL };

struct seed {
	const char *conninfo;
	mp_keystore *ks;
	ca_shared *shared;
	const char *tenant_id, *device_id;
	const char *csr;
	uint64_t n;
	atomic_ulong next;
	atomic_int failed;
};

static double
now_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
issuer(void *arg)
{
	struct seed *s = arg;
	char err[512];
	mp_db *db = NULL;
	ca_env env;

	if (mp_db_connect(s->conninfo, 5000, &db, err, sizeof(err)) != MP_OK) {
		fprintf(stderr, "connect: %s\n", err);
		atomic_store(&s->failed, 1);
		return NULL;
	}
	env = (ca_env){ db, s->ks, "http://127.0.0.1:8080", "software", s->shared };
	while (atomic_fetch_add(&s->next, 1) < s->n && !atomic_load(&s->failed)) {
		ca_issue_req req = { s->tenant_id, s->device_id, "iec62351-device", s->csr,
			strlen(s->csr), 0, NULL };
		ca_detail d = { "", "" };
		json_t *out = NULL;
		bool pending = false;
		int r;

		if ((r = ca_issue(&env, &bench_actor, &req, &out, &pending, &d)) != MP_OK) {
			fprintf(stderr, "issue: %s: %s %s %s\n", mp_strerror(r), d.field, d.message,
			    mp_db_errmsg(db));
			atomic_store(&s->failed, 1);
		}
		json_decref(out);
	}
	mp_db_close(db);
	return NULL;
}

/* ocsp_core_sign alone, n times with the devices CA's signer: signatures per second. */
static double
core_sign_rate(const ca_env *env, const char *ca_id, uint64_t n)
{
	ca_service_cert s = { 0 };
	uint8_t name[OCSP_HASH_MAX], key[OCSP_HASH_MAX], buf[OCSP_CERTID_MAX];
	uint8_t serial[17] = { 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	ocsp_certid id;
	ocsp_single one = { &id, OCSP_GOOD, 0, -1, 0, 0 };
	size_t len;
	double t0, rate = 0;

	/* the signer's own hashes stand in for the CA's in the CertID: same sizes, same work */
	if (ca_ocsp_signer_get(env, ca_id, 0, &s) != MP_OK ||
	    ocsp_issuer_hashes(s.cert, OCSP_HASH_SHA1, name, key, &len) != MP_OK ||
	    ocsp_certid_make(OCSP_HASH_SHA1, name, key, serial, sizeof(serial), buf, &id) != MP_OK)
		goto out;
	one.this_update = (int64_t)time(NULL);
	one.next_update = one.this_update + 86400;
	t0 = now_s(CLOCK_MONOTONIC);
	for (uint64_t i = 0; i < n; i++) {
		uint8_t *core = NULL;
		size_t core_len;

		if (ocsp_core_sign(s.key, key, one.this_update, &one, 1, NULL, 0, &core, &core_len) !=
		    MP_OK)
			goto out;
		free(core);
	}
	rate = (double)n / (now_s(CLOCK_MONOTONIC) - t0);
out:
	ca_service_cert_clear(&s);
	return rate;
}

int
main(int argc, char **argv)
{
	struct seed s = { 0 };
	uint64_t n = 20000, batch = OCSP_PRESIGN_BATCH;
	char err[512], master[4096], *key = NULL, ca_id[MP_UUID_STR_LEN + 1];
	mp_keystore_config kc = { master, NULL, 0, NULL };
	json_t *tenant = NULL, *dev = NULL;
	mp_device_new dn = { 0 };
	mp_db *db = NULL;
	ocsp_presign *p = NULL;
	pthread_t th[ISSUERS];
	PGresult *res = NULL;
	double t0, c0, wall, cpu;
	size_t signed_n = 0;
	ca_env env;
	int r;

	if (argc < 3 || (argc > 3 && (mp_parse_u64(argv[3], 10000000, &n) != MP_OK || n == 0)) ||
	    (argc > 4 && (mp_parse_u64(argv[4], 10000, &batch) != MP_OK || batch == 0))) {
		fprintf(stderr, "usage: ocsp_presign CONNINFO STATE_DIR [N] [BATCH]\n");
		return 2;
	}
	snprintf(master, sizeof(master), "%s/master.key", argv[2]);
	if (mp_db_connect(argv[1], 5000, &db, err, sizeof(err)) != MP_OK ||
	    mp_db_migrate(db, NULL, err, sizeof(err)) != MP_OK ||
	    mp_keystore_open(&kc, &s.ks, err, sizeof(err)) != MP_OK) {
		fprintf(stderr, "set-up: %s\n", err);
		return 1;
	}
	env = (ca_env){ db, s.ks, "http://127.0.0.1:8080", "software", NULL };
	dn.serial = "BENCH-OCSP";
	if (mp_engine_bootstrap_admin(db, &key) != MP_OK || ca_bootstrap(&env) != MP_OK ||
	    mp_tenant_find_by_name(db, MP_BOOTSTRAP_TENANT, &tenant) != MP_OK ||
	    (dn.tenant_id = json_string_value(json_object_get(tenant, "id"))) == NULL ||
	    mp_device_create(db, &bench_actor, &dn, &dev) != MP_OK ||
	    ca_ocsp_signers_ensure(&env, 0, NULL) != MP_OK ||
	    mp_db_query_row(db, "SELECT id FROM cas WHERE name = 'devices'", 0, NULL, &res) !=
	    MP_OK) {
		fprintf(stderr, "set-up: the platform CA failed: %s\n", mp_db_errmsg(db));
		return 1;
	}
	mp_free_secret_str(key);
	snprintf(ca_id, sizeof(ca_id), "%s", mp_db_value(res, 0, 0));
	PQclear(res);
	s.conninfo = argv[1];
	s.n = n;
	s.tenant_id = dn.tenant_id;
	s.device_id = json_string_value(json_object_get(dev, "id"));
	if ((s.csr = bench_csr_pem("BENCH-OCSP")) == NULL || (s.shared = ca_shared_new()) == NULL)
		return 1;
	t0 = now_s(CLOCK_MONOTONIC);
	for (int i = 0; i < ISSUERS; i++)
		pthread_create(&th[i], NULL, issuer, &s);
	for (int i = 0; i < ISSUERS; i++)
		pthread_join(th[i], NULL);
	if (atomic_load(&s.failed))
		return 1;
	printf("seeded %llu certificates through ca_issue in %.1f s\n", (unsigned long long)n,
	    now_s(CLOCK_MONOTONIC) - t0);
	mp_db_exec(db, "VACUUM ANALYZE certificates");

	{
		ocsp_presign_config cfg = { argv[1], 5000, s.ks, "http://127.0.0.1:8080",
			24 * 3600 * 1000ULL, 12 * 3600 * 1000ULL, 0, 0, (unsigned)batch };

		if (ocsp_presign_new(&cfg, &p) != MP_OK)
			return 1;
	}
	t0 = now_s(CLOCK_MONOTONIC);
	c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);
	r = ocsp_presign_run_once(p, db, &signed_n);
	wall = now_s(CLOCK_MONOTONIC) - t0;
	cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	if (r != MP_OK) {
		fprintf(stderr, "presign: %s: %s\n", mp_strerror(r), mp_db_errmsg(db));
		return 1;
	}
	printf("presign pass (batch %llu): %zu certificates, %zu signatures in %.2f s:"
	    " %.0f signatures/s, %.0f certificates/s (signer process CPU %.2f s)\n",
	    (unsigned long long)batch, signed_n, 2 * signed_n, wall, 2 * (double)signed_n / wall,
	    (double)signed_n / wall, cpu);
	printf("ocsp_core_sign alone, same key, one thread: %.0f signatures/s\n",
	    core_sign_rate(&env, ca_id, 20000));
	ocsp_presign_stop(p);
	free((char *)s.csr);
	json_decref(dev);
	json_decref(tenant);
	ca_shared_free(s.shared);
	mp_keystore_free(s.ks);
	mp_db_close(db);
	return 0;
}
