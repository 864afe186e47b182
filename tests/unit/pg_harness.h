/*
 * The throwaway PostgreSQL of the db tests (tests/lib/with-pg.sh exports
 * MIDPKI_TEST_DATABASE_URL): connections and fresh databases, each asserting
 * that it worked.
 */
#ifndef MP_TEST_PG_HARNESS_H
#define MP_TEST_PG_HARNESS_H

#include <stdint.h>

#include "db.h"

/* MIDPKI_TEST_DATABASE_URL; asserts that it is set. */
const char *pg_url(void);

/* A connection to conninfo. */
mp_db *pg_connect(const char *conninfo);

/* A connection to conninfo with every migration applied. */
mp_db *pg_connect_migrated(const char *conninfo);

/* Drops and creates the database name; returns its conninfo (a static buffer). */
const char *pg_fresh_database(const char *name);

/* The number in the first column of the one row that sql returns. */
uint64_t pg_scalar_u64(mp_db *db, const char *sql, int nparams, const char *const *params);

#endif
