/*
 * Seeder of the Join Server benchmark (tests/bench/lorawan_join.sh): N LoRaWAN
 * 1.0.4 devices of TENANT, each an engine device with DevEUI 70b3d57e00000000
 * + i and a random AppKey sealed under the key store's master key as the
 * admin API seals it (lw_seal_param), inserted 1,000 to a statement; and for each device
 * one JoinReq (DevNonce 1, SenderID NETID) as a line of JSON in OUT, its MIC
 * made under the AppKey. Prints the count and the time.
 *   bench_lw_seed CONNINFO MASTER_KEY_FILE TENANT NETID N OUT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "codec.h"
#include "credential.h"
#include "db.h"
#include "err.h"
#include "keystore.h"
#include "lw_devices.h"
#include "num.h"
#include "phy.h"
#include "sealed.h"
#include "secure.h"

#define BATCH 1000
#define JOIN_EUI 0x70b3d57ed0000000ull
#define DEV_EUI_BASE 0x70b3d57e00000000ull

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One device's rows and parameters: ids, DevEUI text, sealed keys as bytea text. */
struct seed {
	char device_id[MP_UUID_STR_LEN + 1];
	char id[MP_UUID_STR_LEN + 1];
	char serial[24];
	char dev_eui[17];
	char *sealed;
};

/* The JoinReq of device i with AppKey key, as one line of JSON on out. */
static int
write_request(FILE *out, const char *netid, uint64_t dev_eui, const uint8_t key[LW_KEY_LEN])
{
	uint8_t phy[LW_JOIN_REQUEST_LEN];
	char *hex = NULL;
	int r;

	phy[0] = 0x00;
	lw_put_le(phy + 1, JOIN_EUI, 8);
	lw_put_le(phy + 9, dev_eui, 8);
	lw_put_le(phy + 17, 1, 2);
	if ((r = lw_mic(key, phy, 19, phy + 19)) != MP_OK ||
	    (r = mp_hex_encode(phy, sizeof(phy), &hex)) != MP_OK)
		return r;
	if (fprintf(out, "{\"ProtocolVersion\":\"1.0\",\"SenderID\":\"%s\",\"ReceiverID\":"
	    "\"%016llx\",\"TransactionID\":1,\"MessageType\":\"JoinReq\",\"MACVersion\":\"1.0.4\","
	    "\"PHYPayload\":\"%s\",\"DevEUI\":\"%016llx\",\"DevAddr\":\"01abcdef\","
	    "\"DLSettings\":\"00\",\"RxDelay\":1}\n", netid, (unsigned long long)JOIN_EUI, hex,
	    (unsigned long long)dev_eui) < 0)
		r = MP_ERR_IO;
	free(hex);
	return r;
}

/* Inserts n seeds: the engine devices, then their LoRaWAN rows, in one transaction. */
static int
insert_batch(mp_db *db, const char *tenant, struct seed *s, size_t n)
{
	const char **params = calloc(1 + 3 * n, sizeof(*params));
	mp_buf *dev = mp_buf_new(256 * 1024), *lw = mp_buf_new(256 * 1024);
	int r = MP_ERR_NOMEM;

	if (params == NULL || dev == NULL || lw == NULL ||
	    mp_buf_put_str(dev, "INSERT INTO devices (id, tenant_id, serial, dev_eui) VALUES") ||
	    mp_buf_put_str(lw, "INSERT INTO lorawan_devices (id, tenant_id, device_id, join_eui,"
	    " mac_version, root_keys) VALUES"))
		goto out;
	/* row i takes parameters $p, $p+1, $p+2 with p = 2 + 3i; $1 is the tenant */
	for (size_t i = 0, p = 2; i < n; i++, p += 3) {
		if (mp_buf_putf(dev, "%s($%zu::uuid, $1, $%zu, $%zu)", i ? "," : "", p, p + 1,
		    p + 2) != MP_OK ||
		    mp_buf_putf(lw, "%s($%zu::uuid, $1, $%zu::uuid, '%016llx', '1.0.4', $%zu::bytea)",
		    i ? "," : "", p, p + 1, (unsigned long long)JOIN_EUI, p + 2) != MP_OK)
			goto out;
	}
	params[0] = tenant;
	for (size_t i = 0; i < n; i++) {
		params[1 + 3 * i] = s[i].device_id;
		params[2 + 3 * i] = s[i].serial;
		params[3 + 3 * i] = s[i].dev_eui;
	}
	if ((r = mp_db_exec(db, "BEGIN")) != MP_OK ||
	    (r = mp_db_query(db, mp_buf_str(dev), (int)(1 + 3 * n), params, NULL)) != MP_OK)
		goto out;
	/* the sealed keys are bound to the row's id, so the rows take the seeds' ids */
	for (size_t i = 0; i < n; i++) {
		params[1 + 3 * i] = s[i].id;
		params[2 + 3 * i] = s[i].device_id;
		params[3 + 3 * i] = s[i].sealed;
	}
	if ((r = mp_db_query(db, mp_buf_str(lw), (int)(1 + 3 * n), params, NULL)) != MP_OK ||
	    (r = mp_db_exec(db, "COMMIT")) != MP_OK)
		goto out;
out:
	if (r != MP_OK)
		mp_db_exec(db, "ROLLBACK");
	mp_buf_free(dev);
	mp_buf_free(lw);
	free(params);
	return r;
}

