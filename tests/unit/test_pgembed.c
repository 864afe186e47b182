/* The embedded PostgreSQL: starts a real server in a temporary state directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "check_main.h"
#include "err.h"
#include "pgembed.h"

#define INITDB_BANNER "The files belonging to this database system"

static char tmpdir[PATH_MAX];

/* A fresh directory under /tmp that the postgres user can reach. */
static void
make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/midpki-pgembed.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ck_assert_int_eq(chmod(tmpdir, 0755), 0);
}

static void
remove_tree(const char *path)
{
	char cmd[PATH_MAX + 32];
	pid_t p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s", path);
	p = fork();
	ck_assert_int_ge(p, 0);
	if (p == 0) {
		execl("/bin/rm", "rm", "-rf", "--", cmd, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(p, &st, 0), p);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static char *
join(const char *a, const char *b)
{
	char *s = malloc(strlen(a) + strlen(b) + 1);

	ck_assert_ptr_nonnull(s);
	memcpy(s, a, strlen(a));
	memcpy(s + strlen(a), b, strlen(b) + 1);
	return s;
}

static bool
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* How many times needle occurs in the file at path. */
static int
count_in_file(const char *path, const char *needle)
{
	static char buf[1 << 20];
	const char *p;
	ssize_t n;
	int fd, count = 0;

	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		count++;
	return count;
}

/* Processes whose working directory is dir (PostgreSQL processes chdir to their data dir). */
static int
processes_in(const char *dir)
{
	char link[300], cwd[PATH_MAX];
	struct dirent *de;
	int count = 0;
	DIR *d = opendir("/proc");

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		ssize_t n;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(link, sizeof(link), "/proc/%s/cwd", de->d_name);
		n = readlink(link, cwd, sizeof(cwd) - 1);
		if (n <= 0)
			continue;
		cwd[n] = '\0';
		if (strcmp(cwd, dir) == 0)
			count++;
	}
	closedir(d);
	return count;
}

static void
exec_ok(PGconn *c, const char *sql)
{
	PGresult *res = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(res);

	ck_assert_msg(s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK, "%s: %s", sql,
	    PQerrorMessage(c));
	PQclear(res);
}

static mp_pgembed *
start_ok(const char *state)
{
	char err[2048] = "";
	mp_pgembed *pg = NULL;
	int r;

	r = mp_pgembed_start(state, "", &pg, err, sizeof(err));
	ck_assert_msg(r == MP_OK, "start: %d %s", r, err);
	ck_assert_ptr_nonnull(pg);
	return pg;
}

/* Asserts that a start fails with code and sets no server; the message is left in err. */
static void
start_fails(const char *state, const char *bin_dir, int code, char *err, size_t errsz)
{
	mp_pgembed *pg = NULL;

	ck_assert_int_eq(mp_pgembed_start(state, bin_dir, &pg, err, errsz), code);
	ck_assert_ptr_null(pg);
}

START_TEST(test_start_persist_stop)
{
	char *state, *data, *log, *pidfile, *run, *hostpart, *expect;
	PGconn *c;
	PGresult *res;
	mp_pgembed *pg;
	int pid;

	make_tmpdir();
	state = join(tmpdir, "/state");
	data = join(state, "/pg/data");
	log = join(state, "/pg/postgres.log");
	pidfile = join(data, "/postmaster.pid");
	run = join(state, "/pg/run");
	hostpart = join("host=", run);
	expect = join(hostpart, " dbname=midpki user=midpki");
	/* a relative state directory is made absolute */
	ck_assert_int_eq(chdir(tmpdir), 0);

	pg = start_ok("state");
	ck_assert_str_eq(mp_pgembed_conninfo(pg), expect);
	ck_assert(exists(pidfile));
	ck_assert_int_eq(count_in_file(log, INITDB_BANNER), 1);
	c = PQconnectdb(mp_pgembed_conninfo(pg));
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	ck_assert_str_eq(PQdb(c), "midpki");
	exec_ok(c, "CREATE TABLE kept (v text)");
	exec_ok(c, "INSERT INTO kept VALUES ('across restarts')");
	PQfinish(c);
	pid = mp_pgembed_pid(pg);
	ck_assert_int_gt(pid, 0);
	mp_pgembed_stop(pg);

	ck_assert_int_eq(kill(pid, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert(!exists(pidfile));
	ck_assert_int_eq(processes_in(data), 0);

	/* second start: no initdb, same data */
	pg = start_ok(state);
	ck_assert_int_eq(count_in_file(log, INITDB_BANNER), 1);
	c = PQconnectdb(mp_pgembed_conninfo(pg));
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
	res = PQexec(c, "SELECT v FROM kept");
	ck_assert_int_eq(PQresultStatus(res), PGRES_TUPLES_OK);
	ck_assert_int_eq(PQntuples(res), 1);
	ck_assert_str_eq(PQgetvalue(res, 0, 0), "across restarts");
	PQclear(res);
	PQfinish(c);
	mp_pgembed_stop(pg);
	ck_assert(!exists(pidfile));
	ck_assert_int_eq(processes_in(data), 0);

	mp_pgembed_stop(NULL);
	remove_tree(tmpdir);
	free(state);
	free(data);
	free(log);
	free(pidfile);
	free(run);
	free(hostpart);
	free(expect);
}
END_TEST

START_TEST(test_missing_binaries)
{
	char err[1024] = "";
	char *empty, *pgdir;

	make_tmpdir();
	empty = join(tmpdir, "/empty-bin");
	ck_assert_int_eq(mkdir(empty, 0755), 0);
	start_fails(tmpdir, empty, MP_ERR_CONFIG, err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "postgresql-15"));
	ck_assert_ptr_nonnull(strstr(err, empty));
	/* nothing is created before the binaries are found */
	pgdir = join(tmpdir, "/pg");
	ck_assert(!exists(pgdir));
	remove_tree(tmpdir);
	free(empty);
	free(pgdir);
}
END_TEST

/* A second start on a data directory in use names the running server's pid. */
START_TEST(test_already_running)
{
	char err[1024] = "", pidstr[32];
	mp_pgembed *pg;

	make_tmpdir();
	pg = start_ok(tmpdir);
	start_fails(tmpdir, "", MP_ERR_CONFLICT, err, sizeof(err));
	snprintf(pidstr, sizeof(pidstr), "pid %d", mp_pgembed_pid(pg));
	ck_assert_msg(strstr(err, pidstr) != NULL, "%s", err);
	mp_pgembed_stop(pg);
	remove_tree(tmpdir);
}
END_TEST

/* A postmaster.pid left by a crash whose process is gone does not block a start. */
START_TEST(test_stale_pidfile)
{
	char line[PATH_MAX + 64];
	char *pidfile;
	mp_pgembed *pg;
	pid_t dead;
	int st, fd;

	make_tmpdir();
	pg = start_ok(tmpdir);
	mp_pgembed_stop(pg);

	dead = fork();
	ck_assert_int_ge(dead, 0);
	if (dead == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(dead, &st, 0), dead);
	pidfile = join(tmpdir, "/pg/data/postmaster.pid");
	/* readable by the server's user when the test runs as root */
	fd = open(pidfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	snprintf(line, sizeof(line), "%d\n%s/pg/data\n", (int)dead, tmpdir);
	ck_assert_int_eq(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	close(fd);

	pg = start_ok(tmpdir);
	ck_assert_int_ne(mp_pgembed_pid(pg), (int)dead);
	mp_pgembed_stop(pg);
	ck_assert(!exists(pidfile));
	remove_tree(tmpdir);
	free(pidfile);
}
END_TEST

/* A server that fails to start is reported with the end of its log, and nothing is left running. */
START_TEST(test_server_fails)
{
	char err[512] = "";
	char *conf, *data;
	FILE *f;

	make_tmpdir();
	mp_pgembed_stop(start_ok(tmpdir));
	conf = join(tmpdir, "/pg/data/postgresql.conf");
	data = join(tmpdir, "/pg/data");
	f = fopen(conf, "a");
	ck_assert_ptr_nonnull(f);
	fputs("shared_buffers = = 1\n", f);
	ck_assert_int_eq(fclose(f), 0);

	start_fails(tmpdir, "", MP_ERR_DB_UNAVAILABLE, err, sizeof(err));
	ck_assert_msg(strstr(err, "during start-up") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "contains errors") != NULL, "%s", err);
	ck_assert_int_eq(processes_in(data), 0);
	remove_tree(tmpdir);
	free(conf);
	free(data);
}
END_TEST

/* As root, a state directory the postgres user cannot reach is explained. */
START_TEST(test_unreachable_as_root)
{
	char err[1024] = "";
	char *closed, *state;

	if (geteuid() != 0)
		return;
	make_tmpdir();
	closed = join(tmpdir, "/closed");
	state = join(closed, "/state");
	ck_assert_int_eq(mkdir(closed, 0700), 0);
	start_fails(state, "", MP_ERR_CONFIG, err, sizeof(err));
	ck_assert_msg(strstr(err, "user 'postgres', which cannot reach") != NULL, "%s", err);
	remove_tree(tmpdir);
	free(closed);
	free(state);
}
END_TEST

/* SIGKILL of the process that started the server makes the server shut down cleanly. */
START_TEST(test_dies_with_parent)
{
	int fds[2], st, pgpid = 0;
	struct timespec ts = { 0, 20 * 1000000L };
	pid_t mid, w = 0;
	ssize_t n;
	int i;

	make_tmpdir();
	/* orphans are reparented to this process, so the server can be reaped here */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	ck_assert_int_eq(pipe(fds), 0);
	mid = fork();
	ck_assert_int_ge(mid, 0);
	if (mid == 0) {
		char err[1024];
		mp_pgembed *pg = NULL;
		int p;

		close(fds[0]);
		if (mp_pgembed_start(tmpdir, "", &pg, err, sizeof(err)) != MP_OK)
			_exit(1);
		p = mp_pgembed_pid(pg);
		if (write(fds[1], &p, sizeof(p)) != (ssize_t)sizeof(p))
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	n = read(fds[0], &pgpid, sizeof(pgpid));
	close(fds[0]);
	ck_assert_int_eq(n, (ssize_t)sizeof(pgpid));
	ck_assert_int_gt(pgpid, 0);
	ck_assert_int_eq(kill(mid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(mid, &st, 0), mid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	for (i = 0; i < 30 * 50; i++) {
		w = waitpid(pgpid, &st, WNOHANG);
		if (w != 0)
			break;
		nanosleep(&ts, NULL);
	}
	ck_assert_int_eq(w, pgpid);
	/* fast shutdown exits 0 */
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	remove_tree(tmpdir);
}
END_TEST

Suite *
suite_make(void)
{
	Suite *s = suite_create("pgembed");
	TCase *tc = tcase_create("server");

	tcase_set_timeout(tc, 110);
	tcase_add_test(tc, test_missing_binaries);
	tcase_add_test(tc, test_start_persist_stop);
	tcase_add_test(tc, test_already_running);
	tcase_add_test(tc, test_stale_pidfile);
	tcase_add_test(tc, test_server_fails);
	tcase_add_test(tc, test_unreachable_as_root);
	tcase_add_test(tc, test_dies_with_parent);
	suite_add_tcase(s, tc);
	return s;
}
