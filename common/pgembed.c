#include "pgembed.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "err.h"
#include "num.h"

#define PG_OS_USER "postgres"     /* the server's OS user when we run as root */
#define PG_ROLE "midpki"          /* the cluster's superuser */
#define PG_DB "midpki"
#define PG_PACKAGE "postgresql-15"
#define PG_SOCKET_NAME "/.s.PGSQL.5432"
#define START_TIMEOUT_MS 60000
#define STOP_TIMEOUT_MS 30000
#define QUIT_TIMEOUT_MS 5000
#define LOG_TAIL_BYTES 1200

struct mp_pgembed {
	pid_t pid;
	char *conninfo;
};

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
} layout;

static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
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

static char *
path_cat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = malloc(la + lb + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, a, la);
	memcpy(p + la, b, lb + 1);
	return p;
}

static bool
is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Sets *out to dir/name when that is an executable file. */
static int
find_in_dir(const char *dir, const char *name, char **out)
{
	char *slash = NULL, *p = NULL;
	int r = MP_ERR_NOMEM;

	if ((slash = path_cat(dir, "/")) == NULL || (p = path_cat(slash, name)) == NULL)
		goto out;
	r = MP_ERR_NOT_FOUND;
	if (!is_executable(p))
		goto out;
	*out = p;
	p = NULL;
	r = MP_OK;
out:
	free(slash);
	free(p);
	return r;
}

/* Both server binaries from one directory, or MP_ERR_NOT_FOUND. */
static int
find_pair(const char *dir, char **initdb, char **postgres)
{
	char *i = NULL, *p = NULL;
	int r;

	if ((r = find_in_dir(dir, "initdb", &i)) != MP_OK)
		goto out;
	if ((r = find_in_dir(dir, "postgres", &p)) != MP_OK)
		goto out;
	*initdb = i;
	*postgres = p;
	i = p = NULL;
out:
	free(i);
	free(p);
	return r;
}

/* The newest /usr/lib/postgresql/<N>/bin holding both binaries. */
static int
find_debian(char **initdb, char **postgres)
{
	char *best_i = NULL, *best_p = NULL, *dir = NULL, *i = NULL, *p = NULL;
	uint64_t best = 0, v;
	struct dirent *de;
	DIR *d;
	int r = MP_ERR_NOT_FOUND;

	if ((d = opendir("/usr/lib/postgresql")) == NULL)
		return MP_ERR_NOT_FOUND;
	while ((de = readdir(d)) != NULL) {
		char *base;
		int fr;

		if (mp_parse_u64(de->d_name, 10000, &v) != MP_OK || v <= best)
			continue;
		if ((base = path_cat("/usr/lib/postgresql/", de->d_name)) == NULL) {
			r = MP_ERR_NOMEM;
			goto out;
		}
		dir = path_cat(base, "/bin");
		free(base);
		if (dir == NULL) {
			r = MP_ERR_NOMEM;
			goto out;
		}
		fr = find_pair(dir, &i, &p);
		free(dir);
		dir = NULL;
		if (fr == MP_ERR_NOMEM) {
			r = fr;
			goto out;
		}
		if (fr != MP_OK)
			continue;
		free(best_i);
		free(best_p);
		best_i = i;
		best_p = p;
		i = p = NULL;
		best = v;
	}
	if (best_i == NULL)
		goto out;
	*initdb = best_i;
	*postgres = best_p;
	best_i = best_p = NULL;
	r = MP_OK;
out:
	closedir(d);
	free(best_i);
	free(best_p);
	return r;
}

/* The first PATH entry holding name. */
static int
find_in_path(const char *name, char **out)
{
	const char *path = getenv("PATH"), *s, *e;
	char *dir = NULL;
	int r = MP_ERR_NOT_FOUND;

	if (path == NULL)
		return MP_ERR_NOT_FOUND;
	for (s = path; *s != '\0'; s = *e == ':' ? e + 1 : e) {
		size_t n;
		int fr;

		e = strchr(s, ':');
		if (e == NULL)
			e = s + strlen(s);
		n = (size_t)(e - s);
		if (n == 0)
			continue;
		if ((dir = strndup(s, n)) == NULL)
			return MP_ERR_NOMEM;
		fr = find_in_dir(dir, name, out);
		free(dir);
		if (fr != MP_ERR_NOT_FOUND) {
			r = fr;
			break;
		}
	}
	return r;
}

