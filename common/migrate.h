/* Database migrations compiled into the binary (see tools/embed_migrations.py). */
#ifndef MP_MIGRATE_H
#define MP_MIGRATE_H

struct mp_migration {
	unsigned number;   /* 1, 2, ... from the NNNN_ prefix */
	const char *name;  /* file name without .sql */
	const char *sql;
};

extern const struct mp_migration mp_migrations[];
extern const unsigned mp_migrations_count;

#endif
