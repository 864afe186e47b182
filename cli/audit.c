/* midpki audit verify: check the audit log's hash chain. */
#include "commands.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "database.h"
#include "err.h"
#include "options.h"

static const char audit_usage[] =
    "usage: midpki audit verify [--config FILE] [--state-dir DIR]\n"
    "\n"
    "Seals audit entries not yet sealed, then recomputes the hash chain over every\n"
    "sealed entry. Exits 0 when the chain is intact, 1 when an entry was altered,\n"
    "removed or reordered (the first such entry is named), 2 on usage errors.\n";

int
cmd_audit(int argc, char **argv)
{
	mp_config *cfg = NULL;
	cli_database d = { 0 };
	uint64_t checked = 0, bad_seq = 0;
	unsigned sealed = 0;
	char err[1024];
	int r, rc = 1;

	if (argc < 1 || strcmp(argv[0], "verify") != 0) {
		fputs(audit_usage, argc >= 1 && strcmp(argv[0], "--help") == 0 ? stdout : stderr);
		return argc >= 1 && strcmp(argv[0], "--help") == 0 ? 0 : 2;
	}
	if ((r = cli_load_config(argc - 1, argv + 1, audit_usage, &cfg)) != 0)
		return r == 1 ? 0 : r;
	if (cli_database_open(cfg, &d) != MP_OK)
		goto out;
	do {
		if ((r = mp_audit_seal(d.db, 1000, &sealed)) != MP_OK) {
			fprintf(stderr, "midpki: audit sealing failed: %s\n", mp_strerror(r));
			goto out;
		}
	} while (sealed == 1000);
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
