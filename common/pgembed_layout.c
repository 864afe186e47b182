/*
 * The embedded PostgreSQL's files: the directories under the state directory,
 * who owns them (the `postgres` user when midpki runs as root), and the log
 * and /dev/null descriptors the server's children inherit.
 */
#include "pgembed_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "err.h"
#include "num.h"

#define PG_SOCKET_NAME "/.s.PGSQL.5432"

char *
pgembed_path_cat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = malloc(la + lb + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, a, la);
	memcpy(p + la, b, lb + 1);
	return p;
}

int
pgembed_read_line(const char *path, char *buf, size_t bufsz)
{
	char *nl;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return MP_ERR_NOT_FOUND;
	n = read(fd, buf, bufsz - 1);
	close(fd);
	if (n <= 0)
		return MP_ERR_NOT_FOUND;
	buf[n] = '\0';
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	return MP_OK;
}

int
pgembed_read_number(const char *path, uint64_t max, uint64_t *out)
{
	char buf[64];

	if (pgembed_read_line(path, buf, sizeof(buf)) != MP_OK ||
	    mp_parse_u64(buf, max, out) != MP_OK)
		return MP_ERR_NOT_FOUND;
	return MP_OK;
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
	pgembed_seterr(err, errsz, "cannot create directory '%s': %s", dir,
	    e == EEXIST ? "exists and is not a directory" : strerror(e));
	return MP_ERR_IO;
}

/* state_dir made absolute against the working directory, in a new string. */
static int
absolute(const char *state_dir, char **out, char *err, size_t errsz)
{
	char cwd[PATH_MAX], *base, *abs;

	if (state_dir[0] == '/') {
		abs = strdup(state_dir);
	} else {
		if (getcwd(cwd, sizeof(cwd)) == NULL) {
			pgembed_seterr(err, errsz, "cannot resolve relative state directory '%s': %s",
			    state_dir, strerror(errno));
			return MP_ERR_IO;
		}
		if ((base = pgembed_path_cat(cwd, "/")) == NULL)
			return MP_ERR_NOMEM;
		abs = pgembed_path_cat(base, state_dir);
		free(base);
	}
	if (abs == NULL)
		return MP_ERR_NOMEM;
	*out = abs;
	return MP_OK;
}

int
pgembed_layout_make(const char *state_dir, pgembed_layout *l, char *err, size_t errsz)
{
	char *abs = NULL;
	int r;

	if (state_dir == NULL || *state_dir == '\0') {
		pgembed_seterr(err, errsz, "[state] dir is empty");
		return MP_ERR_CONFIG;
	}
	if ((r = absolute(state_dir, &abs, err, errsz)) != MP_OK)
		goto out;
	/* As root, others may search (not list) the directory so that the server's user
	 * can reach pg/ below it. */
	if ((r = ensure_dir(abs, l->drop ? 0711 : 0700, err, errsz)) != MP_OK)
		goto out;
	r = MP_ERR_IO;
	if ((l->state = realpath(abs, NULL)) == NULL) {
		pgembed_seterr(err, errsz, "cannot resolve state directory '%s': %s",
		    abs, strerror(errno));
		goto out;
	}
	r = MP_ERR_NOMEM;
	if ((l->pg = pgembed_path_cat(l->state, "/pg")) == NULL ||
	    (l->data = pgembed_path_cat(l->pg, "/data")) == NULL ||
	    (l->run = pgembed_path_cat(l->pg, "/run")) == NULL ||
	    (l->log = pgembed_path_cat(l->pg, "/postgres.log")) == NULL)
		goto out;
	if (strlen(l->run) + sizeof(PG_SOCKET_NAME) > sizeof(((struct sockaddr_un *)0)->sun_path)) {
		pgembed_seterr(err, errsz, "the socket path '%s%s' is longer than "
		    "the system allows (%zu bytes); choose a shorter state directory", l->run,
		    PG_SOCKET_NAME, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		r = MP_ERR_CONFIG;
		goto out;
	}
	r = MP_OK;
out:
	if (r == MP_ERR_NOMEM)
		pgembed_seterr(err, errsz, "out of memory");
	free(abs);
	return r;
}

int
pgembed_layout_os_user(pgembed_layout *l, char *err, size_t errsz)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	int e;

	e = getpwnam_r(PG_OS_USER, &pw, buf, sizeof(buf), &res);
	if (res == NULL) {
		pgembed_seterr(err, errsz, "midpki runs as root, so the server must "
		    "run as the user '%s', which %s; install the Debian package %s (it creates "
		    "that user) or run midpki as an unprivileged user", PG_OS_USER,
		    e == 0 ? "does not exist" : strerror(e), PG_PACKAGE);
		return MP_ERR_CONFIG;
	}
	if (pw.pw_uid == 0) {
		pgembed_seterr(err, errsz, "the user '%s' has uid 0; PostgreSQL "
		    "refuses to run as root", PG_OS_USER);
		return MP_ERR_CONFIG;
	}
	l->uid = pw.pw_uid;
	l->gid = pw.pw_gid;
	return MP_OK;
}

/*
 * An O_CLOEXEC descriptor numbered 3 or above, so that a child's dup2 onto
 * 0..2 never aliases it.
 */
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

int
pgembed_layout_prepare(pgembed_layout *l, char *err, size_t errsz)
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
		pgembed_seterr(err, errsz, "%s in '%s' failed: %s", failed, l->pg, strerror(e));
		return MP_ERR_IO;
	}
	return MP_OK;
}

void
pgembed_layout_clear(pgembed_layout *l)
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
