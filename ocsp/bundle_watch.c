/*
 * The responder's thread in bundle mode: inotify on the bundle's directory,
 * so that a bundle written over the file (closed after writing) or renamed
 * onto it is loaded, checked, and served from the next request on. A bundle
 * that does not verify, or is not newer than the one served, changes nothing.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "bundle.h"
#include "err.h"
#include "log.h"
#include "responder_priv.h"

int
responder_bundle_reload(ocsp_responder *r)
{
	ocsp_bundle *b = NULL;
	ocsp_ca_table *t = NULL, *cur;
	char err[512];
	int64_t have = -1;
	int rc;

	if ((rc = ocsp_bundle_load(r->bundle_path, r->bundle_trust, (int64_t)time(NULL), &b, err,
	    sizeof(err))) != MP_OK) {
		mp_error("OCSP bundle %s refused: %s", r->bundle_path, err);
		return rc;
	}
	if (r->table != NULL) {
		cur = responder_table(r);
		if (cur->bundle != NULL)
			have = ocsp_bundle_produced_at(cur->bundle);
		ocsp_ca_table_unref(cur);
	}
	if (ocsp_bundle_produced_at(b) <= have) {
		mp_info("OCSP bundle %s is not newer than the one served; kept the latter",
		    r->bundle_path);
		ocsp_bundle_unref(b);
		return MP_OK;
	}
	rc = ocsp_ca_table_from_bundle(b, &t);
	if (rc != MP_OK) {
		mp_error("OCSP bundle %s refused: %s", r->bundle_path, mp_strerror(rc));
		ocsp_bundle_unref(b);
		return rc;
	}
	mp_info("OCSP bundle %s loaded: %zu CAs, %zu responses, made %lld", r->bundle_path,
	    ocsp_bundle_ca_count(b), ocsp_bundle_response_count(b),
	    (long long)ocsp_bundle_produced_at(b));
	ocsp_bundle_unref(b);
	responder_table_set(r, t);
	responder_count(r, OC_RELOADS);
	return MP_OK;
}

/* The file name part of path. */
static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

/* True when the events in buf (n bytes) name the bundle's file. */
static bool
names_bundle(const char *buf, size_t n, const char *name)
{
	for (size_t off = 0; off + sizeof(struct inotify_event) <= n;) {
		const struct inotify_event *e = (const struct inotify_event *)(buf + off);

		if (e->len > 0 && strcmp(e->name, name) == 0)
			return true;
		off += sizeof(*e) + e->len;
	}
	return false;
}

void *
responder_bundle_run(void *arg)
{
	ocsp_responder *r = arg;
	const char *name = base_name(r->bundle_path);
	char dir[PATH_MAX];
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int fd;

	if (name == r->bundle_path)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(name - r->bundle_path - 1), r->bundle_path);
	if (dir[0] == '\0')
		snprintf(dir, sizeof(dir), "/");
	if ((fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0 ||
	    inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
		mp_error("OCSP bundle: cannot watch %s (%s); a newer bundle needs a restart", dir,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	while (!atomic_load(&r->stopping)) {
		struct pollfd fds[2] = { { .fd = r->wake[0], .events = POLLIN },
			{ .fd = fd, .events = POLLIN } };
		bool changed = false;
		ssize_t n;

		if (poll(fds, 2, -1) < 0 && errno != EINTR) {
			mp_error("OCSP bundle: poll: %s", strerror(errno));
			break;
		}
		while (fds[0].revents != 0 && read(r->wake[0], buf, sizeof(buf)) > 0)
			;
		while (fds[1].revents != 0 && (n = read(fd, buf, sizeof(buf))) > 0)
			changed = changed || names_bundle(buf, (size_t)n, name);
		if (changed && !atomic_load(&r->stopping))
			responder_bundle_reload(r);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}
