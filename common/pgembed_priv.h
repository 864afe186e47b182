/*
 * Internals of the embedded PostgreSQL (pgembed.h), shared by its files; not
 * for other modules:
 *
 *   pgembed.c         start-up in order, readiness, the database, stop
 *   pgembed_layout.c  the directories under the state directory and the OS user
 *   pgembed_find.c    which initdb and postgres to run
 *   pgembed_proc.c    child processes: privilege drop, reaping, shutdown
 *
 * Every function that takes err and errsz writes a message starting with
 * "embedded PostgreSQL: " there when it fails.
 */
#ifndef MP_PGEMBED_PRIV_H
#define MP_PGEMBED_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PG_OS_USER "postgres"     /* the server's OS user when we run as root */
#define PG_ROLE "midpki"          /* the cluster's superuser */
#define PG_DB "midpki"
#define PG_PACKAGE "postgresql-15"

/* Everything mp_pgembed_start() works out before it forks. */
typedef struct {
	char *state;     /* absolute, canonical */
	char *pg;        /* <state>/pg */
	char *data;      /* <state>/pg/data */
	char *run;       /* <state>/pg/run */
	char *log;       /* <state>/pg/postgres.log */
	char *initdb;
	char *postgres;
	bool drop;       /* running as root: the children become PG_OS_USER */
	uid_t uid;
	gid_t gid;
	pid_t parent;
	int logfd;
	int nullfd;
} pgembed_layout;

/* Formats "embedded PostgreSQL: " and fmt into err (which may be NULL). */
void pgembed_seterr(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* pgembed_layout.c */

/* a and b joined in a new string, or NULL when out of memory. */
char *pgembed_path_cat(const char *a, const char *b);

/*
 * The first line of a small file, without its newline, in buf (bufsz > 1;
 * what does not fit is cut): MP_OK, or MP_ERR_NOT_FOUND when the file is
 * missing or empty.
 */
int pgembed_read_line(const char *path, char *buf, size_t bufsz);

/*
 * The number on the first line of a small file (such as a pid file), at most
 * max: MP_OK, or MP_ERR_NOT_FOUND when the file is missing, empty or holds no
 * such number.
 */
int pgembed_read_number(const char *path, uint64_t max, uint64_t *out);

/*
 * Fills the paths of l from state_dir, creating state_dir if it is missing
 * (searchable by others when l->drop, so that the server's user can reach pg/).
 */
int pgembed_layout_make(const char *state_dir, pgembed_layout *l, char *err, size_t errsz);

/* Sets l->uid and l->gid to PG_OS_USER's, which must exist and not be root. */
int pgembed_layout_os_user(pgembed_layout *l, char *err, size_t errsz);

/*
 * Creates pg/ and pg/run (0700), opens the log and /dev/null into l->logfd and
 * l->nullfd, and hands them to the server's user when l->drop.
 */
int pgembed_layout_prepare(pgembed_layout *l, char *err, size_t errsz);

/* Frees the paths and closes the descriptors of l. */
void pgembed_layout_clear(pgembed_layout *l);

/* pgembed_find.c */

/*
 * Sets l->initdb and l->postgres: from pg_bin_dir when set; otherwise, for an
 * existing cluster, the Debian directory of the major version that created it,
 * then the newest Debian version, then PATH. MP_ERR_CONFIG when not found.
 */
int pgembed_find_binaries(const char *pg_bin_dir, pgembed_layout *l, char *err, size_t errsz);

/* pgembed_proc.c */

/*
 * Forks a child running argv (absolute path in argv[0]) with a minimal
 * environment, set up as the server's children are (see pgembed_proc.c);
 * it receives deathsig when this process dies.
 */
int pgembed_spawn(const pgembed_layout *l, int deathsig, char *const argv[], pid_t *pid,
    char *err, size_t errsz);

/*
 * As root: checks in a child that has become the server's user that it can
 * reach and write l->pg; MP_ERR_CONFIG with an explanation when it cannot.
 */
int pgembed_check_reachable(const pgembed_layout *l, char *err, size_t errsz);

/* Waits for pid to exit and reaps it: MP_OK with its wait status in *status. */
int pgembed_reap(pid_t pid, int *status);

/* A wait status in words ("exited with status 1"), for messages. */
void pgembed_describe_status(int status, char *out, size_t outsz);

/* Fast shutdown, then immediate shutdown, then SIGKILL; always reaps. pid <= 0 is a no-op. */
void pgembed_stop_server(pid_t pid);

/* A sleep that resumes after signals. */
void pgembed_sleep_ms(unsigned ms);

#endif
