/*
 * Which server programs the embedded PostgreSQL runs: initdb and postgres from
 * one directory, chosen so that an existing cluster is opened by the major
 * version that created it.
 */
#include "pgembed_priv.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "num.h"

#define DEBIAN_PG_ROOT "/usr/lib/postgresql/"

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

	if ((slash = pgembed_path_cat(dir, "/")) == NULL ||
	    (p = pgembed_path_cat(slash, name)) == NULL)
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

/* Both binaries from /usr/lib/postgresql/<version>/bin. */
static int
find_debian_version(const char *version, char **initdb, char **postgres)
{
	char *base, *dir;
	int r;

	if ((base = pgembed_path_cat(DEBIAN_PG_ROOT, version)) == NULL)
		return MP_ERR_NOMEM;
	dir = pgembed_path_cat(base, "/bin");
	free(base);
	if (dir == NULL)
		return MP_ERR_NOMEM;
	r = find_pair(dir, initdb, postgres);
	free(dir);
	return r;
}

/* The newest /usr/lib/postgresql/<N>/bin holding both binaries. */
static int
find_debian(char **initdb, char **postgres)
{
	char *best_i = NULL, *best_p = NULL, *i = NULL, *p = NULL;
	uint64_t best = 0, v;
	struct dirent *de;
	DIR *d;
	int r = MP_ERR_NOT_FOUND, fr;

	if ((d = opendir(DEBIAN_PG_ROOT)) == NULL)
		return MP_ERR_NOT_FOUND;
	while ((de = readdir(d)) != NULL) {
		if (mp_parse_u64(de->d_name, 10000, &v) != MP_OK || v <= best)
			continue;
		fr = find_debian_version(de->d_name, &i, &p);
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
cluster_major(const pgembed_layout *l)
{
	uint64_t v = 0;
	char *path;

	if ((path = pgembed_path_cat(l->data, "/PG_VERSION")) == NULL)
		return 0;
	if (pgembed_read_number(path, 10000, &v) != MP_OK)
		v = 0;
	free(path);
	return v;
}

int
pgembed_find_binaries(const char *pg_bin_dir, pgembed_layout *l, char *err, size_t errsz)
{
	char *i = NULL, *p = NULL;
	uint64_t major;
	int r;

	if (pg_bin_dir != NULL && *pg_bin_dir != '\0') {
		r = find_pair(pg_bin_dir, &i, &p);
		if (r == MP_ERR_NOT_FOUND) {
			pgembed_seterr(err, errsz,
			    "initdb and postgres not found in '%s' "
			    "([database] pg_bin_dir); install the Debian package %s or correct "
			    "pg_bin_dir", pg_bin_dir, PG_PACKAGE);
			r = MP_ERR_CONFIG;
		}
		goto out;
	}
	if ((major = cluster_major(l)) != 0) {
		char version[24];

		snprintf(version, sizeof(version), "%llu", (unsigned long long)major);
		if ((r = find_debian_version(version, &i, &p)) != MP_ERR_NOT_FOUND)
			goto out;
	}
	if ((r = find_debian(&i, &p)) != MP_ERR_NOT_FOUND)
		goto out;
	if ((r = find_in_path("initdb", &i)) == MP_OK)
		r = find_in_path("postgres", &p);
	if (r == MP_ERR_NOT_FOUND) {
		pgembed_seterr(err, errsz,
		    "the server programs initdb and postgres were not found "
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
		pgembed_seterr(err, errsz, "out of memory");
	}
	free(i);
	free(p);
	return r;
}
