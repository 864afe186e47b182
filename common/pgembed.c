/*
 * The embedded PostgreSQL's life: mp_pgembed_start() runs the steps in order
 * (layout, binaries, directories, initdb on first start, the server, readiness,
 * the database) and mp_pgembed_stop() shuts the server down. See pgembed_priv.h
 * for the other files.
 */
#include "pgembed.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "err.h"
#include "monotime.h"
#include "pgembed_priv.h"

#define START_TIMEOUT_MS 60000
#define LOG_TAIL_BYTES 1200

struct mp_pgembed {
	pid_t pid;
	char *conninfo;
};

void
pgembed_seterr(char *err, size_t errsz, const char *fmt, ...)
{
	static const char prefix[] = "embedded PostgreSQL: ";
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	if (errsz <= sizeof(prefix) - 1) {
		memcpy(err, prefix, errsz - 1);
		err[errsz - 1] = '\0';
		return;
	}
	memcpy(err, prefix, sizeof(prefix) - 1);
	va_start(ap, fmt);
	vsnprintf(err + sizeof(prefix) - 1, errsz - (sizeof(prefix) - 1), fmt, ap);
	va_end(ap);
}

/*
 * Appends the last lines of the server log to err, newlines shown as " | ".
 * When err has too little room, the oldest lines are dropped: the reason a
 * server failed is in its last lines.
 */