/*
 * The major version that created the cluster in data/ (from PG_VERSION), or 0
 * when there is none yet or it cannot be read.
 */
static uint64_t
cluster_major(const layout *l)
{
	char buf[16], *path, *nl;
	uint64_t v = 0;
	ssize_t n;
	int fd;

	if ((path = path_cat(l->data, "/PG_VERSION")) == NULL)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	if (mp_parse_u64(buf, 10000, &v) != MP_OK)
		return 0;
	return v;
}

/*
 * pg_bin_dir when set; otherwise, for an existing cluster, the Debian directory
 * of the major version that created it (a newer server installed beside it
 * could not open it), then the newest Debian version, then PATH.
 */
static int
find_binaries(const char *pg_bin_dir, layout *l, char *err, size_t errsz)
{
	char *i = NULL, *p = NULL;
	uint64_t major;
	int r;

	if (pg_bin_dir != NULL && *pg_bin_dir != '\0') {
		r = find_pair(pg_bin_dir, &i, &p);
		if (r == MP_ERR_NOT_FOUND) {
			seterr(err, errsz,
			    "embedded PostgreSQL: initdb and postgres not found in '%s' "
			    "([database] pg_bin_dir); install the Debian package %s or correct "
			    "pg_bin_dir", pg_bin_dir, PG_PACKAGE);
			r = MP_ERR_CONFIG;
		}
		goto out;
	}
	if ((major = cluster_major(l)) != 0) {
		char dir[64];

		snprintf(dir, sizeof(dir), "/usr/lib/postgresql/%llu/bin", (unsigned long long)major);
		if ((r = find_pair(dir, &i, &p)) != MP_ERR_NOT_FOUND)
			goto out;
	}
	if ((r = find_debian(&i, &p)) != MP_ERR_NOT_FOUND)
		goto out;
	if ((r = find_in_path("initdb", &i)) == MP_OK)
		r = find_in_path("postgres", &p);
	if (r == MP_ERR_NOT_FOUND) {
		seterr(err, errsz,
		    "embedded PostgreSQL: the server programs initdb and postgres were not found "
		    "in /usr/lib/postgresql/<version>/bin or PATH; install the Debian package %s, "
		    "set [database] pg_bin_dir, or set [database] url to use an external "
		    "PostgreSQL", PG_PACKAGE);
		r = MP_ERR_CONFIG;
	}
out:
	if (r == MP_OK) {
		l->initdb = i;
		l->postgres = p;
		i = p = NULL;
	} else if (r == MP_ERR_NOMEM) {
		seterr(err, errsz, "embedded PostgreSQL: out of memory");
	}
	free(i);
	free(p);
	return r;
}

