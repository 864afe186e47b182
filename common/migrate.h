/*
 * Database migrations compiled into the binary (see tools/embed_migrations.py)
 * and the runner that applies them.
 */
#ifndef MP_MIGRATE_H
#define MP_MIGRATE_H

#include <stddef.h>

#include "db.h"

struct mp_migration {
	unsigned number;   /* from the NNNN_ prefix: increasing, gaps allowed */
	const char *name;  /* file name without .sql */
	const char *sql;
};

extern const struct mp_migration mp_migrations[];
extern const unsigned mp_migrations_count;

/* The number of the last embedded migration: the schema version this midpki makes. */
unsigned mp_migrations_latest(void);

/*
 * Applies every embedded migration the database does not have yet, by number,
 * each in its own transaction, recording it in schema_migrations. The run
 * holds a session advisory lock, so concurrent runs wait for each other and
 * the later one finds nothing to do. Sets *applied (may be NULL) to the number
 * applied. A database holding a migration newer than this binary knows is
 * MP_ERR_CONFLICT ("database schema is newer than this midpki"); a failing
 * migration leaves the earlier ones applied and names itself in err.
 */
int mp_db_migrate(mp_db *db, unsigned *applied, char *err, size_t errsz);

#endif