int
main(int argc, char **argv)
{
	mp_keystore_config kc = { NULL, NULL, 0, NULL };
	mp_keystore *ks = NULL;
	mp_db *db = NULL;
	struct seed *s = NULL;
	uint64_t n = 0;
	FILE *out = NULL;
	char err[512];
	double t0;
	int rc = 1, r;

	if (argc != 7 || mp_parse_u64(argv[5], 10000000, &n) != MP_OK || n == 0) {
		fprintf(stderr, "usage: bench_lw_seed CONNINFO MASTER_KEY_FILE TENANT NETID N OUT\n");
		return 2;
	}
	kc.master_key_file = argv[2];
	if (mp_keystore_open(&kc, &ks, err, sizeof(err)) != MP_OK ||
	    mp_db_connect(argv[1], 5000, &db, err, sizeof(err)) != MP_OK) {
		fprintf(stderr, "bench_lw_seed: %s\n", err);
		goto out;
	}
	if ((out = fopen(argv[6], "w")) == NULL || (s = calloc(BATCH, sizeof(*s))) == NULL) {
		perror("bench_lw_seed");
		goto out;
	}
	t0 = now_s();
	for (uint64_t base = 0; base < n; base += BATCH) {
		size_t m = n - base < BATCH ? (size_t)(n - base) : BATCH;

		for (size_t i = 0; i < m; i++) {
			uint8_t keys[LW_ROOT_KEYS_LEN];
			uint64_t eui = DEV_EUI_BASE + base + i;

			snprintf(s[i].serial, sizeof(s[i].serial), "LW-%llu",
			    (unsigned long long)(base + i));
			snprintf(s[i].dev_eui, sizeof(s[i].dev_eui), "%016llx", (unsigned long long)eui);
			if (mp_uuid_new(s[i].device_id) != MP_OK || mp_uuid_new(s[i].id) != MP_OK ||
			    mp_random_bytes(keys + LW_KEY_LEN, LW_KEY_LEN) != MP_OK)
				goto out;
			memcpy(keys, keys + LW_KEY_LEN, LW_KEY_LEN);
			r = lw_seal_param(ks, LW_SEALED_ROOT_KEYS, s[i].id, keys, sizeof(keys),
			    &s[i].sealed);
			if (r == MP_OK)
				r = write_request(out, argv[4], eui, keys);
			mp_wipe(keys, sizeof(keys));
			if (r != MP_OK)
				goto out;
		}
		r = insert_batch(db, argv[3], s, m);
		for (size_t i = 0; i < m; i++) {
			free(s[i].sealed);
			s[i].sealed = NULL;
		}
		if (r != MP_OK) {
			fprintf(stderr, "bench_lw_seed: %s: %s\n", mp_strerror(r), mp_db_errmsg(db));
			goto out;
		}
	}
	printf("%llu devices and JoinReqs in %.1f s\n", (unsigned long long)n, now_s() - t0);
	rc = 0;
out:
	if (out != NULL && fclose(out) != 0)
		rc = 1;
	free(s);
	mp_db_close(db);
	mp_keystore_free(ks);
	return rc;
}