/* Creates dir with mode unless it exists as a directory. */
static int
ensure_dir(const char *dir, mode_t mode, char *err, size_t errsz)
{
	struct stat st;
	int e;

	if (mkdir(dir, mode) == 0)
		return MP_OK;
	e = errno;
	if (e == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return MP_OK;
	seterr(err, errsz, "embedded PostgreSQL: cannot create directory '%s': %s", dir,
	    e == EEXIST ? "exists and is not a directory" : strerror(e));
	return MP_ERR_IO;
}

/* Fills the paths of l from state_dir, creating state_dir if it is missing. */
static int
make_layout(const char *state_dir, layout *l, char *err, size_t errsz)
{
	char *abs = NULL, cwd[PATH_MAX];
	int r = MP_ERR_NOMEM;

	if (state_dir == NULL || *state_dir == '\0') {
		seterr(err, errsz, "embedded PostgreSQL: [state] dir is empty");
		return MP_ERR_CONFIG;
	}
	if (state_dir[0] == '/') {
		abs = strdup(state_dir);
	} else {
		char *base;

		if (getcwd(cwd, sizeof(cwd)) == NULL) {
			seterr(err, errsz, "embedded PostgreSQL: cannot resolve relative state "
			    "directory '%s': %s", state_dir, strerror(errno));
			r = MP_ERR_IO;
			goto out;
		}
		if ((base = path_cat(cwd, "/")) == NULL)
			goto out;
		abs = path_cat(base, state_dir);
		free(base);
	}
	if (abs == NULL)
		goto out;
	/* As root, others may search (not list) the directory so that the server's user
	 * can reach pg/ below it. */
	if ((r = ensure_dir(abs, l->drop ? 0711 : 0700, err, errsz)) != MP_OK)
		goto out;
	r = MP_ERR_IO;
	if ((l->state = realpath(abs, NULL)) == NULL) {
		seterr(err, errsz, "embedded PostgreSQL: cannot resolve state directory '%s': %s",
		    abs, strerror(errno));
		goto out;
	}
	r = MP_ERR_NOMEM;
	if ((l->pg = path_cat(l->state, "/pg")) == NULL ||
	    (l->data = path_cat(l->pg, "/data")) == NULL ||
	    (l->run = path_cat(l->pg, "/run")) == NULL ||
	    (l->log = path_cat(l->pg, "/postgres.log")) == NULL)
		goto out;
	if (strlen(l->run) + sizeof(PG_SOCKET_NAME) > sizeof(((struct sockaddr_un *)0)->sun_path)) {
		seterr(err, errsz, "embedded PostgreSQL: the socket path '%s%s' is longer than "
		    "the system allows (%zu bytes); choose a shorter state directory", l->run,
		    PG_SOCKET_NAME, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		r = MP_ERR_CONFIG;
		goto out;
	}
	r = MP_OK;
out:
	if (r == MP_ERR_NOMEM)
		seterr(err, errsz, "embedded PostgreSQL: out of memory");
	free(abs);
	return r;
}

static int
lookup_os_user(layout *l, char *err, size_t errsz)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	int e;

	e = getpwnam_r(PG_OS_USER, &pw, buf, sizeof(buf), &res);
	if (res == NULL) {
		seterr(err, errsz, "embedded PostgreSQL: midpki runs as root, so the server must "
		    "run as the user '%s', which %s; install the Debian package %s (it creates "
		    "that user) or run midpki as an unprivileged user", PG_OS_USER,
		    e == 0 ? "does not exist" : strerror(e), PG_PACKAGE);
		return MP_ERR_CONFIG;
	}
	if (pw.pw_uid == 0) {
		seterr(err, errsz, "embedded PostgreSQL: the user '%s' has uid 0; PostgreSQL "
		    "refuses to run as root", PG_OS_USER);
		return MP_ERR_CONFIG;
	}
	l->uid = pw.pw_uid;
	l->gid = pw.pw_gid;
	return MP_OK;
}

/* An O_CLOEXEC descriptor numbered 3 or above, so that dup2 onto 0..2 never aliases it. */
static int
open_high(const char *path, int flags, mode_t mode)
{
	int fd = open(path, flags | O_CLOEXEC, mode), hi;

	if (fd < 0 || fd > 2)
		return fd;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return hi;
}

static void
child_fail(const char *what)
{
	static const char pre[] = "midpki: embedded PostgreSQL child: ";
	ssize_t ignored;

	ignored = write(STDERR_FILENO, pre, sizeof(pre) - 1);
	ignored = write(STDERR_FILENO, what, strlen(what));
	ignored = write(STDERR_FILENO, "\n", 1);
	(void)ignored;
	_exit(127);
}

/*
 * In a freshly forked child: clean signal mask, own process group (a terminal's
 * ^C reaches midpki, which then stops the server in order), stdin from
 * /dev/null, stdout and stderr to the log, no other inherited descriptor, the
 * server's OS user when we are root, and deathsig when the parent dies.
 * Returns only on success.
 */
static void
child_setup(const layout *l, int deathsig)
{
	sigset_t none;

	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) != 0)
		child_fail("sigprocmask failed");
	if (setpgid(0, 0) != 0)
		child_fail("setpgid failed");
	if (dup2(l->nullfd, STDIN_FILENO) < 0 || dup2(l->logfd, STDOUT_FILENO) < 0 ||
	    dup2(l->logfd, STDERR_FILENO) < 0)
		_exit(127);
	/* Descriptors the caller opened without O_CLOEXEC stay out of PostgreSQL. Older
	 * kernels lack the flag; the descriptors opened here are O_CLOEXEC anyway. */
	(void)close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	if (l->drop) {
		if (setgroups(1, &l->gid) != 0)
			child_fail("setgroups failed");
		if (setgid(l->gid) != 0)
			child_fail("setgid failed");
		if (setuid(l->uid) != 0)
			child_fail("setuid failed");
		if (getuid() != l->uid || geteuid() != l->uid || getgid() != l->gid ||
		    getegid() != l->gid || setuid(0) == 0)
			child_fail("dropping privileges did not take effect");
	}
	/* Set after the uid change, which clears it; it survives execve. */
	if (prctl(PR_SET_PDEATHSIG, deathsig) != 0)
		child_fail("prctl(PR_SET_PDEATHSIG) failed");
	if (getppid() != l->parent)
		_exit(127);
}

