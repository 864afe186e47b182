/* midpki audit verify|head: check the audit log's hash chain, or print its head. */
#include "commands.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "database.h"
#include "err.h"
#include "options.h"

static const char audit_usage[] =
    "usage: midpki audit verify|head [--config FILE] [--state-dir DIR]\n"
    "\n"
    "verify: seals audit entries not yet sealed, then recomputes the hash chain over\n"
    "        every sealed entry. Exits 0 when the chain is intact, 1 when an entry was\n"
    "        altered, removed or reordered (the first such entry is named).\n"
    "head:   seals pending entries and prints the last entry's seq and hash; record\n"
    "        it outside the database to detect entries later cut from the end.\n"
    "Exit code 2 on usage errors.\n";

/* Seals everything committed so far, in rounds of 1000. */
static int
seal_all(mp_db *db)
{
	unsigned sealed = 0;
	int r;

	do {
		if ((r = mp_audit_seal(db, 1000, &sealed)) != MP_OK) {
			fprintf(stderr, "midpki: audit sealing failed: %s\n", mp_strerror(r));
			return r;
		}
	} while (sealed == 1000);
	return MP_OK;
}

int
cmd_audit(int argc, char **argv)
{
	mp_config *cfg = NULL;
	cli_database d = { 0 };
	uint64_t checked = 0, bad_seq = 0, seq = 0;
	char err[1024], hash[2 * MP_AUDIT_HASH_LEN + 1];
	bool head;
	int r, rc = 1;

	if (argc < 1 || (strcmp(argv[0], "verify") != 0 && strcmp(argv[0], "head") != 0)) {
		fputs(audit_usage, argc >= 1 && strcmp(argv[0], "--help") == 0 ? stdout : stderr);
		return argc >= 1 && strcmp(argv[0], "--help") == 0 ? 0 : 2;
	}
	head = strcmp(argv[0], "head") == 0;
	if ((r = cli_load_config(argc - 1, argv + 1, audit_usage, &cfg)) != 0)
		return r == 1 ? 0 : r;
	if (cli_database_open(cfg, &d) != MP_OK || seal_all(d.db) != MP_OK)
		goto out;
	if (head) {
		if ((r = mp_audit_head(d.db, &seq, hash)) != MP_OK) {
			fprintf(stderr, "midpki: cannot read the audit head: %s\n", mp_strerror(r));
			goto out;
		}
		printf("seq %" PRIu64 " hash %s\n", seq, hash);
		rc = 0;
		goto out;
	}
	r = mp_audit_verify(d.db, &checked, &bad_seq, err, sizeof(err));
	if (r == MP_OK) {
		printf("audit chain intact: %" PRIu64 " entries verified\n", checked);
		rc = 0;
	} else if (r == MP_ERR_INTEGRITY) {
		printf("audit chain BROKEN at seq %" PRIu64 ": %s\n", bad_seq, err);
	} else {
		fprintf(stderr, "midpki: audit verification failed: %s\n", err);
	}
out:
	cli_database_close(&d);
	mp_config_free(cfg);
	return rc;
}
