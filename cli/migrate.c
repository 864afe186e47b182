/* midpki migrate: bring the database schema up to date and exit. */
#include "commands.h"

#include "database.h"
#include "err.h"
#include "options.h"

static const char migrate_usage[] =
    "usage: midpki migrate [--config FILE] [--state-dir DIR]\n"
    "\n"
    "Applies pending database migrations (the same ones `midpki serve` applies at\n"
    "start) and exits. Several instances may run it at once: an advisory lock\n"
    "serializes them.\n";

int
cmd_migrate(int argc, char **argv)
{
	mp_config *cfg = NULL;
	cli_database d = { 0 };
	int r, rc = 1;

	if ((r = cli_load_config(argc, argv, migrate_usage, &cfg)) != 0)
		return r == 1 ? 0 : r;
	if (cli_database_open(cfg, &d) == MP_OK)
		rc = 0;
	cli_database_close(&d);
	mp_config_free(cfg);
	return rc;
}