static void
append_log_tail(char *err, size_t errsz, const char *log)
{
	static const char sep[] = " | ";
	char raw[LOG_TAIL_BYTES + 1], flat[3 * LOG_TAIL_BYTES + 1];
	const char *p;
	size_t len, off, i, o = 0, room;
	struct stat st;
	ssize_t n;
	off_t from;
	int fd;

	if (err == NULL || errsz == 0 || log == NULL)
		return;
	if ((fd = open(log, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return;
	}
	from = st.st_size > LOG_TAIL_BYTES ? st.st_size - LOG_TAIL_BYTES : 0;
	n = pread(fd, raw, LOG_TAIL_BYTES, from);
	close(fd);
	if (n <= 0)
		return;
	len = (size_t)n;
	while (len > 0 && (raw[len - 1] == '\n' || raw[len - 1] == '\r'))
		len--;
	raw[len] = '\0';
	p = raw;
	if (from > 0 && (p = memchr(raw, '\n', len)) != NULL)
		p++;
	else
		p = raw;
	for (i = 0; p[i] != '\0'; i++) {
		if (p[i] == '\n') {
			memcpy(flat + o, sep, sizeof(sep) - 1);
			o += sizeof(sep) - 1;
		} else {
			flat[o++] = p[i] == '\r' ? ' ' : p[i];
		}
	}
	flat[o] = '\0';
	if (o == 0)
		return;
	off = strlen(err);
	snprintf(err + off, errsz - off, "; %s ends with: ", log);
	off = strlen(err);
	room = errsz - off - 1;
	if (room == 0)
		return;
	p = flat;
	if (o > room) {
		const char *cut;

		p = flat + (o - room);
		if ((cut = strstr(p, sep)) != NULL)
			p = cut + sizeof(sep) - 1;
	}
	memcpy(err + off, p, strlen(p) + 1);
}

static bool
file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/*
 * When data/postmaster.pid names a live postgres process whose working
 * directory is our data directory, reports it. Anything else (no file, a dead
 * or reused pid) is left to PostgreSQL, which removes a stale lock itself.
 */
static int
check_running(const pgembed_layout *l, char *err, size_t errsz)
{
	char proc[64], comm[32], cwd[PATH_MAX];
	char *pidfile = NULL;
	uint64_t pid;
	ssize_t n;
	int r = MP_OK;

	if ((pidfile = pgembed_path_cat(l->data, "/postmaster.pid")) == NULL) {
		pgembed_seterr(err, errsz, "out of memory");
		return MP_ERR_NOMEM;
	}
	if (pgembed_read_number(pidfile, INT_MAX, &pid) != MP_OK || pid == 0)
		goto out;
	snprintf(proc, sizeof(proc), "/proc/%llu/comm", (unsigned long long)pid);
	if (pgembed_read_line(proc, comm, sizeof(comm)) != MP_OK || strcmp(comm, "postgres") != 0)
		goto out;
	snprintf(proc, sizeof(proc), "/proc/%llu/cwd", (unsigned long long)pid);
	n = readlink(proc, cwd, sizeof(cwd) - 1);
	if (n > 0) {
		cwd[n] = '\0';
		if (strcmp(cwd, l->data) != 0)
			goto out;
	}
	pgembed_seterr(err, errsz, "a PostgreSQL server (pid %llu) from an earlier "
	    "run is still running on '%s'; stop it (kill -INT %llu) and start midpki again",
	    (unsigned long long)pid, l->data, (unsigned long long)pid);
	r = MP_ERR_CONFLICT;
out:
	free(pidfile);
	return r;
}

static int
run_initdb(const pgembed_layout *l, char *err, size_t errsz)
{
	/* C collation: byte order, so that indexes never depend on the C library's
	 * locale tables, which change between releases. */
	char *argv[] = { l->initdb, "-D", l->data, "-U", PG_ROLE, "-E", "UTF8", "--locale=C",
		"--auth=trust", NULL };
	char what[64];
	int status = 0, r;
	pid_t pid;

	if ((r = pgembed_spawn(l, SIGTERM, argv, &pid, err, errsz)) != MP_OK)
		return r;
	if (pgembed_reap(pid, &status) != MP_OK) {
		pgembed_seterr(err, errsz, "lost track of initdb");
		return MP_ERR_INTERNAL;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return MP_OK;
	pgembed_describe_status(status, what, sizeof(what));
	pgembed_seterr(err, errsz, "initdb for '%s' %s", l->data, what);
	append_log_tail(err, errsz, l->log);
	return MP_ERR_DB_UNAVAILABLE;
}

/* Starts the server on the socket directory only (no TCP); it does not wait. */
static int
start_server(const pgembed_layout *l, pid_t *pid, char *err, size_t errsz)
{
	char *argv[] = { l->postgres, "-D", l->data, "-k", l->run,
		"-c", "listen_addresses=", "-c", "unix_socket_permissions=0700", NULL };

	/* SIGINT is PostgreSQL's fast shutdown: it rolls back and exits cleanly. */
	return pgembed_spawn(l, SIGINT, argv, pid, err, errsz);
}

/*
 * Polls the socket until the server accepts connections; fails at once if it
 * exits, then with *reaped set.
 */
static int
wait_ready(const pgembed_layout *l, pid_t pid, bool *reaped, char *err, size_t errsz)
{
	const char *const keys[] = { "host", "dbname", "user", "connect_timeout", NULL };
	const char *const vals[] = { l->run, "postgres", PG_ROLE, "5", NULL };
	uint64_t deadline = mp_monotonic_ms() + START_TIMEOUT_MS;
	char what[64];
	int status = 0;
	pid_t w;

	for (;;) {
		if (PQpingParams(keys, vals, 0) == PQPING_OK)
			return MP_OK;
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			pgembed_describe_status(status, what, sizeof(what));
			pgembed_seterr(err, errsz, "the server %s during start-up", what);
			append_log_tail(err, errsz, l->log);
			*reaped = true;
			return MP_ERR_DB_UNAVAILABLE;
		}
		if (mp_monotonic_ms() >= deadline)
			break;
		pgembed_sleep_ms(100);
	}
	pgembed_seterr(err, errsz, "the server did not accept connections on '%s' "
	    "within %d s", l->run, START_TIMEOUT_MS / 1000);
	append_log_tail(err, errsz, l->log);
	return MP_ERR_DB_UNAVAILABLE;
}

/* Creates the database PG_DB unless it exists. */
static int
create_database(const pgembed_layout *l, char *err, size_t errsz)
{
	const char *const keys[] = { "host", "dbname", "user", NULL };
	const char *const vals[] = { l->run, "postgres", PG_ROLE, NULL };
	const char *const params[] = { PG_DB };
	PGresult *res = NULL;
	PGconn *c;
	int r = MP_ERR_DB;

	c = PQconnectdbParams(keys, vals, 0);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		pgembed_seterr(err, errsz, "cannot connect: %s",
		    c != NULL ? PQerrorMessage(c) : "out of memory");
		r = MP_ERR_DB_UNAVAILABLE;
		goto out;
	}
	res = PQexecParams(c, "SELECT 1 FROM pg_database WHERE datname = $1", 1, NULL, params,
	    NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pgembed_seterr(err, errsz, "looking up database %s: %s", PG_DB,
		    PQerrorMessage(c));
		goto out;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		res = PQexec(c, "CREATE DATABASE " PG_DB);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			pgembed_seterr(err, errsz, "CREATE DATABASE %s: %s", PG_DB,
			    PQerrorMessage(c));
			goto out;
		}
	}
	r = MP_OK;
out:
	PQclear(res);
	PQfinish(c);
	return r;
}

