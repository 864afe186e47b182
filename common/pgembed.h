/*
 * The embedded PostgreSQL: with no database URL configured, `midpki serve` runs
 * a private PostgreSQL server in <state dir>/pg as its own child process.
 *
 *   <state dir>/pg/data          the cluster (initdb on first start)
 *   <state dir>/pg/run           the unix socket directory (0700); no TCP at all
 *   <state dir>/pg/postgres.log  the server's stderr
 *
 * The cluster's superuser is `midpki` with trust authentication: the only way
 * in is the socket in a 0700 directory owned by the server's OS user. When the
 * calling process runs as root, the server runs as the `postgres` user.
 *
 * Start it before creating any thread (it forks; the parent-death signal
 * below is tied to the thread that started it, so start it from the thread
 * that lives longest, normally the main thread), with SIGCHLD not ignored (its
 * children are reaped with waitpid), and stop it after closing every database
 * connection. The server receives SIGINT (fast shutdown) if
 * this process dies, even by SIGKILL, so it never outlives midpki.
 */
#ifndef MP_PGEMBED_H
#define MP_PGEMBED_H

#include <stddef.h>

typedef struct mp_pgembed mp_pgembed;

/*
 * Starts the server for state_dir (relative paths are made absolute; the
 * directory is created if missing, its parent must exist) and waits until it
 * accepts connections and the database `midpki` exists. pg_bin_dir names the
 * directory holding initdb and postgres; "" or NULL searches the newest
 * /usr/lib/postgresql/<N>/bin, then PATH.
 *
 * Returns MP_OK and sets *out, or an error with a message in err:
 * MP_ERR_CONFIG (binaries missing, no usable OS user, directory unreachable or
 * path too long), MP_ERR_CONFLICT (a server from an earlier run still runs on
 * this data directory), MP_ERR_IO (a directory or file could not be made),
 * MP_ERR_DB_UNAVAILABLE (initdb or the server failed or did not come up; the
 * message ends with the tail of postgres.log), MP_ERR_DB (creating the
 * database failed), MP_ERR_NOMEM.
 */
int mp_pgembed_start(const char *state_dir, const char *pg_bin_dir, mp_pgembed **out,
    char *err, size_t errsz);

/*
 * A libpq connection string for the database `midpki` of a running server,
 * e.g. "host=/var/lib/midpki/pg/run dbname=midpki user=midpki". Valid until
 * mp_pgembed_stop().
 */
const char *mp_pgembed_conninfo(const mp_pgembed *pg);

/* The server's process id (for logs and tests). */
int mp_pgembed_pid(const mp_pgembed *pg);

/*
 * Fast shutdown (SIGINT), waits for the server to exit (30 s, then SIGQUIT,
 * then SIGKILL), reaps it and frees pg. pg may be NULL.
 */
void mp_pgembed_stop(mp_pgembed *pg);

#endif
