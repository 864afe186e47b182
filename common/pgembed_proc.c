/*
 * The embedded PostgreSQL's child processes: every child is forked the same
 * way (clean signals, own process group, the log as stdout and stderr, the
 * server's OS user when we are root, a parent-death signal), and reaped or
 * shut down here.
 */
#include "pgembed_priv.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "monotime.h"

#define STOP_TIMEOUT_MS 30000
#define QUIT_TIMEOUT_MS 5000

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
child_setup(const pgembed_layout *l, int deathsig)
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

/* What a child does after child_setup(); it never returns. */
typedef void (*child_body)(const pgembed_layout *l, const void *arg);

/* Forks a child that runs child_setup(l, deathsig), then body(l, arg). */
static int
fork_child(const pgembed_layout *l, int deathsig, child_body body, const void *arg, pid_t *pid,
    char *err, size_t errsz)
{
	pid_t p;

	p = fork();
	if (p < 0) {
		pgembed_seterr(err, errsz, "fork failed: %s", strerror(errno));
		return MP_ERR_INTERNAL;
	}
	if (p == 0) {
		child_setup(l, deathsig);
		body(l, arg);
		_exit(127);
	}
	*pid = p;
	return MP_OK;
}

/* Runs the argv in arg with a minimal environment. */
static void
exec_argv(const pgembed_layout *l, const void *arg)
{
	/* Only what PostgreSQL needs: secrets in our environment (a master key) stay here. */
	static char env_path[] = "PATH=/usr/bin:/bin";
	static char env_lc[] = "LC_ALL=C";
	char *const envp[] = { env_path, env_lc, NULL };
	char *const *argv = arg;

	(void)l;
	execve(argv[0], argv, envp);
	child_fail("execve failed");
}

int
pgembed_spawn(const pgembed_layout *l, int deathsig, char *const argv[], pid_t *pid,
    char *err, size_t errsz)
{
	return fork_child(l, deathsig, exec_argv, argv, pid, err, errsz);
}

/* Exits 0 when the (already unprivileged) child can reach and write l->pg. */
static void
probe_pg_dir(const pgembed_layout *l, const void *arg)
{
	(void)arg;
	_exit(access(l->pg, R_OK | W_OK | X_OK) == 0 ? 0 : 1);
}

int
pgembed_check_reachable(const pgembed_layout *l, char *err, size_t errsz)
{
	int status = 0, r;
	pid_t p;

	if ((r = fork_child(l, SIGKILL, probe_pg_dir, NULL, &p, err, errsz)) != MP_OK)
		return r;
	if (pgembed_reap(p, &status) != MP_OK || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		pgembed_seterr(err, errsz, "the server runs as the user '%s', which "
		    "cannot reach '%s' (is a parent directory closed to other users, such as a "
		    "0700 home directory?); make every parent directory of the state directory "
		    "searchable by that user (chmod o+x) or choose another state directory",
		    PG_OS_USER, l->pg);
		return MP_ERR_CONFIG;
	}
	return MP_OK;
}

int
pgembed_reap(pid_t pid, int *status)
{
	pid_t w;

	do
		w = waitpid(pid, status, 0);
	while (w < 0 && errno == EINTR);
	return w == pid ? MP_OK : MP_ERR_INTERNAL;
}

void
pgembed_describe_status(int status, char *out, size_t outsz)
{
	if (WIFEXITED(status))
		snprintf(out, outsz, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, outsz, "was killed by signal %d", WTERMSIG(status));
	else
		snprintf(out, outsz, "stopped (status 0x%x)", (unsigned)status);
}

void
pgembed_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Waits at most ms for pid to exit; true (and reaped) when it did. */
static bool
wait_exit(pid_t pid, uint64_t ms, int *status)
{
	uint64_t deadline = mp_monotonic_ms() + ms;
	pid_t w;

	for (;;) {
		w = waitpid(pid, status, WNOHANG);
		if (w == pid || (w < 0 && errno == ECHILD))
			return true;
		if (mp_monotonic_ms() >= deadline)
			return false;
		pgembed_sleep_ms(20);
	}
}

void
pgembed_stop_server(pid_t pid)
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
	pgembed_reap(pid, &status);
}