/* A libpq value, single-quoted when it holds a space, quote or backslash or is empty. */
static char *
make_conninfo(const char *host)
{
	static const char fmt_tail[] = " dbname=" PG_DB " user=" PG_ROLE;
	bool quote = *host == '\0' || strpbrk(host, " '\\\t\n") != NULL;
	size_t n = strlen(host), i, o = 0;
	char *s = malloc(sizeof("host=''") + 2 * n + sizeof(fmt_tail));

	if (s == NULL)
		return NULL;
	memcpy(s, "host=", 5);
	o = 5;
	if (quote)
		s[o++] = '\'';
	for (i = 0; i < n; i++) {
		if (quote && (host[i] == '\'' || host[i] == '\\'))
			s[o++] = '\\';
		s[o++] = host[i];
	}
	if (quote)
		s[o++] = '\'';
	memcpy(s + o, fmt_tail, sizeof(fmt_tail));
	return s;
}

int
mp_pgembed_start(const char *state_dir, const char *pg_bin_dir, mp_pgembed **out,
    char *err, size_t errsz)
{
	pgembed_layout l = { .logfd = -1, .nullfd = -1 };
	mp_pgembed *pg = NULL;
	bool reaped = false;
	pid_t pid = 0;
	int r;

	if (out == NULL) {
		pgembed_seterr(err, errsz, "no output given");
		return MP_ERR_INVALID;
	}
	l.drop = geteuid() == 0;
	l.parent = getpid();
	if ((r = pgembed_layout_make(state_dir, &l, err, errsz)) != MP_OK)
		goto out;
	if ((r = pgembed_find_binaries(pg_bin_dir, &l, err, errsz)) != MP_OK)
		goto out;
	if (l.drop && (r = pgembed_layout_os_user(&l, err, errsz)) != MP_OK)
		goto out;
	if ((r = pgembed_layout_prepare(&l, err, errsz)) != MP_OK)
		goto out;
	if (l.drop && (r = pgembed_check_reachable(&l, err, errsz)) != MP_OK)
		goto out;
	if ((r = check_running(&l, err, errsz)) != MP_OK)
		goto out;
	if (!file_exists(l.data) && (r = run_initdb(&l, err, errsz)) != MP_OK)
		goto out;
	if ((r = start_server(&l, &pid, err, errsz)) != MP_OK)
		goto out;
	if ((r = wait_ready(&l, pid, &reaped, err, errsz)) != MP_OK) {
		if (reaped)
			pid = 0;
		goto out;
	}
	if ((r = create_database(&l, err, errsz)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((pg = calloc(1, sizeof(*pg))) == NULL || (pg->conninfo = make_conninfo(l.run)) == NULL) {
		pgembed_seterr(err, errsz, "out of memory");
		goto out;
	}
	pg->pid = pid;
	pid = 0;
	*out = pg;
	pg = NULL;
	r = MP_OK;
out:
	if (pid > 0)
		pgembed_stop_server(pid);
	if (pg != NULL) {
		free(pg->conninfo);
		free(pg);
	}
	pgembed_layout_clear(&l);
	return r;
}

const char *
mp_pgembed_conninfo(const mp_pgembed *pg)
{
	return pg->conninfo;
}

int
mp_pgembed_pid(const mp_pgembed *pg)
{
	return (int)pg->pid;
}

void
mp_pgembed_stop(mp_pgembed *pg)
{
	if (pg == NULL)
		return;
	pgembed_stop_server(pg->pid);
	free(pg->conninfo);
	free(pg);
}