/* Forks a child running argv (absolute path in argv[0]) with a minimal environment. */
static int
spawn(const layout *l, int deathsig, char *const argv[], pid_t *pid, char *err, size_t errsz)
{
	/* Only what PostgreSQL needs: secrets in our environment (a master key) stay here. */
	static char env_path[] = "PATH=/usr/bin:/bin";
	static char env_lc[] = "LC_ALL=C";
	char *const envp[] = { env_path, env_lc, NULL };
	pid_t p;

	p = fork();
	if (p < 0) {
		seterr(err, errsz, "embedded PostgreSQL: fork failed: %s", strerror(errno));
		return MP_ERR_INTERNAL;
	}
	if (p == 0) {
		child_setup(l, deathsig);
		execve(argv[0], argv, envp);
		child_fail("execve failed");
	}
	*pid = p;
	return MP_OK;
}

static int
reap(pid_t pid, int *status)
{
	pid_t w;

	do
		w = waitpid(pid, status, 0);
	while (w < 0 && errno == EINTR);
	return w == pid ? MP_OK : MP_ERR_INTERNAL;
}

static void
describe_status(int status, char *out, size_t outsz)
{
	if (WIFEXITED(status))
		snprintf(out, outsz, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, outsz, "was killed by signal %d", WTERMSIG(status));
	else
		snprintf(out, outsz, "stopped (status 0x%x)", (unsigned)status);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Waits at most ms for pid to exit; true (and reaped) when it did. */
static bool
wait_exit(pid_t pid, uint64_t ms, int *status)
{
	uint64_t deadline = now_ms() + ms;
	pid_t w;

	for (;;) {
		w = waitpid(pid, status, WNOHANG);
		if (w == pid || (w < 0 && errno == ECHILD))
			return true;
		if (now_ms() >= deadline)
			return false;
		sleep_ms(20);
	}
}

/* Fast shutdown, then immediate shutdown, then SIGKILL; always reaps. */
static void
stop_server(pid_t pid)
{
	int status;

	if (pid <= 0)
		return;
	kill(pid, SIGINT);
	if (wait_exit(pid, STOP_TIMEOUT_MS, &status))
		return;
	kill(pid, SIGQUIT);
	if (wait_exit(pid, QUIT_TIMEOUT_MS, &status))
		return;
	kill(pid, SIGKILL);
	reap(pid, &status);
}

/*
 * As root: checks in a child that has become the server's user that it can
 * reach and write <state>/pg, so that the failure is explained here rather than
 * in a PostgreSQL log line.
 */
static int
check_reachable(const layout *l, char *err, size_t errsz)
{
	int status = 0;
	pid_t p;

	p = fork();
	if (p < 0) {
		seterr(err, errsz, "embedded PostgreSQL: fork failed: %s", strerror(errno));
		return MP_ERR_INTERNAL;
	}
	if (p == 0) {
		child_setup(l, SIGKILL);
		_exit(access(l->pg, R_OK | W_OK | X_OK) == 0 ? 0 : 1);
	}
	if (reap(p, &status) != MP_OK || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		seterr(err, errsz, "embedded PostgreSQL: the server runs as the user '%s', which "
		    "cannot reach '%s' (is a parent directory closed to other users, such as a "
		    "0700 home directory?); make every parent directory of the state directory "
		    "searchable by that user (chmod o+x) or choose another state directory",
		    PG_OS_USER, l->pg);
		return MP_ERR_CONFIG;
	}
	return MP_OK;
}

/* Creates pg/ and pg/run (0700), opens the log and /dev/null, hands them to the server's user. */
static int
prepare_dirs(layout *l, char *err, size_t errsz)
{
	const char *failed = NULL;
	int r, e = 0;

	if ((r = ensure_dir(l->pg, 0700, err, errsz)) != MP_OK ||
	    (r = ensure_dir(l->run, 0700, err, errsz)) != MP_OK)
		return r;
	if (chmod(l->pg, 0700) != 0 || chmod(l->run, 0700) != 0) {
		e = errno;
		failed = "chmod";
	} else if ((l->logfd = open_high(l->log, O_WRONLY | O_CREAT | O_APPEND, 0600)) < 0) {
		e = errno;
		failed = "open postgres.log";
	} else if ((l->nullfd = open_high("/dev/null", O_RDONLY, 0)) < 0) {
		e = errno;
		failed = "open /dev/null";
	} else if (l->drop && (chown(l->pg, l->uid, l->gid) != 0 ||
	    chown(l->run, l->uid, l->gid) != 0 || fchown(l->logfd, l->uid, l->gid) != 0)) {
		e = errno;
		failed = "chown to " PG_OS_USER;
	}
	if (failed != NULL) {
		seterr(err, errsz, "embedded PostgreSQL: %s in '%s' failed: %s", failed, l->pg,
		    strerror(e));
		return MP_ERR_IO;
	}
	return MP_OK;
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
check_running(const layout *l, char *err, size_t errsz)
{
	char buf[64], proc[64], comm[32], cwd[PATH_MAX];
	char *pidfile = NULL, *nl;
	uint64_t pid;
	ssize_t n;
	int fd, r = MP_OK;

	if ((pidfile = path_cat(l->data, "/postmaster.pid")) == NULL) {
		seterr(err, errsz, "embedded PostgreSQL: out of memory");
		return MP_ERR_NOMEM;
	}
	if ((fd = open(pidfile, O_RDONLY | O_CLOEXEC)) < 0)
		goto out;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		goto out;
	buf[n] = '\0';
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	if (mp_parse_u64(buf, INT_MAX, &pid) != MP_OK || pid == 0)
		goto out;
	snprintf(proc, sizeof(proc), "/proc/%llu/comm", (unsigned long long)pid);
	if ((fd = open(proc, O_RDONLY | O_CLOEXEC)) < 0)
		goto out;
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	if (n <= 0)
		goto out;
	comm[n] = '\0';
	if (strcmp(comm, "postgres\n") != 0)
		goto out;
	snprintf(proc, sizeof(proc), "/proc/%llu/cwd", (unsigned long long)pid);
	n = readlink(proc, cwd, sizeof(cwd) - 1);
	if (n > 0) {
		cwd[n] = '\0';
		if (strcmp(cwd, l->data) != 0)
			goto out;
	}
	seterr(err, errsz, "embedded PostgreSQL: a PostgreSQL server (pid %llu) from an earlier "
	    "run is still running on '%s'; stop it (kill -INT %llu) and start midpki again",
	    (unsigned long long)pid, l->data, (unsigned long long)pid);
	r = MP_ERR_CONFLICT;
out:
	free(pidfile);
	return r;
}

static int
run_initdb(const layout *l, char *err, size_t errsz)
{
	/* C collation: byte order, so that indexes never depend on the C library's
	 * locale tables, which change between releases. */
	char *argv[] = { l->initdb, "-D", l->data, "-U", PG_ROLE, "-E", "UTF8", "--locale=C",
		"--auth=trust", NULL };
	char what[64];
	int status = 0, r;
	pid_t pid;

	if ((r = spawn(l, SIGTERM, argv, &pid, err, errsz)) != MP_OK)
		return r;
	if (reap(pid, &status) != MP_OK) {
		seterr(err, errsz, "embedded PostgreSQL: lost track of initdb");
		return MP_ERR_INTERNAL;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return MP_OK;
	describe_status(status, what, sizeof(what));
	seterr(err, errsz, "embedded PostgreSQL: initdb for '%s' %s", l->data, what);
	append_log_tail(err, errsz, l->log);
	return MP_ERR_DB_UNAVAILABLE;
}

/*
 * Polls the socket until the server accepts connections; fails at once if it
 * exits, then with *reaped set.
 */
static int
wait_ready(const layout *l, pid_t pid, bool *reaped, char *err, size_t errsz)
{
	const char *const keys[] = { "host", "dbname", "user", "connect_timeout", NULL };
	const char *const vals[] = { l->run, "postgres", PG_ROLE, "5", NULL };
	uint64_t deadline = now_ms() + START_TIMEOUT_MS;
	char what[64];
	int status = 0;
	pid_t w;

	for (;;) {
		if (PQpingParams(keys, vals, 0) == PQPING_OK)
			return MP_OK;
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			describe_status(status, what, sizeof(what));
			seterr(err, errsz, "embedded PostgreSQL: the server %s during start-up", what);
			append_log_tail(err, errsz, l->log);
			*reaped = true;
			return MP_ERR_DB_UNAVAILABLE;
		}
		if (now_ms() >= deadline)
			break;
		sleep_ms(100);
	}
	seterr(err, errsz, "embedded PostgreSQL: the server did not accept connections on '%s' "
	    "within %d s", l->run, START_TIMEOUT_MS / 1000);
	append_log_tail(err, errsz, l->log);
	return MP_ERR_DB_UNAVAILABLE;
}

/* Creates the database PG_DB unless it exists. */
static int
create_database(const layout *l, char *err, size_t errsz)
{
	const char *const keys[] = { "host", "dbname", "user", NULL };
	const char *const vals[] = { l->run, "postgres", PG_ROLE, NULL };
	const char *const params[] = { PG_DB };
	PGresult *res = NULL;
	PGconn *c;
	int r = MP_ERR_DB;

	c = PQconnectdbParams(keys, vals, 0);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		seterr(err, errsz, "embedded PostgreSQL: cannot connect: %s",
		    c != NULL ? PQerrorMessage(c) : "out of memory");
		r = MP_ERR_DB_UNAVAILABLE;
		goto out;
	}
	res = PQexecParams(c, "SELECT 1 FROM pg_database WHERE datname = $1", 1, NULL, params,
	    NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		seterr(err, errsz, "embedded PostgreSQL: looking up database %s: %s", PG_DB,
		    PQerrorMessage(c));
		goto out;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		res = PQexec(c, "CREATE DATABASE " PG_DB);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			seterr(err, errsz, "embedded PostgreSQL: CREATE DATABASE %s: %s", PG_DB,
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

static void
layout_clear(layout *l)
{
	free(l->state);
	free(l->pg);
	free(l->data);
	free(l->run);
	free(l->log);
	free(l->initdb);
	free(l->postgres);
	if (l->logfd >= 0)
		close(l->logfd);
	if (l->nullfd >= 0)
		close(l->nullfd);
}

int
mp_pgembed_start(const char *state_dir, const char *pg_bin_dir, mp_pgembed **out,
    char *err, size_t errsz)
{
	layout l = { .logfd = -1, .nullfd = -1 };
	mp_pgembed *pg = NULL;
	bool reaped = false;
	pid_t pid = 0;
	int r;

	if (out == NULL) {
		seterr(err, errsz, "embedded PostgreSQL: no output given");
		return MP_ERR_INVALID;
	}
	l.drop = geteuid() == 0;
	l.parent = getpid();
	if ((r = make_layout(state_dir, &l, err, errsz)) != MP_OK)
		goto out;
	if ((r = find_binaries(pg_bin_dir, &l, err, errsz)) != MP_OK)
		goto out;
	if (l.drop && (r = lookup_os_user(&l, err, errsz)) != MP_OK)
		goto out;
	if ((r = prepare_dirs(&l, err, errsz)) != MP_OK)
		goto out;
	if (l.drop && (r = check_reachable(&l, err, errsz)) != MP_OK)
		goto out;
	if ((r = check_running(&l, err, errsz)) != MP_OK)
		goto out;
	if (!file_exists(l.data) && (r = run_initdb(&l, err, errsz)) != MP_OK)
		goto out;
	{
		char *argv[] = { l.postgres, "-D", l.data, "-k", l.run,
			"-c", "listen_addresses=", "-c", "unix_socket_permissions=0700", NULL };

		/* SIGINT is PostgreSQL's fast shutdown: it rolls back and exits cleanly. */
		if ((r = spawn(&l, SIGINT, argv, &pid, err, errsz)) != MP_OK)
			goto out;
	}
	if ((r = wait_ready(&l, pid, &reaped, err, errsz)) != MP_OK) {
		if (reaped)
			pid = 0;
		goto out;
	}
	if ((r = create_database(&l, err, errsz)) != MP_OK)
		goto out;
	r = MP_ERR_NOMEM;
	if ((pg = calloc(1, sizeof(*pg))) == NULL || (pg->conninfo = make_conninfo(l.run)) == NULL) {
		seterr(err, errsz, "embedded PostgreSQL: out of memory");
		goto out;
	}
	pg->pid = pid;
	pid = 0;
	*out = pg;
	pg = NULL;
	r = MP_OK;
out:
	if (pid > 0)
		stop_server(pid);
	if (pg != NULL) {
		free(pg->conninfo);
		free(pg);
	}
	layout_clear(&l);
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
	stop_server(pg->pid);
	free(pg->conninfo);
	free(pg);
}
