/* Opens the service's database: the configured URL, or the embedded PostgreSQL. */
#ifndef CLI_DATABASE_H
#define CLI_DATABASE_H

#include "config.h"
#include "db.h"
#include "pgembed.h"

typedef struct cli_database {
	mp_pgembed *embedded; /* NULL with an external database */
	const char *conninfo; /* borrowed from the configuration or the embedded server */
	mp_db *db;            /* the main thread's connection */
} cli_database;

/*
 * Creates the state directory, starts the embedded PostgreSQL when no URL is
 * configured, connects and applies pending migrations. Logs and returns an
 * mp_err on failure; cli_database_close() undoes whatever was done.
 */
int cli_database_open(const mp_config *cfg, cli_database *d);
void cli_database_close(cli_database *d);

#endif
