#include "database.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "log.h"
#include "migrate.h"

/* mkdir -p with mode for the last component; existing directories are kept as they are. */
static int
make_dirs(const char *path, mode_t mode)
{
	char tmp[4096];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(tmp))
		return MP_ERR_INVALID;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
			return MP_ERR_IO;
		*p = '/';
	}
	if (mkdir(tmp, mode) != 0 && errno != EEXIST)
		return MP_ERR_IO;
	return MP_OK;
}

int
cli_database_open(const mp_config *cfg, cli_database *d)
{
	char err[2048];
	unsigned applied = 0;
	int r;

	memset(d, 0, sizeof(*d));
	if (make_dirs(cfg->state_dir, 0755) != MP_OK) {
		mp_error("cannot create state directory %s: %s", cfg->state_dir, strerror(errno));
		return MP_ERR_IO;
	}
	d->conninfo = cfg->database_url;
	if (cfg->database_url[0] == '\0') {
		mp_info("starting embedded PostgreSQL in %s/pg", cfg->state_dir);
		r = mp_pgembed_start(cfg->state_dir, cfg->database_pg_bin_dir, &d->embedded, err,
		    sizeof(err));
		if (r != MP_OK) {
			mp_error("embedded PostgreSQL did not start: %s", err);
			return r;
		}
		d->conninfo = mp_pgembed_conninfo(d->embedded);
	}
	r = mp_db_connect(d->conninfo, cfg->database_connect_timeout_ms, &d->db, err, sizeof(err));
	if (r != MP_OK) {
		mp_error("cannot connect to the database: %s", err);
		return r;
	}
	if ((r = mp_db_migrate(d->db, &applied, err, sizeof(err))) != MP_OK) {
		mp_error("database migration failed: %s", err);
		return r;
	}
	mp_info("database schema at version %u (%u migration%s applied now)",
	    mp_migrations_latest(), applied, applied == 1 ? "" : "s");
	return MP_OK;
}

void
cli_database_close(cli_database *d)
{
	mp_db_close(d->db);
	d->db = NULL;
	if (d->embedded != NULL) {
		mp_pgembed_stop(d->embedded);
		mp_info("embedded PostgreSQL stopped");
	}
	d->embedded = NULL;
}
