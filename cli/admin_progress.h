/* The upload progress bar of `midpki admin devices import`, drawn on a terminal's stderr. */
#ifndef CLI_ADMIN_PROGRESS_H
#define CLI_ADMIN_PROGRESS_H

#include <stddef.h>

typedef struct admin_progress {
	const char *label; /* shown before the bar, e.g. the file name */
	int shown;         /* the last percentage drawn, -1 before the first */
} admin_progress;

/*
 * An admin_progress_fn (arg is an admin_progress): redraws the bar on stderr
 * when the percentage changes, and ends the line when everything is sent.
 */
void admin_progress_draw(size_t sent, size_t total, void *arg);

#endif
